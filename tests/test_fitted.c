/* test_fitted.c — the fitted scenario of `casesim calibrate
 * --write-scenario` and the predictive check:
 *  - round trip, over every kind of path `uncertain:` takes (a branch's p,
 *    per group and per kind, durations, rates, odds ratios, an evidence
 *    slope, an intervention's set, scale and annual_cost, a deadline, a
 *    schedule's value, a feedback elasticity and reference value, a
 *    Dirichlet over shares): the written text loads, its values are the
 *    fit's, and every variant of it run at its own values equals, bit for
 *    bit, the original instantiated at those values;
 *  - the conjugate case (one p with a Beta(1, 1) prior, x = 30 of n = 100):
 *    the fitted file's prior is a beta whose mean and 2.5% and 97.5%
 *    quantiles are those of Beta(31, 71) within Monte Carlo error, and a
 *    predictive check of the fitted file puts the target inside its 95%
 *    interval (and puts x = 60 outside it: the check can fail);
 *  - a posterior with strong correlations writes a positive-definite
 *    matrix, also when the rounded correlations alone would not be.
 *
 * Tolerances (conjugate case): the fitted beta's mean is the weighted
 * posterior mean, with Monte Carlo standard error sd / sqrt(ESS); its
 * quantiles are about mean +- 1.96 sd, and the sd from weighted moments has
 * standard error about sd / sqrt(2 ESS), so a quantile's is about
 * sqrt(1 + 1.96^2 / 2) sd / sqrt(ESS) = 1.72 sd / sqrt(ESS); the importance
 * sampler's errors were at most 1.2 times the nominal ones
 * (test_calibrate.c), and each check allows 4 of those standard errors
 * (two-sided false alarm 6e-5 under normality); the moment fit of a beta
 * posterior is exact, so it adds no bias. Seeds are fixed. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "casesim/calibrate.h"
#include "sim_support.h"

#define NSE 4.0
#define RMSE_FACTOR 1.2

/* The text of file rel under $SRCDIR, with extra appended. */
static char *source_with(const char *rel, const char *extra)
{
    const char *dir = getenv("SRCDIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : ".", rel);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *t = malloc((size_t)n + strlen(extra) + 2);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(fread(t, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    t[n] = '\n';
    strcpy(t + n + 1, extra);
    return t;
}

/* The fitted text of s under fit, as written. Caller frees. */
static char *fitted_text(const cs_scenario *s, const cs_calibrate_fit *fit)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(o);
    cs_fitted_scenario fs = {.values = fit->values,
                             .entries = fit->entries,
                             .correlations = fit->correlations,
                             .n_correlations = fit->n_correlations,
                             .header = "written by a test\n\nsecond paragraph"};
    cs_error err;
    cs_error_clear(&err);
    int st = cs_scenario_write_fitted(s, &fs, o, "memory", &err);
    ck_assert_msg(st == CS_OK, "%s", err.text);
    fclose(o);
    return buf;
}

/* A weighted sample standing for a posterior: n prior draws of s with
 * weights weigh(values) (normalised). Free with cs_calibration_free. */
static cs_calibration *fake_posterior(const cs_scenario *s, size_t n,
                                      double (*weigh)(const double *v))
{
    size_t D = s->n_uncertain_values;
    cs_calibration *c = calloc(1, sizeof *c);
    ck_assert_ptr_nonnull(c);
    c->dim = D;
    c->n_points = n;
    c->values = calloc(n * D, sizeof *c->values);
    c->weight = calloc(n, sizeof *c->weight);
    cs_unc_work *w = cs_unc_work_alloc(s->uncertain_set);
    ck_assert(c->values && c->weight && w);
    cs_error err;
    cs_error_clear(&err);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(cs_unc_draw(s->uncertain_set, w, 11, i, c->values + i * D, &err), CS_OK);
        c->weight[i] = weigh ? weigh(c->values + i * D) : 1.0;
        sum += c->weight[i];
    }
    for (size_t i = 0; i < n; i++)
        c->weight[i] /= sum;
    cs_unc_work_free(w);
    return c;
}

static cs_calibrate_fit *fit_of(const cs_scenario *s, cs_calibration *c)
{
    cs_error err;
    cs_error_clear(&err);
    cs_calibrate_fit *fit = NULL;
    int st = cs_calibrate_fit_posterior(s, c, &fit, &err);
    ck_assert_msg(st == CS_OK, "%s", err.text);
    return fit;
}

/* ------------------------------------------------------------ round trip */

/* Every replicate's measures and case records, kept to compare. */
typedef struct runs {
    size_t n, cap;
    double *measures;
    size_t n_measures;
    cs_case_record *cases;
    size_t n_cases, cap_cases;
} runs;

static void keep(void *ctx, const cs_replicate_result *r)
{
    runs *k = ctx;
    size_t m = (r->dims.n_groups + 1) * r->dims.n_measures;
    k->measures = realloc(k->measures, (k->n_measures + m) * sizeof *k->measures);
    ck_assert_ptr_nonnull(k->measures);
    memcpy(k->measures + k->n_measures, r->measures, m * sizeof *k->measures);
    k->n_measures += m;
    k->cases = realloc(k->cases, (k->n_cases + r->n_cases + 1) * sizeof *k->cases);
    ck_assert_ptr_nonnull(k->cases);
    memcpy(k->cases + k->n_cases, r->cases, r->n_cases * sizeof *k->cases);
    k->n_cases += r->n_cases;
}

/* Whether two case records are the same, field by field, bit for bit. */
static bool same_case(const cs_case_record *a, const cs_case_record *b)
{
    bool same = true;
#define SAME_FIELD_(member, ...) same = same && !memcmp(&a->member, &b->member, sizeof a->member);
    CS_CASE_RECORD_FIELDS(SAME_FIELD_)
#undef SAME_FIELD_
    return same;
}

/* Whether every variant of a and b runs the same for n replicates. */
static bool same_runs(const cs_scenario *a, const cs_scenario *b, uint64_t n)
{
    ck_assert_uint_eq(a->n_variants, b->n_variants);
    size_t nv = a->n_variants ? a->n_variants : 1;
    bool same = true;
    for (size_t v = 0; v < nv; v++) {
        runs ra = {0}, rb = {0};
        cs_test_run_variant(a, v, a->seed, n, true, keep, &ra);
        cs_test_run_variant(b, v, b->seed, n, true, keep, &rb);
        ck_assert(ra.n_cases > 0);
        same = same && ra.n_measures == rb.n_measures && ra.n_cases == rb.n_cases &&
               !memcmp(ra.measures, rb.measures, ra.n_measures * sizeof *ra.measures);
        for (size_t i = 0; same && i < ra.n_cases; i++)
            same = same_case(&ra.cases[i], &rb.cases[i]);
        free(ra.measures);
        free(rb.measures);
        free(ra.cases);
        free(rb.cases);
    }
    return same;
}

/* Writes the fit of a fake posterior of file rel with unc appended, loads
 * it back, checks its values and that it runs as the original
 * instantiated at them. */
static void round_trip(const char *rel, const char *unc, uint64_t replicates)
{
    char *text = source_with(rel, unc);
    cs_scenario *s = cs_test_scenario(text);
    cs_calibration *c = fake_posterior(s, 400, NULL);
    cs_calibrate_fit *fit = fit_of(s, c);
    char *out = fitted_text(s, fit);
    cs_scenario *back = cs_test_scenario(out);
    ck_assert_uint_eq(back->n_uncertain_values, s->n_uncertain_values);
    ck_assert_str_eq(back->description ? back->description : "",
                     s->description ? s->description : "");
    ck_assert_uint_eq(back->n_targets, s->n_targets);
    double *v = calloc(s->n_uncertain_values, sizeof *v);
    cs_scenario_uncertain_values(back, v);
    for (size_t d = 0; d < s->n_uncertain_values; d++)
        ck_assert_msg(v[d] == fit->values[d], "value %zu: %.17g written, %.17g read", d,
                      fit->values[d], v[d]);
    cs_error err;
    cs_error_clear(&err);
    cs_scenario *inst = NULL;
    ck_assert_msg(cs_scenario_instantiate(s, v, &inst, &err) == CS_OK, "%s", err.text);
    ck_assert_msg(same_runs(back, inst, replicates),
                  "the fitted file at its values runs otherwise than the original at them");
    /* the comparison can fail: the original at its own values differs */
    ck_assert(!same_runs(back, s, 4));
    cs_scenario_free(inst);
    free(v);
    free(out);
    cs_calibrate_fit_free(fit);
    cs_calibration_free(c);
    cs_scenario_free(back);
    cs_scenario_free(s);
    free(text);
}

static const char *UNC_DYNAMICS =
    "uncertain:\n"
    "  - path: stages.report.branches[0].p.reference\n"
    "    name: reporting\n"
    "    beta: {mean: 0.45, sd: 0.08}\n"
    "  - path: stages.trial.branches[0].p\n"
    "    beta: {mean: 0.35, sd: 0.08}\n"
    "    source: \"a \\\"quoted\\\" source: with a colon, and yes\"\n"
    "  - path: stages.investigation.duration.lognormal.median\n"
    "    gamma: {mean: 150, sd: 30}\n"
    "    truncate: [50, 400]\n"
    "  - path: stages.investigation.branches[0].unfounded_odds_ratio\n"
    "    lognormal: {median: 0.3, p95: 0.6}\n"
    "  - path: stages.investigation.branches[0].kind_odds_ratio.death\n"
    "    lognormal: {median: 2, p95: 4}\n"
    "  - path: stages.investigation.branches[0].evidence_slope\n"
    "    normal: {mean: 3, sd: 0.5}\n"
    "    truncate: [0, 6]\n"
    "  - path: interventions.independent_investigations.changes[0].set\n"
    "    uniform: {min: 0.2, max: 0.3}\n"
    "  - path: interventions.independent_investigations.changes[1].scale\n"
    "    uniform: {min: 1.2, max: 1.8}\n"
    "  - path: interventions.victim_support.annual_cost\n"
    "    gamma: {mean: 1.5e6, sd: 3.0e5}\n"
    "  - path: stages.disciplinary_hearing.deadline.days\n"
    "    uniform: {min: 120, max: 240}\n"
    "  - path: groups.reference.incidents_per_year\n"
    "    gamma: {mean: 4000, sd: 400}\n"
    "  - path: schedules[0].values.2026\n"
    "    gamma: {mean: 1800, sd: 200}\n"
    "  - path: feedback.trust.effect.elasticity\n"
    "    normal: {mean: 0.5, sd: 0.2}\n"
    "    truncate: [-1, 2]\n"
    "  - path: feedback.deterrence.reference_value\n"
    "    beta: {mean: 0.033, sd: 0.01}\n"
    "  - path: violations.death.well_founded\n"
    "    triangular: {min: 0.5, mode: 0.7, max: 0.9}\n"
    "  - paths: [violations.death.share.reference, violations.serious_injury.share.reference,\n"
    "            violations.excessive_force.share.reference,\n"
    "            violations.racial_profiling.share.reference]\n"
    "    dirichlet: {counts: [1, 9, 60, 30]}\n"
    "correlations:\n"
    "  - {between: [0, 1], rho: 0.3}\n";

START_TEST(test_round_trip_dynamics)
{
    round_trip("scenarios/illustrative_dynamics.yaml", UNC_DYNAMICS, 1);
}
END_TEST

static const char *UNC_KINDS =
    "uncertain:\n"
    "  - path: stages.local_investigation.branches[0].p.death\n"
    "    beta: {mean: 0.15, sd: 0.04}\n"
    "  - path: stages.independent_investigation.branches[0].p.complaint\n"
    "    beta: {mean: 0.05, sd: 0.02}\n"
    "  - path: stages.independent_investigation.branches[1].unfounded_odds_ratio\n"
    "    gamma: {mean: 0.4, sd: 0.1}\n";

START_TEST(test_round_trip_worked_example)
{
    round_trip("scenarios/worked_example.yaml", "", 1);
}
END_TEST

START_TEST(test_round_trip_kinds)
{
    round_trip("scenarios/kinds_example.yaml", UNC_KINDS, 1);
}
END_TEST

/* ------------------------------------------------------------- conjugate */

/* One group, one kind; `complaint` sends p_inv of its cases to
 * `investigation`, which sanctions p_san of them (test_calibrate.c). */
static const char *BASE =
    "casesim: 1\n"
    "name: fitted-test\n"
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

static const char *CONJUGATE = "uncertain:\n"
                               "  - path: stages.complaint.branches[0].p\n"
                               "    name: p_inv\n"
                               "    beta: {alpha: 1, beta: 1}\n"
                               "targets:\n"
                               "  - name: investigated\n"
                               "    share: {numerator: {stage: investigation}, denominator: "
                               "{stage: complaint}}\n"
                               "    observed: {x: 30, n: 100}\n"
                               "    source: synthetic\n";

static char *concat(const char *a, const char *b)
{
    char *t = malloc(strlen(a) + strlen(b) + 1);
    ck_assert_ptr_nonnull(t);
    strcpy(t, a);
    strcat(t, b);
    return t;
}

/* A calibration (or predictive check) of s with the settings of the
 * conjugate test in test_calibrate.c. */
static cs_calibration *calibrate(const cs_scenario *s, bool predictive)
{
    cs_calibrate_config cfg;
    cs_calibrate_config_default(&cfg, s);
    cfg.scale = 4;
    cfg.threads = 2;
    cfg.target_ess = 1000;
    cfg.predictive = predictive;
    cs_error err;
    cs_error_clear(&err);
    cs_calibration *c = NULL;
    int st = cs_calibrate_run(s, &cfg, &c, &err);
    ck_assert_msg(st == CS_OK, "%s", err.text);
    return c;
}

/* The predictive check of the fitted text with x of 100 observed: whether
 * the target is inside its 95% interval. */
static bool inside_predictive(const char *fitted, int x)
{
    char *t = strdup(fitted), *at = strstr(t, "x: 30");
    ck_assert_ptr_nonnull(at);
    char num[3];
    snprintf(num, sizeof num, "%02d", x);
    memcpy(at + 3, num, 2);
    cs_scenario *s = cs_test_scenario(t);
    cs_calibration *c = calibrate(s, true);
    ck_assert(c->predictive_check);
    ck_assert_uint_eq(c->n_points, 500); /* the Sobol wave only: max(500, 100 D) */
    const cs_calib_predictive *p = &c->predictive[0];
    bool in = p->lower <= p->observed && p->observed <= p->upper;
    cs_calibration_free(c);
    cs_scenario_free(s);
    free(t);
    return in;
}

START_TEST(test_conjugate_fitted)
{
    char *text = concat(BASE, CONJUGATE);
    cs_scenario *s = cs_test_scenario(text);
    cs_calibration *c = calibrate(s, false);
    cs_calibrate_fit *fit = fit_of(s, c);
    char *out = fitted_text(s, fit);
    cs_scenario *back = cs_test_scenario(out);
    const cs_unc_dist *d = cs_unc_set_dist(back->uncertain_set, 0);
    ck_assert_int_eq(d->family, CS_UNC_BETA);
    double a = 31, b = 71, sd = sqrt(a * b / ((a + b) * (a + b) * (a + b + 1)));
    double tol_mean = NSE * RMSE_FACTOR * sd / sqrt(c->ess);
    double tol_q = NSE * RMSE_FACTOR * sqrt(1 + 1.96 * 1.96 / 2) * sd / sqrt(c->ess);
    ck_assert_msg(fabs(d->mean - a / (a + b)) < tol_mean, "mean %g, exact %g, tol %g", d->mean,
                  a / (a + b), tol_mean);
    /* the deliberately wrong answer (x = 35) is far outside the tolerance */
    ck_assert(fabs(d->mean - 36.0 / 102.0) > 3 * tol_mean);
    double q[2] = {0.025, 0.975};
    for (size_t k = 0; k < 2; k++) {
        double got = cs_unc_dist_quantile(d, q[k]), want = gsl_cdf_beta_Pinv(q[k], a, b);
        ck_assert_msg(fabs(got - want) < tol_q, "q%g: %g, exact %g, tol %g", q[k], got, want,
                      tol_q);
        ck_assert(fabs(got - gsl_cdf_beta_Pinv(q[k], 36, 66)) > 2 * tol_q);
    }
    /* the value used without uncertainty is the posterior median */
    double v;
    cs_scenario_uncertain_values(back, &v);
    ck_assert(fabs(v - gsl_cdf_beta_Pinv(0.5, a, b)) < tol_q);
    ck_assert_msg(inside_predictive(out, 30), "the fitted target is outside its interval");
    ck_assert_msg(!inside_predictive(out, 60), "a far-off observation is inside the interval");
    free(out);
    cs_calibrate_fit_free(fit);
    cs_calibration_free(c);
    cs_scenario_free(back);
    cs_scenario_free(s);
    free(text);
}
END_TEST

/* ---------------------------------------------------------- correlations */

static const char *THREE_P = "uncertain:\n"
                             "  - path: stages.complaint.branches[0].p\n"
                             "    beta: {alpha: 1, beta: 1}\n"
                             "  - path: stages.investigation.branches[0].p\n"
                             "    beta: {alpha: 1, beta: 1}\n"
                             "  - path: violations.force.well_founded\n"
                             "    beta: {alpha: 1, beta: 1}\n";

/* Only the product of the first two is observed (0.1, sd 0.005). */
static double weigh_product(const double *v)
{
    double r = (v[0] * v[1] - 0.1) / 0.005;
    return exp(-0.5 * r * r);
}

/* The three are nearly equal. */
static double weigh_equal(const double *v)
{
    double r = (v[0] - v[1]) / 0.01, q = (v[1] - v[2]) / 0.01;
    return exp(-0.5 * (r * r + q * q));
}

/* The smallest squared Cholesky pivot of the correlation matrix written for
 * back's three entries; 0 if it is not positive definite. */
static double min_pivot(const cs_scenario *back)
{
    double m[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    for (size_t k = 0; k < back->n_correlations; k++) {
        const cs_correlation *r = &back->correlations[k];
        m[r->a * 3 + r->b] = m[r->b * 3 + r->a] = r->rho;
    }
    gsl_matrix_view a = gsl_matrix_view_array(m, 3, 3);
    if (gsl_linalg_cholesky_decomp1(&a.matrix) != GSL_SUCCESS)
        return 0;
    double p = 1;
    for (size_t i = 0; i < 3; i++)
        p = fmin(p, m[i * 3 + i] * m[i * 3 + i]);
    return p;
}

START_TEST(test_correlated)
{
    char *text = concat(BASE, THREE_P);
    cs_scenario *s = cs_test_scenario(text);
    double (*weigh[2])(const double *) = {weigh_product, weigh_equal};
    for (size_t k = 0; k < 2; k++) {
        cs_calibration *c = fake_posterior(s, 20000, weigh[k]);
        cs_calibrate_fit *fit = fit_of(s, c);
        char *out = fitted_text(s, fit);
        cs_scenario *back = cs_test_scenario(out); /* the loader refuses a matrix not PD */
        ck_assert_uint_eq(back->n_correlations, fit->n_correlations);
        ck_assert(min_pivot(back) >= 0.01);
        if (k == 0) { /* only the product: a strong negative correlation, nothing shrunk */
            ck_assert(fit->n_correlations >= 1 && fit->correlations[0].a == 0 &&
                      fit->correlations[0].b == 1 && fit->correlations[0].rho < -0.5);
            ck_assert_double_eq(fit->shrink, 1.0);
        } else { /* nearly collinear: as estimated, the matrix has no room; shrunk */
            ck_assert_uint_eq(fit->n_correlations, 3);
            ck_assert(fit->shrink < 1.0);
            ck_assert(fit->correlations[0].rho > 0.9);
        }
        free(out);
        cs_calibrate_fit_free(fit);
        cs_calibration_free(c);
        cs_scenario_free(back);
    }
    cs_scenario_free(s);
    free(text);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("fitted");
    TCase *tc = tcase_create("fitted");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_correlated);
    tcase_add_test(tc, test_round_trip_dynamics);
    tcase_add_test(tc, test_round_trip_kinds);
    tcase_add_test(tc, test_round_trip_worked_example);
    tcase_add_test(tc, test_conjugate_fitted);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
