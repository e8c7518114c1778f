/*
 * dynamics_model.c — a variant's timelines, feedback loops and initial
 * backlog compiled into cs_mdyn (sim/dynamics.h), and one replicate's
 * state of them (cs_dyn_rt).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "sim/dynamics.h"
#include "sim/model.h"

static void stage_free(cs_mdyn_stage *st)
{
    free(st->p);
    free(st->slope);
    free(st->uor);
    free(st->kor);
    free(st->p_tl);
    free(st->slope_tl);
    free(st->uor_tl);
    free(st->kor_tl);
}

void cs_mdyn_free(cs_mdyn *d)
{
    if (!d)
        return;
    for (size_t i = 0; d->tl && i < d->n_tl; i++)
        free(d->tl[i].pieces);
    free(d->tl);
    free(d->share_tl);
    free(d->share);
    for (size_t s = 0; d->stage && s < d->n_stages; s++)
        stage_free(&d->stage[s]);
    free(d->stage);
    free(d->breaks);
    for (size_t f = 0; d->fb && f < d->n_fb; f++)
        free(d->fb[f].targets);
    free(d->fb);
    free(d->init);
    free(d);
}

/* The first time timeline tl changes: 0 if it starts moving, else the
 * start of its second piece (INFINITY: never). */
static double first_change(const cs_timeline *tl)
{
    if (tl->pieces[0].slope != 0.0)
        return 0.0;
    return tl->n_pieces > 1 ? tl->pieces[1].start : INFINITY;
}

static void earliest(double *at, const cs_timeline *tl)
{
    double t = first_change(tl);
    if (t < *at)
        *at = t;
}

/* Stage s's branch numbers (static values) with no timelines yet. */
static int stage_alloc(cs_mdyn *d, const cs_scenario *sc, size_t s)
{
    cs_mdyn_stage *st = &d->stage[s];
    if (st->p)
        return CS_OK;
    const cs_stage *in = &sc->stages[s];
    size_t nb = in->n_branches, G = sc->n_groups, V = sc->n_violations;
    /* The moving tables are per group: branches for some kinds, or `p` per
     * kind, cannot move during the run (refused, not approximated). */
    for (size_t b = 0; b < nb; b++)
        if (in->branches[b].has_kinds || in->branches[b].p_by == CS_BY_KIND ||
            in->branches[b].p_by == CS_BY_KIND_GROUP)
            return CS_EINVAL;
    st->p = cs_xcalloc(nb * G, sizeof *st->p);
    st->slope = cs_xcalloc(nb, sizeof *st->slope);
    st->uor = cs_xcalloc(nb, sizeof *st->uor);
    st->kor = cs_xcalloc(nb * V, sizeof *st->kor);
    st->p_tl = cs_xcalloc(nb * G, sizeof *st->p_tl);
    st->slope_tl = cs_xcalloc(nb, sizeof *st->slope_tl);
    st->uor_tl = cs_xcalloc(nb, sizeof *st->uor_tl);
    st->kor_tl = cs_xcalloc(nb * V, sizeof *st->kor_tl);
    if (!st->p || !st->slope || !st->uor || !st->kor || !st->p_tl || !st->slope_tl || !st->uor_tl ||
        !st->kor_tl)
        return CS_ENOMEM;
    for (size_t b = 0; b < nb; b++) {
        const cs_branch *br = &in->branches[b];
        st->slope[b] = in->reference[0] == b ? 0.0 : br->evidence_slope; /* one for all kinds */
        st->uor[b] = br->unfounded_odds_ratio;
        st->slope_tl[b] = st->uor_tl[b] = CS_NO_TL;
        for (size_t g = 0; g < G; g++) {
            st->p[b * G + g] = cs_branch_p(sc, br, 0, g);
            st->p_tl[b * G + g] = CS_NO_TL;
        }
        for (size_t k = 0; k < V; k++) {
            st->kor[b * V + k] = br->kind_odds_ratio[k];
            st->kor_tl[b * V + k] = CS_NO_TL;
        }
    }
    return CS_OK;
}

/* Timeline i of a stage's branch into its tables. */
static int stage_timeline(cs_mdyn *d, const cs_scenario *sc, size_t i)
{
    const cs_param *p = &d->tl[i].param;
    cs_mdyn_stage *st = &d->stage[p->stage];
    int rc = stage_alloc(d, sc, p->stage);
    if (rc != CS_OK)
        return rc;
    size_t G = sc->n_groups, V = sc->n_violations;
    if (p->kind == CS_PARAM_P)
        st->p_tl[p->branch * G + p->group] = (int32_t)i;
    else if (p->kind == CS_PARAM_SLOPE)
        st->slope_tl[p->branch] = (int32_t)i;
    else if (p->kind == CS_PARAM_UNFOUNDED_OR)
        st->uor_tl[p->branch] = (int32_t)i;
    else
        st->kor_tl[p->branch * V + p->kind_index] = (int32_t)i;
    st->branch_moves = true;
    earliest(&st->first_branch, &d->tl[i]);
    return CS_OK;
}

/* Where timeline i acts. */
static int place_timeline(cs_mdyn *d, const cs_scenario *sc, size_t i)
{
    const cs_timeline *tl = &d->tl[i];
    const cs_param *p = &tl->param;
    cs_mdyn_stage *st = &d->stage[p->stage];
    switch (p->kind) {
    case CS_PARAM_RATE:
        d->rate_tl[p->group] = (int32_t)i;
        d->rate_moves[p->group] = true;
        return CS_OK;
    case CS_PARAM_SHARE:
        d->share_tl[p->kind_index * sc->n_groups + p->group] = (int32_t)i;
        earliest(&d->first_incident, tl);
        return CS_OK;
    case CS_PARAM_WELL_FOUNDED:
        d->wf_tl[p->kind_index] = (int32_t)i;
        earliest(&d->first_incident, tl);
        return CS_OK;
    case CS_PARAM_BETA:
        d->beta_tl[p->group][p->index] = (int32_t)i;
        earliest(&d->first_incident, tl);
        return CS_OK;
    case CS_PARAM_STAFF:
    case CS_PARAM_CASELOAD:
        *(p->kind == CS_PARAM_STAFF ? &st->staff : &st->caseload) = (int32_t)i;
        earliest(&st->first_capacity, tl);
        return CS_OK;
    case CS_PARAM_DURATION:
        st->dur[p->index & 1] = (int32_t)i;
        st->dur_mean_cv = p->kind_index == 1;
        earliest(&st->first_dur, tl);
        return CS_OK;
    case CS_PARAM_DEADLINE:
        st->deadline = (int32_t)i;
        earliest(&st->first_deadline, tl);
        return CS_OK;
    case CS_PARAM_FB_ELASTICITY:
    case CS_PARAM_FB_REFERENCE:
        return CS_OK; /* placed with the feedback */
    default:
        return stage_timeline(d, sc, i);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The times any timeline changes within the run, sorted and distinct. */
static int collect_breaks(cs_mdyn *d)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n_tl; i++)
        n += d->tl[i].n_pieces;
    d->breaks = cs_xcalloc(n ? n : 1, sizeof *d->breaks);
    if (!d->breaks)
        return CS_ENOMEM;
    for (size_t i = 0; i < d->n_tl; i++)
        for (size_t k = 1; k < d->tl[i].n_pieces; k++)
            if (d->tl[i].pieces[k].start > 0.0 && d->tl[i].pieces[k].start < d->t_end)
                d->breaks[d->n_breaks++] = d->tl[i].pieces[k].start;
    qsort(d->breaks, d->n_breaks, sizeof *d->breaks, cmp_double);
    size_t m = 0;
    for (size_t i = 0; i < d->n_breaks; i++)
        if (m == 0 || d->breaks[i] != d->breaks[m - 1])
            d->breaks[m++] = d->breaks[i];
    d->n_breaks = m;
    return CS_OK;
}

/* The timelines, copied and placed. */
static int compile_timelines(cs_mdyn *d, const cs_scenario *s)
{
    d->tl = cs_xcalloc(s->n_timelines ? s->n_timelines : 1, sizeof *d->tl);
    if (!d->tl)
        return CS_ENOMEM;
    for (size_t i = 0; i < s->n_timelines; i++) {
        const cs_timeline *src = &s->timelines[i];
        d->tl[i].param = src->param;
        d->tl[i].pieces = cs_xcalloc(src->n_pieces, sizeof *src->pieces);
        if (!d->tl[i].pieces)
            return CS_ENOMEM;
        memcpy(d->tl[i].pieces, src->pieces, src->n_pieces * sizeof *src->pieces);
        d->tl[i].n_pieces = src->n_pieces;
        d->n_tl = i + 1;
        int rc = place_timeline(d, s, i);
        if (rc != CS_OK)
            return rc;
    }
    return collect_breaks(d);
}

/* The timeline index of feedback parameter (kind, f), or CS_NO_TL. */
static int32_t fb_timeline(const cs_mdyn *d, cs_param_kind kind, size_t f)
{
    for (size_t i = 0; i < d->n_tl; i++)
        if (d->tl[i].param.kind == kind && d->tl[i].param.index == f)
            return (int32_t)i;
    return CS_NO_TL;
}

static int compile_feedback(cs_mdyn *d, const cs_scenario *s, const cs_model *m)
{
    d->n_fb = s->n_feedback;
    d->fb = cs_xcalloc(d->n_fb ? d->n_fb : 1, sizeof *d->fb);
    if (!d->fb)
        return CS_ENOMEM;
    for (size_t f = 0; f < d->n_fb; f++) {
        const cs_feedback *in = &s->feedback[f];
        cs_mfeedback *fb = &d->fb[f];
        fb->group = (int32_t)in->group;
        fb->mask = in->category >= 0 ? m->category_mask[in->category] : m->accountability_mask;
        double months = floor(in->window_years * 12.0 + 0.5);
        fb->window = months < 1.0 ? 1u : (uint32_t)months;
        fb->elasticity = in->elasticity;
        fb->reference = in->reference_value;
        fb->lo = in->min_multiplier;
        fb->hi = in->max_multiplier;
        fb->elasticity_tl = fb_timeline(d, CS_PARAM_FB_ELASTICITY, f);
        fb->reference_tl = fb_timeline(d, CS_PARAM_FB_REFERENCE, f);
        fb->targets = cs_xcalloc(in->n_targets ? in->n_targets : 1, sizeof *fb->targets);
        if (!fb->targets)
            return CS_ENOMEM;
        memcpy(fb->targets, in->targets, in->n_targets * sizeof *in->targets);
        fb->n_targets = in->n_targets;
        for (size_t k = 0; k < in->n_targets; k++) {
            const cs_param *t = &in->targets[k];
            if (t->kind == CS_PARAM_RATE) {
                d->rate_moves[t->group] = true;
            } else {
                int rc = stage_alloc(d, s, t->stage);
                if (rc != CS_OK)
                    return rc;
                d->stage[t->stage].feedback = true;
            }
        }
    }
    return CS_OK;
}

/* The initial backlog: each entry's age law as the engine samples it. */
static int compile_initial(cs_mdyn *d, const cs_scenario *s)
{
    d->n_init = s->n_initial;
    d->init = cs_xcalloc(d->n_init ? d->n_init : 1, sizeof *d->init);
    if (!d->init)
        return CS_ENOMEM;
    for (size_t i = 0; i < d->n_init; i++) {
        const cs_initial *in = &s->initial[i];
        cs_minitial *mi = &d->init[i];
        mi->stage = (uint32_t)in->stage;
        mi->cases = in->cases;
        mi->age_kind = in->age.kind;
        mi->age_a = in->age.kind == CS_DUR_WEIBULL ? in->age.b : in->age.a;
        mi->age_b = in->age.kind == CS_DUR_WEIBULL ? in->age.a : in->age.b;
        double acc = 0.0;
        for (size_t g = 0; g < s->n_groups; g++) {
            acc += in->group_share[g];
            mi->group_cum[g] = acc;
        }
        mi->group_cum[s->n_groups - 1] = 1.0;
        d->initial_cases += in->cases;
    }
    return CS_OK;
}

/* A cs_mdyn with every timeline index CS_NO_TL and nothing moving. */
static cs_mdyn *mdyn_alloc(const cs_scenario *s)
{
    cs_mdyn *d = cs_xcalloc(1, sizeof *d);
    if (!d)
        return NULL;
    size_t G = s->n_groups, V = s->n_violations, S = s->n_stages;
    d->n_stages = S;
    d->t_end = cs_scenario_run_days(s);
    d->first_incident = INFINITY;
    d->share_tl = cs_xcalloc(V * G, sizeof *d->share_tl);
    d->share = cs_xcalloc(V * G, sizeof *d->share);
    d->stage = cs_xcalloc(S, sizeof *d->stage);
    if (!d->share_tl || !d->share || !d->stage) {
        cs_mdyn_free(d);
        return NULL;
    }
    for (size_t i = 0; i < V * G; i++) {
        d->share_tl[i] = CS_NO_TL;
        d->share[i] = s->violations[i / G].share[i % G];
    }
    for (size_t g = 0; g < CS_MAX_GROUPS; g++)
        d->rate_tl[g] = CS_NO_TL;
    for (size_t k = 0; k < CS_MAX_VIOLATIONS; k++)
        d->wf_tl[k] = CS_NO_TL;
    for (int i = 0; i < 4; i++)
        d->beta_tl[i / 2][i % 2] = CS_NO_TL;
    for (size_t i = 0; i < S; i++) {
        cs_mdyn_stage *st = &d->stage[i];
        st->staff = st->caseload = st->deadline = st->dur[0] = st->dur[1] = CS_NO_TL;
        st->staff_value = s->stages[i].has_staff ? s->stages[i].staff : INFINITY;
        st->caseload_value = (double)s->stages[i].caseload;
        st->first_capacity = st->first_branch = st->first_dur = st->first_deadline = INFINITY;
    }
    return d;
}

int cs_mdyn_compile(const cs_scenario *s, cs_model *m, cs_error *err)
{
    m->dyn = NULL;
    if (s->n_timelines == 0 && s->n_feedback == 0 && s->n_initial == 0)
        return CS_OK;
    cs_mdyn *d = mdyn_alloc(s);
    if (!d)
        return cs_error_set(err, CS_ENOMEM, "model: out of memory (time and feedback)");
    int rc = compile_timelines(d, s);
    if (rc == CS_OK)
        rc = compile_feedback(d, s, m);
    if (rc == CS_OK)
        rc = compile_initial(d, s);
    if (rc != CS_OK) {
        cs_mdyn_free(d);
        return cs_error_set(err, rc,
                            rc == CS_EINVAL
                                ? "model: a branch number that changes during the run is at a "
                                  "stage whose branches are given per violation kind (`kinds`, "
                                  "or `p` per kind): not supported"
                                : "model: out of memory (time and feedback)");
    }
    d->moving = d->n_tl > 0 || d->n_fb > 0;
    m->dyn = d;
    return CS_OK;
}

/* ----------------------------------------------------- one replicate */

static int rt_stage_init(cs_dyn_stage *ds, const cs_mdyn_stage *md, const cs_model *m, size_t s)
{
    size_t nb = m->stages[s].n_branches, G = m->n_groups, V = m->n_kinds;
    size_t ntab = G * V * 2 * nb;
    ds->next_cap = INFINITY;
    if (!md->p)
        return CS_OK;
    ds->p = cs_xcalloc(nb * G, sizeof *ds->p);
    ds->slope = cs_xcalloc(nb, sizeof *ds->slope);
    ds->uor = cs_xcalloc(nb, sizeof *ds->uor);
    ds->kor = cs_xcalloc(nb * V, sizeof *ds->kor);
    ds->mult = cs_xcalloc(nb * G, sizeof *ds->mult);
    ds->odds = cs_xcalloc(ntab, sizeof *ds->odds);
    ds->cum = cs_xcalloc(ntab, sizeof *ds->cum);
    if (!ds->p || !ds->slope || !ds->uor || !ds->kor || !ds->mult || !ds->odds || !ds->cum)
        return CS_ENOMEM;
    memcpy(ds->p, md->p, nb * G * sizeof *ds->p);
    memcpy(ds->slope, md->slope, nb * sizeof *ds->slope);
    memcpy(ds->uor, md->uor, nb * sizeof *ds->uor);
    memcpy(ds->kor, md->kor, nb * V * sizeof *ds->kor);
    for (size_t i = 0; i < nb * G; i++)
        ds->mult[i] = 1.0;
    return CS_OK;
}

int cs_dyn_rt_init(cs_dyn_rt *rt, const cs_model *m, double *traj, double *signal, size_t n_months)
{
    const cs_mdyn *d = m->dyn;
    memset(rt, 0, sizeof *rt);
    rt->d = d;
    rt->traj = traj;
    rt->signal = signal;
    rt->n_months = n_months;
    rt->next_tick = d->n_fb ? 0.0 : INFINITY;
    for (size_t g = 0; g < CS_MAX_GROUPS; g++) {
        rt->rate_mult[g] = 1.0;
        rt->arr[g].mult = 1.0;
    }
    rt->stage = cs_xcalloc(m->n_stages, sizeof *rt->stage);
    rt->fb = cs_xcalloc(d->n_fb ? d->n_fb : 1, sizeof *rt->fb);
    if (!rt->stage || !rt->fb)
        return CS_ENOMEM;
    for (size_t s = 0; s < m->n_stages; s++)
        if (rt_stage_init(&rt->stage[s], &d->stage[s], m, s) != CS_OK)
            return CS_ENOMEM;
    for (size_t f = 0; f < d->n_fb; f++) {
        rt->fb[f].mult = 1.0;
        rt->fb[f].signal = NAN;
        rt->fb[f].acc = cs_xcalloc(d->fb[f].window, sizeof *rt->fb[f].acc);
        rt->fb[f].wf = cs_xcalloc(d->fb[f].window, sizeof *rt->fb[f].wf);
        if (!rt->fb[f].acc || !rt->fb[f].wf)
            return CS_ENOMEM;
    }
    return CS_OK;
}

void cs_dyn_rt_free(cs_dyn_rt *rt)
{
    for (size_t s = 0; rt->stage && s < rt->d->n_stages; s++) {
        cs_dyn_stage *ds = &rt->stage[s];
        free(ds->p);
        free(ds->slope);
        free(ds->uor);
        free(ds->kor);
        free(ds->mult);
        free(ds->odds);
        free(ds->cum);
    }
    free(rt->stage);
    for (size_t f = 0; rt->fb && f < rt->d->n_fb; f++) {
        free(rt->fb[f].acc);
        free(rt->fb[f].wf);
    }
    free(rt->fb);
    memset(rt, 0, sizeof *rt);
}
