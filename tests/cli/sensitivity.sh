# sensitivity.sh — `casesim sensitivity` from the command line:
#  - bad input (no uncertain: section, an unknown --measure or --group, a
#    sample size that is not a power of two, more Sobol dimensions than GSL
#    has without groups): exit 2, a message saying what to do, no file;
#  - the same file, bit for bit, on 1 and 2 threads;
#  - a study stopped by SIGTERM keeps its finished runs in a file marked
#    incomplete, and --resume then gives the uninterrupted study's file;
#  - the file's /sensitivity (design, outputs, indices, noise, one-way
#    values; every array naming its axes);
#  - `casesim report` reads the indices out in words, first; Morris too;
#  - every dataset has its checksum and scales (format 1.2), the Python
#    package verifies the file, and the figures are drawn.
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"

. "$SRCDIR/tests/cli/lib.sh"
sens="$SRCDIR/tests/data/valid/sensitivity.yaml"
cd "$work" || exit 1

expect_exit 0 "help" -- "$CASESIM" sensitivity --help
grep -q -- "--samples" stdout || fail "help does not list --samples"

# 1. Bad input: exit 2, a message, nothing written.
sed '/^uncertain:/,$d' "$sens" >plain.yaml
# refused DESCRIPTION MESSAGE -- ARGS...
refused() {
    local what=$1 msg=$2
    shift 3
    expect_exit 2 "$what" -- "$CASESIM" sensitivity "$@" -o bad.h5 -q
    expect_message "$msg" "$what"
    [ -e bad.h5 ] && fail "$what: a file was written"
    ls .bad.h5* >/dev/null 2>&1 && fail "$what: a temporary file was left"
    rm -f bad.h5
}
refused "no uncertain inputs" "no \`uncertain:\` section" -- plain.yaml
refused "unknown measure" "did you mean 'impunity_rate'" -- "$sens" --measure impunity_rat
refused "unknown group" "did you mean 'african_descent'" -- "$sens" --measure redress_rate \
    --group african_desent
refused "group without a measure" "must follow the --measure" -- "$sens" --group reference
refused "not a power of two" "would use 1024" -- "$sens" -N 1000
refused "unknown method" "sobol or morris" -- "$sens" --method fast

# 21 uncertain entries need 42 Sobol dimensions: refused unless grouped.
# wide.yaml: 21 kinds of violation, each with an uncertain probability of
# being well-founded.
entries() { # entries GROUPED: the uncertain: section
    echo "uncertain:"
    for v in $(seq 0 20); do
        echo "  - path: violations.v$v.well_founded"
        echo "    uniform: {min: 0.3, max: 0.7}"
        [ "$1" = yes ] && echo "    group: half$((v % 2))"
    done
}
{
    sed -e '/^violations:/,$d' "$sens"
    echo "violations:"
    for v in $(seq 0 19); do echo "  - {name: v$v, share: 0.04, well_founded: 0.5}"; done
    echo "  - {name: v20, share: 0.2, well_founded: 0.5}"
    sed -n '/^stages:/,/^interventions:/p' "$sens" | sed '$d'
} >wide_base.yaml
{ cat wide_base.yaml; entries no; } >wide.yaml
{ cat wide_base.yaml; entries yes; } >grouped.yaml
"$CASESIM" check -q wide.yaml || fail "wide.yaml is not valid"
refused "too many dimensions" "group" -- wide.yaml -N 4
expect_exit 0 "grouped inputs" -- "$CASESIM" sensitivity grouped.yaml -o grouped.h5 -N 4 --noise 2 -q
/usr/bin/python3 -c 'import h5py, sys
g = h5py.File(sys.argv[1], "r")["sensitivity"]
assert [x.decode() for x in g["factor"][()]] == ["half0", "half1"], g["factor"][()]
assert g.attrs["inputs"] == 21 and g.attrs["factors"] == 2' grouped.h5 ||
    fail "grouped inputs: not two factors of 21 inputs"

# --group-by stage: one factor per stage the entries' paths name.
expect_exit 0 "grouped by stage" -- "$CASESIM" sensitivity "$sens" -o stages.h5 -N 4 --noise 2 \
    --group-by stage -q
/usr/bin/python3 -c 'import h5py, sys
g = h5py.File(sys.argv[1], "r")["sensitivity"]
assert [x.decode() for x in g["factor"][()]] == ["report", "investigation", "hearing"]' \
    stages.h5 || fail "--group-by stage: not one factor per stage"
refused "an unknown grouping" "takes 'stage'" -- "$sens" --group-by entry

# 2. Threads: the same file.
expect_exit 0 "1 thread" -- "$CASESIM" sensitivity "$sens" -o t1.h5 -N 32 -t 1 -q
expect_exit 0 "2 threads" -- "$CASESIM" sensitivity "$sens" -o t2.h5 -N 32 -t 2 -q
$same t1.h5 t2.h5 || fail "the study differs between 1 and 2 threads"
expect_exit 0 "another seed" -- "$CASESIM" sensitivity "$sens" -o t3.h5 -N 32 -s 77 -q
$same t1.h5 t3.h5 >/dev/null 2>&1 && fail "another seed gave the same study"

# 3. The file.
/usr/bin/python3 - t1.h5 <<'PY' || fail "the file's /sensitivity is wrong"
import sys
import h5py
import numpy as np
f = h5py.File(sys.argv[1], "r")
g = f["sensitivity"]
ok = True
def check(cond, what):
    global ok
    if not cond:
        print("FAIL:", what, file=sys.stderr)
        ok = False
a = g.attrs
check(a["method"] == "sobol" and a["status"] == "complete", "method and status")
check(a["rows"] == 32 and a["factors"] == 3 and a["noise_points"] == 16, "sizes")
P = 32 * 5 + 16 + 7
check(a["points"] == P and int(f.attrs["replicates"]) == P, "one replicate per run")
check(f["uncertainty"].attrs["sampling"] == "saltelli", "sampling recorded as saltelli")
check("decision" not in f, "no decision for a design")
outs = [x.decode() for x in g["output"][()]]
check(outs == ["impunity_rate, african_descent, baseline",
               "impunity_rate, african_descent, outreach",
               "accountability_ratio, african_descent, baseline",
               "impunity_rate, african_descent, change with outreach"], f"outputs {outs}")
check(g["s1"].shape == (4, 3, 4) and g["noise_share"].shape == (4, 4), "index shapes")
check(g["unit_points"].shape == (P, 3), "unit points")
u = g["unit_points"][()]
check(np.all((u > 0) & (u < 1)), "points inside the cube")
vals = f["runs/baseline/uncertain_values"][()]
check(vals.shape == (P, 3), "values per run")
y = g["outputs"][()]
imp = f["runs/baseline/measures"][()]
check(np.array_equal(y[:, 0], imp[:, 1, 3]) or np.allclose(y[:, 0], imp[:, 1, 3], equal_nan=True),
      "output 0 is the baseline's impunity of the group")
chg = y[:, 3]
check(np.allclose(chg, y[:, 1] - y[:, 0], equal_nan=True), "the change is variant - baseline")
for name in ("s1", "st", "unit_points", "outputs", "noise_share", "oneway_low"):
    check("dimensions" in g[name].attrs, f"{name} names its axes")
sys.exit(0 if ok else 1)
PY

# Format 1.2's conventions: every dataset of /sensitivity has a checksum
# (Fletcher32, or the CRC of its strings) and dimension scales on its axes;
# the Python package opens and verifies the file; the figures are drawn.
/usr/bin/python3 - t1.h5 <<'PY' || fail "/sensitivity does not follow format 1.2"
import sys
import h5py
g = h5py.File(sys.argv[1], "r")["sensitivity"]
bad = []
for name, ds in g.items():
    if not isinstance(ds, h5py.Dataset):
        continue
    if not (ds.fletcher32 or "strings_crc32" in ds.attrs):
        bad.append(f"{name}: no checksum")
    if "dimensions" in ds.attrs and not h5py.h5ds.is_scale(ds.id):
        for i, dim in enumerate(ds.dims):
            if len(dim) == 0:
                bad.append(f"{name}: axis {i} has no scale")
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
PY
PYTHONPATH="$SRCDIR/analysis/python" /usr/bin/python3 -c 'import sys, casesim
with casesim.open(sys.argv[1], verify=True) as r:
    pass' t1.h5 || fail "the Python package refuses the study's file"
PYTHONPATH="$SRCDIR/analysis/python" /usr/bin/python3 -m casesim.figures t1.h5 -o figs >/dev/null ||
    fail "the figures of a study failed"
for f in sensitivity_indices sensitivity_tornado; do
    [ -s figs/$f.png ] || fail "no figure $f"
done

# 4. Interrupted, then resumed: the uninterrupted study's file.
n=512
expect_exit 0 "uninterrupted" -- "$CASESIM" sensitivity "$sens" -o full.h5 -N $n -t 2 -q
"$CASESIM" sensitivity "$sens" -o part.h5 -N $n -t 2 2>run.err &
pid=$!
waited=0
while ! grep -q "done" run.err 2>/dev/null && [ $waited -lt 600 ]; do
    sleep 0.05
    waited=$((waited + 1))
done
kill -TERM $pid
wait $pid
status=$?
[ "$status" -eq 143 ] || fail "SIGTERM: exit $status, expected 143: $(cat run.err)"
/usr/bin/python3 -c 'import h5py, sys
f = h5py.File(sys.argv[1], "r")
g = f["sensitivity"]
assert f.attrs["status"] == "incomplete" and g.attrs["status"] == "incomplete"
assert 0 < g.attrs["runs_done"] < g.attrs["points"], g.attrs["runs_done"]
assert g.attrs["units_done"] == g.attrs["runs_done"] // 5
assert "s1" not in g' part.h5 || fail "the interrupted file is not marked incomplete"
expect_exit 0 "report of an interrupted study" -- "$CASESIM" report part.h5
grep -q "was interrupted after" stdout || fail "the report does not say the study is unfinished"
expect_exit 2 "resume with another size" -- "$CASESIM" sensitivity "$sens" -o part.h5 -N 256 \
    --resume -q
expect_message "another design" "resume with another size"
expect_exit 2 "run --resume of a study" -- "$CASESIM" run "$sens" -o part.h5 --resume -q
expect_message "casesim sensitivity --resume" "run --resume of a study"
expect_exit 2 "merge of studies" -- "$CASESIM" merge t1.h5 t2.h5 -o merged.h5
expect_message "sensitivity study" "merge of studies"
expect_exit 0 "resume" -- "$CASESIM" sensitivity "$sens" -o part.h5 -N $n --resume -t 1 -q
$same full.h5 part.h5 || fail "interrupted + resumed differs from an uninterrupted study"

# 5. The report: the indices in words, first.
expect_exit 0 "report" -- "$CASESIM" report full.h5
for want in "1. Which uncertain input drives the results" "of the variance of impunity of" \
    "Explains alone" "With interactions" "The simulation's own noise is"; do
    grep -q "$want" stdout || fail "the report lacks: $want"
done
[ "$(grep -n "Which uncertain input" stdout | cut -d: -f1)" -lt \
    "$(grep -n "Headline measures" stdout | cut -d: -f1)" ] ||
    fail "the sensitivity section is not first"
expect_exit 0 "csv report" -- "$CASESIM" report full.h5 --format csv
grep -q "^sensitivity_first_order," stdout || fail "the CSV report lacks the indices"

# A scenario with a decision, a Dirichlet and correlated inputs: the
# outcome is the decision's, a Dirichlet is one factor, and the report says
# what the indices of correlated inputs are.
unc="$SRCDIR/tests/data/valid/uncertain.yaml"
expect_exit 0 "correlated inputs" -- "$CASESIM" sensitivity "$unc" -o unc.h5 -N 4 --noise 2 -q
/usr/bin/python3 -c 'import h5py, sys
g = h5py.File(sys.argv[1], "r")["sensitivity"]
assert g.attrs["outcome_group"] == "african_descent" and g.attrs["correlations"] == 1
assert g.attrs["inputs"] == 6 and g.attrs["factors"] == 5, (g.attrs["inputs"], g.attrs["factors"])' \
    unc.h5 || fail "correlated inputs: outcome, factors or correlations wrong"
expect_exit 0 "report with correlated inputs" -- "$CASESIM" report unc.h5
grep -q "correlates some inputs" stdout || fail "the report does not explain correlated inputs"

# 6. Morris.
expect_exit 0 "morris" -- "$CASESIM" sensitivity "$sens" -o m.h5 --method morris \
    --trajectories 8 -q
expect_exit 0 "morris report" -- "$CASESIM" report m.h5
grep -q "Morris screening" stdout || fail "the Morris report does not say so"
grep -q "Mean absolute effect" stdout || fail "the Morris report lacks mu*"

finish "sensitivity"
