/*
 * sim/tally.c — a replicate's tallies of its cohort cases and the measures
 * computed from them (see sim/tally.h).
 */
#include "sim/tally.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

/* Time histogram: bin 0 is exactly 0; then LIN_BINS bins of LIN_WIDTH days;
 * then LOG_BINS bins of 1/LOG_PER_OCTAVE doubling from LIN_LIMIT days. */
#define LIN_WIDTH 0.5
#define LIN_BINS 4096
#define LIN_LIMIT (LIN_WIDTH * LIN_BINS)
#define LOG_PER_OCTAVE 64
#define LOG_OCTAVES 8 /* up to 2048 * 2^8 days > CS_MAX_YEARS */
#define LOG_BINS (LOG_PER_OCTAVE * LOG_OCTAVES)
#define N_BINS (1 + LIN_BINS + LOG_BINS)

static size_t hist_bin(double t)
{
    if (!(t > 0.0))
        return 0;
    if (t < LIN_LIMIT)
        return 1 + (size_t)(t * (1.0 / LIN_WIDTH));
    double x = floor(log2(t / LIN_LIMIT) * LOG_PER_OCTAVE);
    size_t i = x < (double)(LOG_BINS - 1) ? (size_t)x : LOG_BINS - 1;
    return 1 + LIN_BINS + i;
}

static void hist_bin_range(size_t b, double *lo, double *hi)
{
    if (b == 0) {
        *lo = *hi = 0.0;
    } else if (b <= LIN_BINS) {
        *lo = (double)(b - 1) * LIN_WIDTH;
        *hi = *lo + LIN_WIDTH;
    } else {
        size_t i = b - 1 - LIN_BINS;
        *lo = LIN_LIMIT * exp2((double)i / LOG_PER_OCTAVE);
        *hi = LIN_LIMIT * exp2((double)(i + 1) / LOG_PER_OCTAVE);
    }
}

/* The q-quantile (inverse empirical CDF, rank ceil(q n)) from a histogram of
 * n values, interpolated within its bin; NaN if n == 0. */
static double hist_quantile(const uint64_t *h, uint64_t n, double q)
{
    if (n == 0)
        return NAN;
    double rank = ceil(q * (double)n);
    if (rank < 1.0)
        rank = 1.0;
    uint64_t cum = 0;
    for (size_t b = 0; b < N_BINS; b++) {
        if (!h[b])
            continue;
        if ((double)(cum + h[b]) >= rank) {
            double lo, hi;
            hist_bin_range(b, &lo, &hi);
            return lo + (hi - lo) * (rank - (double)cum - 0.5) / (double)h[b];
        }
        cum += h[b];
    }
    return NAN;
}

/* ---- counting --------------------------------------------------------------------- */

int cs_tallies_init(cs_tallies *t, size_t n_groups, size_t n_kinds, size_t n_categories)
{
    memset(t, 0, sizeof *t);
    t->n_groups = n_groups;
    t->n_kinds = n_kinds;
    t->n_categories = n_categories;
    size_t rows = (1 + n_kinds) * (n_groups + 1); /* <= 33 * 17: no overflow */
    t->rows = cs_xcalloc(rows, sizeof *t->rows);
    t->hist = cs_xcalloc(rows * N_BINS, sizeof *t->hist);
    t->hist_rep = cs_xcalloc(rows * N_BINS, sizeof *t->hist_rep);
    return t->rows && t->hist && t->hist_rep ? CS_OK : CS_ENOMEM;
}

void cs_tallies_free(cs_tallies *t)
{
    free(t->rows);
    free(t->hist);
    free(t->hist_rep);
    memset(t, 0, sizeof *t);
}

/* Adds case c to row r (and its histograms). */
static inline void add_row(cs_tallies *t, size_t r, const cs_tally_masks *mk,
                           const cs_tally_case *c, size_t bin)
{
    cs_tally_row *a = &t->rows[r];
    bool acc = (c->outcome_mask & mk->accountability) != 0;
    a->incidents++;
    if (c->well_founded) {
        a->well_founded++;
        a->acc_wf += acc;
        a->red_wf += (c->outcome_mask & mk->redress) != 0;
        for (size_t k = 0; k < t->n_categories; k++)
            a->cat_wf[k] += (c->outcome_mask & mk->category[k]) != 0;
    } else {
        a->unfounded++;
        a->acc_unf += acc;
    }
    a->reported += c->reported;
    if (c->ended) {
        a->ended++;
        a->time_sum += c->days;
        t->hist[r * N_BINS + bin]++;
        if (c->reported) {
            a->reported_ended++;
            a->reported_time_sum += c->days;
            t->hist_rep[r * N_BINS + bin]++;
        }
    } else {
        a->pending++;
    }
}

void cs_tallies_add(cs_tallies *t, const cs_tally_masks *mk, const cs_tally_case *c)
{
    size_t G1 = t->n_groups + 1;
    size_t bin = c->ended ? hist_bin(c->days) : 0; /* once for both rows */
    add_row(t, c->group, mk, c, bin);
    add_row(t, (1 + c->kind) * G1 + c->group, mk, c, bin);
}

/* ---- measures --------------------------------------------------------------------- */

static double ratio_or_nan(double x, double ref)
{
    if (isnan(x) || isnan(ref) || ref == 0.0)
        return NAN;
    return x / ref;
}

/* The "all groups" row of block b and its histograms: sums in group order. */
static void sum_groups(cs_tallies *t, size_t b)
{
    size_t G = t->n_groups, r0 = b * (G + 1);
    cs_tally_row *all = &t->rows[r0 + G];
    for (size_t g = 0; g < G; g++) {
        const cs_tally_row *a = &t->rows[r0 + g];
        all->incidents += a->incidents;
        all->well_founded += a->well_founded;
        all->unfounded += a->unfounded;
        all->acc_wf += a->acc_wf;
        all->acc_unf += a->acc_unf;
        all->red_wf += a->red_wf;
        for (size_t k = 0; k < t->n_categories; k++)
            all->cat_wf[k] += a->cat_wf[k];
        all->ended += a->ended;
        all->pending += a->pending;
        all->time_sum += a->time_sum;
        all->reported += a->reported;
        all->reported_ended += a->reported_ended;
        all->reported_time_sum += a->reported_time_sum;
        for (size_t i = 0; i < N_BINS; i++) {
            t->hist[(r0 + G) * N_BINS + i] += t->hist[(r0 + g) * N_BINS + i];
            t->hist_rep[(r0 + G) * N_BINS + i] += t->hist_rep[(r0 + g) * N_BINS + i];
        }
    }
}

/* The measures of row r into x. */
static void row_measures(const cs_tallies *t, size_t r, double *x)
{
    const cs_tally_row *a = &t->rows[r];
    const uint64_t *h = &t->hist[r * N_BINS], *hr = &t->hist_rep[r * N_BINS];
    double wf = (double)a->well_founded, n = (double)a->incidents;
    x[CS_M_INCIDENTS] = n;
    x[CS_M_WELL_FOUNDED] = wf;
    x[CS_M_ACCOUNTABILITY] = wf > 0 ? (double)a->acc_wf / wf : NAN;
    x[CS_M_IMPUNITY] = wf > 0 ? 1.0 - x[CS_M_ACCOUNTABILITY] : NAN;
    x[CS_M_REDRESS] = wf > 0 ? (double)a->red_wf / wf : NAN;
    x[CS_M_WRONGFUL_SANCTION] = a->unfounded > 0 ? (double)a->acc_unf / (double)a->unfounded : NAN;
    x[CS_M_TIME_MEAN] = a->ended > 0 ? a->time_sum / (double)a->ended : NAN;
    x[CS_M_TIME_MEDIAN] = hist_quantile(h, a->ended, 0.5);
    x[CS_M_TIME_P90] = hist_quantile(h, a->ended, 0.9);
    x[CS_M_PENDING] = a->incidents > 0 ? (double)a->pending / n : NAN;
    x[CS_M_REPORTED] = a->incidents > 0 ? (double)a->reported / n : NAN;
    x[CS_M_TIME_REPORTED_MEAN] =
        a->reported_ended > 0 ? a->reported_time_sum / (double)a->reported_ended : NAN;
    x[CS_M_TIME_REPORTED_MEDIAN] = hist_quantile(hr, a->reported_ended, 0.5);
    x[CS_M_TIME_REPORTED_P90] = hist_quantile(hr, a->reported_ended, 0.9);
    for (size_t k = 0; k < t->n_categories; k++)
        x[CS_M_FIXED_COUNT + k] = wf > 0 ? (double)a->cat_wf[k] / wf : NAN;
}

/* The disparity measures of the G + 1 rows at x (nm measures each) against
 * the reference group (the first row); undefined for all groups together. */
static void disparity_measures(double *x0, size_t G, size_t nm)
{
    static const int pairs[4][3] = {
        {CS_M_ACCOUNTABILITY, CS_M_ACCOUNTABILITY_RATIO, CS_M_ACCOUNTABILITY_DIFF},
        {CS_M_IMPUNITY, CS_M_IMPUNITY_RATIO, CS_M_IMPUNITY_DIFF},
        {CS_M_REDRESS, CS_M_REDRESS_RATIO, CS_M_REDRESS_DIFF},
        {CS_M_TIME_MEDIAN, CS_M_TIME_MEDIAN_RATIO, CS_M_TIME_MEDIAN_DIFF}};
    const double *ref = x0;
    for (size_t g = 0; g <= G; g++) {
        double *x = &x0[g * nm];
        for (int i = 0; i < 4; i++) {
            if (g == G) {
                x[pairs[i][1]] = NAN;
                x[pairs[i][2]] = NAN;
            } else {
                x[pairs[i][1]] = ratio_or_nan(x[pairs[i][0]], ref[pairs[i][0]]);
                x[pairs[i][2]] = x[pairs[i][0]] - ref[pairs[i][0]];
            }
        }
    }
}

void cs_tallies_measures(cs_tallies *t, cs_replicate_result *r)
{
    size_t G1 = t->n_groups + 1, nm = r->dims.n_measures;
    for (size_t b = 0; b <= t->n_kinds; b++) {
        sum_groups(t, b);
        double *x0 = b == 0 ? r->measures : &r->kind_measures[(b - 1) * G1 * nm];
        for (size_t g = 0; g < G1; g++)
            row_measures(t, b * G1 + g, &x0[g * nm]);
        disparity_measures(x0, t->n_groups, nm);
    }
}
