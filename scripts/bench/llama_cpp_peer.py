#!/usr/bin/env python3
"""llama.cpp as `switchyard bench --vs-llama-cpp` runs it: loaded once, then one timed repetition
per line read from standard input, so the two runtimes alternate in one run.

    python llama_cpp_peer.py MODEL.gguf THREADS CONTEXT

Each input line is a JSON object {"prompt": [token ids], "generate": N, "depth": D}; each output line is
{"prefill_s": seconds for the prompt in one batch, "decode_s": seconds for N single-token steps,
"first_token_s": prefill plus the first greedy pick}. Decode feeds greedy picks back one token at a
time, as llama-bench's tg test does, after the whole prompt, or (D below the prompt's length) from a
cleared cache holding only its first D tokens. The cache is cleared before each repetition.

llama.cpp runs with its defaults, runtime weight repacking included (its fast path on x86: Q4_K
and Q4_0 weights go to integer kernels). The fidelity fixtures turn repacking off instead
(scripts/fixtures/make_logit_fixtures.py): there llama.cpp is the near-exact yardstick, here the
speed to beat.
"""
import json
import sys
import time

import numpy as np
from llama_cpp import Llama


def last_logits(llm: Llama) -> np.ndarray:
    """The logits of the last token evaluated (without logits_all, llama.cpp computes only those)."""
    return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),))


def main(model_path: str, threads: int, context: int) -> None:
    llm = Llama(model_path=model_path, n_ctx=context, n_batch=512, n_ubatch=512, n_threads=threads,
                n_threads_batch=threads, logits_all=False, verbose=False)
    print(json.dumps({"ready": True, "llama_cpp_python": __import__("llama_cpp").__version__}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        prompt, steps = request["prompt"], request["generate"]
        llm.reset()
        start = time.perf_counter()
        llm.eval(prompt)
        token = int(np.argmax(last_logits(llm)))
        first = time.perf_counter()
        prefill = first - start
        depth = request.get("depth", len(prompt))
        if depth < len(prompt):
            llm.reset()
            if depth > 0:
                llm.eval(prompt[:depth])
            token = prompt[depth]
            first_decode = time.perf_counter()
        else:
            first_decode = first
        for _ in range(steps):
            llm.eval([token])
            token = int(np.argmax(last_logits(llm)))
        decode = time.perf_counter() - first_decode
        print(json.dumps({"prefill_s": prefill, "decode_s": decode, "first_token_s": first - start}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
