/* test_calibration_likelihood.c — the calibration's likelihoods against
 * values worked by hand, against the integrals they stand for, and in their
 * large --scale limits. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>

#include "casesim/calibration.h"
#include "casesim/rng.h"

/* Exact probabilities, worked by hand:
 *  Poisson(3 | 2.5)            = e^-2.5 2.5^3 / 3!                = ln -> -1.5428872736055899
 *  NegBin(4 | mean 3, shape 2) = C(5, 4) 0.4^2 0.6^4 = 0.10368
 *  Binomial(2 | 5, 0.3)        = 10 x 0.09 x 0.343 = 0.3087
 *  BetaBin(3 | 10, 2, 5)       = C(10, 3) B(5, 12) / B(2, 5) = 120 (1/21840) / (1/30) = 15/91 */
START_TEST(hand_values)
{
    ck_assert_double_eq_tol(cs_calib_loglik_poisson(3, 2.5), -1.5428872736055899, 1e-13);
    ck_assert_double_eq_tol(cs_calib_loglik_negbin(4, 3, 2), log(0.10368), 1e-13);
    ck_assert_double_eq_tol(cs_calib_loglik_binomial(2, 5, 0.3), log(0.3087), 1e-13);
    ck_assert_double_eq_tol(cs_calib_loglik_betabinomial(3, 10, 2, 5), log(15.0 / 91), 1e-13);
    /* Infinite shape is the Poisson. */
    ck_assert_double_eq(cs_calib_loglik_negbin(3, 2.5, INFINITY), cs_calib_loglik_poisson(3, 2.5));
    /* Degenerate rates and shares: certain or impossible. */
    ck_assert_double_eq(cs_calib_loglik_poisson(0, 0), 0);
    ck_assert(cs_calib_loglik_poisson(1, 0) == -INFINITY);
    ck_assert_double_eq(cs_calib_loglik_binomial(0, 7, 0), 0);
    ck_assert(cs_calib_loglik_binomial(7, 7, 0) == -INFINITY);
    ck_assert_double_eq(cs_calib_loglik_binomial(7, 7, 1), 0);
    /* Invalid arguments give NaN. */
    ck_assert(isnan(cs_calib_loglik_poisson(1.5, 2)));
    ck_assert(isnan(cs_calib_loglik_poisson(-1, 2)));
    ck_assert(isnan(cs_calib_loglik_negbin(1, 2, 0)));
    ck_assert(isnan(cs_calib_loglik_binomial(6, 5, 0.5)));
    ck_assert(isnan(cs_calib_loglik_betabinomial(1, 5, 0, 1)));
    ck_assert(isnan(cs_calib_loglik_count(1, -1, 1, 1, 0)));
    ck_assert(isnan(cs_calib_loglik_count(1, 1, 0, 1, 0)));
    ck_assert(isnan(cs_calib_loglik_share(1, 5, 6, 5)));
}
END_TEST

/* The beta-binomial against its direct lgamma formula
 * ln C(n, x) + ln G(x+a) + ln G(n-x+b) - ln G(n+a+b) - ln G(a) - ln G(b) + ln G(a+b)
 * at moderate a, b (where lgamma differences are still accurate to ~1e-12), and
 * its pmf summing to 1 over x = 0..n. */
START_TEST(betabinomial_direct_and_normalised)
{
    const double n = 409, a = 35.5, b = 376.25;
    double total = 0;
    for (double x = 0; x <= n; x++) {
        double direct = lgamma(n + 1) - lgamma(x + 1) - lgamma(n - x + 1) + lgamma(x + a) +
                        lgamma(n - x + b) - lgamma(n + a + b) - lgamma(a) - lgamma(b) +
                        lgamma(a + b);
        double got = cs_calib_loglik_betabinomial(x, n, a, b);
        ck_assert_double_eq_tol(got, direct, 1e-9 * (1 + fabs(direct)));
        total += exp(got);
    }
    ck_assert_double_eq_tol(total, 1.0, 1e-12);
    /* The share form is the beta-binomial at a = x_sim + 1, b = n_sim - x_sim + 1. */
    ck_assert_double_eq(cs_calib_loglik_share(34, 409, 70, 800),
                        cs_calib_loglik_betabinomial(34, 409, 71, 731));
}
END_TEST

/* gamma-Poisson, c = 0: y = 2, x = 3, K = 2, u = 1 -> a = 4, p = K/(K+u) = 2/3,
 * P = C(5, 2) (2/3)^4 (1/3)^2 = 160/729. */
START_TEST(count_gamma_poisson_hand_value)
{
    ck_assert_double_eq_tol(cs_calib_loglik_count(2, 3, 2, 1, 0), log(160.0 / 729), 1e-13);
    /* unit_factor u scales the mean: u = 2, K = 4 is the same rate as u = 1, K = 2. */
    ck_assert_double_eq_tol(cs_calib_loglik_count(2, 3, 4, 2, 0), log(160.0 / 729), 1e-13);
    /* A deliberately wrong shape (x instead of x + 1) misses the value: the
     * test can fail. */
    ck_assert(fabs(cs_calib_loglik_negbin(2, 3.0 / 2, 3) - log(160.0 / 729)) > 1e-3);
}
END_TEST

/* The gamma-Poisson is the Poisson averaged over the simulated rate's
 * posterior Gamma(x + 1, rate K): check by quadrature. */
struct mix {
    double y, a, K, u;
};

static double gamma_poisson_integrand(double lambda, void *p)
{
    const struct mix *m = p;
    return exp(cs_calib_loglik_poisson(m->y, m->u * lambda)) *
           gsl_ran_gamma_pdf(lambda, m->a, 1 / m->K);
}

START_TEST(count_is_poisson_gamma_mixture)
{
    gsl_set_error_handler_off();
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
    const double cases[][4] = {{0, 0, 1, 1}, {7, 5, 3, 1.5}, {40, 12, 0.5, 0.8}, {3, 200, 40, 1}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct mix m = {cases[k][0], cases[k][1] + 1, cases[k][2], cases[k][3]};
        gsl_function f = {gamma_poisson_integrand, &m};
        double val, abserr;
        ck_assert_int_eq(gsl_integration_qagiu(&f, 0, 0, 1e-12, 1000, ws, &val, &abserr), 0);
        double got = exp(cs_calib_loglik_count(m.y, cases[k][1], m.K, m.u, 0));
        ck_assert_double_eq_tol(got, val, 1e-10 * val + 10 * abserr);
    }
    gsl_integration_workspace_free(ws);
}
END_TEST

/* c > 0: the moment-matched negative binomial has the exact compound's mean
 * m = u a / K and variance m + m^2 ((1 + 1/a)(1 + c^2) - 1), summed from the
 * pmf itself (the tail beyond y = 2000 is below 1e-30 here). */
START_TEST(count_negbin_moments)
{
    const double x = 9, K = 2, u = 3, c = 0.25, a = x + 1, m = u * a / K;
    double s0 = 0, s1 = 0, s2 = 0;
    for (double y = 0; y <= 2000; y++) {
        double p = exp(cs_calib_loglik_count(y, x, K, u, c));
        s0 += p;
        s1 += y * p;
        s2 += y * y * p;
    }
    double var = s2 / s0 - (s1 / s0) * (s1 / s0);
    double exact_var = m + m * m * ((1 + 1 / a) * (1 + c * c) - 1);
    ck_assert_double_eq_tol(s0, 1, 1e-12);
    ck_assert_double_eq_tol(s1, m, 1e-9 * m);
    ck_assert_double_eq_tol(var, exact_var, 1e-9 * exact_var);
    /* Leaving out the simulation noise (shape 1/c^2) would understate it. */
    ck_assert(exact_var - (m + m * m * c * c) > 1);
}
END_TEST

/* Large --scale: x = lambda K events in K volumes. The negative binomial of
 * shape a = x + 1 differs from the Poisson by O((y - m)^2 / a) in log-pmf, so
 * the gap must shrink tenfold with every tenfold K. */
START_TEST(count_large_scale_limits)
{
    const double y = 7, lambda = 5, u = 1.2;
    double prev = NAN;
    for (double K = 1e3; K <= 1e9; K *= 10) {
        double gap =
            cs_calib_loglik_count(y, lambda * K, K, u, 0) - cs_calib_loglik_poisson(y, u * lambda);
        if (!isnan(prev))
            ck_assert_double_eq_tol(prev / gap, 10, 0.1); /* O(1/K) decay */
        prev = gap;
    }
    ck_assert_double_lt(fabs(prev), 1e-9);
    /* With c > 0 the limit is NegBin(mean u lambda, shape 1/c^2). */
    const double c = 0.1, K = 1e9;
    ck_assert_double_eq_tol(cs_calib_loglik_count(y, lambda * K, K, u, c),
                            cs_calib_loglik_negbin(y, u * lambda, 1 / (c * c)), 1e-6);
    /* Shares: beta-binomial -> binomial at x_sim / n_sim. */
    const double ns = 1e9, p = 0.085;
    ck_assert_double_eq_tol(cs_calib_loglik_share(34, 409, p * ns, ns),
                            cs_calib_loglik_binomial(34, 409, p), 1e-5);
    ck_assert(fabs(cs_calib_loglik_share(34, 409, p * 1e3, 1e3) -
                   cs_calib_loglik_binomial(34, 409, p)) > 1e-3);
}
END_TEST

/* Ratio v = 0.33 with ci95 [0.25, 0.45] -> s_obs = ln(0.45/0.25) / (2 x 1.959964)
 * = 0.14994833311696165; simulated 0.4 with s_sim 0.1 in quadrature:
 * -ln 0.33 - ln(2 pi s^2)/2 - (ln 0.33 - ln 0.4)^2 / (2 s^2) = 1.3336109337058666.
 * Duration 230 (sd 30) against 250 (se 10): s^2 = 1000,
 * -ln(2 pi 1000)/2 - 400/2000 = -4.572816172695742. */
START_TEST(ratio_and_duration_hand_values)
{
    double s = cs_calib_log_sd_from_ci95(0.25, 0.45);
    ck_assert_double_eq_tol(s, 0.14994833311696165, 1e-15);
    ck_assert_double_eq_tol(cs_calib_loglik_lognormal(0.33, s, 0.4, 0.1), 1.3336109337058666,
                            1e-13);
    ck_assert_double_eq_tol(cs_calib_loglik_normal(230, 30, 250, 10), -4.572816172695742, 1e-13);
    ck_assert(cs_calib_loglik_lognormal(0.33, s, 0, 0.1) == -INFINITY);
    ck_assert(isnan(cs_calib_loglik_lognormal(0.33, 0, 0.4, 0)));
    ck_assert(isnan(cs_calib_loglik_normal(230, 0, 250, 0)));
    /* sd of the value 0.05 around 0.33: sqrt(ln(1 + (0.05/0.33)^2)). */
    ck_assert_double_eq_tol(cs_calib_log_sd_from_sd(0.33, 0.05), 0.15065622308510493, 1e-15);
    ck_assert(isnan(cs_calib_log_sd_from_ci95(0.45, 0.25)));
    /* Katz: 1/10.5 - 1/100.5 + 1/20.5 - 1/50.5. */
    double v = 1 / 10.5 - 1 / 100.5 + 1 / 20.5 - 1 / 50.5;
    ck_assert_double_eq_tol(cs_calib_log_ratio_se(10, 100, 20, 50), sqrt(v), 1e-15);
    ck_assert(isfinite(cs_calib_log_ratio_se(0, 100, 20, 50)));
}
END_TEST

START_TEST(target_dispatch_weight_and_checks)
{
    cs_calib_target t = {CS_CALIB_NEGBIN, 1887, 0, 0.1, 2.0, 1};
    cs_calib_simulated s = {9000, 10, 0};
    double ll = cs_calib_loglik(&t, &s);
    ck_assert_double_eq(ll, cs_calib_loglik_count(1887, 9000, 10, 2.0, 0.1));
    t.weight = 2.5;
    ck_assert_double_eq(cs_calib_loglik(&t, &s), 2.5 * ll);
    /* Weight 0 leaves the target out even where it is impossible. */
    cs_calib_target share = {CS_CALIB_BINOMIAL, 34, 409, 0, 1, 0};
    cs_calib_simulated zero = {0, 500, 0};
    ck_assert_double_eq(cs_calib_loglik(&share, &zero), 0);
    share.weight = 1;
    ck_assert(cs_calib_loglik(&share, &zero) == -INFINITY);
    share.family = CS_CALIB_BETABINOMIAL;
    ck_assert_double_eq(cs_calib_loglik(&share, &zero), cs_calib_loglik_share(34, 409, 0, 500));
    cs_calib_target ratio = {CS_CALIB_LOGNORMAL, 0.33, 0, 0.15, 1, 1};
    cs_calib_simulated rs = {0.4, 0, 0.1};
    ck_assert_double_eq(cs_calib_loglik(&ratio, &rs),
                        cs_calib_loglik_lognormal(0.33, 0.15, 0.4, 0.1));
    cs_calib_target dur = {CS_CALIB_NORMAL, 230, 0, 30, 1, 1};
    cs_calib_simulated ds = {250, 0, 10};
    ck_assert_double_eq(cs_calib_loglik(&dur, &ds), cs_calib_loglik_normal(230, 30, 250, 10));
    /* Invalid simulated input: NaN. */
    cs_calib_simulated bad = {600, 500, 0};
    ck_assert(isnan(cs_calib_loglik(&share, &bad)));

    /* Every problem of a target is reported, with its name. */
    cs_error err;
    cs_error_clear(&err);
    cs_calib_target wrong = {CS_CALIB_BINOMIAL, 35, 34, 0, 1, -1};
    ck_assert_int_eq(cs_calib_target_check(&wrong, "charged_share", &err), CS_EINVAL);
    ck_assert_uint_eq(err.count, 2); /* x > n, negative weight */
    ck_assert_ptr_nonnull(strstr(err.text, "charged_share: observed share"));
    cs_error_clear(&err);
    cs_calib_target nb = {CS_CALIB_NEGBIN, 10.5, 0, 0, 0, 1};
    ck_assert_int_eq(cs_calib_target_check(&nb, "referrals", &err), CS_EINVAL);
    ck_assert_uint_eq(err.count, 3); /* not whole, cv 0, unit_factor 0 */
    ck_assert(isnan(cs_calib_loglik(&nb, &s)));
    cs_calib_target ok = {CS_CALIB_POISSON, 11, 0, 0, 1, 1};
    ck_assert_int_eq(cs_calib_target_check(&ok, NULL, NULL), CS_OK);
}
END_TEST

/* Predictive draws against the exact moments of each family's observation
 * model: 40000 draws; the mean within 4 SE (sd / sqrt(n)) and the variance
 * within 4 SE (sqrt((m4 - var^2) / n), m4 the sample's fourth central
 * moment); false alarm 6e-5 per check. */
struct draw_stats {
    double mean, var, se_var;
};

static struct draw_stats draw(const cs_calib_target *t, const cs_calib_simulated *s, uint64_t seed)
{
    enum { N = 40000 };
    gsl_rng *r = gsl_rng_alloc(cs_gsl_rng_pcg32);
    ck_assert_ptr_nonnull(r);
    cs_stream_key key = {seed, 0, 0, 0, 0, CS_STREAM_ANALYSIS};
    cs_pcg32_from_key(cs_gsl_pcg32_state(r), &key);
    static double y[N];
    double m = 0;
    for (size_t i = 0; i < N; i++) {
        y[i] = cs_calib_predictive_draw(t, s, r);
        m += y[i] / N;
    }
    gsl_rng_free(r);
    double v = 0, m4 = 0;
    for (size_t i = 0; i < N; i++) {
        double d = y[i] - m;
        v += d * d / (N - 1);
        m4 += d * d * d * d / N;
    }
    return (struct draw_stats){m, v, sqrt((m4 - v * v) / N)};
}

static void check_draws(const cs_calib_target *t, const cs_calib_simulated *s, double mean,
                        double var, uint64_t seed)
{
    struct draw_stats d = draw(t, s, seed);
    ck_assert_double_eq_tol(d.mean, mean, 4 * sqrt(var / 40000));
    ck_assert_double_eq_tol(d.var, var, 4 * d.se_var);
}

START_TEST(predictive_draws_match_moments)
{
    /* Counts: mean m = u (x + 1) / K, variance m + m^2 / r. */
    cs_calib_target nb = {CS_CALIB_NEGBIN, 1887, 0, 0.1, 2, 1};
    cs_calib_simulated cs = {900, 10, 0};
    double m = 2 * 901 / 10.0, r = 1 / (0.01 + 1.01 / 901);
    check_draws(&nb, &cs, m, m + m * m / r, 1);
    /* A deliberately wrong variance (the observation's noise without the
     * simulation's: shape 1/c^2) is outside the tolerance. */
    struct draw_stats d = draw(&nb, &cs, 1);
    ck_assert_double_gt(fabs(d.var - (m + m * m * 0.01)), 4 * d.se_var);
    cs_calib_target po = {CS_CALIB_POISSON, 11, 0, 0, 1, 1};
    cs_calib_simulated ps = {30, 2, 0};
    check_draws(&po, &ps, 15.5, 15.5 + 15.5 * 15.5 / 31, 2);
    /* Shares: beta-binomial n a / (a + b), n a b (a + b + n) / ((a + b)^2 (a + b + 1)). */
    cs_calib_target bb = {CS_CALIB_BETABINOMIAL, 34, 409, 0, 1, 1};
    cs_calib_simulated ss = {70, 800, 0};
    double a = 71, b = 731, n = 409;
    check_draws(&bb, &ss, n * a / (a + b),
                n * a * b * (a + b + n) / ((a + b) * (a + b) * (a + b + 1)), 3);
    bb.family = CS_CALIB_BINOMIAL;
    check_draws(&bb, &ss, n * 70 / 800, n * (70 / 800.0) * (730 / 800.0), 4);
    /* Ratios: lognormal rho e^{s^2/2}, (e^{s^2} - 1) rho^2 e^{s^2}. */
    cs_calib_target ln = {CS_CALIB_LOGNORMAL, 0.33, 0, 0.15, 1, 1};
    cs_calib_simulated ls = {0.4, 0, 0.1};
    double s2 = 0.15 * 0.15 + 0.1 * 0.1;
    check_draws(&ln, &ls, 0.4 * exp(s2 / 2), expm1(s2) * 0.16 * exp(s2), 5);
    /* Durations: normal, variance sd^2 + se^2. */
    cs_calib_target du = {CS_CALIB_NORMAL, 230, 0, 30, 1, 1};
    cs_calib_simulated ds = {250, 0, 10};
    check_draws(&du, &ds, 250, 1000, 6);
    /* Invalid input: NaN. */
    cs_calib_simulated bad = {900, 0, 0};
    gsl_rng *g = gsl_rng_alloc(cs_gsl_rng_pcg32);
    ck_assert(isnan(cs_calib_predictive_draw(&nb, &bad, g)));
    gsl_rng_free(g);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("calibration_likelihood");
    TCase *tc = tcase_create("likelihood");
    tcase_add_test(tc, hand_values);
    tcase_add_test(tc, betabinomial_direct_and_normalised);
    tcase_add_test(tc, count_gamma_poisson_hand_value);
    tcase_add_test(tc, count_is_poisson_gamma_mixture);
    tcase_add_test(tc, count_negbin_moments);
    tcase_add_test(tc, count_large_scale_limits);
    tcase_add_test(tc, ratio_and_duration_hand_values);
    tcase_add_test(tc, target_dispatch_weight_and_checks);
    tcase_add_test(tc, predictive_draws_match_moments);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
