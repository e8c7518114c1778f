/*
 * casesim/uncertain.h — probability distributions on the inputs of a
 * scenario, their joint draws, and the spaces other modules work in.
 *
 * This is the numerical core of the `uncertain:` section (UNCERTAINTY.md
 * §1): the seven families, truncation, the check that a distribution stays
 * inside the valid range of the number it replaces, a Gaussian copula for
 * `correlations:`, and the draws (`sampling: random | sobol`). The scenario
 * loader builds one cs_unc_dist per entry from the parameters as written,
 * adds them to a cs_unc_set, and the engine, sensitivity and calibration
 * modules ask the set for values.
 *
 * Three spaces, one order. A set of entries produces D scalar values per
 * draw: one per univariate entry, k per Dirichlet over k numbers, in the
 * order the entries were added. It consumes exactly D independent inputs per
 * draw, in the same order:
 *   - uniform space: D independent U(0, 1) numbers (random or Sobol draws,
 *     the designs of sensitivity analysis);
 *   - standard-normal space: D independent N(0, 1) numbers, in which the
 *     prior is N(0, I) (calibration works there);
 *   - value space: the D values the scenario receives.
 * uniform -> value: u -> z = Phi^-1(u) -> copula -> quantiles; normal -> value
 * skips the first step. A Dirichlet over k numbers takes k inputs: k
 * independent gamma(count_i, 1) variables, each from its own input through
 * the gamma quantile, divided by their sum.
 *
 * Errors. Functions that judge what a scenario says (parameters, truncation,
 * valid range, correlations, the sampling mode) report into a cs_unc_msg: a
 * status and one line of text without position or newline, which the loader
 * prints after "FILE:LINE:COL: " of the node at fault (for example with
 * cs_error_at(err, m.status, file, line, col, "%s", m.text)). Functions used
 * while running report into a cs_error as everywhere else.
 *
 * GSL: errors inside GSL (a correlation matrix that is not positive
 * definite, a quadrature that fails) are handled here through return codes,
 * so callers must have called gsl_set_error_handler_off() (main does), else
 * GSL's default handler aborts.
 *
 * Thread safety: a finalised cs_unc_set is read-only and may be shared by
 * threads; each thread needs its own cs_unc_work. No function keeps global
 * state. Values of draw d depend only on (set, seed, d).
 */
#ifndef CASESIM_UNCERTAIN_H
#define CASESIM_UNCERTAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casesim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- limits */

/* Most components of one Dirichlet (CS_MAX_VIOLATIONS is 32). */
#define CS_UNC_MAX_COMPONENTS 64
/* Most entries in one set, and most scalar values per draw. */
#define CS_UNC_MAX_ENTRIES 1024
#define CS_UNC_MAX_VALUES 4096
/* GSL's gsl_qrng_sobol is valid up to 40 dimensions and silently returns
 * zeros beyond; a Sobol set is refused above this many values per draw. */
#define CS_UNC_MAX_SOBOL_DIM 40
/* GSL's Sobol generator counts points in 30 bits: it returns points 1 ..
 * 2^30 - 1 of the sequence (never the origin), so draws 0 .. 2^30 - 2. */
#define CS_UNC_MAX_SOBOL_DRAWS ((UINT64_C(1) << 30) - 2)
/* Shape parameters (beta alpha and beta, gamma shape, Dirichlet counts and
 * their sum) must lie in [CS_UNC_MIN_SHAPE, CS_UNC_MAX_SHAPE]. Below, most
 * of the mass sits closer to 0 than a double resolves (the median of
 * beta(0.001, 1) is 1e-301). Above, the sd is below 0.3% of the mean (a
 * beta: below 0.0016), too narrow to be uncertain (use a fixed value), and
 * GSL's incomplete beta and gamma functions stop converging (beta(1e6, 1e6)
 * near 1/2, gamma(1e6) in its centre). */
#define CS_UNC_MIN_SHAPE 0.01
#define CS_UNC_MAX_SHAPE 1.0e5
/* Smallest share of the probability a truncation may keep: less is almost
 * always a mistake (bounds in the wrong units), and quantiles so deep in a
 * tail lose digits. */
#define CS_UNC_MIN_MASS 1.0e-6
/* Length of a cs_unc_msg text, terminating NUL included. */
#define CS_UNC_MSG_MAX 512

/* ------------------------------------------------------------ families */

/* The families of UNCERTAINTY.md §1. */
enum cs_unc_family {
    CS_UNC_BETA = 0,
    CS_UNC_GAMMA,
    CS_UNC_LOGNORMAL,
    CS_UNC_NORMAL,
    CS_UNC_UNIFORM,
    CS_UNC_TRIANGULAR,
    CS_UNC_DIRICHLET,
    CS_UNC_N_FAMILIES
};

/* The scenario's key of family f ("beta", ..., "dirichlet"); "?" if f is
 * out of range. The string is static. */
const char *cs_unc_family_name(enum cs_unc_family f);

/* Looks up a family by its scenario key (exact, case-sensitive). Returns true
 * and sets *out if name is one of the seven keys, false otherwise (then *out
 * is untouched), so that a loader can tell the family key of an entry from
 * its other keys. */
bool cs_unc_family_parse(const char *name, enum cs_unc_family *out);

/* ------------------------------------------------------------ messages */

/* A verdict on what a scenario says. status is CS_OK or an error of
 * casesim/error.h (CS_EINVAL for a broken rule, CS_ELIMIT for a size limit).
 * param is, after cs_unc_dist_init, the index in the caller's parameter list
 * of the parameter at fault, or -1 when the fault is the entry as a whole (a
 * missing parameter, a mixed parameterisation); every other function sets
 * -1. text is one line, no position, no trailing newline; "" on success. */
typedef struct cs_unc_msg {
    int status;
    int param;
    char text[CS_UNC_MSG_MAX];
} cs_unc_msg;

/* -------------------------------------------------------- distributions */

/* One parameter as written in the scenario: `mean: 0.3` is {"mean", 0.3,
 * NULL, 0}; `counts: [12, 90]` is {"counts", 0, list, 2}. list is NULL for a
 * scalar; a list is accepted only where the family expects one. */
typedef struct cs_unc_param {
    const char *name;
    double value;
    const double *list;
    size_t n_list;
} cs_unc_param;

/* A distribution with its canonical parameters. A value type: copy it
 * freely, nothing to free. Fields are set by cs_unc_dist_init and
 * cs_unc_dist_truncate and are read-only for callers.
 *
 * Canonical parameters p[] by family (what a results file should record):
 *   beta        p[0] = alpha, p[1] = beta
 *   gamma       p[0] = shape, p[1] = scale
 *   lognormal   p[0] = mu, p[1] = sigma (mean and sd of the logarithm)
 *   normal      p[0] = mean, p[1] = sd
 *   uniform     p[0] = min, p[1] = max
 *   triangular  p[0] = min, p[1] = mode, p[2] = max
 *   dirichlet   k components with counts[0..k-1]
 *
 * Support. Every family here is continuous, so its support is an open
 * interval (lo, hi): the natural one ((0, 1) for a beta and for each
 * Dirichlet component, (0, inf) for gamma and lognormal, (-inf, inf) for a
 * normal, (min, max) for uniform and triangular) intersected with the
 * truncation. Quantiles and draws stay strictly inside it: a value that
 * rounds onto an end is moved to the next double inside. */
typedef struct cs_unc_dist {
    enum cs_unc_family family;
    double p[3];
    size_t k; /* scalar values produced: 1, or the Dirichlet's k */
    double counts[CS_UNC_MAX_COMPONENTS];
    bool truncated;      /* the truncation removes some probability */
    double lo, hi;       /* the support (lo, hi), after truncation */
    double mean, var;    /* of the (truncated) distribution; NaN for a Dirichlet */
    double mass;         /* probability the truncation keeps (1 if none) */
    double f_lo, s_lo;   /* internal: F(lo) and 1 - F(lo) of the untruncated law */
    double f_hi, s_hi;   /* internal: F(hi) and 1 - F(hi) of the untruncated law */
    double log_norm;     /* internal: log of the density's normalising constant */
    double dir_median_s; /* internal: median of the sum of a Dirichlet's gammas */
} cs_unc_dist;

/* Builds *d from family f and the parameters as written, n of them:
 *   beta        {mean, sd} or {alpha, beta}
 *   gamma       {mean, sd} or {shape, scale}
 *   lognormal   {median, p95} or {mean, sd}
 *   normal      {mean, sd}
 *   uniform     {min, max}
 *   triangular  {min, mode, max}
 *   dirichlet   {counts} (a list of k >= 2 positive numbers)
 * in any order. Checks every rule (known names, no repeats, one complete
 * parameterisation, finite values, the family's constraints, the shape
 * limits above), and computes the canonical parameters, support, mean and
 * variance (closed forms). Returns CS_OK, or CS_EINVAL with msg saying which
 * rule broke, e.g. "beta: sd 0.5 is too large for mean 0.3 (sd must be below
 * sqrt(mean (1 - mean)) = 0.458)", and msg->param the parameter at fault.
 * On error *d is unspecified. msg may be NULL. */
int cs_unc_dist_init(cs_unc_dist *d, enum cs_unc_family f, const cs_unc_param *params, size_t n,
                     cs_unc_msg *msg);

/* Truncates d to [lo, hi] (`truncate: [lo, hi]`); lo may be -INFINITY and hi
 * INFINITY for a one-sided truncation. The support becomes the intersection
 * with the current one (so truncating twice keeps the intersection); mean
 * and variance become those of the truncated distribution: closed form for
 * normal and uniform; for beta, gamma, lognormal and triangular, adaptive
 * Gauss-Kronrod quadrature (GSL QAGS, and QAGIU for an infinite upper end;
 * relative tolerance 1e-11) in two passes, the mean and then the squared
 * deviations from it (no E[X^2] - E[X]^2 cancellation), in pieces cut at
 * the truncated law's 1%, 50% and 99% quantiles. Returns CS_OK; CS_EINVAL
 * with msg when lo or hi is NaN, lo >= hi, [lo, hi] misses the support, d
 * is a Dirichlet (whose values must sum to 1: shape it through its counts),
 * or the truncation keeps less than CS_UNC_MIN_MASS of the probability (the
 * message gives the share kept); CS_EINTERNAL if the quadrature fails;
 * CS_ENOMEM. Bounds that contain the whole support change nothing. On error
 * d is unchanged. */
int cs_unc_dist_truncate(cs_unc_dist *d, double lo, double hi, cs_unc_msg *msg);

/* The marginal law of component i of d: for a Dirichlet, Beta(count_i,
 * sum - count_i); for a univariate d (i must be 0), a copy of d. Writes *out
 * and returns CS_OK, or CS_EINVAL (with err) if i >= d->k. */
int cs_unc_dist_marginal(const cs_unc_dist *d, size_t i, cs_unc_dist *out, cs_error *err);

/* Density, log-density and distribution function of a univariate d (after
 * truncation) at x: pdf is 0 and logpdf -INFINITY outside the support; cdf
 * is 0 below and 1 above it. NaN for a Dirichlet (use its marginal) or
 * when x is NaN. */
double cs_unc_dist_pdf(const cs_unc_dist *d, double x);
double cs_unc_dist_logpdf(const cs_unc_dist *d, double x);
double cs_unc_dist_cdf(const cs_unc_dist *d, double x);

/* The survival function 1 - cdf(x), computed from the upper tail so that it
 * keeps its digits where it is small (1 - cdf(x) would not). NaN as cdf. */
double cs_unc_dist_sf(const cs_unc_dist *d, double x);

/* The quantile of a univariate d: the x in the support with cdf(x) = u, for
 * 0 < u < 1 (u = 0 and u = 1 give the ends of the support, which may be
 * infinite). Truncated: Q(F(lo) + u (F(hi) - F(lo))), evaluated on whichever
 * tail keeps the digits. Through GSL's distribution functions: beta and
 * gamma by Newton's method in log x, kept in a bracket, on GSL's
 * gsl_cdf_*_P or _Q (GSL's own inverses return NaN or inexact values for
 * small shapes and far tails); normal and lognormal through GSL's normal
 * quantile; uniform and triangular in closed form. The result is where
 * GSL's distribution function crosses u to within 1e-12 relative (tested for
 * shapes up to 1e4); GSL's incomplete gamma and beta functions are
 * themselves accurate to about 1e-13 up to shape 1e4 and only about 1e-8 at
 * 1e5. About 1-3 us per call. NaN if u is outside [0, 1] or NaN, or d is a
 * Dirichlet. */
double cs_unc_dist_quantile(const cs_unc_dist *d, double u);

/* The valid range of the number a distribution replaces, for messages and
 * for cs_unc_dist_fits: [lo, hi] with open or closed ends, and a phrase
 * naming the kind of number ("a probability", "a rate", "a count",
 * "an odds ratio", "a share", "a cost"). Infinite ends are open. */
typedef struct cs_unc_range {
    double lo, hi;
    bool lo_open, hi_open;
    const char *what;
} cs_unc_range;

/* Whether d's support (after truncation) lies inside valid. Because the
 * support is open and draws stay strictly inside it (see cs_unc_dist), a
 * support that touches an end of valid fits even when that end is open: a
 * uniform on [0, 3] fits an odds ratio > 0. Returns true, or false with
 * msg->status CS_EINVAL and a message such as "a normal distribution can
 * leave [0, 1], the valid range of a probability: add truncate: [0, 1]"
 * (the suggested bounds are the intersection of the two ranges, YAML's
 * .inf / -.inf for infinite ends). msg may be NULL. */
bool cs_unc_dist_fits(const cs_unc_dist *d, const cs_unc_range *valid, cs_unc_msg *msg);

/* ------------------------------------------------------------------ sets */

/* How draws take their uniforms. */
enum cs_unc_sampling {
    CS_UNC_RANDOM = 0, /* keyed PCG stream (seed, CS_STREAM_UNCERTAIN, d) */
    CS_UNC_SOBOL = 1   /* output d of GSL's Sobol generator (see cs_unc_uniforms) */
};

/* The entries of an `uncertain:` section, their copula and sampling mode. */
typedef struct cs_unc_set cs_unc_set;

/* An empty set (random sampling, no correlations), or NULL when out of
 * memory. Free with cs_unc_set_free. */
cs_unc_set *cs_unc_set_alloc(void);

/* Frees s and everything it owns. s may be NULL. */
void cs_unc_set_free(cs_unc_set *s);

/* Appends a copy of *d as the next entry (index cs_unc_set_entries(s) before
 * the call). label names it in messages (the entry's `name`, else its path;
 * copied; NULL gives "entry N"). Returns CS_OK; CS_ELIMIT with msg beyond
 * CS_UNC_MAX_ENTRIES entries or CS_UNC_MAX_VALUES values, or beyond
 * CS_UNC_MAX_SOBOL_DIM values once Sobol sampling is chosen; CS_EINVAL if s
 * is finalised; CS_ENOMEM. */
int cs_unc_set_add(cs_unc_set *s, const cs_unc_dist *d, const char *label, cs_unc_msg *msg);

/* Correlates entries i and j with rank-normal correlation rho (`{between:
 * [i, j], rho}`): the correlation of the two normal variables of the
 * Gaussian copula, not of the values (their Spearman rank correlation is
 * (6/pi) asin(rho/2)). Only univariate entries may be correlated: a
 * Dirichlet's components are already tied through their sum, and which
 * component a correlation would attach to is undefined. Returns CS_EINVAL
 * with msg when i or j is not an entry, i = j, either is a Dirichlet, rho is
 * not in (-1, 1), the pair was given before (in either order), or s is
 * finalised. Positive definiteness is checked by cs_unc_set_finalize. */
int cs_unc_set_correlate(cs_unc_set *s, size_t i, size_t j, double rho, cs_unc_msg *msg);

/* Chooses Sobol sampling (`sampling: sobol`). Call after the entries are
 * added: returns CS_ELIMIT with msg if the set already needs more than
 * CS_UNC_MAX_SOBOL_DIM values per draw; CS_EINVAL if s is finalised. */
int cs_unc_set_use_sobol(cs_unc_set *s, cs_unc_msg *msg);

/* Freezes s: builds the correlation matrix over the correlated entries and
 * its Cholesky factor (GSL). Returns CS_OK; CS_EINVAL with msg when the
 * matrix is not positive definite, naming the entries whose correlations
 * cannot hold together (the connected group, in the correlation graph, of
 * the first leading block that fails); CS_ENOMEM. Must succeed before any
 * draw; a second call returns CS_OK and does nothing. */
int cs_unc_set_finalize(cs_unc_set *s, cs_unc_msg *msg);

/* Facts about s (valid for any set). */
size_t cs_unc_set_entries(const cs_unc_set *s);
size_t cs_unc_set_values(const cs_unc_set *s); /* D: scalar values (= inputs) per draw */
enum cs_unc_sampling cs_unc_set_sampling(const cs_unc_set *s);
/* Entry e's distribution and label (owned by s), and the index of its first
 * value in a draw's array; NULL / SIZE_MAX if e is out of range. */
const cs_unc_dist *cs_unc_set_dist(const cs_unc_set *s, size_t e);
const char *cs_unc_set_label(const cs_unc_set *s, size_t e);
size_t cs_unc_set_offset(const cs_unc_set *s, size_t e);

/* ------------------------------------------------------------- drawing */

/* Per-thread scratch space and Sobol state for one set. */
typedef struct cs_unc_work cs_unc_work;

/* A workspace for finalised s (NULL if s is not finalised or memory runs
 * out). It refers to s, which must outlive it. Free with cs_unc_work_free. */
cs_unc_work *cs_unc_work_alloc(const cs_unc_set *s);
void cs_unc_work_free(cs_unc_work *w);

/* The D independent uniforms of draw d, in (0, 1).
 * Random: from the keyed stream {seed, purpose CS_STREAM_UNCERTAIN,
 * replicate d, group 0, incident 0, track 0}, D calls to
 * cs_pcg32_uniform_pos in value order; they depend only on (seed, d).
 * Sobol: output d of GSL's gsl_qrng_sobol over D dimensions (seed unused).
 * The all-zeros point that must not be used (its quantiles are the lower
 * ends of the supports) is point 0 of the Sobol sequence, and GSL never
 * returns it: its first output is (1/2, ..., 1/2), point 1. So output d is
 * point d + 1, the origin is skipped, and draws 0 .. 2^m - 2 take every
 * value j / 2^m, 0 < j < 2^m, once in each coordinate. The workspace walks
 * the sequence: draws asked in increasing order cost one point each;
 * asking for an earlier draw than the last restarts from the beginning
 * (cost: d points, about 10 ns each for 40 dimensions), so each thread
 * should ask in increasing order. Returns CS_OK; CS_ELIMIT (with
 * err) if d > CS_UNC_MAX_SOBOL_DRAWS in Sobol mode; CS_EINTERNAL if GSL
 * fails. */
int cs_unc_uniforms(const cs_unc_set *s, cs_unc_work *w, uint64_t seed, uint64_t d, double *u,
                    cs_error *err);

/* Fills values[0..D-1] with draw d: cs_unc_uniforms then
 * cs_unc_from_uniform. Same errors. */
int cs_unc_draw(const cs_unc_set *s, cs_unc_work *w, uint64_t seed, uint64_t d, double *values,
                cs_error *err);

/* Maps D independent uniforms u (each clamped into [2^-53, 1 - 2^-53]) to
 * the values: through the copula for the correlated entries, then each
 * entry's quantile (a Dirichlet's k gammas normalised). Returns CS_OK, or
 * CS_EINVAL (with err) if some u is NaN, CS_EINTERNAL if a quantile failed. */
int cs_unc_from_uniform(const cs_unc_set *s, cs_unc_work *w, const double *u, double *values,
                        cs_error *err);

/* Standard-normal space (calibration's): maps D independent N(0, 1)
 * coordinates z to the values, z -> L z on the correlated entries -> Phi ->
 * quantiles, so that z ~ N(0, I) gives exactly the prior. Tails are taken
 * from the side that keeps the digits (Phi(-y) for y > 0); |z| up to about
 * 37 maps to distinct values. Returns CS_OK, or CS_EINVAL if some z is not
 * finite, CS_EINTERNAL if a quantile failed. */
int cs_unc_from_normal(const cs_unc_set *s, cs_unc_work *w, const double *z, double *values,
                       cs_error *err);

/* The inverse of cs_unc_from_normal where one exists. Univariate entries:
 * z = L^-1 Phi^-1(F(x)), exact up to rounding (the map is a bijection).
 * A Dirichlet has k coordinates but only k - 1 free values (its k values
 * sum to 1): the map is not invertible. This gives the right inverse that
 * puts the sum of the k gammas at its median: gamma_i = x_i S with S the
 * median of Gamma(sum of counts, 1), z_i = Phi^-1(F_gamma(gamma_i)), so that
 * cs_unc_from_normal(cs_unc_to_normal(x)) = x; but N(0, I) is not the
 * density of these z (the sum is independent of the shares and has been
 * fixed), so a calibration must not use them as a change of variables.
 * Returns CS_OK, or CS_EINVAL (with err) if a value is not strictly inside
 * its support or a Dirichlet's values do not sum to 1 within 1e-9. */
int cs_unc_to_normal(const cs_unc_set *s, cs_unc_work *w, const double *values, double *z,
                     cs_error *err);

/* The p-quantile of each value's marginal law, for 0 < p < 1: entry
 * quantiles for univariate entries, Beta(count_i, sum - count_i) for
 * Dirichlet component i. p = 0.5 gives the medians, 0.05 and 0.95 the ends
 * of a tornado bar. Returns CS_OK, or CS_EINVAL (with err) for p outside
 * (0, 1). */
int cs_unc_percentiles(const cs_unc_set *s, double p, double *values, cs_error *err);

/* One point of a one-way sensitivity analysis (a tornado bar's end): value
 * `which` at its marginal p-quantile, every other univariate value at its
 * median. Dirichlets are kept on the simplex, because their medians do not
 * sum to 1: a Dirichlet not varied sits at its mean; when component i of a
 * Dirichlet is the one varied, its other components j take their
 * conditional means given x_i, (1 - x_i) count_j / (sum - count_i). Returns
 * CS_OK, or CS_EINVAL (with err) when which >= D or p is outside (0, 1). */
int cs_unc_oneway(const cs_unc_set *s, size_t which, double p, double *values, cs_error *err);

#ifdef __cplusplus
}
#endif
#endif
