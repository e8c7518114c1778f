/* evppi_linalg.c — the few dense operations the EVPPI regressions need, on
 * row-major arrays. Written here rather than taken from GSL so that a matrix
 * that is not positive definite (an expected event while a likelihood is
 * searched) is a return value, never a call of GSL's error handler. Sizes are
 * at most a few hundred, where these loops run close to GSL's own. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_eigen.h>

#include "evppi_internal.h"

/* Four partial sums in a fixed order: the compiler may not reorder a
 * floating-point sum, so one accumulator would serialise every addition; four
 * give it independent chains (and the result stays the same on every run). */
static double dot(const double *a, const double *b, size_t n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++)
        s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

void cs_ev_axpy(double *restrict y, double a, const double *restrict x, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        y[i] += a * x[i];
        y[i + 1] += a * x[i + 1];
        y[i + 2] += a * x[i + 2];
        y[i + 3] += a * x[i + 3];
    }
    for (; i < n; i++)
        y[i] += a * x[i];
}

void cs_ev_matmul(const double *a, const double *b, size_t n, size_t k, size_t m, double *c)
{
    memset(c, 0, n * m * sizeof *c);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++)
            cs_ev_axpy(c + i * m, a[i * k + j], b + j * m, m);
}

void cs_ev_transpose(const double *a, size_t n, size_t m, double *t)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++)
            t[j * n + i] = a[i * m + j];
}

int cs_ev_eigen(double *a, size_t q, double *eig, double *u)
{
    gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(q);
    if (!w)
        return CS_ENOMEM;
    gsl_matrix_view av = gsl_matrix_view_array(a, q, q);
    gsl_matrix_view uv = gsl_matrix_view_array(u, q, q);
    gsl_vector_view ev = gsl_vector_view_array(eig, q);
    int st = gsl_eigen_symmv(&av.matrix, &ev.vector, &uv.matrix, w);
    gsl_eigen_symmv_free(w);
    return st ? CS_EINTERNAL : CS_OK;
}

int cs_ev_chol(double *a, size_t n)
{
    /* Cholesky-Banachiewicz, row by row: every inner product runs along two
     * rows, contiguous in memory. */
    for (size_t i = 0; i < n; i++) {
        double *ri = a + i * n;
        for (size_t j = 0; j < i; j++) {
            const double *rj = a + j * n;
            ri[j] = (ri[j] - dot(ri, rj, j)) / rj[j];
        }
        double piv = ri[i] - dot(ri, ri, i);
        if (!(piv > 0) || !isfinite(piv))
            return -1;
        ri[i] = sqrt(piv);
        memset(ri + i + 1, 0, (n - i - 1) * sizeof *ri);
    }
    return 0;
}

int cs_ev_chol_ridged(double *a, size_t n, size_t h, double *copy)
{
    memcpy(copy, a, n * n * sizeof *a);
    if (cs_ev_chol(a, n) == 0)
        return 0;
    memcpy(a, copy, n * n * sizeof *a);
    double tr = 0;
    for (size_t j = 0; j < h; j++)
        tr += a[j * n + j];
    for (size_t j = 0; j < h; j++)
        a[j * n + j] += 1e-10 * tr / (double)h;
    return cs_ev_chol(a, n);
}

void cs_ev_solve_l(const double *l, size_t n, double *b)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (b[i] - dot(l + i * n, b, i)) / l[i * n + i];
}

void cs_ev_solve_lt(const double *l, size_t n, double *b)
{
    for (size_t i = n; i-- > 0;) {
        double s = b[i];
        for (size_t k = i + 1; k < n; k++)
            s -= l[k * n + i] * b[k];
        b[i] = s / l[i * n + i];
    }
}

void cs_ev_chol_inverse(const double *l, size_t n, double *inv, double *work)
{
    /* work row c = column c of L^-1 (zero above c), by forward
     * substitution; then inv = L^-T L^-1, inv[a][b] = sum_i X[i][a] X[i][b]
     * over i >= max(a, b), both read along rows of work. */
    for (size_t c = 0; c < n; c++) {
        double *x = work + c * n;
        memset(x, 0, n * sizeof *x);
        x[c] = 1 / l[c * n + c];
        for (size_t i = c + 1; i < n; i++)
            x[i] = -dot(l + i * n + c, x + c, i - c) / l[i * n + i];
    }
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b <= a; b++) {
            double s = dot(work + a * n + a, work + b * n + a, n - a);
            inv[a * n + b] = s;
            inv[b * n + a] = s;
        }
}

void cs_ev_gram(const double *a, size_t n, size_t q, double *c)
{
    memset(c, 0, q * q * sizeof *c);
    for (size_t r = 0; r < n; r++) {
        const double *row = a + r * q;
        for (size_t i = 0; i < q; i++) {
            double x = row[i];
            if (x == 0)
                continue; /* B-spline rows are mostly zeros */
            double *ci = c + i * q;
            for (size_t j = 0; j <= i; j++)
                ci[j] += x * row[j];
        }
    }
    for (size_t i = 0; i < q; i++)
        for (size_t j = 0; j < i; j++)
            c[j * q + i] = c[i * q + j];
}

void cs_ev_matvec(const double *a, size_t n, size_t q, const double *x, double *y)
{
    for (size_t r = 0; r < n; r++)
        y[r] = dot(a + r * q, x, q);
}

void cs_ev_matvec_t(const double *a, size_t n, size_t q, const double *x, double *y)
{
    memset(y, 0, q * sizeof *y);
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < q; j++)
            y[j] += a[r * q + j] * x[r];
}

double cs_ev_normal(cs_pcg32 *g)
{
    return gsl_cdf_ugaussian_Pinv(cs_pcg32_uniform_pos(g));
}

void cs_ev_fit_clear(struct cs_ev_fit *fit)
{
    free(fit->fitted);
    free(fit->own_basis);
    free(fit->w);
    memset(fit, 0, sizeof *fit);
}

int cs_ev_is_constant(const double *y, size_t n)
{
    double lo = y[0], hi = y[0];
    for (size_t i = 1; i < n; i++) {
        lo = fmin(lo, y[i]);
        hi = fmax(hi, y[i]);
    }
    /* Equal up to a few ulps of the largest magnitude: differences that
     * small are rounding in the caller's subtraction of two variants. */
    return hi - lo <= 8 * 0x1p-52 * fmax(fabs(lo), fabs(hi));
}

int cs_ev_fit_constant(const double *y, size_t n, struct cs_ev_fit *fit)
{
    memset(fit, 0, sizeof *fit);
    fit->fitted = malloc(n * sizeof *fit->fitted);
    if (!fit->fitted)
        return CS_ENOMEM;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += y[i];
    double m = s / (double)n, rss = 0;
    for (size_t i = 0; i < n; i++) {
        fit->fitted[i] = m;
        rss += (y[i] - m) * (y[i] - m);
    }
    fit->n = n;
    fit->info =
        (cs_evppi_fit_info){CS_EVPPI_CONSTANT, 1, 0, n > 1 ? sqrt(rss / (double)(n - 1)) : 0};
    return CS_OK;
}

void cs_ev_fit_sample(const struct cs_ev_fit *fit, cs_pcg32 *g, double *u, double *out)
{
    size_t n = fit->n, q = fit->q;
    if (!fit->w) {
        memcpy(out, fit->fitted, n * sizeof *out);
        return;
    }
    for (size_t j = 0; j < q; j++)
        u[j] = fit->w[j] * cs_ev_normal(g);
    for (size_t i = 0; i < n; i++)
        out[i] = fit->fitted[i] + fit->scale * dot(fit->basis + i * q, u, q);
}
