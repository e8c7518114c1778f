# merge_resume.sh — job-array ranges and resumption give the file of one
# uninterrupted run:
#  - `run --first-replicate K --replicates N` writes replicates K..K+N-1 and a
#    replicate_index dataset;
#  - three ranges merged (given in any order) equal one run of all the
#    replicates, case records included (h5_same.py: every dataset and
#    attribute but `created` and `command_line`);
#  - merge refuses, with exit 2, a clear message and no output file:
#    overlapping ranges, a gap, different seeds, different scenario texts,
#    different variants, an incomplete input;
#  - a run stopped by SIGTERM part-way, then `run --resume`, equals an
#    uninterrupted run; --resume refuses another seed or scenario text (exit 2,
#    file untouched) and does nothing on a complete file;
#  - with uncertain inputs (two replicates per draw), ranges that cut draws in
#    two merge into one run of all the replicates (the draw of replicate r
#    depends only on the seed, r and the replicates per draw), and a run
#    stopped part-way and resumed equals an uninterrupted one.
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"

. "$SRCDIR/tests/cli/lib.sh"
minimal="$SRCDIR/scenarios/minimal.yaml"

cd "$work" || exit 1

# 1. Ranges and merge.
expect_exit 0 "whole run" -- "$CASESIM" run "$minimal" -o all.h5 -n 7 --case-records 2 -q
expect_exit 0 "range 0..2" -- "$CASESIM" run "$minimal" -o r0.h5 -n 3 --case-records 2 -q
expect_exit 0 "range 3..4" -- "$CASESIM" run "$minimal" -o r1.h5 --first-replicate 3 -n 2 -q
expect_exit 0 "range 5..6" -- "$CASESIM" run "$minimal" -o r2.h5 --first-replicate 5 -n 2 -q
idx=$(h5dump -A 0 -d /runs/baseline/replicate_index r1.h5 2>/dev/null | sed -n 's/^ *(0): *//p')
[ "$idx" = "3, 4" ] || fail "range 3..4: replicate_index is '$idx', expected '3, 4'"
[ "$(h5attr r1.h5 first_replicate)" = 3 ] || fail "range 3..4: first_replicate is not 3"

expect_exit 0 "merge of three ranges" -- "$CASESIM" merge r2.h5 r0.h5 r1.h5 -o merged.h5
$same all.h5 merged.h5 || fail "three merged ranges differ from one run of all replicates"
[ "$(h5attr merged.h5 status)" = complete ] || fail "merged file: status is not complete"
"$CASESIM" report merged.h5 >/dev/null 2>&1 || fail "merged file: casesim report fails"

# A merge never replaces an existing file without --overwrite.
expect_exit 2 "merge onto an existing file" -- "$CASESIM" merge r0.h5 r1.h5 r2.h5 -o merged.h5
expect_message "--overwrite" "merge onto an existing file"

# 2. Refusals: exit 2, a message naming the problem, nothing written.
refuse() { # refuse DESCRIPTION MESSAGE INPUT...
    local what=$1 msg=$2
    shift 2
    expect_exit 2 "$what" -- "$CASESIM" merge "$@" -o refused.h5
    expect_message "$msg" "$what"
    [ ! -e refused.h5 ] || fail "$what: an output file was written"
    [ -z "$(find . -maxdepth 1 -name '.*.tmp-*')" ] || fail "$what: a temporary file was left"
}
expect_exit 0 "range 2..3" -- "$CASESIM" run "$minimal" -o ov.h5 --first-replicate 2 -n 2 -q
refuse "overlapping ranges" "overlap" r0.h5 ov.h5 r2.h5
refuse "a gap" "missing" r0.h5 r2.h5
expect_exit 0 "another seed" -- "$CASESIM" run "$minimal" -o seed.h5 --first-replicate 3 -n 2 -s 99 -q
refuse "different seeds" "different seeds" r0.h5 seed.h5 r2.h5
{ cat "$minimal"; echo "# one more line: another scenario text"; } >changed.yaml
expect_exit 0 "another text" -- "$CASESIM" run changed.yaml -o text.h5 --first-replicate 3 -n 2 -q
refuse "different scenario texts" "different scenario texts" r0.h5 text.h5 r2.h5
expect_exit 0 "--only" -- "$CASESIM" run "$minimal" -o only.h5 --first-replicate 3 -n 2 -q --only more_investigators
expect_exit 0 "baseline only" -- "$CASESIM" run "$minimal" -o only.h5 --first-replicate 3 -n 2 -q --overwrite --only baseline
refuse "different variants" "different variants" r0.h5 only.h5 r2.h5
refuse "a single input" "at least two" r0.h5
cp r1.h5 version.h5
/usr/bin/python3 -c 'import h5py, sys; h5py.File(sys.argv[1], "r+").attrs["casesim_version"] = "0.0.0"' version.h5
refuse "different casesim versions" "different casesim versions" r0.h5 version.h5 r2.h5

# 3. Resume after SIGTERM equals an uninterrupted run. Without a terminal the
#    progress line comes every 10% (the first after 60 of 600 replicates);
#    the signal is sent as soon as it appears, long before the end.
n=600
expect_exit 0 "uninterrupted" -- "$CASESIM" run "$minimal" -o full.h5 -n $n --case-records 2 -t 2 -q
"$CASESIM" run "$minimal" -o part.h5 -n $n --case-records 2 -t 2 2>run.err &
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
kept=$(h5attr part.h5 replicates)
[ "$(h5attr part.h5 status)" = incomplete ] || fail "interrupted run: status is not incomplete"
[ "${kept:-0}" -ge 1 ] && [ "${kept:-0}" -lt $n ] ||
    fail "interrupted run: $kept replicates kept, expected some but not all $n"
refuse "an incomplete input" "--resume" part.h5 r2.h5

cp part.h5 part_before.h5
expect_exit 2 "resume with another seed" -- "$CASESIM" run "$minimal" -o part.h5 --resume -s 5 -q
expect_message "seed" "resume with another seed"
expect_exit 2 "resume with another text" -- "$CASESIM" run changed.yaml -o part.h5 --resume -q
expect_message "another scenario text" "resume with another text"
cmp -s part.h5 part_before.h5 || fail "a refused resume modified the file"
expect_exit 2 "resume of a missing file" -- "$CASESIM" run "$minimal" -o nothing.h5 --resume -q

expect_exit 0 "resume" -- "$CASESIM" run "$minimal" -o part.h5 --resume -t 2
grep -q "resumed" "$work/stderr" || fail "resume: the message does not say it resumed"
$same full.h5 part.h5 || fail "interrupted + resumed differs from an uninterrupted run"
cp part.h5 part_done.h5
expect_exit 0 "resume of a complete file" -- "$CASESIM" run "$minimal" -o part.h5 --resume
expect_message "nothing to do" "resume of a complete file"
cmp -s part.h5 part_done.h5 || fail "resuming a complete file modified it"

# 4. Uncertain inputs: ranges 0..4, 5..8 and 9..11 split draws 2 and 4.
unc="$SRCDIR/tests/data/valid/uncertain.yaml"
expect_exit 0 "uncertain whole run" -- "$CASESIM" run "$unc" -o u_all.h5 -n 12 -q
expect_exit 0 "uncertain 0..4" -- "$CASESIM" run "$unc" -o u0.h5 -n 5 -q
expect_exit 0 "uncertain 5..8" -- "$CASESIM" run "$unc" -o u1.h5 --first-replicate 5 -n 4 -q
expect_exit 0 "uncertain 9..11" -- "$CASESIM" run "$unc" -o u2.h5 --first-replicate 9 -n 3 -q
expect_exit 0 "uncertain merge" -- "$CASESIM" merge u2.h5 u0.h5 u1.h5 -o u_merged.h5
$same u_all.h5 u_merged.h5 || fail "merged uncertain ranges differ from one run"
n=300
expect_exit 0 "uncertain uninterrupted" -- "$CASESIM" run "$unc" -o u_full.h5 -n $n -t 2 -q
"$CASESIM" run "$unc" -o u_part.h5 -n $n -t 2 2>u_run.err &
pid=$!
waited=0
while ! grep -q "done" u_run.err 2>/dev/null && [ $waited -lt 600 ]; do
    sleep 0.05
    waited=$((waited + 1))
done
kill -TERM $pid
wait $pid
[ $? -eq 143 ] || fail "uncertain SIGTERM: not exit 143: $(cat u_run.err)"
expect_exit 0 "uncertain resume" -- "$CASESIM" run "$unc" -o u_part.h5 --resume -t 2
$same u_full.h5 u_part.h5 || fail "uncertain: interrupted + resumed differs from one run"

finish "merge and resume"
