# nothing_lost.sh — a full disk, a read-only file system and a kill at any
# moment never damage an existing results file and never leave a half-written
# file under the target name (issue 8, item 5).
#
# run_safety.sh covers refusals without --overwrite, output = input, missing
# directories and a full disk simulated with a file-size limit on a new
# target. Here:
#   1. a file-size limit (portable) with an existing results file and
#      --overwrite: the old file survives byte for byte;
#   2. a real full disk (a 200 KiB tmpfs, ENOSPC) and a read-only file system
#      (a tmpfs remounted read-only; root ignores permission bits, so chmod
#      cannot test this), in a private mount namespace. This needs root and
#      unshare(1); where the machine forbids mounting, the test says so and
#      checks the rest;
#   output paths equal to the scenario (by its name, through `..`, a symbolic
#      and a hard link), in a missing directory, or naming a directory:
#      refused with exit status and message, the scenario untouched;
#   3. SIGKILL at 24 moments spread over a whole run (start, simulation,
#      analysis, closing, publishing): afterwards the target holds either the
#      old file, byte for byte, or a complete new one that `report` reads;
#      never anything else. A killed run cannot remove its temporary file;
#      that file never has the target's name.
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"

tiny="$SRCDIR/tests/data/valid/tiny.yaml"
minimal="$SRCDIR/scenarios/minimal.yaml"
illustrative="$SRCDIR/scenarios/illustrative.yaml"

# --- 2, run inside a private mount namespace (see the end of the file) -------
if [ "${1:-}" = "--mounted" ]; then
    work=$2
    failures=0
    fail() {
        echo "FAIL: $*" >&2
        failures=$((failures + 1))
    }
    size=$(stat -c %s "$work/good.h5")
    d="$work/full"
    mkdir -p "$d"
    # Room for the existing file and 64 KiB: any new results file needs more.
    mount -t tmpfs -o size=$((size + 65536)) tmpfs "$d" || exit 3
    cp "$work/good.h5" "$d/out.h5"
    "$CASESIM" run "$illustrative" -o "$d/out.h5" --overwrite -n 3 -q 2>"$work/err"
    status=$?
    [ "$status" -eq 1 ] || fail "full disk, --overwrite: exit $status, expected 1: $(cat "$work/err")"
    grep -q "No space left on device" "$work/err" || fail "full disk: no 'No space left on device': $(cat "$work/err")"
    grep -q "cannot write $d/out.h5" "$work/err" || fail "full disk: the target is not named: $(cat "$work/err")"
    cmp -s "$work/good.h5" "$d/out.h5" || fail "full disk: the existing results file was changed"
    "$CASESIM" run "$minimal" -o "$d/new.h5" -n 2 -q 2>"$work/err"
    status=$?
    [ "$status" -eq 1 ] || fail "full disk, new file: exit $status, expected 1"
    left=$(ls -A "$d")
    [ "$left" = "out.h5" ] || fail "full disk: files left: $left"
    umount "$d"

    d="$work/ro"
    mkdir -p "$d"
    mount -t tmpfs -o size=1m tmpfs "$d" || exit 3
    cp "$work/good.h5" "$d/out.h5"
    mount -o remount,ro "$d" || exit 3
    "$CASESIM" run "$tiny" -o "$d/out.h5" --overwrite -q 2>"$work/err"
    status=$?
    [ "$status" -eq 1 ] || fail "read-only, --overwrite: exit $status, expected 1: $(cat "$work/err")"
    grep -q "cannot write $d/out.h5: Read-only file system" "$work/err" ||
        fail "read-only: unclear message: $(cat "$work/err")"
    cmp -s "$work/good.h5" "$d/out.h5" || fail "read-only: the existing results file was changed"
    "$CASESIM" run "$tiny" -o "$d/new.h5" -q 2>"$work/err"
    status=$?
    [ "$status" -eq 1 ] || fail "read-only, new file: exit $status, expected 1"
    grep -q "cannot write $d/new.h5: Read-only file system" "$work/err" ||
        fail "read-only, new file: unclear message: $(cat "$work/err")"
    left=$(ls -A "$d")
    [ "$left" = "out.h5" ] || fail "read-only: files left: $left"
    umount "$d"
    exit $((failures > 0 ? 1 : 0))
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

h5attr() { # h5attr FILE ATTR: a root attribute's value as h5dump prints it
    h5dump -a "/$2" "$1" 2>/dev/null | sed -n 's/^ *(0): *//p' | tr -d '"'
}

"$CASESIM" run "$tiny" -o "$work/good.h5" -q || {
    echo "FAIL: cannot make a results file" >&2
    exit 1
}

# --- 1. file-size limit with an existing file -----------------------------------
d="$work/limit"
mkdir -p "$d"
cp "$work/good.h5" "$d/out.h5"
(
    trap '' XFSZ
    ulimit -f 64 # KiB: writes beyond fail with EFBIG, as a full disk fails with ENOSPC
    "$CASESIM" run "$illustrative" -o "$d/out.h5" --overwrite -n 3 -q 2>"$work/err"
    echo $? >"$work/status"
)
[ "$(cat "$work/status")" = 1 ] || fail "file-size limit: exit $(cat "$work/status"), expected 1: $(cat "$work/err")"
cmp -s "$work/good.h5" "$d/out.h5" || fail "file-size limit: the existing results file was changed"
left=$(ls -A "$d")
[ "$left" = "out.h5" ] || fail "file-size limit: files left: $left"

# --- 2. a real full disk and a read-only file system ----------------------------
if [ "$(id -u)" -eq 0 ] && unshare -m --propagation private true 2>/dev/null &&
    unshare -m --propagation private sh -c "mount -t tmpfs -o size=64k tmpfs '$work'" 2>/dev/null; then
    unshare -m --propagation private bash "${BASH_SOURCE[0]}" --mounted "$work"
    status=$?
    [ "$status" -eq 0 ] || fail "full disk / read-only file system (exit $status; see above)"
else
    echo "NOTE: mounting is not allowed here: the full-disk (tmpfs, ENOSPC) and read-only" \
        "file-system checks did not run; the file-size limit above stands in for a full disk"
fi

# --- output paths: the input itself (by any name), a missing directory, a directory
# expect_run WANT FRAGMENT -- ARGS...: `casesim run ARGS` exits WANT with FRAGMENT.
expect_run() {
    local want=$1 fragment=$2
    shift 3
    "$CASESIM" run "$@" -q >/dev/null 2>"$work/err"
    local status=$?
    [ "$status" -eq "$want" ] || fail "run $*: exit $status, expected $want: $(cat "$work/err")"
    grep -qF -- "$fragment" "$work/err" || fail "run $*: message lacks '$fragment': $(cat "$work/err")"
}
d="$work/paths"
mkdir -p "$d/sub"
cp "$tiny" "$d/s.yaml"
cp "$tiny" "$d/before.yaml"
ln -s s.yaml "$d/link.yaml"
ln "$d/s.yaml" "$d/hard.yaml"
for out in "$d/s.yaml" "$d/sub/../s.yaml" "$d/link.yaml" "$d/hard.yaml"; do
    expect_run 2 "is the scenario file itself; choose another name" -- "$d/s.yaml" -o "$out" --overwrite
done
cmp -s "$d/s.yaml" "$d/before.yaml" || fail "the scenario was overwritten by its own results"
expect_run 1 "cannot write $d/no/such/out.h5: No such file or directory" -- "$tiny" -o "$d/no/such/out.h5"
expect_run 2 "$d/sub is a directory, not a file name" -- "$tiny" -o "$d/sub" --overwrite
[ -z "$(ls -A "$d/sub")" ] || fail "files written for refused output paths: $(ls -A "$d/sub")"

# --- 3. SIGKILL at any moment ---------------------------------------------------------
# A run of about 0.4 s, long enough to be caught in every phase and short
# enough for the sanitize build: time 40 replicates, scale, time again.
d="$work/kill"
mkdir -p "$d"
time_run() { # time_run N: milliseconds of a run of N replicates
    local start
    start=$(date +%s%N)
    "$CASESIM" run "$minimal" -o "$d/timing.h5" -n "$1" --threads 2 -q --overwrite ||
        fail "the timing run failed"
    echo $((($(date +%s%N) - start) / 1000000))
}
n=40
elapsed_ms=$(time_run $n)
if [ "$elapsed_ms" -lt 400 ]; then
    n=$((n * 400 / (elapsed_ms > 0 ? elapsed_ms : 1)))
    [ "$n" -le 1000 ] || n=1000
    elapsed_ms=$(time_run $n)
fi
rm -f "$d/timing.h5"
# Kill times spread evenly over 0 .. 2 x the run's length (a loaded machine
# can run slower than the timing run did), with a fixed
# pseudo-random jitter (RANDOM is seeded: the test is reproducible).
RANDOM=20240524
kills=24 old_kept=0 new_published=0 temporaries=0
for i in $(seq 0 $((kills - 1))); do
    cp "$work/good.h5" "$d/out.h5"
    at_ms=$((elapsed_ms * 20 * i / (10 * kills) + RANDOM % 20))
    "$CASESIM" run "$minimal" -o "$d/out.h5" -n $n --threads 2 --overwrite -q 2>/dev/null &
    pid=$!
    sleep "$(printf '%d.%03d' $((at_ms / 1000)) $((at_ms % 1000)))"
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null
    if cmp -s "$work/good.h5" "$d/out.h5"; then
        old_kept=$((old_kept + 1))
    elif [ "$(h5attr "$d/out.h5" status)" = complete ] &&
        "$CASESIM" report "$d/out.h5" >/dev/null 2>&1; then
        new_published=$((new_published + 1))
    else
        fail "kill at $at_ms ms: out.h5 is neither the old file nor a complete new one"
    fi
    # Everything else in the directory is a temporary file of the run.
    for f in "$d"/.[!.]* "$d"/*; do
        [ -e "$f" ] || continue
        case "${f##*/}" in
        out.h5) ;;
        .out.h5.tmp-*) temporaries=$((temporaries + 1)) && rm -f "$f" ;;
        *) fail "kill at $at_ms ms: unexpected file ${f##*/}" ;;
        esac
    done
done
# A new target (no old file): absent, or complete.
for at_ms in 50 $((elapsed_ms / 2)); do
    rm -f "$d/new.h5"
    "$CASESIM" run "$minimal" -o "$d/new.h5" -n $n -q 2>/dev/null &
    pid=$!
    sleep "$(printf '%d.%03d' $((at_ms / 1000)) $((at_ms % 1000)))"
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null
    if [ -e "$d/new.h5" ] && [ "$(h5attr "$d/new.h5" status)" != complete ]; then
        fail "kill at $at_ms ms: an incomplete file under the new target's name"
    fi
done
echo "SIGKILL during a ${elapsed_ms} ms run ($n replicates), $kills times: old file kept $old_kept times," \
    "new file complete $new_published times, $temporaries temporary files left (never under the target name)"
[ "$old_kept" -ge 1 ] || fail "no kill landed before the new file was published: the kills are too late"
[ "$new_published" -ge 1 ] || fail "no run finished before its kill: the kills are too early"

echo "nothing lost: $failures failure(s)"
[ "$failures" -eq 0 ]
