"""The figures and the HTML page of a calibration file: a series of yearly
targets (one year held out) drawn year by year, the other targets against
their predictive intervals, prior against posterior per input; a point fit
said to have no posterior uncertainty; a file without the optional
`series` column still gets a page."""

import os

import h5py
import pytest

from conftest import SRCDIR, run_casesim

from casesim.figures import calibration, main

SERIES = """
  - name: investigations_2018
    period: 2018
    count: {stage: investigation}
    group: reference
    observed: 320
    likelihood: {negative_binomial: {cv: 0.05}}
    source: "invented for the test"
  - name: investigations_2020
    period: 2020
    count: {stage: investigation}
    group: reference
    observed: 335
    holdout: true
    likelihood: {negative_binomial: {cv: 0.05}}
    source: "invented for the test"
"""


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    with open(os.path.join(SRCDIR, "tests", "data", "valid", "calibrate.yaml")) as fh:
        text = fh.read()
    path = str(tmp_path_factory.mktemp("cal") / "series.yaml")
    with open(path, "w") as fh:
        fh.write(text.replace("follow_up_years: 1", "follow_up_years: 2") + SERIES)
    return path


def figures(path, outdir):
    assert main([path, "-o", str(outdir)]) == 0
    with open(os.path.join(outdir, "report.html"), encoding="utf-8") as fh:
        return sorted(os.listdir(outdir)), fh.read()


def test_posterior_page(scenario, tmp_path):
    cal = str(tmp_path / "cal.h5")
    run_casesim("calibrate", scenario, "-o", cal, "--initial", "40", "--wave", "20",
                "--max-evaluations", "80", "-q")
    assert calibration.is_calibration(cal)
    c = calibration.Calibration(cal)
    series = calibration.year_series(c)
    assert list(series) == ["count of investigation, group reference"]
    assert [r["period"] for r in series["count of investigation, group reference"]] == [
        "2018", "2019", "2020"]
    names, page = figures(cal, tmp_path / "fig")
    assert names == ["calibration_by_year.png", "calibration_inputs.png",
                     "calibration_targets.png", "report.html"]
    assert "importance sampling" in page and "no posterior uncertainty" not in page
    assert "investigations_2020" in page and "Held-out targets" in page


def test_point_fit_page(scenario, tmp_path):
    cal = str(tmp_path / "fit.h5")
    run_casesim("calibrate", scenario, "-o", cal, "--method", "optimize", "--initial", "8",
                "--max-evaluations", "30", "-q")
    _, page = figures(cal, tmp_path / "fig")
    assert "no posterior uncertainty" in page and "on fresh seeds" in page


def test_without_series(scenario, tmp_path):
    cal = str(tmp_path / "old.h5")
    run_casesim("calibrate", scenario, "-o", cal, "--method", "optimize", "--initial", "8",
                "--max-evaluations", "20", "-q")
    with h5py.File(cal, "r+") as f:
        for table in ("fitted", "held_out"):
            del f["calibration"][table]["series"]
    names, page = figures(cal, tmp_path / "fig")
    assert "calibration_by_year.png" not in names
    assert "calibration_targets.png" in names and "Fitted targets" in page
