# calibrate_test.sh — `mpirun -np K casesim calibrate` writes the same file
# as one process (h5_same.py: every dataset and attribute but `created` and
# `command_line`): IMIS on 1, 2 and 3 ranks, and the point fit
# (--method optimize) on 2 and 3; --resume over several ranks is refused on
# every rank with rank 0's exit status and the file left as it was.
set -u
. "$(dirname "$0")/common.sh"
cal="$SRCDIR/tests/data/valid/calibrate.yaml"

# cal_np K ARGS...: mpirun -np K casesim calibrate, bounded in time.
cal_np() {
    local k=$1
    shift
    timeout 120 mpirun --oversubscribe --allow-run-as-root -np "$k" "$mpi" calibrate "$@" \
        >"$work/stdout" 2>"$work/stderr"
}

small="--initial 60 --wave 20 --max-evaluations 140 --scale 2 -q -t 1"
# shellcheck disable=SC2086
"$CASESIM_SERIAL" calibrate "$cal" -o serial.h5 $small || fail "serial calibration failed"
for k in 1 2 3; do
    # shellcheck disable=SC2086
    cal_np $k "$cal" -o np$k.h5 $small
    expect 0 "imis, np $k"
    $same serial.h5 np$k.h5 || fail "imis: $k ranks differ from one process"
done
# the comparison can fail: another seed over 2 ranks gives another file
# shellcheck disable=SC2086
cal_np 2 "$cal" -o seed.h5 $small --seed 99
expect 0 "imis, np 2, seed 99"
$same serial.h5 seed.h5 >/dev/null 2>&1 && fail "another seed gives the same file"

pt="--method optimize --initial 16 --scale 3 --max-evaluations 60 -q -t 1"
# shellcheck disable=SC2086
"$CASESIM_SERIAL" calibrate "$cal" -o fit.h5 $pt || fail "serial point fit failed"
for k in 2 3; do
    # shellcheck disable=SC2086
    cal_np $k "$cal" -o fit$k.h5 $pt
    expect 0 "optimize, np $k"
    $same fit.h5 fit$k.h5 || fail "optimize: $k ranks differ from one process"
done

cp serial.h5 kept.h5
cal_np 2 "$cal" -o kept.h5 --resume --max-evaluations 200 -q
expect 2 "resume over 2 ranks"
grep -q "one MPI rank" "$work/stderr" || fail "no reason given for a refused resume"
$same serial.h5 kept.h5 || fail "a refused resume changed the file"

if [ "$failures" -gt 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "mpi calibrate: all checks passed"
