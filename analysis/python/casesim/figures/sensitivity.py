"""Sensitivity figures (files of `casesim sensitivity`): the indices of each
input as bars with their intervals, and a tornado of one-way changes."""

import numpy as np

from .base import PALETTE, Figure, plt


def _study(res):
    """/sensitivity if the file holds a finished study, else None."""
    g = res.file.get("sensitivity")
    if g is None or g.attrs.get("status") not in ("complete", b"complete"):
        return None
    return g


def _strings(res, g, name):
    return [x.decode() if isinstance(x, bytes) else str(x) for x in res.read(g[name])]


def _baseline_outputs(res, g):
    """The outputs of the baseline (not changes), at most four: one panel each."""
    variants = _strings(res, g, "output_variant")
    change = res.read(g["output_change"])
    keep = [k for k, v in enumerate(variants) if not change[k] and v == "baseline"]
    return (keep or [0])[:4]


def _panels(n):
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 3.8), squeeze=False)
    return fig, axes[0]


def draw_indices(res):
    """First-order and total indices (Sobol) or mu* (Morris) per input, with
    their bootstrap intervals, one panel per baseline output."""
    g = _study(res)
    factors = _strings(res, g, "factor")
    outputs = _strings(res, g, "output")
    sobol = g.attrs["method"] in ("sobol", b"sobol")
    keep = _baseline_outputs(res, g)
    fig, axes = _panels(len(keep))
    y = np.arange(len(factors))
    for ax, k in zip(axes, keep):
        if sobol:
            series = [("alone (first-order)", res.read(g["s1"])[k], PALETTE[0], -0.2),
                      ("with interactions (total)", res.read(g["st"])[k], PALETTE[1], 0.2)]
        else:
            series = [("mean absolute effect (mu*)", res.read(g["mu_star"])[k], PALETTE[0], 0.0)]
        for label, est, colour, dy in series:
            err = np.vstack([est[:, 0] - est[:, 2], est[:, 3] - est[:, 0]])
            ax.barh(y + dy, est[:, 0], height=0.38 if sobol else 0.6, color=colour,
                    xerr=np.clip(err, 0, None), capsize=3, label=label)
        ax.set_yticks(y, [f.replace("_", " ") for f in factors])
        ax.invert_yaxis()
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(outputs[k], fontsize=9)
        ax.set_xlabel("share of the output's variance" if sobol else "output units per step")
        ax.grid(axis="x", alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("Which uncertain input drives the results")
    fig.tight_layout()
    return fig


def draw_tornado(res):
    """Each input at its 5th and 95th percentile, the others at their
    medians: the output's range, widest bar on top."""
    g = _study(res)
    factors = _strings(res, g, "factor")
    outputs = _strings(res, g, "output")
    low, high = res.read(g["oneway_low"]), res.read(g["oneway_high"])
    base = res.read(g["oneway_base"])
    keep = _baseline_outputs(res, g)
    fig, axes = _panels(len(keep))
    for ax, k in zip(axes, keep):
        swing = np.abs(high[k] - low[k])
        order = np.argsort(-np.nan_to_num(swing, nan=-1.0), kind="stable")
        y = np.arange(len(order))
        for row, i in enumerate(order):
            ends = [(low[k, i], PALETTE[4], "5th percentile"), (high[k, i], PALETTE[5],
                                                                "95th percentile")]
            # The longer bar first, so that both show when the simulation's noise puts
            # both ends on the same side of the median.
            ends.sort(key=lambda e: -abs(np.nan_to_num(e[0] - base[k])))
            for value, colour, label in ends:
                ax.barh(row, value - base[k], left=base[k], color=colour, height=0.6,
                        label=label if row == 0 else None)
        ax.set_yticks(y, [factors[i].replace("_", " ") for i in order])
        ax.invert_yaxis()
        ax.axvline(base[k], color="black", lw=0.8)
        ax.set_title(outputs[k], fontsize=9)
        ax.set_xlabel("output (line: every input at its median)")
        ax.grid(axis="x", alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("One-way changes: each input at its 5th and 95th percentile")
    fig.tight_layout()
    return fig


def _applies(res):
    return _study(res) is not None


INDICES = Figure(
    name="sensitivity_indices", title="Which uncertain input drives the results",
    caption="For each uncertain input (or group of inputs), the share of the output's variance "
            "it explains alone (first-order Sobol index) and with its interactions (total "
            "index), with 95% bootstrap intervals; for a Morris study, the mean absolute effect "
            "of a step. Better data on the inputs at the top would narrow the answer most.",
    draw=draw_indices, applies=_applies)

TORNADO = Figure(
    name="sensitivity_tornado", title="One-way changes (tornado)",
    caption="The output with one input at its 5th and at its 95th percentile and every other "
            "input at its median (one simulation run each, so the simulation's noise is in "
            "each bar's ends); the widest bar on top.",
    draw=draw_tornado, applies=_applies)
