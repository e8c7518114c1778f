/*
 * test_engine_kinds.c — the engine's results by violation kind against
 * exact answers: routing by `kinds`, `p` per kind and per kind and group,
 * durations and deadlines per kind.
 *
 * Tolerances: every comparison is a z-test at |z| <= 4 with the standard
 * error taken from the spread of 20 independent replicates (for 19 degrees
 * of freedom P(|t| > 4) < 0.1% per comparison). Each test also compares
 * the same observations with a deliberately wrong answer, which must fail:
 * the comparisons can detect an error of that size.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exact_chain.h"
#include "sim_support.h"

#define N_REP 20
#define Z_MAX 4.0
#define N_KINDS 3
#define N_GROUPS 2

/* Deaths and injuries go to a referral (their reference branch at the
 * entry); minor complaints to a complaint stage, or are never reported.
 * Only injuries can go from the referral to a misconduct hearing; a minor
 * complaint may be referred on. No staff limits, no deadlines: the
 * absorbing-chain answers hold kind by kind. */
static const char *ROUTING_YAML =
    "casesim: 1\nname: exact-kinds\n"
    "time: {warmup_years: 0, cohort_years: 1, follow_up_years: 8}\n"
    "groups:\n"
    "  - {name: reference, incidents_per_year: 3000}\n"
    "  - {name: minority, incidents_per_year: 2000}\n"
    "violations:\n"
    "  - {name: death, share: 0.2, well_founded: 0.6}\n"
    "  - {name: injury, share: {reference: 0.3, minority: 0.4}, well_founded: 0.5}\n"
    "  - {name: minor, share: {reference: 0.5, minority: 0.4}, well_founded: 0.4}\n"
    "evidence:\n  well_founded: {beta: [3, 2]}\n  unfounded: {beta: [2, 4]}\n"
    "stages:\n"
    "  - name: report\n    entry: true\n    branches:\n"
    "      - {to: referral, kinds: [death, injury]}\n"
    "      - to: complaint\n        kinds: [minor]\n"
    "        p: {reference: 0.5, minority: 0.35}\n        unfounded_odds_ratio: 0.5\n"
    "      - {to: never_reported, kinds: [minor]}\n"
    "  - name: referral\n"
    "    duration: {death: {gamma: {mean: 200, cv: 0.5}}, injury: {exponential: {mean: 60}},"
    " minor: {fixed: 10}}\n"
    "    branches:\n"
    "      - to: prosecution\n"
    "        p: {death: {reference: 0.4, minority: 0.25}, injury: 0.2, minor: 0.1}\n"
    "        unfounded_odds_ratio: 0.4\n        evidence_slope: 1.0\n"
    "      - {to: hearing, kinds: [injury], p: 0.3, unfounded_odds_ratio: 0.6}\n"
    "      - {to: no_action}\n"
    "  - name: complaint\n    duration: {exponential: {mean: 20}}\n    branches:\n"
    "      - to: disciplined\n        p: {reference: 0.15, minority: 0.1}\n"
    "        evidence_slope: 2.0\n        unfounded_odds_ratio: 0.5\n"
    "      - {to: referral, p: 0.05}\n"
    "      - {to: not_upheld}\n"
    "  - name: hearing\n    duration: {fixed: 30}\n    branches:\n"
    "      - {to: disciplined, p: 0.6, unfounded_odds_ratio: 0.3}\n"
    "      - {to: not_upheld}\n"
    "  - name: prosecution\n    duration: {exponential: {mean: 300}}\n    branches:\n"
    "      - {to: convicted, p: 0.5, evidence_slope: 2.0, unfounded_odds_ratio: 0.3}\n"
    "      - {to: acquitted}\n"
    "outcomes:\n"
    "  never_reported: {}\n  no_action: {}\n  not_upheld: {}\n  acquitted: {}\n"
    "  disciplined: {accountability: disciplinary}\n"
    "  convicted: {accountability: criminal, redress: true}\n";

enum { DEATH, INJURY, MINOR };

/* Per-replicate observations of each (kind, group). */
typedef struct kobs {
    size_t n;
    double visits[N_KINDS][N_GROUPS][N_REP][CS_MAX_STAGES];
    double outcomes[N_KINDS][N_GROUPS][N_REP][CS_MAX_OUTCOMES];
    double acc[N_KINDS][N_GROUPS][N_REP], wrong[N_KINDS][N_GROUPS][N_REP];
    double red[N_KINDS][N_GROUPS][N_REP];
    int64_t entries[N_KINDS][CS_MAX_STAGES]; /* summed over replicates, all groups */
} kobs;

/* Row g of kind k's measures. */
static const double *kind_row(const cs_replicate_result *r, size_t k, size_t g)
{
    return &r->kind_measures[(k * r->dims.n_group_rows + g) * r->dims.n_measures];
}

static void kind_collect(void *ctx, const cs_replicate_result *r)
{
    kobs *o = ctx;
    size_t S = r->dims.n_stages, O = r->dims.n_outcomes, G = r->dims.n_group_rows;
    for (size_t k = 0; k < N_KINDS; k++) {
        for (size_t g = 0; g < N_GROUPS; g++) {
            const double *m = kind_row(r, k, g);
            double inc = m[CS_M_INCIDENTS];
            for (size_t i = 0; i < S; i++)
                o->visits[k][g][o->n][i] = (double)r->kind_stage_entries[(k * G + g) * S + i] / inc;
            for (size_t x = 0; x < O; x++)
                o->outcomes[k][g][o->n][x] =
                    (double)r->kind_outcome_counts[(k * G + g) * O + x] / inc;
            o->acc[k][g][o->n] = m[CS_M_ACCOUNTABILITY];
            o->wrong[k][g][o->n] = m[CS_M_WRONGFUL_SANCTION];
            o->red[k][g][o->n] = m[CS_M_REDRESS];
        }
        for (size_t i = 0; i < S; i++)
            o->entries[k][i] += r->kind_stage_entries[(k * G + G - 1) * S + i];
    }
    o->n++;
}

/* The z-score of the replicate mean of x[] against the exact value; 0 when
 * both are 0 (a stage a kind never enters: checked by count). */
static double zscore(const double *x, size_t n, double exact_value)
{
    double mean, se;
    cs_test_mean_se(x, n, &mean, &se);
    if (se == 0.0 && fabs(mean - exact_value) < 1e-12) /* the LU solve's rounding */
        return 0.0;
    return (mean - exact_value) / se;
}

/* Comparisons of kind k, group g beyond Z_MAX against ex; *zmax the
 * largest |z|. */
static int kind_failures(const cs_scenario *s, const kobs *o, size_t k, size_t g,
                         const cs_exact *ex, double *zmax)
{
    int fails = 0;
    double col[N_REP];
    double z[CS_MAX_STAGES + CS_MAX_OUTCOMES + 3];
    size_t nz = 0;
    for (size_t i = 1; i < s->n_stages; i++) { /* the entry is visited exactly once */
        for (size_t r = 0; r < o->n; r++)
            col[r] = o->visits[k][g][r][i];
        z[nz++] = zscore(col, o->n, ex->visits[i]);
    }
    for (size_t x = 0; x < s->n_outcomes; x++) {
        for (size_t r = 0; r < o->n; r++)
            col[r] = o->outcomes[k][g][r][x];
        z[nz++] = zscore(col, o->n, ex->outcomes[x]);
    }
    /* No fork: at most one accountability outcome per case, so the rates
     * equal the expected counts. */
    z[nz++] = zscore(o->acc[k][g], o->n, ex->acc_wf);
    z[nz++] = zscore(o->wrong[k][g], o->n, ex->acc_unf);
    z[nz++] = zscore(o->red[k][g], o->n, ex->red_wf);
    *zmax = 0.0;
    for (size_t i = 0; i < nz; i++) {
        *zmax = fmax(*zmax, fabs(z[i]));
        fails += fabs(z[i]) > Z_MAX;
    }
    return fails;
}

START_TEST(per_kind_rates_match_the_absorbing_chain)
{
    cs_scenario *s = cs_test_scenario(ROUTING_YAML);
    kobs *o = calloc(1, sizeof *o);
    cs_test_run_variant(s, 0, 20261129, N_REP, false, kind_collect, o);
    for (size_t k = 0; k < N_KINDS; k++)
        for (size_t g = 0; g < N_GROUPS; g++) {
            cs_exact ex;
            cs_exact_for(s, g, k, false, &ex);
            double zmax;
            int fails = kind_failures(s, o, k, g, &ex, &zmax);
            ck_assert_msg(fails == 0,
                          "kind %zu group %zu: %d comparisons beyond %.0f SE (max |z| %.2f)", k, g,
                          fails, Z_MAX, zmax);
            /* Power: another kind's exact answers (a model that ignored
             * the routing by kind) must be detected. */
            cs_exact other;
            cs_exact_for(s, g, (k + 1) % N_KINDS, false, &other);
            fails = kind_failures(s, o, k, g, &other, &zmax);
            ck_assert_msg(fails > 0, "kind %zu group %zu: another kind's answers passed", k, g);
            /* And the unfounded odds ratios inverted, kind by kind. */
            cs_exact_for(s, g, k, true, &other);
            fails = kind_failures(s, o, k, g, &other, &zmax);
            ck_assert_msg(fails > 0, "kind %zu group %zu: a wrong model passed (max |z| %.2f)", k,
                          g, zmax);
        }
    free(o);
    cs_scenario_free(s);
}
END_TEST

START_TEST(kinds_branches_are_never_taken_by_other_kinds)
{
    cs_scenario *s = cs_test_scenario(ROUTING_YAML);
    kobs *o = calloc(1, sizeof *o);
    cs_test_run_variant(s, 0, 7, N_REP, false, kind_collect, o);
    long complaint = cs_scenario_find_stage(s, "complaint");
    long hearing = cs_scenario_find_stage(s, "hearing");
    long referral = cs_scenario_find_stage(s, "referral");
    ck_assert(complaint >= 0 && hearing >= 0 && referral >= 0);
    /* Closed branches, counted over every track of 20 replicates. */
    ck_assert_int_eq(o->entries[DEATH][complaint], 0);
    ck_assert_int_eq(o->entries[INJURY][complaint], 0);
    ck_assert_int_eq(o->entries[DEATH][hearing], 0);
    ck_assert_int_eq(o->entries[MINOR][hearing], 0);
    /* The open ones are taken, so the zeros above say something: about
     * 20 x 5000 x 0.5 x 0.45 minor complaints, 20 x 5000 x 0.35 x 0.3
     * injury hearings, and minor complaints referred on (5%). */
    ck_assert_int_gt(o->entries[MINOR][complaint], 10000);
    ck_assert_int_gt(o->entries[INJURY][hearing], 5000);
    ck_assert_int_gt(o->entries[MINOR][referral], 500);
    ck_assert_int_eq(o->entries[DEATH][referral] + o->entries[INJURY][referral] > 50000, 1);
    free(o);
    cs_scenario_free(s);
}
END_TEST

/* ---- durations and deadlines per kind ---------------------------------------------- */

/* Every case goes straight to an inquiry whose duration and deadline
 * depend on its kind (and, for injuries, its group); the entry takes no
 * time, so the time to the end of a reported case is the inquiry's. */
static const char *DURATION_YAML =
    "casesim: 1\nname: kind-durations\n"
    "time: {warmup_years: 0, cohort_years: 1, follow_up_years: 10}\n"
    "groups:\n"
    "  - {name: reference, incidents_per_year: 1500}\n"
    "  - {name: minority, incidents_per_year: 1000}\n"
    "violations:\n"
    "  - {name: death, share: 0.2, well_founded: 0.5}\n"
    "  - {name: injury, share: 0.4, well_founded: 0.5}\n"
    "  - {name: minor, share: 0.4, well_founded: 0.5}\n"
    "stages:\n"
    "  - name: report\n    entry: true\n    branches:\n      - {to: inquiry}\n"
    "  - name: inquiry\n"
    "    duration:\n"
    "      death: {gamma: {mean: 200, cv: 0.5}}\n"
    "      injury: {reference: {exponential: {mean: 100}}, minority: {exponential: {mean: 50}}}\n"
    "      minor: {fixed: 30}\n"
    "    deadline: {death: ~, injury: {days: 80, from: stage, to: lapsed}, minor: ~}\n"
    "    branches:\n      - {to: closed}\n"
    "outcomes:\n  closed: {}\n  lapsed: {}\n";

typedef struct dobs {
    size_t n;
    double mean[N_KINDS][N_GROUPS][N_REP], lapsed[N_KINDS][N_GROUPS][N_REP];
} dobs;

static void duration_collect(void *ctx, const cs_replicate_result *r)
{
    dobs *o = ctx;
    size_t O = r->dims.n_outcomes, G = r->dims.n_group_rows;
    for (size_t k = 0; k < N_KINDS; k++)
        for (size_t g = 0; g < N_GROUPS; g++) {
            const double *m = kind_row(r, k, g);
            o->mean[k][g][o->n] = m[CS_M_TIME_REPORTED_MEAN];
            o->lapsed[k][g][o->n] =
                (double)r->kind_outcome_counts[(k * G + g) * O + 1] / m[CS_M_INCIDENTS];
        }
    o->n++;
}

/* Exact mean time and share lapsed of kind k, group g: gamma mean 200 and
 * fixed 30 without deadline; for injuries E[min(X, 80)] = mu (1 -
 * exp(-80/mu)) and P(X > 80) = exp(-80/mu) with X exponential, mean mu.
 * ignore_deadline gives the (wrong) answers without the deadline. */
static void duration_exact(size_t k, size_t g, bool ignore_deadline, double *mean, double *lapsed)
{
    double mu = g == 0 ? 100.0 : 50.0;
    *lapsed = 0.0;
    if (k == DEATH) {
        *mean = 200.0;
    } else if (k == MINOR) {
        *mean = 30.0;
    } else if (ignore_deadline) {
        *mean = mu;
    } else {
        *mean = mu * -expm1(-80.0 / mu);
        *lapsed = exp(-80.0 / mu);
    }
}

START_TEST(per_kind_durations_and_deadlines)
{
    cs_scenario *s = cs_test_scenario(DURATION_YAML);
    dobs *o = calloc(1, sizeof *o);
    cs_test_run_variant(s, 0, 11, N_REP, false, duration_collect, o);
    int wrong_fails = 0;
    for (size_t k = 0; k < N_KINDS; k++)
        for (size_t g = 0; g < N_GROUPS; g++) {
            double mean, lapsed, m, se;
            duration_exact(k, g, false, &mean, &lapsed);
            if (k == MINOR) { /* fixed: every case exactly 30 days */
                for (size_t r = 0; r < o->n; r++)
                    ck_assert_double_eq_tol(o->mean[k][g][r], 30.0, 1e-9);
            } else {
                double z = zscore(o->mean[k][g], o->n, mean);
                ck_assert_msg(fabs(z) <= Z_MAX, "kind %zu group %zu: mean time z = %.2f", k, g, z);
            }
            cs_test_mean_se(o->lapsed[k][g], o->n, &m, &se);
            if (lapsed == 0.0)
                ck_assert_double_eq(m, 0.0); /* no deadline: no case lapses */
            else
                ck_assert_msg(fabs(m - lapsed) <= Z_MAX * se,
                              "kind %zu group %zu: lapsed %.4f, "
                              "exact %.4f, SE %.4f",
                              k, g, m, lapsed, se);
            /* Power: the answer without the deadline. */
            duration_exact(k, g, true, &mean, &lapsed);
            wrong_fails += k == INJURY && fabs(zscore(o->mean[k][g], o->n, mean)) > Z_MAX;
        }
    ck_assert_int_eq(wrong_fails, N_GROUPS);
    free(o);
    cs_scenario_free(s);
}
END_TEST

/* ---- measures of reported cases by arrival year ------------------------------------ */

/* Two arrival years. A share p_g of each group's incidents is reported and
 * goes to an inquiry lasting an exponential time of mean mu_g; the rest end
 * at once unreported. No staff limits: the time to the end of a reported
 * case is the inquiry's, whatever the arrival year. Follow-up of 6 years:
 * a case of the last day of the cohort is still open with probability
 * exp(-2190 / 100) < 1e-9. */
static const char *YEAR_YAML =
    "casesim: 1\nname: reported-by-year\n"
    "time: {warmup_years: 0, cohort_years: 2, follow_up_years: 6}\n"
    "groups:\n"
    "  - {name: reference, incidents_per_year: 1500}\n"
    "  - {name: minority, incidents_per_year: 1000}\n"
    "violations:\n  - {name: minor, share: 1, well_founded: 0.5}\n"
    "stages:\n"
    "  - name: report\n    entry: true\n    branches:\n"
    "      - {to: inquiry, p: {reference: 0.4, minority: 0.25}}\n"
    "      - {to: never_reported}\n"
    "  - name: inquiry\n"
    "    duration: {reference: {exponential: {mean: 100}}, minority: {exponential: {mean: 50}}}\n"
    "    branches:\n      - {to: closed}\n"
    "outcomes:\n  never_reported: {}\n  closed: {}\n";

enum { N_YEARS = 2, N_YQ = 4 }; /* reported share, mean, median, 90th percentile */

static const int YEAR_MEASURES[N_YQ] = {CS_M_REPORTED, CS_M_TIME_REPORTED_MEAN,
                                        CS_M_TIME_REPORTED_MEDIAN, CS_M_TIME_REPORTED_P90};

typedef struct yobs {
    size_t n;
    double x[N_YEARS][N_GROUPS + 1][N_YQ][N_REP];
    int mismatches; /* replicates whose counts by year do not add up to the cohort's */
} yobs;

static void year_collect(void *ctx, const cs_replicate_result *r)
{
    yobs *o = ctx;
    size_t G1 = r->dims.n_group_rows, M = r->dims.n_measures;
    ck_assert_uint_eq(r->dims.n_arrival_years, N_YEARS);
    for (size_t g = 0; g < G1; g++) {
        double reported = 0.0, cohort = r->measures[g * M + CS_M_INCIDENTS];
        for (size_t y = 0; y < N_YEARS; y++) {
            const double *m = &r->measures_by_year[(y * G1 + g) * M];
            for (size_t q = 0; q < N_YQ; q++)
                o->x[y][g][q][o->n] = m[YEAR_MEASURES[q]];
            reported += m[CS_M_INCIDENTS] * m[CS_M_REPORTED];
        }
        /* Exact: the reported cases of the years are those of the cohort. */
        o->mismatches += fabs(reported - cohort * r->measures[g * M + CS_M_REPORTED]) > 1e-6;
    }
    o->n++;
}

/* The exact values of group row g (N_GROUPS: all groups, a mixture weighted
 * by reported incidents per year): share reported, then the mean, median
 * and 90th percentile of an exponential time (of the mixture: its mean;
 * its quantiles are not compared). wrong: the mean over all cases, the
 * unreported ending at 0, and the other group's share. */
static void year_exact(size_t g, bool wrong, double ex[N_YQ])
{
    static const double rate[N_GROUPS] = {1500.0, 1000.0}, p[N_GROUPS] = {0.4, 0.25},
                        mu[N_GROUPS] = {100.0, 50.0};
    if (g < N_GROUPS) {
        ex[0] = p[wrong ? 1 - g : g];
        ex[1] = wrong ? p[g] * mu[g] : mu[g];
        ex[2] = mu[g] * log(2.0);
        ex[3] = mu[g] * log(10.0);
        return;
    }
    double w0 = rate[0] * p[0], w1 = rate[1] * p[1];
    ex[0] = (w0 + w1) / (rate[0] + rate[1]);
    ex[1] = (w0 * mu[0] + w1 * mu[1]) / (w0 + w1);
    ex[2] = ex[3] = NAN;
}

START_TEST(reported_measures_by_arrival_year)
{
    cs_scenario *s = cs_test_scenario(YEAR_YAML);
    yobs *o = calloc(1, sizeof *o);
    cs_test_run_variant(s, 0, 23, N_REP, false, year_collect, o);
    ck_assert_int_eq(o->mismatches, 0);
    /* The coarse histogram's bins are 2^(1/32) - 1 = 2.2% wide: a quantile
     * read from it is within one bin of the sample's, on top of 4 SE. */
    const double bin = exp2(1.0 / 32.0) - 1.0;
    int wrong_fails = 0;
    for (size_t y = 0; y < N_YEARS; y++)
        for (size_t g = 0; g <= N_GROUPS; g++) {
            double ex[N_YQ], bad[N_YQ];
            year_exact(g, false, ex);
            year_exact(g, true, bad);
            for (size_t q = 0; q < N_YQ; q++) {
                if (isnan(ex[q]))
                    continue;
                double m, se;
                cs_test_mean_se(o->x[y][g][q], o->n, &m, &se);
                double tol = Z_MAX * se + (q >= 2 ? bin * ex[q] : 0.0);
                ck_assert_msg(fabs(m - ex[q]) <= tol,
                              "year %zu group %zu measure %d: %.4f, exact %.4f, tolerance %.4f", y,
                              g, YEAR_MEASURES[q], m, ex[q], tol);
                /* Power: the wrong answers (share and mean of groups). */
                wrong_fails += g < N_GROUPS && q < 2 && fabs(m - bad[q]) > tol;
            }
        }
    ck_assert_int_eq(wrong_fails, N_YEARS * N_GROUPS * 2);
    free(o);
    cs_scenario_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engine_kinds");
    TCase *tc = tcase_create("kinds");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, per_kind_rates_match_the_absorbing_chain);
    tcase_add_test(tc, kinds_branches_are_never_taken_by_other_kinds);
    tcase_add_test(tc, per_kind_durations_and_deadlines);
    tcase_add_test(tc, reported_measures_by_arrival_year);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
