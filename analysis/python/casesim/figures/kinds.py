"""The page's sections by violation kind: for each kind the scenario marks
`headline: true`, its baseline table, its changes, its ranking and its
funnel, from /summary_by_kind, /comparison_by_kind, /ranking_by_kind and
the kind_stage_entries arrays. A file without them (written by an earlier
casesim) gets no such section."""

import html

import numpy as np

from ..results import Results, text


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


def sections(res, headline_table, comparison_table, ranking_table):
    """The HTML of one section per headline kind ("" if none)."""
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
        p.append("<h3>Where cases of this kind go</h3>" + funnel_table(res, kind))
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
