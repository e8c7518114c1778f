/*
 * scenario/timeline.c — numbers as piecewise-linear functions of time.
 *
 * A timeline starts from a schedule (step: one constant piece per listed
 * year; linear: a sloped piece between listed years; before the first year
 * the first value, after the last the last) or from one constant, then
 * takes each change of the variant's interventions in order. A change
 * from `start` with ramp r takes the value c(x) (x the value so far; c sets
 * or scales it): before `start` nothing changes; from `start + r` on every
 * piece becomes c(x); in between the value moves in a straight line from
 * x(start) to c(x(start + r)). (If x itself changes inside the ramp, the
 * ramp does not follow it: it is the straight line between those two
 * values. That keeps every timeline piecewise linear, so that arrivals
 * remain an exactly inverted Poisson process and every scenario between
 * two checked times is checked by convexity; docs/MODEL.md says so.)
 *
 * Pieces keep their anchor when cut: the value at a time before a change
 * is computed by the same arithmetic in a variant as in the baseline, bit
 * for bit.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "scenario/dynamics_internal.h"

/* Index of the piece in force at t: the last starting at or before t (0
 * before the first). */
static size_t piece_at(const cs_timeline *tl, double t)
{
    size_t lo = 0, hi = tl->n_pieces;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tl->pieces[mid].start <= t)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static double piece_value(const cs_piece *p, double t)
{
    return p->slope == 0.0 ? p->value : p->value + p->slope * (t - p->anchor);
}

double cs_timeline_value(const cs_timeline *tl, double t)
{
    return piece_value(&tl->pieces[piece_at(tl, t)], t);
}

double cs_timeline_left(const cs_timeline *tl, double t)
{
    size_t i = piece_at(tl, t);
    if (i > 0 && tl->pieces[i].start == t)
        i--;
    return piece_value(&tl->pieces[i], t);
}

bool cs_timeline_constant(const cs_timeline *tl, double t_end)
{
    for (size_t i = 0; i < tl->n_pieces && tl->pieces[i].start < t_end; i++)
        if (tl->pieces[i].slope != 0.0 || !(tl->pieces[i].value == tl->pieces[0].value))
            return false;
    return true;
}

void cs_timeline_free(cs_timeline *tl)
{
    free(tl->pieces);
    tl->pieces = NULL;
    tl->n_pieces = 0;
}

/* A growing list of pieces. */
typedef struct plist {
    cs_piece *p;
    size_t n, cap;
} plist;

static bool push(plist *l, cs_piece x)
{
    if (l->n > 0 && l->p[l->n - 1].start == x.start) {
        l->p[l->n - 1] = x; /* a piece of zero length gives way */
        return true;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        cs_piece *q = realloc(l->p, cap * sizeof *q);
        if (!q)
            return false;
        l->p = q;
        l->cap = cap;
    }
    l->p[l->n++] = x;
    return true;
}

static cs_piece constant(double start, double v)
{
    return (cs_piece){start, start, v, 0.0};
}

/* The pieces of a schedule (or of one constant). */
static bool from_schedule(const cs_schedule *sc, double base, plist *l)
{
    if (!sc)
        return push(l, constant(0.0, base));
    bool ok = push(l, constant(0.0, sc->values[0]));
    for (size_t i = 0; i < sc->n && ok; i++) {
        cs_piece x = constant(sc->days[i], sc->values[i]);
        if (sc->linear && i + 1 < sc->n)
            x.slope = (sc->values[i + 1] - sc->values[i]) / (sc->days[i + 1] - sc->days[i]);
        ok = push(l, x);
    }
    return ok;
}

static double apply(const cs_op *op, double x)
{
    return op->op == CS_CHANGE_SET ? op->value : x * op->value;
}

/* The pieces of x from time `from` on, each changed by op, appended. */
static bool changed_from(const cs_timeline *x, double from, const cs_op *op, plist *out)
{
    if (op->op == CS_CHANGE_SET)
        return push(out, constant(from, op->value));
    bool ok = true;
    for (size_t i = piece_at(x, from); i < x->n_pieces && ok; i++) {
        cs_piece p = x->pieces[i];
        if (p.start < from)
            p.start = from; /* cut: the anchor stays */
        p.value *= op->value;
        p.slope *= op->value;
        ok = push(out, p);
    }
    return ok;
}

/* x with one op applied, into out. */
static bool apply_op(const cs_timeline *x, const cs_op *op, plist *out)
{
    bool ok = true;
    for (size_t i = 0; i < x->n_pieces && x->pieces[i].start < op->start && ok; i++)
        ok = push(out, x->pieces[i]);
    double end = op->start + op->ramp;
    if (ok && op->ramp > 0.0) {
        double from = cs_timeline_value(x, op->start);
        double to = apply(op, cs_timeline_value(x, end));
        cs_piece r = {op->start, op->start, from, (to - from) / op->ramp};
        ok = push(out, r);
    }
    return ok && changed_from(x, end, op, out);
}

int cs_timeline_build(const cs_schedule *sched, double base, const cs_op *ops, size_t n_ops,
                      double t_end, cs_timeline *out)
{
    plist cur = {0}, next = {0};
    bool ok = from_schedule(sched, base, &cur);
    for (size_t k = 0; k < n_ops && ok; k++) {
        cs_timeline x = {.n_pieces = cur.n, .pieces = cur.p};
        next.n = 0;
        ok = apply_op(&x, &ops[k], &next);
        plist t = cur;
        cur = next;
        next = t;
    }
    free(next.p);
    /* Pieces that start at or after the end of the run never act. */
    size_t n = 1;
    while (ok && n < cur.n && cur.p[n].start < t_end)
        n++;
    if (!ok) {
        free(cur.p);
        out->pieces = NULL;
        out->n_pieces = 0;
        return CS_ENOMEM;
    }
    out->pieces = cur.p;
    out->n_pieces = n;
    return CS_OK;
}

int cs_timelines_copy(const cs_scenario *src, cs_scenario *dst)
{
    if (src->n_timelines == 0)
        return CS_OK;
    dst->timelines = cs_xcalloc(src->n_timelines, sizeof *dst->timelines);
    if (!dst->timelines)
        return CS_ENOMEM;
    for (size_t i = 0; i < src->n_timelines; i++) {
        const cs_timeline *a = &src->timelines[i];
        cs_timeline *b = &dst->timelines[i];
        b->param = a->param;
        b->pieces = cs_xcalloc(a->n_pieces, sizeof *b->pieces);
        if (!b->pieces)
            return CS_ENOMEM;
        memcpy(b->pieces, a->pieces, a->n_pieces * sizeof *b->pieces);
        b->n_pieces = a->n_pieces;
        dst->n_timelines = i + 1;
    }
    return CS_OK;
}
