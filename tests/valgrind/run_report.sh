# run_report.sh — a small `casesim check`, `casesim run` and `casesim report`
# are clean under valgrind's memcheck: no invalid read or write, no use of an
# uninitialised value, no definite or indirect leak (issue 8, item 3).
#
# Still-reachable and possibly-lost blocks are not counted: libgomp keeps its
# thread pool and thread-local blocks until exit, and HDF5 and libyaml keep
# library-global state; none of that grows with the work done. No suppression
# file is used.
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# vg NAME WANT COMMAND...: runs COMMAND under memcheck; its exit status must
# be WANT (memcheck's own errors exit 99) and memcheck must report nothing.
vg() {
    local name=$1 want=$2
    shift 2
    valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
        --errors-for-leak-kinds=definite,indirect --track-origins=yes \
        --log-file="$work/$name.vg" "$@" >"$work/$name.out" 2>"$work/$name.err"
    local status=$?
    if [ "$status" -ne "$want" ]; then
        fail "$name: exit $status under valgrind, expected $want"
        cat "$work/$name.vg" "$work/$name.err" >&2
    elif [ -s "$work/$name.vg" ]; then
        fail "$name: valgrind reported:"
        cat "$work/$name.vg" >&2
    fi
}

scenario="$SRCDIR/scenarios/minimal.yaml"
vg check 0 "$CASESIM" check "$scenario"
vg check_invalid 2 "$CASESIM" check "$SRCDIR/tests/data/invalid/many_errors.yaml"
vg run 0 "$CASESIM" run "$scenario" -o "$work/out.h5" -n 2 --threads 2 -q
[ -s "$work/out.h5" ] || fail "run wrote no results file"
vg report 0 "$CASESIM" report "$work/out.h5"
grep -q . "$work/report.out" || fail "report printed nothing"
vg report_csv 0 "$CASESIM" report "$work/out.h5" --format csv
vg report_missing 1 "$CASESIM" report "$work/nonexistent.h5"
# Time and feedback: the loader's schedules, timed interventions, initial
# backlog and feedback, and a schedule that breaks a rule at one time.
vg check_dynamics 0 "$CASESIM" check "$SRCDIR/scenarios/illustrative_dynamics.yaml"
vg check_dynamics_invalid 2 "$CASESIM" check \
    "$SRCDIR/tests/data/invalid/dyn_schedule_makes_p_invalid.yaml"

echo "valgrind: $failures failure(s)"
[ "$failures" -eq 0 ]
