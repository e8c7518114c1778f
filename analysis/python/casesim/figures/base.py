"""What every figure shares: the Figure record, the palette, and saving."""

import base64
import io
import os
from dataclasses import dataclass
from typing import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

# Colours distinguishable with the common colour-vision deficiencies
# (Okabe & Ito 2008).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"]


@dataclass(frozen=True)
class Figure:
    """One figure: `draw(res)` returns a matplotlib figure of the open
    results `res` (casesim.Results); `applies(res)` says whether the file
    has what it needs (a figure of the interventions needs some). The page
    places the figures it knows in its sections and shows any other after
    them, with its title and caption."""
    name: str          # the PNG's name (name.png), and the figure's key
    title: str
    caption: str       # "{level}" in it becomes the file's confidence level ("95%")
    draw: Callable
    applies: Callable = lambda res: True


def save(fig, outdir, name):
    """Writes fig as outdir/name.png; returns its path and the PNG in
    base64 (for the page)."""
    path = os.path.join(outdir, name + ".png")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    with open(path, "wb") as fh:
        fh.write(buf.getvalue())
    return path, base64.b64encode(buf.getvalue()).decode("ascii")


def percent_level(res):
    """The file's confidence level as a percentage: "95%"."""
    return f"{100 * res.level:g}%"
