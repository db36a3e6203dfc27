#!/usr/bin/env bash
# npm run train -- --data DIR [--reduced] [--out DIR] [--reports DIR] [--evaluate-only] [...]
# Builds the training set with the TypeScript featurizer, then fits, evaluates and exports the
# ensemble with training/train.py (every flag other than --data goes to it). Writes a new folder
# out/train-<UTC time>/{model,reports} unless --out / --reports name folders (see --help).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() {
  cat <<'EOF'
usage: npm run train -- [--data DIR] [train.py flags]
       bash scripts/train.sh [--data DIR] [train.py flags]
       npm run evaluate:cv -- [--data DIR] [train.py flags]   (the same with --evaluate-only)

Sets up training/.venv (scripts/setup-training.sh), exports the training set with the TypeScript
featurizer (training/export-dataset.ts -> training/work/dataset.jsonl), then fits, evaluates and
exports the ensemble with training/train.py. Prints where it wrote.

Where it writes: a new folder out/train-<UTC time>/ with model/ and reports/. The shipped model
(models/) and the committed reports (reports/) are replaced only when named: --out models, --reports
reports. A named folder must be new, empty, or an earlier run's output.

train.sh flags:
  --data DIR            folder with the title CSVs and the CV JSON files (default: $CV_DATA_DIR)
  --corrections FILE    analysts' corrections (cv-pipeline corrections export --csv FILE): title
                        corrections train as labeled CV titles, weighted like the annotated CVs
  -h, --help            this help (needs neither the venv nor node_modules)

Every other flag goes to training/train.py:
EOF
  if command -v python3 >/dev/null; then
    PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=training python3 -m cvtrain.options --flags-help  # train.py's own parser: always in sync
  else
    echo "(python3 not found; the flags of training/train.py are in training/cvtrain/options.py)"
  fi
}

die() { echo "train: $*" >&2; exit 2; }

data="${CV_DATA_DIR:-}"
corrections=""
args=()
while (($#)); do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --data) (($# >= 2)) || die "--data needs a folder"; data="$2"; shift 2 ;;
    --data=*) data="${1#--data=}"; shift ;;
    --corrections) (($# >= 2)) || die "--corrections needs a CSV"; corrections="$2"; shift 2 ;;
    --corrections=*) corrections="${1#--corrections=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
[[ -n "$data" ]] || die "give --data DIR (the folder with the CSVs and CV files) or set CV_DATA_DIR (--help lists the flags)"
[[ -d "$data" ]] || die "--data $data: no such folder"
[[ -z "$corrections" || -f "$corrections" ]] || die "--corrections $corrections: no such file"
command -v python3 >/dev/null || die "python3 is needed (3.11; scripts/setup-training.sh builds training/.venv with it)"

# Check train.py's flags and output folders now, before the venv and the dataset export (minutes),
# and fix the default output folder (out/train-<UTC time>/) once. Prints where the run writes.
outputs=()
resolved=$(mktemp)
trap 'rm -f "$resolved"' EXIT
TRAIN_PROG=train PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=training python3 -m cvtrain.options "${args[@]}" >"$resolved" || exit 2
mapfile -d '' outputs <"$resolved"

started=$SECONDS
step() { echo "train: [$1/3, $((SECONDS - started)) s] $2" >&2; }
step 1 "training/.venv (scripts/setup-training.sh)"
bash scripts/setup-training.sh
step 2 "exporting the training set (training/export-dataset.ts)"
mkdir -p training/work
npx tsx training/export-dataset.ts --data "$data" --out training/work/dataset.jsonl ${corrections:+--corrections "$corrections"}
step 3 "fitting, evaluating and exporting (training/train.py)"
training/.venv/bin/python training/train.py --dataset training/work/dataset.jsonl "${args[@]}" "${outputs[@]}"
echo "train: finished in $((SECONDS - started)) s" >&2
