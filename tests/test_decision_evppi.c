/* test_decision_evppi.c — EVPPI by regression against closed forms and
 * quadrature: sums of normals, an interaction of three inputs, an input that
 * does not matter; the standard error against the spread of repeated
 * estimates; the bounds EVPPI <= EVPI and monotonicity, and the report of
 * their finite-sample failures; determinism in the key and in the number of
 * threads.
 *
 * Tolerances are derived from the reported standard errors (4 SE: a two-sided
 * false alarm of 6e-5 for a normal estimate) unless said otherwise. The
 * estimator also has a regression bias (smoothing); the draw counts below
 * keep it well under one SE, which the calibration tests check over
 * repeated data sets. Data come from keyed streams with fixed seeds. */
#include <check.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "casesim/decision.h"

#define PI 3.14159265358979323846

static double normal(cs_pcg32 *g)
{
    return gsl_cdf_ugaussian_Pinv(cs_pcg32_uniform_pos(g));
}

static cs_pcg32 stream(uint64_t seed)
{
    cs_stream_key key = {.seed = seed, .purpose = CS_STREAM_ANALYSIS};
    cs_pcg32 g;
    cs_pcg32_from_key(&g, &key);
    return g;
}

static double phi(double x)
{
    return exp(-x * x / 2) / sqrt(2 * PI);
}

/* E[max(0, X)] - max(0, E X) for X ~ N(mu, sigma^2): sigma [phi(z) - z (1 -
 * Phi(z))], z = |mu| / sigma. This is EVPI of two options with INB ~ X, and
 * the EVPPI of an input when E[INB | input] ~ X. */
static double evpi_normal(double mu, double sigma)
{
    double z = fabs(mu) / sigma;
    return sigma * (phi(z) - z * gsl_cdf_ugaussian_Q(z));
}

/* E[max(0, X)] for X ~ N(m, s^2), s >= 0. */
static double positive_part(double m, double s)
{
    return s > 0 ? m * gsl_cdf_ugaussian_P(m / s) + s * phi(m / s) : fmax(m, 0);
}

/* Two variants (the baseline and one with effect inb[d], cost 0). */
struct two {
    double *e, *c, *theta;
    size_t D, P;
};

static struct two two_alloc(size_t D, size_t P)
{
    struct two t = {calloc(2 * D, sizeof(double)), calloc(2 * D, sizeof(double)),
                    malloc(D * P * sizeof(double)), D, P};
    return t;
}

static void two_free(struct two *t)
{
    free(t->e);
    free(t->c);
    free(t->theta);
}

static cs_evppi *run(const struct two *t, const cs_evppi_set *sets, size_t n_sets,
                     const cs_evppi_options *opt)
{
    cs_decision_data data = {t->D, 1, 2, t->e, t->c};
    double lambda = 1;
    cs_evppi *ev = NULL;
    cs_error err;
    cs_error_clear(&err);
    int st = cs_decision_evppi(&data, t->theta, t->P, sets, n_sets, &lambda, 1, opt, &ev, &err);
    ck_assert_msg(st == CS_OK, "%s", err.text);
    return ev;
}

/* INB = theta1 + theta2, theta1 ~ N(0.5, 1), theta2 ~ N(0, 4): */
static struct two sum_of_normals(size_t D, uint64_t seed)
{
    struct two t = two_alloc(D, 2);
    cs_pcg32 g = stream(seed);
    for (size_t d = 0; d < D; d++) {
        t.theta[2 * d] = 0.5 + normal(&g);
        t.theta[2 * d + 1] = 2 * normal(&g);
        t.e[2 * d + 1] = t.theta[2 * d] + t.theta[2 * d + 1];
    }
    return t;
}

/* E[INB | theta1] = theta1 ~ N(0.5, 1) -> 0.19780; E[INB | theta2] =
 * 0.5 + theta2 ~ N(0.5, 4) -> 0.57269; both: INB ~ N(0.5, 5) -> EVPI =
 * 0.66427. D = 20000. The pair is linear in its inputs, so its fit is exact
 * and EVPPI equals the EVPI of the same draws to rounding. */
START_TEST(sum_of_two_normals)
{
    const double want[3] = {0.19780, 0.57269, 0.66427};
    const double exact[3] = {evpi_normal(0.5, 1), evpi_normal(0.5, 2), evpi_normal(0.5, sqrt(5))};
    for (int i = 0; i < 3; i++)
        ck_assert_double_eq_tol(exact[i], want[i], 5e-6);
    struct two t = sum_of_normals(20000, 1);
    const size_t a = 0, b = 1, ab[2] = {0, 1};
    cs_evppi_set sets[3] = {{&a, 1}, {&b, 1}, {ab, 2}};
    cs_evppi *ev = run(&t, sets, 3, NULL);
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(fabs(ev->evppi[i] - exact[i]) < 4 * ev->se[i], "set %d: %g vs %g (se %g)", i,
                      ev->evppi[i], exact[i], ev->se[i]);
        ck_assert(ev->se[i] > 0 && ev->se[i] < 0.01);
    }
    /* Power: a 10% error in the sd of E[INB | theta1] is rejected. */
    ck_assert(fabs(ev->evppi[0] - evpi_normal(0.5, 1.1)) > 4 * ev->se[0]);
    ck_assert_int_eq(ev->fit[0].method, CS_EVPPI_SPLINE);
    ck_assert_int_eq(ev->fit[1].method, CS_EVPPI_CONSTANT); /* the cost: 0 in every draw */
    ck_assert_int_eq(ev->fit[2 * 2].method, CS_EVPPI_LINEAR);
    ck_assert_double_eq_tol(ev->evppi[2], ev->evpi[0], 1e-9 * ev->evpi[0]);
    ck_assert_double_eq_tol(ev->evpi[0], exact[2], 4 * ev->evpi_se[0]);
    ck_assert_uint_eq(ev->n_violations, 0);
    /* The straight line is unpenalised (edf >= 2, exactly) and a linear
     * truth under noise is not interpolated (edf well below the 16 basis
     * functions). R^2 of E[INB | theta1] is 1/5; the sample R^2 has SE
     * sqrt(4 R^2 (1 - R^2)^2 / D) = 0.0051 (normal theory). */
    ck_assert(ev->fit[0].edf >= 2 - 1e-9 && ev->fit[0].edf < 8);
    ck_assert_double_eq_tol(ev->fit[0].r2, 0.2, 4 * sqrt(4 * 0.2 * 0.8 * 0.8 / 20000));
    cs_evppi_free(ev);
    two_free(&t);
}
END_TEST

/* Composite Simpson on [-12, 12] of f(x) N(x; 0.5, 1); 24000 intervals put
 * a node on 0, where the {theta2, theta3} integrand has a kink. */
static double expect_theta2(double (*f)(double))
{
    enum { N = 24000 };
    double h = 24.0 / N, s = 0;
    for (int i = 0; i <= N; i++) {
        double x = -12 + i * h, w = (i == 0 || i == N) ? 1 : (i % 2 ? 4 : 2);
        s += w * f(x) * phi(x - 0.5);
    }
    return s * h / 3;
}

/* Given theta2 = x: 0.2 + x theta3 ~ N(0.2 + 0.5 x, x^2), and with theta1
 * also unknown, theta1 + x theta3 ~ N(0.2 + 0.5 x, 1 + x^2). */
static double given_t2_only(double x)
{
    return positive_part(0.2 + 0.5 * x, fabs(x));
}

static double given_t2_all(double x)
{
    return positive_part(0.2 + 0.5 * x, sqrt(1 + x * x));
}

/* INB = theta1 + theta2 theta3, theta1 ~ N(0.2, 1), theta2, theta3 ~
 * N(0.5, 1) independent; E INB = 0.45. Exact EVPPI:
 *   {1}: E[INB | t1] = t1 + 0.25 ~ N(0.45, 1)           closed form
 *   {2}: E[INB | t2] = 0.2 + 0.5 t2 ~ N(0.45, 0.25)     closed form
 *   {1,2}: t1 + 0.5 t2 ~ N(0.45, 1.25)                  closed form
 *   {2,3}: 0.2 + t2 t3                                  quadrature over t2
 *   {1,2,3} = EVPI                                      quadrature over t2
 * D = 2000 draws; singles by spline, groups by the Gaussian process. */
static struct two interaction(size_t D, uint64_t seed)
{
    struct two t = two_alloc(D, 3);
    cs_pcg32 g = stream(seed);
    for (size_t d = 0; d < D; d++) {
        double *x = t.theta + 3 * d;
        x[0] = 0.2 + normal(&g);
        x[1] = 0.5 + normal(&g);
        x[2] = 0.5 + normal(&g);
        t.e[2 * d + 1] = x[0] + x[1] * x[2];
    }
    return t;
}

static const size_t I1[1] = {0}, I2[1] = {1}, I12[2] = {0, 1}, I23[2] = {1, 2};
static const size_t I123[3] = {0, 1, 2};
static const cs_evppi_set INTERACTION_SETS[5] = {{I1, 1}, {I2, 1}, {I12, 2}, {I23, 2}, {I123, 3}};

START_TEST(interaction_known_values_and_bounds)
{
    double exact[5] = {evpi_normal(0.45, 1), evpi_normal(0.45, 0.5), evpi_normal(0.45, sqrt(1.25)),
                       expect_theta2(given_t2_only) - 0.45, expect_theta2(given_t2_all) - 0.45};
    /* The quadrature against an independent evaluation (numpy, 2 10^5
     * points): 0.20778865, 0.39230657. */
    ck_assert_double_eq_tol(exact[3], 0.20778865, 1e-7);
    ck_assert_double_eq_tol(exact[4], 0.39230657, 1e-7);
    struct two t = interaction(2000, 7);
    cs_evppi *ev = run(&t, INTERACTION_SETS, 5, NULL);
    for (int i = 0; i < 5; i++)
        ck_assert_msg(fabs(ev->evppi[i] - exact[i]) < 4 * ev->se[i],
                      "set %d: %g vs exact %g (se %g)", i, ev->evppi[i], exact[i], ev->se[i]);
    ck_assert_int_eq(ev->fit[2 * 3].method, CS_EVPPI_GP);
    /* Power: for the pair {2,3} the additive answer (no interaction, as
     * {2} alone would suggest) is rejected. */
    ck_assert(fabs(ev->evppi[3] - exact[1]) > 4 * ev->se[3]);
    /* Monotone along both chains, below EVPI; the gaps between nested sets
     * here are 2 to 16 SE. */
    ck_assert(ev->evppi[1] < ev->evppi[3] && ev->evppi[3] < ev->evppi[4]);
    ck_assert(ev->evppi[0] < ev->evppi[2] && ev->evppi[2] < ev->evppi[4]);
    for (int i = 0; i < 4; i++)
        ck_assert(ev->evppi[i] < ev->evpi[0]);
    /* All inputs together reproduce EVPI: the output is a deterministic
     * function of them, the fit explains it (R^2 near 1), and EVPPI differs
     * from EVPI only by what the fit misses, here less than a tenth of the
     * estimate's own Monte Carlo SE (a difference no reader could see). */
    ck_assert(ev->fit[2 * 4].r2 > 0.999);
    ck_assert_double_eq_tol(ev->evppi[4], ev->evpi[0], ev->se_mc[4] / 10);
    /* That fit error may put EVPPI(all) a hair above EVPI: it is then
     * listed, with z near 0. No violation here is significant. */
    for (size_t i = 0; i < ev->n_violations; i++)
        ck_assert_msg(ev->violations[i].set == 4 && ev->violations[i].z < 0.1,
                      "violation: set %zu, z %g", ev->violations[i].set, ev->violations[i].z);
    cs_evppi_free(ev);
    two_free(&t);
}
END_TEST

/* An input that does not affect INB: INB = theta1 + theta2 with mean 0 (the
 * decision on a knife edge, where a spurious fit shows most), theta3 and
 * theta4 independent of it. EVPPI of theta3 alone (spline) and of {theta3,
 * theta4} (GP) is 0 within 4 SE; the relevant theta1 is far above. */
START_TEST(irrelevant_input_is_worth_nothing)
{
    struct two t = two_alloc(2000, 4);
    cs_pcg32 g = stream(9);
    for (size_t d = 0; d < t.D; d++) {
        double *x = t.theta + 4 * d;
        for (int i = 0; i < 4; i++)
            x[i] = normal(&g);
        t.e[2 * d + 1] = x[0] + x[1];
    }
    const size_t a[1] = {2}, b[2] = {2, 3}, c[1] = {0};
    cs_evppi_set sets[3] = {{a, 1}, {b, 2}, {c, 1}};
    cs_evppi *ev = run(&t, sets, 3, NULL);
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(ev->evppi[i] < 4 * ev->se[i], "set %d: %g (se %g)", i, ev->evppi[i],
                      ev->se[i]);
        ck_assert(ev->evppi[i] >= 0);
    }
    ck_assert(ev->evppi[2] > 10 * ev->se[2]);
    ck_assert_double_eq_tol(ev->evppi[2], evpi_normal(0, 1), 4 * ev->se[2]);
    cs_evppi_free(ev);
    two_free(&t);
}
END_TEST

/* The reported SE is the spread of the estimate. Over R independent data
 * sets the sample sd of EVPPI is compared with the mean reported SE; the
 * sample sd of R values has relative SE 1 / sqrt(2 (R - 1)), so with 4 of
 * those the ratio must lie in 1 +- 4 / sqrt(2 (R - 1)). The mean estimate
 * must lie within 4 sd / sqrt(R) of the exact value (the regression bias is
 * small against that). Sets: theta1 and theta2 of the sum of normals (D =
 * 1000, R = 60: ratio within 1 +- 0.37) and the interacting pair
 * {theta2, theta3} (GP, D = 1000, R = 40: 1 +- 0.45). */
static void check_calibration(int R, size_t D, int which, double exact)
{
    double s1 = 0, s2 = 0, se = 0;
    for (int r = 0; r < R; r++) {
        struct two t =
            which < 2 ? sum_of_normals(D, 500 + (uint64_t)r) : interaction(D, 900 + (uint64_t)r);
        const size_t one = (size_t)which;
        cs_evppi_set set = which < 2 ? (cs_evppi_set){&one, 1} : INTERACTION_SETS[3];
        cs_evppi *ev = run(&t, &set, 1, NULL);
        s1 += ev->evppi[0];
        s2 += ev->evppi[0] * ev->evppi[0];
        se += ev->se[0];
        cs_evppi_free(ev);
        two_free(&t);
    }
    double mean = s1 / R, sd = sqrt((s2 - R * mean * mean) / (R - 1));
    double band = 4 / sqrt(2.0 * (R - 1));
    ck_assert_msg(fabs(sd / (se / R) - 1) < band, "set %d: sd %g, mean se %g", which, sd, se / R);
    ck_assert_msg(fabs(mean - exact) < 4 * sd / sqrt(R), "set %d: mean %g vs %g", which, mean,
                  exact);
}

START_TEST(se_is_calibrated)
{
    check_calibration(60, 1000, 0, evpi_normal(0.5, 1));
    check_calibration(60, 1000, 1, evpi_normal(0.5, 2));
    check_calibration(40, 1000, 2, expect_theta2(given_t2_only) - 0.45);
}
END_TEST

/* The estimator can break EVPPI <= EVPI in a finite sample, and then says
 * so. INB = 1 when theta > 0, else 0.001: positive in every draw, so the
 * variant is always best and EVPI = 0 exactly. A spline fitted to that step
 * rings below zero beside it, and its EVPPI is positive: the violation is
 * listed (not clamped), with its size in SE. The GP on {theta, noise} rings
 * less; the single input then also exceeds the pair containing it. */
START_TEST(violations_are_reported_not_clamped)
{
    struct two t = two_alloc(2000, 2);
    cs_pcg32 g = stream(5);
    for (size_t d = 0; d < t.D; d++) {
        t.theta[2 * d] = normal(&g);
        t.theta[2 * d + 1] = normal(&g);
        t.e[2 * d + 1] = t.theta[2 * d] > 0 ? 1 : 0.001;
    }
    const size_t a[1] = {0}, ab[2] = {0, 1};
    cs_evppi_set sets[2] = {{a, 1}, {ab, 2}};
    cs_evppi *ev = run(&t, sets, 2, NULL);
    ck_assert_double_eq(ev->evpi[0], 0);
    ck_assert(ev->evppi[0] > 0 && ev->evppi[0] > ev->evppi[1]);
    int above_evpi = 0, above_pair = 0;
    for (size_t i = 0; i < ev->n_violations; i++) {
        const cs_evppi_violation *v = &ev->violations[i];
        ck_assert_uint_eq(v->lambda, 0);
        double other = v->other == CS_EVPPI_WITH_EVPI ? ev->evpi[0] : ev->evppi[v->other];
        ck_assert_double_eq_tol(v->excess, ev->evppi[v->set] - other, 1e-15);
        ck_assert(v->z > 0);
        above_evpi += v->set == 0 && v->other == CS_EVPPI_WITH_EVPI;
        above_pair += v->set == 0 && v->other == 1;
    }
    ck_assert(above_evpi == 1 && above_pair == 1);
    /* Reported, and significant: the spline's ringing is no sampling error. */
    ck_assert(ev->violations[0].z > 4);
    cs_evppi_free(ev);
    two_free(&t);
}
END_TEST

/* Five variants, three inputs, uncertain costs, a grid of lambda:
 * theta ~ U(0, 1)^3; effects 3 t0 + 2 t1 t2 + noise and friends; costs
 * 1 + t2 (known up to an input) and fixed ones. */
static void five_variants(size_t D, double *e, double *c, double *theta)
{
    cs_pcg32 g = stream(77);
    for (size_t d = 0; d < D; d++) {
        double *t = theta + 3 * d;
        for (int i = 0; i < 3; i++)
            t[i] = cs_pcg32_uniform(&g);
        double row_e[5] = {0, 3 * t[0] + 2 * t[1] * t[2] + 0.3 * normal(&g),
                           4 * t[1] * t[0] + 0.3 * normal(&g), 2 + t[1] + 0.3 * normal(&g),
                           1.5 * t[0] + 0.3 * normal(&g)};
        double row_c[5] = {0, 1 + t[2], 2, 1.5 + 0.5 * t[2], 1};
        memcpy(e + 5 * d, row_e, sizeof row_e);
        memcpy(c + 5 * d, row_c, sizeof row_c);
    }
}

struct five {
    cs_decision_data data;
    double *e, *c, *theta, lambda[6];
};

static struct five five_alloc(size_t D)
{
    struct five f = {.e = malloc(5 * D * sizeof(double)),
                     .c = malloc(5 * D * sizeof(double)),
                     .theta = malloc(3 * D * sizeof(double)),
                     .lambda = {0, 0.2, 0.5, 1, 2, 5}};
    five_variants(D, f.e, f.c, f.theta);
    f.data = (cs_decision_data){D, 1, 5, f.e, f.c};
    return f;
}

static void five_free(struct five *f)
{
    free(f->e);
    free(f->c);
    free(f->theta);
}

static const size_t F0[1] = {0}, F2[1] = {2}, F01[2] = {0, 1}, F012[3] = {0, 1, 2};
static const cs_evppi_set FIVE_SETS[4] = {{F0, 1}, {F2, 1}, {F01, 2}, {F012, 3}};

/* The same key gives the same bytes; another seed changes se_fit only (the
 * only place randomness enters); 1 and 2 threads give the same bytes. */
START_TEST(deterministic_in_key_and_threads)
{
    struct five f = five_alloc(600);
    cs_evppi_options o;
    cs_evppi_options_default(&o, 42);
    cs_evppi *r[4] = {NULL};
    int threads[4] = {1, 2, 2, 2};
    for (int i = 0; i < 4; i++) {
        o.key.seed = i == 3 ? 43 : 42;
        omp_set_num_threads(threads[i]);
        ck_assert_int_eq(
            cs_decision_evppi(&f.data, f.theta, 3, FIVE_SETS, 4, f.lambda, 6, &o, &r[i], NULL),
            CS_OK);
    }
    size_t n = 4 * 6 * sizeof(double);
    for (int i = 1; i < 3; i++) {
        ck_assert_mem_eq(r[0]->evppi, r[i]->evppi, n);
        ck_assert_mem_eq(r[0]->se, r[i]->se, n);
        ck_assert_mem_eq(r[0]->fit, r[i]->fit, 4 * 8 * sizeof *r[0]->fit);
    }
    ck_assert_mem_eq(r[0]->evppi, r[3]->evppi, n);
    ck_assert_mem_eq(r[0]->se_mc, r[3]->se_mc, n);
    ck_assert(memcmp(r[0]->se_fit, r[3]->se_fit, n) != 0);
    /* Different draws, the same quantity: an sd from 100 roughly normal
     * draws has relative SE 0.07, the difference of two 0.10, and 4 of those
     * is 0.4 (0.5 used). That holds where EVPPI is resolved (> 4 se_mc);
     * where it is 0 but a rare posterior draw crosses a boundary, the draws
     * are far from normal and their sd is not this precise. */
    int compared = 0;
    for (size_t k = 0; k < 24; k++)
        if (r[0]->evppi[k] > 4 * r[0]->se_mc[k]) {
            ck_assert_double_eq_tol(r[3]->se_fit[k], r[0]->se_fit[k], 0.5 * r[0]->se_fit[k]);
            compared++;
        }
    ck_assert_int_ge(compared, 8);
    for (size_t k = 0; k < 24; k++)
        ck_assert(r[0]->evppi[k] >= 0); /* exactly: a mean of non-negative losses */
    for (int i = 0; i < 4; i++)
        cs_evppi_free(r[i]);
    five_free(&f);
}
END_TEST

/* Structure of the answer over the lambda grid: at lambda = 0 only costs
 * count; the cost increments depend on theta3 alone and linearly, which the
 * spline reproduces exactly (a straight line is unpenalised), so
 * EVPPI(theta3) = EVPI there and EVPPI(theta1) = 0. Costs that do not vary
 * are fitted as constants; outputs linear in a GP set's inputs as linear.
 * (theta1 is input 0, theta3 input 2.)
 * EVPPI(all) stays below EVPI at every lambda. */
START_TEST(lambda_grid_and_outputs)
{
    struct five f = five_alloc(1500);
    cs_evppi *ev = NULL;
    ck_assert_int_eq(
        cs_decision_evppi(&f.data, f.theta, 3, FIVE_SETS, 4, f.lambda, 6, NULL, &ev, NULL), CS_OK);
    ck_assert_uint_eq(ev->n_outputs, 8);
    ck_assert_double_eq_tol(ev->evppi[1 * 6], ev->evpi[0], 1e-9 * (ev->evpi[0] + 1));
    ck_assert_double_eq_tol(ev->evppi[0], 0, 1e-12);
    ck_assert_int_eq(ev->fit[3].method, CS_EVPPI_CONSTANT); /* cost of variant 2: fixed */
    /* {t0} and the cost of variant 1 (1 + t2): a fit of pure noise, which
     * explains about (edf - 1) / D of the variance, below 16 / 1500. */
    ck_assert_int_eq(ev->fit[1].method, CS_EVPPI_SPLINE);
    ck_assert(ev->fit[1].r2 < 16.0 / 1500);
    ck_assert_int_eq(ev->fit[3 * 8 + 1].method, CS_EVPPI_LINEAR); /* {t0,t1,t2}: 1 + t2 */
    ck_assert_int_eq(ev->fit[3 * 8 + 2].method, CS_EVPPI_GP);     /* 4 t1 t0 */
    for (size_t l = 0; l < 6; l++) {
        ck_assert(ev->evppi[3 * 6 + l] <= ev->evpi[l] + 4 * ev->evpi_se[l]);
        for (size_t s = 0; s < 4; s++)
            ck_assert(ev->se[s * 6 + l] >= ev->se_mc[s * 6 + l]);
    }
    for (size_t i = 0; i < ev->n_violations; i++)
        ck_assert_msg(ev->violations[i].z < 4, "violation %zu: z = %g", i, ev->violations[i].z);
    /* Another reference variant: with exact (linear) fits the answer is the
     * same, since EVPPI is invariant to subtracting one variant's NB. */
    cs_evppi_options o;
    cs_evppi_options_default(&o, 0);
    o.reference = 2;
    cs_evppi *ev2 = NULL;
    ck_assert_int_eq(
        cs_decision_evppi(&f.data, f.theta, 3, FIVE_SETS, 4, f.lambda, 6, &o, &ev2, NULL), CS_OK);
    ck_assert_double_eq_tol(ev2->evppi[1 * 6], ev->evppi[1 * 6], 1e-9);
    ck_assert_double_eq_tol(ev2->evpi[3], ev->evpi[3], 1e-12);
    cs_evppi_free(ev);
    cs_evppi_free(ev2);
    five_free(&f);
}
END_TEST

/* A constant input is worth nothing, exactly; so is a set of them. */
START_TEST(constant_inputs)
{
    struct two t = sum_of_normals(200, 3);
    for (size_t d = 0; d < t.D; d++)
        t.theta[2 * d + 1] = 7;
    const size_t b[1] = {1}, ab[2] = {0, 1};
    cs_evppi_set sets[2] = {{b, 1}, {ab, 2}};
    cs_evppi *ev = run(&t, sets, 2, NULL);
    ck_assert_double_eq(ev->evppi[0], 0);
    ck_assert_double_eq(ev->se[0], 0);
    ck_assert_int_eq(ev->fit[0].method, CS_EVPPI_CONSTANT);
    ck_assert(ev->evppi[1] > 0); /* the pair reduces to theta1, a spline's worth */
    cs_evppi_free(ev);
    two_free(&t);
}
END_TEST

START_TEST(refuses_bad_input)
{
    struct two t = sum_of_normals(50, 4);
    cs_decision_data data = {t.D, 1, 2, t.e, t.c};
    double lambda = 1;
    const size_t twice[2] = {0, 0}, far[1] = {5}, ok[1] = {0};
    cs_evppi_set bad[3] = {{twice, 2}, {far, 1}, {ok, 0}};
    cs_evppi *ev = (cs_evppi *)&data;
    cs_error err;
    cs_error_clear(&err);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(
            cs_decision_evppi(&data, t.theta, 2, &bad[i], 1, &lambda, 1, NULL, &ev, &err),
            CS_EINVAL);
    ck_assert_ptr_null(ev);
    ck_assert_ptr_nonnull(strstr(err.text, "names input 0 twice"));
    cs_evppi_set good = {ok, 1};
    cs_evppi_options o;
    cs_evppi_options_default(&o, 0);
    o.gp_points = 5;
    ck_assert_int_eq(cs_decision_evppi(&data, t.theta, 2, &good, 1, &lambda, 1, &o, &ev, &err),
                     CS_EINVAL);
    o.gp_points = 200;
    o.reference = 2;
    ck_assert_int_eq(cs_decision_evppi(&data, t.theta, 2, &good, 1, &lambda, 1, &o, &ev, &err),
                     CS_EINVAL);
    data.n_draws = 9;
    ck_assert_int_eq(cs_decision_evppi(&data, t.theta, 2, &good, 1, &lambda, 1, NULL, &ev, &err),
                     CS_EINVAL);
    data.n_draws = t.D;
    t.theta[3] = NAN;
    ck_assert_int_eq(cs_decision_evppi(&data, t.theta, 2, &good, 1, &lambda, 1, NULL, &ev, &err),
                     CS_EINVAL);
    ck_assert_int_eq(cs_decision_evppi(&data, t.theta, 2, &good, 0, &lambda, 1, NULL, &ev, &err),
                     CS_EINVAL);
    cs_evppi_free(NULL);
    two_free(&t);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("decision_evppi");
    TCase *tc = tcase_create("evppi");
    /* Seconds in an optimised build; a sanitizer build (-O0, ASan) on a busy
     * machine takes twenty times longer. */
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, sum_of_two_normals);
    tcase_add_test(tc, interaction_known_values_and_bounds);
    tcase_add_test(tc, irrelevant_input_is_worth_nothing);
    TCase *cal = tcase_create("calibration"); /* 160 data sets: the slow one */
    tcase_set_timeout(cal, 400);
    tcase_add_test(cal, se_is_calibrated);
    suite_add_tcase(s, cal);
    tcase_add_test(tc, violations_are_reported_not_clamped);
    tcase_add_test(tc, deterministic_in_key_and_threads);
    tcase_add_test(tc, lambda_grid_and_outputs);
    tcase_add_test(tc, constant_inputs);
    tcase_add_test(tc, refuses_bad_input);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
