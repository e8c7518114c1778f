"""Figures and the HTML page of a calibration file (`casesim calibrate -o
CAL.h5`; layout in analysis/README.md, "Calibration files"):

- observed against predicted year by year: for each series of targets that
  differ only in their calendar year (the file's `series` column), the
  published figure as points and the posterior predictive mean with its 95%
  band per year (held-out years as open points);
- every other target (cohorts, several years together, ratios) as the
  observed figure against its 95% predictive interval, relative to the
  predictive mean;
- prior against posterior per input: the 95% intervals and medians as bars,
  on a scale where the prior's 95% interval runs from 0 to 1 (inputs have
  different units), the values written beside them.

    python -m casesim.figures CAL.h5 [-o OUTDIR]

writes these PNGs and report.html into OUTDIR. Parts added in format 1.2
(`series`, a point fit's attributes) are optional: files without them get
the figures that do not need them.
"""

import html
import os

import h5py
import numpy as np

from .base import PALETTE, plt, save

FORMAT = "casesim-calibration"


def is_calibration(path):
    """Whether path is a calibration file (its `format` attribute)."""
    try:
        with h5py.File(path, "r") as f:
            return _text(f.attrs.get("format", "")) == FORMAT
    except OSError:
        return False


def _text(x):
    return x.decode() if isinstance(x, bytes) else str(x)


def _strings(g, name):
    if name not in g:
        return None
    return [_text(x) for x in g[name][()]]


class Calibration:
    """What the figures and the page read of a calibration file."""

    def __init__(self, path):
        self.path = path
        with h5py.File(path, "r") as f:
            cal = f["calibration"]
            self.attrs = {k: (_text(v) if isinstance(v, (bytes, str)) else v)
                          for k, v in cal.attrs.items()}
            self.root = {k: (_text(v) if isinstance(v, (bytes, str)) else v)
                         for k, v in f.attrs.items()}
            self.scenario = _text(f["scenario"].attrs.get("name", ""))
            self.point = self.attrs.get("method") == "optimize"
            self.inputs = self._table(cal, "inputs")
            self.fitted = self._table(cal, "fitted")
            self.held_out = self._table(cal, "held_out")
            self.findings = _strings(cal, "findings") or []

    @staticmethod
    def _table(cal, name):
        if name not in cal:
            return {}
        g = cal[name]
        return {k: (_strings(g, k) if g[k].dtype.kind in "OSU" else g[k][()]) for k in g}

    def targets(self):
        """Every target as a dict, fitted first, with `held_out` set (the
        same dicts on every call)."""
        if getattr(self, "_rows", None) is not None:
            return self._rows
        rows = []
        for table, held in ((self.fitted, False), (self.held_out, True)):
            for i in range(len(table.get("name", []))):
                r = {k: v[i] for k, v in table.items()}
                r["held_out"] = held
                rows.append(r)
        self._rows = rows
        return rows


def _year(period):
    """The calendar year of a one-year period ("2020"), else None."""
    return int(period) if period.isdigit() else None


def year_series(cal):
    """{series: [target rows by year]} for the series of two years or more
    (targets that measure the same thing in different single years)."""
    out = {}
    for r in cal.targets():
        if "series" in r and _year(r["period"]) is not None:
            out.setdefault(r["series"], []).append(r)
    return {k: sorted(v, key=lambda r: _year(r["period"])) for k, v in out.items()
            if len(v) >= 2}


def other_targets(cal):
    """The targets that are not in a yearly series."""
    yearly = {id(r) for rows in year_series(cal).values() for r in rows}
    return [r for r in cal.targets() if id(r) not in yearly]


def _scale(r):
    """Shares are shown as percentages."""
    return 100.0 if r["kind"] in ("share", "cohort_share") else 1.0


def draw_by_year(cal):
    series = year_series(cal)
    n = len(series)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.4 * rows), squeeze=False)
    for ax, (name, rs) in zip(axes.flat, series.items()):
        k = _scale(rs[0])
        yr = np.array([_year(r["period"]) for r in rs])
        mean = np.array([r["predictive_mean"] for r in rs]) * k
        lo = np.array([r["lower"] for r in rs]) * k
        hi = np.array([r["upper"] for r in rs]) * k
        obs = np.array([r["observed"] for r in rs]) * k
        held = np.array([r["held_out"] for r in rs])
        ax.fill_between(yr, lo, hi, color=PALETTE[0], alpha=0.25, lw=0,
                        label="95% predictive interval")
        ax.plot(yr, mean, "-", color=PALETTE[0], lw=1.5, label="predictive mean")
        ax.plot(yr[~held], obs[~held], "o", color="black", label="published (fitted)")
        if held.any():
            ax.plot(yr[held], obs[held], "o", mfc="white", mec="black",
                    label="published (held out)")
        ax.set_title(name.replace("_", " "), fontsize=9)
        ax.set_xticks(yr)
        ax.set_ylabel("%" if k == 100 else "count (published units)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def draw_targets(cal):
    rs = other_targets(cal)
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(rs) + 1.4))
    y = np.arange(len(rs))
    for i, r in enumerate(rs):
        m = r["predictive_mean"]
        if not np.isfinite(m) or m == 0:
            continue
        colour = PALETTE[1] if r["held_out"] else PALETTE[0]
        ax.plot([r["lower"] / m, r["upper"] / m], [i, i], "-", color=colour, lw=5, alpha=0.5)
        ax.plot([1], [i], "|", color=colour, ms=14)
        ax.plot([r["observed"] / m], [i], "o", color="black",
                mfc="white" if r["held_out"] else "black")
    ax.set_yticks(y, [f"{r['name']} ({r['period']}){' (held out)' if r['held_out'] else ''}"
                      for r in rs])
    ax.invert_yaxis()
    ax.axvline(1, color="grey", lw=0.8)
    ax.set_xlabel("published figure relative to the predictive mean\n"
                  "(bar: 95% predictive interval; dot: published)")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def draw_inputs(cal):
    t = cal.inputs
    names = t["name"]
    fig, ax = plt.subplots(figsize=(8.5, 0.7 * len(names) + 1.4))
    for i, name in enumerate(names):
        lo, hi = t["prior_lower"][i], t["prior_upper"][i]
        w = hi - lo if hi > lo else 1.0

        def at(v):
            return (v - lo) / w
        ax.plot([0, 1], [i - 0.15, i - 0.15], "-", color=PALETTE[1], lw=6, alpha=0.6,
                label="prior 95%" if i == 0 else None)
        ax.plot([at(t["prior_median"][i])], [i - 0.15], "|", color="black", ms=12)
        plo, pmed, phi = (t["posterior_lower"][i], t["posterior_median"][i],
                          t["posterior_upper"][i])
        ax.plot([at(plo), at(phi)], [i + 0.15, i + 0.15], "-", color=PALETTE[0], lw=6,
                label=("the point fit" if cal.point else "posterior 95%") if i == 0 else None)
        ax.plot([at(pmed)], [i + 0.15], "o" if cal.point else "|", color="black",
                ms=5 if cal.point else 12)
        ax.text(1.04, i, f"prior {t['prior_median'][i]:.3g} [{lo:.3g}, {hi:.3g}]\n"
                f"{'fit' if cal.point else 'posterior'} {pmed:.3g} [{plo:.3g}, {phi:.3g}]",
                va="center", fontsize=7)
    ax.set_yticks(np.arange(len(names)), [n.replace("_", " ") for n in names])
    ax.invert_yaxis()
    ax.set_xlim(-0.1, 1.65)
    ax.set_xlabel("each input on its prior's 95% interval (0 = 2.5%, 1 = 97.5%)")
    ax.grid(axis="x", alpha=0.3)
    # above the axes: inside, it would cover the values written on the right
    ax.legend(fontsize=7, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


FIGURES = [
    ("calibration_by_year", "Published figures against the calibrated model, year by year",
     "Points: the published figure of each year (open: held out, not fitted). Line and band: "
     "the posterior predictive mean and 95% interval, what the publication would show if the "
     "calibrated model were the real system (simulation and observation noise included).",
     draw_by_year, lambda c: bool(year_series(c))),
    ("calibration_targets", "Other targets: published against predicted",
     "Each target not part of a yearly series, relative to its posterior predictive mean: the "
     "bar is the 95% predictive interval, the dot the published figure (open: held out).",
     draw_targets, lambda c: bool(other_targets(c))),
    ("calibration_inputs", "What the targets taught: prior against posterior per input",
     "Each input's prior (orange) and posterior (blue) 95% interval and median, drawn on its "
     "prior's 95% interval so that inputs in different units can be compared; the values are "
     "written on the right. A posterior as wide as its prior: the targets say little about it.",
     draw_inputs, lambda c: bool(c.inputs)),
]


def _table_html(rows, cols):
    e = html.escape
    out = ["<table><tr>" + "".join(f"<th>{e(c)}</th>" for c, _ in cols) + "</tr>"]
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{e(f(r))}</td>" for _, f in cols) + "</tr>")
    return "".join(out) + "</table>"


def _num(x):
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.4g}"


def page(cal, drawn):
    e = html.escape
    p = [f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>casesim calibration: "
         f"{e(cal.scenario)}</title><style>{_css()}</style></head><body>",
         f"<h1>Calibration of {e(cal.scenario)}</h1>",
         f"<p class=meta>Calibration file {e(os.path.basename(cal.path))}, written "
         f"{e(str(cal.root.get('created', '')))} by casesim "
         f"{e(str(cal.root.get('casesim_version', '')))}; {e(str(cal.root.get('status', '')))}; "
         f"seed {cal.root.get('seed')}, {cal.root.get('scale')} replicates per evaluation.</p>",
         f"<p>{e(str(cal.attrs.get('message', '')))}</p>"]
    if cal.point:
        p.append("<p class=note><b>A point fit has no posterior uncertainty.</b> The 'posterior' "
                 "is the optimum alone; its intervals have no width, and the predictive "
                 "intervals are the observation model's at the optimum only. Log-likelihood at "
                 f"the optimum: {_num(cal.attrs.get('loglik_fit_seeds'))} on the fit's seeds, "
                 f"{_num(cal.attrs.get('loglik_fresh_seeds'))} on fresh seeds.</p>")
    else:
        p.append(f"<p class=meta>Incremental mixture importance sampling: "
                 f"{cal.attrs.get('evaluations')} evaluations, effective sample size "
                 f"{_num(cal.attrs.get('ess'))}.</p>")
    if cal.findings:
        p.append("<h2>What the targets can tell apart</h2><ul>"
                 + "".join(f"<li>{e(x)}</li>" for x in cal.findings) + "</ul>")
    for name, fig in drawn.items():
        if name == "calibration_inputs":
            p.append("<h2>Inputs</h2>")
        elif name == "calibration_by_year":
            p.append("<h2>Targets</h2>")
        _, title, caption, png = fig
        p.append(f"<figure><img alt='{e(title)}' src='data:image/png;base64,{png}'>"
                 f"<figcaption><b>{e(title)}.</b> {e(caption)}</figcaption></figure>")
    t = cal.inputs
    if t:
        rows = [{k: v[i] for k, v in t.items()} for i in range(len(t["name"]))]
        p.append("<h3>Inputs: prior and posterior</h3>" + _table_html(rows, [
            ("input", lambda r: r["name"]),
            ("prior median [95%]", lambda r: f"{_num(r['prior_median'])} "
             f"[{_num(r['prior_lower'])}, {_num(r['prior_upper'])}]"),
            ("posterior median [95%]", lambda r: f"{_num(r['posterior_median'])} "
             f"[{_num(r['posterior_lower'])}, {_num(r['posterior_upper'])}]"),
            ("shrinkage", lambda r: "n/a" if not np.isfinite(r["shrinkage"])
             else f"{100 * r['shrinkage']:.0f}%")]))
    for title, held in (("Fitted targets", False), ("Held-out targets (not fitted)", True)):
        rows = [r for r in cal.targets() if r["held_out"] == held]
        p.append(f"<h3>{title}</h3>" + ("<p>(none)</p>" if not rows else _table_html(rows, [
            ("target", lambda r: r["name"]), ("kind", lambda r: r["kind"]),
            ("period", lambda r: r["period"]), ("observed", lambda r: _num(r["observed"])),
            ("predicted [95%]", lambda r: f"{_num(r['predictive_mean'])} "
             f"[{_num(r['lower'])}, {_num(r['upper'])}]"),
            ("z", lambda r: _num(r["z"])), ("PIT", lambda r: _num(r["pit"])),
            ("source", lambda r: r["source"])])))
    p.append("</body></html>")
    return "\n".join(p)


def _css():
    from .page import CSS
    return CSS


def write_all(path, outdir):
    """Draws the calibration figures that apply into outdir, then
    report.html; returns the paths written."""
    cal = Calibration(path)
    drawn, written = {}, []
    for name, title, caption, draw, applies in FIGURES:
        if not applies(cal):
            continue
        out, png = save(draw(cal), outdir, name)
        drawn[name] = (name, title, caption, png)
        written.append(out)
    html_path = os.path.join(outdir, "report.html")
    with open(html_path, "w", encoding="utf-8") as fh:
        fh.write(page(cal, drawn))
    written.append(html_path)
    return written
