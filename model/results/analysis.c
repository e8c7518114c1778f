/*
 * results/analysis.c — the analysis tables of a results file: /summary,
 * /comparison and /ranking, computed from the per-replicate measures under
 * /runs with the statistics of casesim/stats.h. The method is explained in
 * analysis/README.md.
 *
 * cs_analysis_compute is a pure function of the measures (see
 * results/internal.h); cs_results_write_analysis reads them back from the
 * file rather than accumulating them while the run writes, so that the same
 * code serves a finished run, an interrupted one and a file joined from
 * replicate ranges (cs_results_reanalyse). The measures are read through
 * the results schema, with the same shape and size checks as the reader's.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/results.h"
#include "casesim/rng.h"
#include "casesim/stats.h"
#include "core/alloc.h"
#include "results/disparity_file.h"
#include "results/h5util.h"
#include "results/internal.h"
#include "results/schema.h"

#define N_OF(a) (sizeof(a) / sizeof *(a))

/* ------------------------------------------------ the tables, computed */

/* One block of measures analysed on its own: all violation kinds together
 * (the `measures` array), or one kind (its slice of `kind_measures`). */
typedef struct block {
    size_t off;                  /* its first value in a replicate's record */
    size_t mag;                  /* its most affected group */
    double *crit_imp;            /* [V][R]: the ranking criteria: impunity, */
    double *crit_num, *crit_den; /* and the accountability rates the ratio divides */
    cs_ranking *rank_imp, *rank_ratio;
    cs_analysis_tables *out;
} block;

/* The computation's state: sizes, two variants' records in memory, the
 * blocks of the current pass. */
typedef struct work {
    const cs_analysis_input *in;
    size_t M, V, row; /* row = (n_groups + 1) * M values per block and replicate */
    size_t VR;        /* variants compared and ranked: [0, VR) */
    size_t R, rec;    /* replicates; values per replicate record */
    size_t m_imp, m_ratio;
    bool *share;        /* [M] the measure is a share, its interval kept in [0, 1] */
    long *ratio_base;   /* [M] cs_analysis_ratio_bases */
    double *base, *cur; /* [R][rec] */
    size_t n_blocks;
    block *blocks;
} work;

static void block_free(block *b)
{
    free(b->crit_imp);
    free(b->crit_num);
    free(b->crit_den);
    cs_ranking_free(b->rank_imp);
    cs_ranking_free(b->rank_ratio);
    memset(b, 0, sizeof *b);
}

/* Frees the buffers and blocks of a pass (not the shares: they serve every
 * pass). */
static void work_free_pass(work *w)
{
    free(w->base);
    free(w->cur);
    for (size_t b = 0; b < w->n_blocks; b++)
        block_free(&w->blocks[b]);
    free(w->blocks);
    w->base = w->cur = NULL;
    w->blocks = NULL;
    w->n_blocks = 0;
}

bool cs_analysis_is_share(const char *name)
{
    static const char prefix[] = "accountability_rate_";
    for (size_t m = 0; m < CS_M_FIXED_COUNT; m++)
        if (strcmp(cs_measure_table[m].name, name) == 0)
            return cs_measure_is_share(m);
    return strncmp(name, prefix, sizeof prefix - 1) == 0;
}

/* Finds the two ranking criteria among the measures, and the shares. */
static int find_criteria(work *w, cs_error *err)
{
    const char *imp = cs_measure_table[CS_M_IMPUNITY].name;
    const char *ratio = cs_measure_table[CS_M_ACCOUNTABILITY_RATIO].name;
    long i = cs_analysis_find_name(w->in->measures, w->M, imp),
         r = cs_analysis_find_name(w->in->measures, w->M, ratio);
    if (i < 0 || r < 0)
        return cs_error_set(err, CS_EFORMAT, "/scenario/measures lacks '%s' or '%s'", imp, ratio);
    w->m_imp = (size_t)i;
    w->m_ratio = (size_t)r;
    w->share = cs_xcalloc(w->M, sizeof *w->share);
    w->ratio_base = cs_xcalloc(w->M, sizeof *w->ratio_base);
    if (!w->share || !w->ratio_base)
        return cs_error_set(err, CS_ENOMEM, "out of memory for the analysis tables");
    for (size_t m = 0; m < w->M; m++)
        w->share[m] = cs_analysis_is_share(w->in->measures[m]);
    cs_analysis_ratio_bases(w->in->measures, w->M, w->ratio_base);
    if (w->ratio_base[w->m_ratio] < 0)
        return cs_error_set(err, CS_EFORMAT, "/scenario/measures lacks the rate of '%s'", ratio);
    return CS_OK;
}

/* Allocates the tables of one block; every product is checked against
 * SIZE_MAX first (by the caller, for the largest). */
static int tables_alloc(const work *w, cs_analysis_tables *out, cs_error *err)
{
    out->summary = cs_xcalloc(w->V * w->row, sizeof *out->summary);
    out->comparison = cs_xcalloc(w->VR * w->row, sizeof *out->comparison);
    out->ranking = cs_xcalloc(w->VR, sizeof *out->ranking);
    if (!out->summary || !out->comparison || !out->ranking)
        return cs_error_set(err, CS_ENOMEM, "out of memory for the analysis tables");
    return CS_OK;
}

/* The buffers of a pass over records of rec values, and its n blocks (the
 * tables of block b are outs[b]). */
static int work_alloc(work *w, size_t rec, size_t n, cs_analysis_tables *outs, cs_error *err)
{
    size_t per = 0, crit = 0, rows = 0;
    w->rec = rec;
    if (w->in->replicates > SIZE_MAX || !cs_size_mul(w->R, rec, &per) ||
        !cs_size_mul(per, sizeof(double), &per) || !cs_size_mul(w->R, w->VR, &crit) ||
        !cs_size_mul(crit, sizeof(double), &crit) || !cs_size_mul(w->V, w->row, &rows) ||
        !cs_size_mul(rows, sizeof *outs->summary, &rows))
        return cs_error_set(err, CS_ELIMIT, "the results file is too large to analyse here");
    w->base = cs_xcalloc(per, 1);
    w->cur = cs_xcalloc(per, 1);
    w->blocks = cs_xcalloc(n, sizeof *w->blocks);
    if (!w->base || !w->cur || !w->blocks)
        return cs_error_set(err, CS_ENOMEM, "out of memory for the analysis tables");
    w->n_blocks = n;
    int st = CS_OK;
    for (size_t b = 0; b < n && st == CS_OK; b++) {
        block *bk = &w->blocks[b];
        bk->off = b * w->row;
        bk->out = &outs[b];
        bk->crit_imp = cs_xcalloc(crit, 1);
        bk->crit_num = cs_xcalloc(crit, 1);
        bk->crit_den = cs_xcalloc(crit, 1);
        st = bk->crit_imp && bk->crit_num && bk->crit_den
                 ? tables_alloc(w, bk->out, err)
                 : cs_error_set(err, CS_ENOMEM, "out of memory for the analysis tables");
    }
    return st;
}

/* The most affected group of block bk: the non-reference group with the
 * highest mean baseline impunity (the reference group itself if it is the
 * only one). */
static size_t most_affected(const work *w, const block *bk)
{
    size_t G = w->in->n_groups, mag = 0;
    if (G < 2)
        return 0;
    double worst = -INFINITY;
    mag = 1;
    for (size_t g = 1; g < G; g++) {
        cs_summary s;
        cs_stats_summarise(w->base + bk->off + g * w->M + w->m_imp, w->R, w->rec, CS_STATS_LEVEL,
                           &s, NULL);
        if (s.n > 0 && s.mean > worst) {
            worst = s.mean;
            mag = g;
        }
    }
    return mag;
}

static const char *group_name(const cs_analysis_input *in, size_t g)
{
    return g < in->n_groups ? in->groups[g] : "all";
}

/* Records x seen as the block at offset off (cs_analysis_summarise). */
static cs_measure_block block_at(const work *w, const double *x, size_t off)
{
    return (cs_measure_block){.x = x + off,
                              .n_groups = w->in->n_groups,
                              .M = w->M,
                              .stride = w->rec,
                              .R = w->R,
                              .base = w->ratio_base};
}

/* The summary row of variant v's measure m for group g, over x (a block's
 * first value of replicate 0). Shares get an interval inside [0, 1]; the
 * disparity ratios are ratios of means. */
static int summary_row(const work *w, size_t v, size_t g, size_t m, const double *x,
                       cs_results_summary_row *row, cs_error *err)
{
    cs_summary s;
    cs_measure_block b = block_at(w, x, 0);
    int st = cs_analysis_summarise(&b, g, m, &s, err);
    if (w->share[m])
        cs_stats_share_interval(CS_STATS_LEVEL, &s);
    *row = (cs_results_summary_row){.variant = (char *)w->in->variants[v],
                                    .group = (char *)group_name(w->in, g),
                                    .measure = (char *)w->in->measures[m],
                                    .units = (char *)w->in->units[m],
                                    .mean = s.mean,
                                    .sd = s.sd,
                                    .ci_low = s.ci_low,
                                    .ci_high = s.ci_high,
                                    .n = (int64_t)s.n};
    return st;
}

/* The comparison row of variant v (> 0) against the baseline, measure m of
 * group g of block bk. Cost and rank are filled later for the criteria's
 * rows. */
static int comparison_row(const work *w, const block *bk, size_t v, size_t g, size_t m,
                          const double *x, cs_results_comparison_row *row, cs_error *err)
{
    cs_paired p;
    cs_measure_block b = block_at(w, w->base, bk->off), y = block_at(w, x, bk->off);
    int st = cs_analysis_paired(&b, &y, g, m, &p, err);
    if (st != CS_OK)
        return st;
    *row = (cs_results_comparison_row){.variant = (char *)w->in->variants[v],
                                       .group = (char *)group_name(w->in, g),
                                       .measure = (char *)w->in->measures[m],
                                       .units = (char *)w->in->units[m],
                                       .baseline_mean = p.baseline_mean,
                                       .variant_mean = p.variant_mean,
                                       .diff_mean = p.diff.mean,
                                       .diff_ci_low = p.diff.ci_low,
                                       .diff_ci_high = p.diff.ci_high,
                                       .n = (int64_t)p.diff.n,
                                       .relative_change = p.relative_change,
                                       .cost_per_point = NAN,
                                       .cost_per_point_low = NAN,
                                       .cost_per_point_high = NAN,
                                       .rank = 0,
                                       .p_best = NAN};
    return CS_OK;
}

/* Variant v's criteria per replicate, summary rows and (v > 0) comparison
 * rows in block bk, from its records x. */
static int analyse_variant(work *w, block *bk, size_t v, const double *x, cs_error *err)
{
    cs_analysis_tables *out = bk->out;
    size_t rate = (size_t)w->ratio_base[w->m_ratio];
    for (size_t r = 0; r < w->R && v < w->VR; r++) {
        const double *at = x + r * w->rec + bk->off;
        bk->crit_imp[v * w->R + r] = at[bk->mag * w->M + w->m_imp];
        bk->crit_num[v * w->R + r] = at[bk->mag * w->M + rate];
        bk->crit_den[v * w->R + r] = at[rate];
    }
    int st = CS_OK;
    for (size_t g = 0; g <= w->in->n_groups && st == CS_OK; g++)
        for (size_t m = 0; m < w->M && st == CS_OK; m++) {
            st = summary_row(w, v, g, m, x + bk->off, &out->summary[out->n_summary++], err);
            if (st == CS_OK && v > 0 && v < w->VR)
                st = comparison_row(w, bk, v, g, m, x, &out->comparison[out->n_comparison++], err);
        }
    return st;
}

/* The two rankings of block bk (none without replicates; the disparity
 * ratio needs a second group), each bootstrapped from its own keyed stream
 * (the blocks of kinds from streams of their own: the kind's index + 1 in
 * the key's incident word). */
static int rank_variants(work *w, block *bk, uint64_t which, cs_error *err)
{
    if (w->R == 0)
        return CS_OK;
    const cs_stream_key key_imp = {w->in->seed, 0, 0, which, 1, CS_STREAM_ANALYSIS};
    const cs_stream_key key_ratio = {w->in->seed, 0, 0, which, 2, CS_STREAM_ANALYSIS};
    int st = cs_ranking_alloc(w->VR, &bk->rank_imp, err);
    if (st == CS_OK)
        st = cs_stats_rank(bk->crit_imp, w->VR, w->R, CS_RANK_LOWER, &key_imp, CS_STATS_BOOTSTRAP,
                           bk->rank_imp, err);
    if (st == CS_OK && w->in->n_groups > 1)
        st = cs_ranking_alloc(w->VR, &bk->rank_ratio, err);
    if (st == CS_OK && bk->rank_ratio)
        st = cs_stats_rank_ratio(bk->crit_num, bk->crit_den, w->VR, w->R, &key_ratio,
                                 CS_STATS_BOOTSTRAP, bk->rank_ratio, err);
    return st;
}

/* Variant v's cost per point of impunity removed (on its comparison row of
 * the most affected group's impunity) and its ranks, copied to the
 * comparison rows of the criteria. */
static void cost_and_ranks(const work *w, const block *bk, size_t v)
{
    cs_analysis_tables *out = bk->out;
    cs_results_ranking_row *k = &out->ranking[v];
    cs_results_comparison_row *ci = &out->comparison[(v - 1) * w->row + bk->mag * w->M + w->m_imp];
    cs_results_comparison_row *cr =
        &out->comparison[(v - 1) * w->row + bk->mag * w->M + w->m_ratio];
    cs_summary diff = {.mean = ci->diff_mean,
                       .sd = NAN,
                       .ci_low = ci->diff_ci_low,
                       .ci_high = ci->diff_ci_high,
                       .n = (uint64_t)ci->n};
    cs_stats_cost_per_point(w->in->annual_cost[v], &diff, &ci->cost_per_point,
                            &ci->cost_per_point_low, &ci->cost_per_point_high);
    k->reduction_points = -100.0 * ci->diff_mean;
    k->reduction_ci_low = -100.0 * ci->diff_ci_high;
    k->reduction_ci_high = -100.0 * ci->diff_ci_low;
    k->cost_per_point = ci->cost_per_point;
    k->cost_per_point_low = ci->cost_per_point_low;
    k->cost_per_point_high = ci->cost_per_point_high;
    ci->rank = k->impunity_rank;
    ci->p_best = k->impunity_p_best;
    if (bk->rank_ratio) {
        cr->rank = k->ratio_rank;
        cr->p_best = k->ratio_p_best;
    }
}

/* The /ranking rows of block bk, from the summary rows of the criteria and
 * the rankings. */
static void ranking_rows(const work *w, const block *bk)
{
    cs_analysis_tables *out = bk->out;
    for (size_t v = 0; v < w->VR; v++) {
        const cs_results_summary_row *si = &out->summary[v * w->row + bk->mag * w->M + w->m_imp];
        const cs_results_summary_row *sr = &out->summary[v * w->row + bk->mag * w->M + w->m_ratio];
        cs_results_ranking_row *k = &out->ranking[v];
        *k = (cs_results_ranking_row){.variant = (char *)w->in->variants[v],
                                      .kind = (char *)w->in->kinds[v],
                                      .annual_cost = w->in->annual_cost[v],
                                      .impunity_mean = si->mean,
                                      .impunity_ci_low = si->ci_low,
                                      .impunity_ci_high = si->ci_high,
                                      .reduction_points = NAN,
                                      .reduction_ci_low = NAN,
                                      .reduction_ci_high = NAN,
                                      .cost_per_point = NAN,
                                      .cost_per_point_low = NAN,
                                      .cost_per_point_high = NAN,
                                      .impunity_rank = 0,
                                      .impunity_p_best = NAN,
                                      .ratio_mean = sr->mean,
                                      .ratio_ci_low = sr->ci_low,
                                      .ratio_ci_high = sr->ci_high,
                                      .ratio_rank = 0,
                                      .ratio_p_best = NAN};
        if (bk->rank_imp) {
            k->impunity_rank = (int32_t)bk->rank_imp->rank[v];
            k->impunity_p_best = bk->rank_imp->p_best[v];
        }
        if (bk->rank_ratio) {
            k->ratio_rank = (int32_t)bk->rank_ratio->rank[v];
            k->ratio_p_best = bk->rank_ratio->p_best[v];
        } else {
            k->ratio_mean = k->ratio_ci_low = k->ratio_ci_high = NAN;
        }
        if (v > 0)
            cost_and_ranks(w, bk, v);
    }
    out->n_ranking = w->VR;
}

void cs_analysis_tables_free(cs_analysis_tables *t)
{
    free(t->summary);
    free(t->comparison);
    free(t->ranking);
    for (size_t k = 0; t->by_kind && k < t->n_by_kind; k++)
        cs_analysis_tables_free(&t->by_kind[k]);
    free(t->by_kind);
    memset(t, 0, sizeof *t);
}

/* One pass: every variant's records through load, into the n blocks of
 * records of rec values, their tables in outs[0 .. n-1], block b's
 * bootstrap keyed by which0 + b. Holds at most two variants' records at a
 * time. */
static int analyse_pass(work *w, int (*load)(void *, size_t, double *, cs_error *), size_t rec,
                        size_t n, uint64_t which0, cs_analysis_tables *outs, cs_error *err)
{
    int st = work_alloc(w, rec, n, outs, err);
    if (st == CS_OK)
        st = load(w->in->ctx, 0, w->base, err);
    for (size_t b = 0; b < n && st == CS_OK; b++)
        w->blocks[b].mag = most_affected(w, &w->blocks[b]);
    for (size_t v = 0; v < w->V && st == CS_OK; v++) {
        if (v > 0)
            st = load(w->in->ctx, v, w->cur, err);
        for (size_t b = 0; b < n && st == CS_OK; b++)
            st = analyse_variant(w, &w->blocks[b], v, v > 0 ? w->cur : w->base, err);
    }
    for (size_t b = 0; b < n && st == CS_OK; b++) {
        block *bk = &w->blocks[b];
        st = rank_variants(w, bk, which0 + b, err);
        if (st == CS_OK) {
            ranking_rows(w, bk);
            bk->out->most_affected = bk->mag;
            bk->out->bootstrap_resamples = w->R > 0 ? CS_STATS_BOOTSTRAP : 0;
        }
    }
    return st;
}

/* The tables of each violation kind, from the `kind_measures` records. */
static int analyse_kinds(work *w, cs_analysis_tables *out, cs_error *err)
{
    size_t K = w->in->n_violations, rec = 0;
    if (K == 0 || !w->in->load_kinds)
        return CS_OK;
    out->by_kind = cs_xcalloc(K, sizeof *out->by_kind);
    if (!out->by_kind)
        return cs_error_set(err, CS_ENOMEM, "out of memory for the analysis tables");
    out->n_by_kind = K;
    if (!cs_size_mul(K, w->row, &rec))
        return cs_error_set(err, CS_ELIMIT, "the results file is too large to analyse here");
    return analyse_pass(w, w->in->load_kinds, rec, K, 1, out->by_kind, err);
}

int cs_analysis_compute(const cs_analysis_input *in, cs_analysis_tables *out, cs_error *err)
{
    memset(out, 0, sizeof *out);
    work w = {.in = in,
              .M = in->n_measures,
              .V = in->n_variants,
              .VR = in->n_ranked && in->n_ranked < in->n_variants ? in->n_ranked : in->n_variants,
              .row = (in->n_groups + 1) * in->n_measures,
              .R = (size_t)in->replicates};
    int st = find_criteria(&w, err);
    if (st == CS_OK)
        st = analyse_pass(&w, in->load, w.row, 1, 0, out, err);
    work_free_pass(&w);
    if (st == CS_OK)
        st = analyse_kinds(&w, out, err);
    work_free_pass(&w);
    free(w.share);
    free(w.ratio_base);
    return st;
}

/* ------------------------------------------------ the input, from a file */

/* Everything the analysis reads from a file, owned. */
typedef struct file_input {
    hid_t file;
    size_t n_groups, n_measures, n_variants, n_violations;
    char **groups, **measures, **units, **variants, **kinds, **violations;
    bool by_kind; /* the file has measures by kind (format 1.2) */
    double *cost;
    uint64_t replicates, seed;
    size_t n_years; /* arrival years (0: a file without measures by arrival year) */
    double *years;
    size_t n_ranked;
} file_input;

static void file_input_free(file_input *in)
{
    cs_h5_free_strings(in->groups, in->n_groups);
    cs_h5_free_strings(in->measures, in->n_measures);
    cs_h5_free_strings(in->units, in->n_measures);
    cs_h5_free_strings(in->kinds, in->n_variants);
    cs_h5_free_strings(in->variants, in->n_variants);
    cs_h5_free_strings(in->violations, in->n_violations);
    free(in->cost);
    free(in->years);
}

/* Opens variant v's array a (measures or kind_measures) with the schema's
 * checks: [replicate, (kinds,) groups + all, measures] of the name lists,
 * rows as stored (bounded by its size). */
static int open_measures(const file_input *in, size_t v, const cs_schema_array *a,
                         cs_schema_open *o, cs_error *err)
{
    char vpath[CS_MAX_NAME_LEN + 16];
    snprintf(vpath, sizeof vpath, "/runs/%s", in->variants[v]);
    cs_result_dims d = {.n_group_rows = in->n_groups + 1,
                        .n_measures = in->n_measures,
                        .n_kinds = in->n_violations};
    return cs_schema_open_array(in->file, vpath, a, &d, 0, UINT64_MAX, o, err);
}

/* Variant v's array a whole into buf. */
static int load_array(const file_input *in, size_t v, const cs_schema_array *a, double *buf,
                      cs_error *err)
{
    cs_schema_open o;
    int st = open_measures(in, v, a, &o, err);
    if (st == CS_OK && o.rows != in->replicates)
        st = cs_error_set(err, CS_EFORMAT, "/runs/%s/%s changed while it was analysed",
                          in->variants[v], a->name);
    char what[CS_MAX_NAME_LEN + 48];
    snprintf(what, sizeof what, "/runs/%s/%s", in->variants[v], a->name);
    if (st == CS_OK)
        st = cs_schema_read_rows(&o, a, 0, o.rows, buf, what, err);
    cs_h5_close(&o.ds);
    return st;
}

/* cs_analysis_input.load and .load_kinds for a file. */
static int load_measures(void *ctx, size_t v, double *buf, cs_error *err)
{
    return load_array(ctx, v, &cs_schema_arrays[CS_ARRAY_measures], buf, err);
}

static int load_kind_measures(void *ctx, size_t v, double *buf, cs_error *err)
{
    return load_array(ctx, v, &cs_schema_arrays[CS_ARRAY_kind_measures], buf, err);
}

/* The name lists of /scenario and the root's seed. */
static int read_lists(file_input *in, cs_error *err)
{
    size_t nu = 0;
    hid_t f = in->file;
    int st = cs_h5_read_attr_u64(f, "seed", &in->seed, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(f, "/scenario/groups", &in->groups, &in->n_groups, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(f, "/scenario/measures", &in->measures, &in->n_measures, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(f, "/scenario/measure_units", &in->units, &nu, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(f, "/scenario/variants", &in->variants, &in->n_variants, err);
    if (st != CS_OK)
        return st;
    if (nu != in->n_measures || in->n_groups == 0 || in->n_variants == 0) {
        cs_h5_free_strings(in->units, nu);
        in->units = NULL;
        return cs_error_set(err, CS_EFORMAT,
                            "the name lists of /scenario are inconsistent (%zu measures, %zu "
                            "units, %zu groups, %zu variants)",
                            in->n_measures, nu, in->n_groups, in->n_variants);
    }
    return CS_OK;
}

/* Variant v's kind, cost and replicate count (the baseline's for all). */
static int read_variant(file_input *in, size_t v, cs_error *err)
{
    char path[CS_MAX_NAME_LEN + 16];
    snprintf(path, sizeof path, "/runs/%s", in->variants[v]);
    hid_t g = H5Gopen2(in->file, path, H5P_DEFAULT);
    int st = g < 0 ? cs_h5_fail(err, CS_EFORMAT, "cannot open %s", path) : CS_OK;
    if (st == CS_OK)
        st = cs_h5_read_attr_string(g, "kind", &in->kinds[v], err);
    /* The cost in force over the cohort window (1.2): what cost per point
     * uses; a file before 1.2 has only the nominal annual cost. */
    if (st == CS_OK)
        st = H5Aexists(g, "annual_cost_in_force") > 0
                 ? cs_h5_read_attr_double(g, "annual_cost_in_force", &in->cost[v], err)
                 : cs_h5_read_attr_double(g, "annual_cost", &in->cost[v], err);
    cs_h5_close(&g);
    cs_schema_open o = {.ds = H5I_INVALID_HID};
    if (st == CS_OK)
        st = open_measures(in, v, &cs_schema_arrays[CS_ARRAY_measures], &o, err);
    cs_h5_close(&o.ds);
    if (st == CS_OK && v == 0)
        in->replicates = o.rows;
    if (st == CS_OK && o.rows != in->replicates)
        st = cs_error_set(err, CS_EFORMAT,
                          "variant '%s' holds %llu replicates but the baseline %llu: every "
                          "variant must hold the same replicates",
                          in->variants[v], (unsigned long long)o.rows,
                          (unsigned long long)in->replicates);
    return st;
}

/* cs_analysis_input.load_years for a file: variant v's measures by
 * arrival year, with the schema's checks. */
static int load_years(void *ctx, size_t v, double *buf, cs_error *err)
{
    const file_input *in = ctx;
    char vpath[CS_MAX_NAME_LEN + 16], what[CS_MAX_NAME_LEN + 40];
    snprintf(vpath, sizeof vpath, "/runs/%s", in->variants[v]);
    snprintf(what, sizeof what, "/runs/%s/measures_by_year", in->variants[v]);
    const cs_schema_array *a = &cs_schema_arrays[CS_ARRAY_measures_by_year];
    cs_result_dims d = {.n_arrival_years = in->n_years,
                        .n_group_rows = in->n_groups + 1,
                        .n_measures = in->n_measures};
    cs_schema_open o;
    int st = cs_schema_open_array(in->file, vpath, a, &d, in->replicates, in->replicates, &o, err);
    if (st == CS_OK)
        st = cs_schema_read_rows(&o, a, 0, o.rows, buf, what, err);
    cs_h5_close(&o.ds);
    return st;
}

/* The arrival years' labels as numbers, when the file has measures by
 * arrival year (1.2). */
static int read_years(file_input *in, cs_error *err)
{
    char **labels = NULL;
    size_t n = 0;
    if (H5Lexists(in->file, "/scenario/arrival_years", H5P_DEFAULT) <= 0)
        return CS_OK;
    int st = cs_h5_read_strings(in->file, "/scenario/arrival_years", &labels, &n, err);
    if (st == CS_OK && n > 0) {
        in->years = calloc(n, sizeof *in->years);
        if (!in->years)
            st = cs_error_set(err, CS_ENOMEM, "out of memory");
        for (size_t i = 0; st == CS_OK && i < n; i++)
            in->years[i] = strtod(labels[i], NULL);
        if (st == CS_OK)
            in->n_years = n;
    }
    cs_h5_free_strings(labels, n);
    return st;
}

static int read_input(hid_t file, file_input *in, cs_error *err)
{
    in->file = file;
    int st = read_lists(in, err);
    if (st != CS_OK)
        return st;
    in->kinds = calloc(in->n_variants, sizeof *in->kinds);
    in->cost = calloc(in->n_variants, sizeof *in->cost);
    if (!in->kinds || !in->cost)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t v = 0; v < in->n_variants && st == CS_OK; v++)
        st = read_variant(in, v, err);
    if (st == CS_OK && strcmp(in->kinds[0], "baseline") != 0)
        st = cs_error_set(err, CS_EFORMAT,
                          "the first variant of /scenario/variants ('%s') is not the baseline",
                          in->variants[0]);
    /* Measures by kind: format 1.2 files have them (every variant, checked
     * when they are read); older files are analysed without. */
    char path[CS_MAX_NAME_LEN + 32];
    snprintf(path, sizeof path, "/runs/%s/kind_measures", in->variants[0]);
    if (st == CS_OK && H5Lexists(file, path, H5P_DEFAULT) > 0) {
        st = cs_h5_read_strings(file, "/scenario/violations", &in->violations, &in->n_violations,
                                err);
        in->by_kind = st == CS_OK && in->n_violations > 0;
    }
    if (st == CS_OK)
        st = read_years(in, err);
    /* The decomposition's variants come last: summarised, not ranked. */
    in->n_ranked = in->n_variants;
    for (size_t v = in->n_variants; st == CS_OK && v-- > 1;)
        if (strcmp(in->kinds[v], "decomposition") == 0)
            in->n_ranked = v;
    for (size_t v = in->n_ranked; st == CS_OK && v < in->n_variants; v++)
        if (strcmp(in->kinds[v], "decomposition") != 0)
            st = cs_error_set(err, CS_EFORMAT,
                              "variant '%s' comes after the decomposition's variants",
                              in->variants[v]);
    return st;
}

/* ------------------------------------------------ the tables, written */

/* The headline measures of the schema as attributes of /summary
 * (`headline_measures`, `headline_labels`, `headline_display`), so that
 * every tool shows the same list. */
static int write_headlines(hid_t d, const file_input *in, cs_error *err)
{
    enum { MAX_ROWS = CS_SCHEMA_N_HEADLINES + CS_MAX_OUTCOMES };
    cs_headline_row rows[MAX_ROWS];
    const char *names[MAX_ROWS], *labels[MAX_ROWS], *display[MAX_ROWS];
    size_t n =
        cs_schema_headline_rows((const char *const *)in->measures, in->n_measures, rows, MAX_ROWS);
    n = n < MAX_ROWS ? n : MAX_ROWS;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        /* A measure an earlier casesim did not compute (files it wrote, joined
         * here) is left out; the rates are in every file. */
        if (rows[i].measure >= in->n_measures)
            continue;
        names[k] = in->measures[rows[i].measure];
        labels[k] = rows[i].label;
        display[k++] = cs_display_name(rows[i].display);
    }
    if (k == 0)
        return cs_error_set(err, CS_EFORMAT, "/scenario/measures lacks every headline measure");
    n = k;
    int st = cs_h5_attr_strings(d, "headline_measures", names, n, err);
    if (st == CS_OK)
        st = cs_h5_attr_strings(d, "headline_labels", labels, n, err);
    if (st == CS_OK)
        st = cs_h5_attr_strings(d, "headline_display", display, n, err);
    return st;
}

/* Opens dataset path and writes attributes on it with fn. */
static int annotate(hid_t file, const char *path, int (*fn)(hid_t d, const void *ctx, cs_error *),
                    const void *ctx, cs_error *err)
{
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0)
        return cs_h5_fail(err, CS_EIO, "cannot reopen %s", path);
    int st = fn(d, ctx, err);
    if (cs_h5_close(&d) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "cannot close %s", path);
    return st;
}

static int summary_attrs(hid_t d, const void *ctx, cs_error *err)
{
    return write_headlines(d, ctx, err);
}

typedef struct ranking_ctx {
    const char *most_affected;
    uint64_t resamples;
} ranking_ctx;

static int ranking_attrs(hid_t d, const void *ctx, cs_error *err)
{
    const ranking_ctx *c = ctx;
    int st = cs_h5_attr_string(d, "most_affected_group", c->most_affected, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(d, "bootstrap_resamples", c->resamples, err);
    if (st == CS_OK)
        st = cs_h5_attr_double(d, "confidence_level", CS_STATS_LEVEL, err);
    return st;
}

/* The rows of every kind's table of one sort, each prefixed with its
 * kind's name: elem bytes per wrapped row, the table's rows at field
 * offset `rows` and count offset `count` of cs_analysis_tables, the row
 * (after the name) `row_size` bytes. Returns a new array (free()) of *n
 * rows, or NULL. */
static void *kind_rows(const file_input *in, const cs_analysis_tables *t, size_t elem, size_t rows,
                       size_t count, size_t row_size, size_t *n)
{
    size_t total = 0;
    for (size_t k = 0; k < t->n_by_kind; k++)
        total += *(const size_t *)((const char *)&t->by_kind[k] + count);
    char *out = cs_xcalloc(total ? total : 1, elem), *at = out;
    for (size_t k = 0; out && k < t->n_by_kind; k++) {
        const cs_analysis_tables *tk = &t->by_kind[k];
        size_t nk = *(const size_t *)((const char *)tk + count);
        const char *src = *(char *const *)((const char *)tk + rows);
        for (size_t i = 0; i < nk; i++, at += elem) {
            const char *name = in->violations[k];
            memcpy(at, &name, sizeof name); /* the `violation` member comes first */
            memcpy(at + offsetof(cs_results_summary_kind_row, row), src + i * row_size, row_size);
        }
    }
    *n = total;
    return out;
}

_Static_assert(offsetof(cs_results_summary_kind_row, row) ==
                       offsetof(cs_results_comparison_kind_row, row) &&
                   offsetof(cs_results_summary_kind_row, row) ==
                       offsetof(cs_results_ranking_kind_row, row),
               "kind_rows copies every sort of row after the same name member");

/* The most affected group of each kind, as an attribute of /ranking_by_kind. */
typedef struct kinds_ctx {
    const file_input *in;
    const cs_analysis_tables *t;
} kinds_ctx;

static int ranking_kind_attrs(hid_t d, const void *ctx, cs_error *err)
{
    const kinds_ctx *c = ctx;
    const char *mag[CS_MAX_VIOLATIONS];
    for (size_t k = 0; k < c->t->n_by_kind && k < CS_MAX_VIOLATIONS; k++)
        mag[k] = c->in->n_groups > 1 ? c->in->groups[c->t->by_kind[k].most_affected] : "";
    int st = cs_h5_attr_strings(d, "most_affected_groups", mag, c->t->n_by_kind, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(d, "bootstrap_resamples", c->t->bootstrap_resamples, err);
    if (st == CS_OK)
        st = cs_h5_attr_double(d, "confidence_level", CS_STATS_LEVEL, err);
    return st;
}

/* /summary_by_kind, /comparison_by_kind and /ranking_by_kind (none for a
 * file without measures by kind). */
static int write_kind_tables(hid_t file, const file_input *in, const cs_analysis_tables *t,
                             cs_error *err)
{
    if (t->n_by_kind == 0)
        return CS_OK;
    const struct {
        const cs_schema_table *table;
        size_t elem, rows, count, row_size;
    } sorts[] = {
        {&cs_schema_summary_kind, sizeof(cs_results_summary_kind_row),
         offsetof(cs_analysis_tables, summary), offsetof(cs_analysis_tables, n_summary),
         sizeof(cs_results_summary_row)},
        {&cs_schema_comparison_kind, sizeof(cs_results_comparison_kind_row),
         offsetof(cs_analysis_tables, comparison), offsetof(cs_analysis_tables, n_comparison),
         sizeof(cs_results_comparison_row)},
        {&cs_schema_ranking_kind, sizeof(cs_results_ranking_kind_row),
         offsetof(cs_analysis_tables, ranking), offsetof(cs_analysis_tables, n_ranking),
         sizeof(cs_results_ranking_row)},
    };
    int st = CS_OK;
    for (size_t i = 0; i < N_OF(sorts) && st == CS_OK; i++) {
        size_t n = 0;
        void *rows =
            kind_rows(in, t, sorts[i].elem, sorts[i].rows, sorts[i].count, sorts[i].row_size, &n);
        st = rows ? cs_schema_write_table(file, sorts[i].table, n, rows, err)
                  : cs_error_set(err, CS_ENOMEM, "out of memory");
        free(rows);
    }
    kinds_ctx kc = {.in = in, .t = t};
    if (st == CS_OK)
        st = annotate(file, cs_schema_ranking_kind.path, ranking_kind_attrs, &kc, err);
    return st;
}

/* The tables by arrival year (none in a file without such measures). */
static int write_year_tables(hid_t file, const cs_analysis_year_tables *y, cs_error *err)
{
    if (!y->summary)
        return CS_OK;
    int st = cs_schema_write_table(file, &cs_schema_summary_year, y->n_summary, y->summary, err);
    if (st == CS_OK)
        st = cs_schema_write_table(file, &cs_schema_comparison_year, y->n_comparison, y->comparison,
                                   err);
    if (st == CS_OK)
        st = cs_schema_write_table(file, &cs_schema_timing, y->n_timing, y->timing, err);
    return st;
}

static int write_tables(hid_t file, const file_input *in, const cs_analysis_tables *t,
                        cs_error *err)
{
    ranking_ctx rc = {.most_affected = in->n_groups > 1 ? in->groups[t->most_affected] : "",
                      .resamples = t->bootstrap_resamples};
    int st = cs_schema_write_table(file, &cs_schema_summary, t->n_summary, t->summary, err);
    if (st == CS_OK)
        st = annotate(file, cs_schema_summary.path, summary_attrs, in, err);
    if (st == CS_OK)
        st =
            cs_schema_write_table(file, &cs_schema_comparison, t->n_comparison, t->comparison, err);
    if (st == CS_OK)
        st = cs_schema_write_table(file, &cs_schema_ranking, t->n_ranking, t->ranking, err);
    if (st == CS_OK)
        st = annotate(file, cs_schema_ranking.path, ranking_attrs, &rc, err);
    if (st == CS_OK)
        st = write_kind_tables(file, in, t, err);
    return st;
}

int cs_results_write_analysis(hid_t file, cs_error *err)
{
    cs_h5_quiet();
    file_input fin;
    memset(&fin, 0, sizeof fin);
    cs_analysis_tables t;
    memset(&t, 0, sizeof t);
    cs_analysis_year_tables yt;
    memset(&yt, 0, sizeof yt);
    int st = read_input(file, &fin, err);
    if (st == CS_OK) {
        cs_analysis_input in = {.n_groups = fin.n_groups,
                                .n_measures = fin.n_measures,
                                .n_variants = fin.n_variants,
                                .groups = (const char *const *)fin.groups,
                                .measures = (const char *const *)fin.measures,
                                .units = (const char *const *)fin.units,
                                .variants = (const char *const *)fin.variants,
                                .kinds = (const char *const *)fin.kinds,
                                .annual_cost = fin.cost,
                                .n_ranked = fin.n_ranked,
                                .replicates = fin.replicates,
                                .seed = fin.seed,
                                .load = load_measures,
                                .n_violations = fin.by_kind ? fin.n_violations : 0,
                                .violations = (const char *const *)fin.violations,
                                .load_kinds = fin.by_kind ? load_kind_measures : NULL,
                                .ctx = &fin,
                                .n_years = fin.n_years,
                                .years = fin.years,
                                .load_years = fin.n_years ? load_years : NULL};
        st = cs_analysis_compute(&in, &t, err);
        long m_imp = cs_analysis_find_name((const char *const *)fin.measures, fin.n_measures,
                                           cs_measure_table[CS_M_IMPUNITY].name);
        if (st == CS_OK && m_imp >= 0)
            st = cs_analysis_by_year(&in, t.most_affected, (size_t)m_imp, &yt, err);
    }
    if (st == CS_OK)
        st = write_tables(file, &fin, &t, err);
    if (st == CS_OK)
        st = write_year_tables(file, &yt, err);
    if (st == CS_OK)
        st = cs_results_write_decision(file, fin.groups[t.most_affected], err);
    if (st == CS_OK)
        st = cs_results_write_disparity(file, err);
    cs_analysis_tables_free(&t);
    cs_analysis_year_tables_free(&yt);
    file_input_free(&fin);
    return st;
}

int cs_results_reanalyse(const char *path, cs_error *err)
{
    cs_h5_quiet();
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0)
        return cs_h5_fail(err, CS_EIO, "%s: cannot open for writing", path);
    int st = cs_results_check_format(f, path, NULL, NULL, err);
    if (st == CS_OK)
        st = cs_results_write_analysis(f, err);
    if (st == CS_OK)
        st = cs_results_label_axes(f, err);
    if (H5Fclose(f) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "%s: cannot close", path);
    return st;
}
