#!/usr/bin/env bash
# npm run train -- --data DIR [--reduced] [--out DIR] [--reports DIR] [--evaluate-only] [...]
# Builds the training set with the TypeScript featurizer, then fits, evaluates and exports the
# ensemble with training/train.py (every flag other than --data goes to it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
data="${CV_DATA_DIR:-}"
args=()
while (($#)); do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    --data=*) data="${1#--data=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
[[ -n "$data" ]] || { echo "train: give --data DIR (the folder with the CSVs and CV files) or set CV_DATA_DIR" >&2; exit 2; }
bash scripts/setup-training.sh
mkdir -p training/work
npx tsx training/export-dataset.ts --data "$data" --out training/work/dataset.jsonl
training/.venv/bin/python training/train.py --dataset training/work/dataset.jsonl "${args[@]}"
