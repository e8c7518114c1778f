"""test_ci_coverage.py — the 95% confidence intervals of /summary cover the
true value about 95% of the time.

The scenario has no staff, no deadlines and one decision: every incident is
decided at once, and a case ends in `disciplined` (accountability) with
probability exactly 0.3, whatever its group, kind or evidence (no odds ratios,
no evidence slope). So the accountability rate of a replicate is a binomial
proportion X/N over its N well-founded incidents, and E[X/N | N > 0] = 0.3
exactly. Each of K = 200 runs (seeds 1..200) has R = 4 replicates and gives
one t interval (t(0.975, 3) = 3.18) for the mean rate.

If the intervals are right, the number that cover 0.3 is Binomial(K, 0.95):
the coverage proportion has standard error sqrt(0.95 * 0.05 / K) = 0.0154,
and we accept [0.95 - 3 SE, 0.95 + 3 SE] = [0.904, 0.996] (a correct
implementation falls outside with probability below 0.3%, and the seeds are
fixed, so the outcome is reproducible). The test has power: normal quantiles
(1.96) instead of t quantiles with 3 degrees of freedom would cover only
P(|T_3| < 1.96) = 0.855, and intervals half as wide about 0.60.
"""

import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import h5py

CASESIM = os.environ["CASESIM"]
K, R, P = 200, 4, 0.3

SCENARIO = f"""casesim: 1
name: coverage
time: {{warmup_years: 0, cohort_years: 1, follow_up_years: 0.1}}
run: {{replicates: {R}, seed: 1}}
groups:
  - name: reference
    incidents_per_year: 1000
  - name: other
    incidents_per_year: 1000
violations:
  - name: force
    share: {{reference: 1.0, other: 1.0}}
    well_founded: 0.5
stages:
  - name: decision
    entry: true
    branches:
      - to: disciplined
        p: {P}
      - to: dismissed
outcomes:
  disciplined: {{accountability: disciplinary}}
  dismissed: {{}}
"""

work = tempfile.mkdtemp(prefix="casesim_cov_")
scenario = os.path.join(work, "coverage.yaml")
with open(scenario, "w") as fh:
    fh.write(SCENARIO)


def one(seed):
    out = os.path.join(work, f"s{seed}.h5")
    r = subprocess.run([CASESIM, "run", scenario, "-o", out, "--seed", str(seed), "--threads", "1", "-q"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    with h5py.File(out, "r") as f:
        rows = f["summary"][:]
    os.remove(out)
    covered = 0
    for row in rows:
        if row["variant"] == b"baseline" and row["group"] == b"reference" and row["measure"] == b"accountability_rate":
            assert row["n"] == R
            covered = int(row["ci_low"] <= P <= row["ci_high"])
    return covered


with ThreadPoolExecutor(max_workers=2) as pool:
    hits = sum(pool.map(one, range(1, K + 1)))
coverage = hits / K
print(f"coverage of the 95% intervals: {hits}/{K} = {coverage:.3f}")
if not 0.904 <= coverage <= 0.996:
    print(f"FAIL: coverage {coverage:.3f} outside [0.904, 0.996]", file=sys.stderr)
    sys.exit(1)
