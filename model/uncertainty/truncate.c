/*
 * truncate.c — `truncate: [low, high]` and the moments of a truncated law.
 *
 * Uniform and normal moments are in closed form (a uniform stays uniform;
 * for the normal, Johnson, Kotz & Balakrishnan, Continuous Univariate
 * Distributions vol. 1, §10.1). The others are integrated numerically with
 * GSL's adaptive Gauss–Kronrod rules with extrapolation (QAGS on a finite
 * interval, QAGIU to infinity; both handle the integrable singularity of a
 * beta or gamma density with shape < 1 at 0), in two passes: the mean, then
 * the squared deviations from it, so that a variance small next to the
 * squared mean loses no digits to the cancellation of E[X^2] - E[X]^2.
 * Integrands are centred and scaled by the smaller of the untruncated sd and
 * the truncated width, so that the tolerances are relative to the spread.
 */
#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>

#include "unc_internal.h"

#define QUAD_LIMIT 1000
#define QUAD_EPSREL 1e-11
#define QUAD_EPSABS 1e-13 /* times the mass, in units of the scale */

typedef struct quad_ctx {
    const cs_unc_dist *d;
    double base, span;    /* x = base + span s over the piece being integrated */
    double center, scale; /* the integrand's (x - center) / scale */
    int power;
} quad_ctx;

static double integrand(double s, void *v)
{
    const quad_ctx *c = v;
    double x = c->base + c->span * s;
    double w = exp(cs_unc_base_logpdf(c->d, x)) * c->span;
    double y = (x - c->center) / c->scale;
    return c->power == 1 ? y * w : y * y * w;
}

/* The integral over the support, in four pieces cut at the truncated law's
 * 1%, 50% and 99% quantiles (cut[1..3]), so that the rules sample where the
 * mass is whatever the scale (a gamma of mean 4e6 holds nothing within
 * 1e3 of 0, where a single rule on [0, inf) would look). Each finite piece
 * is mapped onto [0, 1]; an infinite last piece onto [0, inf) in units of
 * its spread cut[3] - cut[2]. */
static int integrate(quad_ctx *c, const double cut[5], gsl_integration_workspace *ws, double *out)
{
    gsl_function fn = {integrand, c};
    double epsabs = QUAD_EPSABS * c->d->mass, sum = 0.0;
    for (int k = 0; k < 4; k++) {
        double a = cut[k], b = cut[k + 1], r = 0.0, abserr;
        if (!(b > a))
            continue;
        int st;
        c->base = a;
        if (isinf(b)) {
            c->span = cut[3] - cut[2];
            st = gsl_integration_qagiu(&fn, 0.0, epsabs, QUAD_EPSREL, QUAD_LIMIT, ws, &r, &abserr);
        } else {
            c->span = b - a;
            st = gsl_integration_qags(&fn, 0.0, 1.0, epsabs, QUAD_EPSREL, QUAD_LIMIT, ws, &r,
                                      &abserr);
        }
        if (st != GSL_SUCCESS)
            return st;
        sum += r;
    }
    *out = sum;
    return GSL_SUCCESS;
}

static void normal_moments(cs_unc_dist *d)
{
    double mu = d->p[0], sd = d->p[1];
    double a = (d->lo - mu) / sd, b = (d->hi - mu) / sd;
    double pa = isinf(a) ? 0.0 : gsl_ran_ugaussian_pdf(a);
    double pb = isinf(b) ? 0.0 : gsl_ran_ugaussian_pdf(b);
    double apa = isinf(a) ? 0.0 : a * pa, bpb = isinf(b) ? 0.0 : b * pb;
    double r = (pa - pb) / d->mass;
    d->mean = mu + sd * r;
    d->var = sd * sd * (1.0 + (apa - bpb) / d->mass - r * r);
}

int cs_unc_truncated_moments(cs_unc_dist *d, cs_unc_msg *msg)
{
    if (d->family == CS_UNC_UNIFORM) {
        d->mean = 0.5 * d->lo + 0.5 * d->hi;
        d->var = (d->hi - d->lo) * (d->hi - d->lo) / 12.0;
        return CS_OK;
    }
    if (d->family == CS_UNC_NORMAL) {
        normal_moments(d);
        return CS_OK;
    }
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(QUAD_LIMIT);
    if (!ws)
        return cs_unc_fail(msg, CS_ENOMEM, -1, "out of memory");
    double scale = sqrt(d->var); /* still the untruncated variance */
    if (isfinite(d->hi) && d->hi - d->lo < scale)
        scale = d->hi - d->lo;
    double cut[5] = {d->lo, cs_unc_quantile_pq(d, 0.01, 0.99), cs_unc_quantile_pq(d, 0.5, 0.5),
                     cs_unc_quantile_pq(d, 0.99, 0.01), d->hi};
    quad_ctx c = {d, 0.0, 1.0, d->mean, scale, 1};
    double m1 = 0.0, m2 = 0.0;
    int st = GSL_EFAILED;
    if (!isnan(cut[1] + cut[2] + cut[3]) && cut[3] > cut[2])
        st = integrate(&c, cut, ws, &m1);
    if (st == GSL_SUCCESS) {
        c.center = d->mean + scale * m1 / d->mass;
        c.power = 2;
        st = integrate(&c, cut, ws, &m2);
    }
    gsl_integration_workspace_free(ws);
    if (st != GSL_SUCCESS || !isfinite(m1) || !isfinite(m2))
        return cs_unc_fail(msg, CS_EINTERNAL, -1,
                           "truncate: the moments of the truncated %s could not be integrated (%s)",
                           cs_unc_family_name(d->family), gsl_strerror(st));
    d->mean = c.center;
    d->var = scale * scale * m2 / d->mass;
    return CS_OK;
}

/* The untruncated tails at t->lo and t->hi, and the probability between
 * them, from the tail that keeps the digits. */
static void set_tails(cs_unc_dist *t)
{
    cs_unc_base_cdf(t, t->lo, &t->f_lo, &t->s_lo);
    cs_unc_base_cdf(t, t->hi, &t->f_hi, &t->s_hi);
    if (isinf(t->lo))
        t->f_lo = 0.0, t->s_lo = 1.0;
    if (isinf(t->hi))
        t->f_hi = 1.0, t->s_hi = 0.0;
    t->mass = t->f_lo <= 0.5 ? t->f_hi - t->f_lo : t->s_lo - t->s_hi;
}

int cs_unc_dist_truncate(cs_unc_dist *d, double lo, double hi, cs_unc_msg *msg)
{
    cs_unc_ok(msg);
    const char *fam = cs_unc_family_name(d->family);
    if (d->family == CS_UNC_DIRICHLET)
        return cs_unc_fail(msg, CS_EINVAL, -1,
                           "truncate: a dirichlet cannot be truncated (its values must sum to 1): "
                           "shape it through its counts");
    if (isnan(lo) || isnan(hi))
        return cs_unc_fail(msg, CS_EINVAL, -1, "truncate: the bounds must be numbers");
    if (!(lo < hi))
        return cs_unc_fail(msg, CS_EINVAL, -1,
                           "truncate: the lower bound %g must be below the upper bound %g", lo, hi);
    double nlo = fmax(lo, d->lo), nhi = fmin(hi, d->hi);
    if (!(nlo < nhi))
        return cs_unc_fail(
            msg, CS_EINVAL, -1,
            "truncate: [%g, %g] does not overlap (%g, %g), where the %s distribution "
            "lies",
            lo, hi, d->lo, d->hi, fam);
    if (nlo == d->lo && nhi == d->hi)
        return CS_OK; /* the bounds contain the support: nothing is cut */
    cs_unc_dist t = *d;
    t.lo = nlo;
    t.hi = nhi;
    t.truncated = true;
    set_tails(&t);
    double mass = t.mass;
    if (!(mass >= CS_UNC_MIN_MASS))
        return cs_unc_fail(
            msg, CS_EINVAL, -1,
            "truncate: [%g, %g] keeps only %.3g of the probability of the %s "
            "distribution (at least %g is required): check the bounds and their units",
            lo, hi, mass > 0.0 ? mass : 0.0, fam, CS_UNC_MIN_MASS);
    int st = cs_unc_truncated_moments(&t, msg);
    if (st != CS_OK)
        return st;
    *d = t;
    return CS_OK;
}
