# old_results.sh — results files of an older minor version still read, and
# the rules for joining them (tests/data/results: format 1.0, written by
# casesim 0.1.0 before format 1.1):
#  - `casesim report` reads a 1.0 file, in every format, exactly as the
#    casesim of today reads it (checksums absent are not damage);
#  - `casesim merge` joins two 1.0 files of one run: the joined file is of
#    today's format (1.2: labelled axes, checksums) with every replicate;
#  - `casesim merge` refuses a 1.0 file with a file of today's format (exit
#    2, both versions named, nothing written): files of one run have one
#    format, and a file of another format was written by another casesim;
#  - a file claiming a newer major version is refused, naming it.
set -u
: "${CASESIM:?CASESIM must name the casesim binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"

. "$SRCDIR/tests/cli/lib.sh"
old="$SRCDIR/tests/data/results/format_1.0_minimal.h5"
next="$SRCDIR/tests/data/results/format_1.0_minimal_next.h5"

version() { h5dump -a format_version "$1" | sed -n 's/.*(0): \([0-9]*\), \([0-9]*\).*/\1.\2/p'; }

[ "$(version "$old")" = "1.0" ] || fail "the kept file is not of format 1.0: $(version "$old")"

# report reads it in every format.
for format in text csv markdown; do
    expect_exit 0 "report --format $format of a 1.0 file" -- "$CASESIM" report "$old" --format "$format"
done
expect_exit 0 "report of a 1.0 file" -- "$CASESIM" report "$old"
grep -q "Impunity" "$work/stdout" || fail "the report of a 1.0 file lacks its tables"

# Two 1.0 ranges of one run join into a file of today's format.
expect_exit 0 "merge of two 1.0 files" -- "$CASESIM" merge "$old" "$next" -o "$work/joined.h5"
[ "$(version "$work/joined.h5")" = "1.2" ] || fail "the joined file is of format $(version "$work/joined.h5")"
expect_exit 0 "report of the joined file" -- "$CASESIM" report "$work/joined.h5"
grep -q "6 replicates" "$work/stdout" || fail "the joined file does not hold 6 replicates"
h5dump -d /runs/baseline/replicate "$work/joined.h5" 2>/dev/null | grep -q "0, 1, 2, 3, 4, 5" ||
    fail "the joined file's replicate axis is not labelled 0..5"

# A 1.0 file and a file of today's format of the same scenario and seed.
"$CASESIM" run "$SRCDIR/scenarios/minimal.yaml" -o "$work/today.h5" --first-replicate 3 \
    --replicates 3 -q || fail "cannot write a file of today's format"
expect_exit 2 "merge of a 1.0 file with a 1.2 file" -- "$CASESIM" merge "$old" "$work/today.h5" \
    -o "$work/mixed.h5"
expect_message "have results format versions 1.0 and 1.2" "merge of mixed versions"
[ ! -e "$work/mixed.h5" ] || fail "merge of mixed versions wrote a file"

# A newer major version is refused, naming it.
cp "$old" "$work/v2.h5"
/usr/bin/python3 - "$work/v2.h5" <<'PY' || fail "cannot edit the version"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    f.attrs["format_version"] = np.array([2, 3], "i4")
PY
expect_exit 2 "report of a 2.3 file" -- "$CASESIM" report "$work/v2.h5"
expect_message "results format version 2.3 cannot be read" "report of a 2.3 file"
expect_exit 2 "merge with a 2.3 file" -- "$CASESIM" merge "$old" "$work/v2.h5" -o "$work/m.h5"
expect_message "results format version 2.3 cannot be read" "merge with a 2.3 file"

finish "old results files"
