# check_invalid.sh — every invalid scenario is refused with exit 2, a
# FILE:LINE:COLUMN: position and the expected message, never a crash, and
# without creating any file.
#
# Each tests/data/invalid/*.yaml declares its expectation on its first line:
#   # expect: STATUS LINE:COLUMN message fragment
# Files too large to commit (oversize lists, deep nesting, an empty file, a
# file over the size limit) are generated here, in a temporary directory.
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gen="$work/generated"
cwd="$work/cwd" # casesim runs here; it must stay empty
mkdir -p "$gen" "$cwd"
failures=0
checked=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# check FILE STATUS POS FRAGMENT
check() {
    local file=$1 want_status=$2 pos=$3 fragment=$4
    local err status
    err=$(cd "$cwd" && "$CASESIM" check "$file" 2>&1 >/dev/null)
    status=$?
    checked=$((checked + 1))
    if [ "$status" -ge 128 ]; then
        fail "$file: crashed (exit $status): $err"
        return
    fi
    [ "$status" -eq "$want_status" ] || fail "$file: exit $status, expected $want_status"
    case "$err" in
    *"$file:$pos: "*) ;;
    *) fail "$file: no error at $pos: $err" ;;
    esac
    case "$err" in
    *"$fragment"*) ;;
    *) fail "$file: message lacks '$fragment': $err" ;;
    esac
}

for f in "$SRCDIR"/tests/data/invalid/*.yaml; do
    header=$(head -n 1 "$f")
    case "$header" in
    "# expect: "*) ;;
    *)
        fail "$f: first line is not '# expect: STATUS LINE:COL fragment'"
        continue
        ;;
    esac
    rest=${header#"# expect: "}
    status=${rest%% *}
    rest=${rest#* }
    pos=${rest%% *}
    fragment=${rest#* }
    check "$f" "$status" "$pos" "$fragment"
done

# A valid prefix used by the generated files.
head_yaml() {
    printf 'casesim: 1\nname: generated\ntime: {warmup_years: 1, cohort_years: 1, follow_up_years: 1}\n'
}

# 100 groups: over CS_MAX_GROUPS (16); the error names the limit.
{
    head_yaml
    echo "groups:"
    for i in $(seq 1 100); do printf '  - name: g%d\n    incidents_per_year: 1\n' "$i"; done
} >"$gen/groups100.yaml"
check "$gen/groups100.yaml" 2 5:3 "has 100 entries; the limit is 16"

# 100 stages: over CS_MAX_STAGES (64).
{
    head_yaml
    printf 'groups:\n  - {name: a, incidents_per_year: 1}\n'
    printf 'violations:\n  - {name: v, share: 1, well_founded: 0.5}\n'
    echo "stages:"
    for i in $(seq 1 100); do printf '  - name: s%d\n    branches: [{to: done}]\n' "$i"; done
    printf 'outcomes:\n  done: {}\n'
} >"$gen/stages100.yaml"
check "$gen/stages100.yaml" 2 9:3 "has 100 entries; the limit is 64"

# 10,000 levels of nesting: refused at level 65, at once.
{
    printf 'casesim: '
    for _ in $(seq 1 10000); do printf '['; done
    for _ in $(seq 1 10000); do printf ']'; done
    echo
} >"$gen/deep.yaml"
check "$gen/deep.yaml" 2 1:73 "nesting deeper than 64 levels"

# 2,000 levels of block mappings (10,000 would exceed the size limit: indentation grows).
awk 'BEGIN { for (i = 0; i < 2000; i++) { printf "%*sk%d:\n", i, "", i } }' >"$gen/deep_block.yaml"
check "$gen/deep_block.yaml" 2 65:65 "nesting deeper than 64 levels"

# 300,000 values in one flow list: over the node budget.
{
    printf 'casesim: 1\nbig: ['
    awk 'BEGIN { for (i = 0; i < 300000; i++) printf "1,"; }'
    printf '1]\n'
} >"$gen/many_nodes.yaml"
check "$gen/many_nodes.yaml" 2 2:399997 "YAML values (the limit)"

# An empty file (0 bytes).
: >"$gen/empty.yaml"
check "$gen/empty.yaml" 2 1:1 "the file is empty"

# A file over CS_MAX_FILE_BYTES (4 MiB).
awk 'BEGIN { for (i = 0; i < 90000; i++) print "# " sprintf("%060d", i) }' >"$gen/huge.yaml"
check "$gen/huge.yaml" 2 1:1 "the limit is 4194304"

# A NUL byte.
printf 'casesim: 1\nname: a\0b\n' >"$gen/nul.yaml"
check "$gen/nul.yaml" 2 2:8 "NUL byte"

# UTF-16 (with its byte-order mark) is not UTF-8.
printf '\xff\xfec\x00a\x00\n\x00' >"$gen/utf16.yaml"
check "$gen/utf16.yaml" 2 1:1 "not valid UTF-8"

# Usage errors: exit 2 and a usage message, no position.
out=$(cd "$cwd" && "$CASESIM" check 2>&1)
[ $? -eq 2 ] || fail "check without a file: expected exit 2"
case "$out" in *usage:*) ;; *) fail "check without a file: no usage: $out" ;; esac
out=$(cd "$cwd" && "$CASESIM" check --bogus x.yaml 2>&1)
[ $? -eq 2 ] || fail "check --bogus: expected exit 2"
out=$(cd "$cwd" && "$CASESIM" check "$work/does-not-exist.yaml" 2>&1)
[ $? -eq 2 ] || fail "check of a missing file: expected exit 2: $out"

# Nothing was written: the working directory is still empty.
if [ -n "$(ls -A "$cwd")" ]; then
    fail "casesim check created files: $(ls -A "$cwd")"
fi

n_files=$(ls "$SRCDIR"/tests/data/invalid/*.yaml | wc -l)
if [ "$n_files" -lt 40 ]; then
    fail "only $n_files invalid scenario files (want at least 40)"
fi
echo "checked $checked invalid scenarios, $failures failures"
[ "$failures" -eq 0 ]
