"""A results file of format 1.0 (kept in tests/data/results, written by
casesim 0.1.0 before format 1.1) still reads: its tables, its arrays with
axes named and labelled from the frozen layout of 1.0, and its figures."""

import os

import casesim
import casesim.figures
from conftest import OLD_1_0


def test_opens_and_reads(tmp_path):
    with casesim.open(OLD_1_0, verify=True) as res:
        assert res.format_version == (1, 0)
        assert res.provenance["replicates"] == 3
        assert len(res.summary) == len(res.variants) * (len(res.groups) + 1) * len(res.measures)
        m = res.array("baseline", "measures")
        assert m.dims == ("replicate", "group", "measure")
        assert list(m.coords["group"].values) == res.groups + ["all"]
        assert list(m.coords["replicate"].values) == [0, 1, 2]
        b = res.array("more_investigators", "backlog")
        assert b.dims == ("replicate", "stage", "month")
        assert list(b.coords["stage"].values) == res.stages
        assert res.headlines[0][0] == "impunity_rate"
        assert res.cases("baseline") is not None


def test_figures(tmp_path):
    out = str(tmp_path / "figs")
    assert casesim.figures.main([OLD_1_0, "-o", out]) == 0
    assert {"funnel.png", "effects.png", "backlog.png", "report.html"} <= set(os.listdir(out))
