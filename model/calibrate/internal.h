/*
 * calibrate/internal.h — what the calibration driver's files share
 * (internal).
 */
#ifndef CASESIM_CALIBRATE_INTERNAL_H
#define CASESIM_CALIBRATE_INTERNAL_H

#include "casesim/calibrate.h"

/* Simulates the n points z[0 .. n) (z-space, n x D) numbered first ..
 * first + n - 1 in the calibration, each in cfg->scale replicates of the
 * baseline, and writes each point's target sums into sums[n][n_targets]
 * [CS_TARGET_SUMS] (zeroed first). Returns CS_OK, CS_EINTERRUPTED (cfg->stop)
 * or the engine's error. */
int cs_calibrate_evaluate(const cs_scenario *s, const cs_calibrate_config *cfg, const double *z,
                          size_t n, uint64_t first, double *sums, cs_error *err);

/* Fills c's summaries (values, inputs, correlation, findings, predictive
 * checks) from its points, log-likelihoods, weights and sums. Returns CS_OK,
 * CS_ENOMEM or an analysis error. */
int cs_calibrate_summarise(const cs_scenario *s, cs_calibration *c, cs_error *err);

#endif
