/*
 * scenario/dynamics_variant.c — a variant that changes over time: its
 * timelines, and the scenario checked at every time a number changes.
 *
 * The numbers of a variant that move are those its schedules name and
 * those its timed interventions (`starts`, `ramp_years`) change. Each gets
 * a timeline (timeline.c): its schedule or the base scenario's value, then
 * every change of the variant's interventions to that number, in order
 * (an intervention without timing takes effect at 0). The other numbers
 * keep the values of the tree the caller converted (the base with the
 * untimed interventions applied, exactly as a variant that stands still).
 *
 * Every rule of the loader is checked at each time a timeline changes: the
 * tree with every moving number set to its value then (just after the
 * change, and just before it where a number was moving linearly) is
 * converted like any variant. A linear piece between two checked times is
 * checked too, because every rule on a number that can move is a linear
 * inequality or equality (a range, p summing below 1, shares summing to 1,
 * median below p90), which holds on a segment when it holds at its ends.
 * The variant's scenario is the one of time 0.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "scenario/dynamics_internal.h"

/* One change of the variant, resolved. */
typedef struct vop {
    cs_param param;
    cs_op op;
    const char *intervention;
    const cs_change *change;
} vop;

/* What is being built. */
typedef struct vdyn {
    cs_conv *c;
    const cs_scenario *base, *vs;
    const cs_ynode *base_tree, *tree;
    const cs_variant *v;
    double t_end;
    vop *ops;
    size_t n_ops;
    cs_param *params; /* the moving numbers */
    long *sched;      /* [n_params]: the schedule naming it, or -1 */
    size_t n_params, cap_params;
    cs_timeline *tl; /* [n_params] */
} vdyn;

static bool timed(const cs_intervention *iv)
{
    return iv->starts > 0.0 || iv->ramp > 0.0;
}

bool cs_variant_is_dynamic(const cs_scenario *s, const cs_variant *v)
{
    if (s->n_schedules > 0)
        return true;
    for (size_t i = 0; i < v->n_applied; i++)
        if (timed(&s->interventions[v->applied[i]]))
            return true;
    return false;
}

static bool add_one(vdyn *d, const cs_param *p, long sched);

/* Adds p to the moving numbers (once), and with a duration parameter its
 * sibling of the same family (the engine rebuilds the distribution from
 * both written numbers); false when out of memory. */
static bool add_param(vdyn *d, const cs_param *p, long sched)
{
    if (!add_one(d, p, sched))
        return false;
    /* A moving duration is one law for every case (params.c refuses one
     * given per kind or group), so any case's cell gives its family. */
    cs_duration_kind k = cs_stage_duration(d->vs, &d->vs->stages[p->stage], 0, 0)->kind;
    if (p->kind != CS_PARAM_DURATION || k == CS_DUR_FIXED || k == CS_DUR_EXPONENTIAL)
        return true;
    cs_param sib = *p;
    sib.index = 1 - p->index;
    return add_one(d, &sib, -2);
}

static bool add_one(vdyn *d, const cs_param *p, long sched)
{
    for (size_t i = 0; i < d->n_params; i++)
        if (cs_param_equal(&d->params[i], p)) {
            if (sched >= 0)
                d->sched[i] = sched;
            return true;
        }
    if (sched == -2)
        sched = -1; /* a sibling: no schedule of its own (yet) */
    if (d->n_params == d->cap_params) {
        size_t cap = d->cap_params ? 2 * d->cap_params : 16;
        cs_param *np = realloc(d->params, cap * sizeof *np);
        if (np)
            d->params = np;
        long *ns = np ? realloc(d->sched, cap * sizeof *ns) : NULL;
        if (!ns)
            return false;
        d->sched = ns;
        d->cap_params = cap;
    }
    d->params[d->n_params] = *p;
    d->sched[d->n_params++] = sched;
    return true;
}

/* A timed change that cannot be: reported at the change. */
static void timed_fail(vdyn *d, const cs_intervention *iv, const cs_change *ch, const char *why)
{
    d->c->errors++;
    cs_error_at(d->c->err, CS_EINVAL, d->c->file, ch->pos.line, ch->pos.column,
                "intervention `%s` starts or ramps up during the run, but its change of `%s` "
                "cannot: %s",
                iv->name, ch->path, why);
}

/* The params of change ch of intervention iv into the ops (and, for a
 * timed one, into the moving numbers). */
static int resolve_change(vdyn *d, const cs_intervention *iv, const cs_change *ch)
{
    cs_param ps[CS_MAX_PATH_PARAMS];
    size_t n = 0;
    bool t = timed(iv);
    if (t && strncmp(ch->path, "schedules", 9) == 0) {
        timed_fail(d, iv, ch, "a schedule already says when; change the number it moves instead");
        return CS_EINVAL;
    }
    const char *why = cs_param_resolve(d->base, d->base_tree, ch->path, ps, &n);
    if (why) {
        if (t)
            timed_fail(d, iv, ch, why);
        return t ? CS_EINVAL : CS_OK; /* an untimed change of a number that never moves */
    }
    if (t && iv->ramp > 0.0 && cs_param_whole(&ps[0])) {
        timed_fail(d, iv, ch, "a whole number cannot ramp up (give no `ramp_years`)");
        return CS_EINVAL;
    }
    vop *ops = realloc(d->ops, (d->n_ops + n) * sizeof *ops);
    if (!ops)
        return CS_ENOMEM;
    d->ops = ops;
    for (size_t k = 0; k < n; k++) {
        cs_op op = {ch->op, ch->value, t ? iv->starts : 0.0, t ? iv->ramp : 0.0, 0};
        d->ops[d->n_ops++] = (vop){ps[k], op, iv->name, ch};
        if (t && !add_param(d, &ps[k], -1))
            return CS_ENOMEM;
    }
    return CS_OK;
}

/* Every change of the variant's interventions, and the timed ones' paths
 * walked on the base tree (their messages). */
static int collect_ops(vdyn *d)
{
    int status = CS_OK;
    for (size_t i = 0; i < d->v->n_applied; i++) {
        const cs_intervention *iv = &d->base->interventions[d->v->applied[i]];
        char context[CS_MAX_NAME_LEN + 32];
        snprintf(context, sizeof context, "intervention `%s`", iv->name);
        for (size_t j = 0; j < iv->n_changes; j++) {
            const cs_change *ch = &iv->changes[j];
            int st = timed(iv) ? cs_patch_probe(d->c, d->base_tree, d->base, ch, context,
                                                CS_PATCH_INTERVENTION)
                               : CS_OK;
            if (st == CS_OK)
                st = resolve_change(d, iv, ch);
            if (st == CS_ENOMEM)
                return st;
            if (st != CS_OK)
                status = st;
        }
    }
    return status;
}

/* The numbers the variant's own schedules name. */
static int collect_schedules(vdyn *d)
{
    for (size_t i = 0; i < d->vs->n_schedules; i++) {
        cs_param ps[CS_MAX_PATH_PARAMS];
        size_t n = 0;
        const cs_schedule *sc = &d->vs->schedules[i];
        if (!sc->path || sc->n == 0 || cs_param_resolve(d->vs, d->tree, sc->path, ps, &n))
            continue; /* reported when the variant's tree was converted */
        for (size_t k = 0; k < n; k++)
            if (!add_param(d, &ps[k], (long)i))
                return CS_ENOMEM;
    }
    return CS_OK;
}

/* The timeline of every moving number. */
static int build_timelines(vdyn *d)
{
    d->tl = cs_xcalloc(d->n_params ? d->n_params : 1, sizeof *d->tl);
    cs_op *ops = cs_xcalloc(d->n_ops ? d->n_ops : 1, sizeof *ops);
    int st = d->tl && ops ? CS_OK : CS_ENOMEM;
    for (size_t i = 0; i < d->n_params && st == CS_OK; i++) {
        size_t n = 0;
        for (size_t k = 0; k < d->n_ops; k++)
            if (cs_param_equal(&d->ops[k].param, &d->params[i])) {
                ops[n] = d->ops[k].op;
                ops[n++].source = (int)k;
            }
        const cs_schedule *sc = d->sched[i] >= 0 ? &d->vs->schedules[d->sched[i]] : NULL;
        double base = cs_param_value(d->base, d->base_tree, &d->params[i]);
        st = cs_timeline_build(sc, base, ops, n, d->t_end, &d->tl[i]);
        d->tl[i].param = d->params[i];
    }
    free(ops);
    return st;
}

/* ------------------------------------------------- the scenario at a time */

/* Who made number i what it is at time t, for messages: the last change
 * in force, else its schedule (at the value in force). */
static void blame(const vdyn *d, size_t i, double t, cs_applied_change *ac, cs_change *syn)
{
    for (size_t k = d->n_ops; k-- > 0;)
        if (cs_param_equal(&d->ops[k].param, &d->params[i]) && d->ops[k].op.start <= t) {
            ac->intervention = d->ops[k].intervention;
            ac->change = d->ops[k].change;
            return;
        }
    const cs_schedule *sc = d->sched[i] >= 0 ? &d->vs->schedules[d->sched[i]] : NULL;
    size_t j = 0;
    while (sc && j + 1 < sc->n && sc->days[j + 1] <= t)
        j++;
    *syn = (cs_change){.path = sc ? sc->path : "",
                       .op = CS_CHANGE_SET,
                       .pos = sc ? sc->at[j] : d->vs->groups[0].pos};
    ac->intervention = NULL;
    ac->change = syn;
}

/* "at 2026" or "at year 3.5 of the run" (left: "just before ..."). */
static void when_text(const vdyn *d, double t, bool left, char *buf, size_t n)
{
    double y = t / CS_DAYS_PER_YEAR;
    const char *just = left ? "just before " : "";
    if (d->base->has_start_year)
        snprintf(buf, n, "at %s%.10g", just, d->base->start_year + y);
    else
        snprintf(buf, n, "at %syear %.10g of the run", just, y);
}

/* Forgets which change altered each node of n (a copy about to be changed
 * by other changes). */
static void unmark(cs_ynode *n)
{
    n->patched_by = -1;
    for (size_t i = 0; i < n->n; i++) {
        unmark(n->items[i]);
        if (n->keys)
            unmark(n->keys[i]);
    }
}

/* The tree at time t (left: just before t) with every moving number set,
 * converted into *out (zeroed by the caller). */
static int convert_at(vdyn *d, double t, bool left, cs_scenario *out)
{
    cs_ynode *tree = NULL;
    if (cs_ynode_copy(d->tree, &tree) != CS_OK)
        return CS_ENOMEM;
    unmark(tree);
    cs_applied_change *ac = cs_xcalloc(d->n_params ? d->n_params : 1, sizeof *ac);
    cs_change *syn = cs_xcalloc(d->n_params ? d->n_params : 1, sizeof *syn);
    cs_change *set = cs_xcalloc(d->n_params ? d->n_params : 1, sizeof *set);
    char(*paths)[128] = cs_xcalloc(d->n_params ? d->n_params : 1, sizeof *paths);
    char when[128];
    when_text(d, t, left, when, sizeof when);
    cs_conv c = {.err = d->c->err,
                 .file = d->c->file,
                 .variant = d->v->name,
                 .changes = ac,
                 .n_changes = d->n_params,
                 .when = when};
    int st = ac && syn && set && paths ? CS_OK : CS_ENOMEM;
    for (size_t i = 0; i < d->n_params && st == CS_OK; i++) {
        double x = left ? cs_timeline_left(&d->tl[i], t) : cs_timeline_value(&d->tl[i], t);
        blame(d, i, t, &ac[i], &syn[i]);
        if (isinf(x))
            continue; /* a stage without staff (yet) */
        cs_param_path(d->vs, d->tree, &d->params[i], paths[i], sizeof paths[i]);
        set[i] = (cs_change){
            .path = paths[i], .op = CS_CHANGE_SET, .value = x, .pos = ac[i].change->pos};
        st = cs_patch_change(&c, tree, d->vs, &set[i], (int)i, "a moving number");
    }
    if (st == CS_OK)
        st = cs_scenario_convert(&c, tree, false, out);
    d->c->errors += c.errors;
    free(paths);
    free(set);
    free(syn);
    free(ac);
    cs_ynode_free(tree);
    return st;
}

/* Whether some number moves linearly just before t. */
static bool sloped_before(const vdyn *d, double t)
{
    for (size_t i = 0; i < d->n_params; i++) {
        const cs_timeline *tl = &d->tl[i];
        for (size_t k = 1; k < tl->n_pieces; k++)
            if (tl->pieces[k].start == t && tl->pieces[k - 1].slope != 0.0)
                return true;
    }
    return false;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The scenario checked at every time a number changes; the one at 0 into
 * *at0. Stops at the first time that breaks a rule. */
static int check_times(vdyn *d, cs_scenario *at0)
{
    size_t n = 1;
    for (size_t i = 0; i < d->n_params; i++)
        n += d->tl[i].n_pieces;
    double *t = cs_xcalloc(n, sizeof *t);
    if (!t)
        return CS_ENOMEM;
    size_t k = 1;
    for (size_t i = 0; i < d->n_params; i++)
        for (size_t j = 1; j < d->tl[i].n_pieces; j++)
            t[k++] = d->tl[i].pieces[j].start;
    qsort(t, k, sizeof *t, cmp_double);
    int st = convert_at(d, 0.0, false, at0);
    for (size_t i = 1; i < k && st == CS_OK; i++) {
        if (t[i] == t[i - 1])
            continue;
        cs_scenario tmp;
        memset(&tmp, 0, sizeof tmp);
        if (sloped_before(d, t[i]))
            st = convert_at(d, t[i], true, &tmp);
        cs_scenario_release(&tmp);
        if (st == CS_OK)
            st = convert_at(d, t[i], false, &tmp);
        cs_scenario_release(&tmp);
    }
    free(t);
    return st;
}

static void vdyn_free(vdyn *d)
{
    for (size_t i = 0; d->tl && i < d->n_params; i++)
        cs_timeline_free(&d->tl[i]);
    free(d->tl);
    free(d->ops);
    free(d->params);
    free(d->sched);
}

int cs_variant_dynamics(cs_conv *c, const cs_scenario *base, const cs_ynode *base_tree,
                        const cs_variant *v, const cs_ynode *tree, cs_scenario *vs)
{
    vdyn d = {.c = c,
              .base = base,
              .vs = vs,
              .base_tree = base_tree,
              .tree = tree,
              .v = v,
              .t_end = cs_scenario_run_days(base)};
    int st = collect_ops(&d);
    if (st == CS_OK)
        st = collect_schedules(&d);
    if (st == CS_OK)
        st = build_timelines(&d);
    cs_scenario at0;
    memset(&at0, 0, sizeof at0);
    if (st == CS_OK)
        st = check_times(&d, &at0);
    if (st == CS_OK) {
        /* The variant is its scenario at time 0, with the timelines. */
        cs_scenario_release(vs);
        *vs = at0;
        vs->timelines = d.tl;
        vs->n_timelines = d.n_params;
        d.tl = NULL;
    } else {
        cs_scenario_release(&at0);
    }
    vdyn_free(&d);
    return st;
}
