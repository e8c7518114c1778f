/*
 * casesim/calibrate.h — `casesim calibrate`: the uncertain inputs of a
 * scenario fitted to its `targets:` by the simulator itself.
 *
 * The numerical core (likelihoods, IMIS, summaries, identifiability) is
 * casesim/calibration.h; this module connects it to scenarios and the
 * engine. The prior is the scenario's `uncertain:` section, mapped to
 * independent standard-normal coordinates z (cs_unc_from_normal); IMIS hands
 * out waves of z; each point is simulated and scored against the targets.
 *
 * EVALUATIONS. Point number g of the whole calibration (counted over every
 * wave, in IMIS's order) runs the baseline in replicates g K .. g K + K - 1
 * of the scenario's seed, K = `scale`: K independent replicates of the real
 * system, pooled — so a larger K shrinks the simulation noise without
 * changing the dynamics (the arrival rate is never scaled, which would
 * change the queues), and the likelihoods count the pooled figures as K real
 * volumes. The seed is never a parameter: which replicates a point uses
 * depends only on its place in the sequence, so the result is the same for
 * any number of threads. Only the baseline is simulated: targets describe
 * the observed system.
 *
 * WHAT IS KEPT PER POINT. For each target, four sums over the point's K
 * replicates (CS_TARGET_SUMS): the counted events (numerator) and, for shares
 * and ratios, the denominator, then for ratios the reference group's
 * numerator and denominator; for a mean duration, the number, sum and sum
 * of squares of the durations; for a count whose unit_factor is uncertain,
 * the point's factor (K times) as the second. Every target's simulated figure, likelihood
 * and predictive draw is a function of these sums, so held-out targets are
 * scored on the same runs without entering the fit.
 */
#ifndef CASESIM_CALIBRATE_H
#define CASESIM_CALIBRATE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "casesim/calibration.h"
#include "casesim/engine.h"
#include "casesim/error.h"
#include "casesim/measures.h"
#include "casesim/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CS_TARGET_SUMS 4 /* numerator, denominator, reference numerator, reference denominator */

/* The `group` word of the predictive draws' keyed streams (purpose
 * CS_STREAM_CALIBRATION; calibration.h uses 0 and 1). */
#define CS_CALIB_KEY_PREDICTIVE 2

/* The extra tallies (CS_TALLY_*, casesim/measures.h) the targets of s need
 * from the engine: durations for a mean_duration, counts by violation kind
 * for a `kind:` in a period or a cohort share; 0 when none does. */
unsigned cs_targets_tallies(const cs_scenario *s);

/* Adds what replicate result r contributes to target t of scenario s to
 * sums[0 .. CS_TARGET_SUMS). r must have s's dimensions and carry the
 * tallies cs_targets_tallies(s) asks for. A mean_duration adds the number,
 * sum and sum of squares of its durations (days). */
void cs_target_accumulate(const cs_scenario *s, const cs_target_spec *t,
                          const cs_replicate_result *r, double sums[CS_TARGET_SUMS]);

/* The simulated figure of target t from its sums over K replicates, as the
 * likelihood takes it (casesim/calibration.h, cs_calib_simulated): a count's
 * events and K; a share's numerator and denominator (or, observed as a value
 * with sd, the share and its binomial standard error); a ratio's simulated
 * ratio of shares and the standard error of its log. Returns false (out
 * untouched) when the figure is undefined: a share over no simulated
 * denominator, a ratio with an empty share. A period share's numerator
 * above its denominator (the year's flows, which need not nest) is taken
 * as x = n, a simulated share of 1 (likewise each share of a ratio); in a
 * cohort share, where the numerator's tracks are the denominator's, it is
 * undefined. */
bool cs_target_simulated(const cs_target_spec *t, const double sums[CS_TARGET_SUMS], double K,
                         cs_calib_simulated *out);

/* Target t's likelihood at a point whose sums over K replicates are sums:
 * t->like with, for a count whose unit_factor is uncertain, the point's
 * unit factor (which cs_target_accumulate adds into sums[1] once per
 * replicate). */
cs_calib_target cs_target_like(const cs_target_spec *t, const double sums[CS_TARGET_SUMS],
                               double K);

/* The log-likelihood of target t (weight included) given its sums:
 * cs_calib_loglik, -INFINITY when the simulated figure is undefined. */
double cs_target_loglik(const cs_target_spec *t, const double sums[CS_TARGET_SUMS], double K);

/* The target sums (sums[n_targets][CS_TARGET_SUMS]) of one replicate of
 * s's baseline with its uncertain inputs at values: what the real system
 * would show if those were its true values (for recovery tests and
 * simulation-based calibration; use a seed or replicate the calibration
 * does not use). Returns CS_OK, CS_EINVAL (values make the scenario
 * invalid), CS_ENOMEM. */
int cs_calibrate_synthetic(const cs_scenario *s, const double *values, uint64_t seed,
                           uint64_t replicate, double *sums, cs_error *err);

/* Sets target t's observed figure to the one its sums of one replicate give
 * (a count times its unit_factor, rounded; a share's x of n, or its value;
 * a ratio's value). Returns false (t untouched or partly set) when the
 * figure is undefined (an empty denominator, a zero ratio). */
bool cs_target_observe(cs_target_spec *t, const double sums[CS_TARGET_SUMS]);

/* How `casesim calibrate` fits. */
typedef enum cs_calibrate_method {
    CS_CALIBRATE_IMIS = 0,    /* a weighted posterior sample (the default) */
    CS_CALIBRATE_OPTIMIZE = 1 /* a point fit: the posterior mode, no uncertainty */
} cs_calibrate_method;

/* What to run. */
typedef struct cs_calibrate_config {
    cs_calibrate_method method;

    uint64_t seed;               /* the master seed of the simulations and of IMIS */
    uint64_t scale;              /* K >= 1 replicates per evaluation */
    int threads;                 /* 0: OpenMP's default */
    double target_ess;           /* stop at this ESS (> 0) */
    size_t max_evaluations;      /* stop after this many points */
    size_t n_initial;            /* 0: IMIS's default (max(500, 100 D)) */
    size_t wave_size;            /* 0: IMIS's default (max(100, 20 D)) */
    size_t stall_waves;          /* S of IMIS's stall rule (casesim/calibration.h); 0: 20.
                                    A larger S lets a stalled run resume */
    volatile sig_atomic_t *stop; /* non-zero stops after the current wave (may be NULL) */
    /* Called after every finished wave (may be NULL): the run so far. A
     * non-zero return stops the run with that status. */
    int (*on_wave)(void *ctx, const cs_calib_imis *m, cs_error *err);
    void *on_wave_ctx;
    /* NULL, or a calibration of the same scenario to continue from its last
     * finished wave (read back with cs_calibration_file_load): its seed,
     * scale, n_initial and wave_size must be the ones above; the stopping
     * settings may differ. With the same settings, the continued run ends
     * exactly as an uninterrupted one. */
    const struct cs_calibration *resume;
    /* CS_CALIBRATE_OPTIMIZE: stop once the simplex size (GSL's: the mean
     * distance of its vertices from their centroid, on the transformed
     * scales) is below this (0: CS_CALIBRATE_SIZE_TOL). max_evaluations
     * bounds the Sobol start and the simplex's evaluations together. */
    double size_tol;
    /* The MPI build (CASESIM_HAVE_MPI) only: evaluate over the ranks of
     * MPI_COMM_WORLD. cs_calibrate_run is then a collective call: every
     * rank calls it with the same scenario and settings (resume must be
     * NULL; stop and the callbacks are each rank's own, on_wave may be NULL
     * on ranks > 0). Each evaluation's replicates are spread over the ranks
     * (cs_sim_run_mpi) and its sums sent from rank 0 to every rank, so every
     * rank runs the same sampler and returns the same calibration, the same
     * for any rank count. Ignored in other builds. */
    bool use_mpi;
    /* A predictive check instead of a calibration: the first (Sobol) wave
     * of n_initial points of the priors only, every target evaluated, every
     * point weighted equally (no likelihood, no importance step); the
     * summaries are then the prior predictive checks. Not with resume. */
    bool predictive;
    /* Common random numbers (`--common-seeds`): every point is simulated in
     * the same replicates 0 .. scale - 1 of the seed instead of replicates
     * of its own, so the log-likelihood is a deterministic function of the
     * inputs and nearby points share their simulation noise. The importance
     * weights then carry no noise of their own (docs/CALIBRATION.md, "Common
     * seeds"). Recorded in the file; a resumed run keeps the file's. IMIS
     * only (the point fit always uses common seeds). */
    bool common_seeds;
} cs_calibrate_config;

#define CS_CALIBRATE_SIZE_TOL 1e-4

/* Defaults: seed = the scenario's, scale 1, ESS 1000, 50000 evaluations. */
void cs_calibrate_config_default(cs_calibrate_config *cfg, const cs_scenario *s);

/* One input's prior and posterior (value space). */
typedef struct cs_calibrate_input {
    double prior_median, prior_lower, prior_upper; /* 2.5% and 97.5% */
    cs_calib_marginal posterior;                   /* shrinkage against the prior variance */
} cs_calibrate_input;

/* A finished calibration. Arrays are owned; free with cs_calibration_free. */
typedef struct cs_calibration {
    size_t dim;       /* D: the scenario's n_uncertain_values */
    size_t n_targets; /* the scenario's */
    size_t n_points;  /* evaluations */
    size_t n_waves;   /* finished waves, the Sobol sample included */
    uint64_t seed, scale;
    bool common_seeds; /* every point ran in replicates 0 .. scale - 1 */
    double *z;         /* [n_points][D] */
    double *values;    /* [n_points][D] */
    double *loglik;    /* [n_points] over the fitted targets */
    double *weight;    /* [n_points] importance weights, sum 1 */
    double *sums;      /* [n_points][n_targets][CS_TARGET_SUMS] */
    double *wave_ess;  /* [n_waves] ESS after each wave */
    double ess, log_evidence, best_logpost;
    cs_calib_status status;
    char *message;              /* why it stopped, in plain words */
    cs_calibrate_input *inputs; /* [D] */
    double *correlation;        /* [D][D] posterior correlation of z (NaN: undefined) */
    size_t n_findings;
    cs_calib_finding *findings;      /* identifiability, warnings first */
    cs_calib_predictive *predictive; /* [n_targets] posterior predictive checks */
    /* The sampler's state after the last finished wave, to resume from (see
     * cs_calib_imis_state; z and loglik above are its points). */
    size_t n_initial, wave_size; /* the settings the waves were drawn with */
    size_t n_components;         /* n_waves - 1 */
    double *center;              /* [n_components][D] */
    double *covariance;          /* [n_components][D][D] */
    uint64_t *component_size;    /* [n_components] points drawn from each */
    double *wave_best;           /* [n_waves] best log posterior after each wave */
    uint64_t checksum;           /* cs_calib_imis_state_checksum */
    /* Wall-clock seconds of this call (not of a resumed file's earlier
     * waves): all of it, and inside the engine's driver (cs_sim_run: the
     * points' instantiation and compilation and the replicates). Timings
     * only: they are not written to the file, which stays bit-identical. */
    double seconds_total, seconds_engine;
    size_t evaluated;      /* points evaluated by this call */
    bool predictive_check; /* made by cs_calibrate_config.predictive */
    /* CS_CALIBRATE_OPTIMIZE (see cs_calibrate_run): the optimum's
     * log-likelihood over the fitted targets on the fit's seeds and on fresh
     * ones (NaN for IMIS), the simplex's iterations and its final size. */
    cs_calibrate_method method;
    double loglik_fit_seeds, loglik_fresh_seeds;
    size_t iterations;
    double simplex_size;
} cs_calibration;

/* Calibrates scenario s (which must have uncertain inputs and at least one
 * target that is not held out) under cfg, running IMIS to its stopping rule,
 * and summarises the result.
 *
 * With cfg->method CS_CALIBRATE_OPTIMIZE, a point fit instead: the maximum
 * of the posterior density of the inputs in their own units (log prior +
 * log-likelihood of the fitted targets) by GSL's Nelder-Mead
 * (gsl_multimin_fminimizer_nmsimplex2). The simplex moves on transformed
 * scales, logit for an input bounded on both sides (a probability), log for
 * one bounded on one side (a rate, a duration), identity otherwise; the
 * transformation only unbounds the search: the density maximised is the
 * one in the inputs' units (no Jacobian), so that with a flat prior the
 * optimum is the maximum-likelihood point. Every point is simulated in the
 * same replicates 0 .. K - 1 of the seed (common random numbers: the
 * log-likelihood is then a deterministic function of the inputs, which the
 * simplex needs; the seed is never a parameter). The simplex starts from
 * the best of the first n_initial (default max(500, 100 D)) Sobol points of
 * the prior and stops when its size falls below size_tol (converged) or
 * when max_evaluations points were evaluated (stopped short, said in the
 * message). The optimum is then simulated again in replicates K .. 2K - 1
 * (fresh seeds): a fit that exploits the particular noise of the fit's seeds
 * shows a lower log-likelihood there. The result has every evaluated point
 * (weight 0; their log-likelihoods on the fit's seeds) and, last, the
 * optimum on fresh seeds with weight 1: the "posterior" is that point, its
 * intervals have zero width and say nothing about uncertainty. The targets'
 * predictive checks are 4000 draws of the observation model at the optimum
 * on fresh seeds. Scenarios with a Dirichlet entry are refused (CS_EINVAL:
 * its values are tied by their sum), as is cfg->resume. Returns CS_OK (also when IMIS stopped
 * short: see status and message), CS_EINTERRUPTED (*stop; *out holds the finished waves), CS_EINVAL
 * (no inputs, no fitted target, bad cfg), CS_ENOMEM, or an engine error. *out is owned by the
 * caller in every case where it is set. */
int cs_calibrate_run(const cs_scenario *s, const cs_calibrate_config *cfg, cs_calibration **out,
                     cs_error *err);

/* Frees c. NULL is a no-op. */
void cs_calibration_free(cs_calibration *c);

/* --------------------------------------------- the fitted scenario
 *
 * `casesim calibrate --write-scenario FITTED.yaml`: the scenario with every
 * calibrated input at its posterior median and the posterior, approximated
 * per input, as its `uncertain:` (see calibrate/fit.c for the families and
 * how they are fitted) with the posterior correlations as a Gaussian copula
 * (`correlations:`) whose matrix is positive definite. */
typedef struct cs_calibrate_fit {
    size_t n_entries;             /* the scenario's n_uncertain */
    cs_fitted_entry *entries;     /* [n_entries] */
    char **sources;               /* [n_entries] owned texts the entries point to */
    double *values;               /* [dim] posterior medians, 6 significant digits (a
                                     Dirichlet's normalised to sum to 1) */
    cs_correlation *correlations; /* between univariate entries */
    size_t n_correlations;
    double ess;    /* Kish ESS of the weights */
    double shrink; /* factor applied to the correlations to keep the matrix
                      positive definite (1: none) */
    /* Set by cs_calibrate_fit_keep_priors (NULL before): inputs the
     * calibration cannot inform keep their prior (entries[e].keep_prior:
     * the source's entry, its value at its paths, and the source's
     * correlations among such inputs):
     *   - structural[e]: every path under `interventions.` (a calibration
     *     simulates the baseline only, so no target sees it);
     *   - statistical: variance_ratio[e], the posterior variance of the
     *     entry's normal scores z (prior variance 1; a Dirichlet's smallest
     *     over its coordinates), is at least keep_threshold, the smaller of
     *     exp(-2 sqrt(2 / ESS)) (2 standard errors below 1 on the log scale:
     *     a variance estimated from ESS draws has a relative sd of about
     *     sqrt(2 / ESS)) and the smallest ratio among the structural inputs
     *     (which no target can inform: the sampler's own noise at this ESS). */
    bool *structural;       /* [n_entries] */
    double *variance_ratio; /* [n_entries] */
    double keep_threshold;
} cs_calibrate_fit;

/* Approximates the posterior of calibration c (of scenario s: the same
 * uncertain values; c's points, weights and, if NULL, values, which are
 * then computed from z and kept in c) into a new *out (free with
 * cs_calibrate_fit_free): every input fitted. Returns CS_OK, CS_EINVAL (another number of
 * values, no points, a posterior without spread: too few effective draws)
 * or CS_ENOMEM. */
int cs_calibrate_fit_posterior(const cs_scenario *s, cs_calibration *c, cs_calibrate_fit **out,
                               cs_error *err);

/* Gives back their prior to the inputs of fit f (made by
 * cs_calibrate_fit_posterior from s and c) that c cannot inform, by the
 * rule of cs_calibrate_fit: their entries keep_prior, their values the
 * source's, the copula fitted again over the other univariate entries, and
 * the source's correlations between kept inputs added. Needs c's normal
 * scores z. Returns CS_OK, CS_EINVAL (no z, another scenario) or
 * CS_ENOMEM; f is then still freed by cs_calibrate_fit_free. */
int cs_calibrate_fit_keep_priors(const cs_scenario *s, const cs_calibration *c, cs_calibrate_fit *f,
                                 cs_error *err);

void cs_calibrate_fit_free(cs_calibrate_fit *f);

/* ----------------------------------------------- runs on the posterior
 *
 * `casesim run SCENARIO --posterior CAL.h5`: the uncertain inputs are
 * drawn from the calibration's posterior instead of their priors. The
 * weighted points are resampled once (systematic resampling, then shuffled:
 * cs_calib_resample, keyed by the run's seed, purpose CALIBRATION, group
 * CS_CALIB_KEY_RESAMPLE) into CS_POSTERIOR_DRAWS equally weighted draws;
 * replicate r uses draw (r / k) mod CS_POSTERIOR_DRAWS, k the scenario's
 * replicates_per_draw, so that a replicate's draw depends on r alone (any
 * thread count, replicate range or resumption). */
#define CS_POSTERIOR_DRAWS 4096

typedef struct cs_posterior_draws {
    const cs_unc_set *set;
    double *z; /* [n_draws][dim] owned */
    size_t dim;
    uint64_t n_draws;
    uint64_t replicates_per_draw;
} cs_posterior_draws;

/* Resamples calibration c (of scenario s: the same uncertain values) into
 * *out under seed. Returns CS_OK, CS_EINVAL (another number of values, no
 * points, no positive weight) or CS_ENOMEM. Release with
 * cs_posterior_draws_release (also after a failure). */
int cs_posterior_draws_make(const cs_calibration *c, const cs_scenario *s, uint64_t seed,
                            cs_posterior_draws *out, cs_error *err);

void cs_posterior_draws_release(cs_posterior_draws *d);

/* The point source of d (which must outlive src) for cs_run_config.points. */
void cs_point_source_posterior(cs_point_source *src, const cs_posterior_draws *d);

#ifdef __cplusplus
}
#endif
#endif
