#!/usr/bin/env bash
# Runs the whole test suite once under the address sanitizer (Swift and C targets instrumented; the
# system's OpenBLAS and Vulkan driver are not). Slow: a separate build in .build-asan, and the suite
# takes a few times its usual 10 minutes on 2 cores. Not part of CI; see docs/fuzzing.md for its last
# result. Arguments go to `swift test` (e.g. --filter GGUFTests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scratch=.build-asan
swift build -c release --build-tests -Xswiftc -enable-testing --sanitize=address --scratch-path "$scratch" 2>&1 \
    | grep -vE '^\[[0-9]+/[0-9]+\]|Cannot export local symbol' || true
# Swift's crash handler off so ASan reports; leaks off: the Swift runtime and OpenBLAS keep memory
# until exit by design.
export SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:halt_on_error=1
# Line-buffered: into a file or a pipe (a log, tee) `swift test` otherwise writes its output 4 KB at
# a time, and a log then shows a test minutes behind the one running (one such log blamed a 3 ms
# tokenizer test for the minutes ServeTests took).
stdbuf -oL -eL swift test -c release -Xswiftc -enable-testing --disable-swift-testing --skip-build --sanitize=address \
    --scratch-path "$scratch" "$@"
