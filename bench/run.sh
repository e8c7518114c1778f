#!/usr/bin/env bash
# run.sh BUILD_DIR — throughput of the engine on the illustrative scenario and
# on a capacity-free one, with 1 and 2 threads.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
bin="$build/bench/cs_bench_throughput"
for threads in 1 2; do
  "$bin" "$here/../scenarios/illustrative.yaml" 4 "$threads"
  "$bin" "$here/capacity_free.yaml" 4 "$threads"
done
