/*
 * family.c — the seven families: their names, and the translation of the
 * parameters as written in a scenario into canonical parameters, with a
 * message naming the rule when they are not valid.
 *
 * Every family accepts one or two parameterisations (sets of names). The
 * names of the two sets of one family are disjoint, so the first parameter
 * given decides which set the entry uses; every other parameter must belong
 * to it, and all of it must be there.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>

#include "unc_internal.h"

#define LOG_SQRT_2PI 0.91893853320467274178 /* log(sqrt(2 pi)) */

/* Up to two parameterisations of up to three names each. */
struct family_info {
    const char *name;
    const char *sets[2][3];
    int n_sets;
};

static const struct family_info FAMILIES[CS_UNC_N_FAMILIES] = {
    [CS_UNC_BETA] = {"beta", {{"mean", "sd", NULL}, {"alpha", "beta", NULL}}, 2},
    [CS_UNC_GAMMA] = {"gamma", {{"mean", "sd", NULL}, {"shape", "scale", NULL}}, 2},
    [CS_UNC_LOGNORMAL] = {"lognormal", {{"median", "p95", NULL}, {"mean", "sd", NULL}}, 2},
    [CS_UNC_NORMAL] = {"normal", {{"mean", "sd", NULL}, {NULL, NULL, NULL}}, 1},
    [CS_UNC_UNIFORM] = {"uniform", {{"min", "max", NULL}, {NULL, NULL, NULL}}, 1},
    [CS_UNC_TRIANGULAR] = {"triangular", {{"min", "mode", "max"}, {NULL, NULL, NULL}}, 1},
    [CS_UNC_DIRICHLET] = {"dirichlet", {{"counts", NULL, NULL}, {NULL, NULL, NULL}}, 1},
};

const char *cs_unc_family_name(enum cs_unc_family f)
{
    return (unsigned)f < CS_UNC_N_FAMILIES ? FAMILIES[f].name : "?";
}

bool cs_unc_family_parse(const char *name, enum cs_unc_family *out)
{
    for (int f = 0; name && f < CS_UNC_N_FAMILIES; f++)
        if (strcmp(name, FAMILIES[f].name) == 0) {
            *out = (enum cs_unc_family)f;
            return true;
        }
    return false;
}

/* ------------------------------------------------------------- messages */

void cs_unc_ok(cs_unc_msg *m)
{
    if (!m)
        return;
    m->status = CS_OK;
    m->param = -1;
    m->text[0] = '\0';
}

int cs_unc_fail(cs_unc_msg *m, int status, int param, const char *fmt, ...)
{
    if (!m)
        return status;
    m->status = status;
    m->param = param;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->text, sizeof m->text, fmt, ap);
    va_end(ap);
    return status;
}

/* "{mean, sd} or {alpha, beta}" for family f, into buf. */
static const char *describe_sets(const struct family_info *fi, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int s = 0; s < fi->n_sets; s++) {
        used += (size_t)snprintf(buf + used, size - used, "%s{", s ? " or " : "");
        for (int k = 0; k < 3 && fi->sets[s][k] && used < size; k++)
            used +=
                (size_t)snprintf(buf + used, size - used, "%s%s", k ? ", " : "", fi->sets[s][k]);
        if (used < size)
            used += (size_t)snprintf(buf + used, size - used, "}");
        if (used >= size)
            break;
    }
    return buf;
}

/* The set of fi that contains name (and its place there), or -1. */
static int find_name(const struct family_info *fi, const char *name, int *slot)
{
    for (int s = 0; s < fi->n_sets; s++)
        for (int k = 0; k < 3 && fi->sets[s][k]; k++)
            if (name && strcmp(name, fi->sets[s][k]) == 0) {
                *slot = k;
                return s;
            }
    return -1;
}

/* Checks names, repeats, kinds and finiteness, picks the parameterisation,
 * and fills val[slot] with the scalar of each name of the set (or *list for
 * a list). Returns the set's index, or -1 with msg. */
static int pick_set(const struct family_info *fi, const cs_unc_param *pr, size_t n, double val[3],
                    const cs_unc_param **list, cs_unc_msg *msg)
{
    char sets[96];
    describe_sets(fi, sets, sizeof sets);
    if (n == 0) {
        cs_unc_fail(msg, CS_EINVAL, -1, "%s: parameters missing: give %s", fi->name, sets);
        return -1;
    }
    int chosen = -1, first = -1;
    bool seen[3] = {false, false, false};
    for (size_t i = 0; i < n; i++) {
        int slot = 0, s = find_name(fi, pr[i].name, &slot);
        int ip = (int)i;
        const char *nm = pr[i].name ? pr[i].name : "(null)";
        if (s < 0) {
            cs_unc_fail(msg, CS_EINVAL, ip, "%s: unknown parameter `%s` (give %s)", fi->name, nm,
                        sets);
            return -1;
        }
        if (chosen < 0) {
            chosen = s;
            first = ip;
        } else if (s != chosen) {
            cs_unc_fail(msg, CS_EINVAL, ip, "%s: give either %s, not `%s` with `%s`", fi->name,
                        sets, pr[first].name, nm);
            return -1;
        }
        if (seen[slot]) {
            cs_unc_fail(msg, CS_EINVAL, ip, "%s: `%s` given twice", fi->name, nm);
            return -1;
        }
        seen[slot] = true;
        bool wants_list = strcmp(nm, "counts") == 0;
        if (wants_list && !pr[i].list) {
            cs_unc_fail(msg, CS_EINVAL, ip, "%s: `%s` must be a list of numbers", fi->name, nm);
            return -1;
        }
        if (!wants_list && pr[i].list) {
            cs_unc_fail(msg, CS_EINVAL, ip, "%s: `%s` must be a number, not a list", fi->name, nm);
            return -1;
        }
        if (!wants_list && !isfinite(pr[i].value)) {
            cs_unc_fail(msg, CS_EINVAL, ip, "%s: `%s` must be a finite number", fi->name, nm);
            return -1;
        }
        val[slot] = pr[i].value;
        if (wants_list)
            *list = &pr[i];
    }
    for (int k = 0; k < 3 && fi->sets[chosen][k]; k++)
        if (!seen[k]) {
            cs_unc_fail(msg, CS_EINVAL, -1, "%s: `%s` missing (give %s)", fi->name,
                        fi->sets[chosen][k], sets);
            return -1;
        }
    return chosen;
}

/* The index in pr of the parameter called name (for msg->param), or -1. */
static int index_of(const cs_unc_param *pr, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (pr[i].name && strcmp(pr[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* A shape parameter outside [CS_UNC_MIN_SHAPE, CS_UNC_MAX_SHAPE]. */
static bool shape_ok(double v)
{
    return v >= CS_UNC_MIN_SHAPE && v <= CS_UNC_MAX_SHAPE;
}

static int shape_error(cs_unc_msg *msg, int param, const char *family, const char *what, double v)
{
    if (v <= 0.0)
        return cs_unc_fail(msg, CS_EINVAL, param, "%s: %s must be positive, not %g", family, what,
                           v);
    return cs_unc_fail(msg, CS_EINVAL, param,
                       "%s: %s %g is outside [%g, %g], the shapes this module computes accurately "
                       "(%s)",
                       family, what, v, CS_UNC_MIN_SHAPE, CS_UNC_MAX_SHAPE,
                       v < CS_UNC_MIN_SHAPE
                           ? "almost all the probability would sit closer to an end "
                             "than a double resolves"
                           : "the distribution is too narrow to be uncertain: use a "
                             "fixed value");
}

static int positive(cs_unc_msg *msg, int param, const char *family, const char *what, double v)
{
    if (v > 0.0)
        return CS_OK;
    return cs_unc_fail(msg, CS_EINVAL, param, "%s: %s must be positive, not %g", family, what, v);
}

/* ------------------------------------------------------------- families */

void cs_unc_beta_set(cs_unc_dist *d, double a, double b)
{
    memset(d, 0, sizeof *d);
    d->family = CS_UNC_BETA;
    d->k = 1;
    d->mass = 1.0;
    d->s_lo = d->f_hi = 1.0;
    d->p[0] = a;
    d->p[1] = b;
    d->lo = 0.0;
    d->hi = 1.0;
    d->mean = a / (a + b);
    d->var = a * b / ((a + b) * (a + b) * (a + b + 1.0));
    d->log_norm = -gsl_sf_lnbeta(a, b);
}

static int init_beta(cs_unc_dist *d, int set, const double v[3], const cs_unc_param *pr, size_t n,
                     cs_unc_msg *msg)
{
    double a = v[0], b = v[1];
    if (set == 0) {
        double m = v[0], sd = v[1];
        if (!(m > 0.0 && m < 1.0))
            return cs_unc_fail(msg, CS_EINVAL, index_of(pr, n, "mean"),
                               "beta: mean %g must lie strictly between 0 and 1", m);
        if (positive(msg, index_of(pr, n, "sd"), "beta", "sd", sd))
            return CS_EINVAL;
        double limit = sqrt(m * (1.0 - m));
        if (!(sd < limit))
            return cs_unc_fail(
                msg, CS_EINVAL, index_of(pr, n, "sd"),
                "beta: sd %g is too large for mean %g (sd must be below sqrt(mean (1 - "
                "mean)) = %.3g)",
                sd, m, limit);
        double f = m * (1.0 - m) / (sd * sd) - 1.0; /* alpha + beta */
        a = m * f;
        b = (1.0 - m) * f;
        if (!shape_ok(a) || !shape_ok(b))
            return cs_unc_fail(
                msg, CS_EINVAL, -1,
                "beta: mean %g and sd %g give alpha = %g and beta = %g; both must lie in "
                "[%g, %g] (%s)",
                m, sd, a, b, CS_UNC_MIN_SHAPE, CS_UNC_MAX_SHAPE,
                (a < CS_UNC_MIN_SHAPE || b < CS_UNC_MIN_SHAPE)
                    ? "sd too close to its limit"
                    : "sd too small to be uncertain: use a fixed value");
    } else {
        if (!shape_ok(a))
            return shape_error(msg, index_of(pr, n, "alpha"), "beta", "alpha", a);
        if (!shape_ok(b))
            return shape_error(msg, index_of(pr, n, "beta"), "beta", "beta", b);
    }
    cs_unc_beta_set(d, a, b);
    return CS_OK;
}

static int init_gamma(cs_unc_dist *d, int set, const double v[3], const cs_unc_param *pr, size_t n,
                      cs_unc_msg *msg)
{
    double k = v[0], theta = v[1];
    if (set == 0) {
        double m = v[0], sd = v[1];
        if (positive(msg, index_of(pr, n, "mean"), "gamma", "mean", m) ||
            positive(msg, index_of(pr, n, "sd"), "gamma", "sd", sd))
            return CS_EINVAL;
        k = (m / sd) * (m / sd);
        theta = sd * sd / m;
        if (!shape_ok(k) || !(theta > 0.0 && isfinite(theta)))
            return cs_unc_fail(
                msg, CS_EINVAL, -1,
                "gamma: mean %g and sd %g give shape = (mean/sd)^2 = %g, outside [%g, "
                "%g] (%s)",
                m, sd, k, CS_UNC_MIN_SHAPE, CS_UNC_MAX_SHAPE,
                k < CS_UNC_MIN_SHAPE ? "sd more than 10 times the mean"
                                     : "sd too small to be uncertain: use a fixed value");
    } else {
        if (!shape_ok(k))
            return shape_error(msg, index_of(pr, n, "shape"), "gamma", "shape", k);
        if (positive(msg, index_of(pr, n, "scale"), "gamma", "scale", theta))
            return CS_EINVAL;
    }
    d->p[0] = k;
    d->p[1] = theta;
    d->lo = 0.0;
    d->hi = INFINITY;
    d->mean = k * theta;
    d->var = k * theta * theta;
    d->log_norm = -gsl_sf_lngamma(k) - k * log(theta);
    return CS_OK;
}

static int init_lognormal(cs_unc_dist *d, int set, const double v[3], const cs_unc_param *pr,
                          size_t n, cs_unc_msg *msg)
{
    double mu, sigma;
    if (set == 0) {
        double med = v[0], p95 = v[1];
        if (positive(msg, index_of(pr, n, "median"), "lognormal", "median", med))
            return CS_EINVAL;
        if (!(p95 > med))
            return cs_unc_fail(msg, CS_EINVAL, index_of(pr, n, "p95"),
                               "lognormal: p95 %g must be above the median %g", p95, med);
        mu = log(med);
        sigma = log(p95 / med) / gsl_cdf_ugaussian_Pinv(0.95);
    } else {
        double m = v[0], sd = v[1];
        if (positive(msg, index_of(pr, n, "mean"), "lognormal", "mean", m) ||
            positive(msg, index_of(pr, n, "sd"), "lognormal", "sd", sd))
            return CS_EINVAL;
        double s2 = log1p((sd / m) * (sd / m));
        mu = log(m) - 0.5 * s2;
        sigma = sqrt(s2);
    }
    if (!(sigma > 0.0 && isfinite(mu)))
        return cs_unc_fail(msg, CS_EINVAL, -1,
                           "lognormal: the parameters give no spread (sigma %g)", sigma);
    d->p[0] = mu;
    d->p[1] = sigma;
    d->lo = 0.0;
    d->hi = INFINITY;
    d->mean = exp(mu + 0.5 * sigma * sigma);
    d->var = expm1(sigma * sigma) * exp(2.0 * mu + sigma * sigma);
    d->log_norm = -log(sigma) - LOG_SQRT_2PI;
    return CS_OK;
}

static int init_normal(cs_unc_dist *d, const double v[3], const cs_unc_param *pr, size_t n,
                       cs_unc_msg *msg)
{
    if (positive(msg, index_of(pr, n, "sd"), "normal", "sd", v[1]))
        return CS_EINVAL;
    d->p[0] = v[0];
    d->p[1] = v[1];
    d->lo = -INFINITY;
    d->hi = INFINITY;
    d->mean = v[0];
    d->var = v[1] * v[1];
    d->log_norm = -log(v[1]) - LOG_SQRT_2PI;
    return CS_OK;
}

static int init_uniform(cs_unc_dist *d, const double v[3], const cs_unc_param *pr, size_t n,
                        cs_unc_msg *msg)
{
    double a = v[0], b = v[1];
    if (!(a < b) || !isfinite(b - a))
        return cs_unc_fail(msg, CS_EINVAL, index_of(pr, n, "max"),
                           "uniform: min %g must be below max %g", a, b);
    d->p[0] = a;
    d->p[1] = b;
    d->lo = a;
    d->hi = b;
    d->mean = 0.5 * a + 0.5 * b;
    d->var = (b - a) * (b - a) / 12.0;
    d->log_norm = -log(b - a);
    return CS_OK;
}

static int init_triangular(cs_unc_dist *d, const double v[3], const cs_unc_param *pr, size_t n,
                           cs_unc_msg *msg)
{
    double a = v[0], m = v[1], c = v[2];
    if (!(a < c) || !isfinite(c - a))
        return cs_unc_fail(msg, CS_EINVAL, index_of(pr, n, "max"),
                           "triangular: min %g must be below max %g", a, c);
    if (!(a <= m && m <= c))
        return cs_unc_fail(msg, CS_EINVAL, index_of(pr, n, "mode"),
                           "triangular: mode %g must lie between min %g and max %g", m, a, c);
    d->p[0] = a;
    d->p[1] = m;
    d->p[2] = c;
    d->lo = a;
    d->hi = c;
    d->mean = (a + m + c) / 3.0;
    d->var = (a * a + m * m + c * c - a * m - a * c - m * c) / 18.0;
    d->log_norm = log(2.0) - log(c - a);
    return CS_OK;
}

static int init_dirichlet(cs_unc_dist *d, const cs_unc_param *list, cs_unc_msg *msg)
{
    int ip = 0; /* pick_set guarantees counts is the only parameter */
    size_t k = list->n_list;
    if (k < 2)
        return cs_unc_fail(msg, CS_EINVAL, ip,
                           "dirichlet: counts needs at least 2 numbers (one per share), not %zu",
                           k);
    if (k > CS_UNC_MAX_COMPONENTS)
        return cs_unc_fail(msg, CS_ELIMIT, ip, "dirichlet: %zu counts; at most %d are supported", k,
                           CS_UNC_MAX_COMPONENTS);
    double sum = 0.0;
    for (size_t i = 0; i < k; i++) {
        double c = list->list[i];
        if (!isfinite(c) || !shape_ok(c))
            return cs_unc_fail(msg, CS_EINVAL, ip,
                               "dirichlet: count %g (number %zu of counts) must lie in [%g, %g]", c,
                               i + 1, CS_UNC_MIN_SHAPE, CS_UNC_MAX_SHAPE);
        d->counts[i] = c;
        sum += c;
    }
    if (sum > CS_UNC_MAX_SHAPE)
        return cs_unc_fail(msg, CS_EINVAL, ip,
                           "dirichlet: the counts sum to %g, above %g: shares known so precisely "
                           "(sd below 0.0016) are not uncertain; use fixed values",
                           sum, CS_UNC_MAX_SHAPE);
    d->k = k;
    d->lo = 0.0;
    d->hi = 1.0;
    d->mean = NAN;
    d->var = NAN;
    /* The median of Gamma(sum, 1) by Wilson and Hilferty's cube-root normal
     * approximation (relative error below 1e-3 / sum^2): any positive
     * constant would serve cs_unc_to_normal, a typical one keeps its z
     * central. */
    double c3 = 1.0 - 1.0 / (9.0 * sum);
    d->dir_median_s = sum * c3 * c3 * c3;
    return CS_OK;
}

int cs_unc_dist_init(cs_unc_dist *d, enum cs_unc_family f, const cs_unc_param *params, size_t n,
                     cs_unc_msg *msg)
{
    cs_unc_ok(msg);
    if ((unsigned)f >= CS_UNC_N_FAMILIES || (n > 0 && !params))
        return cs_unc_fail(msg, CS_EINVAL, -1, "unknown distribution family %d", (int)f);
    memset(d, 0, sizeof *d);
    d->family = f;
    d->k = 1;
    d->mass = 1.0;
    d->s_lo = d->f_hi = 1.0; /* no truncation: F(lo) = 0, F(hi) = 1 */
    double v[3] = {NAN, NAN, NAN};
    const cs_unc_param *list = NULL;
    const struct family_info *fi = &FAMILIES[f];
    int set = pick_set(fi, params, n, v, &list, msg);
    if (set < 0)
        return CS_EINVAL;
    switch (f) {
    case CS_UNC_BETA:
        return init_beta(d, set, v, params, n, msg);
    case CS_UNC_GAMMA:
        return init_gamma(d, set, v, params, n, msg);
    case CS_UNC_LOGNORMAL:
        return init_lognormal(d, set, v, params, n, msg);
    case CS_UNC_NORMAL:
        return init_normal(d, v, params, n, msg);
    case CS_UNC_UNIFORM:
        return init_uniform(d, v, params, n, msg);
    case CS_UNC_TRIANGULAR:
        return init_triangular(d, v, params, n, msg);
    default:
        return init_dirichlet(d, list, msg);
    }
}
