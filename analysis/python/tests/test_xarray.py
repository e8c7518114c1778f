"""The file as netCDF-4 readers see it: xarray.open_dataset(path,
group=..., engine="h5netcdf") gives named dimensions with their labels,
because every dataset's axes have HDF5 dimension scales in its own group.

Where the scales must live: h5netcdf (like netCDF-4) takes a dimension's
name from its scale's name, and finds scales in the dataset's group or any
parent; but xarray gives a group's dataset only the coordinates of that
group, so scales in a parent name the axes and lose their labels. The last
test shows it on two small files."""

import h5py
import numpy as np
import xarray as xr

import casesim


def test_runs_group(results_file):
    with casesim.open(results_file) as res:
        groups, measures, stages = res.groups, res.measures, res.stages
        replicates = list(res.file["runs/baseline/replicate_index"][()])
        declared = {k: [casesim.results.text(x) for x in v.attrs["dimensions"]]
                    for k, v in res.file["runs/baseline"].items()
                    if "dimensions" in v.attrs and v.attrs.get("CLASS") != b"DIMENSION_SCALE"}
    with xr.open_dataset(results_file, group="runs/baseline", engine="h5netcdf") as ds:
        for name, dims in declared.items():
            assert list(ds[name].dims) == dims, name
        assert list(ds.coords["group"].values) == groups + ["all"]
        assert list(ds.coords["measure"].values) == measures
        assert list(ds.coords["stage"].values) == stages
        assert list(ds.coords["replicate"].values) == replicates
        x = ds["measures"].sel(group="all", measure="impunity_rate")
        assert x.dims == ("replicate",) and len(x) == len(replicates)


def test_root_and_scenario_groups(results_file):
    with xr.open_dataset(results_file, engine="h5netcdf") as ds:
        assert ds["summary"].dims == ("summary_row",)
        assert ds["ranking"].dims == ("ranking_row",)
    with xr.open_dataset(results_file, group="scenario", engine="h5netcdf") as ds:
        assert ds["measure_units"].dims == ("measures",)
        assert list(ds.coords["groups"].values) == ["reference", "african_descent"]


def scaled_file(path, scales_in_parent):
    vs = h5py.string_dtype()
    with h5py.File(path, "w") as f:
        g = f.create_group("runs/baseline")
        where = f["runs"] if scales_in_parent else g
        m = g.create_dataset("measures", data=np.arange(6.0).reshape(2, 3))
        r = where.create_dataset("replicate", data=np.array([4, 5], dtype="u8"))
        gr = where.create_dataset("group", data=np.array(["a", "b", "all"], dtype=object), dtype=vs)
        for i, s in enumerate((r, gr)):
            s.make_scale(s.name.split("/")[-1])
            m.dims[i].attach_scale(s)


def test_scales_must_be_in_the_dataset_group(tmp_path):
    same, parent = str(tmp_path / "same.h5"), str(tmp_path / "parent.h5")
    scaled_file(same, False)
    scaled_file(parent, True)
    with xr.open_dataset(same, group="runs/baseline", engine="h5netcdf") as ds:
        assert ds["measures"].dims == ("replicate", "group")
        assert list(ds.coords["group"].values) == ["a", "b", "all"]
    with xr.open_dataset(parent, group="runs/baseline", engine="h5netcdf") as ds:
        assert ds["measures"].dims == ("replicate", "group")  # named...
        assert "group" not in ds.coords  # ...but not labelled
