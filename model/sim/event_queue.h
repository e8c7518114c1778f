/*
 * event_queue.h — the engine's future-event list: a binary min-heap of
 * compact events ordered by a total key that depends only on the simulation
 * (time, class, group, incident, track id, type, slot), never on addresses.
 *
 * Events far in the future wait in time buckets (singly linked lists, one
 * per bucket of fixed width) and enter the heap only when the clock reaches
 * their bucket, so that the heap holds only the near future and stays small
 * and in cache. The heap is 4-ary over 16-byte entries (time and the index of the event's
 * payload), so that one node's four children share a cache line; payloads
 * are only read to break ties between equal times.
 *
 * Class 0 holds departures (a track finishing service or leaving at its
 * deadline), class 1 arrivals (an incident arriving, a track entering a
 * staffed stage), so that at equal times every place freed is freed before
 * a waiting or arriving track takes one (MODEL.md, "Order of events").
 */
#ifndef CASESIM_EVENT_QUEUE_H
#define CASESIM_EVENT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/assert.h"

enum cs_event_type {
    CS_EV_SERVICE_END = 0, /* class 0 */
    CS_EV_DEADLINE = 1,    /* class 0; after a service end of the same track */
    CS_EV_ENTER = 2,       /* class 1: a track enters a staffed stage */
    CS_EV_ARRIVAL = 3      /* class 1: the next incident of a group arrives */
};

typedef struct cs_event {
    double time;
    uint64_t incident; /* incident number within its group */
    uint64_t track_id; /* the track's id (0 for an arrival) */
    uint32_t slot;     /* track pool slot, or group for an arrival */
    uint32_t gen;      /* the track's generation when scheduled (stale check) */
    uint32_t aux;      /* the track's case slot (a prefetch hint only; not in the key) */
    uint8_t order;     /* class << 4 | group */
    uint8_t type;      /* enum cs_event_type */
} cs_event;

/* 24 bytes: the heap holds only the near future (see cs_event_queue_setup),
 * a few dozen entries, so its size matters less than what the entries let the
 * engine prefetch. */
typedef struct cs_heap_entry {
    double time;
    uint32_t idx;  /* into the payload array */
    uint32_t slot; /* the event's slot and aux, so that what the next event */
    uint32_t aux;  /* touches can be prefetched without reading its payload */
    uint32_t unused;
} cs_heap_entry;

typedef struct cs_event_queue {
    cs_heap_entry *heap;   /* [cap], n_heap in use */
    cs_event *ev;          /* [cap] payloads */
    uint32_t *next;        /* [cap] bucket list links */
    uint32_t *free;        /* [cap] payload slots not in use */
    uint32_t *bucket_head; /* [n_buckets] */
    size_t n_buckets, cur; /* the heap holds buckets <= cur */
    size_t bucket_cap;     /* bucket_head's length (kept by cs_event_queue_reset) */
    double inv_width;
    size_t n, n_heap, cap, n_free;
    size_t n_extra; /* events the caller keeps outside the queue, counted in peak */
    size_t peak;    /* the largest n + n_extra seen at a push */
} cs_event_queue;

/* Strict "a before b" on the total event key. */
static inline bool cs_event_before(const cs_event *a, const cs_event *b)
{
    if (a->time != b->time)
        return a->time < b->time;
    if (a->order != b->order)
        return a->order < b->order;
    if (a->incident != b->incident)
        return a->incident < b->incident;
    if (a->track_id != b->track_id)
        return a->track_id < b->track_id;
    if (a->type != b->type)
        return a->type < b->type;
    return a->slot < b->slot;
}

/* The first event's slot and aux into *slot and *aux and its payload's
 * address prefetched, when the heap is not empty (true); false otherwise. A
 * hint for prefetching what the next event will touch: it changes nothing. */
static inline bool cs_event_queue_peek_slot(const cs_event_queue *q, uint32_t *slot, uint32_t *aux)
{
    if (q->n_heap == 0)
        return false;
    __builtin_prefetch(&q->ev[q->heap[0].idx]);
    *slot = q->heap[0].slot;
    *aux = q->heap[0].aux;
    return true;
}

/* Initialises q empty (no allocation). */
void cs_event_queue_init(cs_event_queue *q);

/* Gives q n_buckets time buckets of equal width over [0, horizon) (events
 * at or after horizon share the last one). Call on an empty queue (new, or
 * emptied by cs_event_queue_reset): buckets it already has are reused when
 * their number is the same. Without it, every event goes straight into the
 * heap. Returns 0 or -1 (no memory). */
int cs_event_queue_setup(cs_event_queue *q, double horizon, size_t n_buckets);

/* Frees q's storage and leaves it empty. */
void cs_event_queue_free(cs_event_queue *q);

/* Empties q, keeping its storage (and its buckets, set up again with
 * cs_event_queue_setup): no event, peak and n_extra 0, the payload slots
 * free in the order a new queue grown to the same capacity would take them,
 * so that a reused queue behaves bit for bit as a new one. */
void cs_event_queue_reset(cs_event_queue *q);

/* Whether q's invariants hold: every payload slot either in the queue or
 * free, the heap in order, every bucketed event after the heap's buckets.
 * O(size of q) (the buckets are walked only while q holds at most 65536
 * events): for CS_ASSERT at intervals, not at every operation. */
bool cs_event_queue_valid(const cs_event_queue *q);

/* Doubles q's storage, the new slots free. Returns 0 or -1 (no memory; q
 * unchanged but for the arrays already grown). */
int cs_event_queue_grow(cs_event_queue *q);

/* The operations of the hot loop, inline so that the engine's loop compiles
 * them in place (out of line they cost a call each per event: measured 4-8%
 * of a run, bench/README.md). Names ending in an underscore are internal.
 * Sifting moves a hole instead of swapping, so each level costs one copy;
 * payloads stay put in their own array and are read only on equal times. */
#define CS_EQ_ARITY 4
#define CS_EQ_NIL UINT32_MAX

static inline bool cs_eq_entry_before_(const cs_event_queue *q, const cs_heap_entry *a,
                                       const cs_heap_entry *b)
{
    if (a->time != b->time)
        return a->time < b->time;
    return cs_event_before(&q->ev[a->idx], &q->ev[b->idx]);
}

static inline void cs_eq_heap_insert_(cs_event_queue *q, uint32_t idx)
{
    cs_heap_entry ent = {q->ev[idx].time, idx, q->ev[idx].slot, q->ev[idx].aux, 0};
    size_t i = q->n_heap++;
    while (i > 0) {
        size_t parent = (i - 1) / CS_EQ_ARITY;
        if (!cs_eq_entry_before_(q, &ent, &q->heap[parent]))
            break;
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = ent;
}

static inline size_t cs_eq_bucket_of_(const cs_event_queue *q, double t)
{
    double x = t * q->inv_width;
    return x < (double)(q->n_buckets - 1) ? (size_t)x : q->n_buckets - 1;
}

/* Adds e (e->time >= the last popped time). Returns 0, or -1 if growing the
 * storage failed (q unchanged). */
static inline int cs_event_queue_push(cs_event_queue *q, const cs_event *e)
{
    if (q->n_free == 0 && cs_event_queue_grow(q) != 0)
        return -1;
    uint32_t idx = q->free[--q->n_free];
    q->ev[idx] = *e;
    size_t b;
    if (q->n_buckets == 0 || (b = cs_eq_bucket_of_(q, e->time)) <= q->cur) {
        cs_eq_heap_insert_(q, idx);
    } else {
        q->next[idx] = q->bucket_head[b];
        q->bucket_head[b] = idx;
    }
    if (++q->n + q->n_extra > q->peak)
        q->peak = q->n + q->n_extra;
    CS_ASSERT(q->n + q->n_free == q->cap);
    return 0;
}

/* Brings in the next non-empty bucket when the near future is exhausted;
 * every event of a later bucket is later than every event in the heap. */
static inline void cs_eq_refill_(cs_event_queue *q)
{
    while (q->n_heap == 0 && q->cur + 1 < q->n_buckets) {
        q->cur++;
        for (uint32_t idx = q->bucket_head[q->cur]; idx != CS_EQ_NIL;) {
            uint32_t nx = q->next[idx];
            cs_eq_heap_insert_(q, idx);
            idx = nx;
        }
        q->bucket_head[q->cur] = CS_EQ_NIL;
    }
}

/* The first event, left in q (NULL when q is empty). Brings the next
 * non-empty time bucket into the heap if needed, so cs_event_queue_pop then
 * returns this event. */
static inline const cs_event *cs_event_queue_peek(cs_event_queue *q)
{
    if (q->n == 0)
        return NULL;
    cs_eq_refill_(q);
    return &q->ev[q->heap[0].idx];
}

/* Removes the first event into *e. q must not be empty. */
static inline void cs_event_queue_pop(cs_event_queue *q, cs_event *e)
{
    CS_ASSERT(q->n > 0);
    cs_eq_refill_(q);
    CS_ASSERT(q->n_heap > 0);
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
        size_t c = CS_EQ_ARITY * i + 1;
        if (c >= n)
            break;
        size_t end = c + CS_EQ_ARITY < n ? c + CS_EQ_ARITY : n;
        size_t best = c;
        for (size_t k = c + 1; k < end; k++)
            if (cs_eq_entry_before_(q, &q->heap[k], &q->heap[best]))
                best = k;
        if (!cs_eq_entry_before_(q, &q->heap[best], &last))
            break;
        q->heap[i] = q->heap[best];
        i = best;
    }
    q->heap[i] = last;
}

#endif
