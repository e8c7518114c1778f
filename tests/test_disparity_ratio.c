/*
 * test_disparity_ratio.c — the disparity ratios of /summary, /comparison and
 * /ranking are ratios of the groups' mean rates, against exact answers.
 *
 * A replicate's own ratio of two rates resting on a handful of cases is a
 * biased estimate of the ratio of the expected rates (E[X/Y] > E[X]/E[Y]
 * by Jensen's inequality), and averaging replicates does not remove that
 * bias: it only makes the interval around the wrong value narrower. The
 * scenarios here are capacity-free with SMALL counts (about 24
 * well-founded incidents, 5 accountable ones, per group and replicate) and
 * many replicates, so the old mean of ratios is many standard errors off
 * while the ratio of means must be within Z_MAX of the exact answer of the
 * absorbing chain (support/exact_chain.c).
 *
 * Tolerances: |z| <= 4 with the standard error from the tables' own
 * delta-method intervals (half-width / t_{0.975, n-1}, on the log scale for
 * a ratio): false alarm 6e-5 per check under normality. Exact equalities
 * (a variant identical to the baseline) are checked exactly.
 */
#include <check.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/measures.h"
#include "casesim/stats.h"
#include "exact_chain.h"
#include "results/internal.h"
#include "sim_support.h"

#define N_REP 1000
#define Z_MAX 4.0

/* Two groups of 40 incidents a year, 60% well-founded; the trial `p` of
 * the second group is a placeholder. Accountability rate 0.4 x 0.5 = 0.2
 * for the reference group. */
static const char *SMALL_FMT = "casesim: 1\n"
                               "name: ratio-small\n"
                               "time: {warmup_years: 0, cohort_years: 1, follow_up_years: 1}\n"
                               "run: {replicates: 10, seed: 5}\n"
                               "groups:\n"
                               "  - {name: reference, incidents_per_year: 40}\n"
                               "  - {name: other, incidents_per_year: 40}\n"
                               "violations: [{name: x, share: 1, well_founded: 0.6}]\n"
                               "stages:\n"
                               "  - name: investigation\n"
                               "    entry: true\n"
                               "    branches:\n"
                               "      - {to: trial, p: 0.4}\n"
                               "      - {to: closed}\n"
                               "  - name: trial\n"
                               "    branches:\n"
                               "      - {to: convicted, p: {reference: 0.5, other: %s}}\n"
                               "      - {to: acquitted}\n"
                               "outcomes:\n"
                               "  closed: {}\n"
                               "  convicted: {accountability: criminal}\n"
                               "  acquitted: {}\n";

static cs_scenario *small_scenario(const char *p_other)
{
    char text[2048];
    snprintf(text, sizeof text, SMALL_FMT, p_other);
    return cs_test_scenario(text);
}

/* ------------------------------------------------ runs held in memory */

/* Every variant's measures, [V][R][G + 1][M], and the analysis's names. */
typedef struct mem {
    size_t V, G1, M;
    uint64_t R;
    double *x;
    size_t copy_of[4]; /* variant v's measures are those of run copy_of[v] */
    char text[64][160];
    const char *measures[64], *units[64], *groups[4], *variants[4], *kinds[4];
    double cost[4];
} mem;

static double *mem_at(const mem *m, size_t v, uint64_t r)
{
    return &m->x[(v * m->R + r) * m->G1 * m->M];
}

static void collect(void *ctx, const cs_replicate_result *r)
{
    mem *m = ctx;
    memcpy(mem_at(m, r->variant, r->replicate), r->measures, m->G1 * m->M * sizeof(double));
}

static int load(void *ctx, size_t v, double *buf, cs_error *err)
{
    (void)err;
    const mem *m = ctx;
    memcpy(buf, mem_at(m, m->copy_of[v], 0), m->R * m->G1 * m->M * sizeof(double));
    return CS_OK;
}

/* Runs every variant of s (at most 4) into m, and names them. */
static void run_all(const cs_scenario *s, mem *m)
{
    cs_result_dims d;
    cs_result_dims_of(s, &d);
    *m = (mem){.V = s->n_variants, .G1 = s->n_groups + 1, .M = d.n_measures, .R = N_REP};
    ck_assert(m->V <= 4 && m->M <= 64);
    m->x = calloc(m->V * m->R * m->G1 * m->M, sizeof *m->x);
    ck_assert_ptr_nonnull(m->x);
    for (size_t i = 0; i < m->M; i++) {
        m->measures[i] = cs_measure_name(s, i, m->text[i], sizeof m->text[i]);
        m->units[i] = "1";
    }
    for (size_t g = 0; g < s->n_groups; g++)
        m->groups[g] = s->groups[g].name;
    for (size_t v = 0; v < m->V; v++) {
        m->variants[v] = s->variants[v].name;
        m->kinds[v] = v ? "intervention" : "baseline";
        m->copy_of[v] = v;
        cs_test_run_variant(s, v, 77, m->R, false, collect, m);
    }
}

/* The tables of m's variants (variant v's measures those of copy_of[v]). */
static void analyse(mem *m, cs_analysis_tables *t)
{
    cs_analysis_input in = {.n_groups = m->G1 - 1,
                            .n_measures = m->M,
                            .n_variants = m->V,
                            .groups = m->groups,
                            .measures = m->measures,
                            .units = m->units,
                            .variants = m->variants,
                            .kinds = m->kinds,
                            .annual_cost = m->cost,
                            .replicates = m->R,
                            .seed = 1,
                            .load = load,
                            .ctx = m};
    cs_error err;
    cs_error_clear(&err);
    int st = cs_analysis_compute(&in, t, &err);
    ck_assert_msg(st == CS_OK, "analysis: %s", err.text);
}

static const cs_results_summary_row *summary(const mem *m, const cs_analysis_tables *t, size_t v,
                                             size_t g, int measure)
{
    return &t->summary[(v * m->G1 + g) * m->M + (size_t)measure];
}

/* z of a ratio's estimate against `want`, with the SE of its log-scale
 * interval. */
static double log_z(const cs_results_summary_row *s, double want)
{
    double se =
        log(s->ci_high / s->ci_low) / (2.0 * cs_stats_t_critical(CS_STATS_LEVEL, s->n - 1.0));
    return (log(s->mean) - log(want)) / se;
}

/* z of the old estimator, the mean of the replicates' own ratios of group
 * 1 in variant v, against `want` (its own t standard error). */
static double old_z(const mem *m, size_t v, int measure, double want)
{
    cs_summary s;
    ck_assert_int_eq(cs_stats_summarise(mem_at(m, v, 0) + m->M + (size_t)measure, m->R,
                                        m->G1 * m->M, CS_STATS_LEVEL, &s, NULL),
                     CS_OK);
    return (s.mean - want) / (s.sd / sqrt((double)s.n));
}

/* The small scenario with the second group's trial `p` p_other, run
 * into m and analysed into t. */
static cs_scenario *run_and_analyse(const char *p_other, mem *m, cs_analysis_tables *t)
{
    cs_scenario *s = small_scenario(p_other);
    run_all(s, m);
    analyse(m, t);
    return s;
}

/* ------------------------------------------------------------ tests */

START_TEST(identical_groups_read_parity_at_small_counts)
{
    mem m;
    cs_analysis_tables t;
    cs_scenario *s = run_and_analyse("0.5", &m, &t);
    const cs_results_summary_row *r = summary(&m, &t, 0, 1, CS_M_ACCOUNTABILITY_RATIO);
    double z = log_z(r, 1.0);
    ck_assert_msg(fabs(z) <= Z_MAX, "ratio %g [%g, %g]: z %.2f", r->mean, r->ci_low, r->ci_high, z);
    ck_assert_uint_eq(r->n, N_REP);
    /* The interval covers parity (a 95% statement; with the fixed seed it
     * is reproducible, and it held here). */
    ck_assert_msg(r->ci_low <= 1.0 && 1.0 <= r->ci_high, "[%g, %g]", r->ci_low, r->ci_high);
    /* The old estimator on the same replicates is biased upwards far
     * beyond its standard error: here the ratio of means is 1.009 [0.973,
     * 1.047] (z 0.50) and the mean of the replicates' ratios 1.263 [1.199,
     * 1.327] (z 8.1, over the 995 replicates where the reference rate is
     * not 0), so this test fails with it. */
    double zo = old_z(&m, 0, CS_M_ACCOUNTABILITY_RATIO, 1.0);
    ck_assert_msg(zo > Z_MAX, "the mean of ratios is not biased here (z %.2f)", zo);
    /* The reference group's ratio is exactly 1, with a zero-width interval. */
    const cs_results_summary_row *ref = summary(&m, &t, 0, 0, CS_M_ACCOUNTABILITY_RATIO);
    ck_assert(ref->mean == 1.0 && ref->ci_low == 1.0 && ref->ci_high == 1.0);
    ck_assert(isnan(summary(&m, &t, 0, 2, CS_M_ACCOUNTABILITY_RATIO)->mean));
    cs_analysis_tables_free(&t);
    free(m.x);
    cs_scenario_free(s);
}
END_TEST

START_TEST(ratios_equal_the_exact_ratios_of_the_chain)
{
    mem m;
    cs_analysis_tables t;
    cs_scenario *s = run_and_analyse("0.3", &m, &t);
    cs_exact ex0, ex1;
    cs_exact_for(s, 0, CS_EXACT_ALL_KINDS, false, &ex0);
    cs_exact_for(s, 1, CS_EXACT_ALL_KINDS, false, &ex1);
    const int meas[2] = {CS_M_ACCOUNTABILITY_RATIO, CS_M_IMPUNITY_RATIO};
    const double exact[2] = {ex1.acc_wf / ex0.acc_wf, (1.0 - ex1.acc_wf) / (1.0 - ex0.acc_wf)};
    ck_assert_double_eq_tol(exact[0], 0.6, 1e-9); /* 0.4 x 0.3 over 0.4 x 0.5 */
    for (int k = 0; k < 2; k++) {
        const cs_results_summary_row *r = summary(&m, &t, 0, 1, meas[k]);
        double z = log_z(r, exact[k]);
        ck_assert_msg(fabs(z) <= Z_MAX, "%s %g [%g, %g], exact %g: z %.2f", m.measures[meas[k]],
                      r->mean, r->ci_low, r->ci_high, exact[k], z);
    }
    /* Power: the mean of the replicates' accountability ratios misses the
     * exact answer: 0.752 [0.710, 0.794] against 0.6 (z 7.9), where the
     * ratio of means gives 0.606 [0.580, 0.632] (z 0.42). */
    double zo = old_z(&m, 0, CS_M_ACCOUNTABILITY_RATIO, exact[0]);
    ck_assert_msg(fabs(zo) > Z_MAX, "the mean of ratios is right here (z %.2f)", zo);
    cs_analysis_tables_free(&t);
    free(m.x);
    cs_scenario_free(s);
}
END_TEST

START_TEST(paired_comparisons_of_the_ratio)
{
    cs_scenario *s = small_scenario("0.3");
    cs_error err;
    cs_error_clear(&err);
    ck_assert_msg(cs_scenario_decompose(s, &err) == CS_OK, "%s", err.text);
    ck_assert_uint_eq(s->n_variants, 2); /* one stage differs: equalising it equalises all */
    mem m;
    run_all(s, &m);
    /* Variant 2 is variant 0's replicates again: identical to the baseline. */
    m.V = 3;
    m.copy_of[2] = 0;
    m.variants[2] = "same";
    m.kinds[2] = "intervention";
    cs_analysis_tables t;
    analyse(&m, &t);
    size_t row = m.G1 * m.M, at = m.M + CS_M_ACCOUNTABILITY_RATIO; /* group 1 */
    const cs_results_comparison_row *same = &t.comparison[row + at];
    ck_assert_str_eq(same->variant, "same");
    ck_assert(same->diff_mean == 0.0 && same->diff_ci_low == 0.0 && same->diff_ci_high == 0.0);
    /* Equalising the groups moves the ratio to 1, by 1 - 0.6. */
    const cs_results_summary_row *eq = summary(&m, &t, 1, 1, CS_M_ACCOUNTABILITY_RATIO);
    double z = log_z(eq, 1.0);
    ck_assert_msg(fabs(z) <= Z_MAX, "equalised: %g [%g, %g], z %.2f", eq->mean, eq->ci_low,
                  eq->ci_high, z);
    const cs_results_comparison_row *c = &t.comparison[at];
    ck_assert_double_eq(c->variant_mean, eq->mean);
    ck_assert_double_eq(c->baseline_mean, summary(&m, &t, 0, 1, CS_M_ACCOUNTABILITY_RATIO)->mean);
    double se = (c->diff_ci_high - c->diff_ci_low) / (2.0 * cs_stats_t_critical(0.95, N_REP - 1));
    ck_assert_msg(fabs(c->diff_mean - 0.4) <= Z_MAX * se, "change %g, se %g", c->diff_mean, se);
    /* Power: it is not a change of 0. */
    ck_assert(fabs(c->diff_mean) > Z_MAX * se);
    /* The ranking's ratio is the summary's, and the equalised variant is
     * the closest to parity. */
    ck_assert_uint_eq(t.most_affected, 1);
    ck_assert_double_eq(t.ranking[1].ratio_mean, eq->mean);
    ck_assert_int_eq(t.ranking[1].ratio_rank, 1);
    cs_analysis_tables_free(&t);
    free(m.x);
    cs_scenario_free(s);
}
END_TEST

START_TEST(ratio_of_means_by_hand)
{
    /* a = (1, 2, 3), b = (2, 2, 2): R = 1; influences (a - R b) / 2 =
     * (-0.5, 0, 0.5), sd 0.5; interval exp(-/+ t_{0.975,2} 0.5 / sqrt 3). */
    const double a[3] = {1, 2, 3}, b[3] = {2, 2, 2};
    cs_summary s;
    ck_assert_int_eq(cs_stats_ratio_of_means(a, b, 3, 1, 0.95, &s, NULL), CS_OK);
    double h = cs_stats_t_critical(0.95, 2) * 0.5 / sqrt(3.0);
    ck_assert_double_eq_tol(s.mean, 1.0, 1e-15);
    ck_assert_double_eq_tol(s.sd, 0.5, 1e-15);
    ck_assert_double_eq_tol(s.ci_low, exp(-h), 1e-14);
    ck_assert_double_eq_tol(s.ci_high, exp(h), 1e-14);
    /* Undefined where the reference mean is 0; 0 with [0, 0] where the
     * group's rates are all 0; NaN pairs left out. */
    const double zero[3] = {0, 0, 0}, c[3] = {1, NAN, 3};
    ck_assert_int_eq(cs_stats_ratio_of_means(a, zero, 3, 1, 0.95, &s, NULL), CS_OK);
    ck_assert(isnan(s.mean) && isnan(s.ci_low) && s.n == 3);
    ck_assert_int_eq(cs_stats_ratio_of_means(zero, b, 3, 1, 0.95, &s, NULL), CS_OK);
    ck_assert(s.mean == 0.0 && s.ci_low == 0.0 && s.ci_high == 0.0);
    ck_assert_int_eq(cs_stats_ratio_of_means(c, b, 3, 1, 0.95, &s, NULL), CS_OK);
    ck_assert(s.n == 2 && s.mean == 1.0);
    /* Paired: variant (2, 4, 6) / b against the baseline a / b: R_y - R_x
     * = 1, influences (a_y - 2 b) / 2 - (a - b) / 2 = (-0.5, 0, 0.5). */
    const double y[3] = {2, 4, 6};
    cs_paired p;
    ck_assert_int_eq(cs_stats_ratio_paired(a, b, y, b, 3, 1, 0.95, &p, NULL), CS_OK);
    ck_assert_double_eq_tol(p.diff.mean, 1.0, 1e-15);
    ck_assert_double_eq_tol(p.diff.ci_high - p.diff.mean,
                            cs_stats_t_critical(0.95, 2) * 0.5 / sqrt(3.0), 1e-14);
    ck_assert_double_eq_tol(p.relative_change, 1.0, 1e-15);
}
END_TEST

START_TEST(ranking_uses_the_ratio_of_means)
{
    /* Variant 0: num (2, 2) over den (1, 3): ratio of means 1 (parity),
     * mean of ratios 1.33. Variant 1: 1.1 either way. The ratio of means
     * ranks variant 0 first; the mean of ratios would rank variant 1. */
    const double num[4] = {2, 2, 1.1, 1.1}, den[4] = {1, 3, 1, 1};
    cs_ranking *r = NULL;
    ck_assert_int_eq(cs_ranking_alloc(2, &r, NULL), CS_OK);
    cs_stream_key key = {1, 0, 0, 0, 2, CS_STREAM_ANALYSIS};
    ck_assert_int_eq(cs_stats_rank_ratio(num, den, 2, 2, &key, 400, r, NULL), CS_OK);
    ck_assert_double_eq_tol(r->score[0], 0.0, 1e-15);
    ck_assert_uint_eq(r->rank[0], 1);
    ck_assert_uint_eq(r->rank[1], 2);
    /* p_best: resamples {0, 0} and {1, 1} (probability 1/2) have variant 0
     * at 2 or 2/3, farther from 1 than 1.1; {0, 1} or {1, 0} at 1. So
     * p_best[0] ~ 1/2, within 4 SE (sqrt(0.25 / 400) = 0.025). */
    ck_assert_msg(fabs(r->p_best[0] - 0.5) <= 4 * 0.025, "p_best %g", r->p_best[0]);
    ck_assert_int_eq(cs_stats_rank_ratio(num, NULL, 2, 2, &key, 400, r, NULL), CS_EINVAL);
    cs_ranking_free(r);
}
END_TEST

/* Coverage of the delta-method interval: N_RUNS independent sets of
 * COV_REP replicates of the small scenario with p 0.3 for the second group
 * (consecutive blocks of one run: replicates are independent and
 * identically distributed, each with its own streams); the share of
 * intervals containing the exact ratio 0.6 must be within 4 binomial SE
 * (sqrt(0.95 x 0.05 / 200) = 0.0154: [0.888, 1]) of 95%. Power: the t
 * interval of the mean of the replicates' ratios, biased by about 0.15
 * against an SE of about 0.06, covers far less often. Seeds 1000, 2000,
 * 3000: coverage 0.985, 0.950, 0.945; the old interval's 0.850, 0.825,
 * 0.795. */
#define N_RUNS 200
#define COV_REP 40

/* Whether block k's intervals (new and old) contain exact. */
static void covered(const mem *m, uint64_t k, double exact, int *hit_new, int *hit_old)
{
    size_t rate = CS_M_ACCOUNTABILITY, stride = m->G1 * m->M;
    const double *x = mem_at(m, 0, k * COV_REP);
    cs_summary s;
    ck_assert_int_eq(cs_stats_ratio_of_means(x + m->M + rate, x + rate, COV_REP, stride,
                                             CS_STATS_LEVEL, &s, NULL),
                     CS_OK);
    *hit_new += s.ci_low <= exact && exact <= s.ci_high;
    ck_assert_int_eq(cs_stats_summarise(x + m->M + CS_M_ACCOUNTABILITY_RATIO, COV_REP, stride,
                                        CS_STATS_LEVEL, &s, NULL),
                     CS_OK);
    *hit_old += s.ci_low <= exact && exact <= s.ci_high;
}

START_TEST(delta_method_interval_covers_at_its_level)
{
    cs_scenario *s = small_scenario("0.3");
    cs_result_dims d;
    cs_result_dims_of(s, &d);
    mem m = {.V = 1, .G1 = s->n_groups + 1, .M = d.n_measures, .R = N_RUNS * COV_REP};
    m.x = calloc(m.R * m.G1 * m.M, sizeof *m.x);
    ck_assert_ptr_nonnull(m.x);
    cs_test_run_variant(s, 0, 1000, m.R, false, collect, &m);
    int hit_new = 0, hit_old = 0;
    for (uint64_t k = 0; k < N_RUNS; k++)
        covered(&m, k, 0.6, &hit_new, &hit_old);
    double cov = hit_new / (double)N_RUNS, cov_old = hit_old / (double)N_RUNS;
    double se = sqrt(0.95 * 0.05 / N_RUNS);
    ck_assert_msg(fabs(cov - 0.95) <= Z_MAX * se, "coverage %.3f (old %.3f)", cov, cov_old);
    ck_assert_msg(cov_old < 0.95 - Z_MAX * se, "the old interval covers %.3f", cov_old);
    free(m.x);
    cs_scenario_free(s);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("disparity_ratio");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, identical_groups_read_parity_at_small_counts);
    tcase_add_test(tc, ratios_equal_the_exact_ratios_of_the_chain);
    tcase_add_test(tc, paired_comparisons_of_the_ratio);
    tcase_add_test(tc, ratio_of_means_by_hand);
    tcase_add_test(tc, ranking_uses_the_ratio_of_means);
    suite_add_tcase(s, tc);
    /* 8000 replicates: about 5 s of one core, more on a loaded machine. */
    TCase *cov = tcase_create("coverage");
    tcase_set_timeout(cov, 300);
    tcase_add_test(cov, delta_method_interval_covers_at_its_level);
    suite_add_tcase(s, cov);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
