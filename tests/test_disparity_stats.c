/*
 * test_disparity_stats.c — the statistics of casesim/disparity.h against
 * closed forms: the rate comparison's estimates and delta-method intervals
 * against the formulas evaluated here from a two-pass covariance; its
 * coverage in repeated binomial experiments; Shapley shares of games whose
 * shares are known, exact and from sampled orders.
 */
#include <check.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/disparity.h"
#include "casesim/rng.h"

/* Hand-made replicates: (x_a, d_a, x_b, d_b). */
static const double DATA[6][4] = {{30, 100, 50, 110}, {28, 95, 61, 120}, {35, 104, 48, 101},
                                  {31, 99, 55, 112},  {27, 90, 52, 108}, {33, 101, 58, 117}};

/* The delta-method variance g' S g / n, with S the two-pass sample
 * covariance of DATA (an independent evaluation of the formula). */
static double delta_var(const double g[4])
{
    double mean[4] = {0};
    for (int r = 0; r < 6; r++)
        for (int i = 0; i < 4; i++)
            mean[i] += DATA[r][i] / 6.0;
    double q = 0.0;
    for (int r = 0; r < 6; r++) {
        double z = 0.0;
        for (int i = 0; i < 4; i++)
            z += g[i] * (DATA[r][i] - mean[i]);
        q += z * z;
    }
    return q / 5.0 / 6.0;
}

START_TEST(rate_comparison_matches_the_formulas)
{
    cs_rate_acc a = {0};
    for (int r = 0; r < 6; r++)
        cs_rate_acc_add(&a, DATA[r][0], DATA[r][1], DATA[r][2], DATA[r][3]);
    cs_rate_acc_add(&a, NAN, 1, 1, 1); /* skipped */
    cs_rate_comparison c;
    cs_rate_acc_result(&a, 0.95, &c);
    double m[4] = {0};
    for (int r = 0; r < 6; r++)
        for (int i = 0; i < 4; i++)
            m[i] += DATA[r][i] / 6.0;
    double ra = m[0] / m[1], rb = m[2] / m[3];
    /* t(0.975, 5) from standard tables (Abramowitz & Stegun 26.10). */
    double t = 2.570581835636314;
    const double g[4] = {1 / m[0], -1 / m[1], -1 / m[2], 1 / m[3]};
    const double h[4] = {1 / m[1], -ra / m[1], -1 / m[3], rb / m[3]};
    const double k[4] = {1 / m[1], -ra / m[1], 0, 0};
    ck_assert_uint_eq(c.n, 6);
    /* Exact arithmetic up to rounding: 1e-12 relative. */
    ck_assert_double_eq_tol(c.rate, ra, 1e-12);
    ck_assert_double_eq_tol(c.reference_rate, rb, 1e-12);
    ck_assert_double_eq_tol(c.ratio, ra / rb, 1e-12);
    ck_assert_double_eq_tol(c.ratio_low, ra / rb * exp(-t * sqrt(delta_var(g))), 1e-12);
    ck_assert_double_eq_tol(c.ratio_high, ra / rb * exp(t * sqrt(delta_var(g))), 1e-12);
    ck_assert_double_eq_tol(c.diff_low, ra - rb - t * sqrt(delta_var(h)), 1e-12);
    ck_assert_double_eq_tol(c.diff_high, ra - rb + t * sqrt(delta_var(h)), 1e-12);
    ck_assert_double_eq_tol(c.rate_high, ra + t * sqrt(delta_var(k)), 1e-12);
    ck_assert_double_eq_tol(c.mean_d, m[1], 1e-12);
}
END_TEST

START_TEST(rate_comparison_edge_cases)
{
    cs_rate_comparison c;
    cs_rate_acc a = {0};
    cs_rate_acc_result(&a, 0.95, &c); /* nothing */
    ck_assert(isnan(c.rate) && isnan(c.ratio) && c.n == 0);
    /* The group compared with itself: ratio 1, an interval of zero width. */
    for (int r = 0; r < 6; r++)
        cs_rate_acc_add(&a, DATA[r][0], DATA[r][1], DATA[r][0], DATA[r][1]);
    cs_rate_acc_result(&a, 0.95, &c);
    ck_assert_double_eq(c.ratio, 1.0);
    ck_assert_double_eq_tol(c.ratio_low, 1.0, 1e-12);
    ck_assert_double_eq_tol(c.diff_high, 0.0, 1e-12);
    /* A reference rate of 0: no ratio; a group rate of 0: ratio 0, no interval. */
    cs_rate_acc z = {0}, y = {0};
    for (int r = 0; r < 6; r++) {
        cs_rate_acc_add(&z, DATA[r][0], DATA[r][1], 0, DATA[r][3]);
        cs_rate_acc_add(&y, 0, DATA[r][1], DATA[r][2], DATA[r][3]);
    }
    cs_rate_acc_result(&z, 0.95, &c);
    ck_assert(isnan(c.ratio) && !isnan(c.diff));
    cs_rate_acc_result(&y, 0.95, &c);
    ck_assert(c.ratio == 0.0 && isnan(c.ratio_low));
    /* One replicate: estimates, no intervals. */
    cs_rate_acc one = {0};
    cs_rate_acc_add(&one, 3, 10, 4, 10);
    cs_rate_acc_result(&one, 0.95, &c);
    ck_assert_double_eq_tol(c.ratio, 0.75, 1e-15);
    ck_assert(isnan(c.ratio_low) && isnan(c.diff_low));
}
END_TEST

/* Repeated experiments of 20 replicates, each a binomial count of n_a
 * (n_b) trials with probability p_a (p_b), the trials themselves varying
 * between replicates: the share of 95% intervals that contain the true
 * ratio p_a / p_b (and difference p_a - p_b), or with shift != 1 a wrong
 * one (the ratio times shift, the difference plus shift - 1). */
static void coverage(double *ratio_cov, double *diff_cov, int experiments, double shift)
{
    gsl_rng *g = gsl_rng_alloc(cs_gsl_rng_pcg32);
    const cs_stream_key key = {77, 0, 0, 0, 0, CS_STREAM_ANALYSIS};
    cs_pcg32_from_key(cs_gsl_pcg32_state(g), &key);
    const double pa = 0.3, pb = 0.45, ratio = pa / pb * shift, diff = pa - pb + shift - 1.0;
    int hit_r = 0, hit_d = 0;
    for (int e = 0; e < experiments; e++) {
        cs_rate_acc a = {0};
        for (int r = 0; r < 20; r++) {
            unsigned na = 600 + gsl_ran_poisson(g, 200), nb = 1500 + gsl_ran_poisson(g, 300);
            cs_rate_acc_add(&a, gsl_ran_binomial(g, pa, na), na, gsl_ran_binomial(g, pb, nb), nb);
        }
        cs_rate_comparison c;
        cs_rate_acc_result(&a, 0.95, &c);
        hit_r += c.ratio_low <= ratio && ratio <= c.ratio_high;
        hit_d += c.diff_low <= diff && diff <= c.diff_high;
    }
    gsl_rng_free(g);
    *ratio_cov = (double)hit_r / experiments;
    *diff_cov = (double)hit_d / experiments;
}

START_TEST(rate_intervals_cover)
{
    /* 4000 experiments: the coverage's binomial SE is sqrt(0.95 0.05 / 4000)
     * = 0.0034; 4 SE = 0.014 (false alarm 6e-5). */
    const int n = 4000;
    double tol = 4.0 * sqrt(0.95 * 0.05 / n), rc, dc;
    coverage(&rc, &dc, n, 1.0);
    ck_assert_msg(fabs(rc - 0.95) <= tol, "ratio coverage %.4f", rc);
    ck_assert_msg(fabs(dc - 0.95) <= tol, "difference coverage %.4f", dc);
    /* Power: a truth off by 3% (the difference by 0.03) is covered far less
     * often. */
    coverage(&rc, &dc, n, 1.03);
    ck_assert_msg(rc < 0.95 - tol && dc < 0.95 - tol, "a wrong truth covered: %.4f, %.4f", rc, dc);
}
END_TEST

/* ------------------------------------------------------------- Shapley */

/* v(T) = sum_{j in T} a_j + b [0, 1 in T] + c [T = all]: additive parts go
 * to their player, the pair's b half to each of players 0 and 1, the
 * coalition's c equally to all (the Shapley axioms). */
static const double A[4] = {0.3, -0.1, 0.25, 0.05};
#define B_PAIR 0.2
#define C_ALL 0.08

static double game(uint64_t T, size_t m)
{
    double v = 0.0;
    for (size_t j = 0; j < m; j++)
        if (T >> j & 1)
            v += A[j];
    if ((T & 3) == 3)
        v += B_PAIR;
    if (T == (UINT64_C(1) << m) - 1)
        v += C_ALL;
    return v;
}

static double known_share(size_t j, size_t m)
{
    return A[j] + (j < 2 ? B_PAIR / 2 : 0.0) + C_ALL / (double)m;
}

/* shares[j] = sum_t coef[j][t] v(masks[t]). */
static void shares_of(size_t m, const double *coef, const uint64_t *masks, size_t n, double *out)
{
    for (size_t j = 0; j < m; j++) {
        out[j] = 0.0;
        for (size_t t = 0; t < n; t++)
            out[j] += coef[j * n + t] * game(masks[t], m);
    }
}

START_TEST(shapley_exact_shares_are_known)
{
    const size_t m = 4, n = 16;
    uint64_t masks[16];
    for (size_t t = 0; t < n; t++)
        masks[t] = (uint64_t)(n - 1 - t); /* any order */
    double coef[4 * 16], share[4], sum = 0.0;
    cs_error err;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_shapley_coefficients(m, NULL, 0, masks, n, coef, &err), CS_OK);
    shares_of(m, coef, masks, n, share);
    for (size_t j = 0; j < m; j++) {
        ck_assert_double_eq_tol(share[j], known_share(j, m), 1e-14);
        sum += share[j];
    }
    ck_assert_double_eq_tol(sum, game(15, m) - game(0, m), 1e-14);
    double se[4], value[16];
    for (size_t t = 0; t < n; t++)
        value[t] = game(masks[t], m);
    ck_assert_int_eq(cs_shapley_sampling_se(m, NULL, 0, masks, n, value, se, &err), CS_OK);
    ck_assert_double_eq(se[0], 0.0);
    /* A subset missing: refused. */
    ck_assert_int_eq(cs_shapley_coefficients(m, NULL, 0, masks, n - 1, coef, &err), CS_EINVAL);
}
END_TEST

START_TEST(shapley_sampled_orders)
{
    const size_t m = 3;
    /* All 3! orders: the sampled shares are the exact ones. */
    const uint32_t all[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    uint64_t masks[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    double coef[3 * 8], share[3];
    cs_error err;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_shapley_coefficients(m, &all[0][0], 6, masks, 8, coef, &err), CS_OK);
    shares_of(m, coef, masks, 8, share);
    for (size_t j = 0; j < m; j++)
        ck_assert_double_eq_tol(share[j], known_share(j, m), 1e-14);
    /* Two orders: the shares are those orders' mean changes, and still add
     * up exactly; order (0 1 2): 0 adds a0, 1 adds a1 + b, 2 adds a2 + c;
     * order (2 1 0): 2 adds a2, 1 adds a1, 0 adds a0 + b + c. */
    const uint32_t two[2][3] = {{0, 1, 2}, {2, 1, 0}};
    ck_assert_int_eq(cs_shapley_coefficients(m, &two[0][0], 2, masks, 8, coef, &err), CS_OK);
    shares_of(m, coef, masks, 8, share);
    ck_assert_double_eq_tol(share[0], A[0] + (B_PAIR + C_ALL) / 2, 1e-14);
    ck_assert_double_eq_tol(share[1], A[1] + B_PAIR / 2, 1e-14);
    ck_assert_double_eq_tol(share[2], A[2] + C_ALL / 2, 1e-14);
    double value[8], se[3];
    for (size_t t = 0; t < 8; t++)
        value[t] = game(masks[t], m);
    ck_assert_int_eq(cs_shapley_sampling_se(m, &two[0][0], 2, masks, 8, value, se, &err), CS_OK);
    /* Player 0's changes are a0 and a0 + b + c: sd |b + c| / sqrt 2, SE over sqrt 2. */
    ck_assert_double_eq_tol(se[0], (B_PAIR + C_ALL) / 2, 1e-14);
    ck_assert_double_eq_tol(se[1], B_PAIR / 2, 1e-14);
    /* Not a permutation; a prefix missing. */
    const uint32_t bad[3] = {0, 0, 2};
    ck_assert_int_eq(cs_shapley_coefficients(m, bad, 1, masks, 8, coef, &err), CS_EINVAL);
    const uint64_t few[3] = {0, 1, 7};
    ck_assert_int_eq(cs_shapley_coefficients(m, &two[0][0], 2, few, 3, coef, &err), CS_EINVAL);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("disparity_stats");
    TCase *tc = tcase_create("stats");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, rate_comparison_matches_the_formulas);
    tcase_add_test(tc, rate_comparison_edge_cases);
    tcase_add_test(tc, rate_intervals_cover);
    tcase_add_test(tc, shapley_exact_shares_are_known);
    tcase_add_test(tc, shapley_sampled_orders);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
