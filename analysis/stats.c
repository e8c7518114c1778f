/* stats.c — summaries, paired comparisons, cost per point and the bootstrap
 * ranking (see include/casesim/stats.h and analysis/README.md). */
#include "casesim/stats.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

double cs_stats_t_critical(double level, double df)
{
    if (!(df > 0) || !(level > 0 && level < 1))
        return NAN;
    return gsl_cdf_tdist_Pinv(0.5 + 0.5 * level, df);
}

static int check_args(const void *x, size_t n, size_t stride, double level, cs_error *err)
{
    if (stride == 0)
        return cs_error_set(err, CS_EINVAL, "statistics: stride must be at least 1");
    if (!x && n > 0)
        return cs_error_set(err, CS_EINVAL, "statistics: no data given for %zu values", n);
    if (!(level > 0 && level < 1))
        return cs_error_set(err, CS_EINVAL,
                            "statistics: confidence level %g is not between 0 and 1", level);
    return CS_OK;
}

/* Fills the sd and interval of *s from its mean, n and the sum of squared
 * deviations. */
static void finish_summary(cs_summary *s, double ssd, double level)
{
    s->sd = NAN;
    s->ci_low = NAN;
    s->ci_high = NAN;
    if (s->n < 2)
        return;
    double nn = (double)s->n;
    s->sd = sqrt(ssd / (nn - 1));
    double half = cs_stats_t_critical(level, nn - 1) * s->sd / sqrt(nn);
    s->ci_low = s->mean - half;
    s->ci_high = s->mean + half;
}

int cs_stats_summarise(const double *x, size_t n, size_t stride, double level, cs_summary *out,
                       cs_error *err)
{
    out->mean = NAN;
    out->sd = NAN;
    out->ci_low = NAN;
    out->ci_high = NAN;
    out->n = 0;
    int st = check_args(x, n, stride, level, err);
    if (st != CS_OK)
        return st;
    double sum = 0;
    uint64_t m = 0;
    for (size_t i = 0; i < n; i++) {
        double v = x[i * stride];
        if (isnan(v))
            continue;
        sum += v;
        m++;
    }
    out->n = m;
    if (m == 0)
        return CS_OK;
    out->mean = sum / (double)m;
    /* Second pass: squared deviations from the mean, which loses far less
     * precision than sum(x^2) - n mean^2 when the spread is small. */
    double ssd = 0;
    for (size_t i = 0; i < n; i++) {
        double v = x[i * stride];
        if (!isnan(v))
            ssd += (v - out->mean) * (v - out->mean);
    }
    finish_summary(out, ssd, level);
    return CS_OK;
}

void cs_stats_share_interval(double level, cs_summary *s)
{
    if (s->n < 2 || isnan(s->mean) || isnan(s->sd) || !(level > 0 && level < 1))
        return;
    double p = s->mean < 0 ? 0 : s->mean > 1 ? 1 : s->mean;
    double se = s->sd / sqrt((double)s->n);
    if (!(se > 0) || p <= 0 || p >= 1) {
        /* Every replicate gave the same value (or rounding put the mean on
         * a bound): the interval is that value. */
        s->ci_low = s->ci_high = p;
        return;
    }
    double t = cs_stats_t_critical(level, (double)s->n - 1);
    double n_eff = p * (1 - p) / (se * se), t2n = t * t / n_eff;
    double center = (p + t2n / 2) / (1 + t2n);
    double half = t / (1 + t2n) * sqrt(se * se + t * t / (4 * n_eff * n_eff));
    s->ci_low = fmax(0.0, center - half);
    s->ci_high = fmin(1.0, center + half);
}

int cs_stats_paired(const double *x, size_t xstride, const double *y, size_t ystride, size_t n,
                    double level, cs_paired *out, cs_error *err)
{
    out->diff = (cs_summary){NAN, NAN, NAN, NAN, 0};
    out->baseline_mean = NAN;
    out->variant_mean = NAN;
    out->relative_change = NAN;
    int st = check_args(x, n, xstride, level, err);
    if (st == CS_OK)
        st = check_args(y, n, ystride, level, err);
    if (st != CS_OK)
        return st;
    double sx = 0, sy = 0, sd = 0;
    uint64_t m = 0;
    for (size_t i = 0; i < n; i++) {
        double a = x[i * xstride], b = y[i * ystride];
        if (isnan(a) || isnan(b))
            continue;
        sx += a;
        sy += b;
        sd += b - a;
        m++;
    }
    out->diff.n = m;
    if (m == 0)
        return CS_OK;
    out->baseline_mean = sx / (double)m;
    out->variant_mean = sy / (double)m;
    out->diff.mean = sd / (double)m;
    double ssd = 0;
    for (size_t i = 0; i < n; i++) {
        double a = x[i * xstride], b = y[i * ystride];
        if (isnan(a) || isnan(b))
            continue;
        double dev = (b - a) - out->diff.mean;
        ssd += dev * dev;
    }
    finish_summary(&out->diff, ssd, level);
    if (out->baseline_mean != 0)
        out->relative_change = out->diff.mean / out->baseline_mean;
    return CS_OK;
}

/* ------------------------------------------------ ratios of means */

/* Whether replicate i is defined (not NaN) in each of the k series c. */
static bool all_defined(const double *const *c, size_t k, size_t i, size_t stride)
{
    for (size_t j = 0; j < k; j++)
        if (isnan(c[j][i * stride]))
            return false;
    return true;
}

/* The means of the k series c over the replicates defined in all of them
 * into mean[k]; returns how many there are. */
static uint64_t joint_means(const double *const *c, size_t k, size_t n, size_t stride, double *mean)
{
    uint64_t m = 0;
    for (size_t j = 0; j < k; j++)
        mean[j] = 0;
    for (size_t i = 0; i < n; i++) {
        if (!all_defined(c, k, i, stride))
            continue;
        for (size_t j = 0; j < k; j++)
            mean[j] += c[j][i * stride];
        m++;
    }
    for (size_t j = 0; m && j < k; j++)
        mean[j] /= (double)m;
    return m;
}

/* The influence of replicate i on the ratio of means R = mean_a / mean_b
 * of the series a, b: R z_i = (a_i - R b_i) / mean_b with z_i = a_i / mean_a
 * - b_i / mean_b, written so that it needs no division by mean_a (R may be
 * 0). The delta method gives var(R) ~ var(R z) / n. */
static double ratio_influence(const double *a, const double *b, double ratio, double mean_b,
                              size_t i, size_t stride)
{
    return (a[i * stride] - ratio * b[i * stride]) / mean_b;
}

/* The sample sd of the influence of the ratio (series c[0] over c[1],
 * ratio r0, mean of c[1] d0) minus, when c[2] is given, that of c[2] over
 * c[3] (ratio r1, mean d1: the paired difference), over the replicates
 * defined in all k series (their mean is 0 up to rounding). */
static double influence_sd(const double *const *c, size_t k, size_t n, size_t stride,
                           const double *r, const double *d)
{
    double sum = 0, ssd = 0;
    uint64_t m = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            if (!all_defined(c, k, i, stride))
                continue;
            double u = ratio_influence(c[0], c[1], r[0], d[0], i, stride);
            if (k == 4)
                u -= ratio_influence(c[2], c[3], r[1], d[1], i, stride);
            if (pass == 0) {
                sum += u;
                m++;
            } else {
                ssd += (u - sum / (double)m) * (u - sum / (double)m);
            }
        }
    return m > 1 ? sqrt(ssd / (double)(m - 1)) : NAN;
}

int cs_stats_ratio_of_means(const double *a, const double *b, size_t n, size_t stride, double level,
                            cs_summary *out, cs_error *err)
{
    *out = (cs_summary){NAN, NAN, NAN, NAN, 0};
    int st = check_args(a, n, stride, level, err);
    if (st == CS_OK)
        st = check_args(b, n, stride, level, err);
    if (st != CS_OK)
        return st;
    const double *c[2] = {a, b};
    double mean[2];
    out->n = joint_means(c, 2, n, stride, mean);
    if (out->n == 0 || !(mean[1] != 0))
        return CS_OK; /* undefined: the reference group's mean is 0 */
    out->mean = mean[0] / mean[1];
    if (out->n < 2)
        return CS_OK;
    out->sd = influence_sd(c, 2, n, stride, &out->mean, &mean[1]);
    double se = out->sd / sqrt((double)out->n), t = cs_stats_t_critical(level, out->n - 1.0);
    if (out->mean > 0) {
        /* On the log scale, where a ratio's sampling distribution is far
         * closer to normal (it is bounded below by 0 and skewed right when
         * the counts are small) and the interval cannot reach below 0:
         * var(log R) ~ var(z) / n = (sd / R)^2 / n. */
        out->ci_low = out->mean * exp(-t * se / out->mean);
        out->ci_high = out->mean * exp(t * se / out->mean);
    } else if (se == 0) {
        out->ci_low = out->ci_high = out->mean; /* 0 in every replicate */
    }
    return CS_OK;
}

int cs_stats_ratio_paired(const double *xa, const double *xb, const double *ya, const double *yb,
                          size_t n, size_t stride, double level, cs_paired *out, cs_error *err)
{
    out->diff = (cs_summary){NAN, NAN, NAN, NAN, 0};
    out->baseline_mean = out->variant_mean = out->relative_change = NAN;
    const double *c[4] = {ya, yb, xa, xb};
    int st = CS_OK;
    for (int j = 0; j < 4 && st == CS_OK; j++)
        st = check_args(c[j], n, stride, level, err);
    if (st != CS_OK)
        return st;
    double mean[4];
    out->diff.n = joint_means(c, 4, n, stride, mean);
    if (out->diff.n == 0 || !(mean[1] != 0) || !(mean[3] != 0))
        return CS_OK; /* undefined: a reference group's mean is 0 */
    double r[2] = {mean[0] / mean[1], mean[2] / mean[3]}, d[2] = {mean[1], mean[3]};
    out->variant_mean = r[0];
    out->baseline_mean = r[1];
    out->diff.mean = r[0] - r[1];
    if (out->baseline_mean != 0)
        out->relative_change = out->diff.mean / out->baseline_mean;
    if (out->diff.n < 2)
        return CS_OK;
    /* A difference can be of either sign: its interval is on the linear
     * scale. Identical series give influences that cancel exactly. */
    out->diff.sd = influence_sd(c, 4, n, stride, r, d);
    double half =
        cs_stats_t_critical(level, out->diff.n - 1.0) * out->diff.sd / sqrt((double)out->diff.n);
    out->diff.ci_low = out->diff.mean - half;
    out->diff.ci_high = out->diff.mean + half;
    return CS_OK;
}

void cs_stats_cost_per_point(double annual_cost, const cs_summary *impunity_diff, double *cost,
                             double *cost_low, double *cost_high)
{
    *cost = NAN;
    *cost_low = NAN;
    *cost_high = NAN;
    double points = -100.0 * impunity_diff->mean;
    if (!(points > 0) || isnan(annual_cost))
        return;
    /* The reduction's interval, in points: the diff interval negated. */
    double r_high = -100.0 * impunity_diff->ci_low;
    double r_low = -100.0 * impunity_diff->ci_high;
    if (annual_cost == 0) {
        *cost = *cost_low = *cost_high = 0;
        return;
    }
    *cost = annual_cost / points;
    if (isnan(r_high) || isnan(r_low))
        return;                       /* a single replicate: no interval */
    *cost_low = annual_cost / r_high; /* r_high >= points > 0 */
    *cost_high = r_low > 0 ? annual_cost / r_low : INFINITY;
}

int cs_ranking_alloc(size_t n_variants, cs_ranking **out, cs_error *err)
{
    *out = NULL;
    cs_ranking *r = calloc(1, sizeof *r);
    if (!r)
        return cs_error_set(err, CS_ENOMEM, "out of memory for a ranking");
    r->n_variants = n_variants;
    size_t k = n_variants ? n_variants : 1;
    r->score = calloc(k, sizeof *r->score);
    r->rank = calloc(k, sizeof *r->rank);
    r->p_best = calloc(k, sizeof *r->p_best);
    if (!r->score || !r->rank || !r->p_best) {
        cs_ranking_free(r);
        return cs_error_set(err, CS_ENOMEM, "out of memory for a ranking of %zu variants",
                            n_variants);
    }
    *out = r;
    return CS_OK;
}

void cs_ranking_free(cs_ranking *r)
{
    if (!r)
        return;
    free(r->score);
    free(r->rank);
    free(r->p_best);
    free(r);
}

uint32_t cs_stats_uniform_index(cs_pcg32 *g, uint32_t bound)
{
    uint64_t m = (uint64_t)cs_pcg32_next(g) * bound;
    uint32_t low = (uint32_t)m;
    if (low < bound) {
        uint32_t threshold = (uint32_t)(-bound) % bound;
        while (low < threshold) {
            m = (uint64_t)cs_pcg32_next(g) * bound;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

static double score_of(double mean, cs_rank_score score)
{
    if (isnan(mean))
        return NAN;
    if (score == CS_RANK_PARITY)
        return fabs(log(mean)); /* ratio 0 or Inf scores +Inf: farthest from parity */
    return mean;
}

/* Score of a variant on the replicates idx[0..n) (all replicates if idx
 * is NULL): of the mean of vals, or with den (not NULL) of the ratio of the
 * means of vals and den over the replicates where both are defined;
 * NaNs skipped. */
static double score_on(const double *vals, const double *den, size_t n, const uint32_t *idx,
                       cs_rank_score score)
{
    double sum = 0, sum_den = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        size_t at = idx ? idx[i] : i;
        double x = vals[at], y = den ? den[at] : 1.0;
        if (isnan(x) || isnan(y))
            continue;
        sum += x;
        sum_den += y;
        m++;
    }
    if (!m || (den && !(sum_den != 0)))
        return NAN;
    return score_of(den ? sum / sum_den : sum / (double)m, score);
}

/* Competition ranking of r's scores: 1 + the number of strictly better
 * scores; 0 for an undefined score. */
static void rank_scores(cs_ranking *r)
{
    for (size_t v = 0; v < r->n_variants; v++) {
        if (isnan(r->score[v])) {
            r->rank[v] = 0;
            continue;
        }
        uint32_t better = 0;
        for (size_t u = 0; u < r->n_variants; u++)
            if (!isnan(r->score[u]) && r->score[u] < r->score[v])
                better++;
        r->rank[v] = better + 1;
    }
}

/* One bootstrap resample (replicate indices idx): scores every variant into
 * s and credits the best in r->p_best (ties split equally). Returns whether
 * some variant was defined on it. */
static bool credit_best(const double *values, const double *den, size_t n_replicates,
                        const uint32_t *idx, cs_rank_score score, double *s, cs_ranking *r)
{
    double best = INFINITY;
    size_t n_best = 0;
    for (size_t v = 0; v < r->n_variants; v++) {
        s[v] = score_on(values + v * n_replicates, den ? den + v * n_replicates : NULL,
                        n_replicates, idx, score);
        if (isnan(s[v]))
            continue;
        if (s[v] < best || n_best == 0) {
            best = s[v];
            n_best = 1;
        } else if (s[v] == best) {
            n_best++;
        }
    }
    for (size_t v = 0; n_best && v < r->n_variants; v++)
        if (!isnan(s[v]) && s[v] == best)
            r->p_best[v] += 1.0 / (double)n_best;
    return n_best > 0;
}

/* cs_stats_rank, with den (not NULL) cs_stats_rank_ratio. */
static int rank(const double *values, const double *den, size_t n_variants, size_t n_replicates,
                cs_rank_score score, const cs_stream_key *key, size_t n_boot, cs_ranking *r,
                cs_error *err)
{
    if (!r || r->n_variants != n_variants)
        return cs_error_set(err, CS_EINVAL, "ranking: allocated for a different variant count");
    if (n_boot == 0 || n_replicates == 0 || n_replicates > UINT32_MAX)
        return cs_error_set(err, CS_EINVAL,
                            "ranking: needs at least one replicate and one resample "
                            "(%zu replicates, %zu resamples)",
                            n_replicates, n_boot);
    if (n_variants > SIZE_MAX / n_replicates)
        return cs_error_set(err, CS_ELIMIT, "ranking: too many values");
    for (size_t v = 0; v < n_variants; v++) {
        r->score[v] = score_on(values + v * n_replicates, den ? den + v * n_replicates : NULL,
                               n_replicates, NULL, score);
        r->p_best[v] = 0;
    }
    rank_scores(r);
    uint32_t *idx = malloc(n_replicates * sizeof *idx);
    double *s = malloc((n_variants ? n_variants : 1) * sizeof *s);
    if (!idx || !s) {
        free(idx);
        free(s);
        return cs_error_set(err, CS_ENOMEM, "out of memory for the bootstrap");
    }
    cs_pcg32 g;
    cs_pcg32_from_key(&g, key);
    size_t credited = 0;
    for (size_t b = 0; b < n_boot; b++) {
        for (size_t i = 0; i < n_replicates; i++)
            idx[i] = cs_stats_uniform_index(&g, (uint32_t)n_replicates);
        credited += credit_best(values, den, n_replicates, idx, score, s, r);
    }
    for (size_t v = 0; v < n_variants; v++)
        r->p_best[v] = credited ? r->p_best[v] / (double)credited : NAN;
    r->n_boot = n_boot;
    free(idx);
    free(s);
    return CS_OK;
}

int cs_stats_rank(const double *values, size_t n_variants, size_t n_replicates, cs_rank_score score,
                  const cs_stream_key *key, size_t n_boot, cs_ranking *r, cs_error *err)
{
    return rank(values, NULL, n_variants, n_replicates, score, key, n_boot, r, err);
}

int cs_stats_rank_ratio(const double *num, const double *den, size_t n_variants,
                        size_t n_replicates, const cs_stream_key *key, size_t n_boot, cs_ranking *r,
                        cs_error *err)
{
    if (!den)
        return cs_error_set(err, CS_EINVAL, "ranking: no denominators given");
    return rank(num, den, n_variants, n_replicates, CS_RANK_PARITY, key, n_boot, r, err);
}
