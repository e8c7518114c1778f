#!/bin/bash
# mpi-measure.sh [SCENARIO] [REPLICATES] — what the README's HPC section
# quotes: wall time of 1 and 2 MPI ranks (1 thread each) against the serial
# build, each rank's maximum RSS (/usr/bin/time), the bytes of results sent to
# rank 0, and — as the machine's own limit — two independent serial
# processes sharing the same work (no communication at all). Run from the
# source tree after `make build` and the MPI build (tests/mpi/build.sh).
set -euo pipefail
scenario=${1:-scenarios/illustrative.yaml}
n=${2:-40}
serial=${SERIAL:-build/casesim}
mpi=${MPI:-build-mpi/casesim}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f "serial build, 1 thread: wall %e s, user %U s, max RSS %M KB" \
    "$serial" run "$scenario" -o "$tmp/s.h5" -n "$n" -t 1 -q
h=$(( n / 2 ))
start=$(date +%s.%N)
"$serial" run "$scenario" -o "$tmp/i1.h5" -n "$h" -t 1 -q &
"$serial" run "$scenario" -o "$tmp/i2.h5" -n $((n - h)) --first-replicate "$h" -t 1 -q &
wait
echo "two independent serial processes (half each): wall $(echo "$(date +%s.%N) - $start" | bc) s"
for k in 1 2; do
    start=$(date +%s.%N)
    mpirun -np "$k" /usr/bin/time -f "  a rank: wall %e s, user %U s, max RSS %M KB" \
        "$mpi" run "$scenario" -o "$tmp/m$k.h5" -n "$n" -t 1 -q
    echo "mpirun -np $k (1 thread each): wall $(echo "$(date +%s.%N) - $start" | bc) s"
done
/usr/bin/python3 - "$tmp/s.h5" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
names = ["measures", "outcome_counts", "stage_entries", "stage_stats", "backlog",
         "period_entries", "period_outcomes"]
v = list(f["runs"])
per = 56 + sum(f[f"runs/{v[0]}/{k}"][0].nbytes for k in names)
n = f["runs/" + v[0] + "/measures"].shape[0]
print(f"results message: {per} bytes per (variant, replicate); {len(v)} variants x {n} "
      f"replicates = {per * len(v) * n / 1e6:.2f} MB in all (half of it sent by rank 1 of 2)")
PY
start=$(date +%s.%N)
"$serial" merge "$tmp/i1.h5" "$tmp/i2.h5" -o "$tmp/j.h5" 2>/dev/null
echo "writing them (casesim merge: read + write + analysis): wall $(echo "$(date +%s.%N) - $start" | bc) s"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
