# uncertain.sh — a run with uncertain inputs, from the command line:
#  - --no-uncertainty reproduces, bit for bit, every per-replicate dataset of
#    the same scenario without its `uncertain:` section, and the drawn run
#    differs from it (so the comparison can fail);
#  - the drawn run is the same for 1 and 2 threads;
#  - the file records the inputs (/uncertainty), the drawn values per
#    replicate (the same in every variant, two replicates per draw) and the
#    decision; `casesim report` puts the decision first, in text, Markdown
#    and CSV; the figures script draws the decision figures;
#  - `casesim check` describes the inputs, the draws and the decision;
#  - files of drawn and of --no-uncertainty runs cannot be merged, and a
#    drawn run cannot be resumed with --no-uncertainty.
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"

. "$SRCDIR/tests/cli/lib.sh"
unc="$SRCDIR/tests/data/valid/uncertain.yaml"
cd "$work" || exit 1

# The same scenario without `uncertain:` and `correlations:` (the rest of
# the file, decision included, unchanged).
sed '/^uncertain:/,/^decision:/{/^decision:/!d}' "$unc" >plain.yaml
"$CASESIM" check -q plain.yaml || fail "the scenario without uncertain: is not valid"

chk=$("$CASESIM" check "$unc") || fail "check of the uncertain scenario failed"
for want in "Uncertain inputs (5, 6 values per draw; random sampling, 2 replicates per draw)" \
    "beta, mean 0.4, sd 0.06" "dirichlet over 2 numbers" "correlation 0.3 between 0 and 1" \
    "budget: 250,000 a year; 4 combinations"; do
    case "$chk" in *"$want"*) ;; *) fail "check lacks: $want" ;; esac
done
"$CASESIM" check plain.yaml | grep -q "Uncertain inputs" && fail "check lists inputs it does not have"

# 24 replicates: 12 draws, enough for EVPPI (10 or more).
"$CASESIM" run "$unc" -o fixed.h5 -n 24 -q --no-uncertainty || fail "--no-uncertainty run failed"
"$CASESIM" run plain.yaml -o plain.h5 -n 24 -q || fail "plain run failed"
"$CASESIM" run "$unc" -o drawn.h5 -n 24 -q -t 1 || fail "drawn run failed"
"$CASESIM" run "$unc" -o drawn2.h5 -n 24 -q -t 2 || fail "drawn run on 2 threads failed"
$same drawn.h5 drawn2.h5 || fail "the drawn run differs between 1 and 2 threads"

variants=$(/usr/bin/python3 -c 'import h5py, sys
print(" ".join(v.decode() for v in h5py.File(sys.argv[1], "r")["scenario/variants"][()]))' fixed.h5)
datasets="measures outcome_counts stage_entries stage_stats backlog period_entries period_outcomes
replicate_index incidents_simulated events annual_cost"
for v in $variants; do
    for d in $datasets; do
        h5diff fixed.h5 plain.h5 "/runs/$v/$d" "/runs/$v/$d" >/dev/null ||
            fail "--no-uncertainty differs from the plain run in /runs/$v/$d"
    done
done
h5diff drawn.h5 plain.h5 /runs/baseline/measures /runs/baseline/measures >/dev/null &&
    fail "the drawn run equals the plain run: the inputs were not drawn"

/usr/bin/python3 - drawn.h5 fixed.h5 <<'PY' || fail "the file's record of the inputs is wrong"
import sys
import h5py
import numpy as np
f, g = (h5py.File(p, "r") for p in sys.argv[1:3])
ok = True
def check(cond, what):
    global ok
    if not cond:
        print("FAIL:", what, file=sys.stderr)
        ok = False
check(f["uncertainty"].attrs["sampling"] == "random", "sampling random")
check(g["uncertainty"].attrs["sampling"] == "scenario values", "--no-uncertainty recorded")
check(int(f["uncertainty"].attrs["replicates_per_draw"]) == 2, "replicates_per_draw")
check(len(f["uncertainty/inputs"]) == 5 and len(f["uncertainty/values"]) == 6, "tables")
names = [x.decode() for x in f["scenario/inputs"][()]]
check(names[0] == "reporting" and len(names) == 6, f"input names {names}")
base = f["runs/baseline/uncertain_values"][()]
check(base.shape == (24, 6), f"values shape {base.shape}")
for v in f["runs"]:
    check(np.array_equal(f["runs"][v]["uncertain_values"][()], base), f"{v} values")
check(np.array_equal(base[0::2], base[1::2]), "two replicates per draw")
check(not np.array_equal(base[0], base[2]), "draws differ")
check(np.allclose(base[:, 4] + base[:, 5], 1), "dirichlet values sum to 1")
own = g["runs/baseline/uncertain_values"][()]
check(np.array_equal(own[0], [0.4, 120, 0.5, 150000, 0.8, 0.2]), f"scenario values {own[0]}")
cost = f["runs/more_investigators/annual_cost"][()]
check(np.array_equal(cost, base[:, 3]), "drawn costs")
d = f["decision"].attrs
check(d["uncertainty"] == "inputs and simulation" and int(d["draws"]) == 12, "decision scope")
check(g["decision"].attrs["uncertainty"] == "simulation only", "--no-uncertainty scope")
check(len(f["decision/portfolios"]) == 4, "four portfolios within the budget")
sys.exit(0 if ok else 1)
PY

out=$("$CASESIM" report drawn.h5 | tr '\n' ' ' | tr -s ' ') || fail "report failed"
first=$("$CASESIM" report drawn.h5 | grep '^[0-9]\. ' | head -1)
case "$first" in "1. Decision"*) ;; *) fail "the decision is not the first section: $first" ;; esac
for want in "Best at 300,000 USD per point:" "Expected value of perfect information:" \
    "Better data on" "Portfolios within the budget of 250,000 USD" "Noise share" \
    "Each replicate drew the scenario's uncertain inputs"; do
    case "$out" in *"$want"*) ;; *) fail "report lacks: $want" ;; esac
done
out=$("$CASESIM" report fixed.h5 | tr '\n' ' ') || fail "report of the fixed run failed"
case "$out" in *"simulation's randomness only"*) ;; *) fail "fixed report: no scope" ;; esac
"$CASESIM" report --format markdown drawn.h5 | grep -q '^## 1. Decision' || fail "markdown report"
csv=$("$CASESIM" report --format csv drawn.h5)
for t in decision_net_benefit decision_frontier_icer decision_evpi decision_evppi \
    decision_portfolio decision_bundle_gain; do
    printf '%s\n' "$csv" | grep -q "^$t," || fail "csv lacks $t rows"
done

/usr/bin/python3 "$SRCDIR/analysis/casesim_figures.py" drawn.h5 -o figs >/dev/null ||
    fail "the figures script failed"
for fig in acceptability evpi evppi ce_plane; do
    [ -s "figs/$fig.png" ] || fail "no $fig.png"
done
grep -q "Decision: the best use of the money" figs/report.html || fail "no decision in the page"

"$CASESIM" run "$unc" -o r2.h5 --first-replicate 24 -n 2 -q --no-uncertainty
"$CASESIM" merge drawn.h5 r2.h5 -o mixed.h5 2>err.txt && fail "a drawn and a fixed range merged"
grep -q "drew their uncertain inputs differently" err.txt || fail "merge: $(cat err.txt)"
cp drawn.h5 part.h5
"$CASESIM" run "$unc" -o part.h5 -n 30 --resume --no-uncertainty -q 2>err.txt &&
    fail "a drawn run resumed with --no-uncertainty"
grep -q "without --no-uncertainty" err.txt || fail "resume: $(cat err.txt)"

finish "uncertain"
