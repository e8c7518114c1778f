/*
 * results/disparity_file.h — the /disparity tables on the file side
 * (internal to libcasesim): what the writer records for them, and their
 * computation from an open results file (see results/disparity.h).
 */
#ifndef CASESIM_RESULTS_DISPARITY_FILE_H
#define CASESIM_RESULTS_DISPARITY_FILE_H

#include <hdf5.h>

#include "casesim/error.h"
#include "casesim/scenario.h"
#include "results/disparity.h"
#include "results/schema.h"

/* The tables' layout (disparity_file.c). */
extern const cs_schema_table cs_disparity_relative_table;
extern const cs_schema_table cs_disparity_decomposition_table;
extern const cs_schema_table cs_disparity_exposure_table;

/* Writes what the tables need of scenario s into /scenario (open group g):
 * the name lists `branches` (labels "stage -> targets"), `branch_stages`
 * and `branch_targets`, `group_population_sources`, and, when s is
 * decomposed, `decomposed_stages`, `decomposition_orders` and the
 * attribute `not_equalised`. Returns CS_OK or CS_EIO/CS_ENOMEM. */
int cs_results_write_disparity_scenario(hid_t g, const cs_scenario *s, cs_error *err);

/* Writes variant v's attributes for the tables into its /runs group g:
 * `group_population` (when populations are given) and `equalised_stages`.
 * Returns CS_OK or CS_EIO/CS_ENOMEM. */
int cs_results_write_disparity_variant(hid_t g, const cs_scenario *s, const cs_variant *v,
                                       cs_error *err);

/* Computes the /disparity tables from the open results file and writes
 * them (replacing them if present). A file without the name lists they
 * need (written before them) is left without /disparity. Returns CS_OK,
 * CS_EFORMAT, CS_EIO or CS_ENOMEM. */
int cs_results_write_disparity(hid_t file, cs_error *err);

#endif
