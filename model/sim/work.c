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
 *
 * Points (cfg->points): each item takes its replicate's compiled models from
 * a cache shared by the threads (sim/points.h), built once per point by
 * whichever thread needs it first; at most K items hold a point at once, so
 * the cache has K + 1 entries. Without a source the scenario's own variants
 * are compiled once, as one fixed point. Either way the item copies the
 * point's values and its variant's annual cost into the result.
 *
 * Each thread runs its items in one engine workspace (cs_sim_workspace),
 * so that its engine memory is allocated once for the run, not once per
 * item (bench/README.md: freed per item, it cost a page fault per page per
 * item).
 */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casesim/dynamics.h"
#include "casesim/engine.h"
#include "core/alloc.h"
#include "sim/model.h"
#include "sim/points.h"

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
    const size_t *vindex;  /* [nv] the variants run */
    cs_point_models fixed; /* without a point source: the scenario's own models */
    cs_point_cache *cache; /* with one: the points' models */
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

/* Runs item i (replicate rep, variant position vi) into its slot: with the
 * models of rep's point, whose values and cost go into the result. */
static int run_item(run_state *rs, cs_sim_workspace *ws, void *state, uint64_t rep, size_t vi,
                    size_t slot)
{
    const cs_run_config *cfg = rs->cfg;
    cs_error *err = &rs->slot_err[slot];
    const cs_point_models *m = &rs->fixed;
    uint64_t point = 0;
    int rc = CS_OK;
    if (!ws)
        return cs_error_set(err, CS_ENOMEM, "cs_sim_run: out of memory (engine workspace)");
    if (rs->cache) {
        point = cfg->points->point_of(cfg->points->ctx, rep);
        rc = cs_point_cache_acquire(rs->cache, point, state, &rs->abort, &m, err);
        if (rc != CS_OK && rc != CS_EINTERRUPTED)
            return cs_error_set(err, rc,
                                "replicate %llu (point %llu of the uncertain inputs) cannot run",
                                (unsigned long long)rep, (unsigned long long)point);
        if (rc != CS_OK)
            return rc;
    }
    bool records = rep - cfg->first_replicate < cfg->case_record_replicates;
    cs_replicate_result *res = rs->res[slot];
    uint64_t streams =
        rs->cache && cfg->points->streams_of ? cfg->points->streams_of(cfg->points->ctx, rep) : rep;
    rc = cs_sim_replicate_ws(ws, m->models[vi], cfg->seed, streams, records, cfg->stop, res, err);
    res->replicate = rep; /* the run's own number, whatever streams it drew from */
    res->variant = rs->vindex[vi];
    res->annual_cost = m->cost[vi];
    if (res->dims.n_inputs > 0)
        memcpy(res->uncertain_values, m->values, res->dims.n_inputs * sizeof *m->values);
    if (rs->cache)
        cs_point_cache_release(rs->cache, m);
    return rc;
}

static void worker(run_state *rs)
{
    const cs_run_config *cfg = rs->cfg;
    const cs_point_source *src = cfg->points;
    void *state = src && src->thread_alloc ? src->thread_alloc(src->ctx) : NULL;
    /* The thread's engine memory, kept from item to item (NULL when out of
     * memory: run_item then reports it in the item's slot). */
    cs_sim_workspace *ws = NULL;
    cs_error ws_err;
    cs_sim_workspace_alloc(&ws, &ws_err);
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
        bool stop = false;
        for (;;) {
            if ((stop = get_abort(rs)))
                break;
            uint64_t d;
#pragma omp atomic read seq_cst
            d = rs->delivered;
            if (i < d + rs->K)
                break;
            try_deliver(rs);
            nap();
        }
        if (stop)
            break;
        size_t slot = (size_t)(i % rs->K);
        uint64_t rep = cfg->first_replicate + (i / rs->nv) * rs->stride;
        cs_error_clear(&rs->slot_err[slot]);
        rs->slot_status[slot] = run_item(rs, ws, state, rep, (size_t)(i % rs->nv), slot);
#pragma omp atomic write seq_cst
        rs->ready[slot] = 1;
        try_deliver(rs);
    }
    cs_sim_workspace_free(ws);
    if (state && src->thread_free)
        src->thread_free(state);
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
    if (cfg->points &&
        (cfg->points->n_values == 0 || cfg->points->n_values != s->n_uncertain_values || !s->tree))
        return cs_error_set(err, CS_EINVAL,
                            "cs_sim_run: a point source of %zu values for a scenario with %zu "
                            "uncertain values",
                            cfg->points->n_values, s->n_uncertain_values);
    uint64_t stride = cfg->replicate_stride > 1 ? cfg->replicate_stride : 1;
    if (cfg->n_replicates > 0 &&
        (cfg->n_replicates > UINT64_MAX / *nv || cfg->n_replicates - 1 > UINT64_MAX / stride ||
         cfg->first_replicate > UINT64_MAX - (cfg->n_replicates - 1) * stride))
        return cs_error_set(err, CS_ELIMIT, "cs_sim_run: too many replicates");
    return CS_OK;
}

/* Resolves the nv selected variants into vindex. Every result has the
 * baseline's shape, and a paired comparison needs the same cohort window: a
 * variant that changed `time` is refused. */
static int select_variants(const cs_scenario *s, const cs_run_config *cfg, size_t nv,
                           size_t *vindex, cs_error *err)
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
    }
    return CS_OK;
}

/* Without a point source: the selected variants compiled once, at the
 * scenario's own values. */
static int compile_fixed(const cs_scenario *s, size_t nv, const size_t *vindex, unsigned tallies,
                         cs_point_models *m, cs_error *err)
{
    m->models = cs_xcalloc(nv, sizeof *m->models);
    m->cost = cs_xcalloc(nv, sizeof *m->cost);
    m->values = cs_xcalloc(s->n_uncertain_values, sizeof *m->values);
    if (!m->models || !m->cost || !m->values)
        return cs_error_set(err, CS_ENOMEM, "cs_sim_run: out of memory");
    cs_scenario_uncertain_values(s, m->values);
    int rc = CS_OK;
    for (size_t i = 0; i < nv && rc == CS_OK; i++) {
        const cs_scenario *vs = s->n_variants ? s->variants[vindex[i]].scenario : s;
        /* The cost in force over the cohort window (interventions paid from
         * their `starts`): what cost per point and net benefit use. */
        m->cost[i] = s->n_variants ? cs_variant_cohort_cost(s, vindex[i]) : 0;
        rc = cs_model_compile(vs, &m->models[i], err);
        if (rc == CS_OK)
            cs_model_set_tallies(m->models[i], tallies);
    }
    return rc;
}

static void free_fixed(cs_point_models *m, size_t nv)
{
    for (size_t i = 0; m->models && i < nv; i++)
        cs_model_free(m->models[i]);
    free(m->models);
    free(m->cost);
    free(m->values);
}

/* The reorder buffer: K = 2 x threads slots, each a result of s's
 * dimensions. */
static int state_alloc(run_state *rs, const cs_scenario *s, int threads, cs_error *err)
{
    rs->K = 2u * (uint64_t)threads;
    rs->res = calloc(rs->K, sizeof *rs->res);
    rs->slot_err = calloc(rs->K, sizeof *rs->slot_err);
    rs->slot_status = calloc(rs->K, sizeof *rs->slot_status);
    rs->ready = calloc(rs->K, sizeof *rs->ready);
    if (!rs->res || !rs->slot_err || !rs->slot_status || !rs->ready)
        return cs_error_set(err, CS_ENOMEM, "cs_sim_run: out of memory");
    cs_result_dims dims;
    cs_result_dims_of(s->n_variants ? s->variants[0].scenario : s, &dims);
    int rc = CS_OK;
    for (uint64_t k = 0; k < rs->K && rc == CS_OK; k++)
        rc = cs_replicate_result_alloc(&dims, &rs->res[k], err);
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
    cs_point_cache_free(rs->cache);
    free_fixed(&rs->fixed, rs->nv);
}

/* Runs every item on `threads` threads and delivers what is left. */
static int run_parallel(run_state *rs, int threads, cs_error *err)
{
    omp_init_lock(&rs->lock);
#pragma omp parallel num_threads(threads)
    worker(rs);
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

/* The threads to run on: cfg's, or OpenMP's, at most one per item. */
static int thread_count(const cs_run_config *cfg, uint64_t total)
{
    int threads = cfg->threads > 0 ? cfg->threads : omp_get_max_threads();
    if (threads < 1)
        threads = 1;
    if ((uint64_t)threads > total)
        threads = (int)total;
    return threads;
}

int cs_sim_run(const cs_scenario *s, const cs_run_config *cfg, cs_error *err)
{
    size_t nv = 0;
    int rc = check_config(s, cfg, &nv, err);
    if (rc != CS_OK || cfg->n_replicates == 0)
        return rc;
    run_state rs;
    memset(&rs, 0, sizeof rs);
    rs.cfg = cfg;
    rs.nv = nv;
    rs.total = cfg->n_replicates * nv;
    rs.stride = cfg->replicate_stride > 1 ? cfg->replicate_stride : 1;
    rs.err = err;
    size_t *vindex = calloc(nv, sizeof *vindex);
    rc = vindex ? select_variants(s, cfg, nv, vindex, err)
                : cs_error_set(err, CS_ENOMEM, "cs_sim_run: out of memory");
    rs.vindex = vindex;
    int threads = thread_count(cfg, rs.total);
    if (rc == CS_OK)
        rc = state_alloc(&rs, s, threads, err);
    if (rc == CS_OK && cfg->points)
        rc = cs_point_cache_alloc(s, cfg->points, nv, vindex, rs.K, &rs.cache, err);
    else if (rc == CS_OK)
        rc = compile_fixed(s, nv, vindex, cfg->tallies, &rs.fixed, err);
    if (rc == CS_OK && rs.cache)
        cs_point_cache_set_tallies(rs.cache, cfg->tallies);
    if (rc == CS_OK)
        rc = run_parallel(&rs, threads, err);
    state_free(&rs);
    free(vindex);
    return rc;
}
