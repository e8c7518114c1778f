# hostile_scenario.sh — hostile scenario files are refused with exit 2 and a
# clear message, in bounded memory and time (issue 8, item 4).
#
# check_invalid.sh already asserts the exit status and message of the alias
# bomb, 10,000 levels of nesting, a file over the size limit, 1e400 and .nan;
# here those get a memory bound, and the cases it lacks are added: replicates
# = 2^62 (and 2^64), staff = 10^12 (directly and through an intervention),
# names and other text of 1 MB in every place a name or a short text goes,
# and NaN / 1e400 spelled the other ways YAML allows.
#
# Memory: each run's maximum resident set size (GNU time) must stay under
# a bound: 64 MiB in a normal build (casesim check on a 4 MiB file needs about
# 10 MiB), 512 MiB under AddressSanitizer, whose shadow memory and quarantine
# of freed blocks (256 MiB by default) count in the RSS. A hostile file that
# made the loader allocate in proportion to an alias expansion, a nesting
# depth or a number read from the file would exceed it.
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
checked=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

if ldd "$CASESIM" 2>/dev/null | grep -q libasan; then
    rss_limit_kb=$((512 * 1024))
else
    rss_limit_kb=$((64 * 1024))
fi

# run_check FILE: runs `casesim check FILE`; sets $status, $err (stderr) and
# $rss_kb, and fails on a crash, a timeout or an RSS over the bound.
run_check() {
    local file=$1
    err=$(cd "$work" && timeout 60 /usr/bin/time -f '%M' -o "$work/rss" \
        "$CASESIM" check "$file" 2>&1 >/dev/null)
    status=$?
    checked=$((checked + 1))
    rss_kb=$(tail -n 1 "$work/rss" 2>/dev/null)
    case "$rss_kb" in
    '' | *[!0-9]*)
        fail "$file: no RSS measured (status $status): $(head -c 300 "$work/rss" 2>/dev/null)"
        rss_kb=0
        ;;
    esac
    if [ "$status" -ge 124 ]; then
        fail "$file: crashed or timed out (exit $status): $(printf '%s' "$err" | head -c 500)"
    fi
    if [ "$rss_kb" -gt "$rss_limit_kb" ]; then
        fail "$file: maximum RSS $rss_kb KiB, over the bound of $rss_limit_kb KiB"
    fi
}

# expect FILE STATUS POS FRAGMENT: exit status, error position and message.
expect() {
    local file=$1 want=$2 pos=$3 fragment=$4
    run_check "$file"
    [ "$status" -eq "$want" ] || fail "$file: exit $status, expected $want: $err"
    case "$err" in
    *"$file:$pos: "*) ;;
    *) fail "$file: no error at $pos: $(printf '%s' "$err" | head -c 500)" ;;
    esac
    case "$err" in
    *"$fragment"*) ;;
    *) fail "$file: message lacks '$fragment': $(printf '%s' "$err" | head -c 500)" ;;
    esac
    # Every message stays short even when the file holds megabytes of text.
    local longest
    longest=$(printf '%s\n' "$err" | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
    [ "$longest" -le 1024 ] || fail "$file: a message line is $longest characters long"
}

# bounded FILE: memory and time only (for cases whose message check_invalid.sh asserts).
bounded() {
    run_check "$1"
    [ "$status" -eq 2 ] || fail "$1: exit $status, expected 2"
}

# A valid scenario to edit: the base of tests/data/invalid/ without its
# expectation line and with a valid replicate count.
base="$work/base.yaml"
tail -n +2 "$SRCDIR/tests/data/invalid/replicates_too_large.yaml" |
    sed 's/replicates: 2000000/replicates: 20/' >"$base"
out=$(cd "$work" && "$CASESIM" check "$base" 2>&1) || fail "the base scenario is not valid: $out"

# variant NAME SED-SCRIPT: a copy of the base edited by sed.
variant() {
    sed "$2" "$base" >"$work/$1.yaml"
    grep -q . "$work/$1.yaml" || fail "variant $1 is empty"
    cmp -s "$base" "$work/$1.yaml" && fail "variant $1: the edit '$2' matched nothing"
}

# 1 MiB of one letter, and a copy of the base with one line replaced by text
# containing it (bash builtins only: a 1 MiB argument exceeds exec's limits).
big=$(printf '%*s' 1048576 '' | tr ' ' a)
with_big() { # NAME LINE REPLACEMENT (BIG in REPLACEMENT becomes 1 MiB)
    local name=$1 pat=$2 rep=${3//BIG/$big} line found=0
    while IFS= read -r line; do
        if [ "$line" = "$pat" ]; then
            printf '%s\n' "$rep"
            found=1
        else
            printf '%s\n' "$line"
        fi
    done <"$base" >"$work/$name.yaml"
    [ "$found" -eq 1 ] || fail "with_big $name: no line '$pat' in the base"
}

# --- huge numbers -----------------------------------------------------------
variant rep62 's/replicates: 20$/replicates: 4611686018427387904/'
expect "$work/rep62.yaml" 2 5:15 '`replicates` is 4611686018427387904; the limit is 1000000'
variant rep64 's/replicates: 20$/replicates: 18446744073709551616/'
expect "$work/rep64.yaml" 2 5:15 '`replicates` is 18446744073709551616; the limit is 1000000'
variant staff12 's/staff: 2$/staff: 1000000000000/'
expect "$work/staff12.yaml" 2 27:12 '`staff` must be between 0 and 1e+06, got 1000000000000'
variant staff12_scale 's/scale: 2$/scale: 1000000000000/'
expect "$work/staff12_scale.yaml" 2 44:15 'intervention `more_staff`, change of `stages.investigation.staff` makes the scenario invalid: `staff` must be between 0 and 1e+06, got 2000000000000'
variant seed_big 's/seed: 7$/seed: 18446744073709551616/'
expect "$work/seed_big.yaml" 2 6:9 'between 0 and 18446744073709551615, got 18446744073709551616'

# --- 1e400 and NaN, every spelling ------------------------------------------
variant rate_neg_overflow 's/incidents_per_year: 100$/incidents_per_year: -1e400/'
expect "$work/rate_neg_overflow.yaml" 2 9:25 '`-1e400` is too large (it overflows a double)'
variant scale_overflow 's/scale: 2$/scale: 1e400/'
expect "$work/scale_overflow.yaml" 2 45:16 '`1e400` is too large (it overflows a double)'
variant seed_overflow 's/seed: 7$/seed: 1e400/'
expect "$work/seed_overflow.yaml" 2 6:9 '`1e400` is too large (it overflows a double)'
for spelling in NaN nan .NaN .NAN; do
    variant "nan_$spelling" "s/incidents_per_year: 100\$/incidents_per_year: $spelling/"
    expect "$work/nan_$spelling.yaml" 2 9:25 'NaN is not allowed'
done
variant scale_nan 's/scale: 2$/scale: .nan/'
expect "$work/scale_nan.yaml" 2 45:16 'NaN is not allowed'
variant cost_inf 's/annual_cost: 1000$/annual_cost: .inf/'
expect "$work/cost_inf.yaml" 2 42:18 'is infinite'
# Costs are bounded (1e15) so that a bundle's sum cannot overflow to inf.
variant cost_huge 's/annual_cost: 1000$/annual_cost: 1e308/'
expect "$work/cost_huge.yaml" 2 42:18 '`annual_cost` must be between -1e+15 and 1e+15, got 1e+308'

# Odds ratios are bounded (1e6) so that the engine's sum of odds cannot
# overflow to inf and silently send every case down the last branch.
variant odds_huge 's/^      - to: sanctioned$/      - to: sanctioned\n        unfounded_odds_ratio: 1e300/'
expect "$work/odds_huge.yaml" 2 33:31 '`unfounded_odds_ratio` must be > 0 and <= 1e+06, got 1e+300'
variant odds_scaled 's/^      - to: sanctioned$/      - to: sanctioned\n        kind_odds_ratio: {death: 2}/; s/path: stages.investigation.staff$/path: stages.investigation.branches[0].kind_odds_ratio.death/; s/scale: 2$/scale: 1e300/'
expect "$work/odds_scaled.yaml" 2 45:15 'makes the scenario invalid: `kind_odds_ratio.death` must be > 0 and <= 1e+06'

# --- text of 1 MiB ------------------------------------------------------------
with_big name1m 'name: base' 'name: BIG'
expect "$work/name1m.yaml" 2 2:7 '`name` is 1048576 characters long; the limit is 256'
with_big qname1m 'name: base' 'name: "BIG"'
expect "$work/qname1m.yaml" 2 2:7 '`name` is 1048576 characters long; the limit is 256'
with_big group1m '  - name: other' '  - name: BIG'
expect "$work/group1m.yaml" 2 10:11 'is 1048576 characters long; the limit is 64'
with_big label1m '  - name: other' $'  - name: other\n    label: BIG'
expect "$work/label1m.yaml" 2 11:12 '`label` is 1048576 characters long; the limit is 256'
with_big stage1m '  - name: investigation' '  - name: BIG'
expect "$work/stage1m.yaml" 2 26:11 'is 1048576 characters long; the limit is 64'
with_big intervention1m '  - name: more_staff' '  - name: BIG'
expect "$work/intervention1m.yaml" 2 41:11 'is 1048576 characters long; the limit is 64'
with_big target1m '      - to: dismissed' '      - to: BIG'
expect "$work/target1m.yaml" 2 34:13 'unknown stage or outcome `aaaaaaaaaaaaaaaa'
with_big path1m '      - path: stages.investigation.staff' '      - path: stages.BIG.staff'
expect "$work/path1m.yaml" 2 44:15 '`path` is 1048589 characters long; the limit is 512'
# libyaml itself refuses a plain key longer than 1024 characters.
with_big key1m '  - name: other' $'  - name: other\n    BIG: 1'
expect "$work/key1m.yaml" 2 11:1048581 'YAML syntax error'
# A description is free text, bounded only by the file size limit (4 MiB):
# 1 MiB of it is valid, and still read in bounded memory.
with_big description1m 'name: base' $'name: base\ndescription: BIG'
run_check "$work/description1m.yaml"
[ "$status" -eq 0 ] || fail "a 1 MiB description: exit $status: $(printf '%s' "$err" | head -c 300)"

# --- memory bounds for the cases check_invalid.sh asserts -----------------------
bounded "$SRCDIR/tests/data/invalid/alias_bomb.yaml"
{
    printf 'casesim: '
    printf '%*s' 10000 '' | tr ' ' '['
    printf '%*s' 10000 '' | tr ' ' ']'
    echo
} >"$work/deep.yaml"
bounded "$work/deep.yaml"
awk 'BEGIN { for (i = 0; i < 90000; i++) print "# " sprintf("%060d", i) }' >"$work/huge.yaml"
bounded "$work/huge.yaml"
{ # 4 MiB minus a little of one flow list: the largest file the size limit lets through.
    printf 'casesim: 1\nbig: ['
    awk 'BEGIN { for (i = 0; i < 199990; i++) printf "%019d,", i; }'
    printf '1]\n'
} >"$work/largest.yaml"
bounded "$work/largest.yaml"

echo "checked $checked hostile scenarios, $failures failures (RSS bound $rss_limit_kb KiB)"
[ "$failures" -eq 0 ]
