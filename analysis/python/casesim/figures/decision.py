"""The decision under uncertainty: its figures and the page's decision
section, from /decision and /uncertainty of a results file (format 1.2,
optional there: a file without them has no decision section;
analysis/README.md documents every dataset used here).

Figures (FIGURES, each a Figure record of base.py):
    acceptability   the probability that each option is best against the
                    willingness to pay (acceptability curves), the frontier
                    (the option with the highest expected net benefit) drawn
                    over them, and the expert's willingness to pay;
    evpi            the expected value of perfect information per year against
                    the willingness to pay, with two standard errors;
    evppi           the value of partial perfect information of each input and
                    group at the expert's willingness to pay, with whiskers of
                    two standard errors, beside EVPI;
    ce_plane        the cost-effectiveness plane: each draw's improvement and
                    cost of every option (a cloud per option), the means, the
                    frontier through the efficient means, and the line of the
                    expert's willingness to pay.
section_html returns the page's decision section, which the page shows first.
"""

import html

import matplotlib.pyplot as plt
import numpy as np

from .base import PALETTE, Figure


def of(res):
    """The Decision of the open results res, read once."""
    dec = getattr(res, "_casesim_decision", None)
    if dec is None:
        dec = Decision(res.file)
        res._casesim_decision = dec
    return dec


def _text(x):
    return x.decode("utf-8") if isinstance(x, bytes) else str(x)


def _table(f, path):
    """A compound table as a list of dicts with str for strings ([] if absent)."""
    if path not in f:
        return []
    rows = f[path][()]
    return [{k: (_text(r[k]) if isinstance(r[k], (bytes, str)) else r[k].item())
             for k in rows.dtype.names} for r in rows]


class Decision:
    """What /decision says, or None fields when the file has no decision."""

    def __init__(self, f):
        self.ok = "decision" in f and int(f["decision"].attrs.get("draws", 0)) > 0 \
            and "lambda" in f["decision"]
        if not self.ok:
            return
        g = f["decision"]
        a = g.attrs
        self.lam = g["lambda"][()]
        self.p_best = g["p_best"][()]
        # The variants decided on: the first of /scenario/variants (the
        # decomposition's variants, last, explain the baseline and are not
        # choices).
        listed = [_text(v) for v in f["scenario/variants"][()]]
        self.variants = listed[:self.p_best.shape[1]]
        self.best = g["best"][()]
        self.evpi = g["evpi"][()]
        self.evpi_se = g["evpi_se"][()]
        self.draw_effect = g["draw_effect"][()]
        self.draw_cost = g["draw_cost"][()]
        self.expert = float(a["expert_wtp"])
        self.expert_from = _text(a["expert_wtp_from"])
        self.expert_best = _text(a["expert_best"])
        self.expert_p_best = float(a["expert_p_best"])
        self.expert_evpi = float(a["expert_evpi"])
        self.expert_evpi_se = float(a["expert_evpi_se"])
        self.expert_evpi_horizon = float(a["expert_evpi_horizon"])
        self.horizon = float(a["population_years"])
        self.budget = float(a["budget"])
        self.currency = _text(a["currency"]) or "currency"
        self.measure = _text(a["measure"])
        self.group = _text(a["outcome_group"])
        self.direction = float(a["direction"])
        self.uncertainty = _text(a["uncertainty"])
        self.draws = int(a["draws"])
        self.k = int(a["replicates_per_draw_used"])
        self.error = _text(a.get("error", ""))
        self.frontier = _table(f, "decision/frontier")
        self.ranking = sorted(_table(f, "decision/ranking"), key=lambda r: r["rank"])
        self.evppi_sets = _table(f, "decision/evppi_sets")
        self.portfolios = sorted(_table(f, "decision/portfolios"), key=lambda r: r["rank"])
        self.split = _table(f, "decision/variance_split")

    def money(self, x):
        if x != x:
            return "n/a"
        return f"{x:,.0f} {self.currency}" if self.currency != "currency" else f"{x:,.0f}"


# ------------------------------------------------------------------ figures


def _acceptability(dec):
    """Acceptability curves, the frontier and the expert's willingness to pay."""
    fig, ax = plt.subplots(figsize=(9, 4.8))
    scale, unit = _wtp_scale(dec.lam)
    x = dec.lam / scale
    for v, name in enumerate(dec.variants):
        if np.max(dec.p_best[:, v]) < 0.01:
            continue
        ax.plot(x, dec.p_best[:, v], color=PALETTE[v % len(PALETTE)], lw=1.4, label=name)
    front = dec.p_best[np.arange(len(dec.lam)), dec.best]
    ax.plot(x, front, color="black", lw=3.2, alpha=0.35,
            label="frontier: the option with the highest expected net benefit")
    ax.axvline(dec.expert / scale, color="#555", ls="--", lw=1)
    ax.annotate("your willingness to pay", (dec.expert / scale, 1.02), ha="center",
                fontsize=8, color="#555", annotation_clip=False)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(f"Willingness to pay ({unit}{dec.currency} per percentage point a year)")
    ax.set_ylabel("Probability of being the best option")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.grid(alpha=0.3)
    return fig


def _evpi_curve(dec):
    """EVPI per year against the willingness to pay, with +-2 SE."""
    fig, ax = plt.subplots(figsize=(9, 3.8))
    scale, unit = _wtp_scale(dec.lam)
    mscale, munit = _wtp_scale(np.array([np.nanmax(dec.evpi + 2 * np.nan_to_num(dec.evpi_se))]))
    x = dec.lam / scale
    ax.plot(x, dec.evpi / mscale, color=PALETTE[0], lw=1.8, label="EVPI per year")
    se = np.nan_to_num(dec.evpi_se)
    ax.fill_between(x, (dec.evpi - 2 * se) / mscale, (dec.evpi + 2 * se) / mscale,
                    color=PALETTE[0], alpha=0.15, lw=0, label="± 2 standard errors")
    ax.axvline(dec.expert / scale, color="#555", ls="--", lw=1)
    ax.set_xlabel(f"Willingness to pay ({unit}{dec.currency} per percentage point a year)")
    ax.set_ylabel(f"{munit}{dec.currency} per year")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    return fig


def _evppi_bars(dec):
    """EVPPI of each input and group at the expert's value, largest first."""
    sets = [s for s in dec.evppi_sets if s["kind"] != "all"]
    sets.sort(key=lambda s: s["evppi_expert"])
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(sets) + 1.6))
    vals = np.array([s["evppi_expert"] for s in sets] + [dec.expert_evpi])
    scale, unit = _wtp_scale(np.array([np.nanmax(vals) if len(vals) else 1.0]))
    y = np.arange(len(sets))
    ax.barh(y, [s["evppi_expert"] / scale for s in sets],
            xerr=[2 * s["evppi_expert_se"] / scale for s in sets],
            color=[PALETTE[2] if s["kind"] == "input" else PALETTE[3] for s in sets],
            error_kw={"ecolor": "#444", "lw": 1})
    ax.axvline(dec.expert_evpi / scale, color="black", ls="--", lw=1,
               label="EVPI: every input known perfectly")
    ax.set_yticks(y)
    ax.set_yticklabels([_short(s["name"]) for s in sets], fontsize=8)
    ax.set_xlabel(f"Expected value of partial perfect information ({unit}{dec.currency} per year)")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.grid(alpha=0.3, axis="x")
    return fig


def _ce_plane(dec):
    """The cost-effectiveness plane: a cloud of draws per option."""
    fig, ax = plt.subplots(figsize=(9, 5.5))
    cscale, cunit = _wtp_scale(np.array([np.nanmax(np.abs(dec.draw_cost)) or 1.0]))
    for v, name in enumerate(dec.variants):
        col = PALETTE[v % len(PALETTE)]
        ax.scatter(dec.draw_effect[:, v], dec.draw_cost[:, v] / cscale, s=6, alpha=0.25,
                   color=col, lw=0)
        ax.scatter([np.mean(dec.draw_effect[:, v])], [np.mean(dec.draw_cost[:, v]) / cscale],
                   s=60, color=col, edgecolor="black", zorder=3, label=name)
    eff = sorted((r for r in dec.frontier if r["status"] == "efficient"),
                 key=lambda r: r["rank_by_cost"])
    ax.plot([r["effect"] for r in eff], [r["cost"] / cscale for r in eff], color="black", lw=1.5,
            zorder=2, label="frontier (efficient options)")
    xmax = max(1e-9, float(np.nanmax(dec.draw_effect)))
    ax.plot([0, xmax], [0, dec.expert * xmax / cscale], color="#555", ls="--", lw=1,
            label="your willingness to pay")
    ax.axhline(0, color="#999", lw=0.8)
    ax.axvline(0, color="#999", lw=0.8)
    ax.set_xlabel("Improvement of the outcome against the baseline (percentage points)")
    ax.set_ylabel(f"Annual cost ({cunit}{dec.currency})")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.grid(alpha=0.3)
    return fig


def _wtp_scale(x):
    """A divisor and its prefix for readable axes ("millions of ")."""
    top = float(np.nanmax(np.abs(x))) if len(x) else 0.0
    if top >= 1e9:
        return 1e9, "billions of "
    if top >= 1e6:
        return 1e6, "millions of "
    if top >= 1e3:
        return 1e3, "thousands of "
    return 1.0, ""


def _short(name, n=60):
    return name if len(name) <= n else "…" + name[-(n - 1):]


def _fig(figs, name, alt, caption):
    if name not in figs:
        return ""
    return (f"<figure><img alt='{html.escape(alt)}' src='data:image/png;base64,{figs[name]}'>"
            f"<figcaption>{caption}</figcaption></figure>")


def _years(n):
    """"1 year", "2.5 years": a horizon with its unit in the right number."""
    return f"{n:g} year" if n == 1 else f"{n:g} years"


def _ranking_table(dec):
    e = html.escape
    rows = ["<table><tr><th>Rank</th><th>Option</th><th>Improvement (points)</th>"
            "<th>Annual cost</th><th>Net benefit a year</th><th>Probability best</th>"
            "<th>Frontier</th><th>Bundle: gain over its best part</th></tr>"]
    for r in dec.ranking:
        gain = "–"
        if r["best_member"]:
            gain = (f"{r['increment']:+,.0f} over {e(r['best_member'])} "
                    f"<span class=ci>({100 * r['p_increment_positive']:.0f}% of draws)</span>")
        rows.append(f"<tr><td>{r['rank']}</td><th class=row>{e(r['variant'])}</th>"
                    f"<td>{r['effect']:+.2f}</td><td>{dec.money(r['cost'])}</td>"
                    f"<td>{dec.money(r['enb'])} <span class=ci>(SE {r['enb_se']:,.0f})</span></td>"
                    f"<td>{100 * r['p_best']:.1f}%</td><td>{e(r['status'])}</td><td>{gain}</td></tr>")
    rows.append("</table>")
    return "".join(rows)


def _evppi_list(dec):
    sets = sorted((s for s in dec.evppi_sets if s["kind"] != "all" and s["evppi_expert"] > 0),
                  key=lambda s: -s["evppi_expert"])[:3]
    if not sets:
        return ""
    items = "".join(
        f"<li>Better data on <b>{html.escape(s['name'])}</b> is worth up to "
        f"{dec.money(s['evppi_expert'])} a year (SE {s['evppi_expert_se']:,.0f}), "
        f"{dec.money(s['evppi_expert_horizon'])} over {_years(dec.horizon)}.</li>" for s in sets)
    return f"<p>The inputs whose better knowledge is worth most:</p><ol>{items}</ol>"


def section_html(res, drawn):
    """The decision section of the page (empty without a decision); drawn
    maps each figure drawn to (its Figure, its PNG in base64)."""
    dec = of(res)
    if not dec.ok:
        return ""
    figs = {name: png for name, (_, png) in drawn.items()}
    group_label = res.label
    e = html.escape
    scope = ("It covers what is not known about the scenario's uncertain inputs "
             f"({dec.draws} draws, {dec.k} replicate{'s' if dec.k > 1 else ''} each) as well as "
             "the simulation's randomness."
             if dec.uncertainty == "inputs and simulation" else
             "It covers what the calibration leaves unknown about the scenario's uncertain "
             f"inputs ({dec.draws} replicates, their inputs drawn from the calibration's "
             "posterior) as well as the simulation's randomness."
             if dec.uncertainty == "posterior inputs and simulation" else
             "It covers the simulation's randomness only: the run drew no uncertain inputs.")
    src = ("the scenario's own" if dec.expert_from == "given" else
           "the middle of the grid; give your own as decision.willingness_to_pay.expert")
    p = ["<h2>Decision: the best use of the money, given what is not known</h2>",
         f"<p>Each option's improvement in {e(dec.measure.replace('_', ' '))} for "
         f"{e(group_label(dec.group))} (percentage points against the baseline) is weighed "
         f"against its annual cost at a willingness to pay of {dec.money(dec.expert)} per "
         f"percentage point a year ({e(src)}). {scope}</p>",
         f"<p class=note><b>Best at this willingness to pay: {e(dec.expert_best)}</b>, with a "
         f"probability of {100 * dec.expert_p_best:.1f}% of being the best option.</p>"]
    if dec.error:
        p.append(f"<p class=note>Part of the analysis could not be computed: {e(dec.error)}.</p>")
    p.append(_ranking_table(dec))
    p.append("<p class=meta>Dominated: another option costs no more and improves at least as "
             "much. Extendedly dominated: a mix of a cheaper and a dearer option buys the same "
             "for less. A bundle is better than its best part only if its other parts pay for "
             "themselves.</p>")
    p.append(_fig(figs, "acceptability", "Acceptability curves",
                  "The probability that each option is best, against the willingness to pay; the "
                  "thick grey line follows the option with the highest expected net benefit."))
    p.append(_fig(figs, "ce_plane", "Cost-effectiveness plane",
                  "Each small dot is one draw of an option's improvement and cost; large dots are "
                  "the means; the black line joins the efficient options; options below the "
                  "dashed line are worth their cost at your willingness to pay."))
    p.append(f"<p>Expected value of perfect information: <b>{dec.money(dec.expert_evpi)} a "
             f"year</b> (SE {dec.expert_evpi_se:,.0f}), {dec.money(dec.expert_evpi_horizon)} over "
             f"the policy's horizon of {_years(dec.horizon)}: the most that removing every "
             "uncertainty could be worth to this decision.</p>")
    p.append(_evppi_list(dec))
    p.append(_fig(figs, "evpi", "EVPI curve", "EVPI per year against the willingness to pay."))
    p.append(_fig(figs, "evppi", "EVPPI bars",
                  "What better knowledge of each input (green) or group of inputs (purple) "
                  "would be worth a year, with two standard errors; the dashed line is EVPI."))
    if dec.portfolios:
        best = dec.portfolios[0]
        p.append(f"<p>Within the budget of {dec.money(dec.budget)} a year the best portfolio is "
                 f"<b>{e(best['variant'])}</b> (probability {100 * best['p_best']:.1f}% of being "
                 f"best among the {len(dec.portfolios)} portfolios that fit).</p>")
    return "\n".join(x for x in p if x)


def _has_evppi(res):
    dec = of(res)
    return dec.ok and any(s["kind"] != "all" for s in dec.evppi_sets)


FIGURES = [
    Figure(name="acceptability", title="Acceptability curves",
           caption="The probability that each option is best, against the willingness to pay; "
                   "the thick grey line follows the option with the highest expected net benefit.",
           draw=lambda res: _acceptability(of(res)), applies=lambda res: of(res).ok),
    Figure(name="ce_plane", title="Cost-effectiveness plane",
           caption="Each small dot is one draw of an option's improvement and cost; large dots "
                   "are the means; the black line joins the efficient options; options below "
                   "the dashed line are worth their cost at your willingness to pay.",
           draw=lambda res: _ce_plane(of(res)), applies=lambda res: of(res).ok),
    Figure(name="evpi", title="EVPI curve",
           caption="EVPI per year against the willingness to pay.",
           draw=lambda res: _evpi_curve(of(res)), applies=lambda res: of(res).ok),
    Figure(name="evppi", title="EVPPI bars",
           caption="What better knowledge of each input (green) or group of inputs (purple) "
                   "would be worth a year, with two standard errors; the dashed line is EVPI.",
           draw=lambda res: _evppi_bars(of(res)), applies=_has_evppi),
]
