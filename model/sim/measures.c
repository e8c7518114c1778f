/*
 * sim/measures.c — the names, units and descriptions of what one replicate
 * measures (the single source for the results file and the report), and
 * the result object's alloc/reset/free, walking the schema's table of
 * per-replicate arrays (casesim/schema.h).
 */
#include "casesim/measures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/assert.h"

const cs_measure_info cs_measure_table[CS_M_FIXED_COUNT] = {
    [CS_M_INCIDENTS] = {"incidents", "incidents", "Incidents that arrived in the cohort window."},
    [CS_M_WELL_FOUNDED] = {"well_founded", "incidents",
                           "Cohort incidents that were well-founded (the violation really happened "
                           "and was unlawful)."},
    [CS_M_ACCOUNTABILITY] = {"accountability_rate", "1",
                             "Share of well-founded cohort incidents with at least one "
                             "accountability outcome by the end of the run."},
    [CS_M_IMPUNITY] = {"impunity_rate", "1",
                       "Share of well-founded cohort incidents without any accountability "
                       "outcome by the end of the run (1 - accountability rate)."},
    [CS_M_REDRESS] = {"redress_rate", "1",
                      "Share of well-founded cohort incidents with at least one redress outcome "
                      "by the end of the run."},
    [CS_M_WRONGFUL_SANCTION] = {"wrongful_sanction_rate", "1",
                                "Share of unfounded cohort incidents with at least one "
                                "accountability outcome by the end of the run."},
    [CS_M_TIME_MEAN] = {"time_to_end_mean", "days",
                        "Mean days from incident to the end of its case (last track's outcome), "
                        "over cohort cases that ended."},
    [CS_M_TIME_MEDIAN] = {"time_to_end_median", "days",
                          "Median days from incident to the end of its case, over cohort cases "
                          "that ended."},
    [CS_M_TIME_P90] = {"time_to_end_p90", "days",
                       "90th percentile of days from incident to the end of its case, over "
                       "cohort cases that ended."},
    [CS_M_PENDING] = {"pending_share", "1",
                      "Share of cohort cases still open (some track without an outcome) at the "
                      "end of the run."},
    [CS_M_ACCOUNTABILITY_RATIO] = {"accountability_ratio", "1",
                                   "Accountability rate of the group divided by that of the "
                                   "reference group (over replicates: of the mean rates)."},
    [CS_M_ACCOUNTABILITY_DIFF] = {"accountability_diff", "1",
                                  "Accountability rate of the group minus that of the reference "
                                  "group."},
    [CS_M_IMPUNITY_RATIO] = {"impunity_ratio", "1",
                             "Impunity rate of the group divided by that of the reference group "
                             "(over replicates: of the mean rates)."},
    [CS_M_IMPUNITY_DIFF] = {"impunity_diff", "1",
                            "Impunity rate of the group minus that of the reference group."},
    [CS_M_REDRESS_RATIO] = {"redress_ratio", "1",
                            "Redress rate of the group divided by that of the reference group "
                            "(over replicates: of the mean rates)."},
    [CS_M_REDRESS_DIFF] = {"redress_diff", "1",
                           "Redress rate of the group minus that of the reference group."},
    [CS_M_TIME_MEDIAN_RATIO] = {"time_to_end_median_ratio", "1",
                                "Median time to the end of the case for the group divided by that "
                                "of the reference group (over replicates: of the mean medians)."},
    [CS_M_TIME_MEDIAN_DIFF] = {"time_to_end_median_diff", "days",
                               "Median time to the end of the case for the group minus that of the "
                               "reference group."},
    [CS_M_REPORTED] = {"reported_share", "1",
                       "Share of cohort cases that left the entry stage for another stage (were "
                       "reported, referred or otherwise taken up), by the end of the run."},
    [CS_M_TIME_REPORTED_MEAN] = {"time_to_end_reported_mean", "days",
                                 "Mean days from incident to the end of its case, over cohort "
                                 "cases that left the entry stage for another stage and ended."},
    [CS_M_TIME_REPORTED_MEDIAN] = {"time_to_end_reported_median", "days",
                                   "Median days from incident to the end of its case, over cohort "
                                   "cases that left the entry stage for another stage and ended."},
    [CS_M_TIME_REPORTED_P90] = {"time_to_end_reported_p90", "days",
                                "90th percentile of days from incident to the end of its case, "
                                "over cohort cases that left the entry stage for another stage "
                                "and ended."},
};

bool cs_measure_is_share(size_t m)
{
    switch (m) {
    case CS_M_ACCOUNTABILITY:
    case CS_M_IMPUNITY:
    case CS_M_REDRESS:
    case CS_M_WRONGFUL_SANCTION:
    case CS_M_PENDING:
    case CS_M_REPORTED:
        return true;
    default:
        return m >= CS_M_FIXED_COUNT; /* the per-category accountability rates */
    }
}

const cs_measure_info cs_stage_stat_table[CS_SS_COUNT] = {
    [CS_SS_ENTRIES] = {"entries", "tracks",
                       "Tracks (of any incident) entering the stage in the cohort window."},
    [CS_SS_MEAN_WAIT] = {"mean_wait", "days",
                         "Mean days from arrival at the stage to the start of service (or to "
                         "leaving at the deadline, or to the end of the run), over tracks entering "
                         "in the cohort window; tracks that never wait count as 0."},
    [CS_SS_MEAN_SERVICE] = {"mean_service", "days",
                            "Mean days in service over completed services of tracks entering in "
                            "the cohort window."},
    [CS_SS_UTILISATION] = {"utilisation", "1",
                           "Time-average share of the stage's places (staff x caseload) in use "
                           "during the cohort window; NaN for a stage without staff."},
    [CS_SS_DEADLINE_LOSSES] = {"deadline_losses", "tracks",
                               "Tracks that left the stage at its deadline during the cohort "
                               "window."},
    [CS_SS_MEAN_QUEUE] = {"mean_queue", "tracks",
                          "Time-average number of tracks waiting for a place during the cohort "
                          "window (Little's law: mean_queue = arrival_rate x mean_wait)."},
    [CS_SS_MEAN_IN_SERVICE] = {"mean_in_service", "tracks",
                               "Time-average number of tracks in service during the cohort "
                               "window."},
    [CS_SS_ARRIVAL_RATE] = {"arrival_rate", "tracks/day",
                            "Tracks entering the stage per day during the cohort window."},
};

const char *cs_measure_name(const cs_scenario *s, size_t m, char *buf, size_t bufsize)
{
    if (!buf || bufsize == 0)
        return buf;
    if (m < CS_M_FIXED_COUNT)
        snprintf(buf, bufsize, "%s", cs_measure_table[m].name);
    else if (m - CS_M_FIXED_COUNT < s->n_categories)
        snprintf(buf, bufsize, "accountability_rate_%s", s->categories[m - CS_M_FIXED_COUNT]);
    else
        buf[0] = '\0';
    return buf;
}

int cs_replicate_result_alloc(const cs_result_dims *d, cs_replicate_result **out, cs_error *err)
{
    *out = NULL;
    cs_replicate_result *r = calloc(1, sizeof *r);
    if (!r)
        return cs_error_set(err, CS_ENOMEM, "out of memory allocating a replicate result");
    r->dims = *d;
    int st = CS_OK;
    for (size_t i = 0; i < CS_SCHEMA_N_ARRAYS && st == CS_OK; i++) {
        const cs_schema_array *a = &cs_schema_arrays[i];
        size_t n = 0;
        if (a->scalar)
            continue;
        if (!cs_schema_array_count(a, d, &n) || n > SIZE_MAX / a->size) {
            st = cs_error_set(err, CS_ELIMIT, "result array %s too large", a->name);
            break;
        }
        /* At least one element everywhere: NULL then always means failure. */
        void *p = cs_xcalloc(n, a->size);
        if (!p)
            st = cs_error_set(err, CS_ENOMEM, "out of memory allocating a replicate result");
        memcpy((char *)r + a->offset, &p, sizeof p);
    }
    if (st != CS_OK) {
        cs_replicate_result_free(r);
        return st;
    }
    *out = r;
    return CS_OK;
}

/* Rows of the duration tally: service, wait and stay of each stage, then
 * the time to the end of the case. */
static size_t duration_rows(const cs_result_dims *d)
{
    return 3 * d->n_stages + 1;
}

size_t cs_tally_duration_count(const cs_result_dims *d)
{
    return d->n_groups * duration_rows(d) * (d->n_years + 1) * 3;
}

size_t cs_tally_duration_index(const cs_result_dims *d, size_t g, cs_duration_of of, size_t stage,
                               size_t year)
{
    size_t row = of == CS_DUR_TO_END ? 3 * d->n_stages : (size_t)of * d->n_stages + stage;
    return ((g * duration_rows(d) + row) * (d->n_years + 1) + year) * 3;
}

/* The four blocks of the kind tally, each [kind][group][...]: entries and
 * outcomes by run year, then by delay. */
size_t cs_tally_kind_count(const cs_result_dims *d)
{
    size_t SO = d->n_stages + d->n_outcomes;
    return d->n_kinds * d->n_groups * SO * (d->n_years + d->n_delay_years);
}

size_t cs_tally_kind_index(const cs_result_dims *d, size_t k, size_t g, bool is_outcome, size_t e,
                           bool by_delay, size_t t)
{
    size_t VG = d->n_kinds * d->n_groups, kg = k * d->n_groups + g;
    size_t S = d->n_stages, O = d->n_outcomes, Y = d->n_years, D = d->n_delay_years;
    if (!by_delay)
        return is_outcome ? VG * Y * S + (kg * Y + t) * O + e : (kg * Y + t) * S + e;
    size_t base = VG * Y * (S + O);
    return is_outcome ? base + VG * S * D + (kg * O + e) * D + t : base + (kg * S + e) * D + t;
}

int cs_replicate_result_tallies(cs_replicate_result *r, unsigned which, cs_error *err)
{
    if ((which & CS_TALLY_DURATIONS) && !r->durations) {
        r->durations = cs_xcalloc(cs_tally_duration_count(&r->dims), sizeof *r->durations);
        if (!r->durations)
            return cs_error_set(err, CS_ENOMEM, "out of memory allocating the duration tally");
        r->tallies |= CS_TALLY_DURATIONS;
    }
    if ((which & CS_TALLY_KINDS) && !r->kind_counts) {
        r->kind_counts = cs_xcalloc(cs_tally_kind_count(&r->dims), sizeof *r->kind_counts);
        if (!r->kind_counts)
            return cs_error_set(err, CS_ENOMEM, "out of memory allocating the kind tally");
        r->tallies |= CS_TALLY_KINDS;
    }
    return CS_OK;
}

void cs_replicate_result_reset(cs_replicate_result *r)
{
    if (r->durations)
        memset(r->durations, 0, cs_tally_duration_count(&r->dims) * sizeof *r->durations);
    if (r->kind_counts)
        memset(r->kind_counts, 0, cs_tally_kind_count(&r->dims) * sizeof *r->kind_counts);
    for (size_t i = 0; i < CS_SCHEMA_N_ARRAYS; i++) {
        const cs_schema_array *a = &cs_schema_arrays[i];
        size_t n = 1;
        /* The count was checked when r was allocated. */
        bool ok = cs_schema_array_count(a, &r->dims, &n);
        CS_ASSERT(ok);
        (void)ok;
        memset(cs_schema_array_data(a, r), 0, n * a->size);
    }
    r->variant = 0;
    r->peak_cases = 0;
    r->peak_tracks = 0;
    r->peak_events = 0;
    r->n_cases = 0;
}

void cs_replicate_result_free(cs_replicate_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < CS_SCHEMA_N_ARRAYS; i++)
        if (!cs_schema_arrays[i].scalar)
            free(cs_schema_array_data(&cs_schema_arrays[i], r));
    free(r->cases);
    free(r->durations);
    free(r->kind_counts);
    free(r);
}

int cs_measure_ratio_of(size_t m)
{
    switch (m) {
    case CS_M_ACCOUNTABILITY_RATIO:
        return CS_M_ACCOUNTABILITY;
    case CS_M_IMPUNITY_RATIO:
        return CS_M_IMPUNITY;
    case CS_M_REDRESS_RATIO:
        return CS_M_REDRESS;
    case CS_M_TIME_MEDIAN_RATIO:
        return CS_M_TIME_MEDIAN;
    default:
        return -1;
    }
}
