"""The page's sections by violation kind: for each kind the scenario marks
`headline: true`, its baseline table, its changes, its ranking and its
funnel, from /summary_by_kind, /comparison_by_kind, /ranking_by_kind and
the kind_stage_entries arrays, and a funnel figure per headline kind. A
file without them (written by an earlier casesim) gets no such section and
no such figure."""

import html
import re

import numpy as np

from ..results import Results, text
from .base import PALETTE, Figure, plt


class KindView:
    """The results of one violation kind, read like the results of all kinds
    (summary, comparison, ranking, most_affected_group, row) so that the
    page's tables serve both."""

    row = Results.row

    def __init__(self, res, kind, index):
        self._res = res
        self.kind = kind
        for name in ("summary", "comparison", "ranking"):
            df = res.table(name + "_by_kind")
            setattr(self, name, df[df.violation == kind].drop(columns="violation"))
        mags = res.file["ranking_by_kind"].attrs.get("most_affected_groups", [])
        self.most_affected_group = text(mags[index]) if index < len(mags) else ""
        self._index = {}

    def __getattr__(self, name):
        return getattr(self._res, name)


def headline_kinds(res):
    """The kinds marked `headline: true`, with their index, if the file has
    results by kind; [] otherwise."""
    f = res.file
    if "summary_by_kind" not in f or "headline_violations" not in f["scenario"]:
        return []
    kinds = [text(x) for x in f["scenario/violations"][()]]
    heads = {text(x) for x in f["scenario/headline_violations"][()]}
    return [(i, k) for i, k in enumerate(kinds) if k in heads]


def funnel_table(res, kind):
    """Tracks of the kind entering each stage, mean per replicate, by
    variant (all victim groups)."""
    out = ["<table><tr><th>Stage (tracks per replicate)</th>"]
    out += [f"<th>{html.escape(v.replace('_', ' '))}</th>" for v in res.variants]
    out.append("</tr>")
    cols = []
    for v in res.variants:
        a = res.array(v, "kind_stage_entries").astype(float)
        cols.append(a.sel(kind=kind, group="all").mean("replicate").values)
    for s, stage in enumerate(res.stages):
        if all(c[s] == 0 for c in cols):
            continue  # a stage this kind never reaches
        out.append(f"<tr><th class=row>{html.escape(stage.replace('_', ' '))}</th>")
        out += [f"<td>{c[s]:,.1f}</td>" for c in cols]
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


FUNNEL_PREFIX = "funnel_kind_"


def funnel_name(kind):
    """The name (and PNG file name) of kind's funnel figure: the kind's
    name with anything but letters, digits, "_" and "-" replaced by "_"."""
    return FUNNEL_PREFIX + re.sub(r"[^A-Za-z0-9_-]", "_", kind)


def _per_100(res, kind, name, axis):
    """Mean over replicates of the baseline's tracks of `kind` per 100
    incidents of that kind in each group (NaN for a group without any),
    keeping only the entries of `axis` that some group reaches."""
    counts = res.array("baseline", name).astype(float).sel(kind=kind)
    incidents = res.array("baseline", "kind_measures").sel(kind=kind, measure="incidents")
    with np.errstate(invalid="ignore", divide="ignore"):
        per100 = (100 * counts / incidents.where(incidents > 0)).mean("replicate", skipna=True)
    per100 = per100.sel(group=res.groups)
    reached = (per100.fillna(0) > 0).any("group").values
    return per100.isel({axis: np.flatnonzero(reached)})


def draw_funnel(res, kind):
    """Where the baseline's cases of `kind` go: per 100 incidents of the
    kind in each victim group, the cases reaching each stage (left) and the
    tracks ending in each outcome (right), each bar labelled with its value.
    Stages and outcomes the kind never reaches are left out, so that its
    pathway is what the figure shows."""
    panels = [(_per_100(res, kind, "kind_stage_entries", "stage"), "stage",
               "Cases reaching each stage"),
              (_per_100(res, kind, "kind_outcome_counts", "outcome"), "outcome",
               "Tracks ending in each outcome")]
    incidents = (res.array("baseline", "kind_measures").sel(kind=kind, measure="incidents")
                 .mean("replicate").sel(group=res.groups).values)
    groups = res.groups
    rows = max(max(p[0].sizes[p[1]] for p in panels), 1)
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.45 * rows * len(groups) + 2.2))
    h = 0.8 / len(groups)
    for ax, (values, axis, title) in zip(axes, panels):
        names = [str(x).replace("_", " ") for x in values[axis].values]
        y = np.arange(len(names))
        top = float(np.nanmax(values.values)) if values.size and np.isfinite(values.values).any() else 1
        for g, group in enumerate(groups):
            v = values.sel(group=group).values
            bars = ax.barh(y + (g - (len(groups) - 1) / 2) * h, np.nan_to_num(v), height=h,
                           color=PALETTE[g % 8],
                           label=f"{res.group_labels[g]} ({incidents[g]:,.0f} cohort incidents "
                                 "of this kind per simulated run)")
            ax.bar_label(bars, labels=["n/a" if np.isnan(x) else f"{x:.1f}" for x in v],
                         padding=3, fontsize=9)
        ax.set_yticks(y)
        ax.set_yticklabels(names, fontsize=10)
        ax.invert_yaxis()
        ax.set_xlim(0, max(top, 1e-9) * 1.18)  # room for the labels
        ax.set_xlabel("per 100 incidents of this kind in the group (cohort, baseline)")
        ax.set_title(title)
        ax.grid(axis="x", alpha=0.3)
    # Below both panels, where it hides no bar.
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0),
               ncol=min(len(groups), 2), fontsize=9, frameon=False)
    fig.suptitle(f"Where cases of violation kind \u201c{kind.replace('_', ' ')}\u201d go, "
                 "by victim group (baseline)")
    fig.tight_layout()
    return fig


def funnel_figure(kind):
    """The Figure of headline kind `kind`'s funnel (see draw_funnel)."""
    label = kind.replace("_", " ")
    return Figure(
        name=funnel_name(kind), title=f"Where cases of kind {label} go",
        caption=(f"Per 100 incidents of kind \u201c{label}\u201d in each victim group in the "
                 "baseline: how many cases reach each stage (left; every incident starts at the "
                 "first stage) and how many case tracks end in each outcome (right). Only the "
                 "stages and outcomes this kind reaches are shown; the legend gives how many "
                 "incidents of the kind each group has in the measured window of one simulated "
                 "run (one replicate), for judging small numbers."),
        draw=lambda res: draw_funnel(res, kind))


def figures(res):
    """A funnel figure per headline kind of res ([] for a file without
    results by kind)."""
    return [funnel_figure(kind) for _, kind in headline_kinds(res)]


def sections(res, headline_table, comparison_table, ranking_table, figure=lambda name: ""):
    """The HTML of one section per headline kind ("" if none); figure(name)
    is the HTML of a drawn figure ("" if it was not drawn)."""
    e = html.escape
    p = []
    for index, kind in headline_kinds(res):
        view = KindView(res, kind, index)
        mag = view.most_affected_group or res.groups[0]
        share = res.row("summary", "baseline", "all", "incidents")
        own = view.row("summary", "baseline", "all", "incidents")
        part = ""
        if share and own and share["mean"] > 0:
            part = (f" Incidents of this kind are {100 * own['mean'] / share['mean']:.3g}% of all "
                    "incidents at baseline; the figures below are theirs alone, so that the "
                    "other kinds do not dominate them.")
        p.append(f"<h2>Violation kind: {e(kind.replace('_', ' '))}</h2><p>The scenario marks "
                 f"this kind as a headline.{part} Its most affected group is "
                 f"{e(res.label(mag))}.</p>")
        p.append("<h3>The baseline</h3>" + headline_table(view, "baseline"))
        if len(res.variants) > 1:
            p.append("<h3>What each intervention changes for this kind</h3>"
                     + comparison_table(view))
            p.append("<h3>Ranking for this kind</h3>" + ranking_table(view))
        p.append("<h3>Where cases of this kind go</h3>" + funnel_table(res, kind)
                 + figure(funnel_name(kind)))
    return "\n".join(p)


def currency(res):
    """" GBP" for a scenario with `currency: GBP`; "" without."""
    c = res.file["scenario"].attrs.get("currency", b"")
    c = text(c) if c is not None else ""
    return f" {c}" if c else ""


def decimals(scale, lo, hi, digits):
    """Enough decimals for an interval of half-width scale * (hi - lo) / 2
    to show (so that a small effect does not print as 0.0 [0.0, 0.0])."""
    half = abs(scale * (hi - lo)) / 2
    if half > 0 and np.isfinite(half):
        digits = max(digits, min(6, int(-np.floor(np.log10(half)))))
    return digits
