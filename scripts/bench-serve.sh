#!/usr/bin/env bash
# The `switchyard serve` load test: starts the server on a free loopback port, sends REQUESTS chat
# requests (half streamed, eight prompts in turn, temperature 0) from CLIENTS threads with the real
# `openai` client, checks that every answer arrived and equals its prompt's answer alone, prints
# throughput and latency percentiles as JSON, and stops the server. Figures: docs/benchmarks.md.
#   scripts/bench-serve.sh [MODEL] [REQUESTS] [CLIENTS] [MAX_TOKENS] [PARALLEL]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-smollm2}; requests=${2:-200}; clients=${3:-16}; max_tokens=${4:-32}; parallel=${5:-8}
scripts/setup-serve-venv.sh >/dev/null
out=$(mktemp)
.build/release/switchyard serve -m "$model" --host 127.0.0.1 --port 0 --parallel "$parallel" --queue 64 --context 1024 -t 2 >"$out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 1 600); do grep -q "listening on" "$out" && break; sleep 0.2; done
base=$(grep -o 'http://127.0.0.1:[0-9]*' "$out" | head -1)
[ -n "$base" ] || { echo "bench-serve: the server did not start:" >&2; cat "$out" >&2; exit 1; }
echo "server: $(grep 'listening on' "$out")"
timeout 1800 .venv-serve/bin/python Tests/serve/serve_checks.py load --base "$base" --model "$model" \
  --requests "$requests" --clients "$clients" --max-tokens "$max_tokens" --deadline 1700
curl -s "$base/metrics" | grep -E '^switchyard_(prefill|decode)_(seconds_total|tokens_per_second)|^switchyard_time_to_first_token_seconds_(sum|count)'
