/*
 * results/h5array.c — fixed-size numeric arrays of a results file (the
 * tables of /decision over the willingness-to-pay grid, the draws' means)
 * and arrays of doubles as attributes: written whole, read whole with their
 * shape and stored size checked (see results/h5util.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "results/h5util.h"
#include "results/schema.h"

int cs_h5_attr_doubles(hid_t loc, const char *name, const double *values, size_t n, cs_error *err)
{
    hsize_t dim = n;
    hid_t s = H5Screate_simple(1, &dim, NULL);
    hid_t a = H5I_INVALID_HID;
    int st = CS_OK;
    if (s < 0)
        return cs_h5_fail(err, CS_EIO, "cannot create attribute '%s'", name);
    if (H5Aexists(loc, name) > 0 && H5Adelete(loc, name) < 0)
        st = cs_h5_fail(err, CS_EIO, "cannot replace attribute '%s'", name);
    if (st == CS_OK &&
        ((a = H5Acreate2(loc, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
         (n > 0 && H5Awrite(a, H5T_NATIVE_DOUBLE, values) < 0)))
        st = cs_h5_fail(err, CS_EIO, "cannot write attribute '%s'", name);
    if (cs_h5_close(&a) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "cannot close attribute '%s'", name);
    cs_h5_close(&s);
    return st;
}

int cs_h5_read_attr_doubles(hid_t loc, const char *name, double **out, size_t *n, cs_error *err)
{
    *out = NULL;
    *n = 0;
    if (H5Aexists(loc, name) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return cs_error_set(err, CS_EFORMAT, "attribute '%s' is missing", name);
    }
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t sp = a < 0 ? H5I_INVALID_HID : H5Aget_space(a);
    hssize_t np = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    int st = CS_OK;
    if (np < 0 || np > CS_H5_MAX_STRINGS)
        st = cs_error_set(err, CS_EFORMAT, "attribute '%s' is not a list of at most %d numbers",
                          name, CS_H5_MAX_STRINGS);
    else if (!(*out = cs_xcalloc((size_t)np, sizeof **out)))
        st = cs_error_set(err, CS_ENOMEM, "out of memory");
    else if (np > 0 && H5Aread(a, H5T_NATIVE_DOUBLE, *out) < 0)
        st = cs_h5_fail(err, CS_EFORMAT, "cannot read attribute '%s'", name);
    if (st == CS_OK)
        *n = (size_t)np;
    else {
        free(*out);
        *out = NULL;
    }
    cs_h5_close(&sp);
    cs_h5_close(&a);
    return st;
}

/* The element count of dims[0 .. rank), or 0 with *ok false on overflow. */
static size_t count_of(int rank, const size_t *dims, bool *ok)
{
    size_t n = 1;
    *ok = true;
    for (int i = 0; i < rank; i++)
        if (!cs_size_mul(n, dims[i], &n))
            *ok = false;
    return *ok ? n : 0;
}

int cs_h5_write_array(hid_t loc, const char *name, cs_type type, int rank, const size_t *dims,
                      const void *data, const char *units, const char *description,
                      const char *const *dim_names, cs_error *err)
{
    /* Stored like the per-replicate arrays (chunked along the first axis,
     * compressed, with a Fletcher32 checksum), so that every dataset that
     * holds numbers has its checksum. */
    hsize_t row[CS_H5_MAX_ROW_RANK];
    if (rank < 1 || rank > CS_H5_MAX_ROW_RANK + 1)
        return cs_error_set(err, CS_EINTERNAL, "dataset '%s': rank %d", name, rank);
    for (int i = 1; i < rank; i++)
        row[i - 1] = dims[i];
    if (H5Lexists(loc, name, H5P_DEFAULT) > 0 && H5Ldelete(loc, name, H5P_DEFAULT) < 0)
        return cs_h5_fail(err, CS_EIO, "cannot replace dataset '%s'", name);
    hid_t d = cs_h5_create_rows(loc, name, cs_h5_file_type(type), rank - 1, row, cs_type_size(type),
                                dims[0], err);
    int st = d < 0 ? CS_EIO : CS_OK;
    if (st == CS_OK && dims[0] > 0)
        st = cs_h5_append_rows(d, cs_h5_mem_type(type), rank - 1, row, 0, dims[0], data, name, err);
    if (st == CS_OK)
        st = cs_h5_document(d, units, description, err);
    if (st == CS_OK && dim_names)
        st = cs_h5_attr_strings(d, "dimensions", dim_names, (size_t)rank, err);
    if (cs_h5_close(&d) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "cannot close dataset '%s'", name);
    return st;
}

/* Whether the dataset's shape fits: rank `rank`, each axis dims[i] (0 in
 * dims: any length, written back), at most CS_H5_MAX_ARRAY elements, and
 * stored bytes for all of them (a damaged file must not make a reader
 * allocate what it does not store; compressed, at most about 1100 times
 * what it stores: cs_h5_stores). */
static bool shape_fits(hid_t d, int rank, size_t *dims, size_t elem, size_t *n)
{
    hid_t s = H5Dget_space(d);
    hsize_t got[CS_H5_MAX_ROW_RANK + 1];
    bool ok = s >= 0 && rank <= CS_H5_MAX_ROW_RANK + 1 && H5Sget_simple_extent_ndims(s) == rank &&
              H5Sget_simple_extent_dims(s, got, NULL) >= 0;
    cs_h5_close(&s);
    for (int i = 0; ok && i < rank; i++) {
        ok = dims[i] == 0 || got[i] == dims[i];
        dims[i] = (size_t)got[i];
    }
    *n = ok ? count_of(rank, dims, &ok) : 0;
    return ok && *n <= CS_H5_MAX_ARRAY && cs_h5_stores(d, (double)*n * (double)elem);
}

int cs_h5_read_array(hid_t loc, const char *name, cs_type type, int rank, size_t *dims, void **out,
                     cs_error *err)
{
    *out = NULL;
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return cs_error_set(err, CS_EFORMAT, "dataset '%s' is missing", name);
    }
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    size_t n = 0, elem = cs_type_size(type);
    int st = CS_OK;
    if (d < 0 || !shape_fits(d, rank, dims, elem, &n))
        st = cs_error_set(err, CS_EFORMAT,
                          "dataset '%s' is missing, of another shape, too large or damaged", name);
    else if (!(*out = cs_xcalloc(n, elem)))
        st = cs_error_set(err, CS_ENOMEM, "out of memory reading '%s'", name);
    else if (n > 0 && H5Dread(d, cs_h5_mem_type(type), H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
        st = cs_h5_fail(err, CS_EFORMAT, "cannot read dataset '%s'", name);
    if (st != CS_OK) {
        free(*out);
        *out = NULL;
    }
    cs_h5_close(&d);
    return st;
}
