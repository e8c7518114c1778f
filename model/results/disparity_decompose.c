/*
 * results/disparity_decompose.c — the rows of /disparity/decomposition
 * (see results/disparity.h and analysis/README.md).
 *
 * v(T) is a disparity measure (accountability or redress, ratio or
 * difference) of one group against the reference group with the stages of
 * T equalised: the decomposition variant of T, or the baseline for the
 * empty set. Every quantity of the table is a fixed linear combination of
 * these values (the Shapley shares too: see casesim/disparity.h).
 *
 * A difference is a mean over replicates of the per-replicate differences,
 * so each quantity is accumulated replicate by replicate while the variants
 * are read, one block of replicates at a time, and summarised over
 * replicates. A ratio is the ratio of the two groups' mean rates, R(T) =
 * mean(x_g) / mean(x_ref) (the mean of per-replicate ratios is biased when
 * a replicate's counts are small): a first pass finds the means, and the
 * second accumulates, in place of the values, their influences
 * (x_g,i - R(T) x_ref,i) / mean(x_ref) (casesim/stats.h), whose linear
 * combination gives each quantity's delta-method interval (on the linear
 * scale: a combination of ratios is not a ratio). The shares add up to the
 * processing change v(all) - v({}) in each replicate by construction; the
 * largest rounding difference is recorded on the processing rows.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/disparity.h"
#include "casesim/measures.h"
#include "casesim/stats.h"
#include "core/alloc.h"
#include "results/disparity.h"

/* The quantities: four for the whole, then five per stage. */
enum { Q_BASELINE = 0, Q_ALL, Q_PROCESSING, Q_NOT_EQUALISED, Q_WHOLE };
enum { Q_ONLY = 0, Q_ALONE, Q_ALL_BUT, Q_LAST, Q_SHAPLEY, Q_PER_STAGE };
static const char *const whole_names[Q_WHOLE] = {"baseline", "all_equalised", "processing",
                                                 "not_equalised"};
static const char *const stage_names[Q_PER_STAGE] = {
    "only_this_stage", "effect_alone", "all_but_this_stage", "effect_last", "shapley"};

#define BLOCK_BYTES ((size_t)32 << 20)

typedef struct dwork {
    const cs_disparity_input *in;
    size_t m;        /* stages decomposed */
    size_t n_masks;  /* subsets with values; [0] is the baseline's empty set */
    uint64_t *masks; /* [n_masks] over positions in decomposed[] */
    size_t *variant; /* [n_masks] the variant of each */
    size_t Q;        /* quantities: Q_WHOLE + Q_PER_STAGE m */
    double *coef;    /* [Q][n_masks] */
    size_t H;        /* series per replicate: (groups - 1) x CS_DISPARITY_N_MEASURES */
    long midx[CS_DISPARITY_N_MEASURES];
    long ridx[CS_DISPARITY_N_MEASURES]; /* a ratio's rate; -1 for a difference */
    uint64_t rows;                      /* replicates per block */
    double *meas;                       /* [rows][groups + 1][measures] */
    double *acc;                        /* [rows][Q][H] */
    cs_mean_acc *sum;                   /* [Q][H] over replicates */
    cs_mean_acc *vmean; /* [n_masks][H]: each subset's mean value (a difference's) */
    cs_mean_acc *rate;  /* [n_masks][H][2]: a ratio's mean rates, group and reference */
    double *additivity; /* [H] largest |sum of shares - processing| */
} dwork;

static void dwork_free(dwork *w)
{
    free(w->masks);
    free(w->variant);
    free(w->coef);
    free(w->meas);
    free(w->acc);
    free(w->sum);
    free(w->vmean);
    free(w->rate);
    free(w->additivity);
}

/* Stage mask eq (bits: stage indices) as a mask over positions in
 * decomposed[]; false if it names a stage that is not decomposed. */
static bool position_mask(const cs_disparity_input *in, uint64_t eq, uint64_t *out)
{
    *out = 0;
    for (size_t j = 0; j < in->n_decomposed; j++)
        if (eq >> in->decomposed[j] & 1) {
            *out |= UINT64_C(1) << j;
            eq &= ~(UINT64_C(1) << in->decomposed[j]);
        }
    return eq == 0;
}

/* The subsets with values: the baseline's, then each decomposition variant's. */
static int find_subsets(dwork *w, cs_error *err)
{
    const cs_disparity_input *in = w->in;
    w->masks = cs_xcalloc(in->n_variants, sizeof *w->masks);
    w->variant = cs_xcalloc(in->n_variants, sizeof *w->variant);
    if (!w->masks || !w->variant)
        return cs_error_set(err, CS_ENOMEM, "out of memory (/disparity)");
    w->n_masks = 1; /* masks[0] = 0: the baseline, variant 0 */
    for (size_t v = 1; v < in->n_variants; v++) {
        if (!in->decomposition[v])
            continue;
        if (!position_mask(in, in->equalised[v], &w->masks[w->n_masks]) ||
            w->masks[w->n_masks] == 0)
            return cs_error_set(err, CS_EFORMAT,
                                "variant '%s' equalises stages the decomposition does not have",
                                in->variants[v]);
        w->variant[w->n_masks++] = v;
    }
    return CS_OK;
}

static long subset(const dwork *w, uint64_t mask)
{
    for (size_t t = 0; t < w->n_masks; t++)
        if (w->masks[t] == mask)
            return (long)t;
    return -1;
}

/* coef[q][subset] += c; CS_EFORMAT if the subset has no variant. */
static int add_coef(dwork *w, size_t q, uint64_t mask, double c, cs_error *err)
{
    long t = subset(w, mask);
    if (t < 0)
        return cs_error_set(err, CS_EFORMAT,
                            "the decomposition lacks the variant equalising the stages %#llx "
                            "(positions among the decomposed stages)",
                            (unsigned long long)mask);
    w->coef[q * w->n_masks + (size_t)t] += c;
    return CS_OK;
}

/* The four quantities of stage j other than its Shapley share. */
static int stage_coefficients(dwork *w, size_t j, uint64_t full, cs_error *err)
{
    size_t q = Q_WHOLE + Q_PER_STAGE * j;
    uint64_t one = UINT64_C(1) << j, but = full & ~one;
    int st = add_coef(w, q + Q_ONLY, one, 1.0, err);
    if (st == CS_OK)
        st = add_coef(w, q + Q_ALONE, one, 1.0, err);
    if (st == CS_OK)
        st = add_coef(w, q + Q_ALONE, 0, -1.0, err);
    if (st == CS_OK)
        st = add_coef(w, q + Q_ALL_BUT, but, 1.0, err);
    if (st == CS_OK)
        st = add_coef(w, q + Q_LAST, full, 1.0, err);
    if (st == CS_OK)
        st = add_coef(w, q + Q_LAST, but, -1.0, err);
    return st;
}

/* Every quantity's coefficients over the subsets. */
static int coefficients(dwork *w, cs_error *err)
{
    const cs_disparity_input *in = w->in;
    size_t m = w->m, n = w->n_masks;
    uint64_t full = m == 64 ? UINT64_MAX : (UINT64_C(1) << m) - 1;
    w->coef = cs_xcalloc(w->Q * n, sizeof *w->coef);
    double *shap = cs_xcalloc(m ? m * n : 1, sizeof *shap);
    int st = w->coef && shap ? CS_OK : cs_error_set(err, CS_ENOMEM, "out of memory");
    if (st == CS_OK)
        st = add_coef(w, Q_BASELINE, 0, 1.0, err);
    if (st == CS_OK)
        st = add_coef(w, Q_ALL, full, 1.0, err);
    if (st == CS_OK)
        st = add_coef(w, Q_PROCESSING, full, 1.0, err);
    if (st == CS_OK)
        st = add_coef(w, Q_PROCESSING, 0, -1.0, err);
    if (st == CS_OK)
        st = add_coef(w, Q_NOT_EQUALISED, full, 1.0, err);
    for (size_t j = 0; j < m && st == CS_OK; j++)
        st = stage_coefficients(w, j, full, err);
    if (st == CS_OK && m > 0)
        st = cs_shapley_coefficients(m, in->n_orders ? in->orders : NULL, in->n_orders, w->masks, n,
                                     shap, err);
    for (size_t j = 0; j < m && st == CS_OK; j++)
        memcpy(&w->coef[(Q_WHOLE + Q_PER_STAGE * j + Q_SHAPLEY) * n], &shap[j * n],
               n * sizeof *shap);
    free(shap);
    return st == CS_EINVAL ? cs_error_set(err, CS_EFORMAT, "in the decomposition") : st;
}

/* Sizes, measure indices and the work arrays. */
static int dwork_setup(dwork *w, cs_error *err)
{
    const cs_disparity_input *in = w->in;
    w->m = in->n_decomposed;
    w->Q = Q_WHOLE + Q_PER_STAGE * w->m;
    w->H = (in->n_groups - 1) * CS_DISPARITY_N_MEASURES;
    for (size_t k = 0; k < CS_DISPARITY_N_MEASURES; k++) {
        const char *name = cs_measure_table[cs_disparity_measures[k]].name;
        w->midx[k] = -1;
        for (size_t i = 0; i < in->n_measures; i++)
            if (strcmp(in->measures[i], name) == 0)
                w->midx[k] = (long)i;
        if (w->midx[k] < 0)
            return cs_error_set(err, CS_EFORMAT, "/scenario/measures lacks '%s'", name);
        int of = cs_measure_ratio_of((size_t)cs_disparity_measures[k]);
        w->ridx[k] = -1;
        for (size_t i = 0; of >= 0 && i < in->n_measures; i++)
            if (strcmp(in->measures[i], cs_measure_table[of].name) == 0)
                w->ridx[k] = (long)i;
        if (of >= 0 && w->ridx[k] < 0)
            return cs_error_set(err, CS_EFORMAT, "/scenario/measures lacks '%s'",
                                cs_measure_table[of].name);
    }
    size_t G1 = in->n_groups + 1;
    size_t per = G1 * in->n_measures + w->Q * w->H; /* doubles per replicate */
    w->rows = BLOCK_BYTES / (per * sizeof(double));
    w->rows = w->rows < 1 ? 1 : w->rows < in->replicates ? w->rows : in->replicates;
    w->meas = cs_xcalloc(w->rows * G1 * in->n_measures, sizeof *w->meas);
    w->acc = cs_xcalloc(w->rows * w->Q * w->H, sizeof *w->acc);
    w->sum = cs_xcalloc(w->Q * w->H, sizeof *w->sum);
    w->vmean = cs_xcalloc(w->n_masks * w->H, sizeof *w->vmean);
    w->rate = cs_xcalloc(w->n_masks * w->H * 2, sizeof *w->rate);
    w->additivity = cs_xcalloc(w->H, sizeof *w->additivity);
    if (!w->meas || !w->acc || !w->sum || !w->vmean || !w->rate || !w->additivity)
        return cs_error_set(err, CS_ENOMEM, "out of memory (/disparity)");
    return CS_OK;
}

/* Ratio R(T) of series h for subset t: of the mean rates; NaN if the
 * reference group's is 0. */
static double subset_ratio(const dwork *w, size_t t, size_t h)
{
    const cs_mean_acc *a = &w->rate[(t * w->H + h) * 2];
    return a[0].n && a[1].mean != 0.0 ? a[0].mean / a[1].mean : NAN;
}

/* The value of series h in replicate r of subset t (in w->meas): a
 * difference's own, a ratio's influence (see the top of the file). */
static double series_value(const dwork *w, size_t t, uint64_t r, size_t h)
{
    size_t G1 = w->in->n_groups + 1, M = w->in->n_measures, K = CS_DISPARITY_N_MEASURES;
    const double *x = &w->meas[r * G1 * M], *xg = &x[(1 + h / K) * M];
    if (w->ridx[h % K] < 0)
        return xg[w->midx[h % K]];
    size_t i = (size_t)w->ridx[h % K];
    return (xg[i] - subset_ratio(w, t, h) * x[i]) / w->rate[(t * w->H + h) * 2 + 1].mean;
}

/* Adds subset t's rates of n replicates (in w->meas) to the ratios' means
 * (the first pass). */
static void add_rates(dwork *w, size_t t, uint64_t n)
{
    size_t G1 = w->in->n_groups + 1, M = w->in->n_measures, K = CS_DISPARITY_N_MEASURES;
    for (uint64_t r = 0; r < n; r++)
        for (size_t h = 0; h < w->H; h++) {
            const double *x = &w->meas[r * G1 * M];
            long i = w->ridx[h % K];
            if (i < 0 || isnan(x[(1 + h / K) * M + i]) || isnan(x[i]))
                continue;
            cs_mean_acc_add(&w->rate[(t * w->H + h) * 2], x[(1 + h / K) * M + i]);
            cs_mean_acc_add(&w->rate[(t * w->H + h) * 2 + 1], x[i]);
        }
}

/* Adds subset t's values of n replicates (in w->meas) to the quantities. */
static void add_subset(dwork *w, size_t t, uint64_t n)
{
    for (uint64_t r = 0; r < n; r++)
        for (size_t h = 0; h < w->H; h++) {
            double v = series_value(w, t, r, h);
            cs_mean_acc_add(&w->vmean[t * w->H + h], v);
            for (size_t q = 0; q < w->Q; q++) {
                double c = w->coef[q * w->n_masks + t];
                if (c != 0.0) /* 0 x NaN would spoil quantities that do not use v */
                    w->acc[(r * w->Q + q) * w->H + h] += c * v;
            }
        }
}

/* Closes a block: the additivity check, and every quantity into its
 * summary (a ratio's parity is taken off its estimate, ratio_estimate). */
static void close_block(dwork *w, uint64_t n)
{
    for (uint64_t r = 0; r < n; r++)
        for (size_t h = 0; h < w->H; h++) {
            double *a = &w->acc[r * w->Q * w->H + h];
            double shares = 0.0;
            for (size_t j = 0; j < w->m; j++)
                shares += a[(Q_WHOLE + Q_PER_STAGE * j + Q_SHAPLEY) * w->H];
            double gap = fabs(shares - a[Q_PROCESSING * w->H]);
            if (gap > w->additivity[h])
                w->additivity[h] = gap;
            for (size_t q = 0; q < w->Q; q++)
                cs_mean_acc_add(&w->sum[q * w->H + h], a[q * w->H]);
        }
}

/* Reads every subset's variant block by block: on the first pass into
 * the ratios' mean rates, on the second into the summaries. */
static int accumulate(dwork *w, int pass, cs_error *err)
{
    const cs_disparity_input *in = w->in;
    int st = CS_OK;
    for (uint64_t first = 0; first < in->replicates && st == CS_OK; first += w->rows) {
        uint64_t n = in->replicates - first < w->rows ? in->replicates - first : w->rows;
        memset(w->acc, 0, n * w->Q * w->H * sizeof *w->acc);
        for (size_t t = 0; t < w->n_masks && st == CS_OK; t++) {
            st = in->load(in->ctx, w->variant[t], CS_ARRAY_measures, first, n, w->meas, err);
            if (st == CS_OK && pass == 0)
                add_rates(w, t, n);
            else if (st == CS_OK)
                add_subset(w, t, n);
        }
        if (st == CS_OK && pass == 1)
            close_block(w, n);
    }
    return st;
}

/* A ratio series' estimate of quantity q: its combination of the subsets'
 * ratios, less 1 (parity) for the part not equalised. */
static double ratio_estimate(const dwork *w, size_t q, size_t h)
{
    double e = q == Q_NOT_EQUALISED ? -1.0 : 0.0;
    for (size_t t = 0; t < w->n_masks; t++) {
        double c = w->coef[q * w->n_masks + t];
        if (c != 0.0)
            e += c * subset_ratio(w, t, h);
    }
    return e;
}

/* The row of quantity q for series h. */
static void decomposition_row(const dwork *w, size_t q, size_t h, const double *se,
                              cs_decomposition_row *row)
{
    const cs_disparity_input *in = w->in;
    size_t K = CS_DISPARITY_N_MEASURES;
    cs_summary s;
    cs_mean_acc_result(&w->sum[q * w->H + h], CS_STATS_LEVEL, &s);
    if (w->ridx[h % K] >= 0) {
        /* The influences' mean is 0 up to rounding; their interval's
         * half-width is the estimate's. */
        double e = ratio_estimate(w, q, h), half = s.ci_high - s.mean;
        s.ci_low = e - half;
        s.ci_high = e + half;
        s.mean = e;
    }
    size_t j = q >= Q_WHOLE ? (q - Q_WHOLE) / Q_PER_STAGE : 0;
    size_t kind = q >= Q_WHOLE ? (q - Q_WHOLE) % Q_PER_STAGE : 0;
    *row = (cs_decomposition_row){
        .group = (char *)in->groups[1 + h / K],
        .measure = (char *)cs_measure_table[cs_disparity_measures[h % K]].name,
        .quantity = (char *)(q < Q_WHOLE ? whole_names[q] : stage_names[kind]),
        .stage = (char *)(q < Q_WHOLE ? "" : in->stages[in->decomposed[j]]),
        .mean = s.mean,
        .ci_low = s.ci_low,
        .ci_high = s.ci_high,
        .sampling_se = q >= Q_WHOLE && kind == Q_SHAPLEY ? se[j] : 0.0,
        .additivity_error = q == Q_PROCESSING ? w->additivity[h] : NAN,
        .n = (int64_t)s.n};
}

/* One row per (series, quantity), with the sampling errors of the shares. */
static int rows(const dwork *w, cs_disparity_tables *out, cs_error *err)
{
    const cs_disparity_input *in = w->in;
    size_t K = CS_DISPARITY_N_MEASURES;
    out->decomposition = cs_xcalloc(w->H * w->Q, sizeof *out->decomposition);
    double *value = cs_xcalloc(w->n_masks, sizeof *value), se[64] = {0};
    int st = out->decomposition && value ? CS_OK : cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t h = 0; h < w->H && st == CS_OK; h++) {
        for (size_t t = 0; t < w->n_masks; t++)
            value[t] = w->ridx[h % K] >= 0        ? subset_ratio(w, t, h)
                       : w->vmean[t * w->H + h].n ? w->vmean[t * w->H + h].mean
                                                  : NAN;
        if (w->m > 0)
            st = cs_shapley_sampling_se(w->m, in->n_orders ? in->orders : NULL, in->n_orders,
                                        w->masks, w->n_masks, value, se, err);
        for (size_t q = 0; q < w->Q && st == CS_OK; q++)
            decomposition_row(w, q, h, se, &out->decomposition[out->n_decomposition++]);
    }
    free(value);
    return st;
}

int cs_disparity_decompose(const cs_disparity_input *in, cs_disparity_tables *out, cs_error *err)
{
    if (in->n_groups < 2 || in->replicates == 0)
        return CS_OK;
    if (in->n_decomposed > 64 || (in->n_orders == 0 && in->n_decomposed > CS_SHAPLEY_EXACT_MAX))
        return cs_error_set(err, CS_EFORMAT, "the decomposition has %zu stages and %zu orders",
                            in->n_decomposed, in->n_orders);
    dwork w = {.in = in};
    int st = find_subsets(&w, err);
    if (st == CS_OK)
        st = dwork_setup(&w, err);
    if (st == CS_OK)
        st = coefficients(&w, err);
    if (st == CS_OK)
        st = accumulate(&w, 0, err);
    if (st == CS_OK)
        st = accumulate(&w, 1, err);
    if (st == CS_OK)
        st = rows(&w, out, err);
    dwork_free(&w);
    return st;
}
