/*
 * casesim/results.h — the HDF5 results file: writing it as replicates
 * finish, analysing it (summary, comparison with the baseline, ranking), and
 * reading it back.
 *
 * The layout is declared in casesim/schema.h and documented, group by group
 * and attribute by attribute, in analysis/README.md. Format
 * "casesim-results", version {major, minor}: a reader refuses another major
 * version; minor versions only add.
 *
 * Writing: cs_results_writer_open creates the file (normally the temporary
 * file of a cs_safe_file, see casesim/safe_file.h), cs_results_sink appends
 * each (variant, replicate) result handed over by cs_sim_run to extensible
 * chunked datasets — memory does not grow with the replicate count — and
 * cs_results_writer_close keeps only the replicates finished by every
 * variant, writes the analysis tables and the status, and closes the file.
 *
 * HDF5's automatic error printing is switched off by these functions; its
 * errors come back as cs_error messages. Not thread-safe: one thread at a time
 * per writer (cs_sim_run guarantees that for its sink), and the HDF5 library
 * itself is not built thread-safe on Debian.
 */
#ifndef CASESIM_RESULTS_H
#define CASESIM_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casesim/error.h"
#include "casesim/measures.h"
#include "casesim/scenario.h"
#include "casesim/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ writing */

/* What the writer records besides the results. */
typedef struct cs_results_options {
    const char *command_line;        /* recorded as given; NULL: "" */
    uint64_t seed;                   /* the run's master seed */
    uint64_t first_replicate;        /* replicates first .. first + n_replicates - 1 */
    uint64_t n_replicates;           /* requested (the file records how many finished) */
    size_t n_variants;               /* variants written; 0 with variants NULL: all */
    const size_t *variants;          /* indices into s->variants, increasing, starting with
                                        0 (the baseline: every comparison needs it) */
    uint64_t case_record_replicates; /* case records expected for replicates < first + this */
    /* A join of files written by an earlier casesim (casesim merge): their
     * n_measures measures, when they are not this build's (NULL: this
     * build's list), and whether they lack the arrays by violation kind
     * (which are then not written: absent, as in those files). */
    size_t n_measures;
    const struct cs_results_measure *measures;
    bool without_kinds;
    bool uncertain_drawn; /* the uncertain inputs are drawn (false: every replicate
                             at the scenario's values, --no-uncertainty) */
    const char *sampling; /* NULL, or how they were drawn when not from the
                             priors: "posterior HASH" (run --posterior), recorded
                             as /uncertainty's `sampling` */
    const char *design;   /* NULL, or the replicates are the runs of a sensitivity
                             design ("saltelli", "morris"): recorded as /uncertainty's
                             sampling, one replicate per point, and no /decision
                             (its points are not a sample of the prior) */
    uint32_t omit_arrays; /* bit k: the optional array cs_schema_arrays[k]
                             (CS_OPTIONAL_ARRAYS) is not written: a join or resume of
                             files that lack it (cs_results_absent_arrays); 0: all */
} cs_results_options;

typedef struct cs_results_writer cs_results_writer;

/* Creates (truncating) the results file at path for scenario s and writes
 * everything known before the run: root attributes (status "incomplete" until
 * closed), /scenario (source text and name lists) and the empty extensible
 * datasets of /runs/<variant>. s must outlive the writer. On success *out owns
 * the writer. Returns CS_OK; CS_EINVAL for inconsistent options; CS_EIO when
 * HDF5 cannot create or write the file (nothing is removed: the caller owns
 * the path); CS_ENOMEM. */
int cs_results_writer_open(const char *path, const cs_scenario *s, const cs_results_options *opt,
                           cs_results_writer **out, cs_error *err);

/* Appends one finished (variant, replicate) result. A variant's results must
 * arrive in consecutive replicate order starting at first_replicate, and the
 * dimensions must match the scenario's. Returns CS_OK, CS_EINTERNAL for a
 * result out of order or of the wrong shape, or CS_EIO. */
int cs_results_writer_append(cs_results_writer *w, const cs_replicate_result *r, cs_error *err);

/* cs_result_sink adapter: ctx is a cs_results_writer. */
int cs_results_sink(void *ctx, const cs_replicate_result *r, cs_error *err);

/* Replicates that every written variant has finished so far. */
uint64_t cs_results_writer_replicates(const cs_results_writer *w);

/* Finishes the file: shrinks every dataset to the replicates finished by every
 * variant (a replicate cut off by an interruption is dropped whole), writes
 * /summary, /comparison and /ranking from the data in the file, sets the
 * attributes `replicates` and `status` ("complete" if complete, else
 * "incomplete"), and closes the file, checking that HDF5 wrote everything
 * (a full disk shows here). Frees w in every case. Returns CS_OK, CS_EIO or
 * CS_ENOMEM; on failure the file must be considered unusable. */
int cs_results_writer_close(cs_results_writer *w, bool complete, cs_error *err);

/* Abandons a writer: closes its handles without analysis and frees it (the
 * file is left as it is; the caller removes it). NULL is a no-op. */
void cs_results_writer_free(cs_results_writer *w);

/* Recomputes /summary, /comparison and /ranking of an existing results file
 * from its /runs data (for example after joining files of replicate ranges).
 * Returns CS_OK, CS_EFORMAT (not a casesim results file of this major
 * version), CS_EIO or CS_ENOMEM. */
int cs_results_reanalyse(const char *path, cs_error *err);

/* ------------------------------------------------------------------ reading */

/* One variant as recorded under /runs. */
typedef struct cs_results_variant {
    char *name;
    char *kind; /* "baseline", "intervention" or "bundle" */
    char *description;
    double annual_cost;
    size_t n_interventions;
    char **interventions; /* names of the interventions applied */
    uint64_t replicates;  /* rows in its datasets */
} cs_results_variant;

/* One row of /summary: CS_SUMMARY_FIELDS (casesim/schema.h), e.g.
 * variant, group, measure, units, mean, sd, ci_low, ci_high, n. */
typedef struct cs_results_summary_row {
    CS_SUMMARY_FIELDS(CS_SCHEMA_MEMBER)
} cs_results_summary_row;

/* One row of /comparison (variant minus baseline, replicate by replicate):
 * CS_COMPARISON_FIELDS. rank is 0 and p_best NaN where the row is not a
 * ranking criterion. */
typedef struct cs_results_comparison_row {
    CS_COMPARISON_FIELDS(CS_SCHEMA_MEMBER)
} cs_results_comparison_row;

/* One row of /ranking, one per variant, the baseline included:
 * CS_RANKING_FIELDS (impunity of the most affected group, the impunity
 * reduction and its cost per point, the accountability disparity ratio). */
typedef struct cs_results_ranking_row {
    CS_RANKING_FIELDS(CS_SCHEMA_MEMBER)
} cs_results_ranking_row;

/* A row of /summary_by_kind, /comparison_by_kind or /ranking_by_kind: the
 * row of the table without "_by_kind" for one violation kind (format 1.2;
 * in the file its columns follow `violation`). */
typedef struct cs_results_summary_kind_row {
    char *violation;
    cs_results_summary_row row;
} cs_results_summary_kind_row;

typedef struct cs_results_comparison_kind_row {
    char *violation;
    cs_results_comparison_row row;
} cs_results_comparison_kind_row;

typedef struct cs_results_ranking_kind_row {
    char *violation;
    cs_results_ranking_row row;
} cs_results_ranking_kind_row;

/* One row of /summary_by_year, /comparison_by_year (1.2): as /summary and
 * /comparison for the cohort incidents of one arrival year. */
typedef struct cs_results_summary_year_row {
    CS_SUMMARY_BY_YEAR_FIELDS(CS_SCHEMA_MEMBER)
} cs_results_summary_year_row;

typedef struct cs_results_comparison_year_row {
    CS_COMPARISON_BY_YEAR_FIELDS(CS_SCHEMA_MEMBER)
} cs_results_comparison_year_row;

/* One row of /timing (1.2), per intervention and bundle: its effect on the
 * impunity rate of the most affected group by arrival year, final_effect in
 * the last arrival year (with its interval), the first year whose interval
 * excludes 0 (NaN: none) and the first year from which the mean effect stays
 * at 90% or more of the final one (NaN: no final effect). */
typedef struct cs_results_timing_row {
    CS_TIMING_FIELDS(CS_SCHEMA_MEMBER)
} cs_results_timing_row;

/* Rows of /uncertainty/inputs, /uncertainty/values, /uncertainty/correlations
 * (casesim/schema.h lists their columns). */
typedef struct cs_results_input_row {
    CS_UNCERTAIN_INPUT_FIELDS(CS_SCHEMA_MEMBER)
} cs_results_input_row;
typedef struct cs_results_value_row {
    CS_UNCERTAIN_VALUE_FIELDS(CS_SCHEMA_MEMBER)
} cs_results_value_row;
typedef struct cs_results_correlation_row {
    CS_CORRELATION_FIELDS(CS_SCHEMA_MEMBER)
} cs_results_correlation_row;

/* Rows of the tables of /decision. */
typedef struct cs_results_frontier_row {
    CS_FRONTIER_FIELDS(CS_SCHEMA_MEMBER)
} cs_results_frontier_row;
typedef struct cs_results_decision_rank_row {
    CS_DECISION_RANKING_FIELDS(CS_SCHEMA_MEMBER)
} cs_results_decision_rank_row;
typedef struct cs_results_evppi_set_row {
    CS_EVPPI_SET_FIELDS(CS_SCHEMA_MEMBER)
} cs_results_evppi_set_row;
typedef struct cs_results_evppi_check_row {
    CS_EVPPI_CHECK_FIELDS(CS_SCHEMA_MEMBER)
} cs_results_evppi_check_row;
typedef struct cs_results_variance_row {
    CS_VARIANCE_SPLIT_FIELDS(CS_SCHEMA_MEMBER)
} cs_results_variance_row;
typedef struct cs_results_portfolio_row {
    CS_PORTFOLIO_FIELDS(CS_SCHEMA_MEMBER)
} cs_results_portfolio_row;

/* A victim group of a results file. */
typedef struct cs_results_group {
    char *name;  /* as in the scenario: a key of every table */
    char *label; /* human-readable */
} cs_results_group;

/* A measure of a results file. */
typedef struct cs_results_measure {
    char *name; /* a key of /summary and /comparison */
    char *units;
    char *description;
} cs_results_measure;

/* /decision of a results file (format 1.2): the decision under uncertainty
 * (analysis/README.md). Tables the file lacks have no rows. */
typedef struct cs_results_decision {
    char *measure;     /* the outcome measure */
    char *group;       /* the group it is measured for */
    char *currency;    /* "" if the scenario names none */
    char *uncertainty; /* "inputs and simulation", "posterior inputs and simulation"
                          (run --posterior) or "simulation only" */
    char *grid;        /* "given" or "automatic" */
    char *expert_from; /* "given" or "middle of the grid" */
    char *expert_best; /* the best variant at the expert's willingness to pay */
    char *error;       /* "" or what stopped part of the analysis */
    int direction;     /* -1: lower is better; +1: higher */
    double expert_wtp, expert_evpi, expert_evpi_se, expert_evpi_horizon, expert_p_best;
    double population_years, budget; /* budget NaN: none */
    uint64_t draws, draws_dropped, replicates_per_draw;
    size_t n_lambda;
    double *lambda; /* [L] */
    double *p_best; /* [L][variants decided on: all but the decomposition's] */
    double *evpi;   /* [L] per year */
    /* [draws][variants decided on]: each draw's mean improvement against the
     * baseline (/decision/draw_effect); NULL in a file without it. */
    double *draw_effect;
    size_t n_frontier, n_ranking, n_evppi_sets, n_evppi_checks, n_split, n_portfolios;
    cs_results_frontier_row *frontier;
    cs_results_decision_rank_row *ranking;
    cs_results_evppi_set_row *evppi_sets;
    cs_results_evppi_check_row *evppi_checks;
    cs_results_variance_row *split;
    cs_results_portfolio_row *portfolios;
} cs_results_decision;

/* A results file opened for reading, with its small tables loaded. */
typedef struct cs_results {
    char *path;
    int version_major, version_minor;
    char *casesim_version, *created, *status, *command_line;
    uint64_t seed, first_replicate, replicates;
    double confidence_level;      /* of every interval in the tables (e.g. 0.95) */
    uint64_t bootstrap_resamples; /* of the ranking's probabilities (0: no replicates) */
    char *scenario_name, *scenario_description;
    char *source;    /* the scenario file's text */
    size_t n_groups; /* victim groups, without "all" */
    cs_results_group *groups;
    size_t n_measures;
    cs_results_measure *measures;
    size_t n_stages;
    char **stages;
    size_t n_outcomes;
    char **outcomes;
    cs_result_dims dims; /* lengths of the labelled dimensions (from /scenario's
                            name lists); 0 for the numbered ones (months, years),
                            which each dataset states itself */
    size_t n_variants;
    cs_results_variant *variants; /* in run order: baseline first */
    char *most_affected_group;    /* "" if the scenario has a single group */
    size_t n_summary;
    cs_results_summary_row *summary;
    size_t n_comparison;
    cs_results_comparison_row *comparison;
    size_t n_ranking;
    cs_results_ranking_row *ranking;
    char *currency; /* the scenario's `currency` ("" if none or a format 1.1 file) */
    /* Violation kinds (format 1.2; 0 for an older file, which has no
     * results by kind): names, whether the scenario marks each `headline`,
     * the most affected group within each ("" for a single group), and the
     * by-kind tables. */
    size_t n_violations;
    char **violations;
    bool *headline_violations;
    char **most_affected_by_kind;
    size_t n_summary_kind, n_comparison_kind, n_ranking_kind;
    cs_results_summary_kind_row *summary_kind;
    cs_results_comparison_kind_row *comparison_kind;
    cs_results_ranking_kind_row *ranking_kind;

    /* The tables by arrival year (empty in a file older than 1.2). */
    size_t n_summary_year;
    cs_results_summary_year_row *summary_year;
    size_t n_comparison_year;
    cs_results_comparison_year_row *comparison_year;
    size_t n_timing;
    cs_results_timing_row *timing;

    /* Format 1.2: the uncertain inputs (none for an older file: sampling "")
     * and the decision (NULL for an older file or one without draws). */
    char *sampling; /* "none", "random", "sobol" or "scenario values" */
    uint64_t replicates_per_draw;
    size_t n_inputs;
    cs_results_input_row *inputs; /* /uncertainty/inputs */
    size_t n_values;
    cs_results_value_row *values; /* /uncertainty/values */
    cs_results_decision *decision;
    int64_t file_id; /* the open HDF5 file (hid_t); internal */
} cs_results;

/* One per-replicate dataset of a variant, read whole. */
typedef struct cs_results_array {
    const cs_schema_array *schema; /* its line of the results schema */
    void *data;    /* [rows][shape...] of schema->type (free: cs_results_array_free) */
    uint64_t rows; /* replicates */
    size_t shape[CS_SCHEMA_MAX_RANK]; /* the axes after the replicate axis */
} cs_results_array;

/* Opens the results file at path read-only, checks `format` and the major
 * version, and loads attributes, name lists, variants and the /summary,
 * /comparison and /ranking tables. On success *out owns the result (free
 * with cs_results_close). Returns CS_OK; CS_EIO if the file cannot be opened
 * as HDF5; CS_EFORMAT if it is not a casesim results file, is of another
 * major version, or lacks a part of the layout (the message says which);
 * CS_ENOMEM. */
int cs_results_open(const char *path, cs_results **out, cs_error *err);

/* The optional arrays (CS_OPTIONAL_ARRAYS of casesim/schema.h) that some
 * variant of the open file r lacks, as a mask (bit k: cs_schema_arrays[k]):
 * a file of format 1.0, 1.1 or of another build of 1.2. */
uint32_t cs_results_absent_arrays(const cs_results *r);

/* Reads the per-replicate dataset `name` (a dataset of the results schema,
 * e.g. "measures" or "backlog") of variant v (index into r->variants) whole
 * into *out. Checks, before allocating, that its shape matches the schema
 * and /scenario's name lists, that it holds as many rows as the file
 * records replicates, and that it stores the bytes it claims (a damaged file
 * must not make the reader allocate gigabytes of fill values). Returns
 * CS_OK; CS_EINVAL (bad index or a name the schema does not have);
 * CS_EFORMAT (the message says what is wrong); CS_EIO; CS_ENOMEM. */
int cs_results_read_array(const cs_results *r, size_t v, const char *name, cs_results_array *out,
                          cs_error *err);

/* Reads every dataset of the open file r once, whatever the schema knows
 * of it, so that every checksum in the file is checked: the Fletcher32 of
 * each chunk of data (HDF5 checks it when a chunk is read) and the checksum
 * of each dataset's strings (format 1.2; files before it have none). Reads
 * a chunk at a time: memory stays small whatever the file's size; time
 * grows with it (a second or so per 100 MB). Returns CS_OK; CS_EFORMAT with
 * "PATH: damaged file: ..." naming the dataset; CS_ENOMEM. */
int cs_results_verify(const cs_results *r, cs_error *err);

/* Frees a->data and zeroes a. */
void cs_results_array_free(cs_results_array *a);

/* Reads the measures of variant v (index into r->variants) as a new array
 * [replicates][n_groups + 1][n_measures] (free()); *n_replicates gets the row
 * count. As cs_results_read_array of "measures". */
int cs_results_read_measures(const cs_results *r, size_t v, double **out, uint64_t *n_replicates,
                             cs_error *err);

/* Whether r is the file of a sensitivity study (`casesim sensitivity`:
 * its replicates are the runs of a design, /uncertainty's sampling
 * "saltelli" or "morris"), which `casesim merge` and `casesim run
 * --resume` refuse. */
bool cs_results_is_study(const cs_results *r);

/* Finds a summary row; NULL if absent. */
const cs_results_summary_row *cs_results_find_summary(const cs_results *r, const char *variant,
                                                      const char *group, const char *measure);

/* Finds a comparison row; NULL if absent (the baseline has none). */
const cs_results_comparison_row *cs_results_find_comparison(const cs_results *r,
                                                            const char *variant, const char *group,
                                                            const char *measure);

/* The same, among the rows of one violation kind (NULL if absent). */
const cs_results_summary_row *cs_results_find_summary_kind(const cs_results *r,
                                                           const char *violation,
                                                           const char *variant, const char *group,
                                                           const char *measure);
const cs_results_comparison_row *
cs_results_find_comparison_kind(const cs_results *r, const char *violation, const char *variant,
                                const char *group, const char *measure);
/* Variant's /ranking_by_kind row for a violation kind; NULL if absent. */
const cs_results_ranking_row *
cs_results_find_ranking_kind(const cs_results *r, const char *violation, const char *variant);

/* Closes the file and frees everything. NULL is a no-op. */
void cs_results_close(cs_results *r);

#ifdef __cplusplus
}
#endif
#endif
