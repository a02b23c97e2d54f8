#!/usr/bin/env bash
# The Python environment the `switchyard serve` tests drive the server from: the real `openai`
# client from PyPI. Skips the install when the venv
# already has it.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-serve
[ -x $venv/bin/python ] && $venv/bin/python -c "import openai" 2>/dev/null && { echo "$venv ready"; exit 0; }
python3 -m venv $venv
$venv/bin/pip install --quiet --disable-pip-version-check "openai==3.51.0"
$venv/bin/python -c "import openai"
echo "$venv ready"
