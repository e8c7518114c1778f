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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/results.h"
#include "casesim/rng.h"
#include "casesim/stats.h"
#include "core/alloc.h"
#include "results/h5util.h"
#include "results/disparity_file.h"
#include "results/internal.h"
#include "results/schema.h"

/* ------------------------------------------------ the tables, computed */

/* The computation's state: sizes, the two variants' measures in memory,
 * the two ranking criteria per (variant, replicate), the rankings. */
typedef struct work {
    const cs_analysis_input *in;
    size_t M, V, row; /* row = (n_groups + 1) * M values per replicate */
    size_t VR;        /* variants compared and ranked: [0, VR) */
    size_t R;
    size_t m_imp, m_ratio;         /* the criteria's measure indices */
    double *base, *cur;            /* [R][n_groups + 1][M] */
    double *crit_imp, *crit_ratio; /* [V][R] */
    cs_ranking *rank_imp, *rank_ratio;
} work;

static void work_free(work *w)
{
    free(w->base);
    free(w->cur);
    free(w->crit_imp);
    free(w->crit_ratio);
    cs_ranking_free(w->rank_imp);
    cs_ranking_free(w->rank_ratio);
}

static long find_name(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (long)i;
    return -1;
}

/* Finds the two ranking criteria among the measures. */
static int find_criteria(work *w, cs_error *err)
{
    const char *imp = cs_measure_table[CS_M_IMPUNITY].name;
    const char *ratio = cs_measure_table[CS_M_ACCOUNTABILITY_RATIO].name;
    long i = find_name(w->in->measures, w->M, imp), r = find_name(w->in->measures, w->M, ratio);
    if (i < 0 || r < 0)
        return cs_error_set(err, CS_EFORMAT, "/scenario/measures lacks '%s' or '%s'", imp, ratio);
    w->m_imp = (size_t)i;
    w->m_ratio = (size_t)r;
    return CS_OK;
}

/* Allocates the work arrays and the tables; every product is checked
 * against SIZE_MAX first. */
static int work_alloc(work *w, cs_analysis_tables *out, cs_error *err)
{
    size_t per = 0, crit = 0, rows = 0;
    if (w->in->replicates > SIZE_MAX || !cs_size_mul(w->R, w->row, &per) ||
        !cs_size_mul(per, sizeof(double), &per) || !cs_size_mul(w->R, w->VR, &crit) ||
        !cs_size_mul(crit, sizeof(double), &crit) || !cs_size_mul(w->V, w->row, &rows) ||
        !cs_size_mul(rows, sizeof *out->summary, &rows))
        return cs_error_set(err, CS_ELIMIT, "the results file is too large to analyse here");
    w->base = cs_xcalloc(per, 1);
    w->cur = cs_xcalloc(per, 1);
    w->crit_imp = cs_xcalloc(crit, 1);
    w->crit_ratio = cs_xcalloc(crit, 1);
    out->summary = cs_xcalloc(w->V * w->row, sizeof *out->summary);
    out->comparison = cs_xcalloc(w->VR * w->row, sizeof *out->comparison);
    out->ranking = cs_xcalloc(w->VR, sizeof *out->ranking);
    if (!w->base || !w->cur || !w->crit_imp || !w->crit_ratio || !out->summary ||
        !out->comparison || !out->ranking)
        return cs_error_set(err, CS_ENOMEM, "out of memory for the analysis tables");
    return CS_OK;
}

/* The most affected group: the non-reference group with the highest mean
 * baseline impunity (the reference group itself if it is the only one). */
static size_t most_affected(const work *w)
{
    size_t G = w->in->n_groups, mag = 0;
    if (G < 2)
        return 0;
    double worst = -INFINITY;
    mag = 1;
    for (size_t g = 1; g < G; g++) {
        cs_summary s;
        cs_stats_summarise(w->base + g * w->M + w->m_imp, w->R, w->row, CS_STATS_LEVEL, &s, NULL);
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

/* The summary row of variant v's measure m for group g, over x. */
static int summary_row(const work *w, size_t v, size_t g, size_t m, const double *x,
                       cs_results_summary_row *row, cs_error *err)
{
    cs_summary s;
    int st = cs_stats_summarise(x + g * w->M + m, w->R, w->row, CS_STATS_LEVEL, &s, err);
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
 * group g. Cost and rank are filled later for the criteria's rows. */
static int comparison_row(const work *w, size_t v, size_t g, size_t m, const double *x,
                          cs_results_comparison_row *row, cs_error *err)
{
    cs_paired p;
    size_t at = g * w->M + m;
    int st = cs_stats_paired(w->base + at, w->row, x + at, w->row, w->R, CS_STATS_LEVEL, &p, err);
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
 * rows, from its measures x. */
static int analyse_variant(work *w, size_t v, const double *x, size_t mag, cs_analysis_tables *out,
                           cs_error *err)
{
    for (size_t r = 0; r < w->R && v < w->VR; r++) {
        w->crit_imp[v * w->R + r] = x[r * w->row + mag * w->M + w->m_imp];
        w->crit_ratio[v * w->R + r] = x[r * w->row + mag * w->M + w->m_ratio];
    }
    int st = CS_OK;
    for (size_t g = 0; g <= w->in->n_groups && st == CS_OK; g++)
        for (size_t m = 0; m < w->M && st == CS_OK; m++) {
            st = summary_row(w, v, g, m, x, &out->summary[out->n_summary++], err);
            if (st == CS_OK && v > 0 && v < w->VR)
                st = comparison_row(w, v, g, m, x, &out->comparison[out->n_comparison++], err);
        }
    return st;
}

/* The two rankings (none without replicates; the disparity ratio needs a
 * second group), each bootstrapped from its own keyed stream. */
static int rank_variants(work *w, cs_error *err)
{
    if (w->R == 0)
        return CS_OK;
    const cs_stream_key key_imp = {w->in->seed, 0, 0, 0, 1, CS_STREAM_ANALYSIS};
    const cs_stream_key key_ratio = {w->in->seed, 0, 0, 0, 2, CS_STREAM_ANALYSIS};
    int st = cs_ranking_alloc(w->VR, &w->rank_imp, err);
    if (st == CS_OK)
        st = cs_stats_rank(w->crit_imp, w->VR, w->R, CS_RANK_LOWER, &key_imp, CS_STATS_BOOTSTRAP,
                           w->rank_imp, err);
    if (st == CS_OK && w->in->n_groups > 1)
        st = cs_ranking_alloc(w->VR, &w->rank_ratio, err);
    if (st == CS_OK && w->rank_ratio)
        st = cs_stats_rank(w->crit_ratio, w->VR, w->R, CS_RANK_PARITY, &key_ratio,
                           CS_STATS_BOOTSTRAP, w->rank_ratio, err);
    return st;
}

/* Variant v's cost per point of impunity removed (on its comparison row of
 * the most affected group's impunity) and its ranks, copied to the
 * comparison rows of the criteria. */
static void cost_and_ranks(const work *w, size_t v, size_t mag, cs_analysis_tables *out)
{
    cs_results_ranking_row *k = &out->ranking[v];
    cs_results_comparison_row *ci = &out->comparison[(v - 1) * w->row + mag * w->M + w->m_imp];
    cs_results_comparison_row *cr = &out->comparison[(v - 1) * w->row + mag * w->M + w->m_ratio];
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
    if (w->rank_ratio) {
        cr->rank = k->ratio_rank;
        cr->p_best = k->ratio_p_best;
    }
}

/* The /ranking rows, from the summary rows of the criteria and the rankings. */
static void ranking_rows(const work *w, size_t mag, cs_analysis_tables *out)
{
    for (size_t v = 0; v < w->VR; v++) {
        const cs_results_summary_row *si = &out->summary[v * w->row + mag * w->M + w->m_imp];
        const cs_results_summary_row *sr = &out->summary[v * w->row + mag * w->M + w->m_ratio];
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
        if (w->rank_imp) {
            k->impunity_rank = (int32_t)w->rank_imp->rank[v];
            k->impunity_p_best = w->rank_imp->p_best[v];
        }
        if (w->rank_ratio) {
            k->ratio_rank = (int32_t)w->rank_ratio->rank[v];
            k->ratio_p_best = w->rank_ratio->p_best[v];
        } else {
            k->ratio_mean = k->ratio_ci_low = k->ratio_ci_high = NAN;
        }
        if (v > 0)
            cost_and_ranks(w, v, mag, out);
    }
    out->n_ranking = w->VR;
}

void cs_analysis_tables_free(cs_analysis_tables *t)
{
    free(t->summary);
    free(t->comparison);
    free(t->ranking);
    memset(t, 0, sizeof *t);
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
        st = work_alloc(&w, out, err);
    if (st == CS_OK)
        st = in->load(in->ctx, 0, w.base, err);
    size_t mag = st == CS_OK ? most_affected(&w) : 0;
    for (size_t v = 0; v < w.V && st == CS_OK; v++) {
        if (v > 0)
            st = in->load(in->ctx, v, w.cur, err);
        if (st == CS_OK)
            st = analyse_variant(&w, v, v > 0 ? w.cur : w.base, mag, out, err);
    }
    if (st == CS_OK)
        st = rank_variants(&w, err);
    if (st == CS_OK) {
        ranking_rows(&w, mag, out);
        out->most_affected = mag;
        out->bootstrap_resamples = w.R > 0 ? CS_STATS_BOOTSTRAP : 0;
    }
    work_free(&w);
    return st;
}

/* ------------------------------------------------ the input, from a file */

/* Everything the analysis reads from a file, owned. */
typedef struct file_input {
    hid_t file;
    size_t n_groups, n_measures, n_variants;
    char **groups, **measures, **units, **variants, **kinds;
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
    free(in->cost);
    free(in->years);
}

/* Opens variant v's measures with the schema's checks: [replicate, groups +
 * all, measures] of the name lists, rows as stored (bounded by its size). */
static int open_measures(const file_input *in, size_t v, cs_schema_open *o, cs_error *err)
{
    char vpath[CS_MAX_NAME_LEN + 16];
    snprintf(vpath, sizeof vpath, "/runs/%s", in->variants[v]);
    cs_result_dims d = {.n_group_rows = in->n_groups + 1, .n_measures = in->n_measures};
    return cs_schema_open_array(in->file, vpath, &cs_schema_arrays[CS_ARRAY_measures], &d, 0,
                                UINT64_MAX, o, err);
}

/* cs_analysis_input.load for a file. */
static int load_measures(void *ctx, size_t v, double *buf, cs_error *err)
{
    const file_input *in = ctx;
    cs_schema_open o;
    int st = open_measures(in, v, &o, err);
    if (st == CS_OK && o.rows != in->replicates)
        st = cs_error_set(err, CS_EFORMAT, "/runs/%s/measures changed while it was analysed",
                          in->variants[v]);
    char what[CS_MAX_NAME_LEN + 32];
    snprintf(what, sizeof what, "/runs/%s/measures", in->variants[v]);
    if (st == CS_OK)
        st = cs_schema_read_rows(&o, &cs_schema_arrays[CS_ARRAY_measures], 0, o.rows, buf, what,
                                 err);
    cs_h5_close(&o.ds);
    return st;
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
        st = open_measures(in, v, &o, err);
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
static int write_headlines(hid_t d, cs_error *err)
{
    const char *names[CS_SCHEMA_N_HEADLINES], *labels[CS_SCHEMA_N_HEADLINES];
    const char *display[CS_SCHEMA_N_HEADLINES];
    size_t n = CS_SCHEMA_N_HEADLINES;
    for (size_t i = 0; i < n; i++) {
        names[i] = cs_measure_table[cs_schema_headlines[i].measure].name;
        labels[i] = cs_schema_headlines[i].label;
        display[i] = cs_display_name(cs_schema_headlines[i].display);
    }
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
    (void)ctx;
    return write_headlines(d, err);
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
        st = annotate(file, cs_schema_summary.path, summary_attrs, NULL, err);
    if (st == CS_OK)
        st =
            cs_schema_write_table(file, &cs_schema_comparison, t->n_comparison, t->comparison, err);
    if (st == CS_OK)
        st = cs_schema_write_table(file, &cs_schema_ranking, t->n_ranking, t->ranking, err);
    if (st == CS_OK)
        st = annotate(file, cs_schema_ranking.path, ranking_attrs, &rc, err);
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
                                .ctx = &fin,
                                .n_years = fin.n_years,
                                .years = fin.years,
                                .load_years = fin.n_years ? load_years : NULL};
        st = cs_analysis_compute(&in, &t, err);
        long m_imp = find_name((const char *const *)fin.measures, fin.n_measures,
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
