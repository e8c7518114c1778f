# equal_test.sh — `mpirun -np K casesim run` writes the same file as one
# process (h5_same.py: every dataset and attribute but `created` and
# `command_line`):
#  - K = 1, 2, 3 ranks (1 thread each) and 2 ranks x 3 threads equal the
#    serial build's run, with case records (whose replicates are spread over
#    the ranks);
#  - more ranks than replicates, several variants;
#  - a replicate range (--first-replicate) over 3 ranks, and --only;
#  - uncertain inputs drawn (two replicates per draw, a draw split between
#    ranks): 2 and 3 ranks equal the serial run, every rank computing the
#    draws from their keys; and --no-uncertainty;
#  - a system that changes over time (schedules, timed interventions, an
#    initial backlog, feedback loops) over 3 ranks.
set -u
. "$(dirname "$0")/common.sh"

# 1, 2 and 3 ranks equal the serial run.
"$CASESIM_SERIAL" run "$minimal" -o serial.h5 -n 7 --case-records 3 -q ||
    fail "serial reference run failed"
for k in 1 2 3; do
    run_np $k "$minimal" -o np$k.h5 -n 7 --case-records 3 -q -t 1
    expect 0 "np $k"
    $same serial.h5 np$k.h5 || fail "$k ranks differ from the serial run"
done

# Threads inside the ranks (3 each, unbound, on 2 cores: oversubscribed).
timeout 60 mpirun --oversubscribe --allow-run-as-root --bind-to none -np 2 "$mpi" run \
    "$minimal" -o threads.h5 -n 7 --case-records 3 -q -t 3 >stdout 2>stderr
expect 0 "2 ranks x 3 threads"
$same serial.h5 threads.h5 || fail "2 ranks x 3 threads differ from the serial run"

# Several variants, more ranks than replicates, a range with --only.
"$CASESIM_SERIAL" run "$illustrative" -o ill.h5 -n 2 -q || fail "serial illustrative failed"
run_np 3 "$illustrative" -o ill3.h5 -n 2 -q -t 1
expect 0 "3 ranks, 2 replicates"
$same ill.h5 ill3.h5 || fail "3 ranks with 2 replicates differ from the serial run"
only=$(/usr/bin/python3 -c 'import h5py, sys; print(h5py.File(sys.argv[1], "r")["scenario/variants"].asstr()[-1])' ill.h5)
"$CASESIM_SERIAL" run "$minimal" -o range.h5 --first-replicate 4 -n 5 -q ||
    fail "serial range failed"
run_np 3 "$minimal" -o range3.h5 --first-replicate 4 -n 5 -q -t 1
expect 0 "3 ranks, a range"
$same range.h5 range3.h5 || fail "3 ranks differ from the serial run on replicates 4..8"
if [ -n "$only" ]; then
    "$CASESIM_SERIAL" run "$illustrative" -o only.h5 -n 3 --only "$only" -q ||
        fail "serial --only failed"
    run_np 2 "$illustrative" -o only2.h5 -n 3 --only "$only" -q -t 1
    expect 0 "2 ranks, --only $only"
    $same only.h5 only2.h5 || fail "2 ranks with --only differ from the serial run"
else
    fail "could not read a variant name from the illustrative results"
fi

# Time and feedback: the feedback trajectories and measures by arrival year
# too are the same over ranks.
dynamics="$SRCDIR/scenarios/illustrative_dynamics.yaml"
"$CASESIM_SERIAL" run "$dynamics" -o dyn.h5 -n 3 -q || fail "serial dynamics run failed"
run_np 3 "$dynamics" -o dyn3.h5 -n 3 -q -t 1
expect 0 "3 ranks, time and feedback"
$same dyn.h5 dyn3.h5 || fail "3 ranks differ from the serial run with time and feedback"

# Uncertain inputs.
unc="$SRCDIR/tests/data/valid/uncertain.yaml"
"$CASESIM_SERIAL" run "$unc" -o unc.h5 -n 7 -q || fail "serial uncertain run failed"
for k in 2 3; do
    run_np $k "$unc" -o unc$k.h5 -n 7 -q -t 1
    expect 0 "uncertain, np $k"
    $same unc.h5 unc$k.h5 || fail "uncertain inputs: $k ranks differ from the serial run"
done
"$CASESIM_SERIAL" run "$unc" -o fixed.h5 -n 4 -q --no-uncertainty || fail "serial fixed failed"
run_np 2 "$unc" -o fixed2.h5 -n 4 -q -t 1 --no-uncertainty
expect 0 "--no-uncertainty, np 2"
$same fixed.h5 fixed2.h5 || fail "--no-uncertainty: 2 ranks differ from the serial run"

if [ "$failures" -gt 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "mpi equal: all checks passed"
