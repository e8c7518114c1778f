# slurm_scripts.sh — the example Slurm scripts of scripts/slurm/ work as
# documented, run here without Slurm by setting the variables it would set:
# three array tasks (one rerun, which resumes: nothing to do) and the merge
# job give the same file as one run of all replicates.
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"
. "$SRCDIR/tests/cli/lib.sh"
cd "$work" || exit 1
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
finish "slurm scripts"
