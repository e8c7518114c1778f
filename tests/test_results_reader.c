/*
 * test_results_reader.c — cs_results_read_measures refuses a damaged file
 * whose per-replicate dataset claims more rows than it records or stores,
 * before allocating for them (found by fuzz/fuzz_results.c: a few changed
 * bytes made the reader allocate gigabytes of fill values); and the
 * checksums of format 1.2 catch damage the layout checks cannot see: a
 * flipped byte in a chunk of data (Fletcher32, checked by HDF5 on reading
 * the chunk, and by cs_results_verify for every dataset) and changed
 * strings (strings_crc32 of a table or a name list).
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

/* Replaces /runs/baseline/measures by a chunked dataset of rows x 3 x M
 * doubles (M: the fixed measures and tiny.yaml's one category) with no
 * chunk written, and sets the root attribute `replicates`. */
static void claim_rows(hsize_t rows, uint64_t replicates)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert(f >= 0);
    ck_assert(H5Ldelete(f, "/runs/baseline/measures", H5P_DEFAULT) >= 0);
    hsize_t dims[3] = {rows, 3, CS_M_FIXED_COUNT + 1}, chunk[3] = {1, 3, CS_M_FIXED_COUNT + 1};
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
    /* 10^9 rows of 3 x M doubles claimed (over 500 GB), none stored. */
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

/* Flips every bit of the byte at offset off of the file. */
static void flip_byte(long off)
{
    FILE *fp = fopen(path, "r+b");
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(fseek(fp, off, SEEK_SET), 0);
    int c = fgetc(fp);
    ck_assert_int_ne(c, EOF);
    ck_assert_int_eq(fseek(fp, off, SEEK_SET), 0);
    ck_assert_int_ne(fputc(c ^ 0xFF, fp), EOF);
    ck_assert_int_eq(fclose(fp), 0);
}

/* The offset in the file of the middle of the first chunk of dataset name. */
static long chunk_middle(const char *name)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t sp = H5Dget_space(d);
    hsize_t offset[4];
    unsigned mask = 0;
    haddr_t addr = 0;
    hsize_t size = 0;
    ck_assert(H5Dget_chunk_info(d, sp, 0, offset, &mask, &addr, &size) >= 0 && size > 0);
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
    return (long)(addr + size / 2);
}

/* A byte flipped in a chunk of an array that opening does not read: the
 * file opens; reading that array, or verifying the file, says it is damaged
 * (Fletcher32). */
START_TEST(flipped_byte_in_a_chunk)
{
    make_file();
    static cs_error err;
    cs_error_clear(&err);
    flip_byte(chunk_middle("/runs/more_staff/backlog"));
    cs_results *r = NULL;
    ck_assert_msg(cs_results_open(path, &r, &err) == CS_OK, "%s", err.text);
    cs_results_array a;
    ck_assert_int_eq(cs_results_read_array(r, 1, "backlog", &a, &err), CS_EFORMAT);
    ck_assert_msg(strstr(err.text, "damaged file") && strstr(err.text, "checksum"), "%s", err.text);
    cs_error_clear(&err);
    ck_assert_int_eq(cs_results_verify(r, &err), CS_EFORMAT);
    ck_assert_msg(strstr(err.text, path) && strstr(err.text, "damaged file") &&
                      strstr(err.text, "/runs/more_staff/backlog"),
                  "%s", err.text);
    cs_results_close(r);
    unlink(path);
}
END_TEST

/* Rewrites one string of a dataset of strings, or of the first row of a
 * table, as HDF5 writes it (a new heap object: no layout check can tell),
 * leaving the dataset's strings_crc32 as it was. */
static void change_string(const char *name, size_t member)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t ft = H5Dget_type(d), mt = H5Tget_native_type(ft, H5T_DIR_ASCEND);
    hid_t sp = H5Dget_space(d);
    hsize_t one = 1, start = 0;
    hid_t ms = H5Screate_simple(1, &one, NULL);
    ck_assert(H5Sselect_hyperslab(sp, H5S_SELECT_SET, &start, NULL, &one, NULL) >= 0);
    unsigned char row[1024] = {0};
    ck_assert(H5Tget_size(mt) <= sizeof row);
    ck_assert(H5Dread(d, mt, ms, sp, H5P_DEFAULT, row) >= 0);
    size_t off = H5Tget_class(mt) == H5T_COMPOUND ? H5Tget_member_offset(mt, (unsigned)member) : 0;
    char *old = *(char **)(row + off), changed[256];
    snprintf(changed, sizeof changed, "%sx", old);
    *(char **)(row + off) = changed;
    ck_assert(H5Dwrite(d, mt, ms, sp, H5P_DEFAULT, row) >= 0);
    *(char **)(row + off) = old;
    H5Dvlen_reclaim(mt, ms, H5P_DEFAULT, row);
    H5Sclose(ms);
    H5Sclose(sp);
    H5Tclose(mt);
    H5Tclose(ft);
    H5Dclose(d);
    ck_assert(H5Fclose(f) >= 0);
}

/* Changed strings in /summary (its `measure` column) or in a name list of
 * /scenario: opening the file says that its strings do not match their
 * checksum. */
START_TEST(changed_strings)
{
    static const struct {
        const char *dataset;
        size_t member;
        const char *named;
    } cases[] = {{"/summary", 2, "/summary"},
                 {"/scenario/group_labels", 0, "dataset 'group_labels'"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        make_file();
        change_string(cases[i].dataset, cases[i].member);
        static cs_error err;
        cs_error_clear(&err);
        cs_results *r = NULL;
        ck_assert_int_eq(cs_results_open(path, &r, &err), CS_EFORMAT);
        ck_assert_msg(strstr(err.text, "damaged file") && strstr(err.text, cases[i].named) &&
                          strstr(err.text, "do not match their checksum"),
                      "%s", err.text);
        unlink(path);
    }
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
    cs_results *r = NULL;
    ck_assert_msg(cs_results_open(path, &r, &err) == CS_OK, "%s", err.text);
    ck_assert_msg(cs_results_verify(r, &err) == CS_OK, "%s", err.text);
    cs_results_close(r);
    unlink(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("results_reader");
    TCase *tc = tcase_create("damaged");
    tcase_add_test(tc, rows_beyond_replicates);
    tcase_add_test(tc, rows_not_stored);
    tcase_add_test(tc, flipped_byte_in_a_chunk);
    tcase_add_test(tc, changed_strings);
    tcase_add_test(tc, valid_file_reads);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
