#!/usr/bin/env bash
# Runs every micro-benchmark (one executable per bench/*.c) of a build
# directory: bash bench/run.sh BUILD_DIR [ARGS...]. Called by `make bench`.
set -euo pipefail
build=${1:?usage: bench/run.sh BUILD_DIR [ARGS...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
for src in "$here"/*.c; do
  name=$(basename "$src" .c)
  exe="$build/bench/$name"
  if [ ! -x "$exe" ]; then
    echo "bench/run.sh: $exe not built (run make build)" >&2
    exit 1
  fi
  echo "== $name"
  "$exe" "$@"
done
