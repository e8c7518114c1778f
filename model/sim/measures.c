/*
 * measures.c — the names, units and descriptions of what one replicate
 * measures (the single source for the results file and the report), the
 * shapes of a replicate's arrays, and the result object's alloc/reset/free.
 */
#include "casesim/measures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
                                   "reference group."},
    [CS_M_ACCOUNTABILITY_DIFF] = {"accountability_diff", "1",
                                  "Accountability rate of the group minus that of the reference "
                                  "group."},
    [CS_M_IMPUNITY_RATIO] = {"impunity_ratio", "1",
                             "Impunity rate of the group divided by that of the reference group."},
    [CS_M_IMPUNITY_DIFF] = {"impunity_diff", "1",
                            "Impunity rate of the group minus that of the reference group."},
    [CS_M_REDRESS_RATIO] = {"redress_ratio", "1",
                            "Redress rate of the group divided by that of the reference group."},
    [CS_M_REDRESS_DIFF] = {"redress_diff", "1",
                           "Redress rate of the group minus that of the reference group."},
    [CS_M_TIME_MEDIAN_RATIO] = {"time_to_end_median_ratio", "1",
                                "Median time to the end of the case for the group divided by that "
                                "of the reference group."},
    [CS_M_TIME_MEDIAN_DIFF] = {"time_to_end_median_diff", "days",
                               "Median time to the end of the case for the group minus that of the "
                               "reference group."},
};

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

void cs_result_dims_of(const cs_scenario *s, cs_result_dims *d)
{
    double years = s->warmup_years + s->cohort_years + s->follow_up_years;
    d->n_groups = s->n_groups;
    d->n_categories = s->n_categories;
    d->n_measures = CS_M_FIXED_COUNT + s->n_categories;
    d->n_outcomes = s->n_outcomes;
    d->n_stages = s->n_stages;
    /* years <= CS_MAX_YEARS (checked by the loader), so these fit easily. */
    double months = ceil(years * 12.0 - 1e-9);
    double whole = ceil(years - 1e-9);
    d->n_months = months < 1.0 ? 1u : (size_t)months;
    d->n_years = whole < 1.0 ? 1u : (size_t)whole;
}

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

/* n * m with overflow check; false on overflow. */
static bool mul_ok(size_t n, size_t m, size_t *out)
{
    if (m != 0 && n > SIZE_MAX / m)
        return false;
    *out = n * m;
    return true;
}

int cs_replicate_result_alloc(const cs_result_dims *d, cs_replicate_result **out, cs_error *err)
{
    *out = NULL;
    size_t rows = d->n_groups + 1;
    size_t n_meas, n_oc, n_se, n_ss, n_bl, n_pe, n_po;
    if (!mul_ok(rows, d->n_measures, &n_meas) || !mul_ok(rows, d->n_outcomes, &n_oc) ||
        !mul_ok(rows, d->n_stages, &n_se) || !mul_ok(d->n_stages, CS_SS_COUNT, &n_ss) ||
        !mul_ok(d->n_stages, d->n_months, &n_bl) || !mul_ok(d->n_years, d->n_stages, &n_pe) ||
        !mul_ok(d->n_years, d->n_outcomes, &n_po))
        return cs_error_set(err, CS_ELIMIT, "result arrays too large");
    cs_replicate_result *r = calloc(1, sizeof *r);
    if (!r)
        return cs_error_set(err, CS_ENOMEM, "out of memory allocating a replicate result");
    r->dims = *d;
    /* calloc(0) may return NULL: allocate at least one element everywhere. */
    r->measures = calloc(n_meas ? n_meas : 1, sizeof *r->measures);
    r->outcome_counts = calloc(n_oc ? n_oc : 1, sizeof *r->outcome_counts);
    r->stage_entries = calloc(n_se ? n_se : 1, sizeof *r->stage_entries);
    r->stage_stats = calloc(n_ss ? n_ss : 1, sizeof *r->stage_stats);
    r->backlog = calloc(n_bl ? n_bl : 1, sizeof *r->backlog);
    r->period_entries = calloc(n_pe ? n_pe : 1, sizeof *r->period_entries);
    r->period_outcomes = calloc(n_po ? n_po : 1, sizeof *r->period_outcomes);
    if (!r->measures || !r->outcome_counts || !r->stage_entries || !r->stage_stats || !r->backlog ||
        !r->period_entries || !r->period_outcomes) {
        cs_replicate_result_free(r);
        return cs_error_set(err, CS_ENOMEM, "out of memory allocating a replicate result");
    }
    *out = r;
    return CS_OK;
}

void cs_replicate_result_reset(cs_replicate_result *r)
{
    const cs_result_dims *d = &r->dims;
    size_t rows = d->n_groups + 1;
    memset(r->measures, 0, rows * d->n_measures * sizeof *r->measures);
    memset(r->outcome_counts, 0, rows * d->n_outcomes * sizeof *r->outcome_counts);
    memset(r->stage_entries, 0, rows * d->n_stages * sizeof *r->stage_entries);
    memset(r->stage_stats, 0, d->n_stages * CS_SS_COUNT * sizeof *r->stage_stats);
    memset(r->backlog, 0, d->n_stages * d->n_months * sizeof *r->backlog);
    memset(r->period_entries, 0, d->n_years * d->n_stages * sizeof *r->period_entries);
    memset(r->period_outcomes, 0, d->n_years * d->n_outcomes * sizeof *r->period_outcomes);
    r->variant = 0;
    r->replicate = 0;
    r->events = 0;
    r->incidents_total = 0;
    r->peak_cases = 0;
    r->peak_tracks = 0;
    r->peak_events = 0;
    r->n_cases = 0;
}

void cs_replicate_result_free(cs_replicate_result *r)
{
    if (!r)
        return;
    free(r->measures);
    free(r->outcome_counts);
    free(r->stage_entries);
    free(r->stage_stats);
    free(r->backlog);
    free(r->period_entries);
    free(r->period_outcomes);
    free(r->cases);
    free(r);
}
