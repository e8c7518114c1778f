"""Results by violation kind in the page and the text report: a section per
headline kind, with its funnel (a stage the kind never reaches is not
listed), the currency with every cost, and none for a file without results
by kind."""

import os

import casesim
import pytest
from casesim.figures import kinds as figures_kinds
from casesim.figures import main as figures_main
from conftest import OLD_1_0, run_casesim

SCENARIO = """casesim: 1
name: kinds-test
currency: GBP
time: {warmup_years: 0, cohort_years: 1, follow_up_years: 3}
run: {replicates: 4, seed: 3}
groups:
  - {name: white, incidents_per_year: 400}
  - {name: black, incidents_per_year: 200}
violations:
  - {name: death, share: 0.1, well_founded: 0.5, headline: true}
  - {name: complaint, share: 0.9, well_founded: 0.4}
stages:
  - name: incident
    entry: true
    branches:
      - {to: referral, kinds: [death]}
      - {to: complaint, kinds: [complaint], p: 0.5}
      - {to: dropped, kinds: [complaint]}
  - name: referral
    duration: {exponential: {mean: 200}}
    branches:
      - {to: charged, p: {death: {white: 0.3, black: 0.2}, complaint: 0.1}}
      - {to: dropped}
  - name: complaint
    duration: {exponential: {mean: 30}}
    branches:
      - {to: upheld, p: 0.1}
      - {to: dropped}
outcomes:
  dropped: {}
  charged: {accountability: criminal}
  upheld: {accountability: disciplinary}
interventions:
  - name: faster_referrals
    annual_cost: 1000
    changes:
      - {path: stages.referral.duration.exponential.mean, scale: 0.5}
"""


@pytest.fixture(scope="module")
def kinds_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("kinds")
    yaml = d / "kinds.yaml"
    yaml.write_text(SCENARIO)
    path = str(d / "kinds.h5")
    run_casesim("run", str(yaml), "-o", path, "-q")
    return path


def test_the_file_counts_stages_by_kind(kinds_file):
    with casesim.open(kinds_file) as res:
        e = res.array("baseline", "kind_stage_entries")
        assert int(e.sel(kind="death", stage="complaint").sum()) == 0
        assert int(e.sel(kind="complaint", stage="referral").sum()) == 0
        assert int(e.sel(kind="death", group="all", stage="referral").sum()) > 0


def test_page_has_a_section_per_headline_kind(kinds_file, tmp_path):
    out = str(tmp_path / "figs")
    assert figures_main([kinds_file, "-o", out]) == 0
    page = open(os.path.join(out, "report.html"), encoding="utf-8").read()
    assert page.count("<h2>Violation kind:") == 1 and "Violation kind: death" in page
    section = page[page.index("Violation kind: death"):]
    funnel = section[section.index("Where cases of this kind go"):]
    funnel = funnel[:funnel.index("</table>")]
    assert "referral" in funnel and "complaint" not in funnel
    assert "1,000 GBP" in page


def test_text_report_by_kind(kinds_file):
    p = run_casesim("report", kinds_file, "--kind", "death")
    assert "death" in p.stdout and "GBP" in p.stdout
    p = run_casesim("report", kinds_file)
    assert "Violation kind `death`" in p.stdout and "Violation kind `complaint`" not in p.stdout


def test_no_kind_section_without_results_by_kind(tmp_path):
    out = str(tmp_path / "figs")
    assert figures_main([OLD_1_0, "-o", out]) == 0
    page = open(os.path.join(out, "report.html"), encoding="utf-8").read()
    assert "Violation kind:" not in page


def kind_figures(outdir):
    return sorted(f for f in os.listdir(outdir) if f.startswith("funnel_kind_"))


def test_funnel_figure_per_headline_kind(kinds_file, tmp_path):
    out = str(tmp_path / "figs")
    assert figures_main([kinds_file, "-o", out]) == 0
    assert kind_figures(out) == ["funnel_kind_death.png"]
    with open(os.path.join(out, "funnel_kind_death.png"), "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    page = open(os.path.join(out, "report.html"), encoding="utf-8").read()
    # Beside the kind's funnel table, in its section, not under "More figures".
    section = page[page.index("Where cases of this kind go"):]
    section = section[:section.index("<h2>")]
    assert "alt='Where cases of kind death go' src='data:image/png;base64," in section
    assert "More figures" not in page


def test_funnel_figure_shows_the_kinds_pathway(kinds_file):
    # Every death goes to the referral: 100 per 100 deaths in each group;
    # no death reaches the complaint stage, which is left out.
    with casesim.open(kinds_file) as res:
        fig = figures_kinds.draw_funnel(res, "death")
        stages, outcomes = fig.axes[0], fig.axes[1]
        names = [t.get_text() for t in stages.get_yticklabels()]
        assert names == ["incident", "referral"]
        labels = [t.get_text() for t in stages.texts]
        assert labels.count("100.0") == 2 * len(res.groups)  # incident and referral
        assert "upheld" not in [t.get_text() for t in outcomes.get_yticklabels()]
        figures_kinds.plt.close(fig)


def test_no_funnel_figure_without_a_headline_kind(tmp_path):
    yaml = tmp_path / "plain.yaml"
    yaml.write_text(SCENARIO.replace(", headline: true", ""))
    path = str(tmp_path / "plain.h5")
    run_casesim("run", str(yaml), "-o", path, "-q")
    for name, f in (("plain", path), ("old", OLD_1_0)):
        out = str(tmp_path / name)
        assert figures_main([f, "-o", out]) == 0
        assert kind_figures(out) == []
        page = open(os.path.join(out, "report.html"), encoding="utf-8").read()
        assert "Where cases of kind" not in page
