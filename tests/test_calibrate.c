/* test_calibrate.c — `targets:` and `casesim calibrate` through the
 * simulator: the loader's targets, what a target counts in a replicate's
 * results, a conjugate posterior known in closed form, bit-identical runs
 * for any thread count, common seeds (every point in the same replicates),
 * held-out targets that never enter the fit, and the
 * identifiability warning when only a product of two inputs is observed.
 *
 * Tolerances: a weighted estimate from an importance sample of Kish
 * effective size ESS has Monte Carlo standard error about sd / sqrt(ESS) for
 * a mean and sqrt(p (1 - p) / ESS) / f(q_p) for the p-quantile q_p of a
 * density f; in trials of the IMIS code on posteriors known in closed form
 * the root-mean-square error was at most 1.2 times that
 * (casesim/calibration.h), so every check allows 4 x 1.2 SE (two-sided
 * false-alarm probability 6e-5 per check under normality). Seeds are fixed:
 * a run passes or fails every time. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>

#include "casesim/calibrate.h"
#include "sim_support.h"

#define NSE 4.0
#define RMSE_FACTOR 1.2

/* One group, one kind; `complaint` sends p_inv of its cases to
 * `investigation`, which sanctions p_san of them. */
static const char *BASE =
    "casesim: 1\n"
    "name: calibrate-test\n"
    "time: {warmup_years: 1, cohort_years: 1, follow_up_years: 1, start_year: 2018}\n"
    "run: {replicates: 4, seed: 7}\n"
    "groups:\n"
    "  - {name: reference, incidents_per_year: 1000}\n"
    "  - {name: minority, incidents_per_year: 250}\n"
    "violations:\n"
    "  - {name: force, share: 1, well_founded: 0.5}\n"
    "stages:\n"
    "  - name: complaint\n"
    "    entry: true\n"
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

static const char *P_INV = "  - path: stages.complaint.branches[0].p\n"
                           "    name: p_inv\n"
                           "    beta: {alpha: 1, beta: 1}\n";
static const char *P_SAN = "  - path: stages.investigation.branches[0].p\n"
                           "    name: p_san\n"
                           "    beta: {alpha: 1, beta: 1}\n";

/* BASE + "uncertain:" + unc + "targets:" + targets, loaded. */
static cs_scenario *scenario(const char *unc, const char *targets)
{
    size_t n = strlen(BASE) + strlen(unc) + strlen(targets) + 64;
    char *t = malloc(n);
    ck_assert_ptr_nonnull(t);
    snprintf(t, n, "%suncertain:\n%stargets:\n%s", BASE, unc, targets);
    cs_scenario *s = cs_test_scenario(t);
    free(t);
    return s;
}

/* ------------------------------------------------------------------ loader */

START_TEST(test_targets_loaded)
{
    cs_scenario *s = scenario(
        P_INV, "  - name: investigated_2019\n"
               "    period: 2019\n"
               "    count: {stage: investigation}\n"
               "    group: minority\n"
               "    unit_factor: 2\n"
               "    observed: 500\n"
               "    likelihood: {negative_binomial: {cv: 0.1}}\n"
               "    source: a report\n"
               "  - name: sanctioned_share\n"
               "    period: [2018, 2019]\n"
               "    share: {numerator: {outcome: sanctioned}, denominator: {stage: complaint}}\n"
               "    observed: {x: 10, n: 100}\n"
               "    weight: 0.5\n"
               "    holdout: true\n"
               "    source: a report\n"
               "  - name: minority_ratio\n"
               "    ratio: {share: {numerator: {stage: investigation}, denominator: {stage: "
               "complaint}}, group: minority}\n"
               "    observed: {value: 0.8, ci95: [0.6, 1.1]}\n"
               "    source: a survey\n"
               "  - name: inv_share_value\n"
               "    share: {numerator: {stage: investigation}, denominator: {stage: complaint}}\n"
               "    observed: {value: 0.4, sd: 0.05}\n"
               "    source: a survey\n");
    ck_assert_uint_eq(s->n_targets, 4);
    const cs_target_spec *t = s->targets;
    ck_assert_int_eq(t[0].kind, CS_TARGET_COUNT);
    ck_assert(t[0].has_period && t[0].first_year == 1 && t[0].n_years == 1);
    ck_assert_int_eq(t[0].group, 1);
    ck_assert_int_eq(t[0].like.family, CS_CALIB_NEGBIN);
    ck_assert_double_eq(t[0].like.spread, 0.1);
    ck_assert_double_eq(t[0].like.unit_factor, 2.0);
    ck_assert_int_eq(t[1].kind, CS_TARGET_SHARE);
    ck_assert(t[1].first_year == 0 && t[1].n_years == 2 && t[1].holdout);
    ck_assert(t[1].num.is_outcome && !t[1].den.is_outcome);
    ck_assert_int_eq(t[1].like.family, CS_CALIB_BETABINOMIAL);
    ck_assert_double_eq(t[1].like.weight, 0.5);
    ck_assert_int_eq(t[2].kind, CS_TARGET_RATIO);
    ck_assert(!t[2].has_period);
    ck_assert_int_eq(t[2].like.family, CS_CALIB_LOGNORMAL);
    ck_assert_double_eq_tol(t[2].like.spread, cs_calib_log_sd_from_ci95(0.6, 1.1), 1e-15);
    ck_assert_int_eq(t[3].like.family, CS_CALIB_NORMAL);
    ck_assert_double_eq(t[3].like.spread, 0.05);
    cs_scenario_free(s);
}
END_TEST

/* ------------------------------------------------------ what a target counts */

typedef struct sums_ctx {
    const cs_scenario *s;
    double sums[4][CS_TARGET_SUMS];
    int64_t direct[4][2];
} sums_ctx;

/* Adds r to the targets' sums, and the same figures read directly. */
static void add_replicate(void *ctx, const cs_replicate_result *r)
{
    sums_ctx *c = ctx;
    size_t S = c->s->n_stages, O = c->s->n_outcomes, G = c->s->n_groups, Y = r->dims.n_years;
    for (size_t t = 0; t < 3; t++)
        cs_target_accumulate(c->s, &c->s->targets[t], r, c->sums[t]);
    /* 0: investigations of the minority in 2019 (year 1) */
    c->direct[0][0] += r->period_entries_by_group[(1 * Y + 1) * S + 1];
    /* 1: all groups' sanctions and complaints in 2018-2019, from the
     * all-groups arrays (the by-group array's last row must agree) */
    for (size_t y = 0; y < 2; y++) {
        c->direct[1][0] += r->period_outcomes[y * O + 2];
        c->direct[1][1] += r->period_entries[y * S + 0];
    }
    /* 2: the cohort's investigations over complaints, minority vs reference */
    c->direct[2][0] += r->stage_entries[1 * S + 1];
    c->direct[2][1] += r->stage_entries[0 * S + 1];
    /* the by-group rows add up to the all-groups row */
    for (size_t y = 0; y < Y; y++)
        for (size_t k = 0; k < S; k++) {
            int64_t sum = 0;
            for (size_t g = 0; g < G; g++)
                sum += r->period_entries_by_group[(g * Y + y) * S + k];
            ck_assert_int_eq(sum, r->period_entries_by_group[(G * Y + y) * S + k]);
            ck_assert_int_eq(sum, r->period_entries[y * S + k]);
        }
}

START_TEST(test_target_sums)
{
    cs_scenario *s = scenario(
        P_INV, "  - {name: a, period: 2019, count: {stage: investigation}, group: minority,\n"
               "     observed: 5, source: x}\n"
               "  - {name: b, period: [2018, 2019], share: {numerator: {outcome: sanctioned},\n"
               "     denominator: {stage: complaint}}, observed: {x: 1, n: 2}, source: x}\n"
               "  - {name: c, ratio: {share: {numerator: {stage: investigation},\n"
               "     denominator: {stage: complaint}}, group: minority},\n"
               "     observed: {value: 1, sd: 0.1}, source: x}\n");
    sums_ctx c = {.s = s};
    cs_test_run_variant(s, 0, 7, 3, false, add_replicate, &c);
    ck_assert_double_eq(c.sums[0][0], (double)c.direct[0][0]);
    ck_assert_double_gt(c.sums[0][0], 0);
    ck_assert_double_eq(c.sums[1][0], (double)c.direct[1][0]);
    ck_assert_double_eq(c.sums[1][1], (double)c.direct[1][1]);
    ck_assert_double_eq(c.sums[2][0], (double)c.direct[2][0]);
    ck_assert_double_eq(c.sums[2][2], (double)c.direct[2][1]);
    /* a ratio's simulated figure: (x1 / n1) / (x2 / n2) */
    cs_calib_simulated sim;
    ck_assert(cs_target_simulated(&s->targets[2], c.sums[2], 3, &sim));
    ck_assert_double_eq_tol(sim.value,
                            (c.sums[2][0] / c.sums[2][1]) / (c.sums[2][2] / c.sums[2][3]), 1e-12);
    cs_scenario_free(s);
}
END_TEST

/* A cohort share within 1 year: with the investigation's duration
 * exponential of mean one year, a cohort track entering it at its
 * incident's arrival ends within the year with probability 1 - 1/e, so
 * the share sanctioned within 1 year is p_san (1 - 1/e) = 0.2 x 0.632; the
 * share with no time limit (the cohort's stage_entries and outcome_counts)
 * would be 0.2, 10 standard errors away. Tolerance: 4 binomial SE. */
typedef struct cohort_ctx {
    const cs_scenario *s;
    double sums[CS_TARGET_SUMS];
} cohort_ctx;

static void add_cohort(void *ctx, const cs_replicate_result *r)
{
    cohort_ctx *c = ctx;
    cs_target_accumulate(c->s, &c->s->targets[0], r, c->sums);
}

START_TEST(test_cohort_share)
{
    const char *from = "mean: 60", *to = "mean: 365.25";
    char *text = malloc(strlen(BASE) + 2048);
    ck_assert_ptr_nonnull(text);
    const char *at = strstr(BASE, from);
    ck_assert_ptr_nonnull(at);
    snprintf(text, strlen(BASE) + 2048,
             "%.*s%s%s"
             "uncertain:\n%s"
             "targets:\n"
             "  - name: sanctioned_within_a_year\n"
             "    cohort_share: {numerator: {outcome: sanctioned}, denominator: {stage: "
             "investigation}, within_years: 1}\n"
             "    observed: {x: 1, n: 10}\n"
             "    source: synthetic\n",
             (int)(at - BASE), BASE, to, at + strlen(from), P_INV);
    cs_scenario *s = cs_test_scenario(text);
    free(text);
    ck_assert_int_eq(s->targets[0].kind, CS_TARGET_COHORT_SHARE);
    ck_assert_uint_eq(s->targets[0].within_years, 1);
    cohort_ctx c = {.s = s};
    cs_test_run_variant(s, 0, 7, 20, false, add_cohort, &c);
    double p = 0.2 * (1.0 - exp(-1.0)), share = c.sums[0] / c.sums[1];
    double se = sqrt(p * (1 - p) / c.sums[1]);
    ck_assert_msg(fabs(share - p) < NSE * se, "share %g, exact %g, 4 SE %g", share, p, NSE * se);
    ck_assert(fabs(share - 0.2) > NSE * se);
    cs_scenario_free(s);
}
END_TEST

/* ------------------------------------------------------------ calibrations */

static cs_calibration *calibrate(const cs_scenario *s, const cs_calibrate_config *cfg)
{
    cs_calibration *c = NULL;
    static cs_error err;
    cs_error_clear(&err);
    int st = cs_calibrate_run(s, cfg, &c, &err);
    ck_assert_msg(st == CS_OK, "%s", err.text);
    return c;
}

/* The weighted mean and the p-quantile of input d. */
static double weighted_mean(const cs_calibration *c, size_t d)
{
    double m = 0.0;
    for (size_t i = 0; i < c->n_points; i++)
        m += c->weight[i] * c->values[i * c->dim + d];
    return m;
}

/* One p with a Beta(1, 1) prior and one cohort share of x = 30 of n = 100:
 * the posterior is Beta(31, 71) up to the simulation noise, which at
 * n_sim = scale x 1250 = 5000 cohort tracks per point adds a variance of
 * about p (1 - p) / n_sim = 4e-5 to the posterior's 2.1e-3 (a 1% wider
 * interval: its ends move by 0.01 sd, against a tolerance of about 0.25 sd
 * at ESS 1000). */
START_TEST(test_conjugate)
{
    cs_scenario *s = scenario(
        P_INV, "  - name: investigated\n"
               "    share: {numerator: {stage: investigation}, denominator: {stage: complaint}}\n"
               "    observed: {x: 30, n: 100}\n"
               "    source: synthetic\n");
    cs_calibrate_config cfg;
    cs_calibrate_config_default(&cfg, s);
    cfg.scale = 4;
    cfg.threads = 2;
    cfg.target_ess = 1000;
    cs_calibration *c = calibrate(s, &cfg);
    ck_assert_int_eq(c->status, CS_CALIB_CONVERGED);
    double a = 31, b = 71, sd = sqrt(a * b / ((a + b) * (a + b) * (a + b + 1)));
    double tol = NSE * RMSE_FACTOR * sd / sqrt(c->ess);
    double mean = weighted_mean(c, 0);
    ck_assert_msg(fabs(mean - a / (a + b)) < tol, "mean %g, exact %g, tol %g", mean, a / (a + b),
                  tol);
    /* the deliberately wrong answer (x = 35) is far outside the tolerance */
    ck_assert(fabs(mean - 36.0 / 102.0) > 3 * tol);
    const cs_calib_marginal *p = &c->inputs[0].posterior;
    double q[2] = {0.025, 0.975}, got[2] = {p->lower, p->upper};
    for (size_t k = 0; k < 2; k++) {
        double x = gsl_cdf_beta_Pinv(q[k], a, b);
        double se = sqrt(q[k] * (1 - q[k]) / c->ess) / gsl_ran_beta_pdf(x, a, b);
        ck_assert_msg(fabs(got[k] - x) < NSE * RMSE_FACTOR * se, "q%g: %g, exact %g, tol %g", q[k],
                      got[k], x, NSE * RMSE_FACTOR * se);
    }
    /* the fitted target's predictive check sees the observation as typical */
    ck_assert(c->predictive[0].pit > 0.1 && c->predictive[0].pit < 0.9);
    ck_assert_uint_eq(c->n_findings, 0);
    cs_calibration_free(c);
    cs_scenario_free(s);
}
END_TEST

/* A small run's every number. */
static void small_config(cs_calibrate_config *cfg, const cs_scenario *s, int threads)
{
    cs_calibrate_config_default(cfg, s);
    cfg->threads = threads;
    cfg->n_initial = 40;
    cfg->wave_size = 20;
    cfg->max_evaluations = 100;
    cfg->scale = 2;
}

static void assert_same_sample(const cs_calibration *a, const cs_calibration *b)
{
    ck_assert_uint_eq(a->n_points, b->n_points);
    size_t n = a->n_points, D = a->dim;
    ck_assert(!memcmp(a->z, b->z, n * D * sizeof *a->z));
    ck_assert(!memcmp(a->loglik, b->loglik, n * sizeof *a->loglik));
    ck_assert(!memcmp(a->weight, b->weight, n * sizeof *a->weight));
}

static const char *TWO_TARGETS =
    "  - name: investigated\n"
    "    share: {numerator: {stage: investigation}, denominator: {stage: complaint}}\n"
    "    observed: {x: 30, n: 100}\n"
    "    source: synthetic\n"
    "  - name: sanctions_2019\n"
    "    period: 2019\n"
    "    count: {outcome: sanctioned}\n"
    "    observed: %d\n"
    "    holdout: %s\n"
    "    source: synthetic\n";

static cs_scenario *two_targets(int observed, const char *holdout)
{
    char t[1024];
    snprintf(t, sizeof t, TWO_TARGETS, observed, holdout);
    char u[512];
    snprintf(u, sizeof u, "%s%s", P_INV, P_SAN);
    return scenario(u, t);
}

START_TEST(test_threads)
{
    cs_scenario *s = two_targets(200, "false");
    cs_calibrate_config cfg;
    small_config(&cfg, s, 1);
    cs_calibration *one = calibrate(s, &cfg);
    small_config(&cfg, s, 2);
    cs_calibration *two = calibrate(s, &cfg);
    assert_same_sample(one, two);
    ck_assert(!memcmp(one->sums, two->sums,
                      one->n_points * one->n_targets * CS_TARGET_SUMS * sizeof *one->sums));
    ck_assert_uint_gt(one->n_waves, 1);
    /* a different seed gives another sample: the comparison can fail */
    small_config(&cfg, s, 2);
    cfg.seed = 8;
    cs_calibration *other = calibrate(s, &cfg);
    ck_assert(memcmp(one->loglik, other->loglik, one->n_points * sizeof *one->loglik) != 0);
    cs_calibration_free(one);
    cs_calibration_free(two);
    cs_calibration_free(other);
    cs_scenario_free(s);
}
END_TEST

/* Common seeds: every point's figures are those of replicates 0 .. K - 1
 * of the seed at its values (cs_calibrate_synthetic, summed), so the
 * log-likelihood depends on the inputs only; without them, point i's are
 * those of replicates i K .. i K + K - 1. Both are checked exactly, at a
 * point of the Sobol wave and one of a later wave, so the test fails if
 * either mapping changes. */
static void assert_point_replicates(const cs_scenario *s, const cs_calibration *c, size_t i,
                                    uint64_t first)
{
    size_t T = s->n_targets;
    double *want = calloc(T * CS_TARGET_SUMS, sizeof *want);
    double *one = calloc(T * CS_TARGET_SUMS, sizeof *one);
    ck_assert(want && one);
    cs_error err;
    for (uint64_t k = 0; k < c->scale; k++) {
        ck_assert_int_eq(
            cs_calibrate_synthetic(s, c->values + i * c->dim, c->seed, first + k, one, &err),
            CS_OK);
        for (size_t j = 0; j < T * CS_TARGET_SUMS; j++)
            want[j] += one[j];
    }
    ck_assert(!memcmp(want, c->sums + i * T * CS_TARGET_SUMS, T * CS_TARGET_SUMS * sizeof *want));
    free(want);
    free(one);
}

START_TEST(test_common_seeds)
{
    cs_scenario *s = two_targets(200, "false");
    cs_calibrate_config cfg;
    small_config(&cfg, s, 2);
    cfg.common_seeds = true;
    cs_calibration *common = calibrate(s, &cfg);
    ck_assert(common->common_seeds);
    small_config(&cfg, s, 2);
    cs_calibration *own = calibrate(s, &cfg);
    ck_assert(!own->common_seeds);
    ck_assert_uint_gt(common->n_waves, 1);
    size_t points[] = {5, common->n_points - 1};
    for (size_t j = 0; j < 2; j++) {
        size_t i = points[j];
        assert_point_replicates(s, common, i, 0);
        assert_point_replicates(s, own, i, i * own->scale);
    }
    /* the same for any thread count */
    small_config(&cfg, s, 1);
    cfg.common_seeds = true;
    cs_calibration *one = calibrate(s, &cfg);
    assert_same_sample(common, one);
    cs_calibration_free(common);
    cs_calibration_free(own);
    cs_calibration_free(one);
    cs_scenario_free(s);
}
END_TEST

/* Changing a held-out target's observed value changes its own row only;
 * changing it while it is fitted changes the sample. */
START_TEST(test_holdout)
{
    cs_scenario *s1 = two_targets(200, "true"), *s2 = two_targets(900, "true");
    cs_calibrate_config cfg;
    small_config(&cfg, s1, 2);
    cs_calibration *a = calibrate(s1, &cfg), *b = calibrate(s2, &cfg);
    assert_same_sample(a, b);
    ck_assert(!memcmp(&a->predictive[0], &b->predictive[0], sizeof a->predictive[0]));
    for (size_t d = 0; d < a->dim; d++)
        ck_assert(!memcmp(&a->inputs[d], &b->inputs[d], sizeof a->inputs[d]));
    ck_assert_double_eq(a->predictive[1].observed, 200);
    ck_assert_double_eq(b->predictive[1].observed, 900);
    ck_assert_double_eq(a->predictive[1].mean, b->predictive[1].mean);
    ck_assert(a->predictive[1].z != b->predictive[1].z);
    cs_scenario *f1 = two_targets(200, "false"), *f2 = two_targets(900, "false");
    cs_calibration *c = calibrate(f1, &cfg), *d = calibrate(f2, &cfg);
    ck_assert(memcmp(c->loglik, d->loglik, c->n_points * sizeof *c->loglik) != 0);
    cs_calibration_free(a);
    cs_calibration_free(b);
    cs_calibration_free(c);
    cs_calibration_free(d);
    cs_scenario_free(s1);
    cs_scenario_free(s2);
    cs_scenario_free(f1);
    cs_scenario_free(f2);
}
END_TEST

/* The truth's PIT in input d's weighted posterior. */
static double truth_pit(const cs_calibration *c, size_t d, double truth)
{
    double pit = 0.0;
    for (size_t i = 0; i < c->n_points; i++)
        pit += c->values[i * c->dim + d] < truth ? c->weight[i] : 0.0;
    return pit;
}

/* Recovery: targets made by one replicate of the scenario at known inputs
 * (streams the calibration does not use) are calibrated, and each true
 * input must lie inside its posterior's 99.9% interval (PIT in (0.0005,
 * 0.9995); a right posterior fails this with probability 1e-3 per input,
 * 4e-3 over the two data sets and two inputs). A deliberately wrong figure
 * (the sanctions doubled) puts the true p_san outside: the check can fail. */
START_TEST(test_recovery)
{
    cs_scenario *s = two_targets(0, "false");
    const double truths[2][2] = {{0.35, 0.15}, {0.6, 0.3}};
    double sums[2 * CS_TARGET_SUMS];
    cs_error err;
    for (size_t j = 0; j < 3; j++) {
        const double *v = truths[j % 2];
        cs_error_clear(&err);
        ck_assert_msg(cs_calibrate_synthetic(s, v, 1234, j, sums, &err) == CS_OK, "%s", err.text);
        for (size_t t = 0; t < 2; t++)
            ck_assert(cs_target_observe(&s->targets[t], sums + t * CS_TARGET_SUMS));
        if (j == 2)
            s->targets[1].like.observed *= 2; /* the wrong figure */
        cs_calibrate_config cfg;
        cs_calibrate_config_default(&cfg, s);
        cfg.threads = 2;
        cfg.target_ess = 300;
        cfg.scale = 2;
        cs_calibration *c = calibrate(s, &cfg);
        for (size_t d = 0; d < 2; d++) {
            double pit = truth_pit(c, d, v[d]);
            bool inside = pit > 0.0005 && pit < 0.9995;
            ck_assert_msg(inside == (j < 2 || d == 0), "data set %zu input %zu: PIT %g", j, d, pit);
        }
        cs_calibration_free(c);
    }
    cs_scenario_free(s);
}
END_TEST

static bool has_unseparated(const cs_calibration *c)
{
    for (size_t i = 0; i < c->n_findings; i++)
        if (c->findings[i].kind == CS_CALIB_UNSEPARATED && c->findings[i].n_inputs == 2)
            return true;
    return false;
}

/* Only the share sanctioned of all complaints, p_inv x p_san, is observed:
 * the two are flagged as not separated. With the share investigated
 * observed as well, they are separated and the warning goes. */
START_TEST(test_product_only)
{
    char u[512];
    snprintf(u, sizeof u, "%s%s", P_INV, P_SAN);
    const char *product =
        "  - name: sanctioned\n"
        "    share: {numerator: {outcome: sanctioned}, denominator: {stage: complaint}}\n"
        "    observed: {x: 150, n: 1000}\n"
        "    source: synthetic\n";
    const char *both = "  - name: investigated\n"
                       "    share: {numerator: {stage: investigation}, denominator: {stage: "
                       "complaint}}\n"
                       "    observed: {x: 300, n: 1000}\n"
                       "    source: synthetic\n";
    cs_scenario *s = scenario(u, product);
    cs_calibrate_config cfg;
    cs_calibrate_config_default(&cfg, s);
    cfg.threads = 2;
    cfg.target_ess = 400;
    cfg.scale = 2;
    cs_calibration *c = calibrate(s, &cfg);
    ck_assert_msg(has_unseparated(c), "no warning: %zu findings", c->n_findings);
    ck_assert_ptr_nonnull(strstr(c->findings[0].text, "p_inv"));
    cs_calibration_free(c);
    cs_scenario_free(s);
    char t[1024];
    snprintf(t, sizeof t, "%s%s", product, both);
    s = scenario(u, t);
    c = calibrate(s, &cfg);
    ck_assert(!has_unseparated(c));
    cs_calibration_free(c);
    cs_scenario_free(s);
}
END_TEST

/* ------------------------------------------------------------- point fit */

static void optimize_config(cs_calibrate_config *cfg, const cs_scenario *s, uint64_t scale,
                            int threads)
{
    cs_calibrate_config_default(cfg, s);
    cfg->method = CS_CALIBRATE_OPTIMIZE;
    cfg->scale = scale;
    cfg->threads = threads;
    cfg->n_initial = 32;
}

/* The conjugate case as a point fit: with a Beta(1, 1) prior the posterior
 * mode is the maximum-likelihood share x / n = 0.3. Under common random
 * numbers the fit finds the p whose simulated share on the fit's seeds is
 * the observed one, so it is off by the simulation's error in that share,
 * sd sqrt(p (1 - p) / n_sim) with n_sim the simulated denominator (about
 * 16 x 1250 = 20,000 cohort complaints here: sd 0.0032); tolerance 4 SE
 * (false alarm 6e-5). The wrong answer 0.35 (x = 35) is 15 SE away. */
START_TEST(test_optimize_conjugate)
{
    cs_scenario *s = scenario(
        P_INV, "  - name: investigated\n"
               "    share: {numerator: {stage: investigation}, denominator: {stage: complaint}}\n"
               "    observed: {x: 30, n: 100}\n"
               "    source: synthetic\n");
    cs_calibrate_config cfg;
    optimize_config(&cfg, s, 16, 2);
    cs_calibration *c = calibrate(s, &cfg);
    ck_assert_int_eq(c->status, CS_CALIB_CONVERGED);
    ck_assert_int_eq(c->method, CS_CALIBRATE_OPTIMIZE);
    /* the last point is the optimum on fresh seeds, with all the weight */
    size_t last = c->n_points - 1;
    ck_assert_double_eq(c->weight[last], 1.0);
    double p = c->values[last], n_sim = c->sums[last * CS_TARGET_SUMS + 1];
    double se = sqrt(0.3 * 0.7 / n_sim);
    ck_assert_double_gt(n_sim, 15000);
    ck_assert_msg(fabs(p - 0.3) < NSE * se, "optimum %g, exact 0.3, tol %g", p, NSE * se);
    ck_assert(fabs(p - 0.35) > 3 * NSE * se);
    ck_assert_double_eq(c->inputs[0].posterior.median, p);
    /* fresh seeds: another simulation, with a finite likelihood */
    ck_assert(c->loglik_fresh_seeds != c->loglik_fit_seeds);
    ck_assert(isfinite(c->loglik_fresh_seeds));
    ck_assert_double_eq(c->loglik[last], c->loglik_fresh_seeds);
    /* the prediction there: the observed share is typical */
    ck_assert(c->predictive[0].pit > 0.1 && c->predictive[0].pit < 0.9);
    ck_assert(c->predictive[0].lower < 0.3 && c->predictive[0].upper > 0.3);
    cs_calibration_free(c);
    cs_scenario_free(s);
}
END_TEST

/* The point fit is bit-identical on 1 and 2 threads (common random numbers
 * are replicates 0 .. K - 1 whatever the thread count), stops short with a
 * message at its evaluation limit, and changes with the seed. */
START_TEST(test_optimize_threads)
{
    cs_scenario *s = two_targets(200, "false");
    cs_calibrate_config cfg;
    optimize_config(&cfg, s, 2, 1);
    cfg.max_evaluations = 50;
    cs_calibration *one = calibrate(s, &cfg);
    cfg.threads = 2;
    cs_calibration *two = calibrate(s, &cfg);
    assert_same_sample(one, two);
    ck_assert(!memcmp(one->sums, two->sums,
                      one->n_points * one->n_targets * CS_TARGET_SUMS * sizeof *one->sums));
    ck_assert_str_eq(one->message, two->message);
    ck_assert_uint_eq(one->n_points, 50);
    ck_assert_int_eq(one->status, CS_CALIB_MAX_EVALUATIONS);
    ck_assert_ptr_nonnull(strstr(one->message, "STOPPED SHORT"));
    cfg.seed = 8;
    cs_calibration *other = calibrate(s, &cfg);
    ck_assert(memcmp(one->loglik, other->loglik, one->n_points * sizeof *one->loglik) != 0);
    cs_calibration_free(one);
    cs_calibration_free(two);
    cs_calibration_free(other);
    cs_scenario_free(s);
}
END_TEST

static Suite *calibrate_suite(void)
{
    Suite *s = suite_create("calibrate");
    TCase *tc = tcase_create("targets");
    tcase_add_test(tc, test_targets_loaded);
    tcase_add_test(tc, test_target_sums);
    tcase_add_test(tc, test_cohort_share);
    suite_add_tcase(s, tc);
    tc = tcase_create("runs");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_conjugate);
    tcase_add_test(tc, test_threads);
    tcase_add_test(tc, test_common_seeds);
    tcase_add_test(tc, test_holdout);
    tcase_add_test(tc, test_product_only);
    tcase_add_test(tc, test_recovery);
    tcase_add_test(tc, test_optimize_conjugate);
    tcase_add_test(tc, test_optimize_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(calibrate_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
