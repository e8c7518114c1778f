/*
 * casesim/study.h — a sensitivity study of a scenario (`casesim
 * sensitivity`): which uncertain input drives which output.
 *
 * A study joins three pieces: the scenario's uncertain inputs
 * (casesim/uncertain.h), a design on their unit hypercube and the estimators
 * (casesim/sensitivity.h), and the driver over points (casesim/engine.h).
 *
 *   cs_study_alloc: factors, design, every run's unit-cube point and the
 *     scenario values there (a table of points for cs_point_source_table);
 *   the caller runs replicate r at point r (all variants, common random
 *     numbers: every variant of point r meets the same incidents), one
 *     replicate per point, so that every point has its own simulation seed
 *     (the noise estimate and the noise correction need that);
 *   cs_study_outputs_eval: the outputs at each finished point from the
 *     variants' measures;
 *   cs_study_analyse: indices (Sobol) or elementary effects (Morris), the
 *     noise share and the one-way swings.
 *
 * The runs, in replicate order:
 *   [0, n_design)           the design (Saltelli: N rows of D + 2 points,
 *                           row j's points at j (D + 2) .. ; Morris: r
 *                           trajectories of D + 1 points);
 *   [n_design, + n_noise)   Sobol only: row j < M of matrix A once more,
 *                           with another seed (replicate number): the pairs
 *                           give the simulation's noise variance;
 *   [.., + n_tornado)       the one-way points: all inputs at their
 *                           medians, then each factor at its 5th and 95th
 *                           percentile (1 + 2D).
 * A design stopped early leaves whole Saltelli rows (or trajectories) to
 * analyse; the noise and one-way points come last because they are needed
 * only for a finished design.
 *
 * Factors. Each entry of `uncertain:` is one factor (a Dirichlet's values
 * move together: its shares are one judgement); entries with the same
 * `group:` form one factor; with group_by_stage every entry whose path
 * starts with stages.NAME is in factor NAME (entries elsewhere stay alone).
 *
 * Correlations. The design is on independent uniforms, which
 * cs_unc_from_uniform maps through the Gaussian copula: with
 * `correlations:`, the factors are the independent variables behind the
 * copula, in the order of `uncertain:` — the first entry of a correlated
 * pair carries what it explains through the later one, the later one only
 * its own part (the Cholesky order). Without correlations the factors are
 * the inputs themselves.
 *
 * Memory: _alloc/_free pairs; on error nothing is allocated and *out is
 * NULL. A study is read-only after cs_study_alloc: threads may share it.
 */
#ifndef CASESIM_STUDY_H
#define CASESIM_STUDY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casesim/error.h"
#include "casesim/scenario.h"
#include "casesim/sensitivity.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cs_study_method { CS_STUDY_SOBOL = 0, CS_STUDY_MORRIS = 1 } cs_study_method;

/* The method's name in files and messages ("sobol", "morris"). */
const char *cs_study_method_name(cs_study_method m);

/* Default trajectories of a Morris study (Campolongo et al. 2007 found 10
 * to 20 enough to rank factors). */
#define CS_STUDY_TRAJECTORIES 20

/* What a study is asked for. */
typedef struct cs_study_options {
    cs_study_method method;
    size_t samples;      /* Sobol: rows N of A and B, a power of two */
    size_t trajectories; /* Morris: r >= 2 */
    size_t noise_points; /* Sobol: M base points run twice (0: no noise estimate); <= N */
    uint64_t seed;       /* keys the design (the digital shift, Morris's trajectories) */
    bool group_by_stage; /* one factor per stage named by the entries' paths */
} cs_study_options;

/* A planned study. */
typedef struct cs_study {
    cs_study_method method;
    uint64_t seed;
    size_t n_inputs;            /* K: the scenario's uncertain values */
    size_t n_values;            /* = K: values per point */
    size_t n_factors;           /* D */
    size_t *group;              /* [K] factor of each input */
    char **factor_names;        /* [D] the entry's name, or the group's */
    char **input_names;         /* [K] */
    cs_sens_saltelli *saltelli; /* Sobol (else NULL) */
    cs_sens_morris *morris;     /* Morris (else NULL) */
    size_t n_rows;              /* Sobol: N; Morris: r */
    size_t n_correlations;      /* the scenario's correlations (see "Correlations" above) */
    size_t n_design, n_noise, n_tornado, n_points;
    double *u;      /* [n_points][K] unit-cube coordinates of every run */
    double *values; /* [n_points][K] the scenario values there */
} cs_study;

/* Plans a study of scenario s (which must have uncertain inputs): factors,
 * design, and every run's point. Returns CS_OK; CS_EINVAL with a message
 * for a scenario without `uncertain:`, a sample size that is not a power of
 * two (saying which one the design would use), too few trajectories, more
 * noise points than rows, more Sobol dimensions than GSL has (saying to
 * group the entries with `group:` or --group-by stage); CS_ENOMEM. Free
 * with cs_study_free. */
int cs_study_alloc(const cs_scenario *s, const cs_study_options *opt, cs_study **out,
                   cs_error *err);

/* Frees st. NULL is a no-op. */
void cs_study_free(cs_study *st);

/* Complete design units finished when the first `done` runs are: Saltelli
 * rows or Morris trajectories. */
size_t cs_study_units_done(const cs_study *st, uint64_t done);

/* ------------------------------------------------------------ outputs */

/* One output: measure `measure` of group row `group` (n_groups = all
 * groups) of variant `variant`, or with change, that minus the baseline's
 * at the same point. */
typedef struct cs_study_output {
    char *name; /* "impunity_rate, african_descent, baseline", "... change with outreach" */
    const char *measure_name, *group_name, *variant_name; /* the names' (not owned) */
    size_t measure, group, variant;
    bool change;
} cs_study_output;

/* A request for a measure of a group ("" group: the default group). */
typedef struct cs_study_request {
    const char *measure;
    const char *group;
} cs_study_request;

typedef struct cs_study_outputs {
    size_t n;
    cs_study_output *o;
    char *default_measure, *default_group; /* what the default outputs are of */
} cs_study_outputs;

/* The names a measure or group request is checked against. */
typedef struct cs_study_names {
    size_t n_measures;
    const char *const *measures;
    size_t n_groups; /* without "all" */
    const char *const *groups;
    size_t n_variants; /* [0] the baseline */
    const char *const *variants;
} cs_study_names;

/* Checks requests against names: returns CS_OK, or CS_EINVAL with "unknown
 * measure 'X'; did you mean 'Y'?" (the closest name by edit distance) or
 * the list of valid names. A group may be "all". */
int cs_study_check_requests(const cs_study_names *names, const cs_study_request *req, size_t n,
                            cs_error *err);

/* Builds the outputs: by default the outcome measure (default_measure,
 * e.g. the decision's or impunity_rate) of default_group for every
 * variant, the accountability ratio of default_group in the baseline, and
 * the change of the outcome measure of every other variant against the
 * baseline; then, per request, the measure of its group (default_group if
 * "") for every variant. Returns CS_OK, CS_EINVAL (an unknown name) or
 * CS_ENOMEM. Free with cs_study_outputs_free. */
int cs_study_outputs_make(const cs_study_names *names, const char *default_measure,
                          const char *default_group, const cs_study_request *req, size_t n_req,
                          cs_study_outputs *out, cs_error *err);

void cs_study_outputs_free(cs_study_outputs *o);

/* Fills y[p * o->n + k] for points p < n_points from the measures of each
 * variant: measures[v] is [n_points][n_group_rows][n_measures] (as in
 * /runs/<variant>/measures). */
void cs_study_outputs_eval(const cs_study_outputs *o, const double *const *measures,
                           size_t n_points, size_t n_group_rows, size_t n_measures, double *y);

/* ----------------------------------------------------------- analysis */

typedef struct cs_study_result {
    size_t n_outputs, n_factors;
    size_t units;                  /* Saltelli rows or trajectories analysed */
    cs_sens_sobol *sobol;          /* Sobol (else NULL) */
    cs_sens_morris_result *morris; /* Morris (else NULL) */
    cs_sens_swing *swing;          /* [n_outputs * n_factors] by decreasing swing */
    double *base;                  /* [n_outputs] output at the medians */
} cs_study_result;

/* Analyses a finished study: y[p * n_outputs + o] for every run p <
 * st->n_points. Returns CS_OK, the estimators' errors, or CS_ENOMEM. Free
 * with cs_study_result_free. */
int cs_study_analyse(const cs_study *st, const double *y, size_t n_outputs,
                     const cs_sens_options *opt, cs_study_result **out, cs_error *err);

void cs_study_result_free(cs_study_result *r);

/* ------------------------------------------------------- results file */

/* Writes /sensitivity into the closed results file at path (whose runs
 * are the study's, replicate p = run p): the design (method, sizes, seed,
 * factors, inputs, every run's unit-cube point), how many runs are done,
 * and, given r (a finished study), the outputs y [n_points][o->n], the
 * indices or elementary effects with their intervals, the noise and the
 * one-way values; without r the group is marked "incomplete". Layout:
 * analysis/README.md. Returns CS_OK, CS_EIO or CS_ENOMEM. */
int cs_study_write(const char *path, const cs_study *st, uint64_t done, const cs_study_outputs *o,
                   const double *y, const cs_study_result *r, cs_error *err);

/* /sensitivity as read back (for the report and --resume). Arrays are
 * [output][factor][4] (estimate, se, low, high), [output][4] or
 * [output][factor]; NULL where the method has none or the study is not
 * finished. */
typedef struct cs_study_file {
    char *method, *status, *outcome_measure, *outcome_group;
    uint64_t rows, n_inputs, points, design_points, noise_points, oneway_points, seed, runs_done,
        units_done, bootstrap_resamples, correlations;
    double confidence_level;
    size_t n_factors, n_outputs;
    char **factor, **output;
    char **output_measure, **output_group, **output_variant; /* [n_outputs] */
    uint8_t *output_change;                                  /* [n_outputs] 1: a change */
    double *s1, *st, *s1_noiseless, *st_noiseless;
    double *variance, *noise_variance, *noise_share;
    double *mu_star;
    double *oneway_low, *oneway_high, *oneway_base;
} cs_study_file;

struct cs_results;

/* Reads /sensitivity of the open results file r into *out, or sets *out to
 * NULL if the file has none (a file of `casesim run`). Returns CS_OK,
 * CS_EFORMAT (a part is missing or damaged: the message says which) or
 * CS_ENOMEM. Free with cs_study_file_free. */
int cs_study_read(const struct cs_results *r, cs_study_file **out, cs_error *err);

void cs_study_file_free(cs_study_file *f);

#ifdef __cplusplus
}
#endif
#endif
