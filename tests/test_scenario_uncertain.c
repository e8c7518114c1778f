/* test_scenario_uncertain.c — `uncertain:`, `correlations:` and `decision:`
 * as the loader reads them, instantiation at a point, and the budget
 * portfolios. The numerics of the families and the draws are tested in
 * test_uncertain_*.c; here: that the loader resolves what a file says, puts
 * values where the paths name, and refuses what it must (the messages of
 * each rule are checked by tests/cli/check_invalid.sh on
 * tests/data/invalid). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "casesim/decision.h"
#include "casesim/measures.h"
#include "casesim/scenario.h"

/* A small scenario: two groups, two violations, a report stage and an
 * investigation with staff, two interventions and a bundle. */
static const char *BASE =
    "casesim: 1\n"
    "name: t\n"
    "time: {warmup_years: 0, cohort_years: 1, follow_up_years: 1}\n"
    "run: {replicates: 4, seed: 3}\n"
    "groups:\n"
    "  - {name: ref, incidents_per_year: 100}\n"
    "  - {name: other, incidents_per_year: 50}\n"
    "violations:\n"
    "  - {name: force, share: {ref: 0.7, other: 0.6}, well_founded: 0.5}\n"
    "  - {name: profiling, share: {ref: 0.3, other: 0.4}, well_founded: 0.5}\n"
    "stages:\n"
    "  - name: report\n"
    "    entry: true\n"
    "    branches:\n"
    "      - {to: investigation, p: 0.4}\n"
    "      - {to: dropped}\n"
    "  - name: investigation\n"
    "    staff: 3\n"
    "    duration: {gamma: {mean: 30, cv: 0.5}}\n"
    "    branches:\n"
    "      - {to: disciplined, p: {ref: 0.3, other: 0.2}, kind_odds_ratio: {force: 2}}\n"
    "      - {to: cleared}\n"
    "outcomes:\n"
    "  dropped: {}\n"
    "  cleared: {}\n"
    "  disciplined: {accountability: disciplinary}\n"
    "interventions:\n"
    "  - name: more_staff\n"
    "    annual_cost: 1000\n"
    "    changes: [{path: stages.investigation.staff, scale: 2}]\n"
    "  - name: outreach\n"
    "    annual_cost: 3000\n"
    "    changes:\n"
    "      - path: stages.report.branches[0].p.other\n"
    "        set: 0.5\n"
    "  - name: training\n"
    "    annual_cost: 2500\n"
    "    changes:\n"
    "      - path: stages.investigation.branches[0].p.other\n"
    "        set: 0.3\n"
    "bundles:\n"
    "  - {name: both, interventions: [more_staff, outreach]}\n";

/* BASE followed by extra (text appended), loaded; NULL with the loader's
 * messages in *err when it fails. */
static cs_scenario *load_with(const char *extra, cs_error *err)
{
    size_t n = strlen(BASE) + strlen(extra) + 1;
    char *text = malloc(n);
    ck_assert_ptr_nonnull(text);
    snprintf(text, n, "%s%s", BASE, extra);
    cs_scenario *s = NULL;
    cs_error_clear(err);
    cs_scenario_load_string(text, strlen(text), "t.yaml", &s, err);
    free(text);
    return s;
}

static cs_scenario *must_load(const char *extra)
{
    static cs_error err;
    cs_scenario *s = load_with(extra, &err);
    ck_assert_msg(s != NULL, "did not load: %s", err.text);
    return s;
}

static const char *UNC = "uncertain:\n"
                         "  - path: stages.report.branches[0].p.other\n"
                         "    name: reporting\n"
                         "    beta: {mean: 0.4, sd: 0.05}\n"
                         "    source: a survey\n"
                         "    group: reporting\n"
                         "  - path: stages.investigation.staff\n"
                         "    gamma: {mean: 3, sd: 0.5}\n"
                         "    truncate: [1, .inf]\n"
                         "  - paths: [violations.force.share.ref, violations.profiling.share.ref]\n"
                         "    dirichlet: {counts: [70, 30]}\n"
                         "  - path: interventions.outreach.changes[0].set\n"
                         "    uniform: {min: 0.45, max: 0.6}\n"
                         "  - path: interventions.training.annual_cost\n"
                         "    gamma: {mean: 2000, sd: 500}\n"
                         "    truncate: [1000, .inf]\n"
                         "correlations:\n"
                         "  - {between: [0, 1], rho: 0.5}\n";

START_TEST(entries_resolve)
{
    cs_scenario *s = must_load(UNC);
    ck_assert_uint_eq(s->n_uncertain, 5);
    ck_assert_uint_eq(s->n_uncertain_values, 6); /* the dirichlet gives two */
    ck_assert_str_eq(s->uncertain[0].name, "reporting");
    ck_assert_str_eq(s->uncertain[0].source, "a survey");
    ck_assert_str_eq(s->uncertain[0].group, "reporting");
    ck_assert_str_eq(s->uncertain[1].name, "stages.investigation.staff");
    /* The scenario's own values at the paths, in draw order. */
    double v[6];
    cs_scenario_uncertain_values(s, v);
    const double want[6] = {0.4, 3, 0.7, 0.3, 0.5, 2500};
    for (int i = 0; i < 6; i++)
        ck_assert_double_eq(v[i], want[i]);
    ck_assert_uint_eq(s->uncertain[2].offset, 2);
    ck_assert_uint_eq(s->uncertain[3].offset, 4);
    /* Ranges and units from the path table; a change's `set` takes its path's. */
    ck_assert_str_eq(s->uncertain[0].range.what, "a probability");
    ck_assert_str_eq(s->uncertain[1].units, "people");
    ck_assert_str_eq(s->uncertain[2].range.what, "a share");
    ck_assert_str_eq(s->uncertain[3].range.what, "a probability");
    ck_assert_str_eq(s->uncertain[4].units, "currency per year");
    ck_assert(s->uncertain[4].truncated && s->uncertain[4].truncate[0] == 1000 &&
              isinf(s->uncertain[4].truncate[1]));
    ck_assert_uint_eq(s->n_correlations, 1);
    ck_assert_ptr_nonnull(s->uncertain_set);
    ck_assert_uint_eq(cs_unc_set_values(s->uncertain_set), 6);
    /* A variant's scenario keeps the shape of its results. */
    ck_assert_uint_eq(s->variants[1].scenario->n_uncertain_values, 6);
    ck_assert_uint_eq(s->replicates_per_draw, 1);
    ck_assert_int_eq(s->sampling, CS_UNC_RANDOM);
    cs_scenario_free(s);
}
END_TEST

/* The values of an instance land where the paths say, in the base and
 * through the interventions (set on top of a drawn value, scale of it). */
START_TEST(instance_puts_values_at_paths)
{
    cs_scenario *s = must_load(UNC);
    const double v[6] = {0.25, 4.5, 0.6, 0.4, 0.55, 1800};
    cs_scenario *in = NULL;
    static cs_error err;
    cs_error_clear(&err);
    ck_assert_msg(cs_scenario_instantiate(s, v, &in, &err) == CS_OK, "%s", err.text);
    ck_assert_uint_eq(in->n_variants, s->n_variants);
    const cs_scenario *b = in->variants[0].scenario;
    ck_assert_double_eq(cs_branch_p(b, &b->stages[0].branches[0], 0, 1), 0.25);
    ck_assert_double_eq(cs_branch_p(b, &b->stages[0].branches[0], 0, 0),
                        0.4); /* the other group kept */
    ck_assert_double_eq(b->stages[1].staff, 4.5);
    ck_assert_double_eq(b->violations[0].share[0], 0.6);
    ck_assert_double_eq(b->violations[1].share[0], 0.4);
    /* more_staff scales the drawn staff; outreach sets its drawn value. */
    ck_assert_double_eq(in->variants[1].scenario->stages[1].staff, 9.0);
    const cs_scenario *v2 = in->variants[2].scenario;
    ck_assert_double_eq(cs_branch_p(v2, &v2->stages[0].branches[0], 0, 1), 0.55);
    /* training's drawn cost, and the bundle's sum. */
    ck_assert_double_eq(in->variants[3].annual_cost, 1800);
    ck_assert_double_eq(in->variants[4].annual_cost, 4000);
    ck_assert_ptr_null(in->tree);
    ck_assert_uint_eq(in->n_uncertain, 0);
    ck_assert_uint_eq(in->n_uncertain_values, 6);
    cs_scenario_free(in);
    cs_scenario_free(s);
}
END_TEST

/* At the scenario's own values the instance is the scenario, number for
 * number (what makes --no-uncertainty equal to a run without uncertain:). */
START_TEST(instance_at_own_values_is_the_scenario)
{
    cs_scenario *s = must_load(UNC);
    double v[6];
    cs_scenario_uncertain_values(s, v);
    cs_scenario *in = NULL;
    ck_assert_int_eq(cs_scenario_instantiate(s, v, &in, NULL), CS_OK);
    for (size_t k = 0; k < s->n_variants; k++) {
        const cs_scenario *a = s->variants[k].scenario, *b = in->variants[k].scenario;
        ck_assert_double_eq(s->variants[k].annual_cost, in->variants[k].annual_cost);
        for (size_t i = 0; i < a->n_stages; i++) {
            ck_assert_double_eq(a->stages[i].staff, b->stages[i].staff);
            for (size_t j = 0; j < a->stages[i].n_branches; j++)
                for (size_t g = 0; g < a->n_groups; g++)
                    for (size_t k = 0; k < a->n_violations; k++)
                        ck_assert_double_eq(cs_branch_p(a, &a->stages[i].branches[j], k, g),
                                            cs_branch_p(b, &b->stages[i].branches[j], k, g));
        }
        for (size_t i = 0; i < a->n_violations; i++)
            for (size_t g = 0; g < a->n_groups; g++)
                ck_assert_double_eq(a->violations[i].share[g], b->violations[i].share[g]);
    }
    cs_scenario_free(in);
    cs_scenario_free(s);
}
END_TEST

/* Values that break a rule give an error, never a scenario. */
START_TEST(instance_refuses_invalid_values)
{
    cs_scenario *s = must_load(UNC);
    double v[6];
    cs_scenario_uncertain_values(s, v);
    v[0] = 1.5; /* a probability above 1 */
    cs_scenario *in = NULL;
    static cs_error err;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_scenario_instantiate(s, v, &in, &err), CS_EINVAL);
    ck_assert_ptr_null(in);
    ck_assert_msg(strstr(err.text, "t.yaml:") != NULL, "%s", err.text);
    /* A variant or an instance cannot be instantiated: it keeps no file. */
    cs_error_clear(&err);
    ck_assert_int_eq(cs_scenario_instantiate(s->variants[0].scenario, v, &in, &err), CS_EINVAL);
    cs_scenario_free(s);
}
END_TEST

START_TEST(sampling_and_replicates_per_draw)
{
    cs_scenario *s = must_load("uncertain:\n"
                               "  - path: stages.investigation.staff\n"
                               "    uniform: {min: 2, max: 4}\n");
    ck_assert_int_eq(s->sampling, CS_UNC_RANDOM);
    cs_scenario_free(s);
    /* run: is given again here through a second document key? No: BASE has
     * `run`; replace it. */
    static cs_error err;
    char *text = malloc(strlen(BASE) + 256);
    ck_assert_ptr_nonnull(text);
    strcpy(text, BASE);
    char *run = strstr(text, "run: {replicates: 4, seed: 3}");
    ck_assert_ptr_nonnull(run);
    const char *with = "run: {replicates: 4, seed: 3, replicates_per_draw: 5, sampling: sobol}";
    memmove(run + strlen(with), run + strlen("run: {replicates: 4, seed: 3}"),
            strlen(run + strlen("run: {replicates: 4, seed: 3}")) + 1);
    memcpy(run, with, strlen(with));
    strcat(text,
           "uncertain:\n  - path: stages.investigation.staff\n    uniform: {min: 2, max: 4}\n");
    cs_scenario *t = NULL;
    cs_error_clear(&err);
    ck_assert_msg(cs_scenario_load_string(text, strlen(text), "t.yaml", &t, &err) == CS_OK, "%s",
                  err.text);
    ck_assert_uint_eq(t->replicates_per_draw, 5);
    ck_assert_int_eq(t->sampling, CS_UNC_SOBOL);
    ck_assert_int_eq(cs_unc_set_sampling(t->uncertain_set), CS_UNC_SOBOL);
    cs_scenario_free(t);
    free(text);
}
END_TEST

START_TEST(decision_defaults)
{
    cs_scenario *s = must_load("");
    const cs_decision_spec *d = &s->decision;
    ck_assert(!d->given);
    ck_assert_str_eq(d->measure, "impunity_rate");
    ck_assert_int_eq(d->direction, -1);
    ck_assert_ptr_null(d->group);
    ck_assert(!d->has_grid && !d->has_expert && !d->has_budget);
    ck_assert_double_eq(d->population_years, 1);
    ck_assert_str_eq(d->currency, "");
    ck_assert_uint_eq(s->n_uncertain, 0);
    ck_assert_uint_eq(s->n_uncertain_values, 0);
    ck_assert_ptr_null(s->uncertain_set);
    cs_scenario_free(s);
}
END_TEST

START_TEST(decision_given)
{
    cs_scenario *s =
        must_load("decision:\n"
                  "  outcome: {measure: accountability_rate_disciplinary, group: other}\n"
                  "  willingness_to_pay: {from: 0, to: 1.0e6, step: 1.0e4, expert: 3e5}\n"
                  "  population_years: 10\n"
                  "  currency: USD\n");
    const cs_decision_spec *d = &s->decision;
    ck_assert(d->given && d->has_grid && d->has_expert);
    ck_assert_str_eq(d->measure, "accountability_rate_disciplinary");
    ck_assert_int_eq(d->direction, +1);
    ck_assert_str_eq(d->group, "other");
    ck_assert_double_eq(d->wtp_to, 1e6);
    ck_assert_double_eq(d->wtp_expert, 3e5);
    ck_assert_double_eq(d->population_years, 10);
    ck_assert_str_eq(d->currency, "USD");
    cs_scenario_free(s);
}
END_TEST

/* Every outcome the loader accepts is a measure of casesim/measures.h, and
 * a measure that is not a share improving one way is refused. */
START_TEST(decision_outcomes_are_measures)
{
    const char *ok[] = {"impunity_rate", "accountability_rate", "redress_rate",
                        "wrongful_sanction_rate", "pending_share"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        bool known = false;
        for (size_t m = 0; m < CS_M_FIXED_COUNT; m++)
            known |= strcmp(cs_measure_table[m].name, ok[i]) == 0;
        ck_assert_msg(known, "%s is not a measure", ok[i]);
        char extra[128];
        snprintf(extra, sizeof extra, "decision:\n  outcome: {measure: %s}\n", ok[i]);
        cs_scenario_free(must_load(extra));
    }
    static cs_error err;
    ck_assert_ptr_null(load_with("decision:\n  outcome: {measure: time_to_end_mean}\n", &err));
    ck_assert_msg(strstr(err.text, "cannot be a decision's outcome"), "%s", err.text);
}
END_TEST

/* The expected cost of a set of interventions (bit mask). */
static double subset_cost(const cs_scenario *s, uint32_t mask)
{
    double c = 0;
    for (size_t i = 0; i < s->n_interventions; i++)
        if (mask >> i & 1) {
            double ci = s->interventions[i].annual_cost;
            for (size_t e = 0; e < s->n_uncertain; e++)
                if (strstr(s->uncertain[e].paths[0], s->interventions[i].name) &&
                    strstr(s->uncertain[e].paths[0], "annual_cost"))
                    ci = cs_unc_set_dist(s->uncertain_set, e)->mean;
            c += ci;
        }
    return c;
}

/* The variant whose interventions are mask, or -1. */
static long variant_of(const cs_scenario *s, uint32_t mask)
{
    for (size_t v = 0; v < s->n_variants; v++) {
        uint32_t m = 0;
        for (size_t j = 0; j < s->variants[v].n_applied; j++)
            m |= 1u << s->variants[v].applied[j];
        if (m == mask)
            return (long)v;
    }
    return -1;
}

/* With a budget, every combination within it is a variant (the file's own
 * where one exists), and none beyond it was made. */
START_TEST(portfolios_respect_the_budget)
{
    char extra[1024];
    snprintf(extra, sizeof extra, "%sdecision:\n  budget: 4500\n", UNC);
    cs_scenario *s = must_load(extra);
    const cs_decision_spec *d = &s->decision;
    ck_assert(d->has_budget);
    size_t n_fit = 0;
    for (uint32_t mask = 0; mask < 8; mask++) {
        double c = subset_cost(s, mask);
        long v = variant_of(s, mask);
        bool listed = false;
        for (size_t k = 0; k < d->n_portfolios; k++)
            if (d->portfolio_members[k] == mask) {
                listed = true;
                ck_assert_double_eq_tol(d->portfolio_costs[k], c, 1e-9 * c + 1e-12);
            }
        ck_assert_msg(listed == (c <= 4500), "mask %u cost %g listed %d", mask, c, listed);
        if (c <= 4500) {
            n_fit++;
            ck_assert_msg(v >= 0, "mask %u fits the budget but is no variant", mask);
        } else if (__builtin_popcount(mask) >= 2 && mask != 3) {
            ck_assert_msg(v < 0, "mask %u is over the budget but was made a variant", mask);
        }
    }
    ck_assert_uint_eq(d->n_portfolios, n_fit);
    /* more_staff + training was made (the file's `both` serves {more_staff,
     * outreach}); its name joins its members. */
    long mt = variant_of(s, 1u | 4u);
    ck_assert(mt >= 0 && s->variants[mt].portfolio);
    ck_assert_str_eq(s->variants[mt].name, "more_staff+training");
    ck_assert(!s->variants[variant_of(s, 3u)].portfolio);
    cs_scenario_free(s);
}
END_TEST

/* The instance of a scenario with portfolios has them too. */
START_TEST(instance_keeps_portfolios)
{
    cs_scenario *s = must_load("decision:\n  budget: 4500\n");
    double none = 0;
    cs_scenario *in = NULL;
    ck_assert_int_eq(cs_scenario_instantiate(s, &none, &in, NULL), CS_OK);
    ck_assert_uint_eq(in->n_variants, s->n_variants);
    for (size_t v = 0; v < s->n_variants; v++)
        ck_assert_str_eq(in->variants[v].name, s->variants[v].name);
    cs_scenario_free(in);
    cs_scenario_free(s);
}
END_TEST

/* Threads may instantiate one base at once: the same values give the same
 * scenario on every thread. */
START_TEST(instantiate_concurrently)
{
    cs_scenario *s = must_load(UNC);
    double staff[8] = {0};
    int failed = 0;
#pragma omp parallel for num_threads(4) reduction(+ : failed)
    for (int i = 0; i < 8; i++) {
        double v[6] = {0.3, 2.0 + i, 0.5, 0.5, 0.5, 2000};
        cs_scenario *in = NULL;
        if (cs_scenario_instantiate(s, v, &in, NULL) != CS_OK) {
            failed++;
            continue;
        }
        staff[i] = in->variants[0].scenario->stages[1].staff;
        cs_scenario_free(in);
    }
    ck_assert_int_eq(failed, 0);
    for (int i = 0; i < 8; i++)
        ck_assert_double_eq(staff[i], 2.0 + i);
    cs_scenario_free(s);
}
END_TEST

/* A load that must fail names the rule broken. */
static void refused(const char *extra, const char *fragment)
{
    static cs_error err;
    cs_scenario *s = load_with(extra, &err);
    ck_assert_msg(s == NULL, "loaded: %s", extra);
    ck_assert_msg(strstr(err.text, fragment) != NULL, "'%s' not in: %s", fragment, err.text);
}

START_TEST(rules)
{
    refused("uncertain:\n  - path: stages.report.branches[0].p\n    normal: {mean: 0.4, sd: 0.1}\n",
            "add truncate: [0, 1]");
    refused("uncertain:\n  - path: stages.report.branches[0].p\n    beta: {mean: 0.4, sd: 0.1}\n"
            "  - path: stages.report.branches[0].p\n    beta: {mean: 0.4, sd: 0.1}\n",
            "a number may be uncertain once");
    refused("uncertain:\n  - path: violations.force.share.ref\n    beta: {mean: 0.7, sd: 0.1}\n",
            "through a dirichlet");
    refused(
        "uncertain:\n  - path: stages.report.branches[0].p\n    uniform: {min: 0.5, max: 0.9}\n",
        "outside the support");
    refused("uncertain:\n  - path: stages.investigation.staff\n    gamma: {mean: 3, sd: 1}\n"
            "correlations:\n  - {between: [0, 1], rho: 0.5}\n",
            "correlations");
}
END_TEST

Suite *uncertain_scenario_suite(void)
{
    Suite *s = suite_create("scenario_uncertain");
    TCase *tc = tcase_create("loader");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, entries_resolve);
    tcase_add_test(tc, instance_puts_values_at_paths);
    tcase_add_test(tc, instance_at_own_values_is_the_scenario);
    tcase_add_test(tc, instance_refuses_invalid_values);
    tcase_add_test(tc, sampling_and_replicates_per_draw);
    tcase_add_test(tc, decision_defaults);
    tcase_add_test(tc, decision_given);
    tcase_add_test(tc, decision_outcomes_are_measures);
    tcase_add_test(tc, portfolios_respect_the_budget);
    tcase_add_test(tc, instance_keeps_portfolios);
    tcase_add_test(tc, instantiate_concurrently);
    tcase_add_test(tc, rules);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(uncertain_scenario_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
