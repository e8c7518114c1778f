# real_scenarios.sh — every scenario of scenarios/real/ (and every fitted
# scenario of scenarios/real/fitted/) passes `casesim check`, runs three
# replicates with its uncertain inputs drawn, and its results file says so
# (3 replicates, status complete). A copy with one misspelt key must be
# refused, so that this test can fail.
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"
. "$SRCDIR/tests/cli/lib.sh"

found=0
for f in "$SRCDIR"/scenarios/real/*.yaml "$SRCDIR"/scenarios/real/fitted/*.yaml; do
    [ -e "$f" ] || continue
    found=$((found + 1))
    b=$(basename "$(dirname "$f")")_$(basename "$f" .yaml)
    expect_exit 0 "check $f" -- "$CASESIM" check -q "$f"
    expect_exit 0 "run $f" -- "$CASESIM" run "$f" -o "$work/$b.h5" -n 3 -t 2 -q
    [ -e "$work/$b.h5" ] || continue
    [ "$(h5attr "$work/$b.h5" replicates)" = 3 ] || fail "$f: the file does not record 3 replicates"
    [ "$(h5attr "$work/$b.h5" status)" = complete ] || fail "$f: the run is not complete"
done
[ "$found" -ge 6 ] || fail "only $found scenarios in scenarios/real/"

# A misspelt key in a copy of one of them is refused with FILE:LINE:COL.
sed 's/^time:/tme:/' "$SRCDIR/scenarios/real/kenya.yaml" >"$work/bad.yaml"
expect_exit 2 "a misspelt key" -- "$CASESIM" check "$work/bad.yaml"
expect_message "bad.yaml:[0-9]*:[0-9]*: unknown key" "a misspelt key"

finish real_scenarios
