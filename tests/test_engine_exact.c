/*
 * test_engine_exact.c — the engine against exact answers.
 *
 * Without staff limits and deadlines, the expected stage visits and outcome
 * counts per incident come from the fundamental matrix of the absorbing
 * chain (tests/support/exact_chain.h, which says how).
 *
 * Tolerances: every comparison is a z-test at |z| <= 4 with the standard
 * error taken from the spread of 20 independent replicates (for 19 degrees
 * of freedom P(|t| > 4) < 0.1%), or, where the covariates of each incident are
 * known (case records), from the exact conditional binomial variance.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exact_chain.h"
#include "sim_support.h"

#define N_REP 20
#define Z_MAX 4.0

static const char *FORK_YAML = "casesim: 1\n"
                               "name: exact-fork\n"
                               "time: {warmup_years: 0.5, cohort_years: 1, follow_up_years: 4}\n"
                               "run: {replicates: 20, seed: 11}\n"
                               "groups:\n"
                               "  - {name: reference, incidents_per_year: 6000}\n"
                               "  - {name: african_descent, incidents_per_year: 4000}\n"
                               "violations:\n"
                               "  - name: death\n"
                               "    share: {reference: 0.2, african_descent: 0.3}\n"
                               "    well_founded: 0.7\n"
                               "  - name: force\n"
                               "    share: {reference: 0.8, african_descent: 0.7}\n"
                               "    well_founded: 0.4\n"
                               "evidence:\n"
                               "  well_founded: {beta: [3, 2]}\n"
                               "  unfounded: {beta: [2, 4]}\n"
                               "stages:\n"
                               "  - name: report\n"
                               "    entry: true\n"
                               "    branches:\n"
                               "      - to: intake\n"
                               "        p: {reference: 0.6, african_descent: 0.45}\n"
                               "        unfounded_odds_ratio: 0.5\n"
                               "      - to: never_reported\n"
                               "  - name: intake\n"
                               "    duration: {exponential: {mean: 5}}\n"
                               "    branches:\n"
                               "      - to: [investigation, civil_claim]\n"
                               "        p: 0.7\n"
                               "        evidence_slope: 1.0\n"
                               "      - to: inadmissible\n"
                               "  - name: investigation\n"
                               "    duration: {gamma: {mean: 30, cv: 0.5}}\n"
                               "    branches:\n"
                               "      - to: trial\n"
                               "        p: {reference: 0.3, african_descent: 0.2}\n"
                               "        evidence_slope: 3.0\n"
                               "        unfounded_odds_ratio: 0.3\n"
                               "        kind_odds_ratio: {death: 2.0}\n"
                               "      - to: [discipline, victim_support]\n"
                               "        p: 0.2\n"
                               "        evidence_slope: -1.0\n"
                               "      - to: unsubstantiated\n"
                               "  - name: trial\n"
                               "    duration: {fixed: 20}\n"
                               "    branches:\n"
                               "      - to: convicted\n"
                               "        p: 0.4\n"
                               "        evidence_slope: 2.0\n"
                               "        unfounded_odds_ratio: 0.2\n"
                               "      - to: acquitted\n"
                               "  - name: discipline\n"
                               "    duration: {uniform: {min: 5, max: 10}}\n"
                               "    branches:\n"
                               "      - to: disciplined\n"
                               "        p: 0.5\n"
                               "        kind_odds_ratio: {force: 0.5}\n"
                               "      - to: no_sanction\n"
                               "  - name: victim_support\n"
                               "    duration: {weibull: {shape: 1.5, scale: 10}}\n"
                               "    branches:\n"
                               "      - to: supported\n"
                               "        p: 0.5\n"
                               "      - to: withdrew\n"
                               "  - name: civil_claim\n"
                               "    duration: {lognormal: {median: 40, p90: 80}}\n"
                               "    branches:\n"
                               "      - to: compensated\n"
                               "        p: {reference: 0.3, african_descent: 0.25}\n"
                               "        evidence_slope: 2.0\n"
                               "      - to: claim_rejected\n"
                               "outcomes:\n"
                               "  never_reported: {}\n"
                               "  inadmissible: {}\n"
                               "  unsubstantiated: {}\n"
                               "  convicted: {accountability: criminal}\n"
                               "  acquitted: {}\n"
                               "  disciplined: {accountability: disciplinary}\n"
                               "  no_sanction: {}\n"
                               "  supported: {}\n"
                               "  withdrew: {}\n"
                               "  compensated: {redress: true}\n"
                               "  claim_rejected: {}\n";

/* Per-replicate observations of one group. */
typedef struct obs {
    size_t n, g;
    double visits[N_REP][CS_MAX_STAGES];
    double outcomes[N_REP][CS_MAX_OUTCOMES];
    double acc[N_REP], red[N_REP], wrong[N_REP], pending[N_REP];
} obs;

typedef struct obs_all {
    obs grp[2];
} obs_all;

static void collect(void *ctx, const cs_replicate_result *r)
{
    obs_all *oa = ctx;
    for (size_t g = 0; g < 2; g++) {
        obs *o = &oa->grp[g];
        const double *m = cs_test_measures(r, g);
        double inc = m[CS_M_INCIDENTS];
        for (size_t i = 0; i < r->dims.n_stages; i++)
            o->visits[o->n][i] = (double)r->stage_entries[g * r->dims.n_stages + i] / inc;
        for (size_t i = 0; i < r->dims.n_outcomes; i++)
            o->outcomes[o->n][i] = (double)r->outcome_counts[g * r->dims.n_outcomes + i] / inc;
        o->acc[o->n] = m[CS_M_ACCOUNTABILITY];
        o->red[o->n] = m[CS_M_REDRESS];
        o->wrong[o->n] = m[CS_M_WRONGFUL_SANCTION];
        o->pending[o->n] = m[CS_M_PENDING];
        o->n++;
    }
}

/* The z-score of the replicate mean of x[] against the exact value. */
static double zscore(const double *x, size_t n, double exact_value)
{
    double mean, se;
    cs_test_mean_se(x, n, &mean, &se);
    return (mean - exact_value) / se;
}

/* Counts comparisons with |z| > Z_MAX for group g against ex; writes the
 * largest |z| to *zmax. */
static int count_failures(const cs_scenario *s, const obs *o, const cs_exact *ex, double *zmax)
{
    int fails = 0;
    double col[N_REP];
    *zmax = 0.0;
#define CHECK_Z(z_)                                                                                \
    do {                                                                                           \
        double z__ = fabs(z_);                                                                     \
        if (z__ > *zmax)                                                                           \
            *zmax = z__;                                                                           \
        fails += z__ > Z_MAX;                                                                      \
    } while (0)
    for (size_t i = 1; i < s->n_stages; i++) { /* stage 0 (the entry) is visited exactly once */
        for (size_t r = 0; r < o->n; r++)
            col[r] = o->visits[r][i];
        CHECK_Z(zscore(col, o->n, ex->visits[i]));
    }
    for (size_t k = 0; k < s->n_outcomes; k++) {
        for (size_t r = 0; r < o->n; r++)
            col[r] = o->outcomes[r][k];
        CHECK_Z(zscore(col, o->n, ex->outcomes[k]));
    }
    /* Accountability and redress outcomes lie on one track each (no fork
     * below them), so at most one per case: rates equal expected counts. */
    CHECK_Z(zscore(o->acc, o->n, ex->acc_wf));
    CHECK_Z(zscore(o->red, o->n, ex->red_wf));
    CHECK_Z(zscore(o->wrong, o->n, ex->acc_unf));
#undef CHECK_Z
    return fails;
}

START_TEST(fork_chain_matches_fundamental_matrix)
{
    cs_scenario *s = cs_test_scenario(FORK_YAML);
    obs_all *oa = calloc(1, sizeof *oa);
    oa->grp[1].g = 1;
    cs_test_run_variant(s, 0, 20240601, N_REP, false, collect, oa);
    for (size_t g = 0; g < 2; g++) {
        const obs *o = &oa->grp[g];
        for (size_t r = 0; r < o->n; r++)
            ck_assert_double_eq(o->pending[r], 0.0); /* long follow-up: every case ended */
        cs_exact ex;
        cs_exact_for(s, g, CS_EXACT_ALL_KINDS, false, &ex);
        double zmax;
        int fails = count_failures(s, o, &ex, &zmax);
        ck_assert_msg(fails == 0, "group %zu: %d comparisons beyond %.0f SE (max |z| = %.2f)", g,
                      fails, Z_MAX, zmax);
        /* Power: the same comparison against a deliberately wrong model (the
         * unfounded odds ratios inverted) must fail. */
        cs_exact wrong;
        cs_exact_for(s, g, CS_EXACT_ALL_KINDS, true, &wrong);
        fails = count_failures(s, o, &wrong, &zmax);
        ck_assert_msg(fails > 0, "group %zu: a wrong model was not detected (max |z| = %.2f)", g,
                      zmax);
    }
    free(oa);
    cs_scenario_free(s);
}
END_TEST

/* ---- branch semantics, incident by incident ------------------------------------- */

static const char *BRANCH_YAML = "casesim: 1\n"
                                 "name: branches\n"
                                 "time: {warmup_years: 0, cohort_years: 1, follow_up_years: 0.1}\n"
                                 "run: {replicates: 1, seed: 3}\n"
                                 "groups:\n"
                                 "  - {name: a, incidents_per_year: 30000}\n"
                                 "  - {name: b, incidents_per_year: 30000}\n"
                                 "violations:\n"
                                 "  - {name: x, share: {a: 0.5, b: 0.5}, well_founded: 0.6}\n"
                                 "  - {name: y, share: {a: 0.5, b: 0.5}, well_founded: 0.3}\n"
                                 "evidence:\n"
                                 "  well_founded: {beta: [2, 2]}\n"
                                 "  unfounded: {beta: [1, 3]}\n"
                                 "stages:\n"
                                 "  - name: plain\n"
                                 "    entry: true\n"
                                 "    branches:\n"
                                 "      - to: modified\n"
                                 "        p: {a: 0.1, b: 0.25}\n"
                                 "      - to: o2\n"
                                 "        p: 0.2\n"
                                 "      - to: o3\n"
                                 "        p: {a: 0.3, b: 0.05}\n"
                                 "      - to: o4\n"
                                 "  - name: modified\n"
                                 "    branches:\n"
                                 "      - to: m1\n"
                                 "        p: {a: 0.2, b: 0.1}\n"
                                 "        evidence_slope: 2.5\n"
                                 "        unfounded_odds_ratio: 0.4\n"
                                 "        kind_odds_ratio: {y: 3.0}\n"
                                 "      - to: m2\n"
                                 "        p: 0.3\n"
                                 "        evidence_slope: -1.5\n"
                                 "      - to: m3\n"
                                 "outcomes:\n"
                                 "  o2: {}\n"
                                 "  o3: {}\n"
                                 "  o4: {}\n"
                                 "  m1: {accountability: criminal}\n"
                                 "  m2: {}\n"
                                 "  m3: {}\n";

typedef struct branch_ctx {
    const cs_scenario *s;
    /* plain stage: counts per group and branch */
    double plain_n[2], plain_hits[2][4];
    /* modified stage: sum over cases of (indicator - P) and of P(1 - P) */
    double dev[3], var[3];
    size_t cases;
} branch_ctx;

static void branch_collect(void *ctx, const cs_replicate_result *r)
{
    branch_ctx *bc = ctx;
    const cs_scenario *s = bc->s;
    long o_m[3] = {cs_scenario_find_outcome(s, "m1"), cs_scenario_find_outcome(s, "m2"),
                   cs_scenario_find_outcome(s, "m3")};
    long o_plain[3] = {cs_scenario_find_outcome(s, "o2"), cs_scenario_find_outcome(s, "o3"),
                       cs_scenario_find_outcome(s, "o4")};
    for (size_t i = 0; i < r->n_cases; i++) {
        const cs_case_record *c = &r->cases[i];
        ck_assert(!isnan(c->end_day));
        bc->plain_n[c->group] += 1.0;
        bool modified = true;
        for (int j = 0; j < 3; j++)
            if (c->outcome_mask & (UINT64_C(1) << o_plain[j])) {
                bc->plain_hits[c->group][j + 1] += 1.0;
                modified = false;
            }
        if (!modified)
            continue;
        bc->plain_hits[c->group][0] += 1.0;
        double P[CS_MAX_BRANCHES];
        cs_exact_branch_probs(s, 1, c->group, c->violation, c->well_founded, c->evidence, false, P);
        for (int j = 0; j < 3; j++) {
            double hit = (c->outcome_mask & (UINT64_C(1) << o_m[j])) ? 1.0 : 0.0;
            bc->dev[j] += hit - P[j];
            bc->var[j] += P[j] * (1.0 - P[j]);
        }
        bc->cases++;
    }
}

START_TEST(branch_probabilities_follow_the_logit_rule)
{
    cs_scenario *s = cs_test_scenario(BRANCH_YAML);
    branch_ctx *bc = calloc(1, sizeof *bc);
    bc->s = s;
    cs_test_run_variant(s, 0, 99, 2, true, branch_collect, bc);
    /* Without modifiers the frequencies are p_k (binomial SE under the exact p). */
    const double p[2][4] = {{0.1, 0.2, 0.3, 0.4}, {0.25, 0.2, 0.05, 0.5}};
    for (int g = 0; g < 2; g++)
        for (int j = 0; j < 4; j++) {
            double n = bc->plain_n[g], f = bc->plain_hits[g][j] / n;
            double se = sqrt(p[g][j] * (1 - p[g][j]) / n);
            ck_assert_msg(fabs(f - p[g][j]) <= Z_MAX * se, "group %d branch %d: %g vs p = %g", g, j,
                          f, p[g][j]);
        }
    /* With modifiers, given each case's kind, merit and evidence (from its
     * case record), hits - sum P has mean 0 and variance sum P (1 - P). */
    ck_assert(bc->cases > 5000);
    for (int j = 0; j < 3; j++) {
        double z = bc->dev[j] / sqrt(bc->var[j]);
        ck_assert_msg(fabs(z) <= Z_MAX, "modified branch %d: z = %g", j, z);
    }
    free(bc);
    cs_scenario_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engine_exact");
    TCase *tc = tcase_create("exact");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, fork_chain_matches_fundamental_matrix);
    tcase_add_test(tc, branch_probabilities_follow_the_logit_rule);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
