/*
 * feedback.c — trust and deterrence loops inside one replicate
 * (sim/dynamics.h; docs/MODEL.md, "Feedback").
 *
 * The signal of a loop is what the public can see: among the well-founded
 * incidents of its group (or of all groups) whose cases ended in the
 * trailing window, the share that ended with accountability. Cases are
 * counted by the month they ended in, in a ring of `window` months; at the
 * start of month m the window is months m - window .. m - 1. Its
 * multiplier is clamp((signal / reference)^elasticity, min, max). Until the
 * run has lasted one whole window, or while the window holds no ended
 * well-founded case, the multiplier keeps its value (1 at the start: the
 * scenario's figures hold). Updating once a month, inside the replicate,
 * keeps results a function of the replicate alone. With elasticity 0 the
 * multiplier is exactly 1 (pow(x, 0) is 1 for every x), so nothing changes.
 */
#include <math.h>
#include <string.h>

#include "sim/dynamics.h"
#include "sim/model.h"

void cs_fb_case_end(cs_dyn_rt *rt, size_t g, bool well_founded, uint64_t mask)
{
    if (!well_founded)
        return;
    for (size_t f = 0; f < rt->d->n_fb; f++) {
        const cs_mfeedback *fb = &rt->d->fb[f];
        if (fb->group >= 0 && (size_t)fb->group != g)
            continue;
        cs_dyn_fb *x = &rt->fb[f];
        size_t slot = rt->month % fb->window;
        bool acc = (mask & fb->mask) != 0;
        x->acc[slot] += acc;
        x->wf[slot]++;
        x->sum_acc += acc;
        x->sum_wf++;
    }
}

/* Feedback f's multiplier at the start of month `month` (time t). */
static double multiplier(const cs_dyn_rt *rt, size_t f, size_t month, double t, double *signal)
{
    const cs_mfeedback *fb = &rt->d->fb[f];
    const cs_dyn_fb *x = &rt->fb[f];
    *signal = NAN;
    if (month < fb->window || x->sum_wf == 0)
        return x->mult;
    *signal = (double)x->sum_acc / (double)x->sum_wf;
    double el = cs_mdyn_value(rt->d, fb->elasticity_tl, fb->elasticity, t);
    double ref = cs_mdyn_value(rt->d, fb->reference_tl, fb->reference, t);
    double mult = pow(*signal / ref, el);
    if (!(mult >= fb->lo))
        mult = fb->lo; /* also NaN: never, as signal and ref are finite and ref > 0 */
    if (mult > fb->hi)
        mult = fb->hi;
    return mult;
}

/* Every target's product of multipliers, from the loops' current ones. */
static void apply_targets(cs_dyn_rt *rt, const cs_model *m, uint32_t *rates, uint64_t *stages)
{
    size_t G = m->n_groups;
    double rate[CS_MAX_GROUPS];
    for (size_t g = 0; g < G; g++)
        rate[g] = 1.0;
    for (size_t s = 0; s < m->n_stages; s++)
        if (rt->d->stage[s].feedback) {
            size_t n = m->stages[s].n_branches * G;
            double old[CS_MAX_BRANCHES * CS_MAX_GROUPS];
            memcpy(old, rt->stage[s].mult, n * sizeof *old);
            for (size_t i = 0; i < n; i++)
                rt->stage[s].mult[i] = 1.0;
            for (size_t f = 0; f < rt->d->n_fb; f++)
                for (size_t k = 0; k < rt->d->fb[f].n_targets; k++) {
                    const cs_param *p = &rt->d->fb[f].targets[k];
                    if (p->kind == CS_PARAM_P && p->stage == s)
                        rt->stage[s].mult[p->branch * G + p->group] *= rt->fb[f].mult;
                }
            if (memcmp(old, rt->stage[s].mult, n * sizeof *old) != 0)
                *stages |= UINT64_C(1) << s;
        }
    for (size_t f = 0; f < rt->d->n_fb; f++)
        for (size_t k = 0; k < rt->d->fb[f].n_targets; k++)
            if (rt->d->fb[f].targets[k].kind == CS_PARAM_RATE)
                rate[rt->d->fb[f].targets[k].group] *= rt->fb[f].mult;
    for (size_t g = 0; g < G; g++)
        if (rate[g] != rt->rate_mult[g]) {
            rt->rate_mult[g] = rate[g];
            *rates |= UINT32_C(1) << g;
        }
}

void cs_fb_tick(cs_dyn_rt *rt, const cs_model *m, size_t month, uint32_t *rates, uint64_t *stages)
{
    double t = (double)month * m->month_days;
    bool changed = false;
    *rates = 0;
    *stages = 0;
    for (size_t f = 0; f < rt->d->n_fb; f++) {
        cs_dyn_fb *x = &rt->fb[f];
        double signal, mult = multiplier(rt, f, month, t, &signal);
        changed |= mult != x->mult;
        x->mult = mult;
        x->signal = signal;
        if (rt->traj && month < rt->n_months) {
            rt->traj[f * rt->n_months + month] = mult;
            rt->signal[f * rt->n_months + month] = signal;
        }
        /* Month `month` starts: the oldest month of the window leaves. */
        size_t slot = month % rt->d->fb[f].window;
        x->sum_acc -= x->acc[slot];
        x->sum_wf -= x->wf[slot];
        x->acc[slot] = x->wf[slot] = 0;
    }
    rt->month = month;
    rt->next_tick = (double)(month + 1) * m->month_days;
    if (changed)
        apply_targets(rt, m, rates, stages);
}
