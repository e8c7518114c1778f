/*
 * sim/dynamics.h — time and feedback in the compiled model and in one
 * replicate (internal to model/sim).
 *
 * cs_mdyn is what a variant's timelines, feedback loops and initial backlog
 * compile to, shared read-only by the threads (model.h points to it; NULL
 * for a system that stands still, which then runs exactly the engine's
 * static path). cs_dyn_rt is one replicate's state of them: current
 * capacities, branch tables, feedback windows and multipliers, and where
 * each group's arrival process stands. schedule.c holds the numbers that
 * follow timelines (arrivals, capacity, tables, durations, deadlines,
 * incidents); feedback.c the loops; initial.c the initial backlog's draws.
 *
 * Every element (a stage's capacity, its branch table, a group's arrival
 * rate, ...) uses the model's static value, compiled from the variant's
 * scenario at time 0, until the first time one of its numbers changes: so
 * a variant whose intervention starts in 2026 computes everything before
 * 2026 with exactly the baseline's arithmetic (bit for bit), and a feedback
 * whose multiplier stays 1 (elasticity 0) changes nothing.
 */
#ifndef CASESIM_SIM_DYNAMICS_H
#define CASESIM_SIM_DYNAMICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casesim/dynamics.h"
#include "casesim/rng.h"
#include "casesim/scenario.h"

struct cs_model;

#define CS_NO_TL (-1) /* no timeline: the number is the model's static value */

/* A stage's moving numbers: timeline indices into cs_mdyn.tl (CS_NO_TL:
 * static) and their static values. */
typedef struct cs_mdyn_stage {
    int32_t staff, caseload, deadline;
    double staff_value, caseload_value; /* static (staff INFINITY: none) */
    int32_t dur[2];                     /* written duration parameters (both move or neither) */
    bool dur_mean_cv;                   /* a lognormal written as {mean, cv} */
    double first_capacity;              /* first time staff or caseload changes (INFINITY: never) */
    double first_branch;                /* first time a branch number changes (INFINITY: never) */
    double first_dur, first_deadline;
    bool branch_moves; /* a branch number has a timeline */
    bool feedback;     /* a feedback multiplies a branch's odds here */
    /* Branch numbers [nb][G], [nb], [nb], [nb][V], static values and timelines. */
    double *p, *slope, *uor, *kor;
    int32_t *p_tl, *slope_tl, *uor_tl, *kor_tl;
} cs_mdyn_stage;

/* A feedback loop, compiled. */
typedef struct cs_mfeedback {
    int32_t group;   /* -1: all groups */
    uint64_t mask;   /* outcomes the signal counts as accountable */
    uint32_t window; /* months */
    double elasticity, reference, lo, hi;
    int32_t elasticity_tl, reference_tl;
    size_t n_targets;
    cs_param *targets; /* CS_PARAM_RATE or CS_PARAM_P */
} cs_mfeedback;

/* An entry of the initial backlog, compiled. */
typedef struct cs_minitial {
    uint32_t stage;
    uint64_t cases;
    cs_duration_kind age_kind;
    double age_a, age_b; /* as the engine's duration samplers take them */
    double group_cum[CS_MAX_GROUPS];
} cs_minitial;

typedef struct cs_mdyn {
    size_t n_tl;
    cs_timeline *tl; /* copies of the variant's timelines */
    double t_end;
    /* Incidents. */
    int32_t rate_tl[CS_MAX_GROUPS];
    bool rate_moves[CS_MAX_GROUPS]; /* a timeline or a feedback */
    double first_incident;          /* first time a share, well_founded or beta changes */
    int32_t *share_tl;              /* [V][G] */
    double *share;                  /* [V][G] static shares */
    int32_t wf_tl[CS_MAX_VIOLATIONS];
    int32_t beta_tl[2][2]; /* [merit][a or b] */
    size_t n_stages;
    cs_mdyn_stage *stage; /* [S] */
    /* Times numbers change (piece starts in (0, t_end)), sorted, distinct. */
    size_t n_breaks;
    double *breaks;
    size_t n_fb;
    cs_mfeedback *fb;
    size_t n_init;
    cs_minitial *init;
    uint64_t initial_cases;
    bool moving; /* timelines or feedback: the engine runs its dynamic loop */
} cs_mdyn;

/* Compiles scenario s's timelines, feedback and initial backlog for model
 * m (whose static tables are compiled). Sets m->dyn to NULL when s has
 * none. Returns CS_OK, CS_ENOMEM or CS_EINVAL (with err). */
int cs_mdyn_compile(const cs_scenario *s, struct cs_model *m, cs_error *err);

/* Frees d. NULL is a no-op. */
void cs_mdyn_free(cs_mdyn *d);

/* The value of timeline i of d at t, or fallback when i is CS_NO_TL. */
static inline double cs_mdyn_value(const cs_mdyn *d, int32_t i, double fallback, double t)
{
    return i == CS_NO_TL ? fallback : cs_timeline_value(&d->tl[i], t);
}

/* ----------------------------------------------------- one replicate */

/* One stage's current branch numbers and tables. */
typedef struct cs_dyn_stage {
    double *p, *slope, *uor, *kor; /* current values, as in cs_mdyn_stage */
    double *mult;                  /* [nb][G] feedback multipliers of the odds */
    double *odds, *cum;            /* tables [G][V][2][nb] (as model.h's), worker-owned */
    bool own;                      /* the tables above are in use (else the model's) */
    bool live;                     /* a number moves linearly: decide from the values at t */
    bool has_slope;
    double next_cap; /* next time its capacity changes within a piece */
} cs_dyn_stage;

/* One group's arrival process: the next arrival is where the integrated
 * rate from t_from reaches `hazard`. */
typedef struct cs_dyn_arrival {
    double t_from, hazard, mult;
} cs_dyn_arrival;

/* One feedback's window and multiplier. */
typedef struct cs_dyn_fb {
    uint32_t *acc, *wf; /* [window] ring of monthly counts */
    uint64_t sum_acc, sum_wf;
    double mult, signal;
} cs_dyn_fb;

typedef struct cs_dyn_rt {
    const cs_mdyn *d;
    cs_dyn_stage *stage; /* [S] */
    cs_dyn_arrival arr[CS_MAX_GROUPS];
    double rate_mult[CS_MAX_GROUPS]; /* product of the feedback multipliers on the rate */
    cs_dyn_fb *fb;                   /* [n_fb] */
    size_t next_break;               /* index into d->breaks */
    size_t month;                    /* the month in progress (feedback) */
    double next_tick;                /* start of the next month (INFINITY: no feedback) */
    double *traj, *signal;           /* the result's [fb][month] arrays (may be NULL) */
    size_t n_months;
} cs_dyn_rt;

/* Sets up rt for one replicate of model m; traj and signal are the
 * result's feedback arrays ([n_fb or 1][n_months], filled here). Returns
 * CS_OK or CS_ENOMEM. */
int cs_dyn_rt_init(cs_dyn_rt *rt, const struct cs_model *m, double *traj, double *signal,
                   size_t n_months);

/* Frees rt's memory. */
void cs_dyn_rt_free(cs_dyn_rt *rt);

/* ---- schedule.c: numbers that follow timelines */

/* The next arrival of group g after `after`, for unit-exponential hazard E
 * (inverting the integrated, piecewise-linear rate times its feedback
 * multiplier); INFINITY if none before the end. Keeps what a multiplier
 * change needs in rt->arr[g]. */
double cs_dyn_arrival_time(cs_dyn_rt *rt, const struct cs_model *m, size_t g, double after,
                           double E);

/* Group g's pending arrival after its multiplier changed at t: the hazard
 * already used is kept, the rest follows the new rate. */
double cs_dyn_arrival_retime(cs_dyn_rt *rt, const struct cs_model *m, size_t g, double t,
                             double new_mult);

/* Stage s's capacity at t into *cap and *staffed (false: no staff, no queue). */
void cs_dyn_capacity(const cs_dyn_rt *rt, const struct cs_model *m, size_t s, double t,
                     uint64_t *cap, bool *staffed);

/* The next time after t that stage s's capacity changes inside the
 * current pieces of its timelines (INFINITY: at a break, or never). */
double cs_dyn_capacity_next(const cs_dyn_rt *rt, const struct cs_model *m, size_t s, double t);

/* Brings stage s's branch numbers to time t and rebuilds its tables (or
 * marks it live when a number moves linearly). */
void cs_dyn_stage_update(cs_dyn_rt *rt, const struct cs_model *m, size_t s, double t);

/* The branch (global index) of a case (g, k, wf, evidence) at live stage s
 * at time t, for branch uniform u. */
size_t cs_dyn_choose_live(cs_dyn_rt *rt, const struct cs_model *m, size_t s, double t, size_t g,
                          size_t k, int wf, double evidence, double u);

/* Stage s's duration sampler parameters at t, as model.h stores them. */
void cs_dyn_duration(const cs_dyn_rt *rt, const struct cs_model *m, size_t s, double t, double *a,
                     double *b);

/* Stage s's deadline in days for a track entering at t. */
double cs_dyn_deadline(const cs_dyn_rt *rt, const struct cs_model *m, size_t s, double t);

/* An incident of group g arriving at t: its kind for uniform u, then
 * well-foundedness probability and evidence Beta parameters. */
size_t cs_dyn_kind(const struct cs_model *m, size_t g, double t, double u);
double cs_dyn_well_founded(const struct cs_model *m, size_t k, double t);
void cs_dyn_beta(const struct cs_model *m, int wf, double t, double *a, double *b);

/* ---- feedback.c: the loops */

/* A case of group g, well-founded or not, ended with outcomes `mask`. */
void cs_fb_case_end(cs_dyn_rt *rt, size_t g, bool well_founded, uint64_t mask);

/* The monthly update at the start of month `month`: each feedback's signal
 * over its window and multiplier. Sets *rates (bit g: group g's rate
 * multiplier changed) and *stages (bit s: stage s's odds multipliers
 * changed). */
void cs_fb_tick(cs_dyn_rt *rt, const struct cs_model *m, size_t month, uint32_t *rates,
                uint64_t *stages);

#endif
