# frontier.sh — the decision's cost-effectiveness frontier in the report
# states a cost per extra point only for a step that the draws tell apart
# from no step (its interval excludes 0):
#  - outreach against the baseline is a clear step: its row gives a cost;
#  - outreach_plus is outreach with the discipline probability raised by
#    0.0001 at twice the cost: with these 100 replicates its mean
#    improvement is above outreach's (so it is on the frontier) but the
#    paired interval of the step includes 0, so its row says "not clear"
#    and gives no cost (the report used to print 10,400,000 USD per extra
#    point: 80,000 USD divided by a step of noise);
#  - the same holds in Markdown; the horizon is worded "1 year", not "1 years".
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"

. "$SRCDIR/tests/cli/lib.sh"
scn="$SRCDIR/tests/data/valid/frontier_steps.yaml"
cd "$work" || exit 1

"$CASESIM" run "$scn" -o fs.h5 -n 100 -q || fail "run failed"
"$CASESIM" report fs.h5 >report.txt || fail "report failed"
row() { grep -E "^ *$1 " "$2" | head -1; }
r=$(row outreach report.txt)
case "$r" in *"80,000 USD"*[0-9]" USD"*baseline*) ;; *) fail "outreach's row has no cost per point: $r" ;; esac
r=$(row outreach_plus report.txt)
[ -n "$r" ] || fail "outreach_plus is not on the frontier (the test needs it there): $(grep -A6 'Efficient option' report.txt)"
case "$r" in *"not clear: +"*" to "*outreach) ;; *) fail "outreach_plus's step is not marked not clear: $r" ;; esac
case "$r" in *"USD"*"USD"*) fail "outreach_plus's row states a cost per extra point: $r" ;; esac
grep -q "^Not clear: the option's extra improvement" report.txt || fail "no explanation of 'not clear'"
grep -q "horizon of 5 years" report.txt || fail "the horizon of 5 years is not worded so"

"$CASESIM" report --format markdown fs.h5 >report.md || fail "markdown report failed"
grep -q "| outreach_plus .*not clear: +" report.md || fail "the markdown row of outreach_plus is not marked"

# One year of horizon: "1 year".
sed 's/population_years: 5/population_years: 1/' "$scn" >one.yaml
"$CASESIM" run one.yaml -o one.h5 -n 12 -q || fail "run with a horizon of 1 year failed"
"$CASESIM" report one.h5 >one.txt || fail "report of one.h5 failed"
grep -q "horizon of 1 year\." one.txt || fail "the horizon of 1 year is not worded so: $(grep -o 'horizon of [^.]*' one.txt)"
"$CASESIM" check one.yaml | grep -q "policy horizon: 1 year$" || fail "check words the horizon of 1 year wrongly"
/usr/bin/python3 "$SRCDIR/analysis/casesim_figures.py" one.h5 -o figs >/dev/null ||
    fail "the figures script failed"
grep -q "horizon of 1 year:" figs/report.html || fail "the page words the horizon of 1 year wrongly"

finish frontier
