/* test_scenario.c — the scenario loader: examples load, variants patch what
 * they say, durations convert, errors are positioned and collected. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stdbool.h>

#include "casesim/scenario.h"

/* ---- field-by-field comparison of two scenarios --------------------------
 * Records the path of every field that differs (positions excluded), so a
 * test can say exactly which fields an intervention may change. */
#define MAX_DIFFS 64
typedef struct diffs {
    size_t n;
    char path[MAX_DIFFS][96];
} diffs;

static void note(diffs *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(diffs *d, const char *fmt, ...)
{
    if (d->n == MAX_DIFFS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->path[d->n++], sizeof d->path[0], fmt, ap);
    va_end(ap);
}

#define DIFF_NUM(a, b, ...)                                                                        \
    do {                                                                                           \
        if ((a) != (b))                                                                            \
            note(d, __VA_ARGS__);                                                                  \
    } while (0)
#define DIFF_STR(a, b, ...)                                                                        \
    do {                                                                                           \
        if (strcmp((a), (b)) != 0)                                                                 \
            note(d, __VA_ARGS__);                                                                  \
    } while (0)

/* Each field of the durations and deadlines of stage i that differs for
 * some (kind, group), named once. */
static void diff_cases(diffs *d, const cs_stage *x, const cs_stage *y, size_t cells, size_t i)
{
    bool f[7] = {false};
    for (size_t c = 0; c < cells; c++) {
        const cs_duration *a = &x->durations[c], *b = &y->durations[c];
        const cs_deadline *p = &x->deadlines[c], *q = &y->deadlines[c];
        f[0] |= a->kind != b->kind;
        f[1] |= a->a != b->a;
        f[2] |= a->b != b->b;
        f[3] |= a->mean != b->mean;
        f[4] |= p->days != q->days;
        f[5] |= p->from != q->from;
        f[6] |= p->outcome != q->outcome || p->on != q->on;
    }
    static const char *const names[7] = {"duration.kind",   "duration.a",    "duration.b",
                                         "duration.mean",   "deadline_days", "deadline_from",
                                         "deadline_outcome"};
    for (int k = 0; k < 7; k++)
        if (f[k])
            note(d, "stages[%zu].%s", i, names[k]);
}

/* p of branches p and q (stage i, branch j) for each group, named once
 * whatever kinds differ. */
static void diff_p(diffs *d, const cs_scenario *a, const cs_branch *p, const cs_branch *q, size_t i,
                   size_t j)
{
    for (size_t g = 0; g < a->n_groups; g++) {
        bool differ = false;
        for (size_t k = 0; k < a->n_violations; k++)
            differ |= cs_branch_p(a, p, k, g) != cs_branch_p(a, q, k, g);
        if (differ)
            note(d, "stages[%zu].branches[%zu].p_kg[%zu]", i, j, g);
    }
}

static void diff_scenarios(diffs *d, const cs_scenario *a, const cs_scenario *b)
{
    d->n = 0;
    DIFF_NUM(a->format_version, b->format_version, "format_version");
    DIFF_STR(a->name, b->name, "name");
    DIFF_STR(a->description, b->description, "description");
    DIFF_NUM(a->warmup_years, b->warmup_years, "warmup_years");
    DIFF_NUM(a->cohort_years, b->cohort_years, "cohort_years");
    DIFF_NUM(a->follow_up_years, b->follow_up_years, "follow_up_years");
    DIFF_NUM(a->replicates, b->replicates, "replicates");
    DIFF_NUM(a->seed, b->seed, "seed");
    ck_assert_uint_eq(a->n_groups, b->n_groups);
    for (size_t g = 0; g < a->n_groups; g++) {
        DIFF_STR(a->groups[g].name, b->groups[g].name, "groups[%zu].name", g);
        DIFF_STR(a->groups[g].label, b->groups[g].label, "groups[%zu].label", g);
        DIFF_NUM(a->groups[g].incidents_per_year, b->groups[g].incidents_per_year,
                 "groups[%zu].incidents_per_year", g);
    }
    ck_assert_uint_eq(a->n_violations, b->n_violations);
    for (size_t k = 0; k < a->n_violations; k++) {
        const cs_violation *x = &a->violations[k], *y = &b->violations[k];
        DIFF_STR(x->name, y->name, "violations[%zu].name", k);
        for (size_t g = 0; g < a->n_groups; g++)
            DIFF_NUM(x->share[g], y->share[g], "violations[%zu].share[%zu]", k, g);
        DIFF_NUM(x->well_founded, y->well_founded, "violations[%zu].well_founded", k);
        DIFF_NUM(x->priority, y->priority, "violations[%zu].priority", k);
    }
    DIFF_NUM(a->evidence.well_founded_a, b->evidence.well_founded_a, "evidence.well_founded_a");
    DIFF_NUM(a->evidence.well_founded_b, b->evidence.well_founded_b, "evidence.well_founded_b");
    DIFF_NUM(a->evidence.unfounded_a, b->evidence.unfounded_a, "evidence.unfounded_a");
    DIFF_NUM(a->evidence.unfounded_b, b->evidence.unfounded_b, "evidence.unfounded_b");
    ck_assert_uint_eq(a->n_stages, b->n_stages);
    DIFF_NUM(a->entry_stage, b->entry_stage, "entry_stage");
    for (size_t i = 0; i < a->n_stages; i++) {
        const cs_stage *x = &a->stages[i], *y = &b->stages[i];
        DIFF_STR(x->name, y->name, "stages[%zu].name", i);
        DIFF_NUM(x->has_staff, y->has_staff, "stages[%zu].has_staff", i);
        DIFF_NUM(x->staff, y->staff, "stages[%zu].staff", i);
        DIFF_NUM(x->caseload, y->caseload, "stages[%zu].caseload", i);
        DIFF_NUM(x->capacity, y->capacity, "stages[%zu].capacity", i);
        DIFF_NUM(x->queue, y->queue, "stages[%zu].queue", i);
        DIFF_NUM(x->has_deadline, y->has_deadline, "stages[%zu].has_deadline", i);
        diff_cases(d, x, y, a->n_violations * a->n_groups, i);
        DIFF_NUM(x->max_visits, y->max_visits, "stages[%zu].max_visits", i);
        bool ref_differs = false;
        for (size_t k = 0; k < a->n_violations; k++)
            ref_differs |= x->reference[k] != y->reference[k];
        if (ref_differs)
            note(d, "stages[%zu].reference_branch", i);
        ck_assert_uint_eq(x->n_branches, y->n_branches);
        for (size_t j = 0; j < x->n_branches; j++) {
            const cs_branch *p = &x->branches[j], *q = &y->branches[j];
            ck_assert_uint_eq(p->n_to, q->n_to);
            for (size_t t = 0; t < p->n_to; t++) {
                DIFF_NUM(p->to[t].is_stage, q->to[t].is_stage, "stages[%zu].branches[%zu].to", i,
                         j);
                DIFF_NUM(p->to[t].index, q->to[t].index, "stages[%zu].branches[%zu].to", i, j);
            }
            DIFF_NUM(p->is_reference, q->is_reference, "stages[%zu].branches[%zu].ref", i, j);
            DIFF_NUM(p->kinds, q->kinds, "stages[%zu].branches[%zu].kinds", i, j);
            diff_p(d, a, p, q, i, j);
            DIFF_NUM(p->evidence_slope, q->evidence_slope, "stages[%zu].branches[%zu].slope", i, j);
            DIFF_NUM(p->unfounded_odds_ratio, q->unfounded_odds_ratio,
                     "stages[%zu].branches[%zu].uor", i, j);
            for (size_t k = 0; k < a->n_violations; k++)
                DIFF_NUM(p->kind_odds_ratio[k], q->kind_odds_ratio[k],
                         "stages[%zu].branches[%zu].kor[%zu]", i, j, k);
        }
    }
    ck_assert_uint_eq(a->n_outcomes, b->n_outcomes);
    for (size_t o = 0; o < a->n_outcomes; o++) {
        DIFF_STR(a->outcomes[o].name, b->outcomes[o].name, "outcomes[%zu].name", o);
        DIFF_NUM(a->outcomes[o].category, b->outcomes[o].category, "outcomes[%zu].category", o);
        DIFF_NUM(a->outcomes[o].redress, b->outcomes[o].redress, "outcomes[%zu].redress", o);
    }
    ck_assert_uint_eq(a->n_categories, b->n_categories);
    for (size_t c = 0; c < a->n_categories; c++)
        DIFF_STR(a->categories[c], b->categories[c], "categories[%zu]", c);
}

/* Asserts that the differences are exactly the n paths listed (any order). */
static void expect_diffs(const diffs *d, const char *const *want, size_t n)
{
    for (size_t i = 0; i < d->n; i++) {
        bool found = false;
        for (size_t j = 0; j < n; j++)
            found |= strcmp(d->path[i], want[j]) == 0;
        ck_assert_msg(found, "unexpected change of %s", d->path[i]);
    }
    for (size_t j = 0; j < n; j++) {
        bool found = false;
        for (size_t i = 0; i < d->n; i++)
            found |= strcmp(d->path[i], want[j]) == 0;
        ck_assert_msg(found, "expected change of %s is missing", want[j]);
    }
}

static cs_scenario *load_text(const char *text)
{
    cs_error err;
    cs_error_clear(&err);
    cs_scenario *s = NULL;
    int st = cs_scenario_load_string(text, strlen(text), "t.yaml", &s, &err);
    if (st != CS_OK)
        fprintf(stderr, "%s", err.text);
    ck_assert_int_eq(st, CS_OK);
    return s;
}

/* Loads text that must fail; returns the error record for inspection. */
static cs_error fail_err;
static int load_fails(const char *text)
{
    cs_error_clear(&fail_err);
    cs_scenario *s = (cs_scenario *)1;
    int st = cs_scenario_load_string(text, strlen(text), "t.yaml", &s, &fail_err);
    ck_assert_int_ne(st, CS_OK);
    ck_assert_ptr_null(s);
    return st;
}

/* A compact valid scenario for API tests; %s slots let tests splice keys. */
#define SMALL_HEAD                                                                                 \
    "casesim: 1\nname: small\ntime: {warmup_years: 0, cohort_years: 1, follow_up_years: 1}\n"      \
    "groups:\n  - {name: ref, incidents_per_year: 10}\n  - {name: other, incidents_per_year: 5}\n" \
    "violations:\n  - {name: force, share: 1, well_founded: 0.5}\n"

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
    ck_assert_double_eq(st->deadlines[0].days, 365);
    ck_assert_int_eq(st->deadlines[0].from, CS_FROM_INCIDENT);
    ck_assert_int_eq((long)st->deadlines[0].outcome, cs_scenario_find_outcome(s, "time_barred"));
    ck_assert_uint_eq(st->n_branches, 2);
    ck_assert_uint_eq(st->reference[0], 1);
    const cs_branch *b = &st->branches[0];
    ck_assert_uint_eq(b->n_to, 2);
    ck_assert(b->to[0].is_stage);
    ck_assert_int_eq((long)b->to[0].index, cs_scenario_find_stage(s, "prosecution_review"));
    ck_assert_double_eq(b->p_kg[0], 0.25);
    ck_assert_double_eq(b->p_kg[1], 0.18);
    ck_assert_double_eq(b->evidence_slope, 3.0);
    ck_assert_double_eq(b->unfounded_odds_ratio, 0.3);
    ck_assert_double_eq(b->kind_odds_ratio[0], 2.0);
    ck_assert_double_eq(b->kind_odds_ratio[1], 1.0);
    ck_assert_double_eq_tol(st->branches[1].p_kg[0], 0.75, 1e-15);
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
    ck_assert_double_eq(iv->stages[inv].branches[0].p_kg[1], 0.25);
    ck_assert_double_eq(iv->stages[inv].branches[0].p_kg[0], 0.25);
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

START_TEST(interventions_change_only_what_they_say)
{
    cs_scenario *s = load_ok("scenarios/illustrative.yaml");
    const cs_scenario *base = s->variants[0].scenario;
    diffs d;
    /* the baseline variant equals the loaded scenario */
    diff_scenarios(&d, s, base);
    ck_assert_uint_eq(d.n, 0);
    ck_assert_int_eq(s->variants[0].kind, CS_VARIANT_BASELINE);
    ck_assert_uint_eq(s->variants[0].n_applied, 0);

    /* independent_investigations: p of african_descent at investigation
     * (and hence the reference branch's rest), staff x1.5 (and capacity). */
    diff_scenarios(&d, base, s->variants[1].scenario);
    const char *w1[] = {"stages[2].staff", "stages[2].capacity", "stages[2].branches[0].p_kg[1]",
                        "stages[2].branches[1].p_kg[1]"};
    expect_diffs(&d, w1, 4);
    const cs_stage *st = &s->variants[1].scenario->stages[2];
    ck_assert_double_eq(st->staff, 65 * 1.5);
    ck_assert_uint_eq(st->capacity, 1950);
    ck_assert_double_eq(st->branches[0].p_kg[1], 0.25);
    ck_assert_double_eq_tol(st->branches[1].p_kg[1], 0.75, 1e-15);
    ck_assert_int_eq(s->variants[1].kind, CS_VARIANT_INTERVENTION);
    ck_assert_uint_eq(s->variants[1].applied[0], 0);
    ck_assert_double_eq(s->variants[1].annual_cost, 4.0e6);

    /* victim_support: reporting and civil claims for african_descent */
    diff_scenarios(&d, base, s->variants[2].scenario);
    const char *w2[] = {"stages[0].branches[0].p_kg[1]", "stages[0].branches[1].p_kg[1]",
                        "stages[7].branches[0].p_kg[1]", "stages[7].branches[1].p_kg[1]"};
    expect_diffs(&d, w2, 4);
    ck_assert_double_eq(s->variants[2].scenario->stages[0].branches[0].p_kg[1], 0.40);
    ck_assert_double_eq(s->variants[2].scenario->stages[7].branches[0].p_kg[1], 0.30);

    /* longer_limitation: one number */
    diff_scenarios(&d, base, s->variants[3].scenario);
    const char *w3[] = {"stages[5].deadline_days"};
    expect_diffs(&d, w3, 1);
    ck_assert_double_eq(s->variants[3].scenario->stages[5].deadlines[0].days, 730);
    ck_assert_double_eq(s->variants[3].annual_cost, 0);
    cs_scenario_free(s);
}
END_TEST

START_TEST(bundles_compose)
{
    cs_scenario *s = load_ok("scenarios/illustrative.yaml");
    const cs_variant *b = &s->variants[4];
    ck_assert_int_eq(b->kind, CS_VARIANT_BUNDLE);
    ck_assert_uint_eq(b->n_applied, 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_uint_eq(b->applied[i], i);
    ck_assert_double_eq(b->annual_cost, 4.0e6 + 1.5e6 + 0);
    /* The bundle differs from the baseline in exactly the union of its parts,
     * and each changed field has the value its intervention gave it. */
    const cs_scenario *base = s->variants[0].scenario, *bs = b->scenario;
    diffs d;
    diff_scenarios(&d, base, bs);
    const char *w[] = {"stages[2].staff",
                       "stages[2].capacity",
                       "stages[2].branches[0].p_kg[1]",
                       "stages[2].branches[1].p_kg[1]",
                       "stages[0].branches[0].p_kg[1]",
                       "stages[0].branches[1].p_kg[1]",
                       "stages[7].branches[0].p_kg[1]",
                       "stages[7].branches[1].p_kg[1]",
                       "stages[5].deadline_days"};
    expect_diffs(&d, w, 9);
    ck_assert_double_eq(bs->stages[2].staff, s->variants[1].scenario->stages[2].staff);
    ck_assert_double_eq(bs->stages[2].branches[0].p_kg[1],
                        s->variants[1].scenario->stages[2].branches[0].p_kg[1]);
    ck_assert_double_eq(bs->stages[0].branches[0].p_kg[1],
                        s->variants[2].scenario->stages[0].branches[0].p_kg[1]);
    ck_assert_double_eq(bs->stages[5].deadlines[0].days,
                        s->variants[3].scenario->stages[5].deadlines[0].days);
    /* variants own no interventions of their own */
    ck_assert_uint_eq(bs->n_variants, 0);
    ck_assert_uint_eq(bs->n_interventions, 0);
    cs_scenario_free(s);
}
END_TEST

START_TEST(bundle_order_matters_for_scale_after_set)
{
    /* set then scale gives 6; scale then set gives 3: applied in the order listed */
    cs_scenario *s =
        load_text(SMALL_HEAD
                  "stages:\n  - name: a\n    entry: true\n    staff: 1\n    branches:\n"
                  "      - to: done\ninterventions:\n"
                  "  - name: set3\n    changes:\n      - path: stages.a.staff\n        set: 3\n"
                  "  - name: double\n    changes:\n      - path: stages.a.staff\n        scale: 2\n"
                  "bundles:\n  - name: sd\n    interventions: [set3, double]\n"
                  "  - name: ds\n    interventions: [double, set3]\n"
                  "outcomes:\n  done: {}\n");
    ck_assert_double_eq(s->variants[cs_scenario_find_variant(s, "sd")].scenario->stages[0].staff,
                        6);
    ck_assert_double_eq(s->variants[cs_scenario_find_variant(s, "ds")].scenario->stages[0].staff,
                        3);
    ck_assert_double_eq(
        s->variants[cs_scenario_find_variant(s, "double")].scenario->stages[0].staff, 2);
    cs_scenario_free(s);
}
END_TEST

#define TWO_STAGE_TAIL                                                                             \
    "      - to: done\n        p: 0.2\n      - to: other_end\n"                                    \
    "outcomes:\n  done: {}\n  other_end: {}\n"

START_TEST(scalar_p_expands_per_group)
{
    cs_scenario *s =
        load_text(SMALL_HEAD "stages:\n  - name: a\n    entry: true\n    branches:\n" TWO_STAGE_TAIL
                             "interventions:\n  - name: x\n    changes:\n"
                             "      - path: stages.a.branches[0].p.other\n        set: 0.5\n"
                             "  - name: y\n    changes:\n"
                             "      - path: stages.a.branches[0].p\n        scale: 2\n");
    const cs_branch *b0 = &s->stages[0].branches[0];
    ck_assert_double_eq(b0->p_kg[0], 0.2);
    ck_assert_double_eq(b0->p_kg[1], 0.2);
    const cs_branch *x = &s->variants[1].scenario->stages[0].branches[0];
    ck_assert_double_eq(x->p_kg[0], 0.2); /* the reference group keeps the old value */
    ck_assert_double_eq(x->p_kg[1], 0.5);
    const cs_branch *y = &s->variants[2].scenario->stages[0].branches[0];
    ck_assert_double_eq(y->p_kg[0], 0.4);
    ck_assert_double_eq(y->p_kg[1], 0.4);
    cs_scenario_free(s);
}
END_TEST

START_TEST(scale_of_per_group_map_scales_each)
{
    cs_scenario *s = load_text(
        SMALL_HEAD "stages:\n  - name: a\n    entry: true\n    branches:\n"
                   "      - to: done\n        p: {ref: 0.1, other: 0.3}\n      - to: other_end\n"
                   "outcomes:\n  done: {}\n  other_end: {}\n"
                   "interventions:\n  - name: y\n    changes:\n"
                   "      - path: stages.a.branches[0].p\n        scale: 0.5\n"
                   "  - name: rate\n    changes:\n"
                   "      - path: groups.other.incidents_per_year\n        scale: 3\n");
    const cs_branch *y = &s->variants[1].scenario->stages[0].branches[0];
    ck_assert_double_eq(y->p_kg[0], 0.05);
    ck_assert_double_eq(y->p_kg[1], 0.15);
    ck_assert_double_eq(s->variants[2].scenario->groups[1].incidents_per_year, 15);
    ck_assert_double_eq(s->variants[2].scenario->groups[0].incidents_per_year, 10);
    cs_scenario_free(s);
}
END_TEST

START_TEST(set_creates_missing_key)
{
    cs_scenario *s =
        load_text(SMALL_HEAD "stages:\n  - name: a\n    entry: true\n    branches:\n" TWO_STAGE_TAIL
                             "interventions:\n  - name: staffed\n    changes:\n"
                             "      - path: stages.a.staff\n        set: 4\n");
    ck_assert(!s->stages[0].has_staff);
    const cs_stage *a = &s->variants[1].scenario->stages[0];
    ck_assert(a->has_staff);
    ck_assert_double_eq(a->staff, 4);
    ck_assert_uint_eq(a->capacity, 4);
    cs_scenario_free(s);
}
END_TEST

START_TEST(durations_canonical)
{
    cs_scenario *s = load_text(
        SMALL_HEAD
        "stages:\n"
        "  - {name: s0, entry: true, duration: {lognormal: {median: 150, p90: 480}},"
        " branches: [{to: s1}]}\n"
        "  - {name: s1, duration: {lognormal: {mean: 700, cv: 0.6}}, branches: [{to: s2}]}\n"
        "  - {name: s2, duration: {gamma: {mean: 120, cv: 0.5}}, branches: [{to: s3}]}\n"
        "  - {name: s3, duration: {weibull: {shape: 2, scale: 100}}, branches: [{to: s4}]}\n"
        "  - {name: s4, duration: {uniform: {min: 60, max: 300}}, branches: [{to: s5}]}\n"
        "  - {name: s5, duration: {exponential: {mean: 90}}, branches: [{to: s6}]}\n"
        "  - {name: s6, duration: {fixed: 7}, branches: [{to: s7}]}\n"
        "  - {name: s7, branches: [{to: done}]}\n"
        "outcomes: {done: {}}\n");
    const double z90 = 1.2815515655446004;
    const cs_duration *d = &s->stages[0].durations[0];
    ck_assert_int_eq(d->kind, CS_DUR_LOGNORMAL);
    /* round trip: the file's median and p90 come back */
    ck_assert_double_eq_tol(exp(d->a), 150, 1e-9);
    ck_assert_double_eq_tol(exp(d->a + z90 * d->b), 480, 1e-9);
    ck_assert_double_eq_tol(d->mean, 150 * exp(pow(log(3.2) / z90, 2) / 2), 1e-9);
    d = &s->stages[1].durations[0];
    ck_assert_int_eq(d->kind, CS_DUR_LOGNORMAL);
    ck_assert_double_eq_tol(d->mean, 700, 1e-9);
    /* cv of a lognormal: sqrt(exp(sigma^2) - 1) */
    ck_assert_double_eq_tol(sqrt(expm1(d->b * d->b)), 0.6, 1e-12);
    d = &s->stages[2].durations[0];
    ck_assert_int_eq(d->kind, CS_DUR_GAMMA);
    ck_assert_double_eq_tol(d->a, 4, 1e-12);  /* k = 1/cv^2 */
    ck_assert_double_eq_tol(d->b, 30, 1e-12); /* theta = mean cv^2 */
    ck_assert_double_eq(d->mean, 120);
    d = &s->stages[3].durations[0];
    ck_assert_int_eq(d->kind, CS_DUR_WEIBULL);
    ck_assert_double_eq_tol(d->mean, 100 * 0.88622692545275801, 1e-9); /* Gamma(1.5) = sqrt(pi)/2 */
    d = &s->stages[4].durations[0];
    ck_assert_int_eq(d->kind, CS_DUR_UNIFORM);
    ck_assert_double_eq(d->a, 60);
    ck_assert_double_eq(d->b, 300);
    ck_assert_double_eq(d->mean, 180);
    d = &s->stages[5].durations[0];
    ck_assert_int_eq(d->kind, CS_DUR_EXPONENTIAL);
    ck_assert_double_eq(d->mean, 90);
    d = &s->stages[6].durations[0];
    ck_assert_int_eq(d->kind, CS_DUR_FIXED);
    ck_assert_double_eq(d->mean, 7);
    ck_assert_int_eq(s->stages[7].durations[0].kind, CS_DUR_NONE);
    ck_assert_double_eq(s->stages[7].durations[0].mean, 0);
    cs_scenario_free(s);
}
END_TEST

START_TEST(numbers_and_defaults)
{
    cs_scenario *s = load_text(
        "casesim: 1\nname: n\ntime: {warmup_years: 0, cohort_years: 1e0, follow_up_years: 0.5}\n"
        "run: {replicates: 1e3, seed: 18446744073709551615}\n"
        "groups:\n  - {name: ref, incidents_per_year: 4.0e6}\n"
        "violations:\n  - {name: a, share: 0.999, well_founded: 1e-3}\n"
        "  - {name: b, share: 1e-3, well_founded: 0}\n"
        "stages:\n  - {name: s, entry: true, staff: 0.5, caseload: 7, branches: [{to: done}]}\n"
        "outcomes:\n  done:\n");
    ck_assert_uint_eq(s->replicates, 1000);
    ck_assert_uint_eq(s->seed, UINT64_MAX);
    ck_assert_double_eq(s->groups[0].incidents_per_year, 4.0e6);
    ck_assert_str_eq(s->groups[0].label, "ref"); /* label defaults to the name */
    ck_assert_double_eq(s->violations[0].well_founded, 1e-3);
    ck_assert_int_eq(s->violations[0].priority, 1); /* default: position in the list */
    ck_assert_int_eq(s->violations[1].priority, 2);
    ck_assert_uint_eq(s->stages[0].capacity, 3); /* floor(0.5 * 7) */
    ck_assert_int_eq(s->stages[0].queue, CS_QUEUE_FIFO);
    ck_assert_uint_eq(s->stages[0].max_visits, 1);
    ck_assert_double_eq(s->evidence.well_founded_a, 1); /* default Beta(1, 1) */
    ck_assert_double_eq(s->evidence.unfounded_b, 1);
    ck_assert_str_eq(s->description, "");
    ck_assert_uint_eq(s->n_variants, 1);
    ck_assert_int_eq(s->outcomes[0].category, -1);
    ck_assert_uint_eq(s->stages[0].branches[0].p_kg[0], 1);
    cs_scenario_free(s);

    s = load_text("casesim: 1\nname: n\ntime: {warmup_years: 0, cohort_years: 1, "
                  "follow_up_years: 0}\ngroups: [{name: r, incidents_per_year: 1}]\n"
                  "violations: [{name: a, share: 1, well_founded: 0.5}]\n"
                  "stages: [{name: s, entry: true, branches: [{to: done}]}]\n"
                  "outcomes: {done: {}}\n");
    ck_assert_uint_eq(s->replicates, 100);
    ck_assert_uint_eq(s->seed, 1);
    ck_assert_str_eq(s->path, "t.yaml");
    ck_assert_uint_eq(s->source_len, strlen(s->source));
    cs_scenario_free(s);
}
END_TEST

START_TEST(cycle_allowed_with_max_visits)
{
    cs_scenario *s = load_text(SMALL_HEAD "stages:\n"
                                          "  - {name: hearing, entry: true, max_visits: 3,"
                                          " branches: [{to: appeal, p: 0.3}, {to: done}]}\n"
                                          "  - {name: appeal, max_visits: 3,"
                                          " branches: [{to: hearing, p: 0.5}, {to: done}]}\n"
                                          "outcomes: {done: {}}\n");
    ck_assert_uint_eq(s->stages[0].max_visits, 3);
    cs_scenario_free(s);
    /* without max_visits on one of the stages, the cycle is refused there */
    load_fails(SMALL_HEAD "stages:\n"
                          "  - {name: hearing, entry: true, max_visits: 3,"
                          " branches: [{to: appeal, p: 0.3}, {to: done}]}\n"
                          "  - {name: appeal, branches: [{to: hearing, p: 0.5}, {to: done}]}\n"
                          "outcomes: {done: {}}\n");
    ck_assert_uint_eq(fail_err.count, 1);
    ck_assert_ptr_nonnull(strstr(fail_err.text, "t.yaml:11:5: stage `appeal` is on a cycle"));
}
END_TEST

START_TEST(collects_several_errors)
{
    int st = load_fails(
        "casesim: 1\nname: e\ntime: {warmup_years: 0, cohort_years: 1, follow_up_years: 1}\n"
        "groups:\n  - {name: ref, incidents_per_year: -1}\n"
        "violations:\n  - {name: a, share: 1, well_founded: 2}\n"
        "stages:\n  - name: s\n    entry: true\n    staf: 3\n    branches:\n"
        "      - to: dne\n"
        "outcomes: {done: {}}\n");
    ck_assert_int_eq(st, CS_EINVAL);
    ck_assert_int_eq(fail_err.status, CS_EINVAL);
    ck_assert_uint_ge(fail_err.count, 4);
    ck_assert_ptr_nonnull(strstr(
        fail_err.text, "t.yaml:5:37: `incidents_per_year` must be between 0 and 1e+08, got -1"));
    ck_assert_ptr_nonnull(
        strstr(fail_err.text, "t.yaml:7:39: `well_founded` must be between 0 and 1, got 2"));
    ck_assert_ptr_nonnull(
        strstr(fail_err.text, "t.yaml:11:5: unknown key `staf` in a stage; did you mean `staff`?"));
    ck_assert_ptr_nonnull(strstr(
        fail_err.text, "t.yaml:13:13: unknown stage or outcome `dne`; did you mean `done`?"));
    /* sorted by position */
    ck_assert(strstr(fail_err.text, "t.yaml:5:37") < strstr(fail_err.text, "t.yaml:7:39"));
    ck_assert(strstr(fail_err.text, "t.yaml:11:5") < strstr(fail_err.text, "t.yaml:13:13"));
}
END_TEST

START_TEST(bundle_invalid_together)
{
    /* each intervention alone is valid; together p sums to 1 */
    load_fails(SMALL_HEAD "stages:\n  - name: a\n    entry: true\n    branches:\n"
                          "      - to: done\n        p: 0.2\n      - to: x\n        p: 0.2\n"
                          "      - to: other_end\n"
                          "outcomes:\n  done: {}\n  x: {}\n  other_end: {}\n"
                          "interventions:\n  - name: i1\n    changes:\n"
                          "      - path: stages.a.branches[0].p\n        set: 0.6\n"
                          "  - name: i2\n    changes:\n"
                          "      - path: stages.a.branches[1].p\n        set: 0.4\n"
                          "bundles:\n  - name: both\n    interventions: [i1, i2]\n");
    ck_assert_uint_eq(fail_err.count, 1);
    ck_assert_ptr_nonnull(strstr(fail_err.text, "t.yaml:29:15: bundle `both`, intervention `i2`, "
                                                "change of `stages.a.branches[1].p` makes the "
                                                "scenario invalid"));
}
END_TEST

START_TEST(limit_status_and_size)
{
    char *big = malloc(CS_MAX_FILE_BYTES + 2);
    ck_assert_ptr_nonnull(big);
    memset(big, '#', CS_MAX_FILE_BYTES + 1);
    big[CS_MAX_FILE_BYTES + 1] = '\0';
    cs_error err;
    cs_error_clear(&err);
    cs_scenario *s = NULL;
    ck_assert_int_eq(cs_scenario_load_string(big, CS_MAX_FILE_BYTES + 1, NULL, &s, &err),
                     CS_ELIMIT);
    ck_assert_ptr_nonnull(strstr(err.text, "<string>:1:1:"));
    free(big);
    /* a file whose only fault is a size limit reports CS_ELIMIT, naming the limit */
    ck_assert_int_eq(load_fails(SMALL_HEAD "run: {replicates: 1000001}\n"
                                           "stages: [{name: s, entry: true, branches: [{to: d}]}]\n"
                                           "outcomes: {d: {}}\n"),
                     CS_ELIMIT);
    ck_assert_ptr_nonnull(strstr(fail_err.text, "the limit is 1000000"));
    ck_assert_int_eq(cs_scenario_load("/nonexistent/x.yaml", &s, &err), CS_EIO);
    ck_assert_int_eq(cs_scenario_find_variant(NULL, "x"), -1);
    ck_assert_int_eq(cs_scenario_find_stage(NULL, "x"), -1);
    cs_scenario_free(NULL);
}
END_TEST

START_TEST(examples_load)
{
    static const char *const files[] = {"scenarios/illustrative.yaml", "scenarios/minimal.yaml",
                                        "tests/data/valid/readme_example.yaml"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        cs_scenario *s = load_ok(files[i]);
        ck_assert_uint_eq(s->n_variants, 1 + s->n_interventions + s->n_bundles);
        cs_scenario_free(s);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, illustrative_loads);
    tcase_add_test(tc, minimal_loads);
    tcase_add_test(tc, interventions_change_only_what_they_say);
    tcase_add_test(tc, bundles_compose);
    tcase_add_test(tc, bundle_order_matters_for_scale_after_set);
    tcase_add_test(tc, scalar_p_expands_per_group);
    tcase_add_test(tc, scale_of_per_group_map_scales_each);
    tcase_add_test(tc, set_creates_missing_key);
    tcase_add_test(tc, durations_canonical);
    tcase_add_test(tc, numbers_and_defaults);
    tcase_add_test(tc, cycle_allowed_with_max_visits);
    tcase_add_test(tc, collects_several_errors);
    tcase_add_test(tc, bundle_invalid_together);
    tcase_add_test(tc, limit_status_and_size);
    tcase_add_test(tc, examples_load);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
