/*
 * draws.c — from independent inputs (uniforms of a random or Sobol draw, or
 * normal scores) to the values of a set's entries, and back; marginal
 * percentiles and one-way points for a tornado.
 *
 * Every path funnels into the same last step: a pair of tails (p, q) per
 * value, through the entry's quantile (see unc_internal.h for why pairs).
 * The copula acts only on the rows of correlated entries; uncorrelated
 * entries go straight from their uniform to their quantile, so adding a
 * correlation elsewhere does not move them by a rounding error.
 */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "casesim/rng.h"
#include "unc_internal.h"

cs_unc_work *cs_unc_work_alloc(const cs_unc_set *s)
{
    if (!s || !s->finalized)
        return NULL;
    cs_unc_work *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    size_t nv = s->n_values ? s->n_values : 1, nc = s->n_corr ? s->n_corr : 1;
    w->set = s;
    w->p = malloc(nv * sizeof *w->p);
    w->q = malloc(nv * sizeof *w->q);
    w->y = malloc(nc * sizeof *w->y);
    if (!w->p || !w->q || !w->y)
        goto fail;
    if (s->sampling == CS_UNC_SOBOL && s->n_values > 0) {
        w->sobol = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)s->n_values);
        if (!w->sobol)
            goto fail;
    }
    return w;
fail:
    cs_unc_work_free(w);
    return NULL;
}

void cs_unc_work_free(cs_unc_work *w)
{
    if (!w)
        return;
    gsl_qrng_free(w->sobol);
    free(w->p);
    free(w->q);
    free(w->y);
    free(w);
}

static int check_pair(const cs_unc_set *s, const cs_unc_work *w, cs_error *err)
{
    if (!s->finalized || !w || w->set != s)
        return cs_error_set(err, CS_EINVAL, "uncertain inputs: workspace of another set");
    return CS_OK;
}

/* Output d of GSL's Sobol generator into u, walking w's generator. GSL
 * never returns the origin (point 0 of the sequence): its first output is
 * (1/2, ..., 1/2), so output d is point d + 1 and nothing needs skipping;
 * dropping one more would discard the centre point and break the
 * stratification of the first 2^m - 1 draws. */
static int sobol_point(cs_unc_work *w, uint64_t d, double *u, cs_error *err)
{
    if (d > CS_UNC_MAX_SOBOL_DRAWS)
        return cs_error_set(
            err, CS_ELIMIT,
            "sampling: sobol: draw %llu is beyond the %llu points GSL's sequence has",
            (unsigned long long)d, (unsigned long long)CS_UNC_MAX_SOBOL_DRAWS + 1);
    if (w->sobol_next > d) {
        gsl_qrng_init(w->sobol);
        w->sobol_next = 0;
    }
    int st = GSL_SUCCESS;
    for (; st == GSL_SUCCESS && w->sobol_next <= d; w->sobol_next++)
        st = gsl_qrng_get(w->sobol, u);
    if (st != GSL_SUCCESS)
        return cs_error_set(err, CS_EINTERNAL, "sampling: sobol: GSL failed at point %llu",
                            (unsigned long long)w->sobol_next);
    return CS_OK;
}

int cs_unc_uniforms(const cs_unc_set *s, cs_unc_work *w, uint64_t seed, uint64_t d, double *u,
                    cs_error *err)
{
    if (check_pair(s, w, err))
        return CS_EINVAL;
    if (s->n_values == 0)
        return CS_OK;
    if (s->sampling == CS_UNC_SOBOL)
        return sobol_point(w, d, u, err);
    const cs_stream_key key = {.seed = seed, .replicate = d, .purpose = CS_STREAM_UNCERTAIN};
    cs_pcg32 g;
    cs_pcg32_from_key(&g, &key);
    for (size_t i = 0; i < s->n_values; i++)
        u[i] = cs_pcg32_uniform_pos(&g);
    return CS_OK;
}

/* The values from the tails w->p, w->q (the copula already applied). */
static int quantiles(const cs_unc_set *s, const cs_unc_work *w, double *values, cs_error *err)
{
    for (size_t e = 0; e < s->n_entries; e++) {
        const cs_unc_entry *en = &s->entries[e];
        size_t o = en->offset;
        if (en->dist.family == CS_UNC_DIRICHLET) {
            if (cs_unc_dirichlet_values(&en->dist, w->p + o, w->q + o, values + o) != CS_OK)
                return cs_error_set(err, CS_EINTERNAL,
                                    "uncertain input %zu (`%s`): a gamma quantile failed", e,
                                    en->label);
            continue;
        }
        values[o] = cs_unc_quantile_pq(&en->dist, w->p[o], w->q[o]);
        if (isnan(values[o]))
            return cs_error_set(err, CS_EINTERNAL,
                                "uncertain input %zu (`%s`): the quantile at %.17g failed", e,
                                en->label, w->p[o]);
    }
    return CS_OK;
}

/* y <- L y in place on the correlated rows (L lower triangular: from the
 * last row up, each row reads only rows not yet overwritten), then the
 * tails of each row from its score. */
static void correlate_rows(const cs_unc_set *s, cs_unc_work *w)
{
    for (size_t r = s->n_corr; r-- > 0;) {
        double acc = 0.0;
        for (size_t c = 0; c <= r; c++)
            acc += gsl_matrix_get(s->chol, r, c) * w->y[c];
        w->y[r] = acc;
    }
    for (size_t r = 0; r < s->n_corr; r++) {
        size_t o = s->entries[s->corr_ent[r]].offset;
        w->p[o] = gsl_cdf_ugaussian_P(w->y[r]);
        w->q[o] = gsl_cdf_ugaussian_Q(w->y[r]);
    }
}

int cs_unc_from_uniform(const cs_unc_set *s, cs_unc_work *w, const double *u, double *values,
                        cs_error *err)
{
    if (check_pair(s, w, err))
        return CS_EINVAL;
    for (size_t i = 0; i < s->n_values; i++) {
        if (isnan(u[i]))
            return cs_error_set(err, CS_EINVAL, "uncertain inputs: uniform %zu is NaN", i);
        double p = fmin(fmax(u[i], CS_UNC_U_MIN), 1.0 - CS_UNC_U_MIN);
        w->p[i] = p;
        w->q[i] = 1.0 - p;
    }
    for (size_t r = 0; r < s->n_corr; r++) {
        size_t o = s->entries[s->corr_ent[r]].offset;
        w->y[r] = cs_unc_normal_score(w->p[o], w->q[o]);
    }
    correlate_rows(s, w);
    return quantiles(s, w, values, err);
}

int cs_unc_draw(const cs_unc_set *s, cs_unc_work *w, uint64_t seed, uint64_t d, double *values,
                cs_error *err)
{
    /* values doubles as the uniforms' buffer: from_uniform copies them into
     * w->p and w->q before writing any value. */
    int st = cs_unc_uniforms(s, w, seed, d, values, err);
    return st != CS_OK ? st : cs_unc_from_uniform(s, w, values, values, err);
}

int cs_unc_from_normal(const cs_unc_set *s, cs_unc_work *w, const double *z, double *values,
                       cs_error *err)
{
    if (check_pair(s, w, err))
        return CS_EINVAL;
    for (size_t i = 0; i < s->n_values; i++) {
        if (!isfinite(z[i]))
            return cs_error_set(err, CS_EINVAL, "uncertain inputs: normal score %zu is not finite",
                                i);
        w->p[i] = gsl_cdf_ugaussian_P(z[i]);
        w->q[i] = gsl_cdf_ugaussian_Q(z[i]);
    }
    for (size_t r = 0; r < s->n_corr; r++)
        w->y[r] = z[s->entries[s->corr_ent[r]].offset];
    correlate_rows(s, w);
    return quantiles(s, w, values, err);
}
