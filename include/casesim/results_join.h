/*
 * casesim/results_join.h — carrying finished replicates from existing
 * results files into a new one: `casesim merge` (files of replicate ranges,
 * e.g. the tasks of a job array, joined into one) and `casesim run --resume`
 * (an interrupted run's finished replicates kept, only the missing ones run).
 *
 * Both copy rows through the ordinary writer (casesim/results.h), so the
 * joined file has exactly the layout, chunking and analysis tables that one
 * uninterrupted run of the same replicates would have written.
 *
 * Compatibility rule: files can be joined, or a run resumed, only when they
 * record the same scenario text (byte for byte), the same master seed, the
 * same variants in the same order, the same results format major version and
 * the same casesim version (the engine's random-number use may change between
 * versions, so replicates of two versions are not one sample).
 */
#ifndef CASESIM_RESULTS_JOIN_H
#define CASESIM_RESULTS_JOIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casesim/error.h"
#include "casesim/results.h"
#include "casesim/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a results file says about the run that wrote it, beyond cs_results. */
typedef struct cs_results_run_info {
    uint64_t replicates_requested;
    uint64_t case_record_replicates;
    size_t *variants; /* [r->n_variants] indices into the scenario's variants (free()) */
} cs_results_run_info;

/* Checks that the results file r was written by this casesim version from
 * scenario s (same source text) and maps its variants, by name, to indices
 * of s->variants (increasing, the baseline first, as the writer needs).
 * On success fills *info (free info->variants with free()). Returns CS_OK;
 * CS_EINVAL with a message saying what differs; CS_EFORMAT if the file lacks
 * an attribute; CS_ENOMEM. */
int cs_results_run_info_get(const cs_results *r, const cs_scenario *s, cs_results_run_info *info,
                            cs_error *err);

/* Checks that results files a and b can be joined (see the rule above):
 * CS_OK, or CS_EINVAL with a message naming both files and what differs. */
int cs_results_check_joinable(const cs_results *a, const cs_results *b, cs_error *err);

/* Appends the first n_rows replicates of every variant of r to writer w, in
 * (replicate, variant) order, as cs_sim_run would deliver them. w must write
 * the same variants (info->variants of r) and measures (r's list) and expect
 * r's first replicate next; the arrays by violation kind are copied if r has
 * them (w must then write them too). With cases, each replicate's case records are carried too
 * (read from /runs/<variant>/cases by their replicate column). Returns CS_OK; CS_EFORMAT if a
 * dataset is missing or has another shape than s's dimensions; CS_EIO; CS_ENOMEM; or the writer's
 * error. */
int cs_results_copy_replicates(const cs_results *r, const cs_scenario *s, uint64_t n_rows,
                               bool cases, cs_results_writer *w, cs_error *err);

/* Joins the complete results files inputs[0..n-1] (each of a replicate range
 * of the same run, in any order) into a new file at out_path (normally a
 * cs_safe_file's temporary file; the caller publishes or removes it). The
 * ranges must not overlap and must leave no gap; the joined file holds the
 * replicates sorted by number, keeps the case records of the lowest range
 * (those of other ranges are dropped and counted in *dropped_case_ranges, may
 * be NULL), and has /summary, /comparison and /ranking recomputed. Returns
 * CS_OK; CS_EUSAGE (fewer than two inputs); CS_EINVAL (incompatible inputs,
 * an incomplete input, overlapping ranges or a gap: the message says which
 * files and replicates); CS_EFORMAT, CS_EIO or CS_ENOMEM. */
int cs_results_merge(const char *const *inputs, size_t n, const char *out_path,
                     const char *command_line, size_t *dropped_case_ranges, cs_error *err);

#ifdef __cplusplus
}
#endif
#endif
