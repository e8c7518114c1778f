/*
 * results/disparity.c — the /disparity tables, computed from per-replicate
 * arrays (see results/disparity.h; the method is in analysis/README.md,
 * "Where the disparity arises").
 *
 * Relative rates: for each variant, group and branch, a group's pooled rate
 * of taking the branch among its tracks entering the stage, against the
 * reference group's (casesim/disparity.h). Exposure: counts per 100,000
 * population per year, against the reference group's. Decomposition: every
 * quantity of the table (the baseline's disparity, the disparity with one
 * stage, all but one or all stages equalised, the Shapley shares) is a
 * fixed linear combination of the decomposition variants' per-replicate
 * disparity measures, so each is accumulated replicate by replicate as the
 * variants are read, and summarised over replicates.
 */
#include "results/disparity.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/disparity.h"
#include "casesim/measures.h"
#include "casesim/stats.h"
#include "core/alloc.h"

_Static_assert(CS_DECOMPOSE_EXACT_MAX <= CS_SHAPLEY_EXACT_MAX,
               "exact decompositions are within the exact Shapley coefficients");

const int cs_disparity_measures[CS_DISPARITY_N_MEASURES] = {
    CS_M_ACCOUNTABILITY_RATIO, CS_M_ACCOUNTABILITY_DIFF, CS_M_REDRESS_RATIO, CS_M_REDRESS_DIFF};

/* Bytes of per-replicate data held at once (a block of replicates). */
#define BLOCK_BYTES ((size_t)16 << 20)

/* Replicates per block when one replicate takes `bytes`. */
static uint64_t block_rows(const cs_disparity_input *in, size_t bytes)
{
    uint64_t rows = bytes ? BLOCK_BYTES / bytes : in->replicates;
    if (rows < 1)
        rows = 1;
    return rows < in->replicates ? rows : in->replicates;
}

/* The index of measure m (enum cs_measure) in in's measures, or -1. */
static long measure_index(const cs_disparity_input *in, int m)
{
    for (size_t i = 0; i < in->n_measures; i++)
        if (strcmp(in->measures[i], cs_measure_table[m].name) == 0)
            return (long)i;
    return -1;
}

/* ----------------------------------------------------------- relative rates */

/* The rate sums of variant v's groups and branches into acc[G][B]. */
static int relative_sums(const cs_disparity_input *in, size_t v, cs_rate_acc *acc, cs_error *err)
{
    size_t G1 = in->n_groups + 1, S = in->n_stages, B = in->n_branches;
    uint64_t rows = block_rows(in, G1 * (S + B) * sizeof(int64_t));
    int64_t *ent = cs_xcalloc(rows * G1 * S, sizeof *ent);
    int64_t *cnt = cs_xcalloc(rows * G1 * B, sizeof *cnt);
    int st = ent && cnt ? CS_OK : cs_error_set(err, CS_ENOMEM, "out of memory (/disparity)");
    memset(acc, 0, in->n_groups * B * sizeof *acc);
    for (uint64_t first = 0; first < in->replicates && st == CS_OK; first += rows) {
        uint64_t n = in->replicates - first < rows ? in->replicates - first : rows;
        st = in->load(in->ctx, v, CS_ARRAY_stage_entries, first, n, ent, err);
        if (st == CS_OK)
            st = in->load(in->ctx, v, CS_ARRAY_branch_counts, first, n, cnt, err);
        for (uint64_t r = 0; r < n && st == CS_OK; r++) {
            const int64_t *e = &ent[r * G1 * S], *c = &cnt[r * G1 * B];
            for (size_t g = 0; g < in->n_groups; g++)
                for (size_t b = 0; b < B; b++) {
                    size_t s = in->branch_stage[b];
                    cs_rate_acc_add(&acc[g * B + b], (double)c[g * B + b], (double)e[g * S + s],
                                    (double)c[b], (double)e[s]);
                }
        }
    }
    free(ent);
    free(cnt);
    return st;
}

/* The comparison of acc's group with the reference group; the reference
 * group itself gets ratio 1 and difference 0 exactly (its intervals would
 * otherwise show rounding of zero variance). */
static void compare(const cs_rate_acc *acc, bool reference, cs_rate_comparison *c)
{
    cs_rate_acc_result(acc, CS_STATS_LEVEL, c);
    if (reference && !isnan(c->ratio)) {
        c->ratio_low = c->ratio_high = 1.0;
        c->diff_low = c->diff_high = 0.0;
    }
}

static void relative_row(const cs_disparity_input *in, size_t v, size_t g, size_t b,
                         const cs_rate_acc *acc, cs_relative_rate_row *row)
{
    cs_rate_comparison c;
    compare(acc, g == 0, &c);
    *row = (cs_relative_rate_row){.variant = (char *)in->variants[v],
                                  .group = (char *)in->groups[g],
                                  .stage = (char *)in->stages[in->branch_stage[b]],
                                  .branch = (char *)in->branches[b],
                                  .entries = c.mean_d,
                                  .rate = c.rate,
                                  .rate_ci_low = c.rate_low,
                                  .rate_ci_high = c.rate_high,
                                  .reference_rate = c.reference_rate,
                                  .ratio = c.ratio,
                                  .ratio_ci_low = c.ratio_low,
                                  .ratio_ci_high = c.ratio_high,
                                  .difference = c.diff,
                                  .difference_ci_low = c.diff_low,
                                  .difference_ci_high = c.diff_high,
                                  .n = (int64_t)c.n};
}

/* The variants the rates and the exposure are given for: all but the
 * decomposition's. */
static size_t reported_variants(const cs_disparity_input *in)
{
    size_t n = 0;
    for (size_t v = 0; v < in->n_variants; v++)
        n += !in->decomposition[v];
    return n;
}

static int relative_rates(const cs_disparity_input *in, cs_disparity_tables *out, cs_error *err)
{
    size_t G = in->n_groups, B = in->n_branches;
    cs_rate_acc *acc = cs_xcalloc(G * B, sizeof *acc);
    out->relative = cs_xcalloc(reported_variants(in) * G * B, sizeof *out->relative);
    if (!acc || !out->relative) {
        free(acc);
        return cs_error_set(err, CS_ENOMEM, "out of memory (/disparity)");
    }
    int st = CS_OK;
    for (size_t v = 0; v < in->n_variants && st == CS_OK; v++) {
        if (in->decomposition[v])
            continue;
        st = relative_sums(in, v, acc, err);
        for (size_t g = 0; g < G && st == CS_OK; g++)
            for (size_t b = 0; b < B; b++)
                relative_row(in, v, g, b, &acc[g * B + b], &out->relative[out->n_relative++]);
    }
    free(acc);
    return st;
}

/* ----------------------------------------------------------------- exposure */

/* The counts of exposure: fixed ones, then incidents of each kind. */
enum { EX_INCIDENTS = 0, EX_WELL_FOUNDED, EX_REPORTED, EX_ACCOUNTABLE, EX_IMPUNITY, EX_FIXED };
static const char *const exposure_names[EX_FIXED] = {
    "incidents", "well_founded_incidents", "reported_cases", "accountability_outcomes", "impunity"};

/* Where the exposure counts come from in a block: the cohort measures of
 * all kinds together and of each kind (`kind_measures`, whose incidents
 * measure counts a kind's incidents). */
typedef struct ex_block {
    const double *meas;             /* [n][G1][M] */
    const double *kinds;            /* [n][V][G1][M] */
    long m_inc, m_wf, m_acc, m_rep; /* measure indices */
} ex_block;

/* Count q of group g in replicate r of a block. */
static double exposure_count(const cs_disparity_input *in, const ex_block *x, uint64_t r, size_t g,
                             size_t q)
{
    size_t G1 = in->n_groups + 1, M = in->n_measures;
    const double *m = &x->meas[(r * G1 + g) * M];
    double wf = m[x->m_wf], acc = wf > 0 ? round(m[x->m_acc] * wf) : 0.0;
    switch (q) {
    case EX_INCIDENTS:
        return m[x->m_inc];
    case EX_WELL_FOUNDED:
        return wf;
    case EX_REPORTED: /* a share of the cohort cases: back to their count */
        return m[x->m_inc] > 0 ? round(m[x->m_rep] * m[x->m_inc]) : 0.0;
    case EX_ACCOUNTABLE:
        return acc;
    case EX_IMPUNITY:
        return wf - acc;
    default:
        return x->kinds[((r * in->n_violations + (q - EX_FIXED)) * G1 + g) * M + x->m_inc];
    }
}

/* Adds a block of n replicates of variant v to acc[G][Q] (denominators:
 * people times years over 100,000, constant over replicates). */
static void exposure_add(const cs_disparity_input *in, size_t v, const ex_block *x, uint64_t n,
                         cs_rate_acc *acc)
{
    size_t G = in->n_groups, Q = EX_FIXED + in->n_violations;
    const double *pop = &in->population[v * G];
    double d0 = pop[0] * in->cohort_years / 1e5;
    for (uint64_t r = 0; r < n; r++)
        for (size_t g = 0; g < G; g++)
            for (size_t q = 0; q < Q; q++)
                cs_rate_acc_add(&acc[g * Q + q], exposure_count(in, x, r, g, q),
                                pop[g] * in->cohort_years / 1e5, exposure_count(in, x, r, 0, q),
                                d0);
}

static int exposure_sums(const cs_disparity_input *in, size_t v, const ex_block *ix,
                         cs_rate_acc *acc, cs_error *err)
{
    size_t G1 = in->n_groups + 1, M = in->n_measures, V = in->n_violations;
    uint64_t rows = block_rows(in, (1 + V) * G1 * M * sizeof(double));
    ex_block x = *ix;
    double *meas = cs_xcalloc(rows * G1 * M, sizeof *meas);
    double *kinds = cs_xcalloc(rows * (V ? V : 1) * G1 * M, sizeof *kinds);
    int st = meas && kinds ? CS_OK : cs_error_set(err, CS_ENOMEM, "out of memory");
    x.meas = meas;
    x.kinds = kinds;
    memset(acc, 0, in->n_groups * (EX_FIXED + V) * sizeof *acc);
    for (uint64_t first = 0; first < in->replicates && st == CS_OK; first += rows) {
        uint64_t n = in->replicates - first < rows ? in->replicates - first : rows;
        st = in->load(in->ctx, v, CS_ARRAY_measures, first, n, meas, err);
        if (st == CS_OK && V > 0)
            st = in->load(in->ctx, v, CS_ARRAY_kind_measures, first, n, kinds, err);
        if (st == CS_OK)
            exposure_add(in, v, &x, n, acc);
    }
    free(meas);
    free(kinds);
    return st;
}

static void exposure_row(const cs_disparity_input *in, size_t v, size_t g, size_t q,
                         const cs_rate_acc *acc, cs_exposure_row *row)
{
    cs_rate_comparison c;
    compare(acc, g == 0, &c);
    bool kind = q >= EX_FIXED;
    *row = (cs_exposure_row){.variant = (char *)in->variants[v],
                             .group = (char *)in->groups[g],
                             .measure =
                                 (char *)(kind ? exposure_names[EX_INCIDENTS] : exposure_names[q]),
                             .violation = (char *)(kind ? in->violations[q - EX_FIXED] : ""),
                             .population = in->population[v * in->n_groups + g],
                             .rate = c.rate,
                             .rate_ci_low = c.rate_low,
                             .rate_ci_high = c.rate_high,
                             .ratio = c.ratio,
                             .ratio_ci_low = c.ratio_low,
                             .ratio_ci_high = c.ratio_high,
                             .n = (int64_t)c.n};
}

static int exposure(const cs_disparity_input *in, cs_disparity_tables *out, cs_error *err)
{
    ex_block x = {.m_inc = measure_index(in, CS_M_INCIDENTS),
                  .m_wf = measure_index(in, CS_M_WELL_FOUNDED),
                  .m_acc = measure_index(in, CS_M_ACCOUNTABILITY),
                  .m_rep = measure_index(in, CS_M_REPORTED)};
    if (x.m_inc < 0 || x.m_wf < 0 || x.m_acc < 0 || x.m_rep < 0)
        return cs_error_set(err, CS_EFORMAT, "/scenario/measures lacks the counts of exposure");
    size_t G = in->n_groups, Q = EX_FIXED + in->n_violations;
    cs_rate_acc *acc = cs_xcalloc(G * Q, sizeof *acc);
    out->exposure = cs_xcalloc(reported_variants(in) * G * Q, sizeof *out->exposure);
    if (!acc || !out->exposure) {
        free(acc);
        return cs_error_set(err, CS_ENOMEM, "out of memory (/disparity)");
    }
    int st = CS_OK;
    for (size_t v = 0; v < in->n_variants && st == CS_OK; v++) {
        if (in->decomposition[v])
            continue;
        st = exposure_sums(in, v, &x, acc, err);
        for (size_t g = 0; g < G && st == CS_OK; g++)
            for (size_t q = 0; q < Q; q++)
                exposure_row(in, v, g, q, &acc[g * Q + q], &out->exposure[out->n_exposure++]);
    }
    free(acc);
    return st;
}

/* ------------------------------------------------------------------ tables */

int cs_disparity_compute(const cs_disparity_input *in, cs_disparity_tables *out, cs_error *err)
{
    memset(out, 0, sizeof *out);
    int st = relative_rates(in, out, err);
    if (st == CS_OK && in->population)
        st = exposure(in, out, err);
    if (st == CS_OK && in->has_decomposition) {
        out->decomposed = true;
        st = cs_disparity_decompose(in, out, err);
    }
    return st;
}

void cs_disparity_rows_free(cs_disparity_tables *t)
{
    free(t->relative);
    free(t->decomposition);
    free(t->exposure);
    memset(t, 0, sizeof *t);
}
