/* calib_identify.c — which inputs the targets cannot tell apart, from the
 * posterior covariance in z-space (method and thresholds in
 * include/casesim/calibration.h). */
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/calibration.h"

/* The analysis of one covariance, shared by the steps below. */
struct ident {
    size_t d;
    const double *cov;
    double prec[CS_CALIB_MAX_DIM * CS_CALIB_MAX_DIM]; /* cov^-1 */
    int tied[CS_CALIB_MAX_DIM];
    size_t group[CS_CALIB_MAX_DIM]; /* group label: the smallest index in it */
    const char *const *names;
};

static double rho(const struct ident *a, size_t i, size_t j)
{
    return a->cov[i * a->d + j] / sqrt(a->cov[i * a->d + i] * a->cov[j * a->d + j]);
}

static double partial(const struct ident *a, size_t i, size_t j)
{
    const double *P = a->prec;
    return -P[i * a->d + j] / sqrt(P[i * a->d + i] * P[j * a->d + j]);
}

/* Inverts the covariance (Cholesky) and marks the tied inputs. */
static int analyse(struct ident *a, cs_error *err)
{
    size_t d = a->d;
    /* Symmetric to rounding (only the lower triangle is used below). */
    for (size_t i = 0; i < d * d; i++) {
        size_t r = i / d, c = i % d;
        double tol = 1e-9 * sqrt(fabs(a->cov[r * d + r] * a->cov[c * d + c]));
        if (!isfinite(a->cov[i]) || fabs(a->cov[i] - a->cov[c * d + r]) > tol)
            return cs_error_set(err, CS_EINVAL,
                                "identifiability: the covariance is not finite and symmetric");
    }
    memcpy(a->prec, a->cov, d * d * sizeof *a->prec);
    gsl_matrix_view P = gsl_matrix_view_array(a->prec, d, d);
    if (gsl_linalg_cholesky_decomp1(&P.matrix) != 0 || gsl_linalg_cholesky_invert(&P.matrix) != 0)
        return cs_error_set(err, CS_EINVAL,
                            "identifiability: the posterior covariance is not positive definite "
                            "(too few effective draws for %zu inputs?)",
                            d);
    for (size_t i = 0; i < d; i++) {
        double r2 = 1 - 1 / (a->cov[i * d + i] * a->prec[i * d + i]);
        a->tied[i] = r2 > CS_CALIB_RHO_STRONG * CS_CALIB_RHO_STRONG;
        a->group[i] = i;
    }
    return CS_OK;
}

static size_t find_root(size_t *g, size_t i)
{
    while (g[i] != i)
        i = g[i];
    return i;
}

/* Groups the tied inputs: i and j join when |rho| or |partial rho| is strong.
 * Union by smallest root, so every group is labelled by its smallest index. */
static void group_tied(struct ident *a)
{
    for (size_t i = 0; i < a->d; i++)
        for (size_t j = i + 1; j < a->d; j++) {
            if (!a->tied[i] || !a->tied[j])
                continue;
            if (fabs(rho(a, i, j)) <= CS_CALIB_RHO_STRONG &&
                fabs(partial(a, i, j)) <= CS_CALIB_PARTIAL_LINK)
                continue;
            size_t ri = find_root(a->group, i), rj = find_root(a->group, j);
            if (ri < rj)
                a->group[rj] = ri;
            else
                a->group[ri] = rj;
        }
    for (size_t i = 0; i < a->d; i++)
        a->group[i] = find_root(a->group, i);
}

/* Appends "A, B and C" (the names of f's inputs) to buf. */
static void list_names(const struct ident *a, const cs_calib_finding *f, char *buf, size_t len)
{
    size_t used = strlen(buf);
    for (size_t k = 0; k < f->n_inputs && used < len; k++) {
        const char *sep = k == 0 ? "" : k + 1 == f->n_inputs ? " and " : ", ";
        size_t i = f->inputs[k];
        int w = a->names ? snprintf(buf + used, len - used, "%s%s", sep, a->names[i])
                         : snprintf(buf + used, len - used, "%sinput %zu", sep, i + 1);
        used += w > 0 ? (size_t)w : 0;
    }
}

/* Appends printf-style text to buf. */
static void append(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

/* A share as a percentage with two significant digits where it is small
 * ("0.3", "4.5", "98"), into buf[16]. */
static const char *pct(double v, char *buf)
{
    double p = 100 * v;
    snprintf(buf, 16, fabs(p) < 10 ? "%.1f" : "%.0f", p);
    return buf;
}

/* Copies column col of the m x m eigenvector matrix ev into out[d], at the
 * group's inputs, with the sign that makes the first nonzero entry positive. */
static void embed(const double *ev, size_t m, size_t col, const cs_calib_finding *f, size_t d,
                  double *out)
{
    double sign = 0;
    for (size_t k = 0; k < m && sign == 0; k++)
        sign = ev[k * m + col] > 0 ? 1 : ev[k * m + col] < 0 ? -1 : 0;
    memset(out, 0, d * sizeof *out);
    for (size_t k = 0; k < m; k++)
        out[f->inputs[k]] = (sign < 0 ? -1 : 1) * ev[k * m + col];
}

static void describe_group(const struct ident *a, cs_calib_finding *f)
{
    char *t = f->text;
    size_t len = sizeof f->text;
    t[0] = '\0';
    if (f->kind == CS_CALIB_CORRELATED) {
        list_names(a, f, t, len);
        append(t, len, " are strongly correlated in the posterior");
        if (f->n_inputs == 2)
            append(t, len, " (correlation %.2f)", f->rho);
        char b[16];
        append(t, len,
               ", but the targets constrain every combination of them (none keeps more than "
               "%s%% of its prior variance): use their posterior draws jointly rather than as "
               "independent intervals.",
               pct(f->free_variance, b));
        return;
    }
    append(t, len, "The targets cannot separate ");
    list_names(a, f, t, len);
    if (f->n_inputs == 2) {
        append(t, len,
               " (posterior correlation %.2f): they pin down one combination of the two but not "
               "how it splits between them. %s barely changes the fit, as when only their %s is "
               "observed.",
               f->rho, f->rho < 0 ? "Raising one while lowering the other" : "Moving both together",
               f->rho < 0 ? "product (or sum)" : "ratio (or difference)");
    } else {
        append(t, len,
               ": they pin down some combinations of them but %zu of their %zu directions keep "
               "at least half of their prior variance, as when only a product or ratio of them "
               "is observed.",
               f->n_free, f->n_inputs);
    }
    char b1[16], b2[16];
    append(t, len,
           " Along the least informed direction the posterior keeps %s%% of the prior "
           "variance; along the best informed, %s%%. Use their posterior draws jointly (they "
           "keep the correlation), not separate intervals, or add a target that informs one of "
           "them.",
           pct(f->free_variance, b1), pct(f->fixed_variance, b2));
}

/* The finding for the group labelled `label`, if it has two inputs or more.
 * Returns 1 (written to *f), 0 (no group) or -1 (out of memory). */
static int group_finding(const struct ident *a, size_t label, cs_calib_finding *f)
{
    size_t d = a->d, m = 0;
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < d; i++)
        if (a->tied[i] && a->group[i] == label)
            f->inputs[m++] = i;
    if (m < 2)
        return 0;
    f->n_inputs = m;
    double block[CS_CALIB_MAX_DIM * CS_CALIB_MAX_DIM], ev[CS_CALIB_MAX_DIM * CS_CALIB_MAX_DIM];
    double val[CS_CALIB_MAX_DIM];
    for (size_t r = 0; r < m; r++)
        for (size_t c = 0; c < m; c++)
            block[r * m + c] = a->cov[f->inputs[r] * d + f->inputs[c]];
    gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(m);
    if (!ws)
        return -1;
    gsl_matrix_view B = gsl_matrix_view_array(block, m, m), V = gsl_matrix_view_array(ev, m, m);
    gsl_vector_view L = gsl_vector_view_array(val, m);
    int st = gsl_eigen_symmv(&B.matrix, &L.vector, &V.matrix, ws);
    gsl_eigen_symmv_free(ws);
    if (st != 0 || gsl_eigen_symmv_sort(&L.vector, &V.matrix, GSL_EIGEN_SORT_VAL_ASC) != 0)
        return -1;
    f->fixed_variance = val[0];
    f->free_variance = val[m - 1];
    for (size_t k = 0; k < m; k++)
        f->n_free += val[k] >= CS_CALIB_FREE_VARIANCE;
    embed(ev, m, m - 1, f, d, f->ridge);
    embed(ev, m, 0, f, d, f->fixed);
    f->rho = m == 2 ? rho(a, f->inputs[0], f->inputs[1]) : NAN;
    f->kind = f->n_free > 0 ? CS_CALIB_UNSEPARATED : CS_CALIB_CORRELATED;
    describe_group(a, f);
    return 1;
}

/* The note for input i if it is untied and barely informed; returns 1 or 0. */
static int uninformed_finding(const struct ident *a, size_t i, cs_calib_finding *f)
{
    double v = a->cov[i * a->d + i];
    if (a->tied[i] || v <= CS_CALIB_UNINFORMED)
        return 0;
    memset(f, 0, sizeof *f);
    f->kind = CS_CALIB_UNINFORMED_INPUT;
    f->n_inputs = 1;
    f->inputs[0] = i;
    f->rho = NAN;
    f->free_variance = f->fixed_variance = v;
    f->n_free = 1;
    f->ridge[i] = f->fixed[i] = 1;
    f->text[0] = '\0';
    append(f->text, sizeof f->text, "The targets say little about ");
    list_names(a, f, f->text, sizeof f->text);
    char b1[16], b2[16];
    append(f->text, sizeof f->text,
           ": its posterior keeps %s%% of its prior variance (shrinkage %s%%), so its "
           "posterior is close to its prior.",
           pct(v, b1), pct(1 - v, b2));
    return 1;
}

static int cmp_finding(const void *x, const void *y)
{
    const cs_calib_finding *a = x, *b = y;
    if (a->kind != b->kind)
        return (int)a->kind - (int)b->kind;
    return (a->inputs[0] > b->inputs[0]) - (a->inputs[0] < b->inputs[0]);
}

int cs_calib_identifiability(const double *cov, size_t dim, const char *const *names,
                             cs_calib_finding **findings, size_t *n_findings, cs_error *err)
{
    *findings = NULL;
    *n_findings = 0;
    if (dim == 0 || dim > CS_CALIB_MAX_DIM)
        return cs_error_set(err, CS_EINVAL, "identifiability: %zu inputs (1 to %d)", dim,
                            CS_CALIB_MAX_DIM);
    struct ident *a = malloc(sizeof *a);
    cs_calib_finding *f = malloc(dim * sizeof *f);
    int st = CS_OK;
    if (!a || !f) {
        st = cs_error_set(err, CS_ENOMEM, "identifiability: out of memory");
        goto fail;
    }
    *a = (struct ident){.d = dim, .cov = cov, .names = names};
    if ((st = analyse(a, err)) != CS_OK)
        goto fail;
    group_tied(a);
    size_t n = 0;
    for (size_t i = 0; i < dim; i++) {
        int got = a->group[i] == i && a->tied[i] ? group_finding(a, i, &f[n]) : 0;
        if (got < 0) {
            st = cs_error_set(err, CS_EINTERNAL, "identifiability: eigen-decomposition failed");
            goto fail;
        }
        n += (size_t)got;
        n += (size_t)uninformed_finding(a, i, &f[n]);
    }
    qsort(f, n, sizeof *f, cmp_finding);
    free(a);
    *findings = f;
    *n_findings = n;
    return CS_OK;
fail:
    free(a);
    free(f);
    return st;
}
