# test_disparity_ratio.c calls the analysis tables' pure function
# (cs_analysis_compute, results/internal.h), whose header names HDF5 types.
if(TARGET test_disparity_ratio)
  target_include_directories(test_disparity_ratio PRIVATE ${HDF5_C_INCLUDE_DIRS})
  target_compile_definitions(test_disparity_ratio PRIVATE ${HDF5_C_DEFINITIONS})
endif()
