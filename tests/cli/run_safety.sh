# run_safety.sh — `casesim run` never damages or half-writes a file:
#  - an existing file is left untouched without --overwrite (exit 2);
#  - an invalid scenario, bad usage, or the scenario itself as output: exit 2, no file;
#  - an unwritable place or a full disk: exit 1, nothing under the target name,
#    no temporary file left behind;
#  - SIGTERM / SIGINT: exit 143 / 130 and a readable file with status
#    "incomplete" holding the finished replicates.
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"

. "$SRCDIR/tests/cli/lib.sh"
minimal="$SRCDIR/scenarios/minimal.yaml"
illustrative="$SRCDIR/scenarios/illustrative.yaml"

# no_leftovers DIR: no temporary file of ours in DIR.
no_leftovers() {
    local left
    left=$(find "$1" -maxdepth 1 -name '.*.tmp-*' | head -1)
    [ -z "$left" ] || fail "temporary file left behind: $left"
}


# 1. An existing file is never overwritten without --overwrite.
d="$work/existing"
mkdir -p "$d"
echo "precious results" >"$d/out.h5"
cp "$d/out.h5" "$d/before"
expect_exit 2 "existing output" -- "$CASESIM" run "$minimal" -o "$d/out.h5" -n 2 -q
cmp -s "$d/out.h5" "$d/before" || fail "existing output was modified"
grep -q -- "--overwrite" "$work/stderr" || fail "the refusal does not mention --overwrite"
no_leftovers "$d"
expect_exit 0 "--overwrite" -- "$CASESIM" run "$minimal" -o "$d/out.h5" -n 2 -q --overwrite
h5dump -H "$d/out.h5" >/dev/null 2>&1 || fail "--overwrite did not leave an HDF5 file"
[ "$(h5attr "$d/out.h5" status)" = complete ] || fail "status of a finished run is not complete"
no_leftovers "$d"

# 2. Invalid input and bad usage: exit 2 and no file at all.
d="$work/invalid"
mkdir -p "$d"
printf 'casesim: 1\nname: broken\nstaf: 3\n' >"$d/bad.yaml"
expect_exit 2 "invalid scenario" -- "$CASESIM" run "$d/bad.yaml" -o "$d/out.h5" -q
# A scenario file that cannot be read is an input/output failure (exit 1,
# as for `casesim check`), but nothing is written either.
expect_exit 1 "missing scenario file" -- "$CASESIM" run "$d/nonexistent.yaml" -o "$d/out.h5" -q
expect_exit 2 "no -o" -- "$CASESIM" run "$minimal" -q
expect_exit 2 "bad --replicates" -- "$CASESIM" run "$minimal" -o "$d/out.h5" -n 0
expect_exit 2 "non-numeric --seed" -- "$CASESIM" run "$minimal" -o "$d/out.h5" -s 12abc
expect_exit 2 "unknown option" -- "$CASESIM" run "$minimal" -o "$d/out.h5" --bogus
expect_exit 2 "unknown --only" -- "$CASESIM" run "$minimal" -o "$d/out.h5" --only nosuch
cp "$minimal" "$d/scenario.yaml"
cp "$minimal" "$d/scenario.before"
expect_exit 2 "output = input" -- "$CASESIM" run "$d/scenario.yaml" -o "$d/scenario.yaml" --overwrite
cmp -s "$d/scenario.yaml" "$d/scenario.before" || fail "the scenario was overwritten by its own results"
left=$(cd "$d" && ls -A | grep -v -e '^bad.yaml$' -e '^scenario.yaml$' -e '^scenario.before$')
[ -z "$left" ] || fail "files created by refused runs: $left"
expect_exit 0 "--help" -- "$CASESIM" run --help

# 3. An unwritable place: exit 1, nothing written.
d="$work/unwritable"
mkdir -p "$d"
echo "not a directory" >"$d/afile"
expect_exit 1 "output under a regular file" -- "$CASESIM" run "$minimal" -o "$d/afile/out.h5" -q
expect_exit 1 "output in a missing directory" -- "$CASESIM" run "$minimal" -o "$d/no/such/out.h5" -q
grep -q "cannot write" "$work/stderr" || fail "no 'cannot write' message: $(cat "$work/stderr")"
if [ "$(id -u)" -ne 0 ]; then # root may write into a read-only directory
    mkdir -p "$d/ro"
    chmod 555 "$d/ro"
    expect_exit 1 "read-only directory" -- "$CASESIM" run "$minimal" -o "$d/ro/out.h5" -q
    [ -z "$(ls -A "$d/ro")" ] || fail "files in the read-only directory: $(ls -A "$d/ro")"
fi

# 4. A full disk, simulated with a file-size limit (writes fail with EFBIG
#    once SIGXFSZ is ignored, as a write to a full disk fails with ENOSPC):
#    exit 1, no target, no temporary file.
d="$work/full"
mkdir -p "$d"
(
    trap '' XFSZ
    ulimit -f 64 # 64 KiB: the results file needs far more
    "$CASESIM" run "$illustrative" -o "$d/out.h5" -n 3 -q >"$work/stdout" 2>"$work/stderr"
    echo $? >"$work/full_status"
)
[ "$(cat "$work/full_status")" = 1 ] || fail "full disk: exit $(cat "$work/full_status"), expected 1: $(cat "$work/stderr")"
[ ! -e "$d/out.h5" ] || fail "full disk: a file was left under the target name"
no_leftovers "$d"

# 5. Interrupted runs: the finished replicates are kept and published.
#    signal_run SIGNAL WANT: start a long run, let some replicates finish
#    (without a terminal, a progress line comes every 10%: the first after
#    2000 of 20000 replicates of the small scenario, about a second), then
#    send the signal, long before the run could finish.
signal_run() {
    local sig=$1 want=$2 dir="$work/signal_$1"
    mkdir -p "$dir"
    "$CASESIM" run "$minimal" -o "$dir/out.h5" -n 20000 --threads 2 2>"$dir/stderr" &
    local pid=$! waited=0
    while ! grep -q "done" "$dir/stderr" 2>/dev/null && [ $waited -lt 300 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    kill -s "$sig" $pid
    wait $pid
    local status=$?
    [ "$status" -eq "$want" ] || fail "$sig: exit $status, expected $want: $(cat "$dir/stderr")"
    [ -f "$dir/out.h5" ] || {
        fail "$sig: no results file was published"
        return
    }
    [ "$(h5attr "$dir/out.h5" status)" = incomplete ] || fail "$sig: status is not incomplete"
    local reps
    reps=$(h5attr "$dir/out.h5" replicates)
    [ "${reps:-0}" -ge 1 ] || fail "$sig: no finished replicate kept (replicates = '$reps')"
    "$CASESIM" report "$dir/out.h5" >"$dir/report" 2>&1 || fail "$sig: the file cannot be reported"
    grep -q "interrupted" "$dir/report" || fail "$sig: the report does not say the run was interrupted"
    no_leftovers "$dir"
}
signal_run TERM 143
signal_run INT 130

finish "run safety"
