/*
 * casesim/calibration_file.h — the file `casesim calibrate -o CAL.h5`
 * writes, and what `casesim report CAL.h5` reads back (its layout:
 * analysis/README.md, "Calibration files").
 *
 * A calibration file is of the results family (HDF5, root attributes,
 * /scenario/source byte for byte, provenance) with `format`
 * "casesim-calibration" and the results' format version; its /calibration
 * group holds the posterior sample (z, values, log-likelihoods, weights,
 * every target's simulated sums), the inputs' prior and posterior table, the
 * posterior correlations, the identifiability findings, and the fitted and
 * held-out targets' predictive checks in separate tables.
 */
#ifndef CASESIM_CALIBRATION_FILE_H
#define CASESIM_CALIBRATION_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casesim/calibrate.h"
#include "casesim/error.h"
#include "casesim/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CS_CALIBRATION_FORMAT "casesim-calibration"

/* Writes calibration c of scenario s to path (created or truncated), with
 * the command line as given (NULL: "") and status "complete" when complete,
 * else "incomplete" (an interrupted run's finished waves). Returns CS_OK or
 * CS_EIO / CS_ENOMEM (the file must then be considered unusable). */
int cs_calibration_write(const char *path, const cs_scenario *s, const cs_calibration *c,
                         const char *command_line, bool complete, cs_error *err);

/* One table of targets as read back. */
typedef struct cs_calibration_targets {
    size_t n;
    char **name, **kind, **period, **source;
    double *observed, *mean, *sd, *lower, *upper, *z, *pit;
} cs_calibration_targets;

/* What a report shows of a calibration file. */
typedef struct cs_calibration_file {
    char *scenario_name, *status, *stop, *message, *command_line;
    char *method;          /* "imis", "optimize", or "predictive" for a predictive check; NULL in
                              files of earlier builds (IMIS) */
    char *created;         /* when the file was made (UTC, ISO 8601) */
    char *casesim_version; /* the casesim that made it */
    uint64_t seed, scale, evaluations, waves;
    bool common_seeds; /* every point ran in the same replicates (--common-seeds) */
    double ess;
    /* A point fit's log-likelihood at the optimum on the fit's seeds and on
     * fresh ones; NaN otherwise. */
    double loglik_fit_seeds, loglik_fresh_seeds;
    size_t n_inputs;
    char **input_names;
    double *prior_median, *prior_lower, *prior_upper;
    double *posterior_median, *posterior_lower, *posterior_upper, *shrinkage;
    size_t n_findings;
    char **findings;
    cs_calibration_targets fitted, held_out;
} cs_calibration_file;

/* Whether path is a calibration file (its `format` attribute); false for
 * anything else, including files HDF5 cannot open. */
bool cs_calibration_file_is(const char *path);

/* Reads the summaries of the calibration file at path into a new *out
 * (free with cs_calibration_file_free). Returns CS_OK, CS_EFORMAT (not a
 * calibration file, another major version, a damaged or missing table),
 * CS_EIO or CS_ENOMEM. */
int cs_calibration_file_read(const char *path, cs_calibration_file **out, cs_error *err);

void cs_calibration_file_free(cs_calibration_file *f);

/* Whether the calibration f (read from path) was made with the uncertain
 * inputs of s: the same number of values, names and priors (their median
 * and 2.5% and 97.5% quantiles, bit for bit). The scenario's text may
 * differ otherwise (interventions added after the calibration, say).
 * Returns CS_OK or CS_EUSAGE with the first difference. */
int cs_calibration_file_check_inputs(const cs_calibration_file *f, const cs_scenario *s,
                                     const char *path, cs_error *err);

/* Reads back from the calibration file at path what `--resume` needs: a new
 * *out with the points (z, loglik, weight, target sums), the sampler's
 * state and the run's settings (dim, n_targets, seed, scale, n_initial,
 * wave_size; its summaries are left empty), and in *source (free()) the
 * scenario text the file was made from. Returns CS_OK, CS_EFORMAT (not a
 * calibration file, or a missing or damaged part), CS_EIO or CS_ENOMEM. */
int cs_calibration_file_load(const char *path, cs_calibration **out, char **source, cs_error *err);

#ifdef __cplusplus
}
#endif
#endif
