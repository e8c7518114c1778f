/*
 * test_decision_run.c — the decision under uncertainty end to end, on a
 * case with a known answer: scenario -> draws -> runs -> results file ->
 * /decision -> reader.
 *
 * Every incident is well-founded and ends at once: disciplined with
 * probability p0 = 0.2 at baseline, theta with intervention `a`, whose
 * theta ~ U(0.2, 0.6) is the only uncertain input and whose annual cost is
 * C = 2e6. With common random numbers the improvement of impunity is
 * e = 100 (theta - p0) percentage points plus binomial noise, so at
 * willingness to pay lambda the incremental net benefit INB = lambda e - C
 * is uniform on [-C, lambda 40 - C] up to that noise. At the expert's
 * lambda = 1.5e5: INB ~ U(-2e6, 4e6), so
 *   P(a best) = 4/6,
 *   EVPI = E[max(0, -INB)] = (2e6)^2 / (2 x 6e6) = 333,333.3 a year
 *          (a is best on the means, E INB = 1e6, so no selection bias),
 *   EVPPI(theta) = EVPI (theta explains everything but the noise),
 *   ICER of a = C / E e = 2e6 / 20 = 1e5 per point,
 * and at lambda = 0 the cheaper baseline is best in every draw. The noise
 * (sd at most 100 sqrt(0.24 / N) = 0.69 points with N ~ 5000 incidents)
 * shifts P(best) only through the density of INB at 0, which is flat, and
 * EVPI by about f(0) s^2 / 2 = (1.04e5)^2 / (2 x 6e6) = 900, a thirtieth of
 * its standard error: the tolerances are 4 standard errors (a false alarm
 * about 6e-5 of the time each) with that bias added.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "casesim/results.h"
#include "sim_support.h"

static const char *YAML = "casesim: 1\n"
                          "name: known\n"
                          "time: {warmup_years: 0, cohort_years: 1, follow_up_years: 0}\n"
                          "run: {replicates: 400, seed: 77, replicates_per_draw: %d}\n"
                          "groups:\n"
                          "  - {name: g, incidents_per_year: 5000}\n"
                          "violations:\n"
                          "  - {name: v, share: 1, well_founded: 1}\n"
                          "stages:\n"
                          "  - name: report\n"
                          "    entry: true\n"
                          "    branches:\n"
                          "      - {to: disciplined, p: 0.2}\n"
                          "      - {to: nothing}\n"
                          "outcomes:\n"
                          "  nothing: {}\n"
                          "  disciplined: {accountability: disciplinary}\n"
                          "interventions:\n"
                          "  - name: a\n"
                          "    annual_cost: 2.0e6\n"
                          "    changes:\n"
                          "      - path: stages.report.branches[0].p\n"
                          "        set: 0.4\n"
                          "uncertain:\n"
                          "  - path: interventions.a.changes[0].set\n"
                          "    name: theta\n"
                          "    uniform: {min: 0.2, max: 0.6}\n"
                          "decision:\n"
                          "  willingness_to_pay: {from: 0, to: 2.0e5, step: 1.0e4, expert: 1.5e5}\n"
                          "  population_years: 10\n";

/* Runs the scenario (k replicates per draw, n replicates) into a results
 * file and opens it; *path gets the file (unlink it after). */
static cs_results *run_to_file(int k, uint64_t n, char *path)
{
    char text[4096];
    snprintf(text, sizeof text, YAML, k);
    cs_scenario *s = cs_test_scenario(text);
    strcpy(path, "/tmp/casesim_decision_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    static cs_error err;
    cs_error_clear(&err);
    cs_results_options opt = {.seed = s->seed, .n_replicates = n, .uncertain_drawn = true};
    cs_results_writer *w = NULL;
    ck_assert_msg(cs_results_writer_open(path, s, &opt, &w, &err) == CS_OK, "%s", err.text);
    cs_point_source src;
    cs_draw_source ctx;
    cs_point_source_draws(&src, &ctx, s, s->seed);
    cs_run_config cfg = {.seed = s->seed,
                         .n_replicates = n,
                         .threads = 2,
                         .sink = cs_results_sink,
                         .sink_ctx = w,
                         .points = &src};
    ck_assert_msg(cs_sim_run(s, &cfg, &err) == CS_OK, "%s", err.text);
    ck_assert_msg(cs_results_writer_close(w, true, &err) == CS_OK, "%s", err.text);
    cs_results *r = NULL;
    ck_assert_msg(cs_results_open(path, &r, &err) == CS_OK, "%s", err.text);
    cs_scenario_free(s);
    return r;
}

/* The row of the ranking or frontier of variant name. */
static const cs_results_decision_rank_row *rank_row(const cs_results_decision *d, const char *name)
{
    for (size_t i = 0; i < d->n_ranking; i++)
        if (!strcmp(d->ranking[i].variant, name))
            return &d->ranking[i];
    return NULL;
}

START_TEST(known_answer)
{
    char path[64];
    cs_results *r = run_to_file(1, 400, path);
    const cs_results_decision *d = r->decision;
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->uncertainty, "inputs and simulation");
    ck_assert_uint_eq(d->draws, 400);
    ck_assert_double_eq(d->expert_wtp, 1.5e5);
    ck_assert_str_eq(d->expert_best, "a");
    /* P(a best) = 2/3, SE sqrt(p (1 - p) / D). */
    double se_p = sqrt(2.0 / 9.0 / 400.0);
    ck_assert_msg(fabs(d->expert_p_best - 2.0 / 3.0) < 4 * se_p, "p_best %g", d->expert_p_best);
    /* EVPI = 333,333 a year, x 10 over the horizon. */
    double evpi = 4e12 / 12e6, tol = 4 * d->expert_evpi_se + 900;
    ck_assert_msg(fabs(d->expert_evpi - evpi) < tol, "EVPI %g (SE %g)", d->expert_evpi,
                  d->expert_evpi_se);
    ck_assert_double_eq_tol(d->expert_evpi_horizon, 10 * d->expert_evpi, 1e-6 * d->expert_evpi);
    /* EVPPI of theta = EVPI. */
    ck_assert_uint_ge(d->n_evppi_sets, 1);
    const cs_results_evppi_set_row *th = &d->evppi_sets[0];
    ck_assert_str_eq(th->name, "theta");
    ck_assert_msg(fabs(th->evppi_expert - evpi) < 4 * th->evppi_expert_se + 900, "EVPPI %g (SE %g)",
                  th->evppi_expert, th->evppi_expert_se);
    /* At lambda = 0 the cheaper baseline is best in every draw. */
    ck_assert_double_eq(d->lambda[0], 0);
    ck_assert_double_eq(d->p_best[0 * r->n_variants + 0], 1.0);
    ck_assert_double_eq(d->p_best[0 * r->n_variants + 1], 0.0);
    /* ICER of a: C / E e, E e = 20 points with SE 40 / sqrt(12 D); a change
     * de of the mean moves the ICER by C de / 20^2. */
    const cs_results_frontier_row *fa = &d->frontier[1];
    ck_assert_str_eq(fa->status, "efficient");
    double se_e = 40 / sqrt(12.0 * 400);
    ck_assert_msg(fabs(fa->icer - 1e5) < 4 * se_e * 2e6 / 400, "ICER %g", fa->icer);
    ck_assert_ptr_nonnull(rank_row(d, "a"));
    ck_assert_int_eq(rank_row(d, "a")->rank, 1);
    unlink(path);
    cs_results_close(r);
}
END_TEST

/* With k = 2 replicates per draw the variance of a's effect splits into
 * the inputs' part, Var(100 theta) = 1e4 x 0.4^2 / 12 = 133.3, and the
 * noise, 1e4 E[q (1 - q)] / N with q = theta - 0.2 ~ U(0, 0.4): E[q] = 0.2,
 * E[q^2] = 0.16 / 3, so 1e4 x 0.14667 / 5000 = 0.2933 (N Poisson with mean
 * 5000: E[1/N] differs from 1/5000 by 0.02%). Each within 4 of its
 * standard errors. */
START_TEST(variance_split)
{
    char path[64];
    cs_results *r = run_to_file(2, 400, path);
    const cs_results_decision *d = r->decision;
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(d->draws, 200);
    ck_assert_uint_eq(d->replicates_per_draw, 2);
    ck_assert_uint_eq(d->n_split, 1);
    const cs_results_variance_row *s = &d->split[0];
    ck_assert_msg(fabs(s->parameter - 1e4 * 0.16 / 12) < 4 * s->parameter_se, "parameter %g (%g)",
                  s->parameter, s->parameter_se);
    ck_assert_msg(fabs(s->within - 1e4 * (0.2 - 0.16 / 3) / 5000) < 4 * s->within_se,
                  "within %g (%g)", s->within, s->within_se);
    unlink(path);
    cs_results_close(r);
}
END_TEST

Suite *decision_run_suite(void)
{
    Suite *s = suite_create("decision_run");
    TCase *tc = tcase_create("known");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, known_answer);
    tcase_add_test(tc, variance_split);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(decision_run_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
