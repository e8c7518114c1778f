# run_test.sh — `mpirun -np K casesim run` writes the same file as one process:
#  - K = 1, 2, 3 ranks equal the serial build's run (h5_same.py: every dataset
#    and attribute but `created` and `command_line`), with case records (whose
#    replicates are spread over the ranks) and with more ranks than replicates;
#  - a replicate range (--first-replicate) with --only, over 3 ranks;
#  - errors end every rank with rank 0's exit status (no hang): an existing
#    output (2, file untouched), an invalid scenario (2, nothing written);
#  - SIGTERM mid-run to every rank (what Slurm's scancel does), or to one
#    worker rank only, publishes an incomplete file of whole replicates, every
#    rank exits with 143, and `mpirun -np 2 casesim run --resume` then equals
#    an uninterrupted run (case records included).
set -u
: "${SRCDIR:?SRCDIR must name the source tree}"
: "${MPI_BUILDDIR:?MPI_BUILDDIR must name the MPI build directory}"
: "${CASESIM_SERIAL:?CASESIM_SERIAL must name the serial casesim}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
mpi="$MPI_BUILDDIR/casesim"
[ -x "$mpi" ] || {
    echo "no MPI build at $mpi (the mpi_build test makes it)" >&2
    exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
minimal="$SRCDIR/scenarios/minimal.yaml"
illustrative="$SRCDIR/scenarios/illustrative.yaml"
same="/usr/bin/python3 $SRCDIR/tests/support/h5_same.py"
failures=0
cd "$work" || exit 1

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# run_np K ARGS...: mpirun -np K with the MPI casesim, bounded in time so
# that a hang fails the test instead of blocking it.
run_np() {
    local k=$1
    shift
    timeout 60 mpirun --oversubscribe --allow-run-as-root -np "$k" "$mpi" run "$@" \
        >"$work/stdout" 2>"$work/stderr"
}

expect() { # expect WANT DESCRIPTION: the last run_np's exit status
    local got=$?
    [ "$got" -eq "$1" ] || fail "$2: exit $got, expected $1: $(tail -5 "$work/stderr")"
}

h5attr() {
    h5dump -a "/$2" "$1" 2>/dev/null | sed -n 's/^ *(0): *//p' | tr -d '"'
}

# 1. 1, 2 and 3 ranks equal the serial run.
"$CASESIM_SERIAL" run "$minimal" -o serial.h5 -n 7 --case-records 3 -q ||
    fail "serial reference run failed"
for k in 1 2 3; do
    run_np $k "$minimal" -o np$k.h5 -n 7 --case-records 3 -q -t 1
    expect 0 "np $k"
    $same serial.h5 np$k.h5 || fail "$k ranks differ from the serial run"
done

# 2. Several variants, more ranks than replicates, a range with --only.
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

# 3. Errors: every rank ends, with rank 0's status.
cp np2.h5 keep.h5
run_np 3 "$minimal" -o np2.h5 -n 3 -q
expect 2 "existing output"
grep -q -- "--overwrite" stderr || fail "existing output: no mention of --overwrite"
cmp -s np2.h5 keep.h5 || fail "existing output was modified"
printf 'casesim: 1\nname: broken\nstaf: 3\n' >bad.yaml
run_np 2 bad.yaml -o bad.h5 -q
expect 2 "invalid scenario"
[ ! -e bad.h5 ] || fail "invalid scenario: a file was written"

# 4. SIGTERM mid-run, then --resume over 2 ranks. Without a terminal rank 0
#    prints a progress line every 10%; the signal goes as soon as the first
#    appears (100 of 1000 replicates). The ranks (mpirun's children) are
#    signalled directly, as Slurm does (mpirun itself, when signalled, gives
#    them only odls_base_sigkill_timeout, 1 s, before SIGKILL): all of them,
#    then only the last (rank 0 must stop the others and publish).
n=1000
"$CASESIM_SERIAL" run "$minimal" -o full.h5 -n $n --case-records 2 -q ||
    fail "serial full run failed"
for who in all last; do
    rm -f part.h5 run.err
    mpirun --oversubscribe --allow-run-as-root -np 3 "$mpi" run "$minimal" -o part.h5 \
        -n $n --case-records 2 -t 1 2>run.err &
    pid=$!
    waited=0
    while ! grep -q "done" run.err 2>/dev/null && [ $waited -lt 600 ]; do
        sleep 0.05
        waited=$((waited + 1))
    done
    ranks=$(pgrep -P $pid | sort -n)
    [ "$who" = last ] && ranks=$(echo "$ranks" | tail -1)
    [ -n "$ranks" ] || fail "SIGTERM ($who): no rank of mpirun $pid to signal"
    kill -TERM $ranks
    wait $pid
    status=$?
    [ "$status" -eq 143 ] || fail "SIGTERM ($who): mpirun exit $status, expected 143: $(cat run.err)"
    grep -q "keeping the" run.err || fail "SIGTERM ($who): rank 0 did not say what it kept"
    if [ ! -f part.h5 ]; then
        fail "SIGTERM ($who): no file was published: $(cat run.err)"
        continue
    fi
    kept=$(h5attr part.h5 replicates)
    [ "$(h5attr part.h5 status)" = incomplete ] || fail "SIGTERM ($who): status is not incomplete"
    [ "${kept:-0}" -lt $n ] || fail "SIGTERM ($who): the run was not interrupted ($kept replicates)"
    run_np 2 "$minimal" -o part.h5 --resume -t 1 -q
    expect 0 "resume over 2 ranks"
    $same full.h5 part.h5 || fail "SIGTERM ($who) + resume over 2 ranks differs from one run"
done
[ -z "$(find . -maxdepth 1 -name '.*.tmp-*')" ] || fail "a temporary file was left behind"

if [ "$failures" -gt 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "mpi run: all checks passed"
