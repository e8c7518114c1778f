/* test_sensitivity_morris.c — Morris's elementary effects on functions
 * whose effects are known exactly (linear: mu* = |c_i|, sigma = 0; a
 * product with a closed-form mean and spread), the design's properties, and
 * the one-way (tornado) swings. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "casesim/sensitivity.h"

/* Evaluates y = f(u) at every point of d (one output). */
static double *run_morris(const cs_sens_morris *d, double (*f)(const double *u, const void *),
                          const void *par)
{
    double *y = malloc(d->n_points * sizeof *y), *u = malloc(d->n_inputs * sizeof *u);
    ck_assert(y && u);
    for (size_t p = 0; p < d->n_points; p++) {
        ck_assert_int_eq(cs_sens_morris_point(d, p, u, NULL, NULL), CS_OK);
        y[p] = f(u, par);
    }
    free(u);
    return y;
}

static const double COEF[5] = {3, -2, 0.5, 0, 10};

static double linear(const double *u, const void *par)
{
    const double *c = par;
    double s = 0;
    for (size_t i = 0; i < 5; i++)
        s += c[i] * u[i];
    return s;
}

static double with_square(const double *u, const void *par)
{
    return linear(u, par) + u[0] * u[0];
}

/* Linear f = sum c_i u_i: every effect is c_i, so mu = c_i, mu* = |c_i| and
 * sigma = 0 up to rounding (1e-12), and mu*'s bootstrap interval is the
 * point; for p = 4 and p = 6. Wrong input: adding u_1^2 makes sigma_1 > 0. */
START_TEST(linear_function_exact)
{
    const size_t levels[2] = {4, 6};
    for (size_t l = 0; l < 2; l++) {
        cs_sens_morris *d = NULL;
        cs_sens_morris_result *r = NULL;
        ck_assert_int_eq(cs_sens_morris_alloc(5, NULL, levels[l], 20, 3, &d, NULL), CS_OK);
        double *y = run_morris(d, linear, COEF);
        ck_assert_int_eq(cs_sens_morris_analyse(d, y, 20, 1, NULL, NULL, &r, NULL), CS_OK);
        for (size_t i = 0; i < 5; i++) {
            const cs_sens_ee *e = &r->ee[i];
            ck_assert_uint_eq(e->n_effects, 20);
            ck_assert_double_eq_tol(e->mu, COEF[i], 1e-12);
            ck_assert_double_eq_tol(e->mu_star.value, fabs(COEF[i]), 1e-12);
            ck_assert_double_le(e->sigma, 1e-12);
            ck_assert_double_eq_tol(e->mu_star.low, fabs(COEF[i]), 1e-12);
            ck_assert_double_eq_tol(e->mu_star.high, fabs(COEF[i]), 1e-12);
            ck_assert(isnan(e->mu_natural));
        }
        cs_sens_morris_result_free(r);
        free(y);
        y = run_morris(d, with_square, COEF);
        ck_assert_int_eq(cs_sens_morris_analyse(d, y, 20, 1, NULL, NULL, &r, NULL), CS_OK);
        ck_assert_double_gt(r->ee[0].sigma, 1e-12);
        cs_sens_morris_result_free(r);
        free(y);
        cs_sens_morris_free(d);
    }
}
END_TEST

/* Inputs on their natural scale: x_c = Q_c(u) = -ln(1 - u) / rate_c
 * (exponential), f = sum c_i x_i. Per natural unit every effect is c_i
 * exactly (mu_natural = c_i, sigma_natural = 0 up to rounding, 1e-9
 * relative); on the quantile scale the effects vary with the level (sigma >
 * 0.1 |c_i|). */
static const double RATE[5] = {1, 0.5, 2, 1, 0.1};

static double exponential_q(double u, double rate)
{
    return -log1p(-u) / rate;
}

static double natural_linear(const double *u, const void *par)
{
    (void)par;
    double s = 0;
    for (size_t i = 0; i < 5; i++)
        s += COEF[i] * exponential_q(u[i], RATE[i]);
    return s;
}

START_TEST(natural_units)
{
    const size_t p = 4;
    cs_sens_morris *d = NULL;
    cs_sens_morris_result *r = NULL;
    ck_assert_int_eq(cs_sens_morris_alloc(5, NULL, p, 30, 8, &d, NULL), CS_OK);
    double nat[5 * 4];
    for (size_t c = 0; c < 5; c++)
        for (size_t k = 0; k < p; k++)
            nat[c * p + k] = exponential_q((k + 0.5) / p, RATE[c]);
    double *y = run_morris(d, natural_linear, NULL);
    ck_assert_int_eq(cs_sens_morris_analyse(d, y, 30, 1, nat, NULL, &r, NULL), CS_OK);
    for (size_t i = 0; i < 5; i++) {
        const cs_sens_ee *e = &r->ee[i];
        double scale = fabs(COEF[i]) + 1;
        ck_assert_double_eq_tol(e->mu_natural, COEF[i], 1e-9 * scale);
        ck_assert_double_eq_tol(e->mu_star_natural, fabs(COEF[i]), 1e-9 * scale);
        ck_assert_double_le(e->sigma_natural, 1e-9 * scale);
        if (COEF[i] != 0)
            ck_assert_double_gt(e->sigma, 0.1 * fabs(COEF[i]));
    }
    cs_sens_morris_result_free(r);
    free(y);
    cs_sens_morris_free(d);
}
END_TEST

/* f = u1 u2 on p = 4 levels: the effect of u1 is u2's level at that step,
 * uniform over {1/8, 3/8, 5/8, 7/8}: mu = mu* = 1/2, sigma = sqrt(20/256) =
 * 0.2795, kurtosis 41/25. r = 400 trajectories: mu* within 4 bootstrap SE
 * (about 0.014), its interval covering 1/2; sigma within 4 of its standard
 * error sigma sqrt((kurt - 1) / (4r)) = 0.0056 (false alarm 6e-5 each).
 * Wrong input: mu* = 0.4 must be rejected. */
static double product(const double *u, const void *par)
{
    (void)par;
    return u[0] * u[1];
}

START_TEST(product_effects)
{
    const size_t r = 400;
    cs_sens_morris *d = NULL;
    cs_sens_morris_result *res = NULL;
    ck_assert_int_eq(cs_sens_morris_alloc(2, NULL, 4, r, 12, &d, NULL), CS_OK);
    double *y = run_morris(d, product, NULL);
    ck_assert_int_eq(cs_sens_morris_analyse(d, y, r, 1, NULL, NULL, &res, NULL), CS_OK);
    double sigma = sqrt(20.0 / 256), se_sigma = sigma * sqrt((41.0 / 25 - 1) / (4.0 * r));
    for (size_t i = 0; i < 2; i++) {
        const cs_sens_ee *e = &res->ee[i];
        ck_assert_double_le(fabs(e->mu_star.value - 0.5), 4 * e->mu_star.se);
        ck_assert(e->mu_star.low <= 0.5 && 0.5 <= e->mu_star.high);
        ck_assert_double_le(fabs(e->sigma - sigma), 4 * se_sigma);
        ck_assert_double_gt(fabs(e->mu_star.value - 0.4), 4 * e->mu_star.se);
        ck_assert_double_lt(e->mu_star.se, 0.02);
    }
    cs_sens_morris_result_free(res);
    free(y);
    cs_sens_morris_free(d);
}
END_TEST

/* A group's inputs move together in one direction: f = 2 u1 + 3 u2 + u3
 * with u1, u2 grouped has group effect 2 + 3 = 5 at every step (mu = 5,
 * sigma = 0), and no natural unit. */
static double grouped_linear(const double *u, const void *par)
{
    (void)par;
    return 2 * u[0] + 3 * u[1] + u[2];
}

START_TEST(group_moves_together)
{
    const size_t group[3] = {0, 0, 1};
    cs_sens_morris *d = NULL;
    cs_sens_morris_result *r = NULL;
    ck_assert_int_eq(cs_sens_morris_alloc(3, group, 0, 25, 2, &d, NULL), CS_OK);
    ck_assert_uint_eq(d->n_levels, 4);
    ck_assert_uint_eq(d->n_factors, 2);
    const double nat[12] = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3};
    double *y = run_morris(d, grouped_linear, NULL);
    ck_assert_int_eq(cs_sens_morris_analyse(d, y, 25, 1, nat, NULL, &r, NULL), CS_OK);
    ck_assert_double_eq_tol(r->ee[0].mu, 5, 1e-12);
    ck_assert_double_le(r->ee[0].sigma, 1e-12);
    ck_assert(isnan(r->ee[0].mu_natural));
    ck_assert_double_eq_tol(r->ee[1].mu, 1, 1e-12);
    /* x3's natural value is its level number k: a step changes it by 2
     * and y by 1/2, so 1/4 per natural unit. */
    ck_assert_double_eq_tol(r->ee[1].mu_natural, 0.25, 1e-12);
    cs_sens_morris_result_free(r);
    free(y);
    cs_sens_morris_free(d);
}
END_TEST

/* The design: consecutive points of a trajectory differ in exactly one
 * factor's inputs, all by the same +/- 1/2; each factor moves once; points
 * lie on the grid (k + 1/2) / p inside (0, 1). Start levels are uniform over
 * the p levels: over 4000 trajectories each level's share is 1/4 within 4
 * binomial standard errors (0.0068). */
static void check_trajectory(const cs_sens_morris *d, size_t t, const size_t *group)
{
    size_t k = d->n_inputs, nd = d->n_factors, moved[4] = {0};
    double u0[5], u1[5];
    size_t lv[5];
    cs_sens_morris_point(d, t * (nd + 1), u0, lv, NULL);
    for (size_t s = 1; s <= nd; s++) {
        cs_sens_morris_point(d, t * (nd + 1) + s, u1, lv, NULL);
        size_t f = SIZE_MAX;
        double step = 0;
        for (size_t c = 0; c < k; c++) {
            ck_assert(u1[c] > 0 && u1[c] < 1);
            ck_assert_double_eq(u1[c], (lv[c] + 0.5) / d->n_levels);
            if (u1[c] == u0[c])
                continue;
            ck_assert(f == SIZE_MAX || f == group[c]);
            ck_assert(step == 0 || step == u1[c] - u0[c]);
            f = group[c];
            step = u1[c] - u0[c];
        }
        ck_assert_uint_ne(f, SIZE_MAX);
        ck_assert_double_eq(fabs(step), 0.5);
        for (size_t c = 0; c < k; c++) /* every input of the factor moved */
            ck_assert(group[c] != f || u1[c] != u0[c]);
        moved[f]++;
        memcpy(u0, u1, sizeof u0);
    }
    for (size_t f = 0; f < nd; f++)
        ck_assert_uint_eq(moved[f], 1);
}

START_TEST(design_properties)
{
    const size_t group[5] = {0, 1, 1, 2, 3}, r = 4000;
    cs_sens_morris *d = NULL;
    ck_assert_int_eq(cs_sens_morris_alloc(5, group, 4, r, 21, &d, NULL), CS_OK);
    ck_assert_uint_eq(d->n_points, r * 5);
    size_t count[4] = {0}, lv[5];
    double u[5];
    for (size_t t = 0; t < r; t++) {
        check_trajectory(d, t, group);
        cs_sens_morris_point(d, t * 5, u, lv, NULL);
        count[lv[1]]++;
    }
    for (size_t k = 0; k < 4; k++)
        ck_assert_double_le(fabs(count[k] / (double)r - 0.25), 4 * sqrt(0.25 * 0.75 / r));
    cs_sens_morris_free(d);
}
END_TEST

/* Points depend on (design, index) only: backwards, or from a design with
 * fewer trajectories, the bits are the same; another seed differs. */
START_TEST(points_reproducible_by_index)
{
    cs_sens_morris *d = NULL, *e = NULL, *f = NULL;
    ck_assert_int_eq(cs_sens_morris_alloc(4, NULL, 6, 20, 5, &d, NULL), CS_OK);
    ck_assert_int_eq(cs_sens_morris_alloc(4, NULL, 6, 10, 5, &e, NULL), CS_OK);
    ck_assert_int_eq(cs_sens_morris_alloc(4, NULL, 6, 20, 6, &f, NULL), CS_OK);
    double *fwd = malloc(d->n_points * 4 * sizeof *fwd), u[4];
    int differs = 0;
    for (size_t p = 0; p < d->n_points; p++)
        cs_sens_morris_point(d, p, fwd + 4 * p, NULL, NULL);
    for (size_t p = d->n_points; p-- > 0;) {
        cs_sens_morris_point(d, p, u, NULL, NULL);
        ck_assert_mem_eq(u, fwd + 4 * p, sizeof u);
        if (p < e->n_points) {
            cs_sens_morris_point(e, p, u, NULL, NULL);
            ck_assert_mem_eq(u, fwd + 4 * p, sizeof u);
        }
        cs_sens_morris_point(f, p, u, NULL, NULL);
        differs |= memcmp(u, fwd + 4 * p, sizeof u) != 0;
    }
    ck_assert(differs);
    ck_assert_int_eq(cs_sens_morris_point(d, d->n_points, u, NULL, NULL), CS_EINVAL);
    free(fwd);
    cs_sens_morris_free(d);
    cs_sens_morris_free(e);
    cs_sens_morris_free(f);
}
END_TEST

/* A NaN output at one point loses the effects of the two steps that touch
 * it (the step into it and the step out of it, when it is inside the
 * trajectory); the statistics use the others. Bad arguments are refused. */
START_TEST(missing_values_and_refusals)
{
    cs_sens_morris *d = NULL;
    cs_sens_morris_result *r = NULL;
    ck_assert_int_eq(cs_sens_morris_alloc(5, NULL, 4, 10, 3, &d, NULL), CS_OK);
    double *y = run_morris(d, linear, COEF);
    y[2 * 6 + 3] = NAN; /* trajectory 2, step 3: factors order[2] and order[3] lose one */
    ck_assert_int_eq(cs_sens_morris_analyse(d, y, 10, 1, NULL, NULL, &r, NULL), CS_OK);
    size_t a = d->order[2 * 5 + 2], b = d->order[2 * 5 + 3];
    for (size_t i = 0; i < 5; i++) {
        ck_assert_uint_eq(r->ee[i].n_effects, (i == a || i == b) ? 9 : 10);
        ck_assert_double_eq_tol(r->ee[i].mu_star.value, fabs(COEF[i]), 1e-12);
    }
    cs_sens_morris_result_free(r);
    cs_error err;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_sens_morris_analyse(d, y, 11, 1, NULL, NULL, &r, &err), CS_EINVAL);
    ck_assert_int_eq(cs_sens_morris_analyse(d, y, 1, 1, NULL, NULL, &r, &err), CS_EINVAL);
    ck_assert_ptr_null(r);
    free(y);
    cs_sens_morris_free(d);
    ck_assert_int_eq(cs_sens_morris_alloc(5, NULL, 3, 10, 3, &d, &err), CS_EINVAL);
    ck_assert_int_eq(cs_sens_morris_alloc(5, NULL, 66, 10, 3, &d, &err), CS_EINVAL);
    ck_assert_int_eq(cs_sens_morris_alloc(5, NULL, 4, 1, 3, &d, &err), CS_EINVAL);
    ck_assert_int_eq(cs_sens_morris_alloc(0, NULL, 4, 10, 3, &d, &err), CS_EINVAL);
    ck_assert_ptr_null(d);
    ck_assert_uint_eq(err.count, 6);
}
END_TEST

/* ------------------------------------------------------------- tornado */

/* Output 0 is 2 u1 - 5 u2 + u3^2 (u4 unused): swings 0.9 x 2 = 1.8,
 * 0.9 x 5 = 4.5, 0.95^2 - 0.05^2 = 0.9 and 0, sorted 4.5, 1.8, 0.9, 0.
 * Output 1 is u1 + u2, NaN when u4 is low: swings 0.9, 0.9 (a tie, kept in
 * factor order), 0, and an undefined swing last. */
static void tornado_f(const double *u, double *y)
{
    y[0] = 2 * u[0] - 5 * u[1] + u[2] * u[2];
    y[1] = u[3] < 0.5 ? NAN : u[0] + u[1];
}

START_TEST(tornado_swings)
{
    const size_t group[4] = {0, 1, 2, 3};
    double u[4], y[9 * 2], base[2];
    for (size_t p = 0; p < 9; p++) {
        ck_assert_int_eq(cs_sens_tornado_point(4, group, p, u, NULL), CS_OK);
        for (size_t c = 0; c < 4; c++) {
            double want = p == 1 + 2 * c ? 0.05 : p == 2 + 2 * c ? 0.95 : 0.5;
            ck_assert_double_eq(u[c], want);
        }
        tornado_f(u, y + 2 * p);
    }
    ck_assert_int_eq(cs_sens_tornado_point(4, group, 9, u, NULL), CS_EINVAL);
    cs_sens_swing s[8];
    ck_assert_int_eq(cs_sens_tornado(y, 4, 2, base, s, NULL), CS_OK);
    ck_assert_double_eq_tol(base[0], 2 * 0.5 - 5 * 0.5 + 0.25, 1e-15);
    const size_t order0[4] = {1, 0, 2, 3}, order1[4] = {0, 1, 2, 3};
    const double swing0[4] = {4.5, 1.8, 0.9, 0};
    for (size_t k = 0; k < 4; k++) {
        ck_assert_uint_eq(s[k].factor, order0[k]);
        ck_assert_double_eq_tol(s[k].swing, swing0[k], 1e-12);
        ck_assert_uint_eq(s[4 + k].factor, order1[k]); /* 0.9, 0.9 (tie), 0, NaN */
    }
    ck_assert_double_eq_tol(s[0].low, 2 * 0.5 - 5 * 0.05 + 0.25, 1e-15);
    ck_assert(isnan(s[7].swing));
    ck_assert_int_eq(cs_sens_tornado(y, 0, 2, base, s, NULL), CS_EINVAL);
    /* Grouped: both inputs of group 0 move together. */
    const size_t g2[3] = {0, 1, 0};
    ck_assert_int_eq(cs_sens_tornado_point(3, g2, 1, u, NULL), CS_OK);
    ck_assert(u[0] == 0.05 && u[1] == 0.5 && u[2] == 0.05);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("sensitivity_morris");
    TCase *tc = tcase_create("morris");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, linear_function_exact);
    tcase_add_test(tc, natural_units);
    tcase_add_test(tc, product_effects);
    tcase_add_test(tc, group_moves_together);
    tcase_add_test(tc, design_properties);
    tcase_add_test(tc, points_reproducible_by_index);
    tcase_add_test(tc, missing_values_and_refusals);
    tcase_add_test(tc, tornado_swings);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
