"""test_hostile_results.py — `casesim report` (and `casesim merge`) refuse
damaged, foreign and malformed results files with exit 2 (1 for a file it cannot open) and a
message naming the file and the problem; it never crashes, hangs or runs out
of memory (issue 8, item 4).

The files are made here from a fresh results file of tests/data/valid/tiny.yaml:
missing, empty, text, a directory, truncated at several lengths, bytes
flipped across the file, a non-casesim HDF5 file, another major format
version, missing groups, datasets and attributes, wrong shapes, types and
names, and two damaged global heaps on which the HDF5 library itself loops
forever or crashes (found by fuzz/fuzz_results.c; `report` and `merge` read
each file first in a child process, model/cli/probe.c). merge also refuses an
output that is one of its inputs or lies in a missing directory."""

import os
import shutil
import struct
import subprocess
import sys
import tempfile

import h5py
import numpy as np

CASESIM = os.environ["CASESIM"]
SRCDIR = os.environ["SRCDIR"]
TINY = os.path.join(SRCDIR, "tests", "data", "valid", "tiny.yaml")
# The report's time limit for reading a file, shortened for the files on
# which HDF5 loops (the default, 60 s, is for real files on slow disks).
# Long enough for the sanitize build to read a good file whole (checksums,
# axis labels) on a loaded machine: 3 s was not.
PROBE_SECONDS = 12
ENV = dict(os.environ, CASESIM_PROBE_SECONDS=str(PROBE_SECONDS))

failures = []
checked = 0


def fail(what):
    failures.append(what)
    print("FAIL:", what, file=sys.stderr)


def report(path, *extra):
    return subprocess.run([CASESIM, "report", path, *extra], capture_output=True, text=True,
                          errors="replace", env=ENV, timeout=120)


def expect(path, status, *fragments):
    """report PATH exits with status, and its stderr names the file and
    contains every fragment."""
    global checked
    checked += 1
    try:
        p = report(path)
    except subprocess.TimeoutExpired:
        fail(f"{path}: report did not finish in 120 s")
        return
    if p.returncode != status:
        fail(f"{path}: exit {p.returncode}, expected {status}: {p.stderr.strip()[:500]}")
    if status != 0:
        # A line starting with the file's name (a sanitizer's report of a
        # crash inside HDF5, in the sanitize build, may come before it).
        if not any(line.startswith(path + ":") for line in p.stderr.splitlines()):
            fail(f"{path}: no message starts with the file's name: {p.stderr[:300]}")
        for frag in fragments:
            if frag not in p.stderr:
                fail(f"{path}: message lacks '{frag}': {p.stderr.strip()[:500]}")
        if p.stdout:
            fail(f"{path}: a refused file still printed a report: {p.stdout[:200]}")


def not_crashed(path):
    """For damage that may or may not be detectable (a flipped byte in the
    middle of a number is valid data): exit 0 or 2, never a crash or a hang,
    and a refusal names the file."""
    global checked
    checked += 1
    try:
        p = report(path)
    except subprocess.TimeoutExpired:
        fail(f"{path}: report did not finish in 120 s")
        return None
    if p.returncode not in (0, 2):
        fail(f"{path}: exit {p.returncode}: {p.stderr.strip()[:500]}")
    elif p.returncode == 2 and not any(line.startswith(path + ":")
                                       for line in p.stderr.splitlines()):
        fail(f"{path}: the refusal does not name the file: {p.stderr[:300]}")
    return p.returncode


def digest(path):
    """What h5py reads in path, object by object: (kind, values and
    dimension scales, attributes), as text. Called only on files that
    `casesim report` has just read whole (every dataset and attribute), so
    HDF5 is not at risk of crashing on them here."""
    out = {}

    def visit(name, obj):
        attrs = repr({k: repr(v) for k, v in obj.attrs.items()
                      if k not in ("DIMENSION_LIST", "REFERENCE_LIST")})
        if isinstance(obj, h5py.Dataset):
            scales = [[sc.name for sc in d.values()] for d in obj.dims]
            out[name] = ("dataset", repr(np.asarray(obj[()]).tolist()) + repr(scales), attrs)
        else:
            out[name] = ("group", "", attrs)

    with h5py.File(path, "r") as f:
        visit("/", f)
        f.visititems(visit)
    return out


def differences(before, path):
    """What reads differently in path than `before` (a digest):
    {"datasets": [...], "attributes": [...]}; everything counts as changed
    if h5py cannot read it."""
    try:
        after = digest(path)
    except Exception as e:  # noqa: BLE001 (any failure to read is a change)
        return {"datasets": [f"(h5py cannot read it: {e})"], "attributes": []}
    changed = {"datasets": [], "attributes": []}
    for name in sorted(set(before) | set(after)):
        x, y = before.get(name), after.get(name)
        if x is None or y is None or x[:2] != y[:2]:
            changed["datasets"].append(name)
        elif x[2] != y[2]:
            changed["attributes"].append(name)
    return changed


def main():
    work = tempfile.mkdtemp()
    try:
        run_all(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"checked {checked} hostile results files, {len(failures)} failures")
    return 1 if failures else 0


def run_all(work):
    good = os.path.join(work, "good.h5")
    p = subprocess.run([CASESIM, "run", TINY, "-o", good, "-q"], capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"cannot make a results file: {p.stderr}")
        return
    expect(good, 0)
    data = open(good, "rb").read()

    def variant(name, content=None, edit=None):
        path = os.path.join(work, name + ".h5")
        if content is not None:
            with open(path, "wb") as f:
                f.write(content)
        else:
            shutil.copyfile(good, path)
            with h5py.File(path, "r+") as f:
                edit(f)
        return path

    # --- not results files at all ----------------------------------------------
    expect(os.path.join(work, "missing.h5"), 1, "cannot open", "No such file")
    expect(variant("empty", b""), 2, "not an HDF5 file, or a damaged one")
    expect(variant("text", open(TINY, "rb").read()), 2, "not an HDF5 file, or a damaged one")
    os.mkdir(os.path.join(work, "dir.h5"))
    expect(os.path.join(work, "dir.h5"), 2, "not an HDF5 file, or a damaged one")
    foreign = os.path.join(work, "foreign.h5")
    with h5py.File(foreign, "w") as f:
        f["x"] = np.arange(10.0)
        f.attrs["title"] = "someone else's data"
    expect(foreign, 2, "not a casesim results file (its attribute 'format' is missing")

    # --- truncated -----------------------------------------------------------------
    for n in (8, 512, 2048, len(data) // 2, len(data) - 1024, len(data) - 1):
        expect(variant(f"truncated_{n}", data[:n]), 2, "not an HDF5 file, or a damaged one")

    # --- bytes flipped across the whole file -------------------------------------
    # 8 bytes flipped at 49 places evenly spaced. Never a crash or a hang.
    # Format 1.2 has checksums on the metadata (HDF5's), on every chunk of
    # data (Fletcher32) and on the strings of every dataset (strings_crc32),
    # and report reads every dataset: a flip that changes what a dataset
    # holds must be refused. What may still read as valid: a flip in bytes
    # that hold nothing (the unused slots of a chunk index, free space in a
    # heap: the file reads exactly as before), or in the text of a string
    # attribute (a description, a unit: HDF5 keeps those in its global heap,
    # which has no checksum, and casesim adds none). Before format 1.2, 41
    # (then, on the file of today's layout, 37) of the 49 read as valid.
    refused = harmless = in_attributes = 0
    good_digest = digest(good)
    for k, off in enumerate(range(0, len(data), max(1, len(data) // 48))):
        b = bytearray(data)
        for i in range(off, min(off + 8, len(b))):
            b[i] ^= 0xFF
        flipped = variant(f"flipped_{k}", bytes(b))
        status = not_crashed(flipped)
        if status == 2:
            refused += 1
        elif status == 0:
            changed = differences(good_digest, flipped)
            if changed["datasets"]:
                fail(f"bytes flipped at {off} changed {changed['datasets'][:3]}, "
                     "and the file was not refused")
            elif changed["attributes"]:
                in_attributes += 1
            else:
                harmless += 1
    print(f"flipped bytes at {k + 1} places: {refused} refused, {harmless} read as valid with "
          f"nothing changed (unused bytes), {in_attributes} read as valid with the text of an "
          f"attribute changed")
    if refused < (k + 1) // 4:
        fail(f"only {refused} of {k + 1} files with flipped bytes were refused: "
             "the checks are not looking")
    b = bytearray(data)
    b[0] ^= 0xFF  # the superblock signature
    expect(variant("flipped_signature", bytes(b)), 2, "not an HDF5 file, or a damaged one")

    # --- another format or version ---------------------------------------------------
    def set_attr(name, value, where="/"):
        def edit(f):
            f[where].attrs[name] = value
        return edit

    expect(variant("format_other", edit=set_attr("format", "casesim-something")), 2,
           "not a casesim results file", '"casesim-something"')
    expect(variant("format_int", edit=set_attr("format", 7)), 2, "not a casesim results file")
    expect(variant("version_2", edit=set_attr("format_version", np.array([2, 0], "i4"))), 2,
           "results format version 2.0 cannot be read")
    expect(variant("version_scalar", edit=set_attr("format_version", np.int32(1))), 2,
           "'format_version' is missing or is not {major, minor}")

    # --- missing parts -----------------------------------------------------------------
    def delete(path):
        def edit(f):
            del f[path]
        return edit

    expect(variant("no_summary", edit=delete("summary")), 2, "the table /summary is missing")
    expect(variant("no_ranking", edit=delete("ranking")), 2, "the table /ranking is missing")
    expect(variant("no_groups", edit=delete("scenario/groups")), 2, "dataset 'groups' is missing")
    expect(variant("no_scenario", edit=delete("scenario")), 2, "the group /scenario is missing")
    expect(variant("no_baseline_run", edit=delete("runs/baseline")), 2, "/runs/baseline")
    expect(variant("no_measures", edit=delete("runs/more_staff/measures")), 2,
           "/runs/more_staff/measures")

    def del_attr(name, where="/"):
        def edit(f):
            del f[where].attrs[name]
        return edit

    expect(variant("no_seed", edit=del_attr("seed")), 2, "attribute 'seed' is missing")
    expect(variant("no_status", edit=del_attr("status")), 2, "attribute 'status' is missing")
    expect(variant("no_kind", edit=del_attr("kind", "runs/baseline")), 2,
           "attribute 'kind' is missing")

    # --- wrong types -------------------------------------------------------------------
    expect(variant("seed_text", edit=set_attr("seed", "seven")), 2,
           "attribute 'seed' is not 1 number")
    expect(variant("status_number", edit=set_attr("status", 3.5)), 2,
           "attribute 'status' is not a single string")

    def replace(path, value):
        def edit(f):
            del f[path]
            f[path] = value
        return edit

    expect(variant("groups_numbers", edit=replace("scenario/groups", np.arange(2))), 2,
           "dataset 'groups' is not a list of strings")

    # --- wrong sizes and shapes --------------------------------------------------------
    vs = h5py.string_dtype()

    def huge_groups(f):
        # Chunked: HDF5 1.10.8 corrupts a file of HDF5's 1.8 format (as
        # casesim writes since format 1.2) when a contiguous dataset of
        # about 90,000 strings or more is written into it.
        del f["scenario/groups"]
        f.create_dataset("scenario/groups", data=np.array(
            [f"g{i}" for i in range(100000)], dtype=object), dtype=vs, chunks=(4096,))

    expect(variant("groups_huge", edit=huge_groups), 2,
           "dataset 'groups' has 100000 entries; at most 4096 expected")
    def set_groups(n):
        def edit(f):
            names = np.array([f"g{i}" for i in range(n)], dtype=object).astype(vs)
            replace("scenario/groups", names)(f)
            replace("scenario/group_labels", names)(f)
        return edit

    expect(variant("groups_too_many", edit=set_groups(17)), 2,
           "/scenario/groups has 17 entries; expected 1 to 16")
    expect(variant("groups_none", edit=set_groups(0)), 2,
           "/scenario/groups has 0 entries; expected 1 to 16")
    expect(variant("labels_disagree", edit=replace(
        "scenario/group_labels", np.array(["only one"], dtype=object).astype(vs))), 2,
        "name lists disagree")
    # Found by fuzzing: a list of the wrong length followed by a missing one
    # made the reader free the first with another list's count (a heap
    # overflow that the sanitize build sees).
    def units_then_missing(f):
        replace("scenario/measure_units", np.array(["1"] * 3, dtype=object).astype(vs))(f)
        del f["scenario/measure_descriptions"]

    expect(variant("units_short_descriptions_missing", edit=units_then_missing), 2,
           "dataset 'measure_descriptions' is missing")
    expect(variant("group_bad_name", edit=replace(
        "scenario/groups", np.array(["a", "../b"], dtype=object).astype(vs))), 2,
        "/scenario/groups[1] is not a valid name")
    expect(variant("variant_path", edit=replace(
        "scenario/variants", np.array(["baseline", "/runs/baseline"], dtype=object).astype(vs))),
        2, "/scenario/variants[1] is not a valid name")
    expect(variant("variants_no_baseline", edit=replace(
        "scenario/variants", np.array(["more_staff", "baseline"], dtype=object).astype(vs))), 2,
        "starts with `more_staff`, not with `baseline`")
    expect(variant("variants_repeat", edit=replace(
        "scenario/variants", np.array(["baseline", "baseline"], dtype=object).astype(vs))), 2,
        "/scenario/variants repeats `baseline`")
    expect(variant("measures_2d", edit=replace("runs/baseline/measures", np.zeros((2, 3)))), 2,
           "cannot read the shape of /runs/baseline/measures")

    def grow_table(name, rows):
        def edit(f):
            old = f[name][:]
            del f[name]
            f[name] = np.resize(old, rows)
        return edit

    # At most variants x (groups + 1) x measures rows: 2 x 3 x 23 for tiny.yaml.
    expect(variant("summary_rows", edit=grow_table("summary", 5000)), 2,
           "the table /summary has 5000 rows; the name lists allow at most 138")
    expect(variant("ranking_rows", edit=grow_table("ranking", 3)), 2,
           "the table /ranking has 3 rows; the name lists allow at most 2")
    expect(variant("mag_unknown", edit=set_attr("most_affected_group", "nobody", "ranking")), 2,
           "names `nobody` as the most affected group")

    # --- damaged global heaps: HDF5 itself loops or crashes -------------------------------
    # Variable-length strings live in "global heap collections" (GCOL). The
    # first one holds the root attributes' strings; its first object starts
    # 16 bytes in: index (2 bytes), references (2), reserved (4), size (8).
    gcol = data.find(b"GCOL")
    if gcol < 0:
        fail("no global heap collection in the results file")
        return
    b = bytearray(data)
    struct.pack_into("<HHIQ", b, gcol + 16, 0, 0, 0, 0)  # a free-space object of size 0
    expect(variant("heap_loop", bytes(b)), 2, f"damaged file: reading it did not finish in {PROBE_SECONDS} seconds")
    b = bytearray(data)
    struct.pack_into("<Q", b, gcol + 24, 1 << 40)  # an object of 1 TiB
    expect(variant("heap_huge_object", bytes(b)), 2, "damaged file: the HDF5 library crashed")

    # --- merge: damaged inputs and output paths -------------------------------------
    # A second range of the same scenario and seed, joinable with good.h5.
    second = os.path.join(work, "second.h5")
    p = subprocess.run([CASESIM, "run", TINY, "-o", second, "--first-replicate", "2", "-q"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"cannot make a second range: {p.stderr}")
        return
    merged = os.path.join(work, "merged.h5")

    def merge(*args):
        global checked
        checked += 1
        return subprocess.run([CASESIM, "merge", *args], capture_output=True, text=True, env=ENV,
                              timeout=120)

    p = merge(good, second, "-o", merged)
    if p.returncode != 0 or not os.path.exists(merged):
        fail(f"merge of two good ranges: exit {p.returncode}: {p.stderr}")
    else:
        os.remove(merged)
    for name, status, fragment in [
            ("heap_loop", 2, f"damaged file: reading it did not finish in {PROBE_SECONDS} seconds"),
            ("heap_huge_object", 2, "damaged file: the HDF5 library crashed"),
            (f"truncated_{len(data) // 2}", 2, "not an HDF5 file, or a damaged one"),
            ("no_summary", 2, "the table /summary is missing"),
            ("summary_rows", 2, "the table /summary has 5000 rows")]:
        bad = os.path.join(work, name + ".h5")
        p = merge(good, bad, "-o", merged)
        if p.returncode != status:
            fail(f"merge with {name}: exit {p.returncode}, expected {status}: {p.stderr[:400]}")
        if not any(line.startswith(bad + ":") and fragment in line
                   for line in p.stderr.splitlines()):
            fail(f"merge with {name}: no message '{bad}: ...{fragment}': {p.stderr[:400]}")
        if os.path.exists(merged):
            fail(f"merge with {name}: an output file was written")
            os.remove(merged)
    leftovers = [f for f in os.listdir(work) if f.startswith(".merged.h5")]
    if leftovers:
        fail(f"merge left temporary files: {leftovers}")
    before = open(second, "rb").read()
    p = merge(good, second, "-o", second, "--overwrite")
    if p.returncode != 2 or "is one of the inputs; choose another name" not in p.stderr:
        fail(f"merge onto an input: exit {p.returncode}: {p.stderr[:300]}")
    if open(second, "rb").read() != before:
        fail("merge onto an input changed the input")
    nowhere = os.path.join(work, "no", "such", "merged.h5")
    p = merge(good, second, "-o", nowhere)
    if p.returncode != 1 or f"cannot write {nowhere}: No such file or directory" not in p.stderr:
        fail(f"merge into a missing directory: exit {p.returncode}: {p.stderr[:300]}")


if __name__ == "__main__":
    sys.exit(main())
