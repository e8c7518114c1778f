/* calib_posterior.c — summaries of weighted posterior draws: ESS, weighted
 * quantiles and moments, covariance, systematic resampling and posterior
 * predictive checks (definitions in include/casesim/calibration.h). */
#include <math.h>
#include <stdlib.h>

#include "casesim/calibration.h"
#include "casesim/stats.h"

double cs_calib_ess(const double *w, size_t n)
{
    if (!w)
        return (double)n;
    double s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        s1 += w[i];
        s2 += w[i] * w[i];
    }
    return s2 > 0 ? s1 * s1 / s2 : 0;
}

/* The total weight, after checking every weight is finite and >= 0 and some
 * is positive. Returns CS_OK or CS_EINVAL. */
static int weight_total(const double *w, size_t n, double *total, cs_error *err)
{
    double s = 0;
    *total = NAN; /* defined on every path (gcc -O3 cannot see that an error returns non-zero) */
    for (size_t i = 0; i < n; i++) {
        double v = w ? w[i] : 1;
        if (!(v >= 0) || !isfinite(v))
            return cs_error_set(err, CS_EINVAL, "posterior: weight %zu is %g", i, v);
        s += v;
    }
    if (!(s > 0))
        return cs_error_set(err, CS_EINVAL, "posterior: no draw has a positive weight");
    *total = s;
    return CS_OK;
}

struct wx {
    double x, w;
};

static int cmp_wx(const void *a, const void *b)
{
    double x = ((const struct wx *)a)->x, y = ((const struct wx *)b)->x;
    return (x > y) - (x < y);
}

/* q at p from sorted points with plotting positions P_i = (W_{i-1} + w_i/2)/W. */
static double interpolate(const struct wx *s, size_t m, double total, double p)
{
    double cum = 0, prev_pos = 0, prev_x = s[0].x;
    for (size_t i = 0; i < m; i++) {
        double pos = (cum + 0.5 * s[i].w) / total;
        if (p <= pos) {
            if (i == 0 || pos == prev_pos)
                return s[i].x;
            return prev_x + (p - prev_pos) / (pos - prev_pos) * (s[i].x - prev_x);
        }
        cum += s[i].w;
        prev_pos = pos;
        prev_x = s[i].x;
    }
    return s[m - 1].x;
}

int cs_calib_quantiles(const double *x, size_t stride, const double *w, size_t n, const double *p,
                       size_t np, double *q, cs_error *err)
{
    double total;
    int st = weight_total(w, n, &total, err);
    if (st)
        return st;
    for (size_t k = 0; k < np; k++)
        if (!(p[k] >= 0 && p[k] <= 1))
            return cs_error_set(err, CS_EINVAL, "posterior: probability %g is not in [0, 1]", p[k]);
    struct wx *s = malloc((n ? n : 1) * sizeof *s);
    if (!s)
        return cs_error_set(err, CS_ENOMEM, "posterior: out of memory for %zu draws", n);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        double v = x[i * stride], wi = w ? w[i] : 1;
        if (isnan(v)) {
            free(s);
            return cs_error_set(err, CS_EINVAL, "posterior: draw %zu is NaN", i);
        }
        if (wi > 0)
            s[m++] = (struct wx){v, wi};
    }
    qsort(s, m, sizeof *s, cmp_wx);
    for (size_t k = 0; k < np; k++)
        q[k] = interpolate(s, m, total, p[k]);
    free(s);
    return CS_OK;
}

/* Weighted mean and variance (divisor 1 - sum of squared normalised weights)
 * of x[i * stride]; x must hold no NaN. */
static void weighted_moments(const double *x, size_t stride, const double *w, size_t n,
                             double total, double *mean, double *var)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m += (w ? w[i] : 1) / total * x[i * stride];
    double ss = 0, v2 = 0;
    for (size_t i = 0; i < n; i++) {
        double v = (w ? w[i] : 1) / total, d = x[i * stride] - m;
        ss += v * d * d;
        v2 += v * v;
    }
    *mean = m;
    *var = v2 < 1 ? ss / (1 - v2) : NAN;
}

int cs_calib_marginal_summary(const double *x, size_t stride, const double *w, size_t n,
                              double prior_variance, cs_calib_marginal *out, cs_error *err)
{
    const double p[3] = {0.5, 0.025, 0.975};
    double q[3], total;
    int st = cs_calib_quantiles(x, stride, w, n, p, 3, q, err);
    if (st == CS_OK)
        st = weight_total(w, n, &total, err);
    if (st)
        return st;
    weighted_moments(x, stride, w, n, total, &out->mean, &out->variance);
    out->median = q[0];
    out->lower = q[1];
    out->upper = q[2];
    out->shrinkage = prior_variance > 0 ? 1 - out->variance / prior_variance : NAN;
    out->ess = cs_calib_ess(w, n);
    return CS_OK;
}

int cs_calib_covariance(const double *x, size_t dim, const double *w, size_t n, double *cov,
                        double *corr, cs_error *err)
{
    double total;
    if (dim == 0)
        return cs_error_set(err, CS_EINVAL, "posterior: no coordinates");
    int st = weight_total(w, n, &total, err);
    if (st)
        return st;
    for (size_t i = 0; i < n * dim; i++)
        if (isnan(x[i]))
            return cs_error_set(err, CS_EINVAL, "posterior: draw %zu is NaN", i / dim);
    if (cs_calib_ess(w, n) <= 1)
        return cs_error_set(err, CS_EINVAL, "posterior: one draw holds all the weight");
    double *mu = malloc(dim * sizeof *mu), v2 = 0;
    if (!mu)
        return cs_error_set(err, CS_ENOMEM, "posterior: out of memory");
    for (size_t a = 0; a < dim; a++)
        weighted_moments(x + a, dim, w, n, total, &mu[a], &cov[a * dim + a]);
    for (size_t i = 0; i < n; i++) {
        double v = (w ? w[i] : 1) / total;
        v2 += v * v;
    }
    for (size_t a = 0; a < dim; a++)
        for (size_t b = 0; b < a; b++) {
            double s = 0;
            for (size_t i = 0; i < n; i++)
                s += (w ? w[i] : 1) / total * (x[i * dim + a] - mu[a]) * (x[i * dim + b] - mu[b]);
            cov[a * dim + b] = cov[b * dim + a] = s / (1 - v2);
        }
    free(mu);
    for (size_t a = 0; corr && a < dim; a++)
        for (size_t b = 0; b < dim; b++) {
            double den = sqrt(cov[a * dim + a] * cov[b * dim + b]);
            corr[a * dim + b] = den > 0 ? cov[a * dim + b] / den : NAN;
        }
    return CS_OK;
}

/* Fisher–Yates shuffle of idx[0..m) with g. */
static void shuffle(size_t *idx, size_t m, cs_pcg32 *g)
{
    for (size_t k = m; k > 1; k--) {
        size_t j = cs_stats_uniform_index(g, (uint32_t)k);
        size_t t = idx[k - 1];
        idx[k - 1] = idx[j];
        idx[j] = t;
    }
}

int cs_calib_resample(const double *w, size_t n, size_t m, const cs_stream_key *key, size_t *idx,
                      cs_error *err)
{
    double total;
    if (m == 0 || m > UINT32_MAX)
        return cs_error_set(err, CS_EINVAL, "resampling: %zu draws asked (1 to 2^32 - 1)", m);
    int st = weight_total(w, n, &total, err);
    if (st)
        return st;
    size_t last = 0; /* the last point of positive weight: the end of the line */
    for (size_t i = 0; i < n; i++)
        if (!w || w[i] > 0)
            last = i;
    cs_pcg32 g;
    cs_pcg32_from_key(&g, key);
    double u = cs_pcg32_uniform(&g), acc = 0;
    size_t i = 0;
    for (size_t k = 0; k < m; k++) {
        double t = (u + (double)k) / (double)m * total;
        /* Move to the point whose interval [acc, acc + w_i) holds t; rounding
         * can leave t just past the last sum, hence the bound at `last`. */
        while (i < last && acc + (w ? w[i] : 1) <= t) {
            acc += w ? w[i] : 1;
            i++;
        }
        idx[k] = i;
    }
    shuffle(idx, m, &g);
    return CS_OK;
}

/* Copies the non-NaN draws (and their weights) of y into ys, ws; returns how
 * many. */
static size_t usable_draws(const double *y, size_t stride, const double *w, size_t n, double *ys,
                           double *ws)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(y[i * stride]))
            continue;
        ys[m] = y[i * stride];
        ws[m++] = w ? w[i] : 1;
    }
    return m;
}

/* The predictive summary of m usable draws ys with weights ws. */
static int summarise_draws(const double *ys, const double *ws, size_t m, cs_calib_predictive *out,
                           cs_error *err)
{
    const double p[2] = {0.025, 0.975};
    double q[2], total = 0, var;
    int st = cs_calib_quantiles(ys, 1, ws, m, p, 2, q, err);
    if (st)
        return st;
    for (size_t i = 0; i < m; i++)
        total += ws[i];
    weighted_moments(ys, 1, ws, m, total, &out->mean, &var);
    double below = 0;
    for (size_t i = 0; i < m; i++)
        below += ys[i] < out->observed ? ws[i] : ys[i] == out->observed ? 0.5 * ws[i] : 0;
    out->sd = sqrt(var);
    out->lower = q[0];
    out->upper = q[1];
    out->z = out->sd > 0 ? (out->observed - out->mean) / out->sd : NAN;
    out->pit = below / total;
    out->n_used = m;
    return CS_OK;
}

int cs_calib_predictive_check(const double *y, size_t stride, const double *w, size_t n,
                              double observed, cs_calib_predictive *out, cs_error *err)
{
    *out = (cs_calib_predictive){observed, NAN, NAN, NAN, NAN, NAN, NAN, 0};
    if (isnan(observed))
        return cs_error_set(err, CS_EINVAL, "predictive check: the observed value is NaN");
    /* calloc: GCC cannot see that usable_draws writes what is read. */
    double *ys = calloc(n ? n : 1, sizeof *ys), *ws = calloc(n ? n : 1, sizeof *ws);
    int st;
    if (ys && ws)
        st = summarise_draws(ys, ws, usable_draws(y, stride, w, n, ys, ws), out, err);
    else
        st = cs_error_set(err, CS_ENOMEM, "predictive check: out of memory");
    free(ys);
    free(ws);
    return st;
}
