"""The attrition funnel: where the complaints of each group go (baseline)."""

import numpy as np

from .base import PALETTE, Figure, plt


def draw(res):
    """Tracks entering each stage and ending in each outcome, per 100 cohort
    incidents of the group, baseline, mean over replicates."""
    incidents = res.array("baseline", "measures").sel(measure="incidents")
    groups = res.groups
    panels = []
    for name, title in (("stage_entries", "Cases reaching each stage"),
                        ("outcome_counts", "Tracks ending in each outcome")):
        counts = res.array("baseline", name).astype(float)  # [replicate, group, stage|outcome]
        with np.errstate(invalid="ignore", divide="ignore"):
            per100 = (100 * counts / incidents).mean("replicate", skipna=True)
        axis = counts.dims[2]
        panels.append((per100, [str(x) for x in counts[axis].values], title))
    rows = max(len(p[1]) for p in panels)
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.5 * rows + 2))
    h = 0.8 / len(groups)
    for ax, (values, names, title) in zip(axes, panels):
        y = np.arange(len(names))
        for g, group in enumerate(groups):
            ax.barh(y + (g - (len(groups) - 1) / 2) * h, values.sel(group=group).values,
                    height=h, color=PALETTE[g % 8], label=res.group_labels[g])
        ax.set_yticks(y)
        ax.set_yticklabels([n.replace("_", " ") for n in names])
        ax.invert_yaxis()
        ax.set_xlabel("per 100 incidents of the group (cohort, baseline)")
        ax.set_title(title)
        ax.grid(axis="x", alpha=0.3)
    axes[0].legend(loc="lower right", fontsize=8)
    fig.suptitle("Attrition: where complaints go, by victim group (baseline)")
    fig.tight_layout()
    return fig


FIGURE = Figure(
    name="funnel", title="Where complaints go",
    caption="Per 100 incidents of each group in the baseline: how many cases reach each stage "
            "(left; every incident starts at the first stage), and how many case tracks end in "
            "each outcome (right). A case that goes to several stages at once (for example an "
            "investigation and a civil claim) has one track in each.",
    draw=draw)
