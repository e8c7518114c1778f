/*
 * calibrate/evaluate.c — one IMIS wave through the engine: point g of the
 * calibration runs the baseline in replicates g K .. g K + K - 1 (with
 * common seeds, on the random streams of replicates 0 .. K - 1), and each
 * target's sums are accumulated from the results (casesim/calibrate.h).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate/internal.h"
#include "casesim/engine.h"
#ifdef CASESIM_HAVE_MPI
#include "casesim/engine_mpi.h"
#endif

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

/* Common seeds: the point's k-th replicate draws from replicate k's streams. */
static uint64_t wave_common_streams(const void *ctx, uint64_t replicate)
{
    return replicate % ((const wave_src *)ctx)->K;
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

#ifdef CASESIM_HAVE_MPI
/* The run over the ranks of MPI_COMM_WORLD: rank 0's sink adds up the
 * results (delivered in replicate order), then rank 0 sends the n sums to
 * every rank, so that every rank scores the same figures. */
static int evaluate_mpi(cs_run_config *rc, double *sums, size_t n, const cs_scenario *s,
                        cs_error *err)
{
    if (rc->tallies) /* the same on every rank: every rank refuses */
        return cs_error_set(err, CS_EINVAL,
                            "calibrate: a mean_duration target, or a kind: in a period or a "
                            "cohort share, cannot be calibrated over MPI ranks yet (the "
                            "durations and counts by kind stay on the rank that simulated "
                            "them): run without MPI");
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank != 0) {
        rc->sink = NULL;
        rc->sink_ctx = NULL;
    }
    int st = cs_sim_run_mpi(s, rc, MPI_COMM_WORLD, err);
    if (st != CS_OK)
        return st; /* the same status on every rank */
    if (n > (size_t)INT_MAX)
        return cs_error_set(err, CS_ELIMIT, "calibrate: too many target sums for one message");
    if (MPI_Bcast(sums, (int)n, MPI_DOUBLE, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
        st = cs_error_set(err, CS_EIO, "calibrate: the target sums could not be sent");
    return cs_mpi_agree(MPI_COMM_WORLD, st, err);
}
#endif

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
                          .streams_of = cfg->common_seeds ? wave_common_streams : NULL,
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
                        .points = &ps,
                        .tallies = cs_targets_tallies(s)};
#ifdef CASESIM_HAVE_MPI
    if (cfg->use_mpi)
        return evaluate_mpi(&rc, sums, n * s->n_targets * CS_TARGET_SUMS, s, err);
#endif
    return cs_sim_run(s, &rc, err);
}

bool cs_calibrate_stopped(const cs_calibrate_config *cfg)
{
    int stop = cfg->stop && *cfg->stop;
#ifdef CASESIM_HAVE_MPI
    /* every rank must leave the loop together, or the others would wait in
     * the next evaluation for ever */
    if (cfg->use_mpi)
        MPI_Allreduce(MPI_IN_PLACE, &stop, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
#endif
    return stop != 0;
}
