/*
 * casesim/decision.h — the numerics of decisions under uncertainty: net
 * benefit, acceptability curves, the cost-effectiveness frontier, the expected
 * value of perfect (partial) information, the variance split between
 * parameter uncertainty and simulation noise, rankings that weigh cost, and
 * budget portfolios.
 *
 * This module is pure numerics on arrays: it knows nothing of scenarios,
 * runs or files. The caller hands it, for D parameter draws with k >= 1
 * simulation replicates each and V variants (variant 0 the baseline):
 *   - e[d][r][v], the improvement of the decision outcome in percentage
 *     points against the baseline (0 for the baseline itself, although
 *     nothing here relies on it);
 *   - c[d][v], the annual cost of the variant in draw d (the same value in
 *     every draw when costs are known);
 *   - for EVPPI, theta[d][i], the drawn value of uncertain input i.
 * Net benefit at willingness to pay lambda (currency per point) is
 *     NB_v(lambda) = lambda * e_v - c_v            (currency per year).
 *
 * Replicates. Every measure over draws first averages the k replicates of a
 * draw (ebar[d][v] = mean_r e[d][r][v]) and then treats the D draw means as
 * an independent sample: D, not D k, is the sample size of every standard
 * error. The draw means still carry simulation noise of variance
 * sigma_w^2 / k; what that does to each measure is said where it matters, and
 * cs_decision_variance_split measures it.
 *
 * Methods and formulas, with E_d the mean over the D draws:
 *
 * 1. Curves (cs_decision_curves_compute), at each lambda:
 *    ENB_v = E_d[NB_dv], with Monte Carlo standard error sd_d(NB_dv)/sqrt(D).
 *    p_best_v = share of draws in which v has the highest NB; a tie between
 *    m variants credits each 1/m. SE sqrt(p (1 - p) / D).
 *    p_rank[v][r] = share of draws in which v has rank r + 1 (1 = highest
 *    NB); m variants tied over ranks a..a+m-1 each get 1/m of every one of
 *    those ranks, so every row and every column of the V x V matrix sums to
 *    1 (doubly stochastic) and column 0 is p_best.
 *    best = the variant with the highest ENB (ties: the lower mean cost, then
 *    the lower index): the cost-effectiveness acceptability frontier, read
 *    with p_best[best].
 *    EVPI = E_d[max_v NB_dv] - max_v ENB_v, written as the mean of the
 *    per-draw opportunity loss L_d = max_v NB_dv - NB_dv* with v* = best, so
 *    that its standard error is sd_d(L_d)/sqrt(D). That SE treats v* as
 *    known; choosing v* on the same draws biases EVPI down by a term that
 *    matters only where two variants' ENB cross. EVPI over the policy
 *    horizon = EVPI x population_years (so is its SE).
 *    Simulation noise: max is convex, so noise in the draw means inflates
 *    E_d[max_v NB] and therefore EVPI. With k >= 2 the bound
 *        bias <= |lambda| * min( sum_v s_v / sqrt(2 pi),
 *                                max_v s_v * sqrt(2 ln V) ),
 *    s_v^2 = within-draw variance of (e_v - e_0) / k, is reported as
 *    evpi_noise_bound (a bound for Gaussian noise, and a loose one: the true
 *    bias accrues only in draws near a decision boundary). With k = 1 the
 *    noise cannot be separated from parameter uncertainty and the bound is
 *    NaN. EVPPI of all inputs together (4.) regresses the noise away (up to
 *    its own fit error) and is the better EVPI estimate when the two differ.
 *
 * 2. Frontier (cs_decision_frontier), on mean effects and costs, as
 *    dampack's calculate_icers and BCEA: options sorted by cost (ties: the
 *    larger effect first, then the lower index). An option is DOMINATED when
 *    an earlier one in that order (costing no more) improves at least as
 *    much; of two identical options the later index is dominated. The rest
 *    have strictly increasing cost and effect; the ICER of each against the
 *    previous one is (c_i - c_prev) / (e_i - e_prev); an option whose ICER
 *    exceeds the next one's is EXTENDEDLY DOMINATED (a mix of its neighbours
 *    does better); those are removed and the ICERs recomputed until they
 *    increase. Collinear options (equal ICERs) all stay efficient, as in
 *    dampack. Negative costs (savings), zero costs and negative effects need
 *    no special case: only order and differences are used.
 *
 * 3. Variance split (cs_decision_variance_split): one-way random-effects
 *    ANOVA over draws (O'Hagan, Stevenson & Madan 2007) of a per-replicate
 *    quantity x[d][r]: within = pooled within-draw variance (simulation
 *    noise, D(k-1) degrees of freedom), between = variance of the draw means
 *    (D-1 degrees of freedom), parameter = between - within/k, the unbiased
 *    estimate of the variance due to the inputs; when sampling makes it
 *    negative it is set to 0 and `clamped` says so.
 *
 * 4. EVPPI (cs_decision_evppi), for each set of inputs (one input or a
 *    group), by regression (Strong, Oakley & Brennan 2014, Med Decis Making
 *    34:311): for every variant v other than the reference r, the draw means
 *    of the increments e_v - e_r and c_v - c_r are each regressed on the
 *    set's inputs, giving fitted ge_v(theta_d) and gc_v(theta_d). Effects and
 *    costs are fitted separately because NB is linear in lambda: one fit
 *    serves every lambda. With g_v = lambda ge_v - gc_v and g_r = 0,
 *        EVPPI(lambda) = E_d[max_v g_v(theta_d)] - max_v E_d[g_v(theta_d)].
 *    One input: a cubic B-spline (GSL's gsl_bspline, about spline_basis
 *    basis functions) with breakpoints at quantiles of the input, penalised
 *    by the squared second divided differences of its coefficients at their
 *    Greville abscissae (so the penalty approximates the integral of g''^2
 *    and leaves straight lines unpenalised, also on unequal knots), the
 *    penalty weight chosen by GCV (a log grid refined by golden section, in
 *    a Demmler-Reinsch basis: one decomposition per input serves all outputs
 *    and weights).
 *    Several inputs: a Gaussian process, g(x) = linear(x) + f(x), with a
 *    squared-exponential kernel with one length-scale per (standardised)
 *    input, and a flat prior on the linear part. Its shape (length-scales,
 *    signal and noise variance) maximises the marginal likelihood of the
 *    residuals of the linear fit on the first m = gp_points draws, times a
 *    penalty 1 / sqrt(l) on each length-scale (the form of a
 *    penalised-complexity prior: it grows without bound as l shrinks and is
 *    flat for long l, so the search cannot drift into the corner where a
 *    tiny length-scale makes a signal look like noise, and an input the data
 *    do not need ends with a long one); BFGS with the analytic gradient. The
 *    fit on all D draws is the subset-of-regressors (Nystrom) approximation
 *    with those m draws as inducing points (exact GP when D <= m): a ridge
 *    regression on kernel features after the linear part is projected out,
 *    whose ridge weight is chosen by GCV on all D draws, the linear fit
 *    winning when its GCV is lower. So, as for the spline, the amount of
 *    smoothing is decided on every draw, and hyperparameters that m draws
 *    determined poorly cannot overfit. An output that the linear part fits
 *    exactly skips the kernel (method LINEAR, as when GCV prefers it).
 *    Limits: one smoothness per input over its whole range (stationary
 *    kernel); the shape is learnt from m draws; each likelihood evaluation
 *    costs O(m^3) and a fit O(D m^2 + m^3), so m stays at a few hundred;
 *    more than about 20 inputs in one set, or fewer than about 20 draws per
 *    input, leave the length-scales poorly determined; non-smooth responses
 *    (steps) are smoothed, and the spline may ring beside a step.
 *    Standard errors: se_mc = sd_d(max_v g_v - g_v*)/sqrt(D), the Monte
 *    Carlo error of the outer mean for fixed fits (as for EVPI); se_fit = the
 *    standard deviation of EVPPI recomputed from se_samples draws of the
 *    fitted values from their approximate posterior N(ghat, s^2 S), S the
 *    hat matrix of the fit and s^2 = RSS / (D - edf) (Strong et al. 2014,
 *    section 2.4; normals from the stream keyed by opt->key with
 *    replicate = set, group = draw, incident = output). The two sources are
 *    independent to first order: se = sqrt(se_mc^2 + se_fit^2). Checked in
 *    the tests against the spread of EVPPI over repeated data sets.
 *    Guarantees: the fits keep the sample mean (an unpenalised intercept),
 *    so the second term is EVPI's up to rounding. EVPPI >= 0 holds exactly
 *    (it is computed as the mean of per-draw losses max_v g_v - g_v*, each
 *    >= 0). EVPPI <= EVPI and EVPPI(A) <= EVPPI(B) for A a subset of B can
 *    fail in a finite sample: a fit that keeps noise or rings (a spline
 *    fitted to a step) turns it into spurious value through the max, and
 *    two fits differ by sampling error; a set that explains the outputs
 *    fully has EVPPI = EVPI up to its fit error, on either side. Nothing is
 *    clamped: every failure larger than rounding (1e-9 of the largest
 *    |incremental NB|) is listed in `violations` with its size in standard
 *    errors. A z below about 2 is sampling error; a large z means the
 *    regression misfits, and a report should say so.
 *
 * 5. Rankings and bundles (cs_decision_nb_ranking): variants ranked by ENB
 *    at one lambda, with p_best, frontier status, and for each bundle the
 *    increment over its best member (the member with the highest ENB):
 *    mean, SE and the share of draws in which the bundle does better.
 *
 * 6. Portfolios (cs_decision_portfolios): every subset of at most
 *    CS_DECISION_PORTFOLIO_MAX interventions whose expected cost fits the
 *    budget. The caller simulates each as a bundle and ranks them with 1.
 *
 * Memory: functions that return results allocate them (`*_free` releases
 * them); nothing keeps a pointer to the caller's arrays. Errors: CS_EINVAL
 * for invalid arguments (NaN or infinite data, sizes of zero, indices out of
 * range), CS_ELIMIT for sizes beyond a stated limit, CS_ENOMEM, and
 * CS_EINTERNAL when a numerical step fails that should not (a matrix that
 * ought to be positive definite is not); each with a message in err.
 * Functions are thread-safe on distinct outputs; cs_decision_evppi uses
 * OpenMP threads inside and its results do not depend on their number.
 */
#ifndef CASESIM_DECISION_H
#define CASESIM_DECISION_H

#include <stddef.h>
#include <stdint.h>

#include "casesim/error.h"
#include "casesim/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The most interventions cs_decision_portfolios combines: 2^12 = 4096
 * subsets, each of which would be simulated. */
#define CS_DECISION_PORTFOLIO_MAX 12

/* The most variants for which cs_decision_curves_compute tabulates rank
 * probabilities (a V x V table per lambda); beyond it (budget portfolios)
 * p_rank is NULL and everything else is computed. */
#define CS_DECISION_RANK_MAX 64

/* "No index": an unused member, a first frontier option's predecessor. */
#define CS_DECISION_NONE SIZE_MAX

/* What the caller knows of every draw, replicate and variant (see the top of
 * this file). The arrays are only read. */
typedef struct cs_decision_data {
    size_t n_draws;       /* D >= 1 */
    size_t n_reps;        /* k >= 1 replicates per draw */
    size_t n_variants;    /* V >= 1; variant 0 is the baseline */
    const double *effect; /* [D k V]: effect[(d * k + r) * V + v], percentage points */
    const double *cost;   /* [D V]: cost[d * V + v], currency per year */
} cs_decision_data;

/* Checks the sizes and that every effect and cost is finite. Returns CS_OK,
 * or CS_EINVAL naming the first bad value (draw, replicate, variant), or
 * CS_ELIMIT when D k V overflows. */
int cs_decision_data_check(const cs_decision_data *data, cs_error *err);

/* Writes the draw means ebar[d * V + v] = mean_r effect[(d k + r) V + v]
 * into the caller's array of D V values (for a cost-effectiveness plane).
 * data must have passed cs_decision_data_check. */
void cs_decision_draw_means(const cs_decision_data *data, double *ebar);

/* Acceptability curves, frontier variant and EVPI over a willingness-to-pay
 * grid. Arrays indexed [l], [l * V + v] and [(l * V + v) * V + r]. */
typedef struct cs_decision_curves {
    size_t n_lambda, n_variants, n_draws, n_reps;
    double population_years;
    double *lambda;           /* [L] currency per percentage point */
    double *enb;              /* [L V] expected net benefit, currency per year */
    double *enb_se;           /* [L V] its Monte Carlo SE; NaN when D = 1 */
    double *p_best;           /* [L V] probability of being best */
    double *p_best_se;        /* [L V] sqrt(p (1 - p) / D) */
    double *p_rank;           /* [L V V] probability that v has rank r + 1;
                                 NULL when V > CS_DECISION_RANK_MAX */
    uint32_t *best;           /* [L] variant with the highest ENB */
    double *evpi;             /* [L] currency per year */
    double *evpi_se;          /* [L] NaN when D = 1 */
    double *evpi_horizon;     /* [L] evpi x population_years */
    double *evpi_horizon_se;  /* [L] */
    double *evpi_noise_bound; /* [L] bound on the upward bias from simulation noise; NaN if k = 1 */
} cs_decision_curves;

/* Computes the curves for the n_lambda values lambda[] (any order, finite)
 * and a policy horizon of population_years (finite, >= 0). Allocates *out
 * (free with cs_decision_curves_free); *out is NULL on error. Returns CS_OK,
 * CS_EINVAL (bad data, no lambda, a non-finite lambda or horizon), CS_ELIMIT
 * (more than UINT32_MAX variants) or CS_ENOMEM. Cost O(L D V), and
 * O(L D V^2) with the rank table. */
int cs_decision_curves_compute(const cs_decision_data *data, const double *lambda, size_t n_lambda,
                               double population_years, cs_decision_curves **out, cs_error *err);

/* Frees c. NULL is a no-op. */
void cs_decision_curves_free(cs_decision_curves *c);

/* Status of an option on the deterministic frontier. */
typedef enum cs_frontier_status {
    CS_FRONTIER_EFFICIENT = 0, /* on the frontier ("ND" in dampack) */
    CS_FRONTIER_DOMINATED = 1, /* another option costs no more and improves as much ("D") */
    CS_FRONTIER_EXTENDED = 2   /* extendedly dominated ("ED") */
} cs_frontier_status;

/* One option of the frontier. */
typedef struct cs_frontier_entry {
    double effect, cost; /* the means it was judged on */
    cs_frontier_status status;
    size_t rank_by_cost; /* 0 = first in the sort order (cheapest) */
    /* EFFICIENT: the previous efficient option (CS_DECISION_NONE for the
     * first) and the ICER against it (NaN for the first).
     * DOMINATED: by[0] = an option that dominates it (the most effective of
     * those costing no more). EXTENDED: by[0], by[1] = the efficient options
     * just cheaper and just dearer, a mix of which does better. Unused
     * entries are CS_DECISION_NONE; icer is NaN for dominated options. */
    size_t by[2];
    double icer; /* currency per percentage point */
} cs_frontier_entry;

/* Classifies the n options with mean effects effect[] and costs cost[] (all
 * finite) into out[0..n). Returns CS_OK, CS_EINVAL (n = 0 or a non-finite
 * value) or CS_ENOMEM. */
int cs_decision_frontier(const double *effect, const double *cost, size_t n, cs_frontier_entry *out,
                         cs_error *err);

/* The variance split of a per-replicate quantity (see 3. above). */
typedef struct cs_variance_split {
    size_t n_draws, n_reps;
    double mean;          /* over all D k values */
    double total;         /* sample variance of all D k values (divisor D k - 1) */
    double within;        /* simulation noise: pooled within-draw variance */
    double between;       /* variance of the D draw means (divisor D - 1) */
    double parameter_raw; /* between - within / k (may be negative) */
    double parameter;     /* max(parameter_raw, 0) */
    int clamped;          /* 1 when parameter_raw < 0 was set to 0 */
    double noise_share;   /* within / (within + parameter): noise's share of one replicate */
    double within_se;     /* normal-theory SEs: within sqrt(2 / (D (k - 1))) */
    double parameter_se;  /* sqrt(2 between^2/(D-1) + 2 within^2/(k^2 D (k-1))) */
} cs_variance_split;

/* Splits the variance of x[(d * k + r) * stride], d < n_draws, r < n_reps.
 * Needs n_draws >= 2, n_reps >= 2, stride >= 1 and finite values. Writes
 * *out (NaN fields on error). Returns CS_OK or CS_EINVAL. */
int cs_decision_variance_split(const double *x, size_t n_draws, size_t n_reps, size_t stride,
                               cs_variance_split *out, cs_error *err);

/* A set of uncertain inputs for EVPPI: indices into the columns of theta. */
typedef struct cs_evppi_set {
    const size_t *inputs;
    size_t n_inputs; /* >= 1; no index twice */
} cs_evppi_set;

/* Options of cs_decision_evppi; cs_evppi_options_default fills them. */
typedef struct cs_evppi_options {
    size_t reference;    /* variant the increments are taken against (default 0) */
    size_t spline_basis; /* B-spline basis functions for one input (default 16; 4..200) */
    size_t gp_points;    /* m, draws for the GP hyperparameters and inducing points
                            (default 200; 10..1000; time O(m^3), memory O(m^2 p)) */
    size_t se_samples;   /* posterior draws of the fits for se_fit (default 100; 0 = none,
                            then se_fit = 0 and se = se_mc) */
    cs_stream_key key;   /* base key for those draws (purpose CS_STREAM_DECISION) */
} cs_evppi_options;

/* Fills o with the defaults above and key = {seed, 0, 0, 0, 0,
 * CS_STREAM_DECISION}. */
void cs_evppi_options_default(cs_evppi_options *o, uint64_t seed);

/* How one output was fitted. */
typedef enum cs_evppi_method {
    CS_EVPPI_CONSTANT = 0, /* the output or the inputs do not vary: fitted = mean */
    CS_EVPPI_LINEAR = 1,   /* linear in the inputs: exactly, or GCV preferred it to the GP */
    CS_EVPPI_SPLINE = 2,   /* penalised B-spline, one input */
    CS_EVPPI_GP = 3        /* Gaussian process, several inputs */
} cs_evppi_method;

/* Diagnostics of one regression. */
typedef struct cs_evppi_fit_info {
    cs_evppi_method method;
    double edf;   /* effective degrees of freedom (trace of the hat matrix) */
    double r2;    /* share of the output's variance over draws the fit explains */
    double sigma; /* residual standard deviation (units of the output) */
} cs_evppi_fit_info;

/* Marks a comparison with EVPI in cs_evppi_violation.other. */
#define CS_EVPPI_WITH_EVPI SIZE_MAX

/* One finite-sample failure of EVPPI <= EVPI or of monotonicity. */
typedef struct cs_evppi_violation {
    size_t set;    /* the set whose EVPPI is too large */
    size_t other;  /* a set containing it, or CS_EVPPI_WITH_EVPI */
    size_t lambda; /* index into the lambda grid */
    double excess; /* evppi[set] - evppi[other] (or - evpi), > 0 */
    double z;      /* excess / sqrt(se[set]^2 + se[other]^2) (EVPI's SE for EVPI) */
} cs_evppi_violation;

/* EVPPI of every set over the lambda grid. Arrays [s * L + l] unless said. */
typedef struct cs_evppi {
    size_t n_sets, n_lambda, n_outputs; /* n_outputs = 2 (V - 1): effect and cost of each
                                           non-reference variant */
    double *evppi;                      /* currency per year */
    double *se;                         /* sqrt(se_mc^2 + se_fit^2) */
    double *se_mc;                      /* Monte Carlo SE of the outer mean */
    double *se_fit;                     /* SE from the uncertainty of the fits */
    double *evpi;                       /* [L] EVPI on the same draws (as cs_decision_curves) */
    double *evpi_se;
    /* [s * n_outputs + o]: output 2 j is the effect increment and 2 j + 1 the
     * cost increment of the j-th non-reference variant (in variant order). */
    cs_evppi_fit_info *fit;
    cs_evppi_violation *violations; /* in (lambda, set, other) order */
    size_t n_violations;
} cs_evppi;

/* EVPPI of each of the n_sets sets over lambda[0..n_lambda), with
 * theta[d * n_inputs + i] the value of input i in draw d (finite). opt may
 * be NULL for the defaults with seed 0. Allocates *out (free with
 * cs_evppi_free; NULL on error). Needs D >= 10 and V >= 2. Returns CS_OK,
 * CS_EINVAL (bad data, an input index out of range or repeated, an empty
 * set, a bad option), CS_ENOMEM, or CS_EINTERNAL if a fit fails. */
int cs_decision_evppi(const cs_decision_data *data, const double *theta, size_t n_inputs,
                      const cs_evppi_set *sets, size_t n_sets, const double *lambda,
                      size_t n_lambda, const cs_evppi_options *opt, cs_evppi **out, cs_error *err);

/* Frees e. NULL is a no-op. */
void cs_evppi_free(cs_evppi *e);

/* A bundle: a variant that combines the interventions of other variants. */
typedef struct cs_decision_bundle {
    size_t variant;        /* the bundle's own variant */
    const size_t *members; /* the variants of its single interventions */
    size_t n_members;      /* >= 1 */
} cs_decision_bundle;

/* One variant of a net-benefit ranking at one lambda. */
typedef struct cs_nb_rank_row {
    double enb, enb_se;        /* as in cs_decision_curves */
    uint32_t rank;             /* 1 = highest ENB; ties share the better rank (1, 2, 2, 4) */
    double p_best;             /* as in cs_decision_curves */
    cs_frontier_status status; /* on the mean effects and costs */
    /* Bundles only (else best_member = CS_DECISION_NONE, the rest NaN):
     * the member with the highest ENB, the bundle's mean increment in NB over
     * it with its SE (paired over draws), and the share of draws in which the
     * bundle's NB exceeds that member's. */
    size_t best_member;
    double increment, increment_se, p_increment_positive;
} cs_nb_rank_row;

/* Ranks the V variants of data at willingness to pay lambda into rows[0..V).
 * A variant may be the bundle of at most one entry of bundles. Returns CS_OK,
 * CS_EINVAL (bad data or lambda, a bundle index out of range, a bundle that
 * contains itself or is listed twice) or CS_ENOMEM. */
int cs_decision_nb_ranking(const cs_decision_data *data, double lambda,
                           const cs_decision_bundle *bundles, size_t n_bundles,
                           cs_nb_rank_row *rows, cs_error *err);

/* A subset of interventions that fits the budget. */
typedef struct cs_portfolio {
    uint32_t members;     /* bit i set: intervention i is in the portfolio */
    double cost;          /* expected cost: the sum of its members' */
    double p_over_budget; /* share of draws whose summed cost exceeds the budget */
} cs_portfolio;

/* Every subset of the n interventions (the empty one included: the baseline)
 * whose expected cost, the sum of the mean over draws of cost[d * n + i],
 * is at most budget; stated costs are one draw (n_draws = 1). Allocates
 * *out with *n_out entries sorted by expected cost, then by members (free()
 * it). Returns CS_OK, CS_EINVAL (no draws, a non-finite cost or budget),
 * CS_ELIMIT (n > CS_DECISION_PORTFOLIO_MAX, with a message that says so) or
 * CS_ENOMEM. Cost O(2^n (n + D)). */
int cs_decision_portfolios(const double *cost, size_t n, size_t n_draws, double budget,
                           cs_portfolio **out, size_t *n_out, cs_error *err);

#ifdef __cplusplus
}
#endif
#endif
