# real_fitted.sh — every fitted scenario of scenarios/real/fitted/ reproduces
# its published figures: a predictive check of the fitted scenario (its
# `uncertain:` is the calibration's posterior, approximated input by input)
# puts every fitted target inside its 95% predictive interval, up to a
# stated number of misses.
#
# Allowed misses: with m fitted targets each inside its 95% interval with
# probability 0.95 (independently, as an approximation), the number of
# misses is Binomial(m, 0.05); the test allows the smallest k with
# P(Binomial(m, 0.05) > k) < 1%, so a correct fit fails it less than once
# in a hundred (for m = 3 that is k = 1; m = 9, k = 2; m = 15, k = 3).
#
# Run time is kept modest: N = 100 points of the posterior per scenario
# (N = 60 for England and Wales, whose one evaluation simulates 1.3 million
# cases), one replicate each (--scale 1),
# on 2 threads: about a minute of CPU in all. With so few points the interval's ends are themselves estimates (the
# 2.5% and 97.5% quantiles of N draws); the allowance above absorbs that.
#
# The test can fail: a copy of a fitted scenario whose observed figures are
# moved far from the fit (every count times 10, every share's x set to n)
# must exceed its allowance.
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"
. "$SRCDIR/tests/cli/lib.sh"

# A casesim without the predictive check cannot run this test: it says so
# and reports itself skipped (exit 77, SKIP_RETURN_CODE in CTest), never
# passed.
if ! "$CASESIM" calibrate --help 2>&1 | grep -q -- --predictive; then
    echo "real_fitted: this casesim has no 'calibrate --predictive': skipped" >&2
    exit 77
fi

# misses FILE: prints "m misses allowed" for the fitted targets of a check.
misses() {
    /usr/bin/python3 - "$1" <<'PY'
import sys, math, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    g = f["calibration/fitted"]
    obs, lo, hi = (np.asarray(g[k][:], float) for k in ("observed", "lower", "upper"))
m = len(obs)
miss = int(np.sum(~((obs >= lo) & (obs <= hi))))  # NaN bounds count as misses
def tail(k):  # P(Binomial(m, 0.05) > k)
    return 1 - sum(math.comb(m, i) * 0.05**i * 0.95**(m - i) for i in range(k + 1))
k = next(k for k in range(m + 1) if tail(k) < 0.01)
print(m, miss, k)
PY
}

check_one() { # FILE N LABEL: predictive check; sets $verdict to ok or fail
    local f=$1 n=$2 label=$3
    expect_exit 0 "predictive check of $label" -- \
        "$CASESIM" calibrate "$f" --predictive -o "$work/$label.h5" --initial "$n" -t 2 -q -f
    set -- $(misses "$work/$label.h5")
    echo "$label: $1 fitted targets, $2 outside their 95% predictive interval, $3 allowed"
    [ "$2" -le "$3" ] && verdict=ok || verdict=fail
}

found=0
for f in "$SRCDIR"/scenarios/real/fitted/*.yaml; do
    [ -e "$f" ] || continue
    found=$((found + 1))
    b=$(basename "$f" .yaml)
    n=100
    [ "$b" = england_wales ] && n=60
    check_one "$f" "$n" "$b"
    [ "$verdict" = ok ] || fail "$b: more fitted targets outside their interval than allowed"
done
# The six of scenarios/real/README.md must be here.
[ "$found" -ge 6 ] || fail "only $found fitted scenarios in scenarios/real/fitted/"

# The check can fail: the Rio cohort's figures moved far from its fit.
/usr/bin/python3 - "$SRCDIR/scenarios/real/fitted/brazil_rio.yaml" "$work/moved.yaml" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
for t in doc["targets"]:
    o = t["observed"]
    if isinstance(o, dict) and "x" in o:
        o["x"] = o["n"] if o["x"] < o["n"] / 2 else 0
    elif isinstance(o, dict):
        o["value"] = 1.0 if o["value"] < 0.5 else 0.001
    else:
        t["observed"] = o * 10
yaml.safe_dump(doc, open(sys.argv[2], "w"), sort_keys=False)
PY
check_one "$work/moved.yaml" 100 moved
[ "$verdict" = fail ] || fail "figures moved far from the fit were not caught"

finish real_fitted
