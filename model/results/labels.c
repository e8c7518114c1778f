/*
 * results/labels.c — HDF5 dimension scales (H5DS) for every dataset of a
 * results file that names its axes (see results/internal.h).
 *
 * A dataset names its axes in its attribute `dimensions` (the schema's
 * per-replicate arrays, the analysis tables, the case records, the name
 * lists of /scenario). For each axis this attaches a dimension scale: a
 * dataset named after the axis, in the same group, holding its labels
 * (netCDF-4 readers such as h5netcdf and xarray take a scale's name as the
 * dimension's name, and give a group's dataset only the coordinates of its
 * own group: scales in a parent group name the axes but lose the labels).
 * Where the labels come from is the schema's (cs_schema_axis_of): a string
 * list of /scenario with an extra label (groups and "all"), the sibling
 * replicate_index for the replicate axis, or the position 0, 1, ... A list
 * named after its own axis (/scenario/groups) is that axis's scale.
 *
 * Nothing here knows a dataset by name: whatever names its axes gets scales,
 * so an array added to the schema has them without an edit here.
 */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "results/h5util.h"
#include "results/internal.h"
#include "results/schema.h"

/* The paths of the datasets to label, collected before any is changed
 * (HDF5 does not allow creating objects while it visits them). */
typedef struct path_list {
    char **paths;
    size_t n, cap;
    int status;
} path_list;

/* Whether the object at name (relative to g) is a dataset that names its
 * axes. Links rather than objects are visited (H5Lvisit), and the object
 * opened to see its kind, because the object-visiting API differs between
 * HDF5 1.10 and 1.12. */
static bool names_axes(hid_t g, const char *name)
{
    hid_t o = H5Oopen(g, name, H5P_DEFAULT);
    bool yes = o >= 0 && H5Iget_type(o) == H5I_DATASET && H5Aexists(o, "dimensions") > 0;
    H5Eclear2(H5E_DEFAULT);
    if (o >= 0)
        H5Oclose(o);
    return yes;
}

static herr_t collect(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    path_list *l = data;
    if (info->type != H5L_TYPE_HARD || !names_axes(g, name))
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **p = realloc(l->paths, cap * sizeof *p);
        if (!p) {
            l->status = CS_ENOMEM;
            return 1;
        }
        l->paths = p;
        l->cap = cap;
    }
    l->paths[l->n] = cs_xstrdup(name);
    if (!l->paths[l->n]) {
        l->status = CS_ENOMEM;
        return 1;
    }
    l->n++;
    return 0;
}

/* The group holding the dataset at path (relative to the file's root), and
 * the dataset's own name. */
static hid_t parent_of(hid_t file, const char *path, const char **base)
{
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    if (!slash)
        return H5Gopen2(file, "/", H5P_DEFAULT);
    char parent[1024];
    snprintf(parent, sizeof parent, "/%.*s", (int)(slash - path), path);
    return H5Gopen2(file, parent, H5P_DEFAULT);
}

/* The length of the 1-D dataset ds, or -1 if it is not 1-D. */
static long long length_1d(hid_t ds)
{
    hid_t s = H5Dget_space(ds);
    hsize_t n = 0;
    bool ok =
        s >= 0 && H5Sget_simple_extent_ndims(s) == 1 && H5Sget_simple_extent_dims(s, &n, NULL) >= 0;
    cs_h5_close(&s);
    return ok ? (long long)n : -1;
}

/* String labels: the list at src (relative to g, or absolute) and the extra
 * label, written as g/name. */
static int copy_string_labels(hid_t g, const char *name, const char *src, const char *extra,
                              hsize_t n, cs_error *err)
{
    char **v = NULL;
    size_t count = 0;
    int st = cs_h5_read_strings(g, src, &v, &count, err);
    if (st != CS_OK)
        return st;
    const char **all = cs_xcalloc(count + 1, sizeof *all);
    if (!all) {
        cs_h5_free_strings(v, count);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < count; i++)
        all[i] = v[i];
    if (extra)
        all[count++] = extra;
    if (count != n)
        st = cs_error_set(
            err, CS_EINTERNAL, "the axis '%s' has %llu entries but its labels (%s%s%s) %zu", name,
            (unsigned long long)n, src, extra ? " and " : "", extra ? extra : "", count);
    else
        st = cs_h5_write_strings(g, name, all, count, err);
    free(all);
    cs_h5_free_strings(v, extra ? count - 1 : count);
    return st;
}

/* Numeric labels: the n values of the 1-D dataset src, copied as g/name in
 * their own type. */
static int copy_numeric_labels(hid_t g, const char *name, hid_t from, hsize_t n, cs_error *err)
{
    hid_t ft = H5Dget_type(from), mt = H5I_INVALID_HID, d = H5I_INVALID_HID;
    mt = ft < 0 ? H5I_INVALID_HID : H5Tget_native_type(ft, H5T_DIR_ASCEND);
    size_t size = mt < 0 ? 0 : H5Tget_size(mt);
    void *buf = size ? cs_xcalloc(n ? (size_t)n : 1, size) : NULL;
    int st = CS_OK;
    if (!buf)
        st = cs_h5_fail(err, CS_ENOMEM, "cannot copy the labels of the axis '%s'", name);
    else if (n > 0 && H5Dread(from, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        st = cs_h5_fail(err, CS_EFORMAT, "cannot read the labels of the axis '%s'", name);
    if (st == CS_OK && (d = cs_h5_create_rows(g, name, ft, 0, NULL, size, n, err)) < 0)
        st = CS_EIO;
    if (st == CS_OK && n > 0)
        st = cs_h5_append_rows(d, mt, 0, NULL, 0, n, buf, name, err);
    if (cs_h5_close(&d) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "cannot close the scale '%s'", name);
    free(buf);
    cs_h5_close(&mt);
    cs_h5_close(&ft);
    return st;
}

/* Positions 0 .. n - 1 as g/name. */
static int write_positions(hid_t g, const char *name, hsize_t n, cs_error *err)
{
    uint64_t *pos = cs_xcalloc(n ? (size_t)n : 1, sizeof *pos);
    if (!pos)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (hsize_t i = 0; i < n; i++)
        pos[i] = i;
    hid_t d = cs_h5_create_rows(g, name, H5T_STD_U64LE, 0, NULL, sizeof *pos, n, err);
    int st = d < 0 ? CS_EIO : CS_OK;
    if (st == CS_OK && n > 0)
        st = cs_h5_append_rows(d, H5T_NATIVE_UINT64, 0, NULL, 0, n, pos, name, err);
    if (cs_h5_close(&d) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "cannot close the scale '%s'", name);
    free(pos);
    return st;
}

/* Creates g/name, the scale of an axis of n entries, from its labels. */
static int create_scale(hid_t g, const char *name, hsize_t n, cs_error *err)
{
    cs_schema_axis ax;
    cs_schema_axis_of(name, &ax);
    if (!ax.labels[0])
        return write_positions(g, name, n, err);
    if (H5Lexists(g, ax.labels, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return cs_error_set(err, CS_EFORMAT, "the labels of the axis '%s' (%s) are missing", name,
                            ax.labels);
    }
    hid_t from = H5Dopen2(g, ax.labels, H5P_DEFAULT);
    hid_t ft = from < 0 ? H5I_INVALID_HID : H5Dget_type(from);
    int st = CS_OK;
    if (ft < 0)
        st = cs_h5_fail(err, CS_EFORMAT, "cannot open %s, the labels of the axis '%s'", ax.labels,
                        name);
    else if (H5Tget_class(ft) == H5T_STRING)
        st = copy_string_labels(g, name, ax.labels, ax.extra, n, err);
    else if (ax.extra || length_1d(from) != (long long)n)
        st = cs_error_set(err, CS_EINTERNAL, "%s does not label the %llu entries of the axis '%s'",
                          ax.labels, (unsigned long long)n, name);
    else
        st = copy_numeric_labels(g, name, from, n, err);
    cs_h5_close(&ft);
    cs_h5_close(&from);
    return st;
}

/* Makes the existing dataset g/name a dimension scale, with a description. */
static int make_scale(hid_t g, const char *name, bool describe, cs_error *err)
{
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    int st = CS_OK;
    if (d < 0 || H5DSset_scale(d, name) < 0)
        st = cs_h5_fail(err, CS_EIO, "cannot make '%s' a dimension scale", name);
    cs_schema_axis ax;
    cs_schema_axis_of(name, &ax);
    if (st == CS_OK && describe && ax.units[0])
        st = cs_h5_attr_string(d, "units", ax.units, err);
    if (st == CS_OK && describe)
        st = cs_h5_attr_string(d, "description", ax.description, err);
    cs_h5_close(&d);
    return st;
}

/* Whether the dataset d is a list labelled by itself: its `dimensions`
 * are its own name. */
static bool self_labelled(hid_t d, const char *name)
{
    char **axes = NULL;
    size_t n = 0;
    bool yes = cs_h5_read_attr_strings(d, "dimensions", &axes, &n, NULL) == CS_OK && n == 1 &&
               strcmp(axes[0], name) == 0;
    cs_h5_free_strings(axes, n);
    H5Eclear2(H5E_DEFAULT);
    return yes;
}

/* The open scale g/name of an axis of n entries, created if it is missing.
 * A list named after its own axis that is not yet a scale (it comes later
 * in the order of names than a list it labels) becomes one first. */
static hid_t scale_for(hid_t g, const char *name, hsize_t n, cs_error *err)
{
    int st = CS_OK;
    if (H5Lexists(g, name, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        st = create_scale(g, name, n, err);
        if (st == CS_OK)
            st = make_scale(g, name, true, err);
        if (st != CS_OK)
            return H5I_INVALID_HID;
    }
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d >= 0 && H5DSis_scale(d) <= 0 && self_labelled(d, name)) {
        cs_h5_close(&d);
        if (make_scale(g, name, false, err) != CS_OK)
            return H5I_INVALID_HID;
        d = H5Dopen2(g, name, H5P_DEFAULT);
    }
    if (d < 0 || H5DSis_scale(d) <= 0 || length_1d(d) != (long long)n) {
        cs_h5_close(&d);
        cs_h5_fail(err, CS_EINTERNAL,
                   "'%s' is a dataset that is not the dimension scale of an axis of %llu "
                   "entries (an axis must not be named like a dataset)",
                   name, (unsigned long long)n);
    }
    return d;
}

/* Attaches to each axis of the dataset g/base the scale named in its
 * `dimensions`; a 1-D dataset named after its own axis becomes its scale. */
static int label_dataset(hid_t g, const char *base, const char *path, cs_error *err)
{
    hid_t ds = H5Dopen2(g, base, H5P_DEFAULT);
    hid_t sp = ds < 0 ? H5I_INVALID_HID : H5Dget_space(ds);
    hsize_t shape[H5S_MAX_RANK];
    int rank = sp < 0 ? -1 : H5Sget_simple_extent_dims(sp, shape, NULL);
    char **axes = NULL;
    size_t n = 0;
    int st = rank < 0 ? cs_h5_fail(err, CS_EIO, "cannot open /%s", path) : CS_OK;
    if (st == CS_OK)
        st = cs_h5_read_attr_strings(ds, "dimensions", &axes, &n, err);
    if (st == CS_OK && n != (size_t)rank)
        st = cs_error_set(err, CS_EINTERNAL, "/%s has %d axes but names %zu", path, rank, n);
    if (st == CS_OK && rank == 1 && strcmp(axes[0], base) == 0) {
        if (H5DSis_scale(ds) <= 0)
            st = make_scale(g, base, false, err);
        goto done;
    }
    for (int i = 0; i < rank && st == CS_OK; i++) {
        hid_t sc = scale_for(g, axes[i], shape[i], err);
        if (sc < 0)
            st = err && err->status ? err->status : CS_EIO;
        else if (H5DSis_attached(ds, sc, (unsigned)i) <= 0 &&
                 H5DSattach_scale(ds, sc, (unsigned)i) < 0)
            st = cs_h5_fail(err, CS_EIO, "cannot attach the scale '%s' to /%s", axes[i], path);
        cs_h5_close(&sc);
    }
done:
    cs_h5_free_strings(axes, n);
    cs_h5_close(&sp);
    cs_h5_close(&ds);
    return st;
}

int cs_results_label_axes(hid_t file, cs_error *err)
{
    path_list l = {NULL, 0, 0, CS_OK};
    int st = CS_OK;
    if (H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, collect, &l) < 0 || l.status != CS_OK)
        st = l.status != CS_OK ? cs_error_set(err, l.status, "out of memory")
                               : cs_h5_fail(err, CS_EIO, "cannot list the datasets");
    for (size_t i = 0; i < l.n && st == CS_OK; i++) {
        const char *base = NULL;
        hid_t g = parent_of(file, l.paths[i], &base);
        st = g < 0 ? cs_h5_fail(err, CS_EIO, "cannot open the group of /%s", l.paths[i])
                   : label_dataset(g, base, l.paths[i], err);
        cs_h5_close(&g);
    }
    cs_h5_free_strings(l.paths, l.n);
    return st;
}

/* Collects the scales attached to one axis. */
typedef struct scale_ids {
    hid_t id[16];
    int n;
} scale_ids;

static herr_t collect_scale(hid_t did, unsigned dim, hid_t dsid, void *data)
{
    (void)did;
    (void)dim;
    scale_ids *s = data;
    /* The iteration closes dsid after this call: keep it open for us. */
    if (s->n < 16 && H5Iinc_ref(dsid) >= 0)
        s->id[s->n++] = dsid;
    return 0;
}

int cs_h5_detach_scales(hid_t ds, cs_error *err)
{
    hid_t sp = H5Dget_space(ds);
    int rank = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
    cs_h5_close(&sp);
    int st = rank < 0 ? cs_h5_fail(err, CS_EIO, "cannot read a dataset's shape") : CS_OK;
    for (int i = 0; i < rank && st == CS_OK; i++) {
        if (H5DSget_num_scales(ds, (unsigned)i) <= 0) {
            H5Eclear2(H5E_DEFAULT);
            continue;
        }
        scale_ids s = {{0}, 0};
        if (H5DSiterate_scales(ds, (unsigned)i, NULL, collect_scale, &s) < 0)
            st = cs_h5_fail(err, CS_EIO, "cannot list a dataset's dimension scales");
        for (int k = 0; k < s.n; k++) {
            if (st == CS_OK && (s.id[k] < 0 || H5DSdetach_scale(ds, s.id[k], (unsigned)i) < 0))
                st = cs_h5_fail(err, CS_EIO, "cannot detach a dimension scale");
            cs_h5_close(&s.id[k]);
        }
    }
    return st;
}
