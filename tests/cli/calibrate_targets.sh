# calibrate_targets.sh — the targets that need the engine's extra tallies
# (a mean duration, a count by violation kind) and an uncertain unit factor
# through `casesim calibrate` from the command line:
#  - the calibration runs, its report lists both targets with their kinds,
#    and the unit factor is an input of the posterior;
#  - the fitted scenario (--write-scenario) keeps `mean_duration`, `kind`
#    and the uncertain `targets.deaths.unit_factor`, and validates;
#  - `casesim run` of the scenario (which keeps no tally) runs.
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"
. "$SRCDIR/tests/cli/lib.sh"
cd "$work" || exit 1
sc="$SRCDIR/tests/data/valid/calibrate_targets.yaml"
small="--initial 60 --wave 20 --max-evaluations 140 -q -t 2"

# shellcheck disable=SC2086
expect_exit 0 "calibrate" -- "$CASESIM" calibrate "$sc" -o cal.h5 --write-scenario fit.yaml $small
expect_exit 0 "report" -- "$CASESIM" report cal.h5
for want in "mean_duration" "targets.deaths.unit_factor" " days " " deaths "; do
    grep -qF -- "$want" "$work/stdout" || fail "the report lacks '$want'"
done
expect_exit 0 "check of the fitted scenario" -- "$CASESIM" check fit.yaml
for want in "mean_duration: {stage: investigation, of: in_stage}" "kind: death" \
    "path: targets.deaths.unit_factor"; do
    grep -qF -- "$want" fit.yaml || fail "the fitted scenario lacks '$want'"
done
expect_exit 0 "run" -- "$CASESIM" run "$sc" -o run.h5 -q
finish calibrate_targets
