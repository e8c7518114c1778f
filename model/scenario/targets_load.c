/*
 * scenario/targets_load.c — the `targets:` section: published figures that
 * `casesim calibrate` fits the uncertain inputs to.
 *
 * Each target is one figure: a `count` of stage entries or outcomes, a
 * `share` (numerator over denominator), a `ratio` (a group's share over
 * the reference group's) or a `mean_duration` (of a stage's service, wait
 * or stay, or of the time to a case's end), optionally of one violation
 * kind (`kind`), counted in whole years of the run (`period`, a
 * calendar year with time.start_year, or a span [first, last]) or over the
 * cohort's incidents (no `period`). Its `observed` value takes the form of
 * its kind, its `likelihood` must be one its kind allows, and its `source`
 * is required: a figure nobody can trace is not evidence. Rules, each
 * reported at the node at fault: unknown stages, outcomes and groups, a
 * period outside the run, a share whose numerator is not downstream of its
 * denominator (it could not be a part of it), x > n, a ratio for the
 * reference group, a duplicate name, a missing source, a likelihood or an
 * observed form the kind does not take, unit_factor on anything but a count.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "scenario/internal.h"

static const char *const TARGET_KEYS[] = {"name",          "source",     "period",       "count",
                                          "share",         "ratio",      "cohort_share", "group",
                                          "observed",      "likelihood", "weight",       "holdout",
                                          "mean_duration", "kind",       "unit_factor"};
static const char *const EVENT_KEYS[] = {"stage", "outcome"};
static const char *const SHARE_KEYS[] = {"numerator", "denominator"};
static const char *const RATIO_KEYS[] = {"share", "group"};
static const char *const COHORT_KEYS[] = {"numerator", "denominator", "within_years"};
static const char *const DURATION_KEYS[] = {"stage", "of"};
/* The words of `of`, in the order of cs_duration_of. */
static const char *const DURATION_OF[] = {"service", "wait", "in_stage", "to_end"};

/* Largest observed count, and largest spread, accepted (far beyond any
 * published figure; keeps the likelihoods' arithmetic exact). */
#define MAX_OBSERVED 1.0e12
#define MAX_UNIT_FACTOR 1.0e6
#define MAX_WEIGHT 1.0e6
#define MAX_DAYS 1.0e6 /* an observed mean duration, days (about 2,700 years) */

/* ------------------------------------------------------------- events */

/* The name of a stage (is_outcome false) or an outcome, node v, into *e. */
static bool read_event_name(cs_conv *c, const cs_ynode *v, bool is_outcome, const char *what,
                            const cs_scenario *s, cs_target_event *e)
{
    if (v->kind != CS_YNODE_SCALAR) {
        cs_conv_error(c, v, "%s: `%s` must be a name", what, is_outcome ? "outcome" : "stage");
        return false;
    }
    long i =
        is_outcome ? cs_scenario_find_outcome(s, v->value) : cs_scenario_find_stage(s, v->value);
    if (i >= 0) {
        e->is_outcome = is_outcome;
        e->index = (size_t)i;
        return true;
    }
    const char *names[CS_MAX_STAGES > CS_MAX_OUTCOMES ? CS_MAX_STAGES : CS_MAX_OUTCOMES];
    size_t n_names = is_outcome ? s->n_outcomes : s->n_stages;
    for (size_t k = 0; k < n_names; k++)
        names[k] = is_outcome ? s->outcomes[k].name : s->stages[k].name;
    cs_conv_unknown(c, v, is_outcome ? "outcome" : "stage", "", v->value, names, n_names);
    return false;
}

/* `{stage: NAME}` or `{outcome: NAME}` into *e. */
static bool read_event(cs_conv *c, const cs_ynode *n, const char *what, const cs_scenario *s,
                       cs_target_event *e)
{
    if (!cs_conv_is_map(c, n, what))
        return false;
    const cs_ynode *gk = cs_ynode_key(n, "group");
    if (gk) {
        cs_conv_error(c, gk,
                      "%s takes no `group`: give `group: G` on the target to count one "
                      "group's tracks (a share's numerator and denominator then both count "
                      "that group); for a group's share against the reference group's, use a "
                      "`ratio`",
                      what);
        return false;
    }
    cs_conv_check_keys(c, n, what, EVENT_KEYS, N_OF(EVENT_KEYS));
    const cs_ynode *st = cs_ynode_get(n, "stage"), *oc = cs_ynode_get(n, "outcome");
    if ((st != NULL) == (oc != NULL)) {
        cs_conv_error(c, n, "%s names one `stage` or one `outcome`", what);
        return false;
    }
    return read_event_name(c, st ? st : oc, oc != NULL, what, s, e);
}

/* Whether event b can follow a track's entry into stage a (through branches,
 * forks and deadlines): breadth-first over the stage graph. */
static bool downstream(const cs_scenario *s, size_t a, const cs_target_event *b)
{
    bool seen[CS_MAX_STAGES] = {false};
    size_t queue[CS_MAX_STAGES], head = 0, tail = 0;
    for (seen[a] = true, queue[tail++] = a; head < tail;) {
        const cs_stage *st = &s->stages[queue[head++]];
        for (size_t c = 0; b->is_outcome && st->has_deadline && c < s->n_violations * s->n_groups;
             c++) /* a deadline of any (kind, group) */
            if (st->deadlines[c].on && st->deadlines[c].outcome == b->index)
                return true;
        for (size_t r = 0; r < st->n_branches; r++)
            for (size_t k = 0; k < st->branches[r].n_to; k++) {
                const cs_target *to = &st->branches[r].to[k];
                if (to->is_stage != b->is_outcome && to->index == b->index)
                    return true;
                if (to->is_stage && !seen[to->index]) {
                    seen[to->index] = true;
                    queue[tail++] = to->index;
                }
            }
    }
    return false;
}

/* Checks that a share's numerator is downstream of its denominator stage
 * (num, den: their nodes, for messages). */
static bool check_nested(cs_conv *c, const cs_ynode *num, const cs_ynode *den, const cs_scenario *s,
                         const cs_target_spec *t)
{
    if (t->den.is_outcome) {
        cs_conv_error(c, den,
                      "a share's denominator must be a stage: an outcome ends a track, so "
                      "nothing can follow it");
        return false;
    }
    if (!downstream(s, t->den.index, &t->num)) {
        cs_conv_error(c, num,
                      "the numerator %s `%s` is not downstream of the denominator stage `%s`: "
                      "no track entering `%s` can reach it, so it is not a part of it",
                      t->num.is_outcome ? "outcome" : "stage",
                      t->num.is_outcome ? s->outcomes[t->num.index].name
                                        : s->stages[t->num.index].name,
                      s->stages[t->den.index].name, s->stages[t->den.index].name);
        return false;
    }
    return true;
}

/* `{numerator: EVENT, denominator: {stage: NAME}}`, the numerator downstream. */
static bool read_share(cs_conv *c, const cs_ynode *n, const cs_scenario *s, cs_target_spec *t)
{
    if (!cs_conv_is_map(c, n, "`share`"))
        return false;
    const cs_ynode *st = cs_ynode_key(n, "same_tracks");
    if (st) {
        cs_conv_error(c, st,
                      "`same_tracks` (counting only the numerator events of the tracks that "
                      "entered the denominator in the same period) is not supported: give the "
                      "share of the period's flows, or a `cohort_share`, or hold the target "
                      "out (`holdout: true`)");
        return false;
    }
    cs_conv_check_keys(c, n, "`share`", SHARE_KEYS, N_OF(SHARE_KEYS));
    const cs_ynode *num = cs_conv_need(c, n, "numerator", "`share`");
    const cs_ynode *den = cs_conv_need(c, n, "denominator", "`share`");
    if (!num || !den || !read_event(c, num, "`numerator`", s, &t->num) ||
        !read_event(c, den, "`denominator`", s, &t->den))
        return false;
    return check_nested(c, num, den, s, t);
}

/* `{numerator: EVENT, denominator: {stage: NAME}, within_years: T}`; without
 * a denominator, the entry stage (every cohort incident enters it on
 * arrival). T is a whole number of years that every cohort incident is
 * followed for: at most follow_up_years. */
static bool read_cohort_share(cs_conv *c, const cs_ynode *n, const cs_scenario *s,
                              cs_target_spec *t)
{
    if (!cs_conv_is_map(c, n, "`cohort_share`"))
        return false;
    cs_conv_check_keys(c, n, "`cohort_share`", COHORT_KEYS, N_OF(COHORT_KEYS));
    const cs_ynode *num = cs_conv_need(c, n, "numerator", "`cohort_share`");
    const cs_ynode *den = cs_ynode_get(n, "denominator");
    const cs_ynode *w = cs_conv_need(c, n, "within_years", "`cohort_share`");
    uint64_t years;
    bool ok = w && cs_conv_whole(c, w, "within_years", 1, (uint64_t)CS_MAX_YEARS, &years);
    if (ok && (double)years > s->follow_up_years + 1e-9) {
        cs_conv_error(c, w,
                      "within_years %llu is longer than the follow-up (time.follow_up_years "
                      "%g): the cohort's last incidents would not be followed that long",
                      (unsigned long long)years, s->follow_up_years);
        ok = false;
    }
    t->within_years = ok ? (size_t)years : 0;
    t->den = (cs_target_event){.is_outcome = false, .index = s->entry_stage};
    if (!num || !read_event(c, num, "`numerator`", s, &t->num) ||
        (den && !read_event(c, den, "`denominator`", s, &t->den)))
        return false;
    return check_nested(c, num, den ? den : n, s, t) && ok;
}

/* A group's name into its index. */
static bool read_group(cs_conv *c, const cs_ynode *n, const cs_scenario *s, long *g)
{
    const char *names[CS_MAX_GROUPS];
    cs_conv_group_names(s, names);
    if (n->kind != CS_YNODE_SCALAR) {
        cs_conv_error(c, n, "`group` must be a group's name, got %s", cs_ynode_kind_name(n));
        return false;
    }
    for (size_t k = 0; k < s->n_groups; k++)
        if (names[k] && !strcmp(names[k], n->value)) {
            *g = (long)k;
            return true;
        }
    cs_conv_unknown(c, n, "group", " in a target", n->value, names, s->n_groups);
    return false;
}

/* `ratio: {share: {...}, group: NAME}`, the group not the reference. */
static bool read_ratio(cs_conv *c, const cs_ynode *n, const cs_scenario *s, cs_target_spec *t)
{
    if (!cs_conv_is_map(c, n, "`ratio`"))
        return false;
    cs_conv_check_keys(c, n, "`ratio`", RATIO_KEYS, N_OF(RATIO_KEYS));
    const cs_ynode *sh = cs_conv_need(c, n, "share", "`ratio`");
    const cs_ynode *g = cs_conv_need(c, n, "group", "`ratio`");
    bool ok = sh && read_share(c, sh, s, t);
    if (!g || !read_group(c, g, s, &t->group))
        return false;
    if (t->group == 0) {
        cs_conv_error(c, g,
                      "a ratio compares a group's share with the reference group's (`%s`, the "
                      "first group): name another group",
                      s->groups[0].name);
        return false;
    }
    return ok;
}

/* `mean_duration: {stage: NAME, of: WORD}` (of: service by default;
 * to_end, from the incident to the end of its case, takes no stage). */
static bool read_mean_duration(cs_conv *c, const cs_ynode *n, const cs_scenario *s,
                               cs_target_spec *t)
{
    if (!cs_conv_is_map(c, n, "`mean_duration`"))
        return false;
    cs_conv_check_keys(c, n, "`mean_duration`", DURATION_KEYS, N_OF(DURATION_KEYS));
    const cs_ynode *of = cs_ynode_get(n, "of"), *st = cs_ynode_get(n, "stage");
    t->duration_of = CS_DUR_SERVICE;
    if (of && of->kind != CS_YNODE_SCALAR) {
        cs_conv_error(c, of, "`of` is one of service, wait, in_stage or to_end");
        return false;
    }
    if (of) {
        size_t k = 0;
        while (k < N_OF(DURATION_OF) && strcmp(DURATION_OF[k], of->value))
            k++;
        if (k == N_OF(DURATION_OF)) {
            cs_conv_unknown(c, of, "duration", "", of->value, DURATION_OF, N_OF(DURATION_OF));
            return false;
        }
        t->duration_of = (cs_duration_of)k;
    }
    if (t->duration_of == CS_DUR_TO_END) {
        if (st)
            cs_conv_error(c, st,
                          "`of: to_end` is the time from the incident to the end of its case: it "
                          "takes no `stage`");
        return st == NULL;
    }
    if (!st) {
        cs_conv_error(c, n, "`mean_duration` of %s needs the `stage`", DURATION_OF[t->duration_of]);
        return false;
    }
    return read_event_name(c, st, false, "`mean_duration`", s, &t->num);
}

/* `kind: NAME`: restricts a count, share or cohort share to the tracks of
 * one violation kind. */
static void read_violation(cs_conv *c, const cs_ynode *n, const cs_scenario *s, cs_target_spec *t)
{
    if (t->kind == CS_TARGET_RATIO || t->kind == CS_TARGET_MEAN_DURATION) {
        cs_conv_error(c, n,
                      "`kind` restricts a count, a share or a cohort share to one violation "
                      "kind; a %s takes none",
                      t->kind == CS_TARGET_RATIO ? "ratio" : "mean duration");
        return;
    }
    const char *names[CS_MAX_VIOLATIONS];
    for (size_t k = 0; k < s->n_violations; k++)
        names[k] = s->violations[k].name;
    if (n->kind != CS_YNODE_SCALAR) {
        cs_conv_error(c, n, "`kind` must be a violation kind's name, got %s",
                      cs_ynode_kind_name(n));
        return;
    }
    for (size_t k = 0; k < s->n_violations; k++)
        if (names[k] && !strcmp(names[k], n->value)) {
            t->violation = (long)k;
            return;
        }
    cs_conv_unknown(c, n, "violation kind", " in a target", n->value, names, s->n_violations);
}

/* ------------------------------------------------------------- period */

/* A calendar year (a year of the run without time.start_year) into the
 * run's year index, which must be a whole year inside the run. */
static bool read_year(cs_conv *c, const cs_ynode *n, const cs_scenario *s, size_t *out)
{
    double y, base = s->has_start_year ? s->start_year : 0.0;
    if (!cs_conv_num(c, n, "period", &y))
        return false;
    double run = s->warmup_years + s->cohort_years + s->follow_up_years;
    double whole = floor(run + 1e-9);
    if (y != floor(y) || y < base || y - base + 1 > whole) {
        if (s->has_start_year)
            cs_conv_error(c, n,
                          "period %.15g is outside the run, whose whole years are %g to %g "
                          "(time.start_year %g)",
                          y, base, base + whole - 1, base);
        else
            cs_conv_error(c, n,
                          "period %.15g is outside the run, whose whole years are 0 to %g "
                          "(without time.start_year, a period is a year of the run)",
                          y, whole - 1);
        return false;
    }
    *out = (size_t)(y - base);
    return true;
}

/* `period: YEAR` or `period: [FIRST, LAST]`. */
static bool read_period(cs_conv *c, const cs_ynode *n, const cs_scenario *s, cs_target_spec *t)
{
    size_t a, b;
    if (n->kind == CS_YNODE_SEQ) {
        if (n->n != 2) {
            cs_conv_error(c, n, "`period` is a year or a list [first, last] of two years");
            return false;
        }
        if (!read_year(c, n->items[0], s, &a) || !read_year(c, n->items[1], s, &b))
            return false;
        if (b < a) {
            cs_conv_error(c, n->items[1], "the last year of `period` comes before the first");
            return false;
        }
    } else if (!read_year(c, n, s, &a)) {
        return false;
    } else {
        b = a;
    }
    t->has_period = true;
    t->first_year = a;
    t->n_years = b - a + 1;
    return true;
}

/* ----------------------------------------------------------- observed */

/* `{value, sd}` or `{value, ci95: [lo, hi]}`: value into *v and the standard
 * deviation (of ln v when log_scale) into *sd. */
static bool read_value_sd(cs_conv *c, const cs_ynode *n, bool log_scale, double lo, double hi,
                          double *v, double *sd)
{
    static const char *const KEYS[] = {"value", "sd", "ci95"};
    cs_conv_check_keys(c, n, "`observed`", KEYS, N_OF(KEYS));
    const cs_ynode *vn = cs_conv_need(c, n, "value", "`observed`");
    const cs_ynode *sn = cs_ynode_get(n, "sd"), *cn = cs_ynode_get(n, "ci95");
    if (!vn || !cs_conv_num_in(c, vn, "value", lo, true, hi, v))
        return false;
    if ((sn != NULL) == (cn != NULL)) {
        cs_conv_error(c, n, "`observed` gives its uncertainty as one `sd` or one `ci95: [lo, hi]`");
        return false;
    }
    if (sn) {
        if (!cs_conv_num_in(c, sn, "sd", 0, true, INFINITY, sd))
            return false;
        if (log_scale)
            *sd = cs_calib_log_sd_from_sd(*v, *sd);
        return true;
    }
    double a, b;
    if (cn->kind != CS_YNODE_SEQ || cn->n != 2 ||
        !cs_conv_num_in(c, cn->items[0], "ci95", lo, log_scale, hi, &a) ||
        !cs_conv_num_in(c, cn->items[1], "ci95", lo, log_scale, hi, &b)) {
        if (cn->kind != CS_YNODE_SEQ || cn->n != 2)
            cs_conv_error(c, cn, "`ci95` is a list [lo, hi] of two numbers");
        return false;
    }
    if (!(a < *v && *v < b)) {
        cs_conv_error(c, cn, "`ci95` [%g, %g] must contain the value %g", a, b, *v);
        return false;
    }
    *sd = log_scale ? cs_calib_log_sd_from_ci95(a, b) : (b - a) / (2.0 * 1.959963984540054);
    return true;
}

/* `{x, n}`: x of n, whole, x <= n, n >= 1. */
static bool read_x_of_n(cs_conv *c, const cs_ynode *n, cs_calib_target *l)
{
    static const char *const KEYS[] = {"x", "n"};
    cs_conv_check_keys(c, n, "`observed`", KEYS, N_OF(KEYS));
    const cs_ynode *xn = cs_conv_need(c, n, "x", "`observed`");
    const cs_ynode *nn = cs_conv_need(c, n, "n", "`observed`");
    uint64_t x, m;
    if (!xn || !nn || !cs_conv_whole(c, xn, "x", 0, (uint64_t)MAX_OBSERVED, &x) ||
        !cs_conv_whole(c, nn, "n", 1, (uint64_t)MAX_OBSERVED, &m))
        return false;
    if (x > m) {
        cs_conv_error(c, xn, "x = %llu is more than n = %llu: a share is x of n",
                      (unsigned long long)x, (unsigned long long)m);
        return false;
    }
    l->observed = (double)x;
    l->observed_n = (double)m;
    return true;
}

/* `observed` by kind into t->like (family left at its default for the form:
 * count Poisson, share of x of n beta-binomial, share with sd normal,
 * ratio lognormal). */
static bool read_observed(cs_conv *c, const cs_ynode *n, cs_target_spec *t)
{
    cs_calib_target *l = &t->like;
    if (t->kind == CS_TARGET_COUNT) {
        uint64_t y;
        l->family = CS_CALIB_POISSON;
        if (n->kind != CS_YNODE_SCALAR) {
            cs_conv_error(c, n, "a count's `observed` is a whole number");
            return false;
        }
        if (!cs_conv_whole(c, n, "observed", 0, (uint64_t)MAX_OBSERVED, &y))
            return false;
        l->observed = (double)y;
        return true;
    }
    if (!cs_conv_is_map(c, n, "`observed`"))
        return false;
    if (t->kind == CS_TARGET_MEAN_DURATION) {
        l->family = CS_CALIB_NORMAL;
        if (cs_ynode_get(n, "x") || cs_ynode_get(n, "n")) {
            cs_conv_error(c, n,
                          "a mean duration is observed as {value, sd} or {value, ci95: [lo, "
                          "hi]} (days), not as x of n");
            return false;
        }
        return read_value_sd(c, n, false, 0, MAX_DAYS, &l->observed, &l->spread);
    }
    if (t->kind == CS_TARGET_RATIO) {
        l->family = CS_CALIB_LOGNORMAL;
        return read_value_sd(c, n, true, 0, INFINITY, &l->observed, &l->spread);
    }
    if (cs_ynode_get(n, "x") || cs_ynode_get(n, "n")) {
        l->family = CS_CALIB_BETABINOMIAL;
        return read_x_of_n(c, n, l);
    }
    l->family = CS_CALIB_NORMAL;
    return read_value_sd(c, n, false, 0, 1, &l->observed, &l->spread);
}

/* --------------------------------------------------------- likelihood */

/* Families a target may name, and which default family each goes with. */
static const struct {
    const char *name;
    cs_calib_family family, replaces;
} FAMILIES[] = {
    {"poisson", CS_CALIB_POISSON, CS_CALIB_POISSON},
    {"negative_binomial", CS_CALIB_NEGBIN, CS_CALIB_POISSON},
    {"beta_binomial", CS_CALIB_BETABINOMIAL, CS_CALIB_BETABINOMIAL},
    {"binomial", CS_CALIB_BINOMIAL, CS_CALIB_BETABINOMIAL},
    {"normal", CS_CALIB_NORMAL, CS_CALIB_NORMAL},
    {"lognormal", CS_CALIB_LOGNORMAL, CS_CALIB_LOGNORMAL},
};

/* What the default family of a target's form is called, for messages. */
static const char *form_name(const cs_target_spec *t)
{
    if (t->kind == CS_TARGET_MEAN_DURATION)
        return "a mean duration (normal)";
    switch (t->like.family) {
    case CS_CALIB_POISSON:
        return "a count (poisson or negative_binomial)";
    case CS_CALIB_BETABINOMIAL:
        return "a share observed as {x, n} (beta_binomial or binomial)";
    case CS_CALIB_NORMAL:
        return "a share observed as {value, sd | ci95} (normal)";
    default:
        return "a ratio (lognormal)";
    }
}

/* `likelihood: NAME` or `likelihood: {negative_binomial: {cv: C}}`, after
 * `observed` set the default family. */
static bool read_likelihood(cs_conv *c, const cs_ynode *n, cs_target_spec *t)
{
    cs_calib_target *l = &t->like;
    const cs_ynode *key = n, *params = NULL;
    if (n->kind == CS_YNODE_MAP && n->n == 1) {
        key = n->keys[0];
        params = n->items[0];
    } else if (n->kind != CS_YNODE_SCALAR) {
        cs_conv_error(c, n, "`likelihood` is a family's name or {negative_binomial: {cv: C}}");
        return false;
    }
    size_t k = 0;
    while (k < N_OF(FAMILIES) && strcmp(FAMILIES[k].name, key->value))
        k++;
    if (k == N_OF(FAMILIES)) {
        const char *names[N_OF(FAMILIES)];
        for (size_t i = 0; i < N_OF(FAMILIES); i++)
            names[i] = FAMILIES[i].name;
        cs_conv_unknown(c, key, "likelihood", "", key->value, names, N_OF(FAMILIES));
        return false;
    }
    if (FAMILIES[k].replaces != l->family) {
        cs_conv_error(c, key, "likelihood `%s` does not apply to %s", key->value, form_name(t));
        return false;
    }
    l->family = FAMILIES[k].family;
    if (l->family != CS_CALIB_NEGBIN) {
        if (params)
            cs_conv_error(c, params, "likelihood `%s` takes no parameters", key->value);
        return params == NULL;
    }
    const cs_ynode *cv = params && params->kind == CS_YNODE_MAP ? cs_ynode_get(params, "cv") : NULL;
    if (!cv || params->n != 1) {
        cs_conv_error(c, params ? params : n,
                      "negative_binomial needs its dispersion as {cv: C}, the coefficient of "
                      "variation of the published figure beyond Poisson");
        return false;
    }
    return cs_conv_num_in(c, cv, "cv", 0, true, 10.0, &l->spread);
}

/* -------------------------------------------------------------- entry */

/* The kind key of entry m (exactly one of count, share, ratio) and what it
 * counts. */
static bool read_kind(cs_conv *c, const cs_ynode *m, const cs_scenario *s, cs_target_spec *t)
{
    static const char *const KINDS[] = {"count", "share", "ratio", "cohort_share", "mean_duration"};
    const cs_ynode *found = NULL;
    for (size_t k = 0; k < N_OF(KINDS); k++) {
        const cs_ynode *v = cs_ynode_get(m, KINDS[k]);
        if (!v)
            continue;
        if (found) {
            cs_conv_error(c, cs_ynode_key(m, KINDS[k]),
                          "a target is one `count`, `share`, `ratio`, `cohort_share` or "
                          "`mean_duration`; `%s` is a second one",
                          KINDS[k]);
            return false;
        }
        found = v;
        t->kind = (cs_target_kind)k;
    }
    if (!found) {
        cs_conv_error(c, m,
                      "a target needs one of `count`, `share`, `ratio`, `cohort_share` or "
                      "`mean_duration`");
        return false;
    }
    if (t->kind == CS_TARGET_MEAN_DURATION)
        return read_mean_duration(c, found, s, t);
    if (t->kind == CS_TARGET_COUNT)
        return read_event(c, found, "`count`", s, &t->num);
    if (t->kind == CS_TARGET_COHORT_SHARE)
        return read_cohort_share(c, found, s, t);
    return t->kind == CS_TARGET_SHARE ? read_share(c, found, s, t) : read_ratio(c, found, s, t);
}

/* The uncertain value at path `targets.NAME.unit_factor`, if `uncertain:`
 * names it: its index among the uncertain values, else -1. */
static long uncertain_unit(const cs_scenario *s, const char *name)
{
    char path[CS_MAX_NAME_LEN + 32];
    snprintf(path, sizeof path, "targets.%s.unit_factor", name);
    for (size_t e = 0; name && e < s->n_uncertain; e++)
        for (size_t i = 0; i < s->uncertain[e].n_paths; i++)
            if (s->uncertain[e].paths[i] && !strcmp(s->uncertain[e].paths[i], path))
                return (long)(s->uncertain[e].offset + i);
    return -1;
}

/* unit_factor (counts only; uncertain when `uncertain:` names it), weight
 * and holdout. */
static void read_modifiers(cs_conv *c, const cs_ynode *m, const cs_scenario *s, cs_target_spec *t)
{
    const cs_ynode *n;
    t->like.unit_factor = 1.0;
    t->like.weight = 1.0;
    if ((n = cs_ynode_get(m, "unit_factor"))) {
        if (t->kind != CS_TARGET_COUNT)
            cs_conv_error(c, n,
                          "`unit_factor` converts simulated tracks into published units; it "
                          "applies to counts only (a share, a ratio or a mean duration has no "
                          "such units)");
        else if (cs_conv_num_in(c, n, "unit_factor", 0, true, MAX_UNIT_FACTOR,
                                &t->like.unit_factor))
            t->unit_value = uncertain_unit(s, t->name);
    }
    if ((n = cs_ynode_get(m, "weight")))
        cs_conv_num_in(c, n, "weight", 0, false, MAX_WEIGHT, &t->like.weight);
    if ((n = cs_ynode_get(m, "holdout")))
        cs_conv_bool(c, n, "holdout", &t->holdout);
}

/* One entry of `targets:` into t (its name checked against the earlier ones). */
static void read_target(cs_conv *c, const cs_ynode *m, const cs_scenario *s, cs_target_spec *t)
{
    t->pos = m->pos;
    t->group = -1;
    t->violation = -1;
    t->unit_value = -1;
    if (!cs_conv_is_map(c, m, "a target"))
        return;
    cs_conv_check_keys(c, m, "a target", TARGET_KEYS, N_OF(TARGET_KEYS));
    const cs_ynode *n = cs_conv_need(c, m, "name", "a target");
    if (n && cs_conv_name(c, n, "name", &t->name))
        for (const cs_target_spec *o = s->targets; o < t; o++)
            if (o->name && !strcmp(o->name, t->name))
                cs_conv_error(c, n, "a second target named `%s` (the first is at line %d)", t->name,
                              o->pos.line);
    if (!(n = cs_ynode_get(m, "source")))
        cs_conv_error(c, m,
                      "target%s%s has no `source`: say where the figure was published, so "
                      "that others can check it",
                      t->name ? " " : "", t->name ? t->name : "");
    else if (cs_conv_short_text(c, n, "source", CS_MAX_SOURCE_LEN, &t->source) && !*t->source)
        cs_conv_error(c, n, "`source` is empty: say where the figure was published");
    bool kind_ok = read_kind(c, m, s, t);
    if ((n = cs_ynode_get(m, "period")) && t->kind == CS_TARGET_COHORT_SHARE && kind_ok)
        cs_conv_error(c, n, "a cohort share follows the cohort's incidents: it takes no `period`");
    else if (n)
        read_period(c, n, s, t);
    if ((n = cs_ynode_get(m, "group"))) {
        if (t->kind == CS_TARGET_RATIO && kind_ok)
            cs_conv_error(c, n, "a ratio names its group inside `ratio`");
        else if (t->kind != CS_TARGET_RATIO)
            read_group(c, n, s, &t->group);
    }
    if ((n = cs_ynode_get(m, "kind")) && kind_ok)
        read_violation(c, n, s, t);
    read_modifiers(c, m, s, t);
    bool obs_ok =
        kind_ok && (n = cs_conv_need(c, m, "observed", "a target")) && read_observed(c, n, t);
    if (obs_ok && (n = cs_ynode_get(m, "likelihood")))
        read_likelihood(c, n, t);
}

void cs_load_targets(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    const cs_ynode *list = cs_ynode_get(root, "targets");
    if (!list || !cs_conv_is_list(c, list, "`targets`", CS_MAX_TARGETS, "CS_MAX_TARGETS"))
        return;
    s->targets = cs_conv_mem(c, cs_xcalloc(list->n, sizeof *s->targets));
    if (!s->targets)
        return;
    for (size_t i = 0; i < list->n; i++) {
        s->n_targets = i + 1;
        read_target(c, list->items[i], s, &s->targets[i]);
    }
}
