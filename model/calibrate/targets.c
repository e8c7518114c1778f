/*
 * calibrate/targets.c — a target's simulated figure from a replicate's
 * results, and its likelihood (casesim/calibrate.h).
 */
#include <math.h>

#include "casesim/calibrate.h"

/* Tracks of violation kind t->violation and group row g (n_groups: all)
 * counted by event e of target t in result r, from the kind tallies (in the
 * target's years, or by delay for a cohort share) or, over the cohort,
 * from kind_stage_entries and kind_outcome_counts. */
static double kind_count_of(const cs_scenario *s, const cs_target_spec *t, const cs_target_event *e,
                            size_t g, const cs_replicate_result *r)
{
    size_t k = (size_t)t->violation, G = s->n_groups;
    const cs_result_dims *d = &r->dims;
    int64_t sum = 0;
    if (t->kind != CS_TARGET_COHORT_SHARE && !t->has_period) {
        size_t width = e->is_outcome ? s->n_outcomes : s->n_stages;
        const int64_t *a = e->is_outcome ? r->kind_outcome_counts : r->kind_stage_entries;
        return (double)a[(k * (G + 1) + g) * width + e->index];
    }
    bool delay = t->kind == CS_TARGET_COHORT_SHARE;
    size_t y0 = delay ? 0 : t->first_year;
    size_t y1 = delay ? (t->within_years < d->n_delay_years ? t->within_years : d->n_delay_years)
                      : t->first_year + t->n_years;
    for (size_t gg = g < G ? g : 0; gg < (g < G ? g + 1 : G); gg++)
        for (size_t y = y0; y < y1; y++)
            sum += r->kind_counts[cs_tally_kind_index(d, k, gg, e->is_outcome, e->index, delay, y)];
    return (double)sum;
}

/* Tracks of group row g (n_groups: all) counted by event e of target t in
 * result r: in the target's years, or over the cohort. */
static double count_of(const cs_scenario *s, const cs_target_spec *t, const cs_target_event *e,
                       size_t g, const cs_replicate_result *r)
{
    if (t->violation >= 0)
        return kind_count_of(s, t, e, g, r);
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

/* Adds a mean_duration target's n, sum and sum of squares (of group row g,
 * n_groups: all) from the duration tally of r into sums[0 .. 3). */
static void add_durations(const cs_scenario *s, const cs_target_spec *t, size_t g,
                          const cs_replicate_result *r, double sums[CS_TARGET_SUMS])
{
    const cs_result_dims *d = &r->dims;
    size_t G = s->n_groups;
    size_t y0 = t->has_period ? t->first_year : d->n_years;
    size_t y1 = t->has_period ? t->first_year + t->n_years : d->n_years + 1;
    for (size_t gg = g < G ? g : 0; gg < (g < G ? g + 1 : G); gg++)
        for (size_t y = y0; y < y1; y++) {
            const double *x =
                r->durations + cs_tally_duration_index(d, gg, t->duration_of, t->num.index, y);
            sums[0] += x[0];
            sums[1] += x[1];
            sums[2] += x[2];
        }
}

unsigned cs_targets_tallies(const cs_scenario *s)
{
    unsigned which = 0;
    for (size_t i = 0; i < s->n_targets; i++) {
        const cs_target_spec *t = &s->targets[i];
        if (t->kind == CS_TARGET_MEAN_DURATION)
            which |= CS_TALLY_DURATIONS;
        if (t->violation >= 0 && (t->has_period || t->kind == CS_TARGET_COHORT_SHARE))
            which |= CS_TALLY_KINDS;
    }
    return which;
}

void cs_target_accumulate(const cs_scenario *s, const cs_target_spec *t,
                          const cs_replicate_result *r, double sums[CS_TARGET_SUMS])
{
    size_t g = t->group < 0 ? s->n_groups : (size_t)t->group;
    if (t->kind == CS_TARGET_MEAN_DURATION) {
        add_durations(s, t, g, r, sums);
        return;
    }
    sums[0] += count_of(s, t, &t->num, g, r);
    if (t->kind == CS_TARGET_COUNT && t->unit_value >= 0) /* the point's unit factor */
        sums[1] += r->uncertain_values[t->unit_value];
    if (t->kind == CS_TARGET_COUNT)
        return;
    sums[1] += count_of(s, t, &t->den, g, r);
    if (t->kind == CS_TARGET_RATIO) {
        sums[2] += count_of(s, t, &t->num, 0, r);
        sums[3] += count_of(s, t, &t->den, 0, r);
    }
}

/* A mean duration's simulated mean and its standard error from n, the sum
 * and the sum of squares of the durations: the durations taken as
 * independent (see docs/CALIBRATION.md). Undefined below two durations. */
static bool simulated_mean(const double sums[CS_TARGET_SUMS], cs_calib_simulated *out)
{
    double n = sums[0];
    if (!(n >= 2.0))
        return false;
    double mean = sums[1] / n;
    double var = (sums[2] - n * mean * mean) / (n - 1.0);
    *out = (cs_calib_simulated){.value = mean, .n = n, .se = sqrt((var > 0.0 ? var : 0.0) / n)};
    return true;
}

bool cs_target_simulated(const cs_target_spec *t, const double sums[CS_TARGET_SUMS], double K,
                         cs_calib_simulated *out)
{
    double x = sums[0], n = sums[1];
    if (t->kind == CS_TARGET_MEAN_DURATION)
        return simulated_mean(sums, out);
    if (t->kind == CS_TARGET_COUNT) {
        *out = (cs_calib_simulated){.value = x, .n = K, .se = 0.0};
        return true;
    }
    if (!(n > 0.0))
        return false;
    /* A cohort share's numerator tracks are among its denominator's, so
     * x <= n always. A period share compares the year's two flows, which
     * need not come from the same cases: when the year's numerator exceeds
     * its denominator (a small stage whose cases straddle years), the
     * simulation estimates the share at 1, the nearest share it can be,
     * not an impossible figure; treating it as undefined gave such points
     * a likelihood of zero at random (England and Wales: 690 of 9,000
     * points, all near the observed 70 of 87). */
    if (x > n && t->kind == CS_TARGET_COHORT_SHARE)
        return false;
    x = x > n ? n : x;
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
    if (!(n2 > 0.0) || !(x2 > 0.0))
        return false;
    x2 = x2 > n2 ? n2 : x2; /* as x above: a period's flows */
    *out = (cs_calib_simulated){
        .value = (x / n) / (x2 / n2), .n = n, .se = cs_calib_log_ratio_se(x, n, x2, n2)};
    return true;
}

cs_calib_target cs_target_like(const cs_target_spec *t, const double sums[CS_TARGET_SUMS], double K)
{
    cs_calib_target l = t->like;
    if (t->kind == CS_TARGET_COUNT && t->unit_value >= 0)
        l.unit_factor = sums[1] / K; /* the same value in each of the K replicates */
    return l;
}

double cs_target_loglik(const cs_target_spec *t, const double sums[CS_TARGET_SUMS], double K)
{
    cs_calib_simulated sim;
    if (t->like.weight == 0.0)
        return 0.0;
    if (!cs_target_simulated(t, sums, K, &sim))
        return -INFINITY;
    cs_calib_target l = cs_target_like(t, sums, K);
    return cs_calib_loglik(&l, &sim);
}
