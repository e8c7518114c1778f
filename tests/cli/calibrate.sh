# calibrate.sh — `casesim calibrate` and `casesim report` of its file, from
# the command line:
#  - the calibration is the same, bit for bit, with 1 and 2 threads, and
#    another seed gives another one (so the comparison can fail);
#  - the report prints how the run ended, the inputs' prior and posterior
#    and the fitted and held-out targets in separate tables;
#  - a calibration stopped at its evaluation limit, or interrupted by SIGINT
#    after some waves (exit 130, file marked incomplete), then resumed with
#    --resume, gives the file of an uninterrupted run; --resume refuses
#    another scenario text or another seed;
#  - --common-seeds: the same for 1 and 2 threads, another file than
#    independent seeds, said in the file and the report, resumed exactly,
#    and refused when resuming a file made without it;
#  - a run stalled under --stall-waves 1 resumes under a larger one and ends
#    as one run under it;
#  - run --posterior draws every replicate's inputs from the calibration's
#    points (each replicate's values are one of them), the same for 1 and 2
#    threads and for two replicate ranges merged; it cannot be merged with a
#    run on the priors, and a scenario with other priors is refused;
#  - --method optimize writes a point fit, the same with 1 and 2 threads,
#    which the report calls one, with its log-likelihood on fresh seeds; it
#    cannot be resumed, and an unknown method is refused;
#  - `report --format markdown` and `--format csv` of a calibration file;
#  - an existing file is not replaced without --force; a scenario without
#    targets, or without uncertain inputs, is refused and nothing is written.
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sc="$SRCDIR/tests/data/valid/calibrate.yaml"
same="/usr/bin/python3 $SRCDIR/tests/support/h5_same.py"
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
cd "$work" || exit 1
small="--initial 60 --wave 20 --max-evaluations 140 -q"

# shellcheck disable=SC2086
"$CASESIM" calibrate "$sc" -o one.h5 -t 1 $small || fail "calibrate with 1 thread"
# shellcheck disable=SC2086
"$CASESIM" calibrate "$sc" -o two.h5 -t 2 $small || fail "calibrate with 2 threads"
$same one.h5 two.h5 >/dev/null || fail "1 and 2 threads differ"
# shellcheck disable=SC2086
"$CASESIM" calibrate "$sc" -o other.h5 -t 2 --seed 99 $small || fail "calibrate with seed 99"
$same one.h5 other.h5 >/dev/null 2>&1 && fail "another seed gives the same file"

chk=$("$CASESIM" check "$sc") || fail "check of the calibration scenario"
for want in "Targets (3: 2 fitted, 1 held out)" "investigations_2019: count in 2019, observed 330" \
    "sanctioned_share_2019: share in 2019, observed 40 of 300" "minority_ratio: ratio of the cohort"; do
    case "$chk" in *"$want"*) ;; *) fail "check lacks: $want" ;; esac
done

rep=$("$CASESIM" report one.h5) || fail "report of a calibration file"
for want in "Calibration of calibrate-example (complete)" "stopped at the evaluation limit" \
    "What the targets can tell apart" "p_investigated" "p_sanctioned" \
    "Fitted targets: observed against the posterior predictive" "investigations_2019" \
    "sanctioned_share_2019" "Held-out targets (not fitted)" "minority_ratio"; do
    case "$rep" in *"$want"*) ;; *) fail "report lacks: $want" ;; esac
done
held=${rep#*Held-out targets}
case "$held" in *investigations_2019*) fail "a fitted target in the held-out table" ;; esac

# shellcheck disable=SC2086
"$CASESIM" calibrate "$sc" -o one.h5 $small 2>err.txt
[ $? -eq 2 ] || fail "an existing file was replaced without --force"

sed '/^targets:/,$d' "$sc" >no_targets.yaml
"$CASESIM" calibrate no_targets.yaml -o nt.h5 -q 2>err.txt
[ $? -eq 2 ] || fail "a scenario without targets was not refused"
grep -q "nothing to fit" err.txt || fail "no reason given for a scenario without targets"
[ -e nt.h5 ] && fail "a file was written for a scenario without targets"

# Resumed after the evaluation limit, and after SIGINT.
# shellcheck disable=SC2086
"$CASESIM" calibrate "$sc" -o straight.h5 -t 2 --initial 60 --wave 20 --max-evaluations 400 -q ||
    fail "straight run"
cp one.h5 resumed.h5
"$CASESIM" calibrate "$sc" -o resumed.h5 --resume --max-evaluations 400 -q || fail "resume"
$same straight.h5 resumed.h5 >/dev/null || fail "resumed after the limit differs from one run"
"$CASESIM" calibrate "$sc" -o int.h5 -t 1 --initial 60 --wave 20 --max-evaluations 400 2>log.txt &
pid=$!
for _ in $(seq 1 200); do
    grep -q "wave 2," log.txt 2>/dev/null && break
    sleep 0.05
done
kill -INT "$pid"
wait "$pid"
rc=$?
if [ "$rc" -eq 130 ]; then
    /usr/bin/python3 -c "import h5py,sys; sys.exit(h5py.File('int.h5')['/'].attrs['status'] != 'incomplete')" ||
        fail "an interrupted calibration is not marked incomplete"
    "$CASESIM" calibrate "$sc" -o int.h5 --resume --max-evaluations 400 -q || fail "resume after SIGINT"
    $same straight.h5 int.h5 >/dev/null || fail "resumed after SIGINT differs from one run"
elif [ "$rc" -ne 0 ]; then
    fail "interrupted calibration exited $rc"
fi
"$CASESIM" calibrate "$sc" -o one.h5 --resume --seed 5 -q 2>err.txt
[ $? -eq 2 ] || fail "--resume with another seed was not refused"
sed 's/observed: 330/observed: 331/' "$sc" >changed.yaml
"$CASESIM" calibrate changed.yaml -o one.h5 --resume -q 2>err.txt
[ $? -eq 2 ] || fail "--resume with another scenario text was not refused"
grep -q "another scenario text" err.txt || fail "no reason given for another scenario text"

# Common seeds: the same file for 1 and 2 threads, not the file of
# independent seeds, marked in the file and the report; resumed after the
# evaluation limit it ends as one run; --common-seeds cannot resume a file
# made without it.
# shellcheck disable=SC2086
"$CASESIM" calibrate "$sc" -o crn1.h5 -t 1 --common-seeds $small || fail "common seeds, 1 thread"
# shellcheck disable=SC2086
"$CASESIM" calibrate "$sc" -o crn2.h5 -t 2 --common-seeds $small || fail "common seeds, 2 threads"
$same crn1.h5 crn2.h5 >/dev/null || fail "common seeds: 1 and 2 threads differ"
$same one.h5 crn1.h5 >/dev/null 2>&1 && fail "common seeds give the file of independent seeds"
/usr/bin/python3 -c "import h5py,sys; a=h5py.File('crn1.h5')['calibration'].attrs['seeds']; b=h5py.File('one.h5')['calibration'].attrs['seeds']; sys.exit((a, b) != ('common', 'independent'))" ||
    fail "the file does not say whether its seeds were common"
"$CASESIM" report crn1.h5 | grep -q "the same replicates for every point (--common-seeds)" ||
    fail "the report does not say the seeds were common"
"$CASESIM" calibrate "$sc" -o crn_straight.h5 --common-seeds --initial 60 --wave 20 \
    --max-evaluations 400 -q || fail "common seeds, straight run"
cp crn1.h5 crn_resumed.h5
"$CASESIM" calibrate "$sc" -o crn_resumed.h5 --resume --max-evaluations 400 -q ||
    fail "resume with common seeds"
$same crn_straight.h5 crn_resumed.h5 >/dev/null || fail "common seeds: resumed differs from one run"
"$CASESIM" calibrate "$sc" -o one.h5 --resume --common-seeds -q 2>err.txt
[ $? -eq 2 ] || fail "--common-seeds resumed a file of independent seeds"

# --stall-waves: a run stalled under a strict rule (1 wave) resumes under a
# looser one and ends as one run under the looser rule; 0 is refused.
"$CASESIM" calibrate "$sc" -o stall.h5 --initial 60 --wave 20 --max-evaluations 400 \
    --stall-waves 1 -q || fail "a run with --stall-waves 1"
/usr/bin/python3 -c "import h5py,sys; sys.exit(h5py.File('stall.h5')['calibration'].attrs['stop'] != 'stalled')" ||
    fail "--stall-waves 1 did not stall"
"$CASESIM" calibrate "$sc" -o stall.h5 --resume --max-evaluations 400 --stall-waves 1000 -q ||
    fail "a stalled run was not resumed with a larger --stall-waves"
"$CASESIM" calibrate "$sc" -o loose.h5 --initial 60 --wave 20 --max-evaluations 400 \
    --stall-waves 1000 -q || fail "a run with --stall-waves 1000"
$same loose.h5 stall.h5 >/dev/null || fail "a stalled run resumed differs from one run"
"$CASESIM" calibrate "$sc" -o zero.h5 --stall-waves 0 -q 2>err.txt
[ $? -eq 2 ] || fail "--stall-waves 0 was not refused"

# Runs on the posterior.
"$CASESIM" run "$sc" --posterior straight.h5 -o post1.h5 -n 12 -t 1 -q || fail "run --posterior"
"$CASESIM" run "$sc" --posterior straight.h5 -o post2.h5 -n 12 -t 2 -q || fail "run --posterior -t 2"
$same post1.h5 post2.h5 >/dev/null || fail "run --posterior differs between 1 and 2 threads"
"$CASESIM" run "$sc" --posterior straight.h5 -o pa.h5 -n 6 -q || fail "first range"
"$CASESIM" run "$sc" --posterior straight.h5 -o pb.h5 -n 6 --first-replicate 6 -q || fail "range"
"$CASESIM" merge pa.h5 pb.h5 -o pab.h5 >/dev/null 2>&1 || fail "merge of posterior ranges"
$same post1.h5 pab.h5 >/dev/null || fail "merged posterior ranges differ from one run"
/usr/bin/python3 - <<'PY' || fail "posterior run's inputs are not the calibration's points"
import sys
import h5py
import numpy as np
f = h5py.File("post1.h5")
v = f["runs/baseline/uncertain_values"][:]
pts = h5py.File("straight.h5")["calibration/points/values"][:]
ok = f["uncertainty"].attrs["sampling"].startswith("posterior ")
ok = ok and all(np.any(np.all(pts == row, axis=1)) for row in v)
sys.exit(0 if ok else 1)
PY
"$CASESIM" run "$sc" -o prior.h5 -n 6 --first-replicate 6 -q || fail "run on the priors"
"$CASESIM" merge pa.h5 prior.h5 -o mixed.h5 >/dev/null 2>&1 && fail "posterior and prior runs merged"
sed 's/beta: {mean: 0.2, sd: 0.08}/beta: {mean: 0.2, sd: 0.09}/' "$sc" >other_prior.yaml
"$CASESIM" run other_prior.yaml --posterior straight.h5 -o op.h5 -q 2>err.txt
[ $? -eq 2 ] || fail "a posterior applied to other priors"
grep -q "not the one" err.txt || fail "no reason given for other priors"

pt="--method optimize --initial 16 --scale 2 -q"
# shellcheck disable=SC2086
"$CASESIM" calibrate "$sc" -o fit1.h5 -t 1 $pt || fail "point fit with 1 thread"
# shellcheck disable=SC2086
"$CASESIM" calibrate "$sc" -o fit2.h5 -t 2 $pt || fail "point fit with 2 threads"
$same fit1.h5 fit2.h5 >/dev/null || fail "point fits on 1 and 2 threads differ"
rep=$("$CASESIM" report fit1.h5) || fail "report of a point fit"
for want in "NO POSTERIOR UNCERTAINTY" "on fresh seeds" "Fitted targets"; do
    case "$rep" in *"$want"*) ;; *) fail "point fit report lacks: $want" ;; esac
done
md=$("$CASESIM" report fit1.h5 --format markdown) || fail "markdown report of a calibration"
case "$md" in *"| input | prior median"*"## Fitted targets"*) ;; *) fail "markdown report lacks its tables" ;; esac
"$CASESIM" report one.h5 --format csv >cal.csv || fail "CSV report of a calibration"
head -1 cal.csv | grep -qx "table,name,kind,period,source,measure,value" || fail "CSV header"
grep -q "^held_out,minority_ratio,ratio,cohort," cal.csv || fail "CSV lacks the held-out target"
grep -q "^inputs,p_sanctioned,,,,posterior_median," cal.csv || fail "CSV lacks an input"
"$CASESIM" calibrate "$sc" -o fit1.h5 --resume -q 2>err.txt
[ $? -eq 2 ] || fail "a point fit was resumed"
"$CASESIM" calibrate "$sc" -o x.h5 --method simplex -q 2>err.txt
[ $? -eq 2 ] || fail "an unknown method was accepted"
[ -e x.h5 ] && fail "a file was written for an unknown method"

if [ "$failures" -gt 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "calibrate: all checks passed"
