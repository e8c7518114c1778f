#!/usr/bin/env bash
# Smoke test of the benchmarks (bench/): floor and engine_bench run on tiny
# copies of the benchmark scenarios and report consistent counts. Timings are
# not checked (they belong in bench/README.md); what is checked:
#  - without staff limits the floor makes exactly the engine's stage visits
#    (same keyed streams, same paths), so it draws what the engine draws;
#  - 1 and 2 engine threads simulate the same incidents, events and entries;
#  - --variant all and the cohort x10 copy that make bench builds both run;
#  - result_hash gives the same fingerprint twice and on 1 thread, and another
#    for another seed;
#  - bench/paired.sh times two commands in turn and prints their ratio;
#  - loglik_noise prints every fitted target and the total, the same twice,
#    and a smaller noise at --scale 16 than at --scale 1.
set -euo pipefail
: "${BUILDDIR:?}" "${SRCDIR:?}"
floor="$BUILDDIR/bench/floor"
engine="$BUILDDIR/bench/engine_bench"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
field() { tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }

# Capacity-free network at 1/100 of its incident rate.
sed -e 's/incidents_per_year: 40000/incidents_per_year: 400/' \
    -e 's/incidents_per_year: 15000/incidents_per_year: 150/' \
    "$SRCDIR/bench/capacity_free.yaml" >"$tmp/cf.yaml"
f=$("$floor" "$tmp/cf.yaml" --replicates 3)
e1=$("$engine" "$tmp/cf.yaml" --replicates 3 --threads 1)
e2=$("$engine" "$tmp/cf.yaml" --replicates 3 --threads 2)
echo "$f"; echo "$e1"; echo "$e2"
fi_=$(field incidents <<<"$f"); fv=$(field visits <<<"$f")
ei=$(field incidents <<<"$e1"); ev=$(field entries <<<"$e1")
[ "$fi_" -gt 10000 ] || fail "floor simulated only $fi_ incidents"
[ "$fi_" = "$ei" ] || fail "floor incidents $fi_ != engine incidents $ei"
[ "$fv" = "$ev" ] || fail "floor visits $fv != engine stage entries $ev"
for k in incidents events entries; do
  [ "$(field $k <<<"$e1")" = "$(field $k <<<"$e2")" ] || fail "$k differ between 1 and 2 threads"
done

# National (queues, deadlines) at 1/100 of its rates, every variant.
sed -e 's/incidents_per_year: \([0-9]*\)000$/incidents_per_year: \10/' \
    "$SRCDIR/bench/national.yaml" >"$tmp/nat.yaml"
grep -q 'incidents_per_year: 1400$' "$tmp/nat.yaml" || fail "national rate substitution"
out=$("$engine" "$tmp/nat.yaml" --replicates 2 --threads 2 --variant all)
[ "$(field incidents <<<"$out")" -gt 1000 ] || fail "engine_bench --variant all on national: $out"
out=$("$floor" "$tmp/nat.yaml" --replicates 2)
[ "$(field visits <<<"$out")" -gt 1000 ] || fail "floor on national: $out"

# The cohort x10 copy that bench/run.sh makes.
c=$(sed -n 's/^ *cohort_years: *\([0-9.]*\).*/\1/p' "$tmp/cf.yaml" | head -n 1)
sed "s/^\( *cohort_years: *\)[0-9.]*/\1$((c * 10))/" "$tmp/cf.yaml" >"$tmp/cf10.yaml"
grep -q "cohort_years: $((c * 10))" "$tmp/cf10.yaml" || fail "cohort x10 substitution"
i10=$(field incidents <<<"$("$engine" "$tmp/cf10.yaml" --replicates 1)")
i1=$(field incidents <<<"$("$engine" "$tmp/cf.yaml" --replicates 1)")
[ "$i10" -gt $((3 * i1)) ] || fail "cohort x10 ran $i10 incidents against $i1"
# result_hash: a deterministic fingerprint of every result.
h1=$("$BUILDDIR/bench/result_hash" "$tmp/cf.yaml" 2 5 | cut -d' ' -f1)
h2=$("$BUILDDIR/bench/result_hash" "$tmp/cf.yaml" 2 5 | cut -d' ' -f1)
h3=$("$BUILDDIR/bench/result_hash" "$tmp/cf.yaml" 2 6 | cut -d' ' -f1)
[[ "$h1" =~ ^[0-9a-f]{16}$ ]] || fail "result_hash printed '$h1'"
[ "$h1" = "$h2" ] || fail "result_hash not deterministic: $h1 $h2"
[ "$h1" != "$h3" ] || fail "result_hash ignores the seed"
h4=$("$BUILDDIR/bench/result_hash" "$tmp/cf.yaml" 2 5 1 | cut -d' ' -f1)
[ "$h1" = "$h4" ] || fail "result_hash depends on the thread count: $h1 (2) $h4 (1)"

# The paired timing script: 2 pairs after its warm-up, its three lines.
p=$("$SRCDIR/bench/paired.sh" 2 "$engine $tmp/cf.yaml --replicates 1 --threads 1" \
    "$engine $tmp/cf.yaml --replicates 1 --threads 1")
echo "$p"
grep -q '^pairs 2;' <<<"$p" || fail "paired.sh did not count 2 pairs: $p"
grep -q '^A/B cpu ' <<<"$p" || fail "paired.sh printed no ratio line: $p"
"$SRCDIR/bench/paired.sh" 2 >/dev/null 2>&1 && fail "paired.sh accepted a missing command"
# loglik_noise on a small calibration (bench/calibrate_sbc.yaml's funnel).
"$BUILDDIR/casesim" calibrate "$SRCDIR/bench/calibrate_sbc.yaml" -o "$tmp/sbc.h5" -q -t 1 \
    --max-evaluations 600 --initial 500 --wave 100
n1=$("$BUILDDIR/bench/loglik_noise" "$SRCDIR/bench/calibrate_sbc.yaml" "$tmp/sbc.h5" 30)
n2=$("$BUILDDIR/bench/loglik_noise" "$SRCDIR/bench/calibrate_sbc.yaml" "$tmp/sbc.h5" 30)
n16=$("$BUILDDIR/bench/loglik_noise" "$SRCDIR/bench/calibrate_sbc.yaml" "$tmp/sbc.h5" 30 --scale 16)
echo "$n1"; echo "$n16"
[ "$n1" = "$n2" ] || fail "loglik_noise is not deterministic"
for t in investigations_2021 sanctioned_share_2021 total; do
  grep -q "^  $t " <<<"$n1" || fail "loglik_noise printed no row for $t"
done
sd1=$(awk '$1 == "total" {print $3}' <<<"$n1"); sd16=$(awk '$1 == "total" {print $3}' <<<"$n16")
awk -v a="$sd1" -v b="$sd16" 'BEGIN {exit !(b < 0.8 * a)}' ||
  fail "loglik_noise: sd $sd16 at --scale 16 is not below 0.8 x $sd1 at --scale 1"
"$BUILDDIR/bench/loglik_noise" "$SRCDIR/bench/calibrate_sbc.yaml" "$tmp/sbc.h5" 1 >/dev/null 2>&1 &&
  fail "loglik_noise accepted N = 1"
echo "bench smoke: ok"
