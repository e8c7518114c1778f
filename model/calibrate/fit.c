/*
 * calibrate/fit.c — a calibration's posterior approximated per input by a
 * distribution of the scenario format, with a Gaussian copula, for
 * `casesim calibrate --write-scenario` (casesim/calibrate.h).
 *
 * Family by support, fitted to the weighted posterior sample by moments:
 *   - a number whose prior lives in [0, 1] (a probability, a share): beta,
 *     alpha and beta from the posterior mean m and variance v
 *     (alpha + beta = m (1 - m) / v - 1), exact when the posterior is a beta
 *     (the conjugate case);
 *   - a positive number: lognormal, mu and sigma the weighted mean and sd of
 *     its logarithm (written as median e^mu and p95 e^(mu + 1.645 sigma));
 *   - any other: normal, the weighted mean and sd;
 *   - a Dirichlet over shares: a Dirichlet with the posterior means and the
 *     concentration whose component variances best match the posterior's
 *     (pooled: a0 + 1 = sum m_j (1 - m_j) / sum v_j).
 * Where the prior's support is narrower than the family's (a uniform prior
 * on [0.2, 0.8]), the fit is truncated to the prior's support, in which the
 * posterior lies. Shapes are kept in the format's limits [0.01, 1e5].
 *
 * Copula. The correlation of the posterior normal scores Phi^-1(G_e(x_e)),
 * G_e the fitted marginal, over univariate entries (the format keeps
 * Dirichlets out of correlations), weighted; pairs indistinguishable from
 * zero (|rho| < 2 / sqrt(ESS)) are left out, the rest rounded to 3
 * decimals, and the whole matrix shrunk toward the identity (off-diagonals
 * times 0.99 at a time) until its Cholesky factor's smallest pivot is at
 * least 0.01: positive definite with room.
 *
 * Inputs the calibration cannot inform keep their prior (the rule:
 * cs_calibrate_fit in casesim/calibrate.h): their entry, value and the
 * source's correlations among them are the source's, and they are left out
 * of the copula (a block of the identity beside it, so the matrix stays
 * positive definite).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "calibrate/internal.h"
#include "core/alloc.h"

#define MIN_SHAPE CS_UNC_MIN_SHAPE
#define MAX_SHAPE CS_UNC_MAX_SHAPE
#define MIN_PIVOT 0.01 /* smallest squared Cholesky pivot of the written matrix */

void cs_calibrate_fit_free(cs_calibrate_fit *f)
{
    if (!f)
        return;
    for (size_t e = 0; e < f->n_entries; e++)
        free(f->sources[e]);
    free(f->sources);
    free(f->entries);
    free(f->values);
    free(f->correlations);
    free(f->structural);
    free(f->variance_ratio);
    free(f);
}

static double clamp_shape(double a)
{
    return a < MIN_SHAPE ? MIN_SHAPE : a > MAX_SHAPE ? MAX_SHAPE : a;
}

/* Weighted mean and variance (reliability weights) of g(x) over the points
 * with positive weight; g is the identity or log. */
static void moments(const double *x, size_t stride, const double *w, size_t n, bool logs,
                    double *mean, double *var)
{
    double sw = 0, sw2 = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(w[i] > 0))
            continue;
        double y = logs ? log(x[i * stride]) : x[i * stride];
        sw += w[i];
        sw2 += w[i] * w[i];
        m += w[i] * (y - m) / sw;
    }
    double s = 0;
    for (size_t i = 0; i < n; i++)
        if (w[i] > 0) {
            double y = (logs ? log(x[i * stride]) : x[i * stride]) - m;
            s += w[i] * y * y;
        }
    *mean = m;
    *var = s / sw / (1.0 - sw2 / (sw * sw));
}

/* The family of the univariate prior p, and whether the fit must be
 * truncated to p's support. */
static enum cs_unc_family family_for(const cs_unc_dist *p, bool *truncate)
{
    if (p->lo >= 0 && p->hi <= 1) {
        *truncate = p->lo > 0 || p->hi < 1;
        return CS_UNC_BETA;
    }
    if (p->lo >= 0) {
        *truncate = p->lo > 0 || p->hi < INFINITY;
        return CS_UNC_LOGNORMAL;
    }
    *truncate = p->lo > -INFINITY || p->hi < INFINITY;
    return CS_UNC_NORMAL;
}

/* Fits entry e (univariate, value d) into f. */
static int fit_one(const cs_unc_dist *prior, const cs_calibration *c, size_t d, cs_fitted_entry *f,
                   cs_error *err)
{
    double m, v;
    bool trunc;
    f->family = family_for(prior, &trunc);
    moments(c->values + d, c->dim, c->weight, c->n_points, f->family == CS_UNC_LOGNORMAL, &m, &v);
    if (!(v > 0) || !isfinite(v))
        return cs_error_set(err, CS_EINVAL,
                            "input %zu: the posterior sample has no spread (too few effective "
                            "draws): it cannot be approximated by a distribution",
                            d);
    f->n_params = 2;
    if (f->family == CS_UNC_BETA) {
        double ab = m * (1 - m) / v - 1;
        f->param_name[0] = "alpha";
        f->param_name[1] = "beta";
        f->param[0] = clamp_shape(m * ab);
        f->param[1] = clamp_shape((1 - m) * ab);
    } else if (f->family == CS_UNC_LOGNORMAL) {
        f->param_name[0] = "median";
        f->param_name[1] = "p95";
        f->param[0] = exp(m);
        f->param[1] = exp(m + gsl_cdf_ugaussian_Pinv(0.95) * sqrt(v));
    } else {
        f->param_name[0] = "mean";
        f->param_name[1] = "sd";
        f->param[0] = m;
        f->param[1] = sqrt(v);
    }
    /* Written with 6 significant digits: far below the Monte Carlo error. */
    for (size_t i = 0; i < 2; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.6g", f->param[i]);
        f->param[i] = strtod(buf, NULL);
    }
    f->truncated = trunc;
    f->truncate[0] = prior->lo;
    f->truncate[1] = prior->hi;
    return CS_OK;
}

/* Fits a Dirichlet entry of k values from d into f. */
static int fit_dirichlet(const cs_calibration *c, size_t d, size_t k, cs_fitted_entry *f,
                         cs_error *err)
{
    double num = 0, den = 0, mean[CS_UNC_MAX_COMPONENTS];
    for (size_t j = 0; j < k; j++) {
        double v;
        moments(c->values + d + j, c->dim, c->weight, c->n_points, false, &mean[j], &v);
        num += mean[j] * (1 - mean[j]);
        den += v;
    }
    if (!(den > 0) || !isfinite(den))
        return cs_error_set(err, CS_EINVAL,
                            "input %zu: the posterior sample has no spread (too few effective "
                            "draws): it cannot be approximated by a distribution",
                            d);
    double a0 = num / den - 1;
    f->family = CS_UNC_DIRICHLET;
    f->k = k;
    for (size_t j = 0; j < k; j++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.6g", clamp_shape(mean[j] * a0));
        f->counts[j] = strtod(buf, NULL);
    }
    return CS_OK;
}

/* The medians of every value; a Dirichlet's normalised to sum to 1 (the
 * last one takes what the others leave). */
static int medians(const cs_scenario *s, const cs_calibration *c, double *out, cs_error *err)
{
    for (size_t d = 0; d < c->dim; d++) {
        cs_calib_marginal m;
        int st =
            cs_calib_marginal_summary(c->values + d, c->dim, c->weight, c->n_points, NAN, &m, err);
        if (st != CS_OK)
            return st;
        char buf[32];
        snprintf(buf, sizeof buf, "%.6g", m.median);
        out[d] = strtod(buf, NULL);
    }
    for (size_t e = 0; e < s->n_uncertain; e++) {
        const cs_uncertain *u = &s->uncertain[e];
        if (u->n_paths < 2)
            continue;
        double sum = 0, *v = out + u->offset;
        for (size_t j = 0; j < u->n_paths; j++)
            sum += v[j];
        double rest = 1.0;
        for (size_t j = 0; j + 1 < u->n_paths; j++) {
            char buf[32];
            snprintf(buf, sizeof buf, "%.6g", v[j] / sum);
            v[j] = strtod(buf, NULL);
            rest -= v[j];
        }
        v[u->n_paths - 1] = rest;
    }
    return CS_OK;
}

/* The distribution f describes (univariate). */
static int fitted_dist(const cs_fitted_entry *f, cs_unc_dist *d, cs_error *err)
{
    cs_unc_param p[2] = {{.name = f->param_name[0], .value = f->param[0]},
                         {.name = f->param_name[1], .value = f->param[1]}};
    cs_unc_msg msg;
    int st = cs_unc_dist_init(d, f->family, p, 2, &msg);
    if (st == CS_OK && f->truncated)
        st = cs_unc_dist_truncate(d, f->truncate[0], f->truncate[1], &msg);
    return st == CS_OK ? CS_OK : cs_error_set(err, st, "the fitted posterior: %s", msg.text);
}

/* The normal scores of the univariate entries' values under their fitted
 * marginals: scores[i][j], j over the m entries listed in which[]. */
static int normal_scores(const cs_scenario *s, const cs_calibration *c, const cs_fitted_entry *fe,
                         const size_t *which, size_t m, double *scores, cs_error *err)
{
    for (size_t j = 0; j < m; j++) {
        cs_unc_dist d;
        int st = fitted_dist(&fe[which[j]], &d, err);
        if (st != CS_OK)
            return st;
        size_t col = s->uncertain[which[j]].offset;
        for (size_t i = 0; i < c->n_points; i++) {
            double u = cs_unc_dist_cdf(&d, c->values[i * c->dim + col]);
            u = u < 1e-12 ? 1e-12 : u > 1 - 1e-12 ? 1 - 1e-12 : u;
            scores[i * m + j] = gsl_cdf_ugaussian_Pinv(u);
        }
    }
    return CS_OK;
}

/* Whether the m x m matrix r is positive definite with room (MIN_PIVOT);
 * work holds m * m doubles. */
static bool roomy(const double *r, size_t m, double *work)
{
    memcpy(work, r, m * m * sizeof *work);
    gsl_matrix_view a = gsl_matrix_view_array(work, m, m);
    if (gsl_linalg_cholesky_decomp1(&a.matrix) != GSL_SUCCESS)
        return false;
    for (size_t i = 0; i < m; i++)
        if (gsl_matrix_get(&a.matrix, i, i) * gsl_matrix_get(&a.matrix, i, i) < MIN_PIVOT)
            return false;
    return true;
}

/* The kept, rounded correlations of corr (m x m) times factor into r. */
static void written_matrix(const double *corr, size_t m, double cut, double factor, double *r)
{
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < m; b++) {
            double x = corr[a * m + b];
            x = a == b ? 1.0
                       : (isfinite(x) && fabs(x) >= cut ? round(1000 * x * factor) / 1000 : 0);
            r[a * m + b] = x;
        }
}

/* The written matrix: kept pairs, shrunk until roomy; into f. */
static int pick_correlations(const double *corr, const size_t *which, size_t m, double ess,
                             cs_calibrate_fit *f, cs_error *err)
{
    double *r = cs_xcalloc(2 * m * m, sizeof *r), cut = 2.0 / sqrt(ess);
    f->correlations = cs_xcalloc(m * m / 2 + 1, sizeof *f->correlations);
    if (!r || !f->correlations) {
        free(r);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    f->shrink = 1.0;
    written_matrix(corr, m, cut, f->shrink, r);
    while (!roomy(r, m, r + m * m) && f->shrink > 1e-3) {
        f->shrink *= 0.99;
        written_matrix(corr, m, cut, f->shrink, r);
    }
    for (size_t a = 0; a < m; a++)
        for (size_t b = a + 1; b < m; b++)
            if (r[a * m + b] != 0)
                f->correlations[f->n_correlations++] =
                    (cs_correlation){.a = which[a], .b = which[b], .rho = r[a * m + b]};
    free(r);
    return CS_OK;
}

/* The copula of the univariate entries into f. */
static int fit_copula(const cs_scenario *s, const cs_calibration *c, cs_calibrate_fit *f,
                      cs_error *err)
{
    size_t m = 0, *which = cs_xcalloc(s->n_uncertain + 1, sizeof *which);
    if (!which)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t e = 0; e < s->n_uncertain; e++)
        if (s->uncertain[e].n_paths == 1 && !f->entries[e].keep_prior)
            which[m++] = e;
    f->shrink = 1.0;
    if (m < 2) {
        free(which);
        return CS_OK;
    }
    double *scores = cs_xcalloc(c->n_points * m, sizeof *scores);
    double *cov = cs_xcalloc(2 * m * m, sizeof *cov);
    int st = scores && cov ? CS_OK : cs_error_set(err, CS_ENOMEM, "out of memory");
    if (st == CS_OK)
        st = normal_scores(s, c, f->entries, which, m, scores, err);
    if (st == CS_OK)
        st = cs_calib_covariance(scores, m, c->weight, c->n_points, cov, cov + m * m, err);
    if (st == CS_OK)
        st = pick_correlations(cov + m * m, which, m, f->ess, f, err);
    free(scores);
    free(cov);
    free(which);
    return st;
}

/* A new string printed from fmt, or NULL when out of memory. */
static char *print_new(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *print_new(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *t = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!t)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(t, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return t;
}

/* Each entry's `source`: the posterior in words, and the prior's source. */
static int sources(const cs_scenario *s, const cs_calibration *c, cs_calibrate_fit *f,
                   cs_error *err)
{
    static const char *how[CS_UNC_N_FAMILIES] = {[CS_UNC_BETA] = "beta by moments",
                                                 [CS_UNC_LOGNORMAL] =
                                                     "lognormal by the moments of the logarithm",
                                                 [CS_UNC_NORMAL] = "normal by moments",
                                                 [CS_UNC_DIRICHLET] = "dirichlet by moments"};
    for (size_t e = 0; e < s->n_uncertain; e++) {
        const cs_uncertain *u = &s->uncertain[e];
        cs_calib_marginal m;
        int st = cs_calib_marginal_summary(c->values + u->offset, c->dim, c->weight, c->n_points,
                                           NAN, &m, err);
        if (st != CS_OK)
            return st;
        bool has = u->source && u->source[0];
        char *t = print_new("calibrated: posterior median %.4g, 95%% interval %.4g to %.4g%s "
                            "(%s, ESS %.0f).%s%s",
                            m.median, m.lower, m.upper, u->n_paths > 1 ? " (first share)" : "",
                            how[f->entries[e].family], f->ess, has ? " Prior's source: " : "",
                            has ? u->source : "");
        if (!t)
            return cs_error_set(err, CS_ENOMEM, "out of memory");
        f->sources[e] = t;
        f->entries[e].source = t;
    }
    return CS_OK;
}

/* Every point's values (z through the scenario's priors), if c lacks them. */
static int ensure_values(const cs_scenario *s, cs_calibration *c, cs_error *err)
{
    if (c->values)
        return CS_OK;
    size_t D = c->dim;
    c->values = cs_xcalloc(c->n_points * D + 1, sizeof *c->values);
    cs_unc_work *w = cs_unc_work_alloc(s->uncertain_set);
    int st = c->values && w ? CS_OK : cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; i < c->n_points && st == CS_OK; i++)
        st = cs_unc_from_normal(s->uncertain_set, w, c->z + i * D, c->values + i * D, err);
    cs_unc_work_free(w);
    return st;
}

/* Whether every path of u lies under `interventions.`. */
static bool under_interventions(const cs_uncertain *u)
{
    for (size_t i = 0; i < u->n_paths; i++)
        if (strncmp(u->paths[i], "interventions.", strlen("interventions.")) != 0)
            return false;
    return true;
}

/* The posterior variance of u's normal scores (the prior's is 1); a
 * Dirichlet's smallest over its coordinates. */
static double z_variance(const cs_calibration *c, const cs_uncertain *u)
{
    double least = INFINITY;
    for (size_t j = 0; j < u->n_paths; j++) {
        double m, v;
        moments(c->z + u->offset + j, c->dim, c->weight, c->n_points, false, &m, &v);
        least = fmin(least, v);
    }
    return least;
}

/* Which entries keep their prior (the rule: cs_calibrate_fit), with their
 * source values. The rule errs toward the prior: an input is fitted only
 * if its posterior is narrower than both the sampling error of a variance
 * at this ESS and the narrowing the sampler gives inputs no target sees. */
static void mark_kept(const cs_scenario *s, const cs_calibration *c, cs_calibrate_fit *f)
{
    double noise = INFINITY;
    for (size_t e = 0; e < s->n_uncertain; e++) {
        f->structural[e] = under_interventions(&s->uncertain[e]);
        f->variance_ratio[e] = z_variance(c, &s->uncertain[e]);
        if (f->structural[e])
            noise = fmin(noise, f->variance_ratio[e]);
    }
    f->keep_threshold = f->ess > 0 ? fmin(exp(-2.0 * sqrt(2.0 / f->ess)), noise) : INFINITY;
    for (size_t e = 0; e < s->n_uncertain; e++) {
        const cs_uncertain *u = &s->uncertain[e];
        bool keep = f->structural[e] || !(f->variance_ratio[e] < f->keep_threshold);
        f->entries[e].keep_prior = keep;
        for (size_t j = 0; keep && j < u->n_paths; j++)
            f->values[u->offset + j] = u->value[j];
    }
}

/* Adds the source's correlations between inputs that keep their prior. */
static int kept_correlations(const cs_scenario *s, cs_calibrate_fit *f, cs_error *err)
{
    if (s->n_correlations == 0)
        return CS_OK;
    cs_correlation *r =
        realloc(f->correlations, (f->n_correlations + s->n_correlations) * sizeof *r);
    if (!r)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    f->correlations = r;
    for (size_t i = 0; i < s->n_correlations; i++) {
        const cs_correlation *k = &s->correlations[i];
        if (f->entries[k->a].keep_prior && f->entries[k->b].keep_prior)
            r[f->n_correlations++] = (cs_correlation){.a = k->a, .b = k->b, .rho = k->rho};
    }
    return CS_OK;
}

/* The fit's entries, values and sources. */
static int fit_entries(const cs_scenario *s, const cs_calibration *c, cs_calibrate_fit *f,
                       cs_error *err)
{
    int st = medians(s, c, f->values, err);
    for (size_t e = 0; e < s->n_uncertain && st == CS_OK; e++) {
        const cs_uncertain *u = &s->uncertain[e];
        if (u->n_paths > 1)
            st = fit_dirichlet(c, u->offset, u->n_paths, &f->entries[e], err);
        else
            st = fit_one(cs_unc_set_dist(s->uncertain_set, e), c, u->offset, &f->entries[e], err);
    }
    return st == CS_OK ? sources(s, c, f, err) : st;
}

int cs_calibrate_fit_posterior(const cs_scenario *s, cs_calibration *c, cs_calibrate_fit **out,
                               cs_error *err)
{
    *out = NULL;
    if (!s->uncertain_set || c->dim != s->n_uncertain_values || c->n_points == 0)
        return cs_error_set(err, CS_EINVAL,
                            "the calibration has %zu input values and %zu points; the scenario "
                            "has %zu uncertain values",
                            c->dim, c->n_points, s->n_uncertain_values);
    cs_calibrate_fit *f = calloc(1, sizeof *f);
    if (!f)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    f->n_entries = s->n_uncertain;
    f->entries = cs_xcalloc(s->n_uncertain, sizeof *f->entries);
    f->sources = cs_xcalloc(s->n_uncertain, sizeof *f->sources);
    f->values = cs_xcalloc(c->dim, sizeof *f->values);
    double sw2 = 0;
    for (size_t i = 0; i < c->n_points; i++)
        sw2 += c->weight[i] * c->weight[i];
    f->ess = sw2 > 0 ? 1.0 / sw2 : 0.0;
    int st = f->entries && f->sources && f->values ? CS_OK
                                                   : cs_error_set(err, CS_ENOMEM, "out of memory");
    if (st == CS_OK)
        st = ensure_values(s, c, err);
    if (st == CS_OK)
        st = fit_entries(s, c, f, err);
    if (st == CS_OK)
        st = fit_copula(s, c, f, err);
    if (st != CS_OK) {
        cs_calibrate_fit_free(f);
        return st;
    }
    *out = f;
    return CS_OK;
}

int cs_calibrate_fit_keep_priors(const cs_scenario *s, const cs_calibration *c, cs_calibrate_fit *f,
                                 cs_error *err)
{
    if (!c->z || c->dim != s->n_uncertain_values || f->n_entries != s->n_uncertain)
        return cs_error_set(err, CS_EINVAL,
                            "kept priors: the calibration has no normal scores, or is not of "
                            "this scenario");
    f->structural = cs_xcalloc(s->n_uncertain + 1, sizeof *f->structural);
    f->variance_ratio = cs_xcalloc(s->n_uncertain + 1, sizeof *f->variance_ratio);
    if (!f->structural || !f->variance_ratio)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    mark_kept(s, c, f);
    /* The copula again, over the fitted inputs only. */
    free(f->correlations);
    f->correlations = NULL;
    f->n_correlations = 0;
    int st = fit_copula(s, c, f, err);
    return st == CS_OK ? kept_correlations(s, f, err) : st;
}
