/*
 * schedule.c — the numbers of one replicate that follow timelines:
 * arrivals, capacity, branch tables, durations, deadlines and incidents
 * (sim/dynamics.h).
 *
 * Arrivals of a group whose rate moves are a non-homogeneous Poisson
 * process generated exactly by inversion: the n-th arrival is where the
 * integrated rate, counted from the previous arrival, reaches the n-th
 * unit exponential E_n = -ln U_n, U_n from the group's keyed arrival
 * stream. The rate is piecewise linear (its timeline) times a feedback
 * multiplier that changes only at month starts, so the integral is exact:
 * within a constant piece the arrival is t + E / r, within a sloped piece
 * the root of r0 d + k d^2 / 2 = E, d = 2 E / (r0 + sqrt(r0^2 + 2 k E)).
 * Because each arrival consumes one uniform, and a constant piece uses the
 * static engine's formula, two variants whose rates agree until a time draw
 * the same arrivals until then (common random numbers).
 */
#include <math.h>
#include <string.h>

#include "casesim/scenario.h"
#include "sim/dynamics.h"
#include "sim/model.h"

#define CAPACITY_EPS 1e-9        /* as the loader: floor(staff * caseload + 1e-9) */
#define Z_0_9 1.2815515655446004 /* as the loader: 90% quantile of the standard normal */

/* ---- arrivals */

/* The index of the piece of tl in force at t. */
static size_t piece_at(const cs_timeline *tl, double t)
{
    size_t lo = 0, hi = tl->n_pieces;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tl->pieces[mid].start <= t)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Where the integrated rate of group g from t reaches E, under multiplier
 * mult; INFINITY if not before the end. */
static double walk(const cs_model *m, size_t g, double t, double E, double mult)
{
    const cs_mdyn *d = m->dyn;
    double t_end = m->t_end;
    if (d->rate_tl[g] == CS_NO_TL) {
        double r = m->rate_per_day[g] * mult;
        double x = r > 0.0 ? t + E / r : INFINITY;
        return x < t_end ? x : INFINITY;
    }
    const cs_timeline *tl = &d->tl[d->rate_tl[g]];
    for (size_t i = piece_at(tl, t); t < t_end; i++) {
        const cs_piece *p = &tl->pieces[i];
        double end = i + 1 < tl->n_pieces ? tl->pieces[i + 1].start : t_end;
        if (end > t_end)
            end = t_end;
        double v = p->slope == 0.0 ? p->value : p->value + p->slope * (t - p->anchor);
        double r0 = v * mult / CS_DAYS_PER_YEAR, k = p->slope * mult / CS_DAYS_PER_YEAR;
        if (k == 0.0) {
            double x = r0 > 0.0 ? t + E / r0 : INFINITY;
            if (x < end)
                return x;
            E -= r0 * (end - t);
        } else {
            double len = end - t, h = r0 * len + 0.5 * k * len * len;
            if (h >= E) {
                double disc = r0 * r0 + 2.0 * k * E;
                double x = t + 2.0 * E / (r0 + sqrt(disc > 0.0 ? disc : 0.0));
                return x < end ? x : end;
            }
            E -= h;
        }
        t = end;
    }
    return INFINITY;
}

/* The integral of group g's rate over [a, b) under multiplier mult. */
static double integral(const cs_model *m, size_t g, double a, double b, double mult)
{
    const cs_mdyn *d = m->dyn;
    if (!(b > a))
        return 0.0;
    if (d->rate_tl[g] == CS_NO_TL)
        return m->rate_per_day[g] * mult * (b - a);
    const cs_timeline *tl = &d->tl[d->rate_tl[g]];
    double h = 0.0;
    for (size_t i = piece_at(tl, a); a < b; i++) {
        const cs_piece *p = &tl->pieces[i];
        double end =
            i + 1 < tl->n_pieces && tl->pieces[i + 1].start < b ? tl->pieces[i + 1].start : b;
        double va = p->value + p->slope * (a - p->anchor),
               vb = p->value + p->slope * (end - p->anchor);
        h += 0.5 * (va + vb) * mult / CS_DAYS_PER_YEAR * (end - a);
        a = end;
    }
    return h;
}

double cs_dyn_arrival_time(cs_dyn_rt *rt, const cs_model *m, size_t g, double after, double E)
{
    cs_dyn_arrival *a = &rt->arr[g];
    a->t_from = after;
    a->hazard = E;
    a->mult = rt->rate_mult[g];
    return walk(m, g, after, E, a->mult);
}

double cs_dyn_arrival_retime(cs_dyn_rt *rt, const cs_model *m, size_t g, double t, double new_mult)
{
    cs_dyn_arrival *a = &rt->arr[g];
    double rest = a->hazard - integral(m, g, a->t_from, t, a->mult);
    a->t_from = t;
    a->hazard = rest > 0.0 ? rest : 0.0;
    a->mult = new_mult;
    return walk(m, g, t, a->hazard, new_mult);
}

/* ---- capacity */

void cs_dyn_capacity(const cs_dyn_rt *rt, const cs_model *m, size_t s, double t, uint64_t *cap,
                     bool *staffed)
{
    const cs_mdyn_stage *md = &rt->d->stage[s];
    double staff = cs_mdyn_value(rt->d, md->staff, md->staff_value, t);
    double load = cs_mdyn_value(rt->d, md->caseload, md->caseload_value, t);
    (void)m;
    *staffed = isfinite(staff);
    double c = *staffed ? floor(staff * load + CAPACITY_EPS) : 0.0;
    *cap = c > 0.0 ? (uint64_t)c : 0;
}

double cs_dyn_capacity_next(const cs_dyn_rt *rt, const cs_model *m, size_t s, double t)
{
    const cs_mdyn_stage *md = &rt->d->stage[s];
    if (md->staff == CS_NO_TL)
        return INFINITY; /* caseload moves in steps: at breaks */
    const cs_timeline *tl = &rt->d->tl[md->staff];
    size_t i = piece_at(tl, t);
    const cs_piece *p = &tl->pieces[i];
    if (p->slope == 0.0 || !isfinite(p->value))
        return INFINITY;
    double load = cs_mdyn_value(rt->d, md->caseload, md->caseload_value, t);
    double now = floor((p->value + p->slope * (t - p->anchor)) * load + CAPACITY_EPS);
    double target = p->slope > 0.0 ? now + 1.0 : now;
    double x = p->anchor + ((target - CAPACITY_EPS) / load - p->value) / p->slope;
    if (!(x > t))
        x = nextafter(t, INFINITY);
    double end = i + 1 < tl->n_pieces ? tl->pieces[i + 1].start : m->t_end;
    return x < end ? x : INFINITY;
}

/* ---- branch tables */

/* The odds (reference: 1) of each branch of stage s for (g, k, merit) from
 * its current numbers, as model.c compiles them, times the feedback
 * multipliers. */
static void odds_row(const cs_dyn_stage *ds, const cs_model *m, size_t s, size_t g, size_t k,
                     int merit, double *odds)
{
    const cs_mstage *ms = &m->stages[s];
    size_t nb = ms->n_branches, G = m->n_groups, V = m->n_kinds;
    /* A stage whose branches move has no branch for some kinds only
     * (dynamics_model.c): the kind's reference is every kind's. */
    size_t ref = m->reference[s * V + k];
    double p_ref = 1.0;
    for (size_t b = 0; b < nb; b++)
        if (b != ref)
            p_ref -= ds->p[b * G + g];
    for (size_t b = 0; b < nb; b++) {
        double o = 1.0;
        if (b != ref) {
            o = ds->p[b * G + g] / p_ref * ds->kor[b * V + k];
            if (merit == 0)
                o *= ds->uor[b];
            o *= ds->mult[b * G + g];
        }
        odds[b] = o;
    }
}

/* Stage s's tables from its current numbers. */
static void rebuild(cs_dyn_stage *ds, const cs_model *m, size_t s)
{
    size_t nb = m->stages[s].n_branches, V = m->n_kinds;
    for (size_t g = 0; g < m->n_groups; g++)
        for (size_t k = 0; k < V; k++)
            for (int merit = 0; merit < 2; merit++) {
                size_t off = ((g * V + k) * 2 + (size_t)merit) * nb;
                double *odds = &ds->odds[off], *cum = &ds->cum[off], total = 0.0, acc = 0.0;
                odds_row(ds, m, s, g, k, merit, odds);
                for (size_t b = 0; b < nb; b++)
                    total += odds[b];
                for (size_t b = 0; b < nb; b++) {
                    acc += odds[b] / total;
                    cum[b] = acc;
                }
                cum[nb - 1] = 1.0;
            }
    ds->own = true;
}

/* Current value of a branch number: its timeline at t, else static. Sets
 * *sloped if it moves linearly at t. */
static double branch_number(const cs_mdyn *d, int32_t tl, double fallback, double t, bool *sloped)
{
    if (tl == CS_NO_TL)
        return fallback;
    const cs_timeline *x = &d->tl[tl];
    const cs_piece *p = &x->pieces[piece_at(x, t)];
    *sloped |= p->slope != 0.0;
    return p->slope == 0.0 ? p->value : p->value + p->slope * (t - p->anchor);
}

/* Brings stage s's numbers to t; true if one moves linearly at t. */
static bool refresh(cs_dyn_stage *ds, const cs_mdyn *d, const cs_model *m, size_t s, double t)
{
    const cs_mdyn_stage *md = &d->stage[s];
    size_t nb = m->stages[s].n_branches, G = m->n_groups, V = m->n_kinds;
    bool sloped = false;
    if (!md->branch_moves)
        return false;
    ds->has_slope = false;
    for (size_t b = 0; b < nb; b++) {
        for (size_t g = 0; g < G; g++)
            ds->p[b * G + g] = branch_number(d, md->p_tl[b * G + g], md->p[b * G + g], t, &sloped);
        for (size_t k = 0; k < V; k++)
            ds->kor[b * V + k] =
                branch_number(d, md->kor_tl[b * V + k], md->kor[b * V + k], t, &sloped);
        ds->uor[b] = branch_number(d, md->uor_tl[b], md->uor[b], t, &sloped);
        ds->slope[b] = branch_number(d, md->slope_tl[b], md->slope[b], t, &sloped);
        ds->has_slope |= ds->slope[b] != 0.0;
    }
    return sloped;
}

void cs_dyn_stage_update(cs_dyn_rt *rt, const cs_model *m, size_t s, double t)
{
    cs_dyn_stage *ds = &rt->stage[s];
    if (!ds->p)
        return;
    if (!rt->d->stage[s].branch_moves)
        ds->has_slope = m->stages[s].has_slope;
    ds->live = refresh(ds, rt->d, m, s, t);
    if (!ds->live)
        rebuild(ds, m, s);
}

size_t cs_dyn_choose_live(cs_dyn_rt *rt, const cs_model *m, size_t s, double t, size_t g, size_t k,
                          int wf, double evidence, double u)
{
    cs_dyn_stage *ds = &rt->stage[s];
    const cs_mstage *ms = &m->stages[s];
    refresh(ds, rt->d, m, s, t);
    double odds[CS_MAX_BRANCHES], total = 0.0, acc = 0.0;
    odds_row(ds, m, s, g, k, wf, odds);
    for (size_t b = 0; b < ms->n_branches; b++) {
        if (ds->slope[b] != 0.0)
            odds[b] *= exp(ds->slope[b] * (evidence - 0.5));
        total += odds[b];
    }
    double target = u * total;
    for (size_t b = 0; b + 1 < ms->n_branches; b++) {
        acc += odds[b];
        if (target < acc)
            return ms->branch0 + b;
    }
    return ms->branch0 + ms->n_branches - 1;
}

/* ---- durations, deadlines, incidents */

void cs_dyn_duration(const cs_dyn_rt *rt, const cs_model *m, size_t s, double t, double *a,
                     double *b)
{
    const cs_mdyn_stage *md = &rt->d->stage[s];
    /* A moving duration is one law for every case (params.c): the stage's
     * first case entry holds it. */
    const cs_mcase *ms = &m->cases[m->stages[s].case0];
    double w0 = cs_mdyn_value(rt->d, md->dur[0], ms->dur_a, t);
    double w1 = cs_mdyn_value(rt->d, md->dur[1], ms->dur_b, t);
    *a = w0;
    *b = w1;
    switch (ms->dur) {
    case CS_DUR_GAMMA: /* {mean, cv}: shape 1/cv^2, scale mean cv^2 */
        *a = 1.0 / (w1 * w1);
        *b = w0 * w1 * w1;
        break;
    case CS_DUR_LOGNORMAL:
        if (md->dur_mean_cv) {
            double s2 = log1p(w1 * w1);
            *b = sqrt(s2);
            *a = log(w0) - s2 / 2;
        } else {
            *a = log(w0);
            *b = log(w1 / w0) / Z_0_9;
        }
        break;
    case CS_DUR_WEIBULL: /* written {shape, scale}; GSL takes (scale, shape) */
        *a = w1;
        *b = w0;
        break;
    default:
        break;
    }
}

double cs_dyn_deadline(const cs_dyn_rt *rt, const cs_model *m, size_t s, double t)
{
    const cs_mcase *mc = &m->cases[m->stages[s].case0]; /* one deadline for every case */
    return cs_mdyn_value(rt->d, rt->d->stage[s].deadline, mc->deadline_days, t);
}

size_t cs_dyn_kind(const cs_model *m, size_t g, double t, double u)
{
    const cs_mdyn *d = m->dyn;
    size_t G = m->n_groups, last = 0;
    double acc = 0.0;
    for (size_t k = 0; k < m->n_kinds; k++) {
        double sh = cs_mdyn_value(d, d->share_tl[k * G + g], d->share[k * G + g], t);
        if (sh > 0.0)
            last = k;
        acc += sh;
        if (sh > 0.0 && u < acc)
            return k;
    }
    return last; /* rounding: the last kind with a share */
}

double cs_dyn_well_founded(const cs_model *m, size_t k, double t)
{
    return cs_mdyn_value(m->dyn, m->dyn->wf_tl[k], m->well_founded[k], t);
}

void cs_dyn_beta(const cs_model *m, int wf, double t, double *a, double *b)
{
    *a = cs_mdyn_value(m->dyn, m->dyn->beta_tl[wf][0], m->beta_a[wf], t);
    *b = cs_mdyn_value(m->dyn, m->dyn->beta_tl[wf][1], m->beta_b[wf], t);
}
