/* test_calibrate_targets.c — the targets that need the engine's extra
 * tallies: `mean_duration` (a stage's service, wait or stay, or the time to
 * the end of a case) and `kind:` (one violation kind's counts), against
 * answers known in closed form, and a calibration whose posterior of a
 * mean duration is known.
 *
 * Tolerances: a mean of n independent durations of sd sigma has standard
 * error sigma / sqrt(n); a count's Poisson SE is sqrt(count); a share's
 * binomial SE sqrt(p (1 - p) / n). Each check allows 4 SE (two-sided
 * false-alarm probability 6e-5 under normality). Weighted estimates from an
 * importance sample of Kish effective size ESS follow test_calibrate.c:
 * 4 x 1.2 sd / sqrt(ESS). Seeds are fixed: a run passes or fails every
 * time. Each test also shows that it can fail: the deliberately wrong
 * answer lies outside the tolerance. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>

#include "casesim/calibrate.h"
#include "casesim/engine.h"
#include "sim_support.h"

#define NSE 4.0
#define RMSE_FACTOR 1.2

/* Capacity-free: every wait is 0. `complaint` lasts Exp(mean 10) and sends
 * half its cases to `investigation`, Exp(mean 60); so a case's time to its
 * end is X + B Y, X ~ Exp(10), B ~ Bernoulli(1/2), Y ~ Exp(60): mean 40,
 * variance 100 + E[B Y^2] - 30^2 = 100 + 3600 - 900 = 2800. The follow-up
 * of three years leaves a cohort duration unfinished with probability below
 * e^-18. Two kinds: `death` is 20% of the incidents. */
static const char *BASE =
    "casesim: 1\n"
    "name: targets-ext-test\n"
    "time: {warmup_years: 2, cohort_years: 1, follow_up_years: 3, start_year: 2018}\n"
    "run: {replicates: 4, seed: 11}\n"
    "groups:\n"
    "  - {name: reference, incidents_per_year: 1000}\n"
    "  - {name: minority, incidents_per_year: 250}\n"
    "violations:\n"
    "  - {name: force, share: 0.8, well_founded: 0.5}\n"
    "  - {name: death, share: 0.2, well_founded: 0.5}\n"
    "stages:\n"
    "  - name: complaint\n"
    "    entry: true\n"
    "    duration: {exponential: {mean: 10}}\n"
    "    branches:\n"
    "      - {to: investigation, p: 0.5}\n"
    "      - {to: dropped}\n"
    "  - name: investigation\n"
    "    duration: {exponential: {mean: 60}}\n"
    "    branches:\n"
    "      - {to: sanctioned, p: 0.2}\n"
    "      - {to: closed}\n"
    "outcomes:\n"
    "  dropped: {}\n"
    "  closed: {}\n"
    "  sanctioned: {accountability: disciplinary}\n";

/* BASE + unc (may be "") + "targets:" + targets, loaded. */
static cs_scenario *scenario(const char *unc, const char *targets)
{
    size_t n = strlen(BASE) + strlen(unc) + strlen(targets) + 64;
    char *t = malloc(n);
    ck_assert_ptr_nonnull(t);
    snprintf(t, n, "%s%s%stargets:\n%s", BASE, *unc ? "uncertain:\n" : "", unc, targets);
    cs_scenario *s = cs_test_scenario(t);
    free(t);
    return s;
}

/* Runs replicates 0 .. n - 1 of s's baseline with the tallies its targets
 * need, adding every target's sums into sums[n_targets][CS_TARGET_SUMS]. */
static void run_targets(const cs_scenario *s, uint64_t n, double *sums)
{
    cs_error err;
    cs_error_clear(&err);
    cs_model *m = NULL;
    ck_assert_msg(cs_model_compile(s, &m, &err) == CS_OK, "%s", err.text);
    cs_model_set_tallies(m, cs_targets_tallies(s));
    cs_result_dims d;
    cs_result_dims_of(s, &d);
    cs_replicate_result *r = NULL;
    ck_assert_int_eq(cs_replicate_result_alloc(&d, &r, &err), CS_OK);
    memset(sums, 0, s->n_targets * CS_TARGET_SUMS * sizeof *sums);
    for (uint64_t i = 0; i < n; i++) {
        ck_assert_msg(cs_sim_replicate(m, 11, i, false, NULL, r, &err) == CS_OK, "%s", err.text);
        for (size_t t = 0; t < s->n_targets; t++)
            cs_target_accumulate(s, &s->targets[t], r, sums + t * CS_TARGET_SUMS);
    }
    cs_replicate_result_free(r);
    cs_model_free(m);
}

/* ------------------------------------------------------------------ loader */

START_TEST(test_loaded)
{
    cs_scenario *s = scenario(
        "", "  - name: inv_days\n"
            "    mean_duration: {stage: investigation}\n"
            "    observed: {value: 60, sd: 6}\n"
            "    source: a report\n"
            "  - name: wait_2021\n"
            "    period: 2021\n"
            "    mean_duration: {stage: investigation, of: wait}\n"
            "    group: minority\n"
            "    observed: {value: 1, ci95: [0.5, 1.5]}\n"
            "    likelihood: normal\n"
            "    source: a report\n"
            "  - {name: to_end, mean_duration: {of: to_end}, observed: {value: 40, sd: 4},\n"
            "     source: x}\n"
            "  - {name: stay, mean_duration: {stage: complaint, of: in_stage},\n"
            "     observed: {value: 10, sd: 1}, source: x}\n"
            "  - {name: deaths, period: 2021, kind: death, count: {stage: complaint},\n"
            "     observed: 250, source: x}\n");
    ck_assert_uint_eq(s->n_targets, 5);
    const cs_target_spec *t = s->targets;
    ck_assert_int_eq(t[0].kind, CS_TARGET_MEAN_DURATION);
    ck_assert_int_eq(t[0].duration_of, CS_DUR_SERVICE);
    ck_assert_uint_eq(t[0].num.index, 1);
    ck_assert(!t[0].has_period);
    ck_assert_int_eq(t[0].like.family, CS_CALIB_NORMAL);
    ck_assert_double_eq(t[0].like.observed, 60);
    ck_assert_double_eq(t[0].like.spread, 6);
    ck_assert_int_eq(t[1].duration_of, CS_DUR_WAIT);
    ck_assert(t[1].has_period && t[1].first_year == 3 && t[1].n_years == 1);
    ck_assert_int_eq(t[1].group, 1);
    ck_assert_double_eq_tol(t[1].like.spread, 1.0 / (2 * 1.959963984540054), 1e-15);
    ck_assert_int_eq(t[2].duration_of, CS_DUR_TO_END);
    ck_assert_int_eq(t[3].duration_of, CS_DUR_IN_STAGE);
    ck_assert_uint_eq(t[3].num.index, 0);
    ck_assert_int_eq(t[4].violation, 1);
    ck_assert_int_eq(t[0].violation, -1);
    ck_assert_uint_eq(cs_targets_tallies(s), CS_TALLY_DURATIONS | CS_TALLY_KINDS);
    cs_scenario_free(s);
    /* a cohort count by kind reads the results' own per-kind arrays */
    s = scenario("", "  - {name: d, kind: death, count: {stage: complaint}, observed: 1, "
                     "source: x}\n");
    ck_assert_uint_eq(cs_targets_tallies(s), 0);
    cs_scenario_free(s);
}
END_TEST

/* ---------------------------------------------------------- mean durations */

/* Checks the simulated mean of target t (sums) against the exact mean mu
 * and sd sigma: within 4 SE, and its standard error against sigma /
 * sqrt(n) within 4 SE of a sample sd (sqrt(kurt - 1) / 2 / sqrt(n)
 * relative, kurt the durations' kurtosis); a wrong mean (mu x 1.1) is
 * outside. */
static void check_mean(const cs_target_spec *t, const double *sums, double mu, double sigma,
                       double kurt)
{
    cs_calib_simulated sim;
    ck_assert_msg(cs_target_simulated(t, sums, 4, &sim), "%s undefined", t->name);
    double n = sums[0], se = sigma / sqrt(n);
    ck_assert_msg(fabs(sim.value - mu) < NSE * se, "%s: mean %g, exact %g, 4 SE %g", t->name,
                  sim.value, mu, NSE * se);
    ck_assert_msg(fabs(sim.value - 1.1 * mu) > NSE * se, "%s: cannot tell a wrong mean", t->name);
    double rel = NSE * sqrt(kurt - 1.0) / 2.0 / sqrt(n);
    ck_assert_msg(fabs(sim.se / se - 1.0) < rel, "%s: se %g, exact %g", t->name, sim.se, se);
}

START_TEST(test_mean_durations)
{
    cs_scenario *s = scenario(
        "", "  - {name: service, mean_duration: {stage: investigation},\n"
            "     observed: {value: 60, sd: 6}, source: x}\n"
            "  - {name: service_2021, period: 2021, mean_duration: {stage: investigation},\n"
            "     observed: {value: 60, sd: 6}, source: x}\n"
            "  - {name: stay, period: [2020, 2022], mean_duration: {stage: complaint, of: "
            "in_stage},\n"
            "     group: minority, observed: {value: 10, sd: 1}, source: x}\n"
            "  - {name: wait, mean_duration: {stage: investigation, of: wait},\n"
            "     observed: {value: 1, sd: 1}, source: x}\n"
            "  - {name: to_end, mean_duration: {of: to_end}, observed: {value: 40, sd: 4},\n"
            "     source: x}\n"
            "  - {name: to_end_2022, period: 2022, mean_duration: {of: to_end},\n"
            "     observed: {value: 40, sd: 4}, source: x}\n");
    double sums[6][CS_TARGET_SUMS];
    run_targets(s, 4, &sums[0][0]);
    /* kurtosis: 9 for an exponential; 12.306 for the time to the end
     * (its cumulants: those of X plus those of B Y) */
    check_mean(&s->targets[0], sums[0], 60, 60, 9);
    check_mean(&s->targets[1], sums[1], 60, 60, 9);
    check_mean(&s->targets[2], sums[2], 10, 10, 9);
    check_mean(&s->targets[4], sums[4], 40, sqrt(2800), 12.306);
    check_mean(&s->targets[5], sums[5], 40, sqrt(2800), 12.306);
    /* the counts: the cohort's investigations, about 1250 x 4 / 2; the
     * minority's complaints over three years, 250 x 3 x 4 (Poisson SE) */
    ck_assert(fabs(sums[0][0] - 2500) < NSE * sqrt(2500));
    ck_assert(fabs(sums[2][0] - 3000) < NSE * sqrt(3000));
    ck_assert(fabs(sums[1][0] - 2 * sums[0][0]) >
              NSE * sqrt(2500)); /* a year of all, not the cohort */
    /* without staff nobody waits: every wait is exactly 0 */
    cs_calib_simulated sim;
    ck_assert(cs_target_simulated(&s->targets[3], sums[3], 4, &sim));
    ck_assert_double_eq(sim.value, 0.0);
    ck_assert_double_eq(sim.se, 0.0);
    ck_assert_double_eq(sums[3][0], sums[0][0]);
    cs_scenario_free(s);
}
END_TEST

/* With one place at the investigation, a single-server queue: M/M/1 with
 * arrival rate lambda = 1250 / 2 / 365.25 a day (the complaint stage,
 * without staff, passes on a Poisson flow) and, for a stable queue, a
 * short service of mean 0.25 days (mu = 4 a day, rho = 0.43). The mean
 * wait in the queue of a stationary M/M/1 is rho / (mu - lambda) = 0.187
 * days. The waits of one queue are correlated, so the tolerance is 4 SE of
 * the mean of 30 replicates' own means (t with 29 degrees of freedom:
 * false alarm 4e-4), not the se the target reports, which takes the waits
 * as independent. */
START_TEST(test_mean_wait_queue)
{
    const char *from = "    duration: {exponential: {mean: 60}}\n";
    const char *to = "    duration: {exponential: {mean: 0.25}}\n    staff: 1\n";
    const char *at = strstr(BASE, from);
    ck_assert_ptr_nonnull(at);
    char *text = malloc(strlen(BASE) + 1024);
    ck_assert_ptr_nonnull(text);
    snprintf(text, strlen(BASE) + 1024,
             "%.*s%s%s"
             "targets:\n"
             "  - {name: wait, period: [2020, 2023], mean_duration: {stage: investigation, of: "
             "wait}, observed: {value: 3, sd: 1}, source: x}\n",
             (int)(at - BASE), BASE, to, at + strlen(from));
    cs_scenario *s = cs_test_scenario(text);
    free(text);
    enum { R = 30 };
    double means[R];
    for (uint64_t r = 0; r < R; r++) {
        double sums[CS_TARGET_SUMS];
        cs_error err;
        cs_model *m = NULL;
        ck_assert_int_eq(cs_model_compile(s, &m, &err), CS_OK);
        cs_model_set_tallies(m, CS_TALLY_DURATIONS);
        cs_result_dims d;
        cs_result_dims_of(s, &d);
        cs_replicate_result *res = NULL;
        ck_assert_int_eq(cs_replicate_result_alloc(&d, &res, &err), CS_OK);
        ck_assert_int_eq(cs_sim_replicate(m, 11, r, false, NULL, res, &err), CS_OK);
        memset(sums, 0, sizeof sums);
        cs_target_accumulate(s, &s->targets[0], res, sums);
        means[r] = sums[1] / sums[0];
        cs_replicate_result_free(res);
        cs_model_free(m);
    }
    double mean, se;
    cs_test_mean_se(means, R, &mean, &se);
    double lambda = 625.0 / 365.25, mu = 4.0, rho = lambda / mu;
    double exact = rho / (mu - lambda);
    ck_assert_msg(fabs(mean - exact) < NSE * se, "wait %g, exact %g, 4 SE %g", mean, exact,
                  NSE * se);
    /* the wrong answer of the time in the system, wait + service, 1 / (mu - lambda) */
    ck_assert_msg(fabs(mean - 1.0 / (mu - lambda)) > NSE * se, "wait %g, 4 SE %g", mean, NSE * se);
    cs_scenario_free(s);
}
END_TEST

/* -------------------------------------------------------------- by kind */

/* `kind: death` on counts and shares: the deaths entering `complaint` in
 * 2021 are Poisson with mean 1250 x 0.2 = 250 a replicate, and the share
 * of them investigated is 1/2 (kinds share every branch here); the
 * kind-free counts are five times as many. A cohort share by kind: the
 * cohort's deaths investigated within one year of their incident, over the
 * cohort's deaths: 1/2 x P(Exp(mean 10) < 365.25) = 1/2 to 16 digits. */
START_TEST(test_kind_counts)
{
    cs_scenario *s = scenario(
        "", "  - {name: deaths, period: 2021, kind: death, count: {stage: complaint},\n"
            "     observed: 250, source: x}\n"
            "  - {name: all, period: 2021, count: {stage: complaint}, observed: 1250, source: x}\n"
            "  - {name: inv_share, period: [2020, 2021], kind: death, group: minority,\n"
            "     share: {numerator: {stage: investigation}, denominator: {stage: complaint}},\n"
            "     observed: {x: 1, n: 2}, source: x}\n"
            "  - {name: cohort_deaths, kind: death, count: {outcome: sanctioned},\n"
            "     observed: 1, source: x}\n"
            "  - {name: within, kind: death, cohort_share: {numerator: {stage: investigation},\n"
            "     within_years: 1}, observed: {x: 1, n: 2}, source: x}\n");
    double sums[5][CS_TARGET_SUMS];
    run_targets(s, 4, &sums[0][0]);
    double deaths = sums[0][0], all = sums[1][0];
    ck_assert_msg(fabs(deaths - 1000) < NSE * sqrt(1000), "deaths %g, exact 1000", deaths);
    ck_assert(fabs(all - 5000) < NSE * sqrt(5000));
    /* the deaths are a binomial part of all, 0.2 */
    double se = sqrt(0.2 * 0.8 / all);
    ck_assert_msg(fabs(deaths / all - 0.2) < NSE * se, "share of deaths %g", deaths / all);
    ck_assert(fabs(deaths / all - 0.25) > NSE * se);
    /* the minority's deaths over two years: 250 x 0.2 x 2 x 4 = 400 */
    ck_assert(fabs(sums[2][1] - 400) < NSE * sqrt(400));
    se = sqrt(0.25 / sums[2][1]);
    ck_assert(fabs(sums[2][0] / sums[2][1] - 0.5) < NSE * se);
    /* the cohort's sanctioned deaths: 1250 x 0.2 x 0.5 x 0.2 x 4 = 100 */
    ck_assert_msg(fabs(sums[3][0] - 100) < NSE * sqrt(100), "sanctioned deaths %g", sums[3][0]);
    ck_assert(fabs(sums[3][0] - 500) > NSE * sqrt(500));
    /* within a year: 1/2 x (1 - e^(-365.25 / 10)) = 1/2 to 16 digits */
    se = sqrt(0.25 / sums[4][1]);
    ck_assert(fabs(sums[4][1] - 1000) < NSE * sqrt(1000));
    ck_assert(fabs(sums[4][0] / sums[4][1] - 0.5) < NSE * se);
    cs_scenario_free(s);
}
END_TEST

/* ------------------------------------------------------------ calibration */

/* The investigation's mean duration, uniform on [20, 120] a priori, and
 * one observed mean of 80 days, sd 8. The simulated mean at a point of mean
 * mu is about N(mu, se^2), se ~ mu / sqrt(n_sim), n_sim ~ scale x 625
 * cohort investigations = 2500, so se ~ 1.6; the likelihood, normal with
 * variance 8^2 + se^2, then gives a posterior close to N(80, 8^2 + 2 se^2)
 * (the simulation noise counted in the likelihood and in the simulated
 * mean), truncated to the prior's range (5 sd away: negligible). */
START_TEST(test_posterior_mean_duration)
{
    cs_scenario *s = scenario("  - path: stages.investigation.duration.exponential.mean\n"
                              "    name: inv_mean\n"
                              "    uniform: {min: 20, max: 120}\n",
                              "  - {name: inv_days, mean_duration: {stage: investigation},\n"
                              "     observed: {value: 80, sd: 8}, source: synthetic}\n");
    cs_calibrate_config cfg;
    cs_calibrate_config_default(&cfg, s);
    cfg.scale = 4;
    cfg.threads = 2;
    cfg.target_ess = 1000;
    cs_calibration *c = NULL;
    cs_error err;
    cs_error_clear(&err);
    ck_assert_msg(cs_calibrate_run(s, &cfg, &c, &err) == CS_OK, "%s", err.text);
    ck_assert_int_eq(c->status, CS_CALIB_CONVERGED);
    double se = 80.0 / sqrt(2500.0), sd = sqrt(64.0 + 2 * se * se);
    double mean = 0;
    for (size_t i = 0; i < c->n_points; i++)
        mean += c->weight[i] * c->values[i];
    double tol = NSE * RMSE_FACTOR * sd / sqrt(c->ess);
    ck_assert_msg(fabs(mean - 80) < tol, "posterior mean %g, exact 80, tol %g", mean, tol);
    ck_assert(fabs(mean - 88) > tol); /* a wrong answer (one sd off) is refused */
    const cs_calib_marginal *p = &c->inputs[0].posterior;
    double q[2] = {0.025, 0.975}, got[2] = {p->lower, p->upper};
    for (size_t k = 0; k < 2; k++) {
        double z = gsl_cdf_ugaussian_Pinv(q[k]), x = 80 + sd * z;
        double qse = sqrt(q[k] * (1 - q[k]) / c->ess) * sd / gsl_ran_ugaussian_pdf(z);
        ck_assert_msg(fabs(got[k] - x) < NSE * RMSE_FACTOR * qse, "q%g: %g, exact %g, tol %g", q[k],
                      got[k], x, NSE * RMSE_FACTOR * qse);
    }
    ck_assert(c->predictive[0].pit > 0.1 && c->predictive[0].pit < 0.9);
    cs_calibration_free(c);
    cs_scenario_free(s);
}
END_TEST

/* An uncertain unit factor u, Gamma(shape 4, rate 2) a priori, on a count
 * of complaints in 2021 whose expected simulated count is lambda = 1250,
 * observed y = 2500: with a Poisson likelihood of mean u lambda the
 * posterior is Gamma(4 + 2500, 2 + 1250), mean 2.0000, sd 0.0399; the
 * simulated count's own noise (K = 4 replicates, absorbed by the
 * gamma-Poisson) widens its variance by about 1 + 1/K. Every point's factor
 * in the sums must be the value drawn for it, exactly. */
START_TEST(test_posterior_unit_factor)
{
    cs_scenario *s = scenario("  - path: targets.complaints.unit_factor\n"
                              "    gamma: {shape: 4, scale: 0.5}\n",
                              "  - {name: complaints, period: 2021, count: {stage: complaint},\n"
                              "     unit_factor: 2, observed: 2500, source: synthetic}\n");
    ck_assert_int_eq(s->targets[0].unit_value, 0);
    cs_calibrate_config cfg;
    cs_calibrate_config_default(&cfg, s);
    cfg.scale = 4;
    cfg.threads = 2;
    cfg.target_ess = 1000;
    cs_calibration *c = NULL;
    cs_error err;
    cs_error_clear(&err);
    ck_assert_msg(cs_calibrate_run(s, &cfg, &c, &err) == CS_OK, "%s", err.text);
    double mean = 0;
    for (size_t i = 0; i < c->n_points; i++) {
        mean += c->weight[i] * c->values[i];
        ck_assert_double_eq_tol(c->sums[i * CS_TARGET_SUMS + 1] / 4.0, c->values[i],
                                1e-12 * c->values[i]);
    }
    double a = 2504, b = 1252, sd = sqrt(a) / b * sqrt(1.25);
    double tol = NSE * RMSE_FACTOR * sd / sqrt(c->ess);
    ck_assert_msg(fabs(mean - a / b) < tol, "posterior mean %g, exact %g, tol %g", mean, a / b,
                  tol);
    ck_assert(fabs(mean - 2504.0 / 1302.0) > tol); /* lambda 4% off: refused */
    cs_calibration_free(c);
    cs_scenario_free(s);
}
END_TEST

/* ------------------------------------------------- a period's flows, x > n */

/* A period share's year of numerator events can outnumber the year's
 * denominator entries (cases that entered the year before): the simulated
 * share is then 1 (x taken as n), a finite likelihood, not an undefined
 * figure. In a cohort share the numerator's tracks are the denominator's,
 * so x > n cannot come from the engine and stays undefined. */
START_TEST(test_period_share_above_one)
{
    cs_scenario *s = scenario(
        "", "  - {name: year, period: 2021,\n"
            "     share: {numerator: {outcome: sanctioned}, denominator: {stage: investigation}},\n"
            "     observed: {x: 80, n: 100}, source: x}\n"
            "  - {name: cohort, cohort_share: {numerator: {outcome: sanctioned},\n"
            "     denominator: {stage: investigation}, within_years: 1},\n"
            "     observed: {x: 80, n: 100}, source: x}\n");
    const double over[CS_TARGET_SUMS] = {50, 45}, full[CS_TARGET_SUMS] = {45, 45},
                 under[CS_TARGET_SUMS] = {44, 45};
    cs_calib_simulated sim;
    ck_assert(cs_target_simulated(&s->targets[0], over, 1, &sim));
    ck_assert_double_eq(sim.value, 45);
    ck_assert_double_eq(sim.n, 45);
    double l_over = cs_target_loglik(&s->targets[0], over, 1);
    ck_assert(isfinite(l_over));
    ck_assert_double_eq(l_over, cs_target_loglik(&s->targets[0], full, 1));
    ck_assert(cs_target_simulated(&s->targets[0], under, 1, &sim));
    ck_assert_double_eq(sim.value, 44); /* below n: untouched */
    ck_assert(!cs_target_simulated(&s->targets[1], over, 1, &sim));
    ck_assert(cs_target_loglik(&s->targets[1], over, 1) == -INFINITY);
    cs_scenario_free(s);
}
END_TEST

static Suite *targets_suite(void)
{
    Suite *s = suite_create("calibrate_targets");
    TCase *tc = tcase_create("tallies");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_loaded);
    tcase_add_test(tc, test_mean_durations);
    tcase_add_test(tc, test_mean_wait_queue);
    tcase_add_test(tc, test_kind_counts);
    tcase_add_test(tc, test_period_share_above_one);
    suite_add_tcase(s, tc);
    tc = tcase_create("calibration");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_posterior_mean_duration);
    tcase_add_test(tc, test_posterior_unit_factor);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(targets_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
