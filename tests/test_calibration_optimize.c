/* test_calibration_optimize.c — the Nelder–Mead point fit on objectives
 * whose minimum is known exactly.
 *
 * Tolerances follow from the stopping rule: a start stops once the simplex
 * size (mean distance of the vertices from their centroid) is below
 * size_tol, and the returned vertex is the best of that simplex, so on a
 * smooth function it lies within a few size_tol of the minimum when the
 * simplex has contracted around it. We allow 100 size_tol in z. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "casesim/calibration.h"

#define LN_2PI 1.8378770664093454836

/* ln N(z; m, s^2 I) without its constant: -|z - m|^2 / (2 s^2). */
struct quad {
    double m[3], s;
    size_t calls;
};

static int quad_loglik(void *ctx, const double *z, size_t dim, double *ll, cs_error *err)
{
    (void)err;
    struct quad *q = ctx;
    double ss = 0;
    for (size_t d = 0; d < dim; d++)
        ss += (z[d] - q->m[d]) * (z[d] - q->m[d]);
    q->calls++;
    *ll = -ss / (2 * q->s * q->s);
    return CS_OK;
}

/* Posterior mode m / (1 + s^2); the objective there is
 * |z* - m|^2 / (2 s^2) + |z*|^2 / 2 + (D/2) ln 2 pi. */
START_TEST(shifted_quadratic)
{
    struct quad q = {{1, -2, 0.5}, 0.5, 0};
    cs_calib_optim_config cfg;
    cs_calib_optim_config_default(&cfg, 3);
    cfg.size_tol = 1e-7;
    cs_calib_optim_result *r = NULL;
    cs_error err;
    cs_error_clear(&err);
    ck_assert_msg(cs_calib_optimize(&cfg, quad_loglik, &q, &r, &err) == CS_OK, "%s", err.text);
    double val = 1.5 * LN_2PI;
    for (size_t d = 0; d < 3; d++) {
        double zs = q.m[d] / 1.25;
        ck_assert_double_eq_tol(r->best_z[d], zs, 100 * cfg.size_tol);
        val += (zs - q.m[d]) * (zs - q.m[d]) / (2 * 0.25) + zs * zs / 2;
    }
    ck_assert_double_eq_tol(r->best_value, val, 1e-9);
    double ll;
    quad_loglik(&q, r->best_z, 3, &ll, NULL);
    ck_assert_double_eq_tol(r->best_loglik, ll, 1e-9);
    for (size_t s = 0; s < cfg.n_starts; s++)
        ck_assert_int_eq(r->converged[s], 1);
    ck_assert_uint_eq(r->evaluations, q.calls - 1);
    ck_assert_uint_eq(r->n_starts, 4);
    /* The first start is the best Sobol candidate; candidate 1 is z = 0. */
    ck_assert_uint_gt(r->evaluations, cfg.n_candidates);
    cs_calib_optim_result_free(r);
}
END_TEST

/* Rosenbrock: the log-likelihood -f(z) + |z|^2 / 2 cancels the prior, so the
 * objective is f(z) + ln 2 pi with f = 100 (z1 - z0^2)^2 + (1 - z0)^2: minimum
 * ln 2 pi at (1, 1), at the end of a long curved valley. */
static int rosen_loglik(void *ctx, const double *z, size_t dim, double *ll, cs_error *err)
{
    (void)ctx;
    (void)dim;
    (void)err;
    double a = z[1] - z[0] * z[0], b = 1 - z[0];
    *ll = -(100 * a * a + b * b) + 0.5 * (z[0] * z[0] + z[1] * z[1]);
    return CS_OK;
}

START_TEST(rosenbrock)
{
    cs_calib_optim_config cfg;
    cs_calib_optim_config_default(&cfg, 2);
    cfg.size_tol = 1e-8;
    cfg.max_iterations = 5000;
    cs_calib_optim_result *r = NULL;
    ck_assert_int_eq(cs_calib_optimize(&cfg, rosen_loglik, NULL, &r, NULL), CS_OK);
    ck_assert_double_eq_tol(r->best_z[0], 1, 100 * cfg.size_tol);
    ck_assert_double_eq_tol(r->best_z[1], 1, 100 * cfg.size_tol);
    ck_assert_double_eq_tol(r->best_value, LN_2PI, 1e-12);
    ck_assert_int_eq(r->converged[r->best_start], 1);
    cs_calib_optim_result_free(r);
    /* With too few iterations the rule says so: not converged, and not at
     * the minimum (the tolerance above would catch it). */
    cfg.max_iterations = 5;
    ck_assert_int_eq(cs_calib_optimize(&cfg, rosen_loglik, NULL, &r, NULL), CS_OK);
    for (size_t s = 0; s < cfg.n_starts; s++) {
        ck_assert_int_eq(r->converged[s], 0);
        ck_assert_uint_eq(r->iterations[s], 5);
    }
    ck_assert_double_gt(fabs(r->best_z[0] - 1) + fabs(r->best_z[1] - 1), 100 * cfg.size_tol);
    cs_calib_optim_result_free(r);
}
END_TEST

/* Two bumps 0.3 N(z; (-1.5, 0), 0.2^2 I) + 0.7 N(z; (1.5, 0), 0.2^2 I): the
 * global mode is the heavier bump's conjugate mode (1.5 / 1.04, 0) (the other
 * bump's density there is e^-112 of it). Several starts find it even where
 * some starts end in the lesser mode. Where z0 < -3 the likelihood is zero. */
static int two_bumps(void *ctx, const double *z, size_t dim, double *ll, cs_error *err)
{
    (void)ctx;
    (void)dim;
    (void)err;
    if (z[0] < -3) {
        *ll = -INFINITY;
        return CS_OK;
    }
    double a = ((z[0] + 1.5) * (z[0] + 1.5) + z[1] * z[1]) / (2 * 0.04);
    double b = ((z[0] - 1.5) * (z[0] - 1.5) + z[1] * z[1]) / (2 * 0.04);
    double top = -(a < b ? a : b);
    *ll = top + log(0.3 * exp(-a - top) + 0.7 * exp(-b - top));
    return CS_OK;
}

START_TEST(multistart_finds_global_mode)
{
    cs_calib_optim_config cfg;
    cs_calib_optim_config_default(&cfg, 2);
    cfg.size_tol = 1e-7;
    cfg.n_starts = 6;
    cs_calib_optim_result *r = NULL, *again = NULL;
    ck_assert_int_eq(cs_calib_optimize(&cfg, two_bumps, NULL, &r, NULL), CS_OK);
    ck_assert_double_eq_tol(r->best_z[0], 1.5 / 1.04, 100 * cfg.size_tol);
    ck_assert_double_eq_tol(r->best_z[1], 0, 100 * cfg.size_tol);
    size_t lesser = 0; /* starts that ended in the other mode: one start was not enough */
    for (size_t s = 0; s < cfg.n_starts; s++)
        lesser += r->final_z[2 * s] < 0;
    ck_assert_uint_gt(lesser, 0);
    /* The same call gives the same bits (deterministic starts and simplex). */
    ck_assert_int_eq(cs_calib_optimize(&cfg, two_bumps, NULL, &again, NULL), CS_OK);
    ck_assert(memcmp(r->final_z, again->final_z, 6 * 2 * sizeof *r->final_z) == 0);
    cs_calib_optim_result_free(r);
    cs_calib_optim_result_free(again);
}
END_TEST

static int failing(void *ctx, const double *z, size_t dim, double *ll, cs_error *err)
{
    (void)z;
    (void)dim;
    size_t *calls = ctx;
    if (++*calls == 20)
        return cs_error_set(err, CS_EIO, "simulation %zu failed", *calls);
    *ll = 0;
    return CS_OK;
}

START_TEST(callback_errors_and_bad_config)
{
    cs_calib_optim_config cfg;
    cs_calib_optim_config_default(&cfg, 2);
    size_t calls = 0;
    cs_calib_optim_result *r = NULL;
    cs_error err;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_calib_optimize(&cfg, failing, &calls, &r, &err), CS_EIO);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(strstr(err.text, "simulation 20 failed"));
    cfg.n_starts = 20; /* more than the 16 candidates */
    ck_assert_int_eq(cs_calib_optimize(&cfg, failing, &calls, &r, NULL), CS_EINVAL);
    cs_calib_optim_config_default(&cfg, 41);
    ck_assert_int_eq(cs_calib_optimize(&cfg, failing, &calls, &r, NULL), CS_EINVAL);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("calibration_optimize");
    TCase *tc = tcase_create("optimize");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, shifted_quadratic);
    tcase_add_test(tc, rosenbrock);
    tcase_add_test(tc, multistart_finds_global_mode);
    tcase_add_test(tc, callback_errors_and_bad_config);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
