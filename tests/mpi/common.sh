# common.sh — sourced by the MPI test scripts: environment, a scratch
# directory (the current directory afterwards), and small helpers.
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
# h5_same.py: every dataset and attribute but `created` and `command_line`.
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

