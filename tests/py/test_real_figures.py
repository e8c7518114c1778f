"""test_real_figures.py — the numbers of scenarios/real/*.yaml against the
published-figures pack copied in scenarios/real/published/.

A transcription error (a count typed wrong, x and n swapped, a figure id that
names nothing) must fail here. The citation convention it reads is described
in scenarios/real/NOTES.md ("Citation convention"); in short:

* a target's `source` starts with a checkable SPEC, then ` | ` and free text:
    FILE.yaml#id                    observed equals the figure's value
                                    (a count, {x, n}, or {value: ...});
    x = EXPR, n = EXPR              observed {x, n} computed from figures;
    value = EXPR                    observed count or observed.value;
* a fixed number whose line carries the comment `# == EXPR | text` (or
  `# ==[key] EXPR` for one key of a flow mapping on that line) must equal
  EXPR, rounded to the decimals written in the scenario;
* EXPR is arithmetic (+ - * / and parentheses) on numbers and references
  FILE.yaml#id, FILE.yaml#id.x, .n, .low or .high;
* every FILE.yaml#id written anywhere in a scenario must name a figure.

It also checks that the copy of the pack is unchanged (the checksums in
published/ABOUT.md), that every `uncertain:` entry has a source and that the
baseline value it replaces is the prior's median, and that every period
target lies inside the run. Runs under pytest (`/usr/bin/python3 -m pytest
tests/py/test_real_figures.py`) and as a plain script (as CTest runs it).

`python3 test_real_figures.py --median FAMILY k=v ...` prints a prior's
median (used when writing the scenarios).
"""

import ast
import glob
import hashlib
import math
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("SRCDIR", os.path.normpath(os.path.join(HERE, "..", "..")))
REAL = os.path.join(SRCDIR, "scenarios", "real")
PACK = os.path.join(REAL, "published")

REF_RE = re.compile(r"([a-z0-9_]+\.yaml)#([a-z0-9_]+)(?:\.(x|n|low|high)\b)?")
# libyaml's loader when the Debian package has it: the pack is 330 kB of YAML.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LINE_CHECK_RE = re.compile(r"\s#\s*==(?:\[([\w.]+)\])?\s*(.*)$")


# ---------------------------------------------------------------- the pack


def load_pack(folder=PACK):
    """{file name: {figure id: figure}} for every YAML file of the pack."""
    pack = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.yaml"))):
        with open(path, encoding="utf-8") as f:
            doc = yaml.load(f, Loader=LOADER)
        figs = {}
        for fig in doc["figures"]:
            assert fig["id"] not in figs, f"{path}: duplicate id {fig['id']}"
            figs[fig["id"]] = fig
        pack[os.path.basename(path)] = figs
    return pack


def figure_value(pack, fname, fid, part=None):
    """The number a reference stands for; raises KeyError/ValueError."""
    fig = pack[fname][fid]
    v = fig["value"]
    if part is None:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"{fname}#{fid} is not a plain number ({v!r}); use .x/.n/.low/.high")
        return v
    if not isinstance(v, dict) or part not in v:
        raise ValueError(f"{fname}#{fid} has no part .{part} (value {v!r})")
    return v[part]


# ---------------------------------------------------------------- expressions


def eval_expr(expr, pack):
    """Evaluates EXPR (numbers, references, + - * / and parentheses)."""
    refs = []

    def sub(m):
        refs.append(figure_value(pack, m.group(1), m.group(2), m.group(3)))
        return f"__r{len(refs) - 1}"

    text = REF_RE.sub(sub, expr.strip())
    tree = ast.parse(text, mode="eval")

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name) and node.id.startswith("__r"):
            return refs[int(node.id[3:])]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.BinOp):
            a, b = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.Div):
                return a / b
        raise ValueError(f"not allowed in an expression: {ast.dump(node)} (in {expr!r})")

    return ev(tree)


def decimals(x):
    """Decimals written in a number as YAML read it (repr is the shortest
    round-trip form, which is what was written for plain literals)."""
    if isinstance(x, int):
        return 0
    r = repr(float(x))
    if "e" in r or "E" in r:
        raise ValueError(f"write checked numbers in plain decimal, not {r}")
    return len(r.split(".")[1]) if "." in r and not r.endswith(".0") else 0


def same_number(written, expected):
    """True when `expected` rounded to the decimals of `written` equals it."""
    d = decimals(written)
    return abs(round(expected, d) - float(written)) <= 1e-9 * max(1.0, abs(written))


# ---------------------------------------------------------------- scenarios


def scenario_files():
    return sorted(glob.glob(os.path.join(REAL, "*.yaml")))


def read_scenario(path, text=None):
    if text is None:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    return text, yaml.load(text, Loader=LOADER)


def check_target(t, pack):
    """List of problems with one target's observed value against its SPEC."""
    name = t.get("name", "?")
    src = t.get("source")
    if not isinstance(src, str) or not src.strip():
        return [f"target {name}: no source"]
    spec = src.split(" | ", 1)[0].strip()
    obs = t.get("observed")
    out = []
    try:
        if re.fullmatch(r"[a-z0-9_]+\.yaml#[a-z0-9_]+", spec):
            f, i = spec.split("#")
            v = pack[f][i]["value"]
            if isinstance(v, dict) and set(v) == {"x", "n"}:
                if not (isinstance(obs, dict) and obs.get("x") == v["x"] and obs.get("n") == v["n"]):
                    out.append(f"target {name}: observed {obs!r}, pack {spec} has {v!r}")
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                got = obs.get("value") if isinstance(obs, dict) else obs
                if not (isinstance(got, (int, float)) and same_number(got, v)):
                    out.append(f"target {name}: observed {got!r}, pack {spec} has {v!r}")
            else:
                out.append(f"target {name}: {spec} is not a number or {{x, n}} ({v!r}); use an EXPR spec")
        elif spec.startswith("x ="):
            m = re.fullmatch(r"x\s*=\s*(.+?)\s*,\s*n\s*=\s*(.+)", spec)
            if not m:
                return [f"target {name}: cannot read spec {spec!r}"]
            ex, en = eval_expr(m.group(1), pack), eval_expr(m.group(2), pack)
            if not (isinstance(obs, dict) and same_number(obs.get("x"), ex) and same_number(obs.get("n"), en)):
                out.append(f"target {name}: observed {obs!r}, spec gives x={ex}, n={en}")
        elif spec.startswith("value ="):
            e = eval_expr(spec[len("value =") :], pack)
            got = obs.get("value") if isinstance(obs, dict) else obs
            if not (isinstance(got, (int, float)) and same_number(got, e)):
                out.append(f"target {name}: observed {got!r}, spec gives {e}")
        else:
            out.append(f"target {name}: source does not start with a checkable spec: {spec!r}")
    except (KeyError, ValueError, SyntaxError, ZeroDivisionError) as err:
        out.append(f"target {name}: {err!r}")
    return out


def line_value(line, key):
    """The YAML value written on one line (after `key:` or `- `), or the
    sub-value named by `key` (dotted) inside a flow mapping on the line."""
    body = LINE_CHECK_RE.sub("", line).rstrip()
    body = re.sub(r"^\s*-\s+", "", body)
    m = re.match(r"^\s*([\w.\[\]\"']+)\s*:\s*(.+)$", body)
    val = yaml.safe_load(m.group(2) if m else body)
    if key:
        for k in key.split("."):
            val = val[int(k)] if isinstance(val, list) else val[k]
    return val


def check_lines(text, pack, where):
    """Problems with every `# ==` line of one scenario text."""
    out = []
    for no, line in enumerate(text.splitlines(), 1):
        m = LINE_CHECK_RE.search(line)
        if not m or line.lstrip().startswith("#"):
            continue
        expr = m.group(2).split(" | ", 1)[0]
        try:
            got = line_value(line, m.group(1))
            exp = eval_expr(expr, pack)
            if not (isinstance(got, (int, float)) and same_number(got, exp)):
                out.append(f"{where}:{no}: value {got!r} but `{expr.strip()}` gives {exp!r}")
        except Exception as err:  # noqa: BLE001 - every failure is a finding
            out.append(f"{where}:{no}: cannot check: {err!r}")
    return out


def check_refs(text, pack, where):
    out = []
    for no, line in enumerate(text.splitlines(), 1):
        for m in REF_RE.finditer(line):
            f, i = m.group(1), m.group(2)
            if f not in pack or i not in pack[f]:
                out.append(f"{where}:{no}: {f}#{i} names no figure of the pack")
    return out


# ---------------------------------------------------------------- priors


def _betacf(a, b, x):
    """Continued fraction of the incomplete beta (modified Lentz)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        dl = d * c
        h *= dl
        if abs(dl - 1.0) < 1e-15:
            return h
    raise ArithmeticError("incomplete beta did not converge")


def beta_cdf(x, a, b):
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    lbt = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1) / (a + b + 2):
        return math.exp(lbt) * _betacf(a, b, x) / a
    return 1.0 - math.exp(lbt) * _betacf(b, a, 1 - x) / b


def beta_params(p):
    if "alpha" in p:
        return p["alpha"], p["beta"]
    m, s = p["mean"], p["sd"]
    k = m * (1 - m) / (s * s) - 1
    if k <= 0:
        raise ValueError(f"beta with mean {m} and sd {s} does not exist")
    return m * k, (1 - m) * k


def prior_median(entry):
    """Median of one `uncertain:` entry (its mean for a Dirichlet: a list)."""
    for fam in ("beta", "lognormal", "uniform", "triangular", "normal", "dirichlet"):
        if fam in entry:
            p = entry[fam]
            break
    else:
        raise ValueError(f"no supported family in {entry!r}")
    if "truncate" in entry:
        raise ValueError("truncate: median not computed by this checker")
    if fam == "beta":
        a, b = beta_params(p)
        lo, hi = 0.0, 1.0
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if beta_cdf(mid, a, b) < 0.5 else (lo, mid)
        return 0.5 * (lo + hi)
    if fam == "lognormal":
        if "median" in p:
            return p["median"]
        return p["mean"] / math.sqrt(1 + (p["sd"] / p["mean"]) ** 2)
    if fam == "uniform":
        return 0.5 * (p["min"] + p["max"])
    if fam == "normal":
        return p["mean"]
    if fam == "triangular":
        a, c, b = p["min"], p["mode"], p["max"]
        if c >= (a + b) / 2:
            return a + math.sqrt((b - a) * (c - a) / 2)
        return b - math.sqrt((b - a) * (b - c) / 2)
    tot = sum(p["counts"])
    return [c / tot for c in p["counts"]]


def resolve(doc, path):
    """The value at a casesim path (names pick list elements; [i] indexes;
    `p.GROUP` on a single number is that number)."""
    cur = doc
    for seg in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if seg.startswith("["):
            cur = cur[int(seg[1:-1])]
        elif isinstance(cur, list):
            hits = [e for e in cur if isinstance(e, dict) and e.get("name") == seg]
            if len(hits) != 1:
                raise KeyError(f"{path}: no single element named {seg}")
            cur = hits[0]
        elif isinstance(cur, dict):
            if seg in cur:
                cur = cur[seg]
            elif isinstance(seg, str) and seg.isdigit() and int(seg) in cur:
                cur = cur[int(seg)]
            else:
                raise KeyError(f"{path}: no key {seg}")
        elif isinstance(cur, (int, float)):
            return cur  # a single number stands for every group / kind
        else:
            raise KeyError(f"{path}: cannot go into {cur!r}")
    return cur


def check_priors(doc, where):
    out = []
    for i, e in enumerate(doc.get("uncertain") or []):
        label = e.get("name", f"uncertain[{i}]")
        if not e.get("source"):
            out.append(f"{where}: {label}: no source")
        try:
            med = prior_median(e)
            paths = e["paths"] if "paths" in e else [e["path"]]
            # a Dirichlet gives one mean per path; a `shared` draw one median for all
            meds = med if isinstance(med, list) else [med] * (len(paths) if e.get("shared") else 1)
            if len(meds) != len(paths):
                out.append(f"{where}: {label}: {len(paths)} paths, {len(meds)} counts")
                continue
            for path, m in zip(paths, meds):
                v = resolve(doc, path)
                if not (isinstance(v, (int, float)) and same_number(v, m)):
                    out.append(f"{where}: {label}: baseline {path} = {v!r}, prior median {m:.6g}")
        except (KeyError, ValueError, IndexError, ArithmeticError) as err:
            out.append(f"{where}: {label}: {err!r}")
    return out


def check_correlations(doc, where):
    """Correlations name pairs of `uncertain:` entries by index."""
    out = []
    n = len(doc.get("uncertain") or [])
    for c in doc.get("correlations") or []:
        i, j = c["between"]
        if not (0 <= i < n and 0 <= j < n and i != j and -1 < c["rho"] < 1):
            out.append(f"{where}: correlation {c!r} does not name two of the {n} uncertain inputs")
    return out


def run_years(doc):
    t = doc["time"]
    y0 = t["start_year"]
    total = t["warmup_years"] + t["cohort_years"] + t["follow_up_years"]
    return y0, y0 + total - 1


def check_periods(doc, where):
    out = []
    first, last = run_years(doc)
    for t in doc.get("targets") or []:
        per = t.get("period")
        if per is None:
            if "cohort_share" not in t and "mean_duration" not in t:
                out.append(f"{where}: target {t.get('name')}: no period")
            continue
        years = per if isinstance(per, list) else [per]
        for y in years:
            if not (isinstance(y, int) and first <= y <= last):
                out.append(f"{where}: target {t.get('name')}: period {per!r} outside the run {first}-{last}")
    return out


def problems(path, text=None, pack=None):
    """Every problem found in one scenario (empty list: all good)."""
    pack = pack if pack is not None else load_pack()
    where = os.path.relpath(path, SRCDIR)
    try:
        text, doc = read_scenario(path, text)
    except yaml.YAMLError as err:
        return [f"{where}: not well-formed YAML: {err}"]
    out = []
    targets = doc.get("targets") or []
    if not targets:
        out.append(f"{where}: no targets")
    names = [t.get("name") for t in targets]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        out.append(f"{where}: duplicate target names {sorted(dup)}")
    for t in targets:
        out += [f"{where}: {p}" for p in check_target(t, pack)]
    out += check_lines(text, pack, where)
    out += check_refs(text, pack, where)
    out += check_priors(doc, where)
    out += check_periods(doc, where)
    out += check_correlations(doc, where)
    out += check_structure(doc, where)
    return out


# ---------------------------------------------------------------- structure


def _as_list(x):
    return x if isinstance(x, list) else [x]


def check_structure(doc, where):
    """The current format's network rules, until casesim itself can read the
    planned keys: one entry stage; every `to` names a stage or outcome;
    every stage and outcome reachable; per kind, exactly one reference
    branch and sum p < 1; violation shares sum to 1; every intervention path
    names a number."""
    out = []
    stages = {st["name"]: st for st in doc["stages"]}
    outcomes = set(doc["outcomes"])
    kinds = [v["name"] for v in doc["violations"]]
    total = sum(v["share"] for v in doc["violations"])
    if abs(total - 1) > 1e-9:
        out.append(f"{where}: violation shares sum to {total!r}")
    entries = [n for n, st in stages.items() if st.get("entry")]
    if len(entries) != 1:
        out.append(f"{where}: {len(entries)} entry stages")
    reached = set(entries)
    for name, st in stages.items():
        for k in kinds:
            open_ = [b for b in st["branches"] if k in b.get("kinds", kinds)]
            refs = [b for b in open_ if "p" not in b]
            if len(refs) != 1:
                out.append(f"{where}: stage {name}: kind {k} has {len(refs)} reference branches")
            ps = [b["p"] for b in open_ if "p" in b]
            sp = sum(p[k] if isinstance(p, dict) and k in p else p for p in ps if not isinstance(p, dict) or k in p)
            if sp >= 1:
                out.append(f"{where}: stage {name}: kind {k}: sum of p = {sp}")
        for b in st["branches"]:
            for t in _as_list(b["to"]):
                if t not in stages and t not in outcomes:
                    out.append(f"{where}: stage {name}: `to: {t}` names nothing")
                reached.add(t)
    for n in list(stages) + list(outcomes):
        if n not in reached:
            out.append(f"{where}: {n} is never reached")
    for iv in doc.get("interventions") or []:
        for ch in iv["changes"]:
            try:
                v = resolve(doc, ch["path"])
                if not isinstance(v, (int, float, dict)):
                    out.append(f"{where}: {iv['name']}: {ch['path']} is not a number")
            except (KeyError, IndexError) as err:
                out.append(f"{where}: {iv['name']}: {err}")
    return out


# ---------------------------------------------------------------- tests

EXPECTED = [
    "brazil_rio.yaml",
    "england_wales.yaml",
    "kenya.yaml",
    "new_york_ccrb.yaml",
    "south_africa.yaml",
    "usa_fatal_force.yaml",
]


def test_pack_copy_unchanged():
    with open(os.path.join(PACK, "ABOUT.md"), encoding="utf-8") as f:
        about = f.read()
    sums = dict((n, h) for h, n in re.findall(r"^([0-9a-f]{64})  (\S+)$", about, re.M))
    assert "README.md" in sums and len(sums) >= 12, "ABOUT.md lists no checksums"
    on_disk = sorted(os.path.basename(p) for p in glob.glob(os.path.join(PACK, "*")) if not p.endswith("ABOUT.md"))
    assert on_disk == sorted(sums), f"files {on_disk} differ from ABOUT.md {sorted(sums)}"
    for name, h in sums.items():
        with open(os.path.join(PACK, name), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == h, f"{name} differs from the copied pack"
    load_pack()  # every file loads, ids unique


def test_every_jurisdiction_present():
    got = sorted(os.path.basename(p) for p in scenario_files())
    for name in EXPECTED:
        assert name in got, f"missing scenarios/real/{name}"


def test_scenarios_match_pack():
    pack = load_pack()
    found = []
    for path in scenario_files():
        found += problems(path, pack=pack)
    assert not found, "\n".join(found)


def test_every_target_is_checked():
    """A target whose observed value the spec does not cover cannot slip by."""
    pack = load_pack()
    for path in scenario_files():
        _, doc = read_scenario(path)
        for t in doc["targets"]:
            assert not check_target(t, pack), check_target(t, pack)
            spec = t["source"].split(" | ", 1)[0]
            assert REF_RE.search(spec), f"{path}: target {t['name']} cites no figure"


# The targets once left out as fallbacks (NOTES.md, "Status of the syntax as
# built") and now in the format: file, target name, the key that needed it.
RESTORED = [
    ("south_africa.yaml", "deaths_2021", "kind"),  # S11
    ("england_wales.yaml", "local_investigation_days_2022", "mean_duration"),  # S15
    ("usa_fatal_force.yaml", "black_killed_2017_2019", "group"),  # S12, as a group's count
]


def test_fallbacks_restored():
    """S11, S12 and S15 are targets again, nothing cites them as a fallback,
    and the one fallback left (S7) and S13 (not in the format, by design)
    are stated where they apply."""
    docs = {os.path.basename(p): read_scenario(p) for p in scenario_files()}
    for name, target, key in RESTORED:
        got = [t for t in docs[name][1]["targets"] if t["name"] == target]
        assert got and key in got[0], f"{name}: target {target} with `{key}` is missing"
    texts = "".join(text for text, _ in docs.values())
    for s in ("FALLBACK S11", "FALLBACK S12", "FALLBACK S13", "FALLBACK S15"):
        assert s not in texts, f"a scenario still says {s!r}"
    live = [ln for ln in texts.splitlines() if not ln.lstrip().startswith("#")]
    assert not [ln for ln in live if "same_tracks" in ln], "same_tracks outside a comment"
    assert "FALLBACK S7" in docs["england_wales.yaml"][0], "S7's fallback is not stated"
    assert "NOT IN THE FORMAT, BY DESIGN (S13)" in docs["south_africa.yaml"][0]


def _mutants(text):
    """Altered copies of a scenario text: the first observed count + 1, the
    first x + 1, and the first checked fixed number + 1."""
    out = []
    m = re.search(r"(\n\s+observed:\s*)(\d+)(\s)", text)
    if m:
        out.append(("observed count + 1", text[: m.start(2)] + str(int(m.group(2)) + 1) + text[m.end(2) :]))
    m = re.search(r"(\n[ \t]+observed:\s*\{x:\s*)(\d+)", text)  # not in a comment
    if m:
        out.append(("observed x + 1", text[: m.start(2)] + str(int(m.group(2)) + 1) + text[m.end(2) :]))
    for line in text.splitlines(True):
        lm = LINE_CHECK_RE.search(line)
        if lm and not lm.group(1) and not line.lstrip().startswith("#"):
            nm = re.search(r":\s*(\d+(?:\.\d+)?)\s", line)
            if nm:
                v = nm.group(1)
                new = line[: nm.start(1)] + str(int(v) + 1 if "." not in v else float(v) + 1) + line[nm.end(1) :]
                out.append(("checked fixed number + 1", text.replace(line, new, 1)))
                break
    return out


def test_checker_catches_alterations():
    """The checker must fail on a deliberately altered value (mutation test)."""
    pack = load_pack()
    tried = 0
    for path in scenario_files():
        text, _ = read_scenario(path)
        for what, mutant in _mutants(text):
            tried += 1
            assert problems(path, mutant, pack), f"{path}: {what} went unnoticed"
    assert tried >= 6, f"only {tried} mutants: the scenarios lost their checked values"


def _main(argv):
    if len(argv) > 1 and argv[1] == "--median":
        fam = argv[2]
        params = {k: float(v) for k, v in (a.split("=") for a in argv[3:])}
        print(prior_median({fam: params}))
        return 0
    if len(argv) > 1 and argv[1] == "--check":
        found = []
        for path in argv[2:]:
            found += problems(os.path.abspath(path))
        print("\n".join(found) if found else "no problems")
        return 1 if found else 0
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_") and callable(f)]
    passed = failed = 0
    for n, f in tests:
        try:
            f()
            passed += 1
        except AssertionError as err:
            failed += 1
            print(f"FAIL {n}: {err}", file=sys.stderr)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
