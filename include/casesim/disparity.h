/*
 * casesim/disparity.h — the statistics of where a disparity arises: rates
 * of two groups compared as a ratio and a difference of pooled rates, with
 * delta-method intervals over replicates; streaming summaries; and the
 * coefficients of Shapley shares over subsets of stages.
 *
 * Pure functions: no global state, no allocation, thread-safe. The method,
 * and why a ratio of pooled rates rather than a mean of replicate ratios,
 * is explained in analysis/README.md ("Where the disparity arises"). The
 * tables built with them are in casesim/results_disparity.h.
 */
#ifndef CASESIM_DISPARITY_H
#define CASESIM_DISPARITY_H

#include <stddef.h>
#include <stdint.h>

#include "casesim/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------ rates of two groups
 *
 * Replicate i gives, for a group a and the reference group b, a count x and
 * a denominator d of each (tracks taking a branch and tracks entering its
 * stage; or incidents and a population). The rate of a group is the pooled
 * rate r = mean(x) / mean(d); the relative rate is r_a / r_b and the
 * difference r_a - r_b. Their intervals come from the delta method over the
 * replicates (independent and identically distributed): with Y the four
 * columns (x_a, d_a, x_b, d_b), S their sample covariance and n the
 * replicates used,
 *   var(ln(r_a / r_b)) ~ g' S g / n,  g = (1/mean x_a, -1/mean d_a,
 *                                          -1/mean x_b, 1/mean d_b),
 *   var(r_a - r_b)     ~ h' S h / n,  h = (1/mean d_a, -r_a/mean d_a,
 *                                          -1/mean d_b, r_b/mean d_b),
 *   var(r_a)           ~ k' S k / n,  k = (1/mean d_a, -r_a/mean d_a, 0, 0),
 * and the level interval is estimate -/+ t_{(1+level)/2, n-1} sd (on the
 * log scale for the ratio, then exponentiated, so it stays positive).
 * Replicates in which any of the four values is NaN are left out.
 */

/* Running sums of the four columns: their count, means and co-moments
 * (Welford's update, so that one pass over the replicates suffices and
 * precision does not suffer from large counts). Zero-initialise. */
typedef struct cs_rate_acc {
    uint64_t n;
    double mean[4];
    double comoment[4][4]; /* sum of products of deviations from the means */
} cs_rate_acc;

/* Adds replicate (x_a, d_a, x_b, d_b); skipped if any is NaN. */
void cs_rate_acc_add(cs_rate_acc *a, double xa, double da, double xb, double db);

/* A group's rate against the reference group's. */
typedef struct cs_rate_comparison {
    double rate, rate_low, rate_high; /* group a: mean x_a / mean d_a, and interval */
    double reference_rate;            /* mean x_b / mean d_b */
    double ratio, ratio_low, ratio_high;
    double diff, diff_low, diff_high;
    double mean_d; /* mean d_a: how much the rate rests on */
    uint64_t n;    /* replicates used */
} cs_rate_comparison;

/* The comparison from the sums in a at confidence level `level` (0 < level
 * < 1). A rate is NaN when its mean denominator is 0; the ratio is NaN when
 * the reference rate is 0 or NaN, and 0 when the group's rate is 0; an
 * interval is NaN with fewer than 2 replicates, and the ratio's too when
 * either rate is 0 (no log-scale interval then). Identical groups (x_a =
 * x_b and d_a = d_b in every replicate) give the ratio 1 exactly and an
 * interval of zero width (up to rounding). */
void cs_rate_acc_result(const cs_rate_acc *a, double level, cs_rate_comparison *out);

/* ----------------------------------------------- a streaming summary */

/* Count, mean and sum of squared deviations of a series (Welford), NaNs
 * skipped. Zero-initialise. */
typedef struct cs_mean_acc {
    uint64_t n;
    double mean, ssd;
} cs_mean_acc;

void cs_mean_acc_add(cs_mean_acc *a, double x);

/* The summary of cs_stats_summarise (mean, sample sd, t interval at level)
 * from the sums in a. */
void cs_mean_acc_result(const cs_mean_acc *a, double level, cs_summary *out);

/* --------------------------------------------------- Shapley shares
 *
 * A game over m players (here: the stages whose branch probabilities differ
 * between groups) gives a value v(T) for each subset T (the disparity with
 * the stages of T equalised), T a bit mask below 2^m. The Shapley share of
 * player j is the mean over orders of the players of the change
 * v(P + {j}) - v(P) that j makes when it joins the players P before it;
 * the shares add up to v(all players) - v({}). Either over all m! orders (exactly: the weight of
 * a subset T without j is |T|! (m - |T| - 1)! / m!), or over k given
 * orders (each a row of m players), which makes each share an unbiased
 * estimate that still adds up exactly. Either way share_j = sum_T c_j(T)
 * v(T): a fixed linear combination of the values, so that it can be
 * computed replicate by replicate from any set of per-replicate values.
 */

/* The most players for exact shares (2^m subsets, each looked up m times). */
#define CS_SHAPLEY_EXACT_MAX 10

/* The coefficients c_j(T) for the subsets masks[0 .. n_masks - 1] (which
 * must hold every subset the shares need: all 2^m for exact shares; the
 * prefixes of every order for sampled ones), into coef[j * n_masks + t]
 * for j < m. orders is NULL (exact: then m <= CS_SHAPLEY_EXACT_MAX) or k orders of m players.
 * Returns CS_OK; CS_EINVAL (with err) when m is 0 or above 64, an order is
 * not a permutation, or a needed subset is missing from masks. */
int cs_shapley_coefficients(size_t m, const uint32_t *orders, size_t k, const uint64_t *masks,
                            size_t n_masks, double *coef, cs_error *err);

/* The Monte Carlo standard error of sampled shares: for player j, the
 * standard deviation over the k orders of v(P + {j}) - v(P), over sqrt(k),
 * with v the values of masks (value[t] for masks[t]; e.g. means over
 * replicates). se[j] is 0 for exact shares (orders NULL) and NaN with fewer
 * than two orders or when a value is NaN. Returns CS_OK or CS_EINVAL (as
 * cs_shapley_coefficients). */
int cs_shapley_sampling_se(size_t m, const uint32_t *orders, size_t k, const uint64_t *masks,
                           size_t n_masks, const double *value, double *se, cs_error *err);

#ifdef __cplusplus
}
#endif
#endif
