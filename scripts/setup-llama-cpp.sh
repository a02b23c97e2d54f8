#!/usr/bin/env bash
# The peer for `switchyard bench --vs-llama-cpp`: llama-cpp-python from PyPI, plain CPU build (on
# this kind of machine it is faster than its OpenBLAS build for both prefill and decode, so it is
# the one to beat). Compiles llama.cpp: a few minutes. Installs into .venv-llama (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-llama
[ -x $venv/bin/python ] && $venv/bin/python -c "import llama_cpp" 2>/dev/null && { echo "$venv ready"; exit 0; }
python3 -m venv $venv
# --no-cache-dir: pip would otherwise reuse a wheel compiled with other CMAKE_ARGS.
$venv/bin/pip install --quiet --no-cache-dir --no-binary llama-cpp-python llama-cpp-python==0.3.36 numpy
$venv/bin/python -c "import llama_cpp, pathlib, sys; lib = pathlib.Path(llama_cpp.__file__).parent / \"lib\"; sys.exit(\"BLAS build found; expected the plain CPU build\" if list(lib.glob(\"libggml-blas*\")) else 0)"
echo "$venv ready"
