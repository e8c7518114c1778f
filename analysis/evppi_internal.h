/* evppi_internal.h — the regressions behind EVPPI (analysis/evppi_spline.c,
 * evppi_gp.c), the small dense linear algebra they share
 * (analysis/evppi_linalg.c), and the fitted-values object the driver
 * (analysis/evppi.c) evaluates. Not part of the public API.
 *
 * Matrices are row-major arrays of doubles: a[i * cols + j]. Every function
 * here is pure on its arguments and thread-safe; errors are returned as
 * cs_status values without messages (the driver words them with the set and
 * output they concern). */
#ifndef CASESIM_EVPPI_INTERNAL_H
#define CASESIM_EVPPI_INTERNAL_H

#include <stddef.h>

#include "casesim/decision.h"

/* ---- dense linear algebra (evppi_linalg.c) ---- */

/* In-place Cholesky factorisation a = L L' of the symmetric n x n matrix a
 * (only its lower triangle is read): L is left in the lower triangle and the
 * strict upper triangle is zeroed. Returns 0, or -1 when a pivot is not
 * positive and finite (a is then partly overwritten). */
int cs_ev_chol(double *a, size_t n);

/* cs_ev_chol, and when that fails, cs_ev_chol again after adding 1e-10 of the
 * mean of the first h diagonal entries to each of them (a ridge that keeps a
 * least-squares factor defined when columns are collinear, e.g. the shares of
 * a Dirichlet that sum to one). copy holds n x n doubles. Returns 0 or -1. */
int cs_ev_chol_ridged(double *a, size_t n, size_t h, double *copy);

/* Solves L y = b (forward) and L' x = b (backward) in place. */
void cs_ev_solve_l(const double *l, size_t n, double *b);
void cs_ev_solve_lt(const double *l, size_t n, double *b);

/* inv = (L L')^-1, the full symmetric matrix; work holds n x n doubles. */
void cs_ev_chol_inverse(const double *l, size_t n, double *inv, double *work);

/* y += a x over n entries (four lanes a step, so that -O2 vectorises). */
void cs_ev_axpy(double *restrict y, double a, const double *restrict x, size_t n);

/* c = a b for a of n x k and b of k x m (c n x m, not overlapping them),
 * row by row as axpys along contiguous rows. */
void cs_ev_matmul(const double *a, const double *b, size_t n, size_t k, size_t m, double *c);

/* t = a' for a of n x m (t m x n). */
void cs_ev_transpose(const double *a, size_t n, size_t m, double *t);

/* Eigen-decomposition of the symmetric q x q matrix a (destroyed; GSL's
 * symmv, whose only error, a size mismatch, cannot arise here):
 * eigenvalues in eig, eigenvectors in the columns of u. Returns CS_OK,
 * CS_ENOMEM or CS_EINTERNAL. */
int cs_ev_eigen(double *a, size_t q, double *eig, double *u);

/* c = a' a (q x q, both triangles) for a of n rows and q columns. */
void cs_ev_gram(const double *a, size_t n, size_t q, double *c);

/* y = a x for a of n rows and q columns. */
void cs_ev_matvec(const double *a, size_t n, size_t q, const double *x, double *y);

/* y = a' x for a of n rows and q columns (y has q entries). */
void cs_ev_matvec_t(const double *a, size_t n, size_t q, const double *x, double *y);

/* A standard normal deviate from g (inverse CDF of a uniform in (0, 1)). */
double cs_ev_normal(cs_pcg32 *g);

/* ---- fitted values and their posterior ---- */

/* One regression's fitted values ghat over the n draws, and what is needed
 * to draw from their approximate posterior
 *     ghat + scale * B (w .* xi),
 * xi standard normal of q entries, B the n x q matrix basis (the fitted
 * values' posterior covariance is scale^2 B diag(w^2) B'). Without w (a
 * constant fit) the fitted values have no spread. */
struct cs_ev_fit {
    cs_evppi_fit_info info;
    size_t n, q;
    double *fitted;      /* [n], owned */
    double scale;        /* residual standard deviation of the posterior */
    const double *basis; /* [n q]; owned when own_basis is set */
    double *own_basis;
    double *w; /* [q] or NULL, owned */
};

/* Releases what fit owns and zeroes it. */
void cs_ev_fit_clear(struct cs_ev_fit *fit);

/* A constant fit: fitted = mean of y (CS_EVPPI_CONSTANT). Returns CS_OK or
 * CS_ENOMEM. */
int cs_ev_fit_constant(const double *y, size_t n, struct cs_ev_fit *fit);

/* 1 when y[0..n) is constant up to rounding, so that no fit is needed. */
int cs_ev_is_constant(const double *y, size_t n);

/* Writes one posterior draw of the fitted values into out[0..n), using the
 * q-entry buffer u. */
void cs_ev_fit_sample(const struct cs_ev_fit *fit, cs_pcg32 *g, double *u, double *out);

/* ---- penalised B-spline on one input (evppi_spline.c) ---- */

struct cs_ev_spline;

/* Builds the basis for x[i * stride], i < n, with about q_target basis
 * functions: quantile breakpoints, the divided-difference penalty and its
 * Demmler-Reinsch decomposition. *out is NULL when the input is constant
 * (every fit is then constant). Returns CS_OK, CS_ENOMEM or CS_EINTERNAL. */
int cs_ev_spline_alloc(const double *x, size_t stride, size_t n, size_t q_target,
                       struct cs_ev_spline **out);
void cs_ev_spline_free(struct cs_ev_spline *sp);

/* Fits y[0..n) with the penalty weight that minimises GCV. Returns CS_OK or
 * CS_ENOMEM. */
int cs_ev_spline_fit(const struct cs_ev_spline *sp, const double *y, struct cs_ev_fit *fit);

/* ---- Gaussian process on several inputs (evppi_gp.c) ---- */

struct cs_ev_gp;

/* Standardises columns cols[0..n_cols) of theta (n rows of n_inputs) and
 * prepares the linear basis and the pairwise distances of the first m rows.
 * Constant columns are left out; *out is NULL when all are. Returns CS_OK,
 * CS_ENOMEM or CS_EINTERNAL. */
int cs_ev_gp_alloc(const double *theta, size_t n_inputs, const size_t *cols, size_t n_cols,
                   size_t n, size_t m, struct cs_ev_gp **out);
void cs_ev_gp_free(struct cs_ev_gp *gp);

/* Fits y[0..n): linear part, hyperparameters by marginal likelihood, the
 * subset-of-regressors fit. Returns CS_OK, CS_ENOMEM or CS_EINTERNAL. */
int cs_ev_gp_fit(const struct cs_ev_gp *gp, const double *y, struct cs_ev_fit *fit);

#endif
