/* evppi_spline.c — penalised cubic B-spline regression on one input, the
 * penalty weight chosen by generalised cross-validation (GCV).
 *
 * Basis: cubic B-splines (gsl_bspline) on breakpoints at quantiles of the
 * input, so that every interval holds data however skewed the input's
 * distribution. Penalty: the squared second divided differences of the
 * coefficients at their Greville abscissae t_j, weighted by (t_{j+2} -
 * t_j) / 2, which approximates the integral of g''^2 and is zero exactly for
 * straight lines (a B-spline with coefficients a + b t_j is the line a + b x).
 * Plain differences of P-splines would assume equally spaced knots and
 * penalise a straight line on quantile knots.
 *
 * Demmler-Reinsch: with G = Z'Z + delta I = L L' and L^-1 S L^-T = U diag(e)
 * U', the fit with weight alpha is F diag(s) F' y, F = Z L^-T U, s_j = 1 /
 * (1 + alpha e_j). One decomposition per input serves every output and every
 * alpha; GCV(alpha) = n RSS / (n - edf)^2 with edf = sum_j s_j |F_j|^2 then
 * costs O(q^2) per alpha. (delta = 0 unless G is singular, when an interval
 * holds too few distinct values; then 1e-10 of G's mean diagonal.)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_bspline.h>

#include "evppi_internal.h"

struct cs_ev_spline {
    size_t n, q;
    double *F;   /* [n q] Z L^-T U */
    double *C;   /* [q q] F'F (the identity up to delta) */
    double *eig; /* [q] eigenvalues e_j >= 0 */
};

void cs_ev_spline_free(struct cs_ev_spline *sp)
{
    if (!sp)
        return;
    free(sp->F);
    free(sp->C);
    free(sp->eig);
    free(sp);
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Breakpoints at quantiles (type 7) of the sorted xs[0..n), at most
 * n_target of them, duplicates dropped; returns how many (>= 2 unless the
 * input is constant). */
static size_t quantile_breaks(const double *xs, size_t n, size_t n_target, double *b)
{
    size_t distinct = 1;
    for (size_t i = 1; i < n; i++)
        distinct += xs[i] != xs[i - 1];
    /* About four distinct values per interval keep every basis function
     * supported by data. */
    size_t nb = n_target;
    if (nb > 1 + distinct / 4)
        nb = 1 + distinct / 4;
    if (nb < 2)
        nb = 2;
    size_t m = 0;
    for (size_t j = 0; j < nb; j++) {
        double h = (double)(n - 1) * (double)j / (double)(nb - 1);
        size_t lo = (size_t)h;
        double v = lo + 1 < n ? xs[lo] + (h - (double)lo) * (xs[lo + 1] - xs[lo]) : xs[n - 1];
        if (m == 0 || v > b[m - 1])
            b[m++] = v;
    }
    return m;
}

/* Fills z[n q] with the basis at every x and t[q] with the Greville
 * abscissae. Returns CS_OK or CS_ENOMEM. */
static int basis_matrix(const double *x, size_t stride, size_t n, const double *breaks, size_t nb,
                        double *z, double *t)
{
    gsl_bspline_workspace *w = gsl_bspline_alloc(4, nb);
    gsl_vector *bv = w ? gsl_vector_alloc(gsl_bspline_ncoeffs(w)) : NULL;
    if (!w || !bv) {
        gsl_vector_free(bv);
        if (w)
            gsl_bspline_free(w);
        return CS_ENOMEM;
    }
    gsl_vector_const_view bk = gsl_vector_const_view_array(breaks, nb);
    gsl_bspline_knots(&bk.vector, w);
    size_t q = gsl_bspline_ncoeffs(w);
    for (size_t i = 0; i < n; i++) {
        gsl_bspline_eval(x[i * stride], bv, w);
        for (size_t j = 0; j < q; j++)
            z[i * q + j] = gsl_vector_get(bv, j);
    }
    for (size_t j = 0; j < q; j++)
        t[j] = gsl_bspline_greville_abscissa(j, w);
    gsl_vector_free(bv);
    gsl_bspline_free(w);
    return CS_OK;
}

/* s[q q] = the divided-difference penalty at Greville abscissae t[q]. */
static void penalty(const double *t, size_t q, double *s)
{
    memset(s, 0, q * q * sizeof *s);
    for (size_t i = 0; i + 2 < q; i++) {
        double h1 = t[i + 1] - t[i], h2 = t[i + 2] - t[i + 1];
        double a[3] = {1 / h1, -1 / h1 - 1 / h2, 1 / h2};
        double wt = 2 / (h1 + h2);
        for (size_t r = 0; r < 3; r++)
            for (size_t c = 0; c < 3; c++)
                s[(i + r) * q + i + c] += wt * a[r] * a[c];
    }
}

/* L^-1 of the lower factor l, as a full q x q lower matrix in x; col is a
 * scratch vector of q doubles. */
static void lower_inverse(const double *l, size_t q, double *x, double *col)
{
    memset(x, 0, q * q * sizeof *x);
    for (size_t c = 0; c < q; c++) {
        memset(col, 0, q * sizeof *col);
        col[c] = 1;
        cs_ev_solve_l(l, q, col);
        for (size_t i = 0; i < q; i++)
            x[i * q + c] = col[i];
    }
}

/* From the basis z[n q] and penalty s[q q]: sp->F, sp->C, sp->eig. work
 * holds 4 q q doubles. */
static int decompose(const double *z, const double *s, struct cs_ev_spline *sp, double *work)
{
    size_t n = sp->n, q = sp->q;
    double *g = work, *x = work + q * q, *m = work + 2 * q * q, *u = work + 3 * q * q;
    cs_ev_gram(z, n, q, g);
    if (cs_ev_chol_ridged(g, q, q, m) != 0) /* m: scratch */
        return CS_EINTERNAL;
    lower_inverse(g, q, x, m);              /* X = L^-1 */
    cs_ev_transpose(x, q, q, u);            /* X' */
    cs_ev_matmul(s, u, q, q, q, g);         /* S X' */
    cs_ev_matmul(x, g, q, q, q, m);         /* M = X S X' */
    int st = cs_ev_eigen(m, q, sp->eig, u); /* M = U diag(e) U' */
    if (st != CS_OK)
        return st;
    for (size_t j = 0; j < q; j++)
        sp->eig[j] = fmax(sp->eig[j], 0); /* a semidefinite penalty: negatives are rounding */
    cs_ev_transpose(x, q, q, g);
    cs_ev_matmul(g, u, q, q, q, m);     /* T = X' U */
    cs_ev_matmul(z, m, n, q, q, sp->F); /* F = Z T */
    cs_ev_gram(sp->F, n, q, sp->C);
    return CS_OK;
}

int cs_ev_spline_alloc(const double *x, size_t stride, size_t n, size_t q_target,
                       struct cs_ev_spline **out)
{
    *out = NULL;
    int st = CS_ENOMEM;
    struct cs_ev_spline *sp = calloc(1, sizeof *sp);
    double *xs = malloc(n * sizeof *xs), *breaks = malloc(q_target * sizeof *breaks);
    double *z = NULL, *t = NULL, *s = NULL, *work = NULL;
    if (!sp || !xs || !breaks)
        goto done;
    for (size_t i = 0; i < n; i++)
        xs[i] = x[i * stride];
    qsort(xs, n, sizeof *xs, cmp_double);
    size_t nb = quantile_breaks(xs, n, q_target - 2, breaks);
    st = CS_OK;
    if (nb < 2)
        goto done; /* a constant input: no basis, *out stays NULL */
    size_t q = nb + 2;
    sp->n = n;
    sp->q = q;
    z = malloc(n * q * sizeof *z);
    t = malloc(q * sizeof *t);
    s = malloc(q * q * sizeof *s);
    work = malloc(4 * q * q * sizeof *work);
    sp->F = malloc(n * q * sizeof *sp->F);
    sp->C = malloc(q * q * sizeof *sp->C);
    sp->eig = malloc(q * sizeof *sp->eig);
    st = CS_ENOMEM;
    if (!z || !t || !s || !work || !sp->F || !sp->C || !sp->eig)
        goto done;
    st = basis_matrix(x, stride, n, breaks, nb, z, t);
    if (st == CS_OK) {
        penalty(t, q, s);
        st = decompose(z, s, sp, work);
    }
    if (st == CS_OK) {
        *out = sp;
        sp = NULL;
    }
done:
    cs_ev_spline_free(sp);
    free(xs);
    free(breaks);
    free(z);
    free(t);
    free(s);
    free(work);
    return st;
}

/* GCV score at log weight la, given z = F'y (centred y), yy = |y|^2. */
static double gcv_at(const struct cs_ev_spline *sp, const double *z, double yy, double la,
                     double *s, double *edf_out)
{
    size_t q = sp->q;
    double alpha = exp(la), edf = 0, fy = 0, ff = 0;
    for (size_t j = 0; j < q; j++) {
        s[j] = 1 / (1 + alpha * sp->eig[j]);
        edf += s[j] * sp->C[j * q + j];
        fy += s[j] * z[j] * z[j];
    }
    for (size_t i = 0; i < q; i++)
        for (size_t j = 0; j < q; j++)
            ff += s[i] * z[i] * sp->C[i * q + j] * s[j] * z[j];
    /* RSS = |y - F (s.z)|^2 = y'y - 2 (s.z)'F'y + (s.z)' C (s.z). */
    double rss = fmax(yy - 2 * fy + ff, 0);
    double n = (double)sp->n;
    *edf_out = edf;
    return n * rss / ((n - edf) * (n - edf));
}

/* The log weight minimising GCV: a grid of step 0.25 in ln alpha from where
 * every s_j is about 1 to where only the straight lines remain, then golden
 * section between the grid neighbours of the best point. */
static double choose_weight(const struct cs_ev_spline *sp, const double *z, double yy, double *s)
{
    double emax = 0, emin = INFINITY, edf;
    for (size_t j = 0; j < sp->q; j++)
        emax = fmax(emax, sp->eig[j]);
    for (size_t j = 0; j < sp->q; j++)
        if (sp->eig[j] > 1e-10 * emax)
            emin = fmin(emin, sp->eig[j]);
    if (!(emax > 0))
        return 0; /* no penalty: an unpenalised fit */
    double lo = log(1e-4 / emax), hi = log(1e4 / emin), best = lo, fbest = INFINITY;
    for (double la = lo; la <= hi; la += 0.25) {
        double f = gcv_at(sp, z, yy, la, s, &edf);
        if (f < fbest) {
            fbest = f;
            best = la;
        }
    }
    double a = best - 0.25, b = best + 0.25, r = (sqrt(5.0) - 1) / 2;
    double c = b - r * (b - a), d = a + r * (b - a);
    double fc = gcv_at(sp, z, yy, c, s, &edf), fd = gcv_at(sp, z, yy, d, s, &edf);
    for (int it = 0; it < 30; it++) {
        if (fc < fd) {
            b = d, d = c, fd = fc, c = b - r * (b - a);
            fc = gcv_at(sp, z, yy, c, s, &edf);
        } else {
            a = c, c = d, fc = fd, d = a + r * (b - a);
            fd = gcv_at(sp, z, yy, d, s, &edf);
        }
    }
    double mid = (a + b) / 2;
    return gcv_at(sp, z, yy, mid, s, &edf) < fbest ? mid : best;
}

int cs_ev_spline_fit(const struct cs_ev_spline *sp, const double *y, struct cs_ev_fit *fit)
{
    size_t n = sp->n, q = sp->q;
    memset(fit, 0, sizeof *fit);
    double *yc = malloc(n * sizeof *yc), *z = malloc(q * sizeof *z);
    fit->fitted = malloc(n * sizeof *fit->fitted);
    fit->w = malloc(q * sizeof *fit->w);
    if (!yc || !z || !fit->fitted || !fit->w) {
        free(yc);
        free(z);
        cs_ev_fit_clear(fit);
        return CS_ENOMEM;
    }
    double mean = 0, yy = 0, rss = 0, edf = 0;
    for (size_t i = 0; i < n; i++)
        mean += y[i] / (double)n;
    for (size_t i = 0; i < n; i++) {
        yc[i] = y[i] - mean; /* centred: the constant is in the span anyway */
        yy += yc[i] * yc[i];
    }
    cs_ev_matvec_t(sp->F, n, q, yc, z);
    double la = choose_weight(sp, z, yy, fit->w);
    gcv_at(sp, z, yy, la, fit->w, &edf); /* leaves s in fit->w */
    for (size_t j = 0; j < q; j++)
        z[j] *= fit->w[j];
    cs_ev_matvec(sp->F, n, q, z, fit->fitted);
    for (size_t i = 0; i < n; i++) {
        rss += (yc[i] - fit->fitted[i]) * (yc[i] - fit->fitted[i]);
        fit->fitted[i] += mean;
    }
    for (size_t j = 0; j < q; j++)
        fit->w[j] = sqrt(fit->w[j]); /* posterior: sigma^2 F diag(s) F' */
    fit->n = n;
    fit->q = q;
    fit->basis = sp->F;
    fit->scale = n > edf + 1 ? sqrt(rss / ((double)n - edf)) : 0;
    fit->info = (cs_evppi_fit_info){CS_EVPPI_SPLINE, edf, yy > 0 ? 1 - rss / yy : 0, fit->scale};
    free(yc);
    free(z);
    return CS_OK;
}
