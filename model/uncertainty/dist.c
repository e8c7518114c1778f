/*
 * dist.c — density, distribution function and quantile of one family,
 * truncated or not; the Dirichlet's values from its gammas; the check that a
 * support fits the valid range of a number.
 *
 * A truncated law is the untruncated one restricted to (lo, hi) and divided
 * by mass = F(hi) - F(lo). Its quantile at u is Q(F(lo) + u mass); written
 * with both tails, the target is (f_lo + u mass, s_hi + (1 - u) mass), which
 * sum to 1, and the untruncated quantile is solved on the smaller of the two.
 */
#include <math.h>
#include <stdio.h>

#include <gsl/gsl_cdf.h>

#include "unc_internal.h"

void cs_unc_beta_cdf(double x, double a, double b, double *P, double *Q)
{
    if (x <= 0.5) {
        *P = gsl_cdf_beta_P(x, a, b);
        *Q = gsl_cdf_beta_Q(x, a, b);
    } else {
        /* 1 - X ~ Beta(b, a); 1 - x is exact for x >= 1/2. */
        *P = gsl_cdf_beta_Q(1.0 - x, b, a);
        *Q = gsl_cdf_beta_P(1.0 - x, b, a);
    }
}

void cs_unc_base_cdf(const cs_unc_dist *d, double x, double *P, double *Q)
{
    const double *p = d->p;
    switch (d->family) {
    case CS_UNC_BETA:
        cs_unc_beta_cdf(x, p[0], p[1], P, Q);
        return;
    case CS_UNC_GAMMA:
        *P = gsl_cdf_gamma_P(x, p[0], p[1]);
        *Q = gsl_cdf_gamma_Q(x, p[0], p[1]);
        return;
    case CS_UNC_LOGNORMAL:
        *P = gsl_cdf_lognormal_P(x, p[0], p[1]);
        *Q = gsl_cdf_lognormal_Q(x, p[0], p[1]);
        return;
    case CS_UNC_NORMAL:
        *P = gsl_cdf_gaussian_P(x - p[0], p[1]);
        *Q = gsl_cdf_gaussian_Q(x - p[0], p[1]);
        return;
    case CS_UNC_UNIFORM:
        *P = gsl_cdf_flat_P(x, p[0], p[1]);
        *Q = gsl_cdf_flat_Q(x, p[0], p[1]);
        return;
    case CS_UNC_TRIANGULAR: {
        double a = p[0], m = p[1], c = p[2];
        if (x <= a) {
            *P = 0.0, *Q = 1.0;
        } else if (x >= c) {
            *P = 1.0, *Q = 0.0;
        } else if (x <= m) {
            *P = (x - a) * (x - a) / ((c - a) * (m - a));
            *Q = 1.0 - *P;
        } else {
            *Q = (c - x) * (c - x) / ((c - a) * (c - m));
            *P = 1.0 - *Q;
        }
        return;
    }
    default:
        *P = *Q = NAN;
    }
}

/* Closed-form quantiles of the triangular law from the tail that holds the
 * target: the lower piece a + sqrt(p (c - a)(m - a)) up to the mode, the
 * upper piece c - sqrt(q (c - a)(c - m)) beyond it. */
static double triangular_quantile(const double *p3, double p, double q)
{
    double a = p3[0], m = p3[1], c = p3[2];
    if (p <= (m - a) / (c - a))
        return a + sqrt(p * (c - a) * (m - a));
    return c - sqrt(q * (c - a) * (c - m));
}

double cs_unc_base_quantile(const cs_unc_dist *d, double p, double q)
{
    const double *pr = d->p;
    switch (d->family) {
    case CS_UNC_BETA:
        return cs_unc_beta_quantile(pr[0], pr[1], p, q);
    case CS_UNC_GAMMA:
        return pr[1] * cs_unc_gamma_quantile(pr[0], p, q);
    case CS_UNC_LOGNORMAL:
        return exp(pr[0] + pr[1] * cs_unc_normal_score(p, q));
    case CS_UNC_NORMAL:
        return pr[0] + pr[1] * cs_unc_normal_score(p, q);
    case CS_UNC_UNIFORM:
        return p <= q ? pr[0] + p * (pr[1] - pr[0]) : pr[1] - q * (pr[1] - pr[0]);
    case CS_UNC_TRIANGULAR:
        return triangular_quantile(pr, p, q);
    default:
        return NAN;
    }
}

double cs_unc_inside(const cs_unc_dist *d, double x)
{
    if (x <= d->lo)
        return nextafter(d->lo, INFINITY);
    if (x >= d->hi)
        return nextafter(d->hi, -INFINITY);
    return x;
}

double cs_unc_quantile_pq(const cs_unc_dist *d, double p, double q)
{
    double tp = d->f_lo + p * d->mass, tq = d->s_hi + q * d->mass;
    double x = cs_unc_base_quantile(d, tp, tq);
    return isnan(x) ? x : cs_unc_inside(d, x);
}

void cs_unc_cdf_pq(const cs_unc_dist *d, double x, double *P, double *Q)
{
    if (!(x > d->lo)) {
        *P = 0.0, *Q = 1.0;
        return;
    }
    if (!(x < d->hi)) {
        *P = 1.0, *Q = 0.0;
        return;
    }
    double bp, bq;
    cs_unc_base_cdf(d, x, &bp, &bq);
    /* Each tail from differences of small numbers where possible: above a
     * lower bound in the upper tail, F(x) - F(lo) = S(lo) - S(x). */
    double kp = d->f_lo <= 0.5 ? bp - d->f_lo : d->s_lo - bq;
    double kq = d->s_hi <= 0.5 ? bq - d->s_hi : d->f_hi - bp;
    *P = fmin(fmax(kp / d->mass, 0.0), 1.0);
    *Q = fmin(fmax(kq / d->mass, 0.0), 1.0);
}

/* The untruncated log-density (-INFINITY outside the natural support). */
static double base_logpdf(const cs_unc_dist *d, double x)
{
    const double *p = d->p;
    switch (d->family) {
    case CS_UNC_BETA:
        if (!(x > 0.0 && x < 1.0))
            return -INFINITY;
        return (p[0] - 1.0) * log(x) + (p[1] - 1.0) * log1p(-x) + d->log_norm;
    case CS_UNC_GAMMA:
        if (!(x > 0.0))
            return -INFINITY;
        return (p[0] - 1.0) * log(x) - x / p[1] + d->log_norm;
    case CS_UNC_LOGNORMAL: {
        if (!(x > 0.0))
            return -INFINITY;
        double z = (log(x) - p[0]) / p[1];
        return -0.5 * z * z - log(x) + d->log_norm;
    }
    case CS_UNC_NORMAL: {
        double z = (x - p[0]) / p[1];
        return -0.5 * z * z + d->log_norm;
    }
    case CS_UNC_UNIFORM:
        return (x >= p[0] && x <= p[1]) ? d->log_norm : -INFINITY;
    default: { /* triangular: 2 (x - a) / ((c - a)(m - a)) rising, mirrored falling */
        double a = p[0], m = p[1], c = p[2];
        if (!(x >= a && x <= c))
            return -INFINITY;
        double rel = x <= m ? (m > a ? (x - a) / (m - a) : 1.0) : (c > m ? (c - x) / (c - m) : 1.0);
        return log(rel) + d->log_norm;
    }
    }
}

double cs_unc_base_logpdf(const cs_unc_dist *d, double x)
{
    return base_logpdf(d, x);
}

double cs_unc_dist_logpdf(const cs_unc_dist *d, double x)
{
    if (d->family == CS_UNC_DIRICHLET || isnan(x))
        return NAN;
    if (!(x > d->lo && x < d->hi))
        return -INFINITY;
    return base_logpdf(d, x) - log(d->mass);
}

double cs_unc_dist_pdf(const cs_unc_dist *d, double x)
{
    return exp(cs_unc_dist_logpdf(d, x));
}

double cs_unc_dist_cdf(const cs_unc_dist *d, double x)
{
    if (d->family == CS_UNC_DIRICHLET || isnan(x))
        return NAN;
    double P, Q;
    cs_unc_cdf_pq(d, x, &P, &Q);
    return P;
}

double cs_unc_dist_sf(const cs_unc_dist *d, double x)
{
    if (d->family == CS_UNC_DIRICHLET || isnan(x))
        return NAN;
    double P, Q;
    cs_unc_cdf_pq(d, x, &P, &Q);
    return Q;
}

double cs_unc_dist_quantile(const cs_unc_dist *d, double u)
{
    if (d->family == CS_UNC_DIRICHLET || !(u >= 0.0 && u <= 1.0))
        return NAN;
    if (u == 0.0)
        return d->lo;
    if (u == 1.0)
        return d->hi;
    return cs_unc_quantile_pq(d, u, 1.0 - u);
}

int cs_unc_dist_marginal(const cs_unc_dist *d, size_t i, cs_unc_dist *out, cs_error *err)
{
    if (i >= d->k)
        return cs_error_set(err, CS_EINVAL, "component %zu of a distribution with %zu values", i,
                            d->k);
    if (d->family != CS_UNC_DIRICHLET) {
        *out = *d;
        return CS_OK;
    }
    double sum = 0.0;
    for (size_t j = 0; j < d->k; j++)
        sum += d->counts[j];
    /* Not through cs_unc_dist_init: sum - count_i may exceed
     * CS_UNC_MAX_SHAPE, which limits what a scenario may write, not the
     * marginal of counts that are each within it. */
    cs_unc_beta_set(out, d->counts[i], sum - d->counts[i]);
    return CS_OK;
}

int cs_unc_dirichlet_values(const cs_unc_dist *d, const double *p, const double *q, double *x)
{
    double sum = 0.0;
    size_t big = 0;
    for (size_t i = 0; i < d->k; i++) {
        x[i] = cs_unc_gamma_quantile(d->counts[i], p[i], q[i]);
        if (!(x[i] >= 0.0 && isfinite(x[i])))
            return CS_EINTERNAL;
        sum += x[i];
        if (d->counts[i] > d->counts[big])
            big = i;
    }
    if (!(sum > 0.0))
        return CS_EINTERNAL;
    double total = 0.0;
    for (size_t i = 0; i < d->k; i++) {
        x[i] = cs_unc_inside(d, x[i] / sum);
        total += x[i];
    }
    /* Division leaves the sum off 1 by a few units in the last place: the
     * component with the largest count (never small) takes the remainder. */
    x[big] += 1.0 - total;
    return CS_OK;
}

/* --------------------------------------------------------- valid ranges */

/* A bound as the scenario would write it. */
static const char *yaml_number(double v, char *buf, size_t size)
{
    if (isinf(v))
        snprintf(buf, size, "%s", v > 0 ? ".inf" : "-.inf");
    else
        snprintf(buf, size, "%g", v);
    return buf;
}

bool cs_unc_dist_fits(const cs_unc_dist *d, const cs_unc_range *valid, cs_unc_msg *msg)
{
    cs_unc_ok(msg);
    if (d->lo >= valid->lo && d->hi <= valid->hi)
        return true;
    char a[32], b[32], lo[32], hi[32];
    const char *what = valid->what ? valid->what : "the number it replaces";
    double t_lo = fmax(valid->lo, d->lo), t_hi = fmin(valid->hi, d->hi);
    if (!(t_lo < t_hi)) {
        cs_unc_fail(msg, CS_EINVAL, -1,
                    "a %s distribution lies outside %c%s, %s%c, the valid range of %s",
                    cs_unc_family_name(d->family), valid->lo_open ? '(' : '[',
                    yaml_number(valid->lo, a, sizeof a), yaml_number(valid->hi, b, sizeof b),
                    valid->hi_open ? ')' : ']', what);
        return false;
    }
    cs_unc_fail(msg, CS_EINVAL, -1,
                "a %s distribution can leave %c%s, %s%c, the valid range of %s: add truncate: [%s, "
                "%s]",
                cs_unc_family_name(d->family), valid->lo_open ? '(' : '[',
                yaml_number(valid->lo, a, sizeof a), yaml_number(valid->hi, b, sizeof b),
                valid->hi_open ? ')' : ']', what, yaml_number(t_lo, lo, sizeof lo),
                yaml_number(t_hi, hi, sizeof hi));
    return false;
}
