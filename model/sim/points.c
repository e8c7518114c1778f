/*
 * sim/points.c — the point cache of the parallel driver (sim/points.h) and
 * the two point sources every caller needs (casesim/engine.h): prior draws
 * and a table of points.
 */
#include "sim/points.h"

#include <omp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casesim/dynamics.h"
#include "core/alloc.h"
#include "sim/model.h"

/* ---------------------------------------------------------------- sources */

static uint64_t draw_of(const void *ctx, uint64_t replicate)
{
    const cs_draw_source *d = ctx;
    return replicate / d->replicates_per_draw;
}

static void *draw_state(const void *ctx)
{
    return cs_unc_work_alloc(((const cs_draw_source *)ctx)->set);
}

static void draw_state_free(void *state)
{
    cs_unc_work_free(state);
}

static int draw_values(const void *ctx, void *state, uint64_t point, double *values, cs_error *err)
{
    const cs_draw_source *d = ctx;
    if (!state)
        return cs_error_set(err, CS_ENOMEM, "out of memory for the draws of uncertain inputs");
    return cs_unc_draw(d->set, state, d->seed, point, values, err);
}

void cs_point_source_draws(cs_point_source *src, cs_draw_source *ctx, const cs_scenario *s,
                           uint64_t seed)
{
    *ctx = (cs_draw_source){.set = s->uncertain_set,
                            .seed = seed,
                            .replicates_per_draw =
                                s->replicates_per_draw ? s->replicates_per_draw : 1};
    *src = (cs_point_source){.n_values = s->n_uncertain_values,
                             .point_of = draw_of,
                             .thread_alloc = draw_state,
                             .thread_free = draw_state_free,
                             .values = draw_values,
                             .ctx = ctx};
}

static uint64_t table_point_of(const void *ctx, uint64_t replicate)
{
    const cs_table_source *t = ctx;
    return replicate / (t->replicates_per_point ? t->replicates_per_point : 1);
}

static int table_values(const void *ctx, void *state, uint64_t point, double *values, cs_error *err)
{
    (void)state;
    const cs_table_source *t = ctx;
    if (point >= t->n_points)
        return cs_error_set(err, CS_EINVAL, "point %llu is beyond the table's %llu points",
                            (unsigned long long)point, (unsigned long long)t->n_points);
    memcpy(values, t->values + point * t->n_values, t->n_values * sizeof *values);
    return CS_OK;
}

void cs_point_source_table(cs_point_source *src, const cs_table_source *ctx)
{
    *src = (cs_point_source){
        .n_values = ctx->n_values, .point_of = table_point_of, .values = table_values, .ctx = ctx};
}

/* ------------------------------------------------------------------ cache */

typedef enum { ENTRY_EMPTY = 0, ENTRY_BUILDING, ENTRY_READY, ENTRY_FAILED } entry_state;

typedef struct entry {
    cs_point_models m;
    entry_state state;
    size_t refs;
    uint64_t used; /* when last acquired (the cache's clock) */
    int status;    /* ENTRY_FAILED: the error of building it */
    cs_error *err;
} entry;

struct cs_point_cache {
    const cs_scenario *s;
    const cs_point_source *src;
    size_t nv;
    const size_t *vindex;
    size_t n; /* entries */
    entry *e; /* [n] */
    uint64_t clock;
    omp_lock_t lock;
    unsigned tallies; /* CS_TALLY_* for every model built */
};

static void free_models(cs_point_cache *c, entry *e)
{
    for (size_t i = 0; e->m.models && i < c->nv; i++) {
        cs_model_free(e->m.models[i]);
        e->m.models[i] = NULL;
    }
}

void cs_point_cache_free(cs_point_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->e && i < c->n; i++) {
        free_models(c, &c->e[i]);
        free(c->e[i].m.models);
        free(c->e[i].m.values);
        free(c->e[i].m.cost);
        free(c->e[i].err);
    }
    free(c->e);
    omp_destroy_lock(&c->lock);
    free(c);
}

int cs_point_cache_alloc(const cs_scenario *s, const cs_point_source *src, size_t nv,
                         const size_t *vindex, size_t in_flight, cs_point_cache **out,
                         cs_error *err)
{
    *out = NULL;
    cs_point_cache *c = calloc(1, sizeof *c);
    if (!c)
        return cs_error_set(err, CS_ENOMEM, "out of memory for the point cache");
    omp_init_lock(&c->lock);
    c->s = s;
    c->src = src;
    c->nv = nv;
    c->vindex = vindex;
    c->n = in_flight + 1;
    c->e = cs_xcalloc(c->n, sizeof *c->e);
    bool ok = c->e != NULL;
    for (size_t i = 0; ok && i < c->n; i++) {
        entry *e = &c->e[i];
        e->m.models = cs_xcalloc(nv, sizeof *e->m.models);
        e->m.values = cs_xcalloc(src->n_values, sizeof *e->m.values);
        e->m.cost = cs_xcalloc(nv, sizeof *e->m.cost);
        e->err = malloc(sizeof *e->err);
        ok = e->m.models && e->m.values && e->m.cost && e->err;
    }
    if (!ok) {
        cs_point_cache_free(c);
        return cs_error_set(err, CS_ENOMEM, "out of memory for the point cache");
    }
    *out = c;
    return CS_OK;
}

/* Compiles the selected variants of instance inst into e. */
static int compile_point(cs_point_cache *c, const cs_scenario *inst, entry *e, cs_error *err)
{
    int st = CS_OK;
    for (size_t i = 0; i < c->nv && st == CS_OK; i++) {
        const cs_variant *v = &inst->variants[c->vindex[i]];
        e->m.cost[i] = cs_variant_cohort_cost(inst, c->vindex[i]); /* in force (work.c) */
        st = cs_model_compile(v->scenario, &e->m.models[i], err);
        if (st == CS_OK)
            cs_model_set_tallies(e->m.models[i], c->tallies);
    }
    return st;
}

void cs_point_cache_set_tallies(cs_point_cache *c, unsigned which)
{
    c->tallies = which;
}

/* Builds point p into e (outside the lock: e is BUILDING, no one else
 * touches it). */
static int build_point(cs_point_cache *c, entry *e, uint64_t p, void *state)
{
    cs_error *err = e->err;
    cs_error_clear(err);
    cs_scenario *inst = NULL;
    int st = c->src->values(c->src->ctx, state, p, e->m.values, err);
    if (st == CS_OK)
        st = cs_scenario_instantiate(c->s, e->m.values, &inst, err);
    if (st == CS_OK)
        st = compile_point(c, inst, e, err);
    cs_scenario_free(inst);
    return st;
}

static bool aborted(const int *abort)
{
    if (!abort)
        return false;
    int a;
#pragma omp atomic read seq_cst
    a = *abort;
    return a != 0;
}

static void nap(void)
{
    struct timespec ts = {0, 50000}; /* 50 us */
    nanosleep(&ts, NULL);
}

/* Under the lock: the entry of point p, or NULL. */
static entry *find(cs_point_cache *c, uint64_t p)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->e[i].state != ENTRY_EMPTY && c->e[i].m.point == p)
            return &c->e[i];
    return NULL;
}

/* Under the lock: the least recently used entry that no item holds, or
 * NULL. */
static entry *victim(cs_point_cache *c)
{
    entry *v = NULL;
    for (size_t i = 0; i < c->n; i++) {
        entry *e = &c->e[i];
        if (e->refs == 0 && e->state != ENTRY_BUILDING && (!v || e->used < v->used))
            v = e;
    }
    return v;
}

/* Copies the messages of from (without their last newline) into err. */
static int copy_error(cs_error *err, int st, const cs_error *from)
{
    size_t len = strlen(from->text);
    while (len > 0 && from->text[len - 1] == '\n')
        len--;
    return cs_error_set(err, st, "%.*s", (int)len, from->text);
}

void cs_point_cache_release(cs_point_cache *c, const cs_point_models *m)
{
    entry *e = (entry *)((char *)m - offsetof(entry, m));
    omp_set_lock(&c->lock);
    e->refs--;
    omp_unset_lock(&c->lock);
}

/* Builds point p into v, which the caller took for it, and publishes it. */
static int build_and_publish(cs_point_cache *c, entry *v, uint64_t p, void *state,
                             const cs_point_models **out, cs_error *err)
{
    free_models(c, v); /* v is BUILDING: no other thread reads it */
    int st = build_point(c, v, p, state);
    omp_set_lock(&c->lock);
    v->state = st == CS_OK ? ENTRY_READY : ENTRY_FAILED;
    v->status = st;
    omp_unset_lock(&c->lock);
    if (st == CS_OK) {
        *out = &v->m;
        return CS_OK;
    }
    cs_point_cache_release(c, &v->m);
    return copy_error(err, st, v->err);
}

int cs_point_cache_acquire(cs_point_cache *c, uint64_t p, void *state, const int *abort,
                           const cs_point_models **out, cs_error *err)
{
    for (;;) {
        if (aborted(abort))
            return cs_error_set(err, CS_EINTERRUPTED, "run interrupted");
        omp_set_lock(&c->lock);
        entry *e = find(c, p), *v = NULL;
        entry_state seen = e ? e->state : ENTRY_EMPTY;
        if (e && seen != ENTRY_BUILDING) {
            e->refs++;
            e->used = ++c->clock;
        } else if (!e && (v = victim(c))) {
            *v = (entry){.m = v->m, .state = ENTRY_BUILDING, .refs = 1, .err = v->err};
            v->m.point = p;
            v->used = ++c->clock;
        }
        omp_unset_lock(&c->lock);
        if (v)
            return build_and_publish(c, v, p, state, out, err);
        if (seen == ENTRY_READY) {
            *out = &e->m;
            return CS_OK;
        }
        if (seen == ENTRY_FAILED) {
            int st = copy_error(err, e->status, e->err);
            cs_point_cache_release(c, &e->m);
            return st;
        }
        nap(); /* another thread builds p, or every entry is held: wait */
    }
}
