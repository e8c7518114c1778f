/*
 * test_study.c — a sensitivity study of the simulator itself
 * (casesim/study.h): the estimators are tested on analytic functions in
 * test_sensitivity_*.c; here the whole chain (factors, design, points,
 * the driver over points, outputs, analysis) meets a closed form.
 *
 * The closed form. A capacity-free scenario of one group where every
 * incident is well-founded and its case passes three branches in turn:
 * reported (p1), substantiated (p2), sanctioned (p3), each probability an
 * independent uncertain input. Accountability at a point is then a binomial
 * share with mean Y = p1 p2 p3, and impunity 1 - Y has the same indices. For
 * a product of independent factors with means m_i and second moments
 * s_i = Var(p_i) + m_i^2:
 *   V    = prod s_i - prod m_i^2                     (the variance of Y)
 *   V_i  = Var(E[Y | p_i]) = Var(p_i) prod_{j != i} m_j^2   (S1_i = V_i / V)
 *   VT_i = E[Var(Y | p_-i)] = Var(p_i) prod_{j != i} s_j    (ST_i = VT_i / V)
 * The simulation adds binomial noise: given the point, the share of n
 * well-founded incidents (n Poisson with mean lambda, the incidents of the
 * cohort year) has variance Y (1 - Y) / n, so the mean noise variance is
 *   sigma^2 = E[Y (1 - Y)] E[1 / n] = (prod m_i - prod s_i) E[1 / n],
 * E[1 / n] = (1 + 1/lambda + 2/lambda^2 + ...) / lambda for large lambda.
 *
 * OpenMP regions run only inside test bodies (Check forks each test).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "casesim/study.h"
#include "sim_support.h"

#define LAMBDA 2000.0 /* incidents in the cohort year */

static const char *PRODUCT = "casesim: 1\n"
                             "name: product\n"
                             "time: {warmup_years: 0, cohort_years: 1, follow_up_years: 0.1}\n"
                             "run: {replicates: 4, seed: 5}\n"
                             "groups:\n"
                             "  - {name: reference, incidents_per_year: 2000}\n"
                             "violations:\n"
                             "  - {name: force, share: 1, well_founded: 1}\n"
                             "stages:\n"
                             "  - name: report\n"
                             "    entry: true\n"
                             "    branches:\n"
                             "      - {to: investigation, p: 0.5}\n"
                             "      - {to: never_reported}\n"
                             "  - name: investigation\n"
                             "    branches:\n"
                             "      - {to: hearing, p: 0.4}\n"
                             "      - {to: unsubstantiated}\n"
                             "  - name: hearing\n"
                             "    branches:\n"
                             "      - {to: sanctioned, p: 0.5}\n"
                             "      - {to: no_sanction}\n"
                             "outcomes:\n"
                             "  never_reported: {}\n"
                             "  unsubstantiated: {}\n"
                             "  no_sanction: {}\n"
                             "  sanctioned: {accountability: disciplinary}\n"
                             "uncertain:\n"
                             "  - path: stages.report.branches[0].p\n"
                             "    name: reporting\n"
                             "    uniform: {min: 0.3, max: 0.7}\n"
                             "  - path: stages.investigation.branches[0].p\n"
                             "    name: substantiation\n"
                             "    uniform: {min: 0.2, max: 0.6}\n"
                             "  - path: stages.hearing.branches[0].p\n"
                             "    name: sanction\n"
                             "    beta: {mean: 0.5, sd: 0.1}\n";

/* An intervention, appended to PRODUCT where variants are wanted. */
static const char *OUTREACH = "interventions:\n"
                              "  - name: outreach\n"
                              "    annual_cost: 10\n"
                              "    changes:\n"
                              "      - path: stages.report.branches[0].p\n"
                              "        set: 0.8\n";

/* The inputs' means and variances, from their distributions. */
static const double MEAN[3] = {0.5, 0.4, 0.5};
static const double VAR[3] = {0.16 / 12, 0.16 / 12, 0.01};

/* The runs' measures, per variant: [variant][replicate][group row][measure]. */
typedef struct collected {
    size_t row; /* doubles per replicate */
    size_t n_variants, n_points;
    double **m;
} collected;

static int collect(void *ctx, const cs_replicate_result *r, cs_error *err)
{
    (void)err;
    collected *c = ctx;
    memcpy(c->m[r->variant] + r->replicate * c->row, r->measures, c->row * sizeof(double));
    return CS_OK;
}

static void collected_free(collected *c)
{
    for (size_t v = 0; v < c->n_variants; v++)
        free(c->m[v]);
    free(c->m);
}

/* Runs every point of st on `threads` threads; fills c. */
static void run_study(const cs_scenario *s, const cs_study *st, int threads, collected *c)
{
    cs_result_dims d;
    cs_result_dims_of(s, &d);
    c->row = d.n_group_rows * d.n_measures;
    c->n_variants = s->n_variants;
    c->n_points = st->n_points;
    c->m = calloc(s->n_variants, sizeof *c->m);
    ck_assert_ptr_nonnull(c->m);
    for (size_t v = 0; v < s->n_variants; v++)
        ck_assert_ptr_nonnull(c->m[v] = calloc(st->n_points * c->row, sizeof(double)));
    cs_table_source table = {st->values, st->n_points, st->n_values, 1};
    cs_point_source src;
    cs_point_source_table(&src, &table);
    cs_run_config cfg = {.seed = st->seed,
                         .n_replicates = st->n_points,
                         .threads = threads,
                         .sink = collect,
                         .sink_ctx = c,
                         .points = &src};
    cs_error err;
    cs_error_clear(&err);
    ck_assert_msg(cs_sim_run(s, &cfg, &err) == CS_OK, "%s", err.text);
}

/* The study of PRODUCT with N rows and M noise points, its outputs (the
 * defaults) and their analysis. */
typedef struct product_run {
    cs_scenario *s;
    cs_study *st;
    collected c;
    cs_study_outputs o;
    double *y;
    cs_study_result *r;
} product_run;

static void product_names(const cs_scenario *s, char **mbuf, const char **g, const char **v,
                          cs_study_names *nm)
{
    size_t M = CS_M_FIXED_COUNT + s->n_categories;
    for (size_t m = 0; m < M; m++) {
        char buf[128];
        mbuf[m] = strdup(cs_measure_name(s, m, buf, sizeof buf));
    }
    for (size_t i = 0; i < s->n_groups; i++)
        g[i] = s->groups[i].name;
    for (size_t i = 0; i < s->n_variants; i++)
        v[i] = s->variants[i].name;
    *nm = (cs_study_names){M, (const char *const *)mbuf, s->n_groups, g, s->n_variants, v};
}

static void product_study(product_run *p, bool variants, size_t n, size_t m, int threads)
{
    memset(p, 0, sizeof *p);
    char yaml[4096];
    snprintf(yaml, sizeof yaml, "%s%s", PRODUCT, variants ? OUTREACH : "");
    p->s = cs_test_scenario(yaml);
    cs_study_options opt = {
        .method = CS_STUDY_SOBOL, .samples = n, .noise_points = m, .seed = p->s->seed};
    cs_error err;
    cs_error_clear(&err);
    ck_assert_msg(cs_study_alloc(p->s, &opt, &p->st, &err) == CS_OK, "%s", err.text);
    run_study(p->s, p->st, threads, &p->c);
    char *mbuf[64];
    const char *g[4], *v[4];
    cs_study_names nm;
    product_names(p->s, mbuf, g, v, &nm);
    ck_assert_int_eq(
        cs_study_outputs_make(&nm, "accountability_rate", "reference", NULL, 0, &p->o, &err),
        CS_OK);
    for (size_t i = 0; i < nm.n_measures; i++)
        free(mbuf[i]);
    p->y = calloc(p->st->n_points * p->o.n, sizeof *p->y);
    ck_assert_ptr_nonnull(p->y);
    cs_study_outputs_eval(&p->o, (const double *const *)p->c.m, p->st->n_points, p->s->n_groups + 1,
                          nm.n_measures, p->y);
    ck_assert_msg(cs_study_analyse(p->st, p->y, p->o.n, NULL, &p->r, &err) == CS_OK, "%s",
                  err.text);
}

static void product_free(product_run *p)
{
    cs_study_result_free(p->r);
    free(p->y);
    cs_study_outputs_free(&p->o);
    collected_free(&p->c);
    cs_study_free(p->st);
    cs_scenario_free(p->s);
}

/* S1 and ST of the product of the three probabilities, and the noise
 * variance, each within 4 bootstrap SE of its closed form (false alarm
 * 6e-5 each for a normal estimate; the row bootstrap overstates the error
 * of a Sobol sample, so the real rate is lower). The noise-corrected
 * indices are compared: they estimate V_i / V and VT_i / V of the
 * noiseless model, which is what the closed form gives. */
START_TEST(test_product_closed_form)
{
    gsl_set_error_handler_off();
    product_run p;
    product_study(&p, false, 2048, 128, 2);
    ck_assert_uint_eq(p.o.n, 1);
    ck_assert_str_eq(p.o.o[0].name, "accountability_rate, reference, baseline");
    double prod_m = 1, prod_m2 = 1, prod_s = 1;
    for (int i = 0; i < 3; i++) {
        prod_m *= MEAN[i];
        prod_m2 *= MEAN[i] * MEAN[i];
        prod_s *= VAR[i] + MEAN[i] * MEAN[i];
    }
    double V = prod_s - prod_m2;
    for (size_t i = 0; i < 3; i++) {
        double s_other = prod_s / (VAR[i] + MEAN[i] * MEAN[i]);
        double m_other = prod_m2 / (MEAN[i] * MEAN[i]);
        double s1 = VAR[i] * m_other / V, st = VAR[i] * s_other / V;
        const cs_sens_sobol_index *x = &p.r->sobol->index[0 * 3 + i];
        ck_assert_msg(fabs(x->s1_noiseless.value - s1) < 4 * x->s1_noiseless.se,
                      "S1 of %s: %g (se %g), exact %g", p.st->factor_names[i],
                      x->s1_noiseless.value, x->s1_noiseless.se, s1);
        ck_assert_msg(fabs(x->st_noiseless.value - st) < 4 * x->st_noiseless.se,
                      "ST of %s: %g (se %g), exact %g", p.st->factor_names[i],
                      x->st_noiseless.value, x->st_noiseless.se, st);
    }
    /* The noise: E[Y (1 - Y)] E[1/n], E[1/n] to O(lambda^-3). */
    double inv_n = (1 + 1 / LAMBDA + 2 / (LAMBDA * LAMBDA)) / LAMBDA;
    double sigma2 = (prod_m - prod_s) * inv_n;
    const cs_sens_sobol_output *out = &p.r->sobol->output[0];
    ck_assert_msg(fabs(out->noise_variance.value - sigma2) < 4 * out->noise_variance.se,
                  "noise variance %g (se %g), binomial %g", out->noise_variance.value,
                  out->noise_variance.se, sigma2);
    ck_assert_msg(fabs(out->variance.value - (V + sigma2)) < 4 * out->variance.se,
                  "variance %g (se %g), exact %g", out->variance.value, out->variance.se,
                  V + sigma2);
    /* The noise share is small (about 2%): the ranking is the inputs'. */
    ck_assert(out->noise_share.high < 0.1);
    product_free(&p);
}
END_TEST

/* Every output of every run is the same bit for bit on 1 and 2 threads. */
START_TEST(test_threads_identical)
{
    gsl_set_error_handler_off();
    product_run a, b;
    product_study(&a, true, 16, 4, 1);
    product_study(&b, true, 16, 4, 2);
    /* the baseline, outreach, and outreach's change */
    ck_assert_uint_eq(a.o.n, 3);
    ck_assert_str_eq(a.o.o[2].name, "accountability_rate, reference, change with outreach");
    ck_assert_uint_eq(a.st->n_points, b.st->n_points);
    ck_assert_int_eq(memcmp(a.y, b.y, a.st->n_points * a.o.n * sizeof *a.y), 0);
    product_free(&a);
    product_free(&b);
}
END_TEST

/* Plans refused with a message: no uncertain inputs; a sample size that is
 * not a power of two (the message names the one the design would use);
 * noise points beyond the rows. */
START_TEST(test_plans_refused)
{
    gsl_set_error_handler_off();
    cs_scenario *s = cs_test_scenario(PRODUCT);
    cs_study_options opt = {.method = CS_STUDY_SOBOL, .samples = 1000, .noise_points = 8};
    cs_study *st = NULL;
    cs_error err;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_study_alloc(s, &opt, &st, &err), CS_EINVAL);
    ck_assert_ptr_null(st);
    ck_assert_msg(strstr(err.text, "not a power of two") && strstr(err.text, "would use 1024"),
                  "%s", err.text);
    cs_error_clear(&err);
    opt.samples = 8;
    opt.noise_points = 9;
    ck_assert_int_eq(cs_study_alloc(s, &opt, &st, &err), CS_EINVAL);
    cs_error_clear(&err);
    opt.noise_points = 8;
    ck_assert_int_eq(cs_study_alloc(s, &opt, &st, &err), CS_OK);
    ck_assert_uint_eq(st->n_points, 8 * 5 + 8 + 7);
    cs_study_free(st);
    cs_scenario_free(s);
    /* The scenario without its uncertain: section. */
    const char *cut = strstr(PRODUCT, "uncertain:");
    char *plain = strndup(PRODUCT, (size_t)(cut - PRODUCT));
    s = cs_test_scenario(plain);
    ck_assert_int_eq(cs_study_alloc(s, &opt, &st, &err), CS_EINVAL);
    ck_assert_msg(strstr(err.text, "no `uncertain:` section"), "%s", err.text);
    cs_scenario_free(s);
    free(plain);
}
END_TEST

/* Unknown measure or group names: the nearest name is suggested. */
START_TEST(test_unknown_names)
{
    const char *measures[] = {"impunity_rate", "accountability_rate"};
    const char *groups[] = {"reference", "african_descent"};
    const char *variants[] = {"baseline"};
    cs_study_names nm = {2, measures, 2, groups, 1, variants};
    cs_study_request bad_m = {"impunity_rat", ""}, bad_g = {"impunity_rate", "african_desent"};
    cs_study_request all = {"impunity_rate", "all"};
    cs_error err;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_study_check_requests(&nm, &bad_m, 1, &err), CS_EINVAL);
    ck_assert_msg(strstr(err.text, "did you mean 'impunity_rate'"), "%s", err.text);
    cs_error_clear(&err);
    ck_assert_int_eq(cs_study_check_requests(&nm, &bad_g, 1, &err), CS_EINVAL);
    ck_assert_msg(strstr(err.text, "did you mean 'african_descent'"), "%s", err.text);
    cs_error_clear(&err);
    ck_assert_int_eq(cs_study_check_requests(&nm, &all, 1, &err), CS_OK);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("study");
    TCase *tc = tcase_create("study");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_product_closed_form);
    tcase_add_test(tc, test_threads_identical);
    tcase_add_test(tc, test_plans_refused);
    tcase_add_test(tc, test_unknown_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
