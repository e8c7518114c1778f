/*
 * test_schema.c — the results schema (casesim/schema.h) is the one
 * description of a replicate's data: the allocation, the written file, the
 * reader, the join of files (casesim merge) and the MPI packing all follow
 * its table, array by array, with no list of their own.
 *
 * Every test walks cs_schema_arrays: it fills each array of a result with
 * values that say where they come from (array, variant, replicate,
 * element), writes, reads, joins or packs, and checks every value and every
 * shape against the table. This file is compiled twice (tests/schema.cmake):
 * as test_schema against the library, and as test_schema_extra against the
 * library built with CASESIM_SCHEMA_TEST_ARRAY, whose schema has one more
 * line — a test-only array [group, stage, outcome] — and no other change;
 * test_extra_array checks that it is there, so the same tests passing in
 * both builds show that one line added a dataset everywhere.
 *
 * The same goes for what format 1.2 adds: every axis of every array has a
 * dimension scale named after it, holding its labels, and every array has
 * its Fletcher32 checksum — and every dataset of the file, whatever it is,
 * has a checksum (Fletcher32, or strings_crc32 for strings).
 *
 * Also here: the analysis tables as a pure function (no HDF5) on measures
 * with known answers.
 */
#include <check.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casesim/results.h"
#include "casesim/results_join.h"
#include "casesim/schema.h"
#include "casesim/stats.h"
#include "results/internal.h"
#include "sim/pack.h"

static cs_scenario *load_minimal(void)
{
    const char *src = getenv("SRCDIR");
    ck_assert_msg(src, "SRCDIR must be set");
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/minimal.yaml", src);
    cs_error err;
    cs_error_clear(&err);
    cs_scenario *s = NULL;
    ck_assert_msg(cs_scenario_load(path, &s, &err) == CS_OK, "%s", err.text);
    return s;
}

static const char *tmp_path(const char *name)
{
    static char buf[3][4096];
    static int next;
    const char *dir = getenv("BUILDDIR");
    char *b = buf[next++ % 3];
    snprintf(b, sizeof buf[0], "%s/test_schema_%ld_%s", dir ? dir : "/tmp", (long)getpid(), name);
    return b;
}

/* The value of element i of array k of (variant v, replicate rep): distinct
 * across all four, exact in every element type (small integers). */
static double expected(size_t k, size_t v, uint64_t rep, size_t i)
{
    return (double)((k * 7 + v * 3 + rep * 11 + i) % 120);
}

static void store(const cs_schema_array *a, void *p, size_t i, double x)
{
    switch (a->type) {
    case CS_TYPE_F64:
        ((double *)p)[i] = x;
        break;
    case CS_TYPE_F32:
        ((float *)p)[i] = (float)x;
        break;
    case CS_TYPE_I64:
        ((int64_t *)p)[i] = (int64_t)x;
        break;
    case CS_TYPE_U64:
        ((uint64_t *)p)[i] = (uint64_t)x;
        break;
    case CS_TYPE_I32:
        ((int32_t *)p)[i] = (int32_t)x;
        break;
    case CS_TYPE_U32:
        ((uint32_t *)p)[i] = (uint32_t)x;
        break;
    case CS_TYPE_U8:
        ((uint8_t *)p)[i] = (uint8_t)x;
        break;
    case CS_TYPE_STRING:
        ck_abort_msg("no per-replicate array holds strings");
    }
}

static double load(const cs_schema_array *a, const void *p, size_t i)
{
    switch (a->type) {
    case CS_TYPE_F64:
        return ((const double *)p)[i];
    case CS_TYPE_F32:
        return ((const float *)p)[i];
    case CS_TYPE_I64:
        return (double)((const int64_t *)p)[i];
    case CS_TYPE_U64:
        return (double)((const uint64_t *)p)[i];
    case CS_TYPE_I32:
        return ((const int32_t *)p)[i];
    case CS_TYPE_U32:
        return ((const uint32_t *)p)[i];
    case CS_TYPE_U8:
        return ((const uint8_t *)p)[i];
    case CS_TYPE_STRING:
        break;
    }
    return NAN;
}

static size_t count_of(const cs_schema_array *a, const cs_result_dims *d)
{
    size_t n = 0;
    ck_assert(cs_schema_array_count(a, d, &n));
    return n;
}

/* Fills every array of r for (variant v, replicate rep), the replicate
 * number itself where the schema keeps it, and n_cases case records. */
static void fill(cs_replicate_result *r, size_t v, uint64_t rep, size_t n_cases)
{
    cs_replicate_result_reset(r);
    r->variant = v;
    for (size_t k = 0; k < CS_SCHEMA_N_ARRAYS; k++) {
        const cs_schema_array *a = &cs_schema_arrays[k];
        size_t n = count_of(a, &r->dims);
        for (size_t i = 0; i < n; i++)
            store(a, cs_schema_array_data(a, r), i, expected(k, v, rep, i));
    }
    r->replicate = rep; /* the writer checks the order by it */
    if (n_cases > r->cap_cases) {
        r->cases = realloc(r->cases, n_cases * sizeof *r->cases);
        ck_assert_ptr_nonnull(r->cases);
        r->cap_cases = n_cases;
    }
    r->n_cases = n_cases;
    for (size_t i = 0; i < n_cases; i++)
        r->cases[i] = (cs_case_record){.replicate = rep, .group = (uint32_t)(i % 2), .incident = i};
}

/* Checks that the values of array k in p are those of (v, rep). */
static void check_values(size_t k, const void *p, const cs_result_dims *d, size_t v, uint64_t rep,
                         const char *where)
{
    const cs_schema_array *a = &cs_schema_arrays[k];
    size_t n = count_of(a, d);
    for (size_t i = 0; i < n; i++) {
        double want = a->scalar && k == CS_ARRAY_replicate ? (double)rep : expected(k, v, rep, i);
        ck_assert_msg(load(a, p, i) == want,
                      "%s: %s[%zu] of variant %zu replicate %llu is %g, not %g", where, a->name, i,
                      v, (unsigned long long)rep, load(a, p, i), want);
    }
}

/* Writes replicates first .. first + n - 1 of every variant of s. */
static void write_file(const char *path, const cs_scenario *s, uint64_t first, uint64_t n,
                       uint64_t case_reps)
{
    cs_error err;
    cs_error_clear(&err);
    cs_results_options opt = {.seed = 5,
                              .first_replicate = first,
                              .n_replicates = n,
                              .case_record_replicates = case_reps};
    cs_results_writer *w = NULL;
    ck_assert_msg(cs_results_writer_open(path, s, &opt, &w, &err) == CS_OK, "%s", err.text);
    cs_result_dims d;
    cs_result_dims_of(s, &d);
    cs_replicate_result *r = NULL;
    ck_assert_int_eq(cs_replicate_result_alloc(&d, &r, &err), CS_OK);
    for (uint64_t rep = first; rep < first + n; rep++)
        for (size_t v = 0; v < s->n_variants; v++) {
            fill(r, v, rep, rep - first < case_reps ? 3 : 0);
            ck_assert_msg(cs_results_sink(w, r, &err) == CS_OK, "%s", err.text);
        }
    cs_replicate_result_free(r);
    ck_assert_msg(cs_results_writer_close(w, true, &err) == CS_OK, "%s", err.text);
}

/* The file's datasets are the table's: rank, shape, element type, and the
 * attributes units, description and dimensions. */
START_TEST(file_follows_table)
{
    cs_scenario *s = load_minimal();
    const char *path = tmp_path("layout.h5");
    write_file(path, s, 0, 3, 0);
    cs_result_dims d;
    cs_result_dims_of(s, &d);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert(f >= 0);
    for (size_t v = 0; v < s->n_variants; v++)
        for (size_t k = 0; k < CS_SCHEMA_N_ARRAYS; k++) {
            const cs_schema_array *a = &cs_schema_arrays[k];
            char name[256];
            snprintf(name, sizeof name, "/runs/%s/%s", s->variants[v].name, a->name);
            hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
            ck_assert_msg(ds >= 0, "%s is missing", name);
            hid_t sp = H5Dget_space(ds), t = H5Dget_type(ds);
            hsize_t shape[1 + CS_SCHEMA_MAX_RANK];
            ck_assert_int_eq(H5Sget_simple_extent_ndims(sp), 1 + a->rank);
            H5Sget_simple_extent_dims(sp, shape, NULL);
            ck_assert_uint_eq(shape[0], 3);
            for (int i = 0; i < a->rank; i++)
                ck_assert_uint_eq(shape[1 + i], cs_result_dim(&d, a->dims[i]));
            ck_assert_uint_eq(H5Tget_size(t), a->size);
            ck_assert_int_eq(H5Tget_class(t), a->type == CS_TYPE_F64 || a->type == CS_TYPE_F32
                                                  ? H5T_FLOAT
                                                  : H5T_INTEGER);
            ck_assert(H5Aexists(ds, "units") > 0 && H5Aexists(ds, "description") > 0);
            /* dimensions: "replicate", then the table's axes by name. */
            hid_t at = H5Aopen(ds, "dimensions", H5P_DEFAULT);
            ck_assert(at >= 0);
            hid_t as = H5Aget_space(at), st = H5Tcopy(H5T_C_S1);
            H5Tset_size(st, H5T_VARIABLE);
            ck_assert_int_eq(H5Sget_simple_extent_npoints(as), 1 + a->rank);
            char *names[1 + CS_SCHEMA_MAX_RANK];
            ck_assert(H5Aread(at, st, names) >= 0);
            ck_assert_str_eq(names[0], "replicate");
            for (int i = 0; i < a->rank; i++)
                ck_assert_str_eq(names[1 + i], cs_schema_dims[a->dims[i]].name);
            H5Dvlen_reclaim(st, as, H5P_DEFAULT, names);
            H5Tclose(st);
            H5Sclose(as);
            H5Aclose(at);
            H5Tclose(t);
            H5Sclose(sp);
            H5Dclose(ds);
        }
    H5Fclose(f);
    unlink(path);
    cs_scenario_free(s);
}
END_TEST

/* The one scale attached to axis i of ds (open; the caller closes it). */
static herr_t keep_scale(hid_t did, unsigned dim, hid_t dsid, void *data)
{
    (void)did;
    (void)dim;
    ck_assert(H5Iinc_ref(dsid) >= 0);
    *(hid_t *)data = dsid;
    return 1;
}

/* Reads the 1-D dataset d whole, as strings (labels) or as unsigned
 * integers (positions, replicate numbers), into a new array of n entries. */
static void read_labels(hid_t d, size_t n, char ***strings, uint64_t **numbers)
{
    hid_t t = H5Dget_type(d);
    *strings = NULL;
    *numbers = NULL;
    if (H5Tget_class(t) == H5T_STRING) {
        hid_t st = H5Tcopy(H5T_C_S1);
        H5Tset_size(st, H5T_VARIABLE);
        *strings = calloc(n, sizeof **strings);
        ck_assert(H5Dread(d, st, H5S_ALL, H5S_ALL, H5P_DEFAULT, *strings) >= 0);
        H5Tclose(st);
    } else {
        *numbers = calloc(n, sizeof **numbers);
        ck_assert(H5Dread(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, *numbers) >= 0);
    }
    H5Tclose(t);
}

/* Checks the labels of the scale sc of axis `dim` (n entries): replicate
 * numbers first.., the /scenario list with its extra label, or positions. */
static void check_scale_labels(hid_t f, hid_t sc, const char *dim, size_t n, uint64_t first)
{
    char **got = NULL;
    uint64_t *num = NULL;
    read_labels(sc, n, &got, &num);
    const cs_schema_dim *sd = NULL;
    for (int k = 0; k < CS_DIM_COUNT; k++)
        if (strcmp(cs_schema_dims[k].name, dim) == 0)
            sd = &cs_schema_dims[k];
    if (sd && sd->labels[0]) {
        ck_assert_msg(got, "the scale of %s holds no strings", dim);
        hid_t l = H5Dopen2(f, sd->labels, H5P_DEFAULT);
        char **want = NULL;
        uint64_t *unused = NULL;
        size_t nl = n - (sd->extra ? 1 : 0);
        read_labels(l, nl, &want, &unused);
        for (size_t i = 0; i < nl; i++)
            ck_assert_str_eq(got[i], want[i]);
        if (sd->extra)
            ck_assert_str_eq(got[n - 1], sd->extra);
        for (size_t i = 0; i < nl; i++)
            free(want[i]);
        free(want);
        H5Dclose(l);
    } else {
        ck_assert_msg(num, "the scale of %s holds no numbers", dim);
        for (size_t i = 0; i < n; i++)
            ck_assert_uint_eq(num[i], (strcmp(dim, "replicate") == 0 ? first : 0) + i);
    }
    for (size_t i = 0; got && i < n; i++)
        free(got[i]);
    free(got);
    free(num);
}

/* Axis i of ds has exactly one dimension scale, g/<dim>, of the axis's
 * length, with the axis's labels. */
static void check_axis(hid_t f, hid_t ds, unsigned i, const char *vpath, const char *dim, size_t n,
                       uint64_t first)
{
    ck_assert_int_eq(H5DSget_num_scales(ds, i), 1);
    hid_t sc = H5I_INVALID_HID;
    ck_assert(H5DSiterate_scales(ds, i, NULL, keep_scale, &sc) >= 0 && sc >= 0);
    char name[512], want[512];
    ck_assert(H5Iget_name(sc, name, sizeof name) > 0);
    snprintf(want, sizeof want, "%s/%s", vpath, dim);
    ck_assert_str_eq(name, want);
    hid_t sp = H5Dget_space(sc);
    hsize_t len = 0;
    ck_assert_int_eq(H5Sget_simple_extent_ndims(sp), 1);
    H5Sget_simple_extent_dims(sp, &len, NULL);
    ck_assert_uint_eq(len, n);
    check_scale_labels(f, sc, dim, n, first);
    H5Sclose(sp);
    H5Dclose(sc);
}

/* Whether dataset d has the Fletcher32 filter. */
static bool has_fletcher32(hid_t d)
{
    hid_t dcpl = H5Dget_create_plist(d);
    unsigned flags = 0;
    size_t nelmts = 0;
    unsigned config = 0;
    bool yes = H5Pget_filter_by_id2(dcpl, H5Z_FILTER_FLETCHER32, &flags, &nelmts, NULL, 0, NULL,
                                    &config) >= 0;
    H5Eclear2(H5E_DEFAULT);
    H5Pclose(dcpl);
    return yes;
}

/* Every axis of every array of every variant has its dimension scale with
 * its labels, and every array its Fletcher32 (format 1.2). */
START_TEST(axes_have_scales)
{
    cs_scenario *s = load_minimal();
    const char *path = tmp_path("scales.h5");
    write_file(path, s, 4, 3, 1);
    cs_result_dims d;
    cs_result_dims_of(s, &d);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert(f >= 0);
    for (size_t v = 0; v < s->n_variants; v++)
        for (size_t k = 0; k < CS_SCHEMA_N_ARRAYS; k++) {
            const cs_schema_array *a = &cs_schema_arrays[k];
            char vpath[256], name[512];
            snprintf(vpath, sizeof vpath, "/runs/%s", s->variants[v].name);
            snprintf(name, sizeof name, "%s/%s", vpath, a->name);
            hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
            ck_assert_msg(has_fletcher32(ds), "%s has no Fletcher32", name);
            check_axis(f, ds, 0, vpath, "replicate", 3, 4);
            for (int i = 0; i < a->rank; i++)
                check_axis(f, ds, (unsigned)(1 + i), vpath, cs_schema_dims[a->dims[i]].name,
                           cs_result_dim(&d, a->dims[i]), 4);
            H5Dclose(ds);
        }
    H5Fclose(f);
    unlink(path);
    cs_scenario_free(s);
}
END_TEST

/* Every dataset of the file has a checksum: Fletcher32 if it is chunked
 * and not of strings, strings_crc32 if it holds strings; the only
 * dataset not chunked is /scenario/source, a scalar (HDF5 cannot chunk
 * one), whose string has its strings_crc32. */
static herr_t check_dataset(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    (void)info;
    int *seen = data;
    hid_t o = H5Oopen(g, name, H5P_DEFAULT);
    if (H5Iget_type(o) != H5I_DATASET) {
        H5Oclose(o);
        return 0;
    }
    ++*seen;
    hid_t t = H5Dget_type(o), dcpl = H5Dget_create_plist(o);
    bool chunked = H5Pget_layout(dcpl) == H5D_CHUNKED;
    bool strings = H5Tdetect_class(t, H5T_STRING) > 0;
    bool vstring = H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0;
    if (!vstring)
        ck_assert_msg(chunked && has_fletcher32(o), "%s: no Fletcher32", name);
    if (strings)
        ck_assert_msg(H5Aexists(o, "strings_crc32") > 0, "%s: no strings_crc32", name);
    if (!chunked)
        ck_assert_msg(strcmp(name, "scenario/source") == 0, "%s is not chunked", name);
    H5Pclose(dcpl);
    H5Tclose(t);
    H5Oclose(o);
    return 0;
}

START_TEST(every_dataset_has_a_checksum)
{
    cs_scenario *s = load_minimal();
    const char *path = tmp_path("checksums.h5");
    write_file(path, s, 0, 2, 1);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int seen = 0;
    ck_assert(H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, check_dataset, &seen) >= 0);
    /* arrays, scales, cases of each variant; lists; tables and their scales */
    ck_assert_int_ge(seen, (int)(s->n_variants * CS_SCHEMA_N_ARRAYS) + 13 + 6);
    H5Fclose(f);
    unlink(path);
    cs_scenario_free(s);
}
END_TEST

/* The reader returns every array of every variant as written. */
START_TEST(reader_follows_table)
{
    cs_scenario *s = load_minimal();
    const char *path = tmp_path("read.h5");
    write_file(path, s, 0, 4, 0);
    cs_result_dims d;
    cs_result_dims_of(s, &d);
    cs_results *r = NULL;
    cs_error err;
    cs_error_clear(&err);
    ck_assert_msg(cs_results_open(path, &r, &err) == CS_OK, "%s", err.text);
    for (size_t v = 0; v < r->n_variants; v++)
        for (size_t k = 0; k < CS_SCHEMA_N_ARRAYS; k++) {
            const cs_schema_array *a = &cs_schema_arrays[k];
            cs_results_array x;
            ck_assert_msg(cs_results_read_array(r, v, a->name, &x, &err) == CS_OK, "%s", err.text);
            ck_assert_ptr_eq(x.schema, a);
            ck_assert_uint_eq(x.rows, 4);
            for (int i = 0; i < a->rank; i++)
                ck_assert_uint_eq(x.shape[i], cs_result_dim(&d, a->dims[i]));
            size_t n = count_of(a, &d);
            for (uint64_t rep = 0; rep < 4; rep++)
                check_values(k, (const char *)x.data + rep * n * a->size, &d, v, rep, "reader");
            cs_results_array_free(&x);
        }
    /* A name the schema does not have is refused. */
    cs_results_array x;
    ck_assert_int_eq(cs_results_read_array(r, 0, "no_such_array", &x, &err), CS_EINVAL);
    cs_results_close(r);
    unlink(path);
    cs_scenario_free(s);
}
END_TEST

/* The join of two replicate ranges carries every array, row for row. */
START_TEST(merge_follows_table)
{
    cs_scenario *s = load_minimal();
    const char *a_path = tmp_path("range_a.h5"), *b_path = tmp_path("range_b.h5");
    const char *m_path = tmp_path("merged.h5");
    write_file(a_path, s, 0, 2, 1);
    write_file(b_path, s, 2, 3, 0);
    cs_error err;
    cs_error_clear(&err);
    const char *inputs[] = {b_path, a_path};
    size_t dropped = 9;
    ck_assert_msg(cs_results_merge(inputs, 2, m_path, "test", &dropped, &err) == CS_OK, "%s",
                  err.text);
    ck_assert_uint_eq(dropped, 0);
    cs_result_dims d;
    cs_result_dims_of(s, &d);
    cs_results *r = NULL;
    ck_assert_msg(cs_results_open(m_path, &r, &err) == CS_OK, "%s", err.text);
    ck_assert_uint_eq(r->replicates, 5);
    for (size_t v = 0; v < r->n_variants; v++)
        for (size_t k = 0; k < CS_SCHEMA_N_ARRAYS; k++) {
            const cs_schema_array *a = &cs_schema_arrays[k];
            cs_results_array x;
            ck_assert_msg(cs_results_read_array(r, v, a->name, &x, &err) == CS_OK, "%s", err.text);
            size_t n = count_of(a, &d);
            for (uint64_t rep = 0; rep < 5; rep++)
                check_values(k, (const char *)x.data + rep * n * a->size, &d, v, rep, "merge");
            cs_results_array_free(&x);
        }
    cs_results_close(r);
    unlink(a_path);
    unlink(b_path);
    unlink(m_path);
    cs_scenario_free(s);
}
END_TEST

/* MPI's message: every array packed and unpacked, then the case records;
 * a message of the wrong size is refused. */
START_TEST(packing_follows_table)
{
    cs_scenario *s = load_minimal();
    cs_result_dims d;
    cs_result_dims_of(s, &d);
    cs_error err;
    cs_error_clear(&err);
    cs_replicate_result *a = NULL, *b = NULL;
    ck_assert_int_eq(cs_replicate_result_alloc(&d, &a, &err), CS_OK);
    ck_assert_int_eq(cs_replicate_result_alloc(&d, &b, &err), CS_OK);
    fill(a, 1, 7, 5);
    size_t size = 0, want = 0;
    ck_assert_int_eq(cs_result_packed_size(&d, &size, &err), CS_OK);
    for (size_t k = 0; k < CS_SCHEMA_N_ARRAYS; k++)
        want += count_of(&cs_schema_arrays[k], &d) * cs_schema_arrays[k].size;
    ck_assert_uint_eq(size, want);
    size_t n = size + a->n_cases * sizeof(cs_case_record);
    unsigned char *buf = malloc(n);
    ck_assert_ptr_nonnull(buf);
    cs_result_pack(a, size, buf);
    ck_assert_int_eq(cs_result_unpack(buf, n, size, b, &err), CS_OK);
    for (size_t k = 0; k < CS_SCHEMA_N_ARRAYS; k++)
        check_values(k, cs_schema_array_cdata(&cs_schema_arrays[k], b), &d, 1, 7, "unpacked");
    ck_assert_uint_eq(b->n_cases, 5);
    ck_assert_mem_eq(b->cases, a->cases, 5 * sizeof(cs_case_record));
    ck_assert_int_eq(cs_result_unpack(buf, n - 1, size, b, &err), CS_EINTERNAL);
    free(buf);
    cs_replicate_result_free(a);
    cs_replicate_result_free(b);
    cs_scenario_free(s);
}
END_TEST

/* Allocation gives every array its table's size and reset clears them all. */
START_TEST(alloc_and_reset_follow_table)
{
    cs_scenario *s = load_minimal();
    cs_result_dims d;
    cs_result_dims_of(s, &d);
    /* minimal.yaml: 2 groups, 2 stages, 1 category, 6 years of run. */
    ck_assert_uint_eq(d.n_group_rows, 3);
    ck_assert_uint_eq(d.n_measures, CS_M_FIXED_COUNT + 1);
    ck_assert_uint_eq(d.n_stages, 2);
    ck_assert_uint_eq(d.n_stage_stats, CS_SS_COUNT);
    ck_assert_uint_eq(cs_result_dim(&d, CS_DIM_YEAR), 6);
    ck_assert_uint_eq(cs_result_dim(&d, CS_DIM_MONTH), 72);
    cs_error err;
    cs_error_clear(&err);
    cs_replicate_result *r = NULL;
    ck_assert_int_eq(cs_replicate_result_alloc(&d, &r, &err), CS_OK);
    fill(r, 0, 3, 2);
    cs_replicate_result_reset(r);
    for (size_t k = 0; k < CS_SCHEMA_N_ARRAYS; k++) {
        const cs_schema_array *a = &cs_schema_arrays[k];
        size_t n = count_of(a, &d);
        for (size_t i = 0; i < n; i++)
            ck_assert(load(a, cs_schema_array_cdata(a, r), i) == 0.0);
    }
    ck_assert_uint_eq(r->n_cases, 0);
    cs_replicate_result_free(r);
    cs_scenario_free(s);
}
END_TEST

/* The test-only array of the extra build: present in the table with its
 * shape, and nowhere else spelled out. */
START_TEST(extra_array)
{
    const cs_schema_array *a = cs_schema_find_array("test_counts");
#ifdef CASESIM_SCHEMA_TEST_ARRAY
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->rank, 3);
    ck_assert_int_eq(a->dims[2], CS_DIM_OUTCOME);
#else
    ck_assert_ptr_null(a);
#endif
}
END_TEST

/* --------------------------------------- the analysis tables, without HDF5 */

/* Two groups (reference, b), four measures with impunity_rate,
 * accountability_ratio and the accountability_rate it divides among them,
 * two variants, four replicates. */
#define AR 4
static const char *const a_groups[] = {"reference", "b"};
static const char *const a_measures[] = {"impunity_rate", "accountability_ratio", "incidents",
                                         "accountability_rate"};
static const char *const a_units[] = {"1", "1", "incidents", "1"};
static const char *const a_variants[] = {"baseline", "reform"};
static const char *const a_kinds[] = {"baseline", "intervention"};
static const double a_cost[] = {0, 1000};

/* Impunity of group b: baseline 0.8, 0.6, 0.7, 0.9 (mean 0.75); the reform
 * lowers it by 0.1, 0.2, 0.1, 0.2 (mean difference -0.15). */
static const double b_imp[2][AR] = {{0.8, 0.6, 0.7, 0.9}, {0.7, 0.4, 0.6, 0.7}};

static int a_load(void *ctx, size_t v, double *buf, cs_error *err)
{
    (void)ctx;
    (void)err;
    for (size_t r = 0; r < AR; r++)
        for (size_t g = 0; g < 3; g++) {
            double *m = buf + (r * 3 + g) * 4;
            m[0] = g == 1 ? b_imp[v][r] : 0.5;
            m[1] = g == 1 ? 0.9 : 1.0;
            m[2] = 100.0 + (double)r;
            m[3] = 1.0 - m[0];
        }
    return CS_OK;
}

START_TEST(analysis_known_answers)
{
    cs_analysis_input in = {.n_groups = 2,
                            .n_measures = 4,
                            .n_variants = 2,
                            .groups = a_groups,
                            .measures = a_measures,
                            .units = a_units,
                            .variants = a_variants,
                            .kinds = a_kinds,
                            .annual_cost = a_cost,
                            .replicates = AR,
                            .seed = 1,
                            .load = a_load};
    cs_analysis_tables t;
    cs_error err;
    cs_error_clear(&err);
    ck_assert_msg(cs_analysis_compute(&in, &t, &err) == CS_OK, "%s", err.text);
    ck_assert_uint_eq(t.n_summary, 2 * 3 * 4);
    ck_assert_uint_eq(t.n_comparison, 1 * 3 * 4);
    ck_assert_uint_eq(t.n_ranking, 2);
    ck_assert_uint_eq(t.most_affected, 1); /* b: 0.75 > 0.5 */
    /* Summary of b's baseline impunity, a share: mean 0.75, sd sqrt(0.05/3),
     * and the Wilson score interval with effective sample size n_eff =
     * p (1 - p) / se^2 = 45 and t(0.975, 3) = 3.182446305284263 (tables):
     * [0.5128730882853311, 0.8952682281912977], worked out separately in
     * Python. Exact arithmetic up to rounding: 1e-12. */
    const cs_results_summary_row *s = &t.summary[1 * 4 + 0];
    ck_assert_str_eq(s->group, "b");
    ck_assert_str_eq(s->measure, "impunity_rate");
    double sd = sqrt(0.05 / 3);
    ck_assert_double_eq_tol(s->mean, 0.75, 1e-12);
    ck_assert_double_eq_tol(s->sd, sd, 1e-12);
    ck_assert_double_eq_tol(s->ci_low, 0.5128730882853311, 1e-12);
    ck_assert_double_eq_tol(s->ci_high, 0.8952682281912977, 1e-12);
    ck_assert_int_eq(s->n, AR);
    /* A count is not a share: the t interval, mean 101.5 -/+ t sd / 2 with
     * sd = 1.2909944487358056 (of 100, 101, 102, 103). */
    s = &t.summary[1 * 4 + 2];
    ck_assert_str_eq(s->measure, "incidents");
    ck_assert_double_eq_tol(s->ci_high - s->mean, 3.182446305284263 * 1.2909944487358056 / 2,
                            1e-12);
    /* The paired difference -0.15 (sd of the differences sqrt(1/300)), the
     * cost per point 1000 / 15, the reform ranked first on impunity. */
    const cs_results_comparison_row *c = &t.comparison[1 * 4 + 0];
    ck_assert_str_eq(c->variant, "reform");
    ck_assert_double_eq_tol(c->diff_mean, -0.15, 1e-12);
    ck_assert_double_eq_tol(c->diff_ci_high - c->diff_mean, 3.182446305284263 * sqrt(1.0 / 300) / 2,
                            1e-12);
    ck_assert_double_eq_tol(c->cost_per_point, 1000.0 / 15.0, 1e-9);
    ck_assert_int_eq(c->rank, 1);
    ck_assert_int_eq(t.ranking[1].impunity_rank, 1);
    ck_assert_int_eq(t.ranking[0].impunity_rank, 2);
    ck_assert_double_eq_tol(t.ranking[1].reduction_points, 15.0, 1e-9);
    ck_assert_uint_eq(t.bootstrap_resamples, CS_STATS_BOOTSTRAP);
    /* The reform is better in every replicate: best in every resample. */
    ck_assert_double_eq(t.ranking[1].impunity_p_best, 1.0);
    /* b's accountability ratio at baseline: the ratio of the mean rates,
     * (1 - 0.75) / 0.5 = 0.5 (not the per-replicate 0.9 of a_load). */
    ck_assert_double_eq_tol(t.summary[1 * 4 + 1].mean, 0.5, 1e-12);
    ck_assert_double_eq_tol(t.ranking[0].ratio_mean, 0.5, 1e-12);
    cs_analysis_tables_free(&t);
    /* Without the rate a ratio divides, or without the criteria, the
     * analysis refuses (a file of another kind). */
    in.n_measures = 3;
    ck_assert_int_eq(cs_analysis_compute(&in, &t, &err), CS_EFORMAT);
    cs_analysis_tables_free(&t);
    static const char *const other[] = {"x", "y", "z", "w"};
    in.measures = other;
    ck_assert_int_eq(cs_analysis_compute(&in, &t, &err), CS_EFORMAT);
    cs_analysis_tables_free(&t);
}
END_TEST

/* By arrival year: year 0 holds the measures of a_load, year 1 the same
 * but b's impunity close to 1 (1, 0.98, 1, 1), where a t interval would
 * pass 1 (mean 0.995 + 3.18 x 0.01 / 2 = 1.011). */
static int a_load_years(void *ctx, size_t v, double *buf, cs_error *err)
{
    double *one = malloc(AR * 3 * 4 * sizeof *one);
    ck_assert_ptr_nonnull(one);
    a_load(ctx, v, one, err);
    for (size_t r = 0; r < AR; r++)
        for (size_t y = 0; y < 2; y++) {
            double *m = buf + (r * 2 + y) * 3 * 4;
            memcpy(m, one + r * 3 * 4, 3 * 4 * sizeof *m);
            if (y == 1)
                m[1 * 4 + 0] = r == 1 ? 0.98 : 1.0;
        }
    free(one);
    return CS_OK;
}

START_TEST(analysis_by_year_keeps_shares_in_bounds)
{
    static const double years[] = {2020, 2021};
    cs_analysis_input in = {.n_groups = 2,
                            .n_measures = 4,
                            .n_variants = 2,
                            .groups = a_groups,
                            .measures = a_measures,
                            .units = a_units,
                            .variants = a_variants,
                            .kinds = a_kinds,
                            .annual_cost = a_cost,
                            .replicates = AR,
                            .seed = 1,
                            .load = a_load,
                            .n_years = 2,
                            .years = years,
                            .load_years = a_load_years};
    cs_analysis_year_tables t;
    cs_error err;
    cs_error_clear(&err);
    ck_assert_msg(cs_analysis_by_year(&in, 1, 0, &t, &err) == CS_OK, "%s", err.text);
    ck_assert_uint_eq(t.n_summary, 2 * 2 * 3 * 4);
    /* Year 2020, b, impunity: the Wilson interval of analysis_known_answers. */
    const cs_results_summary_year_row *s = &t.summary[(0 * 3 + 1) * 4 + 0];
    ck_assert(s->year == 2020 && strcmp(s->group, "b") == 0);
    ck_assert_double_eq_tol(s->ci_low, 0.5128730882853311, 1e-12);
    ck_assert_double_eq_tol(s->ci_high, 0.8952682281912977, 1e-12);
    /* Year 2021: inside [0, 1] (the Wilson interval's upper end is below 1
     * for a mean below 1). */
    s = &t.summary[(1 * 3 + 1) * 4 + 0];
    ck_assert(s->year == 2021 && strcmp(s->measure, "impunity_rate") == 0);
    ck_assert_double_eq_tol(s->mean, 0.995, 1e-12);
    ck_assert_msg(s->ci_low >= 0.0 && s->ci_high <= 1.0, "[%.17g, %.17g]", s->ci_low, s->ci_high);
    /* Year 2020, b's accountability ratio: of the mean rates, as in
     * analysis_known_answers. */
    ck_assert_double_eq_tol(t.summary[(0 * 3 + 1) * 4 + 1].mean, 0.5, 1e-12);
    /* A count keeps its t interval, which is symmetric. */
    s = &t.summary[(1 * 3 + 1) * 4 + 2];
    ck_assert_double_eq_tol(s->ci_high - s->mean, 3.182446305284263 * 1.2909944487358056 / 2,
                            1e-12);
    cs_analysis_year_tables_free(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("schema");
    TCase *tc = tcase_create("schema");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, file_follows_table);
    tcase_add_test(tc, axes_have_scales);
    tcase_add_test(tc, every_dataset_has_a_checksum);
    tcase_add_test(tc, reader_follows_table);
    tcase_add_test(tc, merge_follows_table);
    tcase_add_test(tc, packing_follows_table);
    tcase_add_test(tc, alloc_and_reset_follow_table);
    tcase_add_test(tc, extra_array);
    tcase_add_test(tc, analysis_known_answers);
    tcase_add_test(tc, analysis_by_year_keeps_shares_in_bounds);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
