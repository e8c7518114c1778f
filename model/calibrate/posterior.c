/*
 * calibrate/posterior.c — posterior draws as the points of a run
 * (`casesim run --posterior CAL.h5`; casesim/calibrate.h).
 */
#include <stdlib.h>
#include <string.h>

#include "casesim/calibrate.h"
#include "core/alloc.h"

int cs_posterior_draws_make(const cs_calibration *c, const cs_scenario *s, uint64_t seed,
                            cs_posterior_draws *out, cs_error *err)
{
    memset(out, 0, sizeof *out);
    if (c->dim != s->n_uncertain_values || !s->uncertain_set || c->n_points == 0)
        return cs_error_set(err, CS_EINVAL,
                            "the calibration has %zu input values and %zu points; the scenario "
                            "has %zu uncertain values",
                            c->dim, c->n_points, s->n_uncertain_values);
    size_t m = CS_POSTERIOR_DRAWS, D = c->dim;
    size_t *idx = cs_xcalloc(m, sizeof *idx);
    out->z = cs_xcalloc(m * D, sizeof *out->z);
    if (!idx || !out->z) {
        free(idx);
        cs_posterior_draws_release(out);
        return cs_error_set(err, CS_ENOMEM, "out of memory (posterior draws)");
    }
    cs_stream_key key = {
        .seed = seed, .purpose = CS_STREAM_CALIBRATION, .group = CS_CALIB_KEY_RESAMPLE};
    int st = cs_calib_resample(c->weight, c->n_points, m, &key, idx, err);
    for (size_t k = 0; st == CS_OK && k < m; k++)
        memcpy(out->z + k * D, c->z + idx[k] * D, D * sizeof *out->z);
    free(idx);
    if (st != CS_OK) {
        cs_posterior_draws_release(out);
        return st;
    }
    out->set = s->uncertain_set;
    out->dim = D;
    out->n_draws = m;
    out->replicates_per_draw = s->replicates_per_draw ? s->replicates_per_draw : 1;
    return CS_OK;
}

void cs_posterior_draws_release(cs_posterior_draws *d)
{
    free(d->z);
    memset(d, 0, sizeof *d);
}

static uint64_t posterior_point_of(const void *ctx, uint64_t replicate)
{
    const cs_posterior_draws *d = ctx;
    return (replicate / d->replicates_per_draw) % d->n_draws;
}

static void *posterior_thread_alloc(const void *ctx)
{
    return cs_unc_work_alloc(((const cs_posterior_draws *)ctx)->set);
}

static void posterior_thread_free(void *state)
{
    cs_unc_work_free(state);
}

static int posterior_values(const void *ctx, void *state, uint64_t point, double *values,
                            cs_error *err)
{
    const cs_posterior_draws *d = ctx;
    if (!state)
        return cs_error_set(err, CS_ENOMEM, "out of memory (a thread's workspace)");
    return cs_unc_from_normal(d->set, state, d->z + point * d->dim, values, err);
}

void cs_point_source_posterior(cs_point_source *src, const cs_posterior_draws *d)
{
    *src = (cs_point_source){.n_values = d->dim,
                             .point_of = posterior_point_of,
                             .thread_alloc = posterior_thread_alloc,
                             .thread_free = posterior_thread_free,
                             .values = posterior_values,
                             .ctx = d};
}
