# The pcg-cpp reference comparison (tests/pcg_reference/): a small C++
# library around Debian's pcg_random.hpp, linked only into the C suite
# test_rng_reference, which compares cs_pcg32 with it output for output.
# The suite lives in a subdirectory so that the tests/test_*.c glob, which
# links suites without this library, does not pick it up.
find_path(PCG_CPP_INCLUDE_DIR pcg_random.hpp REQUIRED
          DOC "pcg-cpp headers (Debian package libpcg-cpp-dev)")

add_library(pcg_reference STATIC ${CMAKE_CURRENT_SOURCE_DIR}/pcg_reference/pcg_reference.cpp)
# SYSTEM: the third-party header is not held to our -Wpedantic -Werror.
target_include_directories(pcg_reference SYSTEM PRIVATE ${PCG_CPP_INCLUDE_DIR})
target_include_directories(pcg_reference PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/pcg_reference)

add_executable(test_rng_reference ${CMAKE_CURRENT_SOURCE_DIR}/pcg_reference/test_rng_reference.c
               ${TEST_SUPPORT})
target_include_directories(test_rng_reference PRIVATE ${PROJECT_SOURCE_DIR}/model
                           ${CMAKE_CURRENT_SOURCE_DIR}/support)
# Linking a C++ static library makes CMake link with the C++ driver (libstdc++).
target_link_libraries(test_rng_reference PRIVATE pcg_reference casesim_lib PkgConfig::CHECK)
add_test(NAME test_rng_reference COMMAND test_rng_reference)
set_tests_properties(test_rng_reference PROPERTIES ENVIRONMENT "${CASESIM_TEST_ENV}"
                     LABELS "quick;unit")
