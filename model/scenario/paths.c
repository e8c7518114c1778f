/*
 * scenario/paths.c — the valid range of every number a path can name: one
 * table for the whole format, used to check that the distribution of an
 * uncertain input cannot leave it (cs_unc_dist_fits) and to label the
 * values in results files with their units.
 *
 * A rule is a pattern of segments, `*` matching any one segment (a name or
 * an index), and the range the loader enforces on that key. The ranges are
 * the loader's own: a value the loader would refuse is outside them, except
 * that sanity caps far beyond any real value (CS_MAX_RATE, CS_MAX_STAFF,
 * CS_MAX_COST, CS_MAX_ODDS_RATIO) are left out, so that a gamma on a rate
 * needs no `truncate: [0, 1e8]`; a draw beyond a cap is still refused, and
 * the loader checks the most extreme draws (scenario/scenario.c). A
 * number not in the table (a whole number such as `caseload` or `priority`,
 * a name) cannot be uncertain: a continuous distribution would give it
 * fractions. A key added to the format whose number may be uncertain needs
 * one line here.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/dynamics.h"
#include "scenario/internal.h"

/* One rule of the table. */
typedef struct path_rule {
    const char *pattern;
    double lo, hi;
    bool lo_open, hi_open;
    const char *what;  /* the kind of number, for messages */
    const char *units; /* of the number */
} path_rule;

#define INF INFINITY

static const path_rule RULES[] = {
    {"groups.*.incidents_per_year", 0, INF, false, true, "a rate", "incidents per year"},
    {"violations.*.share", 0, 1, false, false, "a share", "1"},
    {"violations.*.share.*", 0, 1, false, false, "a share", "1"},
    {"violations.*.well_founded", 0, 1, false, false, "a probability", "1"},
    {"evidence.*.beta.*", 0, INF, true, true, "a beta parameter", "1"},
    {"stages.*.staff", 0, INF, false, true, "a staff count", "people"},
    {"stages.*.duration.fixed", 0, INF, false, true, "a duration", "days"},
    {"stages.*.duration.*.mean", 0, INF, true, true, "a duration", "days"},
    {"stages.*.duration.*.median", 0, INF, true, true, "a duration", "days"},
    {"stages.*.duration.*.p90", 0, INF, true, true, "a duration", "days"},
    {"stages.*.duration.*.scale", 0, INF, true, true, "a duration", "days"},
    {"stages.*.duration.*.min", 0, INF, false, true, "a duration", "days"},
    {"stages.*.duration.*.max", 0, INF, false, true, "a duration", "days"},
    {"stages.*.duration.*.cv", 0, INF, true, true, "a coefficient of variation", "1"},
    {"stages.*.duration.*.shape", 0, INF, true, true, "a shape parameter", "1"},
    {"stages.*.deadline.days", 0, INF, false, true, "a deadline", "days"},
    {"stages.*.branches.*.p", 0, 1, false, false, "a probability", "1"},
    {"stages.*.branches.*.p.*", 0, 1, false, false, "a probability", "1"},
    {"stages.*.branches.*.evidence_slope", -CS_MAX_SLOPE, CS_MAX_SLOPE, false, false,
     "an evidence slope", "log-odds per unit of evidence"},
    {"stages.*.branches.*.unfounded_odds_ratio", 0, INF, true, true, "an odds ratio", "1"},
    {"stages.*.branches.*.kind_odds_ratio.*", 0, INF, true, true, "an odds ratio", "1"},
    {"interventions.*.annual_cost", -INF, INF, true, true, "a cost", "currency per year"},
    {"interventions.*.changes.*.scale", 0, INF, true, true, "a scale factor", "1"},
    /* `set`: the range of the number the change sets (see cs_path_range). */
    {"interventions.*.changes.*.set", NAN, NAN, false, false, NULL, NULL},
    /* Time and feedback (casesim/dynamics.h). */
    {"feedback.*.effect.elasticity", -CS_MAX_ELASTICITY, CS_MAX_ELASTICITY, false, false,
     "an elasticity", "1"},
    {"feedback.*.reference_value", 0, 1, true, false, "a reference rate", "1"},
    /* A target's published units per simulated track (casesim calibrate). */
    {"targets.*.unit_factor", 0, INF, true, true, "a unit factor", "units per track"},
    /* A schedule's value: the range of the number the schedule moves. */
    {"schedules.*.values.*", NAN, NAN, false, false, NULL, NULL},
};

/* Whether segments seg[0 .. n) match pattern (dots between segments). */
static bool matches(const char *pattern, const cs_path_seg *seg, size_t n)
{
    const char *p = pattern;
    for (size_t i = 0; i < n; i++) {
        if (!*p)
            return false;
        size_t len = strcspn(p, ".");
        bool star = len == 1 && *p == '*';
        if (!star && (!seg[i].name || strlen(seg[i].name) != len || strncmp(p, seg[i].name, len)))
            return false;
        p += len;
        if (*p == '.')
            p++;
    }
    return *p == '\0';
}

/* The intervention a segment names (by name or index), or NULL. */
static const cs_intervention *intervention_of(const cs_scenario *s, const cs_path_seg *seg)
{
    for (size_t i = 0; i < s->n_interventions; i++)
        if (seg->name ? s->interventions[i].name && !strcmp(s->interventions[i].name, seg->name)
                      : seg->index == i)
            return &s->interventions[i];
    return NULL;
}

/* The path an intervention change `set` writes to: segments [1] and [3] of
 * interventions.IV.changes[J].set. */
static const char *change_path(const cs_scenario *s, const cs_path_seg *seg)
{
    const cs_intervention *iv = intervention_of(s, &seg[1]);
    if (!iv || seg[3].name || seg[3].index >= iv->n_changes)
        return NULL;
    const cs_change *ch = &iv->changes[seg[3].index];
    return ch->op == CS_CHANGE_SET ? ch->path : NULL;
}

/* The path a schedule's value moves: segment [1] of schedules[I].values.Y
 * (schedules have no names: by index). */
static const char *schedule_path(const cs_scenario *s, const cs_path_seg *seg)
{
    if (seg[1].name || seg[1].index >= s->n_schedules)
        return NULL;
    return s->schedules[seg[1].index].path;
}

bool cs_path_range(const cs_scenario *s, const char *path, cs_unc_range *range, const char **units,
                   const char **why)
{
    char *buf = malloc(2 * strlen(path) + 2);
    cs_path_seg seg[CS_PATH_MAX_SEGMENTS];
    size_t n = 0;
    bool ok = buf && cs_path_split(path, buf, seg, &n);
    const path_rule *rule = NULL;
    for (size_t i = 0; ok && i < sizeof RULES / sizeof *RULES && !rule; i++)
        if (matches(RULES[i].pattern, seg, n))
            rule = &RULES[i];
    const char *target = NULL;
    if (rule && !rule->what)
        target = !strcmp(seg[0].name, "schedules") ? schedule_path(s, seg) : change_path(s, seg);
    free(buf);
    *why = !buf ? "out of memory"
                : "casesim cannot vary this number continuously (it is a whole number, a name "
                  "or a setting; see the table of uncertain numbers in scenarios/README.md)";
    if (!rule || (!rule->what && !target))
        return false;
    if (!rule->what) /* a change's `set` or a schedule's value: the number it moves */
        return cs_path_range(s, target, range, units, why);
    *range = (cs_unc_range){rule->lo, rule->hi, rule->lo_open, rule->hi_open, rule->what};
    *units = rule->units;
    return true;
}

long cs_path_cost_of(const cs_scenario *s, const char *path)
{
    char *buf = malloc(2 * strlen(path) + 2);
    cs_path_seg seg[CS_PATH_MAX_SEGMENTS];
    size_t n = 0;
    long k = -1;
    if (buf && cs_path_split(path, buf, seg, &n) &&
        matches("interventions.*.annual_cost", seg, n)) {
        const cs_intervention *iv = intervention_of(s, &seg[1]);
        k = iv ? (long)(iv - s->interventions) : -1;
    }
    free(buf);
    return k;
}
