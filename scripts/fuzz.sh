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
    results) echo "$src/tests/data/results" ;;
    esac
}

# Options per target: a dictionary if there is one, and the largest input.
target_opts() {
    local t=$1
    [ -f "$src/fuzz/$t.dict" ] && echo "-dict=$src/fuzz/$t.dict"
    case $t in
    scenario) echo "-max_len=16384" ;;
    results) echo "-max_len=262144" ;;
    esac
    echo "-timeout=10 -rss_limit_mb=2048"
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
    if [ ! -f "$dir/CMakeCache.txt" ]; then
        cmake -S "$src" -B "$dir" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
            -DCASESIM_FUZZ=ON -DCASESIM_TESTS=OFF -DCASESIM_WERROR=ON \
            -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$dir/configure.log" 2>&1 ||
            {
                cat "$dir/configure.log" >&2
                exit 1
            }
    fi
    targets=()
    for t in $(all_targets); do targets+=(--target "fuzz_$t"); done
    cmake --build "$dir" -j "${JOBS:-2}" "${targets[@]}"
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
        "$b" $(target_opts "$t") -max_total_time="$seconds" -print_final_stats=1 \
            -artifact_prefix="$dir/artifacts/$t-" "$dir/corpus/$t" $(seed_dirs "$t") \
            >"$log" 2>&1 || status=$?
        if [ "$status" -ne 0 ]; then
            tail -n 80 "$log" >&2
            echo "fuzz.sh: fuzz_$t found a problem (exit $status); the input is in $dir/artifacts/" >&2
            echo "  reproduce: $b $dir/artifacts/$t-..." >&2
            exit 1
        fi
        grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)|^#[0-9]+[[:space:]]+DONE' "$log" |
            sed 's/^/  /'
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
        # The smallest set of inputs that keeps the coverage of the saved and
        # the working corpus. The seeds (scenarios/, tests/data/) are left
        # out: every replay and run reads them anyway.
        mkdir -p "$dir/logs"
        "$b" $(target_opts "$t") -merge=1 "$new" "$saved" "$dir/corpus/$t" \
            >"$dir/logs/merge_$t.log" 2>&1
        rm -f "$saved"/*
        cp "$new"/* "$saved"/
        echo "fuzz/corpus/$t: $(ls "$saved" | wc -l) inputs, $(du -sk "$saved" | cut -f1) KiB"
    done
    ;;
*) usage ;;
esac
