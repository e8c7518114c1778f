#!/usr/bin/env bash
# fuzz.sh — build and run casesim's libFuzzer targets (fuzz/fuzz_*.c).
#
#   scripts/fuzz.sh build  DIR                    configure DIR with clang and
#                                                 CASESIM_FUZZ=ON; build the targets
#   scripts/fuzz.sh replay DIR [TARGET...]        run every saved corpus input and
#                                                 every seed once (seconds)
#   scripts/fuzz.sh run    DIR SECONDS [TARGET...] fuzz each target for SECONDS
#   scripts/fuzz.sh merge  DIR [TARGET...]        minimise DIR's working corpus
#                                                 into fuzz/corpus/TARGET
#
# TARGET is a target's name without `fuzz_` (scenario, results); all targets
# by default. `run` keeps its growing corpus in DIR/corpus/TARGET (libFuzzer
# writes only there), reads the saved corpus and the seeds without changing
# them, and leaves any crashing input in DIR/artifacts/. Logs go to DIR/logs/.
# `make test` runs build, replay and a 60-second run (tests/fuzz.cmake);
# `make fuzz` runs long ones (FUZZ_SECONDS, 600 by default).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)

usage() {
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
[ $# -ge 2 ] || usage
mode=$1
dir=$2
shift 2
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

all_targets() {
    local f
    for f in "$src"/fuzz/fuzz_*.c; do
        f=${f##*/fuzz_}
        echo "${f%.c}"
    done
}

# Directories of seed inputs, read-only: the saved corpus first.
seed_dirs() {
    local d
    for d in "$src/fuzz/corpus/$1" $(extra_seeds "$1"); do
        [ -d "$d" ] && echo "$d"
    done
    return 0
}
extra_seeds() {
    case $1 in
    scenario) echo "$src/scenarios $src/tests/data/valid $src/tests/data/invalid" ;;
    results) echo "$dir/seeds/results" ;;
    esac
}

# Options per target: a dictionary if there is one, and the largest input.
target_opts() {
    local t=$1
    [ -f "$src/fuzz/$t.dict" ] && echo "-dict=$src/fuzz/$t.dict"
    case $t in
    scenario) echo "-max_len=16384" ;;
    # stderr closed: report prints a message for every refused input
    # (libFuzzer and the sanitizers keep a duplicate of it for their reports).
    results) echo "-max_len=262144 -close_fd_mask=2 -timeout=2" ;;
    *) echo "-timeout=10" ;;
    esac
    echo "-rss_limit_mb=2048"
}

# How a run treats findings. The HDF5 library is not hardened against damaged
# files: on some it crashes, loops or leaks inside H5Aread/H5Dread (see
# fuzz/README.md). So fuzz_results runs in fork mode, going on after a
# finding, and triage() then decides whose each finding is.
run_opts() {
    case $1 in
    results) echo "-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1" ;;
    esac
    return 0
}

# first_frame FILE: the first stack frame of a sanitizer or libFuzzer report
# that is neither the sanitizer runtime, libFuzzer, libc nor an allocator:
# where the fault, the allocation or the endless loop is.
first_frame() {
    grep -E '^ +#[0-9]+ 0x' "$1" |
        grep -vE '__interceptor_|__asan|__sanitizer|__lsan|__ubsan|libclang_rt|fuzzer::|libc\.so|sysdeps/|csu/|nptl/|libstdc\+\+| in (malloc|calloc|realloc|free|strdup|memmove|memcpy|memset|operator new)|_start|AlarmCallback|PrintStackTrace|\(<unknown module>\)' |
        head -n 1 || true
}

# triage TARGET: replays each saved finding of TARGET and sorts it: in the
# HDF5 library (known, documented, contained by `casesim report`'s probe) or
# anywhere else (ours: a failure). Leaks are judged by every leaked block.
triage() {
    local t=$1 b f out kind where ours=0 theirs=0
    b=$(binary "$t")
    mkdir -p "$dir/triage"
    shopt -s nullglob
    for f in "$dir/artifacts/$t-"*; do
        out="$dir/triage/${f##*/}.txt"
        ASAN_OPTIONS=fast_unwind_on_malloc=0 "$b" $(target_opts "$t") "$f" >"$out" 2>&1 || true
        if grep -q 'out-of-memory (used:' "$out"; then
            # Memory over the limit at some moment: find the big allocation
            # by failing any single one over 256 MiB, with its stack.
            ASAN_OPTIONS=fast_unwind_on_malloc=0 "$b" $(target_opts "$t") -rss_limit_mb=8192 \
                -malloc_limit_mb=256 "$f" >"$out" 2>&1 || true
        fi
        kind=$(grep -m1 -oE 'SUMMARY: [A-Za-z]+: [A-Za-z-]+|ERROR: libFuzzer: [a-z-]+' "$out" || echo "no-longer-fails")
        where=$(first_frame "$out")
        if grep -q 'LeakSanitizer' "$out"; then
            kind="leak"
            # Every leaked block's allocation stack: ours if any starts in our code.
            where=$(awk '/allocated from:/ { want = 1; next }
                want && /^ +#[0-9]+ 0x/ && !/ in (malloc|calloc|realloc|strdup)|libclang_rt|__interceptor_/ { print; want = 0 }' "$out" |
                grep -v libhdf5 | head -n 1 || true)
            [ -z "$where" ] && where="libhdf5 (every leaked block was allocated by HDF5)"
        fi
        case "$where" in
        *libhdf5*)
            theirs=$((theirs + 1))
            echo "  HDF5: ${f##*/}: $kind in $(echo "$where" | sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+ (in )?//; s/ \(BuildId.*//')" >>"$dir/triage/hdf5.txt"
            ;;
        *)
            if [ "$kind" = "no-longer-fails" ]; then
                echo "  ${f##*/}: does not fail when replayed alone (flaky: see $out)"
                continue
            fi
            ours=$((ours + 1))
            echo "  OURS: ${f##*/}: $kind at $(echo "$where" | sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+ (in )?//')"
            echo "        report: $out"
            ;;
        esac
    done
    shopt -u nullglob
    echo "  findings in HDF5 itself: $theirs (list: $dir/triage/hdf5.txt); in casesim: $ours"
    [ "$ours" -eq 0 ]
}

binary() {
    local b="$dir/fuzz/fuzz_$1"
    if [ ! -x "$b" ]; then
        echo "fuzz.sh: $b is missing: run scripts/fuzz.sh build $dir" >&2
        exit 1
    fi
    echo "$b"
}

case $mode in
build)
    if ! command -v clang >/dev/null 2>&1; then
        echo "fuzz.sh: clang is not installed (scripts/setup-deps.sh installs it)" >&2
        exit 1
    fi
    # Configured every time (it takes a second): a target added to fuzz/
    # since the last build must exist before `--target` names it.
    cmake -S "$src" -B "$dir" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
        -DCASESIM_FUZZ=ON -DCASESIM_TESTS=OFF -DCASESIM_WERROR=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$dir/configure.log" 2>&1 ||
        {
            cat "$dir/configure.log" >&2
            exit 1
        }
    targets=(--target casesim)
    for t in $(all_targets); do targets+=(--target "fuzz_$t"); done
    cmake --build "$dir" -j "${JOBS:-2}" "${targets[@]}"
    # Seeds for fuzz_results: results files written by this very build, so
    # they always have the current layout (binary files are not committed).
    mkdir -p "$dir/seeds/results"
    "$dir/casesim" run "$src/tests/data/valid/tiny.yaml" -o "$dir/seeds/results/tiny.h5" \
        --overwrite -q
    "$dir/casesim" run "$src/tests/data/valid/tiny.yaml" -o "$dir/seeds/results/tiny1.h5" \
        -n 1 --overwrite -q
    ;;
replay)
    [ $# -gt 0 ] || set -- $(all_targets)
    for t in "$@"; do
        b=$(binary "$t")
        mapfile -t dirs < <(seed_dirs "$t")
        if [ ${#dirs[@]} -eq 0 ]; then
            echo "fuzz.sh: no saved corpus or seeds for fuzz_$t" >&2
            exit 1
        fi
        mapfile -d '' files < <(find "${dirs[@]}" -type f -print0 | sort -z)
        echo "replaying ${#files[@]} inputs through fuzz_$t"
        # Given files rather than directories, libFuzzer runs each once and
        # writes nothing. -runs=1 per input; the sanitizers and the leak
        # checker judge every one.
        mkdir -p "$dir/logs"
        if ! "$b" $(target_opts "$t") -runs=1 "${files[@]}" >"$dir/logs/replay_$t.log" 2>&1; then
            tail -n 60 "$dir/logs/replay_$t.log" >&2
            echo "fuzz.sh: replay of fuzz_$t failed (log: $dir/logs/replay_$t.log)" >&2
            exit 1
        fi
        grep -c '^Executed ' "$dir/logs/replay_$t.log" | sed "s/^/  executed: /"
    done
    ;;
run)
    [ $# -ge 1 ] || usage
    seconds=$1
    shift
    [ $# -gt 0 ] || set -- $(all_targets)
    for t in "$@"; do
        b=$(binary "$t")
        mkdir -p "$dir/corpus/$t" "$dir/artifacts" "$dir/logs"
        log="$dir/logs/run_$t.log"
        echo "fuzzing fuzz_$t for $seconds s (log: $log)"
        status=0
        rm -f "$dir/artifacts/$t-"*
        "$b" $(target_opts "$t") $(run_opts "$t") -max_total_time="$seconds" \
            -print_final_stats=1 -artifact_prefix="$dir/artifacts/$t-" "$dir/corpus/$t" \
            $(seed_dirs "$t") >"$log" 2>&1 || status=$?
        if [ -n "$(run_opts "$t")" ]; then
            # Fork mode went on after each finding; decide whose they are.
            grep -E '^#[0-9]+: cov' "$log" | tail -n 1 | sed 's/^/  /'
            triage "$t" || {
                echo "fuzz.sh: fuzz_$t found a problem in casesim; inputs in $dir/artifacts/" >&2
                exit 1
            }
        elif [ "$status" -ne 0 ]; then
            tail -n 80 "$log" >&2
            echo "fuzz.sh: fuzz_$t found a problem (exit $status); the input is in $dir/artifacts/" >&2
            echo "  reproduce: $b $dir/artifacts/$t-..." >&2
            exit 1
        fi
        grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)|^#[0-9]+[[:space:]]+DONE' "$log" |
            sed 's/^/  /' || true
    done
    ;;
merge)
    [ $# -gt 0 ] || set -- $(all_targets)
    for t in "$@"; do
        b=$(binary "$t")
        saved="$src/fuzz/corpus/$t"
        new="$dir/merged/$t"
        rm -rf "$new"
        mkdir -p "$new" "$saved" "$dir/corpus/$t"
        # A small set of inputs (smallest first) that keeps every edge
        # covered by the saved and the working corpus: edges only
        # (-use_counters=0), or hit counts would keep thousands of files. The
        # seeds (scenarios/, tests/data/) are left out: every replay and run
        # reads them anyway.
        mkdir -p "$dir/logs"
        "$b" $(target_opts "$t") -use_counters=0 -merge=1 "$new" "$saved" "$dir/corpus/$t" \
            >"$dir/logs/merge_$t.log" 2>&1
        rm -f "$saved"/*
        cp "$new"/* "$saved"/
        echo "fuzz/corpus/$t: $(ls "$saved" | wc -l) inputs, $(cat "$saved"/* | wc -c) bytes"
    done
    ;;
*) usage ;;
esac
