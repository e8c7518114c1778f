"""casesim.open: the tables, the arrays with their labelled axes, the
scenario and its provenance, of a fresh results file; other tables found
without being named; damage and other versions refused."""

import os
import zlib

import h5py
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import casesim
from conftest import SRCDIR


def test_provenance_and_scenario(results_file):
    with casesim.open(results_file) as res:
        assert res.format_version == (1, 2)
        p = res.provenance
        assert p["format"] == "casesim-results" and p["status"] == "complete"
        assert p["seed"] == 5 and p["replicates"] == 6 and p["first_replicate"] == 0
        assert "--seed 5" in p["command_line"] and p["casesim_version"]
        assert p["scenario_path"].endswith("minimal.yaml")
        with open(os.path.join(SRCDIR, "scenarios", "minimal.yaml"), encoding="utf-8") as fh:
            assert res.scenario == fh.read()
        assert list(res.variant_info.index) == res.variants == ["baseline", "more_investigators"]
        assert res.variant_info.annual_cost["more_investigators"] == 150000


def test_tables_have_decoded_strings(results_file):
    with casesim.open(results_file) as res:
        s, c, r = res.summary, res.comparison, res.ranking
        for df in (s, c, r):
            assert isinstance(df, pd.DataFrame)
            assert all(isinstance(x, str) for x in df["variant"])
        assert len(s) == len(res.variants) * (len(res.groups) + 1) * len(res.measures)
        assert set(s["group"]) == set(res.groups) | {"all"}
        assert set(c["variant"]) == set(res.variants) - {"baseline"}
        assert list(r["variant"]) == res.variants
        row = res.row("summary", "baseline", "all", "impunity_rate")
        assert row["measure"] == "impunity_rate" and row["units"] == "1"


# The rate each disparity ratio divides: over replicates a ratio is the
# ratio of the two groups' mean rates (analysis/README.md).
RATES = {"accountability_ratio": "accountability_rate", "impunity_ratio": "impunity_rate",
         "redress_ratio": "redress_rate", "time_to_end_median_ratio": "time_to_end_median"}


def ratio_of_means(a, group, reference, rate):
    """The ratio of group's and reference's mean rates over the replicates
    where both are defined (NaN where the reference mean is 0)."""
    x = a.sel(group=group, measure=rate).values
    y = a.sel(group=reference, measure=rate).values
    ok = ~np.isnan(x) & ~np.isnan(y)
    return x[ok].mean() / y[ok].mean() if ok.any() and y[ok].mean() != 0 else np.nan


def test_summary_is_the_mean_of_the_array(results_file):
    """/summary's mean is the mean over replicates of the per-replicate
    measures (a mean of 6 doubles: rounding differs by a few ulp); a
    disparity ratio's is the ratio of the groups' means."""
    with casesim.open(results_file) as res:
        for v in res.variants:
            a = res.array(v, "measures")
            mean = a.mean("replicate", skipna=True)
            s = res.summary[res.summary.variant == v]
            for r in s.itertuples():
                want = float(mean.sel(group=r.group, measure=r.measure))
                if r.measure in RATES and r.group != "all":
                    want = ratio_of_means(a, r.group, res.groups[0], RATES[r.measure])
                if np.isnan(want):
                    assert np.isnan(r.mean)
                else:
                    assert abs(r.mean - want) <= 1e-12 * max(1.0, abs(want)), (v, r)


def test_every_array_has_named_labelled_axes(results_file):
    """Whatever the variant's group holds (read from the file, not from a
    list): each array's axes are named as its `dimensions` say and carry
    labels of the right length, with the groups and `all`, the measures,
    and the replicate numbers."""
    with casesim.open(results_file) as res:
        for v in res.variants:
            g = res.file["runs"][v]
            arrays = [k for k, ds in g.items() if "dimensions" in ds.attrs
                      and ds.attrs.get("CLASS") != b"DIMENSION_SCALE" and not ds.dtype.names]
            assert "measures" in arrays and "backlog" in arrays
            for name in arrays:
                a = res.array(v, name)
                assert list(a.dims) == [casesim.results.text(x) for x in g[name].attrs["dimensions"]]
                for d in a.dims:
                    assert d in a.coords and len(a.coords[d]) == a.sizes[d], (name, d)
                assert "units" in a.attrs and "description" in a.attrs
            m = res.array(v, "measures")
            assert list(m.coords["group"].values) == res.groups + ["all"]
            assert list(m.coords["measure"].values) == res.measures
            assert list(m.coords["replicate"].values) == list(g["replicate_index"][()])
            ds = res.arrays(v)
            assert isinstance(ds, xr.Dataset) and set(arrays) == set(ds.data_vars)
        cases = res.cases("baseline")
        assert set(cases["replicate"]) == {0, 1}


def test_closes(results_file):
    with casesim.open(results_file) as res:
        pass
    assert not res.file.id.valid
    assert len(res.summary) > 0  # what was read stays
    with pytest.raises(Exception):
        res.array("baseline", "measures")


def test_other_tables_found_without_naming_them(results_file, copy_of):
    """A table or group that a later format adds (/decision, /sensitivity,
    ...) is read as it is: compound datasets as DataFrames with decoded
    strings, arrays as DataArrays labelled by their dimension scales."""
    path = copy_of(results_file)
    vs = h5py.string_dtype()
    with h5py.File(path, "r+") as f:
        del f["decision"]  # this build's own /decision: replaced by a made-up one
        t = np.array([("baseline", 0.5), ("more_investigators", 0.25)],
                     dtype=[("variant", vs), ("value", "f8")])
        f.create_dataset("decision/table", data=t, chunks=True)
        wtp = f.create_dataset("decision/willingness_to_pay", data=np.array([0.0, 1e3, 1e4]))
        wtp.make_scale("willingness_to_pay")
        var = f.create_dataset("decision/variant", data=np.array(["baseline", "more_investigators"],
                                                                   dtype=object), dtype=vs)
        var.make_scale("variant")
        nb = f.create_dataset("decision/net_benefit", data=np.arange(6.0).reshape(2, 3))
        nb.dims[0].attach_scale(var)
        nb.dims[1].attach_scale(wtp)
        f.create_dataset("sensitivity", data=t, chunks=True)
    with casesim.open(path) as res:
        d = res.decision
        assert set(d) == {"table", "net_benefit"}
        assert list(d["table"]["variant"]) == ["baseline", "more_investigators"]
        nb = d["net_benefit"]
        assert nb.dims == ("variant", "willingness_to_pay")
        assert float(nb.sel(variant="more_investigators", willingness_to_pay=1e4)) == 5.0
        assert list(res.sensitivity["variant"]) == ["baseline", "more_investigators"]
        assert res.calibration is None
        assert set(res.disparity) == {"relative_rates"}  # written by casesim itself (1.2)
        assert {"summary", "comparison", "ranking", "sensitivity", "decision/table"} <= set(res.tables)


def test_strings_checksum_agrees_with_casesim(results_file):
    """The CRC-32 of each dataset of strings, computed here, is the one the
    C writer stored."""
    n = 0
    with h5py.File(results_file, "r") as f:
        def visit(name, obj):
            nonlocal n
            if isinstance(obj, h5py.Dataset) and "strings_crc32" in obj.attrs:
                data = np.asarray(obj[()])
                assert casesim.results._values_crc(obj, data) == int(obj.attrs["strings_crc32"]), name
                n += 1
        f.visititems(visit)
    assert n >= 16  # 13 lists of /scenario, the source, the three tables
    # Each string with its NUL: {"ab", "c"} and {"a", "bc"} differ.
    assert casesim.strings_crc([b"ab", "c"]) == zlib.crc32(b"ab\0c\0")
    assert casesim.strings_crc(["a", "bc"]) != casesim.strings_crc(["ab", "c"])


def test_other_major_version_refused(results_file, copy_of):
    path = copy_of(results_file)
    with h5py.File(path, "r+") as f:
        f.attrs["format_version"] = np.array([2, 0], "i4")
    with pytest.raises(casesim.NotResults, match=r"results format version 2\.0 cannot be read"):
        casesim.open(path)


def test_not_results(tmp_path):
    path = str(tmp_path / "foreign.h5")
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(casesim.NotResults, match="not a casesim results file"):
        casesim.open(path)
    text = tmp_path / "text.h5"
    text.write_text("casesim: 1\n")
    with pytest.raises(casesim.NotResults, match="not an HDF5 file"):
        casesim.open(str(text))


def flip_in_chunk(path, dataset):
    with h5py.File(path, "r") as f:
        info = f[dataset].id.get_chunk_info(0)
    with open(path, "r+b") as fh:
        fh.seek(info.byte_offset + info.size // 2)
        b = fh.read(1)
        fh.seek(info.byte_offset + info.size // 2)
        fh.write(bytes([b[0] ^ 0xFF]))


def test_damaged_chunk(tiny_copy):
    flip_in_chunk(tiny_copy, "/runs/more_staff/backlog")
    with casesim.open(tiny_copy) as res:  # the tables are intact
        assert len(res.summary) > 0
        with pytest.raises(casesim.DamagedFile, match="damaged file.*backlog"):
            res.array("more_staff", "backlog")
        with pytest.raises(casesim.DamagedFile, match="damaged file"):
            res.verify()
    with pytest.raises(casesim.DamagedFile):
        casesim.open(tiny_copy, verify=True)


def test_changed_strings(tiny_copy):
    """A string of /summary changed (as HDF5 writes it: a new heap object)
    without its checksum: refused on opening."""
    with h5py.File(tiny_copy, "r+") as f:
        rows = f["summary"][0:1]
        rows["measure"][0] = b"incidentz"
        f["summary"][0:1] = rows
    with pytest.raises(casesim.DamagedFile, match="strings of /summary do not match"):
        casesim.open(tiny_copy)


def test_valid_file_verifies(results_file):
    casesim.open(results_file, verify=True).close()
