/*
 * calibrate/internal.h — what the calibration driver's files share
 * (internal).
 */
#ifndef CASESIM_CALIBRATE_INTERNAL_H
#define CASESIM_CALIBRATE_INTERNAL_H

#include <gsl/gsl_rng.h>

#include "casesim/calibrate.h"

/* Simulates the n points z[0 .. n) (z-space, n x D) numbered first ..
 * first + n - 1 in the calibration, each in cfg->scale replicates of the
 * baseline, and writes each point's target sums into sums[n][n_targets]
 * [CS_TARGET_SUMS] (zeroed first). Returns CS_OK, CS_EINTERRUPTED (cfg->stop)
 * or the engine's error. */
int cs_calibrate_evaluate(const cs_scenario *s, const cs_calibrate_config *cfg, const double *z,
                          size_t n, uint64_t first, double *sums, cs_error *err);

/* Whether cfg->stop is set (with cfg->use_mpi in the MPI build: on any
 * rank; a collective call, so that every rank stops after the same wave). */
bool cs_calibrate_stopped(const cs_calibrate_config *cfg);

/* Fills c's summaries (values, inputs, correlation, findings, predictive
 * checks) from its points, log-likelihoods, weights and sums. Returns CS_OK,
 * CS_ENOMEM or an analysis error. */
int cs_calibrate_summarise(const cs_scenario *s, cs_calibration *c, cs_error *err);

/* One draw of target t's (index ti) observed figure given its sums
 * (cs_calib_predictive_draw), from the keyed stream (c->seed, CALIBRATION,
 * replicate key, CS_CALIB_KEY_PREDICTIVE, ti) loaded into r (a
 * cs_gsl_rng_pcg32); in the figure's units (a share as a share). NaN where
 * the simulated figure is undefined. */
double cs_calibrate_predictive_draw(const cs_calibration *c, const cs_target_spec *t, size_t ti,
                                    const double *sums, uint64_t key, gsl_rng *r);

/* Target t's observed figure in the units of cs_calibrate_predictive_draw. */
double cs_calibrate_observed_figure(const cs_target_spec *t);

/* The point fit of cs_calibrate_run (cfg->method CS_CALIBRATE_OPTIMIZE) for
 * a scenario that passed its checks. Returns as cs_calibrate_run. */
int cs_calibrate_optimize(const cs_scenario *s, const cs_calibrate_config *cfg,
                          cs_calibration **out, cs_error *err);

/* The log-likelihood over the fitted targets of each of n points from their
 * sums (sums[n][n_targets][CS_TARGET_SUMS], cfg->scale replicates each).
 * Returns CS_OK, or CS_EINTERNAL if a likelihood is NaN. */
int cs_calibrate_score(const cs_scenario *s, const cs_calibrate_config *cfg, const double *sums,
                       size_t n, double *loglik, cs_error *err);

/* Monotonic wall-clock seconds. */
double cs_calibrate_now(void);

#endif
