# check_valid.sh — every example scenario passes `casesim check` with exit 0
# and a summary that shows the network; --help and --version work.
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

for f in "$SRCDIR"/scenarios/*.yaml "$SRCDIR"/tests/data/valid/*.yaml; do
    [ -e "$f" ] || continue
    out=$("$CASESIM" check "$f" 2>&1)
    status=$?
    [ "$status" -eq 0 ] || fail "$f: exit $status: $out"
    case "$out" in *"The scenario is valid."*) ;; *) fail "$f: no verdict" ;; esac
    out=$("$CASESIM" check --quiet "$f" 2>&1)
    [ $? -eq 0 ] && [ -z "$out" ] || fail "$f: --quiet printed '$out'"
done

# The illustrative network, as an expert would look for it.
out=$("$CASESIM" check "$SRCDIR/scenarios/illustrative.yaml")
for want in \
    "african_descent      1,500 incidents a year" \
    "staff: 65 x caseload 20 = 1300 cases at once; queue: by violation priority" \
    "lognormal, median 150 days, 90% finish within 480 days, mean 226.4 days" \
    "deadline: 365 days from the incident; cases not finished by then end as time_barred" \
    "-> prosecution_review and disciplinary_hearing (in parallel):" \
    "serious_injury, excessive_force, racial_profiling: reference 25%, african_descent 18%" \
    "death: reference 40%, african_descent 30.51%" \
    "-> unsubstantiated (the rest):" \
    "death: reference 60%, african_descent 69.49%" \
    "-> never_reported: reference 55%, african_descent 70% (the rest)" \
    "convicted            accountability (criminal)" \
    "compensated          redress" \
    "multiplies stages.investigation.staff by 1.5" \
    "full_package: independent_investigations + victim_support + longer_limitation; costs 5,500,000 a year" \
    "Variants that \`casesim run\` will simulate (5)"; do
    case "$out" in *"$want"*) ;; *) fail "illustrative summary lacks: $want" ;; esac
done

out=$("$CASESIM" check --help)
[ $? -eq 0 ] || fail "check --help: nonzero exit"
case "$out" in *"usage: casesim check"*) ;; *) fail "check --help: no usage" ;; esac
out=$("$CASESIM" --help)
[ $? -eq 0 ] || fail "--help: nonzero exit"
case "$out" in *"check    validate a scenario file"*) ;; *) fail "--help does not list check: $out" ;; esac
out=$("$CASESIM" --version)
[ $? -eq 0 ] || fail "--version: nonzero exit"
case "$out" in "casesim "[0-9]*) ;; *) fail "--version printed '$out'" ;; esac

[ "$failures" -eq 0 ]
