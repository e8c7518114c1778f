#!/usr/bin/python3
"""casesim_figures — kept for the command lines that name this file: the
figures and the HTML page are drawn by the Python package in
analysis/python (`python -m casesim.figures RESULTS.h5 [-o OUTDIR]`), which
this runs from the source tree whether or not the package is installed.

Usage:
    /usr/bin/python3 analysis/casesim_figures.py RESULTS.h5 [-o OUTDIR]
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))

from casesim.figures import main  # noqa: E402  (after the path is set)

if __name__ == "__main__":
    sys.exit(main(prog="casesim_figures.py"))
