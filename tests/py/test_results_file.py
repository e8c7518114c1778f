"""test_results_file.py — the results file of a small real run, read the way a
researcher reads it (h5py, pandas, h5dump), plus determinism across thread
counts, the README's example, `casesim report` and the figures tool."""

import csv
import io
import math
import os
import re
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import pandas as pd

CASESIM = os.environ["CASESIM"]
SRCDIR = os.environ["SRCDIR"]
SCENARIO = os.path.join(SRCDIR, "scenarios", "minimal.yaml")
REPLICATES = 6
# Student t quantile t(0.975, 5), from standard tables (Abramowitz & Stegun 26.10).
T_975_5 = 2.570581835636314

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(*args, **kw):
    return subprocess.run([CASESIM, *args], capture_output=True, text=True, **kw)


def text(x):
    return x.decode() if isinstance(x, bytes) else str(x)


work = tempfile.mkdtemp(prefix="casesim_py_")
a = os.path.join(work, "a.h5")
b = os.path.join(work, "b.h5")
for path, threads in ((a, "1"), (b, "2")):
    r = run("run", SCENARIO, "-o", path, "-n", str(REPLICATES), "--seed", "5", "--threads", threads,
            "--case-records", "2", "-q")
    assert r.returncode == 0, r.stderr

# ---------------------------------------------------------------- attributes
f = h5py.File(a, "r")
at = f.attrs
check(at["format"] == "casesim-results", "format attribute")
check(list(at["format_version"]) == [1, 2], "format_version is {1, 2}")
check(at["status"] == "complete", "status complete")
check(int(at["replicates"]) == REPLICATES, "replicates attribute")
check(int(at["seed"]) == 5 and int(at["first_replicate"]) == 0, "seed and first_replicate")
check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", at["created"]) is not None, "created is ISO 8601 UTC")
check("--threads 1" in at["command_line"], "command_line recorded")
check(at["casesim_version"] != "", "casesim_version")

# ---------------------------------------------------------------- name lists
with open(SCENARIO, "rb") as fh:
    check(f["scenario/source"][()] == fh.read(), "/scenario/source is the file byte for byte")
groups = list(f["scenario/groups"].asstr()[:])
stages = list(f["scenario/stages"].asstr()[:])
outcomes = list(f["scenario/outcomes"].asstr()[:])
measures = list(f["scenario/measures"].asstr()[:])
variants = list(f["scenario/variants"].asstr()[:])
check(groups == ["reference", "african_descent"], f"groups {groups}")
check(stages == ["complaint", "investigation"], f"stages {stages}")
check(variants == ["baseline", "more_investigators"], f"variants {variants}")
check(list(f["runs"]) == variants, "/runs iterates in run order")
check("accountability_rate_disciplinary" in measures, "category measure named")
check(len(f["scenario/measure_units"]) == len(measures), "one unit per measure")
check(list(f["scenario/categories"].asstr()[:]) == ["disciplinary"], "categories")

# ---------------------------------------------------------------- shapes
G1, M, S, O = len(groups) + 1, len(measures), len(stages), len(outcomes)
years = math.ceil(f["scenario"].attrs["warmup_years"] + f["scenario"].attrs["cohort_years"]
                  + f["scenario"].attrs["follow_up_years"])
for v in variants:
    g = f["runs"][v]
    check(g.attrs["kind"] == ("baseline" if v == "baseline" else "intervention"), f"{v} kind")
    shapes = {"measures": (REPLICATES, G1, M), "outcome_counts": (REPLICATES, G1, O),
              "stage_entries": (REPLICATES, G1, S), "stage_stats": (REPLICATES, S, 8),
              "backlog": (REPLICATES, S, 12 * years), "period_entries": (REPLICATES, years, S),
              "period_outcomes": (REPLICATES, years, O), "replicate_index": (REPLICATES,),
              "uncertain_values": (REPLICATES, 0), "annual_cost": (REPLICATES,)}
    for name, shape in shapes.items():
        check(g[name].shape == shape, f"{v}/{name} shape {g[name].shape} != {shape}")
    check(list(g["replicate_index"][:]) == list(range(REPLICATES)), f"{v} replicate_index")
    check(g["measures"].dtype == np.float64 and g["backlog"].dtype == np.float32
          and g["outcome_counts"].dtype == np.int64, f"{v} dtypes")
    check(g["measures"].compression == "gzip" and g["measures"].shuffle, f"{v} compressed")
    check(g["measures"].maxshape[0] is None, f"{v} extensible along replicates")
    cases = g["cases"][:]
    check(len(cases) > 0 and set(cases["replicate"]) == {0, 1}, f"{v} case records of 2 replicates")
# Every per-replicate dataset names its axes, and /scenario says where each
# axis's labels are: the labels resolved that way match the shape.
sc = f["scenario"].attrs
dim_labels = dict(zip(sc["dimension_names"], sc["dimension_labels"]))
dim_extra = dict(zip(sc["dimension_names"], sc["dimension_extra_labels"]))
for v in variants:
    g = f["runs"][v]
    for name, ds in g.items():
        if name == "cases" or ds.attrs.get("CLASS") == b"DIMENSION_SCALE":
            continue
        dims = list(ds.attrs.get("dimensions", []))
        check(len(dims) == ds.ndim and dims[0] == "replicate", f"{v}/{name} dimensions {dims}")
        for axis, dim in enumerate(dims[1:], start=1):
            where = dim_labels.get(dim, None)
            check(where is not None, f"{v}/{name}: axis {dim} unknown to /scenario")
            if where:
                n = len(f[where]) + (1 if dim_extra[dim] else 0)
                check(n == ds.shape[axis], f"{v}/{name}: {dim} labels {n} != {ds.shape[axis]}")
check(list(f["summary"].attrs["headline_measures"])[:2] == ["impunity_rate", "accountability_rate"]
      and len(f["summary"].attrs["headline_labels"]) == len(f["summary"].attrs["headline_display"]),
      "headline measures recorded on /summary")
check(f["runs/more_investigators"].attrs["annual_cost"] == 150000, "annual_cost")
check(list(f["runs/more_investigators"].attrs["interventions"]) == ["more_investigators"],
      "interventions applied")
check(len(f["runs/baseline"].attrs["interventions"]) == 0, "baseline applies nothing")

# ---------------------------------------------------------------- units
undocumented = []


def visit(name, obj):
    if isinstance(obj, h5py.Dataset) and obj.dtype.kind != "O" and not h5py.check_string_dtype(obj.dtype):
        for attr in ("units", "description"):
            if attr not in obj.attrs:
                undocumented.append(f"{name} lacks {attr}")


f.visititems(visit)
check(not undocumented, f"numeric datasets without units/description: {undocumented}")
mu = list(f["runs/baseline/measures"].attrs["units"])
check(mu[measures.index("impunity_rate")] == "1" and mu[measures.index("time_to_end_median")] == "days",
      "per-measure units on measures")

# ---------------------------------------------------------------- /summary
summary = pd.DataFrame(f["summary"][:])
for col in ("variant", "group", "measure", "units"):
    summary[col] = summary[col].str.decode("utf-8")
check(len(summary) == len(variants) * G1 * M, f"summary rows {len(summary)}")
row = summary[(summary.variant == "baseline") & (summary.group == "african_descent")
              & (summary.measure == "impunity_rate")].iloc[0]
x = f["runs/baseline/measures"][:, 1, measures.index("impunity_rate")]
x = x[~np.isnan(x)]
check(row.n == len(x), "summary n counts the defined values")
check(abs(row["mean"] - x.mean()) < 1e-12, "summary mean = numpy mean")
check(abs(row.sd - x.std(ddof=1)) < 1e-12, "summary sd = numpy sd")
if len(x) == REPLICATES:
    # A share: the Wilson score interval with effective sample size
    # n_eff = p (1 - p) / se^2 and the t quantile (analysis/README.md).
    p, se = x.mean(), x.std(ddof=1) / math.sqrt(len(x))
    n_eff = p * (1 - p) / se ** 2
    t2n = T_975_5 ** 2 / n_eff
    centre = (p + t2n / 2) / (1 + t2n)
    half = T_975_5 / (1 + t2n) * math.sqrt(se ** 2 + T_975_5 ** 2 / (4 * n_eff ** 2))
    check(abs(row.ci_low - (centre - half)) < 1e-9 and abs(row.ci_high - (centre + half)) < 1e-9,
          "summary CI of a share is the effective-size Wilson interval")
days = summary[(summary.variant == "baseline") & (summary.group == "all")
               & (summary.measure == "time_to_end_mean")].iloc[0]
y = f["runs/baseline/measures"][:, -1, measures.index("time_to_end_mean")]
y = y[~np.isnan(y)]
if len(y) == REPLICATES:
    half = T_975_5 * y.std(ddof=1) / math.sqrt(len(y))
    check(abs(days.ci_high - days["mean"] - half) < 1e-9 and abs(days["mean"] - days.ci_low - half) < 1e-9,
          "summary CI of days is the t interval")

comparison = pd.DataFrame(f["comparison"][:])
for col in ("variant", "group", "measure", "units"):
    comparison[col] = comparison[col].str.decode("utf-8")
check(set(comparison.variant) == {"more_investigators"}, "comparison has no baseline rows")
c = comparison[(comparison.group == "african_descent") & (comparison.measure == "impunity_rate")].iloc[0]
y = f["runs/more_investigators/measures"][:, 1, measures.index("impunity_rate")]
xb = f["runs/baseline/measures"][:, 1, measures.index("impunity_rate")]
check(abs(c.diff_mean - np.nanmean(y - xb)) < 1e-12, "comparison diff = mean paired difference")
if c.diff_mean < 0:
    check(abs(c.cost_per_point - 150000 / (-100 * c.diff_mean)) < 1e-6 * c.cost_per_point,
          "cost per point = annual cost / points removed")
ranking = pd.DataFrame(f["ranking"][:])
check(len(ranking) == 2 and abs(ranking.impunity_p_best.sum() - 1) < 1e-12, "ranking probabilities sum to 1")
check(f["ranking"].attrs["most_affected_group"] in ("african_descent", "reference"), "most affected group")
f.close()

# ---------------------------------------------------------------- h5dump, determinism
r = subprocess.run(["h5dump", "-H", a], capture_output=True, text=True)
check(r.returncode == 0 and "casesim-results" not in r.stderr, "h5dump -H reads the file")
for obj in ("/runs", "/summary", "/comparison", "/ranking", "/scenario"):
    r = subprocess.run(["h5diff", a, b, obj, obj], capture_output=True, text=True)
    check(r.returncode == 0, f"1 and 2 threads differ in {obj}: {r.stdout[:500]}")
with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
    for k in fa.attrs:
        if k not in ("created", "command_line"):
            check(np.array_equal(fa.attrs[k], fb.attrs[k]), f"root attribute {k} differs")

# ---------------------------------------------------------------- the README example
# Every example marked as tested (h5py, xarray, the casesim package), the
# package from the source tree.
readme = open(os.path.join(SRCDIR, "analysis", "README.md"), encoding="utf-8").read()
examples = re.findall(r"<!-- example: tested -->\s*```python\n(.*?)```", readme, re.S)
check(len(examples) >= 3, f"README has its tested examples ({len(examples)})")
env = dict(os.environ, PYTHONPATH=os.path.join(SRCDIR, "analysis", "python"),
           PYTHONDONTWRITEBYTECODE="1")
for i, example in enumerate(examples):
    check('"out/illustrative.h5"' in example, f"README example {i} reads out/illustrative.h5")
    code = example.replace('"out/illustrative.h5"', repr(a))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    check(r.returncode == 0, f"README example {i} fails: {r.stderr[-2000:]}")
    check(r.stdout.strip() != "", f"README example {i} prints nothing")

# ---------------------------------------------------------------- casesim report
r = run("report", a)
check(r.returncode == 0 and "Impunity" in r.stdout and "Probability best" in r.stdout, "text report")
r = run("report", a, "--format", "markdown")
# The decision (net benefit at a willingness to pay) comes first, then the
# outcomes, the changes and the ranking on the outcomes alone.
check(r.returncode == 0 and "| Impunity" in r.stdout and "## 1. Decision" in r.stdout
      and "## 4. Ranking" in r.stdout, "markdown report")
r = run("report", a, "--format", "csv")
rows = list(csv.DictReader(io.StringIO(r.stdout)))
check(r.returncode == 0 and len(rows) > len(variants) * G1 * M, "csv report")
imp = [x for x in rows if x["table"] == "summary" and x["variant"] == "baseline"
       and x["group"] == "african_descent" and x["measure"] == "impunity_rate"]
check(len(imp) == 1 and abs(float(imp[0]["value"]) - row["mean"]) < 1e-12, "csv carries full precision")
r = run("report", a, "--format", "pdf")
check(r.returncode == 2, "unknown report format is bad usage")
r = run("report", SCENARIO)
check(r.returncode == 2 and "not an HDF5 file" in r.stderr, f"report of a non-results file: {r.stderr}")
r = run("report", os.path.join(work, "missing.h5"))
check(r.returncode == 1, "report of a missing file")

# ---------------------------------------------------------------- figures and HTML
out = os.path.join(work, "figs")
r = subprocess.run([sys.executable, os.path.join(SRCDIR, "analysis", "casesim_figures.py"), a, "-o", out],
                   capture_output=True, text=True)
check(r.returncode == 0, f"figures tool failed: {r.stderr[-2000:]}")
for name in ("funnel.png", "effects.png", "backlog.png", "by_year.png", "relative_rates.png"):
    p = os.path.join(out, name)
    check(os.path.exists(p) and open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n", f"{name} is a PNG")
page = open(os.path.join(out, "report.html"), encoding="utf-8").read()
# Four figures of the outcomes (the funnel, the effects, the backlogs,
# impunity by year of arrival; no feedback loop: no feedback figure), three
# of the decision (acceptability, cost-effectiveness plane, EVPI; no EVPPI:
# the run drew no inputs), and the heat map of relative rates (no
# waterfall: the run is not decomposed).
check(page.count("data:image/png;base64,") == 8, "report.html embeds the eight figures")
check("Where the disparity arises" in page, "report.html has the disparity section")
check("src=\"http" not in page and "src='http" not in page, "report.html is self-contained")
check("Probability best" in page and "more investigators" in page, "report.html has the tables")

if failures:
    print(f"{len(failures)} failure(s)", file=sys.stderr)
    sys.exit(1)
print("results file: all checks passed")
