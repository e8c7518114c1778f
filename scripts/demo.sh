#!/usr/bin/env bash
# make demo: run the default scenario and print its report.
# Usage: scripts/demo.sh CASESIM_BINARY OUTPUT_DIR
set -euo pipefail
bin=$1
out=$2
scenario=scenarios/illustrative.yaml
"$bin" --version
if [ -f "$scenario" ] && "$bin" --help | grep -q '^  check'; then
  "$bin" check "$scenario"
else
  echo "casesim: the scenario loader has not landed yet; only the build was checked." >&2
fi
