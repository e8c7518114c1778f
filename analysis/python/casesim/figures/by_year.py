"""How fast: the headline outcome (impunity) of the incidents of each year
of arrival, for every variant, with confidence bands (format 1.2)."""

import numpy as np

from .base import PALETTE, Figure, percent_level, plt


def _rows(res, variant, group):
    t = res.summary_by_year
    rows = t[(t.variant == variant) & (t.group == group) & (t.measure == "impunity_rate")]
    return rows.sort_values("year")


def draw(res):
    """Impunity by year of arrival, one line per variant with its band: for
    the most affected group and for all victims."""
    groups = ([res.most_affected_group] if res.most_affected_group else []) + ["all"]
    fig, axes = plt.subplots(1, len(groups), figsize=(6.5 * len(groups), 4.2), squeeze=False)
    for ax, g in zip(axes[0], groups):
        for vi, v in enumerate(res.variants):
            rows = _rows(res, v, g)
            if rows.empty:
                continue
            x = rows["year"].to_numpy(float)
            colour = PALETTE[vi % 8]
            ax.plot(x, 100 * rows["mean"].to_numpy(float), "o-", color=colour, ms=4,
                    label=v.replace("_", " "))
            ax.fill_between(x, 100 * rows["ci_low"].to_numpy(float),
                            100 * rows["ci_high"].to_numpy(float), color=colour, alpha=0.18, lw=0)
        ax.set_title(f"Impunity, {res.label(g)}", fontsize=10)
        ax.set_xlabel("year of arrival of the incidents" if np.isfinite(res.start_year)
                      else "year of arrival (years since the start of the simulation)")
        ax.set_ylabel("impunity (%)")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.suptitle("How fast: impunity of the incidents of each year, by variant "
                 f"(bands: {percent_level(res)} confidence interval of the mean)")
    fig.tight_layout()
    return fig


def applies(res):
    t = res.summary_by_year
    return t is not None and len(t) > 0


FIGURE = Figure(
    name="by_year", title="Impunity by year of arrival",
    caption="Impunity of the incidents that arrived in each year, mean over replicates with its "
            "{level} confidence band, for every variant. An intervention that starts during the "
            "run acts on the cases still open when it starts, and fully on the incidents that "
            "arrive once it has ramped up.",
    draw=draw, applies=applies)
