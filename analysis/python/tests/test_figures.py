"""python -m casesim.figures: the figures and the self-contained page; a
figure added to the registry is drawn and shown without other changes; the
old script path still works; bad files exit 2."""

import os
import subprocess
import sys

import casesim
import casesim.figures
from casesim.figures import FIGURES, Figure
from conftest import PACKAGE, SRCDIR
from test_results import flip_in_chunk

PNG = b"\x89PNG\r\n\x1a\n"


def run(*args, **kw):
    env = dict(os.environ, PYTHONPATH=PACKAGE, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, **kw)


def applicable(path):
    """The registered figures that apply to the results file at path (the
    EVPPI bars need uncertain inputs, which minimal.yaml does not have)."""
    with casesim.open(path) as res:
        return [fig for fig in FIGURES if fig.applies(res)]


def test_module_draws_the_figures_and_the_page(results_file, tmp_path):
    out = str(tmp_path / "figs")
    p = run("-m", "casesim.figures", results_file, "-o", out)
    assert p.returncode == 0, p.stderr
    drawn = applicable(results_file)
    assert {"funnel", "effects", "backlog", "acceptability", "evpi", "relative_rates"} <= {
        f.name for f in drawn}
    # minimal.yaml has no feedback loop: no feedback figure; and it is not
    # decomposed: no waterfall.
    assert "feedback" not in {f.name for f in drawn} and "by_year" in {f.name for f in drawn}
    assert "waterfall" not in {f.name for f in drawn}
    for fig in drawn:
        with open(os.path.join(out, fig.name + ".png"), "rb") as fh:
            assert fh.read(8) == PNG
    page = open(os.path.join(out, "report.html"), encoding="utf-8").read()
    assert page.count("data:image/png;base64,") == len(drawn)
    assert "Decision: the best use of the money" in page
    assert "src=\"http" not in page and "src='http" not in page
    assert "Probability best" in page and "more investigators" in page
    assert "95% confidence interval. Left of the vertical line" in page


def test_a_registered_figure_is_drawn_and_shown(results_file, tmp_path, monkeypatch):
    def draw(res):
        fig, ax = casesim.figures.base.plt.subplots()
        ax.plot(res.array("baseline", "events").values)
        return fig
    extra = Figure(name="events", title="Events per replicate", caption="One line.", draw=draw)
    monkeypatch.setattr(casesim.figures, "FIGURES", FIGURES + [extra])
    out = str(tmp_path / "figs")
    assert casesim.figures.main([results_file, "-o", out]) == 0
    assert os.path.exists(os.path.join(out, "events.png"))
    page = open(os.path.join(out, "report.html"), encoding="utf-8").read()
    assert "More figures" in page and "Events per replicate" in page
    assert page.count("data:image/png;base64,") == len(applicable(results_file)) + 1


def test_old_script_path(results_file, tmp_path):
    out = str(tmp_path / "figs")
    p = run(os.path.join(SRCDIR, "analysis", "casesim_figures.py"), results_file, "-o", out)
    assert p.returncode == 0, p.stderr
    assert os.path.exists(os.path.join(out, "report.html"))


def test_bad_files_exit_2(tmp_path, tiny_copy):
    text = tmp_path / "not.h5"
    text.write_text("hello")
    p = run("-m", "casesim.figures", str(text), "-o", str(tmp_path / "a"))
    assert p.returncode == 2 and "not an HDF5 file" in p.stderr
    flip_in_chunk(tiny_copy, "/runs/more_staff/backlog")  # the backlog figure reads it
    p = run("-m", "casesim.figures", tiny_copy, "-o", str(tmp_path / "b"))
    assert p.returncode == 2 and "damaged file" in p.stderr, p.stderr


def test_time_and_feedback_figures(tmp_path):
    """A scenario with calendar years, a timed reform and feedback loops:
    impunity by arrival year with bands, the feedback multipliers, the
    timing table, and calendar years in the file."""
    from conftest import run_casesim
    path = str(tmp_path / "dyn.h5")
    run_casesim("run", os.path.join(SRCDIR, "scenarios", "illustrative_dynamics.yaml"), "-o", path,
                "-n", "3", "--seed", "7", "-q")
    with casesim.open(path) as res:
        assert res.start_year == 2020 and res.feedbacks == ["trust", "deterrence"]
        assert sorted(set(res.summary_by_year.year)) == [2022, 2023, 2024, 2025, 2026, 2027]
        assert set(res.timing.variant) == set(res.variants[1:])
        m = res.array("baseline", "feedback_multiplier")
        assert m.dims == ("replicate", "feedback", "month") and list(m.feedback.values) == [
            "trust", "deterrence"]
    out = str(tmp_path / "figs")
    assert casesim.figures.main([path, "-o", out]) == 0
    for name in ("by_year", "feedback"):
        with open(os.path.join(out, name + ".png"), "rb") as fh:
            assert fh.read(8) == PNG
    page = open(os.path.join(out, "report.html"), encoding="utf-8").read()
    assert "How fast" in page and "First arrival year clear of zero" in page
    assert "Feedback loops" in page
    assert page.count("data:image/png;base64,") == len(applicable(path))
