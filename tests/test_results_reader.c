/*
 * test_results_reader.c — cs_results_read_measures refuses a damaged file
 * whose per-replicate dataset claims more rows than it records or stores,
 * before allocating for them (found by fuzz/fuzz_results.c: a few changed
 * bytes made the reader allocate gigabytes of fill values).
 *
 * Each test writes a results file with `casesim run` (the CASESIM binary of
 * this build) and then damages it with the HDF5 API.
 */
#include <check.h>
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casesim/results.h"

static char path[256];

/* A fresh results file of tests/data/valid/tiny.yaml (2 variants, 2 replicates). */
static void make_file(void)
{
    const char *casesim = getenv("CASESIM"), *src = getenv("SRCDIR");
    ck_assert_msg(casesim && src, "CASESIM and SRCDIR must be set");
    snprintf(path, sizeof path, "/tmp/casesim-reader-%ld.h5", (long)getpid());
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' run '%s/tests/data/valid/tiny.yaml' -o '%s' --overwrite -q",
             casesim, src, path);
    ck_assert_int_eq(system(cmd), 0);
}

/* Replaces /runs/baseline/measures by a chunked dataset of rows x 3 x 19
 * doubles with no chunk written, and sets the root attribute `replicates`. */
static void claim_rows(hsize_t rows, uint64_t replicates)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert(f >= 0);
    ck_assert(H5Ldelete(f, "/runs/baseline/measures", H5P_DEFAULT) >= 0);
    hsize_t dims[3] = {rows, 3, 19}, chunk[3] = {1, 3, 19};
    hid_t space = H5Screate_simple(3, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    ck_assert(H5Pset_chunk(dcpl, 3, chunk) >= 0);
    hid_t d = H5Dcreate2(f, "/runs/baseline/measures", H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl,
                         H5P_DEFAULT);
    ck_assert(d >= 0);
    hid_t a = H5Aopen(f, "replicates", H5P_DEFAULT);
    ck_assert(a >= 0 && H5Awrite(a, H5T_NATIVE_UINT64, &replicates) >= 0);
    H5Aclose(a);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(space);
    ck_assert(H5Fclose(f) >= 0);
}

static int read_baseline(cs_error *err, double **m)
{
    cs_results *r = NULL;
    cs_error_clear(err);
    int st = cs_results_open(path, &r, err);
    ck_assert_msg(st == CS_OK, "open: %s", err->text);
    uint64_t n = 0;
    *m = NULL;
    st = cs_results_read_measures(r, 0, m, &n, err);
    cs_results_close(r);
    return st;
}

START_TEST(rows_beyond_replicates)
{
    make_file();
    claim_rows(1000000000, 2);
    static cs_error err;
    double *m;
    ck_assert_int_eq(read_baseline(&err, &m), CS_EFORMAT);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err.text, "has 1000000000 rows, but the file records 2 replicates"), "%s",
                  err.text);
    unlink(path);
}
END_TEST

START_TEST(rows_not_stored)
{
    /* 10^9 rows of 57 doubles claimed (456 GB), none stored. */
    make_file();
    claim_rows(1000000000, 1000000000);
    static cs_error err;
    double *m;
    ck_assert_int_eq(read_baseline(&err, &m), CS_EFORMAT);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err.text, "claims 1000000000 rows but stores only 0 bytes"), "%s",
                  err.text);
    unlink(path);
}
END_TEST

START_TEST(valid_file_reads)
{
    /* The checks above do not refuse a valid file. */
    make_file();
    static cs_error err;
    double *m;
    ck_assert_int_eq(read_baseline(&err, &m), CS_OK);
    ck_assert_ptr_nonnull(m);
    free(m);
    unlink(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("results_reader");
    TCase *tc = tcase_create("damaged");
    tcase_add_test(tc, rows_beyond_replicates);
    tcase_add_test(tc, rows_not_stored);
    tcase_add_test(tc, valid_file_reads);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
