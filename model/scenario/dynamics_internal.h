/*
 * scenario/dynamics_internal.h — what the loader's time-and-feedback files
 * share (internal): reading `schedules`, `initial`, `feedback` and the
 * timing of interventions (dynamics_load.c), naming the numbers a path
 * leads to (params.c), timelines (timeline.c) and the time-dependent
 * variants, checked at every change (dynamics_variant.c).
 */
#ifndef CASESIM_SCENARIO_DYNAMICS_INTERNAL_H
#define CASESIM_SCENARIO_DYNAMICS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "casesim/dynamics.h"
#include "scenario/internal.h"

/* The most numbers one path can name (a mapping of numbers: one per group,
 * one per violation kind). */
#define CS_MAX_PATH_PARAMS (CS_MAX_VIOLATIONS > CS_MAX_GROUPS ? CS_MAX_VIOLATIONS : CS_MAX_GROUPS)

/* ------------------------------------------------------------ dynamics_load.c */

/* Reads `schedules`, `initial` and `feedback` of root into s (after the
 * network: they name stages, groups and categories). */
void cs_load_dynamics(cs_conv *c, const cs_ynode *root, cs_scenario *s);

/* Reads a time written in years (a calendar year when s has a start year,
 * else a year of the run from 0) into days from the start of the run;
 * reports a time outside the run (after its end only when !allow_end). */
bool cs_conv_time(cs_conv *c, const cs_ynode *n, const cs_scenario *s, const char *what,
                  bool allow_end, double *days);

/* Frees what the time-and-feedback sections of s own and zeroes them. */
void cs_dynamics_release(cs_scenario *s);

/* Copies the timelines of src into dst (which has none). CS_OK or CS_ENOMEM. */
int cs_timelines_copy(const cs_scenario *src, cs_scenario *dst);

/* ------------------------------------------------------------------- params.c */

/* The numbers path names in scenario s (its tree root), into out[0 .. *n):
 * NULL on success, else why they cannot change during a run (the path
 * itself must already have been checked to lead to numbers, e.g. with
 * cs_patch_probe). */
const char *cs_param_resolve(const cs_scenario *s, const cs_ynode *root, const char *path,
                             cs_param *out, size_t *n);

/* Whether a and b are the same number. */
bool cs_param_equal(const cs_param *a, const cs_param *b);

/* Whether p is a whole number (it cannot move linearly). */
bool cs_param_whole(const cs_param *p);

/* p's value in scenario s (tree root for the written duration
 * parameters); INFINITY for a stage's staff it does not have. */
double cs_param_value(const cs_scenario *s, const cs_ynode *root, const cs_param *p);

/* The path that sets p in the tree of scenario s, into buf (NUL-terminated,
 * at most n bytes): elements by index, groups and kinds by name. */
void cs_param_path(const cs_scenario *s, const cs_ynode *root, const cs_param *p, char *buf,
                   size_t n);

/* -------------------------------------------------------------- timeline.c */

/* A change in time: from `start` (days) the number is set to / scaled by
 * `value`, reached linearly over `ramp` days (0: at once). */
typedef struct cs_op {
    cs_change_op op;
    double value;
    double start, ramp;
    int source; /* index of the change it comes from (for messages) */
} cs_op;

/* The timeline of a number: its schedule (NULL: the constant base), then
 * each op in order. Pieces starting at or after t_end are dropped. Returns
 * CS_OK or CS_ENOMEM (out empty). */
int cs_timeline_build(const cs_schedule *sched, double base, const cs_op *ops, size_t n_ops,
                      double t_end, cs_timeline *out);

/* Frees tl's pieces. */
void cs_timeline_free(cs_timeline *tl);

/* The value of tl just before t (its left limit). */
double cs_timeline_left(const cs_timeline *tl, double t);

/* ------------------------------------------------------- dynamics_variant.c */

/* Whether variant v of base s moves anything in time: base schedules, or
 * an intervention with `starts` or `ramp_years`. */
bool cs_variant_is_dynamic(const cs_scenario *s, const cs_variant *v);

/* Builds the timelines of variant v (scenario vs, converted from tree, the
 * base tree with v's untimed interventions applied) and checks the
 * scenario at every time a number changes. Errors are reported through c
 * (in variant mode). Returns CS_OK, CS_EINVAL or CS_ENOMEM. */
int cs_variant_dynamics(cs_conv *c, const cs_scenario *base, const cs_ynode *base_tree,
                        const cs_variant *v, const cs_ynode *tree, cs_scenario *vs);

#endif
