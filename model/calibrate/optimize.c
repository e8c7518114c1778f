/*
 * calibrate/optimize.c — `casesim calibrate --method optimize`: the point
 * fit (casesim/calibrate.h, cs_calibrate_run). Nelder-Mead on transformed
 * scales of the negative log posterior in the inputs' own units, with
 * common random numbers, from the best point of a Sobol sample of the
 * prior; the optimum re-simulated on fresh seeds.
 */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_qrng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate/internal.h"
#include "casesim/rng.h"
#include "core/alloc.h"

/* What the objective stands for where the posterior density is zero:
 * finite, so that GSL accepts it, and above any real value. */
#define ZERO_DENSITY 1e100
/* Draws of the observation model at the optimum for its predictive checks. */
#define PREDICTIVE_DRAWS 4000
/* The initial simplex's step along each axis: this share of the prior's
 * 95% range on the transformed scale (a tenth: small enough to stay in the
 * basin of the Sobol start, large enough that the first steps are not lost
 * in the flat pieces that common random numbers make of the likelihood). */
#define STEP_SHARE 0.1

/* The fit's working state. The points are appended to c. */
typedef struct fit {
    const cs_scenario *s;
    const cs_calibrate_config *cfg;
    cs_calibration *c;
    cs_unc_work *w;
    size_t D, cap, limit;
    const cs_unc_dist *dist[CS_CALIB_MAX_DIM]; /* each value's entry */
    double best_obj;                           /* lowest objective so far */
    size_t best;                               /* its point */
    bool at_limit;                             /* the evaluation limit was reached */
    int status;                                /* the first error of an evaluation */
    cs_error *err;
} fit;

/* Transformed scale of a value with support (lo, hi). */
static double to_scale(const cs_unc_dist *d, double x)
{
    if (isfinite(d->lo) && isfinite(d->hi))
        return log((x - d->lo) / (d->hi - x));
    if (isfinite(d->lo))
        return log(x - d->lo);
    if (isfinite(d->hi))
        return log(d->hi - x);
    return x;
}

/* The inverse of to_scale, kept strictly inside the support (a value that
 * rounds onto an end is moved to the next double inside). */
static double from_scale(const cs_unc_dist *d, double u)
{
    double x = u;
    if (isfinite(d->lo) && isfinite(d->hi))
        x = u >= 0 ? d->lo + (d->hi - d->lo) / (1.0 + exp(-u))
                   : d->hi - (d->hi - d->lo) / (1.0 + exp(u));
    else if (isfinite(d->lo))
        x = d->lo + exp(u);
    else if (isfinite(d->hi))
        x = d->hi - exp(u);
    if (x <= d->lo)
        x = nextafter(d->lo, INFINITY);
    if (x >= d->hi)
        x = nextafter(d->hi, -INFINITY);
    return x;
}

/* Phi^-1 of F(x), from the tail that keeps the digits. */
static double normal_score(const cs_unc_dist *d, double x)
{
    double F = cs_unc_dist_cdf(d, x);
    return F <= 0.5 ? gsl_cdf_ugaussian_Pinv(F) : -gsl_cdf_ugaussian_Pinv(cs_unc_dist_sf(d, x));
}

/* ln prior density at values x (normal scores z): the marginals' densities
 * times the Gaussian copula's, exp(-z'(R^-1 - I) z / 2) / sqrt(det R), where
 * z'R^-1 z = |z|^2 (z = L^-1 w) and w are the marginal normal scores; the
 * constant det R is left out (it does not move the optimum). */
static double log_prior(const fit *f, const double *x, const double *z)
{
    double lp = 0.0;
    for (size_t d = 0; d < f->D; d++) {
        double w = normal_score(f->dist[d], x[d]);
        lp += cs_unc_dist_logpdf(f->dist[d], x[d]) + 0.5 * (w * w - z[d] * z[d]);
    }
    return isnan(lp) ? -INFINITY : lp;
}

/* Room for one more point in c. */
static int grow(fit *f)
{
    cs_calibration *c = f->c;
    if (c->n_points < f->cap)
        return CS_OK;
    size_t cap = f->cap ? 2 * f->cap : 64, row = c->n_targets * CS_TARGET_SUMS;
    double *z = realloc(c->z, cap * f->D * sizeof *z);
    if (z)
        c->z = z;
    double *ll = realloc(c->loglik, cap * sizeof *ll);
    if (ll)
        c->loglik = ll;
    double *sums = realloc(c->sums, cap * row * sizeof *sums);
    if (sums)
        c->sums = sums;
    if (!z || !ll || !sums)
        return cs_error_set(f->err, CS_ENOMEM, "calibrate: out of memory (points)");
    f->cap = cap;
    return CS_OK;
}

/* Simulates the point with values x and normal scores z in replicates
 * first K .. first K + K - 1, appends it to c and sets *logpost. */
static int evaluate(fit *f, const double *x, const double *z, uint64_t first, double *logpost)
{
    cs_calibration *c = f->c;
    int st = grow(f);
    if (st != CS_OK)
        return st;
    size_t i = c->n_points, row = c->n_targets * CS_TARGET_SUMS;
    memcpy(c->z + i * f->D, z, f->D * sizeof *z);
    double t0 = cs_calibrate_now();
    st = cs_calibrate_evaluate(f->s, f->cfg, z, 1, first, c->sums + i * row, f->err);
    c->seconds_engine += cs_calibrate_now() - t0;
    if (st == CS_OK)
        st = cs_calibrate_score(f->s, f->cfg, c->sums + i * row, 1, c->loglik + i, f->err);
    if (st != CS_OK)
        return st;
    c->n_points++;
    c->evaluated++;
    *logpost = c->loglik[i] + log_prior(f, x, z);
    return CS_OK;
}

/* One point under common random numbers (replicates 0 .. K - 1): its
 * objective, -log posterior, and the running best. */
static int evaluate_crn(fit *f, const double *x, const double *z, double *obj)
{
    double lp;
    int st = evaluate(f, x, z, 0, &lp);
    if (st != CS_OK)
        return st;
    *obj = isfinite(lp) ? -lp : ZERO_DENSITY;
    if (*obj < f->best_obj) {
        f->best_obj = *obj;
        f->best = f->c->n_points - 1;
    }
    return CS_OK;
}

/* GSL's objective at transformed coordinates u. NaN stops the simplex (GSL
 * returns GSL_EBADFUNC): after an error, or at the evaluation limit. */
static double objective(const gsl_vector *u, void *params)
{
    fit *f = params;
    if (f->status != CS_OK || f->at_limit)
        return NAN;
    if (f->c->n_points >= f->limit) {
        f->at_limit = true;
        return NAN;
    }
    double x[CS_CALIB_MAX_DIM], z[CS_CALIB_MAX_DIM], obj = NAN;
    for (size_t d = 0; d < f->D; d++)
        x[d] = from_scale(f->dist[d], gsl_vector_get(u, d));
    int st = cs_unc_to_normal(f->s->uncertain_set, f->w, x, z, f->err);
    if (st == CS_OK)
        st = evaluate_crn(f, x, z, &obj);
    f->status = st;
    return st == CS_OK ? obj : NAN;
}

/* The first n points of the Sobol sequence over D dimensions (GSL skips the
 * origin), mapped to the prior's normal scores, evaluated under common
 * random numbers. */
static int sobol_start(fit *f, size_t n)
{
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)f->D);
    if (!q)
        return cs_error_set(f->err, CS_ENOMEM, "calibrate: out of memory (Sobol)");
    int st = CS_OK;
    for (size_t i = 0; st == CS_OK && i < n && i < f->limit; i++) {
        double u[CS_CALIB_MAX_DIM], z[CS_CALIB_MAX_DIM], x[CS_CALIB_MAX_DIM], obj;
        if (gsl_qrng_get(q, u) != GSL_SUCCESS) {
            st = cs_error_set(f->err, CS_EINTERNAL, "calibrate: the Sobol sequence failed");
            break;
        }
        for (size_t d = 0; d < f->D; d++)
            z[d] = gsl_cdf_ugaussian_Pinv(u[d]);
        st = cs_unc_from_normal(f->s->uncertain_set, f->w, z, x, f->err);
        if (st == CS_OK)
            st = evaluate_crn(f, x, z, &obj);
    }
    gsl_qrng_free(q);
    return st;
}

/* The simplex's start (the best point so far, transformed) and steps. */
static int simplex_start(fit *f, gsl_vector *u0, gsl_vector *step)
{
    double x[CS_CALIB_MAX_DIM], lo[CS_CALIB_MAX_DIM], hi[CS_CALIB_MAX_DIM];
    const cs_unc_set *set = f->s->uncertain_set;
    int st = cs_unc_from_normal(set, f->w, f->c->z + f->best * f->D, x, f->err);
    if (st == CS_OK)
        st = cs_unc_percentiles(set, 0.025, lo, f->err);
    if (st == CS_OK)
        st = cs_unc_percentiles(set, 0.975, hi, f->err);
    for (size_t d = 0; st == CS_OK && d < f->D; d++) {
        double range = fabs(to_scale(f->dist[d], hi[d]) - to_scale(f->dist[d], lo[d]));
        gsl_vector_set(u0, d, to_scale(f->dist[d], x[d]));
        gsl_vector_set(step, d, isfinite(range) && range > 0 ? STEP_SHARE * range : 1.0);
    }
    return st;
}

/* Iterates the simplex until it converges, the limit or an error. */
static int run_simplex(fit *f, gsl_multimin_fminimizer *m)
{
    cs_calibration *c = f->c;
    double tol = f->cfg->size_tol > 0 ? f->cfg->size_tol : CS_CALIBRATE_SIZE_TOL;
    int gs = GSL_SUCCESS;
    c->status = CS_CALIB_RUNNING;
    while (gs == GSL_SUCCESS) {
        c->simplex_size = gsl_multimin_fminimizer_size(m);
        if (c->simplex_size < tol) {
            c->status = CS_CALIB_CONVERGED;
            return CS_OK;
        }
        gs = gsl_multimin_fminimizer_iterate(m);
        c->iterations += gs == GSL_SUCCESS;
    }
    if (f->status != CS_OK)
        return f->status;
    if (f->at_limit) {
        c->status = CS_CALIB_MAX_EVALUATIONS;
        return CS_OK;
    }
    return cs_error_set(f->err, CS_EINTERNAL, "calibrate: the simplex failed: %s",
                        gsl_strerror(gs));
}

/* The Sobol start, then the simplex from its best point. */
static int search(fit *f, size_t n_initial)
{
    int st = sobol_start(f, n_initial);
    if (st != CS_OK || f->c->n_points >= f->limit) {
        f->c->status = CS_CALIB_MAX_EVALUATIONS;
        return st;
    }
    gsl_multimin_fminimizer *m =
        gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, f->D);
    gsl_vector *u0 = gsl_vector_alloc(f->D), *step = gsl_vector_alloc(f->D);
    gsl_multimin_function fn = {.f = objective, .n = f->D, .params = f};
    if (!m || !u0 || !step)
        st = cs_error_set(f->err, CS_ENOMEM, "calibrate: out of memory (simplex)");
    if (st == CS_OK)
        st = simplex_start(f, u0, step);
    if (st == CS_OK && gsl_multimin_fminimizer_set(m, &fn, u0, step) != GSL_SUCCESS) {
        st = f->status;
        if (st == CS_OK && f->at_limit)
            f->c->status = CS_CALIB_MAX_EVALUATIONS;
        else if (st == CS_OK)
            st = cs_error_set(f->err, CS_EINTERNAL, "calibrate: the simplex could not start");
    } else if (st == CS_OK) {
        st = run_simplex(f, m);
    }
    gsl_vector_free(step);
    gsl_vector_free(u0);
    gsl_multimin_fminimizer_free(m);
    return st;
}

/* The optimum again, on fresh seeds (replicates K .. 2K - 1): the last
 * point, with all the weight. */
static int recheck(fit *f)
{
    cs_calibration *c = f->c;
    double x[CS_CALIB_MAX_DIM], z[CS_CALIB_MAX_DIM], lp;
    memcpy(z, c->z + f->best * f->D, f->D * sizeof *z);
    c->loglik_fit_seeds = c->loglik[f->best];
    c->best_logpost = -f->best_obj;
    int st = cs_unc_from_normal(f->s->uncertain_set, f->w, z, x, f->err);
    if (st == CS_OK)
        st = evaluate(f, x, z, 1, &lp);
    if (st != CS_OK)
        return st;
    c->loglik_fresh_seeds = c->loglik[c->n_points - 1];
    c->weight = cs_xcalloc(c->n_points, sizeof *c->weight);
    if (!c->weight)
        return cs_error_set(f->err, CS_ENOMEM, "calibrate: out of memory");
    c->weight[c->n_points - 1] = 1.0;
    return CS_OK;
}

/* The message: how the fit ended, in plain words. */
static int describe(const fit *f, size_t n_sobol)
{
    const cs_calibration *c = f->c;
    char buf[1024];
    double tol = f->cfg->size_tol > 0 ? f->cfg->size_tol : CS_CALIBRATE_SIZE_TOL;
    int len = snprintf(buf, sizeof buf, "point fit (no posterior uncertainty): ");
    if (c->status == CS_CALIB_CONVERGED)
        len += snprintf(buf + len, sizeof buf - (size_t)len,
                        "the simplex converged (size %.2g < %.2g) after %zu iterations",
                        c->simplex_size, tol, c->iterations);
    else
        len += snprintf(buf + len, sizeof buf - (size_t)len,
                        "STOPPED SHORT at the limit of %zu evaluations, the simplex not converged "
                        "(size %.2g, tolerance %.2g): the point may not be the optimum; raise "
                        "--max-evaluations",
                        f->cfg->max_evaluations, c->simplex_size, tol);
    snprintf(buf + len, sizeof buf - (size_t)len,
             "; %zu evaluations (%zu Sobol points of the prior, then the simplex) on the "
             "fit's seeds; log-likelihood at the optimum %.3f on the fit's seeds, %.3f on "
             "fresh seeds",
             c->n_points - 1, n_sobol, c->loglik_fit_seeds, c->loglik_fresh_seeds);
    f->c->message = cs_xstrdup(buf);
    return f->c->message ? CS_OK : CS_ENOMEM;
}

/* Each target's predictive check at the optimum: PREDICTIVE_DRAWS draws of
 * its observation model given the fresh seeds' sums. */
static int point_predictive(const cs_scenario *s, cs_calibration *c, cs_error *err)
{
    double *y = cs_xcalloc(PREDICTIVE_DRAWS, sizeof *y);
    gsl_rng *r = gsl_rng_alloc(cs_gsl_rng_pcg32);
    int st = y && r ? CS_OK : cs_error_set(err, CS_ENOMEM, "calibrate: out of memory");
    const double *sums = c->sums + (c->n_points - 1) * c->n_targets * CS_TARGET_SUMS;
    for (size_t t = 0; st == CS_OK && t < c->n_targets; t++) {
        const cs_target_spec *ts = &s->targets[t];
        for (size_t k = 0; k < PREDICTIVE_DRAWS; k++)
            y[k] = cs_calibrate_predictive_draw(c, ts, t, sums + t * CS_TARGET_SUMS, k, r);
        cs_error local = {0};
        double obs = cs_calibrate_observed_figure(ts);
        if (cs_calib_predictive_check(y, 1, NULL, PREDICTIVE_DRAWS, obs, &c->predictive[t],
                                      &local) != CS_OK)
            c->predictive[t] = (cs_calib_predictive){.observed = obs,
                                                     .mean = NAN,
                                                     .sd = NAN,
                                                     .lower = NAN,
                                                     .upper = NAN,
                                                     .z = NAN,
                                                     .pit = NAN};
    }
    if (r)
        gsl_rng_free(r);
    free(y);
    return st;
}

/* The one-wave "sampler state" the file format expects (nothing to resume). */
static int point_state(cs_calibration *c)
{
    c->n_waves = 1;
    c->ess = 1.0;
    c->log_evidence = NAN;
    c->wave_ess = cs_xcalloc(1, sizeof *c->wave_ess);
    c->wave_best = cs_xcalloc(1, sizeof *c->wave_best);
    c->center = cs_xcalloc(1, sizeof *c->center);
    c->covariance = cs_xcalloc(1, sizeof *c->covariance);
    c->component_size = cs_xcalloc(1, sizeof *c->component_size);
    if (!c->wave_ess || !c->wave_best || !c->center || !c->covariance || !c->component_size)
        return CS_ENOMEM;
    c->wave_ess[0] = 1.0;
    c->wave_best[0] = c->best_logpost;
    return CS_OK;
}

/* Refuses what a point fit cannot do, and fills f's per-value entries. */
static int setup(fit *f, const cs_calibrate_config *cfg, cs_error *err)
{
    const cs_unc_set *set = f->s->uncertain_set;
    if (cfg->resume)
        return cs_error_set(err, CS_EINVAL, "calibrate: a point fit cannot be resumed");
    if (cfg->max_evaluations < 2)
        return cs_error_set(err, CS_EINVAL, "calibrate: --max-evaluations must be at least 2");
    for (size_t e = 0; e < cs_unc_set_entries(set); e++) {
        const cs_unc_dist *d = cs_unc_set_dist(set, e);
        if (d->family == CS_UNC_DIRICHLET)
            return cs_error_set(err, CS_EINVAL,
                                "%s: --method optimize cannot fit the Dirichlet `%s` (its values "
                                "are tied by their sum); use the default method",
                                f->s->path, cs_unc_set_label(set, e));
        for (size_t k = 0; k < d->k; k++)
            f->dist[cs_unc_set_offset(set, e) + k] = d;
    }
    f->w = cs_unc_work_alloc(set);
    return f->w ? CS_OK : cs_error_set(err, CS_ENOMEM, "calibrate: out of memory");
}

int cs_calibrate_optimize(const cs_scenario *s, const cs_calibrate_config *cfg,
                          cs_calibration **out, cs_error *err)
{
    *out = NULL;
    double t0 = cs_calibrate_now();
    size_t D = s->n_uncertain_values;
    size_t n0 = cfg->n_initial ? cfg->n_initial : (100 * D > 500 ? 100 * D : 500);
    fit f = {.s = s, .cfg = cfg, .D = D, .best_obj = INFINITY, .err = err};
    /* the fresh re-check is one evaluation beyond the limit's */
    f.limit = cfg->max_evaluations - 1;
    f.c = calloc(1, sizeof *f.c);
    int st = f.c ? setup(&f, cfg, err) : cs_error_set(err, CS_ENOMEM, "out of memory");
    if (st != CS_OK)
        goto fail;
    cs_calibration *c = f.c;
    *c = (cs_calibration){.dim = D,
                          .n_targets = s->n_targets,
                          .seed = cfg->seed,
                          .scale = cfg->scale,
                          .common_seeds = true,
                          .n_initial = n0,
                          .method = CS_CALIBRATE_OPTIMIZE,
                          .simplex_size = NAN};
    if ((st = search(&f, n0)) != CS_OK || (st = recheck(&f)) != CS_OK)
        goto fail;
    if ((st = describe(&f, n0 < f.limit ? n0 : f.limit)) != CS_OK || (st = point_state(c)) != CS_OK)
        st = cs_error_set(err, CS_ENOMEM, "calibrate: out of memory");
    if (st == CS_OK)
        st = cs_calibrate_summarise(s, c, err);
    if (st == CS_OK)
        st = point_predictive(s, c, err);
    if (st != CS_OK)
        goto fail;
    cs_unc_work_free(f.w);
    c->seconds_total = cs_calibrate_now() - t0;
    *out = c;
    return CS_OK;
fail:
    cs_unc_work_free(f.w);
    cs_calibration_free(f.c);
    return st;
}
