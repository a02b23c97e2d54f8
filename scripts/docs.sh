#!/usr/bin/env bash
# Builds the API documentation (DocC) of the library targets into .build-docs/, failing on any
# warning. Open .build-docs/<Target>.doccarchive with `docc preview`, or serve it as static files.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-docs
mkdir -p "$out"
for target in Switchyard SwitchyardModels; do
    log="$out/$target.log"
    if ! swift package --allow-writing-to-directory "$out" generate-documentation --target "$target" \
        --warnings-as-errors --output-path "$out/$target.doccarchive" > "$log" 2>&1; then
        grep -vE '^\[[0-9]+/[0-9]+\]' "$log" >&2
        echo "docs: $target failed (log: $log)" >&2
        exit 1
    fi
    if grep -E "warning:" "$log" >&2; then echo "docs: $target has warnings" >&2; exit 1; fi
done
echo "API documentation: $out/Switchyard.doccarchive, $out/SwitchyardModels.doccarchive"
