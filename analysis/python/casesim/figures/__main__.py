"""python -m casesim.figures RESULTS.h5 [-o OUTDIR] (see casesim.figures)."""

import sys

from . import main

sys.exit(main())
