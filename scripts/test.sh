#!/usr/bin/env bash
# Runs the whole test suite: unit tests, the backend conformance suite, and the real-model tests
# (teacher-forced agreement with llama.cpp, the CLI end to end), then a short run of each fuzz target
# under the address sanitizer (Fuzz/fuzz.sh ci: 45 s each; left out when arguments pick tests, or with
# SWITCHYARD_SKIP_FUZZ=1). Sets up first, so a fresh machine works. Tests run in a release build: the
# reference backend is scalar and too slow in debug.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --build-tests -Xswiftc -enable-testing 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
swift test -c release -Xswiftc -enable-testing --disable-swift-testing --skip-build "$@"
# The library as an app depends on it (by git URL and version: no unsafe flags allowed), and its
# API documentation without warnings.
scripts/example.sh
scripts/docs.sh
if [ $# -eq 0 ] && [ "${SWITCHYARD_SKIP_FUZZ:-0}" != 1 ]; then
    Fuzz/fuzz.sh ci 45
fi
