# lib.sh — what the command-line test scripts share. Source it after
# checking CASESIM and SRCDIR:
#     . "$SRCDIR/tests/cli/lib.sh"
# It makes a scratch folder $work (removed on exit, write-protected files
# included), counts failures and gives:
#   fail TEXT                            record a failure, keep going
#   expect_exit WANT WHAT -- COMMAND...  run COMMAND (stdout and stderr kept
#                                        in $work), fail unless it exits WANT
#   expect_message TEXT WHAT             fail unless the last stderr says TEXT
#   h5attr FILE ATTR                     a root attribute as h5dump prints it
#   finish LABEL                         exit 1 with the count of failures,
#                                        or print "LABEL: all checks passed"
# and $same, the command that compares two results files dataset by dataset.

work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
same="/usr/bin/python3 $SRCDIR/tests/support/h5_same.py"
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

expect_exit() {
    local want=$1 what=$2
    shift 3
    "$@" >"$work/stdout" 2>"$work/stderr"
    local got=$?
    [ "$got" -eq "$want" ] || fail "$what: exit $got, expected $want; stderr: $(cat "$work/stderr")"
}

expect_message() {
    grep -q -- "$1" "$work/stderr" || fail "$2: the message does not say '$1': $(cat "$work/stderr")"
}

h5attr() {
    h5dump -a "/$2" "$1" 2>/dev/null | sed -n 's/^ *(0): *//p' | tr -d '"'
}

finish() {
    if [ "$failures" -gt 0 ]; then
        echo "$failures failure(s)" >&2
        exit 1
    fi
    echo "$1: all checks passed"
}
