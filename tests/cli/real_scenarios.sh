# real_scenarios.sh — every scenario of scenarios/real/ (and every fitted
# scenario of scenarios/real/fitted/) passes `casesim check`, runs three
# replicates with its uncertain inputs drawn, and its results file says so
# (3 replicates, status complete). A copy with one misspelt key must be
# refused, so that this test can fail.
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

found=0
for f in "$SRCDIR"/scenarios/real/*.yaml "$SRCDIR"/scenarios/real/fitted/*.yaml; do
    [ -e "$f" ] || continue
    found=$((found + 1))
    b=$(basename "$f" .yaml)
    out=$("$CASESIM" check "$f" 2>&1)
    case "$out" in *"The scenario is valid."*) ;; *) fail "$f: not valid: $out"; continue ;; esac
    out=$("$CASESIM" run "$f" -o "$tmp/$b.h5" -n 3 -t 2 -q 2>&1)
    [ $? -eq 0 ] || { fail "$f: run failed: $out"; continue; }
    # The file's own record of what ran (h5dump prints the root's attributes).
    attrs=$(h5dump -A -g / "$tmp/$b.h5" 2>&1)
    reps=$(printf '%s\n' "$attrs" | grep -A4 'ATTRIBUTE "replicates" ' | grep -o '(0): [0-9]*' | head -1)
    [ "$reps" = "(0): 3" ] || fail "$f: replicates recorded '$reps', expected 3"
    case "$attrs" in *'"complete"'*) ;; *) fail "$f: status is not complete" ;; esac
done
[ "$found" -ge 6 ] || fail "only $found scenarios in scenarios/real/"

# A misspelt key in a copy of one of them is refused with FILE:LINE:COL.
sed 's/^time:/tme:/' "$SRCDIR/scenarios/real/kenya.yaml" > "$tmp/bad.yaml"
out=$("$CASESIM" check "$tmp/bad.yaml" 2>&1)
[ $? -eq 2 ] || fail "a misspelt key was not refused: $out"
case "$out" in *"bad.yaml:"[0-9]*":"[0-9]*": unknown key"*) ;; *) fail "no FILE:LINE:COL for the misspelt key: $out" ;; esac

[ "$failures" -eq 0 ]
