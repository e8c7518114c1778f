/*
 * test_rng_samplers.c — GSL samplers drawing through cs_gsl_rng_pcg32 give
 * the right mean and variance.
 *
 * For each sampler, n = 2 * 10^5 draws; the sample mean m and the unbiased
 * sample variance s^2 are compared with the exact mean mu and variance
 * sigma^2 of the distribution in units of their standard errors:
 *   z_mean = (m - mu) / (sigma / sqrt(n)),
 *   z_var  = (s^2 - sigma^2) / sqrt((mu4 - sigma^4) / n),
 * where mu4 is the exact fourth central moment (Var(s^2) = (mu4 - sigma^4)/n
 * + O(1/n^2)). By the CLT both are approximately N(0, 1).
 *
 * k = 5: with 10 samplers x 2 statistics = 20 tests at a two-sided normal tail
 * of 5.7e-7 each, Bonferroni bounds the family's false-alarm probability at
 * 1.2e-5. z_var is the slower to become normal (its skewness is of order
 * kappa / sqrt(n), kappa the standardised third cumulant of (X - mu)^2: at
 * most about 10 here, lognormal with sigma 0.5, hence ~0.02 at this n, which
 * by the Edgeworth correction at most doubles that tail); heavier-tailed
 * parameters (lognormal sigma >= 1) are deliberately not used. The seeds are
 * fixed keyed streams, so results are reproducible. The power is shown by the
 * negative control: a gamma with its scale wrong by 1.3% must fail.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "casesim/rng.h"

#define N_DRAWS 200000u
#define K_SE 5.0

typedef double (*sampler_fn)(const gsl_rng *r, const double *p);

struct sampler_case {
    const char *name;
    sampler_fn draw;
    double p[2];
    double mean, var, mu4; /* exact moments, filled in by moments() */
};

static double draw_gaussian(const gsl_rng *r, const double *p)
{
    return gsl_ran_gaussian(r, p[0]);
}
static double draw_ziggurat(const gsl_rng *r, const double *p)
{
    return gsl_ran_gaussian_ziggurat(r, p[0]);
}
static double draw_gamma(const gsl_rng *r, const double *p)
{
    return gsl_ran_gamma(r, p[0], p[1]);
}
static double draw_beta(const gsl_rng *r, const double *p)
{
    return gsl_ran_beta(r, p[0], p[1]);
}
static double draw_exponential(const gsl_rng *r, const double *p)
{
    return gsl_ran_exponential(r, p[0]);
}
static double draw_lognormal(const gsl_rng *r, const double *p)
{
    return gsl_ran_lognormal(r, p[0], p[1]);
}
static double draw_poisson(const gsl_rng *r, const double *p)
{
    return gsl_ran_poisson(r, p[0]);
}

/* Exact mean, variance and fourth central moment (mu4 = sigma^4 * kurtosis),
 * from the standard formulas (Johnson, Kotz & Balakrishnan). */
static void moments(struct sampler_case *c)
{
    const double a = c->p[0], b = c->p[1];
    double mean, var, kurt; /* kurt: the kurtosis mu4 / sigma^4 (3 for a normal) */
    if (c->draw == draw_gaussian || c->draw == draw_ziggurat) {
        mean = 0.0, var = a * a, kurt = 3.0;
    } else if (c->draw == draw_gamma) { /* shape a, scale b */
        mean = a * b, var = a * b * b, kurt = 3.0 + 6.0 / a;
    } else if (c->draw == draw_beta) {
        double s = a + b;
        mean = a / s;
        var = a * b / (s * s * (s + 1.0));
        kurt = 3.0 + 6.0 * ((a - b) * (a - b) * (s + 1.0) - a * b * (s + 2.0)) /
                         (a * b * (s + 2.0) * (s + 3.0));
    } else if (c->draw == draw_exponential) { /* mean a */
        mean = a, var = a * a, kurt = 9.0;
    } else if (c->draw == draw_lognormal) { /* zeta a, sigma b */
        double w = exp(b * b);
        mean = exp(a + b * b / 2.0);
        var = (w - 1.0) * exp(2.0 * a + b * b);
        kurt = w * w * w * w + 2.0 * w * w * w + 3.0 * w * w - 3.0;
    } else { /* Poisson, mean a: mu4 = a + 3 a^2 */
        mean = a, var = a, kurt = 3.0 + 1.0 / a;
    }
    c->mean = mean;
    c->var = var;
    c->mu4 = kurt * var * var;
}

static struct sampler_case cases[] = {
    {"gaussian sd 2", draw_gaussian, {2.0, 0.0}, 0, 0, 0},
    {"gaussian_ziggurat sd 1.5", draw_ziggurat, {1.5, 0.0}, 0, 0, 0},
    {"gamma shape 0.5 scale 2", draw_gamma, {0.5, 2.0}, 0, 0, 0}, /* a < 1 path */
    {"gamma shape 3 scale 1.5", draw_gamma, {3.0, 1.5}, 0, 0, 0},
    {"beta 2 5", draw_beta, {2.0, 5.0}, 0, 0, 0},
    {"beta 0.5 0.5", draw_beta, {0.5, 0.5}, 0, 0, 0}, /* a, b <= 1: Johnk's method */
    {"exponential mean 2", draw_exponential, {2.0, 0.0}, 0, 0, 0},
    {"lognormal zeta 0.3 sigma 0.5", draw_lognormal, {0.3, 0.5}, 0, 0, 0},
    {"poisson 3.5", draw_poisson, {3.5, 0.0}, 0, 0, 0},
    {"poisson 40", draw_poisson, {40.0, 0.0}, 0, 0, 0}, /* mu > 10: the gamma/binomial path */
};
#define N_CASES (int)(sizeof cases / sizeof cases[0])

/* Draws n values of c through our GSL type from a keyed stream and returns
 * z_mean and z_var against the moments in `truth`. */
static void z_scores(const struct sampler_case *c, const struct sampler_case *truth, uint64_t id,
                     double *z_mean, double *z_var)
{
    gsl_rng *r = gsl_rng_alloc(cs_gsl_rng_pcg32);
    double *x = malloc(N_DRAWS * sizeof *x);
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_nonnull(x);
    const cs_stream_key key = {.seed = 2718, .incident = id, .purpose = CS_STREAM_ANALYSIS};
    cs_pcg32_from_key(cs_gsl_pcg32_state(r), &key);
    double sum = 0.0;
    for (size_t i = 0; i < N_DRAWS; i++) {
        x[i] = c->draw(r, c->p);
        sum += x[i];
    }
    double m = sum / N_DRAWS, ss = 0.0;
    for (size_t i = 0; i < N_DRAWS; i++)
        ss += (x[i] - m) * (x[i] - m);
    double s2 = ss / (N_DRAWS - 1);
    free(x);
    gsl_rng_free(r);
    *z_mean = (m - truth->mean) / sqrt(truth->var / N_DRAWS);
    *z_var = (s2 - truth->var) / sqrt((truth->mu4 - truth->var * truth->var) / N_DRAWS);
}

START_TEST(moments_match)
{
    struct sampler_case c = cases[_i];
    moments(&c);
    ck_assert(c.var > 0.0 && c.mu4 > c.var * c.var);
    double zm, zv;
    z_scores(&c, &c, (uint64_t)_i, &zm, &zv);
    ck_assert_msg(fabs(zm) <= K_SE, "%s: mean off by %.2f SE", c.name, zm);
    ck_assert_msg(fabs(zv) <= K_SE, "%s: variance off by %.2f SE", c.name, zv);
}
END_TEST

START_TEST(wrong_scale_is_detected)
{
    /* Draw gamma(3, 1.5) but test it as gamma(3, 1.52): the mean is off by
     * 0.06 = 10 SE at this n, so the criterion must reject it. */
    struct sampler_case drawn = {"gamma 3 1.5", draw_gamma, {3.0, 1.5}, 0, 0, 0};
    struct sampler_case claimed = {"gamma 3 1.52", draw_gamma, {3.0, 1.52}, 0, 0, 0};
    moments(&claimed);
    double zm, zv;
    z_scores(&drawn, &claimed, 999u, &zm, &zv);
    ck_assert_msg(fabs(zm) > K_SE, "1.3%% scale error not detected (z = %.2f)", zm);
}
END_TEST

START_TEST(moment_formulas_known_answers)
{
    /* The formulas above, at points whose moments are known in closed form:
     * beta(1/2, 1/2) is the arcsine law (variance 1/8, mu4 = 3/128);
     * exponential mean 1 has mu4 = 9; gamma(1, b) is exponential. */
    struct sampler_case arcsine = {"", draw_beta, {0.5, 0.5}, 0, 0, 0};
    moments(&arcsine);
    ck_assert_double_eq_tol(arcsine.var, 0.125, 1e-15);
    ck_assert_double_eq_tol(arcsine.mu4, 3.0 / 128.0, 1e-15);
    struct sampler_case ex = {"", draw_exponential, {1.0, 0.0}, 0, 0, 0};
    struct sampler_case ga = {"", draw_gamma, {1.0, 1.0}, 0, 0, 0};
    moments(&ex);
    moments(&ga);
    ck_assert_double_eq_tol(ex.mu4, 9.0, 1e-15);
    ck_assert_double_eq_tol(ga.mu4, ex.mu4, 1e-12);
    /* Lognormal with sigma -> 0 approaches a normal: kurtosis -> 3. */
    struct sampler_case ln = {"", draw_lognormal, {0.0, 1e-4}, 0, 0, 0};
    moments(&ln);
    ck_assert_double_eq_tol(ln.mu4 / (ln.var * ln.var), 3.0, 1e-6);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rng_samplers");
    TCase *tc = tcase_create("gsl samplers through pcg32");
    tcase_add_test(tc, moment_formulas_known_answers);
    tcase_add_loop_test(tc, moments_match, 0, N_CASES);
    tcase_add_test(tc, wrong_scale_is_detected);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
