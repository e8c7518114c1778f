# test_cli_common.c tests helpers of the program (model/cli/common.c), which
# are not in libcasesim: compile them into the suite.
if(TARGET test_cli_common)
  target_sources(test_cli_common PRIVATE ${PROJECT_SOURCE_DIR}/model/cli/common.c)
endif()
