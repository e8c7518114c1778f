# slurm_scripts.sh — the example Slurm scripts of scripts/slurm/ work as
# documented, run here without Slurm by setting the variables it would set:
# three array tasks (one rerun, which resumes: nothing to do) and the merge
# job give the same file as one run of all replicates.
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
scenario="$SRCDIR/scenarios/minimal.yaml"
export CASESIM PER=3 SLURM_CPUS_PER_TASK=1
for task in 0 1 2 1; do
    SLURM_ARRAY_TASK_ID=$task bash "$SRCDIR/scripts/slurm/array.sbatch" "$scenario" \
        >"task$task.out" 2>&1 || fail "array task $task: $(cat "task$task.out")"
done
bash "$SRCDIR/scripts/slurm/merge.sbatch" results >merge.out 2>&1 ||
    fail "merge job: $(cat merge.out)"
"$CASESIM" run "$scenario" -o one.h5 -n 9 -q || fail "the single run failed"
/usr/bin/python3 "$SRCDIR/tests/support/h5_same.py" one.h5 results/all.h5 ||
    fail "array tasks + merge differ from one run"
if [ "$failures" -gt 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "slurm scripts: all checks passed"
