/* disparity.c — rates of two groups with delta-method intervals, streaming
 * summaries and Shapley coefficients (see include/casesim/disparity.h and
 * analysis/README.md, "Where the disparity arises"). */
#include "casesim/disparity.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

void cs_rate_acc_add(cs_rate_acc *a, double xa, double da, double xb, double db)
{
    const double y[4] = {xa, da, xb, db};
    for (int i = 0; i < 4; i++)
        if (isnan(y[i]))
            return;
    /* Welford's co-moment update: C += (y - mean_old)(y - mean_new)'. */
    a->n++;
    double before[4];
    for (int i = 0; i < 4; i++) {
        before[i] = y[i] - a->mean[i];
        a->mean[i] += before[i] / (double)a->n;
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            a->comoment[i][j] += before[i] * (y[j] - a->mean[j]);
}

/* g' S g / n for the co-moments of a (S = C / (n - 1)): the delta-method
 * variance of a statistic with gradient g at the means. */
static double quadratic(const cs_rate_acc *a, const double g[4])
{
    double q = 0.0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            q += g[i] * a->comoment[i][j] * g[j];
    double nn = (double)a->n;
    q /= (nn - 1.0) * nn;
    return q > 0.0 ? q : 0.0; /* rounding can leave a tiny negative */
}

/* The rates and their difference, with intervals of half-width t sd. */
static void rates_and_diff(const cs_rate_acc *a, double t, cs_rate_comparison *o)
{
    const double *m = a->mean;
    o->rate = m[1] > 0 ? m[0] / m[1] : NAN;
    o->reference_rate = m[3] > 0 ? m[2] / m[3] : NAN;
    o->diff = o->rate - o->reference_rate;
    if (isnan(t) || isnan(o->diff))
        return;
    const double k[4] = {1.0 / m[1], -o->rate / m[1], 0.0, 0.0};
    const double h[4] = {1.0 / m[1], -o->rate / m[1], -1.0 / m[3], o->reference_rate / m[3]};
    double sr = sqrt(quadratic(a, k)), sd = sqrt(quadratic(a, h));
    o->rate_low = o->rate - t * sr;
    o->rate_high = o->rate + t * sr;
    o->diff_low = o->diff - t * sd;
    o->diff_high = o->diff + t * sd;
}

/* The ratio, its interval on the log scale (none when a rate is 0). */
static void ratio(const cs_rate_acc *a, double t, cs_rate_comparison *o)
{
    const double *m = a->mean;
    if (!(o->reference_rate > 0) || isnan(o->rate))
        return;
    o->ratio = o->rate / o->reference_rate;
    if (isnan(t) || !(o->rate > 0))
        return;
    const double g[4] = {1.0 / m[0], -1.0 / m[1], -1.0 / m[2], 1.0 / m[3]};
    double s = sqrt(quadratic(a, g));
    o->ratio_low = o->ratio * exp(-t * s);
    o->ratio_high = o->ratio * exp(t * s);
}

void cs_rate_acc_result(const cs_rate_acc *a, double level, cs_rate_comparison *out)
{
    *out = (cs_rate_comparison){.rate = NAN,
                                .rate_low = NAN,
                                .rate_high = NAN,
                                .reference_rate = NAN,
                                .ratio = NAN,
                                .ratio_low = NAN,
                                .ratio_high = NAN,
                                .diff = NAN,
                                .diff_low = NAN,
                                .diff_high = NAN,
                                .mean_d = a->n ? a->mean[1] : NAN,
                                .n = a->n};
    if (a->n == 0)
        return;
    double t = a->n >= 2 ? cs_stats_t_critical(level, (double)a->n - 1.0) : NAN;
    rates_and_diff(a, t, out);
    ratio(a, t, out);
}

void cs_mean_acc_add(cs_mean_acc *a, double x)
{
    if (isnan(x))
        return;
    a->n++;
    double before = x - a->mean;
    a->mean += before / (double)a->n;
    a->ssd += before * (x - a->mean);
}

void cs_mean_acc_result(const cs_mean_acc *a, double level, cs_summary *out)
{
    *out = (cs_summary){
        .mean = a->n ? a->mean : NAN, .sd = NAN, .ci_low = NAN, .ci_high = NAN, .n = a->n};
    if (a->n < 2)
        return;
    double nn = (double)a->n;
    out->sd = sqrt(a->ssd / (nn - 1.0));
    double half = cs_stats_t_critical(level, nn - 1.0) * out->sd / sqrt(nn);
    out->ci_low = out->mean - half;
    out->ci_high = out->mean + half;
}

/* ------------------------------------------------------------- Shapley */

/* The position of mask in masks, or -1. */
static long find_mask(const uint64_t *masks, size_t n, uint64_t mask)
{
    for (size_t t = 0; t < n; t++)
        if (masks[t] == mask)
            return (long)t;
    return -1;
}

/* Checks the arguments; for orders, that each row is a permutation. */
static int check_game(size_t m, const uint32_t *orders, size_t k, cs_error *err)
{
    if (m == 0 || m > 64 || (!orders && m > CS_SHAPLEY_EXACT_MAX))
        return cs_error_set(err, CS_EINVAL,
                            "Shapley shares: %zu players (1 to 64; exact shares up to %d)", m,
                            CS_SHAPLEY_EXACT_MAX);
    for (size_t r = 0; orders && r < k; r++) {
        uint64_t seen = 0;
        for (size_t j = 0; j < m; j++)
            if (orders[r * m + j] >= m || (seen >> orders[r * m + j] & 1))
                return cs_error_set(err, CS_EINVAL,
                                    "Shapley shares: order %zu is not a permutation", r);
            else
                seen |= UINT64_C(1) << orders[r * m + j];
    }
    return CS_OK;
}

static int missing(cs_error *err, uint64_t mask)
{
    return cs_error_set(err, CS_EINVAL, "Shapley shares: the value of subset %#llx is missing",
                        (unsigned long long)mask);
}

/* Exact coefficients: for T without j, +w(|T|) on v(T + {j}) and -w(|T|)
 * on v(T), w(s) = s! (m - s - 1)! / m!. */
static int exact_coefficients(size_t m, const uint64_t *masks, size_t n, double *coef,
                              cs_error *err)
{
    double w[65];
    for (size_t s = 0; s < m; s++) /* s! (m-s-1)! / m! = 1 / (m C(m-1, s)) */
        w[s] = exp(lgamma((double)s + 1) + lgamma((double)(m - s)) - lgamma((double)m + 1));
    uint64_t full = (UINT64_C(1) << m) - 1;
    for (uint64_t T = 0; T <= full; T++) {
        long t = find_mask(masks, n, T);
        if (t < 0)
            return missing(err, T);
        for (size_t j = 0; j < m; j++) {
            if (T >> j & 1)
                continue;
            long u = find_mask(masks, n, T | UINT64_C(1) << j);
            if (u < 0)
                return missing(err, T | UINT64_C(1) << j);
            double wt = w[__builtin_popcountll(T)];
            coef[j * n + (size_t)u] += wt;
            coef[j * n + (size_t)t] -= wt;
        }
    }
    return CS_OK;
}

/* Sampled coefficients: for each order and player j with P the players
 * before it, +1/k on v(P + {j}) and -1/k on v(P). */
static int sampled_coefficients(size_t m, const uint32_t *orders, size_t k, const uint64_t *masks,
                                size_t n, double *coef, cs_error *err)
{
    for (size_t r = 0; r < k; r++) {
        uint64_t before = 0;
        long t = find_mask(masks, n, 0);
        if (t < 0)
            return missing(err, 0);
        for (size_t i = 0; i < m; i++) {
            uint32_t j = orders[r * m + i];
            uint64_t after = before | UINT64_C(1) << j;
            long u = find_mask(masks, n, after);
            if (u < 0)
                return missing(err, after);
            coef[j * n + (size_t)u] += 1.0 / (double)k;
            coef[j * n + (size_t)t] -= 1.0 / (double)k;
            before = after;
            t = u;
        }
    }
    return CS_OK;
}

int cs_shapley_coefficients(size_t m, const uint32_t *orders, size_t k, const uint64_t *masks,
                            size_t n_masks, double *coef, cs_error *err)
{
    int st = check_game(m, orders, k, err);
    if (st != CS_OK)
        return st;
    if (orders && k == 0)
        return cs_error_set(err, CS_EINVAL, "Shapley shares: no orders given");
    memset(coef, 0, m * n_masks * sizeof *coef);
    return orders ? sampled_coefficients(m, orders, k, masks, n_masks, coef, err)
                  : exact_coefficients(m, masks, n_masks, coef, err);
}

int cs_shapley_sampling_se(size_t m, const uint32_t *orders, size_t k, const uint64_t *masks,
                           size_t n_masks, const double *value, double *se, cs_error *err)
{
    int st = check_game(m, orders ? orders : NULL, orders ? k : 0, err);
    if (st != CS_OK || !orders) {
        for (size_t j = 0; st == CS_OK && j < m; j++)
            se[j] = 0.0;
        return st;
    }
    cs_mean_acc acc[64];
    memset(acc, 0, sizeof acc);
    bool nan = false;
    for (size_t r = 0; r < k; r++) {
        uint64_t before = 0;
        for (size_t i = 0; i < m; i++) {
            uint32_t j = orders[r * m + i];
            long t = find_mask(masks, n_masks, before);
            long u = find_mask(masks, n_masks, before | UINT64_C(1) << j);
            if (t < 0 || u < 0)
                return missing(err, t < 0 ? before : before | UINT64_C(1) << j);
            double d = value[u] - value[t];
            nan |= isnan(d);
            cs_mean_acc_add(&acc[j], d);
            before |= UINT64_C(1) << j;
        }
    }
    for (size_t j = 0; j < m; j++) {
        cs_summary s;
        cs_mean_acc_result(&acc[j], 0.95, &s);
        se[j] = nan || s.n < 2 ? NAN : s.sd / sqrt((double)s.n);
    }
    return CS_OK;
}
