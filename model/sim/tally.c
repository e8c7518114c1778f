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
    size_t hrows = n_kinds * n_groups + 1;        /* the kinds' group rows, and a scratch row */
    t->rows = cs_xcalloc(rows, sizeof *t->rows);
    t->hist = cs_xcalloc(hrows * N_BINS, sizeof *t->hist);
    t->hist_rep = cs_xcalloc(hrows * N_BINS, sizeof *t->hist_rep);
    return t->rows && t->hist && t->hist_rep ? CS_OK : CS_ENOMEM;
}

void cs_tallies_free(cs_tallies *t)
{
    free(t->rows);
    free(t->hist);
    free(t->hist_rep);
    memset(t, 0, sizeof *t);
}

/* Adds case c to the row of its kind and group (and its histograms). */
static inline void add_row(cs_tallies *t, const cs_tally_masks *mk, const cs_tally_case *c,
                           size_t bin)
{
    size_t G = t->n_groups, h = (c->kind * G + c->group) * N_BINS + bin;
    cs_tally_row *a = &t->rows[(1 + c->kind) * (G + 1) + c->group];
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
        t->hist[h]++;
        if (c->reported) {
            a->reported_ended++;
            a->reported_time_sum += c->days;
            t->hist_rep[h]++;
        }
    } else {
        a->pending++;
    }
    if (bin >= t->top)
        t->top = bin + 1;
}

void cs_tallies_add(cs_tallies *t, const cs_tally_masks *mk, const cs_tally_case *c)
{
    add_row(t, mk, c, c->ended ? hist_bin(c->days) : 0);
    /* Block 0's counts are the sums of the kinds' (at the end, sum_kinds);
     * its sums of days are not, since a sum of doubles depends on its
     * order: they are added here, case by case, as the kind's are. */
    if (c->ended) {
        cs_tally_row *a = &t->rows[c->group];
        a->time_sum += c->days;
        if (c->reported)
            a->reported_time_sum += c->days;
    }
}

/* ---- measures --------------------------------------------------------------------- */

static double ratio_or_nan(double x, double ref)
{
    if (isnan(x) || isnan(ref) || ref == 0.0)
        return NAN;
    return x / ref;
}

/* Adds the counts of row src (not its sums of days) to row dst. */
static void add_counts(cs_tallies *t, size_t dst, size_t src)
{
    cs_tally_row *all = &t->rows[dst];
    const cs_tally_row *a = &t->rows[src];
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
    all->reported += a->reported;
    all->reported_ended += a->reported_ended;
}

/* The "all groups" row of block b: sums in group order. */
static void sum_groups(cs_tallies *t, size_t b)
{
    size_t G = t->n_groups, r0 = b * (G + 1);
    cs_tally_row *all = &t->rows[r0 + G];
    for (size_t g = 0; g < G; g++) {
        add_counts(t, r0 + G, r0 + g);
        all->time_sum += t->rows[r0 + g].time_sum;
        all->reported_time_sum += t->rows[r0 + g].reported_time_sum;
    }
}

/* Block 0's counts of each group: the sums over the kinds. */
static void sum_kinds(cs_tallies *t)
{
    size_t G1 = t->n_groups + 1;
    for (size_t k = 0; k < t->n_kinds; k++)
        for (size_t g = 0; g + 1 < G1; g++)
            add_counts(t, g, (1 + k) * G1 + g);
}

/* The histograms of row g (G: all groups) of block b into *h and *hr: a
 * kind's group row is kept; the others are sums of those, made in the
 * scratch row (bins at and above t->top are empty everywhere). Only the
 * kinds' group rows are kept so that a replicate touches (and zeroes) as
 * few pages as it can. */
static void row_hist(cs_tallies *t, size_t b, size_t g, const uint64_t **h, const uint64_t **hr)
{
    size_t G = t->n_groups, K = t->n_kinds;
    if (b > 0 && g < G) {
        *h = &t->hist[((b - 1) * G + g) * N_BINS];
        *hr = &t->hist_rep[((b - 1) * G + g) * N_BINS];
        return;
    }
    uint64_t *sh = &t->hist[K * G * N_BINS], *shr = &t->hist_rep[K * G * N_BINS];
    memset(sh, 0, t->top * sizeof *sh);
    memset(shr, 0, t->top * sizeof *shr);
    size_t k0 = b > 0 ? b - 1 : 0, k1 = b > 0 ? b : K;
    size_t g0 = g < G ? g : 0, g1 = g < G ? g + 1 : G;
    for (size_t k = k0; k < k1; k++)
        for (size_t j = g0; j < g1; j++)
            for (size_t i = 0; i < t->top; i++) {
                sh[i] += t->hist[(k * G + j) * N_BINS + i];
                shr[i] += t->hist_rep[(k * G + j) * N_BINS + i];
            }
    *h = sh;
    *hr = shr;
}

/* The measures of row g (G: all groups) of block b into x. */
static void row_measures(cs_tallies *t, size_t b, size_t g, double *x)
{
    const cs_tally_row *a = &t->rows[b * (t->n_groups + 1) + g];
    const uint64_t *h, *hr;
    row_hist(t, b, g, &h, &hr);
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
    sum_kinds(t);
    for (size_t b = 0; b <= t->n_kinds; b++) {
        sum_groups(t, b);
        double *x0 = b == 0 ? r->measures : &r->kind_measures[(b - 1) * G1 * nm];
        for (size_t g = 0; g < G1; g++)
            row_measures(t, b, g, &x0[g * nm]);
        disparity_measures(x0, t->n_groups, nm);
    }
}
