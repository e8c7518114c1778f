# disparity.sh — where the disparity arises, from the command line:
#  - `run --decompose` adds the decomposition's variants; the report has a
#    section 4 (relative rates, decomposition) in text, Markdown and CSV;
#  - `run --decompose` of a one-group scenario is refused (exit 2, a clear
#    message, nothing written);
#  - ranges of a decomposed run merged, and a decomposed run resumed without
#    --decompose, equal one uninterrupted run (h5_same.py: every dataset,
#    /disparity included);
#  - `--only` keeps the decomposition's variants;
#  - a file without branch_counts (another build of
#    format 1.2) joins and resumes into a file without them.
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
minimal="$SRCDIR/scenarios/minimal.yaml"
same="/usr/bin/python3 $SRCDIR/tests/support/h5_same.py"
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# expect_exit WANT DESCRIPTION -- COMMAND...
expect_exit() {
    local want=$1 what=$2
    shift 3
    "$@" >"$work/stdout" 2>"$work/stderr"
    local got=$?
    [ "$got" -eq "$want" ] || fail "$what: exit $got, expected $want; stderr: $(cat "$work/stderr")"
}

cd "$work" || exit 1

# 1. A decomposed run and its report.
expect_exit 0 "decomposed run" -- "$CASESIM" run "$minimal" -o all.h5 -n 6 --decompose -q
n_decomposition=$(h5dump -a /runs/equalised_all/kind all.h5 2>/dev/null | grep -c '"decomposition"')
[ "$n_decomposition" -eq 1 ] || fail "no variant equalised_all of kind decomposition"
expect_exit 0 "report" -- "$CASESIM" report all.h5
grep -q "[0-9]\. Where the disparity arises" "$work/stdout" || fail "report: no section 4"
grep -q "Shapley share" "$work/stdout" || fail "report: no decomposition"
grep -q "equalised_" "$work/stdout" && fail "report: the decomposition's variants are shown as variants"
expect_exit 0 "markdown report" -- "$CASESIM" report all.h5 --format markdown
grep -q "^## [0-9]\. Where the disparity arises" "$work/stdout" || fail "markdown: no section 4"
expect_exit 0 "csv report" -- "$CASESIM" report all.h5 --format csv
grep -q "^relative_rate,baseline," "$work/stdout" || fail "csv: no relative rates"
grep -q "^decomposition_shapley," "$work/stdout" || fail "csv: no Shapley shares"

# 2. One group: nothing to decompose.
sed -e '/- name: african_descent/,/incidents_per_year/d' -e 's/, african_descent: [0-9.]*//' \
    "$minimal" >one.yaml
expect_exit 0 "one group, no --decompose" -- "$CASESIM" check one.yaml
expect_exit 2 "one group, --decompose" -- "$CASESIM" run one.yaml -o one.h5 --decompose -q
grep -q "needs two groups or more" "$work/stderr" || fail "one group: $(cat "$work/stderr")"
[ -e one.h5 ] && fail "one group: a file was written"

# 3. Ranges merged, and a run resumed, equal one run.
expect_exit 0 "range 0..3" -- "$CASESIM" run "$minimal" -o r0.h5 -n 4 --decompose -q
expect_exit 0 "range 4..5" -- "$CASESIM" run "$minimal" -o r1.h5 --first-replicate 4 -n 2 \
    --decompose -q
expect_exit 0 "merge" -- "$CASESIM" merge r0.h5 r1.h5 -o merged.h5
$same all.h5 merged.h5 || fail "merged ranges differ from one decomposed run"
cp r0.h5 resumed.h5
expect_exit 0 "resume without --decompose" -- "$CASESIM" run "$minimal" -o resumed.h5 -n 6 \
    --resume -q
$same all.h5 resumed.h5 || fail "a resumed decomposed run differs from one run"
expect_exit 0 "a plain run" -- "$CASESIM" run "$minimal" -o plain.h5 -n 2 -q
cp plain.h5 plain_copy.h5
expect_exit 2 "--decompose resuming a plain run" -- "$CASESIM" run "$minimal" -o plain.h5 -n 4 \
    --resume --decompose -q
cmp -s plain.h5 plain_copy.h5 || fail "a refused resume changed the file"

# 4. --only keeps the decomposition.
first=$(sed -n 's/^  - name: \([a-z_]*\)$/\1/p' "$minimal" | tail -n 1)
expect_exit 0 "--only with --decompose" -- "$CASESIM" run "$minimal" -o only.h5 -n 2 \
    --decompose --only "$first" -q
h5ls only.h5/runs | grep -q "^equalised_all " || fail "--only dropped the decomposition"

# 5. A file without the optional arrays (format 1.0 or 1.1, or another build
#    of 1.2, made here by deleting them): joined with a file that has them,
#    or resumed, it gives a file without them and without /disparity (nothing
#    made up), which the report and the figures read.
expect_exit 0 "range without the new arrays" -- "$CASESIM" run "$minimal" -o old.h5 -n 3 -q
/usr/bin/python3 - old.h5 <<'PY' || fail "cannot strip the optional arrays"
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    for v in f["runs"]:
        for name in ("branch_counts",):
            del f["runs"][v][name]
    del f["disparity"]
PY
expect_exit 0 "range with them" -- "$CASESIM" run "$minimal" -o new.h5 --first-replicate 3 -n 2 -q
expect_exit 0 "merge of the two" -- "$CASESIM" merge old.h5 new.h5 -o joined.h5
for path in joined.h5 resumed_old.h5; do
    if [ "$path" = resumed_old.h5 ]; then
        cp old.h5 resumed_old.h5
        expect_exit 0 "resume of the stripped file" -- "$CASESIM" run "$minimal" -o resumed_old.h5 \
            -n 5 --resume -q
    fi
    h5ls "$path/runs/more_investigators" | grep -q "^measures " || fail "$path: no measures"
    h5ls "$path/runs/baseline" | grep -q "^branch_counts " && fail "$path: branch_counts made up"
    h5ls "$path" | grep -q "^disparity " && fail "$path: /disparity without branch counts"
    expect_exit 0 "report of $path" -- "$CASESIM" report "$path"
    grep -q "has no /disparity tables" "$work/stdout" || fail "$path: no note on /disparity"
    expect_exit 0 "figures of $path" -- /usr/bin/python3 "$SRCDIR/analysis/casesim_figures.py" \
        "$path" -o "figs_$path"
done

[ "$failures" -eq 0 ] || exit 1
echo "disparity: all checks passed"
