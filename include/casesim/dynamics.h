/*
 * casesim/dynamics.h — a system that changes over time: calendar years,
 * schedules of numbers, interventions that start and ramp up, an initial
 * backlog, and feedback loops from accountability to reporting and to
 * violations (docs/MODEL.md, "Time and feedback"; the syntax is in
 * scenarios/README.md).
 *
 * The loader reads `schedules`, `initial` and `feedback` into a cs_scenario
 * (casesim/scenario.h) and turns every number of a variant that changes
 * during the run into a cs_timeline: a piecewise-linear function of the
 * time in days from the start of the run. A scenario without schedules and
 * without timed interventions has no timelines, and the engine then runs
 * exactly as it would without this header.
 *
 * Times are days from the start of the run (the first day of warm-up) in
 * every struct here; the file writes years (calendar years when
 * `time.start_year` is set).
 */
#ifndef CASESIM_DYNAMICS_H
#define CASESIM_DYNAMICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casesim/error.h"
#include "casesim/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits, checked by the loader and stated in its errors. */
#define CS_MAX_SCHEDULES 256           /* schedules per scenario */
#define CS_MAX_SCHEDULE_POINTS 1000    /* years listed in one schedule */
#define CS_MAX_INITIAL 64              /* entries of `initial` */
#define CS_MAX_INITIAL_CASES 10000000u /* cases over all entries of `initial` */
#define CS_MAX_FEEDBACK 16             /* feedback loops */
#define CS_MAX_ELASTICITY 10.0         /* |elasticity| of a feedback */

/* The numbers a schedule, a timed intervention or a feedback can move, by
 * what they are in the scenario. Indices: s stage, b branch, g group, k
 * violation kind, m merit (0 unfounded, 1 well-founded), f feedback. */
typedef enum cs_param_kind {
    CS_PARAM_RATE = 0,      /* groups[g].incidents_per_year (per year) */
    CS_PARAM_SHARE,         /* violations[k].share of group g */
    CS_PARAM_WELL_FOUNDED,  /* violations[k].well_founded */
    CS_PARAM_BETA,          /* evidence beta parameter `index` (0 a, 1 b) of merit m */
    CS_PARAM_STAFF,         /* stages[s].staff (INFINITY: no staff, no queue) */
    CS_PARAM_CASELOAD,      /* stages[s].caseload */
    CS_PARAM_DURATION,      /* written parameter `index` of stages[s].duration */
    CS_PARAM_DEADLINE,      /* stages[s].deadline.days */
    CS_PARAM_P,             /* stages[s].branches[b].p of group g */
    CS_PARAM_SLOPE,         /* stages[s].branches[b].evidence_slope */
    CS_PARAM_UNFOUNDED_OR,  /* stages[s].branches[b].unfounded_odds_ratio */
    CS_PARAM_KIND_OR,       /* stages[s].branches[b].kind_odds_ratio of kind k */
    CS_PARAM_FB_ELASTICITY, /* feedback[f].effect.elasticity */
    CS_PARAM_FB_REFERENCE   /* feedback[f].reference_value */
} cs_param_kind;

/* One number of the scenario. Fields not used by its kind are 0; `group`
 * holds m for CS_PARAM_BETA and `index` f for the feedback kinds. */
typedef struct cs_param {
    cs_param_kind kind;
    uint32_t stage, branch, group, kind_index, index;
} cs_param;

/* A piece of a timeline: from `start` (days) until the next piece's start,
 * the value is value + slope * (t - anchor). The anchor need not be the
 * piece's start: a piece cut in two keeps its anchor, so that the same
 * times give the same values bit for bit before and after the cut. */
typedef struct cs_piece {
    double start;
    double anchor;
    double value;
    double slope; /* per day; 0 for a constant piece */
} cs_piece;

/* A number that changes during the run: pieces in increasing `start`, the
 * first starting at 0 (it also holds before 0, for incident dates in the
 * past). */
typedef struct cs_timeline {
    cs_param param;
    size_t n_pieces;
    cs_piece *pieces;
} cs_timeline;

/* A schedule as written: `path` follows `values` (years converted to days
 * from the start of the run), step or linear in between. */
typedef struct cs_schedule {
    char *path;
    bool linear;
    size_t n;
    double *days;   /* [n], strictly increasing */
    double *values; /* [n] */
    cs_pos *at;     /* [n]: where each value is written */
    cs_pos pos;     /* the `path` */
} cs_schedule;

/* A feedback loop: the effect's numbers are multiplied by
 * clamp((signal / reference_value)^elasticity, min, max) (a probability by
 * its odds against the stage's reference branch), the signal being the
 * accountability rate among well-founded incidents of `group` whose cases
 * ended in the trailing window, updated monthly. */
typedef struct cs_feedback {
    char *name;
    long group;             /* index into groups[], or -1 for all groups */
    long category;          /* the signal counts outcomes of this category; -1: any */
    double window_years;    /* the trailing window */
    double reference_value; /* the signal at which the scenario's figures hold */
    double elasticity;
    double min_multiplier, max_multiplier;
    char *effect_path;
    size_t n_targets;
    cs_param *targets; /* CS_PARAM_RATE or CS_PARAM_P */
    cs_pos pos, effect_pos;
} cs_feedback;

/* Cases already at a stage when the run starts. */
typedef struct cs_initial {
    size_t stage;
    uint64_t cases;
    cs_duration age;     /* days since the incident, drawn per case */
    double *group_share; /* [n_groups], summing to 1 */
    cs_pos pos;
} cs_initial;

/* The value of timeline tl at time t (days): the last piece starting at or
 * before t (the first piece before 0). */
double cs_timeline_value(const cs_timeline *tl, double t);

/* Whether tl is one constant over [0, t_end). */
bool cs_timeline_constant(const cs_timeline *tl, double t_end);

/* The run's length in days (warm-up + cohort + follow-up). */
double cs_scenario_run_days(const cs_scenario *s);

/* The label of run year y (0 = the year that starts the warm-up): the
 * calendar year start_year + y when `time.start_year` is set, else y;
 * written into buf with %g. Returns buf. */
const char *cs_scenario_year_label(const cs_scenario *s, double y, char *buf, size_t n);

/* Arrival years: the run years that overlap the cohort window, first
 * (a run year, 0-based) and count (>= 1). Measures by arrival year group
 * the cohort's incidents by them. */
size_t cs_cohort_first_year(const cs_scenario *s);
size_t cs_cohort_year_count(const cs_scenario *s);

/* The mean annual cost in force of variant v of base scenario s over the
 * window [t0, t1) days: each applied intervention's annual_cost times the
 * share of the window from its `starts` on (an intervention is paid from
 * `starts`, ramp or not). With t1 <= t0, the cost in force at t0. */
double cs_variant_cost_in_force(const cs_scenario *s, size_t v, double t0, double t1);

/* The same over the cohort window: what cost per point and net benefit use
 * (the results file's annual_cost_in_force and each replicate's annual_cost). */
double cs_variant_cohort_cost(const cs_scenario *s, size_t v);

#ifdef __cplusplus
}
#endif
#endif
