# valgrind (issue 8, item 3): tests/valgrind/*.sh run the program under
# memcheck. Registered in the normal build only: memcheck cannot run a binary
# built with AddressSanitizer.
if(NOT CASESIM_SANITIZE AND NOT CASESIM_FUZZ)
  file(GLOB valgrind_tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/valgrind/*.sh)
  foreach(script ${valgrind_tests})
    get_filename_component(name ${script} NAME_WE)
    add_test(NAME valgrind_${name} COMMAND bash ${script})
    set_tests_properties(valgrind_${name} PROPERTIES ENVIRONMENT "${CASESIM_TEST_ENV}" TIMEOUT 600
                         LABELS "valgrind;slow")
  endforeach()
endif()
