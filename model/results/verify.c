/*
 * results/verify.c — reads every dataset of a results file once, so that
 * every checksum in it is checked (see cs_results_verify in
 * casesim/results.h).
 *
 * HDF5 checks a chunk's Fletcher32 only when the chunk is read, and the
 * checksum of a dataset's strings (CS_H5_STRINGS_CRC) is ours to compute:
 * a reader that reads only the tables never sees damage in the arrays. So
 * this walks the whole file, whatever it holds — the datasets of the schema
 * and any other — and reads each in blocks of about a chunk, so that memory
 * stays small whatever the file's size; and it reads every attribute, so
 * that HDF5 parses where each string attribute's value lives (the text of
 * a string attribute has no checksum: a flipped byte in it goes unseen).
 */
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/results.h"
#include "core/alloc.h"
#include "results/h5util.h"

/* Bytes read at a time from a contiguous dataset (a chunked one is read a
 * chunk's rows at a time). */
#define BLOCK_BYTES (64u << 10)

/* A dataset being read, and the checksum of its strings so far. */
typedef struct reading {
    const char *file; /* the file's path, for messages */
    const char *path; /* the dataset's */
    hid_t ds, mtype;  /* the dataset and the native type of its elements */
    size_t size;      /* bytes of one element of mtype */
    hsize_t dims[H5S_MAX_RANK];
    int rank;
    size_t n_str;       /* the strings of an element: 1 for a string, the */
    size_t str_off[64]; /* string members of a compound (at most 64) */
    bool vlen;          /* elements hold memory HDF5 allocates (strings, sequences) */
    uint32_t crc;
} reading;

/* Where the variable-length strings of an element of type t are: t itself,
 * or the string members of a compound, in member order. */
static void find_strings(hid_t t, reading *x)
{
    x->n_str = 0;
    if (H5Tget_class(t) == H5T_STRING) {
        if (H5Tis_variable_str(t) > 0)
            x->str_off[x->n_str++] = 0;
        return;
    }
    if (H5Tget_class(t) != H5T_COMPOUND)
        return;
    int n = H5Tget_nmembers(t);
    for (int i = 0; i < n && x->n_str < 64; i++) {
        hid_t m = H5Tget_member_type(t, (unsigned)i);
        if (m >= 0 && H5Tget_class(m) == H5T_STRING && H5Tis_variable_str(m) > 0)
            x->str_off[x->n_str++] = H5Tget_member_offset(t, (unsigned)i);
        cs_h5_close(&m);
    }
}

/* Adds the strings of n elements at buf to x->crc. */
static void crc_block(reading *x, const unsigned char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < x->n_str; k++)
            x->crc = cs_h5_strings_crc(x->crc,
                                       (const char *const *)(buf + i * x->size + x->str_off[k]), 1);
}

/* Rows (along axis 0) read at a time: a chunk's, or BLOCK_BYTES' worth. */
static hsize_t block_rows(const reading *x, size_t row_elems)
{
    hid_t dcpl = H5Dget_create_plist(x->ds);
    hsize_t chunk[H5S_MAX_RANK] = {0};
    bool chunked = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED &&
                   H5Pget_chunk(dcpl, x->rank, chunk) == x->rank;
    cs_h5_close(&dcpl);
    if (chunked && chunk[0] > 0)
        return chunk[0];
    size_t row_bytes = row_elems * x->size;
    return row_bytes >= BLOCK_BYTES ? 1 : BLOCK_BYTES / (row_bytes ? row_bytes : 1);
}

/* Reads rows [at, at + n) into buf, adds their strings to the checksum and
 * frees them. */
static int read_block(reading *x, hsize_t at, hsize_t n, size_t row_elems, void *buf, cs_error *err)
{
    hsize_t start[H5S_MAX_RANK] = {at}, count[H5S_MAX_RANK] = {n};
    for (int i = 1; i < x->rank; i++)
        count[i] = x->dims[i];
    hid_t fs = H5Dget_space(x->ds);
    hid_t ms = x->rank ? H5Screate_simple(x->rank, count, NULL) : H5Screate(H5S_SCALAR);
    int st = CS_OK;
    if (fs < 0 || ms < 0 ||
        (x->rank && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0))
        st = cs_h5_fail(err, CS_EIO, "%s: cannot select rows of %s", x->file, x->path);
    else if (H5Dread(x->ds, x->mtype, ms, fs, H5P_DEFAULT, buf) < 0)
        st = cs_h5_damaged(err, x->file, "cannot read %s", x->path);
    if (x->vlen) {
        if (st == CS_OK)
            crc_block(x, buf, (size_t)n * row_elems);
        /* Strings converted before a failure too (buf was zeroed). */
        H5Dvlen_reclaim(x->mtype, ms, H5P_DEFAULT, buf);
        memset(buf, 0, (size_t)n * row_elems * x->size);
    }
    cs_h5_close(&ms);
    cs_h5_close(&fs);
    return st;
}

/* Whether the chunks of a chunked dataset are what its writer stored:
 * every chunk of its extent present once, at a chunk boundary inside the
 * extent, with every filter applied. The chunk index of this file format
 * (a version 1 B-tree) has no checksum of its own: a flipped byte there
 * can move a chunk out of the extent (the dataset then reads as fill
 * values, and no Fletcher32 is ever computed) or set a filter's bit in the
 * chunk's filter mask (HDF5 then skips that filter, the checksum among
 * them). Contiguous datasets and those of strings (unfiltered) pass. */
static int check_chunks(const reading *x, cs_error *err)
{
    hid_t dcpl = H5Dget_create_plist(x->ds), sp = H5Dget_space(x->ds);
    hsize_t chunk[H5S_MAX_RANK] = {0}, n = 0, want = 1;
    bool chunked = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED && x->rank > 0 &&
                   H5Pget_chunk(dcpl, x->rank, chunk) == x->rank;
    bool filtered = chunked && H5Pget_nfilters(dcpl) > 0;
    cs_h5_close(&dcpl);
    hid_t file = H5Iget_file_id(x->ds);
    hsize_t eof = 0;
    if (file < 0 || H5Fget_filesize(file, &eof) < 0)
        eof = 0; /* then no chunk fits: refused below */
    cs_h5_close(&file);
    int st = CS_OK;
    for (int i = 0; filtered && i < x->rank; i++)
        want *= chunk[i] ? (x->dims[i] + chunk[i] - 1) / chunk[i] : 0;
    if (filtered && (sp < 0 || H5Dget_num_chunks(x->ds, sp, &n) < 0 || n != want))
        st = cs_error_set(err, CS_EFORMAT,
                          "%s: damaged file: %s has %llu chunks where %llu "
                          "hold its values",
                          x->file, x->path, (unsigned long long)n, (unsigned long long)want);
    for (hsize_t c = 0; filtered && st == CS_OK && c < n; c++) {
        hsize_t off[H5S_MAX_RANK];
        unsigned mask = 0;
        haddr_t addr;
        hsize_t size;
        bool ok = H5Dget_chunk_info(x->ds, sp, c, off, &mask, &addr, &size) >= 0 && mask == 0;
        /* Inside the file: a chunk address moved past its end reads as
         * zeros, whose Fletcher32 is zero too. */
        ok = ok && addr != HADDR_UNDEF && size <= eof && addr <= eof - size;
        for (int i = 0; ok && i < x->rank; i++)
            ok = off[i] < x->dims[i] && off[i] % chunk[i] == 0;
        if (!ok)
            st = cs_error_set(err, CS_EFORMAT,
                              "%s: damaged file: the index of %s's chunks is "
                              "damaged",
                              x->file, x->path);
    }
    cs_h5_close(&sp);
    return st;
}

/* Reads every element of x->ds, block by block, then checks the checksum
 * of its strings. */
static int read_all(reading *x, cs_error *err)
{
    size_t row_elems = 1;
    for (int i = 1; i < x->rank; i++)
        if (!cs_size_mul(row_elems, (size_t)x->dims[i], &row_elems))
            return cs_error_set(err, CS_EFORMAT, "%s: damaged file: %s claims too many values",
                                x->file, x->path);
    hsize_t rows = x->rank ? x->dims[0] : 1;
    if (!cs_h5_stores(x->ds, (double)rows * (double)row_elems * (double)x->size))
        return cs_error_set(err, CS_EFORMAT,
                            "%s: damaged file: %s claims more values than it stores", x->file,
                            x->path);
    hsize_t step = x->rank ? block_rows(x, row_elems) : 1;
    size_t bytes = 0;
    if (!cs_size_mul((size_t)step * row_elems, x->size, &bytes))
        return cs_error_set(err, CS_EFORMAT, "%s: damaged file: %s has chunks too large", x->file,
                            x->path);
    void *buf = cs_xcalloc(bytes ? bytes : 1, 1);
    if (!buf)
        return cs_error_set(err, CS_ENOMEM, "out of memory reading %s", x->path);
    int st = CS_OK;
    for (hsize_t at = 0; at < rows && st == CS_OK; at += step)
        st = read_block(x, at, rows - at < step ? rows - at : step, row_elems, buf, err);
    free(buf);
    if (st == CS_OK && x->n_str) {
        static cs_error local; /* large: off the stack */
        cs_error_clear(&local);
        st = cs_h5_check_crc(x->ds, x->crc, x->path, &local);
        if (st != CS_OK)
            cs_error_set(err, st, "%s: %.*s", x->file, (int)strcspn(local.text, "\n"), local.text);
    }
    return st;
}

/* One axis's scale, checked by scale_named. */
typedef struct scale_check {
    const char *want; /* the axis's name, from the dataset's `dimensions` */
    bool ok;
} scale_check;

static herr_t scale_named(hid_t did, unsigned dim, hid_t sid, void *data)
{
    scale_check *c = data;
    char name[256];
    ssize_t n = H5DSget_scale_name(sid, name, sizeof name);
    c->ok = n > 0 && (size_t)n < sizeof name && strcmp(name, c->want) == 0 &&
            H5DSis_attached(did, sid, dim) > 0;
    return 1; /* the first scale is the axis's */
}

/* Whether the dimension scales attached to the dataset ds are those its
 * `dimensions` name, attached both ways (the dataset's DIMENSION_LIST and
 * the scale's REFERENCE_LIST: object references in the global heap, which
 * has no checksum; iterating follows every reference, which a reader that
 * labels axes, such as xarray, would fail on). Axes without a scale (files
 * before 1.2) and scales themselves pass. */
static int check_scales(hid_t ds, const char *file, const char *path, int rank, cs_error *err)
{
    if (H5Aexists(ds, "dimensions") <= 0 || H5DSis_scale(ds) > 0) {
        H5Eclear2(H5E_DEFAULT);
        return CS_OK;
    }
    char **axes = NULL;
    size_t n = 0;
    static cs_error local; /* large: off the stack */
    bool ok =
        cs_h5_read_attr_strings(ds, "dimensions", &axes, &n, &local) == CS_OK && n == (size_t)rank;
    for (int i = 0; ok && i < rank; i++) {
        scale_check c = {axes[i], false};
        int k = H5DSget_num_scales(ds, (unsigned)i);
        ok = k <= 0 || (H5DSiterate_scales(ds, (unsigned)i, NULL, scale_named, &c) >= 0 && c.ok);
    }
    H5Eclear2(H5E_DEFAULT);
    cs_h5_free_strings(axes, n);
    return ok ? CS_OK
              : cs_error_set(err, CS_EFORMAT,
                             "%s: damaged file: the dimension scales of %s are damaged", file,
                             path);
}

/* Opens the dataset at path (relative to loc) and reads it whole. */
static int verify_dataset(hid_t loc, const char *name, const char *file, cs_error *err)
{
    char path[1024];
    snprintf(path, sizeof path, "/%s", name);
    reading x;
    memset(&x, 0, sizeof x);
    x.file = file;
    x.path = path;
    x.ds = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t ft = x.ds < 0 ? H5I_INVALID_HID : H5Dget_type(x.ds);
    hid_t sp = x.ds < 0 ? H5I_INVALID_HID : H5Dget_space(x.ds);
    x.mtype = ft < 0 ? H5I_INVALID_HID : H5Tget_native_type(ft, H5T_DIR_ASCEND);
    x.rank = sp < 0 ? -1 : H5Sget_simple_extent_dims(sp, x.dims, NULL);
    int st = CS_OK;
    if (x.mtype < 0 || x.rank < 0)
        st = cs_h5_damaged(err, file, "cannot open %s", path);
    else if ((x.size = H5Tget_size(x.mtype)) == 0)
        st = cs_error_set(err, CS_EFORMAT, "%s: damaged file: %s has elements of no size", file,
                          path);
    if (st == CS_OK) {
        find_strings(x.mtype, &x);
        x.vlen = x.n_str > 0 || H5Tdetect_class(x.mtype, H5T_VLEN) > 0;
        st = check_chunks(&x, err);
    }
    if (st == CS_OK)
        st = check_scales(x.ds, file, path, x.rank, err);
    if (st == CS_OK)
        st = read_all(&x, err);
    cs_h5_close(&x.mtype);
    cs_h5_close(&sp);
    cs_h5_close(&ft);
    cs_h5_close(&x.ds);
    return st;
}

/* Reads one attribute (so that HDF5 parses where its value lives: a string
 * in the global heap) and frees what it allocated. */
static herr_t read_attr(hid_t obj, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    (void)data;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t ft = a < 0 ? H5I_INVALID_HID : H5Aget_type(a);
    hid_t sp = a < 0 ? H5I_INVALID_HID : H5Aget_space(a);
    hid_t mt = ft < 0 ? H5I_INVALID_HID : H5Tget_native_type(ft, H5T_DIR_ASCEND);
    hssize_t n = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    size_t size = mt < 0 ? 0 : H5Tget_size(mt);
    /* Attributes are small (HDF5 keeps them in object headers); a size no
     * attribute of ours has is damage. */
    void *buf = n >= 0 && size > 0 && (size_t)n <= (1u << 20) / size
                    ? cs_xcalloc(n ? (size_t)n : 1, size)
                    : NULL;
    herr_t r = buf && (n == 0 || H5Aread(a, mt, buf) >= 0) ? 0 : -1;
    if (buf && (H5Tdetect_class(mt, H5T_VLEN) > 0 || H5Tdetect_class(mt, H5T_STRING) > 0))
        H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf); /* what was converted (buf was zeroed) */
    free(buf);
    cs_h5_close(&mt);
    cs_h5_close(&sp);
    cs_h5_close(&ft);
    cs_h5_close(&a);
    return r;
}

/* Reads every attribute of the object at name (relative to loc). */
static int verify_attrs(hid_t loc, const char *name, const char *file, cs_error *err)
{
    hsize_t idx = 0;
    if (H5Aiterate_by_name(loc, name, H5_INDEX_NAME, H5_ITER_INC, &idx, read_attr, NULL,
                           H5P_DEFAULT) < 0)
        return cs_h5_damaged(err, file, "cannot read the attributes of /%s",
                             strcmp(name, ".") ? name : "");
    return CS_OK;
}

typedef struct visit_ctx {
    const char *file;
    cs_error *err;
    int status;
} visit_ctx;

static herr_t visit(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    visit_ctx *c = data;
    if (info->type != H5L_TYPE_HARD)
        return 0;
    hid_t o = H5Oopen(g, name, H5P_DEFAULT);
    if (o < 0) {
        c->status = cs_h5_damaged(c->err, c->file, "cannot open /%s", name);
        return 1;
    }
    bool dataset = H5Iget_type(o) == H5I_DATASET;
    /* Every message of the object's header, as a reader that lists the
     * file's objects parses them (object headers of this format have no
     * checksum). */
    H5O_info_t oi;
    bool parsed = H5Oget_info2(o, &oi, H5O_INFO_ALL) >= 0;
    H5Oclose(o);
    if (!parsed) {
        c->status = cs_h5_damaged(c->err, c->file, "cannot read the header of /%s", name);
        return 1;
    }
    c->status = verify_attrs(g, name, c->file, c->err);
    if (dataset && c->status == CS_OK)
        c->status = verify_dataset(g, name, c->file, c->err);
    return c->status == CS_OK ? 0 : 1;
}

int cs_results_verify(const cs_results *r, cs_error *err)
{
    visit_ctx c = {r->path, err, CS_OK};
    hid_t f = (hid_t)r->file_id;
    c.status = verify_attrs(f, ".", r->path, err); /* the root group's */
    if (c.status == CS_OK && H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, visit, &c) < 0 &&
        c.status == CS_OK)
        c.status = cs_h5_damaged(err, r->path, "cannot list its contents");
    return c.status;
}
