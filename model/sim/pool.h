/*
 * sim/pool.h — a pool of fixed-size elements addressed by 32-bit index,
 * for the engine's cases and tracks.
 *
 * Elements live in one 64-byte-aligned array (a case and a track are one
 * cache line each) that doubles when full; free slots are kept on a stack.
 * Indices, not pointers, name elements, so the array may move when it grows.
 * The order in which slots are handed out is part of the simulation's
 * determinism (a track's slot breaks ties between events): a new block's
 * lowest index comes out first, and a released slot is the next one taken.
 *
 * Invariant (CS_ASSERT): live + n_free == cap.
 */
#ifndef CASESIM_SIM_POOL_H
#define CASESIM_SIM_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/assert.h"

typedef struct cs_pool {
    void *items;    /* [cap] elements of elem bytes, 64-byte aligned */
    uint32_t *free; /* [cap] free slots; the last is taken next */
    size_t elem;    /* element size: a multiple of 64 */
    size_t cap, n_free, live, peak;
} cs_pool;

/* An empty pool of elements of elem bytes (a multiple of 64); no allocation. */
void cs_pool_init(cs_pool *p, size_t elem);

/* Frees the pool's storage and leaves it empty. */
void cs_pool_release(cs_pool *p);

/* Empties the pool, keeping its storage: every slot free, live and peak 0,
 * the element contents left as they are (the caller initialises what it
 * needs). Slots then come out in the order a new pool grown to the same
 * capacity would hand them out (lowest first, a released slot next), so
 * that a reused pool gives the same simulation bit for bit. */
void cs_pool_reset(cs_pool *p);

/* Doubles the capacity (the first growth makes it first_cap), the new slots
 * free, their contents uninitialised, and returns the old capacity (the
 * caller initialises elements old .. cap - 1). Returns SIZE_MAX, with the
 * pool unchanged but usable, when out of memory or beyond 2^32 - 1 slots. */
size_t cs_pool_grow(cs_pool *p, size_t first_cap);

/* Takes a free slot (there must be one: grow first when n_free is 0). */
static inline uint32_t cs_pool_take(cs_pool *p)
{
    CS_ASSERT(p->n_free > 0 && p->live + p->n_free == p->cap);
    uint32_t i = p->free[--p->n_free];
    if (++p->live > p->peak)
        p->peak = p->live;
    return i;
}

/* Returns slot i, taken before, to the pool. */
static inline void cs_pool_put(cs_pool *p, uint32_t i)
{
    CS_ASSERT(i < p->cap && p->live > 0 && p->n_free < p->cap);
    p->free[p->n_free++] = i;
    p->live--;
}

#endif
