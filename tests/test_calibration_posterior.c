/* test_calibration_posterior.c — posterior summaries, resampling, predictive
 * checks and the identifiability check, on examples worked by hand, exact
 * covariances, and posteriors sampled by IMIS. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "casesim/calibration.h"

/* Hazen positions: {1, 2, 3, 4} equally weighted sit at 1/8, 3/8, 5/8, 7/8,
 * so q(1/4) = 1.5, the median 2.5, q(0.1) = 1 and q(0.95) = 4 (R's
 * quantile(type = 5)). {1, 2, 3} weighted {1, 2, 1}: positions 1/8, 1/2, 7/8,
 * so the median is 2 and q(0.3) = 1 + (0.3 - 0.125) / 0.375 = 1.4666... */
START_TEST(quantiles_by_hand)
{
    const double x[] = {4, 2, 3, 1}, p[] = {0.25, 0.5, 0.1, 0.95};
    double q[4];
    ck_assert_int_eq(cs_calib_quantiles(x, 1, NULL, 4, p, 4, q, NULL), CS_OK);
    ck_assert_double_eq_tol(q[0], 1.5, 1e-15);
    ck_assert_double_eq_tol(q[1], 2.5, 1e-15);
    ck_assert_double_eq(q[2], 1);
    ck_assert_double_eq(q[3], 4);
    const double y[] = {3, 99, 1, 2}, w[] = {1, 0, 1, 2}, p2[] = {0.5, 0.3};
    ck_assert_int_eq(cs_calib_quantiles(y, 1, w, 4, p2, 2, q, NULL), CS_OK);
    ck_assert_double_eq_tol(q[0], 2, 1e-15);
    ck_assert_double_eq_tol(q[1], 1 + 0.175 / 0.375, 1e-15);
    /* Strided values: every second one. */
    const double z[] = {1, -5, 2, -5, 3, -5, 4, -5};
    ck_assert_int_eq(cs_calib_quantiles(z, 2, NULL, 4, p, 1, q, NULL), CS_OK);
    ck_assert_double_eq_tol(q[0], 1.5, 1e-15);
    /* Refusals. */
    cs_error err;
    cs_error_clear(&err);
    const double bad_p = 1.5, nan_x[] = {1, NAN}, zero_w[] = {0, 0}, neg_w[] = {1, -1};
    ck_assert_int_eq(cs_calib_quantiles(x, 1, NULL, 4, &bad_p, 1, q, &err), CS_EINVAL);
    ck_assert_int_eq(cs_calib_quantiles(nan_x, 1, NULL, 2, p, 1, q, &err), CS_EINVAL);
    ck_assert_int_eq(cs_calib_quantiles(x, 1, zero_w, 2, p, 1, q, &err), CS_EINVAL);
    ck_assert_int_eq(cs_calib_quantiles(x, 1, neg_w, 2, p, 1, q, &err), CS_EINVAL);
    ck_assert_uint_eq(err.count, 4);
}
END_TEST

/* Weights (1, 2, 1) on (1, 2, 3): normalised (1/4, 1/2, 1/4), mean 2,
 * sum w (x - 2)^2 = 1/2, sum w^2 = 3/8, variance (1/2) / (5/8) = 0.8; ESS
 * 16 / 6; shrinkage against a prior variance 2: 0.6. Equal weights give the
 * sample variance with divisor n - 1. */
START_TEST(moments_by_hand)
{
    const double x[] = {1, 2, 3}, w[] = {1, 2, 1};
    cs_calib_marginal s;
    ck_assert_int_eq(cs_calib_marginal_summary(x, 1, w, 3, 2, &s, NULL), CS_OK);
    ck_assert_double_eq_tol(s.mean, 2, 1e-15);
    ck_assert_double_eq_tol(s.variance, 0.8, 1e-15);
    ck_assert_double_eq_tol(s.shrinkage, 0.6, 1e-15);
    ck_assert_double_eq_tol(s.ess, 16.0 / 6, 1e-15);
    ck_assert_double_eq_tol(s.median, 2, 1e-15);
    const double y[] = {1, 2, 3, 4};
    ck_assert_int_eq(cs_calib_marginal_summary(y, 1, NULL, 4, NAN, &s, NULL), CS_OK);
    ck_assert_double_eq_tol(s.variance, 5.0 / 3, 1e-15);
    ck_assert(isnan(s.shrinkage));
    ck_assert_double_eq(s.ess, 4);
    ck_assert_double_eq(cs_calib_ess(w, 3), 16.0 / 6);
    const double one[] = {0, 3, 0}, none[] = {0, 0};
    ck_assert_double_eq(cs_calib_ess(one, 3), 1);
    ck_assert_double_eq(cs_calib_ess(none, 2), 0);
    /* Covariance of (x, y) = (1, 2), (2, 1), (3, 6) equally weighted: means
     * (2, 3), deviations x (-1, 0, 1), y (-1, -2, 3); var x 2/2 = 1, var y
     * 14/2 = 7, cov (1 + 0 + 3)/2 = 2. */
    const double xy[] = {1, 2, 2, 1, 3, 6};
    double cov[4], corr[4];
    ck_assert_int_eq(cs_calib_covariance(xy, 2, NULL, 3, cov, corr, NULL), CS_OK);
    ck_assert_double_eq_tol(cov[0], 1, 1e-14);
    ck_assert_double_eq_tol(cov[3], 7, 1e-14);
    ck_assert_double_eq_tol(cov[1], 2, 1e-14);
    ck_assert_double_eq(cov[1], cov[2]);
    ck_assert_double_eq_tol(corr[1], 2 / sqrt(7), 1e-14);
    ck_assert_double_eq_tol(corr[0], 1, 1e-15);
    ck_assert_int_eq(cs_calib_covariance(xy, 2, one, 3, cov, corr, NULL), CS_EINVAL);
}
END_TEST

/* Systematic resampling: each point appears floor or ceil of m w_i times
 * (exactly m w_i when that is whole), points of weight 0 never; the order is
 * shuffled; the same key gives the same indices. */
START_TEST(systematic_resampling)
{
    const double w[] = {0.5, 0, 0.3, 0.2};
    cs_stream_key key = {7, 0, CS_CALIB_KEY_RESAMPLE, 0, 0, CS_STREAM_CALIBRATION};
    size_t idx[1000], idx2[1000], count[4] = {0};
    ck_assert_int_eq(cs_calib_resample(w, 4, 10, &key, idx, NULL), CS_OK);
    for (size_t k = 0; k < 10; k++)
        count[idx[k]]++;
    ck_assert_uint_eq(count[0], 5);
    ck_assert_uint_eq(count[1], 0);
    ck_assert_uint_eq(count[2], 3);
    ck_assert_uint_eq(count[3], 2);
    const double v[] = {0.123, 0.5, 0.377};
    for (uint64_t s = 1; s <= 50; s++) {
        key.seed = s;
        size_t c[3] = {0};
        ck_assert_int_eq(cs_calib_resample(v, 3, 7, &key, idx, NULL), CS_OK);
        for (size_t k = 0; k < 7; k++)
            c[idx[k]]++;
        for (size_t i = 0; i < 3; i++)
            ck_assert(c[i] == (size_t)floor(7 * v[i]) || c[i] == (size_t)ceil(7 * v[i]));
    }
    /* Shuffled: 1000 draws of weights (0.5, 0.5) are not 500 zeros then 500
     * ones; reproducible with the same key, different with another. */
    const double half[] = {1, 1};
    ck_assert_int_eq(cs_calib_resample(half, 2, 1000, &key, idx, NULL), CS_OK);
    size_t ones_first_half = 0;
    for (size_t k = 0; k < 500; k++)
        ones_first_half += idx[k];
    ck_assert_uint_gt(ones_first_half, 200);
    ck_assert_uint_lt(ones_first_half, 300);
    ck_assert_int_eq(cs_calib_resample(half, 2, 1000, &key, idx2, NULL), CS_OK);
    ck_assert(memcmp(idx, idx2, sizeof idx) == 0);
    key.seed++;
    ck_assert_int_eq(cs_calib_resample(half, 2, 1000, &key, idx2, NULL), CS_OK);
    ck_assert(memcmp(idx, idx2, sizeof idx) != 0);
    ck_assert_int_eq(cs_calib_resample(half, 2, 0, &key, idx2, NULL), CS_EINVAL);
}
END_TEST

/* Draws {1, 2, 2, 3, NaN} against 2: mean 2, sd sqrt(2/3), z 0, PIT (1 +
 * 2 / 2) / 4 = 0.5 (mid-rank for the ties); against 5: PIT 1. */
START_TEST(predictive_by_hand)
{
    const double y[] = {1, 2, 2, 3, NAN};
    cs_calib_predictive p;
    ck_assert_int_eq(cs_calib_predictive_check(y, 1, NULL, 5, 2, &p, NULL), CS_OK);
    ck_assert_uint_eq(p.n_used, 4);
    ck_assert_double_eq_tol(p.mean, 2, 1e-15);
    ck_assert_double_eq_tol(p.sd, sqrt(2.0 / 3), 1e-15);
    ck_assert_double_eq_tol(p.z, 0, 1e-15);
    ck_assert_double_eq_tol(p.pit, 0.5, 1e-15);
    ck_assert_int_eq(cs_calib_predictive_check(y, 1, NULL, 5, 5, &p, NULL), CS_OK);
    ck_assert_double_eq(p.pit, 1);
    ck_assert_double_eq_tol(p.z, 3 / sqrt(2.0 / 3), 1e-14);
    /* Weighted: weight 3 on the draw 1 puts the observed 2 higher. */
    const double w[] = {3, 1, 1, 1, 1};
    ck_assert_int_eq(cs_calib_predictive_check(y, 1, w, 5, 2, &p, NULL), CS_OK);
    ck_assert_double_eq_tol(p.pit, (3 + 1) / 6.0, 1e-15);
    ck_assert_int_eq(cs_calib_predictive_check(y, 1, NULL, 5, NAN, &p, NULL), CS_EINVAL);
    const double nans[] = {NAN, NAN};
    ck_assert_int_eq(cs_calib_predictive_check(nans, 1, NULL, 2, 1, &p, NULL), CS_EINVAL);
}
END_TEST

/* The chi-square statistic of PITs of n_trials synthetic targets, each
 * observed value and its M = 99 predictive draws taken from N(shift, 1)
 * and N(0, 1) respectively. With shift 0 the observation is one more draw of
 * the predictive, its rank among the 100 values is uniform on 0..99, and the
 * bins floor(10 PIT) (PIT = rank / 99; rank 99 joins bin 9) each hold 10
 * ranks: exactly equiprobable, so the statistic is chi-square with 9 df. */
static double pit_chi_square(double shift, uint64_t seed)
{
    enum { TRIALS = 2000, M = 99, BINS = 10 };
    double draws[M];
    size_t bins[BINS] = {0};
    for (uint64_t t = 0; t < TRIALS; t++) {
        cs_stream_key key = {seed, t, 0, 0, 0, CS_STREAM_ANALYSIS};
        cs_pcg32 g;
        cs_pcg32_from_key(&g, &key);
        double obs = shift + gsl_cdf_ugaussian_Pinv(cs_pcg32_uniform_pos(&g));
        for (size_t k = 0; k < M; k++)
            draws[k] = gsl_cdf_ugaussian_Pinv(cs_pcg32_uniform_pos(&g));
        cs_calib_predictive p;
        ck_assert_int_eq(cs_calib_predictive_check(draws, 1, NULL, M, obs, &p, NULL), CS_OK);
        size_t b = (size_t)floor(p.pit * BINS);
        bins[b < BINS ? b : BINS - 1]++;
    }
    double chi2 = 0, e = (double)TRIALS / BINS;
    for (size_t b = 0; b < BINS; b++)
        chi2 += ((double)bins[b] - e) * ((double)bins[b] - e) / e;
    return chi2;
}

/* alpha = 0.001: the 0.999 quantile of chi-square(9) is 27.877. A predictive
 * that is off by 0.3 sd is caught (the test can fail). */
START_TEST(pit_is_uniform)
{
    double crit = gsl_cdf_chisq_Qinv(0.001, 9);
    ck_assert_double_eq_tol(crit, 27.877, 1e-3);
    ck_assert_double_lt(pit_chi_square(0, 1), crit);
    ck_assert_double_gt(pit_chi_square(0.3, 1), crit);
}
END_TEST

/* Covariance of the posterior of z when only sum_{i in S} z_i is observed with
 * sd s (prior I): I - 1_S 1_S^T / (|S| + s^2) on the block S. */
static void sum_observed(double *cov, size_t d, const size_t *S, size_t ns, double s)
{
    for (size_t a = 0; a < ns; a++)
        for (size_t b = 0; b < ns; b++)
            cov[S[a] * d + S[b]] -= 1 / ((double)ns + s * s);
}

static void identity(double *cov, size_t d)
{
    memset(cov, 0, d * d * sizeof *cov);
    for (size_t i = 0; i < d; i++)
        cov[i * d + i] = 1;
}

START_TEST(identifiability_product_pair)
{
    double cov[4];
    identity(cov, 2);
    const size_t S[] = {0, 1};
    sum_observed(cov, 2, S, 2, 0.1);
    const char *names[] = {"report_rate", "referral_rate"};
    cs_calib_finding *f;
    size_t n;
    ck_assert_int_eq(cs_calib_identifiability(cov, 2, names, &f, &n, NULL), CS_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(f[0].kind, CS_CALIB_UNSEPARATED);
    ck_assert_uint_eq(f[0].n_inputs, 2);
    ck_assert_double_eq_tol(f[0].rho, -(1 / 2.01) / (1 - 1 / 2.01), 1e-12);
    ck_assert_double_eq_tol(f[0].free_variance, 1, 1e-12); /* along (1, -1) */
    ck_assert_double_eq_tol(f[0].fixed_variance, 1 - 2 / 2.01, 1e-12);
    ck_assert_double_eq_tol(f[0].ridge[0], sqrt(0.5), 1e-12);
    ck_assert_double_eq_tol(f[0].ridge[1], -sqrt(0.5), 1e-12);
    ck_assert_double_eq_tol(f[0].fixed[1], sqrt(0.5), 1e-12);
    ck_assert_ptr_nonnull(strstr(f[0].text, "cannot separate report_rate and referral_rate"));
    ck_assert_ptr_nonnull(strstr(f[0].text, "product"));
    free(f);
}
END_TEST

/* Negative controls: each input observed on its own (a diagonal posterior),
 * and a pair correlated at 0.9 whose combinations are all well constrained. */
START_TEST(identifiability_negative_controls)
{
    const double diag[] = {0.01, 0, 0, 0.04};
    cs_calib_finding *f;
    size_t n;
    ck_assert_int_eq(cs_calib_identifiability(diag, 2, NULL, &f, &n, NULL), CS_OK);
    ck_assert_uint_eq(n, 0);
    free(f);
    const double corr[] = {0.04, 0.036, 0.036, 0.04};
    ck_assert_int_eq(cs_calib_identifiability(corr, 2, NULL, &f, &n, NULL), CS_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(f[0].kind, CS_CALIB_CORRELATED);
    ck_assert_double_eq_tol(f[0].rho, 0.9, 1e-12);
    ck_assert_ptr_nonnull(strstr(f[0].text, "input 1 and input 2 are strongly correlated"));
    free(f);
    const double not_pd[] = {1, 2, 2, 1};
    cs_error err;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_calib_identifiability(not_pd, 2, NULL, &f, &n, &err), CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, "not positive definite"));
}
END_TEST

/* Six inputs: only z0 + z1 + z2 observed (no pair reaches |rho| 0.8: each is
 * -0.497, yet two directions keep their prior variance), z3 hardly observed
 * (98% of its prior variance left), z4 and z5 each observed precisely on its
 * own. Expected: one warning for {0, 1, 2} with two free directions, one note
 * for z3, nothing else. */
START_TEST(identifiability_groups_and_uninformed)
{
    double cov[36];
    identity(cov, 6);
    const size_t S[] = {0, 1, 2};
    sum_observed(cov, 6, S, 3, 0.1);
    cov[3 * 6 + 3] = 0.98;
    cov[4 * 6 + 4] = cov[5 * 6 + 5] = 0.01;
    cs_calib_finding *f;
    size_t n;
    ck_assert_int_eq(cs_calib_identifiability(cov, 6, NULL, &f, &n, NULL), CS_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(f[0].kind, CS_CALIB_UNSEPARATED);
    ck_assert_uint_eq(f[0].n_inputs, 3);
    ck_assert_uint_eq(f[0].n_free, 2);
    ck_assert(isnan(f[0].rho));
    ck_assert_ptr_nonnull(strstr(f[0].text, "input 1, input 2 and input 3"));
    ck_assert_int_eq(f[1].kind, CS_CALIB_UNINFORMED_INPUT);
    ck_assert_uint_eq(f[1].inputs[0], 3);
    ck_assert_ptr_nonnull(strstr(f[1].text, "input 4"));
    /* Two unrelated product pairs share the eigenvalue 1 but stay two
     * findings. */
    identity(cov, 4);
    const size_t P[] = {0, 1}, Q[] = {2, 3};
    sum_observed(cov, 4, P, 2, 0.1);
    sum_observed(cov, 4, Q, 2, 0.1);
    free(f);
    ck_assert_int_eq(cs_calib_identifiability(cov, 4, NULL, &f, &n, NULL), CS_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(f[0].n_inputs, 2);
    ck_assert_uint_eq(f[1].n_inputs, 2);
    ck_assert_uint_eq(f[1].inputs[0], 2);
    free(f);
}
END_TEST

/* End to end: IMIS samples the posterior of a product-only model (observed
 * ln(x y) = z0 + z1 with sd 0.1) and the check flags it; a model that
 * observes each input on its own is not flagged. */
static double model_loglik(const double *z, int product_only)
{
    if (product_only) {
        double r = (z[0] + z[1] - 0.5) / 0.1;
        return -0.5 * r * r;
    }
    double r0 = (z[0] - 0.5) / 0.1, r1 = (z[1] + 0.3) / 0.2;
    return -0.5 * (r0 * r0 + r1 * r1);
}

static void sample_and_check(int product_only, cs_calib_finding **f, size_t *n)
{
    cs_calib_imis_config cfg;
    cs_calib_imis_config_default(&cfg, 2);
    cfg.seed = 17;
    cs_calib_imis *m = NULL;
    ck_assert_int_eq(cs_calib_imis_alloc(&cfg, &m, NULL), CS_OK);
    while (cs_calib_imis_status(m) == CS_CALIB_RUNNING) {
        const double *z;
        size_t k;
        cs_calib_imis_ask(m, &z, &k);
        double *ll = malloc(k * sizeof *ll);
        for (size_t i = 0; i < k; i++)
            ll[i] = model_loglik(z + 2 * i, product_only);
        ck_assert_int_eq(cs_calib_imis_tell(m, ll, k, NULL), CS_OK);
        free(ll);
    }
    ck_assert_int_eq(cs_calib_imis_status(m), CS_CALIB_CONVERGED);
    cs_calib_imis_result r;
    cs_calib_imis_get_result(m, &r);
    double cov[4];
    ck_assert_int_eq(cs_calib_covariance(r.z, 2, r.weight, r.n_points, cov, NULL, NULL), CS_OK);
    ck_assert_int_eq(cs_calib_identifiability(cov, 2, NULL, f, n, NULL), CS_OK);
    cs_calib_imis_free(m);
}

START_TEST(identifiability_from_imis)
{
    cs_calib_finding *f;
    size_t n;
    sample_and_check(1, &f, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(f[0].kind, CS_CALIB_UNSEPARATED);
    ck_assert_double_lt(f[0].rho, -0.9);
    free(f);
    sample_and_check(0, &f, &n);
    ck_assert_uint_eq(n, 0);
    free(f);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("calibration_posterior");
    TCase *tc = tcase_create("posterior");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, quantiles_by_hand);
    tcase_add_test(tc, moments_by_hand);
    tcase_add_test(tc, systematic_resampling);
    tcase_add_test(tc, predictive_by_hand);
    tcase_add_test(tc, pit_is_uniform);
    tcase_add_test(tc, identifiability_product_pair);
    tcase_add_test(tc, identifiability_negative_controls);
    tcase_add_test(tc, identifiability_groups_and_uninformed);
    tcase_add_test(tc, identifiability_from_imis);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
