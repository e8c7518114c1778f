/*
 * scenario/dynamics_load.c — the sections of a scenario that make it move
 * in time: `schedules`, `initial` and `feedback` (scenarios/README.md), and
 * the reading of times written in years.
 *
 * What a schedule or a feedback names is checked twice: the path with the
 * interventions' tree walker (cs_patch_probe: the same messages, "did you
 * mean"), then what it leads to (cs_param_resolve: a number that can
 * change during a run). The scenario at every time a schedule changes a
 * number is checked when the variants are built (dynamics_variant.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "scenario/dynamics_internal.h"

#define SHARE_TOLERANCE 1e-9
#define DEFAULT_MIN_MULTIPLIER 0.1
#define DEFAULT_MAX_MULTIPLIER 10.0
#define MAX_MULTIPLIER 1.0e6

static const char *const SCHEDULE_KEYS[] = {"path", "values", "between"};
static const char *const INITIAL_KEYS[] = {"stage", "cases", "age_days", "group_shares"};
static const char *const FEEDBACK_KEYS[] = {"name",   "group", "responds_to", "reference_value",
                                            "effect", "limits"};
static const char *const RESPONDS_KEYS[] = {"measure", "window_years"};
static const char *const EFFECT_KEYS[] = {"path", "elasticity"};
static const char *const LIMIT_KEYS[] = {"min", "max"};

double cs_scenario_run_days(const cs_scenario *s)
{
    return (s->warmup_years + s->cohort_years + s->follow_up_years) * CS_DAYS_PER_YEAR;
}

bool cs_conv_time(cs_conv *c, const cs_ynode *n, const cs_scenario *s, const char *what,
                  bool allow_end, double *days)
{
    double y;
    if (!cs_conv_num(c, n, what, &y))
        return false;
    double years = s->warmup_years + s->cohort_years + s->follow_up_years;
    double lo = s->has_start_year ? s->start_year : 0.0, hi = lo + years;
    if (y < lo || y > hi || (!allow_end && y == hi)) {
        if (s->has_start_year)
            cs_conv_error(c, n,
                          "%s %.15g is outside the run, which lasts from %g (time.start_year) "
                          "to %g%s",
                          what, y, lo, hi, allow_end ? "" : " (excluded)");
        else
            cs_conv_error(c, n,
                          "%s %.15g is outside the run, which lasts from year 0 to year %g%s "
                          "(without time.start_year, times are years of the run)",
                          what, y, hi, allow_end ? "" : " (excluded)");
        return false;
    }
    *days = (y - lo) * CS_DAYS_PER_YEAR;
    return true;
}

/* ---------------------------------------------------------------- schedules */

/* The listed years and values of one schedule. */
static void read_values(cs_conv *c, const cs_ynode *v, const cs_scenario *s, cs_schedule *sc)
{
    if (!cs_conv_is_map(c, v, "`values`"))
        return;
    if (v->n == 0 || v->n > CS_MAX_SCHEDULE_POINTS) {
        if (v->n == 0)
            cs_conv_error(c, v, "`values` is empty: give at least one year and its value");
        else
            cs_conv_limit(c, v, "`values` lists %zu years; the limit is %d", v->n,
                          CS_MAX_SCHEDULE_POINTS);
        return;
    }
    sc->days = cs_conv_mem(c, cs_xcalloc(v->n, sizeof *sc->days));
    sc->values = cs_conv_mem(c, cs_xcalloc(v->n, sizeof *sc->values));
    sc->at = cs_conv_mem(c, cs_xcalloc(v->n, sizeof *sc->at));
    if (!sc->days || !sc->values || !sc->at)
        return;
    bool ok = true;
    for (size_t i = 0; i < v->n; i++) {
        ok &= cs_conv_time(c, v->keys[i], s, "the year", true, &sc->days[i]);
        ok &= cs_conv_num(c, v->items[i], "values", &sc->values[i]);
        sc->at[i] = v->items[i]->pos;
        if (ok && i > 0 && !(sc->days[i] > sc->days[i - 1])) {
            cs_conv_error(c, v->keys[i], "the years of `values` must increase: %s comes after %s",
                          v->keys[i]->value, v->keys[i - 1]->value);
            ok = false;
        }
    }
    if (ok)
        sc->n = v->n;
}

static void read_schedule(cs_conv *c, const cs_ynode *m, const cs_scenario *s, cs_schedule *sc)
{
    sc->pos = m->pos;
    if (!cs_conv_is_map(c, m, "a schedule"))
        return;
    cs_conv_check_keys(c, m, "a schedule", SCHEDULE_KEYS, N_OF(SCHEDULE_KEYS));
    const cs_ynode *p = cs_conv_need(c, m, "path", "a schedule");
    if (p && cs_conv_short_text(c, p, "path", CS_MAX_PATH_LEN, &sc->path)) {
        sc->pos = p->pos;
        const char *why = cs_path_syntax(sc->path);
        if (why) {
            cs_conv_error(c, p, "the path `%.100s` is malformed: %s", sc->path, why);
            free(sc->path);
            sc->path = NULL;
        }
    }
    const cs_ynode *b = cs_ynode_get(m, "between");
    if (b) {
        if (b->kind == CS_YNODE_SCALAR && strcmp(b->value, "linear") == 0)
            sc->linear = true;
        else if (!(b->kind == CS_YNODE_SCALAR && strcmp(b->value, "step") == 0))
            cs_conv_error(c, b, "`between` must be `step` or `linear`");
    }
    const cs_ynode *v = cs_conv_need(c, m, "values", "a schedule");
    if (v)
        read_values(c, v, s, sc);
}

/* The numbers schedule i names: its path is walked, resolved, and no
 * number may have two schedules. */
static void resolve_schedule(cs_conv *c, const cs_ynode *root, const cs_scenario *s, size_t i,
                             cs_param *seen, size_t *n_seen, size_t *owner)
{
    const cs_schedule *sc = &s->schedules[i];
    if (!sc->path || sc->n == 0)
        return;
    cs_change ch = {.path = sc->path, .op = CS_CHANGE_SET, .value = sc->values[0], .pos = sc->pos};
    if (cs_patch_probe(c, root, s, &ch, "schedule", CS_PATCH_SCHEDULE) != CS_OK)
        return;
    cs_param ps[CS_MAX_PATH_PARAMS];
    size_t n;
    const char *why = cs_param_resolve(s, root, sc->path, ps, &n);
    if (why) {
        cs_conv_fail(c, CS_EINVAL, NULL, sc->pos, "schedule of `%s`: %s", sc->path, why);
        return;
    }
    if (sc->linear && cs_param_whole(&ps[0])) {
        cs_conv_fail(c, CS_EINVAL, NULL, sc->pos,
                     "schedule of `%s`: a whole number can follow a step schedule, not a linear "
                     "one",
                     sc->path);
        return;
    }
    for (size_t k = 0; k < n; k++) {
        for (size_t j = 0; j < *n_seen; j++)
            if (cs_param_equal(&seen[j], &ps[k])) {
                cs_conv_fail(c, CS_EINVAL, NULL, sc->pos,
                             "schedule of `%s`: that number already follows the schedule at "
                             "line %d",
                             sc->path, s->schedules[owner[j]].pos.line);
                return;
            }
        if (*n_seen < CS_MAX_SCHEDULES * CS_MAX_PATH_PARAMS) {
            seen[*n_seen] = ps[k];
            owner[(*n_seen)++] = i;
        }
    }
}

static void load_schedules(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    const cs_ynode *l = cs_ynode_get(root, "schedules");
    if (!l || cs_ynode_is_null(l))
        return;
    if (!cs_conv_is_list(c, l, "schedules", CS_MAX_SCHEDULES, "CS_MAX_SCHEDULES"))
        return;
    s->schedules = cs_conv_mem(c, cs_xcalloc(l->n, sizeof *s->schedules));
    if (!s->schedules)
        return;
    s->n_schedules = l->n;
    size_t errors0 = c->errors;
    for (size_t i = 0; i < l->n; i++)
        read_schedule(c, l->items[i], s, &s->schedules[i]);
    if (c->errors != errors0 || s->n_stages == 0)
        return; /* paths are resolved against a scenario that read cleanly */
    size_t cap = CS_MAX_SCHEDULES * CS_MAX_PATH_PARAMS;
    cs_param *seen = cs_conv_mem(c, cs_xcalloc(cap, sizeof *seen));
    size_t *owner = cs_conv_mem(c, cs_xcalloc(cap, sizeof *owner)), n_seen = 0;
    for (size_t i = 0; seen && owner && i < s->n_schedules; i++)
        resolve_schedule(c, root, s, i, seen, &n_seen, owner);
    free(seen);
    free(owner);
}

/* ------------------------------------------------------------------ initial */

/* The shares of groups among initial cases: as given (summing to 1), or by
 * arrival rates. */
static void read_group_shares(cs_conv *c, const cs_ynode *m, const cs_scenario *s, cs_initial *in)
{
    in->group_share = cs_conv_mem(c, cs_xcalloc(s->n_groups ? s->n_groups : 1, sizeof(double)));
    if (!in->group_share || s->n_groups == 0)
        return;
    const cs_ynode *n = cs_ynode_get(m, "group_shares");
    double total = 0.0;
    if (!n) {
        for (size_t g = 0; g < s->n_groups; g++)
            total += s->groups[g].incidents_per_year;
        for (size_t g = 0; g < s->n_groups && total > 0; g++)
            in->group_share[g] = s->groups[g].incidents_per_year / total;
        return;
    }
    if (!cs_conv_per_group(c, n, "group_shares", s, 0.0, 1.0, in->group_share))
        return;
    for (size_t g = 0; g < s->n_groups; g++)
        total += in->group_share[g];
    if (fabs(total - 1.0) > SHARE_TOLERANCE)
        cs_conv_error(c, n, "`group_shares` must sum to 1, got %.15g", total);
}

static void read_initial(cs_conv *c, const cs_ynode *m, cs_scenario *s, cs_initial *in,
                         uint64_t *total)
{
    in->pos = m->pos;
    if (!cs_conv_is_map(c, m, "an entry of `initial`"))
        return;
    cs_conv_check_keys(c, m, "an entry of `initial`", INITIAL_KEYS, N_OF(INITIAL_KEYS));
    const cs_ynode *n = cs_conv_need(c, m, "stage", "an entry of `initial`");
    if (n && n->kind == CS_YNODE_SCALAR && s->n_stages > 0) {
        long st = cs_scenario_find_stage(s, n->value);
        const char *names[CS_MAX_STAGES];
        for (size_t i = 0; i < s->n_stages; i++)
            names[i] = s->stages[i].name;
        if (st < 0)
            cs_conv_unknown(c, n, "stage", " in `initial`", n->value, names, s->n_stages);
        else
            in->stage = (size_t)st;
    } else if (n) {
        cs_conv_error(c, n, "`stage` must be the name of a stage, got %s", cs_ynode_kind_name(n));
    }
    n = cs_conv_need(c, m, "cases", "an entry of `initial`");
    if (n && cs_conv_whole(c, n, "cases", 0, CS_MAX_INITIAL_CASES, &in->cases)) {
        *total += in->cases;
        if (*total > CS_MAX_INITIAL_CASES)
            cs_conv_limit(c, n, "`initial` holds %llu cases in all; the limit is %u",
                          (unsigned long long)*total, CS_MAX_INITIAL_CASES);
    }
    n = cs_conv_need(c, m, "age_days", "an entry of `initial`");
    if (n)
        cs_load_duration(c, n, "age_days", &in->age);
    read_group_shares(c, m, s, in);
}

static void load_initial(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    const cs_ynode *l = cs_ynode_get(root, "initial");
    if (!l || cs_ynode_is_null(l))
        return;
    if (!cs_conv_is_list(c, l, "initial", CS_MAX_INITIAL, "CS_MAX_INITIAL"))
        return;
    s->initial = cs_conv_mem(c, cs_xcalloc(l->n, sizeof *s->initial));
    if (!s->initial)
        return;
    s->n_initial = l->n;
    uint64_t total = 0;
    for (size_t i = 0; i < l->n; i++)
        read_initial(c, l->items[i], s, &s->initial[i], &total);
}

/* ----------------------------------------------------------------- feedback */

/* `group`: a group's name, or `all`. */
static void read_fb_group(cs_conv *c, const cs_ynode *n, const cs_scenario *s, cs_feedback *f)
{
    f->group = -1;
    if (n->kind != CS_YNODE_SCALAR || cs_ynode_is_null(n)) {
        cs_conv_error(c, n, "`group` must be a group's name or `all`, got %s",
                      cs_ynode_kind_name(n));
        return;
    }
    if (strcmp(n->value, "all") == 0)
        return;
    const char *names[CS_MAX_GROUPS];
    cs_conv_group_names(s, names);
    for (size_t g = 0; g < s->n_groups; g++)
        if (names[g] && strcmp(names[g], n->value) == 0) {
            f->group = (long)g;
            return;
        }
    cs_conv_unknown(c, n, "group", " in a feedback (or `all`)", n->value, names, s->n_groups);
}

/* `responds_to: {measure, window_years}`. */
static void read_responds(cs_conv *c, const cs_ynode *r, const cs_scenario *s, cs_feedback *f)
{
    if (!cs_conv_is_map(c, r, "`responds_to`"))
        return;
    cs_conv_check_keys(c, r, "`responds_to`", RESPONDS_KEYS, N_OF(RESPONDS_KEYS));
    const cs_ynode *m = cs_conv_need(c, r, "measure", "`responds_to`");
    const char *prefix = "accountability_rate";
    f->category = -1;
    if (m && m->kind == CS_YNODE_SCALAR && strncmp(m->value, prefix, strlen(prefix)) == 0) {
        const char *rest = m->value + strlen(prefix);
        bool found = *rest == '\0';
        for (size_t k = 0; *rest == '_' && k < s->n_categories && !found; k++)
            if (strcmp(rest + 1, s->categories[k]) == 0) {
                f->category = (long)k;
                found = true;
            }
        if (!found)
            cs_conv_error(c, m, "no measure `%.80s`: the category is not one of the outcomes'",
                          m->value);
    } else if (m) {
        cs_conv_error(c, m,
                      "`measure` must be `accountability_rate` or `accountability_rate_CATEGORY` "
                      "(the public sees cases that ended, and whether they ended in "
                      "accountability)");
    }
    const cs_ynode *w = cs_conv_need(c, r, "window_years", "`responds_to`");
    double years = s->warmup_years + s->cohort_years + s->follow_up_years;
    if (w && cs_conv_num_in(c, w, "window_years", 0, true, years, &f->window_years) &&
        f->window_years * 12.0 < 1.0 - 1e-9)
        cs_conv_error(c, w, "`window_years` must be at least one month (1/12), got %g",
                      f->window_years);
}

/* `effect: {path, elasticity}`: the path must name rates or probabilities. */
static void read_effect(cs_conv *c, const cs_ynode *root, const cs_ynode *e, cs_scenario *s,
                        cs_feedback *f)
{
    if (!cs_conv_is_map(c, e, "`effect`"))
        return;
    cs_conv_check_keys(c, e, "`effect`", EFFECT_KEYS, N_OF(EFFECT_KEYS));
    const cs_ynode *el = cs_conv_need(c, e, "elasticity", "`effect`");
    if (el)
        cs_conv_num_in(c, el, "elasticity", -CS_MAX_ELASTICITY, false, CS_MAX_ELASTICITY,
                       &f->elasticity);
    const cs_ynode *p = cs_conv_need(c, e, "path", "`effect`");
    if (!p || !cs_conv_short_text(c, p, "path", CS_MAX_PATH_LEN, &f->effect_path))
        return;
    f->effect_pos = p->pos;
    const char *why = cs_path_syntax(f->effect_path);
    if (why) {
        cs_conv_error(c, p, "the path `%.100s` is malformed: %s", f->effect_path, why);
        return;
    }
    cs_change ch = {.path = f->effect_path, .op = CS_CHANGE_SCALE, .value = 1.0, .pos = p->pos};
    if (cs_patch_probe(c, root, s, &ch, "feedback effect", CS_PATCH_SCHEDULE) != CS_OK)
        return;
    cs_param ps[CS_MAX_PATH_PARAMS];
    size_t n = 0;
    why = cs_param_resolve(s, root, f->effect_path, ps, &n);
    for (size_t k = 0; !why && k < n; k++)
        if (ps[k].kind != CS_PARAM_RATE && ps[k].kind != CS_PARAM_P)
            why = "";
    if (why) {
        cs_conv_error(c, p,
                      "a feedback's effect must be an arrival rate "
                      "(`groups.NAME.incidents_per_year`) or a branch probability "
                      "(`stages.NAME.branches[i].p`, for one group or all): `%.100s` is neither",
                      f->effect_path);
        return;
    }
    f->targets = cs_conv_mem(c, cs_xcalloc(n, sizeof *f->targets));
    if (f->targets) {
        memcpy(f->targets, ps, n * sizeof *ps);
        f->n_targets = n;
    }
}

/* `limits: {min, max}` of the multiplier. */
static void read_limits(cs_conv *c, const cs_ynode *m, cs_feedback *f)
{
    f->min_multiplier = DEFAULT_MIN_MULTIPLIER;
    f->max_multiplier = DEFAULT_MAX_MULTIPLIER;
    const cs_ynode *l = cs_ynode_get(m, "limits");
    if (!l || !cs_conv_is_map(c, l, "`limits`"))
        return;
    cs_conv_check_keys(c, l, "`limits`", LIMIT_KEYS, N_OF(LIMIT_KEYS));
    const cs_ynode *lo = cs_ynode_get(l, "min"), *hi = cs_ynode_get(l, "max");
    if (lo)
        cs_conv_num_in(c, lo, "min", 0, true, 1.0, &f->min_multiplier);
    if (hi)
        cs_conv_num_in(c, hi, "max", 1.0, false, MAX_MULTIPLIER, &f->max_multiplier);
}

static void read_feedback(cs_conv *c, const cs_ynode *root, const cs_ynode *m, cs_scenario *s,
                          size_t i)
{
    cs_feedback *f = &s->feedback[i];
    f->pos = m->pos;
    f->group = -1;
    f->category = -1;
    if (!cs_conv_is_map(c, m, "a feedback"))
        return;
    cs_conv_check_keys(c, m, "a feedback", FEEDBACK_KEYS, N_OF(FEEDBACK_KEYS));
    const cs_ynode *n = cs_conv_need(c, m, "name", "a feedback");
    if (n && cs_conv_name(c, n, "name", &f->name))
        for (size_t j = 0; j < i; j++)
            if (s->feedback[j].name && strcmp(s->feedback[j].name, f->name) == 0)
                cs_conv_error(c, n, "duplicate feedback name `%s` (first at line %d)", f->name,
                              s->feedback[j].pos.line);
    if ((n = cs_conv_need(c, m, "group", "a feedback")))
        read_fb_group(c, n, s, f);
    if ((n = cs_conv_need(c, m, "responds_to", "a feedback")))
        read_responds(c, n, s, f);
    if ((n = cs_conv_need(c, m, "reference_value", "a feedback")))
        cs_conv_num_in(c, n, "reference_value", 0, true, 1.0, &f->reference_value);
    read_limits(c, m, f);
    if ((n = cs_conv_need(c, m, "effect", "a feedback")))
        read_effect(c, root, n, s, f);
}

static void load_feedback(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    const cs_ynode *l = cs_ynode_get(root, "feedback");
    if (!l || cs_ynode_is_null(l))
        return;
    if (!cs_conv_is_list(c, l, "feedback", CS_MAX_FEEDBACK, "CS_MAX_FEEDBACK"))
        return;
    s->feedback = cs_conv_mem(c, cs_xcalloc(l->n, sizeof *s->feedback));
    if (!s->feedback)
        return;
    s->n_feedback = l->n;
    for (size_t i = 0; i < l->n; i++)
        read_feedback(c, root, l->items[i], s, i);
}

void cs_load_dynamics(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    load_initial(c, root, s);
    load_feedback(c, root, s);
    load_schedules(c, root, s);
}

void cs_dynamics_release(cs_scenario *s)
{
    for (size_t i = 0; s->schedules && i < s->n_schedules; i++) {
        free(s->schedules[i].path);
        free(s->schedules[i].days);
        free(s->schedules[i].values);
        free(s->schedules[i].at);
    }
    free(s->schedules);
    for (size_t i = 0; s->initial && i < s->n_initial; i++)
        free(s->initial[i].group_share);
    free(s->initial);
    for (size_t i = 0; s->feedback && i < s->n_feedback; i++) {
        free(s->feedback[i].name);
        free(s->feedback[i].effect_path);
        free(s->feedback[i].targets);
    }
    free(s->feedback);
    for (size_t i = 0; s->timelines && i < s->n_timelines; i++)
        cs_timeline_free(&s->timelines[i]);
    free(s->timelines);
    s->schedules = NULL;
    s->initial = NULL;
    s->feedback = NULL;
    s->timelines = NULL;
    s->n_schedules = s->n_initial = s->n_feedback = s->n_timelines = 0;
}
