# test_results.c edits results files with the HDF5 API directly (to check that
# other format versions are refused), so it needs HDF5's headers.
if(TARGET test_results)
  target_include_directories(test_results PRIVATE ${HDF5_C_INCLUDE_DIRS})
  target_compile_definitions(test_results PRIVATE ${HDF5_C_DEFINITIONS})
endif()
