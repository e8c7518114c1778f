"""Where the disparity arises: the /disparity tables of a results file
(format 1.2, when the scenario has two groups or more) as two figures and a
section of the page.

    relative_rates  heat map of every branch's relative rate at baseline, one
                    column per group other than the reference
    waterfall       the baseline's disparity, stage by stage (Shapley shares),
                    to all stages equalised and on to parity (a decomposed
                    run: casesim run --decompose)

The tables and the method are documented in analysis/README.md ("Where the
disparity arises"); everything shown is read from the file. A file without
/disparity (format 1.0 to 1.1, or another build of 1.2) has neither figure
nor section.
"""

import html

import numpy as np

from ..results import text
from .base import Figure, percent_level, plt

# The decomposed measures, as the file names them, with how they are shown.
RATIOS = [("accountability_ratio", "Accountability ratio"), ("redress_ratio", "Redress ratio")]


def _records(tables, name):
    df = tables.get(name) if tables else None
    return [] if df is None else df.to_dict("records")


class Disparity:
    """The /disparity tables of an open casesim.Results and what they rest
    on. `present` is False for a file without them."""

    def __init__(self, res):
        tables = res.disparity
        self.present = tables is not None
        self.relative = _records(tables, "relative_rates")
        self.decomposition = _records(tables, "decomposition")
        self.exposure = _records(tables, "exposure")
        attrs = res.file["disparity"].attrs if self.present else {}
        self.how = text(attrs.get("decomposition", "none"))
        self.permutations = int(attrs.get("permutations", 0))
        sc = res.file["scenario"]

        def strings(name):
            return [text(x) for x in res.read(sc[name])] if name in sc else []
        self.stages = strings("decomposed_stages")
        self.sources = strings("group_population_sources")
        self.not_equalised = [text(x) for x in sc.attrs.get("not_equalised", [])]

    def rate(self, group, branch, variant="baseline"):
        for r in self.relative:
            if r["variant"] == variant and r["group"] == group and r["branch"] == branch:
                return r
        return None

    def part(self, group, measure, quantity, stage=""):
        for r in self.decomposition:
            if (r["group"], r["measure"], r["quantity"], r["stage"]) == (group, measure, quantity, stage):
                return r
        return None

    def branches(self, res):
        """The branch labels of the baseline, in order."""
        return [r["branch"] for r in self.relative
                if r["variant"] == "baseline" and r["group"] == res.groups[0]]


def of(res):
    """The Disparity of res, read once per open file."""
    cached = getattr(res, "_casesim_disparity", None)
    if cached is None:
        cached = Disparity(res)
        res._casesim_disparity = cached
    return cached


def excludes_one(r):
    return r is not None and (r["ratio_ci_low"] > 1 or r["ratio_ci_high"] < 1)


# ------------------------------------------------------------------ figures


def heatmap(res):
    """Relative rate of every branch at baseline, log scale, one column per
    group other than the reference; a star marks an interval excluding 1."""
    dis = of(res)
    branches = dis.branches(res)
    groups = res.groups[1:]
    ratio = np.full((len(branches), len(groups)), np.nan)
    apart = np.zeros_like(ratio, dtype=bool)
    for i, b in enumerate(branches):
        for j, g in enumerate(groups):
            r = dis.rate(g, b)
            if r is not None and r["ratio"] > 0:
                ratio[i, j] = r["ratio"]
                apart[i, j] = excludes_one(r)
    fig, ax = plt.subplots(figsize=(2.6 * len(groups) + 5, 0.36 * len(branches) + 1.8))
    lim = max(1.0, float(np.nanmax(np.abs(np.log2(ratio)))) if np.isfinite(ratio).any() else 1.0)
    # PuOr: a diverging map readable with the common colour-vision deficiencies.
    im = ax.imshow(np.log2(ratio), cmap="PuOr", vmin=-lim, vmax=lim, aspect="auto")
    for i in range(len(branches)):
        for j in range(len(groups)):
            if np.isfinite(ratio[i, j]):
                ax.text(j, i, f"{ratio[i, j]:.2f}" + (" *" if apart[i, j] else ""), ha="center",
                        va="center", fontsize=8, fontweight="bold" if apart[i, j] else "normal")
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([res.label(g) for g in groups], fontsize=9)
    ax.set_yticks(range(len(branches)))
    ax.set_yticklabels([b.replace("_", " ") for b in branches], fontsize=8)
    bar = fig.colorbar(im, ax=ax, fraction=0.04)
    ticks = np.arange(-np.floor(lim), np.floor(lim) + 1)
    bar.set_ticks(ticks)
    bar.set_ticklabels([f"{2.0 ** t:g}" for t in ticks])
    bar.set_label("relative rate (log scale)")
    ax.set_title(f"Relative rate of each branch against {res.label(res.groups[0])} (baseline)\n"
                 f"* : the {percent_level(res)} interval excludes 1", fontsize=10)
    fig.tight_layout()
    return fig


def waterfall_steps(dis, group, measure):
    """(label, start, end, ci) of each bar: the baseline, each stage's
    Shapley share, all stages equalised, and what is left to parity."""
    parity = 1.0 if measure.endswith("ratio") else 0.0
    base = dis.part(group, measure, "baseline")
    alleq = dis.part(group, measure, "all_equalised")
    if base is None or alleq is None:
        return []
    steps = [("baseline", parity, base["mean"], (base["ci_low"], base["ci_high"]))]
    level = base["mean"]
    shares = [(s, dis.part(group, measure, "shapley", s)) for s in dis.stages]
    for s, r in sorted(shares, key=lambda x: -abs(x[1]["mean"]) if x[1] else 0):
        if r is None:
            continue
        steps.append((s, level, level + r["mean"], (r["ci_low"], r["ci_high"])))
        level += r["mean"]
    steps.append(("all stages equalised", parity, alleq["mean"], (alleq["ci_low"], alleq["ci_high"])))
    left = dis.part(group, measure, "not_equalised")
    if left is not None:
        steps.append(("not equalised (exposure)", alleq["mean"], parity,
                      (-left["ci_high"], -left["ci_low"])))
    return steps


def waterfall(res):
    """From the baseline's disparity ratio, stage by stage, to parity."""
    dis = of(res)
    groups = res.groups[1:]
    fig, axes = plt.subplots(len(groups), len(RATIOS), figsize=(6.2 * len(RATIOS), 0.5 * (len(dis.stages) + 3) * len(groups) + 1.5),
                             squeeze=False)
    for gi, g in enumerate(groups):
        for mi, (measure, title) in enumerate(RATIOS):
            ax = axes[gi][mi]
            steps = waterfall_steps(dis, g, measure)
            for k, (label, a, b, ci) in enumerate(steps):
                whole = label in ("baseline", "all stages equalised")
                colour = "#0072B2" if whole else ("#009E73" if b >= a else "#D55E00")
                ax.barh(k, b - a, left=a, color=colour, height=0.6)
                if not whole and np.isfinite(ci[0]):
                    # The interval of the step, drawn at its end.
                    ax.errorbar(b, k, xerr=[[max(0.0, (b - a) - ci[0])], [max(0.0, ci[1] - (b - a))]],
                                color="black", capsize=2, lw=0.8)
            ax.axvline(1.0, color="black", lw=0.8, ls="--")
            ax.set_yticks(range(len(steps)))
            ax.set_yticklabels([s[0].replace("_", " ") for s in steps], fontsize=8)
            ax.invert_yaxis()
            ax.set_title(f"{title}: {res.label(g)}", fontsize=9)
            ax.grid(axis="x", alpha=0.3)
    fig.suptitle("Where the disparity comes from: each stage's Shapley share (baseline; "
                 "dashed line: parity)", fontsize=10)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------- HTML


def ratio_html(r):
    if r is None or not np.isfinite(r["ratio"]):
        return "n/a"
    s = (f"{r['ratio']:.3f} <span class=ci>[{r['ratio_ci_low']:.3f}, "
         f"{r['ratio_ci_high']:.3f}]</span>")
    return f"<b>{s}</b>" if excludes_one(r) else s


def relative_table(res, dis):
    e = html.escape
    out = ["<table><tr><th>Stage &rarr; branch</th>",
           f"<th>{e(res.label(res.groups[0]))}: rate</th>"]
    out += [f"<th>{e(res.label(g))}: relative rate</th>" for g in res.groups[1:]]
    out.append("</tr>")
    for b in dis.branches(res):
        ref = dis.rate(res.groups[0], b)
        out.append(f"<tr><th class=row>{e(b)}</th><td>{100 * ref['rate']:.1f}%</td>")
        out += [f"<td>{ratio_html(dis.rate(g, b))}</td>" for g in res.groups[1:]]
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def part_html(r, scale, digits):
    if r is None or not np.isfinite(r["mean"]):
        return "n/a"
    f = f"{{:+.{digits}f}}" if r["quantity"] not in ("baseline", "all_equalised") else f"{{:.{digits}f}}"
    s = f.format(scale * r["mean"])
    if np.isfinite(r["ci_low"]):
        s += f" <span class=ci>[{f.format(scale * r['ci_low'])}, {f.format(scale * r['ci_high'])}]</span>"
    if r["sampling_se"] > 0:
        s += f" <span class=ci>(sampling SE {scale * r['sampling_se']:.{digits}f})</span>"
    return s


def decomposition_table(res, dis, group):
    e = html.escape
    cols = [("accountability_ratio", 1, 3), ("accountability_diff", 100, 1),
            ("redress_ratio", 1, 3), ("redress_diff", 100, 1)]
    rows = ([("Baseline", "baseline", "")] +
            [(f"+ Shapley share: {s}", "shapley", s) for s in dis.stages] +
            [("= All decomposed stages equalised", "all_equalised", ""),
             ("Left (not equalised: exposure)", "not_equalised", "")])
    out = ["<table><tr><th></th><th>Accountability ratio</th><th>Accountability difference "
           "(points)</th><th>Redress ratio</th><th>Redress difference (points)</th></tr>"]
    for label, q, s in rows:
        out.append(f"<tr><th class=row>{e(label)}</th>")
        out += [f"<td>{part_html(dis.part(group, m, q, s), sc, d)}</td>" for m, sc, d in cols]
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def exposure_table(res, dis):
    e = html.escape
    rows = [r for r in dis.exposure if r["variant"] == "baseline" and r["group"] == res.groups[0]]
    out = ["<table><tr><th>Per 100,000 population a year</th>"]
    out += [f"<th>{e(res.label(g))}</th>" for g in res.groups]
    out += [f"<th>{e(res.label(g))}: ratio</th>" for g in res.groups[1:]]
    out.append("</tr>")
    for x in rows:
        label = x["measure"].replace("_", " ") + (f": {x['violation']}" if x["violation"] else "")
        out.append(f"<tr><th class=row>{e(label)}</th>")
        cells = {g: next((y for y in dis.exposure if y["variant"] == "baseline" and y["group"] == g
                          and y["measure"] == x["measure"] and y["violation"] == x["violation"]), None)
                 for g in res.groups}
        for g in res.groups:
            y = cells[g]
            out.append("<td>n/a</td>" if y is None or not np.isfinite(y["rate"]) else
                       f"<td>{y['rate']:.4g} <span class=ci>[{y['rate_ci_low']:.4g}, "
                       f"{y['rate_ci_high']:.4g}]</span></td>")
        out += [f"<td>{ratio_html(cells[g])}</td>" for g in res.groups[1:]]
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def section(res, figure, number):
    """The page's section `number` on where the disparity arises ("" for a
    file without /disparity); figure(name) is the HTML of a figure drawn."""
    if not has_rates(res):
        return ""
    dis = of(res)
    e = html.escape
    ref = e(res.label(res.groups[0]))
    p = [f"<h2>{number}. Where the disparity arises</h2>",
         "<p>For each stage and each of its branches: the share of the tracks entering the stage "
         f"that take the branch, for {ref}, and for each other group that share divided by "
         f"{ref}'s (the <b>relative rate</b>; 1 = the stage treats the group as it treats {ref}). "
         "At the entry stage the rates are the reporting gap. Bold: the "
         f"{percent_level(res)} interval excludes 1.</p>",
         relative_table(res, dis),
         figure("relative_rates")]
    if dis.how == "none":
        p.append("<p class=meta>Run with <code>casesim run --decompose</code> to see how much of "
                 "the disparity each stage accounts for.</p>")
    elif not dis.stages:
        p.append("<p>No stage gives the groups different branch probabilities: the disparity "
                 "does not arise in processing.</p>")
    else:
        p.append("<h3>How much each stage accounts for</h3><p>casesim ran the baseline again with "
                 f"every group given {ref}'s branch probabilities at some of the stages that treat "
                 "groups differently (odds ratios unchanged, the same simulated incidents). A "
                 "stage's <b>Shapley share</b> is the change it makes when it is equalised, "
                 "averaged over the orders in which stages can be equalised; the shares add up "
                 "to the change from the baseline to all stages equalised.</p>")
        for g in res.groups[1:]:
            p.append(f"<h3>{e(res.label(g))}</h3>" + decomposition_table(res, dis, g))
        p.append(figure("waterfall"))
    if dis.not_equalised:
        p.append("<p class=meta>Not equalised (exposure, not processing): "
                 + "; ".join(e(x) for x in dis.not_equalised) + ".</p>")
    if dis.exposure:
        pops = "; ".join(f"{e(res.label(g))}: {next(x['population'] for x in dis.exposure if x['group'] == g):,.0f}"
                         + (f" ({e(s)})" if s else "") for g, s in zip(res.groups, dis.sources or [""] * len(res.groups)))
        p.append("<h3>Exposure per population</h3><p>Cohort counts per 100,000 population per "
                 f"year, and each group's ratio to {ref}'s. Populations: {pops}.</p>")
        p.append(exposure_table(res, dis))
    return "\n".join(p)


def has_rates(res):
    """Whether res has relative rates to show (two groups or more, and the
    /disparity tables)."""
    return len(res.groups) > 1 and of(res).present and bool(of(res).relative)


def has_decomposition(res):
    """Whether res is a decomposed run with stages that differ."""
    dis = of(res)
    return has_rates(res) and bool(dis.stages) and bool(dis.decomposition)


RELATIVE_RATES = Figure(
    name="relative_rates", title="Relative rates at each decision point",
    caption="Relative rate of each branch at baseline: the share of a group's tracks entering "
            "the stage that take the branch, over the reference group's share (colour: log "
            "scale; orange below 1, purple above; a star: the {level} interval excludes 1).",
    draw=heatmap, applies=has_rates)

WATERFALL = Figure(
    name="waterfall", title="How much each stage accounts for",
    caption="From the baseline's disparity ratio, stage by stage (each stage's Shapley share; "
            "green: towards parity), to all stages equalised; the last bar is what equalising "
            "processing does not remove (exposure). Whiskers: the {level} interval of each share.",
    draw=waterfall, applies=has_decomposition)
