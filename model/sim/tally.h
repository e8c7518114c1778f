/*
 * sim/tally.h — what a replicate counts of its cohort cases, and the
 * measures computed from it (internal to the engine).
 *
 * Each cohort case, when it ends or when the run ends with it still open,
 * is added to the tally of its group within its own kind (block 1 + kind,
 * the `kind_measures` array), and its days to the sums of its group among
 * all violation kinds (block 0, the `measures` array). At the end block 0's
 * counts are summed over the kinds (integers: exact; a sum of days is
 * not, so those are kept case by case, in the order the cases end), the
 * "all groups" row of every block in group order, then each row becomes one
 * row of measures (casesim/measures.h). Times from incident to case end go
 * into a fixed histogram per row (exact 0; 0.5-day bins below 2048 days;
 * 64 bins per doubling above), so that quantiles are within 0.5 day
 * (below 2048 days) or 1.1% (above) and memory does not grow with the
 * cohort; the mean is exact. The rows by arrival year have a coarser
 * histogram (about 2.2% bins: a quantile within about 1.1%), one per year
 * and group, and do not follow the reported cases.
 */
#ifndef CASESIM_SIM_TALLY_H
#define CASESIM_SIM_TALLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casesim/measures.h"
#include "casesim/scenario.h"

/* The counts of one row (a group, or all groups, of one block). */
typedef struct cs_tally_row {
    uint64_t incidents, well_founded, unfounded;
    uint64_t acc_wf, acc_unf, red_wf;
    uint64_t cat_wf[CS_MAX_OUTCOMES];
    uint64_t ended, pending;
    uint64_t reported, reported_ended; /* cases that left the entry stage for another */
    double time_sum, reported_time_sum;
} cs_tally_row;

/* One case as the tallies see it. */
typedef struct cs_tally_case {
    size_t group, kind;
    size_t year; /* its arrival year, counted from the cohort's first (< n_years) */
    bool well_founded;
    uint64_t outcome_mask; /* bit o: a track ended in outcome o */
    bool reported;         /* some track left the entry stage for another stage */
    bool ended;            /* else still open at the end of the run */
    double days;           /* from incident to the end of the case (when ended) */
} cs_tally_case;

/* The outcome masks the measures are defined on. */
typedef struct cs_tally_masks {
    uint64_t accountability, redress;
    const uint64_t *category; /* [n_categories] */
} cs_tally_masks;

typedef struct cs_tallies {
    size_t n_groups, n_kinds, n_categories, n_years;
    cs_tally_row *rows; /* [1 + n_kinds][n_groups + 1] */
    /* [n_kinds][n_groups][CS_TALLY_BINS] ended cases' days, then a scratch
     * row (where the other rows' sums are made at the end) */
    uint32_t *hist;          /* 32-bit counts: half the cache lines (a replicate's cohort
                                has fewer than 2^32 cases: cs_tallies_counted) */
    uint32_t *hist_rep;      /* the same for reported cases */
    size_t top;              /* bins at and above top are empty in every row */
    size_t year_top;         /* likewise in every row of year_hist and year_hist_rep */
    cs_tally_row *year_rows; /* [n_years][n_groups + 1] by arrival year */
    uint32_t *year_hist;     /* [n_years][n_groups + 1][coarse bins] ended cases' days */
    uint32_t *year_hist_rep; /* the same for reported cases */
} cs_tallies;

/* Allocates zeroed tallies. Returns CS_OK or CS_ENOMEM; free with
 * cs_tallies_free (also after a failure). */
int cs_tallies_init(cs_tallies *t, size_t n_groups, size_t n_kinds, size_t n_categories,
                    size_t n_years);
void cs_tallies_free(cs_tallies *t);

/* Zeroes t's counts for a new replicate, keeping its storage when the
 * dimensions are t's own, else allocating it anew for these dimensions.
 * Returns CS_OK or CS_ENOMEM (t then as after cs_tallies_init's failure). */
int cs_tallies_reset(cs_tallies *t, size_t n_groups, size_t n_kinds, size_t n_categories,
                     size_t n_years);

/* Adds case c to its group's row of its kind's block and of its arrival
 * year (and its days to its group's row of block 0). */
void cs_tallies_add(cs_tallies *t, const cs_tally_masks *mk, const cs_tally_case *c);

/* Whether every count of t fits its 32-bit histogram bins: the cases tallied
 * (ended or not) number fewer than 2^32. Once per replicate, before
 * cs_tallies_measures; false means the replicate must fail (CS_ELIMIT). */
bool cs_tallies_counted(const cs_tallies *t);

/* Sums block 0's counts over the kinds and the "all groups" rows, and
 * writes every row's measures into r->measures (block 0), r->kind_measures
 * (the kinds) and r->measures_by_year, with the disparities against the
 * reference group within each block and year. Once per replicate. */
void cs_tallies_measures(cs_tallies *t, cs_replicate_result *r);

#endif
