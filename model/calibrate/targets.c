/*
 * calibrate/targets.c — a target's simulated figure from a replicate's
 * results, and its likelihood (casesim/calibrate.h).
 */
#include <math.h>

#include "casesim/calibrate.h"

/* Tracks of group row g (n_groups: all) counted by event e of target t in
 * result r: in the target's years, or over the cohort. */
static double count_of(const cs_scenario *s, const cs_target_spec *t, const cs_target_event *e,
                       size_t g, const cs_replicate_result *r)
{
    size_t width = e->is_outcome ? s->n_outcomes : s->n_stages;
    if (t->kind == CS_TARGET_COHORT_SHARE) {
        const int64_t *a = e->is_outcome ? r->cohort_outcomes_by_delay : r->cohort_entries_by_delay;
        size_t nd = r->dims.n_delay_years;
        int64_t sum = 0;
        for (size_t y = 0; y < t->within_years && y < nd; y++)
            sum += a[(g * width + e->index) * nd + y];
        return (double)sum;
    }
    if (!t->has_period) {
        const int64_t *a = e->is_outcome ? r->outcome_counts : r->stage_entries;
        return (double)a[g * width + e->index];
    }
    const int64_t *a = e->is_outcome ? r->period_outcomes_by_group : r->period_entries_by_group;
    size_t ny = r->dims.n_years;
    int64_t sum = 0;
    for (size_t y = t->first_year; y < t->first_year + t->n_years; y++)
        sum += a[(g * ny + y) * width + e->index];
    return (double)sum;
}

void cs_target_accumulate(const cs_scenario *s, const cs_target_spec *t,
                          const cs_replicate_result *r, double sums[CS_TARGET_SUMS])
{
    size_t g = t->group < 0 ? s->n_groups : (size_t)t->group;
    sums[0] += count_of(s, t, &t->num, g, r);
    if (t->kind == CS_TARGET_COUNT)
        return;
    sums[1] += count_of(s, t, &t->den, g, r);
    if (t->kind == CS_TARGET_RATIO) {
        sums[2] += count_of(s, t, &t->num, 0, r);
        sums[3] += count_of(s, t, &t->den, 0, r);
    }
}

bool cs_target_simulated(const cs_target_spec *t, const double sums[CS_TARGET_SUMS], double K,
                         cs_calib_simulated *out)
{
    double x = sums[0], n = sums[1];
    if (t->kind == CS_TARGET_COUNT) {
        *out = (cs_calib_simulated){.value = x, .n = K, .se = 0.0};
        return true;
    }
    if (!(n > 0.0) || x > n)
        return false;
    bool share = t->kind == CS_TARGET_SHARE || t->kind == CS_TARGET_COHORT_SHARE;
    if (share && t->like.family == CS_CALIB_NORMAL) {
        double p = x / n;
        *out = (cs_calib_simulated){.value = p, .n = n, .se = sqrt(p * (1.0 - p) / n)};
        return true;
    }
    if (share) {
        *out = (cs_calib_simulated){.value = x, .n = n, .se = 0.0};
        return true;
    }
    double x2 = sums[2], n2 = sums[3];
    if (!(n2 > 0.0) || !(x2 > 0.0) || x2 > n2)
        return false;
    *out = (cs_calib_simulated){
        .value = (x / n) / (x2 / n2), .n = n, .se = cs_calib_log_ratio_se(x, n, x2, n2)};
    return true;
}

double cs_target_loglik(const cs_target_spec *t, const double sums[CS_TARGET_SUMS], double K)
{
    cs_calib_simulated sim;
    if (t->like.weight == 0.0)
        return 0.0;
    if (!cs_target_simulated(t, sums, K, &sim))
        return -INFINITY;
    return cs_calib_loglik(&t->like, &sim);
}
