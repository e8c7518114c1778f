/* calib_optimize.c — the point fit: Nelder–Mead (GSL nmsimplex2) on the
 * negative log posterior in z-space, from the best of several Sobol starts
 * (see include/casesim/calibration.h). */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calib_internal.h"
#include "casesim/calibration.h"

/* What the objective stands for when the likelihood is zero: finite, so that
 * GSL accepts it, and above any real value, so that the simplex walks away. */
#define CS_CALIB_ZERO_LIKELIHOOD 1e100

/* The objective's context: the caller's function and the first error. */
struct objective {
    cs_calib_loglik_fn f;
    void *ctx;
    size_t dim;
    size_t evaluations;
    int status;
    cs_error *err;
};

/* -(loglik + ln N(z; 0, I)); NaN after an error (GSL then stops with an
 * error status, and the recorded status is returned). */
static double neg_log_posterior(struct objective *o, const double *z)
{
    if (o->status != CS_OK)
        return NAN;
    double ll = NAN;
    o->evaluations++;
    int st = o->f(o->ctx, z, o->dim, &ll, o->err);
    if (st == CS_OK && (isnan(ll) || ll == INFINITY))
        st = cs_error_set(o->err, CS_EINVAL, "point fit: the log-likelihood returned %g", ll);
    if (st != CS_OK) {
        o->status = st;
        return NAN;
    }
    if (ll == -INFINITY)
        return CS_CALIB_ZERO_LIKELIHOOD;
    return -(ll + cs_calib_log_std_normal(z, o->dim));
}

static double gsl_objective(const gsl_vector *x, void *params)
{
    struct objective *o = params;
    double z[CS_CALIB_MAX_DIM];
    for (size_t d = 0; d < o->dim; d++)
        z[d] = gsl_vector_get(x, d);
    return neg_log_posterior(o, z);
}

void cs_calib_optim_config_default(cs_calib_optim_config *cfg, size_t dim)
{
    cfg->dim = dim;
    cfg->n_candidates = 16;
    cfg->n_starts = 4;
    cfg->max_iterations = 200 * (dim ? dim : 1);
    cfg->step = 0.5;
    cfg->size_tol = 1e-3;
}

static int check_config(const cs_calib_optim_config *cfg, cs_error *err)
{
    if (cfg->dim == 0 || cfg->dim > CS_CALIB_MAX_DIM)
        return cs_error_set(err, CS_EINVAL, "point fit: %zu inputs (1 to %d)", cfg->dim,
                            CS_CALIB_MAX_DIM);
    if (cfg->n_starts < 1 || cfg->n_candidates < cfg->n_starts || cfg->max_iterations < 1)
        return cs_error_set(err, CS_EINVAL,
                            "point fit: needs 1 <= starts (%zu) <= candidates (%zu) and at least "
                            "one iteration",
                            cfg->n_starts, cfg->n_candidates);
    if (!(cfg->step > 0) || !isfinite(cfg->step) || !(cfg->size_tol > 0))
        return cs_error_set(err, CS_EINVAL, "point fit: step %g and size_tol %g must be > 0",
                            cfg->step, cfg->size_tol);
    return CS_OK;
}

void cs_calib_optim_result_free(cs_calib_optim_result *r)
{
    if (!r)
        return;
    free(r->best_z);
    free(r->start_z);
    free(r->final_z);
    free(r->final_value);
    free(r->iterations);
    free(r->converged);
    free(r);
}

static int result_alloc(size_t dim, size_t k, cs_calib_optim_result **out, cs_error *err)
{
    cs_calib_optim_result *r = calloc(1, sizeof *r);
    if (r) {
        r->dim = dim;
        r->n_starts = k;
        r->best_z = calloc(dim, sizeof *r->best_z);
        r->start_z = calloc(k * dim, sizeof *r->start_z);
        r->final_z = calloc(k * dim, sizeof *r->final_z);
        r->final_value = calloc(k, sizeof *r->final_value);
        r->iterations = calloc(k, sizeof *r->iterations);
        r->converged = calloc(k, sizeof *r->converged);
    }
    if (!r || !r->best_z || !r->start_z || !r->final_z || !r->final_value || !r->iterations ||
        !r->converged) {
        cs_calib_optim_result_free(r);
        return cs_error_set(err, CS_ENOMEM, "point fit: out of memory");
    }
    *out = r;
    return CS_OK;
}

/* Evaluates the Sobol candidates and copies the n_starts best (lowest
 * objective; ties: the earlier) into r->start_z. */
static int choose_starts(const cs_calib_optim_config *cfg, struct objective *o,
                         cs_calib_optim_result *r, cs_error *err)
{
    size_t nc = cfg->n_candidates, d = cfg->dim;
    double *z = malloc(nc * d * sizeof *z), *val = malloc(nc * sizeof *val);
    int st = (!z || !val) ? cs_error_set(err, CS_ENOMEM, "point fit: out of memory") : CS_OK;
    if (!st)
        st = cs_calib_sobol_normal(d, nc, z, err);
    for (size_t i = 0; !st && i < nc; i++) {
        val[i] = neg_log_posterior(o, z + i * d);
        st = o->status;
    }
    for (size_t s = 0; !st && s < cfg->n_starts; s++) {
        size_t best = nc;
        for (size_t i = 0; i < nc; i++)
            if (!isnan(val[i]) && (best == nc || val[i] < val[best]))
                best = i;
        memcpy(r->start_z + s * d, z + best * d, d * sizeof *z);
        val[best] = NAN; /* taken */
    }
    free(z);
    free(val);
    return st;
}

/* One simplex run from r->start_z[s]; fills the run's final point, value,
 * iterations and convergence flag. */
static int run_start(const cs_calib_optim_config *cfg, struct objective *o,
                     gsl_multimin_fminimizer *nm, cs_calib_optim_result *r, size_t s)
{
    size_t d = cfg->dim;
    double x0[CS_CALIB_MAX_DIM], steps[CS_CALIB_MAX_DIM];
    memcpy(x0, r->start_z + s * d, d * sizeof *x0);
    for (size_t k = 0; k < d; k++)
        steps[k] = cfg->step;
    gsl_vector_view x = gsl_vector_view_array(x0, d), step = gsl_vector_view_array(steps, d);
    gsl_multimin_function fn = {gsl_objective, d, o};
    int gs = gsl_multimin_fminimizer_set(nm, &fn, &x.vector, &step.vector);
    size_t it = 0;
    int converged = 0;
    while (gs == GSL_SUCCESS && !converged && it < cfg->max_iterations) {
        gs = gsl_multimin_fminimizer_iterate(nm);
        it++;
        converged = gs == GSL_SUCCESS && gsl_multimin_fminimizer_size(nm) < cfg->size_tol;
    }
    if (o->status != CS_OK)
        return o->status;
    if (gs != GSL_SUCCESS)
        return cs_error_set(o->err, CS_EINTERNAL, "point fit: GSL's simplex failed (%s)",
                            gsl_strerror(gs));
    const gsl_vector *best = gsl_multimin_fminimizer_x(nm);
    for (size_t k = 0; k < d; k++)
        r->final_z[s * d + k] = gsl_vector_get(best, k);
    r->final_value[s] = gsl_multimin_fminimizer_minimum(nm);
    r->iterations[s] = it;
    r->converged[s] = converged;
    return CS_OK;
}

int cs_calib_optimize(const cs_calib_optim_config *cfg, cs_calib_loglik_fn f, void *ctx,
                      cs_calib_optim_result **out, cs_error *err)
{
    *out = NULL;
    int st = check_config(cfg, err);
    if (st)
        return st;
    cs_calib_optim_result *r = NULL;
    gsl_multimin_fminimizer *nm = NULL;
    struct objective o = {f, ctx, cfg->dim, 0, CS_OK, err};
    if ((st = result_alloc(cfg->dim, cfg->n_starts, &r, err)) != CS_OK)
        goto fail;
    nm = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, cfg->dim);
    if (!nm) {
        st = cs_error_set(err, CS_ENOMEM, "point fit: out of memory for the simplex");
        goto fail;
    }
    if ((st = choose_starts(cfg, &o, r, err)) != CS_OK)
        goto fail;
    for (size_t s = 0; s < cfg->n_starts; s++) {
        if ((st = run_start(cfg, &o, nm, r, s)) != CS_OK)
            goto fail;
        if (s == 0 || r->final_value[s] < r->best_value) {
            r->best_start = s;
            r->best_value = r->final_value[s];
            memcpy(r->best_z, r->final_z + s * cfg->dim, cfg->dim * sizeof *r->best_z);
        }
    }
    /* The log-likelihood at the best point, from its objective value. */
    r->best_loglik = r->best_value >= CS_CALIB_ZERO_LIKELIHOOD
                         ? -INFINITY
                         : -r->best_value - cs_calib_log_std_normal(r->best_z, cfg->dim);
    r->evaluations = o.evaluations;
    gsl_multimin_fminimizer_free(nm);
    *out = r;
    return CS_OK;
fail:
    gsl_multimin_fminimizer_free(nm);
    cs_calib_optim_result_free(r);
    return st;
}
