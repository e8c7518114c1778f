"""Backlogs over time: the cases waiting at each stage, month by month."""

import numpy as np

from .base import PALETTE, Figure, plt


def draw(res):
    """Mean cases waiting at each stage, month by month, one panel per variant."""
    n = len(res.variants)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.4 * rows), sharex=True, sharey=True,
                             squeeze=False)
    warmup, cohort = res.years["warmup"], res.years["cohort"]
    top = 0.0
    for i, v in enumerate(res.variants):
        ax = axes[i // cols][i % cols]
        b = res.array(v, "backlog").astype(float)  # [replicate, stage, month]
        mean = b.mean("replicate") if b.sizes["replicate"] else b.sum("replicate")  # zeros
        years = res.origin + (np.arange(mean.sizes["month"]) + 0.5) / 12
        for s, stage in enumerate(mean["stage"].values):
            line = mean.sel(stage=stage).values
            if np.nanmax(line) > 0:
                ax.plot(years, line, color=PALETTE[s % 8], label=str(stage).replace("_", " "))
        top = max(top, float(np.nanmax(mean.values)) if mean.size else 0.0)
        ax.axvspan(res.origin + warmup, res.origin + warmup + cohort, color="grey", alpha=0.12,
                   lw=0)
        ax.set_title(v.replace("_", " "), fontsize=10)
        ax.grid(alpha=0.3)
        if i % cols == 0:
            ax.set_ylabel("cases waiting (monthly mean)")
        if i // cols == rows - 1:
            ax.set_xlabel(res.year_axis())
        if ax.lines:
            ax.legend(fontsize=7, loc="upper left")
        else:  # an empty panel says why
            ax.text(0.5, 0.5, "no queue at any stage\nin this variant", transform=ax.transAxes,
                    ha="center", va="center", fontsize=9, color="dimgrey")
    for j in range(n, rows * cols):
        axes[j // cols][j % cols].axis("off")
    if top == 0:  # every panel says it; the title says it once for all
        fig.text(0.5, 0.01, "No queue formed at any stage in any variant", ha="center",
                 fontsize=11, color="dimgrey")
    fig.suptitle("Backlog: cases waiting at each stage (shaded: the measured cohort window)")
    fig.tight_layout()
    return fig


FIGURE = Figure(
    name="backlog", title="Backlogs over time",
    caption="Mean number of cases waiting for staff at each stage, month by month. Stages "
            "without a queue are not drawn. A rising line means the stage cannot keep up with "
            "the cases arriving.",
    draw=draw)
