# calibrate_keep.sh — the fitted scenario keeps the priors of the inputs a
# calibration cannot inform (`casesim calibrate --write-scenario`):
#  - every input under `interventions.` keeps its `uncertain:` entry exactly
#    as the source writes it, the source's value at its path, and the
#    source's correlations among such inputs; the header names each one;
#  - an input a target pins down (p_sanctioned: a share of 40 in 300) gets
#    its posterior, not its prior, and its posterior median as its value;
#  - an index of two digits is written as an integer (`10`, not `1e+01`),
#    and no number of the file is written with an exponent where it is
#    whole; the written file validates and runs;
#  - the report of a run on the posterior says its inputs were drawn from it.
# Deliberately wrong: with a writer that fits every input, the first
# check fails (the intervention entries become beta or lognormal fits).
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"
. "$SRCDIR/tests/cli/lib.sh"
cd "$work" || exit 1
sc="$SRCDIR/tests/data/valid/calibrate_keep.yaml"

expect_exit 0 "calibrate with --write-scenario" -- \
    "$CASESIM" calibrate "$sc" -o cal.h5 --write-scenario fit.yaml \
    --initial 400 --wave 60 --max-evaluations 700 -q -t 2
[ -s fit.yaml ] || fail "no fitted scenario"
expect_exit 0 "check of the fitted scenario" -- "$CASESIM" check fit.yaml
expect_exit 0 "run of the fitted scenario" -- "$CASESIM" run fit.yaml -o run.h5 -n 2 -q
grep -q "keep their PRIOR" fit.yaml || fail "the header does not say which inputs keep their prior"
grep -q "^#   b_cost: under \`interventions.\`" fit.yaml ||
    fail "the header does not name b_cost as kept"
grep -Eq "between: \[(10, 8|8, 10)\]" fit.yaml ||
    fail "the correlation of entries 8 and 10 is not written with integer indices"
grep -v '^#' fit.yaml | grep -Eq '[0-9]e\+' && fail "a number is written with an exponent"

# The entries and values, read by a YAML reader other than casesim's.
/usr/bin/python3 - "$sc" fit.yaml <<'PY' || fail "kept priors or fitted posterior (above)"
import sys, yaml
src, fit = (yaml.safe_load(open(p)) for p in sys.argv[1:3])
bad = []
su = {e["name"]: e for e in src["uncertain"]}
fu = {e["name"]: e for e in fit["uncertain"]}
for name, e in su.items():
    if e["path"].startswith("interventions."):
        if fu[name] != e:
            bad.append(f"{name}: {fu[name]} is not the source's {e}")
def at(doc, path):
    iv, rest = path.split(".", 2)[1:] if path.startswith("interventions.") else (None, path)
    i = next(x for x in doc["interventions"] if x["name"] == iv)
    return i["annual_cost"] if rest == "annual_cost" else i["changes"][0]["set"]
for iv in ("more_investigated", "more_sanctioned", "both_a", "both_b"):
    for rest in ("annual_cost", "changes[0].set"):
        p = f"interventions.{iv}.{rest}"
        if at(fit, p) != at(src, p):
            bad.append(f"{p}: {at(fit, p)}, the source has {at(src, p)}")
want = {frozenset((10, 8)): 0.5, frozenset((3, 4)): 0.3}
got = {frozenset(c["between"]): c["rho"] for c in fit.get("correlations") or []
       if frozenset(c["between"]) <= set(range(3, 11))}
if got != want:
    bad.append(f"correlations among the kept inputs {got}, the source's {want}")
ps = fu["p_sanctioned"]
if "beta" not in ps or ps.get("source", "").find("calibrated: posterior median") != 0:
    bad.append(f"p_sanctioned kept its prior: {ps}")
p = fit["stages"][1]["branches"][0]["p"]
# Posterior sd about 0.025 (binomial 40 of 300, and the simulated share's own
# noise): 0.04 is 1.6 sd; the prior's 0.2 lies 0.067 from 40/300, outside.
if abs(p - 40 / 300) > 0.04:
    bad.append(f"p_sanctioned's value {p} is not its posterior median (near 40/300)")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
# A run on the calibration's posterior says where its inputs came from, in
# the text, markdown and HTML reports (it said "the run drew no uncertain
# inputs"); a run without uncertainty still says that.
expect_exit 0 "run --posterior" -- "$CASESIM" run "$sc" --posterior cal.h5 -o post.h5 -n 20 -q -t 2
expect_exit 0 "run --no-uncertainty" -- "$CASESIM" run "$sc" --no-uncertainty -o fixed.h5 -n 20 -q -t 2
for fmt in text markdown; do
    rep=$("$CASESIM" report post.h5 --format "$fmt" | tr -s ' \n' '  ')
    case "$rep" in *"drawn from the calibration's posterior"*) ;;
    *) fail "$fmt report of a posterior run does not say its inputs came from the posterior" ;; esac
    case "$rep" in *"drew no uncertain inputs"*) fail "$fmt report of a posterior run: no inputs drawn" ;; esac
    case "$("$CASESIM" report fixed.h5 --format "$fmt" | tr -s ' \n' '  ')" in *"drew no uncertain inputs"*) ;;
    *) fail "$fmt report of a run without uncertainty lost its wording" ;; esac
done
if /usr/bin/python3 -c "import matplotlib" 2>/dev/null; then
    # The page with the decision's figures only (the section this is about).
    mkdir figs
    PYTHONPATH="$SRCDIR/analysis/python" /usr/bin/python3 - <<'PY' || fail "the page of a posterior run"
from casesim.results import Results
from casesim.figures import write_all, decision
with Results("post.h5") as res:
    write_all(res, "figs", figures=decision.FIGURES)
PY
    grep -q "drawn from the calibration's posterior" figs/report.html ||
        fail "the page of a posterior run does not say its inputs came from the posterior"
    grep -q "drew no uncertain inputs" figs/report.html && fail "the page says no inputs were drawn"
fi
finish calibrate_keep
