/*
 * test_uncertain_draws.c — sets of uncertain inputs: sample moments of the
 * draws, the Dirichlet, the Gaussian copula, random and Sobol sampling, the
 * standard-normal space and its inverse, percentiles and one-way points.
 *
 * Statistical criteria. With n independent draws, the sample mean m and
 * the unbiased sample variance s^2 of a value are compared with its exact
 * mean mu and variance sigma^2 in units of their standard errors,
 *   z_mean = (m - mu) / sqrt(sigma^2 / n),
 *   z_var  = (s^2 - sigma^2) / sqrt((mu4 - sigma^4) / n),
 * mu4 the exact fourth central moment (the sample's where no closed form
 * is at hand: the truncated laws). Both are about N(0, 1) (CLT). A bound of
 * 5 has a two-sided tail of 5.7e-7; over the 44 statistics of this file
 * Bonferroni bounds the false-alarm probability at 2.5e-5. The seeds are
 * fixed, so the outcome is reproducible; the power of each criterion is
 * shown by a negative control (a wrong answer that must be rejected).
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_qrng.h>
#include <omp.h>

#include "casesim/rng.h"
#include "casesim/uncertain.h"

#define K_SE 5.0
#define N_DRAWS 100000u
#define SEED 20261201u
#define PI 3.14159265358979323846
/* One scalar parameter as written. */
#define P1(n, v) ((cs_unc_param){n, v, NULL, 0})

/* ------------------------------------------------------------- helpers */

static cs_unc_dist make2(enum cs_unc_family f, const char *n1, double v1, const char *n2, double v2)
{
    cs_unc_param p[2] = {P1(n1, v1), P1(n2, v2)};
    cs_unc_dist d;
    cs_unc_msg m;
    ck_assert_msg(cs_unc_dist_init(&d, f, p, 2, &m) == CS_OK, "%s", m.text);
    return d;
}

static cs_unc_dist triangular(double a, double mode, double c)
{
    cs_unc_param p[3] = {P1("min", a), P1("mode", mode), P1("max", c)};
    cs_unc_dist d;
    ck_assert_int_eq(cs_unc_dist_init(&d, CS_UNC_TRIANGULAR, p, 3, NULL), CS_OK);
    return d;
}

static cs_unc_dist dirichlet(const double *counts, size_t k)
{
    cs_unc_param p = {"counts", 0, counts, k};
    cs_unc_dist d;
    ck_assert_int_eq(cs_unc_dist_init(&d, CS_UNC_DIRICHLET, &p, 1, NULL), CS_OK);
    return d;
}

static cs_unc_dist cut(cs_unc_dist d, double lo, double hi)
{
    ck_assert_int_eq(cs_unc_dist_truncate(&d, lo, hi, NULL), CS_OK);
    return d;
}

static void add(cs_unc_set *s, const cs_unc_dist *d, const char *label)
{
    cs_unc_msg m;
    ck_assert_msg(cs_unc_set_add(s, d, label, &m) == CS_OK, "%s", m.text);
}

static void correlate(cs_unc_set *s, size_t i, size_t j, double rho)
{
    cs_unc_msg m;
    ck_assert_msg(cs_unc_set_correlate(s, i, j, rho, &m) == CS_OK, "%s", m.text);
}

static void finalize(cs_unc_set *s)
{
    cs_unc_msg m;
    ck_assert_msg(cs_unc_set_finalize(s, &m) == CS_OK, "%s", m.text);
}

/* Draws n draws of s (seed SEED) into a new n x D array. */
static double *draw_all(const cs_unc_set *s, size_t n)
{
    size_t D = cs_unc_set_values(s);
    double *x = malloc(n * D * sizeof *x);
    cs_unc_work *w = cs_unc_work_alloc(s);
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(w);
    cs_error err;
    cs_error_clear(&err);
    for (size_t d = 0; d < n; d++)
        ck_assert_msg(cs_unc_draw(s, w, SEED, d, x + d * D, &err) == CS_OK, "%s", err.text);
    cs_unc_work_free(w);
    return x;
}

/* Kurtosis mu4 / sigma^4 of the untruncated families (Johnson, Kotz &
 * Balakrishnan); NaN for a truncated law (then the sample's is used). */
static double beta_kurtosis(double a, double b)
{
    double s = a + b;
    return 3.0 + 6.0 * ((a - b) * (a - b) * (s + 1.0) - a * b * (s + 2.0)) /
                     (a * b * (s + 2.0) * (s + 3.0));
}

static double kurtosis(const cs_unc_dist *d)
{
    if (d->truncated)
        return NAN;
    switch (d->family) {
    case CS_UNC_BETA:
        return beta_kurtosis(d->p[0], d->p[1]);
    case CS_UNC_GAMMA:
        return 3.0 + 6.0 / d->p[0];
    case CS_UNC_LOGNORMAL: {
        double w = exp(d->p[1] * d->p[1]);
        return w * w * w * w + 2.0 * w * w * w + 3.0 * w * w - 3.0;
    }
    case CS_UNC_NORMAL:
        return 3.0;
    case CS_UNC_UNIFORM:
        return 9.0 / 5.0;
    case CS_UNC_TRIANGULAR:
        return 12.0 / 5.0;
    default:
        return NAN;
    }
}

/* z scores of column j of x (n rows, stride D) against mean mu, variance
 * var and kurtosis kurt (NaN: use the sample's fourth moment). */
static void z_scores(const double *x, size_t n, size_t D, size_t j, double mu, double var,
                     double kurt, double *zm, double *zv)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += x[i * D + j];
    double m = sum / (double)n, s2 = 0.0, m4 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = x[i * D + j] - m;
        s2 += e * e;
        m4 += e * e * e * e;
    }
    s2 /= (double)(n - 1);
    m4 /= (double)n;
    double mu4 = isnan(kurt) ? m4 : kurt * var * var;
    *zm = (m - mu) / sqrt(var / (double)n);
    *zv = (s2 - var) / sqrt((mu4 - var * var) / (double)n);
}

/* --------------------------------------------------------- the moments */

static const double COUNTS[4] = {12, 90, 600, 298};
static const double SMALL_COUNTS[3] = {0.5, 0.5, 2.0};

/* Every family, some truncated, plus two Dirichlets: 21 values. */
static cs_unc_set *zoo_set(void)
{
    cs_unc_set *s = cs_unc_set_alloc();
    ck_assert_ptr_nonnull(s);
    cs_unc_dist d[] = {
        make2(CS_UNC_BETA, "mean", 0.3, "sd", 0.05),
        make2(CS_UNC_BETA, "alpha", 0.5, "beta", 0.5),
        make2(CS_UNC_GAMMA, "mean", 4.0e6, "sd", 1.0e6),
        make2(CS_UNC_GAMMA, "shape", 0.5, "scale", 2.0),
        make2(CS_UNC_LOGNORMAL, "median", 2.0, "p95", 4.0),
        make2(CS_UNC_LOGNORMAL, "mean", 3.0, "sd", 1.5),
        make2(CS_UNC_NORMAL, "mean", -1.0, "sd", 2.0),
        make2(CS_UNC_UNIFORM, "min", 0.2, "max", 0.35),
        triangular(1.0, 2.0, 6.0),
        cut(make2(CS_UNC_NORMAL, "mean", 0.1, "sd", 0.2), 0.0, 1.0),
        cut(make2(CS_UNC_GAMMA, "shape", 2.0, "scale", 1.5), 1.0, 4.0),
        cut(make2(CS_UNC_BETA, "mean", 0.3, "sd", 0.1), 0.25, 0.9),
        cut(make2(CS_UNC_LOGNORMAL, "mean", 3.0, "sd", 1.5), 2.0, INFINITY),
        cut(triangular(1.0, 2.0, 6.0), 1.5, 5.0),
        dirichlet(COUNTS, 4),
        dirichlet(SMALL_COUNTS, 3),
    };
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        add(s, &d[i], NULL);
    finalize(s);
    return s;
}

/* Mean, variance and kurtosis of value j of s (Dirichlet components by
 * their Beta(c_i, A - c_i) marginal). */
static void truth(const cs_unc_set *s, size_t j, double *mu, double *var, double *kurt)
{
    size_t e = 0;
    while (e + 1 < cs_unc_set_entries(s) && cs_unc_set_offset(s, e + 1) <= j)
        e++;
    cs_unc_dist m;
    ck_assert_int_eq(
        cs_unc_dist_marginal(cs_unc_set_dist(s, e), j - cs_unc_set_offset(s, e), &m, NULL), CS_OK);
    *mu = m.mean;
    *var = m.var;
    *kurt = kurtosis(&m);
}

START_TEST(sample_moments_match)
{
    cs_unc_set *s = zoo_set();
    size_t D = cs_unc_set_values(s);
    ck_assert_uint_eq(D, 21);
    double *x = draw_all(s, N_DRAWS);
    for (size_t j = 0; j < D; j++) {
        double mu, var, kurt, zm, zv;
        truth(s, j, &mu, &var, &kurt);
        z_scores(x, N_DRAWS, D, j, mu, var, kurt, &zm, &zv);
        ck_assert_msg(fabs(zm) <= K_SE, "value %zu: mean off by %.2f SE", j, zm);
        ck_assert_msg(fabs(zv) <= K_SE, "value %zu: variance off by %.2f SE", j, zv);
    }
    /* Negative control: value 0 is beta(24.9, 58.1); claiming mean 0.302
     * (sd unchanged) is 0.002 / (0.05 / sqrt(1e5)) = 12.6 SE away. */
    double zm, zv;
    z_scores(x, N_DRAWS, D, 0, 0.302, 0.0025, beta_kurtosis(24.9, 58.1), &zm, &zv);
    ck_assert_msg(fabs(zm) > K_SE, "a wrong mean went unnoticed (z = %.2f)", zm);
    /* And a wrong sd (0.0515 for 0.05) in the variance: 8 SE. */
    z_scores(x, N_DRAWS, D, 0, 0.3, 0.0515 * 0.0515, beta_kurtosis(24.9, 58.1), &zm, &zv);
    ck_assert_msg(fabs(zv) > K_SE, "a wrong sd went unnoticed (z = %.2f)", zv);
    free(x);
    cs_unc_set_free(s);
}
END_TEST

/* Every draw of a Dirichlet lies on the simplex: components in (0, 1) and
 * a sum of 1 up to rounding (the component with the largest count takes the
 * remainder, so the sum in index order is 1 within 2 ulps). Supports hold
 * for every value. */
START_TEST(draws_stay_in_supports)
{
    cs_unc_set *s = zoo_set();
    size_t D = cs_unc_set_values(s), n = 20000;
    double *x = draw_all(s, n);
    for (size_t i = 0; i < n; i++) {
        for (size_t e = 0; e < cs_unc_set_entries(s); e++) {
            const cs_unc_dist *d = cs_unc_set_dist(s, e);
            const double *v = x + i * D + cs_unc_set_offset(s, e);
            double sum = 0.0;
            for (size_t c = 0; c < d->k; c++) {
                ck_assert_msg(v[c] > d->lo && v[c] < d->hi, "entry %zu: %g", e, v[c]);
                sum += v[c];
            }
            if (d->family == CS_UNC_DIRICHLET)
                ck_assert_msg(fabs(sum - 1.0) <= 2 * DBL_EPSILON, "sum %.17g", sum);
        }
    }
    free(x);
    cs_unc_set_free(s);
}
END_TEST

/* ------------------------------------------------------------- random */

START_TEST(random_draws_depend_only_on_seed_and_index)
{
    cs_unc_set *s = zoo_set();
    size_t D = cs_unc_set_values(s), n = 64;
    double *fwd = draw_all(s, n);
    double *v = malloc(D * sizeof *v), *u = malloc(D * sizeof *u);
    cs_unc_work *w = cs_unc_work_alloc(s);
    /* Backwards, with a fresh workspace: the same bits. */
    for (size_t d = n; d-- > 0;) {
        ck_assert_int_eq(cs_unc_draw(s, w, SEED, d, v, NULL), CS_OK);
        ck_assert(memcmp(v, fwd + d * D, D * sizeof *v) == 0);
    }
    /* The uniforms are the keyed stream (seed, UNCERTAIN, replicate d). */
    cs_stream_key key = {.seed = SEED, .replicate = 17, .purpose = CS_STREAM_UNCERTAIN};
    cs_pcg32 g;
    cs_pcg32_from_key(&g, &key);
    ck_assert_int_eq(cs_unc_uniforms(s, w, SEED, 17, u, NULL), CS_OK);
    for (size_t i = 0; i < D; i++)
        ck_assert(u[i] == cs_pcg32_uniform_pos(&g));
    ck_assert_int_eq(cs_unc_from_uniform(s, w, u, v, NULL), CS_OK);
    ck_assert(memcmp(v, fwd + 17 * D, D * sizeof *v) == 0);
    /* Another seed, another draw index: different values. */
    ck_assert_int_eq(cs_unc_draw(s, w, SEED + 1, 17, v, NULL), CS_OK);
    for (size_t i = 0; i < D; i++)
        ck_assert(v[i] != fwd[17 * D + i]);
    for (size_t i = 0; i < D; i++)
        ck_assert(fwd[16 * D + i] != fwd[17 * D + i]);
    free(u);
    free(v);
    free(fwd);
    cs_unc_work_free(w);
    cs_unc_set_free(s);
}
END_TEST

/* Threads, each with its own workspace, taking draws in any order give the
 * serial bits (OpenMP only inside the test body: see STYLE.md). */
START_TEST(random_draws_thread_independent)
{
    cs_unc_set *s = zoo_set();
    size_t D = cs_unc_set_values(s), n = 400;
    double *serial = draw_all(s, n);
    double *par = calloc(n * D, sizeof *par);
    int failures = 0;
#pragma omp parallel num_threads(2) reduction(+ : failures)
    {
        cs_unc_work *w = cs_unc_work_alloc(s);
#pragma omp for schedule(dynamic, 7)
        for (long d = (long)n - 1; d >= 0; d--)
            failures += cs_unc_draw(s, w, SEED, (uint64_t)d, par + (size_t)d * D, NULL) != CS_OK;
        cs_unc_work_free(w);
    }
    ck_assert_int_eq(failures, 0);
    ck_assert(memcmp(serial, par, n * D * sizeof *par) == 0);
    free(par);
    free(serial);
    cs_unc_set_free(s);
}
END_TEST

/* -------------------------------------------------------------- Sobol */

/* A set of n uniform(0, 1) entries: their values are the uniforms. */
static cs_unc_set *uniform_set(size_t n, bool sobol)
{
    cs_unc_set *s = cs_unc_set_alloc();
    cs_unc_dist u = make2(CS_UNC_UNIFORM, "min", 0.0, "max", 1.0);
    for (size_t i = 0; i < n; i++)
        add(s, &u, NULL);
    if (sobol) {
        cs_unc_msg m;
        ck_assert_msg(cs_unc_set_use_sobol(s, &m) == CS_OK, "%s", m.text);
    }
    finalize(s);
    return s;
}

START_TEST(sobol_refuses_more_than_40_values)
{
    cs_unc_msg m;
    cs_unc_set *s = cs_unc_set_alloc();
    cs_unc_dist u = make2(CS_UNC_UNIFORM, "min", 0.0, "max", 1.0);
    double counts[38];
    for (size_t i = 0; i < 38; i++)
        counts[i] = 1.0;
    cs_unc_dist dir = dirichlet(counts, 38);
    add(s, &dir, "shares");
    add(s, &u, NULL);
    add(s, &u, NULL);
    ck_assert_int_eq(cs_unc_set_use_sobol(s, &m), CS_OK); /* 40: the limit */
    ck_assert_int_eq(cs_unc_set_add(s, &u, NULL, &m), CS_ELIMIT);
    ck_assert_str_eq(m.text, "sampling: sobol handles at most 40 values per draw (GSL's limit) "
                             "and the uncertain inputs need 41 (a dirichlet needs one per share): "
                             "use sampling: random");
    ck_assert_uint_eq(cs_unc_set_values(s), 40);
    cs_unc_set_free(s);
    /* Choosing Sobol after 41 values are in. */
    s = uniform_set(41, false);
    cs_unc_set *t = cs_unc_set_alloc();
    for (size_t i = 0; i < 41; i++)
        add(t, &u, NULL);
    ck_assert_int_eq(cs_unc_set_use_sobol(t, &m), CS_ELIMIT);
    ck_assert(strstr(m.text, "need 41"));
    ck_assert_int_eq(cs_unc_set_sampling(t), CS_UNC_RANDOM);
    cs_unc_set_free(t);
    cs_unc_set_free(s);
}
END_TEST

/* The origin (point 0 of the Sobol sequence) is never used: draw 0 is
 * point 1, (1/2, ..., 1/2) in every dimension (GSL's first output; GSL
 * itself never returns the origin). Over draws 0 .. 2^10 - 2 (points 1 ..
 * 1023) every coordinate takes each value j / 1024, j = 1 .. 1023, exactly
 * once: a one-dimensional projection of the first 2^m points of a Sobol
 * sequence is the grid {j / 2^m} (it is a (0, 1)-sequence). With the origin
 * kept, with point 1 skipped, or with a dimension beyond GSL's 40 (zeros),
 * this fails. */
START_TEST(sobol_skips_zero_and_stratifies)
{
    cs_unc_set *s = uniform_set(40, true);
    size_t n = 1023;
    double *x = draw_all(s, n);
    for (size_t j = 0; j < 40; j++)
        ck_assert_double_eq(x[j], 0.5);
    bool *seen = calloc(1024, sizeof *seen);
    for (size_t j = 0; j < 40; j++) {
        memset(seen, 0, 1024 * sizeof *seen);
        for (size_t i = 0; i < n; i++) {
            double k = x[i * 40 + j] * 1024.0;
            ck_assert_msg(k == floor(k) && k >= 1 && k <= 1023, "dim %zu draw %zu: %g", j, i,
                          x[i * 40 + j]);
            ck_assert(!seen[(size_t)k]);
            seen[(size_t)k] = true;
        }
    }
    /* The same points as GSL's generator, in its order. */
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, 40);
    double pt[40];
    for (size_t i = 0; i < 100; i++) {
        gsl_qrng_get(q, pt);
        ck_assert(memcmp(pt, x + i * 40, sizeof pt) == 0);
    }
    gsl_qrng_free(q);
    free(seen);
    free(x);
    cs_unc_set_free(s);
}
END_TEST

START_TEST(sobol_points_independent_of_request_order)
{
    /* A mixed set: copula, truncation, a Dirichlet (12 values). */
    cs_unc_set *s = cs_unc_set_alloc();
    cs_unc_dist a = make2(CS_UNC_BETA, "mean", 0.3, "sd", 0.05);
    cs_unc_dist b = make2(CS_UNC_GAMMA, "shape", 3.0, "scale", 2.0);
    cs_unc_dist c = cut(make2(CS_UNC_NORMAL, "mean", 0.1, "sd", 0.2), 0.0, 1.0);
    cs_unc_dist dir = dirichlet(COUNTS, 4);
    add(s, &a, "a"), add(s, &dir, "shares"), add(s, &b, "b"), add(s, &c, "c");
    for (int i = 0; i < 5; i++)
        add(s, &a, NULL);
    correlate(s, 0, 2, 0.5);
    ck_assert_int_eq(cs_unc_set_use_sobol(s, NULL), CS_OK);
    finalize(s);
    size_t D = cs_unc_set_values(s), n = 300;
    ck_assert_uint_eq(D, 12);
    double *fwd = draw_all(s, n), *v = malloc(D * sizeof *v);
    cs_unc_work *w = cs_unc_work_alloc(s);
    for (size_t d = n; d-- > 0;) { /* reversed: a restart every time */
        ck_assert_int_eq(cs_unc_draw(s, w, SEED, d, v, NULL), CS_OK);
        ck_assert(memcmp(v, fwd + d * D, D * sizeof *v) == 0);
    }
    for (size_t k = 0; k < n; k++) { /* scattered; the seed plays no part */
        size_t d = (k * 37) % n;
        ck_assert_int_eq(cs_unc_draw(s, w, SEED + k, d, v, NULL), CS_OK);
        ck_assert(memcmp(v, fwd + d * D, D * sizeof *v) == 0);
    }
    cs_error err;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_unc_draw(s, w, SEED, CS_UNC_MAX_SOBOL_DRAWS + 1, v, &err), CS_ELIMIT);
    ck_assert(strstr(err.text, "beyond"));
    cs_unc_work_free(w);
    free(v);
    free(fwd);
    cs_unc_set_free(s);
}
END_TEST

/* ------------------------------------------------------------- copula */

/* Four correlated entries of different families; R is positive definite
 * (leading minors 1, 0.64, 0.5524, 0.4124). */
static const double R[4][4] = {
    {1.0, 0.6, -0.3, 0.0}, {0.6, 1.0, 0.0, 0.0}, {-0.3, 0.0, 1.0, 0.5}, {0.0, 0.0, 0.5, 1.0}};

static cs_unc_set *copula_set(void)
{
    cs_unc_set *s = cs_unc_set_alloc();
    cs_unc_dist d[4] = {
        make2(CS_UNC_BETA, "mean", 0.3, "sd", 0.06),
        make2(CS_UNC_GAMMA, "shape", 3.0, "scale", 2.0),
        make2(CS_UNC_LOGNORMAL, "median", 2.0, "p95", 4.0),
        cut(make2(CS_UNC_NORMAL, "mean", 0.1, "sd", 0.2), 0.0, 1.0),
    };
    double counts[2] = {3.0, 5.0};
    cs_unc_dist dir = dirichlet(counts, 2);
    add(s, &d[0], "p_report");
    add(s, &dir, "shares"); /* uncorrelated, between correlated entries */
    for (int i = 1; i < 4; i++)
        add(s, &d[i], NULL);
    for (size_t i = 0; i < 4; i++)
        for (size_t j = i + 1; j < 4; j++)
            if (R[i][j] != 0.0)
                correlate(s, i == 0 ? 0 : i + 1, j + 1, R[i][j]);
    finalize(s);
    return s;
}

/* The Spearman rank correlation of a Gaussian copula with correlation rho
 * is (6/pi) asin(rho/2). Since the marginals are known, the population
 * version r = 12 E[F_i(X_i) F_j(X_j)] - 3 is estimated without ranks by the
 * mean of n i.i.d. products, whose SE is 12 sd(F_i F_j) / sqrt(n). In
 * normal-score space, Phi^-1(F_i(X_i)) is standard bivariate normal with
 * correlation rho: the mean of the products estimates rho with SE
 * sqrt((1 + rho^2) / n). Pairs with rho = 0 check that L adds no
 * correlation where none was asked for. */
START_TEST(copula_rank_correlations)
{
    cs_unc_set *s = copula_set();
    size_t D = cs_unc_set_values(s), n = N_DRAWS;
    size_t col[4] = {0, 3, 4, 5};
    double *x = draw_all(s, n);
    double *F = malloc(4 * n * sizeof *F);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < 4; k++)
            F[k * n + i] =
                cs_unc_dist_cdf(cs_unc_set_dist(s, k == 0 ? 0 : k + 1), x[i * D + col[k]]);
    for (size_t a = 0; a < 4; a++)
        for (size_t b = a + 1; b < 4; b++) {
            double sum = 0, sum2 = 0, sz = 0;
            for (size_t i = 0; i < n; i++) {
                double prod = F[a * n + i] * F[b * n + i];
                sum += prod, sum2 += prod * prod;
                sz += gsl_cdf_ugaussian_Pinv(F[a * n + i]) * gsl_cdf_ugaussian_Pinv(F[b * n + i]);
            }
            double mean = sum / n, sd = sqrt((sum2 / n - mean * mean) * n / (n - 1));
            double rs = 12 * mean - 3, want = 6 / PI * asin(R[a][b] / 2);
            double z = (rs - want) / (12 * sd / sqrt((double)n));
            ck_assert_msg(fabs(z) <= K_SE, "(%zu, %zu): Spearman %.4f, expected %.4f (%.2f SE)", a,
                          b, rs, want, z);
            /* Standard bivariate normal scores: E[z_a z_b] = rho and
             * Var(z_a z_b) = 1 + rho^2. */
            double zn = (sz / n - R[a][b]) / sqrt((1 + R[a][b] * R[a][b]) / (double)n);
            ck_assert_msg(fabs(zn) <= K_SE, "(%zu, %zu): normal-score correlation off %.2f SE", a,
                          b, zn);
            if (a == 0 && b == 1) { /* negative control: rho 0.55 claimed */
                double wrong = 6 / PI * asin(0.55 / 2);
                ck_assert(fabs((rs - wrong) / (12 * sd / sqrt((double)n))) > K_SE);
            }
        }
    free(F);
    free(x);
    cs_unc_set_free(s);
}
END_TEST

START_TEST(copula_rules)
{
    cs_unc_msg m;
    cs_unc_set *s = cs_unc_set_alloc();
    cs_unc_dist a = make2(CS_UNC_NORMAL, "mean", 0.0, "sd", 1.0);
    cs_unc_dist dir = dirichlet(COUNTS, 4);
    add(s, &a, "alpha"), add(s, &a, "beta"), add(s, &dir, "kinds");
    ck_assert_int_eq(cs_unc_set_correlate(s, 0, 3, 0.2, &m), CS_EINVAL);
    ck_assert_str_eq(m.text, "correlations: between [0, 3] names no entry 3 (the 3 entries of "
                             "uncertain: are numbered from 0)");
    ck_assert_int_eq(cs_unc_set_correlate(s, 1, 1, 0.2, &m), CS_EINVAL);
    ck_assert(strstr(m.text, "with itself"));
    ck_assert_int_eq(cs_unc_set_correlate(s, 0, 2, 0.2, &m), CS_EINVAL);
    ck_assert_str_eq(m.text, "correlations: entry 2 (`kinds`) is a dirichlet; only entries with "
                             "one value may be correlated (a dirichlet's shares are already tied "
                             "through their sum)");
    ck_assert_int_eq(cs_unc_set_correlate(s, 0, 1, 1.0, &m), CS_EINVAL);
    ck_assert_str_eq(m.text, "correlations: rho 1 must lie strictly between -1 and 1");
    ck_assert_int_eq(cs_unc_set_correlate(s, 0, 1, NAN, &m), CS_EINVAL);
    ck_assert_int_eq(cs_unc_set_correlate(s, 0, 1, -0.99, &m), CS_OK);
    ck_assert_int_eq(cs_unc_set_correlate(s, 1, 0, 0.5, &m), CS_EINVAL);
    ck_assert_str_eq(m.text, "correlations: entries 1 and 0 are correlated twice");
    finalize(s);
    ck_assert_int_eq(cs_unc_set_finalize(s, &m), CS_OK); /* a second call does nothing */
    ck_assert_int_eq(cs_unc_set_add(s, &a, NULL, &m), CS_EINVAL);
    ck_assert_int_eq(cs_unc_set_correlate(s, 0, 1, 0.1, &m), CS_EINVAL);
    ck_assert_int_eq(cs_unc_set_use_sobol(s, &m), CS_EINVAL);
    ck_assert(strstr(m.text, "already finalised"));
    cs_unc_set_free(s);
}
END_TEST

/* 0.9, 0.9 and -0.9 among three entries is impossible (det < 0). With a
 * valid pair before them, the message names exactly the three. */
START_TEST(copula_not_positive_definite_names_entries)
{
    cs_unc_msg m;
    cs_unc_set *s = cs_unc_set_alloc();
    cs_unc_dist a = make2(CS_UNC_NORMAL, "mean", 0.0, "sd", 1.0);
    const char *names[6] = {"u", "v", "report", "refer", "charge", "cost"};
    for (int i = 0; i < 6; i++)
        add(s, &a, names[i]);
    correlate(s, 0, 1, 0.5);
    correlate(s, 2, 3, 0.9);
    correlate(s, 2, 4, 0.9);
    correlate(s, 3, 4, -0.9);
    ck_assert_int_eq(cs_unc_set_finalize(s, &m), CS_EINVAL);
    ck_assert_str_eq(m.text, "correlations: the correlations among entries 2 (`report`), 3 "
                             "(`refer`) and 4 (`charge`) cannot hold together (their matrix is not "
                             "positive definite): weaken at least one");
    ck_assert_ptr_null(cs_unc_work_alloc(s)); /* not finalised: no draws */
    cs_unc_set_free(s);
    /* The same three as a valid set (0.5, 0.5, -0.3) is accepted. */
    s = cs_unc_set_alloc();
    for (int i = 0; i < 3; i++)
        add(s, &a, names[i]);
    correlate(s, 0, 1, 0.5);
    correlate(s, 0, 2, 0.5);
    correlate(s, 1, 2, -0.3);
    finalize(s);
    cs_unc_set_free(s);
}
END_TEST

/* ----------------------------------------------- standard-normal space */

START_TEST(normal_space_matches_uniform_space)
{
    cs_unc_set *s = copula_set();
    size_t D = cs_unc_set_values(s);
    cs_unc_work *w = cs_unc_work_alloc(s);
    double u[6], z[6], a[6], b[6], med[6];
    ck_assert_uint_eq(D, 6);
    /* z = 0 gives the medians (L 0 = 0) for the univariate entries. */
    for (size_t i = 0; i < D; i++)
        z[i] = 0.0;
    ck_assert_int_eq(cs_unc_from_normal(s, w, z, a, NULL), CS_OK);
    ck_assert_int_eq(cs_unc_percentiles(s, 0.5, med, NULL), CS_OK);
    for (size_t i = 0; i < D; i++)
        if (i != 1 && i != 2)
            ck_assert_double_eq(a[i], med[i]);
    /* from_uniform(u) = from_normal(Phi^-1(u)): the same map. The round
     * trip Phi(Phi^-1(u)) costs ~1e-16 relative in the tail probability,
     * amplified by at most |d log x / d log p| < 1e2 here. */
    for (size_t d = 0; d < 200; d++) {
        ck_assert_int_eq(cs_unc_uniforms(s, w, SEED, d, u, NULL), CS_OK);
        for (size_t i = 0; i < D; i++)
            z[i] = gsl_cdf_ugaussian_Pinv(u[i]);
        ck_assert_int_eq(cs_unc_from_uniform(s, w, u, a, NULL), CS_OK);
        ck_assert_int_eq(cs_unc_from_normal(s, w, z, b, NULL), CS_OK);
        for (size_t i = 0; i < D; i++)
            ck_assert_msg(fabs(a[i] - b[i]) <= 1e-12 * fabs(a[i]), "%zu: %.17g vs %.17g", i, a[i],
                          b[i]);
    }
    cs_error err;
    cs_error_clear(&err);
    z[3] = INFINITY;
    ck_assert_int_eq(cs_unc_from_normal(s, w, z, b, &err), CS_EINVAL);
    u[2] = NAN;
    ck_assert_int_eq(cs_unc_from_uniform(s, w, u, b, &err), CS_EINVAL);
    cs_unc_work_free(w);
    cs_unc_set_free(s);
}
END_TEST

/* to_normal inverts from_normal on univariate entries (through the copula
 * and truncation): z in [-4, 4] comes back to 1e-9 (the conditioning of
 * Phi^-1 o F o Q o Phi is ~1 away from the far tails). A Dirichlet's z is a
 * right inverse: from_normal(to_normal(x)) = x. */
START_TEST(normal_space_inverse)
{
    cs_unc_set *s = copula_set();
    size_t D = cs_unc_set_values(s);
    cs_unc_work *w = cs_unc_work_alloc(s);
    cs_pcg32 g;
    cs_pcg32_seed(&g, 99, 1);
    double z[6], x[6], back[6], again[6], spread[6];
    /* Near a truncation bound F(x) - F(lo) cancels: the error of x is
     * relative to the spread, not to x (1e-12 of it). */
    for (size_t j = 0; j < D; j++) {
        double mu, var, kurt;
        truth(s, j, &mu, &var, &kurt);
        spread[j] = sqrt(var);
    }
    for (int rep = 0; rep < 500; rep++) {
        for (size_t i = 0; i < D; i++)
            z[i] = 8.0 * cs_pcg32_uniform(&g) - 4.0;
        ck_assert_int_eq(cs_unc_from_normal(s, w, z, x, NULL), CS_OK);
        ck_assert_int_eq(cs_unc_to_normal(s, w, x, back, NULL), CS_OK);
        for (size_t i = 0; i < D; i++)
            if (i != 1 && i != 2)
                ck_assert_msg(fabs(back[i] - z[i]) <= 1e-9, "%zu: %.17g vs %.17g", i, back[i],
                              z[i]);
        ck_assert_int_eq(cs_unc_from_normal(s, w, back, again, NULL), CS_OK);
        for (size_t i = 0; i < D; i++)
            ck_assert_msg(fabs(again[i] - x[i]) <= 1e-12 * (fabs(x[i]) + spread[i]),
                          "%zu: %.17g vs %.17g", i, again[i], x[i]);
    }
    cs_error err;
    cs_error_clear(&err);
    x[0] = 1.2; /* beyond the beta's support */
    ck_assert_int_eq(cs_unc_to_normal(s, w, x, back, &err), CS_EINVAL);
    ck_assert(strstr(err.text, "lies outside (0, 1)"));
    ck_assert_int_eq(cs_unc_from_normal(s, w, z, x, NULL), CS_OK);
    x[1] += 0.01; /* the shares no longer sum to 1 */
    cs_error_clear(&err);
    ck_assert_int_eq(cs_unc_to_normal(s, w, x, back, &err), CS_EINVAL);
    ck_assert(strstr(err.text, "not 1"));
    cs_unc_work_free(w);
    cs_unc_set_free(s);
}
END_TEST

/* ------------------------------------------ percentiles, one-way points */

START_TEST(percentiles_and_oneway)
{
    cs_unc_set *s = copula_set();
    size_t D = cs_unc_set_values(s);
    double lo[6], mid[6], v[6];
    ck_assert_int_eq(cs_unc_percentiles(s, 0.05, lo, NULL), CS_OK);
    ck_assert_int_eq(cs_unc_percentiles(s, 0.5, mid, NULL), CS_OK);
    ck_assert_double_eq(lo[0], cs_unc_dist_quantile(cs_unc_set_dist(s, 0), 0.05));
    ck_assert_double_eq(lo[5], cs_unc_dist_quantile(cs_unc_set_dist(s, 4), 0.05));
    /* Dirichlet (3, 5): components Beta(3, 5) and Beta(5, 3). */
    ck_assert_double_eq_tol(gsl_cdf_beta_P(lo[1], 3, 5), 0.05, 1e-14);
    ck_assert_double_eq_tol(gsl_cdf_beta_P(lo[2], 5, 3), 0.05, 1e-14);
    /* One-way on a univariate value: it moves, the rest sit at medians,
     * the Dirichlet at its mean (3/8, 5/8). */
    ck_assert_int_eq(cs_unc_oneway(s, 4, 0.05, v, NULL), CS_OK);
    for (size_t i = 0; i < D; i++)
        if (i == 4)
            ck_assert_double_eq(v[i], lo[4]);
        else if (i == 1 || i == 2)
            ck_assert_double_eq_tol(v[i], i == 1 ? 0.375 : 0.625, 1e-16);
        else
            ck_assert_double_eq(v[i], mid[i]);
    /* On a Dirichlet component: its marginal quantile; the sibling takes
     * (1 - x) c_j / (A - c_i) = 1 - x here; the shares still sum to 1. */
    ck_assert_int_eq(cs_unc_oneway(s, 1, 0.95, v, NULL), CS_OK);
    ck_assert_double_eq_tol(gsl_cdf_beta_P(v[1], 3, 5), 0.95, 1e-14);
    ck_assert_double_eq_tol(v[1] + v[2], 1.0, 2e-16);
    ck_assert_double_eq(v[0], mid[0]);
    cs_error err;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_unc_oneway(s, 6, 0.05, v, &err), CS_EINVAL);
    ck_assert_int_eq(cs_unc_oneway(s, 0, 1.0, v, &err), CS_EINVAL);
    ck_assert_int_eq(cs_unc_percentiles(s, 0.0, v, &err), CS_EINVAL);
    cs_unc_set_free(s);

    /* Four shares: the others keep their proportions 90 : 600 : 298. */
    s = cs_unc_set_alloc();
    cs_unc_dist dir = dirichlet(COUNTS, 4);
    add(s, &dir, "kinds");
    finalize(s);
    ck_assert_int_eq(cs_unc_oneway(s, 0, 0.95, v, NULL), CS_OK);
    double sum = v[0] + v[1] + v[2] + v[3];
    ck_assert_double_eq_tol(sum, 1.0, 4e-16);
    ck_assert_double_eq_tol(v[2] / v[1], 600.0 / 90.0, 1e-13);
    ck_assert_double_eq_tol(v[1], (1 - v[0]) * 90.0 / 988.0, 1e-16);
    cs_unc_set_free(s);
}
END_TEST

/* ----------------------------------------------------------- the set */

START_TEST(set_facts_and_limits)
{
    cs_unc_set *s = cs_unc_set_alloc();
    cs_unc_dist a = make2(CS_UNC_BETA, "alpha", 2, "beta", 3);
    cs_unc_dist dir = dirichlet(COUNTS, 4);
    add(s, &a, "p_report");
    add(s, &dir, NULL);
    a.p[0] = 99; /* the set holds a copy */
    add(s, &a, "later");
    ck_assert_uint_eq(cs_unc_set_entries(s), 3);
    ck_assert_uint_eq(cs_unc_set_values(s), 6);
    ck_assert_uint_eq(cs_unc_set_offset(s, 0), 0);
    ck_assert_uint_eq(cs_unc_set_offset(s, 1), 1);
    ck_assert_uint_eq(cs_unc_set_offset(s, 2), 5);
    ck_assert_uint_eq(cs_unc_set_offset(s, 3), SIZE_MAX);
    ck_assert_str_eq(cs_unc_set_label(s, 0), "p_report");
    ck_assert_str_eq(cs_unc_set_label(s, 1), "entry 1");
    ck_assert_ptr_null(cs_unc_set_label(s, 3));
    ck_assert_double_eq(cs_unc_set_dist(s, 0)->p[0], 2.0);
    ck_assert_ptr_null(cs_unc_set_dist(s, 3));
    ck_assert_int_eq(cs_unc_set_sampling(s), CS_UNC_RANDOM);
    ck_assert_ptr_null(cs_unc_work_alloc(s)); /* not finalised yet */
    cs_unc_set_free(s);

    cs_unc_msg m;
    s = cs_unc_set_alloc();
    for (int i = 0; i < CS_UNC_MAX_ENTRIES; i++)
        add(s, &a, NULL);
    ck_assert_int_eq(cs_unc_set_add(s, &a, NULL, &m), CS_ELIMIT);
    ck_assert(strstr(m.text, "at most 1024 entries"));
    cs_unc_set_free(s);

    /* An empty set draws nothing and succeeds, in both modes. */
    for (int sobol = 0; sobol < 2; sobol++) {
        s = uniform_set(0, sobol);
        cs_unc_work *w = cs_unc_work_alloc(s);
        ck_assert_ptr_nonnull(w);
        ck_assert_int_eq(cs_unc_draw(s, w, SEED, 5, NULL, NULL), CS_OK);
        cs_unc_work_free(w);
        cs_unc_set_free(s);
    }
    cs_unc_set_free(NULL);
    cs_unc_work_free(NULL);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("uncertain_draws");
    TCase *tc = tcase_create("draws");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, sample_moments_match);
    tcase_add_test(tc, draws_stay_in_supports);
    tcase_add_test(tc, random_draws_depend_only_on_seed_and_index);
    tcase_add_test(tc, random_draws_thread_independent);
    tcase_add_test(tc, sobol_refuses_more_than_40_values);
    tcase_add_test(tc, sobol_skips_zero_and_stratifies);
    tcase_add_test(tc, sobol_points_independent_of_request_order);
    tcase_add_test(tc, copula_rank_correlations);
    tcase_add_test(tc, copula_rules);
    tcase_add_test(tc, copula_not_positive_definite_names_entries);
    tcase_add_test(tc, normal_space_matches_uniform_space);
    tcase_add_test(tc, normal_space_inverse);
    tcase_add_test(tc, percentiles_and_oneway);
    tcase_add_test(tc, set_facts_and_limits);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
