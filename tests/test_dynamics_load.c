/*
 * test_dynamics_load.c — the loader's side of time and feedback: calendar
 * years, schedules and timed interventions as timelines (their values at
 * chosen times, worked out by hand), bundles in order, the cost in force,
 * the arrival years, feedback and initial backlog as read.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/dynamics.h"
#include "sim_support.h"

#define Y 365.25

static const char *BASE =
    "casesim: 1\n"
    "name: t\n"
    "time: {warmup_years: 2.5, cohort_years: 5, follow_up_years: 3, start_year: 2014}\n"
    "groups:\n"
    "  - {name: reference, incidents_per_year: 1000}\n"
    "  - {name: african_descent, incidents_per_year: 500}\n"
    "violations:\n"
    "  - {name: force, share: 1, well_founded: 0.5}\n"
    "stages:\n"
    "  - name: report\n"
    "    entry: true\n"
    "    branches:\n"
    "      - {to: investigation, p: 0.4}\n"
    "      - {to: never_reported}\n"
    "  - name: investigation\n"
    "    staff: 10\n"
    "    caseload: 5\n"
    "    duration: {gamma: {mean: 100, cv: 0.5}}\n"
    "    branches:\n"
    "      - {to: sanctioned, p: 0.3}\n"
    "      - {to: dismissed}\n"
    "outcomes:\n"
    "  never_reported: {}\n"
    "  dismissed: {}\n"
    "  sanctioned: {accountability: disciplinary}\n"
    "%s";

static cs_scenario *load(const char *extra)
{
    char yaml[8192];
    snprintf(yaml, sizeof yaml, BASE, extra);
    return cs_test_scenario(yaml);
}

/* The timeline of variant v for a param of kind k (first such); NULL if none. */
static const cs_timeline *find_tl(const cs_scenario *s, size_t v, cs_param_kind k, uint32_t group)
{
    const cs_scenario *vs = s->variants[v].scenario;
    for (size_t i = 0; i < vs->n_timelines; i++)
        if (vs->timelines[i].param.kind == k && vs->timelines[i].param.group == group)
            return &vs->timelines[i];
    return NULL;
}

START_TEST(no_dynamics_no_timelines)
{
    cs_scenario *s = load("");
    ck_assert_uint_eq(s->n_timelines, 0);
    ck_assert_uint_eq(s->variants[0].scenario->n_timelines, 0);
    ck_assert(s->has_start_year);
    ck_assert_double_eq(s->start_year, 2014);
    cs_scenario_free(s);
}
END_TEST

START_TEST(schedules_as_timelines)
{
    cs_scenario *s = load("schedules:\n"
                          "  - path: groups.african_descent.incidents_per_year\n"
                          "    values: {2015: 600, 2019: 1000}\n"
                          "    between: linear\n"
                          "  - path: stages.investigation.staff\n"
                          "    values: {2014: 10, 2020: 8}\n");
    const cs_timeline *r = find_tl(s, 0, CS_PARAM_RATE, 1);
    const cs_timeline *st = find_tl(s, 0, CS_PARAM_STAFF, 0);
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_nonnull(st);
    /* Before the first year the first value; linear between; the last after. */
    ck_assert_double_eq(cs_timeline_value(r, 0.0), 600);
    ck_assert_double_eq_tol(cs_timeline_value(r, 3 * Y), 800, 1e-9); /* 2017: half way */
    ck_assert_double_eq(cs_timeline_value(r, 8 * Y), 1000);
    /* Step: 10 until 2020, then 8. */
    ck_assert_double_eq(cs_timeline_value(st, 6 * Y - 1), 10);
    ck_assert_double_eq(cs_timeline_value(st, 6 * Y), 8);
    /* The base scenario moves as its baseline does. */
    ck_assert_uint_eq(s->n_timelines, s->variants[0].scenario->n_timelines);
    cs_scenario_free(s);
}
END_TEST

START_TEST(ramp_and_bundle_order)
{
    cs_scenario *s = load("interventions:\n"
                          "  - name: hire\n"
                          "    starts: 2018\n"
                          "    ramp_years: 2\n"
                          "    annual_cost: 1000\n"
                          "    changes:\n"
                          "      - {path: stages.investigation.staff, scale: 2}\n"
                          "  - name: cap\n"
                          "    annual_cost: 10\n"
                          "    changes:\n"
                          "      - {path: stages.investigation.staff, set: 15}\n"
                          "bundles:\n"
                          "  - {name: hire_then_cap, interventions: [hire, cap]}\n"
                          "  - {name: cap_then_hire, interventions: [cap, hire]}\n");
    /* hire: 10 until 2018, then a straight line to 20 in 2020. */
    const cs_timeline *h = find_tl(s, 1, CS_PARAM_STAFF, 0);
    ck_assert_ptr_nonnull(h);
    ck_assert_double_eq(cs_timeline_value(h, 4 * Y - 1e-6), 10);
    ck_assert_double_eq_tol(cs_timeline_value(h, 5 * Y), 15, 1e-9);
    ck_assert_double_eq(cs_timeline_value(h, 6 * Y), 20);
    /* cap alone moves nothing in time: no timeline, staff 15 throughout. */
    ck_assert_uint_eq(s->variants[2].scenario->n_timelines, 0);
    ck_assert_double_eq(s->variants[2].scenario->stages[1].staff, 15);
    /* In order: hire then cap is 15 from the start (cap, untimed, last). */
    const cs_timeline *hc = find_tl(s, 3, CS_PARAM_STAFF, 0);
    ck_assert_double_eq(cs_timeline_value(hc, 0), 15);
    ck_assert_double_eq(cs_timeline_value(hc, 9 * Y), 15);
    /* Cap then hire: 15, then ramping to 30 from 2018 to 2020. */
    const cs_timeline *ch = find_tl(s, 4, CS_PARAM_STAFF, 0);
    ck_assert_double_eq(cs_timeline_value(ch, 3 * Y), 15);
    ck_assert_double_eq_tol(cs_timeline_value(ch, 5 * Y), 22.5, 1e-9);
    ck_assert_double_eq(cs_timeline_value(ch, 7 * Y), 30);
    /* The variant's scenario is the one of time 0. */
    ck_assert_double_eq(s->variants[4].scenario->stages[1].staff, 15);
    cs_scenario_free(s);
}
END_TEST

START_TEST(cost_in_force)
{
    cs_scenario *s = load("interventions:\n"
                          "  - name: late\n"
                          "    starts: 2019\n"
                          "    annual_cost: 1000\n"
                          "    changes:\n"
                          "      - {path: stages.investigation.staff, scale: 2}\n"
                          "  - name: early\n"
                          "    annual_cost: 100\n"
                          "    changes:\n"
                          "      - {path: stages.investigation.staff, scale: 3}\n"
                          "bundles:\n"
                          "  - {name: both, interventions: [late, early]}\n");
    /* Cohort window 2016.5 - 2021.5: `late` is in force 2.5 of its 5 years. */
    double t0 = 2.5 * Y, t1 = 7.5 * Y;
    ck_assert_double_eq_tol(cs_variant_cost_in_force(s, 1, t0, t1), 500, 1e-9);
    ck_assert_double_eq_tol(cs_variant_cost_in_force(s, 2, t0, t1), 100, 1e-9);
    ck_assert_double_eq_tol(cs_variant_cost_in_force(s, 3, t0, t1), 600, 1e-9);
    ck_assert_double_eq(cs_variant_cost_in_force(s, 0, t0, t1), 0);
    /* An empty window: the cost in force at its time. */
    ck_assert_double_eq(cs_variant_cost_in_force(s, 1, 6 * Y, 6 * Y), 1000);
    ck_assert_double_eq(cs_variant_cost_in_force(s, 1, 4 * Y, 4 * Y), 0);
    cs_scenario_free(s);
}
END_TEST

START_TEST(arrival_years_and_labels)
{
    cs_scenario *s = load("");
    /* Warm-up 2.5 years: the cohort (2016.5 - 2021.5) overlaps run years 2..7. */
    ck_assert_uint_eq(cs_cohort_first_year(s), 2);
    ck_assert_uint_eq(cs_cohort_year_count(s), 6);
    char buf[32];
    ck_assert_str_eq(cs_scenario_year_label(s, 2, buf, sizeof buf), "2016");
    cs_result_dims d;
    cs_result_dims_of(s, &d);
    ck_assert_uint_eq(d.n_arrival_years, 6);
    ck_assert_uint_eq(d.n_feedback, 1); /* the row `none` */
    cs_scenario_free(s);
}
END_TEST

START_TEST(feedback_and_initial_read)
{
    cs_scenario *s = load("initial:\n"
                          "  - stage: investigation\n"
                          "    cases: 120\n"
                          "    age_days: {exponential: {mean: 200}}\n"
                          "feedback:\n"
                          "  - name: trust\n"
                          "    group: african_descent\n"
                          "    responds_to: {measure: accountability_rate_disciplinary, "
                          "window_years: 2}\n"
                          "    reference_value: 0.05\n"
                          "    effect: {path: \"stages.report.branches[0].p\", elasticity: 0.5}\n"
                          "    limits: {min: 0.5, max: 2}\n"
                          "  - name: deterrence\n"
                          "    group: all\n"
                          "    responds_to: {measure: accountability_rate, window_years: 3}\n"
                          "    reference_value: 0.03\n"
                          "    effect: {path: groups.reference.incidents_per_year, elasticity: "
                          "-0.3}\n");
    ck_assert_uint_eq(s->n_initial, 1);
    ck_assert_uint_eq(s->initial[0].cases, 120);
    /* By default the initial cases' groups follow the arrival rates. */
    ck_assert_double_eq_tol(s->initial[0].group_share[0], 2.0 / 3.0, 1e-15);
    ck_assert_uint_eq(s->n_feedback, 2);
    const cs_feedback *t = &s->feedback[0], *d = &s->feedback[1];
    ck_assert_int_eq(t->group, 1);
    ck_assert_int_eq(t->category, 0);
    ck_assert_uint_eq(t->n_targets, 2); /* p of each group */
    ck_assert_int_eq(t->targets[1].kind, CS_PARAM_P);
    ck_assert_double_eq(t->min_multiplier, 0.5);
    ck_assert_int_eq(d->group, -1);
    ck_assert_uint_eq(d->n_targets, 1);
    ck_assert_int_eq(d->targets[0].kind, CS_PARAM_RATE);
    ck_assert_double_eq(d->max_multiplier, 10); /* the default limits */
    cs_scenario_free(s);
}
END_TEST

START_TEST(durations_move_both_parameters)
{
    cs_scenario *s = load("schedules:\n"
                          "  - path: stages.investigation.duration.gamma.mean\n"
                          "    values: {2014: 100, 2018: 50}\n");
    /* Both written parameters of the gamma get timelines: cv stays 0.5. */
    const cs_scenario *vs = s->variants[0].scenario;
    size_t n = 0;
    for (size_t i = 0; i < vs->n_timelines; i++)
        if (vs->timelines[i].param.kind == CS_PARAM_DURATION) {
            n++;
            double want = vs->timelines[i].param.index ? 0.5 : 50;
            ck_assert_double_eq(cs_timeline_value(&vs->timelines[i], 5 * Y), want);
        }
    ck_assert_uint_eq(n, 2);
    cs_scenario_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dynamics_load");
    TCase *tc = tcase_create("loader");
    tcase_add_test(tc, no_dynamics_no_timelines);
    tcase_add_test(tc, schedules_as_timelines);
    tcase_add_test(tc, ramp_and_bundle_order);
    tcase_add_test(tc, cost_in_force);
    tcase_add_test(tc, arrival_years_and_labels);
    tcase_add_test(tc, feedback_and_initial_read);
    tcase_add_test(tc, durations_move_both_parameters);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
