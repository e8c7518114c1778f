/*
 * test_uncertain_dist.c — the families of uncertain inputs against known
 * answers: parameters as written -> canonical parameters and moments, the
 * messages of every broken rule, quantiles against GSL's distribution
 * functions, densities against distribution functions, truncated moments
 * against closed forms and independent quadrature, and valid ranges.
 *
 * These tests are deterministic (no sampling): their tolerances are
 * numerical, each stated with its reason next to it. The sampling tests are
 * in test_uncertain_draws.c.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

#include "casesim/uncertain.h"

/* Phi^-1(0.95), Abramowitz & Stegun table 26.5 (to 16 digits). */
#define Z95 1.6448536269514722

#define P1(n, v)                                                                                   \
    {                                                                                              \
        n, v, NULL, 0                                                                              \
    }

/* A distribution that must build; fails the test with the message if not. */
static cs_unc_dist make(enum cs_unc_family f, const cs_unc_param *p, size_t n)
{
    cs_unc_dist d;
    cs_unc_msg m;
    int st = cs_unc_dist_init(&d, f, p, n, &m);
    ck_assert_msg(st == CS_OK, "%s: %s", cs_unc_family_name(f), m.text);
    ck_assert_int_eq(m.status, CS_OK);
    ck_assert_str_eq(m.text, "");
    return d;
}

static cs_unc_dist make2(enum cs_unc_family f, const char *n1, double v1, const char *n2, double v2)
{
    cs_unc_param p[2] = {P1(n1, v1), P1(n2, v2)};
    return make(f, p, 2);
}

static cs_unc_dist truncated(cs_unc_dist d, double lo, double hi)
{
    cs_unc_msg m;
    ck_assert_msg(cs_unc_dist_truncate(&d, lo, hi, &m) == CS_OK, "%s", m.text);
    return d;
}

static void assert_rel(double got, double want, double rel, const char *what)
{
    ck_assert_msg(fabs(got - want) <= rel * fabs(want), "%s: %.17g, expected %.17g (rel %.3g)",
                  what, got, want, fabs(got - want) / fabs(want));
}

/* ------------------------------------------------------- known answers */

/* UNCERTAINTY.md §5: beta with mean 0.3, sd 0.05 has alpha = 24.9, beta =
 * 58.1 (alpha + beta = m (1 - m) / sd^2 - 1 = 83). Rounding of the three
 * operations leaves a few ulps: 1e-12 is generous and still exact. */
START_TEST(beta_mean_sd_known_answer)
{
    cs_unc_dist d = make2(CS_UNC_BETA, "mean", 0.3, "sd", 0.05);
    ck_assert_double_eq_tol(d.p[0], 24.9, 1e-12);
    ck_assert_double_eq_tol(d.p[1], 58.1, 1e-12);
    ck_assert_double_eq_tol(d.mean, 0.3, 1e-15);
    ck_assert_double_eq_tol(sqrt(d.var), 0.05, 1e-15);
    ck_assert_double_eq(d.lo, 0.0);
    ck_assert_double_eq(d.hi, 1.0);
    ck_assert_uint_eq(d.k, 1);
    /* The same law from {alpha, beta}, in either order. */
    cs_unc_dist e = make2(CS_UNC_BETA, "beta", 58.1, "alpha", 24.9);
    ck_assert_double_eq_tol(e.mean, 0.3, 1e-15);
    ck_assert_double_eq_tol(e.var, 0.0025, 1e-16);
}
END_TEST

START_TEST(gamma_known_answers)
{
    /* mean/sd -> shape = mean^2 / sd^2 = 16, scale = sd^2 / mean = 250000. */
    cs_unc_dist d = make2(CS_UNC_GAMMA, "mean", 4.0e6, "sd", 1.0e6);
    assert_rel(d.p[0], 16.0, 1e-15, "shape");
    assert_rel(d.p[1], 2.5e5, 1e-15, "scale");
    assert_rel(d.mean, 4.0e6, 1e-15, "mean");
    assert_rel(d.var, 1.0e12, 1e-15, "variance");
    cs_unc_dist e = make2(CS_UNC_GAMMA, "shape", 2.5, "scale", 3.0);
    assert_rel(e.mean, 7.5, 1e-15, "mean");
    assert_rel(e.var, 22.5, 1e-15, "variance");
    /* gamma(1, s) is the exponential law: Q(u) = -s log(1 - u). */
    cs_unc_dist x = make2(CS_UNC_GAMMA, "shape", 1.0, "scale", 2.0);
    assert_rel(cs_unc_dist_quantile(&x, 0.3), -2.0 * log1p(-0.3), 1e-14, "exponential quantile");
    assert_rel(cs_unc_dist_quantile(&x, 0.999), -2.0 * log(0.001), 1e-13, "exponential tail");
}
END_TEST

START_TEST(lognormal_known_answers)
{
    /* median/p95 -> mu = ln median, sigma = ln(p95 / median) / Phi^-1(0.95). */
    cs_unc_dist d = make2(CS_UNC_LOGNORMAL, "median", 2.0, "p95", 4.0);
    ck_assert_double_eq_tol(d.p[0], log(2.0), 1e-15);
    assert_rel(d.p[1], log(2.0) / Z95, 1e-14, "sigma");
    assert_rel(cs_unc_dist_quantile(&d, 0.5), 2.0, 1e-15, "median");
    assert_rel(cs_unc_dist_quantile(&d, 0.95), 4.0, 1e-14, "p95");
    assert_rel(d.mean, 2.0 * exp(0.5 * d.p[1] * d.p[1]), 1e-15, "mean");
    /* mean/sd gives back that mean and sd. */
    cs_unc_dist e = make2(CS_UNC_LOGNORMAL, "mean", 3.0, "sd", 1.5);
    assert_rel(e.mean, 3.0, 1e-14, "mean");
    assert_rel(sqrt(e.var), 1.5, 1e-14, "sd");
}
END_TEST

START_TEST(normal_uniform_triangular_known_answers)
{
    cs_unc_dist n = make2(CS_UNC_NORMAL, "mean", -1.0, "sd", 2.0);
    ck_assert_double_eq(n.mean, -1.0);
    ck_assert_double_eq(n.var, 4.0);
    ck_assert(isinf(n.lo) && n.lo < 0 && isinf(n.hi));
    assert_rel(cs_unc_dist_quantile(&n, 0.975), -1.0 + 2.0 * 1.959963984540054, 1e-14, "q975");

    cs_unc_dist u = make2(CS_UNC_UNIFORM, "max", 0.35, "min", 0.20);
    ck_assert_double_eq_tol(u.mean, 0.275, 1e-16);
    ck_assert_double_eq_tol(u.var, 0.15 * 0.15 / 12.0, 1e-18);
    ck_assert_double_eq_tol(cs_unc_dist_quantile(&u, 0.25), 0.2375, 1e-16);

    /* Triangular (1, 2, 6): mean (a + m + c)/3 = 3, variance
     * (a^2 + m^2 + c^2 - am - ac - mc)/18 = (1 + 4 + 36 - 2 - 6 - 12)/18. */
    cs_unc_param t[3] = {P1("min", 1.0), P1("mode", 2.0), P1("max", 6.0)};
    cs_unc_dist tr = make(CS_UNC_TRIANGULAR, t, 3);
    ck_assert_double_eq_tol(tr.mean, 3.0, 1e-15);
    ck_assert_double_eq_tol(tr.var, 21.0 / 18.0, 1e-15);
    /* F(mode) = (m - a)/(c - a) = 0.2, so the 0.2-quantile is the mode. */
    ck_assert_double_eq_tol(cs_unc_dist_quantile(&tr, 0.2), 2.0, 1e-15);
    ck_assert_double_eq_tol(cs_unc_dist_cdf(&tr, 2.0), 0.2, 1e-16);
    /* Degenerate triangles (mode at an end) are valid. */
    cs_unc_param r[3] = {P1("min", 0.0), P1("mode", 0.0), P1("max", 1.0)};
    cs_unc_dist right = make(CS_UNC_TRIANGULAR, r, 3);
    ck_assert_double_eq_tol(right.mean, 1.0 / 3.0, 1e-16);
    ck_assert_double_eq_tol(cs_unc_dist_quantile(&right, 0.75), 0.5, 1e-15);
}
END_TEST

START_TEST(dirichlet_known_answers)
{
    double counts[4] = {12, 90, 600, 298};
    cs_unc_param p = {"counts", 0, counts, 4};
    cs_unc_dist d = make(CS_UNC_DIRICHLET, &p, 1);
    ck_assert_uint_eq(d.k, 4);
    ck_assert(isnan(d.mean));
    ck_assert(isnan(cs_unc_dist_quantile(&d, 0.5)));
    ck_assert(isnan(cs_unc_dist_cdf(&d, 0.5)));
    /* Component i is Beta(c_i, A - c_i), A = 1000: mean c_i / A, variance
     * c_i (A - c_i) / (A^2 (A + 1)). */
    for (size_t i = 0; i < 4; i++) {
        cs_unc_dist m;
        ck_assert_int_eq(cs_unc_dist_marginal(&d, i, &m, NULL), CS_OK);
        ck_assert_int_eq(m.family, CS_UNC_BETA);
        assert_rel(m.mean, counts[i] / 1000.0, 1e-15, "component mean");
        assert_rel(m.var, counts[i] * (1000.0 - counts[i]) / (1.0e6 * 1001.0), 1e-14,
                   "component variance");
    }
    cs_unc_dist m;
    ck_assert_int_eq(cs_unc_dist_marginal(&d, 4, &m, NULL), CS_EINVAL);
    cs_unc_dist b = make2(CS_UNC_BETA, "alpha", 2, "beta", 3);
    ck_assert_int_eq(cs_unc_dist_marginal(&b, 0, &m, NULL), CS_OK);
    ck_assert_double_eq_tol(m.mean, 0.4, 1e-16);
}
END_TEST

START_TEST(family_names)
{
    const char *names[] = {"beta",    "gamma",      "lognormal", "normal",
                           "uniform", "triangular", "dirichlet"};
    for (int f = 0; f < CS_UNC_N_FAMILIES; f++) {
        enum cs_unc_family got;
        ck_assert(cs_unc_family_parse(names[f], &got));
        ck_assert_int_eq(got, f);
        ck_assert_str_eq(cs_unc_family_name((enum cs_unc_family)f), names[f]);
    }
    enum cs_unc_family untouched = CS_UNC_GAMMA;
    ck_assert(!cs_unc_family_parse("Beta", &untouched));
    ck_assert(!cs_unc_family_parse("path", &untouched));
    ck_assert(!cs_unc_family_parse(NULL, &untouched));
    ck_assert_int_eq(untouched, CS_UNC_GAMMA);
    ck_assert_str_eq(cs_unc_family_name(CS_UNC_N_FAMILIES), "?");
}
END_TEST

/* ------------------------------------------------------------ messages */

struct bad_case {
    enum cs_unc_family family;
    cs_unc_param p[3];
    size_t n;
    int status;
    int param;        /* expected msg.param */
    const char *text; /* expected substring (the whole text where exact) */
};

static const double ONE_COUNT[1] = {5.0};
static const double SMALL_COUNT[3] = {5.0, 0.001, 3.0};
static const double HUGE_COUNTS[2] = {6.0e4, 6.0e4};
static double many_counts[CS_UNC_MAX_COMPONENTS + 1];

static const struct bad_case BAD[] = {
    {CS_UNC_BETA,
     {P1("mean", 0.3), P1("sd", 0.5)},
     2,
     CS_EINVAL,
     1,
     "beta: sd 0.5 is too large for mean 0.3 (sd must be below sqrt(mean (1 - mean)) = 0.458)"},
    {CS_UNC_BETA,
     {P1("mean", 1.2), P1("sd", 0.1)},
     2,
     CS_EINVAL,
     0,
     "beta: mean 1.2 must lie strictly between 0 and 1"},
    {CS_UNC_BETA,
     {P1("mean", 0.3), P1("sd", 0.0)},
     2,
     CS_EINVAL,
     1,
     "beta: sd must be positive, not 0"},
    {CS_UNC_BETA,
     {P1("mean", 0.3)},
     1,
     CS_EINVAL,
     -1,
     "beta: `sd` missing (give {mean, sd} or {alpha, beta})"},
    {CS_UNC_BETA,
     {P1("mean", 0.3), P1("alpha", 2.0)},
     2,
     CS_EINVAL,
     1,
     "beta: give either {mean, sd} or {alpha, beta}, not `mean` with `alpha`"},
    {CS_UNC_BETA,
     {P1("mean", 0.3), P1("mode", 0.2)},
     2,
     CS_EINVAL,
     1,
     "beta: unknown parameter `mode` (give {mean, sd} or {alpha, beta})"},
    {CS_UNC_BETA,
     {P1("sd", 0.1), P1("mean", 0.3), P1("sd", 0.2)},
     3,
     CS_EINVAL,
     2,
     "beta: `sd` given twice"},
    {CS_UNC_BETA,
     {P1("alpha", NAN), P1("beta", 2.0)},
     2,
     CS_EINVAL,
     0,
     "beta: `alpha` must be a finite number"},
    {CS_UNC_BETA,
     {P1("alpha", 0.001), P1("beta", 2.0)},
     2,
     CS_EINVAL,
     0,
     "beta: alpha 0.001 is outside [0.01, 100000]"},
    {CS_UNC_BETA,
     {P1("alpha", 2.0), P1("beta", -1.0)},
     2,
     CS_EINVAL,
     1,
     "beta: beta must be positive, not -1"},
    {CS_UNC_BETA,
     {P1("mean", 0.5), P1("sd", 1e-4)},
     2,
     CS_EINVAL,
     -1,
     "sd too small to be uncertain"},
    {CS_UNC_BETA,
     {{NULL, 0, NULL, 0}},
     0,
     CS_EINVAL,
     -1,
     "beta: parameters missing: give {mean, sd} or {alpha, beta}"},
    {CS_UNC_GAMMA,
     {P1("mean", 4.0), P1("sd", 50.0)},
     2,
     CS_EINVAL,
     -1,
     "gamma: mean 4 and sd 50 give shape = (mean/sd)^2 = 0.0064"},
    {CS_UNC_GAMMA,
     {P1("shape", 2.0), P1("scale", 0.0)},
     2,
     CS_EINVAL,
     1,
     "gamma: scale must be positive, not 0"},
    {CS_UNC_GAMMA,
     {P1("mean", -1.0), P1("sd", 1.0)},
     2,
     CS_EINVAL,
     0,
     "gamma: mean must be positive, not -1"},
    {CS_UNC_LOGNORMAL,
     {P1("median", 2.0), P1("p95", 1.5)},
     2,
     CS_EINVAL,
     1,
     "lognormal: p95 1.5 must be above the median 2"},
    {CS_UNC_LOGNORMAL,
     {P1("median", 0.0), P1("p95", 1.5)},
     2,
     CS_EINVAL,
     0,
     "lognormal: median must be positive, not 0"},
    {CS_UNC_LOGNORMAL,
     {P1("median", 2.0), P1("sd", 1.0)},
     2,
     CS_EINVAL,
     1,
     "lognormal: give either {median, p95} or {mean, sd}, not `median` with `sd`"},
    {CS_UNC_NORMAL,
     {P1("mean", 0.0), P1("sd", -2.0)},
     2,
     CS_EINVAL,
     1,
     "normal: sd must be positive, not -2"},
    {CS_UNC_NORMAL,
     {P1("mean", INFINITY), P1("sd", 2.0)},
     2,
     CS_EINVAL,
     0,
     "normal: `mean` must be a finite number"},
    {CS_UNC_UNIFORM,
     {P1("min", 3.0), P1("max", 2.0)},
     2,
     CS_EINVAL,
     1,
     "uniform: min 3 must be below max 2"},
    {CS_UNC_UNIFORM,
     {P1("min", 3.0), P1("max", 3.0)},
     2,
     CS_EINVAL,
     1,
     "uniform: min 3 must be below max 3"},
    {CS_UNC_TRIANGULAR,
     {P1("min", 0.0), P1("mode", 5.0), P1("max", 4.0)},
     3,
     CS_EINVAL,
     1,
     "triangular: mode 5 must lie between min 0 and max 4"},
    {CS_UNC_TRIANGULAR,
     {P1("min", 0.0), P1("max", 4.0)},
     2,
     CS_EINVAL,
     -1,
     "triangular: `mode` missing (give {min, mode, max})"},
    {CS_UNC_DIRICHLET,
     {{"counts", 0, ONE_COUNT, 1}},
     1,
     CS_EINVAL,
     0,
     "dirichlet: counts needs at least 2 numbers (one per share), not 1"},
    {CS_UNC_DIRICHLET,
     {{"counts", 0, SMALL_COUNT, 3}},
     1,
     CS_EINVAL,
     0,
     "dirichlet: count 0.001 (number 2 of counts) must lie in [0.01, 100000]"},
    {CS_UNC_DIRICHLET,
     {{"counts", 0, HUGE_COUNTS, 2}},
     1,
     CS_EINVAL,
     0,
     "dirichlet: the counts sum to 120000, above 100000"},
    {CS_UNC_DIRICHLET,
     {{"counts", 0, many_counts, CS_UNC_MAX_COMPONENTS + 1}},
     1,
     CS_ELIMIT,
     0,
     "dirichlet: 65 counts; at most 64 are supported"},
    {CS_UNC_DIRICHLET,
     {P1("counts", 3.0)},
     1,
     CS_EINVAL,
     0,
     "dirichlet: `counts` must be a list of numbers"},
    {CS_UNC_BETA,
     {{"mean", 0, ONE_COUNT, 1}, P1("sd", 0.1)},
     2,
     CS_EINVAL,
     0,
     "beta: `mean` must be a number, not a list"},
};
#define N_BAD (int)(sizeof BAD / sizeof BAD[0])

START_TEST(broken_rules_are_named)
{
    for (size_t i = 0; i <= CS_UNC_MAX_COMPONENTS; i++)
        many_counts[i] = 1.0;
    const struct bad_case *c = &BAD[_i];
    cs_unc_dist d;
    cs_unc_msg m;
    int st = cs_unc_dist_init(&d, c->family, c->p, c->n, &m);
    ck_assert_msg(st == c->status, "case %d: status %d, expected %d (%s)", _i, st, c->status,
                  m.text);
    ck_assert_int_eq(m.status, c->status);
    ck_assert_msg(strstr(m.text, c->text) != NULL, "case %d: message \"%s\" lacks \"%s\"", _i,
                  m.text, c->text);
    ck_assert_msg(m.param == c->param, "case %d: param %d, expected %d", _i, m.param, c->param);
    ck_assert(strchr(m.text, '\n') == NULL);
    /* A NULL message is allowed and gives the same status. */
    ck_assert_int_eq(cs_unc_dist_init(&d, c->family, c->p, c->n, NULL), c->status);
}
END_TEST

/* ----------------------------------------------------------- quantiles */

static const double SHAPES[] = {0.01, 0.05, 0.2, 0.5, 1.0, 1.7, 5.0, 24.9, 58.1, 300.0, 1e3, 1e4};
#define N_SHAPES (sizeof SHAPES / sizeof SHAPES[0])
/* Targets (lower tail p, upper tail q = 1 - p given exactly). */
static const double TAILS[][2] = {
    {1e-16, 1.0}, {1e-9, 1.0},    {1e-4, 1 - 1e-4}, {0.025, 0.975}, {0.3, 0.7},   {0.5, 0.5},
    {0.7, 0.3},   {0.975, 0.025}, {1 - 1e-4, 1e-4}, {1.0, 1e-9},    {1.0, 1e-16},
};
#define N_TAILS (sizeof TAILS / sizeof TAILS[0])

/* The quantile x at u must be where GSL's tail crosses the target: the
 * tail on the target's side, evaluated 1e-12 (relative) either side of x
 * (or two ulps where that is finer than a double), brackets the target.
 * This holds however inexact GSL's function is, so it tests the inversion
 * alone. Near 1 the distance to the end of the support is what matters, so
 * the step is relative to it and the upper tail (the survival function) is
 * compared. u = 1 - q is exact for q <= 1/2, so the target 1 - u is too. */
static void assert_bracketed(const cs_unc_dist *d, double p, double q)
{
    double u = p <= q ? p : 1.0 - q, up = 1.0 - u;
    double x = cs_unc_dist_quantile(d, u);
    const char *fam = cs_unc_family_name(d->family);
    ck_assert_msg(isfinite(x) && x > d->lo && x < d->hi, "quantile %g of %s(%g, %g) = %g", u, fam,
                  d->p[0], d->p[1], x);
    double room = fmin(x - d->lo, d->hi - x);
    double h = fmax(1e-12 * fmin(fabs(x), room), 2.0 * (nextafter(x, INFINITY) - x));
    double a = fmax(x - h, d->lo), b = fmin(x + h, d->hi);
    if (u <= up) {
        double Fa = cs_unc_dist_cdf(d, a), Fb = cs_unc_dist_cdf(d, b);
        ck_assert_msg(Fa <= u && u <= Fb, "%s(%g, %g): F(%.17g) = %.17g, F(%.17g) = %.17g, u %g",
                      fam, d->p[0], d->p[1], a, Fa, b, Fb, u);
    } else {
        double Sa = cs_unc_dist_sf(d, a), Sb = cs_unc_dist_sf(d, b);
        ck_assert_msg(Sa >= up && up >= Sb, "%s(%g, %g): S(%.17g) = %.17g, S(%.17g) = %.17g, %g",
                      fam, d->p[0], d->p[1], a, Sa, b, Sb, up);
    }
}

/* Gamma and beta quantiles over the whole range of shapes and from 1e-16
 * to 1 - 1e-16; GSL's own gsl_cdf_gamma_Pinv returns NaN for many of these
 * and gsl_cdf_beta_Pinv is off by factors near shape 0.05. */
START_TEST(gamma_beta_quantiles_invert_gsl)
{
    for (size_t i = 0; i < N_SHAPES; i++) {
        cs_unc_dist g = make2(CS_UNC_GAMMA, "shape", SHAPES[i], "scale", 1.0);
        for (size_t t = 0; t < N_TAILS; t++)
            assert_bracketed(&g, TAILS[t][0], TAILS[t][1]);
        for (size_t j = 0; j < N_SHAPES; j++) {
            cs_unc_dist b = make2(CS_UNC_BETA, "alpha", SHAPES[i], "beta", SHAPES[j]);
            for (size_t t = 0; t < N_TAILS; t++)
                assert_bracketed(&b, TAILS[t][0], TAILS[t][1]);
        }
    }
}
END_TEST

/* Between shapes 1e4 and 1e5 GSL's incomplete gamma and beta functions are
 * themselves accurate only to about 1e-8 (gamma P(99733.76; 1e5) is
 * 0.19999999624 against mpmath's 0.19999999868) and not even monotone at
 * that level, so the bracket cannot hold; the quantile must still be finite,
 * inside the support and round-trip to 1e-7. */
START_TEST(large_shapes_within_gsl_accuracy)
{
    const double big[] = {3e4, 1e5};
    for (size_t i = 0; i < 2; i++) {
        cs_unc_dist g = make2(CS_UNC_GAMMA, "shape", big[i], "scale", 2.0);
        cs_unc_dist b = make2(CS_UNC_BETA, "alpha", big[i], "beta", big[1 - i]);
        cs_unc_dist c = make2(CS_UNC_BETA, "alpha", 0.5, "beta", big[i]);
        const cs_unc_dist *ds[3] = {&g, &b, &c};
        for (size_t k = 0; k < 3; k++)
            for (size_t t = 2; t + 2 < N_TAILS; t++) {
                double u = TAILS[t][0];
                double x = cs_unc_dist_quantile(ds[k], u);
                ck_assert(isfinite(x) && x > ds[k]->lo && x < ds[k]->hi);
                double F = cs_unc_dist_cdf(ds[k], x);
                double err = u <= 0.5 ? fabs(F - u) / u : fabs(F - u) / (1.0 - u);
                ck_assert_msg(err <= 1e-7, "shape %g: F(Q(%g)) = %.17g", big[i], u, F);
            }
    }
}
END_TEST

/* Ends and bad arguments. */
START_TEST(quantile_ends_and_nan)
{
    cs_unc_dist b = make2(CS_UNC_BETA, "alpha", 2, "beta", 3);
    ck_assert_double_eq(cs_unc_dist_quantile(&b, 0.0), 0.0);
    ck_assert_double_eq(cs_unc_dist_quantile(&b, 1.0), 1.0);
    ck_assert(isnan(cs_unc_dist_quantile(&b, -0.1)));
    ck_assert(isnan(cs_unc_dist_quantile(&b, 1.5)));
    ck_assert(isnan(cs_unc_dist_quantile(&b, NAN)));
    ck_assert(isnan(cs_unc_dist_cdf(&b, NAN)));
    ck_assert_double_eq(cs_unc_dist_cdf(&b, -1.0), 0.0);
    ck_assert_double_eq(cs_unc_dist_cdf(&b, 2.0), 1.0);
    ck_assert_double_eq(cs_unc_dist_pdf(&b, 2.0), 0.0);
    ck_assert(isinf(cs_unc_dist_logpdf(&b, -1.0)));
    cs_unc_dist g = make2(CS_UNC_GAMMA, "shape", 2, "scale", 3);
    ck_assert(isinf(cs_unc_dist_quantile(&g, 1.0)));
    /* Values strictly inside: beta(0.01, 5) at u = 1e-16 is below the
     * smallest double; the quantile is moved onto it rather than to 0. */
    cs_unc_dist tiny = make2(CS_UNC_BETA, "alpha", 0.01, "beta", 5);
    double x = cs_unc_dist_quantile(&tiny, 1e-16);
    ck_assert(x > 0.0);
}
END_TEST

/* A family of one of each kind, some truncated, for round trips. */
static size_t zoo(cs_unc_dist *d)
{
    size_t n = 0;
    d[n++] = make2(CS_UNC_BETA, "mean", 0.3, "sd", 0.06);
    d[n++] = make2(CS_UNC_BETA, "alpha", 0.4, "beta", 0.7);
    d[n++] = make2(CS_UNC_GAMMA, "mean", 4.0e6, "sd", 1.0e6);
    d[n++] = make2(CS_UNC_GAMMA, "shape", 0.3, "scale", 2.0);
    d[n++] = make2(CS_UNC_LOGNORMAL, "median", 2.0, "p95", 4.0);
    d[n++] = make2(CS_UNC_NORMAL, "mean", 0.1, "sd", 0.2);
    d[n++] = make2(CS_UNC_UNIFORM, "min", 0.2, "max", 0.35);
    cs_unc_param t[3] = {P1("min", 1.0), P1("mode", 2.0), P1("max", 6.0)};
    d[n++] = make(CS_UNC_TRIANGULAR, t, 3);
    d[n++] = truncated(make2(CS_UNC_NORMAL, "mean", 0.1, "sd", 0.2), 0.0, 1.0);
    d[n++] = truncated(make2(CS_UNC_NORMAL, "mean", 0.0, "sd", 1.0), 2.5, INFINITY);
    d[n++] = truncated(make2(CS_UNC_GAMMA, "shape", 2.0, "scale", 1.5), -INFINITY, 1.0);
    d[n++] = truncated(make2(CS_UNC_BETA, "mean", 0.3, "sd", 0.1), 0.25, 0.9);
    d[n++] = truncated(make2(CS_UNC_LOGNORMAL, "mean", 3.0, "sd", 1.5), 2.0, 8.0);
    d[n++] = truncated(make(CS_UNC_TRIANGULAR, t, 3), 1.5, 5.0);
    d[n++] = truncated(make2(CS_UNC_UNIFORM, "min", 0.0, "max", 1.0), 0.25, 2.0);
    return n;
}

/* quantile(cdf(x)) = x: for x between the 0.001 and 0.999 quantiles the
 * problem is well conditioned (|d log x / d log F| < 1e3 for these laws), so
 * 1e-12 relative (on the distance to the nearer end of the support, where
 * that is smaller than |x|) is 10^4 times the rounding of the functions. */
START_TEST(quantile_of_cdf_is_identity)
{
    cs_unc_dist d[16];
    size_t n = zoo(d);
    for (size_t k = 0; k < n; k++) {
        double a = cs_unc_dist_quantile(&d[k], 0.001), b = cs_unc_dist_quantile(&d[k], 0.999);
        for (int i = 0; i <= 200; i++) {
            double x = a + (b - a) * i / 200.0;
            double y = cs_unc_dist_quantile(&d[k], cs_unc_dist_cdf(&d[k], x));
            double scale = fmax(fabs(x) > 0 ? fabs(x) : 1.0, 1e-300);
            if (isfinite(d[k].lo))
                scale = fmin(scale, fmax(x - d[k].lo, 1e-3 * (b - a)));
            if (isfinite(d[k].hi))
                scale = fmin(scale, fmax(d[k].hi - x, 1e-3 * (b - a)));
            ck_assert_msg(fabs(y - x) <= 1e-12 * scale + 1e-15 * (b - a),
                          "%s #%zu: Q(F(%.17g)) = %.17g", cs_unc_family_name(d[k].family), k, x, y);
        }
    }
}
END_TEST

/* The density is the derivative of the distribution function (central
 * differences, step 1e-5 of the spread: truncation error ~ 1e-10 f'', well
 * inside 1e-6), and integrates to 1 over the (truncated) support. The
 * integral is taken in pieces cut at the 1%, 50% and 99% quantiles, each
 * mapped onto [0, 1] (the last onto [0, inf) when infinite), so that the
 * rule finds the mass of a gamma of mean 4e6. */
struct piece {
    const cs_unc_dist *d;
    double base, span;
};
static double pdf_fn(double s, void *v)
{
    const struct piece *p = v;
    return cs_unc_dist_pdf(p->d, p->base + p->span * s) * fabs(p->span);
}

static double total_mass(const cs_unc_dist *d, gsl_integration_workspace *ws)
{
    double cut[5] = {d->lo, cs_unc_dist_quantile(d, 0.01), cs_unc_dist_quantile(d, 0.5),
                     cs_unc_dist_quantile(d, 0.99), d->hi};
    double sum = 0.0;
    for (int k = 0; k < 4; k++) {
        /* An infinite end piece runs from its finite end outwards. */
        struct piece p = {d, cut[k], cut[k + 1] - cut[k]};
        if (isinf(cut[k + 1]))
            p.span = cut[3] - cut[2];
        if (isinf(cut[k]))
            p.base = cut[k + 1], p.span = -(cut[2] - cut[1]);
        gsl_function fn = {pdf_fn, &p};
        double r, err;
        int st = isinf(cut[k]) || isinf(cut[k + 1])
                     ? gsl_integration_qagiu(&fn, 0.0, 1e-13, 1e-11, 1000, ws, &r, &err)
                     : gsl_integration_qags(&fn, 0.0, 1.0, 1e-13, 1e-11, 1000, ws, &r, &err);
        ck_assert_msg(st == GSL_SUCCESS, "%s(%g, %g) piece %d: %s", cs_unc_family_name(d->family),
                      d->p[0], d->p[1], k, gsl_strerror(st));
        sum += r;
    }
    return sum;
}

START_TEST(pdf_is_derivative_of_cdf)
{
    cs_unc_dist d[16];
    size_t n = zoo(d);
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
    for (size_t k = 0; k < n; k++) {
        double a = cs_unc_dist_quantile(&d[k], 0.01), b = cs_unc_dist_quantile(&d[k], 0.99);
        double h = 1e-5 * (b - a);
        for (int i = 1; i < 50; i++) {
            double x = a + (b - a) * i / 50.0;
            double fd = (cs_unc_dist_cdf(&d[k], x + h) - cs_unc_dist_cdf(&d[k], x - h)) / (2 * h);
            double f = cs_unc_dist_pdf(&d[k], x);
            if (d[k].family == CS_UNC_TRIANGULAR && fabs(x - d[k].p[1]) < 2 * h)
                continue; /* the kink at the mode */
            ck_assert_msg(fabs(fd - f) <= 1e-6 * f + 1e-9 / (b - a), "#%zu at %g: %g vs %g", k, x,
                          f, fd);
            ck_assert_double_eq_tol(cs_unc_dist_logpdf(&d[k], x), log(f),
                                    1e-12 * fabs(log(f)) + 1e-14);
        }
        double total = total_mass(&d[k], ws);
        ck_assert_msg(fabs(total - 1.0) <= 1e-8, "#%zu integrates to %.12g", k, total);
    }
    gsl_integration_workspace_free(ws);
}
END_TEST

/* ---------------------------------------------------------- truncation */

/* Partial moments E[X^n 1{lo < X < hi}] / P(lo < X < hi) by the standard
 * identities (Johnson, Kotz & Balakrishnan): for gamma(k, s),
 * E[X^n; X < x] = s^n Gamma(k + n)/Gamma(k) P_{k+n}(x/s); for beta(a, b),
 * B(a + n, b)/B(a, b) I_{a+n, b}(x); for the lognormal,
 * exp(n mu + n^2 s^2 / 2) Phi((ln x - mu - n s^2) / s). Computed here from
 * GSL's distribution functions, independently of the library's quadrature. */
static void gamma_truncated(double k, double s, double lo, double hi, double *m, double *v)
{
    /* Upper tails: hi = inf has Q = 0 (GSL's Q(inf) is NaN). */
    double q[3];
    for (int n = 0; n < 3; n++)
        q[n] = gsl_cdf_gamma_Q(lo, k + n, s) - (isinf(hi) ? 0.0 : gsl_cdf_gamma_Q(hi, k + n, s));
    *m = k * s * q[1] / q[0];
    *v = k * (k + 1) * s * s * q[2] / q[0] - *m * *m;
}

static void beta_truncated(double a, double b, double lo, double hi, double *m, double *v)
{
    double mass = gsl_cdf_beta_P(hi, a, b) - gsl_cdf_beta_P(lo, a, b);
    double e1 = a / (a + b) * (gsl_cdf_beta_P(hi, a + 1, b) - gsl_cdf_beta_P(lo, a + 1, b));
    double e2 = a * (a + 1) / ((a + b) * (a + b + 1)) *
                (gsl_cdf_beta_P(hi, a + 2, b) - gsl_cdf_beta_P(lo, a + 2, b));
    *m = e1 / mass;
    *v = e2 / mass - *m * *m;
}

static void lognormal_truncated(double mu, double s, double lo, double hi, double *m, double *v)
{
    double e[3];
    for (int n = 0; n < 3; n++) {
        double shift = mu + n * s * s;
        double upper = isinf(hi) ? 1.0 : gsl_cdf_ugaussian_P((log(hi) - shift) / s);
        e[n] = exp(n * mu + 0.5 * n * n * s * s) *
               (upper - gsl_cdf_ugaussian_P((log(lo) - shift) / s));
    }
    *m = e[1] / e[0];
    *v = e[2] / e[0] - *m * *m;
}

/* Triangular (a, c, b as min, mode, max): exact polynomial integrals of
 * x^n f(x) over [lo, hi] on each side of the mode. */
static double tri_piece(double a, double md, double c, double x0, double x1, int n)
{
    double s = 0.0;
    double l = fmax(x0, a), r = fmin(x1, md); /* rising: 2 (x - a) / ((c - a)(m - a)) */
    if (l < r)
        s += 2.0 / ((c - a) * (md - a)) *
             ((pow(r, n + 2) - pow(l, n + 2)) / (n + 2) -
              a * (pow(r, n + 1) - pow(l, n + 1)) / (n + 1));
    l = fmax(x0, md), r = fmin(x1, c); /* falling: 2 (c - x) / ((c - a)(c - m)) */
    if (l < r)
        s += 2.0 / ((c - a) * (c - md)) *
             (c * (pow(r, n + 1) - pow(l, n + 1)) / (n + 1) -
              (pow(r, n + 2) - pow(l, n + 2)) / (n + 2));
    return s;
}

/* Normal: independent quadrature of the density with GSL's QAGS. */
struct nq {
    double mu, sd, center;
    int n;
};
static double normal_moment(double x, void *v)
{
    const struct nq *c = v;
    double f = gsl_ran_gaussian_pdf(x - c->mu, c->sd);
    return c->n == 0 ? f : c->n == 1 ? x * f : (x - c->center) * (x - c->center) * f;
}

static void normal_truncated(double mu, double sd, double lo, double hi, double *m, double *v)
{
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
    double e[3], err;
    struct nq c = {mu, sd, 0.0, 0};
    gsl_function fn = {normal_moment, &c};
    for (c.n = 0; c.n < 3; c.n++) {
        if (c.n == 2)
            c.center = e[1] / e[0];
        if (isinf(hi))
            gsl_integration_qagiu(&fn, lo, 0, 1e-12, 1000, ws, &e[c.n], &err);
        else
            gsl_integration_qags(&fn, lo, hi, 0, 1e-12, 1000, ws, &e[c.n], &err);
    }
    gsl_integration_workspace_free(ws);
    *m = e[1] / e[0];
    *v = e[2] / e[0];
}

/* The library's truncated mean and variance against the closed forms. The
 * closed forms lose digits to E[X^2] - E[X]^2 (a factor mean^2 / var, at
 * most 1e3 here) and the quadrature is asked for 1e-11: 1e-9 relative
 * separates right from wrong by orders of magnitude (a wrong support or
 * normalisation is off by more than 1e-3). */
START_TEST(truncated_moments_closed_forms)
{
    struct {
        cs_unc_dist d;
        double m, v;
    } c[12];
    size_t n = 0;
    c[n].d = truncated(make2(CS_UNC_GAMMA, "shape", 2.0, "scale", 1.5), 1.0, 4.0);
    gamma_truncated(2.0, 1.5, 1.0, 4.0, &c[n].m, &c[n].v), n++;
    c[n].d = truncated(make2(CS_UNC_GAMMA, "shape", 0.5, "scale", 2.0), -INFINITY, 0.3);
    gamma_truncated(0.5, 2.0, 0.0, 0.3, &c[n].m, &c[n].v), n++; /* singular density at 0 */
    c[n].d = truncated(make2(CS_UNC_GAMMA, "shape", 16.0, "scale", 2.5e5), 5.0e6, INFINITY);
    gamma_truncated(16.0, 2.5e5, 5.0e6, INFINITY, &c[n].m, &c[n].v), n++;
    c[n].d = truncated(make2(CS_UNC_BETA, "alpha", 24.9, "beta", 58.1), 0.25, 0.9);
    beta_truncated(24.9, 58.1, 0.25, 0.9, &c[n].m, &c[n].v), n++;
    c[n].d = truncated(make2(CS_UNC_BETA, "alpha", 0.5, "beta", 0.5), 0.0, 0.2);
    beta_truncated(0.5, 0.5, 0.0, 0.2, &c[n].m, &c[n].v), n++; /* singular at 0 */
    c[n].d = truncated(make2(CS_UNC_BETA, "alpha", 3, "beta", 2), 0.5, 2.0);
    beta_truncated(3, 2, 0.5, 1.0, &c[n].m, &c[n].v), n++;
    c[n].d = truncated(make2(CS_UNC_LOGNORMAL, "median", 2.0, "p95", 4.0), 1.0, 3.0);
    lognormal_truncated(log(2.0), log(2.0) / Z95, 1.0, 3.0, &c[n].m, &c[n].v), n++;
    c[n].d = truncated(make2(CS_UNC_LOGNORMAL, "median", 2.0, "p95", 4.0), 2.5, INFINITY);
    lognormal_truncated(log(2.0), log(2.0) / Z95, 2.5, INFINITY, &c[n].m, &c[n].v), n++;
    cs_unc_param t[3] = {P1("min", 1.0), P1("mode", 2.0), P1("max", 6.0)};
    c[n].d = truncated(make(CS_UNC_TRIANGULAR, t, 3), 1.5, 5.0);
    {
        double e0 = tri_piece(1, 2, 6, 1.5, 5, 0), e1 = tri_piece(1, 2, 6, 1.5, 5, 1),
               e2 = tri_piece(1, 2, 6, 1.5, 5, 2);
        c[n].m = e1 / e0, c[n].v = e2 / e0 - c[n].m * c[n].m, n++;
    }
    c[n].d = truncated(make2(CS_UNC_NORMAL, "mean", 0.1, "sd", 0.2), 0.0, 1.0);
    normal_truncated(0.1, 0.2, 0.0, 1.0, &c[n].m, &c[n].v), n++;
    c[n].d = truncated(make2(CS_UNC_NORMAL, "mean", 0.0, "sd", 1.0), 2.5, INFINITY);
    normal_truncated(0.0, 1.0, 2.5, INFINITY, &c[n].m, &c[n].v), n++;
    c[n].d = truncated(make2(CS_UNC_UNIFORM, "min", 0.0, "max", 1.0), 0.25, 2.0);
    c[n].m = 0.625, c[n].v = 0.75 * 0.75 / 12.0, n++;
    for (size_t i = 0; i < n; i++) {
        ck_assert(c[i].d.truncated);
        assert_rel(c[i].d.mean, c[i].m, 1e-9, cs_unc_family_name(c[i].d.family));
        assert_rel(c[i].d.var, c[i].v, 1e-9, cs_unc_family_name(c[i].d.family));
    }
    /* The untruncated normal's (1/sqrt(2 pi)) / (1 - Phi(2.5)) mean, as a
     * literal check of the closed form: phi(2.5) / Q(2.5) = 2.8494... */
    assert_rel(c[10].d.mean, gsl_ran_ugaussian_pdf(2.5) / gsl_cdf_ugaussian_Q(2.5), 1e-13,
               "inverse Mills ratio");
}
END_TEST

START_TEST(truncation_rules)
{
    cs_unc_dist n = make2(CS_UNC_NORMAL, "mean", 0.0, "sd", 1.0), d = n;
    cs_unc_msg m;
    ck_assert_int_eq(cs_unc_dist_truncate(&d, 1.0, 1.0, &m), CS_EINVAL);
    ck_assert_str_eq(m.text, "truncate: the lower bound 1 must be below the upper bound 1");
    ck_assert_int_eq(cs_unc_dist_truncate(&d, NAN, 1.0, &m), CS_EINVAL);
    ck_assert_str_eq(m.text, "truncate: the bounds must be numbers");
    /* Phi(-6) = 9.9e-10 of the mass: refused, with the share kept. */
    ck_assert_int_eq(cs_unc_dist_truncate(&d, 6.0, INFINITY, &m), CS_EINVAL);
    ck_assert_msg(strstr(m.text, "keeps only 9.87e-10 of the probability of the normal") != NULL,
                  "%s", m.text);
    ck_assert(!d.truncated && d.mean == 0.0); /* unchanged on error */
    /* Phi(-4.5) = 3.4e-6: accepted, mean = phi(4.5)/Q(4.5) (Mills). */
    ck_assert_int_eq(cs_unc_dist_truncate(&d, 4.5, INFINITY, &m), CS_OK);
    assert_rel(d.mass, gsl_cdf_ugaussian_Q(4.5), 1e-14, "mass");
    assert_rel(d.mean, gsl_ran_ugaussian_pdf(4.5) / gsl_cdf_ugaussian_Q(4.5), 1e-12, "mean");
    /* Its quantiles stay in the tail, from the side that keeps digits. */
    double x = cs_unc_dist_quantile(&d, 0.5);
    assert_rel(x, -gsl_cdf_ugaussian_Pinv(0.5 * gsl_cdf_ugaussian_Q(4.5)), 1e-13, "tail median");

    cs_unc_dist b = make2(CS_UNC_BETA, "alpha", 2, "beta", 3), b0 = b;
    ck_assert_int_eq(cs_unc_dist_truncate(&b, 1.5, 2.0, &m), CS_EINVAL);
    ck_assert_msg(strstr(m.text, "does not overlap (0, 1), where the beta distribution lies"), "%s",
                  m.text);
    /* Bounds around the whole support cut nothing. */
    ck_assert_int_eq(cs_unc_dist_truncate(&b, -1.0, 1.0, &m), CS_OK);
    ck_assert(!b.truncated);
    ck_assert(memcmp(&b, &b0, sizeof b) == 0);
    /* Truncating twice keeps the intersection. */
    ck_assert_int_eq(cs_unc_dist_truncate(&b, 0.1, 0.9, &m), CS_OK);
    ck_assert_int_eq(cs_unc_dist_truncate(&b, 0.2, 0.95, &m), CS_OK);
    ck_assert_double_eq(b.lo, 0.2);
    ck_assert_double_eq(b.hi, 0.9);
    double mm, vv;
    beta_truncated(2, 3, 0.2, 0.9, &mm, &vv);
    assert_rel(b.mean, mm, 1e-9, "twice-truncated mean");

    double counts[2] = {1, 2};
    cs_unc_param p = {"counts", 0, counts, 2};
    cs_unc_dist dir = make(CS_UNC_DIRICHLET, &p, 1);
    ck_assert_int_eq(cs_unc_dist_truncate(&dir, 0.1, 0.9, &m), CS_EINVAL);
    ck_assert(strstr(m.text, "a dirichlet cannot be truncated"));
}
END_TEST

/* -------------------------------------------------------- valid ranges */

static const cs_unc_range PROBABILITY = {0.0, 1.0, false, false, "a probability"};
static const cs_unc_range RATE = {0.0, INFINITY, false, true, "a rate"};
static const cs_unc_range ODDS = {0.0, INFINITY, true, true, "an odds ratio"};

START_TEST(support_must_fit_valid_range)
{
    cs_unc_msg m;
    cs_unc_dist n = make2(CS_UNC_NORMAL, "mean", 0.3, "sd", 0.05);
    ck_assert(!cs_unc_dist_fits(&n, &PROBABILITY, &m));
    ck_assert_int_eq(m.status, CS_EINVAL);
    ck_assert_str_eq(m.text, "a normal distribution can leave [0, 1], the valid range of a "
                             "probability: add truncate: [0, 1]");
    ck_assert(!cs_unc_dist_fits(&n, &RATE, &m));
    ck_assert_str_eq(m.text, "a normal distribution can leave [0, .inf), the valid range of a "
                             "rate: add truncate: [0, .inf]");
    cs_unc_dist nt = truncated(n, 0.0, 1.0);
    ck_assert(cs_unc_dist_fits(&nt, &PROBABILITY, &m));
    ck_assert_int_eq(m.status, CS_OK);
    ck_assert_str_eq(m.text, "");

    cs_unc_dist b = make2(CS_UNC_BETA, "mean", 0.3, "sd", 0.06);
    ck_assert(cs_unc_dist_fits(&b, &PROBABILITY, &m));
    ck_assert(cs_unc_dist_fits(&b, &RATE, &m));
    cs_unc_dist g = make2(CS_UNC_GAMMA, "mean", 0.3, "sd", 0.06);
    ck_assert(!cs_unc_dist_fits(&g, &PROBABILITY, &m));
    ck_assert_str_eq(m.text, "a gamma distribution can leave [0, 1], the valid range of a "
                             "probability: add truncate: [0, 1]");
    ck_assert(cs_unc_dist_fits(&g, &ODDS, &m));
    /* Support (0, 3) touches the open end 0 of an odds ratio: draws stay
     * inside, so it fits. */
    cs_unc_dist u = make2(CS_UNC_UNIFORM, "min", 0.0, "max", 3.0);
    ck_assert(cs_unc_dist_fits(&u, &ODDS, &m));
    ck_assert(cs_unc_dist_quantile(&u, 1e-300) > 0.0);
    cs_unc_dist far = make2(CS_UNC_UNIFORM, "min", 2.0, "max", 3.0);
    ck_assert(!cs_unc_dist_fits(&far, &PROBABILITY, &m));
    ck_assert_str_eq(m.text, "a uniform distribution lies outside [0, 1], the valid range of a "
                             "probability");
    cs_unc_dist neg = make2(CS_UNC_UNIFORM, "min", -0.1, "max", 0.4);
    ck_assert(!cs_unc_dist_fits(&neg, &PROBABILITY, &m));
    ck_assert(strstr(m.text, "add truncate: [0, 0.4]"));
    double counts[3] = {1, 2, 3};
    cs_unc_param p = {"counts", 0, counts, 3};
    cs_unc_dist dir = make(CS_UNC_DIRICHLET, &p, 1);
    ck_assert(cs_unc_dist_fits(&dir, &PROBABILITY, NULL));
    ck_assert(!cs_unc_dist_fits(&n, &PROBABILITY, NULL));
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("uncertain_dist");
    TCase *tc = tcase_create("families");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, beta_mean_sd_known_answer);
    tcase_add_test(tc, gamma_known_answers);
    tcase_add_test(tc, lognormal_known_answers);
    tcase_add_test(tc, normal_uniform_triangular_known_answers);
    tcase_add_test(tc, dirichlet_known_answers);
    tcase_add_test(tc, family_names);
    tcase_add_loop_test(tc, broken_rules_are_named, 0, N_BAD);
    tcase_add_test(tc, gamma_beta_quantiles_invert_gsl);
    tcase_add_test(tc, large_shapes_within_gsl_accuracy);
    tcase_add_test(tc, quantile_ends_and_nan);
    tcase_add_test(tc, quantile_of_cdf_is_identity);
    tcase_add_test(tc, pdf_is_derivative_of_cdf);
    tcase_add_test(tc, truncated_moments_closed_forms);
    tcase_add_test(tc, truncation_rules);
    tcase_add_test(tc, support_must_fit_valid_range);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
