/*
 * results/internal.h — what the results writer, reader, join and analysis
 * share inside libcasesim (not a public header).
 *
 * The analysis tables (/summary, /comparison, /ranking) are computed by a
 * pure function from the per-replicate measures (cs_analysis_compute: no
 * HDF5, testable on arrays in memory), then written (cs_results_write_analysis
 * reads its input from an open file and writes the tables into it).
 */
#ifndef CASESIM_RESULTS_INTERNAL_H
#define CASESIM_RESULTS_INTERNAL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "casesim/decision.h"
#include "casesim/error.h"
#include "casesim/results.h"
#include "casesim/stats.h"
#include "results/schema.h"

/* What the analysis reads: the name lists and, through load, the measures. */
typedef struct cs_analysis_input {
    size_t n_groups;             /* victim groups, without "all" (>= 1) */
    size_t n_measures;           /* >= 1 */
    size_t n_variants;           /* >= 1; variants[0] is the baseline */
    const char *const *groups;   /* [n_groups] */
    const char *const *measures; /* [n_measures] */
    const char *const *units;    /* [n_measures] */
    const char *const *variants; /* [n_variants] */
    const char *const *kinds;    /* [n_variants]: "baseline", ... */
    const double *annual_cost;   /* [n_variants] */
    size_t n_ranked;     /* variants [0, n_ranked) are compared with the baseline and ranked; the
                            others (the decomposition's) only summarised; 0: all of them */
    uint64_t replicates; /* of every variant */
    uint64_t seed;       /* keys the bootstrap (CS_STREAM_ANALYSIS) */
    /* Writes variant v's measures, [replicates][n_groups + 1][n_measures],
     * into buf; returns CS_OK or an error status (with err). */
    int (*load)(void *ctx, size_t v, double *buf, cs_error *err);
    /* The violation kinds, and (NULL if the file has none: format 1.1)
     * variant v's measures by kind, [replicates][n_violations][n_groups +
     * 1][n_measures], into buf. */
    size_t n_violations;
    const char *const *violations;
    int (*load_kinds)(void *ctx, size_t v, double *buf, cs_error *err);
    void *ctx;
    /* Measures by arrival year (n_years 0 or load_years NULL: none): the
     * years' labels as numbers, and variant v's measures
     * [replicates][n_years][n_groups + 1][n_measures] into buf. */
    size_t n_years;
    const double *years;
    int (*load_years)(void *ctx, size_t v, double *buf, cs_error *err);
} cs_analysis_input;

/* ---- the disparity ratios in the tables (results/analysis_ratio.c) */

/* The index of name among names[0..n), or -1. */
long cs_analysis_find_name(const char *const *names, size_t n, const char *name);

/* For each of the M measures named in names, the index in names of the
 * rate its disparity ratio divides (cs_measure_ratio_of, by name: a file
 * may order its measures differently) into base[m], or -1 when measure m
 * is not a disparity ratio or the file lacks its rate. */
void cs_analysis_ratio_bases(const char *const *names, size_t M, long *base);

/* A block of per-replicate measures: replicate r's value of measure m of
 * group g (n_groups: all groups) at x[r * stride + g * M + m]. */
typedef struct cs_measure_block {
    const double *x;
    size_t n_groups, M, stride, R;
    const long *base; /* [M] from cs_analysis_ratio_bases */
} cs_measure_block;

/* The summary over replicates of measure m of group g in b: the mean, or
 * for a disparity ratio of a group (not all groups) the ratio of the
 * group's and the reference group's mean rates (cs_stats_ratio_of_means).
 * Returns as cs_stats_summarise. */
int cs_analysis_summarise(const cs_measure_block *b, size_t g, size_t m, cs_summary *s,
                          cs_error *err);

/* The paired comparison of measure m of group g in block y (a variant)
 * with the same in x (the baseline, same shape): cs_stats_paired, or for a
 * disparity ratio cs_stats_ratio_paired. Returns as those. */
int cs_analysis_paired(const cs_measure_block *x, const cs_measure_block *y, size_t g, size_t m,
                       cs_paired *p, cs_error *err);

/* The tables by arrival year; strings point into the input's lists. */
typedef struct cs_analysis_year_tables {
    size_t n_summary, n_comparison, n_timing;
    cs_results_summary_year_row *summary;       /* (variant, year, group, measure) */
    cs_results_comparison_year_row *comparison; /* (variant > 0, year, group, measure) */
    cs_results_timing_row *timing;              /* one per variant > 0 */
} cs_analysis_year_tables;

/* Computes the tables by arrival year of in into *out (zeroed first; free
 * with cs_analysis_year_tables_free, also after a failure); /timing for
 * the impunity rate (measure m_imp) of group mag. Holds two variants'
 * measures at a time. Returns CS_OK, CS_ELIMIT, CS_ENOMEM or in->load_years'
 * error; with no measures by arrival year, CS_OK and empty tables. */
int cs_analysis_by_year(const cs_analysis_input *in, size_t mag, size_t m_imp,
                        cs_analysis_year_tables *out, cs_error *err);

void cs_analysis_year_tables_free(cs_analysis_year_tables *t);

/* Whether the measure called name is a share in [0, 1] (casesim/measures.h),
 * judged by its name, since a file of another version may order its
 * measures differently: its intervals are kept inside [0, 1]. */
bool cs_analysis_is_share(const char *name);

/* The analysis tables. Their strings point into the input's lists (not
 * owned): the input must outlive them. */
typedef struct cs_analysis_tables {
    size_t n_summary, n_comparison, n_ranking;
    cs_results_summary_row *summary;       /* (variant, group, measure), in that order */
    cs_results_comparison_row *comparison; /* (variant > 0, group, measure) */
    cs_results_ranking_row *ranking;       /* one per variant */
    size_t most_affected;                  /* group index (0 if there is one group) */
    uint64_t bootstrap_resamples;          /* CS_STATS_BOOTSTRAP, 0 without replicates */
    /* The same tables for each violation kind (none if the input has no
     * measures by kind): the rankings on the kind's own most affected
     * group. */
    size_t n_by_kind;
    struct cs_analysis_tables *by_kind; /* [n_by_kind] */
} cs_analysis_tables;

/* Computes the analysis tables of in into *out (zeroed first; free with
 * cs_analysis_tables_free, also after a failure), for all kinds together
 * and for each kind. Holds at most two variants' measures at a time. Share
 * measures get intervals inside [0, 1] (cs_stats_share_interval). Returns CS_OK; CS_EFORMAT if the
 * measures lack impunity_rate or accountability_ratio; CS_ELIMIT; CS_ENOMEM; or in->load's error.
 */
int cs_analysis_compute(const cs_analysis_input *in, cs_analysis_tables *out, cs_error *err);

/* Frees the rows of t (not the strings they point to) and zeroes it. */
void cs_analysis_tables_free(cs_analysis_tables *t);

/* Computes /summary, /comparison and /ranking from the /runs data of the open
 * results file `file` (replacing those tables if present) and writes them,
 * with the headline measures of the schema as attributes of /summary.
 * Reads the name lists of /scenario, the attributes of /runs/<variant> and the
 * root attribute `seed` (which keys the bootstrap). Returns CS_OK, CS_EFORMAT,
 * CS_EIO or CS_ENOMEM. */
int cs_results_write_analysis(hid_t file, cs_error *err);

/* ------------------------------------------------------------ decisions
 *
 * The decision tables of /decision (results/decide.c): a pure function of
 * arrays (cs_decide_compute, testable without HDF5), then read from and
 * written into a file (results/decide_io.c). Effects are improvements of
 * the decision's outcome against the baseline in percentage points; costs
 * are annual, in the scenario's currency. */

/* What the decision analysis reads. */
typedef struct cs_decide_input {
    size_t n_variants;        /* V >= 1; variant 0 is the baseline */
    size_t n_draws, n_reps;   /* D complete draws of k replicates each */
    const double *effect;     /* [D k V] */
    const double *cost;       /* [D V] */
    size_t n_inputs;          /* uncertain values per draw (0: none) */
    const double *theta;      /* [D n_inputs] */
    size_t n_sets;            /* EVPPI sets (0: none) */
    const cs_evppi_set *sets; /* [n_sets] */
    size_t n_bundles;         /* bundles among the variants */
    const cs_decision_bundle *bundles;
    const double *grid;       /* {from, to, step}, or NULL: an automatic grid */
    double expert;            /* the expert's willingness to pay; NaN: the grid's middle */
    double population_years;  /* > 0 */
    size_t n_portfolios;      /* variants that are budget portfolios (0: no budget) */
    const size_t *portfolios; /* [n_portfolios] their variant indices */
    double budget;
    uint64_t seed; /* keys the EVPPI's fit draws (CS_STREAM_DECISION) */
} cs_decide_input;

/* Points of an automatic willingness-to-pay grid. */
#define CS_DECIDE_AUTO_POINTS 201

/* What it computes. Arrays are owned (cs_decide_output_free). */
typedef struct cs_decide_output {
    size_t n_lambda;                 /* L, the grid */
    double *lambda;                  /* [L + 1]: the grid, then the expert's value */
    double expert;                   /* the expert's willingness to pay used */
    cs_decision_curves *curves;      /* over lambda[0 .. L], the expert's last */
    double *mean_effect, *mean_cost; /* [V] over the draws */
    double *draw_effect;             /* [D V] draw means of the effects */
    cs_frontier_entry *frontier;     /* [V] */
    cs_nb_rank_row *ranking;         /* [V] at the expert's willingness to pay */
    cs_evppi *evppi;                 /* over lambda[0 .. L]; NULL without inputs or < 10 draws */
    cs_variance_split *split;        /* [V] effects' split; NULL unless k >= 2 and D >= 2 */
    cs_decision_curves *portfolio_curves; /* at the expert's value, over the portfolios only */
    double *p_over_budget;                /* [n_portfolios] */
    bool core_done;                       /* everything but EVPPI is computed (EVPPI comes last) */
} cs_decide_output;

/* Computes out from in (out zeroed first; free with cs_decide_output_free,
 * also after a failure). Returns CS_OK, or the decision module's errors. */
int cs_decide_compute(const cs_decide_input *in, cs_decide_output *out, cs_error *err);

void cs_decide_output_free(cs_decide_output *out);

/* Reads the decision's input from the open results file (its /decision
 * attributes, /uncertainty, the per-replicate measures, uncertain values
 * and costs), computes it and writes the /decision tables. most_affected
 * names the group the summary found most affected. Does nothing for a file
 * without /decision (format 1.1). Returns CS_OK, CS_EFORMAT, CS_EIO or
 * CS_ENOMEM. */
int cs_results_write_decision(hid_t file, const char *most_affected, cs_error *err);

/* Reads /uncertainty and /decision into r (whose name lists and dims are
 * read), if the file has them (results/read_decision.c). Returns CS_OK,
 * CS_EFORMAT or CS_ENOMEM. */
int cs_results_read_uncertain(hid_t f, cs_results *r, cs_error *err);

/* Frees d and its tables. NULL is a no-op. */
void cs_results_decision_free(cs_results_decision *d);

/* ------------------------------------------------- written at creation */

/* /uncertainty: the scenario's uncertain inputs (tables inputs, values,
 * correlations; attributes sampling and replicates_per_draw). drawn: the
 * run draws them (false: --no-uncertainty). Returns CS_OK, CS_EIO or
 * CS_ENOMEM. */
int cs_results_write_uncertainty(hid_t file, const cs_scenario *s, bool drawn, const char *sampling,
                                 const char *design, cs_error *err);

/* The attributes of /decision: what the decision tables are computed from.
 * Returns CS_OK, CS_EIO or CS_ENOMEM. */
int cs_results_write_decision_spec(hid_t file, const cs_scenario *s, const size_t *variants,
                                   size_t n_variants, cs_error *err);

/* Label and units of uncertain value v of s (in /scenario/inputs). */
const char *cs_results_input_label(const cs_scenario *s, size_t v);
const char *cs_results_input_units(const cs_scenario *s, size_t v);

/* The n strings of list joined with sep, a new string (NULL: out of memory). */
char *cs_results_join(const char *const *list, size_t n, const char *sep);

/* Gives every dataset of the open results file that names its axes (the
 * attribute `dimensions`) HDF5 dimension scales: one per axis, named after
 * it, in the dataset's own group, holding its labels (results/labels.c).
 * Idempotent. Returns CS_OK; CS_EINTERNAL when an axis's labels do not
 * match its length or an axis is named like another dataset; CS_EFORMAT,
 * CS_EIO, CS_ENOMEM. */
int cs_results_label_axes(hid_t file, cs_error *err);

/* Detaches every dimension scale from the dataset ds (before ds is
 * deleted, so that no scale keeps a reference to it). CS_OK or CS_EIO. */
int cs_h5_detach_scales(hid_t ds, cs_error *err);

/* The optional arrays writer w leaves out (cs_results_options.omit_arrays).
 * (write.c) */
uint32_t cs_results_writer_omitted(const cs_results_writer *w);

#endif
