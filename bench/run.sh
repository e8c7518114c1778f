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
#     cohort_years and at 10x cohort_years (a copy made with sed).
# For the default scenario it also times a default `casesim run` (the
# scenario's replicates, every variant, HDF5 file) against the engine alone
# on the same work (medians of up to 3 runs): the share of the run's wall
# time that is not simulation (writing HDF5, summary and comparison tables) is
# 1 - t_engine / t_run; and the program's peak memory at cohort x1 and x10.
# Then rng_speed (bench/README.md). Every figure is of whole runs; timings
# are wall-clock except where marked CPU.
#
# Environment: BENCH_RUNS (runs per median, default 5); BENCH_QUICK=1 (two
# replicates, one run: checks the harness itself in about half a minute).
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
  hdf5_reps="" # the scenario's own replicates: a default run
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
  R[$n.eng_cpu_ns]=$(while read -r l; do
    awk -v c="$(field cpu_seconds <<<"$l")" -v n="$(field incidents <<<"$l")" 'BEGIN {printf "%.2f\n", c * 1e9 / n}'
  done <"$tmp/e1.$n" | median)
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

# HDF5: `casesim run` (every variant, results file) against the engine alone
# (engine_bench --variant all) on the same replicates and variants, both with 2
# threads and timed as whole processes. What `casesim run` adds is writing the
# file plus the summary and comparison tables; its share of the wall time is
# 1 - t_engine / t_run. The CPU-time version of the same share is printed too:
# it is less disturbed by other load on a shared machine.
hdf5="n/a"
hdf5_cpu="n/a"
hdf5_note="casesim run not available in this build"
run_rss1="n/a"
run_rss10="n/a"
run_rssg="n/a"
if "$casesim" run --help >/dev/null 2>&1; then
  f=${file[illustrative]}
  echo "bench: casesim run vs engine on illustrative (${hdf5_reps:-default} replicates, all variants)..." >&2
  rep_args=()
  if [ -n "$hdf5_reps" ]; then rep_args=(--replicates "$hdf5_reps"); fi
  for ((i = 0; i < (runs < 3 ? runs : 3); i++)); do
    "$timebin" -f '%e %U %S' -o "$tmp/t.run" "$casesim" run "$f" -o "$tmp/run.h5" "${rep_args[@]}" \
      --threads 2 --quiet --overwrite
    "$timebin" -f '%e %U %S' -o "$tmp/t.eng" "$engine" "$f" "${rep_args[@]}" --threads 2 \
      --variant all >/dev/null
    awk '{print $1}' "$tmp/t.run" >>"$tmp/run.wall"
    awk '{print $2 + $3}' "$tmp/t.run" >>"$tmp/run.cpu"
    awk '{print $1}' "$tmp/t.eng" >>"$tmp/eng.wall"
    awk '{print $2 + $3}' "$tmp/t.eng" >>"$tmp/eng.cpu"
  done
  trun=$(median <"$tmp/run.wall")
  teng=$(median <"$tmp/eng.wall")
  crun=$(median <"$tmp/run.cpu")
  ceng=$(median <"$tmp/eng.cpu")
  hdf5=$(awk -v a="$trun" -v b="$teng" 'BEGIN {printf "%.1f", 100 * (a - b) / a}')
  hdf5_cpu=$(awk -v a="$crun" -v b="$ceng" 'BEGIN {printf "%.1f", 100 * (a - b) / a}')
  hdf5_note="casesim run ${trun} s wall, ${crun} s CPU; engine alone ${teng} s wall, ${ceng} s CPU (medians, ${hdf5_reps:-default} replicates x every variant, 2 threads, whole processes)"
  # Peak memory of the whole program, cohort x1 and x10.
  rr=${rss_reps[illustrative]}
  "$timebin" -f 'maxrss_kib=%M' -o "$tmp/time.out" "$casesim" run "$f" -o "$tmp/run.h5" \
    --replicates "$((rr * 10))" --threads 2 --quiet --overwrite
  run_rss1=$(field maxrss_kib <"$tmp/time.out")
  "$timebin" -f 'maxrss_kib=%M' -o "$tmp/time.out" "$casesim" run "$tmp/illustrative.x10.yaml" \
    -o "$tmp/run.h5" --replicates "$((rr * 10))" --threads 2 --quiet --overwrite
  run_rss10=$(field maxrss_kib <"$tmp/time.out")
  run_rssg=$(awk -v a="$run_rss1" -v b="$run_rss10" 'BEGIN {printf "%+.0f", 100 * (b - a) / a}')
fi

# The table.
mega() { awk -v x="$1" 'BEGIN {printf "%.2f M", x / 1e6}'; }
mib() { awk -v x="$1" 'BEGIN {if (x == "n/a") print x; else printf "%.1f", x / 1024}'; }
row() { printf '| %-42s | %17s | %17s | %17s |\n' "$@"; }
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
row "engine, CPU ns per incident (1 thread)" "${R[capacity_free.eng_cpu_ns]}" "${R[illustrative.eng_cpu_ns]}" "${R[national.eng_cpu_ns]}"
row "engine / floor" "${R[capacity_free.ratio]}" "${R[illustrative.ratio]}" "${R[national.ratio]}"
row "incidents/s per core" "$(mega "${R[capacity_free.ips]}")" "$(mega "${R[illustrative.ips]}")" "$(mega "${R[national.ips]}")"
row "events/s per core" "$(mega "${R[capacity_free.eps]}")" "$(mega "${R[illustrative.eps]}")" "$(mega "${R[national.eps]}")"
row "parallel efficiency 1 -> 2 threads %" "${R[capacity_free.eff]}" "${R[illustrative.eff]}" "${R[national.eff]}"
row "max RSS, cohort x1 (MiB)" "$(mib "${R[capacity_free.rss1]}")" "$(mib "${R[illustrative.rss1]}")" "$(mib "${R[national.rss1]}")"
row "max RSS, cohort x10 (MiB)" "$(mib "${R[capacity_free.rss10]}")" "$(mib "${R[illustrative.rss10]}")" "$(mib "${R[national.rss10]}")"
row "max RSS growth, cohort x10 %" "${R[capacity_free.rssg]}" "${R[illustrative.rssg]}" "${R[national.rssg]}"
row "casesim run max RSS, cohort x1 (MiB)" "-" "$(mib "$run_rss1")" "-"
row "casesim run max RSS, cohort x10 (MiB)" "-" "$(mib "$run_rss10")" "-"
row "casesim run max RSS growth, cohort x10 %" "-" "$run_rssg" "-"
row "HDF5 + summary share of run, wall %" "-" "$hdf5" "-"
row "HDF5 + summary share of run, CPU %" "-" "$hdf5_cpu" "-"
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
  verdict "  casesim run max RSS growth, cohort x10 %" "$run_rssg" 20 le "<= +20"
  verdict "  HDF5 + summary share of a default run (wall) %" "$hdf5" 5 le "<= 5"
fi

echo
echo "== rng_speed"
if [ "$quick" = 1 ]; then
  "$build/bench/rng_speed" 100000
else
  "$build/bench/rng_speed"
fi
echo "bench: done in $(($(date +%s) - start)) s" >&2
