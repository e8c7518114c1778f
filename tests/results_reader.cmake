# test_results_reader.c damages results files with the HDF5 API directly, so
# it needs HDF5's headers (as test_results does, tests/results.cmake).
if(TARGET test_results_reader)
  target_include_directories(test_results_reader PRIVATE ${HDF5_C_INCLUDE_DIRS})
  target_compile_definitions(test_results_reader PRIVATE ${HDF5_C_DEFINITIONS})
endif()
