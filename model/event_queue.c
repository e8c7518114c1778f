/*
 * event_queue.c — time buckets in front of a 4-ary min-heap of event
 * references (see event_queue.h). Sifting moves a hole instead of swapping,
 * so each level costs one copy; payloads stay put in their own array and are
 * read only on equal times.
 */
#include "event_queue.h"

#include <stdlib.h>

#define ARITY 4
#define NIL UINT32_MAX

void cs_event_queue_init(cs_event_queue *q)
{
    q->heap = NULL;
    q->ev = NULL;
    q->next = NULL;
    q->free = NULL;
    q->bucket_head = NULL;
    q->n_buckets = q->cur = 0;
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

int cs_event_queue_setup(cs_event_queue *q, double horizon, size_t n_buckets)
{
    if (n_buckets < 2 || !(horizon > 0.0) || n_buckets > SIZE_MAX / sizeof(uint32_t))
        return 0; /* nothing to gain: keep the plain heap */
    uint32_t *h = malloc(n_buckets * sizeof *h);
    if (!h)
        return -1;
    for (size_t i = 0; i < n_buckets; i++)
        h[i] = NIL;
    free(q->bucket_head);
    q->bucket_head = h;
    q->n_buckets = n_buckets;
    q->cur = 0;
    q->inv_width = (double)n_buckets / horizon;
    return 0;
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

static void heap_insert(cs_event_queue *q, uint32_t idx)
{
    cs_heap_entry ent = {q->ev[idx].time, idx, q->ev[idx].slot, q->ev[idx].aux, 0};
    size_t i = q->n_heap++;
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;
        if (!entry_before(q, &ent, &q->heap[parent]))
            break;
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = ent;
}

static inline size_t bucket_of(const cs_event_queue *q, double t)
{
    double x = t * q->inv_width;
    return x < (double)(q->n_buckets - 1) ? (size_t)x : q->n_buckets - 1;
}

int cs_event_queue_push(cs_event_queue *q, const cs_event *e)
{
    if (q->n_free == 0 && grow(q) != 0)
        return -1;
    uint32_t idx = q->free[--q->n_free];
    q->ev[idx] = *e;
    size_t b;
    if (q->n_buckets == 0 || (b = bucket_of(q, e->time)) <= q->cur) {
        heap_insert(q, idx);
    } else {
        q->next[idx] = q->bucket_head[b];
        q->bucket_head[b] = idx;
    }
    if (++q->n + q->n_extra > q->peak)
        q->peak = q->n + q->n_extra;
    return 0;
}

/* Brings in the next non-empty bucket when the near future is exhausted;
 * every event of a later bucket is later than every event in the heap. */
static void refill(cs_event_queue *q)
{
    while (q->n_heap == 0 && q->cur + 1 < q->n_buckets) {
        q->cur++;
        for (uint32_t idx = q->bucket_head[q->cur]; idx != NIL;) {
            uint32_t nx = q->next[idx];
            heap_insert(q, idx);
            idx = nx;
        }
        q->bucket_head[q->cur] = NIL;
    }
}

const cs_event *cs_event_queue_peek(cs_event_queue *q)
{
    if (q->n == 0)
        return NULL;
    refill(q);
    return &q->ev[q->heap[0].idx];
}

void cs_event_queue_pop(cs_event_queue *q, cs_event *e)
{
    refill(q);
    uint32_t top = q->heap[0].idx;
    *e = q->ev[top];
    q->free[q->n_free++] = top;
    q->n--;
    size_t n = --q->n_heap;
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
