/*
 * calibrate/summarise.c — a calibration's summaries: each input's prior and
 * posterior, the posterior correlations and the identifiability findings,
 * and each target's posterior predictive check (casesim/calibrate.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "calibrate/internal.h"
#include "casesim/rng.h"
#include "core/alloc.h"

/* Every point's input values (z through the copula and the priors). */
static int map_values(const cs_scenario *s, cs_calibration *c, cs_error *err)
{
    size_t D = c->dim;
    c->values = cs_xcalloc(c->n_points * D, sizeof *c->values);
    cs_unc_work *w = cs_unc_work_alloc(s->uncertain_set);
    int st = c->values && w ? CS_OK : cs_error_set(err, CS_ENOMEM, "calibrate: out of memory");
    for (size_t i = 0; i < c->n_points && st == CS_OK; i++)
        st = cs_unc_from_normal(s->uncertain_set, w, c->z + i * D, c->values + i * D, err);
    cs_unc_work_free(w);
    return st;
}

/* The prior variance of each value (a Dirichlet's component: its beta
 * marginal's). */
static int prior_variances(const cs_scenario *s, double *var, cs_error *err)
{
    const cs_unc_set *set = s->uncertain_set;
    for (size_t e = 0; e < cs_unc_set_entries(set); e++) {
        const cs_unc_dist *d = cs_unc_set_dist(set, e);
        for (size_t k = 0; k < d->k; k++) {
            cs_unc_dist m;
            int st = cs_unc_dist_marginal(d, k, &m, err);
            if (st != CS_OK)
                return st;
            var[cs_unc_set_offset(set, e) + k] = m.var;
        }
    }
    return CS_OK;
}

/* Each input's prior quantiles and posterior summary. */
static int summarise_inputs(const cs_scenario *s, cs_calibration *c, cs_error *err)
{
    size_t D = c->dim;
    double *buf = cs_xcalloc(4 * D, sizeof *buf);
    c->inputs = cs_xcalloc(D, sizeof *c->inputs);
    if (!buf || !c->inputs) {
        free(buf);
        return cs_error_set(err, CS_ENOMEM, "calibrate: out of memory");
    }
    double *med = buf, *lo = buf + D, *hi = buf + 2 * D, *var = buf + 3 * D;
    int st = cs_unc_percentiles(s->uncertain_set, 0.5, med, err);
    if (st == CS_OK)
        st = cs_unc_percentiles(s->uncertain_set, 0.025, lo, err);
    if (st == CS_OK)
        st = cs_unc_percentiles(s->uncertain_set, 0.975, hi, err);
    if (st == CS_OK)
        st = prior_variances(s, var, err);
    for (size_t d = 0; d < D && st == CS_OK; d++) {
        cs_calibrate_input *in = &c->inputs[d];
        in->prior_median = med[d];
        in->prior_lower = lo[d];
        in->prior_upper = hi[d];
        st = cs_calib_marginal_summary(c->values + d, D, c->weight, c->n_points, var[d],
                                       &in->posterior, err);
    }
    free(buf);
    return st;
}

/* The names of the values, for findings: an entry's name, with the
 * component's path for a Dirichlet. Pointers into s. */
static void value_names(const cs_scenario *s, const char **names)
{
    for (size_t e = 0; e < s->n_uncertain; e++)
        for (size_t k = 0; k < s->uncertain[e].n_paths; k++)
            names[s->uncertain[e].offset + k] =
                s->uncertain[e].n_paths > 1 ? s->uncertain[e].paths[k] : s->uncertain[e].name;
}

/* The posterior correlations of z and what they say about identifiability.
 * With fewer effective draws than inputs neither is defined: the findings
 * are then left empty and the correlations NaN. */
static int summarise_correlation(const cs_scenario *s, cs_calibration *c, cs_error *err)
{
    size_t D = c->dim;
    double *cov = cs_xcalloc(D * D, sizeof *cov);
    const char **names = cs_xcalloc(D, sizeof *names);
    c->correlation = cs_xcalloc(D * D, sizeof *c->correlation);
    int st = cov && names && c->correlation ? CS_OK : cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; st == CS_OK && i < D * D; i++)
        c->correlation[i] = NAN;
    if (st == CS_OK && c->ess > (double)D) {
        cs_error local = {0};
        value_names(s, names);
        if (cs_calib_covariance(c->z, D, c->weight, c->n_points, cov, c->correlation, &local) ==
            CS_OK)
            st = cs_calib_identifiability(cov, D, names, &c->findings, &c->n_findings, &local) ==
                         CS_ENOMEM
                     ? cs_error_set(err, CS_ENOMEM, "out of memory")
                     : CS_OK;
    }
    free(cov);
    free(names);
    return st;
}

double cs_calibrate_predictive_draw(const cs_calibration *c, const cs_target_spec *t, size_t ti,
                                    const double *sums, uint64_t key, gsl_rng *r)
{
    cs_calib_simulated sim;
    if (!cs_target_simulated(t, sums, (double)c->scale, &sim))
        return NAN;
    cs_stream_key k = {.seed = c->seed,
                       .purpose = CS_STREAM_CALIBRATION,
                       .replicate = key,
                       .group = CS_CALIB_KEY_PREDICTIVE,
                       .incident = ti};
    cs_pcg32_from_key(cs_gsl_pcg32_state(r), &k);
    cs_calib_target like = cs_target_like(t, sums, (double)c->scale);
    double y = cs_calib_predictive_draw(&like, &sim, r);
    return (t->kind == CS_TARGET_SHARE || t->kind == CS_TARGET_COHORT_SHARE) &&
                   t->like.family != CS_CALIB_NORMAL
               ? y / t->like.observed_n
               : y;
}

double cs_calibrate_observed_figure(const cs_target_spec *t)
{
    return (t->kind == CS_TARGET_SHARE || t->kind == CS_TARGET_COHORT_SHARE) &&
                   t->like.family != CS_CALIB_NORMAL
               ? t->like.observed / t->like.observed_n
               : t->like.observed;
}

/* Every target's posterior predictive check over the weighted points. */
static int summarise_targets(const cs_scenario *s, cs_calibration *c, cs_error *err)
{
    c->predictive = cs_xcalloc(c->n_targets, sizeof *c->predictive);
    double *y = cs_xcalloc(c->n_points, sizeof *y);
    gsl_rng *r = gsl_rng_alloc(cs_gsl_rng_pcg32);
    int st = c->predictive && y && r ? CS_OK : cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t t = 0; t < c->n_targets && st == CS_OK; t++) {
        const cs_target_spec *ts = &s->targets[t];
        for (size_t i = 0; i < c->n_points; i++)
            y[i] = c->weight[i] > 0.0
                       ? cs_calibrate_predictive_draw(
                             c, ts, t, c->sums + (i * c->n_targets + t) * CS_TARGET_SUMS, i, r)
                       : NAN;
        cs_error local = {0};
        if (cs_calib_predictive_check(y, 1, c->weight, c->n_points,
                                      cs_calibrate_observed_figure(ts), &c->predictive[t],
                                      &local) != CS_OK) {
            /* No point with weight could produce the figure. */
            c->predictive[t] = (cs_calib_predictive){.observed = cs_calibrate_observed_figure(ts),
                                                     .mean = NAN,
                                                     .sd = NAN,
                                                     .lower = NAN,
                                                     .upper = NAN,
                                                     .z = NAN,
                                                     .pit = NAN};
        }
    }
    if (r)
        gsl_rng_free(r);
    free(y);
    return st;
}

int cs_calibrate_summarise(const cs_scenario *s, cs_calibration *c, cs_error *err)
{
    int st = map_values(s, c, err);
    if (st == CS_OK)
        st = summarise_inputs(s, c, err);
    if (st == CS_OK)
        st = summarise_correlation(s, c, err);
    if (st == CS_OK)
        st = summarise_targets(s, c, err);
    return st;
}
