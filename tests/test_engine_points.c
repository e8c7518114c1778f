/*
 * test_engine_points.c — the parallel driver over points (casesim/engine.h):
 * each replicate runs at the values its point source gives (prior draws
 * floor(r / k), or a table), every variant of a replicate at the same
 * point; results bit-identical for any thread count, replicate range and
 * stride; without a source, the scenario as written, bit for bit the run of
 * the same scenario without `uncertain:`; an input that changes no outcome
 * changes no measure; a point that breaks a rule stops the run with a
 * message; and the drawn values follow their distributions.
 *
 * OpenMP regions run only inside test bodies (Check forks each test).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "sim_support.h"

#define MAX_ITEMS 4096

static const char *BASE = "casesim: 1\n"
                          "name: points\n"
                          "time: {warmup_years: 0, cohort_years: 1, follow_up_years: 0.5}\n"
                          "run: {replicates: 6, seed: 11, replicates_per_draw: 2}\n"
                          "groups:\n"
                          "  - {name: r, incidents_per_year: 300}\n"
                          "  - {name: d, incidents_per_year: 200}\n"
                          "violations:\n"
                          "  - {name: v, share: 1, well_founded: 0.6}\n"
                          "stages:\n"
                          "  - name: report\n"
                          "    entry: true\n"
                          "    branches:\n"
                          "      - {to: investigation, p: {r: 0.5, d: 0.4}}\n"
                          "      - {to: never}\n"
                          "  - name: investigation\n"
                          "    staff: 4\n"
                          "    caseload: 5\n"
                          "    duration: {exponential: {mean: 20}}\n"
                          "    branches:\n"
                          "      - {to: disciplined, p: 0.3}\n"
                          "      - {to: cleared}\n"
                          "outcomes:\n"
                          "  never: {}\n"
                          "  cleared: {}\n"
                          "  disciplined: {accountability: disciplinary}\n"
                          "interventions:\n"
                          "  - name: more\n"
                          "    annual_cost: 500\n"
                          "    changes:\n"
                          "      - {path: stages.investigation.staff, scale: 2}\n";

static const char *UNC = "uncertain:\n"
                         "  - path: stages.report.branches[0].p.d\n"
                         "    beta: {mean: 0.4, sd: 0.08}\n"
                         "  - path: stages.investigation.duration.exponential.mean\n"
                         "    gamma: {mean: 20, sd: 5}\n"
                         "  - path: interventions.more.annual_cost\n"
                         "    uniform: {min: 300, max: 700}\n";

/* BASE with extra appended, loaded (fails the test if it does not load). */
static cs_scenario *scenario(const char *extra)
{
    char *t = malloc(strlen(BASE) + strlen(extra) + 1);
    ck_assert_ptr_nonnull(t);
    strcpy(t, BASE);
    strcat(t, extra);
    cs_scenario *s = cs_test_scenario(t);
    free(t);
    return s;
}

/* What a run delivered, item by item in delivery order. */
typedef struct item {
    uint64_t replicate;
    size_t variant;
    double impunity, time_mean, cost;
    double values[8];
    uint64_t events;
} item;

typedef struct collected {
    size_t n;
    item it[MAX_ITEMS];
} collected;

static int collect(void *ctx, const cs_replicate_result *r, cs_error *err)
{
    (void)err;
    collected *c = ctx;
    ck_assert_uint_lt(c->n, MAX_ITEMS);
    item *x = &c->it[c->n++];
    x->replicate = r->replicate;
    x->variant = r->variant;
    x->impunity = cs_test_measures(r, r->dims.n_groups)[CS_M_IMPUNITY];
    x->time_mean = cs_test_measures(r, r->dims.n_groups)[CS_M_TIME_MEAN];
    x->cost = r->annual_cost;
    x->events = r->events;
    ck_assert_uint_le(r->dims.n_inputs, 8);
    memcpy(x->values, r->uncertain_values, r->dims.n_inputs * sizeof *x->values);
    return CS_OK;
}

/* Runs replicates first .. first + n - 1 (every stride-th) of s on threads
 * threads, from src (NULL: none), into *out. Returns the run's status. */
static int run(const cs_scenario *s, const cs_point_source *src, uint64_t first, uint64_t n,
               uint64_t stride, int threads, collected *out, cs_error *err)
{
    out->n = 0;
    cs_run_config cfg = {.seed = s->seed,
                         .first_replicate = first,
                         .n_replicates = n,
                         .threads = threads,
                         .replicate_stride = stride,
                         .sink = collect,
                         .sink_ctx = out,
                         .points = src};
    cs_error_clear(err);
    return cs_sim_run(s, &cfg, err);
}

static collected A, B, C;
static cs_error ERR;

/* Each replicate's values are the prior draw floor(r / k) of the
 * scenario's keyed stream, the same in every variant, and each variant's
 * cost is its drawn cost. */
START_TEST(replicates_run_at_their_draws)
{
    cs_scenario *s = scenario(UNC);
    cs_point_source src;
    cs_draw_source ctx;
    cs_point_source_draws(&src, &ctx, s, s->seed);
    ck_assert_int_eq(run(s, &src, 0, 7, 1, 2, &A, &ERR), CS_OK);
    ck_assert_uint_eq(A.n, 14);
    cs_unc_work *w = cs_unc_work_alloc(s->uncertain_set);
    for (size_t i = 0; i < A.n; i++) {
        const item *x = &A.it[i];
        double v[3];
        ck_assert_int_eq(cs_unc_draw(s->uncertain_set, w, s->seed, x->replicate / 2, v, NULL),
                         CS_OK);
        for (int j = 0; j < 3; j++)
            ck_assert_double_eq(x->values[j], v[j]);
        ck_assert_double_eq(x->cost, x->variant == 0 ? 0 : v[2]);
    }
    /* Two replicates of a draw share it; the next draw differs. */
    ck_assert_double_eq(A.it[0].values[0], A.it[2].values[0]);
    ck_assert(A.it[0].values[0] != A.it[4].values[0]);
    cs_unc_work_free(w);
    cs_scenario_free(s);
}
END_TEST

/* Items equal in every field. */
static void same_items(const item *a, const item *b)
{
    ck_assert_uint_eq(a->replicate, b->replicate);
    ck_assert_uint_eq(a->variant, b->variant);
    ck_assert_uint_eq(a->events, b->events);
    ck_assert(memcmp(&a->impunity, &b->impunity, sizeof a->impunity) == 0);
    ck_assert(memcmp(&a->time_mean, &b->time_mean, sizeof a->time_mean) == 0);
    ck_assert(memcmp(a->values, b->values, sizeof a->values) == 0);
    ck_assert_double_eq(a->cost, b->cost);
}

/* 1 and 3 threads, two replicate ranges, and two strides (an MPI rank's
 * share) give the same results for every replicate. */
START_TEST(any_split_same_results)
{
    cs_scenario *s = scenario(UNC);
    cs_point_source src;
    cs_draw_source ctx;
    cs_point_source_draws(&src, &ctx, s, s->seed);
    ck_assert_int_eq(run(s, &src, 0, 9, 1, 1, &A, &ERR), CS_OK);
    ck_assert_int_eq(run(s, &src, 0, 9, 1, 3, &B, &ERR), CS_OK);
    for (size_t i = 0; i < A.n; i++)
        same_items(&A.it[i], &B.it[i]);
    ck_assert_int_eq(run(s, &src, 5, 4, 1, 2, &C, &ERR), CS_OK);
    for (size_t i = 0; i < C.n; i++)
        same_items(&A.it[10 + i], &C.it[i]);
    ck_assert_int_eq(run(s, &src, 1, 4, 2, 2, &C, &ERR), CS_OK); /* 1, 3, 5, 7 */
    for (size_t i = 0; i < C.n; i++)
        same_items(&A.it[2 * (1 + 2 * (i / 2)) + i % 2], &C.it[i]);
    cs_scenario_free(s);
}
END_TEST

/* Without a source a scenario with `uncertain:` runs as written: bit for bit
 * the run of the same scenario without the section (what --no-uncertainty
 * does), its results recording the scenario's own values. */
START_TEST(no_source_is_the_plain_run)
{
    cs_scenario *s = scenario(UNC), *plain = scenario("");
    ck_assert_int_eq(run(s, NULL, 0, 5, 1, 2, &A, &ERR), CS_OK);
    ck_assert_int_eq(run(plain, NULL, 0, 5, 1, 2, &B, &ERR), CS_OK);
    ck_assert_uint_eq(A.n, B.n);
    for (size_t i = 0; i < A.n; i++) {
        const double own[3] = {0.4, 20, 500};
        for (int j = 0; j < 3; j++)
            ck_assert_double_eq(A.it[i].values[j], own[j]);
        memset(A.it[i].values, 0, sizeof A.it[i].values); /* the plain run has none */
        same_items(&A.it[i], &B.it[i]);
    }
    cs_scenario_free(s);
    cs_scenario_free(plain);
}
END_TEST

/* An uncertain input that changes no outcome (a cost) changes no measure:
 * the draws' runs equal the plain run's, only the costs differ. */
START_TEST(input_without_effect_changes_no_measure)
{
    cs_scenario *s = scenario("uncertain:\n"
                              "  - path: interventions.more.annual_cost\n"
                              "    gamma: {mean: 500, sd: 100}\n"),
                *plain = scenario("");
    cs_point_source src;
    cs_draw_source ctx;
    cs_point_source_draws(&src, &ctx, s, s->seed);
    ck_assert_int_eq(run(s, &src, 0, 6, 1, 2, &A, &ERR), CS_OK);
    ck_assert_int_eq(run(plain, NULL, 0, 6, 1, 2, &B, &ERR), CS_OK);
    bool costs_vary = false;
    for (size_t i = 0; i < A.n; i++) {
        ck_assert(memcmp(&A.it[i].impunity, &B.it[i].impunity, sizeof(double)) == 0);
        ck_assert(memcmp(&A.it[i].time_mean, &B.it[i].time_mean, sizeof(double)) == 0);
        ck_assert_uint_eq(A.it[i].events, B.it[i].events);
        costs_vary |= A.it[i].variant == 1 && A.it[i].cost != 500;
    }
    ck_assert(costs_vary);
    cs_scenario_free(s);
    cs_scenario_free(plain);
}
END_TEST

/* A table of points: replicate r at row floor(r / k). */
START_TEST(table_of_points)
{
    cs_scenario *s = scenario(UNC);
    const double rows[2][3] = {{0.2, 15, 400}, {0.6, 25, 600}};
    cs_table_source t = {
        .values = &rows[0][0], .n_points = 2, .n_values = 3, .replicates_per_point = 3};
    cs_point_source src;
    cs_point_source_table(&src, &t);
    ck_assert_int_eq(run(s, &src, 0, 6, 1, 2, &A, &ERR), CS_OK);
    for (size_t i = 0; i < A.n; i++)
        for (int j = 0; j < 3; j++)
            ck_assert_double_eq(A.it[i].values[j], rows[A.it[i].replicate / 3][j]);
    /* Beyond the table: an error, not a guess. */
    ck_assert_int_eq(run(s, &src, 0, 7, 1, 1, &A, &ERR), CS_EINVAL);
    cs_scenario_free(s);
}
END_TEST

/* A point whose values break a rule stops the run with a message naming
 * the replicate and the rule. */
START_TEST(invalid_point_stops_the_run)
{
    cs_scenario *s = scenario(UNC);
    const double rows[1][3] = {{1.5, 15, 400}};
    cs_table_source t = {
        .values = &rows[0][0], .n_points = 1, .n_values = 3, .replicates_per_point = 10};
    cs_point_source src;
    cs_point_source_table(&src, &t);
    ck_assert_int_eq(run(s, &src, 0, 3, 1, 2, &A, &ERR), CS_EINVAL);
    ck_assert_msg(strstr(ERR.text, "replicate 0 (point 0"), "%s", ERR.text);
    ck_assert_msg(strstr(ERR.text, "must be"), "%s", ERR.text);
    /* A source of the wrong size is refused before anything runs. */
    t.n_values = 2;
    cs_point_source_table(&src, &t);
    ck_assert_int_eq(run(s, &src, 0, 3, 1, 2, &A, &ERR), CS_EINVAL);
    cs_scenario_free(s);
}
END_TEST

/* Sample mean and variance of column j of the first replicate of each draw
 * (k = 1 here), with the standard error of the variance from the sample's
 * fourth central moment. */
static void moments(const collected *c, int j, double *mean, double *var, double *var_se, size_t *n)
{
    double s = 0, s2 = 0, s4 = 0;
    *n = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->it[i].variant == 0) {
            s += c->it[i].values[j];
            (*n)++;
        }
    *mean = s / (double)*n;
    for (size_t i = 0; i < c->n; i++)
        if (c->it[i].variant == 0) {
            double d = c->it[i].values[j] - *mean;
            s2 += d * d;
            s4 += d * d * d * d;
        }
    *var = s2 / (double)(*n - 1);
    double m4 = s4 / (double)*n;
    *var_se = sqrt((m4 - *var * *var) / (double)*n);
}

/* The drawn values follow their distributions: for each family, the sample
 * mean is within 4 standard errors (sd / sqrt(n), the true sd) of the true
 * mean, and the sample variance within 4 of its own standard errors of the
 * true variance (each check a false alarm about 6e-5 of the time). */
START_TEST(drawn_values_follow_their_distributions)
{
    cs_scenario *s = scenario("uncertain:\n"
                              "  - path: stages.report.branches[0].p.d\n"
                              "    beta: {mean: 0.4, sd: 0.08}\n"
                              "  - path: stages.investigation.duration.exponential.mean\n"
                              "    gamma: {mean: 20, sd: 5}\n"
                              "  - path: interventions.more.annual_cost\n"
                              "    uniform: {min: 300, max: 700}\n");
    s->replicates_per_draw = 1;
    cs_point_source src;
    cs_draw_source ctx;
    cs_point_source_draws(&src, &ctx, s, 12345);
    ck_assert_int_eq(run(s, &src, 0, 1500, 1, 2, &A, &ERR), CS_OK);
    const double mu[3] = {0.4, 20, 500}, sd[3] = {0.08, 5, 400 / sqrt(12)};
    for (int j = 0; j < 3; j++) {
        double m, v, vse;
        size_t n;
        moments(&A, j, &m, &v, &vse, &n);
        ck_assert_uint_eq(n, 1500);
        ck_assert_msg(fabs(m - mu[j]) < 4 * sd[j] / sqrt((double)n), "mean %d: %g", j, m);
        ck_assert_msg(fabs(v - sd[j] * sd[j]) < 4 * vse, "variance %d: %g", j, v);
    }
    cs_scenario_free(s);
}
END_TEST

Suite *points_suite(void)
{
    Suite *s = suite_create("engine_points");
    TCase *tc = tcase_create("points");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, replicates_run_at_their_draws);
    tcase_add_test(tc, any_split_same_results);
    tcase_add_test(tc, no_source_is_the_plain_run);
    tcase_add_test(tc, input_without_effect_changes_no_measure);
    tcase_add_test(tc, table_of_points);
    tcase_add_test(tc, invalid_point_stops_the_run);
    tcase_add_test(tc, drawn_values_follow_their_distributions);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(points_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
