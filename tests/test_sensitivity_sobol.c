/* test_sensitivity_sobol.c — Sobol indices through the library's estimators
 * on functions whose indices have a closed form: Ishigami, Sobol's G
 * function, grouped inputs (also beyond 40 Sobol dimensions), a noisy
 * Ishigami with its noise share, missing values, and the bootstrap's
 * standard errors and coverage checked against repeated independent
 * samples.
 *
 * Tolerances: an estimate agrees with the truth when it lies within 4 of its
 * own bootstrap standard errors (false alarm 6.3e-5 per comparison for a
 * normal estimator; less here, because the row bootstrap treats the Sobol
 * rows as independent and so overstates a quasi-random sample's error). That
 * the check can fail is shown in each test on a deliberately wrong input,
 * and the standard errors themselves are checked against the spread of
 * independent estimates (se_and_coverage_match_repeated_samples). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "casesim/rng.h"
#include "casesim/sensitivity.h"

static const double PI = 3.14159265358979323846;

/* A model: writes n_out outputs at the point u of the unit hypercube. */
typedef void model_fn(const double *u, const void *par, double *y);

/* Evaluates model at every point of d: y[p * n_out + o]. */
static double *run_design(const cs_sens_saltelli *d, model_fn *model, const void *par, size_t n_out)
{
    double *y = malloc(d->n_points * n_out * sizeof *y);
    double *u = malloc(d->n_inputs * sizeof *u);
    ck_assert(y && u);
    for (size_t p = 0; p < d->n_points; p++) {
        ck_assert_int_eq(cs_sens_saltelli_point(d, p, u, NULL), CS_OK);
        model(u, par, y + p * n_out);
    }
    free(u);
    return y;
}

static int agrees(const cs_sens_estimate *e, double truth)
{
    return e->se > 0 && fabs(e->value - truth) <= 4 * e->se;
}

static int covers(const cs_sens_estimate *e, double truth)
{
    return e->low <= truth && truth <= e->high;
}

/* ---------------------------------------------------------- Ishigami */

/* f = sin x1 + a sin^2 x2 + b x3^4 sin x1, x_i ~ U(-pi, pi) (Ishigami &
 * Homma 1990). With E sin^2 = 1/2, E sin^4 = 3/8, E x^4 = pi^4/5,
 * E x^8 = pi^8/9:
 *   f = sin x1 (1 + b x3^4) + a sin^2 x2, two independent terms;
 *   V2 = a^2 (3/8 - 1/4) = a^2/8;
 *   E[f | x1] = sin x1 (1 + b pi^4/5) + a/2, so V1 = (1 + b pi^4/5)^2 / 2;
 *   Var(sin x1 (1 + b x3^4)) = (1/2)(1 + 2 b pi^4/5 + b^2 pi^8/9) = V1 + V13,
 *   so V13 = b^2 pi^8 (1/18 - 1/50); V3 = 0;
 *   V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2.
 * a = 7, b = 0.1: S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437. */
typedef struct ishigami_par {
    double a, b;
    double shift;    /* added to f (centring test) */
    double noise_sd; /* 0: none; else heteroscedastic noise, see noisy_model */
    uint64_t key;    /* noise stream: set per evaluation by the caller */
} ishigami_par;

typedef struct ishigami_truth {
    double v, v1, v2, v13, s1[3], st[3];
} ishigami_truth;

static ishigami_truth ishigami_exact(double a, double b)
{
    ishigami_truth t;
    double p4 = pow(PI, 4), p8 = pow(PI, 8);
    t.v1 = 0.5 * (1 + b * p4 / 5) * (1 + b * p4 / 5);
    t.v2 = a * a / 8;
    t.v13 = b * b * p8 * (1.0 / 18 - 1.0 / 50);
    t.v = a * a / 8 + b * p4 / 5 + b * b * p8 / 18 + 0.5;
    ck_assert_double_eq_tol(t.v1 + t.v2 + t.v13, t.v, 1e-12 * t.v);
    double s1[3] = {t.v1 / t.v, t.v2 / t.v, 0};
    double st[3] = {(t.v1 + t.v13) / t.v, t.v2 / t.v, t.v13 / t.v};
    memcpy(t.s1, s1, sizeof s1);
    memcpy(t.st, st, sizeof st);
    return t;
}

static double ishigami_f(const double *u, const ishigami_par *q)
{
    double x1 = -PI + 2 * PI * u[0], x2 = -PI + 2 * PI * u[1], x3 = -PI + 2 * PI * u[2];
    double s2 = sin(x2);
    return sin(x1) + q->a * s2 * s2 + q->b * x3 * x3 * x3 * x3 * sin(x1) + q->shift;
}

static void ishigami(const double *u, const void *par, double *y)
{
    y[0] = ishigami_f(u, par);
}

/* An independent Monte Carlo Saltelli sample of Ishigami (a = 7, b = 0.1):
 * rows i.i.d. uniform from the stream (500 + k, ANALYSIS), in the layout of
 * the design (A, B, A_B^1..3 per row). */
static void iid_sample(size_t k, size_t n, double *y)
{
    cs_stream_key key = {.seed = 500 + k, .purpose = CS_STREAM_ANALYSIS};
    cs_pcg32 g;
    cs_pcg32_from_key(&g, &key);
    ishigami_par par = {7, 0.1, 0, 0, 0};
    for (size_t j = 0; j < n; j++) {
        double a[3], b[3], ab[3];
        for (size_t c = 0; c < 3; c++)
            a[c] = cs_pcg32_uniform_pos(&g);
        for (size_t c = 0; c < 3; c++)
            b[c] = cs_pcg32_uniform_pos(&g);
        y[j * 5] = ishigami_f(a, &par);
        y[j * 5 + 1] = ishigami_f(b, &par);
        for (size_t i = 0; i < 3; i++) {
            memcpy(ab, a, sizeof ab);
            ab[i] = b[i];
            y[j * 5 + 2 + i] = ishigami_f(ab, &par);
        }
    }
}

START_TEST(ishigami_closed_form)
{
    /* The published values (Saltelli et al. 2008, table 4.1 rounding). */
    ishigami_truth t = ishigami_exact(7, 0.1);
    const double s1[3] = {0.3139, 0.4424, 0}, st[3] = {0.5576, 0.4424, 0.2437};
    for (int i = 0; i < 3; i++) {
        ck_assert_double_eq_tol(t.s1[i], s1[i], 5e-5);
        ck_assert_double_eq_tol(t.st[i], st[i], 5e-5);
    }
}
END_TEST

/* Ishigami at N = 2^14 through the estimators: every S1 and ST within 4 SE
 * of the closed form, every 95% interval covering it, SEs small enough that
 * the check means something (< 0.02). The same check rejects b = 0.2. */
START_TEST(ishigami_indices)
{
    ishigami_truth t = ishigami_exact(7, 0.1);
    for (int scramble = 0; scramble <= 1; scramble++) {
        cs_sens_saltelli *d = NULL;
        cs_sens_sobol *r = NULL;
        ck_assert_int_eq(cs_sens_saltelli_alloc(3, NULL, 1 << 14, scramble, 2024, &d, NULL), CS_OK);
        ishigami_par par = {7, 0.1, 0, 0, 0};
        double *y = run_design(d, ishigami, &par, 1);
        ck_assert_int_eq(cs_sens_sobol_analyse(d, y, d->n_rows, 1, NULL, NULL, &r, NULL), CS_OK);
        ck_assert_uint_eq(r->n_boot, CS_SENS_BOOTSTRAP);
        ck_assert_uint_eq(r->output[0].rows_used, 1 << 14);
        ck_assert(agrees(&r->output[0].variance, t.v));
        for (size_t i = 0; i < 3; i++) {
            const cs_sens_sobol_index *x = &r->index[i];
            ck_assert_msg(agrees(&x->s1, t.s1[i]), "S1[%zu] = %g (se %g), exact %g", i, x->s1.value,
                          x->s1.se, t.s1[i]);
            ck_assert_msg(agrees(&x->st, t.st[i]), "ST[%zu] = %g (se %g), exact %g", i, x->st.value,
                          x->st.se, t.st[i]);
            ck_assert(covers(&x->s1, t.s1[i]) && covers(&x->st, t.st[i]));
            ck_assert(x->s1.se < 0.02 && x->st.se < 0.02);
            ck_assert(isnan(x->s1_noiseless.value)); /* no replicated points given */
        }
        cs_sens_sobol_free(r);
        free(y);

        /* A wrong model: the same check must fail somewhere. */
        par.b = 0.2;
        y = run_design(d, ishigami, &par, 1);
        ck_assert_int_eq(cs_sens_sobol_analyse(d, y, d->n_rows, 1, NULL, NULL, &r, NULL), CS_OK);
        int all = 1;
        for (size_t i = 0; i < 3; i++)
            all &= agrees(&r->index[i].s1, t.s1[i]) && agrees(&r->index[i].st, t.st[i]);
        ck_assert(!all);
        cs_sens_sobol_free(r);
        free(y);
        cs_sens_saltelli_free(d);
    }
}
END_TEST

/* The outputs are centred before the S1 estimator: adding 10^4 to f changes
 * no index by more than rounding (the values carry 10^4 x 2^-53 = 1e-12 of
 * absolute rounding; the indices move by less than 1e-9). On independent
 * rows, as here, an uncentred estimator would move S1 by 10^4 x mean(f(A_B^i)
 * - f(A)) / V, about 10^4 x 0.1 / 13.8, tens of units. (On Sobol rows that
 * mean is nearly 0 by balance, so a Sobol sample would hide the mistake.) */
START_TEST(shift_of_the_output_changes_nothing)
{
    enum { N = 4096 };
    cs_sens_saltelli *d = NULL;
    cs_sens_sobol *r0 = NULL, *r1 = NULL;
    ck_assert_int_eq(cs_sens_saltelli_alloc(3, NULL, N, 1, 11, &d, NULL), CS_OK);
    double *y0 = malloc(N * 5 * sizeof *y0), *y1 = malloc(N * 5 * sizeof *y1);
    iid_sample(0, N, y0);
    for (size_t p = 0; p < N * 5; p++)
        y1[p] = y0[p] + 1e4;
    ck_assert_int_eq(cs_sens_sobol_analyse(d, y0, N, 1, NULL, NULL, &r0, NULL), CS_OK);
    ck_assert_int_eq(cs_sens_sobol_analyse(d, y1, N, 1, NULL, NULL, &r1, NULL), CS_OK);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_double_eq_tol(r0->index[i].s1.value, r1->index[i].s1.value, 1e-9);
        ck_assert_double_eq_tol(r0->index[i].st.value, r1->index[i].st.value, 1e-9);
        ck_assert_double_eq_tol(r0->index[i].s1.high, r1->index[i].s1.high, 1e-9);
    }
    ck_assert_double_eq_tol(r1->output[0].mean - r0->output[0].mean, 1e4, 1e-8);
    cs_sens_sobol_free(r0);
    cs_sens_sobol_free(r1);
    free(y0);
    free(y1);
    cs_sens_saltelli_free(d);
}
END_TEST

/* ------------------------------------------------------- G function */

/* Sobol's G function, g = prod (|4 x_i - 2| + a_i) / (1 + a_i) on U(0,1)^8:
 * V_i = 1 / (3 (1 + a_i)^2), V = prod (1 + V_i) - 1,
 * S1_i = V_i / V, ST_i = V_i prod_{j != i} (1 + V_j) / V. */
static const double G_A[8] = {0, 1, 4.5, 9, 99, 99, 99, 99};

static double g_factor(double u, double a)
{
    return (fabs(4 * u - 2) + a) / (1 + a);
}

static void g_function(const double *u, const void *par, double *y)
{
    const double *a = par;
    double g = 1;
    for (size_t i = 0; i < 8; i++)
        g *= g_factor(u[i], a[i]);
    y[0] = g;
}

static void g_exact(const double *a, size_t k, double *s1, double *st)
{
    double vi[8], prod = 1;
    for (size_t i = 0; i < k; i++) {
        vi[i] = 1.0 / (3 * (1 + a[i]) * (1 + a[i]));
        prod *= 1 + vi[i];
    }
    double v = prod - 1;
    for (size_t i = 0; i < k; i++) {
        s1[i] = vi[i] / v;
        st[i] = vi[i] * prod / (1 + vi[i]) / v;
    }
}

START_TEST(g_function_indices)
{
    double s1[8], st[8];
    g_exact(G_A, 8, s1, st);
    /* By hand: V_i = 1/3, 1/12, 1/90.75, 1/300, 4 x 1/30000; V = 0.465428. */
    ck_assert_double_eq_tol(s1[0], (1.0 / 3) / 0.465428, 1e-5);
    cs_sens_saltelli *d = NULL;
    cs_sens_sobol *r = NULL;
    ck_assert_int_eq(cs_sens_saltelli_alloc(8, NULL, 1 << 14, 1, 77, &d, NULL), CS_OK);
    double *y = run_design(d, g_function, G_A, 1);
    ck_assert_int_eq(cs_sens_sobol_analyse(d, y, d->n_rows, 1, NULL, NULL, &r, NULL), CS_OK);
    for (size_t i = 0; i < 8; i++) {
        ck_assert_msg(agrees(&r->index[i].s1, s1[i]), "S1[%zu] = %g (se %g), exact %g", i,
                      r->index[i].s1.value, r->index[i].s1.se, s1[i]);
        ck_assert_msg(agrees(&r->index[i].st, st[i]), "ST[%zu] = %g (se %g), exact %g", i,
                      r->index[i].st.value, r->index[i].st.se, st[i]);
        ck_assert(covers(&r->index[i].s1, s1[i]) && covers(&r->index[i].st, st[i]));
    }
    /* Wrong input: the truths of inputs 0 and 1 swapped must be rejected. */
    ck_assert(!agrees(&r->index[0].s1, s1[1]) || !agrees(&r->index[1].s1, s1[0]));
    cs_sens_sobol_free(r);
    free(y);
    cs_sens_saltelli_free(d);
}
END_TEST

/* ------------------------------------------------------------ groups */

/* Ishigami with x1 and x3 in one group: f = h(x1, x3) + a sin^2 x2 with h
 * and x2's term independent, so the group's first-order and total indices
 * are both (V1 + V3 + V13) / V = 1 - V2 / V = 0.5576, and x2's both
 * V2 / V = 0.4424. The ungrouped S1 of x1 (0.3139) must be rejected. */
START_TEST(grouped_ishigami)
{
    ishigami_truth t = ishigami_exact(7, 0.1);
    const size_t group[3] = {0, 1, 0};
    double g13 = (t.v1 + t.v13) / t.v, g2 = t.v2 / t.v;
    cs_sens_saltelli *d = NULL;
    cs_sens_sobol *r = NULL;
    ck_assert_int_eq(cs_sens_saltelli_alloc(3, group, 1 << 14, 1, 5, &d, NULL), CS_OK);
    ck_assert_uint_eq(d->n_factors, 2);
    ishigami_par par = {7, 0.1, 0, 0, 0};
    double *y = run_design(d, ishigami, &par, 1);
    ck_assert_int_eq(cs_sens_sobol_analyse(d, y, d->n_rows, 1, NULL, NULL, &r, NULL), CS_OK);
    ck_assert(agrees(&r->index[0].s1, g13) && agrees(&r->index[0].st, g13));
    ck_assert(agrees(&r->index[1].s1, g2) && agrees(&r->index[1].st, g2));
    ck_assert(covers(&r->index[0].s1, g13) && covers(&r->index[1].st, g2));
    ck_assert(!agrees(&r->index[0].s1, t.s1[0]));
    cs_sens_sobol_free(r);
    free(y);
    cs_sens_saltelli_free(d);
}
END_TEST

/* 24 G-function inputs in 6 groups of 4 (48 coordinates: beyond 40 Sobol
 * dimensions, so 3 inputs of each group are padded). With every input of
 * group g sharing a_g, and P_g = prod over the group of (1 + V_i):
 * first order V_g = P_g - 1 (the group's own product of terms), total
 * VT_g = (P_g - 1) prod_{h != g} P_h, V = prod P_g - 1. */
static const double GROUP_A[6] = {0, 1, 4.5, 9, 99, 99};

static void g24(const double *u, const void *par, double *y)
{
    (void)par;
    double g = 1;
    for (size_t c = 0; c < 24; c++)
        g *= g_factor(u[c], GROUP_A[c / 4]);
    y[0] = g;
}

START_TEST(grouped_g_function_beyond_40_dimensions)
{
    double p[6], all = 1;
    for (size_t g = 0; g < 6; g++) {
        double vi = 1.0 / (3 * (1 + GROUP_A[g]) * (1 + GROUP_A[g]));
        p[g] = pow(1 + vi, 4);
        all *= p[g];
    }
    size_t group[24];
    for (size_t c = 0; c < 24; c++)
        group[c] = c / 4;
    cs_sens_saltelli *d = NULL;
    cs_sens_sobol *r = NULL;
    ck_assert_int_eq(cs_sens_saltelli_alloc(24, group, 1 << 14, 1, 8, &d, NULL), CS_OK);
    ck_assert_uint_eq(d->n_sobol, 12);
    double *y = run_design(d, g24, NULL, 1);
    ck_assert_int_eq(cs_sens_sobol_analyse(d, y, d->n_rows, 1, NULL, NULL, &r, NULL), CS_OK);
    for (size_t g = 0; g < 6; g++) {
        double s1 = (p[g] - 1) / (all - 1), st = (p[g] - 1) * all / p[g] / (all - 1);
        ck_assert_msg(agrees(&r->index[g].s1, s1), "S1[%zu] = %g (se %g), exact %g", g,
                      r->index[g].s1.value, r->index[g].s1.se, s1);
        ck_assert_msg(agrees(&r->index[g].st, st), "ST[%zu] = %g (se %g), exact %g", g,
                      r->index[g].st.value, r->index[g].st.se, st);
    }
    /* Wrong input: group 0's indices if it held one input instead of four. */
    double v0 = 1.0 / 3;
    ck_assert(!agrees(&r->index[0].s1, v0 / (all - 1)));
    cs_sens_sobol_free(r);
    free(y);
    cs_sens_saltelli_free(d);
}
END_TEST

/* ------------------------------------------------------------- noise */

/* A standard normal from the stream keyed (seed, ANALYSIS, replicate = the
 * design point, group = the repeat): Box-Muller. */
static double normal_of(uint64_t point, uint64_t repeat)
{
    cs_stream_key key = {
        .seed = 99, .replicate = point, .group = repeat, .purpose = CS_STREAM_ANALYSIS};
    cs_pcg32 g;
    cs_pcg32_from_key(&g, &key);
    double u1 = cs_pcg32_uniform_pos(&g), u2 = cs_pcg32_uniform_pos(&g);
    return sqrt(-2 * log(u1)) * cos(2 * PI * u2);
}

/* Noisy Ishigami: y = f(x) + sigma(x) z with sigma^2(x) = s0^2 (1 + sin(x2)
 * / 2), heteroscedastic with mean E sigma^2 = s0^2 (E sin x2 = 0). */
static double noisy(const double *u, const ishigami_par *q, uint64_t point, uint64_t repeat)
{
    double x2 = -PI + 2 * PI * u[1];
    double sd = q->noise_sd * sqrt(1 + 0.5 * sin(x2));
    return ishigami_f(u, q) + sd * normal_of(point, repeat);
}

/* Every design point its own noise (repeat 0); base points j < m (rows of
 * A) repeated r times with repeats 1..r. */
static void run_noisy(const cs_sens_saltelli *d, const ishigami_par *q, size_t m, size_t r,
                      double *y, double *rep)
{
    double u[3];
    for (size_t p = 0; p < d->n_points; p++) {
        cs_sens_saltelli_point(d, p, u, NULL);
        y[p] = noisy(u, q, p, 0);
    }
    for (size_t j = 0; j < m; j++) {
        size_t p = cs_sens_saltelli_index(d, j, 0);
        cs_sens_saltelli_point(d, p, u, NULL);
        for (size_t k = 0; k < r; k++)
            rep[j * r + k] = noisy(u, q, p, 1 + k);
    }
}

/* With mean noise variance s0^2 = V (the model's own variance), each point
 * run with its own seed:
 *   noise share s0^2 / (V + s0^2) = 1/2;
 *   S1_i = V_i / (V + s0^2) (the noise cancels in the S1 numerator);
 *   ST_i = (VT_i + s0^2) / (V + s0^2) (Jansen's numerator gains s0^2);
 *   the noise-corrected indices equal the noiseless Ishigami's.
 * N = 2^13, 512 base points x 4 repeats. Wrong input: the uncorrected ST
 * must not pass for the noiseless truth. */
START_TEST(noisy_ishigami)
{
    ishigami_truth t = ishigami_exact(7, 0.1);
    const size_t m = 512, nr = 4;
    ishigami_par q = {7, 0.1, 0, sqrt(t.v), 0};
    double s0 = t.v, vt = t.v + s0;
    cs_sens_saltelli *d = NULL;
    cs_sens_sobol *r = NULL;
    ck_assert_int_eq(cs_sens_saltelli_alloc(3, NULL, 1 << 13, 1, 31, &d, NULL), CS_OK);
    double *y = malloc(d->n_points * sizeof *y), *rep = malloc(m * nr * sizeof *rep);
    run_noisy(d, &q, m, nr, y, rep);
    cs_sens_replicates noise = {rep, m, nr};
    ck_assert_int_eq(cs_sens_sobol_analyse(d, y, d->n_rows, 1, &noise, NULL, &r, NULL), CS_OK);
    const cs_sens_sobol_output *o = &r->output[0];
    ck_assert_uint_eq(o->noise_points_used, m);
    ck_assert_msg(agrees(&o->noise_share, s0 / vt), "share %g (se %g)", o->noise_share.value,
                  o->noise_share.se);
    ck_assert(agrees(&o->noise_variance, s0) && agrees(&o->variance, vt));
    double vti[3] = {t.v1 + t.v13, t.v2, t.v13}, vi[3] = {t.v1, t.v2, 0};
    int wrong = 1;
    for (size_t i = 0; i < 3; i++) {
        const cs_sens_sobol_index *x = &r->index[i];
        ck_assert_msg(agrees(&x->s1_noiseless, t.s1[i]), "S1n[%zu] = %g (se %g), exact %g", i,
                      x->s1_noiseless.value, x->s1_noiseless.se, t.s1[i]);
        ck_assert_msg(agrees(&x->st_noiseless, t.st[i]), "STn[%zu] = %g (se %g), exact %g", i,
                      x->st_noiseless.value, x->st_noiseless.se, t.st[i]);
        ck_assert(agrees(&x->s1, vi[i] / vt));
        ck_assert(agrees(&x->st, (vti[i] + s0) / vt));
        wrong &= agrees(&x->st, t.st[i]);
    }
    ck_assert(!wrong);

    /* The noise variance from the replicates alone. */
    double sigma2, se;
    size_t used;
    ck_assert_int_eq(cs_sens_noise_variance(&noise, 1, &sigma2, &se, &used, NULL), CS_OK);
    ck_assert_uint_eq(used, m);
    ck_assert_double_eq_tol(sigma2, o->noise_variance.value, 1e-12 * sigma2);
    ck_assert_double_le(fabs(sigma2 - s0), 4 * se);
    cs_sens_sobol_free(r);
    free(y);
    free(rep);
    cs_sens_saltelli_free(d);
}
END_TEST

/* Within-point variances by hand: point 0 {1, 2, 3} has s^2 = 1, point 1
 * {2, 4, 6} has s^2 = 4, point 2 {5, 5, NaN} is left out: sigma^2 = 2.5,
 * se = sd{1, 4} / sqrt 2 = (3 / sqrt 2) / sqrt 2 = 1.5. */
START_TEST(noise_variance_by_hand)
{
    const double y[9] = {1, 2, 3, 2, 4, 6, 5, 5, NAN};
    cs_sens_replicates rep = {y, 3, 3};
    double sigma2, se;
    size_t used;
    ck_assert_int_eq(cs_sens_noise_variance(&rep, 1, &sigma2, &se, &used, NULL), CS_OK);
    ck_assert_uint_eq(used, 2);
    ck_assert_double_eq_tol(sigma2, 2.5, 1e-15);
    ck_assert_double_eq_tol(se, 1.5, 1e-15);
    rep.n_repeats = 1;
    ck_assert_int_eq(cs_sens_noise_variance(&rep, 1, &sigma2, NULL, NULL, NULL), CS_EINVAL);
}
END_TEST

/* ------------------------------------------------ missing values, outputs */

/* Output 0 is Ishigami with a NaN in A_B^(j mod 3) of rows j = 3 mod 8 and
 * an infinity in A of rows j = 5 mod 8; output 1 is clean. Output 0 drops
 * exactly those rows, and its estimates equal those on the surviving rows
 * alone; output 1 is analysed exactly as if it were alone (same resampled
 * rows, bit for bit). */
static void two_outputs(const double *u, const void *par, double *y)
{
    y[0] = y[1] = ishigami_f(u, par);
}

START_TEST(missing_values_drop_rows)
{
    const size_t n = 1024, per = 5;
    cs_sens_saltelli *d = NULL;
    cs_sens_sobol *r = NULL, *r1 = NULL, *rc = NULL;
    ck_assert_int_eq(cs_sens_saltelli_alloc(3, NULL, n, 1, 4, &d, NULL), CS_OK);
    ishigami_par par = {7, 0.1, 0, 0, 0};
    double *y = run_design(d, two_outputs, &par, 2);
    double *clean = malloc(n * per * sizeof *clean), *kept = malloc(n * per * sizeof *kept);
    size_t used = 0;
    for (size_t j = 0; j < n; j++) {
        if (j % 8 == 3)
            y[(j * per + 2 + j % 3) * 2] = NAN;
        if (j % 8 == 5)
            y[(j * per) * 2] = -INFINITY;
        for (size_t m = 0; m < per; m++)
            clean[j * per + m] = y[(j * per + m) * 2 + 1];
        if (j % 8 != 3 && j % 8 != 5)
            for (size_t m = 0; m < per; m++)
                kept[used * per + m] = y[(j * per + m) * 2];
        used += j % 8 != 3 && j % 8 != 5;
    }
    ck_assert_int_eq(cs_sens_sobol_analyse(d, y, n, 2, NULL, NULL, &r, NULL), CS_OK);
    ck_assert_uint_eq(r->output[0].rows_dropped, n / 4);
    ck_assert_uint_eq(r->output[0].rows_used, used);
    ck_assert_uint_eq(r->output[1].rows_dropped, 0);
    ck_assert_int_eq(cs_sens_sobol_analyse(d, clean, n, 1, NULL, NULL, &r1, NULL), CS_OK);
    ck_assert_mem_eq(&r1->index[0], &r->index[3], 3 * sizeof r->index[0]);
    ck_assert_int_eq(cs_sens_sobol_analyse(d, kept, used, 1, NULL, NULL, &rc, NULL), CS_OK);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_double_eq_tol(rc->index[i].s1.value, r->index[i].s1.value, 1e-12);
        ck_assert_double_eq_tol(rc->index[i].st.value, r->index[i].st.value, 1e-12);
    }
    cs_sens_sobol_free(r);
    cs_sens_sobol_free(r1);
    cs_sens_sobol_free(rc);
    free(y);
    free(clean);
    free(kept);
    cs_sens_saltelli_free(d);
}
END_TEST

/* An interrupted run has its first complete rows: any n_rows from 2 to N is
 * accepted; the same call gives the same bits; arguments are checked. */
START_TEST(partial_rows_options_and_refusals)
{
    cs_sens_saltelli *d = NULL;
    cs_sens_sobol *r = NULL, *r2 = NULL;
    ck_assert_int_eq(cs_sens_saltelli_alloc(3, NULL, 256, 1, 4, &d, NULL), CS_OK);
    ishigami_par par = {7, 0.1, 0, 0, 0};
    double *y = run_design(d, ishigami, &par, 1);
    cs_sens_options opt = {200, 0.9};
    ck_assert_int_eq(cs_sens_sobol_analyse(d, y, 251, 1, NULL, &opt, &r, NULL), CS_OK);
    ck_assert_int_eq(cs_sens_sobol_analyse(d, y, 251, 1, NULL, &opt, &r2, NULL), CS_OK);
    ck_assert_uint_eq(r->n_rows, 251);
    ck_assert_uint_eq(r->n_boot, 200);
    ck_assert_double_eq(r->level, 0.9);
    ck_assert_mem_eq(r->index, r2->index, 3 * sizeof *r->index);
    ck_assert_mem_eq(r->output, r2->output, sizeof *r->output);
    cs_sens_sobol_free(r);
    cs_sens_sobol_free(r2);
    cs_error err;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_sens_sobol_analyse(d, y, 1, 1, NULL, NULL, &r, &err), CS_EINVAL);
    ck_assert_int_eq(cs_sens_sobol_analyse(d, y, 257, 1, NULL, NULL, &r, &err), CS_EINVAL);
    ck_assert_int_eq(cs_sens_sobol_analyse(d, y, 256, 0, NULL, NULL, &r, &err), CS_EINVAL);
    opt = (cs_sens_options){0, 0.95};
    ck_assert_int_eq(cs_sens_sobol_analyse(d, y, 256, 1, NULL, &opt, &r, &err), CS_EINVAL);
    opt = (cs_sens_options){100, 1.0};
    ck_assert_int_eq(cs_sens_sobol_analyse(d, y, 256, 1, NULL, &opt, &r, &err), CS_EINVAL);
    cs_sens_replicates one = {y, 10, 1};
    ck_assert_int_eq(cs_sens_sobol_analyse(d, y, 256, 1, &one, NULL, &r, &err), CS_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_uint_eq(err.count, 6);
    /* A constant output has no variance to share: every index undefined. */
    for (size_t p = 0; p < d->n_points; p++)
        y[p] = 3;
    ck_assert_int_eq(cs_sens_sobol_analyse(d, y, 256, 1, NULL, NULL, &r, NULL), CS_OK);
    ck_assert(isnan(r->index[0].s1.value) && isnan(r->index[2].st.high));
    cs_sens_sobol_free(r);
    free(y);
    cs_sens_saltelli_free(d);
}
END_TEST

/* ----------------------------------------- standard errors and coverage */

/* Ishigami on K = 200 independent Monte Carlo Saltelli samples (rows i.i.d.
 * uniform, the situation the row bootstrap assumes), N = 512, 400 resamples.
 * For each of the 6 indices:
 *   - the mean bootstrap SE matches the sd of the K estimates. The sample
 *     sd has standard error sd sqrt((kurt - 1) / (4K)) (kurt: the sample
 *     kurtosis of the estimates), the mean SE sd(se) / sqrt(K); the two
 *     must agree within 4 combined standard errors (false alarm 6e-5);
 *   - the 95% percentile intervals cover the truth in 95% of samples,
 *     within 4 binomial standard errors sqrt(0.95 x 0.05 / K) = 0.0154.
 * Wrong input: SEs twice too large must fail the first check. */
typedef struct se_study {
    double est[200], se[200];
    int cover;
} se_study;

static void check_study(const se_study *s, size_t k, double truth)
{
    double mean = 0, m2 = 0, m4 = 0, mse = 0, vse = 0;
    for (size_t i = 0; i < k; i++) {
        mean += s->est[i] / (double)k;
        mse += s->se[i] / (double)k;
    }
    for (size_t i = 0; i < k; i++) {
        double e = s->est[i] - mean;
        m2 += e * e / (double)k;
        m4 += e * e * e * e / (double)k;
        vse += (s->se[i] - mse) * (s->se[i] - mse) / (double)(k - 1);
    }
    double sd = sqrt(m2 * (double)k / (double)(k - 1)), kurt = m4 / (m2 * m2);
    double tol = 4 * sqrt(sd * sd * (kurt - 1) / (4.0 * (double)k) + vse / (double)k);
    double cover = (double)s->cover / (double)k, ctol = 4 * sqrt(0.95 * 0.05 / (double)k);
    ck_assert_msg(fabs(mse - sd) <= tol, "mean se %g, sd %g, tolerance %g", mse, sd, tol);
    ck_assert_msg(fabs(2 * mse - sd) > tol, "the check cannot fail");
    ck_assert_msg(fabs(cover - 0.95) <= ctol, "coverage %g of truth %g", cover, truth);
}

START_TEST(se_and_coverage_match_repeated_samples)
{
    enum { K = 200, N = 512 };
    ishigami_truth t = ishigami_exact(7, 0.1);
    se_study *study = calloc(6, sizeof *study);
    double *y = malloc(N * 5 * sizeof *y);
    cs_sens_options opt = {400, 0.95};
    for (size_t k = 0; k < K; k++) {
        cs_sens_saltelli *d = NULL;
        cs_sens_sobol *r = NULL;
        ck_assert_int_eq(cs_sens_saltelli_alloc(3, NULL, N, 0, 1000 + k, &d, NULL), CS_OK);
        iid_sample(k, N, y);
        ck_assert_int_eq(cs_sens_sobol_analyse(d, y, N, 1, NULL, &opt, &r, NULL), CS_OK);
        for (size_t i = 0; i < 3; i++) {
            const cs_sens_estimate *e[2] = {&r->index[i].s1, &r->index[i].st};
            double truth[2] = {t.s1[i], t.st[i]};
            for (size_t w = 0; w < 2; w++) {
                study[2 * i + w].est[k] = e[w]->value;
                study[2 * i + w].se[k] = e[w]->se;
                study[2 * i + w].cover += covers(e[w], truth[w]);
            }
        }
        cs_sens_sobol_free(r);
        cs_sens_saltelli_free(d);
    }
    for (size_t i = 0; i < 3; i++) {
        check_study(&study[2 * i], K, t.s1[i]);
        check_study(&study[2 * i + 1], K, t.st[i]);
    }
    free(study);
    free(y);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("sensitivity_sobol");
    TCase *tc = tcase_create("sobol");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, ishigami_closed_form);
    tcase_add_test(tc, ishigami_indices);
    tcase_add_test(tc, shift_of_the_output_changes_nothing);
    tcase_add_test(tc, g_function_indices);
    tcase_add_test(tc, grouped_ishigami);
    tcase_add_test(tc, grouped_g_function_beyond_40_dimensions);
    tcase_add_test(tc, noisy_ishigami);
    tcase_add_test(tc, noise_variance_by_hand);
    tcase_add_test(tc, missing_values_drop_rows);
    tcase_add_test(tc, partial_rows_options_and_refusals);
    tcase_add_test(tc, se_and_coverage_match_repeated_samples);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
