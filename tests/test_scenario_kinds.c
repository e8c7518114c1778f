/*
 * test_scenario_kinds.c — branches for listed violation kinds, values per
 * kind and per group (p, duration, deadline), and interventions that change
 * procedure (a queue, a deadline added or removed, a branch's kinds, a
 * per-kind value), read into the tables they should give.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/scenario.h"

/* Two groups (g0, g1), three kinds (death, injury, minor). */
#define HEAD                                                                                       \
    "casesim: 1\nname: k\ncurrency: GBP\n"                                                         \
    "time: {warmup_years: 0, cohort_years: 1, follow_up_years: 1}\n"                               \
    "groups:\n  - {name: g0, incidents_per_year: 100}\n  - {name: g1, incidents_per_year: 50}\n"   \
    "violations:\n"                                                                                \
    "  - {name: death, share: 0.1, well_founded: 0.5, headline: true}\n"                           \
    "  - {name: injury, share: 0.2, well_founded: 0.5}\n"                                          \
    "  - {name: minor, share: 0.7, well_founded: 0.5}\n"

#define ROUTING                                                                                    \
    "stages:\n"                                                                                    \
    "  - name: start\n    entry: true\n    branches:\n"                                            \
    "      - {to: referral, kinds: [death, injury]}\n"                                             \
    "      - {to: complaint, kinds: [minor], p: {g0: 0.3, g1: 0.2}}\n"                             \
    "      - {to: dropped, kinds: [minor]}\n"                                                      \
    "  - name: referral\n"                                                                         \
    "    duration: {death: {fixed: 300}, injury: {g0: {fixed: 100}, g1: {fixed: 120}},"            \
    " minor: {fixed: 1}}\n"                                                                        \
    "    deadline: {death: ~, injury: {days: 50, from: stage, to: lapsed}, minor: ~}\n"            \
    "    branches:\n"                                                                              \
    "      - {to: charged, p: {death: {g0: 0.2, g1: 0.1}, injury: 0.3, minor: 0.05}}\n"            \
    "      - {to: dropped}\n"                                                                      \
    "  - name: complaint\n    staff: 2\n    branches:\n"                                           \
    "      - {to: upheld, p: 0.1}\n      - {to: dropped}\n"                                        \
    "outcomes:\n  dropped: {}\n  charged: {accountability: criminal}\n"                            \
    "  upheld: {accountability: disciplinary}\n  lapsed: {}\n"

static cs_scenario *load_text(const char *text)
{
    static cs_error err;
    cs_error_clear(&err);
    cs_scenario *s = NULL;
    int st = cs_scenario_load_string(text, strlen(text), "test.yaml", &s, &err);
    ck_assert_msg(st == CS_OK, "load failed: %s", err.text);
    return s;
}

enum { DEATH = 0, INJURY = 1, MINOR = 2 };

START_TEST(kinds_route_and_p_per_kind)
{
    cs_scenario *s = load_text(HEAD ROUTING);
    ck_assert_str_eq(s->currency, "GBP");
    ck_assert(s->violations[DEATH].headline && !s->violations[MINOR].headline);
    const cs_stage *st = &s->stages[0];
    /* Each kind's reference branch: referral for death and injury,
     * dropped for minor; closed branches have probability 0. */
    ck_assert_uint_eq(st->reference[DEATH], 0);
    ck_assert_uint_eq(st->reference[INJURY], 0);
    ck_assert_uint_eq(st->reference[MINOR], 2);
    ck_assert(st->branches[0].has_kinds);
    ck_assert_uint_eq(st->branches[0].kinds, (1u << DEATH) | (1u << INJURY));
    for (size_t g = 0; g < 2; g++) {
        ck_assert_double_eq(cs_branch_p(s, &st->branches[0], DEATH, g), 1.0);
        ck_assert_double_eq(cs_branch_p(s, &st->branches[0], MINOR, g), 0.0);
        ck_assert_double_eq(cs_branch_p(s, &st->branches[1], DEATH, g), 0.0);
    }
    ck_assert_double_eq(cs_branch_p(s, &st->branches[1], MINOR, 1), 0.2);
    ck_assert_double_eq_tol(cs_branch_p(s, &st->branches[2], MINOR, 1), 0.8, 1e-15);
    /* p per kind, then per group inside death. */
    const cs_stage *rf = &s->stages[1];
    ck_assert_int_eq(rf->branches[0].p_by, CS_BY_KIND_GROUP);
    ck_assert_double_eq(cs_branch_p(s, &rf->branches[0], DEATH, 0), 0.2);
    ck_assert_double_eq(cs_branch_p(s, &rf->branches[0], DEATH, 1), 0.1);
    ck_assert_double_eq(cs_branch_p(s, &rf->branches[0], INJURY, 1), 0.3);
    ck_assert_double_eq_tol(cs_branch_p(s, &rf->branches[1], DEATH, 1), 0.9, 1e-15);
    cs_scenario_free(s);
}
END_TEST

START_TEST(durations_and_deadlines_per_case)
{
    cs_scenario *s = load_text(HEAD ROUTING);
    const cs_stage *rf = &s->stages[1];
    ck_assert_int_eq(rf->duration_by, CS_BY_KIND_GROUP);
    ck_assert_int_eq(rf->deadline_by, CS_BY_KIND);
    ck_assert_double_eq(cs_stage_duration(s, rf, DEATH, 1)->a, 300);
    ck_assert_double_eq(cs_stage_duration(s, rf, INJURY, 0)->a, 100);
    ck_assert_double_eq(cs_stage_duration(s, rf, INJURY, 1)->a, 120);
    ck_assert_int_eq(cs_stage_duration(s, rf, MINOR, 0)->kind, CS_DUR_FIXED);
    ck_assert(rf->has_deadline);
    ck_assert(!cs_stage_deadline(s, rf, DEATH, 0)->on);
    const cs_deadline *d = cs_stage_deadline(s, rf, INJURY, 1);
    ck_assert(d->on);
    ck_assert_double_eq(d->days, 50);
    ck_assert_int_eq(d->from, CS_FROM_STAGE);
    ck_assert_int_eq((long)d->outcome, cs_scenario_find_outcome(s, "lapsed"));
    /* A stage without them: one value for every case. */
    ck_assert_int_eq(s->stages[2].duration_by, CS_BY_ALL);
    ck_assert(!s->stages[2].has_deadline);
    cs_scenario_free(s);
}
END_TEST

/* The variant called name of s. */
static const cs_scenario *variant(const cs_scenario *s, const char *name)
{
    long v = cs_scenario_find_variant(s, name);
    ck_assert_int_ge(v, 0);
    return s->variants[v].scenario;
}

START_TEST(procedural_changes)
{
    cs_scenario *s = load_text(
        HEAD ROUTING "interventions:\n"
                     "  - name: priority\n    changes:\n"
                     "      - {path: stages.complaint.queue, set: priority}\n"
                     "  - name: limit\n    changes:\n"
                     "      - path: stages.complaint.deadline\n"
                     "        set: {days: 730.5, from: incident, to: lapsed}\n"
                     "  - name: no_limit\n    changes:\n"
                     "      - {path: stages.referral.deadline, remove: true}\n"
                     "  - name: injuries_too\n    changes:\n"
                     "      - {path: \"stages.start.branches[0].kinds\", set: [death]}\n"
                     "      - {path: \"stages.start.branches[1].kinds\", set: [injury, minor]}\n"
                     "      - {path: \"stages.start.branches[2].kinds\", set: [injury, minor]}\n"
                     "  - name: longer_deaths\n    changes:\n"
                     "      - {path: stages.referral.duration.death.fixed, scale: 2}\n");
    ck_assert_int_eq(variant(s, "priority")->stages[2].queue, CS_QUEUE_PRIORITY);
    const cs_scenario *v = variant(s, "limit");
    ck_assert(v->stages[2].has_deadline);
    ck_assert_double_eq(cs_stage_deadline(v, &v->stages[2], MINOR, 1)->days, 730.5);
    ck_assert(!variant(s, "no_limit")->stages[1].has_deadline);
    v = variant(s, "injuries_too");
    ck_assert_uint_eq(v->stages[0].reference[INJURY], 2);
    ck_assert_double_eq(cs_branch_p(v, &v->stages[0].branches[1], INJURY, 0), 0.3);
    v = variant(s, "longer_deaths");
    ck_assert_double_eq(cs_stage_duration(v, &v->stages[1], DEATH, 0)->a, 600);
    ck_assert_double_eq(cs_stage_duration(v, &v->stages[1], INJURY, 0)->a, 100);
    cs_scenario_free(s);
}
END_TEST

START_TEST(per_kind_paths_expand)
{
    cs_scenario *s = load_text(
        HEAD ROUTING "interventions:\n"
                     /* a per-group p becomes per kind, then per group */
                     "  - name: minor_only\n    changes:\n"
                     "      - {path: \"stages.start.branches[1].p.minor.g1\", set: 0.25}\n"
                     /* one p for every case becomes per kind */
                     "  - name: kind_p\n    changes:\n"
                     "      - {path: \"stages.complaint.branches[0].p.death\", set: 0.4}\n"
                     /* one duration for every case becomes per kind */
                     "  - name: kind_duration\n    changes:\n"
                     "      - path: stages.complaint.duration\n"
                     "        set: {exponential: {mean: 10}}\n"
                     "      - {path: stages.complaint.duration.minor.exponential.mean, set: 30}\n");
    const cs_scenario *v = variant(s, "minor_only");
    ck_assert_double_eq(cs_branch_p(v, &v->stages[0].branches[1], MINOR, 0), 0.3);
    ck_assert_double_eq(cs_branch_p(v, &v->stages[0].branches[1], MINOR, 1), 0.25);
    v = variant(s, "kind_p");
    ck_assert_int_eq(v->stages[2].branches[0].p_by, CS_BY_KIND);
    ck_assert_double_eq(cs_branch_p(v, &v->stages[2].branches[0], DEATH, 0), 0.4);
    ck_assert_double_eq(cs_branch_p(v, &v->stages[2].branches[0], MINOR, 0), 0.1);
    v = variant(s, "kind_duration");
    ck_assert_double_eq(cs_stage_duration(v, &v->stages[2], MINOR, 1)->mean, 30);
    ck_assert_double_eq(cs_stage_duration(v, &v->stages[2], DEATH, 1)->mean, 10);
    cs_scenario_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("scenario_kinds");
    TCase *tc = tcase_create("kinds");
    tcase_add_test(tc, kinds_route_and_p_per_kind);
    tcase_add_test(tc, durations_and_deadlines_per_case);
    tcase_add_test(tc, procedural_changes);
    tcase_add_test(tc, per_kind_paths_expand);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
