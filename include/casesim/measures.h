/*
 * casesim/measures.h — what one replicate of one variant measures.
 *
 * The names, units and descriptions here are the single source for the
 * results file's name lists and attributes and for the report, so that a
 * measure is described once; the arrays a replicate fills are declared in
 * casesim/schema.h. Rates are shares in [0, 1]; times are days;
 * a measure that is undefined in a replicate (e.g. a rate over zero
 * well-founded incidents) is NaN, and statistics skip NaNs and report n.
 */
#ifndef CASESIM_MEASURES_H
#define CASESIM_MEASURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casesim/error.h"
#include "casesim/scenario.h"
#include "casesim/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Measures per group of one replicate (cohort incidents only), for all
 * violation kinds together (the `measures` array) and for each kind
 * (`kind_measures`). After the fixed ones come n_categories per-category
 * accountability rates. The disparity
 * measures compare a group with the reference group (groups[0]); they are 1 or
 * 0 for the reference group itself (a ratio is NaN where the reference
 * group's value is 0) and NaN for "all groups". */
enum cs_measure {
    CS_M_INCIDENTS = 0,        /* cohort incidents (count) */
    CS_M_WELL_FOUNDED,         /* of which well-founded (count) */
    CS_M_ACCOUNTABILITY,       /* share of well-founded with >= 1 accountability outcome */
    CS_M_IMPUNITY,             /* 1 - accountability */
    CS_M_REDRESS,              /* share of well-founded with a redress outcome */
    CS_M_WRONGFUL_SANCTION,    /* share of unfounded with an accountability outcome */
    CS_M_TIME_MEAN,            /* days from incident to the case's end, ended cases */
    CS_M_TIME_MEDIAN,          /* days, median */
    CS_M_TIME_P90,             /* days, 90th percentile */
    CS_M_PENDING,              /* share of cohort cases still open at the end */
    CS_M_ACCOUNTABILITY_RATIO, /* group / reference */
    CS_M_ACCOUNTABILITY_DIFF,  /* group - reference */
    CS_M_IMPUNITY_RATIO,
    CS_M_IMPUNITY_DIFF,
    CS_M_REDRESS_RATIO,
    CS_M_REDRESS_DIFF,
    CS_M_TIME_MEDIAN_RATIO,
    CS_M_TIME_MEDIAN_DIFF,
    CS_M_REPORTED,             /* share of cohort cases that left the entry stage for another */
    CS_M_TIME_REPORTED_MEAN,   /* days from incident to case end, reported cases that ended */
    CS_M_TIME_REPORTED_MEDIAN, /* days, median */
    CS_M_TIME_REPORTED_P90,    /* days, 90th percentile */
    CS_M_FIXED_COUNT
};

/* Whether measure m (m < CS_M_FIXED_COUNT, or a per-category rate after
 * them) is a share of cases, bounded by 0 and 1: its confidence intervals
 * are kept inside [0, 1] (analysis/README.md). Counts, days, ratios and
 * differences are not. */
bool cs_measure_is_share(size_t m);

/* The rate whose group / reference ratio measure m is (CS_M_ACCOUNTABILITY
 * for CS_M_ACCOUNTABILITY_RATIO, CS_M_IMPUNITY, CS_M_REDRESS,
 * CS_M_TIME_MEDIAN), or -1 if m is not a disparity ratio. Summaries over
 * replicates report a ratio as the ratio of the two groups' mean rates
 * (casesim/stats.h, cs_stats_ratio_of_means); the per-replicate value in
 * the `measures` arrays is that replicate's own ratio. */
int cs_measure_ratio_of(size_t m);

/* Statistics per stage of one replicate, over the cohort window in time
 * ([warmup, warmup + cohort) days, all incidents, not only the cohort's). */
enum cs_stage_stat {
    CS_SS_ENTRIES = 0,     /* tracks entering the stage in the window */
    CS_SS_MEAN_WAIT,       /* days from arrival to service start (or to leaving) */
    CS_SS_MEAN_SERVICE,    /* days in service, completed services */
    CS_SS_UTILISATION,     /* time-average busy places / capacity (NaN without staff) */
    CS_SS_DEADLINE_LOSSES, /* tracks that left at the deadline in the window */
    CS_SS_MEAN_QUEUE,      /* time-average number waiting */
    CS_SS_MEAN_IN_SERVICE, /* time-average number in service */
    CS_SS_ARRIVAL_RATE,    /* entries per day */
    CS_SS_COUNT
};

/* A name table entry. */
typedef struct cs_measure_info {
    const char *name;        /* snake_case, stable: used in files and reports */
    const char *units;       /* "1" for shares and ratios, "days", "incidents", ... */
    const char *description; /* one plain-English sentence */
} cs_measure_info;

/* The fixed measures' descriptions, indexed by enum cs_measure. */
extern const cs_measure_info cs_measure_table[CS_M_FIXED_COUNT];
/* The stage statistics' descriptions, indexed by enum cs_stage_stat. */
extern const cs_measure_info cs_stage_stat_table[CS_SS_COUNT];

/* The name of measure m of scenario s (m < n_measures) written into buf:
 * the fixed names, then "accountability_rate_<category>". Returns buf. */
const char *cs_measure_name(const cs_scenario *s, size_t m, char *buf, size_t bufsize);

/* One case-level record (written only with --case-records): the columns of
 * CS_CASE_RECORD_FIELDS (casesim/schema.h). end_day is NaN if the case was
 * pending at the end; bit o of outcome_mask is set if a track ended in
 * outcome o; incident is the number within its group and replicate. */
typedef struct cs_case_record {
    CS_CASE_RECORD_FIELDS(CS_SCHEMA_MEMBER)
} cs_case_record;

/* What one (variant, replicate) run measures. The arrays and per-replicate
 * values are those of CS_REPLICATE_ARRAYS (casesim/schema.h): e.g.
 * double *measures, [n_group_rows][n_measures] row-major, and uint64_t
 * replicate, the replicate number. */
typedef struct cs_replicate_result {
    cs_result_dims dims;
    size_t variant;
#define CS_RESULT_ARRAY_(member, ctype, ...) ctype *member;
#define CS_RESULT_SCALAR_(member, ctype, ...) ctype member;
    CS_REPLICATE_ARRAYS(CS_RESULT_ARRAY_, CS_RESULT_SCALAR_)
#undef CS_RESULT_ARRAY_
#undef CS_RESULT_SCALAR_
    size_t peak_cases;  /* most cases in flight at once (memory high-water mark) */
    size_t peak_tracks; /* most tracks in flight at once */
    size_t peak_events; /* largest event-queue size */
    size_t n_cases;     /* case records held (0 unless asked for) */
    size_t cap_cases;
    cs_case_record *cases;
    /* Tallies that only some calibration targets need (CS_TALLY_*): NULL
     * unless the model asked for them (cs_model_set_tallies), so that an
     * ordinary run does no work for them. They are not part of the results
     * file nor of an MPI message. Index them with cs_tally_duration_index
     * and cs_tally_kind_index. */
    unsigned tallies;     /* which of the two below are allocated */
    double *durations;    /* CS_TALLY_DURATIONS: n, sum, sum of squares (days) */
    int64_t *kind_counts; /* CS_TALLY_KINDS: tracks by violation kind */
} cs_replicate_result;

/* Extra tallies a model can be asked to keep (cs_model_set_tallies). */
#define CS_TALLY_DURATIONS 1u /* durations by stage, year and group */
#define CS_TALLY_KINDS 2u     /* period and by-delay counts by violation kind */

/* The index in r->durations of the count n of the durations `of` at stage
 * `stage` (ignored for CS_DUR_TO_END) of group g's tracks (g < n_groups)
 * that ended in run year `year` (year < n_years), or, with year = n_years,
 * of the cohort incidents' tracks. Their sum is at index + 1 and their sum of
 * squares at index + 2. A track's service, wait and stay at a stage are
 * counted when its service there completes (so that stay = wait + service
 * over the same tracks); a case's time to its end when its last track
 * ends. Tracks that leave a stage at a deadline are not counted. */
size_t cs_tally_duration_index(const cs_result_dims *d, size_t g, cs_duration_of of, size_t stage,
                               size_t year);

/* Elements of r->durations and r->kind_counts for dims d. */
size_t cs_tally_duration_count(const cs_result_dims *d);
size_t cs_tally_kind_count(const cs_result_dims *d);

/* The index in r->kind_counts of the tracks of violation kind k and group g
 * (< n_groups) entering stage e (is_outcome false) or ending in outcome e:
 * with by_delay false, in run year t (t < n_years), all incidents; with
 * by_delay true, cohort incidents' tracks t whole years (t < n_delay_years)
 * after their incident. */
size_t cs_tally_kind_index(const cs_result_dims *d, size_t k, size_t g, bool is_outcome, size_t e,
                           bool by_delay, size_t t);

/* Allocates (zeroed) the tallies of `which` (CS_TALLY_*) that r lacks.
 * Returns CS_OK or CS_ENOMEM. */
int cs_replicate_result_tallies(cs_replicate_result *r, unsigned which, cs_error *err);

/* Allocates a zeroed result for dims d: every array of the schema. Returns
 * CS_OK, CS_ELIMIT (an array too large to address) or CS_ENOMEM; free with
 * cs_replicate_result_free. */
int cs_replicate_result_alloc(const cs_result_dims *d, cs_replicate_result **out, cs_error *err);

/* Resets every array and per-replicate value of r to zero and drops its
 * case records (keeps memory). */
void cs_replicate_result_reset(cs_replicate_result *r);

/* Frees r. NULL is a no-op. */
void cs_replicate_result_free(cs_replicate_result *r);

#ifdef __cplusplus
}
#endif
#endif
