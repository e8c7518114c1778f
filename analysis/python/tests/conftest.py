"""Fixtures of the casesim package's tests: fresh results files written by
the casesim program of this build ($CASESIM; CTest sets it, with $SRCDIR),
and the format-1.0 file kept in tests/data/results."""

import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("SRCDIR", os.path.abspath(os.path.join(HERE, "..", "..", "..")))
PACKAGE = os.path.join(SRCDIR, "analysis", "python")
if PACKAGE not in sys.path:  # the source tree's package, unless PYTHONPATH names one
    sys.path.insert(0, PACKAGE)

OLD_1_0 = os.path.join(SRCDIR, "tests", "data", "results", "format_1.0_minimal.h5")
OLD_1_0_NEXT = os.path.join(SRCDIR, "tests", "data", "results", "format_1.0_minimal_next.h5")


def casesim_program():
    path = os.environ.get("CASESIM")
    if not path:
        pytest.skip("CASESIM (the casesim program) is not set")
    return path


def run_casesim(*args):
    p = subprocess.run([casesim_program(), *args], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p


@pytest.fixture(scope="session")
def results_file(tmp_path_factory):
    """scenarios/minimal.yaml: 2 groups, 2 variants, 6 replicates, case
    records of the first 2, seed 5."""
    path = str(tmp_path_factory.mktemp("results") / "minimal.h5")
    run_casesim("run", os.path.join(SRCDIR, "scenarios", "minimal.yaml"), "-o", path, "-n", "6",
                "--seed", "5", "--case-records", "2", "-q")
    return path


@pytest.fixture
def tiny_copy(tmp_path_factory):
    """A fresh results file of tests/data/valid/tiny.yaml to damage."""
    path = str(tmp_path_factory.mktemp("tiny") / "tiny.h5")
    run_casesim("run", os.path.join(SRCDIR, "tests", "data", "valid", "tiny.yaml"), "-o", path,
                "-q")
    return path


@pytest.fixture
def copy_of(tmp_path):
    """copy_of(path): a copy of path in a fresh directory, to edit."""
    def make(path):
        dst = str(tmp_path / os.path.basename(path))
        shutil.copyfile(path, dst)
        return dst
    return make
