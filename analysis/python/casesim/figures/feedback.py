"""Feedback loops: the multiplier each loop applies, month by month
(format 1.2, scenarios with `feedback`)."""

import numpy as np

from .base import PALETTE, Figure, plt


def draw(res):
    """Each loop's multiplier by month: mean over replicates with a band of
    1.96 standard errors, one line per variant."""
    n = len(res.feedbacks)
    fig, axes = plt.subplots(1, n, figsize=(6.5 * n, 4.0), squeeze=False)
    for f, name in enumerate(res.feedbacks):
        ax = axes[0][f]
        for vi, v in enumerate(res.variants):
            x = res.array(v, "feedback_multiplier").values[:, f, :].astype(float)  # [rep, month]
            if x.shape[0] == 0:
                continue
            mean = x.mean(axis=0)
            se = x.std(axis=0, ddof=1) / np.sqrt(x.shape[0]) if x.shape[0] > 1 else 0 * mean
            years = res.origin + (np.arange(x.shape[1]) + 0.5) / 12
            colour = PALETTE[vi % 8]
            ax.plot(years, mean, color=colour, label=v.replace("_", " "))
            ax.fill_between(years, mean - 1.96 * se, mean + 1.96 * se, color=colour, alpha=0.18,
                            lw=0)
        ax.axhline(1, color="black", lw=0.8)
        ax.set_title(f"Feedback loop: {name.replace('_', ' ')}", fontsize=10)
        ax.set_xlabel(res.year_axis())
        ax.set_ylabel("multiplier (1: the scenario's figures hold)")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.suptitle("Feedback loops: the multiplier each loop applies, month by month")
    fig.tight_layout()
    return fig


FIGURE = Figure(
    name="feedback", title="Feedback loops over time",
    caption="Each loop multiplies the odds of a probability (trust: reporting) or an arrival "
            "rate (deterrence) by this factor, updated monthly from the accountability the "
            "public saw over the loop's window; mean over replicates with a band of 1.96 "
            "standard errors. 1 means the scenario's figures hold.",
    draw=draw, applies=lambda res: len(res.feedbacks) > 0)
