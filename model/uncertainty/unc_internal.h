/*
 * unc_internal.h — what the files of model/uncertainty/ share and nothing
 * outside them needs: the set's layout, the two-tailed quantile and
 * distribution functions, and the message helper.
 *
 * Probabilities travel as pairs (p, q) with p + q = 1 in exact arithmetic:
 * p the lower tail, q the upper one. Computing 1 - p loses every digit of a
 * small upper tail, so each function takes the tail that is small from
 * whoever computed it accurately (a PCG uniform u gives (u, 1 - u), which is
 * exact for u >= 1/2; a normal score y gives (Phi(y), Phi(-y))).
 */
#ifndef CASESIM_UNC_INTERNAL_H
#define CASESIM_UNC_INTERNAL_H

#include <stdarg.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_qrng.h>

#include "casesim/uncertain.h"

/* Uniforms are clamped into [CS_UNC_U_MIN, 1 - CS_UNC_U_MIN]: the range of
 * cs_pcg32_uniform_pos, so that a Sobol coordinate or a caller's 0 or 1 is
 * never mapped to an infinite end. */
#define CS_UNC_U_MIN 0x1.0p-53

/* One entry of a set. */
typedef struct cs_unc_entry {
    cs_unc_dist dist;
    char *label;    /* owned; never NULL once added */
    size_t offset;  /* index of its first value in a draw */
    size_t corr_ix; /* row in the correlation matrix, or SIZE_MAX if uncorrelated */
} cs_unc_entry;

/* One `{between: [i, j], rho}`. */
typedef struct cs_unc_pair {
    size_t i, j;
    double rho;
} cs_unc_pair;

struct cs_unc_set {
    cs_unc_entry *entries;
    size_t n_entries, cap_entries;
    size_t n_values;
    cs_unc_pair *pairs;
    size_t n_pairs, cap_pairs;
    enum cs_unc_sampling sampling;
    bool finalized;
    size_t n_corr;    /* correlated entries: rows of chol */
    size_t *corr_ent; /* entry of each row, increasing */
    gsl_matrix *chol; /* lower Cholesky factor L of the correlation matrix */
};

struct cs_unc_work {
    const cs_unc_set *set;
    gsl_qrng *sobol;     /* NULL in random mode or when D = 0 */
    uint64_t sobol_next; /* outputs of the generator consumed since its start */
    double *y;           /* n_corr normal scores */
    double *p, *q;       /* D lower and upper tails */
};

/* Writes a verdict into m (which may be NULL) and returns status. */
int cs_unc_fail(cs_unc_msg *m, int status, int param, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void cs_unc_ok(cs_unc_msg *m);

/* The untruncated distribution function of univariate d at x: *P = F(x) and
 * *Q = 1 - F(x), each computed directly. */
void cs_unc_base_cdf(const cs_unc_dist *d, double x, double *P, double *Q);

/* Beta(a, b) tails at x, evaluated at whichever of x and 1 - x is at most
 * 1/2: GSL's incomplete beta function fails to converge (returns NaN) near
 * 1 for a large and b small, e.g. beta(1e4, 0.01), but not near 0 for the
 * mirrored law. */
void cs_unc_beta_cdf(double x, double a, double b, double *P, double *Q);

/* The untruncated quantile at (p, q), solved on the smaller tail. */
double cs_unc_base_quantile(const cs_unc_dist *d, double p, double q);

/* The (truncated) quantile of univariate d at (p, q), strictly inside the
 * support. NaN only if the inversion failed. */
double cs_unc_quantile_pq(const cs_unc_dist *d, double p, double q);

/* The (truncated) distribution function of univariate d at x as (P, Q). */
void cs_unc_cdf_pq(const cs_unc_dist *d, double x, double *P, double *Q);

/* Unit-scale gamma and beta quantiles at (p, q) (invert.c); NaN on failure. */
double cs_unc_gamma_quantile(double shape, double p, double q);
double cs_unc_beta_quantile(double a, double b, double p, double q);

/* The normal score of (p, q): Phi^-1(p), from the smaller tail. */
double cs_unc_normal_score(double p, double q);

/* Moments of the truncated distribution into d->mean, d->var (truncate.c). */
int cs_unc_truncated_moments(cs_unc_dist *d, cs_unc_msg *msg);

/* Sets *d to an untruncated Beta(a, b) without checking the shape limits. */
void cs_unc_beta_set(cs_unc_dist *d, double a, double b);

/* The untruncated log-density of univariate d (-INFINITY outside). */
double cs_unc_base_logpdf(const cs_unc_dist *d, double x);

/* Moves x strictly inside d's support (lo, hi). */
double cs_unc_inside(const cs_unc_dist *d, double x);

/* The k values of Dirichlet d from the tail pairs of its k gammas. Returns
 * CS_OK or CS_EINTERNAL if a quantile failed. */
int cs_unc_dirichlet_values(const cs_unc_dist *d, const double *p, const double *q, double *x);

/* The Cholesky factor of the set's correlations (copula.c). */
int cs_unc_copula_build(cs_unc_set *s, cs_unc_msg *msg);

#endif
