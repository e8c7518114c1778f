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

/* The coarse histogram of the rows by arrival year (one per year and
 * group, so that it stays small): bin 0 exactly 0, bin 1 (0, 0.5) days,
 * then YB_PER_OCTAVE bins per doubling from 0.5 day (about 2.2% wide, so a
 * quantile is within about 1.1%) up to 0.5 * 2^18 days > CS_MAX_YEARS. */
#define YB_PER_OCTAVE 32
#define YB_OCTAVES 18
#define YB_BINS (2 + YB_PER_OCTAVE * YB_OCTAVES)

static size_t year_bin(double t)
{
    if (!(t > 0.0))
        return 0;
    double x = floor(log2(t / 0.5) * YB_PER_OCTAVE);
    if (x < 0.0)
        return 1;
    return 2 + (x < (double)(YB_BINS - 3) ? (size_t)x : YB_BINS - 3);
}

static void year_bin_range(size_t b, double *lo, double *hi)
{
    if (b == 0) {
        *lo = *hi = 0.0;
    } else if (b == 1) {
        *lo = 0.0;
        *hi = 0.5;
    } else {
        *lo = 0.5 * exp2((double)(b - 2) / YB_PER_OCTAVE);
        *hi = 0.5 * exp2((double)(b - 1) / YB_PER_OCTAVE);
    }
}

/* A histogram: its counts, its bins and their ranges. */
typedef struct hist_view {
    const uint32_t *h;
    size_t n_bins;
    void (*range)(size_t b, double *lo, double *hi);
} hist_view;

/* The q-quantile (inverse empirical CDF, rank ceil(q n)) from a histogram of
 * n values, interpolated within its bin; NaN if n == 0. */
static double hist_quantile(hist_view v, uint64_t n, double q)
{
    if (n == 0)
        return NAN;
    double rank = ceil(q * (double)n);
    if (rank < 1.0)
        rank = 1.0;
    uint64_t cum = 0;
    for (size_t b = 0; b < v.n_bins; b++) {
        if (!v.h[b])
            continue;
        if ((double)(cum + v.h[b]) >= rank) {
            double lo, hi;
            v.range(b, &lo, &hi);
            return lo + (hi - lo) * (rank - (double)cum - 0.5) / (double)v.h[b];
        }
        cum += v.h[b];
    }
    return NAN;
}

/* ---- counting --------------------------------------------------------------------- */

int cs_tallies_init(cs_tallies *t, size_t n_groups, size_t n_kinds, size_t n_categories,
                    size_t n_years)
{
    memset(t, 0, sizeof *t);
    t->n_groups = n_groups;
    t->n_kinds = n_kinds;
    t->n_categories = n_categories;
    t->n_years = n_years;
    size_t G1 = n_groups + 1;
    size_t rows = (1 + n_kinds) * G1;      /* <= 33 * 17: no overflow */
    size_t hrows = n_kinds * n_groups + 1; /* the kinds' group rows, and a scratch row */
    t->rows = cs_xcalloc(rows, sizeof *t->rows);
    t->hist = cs_xcalloc(hrows * N_BINS, sizeof *t->hist);
    t->hist_rep = cs_xcalloc(hrows * N_BINS, sizeof *t->hist_rep);
    t->year_rows = cs_xcalloc(n_years * G1, sizeof *t->year_rows);
    t->year_hist = cs_xcalloc(n_years * G1 * YB_BINS, sizeof *t->year_hist);
    t->year_hist_rep = cs_xcalloc(n_years * G1 * YB_BINS, sizeof *t->year_hist_rep);
    return t->rows && t->hist && t->hist_rep && t->year_rows && t->year_hist && t->year_hist_rep
               ? CS_OK
               : CS_ENOMEM;
}

void cs_tallies_free(cs_tallies *t)
{
    free(t->rows);
    free(t->hist);
    free(t->hist_rep);
    free(t->year_rows);
    free(t->year_hist);
    free(t->year_hist_rep);
    memset(t, 0, sizeof *t);
}

int cs_tallies_reset(cs_tallies *t, size_t n_groups, size_t n_kinds, size_t n_categories,
                     size_t n_years)
{
    if (!t->rows || t->n_groups != n_groups || t->n_kinds != n_kinds ||
        t->n_categories != n_categories || t->n_years != n_years) {
        cs_tallies_free(t);
        return cs_tallies_init(t, n_groups, n_kinds, n_categories, n_years);
    }
    size_t G1 = n_groups + 1, hrows = n_kinds * n_groups + 1;
    memset(t->rows, 0, (1 + n_kinds) * G1 * sizeof *t->rows);
    /* In the kinds' group rows, bins at and above top are empty
     * (cs_tallies_add), and in the coarse rows by year those at and above
     * year_top: only those below are cleared, so that a replicate touches
     * no more memory than it filled. The scratch row (the last) held sums
     * below top only (row_hist). Everything cs_tallies_init allocates is
     * zero again after this, as in a new tally. */
    for (size_t r = 0; r < hrows; r++) {
        memset(&t->hist[r * N_BINS], 0, t->top * sizeof *t->hist);
        memset(&t->hist_rep[r * N_BINS], 0, t->top * sizeof *t->hist_rep);
    }
    memset(t->year_rows, 0, n_years * G1 * sizeof *t->year_rows);
    for (size_t r = 0; r < n_years * G1; r++) {
        memset(&t->year_hist[r * YB_BINS], 0, t->year_top * sizeof *t->year_hist);
        memset(&t->year_hist_rep[r * YB_BINS], 0, t->year_top * sizeof *t->year_hist_rep);
    }
    t->top = t->year_top = 0;
    return CS_OK;
}

/* Counts case c in row a (its days too: a sum in the order the cases end). */
static inline void count_case(cs_tally_row *a, const cs_tally_masks *mk, size_t n_categories,
                              const cs_tally_case *c)
{
    bool acc = (c->outcome_mask & mk->accountability) != 0;
    a->incidents++;
    if (c->well_founded) {
        a->well_founded++;
        a->acc_wf += acc;
        a->red_wf += (c->outcome_mask & mk->redress) != 0;
        for (size_t k = 0; k < n_categories; k++)
            a->cat_wf[k] += (c->outcome_mask & mk->category[k]) != 0;
    } else {
        a->unfounded++;
        a->acc_unf += acc;
    }
    a->reported += c->reported;
    if (c->ended) {
        a->ended++;
        a->time_sum += c->days;
        if (c->reported) {
            a->reported_ended++;
            a->reported_time_sum += c->days;
        }
    } else {
        a->pending++;
    }
}

void cs_tallies_add(cs_tallies *t, const cs_tally_masks *mk, const cs_tally_case *c)
{
    size_t G = t->n_groups, C = t->n_categories;
    count_case(&t->rows[(1 + c->kind) * (G + 1) + c->group], mk, C, c);
    count_case(&t->year_rows[c->year * (G + 1) + c->group], mk, C, c);
    /* Block 0's counts are the sums of the kinds' (at the end, sum_kinds);
     * its sums of days are not, since a sum of doubles depends on its
     * order: they are added here, case by case, as the kind's are. */
    if (c->ended) {
        size_t bin = hist_bin(c->days), h = (c->kind * G + c->group) * N_BINS + bin;
        t->hist[h]++;
        if (c->reported)
            t->hist_rep[h]++;
        if (bin >= t->top)
            t->top = bin + 1;
        size_t yb = year_bin(c->days), yh = (c->year * (G + 1) + c->group) * YB_BINS + yb;
        t->year_hist[yh]++;
        t->year_hist_rep[yh] += c->reported;
        if (yb >= t->year_top)
            t->year_top = yb + 1;
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

/* Adds the counts of row a (not its sums of days) to row *all. */
static void add_counts(cs_tally_row *all, const cs_tally_row *a, size_t n_categories)
{
    all->incidents += a->incidents;
    all->well_founded += a->well_founded;
    all->unfounded += a->unfounded;
    all->acc_wf += a->acc_wf;
    all->acc_unf += a->acc_unf;
    all->red_wf += a->red_wf;
    for (size_t k = 0; k < n_categories; k++)
        all->cat_wf[k] += a->cat_wf[k];
    all->ended += a->ended;
    all->pending += a->pending;
    all->reported += a->reported;
    all->reported_ended += a->reported_ended;
}

/* The "all groups" row rows[G] of the group rows rows[0 .. G): sums in
 * group order. */
static void sum_groups(cs_tally_row *rows, size_t G, size_t n_categories)
{
    for (size_t g = 0; g < G; g++) {
        add_counts(&rows[G], &rows[g], n_categories);
        rows[G].time_sum += rows[g].time_sum;
        rows[G].reported_time_sum += rows[g].reported_time_sum;
    }
}

/* Block 0's counts of each group: the sums over the kinds. */
static void sum_kinds(cs_tallies *t)
{
    size_t G1 = t->n_groups + 1;
    for (size_t k = 0; k < t->n_kinds; k++)
        for (size_t g = 0; g + 1 < G1; g++)
            add_counts(&t->rows[g], &t->rows[(1 + k) * G1 + g], t->n_categories);
}

/* The histograms of row g (G: all groups) of block b into *h and *hr: a
 * kind's group row is kept; the others are sums of those, made in the
 * scratch row (bins at and above t->top are empty everywhere). Only the
 * kinds' group rows are kept so that a replicate touches (and zeroes) as
 * few pages as it can. */
static void row_hist(cs_tallies *t, size_t b, size_t g, hist_view *h, hist_view *hr)
{
    size_t G = t->n_groups, K = t->n_kinds;
    *h = *hr = (hist_view){NULL, N_BINS, hist_bin_range};
    if (b > 0 && g < G) {
        h->h = &t->hist[((b - 1) * G + g) * N_BINS];
        hr->h = &t->hist_rep[((b - 1) * G + g) * N_BINS];
        return;
    }
    size_t k0 = b > 0 ? b - 1 : 0, k1 = b > 0 ? b : K;
    size_t g0 = g < G ? g : 0, g1 = g < G ? g + 1 : G;
    if (k1 - k0 == 1 && g1 - g0 == 1) {
        /* A sum of one kept row (a single kind, or a single group) is that
         * row: read it where it is rather than copy it. */
        h->h = &t->hist[(k0 * G + g0) * N_BINS];
        hr->h = &t->hist_rep[(k0 * G + g0) * N_BINS];
        return;
    }
    uint32_t *sh = &t->hist[K * G * N_BINS], *shr = &t->hist_rep[K * G * N_BINS];
    memset(sh, 0, t->top * sizeof *sh);
    memset(shr, 0, t->top * sizeof *shr);
    for (size_t k = k0; k < k1; k++)
        for (size_t j = g0; j < g1; j++)
            for (size_t i = 0; i < t->top; i++) {
                sh[i] += t->hist[(k * G + j) * N_BINS + i];
                shr[i] += t->hist_rep[(k * G + j) * N_BINS + i];
            }
    h->h = sh;
    hr->h = shr;
}

/* The measures of row a into x, with its histograms of days h and, of the
 * reported cases, hr (NULL h: reported cases not followed, their measures
 * NaN). */
static void row_measures(const cs_tally_row *a, hist_view h, hist_view hr, size_t n_categories,
                         double *x)
{
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
    for (size_t k = 0; k < n_categories; k++)
        x[CS_M_FIXED_COUNT + k] = wf > 0 ? (double)a->cat_wf[k] / wf : NAN;
    x[CS_M_REPORTED] = x[CS_M_TIME_REPORTED_MEAN] = NAN;
    x[CS_M_TIME_REPORTED_MEDIAN] = x[CS_M_TIME_REPORTED_P90] = NAN;
    if (!hr.h)
        return;
    x[CS_M_REPORTED] = a->incidents > 0 ? (double)a->reported / n : NAN;
    x[CS_M_TIME_REPORTED_MEAN] =
        a->reported_ended > 0 ? a->reported_time_sum / (double)a->reported_ended : NAN;
    x[CS_M_TIME_REPORTED_MEDIAN] = hist_quantile(hr, a->reported_ended, 0.5);
    x[CS_M_TIME_REPORTED_P90] = hist_quantile(hr, a->reported_ended, 0.9);
}

/* The disparity measures of the G + 1 rows at x (nm measures each) against
 * the reference group (the first row); undefined for all groups together.
 * A ratio here is this replicate's own: the tables summarise the ratios
 * over replicates as ratios of the mean rates (results/analysis_ratio.c),
 * since a mean of these would be biased when a replicate's counts are
 * small. */
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

/* The measures by arrival year: each year's rows as the cohort's, with the
 * coarse histograms of all and of reported ended cases, read in place. Bins
 * at and above year_top are empty in every year row: neither summed nor
 * searched. */
static void year_measures(cs_tallies *t, cs_replicate_result *r)
{
    size_t G = t->n_groups, G1 = G + 1, C = t->n_categories, nm = r->dims.n_measures;
    size_t yt = t->year_top;
    for (size_t y = 0; y < t->n_years; y++) {
        cs_tally_row *a = &t->year_rows[y * G1];
        uint32_t *h = &t->year_hist[y * G1 * YB_BINS];
        uint32_t *hr = &t->year_hist_rep[y * G1 * YB_BINS];
        sum_groups(a, G, C);
        for (size_t g = 0; g < G; g++)
            for (size_t b = 0; b < yt; b++) {
                h[G * YB_BINS + b] += h[g * YB_BINS + b];
                hr[G * YB_BINS + b] += hr[g * YB_BINS + b];
            }
        double *x0 = &r->measures_by_year[y * G1 * nm];
        for (size_t g = 0; g <= G; g++)
            row_measures(&a[g], (hist_view){&h[g * YB_BINS], yt, year_bin_range},
                         (hist_view){&hr[g * YB_BINS], yt, year_bin_range}, C, &x0[g * nm]);
        disparity_measures(x0, G, nm);
    }
}

bool cs_tallies_counted(const cs_tallies *t)
{
    size_t G1 = t->n_groups + 1;
    uint64_t n = 0;
    for (size_t k = 0; k < t->n_kinds; k++)
        for (size_t g = 0; g < t->n_groups; g++) {
            const cs_tally_row *a = &t->rows[(1 + k) * G1 + g];
            n += a->ended + a->pending;
        }
    return n < UINT32_MAX;
}

void cs_tallies_measures(cs_tallies *t, cs_replicate_result *r)
{
    size_t G1 = t->n_groups + 1, nm = r->dims.n_measures, C = t->n_categories;
    sum_kinds(t);
    for (size_t b = 0; b <= t->n_kinds; b++) {
        sum_groups(&t->rows[b * G1], t->n_groups, C);
        double *x0 = b == 0 ? r->measures : &r->kind_measures[(b - 1) * G1 * nm];
        for (size_t g = 0; g < G1; g++) {
            hist_view h, hr;
            row_hist(t, b, g, &h, &hr);
            row_measures(&t->rows[b * G1 + g], h, hr, C, &x0[g * nm]);
        }
        disparity_measures(x0, t->n_groups, nm);
    }
    year_measures(t, r);
}
