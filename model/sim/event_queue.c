/*
 * event_queue.c — the cold parts of the event queue (see event_queue.h):
 * set-up, growth and release. Push, peek and pop are inline in the header.
 */
#include "sim/event_queue.h"

#include <stdlib.h>

void cs_event_queue_init(cs_event_queue *q)
{
    q->heap = NULL;
    q->ev = NULL;
    q->next = NULL;
    q->free = NULL;
    q->bucket_head = NULL;
    q->n_buckets = q->bucket_cap = q->cur = 0;
    q->inv_width = 0.0;
    q->n = q->n_heap = q->cap = q->n_free = q->n_extra = q->peak = 0;
}

void cs_event_queue_free(cs_event_queue *q)
{
    free(q->heap);
    free(q->ev);
    free(q->next);
    free(q->free);
    free(q->bucket_head);
    cs_event_queue_init(q);
}

void cs_event_queue_reset(cs_event_queue *q)
{
    /* The stack cs_event_queue_grow leaves: each doubling pushes its new
     * slots from the top, lowest last (see cs_pool_reset for why a reused
     * stack then hands out slots in the same order). */
    for (size_t i = 0; i < q->cap; i++)
        q->free[i] = (uint32_t)(q->cap - 1 - i);
    q->n_free = q->cap;
    q->n = q->n_heap = q->n_extra = q->peak = 0;
    q->n_buckets = q->cur = 0; /* no buckets until set up again */
    q->inv_width = 0.0;
}

int cs_event_queue_setup(cs_event_queue *q, double horizon, size_t n_buckets)
{
    if (n_buckets < 2 || !(horizon > 0.0) || n_buckets > SIZE_MAX / sizeof(uint32_t))
        return 0; /* nothing to gain: keep the plain heap */
    /* A reset queue keeps its bucket array; its length is bucket_cap. */
    if (!q->bucket_head || q->bucket_cap != n_buckets) {
        uint32_t *h = malloc(n_buckets * sizeof *h);
        if (!h)
            return -1;
        free(q->bucket_head);
        q->bucket_head = h;
        q->bucket_cap = n_buckets;
    }
    uint32_t *h = q->bucket_head;
    for (size_t i = 0; i < n_buckets; i++)
        h[i] = CS_EQ_NIL;
    q->n_buckets = n_buckets;
    q->cur = 0;
    q->inv_width = (double)n_buckets / horizon;
    return 0;
}

int cs_event_queue_grow(cs_event_queue *q)
{
    size_t cap = q->cap ? 2 * q->cap : 256;
    if (cap >= UINT32_MAX || cap > SIZE_MAX / sizeof(cs_event))
        return -1;
    cs_heap_entry *h = realloc(q->heap, cap * sizeof *h);
    if (!h)
        return -1;
    q->heap = h;
    cs_event *ev = realloc(q->ev, cap * sizeof *ev);
    if (!ev)
        return -1;
    q->ev = ev;
    uint32_t *nx = realloc(q->next, cap * sizeof *nx);
    if (!nx)
        return -1;
    q->next = nx;
    uint32_t *fr = realloc(q->free, cap * sizeof *fr);
    if (!fr)
        return -1;
    q->free = fr;
    /* Every slot of the old capacity is in use (no free slot was left). */
    for (size_t i = cap; i-- > q->cap;)
        q->free[q->n_free++] = (uint32_t)i;
    q->cap = cap;
    return 0;
}

bool cs_event_queue_valid(const cs_event_queue *q)
{
    if (q->n + q->n_free != q->cap || q->n_heap > q->n)
        return false;
    for (size_t i = 1; i < q->n_heap; i++) {
        const cs_heap_entry *parent = &q->heap[(i - 1) / CS_EQ_ARITY];
        if (cs_eq_entry_before_(q, &q->heap[i], parent))
            return false;
        if (q->heap[i].time != q->ev[q->heap[i].idx].time)
            return false;
    }
    /* Events waiting in buckets: each in a bucket after the current one, and
     * as many as the queue holds outside the heap. (Skipped for very large
     * queues, so that a periodic check stays cheap next to the run.) */
    if (q->n > 65536)
        return true;
    size_t bucketed = 0;
    for (size_t b = 0; b < q->n_buckets; b++)
        for (uint32_t idx = q->bucket_head[b]; idx != CS_EQ_NIL; idx = q->next[idx]) {
            if (b <= q->cur || idx >= q->cap || cs_eq_bucket_of_(q, q->ev[idx].time) != b ||
                ++bucketed > q->n)
                return false;
        }
    return bucketed + q->n_heap == q->n;
}
