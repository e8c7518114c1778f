/*
 * casesim/calibration.h — the numerical core of calibration: likelihoods of
 * published figures given simulated ones, incremental mixture importance
 * sampling (IMIS) of the posterior, a Nelder–Mead point fit, and the
 * posterior's summaries and diagnostics.
 *
 * This module knows nothing about scenarios or the engine. Its caller (the
 * `casesim calibrate` command) parses `targets:`, runs the simulator at the
 * points this module hands out, turns each run's results into log-likelihoods
 * with the functions below, and writes what comes back to a file.
 *
 * THE SPACE IT WORKS IN. Every point is a vector z of D independent
 * standard-normal coordinates. The caller maps z to input values
 * (z -> Gaussian copula -> Phi -> each prior's quantile function), so the prior
 * is exactly N(0, I_D) in z-space and every z is a valid input. This z-space is
 * casesim's answer to "fit on logit / log scales": it is a smooth,
 * unconstrained reparametrisation of every prior, bounded or not, so that
 * neither the sampler nor the optimiser ever meets a constraint or needs a
 * Jacobian (the prior density of z is the standard normal, whatever the
 * priors of the inputs are). Prior variance is 1 along every direction of
 * z-space, which is what makes shrinkage and the identifiability check below
 * comparable across inputs.
 *
 * THE METHOD: IMIS (Raftery & Bao 2010, "Estimating and projecting trends in
 * HIV/AIDS generalized epidemics using incremental mixture importance
 * sampling", Biometrics 66:1162-1173). It starts from N0 points of a Sobol
 * sequence of the prior, then adds waves of B points, each wave drawn from a
 * multivariate normal centred at the point of highest importance weight so
 * far, with the weighted covariance of its nearest neighbours — in the
 * coordinates the targets inform (below). Every point ever evaluated keeps
 * an importance weight
 *     w(z) = prior(z) L(z) / q(z),
 *     q(z) = (N0 prior(z) + sum_k B_k N(z; c_k, S_k)) / N,   N = N0 + sum_k B_k,
 * so no simulation is thrown away. Why IMIS rather than ABC-SMC / tempered
 * SMC: (1) its waves are arbitrary batches of independent points, which is
 * exactly what the caller evaluates in parallel (OpenMP threads, MPI ranks),
 * whereas SMC needs MCMC moves that chain evaluations one after another;
 * (2) every evaluation keeps contributing to the posterior (SMC discards the
 * particles of earlier temperatures); (3) its whole state is a list of points,
 * their log-likelihoods and the Gaussian components, which saves to a file
 * and restores exactly; (4) with likelihoods that absorb the simulation noise
 * (below) there is no tolerance schedule to tune, which is what ABC users
 * complain about. Its known weaknesses — several waves to find a posterior far
 * narrower than the prior, and weights that collapse onto a few lucky points
 * when the likelihood is very noisy — are watched by the stall rule, which
 * tells homing in (the best fit improves) from collapse (nothing improves) and
 * stops, saying so, in the second case.
 *
 * INFORMED COORDINATES. Raftery & Bao's rule alone fails when most
 * coordinates are not informed by any target (England and Wales has 36
 * inputs; its 5 intake targets pin 5 of them): the Euclidean nearest points
 * are then nearest in the uninformed coordinates, so components stay as wide
 * as the prior where the posterior is narrow; and
 * each component is centred at the best point's value of every uninformed
 * coordinate, a draw from the prior, which in k such coordinates puts the
 * component's centre about sqrt(k) prior sd away from the posterior's, so a
 * few points near the prior's centre take all the weight (ESS 39 after 15,000
 * evaluations in tests/test_calibration_imis.c's 30-dimensional case). Each
 * component is therefore the product of a neighbour-shaped normal in the
 * informed coordinates and the prior itself, N(0, 1) with no correlation, in
 * the others: the likelihood-informed-subspace approximation of Cui, Martin,
 * Marzouk, Solonen & Spantini (2014, "Likelihood-informed dimension reduction
 * for nonlinear inverse problems", Inverse Problems 30:114015), restricted to
 * coordinate directions. Where the targets say nothing, the weights then do
 * not depend on a coordinate at all. Which coordinates are informed is
 * decided afresh for every component, from the tempered posterior
 * prior x L^beta weighted with the points so far, beta the largest of 1, 0.8,
 * 0.8^2, ... whose Kish ESS reaches n_neighbours / 2 (the ESS rule for the
 * next temperature of adaptive SMC, Jasra, Stephens, Doucet & Tsagaris 2011,
 * Scand. J. Statist. 38:1-22), so that the decision rests on enough points
 * even while the posterior's own ESS is near 1: coordinate r is informed when
 * its tempered mean differs from 0, or its variance from 1, by more than
 * CS_CALIB_INFORMED_SE standard errors. Neighbours are the nearest in the
 * informed coordinates, each scaled by its tempered variance. The rule
 * changes only how components are built: the weights use the same mixture
 * the points were drawn from, so the sampler stays exact importance
 * sampling, whatever the rule decides.
 *
 * DETERMINISM. Every random number comes from a keyed PCG stream: proposal j of
 * wave w from the key {seed, purpose CS_STREAM_CALIBRATION, replicate w,
 * group CS_CALIB_KEY_PROPOSAL, incident j, track 0}. Nothing depends on which
 * thread or rank evaluated which point, and every reduction runs in a fixed
 * order, so results are bit-identical for any thread or rank count, and a run
 * restored from its saved state after any finished wave ends exactly like an
 * uninterrupted one.
 *
 * PARALLEL USE. The sampler runs on one thread between waves and costs a few
 * milliseconds per wave (bench/calibration_overhead.c). With MPI every rank may
 * keep its own copy: copies told the same values stay identical, so each rank
 * evaluates its contiguous block of the wave, the log-likelihoods are gathered
 * on every rank (MPI_Allgatherv), and every rank tells the whole wave.
 *
 * All functions are thread-safe on distinct objects; none prints or exits.
 * GSL statuses are checked, but GSL calls its error handler before returning
 * them (e.g. on a covariance that is not positive definite): the program must
 * switch GSL's aborting default handler off (gsl_set_error_handler_off), as
 * casesim's main does.
 */
#ifndef CASESIM_CALIBRATION_H
#define CASESIM_CALIBRATION_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "casesim/error.h"
#include "casesim/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The most z coordinates: gsl_qrng_sobol's limit (it does not report a larger
 * request itself, so every entry point checks). */
#define CS_CALIB_MAX_DIM 40

/* The `group` word of the keyed streams this module uses (purpose
 * CS_STREAM_CALIBRATION), so that its streams never coincide. */
#define CS_CALIB_KEY_PROPOSAL 0 /* IMIS proposals: replicate = wave, incident = point */
#define CS_CALIB_KEY_RESAMPLE 1 /* suggested for cs_calib_resample */

/* ======================================================================
 * Likelihoods of observed targets given simulated results.
 *
 * The target likelihoods (counts, shares, ratios, durations) absorb the
 * simulation's own noise — the simulated figure is itself an estimate — so
 * that more simulated volume (a larger --scale K) only sharpens them, never
 * biases them; the plain pmfs (Poisson, negative binomial, binomial,
 * beta-binomial) are their building blocks. Every cs_calib_loglik_* function
 * is pure and returns the natural log of the probability (mass or density) of
 * the OBSERVED value, -INFINITY when the observation is impossible under the
 * simulated result, and NaN when an argument is invalid (negative count,
 * x > n, non-positive scale, ...).
 * ====================================================================== */

/* log Poisson(y | mu) = y ln(mu) - mu - ln(y!), y a whole number >= 0, mu >= 0
 * (mu = 0 gives 0 for y = 0 and -INFINITY otherwise). */
double cs_calib_loglik_poisson(double y, double mu);

/* log NegBin(y | mean mu, shape r):
 *   ln G(y + r) - ln G(r) - ln(y!) + r ln(r / (r + mu)) + y ln(mu / (r + mu)),
 * variance mu + mu^2 / r; r = +INFINITY gives the Poisson. r > 0, mu >= 0. */
double cs_calib_loglik_negbin(double y, double mu, double r);

/* log Binomial(x | n, p) = ln C(n, x) + x ln p + (n - x) ln(1 - p); x <= n whole,
 * 0 <= p <= 1. */
double cs_calib_loglik_binomial(double x, double n, double p);

/* log BetaBinomial(x | n, a, b) = ln C(n, x) + ln B(x + a, n - x + b) - ln B(a, b),
 * the probability of x of n when the share is Beta(a, b); a, b > 0. */
double cs_calib_loglik_betabinomial(double x, double n, double a, double b);

/* COUNTS: an observed count y (published units) given x events simulated in K
 * real volumes (K = --scale times the number of runs summed into x), u published
 * units per simulated unit (unit_factor) and c the coefficient of variation of
 * the observation beyond Poisson (c = 0: Poisson observation).
 *
 * Derivation. Treat the simulated count as x ~ Poisson(K lambda) (the events
 * of a large run are nearly independent); a flat prior on the simulated rate
 * lambda then gives lambda | x ~ Gamma(shape a = x + 1, rate K): expected rate
 * (x + 1) / K. The observation is y ~ Poisson(u lambda e) with reporting
 * noise e ~ Gamma(shape 1/c^2, rate 1/c^2) (mean 1, cv c; e = 1 when c = 0).
 *   c = 0:  integrating lambda out gives exactly the negative binomial
 *           NegBin(y | mean m = u a / K, shape r = a) — gamma-Poisson.
 *   c > 0:  u lambda e is a product of two independent gammas with mean m and
 *           squared cv (1 + 1/a)(1 + c^2) - 1 = c^2 + (1 + c^2) / a; it is
 *           replaced by the gamma with the same mean and cv, so
 *               y ~ NegBin(mean m = u (x + 1) / K, shape r = 1 / (c^2 + (1 + c^2) / (x + 1))).
 *           This matches the exact compound in mean and variance, and is exact
 *           at c = 0 and in the limit K -> infinity.
 * As K -> infinity with x / K -> lambda, a -> infinity and the likelihood tends
 * to the plain Poisson(y | u lambda) (c = 0) or to NegBin(y | mean u lambda,
 * shape 1 / c^2) (c > 0): a larger --scale only removes simulation noise. */
double cs_calib_loglik_count(double y, double x, double K, double u, double c);

/* SHARES: x of n observed, given x_sim of n_sim simulated. The simulated share's
 * posterior under a uniform prior is Beta(a = x_sim + 1, b = n_sim - x_sim + 1);
 * the predictive probability of x of n is the beta-binomial
 * cs_calib_loglik_betabinomial(x, n, a, b), with mean n (x_sim + 1) / (n_sim + 2).
 * As n_sim -> infinity it tends to Binomial(x | n, x_sim / n_sim). */
double cs_calib_loglik_share(double x, double n, double x_sim, double n_sim);

/* RATIOS: an observed ratio v > 0 whose log has standard deviation s_obs, given
 * a simulated ratio rho > 0 whose log has standard error s_sim (0 if unknown):
 * lognormal, ln v ~ N(ln rho, s^2) with s^2 = s_obs^2 + s_sim^2 (the two noises
 * are independent, so their variances add):
 *   log L = -ln v - ln(s sqrt(2 pi)) - (ln v - ln rho)^2 / (2 s^2).
 * rho = 0 gives -INFINITY. s > 0 is required. */
double cs_calib_loglik_lognormal(double v, double s_obs, double rho, double s_sim);

/* DURATIONS: an observed mean v with standard deviation sd_obs (of the
 * published figure), given a simulated mean mu with standard error se_sim
 * (0 if unknown): normal, v ~ N(mu, sd_obs^2 + se_sim^2). */
double cs_calib_loglik_normal(double v, double sd_obs, double mu, double se_sim);

/* The standard deviation of ln(v) for a ratio published with a 95% interval
 * [lo, hi] (0 < lo < hi), assuming the interval is symmetric on the log scale:
 * (ln hi - ln lo) / (2 x 1.959964). NaN if the interval is invalid. */
double cs_calib_log_sd_from_ci95(double lo, double hi);

/* The standard deviation of ln(v) for a ratio published as value v > 0 with
 * standard deviation sd > 0 (of v itself): the lognormal with that mean and sd
 * has sqrt(ln(1 + (sd / v)^2)). NaN if invalid. */
double cs_calib_log_sd_from_sd(double v, double sd);

/* The standard error of ln(r) for a simulated ratio of two shares
 * r = (x1 / n1) / (x2 / n2), by the delta method (Katz et al. 1978), with 1/2
 * added to every count (Haldane–Anscombe) so that zero counts give a finite
 * value: sqrt(1/(x1+.5) - 1/(n1+.5) + 1/(x2+.5) - 1/(n2+.5)). NaN if invalid
 * (x > n or negative). */
double cs_calib_log_ratio_se(double x1, double n1, double x2, double n2);

/* A target's likelihood family (the scenario's `likelihood:`). */
typedef enum cs_calib_family {
    CS_CALIB_POISSON = 1,  /* count: cs_calib_loglik_count with c = 0 */
    CS_CALIB_NEGBIN,       /* count: cs_calib_loglik_count with c = spread */
    CS_CALIB_BINOMIAL,     /* share: binomial at p = x_sim / n_sim; ignores the
                              simulation noise (use BETABINOMIAL unless n_sim is huge) */
    CS_CALIB_BETABINOMIAL, /* share: cs_calib_loglik_share */
    CS_CALIB_LOGNORMAL,    /* ratio: cs_calib_loglik_lognormal, s_obs = spread */
    CS_CALIB_NORMAL        /* duration: cs_calib_loglik_normal, sd_obs = spread */
} cs_calib_family;

/* One observed target, as the likelihood needs it. */
typedef struct cs_calib_target {
    cs_calib_family family;
    double observed;    /* count y | share numerator x | ratio v | mean duration v */
    double observed_n;  /* share denominator n (BINOMIAL, BETABINOMIAL only) */
    double spread;      /* NEGBIN: cv c > 0; LOGNORMAL: sd of ln v > 0 (see the
                           cs_calib_log_sd_* helpers); NORMAL: sd > 0; else unused */
    double unit_factor; /* count families: published units per simulated unit, > 0
                           (1 if the scenario gives none); multiplies the simulated
                           count; unused by the other families. An uncertain
                           factor is one more z coordinate, mapped by the caller */
    double weight;      /* >= 0 (1 if none); multiplies the log-likelihood;
                           0 leaves the target out */
} cs_calib_target;

/* What one point's simulation gave for a target. */
typedef struct cs_calib_simulated {
    double value; /* count: events x summed over runs | share: numerator x_sim |
                     ratio: rho | duration: simulated mean */
    double n;     /* count: K, the real volumes simulated (scale x runs) |
                     share: denominator n_sim | unused otherwise */
    double se;    /* ratio: se of ln rho | duration: se of the mean | 0 if unknown */
} cs_calib_simulated;

/* Checks a target: a known family, whole observed counts, x <= n, positive
 * spread where one is needed, positive unit_factor, non-negative weight, all
 * finite. Returns CS_OK or CS_EINVAL with one message per problem, each
 * prefixed with `name` (may be NULL). */
int cs_calib_target_check(const cs_calib_target *t, const char *name, cs_error *err);

/* weight x the family's log-likelihood of t given s (weight 0 gives 0, even
 * when the likelihood is -INFINITY). NaN when t is invalid (see
 * cs_calib_target_check) or s is (negative or NaN counts, x_sim > n_sim,
 * K <= 0, negative se); -INFINITY when the observation is impossible. */
double cs_calib_loglik(const cs_calib_target *t, const cs_calib_simulated *s);

/* One draw of the OBSERVED figure from t's likelihood given s — what the
 * publication would show if the simulated system were the real one — for the
 * posterior predictive check (cs_calib_predictive_check): counts
 * NegBin(mean m, shape r) of cs_calib_loglik_count (drawn as Poisson of a
 * gamma), shares BetaBinomial(n, x_sim + 1, n_sim - x_sim + 1) (Binomial(n,
 * x_sim / n_sim) for BINOMIAL), ratios exp(N(ln rho, s^2)), durations
 * N(mu, s^2). The weight plays no part. r is any GSL generator (casesim loads
 * a keyed stream into a cs_gsl_rng_pcg32). Returns NaN when t or s is invalid
 * (as cs_calib_loglik) or a share's n exceeds UINT_MAX. */
double cs_calib_predictive_draw(const cs_calib_target *t, const cs_calib_simulated *s, gsl_rng *r);

/* ======================================================================
 * IMIS: ask for a wave of points, tell their log-likelihoods, repeat.
 *
 *   cs_calib_imis *m;
 *   cs_calib_imis_config cfg;
 *   cs_calib_imis_config_default(&cfg, D);
 *   cfg.seed = seed;
 *   if (cs_calib_imis_alloc(&cfg, &m, err)) goto fail;
 *   const double *z; size_t n;
 *   while (cs_calib_imis_status(m) == CS_CALIB_RUNNING) {
 *       cs_calib_imis_ask(m, &z, &n);           // n points, z[i*D + d]
 *       #pragma omp parallel for                // any order, any thread count
 *       for (size_t i = 0; i < n; i++) loglik[i] = simulate_and_score(z + i * D);
 *       if (cs_calib_imis_tell(m, loglik, n, err)) goto fail;
 *       cs_calib_imis_state st; cs_calib_imis_get_state(m, &st);
 *       save(&st);                              // e.g. HDF5; restore with
 *   }                                           // cs_calib_imis_restore
 *   puts(cs_calib_imis_message(m));
 *   cs_calib_imis_result r; cs_calib_imis_get_result(m, &r);  // points + weights
 * ====================================================================== */

/* Why a run stopped (or that it has not). */
typedef enum cs_calib_status {
    CS_CALIB_RUNNING = 0,     /* a wave is waiting to be evaluated */
    CS_CALIB_CONVERGED,       /* ESS reached the target */
    CS_CALIB_MAX_EVALUATIONS, /* the evaluation limit came first */
    CS_CALIB_STALLED,         /* the weights collapsed: no progress (stall rule) */
    CS_CALIB_NO_SUPPORT       /* every point evaluated has likelihood zero */
} cs_calib_status;

/* A short English name of a status ("converged", ...); never NULL. */
const char *cs_calib_status_name(cs_calib_status s);

/* The stall rule. After wave W (wave 0 is the Sobol sample), with S =
 * stall_waves, the run has stalled when W >= S and both
 *   max(ESS_0, ..., ESS_W) < CS_CALIB_STALL_ESS_GAIN x max(ESS_0, ..., ESS_{W-S})
 *   best_W < best_{W-S} + CS_CALIB_STALL_LOGPOST_GAIN
 * where best_W is the highest log posterior (log-likelihood + log prior) of any
 * point so far: over the last S waves neither the highest ESS reached nor the
 * best fit has improved. Both are needed: while IMIS homes in on a posterior
 * much narrower than the prior, the ESS stays near 1 for several waves while
 * the best fit improves by many log units; once it has found the mode, the
 * ESS grows. The highest ESS so far is used, not the current one, because the
 * current ESS jumps: it falls back, sometimes tenfold, for a wave or two
 * whenever a new point lands where the mixture is still thin (its weight
 * spikes until a component covers it). When neither measure moves for S
 * waves, a few points (often ones whose noisy likelihood came out lucky) hold
 * all the weight and more waves will not help. A 5% gain is the least we call
 * growth; one log unit is a factor e in posterior density. The default S = 20
 * comes from trials in 6 dimensions (a ridge and a banana-shaped posterior,
 * 20 seeds each): S = 10 stopped 2 to 4 runs of 20 that went on to converge,
 * S = 20 none, while a likelihood noise of sd 3 log units still converged and
 * one of sd 4 stalled or hit the evaluation limit. A stalled run can be
 * resumed (cs_calib_imis_restore) with a larger stall_waves. */
#define CS_CALIB_STALL_ESS_GAIN 1.05
#define CS_CALIB_STALL_LOGPOST_GAIN 1.0
#define CS_CALIB_MAX_STALL_WAVES 100000

/* Standard errors by which a coordinate's tempered mean or variance must
 * differ from the prior's for it to count as informed (INFORMED COORDINATES
 * above). The two errors cost differently: calling an uninformed coordinate
 * informed centres components at the best point's value of it, a draw from
 * the prior, and such components, narrower than the prior and off its
 * centre, give heavy-tailed weights whose Kish ESS overstates their precision
 * (at 3, runs of the 36-dimensional trials below reported convergence with
 * means 8 to 12 SE wrong); missing an informed one only leaves the prior's
 * width there until the temperature rises. Trials (30 dimensions with 4
 * informed, 36 with 5 and with 8; 4, 4 and 3 seeds; N0 = 50 D, waves of
 * 10 D, target ESS 300, limit 15,000): at 4, 10 of 11 runs converged in 2,700
 * to 5,400 evaluations with every posterior mean within 2.9 SE of the exact
 * one (the largest of 30 to 36 normal deviates), the 11th stopped at the
 * limit with ESS 153; 5 left 3 of the 8-informed runs at the limit. */
#define CS_CALIB_INFORMED_SE 4.0

typedef struct cs_calib_imis_config {
    size_t dim;             /* D, 1 .. CS_CALIB_MAX_DIM */
    size_t n_initial;       /* N0 Sobol points of the prior, >= 2 */
    size_t wave_size;       /* B points per later wave, >= 1 */
    size_t n_neighbours;    /* points whose covariance shapes each new component,
                               >= D + 1 (Raftery & Bao use B); half of it is the
                               ESS that decides the informed coordinates */
    double target_ess;      /* stop once the Kish ESS reaches this, > 0 */
    size_t max_evaluations; /* stop once this many points are evaluated, >= N0 */
    size_t stall_waves;     /* S of the stall rule, 1 .. CS_CALIB_MAX_STALL_WAVES */
    uint64_t seed;          /* the key of every random number */
} cs_calib_imis_config;

/* Defaults for D coordinates: N0 = max(500, 100 D), B = n_neighbours =
 * max(100, 20 D), target ESS 1000, max_evaluations 50000, S = 20, seed 1. */
void cs_calib_imis_config_default(cs_calib_imis_config *cfg, size_t dim);

/* Checks cfg (ranges above). Returns CS_OK or CS_EINVAL with a message per
 * problem. */
int cs_calib_imis_config_check(const cs_calib_imis_config *cfg, cs_error *err);

typedef struct cs_calib_imis cs_calib_imis;

/* Starts a run: its first wave is the N0 first Sobol points, mapped to z
 * through Phi^-1. The sequence's own first point, all zeros, is left out
 * (Phi^-1(0) is -infinity; GSL's gsl_qrng_sobol already starts at the next
 * one, (1/2, ..., 1/2), which is z = 0: the prior median of every input).
 * *out owns everything; free with cs_calib_imis_free. Returns CS_OK, CS_EINVAL
 * (bad cfg) or CS_ENOMEM. */
int cs_calib_imis_alloc(const cs_calib_imis_config *cfg, cs_calib_imis **out, cs_error *err);

/* Frees m. NULL is a no-op. */
void cs_calib_imis_free(cs_calib_imis *m);

/* The wave waiting to be evaluated: *n points at *z (row-major, n x D), owned
 * by m and valid until the next tell or free. Calling it again
 * returns the same points. *n = 0 (and *z = NULL) once the run has stopped.
 * Returns the wave's index (0 = the Sobol sample). */
size_t cs_calib_imis_ask(const cs_calib_imis *m, const double **z, size_t *n);

/* Receives the log-likelihoods of the wave from cs_calib_imis_ask, in its
 * order (n must equal its size). -INFINITY is allowed (the point cannot
 * produce the targets); NaN and +INFINITY are not. Updates the weights and the
 * ESS, applies the stopping rules and, if the run goes on, prepares the next
 * wave. Returns CS_OK; CS_EINVAL (wrong n, a NaN or +INFINITY, or the run has
 * stopped) leaving m unchanged; CS_ENOMEM, or CS_EINTERNAL if a new component's
 * covariance cannot be made positive definite, leaving m unusable but freeable. */
int cs_calib_imis_tell(cs_calib_imis *m, const double *loglik, size_t n, cs_error *err);

cs_calib_status cs_calib_imis_status(const cs_calib_imis *m);

/* One plain-English sentence or paragraph on where the run is or why it
 * stopped (how far it got and, when it stopped short, what to do). Owned by
 * m, valid until the next tell or free. */
const char *cs_calib_imis_message(const cs_calib_imis *m);

/* The weighted sample so far (committed points only). Pointers owned by m,
 * valid until the next tell or free. */
typedef struct cs_calib_imis_result {
    size_t dim;
    size_t n_points;      /* evaluations so far */
    size_t n_waves;       /* finished waves, including wave 0 */
    const double *z;      /* [n_points][dim] */
    const double *loglik; /* [n_points] */
    const double *weight; /* [n_points] normalised importance weights, sum 1 */
    double ess;           /* Kish: (sum w)^2 / sum w^2 */
    double log_evidence;  /* ln of the mean unnormalised weight: an estimate
                             of ln p(targets), for comparing scenarios */
    double best_logpost;  /* highest log-likelihood + log prior of any point */
    cs_calib_status status;
} cs_calib_imis_result;

void cs_calib_imis_get_result(const cs_calib_imis *m, cs_calib_imis_result *r);

/* The state after the last finished wave, as plain arrays to save. Everything
 * else (densities, weights, the next wave) is recomputed from it, by the same
 * code and in the same order, on restore. Pointers owned by m, valid until the
 * next tell or free. */
typedef struct cs_calib_imis_state {
    size_t dim;
    size_t n_initial;
    size_t n_points;     /* n_initial + sum of wave_size */
    size_t n_components; /* later waves finished (= waves - 1) */
    uint64_t seed;
    const double *z;            /* [n_points][dim] */
    const double *loglik;       /* [n_points] */
    const double *center;       /* [n_components][dim] */
    const double *covariance;   /* [n_components][dim][dim] */
    const uint64_t *wave_size;  /* [n_components] points drawn from each component */
    const double *ess;          /* [n_components + 1] ESS after each wave */
    const double *best_logpost; /* [n_components + 1] best log posterior after each wave */
    uint64_t checksum;          /* cs_calib_imis_state_checksum of all the above */
} cs_calib_imis_state;

void cs_calib_imis_get_state(const cs_calib_imis *m, cs_calib_imis_state *st);

/* A 64-bit hash (SplitMix64 chained over every word) of the sizes, the seed and
 * the arrays of st, checksum excluded: restore refuses a state whose arrays
 * changed after it was saved. */
uint64_t cs_calib_imis_state_checksum(const cs_calib_imis_state *st);

/* Rebuilds a run from a saved state (the arrays are copied). cfg must have the
 * saved dim, n_initial and seed; its stopping settings (target_ess,
 * max_evaluations, stall_waves) and wave sizes may differ, so a run that
 * stopped can be continued with a larger budget. With the same cfg, the
 * restored run continues exactly (bit for bit) as the original would have.
 * Checks the state: the checksum (a damaged file), sizes that add up, finite z
 * and log-likelihoods (or -INFINITY), covariances that are positive definite,
 * and that the ESS and best fit recomputed for the last wave equal the saved
 * ones bit for bit (a state written by a different version of this code, whose
 * continuation would not be the same). Returns CS_OK, CS_EINVAL or CS_ENOMEM. */
int cs_calib_imis_restore(const cs_calib_imis_config *cfg, const cs_calib_imis_state *st,
                          cs_calib_imis **out, cs_error *err);

/* ======================================================================
 * Point fit: Nelder–Mead on the negative log posterior in z-space.
 * ====================================================================== */

/* The caller's log-likelihood at z (dim coordinates). With common random
 * numbers (the same seeds at every point) it is a deterministic function of z.
 * Writes *loglik (-INFINITY allowed) and returns CS_OK, or returns an error
 * status (with a message in err) that stops the fit. */
typedef int (*cs_calib_loglik_fn)(void *ctx, const double *z, size_t dim, double *loglik,
                                  cs_error *err);

typedef struct cs_calib_optim_config {
    size_t dim;            /* 1 .. CS_CALIB_MAX_DIM */
    size_t n_candidates;   /* Sobol points evaluated to choose the starts, >= n_starts */
    size_t n_starts;       /* simplex runs, from the best candidates, >= 1 */
    size_t max_iterations; /* per start, >= 1 */
    double step;           /* initial simplex step along each axis, in prior sd, > 0 */
    double size_tol;       /* stop a start when the simplex size (GSL: mean
                              distance of the vertices from their centroid, in
                              prior sd) falls below this, > 0 */
} cs_calib_optim_config;

/* Defaults: 4 starts from the best of 16 Sobol candidates (the first
 * candidate is z = 0, the prior median of every input), step 0.5, size_tol
 * 1e-3 (a thousandth of a prior sd), 200 D iterations per start. */
void cs_calib_optim_config_default(cs_calib_optim_config *cfg, size_t dim);

typedef struct cs_calib_optim_result {
    size_t dim;
    size_t n_starts;
    size_t best_start;   /* index of the start that found best_z */
    double *best_z;      /* [dim] the lowest negative log posterior found */
    double best_value;   /* -(loglik + ln N(best_z; 0, I)) */
    double best_loglik;  /* the caller's log-likelihood at best_z (recovered from
                            best_value, so to rounding; -INFINITY if zero) */
    double *start_z;     /* [n_starts][dim] */
    double *final_z;     /* [n_starts][dim] */
    double *final_value; /* [n_starts] */
    size_t *iterations;  /* [n_starts] */
    int *converged;      /* [n_starts] 1 if size_tol was met, 0 if max_iterations */
    size_t evaluations;  /* calls of the log-likelihood, candidates included */
} cs_calib_optim_result;

/* Minimises f(z) = -(loglik(z) + ln N(z; 0, I)) with GSL's
 * gsl_multimin_fminimizer_nmsimplex2. The n_candidates first Sobol points
 * (after the all-zero one, mapped through Phi^-1) are evaluated, and a simplex
 * run starts from each of the n_starts best (ties: the earlier point). Each run
 * stops when the simplex size is below size_tol (converged) or after
 * max_iterations. A log-likelihood of -INFINITY is given the finite value
 * 1e100 so that the simplex can walk away from it. The caller re-checks
 * best_z on fresh seeds. *out is owned by the caller (free with
 * cs_calib_optim_result_free). Returns CS_OK, CS_EINVAL, CS_ENOMEM, the
 * callback's status, or CS_EINTERNAL if GSL fails. */
int cs_calib_optimize(const cs_calib_optim_config *cfg, cs_calib_loglik_fn f, void *ctx,
                      cs_calib_optim_result **out, cs_error *err);

void cs_calib_optim_result_free(cs_calib_optim_result *r);

/* ======================================================================
 * Posterior summaries and diagnostics, from weighted draws.
 *
 * Weights w[0..n) are non-negative and need not sum to 1; w = NULL means equal
 * weights (for resampled draws). Values are read at x[i * stride].
 * ====================================================================== */

/* Kish's effective sample size (sum w)^2 / sum w^2; n when w is NULL; 0 when
 * all weights are 0. The Monte Carlo standard error of a weighted mean is
 * about sd / sqrt(ESS) (in trials of IMIS on posteriors known in closed form,
 * 1 to 6 inputs, the root-mean-square error was 0.5 to 1.2 times that). */
double cs_calib_ess(const double *w, size_t n);

/* Weighted quantiles at probabilities p[0..np) (each in [0, 1]) into q[0..np).
 * Definition: sort the points by value, give the i-th the plotting position
 * P_i = (W_{i-1} + w_i / 2) / W (W_i the cumulative weight, W the total; the
 * Hazen rule, R's type 5 when weights are equal) and interpolate linearly in
 * P; below P_1 or above P_n the extreme value. Points of weight 0 are ignored.
 * Returns CS_OK, CS_EINVAL (no positive weight, a NaN value or weight, a p
 * outside [0, 1]) or CS_ENOMEM. */
int cs_calib_quantiles(const double *x, size_t stride, const double *w, size_t n, const double *p,
                       size_t np, double *q, cs_error *err);

/* One quantity's posterior. */
typedef struct cs_calib_marginal {
    double mean;
    double variance; /* sum w (x - mean)^2 / (1 - sum w^2), w normalised: unbiased
                        for reliability weights; n - 1 divisor for equal weights;
                        NaN when a single point carries all the weight */
    double median;
    double lower;     /* 2.5% */
    double upper;     /* 97.5% */
    double shrinkage; /* 1 - variance / prior_variance; NaN if prior_variance is not > 0 */
    double ess;       /* Kish ESS of the weights (the same for every quantity) */
} cs_calib_marginal;

/* Summarises one quantity (a z coordinate, or an input's value after the
 * caller's mapping; prior_variance is 1 for z, or the prior's variance of the
 * value, or NaN if none). Returns as cs_calib_quantiles. */
int cs_calib_marginal_summary(const double *x, size_t stride, const double *w, size_t n,
                              double prior_variance, cs_calib_marginal *out, cs_error *err);

/* The weighted covariance (dim x dim, same divisor as the variance above) of
 * draws x[i * dim + d], and if corr is not NULL the correlation matrix (NaN
 * where a variance is 0). Returns CS_OK, CS_EINVAL (dim 0, no positive weight,
 * NaN values, or a single point with all the weight) or CS_ENOMEM. */
int cs_calib_covariance(const double *x, size_t dim, const double *w, size_t n, double *cov,
                        double *corr, cs_error *err);

/* Systematic resampling (Kitagawa 1996): m indices into the n weighted points,
 * idx[k] = the point whose cumulative-weight interval holds (u + k) / m, u one
 * uniform from the stream *key (use purpose CS_STREAM_CALIBRATION, group
 * CS_CALIB_KEY_RESAMPLE); each point appears floor or ceil of m w_i times.
 * The m indices are then shuffled (Fisher–Yates, same stream), so that any
 * first k of them are a fair subsample. Returns CS_OK or CS_EINVAL (m = 0, no
 * positive weight, a negative or NaN weight). */
int cs_calib_resample(const double *w, size_t n, size_t m, const cs_stream_key *key, size_t *idx,
                      cs_error *err);

/* A target's posterior predictive check. */
typedef struct cs_calib_predictive {
    double observed;
    double mean;
    double sd;     /* as the variance above */
    double lower;  /* 2.5% */
    double upper;  /* 97.5% */
    double z;      /* (observed - mean) / sd; NaN if sd is 0 or NaN */
    double pit;    /* probability integral transform: the weight of draws below
                      the observed plus half the weight of draws equal to it
                      (mid-rank for ties), over the total weight */
    size_t n_used; /* draws used (NaN draws are skipped) */
} cs_calib_predictive;

/* Summarises predictive draws y[i * stride] (what each posterior draw's
 * simulation, with observation noise, gives for the target) against the
 * observed value. Returns CS_OK or CS_EINVAL (no usable draw, NaN observed,
 * bad weights) or CS_ENOMEM. */
int cs_calib_predictive_check(const double *y, size_t stride, const double *w, size_t n,
                              double observed, cs_calib_predictive *out, cs_error *err);

/* ----------------------------------------------------------------------
 * Identifiability: which inputs the targets cannot tell apart.
 *
 * Input: the posterior covariance C of the z coordinates (prior covariance I,
 * so an eigenvalue of C is directly the posterior share of the prior
 * variance along its eigenvector). Steps:
 *  1. For each input, its squared multiple correlation with all the others,
 *     R_i^2 = 1 - 1 / (C_ii (C^-1)_ii). An input with R_i > 0.8 is "tied": the
 *     others pin down more than 64% of its posterior variance. 0.8 is the
 *     usual "strong correlation" line: at |rho| = 0.8 one input fixes the other
 *     to within 60% (sqrt(1 - 0.64)) of its own spread, so reporting the two as
 *     separate intervals would mislead; it applies to pairs (|rho_ij| > 0.8)
 *     and, through R_i, to combinations of three or more inputs (when only
 *     x y w is observed, no pair need reach 0.8).
 *  2. Tied inputs are grouped: i and j go together when |rho_ij| > 0.8 or
 *     their partial correlation given all other inputs exceeds
 *     CS_CALIB_PARTIAL_LINK in magnitude (between inputs that no target
 *     connects it is near 0, within 1/sqrt(ESS); between inputs of which only
 *     a combination is observed it approaches 1; 0.5 sits well between).
 *  3. For each group, the eigen-decomposition of its block of C (relative to
 *     the prior: eigenvalue = posterior / prior variance along the direction).
 *     If some direction keeps at least CS_CALIB_FREE_VARIANCE of its prior
 *     variance (the targets removed less than half of what was unknown along
 *     it, while the group's best-informed combination is tight, since its
 *     inputs are tied), the targets do not separate the group: a ridge (warning,
 *     CS_CALIB_UNSEPARATED). Otherwise the inputs are correlated but each is
 *     constrained (note, CS_CALIB_CORRELATED).
 *  4. An input that is not tied and keeps more than CS_CALIB_UNINFORMED of its
 *     prior variance (shrinkage below 10%: about twice the Monte Carlo error
 *     of a variance estimated at ESS 1000) is barely informed by the targets
 *     (note, CS_CALIB_UNINFORMED_INPUT).
 * ---------------------------------------------------------------------- */
#define CS_CALIB_RHO_STRONG 0.8
#define CS_CALIB_PARTIAL_LINK 0.5
#define CS_CALIB_FREE_VARIANCE 0.5
#define CS_CALIB_UNINFORMED 0.9

typedef enum cs_calib_finding_kind {
    CS_CALIB_UNSEPARATED = 1, /* warning: the targets fix only a combination */
    CS_CALIB_CORRELATED,      /* note: strongly correlated, each constrained */
    CS_CALIB_UNINFORMED_INPUT /* note: one input keeps (almost) its prior */
} cs_calib_finding_kind;

typedef struct cs_calib_finding {
    cs_calib_finding_kind kind;
    size_t n_inputs;                 /* inputs involved */
    size_t inputs[CS_CALIB_MAX_DIM]; /* their indices, increasing */
    double rho;                      /* the pair's correlation (2 inputs), else NaN */
    double free_variance;            /* largest posterior/prior variance of any
                                        direction of the group (or of the input) */
    double fixed_variance;           /* smallest (the best-informed combination) */
    size_t n_free;                   /* directions with >= CS_CALIB_FREE_VARIANCE */
    double ridge[CS_CALIB_MAX_DIM];  /* [dim] unit z-direction of free_variance
                                        (sign: first involved input positive) */
    double fixed[CS_CALIB_MAX_DIM];  /* [dim] unit z-direction of fixed_variance */
    char text[2048];                 /* the finding in plain words (cut, never
                                        overrun, if the names are very long) */
} cs_calib_finding;

/* Runs the check on the posterior covariance cov (dim x dim, z-space) and
 * names[0..dim) (NULL: "input 1", "input 2", ...). *findings (owned by the
 * caller, free()) receives *n_findings items, warnings first; none when all is
 * well. Returns CS_OK, CS_EINVAL (dim out of range, a covariance that is not
 * positive definite — e.g. fewer effective draws than inputs) or CS_ENOMEM. */
int cs_calib_identifiability(const double *cov, size_t dim, const char *const *names,
                             cs_calib_finding **findings, size_t *n_findings, cs_error *err);

#ifdef __cplusplus
}
#endif
#endif
