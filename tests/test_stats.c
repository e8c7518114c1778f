/* test_stats.c — the statistics module against closed forms and small samples
 * worked by hand. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>

#include "casesim/stats.h"

/* Student t quantiles t_{p, df} with p = 0.975, from the closed forms of the
 * t distribution: df = 1 is tan(pi (p - 1/2)) (Cauchy); df = 2 is
 * (2p - 1) sqrt(2 / (4 p (1 - p))); df = 4 and df = 10 are the values of standard tables
 * (Abramowitz & Stegun table 26.10), and df -> infinity is the normal
 * quantile 1.959963984540054. */
START_TEST(t_quantiles)
{
    double p = 0.975;
    ck_assert_double_eq_tol(cs_stats_t_critical(0.95, 1), tan(acos(-1.0) * (p - 0.5)), 1e-9);
    ck_assert_double_eq_tol(cs_stats_t_critical(0.95, 2), (2 * p - 1) * sqrt(2 / (4 * p * (1 - p))),
                            1e-9);
    ck_assert_double_eq_tol(cs_stats_t_critical(0.95, 4), 2.776445105197799, 1e-9);
    ck_assert_double_eq_tol(cs_stats_t_critical(0.95, 10), 2.228138851986274, 1e-9);
    ck_assert_double_eq_tol(cs_stats_t_critical(0.95, 1e9), 1.959963984540054, 1e-6);
    ck_assert(isnan(cs_stats_t_critical(0.95, 0)));
    ck_assert(isnan(cs_stats_t_critical(1.0, 5)));
}
END_TEST

/* {1, 2, 3, 4, 5}: mean 3, sd sqrt(2.5), half-width t_{0.975,4} sqrt(2.5/5). */
START_TEST(summary_small_sample_with_nan)
{
    double x[] = {1, NAN, 2, 3, NAN, 4, 5};
    cs_summary s;
    ck_assert_int_eq(cs_stats_summarise(x, 7, 1, 0.95, &s, NULL), CS_OK);
    ck_assert_uint_eq(s.n, 5);
    ck_assert_double_eq_tol(s.mean, 3.0, 1e-15);
    ck_assert_double_eq_tol(s.sd, sqrt(2.5), 1e-15);
    double half = 2.776445105197799 * sqrt(0.5);
    ck_assert_double_eq_tol(s.ci_low, 3 - half, 1e-9);
    ck_assert_double_eq_tol(s.ci_high, 3 + half, 1e-9);
}
END_TEST

START_TEST(summary_stride_and_degenerate)
{
    /* Every second value: {10, 12} -> mean 11, sd sqrt(2), half t_{.975,1} * 1. */
    double x[] = {10, -1, 12, -1};
    cs_summary s;
    ck_assert_int_eq(cs_stats_summarise(x, 2, 2, 0.95, &s, NULL), CS_OK);
    ck_assert_uint_eq(s.n, 2);
    ck_assert_double_eq_tol(s.mean, 11, 1e-15);
    ck_assert_double_eq_tol(s.sd, sqrt(2), 1e-15);
    ck_assert_double_eq_tol(s.ci_high - s.mean, 12.706204736174698, 1e-9);
    /* One value: a mean but no spread and no interval. */
    ck_assert_int_eq(cs_stats_summarise(x, 1, 1, 0.95, &s, NULL), CS_OK);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_double_eq(s.mean, 10);
    ck_assert(isnan(s.sd) && isnan(s.ci_low) && isnan(s.ci_high));
    /* No defined value. */
    double nans[] = {NAN, NAN};
    ck_assert_int_eq(cs_stats_summarise(nans, 2, 1, 0.95, &s, NULL), CS_OK);
    ck_assert_uint_eq(s.n, 0);
    ck_assert(isnan(s.mean));
    /* Identical values: a zero-width interval. */
    double same[] = {0.25, 0.25, 0.25};
    ck_assert_int_eq(cs_stats_summarise(same, 3, 1, 0.95, &s, NULL), CS_OK);
    ck_assert_double_eq(s.sd, 0);
    ck_assert_double_eq(s.ci_low, 0.25);
    ck_assert_double_eq(s.ci_high, 0.25);
    /* Bad arguments are refused with a message. */
    cs_error err;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_stats_summarise(x, 2, 0, 0.95, &s, &err), CS_EINVAL);
    ck_assert_int_eq(cs_stats_summarise(x, 2, 1, 1.5, &s, &err), CS_EINVAL);
    ck_assert_uint_eq(err.count, 2);
}
END_TEST

/* x = {1, 2, 3, 99}, y = {2, 4, 5, NaN}: pairs (1,2), (2,4), (3,5); d = {1, 2, 2},
 * mean 5/3, sd sqrt(1/3), half-width t_{.975,2} sqrt(1/3)/sqrt(3) = t/3;
 * baseline mean 2, relative change (5/3)/2. */
START_TEST(paired_small_sample)
{
    double x[] = {1, 2, 3, 99};
    double y[] = {2, 4, 5, NAN};
    cs_paired p;
    ck_assert_int_eq(cs_stats_paired(x, 1, y, 1, 4, 0.95, &p, NULL), CS_OK);
    ck_assert_uint_eq(p.diff.n, 3);
    ck_assert_double_eq_tol(p.diff.mean, 5.0 / 3, 1e-15);
    ck_assert_double_eq_tol(p.diff.sd, sqrt(1.0 / 3), 1e-15);
    double half = 4.302652729749464 / 3;
    ck_assert_double_eq_tol(p.diff.ci_low, 5.0 / 3 - half, 1e-9);
    ck_assert_double_eq_tol(p.diff.ci_high, 5.0 / 3 + half, 1e-9);
    ck_assert_double_eq_tol(p.baseline_mean, 2, 1e-15);
    ck_assert_double_eq_tol(p.variant_mean, 11.0 / 3, 1e-15);
    ck_assert_double_eq_tol(p.relative_change, 5.0 / 6, 1e-15);
    /* A zero baseline mean has no relative change. */
    double z[] = {0, 0, 0};
    ck_assert_int_eq(cs_stats_paired(z, 1, y, 1, 3, 0.95, &p, NULL), CS_OK);
    ck_assert(isnan(p.relative_change));
}
END_TEST

START_TEST(cost_per_point_cases)
{
    double c, lo, hi;
    /* Impunity falls by 0.05 (5 points), CI of the diff [-0.07, -0.03]:
     * 1e6 / 5 = 2e5; interval [1e6 / 7, 1e6 / 3]. */
    cs_summary d = {-0.05, 0.01, -0.07, -0.03, 100};
    cs_stats_cost_per_point(1e6, &d, &c, &lo, &hi);
    ck_assert_double_eq_tol(c, 2e5, 1e-6);
    ck_assert_double_eq_tol(lo, 1e6 / 7, 1e-6);
    ck_assert_double_eq_tol(hi, 1e6 / 3, 1e-6);
    /* The interval reaches zero reduction: unbounded above. */
    d = (cs_summary){-0.01, 0.01, -0.03, 0.01, 100};
    cs_stats_cost_per_point(1e6, &d, &c, &lo, &hi);
    ck_assert_double_eq_tol(c, 1e6, 1e-6);
    ck_assert_double_eq_tol(lo, 1e6 / 3, 1e-6);
    ck_assert(isinf(hi) && hi > 0);
    /* Impunity does not fall: undefined. */
    d = (cs_summary){0.0, 0.01, -0.02, 0.02, 100};
    cs_stats_cost_per_point(1e6, &d, &c, &lo, &hi);
    ck_assert(isnan(c) && isnan(lo) && isnan(hi));
    d = (cs_summary){0.02, 0.01, 0.01, 0.03, 100};
    cs_stats_cost_per_point(1e6, &d, &c, &lo, &hi);
    ck_assert(isnan(c));
    /* Free and effective: zero. */
    d = (cs_summary){-0.05, 0.01, -0.07, -0.03, 100};
    cs_stats_cost_per_point(0, &d, &c, &lo, &hi);
    ck_assert(c == 0 && lo == 0 && hi == 0);
}
END_TEST

START_TEST(uniform_index_in_range_and_fair)
{
    cs_pcg32 g;
    cs_pcg32_seed(&g, 1, 2);
    /* Counts over 3 cells from 30000 draws: expected 10000 each, binomial
     * sd sqrt(30000 * 1/3 * 2/3) = 81.6; 5 sd = 408. */
    unsigned counts[3] = {0, 0, 0};
    for (int i = 0; i < 30000; i++) {
        uint32_t k = cs_stats_uniform_index(&g, 3);
        ck_assert_uint_lt(k, 3);
        counts[k]++;
    }
    for (int k = 0; k < 3; k++)
        ck_assert(fabs((double)counts[k] - 10000) < 408);
    ck_assert_uint_eq(cs_stats_uniform_index(&g, 1), 0);
}
END_TEST

static const cs_stream_key key = {7, 0, 0, 0, 1, CS_STREAM_ANALYSIS};

START_TEST(rank_dominant_and_ties)
{
    /* Variant 1 is lowest in every replicate; variants 0 and 2 are identical. */
    double v[3 * 4] = {0.5, 0.6, 0.7, 0.8, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};
    cs_ranking *r = NULL;
    ck_assert_int_eq(cs_ranking_alloc(3, &r, NULL), CS_OK);
    ck_assert_int_eq(cs_stats_rank(v, 3, 4, CS_RANK_LOWER, &key, 500, r, NULL), CS_OK);
    ck_assert_uint_eq(r->rank[1], 1);
    ck_assert_uint_eq(r->rank[0], 2);
    ck_assert_uint_eq(r->rank[2], 2);
    ck_assert_double_eq(r->p_best[1], 1.0);
    ck_assert_double_eq(r->p_best[0], 0.0);
    /* Two identical variants alone: always tied, half each. */
    ck_assert_int_eq(cs_stats_rank(v, 1, 4, CS_RANK_LOWER, &key, 10, r, NULL), CS_EINVAL);
    cs_ranking_free(r);
    ck_assert_int_eq(cs_ranking_alloc(2, &r, NULL), CS_OK);
    double w[2 * 4] = {0.5, 0.6, 0.7, 0.8, 0.5, 0.6, 0.7, 0.8};
    ck_assert_int_eq(cs_stats_rank(w, 2, 4, CS_RANK_LOWER, &key, 100, r, NULL), CS_OK);
    ck_assert_double_eq(r->p_best[0], 0.5);
    ck_assert_double_eq(r->p_best[1], 0.5);
    ck_assert_uint_eq(r->rank[0], 1);
    ck_assert_uint_eq(r->rank[1], 1);
    cs_ranking_free(r);
}
END_TEST

START_TEST(rank_parity_and_undefined)
{
    /* Ratios 0.5 (|ln| 0.69), 1.5 (0.41) and undefined: 1.5 is nearer parity. */
    double v[3 * 2] = {0.5, 0.5, 1.5, 1.5, NAN, NAN};
    cs_ranking *r = NULL;
    ck_assert_int_eq(cs_ranking_alloc(3, &r, NULL), CS_OK);
    ck_assert_int_eq(cs_stats_rank(v, 3, 2, CS_RANK_PARITY, &key, 50, r, NULL), CS_OK);
    ck_assert_uint_eq(r->rank[1], 1);
    ck_assert_uint_eq(r->rank[0], 2);
    ck_assert_uint_eq(r->rank[2], 0);
    ck_assert(isnan(r->score[2]));
    ck_assert_double_eq(r->p_best[1], 1.0);
    ck_assert_double_eq(r->p_best[2], 0.0);
    ck_assert_double_eq_tol(r->score[0], log(2.0), 1e-15);
    cs_ranking_free(r);
}
END_TEST

/* The bootstrap keeps the pairing. Two variants share a large common
 * component c_i (sd 1) plus their own noise (sd 0.5); variant 1 is 0.05 lower.
 * The paired difference d = y0 - y1 has sd ~ 0.707, so over n = 100
 * replicates the bootstrap distribution of mean(d) is close to normal with
 * sd s_d sqrt((n-1)/n)/sqrt(n), and P(variant 1 best) = P(mean d > 0)
 * ~ Phi(dbar / that sd) — about 0.85 for this sample. Resampling the
 * variants independently would instead give about 0.68 (checked below, so
 * that the test can tell the two apart). The Monte Carlo error of
 * p_best from B = 4000 resamples is sqrt(p(1-p)/B) <= 0.008; the normal
 * approximation of a mean of 100 symmetric values adds well under 0.01, so
 * 0.03 (about 3.5 combined standard errors) separates the two readings. */
START_TEST(rank_bootstrap_keeps_pairing)
{
    enum { N = 100 };
    const double SHIFT = 0.05;
    double v[2 * N];
    cs_pcg32 g;
    cs_pcg32_seed(&g, 3, 5);
    double sd = 0, dbar = 0, d[N];
    for (int i = 0; i < N; i++) {
        double u1 = cs_pcg32_uniform_pos(&g), u2 = cs_pcg32_uniform_pos(&g);
        double u3 = cs_pcg32_uniform_pos(&g);
        double c = gsl_cdf_ugaussian_Pinv(u1);
        v[i] = c + 0.5 * gsl_cdf_ugaussian_Pinv(u2);
        v[N + i] = c - SHIFT + 0.5 * gsl_cdf_ugaussian_Pinv(u3);
        d[i] = v[i] - v[N + i];
        dbar += d[i];
    }
    dbar /= N;
    for (int i = 0; i < N; i++)
        sd += (d[i] - dbar) * (d[i] - dbar);
    sd = sqrt(sd / (N - 1));
    double boot_sd = sd * sqrt((N - 1.0) / N) / sqrt((double)N);
    double expected = gsl_cdf_ugaussian_P(dbar / boot_sd);
    /* What resampling each variant on its own would give: the test must be
     * able to tell the two apart. */
    double var0 = 0, var1 = 0, m0 = 0, m1 = 0;
    for (int i = 0; i < N; i++) {
        m0 += v[i] / N;
        m1 += v[N + i] / N;
    }
    for (int i = 0; i < N; i++) {
        var0 += (v[i] - m0) * (v[i] - m0) / N;
        var1 += (v[N + i] - m1) * (v[N + i] - m1) / N;
    }
    double unpaired = gsl_cdf_ugaussian_P(dbar / sqrt((var0 + var1) / N));
    ck_assert(expected - unpaired > 0.1);

    cs_ranking *r = NULL;
    ck_assert_int_eq(cs_ranking_alloc(2, &r, NULL), CS_OK);
    ck_assert_int_eq(cs_stats_rank(v, 2, N, CS_RANK_LOWER, &key, 4000, r, NULL), CS_OK);
    ck_assert_double_eq_tol(r->p_best[1], expected, 0.03);
    ck_assert_double_eq_tol(r->p_best[0] + r->p_best[1], 1.0, 1e-12);
    /* Reproducible: the same key gives the same answer. */
    double first = r->p_best[1];
    ck_assert_int_eq(cs_stats_rank(v, 2, N, CS_RANK_LOWER, &key, 4000, r, NULL), CS_OK);
    ck_assert_double_eq(r->p_best[1], first);
    cs_ranking_free(r);
}
END_TEST

/* The share interval is the Wilson score interval: its ends are the roots
 * pi of (p - pi)^2 = t^2 pi (1 - pi) / n_eff, n_eff = p (1 - p) / se^2.
 * Returns the quadratic's value at pi, scaled to be 0 at a root. */
static double wilson_residual(double p, double se, double t, double pi)
{
    double n_eff = p * (1 - p) / (se * se);
    return (p - pi) * (p - pi) - t * t * pi * (1 - pi) / n_eff;
}

/* Summarises x[0 .. n-1] and applies the share interval; *t_low gets the
 * plain t interval's lower end. */
static cs_summary share_summary(const double *x, size_t n, double *t_low, double *t_high)
{
    cs_summary s;
    ck_assert_int_eq(cs_stats_summarise(x, n, 1, 0.95, &s, NULL), CS_OK);
    *t_low = s.ci_low;
    *t_high = s.ci_high;
    cs_stats_share_interval(0.95, &s);
    return s;
}

START_TEST(share_interval_stays_in_unit_interval)
{
    double x[20], tl, th;
    /* A rate of 0 (or 1) in every replicate: the interval is that rate. */
    for (int v = 0; v <= 1; v++) {
        for (size_t i = 0; i < 10; i++)
            x[i] = v;
        cs_summary s = share_summary(x, 10, &tl, &th);
        ck_assert_double_eq(s.ci_low, v);
        ck_assert_double_eq(s.ci_high, v);
    }
    /* Nearly 0: nine replicates at 0 and one at 0.02. The t interval goes
     * below 0 (what this replaces); the share interval does not, and its
     * ends are the score-test roots (to rounding: 1e-15 of the terms). */
    for (size_t i = 0; i < 10; i++)
        x[i] = i == 3 ? 0.02 : 0.0;
    cs_summary s = share_summary(x, 10, &tl, &th);
    ck_assert(tl < 0);
    ck_assert(s.ci_low >= 0 && s.ci_low < s.mean && s.ci_high > s.mean && s.ci_high <= 1);
    double se = s.sd / sqrt(10.0), t = cs_stats_t_critical(0.95, 9);
    ck_assert_double_eq_tol(wilson_residual(s.mean, se, t, s.ci_low), 0, 1e-15);
    ck_assert_double_eq_tol(wilson_residual(s.mean, se, t, s.ci_high), 0, 1e-15);
    /* Nearly 1, the mirror image. */
    for (size_t i = 0; i < 10; i++)
        x[i] = i == 3 ? 0.98 : 1.0;
    s = share_summary(x, 10, &tl, &th);
    ck_assert(th > 1);
    ck_assert(s.ci_high <= 1 && s.ci_high > s.mean && s.ci_low >= 0);
    ck_assert_double_eq_tol(wilson_residual(s.mean, se, t, s.ci_low), 0, 1e-15);
}
END_TEST

START_TEST(share_interval_known_answers)
{
    double x[400], tl, th;
    /* Bernoulli replicates, 3 of 20 at 1: n_eff = n - 1 = 19, so this is
     * the Wilson interval of 3/20 with 19 observations and t(0.975, 19):
     * the roots of the score-test quadratic. */
    for (size_t i = 0; i < 20; i++)
        x[i] = i < 3 ? 1.0 : 0.0;
    cs_summary s = share_summary(x, 20, &tl, &th);
    double se = s.sd / sqrt(20.0), t = cs_stats_t_critical(0.95, 19);
    ck_assert_double_eq_tol(s.mean * (1 - s.mean) / (se * se), 19.0, 1e-12);
    ck_assert_double_eq_tol(wilson_residual(s.mean, se, t, s.ci_low), 0, 1e-15);
    ck_assert_double_eq_tol(wilson_residual(s.mean, se, t, s.ci_high), 0, 1e-15);
    ck_assert(s.ci_low > 0 && s.ci_high < 0.5);
    /* Far from the bounds with a large n_eff, it is the t interval: 400
     * replicates at 0.5 -/+ 0.01 (n_eff about 1e6): ends within 1e-3 of
     * the half-width. */
    for (size_t i = 0; i < 400; i++)
        x[i] = 0.5 + (i % 2 ? 0.01 : -0.01);
    s = share_summary(x, 400, &tl, &th);
    double half = th - s.mean;
    ck_assert_double_eq_tol(s.ci_low, tl, 1e-3 * half);
    ck_assert_double_eq_tol(s.ci_high, th, 1e-3 * half);
    /* Fewer than two values: unchanged (no interval). */
    s = share_summary(x, 1, &tl, &th);
    ck_assert(isnan(s.ci_low) && isnan(s.ci_high));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("stats");
    tcase_add_test(tc, t_quantiles);
    tcase_add_test(tc, summary_small_sample_with_nan);
    tcase_add_test(tc, summary_stride_and_degenerate);
    tcase_add_test(tc, paired_small_sample);
    tcase_add_test(tc, cost_per_point_cases);
    tcase_add_test(tc, uniform_index_in_range_and_fair);
    tcase_add_test(tc, rank_dominant_and_ties);
    tcase_add_test(tc, rank_parity_and_undefined);
    tcase_add_test(tc, rank_bootstrap_keeps_pairing);
    tcase_add_test(tc, share_interval_stays_in_unit_interval);
    tcase_add_test(tc, share_interval_known_answers);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
