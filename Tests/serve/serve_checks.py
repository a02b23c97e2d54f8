#!/usr/bin/env python3
"""Drives a running `switchyard serve` the way its users do: the real `openai` client for the
happy paths, raw HTTP (http.client) for bad input, raw server-sent events and the queue. Each
subcommand is one check; it exits 0 when everything held and 1 with the numbers that differ.
Every wait is bounded (client timeouts, polls with deadlines), so nothing hangs."""

import argparse
import http.client
import json
import re
import sys
import threading
import time
import urllib.parse

import openai

TIMEOUT = 120  # seconds for any one request

PROMPTS = [
    "What is the capital of France?",
    "Name three colors.",
    "Write one sentence about the sea.",
    "What is 2 + 2?",
    "Say hello in Spanish.",
    "What do bees make?",
    "Name a planet in the solar system.",
    "What is the opposite of hot?",
]

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message, flush=True)
    return bool(condition)


def client(base, timeout=TIMEOUT):
    return openai.OpenAI(base_url=base + "/v1", api_key="not-needed", timeout=timeout, max_retries=0)


def raw(base, method, path, body=None, raw_body=None):
    """(status, headers, parsed JSON or text) of one plain HTTP request."""
    url = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=TIMEOUT)
    data = raw_body if raw_body is not None else (json.dumps(body).encode() if body is not None else None)
    conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    text = resp.read().decode()
    conn.close()
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = text
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, parsed


def metrics(base):
    _, _, text = raw(base, "GET", "/metrics")
    values = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, _, value = line.rpartition(" ")
        values[name] = float(value)
    return values


def metric(base, name):
    return metrics(base).get(name, 0.0)


def wait_until(what, predicate, deadline_s=60):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return check(False, f"timed out after {deadline_s}s waiting for {what}")


def chat(c, model, prompt, max_tokens, **extra):
    return c.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}],
                                     max_tokens=max_tokens, temperature=0, **extra)


def streamed_chat_text(c, model, prompt, max_tokens):
    text, usage, finish = "", None, None
    for chunk in chat(c, model, prompt, max_tokens, stream=True, stream_options={"include_usage": True}):
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
    return text, usage, finish


# --- subcommands -------------------------------------------------------------------------------

def basics(args):
    """A chat completion, a streamed one equal to it at temperature 0, a completion (whole and
    streamed), the model list, seeded sampling, and the policy header."""
    c = client(args.base)
    ids = [m.id for m in c.models.list().data]
    check(ids == [args.model], f"/v1/models lists {ids}, expected [{args.model!r}]")

    raw_response = c.chat.completions.with_raw_response.create(
        model=args.model, messages=[{"role": "user", "content": PROMPTS[0]}], max_tokens=args.max_tokens, temperature=0)
    check(raw_response.headers.get("x-switchyard-policy") == args.policy,
          f"X-Switchyard-Policy is {raw_response.headers.get('x-switchyard-policy')!r}, expected {args.policy!r}")
    whole = raw_response.parse()
    text = whole.choices[0].message.content
    check(len(text.strip()) > 0, f"chat completion is empty: {whole}")
    check(whole.choices[0].message.role == "assistant", f"role {whole.choices[0].message.role}")
    check(whole.choices[0].finish_reason in ("stop", "length"), f"finish_reason {whole.choices[0].finish_reason}")
    check(whole.usage.prompt_tokens > 5 and 1 <= whole.usage.completion_tokens <= args.max_tokens,
          f"usage {whole.usage}")
    check(whole.usage.total_tokens == whole.usage.prompt_tokens + whole.usage.completion_tokens, f"usage total {whole.usage}")
    print(f"chat: {text!r} ({whole.usage.prompt_tokens} + {whole.usage.completion_tokens} tokens)")

    streamed, usage, finish = streamed_chat_text(c, args.model, PROMPTS[0], args.max_tokens)
    check(streamed == text, f"streamed chat {streamed!r} differs from the whole answer {text!r}")
    check(usage is not None and usage.completion_tokens == whole.usage.completion_tokens
          and usage.prompt_tokens == whole.usage.prompt_tokens, f"streamed usage {usage} vs {whole.usage}")
    check(finish == whole.choices[0].finish_reason, f"streamed finish {finish} vs {whole.choices[0].finish_reason}")

    completion = c.completions.create(model=args.model, prompt="The capital of France is", max_tokens=args.max_tokens, temperature=0)
    ctext = completion.choices[0].text
    check(len(ctext.strip()) > 0, f"completion is empty: {completion}")
    check(completion.usage.completion_tokens >= 1, f"completion usage {completion.usage}")
    print(f"completion: {ctext!r}")
    pieces = "".join(ch.choices[0].text for ch in c.completions.create(
        model=args.model, prompt="The capital of France is", max_tokens=args.max_tokens, temperature=0, stream=True) if ch.choices)
    check(pieces == ctext, f"streamed completion {pieces!r} differs from {ctext!r}")

    seeded = [c.completions.create(model=args.model, prompt="Once upon a time", max_tokens=args.max_tokens,
                                   temperature=0.9, seed=1234).choices[0].text for _ in range(2)]
    check(seeded[0] == seeded[1], f"the same seed gave {seeded[0]!r} and {seeded[1]!r}")

    # The raw stream: OpenAI's chunk objects, `data: [DONE]` last.
    events = raw_sse(args.base, "/v1/chat/completions", {"model": args.model, "messages": [{"role": "user", "content": PROMPTS[1]}],
                                                         "max_tokens": 4, "temperature": 0, "stream": True})
    check(events and events[-1] == "[DONE]", f"stream does not end with [DONE]: {events[-3:]}")
    chunks = [json.loads(e) for e in events[:-1]]
    check(all(ch["object"] == "chat.completion.chunk" for ch in chunks), f"chunk objects {[ch.get('object') for ch in chunks]}")
    check(chunks[-1]["choices"][0]["finish_reason"] in ("stop", "length"), f"last chunk {chunks[-1]}")


def raw_sse(base, path, body):
    url = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=TIMEOUT)
    conn.request("POST", path, body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    check(resp.status == 200 and resp.getheader("Content-Type", "").startswith("text/event-stream"),
          f"stream answered {resp.status} {resp.getheader('Content-Type')}")
    text = resp.read().decode()
    conn.close()
    return [line[len("data: "):] for line in text.split("\n") if line.startswith("data: ")]


def concurrent(args):
    """Eight streamed requests at once, each with its own prompt, give exactly what each gives alone."""
    c = client(args.base)
    alone = [chat(c, args.model, p, args.max_tokens).choices[0].message.content for p in PROMPTS]
    results = [None] * len(PROMPTS)
    start = threading.Barrier(len(PROMPTS) + 1)
    busiest = [0]

    def run(i):
        start.wait(timeout=TIMEOUT)
        results[i] = streamed_chat_text(c, args.model, PROMPTS[i], args.max_tokens)[0]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(PROMPTS))]
    for t in threads:
        t.start()
    start.wait(timeout=TIMEOUT)
    while any(t.is_alive() for t in threads):
        _, _, health = raw(args.base, "GET", "/health")
        busiest[0] = max(busiest[0], health["slots_processing"])
        time.sleep(0.02)
    for t in threads:
        t.join(timeout=TIMEOUT)
    for i, p in enumerate(PROMPTS):
        check(results[i] == alone[i], f"prompt {i} ({p!r}) gave {results[i]!r} together, {alone[i]!r} alone")
    check(busiest[0] >= 2, f"at most {busiest[0]} request(s) were generating at once; expected several")
    print(f"8 concurrent streams equal their answers alone; up to {busiest[0]} generated at once")


def queue(args):
    """On a server with --parallel 1 --queue 1: a second request waits, a third gets 429; a client
    that closes its stream after a few tokens frees its slot for the waiting one at once."""
    c = client(args.base)
    cancelled_before = metric(args.base, "switchyard_generations_cancelled_total")
    generated_before = metric(args.base, "switchyard_completion_tokens_total")
    long_request = c.completions.create(model=args.model, prompt="1, 2, 3, 4, 5, 6,", max_tokens=400, temperature=0, stream=True)
    received = ""
    for chunk in long_request:
        received += chunk.choices[0].text if chunk.choices else ""
        if len(received) >= 8:
            break
    _, _, health = raw(args.base, "GET", "/health")
    check(health["slots_processing"] == 1, f"health while streaming: {health}")

    waiting = {}

    def second():
        waiting["result"] = raw(args.base, "POST", "/v1/completions",
                                {"model": args.model, "prompt": "The sky is", "max_tokens": 3, "temperature": 0})

    t = threading.Thread(target=second)
    t.start()
    wait_until("the second request to queue", lambda: raw(args.base, "GET", "/health")[2]["queue_depth"] == 1)
    check(metric(args.base, "switchyard_queue_depth") == 1, "switchyard_queue_depth is not 1 with one request waiting")

    status, headers, body = raw(args.base, "POST", "/v1/chat/completions",
                                {"model": args.model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2})
    check(status == 429, f"third request answered {status}, expected 429")
    check(isinstance(body, dict) and body.get("error", {}).get("type") == "rate_limit_error", f"429 body {body}")
    check("x-switchyard-policy" in headers, "429 lacks the policy header")

    long_request.close()   # the client goes away mid-stream
    t.join(timeout=TIMEOUT)
    check(not t.is_alive() and waiting.get("result", (0,))[0] == 200, f"the queued request got {waiting.get('result')}")
    wait_until("the cancelled generation to be counted",
               lambda: metric(args.base, "switchyard_generations_cancelled_total") == cancelled_before + 1)
    wait_until("every slot to be free", lambda: metric(args.base, "switchyard_requests_active") == 0)
    generated = metric(args.base, "switchyard_completion_tokens_total") - generated_before
    check(generated < 400, f"{generated} tokens were generated: the closed stream was not stopped")
    status, _, body = raw(args.base, "POST", "/v1/completions", {"model": args.model, "prompt": "Hello", "max_tokens": 2, "temperature": 0})
    check(status == 200, f"the request after the disconnect got {status}: {body}")
    print(f"429 past the queue; the closed stream stopped after {generated:.0f} tokens in all and freed its slot")


def errors(args):
    """Every bad input gets an OpenAI-style error with the right status; the server goes on serving."""
    good = {"model": args.model, "messages": [{"role": "user", "content": "Say yes."}], "max_tokens": 2, "temperature": 0}
    long_text = "word " * (args.context + 50)
    cases = [
        ("malformed JSON", "/v1/chat/completions", None, b'{"model": "x", "messages": [', 400, None),
        ("empty body", "/v1/chat/completions", None, b"", 400, None),
        ("not an object", "/v1/chat/completions", [1, 2], None, 400, None),
        ("max_tokens a string", "/v1/chat/completions", dict(good, max_tokens="ten"), None, 400, "max_tokens"),
        ("temperature a string", "/v1/chat/completions", dict(good, temperature="hot"), None, 400, "temperature"),
        ("messages a string", "/v1/chat/completions", dict(good, messages="hi"), None, 400, "messages"),
        ("content a number", "/v1/chat/completions", dict(good, messages=[{"role": "user", "content": 5}]), None, 400, "messages[0].content"),
        ("stream a string", "/v1/chat/completions", dict(good, stream="yes"), None, 400, "stream"),
        ("missing messages", "/v1/chat/completions", {"model": args.model}, None, 400, "messages"),
        ("unknown role", "/v1/chat/completions", dict(good, messages=[{"role": "tool", "content": "x"}]), None, 400, "messages[0].role"),
        ("n = 2", "/v1/chat/completions", dict(good, n=2), None, 400, "n"),
        ("temperature 5", "/v1/chat/completions", dict(good, temperature=5), None, 400, "temperature"),
        ("max_tokens 0", "/v1/chat/completions", dict(good, max_tokens=0), None, 400, "max_tokens"),
        ("prompt over the context", "/v1/chat/completions", dict(good, messages=[{"role": "user", "content": long_text}]), None, 400, "messages"),
        ("completion over the context", "/v1/completions", {"model": args.model, "prompt": long_text}, None, 400, None),
        ("unknown model", "/v1/chat/completions", dict(good, model="no-such-model"), None, 404, "model"),
        ("unknown model, completion", "/v1/completions", {"model": "gpt-4", "prompt": "x"}, None, 404, "model"),
        ("two prompts", "/v1/completions", {"model": args.model, "prompt": ["a", "b"]}, None, 400, "prompt"),
        ("no such route", "/v1/embeddings", {"model": args.model, "input": "x"}, None, 404, None),
    ]
    for label, path, body, raw_body, status, param in cases:
        got, headers, answer = raw(args.base, "POST", path, body=body, raw_body=raw_body)
        ok = check(got == status, f"{label}: status {got}, expected {status}: {answer}")
        error = answer.get("error") if isinstance(answer, dict) else None
        ok &= check(isinstance(error, dict) and isinstance(error.get("message"), str) and error.get("type"),
                    f"{label}: not an OpenAI error body: {answer}")
        if param is not None and error:
            ok &= check(error.get("param") == param, f"{label}: param {error.get('param')!r}, expected {param!r}")
        if label == "prompt over the context" and error:
            ok &= check(error.get("code") == "context_length_exceeded", f"{label}: code {error.get('code')}")
        status_good, _, answer_good = raw(args.base, "POST", "/v1/chat/completions", body=good)
        ok &= check(status_good == 200 and answer_good["choices"][0]["message"]["content"] is not None,
                    f"after {label}: the next good request got {status_good}: {answer_good}")
        print(f"{'ok  ' if ok else 'FAIL'} {label}: {got} {error.get('message') if error else answer!r}")
    # The openai client sees these as its typed errors.
    c = client(args.base)
    try:
        c.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}], max_tokens=2)
        check(False, "the openai client got no error for an unknown model")
    except openai.NotFoundError as e:
        check(e.status_code == 404, f"NotFoundError status {e.status_code}")


COMPLETION_PROMPTS = ["The capital of France is", "1, 2, 3, 4,", "Once upon a time", "Bees make",
                      "The opposite of hot is", "My favourite colour is", "Water boils at", "The sun rises in the"]


def ask(c, model, kind, i, max_tokens, stream):
    """One request of the load test: (text, seconds to the first text or None)."""
    began = time.monotonic()
    if kind == "chat":
        if not stream:
            return chat(c, model, PROMPTS[i], max_tokens).choices[0].message.content, None
        text, first = "", None
        for chunk in chat(c, model, PROMPTS[i], max_tokens, stream=True):
            for choice in chunk.choices:
                if choice.delta.content and first is None:
                    first = time.monotonic() - began
                text += choice.delta.content or ""
        return text, first
    request = dict(model=model, prompt=COMPLETION_PROMPTS[i], max_tokens=max_tokens, temperature=0)
    if not stream:
        return c.completions.create(**request).choices[0].text, None
    text, first = "", None
    for chunk in c.completions.create(stream=True, **request):
        for choice in chunk.choices:
            if choice.text and first is None:
                first = time.monotonic() - began
            text += choice.text
    return text, first


def load(args):
    """`--requests` requests from `--clients` threads — chat and completion, streamed and whole, eight
    prompts each, in turn: every answer arrives and equals that request's answer alone. Prints
    throughput and latency percentiles."""
    c = client(args.base)
    kinds = [("chat", True), ("chat", False), ("completion", True), ("completion", False)]
    alone = {(kind, i): ask(c, args.model, kind, i, args.max_tokens, False)[0] for kind in ("chat", "completion") for i in range(8)}
    before = metrics(args.base)
    next_index = [0]
    lock = threading.Lock()
    latencies, first_tokens, results, problems = [], [], {}, []

    def worker():
        # A request may wait behind all the others on a crowded machine: only the run's deadline bounds it.
        mine = client(args.base, timeout=args.deadline)
        while True:
            with lock:
                n = next_index[0]
                if n >= args.requests:
                    return
                next_index[0] += 1
            kind, stream = kinds[n % 4]
            i = (n // 4) % 8
            began = time.monotonic()
            try:
                text, first = ask(mine, args.model, kind, i, args.max_tokens, stream)
            except Exception as e:  # counted as lost, reported below
                with lock:
                    problems.append(f"request {n}: {type(e).__name__}: {e}")
                continue
            took = time.monotonic() - began
            with lock:
                results[n] = (kind, i, text)
                latencies.append(took)
                if first is not None:
                    first_tokens.append(first)

    began = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=args.deadline)
    wall = time.monotonic() - began
    check(not any(t.is_alive() for t in threads), f"load test still running after {args.deadline}s")
    for p in problems:
        check(False, p)
    lost = [n for n in range(args.requests) if n not in results]
    check(not lost, f"{len(lost)} requests lost: {lost[:10]}")
    mixed = [n for n, (kind, i, text) in results.items() if text != alone[(kind, i)]]
    check(not mixed, f"{len(mixed)} answers differ from the same request's answer alone: " +
          "; ".join(f"{n}: {results[n][2]!r} vs {alone[results[n][:2]]!r}" for n in mixed[:3]))
    after = metrics(args.base)

    def pct(values, q):
        values = sorted(values)
        return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))] if values else float("nan")

    def delta(name):
        return after.get(name, 0.0) - before.get(name, 0.0)

    generated = delta("switchyard_completion_tokens_total")
    summary = {
        "requests": args.requests, "clients": args.clients, "max_tokens": args.max_tokens,
        "answered": len(results), "lost": len(lost), "mixed": len(mixed), "wall_s": round(wall, 2),
        "requests_per_s": round(len(results) / wall, 2),
        "completion_tokens": generated, "prompt_tokens": delta("switchyard_prompt_tokens_total"),
        "completion_tokens_per_s": round(generated / wall, 1),
        "latency_s": {q: round(pct(latencies, q), 3) for q in (50, 90, 99)},
        "ttft_s_streamed": {q: round(pct(first_tokens, q), 3) for q in (50, 90, 99)},
    }
    print(json.dumps(summary))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("check", choices=["basics", "concurrent", "queue", "errors", "load"])
    parser.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--model", required=True)
    parser.add_argument("--policy", default="")
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--context", type=int, default=512, help="the server's --context (for the over-context check)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--deadline", type=float, default=600, help="seconds the load test may take")
    args = parser.parse_args()
    globals()[args.check](args)
    if failures:
        print(f"{len(failures)} check(s) failed", flush=True)
        sys.exit(1)
    print("all checks held")


if __name__ == "__main__":
    main()
