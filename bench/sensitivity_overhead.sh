#!/usr/bin/env bash
# Sensitivity overhead (bench/README.md): `casesim sensitivity` with N rows
# against `casesim run` of the same number of replicates (drawn inputs, so
# that both compile the scenario at a new point for every replicate) and
# against the run at the scenario's own values (--no-uncertainty), on
# bench/sensitivity.yaml (scenarios/illustrative.yaml with 8 uncertain
# inputs). Paired: the commands alternate, PAIRS times; each line gives wall
# and CPU (user + system) seconds; the summary gives medians and runs per
# second. Usage: bash bench/sensitivity_overhead.sh BUILD_DIR [N] [PAIRS] [THREADS]
set -euo pipefail
build=${1:?usage: bench/sensitivity_overhead.sh BUILD_DIR [N] [PAIRS] [THREADS]}
n=${2:-16}
pairs=${3:-3}
threads=${4:-2}
here=$(cd "$(dirname "$0")" && pwd)
casesim="$build/casesim"
scenario="$here/sensitivity.yaml"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$casesim" sensitivity "$scenario" -o "$tmp/probe.h5" -N 2 --noise 2 -q
runs=$(/usr/bin/python3 -c 'import h5py, sys
g = h5py.File(sys.argv[1], "r")["sensitivity"].attrs
d = int(g["factors"]); n = int(sys.argv[2]); m = max(16, n // 16) if n >= 16 else n
print(n * (d + 2) + min(m, n) + 1 + 2 * d)' "$tmp/probe.h5" "$n")
echo "N = $n: $runs runs of every variant; $pairs pairs; $threads threads"

timed() { # timed LABEL COMMAND...: prints LABEL wall cpu
    local label=$1
    shift
    /usr/bin/time -f "%e %U %S" -o "$tmp/t" "$@" >/dev/null 2>&1
    read -r wall user sys <"$tmp/t"
    echo "$label $wall $(echo "$user + $sys" | bc)"
}
for p in $(seq 1 "$pairs"); do
    timed sensitivity "$casesim" sensitivity "$scenario" -o "$tmp/s.h5" -N "$n" -t "$threads" -q \
        --overwrite
    timed run_drawn "$casesim" run "$scenario" -o "$tmp/r.h5" -n "$runs" -t "$threads" -q \
        --overwrite
    timed run_fixed "$casesim" run "$scenario" -o "$tmp/f.h5" -n "$runs" -t "$threads" -q \
        --overwrite --no-uncertainty
done | tee "$tmp/times"
/usr/bin/python3 - "$tmp/times" "$runs" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
runs = int(sys.argv[2])
med = {}
for k in ("sensitivity", "run_drawn", "run_fixed"):
    w = [float(r[1]) for r in rows if r[0] == k]
    c = [float(r[2]) for r in rows if r[0] == k]
    med[k] = (statistics.median(w), statistics.median(c))
    print(f"{k:12s} median wall {med[k][0]:8.2f} s  CPU {med[k][1]:8.2f} s  "
          f"{runs / med[k][0]:7.2f} runs/s wall  {runs / med[k][1]:7.2f} runs/s per CPU-s")
for base in ("run_drawn", "run_fixed"):
    pw = [float(a[1]) / float(b[1]) - 1 for a, b in zip(
        [r for r in rows if r[0] == "sensitivity"], [r for r in rows if r[0] == base])]
    pc = [float(a[2]) / float(b[2]) - 1 for a, b in zip(
        [r for r in rows if r[0] == "sensitivity"], [r for r in rows if r[0] == base])]
    print(f"overhead over {base}: wall {100 * statistics.median(pw):+.1f}%, "
          f"CPU {100 * statistics.median(pc):+.1f}% (median of paired ratios)")
PY
