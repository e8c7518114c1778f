# Fuzzing inside `make test` (issue 8): a separate clang build of the
# libFuzzer targets (scripts/fuzz.sh build, in BUILD/fuzz-build), a replay of
# every saved corpus input and seed, and a short run of each target
# (CASESIM_FUZZ_SECONDS, 60 by default). Registered in the normal build only:
# the fuzz targets carry ASan + UBSan themselves, so the sanitize build would
# repeat the same work, and a CASESIM_FUZZ build is itself the fuzz tree.
set(CASESIM_FUZZ_SECONDS 60 CACHE STRING "Seconds per fuzz target in the test suite")
if(NOT CASESIM_SANITIZE AND NOT CASESIM_FUZZ)
  set(fuzz_dir ${PROJECT_BINARY_DIR}/fuzz-build)
  set(fuzz_sh ${PROJECT_SOURCE_DIR}/scripts/fuzz.sh)
  add_test(NAME fuzz_build COMMAND bash ${fuzz_sh} build ${fuzz_dir})
  set_tests_properties(fuzz_build PROPERTIES FIXTURES_SETUP fuzz_targets TIMEOUT 1200
                       LABELS "fuzz;slow")
  add_test(NAME fuzz_replay COMMAND bash ${fuzz_sh} replay ${fuzz_dir})
  set_tests_properties(fuzz_replay PROPERTIES FIXTURES_REQUIRED fuzz_targets TIMEOUT 600
                       LABELS "fuzz;slow")
  file(GLOB fuzz_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/fuzz/fuzz_*.c)
  math(EXPR fuzz_timeout "${CASESIM_FUZZ_SECONDS} + 300")
  foreach(src ${fuzz_sources})
    get_filename_component(name ${src} NAME_WE)
    string(REGEX REPLACE "^fuzz_" "" target ${name})
    add_test(NAME fuzz_run_${target}
             COMMAND bash ${fuzz_sh} run ${fuzz_dir} ${CASESIM_FUZZ_SECONDS} ${target})
    set_tests_properties(fuzz_run_${target} PROPERTIES FIXTURES_REQUIRED fuzz_targets
                         TIMEOUT ${fuzz_timeout} LABELS "fuzz;slow")
  endforeach()
endif()
