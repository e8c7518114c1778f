/*
 * test_dynamics.c — time and feedback in the engine, against known answers
 * (docs/MODEL.md, "Time and feedback").
 *
 *  - A variant whose intervention starts at year 3 equals the baseline,
 *    count for count, before year 3 (and differs after: the check can fail).
 *  - A step in an arrival rate moves the yearly count by the step from that
 *    year; a linear rate's expected yearly count is its integral. Counts of
 *    a Poisson process: the standard error of a mean over R replicates is
 *    sqrt(lambda / R) exactly.
 *  - Staff that drop below the busy count pre-empt nobody (a deterministic
 *    case: exact counts), and more staff serve the queue at once.
 *  - An initial backlog at an M/M/c stage without arrivals drains as the
 *    pure-death process predicts (derived below).
 *  - Trust feedback in a capacity-free network settles at the fixed point
 *    p* = f(A(p*)) of the exact absorbing-chain answers (bisection).
 *  - Elasticity 0 is the scenario without feedback, bit for bit; results do
 *    not depend on the thread count.
 *  - Uncertain inputs reach the engine: a feedback elasticity drawn as 0
 *    equals no feedback bit for bit (and one drawn as -0.5 does not); a
 *    schedule's value drawn at a point moves the yearly counts to it.
 *
 * Statistical tolerances are stated where they are used; each is a number of
 * standard errors with its false-alarm probability.
 */
#include <check.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/dynamics.h"
#include "sim_support.h"

/* ------------------------------------------------------------ helpers */

/* Per-replicate copies of the period counts and the backlog. */
typedef struct runs {
    size_t n, cap;
    size_t ny, no, ns, nm; /* years, outcomes, stages, months */
    int64_t *entries;      /* [rep][year][stage] */
    int64_t *outcomes;     /* [rep][year][outcome] */
    float *backlog;        /* [rep][stage][month] */
} runs;

static void collect(void *ctx, const cs_replicate_result *r)
{
    runs *x = ctx;
    const cs_result_dims *d = &r->dims;
    x->ny = d->n_years;
    x->no = d->n_outcomes;
    x->ns = d->n_stages;
    x->nm = d->n_months;
    size_t ne = x->ny * x->ns, nout = x->ny * x->no, nb = x->ns * x->nm;
    x->entries = realloc(x->entries, (x->n + 1) * ne * sizeof *x->entries);
    x->outcomes = realloc(x->outcomes, (x->n + 1) * nout * sizeof *x->outcomes);
    x->backlog = realloc(x->backlog, (x->n + 1) * nb * sizeof *x->backlog);
    ck_assert(x->entries && x->outcomes && x->backlog);
    memcpy(&x->entries[x->n * ne], r->period_entries, ne * sizeof *x->entries);
    memcpy(&x->outcomes[x->n * nout], r->period_outcomes, nout * sizeof *x->outcomes);
    memcpy(&x->backlog[x->n * nb], r->backlog, nb * sizeof *x->backlog);
    x->n++;
}

static void runs_free(runs *x)
{
    free(x->entries);
    free(x->outcomes);
    free(x->backlog);
    memset(x, 0, sizeof *x);
}

static runs run(const cs_scenario *s, size_t variant, uint64_t n)
{
    runs x = {0};
    cs_test_run_variant(s, variant, 20241, n, false, collect, &x);
    return x;
}

static int64_t entry(const runs *x, size_t rep, size_t year, size_t stage)
{
    return x->entries[(rep * x->ny + year) * x->ns + stage];
}

static int64_t outcome(const runs *x, size_t rep, size_t year, size_t o)
{
    return x->outcomes[(rep * x->ny + year) * x->no + o];
}

/* ----------------------------------------- a variant before it starts */

static const char *REFORM_YAML =
    "casesim: 1\n"
    "name: reform\n"
    "time: {warmup_years: 1, cohort_years: 4, follow_up_years: 2, start_year: 2020}\n"
    "groups:\n"
    "  - {name: reference, incidents_per_year: 3000}\n"
    "  - {name: african_descent, incidents_per_year: 1500}\n"
    "violations:\n"
    "  - {name: death, share: 0.1, well_founded: 0.7}\n"
    "  - {name: force, share: 0.9, well_founded: 0.4}\n"
    "evidence: {well_founded: {beta: [3, 2]}, unfounded: {beta: [2, 4]}}\n"
    "stages:\n"
    "  - name: report\n"
    "    entry: true\n"
    "    branches:\n"
    "      - {to: investigation, p: {reference: 0.5, african_descent: 0.35}}\n"
    "      - {to: never_reported}\n"
    "  - name: investigation\n"
    "    staff: 20\n"
    "    caseload: 10\n"
    "    queue: priority\n"
    "    duration: {gamma: {mean: 120, cv: 0.7}}\n"
    "    deadline: {days: 500, from: incident, to: time_barred}\n"
    "    branches:\n"
    "      - {to: [prosecution, discipline], p: 0.3, evidence_slope: 2.0}\n"
    "      - {to: dismissed}\n"
    "  - name: prosecution\n"
    "    staff: 3\n"
    "    caseload: 20\n"
    "    duration: {lognormal: {median: 90, p90: 300}}\n"
    "    branches:\n"
    "      - {to: convicted, p: 0.4}\n"
    "      - {to: acquitted}\n"
    "  - name: discipline\n"
    "    duration: {exponential: {mean: 60}}\n"
    "    branches:\n"
    "      - {to: disciplined, p: 0.5}\n"
    "      - {to: no_sanction}\n"
    "outcomes:\n"
    "  never_reported: {}\n"
    "  dismissed: {}\n"
    "  time_barred: {}\n"
    "  convicted: {accountability: criminal}\n"
    "  acquitted: {}\n"
    "  disciplined: {accountability: disciplinary}\n"
    "  no_sanction: {}\n"
    "schedules:\n"
    "  - path: groups.reference.incidents_per_year\n"
    "    values: {2020: 3000, 2027: 2500}\n"
    "    between: linear\n"
    "initial:\n"
    "  - {stage: investigation, cases: 400, age_days: {uniform: {min: 0, max: 400}}}\n"
    "feedback:\n"
    "  - name: trust\n"
    "    group: african_descent\n"
    "    responds_to: {measure: accountability_rate, window_years: 1}\n"
    "    reference_value: 0.05\n"
    "    effect: {path: \"stages.report.branches[0].p.african_descent\", elasticity: 0.4}\n"
    "interventions:\n"
    "  - name: reform\n"
    "    starts: 2023\n"
    "    ramp_years: 1.5\n"
    "    annual_cost: 1.0e6\n"
    "    changes:\n"
    "      - {path: stages.investigation.staff, scale: 2}\n"
    "      - {path: \"stages.investigation.branches[0].p\", set: 0.45}\n"
    "      - {path: stages.prosecution.duration.lognormal.median, set: 60}\n"
    "      - {path: stages.investigation.deadline.days, set: 800}\n"
    "      - {path: groups.african_descent.incidents_per_year, scale: 0.8}\n"
    "      - {path: violations.death.well_founded, set: 0.8}\n"
    "      - {path: feedback.trust.effect.elasticity, set: 0.8}\n";

START_TEST(before_starts_equal)
{
    cs_scenario *s = cs_test_scenario(REFORM_YAML);
    ck_assert_uint_eq(s->n_variants, 2);
    runs b = run(s, 0, 6), v = run(s, 1, 6);
    /* Years 0-2 of the run (2020-2022) end before `starts` (2023): equal
     * count for count, and so is every month's backlog before 2023. */
    size_t later_differ = 0;
    for (size_t r = 0; r < b.n; r++)
        for (size_t y = 0; y < b.ny; y++) {
            for (size_t st = 0; st < b.ns; st++) {
                int64_t x = entry(&b, r, y, st), z = entry(&v, r, y, st);
                if (y < 3)
                    ck_assert_msg(x == z, "rep %zu year %zu stage %zu: %lld vs %lld", r, y, st,
                                  (long long)x, (long long)z);
                later_differ += y >= 3 && x != z;
            }
            for (size_t o = 0; o < b.no; o++)
                if (y < 3)
                    ck_assert(outcome(&b, r, y, o) == outcome(&v, r, y, o));
        }
    for (size_t r = 0; r < b.n; r++)
        for (size_t st = 0; st < b.ns; st++)
            for (size_t mo = 0; mo < 36; mo++)
                ck_assert(b.backlog[(r * b.ns + st) * b.nm + mo] ==
                          v.backlog[(r * v.ns + st) * v.nm + mo]);
    /* The comparison is not vacuous: from 2023 on the reform changes counts. */
    ck_assert_uint_gt(later_differ, 10);
    runs_free(&b);
    runs_free(&v);
    cs_scenario_free(s);
}
END_TEST

/* ------------------------------------------------- arrival rate schedules */

/* A capacity-free one-group scenario whose rate follows `schedule`; the
 * report stage's entries per year are the arrivals. */
static cs_scenario *rate_scenario(const char *schedule, int years)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "casesim: 1\n"
             "name: rates\n"
             "time: {warmup_years: 0, cohort_years: %d, follow_up_years: 0, start_year: 2020}\n"
             "groups:\n"
             "  - {name: only, incidents_per_year: 2000}\n"
             "violations:\n"
             "  - {name: force, share: 1, well_founded: 0.5}\n"
             "stages:\n"
             "  - name: report\n"
             "    entry: true\n"
             "    branches:\n"
             "      - {to: reported, p: 0.5}\n"
             "      - {to: not_reported}\n"
             "outcomes:\n"
             "  reported: {}\n"
             "  not_reported: {}\n"
             "schedules:\n"
             "  - path: groups.only.incidents_per_year\n"
             "%s",
             years, schedule);
    return cs_test_scenario(yaml);
}

/* The mean yearly count over the replicates against its expectation
 * lambda[y]: |z| <= 4.5 with the exact Poisson SE sqrt(lambda / R)
 * (false alarm 7e-6 per year). Returns the largest |z| against `wrong`
 * (NULL: none), to show that a wrong expectation is rejected. */
static double check_counts(const runs *x, const double *lambda, const double *wrong)
{
    double worst_wrong = 0.0;
    for (size_t y = 0; y < x->ny; y++) {
        double sum = 0.0;
        for (size_t r = 0; r < x->n; r++)
            sum += (double)entry(x, r, y, 0);
        double mean = sum / (double)x->n, se = sqrt(lambda[y] / (double)x->n);
        double z = (mean - lambda[y]) / se;
        ck_assert_msg(fabs(z) <= 4.5, "year %zu: mean count %.2f, expected %.2f (z = %.2f)", y,
                      mean, lambda[y], z);
        if (wrong)
            worst_wrong = fmax(worst_wrong, fabs(mean - wrong[y]) / se);
    }
    return worst_wrong;
}

START_TEST(rate_step)
{
    /* 2000 a year, 3000 from 2022, 2500 from mid-2024 (a step inside a year). */
    cs_scenario *s = rate_scenario("    values: {2020: 2000, 2022: 3000, 2024.5: 2500}\n", 6);
    runs x = run(s, 0, 40);
    ck_assert_uint_eq(x.ny, 6);
    double lambda[6] = {2000, 2000, 3000, 3000, 0.5 * 3000 + 0.5 * 2500, 2500};
    double flat[6] = {2000, 2000, 2000, 2000, 2000, 2000};
    ck_assert_double_gt(check_counts(&x, lambda, flat), 20.0); /* no step: rejected */
    runs_free(&x);
    cs_scenario_free(s);
}
END_TEST

START_TEST(rate_linear)
{
    /* From 1000 (2020) to 3000 (2025) in a straight line, then 3000: year y
     * (from 2020) expects the integral 1000 + 400 (y + 0.5) for y < 5. */
    cs_scenario *s =
        rate_scenario("    values: {2020: 1000, 2025: 3000}\n    between: linear\n", 7);
    runs x = run(s, 0, 40);
    double lambda[7], step[7];
    for (size_t y = 0; y < 7; y++) {
        lambda[y] = y < 5 ? 1000.0 + 400.0 * ((double)y + 0.5) : 3000.0;
        step[y] = y < 5 ? 1000.0 : 3000.0; /* a step schedule's counts instead */
    }
    ck_assert_double_gt(check_counts(&x, lambda, step), 20.0);
    runs_free(&x);
    cs_scenario_free(s);
}
END_TEST

/* ---------------------------------------------------- staff that change */

/* 20 cases at a stage with `staff` places, fixed 100-day service, no other
 * arrivals reaching it; the staff schedule `sched` (days given as years). */
static cs_scenario *staff_scenario(const char *sched)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "casesim: 1\n"
             "name: staff\n"
             "time: {warmup_years: 0, cohort_years: 1, follow_up_years: 1}\n"
             "groups:\n"
             "  - {name: only, incidents_per_year: 100}\n"
             "violations:\n"
             "  - {name: force, share: 1, well_founded: 0.5}\n"
             "stages:\n"
             "  - name: report\n"
             "    entry: true\n"
             "    branches:\n"
             "      - {to: work, p: 0}\n"
             "      - {to: not_reported}\n"
             "  - name: work\n"
             "    staff: 10\n"
             "    duration: {fixed: 100}\n"
             "    branches:\n"
             "      - {to: done}\n"
             "outcomes:\n"
             "  done: {}\n"
             "  not_reported: {}\n"
             "initial:\n"
             "  - {stage: work, cases: 20, age_days: {fixed: 10}}\n"
             "schedules:\n"
             "  - path: stages.work.staff\n"
             "%s",
             sched);
    return cs_test_scenario(yaml);
}

START_TEST(staff_drop_preempts_nobody)
{
    /* 10 places, 2 from day 50 (0.1368925 years): the 10 in service finish
     * at day 100, then 2 at a time at 200, ..., 600. Year 0 (to day 365.25):
     * 10 + 2 + 2 = 14 cases done; year 1: 6. Pre-empting 8 cases at day 50
     * would give 2 + 2 + 2 = 6 and then 14. */
    cs_scenario *s = staff_scenario("    values: {0: 10, 0.1368925: 2}\n");
    runs x = run(s, 0, 3);
    long o = cs_scenario_find_outcome(s, "done");
    for (size_t r = 0; r < x.n; r++) {
        ck_assert_int_eq(outcome(&x, r, 0, (size_t)o), 14);
        ck_assert_int_eq(outcome(&x, r, 1, (size_t)o), 6);
    }
    runs_free(&x);
    cs_scenario_free(s);
}
END_TEST

START_TEST(staff_rise_serves_queue_at_once)
{
    /* 2 places, 10 from day 150 (0.4106776 years): 2 done at 100 and 2 more
     * start at 100; at 150 eight more start at once (finishing at 250); the
     * 2 of day 100 finish at 200; the last 6 start at 200 and 250 and finish
     * by 350: all 20 in year 0. With the rise ignored until a place frees,
     * 2 at a time, only 2 + 2 + 2 cases would finish in year 0. */
    cs_scenario *s = staff_scenario("    values: {0: 2, 0.4106776: 10}\n");
    runs x = run(s, 0, 2);
    long o = cs_scenario_find_outcome(s, "done");
    for (size_t r = 0; r < x.n; r++) {
        ck_assert_int_eq(outcome(&x, r, 0, (size_t)o), 20);
        ck_assert_int_eq(outcome(&x, r, 1, (size_t)o), 0);
    }
    runs_free(&x);
    cs_scenario_free(s);
}
END_TEST

/* ------------------------- changes apply from their time, as they should */

static const char *WHEN_YAML =
    "casesim: 1\n"
    "name: when\n"
    "time: {warmup_years: 0, cohort_years: 3, follow_up_years: 1}\n"
    "groups:\n"
    "  - {name: only, incidents_per_year: 300}\n"
    "violations:\n"
    "  - {name: force, share: 1, well_founded: 0.5}\n"
    "stages:\n"
    "  - name: report\n"
    "    entry: true\n"
    "    branches:\n"
    "      - {to: never_reported, p: 0}\n"
    "      - {to: work}\n"
    "  - name: work\n"
    "    duration: {fixed: 50}\n"
    "    deadline: {days: 60, from: stage, to: time_barred}\n"
    "    branches:\n"
    "      - {to: sanctioned, p: 0}\n"
    "      - {to: done}\n"
    "outcomes:\n"
    "  never_reported: {}\n"
    "  done: {}\n"
    "  time_barred: {}\n"
    "  sanctioned: {accountability: disciplinary}\n"
    "schedules:\n"
    "  - {path: stages.work.duration.fixed, values: {0: 50, 1: 10}}\n"
    "  - {path: stages.work.deadline.days, values: {0: 60, 2: 5}}\n"
    "  - {path: \"stages.work.branches[0].p\", values: {0: 0, 0.5: 0.9999999999}}\n";

/* Checks each case record against the rules: a duration is drawn when the
 * track enters (50 days before year 1, 10 after), a deadline is fixed when
 * its clock starts (60 days before year 2, 5 after: a case that entered just
 * before year 2 still has 60), a decision takes the probability in force
 * when it is made (0 before year 0.5, then 1 - 1e-10: a case entering before
 * 0.5 but finishing after it is decided with the new one). */
static void check_when(void *ctx, const cs_replicate_result *r)
{
    size_t *checked = ctx;
    const double y = 365.25;
    const uint64_t done = 1u << 1, barred = 1u << 2, sanctioned = 1u << 3;
    for (size_t i = 0; i < r->n_cases; i++) {
        const cs_case_record *c = &r->cases[i];
        if (isnan(c->end_day))
            continue;
        double t = c->arrival_day, len = c->end_day - t;
        double d = t < y ? 50.0 : 10.0;
        bool late = t >= 2 * y; /* deadline 5 < duration 10: barred */
        ck_assert_double_eq_tol(len, late ? 5.0 : d, 1e-9);
        ck_assert_uint_eq(c->outcome_mask & barred, late ? barred : 0);
        if (!late)
            ck_assert_uint_eq(c->outcome_mask & (done | sanctioned),
                              t + d >= 0.5 * y ? sanctioned : done);
        (*checked)++;
    }
}

START_TEST(changes_apply_from_their_time)
{
    cs_scenario *s = cs_test_scenario(WHEN_YAML);
    size_t checked = 0;
    cs_test_run_variant(s, 0, 5, 2, true, check_when, &checked);
    ck_assert_uint_gt(checked, 1500);
    cs_scenario_free(s);
}
END_TEST

/* ------------------------------------------- an M/M/c backlog draining */

/* E[N(t)] of a pure-death process from n with death rate mu min(N, c):
 * while N > c deaths are Poisson at rate c mu, so the time tau of the
 * (n - c)-th death is Gamma(m = n - c, rate c mu), and before it
 * N(t) = n - D(t), D ~ Poisson(c mu t); from tau on each of the c left
 * leaves at rate mu independently (memoryless). Hence
 *   E[N(t)] = sum_{j < m} (n - j) P(D = j)
 *           + c e^{-mu t} (cmu)^m / (m - 1)! int_0^t s^{m-1} e^{-(c-1) mu s} ds,
 * and the integral is (c/(c-1))^m P(Gamma(m, rate (c-1) mu) <= t) / (cmu)^m (m-1)!
 * for c > 1. */
static double mmc_remaining(double n, double c, double mu, double t)
{
    double m = n - c, cm = c * mu * t, first = 0.0;
    for (double j = 0; j < m; j++)
        first += (n - j) * gsl_ran_poisson_pdf((unsigned)j, cm);
    double second =
        c * exp(-mu * t + m * log(c / (c - 1.0))) * gsl_cdf_gamma_P(t, m, 1.0 / ((c - 1.0) * mu));
    return first + second;
}

static const char *MMC_YAML = "casesim: 1\n"
                              "name: drain\n"
                              "time: {warmup_years: 0, cohort_years: 1, follow_up_years: 5}\n"
                              "groups:\n"
                              "  - {name: only, incidents_per_year: 100}\n"
                              "violations:\n"
                              "  - {name: force, share: 1, well_founded: 0.5}\n"
                              "stages:\n"
                              "  - name: report\n"
                              "    entry: true\n"
                              "    branches:\n"
                              "      - {to: review, p: 0}\n"
                              "      - {to: not_reported}\n"
                              "  - name: review\n"
                              "    staff: 20\n"
                              "    duration: {exponential: {mean: 180}}\n"
                              "    branches:\n"
                              "      - {to: decided}\n"
                              "outcomes:\n"
                              "  decided: {}\n"
                              "  not_reported: {}\n"
                              "initial:\n"
                              "  - stage: review\n"
                              "    cases: 200\n"
                              "    age_days: {uniform: {min: 0, max: 900}}\n";

START_TEST(mmc_backlog_drains)
{
    cs_scenario *s = cs_test_scenario(MMC_YAML);
    enum { R = 40 };
    runs x = run(s, 0, R);
    long o = cs_scenario_find_outcome(s, "decided");
    double mu = 1.0 / 180.0, worst_wrong = 0.0;
    for (size_t y = 0; y < x.ny; y++) {
        /* Cases decided by the end of year y: n - E[N(t)]. Tolerance 4.5
         * SE of the mean over 40 replicates (t with 39 df: false alarm
         * 4e-5 per year, 3e-4 for the 6 years). */
        double done[R], mean, se, t = 365.25 * (double)(y + 1);
        for (size_t r = 0; r < x.n; r++) {
            done[r] = 0.0;
            for (size_t k = 0; k <= y; k++)
                done[r] += (double)outcome(&x, r, k, (size_t)o);
        }
        cs_test_mean_se(done, x.n, &mean, &se);
        double want = 200.0 - mmc_remaining(200.0, 20.0, mu, t);
        double wrong = 200.0 - mmc_remaining(200.0, 10.0, mu, t); /* half the places */
        if (se > 0)
            ck_assert_msg(fabs(mean - want) <= 4.5 * se,
                          "year %zu: %.2f done, expected %.2f (se %.2f)", y, mean, want, se);
        else
            ck_assert_double_eq_tol(mean, want, 1e-6);
        if (se > 0)
            worst_wrong = fmax(worst_wrong, fabs(mean - wrong) / se);
    }
    ck_assert_double_gt(worst_wrong, 4.5); /* a wrong capacity is rejected */
    runs_free(&x);
    cs_scenario_free(s);
}
END_TEST

/* ------------------------------------------------- trust at its fixed point */

static const char *TRUST_YAML =
    "casesim: 1\n"
    "name: trust\n"
    "time: {warmup_years: 8, cohort_years: 1, follow_up_years: 3}\n"
    "groups:\n"
    "  - {name: only, incidents_per_year: 20000}\n"
    "violations:\n"
    "  - {name: force, share: 1, well_founded: 0.5}\n"
    "stages:\n"
    "  - name: report\n"
    "    entry: true\n"
    "    branches:\n"
    "      - {to: investigation, p: 0.3}\n"
    "      - {to: never_reported}\n"
    "  - name: investigation\n"
    "    duration: {exponential: {mean: 60}}\n"
    "    branches:\n"
    "      - {to: prosecution, p: 0.4}\n"
    "      - {to: discipline, p: 0.2}\n"
    "      - {to: dismissed}\n"
    "  - name: prosecution\n"
    "    duration: {gamma: {mean: 90, cv: 0.5}}\n"
    "    branches:\n"
    "      - {to: convicted, p: 0.5}\n"
    "      - {to: acquitted}\n"
    "  - name: discipline\n"
    "    duration: {fixed: 30}\n"
    "    branches:\n"
    "      - {to: disciplined, p: 0.6}\n"
    "      - {to: no_sanction}\n"
    "outcomes:\n"
    "  never_reported: {}\n"
    "  dismissed: {}\n"
    "  convicted: {accountability: criminal}\n"
    "  acquitted: {}\n"
    "  disciplined: {accountability: disciplinary}\n"
    "  no_sanction: {}\n"
    "feedback:\n"
    "  - name: trust\n"
    "    group: all\n"
    "    responds_to: {measure: accountability_rate, window_years: 1}\n"
    "    reference_value: 0.2\n"
    "    effect: {path: \"stages.report.branches[0].p\", elasticity: %s}\n";

/* The probability that a case entering stage `from` ends in an
 * accountability outcome: absorption of the chain over stages (without
 * modifiers every branch has probability p), by the fundamental matrix:
 * x = (I - Q)^{-1} r, r_i the probability of stage i's branches that lead
 * to an accountability outcome at once. */
static double absorbed(const cs_scenario *s, size_t from)
{
    size_t S = s->n_stages;
    gsl_matrix *A = gsl_matrix_alloc(S, S);
    gsl_vector *r = gsl_vector_calloc(S), *x = gsl_vector_alloc(S);
    gsl_permutation *perm = gsl_permutation_alloc(S);
    gsl_matrix_set_identity(A);
    for (size_t i = 0; i < S; i++)
        for (size_t b = 0; b < s->stages[i].n_branches; b++) {
            const cs_branch *br = &s->stages[i].branches[b];
            const cs_target *t = &br->to[0];
            if (t->is_stage)
                gsl_matrix_set(A, i, t->index,
                               gsl_matrix_get(A, i, t->index) - cs_branch_p(s, br, 0, 0));
            else if (s->outcomes[t->index].category >= 0)
                gsl_vector_set(r, i, gsl_vector_get(r, i) + cs_branch_p(s, br, 0, 0));
        }
    int sign;
    gsl_linalg_LU_decomp(A, perm, &sign);
    gsl_linalg_LU_solve(A, perm, r, x);
    double a = gsl_vector_get(x, from);
    gsl_matrix_free(A);
    gsl_vector_free(r);
    gsl_vector_free(x);
    gsl_permutation_free(perm);
    return a;
}

/* f(A): reporting after the feedback, from p0 = 0.3 with multiplier
 * (A / 0.2)^e on its odds, clamped to the default limits [0.1, 10]. */
static double trust_f(double A, double e)
{
    double m = fmin(fmax(pow(A / 0.2, e), 0.1), 10.0), odds = 0.3 / 0.7 * m;
    return odds / (1.0 + odds);
}

/* The fixed point of p -> f(a p) on [0, 1] by bisection (f decreasing in
 * nothing here: g(p) = f(a p) - p goes from f(0) >= 0 to f(a) - 1 < 0). */
static double trust_fixed_point(double a, double e)
{
    double lo = 0.0, hi = 1.0;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (trust_f(a * mid, e) - mid > 0)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

START_TEST(trust_fixed_point_reached)
{
    const double e = 0.5;
    char yaml[4096];
    snprintf(yaml, sizeof yaml, TRUST_YAML, "0.5");
    cs_scenario *s = cs_test_scenario(yaml);
    /* A(p) = p a: never-reported cases end at once without accountability;
     * a reported one ends in accountability with probability a. */
    double a = absorbed(s, (size_t)cs_scenario_find_stage(s, "investigation"));
    ck_assert_double_eq_tol(a, 0.4 * 0.5 + 0.2 * 0.6, 1e-12);
    double p_star = trust_fixed_point(a, e);
    enum { R = 20 };
    runs x = run(s, 0, R);
    /* The reporting share of years 8-11, after the loop has settled (its
     * gain e (1 - p) < 0.5 makes it contract; 8 years are many windows). */
    double share[R], mean, se;
    for (size_t r = 0; r < x.n; r++) {
        double in = 0, rep = 0;
        for (size_t y = 8; y < x.ny; y++) {
            in += (double)entry(&x, r, y, 0);
            rep += (double)entry(&x, r, y, 1);
        }
        share[r] = rep / in;
    }
    cs_test_mean_se(share, x.n, &mean, &se);
    /* 4 SE over 20 replicates (t, 19 df: false alarm 8e-4). The signal's
     * noise biases E[f(A)] by about e (e - 1) / 2 CV(A)^2 ~ 2e-4 relative
     * (CV(A) ~ 4% over ~10^4 cases a window), far below the SE. */
    ck_assert_msg(fabs(mean - p_star) <= 4.0 * se, "reporting %.5f (se %.5f), fixed point %.5f",
                  mean, se, p_star);
    ck_assert_double_gt(fabs(mean - 0.3) / se, 4.0); /* without the loop: rejected */
    runs_free(&x);
    cs_scenario_free(s);
}
END_TEST

/* --------------------------------------------- elasticity 0, threads */

/* Every array of the results schema of a replicate, hashed (FNV-1a),
 * except the feedback trajectories when `skip_feedback`. */
typedef struct hashes {
    bool skip_feedback;
    size_t n;
    uint64_t h[128];
} hashes;

static void hash_result(void *ctx, const cs_replicate_result *r)
{
    hashes *x = ctx;
    uint64_t h = 1469598103934665603ULL;
    for (size_t k = 0; k < CS_SCHEMA_N_ARRAYS; k++) {
        const cs_schema_array *a = &cs_schema_arrays[k];
        if (x->skip_feedback && strncmp(a->name, "feedback_", 9) == 0)
            continue;
        if (strcmp(a->name, "uncertain_values") == 0)
            continue; /* the point's values: compared on their own */
        size_t n = 1;
        ck_assert(cs_schema_array_count(a, &r->dims, &n));
        const unsigned char *p = cs_schema_array_cdata(a, r);
        for (size_t i = 0; i < n * a->size; i++)
            h = (h ^ p[i]) * 1099511628211ULL;
    }
    x->h[x->n++] = h;
}

static const char *ZERO_YAML =
    "casesim: 1\n"
    "name: zero\n"
    "time: {warmup_years: 1, cohort_years: 3, follow_up_years: 2}\n"
    "groups:\n"
    "  - {name: reference, incidents_per_year: 3000}\n"
    "  - {name: african_descent, incidents_per_year: 2000}\n"
    "violations:\n"
    "  - {name: force, share: 1, well_founded: 0.5}\n"
    "stages:\n"
    "  - name: report\n"
    "    entry: true\n"
    "    branches:\n"
    "      - {to: investigation, p: {reference: 0.5, african_descent: 0.3}}\n"
    "      - {to: never_reported}\n"
    "  - name: investigation\n"
    "    staff: 10\n"
    "    caseload: 20\n"
    "    duration: {gamma: {mean: 90, cv: 0.8}}\n"
    "    branches:\n"
    "      - {to: sanctioned, p: 0.3, evidence_slope: 1.5}\n"
    "      - {to: dismissed}\n"
    "outcomes:\n"
    "  never_reported: {}\n"
    "  dismissed: {}\n"
    "  sanctioned: {accountability: disciplinary}\n"
    "%s";

static const char *ZERO_FEEDBACK =
    "feedback:\n"
    "  - name: trust\n"
    "    group: african_descent\n"
    "    responds_to: {measure: accountability_rate, window_years: 0.5}\n"
    "    reference_value: 0.05\n"
    "    effect: {path: \"stages.report.branches[0].p.african_descent\", elasticity: 0}\n"
    "  - name: deterrence\n"
    "    group: all\n"
    "    responds_to: {measure: accountability_rate_disciplinary, window_years: 1}\n"
    "    reference_value: 0.1\n"
    "    effect: {path: groups.african_descent.incidents_per_year, elasticity: %s}\n";

static hashes hash_run(const char *feedback, const char *elasticity)
{
    char fb[1024] = "", yaml[4096];
    if (feedback)
        snprintf(fb, sizeof fb, feedback, elasticity);
    snprintf(yaml, sizeof yaml, ZERO_YAML, fb);
    cs_scenario *s = cs_test_scenario(yaml);
    hashes h = {.skip_feedback = true};
    cs_test_run_variant(s, 0, 7, 4, true, hash_result, &h);
    cs_scenario_free(s);
    return h;
}

START_TEST(elasticity_zero_is_no_feedback)
{
    hashes none = hash_run(NULL, NULL), zero = hash_run(ZERO_FEEDBACK, "0");
    hashes some = hash_run(ZERO_FEEDBACK, "-0.5");
    for (size_t i = 0; i < none.n; i++) {
        ck_assert_msg(none.h[i] == zero.h[i], "replicate %zu differs", i);
        ck_assert(none.h[i] != some.h[i]); /* a loop that acts changes results */
    }
}
END_TEST

/* cs_sim_run's sink: the hashes in delivery order. */
static int sink(void *ctx, const cs_replicate_result *r, cs_error *err)
{
    (void)err;
    hash_result(ctx, r);
    return CS_OK;
}

START_TEST(threads_do_not_matter)
{
    cs_scenario *s = cs_test_scenario(REFORM_YAML);
    hashes one = {0}, two = {0};
    cs_run_config cfg = {
        .seed = 3, .n_replicates = 4, .threads = 1, .sink = sink, .sink_ctx = &one};
    cs_error err;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_sim_run(s, &cfg, &err), CS_OK);
    cfg.threads = 2;
    cfg.sink_ctx = &two;
    ck_assert_int_eq(cs_sim_run(s, &cfg, &err), CS_OK);
    ck_assert_uint_eq(one.n, 8);
    for (size_t i = 0; i < one.n; i++)
        ck_assert(one.h[i] == two.h[i]);
    cs_scenario_free(s);
}
END_TEST

/* ------------------------------------- uncertain schedules and elasticities */

/* cs_sim_run's sink for points: the period counts, the hashes and each
 * replicate's first uncertain value. */
typedef struct point_runs {
    runs counts;
    hashes h;
    double value[128];
} point_runs;

static int point_sink(void *ctx, const cs_replicate_result *r, cs_error *err)
{
    (void)err;
    point_runs *x = ctx;
    ck_assert_uint_lt(x->h.n, 128);
    x->value[x->h.n] = r->uncertain_values[0];
    collect(&x->counts, r);
    hash_result(&x->h, r);
    return CS_OK;
}

/* Runs replicates 0 .. n - 1 of s (one variant) on one thread, replicate r
 * at point floor(r / per_point) of the table `values` (one value a point). */
static point_runs run_points(const cs_scenario *s, uint64_t seed, const double *values,
                             uint64_t n_points, uint64_t per_point)
{
    point_runs x = {.h = {.skip_feedback = true}};
    cs_table_source tab = {values, n_points, 1, per_point};
    cs_point_source src;
    cs_point_source_table(&src, &tab);
    cs_run_config cfg = {.seed = seed,
                         .n_replicates = n_points * per_point,
                         .threads = 1,
                         .sink = point_sink,
                         .sink_ctx = &x,
                         .points = &src};
    cs_error err;
    cs_error_clear(&err);
    ck_assert_msg(cs_sim_run(s, &cfg, &err) == CS_OK, "%s", err.text);
    return x;
}

START_TEST(uncertain_elasticity_reaches_the_engine)
{
    /* The deterrence loop's elasticity uncertain (the scenario's own value
     * -0.3); the points 0, -0.5, 0, -0.5. A replicate at 0 must equal the
     * same replicate without feedback bit for bit (every array), one at
     * -0.5 must not: the drawn value, not the scenario's, reaches the loop. */
    char fb[1024], yaml[4096];
    snprintf(fb, sizeof fb, ZERO_FEEDBACK, "-0.3");
    snprintf(yaml, sizeof yaml, ZERO_YAML, fb);
    strcat(yaml, "uncertain:\n"
                 "  - path: feedback.deterrence.effect.elasticity\n"
                 "    uniform: {min: -0.6, max: 0}\n");
    cs_scenario *s = cs_test_scenario(yaml);
    const double points[4] = {0.0, -0.5, 0.0, -0.5};
    point_runs x = run_points(s, 7, points, 4, 1);
    hashes none = hash_run(NULL, NULL);
    ck_assert_uint_eq(x.h.n, 4);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_double_eq(x.value[i], points[i]);
        if (points[i] == 0.0)
            ck_assert_msg(x.h.h[i] == none.h[i], "replicate %zu at elasticity 0 differs", i);
        else
            ck_assert_msg(x.h.h[i] != none.h[i], "replicate %zu at -0.5 has no feedback", i);
    }
    runs_free(&x.counts);
    cs_scenario_free(s);
}
END_TEST

START_TEST(uncertain_schedule_value_reaches_the_engine)
{
    /* 2000 incidents a year, stepping in 2022 to the schedule's value, which
     * is uncertain (the scenario's own 3000); points 2500 and 3500, 40
     * replicates each. Years 0 and 1 expect 2000 and years 2 to 5 the
     * point's value, within 4.5 exact Poisson SE (check_counts: false alarm
     * 7e-6 a year); the scenario's own 3000 is rejected (z > 20). */
    cs_scenario *s = rate_scenario("    values: {2020: 2000, 2022: 3000}\n"
                                   "uncertain:\n"
                                   "  - path: schedules[0].values.2022\n"
                                   "    uniform: {min: 2000, max: 4000}\n",
                                   6);
    const double points[2] = {2500.0, 3500.0};
    point_runs x = run_points(s, 20241, points, 2, 40);
    ck_assert_uint_eq(x.counts.n, 80);
    ck_assert_uint_eq(x.counts.ny, 6);
    for (size_t p = 0; p < 2; p++) {
        runs part = x.counts; /* the point's 40 replicates, in order */
        part.n = 40;
        part.entries = &x.counts.entries[p * 40 * part.ny * part.ns];
        double lambda[6], own[6];
        for (size_t y = 0; y < 6; y++) {
            lambda[y] = y < 2 ? 2000.0 : points[p];
            own[y] = y < 2 ? 2000.0 : 3000.0;
        }
        ck_assert_double_gt(check_counts(&part, lambda, own), 20.0);
        ck_assert_double_eq(x.value[p * 40], points[p]);
    }
    runs_free(&x.counts);
    cs_scenario_free(s);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("dynamics");
    TCase *tc = tcase_create("known answers");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, before_starts_equal);
    tcase_add_test(tc, rate_step);
    tcase_add_test(tc, rate_linear);
    tcase_add_test(tc, staff_drop_preempts_nobody);
    tcase_add_test(tc, staff_rise_serves_queue_at_once);
    tcase_add_test(tc, changes_apply_from_their_time);
    tcase_add_test(tc, mmc_backlog_drains);
    tcase_add_test(tc, trust_fixed_point_reached);
    tcase_add_test(tc, elasticity_zero_is_no_feedback);
    tcase_add_test(tc, threads_do_not_matter);
    tcase_add_test(tc, uncertain_elasticity_reaches_the_engine);
    tcase_add_test(tc, uncertain_schedule_value_reaches_the_engine);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
