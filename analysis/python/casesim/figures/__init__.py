"""casesim.figures — figures and a one-page HTML report from a results file.

    python -m casesim.figures RESULTS.h5 [-o OUTDIR]

writes into OUTDIR (default: RESULTS_figures/ beside the results file) one
PNG per figure of FIGURES that applies to the file, one funnel per violation
kind the scenario marks `headline: true` (funnel_kind_<kind>.png), and
report.html, one self-contained page with the tables and the figures. A
calibration file (casesim calibrate -o CAL.h5) gets its own figures and page
(calibration.py).

A new figure is one function in a module of its own (see funnel.py: a
`draw(res)` returning a matplotlib figure, and a `FIGURE = Figure(...)`
record with its name, title and caption), added to FIGURES below. The page
shows it after the figures it places itself.
"""

import argparse
import os
import sys

from ..results import DamagedFile, NotResults, Results
from . import (backlog, by_year, calibration, decision, disparity, effects, feedback, funnel,
               kinds, sensitivity)
from .base import Figure, save  # noqa: F401  (Figure: for modules adding a figure)
from .page import page

# Every figure, in the order they are drawn.
FIGURES = ([funnel.FIGURE, effects.FIGURE, backlog.FIGURE, by_year.FIGURE, feedback.FIGURE]
           + decision.FIGURES + [sensitivity.INDICES, sensitivity.TORNADO]
           + [disparity.RELATIVE_RATES, disparity.WATERFALL])


def write_all(res, outdir, figures=None):
    """Draws every figure that applies to res into outdir (by default
    FIGURES and a funnel per headline violation kind), then report.html;
    returns the paths written."""
    drawn, written = {}, []
    for fig in FIGURES + kinds.figures(res) if figures is None else figures:
        if not fig.applies(res):
            continue
        path, png = save(fig.draw(res), outdir, fig.name)
        drawn[fig.name] = (fig, png)
        written.append(path)
    html_path = os.path.join(outdir, "report.html")
    with open(html_path, "w", encoding="utf-8") as fh:
        fh.write(page(res, drawn))
    written.append(html_path)
    return written


def main(argv=None, prog="python -m casesim.figures"):
    ap = argparse.ArgumentParser(prog=prog, description="Figures and an HTML page from a "
                                 "casesim results file.")
    ap.add_argument("results", help="the results file (casesim run -o RESULTS.h5)")
    ap.add_argument("-o", "--outdir", help="directory for the figures and report.html "
                    "(default: RESULTS_figures beside the results file)")
    args = ap.parse_args(argv)
    name = prog.split()[-1]
    if not os.path.exists(args.results):
        print(f"{name}: {args.results}: no such file", file=sys.stderr)
        return 2
    outdir = args.outdir or os.path.splitext(args.results)[0] + "_figures"
    if calibration.is_calibration(args.results):
        os.makedirs(outdir, exist_ok=True)
        for w in calibration.write_all(args.results, outdir):
            print(w)
        return 0
    try:
        with Results(args.results) as res:
            os.makedirs(outdir, exist_ok=True)
            written = write_all(res, outdir)
    except (NotResults, DamagedFile) as e:
        print(f"{name}: {e}", file=sys.stderr)
        return 2
    for w in written:
        print(w)
    return 0
