/* sim/pool.c — growth and release of an element pool (see sim/pool.h). */
#include "sim/pool.h"

#include <stdlib.h>
#include <string.h>

void cs_pool_init(cs_pool *p, size_t elem)
{
    CS_ASSERT(elem > 0 && elem % 64 == 0);
    memset(p, 0, sizeof *p);
    p->elem = elem;
}

void cs_pool_release(cs_pool *p)
{
    free(p->items);
    free(p->free);
    size_t elem = p->elem;
    memset(p, 0, sizeof *p);
    p->elem = elem;
}

void cs_pool_reset(cs_pool *p)
{
    /* The stack a new pool would hold: its growths push each block from the
     * top, and a block is reached only once the blocks below it are all in
     * use, exactly as here, where the higher slots wait at the bottom. */
    for (size_t i = 0; i < p->cap; i++)
        p->free[i] = (uint32_t)(p->cap - 1 - i);
    p->n_free = p->cap;
    p->live = p->peak = 0;
}

size_t cs_pool_grow(cs_pool *p, size_t first_cap)
{
    size_t old = p->cap, cap = old ? 2 * old : first_cap;
    if (cap > UINT32_MAX - 1 || cap > SIZE_MAX / p->elem || cap > SIZE_MAX / sizeof(uint32_t))
        return SIZE_MAX;
    /* aligned_alloc, not realloc: realloc does not promise 64-byte alignment. */
    void *items = aligned_alloc(64, cap * p->elem);
    if (!items)
        return SIZE_MAX;
    uint32_t *fr = realloc(p->free, cap * sizeof *fr);
    if (!fr) {
        free(items);
        return SIZE_MAX;
    }
    p->free = fr;
    if (old)
        memcpy(items, p->items, old * p->elem);
    free(p->items);
    p->items = items;
    p->cap = cap;
    /* Pushed from the top, so that the lowest new index comes out first. */
    for (size_t i = cap; i-- > old;)
        p->free[p->n_free++] = (uint32_t)i;
    CS_ASSERT(p->live + p->n_free == p->cap);
    return old;
}
