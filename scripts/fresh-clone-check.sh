#!/usr/bin/env bash
# scripts/fresh-clone-check.sh: what a new user does, on the committed HEAD of this repository:
# clone it into a temporary folder, `npm ci` on the committed lock, then the README's quick start
# (`npm start`, `npm test`). As a new user: no CI variable, no services, no dataset, no sentence
# encoder, so the tests that need them skip and say why. Fails on any failed step, and on npm
# warnings that mean a stale lock or setup (EBADENGINE, unknown config keys).
# `.ci/run` runs it; by hand: bash scripts/fresh-clone-check.sh [--keep]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work=$(mktemp -d "${TMPDIR:-/tmp}/cv-fresh-clone.XXXXXX")
if [[ "${1:-}" == "--keep" ]]; then echo "fresh-clone-check: keeping $work"; else trap 'rm -rf "$work"' EXIT; fi

# A new user's environment: none of the project's or CI's variables.
unset CI CV_DATA_DIR DATABASE_URL TEST_DATABASE_URL REDIS_URL TEST_REDIS_URL KAFKA_BROKERS TEST_KAFKA_BROKERS \
  EXTRA_MODELS_DIR MODELS_DIR ENCODER_DIR PGLITE_DIR
step() { echo "fresh-clone-check: $*"; }

git clone --quiet "$repo" "$work/cv-pipeline"
cd "$work/cv-pipeline"
step "$(git log -1 --format='%h %s') on node $(node --version), npm $(npm --version)"

step "npm ci"
npm ci 2>&1 | tee "$work/npm-ci.log"
if grep -E 'EBADENGINE|Unknown (project|user|env) config' "$work/npm-ci.log"; then
  step "FAILED: npm ci warned about the engine or the configuration (above)"; exit 1
fi

step "npm start"
npm start 2>&1 | tee "$work/start.log"
grep -q 'profiles stored' "$work/start.log" || { step "FAILED: npm start printed no run summary"; exit 1; }

step "npm test"
npm test
step "passed"
