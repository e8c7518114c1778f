# build.sh — configures (once) and builds the MPI casesim in $MPI_BUILDDIR:
# -DCASESIM_MPI=ON (Open MPI's mpicc wrapper flags through find_package(MPI)),
# serial HDF5, warnings as errors, no test suites. Incremental afterwards, so
# that the MPI tests always run the current sources.
set -eu
: "${SRCDIR:?SRCDIR must name the source tree}"
: "${MPI_BUILDDIR:?MPI_BUILDDIR must name the MPI build directory}"
command -v mpirun >/dev/null || {
    echo "mpirun not found: install Open MPI (bash scripts/setup-deps.sh)" >&2
    exit 1
}
if [ ! -f "$MPI_BUILDDIR/CMakeCache.txt" ]; then
    log=$(mktemp)
    cmake -S "$SRCDIR" -B "$MPI_BUILDDIR" -DCASESIM_MPI=ON -DCASESIM_TESTS=OFF \
        -DCASESIM_WERROR=ON >"$log" 2>&1 || {
        cat "$log" >&2
        rm -f "$log"
        exit 1
    }
    rm -f "$log"
fi
cmake --build "$MPI_BUILDDIR" -j 2 --target casesim
"$MPI_BUILDDIR/casesim" --version
