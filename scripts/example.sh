#!/usr/bin/env bash
# Builds and runs Examples/GenerateText, an app that depends on Switchyard by git URL and version
# as any package would: it clones this checkout's HEAD into a bare repository beside the example,
# tags it 0.1.0 there, and lets SwiftPM resolve `from: "0.1.0"` against it. SwiftPM refuses a
# versioned dependency with unsafe flags, so this also proves the library has none.
set -euo pipefail
cd "$(dirname "$0")/.."
example=Examples/GenerateText
release=$example/.release/switchyard.git
rm -rf "$release" "$example/.build"
git clone -q --bare . "$release"
git -C "$release" tag -f 0.1.0 HEAD > /dev/null
swift build --package-path "$example" -c release 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
"$example/.build/release/GenerateText" "$@"
