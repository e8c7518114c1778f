# MPI tests: tests/mpi/build.sh configures and builds a separate MPI build
# (SRCDIR/build-mpi, -DCASESIM_MPI=ON, no test suites) — incremental when it
# exists already — and tests/mpi/*_test.sh run it under mpirun. The build is a
# CTest fixture, so that its time (a minute on a clean clone) does not count
# against the run tests' timeouts and they are skipped if it fails.
#
# Not registered in the sanitizer build: the MPI tests exercise their own,
# separately configured build-mpi, so running them from build-sanitize too
# would only run the very same binary twice.
if(CASESIM_SANITIZE)
  return()
endif()

set(CASESIM_MPI_ENV
    "SRCDIR=${PROJECT_SOURCE_DIR}"
    "MPI_BUILDDIR=${PROJECT_SOURCE_DIR}/build-mpi"
    "CASESIM_SERIAL=$<TARGET_FILE:casesim>"
    "OMPI_ALLOW_RUN_AS_ROOT=1"
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
    "OMPI_MCA_rmaps_base_oversubscribe=1")

add_test(NAME mpi_build COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/mpi/build.sh)
set_tests_properties(mpi_build PROPERTIES ENVIRONMENT "${CASESIM_MPI_ENV}"
                     FIXTURES_SETUP casesim_mpi TIMEOUT 900 RUN_SERIAL TRUE LABELS "mpi;slow")

file(GLOB MPI_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/mpi/*_test.sh)
foreach(script ${MPI_TESTS})
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME mpi_${name} COMMAND bash ${script})
  set_tests_properties(mpi_${name} PROPERTIES ENVIRONMENT "${CASESIM_MPI_ENV}"
                       FIXTURES_REQUIRED casesim_mpi TIMEOUT 120 LABELS "mpi;slow"
                       # Each runs up to three ranks on this machine's cores:
                       # two at once oversubscribe them threefold.
                       RESOURCE_LOCK casesim_mpi_ranks)
endforeach()
