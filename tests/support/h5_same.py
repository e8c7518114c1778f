#!/usr/bin/python3
"""h5_same.py A.h5 B.h5 — exit 0 if two casesim results files hold the same
data and attributes, apart from the root attributes `created` and
`command_line` (which record when and how each file was made); 1 otherwise,
with h5diff's report of what differs.

Both files are copied, the two attributes blanked in the copies with h5py,
and the copies compared with h5diff (datasets, groups and every other
attribute). The inputs are not modified."""
import shutil
import subprocess
import sys
import tempfile

import h5py

IGNORED = ("created", "command_line")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        copies = []
        for i, path in enumerate(sys.argv[1:]):
            copy = f"{tmp}/{i}.h5"
            shutil.copyfile(path, copy)
            with h5py.File(copy, "r+") as f:
                for name in IGNORED:
                    if name in f.attrs:
                        f.attrs[name] = ""
            copies.append(copy)
        r = subprocess.run(["h5diff", "-r", *copies], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"{sys.argv[1]} and {sys.argv[2]} differ:", file=sys.stderr)
            print(r.stdout[-4000:], r.stderr[-2000:], file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
