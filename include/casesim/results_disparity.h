/*
 * casesim/results_disparity.h — where the disparity arises, as the results
 * file records it under /disparity: the relative rate of every group at
 * every branch of every stage, the counterfactual decomposition of the
 * baseline's disparity by stage, and exposure per 100,000 population.
 *
 * The tables are computed from the per-replicate arrays of /runs when the
 * analysis tables are (cs_results_writer_close, cs_results_reanalyse), with
 * the statistics of casesim/disparity.h; their columns and the method are
 * documented in analysis/README.md. This header gives their rows and a
 * reader.
 */
#ifndef CASESIM_RESULTS_DISPARITY_H
#define CASESIM_RESULTS_DISPARITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casesim/error.h"
#include "casesim/results.h"
#include "casesim/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(member, ctype, type): the columns of /disparity/relative_rates, one row
 * per (variant other than the decomposition's, group, branch): the rate at
 * which the group's tracks entering the branch's stage take the branch
 * (pooled over replicates), the reference group's, their ratio (the
 * relative rate) and difference, each with its interval; entries is the
 * group's mean tracks entering the stage per replicate. */
#define CS_RELATIVE_RATE_FIELDS(X)                                                                 \
    X(variant, char *, CS_TYPE_STRING)                                                             \
    X(group, char *, CS_TYPE_STRING)                                                               \
    X(stage, char *, CS_TYPE_STRING)                                                               \
    X(branch, char *, CS_TYPE_STRING)                                                              \
    X(entries, double, CS_TYPE_F64)                                                                \
    X(rate, double, CS_TYPE_F64)                                                                   \
    X(rate_ci_low, double, CS_TYPE_F64)                                                            \
    X(rate_ci_high, double, CS_TYPE_F64)                                                           \
    X(reference_rate, double, CS_TYPE_F64)                                                         \
    X(ratio, double, CS_TYPE_F64)                                                                  \
    X(ratio_ci_low, double, CS_TYPE_F64)                                                           \
    X(ratio_ci_high, double, CS_TYPE_F64)                                                          \
    X(difference, double, CS_TYPE_F64)                                                             \
    X(difference_ci_low, double, CS_TYPE_F64)                                                      \
    X(difference_ci_high, double, CS_TYPE_F64)                                                     \
    X(n, int64_t, CS_TYPE_I64)

/* The columns of /disparity/decomposition, one row per (group other than
 * the reference, measure, quantity[, stage]): measure is one of the
 * baseline's disparity measures (accountability and redress, ratio and
 * difference); quantity says what the row is (analysis/README.md):
 * baseline, all_equalised (every decomposed stage equalised), processing
 * (all_equalised - baseline: the change the stages make together, the sum
 * of the Shapley shares), not_equalised (all_equalised - parity: the
 * disparity left, exposure rather than processing), and per stage
 * only_this_stage, effect_alone (only_this_stage - baseline: the change
 * when this stage alone is equalised), all_but_this_stage, effect_last
 * (all_equalised - all_but_this_stage: the change when it is equalised
 * last) and shapley (its share of the processing change). Means over
 * replicates with t intervals; sampling_se is the Monte Carlo error of
 * sampled Shapley shares (0 when exact); on the processing rows,
 * additivity_error is the largest difference over replicates between the
 * sum of the shares and the processing change (rounding only; NaN
 * elsewhere). */
#define CS_DECOMPOSITION_FIELDS(X)                                                                 \
    X(group, char *, CS_TYPE_STRING)                                                               \
    X(measure, char *, CS_TYPE_STRING)                                                             \
    X(quantity, char *, CS_TYPE_STRING)                                                            \
    X(stage, char *, CS_TYPE_STRING)                                                               \
    X(mean, double, CS_TYPE_F64)                                                                   \
    X(ci_low, double, CS_TYPE_F64)                                                                 \
    X(ci_high, double, CS_TYPE_F64)                                                                \
    X(sampling_se, double, CS_TYPE_F64)                                                            \
    X(additivity_error, double, CS_TYPE_F64)                                                       \
    X(n, int64_t, CS_TYPE_I64)

/* The columns of /disparity/exposure, one row per (variant other than the
 * decomposition's, group, measure[, violation kind]) when the scenario
 * gives populations: cohort incidents (all kinds, violation "", then each
 * kind), well-founded incidents, reported cases, accountability outcomes
 * and impunity, each per 100,000 population per year of the cohort
 * window, and the ratio to the reference group's, with intervals. */
#define CS_EXPOSURE_FIELDS(X)                                                                      \
    X(variant, char *, CS_TYPE_STRING)                                                             \
    X(group, char *, CS_TYPE_STRING)                                                               \
    X(measure, char *, CS_TYPE_STRING)                                                             \
    X(violation, char *, CS_TYPE_STRING)                                                           \
    X(population, double, CS_TYPE_F64)                                                             \
    X(rate, double, CS_TYPE_F64)                                                                   \
    X(rate_ci_low, double, CS_TYPE_F64)                                                            \
    X(rate_ci_high, double, CS_TYPE_F64)                                                           \
    X(ratio, double, CS_TYPE_F64)                                                                  \
    X(ratio_ci_low, double, CS_TYPE_F64)                                                           \
    X(ratio_ci_high, double, CS_TYPE_F64)                                                          \
    X(n, int64_t, CS_TYPE_I64)

typedef struct cs_relative_rate_row {
    CS_RELATIVE_RATE_FIELDS(CS_SCHEMA_MEMBER)
} cs_relative_rate_row;

typedef struct cs_decomposition_row {
    CS_DECOMPOSITION_FIELDS(CS_SCHEMA_MEMBER)
} cs_decomposition_row;

typedef struct cs_exposure_row {
    CS_EXPOSURE_FIELDS(CS_SCHEMA_MEMBER)
} cs_exposure_row;

/* The /disparity tables of a results file and what they rest on. */
typedef struct cs_disparity_tables {
    size_t n_relative;
    cs_relative_rate_row *relative; /* (variant, group, branch), in that order */
    bool decomposed;                /* the file holds a decomposition (maybe empty) */
    size_t n_decomposition;
    cs_decomposition_row *decomposition;
    size_t n_stages;           /* stages with group differences, decomposed */
    char **stages;             /* [n_stages] */
    uint64_t permutations;     /* sampled orders of the Shapley shares; 0: exact */
    size_t n_not_equalised;    /* group differences the decomposition leaves */
    char **not_equalised;      /* [n_not_equalised], in words */
    size_t n_exposure;         /* 0 without populations */
    cs_exposure_row *exposure; /* (variant, group, measure) */
    size_t n_sources;          /* the groups' (with populations), else 0 */
    char **sources;            /* [n_sources] where each population figure comes from */
} cs_disparity_tables;

/* The /disparity measures decomposed, in the order of the table: the
 * accountability and redress ratios and differences. */
#define CS_DISPARITY_N_MEASURES 4
extern const int cs_disparity_measures[CS_DISPARITY_N_MEASURES]; /* enum cs_measure */

/* Reads the /disparity tables of an open results file into *out (zeroed
 * first; free with cs_disparity_tables_free, also after a failure). A file
 * written before /disparity existed (format 1.1) gives empty tables.
 * Returns CS_OK, CS_EFORMAT (a table of the wrong type or with more rows
 * than the name lists allow) or CS_ENOMEM. */
int cs_results_read_disparity(const cs_results *r, cs_disparity_tables *out, cs_error *err);

/* Frees the rows and lists of t and zeroes it. */
void cs_disparity_tables_free(cs_disparity_tables *t);

/* Decomposes s (cs_scenario_decompose) when the results file r holds
 * decomposition variants, so that s has the variants the file has (a file
 * run with `casesim run --decompose` being resumed or joined). Returns
 * CS_OK or cs_scenario_decompose's error. */
int cs_results_match_decomposition(const cs_results *r, struct cs_scenario *s, cs_error *err);

#ifdef __cplusplus
}
#endif
#endif
