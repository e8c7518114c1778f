/*
 * model.c — cs_model_compile: one variant's scenario flattened into the tables
 * the engine's hot loop reads (see sim/model.h), so that a branch choice
 * is a table lookup (plus one exp per branch where an evidence slope is
 * given) and no decision re-derives a probability from the scenario.
 *
 * It also re-checks the few structural facts the engine relies on and that
 * would make it loop or index out of range if a scenario broke them (the
 * loader enforces them too): targets in range, one reference branch with
 * p_ref > 0, and no stage with max_visits 1 on a cycle (scenario/graph.h,
 * the loader's own check). The model copies what it needs (its dimensions,
 * the stage names for messages): it keeps no pointer to the scenario.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/engine.h"
#include "core/alloc.h"
#include "scenario/graph.h"
#include "sim/dynamics.h"
#include "sim/model.h"

void cs_model_set_tallies(cs_model *m, unsigned which)
{
    m->tallies = which & (CS_TALLY_DURATIONS | CS_TALLY_KINDS);
}

void cs_model_free(cs_model *m)
{
    if (!m)
        return;
    free(m->rate_per_day);
    free(m->kind_cum);
    free(m->well_founded);
    free(m->kind_rank);
    free(m->stages);
    free(m->cases);
    free(m->reference);
    free(m->last_open);
    free(m->slope);
    free(m->n_to);
    free(m->to0);
    free(m->targets);
    free(m->odds);
    free(m->cum);
    free(m->category_mask);
    cs_mdyn_free(m->dyn);
    for (size_t i = 0; m->stage_names && i < m->n_stages; i++)
        free(m->stage_names[i]);
    free(m->stage_names);
    free(m);
}

static int check_structure(const cs_scenario *s, cs_error *err)
{
    if (s->n_groups == 0 || s->n_groups > CS_MAX_GROUPS)
        return cs_error_set(err, CS_EINVAL, "model: %zu groups (1 to %d allowed)", s->n_groups,
                            CS_MAX_GROUPS);
    if (s->n_violations == 0 || s->n_violations > CS_MAX_VIOLATIONS)
        return cs_error_set(err, CS_EINVAL, "model: %zu violation kinds (1 to %d allowed)",
                            s->n_violations, CS_MAX_VIOLATIONS);
    if (s->n_stages == 0 || s->n_stages > CS_MAX_STAGES || s->entry_stage >= s->n_stages)
        return cs_error_set(err, CS_EINVAL, "model: bad stage count or entry stage");
    if (s->n_outcomes == 0 || s->n_outcomes > CS_MAX_OUTCOMES)
        return cs_error_set(err, CS_EINVAL, "model: %zu outcomes (1 to %d allowed)", s->n_outcomes,
                            CS_MAX_OUTCOMES);
    for (size_t i = 0; i < s->n_stages; i++) {
        const cs_stage *st = &s->stages[i];
        if (st->n_branches == 0 || st->n_branches > CS_MAX_BRANCHES)
            return cs_error_set(err, CS_EINVAL, "model: stage %s: bad branches", st->name);
        for (size_t k = 0; k < s->n_violations; k++)
            if (st->reference[k] >= st->n_branches ||
                !st->branches[st->reference[k]].is_reference ||
                !(st->branches[st->reference[k]].kinds & (UINT32_C(1) << k)))
                return cs_error_set(err, CS_EINVAL, "model: stage %s: bad reference branch",
                                    st->name);
        if (st->max_visits < 1 || st->max_visits > CS_MAX_VISITS)
            return cs_error_set(err, CS_EINVAL, "model: stage %s: max_visits %u out of range",
                                st->name, st->max_visits);
        for (size_t c = 0; c < s->n_violations * s->n_groups; c++)
            if (st->deadlines[c].on && st->deadlines[c].outcome >= s->n_outcomes)
                return cs_error_set(err, CS_EINVAL, "model: stage %s: bad deadline outcome",
                                    st->name);
        for (size_t b = 0; b < st->n_branches; b++) {
            const cs_branch *br = &st->branches[b];
            if (br->n_to == 0 || br->n_to > CS_MAX_FORK)
                return cs_error_set(err, CS_EINVAL, "model: stage %s: branch %zu has %zu targets",
                                    st->name, b, br->n_to);
            for (size_t j = 0; j < br->n_to; j++)
                if (br->to[j].index >= (br->to[j].is_stage ? s->n_stages : s->n_outcomes))
                    return cs_error_set(err, CS_EINVAL, "model: stage %s: target out of range",
                                        st->name);
        }
    }
    for (size_t o = 0; o < s->n_outcomes; o++)
        if (s->outcomes[o].category >= (int)s->n_categories)
            return cs_error_set(err, CS_EINVAL, "model: outcome %s: bad category",
                                s->outcomes[o].name);
    /* A stage on a cycle that may be visited only once would make the
     * engine loop (the loader's rule, checked by the same function). */
    size_t on_cycle = 0;
    if (cs_stage_cycle_unbounded(s, &on_cycle))
        return cs_error_set(err, CS_EINVAL, "model: stage %s is on a cycle but has max_visits 1",
                            s->stages[on_cycle].name);
    return CS_OK;
}

/* Canonical duration parameters into the ones the engine's sampler takes. */
static int compile_duration(const cs_stage *st, const cs_duration *d, cs_mcase *ms, cs_error *err)
{
    ms->dur = d->kind;
    ms->dur_a = d->a;
    ms->dur_b = d->b;
    bool ok = true;
    switch (d->kind) {
    case CS_DUR_NONE:
        break;
    case CS_DUR_FIXED:
    case CS_DUR_EXPONENTIAL:
        ok = isfinite(d->a) && d->a >= 0;
        break;
    case CS_DUR_GAMMA:
    case CS_DUR_WEIBULL:
        ok = isfinite(d->a) && isfinite(d->b) && d->a > 0 && d->b > 0;
        break;
    case CS_DUR_LOGNORMAL:
        ok = isfinite(d->a) && isfinite(d->b) && d->b >= 0;
        break;
    case CS_DUR_UNIFORM:
        ok = isfinite(d->a) && isfinite(d->b) && d->a >= 0 && d->b >= d->a;
        break;
    default:
        ok = false;
    }
    if (!ok)
        return cs_error_set(err, CS_EINVAL, "model: stage %s: invalid duration parameters",
                            st->name);
    if (d->kind == CS_DUR_WEIBULL) {
        /* gsl_ran_weibull(r, a = scale, b = shape); the scenario has a = shape, b = scale. */
        ms->dur_a = d->b;
        ms->dur_b = d->a;
    }
    return CS_OK;
}

/* The odds and cumulative probabilities of stage i for a case of group g,
 * kind k and merit (0 unfounded, 1 well-founded), with p_ref the
 * probability of kind k's reference branch. Branches that do not apply to
 * kind k get odds 0, and every cumulative value from the last branch that
 * applies on is 1, so that no uniform in [0, 1) can land on a branch closed
 * to the kind. */
static int fill_table(const cs_scenario *s, size_t i, size_t g, size_t k, int merit, double p_ref,
                      double *odds, double *cum, cs_error *err)
{
    const cs_stage *st = &s->stages[i];
    size_t nb = st->n_branches, last = 0;
    double total = 0.0;
    for (size_t b = 0; b < nb; b++) {
        const cs_branch *br = &st->branches[b];
        bool open = (br->kinds & (UINT32_C(1) << k)) != 0;
        double o = open ? 1.0 : 0.0;
        if (open && b != st->reference[k]) {
            o = cs_branch_p(s, br, k, g) / p_ref * br->kind_odds_ratio[k];
            if (merit == 0)
                o *= br->unfounded_odds_ratio;
        }
        if (!(o >= 0.0) || !isfinite(o))
            return cs_error_set(err, CS_EINVAL, "model: stage %s: invalid odds", st->name);
        odds[b] = o;
        total += o;
        last = open ? b : last;
    }
    double acc = 0.0;
    for (size_t b = 0; b < nb; b++) {
        acc += odds[b] / total;
        cum[b] = acc;
    }
    for (size_t b = last; b < nb; b++)
        cum[b] = 1.0; /* absorb rounding: a uniform in [0,1) always lands on an open branch */
    return CS_OK;
}

/* Fills the odds and cumulative-probability tables of stage i, and each
 * kind's reference and last open branch. */
static int compile_branch_tables(const cs_scenario *s, size_t i, cs_model *m, cs_error *err)
{
    const cs_stage *st = &s->stages[i];
    const cs_mstage *ms = &m->stages[i];
    size_t nb = st->n_branches, V = s->n_violations;
    for (size_t k = 0; k < V; k++) {
        m->reference[i * V + k] = (uint8_t)st->reference[k];
        for (size_t b = 0; b < nb; b++)
            if (st->branches[b].kinds & (UINT32_C(1) << k))
                m->last_open[i * V + k] = (uint8_t)b;
    }
    for (size_t g = 0; g < s->n_groups; g++)
        for (size_t k = 0; k < V; k++) {
            double p_ref = 1.0;
            for (size_t b = 0; b < nb; b++)
                if (b != st->reference[k] && (st->branches[b].kinds & (UINT32_C(1) << k)))
                    p_ref -= cs_branch_p(s, &st->branches[b], k, g);
            if (!(p_ref > 0.0))
                return cs_error_set(err, CS_EINVAL,
                                    "model: stage %s: branch probabilities for group %s, kind %s "
                                    "leave no room for the reference branch",
                                    st->name, s->groups[g].name, s->violations[k].name);
            for (int merit = 0; merit < 2; merit++) {
                size_t at = ms->table0 + ((g * V + k) * 2 + (size_t)merit) * nb;
                int rc = fill_table(s, i, g, k, merit, p_ref, &m->odds[at], &m->cum[at], err);
                if (rc != CS_OK)
                    return rc;
            }
        }
    return CS_OK;
}

/* The strides of stage st's per-case table (see cs_mstage) for G groups
 * and V kinds; returns its number of entries. */
static size_t case_shape(const cs_stage *st, size_t G, size_t V, uint32_t *cg, uint32_t *ck)
{
    bool by_g = st->duration_by == CS_BY_GROUP || st->duration_by == CS_BY_KIND_GROUP ||
                st->deadline_by == CS_BY_GROUP || st->deadline_by == CS_BY_KIND_GROUP;
    bool by_k = st->duration_by == CS_BY_KIND || st->duration_by == CS_BY_KIND_GROUP ||
                st->deadline_by == CS_BY_KIND || st->deadline_by == CS_BY_KIND_GROUP;
    *ck = by_k ? 1 : 0;
    *cg = by_g ? (uint32_t)(by_k ? V : 1) : 0;
    return (by_g ? G : 1) * (by_k ? V : 1);
}

/* A model with every table allocated (zeroed) for scenario s, or NULL. */
static cs_model *model_alloc(const cs_scenario *s)
{
    cs_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    size_t G = s->n_groups, V = s->n_violations, S = s->n_stages;
    m->n_groups = G;
    m->n_kinds = V;
    m->n_stages = S;
    m->n_outcomes = s->n_outcomes;
    m->n_categories = s->n_categories;
    m->entry_stage = s->entry_stage;
    size_t nbt = 0, ntt = 0, ntab = 0, ncase = 0;
    for (size_t i = 0; i < S; i++) {
        uint32_t cg, ck;
        ncase += case_shape(&s->stages[i], G, V, &cg, &ck);
        nbt += s->stages[i].n_branches;
        for (size_t b = 0; b < s->stages[i].n_branches; b++)
            ntt += s->stages[i].branches[b].n_to;
        ntab += G * V * 2 * s->stages[i].n_branches; /* <= 16*32*2*16*64: no overflow */
    }
    m->n_branches_total = nbt;
    m->rate_per_day = cs_xcalloc(G, sizeof *m->rate_per_day);
    m->kind_cum = cs_xcalloc(G * V, sizeof *m->kind_cum);
    m->well_founded = cs_xcalloc(V, sizeof *m->well_founded);
    m->kind_rank = cs_xcalloc(V, sizeof *m->kind_rank);
    m->stages = cs_xcalloc(S, sizeof *m->stages);
    m->cases = cs_xcalloc(ncase, sizeof *m->cases);
    m->reference = cs_xcalloc(S * V, sizeof *m->reference);
    m->last_open = cs_xcalloc(S * V, sizeof *m->last_open);
    m->category_mask = cs_xcalloc(s->n_categories, sizeof *m->category_mask);
    m->slope = cs_xcalloc(nbt, sizeof *m->slope);
    m->n_to = cs_xcalloc(nbt, sizeof *m->n_to);
    m->to0 = cs_xcalloc(nbt, sizeof *m->to0);
    m->targets = cs_xcalloc(ntt, sizeof *m->targets);
    m->odds = cs_xcalloc(ntab, sizeof *m->odds);
    m->cum = cs_xcalloc(ntab, sizeof *m->cum);
    m->stage_names = cs_xcalloc(S, sizeof *m->stage_names);
    bool ok = m->rate_per_day && m->kind_cum && m->well_founded && m->kind_rank && m->stages &&
              m->cases && m->reference && m->last_open && m->category_mask && m->slope && m->n_to &&
              m->to0 && m->targets && m->odds && m->cum && m->stage_names;
    for (size_t i = 0; ok && i < S; i++)
        ok = (m->stage_names[i] = cs_xstrdup(s->stages[i].name)) != NULL;
    if (!ok) {
        cs_model_free(m);
        return NULL;
    }
    return m;
}

/* The run's time window, in days, and the shapes of its results. */
static int compile_time(const cs_scenario *s, cs_model *m, cs_error *err)
{
    m->year_days = CS_DAYS_PER_YEAR;
    m->month_days = CS_DAYS_PER_YEAR / 12.0;
    m->t_warmup = s->warmup_years * CS_DAYS_PER_YEAR;
    m->t_cohort_end = (s->warmup_years + s->cohort_years) * CS_DAYS_PER_YEAR;
    m->t_end = (s->warmup_years + s->cohort_years + s->follow_up_years) * CS_DAYS_PER_YEAR;
    if (!(m->t_end > 0.0) || !isfinite(m->t_end) || !(s->cohort_years >= 0.0))
        return cs_error_set(err, CS_EINVAL, "model: the run must last a positive time");
    cs_result_dims_of(s, &m->dims);
    return CS_OK;
}

/* Group g's arrival rate and cumulative kind shares. */
static int compile_group(const cs_scenario *s, size_t g, cs_model *m, cs_error *err)
{
    size_t V = m->n_kinds;
    double rate = s->groups[g].incidents_per_year;
    if (!(rate >= 0.0) || !isfinite(rate))
        return cs_error_set(err, CS_EINVAL, "model: group %s: invalid rate", s->groups[g].name);
    m->rate_per_day[g] = rate / CS_DAYS_PER_YEAR;
    double acc = 0.0;
    for (size_t k = 0; k < V; k++) {
        acc += s->violations[k].share[g];
        m->kind_cum[g * V + k] = acc;
    }
    /* The loader checks the shares sum to 1 within 1e-9; make the last
     * cumulative value exactly 1 so that a uniform draw always lands, and
     * trailing kinds with share 0 can never be drawn. */
    for (size_t k = V; k-- > 0;) {
        m->kind_cum[g * V + k] = 1.0;
        if (s->violations[k].share[g] > 0.0)
            break;
    }
    return CS_OK;
}

/* Incidents: rates, kinds, well-foundedness, queue ranks, evidence. */
static int compile_incidents(const cs_scenario *s, cs_model *m, cs_error *err)
{
    size_t V = m->n_kinds;
    for (size_t g = 0; g < m->n_groups; g++) {
        int rc = compile_group(s, g, m, err);
        if (rc != CS_OK)
            return rc;
    }
    for (size_t k = 0; k < V; k++)
        m->well_founded[k] = s->violations[k].well_founded;
    /* Priority ranks: the number of distinct priorities smaller than this one. */
    for (size_t k = 0; k < V; k++) {
        uint32_t rank = 0;
        for (size_t j = 0; j < V; j++) {
            bool smaller_new = s->violations[j].priority < s->violations[k].priority;
            for (size_t l = 0; l < j && smaller_new; l++)
                if (s->violations[l].priority == s->violations[j].priority)
                    smaller_new = false;
            rank += smaller_new;
        }
        m->kind_rank[k] = (uint8_t)rank;
        if (rank + 1 > m->n_ranks)
            m->n_ranks = rank + 1;
    }
    m->beta_a[0] = s->evidence.unfounded_a;
    m->beta_b[0] = s->evidence.unfounded_b;
    m->beta_a[1] = s->evidence.well_founded_a;
    m->beta_b[1] = s->evidence.well_founded_b;
    for (int i = 0; i < 2; i++)
        if (!(m->beta_a[i] > 0.0) || !(m->beta_b[i] > 0.0) || !isfinite(m->beta_a[i]) ||
            !isfinite(m->beta_b[i]))
            return cs_error_set(err, CS_EINVAL, "model: invalid evidence Beta parameters");
    return CS_OK;
}

/* Stage i's per-case table (durations and deadlines) from entry *ci on
 * (advanced past it). */
static int compile_cases(const cs_scenario *s, size_t i, cs_model *m, size_t *ci, cs_error *err)
{
    const cs_stage *st = &s->stages[i];
    cs_mstage *ms = &m->stages[i];
    size_t n = case_shape(st, m->n_groups, m->n_kinds, &ms->case_g, &ms->case_k);
    ms->case0 = *ci;
    ms->has_deadline = st->has_deadline;
    for (size_t g = 0; g < m->n_groups; g++)
        for (size_t k = 0; k < m->n_kinds; k++) {
            cs_mcase *mc = &m->cases[ms->case0 + g * ms->case_g + k * ms->case_k];
            const cs_deadline *d = cs_stage_deadline(s, st, k, g);
            if (d->on && (!(d->days >= 0.0) || isnan(d->days)))
                return cs_error_set(err, CS_EINVAL, "model: stage %s: invalid deadline", st->name);
            mc->has_deadline = d->on;
            mc->deadline_from_stage = d->on && d->from == CS_FROM_STAGE;
            mc->deadline_days = d->on ? d->days : 0.0;
            mc->deadline_outcome = (int32_t)d->outcome;
            int rc = compile_duration(st, cs_stage_duration(s, st, k, g), mc, err);
            if (rc != CS_OK)
                return rc;
        }
    *ci += n;
    return CS_OK;
}

/* Stage i's capacity, visits and queue, and its branches' slopes and
 * targets from *bi and *ti on (advanced past them). */
static int compile_stage(const cs_scenario *s, size_t i, cs_model *m, size_t *bi, size_t *ti,
                         cs_error *err)
{
    const cs_stage *st = &s->stages[i];
    cs_mstage *ms = &m->stages[i];
    ms->has_capacity = st->has_staff;
    ms->capacity = st->capacity;
    ms->max_visits = st->max_visits;
    ms->visit_slot = st->max_visits > 1 ? (int32_t)m->n_visit_slots++ : -1;
    ms->priority = st->queue == CS_QUEUE_PRIORITY;
    ms->n_branches = (uint32_t)st->n_branches;
    ms->branch0 = *bi;
    for (size_t b = 0; b < st->n_branches; b++, (*bi)++) {
        const cs_branch *br = &st->branches[b];
        m->slope[*bi] = br->is_reference ? 0.0 : br->evidence_slope;
        if (!isfinite(m->slope[*bi]))
            return cs_error_set(err, CS_EINVAL, "model: stage %s: invalid evidence slope",
                                st->name);
        ms->has_slope |= m->slope[*bi] != 0.0;
        m->n_to[*bi] = (uint32_t)br->n_to;
        m->to0[*bi] = *ti;
        for (size_t j = 0; j < br->n_to; j++, (*ti)++)
            m->targets[*ti] =
                br->to[j].is_stage ? (cs_mtarget)br->to[j].index : -(cs_mtarget)br->to[j].index - 1;
    }
    return CS_OK;
}

/* Every stage: its flat description, then its branch tables. */
static int compile_stages(const cs_scenario *s, cs_model *m, cs_error *err)
{
    size_t bi = 0, ti = 0, tab = 0, ci = 0;
    for (size_t i = 0; i < m->n_stages; i++) {
        m->stages[i].table0 = tab;
        int rc = compile_stage(s, i, m, &bi, &ti, err);
        if (rc == CS_OK)
            rc = compile_cases(s, i, m, &ci, err);
        if (rc == CS_OK)
            rc = compile_branch_tables(s, i, m, err);
        if (rc != CS_OK)
            return rc;
        tab += m->n_groups * m->n_kinds * 2 * s->stages[i].n_branches;
    }
    return CS_OK;
}

/* The outcomes' accountability, category and redress bit masks. */
static void compile_outcomes(const cs_scenario *s, cs_model *m)
{
    for (size_t o = 0; o < s->n_outcomes; o++) {
        if (s->outcomes[o].category >= 0) {
            m->accountability_mask |= UINT64_C(1) << o;
            m->category_mask[s->outcomes[o].category] |= UINT64_C(1) << o;
        }
        if (s->outcomes[o].redress)
            m->redress_mask |= UINT64_C(1) << o;
    }
}

int cs_model_compile(const cs_scenario *s, cs_model **out, cs_error *err)
{
    *out = NULL;
    cs_model *m = NULL;
    int rc = check_structure(s, err);
    if (rc != CS_OK)
        return rc;
    m = model_alloc(s);
    if (!m)
        return cs_error_set(err, CS_ENOMEM, "out of memory compiling the model");
    rc = compile_time(s, m, err);
    if (rc == CS_OK)
        rc = compile_incidents(s, m, err);
    if (rc == CS_OK)
        rc = compile_stages(s, m, err);
    if (rc != CS_OK)
        goto fail;
    compile_outcomes(s, m);
    rc = cs_mdyn_compile(s, m, err);
    if (rc != CS_OK)
        goto fail;
    *out = m;
    return CS_OK;
fail:
    cs_model_free(m);
    return rc;
}
