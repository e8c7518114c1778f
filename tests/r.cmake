# The R reader (analysis/R/casesim.R, with Debian's r-cran-hdf5r), tested on
# a fresh results file and on the format-1.0 file of tests/data/results.
# scripts/setup-deps.sh installs R; without Rscript the test fails, saying so.
find_program(CASESIM_RSCRIPT Rscript)
if(CASESIM_RSCRIPT)
  add_test(NAME r_reader
           COMMAND ${CASESIM_RSCRIPT} ${PROJECT_SOURCE_DIR}/analysis/R/tests/test_reader.R)
else()
  add_test(NAME r_reader COMMAND sh -c
           "echo 'Rscript not found: run scripts/setup-deps.sh (r-base-core, r-cran-hdf5r)'; exit 1")
endif()
set_tests_properties(r_reader PROPERTIES ENVIRONMENT "${CASESIM_TEST_ENV}" LABELS "r;quick")
