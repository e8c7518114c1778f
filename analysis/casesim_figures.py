#!/usr/bin/python3
"""casesim_figures — figures and a one-page HTML report from a casesim results file.

Usage:
    /usr/bin/python3 analysis/casesim_figures.py RESULTS.h5 [-o OUTDIR]

Writes into OUTDIR (default: RESULTS_figures/ beside the results file):
    funnel.png    the attrition funnel of the baseline by victim group
    effects.png   each intervention's and bundle's effect against the baseline,
                  with 95% confidence intervals (a forest plot)
    backlog.png   the cases waiting at each stage over the simulated years
    by_year.png   impunity by year of arrival for every variant, with bands
                  (files of format 1.2 on)
    feedback.png  each feedback loop's multiplier month by month (when the
                  scenario has feedback loops)
    report.html   one self-contained page (figures embedded) with the tables

Needs only Debian's python3-h5py, python3-numpy and python3-matplotlib. The
layout of the results file is documented in analysis/README.md. What the file
states about itself is read from it, never restated here: the headline
measures (attributes of /summary), the confidence level and the bootstrap
resamples (attributes of /ranking), and the name of each axis of the
per-replicate arrays with where its labels are (`dimensions` attributes and
/scenario's `dimension_*` attributes, format 1.1).
"""

import argparse
import base64
import html
import io
import os
import sys

import h5py
import numpy as np

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

FORMAT = "casesim-results"
MAJOR = 1

# Files of format 1.0 do not record their headline measures; they were
# written by a casesim whose report showed these (format 1.1 files carry
# their own list in /summary's attributes, which is what is used).
HEADLINES_1_0 = [("impunity_rate", "Impunity", "percent"),
                 ("accountability_rate", "Accountability", "percent"),
                 ("redress_rate", "Redress", "percent"),
                 ("accountability_ratio", "Disparity ratio", "ratio"),
                 ("time_to_end_median", "Median days to end of case", "days"),
                 ("pending_share", "Cases still open at the end", "percent")]

# Colours distinguishable with the common colour-vision deficiencies
# (Okabe & Ito 2008).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"]


def text(x):
    """A str from what h5py returns for a string (bytes or str)."""
    return x.decode("utf-8") if isinstance(x, bytes) else str(x)


def strings(ds):
    return [text(x) for x in ds[()]]


class NotResults(Exception):
    """The file is not a casesim results file this tool can read."""


class Results:
    """What the figures and the page need from a results file. The small
    tables are read at once; the per-replicate arrays when asked for, so the
    file stays open: use `with Results(path) as res:` (or call close()).
    Raises NotResults for a file of another kind or major version."""

    def __init__(self, path):
        self.path = path
        try:
            self.file = h5py.File(path, "r")
        except OSError as e:
            raise NotResults(f"{path}: not an HDF5 file, or a damaged one ({e})") from None
        try:
            self._read(self.file)
        except BaseException:
            self.file.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.file.close()

    def _read(self, f):
        fmt = text(f.attrs.get("format", b""))
        if fmt != FORMAT:
            raise NotResults(f"{self.path}: not a casesim results file (format {fmt!r})")
        version = [int(v) for v in f.attrs["format_version"]]
        if version[0] != MAJOR:
            raise NotResults(f"{self.path}: results format version {version[0]}.{version[1]}; "
                             f"this tool reads version {MAJOR}.x")
        a = f.attrs
        self.status = text(a["status"])
        self.replicates = int(a["replicates"])
        self.seed = int(a["seed"])
        self.created = text(a["created"])
        self.version = text(a["casesim_version"])
        self.command_line = text(a["command_line"])
        self.level = float(a["confidence_level"])
        sc = f["scenario"]
        self.name = text(sc.attrs["name"])
        self.description = text(sc.attrs["description"]).strip()
        self.source = text(sc["source"][()])
        self.groups = strings(sc["groups"])
        self.labels = strings(sc["group_labels"])
        self.stages = strings(sc["stages"])
        self.outcomes = strings(sc["outcomes"])
        self.measures = strings(sc["measures"])
        self.measure_units = strings(sc["measure_units"])
        self.measure_descriptions = strings(sc["measure_descriptions"])
        self.variants = strings(sc["variants"])
        self.warmup = float(sc.attrs["warmup_years"])
        self.cohort = float(sc.attrs["cohort_years"])
        self.followup = float(sc.attrs["follow_up_years"])
        self.kind = {v: text(f["runs"][v].attrs["kind"]) for v in self.variants}
        self.vdesc = {v: text(f["runs"][v].attrs["description"]) for v in self.variants}
        self.cost = {v: float(f["runs"][v].attrs["annual_cost"]) for v in self.variants}
        self.summary = self._table("summary")
        self.comparison = self._table("comparison")
        self.ranking = self._table("ranking")
        self.mag = text(f["ranking"].attrs["most_affected_group"])
        self.resamples = int(f["ranking"].attrs["bootstrap_resamples"])
        self.headlines = self._headlines(f["summary"].attrs)
        # Time and feedback (format 1.2): calendar years, tables by arrival
        # year, feedback loops; absent from older files.
        self.start_year = float(sc.attrs.get("start_year", np.nan))
        self.origin = self.start_year if np.isfinite(self.start_year) else 0.0
        self.summary_year = self._table("summary_by_year") if "summary_by_year" in f else []
        self.timing = self._table("timing") if "timing" in f else []
        self.feedbacks = strings(sc["feedbacks"]) if "feedbacks" in sc else []

    @staticmethod
    def _headlines(attrs):
        """(measure, label, display) of the headline measures, as the file lists them."""
        if "headline_measures" not in attrs:
            return HEADLINES_1_0
        return list(zip(*(list(map(text, attrs[k])) for k in
                          ("headline_measures", "headline_labels", "headline_display"))))

    def _table(self, name):
        """A compound table as a list of dicts with str for strings."""
        rows = self.file[name][()]
        names = rows.dtype.names
        return [{k: (text(r[k]) if isinstance(r[k], (bytes, str)) else r[k].item()) for k in names}
                for r in rows]

    def axis_labels(self, variant, dataset):
        """The labels of each axis after the replicate axis of a per-replicate
        array, from the file's own description of its dimensions (format 1.1),
        else from the layout of format 1.0."""
        ds = self.file["runs"][variant][dataset]
        sc = self.file["scenario"].attrs
        if "dimensions" not in ds.attrs or "dimension_names" not in sc:
            known = {"measures": (self.groups + ["all"], self.measures),
                     "stage_entries": (self.groups + ["all"], self.stages),
                     "outcome_counts": (self.groups + ["all"], self.outcomes)}
            return known[dataset]
        where = dict(zip(map(text, sc["dimension_names"]), map(text, sc["dimension_labels"])))
        extra = dict(zip(map(text, sc["dimension_names"]), map(text, sc["dimension_extra_labels"])))
        labels = []
        for dim, n in zip(map(text, ds.attrs["dimensions"][1:]), ds.shape[1:]):
            path = where.get(dim, "")
            names = strings(self.file[path]) if path.startswith("/") else [str(i) for i in range(n)]
            labels.append(names + ([extra[dim]] if extra.get(dim) else []))
        return tuple(labels)

    def label(self, group):
        return "All victims" if group == "all" else self.labels[self.groups.index(group)]

    def find(self, table, variant, group, measure):
        for r in table:
            if r["variant"] == variant and r["group"] == group and r["measure"] == measure:
                return r
        return None

    def runs(self, variant, dataset):
        return self.file["runs"][variant][dataset][()]

    def year_axis(self):
        """The label of a time axis in years: calendar years, or years of the run."""
        return "year" if np.isfinite(self.start_year) else "years since the start of the simulation"


# ------------------------------------------------------------------ figures


def save(fig, outdir, name):
    path = os.path.join(outdir, name)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path, base64.b64encode(buf.getvalue()).decode("ascii")


def funnel(res, outdir):
    """Tracks entering each stage and ending in each outcome, per 100 cohort
    incidents of the group, baseline, mean over replicates."""
    entries = res.runs("baseline", "stage_entries").astype(float)  # [rep, group+1, stage]
    outcomes = res.runs("baseline", "outcome_counts").astype(float)
    meas = res.runs("baseline", "measures")
    _, measure_names = res.axis_labels("baseline", "measures")
    _, stage_names = res.axis_labels("baseline", "stage_entries")
    _, outcome_names = res.axis_labels("baseline", "outcome_counts")
    incidents = meas[:, :, measure_names.index("incidents")]  # [rep, group+1]
    n_groups = len(res.groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_stage = np.nanmean(100 * entries / incidents[:, :, None], axis=0)
        per_outcome = np.nanmean(100 * outcomes / incidents[:, :, None], axis=0)
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.5 * max(len(res.stages), len(res.outcomes)) + 2))
    h = 0.8 / n_groups
    for ax, values, names, title in (
        (axes[0], per_stage, stage_names, "Cases reaching each stage"),
        (axes[1], per_outcome, outcome_names, "Tracks ending in each outcome"),
    ):
        y = np.arange(len(names))
        for g in range(n_groups):
            ax.barh(y + (g - (n_groups - 1) / 2) * h, values[g], height=h, color=PALETTE[g % 8],
                    label=res.labels[g])
        ax.set_yticks(y)
        ax.set_yticklabels([n.replace("_", " ") for n in names])
        ax.invert_yaxis()
        ax.set_xlabel("per 100 incidents of the group (cohort, baseline)")
        ax.set_title(title)
        ax.grid(axis="x", alpha=0.3)
    axes[0].legend(loc="lower right", fontsize=8)
    fig.suptitle("Attrition: where complaints go, by victim group (baseline)")
    fig.tight_layout()
    return save(fig, outdir, "funnel.png")


def effects(res, outdir):
    """Forest plot: paired change against the baseline, with confidence intervals."""
    others = [v for v in res.variants if v != "baseline"]
    panels = [("impunity_rate", 100, "Change in impunity (percentage points)\nnegative = less impunity"),
              ("redress_rate", 100, "Change in redress (percentage points)\npositive = more redress")]
    if len(res.groups) > 1:
        panels.insert(1, ("accountability_ratio", 1,
                          "Change in the disparity ratio\n(positive = closer to parity from below)"))
    groups = [g for g in res.groups[1:]] + ["all"] if len(res.groups) > 1 else ["all"]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 2, 0.7 * len(others) + 2),
                             sharey=True)
    axes = np.atleast_1d(axes)
    y = np.arange(len(others))
    h = 0.8 / len(groups)
    for ax, (measure, scale, title) in zip(axes, panels):
        for gi, g in enumerate(groups):
            if measure == "accountability_ratio" and g == "all":
                continue
            mean, lo, hi = [], [], []
            for v in others:
                r = res.find(res.comparison, v, g, measure)
                mean.append(scale * r["diff_mean"] if r else np.nan)
                lo.append(scale * r["diff_ci_low"] if r else np.nan)
                hi.append(scale * r["diff_ci_high"] if r else np.nan)
            mean, lo, hi = map(np.array, (mean, lo, hi))
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
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9,
               bbox_to_anchor=(0.5, -0.02), frameon=False)
    fig.suptitle("Effect of each intervention and bundle against the baseline "
                 f"(mean paired difference, {percent_level(res)} confidence interval)")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return save(fig, outdir, "effects.png")


def backlog(res, outdir):
    """Mean cases waiting at each stage, month by month, one panel per variant."""
    n = len(res.variants)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.4 * rows), sharex=True, sharey=True,
                             squeeze=False)
    top = 0.0
    for i, v in enumerate(res.variants):
        ax = axes[i // cols][i % cols]
        b = res.runs(v, "backlog").astype(float)  # [rep, stage, month]
        mean = b.mean(axis=0) if b.shape[0] else np.zeros(b.shape[1:])
        years = res.origin + (np.arange(mean.shape[1]) + 0.5) / 12
        for s, name in enumerate(res.stages):
            if np.nanmax(mean[s]) > 0:
                ax.plot(years, mean[s], color=PALETTE[s % 8], label=name.replace("_", " "))
        top = max(top, float(np.nanmax(mean)) if mean.size else 0.0)
        ax.axvspan(res.origin + res.warmup, res.origin + res.warmup + res.cohort, color="grey",
                   alpha=0.12, lw=0)
        ax.set_title(v.replace("_", " "), fontsize=10)
        ax.grid(alpha=0.3)
        if i % cols == 0:
            ax.set_ylabel("cases waiting (monthly mean)")
        if i // cols == rows - 1:
            ax.set_xlabel(res.year_axis())
        if ax.lines:
            ax.legend(fontsize=7, loc="upper left")
    for j in range(n, rows * cols):
        axes[j // cols][j % cols].axis("off")
    if top == 0:
        fig.text(0.5, 0.5, "No queue formed at any stage in any variant", ha="center",
                 fontsize=12, color="dimgrey")
    fig.suptitle("Backlog: cases waiting at each stage (shaded: the measured cohort window)")
    fig.tight_layout()
    return save(fig, outdir, "backlog.png")


def by_year(res, outdir):
    """Impunity by year of arrival for every variant, mean with its
    confidence band, for the most affected group and for all victims."""
    groups = [res.mag] if res.mag else []
    groups.append("all")
    fig, axes = plt.subplots(1, len(groups), figsize=(6.5 * len(groups), 4.2), squeeze=False)
    for ax, g in zip(axes[0], groups):
        for vi, v in enumerate(res.variants):
            rows = sorted((r for r in res.summary_year if r["variant"] == v and r["group"] == g
                           and r["measure"] == "impunity_rate"), key=lambda r: r["year"])
            if not rows:
                continue
            x = np.array([r["year"] for r in rows])
            m, lo, hi = (100 * np.array([r[k] for r in rows]) for k in ("mean", "ci_low", "ci_high"))
            colour = PALETTE[vi % 8]
            ax.plot(x, m, "o-", color=colour, label=v.replace("_", " "), ms=4)
            ax.fill_between(x, lo, hi, color=colour, alpha=0.18, lw=0)
        ax.set_title(f"Impunity, {res.label(g)}", fontsize=10)
        ax.set_xlabel("year of arrival of the incidents" if np.isfinite(res.start_year)
                      else "year of arrival (years since the start of the simulation)")
        ax.set_ylabel("impunity (%)")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.suptitle("How fast: impunity of the incidents of each year, by variant "
                 f"(bands: {percent_level(res)} confidence interval of the mean)")
    fig.tight_layout()
    return save(fig, outdir, "by_year.png")


def feedback(res, outdir):
    """Each feedback loop's multiplier month by month: mean over replicates
    and its confidence band, one line per variant."""
    n = len(res.feedbacks)
    fig, axes = plt.subplots(1, n, figsize=(6.5 * n, 4.0), squeeze=False)
    t_crit = 1.96 if res.replicates < 2 else None
    for f, name in enumerate(res.feedbacks):
        ax = axes[0][f]
        for vi, v in enumerate(res.variants):
            x = res.runs(v, "feedback_multiplier")[:, f, :].astype(float)  # [rep, month]
            if x.shape[0] == 0:
                continue
            mean = x.mean(axis=0)
            se = x.std(axis=0, ddof=1) / np.sqrt(x.shape[0]) if x.shape[0] > 1 else 0 * mean
            k = t_crit or 1.96
            years = res.origin + (np.arange(x.shape[1]) + 0.5) / 12
            colour = PALETTE[vi % 8]
            ax.plot(years, mean, color=colour, label=v.replace("_", " "))
            ax.fill_between(years, mean - k * se, mean + k * se, color=colour, alpha=0.18, lw=0)
        ax.axhline(1, color="black", lw=0.8)
        ax.set_title(f"Feedback loop: {name.replace('_', ' ')}", fontsize=10)
        ax.set_xlabel(res.year_axis())
        ax.set_ylabel("multiplier (1: the scenario's figures hold)")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.suptitle("Feedback loops: the multiplier each loop applies, month by month")
    fig.tight_layout()
    return save(fig, outdir, "feedback.png")


def timing_table(res):
    out = ["<table><tr><th>Intervention or bundle</th>",
           f"<th>Change in the last arrival year (points) [{percent_level(res)} CI]</th>",
           "<th>First arrival year clear of zero</th><th>Reaches 90% of it from</th></tr>"]
    for r in res.timing:
        eff = ci({"mean": r["final_effect"], "ci_low": r["final_ci_low"],
                  "ci_high": r["final_ci_high"]}, 100, 1, True)
        clear = "not within the cohort" if np.isnan(r["first_clear_year"]) else f"{r['first_clear_year']:g}"
        y90 = "n/a" if np.isnan(r["year_90"]) else f"{r['year_90']:g}"
        out.append(f"<tr><th class=row>{html.escape(r['variant'].replace('_', ' '))}</th>"
                   f"<td>{eff}</td><td>{clear}</td><td>{y90}</td></tr>")
    out.append("</table>")
    return "".join(out)


# --------------------------------------------------------------------- HTML


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


def percent_level(res):
    """The file's confidence level as a percentage: "95%"."""
    return f"{100 * res.level:g}%"


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
                cell = ci(res.find(res.summary, variant, g, m), scale, digits, unit=unit)
            out.append(f"<td>{cell}</td>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def comparison_table(res):
    mag = res.mag or res.groups[0]
    out = ["<table><tr><th>Intervention or bundle</th><th>Annual cost</th>",
           f"<th>Impunity, {html.escape(res.label(mag))} (points)</th>",
           "<th>Impunity, all victims (points)</th>"]
    if len(res.groups) > 1:
        out.append("<th>Disparity ratio</th>")
    out.append(f"<th>Redress, {html.escape(res.label(mag))} (points)</th>"
               "<th>Cost per point of impunity removed</th></tr>")
    for v in res.variants[1:]:
        imp = res.find(res.comparison, v, mag, "impunity_rate")
        out.append(f"<tr><th class=row>{html.escape(v.replace('_', ' '))}</th>"
                   f"<td>{money(res.cost[v])}</td><td>{ci(imp, 100, 1, True)}</td>"
                   f"<td>{ci(res.find(res.comparison, v, 'all', 'impunity_rate'), 100, 1, True)}</td>")
        if len(res.groups) > 1:
            out.append(f"<td>{ci(res.find(res.comparison, v, mag, 'accountability_ratio'), 1, 3, True)}</td>")
        out.append(f"<td>{ci(res.find(res.comparison, v, mag, 'redress_rate'), 100, 1, True)}</td>")
        if imp is None or np.isnan(imp["cost_per_point"]):
            cpp = "not defined: impunity does not fall"
        elif res.cost[v] == 0:
            cpp = "0 (no annual cost given)"
        else:
            cpp = (f"{money(imp['cost_per_point'])} <span class=ci>[{money(imp['cost_per_point_low'])}, "
                   f"{money(imp['cost_per_point_high'])}]</span>")
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
    for r in sorted(res.ranking, key=lambda r: (r["impunity_rank"] or 99, r["variant"])):
        out.append(
            f"<tr><th class=row>{html.escape(r['variant'].replace('_', ' '))}</th>"
            f"<td>{money(r['annual_cost'])}</td>"
            f"<td>{ci({'mean': r['impunity_mean'], 'ci_low': r['impunity_ci_low'], 'ci_high': r['impunity_ci_high']}, 100, 1, unit='%')}</td>"
            f"<td>{r['impunity_rank'] or '&ndash;'}</td><td>{pct(r['impunity_p_best'])}</td>")
        if len(res.groups) > 1:
            out.append(
                f"<td>{ci({'mean': r['ratio_mean'], 'ci_low': r['ratio_ci_low'], 'ci_high': r['ratio_ci_high']}, 1, 3)}</td>"
                f"<td>{r['ratio_rank'] or '&ndash;'}</td><td>{pct(r['ratio_p_best'])}</td>")
        out.append("</tr>")
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


def page(res, figs):
    mag = res.mag or res.groups[0]
    p = []
    e = html.escape
    p.append(f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
             f"<title>casesim: {e(res.name)}</title><style>{CSS}</style></head><body>")
    p.append(f"<h1>{e(res.name)}</h1><p>{e(res.description)}</p>")
    p.append(f"<p class=meta>Simulated with casesim {e(res.version)}: {res.replicates} replicates "
             f"(seed {res.seed}), written {e(res.created)}. Results file: {e(os.path.basename(res.path))}.</p>")
    if res.status != "complete":
        p.append(f"<p class=note><b>This run was interrupted.</b> The figures use only the "
                 f"{res.replicates} replicates that finished.</p>")
    p.append(
        "<p class=note><b>How to read this page.</b> Each figure is the mean over the simulated "
        f"replicates, with its {percent_level(res)} confidence interval in grey brackets [low, high]. The interval "
        "shows the simulation's own randomness only: it does not include the uncertainty of the "
        "figures the scenario was built from. <b>Impunity</b> is the share of well-founded "
        "incidents (violations that really happened and were unlawful) without any "
        "accountability outcome by the end of the simulation (cases still open then count as "
        "without accountability); <b>accountability</b> is the rest; <b>redress</b> is the share "
        "with a redress outcome such as compensation; the <b>disparity ratio</b> is a group's "
        f"accountability rate divided by that of {e(res.label(res.groups[0]))} (1 = parity). "
        "Only incidents that arrived during the measured window "
        f"({res.cohort:g} years, after {res.warmup:g} years of warm-up) are counted, and their "
        f"cases are followed for {res.followup:g} more years.</p>")

    # Key findings, in words.
    best = [r for r in res.ranking if r["impunity_rank"] == 1]
    if best and len(res.variants) > 1:
        b = best[0]
        imp = res.find(res.comparison, b["variant"], mag, "impunity_rate")
        words = (f"For {e(res.label(mag))}, the group with the highest impunity at baseline, "
                 f"impunity is {pct(res.find(res.summary, 'baseline', mag, 'impunity_rate')['mean'])} "
                 f"at baseline. ")
        if b["variant"] == "baseline":
            words += "No intervention or bundle lowers it on average."
        else:
            cost = res.cost[b["variant"]]
            words += (f"The lowest impunity comes with <b>{e(b['variant'].replace('_', ' '))}</b>, "
                      f"which lowers it by {-100 * imp['diff_mean']:.1f} percentage points "
                      f"({percent_level(res)} confidence interval {-100 * imp['diff_ci_high']:.1f} to "
                      f"{-100 * imp['diff_ci_low']:.1f})"
                      + (f" for an annual cost of {money(cost)}" if cost > 0 else "")
                      + f". It comes out best in {pct(b['impunity_p_best'])} of the bootstrap "
                      "resamples (see section 3).")
        p.append(f"<h2>Key finding</h2><p>{words}</p>")

    p.append("<h2>1. The baseline, by victim group</h2>")
    p.append(f"<p class=meta>{e(res.vdesc['baseline'])}</p>" if res.vdesc["baseline"] else "")
    p.append(headline_table(res, "baseline"))
    medians = [r["mean"] for r in res.summary
               if r["measure"] == "time_to_end_median" and r["variant"] == "baseline"]
    if any(m == 0 for m in medians):
        p.append("<p class=meta>A median of 0 days: a case that is never reported ends on the day "
                 "of the incident, and when more than half of the incidents are never reported the "
                 "median time to the end of the case is 0. The mean and 90th percentile are in "
                 "the results file (time_to_end_mean, time_to_end_p90).</p>")
    if len(res.variants) > 1:
        p.append("<details><summary>The same table for every intervention and bundle</summary>")
        for v in res.variants[1:]:
            p.append(f"<h3>{e(v.replace('_', ' '))} <span class=meta>({e(res.kind[v])})</span></h3>")
            if res.vdesc[v]:
                p.append(f"<p class=meta>{e(res.vdesc[v])}</p>")
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
        p.append(f"<figure><img alt='Forest plot of effects' src='data:image/png;base64,{figs['effects']}'>"
                 "<figcaption>Each dot is the mean change against the baseline; the bar is its "
                 f"{percent_level(res)} "
                 "confidence interval. Left of the vertical line: less impunity.</figcaption></figure>")
        p.append("<h2>3. Ranking, and how sure it is</h2>")
        p.append(
            f"<p>Variants ranked for {e(res.label(mag))}: on impunity (lower is better) and on the "
            f"disparity ratio (closer to 1 is better). <b>Probability best</b> is the share of {res.resamples} "
            "bootstrap resamples of the replicates in which the variant came out best: close to "
            "100% means the ranking is clear; several variants with similar shares means the "
            "simulation cannot tell them apart.</p>")
        p.append(ranking_table(res))

    p.append("<h2>4. Where complaints go</h2>")
    p.append(f"<figure><img alt='Attrition funnel' src='data:image/png;base64,{figs['funnel']}'>"
             "<figcaption>Per 100 incidents of each group in the baseline: how many cases reach "
             "each stage (left; every incident starts at the first stage), and how many case tracks end in each outcome (right). A case that "
             "goes to several stages at once (for example an investigation and a civil claim) has "
             "one track in each.</figcaption></figure>")
    p.append("<h2>5. Backlogs over time</h2>")
    p.append(f"<figure><img alt='Backlog over time' src='data:image/png;base64,{figs['backlog']}'>"
             "<figcaption>Mean number of cases waiting for staff at each stage, month by month. "
             "Stages without a queue are not drawn. A rising line means the stage cannot keep up "
             "with the cases arriving.</figcaption></figure>")

    if figs.get("by_year"):
        p.append("<h2>6. How fast</h2>")
        p.append(
            f"<p>Impunity of the incidents that arrived in each year, for {e(res.label(mag))} and "
            "for all victims. An intervention that starts during the run acts on the cases still "
            "open when it starts, and fully on incidents that arrive once it has ramped up. The "
            "table gives, for each intervention and bundle, its change in the last arrival year, "
            "the first arrival year whose interval excludes no change, and the first arrival "
            "year from which the change stays at 90% or more of its last-year value.</p>")
        p.append(f"<figure><img alt='Impunity by year of arrival' src='data:image/png;base64,{figs['by_year']}'>"
                 "<figcaption>Mean over replicates; the band is the confidence interval of the "
                 "mean.</figcaption></figure>")
        if res.timing:
            p.append(timing_table(res))
    if figs.get("feedback"):
        p.append("<h2>7. Feedback loops</h2>")
        p.append(f"<figure><img alt='Feedback multipliers' src='data:image/png;base64,{figs['feedback']}'>"
                 "<figcaption>Each loop multiplies the odds of a probability (trust: reporting) or "
                 "an arrival rate (deterrence) by this factor, updated monthly from the "
                 "accountability the public saw over the loop's window. 1 means the scenario's "
                 "figures hold.</figcaption></figure>")

    p.append("<h2>8. Definitions</h2><dl>")
    for m, u, d in zip(res.measures, res.measure_units, res.measure_descriptions):
        p.append(f"<dt>{e(m)} <span class=meta>({e('share from 0 to 1' if u == '1' else u)})</span></dt>"
                 f"<dd>{e(d)}</dd>")
    p.append("</dl>")
    p.append(f"<details><summary>The scenario file these results come from</summary>"
             f"<pre>{e(res.source)}</pre></details>")
    p.append(f"<p class=meta>Command: <code>{e(res.command_line)}</code></p></body></html>")
    return "\n".join(p)


def write_all(res, outdir):
    """The figures and the page into outdir; returns the paths written."""
    figs = {}
    written = []
    for name, fn in (("funnel", funnel), ("effects", effects), ("backlog", backlog),
                     ("by_year", by_year), ("feedback", feedback)):
        skip = ((name == "effects" and len(res.variants) < 2)
                or (name == "by_year" and not res.summary_year)
                or (name == "feedback" and res.feedbacks in ([], ["none"])))
        if skip:
            figs[name] = ""
            continue
        path, figs[name] = fn(res, outdir)
        written.append(path)
    html_path = os.path.join(outdir, "report.html")
    with open(html_path, "w", encoding="utf-8") as fh:
        fh.write(page(res, figs))
    written.append(html_path)
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description="Figures and an HTML page from a casesim results file.")
    ap.add_argument("results", help="the results file (casesim run -o RESULTS.h5)")
    ap.add_argument("-o", "--outdir", help="directory for the figures and report.html "
                    "(default: RESULTS_figures beside the results file)")
    args = ap.parse_args(argv)
    if not os.path.exists(args.results):
        print(f"casesim_figures: {args.results}: no such file", file=sys.stderr)
        return 2
    outdir = args.outdir or os.path.splitext(args.results)[0] + "_figures"
    try:
        with Results(args.results) as res:
            os.makedirs(outdir, exist_ok=True)
            written = write_all(res, outdir)
    except NotResults as e:
        print(f"casesim_figures: {e}", file=sys.stderr)
        return 2
    for w in written:
        print(w)
    return 0


if __name__ == "__main__":
    sys.exit(main())
