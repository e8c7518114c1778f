/*
 * casesim/schema.h — the results file's layout, declared once.
 *
 * Everything a results file holds per replicate, and the row types of its
 * tables, is listed here, and only here. The lists are X-macros: each line
 * names one dataset (or column, or dimension) with its C type, file type,
 * shape, units and description, and every piece of code that touches the
 * data is generated from them or walks a table generated from them:
 *
 *   the members of cs_replicate_result, cs_case_record and the row structs
 *   of casesim/results.h;                          (this header's users)
 *   allocation, reset and free of a replicate's result, and its packing into
 *   an MPI message;                                (model/sim/)
 *   the writer's datasets, appends and attributes (units, description,
 *   dimensions), the reader's shape and size checks, the join of files;
 *                                                  (model/results/)
 *   the names of the dimensions and the headline measures the Python tools
 *   read from the file.                            (analysis/)
 *
 * Adding a per-replicate array is one ARRAY line below plus the code that
 * computes it (in the engine); adding a named dimension is one line of
 * CS_RESULT_DIMENSIONS. Nothing else changes: tests/test_schema.c checks
 * that the written file, the reader, the join and the MPI packing follow
 * the table, and tests/test_schema_extra.c builds the library with one more
 * (test-only) array and finds it everywhere.
 *
 * The file format itself is documented, dataset by dataset, in
 * analysis/README.md.
 */
#ifndef CASESIM_SCHEMA_H
#define CASESIM_SCHEMA_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The file's `format` attribute and `format_version` {major, minor}: a
 * reader refuses another major version; minor versions only add (1.1: the
 * `dimensions` attributes and the headline list; 1.2: HDF5 dimension
 * scales on every axis, the checksums — Fletcher32 on every chunked
 * dataset, `strings_crc32` on every dataset of strings, HDF5's metadata
 * checksums — and the tables, lists and case records naming their axes;
 * also in 1.2, optional (absent in files of builds without them): uncertain
 * inputs, their drawn values and each replicate's annual cost,
 * /uncertainty and /decision; time and feedback: calendar years, measures
 * by arrival year, feedback trajectories, the tables by arrival year; the
 * `kind` dimension, the per-kind arrays and tables, measures of reported
 * cases, the `currency` and `headline_violations` of /scenario, share
 * intervals kept inside [0, 1]; branch_counts (CS_OPTIONAL_ARRAYS), the
 * branch lists and /disparity). */
#define CS_RESULTS_FORMAT "casesim-results"
#define CS_RESULTS_VERSION_MAJOR 1
#define CS_RESULTS_VERSION_MINOR 2

/* Element types. The C type of each is stated next to it in the lists; the
 * file stores numbers little-endian and strings as variable-length UTF-8. */
typedef enum cs_type {
    CS_TYPE_F64 = 0, /* double */
    CS_TYPE_F32,     /* float */
    CS_TYPE_I64,     /* int64_t */
    CS_TYPE_U64,     /* uint64_t */
    CS_TYPE_I32,     /* int32_t */
    CS_TYPE_U32,     /* uint32_t */
    CS_TYPE_U8,      /* uint8_t */
    CS_TYPE_STRING   /* char * */
} cs_type;

/* ------------------------------------------------------ named dimensions
 *
 * X(ID, field, name, size, labels, extra, description)
 *   ID      enum cs_dim value CS_DIM_<ID>
 *   field   the member of cs_result_dims that holds its length
 *   name    its name in the file (the `dimensions` attribute of a dataset)
 *   size    its length: an expression of `s`, the scenario (const
 *           cs_scenario *), evaluated once when a model is compiled
 *   labels  the string dataset whose entries label it ("": a numbered axis)
 *   extra   a label after those (NULL: none)
 *
 * A dimension may be empty (no uncertain inputs): its datasets then have
 * shape [replicate, 0].
 *
 * Every per-replicate dataset has one more axis in front, "replicate",
 * labelled by the dataset replicate_index beside it.
 */
#define CS_RESULT_DIMENSIONS(X)                                                                    \
    X(GROUP, n_group_rows, "group", (s)->n_groups + 1, "/scenario/groups", "all",                  \
      "victim group; the last row is all groups together")                                         \
    X(MEASURE, n_measures, "measure", CS_M_FIXED_COUNT + (s)->n_categories, "/scenario/measures",  \
      NULL, "measure of the cohort")                                                               \
    X(OUTCOME, n_outcomes, "outcome", (s)->n_outcomes, "/scenario/outcomes", NULL, "outcome")      \
    X(STAGE, n_stages, "stage", (s)->n_stages, "/scenario/stages", NULL, "stage")                  \
    X(STAGE_STAT, n_stage_stats, "stage_stat", CS_SS_COUNT, "/scenario/stage_stats", NULL,         \
      "statistic of a stage")                                                                      \
    X(MONTH, n_months, "month", cs_schema_count(CS_RUN_YEARS_(s) * 12.0), "", NULL,                \
      "month of the run; month 0 starts at the beginning of the warm-up")                          \
    X(YEAR, n_years, "year", cs_schema_count(CS_RUN_YEARS_(s)), "/scenario/years", NULL,           \
      "year of the run; year 0 starts at the beginning of the warm-up (labels: calendar years "    \
      "with time.start_year)")                                                                     \
    X(KIND, n_kinds, "kind", (s)->n_violations, "/scenario/violations", NULL, "violation kind")    \
    X(DELAY_YEAR, n_delay_years, "delay_year", cs_schema_count(CS_RUN_YEARS_(s)), "", NULL,        \
      "whole years from a cohort incident's arrival (delay year 0: within its first year)")        \
    X(INPUT, n_inputs, "input", (s)->n_uncertain_values, "/scenario/inputs", NULL,                 \
      "value of an uncertain input (a dirichlet over k numbers has k); empty without uncertain "   \
      "inputs")                                                                                    \
    X(ARRIVAL_YEAR, n_arrival_years, "arrival_year", cs_cohort_year_count(s),                      \
      "/scenario/arrival_years", NULL,                                                             \
      "year of arrival of cohort incidents: the years of the run that overlap the cohort window")  \
    X(FEEDBACK, n_feedback, "feedback", (s)->n_feedback ? (s)->n_feedback : 1,                     \
      "/scenario/feedbacks", NULL, "feedback loop (one row `none` when the scenario has none)")    \
    X(BRANCH, n_branches, "branch", cs_scenario_n_branches(s), "/scenario/branches", NULL,         \
      "branch of a stage: the stages' branches in stage order (/scenario/branch_stages names "     \
      "the stage of each)")

/* The arrival years of a scenario (casesim/dynamics.h). */
struct cs_scenario;
size_t cs_cohort_year_count(const struct cs_scenario *s);

/* The years of a run (warm-up, cohort and follow-up; at most CS_MAX_YEARS,
 * checked by the loader). */
#define CS_RUN_YEARS_(s) ((s)->warmup_years + (s)->cohort_years + (s)->follow_up_years)

/* ceil(x) as a count, at least 1; x within 1e-9 above a whole number (the
 * rounding of years * 12) counts as that number. */
static inline size_t cs_schema_count(double x)
{
    double c = ceil(x - 1e-9);
    return c < 1.0 ? 1u : (size_t)c;
}

typedef enum cs_dim {
#define CS_DIM_ENUM_(ID, ...) CS_DIM_##ID,
    CS_RESULT_DIMENSIONS(CS_DIM_ENUM_)
#undef CS_DIM_ENUM_
        CS_DIM_COUNT
} cs_dim;

/* The lengths of a scenario's dimensions: the shapes of its results. */
typedef struct cs_result_dims {
    size_t n_groups;     /* victim groups, without "all" (n_group_rows - 1) */
    size_t n_categories; /* accountability categories */
#define CS_DIM_FIELD_(ID, field, ...) size_t field;
    CS_RESULT_DIMENSIONS(CS_DIM_FIELD_)
#undef CS_DIM_FIELD_
} cs_result_dims;

/* ------------------------------------------------ per-replicate datasets
 *
 * ARRAY(member, ctype, type, units, description, dims...)
 *   An array of ctype, row-major over dims (CS_DIM_..., at most
 *   CS_SCHEMA_MAX_RANK); cs_replicate_result.member points to one
 *   replicate's values; the file's /runs/<variant>/<member> holds
 *   [replicate, dims...]. units NULL: one unit per entry of the last
 *   dimension (measure_units, stage_stat_units under /scenario), written as
 *   a list in the dataset's `units` attribute.
 * SCALAR(member, ctype, type, dataset, units, description)
 *   One value per replicate: cs_replicate_result.member, the file's
 *   /runs/<variant>/<dataset> holds [replicate].
 *
 * The order is the order of the datasets in the file and of an MPI message.
 */
#define CS_REPLICATE_ARRAYS(ARRAY, SCALAR)                                                         \
    ARRAY(measures, double, CS_TYPE_F64, NULL,                                                     \
          "Cohort measures of each replicate: [replicate, group, measure]. Groups are "            \
          "/scenario/groups then 'all groups together'; measures are /scenario/measures, with "    \
          "units per measure in this attribute 'units' (and /scenario/measure_units). NaN where "  \
          "a measure is undefined in a replicate (e.g. a rate over zero well-founded incidents).", \
          CS_DIM_GROUP, CS_DIM_MEASURE)                                                            \
    ARRAY(outcome_counts, int64_t, CS_TYPE_I64, "tracks",                                          \
          "Tracks of cohort incidents ending in each outcome: [replicate, group (last: all), "     \
          "outcome] (outcomes in /scenario/outcomes). A forked case has several tracks.",          \
          CS_DIM_GROUP, CS_DIM_OUTCOME)                                                            \
    ARRAY(stage_entries, int64_t, CS_TYPE_I64, "tracks",                                           \
          "Tracks of cohort incidents entering each stage: [replicate, group (last: all), "        \
          "stage] (stages in /scenario/stages): the attrition funnel.",                            \
          CS_DIM_GROUP, CS_DIM_STAGE)                                                              \
    ARRAY(stage_stats, double, CS_TYPE_F64, NULL,                                                  \
          "Statistics of each stage over the cohort window (all incidents in that time): "         \
          "[replicate, stage, statistic] (statistics in /scenario/stage_stats, units per "         \
          "statistic in this attribute 'units').",                                                 \
          CS_DIM_STAGE, CS_DIM_STAGE_STAT)                                                         \
    ARRAY(backlog, float, CS_TYPE_F32, "cases",                                                    \
          "Time-average number of cases waiting at each stage in each month of the run: "          \
          "[replicate, stage, month]; month 0 starts at the beginning of the warm-up.",            \
          CS_DIM_STAGE, CS_DIM_MONTH)                                                              \
    ARRAY(period_entries, int64_t, CS_TYPE_I64, "tracks",                                          \
          "Tracks entering each stage per calendar year of the run, all incidents (not only the "  \
          "cohort): [replicate, year, stage]; year 0 starts at the beginning of the warm-up. "     \
          "Comparable with published same-year statistics.",                                       \
          CS_DIM_YEAR, CS_DIM_STAGE)                                                               \
    ARRAY(period_outcomes, int64_t, CS_TYPE_I64, "tracks",                                         \
          "Tracks ending in each outcome per calendar year of the run, all incidents: "            \
          "[replicate, year, outcome].",                                                           \
          CS_DIM_YEAR, CS_DIM_OUTCOME)                                                             \
    ARRAY(kind_measures, double, CS_TYPE_F64, NULL,                                                \
          "Cohort measures of each violation kind: [replicate, kind, group, measure] (kinds in "   \
          "/scenario/violations; groups and measures as in 'measures', whose values are those "    \
          "of all kinds together). NaN where undefined, e.g. for a kind without well-founded "     \
          "incidents in a replicate.",                                                             \
          CS_DIM_KIND, CS_DIM_GROUP, CS_DIM_MEASURE)                                               \
    ARRAY(kind_outcome_counts, int64_t, CS_TYPE_I64, "tracks",                                     \
          "Tracks of cohort incidents ending in each outcome, by violation kind: [replicate, "     \
          "kind, group (last: all), outcome].",                                                    \
          CS_DIM_KIND, CS_DIM_GROUP, CS_DIM_OUTCOME)                                               \
    ARRAY(kind_stage_entries, int64_t, CS_TYPE_I64, "tracks",                                      \
          "Tracks of cohort incidents entering each stage, by violation kind: [replicate, kind, "  \
          "group (last: all), stage]: the attrition funnel of each kind.",                         \
          CS_DIM_KIND, CS_DIM_GROUP, CS_DIM_STAGE)                                                 \
    ARRAY(                                                                                         \
        measures_by_year, double, CS_TYPE_F64, NULL,                                               \
        "Cohort measures by year of arrival: [replicate, arrival_year, group, measure], as "       \
        "'measures' for the cohort incidents that arrived in that year (/scenario/arrival_years; " \
        "time quantiles within about 1.1%). Units per measure in this attribute 'units'.",         \
        CS_DIM_ARRIVAL_YEAR, CS_DIM_GROUP, CS_DIM_MEASURE)                                         \
    ARRAY(feedback_multiplier, double, CS_TYPE_F64, "1",                                           \
          "The multiplier of each feedback loop in force during each month of the run: "           \
          "[replicate, feedback, month] (1: the scenario's figures hold). A scenario without "     \
          "feedback has one row, `none`, of 1.",                                                   \
          CS_DIM_FEEDBACK, CS_DIM_MONTH)                                                           \
    ARRAY(feedback_signal, double, CS_TYPE_F64, "1",                                               \
          "The signal each feedback loop saw at the start of each month (the accountability "      \
          "rate over its trailing window): [replicate, feedback, month]; NaN before the window "   \
          "has data (the multiplier then keeps its value).",                                       \
          CS_DIM_FEEDBACK, CS_DIM_MONTH)                                                           \
    ARRAY(period_entries_by_group, int64_t, CS_TYPE_I64, "tracks",                                 \
          "period_entries by victim group: [replicate, group (last: all), year, stage].",          \
          CS_DIM_GROUP, CS_DIM_YEAR, CS_DIM_STAGE)                                                 \
    ARRAY(period_outcomes_by_group, int64_t, CS_TYPE_I64, "tracks",                                \
          "period_outcomes by victim group: [replicate, group (last: all), year, outcome].",       \
          CS_DIM_GROUP, CS_DIM_YEAR, CS_DIM_OUTCOME)                                               \
    ARRAY(cohort_entries_by_delay, int64_t, CS_TYPE_I64, "tracks",                                 \
          "Tracks of cohort incidents entering each stage, by whole years since the incident's "   \
          "arrival: [replicate, group (last: all), stage, delay_year] (cohort shares within T "    \
          "years).",                                                                               \
          CS_DIM_GROUP, CS_DIM_STAGE, CS_DIM_DELAY_YEAR)                                           \
    ARRAY(cohort_outcomes_by_delay, int64_t, CS_TYPE_I64, "tracks",                                \
          "Tracks of cohort incidents ending in each outcome, by whole years since the "           \
          "incident's arrival: [replicate, group (last: all), outcome, delay_year].",              \
          CS_DIM_GROUP, CS_DIM_OUTCOME, CS_DIM_DELAY_YEAR)                                         \
    ARRAY(branch_counts, int64_t, CS_TYPE_I64, "tracks",                                           \
          "Tracks of cohort incidents that finished a stage and took each of its branches: "       \
          "[replicate, group (last: all), branch] (branches in /scenario/branches). Over the "     \
          "stage_entries of the branch's stage: the rate at which the group's tracks reaching "    \
          "the stage take the branch (/disparity/relative_rates).",                                \
          CS_DIM_GROUP, CS_DIM_BRANCH)                                                             \
    SCALAR(replicate, uint64_t, CS_TYPE_U64, "replicate_index", "replicate number",                \
           "The replicate number each row holds (its random streams are keyed by it), so that "    \
           "files of different replicate ranges can be joined.")                                   \
    SCALAR(incidents_total, uint64_t, CS_TYPE_U64, "incidents_simulated", "incidents",             \
           "Incidents simulated over the whole horizon (warm-up, cohort and follow-up).")          \
    SCALAR(events, uint64_t, CS_TYPE_U64, "events", "events",                                      \
           "Discrete events the engine processed (a measure of computational work).")              \
    ARRAY(uncertain_values, double, CS_TYPE_F64, NULL,                                             \
          "The values of the uncertain inputs this replicate ran with: [replicate, input] "        \
          "(inputs in /scenario/inputs, described in /uncertainty/values; units per input in "     \
          "this attribute 'units'). The same in every variant of a replicate. Without "            \
          "uncertainty, the scenario's own values.",                                               \
          CS_DIM_INPUT)                                                                            \
    SCALAR(annual_cost, double, CS_TYPE_F64, "annual_cost", "currency per year",                   \
           "The variant's annual cost in this replicate: the sum over its interventions of "       \
           "their annual_cost, drawn where it is uncertain, each paid from its `starts` (the "     \
           "mean over the cohort window; the group's attribute annual_cost is the cost as the "    \
           "scenario states it).")                                                                 \
    CS_SCHEMA_TEST_ARRAYS_(ARRAY, SCALAR)

/* One more array, only in the library that tests/schema.cmake builds with
 * CASESIM_SCHEMA_TEST_ARRAY defined: proof that a line here is all it takes. */
#ifdef CASESIM_SCHEMA_TEST_ARRAY
#define CS_SCHEMA_TEST_ARRAYS_(ARRAY, SCALAR)                                                      \
    ARRAY(test_counts, int64_t, CS_TYPE_I64, "tracks",                                             \
          "A test-only array: [replicate, group, stage, outcome].", CS_DIM_GROUP, CS_DIM_STAGE,    \
          CS_DIM_OUTCOME)
#else
#define CS_SCHEMA_TEST_ARRAYS_(ARRAY, SCALAR)
#endif

/* The position of each per-replicate array in cs_schema_arrays, as
 * CS_ARRAY_<member> (CS_ARRAY_measures, ...), and their number. */
enum cs_schema_array_index {
#define CS_ARRAY_INDEX_(member, ...) CS_ARRAY_##member,
    CS_REPLICATE_ARRAYS(CS_ARRAY_INDEX_, CS_ARRAY_INDEX_)
#undef CS_ARRAY_INDEX_
        CS_SCHEMA_N_ARRAYS
};

/* The per-replicate arrays a file of format 1.2 may lack: those added by
 * the 1.2 of where the disparity arises, which files of 1.0 and 1.1 and of
 * other builds of 1.2 do not have. A join or resumed run of such a file
 * leaves them out (cs_results_options.omit_arrays), and /disparity is then
 * not computed. (The arrays with a `kind` axis, which such files may lack
 * too, are left out of a join as a whole: cs_results_options.without_kinds;
 * the time and calibration arrays are filled in: results/join.c.) */
#define CS_OPTIONAL_ARRAYS(X) X(branch_counts)

/* Whether cs_schema_arrays[k] is one of CS_OPTIONAL_ARRAYS. */
static inline bool cs_schema_array_optional(int k)
{
#define CS_ARRAY_OPTIONAL_(member) || k == CS_ARRAY_##member
    return false CS_OPTIONAL_ARRAYS(CS_ARRAY_OPTIONAL_);
#undef CS_ARRAY_OPTIONAL_
}

/* --------------------------------------------------------- case records
 *
 * X(member, ctype, type, units): the columns of /runs/<variant>/cases (one
 * row per cohort incident of the first replicates, with --case-records),
 * in order; cs_case_record (casesim/measures.h) has these members.
 */
#define CS_CASE_RECORD_FIELDS(X)                                                                   \
    X(replicate, uint64_t, CS_TYPE_U64, "replicate number")                                        \
    X(group, uint32_t, CS_TYPE_U32, "index into /scenario/groups")                                 \
    X(incident, uint64_t, CS_TYPE_U64, "incident number")                                          \
    X(arrival_day, double, CS_TYPE_F64, "days")                                                    \
    X(violation, uint32_t, CS_TYPE_U32, "index into /scenario/violations")                         \
    X(well_founded, uint8_t, CS_TYPE_U8, "1 = well-founded, 0 = unfounded")                        \
    X(evidence, double, CS_TYPE_F64, "share (0 to 1)")                                             \
    X(end_day, double, CS_TYPE_F64, "days (NaN: pending at the end)")                              \
    X(n_tracks, uint32_t, CS_TYPE_U32, "tracks")                                                   \
    X(outcome_mask, uint64_t, CS_TYPE_U64, "bit o set: a track ended in outcome o")

enum cs_case_field_index {
#define CS_CASE_INDEX_(member, ...) CS_CASE_FIELD_##member,
    CS_CASE_RECORD_FIELDS(CS_CASE_INDEX_)
#undef CS_CASE_INDEX_
        CS_CASE_N_FIELDS
};

/* ----------------------------------------------------- the analysis tables
 *
 * X(member, ctype, type): the columns of /summary, /comparison and /ranking
 * in order; the row structs of casesim/results.h have these members (strings
 * as char *). Their meaning is documented in analysis/README.md.
 */
#define CS_SUMMARY_FIELDS(X)                                                                       \
    X(variant, char *, CS_TYPE_STRING)                                                             \
    X(group, char *, CS_TYPE_STRING)                                                               \
    X(measure, char *, CS_TYPE_STRING)                                                             \
    X(units, char *, CS_TYPE_STRING)                                                               \
    X(mean, double, CS_TYPE_F64)                                                                   \
    X(sd, double, CS_TYPE_F64)                                                                     \
    X(ci_low, double, CS_TYPE_F64)                                                                 \
    X(ci_high, double, CS_TYPE_F64)                                                                \
    X(n, int64_t, CS_TYPE_I64)

#define CS_COMPARISON_FIELDS(X)                                                                    \
    X(variant, char *, CS_TYPE_STRING)                                                             \
    X(group, char *, CS_TYPE_STRING)                                                               \
    X(measure, char *, CS_TYPE_STRING)                                                             \
    X(units, char *, CS_TYPE_STRING)                                                               \
    X(baseline_mean, double, CS_TYPE_F64)                                                          \
    X(variant_mean, double, CS_TYPE_F64)                                                           \
    X(diff_mean, double, CS_TYPE_F64)                                                              \
    X(diff_ci_low, double, CS_TYPE_F64)                                                            \
    X(diff_ci_high, double, CS_TYPE_F64)                                                           \
    X(n, int64_t, CS_TYPE_I64)                                                                     \
    X(relative_change, double, CS_TYPE_F64)                                                        \
    X(cost_per_point, double, CS_TYPE_F64)                                                         \
    X(cost_per_point_low, double, CS_TYPE_F64)                                                     \
    X(cost_per_point_high, double, CS_TYPE_F64)                                                    \
    X(rank, int32_t, CS_TYPE_I32)                                                                  \
    X(p_best, double, CS_TYPE_F64)

#define CS_RANKING_FIELDS(X)                                                                       \
    X(variant, char *, CS_TYPE_STRING)                                                             \
    X(kind, char *, CS_TYPE_STRING)                                                                \
    X(annual_cost, double, CS_TYPE_F64)                                                            \
    X(impunity_mean, double, CS_TYPE_F64)                                                          \
    X(impunity_ci_low, double, CS_TYPE_F64)                                                        \
    X(impunity_ci_high, double, CS_TYPE_F64)                                                       \
    X(reduction_points, double, CS_TYPE_F64)                                                       \
    X(reduction_ci_low, double, CS_TYPE_F64)                                                       \
    X(reduction_ci_high, double, CS_TYPE_F64)                                                      \
    X(cost_per_point, double, CS_TYPE_F64)                                                         \
    X(cost_per_point_low, double, CS_TYPE_F64)                                                     \
    X(cost_per_point_high, double, CS_TYPE_F64)                                                    \
    X(impunity_rank, int32_t, CS_TYPE_I32)                                                         \
    X(impunity_p_best, double, CS_TYPE_F64)                                                        \
    X(ratio_mean, double, CS_TYPE_F64)                                                             \
    X(ratio_ci_low, double, CS_TYPE_F64)                                                           \
    X(ratio_ci_high, double, CS_TYPE_F64)                                                          \
    X(ratio_rank, int32_t, CS_TYPE_I32)                                                            \
    X(ratio_p_best, double, CS_TYPE_F64)

/* The tables by arrival year (1.2): /summary_by_year and /comparison_by_year
 * as /summary and /comparison with the arrival year (a calendar year with
 * time.start_year, else a year of the run) after the variant; /timing, one
 * row per intervention and bundle: how fast its effect on the headline
 * (impunity of the most affected group) comes. */
#define CS_SUMMARY_BY_YEAR_FIELDS(X)                                                               \
    X(variant, char *, CS_TYPE_STRING)                                                             \
    X(year, double, CS_TYPE_F64)                                                                   \
    X(group, char *, CS_TYPE_STRING)                                                               \
    X(measure, char *, CS_TYPE_STRING)                                                             \
    X(units, char *, CS_TYPE_STRING)                                                               \
    X(mean, double, CS_TYPE_F64)                                                                   \
    X(sd, double, CS_TYPE_F64)                                                                     \
    X(ci_low, double, CS_TYPE_F64)                                                                 \
    X(ci_high, double, CS_TYPE_F64)                                                                \
    X(n, int64_t, CS_TYPE_I64)

#define CS_COMPARISON_BY_YEAR_FIELDS(X)                                                            \
    X(variant, char *, CS_TYPE_STRING)                                                             \
    X(year, double, CS_TYPE_F64)                                                                   \
    X(group, char *, CS_TYPE_STRING)                                                               \
    X(measure, char *, CS_TYPE_STRING)                                                             \
    X(units, char *, CS_TYPE_STRING)                                                               \
    X(baseline_mean, double, CS_TYPE_F64)                                                          \
    X(variant_mean, double, CS_TYPE_F64)                                                           \
    X(diff_mean, double, CS_TYPE_F64)                                                              \
    X(diff_ci_low, double, CS_TYPE_F64)                                                            \
    X(diff_ci_high, double, CS_TYPE_F64)                                                           \
    X(n, int64_t, CS_TYPE_I64)

#define CS_TIMING_FIELDS(X)                                                                        \
    X(variant, char *, CS_TYPE_STRING)                                                             \
    X(group, char *, CS_TYPE_STRING)                                                               \
    X(measure, char *, CS_TYPE_STRING)                                                             \
    X(final_year, double, CS_TYPE_F64)                                                             \
    X(final_effect, double, CS_TYPE_F64)                                                           \
    X(final_ci_low, double, CS_TYPE_F64)                                                           \
    X(final_ci_high, double, CS_TYPE_F64)                                                          \
    X(first_clear_year, double, CS_TYPE_F64)                                                       \
    X(year_90, double, CS_TYPE_F64)

/* The tables of /uncertainty (written when the file is created, from the
 * scenario) and of /decision (computed with the analysis tables). Their
 * meaning is documented in analysis/README.md. */
#define CS_UNCERTAIN_INPUT_FIELDS(X)                                                               \
    X(name, char *, CS_TYPE_STRING)                                                                \
    X(paths, char *, CS_TYPE_STRING)                                                               \
    X(family, char *, CS_TYPE_STRING)                                                              \
    X(param_1, double, CS_TYPE_F64)                                                                \
    X(param_2, double, CS_TYPE_F64)                                                                \
    X(param_3, double, CS_TYPE_F64)                                                                \
    X(truncate_low, double, CS_TYPE_F64)                                                           \
    X(truncate_high, double, CS_TYPE_F64)                                                          \
    X(support_low, double, CS_TYPE_F64)                                                            \
    X(support_high, double, CS_TYPE_F64)                                                           \
    X(mean, double, CS_TYPE_F64)                                                                   \
    X(sd, double, CS_TYPE_F64)                                                                     \
    X(first_value, int64_t, CS_TYPE_I64)                                                           \
    X(n_values, int64_t, CS_TYPE_I64)                                                              \
    X(kind, char *, CS_TYPE_STRING)                                                                \
    X(units, char *, CS_TYPE_STRING)                                                               \
    X(source, char *, CS_TYPE_STRING)                                                              \
    X(group, char *, CS_TYPE_STRING)

#define CS_UNCERTAIN_VALUE_FIELDS(X)                                                               \
    X(name, char *, CS_TYPE_STRING)                                                                \
    X(path, char *, CS_TYPE_STRING)                                                                \
    X(entry, int64_t, CS_TYPE_I64)                                                                 \
    X(scenario_value, double, CS_TYPE_F64)                                                         \
    X(dirichlet_count, double, CS_TYPE_F64)                                                        \
    X(mean, double, CS_TYPE_F64)                                                                   \
    X(sd, double, CS_TYPE_F64)                                                                     \
    X(p05, double, CS_TYPE_F64)                                                                    \
    X(p95, double, CS_TYPE_F64)                                                                    \
    X(valid_low, double, CS_TYPE_F64)                                                              \
    X(valid_high, double, CS_TYPE_F64)                                                             \
    X(units, char *, CS_TYPE_STRING)

#define CS_CORRELATION_FIELDS(X)                                                                   \
    X(entry_a, int64_t, CS_TYPE_I64)                                                               \
    X(entry_b, int64_t, CS_TYPE_I64)                                                               \
    X(rho, double, CS_TYPE_F64)

#define CS_FRONTIER_FIELDS(X)                                                                      \
    X(variant, char *, CS_TYPE_STRING)                                                             \
    X(effect, double, CS_TYPE_F64)                                                                 \
    X(cost, double, CS_TYPE_F64)                                                                   \
    X(status, char *, CS_TYPE_STRING)                                                              \
    X(versus, char *, CS_TYPE_STRING)                                                              \
    X(icer, double, CS_TYPE_F64)                                                                   \
    X(rank_by_cost, int32_t, CS_TYPE_I32)

#define CS_DECISION_RANKING_FIELDS(X)                                                              \
    X(variant, char *, CS_TYPE_STRING)                                                             \
    X(kind, char *, CS_TYPE_STRING)                                                                \
    X(effect, double, CS_TYPE_F64)                                                                 \
    X(cost, double, CS_TYPE_F64)                                                                   \
    X(enb, double, CS_TYPE_F64)                                                                    \
    X(enb_se, double, CS_TYPE_F64)                                                                 \
    X(rank, int32_t, CS_TYPE_I32)                                                                  \
    X(p_best, double, CS_TYPE_F64)                                                                 \
    X(status, char *, CS_TYPE_STRING)                                                              \
    X(best_member, char *, CS_TYPE_STRING)                                                         \
    X(increment, double, CS_TYPE_F64)                                                              \
    X(increment_se, double, CS_TYPE_F64)                                                           \
    X(p_increment_positive, double, CS_TYPE_F64)

#define CS_EVPPI_SET_FIELDS(X)                                                                     \
    X(name, char *, CS_TYPE_STRING)                                                                \
    X(kind, char *, CS_TYPE_STRING)                                                                \
    X(inputs, char *, CS_TYPE_STRING)                                                              \
    X(n_inputs, int64_t, CS_TYPE_I64)                                                              \
    X(evppi_expert, double, CS_TYPE_F64)                                                           \
    X(evppi_expert_se, double, CS_TYPE_F64)                                                        \
    X(evppi_expert_horizon, double, CS_TYPE_F64)                                                   \
    X(methods, char *, CS_TYPE_STRING)                                                             \
    X(min_r2, double, CS_TYPE_F64)

#define CS_EVPPI_CHECK_FIELDS(X)                                                                   \
    X(set, char *, CS_TYPE_STRING)                                                                 \
    X(other, char *, CS_TYPE_STRING)                                                               \
    X(lambda, double, CS_TYPE_F64)                                                                 \
    X(excess, double, CS_TYPE_F64)                                                                 \
    X(z, double, CS_TYPE_F64)

#define CS_VARIANCE_SPLIT_FIELDS(X)                                                                \
    X(variant, char *, CS_TYPE_STRING)                                                             \
    X(mean, double, CS_TYPE_F64)                                                                   \
    X(total, double, CS_TYPE_F64)                                                                  \
    X(within, double, CS_TYPE_F64)                                                                 \
    X(within_se, double, CS_TYPE_F64)                                                              \
    X(between, double, CS_TYPE_F64)                                                                \
    X(parameter, double, CS_TYPE_F64)                                                              \
    X(parameter_se, double, CS_TYPE_F64)                                                           \
    X(noise_share, double, CS_TYPE_F64)                                                            \
    X(clamped, int32_t, CS_TYPE_I32)

#define CS_PORTFOLIO_FIELDS(X)                                                                     \
    X(variant, char *, CS_TYPE_STRING)                                                             \
    X(members, char *, CS_TYPE_STRING)                                                             \
    X(expected_cost, double, CS_TYPE_F64)                                                          \
    X(p_over_budget, double, CS_TYPE_F64)                                                          \
    X(effect, double, CS_TYPE_F64)                                                                 \
    X(enb, double, CS_TYPE_F64)                                                                    \
    X(enb_se, double, CS_TYPE_F64)                                                                 \
    X(p_best, double, CS_TYPE_F64)                                                                 \
    X(rank, int32_t, CS_TYPE_I32)

/* A struct member of each kind of list. */
#define CS_SCHEMA_MEMBER(member, ctype, ...) ctype member;

/* ---------------------------------------------------- headline measures
 *
 * X(measure, label, display): the measures an expert reads first, in
 * order, as `casesim report` and the HTML page show them (measure: enum
 * cs_measure of casesim/measures.h). Written to the file (attributes of
 * /summary), so that other tools show the same list.
 */
typedef enum cs_display {
    CS_SHOW_PERCENT = 0, /* a share, shown as a percentage */
    CS_SHOW_RATIO,       /* a ratio, three decimals */
    CS_SHOW_DAYS         /* days, whole */
} cs_display;

#define CS_HEADLINE_MEASURES(X)                                                                    \
    X(CS_M_IMPUNITY, "Impunity", CS_SHOW_PERCENT)                                                  \
    X(CS_M_ACCOUNTABILITY, "Accountability", CS_SHOW_PERCENT)                                      \
    X(CS_M_REDRESS, "Redress", CS_SHOW_PERCENT)                                                    \
    X(CS_M_WRONGFUL_SANCTION, "Wrongful sanctions (of unfounded)", CS_SHOW_PERCENT)                \
    X(CS_M_ACCOUNTABILITY_RATIO, "Disparity ratio", CS_SHOW_RATIO)                                 \
    X(CS_M_TIME_MEDIAN, "Median days to end of case", CS_SHOW_DAYS)                                \
    X(CS_M_REPORTED, "Cases reported (left the first stage)", CS_SHOW_PERCENT)                     \
    X(CS_M_TIME_REPORTED_MEAN, "Reported cases: mean days to end", CS_SHOW_DAYS)                   \
    X(CS_M_TIME_REPORTED_MEDIAN, "Reported cases: median days to end", CS_SHOW_DAYS)               \
    X(CS_M_TIME_REPORTED_P90, "Reported cases: 90th percentile of days", CS_SHOW_DAYS)             \
    X(CS_M_PENDING, "Cases still open at the end", CS_SHOW_PERCENT)

#define CS_HEADLINE_COUNT_(...) +1
enum { CS_SCHEMA_N_HEADLINES = 0 CS_HEADLINE_MEASURES(CS_HEADLINE_COUNT_) };
#undef CS_HEADLINE_COUNT_

/* ----------------------------------------------- the tables, as data
 *
 * The same lists as arrays of descriptors, for code that walks them
 * (model/sim/schema.c; the analysis tables' descriptors are in
 * model/results/schema.c).
 */
#define CS_SCHEMA_MAX_RANK 4 /* axes of a per-replicate array, after the replicate axis */

typedef struct cs_schema_dim {
    const char *name;
    const char *labels; /* "" for a numbered axis */
    const char *extra;  /* NULL, or a label after those of `labels` */
    const char *description;
    size_t offset; /* of its length in cs_result_dims */
} cs_schema_dim;

typedef struct cs_schema_array {
    const char *name; /* the dataset under /runs/<variant> */
    cs_type type;
    size_t size;   /* bytes per element (sizeof ctype) */
    size_t offset; /* of the member in cs_replicate_result */
    bool scalar;   /* the member is the value; otherwise a pointer to the values */
    int rank;      /* axes after the replicate axis (0 for a scalar) */
    cs_dim dims[CS_SCHEMA_MAX_RANK];
    const char *units; /* NULL: one unit per entry of the last axis */
    const char *description;
} cs_schema_array;

typedef struct cs_schema_field {
    const char *name;
    cs_type type;
    size_t offset;
    const char *units; /* case records only; NULL in the analysis tables */
} cs_schema_field;

typedef struct cs_schema_headline {
    int measure; /* enum cs_measure */
    const char *label;
    cs_display display;
} cs_schema_headline;

extern const cs_schema_dim cs_schema_dims[CS_DIM_COUNT];
extern const cs_schema_array cs_schema_arrays[CS_SCHEMA_N_ARRAYS];
extern const cs_schema_field cs_schema_case_fields[CS_CASE_N_FIELDS];
extern const cs_schema_headline cs_schema_headlines[CS_SCHEMA_N_HEADLINES];

/* One row of a scenario's headline list. */
typedef struct cs_headline_row {
    size_t measure;  /* index on the measure axis */
    char label[160]; /* as the reports show it */
    cs_display display;
} cs_headline_row;

/* The headline list of a results file whose measure axis holds names[0 ..
 * n_measures - 1] (the fixed measures, then "accountability_rate_<category>"
 * per category): the schema's headline measures, with one "Accountability:
 * <category>" row per category after "Accountability". Measures are found
 * by name; one the file lacks gets the index n_measures. Writes at most max
 * rows into out and returns how many there are (the file's /summary
 * attributes and `casesim report` both use it). */
size_t cs_schema_headline_rows(const char *const *names, size_t n_measures, cs_headline_row *out,
                               size_t max);

struct cs_scenario;
struct cs_replicate_result;

/* Fills d with the lengths of scenario s's dimensions (any variant of a
 * scenario: they share them). */
void cs_result_dims_of(const struct cs_scenario *s, cs_result_dims *d);

/* The length of dimension k in d. */
size_t cs_result_dim(const cs_result_dims *d, cs_dim k);

/* Bytes of one element of type t (sizeof(char *) for a string). */
size_t cs_type_size(cs_type t);

/* Elements of array a in one replicate of dims d (1 for a scalar), into *n.
 * Returns false if the count overflows size_t (*n untouched). */
bool cs_schema_array_count(const cs_schema_array *a, const cs_result_dims *d, size_t *n);

/* Where a's values of result r are (the member itself for a scalar). */
void *cs_schema_array_data(const cs_schema_array *a, struct cs_replicate_result *r);
const void *cs_schema_array_cdata(const cs_schema_array *a, const struct cs_replicate_result *r);

/* The per-replicate array whose dataset is called name; NULL if none. */
const cs_schema_array *cs_schema_find_array(const char *name);

/* "percent", "ratio" or "days". */
const char *cs_display_name(cs_display d);

#ifdef __cplusplus
}
#endif
#endif
