"""Reading a casesim results file (format `casesim-results`, major version 1).

`open(path)` returns a `Results`: pandas tables for /summary, /comparison,
/ranking and any other table of the file (/decision, /sensitivity,
/calibration, /disparity when present), xarray DataArrays for the
per-replicate arrays with named, labelled axes, the scenario text and the
provenance. Nothing here lists the file's datasets: axes come from the
file's dimension scales (format 1.2), or from its `dimensions` attributes
(1.1); only format 1.0, which describes nothing of itself and is frozen,
has its layout written down here.

Damage is reported, never passed on: HDF5 checks each chunk's Fletcher32
when it is read, and this module checks the CRC-32 of every dataset of
strings it reads (`strings_crc32`, format 1.2); `Results.verify()` reads
everything once. Either raises `DamagedFile`.
"""

import zlib

import h5py
import numpy as np
import pandas as pd
import xarray as xr

FORMAT = "casesim-results"
MAJOR = 1
MINOR = 2  # the newest minor version this package knows; newer ones only add
STRINGS_CRC = "strings_crc32"

# Format 1.0 states neither the axes of its arrays nor where their labels
# are; its layout (frozen) is the same as 1.1's.
AXES_1_0 = {
    "measures": ("replicate", "group", "measure"),
    "outcome_counts": ("replicate", "group", "outcome"),
    "stage_entries": ("replicate", "group", "stage"),
    "stage_stats": ("replicate", "stage", "stage_stat"),
    "backlog": ("replicate", "stage", "month"),
    "period_entries": ("replicate", "year", "stage"),
    "period_outcomes": ("replicate", "year", "outcome"),
    "replicate_index": ("replicate",),
    "incidents_simulated": ("replicate",),
    "events": ("replicate",),
}
# Format 1.0 does not record its headline measures either: the report of
# the casesim that wrote it showed these.
HEADLINES_1_0 = [("impunity_rate", "Impunity", "percent"),
                 ("accountability_rate", "Accountability", "percent"),
                 ("redress_rate", "Redress", "percent"),
                 ("accountability_ratio", "Disparity ratio", "ratio"),
                 ("time_to_end_median", "Median days to end of case", "days"),
                 ("pending_share", "Cases still open at the end", "percent")]
LABELS_1_0 = {
    "replicate": ("replicate_index", ""),
    "group": ("/scenario/groups", "all"),
    "measure": ("/scenario/measures", ""),
    "outcome": ("/scenario/outcomes", ""),
    "stage": ("/scenario/stages", ""),
    "stage_stat": ("/scenario/stage_stats", ""),
    "month": ("", ""),
    "year": ("", ""),
}


class NotResults(ValueError):
    """The file is not a casesim results file this package can read."""


class DamagedFile(OSError):
    """The file is damaged: a checksum does not match, or HDF5 cannot read
    a part of it."""


def text(x):
    """A str from what h5py returns for a string (bytes or str)."""
    return x.decode("utf-8", errors="replace") if isinstance(x, bytes) else str(x)


def strings_crc(values, crc=0):
    """The CRC-32 of strings as casesim computes it: each string's UTF-8
    bytes followed by a NUL byte, in order."""
    for v in values:
        b = v if isinstance(v, bytes) else str(v).encode("utf-8")
        crc = zlib.crc32(b + b"\0", crc)
    return crc


def _string_fields(dtype):
    """The names of the variable-length string columns of a compound dtype."""
    return [n for n in (dtype.names or ()) if h5py.check_string_dtype(dtype[n]) is not None
            or dtype[n].kind == "O"]


def _values_crc(ds, data):
    """The CRC of the strings of dataset ds, whose values are data."""
    if data.dtype.names:
        cols = _string_fields(data.dtype)
        return strings_crc(r[c] for r in data.reshape(-1) for c in cols)
    return strings_crc(np.asarray(data, dtype=object).reshape(-1))


class Results:
    """An open results file. Use as a context manager (`with
    casesim.open(path) as res:`) or call close(). The small tables are read
    at once; the per-replicate arrays when asked for."""

    def __init__(self, path, verify=False):
        self.path = str(path)
        try:
            self._file = h5py.File(self.path, "r")
        except OSError as e:
            raise NotResults(f"{self.path}: not an HDF5 file, or a damaged one ({e})") from None
        try:
            self._open()
            if verify:
                self.verify()
        except BaseException:
            self._file.close()
            raise

    # ------------------------------------------------------------ life cycle

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Closes the file; the tables already read stay usable."""
        self._file.close()

    @property
    def file(self):
        """The open h5py.File, for what this class does not offer."""
        return self._file

    # -------------------------------------------------------------- reading

    def _damaged(self, what, e):
        return DamagedFile(f"{self.path}: damaged file: {what}: {e}")

    def read(self, ds):
        """The values of dataset ds, its strings checked against their CRC
        (format 1.2). Raises DamagedFile."""
        try:
            data = ds[()]
        except (OSError, RuntimeError, ValueError) as e:
            raise self._damaged(f"cannot read {ds.name}", e) from None
        if STRINGS_CRC in ds.attrs:
            data_arr = np.asarray(data)
            want = int(ds.attrs[STRINGS_CRC])
            got = _values_crc(ds, data_arr)
            if got != want:
                raise DamagedFile(f"{self.path}: damaged file: the strings of {ds.name} do not "
                                  f"match their checksum ({STRINGS_CRC} {want:08x}, computed "
                                  f"{got:08x})")
        return data

    def _strings(self, ds):
        return [text(x) for x in np.asarray(self.read(ds)).reshape(-1)]

    def _open(self):
        f = self._file
        a = f.attrs
        fmt = text(a.get("format", b""))
        if fmt != FORMAT:
            raise NotResults(f"{self.path}: not a casesim results file (its attribute 'format' "
                             f"is {fmt!r}, expected {FORMAT!r})")
        try:
            major, minor = (int(v) for v in a["format_version"])
        except (KeyError, TypeError, ValueError):
            raise NotResults(f"{self.path}: the attribute 'format_version' is missing or is not "
                             "{major, minor}") from None
        if major != MAJOR:
            raise NotResults(f"{self.path}: results format version {major}.{minor} cannot be "
                             f"read by this casesim package, which reads version {MAJOR}.x; "
                             "use a casesim of the matching major version")
        self.format_version = (major, minor)
        self.provenance = {k: (text(v) if isinstance(v, (bytes, str)) else
                               np.asarray(v).tolist()) for k, v in a.items()}
        self.status = text(a["status"])
        self.replicates = int(a["replicates"])
        self.level = float(a["confidence_level"])
        sc = f["scenario"]
        self.scenario = text(self.read(sc["source"]))
        self.scenario_name = text(sc.attrs["name"])
        self.scenario_description = text(sc.attrs["description"]).strip()
        self.provenance["scenario_path"] = text(sc.attrs.get("path", ""))
        self.provenance["scenario_name"] = self.scenario_name
        self.years = {k: float(sc.attrs[k + "_years"]) for k in ("warmup", "cohort", "follow_up")}
        # Time and feedback (1.2, optional: absent from files of other builds):
        # the calendar year the run starts (NaN: years of the run from 0), the
        # feedback loops' names (none: []).
        self.start_year = float(sc.attrs.get("start_year", np.nan))
        self.feedbacks = [x for x in (self._strings(sc["feedbacks"]) if "feedbacks" in sc else [])
                          if x != "none"]
        for name in ("groups", "group_labels", "stages", "outcomes", "measures", "measure_units",
                     "measure_descriptions"):
            setattr(self, name, self._strings(sc[name]))
        # Every variant of the file (all_variants), and those compared with
        # the baseline and ranked (variants): the variants of a
        # counterfactual decomposition (kind "decomposition", format 1.2)
        # are read through the /disparity tables instead.
        self.all_variants = self._strings(sc["variants"])
        self.variant_info = self._variant_info()
        self.variants = [v for v in self.all_variants
                         if self.variant_info.kind[v] != "decomposition"]
        self.summary = self.table("summary")
        self.comparison = self.table("comparison")
        self.ranking = self.table("ranking")
        rk = f["ranking"].attrs
        self.most_affected_group = text(rk["most_affected_group"])
        self.bootstrap_resamples = int(rk["bootstrap_resamples"])
        sm = f["summary"].attrs
        self.headlines = (list(zip(*(list(map(text, sm[k])) for k in (
            "headline_measures", "headline_labels", "headline_display"))))
            if "headline_measures" in sm else list(HEADLINES_1_0))
        self._index = {}

    def label(self, group):
        """The human-readable name of a group ("All victims" for "all")."""
        return "All victims" if group == "all" else self.group_labels[self.groups.index(group)]

    def _variant_info(self):
        rows = []
        for v in self.all_variants:
            g = self._file["runs"][v]
            rows.append({"variant": v, "kind": text(g.attrs["kind"]),
                         "description": text(g.attrs["description"]),
                         "annual_cost": float(g.attrs["annual_cost"]),
                         # 1.2: the mean annual cost over the cohort window, each
                         # intervention paid from its `starts` (what cost per point uses)
                         "annual_cost_in_force": float(g.attrs.get("annual_cost_in_force",
                                                                   g.attrs["annual_cost"])),
                         "interventions": [text(x) for x in g.attrs["interventions"]]})
        return pd.DataFrame(rows).set_index("variant")

    # --------------------------------------------------------------- tables

    def frame(self, ds):
        """A 1-D compound dataset as a DataFrame, its strings decoded."""
        data = self.read(ds)
        df = pd.DataFrame(data)
        for c in df.columns:
            if df[c].dtype == object:
                df[c] = [text(x) for x in df[c]]
        return df

    def _member(self, obj):
        if isinstance(obj, h5py.Group):
            return {k: self._member(v) for k, v in obj.items() if not _is_scale(v)}
        if obj.dtype.names:
            return self.frame(obj)
        return self.data_array(obj)

    def table(self, name):
        """The table at `name` (e.g. "summary", "decision") as a DataFrame;
        a group as a dict of its members (tables as DataFrames, arrays as
        DataArrays); None if the file has no such object."""
        obj = self._file.get(name)
        return None if obj is None else self._member(obj)

    @property
    def tables(self):
        """Every table of the file outside /runs and /scenario, by path."""
        out = {}

        def visit(name, obj):
            if (isinstance(obj, h5py.Dataset) and obj.dtype.names
                    and not name.startswith(("runs/", "scenario/"))):
                out[name] = self.frame(obj)
        self._file.visititems(visit)
        return out

    decision = property(lambda self: self.table("decision"))
    sensitivity = property(lambda self: self.table("sensitivity"))
    calibration = property(lambda self: self.table("calibration"))
    disparity = property(lambda self: self.table("disparity"))
    # How fast (1.2, None in a file without measures by arrival year).
    summary_by_year = property(lambda self: self.table("summary_by_year"))
    comparison_by_year = property(lambda self: self.table("comparison_by_year"))
    timing = property(lambda self: self.table("timing"))

    @property
    def origin(self):
        """The calendar year of the run's start (0 without time.start_year):
        time in years on a figure's axis is origin + years of the run."""
        return self.start_year if np.isfinite(self.start_year) else 0.0

    def year_axis(self):
        """The label of a time axis in years."""
        return ("year" if np.isfinite(self.start_year)
                else "years since the start of the simulation")

    def row(self, table, variant, group, measure):
        """The row of table ("summary" or "comparison") for (variant, group,
        measure) as a dict, or None."""
        if table not in self._index:
            df = getattr(self, table)
            self._index[table] = {(r["variant"], r["group"], r["measure"]): r
                                  for r in df.to_dict("records")}
        return self._index[table].get((variant, group, measure))

    # --------------------------------------------------------------- arrays

    def _axes(self, ds):
        """The names of ds's axes and their labels (None: no labels)."""
        names, coords = [], []
        scaled = all(len(ds.dims[i]) for i in range(ds.ndim))
        if scaled and ds.ndim:
            for i in range(ds.ndim):
                sc = ds.dims[i][0]
                names.append(sc.name.split("/")[-1])
                coords.append(self._labels(sc))
            return names, coords
        dims = ([text(x) for x in ds.attrs["dimensions"]] if "dimensions" in ds.attrs
                else list(AXES_1_0.get(ds.name.split("/")[-1], ())))
        if len(dims) != ds.ndim:
            return [f"{ds.name.split('/')[-1]}_axis{i}" for i in range(ds.ndim)], [None] * ds.ndim
        sc = self._file["scenario"].attrs
        if "dimension_names" in sc:
            where = dict(zip(map(text, sc["dimension_names"]),
                             zip(map(text, sc["dimension_labels"]),
                                 map(text, sc["dimension_extra_labels"]))))
        else:
            where = LABELS_1_0
        for axis, dim in enumerate(dims):
            path, extra = where.get(dim, ("", ""))
            if path:
                src = self._file[path] if path.startswith("/") else ds.parent[path]
                labels = self._labels(src) + ([extra] if extra else [])
            else:
                labels = list(range(ds.shape[axis]))
            names.append(dim)
            coords.append(labels if len(labels) == ds.shape[axis] else None)
        return names, coords

    def _labels(self, ds):
        data = np.asarray(self.read(ds))
        if data.dtype.kind in "OSU":
            return [text(x) for x in data.reshape(-1)]
        return data.reshape(-1).tolist()

    def data_array(self, ds):
        """Dataset ds as an xarray.DataArray with its axes named and
        labelled, and its units and description as attributes."""
        names, coords = self._axes(ds)
        attrs = {}
        for k in ("units", "description"):
            if k in ds.attrs:
                v = ds.attrs[k]
                attrs[k] = text(v) if isinstance(v, (bytes, str)) else [text(x) for x in v]
        return xr.DataArray(self.read(ds), dims=names,
                            coords={n: c for n, c in zip(names, coords) if c is not None},
                            name=ds.name.split("/")[-1], attrs=attrs)

    def array(self, variant, name):
        """The per-replicate array `name` (e.g. "measures") of a variant as
        a DataArray: axes named ("replicate", "group", "measure") and
        labelled (replicate numbers, group names and "all", measure names)."""
        try:
            ds = self._file["runs"][variant][name]
        except KeyError:
            raise KeyError(f"{self.path}: no array {name!r} of variant {variant!r}") from None
        return self.data_array(ds)

    def arrays(self, variant):
        """Every per-replicate array of a variant, as one xarray.Dataset."""
        g = self._file["runs"][variant]
        return xr.Dataset({k: self.data_array(v) for k, v in g.items()
                           if isinstance(v, h5py.Dataset) and not _is_scale(v)
                           and not v.dtype.names})

    def cases(self, variant):
        """The case records of a variant (with --case-records) as a
        DataFrame, or None."""
        ds = self._file["runs"][variant].get("cases")
        return None if ds is None else self.frame(ds)

    # ----------------------------------------------------------- checking

    def verify(self):
        """Reads every dataset and attribute of the file once, so that every
        checksum is checked (Fletcher32 of each chunk, strings_crc32 of each
        dataset of strings), and checks that each dimension scale is the one
        the dataset's `dimensions` name. Raises DamagedFile."""
        def visit(name, obj):
            try:
                dict(obj.attrs.items())
            except (OSError, RuntimeError, ValueError) as e:
                raise self._damaged(f"cannot read the attributes of /{name}", e) from None
            if not isinstance(obj, h5py.Dataset):
                return
            self.read(obj)
            self._check_scales(obj)
        visit("", self._file)
        self._file.visititems(visit)

    def _check_scales(self, ds):
        if "dimensions" not in ds.attrs or _is_scale(ds):
            return
        dims = [text(x) for x in ds.attrs["dimensions"]]
        for i, dim in enumerate(dims[:ds.ndim]):
            try:
                scales = [s.name.split("/")[-1] for s in ds.dims[i].values()]
            except (OSError, RuntimeError, ValueError, KeyError) as e:
                raise self._damaged(f"cannot read the dimension scales of {ds.name}", e) from None
            if scales and scales != [dim]:
                raise DamagedFile(f"{self.path}: damaged file: axis {i} of {ds.name} is "
                                  f"{dim!r} but its dimension scale is {scales}")


def _is_scale(obj):
    return isinstance(obj, h5py.Dataset) and obj.attrs.get("CLASS") == b"DIMENSION_SCALE"


def open(path, verify=False):  # noqa: A001 (the package's entry point: casesim.open)
    """Opens the results file at path (see Results). verify=True reads the
    whole file once first (Results.verify). Raises NotResults for a file of
    another kind or major version, DamagedFile for a damaged one."""
    return Results(path, verify=verify)
