/* test_sensitivity_design.c — Saltelli's design on GSL's Sobol sequence:
 * which points, their balance, their independence of request order, the
 * matrices A_B^(i), grouping and padding, and the refusals. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_qrng.h>

#include "casesim/sensitivity.h"

/* All N (D + 2) points of d, in index order. */
static double *all_points(const cs_sens_saltelli *d)
{
    double *u = malloc(d->n_points * d->n_inputs * sizeof *u);
    ck_assert_ptr_nonnull(u);
    for (size_t p = 0; p < d->n_points; p++)
        ck_assert_int_eq(cs_sens_saltelli_point(d, p, u + p * d->n_inputs, NULL), CS_OK);
    return u;
}

START_TEST(rows_round_up_to_a_power_of_two)
{
    ck_assert_uint_eq(cs_sens_saltelli_rows(0), 0);
    ck_assert_uint_eq(cs_sens_saltelli_rows(1), 1);
    ck_assert_uint_eq(cs_sens_saltelli_rows(1000), 1024);
    ck_assert_uint_eq(cs_sens_saltelli_rows(1024), 1024);
    ck_assert_uint_eq(cs_sens_saltelli_rows(1025), 2048);
    ck_assert_uint_eq(cs_sens_saltelli_rows(CS_SENS_MAX_ROWS), CS_SENS_MAX_ROWS);
    ck_assert_uint_eq(cs_sens_saltelli_rows(CS_SENS_MAX_ROWS + 1), 0);
    cs_sens_saltelli *d = NULL;
    ck_assert_int_eq(cs_sens_saltelli_alloc(3, NULL, 1000, 1, 7, &d, NULL), CS_OK);
    ck_assert_uint_eq(d->n_rows, 1024);
    ck_assert_uint_eq(d->n_requested, 1000);
    ck_assert_uint_eq(d->n_points, 1024 * 5);
    cs_sens_saltelli_free(d);
}
END_TEST

/* GSL's generator never returns the zero point: its first point is
 * (1/2, ..., 1/2). The plain design takes GSL's points as they come, so row
 * 0 of A and B is that point, row j is GSL's point j + 1, and no coordinate
 * anywhere is 0 (where an unbounded quantile function is infinite) or 1. */
START_TEST(plain_design_is_gsl_without_the_zero_point)
{
    const size_t k = 3, n = 256;
    cs_sens_saltelli *d = NULL;
    ck_assert_int_eq(cs_sens_saltelli_alloc(k, NULL, n, 0, 1, &d, NULL), CS_OK);
    ck_assert_uint_eq(d->n_sobol, 2 * k);
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, 2 * k);
    double v[6], u[3];
    for (size_t j = 0; j < n; j++) {
        ck_assert_int_eq(gsl_qrng_get(q, v), 0);
        if (j == 0)
            for (size_t c = 0; c < 2 * k; c++)
                ck_assert_double_eq(v[c], 0.5);
        ck_assert_int_eq(cs_sens_saltelli_point(d, j * (k + 2) + 0, u, NULL), CS_OK);
        for (size_t c = 0; c < k; c++)
            ck_assert_double_eq(u[c], v[c]); /* A: dimensions 0..K-1 */
        ck_assert_int_eq(cs_sens_saltelli_point(d, j * (k + 2) + 1, u, NULL), CS_OK);
        for (size_t c = 0; c < k; c++)
            ck_assert_double_eq(u[c], v[k + c]); /* B: dimensions K..2K-1 */
    }
    gsl_qrng_free(q);
    double *all = all_points(d);
    for (size_t x = 0; x < d->n_points * k; x++)
        ck_assert(all[x] > 0 && all[x] < 1);
    free(all);
    cs_sens_saltelli_free(d);
}
END_TEST

/* Scrambled, rows 0..N-1 are the first N points of the sequence (zero point
 * included) under a digital shift: for N a power of two each coordinate of A
 * and of B then has exactly one point in every interval [k/N, (k+1)/N) (a
 * net's one-dimensional projections), all strictly inside (0, 1). The plain
 * design, which starts one point later, does not have this: checked so that
 * the test can fail. */
static int stratified(const cs_sens_saltelli *d)
{
    size_t n = d->n_rows, k = d->n_inputs;
    int *hits = calloc(n, sizeof *hits);
    double *u = malloc(k * sizeof *u);
    int ok = 1;
    for (size_t m = 0; m < 2; m++)
        for (size_t c = 0; c < k; c++) {
            memset(hits, 0, n * sizeof *hits);
            for (size_t j = 0; j < n; j++) {
                cs_sens_saltelli_point(d, j * (d->n_factors + 2) + m, u, NULL);
                ok &= u[c] > 0 && u[c] < 1;
                hits[(size_t)(u[c] * (double)n)]++;
            }
            for (size_t b = 0; b < n; b++)
                ok &= hits[b] == 1;
        }
    free(hits);
    free(u);
    return ok;
}

START_TEST(scrambled_design_is_a_shifted_net)
{
    cs_sens_saltelli *d = NULL;
    ck_assert_int_eq(cs_sens_saltelli_alloc(5, NULL, 512, 1, 42, &d, NULL), CS_OK);
    ck_assert(stratified(d));
    cs_sens_saltelli_free(d);
    ck_assert_int_eq(cs_sens_saltelli_alloc(5, NULL, 512, 0, 42, &d, NULL), CS_OK);
    ck_assert(!stratified(d));
    cs_sens_saltelli_free(d);
}
END_TEST

/* A_B^(i) is A with factor i's columns from B; with groups, all the
 * group's columns move. */
START_TEST(ab_matrices_take_the_factor_from_b)
{
    const size_t k = 4, group[4] = {0, 1, 0, 2}, nd = 3, n = 64;
    cs_sens_saltelli *d = NULL;
    ck_assert_int_eq(cs_sens_saltelli_alloc(k, group, n, 1, 3, &d, NULL), CS_OK);
    ck_assert_uint_eq(d->n_factors, nd);
    double a[4], b[4], ab[4];
    for (size_t j = 0; j < n; j++) {
        cs_sens_saltelli_point(d, j * (nd + 2), a, NULL);
        cs_sens_saltelli_point(d, j * (nd + 2) + 1, b, NULL);
        for (size_t c = 0; c < k; c++)
            ck_assert(a[c] != b[c]);
        for (size_t i = 0; i < nd; i++) {
            cs_sens_saltelli_point(d, j * (nd + 2) + 2 + i, ab, NULL);
            for (size_t c = 0; c < k; c++)
                ck_assert_double_eq(ab[c], group[c] == i ? b[c] : a[c]);
        }
    }
    cs_sens_saltelli_free(d);
}
END_TEST

/* A point depends on (design, index) only: requested backwards, from a fresh
 * design, or from a design with twice the rows, the bits are the same; the
 * scramble depends on the seed. */
START_TEST(points_do_not_depend_on_request_order)
{
    const size_t k = 6, group[6] = {0, 0, 1, 2, 3, 3};
    for (int scramble = 0; scramble <= 1; scramble++) {
        cs_sens_saltelli *d = NULL, *e = NULL, *f = NULL;
        ck_assert_int_eq(cs_sens_saltelli_alloc(k, group, 128, scramble, 9, &d, NULL), CS_OK);
        ck_assert_int_eq(cs_sens_saltelli_alloc(k, group, 256, scramble, 9, &e, NULL), CS_OK);
        ck_assert_int_eq(cs_sens_saltelli_alloc(k, group, 128, scramble, 10, &f, NULL), CS_OK);
        double *fwd = all_points(d), u[6];
        for (size_t p = d->n_points; p-- > 0;) {
            cs_sens_saltelli_point(d, p, u, NULL);
            ck_assert_mem_eq(u, fwd + p * k, sizeof u);
            cs_sens_saltelli_point(e, p, u, NULL);
            ck_assert_mem_eq(u, fwd + p * k, sizeof u);
        }
        double *other = all_points(f);
        if (scramble)
            ck_assert(memcmp(other, fwd, d->n_points * k * sizeof *fwd) != 0);
        else
            ck_assert_mem_eq(other, fwd, d->n_points * k * sizeof *fwd);
        free(fwd);
        free(other);
        ck_assert_int_eq(cs_sens_saltelli_point(d, d->n_points, u, NULL), CS_EINVAL);
        cs_sens_saltelli_free(d);
        cs_sens_saltelli_free(e);
        cs_sens_saltelli_free(f);
    }
}
END_TEST

/* 20 inputs use 40 Sobol dimensions, the most GSL has; 21 are refused with
 * a message that says to group them. 48 inputs in 20 groups are accepted
 * (40 dimensions, one per group and matrix, the other inputs padded); in 21
 * groups they are refused. */
START_TEST(more_than_40_dimensions_refused)
{
    size_t group[48];
    cs_sens_saltelli *d = NULL;
    cs_error err;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_sens_saltelli_alloc(20, NULL, 16, 0, 1, &d, &err), CS_OK);
    ck_assert_uint_eq(d->n_sobol, 40);
    cs_sens_saltelli_free(d);
    ck_assert_int_eq(cs_sens_saltelli_alloc(21, NULL, 16, 0, 1, &d, &err), CS_EINVAL);
    ck_assert_ptr_null(d);
    ck_assert_ptr_nonnull(strstr(err.text, "42 Sobol dimensions"));
    ck_assert_ptr_nonnull(strstr(err.text, "group"));
    for (size_t c = 0; c < 48; c++)
        group[c] = c % 20;
    ck_assert_int_eq(cs_sens_saltelli_alloc(48, group, 16, 1, 1, &d, NULL), CS_OK);
    ck_assert_uint_eq(d->n_sobol, 40);
    cs_sens_saltelli_free(d);
    for (size_t c = 0; c < 48; c++)
        group[c] = c % 21;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_sens_saltelli_alloc(48, group, 16, 1, 1, &d, &err), CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, "21 groups"));
}
END_TEST

/* Padded inputs (beyond the Sobol dimensions) are uniform on (0, 1) and
 * independent of the Sobol coordinate of their group: over N = 4096 rows a
 * padded input's mean is 1/2 and its correlation with its group's Sobol
 * input 0, each within 4 standard errors
 * (sd(U) / sqrt(N) = 0.0045 and 1 / sqrt(N) = 0.0156; false alarm 6e-5). */
START_TEST(padded_inputs_are_uniform)
{
    size_t group[44];
    for (size_t c = 0; c < 44; c++)
        group[c] = c / 4; /* 11 groups of 4 */
    const size_t n = 4096;
    cs_sens_saltelli *d = NULL;
    ck_assert_int_eq(cs_sens_saltelli_alloc(44, group, n, 1, 5, &d, NULL), CS_OK);
    ck_assert_uint_eq(d->n_sobol, 22);
    ck_assert_uint_eq(d->sobol_dim[4], 1);
    ck_assert_uint_eq(d->sobol_dim[5], SIZE_MAX);
    double u[44], s2 = 0, s12 = 0;
    for (size_t j = 0; j < n; j++) {
        cs_sens_saltelli_point(d, j * 13 + 1, u, NULL); /* B: 11 factors + 2 */
        s2 += u[5] - 0.5;
        s12 += (u[4] - 0.5) * (u[5] - 0.5);
        for (size_t c = 0; c < 44; c++)
            ck_assert(u[c] > 0 && u[c] < 1);
    }
    ck_assert_double_le(fabs(s2 / n), 4 * sqrt(1.0 / 12 / n));
    ck_assert_double_le(fabs(s12 / n * 12), 4 / sqrt((double)n));
    cs_sens_saltelli_free(d);
}
END_TEST

START_TEST(bad_groups_refused)
{
    cs_sens_saltelli *d = NULL;
    cs_error err;
    cs_error_clear(&err);
    const size_t gap[3] = {0, 2, 2}, big[2] = {0, 5};
    size_t nd = 99;
    ck_assert_int_eq(cs_sens_saltelli_alloc(3, gap, 16, 1, 1, &d, &err), CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, "group 1 has no input"));
    ck_assert_int_eq(cs_sens_factors(2, big, &nd, &err), CS_EINVAL);
    ck_assert_int_eq(cs_sens_factors(0, NULL, &nd, &err), CS_EINVAL);
    ck_assert_int_eq(cs_sens_saltelli_alloc(3, NULL, 0, 1, 1, &d, &err), CS_EINVAL);
    ck_assert_int_eq(cs_sens_saltelli_alloc(3, NULL, CS_SENS_MAX_ROWS + 1, 1, 1, &d, &err),
                     CS_EINVAL);
    ck_assert_ptr_null(d);
    cs_sens_saltelli_free(NULL);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("sensitivity_design");
    TCase *tc = tcase_create("saltelli");
    tcase_add_test(tc, rows_round_up_to_a_power_of_two);
    tcase_add_test(tc, plain_design_is_gsl_without_the_zero_point);
    tcase_add_test(tc, scrambled_design_is_a_shifted_net);
    tcase_add_test(tc, ab_matrices_take_the_factor_from_b);
    tcase_add_test(tc, points_do_not_depend_on_request_order);
    tcase_add_test(tc, more_than_40_dimensions_refused);
    tcase_add_test(tc, padded_inputs_are_uniform);
    tcase_add_test(tc, bad_groups_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
