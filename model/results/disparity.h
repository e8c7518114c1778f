/*
 * results/disparity.h — the /disparity tables (internal to libcasesim).
 *
 * As for the analysis tables (results/internal.h), the computation is a
 * pure function of the per-replicate arrays, read through a callback
 * (cs_disparity_compute: no HDF5, testable on arrays in memory), and the
 * file side reads its input from /scenario and /runs and writes the tables
 * (results/disparity_file.c). Arrays are read in blocks of replicates, so
 * that memory does not grow with the replicate count. The file side is
 * declared in results/disparity_file.h.
 */
#ifndef CASESIM_RESULTS_DISPARITY_INTERNAL_H
#define CASESIM_RESULTS_DISPARITY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casesim/error.h"
#include "casesim/results_disparity.h"
#include "casesim/scenario.h"

/* What the disparity tables are computed from. Groups, stages, branches,
 * violations and measures are the results file's name lists (/scenario);
 * n_violations is 0 when the file has no measures by kind (a join with
 * files of an earlier build): the exposure then has no rows per kind. */
typedef struct cs_disparity_input {
    size_t n_groups, n_stages, n_branches, n_violations, n_measures;
    const char *const *groups;
    const char *const *stages;
    const char *const *branches;
    const char *const *violations;
    const char *const *measures;
    const size_t *branch_stage;  /* [n_branches] the stage of each branch */
    size_t n_variants;           /* >= 1; variants[0] is the baseline */
    const char *const *variants; /* [n_variants] */
    const bool *decomposition;   /* [n_variants] a variant of the decomposition */
    const uint64_t *equalised;   /* [n_variants] its stages equalised (bit = stage index) */
    const double *population;    /* [n_variants][n_groups] people, or NULL: no exposure */
    double cohort_years;
    uint64_t replicates; /* of every variant */
    bool has_decomposition;
    size_t n_decomposed;      /* stages with group differences */
    const size_t *decomposed; /* [n_decomposed] their indices, increasing */
    size_t n_orders;          /* sampled orders of the Shapley shares; 0: exact */
    const uint32_t *orders;   /* [n_orders][n_decomposed] positions in decomposed[] */
    /* Reads rows [first, first + n) of per-replicate array `array` (an enum
     * cs_schema_array_index: measures, stage_entries, branch_counts or,
     * when n_violations > 0, kind_measures) of variant v into buf (row-major, the schema's
     * shape). Returns CS_OK or an error status (with err). */
    int (*load)(void *ctx, size_t v, int array, uint64_t first, uint64_t n, void *buf,
                cs_error *err);
    void *ctx;
} cs_disparity_input;

/* Computes the tables of in into *out (zeroed first; free with
 * cs_disparity_tables_free, also after a failure). Only the rows are set:
 * their strings point into in's lists (not owned: in must outlive them; do
 * not free them with the tables: use cs_disparity_rows_free). Returns
 * CS_OK; CS_EFORMAT when the measures lack one the tables need or a
 * decomposition variant is missing; CS_ENOMEM; or in->load's error. */
int cs_disparity_compute(const cs_disparity_input *in, cs_disparity_tables *out, cs_error *err);

/* The decomposition rows of cs_disparity_compute (disparity_decompose.c),
 * appended to out->decomposition. */
int cs_disparity_decompose(const cs_disparity_input *in, cs_disparity_tables *out, cs_error *err);

/* Frees the row arrays of t, not their strings (rows of cs_disparity_compute). */
void cs_disparity_rows_free(cs_disparity_tables *t);

#endif
