#!/usr/bin/env bash
# `make bench`: measures casesim against its performance targets (issue 7)
# and prints one table. Usage: bash bench/run.sh BUILD_DIR
#
# For each benchmark scenario (bench/capacity_free.yaml, the default
# scenarios/illustrative.yaml, bench/national.yaml) it times, as medians of
# BENCH_RUNS runs (default 5):
#   - the floor (bench/floor.c): drawing only the random numbers the incidents
#     need, in ns per incident;
#   - the engine (bench/engine_bench.c, a null sink) with 1 thread: ns per
#     incident, incidents/s per core, events/s; and with 2 threads on the same
#     replicates: parallel efficiency = t1 / (2 t2);
#   - peak memory (max RSS, /usr/bin/time) of one engine run at the scenario's
#     cohort_years and at 10x cohort_years (a copy made with sed);
# and for the default scenario, the share of `casesim run`'s wall time that is
# not simulation (writing HDF5, summary and comparison): 1 - t_engine / t_run
# for the same replicates and variants. Then rng_speed (bench/README.md).
#
# Environment: BENCH_RUNS (runs per median, default 5), BENCH_QUICK=1 (tiny
# replicate counts, one run: the smoke test's mode, seconds not minutes).
set -euo pipefail
build=${1:?usage: bench/run.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
floor="$build/bench/floor"
engine="$build/bench/engine_bench"
casesim="$build/casesim"
for exe in "$floor" "$engine" "$build/bench/rng_speed"; do
  if [ ! -x "$exe" ]; then
    echo "bench/run.sh: $exe not built (run make build)" >&2
    exit 1
  fi
done
timebin=/usr/bin/time
if [ ! -x "$timebin" ]; then
  echo "bench/run.sh: /usr/bin/time missing (Debian package 'time'; make deps)" >&2
  exit 1
fi

runs=${BENCH_RUNS:-5}
quick=${BENCH_QUICK:-0}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Scenario files and the replicates each benchmark runs (even counts, so that
# two threads share the work evenly).
names=(capacity_free illustrative national)
declare -A file reps rss_reps
file[capacity_free]="$here/capacity_free.yaml"
file[illustrative]="$root/scenarios/illustrative.yaml"
file[national]="$here/national.yaml"
if [ "$quick" = 1 ]; then
  runs=1
  reps[capacity_free]=2; reps[illustrative]=2; reps[national]=2
  rss_reps=([capacity_free]=1 [illustrative]=1 [national]=1)
  hdf5_reps=2
else
  reps[capacity_free]=8; reps[illustrative]=40; reps[national]=2
  rss_reps=([capacity_free]=1 [illustrative]=2 [national]=1)
  hdf5_reps=40
fi

# field KEY < line: the value of KEY=VALUE in a benchmark's output line.
field() { tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }
# median: the median of the numbers on stdin, one per line.
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
# repeat N CMD...: runs CMD N times, prints its output lines.
repeat() { local n=$1; shift; for ((i = 0; i < n; i++)); do "$@"; done; }
# rss_kib CMD...: the peak resident set size of CMD in KiB.
rss_kib() { "$timebin" -f 'maxrss_kib=%M' -o "$tmp/time.out" "$@" >/dev/null; field maxrss_kib <"$tmp/time.out"; }
# cohort_x10 IN OUT: the scenario with cohort_years multiplied by 10.
cohort_x10() {
  local c
  c=$(sed -n 's/^ *cohort_years: *\([0-9.]*\).*/\1/p' "$1" | head -n 1)
  if [ -z "$c" ]; then
    echo "bench/run.sh: no 'cohort_years: N' line in $1" >&2
    exit 1
  fi
  sed "s/^\( *cohort_years: *\)[0-9.]*/\1$(awk -v c="$c" 'BEGIN {print c * 10}')/" "$1" >"$2"
}

declare -A R
start=$(date +%s)
for n in "${names[@]}"; do
  f=${file[$n]}
  r=${reps[$n]}
  echo "bench: $n ($r replicates, $runs runs each)..." >&2
  repeat "$runs" "$floor" "$f" --replicates "$r" >"$tmp/floor.$n"
  repeat "$runs" "$engine" "$f" --replicates "$r" --threads 1 >"$tmp/e1.$n"
  repeat "$runs" "$engine" "$f" --replicates "$r" --threads 2 >"$tmp/e2.$n"
  R[$n.incidents]=$(field incidents <"$tmp/e1.$n")
  fv=$(field visits <"$tmp/floor.$n")
  ev=$(field entries <"$tmp/e1.$n")
  R[$n.visits]="$fv/$ev"
  R[$n.floor_ns]=$(while read -r l; do field ns_per_incident <<<"$l"; done <"$tmp/floor.$n" | median)
  R[$n.eng_ns]=$(while read -r l; do field ns_per_incident <<<"$l"; done <"$tmp/e1.$n" | median)
  t1=$(while read -r l; do field seconds <<<"$l"; done <"$tmp/e1.$n" | median)
  t2=$(while read -r l; do field seconds <<<"$l"; done <"$tmp/e2.$n" | median)
  R[$n.ips]=$(while read -r l; do field incidents_per_s <<<"$l"; done <"$tmp/e1.$n" | median)
  R[$n.eps]=$(while read -r l; do field events_per_s <<<"$l"; done <"$tmp/e1.$n" | median)
  R[$n.ratio]=$(awk -v a="${R[$n.eng_ns]}" -v b="${R[$n.floor_ns]}" 'BEGIN {printf "%.2f", a / b}')
  R[$n.eff]=$(awk -v a="$t1" -v b="$t2" 'BEGIN {printf "%.0f", 100 * a / (2 * b)}')

  cohort_x10 "$f" "$tmp/$n.x10.yaml"
  rr=${rss_reps[$n]}
  R[$n.rss1]=$(rss_kib "$engine" "$f" --replicates "$rr" --threads 1)
  R[$n.rss10]=$(rss_kib "$engine" "$tmp/$n.x10.yaml" --replicates "$rr" --threads 1)
  R[$n.rssg]=$(awk -v a="${R[$n.rss1]}" -v b="${R[$n.rss10]}" 'BEGIN {printf "%+.0f", 100 * (b - a) / a}')
done

# HDF5: casesim run (every variant, results file) against the engine alone on
# the same replicates and variants, both with 2 threads.
hdf5="n/a"
hdf5_note="casesim run not available in this build"
if "$casesim" run --help >/dev/null 2>&1; then
  f=${file[illustrative]}
  echo "bench: casesim run vs engine on illustrative ($hdf5_reps replicates, all variants)..." >&2
  for ((i = 0; i < runs; i++)); do
    s0=$(date +%s.%N)
    "$casesim" run "$f" -o "$tmp/run.h5" --replicates "$hdf5_reps" --threads 2 --quiet --overwrite
    s1=$(date +%s.%N)
    awk -v a="$s0" -v b="$s1" 'BEGIN {printf "%.6f\n", b - a}' >>"$tmp/run.times"
    "$engine" "$f" --replicates "$hdf5_reps" --threads 2 --variant all | field seconds >>"$tmp/eng.times"
  done
  trun=$(median <"$tmp/run.times")
  teng=$(median <"$tmp/eng.times")
  hdf5=$(awk -v a="$trun" -v b="$teng" 'BEGIN {printf "%.1f", 100 * (a - b) / a}')
  hdf5_note="casesim run ${trun}s vs engine ${teng}s (median wall, $hdf5_reps replicates x all variants, 2 threads)"
fi

# The table.
mega() { awk -v x="$1" 'BEGIN {printf "%.2f M", x / 1e6}'; }
mib() { awk -v x="$1" 'BEGIN {printf "%.1f", x / 1024}'; }
row() { printf '| %-38s | %17s | %17s | %17s |\n' "$@"; }
echo
echo "casesim benchmarks — $(date -u +%Y-%m-%d), $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)," \
  "$(nproc) cores, $(gcc --version | head -n 1); medians of $runs runs"
echo
row "measure" "capacity_free" "illustrative" "national"
row "---" "---:" "---:" "---:"
row "replicates per run" "${reps[capacity_free]}" "${reps[illustrative]}" "${reps[national]}"
row "incidents per run" "${R[capacity_free.incidents]}" "${R[illustrative.incidents]}" "${R[national.incidents]}"
row "stage visits, floor / engine" "${R[capacity_free.visits]}" "${R[illustrative.visits]}" "${R[national.visits]}"
row "floor, ns per incident" "${R[capacity_free.floor_ns]}" "${R[illustrative.floor_ns]}" "${R[national.floor_ns]}"
row "engine, ns per incident (1 thread)" "${R[capacity_free.eng_ns]}" "${R[illustrative.eng_ns]}" "${R[national.eng_ns]}"
row "engine / floor" "${R[capacity_free.ratio]}" "${R[illustrative.ratio]}" "${R[national.ratio]}"
row "incidents/s per core" "$(mega "${R[capacity_free.ips]}")" "$(mega "${R[illustrative.ips]}")" "$(mega "${R[national.ips]}")"
row "events/s per core" "$(mega "${R[capacity_free.eps]}")" "$(mega "${R[illustrative.eps]}")" "$(mega "${R[national.eps]}")"
row "parallel efficiency 1 -> 2 threads %" "${R[capacity_free.eff]}" "${R[illustrative.eff]}" "${R[national.eff]}"
row "max RSS, cohort x1 (MiB)" "$(mib "${R[capacity_free.rss1]}")" "$(mib "${R[illustrative.rss1]}")" "$(mib "${R[national.rss1]}")"
row "max RSS, cohort x10 (MiB)" "$(mib "${R[capacity_free.rss10]}")" "$(mib "${R[illustrative.rss10]}")" "$(mib "${R[national.rss10]}")"
row "max RSS growth, cohort x10 %" "${R[capacity_free.rssg]}" "${R[illustrative.rssg]}" "${R[national.rssg]}"
row "non-simulation share of casesim run %" "-" "$hdf5" "-"
echo
echo "HDF5 share: $hdf5_note"

# The targets of issue 7, each with its verdict.
verdict() { if awk -v x="$2" -v t="$3" -v op="$4" 'BEGIN {exit !((op == "ge") ? x >= t : x <= t)}' 2>/dev/null; then echo "$1: $2 (target $5) met"; else echo "$1: $2 (target $5) NOT MET"; fi; }
echo
echo "targets:"
verdict "  capacity_free incidents/s per core" "${R[capacity_free.ips]}" 3000000 ge ">= 3000000"
verdict "  capacity_free engine / floor" "${R[capacity_free.ratio]}" 2 le "<= 2"
verdict "  illustrative incidents/s per core" "${R[illustrative.ips]}" 1000000 ge ">= 1000000"
verdict "  illustrative engine / floor" "${R[illustrative.ratio]}" 4 le "<= 4"
for n in "${names[@]}"; do
  verdict "  $n parallel efficiency %" "${R[$n.eff]}" 90 ge ">= 90"
  verdict "  $n max RSS growth, cohort x10 %" "${R[$n.rssg]}" 20 le "<= +20"
done
if [ "$hdf5" != "n/a" ]; then
  verdict "  illustrative non-simulation share of casesim run %" "$hdf5" 5 le "<= 5"
fi

echo
echo "== rng_speed"
if [ "$quick" = 1 ]; then
  "$build/bench/rng_speed" 100000
else
  "$build/bench/rng_speed"
fi
echo "bench: done in $(($(date +%s) - start)) s" >&2
