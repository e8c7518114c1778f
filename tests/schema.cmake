# test_schema.c is also built against a second copy of the library compiled
# with CASESIM_SCHEMA_TEST_ARRAY: its results schema has one more line (a
# test-only per-replicate array, casesim/schema.h) and nothing else differs.
# The same tests passing in both builds show that the line alone puts the
# array in the written file, the reader, the join and the MPI packing.
if(TARGET test_schema)
  target_include_directories(test_schema PRIVATE ${HDF5_C_INCLUDE_DIRS})
  target_compile_definitions(test_schema PRIVATE ${HDF5_C_DEFINITIONS})

  add_library(casesim_lib_schema_test STATIC EXCLUDE_FROM_ALL ${CASESIM_LIB_SOURCES})
  target_include_directories(casesim_lib_schema_test PUBLIC ${PROJECT_SOURCE_DIR}/include
                             PRIVATE ${PROJECT_SOURCE_DIR}/model ${HDF5_C_INCLUDE_DIRS})
  target_compile_definitions(casesim_lib_schema_test
                             PUBLIC CASESIM_VERSION_STRING="${PROJECT_VERSION}"
                                    CASESIM_SCHEMA_TEST_ARRAY=1
                             PRIVATE ${HDF5_C_DEFINITIONS})
  target_link_libraries(casesim_lib_schema_test PUBLIC GSL::gsl OpenMP::OpenMP_C PkgConfig::YAML
                        ${HDF5_HL_LIBRARIES} ${HDF5_C_LIBRARIES} ${MATH_LIBRARY})

  add_executable(test_schema_extra ${CMAKE_CURRENT_SOURCE_DIR}/test_schema.c ${TEST_SUPPORT})
  target_include_directories(test_schema_extra PRIVATE ${PROJECT_SOURCE_DIR}/model
                             ${CMAKE_CURRENT_SOURCE_DIR}/support ${HDF5_C_INCLUDE_DIRS})
  target_compile_definitions(test_schema_extra PRIVATE ${HDF5_C_DEFINITIONS})
  target_link_libraries(test_schema_extra PRIVATE casesim_lib_schema_test PkgConfig::CHECK)
  add_test(NAME test_schema_extra COMMAND test_schema_extra)
  set_tests_properties(test_schema_extra PROPERTIES ENVIRONMENT "${CASESIM_TEST_ENV}"
                       LABELS "quick;unit")
endif()
