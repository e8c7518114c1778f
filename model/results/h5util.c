/* h5util.c — HDF5 helpers for the results module (see h5util.h). */
#include "results/h5util.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/crc32.h"

void cs_h5_quiet(void)
{
    /* HDF5 1.10 crashes in its exit-time cleanup (H5F__close_cb) after an
     * H5Fclose that failed on a full disk; the operating system reclaims
     * everything at exit anyway, so skip that cleanup. Only effective before
     * HDF5's first use, and harmless (an ignored error) afterwards. */
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    H5Eclear2(H5E_DEFAULT);
}

/* Keeps the description of the innermost error (the first one walked
 * downward from the API call is the outermost; upward n = 0 is where the
 * failure happened, which is usually the most telling, e.g. "unable to open
 * file" with the errno text), and whether any error on the stack is a
 * checksum that did not match (Fletcher32 on a chunk of data, or the
 * checksum of a piece of metadata). */
typedef struct walk_ctx {
    char text[512];
    bool checksum;
} walk_ctx;

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    walk_ctx *w = data;
    if (n == 0 && e && e->desc)
        snprintf(w->text, sizeof w->text, "%s", e->desc);
    if (e && e->desc && strstr(e->desc, "checksum"))
        w->checksum = true;
    return 0;
}

/* cs_h5_fail and cs_h5_damaged: msg, then why HDF5 failed. file, if not
 * NULL, names the damaged file (msg is then about a part of it). */
static int fail_with_stack(cs_error *err, int status, const char *file, const char *msg)
{
    walk_ctx w = {{0}, false};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, &w);
    H5Eclear2(H5E_DEFAULT);
    const char *sep = file ? ": " : "";
    file = file ? file : "";
    /* A checksum that does not match is damage, whatever the caller was
     * doing: say so, as bad input (the file), not as a failure of ours. */
    if (w.checksum && file[0])
        return cs_error_set(err, CS_EFORMAT,
                            "%s%sdamaged file: %s: a checksum does not match (HDF5: %s)", file, sep,
                            msg, w.text);
    /* msg may start with the file's name: the verdict goes after it. */
    if (w.checksum)
        return cs_error_set(err, CS_EFORMAT,
                            "%s: damaged file, a checksum does not match (HDF5: %s)", msg, w.text);
    if (file[0])
        return cs_error_set(err, CS_EFORMAT, "%s: damaged file: %s (HDF5: %s)", file, msg,
                            w.text[0] ? w.text : "no reason given");
    if (w.text[0])
        return cs_error_set(err, status, "%s (HDF5: %s)", msg, w.text);
    return cs_error_set(err, status, "%s", msg);
}

int cs_h5_fail(cs_error *err, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fail_with_stack(err, status, NULL, msg);
}

int cs_h5_damaged(cs_error *err, const char *file, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fail_with_stack(err, CS_EFORMAT, file, msg);
}

hid_t cs_h5_create_file(const char *path)
{
    /* The oldest format with checksums on all metadata: superblock 2,
     * object headers 2, and (as of 1.10) chunk indexes with checksums.
     * Pinned to 1.10's format rather than "latest", so that a build against
     * a newer HDF5 still writes files the Debian 12 library reads. */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    hid_t f = H5I_INVALID_HID;
    if (fapl >= 0 && H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V110) >= 0)
        f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    cs_h5_close(&fapl);
    return f;
}

int cs_h5_close(hid_t *id)
{
    if (*id == H5I_INVALID_HID)
        return 0;
    herr_t r = -1;
    switch (H5Iget_type(*id)) {
    case H5I_FILE:
        r = H5Fclose(*id);
        break;
    case H5I_GROUP:
        r = H5Gclose(*id);
        break;
    case H5I_DATASET:
        r = H5Dclose(*id);
        break;
    case H5I_DATASPACE:
        r = H5Sclose(*id);
        break;
    case H5I_DATATYPE:
        r = H5Tclose(*id);
        break;
    case H5I_ATTR:
        r = H5Aclose(*id);
        break;
    case H5I_GENPROP_LST:
        r = H5Pclose(*id);
        break;
    default:
        r = -1;
        break;
    }
    *id = H5I_INVALID_HID;
    return r < 0 ? -1 : 0;
}

hid_t cs_h5_string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return H5I_INVALID_HID;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

/* Writes an attribute of memory type mtype (stored as ftype) over space. */
static int write_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype, hid_t space,
                      const void *buf, cs_error *err)
{
    hid_t a = H5I_INVALID_HID;
    int st = CS_OK;
    if (H5Aexists(loc, name) > 0 && H5Adelete(loc, name) < 0)
        return cs_h5_fail(err, CS_EIO, "cannot replace attribute '%s'", name);
    a = H5Acreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, mtype, buf) < 0)
        st = cs_h5_fail(err, CS_EIO, "cannot write attribute '%s'", name);
    if (cs_h5_close(&a) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "cannot close attribute '%s'", name);
    return st;
}

int cs_h5_attr_string(hid_t loc, const char *name, const char *value, cs_error *err)
{
    hid_t t = cs_h5_string_type();
    hid_t s = H5Screate(H5S_SCALAR);
    int st;
    if (t < 0 || s < 0)
        st = cs_h5_fail(err, CS_EIO, "cannot create attribute '%s'", name);
    else
        st = write_attr(loc, name, t, t, s, &value, err);
    cs_h5_close(&s);
    cs_h5_close(&t);
    return st;
}

int cs_h5_attr_strings(hid_t loc, const char *name, const char *const *values, size_t n,
                       cs_error *err)
{
    hsize_t dim = n;
    hid_t t = cs_h5_string_type();
    hid_t s = H5Screate_simple(1, &dim, NULL);
    const char *none = NULL;
    int st;
    if (t < 0 || s < 0)
        st = cs_h5_fail(err, CS_EIO, "cannot create attribute '%s'", name);
    else
        st = write_attr(loc, name, t, t, s, n ? (const void *)values : (const void *)&none, err);
    cs_h5_close(&s);
    cs_h5_close(&t);
    return st;
}

static int attr_scalar(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *v,
                       cs_error *err)
{
    hid_t s = H5Screate(H5S_SCALAR);
    if (s < 0)
        return cs_h5_fail(err, CS_EIO, "cannot create attribute '%s'", name);
    int st = write_attr(loc, name, ftype, mtype, s, v, err);
    cs_h5_close(&s);
    return st;
}

int cs_h5_attr_double(hid_t loc, const char *name, double value, cs_error *err)
{
    return attr_scalar(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, err);
}

int cs_h5_attr_u64(hid_t loc, const char *name, uint64_t value, cs_error *err)
{
    return attr_scalar(loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value, err);
}

int cs_h5_attr_ints(hid_t loc, const char *name, const int *values, size_t n, cs_error *err)
{
    hsize_t dim = n;
    hid_t s = H5Screate_simple(1, &dim, NULL);
    if (s < 0)
        return cs_h5_fail(err, CS_EIO, "cannot create attribute '%s'", name);
    int st = write_attr(loc, name, H5T_STD_I32LE, H5T_NATIVE_INT, s, values, err);
    cs_h5_close(&s);
    return st;
}

int cs_h5_name_axes(hid_t loc, const char *name, const char *const *axes, size_t n, cs_error *err)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0)
        return cs_h5_fail(err, CS_EIO, "cannot open dataset '%s'", name);
    int st = cs_h5_attr_strings(d, "dimensions", axes, n, err);
    cs_h5_close(&d);
    return st;
}

int cs_h5_document(hid_t loc, const char *units, const char *description, cs_error *err)
{
    int st = cs_h5_attr_string(loc, "units", units, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(loc, "description", description, err);
    return st;
}

uint32_t cs_h5_strings_crc(uint32_t crc, const char *const *values, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = values[i] ? values[i] : "";
        crc = cs_crc32(crc, v, strlen(v) + 1); /* with its NUL: {"ab", "c"} != {"a", "bc"} */
    }
    return crc;
}

int cs_h5_attr_crc(hid_t loc, uint32_t crc, cs_error *err)
{
    hid_t s = H5Screate(H5S_SCALAR);
    if (s < 0)
        return cs_h5_fail(err, CS_EIO, "cannot create attribute '%s'", CS_H5_STRINGS_CRC);
    int st = write_attr(loc, CS_H5_STRINGS_CRC, H5T_STD_U32LE, H5T_NATIVE_UINT32, s, &crc, err);
    cs_h5_close(&s);
    return st;
}

int cs_h5_check_crc(hid_t loc, uint32_t crc, const char *what, cs_error *err)
{
    htri_t has = H5Aexists(loc, CS_H5_STRINGS_CRC);
    if (has <= 0) { /* files before format 1.2 have none */
        H5Eclear2(H5E_DEFAULT);
        return CS_OK;
    }
    uint32_t stored = 0;
    hid_t a = H5Aopen(loc, CS_H5_STRINGS_CRC, H5P_DEFAULT);
    herr_t r = a < 0 ? -1 : H5Aread(a, H5T_NATIVE_UINT32, &stored);
    cs_h5_close(&a);
    if (r < 0)
        return cs_h5_fail(err, CS_EFORMAT, "damaged file: cannot read the checksum of %s", what);
    if (stored != crc)
        return cs_error_set(err, CS_EFORMAT,
                            "damaged file: the strings of %s do not match their checksum "
                            "(%s %08x, computed %08x)",
                            what, CS_H5_STRINGS_CRC, (unsigned)stored, (unsigned)crc);
    return CS_OK;
}

int cs_h5_write_strings(hid_t loc, const char *name, const char *const *values, size_t n,
                        cs_error *err)
{
    hid_t t = cs_h5_string_type();
    hid_t d = H5I_INVALID_HID;
    int st = CS_OK;
    if (t < 0)
        st = cs_h5_fail(err, CS_EIO, "cannot create dataset '%s'", name);
    if (st == CS_OK && (d = cs_h5_create_rows(loc, name, t, 0, NULL, sizeof(char *), n, err)) < 0)
        st = CS_EIO;
    if (st == CS_OK && n > 0)
        st = cs_h5_append_rows(d, t, 0, NULL, 0, n, values, name, err);
    if (st == CS_OK)
        st = cs_h5_attr_crc(d, cs_h5_strings_crc(0, values, n), err);
    if (cs_h5_close(&d) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "cannot close dataset '%s'", name);
    cs_h5_close(&t);
    return st;
}

/* Opens attribute name of loc, or reports it missing. */
static hid_t open_attr(hid_t loc, const char *name, cs_error *err)
{
    if (H5Aexists(loc, name) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        cs_error_set(err, CS_EFORMAT, "attribute '%s' is missing", name);
        return H5I_INVALID_HID;
    }
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0)
        cs_h5_fail(err, CS_EFORMAT, "cannot open attribute '%s'", name);
    return a;
}

int cs_h5_read_attr_string(hid_t loc, const char *name, char **out, cs_error *err)
{
    *out = NULL;
    hid_t a = open_attr(loc, name, err);
    if (a < 0)
        return CS_EFORMAT;
    hid_t ft = H5Aget_type(a), space = H5Aget_space(a), mt = H5I_INVALID_HID;
    int st = CS_OK;
    if (ft < 0 || space < 0 || H5Tget_class(ft) != H5T_STRING ||
        H5Sget_simple_extent_npoints(space) != 1) {
        st = cs_error_set(err, CS_EFORMAT, "attribute '%s' is not a single string", name);
    } else if (H5Tis_variable_str(ft) > 0) {
        mt = cs_h5_string_type();
        char *v = NULL;
        if (mt < 0 || H5Aread(a, mt, &v) < 0) {
            st = cs_h5_fail(err, CS_EFORMAT, "cannot read attribute '%s'", name);
        } else {
            *out = cs_xstrdup(v ? v : "");
            if (!*out)
                st = cs_error_set(err, CS_ENOMEM, "out of memory");
            H5Dvlen_reclaim(mt, space, H5P_DEFAULT, &v);
        }
    } else {
        size_t len = H5Tget_size(ft);
        mt = H5Tcopy(ft);
        /* The size comes from the file: bound it before allocating. */
        char *v = len <= CS_H5_MAX_STRING_BYTES ? calloc(len + 1, 1) : NULL;
        if (len > CS_H5_MAX_STRING_BYTES)
            st = cs_error_set(err, CS_EFORMAT,
                              "attribute '%s' is a string of %zu bytes; at most %d expected", name,
                              len, CS_H5_MAX_STRING_BYTES);
        else if (!v)
            st = cs_error_set(err, CS_ENOMEM, "out of memory");
        else if (mt < 0 || H5Aread(a, mt, v) < 0)
            st = cs_h5_fail(err, CS_EFORMAT, "cannot read attribute '%s'", name);
        if (st == CS_OK)
            *out = v;
        else
            free(v);
    }
    cs_h5_close(&mt);
    cs_h5_close(&space);
    cs_h5_close(&ft);
    cs_h5_close(&a);
    return st;
}

static int read_attr_numeric(hid_t loc, const char *name, hid_t mtype, void *out, size_t n,
                             cs_error *err)
{
    hid_t a = open_attr(loc, name, err);
    if (a < 0)
        return CS_EFORMAT;
    hid_t ft = H5Aget_type(a), space = H5Aget_space(a);
    int st = CS_OK;
    H5T_class_t c = ft < 0 ? H5T_NO_CLASS : H5Tget_class(ft);
    if ((c != H5T_INTEGER && c != H5T_FLOAT) || space < 0 ||
        H5Sget_simple_extent_npoints(space) != (hssize_t)n)
        st = cs_error_set(err, CS_EFORMAT, "attribute '%s' is not %zu number%s", name, n,
                          n == 1 ? "" : "s");
    else if (H5Aread(a, mtype, out) < 0)
        st = cs_h5_fail(err, CS_EFORMAT, "cannot read attribute '%s'", name);
    cs_h5_close(&space);
    cs_h5_close(&ft);
    cs_h5_close(&a);
    return st;
}

int cs_h5_read_attr_u64(hid_t loc, const char *name, uint64_t *out, cs_error *err)
{
    return read_attr_numeric(loc, name, H5T_NATIVE_UINT64, out, 1, err);
}

int cs_h5_read_attr_double(hid_t loc, const char *name, double *out, cs_error *err)
{
    return read_attr_numeric(loc, name, H5T_NATIVE_DOUBLE, out, 1, err);
}

int cs_h5_read_attr_ints(hid_t loc, const char *name, int *out, size_t n, cs_error *err)
{
    return read_attr_numeric(loc, name, H5T_NATIVE_INT, out, n, err);
}

/* Copies count variable-length strings of raw into a new array. */
static int copy_strings(char **raw, size_t count, char ***out, const char *name, cs_error *err)
{
    char **copy = calloc(count ? count : 1, sizeof *copy);
    if (!copy)
        return cs_error_set(err, CS_ENOMEM, "out of memory reading '%s'", name);
    for (size_t i = 0; i < count; i++) {
        copy[i] = cs_xstrdup(raw[i] ? raw[i] : "");
        if (!copy[i]) {
            cs_h5_free_strings(copy, i);
            return cs_error_set(err, CS_ENOMEM, "out of memory reading '%s'", name);
        }
    }
    *out = copy;
    return CS_OK;
}

int cs_h5_attr_string_is(hid_t loc, const char *name, const char *value, bool *out, cs_error *err)
{
    *out = false;
    if (H5Aexists(loc, name) <= 0)
        return CS_OK;
    char *s = NULL;
    int st = cs_h5_read_attr_string(loc, name, &s, err);
    if (st == CS_OK)
        *out = strcmp(s, value) == 0;
    free(s);
    return st;
}

int cs_h5_read_attr_strings(hid_t loc, const char *name, char ***out, size_t *n, cs_error *err)
{
    *out = NULL;
    *n = 0;
    hid_t a = open_attr(loc, name, err);
    if (a < 0)
        return CS_EFORMAT;
    hid_t ft = H5Aget_type(a), space = H5Aget_space(a), mt = cs_h5_string_type();
    char **raw = NULL;
    int st = CS_OK;
    hssize_t np = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    if (ft < 0 || mt < 0 || np < 0 || H5Tget_class(ft) != H5T_STRING ||
        H5Tis_variable_str(ft) <= 0 || np > CS_H5_MAX_STRINGS) {
        st = cs_error_set(err, CS_EFORMAT, "attribute '%s' is not a list of at most %d strings",
                          name, CS_H5_MAX_STRINGS);
        goto done;
    }
    raw = calloc(np ? (size_t)np : 1, sizeof *raw);
    if (!raw) {
        st = cs_error_set(err, CS_ENOMEM, "out of memory reading '%s'", name);
        goto done;
    }
    if (np > 0 && H5Aread(a, mt, raw) < 0) {
        st = cs_h5_fail(err, CS_EFORMAT, "cannot read attribute '%s'", name);
        /* Strings converted before the failure are ours to free (raw was
         * zeroed, so the others are NULL). */
        H5Dvlen_reclaim(mt, space, H5P_DEFAULT, raw);
        goto done;
    }
    st = copy_strings(raw, (size_t)np, out, name, err);
    if (st == CS_OK)
        *n = (size_t)np;
    if (np > 0)
        H5Dvlen_reclaim(mt, space, H5P_DEFAULT, raw);
done:
    free(raw);
    cs_h5_close(&mt);
    cs_h5_close(&space);
    cs_h5_close(&ft);
    cs_h5_close(&a);
    return st;
}

void cs_h5_free_strings(char **s, size_t n)
{
    if (!s)
        return;
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

int cs_h5_read_strings(hid_t loc, const char *name, char ***out, size_t *n, cs_error *err)
{
    *out = NULL;
    *n = 0;
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return cs_error_set(err, CS_EFORMAT, "dataset '%s' is missing", name);
    }
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t ft = d < 0 ? H5I_INVALID_HID : H5Dget_type(d);
    hid_t space = d < 0 ? H5I_INVALID_HID : H5Dget_space(d);
    hid_t mt = cs_h5_string_type();
    char **raw = NULL, **copy = NULL;
    size_t count = 0;
    int st = CS_OK;
    if (d < 0 || ft < 0 || space < 0 || mt < 0) {
        st = cs_h5_fail(err, CS_EFORMAT, "cannot open dataset '%s'", name);
        goto done;
    }
    if (H5Tget_class(ft) != H5T_STRING || H5Tis_variable_str(ft) <= 0 ||
        H5Sget_simple_extent_ndims(space) != 1) {
        st = cs_error_set(err, CS_EFORMAT, "dataset '%s' is not a list of strings", name);
        goto done;
    }
    hssize_t np = H5Sget_simple_extent_npoints(space);
    if (np < 0 || np > CS_H5_MAX_STRINGS) {
        st = cs_error_set(err, CS_EFORMAT, "dataset '%s' has %lld entries; at most %d expected",
                          name, (long long)np, CS_H5_MAX_STRINGS);
        goto done;
    }
    count = (size_t)np;
    raw = calloc(count ? count : 1, sizeof *raw);
    if (!raw) {
        st = cs_error_set(err, CS_ENOMEM, "out of memory reading '%s'", name);
        goto done;
    }
    if (count && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
        st = cs_h5_fail(err, CS_EFORMAT, "cannot read dataset '%s'", name);
        H5Dvlen_reclaim(mt, space, H5P_DEFAULT, raw); /* what was converted (raw was zeroed) */
        goto done;
    }
    st = copy_strings(raw, count, &copy, name, err);
    if (st == CS_OK) {
        char what[256];
        snprintf(what, sizeof what, "dataset '%s'", name);
        st = cs_h5_check_crc(d, cs_h5_strings_crc(0, (const char *const *)copy, count), what, err);
        if (st != CS_OK)
            cs_h5_free_strings(copy, count);
    }
    if (count)
        H5Dvlen_reclaim(mt, space, H5P_DEFAULT, raw);
done:
    free(raw);
    if (st == CS_OK) {
        *out = copy;
        *n = count;
    }
    cs_h5_close(&mt);
    cs_h5_close(&space);
    cs_h5_close(&ft);
    cs_h5_close(&d);
    return st;
}

/* The most a dataset may decompress to, per stored byte (deflate's limit is
 * about 1032:1; shuffle and Fletcher32 do not change sizes). */
#define MAX_INFLATION 1100.0

bool cs_h5_stores(hid_t ds, double bytes)
{
    return bytes <= MAX_INFLATION * (double)H5Dget_storage_size(ds) + (double)(1 << 20);
}

/* Rows per chunk: about 64 KiB per chunk, at least 1 and at most 1024 rows. */
static hsize_t chunk_rows(size_t row_bytes)
{
    size_t rows = row_bytes ? (64u << 10) / row_bytes : 1024;
    if (rows < 1)
        rows = 1;
    if (rows > 1024)
        rows = 1024;
    return rows;
}

hid_t cs_h5_create_rows(hid_t loc, const char *name, hid_t ftype, int rank,
                        const hsize_t *row_shape, size_t row_bytes, uint64_t rows, cs_error *err)
{
    hsize_t cur[1 + CS_H5_MAX_ROW_RANK] = {0}, max[1 + CS_H5_MAX_ROW_RANK],
                    chunk[1 + CS_H5_MAX_ROW_RANK];
    max[0] = H5S_UNLIMITED;
    for (int i = 0; i < rank; i++) {
        /* An empty axis (rows of nothing): HDF5 needs a chunk of at least
         * 1, and a chunk may not exceed the axis's maximum. */
        cur[1 + i] = row_shape[i];
        max[1 + i] = chunk[1 + i] = row_shape[i] ? row_shape[i] : 1;
        row_bytes *= (size_t)row_shape[i];
    }
    chunk[0] = chunk_rows(row_bytes);
    if (rows > 0 && rows < chunk[0]) /* a small dataset: no room for rows it will not have */
        chunk[0] = rows;
    hid_t space = H5Screate_simple(1 + rank, cur, max);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t ds = H5I_INVALID_HID;
    /* HDF5 refuses Fletcher32 on variable-length strings ("not suitable
     * for filters"): they are chunked without filters, and the checksum of
     * their strings (CS_H5_STRINGS_CRC) stands for it. */
    bool strings = H5Tget_class(ftype) == H5T_STRING && H5Tis_variable_str(ftype) > 0;
    if (space >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, 1 + rank, chunk) >= 0) {
        /* An HDF5 without zlib stores the data uncompressed. */
        bool ok = strings || H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0 ||
                  (H5Pset_shuffle(dcpl) >= 0 && H5Pset_deflate(dcpl, 4) >= 0);
        /* Last in the pipeline, so that the checksum is of the bytes on
         * disk: HDF5 checks it on every read of a chunk. */
        if (ok && !strings)
            ok = H5Pset_fletcher32(dcpl) >= 0;
        if (ok)
            ds = H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    }
    if (ds < 0)
        cs_h5_fail(err, CS_EIO, "cannot create dataset '%s'", name);
    cs_h5_close(&dcpl);
    cs_h5_close(&space);
    return ds;
}

/* Whether rows of row_shape hold nothing (an empty axis). */
static bool empty_rows(int rank, const hsize_t *row_shape)
{
    for (int i = 0; i < rank; i++)
        if (row_shape[i] == 0)
            return true;
    return false;
}

/* Selects rows [at, at + n) of ds in *fs and makes the matching memory
 * space *ms. */
static bool select_rows(hid_t ds, int rank, const hsize_t *row_shape, uint64_t at, uint64_t n,
                        hid_t *fs, hid_t *ms)
{
    hsize_t start[1 + CS_H5_MAX_ROW_RANK] = {at}, count[1 + CS_H5_MAX_ROW_RANK] = {n};
    for (int i = 0; i < rank; i++)
        count[1 + i] = row_shape[i];
    *fs = H5Dget_space(ds);
    *ms = H5Screate_simple(1 + rank, count, NULL);
    return *fs >= 0 && *ms >= 0 &&
           H5Sselect_hyperslab(*fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0;
}

int cs_h5_append_rows(hid_t ds, hid_t mtype, int rank, const hsize_t *row_shape, uint64_t at,
                      uint64_t n, const void *buf, const char *what, cs_error *err)
{
    hsize_t ext[1 + CS_H5_MAX_ROW_RANK] = {at + n};
    for (int i = 0; i < rank; i++)
        ext[1 + i] = row_shape[i];
    hid_t fs = H5I_INVALID_HID, ms = H5I_INVALID_HID;
    int st = CS_OK;
    if (H5Dset_extent(ds, ext) < 0 ||
        (!empty_rows(rank, row_shape) && (!select_rows(ds, rank, row_shape, at, n, &fs, &ms) ||
                                          H5Dwrite(ds, mtype, ms, fs, H5P_DEFAULT, buf) < 0)))
        st = cs_h5_fail(err, CS_EIO, "cannot append to %s", what);
    cs_h5_close(&ms);
    cs_h5_close(&fs);
    return st;
}

int cs_h5_read_rows(hid_t ds, hid_t mtype, int rank, const hsize_t *row_shape, uint64_t first,
                    uint64_t n, void *buf, const char *what, cs_error *err)
{
    if (n == 0 || empty_rows(rank, row_shape))
        return CS_OK;
    hid_t fs = H5I_INVALID_HID, ms = H5I_INVALID_HID;
    int st = CS_OK;
    if (!select_rows(ds, rank, row_shape, first, n, &fs, &ms) ||
        H5Dread(ds, mtype, ms, fs, H5P_DEFAULT, buf) < 0)
        st = cs_h5_fail(err, CS_EIO, "cannot read %s", what);
    cs_h5_close(&ms);
    cs_h5_close(&fs);
    return st;
}

int cs_h5_shrink_rows(hid_t ds, uint64_t rows, const char *what, cs_error *err)
{
    hid_t fs = H5Dget_space(ds);
    hsize_t dims[1 + CS_H5_MAX_ROW_RANK] = {0};
    int rank = fs < 0 ? -1 : H5Sget_simple_extent_ndims(fs);
    bool ok = rank >= 1 && rank <= 1 + CS_H5_MAX_ROW_RANK &&
              H5Sget_simple_extent_dims(fs, dims, NULL) >= 0;
    cs_h5_close(&fs);
    if (!ok)
        return cs_h5_fail(err, CS_EIO, "cannot read the shape of %s", what);
    if (dims[0] <= rows)
        return CS_OK;
    dims[0] = rows;
    if (H5Dset_extent(ds, dims) < 0)
        return cs_h5_fail(err, CS_EIO, "cannot shrink %s", what);
    return CS_OK;
}

int cs_h5_count(hid_t loc, const char *path, size_t *n, cs_error *err)
{
    *n = 0;
    if (H5Lexists(loc, path, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return cs_error_set(err, CS_EFORMAT, "dataset '%s' is missing", path);
    }
    hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
    hid_t s = d < 0 ? H5I_INVALID_HID : H5Dget_space(d);
    hsize_t dim = 0;
    int st = CS_OK;
    if (s < 0 || H5Sget_simple_extent_ndims(s) != 1 ||
        H5Sget_simple_extent_dims(s, &dim, NULL) < 0 || dim > CS_H5_MAX_STRINGS)
        st = cs_h5_fail(err, CS_EFORMAT, "dataset '%s' is not a list of at most %d entries", path,
                        CS_H5_MAX_STRINGS);
    else
        *n = (size_t)dim;
    cs_h5_close(&s);
    cs_h5_close(&d);
    return st;
}
