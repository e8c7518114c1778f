/*
 * inverse.c — from values back to normal scores (calibration's space), the
 * marginal percentiles of every value, and the one-way points of a tornado.
 */
#include <math.h>

#include <gsl/gsl_cdf.h>

#include "unc_internal.h"

#define SUM_TOLERANCE 1e-9 /* a Dirichlet's values must sum to 1 within this */

/* The normal scores of one Dirichlet's values (see cs_unc_to_normal). */
static int dirichlet_scores(const cs_unc_dist *d, const double *x, double *z, size_t e,
                            cs_error *err)
{
    double sum = 0.0;
    for (size_t i = 0; i < d->k; i++) {
        if (!(x[i] > 0.0 && x[i] < 1.0))
            return cs_error_set(err, CS_EINVAL,
                                "uncertain input %zu: share %zu is %g, not strictly between 0 "
                                "and 1",
                                e, i, x[i]);
        sum += x[i];
    }
    if (!(fabs(sum - 1.0) <= SUM_TOLERANCE))
        return cs_error_set(err, CS_EINVAL, "uncertain input %zu: the shares sum to %.12g, not 1",
                            e, sum);
    for (size_t i = 0; i < d->k; i++) {
        double g = x[i] / sum * d->dir_median_s;
        z[i] = cs_unc_normal_score(gsl_cdf_gamma_P(g, d->counts[i], 1.0),
                                   gsl_cdf_gamma_Q(g, d->counts[i], 1.0));
        if (!isfinite(z[i]))
            return cs_error_set(err, CS_EINVAL,
                                "uncertain input %zu: share %zu (%g) lies too far in a tail to "
                                "have a normal score",
                                e, i, x[i]);
    }
    return CS_OK;
}

/* The normal score of one univariate value. */
static int scalar_score(const cs_unc_dist *d, double x, double *z, size_t e, cs_error *err)
{
    if (!(x > d->lo && x < d->hi))
        return cs_error_set(err, CS_EINVAL,
                            "uncertain input %zu: %g lies outside (%g, %g), where its %s "
                            "distribution lies",
                            e, x, d->lo, d->hi, cs_unc_family_name(d->family));
    double P, Q;
    cs_unc_cdf_pq(d, x, &P, &Q);
    *z = cs_unc_normal_score(P, Q);
    if (!isfinite(*z))
        return cs_error_set(err, CS_EINVAL,
                            "uncertain input %zu: %g lies too far in a tail of its %s "
                            "distribution to have a normal score",
                            e, x, cs_unc_family_name(d->family));
    return CS_OK;
}

int cs_unc_to_normal(const cs_unc_set *s, cs_unc_work *w, const double *values, double *z,
                     cs_error *err)
{
    if (!s->finalized || !w || w->set != s)
        return cs_error_set(err, CS_EINVAL, "uncertain inputs: workspace of another set");
    for (size_t e = 0; e < s->n_entries; e++) {
        const cs_unc_entry *en = &s->entries[e];
        size_t o = en->offset;
        int st = en->dist.family == CS_UNC_DIRICHLET
                     ? dirichlet_scores(&en->dist, values + o, z + o, e, err)
                     : scalar_score(&en->dist, values[o], z + o, e, err);
        if (st != CS_OK)
            return st;
    }
    /* Correlated rows hold y = L z: solve by forward substitution. */
    for (size_t r = 0; r < s->n_corr; r++) {
        double acc = z[s->entries[s->corr_ent[r]].offset];
        for (size_t c = 0; c < r; c++)
            acc -= gsl_matrix_get(s->chol, r, c) * w->y[c];
        w->y[r] = acc / gsl_matrix_get(s->chol, r, r);
    }
    for (size_t r = 0; r < s->n_corr; r++)
        z[s->entries[s->corr_ent[r]].offset] = w->y[r];
    return CS_OK;
}

/* The p-quantile of the marginal of value i of entry en. */
static double marginal_quantile(const cs_unc_entry *en, size_t i, double p)
{
    const cs_unc_dist *d = &en->dist;
    if (d->family != CS_UNC_DIRICHLET)
        return cs_unc_quantile_pq(d, p, 1.0 - p);
    double sum = 0.0;
    for (size_t j = 0; j < d->k; j++)
        sum += d->counts[j];
    return cs_unc_inside(d, cs_unc_beta_quantile(d->counts[i], sum - d->counts[i], p, 1.0 - p));
}

int cs_unc_percentiles(const cs_unc_set *s, double p, double *values, cs_error *err)
{
    if (!(p > 0.0 && p < 1.0))
        return cs_error_set(err, CS_EINVAL, "percentile %g must lie strictly between 0 and 1", p);
    for (size_t e = 0; e < s->n_entries; e++) {
        const cs_unc_entry *en = &s->entries[e];
        for (size_t i = 0; i < en->dist.k; i++) {
            values[en->offset + i] = marginal_quantile(en, i, p);
            if (isnan(values[en->offset + i]))
                return cs_error_set(err, CS_EINTERNAL,
                                    "uncertain input %zu (`%s`): the quantile at %g failed", e,
                                    en->label, p);
        }
    }
    return CS_OK;
}

/* Every univariate value at its median, every Dirichlet at its mean. */
static int centre_point(const cs_unc_set *s, double *values, cs_error *err)
{
    for (size_t e = 0; e < s->n_entries; e++) {
        const cs_unc_dist *d = &s->entries[e].dist;
        double *v = values + s->entries[e].offset;
        if (d->family != CS_UNC_DIRICHLET) {
            v[0] = cs_unc_quantile_pq(d, 0.5, 0.5);
            if (isnan(v[0]))
                return cs_error_set(err, CS_EINTERNAL, "uncertain input %zu: median failed", e);
            continue;
        }
        double sum = 0.0;
        for (size_t i = 0; i < d->k; i++)
            sum += d->counts[i];
        for (size_t i = 0; i < d->k; i++)
            v[i] = d->counts[i] / sum;
    }
    return CS_OK;
}

int cs_unc_oneway(const cs_unc_set *s, size_t which, double p, double *values, cs_error *err)
{
    if (which >= s->n_values)
        return cs_error_set(err, CS_EINVAL, "one-way: value %zu of %zu", which, s->n_values);
    if (!(p > 0.0 && p < 1.0))
        return cs_error_set(err, CS_EINVAL, "percentile %g must lie strictly between 0 and 1", p);
    int st = centre_point(s, values, err);
    if (st != CS_OK)
        return st;
    size_t e = 0;
    while (e + 1 < s->n_entries && s->entries[e + 1].offset <= which)
        e++;
    const cs_unc_entry *en = &s->entries[e];
    size_t i = which - en->offset;
    double x = marginal_quantile(en, i, p);
    if (isnan(x))
        return cs_error_set(err, CS_EINTERNAL, "uncertain input %zu: quantile failed", e);
    values[which] = x;
    if (en->dist.family != CS_UNC_DIRICHLET)
        return CS_OK;
    /* E[x_j | x_i] = (1 - x_i) count_j / (sum - count_i): given x_i, the other
     * shares are (1 - x_i) times a Dirichlet of the other counts. */
    const cs_unc_dist *d = &en->dist;
    double sum = 0.0;
    for (size_t j = 0; j < d->k; j++)
        sum += d->counts[j];
    for (size_t j = 0; j < d->k; j++)
        if (j != i)
            values[en->offset + j] = (1.0 - x) * d->counts[j] / (sum - d->counts[i]);
    return CS_OK;
}
