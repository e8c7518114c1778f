# sensitivity_test.sh — `mpirun -np K casesim sensitivity` writes the same
# file as one process (h5_same.py: every dataset and attribute but `created`
# and `command_line`), /sensitivity included: 2 and 3 ranks, Sobol and
# Morris; bad input on rank 0 ends every rank with its exit status and no
# file; a study resumed over 2 ranks equals one run.
set -u
. "$(dirname "$0")/common.sh"
sens="$SRCDIR/tests/data/valid/sensitivity.yaml"

# sens_np K ARGS...: mpirun -np K casesim sensitivity, bounded in time.
sens_np() {
    local k=$1
    shift
    timeout 120 mpirun --oversubscribe --allow-run-as-root -np "$k" "$mpi" sensitivity "$@" \
        >"$work/stdout" 2>"$work/stderr"
}

"$CASESIM_SERIAL" sensitivity "$sens" -o serial.h5 -N 16 -q || fail "serial study failed"
for k in 2 3; do
    sens_np $k "$sens" -o np$k.h5 -N 16 -q -t 1
    expect 0 "sobol, np $k"
    $same serial.h5 np$k.h5 || fail "sobol: $k ranks differ from one process"
done
"$CASESIM_SERIAL" sensitivity "$sens" -o morris.h5 --method morris --trajectories 4 -q ||
    fail "serial Morris failed"
sens_np 2 "$sens" -o morris2.h5 --method morris --trajectories 4 -q -t 1
expect 0 "morris, np 2"
$same morris.h5 morris2.h5 || fail "morris: 2 ranks differ from one process"

sens_np 2 "$sens" -o bad.h5 -N 1000 -q
expect 2 "not a power of two, np 2"
[ -e bad.h5 ] && fail "a refused study wrote a file"

# A study stopped by SIGTERM in one process and resumed over 2 ranks equals
# one uninterrupted run.
"$CASESIM_SERIAL" sensitivity "$sens" -o part.h5 -N 256 -t 1 2>run.err &
pid=$!
waited=0
while ! grep -q "done" run.err 2>/dev/null && [ $waited -lt 600 ]; do
    sleep 0.05
    waited=$((waited + 1))
done
kill -TERM $pid
wait $pid
sens_np 2 "$sens" -o part.h5 -N 256 --resume -q -t 1
expect 0 "resume, np 2"
"$CASESIM_SERIAL" sensitivity "$sens" -o whole.h5 -N 256 -q || fail "serial whole study failed"
$same whole.h5 part.h5 || fail "a study resumed over 2 ranks differs from one run"

if [ "$failures" -gt 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "mpi sensitivity: all checks passed"
