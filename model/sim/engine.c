/*
 * engine.c — the discrete-event simulation of one (variant, replicate):
 * cs_sim_replicate. MODEL.md is the contract; the choices it leaves open are
 * stated here and in docs/ENGINE.md.
 *
 * Entities. A case (one incident) owns one or more tracks; a track moves
 * through stages until it reaches an outcome; a fork ends the track and starts
 * one child track per target. Cases and tracks live in pools with free lists
 * (indices, not pointers, so pools can grow), so that memory follows the
 * number in flight and nothing is allocated per event once the pools have
 * grown to their high-water marks. Incidents arrive lazily: each group has
 * exactly one pending arrival event.
 *
 * Randomness (casesim/rng.h). Arrival gaps of group g come from the stream
 * (seed, replicate, g, 0, 0, ARRIVALS). Incident n of group g draws its kind,
 * its well-foundedness and its evidence, in that order, from (seed,
 * replicate, g, n, 0, INCIDENT). Every stage visit of a track draws its
 * branch uniform and then its duration from its own stream (seed, replicate,
 * g, n, mix(track id, stage, visit), TRACK): keying by stage and visit, not
 * only by track, means that a change at one stage (say a longer duration, or
 * a different sampler) cannot shift the numbers any later stage draws, and
 * drawing the branch uniform first means it cannot shift that stage's own
 * decision either, so that common random numbers hold stage by stage across
 * variants. The root
 * track's id is 0; the child in fork slot j of a track with id p has id
 * mix(mix(p) ^ (j + 1)) — a function of the parent and the slot only, not of
 * the order in which events happened.
 *
 * Events and their order. See event_queue.h: at equal times departures (a
 * service end, then a deadline) come before arrivals (a new incident, a track
 * entering a staffed stage); remaining ties go by (group, incident, track
 * id, type, slot), all functions of the simulation, never of addresses. A
 * place freed at time t goes at once to the head of the stage's queue;
 * tracks arriving at t come after it. A track moving into a stage without
 * staff enters it at once (no queue: the order cannot matter there).
 *
 * Stage rules.
 *  - A staffed stage serves at most `capacity` tracks; the others wait in
 *    FIFO order, or by violation priority (then FIFO) with queue: priority.
 *  - The duration is drawn at entry; service takes it once a place is free.
 *  - A deadline (from the incident, or from arrival at the stage) applies to
 *    a track that has not finished by then: it leaves at that moment, from the
 *    queue or from service (freeing its place), for the deadline's outcome.
 *    A service finishing exactly at the deadline counts as finished. A track
 *    arriving after its incident-based deadline has passed enters the stage
 *    and leaves at once (an entry and a deadline loss, wait 0).
 *  - max_visits: a track that would enter a stage for the (max_visits+1)-th
 *    time does not enter it; it takes that stage's reference branch at once
 *    (the stage's "default" decision), without a duration.
 *
 * Measures. See casesim/measures.h and sim/tally.h: cohort incidents are
 * those arriving in [warmup, warmup + cohort); a case's accountability
 * counts every accountability outcome reached by the end of the run (also
 * by a track of a case still pending); a pending case without one counts
 * as not (yet) accountable. A case is "reported" once one of its tracks
 * enters a stage other than the entry stage. Every measure and count of
 * the funnel is kept for all violation kinds together and for each kind.
 */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/engine.h"
#include "casesim/rng.h"
#include "core/assert.h"
#include "sim/dynamics.h"
#include "sim/event_queue.h"
#include "sim/model.h"
#include "sim/pool.h"
#include "sim/tally.h"

/* The extra tallies of calibration targets (CS_TALLY_*) cost the hot path
 * nothing in an ordinary run: this file is compiled twice, here without
 * them (every test of them below is `if (CS_ENGINE_TALLIES && ...)`, which
 * the compiler removes) and in engine_tallies.c, which defines
 * CS_ENGINE_TALLIES to 1 and includes it; cs_sim_replicate hands a model
 * that asks for tallies to that second build. */
#ifndef CS_ENGINE_TALLIES
#define CS_ENGINE_TALLIES 0
#endif

#define NIL UINT32_MAX

/* Rare paths (growing a pool, the monthly changes of a moving system):
 * kept out of the event loops, which are flattened (run_events). */
#define COLD __attribute__((cold, noinline))

/* A hot function kept as one copy of its own (everything it calls inlined
 * into it) instead of being inlined into each of its callers. Used where
 * flattening would copy the same hot code many times over: start_service
 * is reached from a stage entry and from every place freed (serve_waiting),
 * and itself completes a service of zero duration, so a flattened loop
 * held a copy of the whole path per way in and no longer fitted in the
 * processor's instruction cache (bench/README.md). */
#define HOT_OWN_COPY __attribute__((noinline, flatten))

/* What of a stage follows its timelines now (stage_rt.dyn). */
enum { DYN_CAPACITY = 1, DYN_DURATION = 2, DYN_DEADLINE = 4 };

enum track_state { TR_FREE = 0, TR_ENTERING, TR_WAITING, TR_SERVICE };

/* Cases and tracks are one cache line each (64 bytes, aligned): with tens of
 * thousands in flight they live in memory, not in cache, and an event's case
 * and track are two misses rather than up to four (bench/README.md). */
typedef struct icase {
    _Alignas(64) uint64_t incident;
    uint64_t track_prefix; /* key prefix of its track streams (see draw_visit) */
    double t_arrival;
    double evidence;
    uint64_t outcome_mask;
    uint32_t open_tracks;
    uint32_t n_tracks;
    uint16_t kind;
    uint8_t group;
    uint8_t well_founded;
    uint8_t cohort;
    uint8_t live;
    uint8_t reported; /* a track left the entry stage for another stage */
} icase;
_Static_assert(sizeof(icase) == 64, "a case is one cache line");

typedef struct track {
    _Alignas(64) uint64_t id;
    double t_enter;  /* arrival at the current stage */
    double deadline; /* absolute deadline at the current stage (INFINITY: none) */
    union {
        double dur;     /* drawn duration of the current visit, until service starts */
        double t_start; /* then the service start (dur is no longer needed) */
    };
    double u_branch; /* drawn uniform for the branch choice of the current visit */
    uint32_t case_slot;
    uint32_t gen;        /* bumped at every stage entry and release: stale-event check */
    uint32_t prev, next; /* stage queue links */
    uint16_t stage;
    uint8_t state;
    uint8_t visit;
    uint8_t deadline_pending; /* a deadline event for this visit is in the heap */
    uint8_t rank;             /* queue rank at the current stage */
    uint8_t skips;            /* consecutive max_visits skips (loop guard) */
} track;
_Static_assert(sizeof(track) == 64, "a track is one cache line");

typedef struct stage_rt {
    /* What the hot path reads: the model's, unless time or feedback changed
     * them (sim/dynamics.h). */
    const double *odds, *cum, *slope; /* this stage's tables, and its branches' slopes */
    uint64_t cap;                     /* places (valid when staffed) */
    uint8_t staffed, has_slope, live, dyn;
    double area_cap, t_cap; /* capacity x time in the window, when the capacity moves */
    uint64_t busy, waiting;
    uint32_t head[CS_MAX_VIOLATIONS], tail[CS_MAX_VIOLATIONS];
    uint32_t nonempty; /* bit r: rank r has waiting tracks */
    double t_last;     /* time the counts were last integrated to */
    /* cohort-window accumulators */
    double area_wait, area_busy, wait_sum, service_sum;
    uint64_t entries, service_n, losses;
} stage_rt;

/* A thread's engine: one replicate's state, and the storage it keeps from
 * one replicate to the next (casesim/engine.h, cs_sim_workspace). The
 * storage (rng, q, the pools, visits, entering, st, backlog, tally) is
 * sized on first use, grown when a replicate needs more and emptied, not
 * freed, between replicates (ws_reset): freed at the end of every
 * replicate, it went back to the system and the next replicate faulted it
 * in again (bench/README.md). Every other field is one replicate's. */
struct cs_sim_workspace {
    const cs_model *m;
    uint64_t seed, replicate;
    gsl_rng *rng;
    cs_pcg32 *rs; /* the state inside rng */
    cs_event_queue q;

    cs_pool case_pool; /* of icase */
    icase *cases;      /* case_pool.items */

    cs_pool track_pool; /* of track */
    track *tracks;      /* track_pool.items */
    uint8_t *visits;    /* [track][n_visit_slots] */
    size_t visits_cap;  /* bytes of visits */

    uint32_t *entering; /* tracks about to enter a stage now */
    size_t n_entering, entering_cap;

    stage_rt *st;    /* [S] */
    double *backlog; /* [S][n_months] waiting-count area per month */
    size_t st_cap, backlog_cap;
    cs_tallies tally;     /* the cohort cases, for the measures */
    cs_tally_masks masks; /* the outcomes they are measured on */
    cs_pcg32 arrivals[CS_MAX_GROUPS];
    /* Key prefixes (seed, purpose, replicate, group) of the incident and track
     * streams of each group (casesim/rng.h, cs_stream_prefix). */
    uint64_t incident_prefix[CS_MAX_GROUPS], track_prefix[CS_MAX_GROUPS];
    /* Each group's next arrival (time INFINITY: none before the end). They
     * are kept out of the event queue, which would only sort what is known to
     * be one event per group; arr_first is the earliest by cs_event_before,
     * so events are taken in exactly the order of one queue holding them. */
    cs_event arr[CS_MAX_GROUPS];
    uint32_t arr_first; /* NIL when no arrival is pending */
    double inv_month, inv_year;
    size_t n_months, n_years;

    /* Time and feedback (NULL model->dyn: none of this is used). */
    cs_dyn_rt dyn;
    bool inc_dyn;                               /* incidents draw from their timelines */
    bool fb_on;                                 /* ended cases feed the feedback loops */
    bool rate_moves[CS_MAX_GROUPS];             /* arrivals by the non-homogeneous process */
    double next_update;                         /* next break, month start or capacity change */
    size_t n_arrival_years, first_arrival_year; /* the measures by arrival year */

    cs_replicate_result *out;
    /* The extra tallies of calibration targets (out's), NULL unless the
     * model asked for them: the hot path tests the pointer only. */
    double *dur;
    int64_t *kt;
    bool records;
    uint64_t events;
    uint64_t incidents_total;
    int status;
    cs_error *err;
};
typedef struct cs_sim_workspace ws;

/* What stage ms does with case c: its duration law and deadline (one entry
 * per stage unless the scenario gives them per group or kind). */
static inline const cs_mcase *case_of(const cs_model *m, const cs_mstage *ms, const icase *c)
{
    return &m->cases[ms->case0 + (size_t)c->group * ms->case_g + (size_t)c->kind * ms->case_k];
}

/* ---- pools ----------------------------------------------------------------------- */

COLD static bool grow(void **p, size_t *cap, size_t elem, size_t min_cap)
{
    size_t ncap = *cap ? *cap * 2 : min_cap;
    if (ncap > UINT32_MAX - 1 || ncap > SIZE_MAX / elem)
        return false;
    void *np = realloc(*p, ncap * elem);
    if (!np)
        return false;
    *p = np;
    *cap = ncap;
    return true;
}

/* Grows the case pool (its new slots not live). */
COLD static bool grow_cases(ws *w)
{
    size_t old = cs_pool_grow(&w->case_pool, 1024);
    if (old == SIZE_MAX) {
        w->status = cs_error_set(w->err, CS_ENOMEM, "engine: out of memory (cases)");
        return false;
    }
    w->cases = w->case_pool.items;
    for (size_t i = old; i < w->case_pool.cap; i++)
        w->cases[i].live = 0;
    return true;
}

static uint32_t case_alloc(ws *w)
{
    if (w->case_pool.n_free == 0 && !grow_cases(w))
        return NIL;
    return cs_pool_take(&w->case_pool);
}

static void case_release(ws *w, uint32_t c)
{
    CS_ASSERT(w->cases[c].live && w->cases[c].open_tracks == 0);
    w->cases[c].live = 0;
    cs_pool_put(&w->case_pool, c);
}

/* Grows the track pool and the visit counters with it (new slots free). */
COLD static bool grow_tracks(ws *w)
{
    size_t old = cs_pool_grow(&w->track_pool, 1024);
    if (old == SIZE_MAX) {
        w->status = cs_error_set(w->err, CS_ENOMEM, "engine: out of memory (tracks)");
        return false;
    }
    w->tracks = w->track_pool.items;
    size_t cap = w->track_pool.cap, nv = w->m->n_visit_slots;
    if (cap * nv > w->visits_cap) {
        uint8_t *v = realloc(w->visits, cap * nv);
        if (!v) {
            w->status = cs_error_set(w->err, CS_ENOMEM, "engine: out of memory (tracks)");
            return false;
        }
        w->visits = v;
        w->visits_cap = cap * nv;
    }
    for (size_t i = old; i < cap; i++) {
        w->tracks[i].state = TR_FREE;
        w->tracks[i].gen = 0;
    }
    return true;
}

static uint32_t track_alloc(ws *w)
{
    if (w->track_pool.n_free == 0 && !grow_tracks(w))
        return NIL;
    uint32_t t = cs_pool_take(&w->track_pool);
    CS_ASSERT(w->tracks[t].state == TR_FREE);
    return t;
}

static void track_release(ws *w, uint32_t t)
{
    CS_ASSERT(w->tracks[t].state != TR_FREE);
    w->tracks[t].state = TR_FREE;
    w->tracks[t].gen++;
    cs_pool_put(&w->track_pool, t);
}

static void push_event(ws *w, double time, uint32_t slot, uint8_t type)
{
    cs_event e;
    e.time = time;
    e.type = type;
    e.slot = slot;
    if (type == CS_EV_ARRIVAL) {
        e.incident = 0; /* set by the caller */
        e.track_id = 0;
        e.gen = 0;
        e.aux = 0;
        e.order = (uint8_t)(1u << 4 | slot);
    } else {
        const track *tr = &w->tracks[slot];
        const icase *c = &w->cases[tr->case_slot];
        e.incident = c->incident;
        e.track_id = tr->id;
        e.gen = tr->gen;
        e.aux = tr->case_slot;
        e.order = (uint8_t)((type == CS_EV_ENTER ? 1u : 0u) << 4 | c->group);
    }
    if (cs_event_queue_push(&w->q, &e) != 0)
        w->status = cs_error_set(w->err, CS_ENOMEM, "engine: out of memory (events)");
}

/* ---- time integrals -------------------------------------------------------------- */

static inline double window_overlap(const cs_model *m, double a, double b)
{
    double lo = a > m->t_warmup ? a : m->t_warmup;
    double hi = b < m->t_cohort_end ? b : m->t_cohort_end;
    return hi > lo ? hi - lo : 0.0;
}

static inline bool in_window(const cs_model *m, double t)
{
    return t >= m->t_warmup && t < m->t_cohort_end;
}

/* Integrates stage s's waiting and busy counts from its last change to t. */
static void stage_advance(ws *w, size_t s, double t)
{
    stage_rt *st = &w->st[s];
    double t0 = st->t_last;
    if (!(t > t0))
        return;
    st->t_last = t;
    if (st->waiting) {
        double q = (double)st->waiting;
        st->area_wait += q * window_overlap(w->m, t0, t);
        size_t mo = (size_t)(t0 * w->inv_month);
        double cur = t0;
        double *bl = &w->backlog[s * w->n_months];
        while (cur < t && mo < w->n_months) {
            double mend = (double)(mo + 1) * w->m->month_days;
            double seg = t < mend ? t : mend;
            if (seg > cur)
                bl[mo] += q * (seg - cur);
            cur = seg;
            mo++;
        }
    }
    if (st->busy)
        st->area_busy += (double)st->busy * window_overlap(w->m, t0, t);
}

static inline size_t year_of(const ws *w, double t)
{
    size_t y = (size_t)(t * w->inv_year);
    return y < w->n_years ? y : w->n_years - 1;
}

/* ---- cases ----------------------------------------------------------------------- */

/* The arrival year of a cohort incident arriving at t (an index into the
 * measures by arrival year). */
static size_t arrival_year(const ws *w, double t)
{
    size_t y = (size_t)(t * w->inv_year);
    y = y > w->first_arrival_year ? y - w->first_arrival_year : 0;
    return y < w->n_arrival_years ? y : w->n_arrival_years - 1;
}

/* Appends cohort case c (ended at t, or pending if !ended) to the case
 * records. Out of the event loop: only a run that keeps its records takes
 * this path. */
COLD static void case_record(ws *w, const icase *c, bool ended, double t)
{
    cs_replicate_result *r = w->out;
    if (r->n_cases == r->cap_cases) {
        size_t cap = r->cap_cases;
        void *p = r->cases;
        if (!grow(&p, &cap, sizeof(cs_case_record), 256)) {
            w->status = cs_error_set(w->err, CS_ENOMEM, "engine: out of memory (records)");
            return;
        }
        r->cases = p;
        r->cap_cases = cap;
    }
    cs_case_record *rec = &r->cases[r->n_cases++];
    rec->replicate = w->replicate;
    rec->group = c->group;
    rec->incident = c->incident;
    rec->arrival_day = c->t_arrival;
    rec->violation = c->kind;
    rec->well_founded = c->well_founded;
    rec->evidence = c->evidence;
    rec->end_day = ended ? t : NAN;
    rec->n_tracks = c->n_tracks;
    rec->outcome_mask = c->outcome_mask;
}

/* Adds cohort case c (ended at t, or pending if !ended) to the accumulators
 * and, if asked, to the case records. */
static void case_finalize(ws *w, const icase *c, bool ended, double t)
{
    double dt = ended ? t - c->t_arrival : 0.0;
    cs_tally_case tc = {.group = c->group,
                        .kind = c->kind,
                        .year = arrival_year(w, c->t_arrival),
                        .well_founded = c->well_founded,
                        .outcome_mask = c->outcome_mask,
                        .reported = c->reported,
                        .ended = ended,
                        .days = dt};
    cs_tallies_add(&w->tally, &w->masks, &tc);
    if (w->records)
        case_record(w, c, ended, t);
}

/* Adds duration d of case c's track, ended at time now, to row (of, stage)
 * of the duration tally: in now's year, and in the cohort's column. */
static void tally_duration(ws *w, const icase *c, cs_duration_of of, size_t stage, double now,
                           double d)
{
    const cs_result_dims *dims = &w->out->dims;
    double *x = w->dur + cs_tally_duration_index(dims, c->group, of, stage, year_of(w, now));
    x[0] += 1.0;
    x[1] += d;
    x[2] += d * d;
    if (c->cohort) {
        x = w->dur + cs_tally_duration_index(dims, c->group, of, stage, w->n_years);
        x[0] += 1.0;
        x[1] += d;
        x[2] += d * d;
    }
}

/* Adds the service, wait and stay of track tr, which completes its service
 * at stage s at time now, to the duration tally. */
static void tally_stage_durations(ws *w, const track *tr, size_t s, double now)
{
    const icase *c = &w->cases[tr->case_slot];
    tally_duration(w, c, CS_DUR_SERVICE, s, now, now - tr->t_start);
    tally_duration(w, c, CS_DUR_WAIT, s, now, tr->t_start - tr->t_enter);
    tally_duration(w, c, CS_DUR_IN_STAGE, s, now, now - tr->t_enter);
}

/* Counts, by violation kind, case c's track entering stage e (is_outcome
 * false) or ending in outcome e at time now. */
static void tally_kind(ws *w, const icase *c, bool is_outcome, size_t e, double now)
{
    const cs_result_dims *d = &w->out->dims;
    w->kt[cs_tally_kind_index(d, c->kind, c->group, is_outcome, e, false, year_of(w, now))]++;
    if (c->cohort)
        w->kt[cs_tally_kind_index(d, c->kind, c->group, is_outcome, e, true,
                                  year_of(w, now - c->t_arrival))]++;
}

/* Track t reaches outcome o at time now: counts it, frees the track and, if
 * it was its case's last open track, ends the case. */
static void track_end(ws *w, uint32_t t, size_t o, double now)
{
    uint32_t cs = w->tracks[t].case_slot;
    icase *c = &w->cases[cs];
    /* One count per array, in the case's own row: the rows of all groups,
     * period_outcomes and outcome_counts are sums of these (sum_count_rows). */
    size_t y = year_of(w, now), ny = w->n_years, no = w->m->n_outcomes;
    w->out->period_outcomes_by_group[((size_t)c->group * ny + y) * no + o]++;
    if (c->cohort) {
        size_t dy = year_of(w, now - c->t_arrival), G1 = w->m->n_groups + 1;
        w->out->cohort_outcomes_by_delay[((size_t)c->group * no + o) * ny + dy]++;
        w->out->kind_outcome_counts[((size_t)c->kind * G1 + c->group) * no + o]++;
    }
    if (CS_ENGINE_TALLIES && w->kt)
        tally_kind(w, c, true, o, now);
    c->outcome_mask |= UINT64_C(1) << o;
    CS_ASSERT(c->live && c->open_tracks > 0);
    track_release(w, t);
    if (--c->open_tracks == 0) {
        if (w->fb_on)
            cs_fb_case_end(&w->dyn, c->group, c->well_founded, c->outcome_mask);
        if (c->cohort)
            case_finalize(w, c, true, now);
        if (CS_ENGINE_TALLIES && w->dur)
            tally_duration(w, c, CS_DUR_TO_END, 0, now, now - c->t_arrival);
        case_release(w, cs);
    }
}

/* ---- stages ---------------------------------------------------------------------- */

static void entering_push(ws *w, uint32_t t)
{
    if (w->n_entering == w->entering_cap) {
        void *p = w->entering;
        if (!grow(&p, &w->entering_cap, sizeof(uint32_t), 64)) {
            w->status = cs_error_set(w->err, CS_ENOMEM, "engine: out of memory");
            return;
        }
        w->entering = p;
    }
    w->entering[w->n_entering++] = t;
}

/* Sends track t to target tg at time now. */
static void route(ws *w, uint32_t t, cs_mtarget tg, double now)
{
    if (tg < 0) {
        track_end(w, t, (size_t)(-tg - 1), now);
        return;
    }
    track *tr = &w->tracks[t];
    tr->stage = (uint16_t)tg;
    tr->state = TR_ENTERING;
    entering_push(w, t);
}

/* Track t follows branch b (global index) of its stage at time now: to one
 * target, or forks into one child track per target. */
static void follow_branch(ws *w, uint32_t t, size_t b, double now)
{
    const cs_model *m = w->m;
    uint32_t n = m->n_to[b];
    const cs_mtarget *to = &m->targets[m->to0[b]];
    if (n == 1) {
        route(w, t, to[0], now);
        return;
    }
    uint32_t kids[CS_MAX_FORK];
    uint64_t parent_id = w->tracks[t].id;
    uint64_t pmix = cs_mix64(parent_id);
    kids[0] = t;
    for (uint32_t j = 1; j < n; j++) {
        kids[j] = track_alloc(w);
        if (kids[j] == NIL) {
            for (uint32_t i = 1; i < j; i++)
                track_release(w, kids[i]);
            return;
        }
    }
    size_t nv = m->n_visit_slots;
    for (uint32_t j = 0; j < n; j++) {
        track *k = &w->tracks[kids[j]];
        if (j > 0) {
            const track *p = &w->tracks[t];
            k->case_slot = p->case_slot;
            k->skips = p->skips; /* a fork must not reset the max_visits loop guard */
            if (nv)
                memcpy(&w->visits[(size_t)kids[j] * nv], &w->visits[(size_t)t * nv], nv);
        }
        k->id = cs_mix64(pmix ^ (uint64_t)(j + 1));
    }
    icase *c = &w->cases[w->tracks[t].case_slot];
    c->open_tracks += n - 1;
    c->n_tracks += n - 1;
    for (uint32_t j = 0; j < n; j++)
        route(w, kids[j], to[j], now);
}

/* Chooses the branch of track t at its stage, at time now, with its drawn
 * uniform. */
static size_t choose_branch(ws *w, const track *tr, double now)
{
    const cs_model *m = w->m;
    const cs_mstage *ms = &m->stages[tr->stage];
    const stage_rt *st = &w->st[tr->stage];
    const icase *c = &w->cases[tr->case_slot];
    if (st->live)
        return cs_dyn_choose_live(&w->dyn, m, tr->stage, now, c->group, c->kind, c->well_founded,
                                  c->evidence, tr->u_branch);
    size_t nb = ms->n_branches;
    size_t off = (((size_t)c->group * m->n_kinds + c->kind) * 2 + c->well_founded) * nb;
    double u = tr->u_branch;
    if (!st->has_slope) {
        const double *cum = &st->cum[off];
        for (size_t b = 0; b + 1 < nb; b++)
            if (u < cum[b])
                return ms->branch0 + b;
        return ms->branch0 + m->last_open[(size_t)tr->stage * m->n_kinds + c->kind];
    }
    /* odds_b = base_b * exp(slope_b * (evidence - 0.5)); P_b = odds_b / sum. */
    double odds[CS_MAX_BRANCHES], total = 0.0;
    const double *base = &st->odds[off];
    const double *slope = st->slope;
    double x = c->evidence - 0.5;
    for (size_t b = 0; b < nb; b++) {
        odds[b] = slope[b] != 0.0 ? base[b] * exp(slope[b] * x) : base[b];
        total += odds[b];
    }
    double target = u * total, acc = 0.0;
    for (size_t b = 0; b + 1 < nb; b++) {
        acc += odds[b];
        if (target < acc)
            return ms->branch0 + b;
    }
    /* The last branch that applies to the kind (the last branch, unless
     * `kinds` closes it): rounding must not send a case down a closed one. */
    return ms->branch0 + m->last_open[(size_t)tr->stage * m->n_kinds + c->kind];
}

static void start_service(ws *w, uint32_t t, double now);

/* Gives the free places of stage s to the heads of its queue (highest
 * priority rank first), at time now. */
static void serve_waiting(ws *w, size_t s, double now)
{
    stage_rt *st = &w->st[s];
    const cs_mstage *ms = &w->m->stages[s];
    (void)ms;
    while (st->staffed && st->nonempty && st->busy < st->cap && w->status == CS_OK) {
        uint32_t r = (uint32_t)__builtin_ctz(st->nonempty);
        uint32_t h = st->head[r];
        track *ht = &w->tracks[h];
        CS_ASSERT(h != NIL && ht->state == TR_WAITING && ht->prev == NIL && ht->rank == r);
        CS_ASSERT(st->waiting > 0);
        st->head[r] = ht->next;
        if (ht->next != NIL)
            w->tracks[ht->next].prev = NIL;
        else {
            st->tail[r] = NIL;
            st->nonempty &= ~(UINT32_C(1) << r);
        }
        st->waiting--;
        start_service(w, h, now);
    }
}

/* Track t leaves its stage at its deadline (time now) from the queue or from
 * service. */
static void deadline_leave(ws *w, uint32_t t, double now)
{
    track *tr = &w->tracks[t];
    size_t s = tr->stage;
    stage_rt *st = &w->st[s];
    const cs_mstage *ms = &w->m->stages[s];
    stage_advance(w, s, now);
    bool entered_in_window = in_window(w->m, tr->t_enter);
    if (tr->state == TR_WAITING) {
        /* Unlink from the rank's FIFO. */
        uint32_t r = tr->rank;
        CS_ASSERT(tr->prev == NIL ? st->head[r] == t : w->tracks[tr->prev].next == t);
        CS_ASSERT(tr->next == NIL ? st->tail[r] == t : w->tracks[tr->next].prev == t);
        CS_ASSERT(st->waiting > 0);
        if (tr->prev != NIL)
            w->tracks[tr->prev].next = tr->next;
        else
            st->head[r] = tr->next;
        if (tr->next != NIL)
            w->tracks[tr->next].prev = tr->prev;
        else
            st->tail[r] = tr->prev;
        if (st->head[r] == NIL)
            st->nonempty &= ~(UINT32_C(1) << r);
        st->waiting--;
        if (entered_in_window)
            st->wait_sum += now - tr->t_enter;
    } else {
        CS_ASSERT(tr->state == TR_SERVICE && st->busy > 0);
        st->busy--;
    }
    if (in_window(w->m, now))
        st->losses++;
    track_end(w, t, (size_t)case_of(w->m, ms, &w->cases[tr->case_slot])->deadline_outcome, now);
    /* The place (if it was in service) goes to the head of the queue. */
    serve_waiting(w, s, now);
}

/* Counts a cohort track's choice of branch b (global index) at its stage
 * (the row of all groups is summed at the end: sum_count_rows). */
static inline void count_branch(ws *w, const track *tr, size_t b)
{
    const icase *c = &w->cases[tr->case_slot];
    if (c->cohort)
        w->out->branch_counts[(size_t)c->group * w->m->n_branches_total + b]++;
}

/* Track t completes service at its stage at time now. */
static void complete(ws *w, uint32_t t, double now)
{
    track *tr = &w->tracks[t];
    size_t s = tr->stage;
    stage_rt *st = &w->st[s];
    stage_advance(w, s, now);
    CS_ASSERT(tr->state == TR_SERVICE && st->busy > 0);
    st->busy--;
    if (in_window(w->m, tr->t_enter)) {
        st->service_sum += now - tr->t_start;
        st->service_n++;
    }
    if (CS_ENGINE_TALLIES && w->dur)
        tally_stage_durations(w, tr, s, now);
    size_t b = choose_branch(w, tr, now);
    count_branch(w, tr, b);
    follow_branch(w, t, b, now);
    serve_waiting(w, s, now);
}

/* Track t takes a place (or, without staff, simply starts) at time now. */
HOT_OWN_COPY static void start_service(ws *w, uint32_t t, double now)
{
    track *tr = &w->tracks[t];
    size_t s = tr->stage;
    stage_rt *st = &w->st[s];
    stage_advance(w, s, now);
    double dur = tr->dur; /* read before t_start takes its place */
    tr->state = TR_SERVICE;
    tr->t_start = now;
    st->busy++;
    if (in_window(w->m, tr->t_enter))
        st->wait_sum += now - tr->t_enter;
    double finish = now + dur;
    if (finish > tr->deadline) {
        if (!tr->deadline_pending) {
            tr->deadline_pending = 1;
            push_event(w, tr->deadline, t, CS_EV_DEADLINE);
        }
    } else if (dur > 0.0) {
        push_event(w, finish, t, CS_EV_SERVICE_END);
    } else {
        complete(w, t, now);
    }
}

/* A duration from law `kind` with the model's parameters a and b. */
static inline double sample_duration(gsl_rng *rng, cs_duration_kind kind, double a, double b)
{
    switch (kind) {
    case CS_DUR_NONE:
        return 0.0;
    case CS_DUR_FIXED:
        return a;
    case CS_DUR_EXPONENTIAL:
        return gsl_ran_exponential(rng, a);
    case CS_DUR_GAMMA:
        return gsl_ran_gamma(rng, a, b);
    case CS_DUR_LOGNORMAL:
        return gsl_ran_lognormal(rng, a, b);
    case CS_DUR_UNIFORM:
        return gsl_ran_flat(rng, a, b);
    case CS_DUR_WEIBULL:
        return gsl_ran_weibull(rng, a, b);
    }
    return 0.0;
}

/* Draws the branch uniform and then the duration (law ms) of track t's
 * visit to stage s. */
static void draw_visit(ws *w, track *tr, const icase *c, const cs_mcase *ms, size_t s)
{
    /* The stream keyed (seed, replicate, group, incident, track word, TRACK),
     * from the case's kept prefix: see cs_pcg32_from_prefix. */
    cs_pcg32_from_prefix(
        w->rs, c->track_prefix,
        cs_mix64(tr->id ^ cs_mix64((uint64_t)s * (CS_MAX_VISITS + 1) + tr->visit)));
    /* The branch uniform comes first: duration samplers use a number of
     * uniforms that depends on their parameters (GSL's gamma takes one more
     * below shape 1; fixed takes none), so drawing it after the duration
     * would let a change of duration law redraw this stage's decision. */
    tr->u_branch = cs_pcg32_uniform(w->rs);
    double a = ms->dur_a, b = ms->dur_b; /* the law in force when the track enters */
    if (w->st[s].dyn & DYN_DURATION)
        cs_dyn_duration(&w->dyn, w->m, s, tr->t_enter, &a, &b);
    double d = sample_duration(w->rng, ms->dur, a, b);
    tr->dur = d > 0.0 ? d : 0.0;
}

/* Track t waits at the tail of stage s's queue for its rank (violation
 * priority under queue: priority), its deadline scheduled. */
static inline void enqueue(ws *w, uint32_t t, size_t s, const icase *c, double now)
{
    const cs_mstage *ms = &w->m->stages[s];
    stage_rt *st = &w->st[s];
    track *tr = &w->tracks[t];
    stage_advance(w, s, now);
    uint32_t r = ms->priority ? w->m->kind_rank[c->kind] : 0;
    tr->rank = (uint8_t)r;
    tr->state = TR_WAITING;
    tr->next = NIL;
    tr->prev = st->tail[r];
    if (st->tail[r] != NIL)
        w->tracks[st->tail[r]].next = t;
    else
        st->head[r] = t;
    st->tail[r] = t;
    st->nonempty |= UINT32_C(1) << r;
    st->waiting++;
    if (isfinite(tr->deadline)) {
        tr->deadline_pending = 1;
        push_event(w, tr->deadline, t, CS_EV_DEADLINE);
    }
}

/* Counts a track's entry into stage s (in the cohort window, by calendar
 * year and group, and by delay and kind for a cohort case). */
static inline void count_entry(ws *w, size_t s, icase *c, double now)
{
    const cs_model *m = w->m;
    if (in_window(m, now))
        w->st[s].entries++;
    /* As in track_end: one count per array, the sums at the end. */
    size_t y = year_of(w, now), ny = w->n_years, S = m->n_stages;
    w->out->period_entries_by_group[((size_t)c->group * ny + y) * S + s]++;
    c->reported |= s != m->entry_stage;
    if (c->cohort) {
        size_t dy = year_of(w, now - c->t_arrival), G1 = m->n_groups + 1;
        w->out->cohort_entries_by_delay[((size_t)c->group * S + s) * ny + dy]++;
        w->out->kind_stage_entries[((size_t)c->kind * G1 + c->group) * S + s]++;
    }
    if (CS_ENGINE_TALLIES && w->kt)
        tally_kind(w, c, false, s, now);
}

/* Track t enters stage s at time now (or, past max_visits, takes its
 * reference branch at once). */
static void enter_stage(ws *w, uint32_t t, size_t s, double now)
{
    const cs_model *m = w->m;
    const cs_mstage *ms = &m->stages[s];
    track *tr = &w->tracks[t];
    icase *c = &w->cases[tr->case_slot];
    uint8_t visit = 1;
    if (ms->visit_slot >= 0) {
        uint8_t *v = &w->visits[(size_t)t * m->n_visit_slots + (size_t)ms->visit_slot];
        if (*v >= ms->max_visits) {
            if (++tr->skips > m->n_stages) {
                w->status = cs_error_set(w->err, CS_EINVAL,
                                         "engine: the reference branches of stages whose "
                                         "max_visits are used up form a cycle (stage %s)",
                                         m->stage_names[s]);
                return;
            }
            tr->stage = (uint16_t)s;
            follow_branch(w, t, ms->branch0 + m->reference[s * m->n_kinds + c->kind], now);
            return;
        }
        visit = ++*v;
    }
    tr->skips = 0;
    tr->stage = (uint16_t)s;
    tr->visit = visit;
    tr->gen++;
    tr->t_enter = now;
    tr->deadline_pending = 0;
    tr->deadline = INFINITY;
    const cs_mcase *mc = case_of(m, ms, c);
    if (mc->has_deadline)
        tr->deadline =
            (mc->deadline_from_stage ? now : c->t_arrival) +
            (w->st[s].dyn & DYN_DEADLINE ? cs_dyn_deadline(&w->dyn, m, s, now) : mc->deadline_days);
    count_entry(w, s, c, now);
    draw_visit(w, tr, c, mc, s);
    if (tr->deadline < now) {
        /* The incident-based deadline passed before the track got here. */
        tr->state = TR_WAITING; /* not linked: deadline_leave must not unlink it */
        if (in_window(m, now))
            w->st[s].losses++;
        track_end(w, t, (size_t)mc->deadline_outcome, now);
    } else if (w->st[s].staffed && w->st[s].busy >= w->st[s].cap) {
        enqueue(w, t, s, c, now);
    } else {
        start_service(w, t, now);
    }
}

/* Processes the tracks routed to a stage at time now: into a stage without
 * staff at once, into a staffed stage through an entry event (so that every
 * place freed at `now` is freed first). */
static void drain(ws *w, double now)
{
    while (w->n_entering && w->status == CS_OK) {
        uint32_t t = w->entering[--w->n_entering];
        size_t s = w->tracks[t].stage;
        if (w->st[s].staffed)
            push_event(w, now, t, CS_EV_ENTER);
        else
            enter_stage(w, t, s, now);
    }
}

/* ---- incidents ------------------------------------------------------------------- */

/* Draws group g's next arrival after time `after` (incident number
 * `incident`) into w->arr[g]; none if the rate is 0 or it falls at or after
 * the end. Keeps arr_first and the queue's count of pending arrivals. */
static inline void set_arrival(ws *w, size_t g, double t, uint64_t incident);

static void schedule_arrival(ws *w, size_t g, double after, uint64_t incident)
{
    double rate = w->m->rate_per_day[g];
    double t = INFINITY;
    if (w->rate_moves[g]) {
        /* A rate that follows a timeline or a feedback: exact inversion of
         * its integral (schedule.c), from the same uniform. */
        double E = -log(cs_pcg32_uniform_pos(&w->arrivals[g]));
        t = cs_dyn_arrival_time(&w->dyn, w->m, g, after, E);
    } else if (rate > 0.0) {
        t = after - log(cs_pcg32_uniform_pos(&w->arrivals[g])) / rate;
        if (!(t < w->m->t_end))
            t = INFINITY;
    }
    set_arrival(w, g, t, incident);
}

/* Group g's next arrival is at t (INFINITY: none), incident number
 * `incident`. Keeps arr_first and the queue's count of pending arrivals. */
static inline void set_arrival(ws *w, size_t g, double t, uint64_t incident)
{
    cs_event *a = &w->arr[g];
    bool was_pending = a->time < INFINITY;
    bool pending = t < INFINITY;
    *a = (cs_event){t, incident, 0, (uint32_t)g, 0, 0, (uint8_t)(1u << 4 | g), CS_EV_ARRIVAL};
    w->q.n_extra = w->q.n_extra - was_pending + pending;
    if (pending && !was_pending && w->q.n + w->q.n_extra > w->q.peak)
        w->q.peak = w->q.n + w->q.n_extra; /* as a push into the queue would count it */
    uint32_t first = NIL;
    for (size_t i = 0; i < w->m->n_groups; i++)
        if (w->arr[i].time < INFINITY &&
            (first == NIL || cs_event_before(&w->arr[i], &w->arr[first])))
            first = (uint32_t)i;
    w->arr_first = first;
}

/* Draws case c's kind, well-foundedness and evidence, in this order, from
 * the stream loaded in w->rs: with the shares, probabilities and Beta laws
 * in force at time now. */
static inline void draw_incident(ws *w, icase *c, double now)
{
    const cs_model *m = w->m;
    size_t g = c->group;
    double u = cs_pcg32_uniform(w->rs);
    size_t k = 0;
    if (w->inc_dyn) {
        k = cs_dyn_kind(m, g, now, u);
    } else {
        const double *cum = &m->kind_cum[g * m->n_kinds];
        while (k + 1 < m->n_kinds && !(u < cum[k]))
            k++;
    }
    c->kind = (uint16_t)k;
    double p_wf = w->inc_dyn ? cs_dyn_well_founded(m, k, now) : m->well_founded[k];
    c->well_founded = cs_pcg32_uniform(w->rs) < p_wf;
    double a = m->beta_a[c->well_founded], b = m->beta_b[c->well_founded];
    if (w->inc_dyn)
        cs_dyn_beta(m, c->well_founded, now, &a, &b);
    c->evidence = gsl_ran_beta(w->rng, a, b);
}

static void arrival(ws *w, size_t g, uint64_t n, double now)
{
    const cs_model *m = w->m;
    schedule_arrival(w, g, now, n + 1);
    uint32_t cs = case_alloc(w);
    if (cs == NIL)
        return;
    uint32_t t = track_alloc(w);
    if (t == NIL)
        return;
    w->incidents_total++;
    icase *c = &w->cases[cs];
    c->incident = n;
    c->t_arrival = now;
    c->group = (uint8_t)g;
    c->cohort = in_window(m, now);
    c->live = 1;
    c->reported = 0;
    c->outcome_mask = 0;
    c->open_tracks = 1;
    c->n_tracks = 1;
    /* Kind, well-foundedness, evidence: in this order, from the incident's stream. */
    /* The stream keyed (seed, replicate, g, n, 0, INCIDENT), seeded from the
     * group's kept prefix (the same generator as cs_pcg32_from_key's). */
    cs_pcg32_from_prefix(w->rs, cs_stream_prefix_add(w->incident_prefix[g], n), 0);
    c->track_prefix = cs_stream_prefix_add(w->track_prefix[g], n);
    draw_incident(w, c, now);

    track *tr = &w->tracks[t];
    tr->id = 0;
    tr->case_slot = cs;
    tr->skips = 0;
    if (m->n_visit_slots)
        memset(&w->visits[(size_t)t * m->n_visit_slots], 0, m->n_visit_slots);
    enter_stage(w, t, m->entry_stage, now);
}

/* ---- the run --------------------------------------------------------------------- */

#if !CS_ENGINE_TALLIES
/* Frees w's storage (not w itself). */
static void ws_free(ws *w)
{
    if (w->rng)
        gsl_rng_free(w->rng);
    cs_event_queue_free(&w->q);
    cs_pool_release(&w->case_pool);
    cs_pool_release(&w->track_pool);
    free(w->visits);
    free(w->entering);
    free(w->st);
    free(w->backlog);
    cs_tallies_free(&w->tally);
    if (w->dyn.d)
        cs_dyn_rt_free(&w->dyn);
}
#endif

/* Every field of w zero but its storage, which is kept as it is. */
static void ws_clear(ws *w)
{
    const ws keep = *w;
    memset(w, 0, sizeof *w);
    w->rng = keep.rng;
    w->q = keep.q;
    w->case_pool = keep.case_pool;
    w->track_pool = keep.track_pool;
    w->visits = keep.visits;
    w->visits_cap = keep.visits_cap;
    w->entering = keep.entering;
    w->entering_cap = keep.entering_cap;
    w->st = keep.st;
    w->st_cap = keep.st_cap;
    w->backlog = keep.backlog;
    w->backlog_cap = keep.backlog_cap;
    w->tally = keep.tally;
}

/* *p holds at least n elements of elem bytes (at least one), its contents
 * kept; *cap its length. False when out of memory (*p unchanged). */
static bool ensure(void **p, size_t *cap, size_t elem, size_t n)
{
    if (n == 0)
        n = 1;
    if (*p && n <= *cap)
        return true;
    void *np = n <= SIZE_MAX / elem ? realloc(*p, n * elem) : NULL;
    if (!np)
        return false;
    *p = np;
    *cap = n;
    return true;
}

/* w's storage emptied for a replicate of m, as new storage grown to the
 * same sizes would be: the pools' slots free in a new pool's order (their
 * contents initialised as grow_cases and grow_tracks do), the queue
 * empty, the stage and backlog rows and the tallies zero. */
static int ws_storage_reset(ws *w, const cs_model *m, size_t n_arrival_years)
{
    if (w->rng)
        gsl_rng_set(w->rng, gsl_rng_default_seed); /* as gsl_rng_alloc leaves it */
    else if (!(w->rng = gsl_rng_alloc(cs_gsl_rng_pcg32)))
        return CS_ENOMEM;
    cs_event_queue_reset(&w->q);
    cs_pool_reset(&w->case_pool);
    cs_pool_reset(&w->track_pool);
    w->cases = w->case_pool.items;
    for (size_t i = 0; i < w->case_pool.cap; i++)
        w->cases[i].live = 0;
    w->tracks = w->track_pool.items;
    for (size_t i = 0; i < w->track_pool.cap; i++) {
        w->tracks[i].state = TR_FREE;
        w->tracks[i].gen = 0;
    }
    size_t visits_cap = w->visits_cap; /* bytes: ensure counts them as elements */
    void *v = w->visits, *st = w->st, *bl = w->backlog;
    size_t n_bl = m->n_stages * w->n_months;
    bool ok = ensure(&v, &visits_cap, 1, w->track_pool.cap * m->n_visit_slots);
    w->visits = v;
    w->visits_cap = visits_cap;
    ok = ensure(&st, &w->st_cap, sizeof *w->st, m->n_stages) && ok;
    w->st = st;
    ok = ensure(&bl, &w->backlog_cap, sizeof *w->backlog, n_bl) && ok;
    w->backlog = bl;
    if (!ok)
        return CS_ENOMEM;
    memset(w->st, 0, m->n_stages * sizeof *w->st);
    memset(w->backlog, 0, n_bl * sizeof *w->backlog);
    return cs_tallies_reset(&w->tally, m->n_groups, m->n_kinds, m->n_categories, n_arrival_years);
}

/* Stage s's queue empty and what the hot path reads set to the model's. */
static void stage_init(ws *w, size_t s)
{
    const cs_model *m = w->m;
    const cs_mstage *ms = &m->stages[s];
    stage_rt *st = &w->st[s];
    for (size_t r = 0; r < CS_MAX_VIOLATIONS; r++)
        st->head[r] = st->tail[r] = NIL;
    st->odds = m->odds + ms->table0;
    st->cum = m->cum + ms->table0;
    st->slope = m->slope + ms->branch0;
    st->cap = ms->capacity;
    st->staffed = ms->has_capacity;
    st->has_slope = ms->has_slope;
}

static int dyn_init(ws *w);

/* Readies w for replicate `replicate` of m into out: its storage emptied
 * (ws_storage_reset), every other field set for this replicate. */
static int ws_reset(ws *w, const cs_model *m, uint64_t seed, uint64_t replicate,
                    cs_replicate_result *out, bool records, cs_error *err)
{
    ws_clear(w);
    w->m = m;
    w->seed = seed;
    w->replicate = replicate;
    w->out = out;
    w->dur = m->tallies & CS_TALLY_DURATIONS ? out->durations : NULL;
    w->kt = m->tallies & CS_TALLY_KINDS ? out->kind_counts : NULL;
    w->records = records;
    w->err = err;
    w->status = CS_OK;
    w->n_months = out->dims.n_months;
    w->n_years = out->dims.n_years;
    w->inv_month = 1.0 / m->month_days;
    w->inv_year = 1.0 / m->year_days;
    w->masks = (cs_tally_masks){.accountability = m->accountability_mask,
                                .redress = m->redress_mask,
                                .category = m->category_mask};
    w->n_arrival_years = out->dims.n_arrival_years;
    w->first_arrival_year = (size_t)floor(m->t_warmup / m->year_days + 1e-9);
    if (ws_storage_reset(w, m, w->n_arrival_years) != CS_OK)
        return cs_error_set(err, CS_ENOMEM, "engine: out of memory");
    w->rs = cs_gsl_pcg32_state(w->rng);
    /* 32 buckets per day of the run, at most 2^17 (512 KiB, so that memory
     * does not grow with the horizon): the heap then holds about an hour's
     * events. Measured (bench/README.md): one per day left the heap deep
     * enough for its sift-down to cost 15% of a capacity-free run; 128 per
     * day spends more on scanning empty buckets than it saves. */
    double nb = ceil(m->t_end * 32.0);
    if (cs_event_queue_setup(&w->q, m->t_end, nb > 131072.0 ? 131072 : (size_t)nb) != 0)
        return cs_error_set(err, CS_ENOMEM, "engine: out of memory");
    for (size_t s = 0; s < m->n_stages; s++)
        stage_init(w, s);
    w->arr_first = NIL;
    for (size_t g = 0; g < CS_MAX_GROUPS; g++)
        w->arr[g].time = INFINITY;
    for (size_t g = 0; g < m->n_groups; g++) {
        cs_stream_key key = {seed, replicate, g, 0, 0, CS_STREAM_ARRIVALS};
        cs_pcg32_from_key(&w->arrivals[g], &key);
        w->incident_prefix[g] = cs_stream_prefix(seed, CS_STREAM_INCIDENT, replicate, g);
        w->track_prefix[g] = cs_stream_prefix(seed, CS_STREAM_TRACK, replicate, g);
    }
    if (m->dyn && dyn_init(w) != CS_OK)
        return cs_error_set(err, CS_ENOMEM, "engine: out of memory (time and feedback)");
    return CS_OK;
}

/* Stage s's statistics over the cohort window and its monthly backlog. */
static void stage_measures(ws *w, size_t s)
{
    const cs_model *m = w->m;
    const stage_rt *st = &w->st[s];
    const cs_mstage *ms = &m->stages[s];
    double T = m->t_cohort_end - m->t_warmup;
    double *y = &w->out->stage_stats[s * CS_SS_COUNT];
    y[CS_SS_ENTRIES] = (double)st->entries;
    y[CS_SS_MEAN_WAIT] = st->entries ? st->wait_sum / (double)st->entries : NAN;
    y[CS_SS_MEAN_SERVICE] = st->service_n ? st->service_sum / (double)st->service_n : NAN;
    y[CS_SS_UTILISATION] = ms->has_capacity && ms->capacity > 0 && T > 0
                               ? st->area_busy / ((double)ms->capacity * T)
                               : NAN;
    if (st->dyn & DYN_CAPACITY) /* capacity that moved: busy over the places offered */
        y[CS_SS_UTILISATION] = st->area_cap > 0.0 ? st->area_busy / st->area_cap : NAN;
    y[CS_SS_DEADLINE_LOSSES] = (double)st->losses;
    y[CS_SS_MEAN_QUEUE] = T > 0 ? st->area_wait / T : NAN;
    y[CS_SS_MEAN_IN_SERVICE] = T > 0 ? st->area_busy / T : NAN;
    y[CS_SS_ARRIVAL_RATE] = T > 0 ? (double)st->entries / T : NAN;
    for (size_t mo = 0; mo < w->n_months; mo++) {
        double lo = (double)mo * m->month_days;
        double hi = (double)(mo + 1) * m->month_days;
        if (hi > m->t_end)
            hi = m->t_end;
        w->out->backlog[s * w->n_months + mo] =
            hi > lo ? (float)(w->backlog[s * w->n_months + mo] / (hi - lo)) : 0.0f;
    }
}

/* Without feedback loops, the one row `none` of the trajectories: 1, and
 * no signal. */
static void no_feedback(ws *w)
{
    for (size_t mo = 0; mo < w->n_months; mo++) {
        w->out->feedback_multiplier[mo] = 1.0;
        w->out->feedback_signal[mo] = NAN;
    }
}

/* dst[i] += src[i], i < n. */
static void add_counts(int64_t *restrict dst, const int64_t *restrict src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] += src[i];
}

/* The counts the hot path leaves out (count_entry, track_end): the rows of
 * all groups, the period counts (the all-groups rows by calendar year) and
 * the cohort counts (the sums over kinds), and the all-groups row of the
 * branch counts. Integer sums: exact in any order. */
static void sum_count_rows(ws *w)
{
    cs_replicate_result *r = w->out;
    size_t G = w->m->n_groups, G1 = G + 1, K = w->m->n_kinds;
    size_t S = w->m->n_stages, O = w->m->n_outcomes, Y = w->n_years;
    for (size_t g = 0; g < G; g++) {
        add_counts(&r->period_entries_by_group[G * Y * S], &r->period_entries_by_group[g * Y * S],
                   Y * S);
        add_counts(&r->period_outcomes_by_group[G * Y * O], &r->period_outcomes_by_group[g * Y * O],
                   Y * O);
        add_counts(&r->cohort_entries_by_delay[G * S * Y], &r->cohort_entries_by_delay[g * S * Y],
                   S * Y);
        add_counts(&r->cohort_outcomes_by_delay[G * O * Y], &r->cohort_outcomes_by_delay[g * O * Y],
                   O * Y);
        for (size_t k = 0; k < K; k++) {
            add_counts(&r->kind_stage_entries[(k * G1 + G) * S],
                       &r->kind_stage_entries[(k * G1 + g) * S], S);
            add_counts(&r->kind_outcome_counts[(k * G1 + G) * O],
                       &r->kind_outcome_counts[(k * G1 + g) * O], O);
        }
    }
    memcpy(r->period_entries, &r->period_entries_by_group[G * Y * S], Y * S * sizeof(int64_t));
    memcpy(r->period_outcomes, &r->period_outcomes_by_group[G * Y * O], Y * O * sizeof(int64_t));
    for (size_t k = 0; k < K; k++) {
        add_counts(r->stage_entries, &r->kind_stage_entries[k * G1 * S], G1 * S);
        add_counts(r->outcome_counts, &r->kind_outcome_counts[k * G1 * O], G1 * O);
    }
    size_t nb = w->m->n_branches_total; /* count_branch */
    for (size_t g = 0; g < G; g++)
        add_counts(&r->branch_counts[G * nb], &r->branch_counts[g * nb], nb);
}

static void compute_measures(ws *w)
{
    sum_count_rows(w);
    cs_tallies_measures(&w->tally, w->out);
    for (size_t s = 0; s < w->m->n_stages; s++)
        stage_measures(w, s);
    if (!w->m->dyn || w->m->dyn->n_fb == 0)
        no_feedback(w);
}

static int record_cmp(const void *pa, const void *pb)
{
    const cs_case_record *a = pa, *b = pb;
    if (a->group != b->group)
        return a->group < b->group ? -1 : 1;
    return a->incident < b->incident ? -1 : a->incident > b->incident;
}

/* Whether the pools' counts and the stages' counts agree with the elements
 * themselves (for CS_ASSERT at the end of a replicate: O(pool size)). */
static inline bool counts_consistent(const ws *w)
{
    size_t live_cases = 0, live_tracks = 0;
    for (size_t c = 0; c < w->case_pool.cap; c++)
        live_cases += w->cases[c].live;
    uint64_t busy[CS_MAX_STAGES] = {0}, waiting[CS_MAX_STAGES] = {0};
    for (size_t t = 0; t < w->track_pool.cap; t++) {
        const track *tr = &w->tracks[t];
        live_tracks += tr->state != TR_FREE;
        if (tr->state == TR_SERVICE)
            busy[tr->stage]++;
        else if (tr->state == TR_WAITING)
            waiting[tr->stage]++;
    }
    bool ok = live_cases == w->case_pool.live && live_tracks == w->track_pool.live;
    for (size_t s = 0; s < w->m->n_stages; s++)
        ok = ok && busy[s] == w->st[s].busy && waiting[s] == w->st[s].waiting;
    return ok;
}

/* Closes the run at t_end: integrals, waits still open, pending cases. */
static void finish(ws *w)
{
    const cs_model *m = w->m;
    CS_ASSERT(counts_consistent(w));
    for (size_t s = 0; s < m->n_stages; s++)
        stage_advance(w, s, m->t_end);
    for (size_t t = 0; t < w->track_pool.cap; t++) {
        const track *tr = &w->tracks[t];
        if (tr->state == TR_WAITING && in_window(m, tr->t_enter))
            w->st[tr->stage].wait_sum += m->t_end - tr->t_enter;
    }
    for (size_t c = 0; c < w->case_pool.cap && w->status == CS_OK; c++)
        if (w->cases[c].live && w->cases[c].cohort)
            case_finalize(w, &w->cases[c], false, m->t_end);
    if (w->records && w->out->n_cases > 1)
        qsort(w->out->cases, w->out->n_cases, sizeof *w->out->cases, record_cmp);
    for (size_t s = 0; s < m->n_stages; s++)
        if ((w->st[s].dyn & DYN_CAPACITY) && w->st[s].staffed)
            w->st[s].area_cap += (double)w->st[s].cap * window_overlap(m, w->st[s].t_cap, m->t_end);
    if (w->status == CS_OK && !cs_tallies_counted(&w->tally))
        w->status = cs_error_set(w->err, CS_ELIMIT,
                                 "engine: a replicate's cohort holds 2^32 cases or more, more than "
                                 "its histograms count: shorten time.cohort_years");
    if (w->status == CS_OK)
        compute_measures(w);
}

/* Handles one event of a track (not an arrival), unless it is stale: its
 * track has moved on since it was scheduled, or is not in the state the
 * event expects. */
static inline void track_event(ws *w, const cs_event *e)
{
    track *tr = &w->tracks[e->slot];
    /* An event carries its track's generation when it was scheduled:
     * never one the track has not reached yet. */
    CS_ASSERT((uint32_t)(tr->gen - e->gen) < UINT32_C(0x80000000));
    if (tr->gen != e->gen)
        return;
    switch (e->type) {
    case CS_EV_SERVICE_END:
        if (tr->state == TR_SERVICE)
            complete(w, e->slot, e->time);
        break;
    case CS_EV_DEADLINE:
        if (tr->state == TR_SERVICE || tr->state == TR_WAITING)
            deadline_leave(w, e->slot, e->time);
        break;
    case CS_EV_ENTER:
        if (tr->state == TR_ENTERING)
            enter_stage(w, e->slot, tr->stage, e->time);
        break;
    default:
        break;
    }
}

/* The next event before the end of the run into *e: the earliest pending
 * arrival or the queue's first. Returns false when there is none. */
static inline bool next_event(ws *w, cs_event *e)
{
    const cs_event *top = cs_event_queue_peek(&w->q);
    if (w->arr_first != NIL && (!top || cs_event_before(&w->arr[w->arr_first], top)))
        *e = w->arr[w->arr_first];
    else if (top)
        cs_event_queue_pop(&w->q, e);
    else
        return false;
    if (!(e->time < w->m->t_end))
        return false;
    /* The pools are far larger than the caches and events reach them in
     * time order, not memory order: while this event is processed, fetch
     * the track and the case the next event will touch. */
    uint32_t next, next_case;
    if (cs_event_queue_peek_slot(&w->q, &next, &next_case) && next < w->track_pool.cap &&
        next_case < w->case_pool.cap) {
        __builtin_prefetch(&w->tracks[next]);
        __builtin_prefetch(&w->cases[next_case]);
    }
    return true;
}

/* The event loop: every event before the end of the run, in order, until
 * an error or a stop (*stop polled every 4096 events). */
/* Processes event e; false when the run must stop. */
static inline bool step(ws *w, const cs_event *e, volatile sig_atomic_t *stop)
{
    w->events++;
    if ((w->events & 4095u) == 0) {
        CS_ASSERT(cs_event_queue_valid(&w->q));
        if (stop && *stop) {
            w->status = CS_EINTERRUPTED;
            return false;
        }
    }
    if (e->type == CS_EV_ARRIVAL)
        arrival(w, e->slot, e->incident, e->time);
    else
        track_event(w, e);
    drain(w, e->time);
    return true;
}

__attribute__((flatten)) static void run_events(ws *w, volatile sig_atomic_t *stop)
{
    for (size_t g = 0; g < w->m->n_groups; g++)
        schedule_arrival(w, g, 0.0, 0);
    cs_event e;
    while (w->status == CS_OK && next_event(w, &e))
        if (!step(w, &e, stop))
            break;
}

/* ---- time and feedback ------------------------------------------------------------ */

/* Stage s's capacity at time t (it follows its timelines): the area of
 * the old one over the window so far, the new one, and the places it
 * frees given to the queue (fewer places pre-empt nobody: tracks in
 * service finish, and new ones start only below the new capacity). */
static void dyn_capacity(ws *w, size_t s, double t)
{
    stage_rt *st = &w->st[s];
    if (st->staffed)
        st->area_cap += (double)st->cap * window_overlap(w->m, st->t_cap, t);
    st->t_cap = t;
    uint64_t cap;
    bool staffed;
    cs_dyn_capacity(&w->dyn, w->m, s, t, &cap, &staffed);
    st->cap = cap;
    st->staffed = staffed;
    st->dyn |= DYN_CAPACITY;
    w->dyn.stage[s].next_cap = cs_dyn_capacity_next(&w->dyn, w->m, s, t);
    serve_waiting(w, s, t);
}

/* Stage s's branch numbers and tables at time t. */
static void dyn_tables(ws *w, size_t s, double t)
{
    stage_rt *st = &w->st[s];
    cs_dyn_stage *ds = &w->dyn.stage[s];
    cs_dyn_stage_update(&w->dyn, w->m, s, t);
    st->live = ds->live;
    if (ds->own) {
        st->odds = ds->odds;
        st->cum = ds->cum;
        st->slope = ds->slope;
        st->has_slope = ds->has_slope;
    }
}

/* What changes at break time t: stages whose numbers change from t on
 * follow their timelines. */
static void dyn_break(ws *w, double t, uint64_t *tables)
{
    const cs_mdyn *d = w->m->dyn;
    for (size_t s = 0; s < w->m->n_stages; s++) {
        const cs_mdyn_stage *md = &d->stage[s];
        if (md->first_capacity <= t)
            dyn_capacity(w, s, t);
        if (md->branch_moves && md->first_branch <= t)
            *tables |= UINT64_C(1) << s;
        if (md->first_dur <= t)
            w->st[s].dyn |= DYN_DURATION;
        if (md->first_deadline <= t)
            w->st[s].dyn |= DYN_DEADLINE;
    }
    w->inc_dyn |= d->first_incident <= t;
}

/* Group g's pending arrival after its rate multiplier changed at t. */
static void dyn_retime(ws *w, size_t g, double t)
{
    double at = cs_dyn_arrival_retime(&w->dyn, w->m, g, t, w->dyn.rate_mult[g]);
    set_arrival(w, g, at, w->arr[g].incident);
}

/* The next time something changes: a break, a month start (feedback) or a
 * capacity step inside a moving piece. */
static void dyn_next(ws *w)
{
    const cs_mdyn *d = w->m->dyn;
    double t = w->dyn.next_break < d->n_breaks ? d->breaks[w->dyn.next_break] : INFINITY;
    if (w->dyn.next_tick < t)
        t = w->dyn.next_tick;
    for (size_t s = 0; s < w->m->n_stages; s++)
        if (w->dyn.stage[s].next_cap < t)
            t = w->dyn.stage[s].next_cap;
    w->next_update = t;
}

/* Everything that changes at time t, before any event at t. */
COLD static void dyn_update(ws *w, double t)
{
    const cs_mdyn *d = w->m->dyn;
    uint64_t tables = 0, fb_tables = 0;
    uint32_t rates = 0;
    if (w->dyn.next_break < d->n_breaks && d->breaks[w->dyn.next_break] <= t) {
        while (w->dyn.next_break < d->n_breaks && d->breaks[w->dyn.next_break] <= t)
            w->dyn.next_break++;
        dyn_break(w, t, &tables);
    }
    for (size_t s = 0; s < w->m->n_stages; s++)
        if (w->dyn.stage[s].next_cap <= t)
            dyn_capacity(w, s, t);
    if (w->dyn.next_tick <= t) {
        size_t month = (size_t)floor(w->dyn.next_tick * w->inv_month + 0.5);
        cs_fb_tick(&w->dyn, w->m, month, &rates, &fb_tables);
    }
    tables |= fb_tables;
    for (size_t s = 0; s < w->m->n_stages; s++)
        if (tables & (UINT64_C(1) << s))
            dyn_tables(w, s, t);
    for (size_t g = 0; g < w->m->n_groups; g++)
        if (rates & (UINT32_C(1) << g))
            dyn_retime(w, g, t);
    dyn_next(w);
}

static int dyn_init(ws *w)
{
    const cs_model *m = w->m;
    const cs_mdyn *d = m->dyn;
    size_t nf = d->n_fb ? w->n_months : 0;
    int rc = cs_dyn_rt_init(&w->dyn, m, nf ? w->out->feedback_multiplier : NULL,
                            nf ? w->out->feedback_signal : NULL, w->n_months);
    if (rc != CS_OK)
        return rc;
    w->fb_on = d->n_fb > 0;
    for (size_t g = 0; g < m->n_groups; g++)
        w->rate_moves[g] = d->rate_moves[g];
    for (size_t s = 0; s < m->n_stages; s++)
        if (d->stage[s].staff != CS_NO_TL || d->stage[s].caseload != CS_NO_TL)
            w->st[s].dyn |= DYN_CAPACITY; /* its area is kept from the start */
    w->next_update = 0.0;
    return CS_OK;
}

/* The run's start: what follows its timelines from time 0 on. */
static void dyn_start(ws *w)
{
    uint64_t tables = 0;
    dyn_break(w, 0.0, &tables);
    for (size_t s = 0; s < w->m->n_stages; s++)
        if (tables & (UINT64_C(1) << s))
            dyn_tables(w, s, 0.0);
    dyn_next(w);
}

/* The time of the next event (INFINITY: none). */
static inline double peek_time(ws *w)
{
    const cs_event *top = cs_event_queue_peek(&w->q);
    double t = top ? top->time : INFINITY;
    if (w->arr_first != NIL && w->arr[w->arr_first].time < t)
        t = w->arr[w->arr_first].time;
    return t;
}

/* The event loop of a system that changes over time: before the events of
 * a time, whatever changes at that time. */
__attribute__((flatten)) static void run_events_dynamic(ws *w, volatile sig_atomic_t *stop)
{
    for (size_t g = 0; g < w->m->n_groups; g++)
        schedule_arrival(w, g, 0.0, 0);
    cs_event e;
    while (w->status == CS_OK) {
        if (w->next_update < w->m->t_end && w->next_update <= peek_time(w)) {
            double t = w->next_update;
            dyn_update(w, t);
            drain(w, t);
            continue;
        }
        if (!next_event(w, &e) || !step(w, &e, stop))
            break;
    }
}

/* ---- the initial backlog ---------------------------------------------------------- */

/* An initial case waiting to be placed at its stage. */
typedef struct initial_case {
    double t_arrival;
    uint64_t order; /* entry and number: ties of equal dates */
    uint32_t stage, rank, track;
} initial_case;

static int initial_cmp(const void *pa, const void *pb)
{
    const initial_case *a = pa, *b = pb;
    if (a->stage != b->stage)
        return a->stage < b->stage ? -1 : 1;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    if (a->t_arrival != b->t_arrival)
        return a->t_arrival < b->t_arrival ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

/* Initial case i of entry e: a case at time 0 with its incident `age` days
 * in the past. Its group, kind, merit, evidence and age come, in this
 * order, from the stream (seed, replicate, e, i, 0, DYNAMICS); its tracks'
 * streams from the prefix (seed, DYNAMICS, replicate, CS_MAX_INITIAL + e,
 * i): keyed streams of their own, the same in every variant. Its incident
 * number (2^63 + its place) orders it after any arrival of its group. */
static bool initial_draw(ws *w, size_t e, uint64_t i, uint64_t number, initial_case *out)
{
    const cs_minitial *mi = &w->m->dyn->init[e];
    uint32_t cs = case_alloc(w), t = cs == NIL ? NIL : track_alloc(w);
    if (t == NIL)
        return false;
    cs_stream_key key = {w->seed, w->replicate, e, i, 0, CS_STREAM_DYNAMICS};
    cs_pcg32_from_key(w->rs, &key);
    double u = cs_pcg32_uniform(w->rs);
    size_t g = 0;
    while (g + 1 < w->m->n_groups && !(u < mi->group_cum[g]))
        g++;
    icase *c = &w->cases[cs];
    *c = (icase){.incident = (UINT64_C(1) << 63) + number,
                 .group = (uint8_t)g,
                 .live = 1,
                 .open_tracks = 1,
                 .n_tracks = 1};
    c->track_prefix = cs_stream_prefix_add(
        cs_stream_prefix(w->seed, CS_STREAM_DYNAMICS, w->replicate, CS_MAX_INITIAL + e), i);
    draw_incident(w, c, 0.0);
    c->t_arrival = -sample_duration(w->rng, mi->age_kind, mi->age_a, mi->age_b);
    track *tr = &w->tracks[t];
    tr->id = 0;
    tr->case_slot = cs;
    tr->skips = 0;
    if (w->m->n_visit_slots)
        memset(&w->visits[(size_t)t * w->m->n_visit_slots], 0, w->m->n_visit_slots);
    bool prio = w->m->stages[mi->stage].priority;
    *out = (initial_case){c->t_arrival, number, mi->stage, prio ? w->m->kind_rank[c->kind] : 0, t};
    return true;
}

/* The initial backlog enters its stages at time 0, in each stage's queue
 * order (priority, then the oldest incident first): the first take the
 * places, the others wait. */
static void place_initial(ws *w)
{
    const cs_mdyn *d = w->m->dyn;
    if (d->initial_cases == 0 || w->status != CS_OK)
        return;
    initial_case *all = malloc(d->initial_cases * sizeof *all);
    if (!all) {
        w->status = cs_error_set(w->err, CS_ENOMEM, "engine: out of memory (initial backlog)");
        return;
    }
    size_t n = 0;
    for (size_t e = 0; e < d->n_init; e++)
        for (uint64_t i = 0; i < d->init[e].cases; i++, n++)
            if (!initial_draw(w, e, i, n, &all[n])) {
                free(all);
                return;
            }
    qsort(all, n, sizeof *all, initial_cmp);
    for (size_t k = 0; k < n && w->status == CS_OK; k++)
        enter_stage(w, all[k].track, all[k].stage, 0.0);
    free(all);
    drain(w, 0.0);
}

/* One replicate in workspace w (cs_sim_replicate_ws), in this build of the
 * engine. */
static int replicate_run(ws *w, const cs_model *m, uint64_t seed, uint64_t replicate,
                         bool case_records, volatile sig_atomic_t *stop, cs_replicate_result *out,
                         cs_error *err)
{
    cs_replicate_result_reset(out);
    if (memcmp(&out->dims, &m->dims, sizeof m->dims) != 0)
        return cs_error_set(err, CS_EINVAL, "engine: result dimensions do not match the model");
    if (m->tallies && cs_replicate_result_tallies(out, m->tallies, err) != CS_OK)
        return CS_ENOMEM;
    int rc = ws_reset(w, m, seed, replicate, out, case_records, err);
    if (rc == CS_OK && m->dyn) {
        dyn_start(w);
        place_initial(w);
    }
    if (rc == CS_OK) {
        if (m->dyn && m->dyn->moving)
            run_events_dynamic(w, stop);
        else
            run_events(w, stop);
        if (w->status == CS_OK)
            finish(w);
        rc = w->status;
    }
    out->replicate = replicate;
    out->events = w->events;
    out->incidents_total = w->incidents_total;
    out->peak_cases = w->case_pool.peak;
    out->peak_tracks = w->track_pool.peak;
    out->peak_events = w->q.peak;
    /* The time-and-feedback state follows the model: one replicate's. */
    if (w->dyn.d)
        cs_dyn_rt_free(&w->dyn);
    if (rc == CS_EINTERRUPTED)
        cs_error_set(err, rc, "engine: interrupted");
    return rc;
}

#if CS_ENGINE_TALLIES
/* Both builds share struct cs_sim_workspace (no field depends on the
 * build), so a thread's workspace serves either. */
int cs_sim_replicate_tallied_ws(cs_sim_workspace *w, const cs_model *m, uint64_t seed,
                                uint64_t replicate, bool case_records, volatile sig_atomic_t *stop,
                                cs_replicate_result *out, cs_error *err)
{
    return replicate_run(w, m, seed, replicate, case_records, stop, out, err);
}
#else
int cs_sim_workspace_alloc(cs_sim_workspace **out, cs_error *err)
{
    ws *w = calloc(1, sizeof *w);
    *out = w;
    if (!w)
        return cs_error_set(err, CS_ENOMEM, "engine: out of memory (workspace)");
    cs_event_queue_init(&w->q);
    cs_pool_init(&w->case_pool, sizeof(icase));
    cs_pool_init(&w->track_pool, sizeof(track));
    return CS_OK;
}

void cs_sim_workspace_free(cs_sim_workspace *w)
{
    if (!w)
        return;
    ws_free(w);
    free(w);
}

int cs_sim_replicate_ws(cs_sim_workspace *w, const cs_model *m, uint64_t seed, uint64_t replicate,
                        bool case_records, volatile sig_atomic_t *stop, cs_replicate_result *out,
                        cs_error *err)
{
    if (m->tallies)
        return cs_sim_replicate_tallied_ws(w, m, seed, replicate, case_records, stop, out, err);
    return replicate_run(w, m, seed, replicate, case_records, stop, out, err);
}

int cs_sim_replicate(const cs_model *m, uint64_t seed, uint64_t replicate, bool case_records,
                     volatile sig_atomic_t *stop, cs_replicate_result *out, cs_error *err)
{
    cs_sim_workspace *w = NULL;
    int rc = cs_sim_workspace_alloc(&w, err);
    if (rc == CS_OK)
        rc = cs_sim_replicate_ws(w, m, seed, replicate, case_records, stop, out, err);
    cs_sim_workspace_free(w);
    return rc;
}
#endif
