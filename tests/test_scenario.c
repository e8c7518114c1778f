/* test_scenario.c — the scenario loader: examples load, variants patch what
 * they say, durations convert, errors are positioned and collected. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/scenario.h"

static char path_buf[4096];

static const char *src_path(const char *rel)
{
    const char *src = getenv("SRCDIR");
    snprintf(path_buf, sizeof path_buf, "%s/%s", src ? src : ".", rel);
    return path_buf;
}

static cs_scenario *load_ok(const char *rel)
{
    cs_error err;
    cs_error_clear(&err);
    cs_scenario *s = NULL;
    int st = cs_scenario_load(src_path(rel), &s, &err);
    if (st != CS_OK)
        fprintf(stderr, "%s", err.text);
    ck_assert_int_eq(st, CS_OK);
    ck_assert_ptr_nonnull(s);
    return s;
}

START_TEST(illustrative_loads)
{
    cs_scenario *s = load_ok("scenarios/illustrative.yaml");
    ck_assert_int_eq(s->format_version, 1);
    ck_assert_str_eq(s->name, "illustrative-national");
    ck_assert_uint_eq(s->n_groups, 2);
    ck_assert_str_eq(s->groups[1].name, "african_descent");
    ck_assert_double_eq(s->groups[0].incidents_per_year, 4000);
    ck_assert_uint_eq(s->n_violations, 4);
    ck_assert_uint_eq(s->n_stages, 8);
    ck_assert_uint_eq(s->n_outcomes, 12);
    ck_assert_uint_eq(s->entry_stage, 0);
    ck_assert_uint_eq(s->replicates, 200);
    ck_assert_uint_eq(s->seed, 20240524);
    long inv = cs_scenario_find_stage(s, "investigation");
    ck_assert_int_eq(inv, 2);
    const cs_stage *st = &s->stages[inv];
    ck_assert(st->has_staff);
    ck_assert_double_eq(st->staff, 65);
    ck_assert_uint_eq(st->caseload, 20);
    ck_assert_uint_eq(st->capacity, 1300);
    ck_assert_int_eq(st->queue, CS_QUEUE_PRIORITY);
    ck_assert(st->has_deadline);
    ck_assert_double_eq(st->deadline_days, 365);
    ck_assert_int_eq(st->deadline_from, CS_FROM_INCIDENT);
    ck_assert_int_eq((long)st->deadline_outcome, cs_scenario_find_outcome(s, "time_barred"));
    ck_assert_uint_eq(st->n_branches, 2);
    ck_assert_uint_eq(st->reference_branch, 1);
    const cs_branch *b = &st->branches[0];
    ck_assert_uint_eq(b->n_to, 2);
    ck_assert(b->to[0].is_stage);
    ck_assert_int_eq((long)b->to[0].index, cs_scenario_find_stage(s, "prosecution_review"));
    ck_assert_double_eq(b->p[0], 0.25);
    ck_assert_double_eq(b->p[1], 0.18);
    ck_assert_double_eq(b->evidence_slope, 3.0);
    ck_assert_double_eq(b->unfounded_odds_ratio, 0.3);
    ck_assert_double_eq(b->kind_odds_ratio[0], 2.0);
    ck_assert_double_eq(b->kind_odds_ratio[1], 1.0);
    ck_assert_double_eq_tol(st->branches[1].p[0], 0.75, 1e-15);
    ck_assert_uint_eq(s->n_categories, 2);
    ck_assert_str_eq(s->categories[0], "criminal");
    ck_assert_str_eq(s->categories[1], "disciplinary");
    ck_assert(s->outcomes[cs_scenario_find_outcome(s, "compensated")].redress);
    ck_assert_uint_eq(s->n_variants, 5);
    ck_assert_str_eq(s->variants[0].name, "baseline");
    ck_assert_str_eq(s->variants[4].name, "full_package");
    ck_assert_int_eq(cs_scenario_find_variant(s, "victim_support"), 2);
    ck_assert_double_eq(s->variants[4].annual_cost, 5.5e6);
    for (size_t v = 0; v < s->n_variants; v++)
        ck_assert_ptr_nonnull(s->variants[v].scenario);
    const cs_scenario *iv = s->variants[1].scenario;
    ck_assert_double_eq(iv->stages[inv].staff, 97.5);
    ck_assert_uint_eq(iv->stages[inv].capacity, 1950);
    ck_assert_double_eq(iv->stages[inv].branches[0].p[1], 0.25);
    ck_assert_double_eq(iv->stages[inv].branches[0].p[0], 0.25);
    cs_scenario_free(s);
}
END_TEST

START_TEST(minimal_loads)
{
    cs_scenario *s = load_ok("scenarios/minimal.yaml");
    ck_assert_uint_eq(s->n_variants, 2);
    ck_assert_double_eq(s->variants[1].scenario->stages[1].staff, 5);
    cs_scenario_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, illustrative_loads);
    tcase_add_test(tc, minimal_loads);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
