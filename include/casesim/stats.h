/*
 * casesim/stats.h — the statistics of a results file: summaries with
 * t-based confidence intervals, paired comparisons against the baseline
 * (common random numbers), cost per percentage point of impunity removed,
 * and a bootstrap ranking of variants that says how sure it is.
 *
 * Every function here is pure: no global state, no allocation visible to the
 * caller except where stated, thread-safe. The method, with its formulas, is
 * explained in analysis/README.md.
 *
 * NaN handling: a measure can be undefined in a replicate (a rate over zero
 * well-founded incidents). Summaries skip NaN values and report how many
 * values they used (n); paired comparisons use the replicates where both
 * values are defined. Infinite values are not skipped: they make the mean
 * infinite, which a reader then sees rather than a silently biased mean.
 */
#ifndef CASESIM_STATS_H
#define CASESIM_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "casesim/error.h"
#include "casesim/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The confidence level casesim reports everywhere. */
#define CS_STATS_LEVEL 0.95

/* Bootstrap resamples used for the ranking's probability of being best. The
 * Monte Carlo standard error of a probability p estimated from B resamples
 * is sqrt(p (1 - p) / B) <= 0.011 for B = 2000. */
#define CS_STATS_BOOTSTRAP 2000

/* Mean, standard deviation and confidence interval of a sample. */
typedef struct cs_summary {
    double mean;   /* NaN when n = 0 */
    double sd;     /* sample standard deviation (divisor n - 1); NaN when n < 2 */
    double ci_low; /* mean -/+ t_{(1+level)/2, n-1} sd / sqrt(n); NaN when n < 2 */
    double ci_high;
    uint64_t n; /* values used (the non-NaN ones) */
} cs_summary;

/* The two-sided Student t quantile t_{(1+level)/2, df}: the half-width of a
 * level confidence interval in standard errors (gsl_cdf_tdist_Pinv). Returns
 * NaN if df <= 0 or level is not in (0, 1). */
double cs_stats_t_critical(double level, double df);

/* Summarises x[0], x[stride], ..., x[(n-1)*stride], skipping NaNs: mean,
 * sample sd (two-pass, for accuracy), and the t-based confidence interval at
 * `level` (0 < level < 1). Writes *out in every case. Returns CS_OK, or
 * CS_EINVAL (with err) if stride is 0, x is NULL with n > 0, or level is out
 * of range. */
int cs_stats_summarise(const double *x, size_t n, size_t stride, double level, cs_summary *out,
                       cs_error *err);

/* Replaces the interval of s, a summary of per-replicate shares (each in
 * [0, 1]: a rate such as impunity), by one that stays inside [0, 1]: the
 * Wilson score interval with an effective sample size (in the manner of
 * Korn and Graubard, 1998), n_eff = p (1 - p) / se^2, where p is the mean
 * of the replicates' shares and se = sd / sqrt(n) its standard error, and
 * with the Student t quantile of n - 1 degrees of freedom in place of the
 * normal one. It is the t interval of the mean when n_eff is large (centre
 * p + O(1/n_eff), half-width t se (1 + O(1/n_eff))), and unlike it never
 * leaves [0, 1] when the mean is near a bound. When every replicate gave
 * the same share (se = 0, e.g. a rate of 0 or 1 in every replicate) the
 * interval is that share. Leaves s unchanged when n < 2 or the mean is
 * NaN. */
void cs_stats_share_interval(double level, cs_summary *s);

/* A paired comparison of y (a variant) against x (the baseline). */
typedef struct cs_paired {
    cs_summary diff;        /* of d_i = y_i - x_i over pairs where both are defined */
    double baseline_mean;   /* mean of x over those pairs */
    double variant_mean;    /* mean of y over those pairs */
    double relative_change; /* diff.mean / baseline_mean; NaN if baseline_mean is 0 or NaN */
} cs_paired;

/* Compares y with x replicate by replicate (x[i*xstride] with y[i*ystride],
 * i < n): the mean paired difference y - x with its t-based confidence
 * interval at `level`, both means over the same pairs, and the relative
 * change. Pairs where either value is NaN are left out (diff.n counts the
 * pairs used). Returns CS_OK or CS_EINVAL (as cs_stats_summarise). */
int cs_stats_paired(const double *x, size_t xstride, const double *y, size_t ystride, size_t n,
                    double level, cs_paired *out, cs_error *err);

/* ---- ratios of means (the disparity ratios)
 *
 * A disparity ratio compares a group's rate with the reference group's.
 * Summarised over replicates it is the ratio of the means of the two
 * groups' per-replicate rates, R = mean(a) / mean(b), not the mean of the
 * per-replicate ratios a_i / b_i: the latter is biased when the counts
 * behind a replicate's rates are small (E[a/b] != E[a]/E[b]; by Jensen's
 * inequality it exceeds 1 for identical groups). Its interval is from the
 * delta method over replicates with the replicate-level influence
 * z_i = a_i / mean(a) - b_i / mean(b): var(log R) ~ var(z) / n. */

/* Summarises the ratio of means of a[i*stride] over b[i*stride], i < n,
 * over the replicates where both are defined (out->n counts them): mean =
 * R; sd = the sample sd of the influence R z_i on the ratio's scale (so
 * that sd / sqrt(n) is R's delta-method standard error); the interval
 * R exp(-/+ t_{(1+level)/2, n-1} sd(z) / sqrt(n)), on the log scale (it
 * stays positive and follows the ratio's skew). R is NaN (with sd and
 * interval) when mean(b) is 0: the ratio is undefined. When R is 0 the
 * interval is [0, 0] if every a_i is 0 and NaN otherwise (no log scale);
 * it is NaN when R < 0 or n < 2. Returns CS_OK, or CS_EINVAL (with err) as
 * cs_stats_summarise. */
int cs_stats_ratio_of_means(const double *a, const double *b, size_t n, size_t stride, double level,
                            cs_summary *out, cs_error *err);

/* The paired comparison of the ratio of means ya / yb (a variant) with
 * xa / xb (the baseline), replicate i of the variant paired with replicate
 * i of the baseline (common random numbers), over the replicates where all
 * four are defined: baseline_mean = R_x, variant_mean = R_y, diff.mean =
 * R_y - R_x, with the t interval on the linear scale from the influence of
 * the difference, R_y z_{y,i} - R_x z_{x,i} (its sample sd is diff.sd), and
 * relative_change = diff.mean / R_x. A variant identical to the baseline
 * gives 0 with an interval of zero width. All NaN (diff.n still counting
 * the replicates) when a reference mean is 0. Returns CS_OK or CS_EINVAL
 * (as cs_stats_summarise). */
int cs_stats_ratio_paired(const double *xa, const double *xb, const double *ya, const double *yb,
                          size_t n, size_t stride, double level, cs_paired *out, cs_error *err);

/* The cost of one percentage point of impunity removed, with its interval.
 *
 * impunity_diff is the paired difference (variant - baseline) of the impunity
 * rate (a share in [0, 1]) of the group the cost is judged on. The reduction in
 * percentage points is R = -100 * impunity_diff.mean, and
 *     cost_per_point = annual_cost / R                      (currency per year
 *                                                            per point)
 * defined only when R > 0. Its interval maps the reduction's interval
 * [R_low, R_high] = [-100 ci_high, -100 ci_low] through the decreasing
 * function c -> annual_cost / c: [annual_cost / R_high, annual_cost / R_low],
 * with +Inf as upper end when R_low <= 0 (the data do not exclude that the
 * intervention removes no impunity, so the cost of a point is unbounded).
 * When R <= 0 or is NaN (impunity does not fall), all three are NaN: a cost
 * per point of an intervention that removes nothing is not defined. A zero
 * annual_cost gives 0 (and [0, 0]) whenever R > 0. */
void cs_stats_cost_per_point(double annual_cost, const cs_summary *impunity_diff, double *cost,
                             double *cost_low, double *cost_high);

/* How a ranking criterion is scored from a variant's mean value. */
typedef enum cs_rank_score {
    CS_RANK_LOWER = 0, /* score = mean (lower is better: impunity) */
    CS_RANK_PARITY     /* score = |ln(mean)| (closer to 1 is better: a disparity ratio) */
} cs_rank_score;

/* A ranking of variants on one criterion. */
typedef struct cs_ranking {
    size_t n_variants;
    double *score;  /* [n_variants] the criterion's score on all replicates; NaN if undefined */
    uint32_t *rank; /* [n_variants] 1 = best; ties share the better rank (1, 2, 2, 4);
                       0 = not ranked (score undefined) */
    double *p_best; /* [n_variants] share of bootstrap resamples in which the variant is
                       best (ties split equally); they sum to 1 over ranked variants */
    size_t n_boot;  /* resamples used */
} cs_ranking;

/* Allocates a ranking for n_variants (arrays zeroed). Returns CS_OK or
 * CS_ENOMEM; free with cs_ranking_free. */
int cs_ranking_alloc(size_t n_variants, cs_ranking **out, cs_error *err);

/* Frees r. NULL is a no-op. */
void cs_ranking_free(cs_ranking *r);

/* Ranks n_variants variants whose per-replicate values are
 * values[v * n_replicates + r] (NaN allowed: means skip them).
 *
 * The score of a variant is its mean over replicates, transformed by `score`.
 * rank orders the scores on all replicates. p_best is a nonparametric
 * bootstrap over replicates: each of n_boot resamples draws n_replicates
 * replicate indices with replacement, the SAME indices for every variant (so
 * the pairing of common random numbers is kept), scores every variant on the
 * resample and credits the best (ties split equally). The indices come from
 * the PCG stream keyed by *key (callers use purpose CS_STREAM_ANALYSIS), so
 * the result is reproducible. r must have been allocated for n_variants.
 * Returns CS_OK, CS_EINVAL (n_boot or n_replicates 0, or a size mismatch) or
 * CS_ENOMEM. */
int cs_stats_rank(const double *values, size_t n_variants, size_t n_replicates, cs_rank_score score,
                  const cs_stream_key *key, size_t n_boot, cs_ranking *r, cs_error *err);

/* As cs_stats_rank with CS_RANK_PARITY, for a disparity ratio: the score
 * of variant v is |ln R| with R the ratio of means of num[v * n_replicates
 * + r] over den[v * n_replicates + r] (replicates where both are defined;
 * NaN, unranked, when den's mean is 0), on all replicates and, for p_best,
 * within each bootstrap resample (the same estimator as the summary's).
 * Returns as cs_stats_rank; CS_EINVAL if den is NULL. */
int cs_stats_rank_ratio(const double *num, const double *den, size_t n_variants,
                        size_t n_replicates, const cs_stream_key *key, size_t n_boot, cs_ranking *r,
                        cs_error *err);

/* A uniform integer in [0, bound) from g without modulo bias (Lemire 2019,
 * "Fast random integer generation in an interval"). bound must be >= 1. */
uint32_t cs_stats_uniform_index(cs_pcg32 *g, uint32_t bound);

#ifdef __cplusplus
}
#endif
#endif
