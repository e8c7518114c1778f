/*
 * results/internal.h — what the results writer, reader and analysis share
 * inside libcasesim (not a public header).
 */
#ifndef CASESIM_RESULTS_INTERNAL_H
#define CASESIM_RESULTS_INTERNAL_H

#include <hdf5.h>

#include "casesim/error.h"
#include "casesim/results.h"

/* Computes /summary, /comparison and /ranking from the /runs data of the open
 * results file `file` (replacing those tables if present) and writes them.
 * Reads the name lists of /scenario, the attributes of /runs/<variant> and the
 * root attribute `seed` (which keys the bootstrap). Returns CS_OK, CS_EFORMAT,
 * CS_EIO or CS_ENOMEM. */
int cs_results_write_analysis(hid_t file, cs_error *err);

/* Checks the root attributes `format` and `format_version` of an open file:
 * CS_OK, or CS_EFORMAT with a message naming path and what was found.
 * Stores the version found in *major / *minor (may be NULL). */
int cs_results_check_format(hid_t file, const char *path, int *major, int *minor, cs_error *err);

/* Memory compound types of the analysis tables, laid out as the row structs
 * of casesim/results.h (strings as char *). Close with cs_h5_close. */
hid_t cs_results_summary_mtype(void);
hid_t cs_results_comparison_mtype(void);
hid_t cs_results_ranking_mtype(void);

#endif
