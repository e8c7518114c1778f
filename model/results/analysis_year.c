/*
 * results/analysis_year.c — the tables by arrival year: /summary_by_year,
 * /comparison_by_year and /timing, a pure function of the per-replicate
 * measures by arrival year (results/internal.h), computed with the same
 * statistics as /summary and /comparison (casesim/stats.h).
 *
 * /timing answers "how fast": for each intervention and bundle, its paired
 * effect on the impunity rate of the most affected group, year by year;
 * the first arrival year whose 95% interval excludes zero; and the first
 * arrival year from which the mean effect stays at 90% or more of its
 * value in the last arrival year ("stays", so that one early noisy year
 * does not count as having arrived).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/stats.h"
#include "core/alloc.h"
#include "results/internal.h"

/* The computation's state. */
typedef struct ywork {
    const cs_analysis_input *in;
    size_t Y, G1, M, R, row; /* row = Y (G + 1) M values per replicate */
    double *base, *cur;
    bool *share;      /* [M]: the measure is a share (intervals kept inside [0, 1]) */
    long *ratio_base; /* [M] cs_analysis_ratio_bases */
} ywork;

static const char *group_name(const cs_analysis_input *in, size_t g)
{
    return g < in->n_groups ? in->groups[g] : "all";
}

/* Year y of records x as a block of measures (cs_analysis_summarise). */
static cs_measure_block year_block(const ywork *w, const double *x, size_t y)
{
    return (cs_measure_block){.x = x + y * w->G1 * w->M,
                              .n_groups = w->G1 - 1,
                              .M = w->M,
                              .stride = w->row,
                              .R = w->R,
                              .base = w->ratio_base};
}

/* Summary (and, v > 0, comparison) rows of variant v, measures x. */
static int year_rows(const ywork *w, size_t v, const double *x, cs_analysis_year_tables *out,
                     cs_error *err)
{
    const cs_analysis_input *in = w->in;
    int st = CS_OK;
    for (size_t y = 0; y < w->Y && st == CS_OK; y++)
        for (size_t g = 0; g < w->G1 && st == CS_OK; g++)
            for (size_t m = 0; m < w->M && st == CS_OK; m++) {
                cs_measure_block b = year_block(w, x, y);
                cs_summary s;
                st = cs_analysis_summarise(&b, g, m, &s, err);
                if (st == CS_OK && w->share[m]) /* as in /summary */
                    cs_stats_share_interval(CS_STATS_LEVEL, &s);
                out->summary[out->n_summary++] =
                    (cs_results_summary_year_row){(char *)in->variants[v],
                                                  in->years[y],
                                                  (char *)group_name(in, g),
                                                  (char *)in->measures[m],
                                                  (char *)in->units[m],
                                                  s.mean,
                                                  s.sd,
                                                  s.ci_low,
                                                  s.ci_high,
                                                  (int64_t)s.n};
                if (st != CS_OK || v == 0)
                    continue;
                cs_paired p;
                cs_measure_block b0 = year_block(w, w->base, y);
                st = cs_analysis_paired(&b0, &b, g, m, &p, err);
                out->comparison[out->n_comparison++] = (cs_results_comparison_year_row){
                    (char *)in->variants[v], in->years[y],         (char *)group_name(in, g),
                    (char *)in->measures[m], (char *)in->units[m], p.baseline_mean,
                    p.variant_mean,          p.diff.mean,          p.diff.ci_low,
                    p.diff.ci_high,          (int64_t)p.diff.n};
            }
    return st;
}

/* The /timing row of variant v from its comparison rows of (mag, m_imp). */
static void timing_row(const ywork *w, size_t v, size_t mag, size_t m_imp,
                       const cs_analysis_year_tables *t, cs_results_timing_row *row)
{
    const cs_analysis_input *in = w->in;
    /* This variant's comparison rows start at (v - 1) Y G1 M. */
    const cs_results_comparison_year_row *c = &t->comparison[(v - 1) * w->Y * w->G1 * w->M];
    const cs_results_comparison_year_row *last = &c[((w->Y - 1) * w->G1 + mag) * w->M + m_imp];
    *row = (cs_results_timing_row){(char *)in->variants[v],
                                   (char *)group_name(in, mag),
                                   (char *)in->measures[m_imp],
                                   in->years[w->Y - 1],
                                   last->diff_mean,
                                   last->diff_ci_low,
                                   last->diff_ci_high,
                                   NAN,
                                   NAN};
    double f = last->diff_mean;
    for (size_t y = 0; y < w->Y; y++) {
        const cs_results_comparison_year_row *r = &c[(y * w->G1 + mag) * w->M + m_imp];
        if (isnan(row->first_clear_year) && (r->diff_ci_low > 0.0 || r->diff_ci_high < 0.0))
            row->first_clear_year = in->years[y];
    }
    if (!(f != 0.0) || isnan(f))
        return;
    for (size_t y = w->Y; y-- > 0;) {
        double e = c[(y * w->G1 + mag) * w->M + m_imp].diff_mean;
        if (!(e / f >= 0.9))
            break;
        row->year_90 = in->years[y];
    }
}

void cs_analysis_year_tables_free(cs_analysis_year_tables *t)
{
    free(t->summary);
    free(t->comparison);
    free(t->timing);
    memset(t, 0, sizeof *t);
}

/* Allocates the work arrays and the tables (sizes checked). */
static int ywork_alloc(ywork *w, size_t V, cs_analysis_year_tables *out, cs_error *err)
{
    size_t per = 0, rows = 0;
    if (!cs_size_mul(w->R, w->row, &per) || !cs_size_mul(per, sizeof(double), &per) ||
        !cs_size_mul(V, w->Y * w->G1 * w->M, &rows))
        return cs_error_set(err, CS_ELIMIT, "the results file is too large to analyse here");
    w->base = cs_xcalloc(per ? per : 1, 1);
    w->cur = cs_xcalloc(per ? per : 1, 1);
    w->share = cs_xcalloc(w->M ? w->M : 1, sizeof *w->share);
    w->ratio_base = cs_xcalloc(w->M ? w->M : 1, sizeof *w->ratio_base);
    out->summary = cs_xcalloc(rows ? rows : 1, sizeof *out->summary);
    out->comparison = cs_xcalloc(rows ? rows : 1, sizeof *out->comparison);
    out->timing = cs_xcalloc(V, sizeof *out->timing);
    if (!w->base || !w->cur || !w->share || !w->ratio_base || !out->summary || !out->comparison ||
        !out->timing)
        return cs_error_set(err, CS_ENOMEM, "out of memory for the tables by arrival year");
    for (size_t m = 0; m < w->M; m++)
        w->share[m] = cs_analysis_is_share(w->in->measures[m]);
    cs_analysis_ratio_bases(w->in->measures, w->M, w->ratio_base);
    return CS_OK;
}

/* Whether x[0..n) holds a number that is not NaN. */
static bool any_value(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            return true;
    return false;
}

int cs_analysis_by_year(const cs_analysis_input *in, size_t mag, size_t m_imp,
                        cs_analysis_year_tables *out, cs_error *err)
{
    memset(out, 0, sizeof *out);
    if (in->n_years == 0 || !in->load_years)
        return CS_OK; /* a file without measures by arrival year */
    ywork w = {.in = in,
               .Y = in->n_years,
               .G1 = in->n_groups + 1,
               .M = in->n_measures,
               .R = (size_t)in->replicates};
    w.row = w.Y * w.G1 * w.M;
    /* The variants compared with the baseline: not the decomposition's. */
    size_t V = in->n_ranked && in->n_ranked < in->n_variants ? in->n_ranked : in->n_variants;
    int st = ywork_alloc(&w, V, out, err);
    if (st == CS_OK)
        st = in->load_years(in->ctx, 0, w.base, err);
    if (st == CS_OK && !any_value(w.base, w.R * w.row)) {
        /* NaN alone: a file joined from files without these measures. */
        free(w.base);
        free(w.cur);
        free(w.share);
        free(w.ratio_base);
        cs_analysis_year_tables_free(out);
        memset(out, 0, sizeof *out);
        return CS_OK;
    }
    for (size_t v = 0; v < V && st == CS_OK; v++) {
        if (v > 0)
            st = in->load_years(in->ctx, v, w.cur, err);
        if (st == CS_OK)
            st = year_rows(&w, v, v > 0 ? w.cur : w.base, out, err);
        if (st == CS_OK && v > 0)
            timing_row(&w, v, mag, m_imp, out, &out->timing[out->n_timing++]);
    }
    free(w.base);
    free(w.cur);
    free(w.share);
    free(w.ratio_base);
    return st;
}
