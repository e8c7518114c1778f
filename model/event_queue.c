/*
 * event_queue.c — binary min-heap of cs_event (see event_queue.h). Sifting
 * moves a hole instead of swapping, so each level costs one copy.
 */
#include "event_queue.h"

#include <stdlib.h>

void cs_event_queue_init(cs_event_queue *q)
{
    q->heap = NULL;
    q->n = q->cap = q->peak = 0;
}

void cs_event_queue_free(cs_event_queue *q)
{
    free(q->heap);
    cs_event_queue_init(q);
}

void cs_event_queue_clear(cs_event_queue *q)
{
    q->n = 0;
    q->peak = 0;
}

int cs_event_queue_push(cs_event_queue *q, const cs_event *e)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 256;
        if (cap > SIZE_MAX / sizeof *q->heap)
            return -1;
        cs_event *h = realloc(q->heap, cap * sizeof *h);
        if (!h)
            return -1;
        q->heap = h;
        q->cap = cap;
    }
    size_t i = q->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!cs_event_before(e, &q->heap[parent]))
            break;
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = *e;
    if (q->n > q->peak)
        q->peak = q->n;
    return 0;
}

void cs_event_queue_pop(cs_event_queue *q, cs_event *e)
{
    *e = q->heap[0];
    size_t n = --q->n;
    if (n == 0)
        return;
    const cs_event last = q->heap[n];
    size_t i = 0;
    while (true) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && cs_event_before(&q->heap[c + 1], &q->heap[c]))
            c++;
        if (!cs_event_before(&q->heap[c], &last))
            break;
        q->heap[i] = q->heap[c];
        i = c;
    }
    q->heap[i] = last;
}
