#!/usr/bin/env bash
# The peers for `switchyard bench`, both from llama.cpp as `llama-cpp-python` 0.3.36 vendors it:
#   .llama-bench/build/bin/llama-bench  llama.cpp's own benchmark, built natively (-DGGML_NATIVE=ON, CPU
#                                 only) from the source package's llama.cpp copy, with cmake and
#                                 ninja from PyPI: `bench --vs-llama-cpp`, the peer to beat.
#   .llama-bench/build-avx2/bin/llama-bench  with --avx2 only: the same for AVX2 without AVX-512,
#                                 the peer of the AVX2 tier (`SWITCHYARD_CPU=avx2 … --llama-bench` it).
#   .venv-llama                   the Python binding, plain CPU build (`bench --vs-llama-cpp-python`,
#                                 the fidelity fixtures); it adds per-call overhead of its own.
# Each is skipped when present. Compiles llama.cpp twice: several minutes. All paths git-ignored.
set -euo pipefail
cd "$(dirname "$0")/.."
version=0.3.36
sdist_sha=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
bench=.llama-bench
case "${1:-}" in
  "") avx2=0 ;;
  --avx2) avx2=1 ;;
  *) echo "usage: scripts/setup-llama-cpp.sh [--avx2]" >&2; exit 2 ;;
esac

# The source package's llama.cpp copy in $bench/src, and cmake and ninja in $bench/tools.
fetch_source() {
  [ -f $bench/src/vendor/llama.cpp/CMakeLists.txt ] && return
  mkdir -p $bench
  [ -x $bench/tools/bin/cmake ] || { python3 -m venv $bench/tools && $bench/tools/bin/pip install --quiet cmake ninja; }
  archive=$bench/llama_cpp_python-$version.tar.gz
  if ! echo "$sdist_sha  $archive" | sha256sum -c --status 2>/dev/null; then
    # The source package's address from PyPI's simple index (pip would build it to read its metadata).
    $bench/tools/bin/python - "$version" "$archive" <<'PY'
import re, sys, urllib.request
version, dest = sys.argv[1], sys.argv[2]
index = urllib.request.urlopen("https://pypi.org/simple/llama-cpp-python/").read().decode()
url = re.search(r'href="([^"]*llama_cpp_python-%s\.tar\.gz)[#"]' % re.escape(version), index).group(1)
urllib.request.urlretrieve(url, dest)
PY
    echo "$sdist_sha  $archive" | sha256sum -c --status || { echo "setup-llama-cpp: sha256 mismatch for $archive" >&2; exit 1; }
  fi
  rm -rf $bench/src && mkdir -p $bench/src && tar xzf "$archive" -C $bench/src --strip-components 1
}

# build_bench DIR CMAKE_FLAGS...: llama-bench, CPU only, into DIR/bin.
build_bench() {
  local dir=$1
  shift
  if [ -x $dir/bin/llama-bench ]; then echo "$dir/bin/llama-bench ready"; return; fi
  fetch_source
  mkdir -p $dir
  PATH="$PWD/$bench/tools/bin:$PATH" cmake -S $bench/src/vendor/llama.cpp -B $dir -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF "$@" > $dir/setup-cmake.log
  PATH="$PWD/$bench/tools/bin:$PATH" ninja -C $dir llama-bench > $dir/setup-ninja.log
  $dir/bin/llama-bench --version
  echo "$dir/bin/llama-bench ready"
}

build_bench $bench/build -DGGML_NATIVE=ON
if [ $avx2 = 1 ]; then
  build_bench $bench/build-avx2 -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
    -DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AVX_VNNI=OFF
fi

venv=.venv-llama
[ -x $venv/bin/python ] && $venv/bin/python -c "import llama_cpp" 2>/dev/null && { echo "$venv ready"; exit 0; }
python3 -m venv $venv
# --no-cache-dir: pip would otherwise reuse a wheel compiled with other CMAKE_ARGS.
$venv/bin/pip install --quiet --no-cache-dir --no-binary llama-cpp-python llama-cpp-python==$version numpy
$venv/bin/python -c "import llama_cpp, pathlib, sys; lib = pathlib.Path(llama_cpp.__file__).parent / \"lib\"; sys.exit(\"BLAS build found; expected the plain CPU build\" if list(lib.glob(\"libggml-blas*\")) else 0)"
echo "$venv ready"
