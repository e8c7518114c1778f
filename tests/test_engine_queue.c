/*
 * test_engine_queue.c — queues, deadlines and time measures against closed
 * forms: M/M/c mean wait (Erlang C), Little's law at every stage, deadline
 * losses (fixed and exponential durations, incident-based deadlines already
 * passed), priority service.
 *
 * Tolerances: z-tests at |z| <= 4, the standard error from the spread of
 * independent replicates (t with >= 19 degrees of freedom: P(|t| > 4) <
 * 0.1%) or, for a share of independent incidents, the binomial SE under the
 * exact probability.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim_support.h"

#define Z_MAX 4.0
#define MAX_REP 40

/* Erlang C: mean wait in queue of M/M/c with arrival rate lambda, service
 * rate mu per server (Kleinrock, Queueing Systems I, eq. 3.40). */
static double erlang_c_wait(double lambda, double mu, int c)
{
    double a = lambda / mu, rho = a / c, term = 1.0, sum = 0.0;
    for (int k = 0; k < c; k++) {
        if (k > 0)
            term *= a / k;
        sum += term;
    }
    double last = term * a / c / (1.0 - rho); /* a^c / c! / (1 - rho) */
    double pw = last / (sum + last);
    return pw / (c * mu - lambda);
}

typedef struct stat_ctx {
    size_t n;
    size_t S;
    double stats[MAX_REP][8][CS_SS_COUNT];
    double measures[MAX_REP][CS_M_FIXED_COUNT + 4];
    int64_t outcomes[MAX_REP][16];
    double backlog_mean[MAX_REP][8]; /* time average of the monthly backlog over the cohort */
} stat_ctx;

static void stat_collect(void *ctx, const cs_replicate_result *r)
{
    stat_ctx *c = ctx;
    ck_assert(c->n < MAX_REP);
    c->S = r->dims.n_stages;
    for (size_t s = 0; s < r->dims.n_stages; s++)
        for (size_t k = 0; k < CS_SS_COUNT; k++)
            c->stats[c->n][s][k] = r->stage_stats[s * CS_SS_COUNT + k];
    for (size_t k = 0; k < r->dims.n_measures; k++)
        c->measures[c->n][k] = r->measures[r->dims.n_groups * r->dims.n_measures + k];
    for (size_t o = 0; o < r->dims.n_outcomes; o++)
        c->outcomes[c->n][o] = r->outcome_counts[r->dims.n_groups * r->dims.n_outcomes + o];
    c->n++;
}

static const char *MMC_YAML =
    "casesim: 1\n"
    "name: mmc\n"
    "time: {warmup_years: 0.5, cohort_years: 8, follow_up_years: 0.5}\n"
    "run: {replicates: 30, seed: 1}\n"
    "groups:\n"
    "  - {name: everyone, incidents_per_year: 767.025}\n" /* 2.1 per day */
    "violations:\n"
    "  - {name: v, share: {everyone: 1}, well_founded: 0.5}\n"
    "evidence:\n"
    "  well_founded: {beta: [3, 2]}\n"
    "  unfounded: {beta: [2, 4]}\n"
    "stages:\n"
    "  - name: server\n"
    "    entry: true\n"
    "    staff: 3\n"
    "    duration: {exponential: {mean: 1}}\n"
    "    branches:\n"
    "      - to: a\n"
    "        p: 0.5\n"
    "      - to: b\n"
    "outcomes:\n"
    "  a: {}\n"
    "  b: {}\n";

START_TEST(mmc_mean_wait_matches_erlang_c)
{
    cs_scenario *s = cs_test_scenario(MMC_YAML);
    stat_ctx *c = calloc(1, sizeof *c);
    cs_test_run_variant(s, 0, 777, 30, false, stat_collect, c);
    double x[MAX_REP], mean, se;
    for (size_t r = 0; r < c->n; r++)
        x[r] = c->stats[r][0][CS_SS_MEAN_WAIT];
    cs_test_mean_se(x, c->n, &mean, &se);
    double wq = erlang_c_wait(2.1, 1.0, 3);
    ck_assert_msg(fabs(mean - wq) <= Z_MAX * se, "M/M/3 mean wait %g (SE %g) vs Erlang C %g", mean,
                  se, wq);
    /* Utilisation rho = lambda / (c mu) = 0.7; mean service 1. */
    for (size_t r = 0; r < c->n; r++)
        x[r] = c->stats[r][0][CS_SS_UTILISATION];
    cs_test_mean_se(x, c->n, &mean, &se);
    ck_assert_msg(fabs(mean - 0.7) <= Z_MAX * se, "utilisation %g (SE %g) vs 0.7", mean, se);
    for (size_t r = 0; r < c->n; r++)
        x[r] = c->stats[r][0][CS_SS_MEAN_SERVICE];
    cs_test_mean_se(x, c->n, &mean, &se);
    ck_assert_msg(fabs(mean - 1.0) <= Z_MAX * se, "mean service %g (SE %g) vs 1", mean, se);
    free(c);
    cs_scenario_free(s);
}
END_TEST

/* A network with queues, priority, forks, deadlines of both kinds. */
static const char *NET_YAML = "casesim: 1\n"
                              "name: network\n"
                              "time: {warmup_years: 1, cohort_years: 3, follow_up_years: 1}\n"
                              "run: {replicates: 20, seed: 1}\n"
                              "groups:\n"
                              "  - {name: r, incidents_per_year: 900}\n"
                              "  - {name: d, incidents_per_year: 500}\n"
                              "violations:\n"
                              "  - {name: grave, share: {r: 0.2, d: 0.3}, well_founded: 0.7, "
                              "priority: 1}\n"
                              "  - {name: minor, share: {r: 0.8, d: 0.7}, well_founded: 0.4, "
                              "priority: 2}\n"
                              "evidence:\n"
                              "  well_founded: {beta: [3, 2]}\n"
                              "  unfounded: {beta: [2, 4]}\n"
                              "stages:\n"
                              "  - name: intake\n"
                              "    entry: true\n"
                              "    staff: 2\n"
                              "    caseload: 2\n"
                              "    duration: {gamma: {mean: 1, cv: 0.5}}\n"
                              "    branches:\n"
                              "      - to: [investigation, claim]\n"
                              "        p: 0.8\n"
                              "      - to: inadmissible\n"
                              "  - name: investigation\n"
                              "    staff: 4\n"
                              "    caseload: 2\n"
                              "    queue: priority\n"
                              "    duration: {lognormal: {mean: 2.6, cv: 0.8}}\n"
                              "    deadline: {days: 30, from: incident, to: time_barred}\n"
                              "    branches:\n"
                              "      - to: hearing\n"
                              "        p: 0.4\n"
                              "        evidence_slope: 2\n"
                              "      - to: unsubstantiated\n"
                              "  - name: hearing\n"
                              "    staff: 1\n"
                              "    duration: {exponential: {mean: 0.6}}\n"
                              "    deadline: {days: 5, from: stage, to: time_barred}\n"
                              "    branches:\n"
                              "      - to: disciplined\n"
                              "        p: 0.5\n"
                              "      - to: no_sanction\n"
                              "  - name: claim\n"
                              "    duration: {uniform: {min: 10, max: 40}}\n"
                              "    branches:\n"
                              "      - to: compensated\n"
                              "        p: 0.3\n"
                              "      - to: rejected\n"
                              "outcomes:\n"
                              "  inadmissible: {}\n"
                              "  unsubstantiated: {}\n"
                              "  time_barred: {}\n"
                              "  disciplined: {accountability: disciplinary}\n"
                              "  no_sanction: {}\n"
                              "  compensated: {redress: true}\n"
                              "  rejected: {}\n";

START_TEST(littles_law_holds_at_every_stage)
{
    cs_scenario *s = cs_test_scenario(NET_YAML);
    stat_ctx *c = calloc(1, sizeof *c);
    cs_test_run_variant(s, 0, 4242, 20, false, stat_collect, c);
    /* In a stationary system E[integral of Q over the window] equals
     * E[sum of the waits of the tracks entering in it] (both are lambda T W),
     * so the per-replicate difference L - lambda W has mean 0. */
    bool some_queue = false;
    for (size_t st = 0; st < c->S; st++) {
        double d[MAX_REP], mean, se, lq = 0.0;
        for (size_t r = 0; r < c->n; r++) {
            const double *y = c->stats[r][st];
            d[r] = y[CS_SS_MEAN_QUEUE] - y[CS_SS_ARRIVAL_RATE] * y[CS_SS_MEAN_WAIT];
            lq += y[CS_SS_MEAN_QUEUE] / (double)c->n;
        }
        some_queue |= lq > 0.5;
        cs_test_mean_se(d, c->n, &mean, &se);
        if (se == 0.0) /* no queue at all (stage without staff): both sides exactly 0 */
            ck_assert_double_eq(mean, 0.0);
        else
            ck_assert_msg(fabs(mean) <= Z_MAX * se, "stage %zu: L - lambda W = %g (SE %g), L = %g",
                          st, mean, se, lq);
    }
    ck_assert_msg(some_queue, "the test network should have real queues");
    /* Deadline losses happen, and the deadline outcome counts them (cohort
     * tracks vs window tracks differ, so only check both are positive). */
    double losses = 0.0;
    for (size_t r = 0; r < c->n; r++)
        for (size_t st = 0; st < c->S; st++)
            losses += c->stats[r][st][CS_SS_DEADLINE_LOSSES];
    ck_assert(losses > 0.0);
    free(c);
    cs_scenario_free(s);
}
END_TEST

static const char *DEADLINE_YAML = "casesim: 1\n"
                                   "name: deadlines\n"
                                   "time: {warmup_years: 0, cohort_years: 1, follow_up_years: 1}\n"
                                   "run: {replicates: 1, seed: 1}\n"
                                   "groups:\n"
                                   "  - {name: everyone, incidents_per_year: 20000}\n"
                                   "violations:\n"
                                   "  - {name: v, share: {everyone: 1}, well_founded: 0.5}\n"
                                   "evidence:\n"
                                   "  well_founded: {beta: [3, 2]}\n"
                                   "  unfounded: {beta: [2, 4]}\n"
                                   "stages:\n"
                                   "  - name: split\n"
                                   "    entry: true\n"
                                   "    branches:\n"
                                   "      - to: expo\n"
                                   "        p: 0.5\n"
                                   "      - to: fixed\n"
                                   "  - name: expo\n"
                                   "    duration: {exponential: {mean: 10}}\n"
                                   "    deadline: {days: 7, from: stage, to: lost_expo}\n"
                                   "    branches:\n"
                                   "      - to: done_expo\n"
                                   "        p: 0.5\n"
                                   "      - to: done_expo2\n"
                                   "  - name: fixed\n"
                                   "    duration: {fixed: 10}\n"
                                   "    deadline: {days: 7, from: stage, to: lost_fixed}\n"
                                   "    branches:\n"
                                   "      - to: late\n"
                                   "        p: 0.5\n"
                                   "      - to: late\n"
                                   "  - name: late\n"
                                   "    duration: {fixed: 1}\n"
                                   "    deadline: {days: 5, from: incident, to: barred}\n"
                                   "    branches:\n"
                                   "      - to: never\n"
                                   "        p: 0.5\n"
                                   "      - to: never2\n"
                                   "outcomes:\n"
                                   "  lost_expo: {}\n"
                                   "  done_expo: {}\n"
                                   "  done_expo2: {}\n"
                                   "  lost_fixed: {}\n"
                                   "  barred: {}\n"
                                   "  never: {}\n"
                                   "  never2: {}\n";

typedef struct dl_ctx {
    const cs_scenario *s;
    double lost_expo, done_expo, lost_fixed, late_other;
    double time_sum_fixed, n_fixed;
} dl_ctx;

static void dl_collect(void *ctx, const cs_replicate_result *r)
{
    dl_ctx *c = ctx;
    const cs_scenario *s = c->s;
    const int64_t *oc = &r->outcome_counts[r->dims.n_groups * r->dims.n_outcomes];
    c->lost_expo += (double)oc[cs_scenario_find_outcome(s, "lost_expo")];
    c->done_expo += (double)(oc[cs_scenario_find_outcome(s, "done_expo")] +
                             oc[cs_scenario_find_outcome(s, "done_expo2")]);
    c->lost_fixed += (double)oc[cs_scenario_find_outcome(s, "lost_fixed")];
    c->late_other += (double)(oc[cs_scenario_find_outcome(s, "barred")] +
                              oc[cs_scenario_find_outcome(s, "never")] +
                              oc[cs_scenario_find_outcome(s, "never2")]);
    for (size_t i = 0; i < r->n_cases; i++) {
        const cs_case_record *rec = &r->cases[i];
        if (rec->outcome_mask & (UINT64_C(1) << cs_scenario_find_outcome(s, "lost_fixed"))) {
            /* Lost exactly at the deadline, 7 days after entering at time 0. */
            ck_assert_double_eq_tol(rec->end_day - rec->arrival_day, 7.0, 1e-9);
            c->n_fixed += 1.0;
        }
    }
    /* The incident-based deadline of `late` is never reached (nobody gets
     * there: the fixed stage always loses first); the losses there are 0. */
    long late = cs_scenario_find_stage(s, "late");
    ck_assert_double_eq(r->stage_stats[(size_t)late * CS_SS_COUNT + CS_SS_ENTRIES], 0.0);
}

START_TEST(deadline_losses_match_closed_forms)
{
    cs_scenario *s = cs_test_scenario(DEADLINE_YAML);
    dl_ctx *c = calloc(1, sizeof *c);
    c->s = s;
    cs_test_run_variant(s, 0, 31337, 2, true, dl_collect, c);
    /* Exponential duration with mean 10 and a 7-day stage deadline in a stage
     * without staff: P(loss) = P(D > 7) = exp(-0.7). */
    double n = c->lost_expo + c->done_expo, p = exp(-0.7);
    double se = sqrt(p * (1 - p) / n);
    ck_assert_msg(fabs(c->lost_expo / n - p) <= Z_MAX * se, "exponential loss share %g vs %g",
                  c->lost_expo / n, p);
    /* Fixed duration 10 > deadline 7: every track is lost, none goes on. */
    ck_assert(c->lost_fixed > 1000);
    ck_assert_double_eq(c->late_other, 0.0);
    ck_assert_double_eq(c->n_fixed, c->lost_fixed);
    free(c);
    cs_scenario_free(s);
}
END_TEST

/* A track reaching a stage after its incident-based deadline has passed
 * leaves at once: entry counted, loss counted, zero wait, case ends then. */
static const char *PASSED_YAML = "casesim: 1\n"
                                 "name: passed\n"
                                 "time: {warmup_years: 0, cohort_years: 1, follow_up_years: 1}\n"
                                 "run: {replicates: 1, seed: 1}\n"
                                 "groups:\n"
                                 "  - {name: everyone, incidents_per_year: 2000}\n"
                                 "violations:\n"
                                 "  - {name: v, share: {everyone: 1}, well_founded: 0.5}\n"
                                 "evidence:\n"
                                 "  well_founded: {beta: [3, 2]}\n"
                                 "  unfounded: {beta: [2, 4]}\n"
                                 "stages:\n"
                                 "  - name: slow\n"
                                 "    entry: true\n"
                                 "    duration: {fixed: 10}\n"
                                 "    branches:\n"
                                 "      - to: barred_stage\n"
                                 "        p: 0.5\n"
                                 "      - to: barred_stage\n"
                                 "  - name: barred_stage\n"
                                 "    staff: 1\n"
                                 "    duration: {fixed: 1}\n"
                                 "    deadline: {days: 5, from: incident, to: time_barred}\n"
                                 "    branches:\n"
                                 "      - to: decided\n"
                                 "        p: 0.5\n"
                                 "      - to: decided\n"
                                 "outcomes:\n"
                                 "  time_barred: {}\n"
                                 "  decided: {}\n";

static void passed_collect(void *ctx, const cs_replicate_result *r)
{
    (void)ctx;
    const double *y = &r->stage_stats[1 * CS_SS_COUNT];
    ck_assert(y[CS_SS_ENTRIES] > 1000);
    ck_assert_double_eq(y[CS_SS_DEADLINE_LOSSES], y[CS_SS_ENTRIES]);
    ck_assert_double_eq(y[CS_SS_MEAN_WAIT], 0.0);
    ck_assert_double_eq(y[CS_SS_UTILISATION], 0.0);
    const double *m = cs_test_measures(r, r->dims.n_groups);
    ck_assert_double_eq_tol(m[CS_M_TIME_MEAN], 10.0, 1e-9);
    /* The median comes from the histogram: within its 0.5-day resolution. */
    ck_assert_double_le(fabs(m[CS_M_TIME_MEDIAN] - 10.0), 0.5);
    ck_assert_double_eq(m[CS_M_PENDING], 0.0);
    ck_assert_int_eq(r->outcome_counts[r->dims.n_groups * r->dims.n_outcomes + 0],
                     (int64_t)m[CS_M_INCIDENTS]);
}

START_TEST(passed_incident_deadline_leaves_at_once)
{
    cs_scenario *s = cs_test_scenario(PASSED_YAML);
    cs_test_run_variant(s, 0, 5, 1, false, passed_collect, NULL);
    cs_scenario_free(s);
}
END_TEST

/* With queue: priority, the grave kind waits less than the minor one. */
static const char *PRIO_YAML = "casesim: 1\n"
                               "name: prio\n"
                               "time: {warmup_years: 0.2, cohort_years: 2, follow_up_years: 1}\n"
                               "run: {replicates: 1, seed: 1}\n"
                               "groups:\n"
                               "  - {name: everyone, incidents_per_year: 1000}\n"
                               "violations:\n"
                               "  - {name: grave, share: {everyone: 0.3}, well_founded: 0.5, "
                               "priority: 1}\n"
                               "  - {name: minor, share: {everyone: 0.7}, well_founded: 0.5, "
                               "priority: 5}\n"
                               "evidence:\n"
                               "  well_founded: {beta: [3, 2]}\n"
                               "  unfounded: {beta: [2, 4]}\n"
                               "stages:\n"
                               "  - name: q\n"
                               "    entry: true\n"
                               "    staff: 1\n"
                               "    queue: priority\n"
                               "    duration: {exponential: {mean: 0.3}}\n"
                               "    branches:\n"
                               "      - to: done\n"
                               "        p: 0.5\n"
                               "      - to: done\n"
                               "outcomes:\n"
                               "  done: {}\n";

typedef struct prio_ctx {
    size_t n;
    double mean[MAX_REP][2]; /* per replicate: mean time in system by kind */
} prio_ctx;

static void prio_collect(void *ctx, const cs_replicate_result *r)
{
    prio_ctx *c = ctx;
    double sum[2] = {0, 0}, n[2] = {0, 0};
    for (size_t i = 0; i < r->n_cases; i++) {
        const cs_case_record *rec = &r->cases[i];
        /* time in system = wait + service; service has the same law for both */
        sum[rec->violation] += rec->end_day - rec->arrival_day;
        n[rec->violation] += 1.0;
    }
    c->mean[c->n][0] = sum[0] / n[0];
    c->mean[c->n][1] = sum[1] / n[1];
    c->n++;
}

START_TEST(priority_queue_serves_grave_kinds_first)
{
    cs_scenario *s = cs_test_scenario(PRIO_YAML);
    prio_ctx *c = calloc(1, sizeof *c);
    cs_test_run_variant(s, 0, 8, 20, true, prio_collect, c);
    /* Non-preemptive priority M/M/1 (Cobham 1954): W_k = W0 / ((1 - s_{k-1})(1 - s_k)),
     * W0 = lambda E[S^2] / 2, s_k = cumulative load of classes 1..k. */
    double lam = 1000.0 / CS_DAYS_PER_YEAR, es = 0.3, es2 = 2 * es * es;
    double w0 = lam * es2 / 2.0, s1 = 0.3 * lam * es, s2 = lam * es;
    double expect[2] = {w0 / (1.0 - s1) + es, w0 / ((1.0 - s1) * (1.0 - s2)) + es};
    for (int k = 0; k < 2; k++) {
        double x[MAX_REP], mean, se;
        for (size_t r = 0; r < c->n; r++)
            x[r] = c->mean[r][k];
        cs_test_mean_se(x, c->n, &mean, &se);
        ck_assert_msg(fabs(mean - expect[k]) <= Z_MAX * se, "kind %d: %g (SE %g) vs Cobham %g", k,
                      mean, se, expect[k]);
    }
    free(c);
    cs_scenario_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engine_queue");
    TCase *tc = tcase_create("queue");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, mmc_mean_wait_matches_erlang_c);
    tcase_add_test(tc, littles_law_holds_at_every_stage);
    tcase_add_test(tc, deadline_losses_match_closed_forms);
    tcase_add_test(tc, passed_incident_deadline_leaves_at_once);
    tcase_add_test(tc, priority_queue_serves_grave_kinds_first);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
