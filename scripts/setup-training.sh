#!/usr/bin/env bash
# Creates training/.venv with the pinned training toolchain (training/requirements.txt).
# Re-running is cheap: pip only installs what changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=training/.venv
if [[ ! -x "$VENV/bin/python" ]]; then
  echo "setup-training: creating $VENV and installing training/requirements.txt (first run: a few minutes)" >&2
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r training/requirements.txt
