/*
 * sim/points.h — the compiled models of the points a run visits, shared by
 * its threads (internal to sim/work.c; see cs_point_source in
 * casesim/engine.h).
 *
 * A point is built once — its values asked of the source, the scenario
 * instantiated there, the selected variants compiled and the instance freed
 * (a model keeps no pointer to its scenario) — and then used by every
 * (variant, replicate) item of that point that is in flight. The cache has
 * as many entries as the driver has items in flight plus one, so an entry
 * is always free when an item needs a point that is not there: memory is
 * bounded by the threads, whatever the number of points. An entry no item
 * holds is reused for the next point needed, least recently used first.
 */
#ifndef CASESIM_SIM_POINTS_H
#define CASESIM_SIM_POINTS_H

#include <stddef.h>
#include <stdint.h>

#include "casesim/engine.h"

/* One point's compiled models: the selected variants' models, the point's
 * values and each variant's annual cost there. Read-only for the items. */
typedef struct cs_point_models {
    uint64_t point;
    cs_model **models; /* [nv] */
    double *values;    /* [n_values] */
    double *cost;      /* [nv] */
} cs_point_models;

typedef struct cs_point_cache cs_point_cache;

/* A cache for scenario s (which must outlive it), points from src, the nv
 * variants vindex[0 .. nv) of s, and at most `in_flight` items holding a
 * point at once. Returns CS_OK or CS_ENOMEM. */
int cs_point_cache_alloc(const cs_scenario *s, const cs_point_source *src, size_t nv,
                         const size_t *vindex, size_t in_flight, cs_point_cache **out,
                         cs_error *err);

/* Makes every model c builds keep the extra tallies `which` (CS_TALLY_*;
 * cs_model_set_tallies). Call before the first acquire. */
void cs_point_cache_set_tallies(cs_point_cache *c, unsigned which);

/* Frees c and every model it holds. NULL is a no-op. */
void cs_point_cache_free(cs_point_cache *c);

/* The models of point p, built with the calling thread's source state if no
 * other thread has built them (a thread asking for a point another is
 * building waits for it). The caller holds them until
 * cs_point_cache_release. *abort (read atomically) ends a wait. Returns
 * CS_OK; CS_EINTERRUPTED when aborted; or the error of building the point
 * (the same error for every item of that point), with err. */
int cs_point_cache_acquire(cs_point_cache *c, uint64_t p, void *state, const int *abort,
                           const cs_point_models **out, cs_error *err);

/* Releases what cs_point_cache_acquire gave. */
void cs_point_cache_release(cs_point_cache *c, const cs_point_models *m);

#endif
