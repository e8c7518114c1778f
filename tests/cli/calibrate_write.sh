# calibrate_write.sh — `casesim calibrate --write-scenario` and
# `--predictive` from the command line:
#  - a calibration writes its fitted scenario beside its file; the fitted
#    scenario validates with `casesim check`, keeps the targets and the
#    description, says in its header how it was made, and writing it again
#    from the calibration file (--from) gives the same bytes;
#  - its inputs are at the posterior medians the report of the calibration
#    prints, and the fitted scenario runs without uncertainty;
#  - a predictive check of the fitted scenario writes a file whose report
#    prints every target against its predictive interval;
#  - refusals leave nothing behind: an existing file without --force (before
#    any calibration is run), an unwritable folder, a predictive check
#    given to --from, a scenario text other than the calibrated one.
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"
. "$SRCDIR/tests/cli/lib.sh"
cd "$work" || exit 1
sc="$SRCDIR/tests/data/valid/calibrate.yaml"
small="--initial 60 --wave 20 --max-evaluations 140 -q -t 2"

# shellcheck disable=SC2086
expect_exit 0 "calibrate with --write-scenario" -- \
    "$CASESIM" calibrate "$sc" -o cal.h5 --write-scenario fit.yaml $small
[ -s fit.yaml ] || fail "no fitted scenario"
expect_exit 0 "check of the fitted scenario" -- "$CASESIM" check fit.yaml
for want in "written by \`casesim calibrate --write-scenario\`" "from the calibration file cal.h5" \
    "seed 3, --scale 1, 140 evaluations" "comments of the source scenario are not kept" \
    "name: investigations_2019" "holdout: true" "name: p_investigated" "beta: {alpha:" \
    "calibrated: posterior median"; do
    grep -qF -- "$want" fit.yaml || fail "the fitted scenario lacks: $want"
done
expect_exit 0 "--from" -- "$CASESIM" calibrate --from cal.h5 --write-scenario again.yaml -q
cmp -s fit.yaml again.yaml || fail "the fitted scenario written again differs"
expect_exit 0 "--from with the scenario" -- \
    "$CASESIM" calibrate --from cal.h5 --write-scenario third.yaml "$sc" -q
cmp -s fit.yaml third.yaml || fail "the fitted scenario written with its scenario differs"

# The inputs are the posterior medians of the report (printed to 4 digits).
rep=$("$CASESIM" report cal.h5)
med=$(echo "$rep" | awk '$1 == "p_sanctioned" {print $5}')
got=$(sed -n 's/.*{to: sanctioned, p: \([0-9.e-]*\)}.*/\1/p' fit.yaml)
[ -n "$med" ] && [ -n "$got" ] || fail "no median in the report ($med) or the file ($got)"
/usr/bin/python3 -c "import sys; sys.exit(abs($got - $med) > 1e-3 * abs($med))" ||
    fail "p_sanctioned is $got in the fitted scenario, median $med in the report"
expect_exit 0 "run of the fitted scenario" -- \
    "$CASESIM" run fit.yaml -o run.h5 -n 2 --no-uncertainty -q

# The predictive check.
expect_exit 0 "predictive check" -- \
    "$CASESIM" calibrate fit.yaml --predictive -o pred.h5 --initial 64 -q -t 2
pr=$("$CASESIM" report pred.h5) || fail "report of the predictive check"
for want in "Predictive check of calibrate-example" "64 points drawn from the scenario's" \
    "Targets: observed against the predictive" "investigations_2019" "sanctioned_share_2019" \
    "Held-out targets: observed against the same predictive" "minority_ratio"; do
    case "$pr" in *"$want"*) ;; *) fail "predictive report lacks: $want" ;; esac
done
case "$pr" in *"What the targets can tell apart"*) fail "a predictive check judges inputs" ;; esac

# Refusals.
expect_exit 2 "existing file" -- "$CASESIM" calibrate --from cal.h5 --write-scenario fit.yaml
expect_message "exists: give --force" "existing file"
cmp -s fit.yaml again.yaml || fail "an existing file was changed"
start=$(date +%s)
# shellcheck disable=SC2086
expect_exit 2 "existing file before calibrating" -- \
    "$CASESIM" calibrate "$sc" -o cal2.h5 --write-scenario fit.yaml $small
[ -e cal2.h5 ] && fail "a calibration ran though its fitted scenario could not be written"
expect_exit 0 "--force" -- "$CASESIM" calibrate --from cal.h5 --write-scenario fit.yaml -f -q
mkdir ro && chmod a-w ro
if [ ! -w ro ]; then # root writes anywhere: skip there
    expect_exit 1 "unwritable folder" -- \
        "$CASESIM" calibrate --from cal.h5 --write-scenario ro/fit.yaml
    expect_message "ro/fit.yaml was not written" "unwritable folder"
fi
expect_exit 1 "missing folder" -- "$CASESIM" calibrate --from cal.h5 --write-scenario no/fit.yaml
expect_message "no/fit.yaml was not written" "missing folder"
expect_exit 2 "a predictive check given to --from" -- \
    "$CASESIM" calibrate --from pred.h5 --write-scenario p.yaml
expect_message "a predictive check, not a calibration" "a predictive check given to --from"
expect_exit 2 "a predictive check given to --posterior" -- \
    "$CASESIM" run fit.yaml --posterior pred.h5 -o p.h5 -n 2
expect_message "is a predictive check" "a predictive check given to --posterior"
expect_exit 2 "another scenario text" -- \
    "$CASESIM" calibrate --from cal.h5 --write-scenario p.yaml fit.yaml
expect_message "made from another scenario text" "another scenario text"
expect_exit 2 "--predictive with --write-scenario" -- \
    "$CASESIM" calibrate "$sc" --predictive -o p.h5 --write-scenario p.yaml
[ -e p.yaml ] || [ -e p.h5 ] && fail "a refused command wrote a file"
leftover=$(find . -name '.*tmp*' | head -1)
[ -z "$leftover" ] || fail "a temporary file was left: $leftover"
finish calibrate_write
