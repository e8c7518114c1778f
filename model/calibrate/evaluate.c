/*
 * calibrate/evaluate.c — one IMIS wave through the engine: point g of the
 * calibration runs the baseline in replicates g K .. g K + K - 1, and each
 * target's sums are accumulated from the results (casesim/calibrate.h).
 */
#include <stdlib.h>
#include <string.h>

#include "calibrate/internal.h"
#include "casesim/engine.h"

/* The wave's points as a point source: replicate r uses point r / K. */
typedef struct wave_src {
    const cs_unc_set *set;
    const double *z; /* [n][dim] */
    size_t dim;
    uint64_t first; /* the first point's number in the calibration */
    uint64_t K;
} wave_src;

static uint64_t wave_point_of(const void *ctx, uint64_t replicate)
{
    return replicate / ((const wave_src *)ctx)->K;
}

static void *wave_thread_alloc(const void *ctx)
{
    return cs_unc_work_alloc(((const wave_src *)ctx)->set);
}

static void wave_thread_free(void *state)
{
    cs_unc_work_free(state);
}

static int wave_values(const void *ctx, void *state, uint64_t point, double *values, cs_error *err)
{
    const wave_src *w = ctx;
    if (!state)
        return cs_error_set(err, CS_ENOMEM, "calibrate: out of memory (a thread's workspace)");
    return cs_unc_from_normal(w->set, state, w->z + (point - w->first) * w->dim, values, err);
}

/* Where the sink adds each replicate's figures. */
typedef struct wave_sink {
    const cs_scenario *s;
    const wave_src *src;
    double *sums; /* [n][n_targets][CS_TARGET_SUMS] */
} wave_sink;

static int wave_sink_add(void *ctx, const cs_replicate_result *r, cs_error *err)
{
    (void)err;
    const wave_sink *k = ctx;
    size_t T = k->s->n_targets;
    double *row = k->sums + (r->replicate / k->src->K - k->src->first) * T * CS_TARGET_SUMS;
    for (size_t t = 0; t < T; t++)
        cs_target_accumulate(k->s, &k->s->targets[t], r, row + t * CS_TARGET_SUMS);
    return CS_OK;
}

int cs_calibrate_evaluate(const cs_scenario *s, const cs_calibrate_config *cfg, const double *z,
                          size_t n, uint64_t first, double *sums, cs_error *err)
{
    memset(sums, 0, n * s->n_targets * CS_TARGET_SUMS * sizeof *sums);
    wave_src src = {.set = s->uncertain_set,
                    .z = z,
                    .dim = s->n_uncertain_values,
                    .first = first,
                    .K = cfg->scale};
    cs_point_source ps = {.n_values = s->n_uncertain_values,
                          .point_of = wave_point_of,
                          .thread_alloc = wave_thread_alloc,
                          .thread_free = wave_thread_free,
                          .values = wave_values,
                          .ctx = &src};
    wave_sink sink = {.s = s, .src = &src, .sums = sums};
    size_t baseline = 0;
    cs_run_config rc = {.seed = cfg->seed,
                        .first_replicate = first * cfg->scale,
                        .n_replicates = (uint64_t)n * cfg->scale,
                        .threads = cfg->threads,
                        .n_variants = 1,
                        .variants = &baseline,
                        .stop = cfg->stop,
                        .sink = wave_sink_add,
                        .sink_ctx = &sink,
                        .points = &ps};
    return cs_sim_run(s, &rc, err);
}
