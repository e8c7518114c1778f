"""The one-page HTML report: the tables an expert reads first, the figures
embedded, the definitions and the scenario. Self-contained (no file or
network access when viewed)."""

import html
import os

import numpy as np

from . import decision, disparity, kinds
from .base import percent_level

# The figures the page places in its own sections; any other registered
# figure is shown after them, under "More figures".
PLACED = ("effects", "funnel", "backlog", "by_year", "feedback", "relative_rates",
          "waterfall") + tuple(f.name for f in decision.FIGURES)


def cost_of(res, variant):
    """The annual cost that cost per point uses: the cost in force over the
    measured years (1.2; each intervention paid from its `starts`), else the
    annual cost."""
    return float(res.variant_info.annual_cost_in_force[variant])


def pct(x):
    return "n/a" if x is None or np.isnan(x) else f"{100 * x:.1f}%"


def ci(r, scale=1.0, digits=1, sign=False, unit=""):
    if r is None:
        return "n/a"
    m = r.get("mean", r.get("diff_mean"))
    lo = r.get("ci_low", r.get("diff_ci_low"))
    hi = r.get("ci_high", r.get("diff_ci_high"))
    if m is None or np.isnan(m):
        return "n/a"
    if sign and m == 0 and lo == 0 and hi == 0:
        return "0 (no change)"  # the same in every replicate
    if lo is not None and hi is not None and not np.isnan(lo):
        digits = kinds.decimals(scale, lo, hi, digits)
    f = f"{{:{'+' if sign else ''}.{digits}f}}"
    s = f.format(scale * m) + unit
    if lo is not None and not np.isnan(lo):
        s += f" <span class=ci>[{f.format(scale * lo)}, {f.format(scale * hi)}]</span>"
    return s


def money(x):
    if x is None or np.isnan(x):
        return "n/a"
    if np.isinf(x):
        return "unbounded"
    return f"{x:,.0f}"


# How each display kind of the file's headline list is shown: scale, digits, unit.
DISPLAY = {"percent": (100, 1, "%"), "ratio": (1, 3, ""), "days": (1, 0, "")}


def headline_table(res, variant):
    groups = res.groups + ["all"]
    out = [f"<table><tr><th>Mean [{percent_level(res)} CI]</th>"]
    out += [f"<th>{html.escape(res.label(g))}</th>" for g in groups]
    out.append("</tr>")
    for m, label, display in res.headlines:
        scale, digits, unit = DISPLAY.get(display, (1, 3, ""))
        out.append(f"<tr><th class=row>{html.escape(label)}</th>")
        for gi, g in enumerate(groups):
            if m == "accountability_ratio" and gi == 0:
                cell = "1 (reference)"
            elif m == "accountability_ratio" and g == "all":
                cell = "&ndash;"
            else:
                cell = ci(res.row("summary", variant, g, m), scale, digits, unit=unit)
            out.append(f"<td>{cell}</td>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def comparison_table(res):
    mag = res.most_affected_group or res.groups[0]
    out = ["<table><tr><th>Intervention or bundle</th><th>Annual cost</th>",
           f"<th>Impunity, {html.escape(res.label(mag))} (points)</th>",
           "<th>Impunity, all victims (points)</th>"]
    if len(res.groups) > 1:
        out.append("<th>Disparity ratio</th>")
    out.append(f"<th>Redress, {html.escape(res.label(mag))} (points)</th>"
               "<th>Cost per point of impunity removed</th></tr>")
    for v in res.variants[1:]:
        imp = res.row("comparison", v, mag, "impunity_rate")
        out.append(f"<tr><th class=row>{html.escape(v.replace('_', ' '))}</th>"
                   f"<td>{money(cost_of(res, v))}{kinds.currency(res)}</td><td>{ci(imp, 100, 1, True)}</td>"
                   f"<td>{ci(res.row('comparison', v, 'all', 'impunity_rate'), 100, 1, True)}</td>")
        if len(res.groups) > 1:
            out.append(f"<td>{ci(res.row('comparison', v, mag, 'accountability_ratio'), 1, 3, True)}</td>")
        out.append(f"<td>{ci(res.row('comparison', v, mag, 'redress_rate'), 100, 1, True)}</td>")
        if imp is None or np.isnan(imp["diff_ci_high"]):
            cpp = "n/a"
        elif imp["diff_ci_low"] > 0:
            cpp = "not defined: impunity rises"
        elif imp["diff_ci_high"] >= 0:
            # Only a fall whose interval excludes 0 has a cost per point.
            cpp = "none: the change is not distinguishable from zero"
        elif cost_of(res, v) == 0:
            cpp = "0 (no annual cost given)"
        else:
            cpp = (f"{money(imp['cost_per_point'])}{kinds.currency(res)} <span class=ci>"
                   f"[{money(imp['cost_per_point_low'])}, {money(imp['cost_per_point_high'])}]</span>")
        out.append(f"<td>{cpp}</td></tr>")
    out.append("</table>")
    return "".join(out)


def ranking_table(res):
    ci_head = f"[{percent_level(res)} CI]"
    out = [f"<table><tr><th>Variant</th><th>Annual cost</th><th>Impunity {ci_head}</th>"
           "<th>Rank</th><th>Probability best</th>"]
    if len(res.groups) > 1:
        out.append(f"<th>Disparity ratio {ci_head}</th><th>Rank</th><th>Probability best</th>")
    out.append("</tr>")
    rows = sorted(res.ranking.to_dict("records"), key=lambda r: (r["impunity_rank"] or 99, r["variant"]))
    imp = [ci({"mean": r["impunity_mean"], "ci_low": r["impunity_ci_low"],
               "ci_high": r["impunity_ci_high"]}, 100, 1, unit="%") for r in rows]
    ratio = [ci({"mean": r["ratio_mean"], "ci_low": r["ratio_ci_low"],
                 "ci_high": r["ratio_ci_high"]}, 1, 3) for r in rows]
    imp_rank = shared_ranks([r["impunity_rank"] for r in rows], imp)
    ratio_rank = shared_ranks([r["ratio_rank"] for r in rows], ratio)
    for i, r in enumerate(rows):
        out.append(
            f"<tr><th class=row>{html.escape(r['variant'].replace('_', ' '))}</th>"
            f"<td>{money(r['annual_cost'])}{kinds.currency(res)}</td>"
            f"<td>{imp[i]}</td><td>{imp_rank[i]}</td><td>{pct(r['impunity_p_best'])}</td>")
        if len(res.groups) > 1:
            out.append(f"<td>{ratio[i]}</td><td>{ratio_rank[i]}</td><td>{pct(r['ratio_p_best'])}</td>")
        out.append("</tr>")
    out.append("</table>")
    if any(x.endswith("=") for x in imp_rank + ratio_rank):
        out.append("<p class=meta>A rank with &ldquo;=&rdquo; (such as 2=): these variants print "
                   "the same figure, so they share the rank; the order between them is not "
                   "meaningful (see their probabilities of being best).</p>")
    return "".join(out)


def shared_ranks(ranks, printed):
    """The ranks as shown: variants whose figures print the same share the
    best of their ranks, marked "=" (their order would mean nothing)."""
    out = []
    for i, r in enumerate(ranks):
        mean = printed[i].split(" ")[0]  # the figure as printed, without its interval
        same = [ranks[j] for j in range(len(ranks)) if printed[j].split(" ")[0] == mean and ranks[j]]
        if not r:
            out.append("&ndash;")
        elif len(same) > 1:
            out.append(f"{min(same)}=")
        else:
            out.append(f"{r}")
    return out


def timing_table(res):
    """How fast each intervention's effect on impunity comes (/timing)."""
    out = ["<table><tr><th>Intervention or bundle</th>",
           f"<th>Change in the last arrival year (points) [{percent_level(res)} CI]</th>",
           "<th>First arrival year clear of zero</th><th>Reaches 90% of it from</th></tr>"]
    for r in res.timing.to_dict("records"):
        eff = ci({"mean": r["final_effect"], "ci_low": r["final_ci_low"],
                  "ci_high": r["final_ci_high"]}, 100, 1, True)
        clear = ("not within the cohort" if np.isnan(r["first_clear_year"])
                 else f"{r['first_clear_year']:g}")
        y90 = "n/a" if np.isnan(r["year_90"]) else f"{r['year_90']:g}"
        out.append(f"<tr><th class=row>{html.escape(r['variant'].replace('_', ' '))}</th>"
                   f"<td>{eff}</td><td>{clear}</td><td>{y90}</td></tr>")
    out.append("</table>")
    return "".join(out)


CSS = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
h3 { margin-bottom: 0.3em; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: right; vertical-align: top; }
th { background: #f2f5f8; } tr:first-child th:first-child { text-align: left; } th.row { text-align: left; font-weight: normal; background: #fafafa; }
.ci { color: #666; font-size: 0.9em; white-space: nowrap; }
.note { background: #fff8e1; border-left: 4px solid #e0a800; padding: 0.6em 1em; }
.meta { color: #555; font-size: 0.9em; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #444; font-size: 0.92em; margin-top: 0.4em; }
details { margin: 1em 0; } summary { cursor: pointer; color: #0056a0; }
dt { font-weight: bold; margin-top: 0.5em; } pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
"""


def figure_html(res, drawn, name):
    """The figure `name` embedded in the page with its caption ("" if it
    was not drawn)."""
    if name not in drawn:
        return ""
    fig, png = drawn[name]
    caption = fig.caption.replace("{level}", percent_level(res))
    return (f"<figure><img alt='{html.escape(fig.title)}' src='data:image/png;base64,{png}'>"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def sampling(res):
    """How the file's replicates took the uncertain inputs: "random",
    "sobol", "scenario values" (--no-uncertainty) or "none" (also for files
    without /uncertainty, which is optional in format 1.2)."""
    u = res.file["uncertainty"].attrs if "uncertainty" in res.file else {}
    x = u.get("sampling", "none")
    return x.decode("utf-8") if isinstance(x, bytes) else str(x)


def page(res, drawn):
    """The HTML page of the open results res; drawn maps each figure drawn
    to (its Figure, its PNG in base64)."""
    mag = res.most_affected_group or res.groups[0]
    p = []
    e = html.escape
    p.append(f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
             f"<title>casesim: {e(res.scenario_name)}</title><style>{CSS}</style></head><body>")
    p.append(f"<h1>{e(res.scenario_name)}</h1><p>{e(res.scenario_description)}</p>")
    p.append(f"<p class=meta>Simulated with casesim {e(res.provenance['casesim_version'])}: {res.replicates} replicates "
             f"(seed {res.provenance['seed']}), written {e(res.provenance['created'])}. Results file: {e(os.path.basename(res.path))}.</p>")
    if res.status != "complete":
        p.append(f"<p class=note><b>This run was interrupted.</b> The figures use only the "
                 f"{res.replicates} replicates that finished.</p>")
    p.append(
        "<p class=note><b>How to read this page.</b> Each figure is the mean over the simulated "
        f"replicates, with its {percent_level(res)} confidence interval in grey brackets [low, high]. "
        + (("Each replicate drew the scenario's uncertain inputs: the means are averages over what "
            "is not known as well as over the simulation's randomness, and the interval says how "
            "precisely the replicates pin them down, not how widely the truth may vary (the "
            "decision section shows that). ")
           if sampling(res) in ("random", "sobol") else
           ("The interval shows the simulation's own randomness only: it does not include the "
            "uncertainty of the figures the scenario was built from. "))
        + "<b>Impunity</b> is the share of well-founded "
        "incidents (violations that really happened and were unlawful) without any "
        "accountability outcome by the end of the simulation (cases still open then count as "
        "without accountability); <b>accountability</b> is the rest; <b>redress</b> is the share "
        "with a redress outcome such as compensation; the <b>disparity ratio</b> is a group's "
        f"accountability rate divided by that of {e(res.label(res.groups[0]))} (1 = parity). "
        "Only incidents that arrived during the measured window "
        f"({res.years['cohort']:g} years, after {res.years['warmup']:g} years of warm-up) are counted, and their "
        f"cases are followed for {res.years['follow_up']:g} more years.</p>")
    p.append(decision.section_html(res, drawn))

    # Key findings, in words.
    best = [r for r in res.ranking.to_dict("records") if r["impunity_rank"] == 1]
    if best and len(res.variants) > 1:
        b = best[0]
        imp = res.row("comparison", b["variant"], mag, "impunity_rate")
        words = (f"For {e(res.label(mag))}, the group with the highest impunity at baseline, "
                 f"impunity is {pct(res.row('summary', 'baseline', mag, 'impunity_rate')['mean'])} "
                 f"at baseline. ")
        if b["variant"] == "baseline":
            words += "No intervention or bundle lowers it on average."
        else:
            cost = cost_of(res, b["variant"])
            d = kinds.decimals(100, imp["diff_ci_low"], imp["diff_ci_high"], 1)
            words += (f"The lowest impunity comes with <b>{e(b['variant'].replace('_', ' '))}</b>, "
                      f"which lowers it by {-100 * imp['diff_mean']:.{d}f} percentage points "
                      f"({percent_level(res)} confidence interval {-100 * imp['diff_ci_high']:.{d}f} to "
                      f"{-100 * imp['diff_ci_low']:.{d}f})"
                      + (f" for an annual cost of {money(cost)}{kinds.currency(res)}" if cost > 0 else "")
                      + f". It comes out best in {pct(b['impunity_p_best'])} of the bootstrap "
                      "resamples (see section 3).")
        p.append(f"<h2>Key finding</h2><p>{words}</p>")

    p.append("<h2>1. The baseline, by victim group</h2>")
    p.append(f"<p class=meta>{e(res.variant_info.description['baseline'])}</p>" if res.variant_info.description["baseline"] else "")
    p.append(headline_table(res, "baseline"))
    sm = res.summary
    medians = list(sm[(sm.measure == "time_to_end_median") & (sm.variant == "baseline")]["mean"])
    if any(m == 0 for m in medians):
        p.append("<p class=meta>A median of 0 days: a case that is never reported ends on the day "
                 "of the incident, and when more than half of the incidents are never reported the "
                 "median time to the end of the case is 0. The rows on reported cases give the "
                 "time to the end of the case among the cases that were taken up.</p>")
    if len(res.variants) > 1:
        p.append("<details><summary>The same table for every intervention and bundle</summary>")
        for v in res.variants[1:]:
            p.append(f"<h3>{e(v.replace('_', ' '))} <span class=meta>({e(res.variant_info.kind[v])})</span></h3>")
            if res.variant_info.description[v]:
                p.append(f"<p class=meta>{e(res.variant_info.description[v])}</p>")
            p.append(headline_table(res, v))
        p.append("</details>")

    if len(res.variants) > 1:
        p.append("<h2>2. What each intervention changes</h2>")
        p.append(
            "<p>Every intervention and bundle was run on the same simulated incidents as the "
            "baseline, so the change is measured incident stream by incident stream "
            "(replicate by replicate). Changes in rates are in percentage points: &minus;5.0 "
            "means five points less. An interval that does not include 0 is a change larger than "
            "the simulation's noise. The cost per percentage point is the annual cost divided by "
            f"the percentage points of impunity removed for {e(res.label(mag))}.</p>")
        p.append(comparison_table(res))
        p.append(figure_html(res, drawn, "effects"))
        p.append("<h2>3. Ranking, and how sure it is</h2>")
        p.append(
            f"<p>Variants ranked for {e(res.label(mag))}: on impunity (lower is better) and on the "
            f"disparity ratio (closer to 1 is better). <b>Probability best</b> is the share of {res.bootstrap_resamples} "
            "bootstrap resamples of the replicates in which the variant came out best: close to "
            "100% means the ranking is clear; several variants with similar shares means the "
            "simulation cannot tell them apart.</p>")
        p.append(ranking_table(res))

    # Where the disparity arises (section 4 when the file has two groups or
    # more), then the sections of the headline violation kinds (unnumbered).
    where = disparity.section(res, lambda name: figure_html(res, drawn, name), 4)
    p.append(where)
    p.append(kinds.sections(res, headline_table, comparison_table, ranking_table,
                            lambda name: figure_html(res, drawn, name)))
    n = 5 if where else 4
    p.append(f"<h2>{n}. Where complaints go</h2>")
    p.append(figure_html(res, drawn, "funnel"))
    p.append(f"<h2>{n + 1}. Backlogs over time</h2>")
    p.append(figure_html(res, drawn, "backlog"))
    section = n + 2
    if "by_year" in drawn:
        p.append(f"<h2>{section}. How fast</h2>")
        p.append(
            f"<p>Impunity of the incidents that arrived in each year, for {e(res.label(mag))} and "
            "for all victims. The table gives, for each intervention and bundle, its change in "
            "the last arrival year, the first arrival year whose interval excludes no change, "
            "and the first arrival year from which the change stays at 90% or more of its "
            "last-year value.</p>")
        p.append(figure_html(res, drawn, "by_year"))
        timing = res.timing
        if timing is not None and len(timing):
            p.append(timing_table(res))
        section += 1
    if "feedback" in drawn:
        p.append(f"<h2>{section}. Feedback loops</h2>")
        p.append(figure_html(res, drawn, "feedback"))
        section += 1
    others = [n for n in drawn if n not in PLACED and not n.startswith(kinds.FUNNEL_PREFIX)]
    if others:
        p.append(f"<h2>{section}. More figures</h2>")
        for n in others:
            p.append(f"<h3>{e(drawn[n][0].title)}</h3>" + figure_html(res, drawn, n))
        section += 1

    p.append(f"<h2>{section}. Definitions</h2><dl>")
    for m, u, d in zip(res.measures, res.measure_units, res.measure_descriptions):
        p.append(f"<dt>{e(m)} <span class=meta>({e('share from 0 to 1' if u == '1' else u)})</span></dt>"
                 f"<dd>{e(d)}</dd>")
    p.append("</dl>")
    p.append(f"<details><summary>The scenario file these results come from</summary>"
             f"<pre>{e(res.scenario)}</pre></details>")
    p.append(f"<p class=meta>Command: <code>{e(res.provenance['command_line'])}</code></p></body></html>")
    return "\n".join(p)


