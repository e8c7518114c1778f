# stop_test.sh — errors and signals under `mpirun -np K casesim run`:
#  - errors end every rank with rank 0's exit status (no hang): an existing
#    output (2, file untouched), an invalid scenario (2, nothing written), a
#    rank 0 that cannot write its file (1, nothing written);
#  - SIGTERM mid-run to every rank (what Slurm's scancel does), or to one
#    worker rank only, publishes an incomplete file of whole replicates, every
#    rank exits with 143, and `mpirun -np 2 casesim run --resume` then equals
#    an uninterrupted run (case records included).
set -u
. "$(dirname "$0")/common.sh"

# Errors: every rank ends, with rank 0's status.
echo "precious results" >existing.h5
cp existing.h5 keep.h5
run_np 3 "$minimal" -o existing.h5 -n 3 -q
expect 2 "existing output"
grep -q -- "--overwrite" stderr || fail "existing output: no mention of --overwrite"
cmp -s existing.h5 keep.h5 || fail "existing output was modified"
printf 'casesim: 1\nname: broken\nstaf: 3\n' >bad.yaml
run_np 2 bad.yaml -o bad.h5 -q
expect 2 "invalid scenario"
[ ! -e bad.h5 ] || fail "invalid scenario: a file was written"

# A rank 0 that cannot write (its file size limited, as a full disk; the
# other ranks unlimited, MPMD): every rank ends with status 1, nothing is
# published and no temporary file is left.
printf '#!/bin/bash\ntrap "" XFSZ\nulimit -f 64\nexec "$@"\n' >limited.sh
mkdir -p full
timeout 60 mpirun --oversubscribe --allow-run-as-root -np 1 bash limited.sh "$mpi" run \
    "$minimal" -o full/out.h5 -n 7 -q -t 1 : -np 2 "$mpi" run "$minimal" -o full/out.h5 -n 7 \
    -q -t 1 >stdout 2>stderr
expect 1 "rank 0 cannot write"
grep -q "nothing was written" stderr || fail "rank 0 cannot write: no message: $(tail -5 stderr)"
[ -z "$(ls -A full)" ] || fail "rank 0 cannot write: files left: $(ls -A full)"

# SIGTERM mid-run, then --resume over 2 ranks. Without a terminal rank 0
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
echo "mpi stop: all checks passed"
