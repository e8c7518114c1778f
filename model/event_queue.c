/*
 * event_queue.c — 4-ary min-heap of event references (see event_queue.h).
 * Sifting moves a hole instead of swapping, so each level costs one copy;
 * payloads stay put in their own array and are read only on equal times.
 */
#include "event_queue.h"

#include <stdlib.h>

#define ARITY 4

void cs_event_queue_init(cs_event_queue *q)
{
    q->heap = NULL;
    q->ev = NULL;
    q->free = NULL;
    q->n = q->cap = q->n_free = q->peak = 0;
}

void cs_event_queue_free(cs_event_queue *q)
{
    free(q->heap);
    free(q->ev);
    free(q->free);
    cs_event_queue_init(q);
}

void cs_event_queue_clear(cs_event_queue *q)
{
    q->n = 0;
    q->peak = 0;
    q->n_free = q->cap;
    for (size_t i = 0; i < q->cap; i++)
        q->free[i] = (uint32_t)(q->cap - 1 - i);
}

static inline bool entry_before(const cs_event_queue *q, const cs_heap_entry *a,
                                const cs_heap_entry *b)
{
    if (a->time != b->time)
        return a->time < b->time;
    return cs_event_before(&q->ev[a->idx], &q->ev[b->idx]);
}

static int grow(cs_event_queue *q)
{
    size_t cap = q->cap ? 2 * q->cap : 256;
    if (cap > UINT32_MAX || cap > SIZE_MAX / sizeof(cs_event))
        return -1;
    cs_heap_entry *h = realloc(q->heap, cap * sizeof *h);
    if (!h)
        return -1;
    q->heap = h;
    cs_event *ev = realloc(q->ev, cap * sizeof *ev);
    if (!ev)
        return -1;
    q->ev = ev;
    uint32_t *fr = realloc(q->free, cap * sizeof *fr);
    if (!fr)
        return -1;
    q->free = fr;
    /* Every slot of the old capacity is in use (the queue was full). */
    for (size_t i = cap; i-- > q->cap;)
        q->free[q->n_free++] = (uint32_t)i;
    q->cap = cap;
    return 0;
}

int cs_event_queue_push(cs_event_queue *q, const cs_event *e)
{
    if (q->n_free == 0 && grow(q) != 0)
        return -1;
    uint32_t idx = q->free[--q->n_free];
    q->ev[idx] = *e;
    cs_heap_entry ent = {e->time, idx, 0};
    size_t i = q->n++;
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;
        if (!entry_before(q, &ent, &q->heap[parent]))
            break;
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = ent;
    if (q->n > q->peak)
        q->peak = q->n;
    return 0;
}

void cs_event_queue_pop(cs_event_queue *q, cs_event *e)
{
    uint32_t top = q->heap[0].idx;
    *e = q->ev[top];
    q->free[q->n_free++] = top;
    size_t n = --q->n;
    if (n == 0)
        return;
    const cs_heap_entry last = q->heap[n];
    size_t i = 0;
    while (true) {
        size_t c = ARITY * i + 1;
        if (c >= n)
            break;
        size_t end = c + ARITY < n ? c + ARITY : n;
        size_t best = c;
        for (size_t k = c + 1; k < end; k++)
            if (entry_before(q, &q->heap[k], &q->heap[best]))
                best = k;
        if (!entry_before(q, &q->heap[best], &last))
            break;
        q->heap[i] = q->heap[best];
        i = best;
    }
    q->heap[i] = last;
}
