/*
 * test_disparity.c — where the disparity arises, against exact answers.
 *
 * In a capacity-free scenario (no staff, no deadlines) the expected number
 * of a group's tracks entering a stage and taking each of its branches is
 * given by the absorbing chain (support/exact_chain.c), so the relative
 * rate of a branch is exactly ratio of (flow / visits) of the group to the
 * reference group's; the "only this stage equalised" variants' rates are
 * the exact answers of the scenario with that stage's `p` equalised by
 * hand. The Shapley shares must add up to the processing change in every
 * replicate, and equal the shares computed here over all orders; a
 * scenario without group differences gives relative rates of 1 and an
 * empty decomposition; rates per population are rate x share / population;
 * and nothing depends on the number of threads.
 *
 * The tables are computed by cs_disparity_compute from arrays held in
 * memory (no HDF5). Tolerances: |z| <= 4 with the standard error from the
 * spread of 20 replicates (t with 19 degrees of freedom: P(|t| > 4) < 0.1%),
 * or from the tables' own delta-method intervals (half-width / t_{0.975,19});
 * sums that hold by construction to rounding (1e-12).
 */
#include <check.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/stats.h"
#include "exact_chain.h"
#include "results/disparity.h"
#include "sim_support.h"

#define N_REP 20
#define Z_MAX 4.0

/* The exact scenario; the three per-group `p` (report, investigation,
 * civil_claim) are placeholders, so that a stage can be equalised by hand. */
static const char *EXACT_FMT =
    "casesim: 1\n"
    "name: disparity-exact\n"
    "time: {warmup_years: 0.5, cohort_years: 1, follow_up_years: 4}\n"
    "run: {replicates: 20, seed: 11}\n"
    "groups:\n"
    "  - {name: reference, incidents_per_year: 6000}\n"
    "  - {name: african_descent, incidents_per_year: 4000}\n"
    "violations:\n"
    "  - {name: death, share: {reference: 0.2, african_descent: 0.3}, well_founded: 0.7}\n"
    "  - {name: force, share: {reference: 0.8, african_descent: 0.7}, well_founded: 0.4}\n"
    "evidence:\n"
    "  well_founded: {beta: [3, 2]}\n"
    "  unfounded: {beta: [2, 4]}\n"
    "stages:\n"
    "  - name: report\n"
    "    entry: true\n"
    "    branches:\n"
    "      - {to: intake, p: %s, unfounded_odds_ratio: 0.5}\n"
    "      - {to: never_reported}\n"
    "  - name: intake\n"
    "    duration: {exponential: {mean: 5}}\n"
    "    branches:\n"
    "      - {to: [investigation, civil_claim], p: 0.7, evidence_slope: 1.0}\n"
    "      - {to: inadmissible}\n"
    "  - name: investigation\n"
    "    duration: {gamma: {mean: 30, cv: 0.5}}\n"
    "    branches:\n"
    "      - to: trial\n"
    "        p: %s\n"
    "        evidence_slope: 3.0\n"
    "        unfounded_odds_ratio: 0.3\n"
    "        kind_odds_ratio: {death: 2.0}\n"
    "      - {to: discipline, p: 0.2, evidence_slope: -1.0}\n"
    "      - {to: unsubstantiated}\n"
    "  - name: trial\n"
    "    branches:\n"
    "      - {to: convicted, p: 0.4, evidence_slope: 2.0, unfounded_odds_ratio: 0.2}\n"
    "      - {to: acquitted}\n"
    "  - name: discipline\n"
    "    branches:\n"
    "      - {to: disciplined, p: 0.5, kind_odds_ratio: {force: 0.5}}\n"
    "      - {to: no_sanction}\n"
    "  - name: civil_claim\n"
    "    duration: {lognormal: {median: 40, p90: 80}}\n"
    "    branches:\n"
    "      - {to: compensated, p: %s, evidence_slope: 2.0}\n"
    "      - {to: claim_rejected}\n"
    "outcomes:\n"
    "  never_reported: {}\n"
    "  inadmissible: {}\n"
    "  unsubstantiated: {}\n"
    "  convicted: {accountability: criminal}\n"
    "  acquitted: {}\n"
    "  disciplined: {accountability: disciplinary}\n"
    "  no_sanction: {}\n"
    "  compensated: {redress: true}\n"
    "  claim_rejected: {}\n";

/* The three `p`, by group or (equalised) the reference group's. */
static const char *P_GROUP[3] = {"{reference: 0.6, african_descent: 0.45}",
                                 "{reference: 0.3, african_descent: 0.2}",
                                 "{reference: 0.3, african_descent: 0.25}"};
static const char *P_EQUAL[3] = {"0.6", "0.3", "0.3"};
static const char *DECOMPOSED[3] = {"report", "investigation", "civil_claim"};

/* The exact scenario with the stages of mask `equal` (bit j: DECOMPOSED[j])
 * equalised by hand. */
static cs_scenario *exact_scenario(unsigned equal)
{
    char text[4096];
    snprintf(text, sizeof text, EXACT_FMT, (equal & 1) ? P_EQUAL[0] : P_GROUP[0],
             (equal & 2) ? P_EQUAL[1] : P_GROUP[1], (equal & 4) ? P_EQUAL[2] : P_GROUP[2]);
    return cs_test_scenario(text);
}

/* ------------------------------------------------ runs held in memory */

static const int ARRAYS[4] = {CS_ARRAY_measures, CS_ARRAY_stage_entries, CS_ARRAY_branch_counts,
                              CS_ARRAY_kind_measures};

/* The four arrays the tables read, of every (variant, replicate). */
typedef struct mem {
    size_t V;
    uint64_t R;
    size_t per[4]; /* elements per replicate of each */
    void *data[4]; /* [V][R][per] */
} mem;

static void mem_init(mem *m, const cs_scenario *s, uint64_t R)
{
    cs_result_dims d;
    cs_result_dims_of(s, &d);
    m->V = s->n_variants;
    m->R = R;
    for (int a = 0; a < 4; a++) {
        const cs_schema_array *sa = &cs_schema_arrays[ARRAYS[a]];
        ck_assert(cs_schema_array_count(sa, &d, &m->per[a]));
        m->data[a] = calloc(m->V * R * m->per[a], sa->size);
        ck_assert_ptr_nonnull(m->data[a]);
    }
}

static void mem_free(mem *m)
{
    for (int a = 0; a < 4; a++)
        free(m->data[a]);
}

static void *mem_at(const mem *m, int a, size_t v, uint64_t r)
{
    size_t size = cs_schema_arrays[ARRAYS[a]].size;
    return (char *)m->data[a] + ((v * m->R + r) * m->per[a]) * size;
}

static void collect(void *ctx, const cs_replicate_result *r)
{
    mem *m = ctx;
    for (int a = 0; a < 4; a++)
        memcpy(mem_at(m, a, r->variant, r->replicate),
               cs_schema_array_cdata(&cs_schema_arrays[ARRAYS[a]], r),
               m->per[a] * cs_schema_arrays[ARRAYS[a]].size);
}

/* Runs the variants of s listed (all when n == 0) into m. */
static void run_into(const cs_scenario *s, mem *m, uint64_t seed)
{
    for (size_t v = 0; v < s->n_variants; v++)
        cs_test_run_variant(s, v, seed, m->R, false, collect, m);
}

static int load(void *ctx, size_t v, int array, uint64_t first, uint64_t n, void *buf,
                cs_error *err)
{
    (void)err;
    const mem *m = ctx;
    for (int a = 0; a < 4; a++)
        if (ARRAYS[a] == array)
            memcpy(buf, mem_at(m, a, v, first), n * m->per[a] * cs_schema_arrays[array].size);
    return CS_OK;
}

/* ------------------------------------------------ the tables' input */

typedef struct names {
    char measure_text[64][160];
    const char *measures[64], *groups[CS_MAX_GROUPS], *stages[CS_MAX_STAGES];
    const char *violations[CS_MAX_VIOLATIONS], *branches[1024], *variants[1024];
    char branch_text[1024][48]; /* "STAGE.BRANCH": two size_t and a dot */
    size_t branch_stage[1024];
    bool decomposition[1024];
    uint64_t equalised[1024];
    double population[1024 * CS_MAX_GROUPS];
} names;

static void input_of(const cs_scenario *s, const mem *m, names *nm, cs_disparity_input *in)
{
    cs_result_dims d;
    cs_result_dims_of(s, &d);
    for (size_t i = 0; i < d.n_measures; i++)
        nm->measures[i] = cs_measure_name(s, i, nm->measure_text[i], sizeof nm->measure_text[i]);
    for (size_t g = 0; g < s->n_groups; g++)
        nm->groups[g] = s->groups[g].name;
    for (size_t k = 0; k < s->n_violations; k++)
        nm->violations[k] = s->violations[k].name;
    size_t b = 0;
    for (size_t i = 0; i < s->n_stages; i++) {
        nm->stages[i] = s->stages[i].name;
        for (size_t j = 0; j < s->stages[i].n_branches; j++, b++) {
            snprintf(nm->branch_text[b], sizeof nm->branch_text[b], "%zu.%zu", i, j);
            nm->branches[b] = nm->branch_text[b];
            nm->branch_stage[b] = i;
        }
    }
    for (size_t v = 0; v < s->n_variants; v++) {
        nm->variants[v] = s->variants[v].name;
        nm->decomposition[v] = s->variants[v].kind == CS_VARIANT_DECOMPOSITION;
        nm->equalised[v] = s->variants[v].equalised;
        for (size_t g = 0; g < s->n_groups; g++)
            nm->population[v * s->n_groups + g] = s->variants[v].scenario->groups[g].population;
    }
    *in = (cs_disparity_input){.n_groups = s->n_groups,
                               .n_stages = s->n_stages,
                               .n_branches = b,
                               .n_violations = s->n_violations,
                               .n_measures = d.n_measures,
                               .groups = nm->groups,
                               .stages = nm->stages,
                               .branches = nm->branches,
                               .violations = nm->violations,
                               .measures = nm->measures,
                               .branch_stage = nm->branch_stage,
                               .n_variants = s->n_variants,
                               .variants = nm->variants,
                               .decomposition = nm->decomposition,
                               .equalised = nm->equalised,
                               .population = s->groups[0].population > 0 ? nm->population : NULL,
                               .cohort_years = s->cohort_years,
                               .replicates = m->R,
                               .has_decomposition = s->has_decomposition,
                               .n_decomposed = s->n_decomposed,
                               .decomposed = s->decomposed,
                               .n_orders = s->n_permutations,
                               .orders = s->permutations,
                               .load = load,
                               .ctx = (void *)m};
}

/* The tables of s run into m (every variant). */
static void tables_of(const cs_scenario *s, const mem *m, cs_disparity_tables *t)
{
    names *nm = calloc(1, sizeof *nm);
    cs_disparity_input in;
    input_of(s, m, nm, &in);
    cs_error err;
    cs_error_clear(&err);
    int st = cs_disparity_compute(&in, t, &err);
    ck_assert_msg(st == CS_OK, "tables: %s", err.text);
    free(nm);
}

/* The standard error behind a t interval [lo, hi] of N_REP replicates. */
static double se_of(double lo, double hi)
{
    return (hi - lo) / (2.0 * cs_stats_t_critical(CS_STATS_LEVEL, N_REP - 1));
}

/* --------------------------------------------------- relative rates */

/* Branches whose relative rate is beyond Z_MAX standard errors (log scale)
 * from the exact one of ex1 / ex0; the largest |z| into *zmax. */
static int rate_failures(const cs_scenario *s, const cs_disparity_tables *t, const cs_exact *ex0,
                         const cs_exact *ex1, double *zmax)
{
    int fails = 0;
    size_t b = 0, B = t->n_relative / 2;
    *zmax = 0.0;
    for (size_t i = 0; i < s->n_stages; i++)
        for (size_t j = 0; j < s->stages[i].n_branches; j++, b++) {
            const cs_relative_rate_row *r = &t->relative[B + b]; /* group 1 */
            double exact = (ex1->flow[i][j] / ex1->visits[i]) / (ex0->flow[i][j] / ex0->visits[i]);
            double z = (log(r->ratio) - log(exact)) /
                       (log(r->ratio_ci_high / r->ratio_ci_low) /
                        (2.0 * cs_stats_t_critical(CS_STATS_LEVEL, N_REP - 1)));
            *zmax = fabs(z) > *zmax ? fabs(z) : *zmax;
            fails += fabs(z) > Z_MAX;
        }
    return fails;
}

START_TEST(relative_rates_are_ratios_of_exact_branch_probabilities)
{
    cs_scenario *s = exact_scenario(0);
    mem m = {0};
    mem_init(&m, s, N_REP);
    run_into(s, &m, 2024);
    cs_disparity_tables t;
    tables_of(s, &m, &t);
    ck_assert_uint_eq(t.n_relative, 2 * cs_scenario_n_branches(s));
    cs_exact ex0, ex1, wrong0, wrong1;
    cs_exact_for(s, 0, CS_EXACT_ALL_KINDS, false, &ex0);
    cs_exact_for(s, 1, CS_EXACT_ALL_KINDS, false, &ex1);
    double zmax;
    int fails = rate_failures(s, &t, &ex0, &ex1, &zmax);
    ck_assert_msg(fails == 0, "%d relative rates beyond %g SE (max |z| %.2f)", fails, Z_MAX, zmax);
    /* The reference group's own rates, and its ratio 1. */
    size_t b = 0;
    for (size_t i = 0; i < s->n_stages; i++)
        for (size_t j = 0; j < s->stages[i].n_branches; j++, b++) {
            const cs_relative_rate_row *r = &t.relative[b];
            double exact = ex0.flow[i][j] / ex0.visits[i];
            ck_assert_msg(fabs(r->rate - exact) <= Z_MAX * se_of(r->rate_ci_low, r->rate_ci_high),
                          "branch %zu: rate %g, exact %g", b, r->rate, exact);
            ck_assert(r->ratio == 1.0 && r->ratio_ci_low == 1.0);
        }
    /* Power: the same comparison with the unfounded odds ratios inverted fails. */
    cs_exact_for(s, 0, CS_EXACT_ALL_KINDS, true, &wrong0);
    cs_exact_for(s, 1, CS_EXACT_ALL_KINDS, true, &wrong1);
    ck_assert(rate_failures(s, &t, &wrong0, &wrong1, &zmax) > 0);
    cs_disparity_rows_free(&t);
    mem_free(&m);
    cs_scenario_free(s);
}
END_TEST

/* ---------------------------------------------------- the decomposition */

static void decompose(cs_scenario *s)
{
    cs_error err;
    cs_error_clear(&err);
    ck_assert_msg(cs_scenario_decompose(s, &err) == CS_OK, "%s", err.text);
}

/* Per-replicate accountability (redress) rates of group g of variant v. */
static void rates_of(const mem *m, size_t v, size_t g, int measure, double *out)
{
    for (uint64_t r = 0; r < m->R; r++) {
        const double *x = mem_at(m, 0, v, r);
        out[r] = x[g * (m->per[0] / 3) + (size_t)measure];
    }
}

START_TEST(only_this_stage_matches_the_stage_equalised_by_hand)
{
    cs_scenario *s = exact_scenario(0);
    decompose(s);
    ck_assert_uint_eq(s->n_decomposed, 3);
    ck_assert_uint_eq(s->n_variants, 1 + 7);
    mem m = {0};
    mem_init(&m, s, N_REP);
    for (unsigned j = 0; j < 3; j++) {
        char name[64];
        snprintf(name, sizeof name, "equalised_only_%s", DECOMPOSED[j]);
        long v = cs_scenario_find_variant(s, name);
        ck_assert_msg(v > 0, "no variant %s", name);
        cs_scenario *hand = exact_scenario(1u << j);
        const cs_scenario *vs = s->variants[v].scenario;
        for (size_t i = 0; i < s->n_stages; i++) /* the same p as by hand, bit for bit */
            for (size_t b = 0; b < s->stages[i].n_branches; b++)
                ck_assert(memcmp(vs->stages[i].branches[b].p_kg, hand->stages[i].branches[b].p_kg,
                                 s->n_violations * s->n_groups * sizeof(double)) == 0);
        cs_test_run_variant(s, (size_t)v, 99, N_REP, false, collect, &m);
        int fails = 0, power = 0;
        for (size_t g = 0; g < 2; g++) {
            cs_exact ex, base;
            cs_exact_for(hand, g, CS_EXACT_ALL_KINDS, false, &ex);
            cs_exact_for(s, g, CS_EXACT_ALL_KINDS, false, &base);
            double x[N_REP], mean, se;
            const double want[2] = {ex.acc_wf, ex.red_wf}, unequal[2] = {base.acc_wf, base.red_wf};
            const int meas[2] = {CS_M_ACCOUNTABILITY, CS_M_REDRESS};
            for (int k = 0; k < 2; k++) {
                rates_of(&m, (size_t)v, g, meas[k], x);
                cs_test_mean_se(x, N_REP, &mean, &se);
                fails += fabs(mean - want[k]) > Z_MAX * se;
                power += fabs(mean - unequal[k]) > Z_MAX * se;
            }
        }
        ck_assert_msg(fails == 0, "%s differs from the exact answer", name);
        /* Power: the baseline's exact answer is not the variant's. */
        ck_assert_msg(power > 0, "%s cannot be told from the baseline", name);
        cs_scenario_free(hand);
    }
    mem_free(&m);
    cs_scenario_free(s);
}
END_TEST

/* Player j's share over all orders of m players from per-replicate values
 * v[mask] (masks over positions), by the definition (independently of the
 * library's coefficients). */
static double shapley_by_orders(size_t m, size_t j, const double *v)
{
    double sum = 0.0, count = 0.0;
    size_t order[8];
    for (size_t i = 0; i < m; i++)
        order[i] = i;
    for (;;) { /* every permutation, in lexicographic order */
        uint64_t before = 0;
        for (size_t i = 0; i < m && order[i] != j; i++)
            before |= UINT64_C(1) << order[i];
        sum += v[before | UINT64_C(1) << j] - v[before];
        count += 1.0;
        size_t i = m - 1;
        while (i > 0 && order[i - 1] >= order[i])
            i--;
        if (i == 0)
            break;
        size_t k = m - 1;
        while (order[k] <= order[i - 1])
            k--;
        size_t tmp = order[i - 1];
        order[i - 1] = order[k];
        order[k] = tmp;
        for (size_t a = i, c = m - 1; a < c; a++, c--) {
            tmp = order[a];
            order[a] = order[c];
            order[c] = tmp;
        }
    }
    return sum / count;
}

/* The row of (group, measure, quantity, stage). */
static const cs_decomposition_row *part(const cs_disparity_tables *t, const char *measure,
                                        const char *quantity, const char *stage)
{
    for (size_t i = 0; i < t->n_decomposition; i++) {
        const cs_decomposition_row *d = &t->decomposition[i];
        if (!strcmp(d->measure, measure) && !strcmp(d->quantity, quantity) &&
            !strcmp(d->stage, stage))
            return d;
    }
    ck_abort_msg("no row %s %s %s", measure, quantity, stage);
    return NULL;
}

START_TEST(shapley_shares_add_up_in_every_replicate)
{
    cs_scenario *s = exact_scenario(0);
    decompose(s);
    mem m = {0};
    mem_init(&m, s, 6);
    run_into(s, &m, 7);
    cs_disparity_tables t;
    tables_of(s, &m, &t);
    size_t M = m.per[0] / 3; /* measures per group row */
    for (int k = 0; k < CS_DISPARITY_N_MEASURES; k++) {
        const char *name = cs_measure_table[cs_disparity_measures[k]].name;
        const cs_decomposition_row *proc = part(&t, name, "processing", "");
        /* By construction, to rounding: values are O(1), at most 8 terms. */
        ck_assert_msg(proc->additivity_error <= 1e-12, "%s: %g", name, proc->additivity_error);
        /* The value of each subset: a difference's mean over replicates; a
         * ratio's ratio of the two groups' mean rates (the ratio of means,
         * not the mean of the replicates' ratios). */
        int rate = cs_measure_ratio_of((size_t)cs_disparity_measures[k]);
        double v[8], sum_shares = 0.0;
        for (size_t T = 0; T < 8; T++) {
            uint64_t eq = 0;
            for (size_t j = 0; j < 3; j++)
                if (T >> j & 1)
                    eq |= UINT64_C(1) << s->decomposed[j];
            size_t var = 0;
            for (size_t x = 0; x < s->n_variants; x++)
                if (s->variants[x].equalised == eq && (eq || x == 0))
                    var = x;
            double num = 0.0, den = 0.0;
            for (uint64_t r = 0; r < 6; r++) {
                const double *x = mem_at(&m, 0, var, r);
                num += rate < 0 ? x[M + (size_t)cs_disparity_measures[k]] : x[M + (size_t)rate];
                den += rate < 0 ? 1.0 : x[(size_t)rate];
            }
            v[T] = num / den;
        }
        for (size_t j = 0; j < 3; j++) {
            double share = shapley_by_orders(3, j, v);
            const cs_decomposition_row *sh = part(&t, name, "shapley", DECOMPOSED[j]);
            ck_assert_msg(fabs(sh->mean - share) <= 1e-12, "%s %s: %g vs %g", name, DECOMPOSED[j],
                          sh->mean, share);
            sum_shares += sh->mean;
        }
        ck_assert_double_eq_tol(sum_shares, proc->mean, 1e-12);
    }
    cs_disparity_rows_free(&t);
    mem_free(&m);
    cs_scenario_free(s);
}
END_TEST

/* A chain of nine stages, each treating the groups differently: more than
 * CS_DECOMPOSE_EXACT_MAX, so the shares come from sampled orders. */
static cs_scenario *nine_stages(void)
{
    char text[8192];
    size_t o = (size_t)snprintf(text, sizeof text,
                                "casesim: 1\nname: nine\n"
                                "time: {warmup_years: 0, cohort_years: 1, follow_up_years: 1}\n"
                                "run: {seed: 3}\ngroups:\n"
                                "  - {name: a, incidents_per_year: 400}\n"
                                "  - {name: b, incidents_per_year: 400}\n"
                                "violations: [{name: x, share: 1, well_founded: 0.6}]\n"
                                "stages:\n");
    for (int i = 0; i < 9; i++)
        o += (size_t)snprintf(text + o, sizeof text - o,
                              "  - name: s%d\n%s    branches:\n"
                              "      - {to: %s%d, p: {a: 0.9, b: %.2f}}\n"
                              "      - {to: %s}\n",
                              i, i == 0 ? "    entry: true\n" : "", i < 8 ? "s" : "won",
                              i < 8 ? i + 1 : 0, 0.8 - 0.02 * i, i < 8 ? "lost" : "lost");
    snprintf(text + o, sizeof text - o,
             "outcomes:\n  won0: {accountability: criminal}\n  lost: {redress: true}\n");
    return cs_test_scenario(text);
}

START_TEST(sampled_shares_add_up_and_state_their_error)
{
    cs_scenario *s = nine_stages();
    decompose(s);
    ck_assert_uint_eq(s->n_decomposed, 9);
    ck_assert(s->n_permutations >= 2 && s->n_permutations <= CS_DECOMPOSE_PERMUTATIONS);
    ck_assert(s->n_variants - 1 <= CS_MAX_DECOMPOSITION);
    for (size_t k = 0; k < s->n_permutations; k++) { /* each order a permutation */
        uint64_t seen = 0;
        for (size_t j = 0; j < 9; j++)
            seen |= UINT64_C(1) << s->permutations[k * 9 + j];
        ck_assert_uint_eq(seen, 0x1ff);
    }
    mem m = {0};
    mem_init(&m, s, 3);
    run_into(s, &m, 5);
    cs_disparity_tables t;
    tables_of(s, &m, &t); /* fails if a prefix of an order has no variant */
    const char *name = cs_measure_table[CS_M_ACCOUNTABILITY_DIFF].name;
    const cs_decomposition_row *proc = part(&t, name, "processing", "");
    ck_assert_msg(proc->additivity_error <= 1e-12, "%g", proc->additivity_error);
    double sum = 0.0, se = 0.0;
    for (size_t j = 0; j < 9; j++) {
        char stage[8];
        snprintf(stage, sizeof stage, "s%zu", j);
        sum += part(&t, name, "shapley", stage)->mean;
        se += part(&t, name, "shapley", stage)->sampling_se;
    }
    ck_assert_double_eq_tol(sum, proc->mean, 1e-12);
    ck_assert(se > 0.0); /* sampled: an error is stated */
    cs_disparity_rows_free(&t);
    mem_free(&m);
    cs_scenario_free(s);
}
END_TEST

/* -------------------------------------------- no group differences */

static const char *SAME_YAML =
    "casesim: 1\nname: same\n"
    "time: {warmup_years: 0, cohort_years: 1, follow_up_years: 2}\n"
    "groups:\n"
    "  - {name: reference, incidents_per_year: 5000}\n"
    "  - {name: other, incidents_per_year: 2000}\n"
    "violations:\n"
    "  - {name: death, share: 0.1, well_founded: 0.8}\n"
    "  - {name: force, share: 0.9, well_founded: 0.4}\n"
    "stages:\n"
    "  - name: report\n    entry: true\n    branches:\n"
    "      - {to: review, p: 0.5, unfounded_odds_ratio: 0.5}\n"
    "      - {to: unreported}\n"
    "  - name: review\n    branches:\n"
    "      - {to: [sanction, claim], p: 0.3, evidence_slope: 2, kind_odds_ratio: {death: 3}}\n"
    "      - {to: dismissed}\n"
    "  - name: sanction\n    branches:\n      - {to: sanctioned, p: 0.6}\n      - {to: cleared}\n"
    "  - name: claim\n    branches:\n      - {to: paid, p: 0.4}\n      - {to: refused}\n"
    "outcomes:\n  unreported: {}\n  dismissed: {}\n  sanctioned: {accountability: d}\n"
    "  cleared: {}\n  paid: {redress: true}\n  refused: {}\n";

START_TEST(no_group_differences_give_ratios_of_one_and_no_decomposition)
{
    cs_scenario *s = cs_test_scenario(SAME_YAML);
    decompose(s);
    ck_assert(s->has_decomposition);
    ck_assert_uint_eq(s->n_decomposed, 0);
    ck_assert_uint_eq(s->n_variants, 1);
    mem m = {0};
    mem_init(&m, s, N_REP);
    run_into(s, &m, 31);
    cs_disparity_tables t;
    tables_of(s, &m, &t);
    size_t B = cs_scenario_n_branches(s);
    for (size_t b = 0; b < B; b++) {
        const cs_relative_rate_row *r = &t.relative[B + b];
        double se = log(r->ratio_ci_high / r->ratio_ci_low) /
                    (2.0 * cs_stats_t_critical(CS_STATS_LEVEL, N_REP - 1));
        ck_assert_msg(fabs(log(r->ratio)) <= Z_MAX * se, "branch %zu: ratio %g", b, r->ratio);
    }
    /* An empty decomposition: the whole quantities only, nothing processed. */
    ck_assert_uint_eq(t.n_decomposition, CS_DISPARITY_N_MEASURES * 4);
    for (int k = 0; k < CS_DISPARITY_N_MEASURES; k++) {
        const char *name = cs_measure_table[cs_disparity_measures[k]].name;
        ck_assert_double_eq(part(&t, name, "processing", "")->mean, 0.0);
        ck_assert_double_eq(part(&t, name, "baseline", "")->mean,
                            part(&t, name, "all_equalised", "")->mean);
    }
    cs_disparity_rows_free(&t);
    mem_free(&m);
    cs_scenario_free(s);
}
END_TEST

/* ---------------------------------------------------- per population */

static const char *POP_YAML =
    "casesim: 1\nname: pop\n"
    "time: {warmup_years: 0, cohort_years: 2, follow_up_years: 1}\n"
    "groups:\n"
    "  - {name: white, incidents_per_year: 4000, population: 4.0e7}\n"
    "  - {name: black, incidents_per_year: 1500, population: {value: 2.0e6, source: census}}\n"
    "violations:\n"
    "  - {name: death, share: {white: 0.01, black: 0.02}, well_founded: 0.7}\n"
    "  - {name: force, share: {white: 0.99, black: 0.98}, well_founded: 0.5}\n"
    "stages:\n"
    "  - name: report\n    entry: true\n    branches:\n"
    "      - {to: investigation, p: {white: 0.5, black: 0.3}}\n"
    "      - {to: unreported}\n"
    "  - name: investigation\n    branches:\n"
    "      - {to: sanctioned, p: 0.3}\n      - {to: dismissed}\n"
    "outcomes:\n  unreported: {}\n  dismissed: {}\n  sanctioned: {accountability: d}\n";

static const cs_exposure_row *exposure_row(const cs_disparity_tables *t, const char *group,
                                           const char *measure, const char *violation)
{
    for (size_t i = 0; i < t->n_exposure; i++) {
        const cs_exposure_row *x = &t->exposure[i];
        if (!strcmp(x->group, group) && !strcmp(x->measure, measure) &&
            !strcmp(x->violation, violation))
            return x;
    }
    ck_abort_msg("no exposure row %s %s %s", group, measure, violation);
    return NULL;
}

START_TEST(rates_per_population_are_rate_times_share_over_population)
{
    cs_scenario *s = cs_test_scenario(POP_YAML);
    mem m = {0};
    mem_init(&m, s, N_REP);
    run_into(s, &m, 17);
    cs_disparity_tables t;
    tables_of(s, &m, &t);
    int fails = 0, power = 0;
    for (size_t g = 0; g < 2; g++)
        for (size_t k = 0; k < 2; k++) {
            const cs_group *gr = &s->groups[g];
            double want = gr->incidents_per_year * s->violations[k].share[g] / gr->population * 1e5;
            const cs_exposure_row *x =
                exposure_row(&t, gr->name, "incidents", s->violations[k].name);
            double se = se_of(x->rate_ci_low, x->rate_ci_high);
            fails += fabs(x->rate - want) > Z_MAX * se;
            /* Power: with the other group's share of deaths (half or twice
             * this group's), the comparison fails. */
            double other =
                gr->incidents_per_year * s->violations[k].share[1 - g] / gr->population * 1e5;
            power += k == 0 && fabs(x->rate - other) > Z_MAX * se;
            ck_assert_double_eq(x->population, gr->population);
        }
    ck_assert_int_eq(fails, 0);
    ck_assert_int_eq(power, 2);
    /* The ratio of deaths per population: (1500 x 0.02 / 2e6) / (4000 x 0.01 / 4e7) = 15. */
    const cs_exposure_row *d = exposure_row(&t, "black", "incidents", "death");
    double se = log(d->ratio_ci_high / d->ratio_ci_low) /
                (2.0 * cs_stats_t_critical(CS_STATS_LEVEL, N_REP - 1));
    ck_assert_msg(fabs(log(d->ratio / 15.0)) <= Z_MAX * se, "ratio %g", d->ratio);
    cs_disparity_rows_free(&t);
    mem_free(&m);
    cs_scenario_free(s);
}
END_TEST

/* --------------------------------------------------- thread counts */

typedef struct hash_ctx {
    uint64_t h[64][4]; /* [variant][replicate] */
} hash_ctx;

static int hash_sink(void *ctx, const cs_replicate_result *r, cs_error *err)
{
    (void)err;
    hash_ctx *hc = ctx;
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t k = 0; k < CS_SCHEMA_N_ARRAYS; k++) {
        const cs_schema_array *a = &cs_schema_arrays[k];
        size_t n = 1;
        if (!a->scalar)
            ck_assert(cs_schema_array_count(a, &r->dims, &n));
        const unsigned char *c = cs_schema_array_cdata(a, r);
        for (size_t i = 0; i < n * a->size; i++)
            h = (h ^ c[i]) * UINT64_C(1099511628211);
    }
    hc->h[r->variant][r->replicate] = h;
    return CS_OK;
}

START_TEST(bit_identical_across_thread_counts)
{
    cs_scenario *s = exact_scenario(0);
    decompose(s);
    hash_ctx *one = calloc(1, sizeof *one), *two = calloc(1, sizeof *two);
    cs_error err;
    cs_error_clear(&err);
    for (int threads = 1; threads <= 2; threads++) {
        cs_run_config cfg = {.seed = 5,
                             .n_replicates = 4,
                             .threads = threads,
                             .sink = hash_sink,
                             .sink_ctx = threads == 1 ? one : two};
        ck_assert_msg(cs_sim_run(s, &cfg, &err) == CS_OK, "%s", err.text);
    }
    ck_assert(memcmp(one, two, sizeof *one) == 0);
    ck_assert(one->h[s->n_variants - 1][3] != 0);
    free(one);
    free(two);
    cs_scenario_free(s);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("disparity");
    TCase *tc = tcase_create("disparity");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, relative_rates_are_ratios_of_exact_branch_probabilities);
    tcase_add_test(tc, only_this_stage_matches_the_stage_equalised_by_hand);
    tcase_add_test(tc, shapley_shares_add_up_in_every_replicate);
    tcase_add_test(tc, sampled_shares_add_up_and_state_their_error);
    tcase_add_test(tc, no_group_differences_give_ratios_of_one_and_no_decomposition);
    tcase_add_test(tc, rates_per_population_are_rate_times_share_over_population);
    tcase_add_test(tc, bit_identical_across_thread_counts);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
