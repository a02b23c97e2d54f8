#!/usr/bin/env python3
"""The mutation run over whole files (docs/fuzzing.md): writes mutated copies of the real GGUF models
and runs `switchyard generate` on each with a time limit, then counts how each one ended.

Mutations work on the real header (metadata and tensor table), parsed here so that they can aim at its
structure: bit flips, truncations at every structure boundary, huge counts and lengths, tensor offsets
past the end, dimensions whose product overflows, duplicate tensor names and metadata keys, unknown
value and tensor types, misaligned offsets, hostile hyperparameter values, and a few flips in the
weights. A mutated file is the mutated header followed by the original file's size in zeros (a sparse
hole, so no weights are copied; a run on it loads and computes on zero weights), except for the weight
flips, which copy the real data. Files are written one at a time under --workdir and deleted after
their run.

Outcomes: ran (exit 0), refused (non-zero exit whose standard error is one line "Error: ..."),
crash (killed by a signal), hang (past --timeout), unclear (any other non-zero exit or message).

    scripts/mutate-models.py --count 10000 --jobs 4

Each run uses one thread (-t 1): the BLAS backend's worker pool spins between jobs, which on shared
cores costs ten times the CPU for a one-token run.
"""
import argparse, os, random, re, signal, struct, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor

VALUE_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


class Header:
    """A GGUF header's structure: where every field lies, and the boundaries between structures."""

    def __init__(self, data):
        self.data = data
        self.boundaries = []       # offsets where one structure ends and the next begins
        self.counts = []           # (offset, size) of counts and lengths (tensor/kv count, string lengths, array counts)
        self.value_types = []      # offsets of u32 value types (metadata values, array elements)
        self.keys = []             # (key, offset of its length, offset of its value, value type)
        self.tensors = []          # dicts: name, name_at, dims_at, ndims, type_at, offset_at
        at = 0
        def u32():
            nonlocal at; v = struct.unpack_from("<I", data, at)[0]; at += 4; return v
        def u64():
            nonlocal at; v = struct.unpack_from("<Q", data, at)[0]; at += 8; return v
        def string():
            nonlocal at
            self.counts.append((at, 8))
            n = u64(); s = data[at:at + n]; at += n; return s
        def value(t, depth=0):
            nonlocal at
            if t in VALUE_SIZES: at += VALUE_SIZES[t]
            elif t == 8: string()
            elif t == 9:
                self.value_types.append(at)
                et = u32()
                self.counts.append((at, 8))
                n = u64()
                if et in VALUE_SIZES: at += n * VALUE_SIZES[et]
                else:
                    for _ in range(n): value(et, depth + 1)
            else: raise ValueError(f"value type {t}")
        assert data[:4] == b"GGUF"
        at = 8
        self.boundaries += [4, 8]
        self.counts.append((at, 8)); n_tensors = u64()
        self.counts.append((at, 8)); n_kv = u64()
        self.boundaries.append(at)
        for _ in range(n_kv):
            key_at = at
            key = string()
            self.value_types.append(at)
            t = u32()
            value_at = at
            value(t)
            self.keys.append((key, key_at, value_at, t))
            self.boundaries += [key_at + 8, value_at, at]
        alignment = 32
        for key, _, value_at, t in self.keys:
            if key == b"general.alignment" and t == 4: alignment = struct.unpack_from("<I", data, value_at)[0]
        for _ in range(n_tensors):
            name_at = at
            name = string()
            dims_at = at
            nd = u32()
            for _ in range(nd): u64()
            type_at = at; u32()
            offset_at = at; u64()
            self.tensors.append(dict(name=name, name_at=name_at, dims_at=dims_at, ndims=nd, type_at=type_at, offset_at=offset_at))
            self.boundaries += [name_at + 8, dims_at, dims_at + 4, type_at, offset_at, at]
        self.header_end = at
        self.data_start = (at + alignment - 1) // alignment * alignment
        self.alignment = alignment


def mutate(header, size, rng):
    """One mutation: returns (kind, header bytes to write, length of the file to make, data flips)."""
    data = bytearray(header.data[:header.data_start])
    length = size
    flips = []
    kind = rng.choice(KINDS_WITH_WEIGHTS)
    def put64(at, v): struct.pack_into("<Q", data, at, v & (2**64 - 1))
    def put32(at, v): struct.pack_into("<I", data, at, v & (2**32 - 1))
    huge = [2**64 - 1, 2**63, 2**63 - 1, 2**62, 2**32, 2**32 - 1, 2**31, size, size + 1, size * 2, header.data_start, 10**12]
    if kind == "bitflip":
        # A few bits anywhere in the header, half the time in the tensor table.
        lo = header.tensors[0]["name_at"] if rng.random() < 0.5 and header.tensors else 0
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(lo, header.header_end)
            data[at] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        # At a structure boundary (or a byte off it), or inside the weights.
        if rng.random() < 0.8:
            cut = rng.choice(header.boundaries) + rng.choice([0, 0, 0, -1, 1])
            cut = max(0, min(cut, len(data)))
            data = data[:cut]; length = cut
        else:
            length = rng.randrange(header.data_start, size)
    elif kind == "huge-count":
        at, width = rng.choice(header.counts)
        put64(at, rng.choice(huge + [struct.unpack_from("<Q", data, at)[0] + rng.choice([1, -1, 2, 1000])]))
    elif kind == "offset-past-end":
        t = rng.choice(header.tensors)
        put64(t["offset_at"], rng.choice([size - header.data_start, size, 2**63, 2**64 - header.alignment, (size // header.alignment + 1) * header.alignment,
                                          struct.unpack_from("<Q", data, t["offset_at"])[0] + header.alignment * rng.randint(1, 10**6)]))
    elif kind == "dimensions":
        t = rng.choice(header.tensors)
        choice = rng.random()
        if choice < 0.2:
            put32(t["dims_at"], rng.choice([0, 5, 8, 2**31, 2**32 - 1]))
        else:
            for d in range(t["ndims"]):
                put64(t["dims_at"] + 4 + 8 * d, rng.choice([2**32, 2**33, 2**62, 2**63, 2**64 - 1, 0, 1, 256 * 2**40, 3 * 2**61]))
    elif kind == "duplicate-name":
        # Copy one tensor's name (or metadata key) over another of the same length.
        pool = header.tensors if rng.random() < 0.7 else [dict(name=k, name_at=a) for k, a, _, _ in header.keys]
        by_length = {}
        for t in pool: by_length.setdefault(len(t["name"]), []).append(t)
        groups = [g for g in by_length.values() if len(g) > 1]
        if groups:
            a, b = rng.sample(rng.choice(groups), 2)
            data[b["name_at"] + 8:b["name_at"] + 8 + len(a["name"])] = a["name"]
    elif kind == "unknown-type":
        if rng.random() < 0.6:
            t = rng.choice(header.tensors)
            put32(t["type_at"], rng.choice([4, 5, 7, 9, 10, 11, 13, 15, 16, 24, 27, 28, 31, 39, 40, 255, 2**31, 2**32 - 1]))
        else:
            put32(rng.choice(header.value_types), rng.choice([13, 14, 100, 2**31, 2**32 - 1] + list(range(13))))
    elif kind == "misaligned":
        t = rng.choice(header.tensors)
        put64(t["offset_at"], struct.unpack_from("<Q", data, t["offset_at"])[0] + rng.randint(1, header.alignment - 1))
    elif kind == "hyperparameter":
        # A number in the metadata (hyperparameters, token ids, flags) set to something hostile.
        numeric = [(k, a, t) for k, _, a, t in header.keys if t in VALUE_SIZES]
        key, at, t = rng.choice(numeric)
        width = VALUE_SIZES[t]
        if t == 6: struct.pack_into("<f", data, at, rng.choice([float("nan"), float("inf"), -1.0, 0.0, 1e38, -1e-30]))
        elif t == 12: struct.pack_into("<d", data, at, rng.choice([float("nan"), float("inf"), -1.0, 0.0, 1e300]))
        else:
            v = rng.choice([0, 1, 2, 3, 7, -1, 2**(8 * width - 1), 2**(8 * width) - 1, 2**(8 * width - 1) - 1])
            data[at:at + width] = (v & (2**(8 * width) - 1)).to_bytes(width, "little")
    elif kind == "string-value":
        # A metadata string (architecture, tokenizer model and pre-tokenizer, names, vocabulary) changed.
        strings = [(k, a) for k, _, a, t in header.keys if t == 8]
        key, at = rng.choice(strings)
        n = struct.unpack_from("<Q", data, at)[0]
        if n:
            i = at + 8 + rng.randrange(n)
            data[i] = rng.choice([0, 0x0A, 0x1B, 0xFF, 0xC3, ord("x"), ord(" ")])
    elif kind == "overwrite":
        at = rng.randrange(0, header.header_end)
        n = rng.randint(1, 64)
        data[at:at + n] = bytes(rng.randrange(256) for _ in range(n))
    elif kind == "weights":
        # The real weights, with bytes flipped (scales become NaN, infinities, huge values).
        flips = [(rng.randrange(header.data_start, size), rng.randrange(1, 256)) for _ in range(rng.randint(1, 64))]
    return kind, bytes(data), length, flips


KINDS = ["bitflip"] * 4 + ["truncate"] * 3 + ["huge-count"] * 2 + ["offset-past-end", "dimensions", "dimensions",
         "duplicate-name", "unknown-type", "unknown-type", "misaligned", "hyperparameter", "hyperparameter",
         "string-value", "overwrite", "overwrite"]
KINDS_WITH_WEIGHTS = KINDS * 10 + ["weights"]


def write(path, source_path, header_bytes, length, flips):
    """The mutated file: its header, then zeros up to `length` (a hole), or with `flips` the source's
    real weights with those bytes changed."""
    with open(path, "wb") as f:
        f.write(header_bytes[:length])
        if flips:
            with open(source_path, "rb") as src:
                src.seek(f.tell())
                while f.tell() < length:
                    chunk = src.read(min(1 << 22, length - f.tell()))
                    if not chunk: break
                    f.write(chunk)
                for at, x in flips:
                    if at < length:
                        src.seek(at); original = src.read(1)[0]
                        f.seek(at); f.write(bytes([original ^ x]))
        f.truncate(length)


def classify(rc, stderr, timed_out):
    if timed_out: return "hang"
    if rc < 0: return "crash"
    if rc == 0: return "ran"
    lines = [l for l in stderr.decode("utf-8", "replace").splitlines() if l.strip()]
    if len(lines) == 1 and lines[0].startswith("Error: "): return "refused"
    return "unclear"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=10000, help="files to try in all")
    ap.add_argument("--gemma-share", type=float, default=0.2, help="share of the files mutated from Gemma 3 (the rest from SmolLM2)")
    ap.add_argument("--timeout", type=float, default=30, help="seconds one run may take before it counts as a hang")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "switchyard-mutations"))
    ap.add_argument("--binary", default=".build/release/switchyard")
    ap.add_argument("--models", default=os.environ.get("SWITCHYARD_MODELS", os.path.expanduser("~/.cache/switchyard/models")))
    ap.add_argument("--keep", default=None, help="folder to copy the header of every crash, hang and unclear file to")
    args = ap.parse_args()

    sources = []
    for name, share in [("SmolLM2-135M-Instruct.Q4_1.gguf", 1 - args.gemma_share), ("gemma-3-270m-q4_k_m.gguf", args.gemma_share)]:
        path = os.path.join(args.models, name)
        with open(path, "rb") as f: head = f.read(16 << 20)
        header = Header(head)
        sources.append((name, path, header, os.path.getsize(path), share))
        print(f"{name}: header {header.header_end} bytes, {len(header.keys)} keys, {len(header.tensors)} tensors, "
              f"{len(header.boundaries)} boundaries", flush=True)
    os.makedirs(args.workdir, exist_ok=True)
    if args.keep: os.makedirs(args.keep, exist_ok=True)

    plan = []
    rng = random.Random(args.seed)
    for i in range(args.count):
        src = sources[0] if rng.random() >= args.gemma_share else sources[1]
        plan.append((i, src, rng.randrange(2**63)))

    counts, by_kind, examples = {}, {}, {}
    started = time.time()

    def one(item):
        i, (name, path, header, size, _), seed = item
        kind, header_bytes, length, flips = mutate(header, size, random.Random(seed))
        file = os.path.join(args.workdir, f"m{i}.gguf")
        write(file, path, header_bytes, length, flips)
        t0 = time.time()
        try:
            p = subprocess.run([args.binary, "generate", "-m", file, "-p", "Hello", "-n", "1", "--context", "64", "--seed", "1", "-t", "1"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=args.timeout,
                               env=dict(os.environ, SWIFT_BACKTRACE="enable=no"))
            outcome = classify(p.returncode, p.stderr, False)
            err = p.stderr.decode("utf-8", "replace").strip()
        except subprocess.TimeoutExpired as e:
            outcome, err = "hang", ""
        elapsed = time.time() - t0
        if outcome in ("crash", "hang", "unclear") and args.keep:
            with open(os.path.join(args.keep, f"{outcome}-{i}-{name[:6]}-{kind}.gguf"), "wb") as f: f.write(header_bytes[:min(length, len(header_bytes))])
        os.unlink(file)
        return i, name, kind, outcome, err, elapsed

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for done, (i, name, kind, outcome, err, elapsed) in enumerate(pool.map(one, plan), 1):
            counts[outcome] = counts.get(outcome, 0) + 1
            by_kind.setdefault(kind, {}).setdefault(outcome, 0)
            by_kind[kind][outcome] += 1
            if outcome not in ("ran", "refused"):
                print(f"  file {i} ({name}, {kind}): {outcome} after {elapsed:.1f}s: {err[:400]}", flush=True)
            message = re.sub(r"\d+", "N", err.splitlines()[0] if err else "")[:90]
            if outcome == "refused": examples[message] = examples.get(message, 0) + 1
            if done % 500 == 0:
                print(f"{done} files, {time.time() - started:.0f}s: {counts}", flush=True)

    total = time.time() - started
    print(f"\n{args.count} files tried in {total:.0f}s ({total / max(args.count, 1):.2f}s each)")
    for outcome in ["ran", "refused", "crash", "hang", "unclear"]:
        print(f"  {outcome:8s} {counts.get(outcome, 0)}")
    print("\nby mutation:")
    for kind in sorted(by_kind):
        print(f"  {kind:16s} " + ", ".join(f"{o} {n}" for o, n in sorted(by_kind[kind].items())))
    print("\nmost common refusals (numbers as N):")
    for message, n in sorted(examples.items(), key=lambda x: -x[1])[:25]:
        print(f"  {n:5d}  {message}")
    sys.exit(1 if counts.get("crash") or counts.get("hang") or counts.get("unclear") else 0)


if __name__ == "__main__":
    main()
