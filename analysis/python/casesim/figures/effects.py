"""The forest plot: each intervention's and bundle's effect against the baseline."""

import numpy as np

from .base import PALETTE, Figure, percent_level, plt


def draw(res):
    """Paired change against the baseline, with confidence intervals."""
    others = [v for v in res.variants if v != "baseline"]
    panels = [("impunity_rate", 100,
               "Change in impunity (percentage points)\nnegative = less impunity"),
              ("redress_rate", 100, "Change in redress (percentage points)\npositive = more redress")]
    if len(res.groups) > 1:
        panels.insert(1, ("accountability_ratio", 1,
                          "Change in the disparity ratio\n(positive = closer to parity from below)"))
    groups = res.groups[1:] + ["all"] if len(res.groups) > 1 else ["all"]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 2, 0.7 * len(others) + 2),
                             sharey=True)
    axes = np.atleast_1d(axes)
    y = np.arange(len(others))
    h = 0.8 / len(groups)
    for ax, (measure, scale, title) in zip(axes, panels):
        for gi, g in enumerate(groups):
            if measure == "accountability_ratio" and g == "all":
                continue
            rows = [res.row("comparison", v, g, measure) for v in others]
            mean, lo, hi = (np.array([scale * r[k] if r else np.nan for r in rows])
                            for k in ("diff_mean", "diff_ci_low", "diff_ci_high"))
            yy = y + (gi - (len(groups) - 1) / 2) * h
            ax.errorbar(mean, yy, xerr=[mean - lo, hi - mean], fmt="o", color=PALETTE[(gi + 1) % 8],
                        capsize=3, label=res.label(g))
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y)
    axes[0].set_yticklabels([v.replace("_", " ") for v in others])
    axes[0].invert_yaxis()
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=max(1, len(labels)), fontsize=9,
               bbox_to_anchor=(0.5, -0.02), frameon=False)
    fig.suptitle("Effect of each intervention and bundle against the baseline "
                 f"(mean paired difference, {percent_level(res)} confidence interval)")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


FIGURE = Figure(
    name="effects", title="What each intervention changes",
    caption="Each dot is the mean change against the baseline; the bar is its {level} "
            "confidence interval. Left of the vertical line: less impunity.",
    draw=draw, applies=lambda res: len(res.variants) > 1)
