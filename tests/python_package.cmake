# The Python package casesim (analysis/python): its pytest suite on fresh
# results files of this build's casesim and on the format-1.0 file of
# tests/data/results, with Debian's /usr/bin/python3 and python3-pytest.
# PYTHONPATH names the source tree's package (test_install.py installs a copy
# with pip and tests that too).
add_test(NAME py_casesim_package
         COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider
                 ${PROJECT_SOURCE_DIR}/analysis/python/tests)
set_tests_properties(py_casesim_package PROPERTIES
  ENVIRONMENT "${CASESIM_TEST_ENV};PYTHONDONTWRITEBYTECODE=1;PYTHONPATH=${PROJECT_SOURCE_DIR}/analysis/python"
  LABELS "python;slow")
