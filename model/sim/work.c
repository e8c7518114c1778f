/*
 * work.c — cs_sim_run: every selected (variant, replicate) pair of a scenario
 * run in parallel with OpenMP, results handed to the caller's sink in
 * (replicate, variant) order.
 *
 * Work item i (0-based) is replicate first + (i / n_variants) x stride of variant
 * i % n_variants; threads take items in increasing i. Each item's result
 * depends only on (model, seed, replicate) — never on the thread — so the
 * delivered sequence is bit-identical for any thread count. Results wait in
 * a reorder buffer of K = 2 x threads slots: item i may start only once item
 * i - K has been delivered, so memory is bounded by K results whatever the
 * replicate count. Whichever thread finds the next item ready delivers it
 * (under a lock, so the sink runs on one thread at a time); a thread waiting
 * for a slot helps deliver and sleeps briefly between tries.
 */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casesim/engine.h"
#include "sim/model.h"

typedef struct run_state {
    const cs_run_config *cfg;
    size_t nv;
    uint64_t total;
    uint64_t K;
    uint64_t stride;           /* between consecutive replicates (1 unless one rank's share) */
    cs_replicate_result **res; /* [K] */
    cs_error *slot_err;        /* [K] */
    int *slot_status;          /* [K] */
    int *ready;                /* [K], accessed atomically */
    uint64_t next;             /* next item to take (atomic) */
    uint64_t delivered;        /* items delivered (atomic) */
    int abort;                 /* stop taking and delivering (atomic) */
    int first_status;          /* first failure, in delivery order (under lock) */
    omp_lock_t lock;
    cs_error *err;
} run_state;

static int get_abort(run_state *rs)
{
    int a;
#pragma omp atomic read seq_cst
    a = rs->abort;
    return a;
}

static void set_abort(run_state *rs)
{
#pragma omp atomic write seq_cst
    rs->abort = 1;
}

/* Delivers every consecutive ready item, if no other thread is delivering. */
static void try_deliver(run_state *rs)
{
    if (!omp_test_lock(&rs->lock))
        return;
    while (!get_abort(rs)) {
        uint64_t d;
#pragma omp atomic read seq_cst
        d = rs->delivered;
        if (d >= rs->total)
            break;
        size_t slot = (size_t)(d % rs->K);
        int r;
#pragma omp atomic read seq_cst
        r = rs->ready[slot];
        if (!r)
            break;
        int rc = rs->slot_status[slot];
        if (rc == CS_OK)
            rc = rs->cfg->sink(rs->cfg->sink_ctx, rs->res[slot], rs->err);
        else if (rc == CS_EINTERRUPTED)
            cs_error_set(rs->err, rc, "run interrupted");
        else
            cs_error_set(rs->err, rc, "%s", rs->slot_err[slot].text);
        if (rc != CS_OK) {
            rs->first_status = rc;
            set_abort(rs);
            break;
        }
#pragma omp atomic write seq_cst
        rs->ready[slot] = 0;
#pragma omp atomic write seq_cst
        rs->delivered = d + 1;
    }
    omp_unset_lock(&rs->lock);
}

static void nap(void)
{
    struct timespec ts = {0, 50000}; /* 50 us */
    nanosleep(&ts, NULL);
}

static void worker(run_state *rs, cs_model *const *models, const size_t *variant_index)
{
    const cs_run_config *cfg = rs->cfg;
    for (;;) {
        if (cfg->stop && *cfg->stop) {
            set_abort(rs);
            break;
        }
        uint64_t i;
#pragma omp atomic capture seq_cst
        i = rs->next++;
        if (i >= rs->total || get_abort(rs))
            break;
        /* Wait until slot i % K is free (item i - K delivered). */
        for (;;) {
            if (get_abort(rs))
                return;
            uint64_t d;
#pragma omp atomic read seq_cst
            d = rs->delivered;
            if (i < d + rs->K)
                break;
            try_deliver(rs);
            nap();
        }
        size_t slot = (size_t)(i % rs->K);
        size_t vi = (size_t)(i % rs->nv);
        uint64_t rep = cfg->first_replicate + (i / rs->nv) * rs->stride;
        bool records = rep - cfg->first_replicate < cfg->case_record_replicates;
        cs_error_clear(&rs->slot_err[slot]);
        int rc = cs_sim_replicate(models[vi], cfg->seed, rep, records, cfg->stop, rs->res[slot],
                                  &rs->slot_err[slot]);
        rs->res[slot]->variant = variant_index[vi];
        rs->slot_status[slot] = rc;
#pragma omp atomic write seq_cst
        rs->ready[slot] = 1;
        try_deliver(rs);
    }
}

/* The number of variants cfg selects of s into *nv, and checks the
 * replicate range: CS_OK, CS_EINVAL or CS_ELIMIT. */
static int check_config(const cs_scenario *s, const cs_run_config *cfg, size_t *nv, cs_error *err)
{
    if (!s || !cfg || !cfg->sink)
        return cs_error_set(err, CS_EINVAL, "cs_sim_run: missing scenario, configuration or sink");
    size_t n_all = s->n_variants ? s->n_variants : 1;
    *nv = cfg->variants ? cfg->n_variants : (cfg->n_variants ? cfg->n_variants : n_all);
    if (*nv == 0 || *nv > n_all)
        return cs_error_set(err, CS_EINVAL, "cs_sim_run: %zu variants selected of %zu", *nv, n_all);
    uint64_t stride = cfg->replicate_stride > 1 ? cfg->replicate_stride : 1;
    if (cfg->n_replicates > 0 &&
        (cfg->n_replicates > UINT64_MAX / *nv || cfg->n_replicates - 1 > UINT64_MAX / stride ||
         cfg->first_replicate > UINT64_MAX - (cfg->n_replicates - 1) * stride))
        return cs_error_set(err, CS_ELIMIT, "cs_sim_run: too many replicates");
    return CS_OK;
}

/* Resolves the nv selected variants into vindex and compiles their models.
 * Every result has the baseline's shape, and a paired comparison needs the
 * same cohort window: a variant that changed `time` is refused. */
static int compile_models(const cs_scenario *s, const cs_run_config *cfg, size_t nv, size_t *vindex,
                          cs_model **models, cs_error *err)
{
    size_t n_all = s->n_variants ? s->n_variants : 1;
    for (size_t i = 0; i < nv; i++) {
        vindex[i] = cfg->variants ? cfg->variants[i] : i;
        if (vindex[i] >= n_all || (i > 0 && vindex[i] <= vindex[i - 1]))
            return cs_error_set(err, CS_EINVAL,
                                "cs_sim_run: variant indices must be increasing and < %zu", n_all);
        const cs_scenario *vs = s->n_variants ? s->variants[vindex[i]].scenario : s;
        if (vs->warmup_years != s->warmup_years || vs->cohort_years != s->cohort_years ||
            vs->follow_up_years != s->follow_up_years)
            return cs_error_set(err, CS_EINVAL,
                                "cs_sim_run: variant `%s` changes the time window (warmup, cohort "
                                "or follow-up years); variants must share the baseline's",
                                s->variants[vindex[i]].name);
        int rc = cs_model_compile(vs, &models[i], err);
        if (rc != CS_OK)
            return rc;
    }
    return CS_OK;
}

/* The reorder buffer: K = 2 x threads slots, each a result of the models'
 * dimensions. */
static int state_alloc(run_state *rs, const cs_model *model, int threads, cs_error *err)
{
    rs->K = 2u * (uint64_t)threads;
    rs->res = calloc(rs->K, sizeof *rs->res);
    rs->slot_err = calloc(rs->K, sizeof *rs->slot_err);
    rs->slot_status = calloc(rs->K, sizeof *rs->slot_status);
    rs->ready = calloc(rs->K, sizeof *rs->ready);
    if (!rs->res || !rs->slot_err || !rs->slot_status || !rs->ready)
        return cs_error_set(err, CS_ENOMEM, "cs_sim_run: out of memory");
    int rc = CS_OK;
    for (uint64_t k = 0; k < rs->K && rc == CS_OK; k++)
        rc = cs_replicate_result_alloc(&model->dims, &rs->res[k], err);
    return rc;
}

static void state_free(run_state *rs)
{
    for (uint64_t k = 0; rs->res && k < rs->K; k++)
        cs_replicate_result_free(rs->res[k]);
    free(rs->res);
    free(rs->slot_err);
    free(rs->slot_status);
    free(rs->ready);
}

/* Runs every item on `threads` threads and delivers what is left. */
static int run_parallel(run_state *rs, cs_model *const *models, const size_t *vindex, int threads,
                        cs_error *err)
{
    omp_init_lock(&rs->lock);
#pragma omp parallel num_threads(threads)
    worker(rs, models, vindex);
    /* Every item taken has finished: deliver what is left, in order. */
    try_deliver(rs);
    omp_destroy_lock(&rs->lock);
    if (rs->first_status != CS_OK)
        return rs->first_status;
    if (rs->delivered < rs->total)
        return cs_error_set(err, CS_EINTERRUPTED, "run interrupted after %llu of %llu items",
                            (unsigned long long)rs->delivered, (unsigned long long)rs->total);
    return CS_OK;
}

int cs_sim_run(const cs_scenario *s, const cs_run_config *cfg, cs_error *err)
{
    size_t nv = 0;
    int rc = check_config(s, cfg, &nv, err);
    if (rc != CS_OK || cfg->n_replicates == 0)
        return rc;
    run_state rs;
    memset(&rs, 0, sizeof rs);
    size_t *vindex = calloc(nv, sizeof *vindex);
    cs_model **models = calloc(nv, sizeof *models);
    if (!vindex || !models) {
        rc = cs_error_set(err, CS_ENOMEM, "cs_sim_run: out of memory");
        goto done;
    }
    rc = compile_models(s, cfg, nv, vindex, models, err);
    rs.cfg = cfg;
    rs.nv = nv;
    rs.total = cfg->n_replicates * nv;
    rs.stride = cfg->replicate_stride > 1 ? cfg->replicate_stride : 1;
    rs.err = err;
    int threads = cfg->threads > 0 ? cfg->threads : omp_get_max_threads();
    if (threads < 1)
        threads = 1;
    if ((uint64_t)threads > rs.total)
        threads = (int)rs.total;
    if (rc == CS_OK)
        rc = state_alloc(&rs, models[0], threads, err);
    if (rc == CS_OK)
        rc = run_parallel(&rs, models, vindex, threads, err);
done:
    state_free(&rs);
    for (size_t i = 0; models && i < nv; i++)
        cs_model_free(models[i]);
    free(models);
    free(vindex);
    return rc;
}
