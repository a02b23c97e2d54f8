#!/usr/bin/env bash
# Builds and runs Switchyard's libFuzzer targets under the address sanitizer (docs/fuzzing.md).
#
#   Fuzz/fuzz.sh build                  build every target into .build-fuzz
#   Fuzz/fuzz.sh seeds                  write the seed corpora into .build-fuzz/corpus/TARGET
#   Fuzz/fuzz.sh run TARGET SECONDS     fuzz one target (FuzzGGUF, FuzzModel, FuzzTokenizers, FuzzUserText)
#   Fuzz/fuzz.sh ci [SECONDS]           build, seed, and fuzz each target SECONDS (default 45); any finding fails
#
# Findings (crash-*, timeout-*, oom-*; slow-unit-* are only listed) land in .build-fuzz/findings/TARGET; replay one with
# `.build-fuzz/release/TARGET FILE`. The corpora grow in .build-fuzz/corpus (never committed).
# Needs the real models for FuzzTokenizers and the real-file seeds (scripts/fetch-models.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scratch=$root/.build-fuzz
targets=(FuzzGGUF FuzzModel FuzzTokenizers FuzzUserText)

build() {
    # SwiftPM keeps the source lists of a path dependency in its build plan: planning afresh makes it
    # see files added to the main package since the last build.
    rm -f "$scratch/release.yaml"
    # The sanitizers come from the command line, never from a manifest, and for swiftc as one flag:
    # given separately (SwiftPM's --sanitize=fuzzer --sanitize=address) the last one wins and the
    # Swift code is left without coverage counters. --sanitize=fuzzer is still given so that SwiftPM
    # links libFuzzer's main rather than the target's own entry point. -enable-testing lets the targets reach the models
    # layer's internal pieces (StopStringFilter, the GPT-2 byte map).
    swift build --package-path Fuzz -c release --scratch-path "$scratch" \
        --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
    for t in "${targets[@]}"; do
        [ -x "$scratch/release/$t" ] || { echo "fuzz.sh: $t did not build" >&2; exit 1; }
    done
}

seeds() {
    for t in "${targets[@]}"; do
        mkdir -p "$scratch/corpus/$t"
        SWITCHYARD_FUZZ_SEEDS="$scratch/corpus/$t" "$scratch/release/$t"
    done
    # Seeds from files: the tokenizer fixtures' texts in every mode, and the JSON configs and profiles.
    python3 - "$scratch/corpus" <<'PY'
import json, glob, sys, os
corpus = sys.argv[1]
for path in glob.glob("Tests/SwitchyardTests/Fixtures/tokenizer-*.json"):
    cases = json.load(open(path)).get("cases", [])
    for i, case in enumerate(cases[:200]):
        text = case["text"].encode("utf-8", "surrogatepass")
        mode = (1 if case.get("add_special") else 0) | (2 if case.get("parse_special") else 0)
        name = f"fixture-{os.path.basename(path)[:-5]}-{i}"
        open(os.path.join(corpus, "FuzzTokenizers", name), "wb").write(bytes([mode]) + text)
for path in glob.glob("configs/*.json") + glob.glob("profiles/*.json"):
    data = open(path, "rb").read()
    open(os.path.join(corpus, "FuzzUserText", "json-" + os.path.basename(path)), "wb").write(b"\x00" + data)
PY
}

# The largest input each target is given: whole tiny models for the GGUF and model targets.
max_len() { case "$1" in FuzzGGUF|FuzzModel) echo 131072 ;; *) echo 4096 ;; esac; }

run() {
    local target=$1 seconds=$2
    mkdir -p "$scratch/corpus/$target" "$scratch/findings/$target"
    # Swift's own crash handler is turned off so that ASan and libFuzzer report the crash; Swift's
    # runtime keeps some memory alive until exit, so leak checking stays off.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
    "$scratch/release/$target" "$scratch/corpus/$target" \
        -max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=10 -rss_limit_mb=4096 \
        -artifact_prefix="$scratch/findings/$target/" -print_final_stats=1 2>&1 | tee "$scratch/$target.log" \
        | grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|stat::|ERROR|fuzz check|Fatal|SUMMARY' || true
    # slow-unit-* files are inputs that took over 10 s of wall time: on a machine whose cores are
    # shared that is usually the machine, not the input, so they are listed but do not fail the run
    # (a real hang past -timeout is a timeout-* finding).
    if ls "$scratch/findings/$target/" | grep -q '^slow-unit-'; then
        echo "fuzz.sh: $target: slow inputs (wall time; replay to check): $(ls "$scratch/findings/$target/" | grep '^slow-unit-')" >&2
    fi
    if ls "$scratch/findings/$target/" | grep -qv '^slow-unit-'; then
        echo "fuzz.sh: $target found something: $(ls "$scratch/findings/$target/" | grep -v '^slow-unit-')" >&2
        return 1
    fi
}

case "${1:-}" in
    build) build ;;
    seeds) seeds ;;
    run) run "$2" "$3" ;;
    ci)
        build; seeds
        status=0
        for t in "${targets[@]}"; do run "$t" "${2:-45}" || status=1; done
        exit $status ;;
    *) sed -n 2,12p "$0"; exit 2 ;;
esac
