/*
 * results/analysis.c — the analysis tables of a results file: /summary,
 * /comparison and /ranking, computed from the per-replicate measures under
 * /runs with the statistics of casesim/stats.h. The method is explained in
 * analysis/README.md.
 *
 * Everything is read back from the file rather than accumulated while the
 * run writes, so that the same code serves a finished run, an interrupted one
 * and a file joined from replicate ranges (cs_results_reanalyse).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/results.h"
#include "casesim/rng.h"
#include "casesim/stats.h"
#include "results/h5util.h"
#include "results/internal.h"

/* Compound type of a row struct: strings are variable-length UTF-8. */
#define ADD_STR(t, st, f, s) H5Tinsert(t, #f, HOFFSET(st, f), s)
#define ADD_NUM(t, st, f, nt) H5Tinsert(t, #f, HOFFSET(st, f), nt)

hid_t cs_results_summary_mtype(void)
{
    hid_t s = cs_h5_string_type();
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(cs_results_summary_row));
    if (s < 0 || t < 0 || ADD_STR(t, cs_results_summary_row, variant, s) < 0 ||
        ADD_STR(t, cs_results_summary_row, group, s) < 0 ||
        ADD_STR(t, cs_results_summary_row, measure, s) < 0 ||
        ADD_STR(t, cs_results_summary_row, units, s) < 0 ||
        ADD_NUM(t, cs_results_summary_row, mean, H5T_NATIVE_DOUBLE) < 0 ||
        ADD_NUM(t, cs_results_summary_row, sd, H5T_NATIVE_DOUBLE) < 0 ||
        ADD_NUM(t, cs_results_summary_row, ci_low, H5T_NATIVE_DOUBLE) < 0 ||
        ADD_NUM(t, cs_results_summary_row, ci_high, H5T_NATIVE_DOUBLE) < 0 ||
        ADD_NUM(t, cs_results_summary_row, n, H5T_NATIVE_INT64) < 0)
        cs_h5_close(&t);
    cs_h5_close(&s);
    return t;
}

hid_t cs_results_comparison_mtype(void)
{
    typedef cs_results_comparison_row R;
    hid_t s = cs_h5_string_type();
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(R));
    hid_t d = H5T_NATIVE_DOUBLE;
    if (s < 0 || t < 0 || ADD_STR(t, R, variant, s) < 0 || ADD_STR(t, R, group, s) < 0 ||
        ADD_STR(t, R, measure, s) < 0 || ADD_STR(t, R, units, s) < 0 ||
        ADD_NUM(t, R, baseline_mean, d) < 0 || ADD_NUM(t, R, variant_mean, d) < 0 ||
        ADD_NUM(t, R, diff_mean, d) < 0 || ADD_NUM(t, R, diff_ci_low, d) < 0 ||
        ADD_NUM(t, R, diff_ci_high, d) < 0 || ADD_NUM(t, R, n, H5T_NATIVE_INT64) < 0 ||
        ADD_NUM(t, R, relative_change, d) < 0 || ADD_NUM(t, R, cost_per_point, d) < 0 ||
        ADD_NUM(t, R, cost_per_point_low, d) < 0 || ADD_NUM(t, R, cost_per_point_high, d) < 0 ||
        ADD_NUM(t, R, rank, H5T_NATIVE_INT32) < 0 || ADD_NUM(t, R, p_best, d) < 0)
        cs_h5_close(&t);
    cs_h5_close(&s);
    return t;
}

hid_t cs_results_ranking_mtype(void)
{
    typedef cs_results_ranking_row R;
    hid_t s = cs_h5_string_type();
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(R));
    hid_t d = H5T_NATIVE_DOUBLE, i = H5T_NATIVE_INT32;
    if (s < 0 || t < 0 || ADD_STR(t, R, variant, s) < 0 || ADD_STR(t, R, kind, s) < 0 ||
        ADD_NUM(t, R, annual_cost, d) < 0 || ADD_NUM(t, R, impunity_mean, d) < 0 ||
        ADD_NUM(t, R, impunity_ci_low, d) < 0 || ADD_NUM(t, R, impunity_ci_high, d) < 0 ||
        ADD_NUM(t, R, reduction_points, d) < 0 || ADD_NUM(t, R, reduction_ci_low, d) < 0 ||
        ADD_NUM(t, R, reduction_ci_high, d) < 0 || ADD_NUM(t, R, cost_per_point, d) < 0 ||
        ADD_NUM(t, R, cost_per_point_low, d) < 0 || ADD_NUM(t, R, cost_per_point_high, d) < 0 ||
        ADD_NUM(t, R, impunity_rank, i) < 0 || ADD_NUM(t, R, impunity_p_best, d) < 0 ||
        ADD_NUM(t, R, ratio_mean, d) < 0 || ADD_NUM(t, R, ratio_ci_low, d) < 0 ||
        ADD_NUM(t, R, ratio_ci_high, d) < 0 || ADD_NUM(t, R, ratio_rank, i) < 0 ||
        ADD_NUM(t, R, ratio_p_best, d) < 0)
        cs_h5_close(&t);
    cs_h5_close(&s);
    return t;
}

int cs_results_check_format(hid_t file, const char *path, int *major, int *minor, cs_error *err)
{
    char *format = NULL;
    int v[2] = {0, 0};
    cs_error local;
    cs_error_clear(&local);
    if (cs_h5_read_attr_string(file, "format", &format, &local) != CS_OK ||
        strcmp(format, CS_RESULTS_FORMAT) != 0) {
        int st = cs_error_set(err, CS_EFORMAT,
                              "%s: not a casesim results file (its attribute 'format' is %s%s%s, "
                              "expected \"%s\")",
                              path, format ? "\"" : "", format ? format : "missing",
                              format ? "\"" : "", CS_RESULTS_FORMAT);
        free(format);
        return st;
    }
    free(format);
    if (cs_h5_read_attr_ints(file, "format_version", v, 2, &local) != CS_OK)
        return cs_error_set(err, CS_EFORMAT,
                            "%s: the attribute 'format_version' is missing or is not "
                            "{major, minor}",
                            path);
    if (major)
        *major = v[0];
    if (minor)
        *minor = v[1];
    if (v[0] != CS_RESULTS_VERSION_MAJOR)
        return cs_error_set(err, CS_EFORMAT,
                            "%s: results format version %d.%d cannot be read by this casesim "
                            "(%s), which reads version %d.x; use a casesim of the matching "
                            "major version",
                            path, v[0], v[1], CASESIM_VERSION_STRING, CS_RESULTS_VERSION_MAJOR);
    return CS_OK;
}

/* Everything the analysis reads from the file. */
typedef struct input {
    size_t n_groups, n_measures, n_variants;
    char **groups, **measures, **units, **variants;
    char **kinds;
    double *cost;
    uint64_t replicates;
    uint64_t seed;
} input;

static void input_free(input *in)
{
    cs_h5_free_strings(in->groups, in->n_groups);
    cs_h5_free_strings(in->measures, in->n_measures);
    cs_h5_free_strings(in->units, in->n_measures);
    cs_h5_free_strings(in->kinds, in->n_variants);
    cs_h5_free_strings(in->variants, in->n_variants);
    free(in->cost);
}

/* Opens /runs/<name>/measures and checks its shape; *rows gets its length. */
static int open_measures(hid_t file, const input *in, const char *name, hid_t *d, uint64_t *rows,
                         cs_error *err)
{
    char path[CS_MAX_NAME_LEN + 32];
    snprintf(path, sizeof path, "/runs/%s/measures", name);
    *d = H5Dopen2(file, path, H5P_DEFAULT);
    if (*d < 0)
        return cs_h5_fail(err, CS_EFORMAT, "cannot open %s", path);
    hid_t space = H5Dget_space(*d);
    hsize_t dims[3] = {0, 0, 0};
    int ok = space >= 0 && H5Sget_simple_extent_ndims(space) == 3 &&
             H5Sget_simple_extent_dims(space, dims, NULL) == 3 && dims[1] == in->n_groups + 1 &&
             dims[2] == in->n_measures;
    cs_h5_close(&space);
    if (!ok) {
        cs_h5_close(d);
        return cs_error_set(err, CS_EFORMAT,
                            "%s does not have the shape [replicate, %zu groups + all, %zu "
                            "measures] of /scenario/groups and /scenario/measures",
                            path, in->n_groups, in->n_measures);
    }
    *rows = dims[0];
    return CS_OK;
}

static int read_input(hid_t file, input *in, cs_error *err)
{
    size_t nu = 0;
    int st = cs_h5_read_attr_u64(file, "seed", &in->seed, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(file, "/scenario/groups", &in->groups, &in->n_groups, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(file, "/scenario/measures", &in->measures, &in->n_measures, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(file, "/scenario/measure_units", &in->units, &nu, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(file, "/scenario/variants", &in->variants, &in->n_variants, err);
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
    in->kinds = calloc(in->n_variants, sizeof *in->kinds);
    in->cost = calloc(in->n_variants, sizeof *in->cost);
    if (!in->kinds || !in->cost)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t v = 0; v < in->n_variants && st == CS_OK; v++) {
        char path[CS_MAX_NAME_LEN + 16];
        snprintf(path, sizeof path, "/runs/%s", in->variants[v]);
        hid_t g = H5Gopen2(file, path, H5P_DEFAULT);
        if (g < 0)
            st = cs_h5_fail(err, CS_EFORMAT, "cannot open %s", path);
        if (st == CS_OK)
            st = cs_h5_read_attr_string(g, "kind", &in->kinds[v], err);
        if (st == CS_OK)
            st = cs_h5_read_attr_double(g, "annual_cost", &in->cost[v], err);
        cs_h5_close(&g);
        hid_t d = H5I_INVALID_HID;
        uint64_t rows = 0;
        if (st == CS_OK)
            st = open_measures(file, in, in->variants[v], &d, &rows, err);
        cs_h5_close(&d);
        if (st == CS_OK && v == 0)
            in->replicates = rows;
        if (st == CS_OK && rows != in->replicates)
            st = cs_error_set(err, CS_EFORMAT,
                              "variant '%s' holds %llu replicates but the baseline %llu: every "
                              "variant must hold the same replicates",
                              in->variants[v], (unsigned long long)rows,
                              (unsigned long long)in->replicates);
    }
    if (st == CS_OK && strcmp(in->kinds[0], "baseline") != 0)
        st = cs_error_set(err, CS_EFORMAT,
                          "the first variant of /scenario/variants ('%s') is not the baseline",
                          in->variants[0]);
    return st;
}

/* Reads the measures of one variant: [replicates][groups + 1][measures]. */
static int load_measures(hid_t file, const input *in, size_t v, double *buf, cs_error *err)
{
    hid_t d = H5I_INVALID_HID;
    uint64_t rows = 0;
    int st = open_measures(file, in, in->variants[v], &d, &rows, err);
    if (st == CS_OK && rows > 0 &&
        H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        st = cs_h5_fail(err, CS_EIO, "cannot read /runs/%s/measures", in->variants[v]);
    cs_h5_close(&d);
    return st;
}

static long find_name(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (long)i;
    return -1;
}

/* Writes a 1-D compound table at file/name, replacing an existing one. */
static int write_table(hid_t file, const char *name, hid_t mtype, size_t n, const void *rows,
                       const char *description, cs_error *err)
{
    hid_t ftype = H5I_INVALID_HID, space = H5I_INVALID_HID, d = H5I_INVALID_HID;
    int st = CS_OK;
    if (H5Lexists(file, name, H5P_DEFAULT) > 0 && H5Ldelete(file, name, H5P_DEFAULT) < 0)
        return cs_h5_fail(err, CS_EIO, "cannot replace %s", name);
    hsize_t dim = n;
    ftype = H5Tcopy(mtype);
    space = H5Screate_simple(1, &dim, NULL);
    if (ftype < 0 || H5Tpack(ftype) < 0 || space < 0) {
        st = cs_h5_fail(err, CS_EIO, "cannot create table %s", name);
        goto done;
    }
    d = H5Dcreate2(file, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d < 0 || (n > 0 && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) < 0)) {
        st = cs_h5_fail(err, CS_EIO, "cannot write table %s", name);
        goto done;
    }
    st = cs_h5_document(d,
                        "see the column descriptions in analysis/README.md; measure values "
                        "are in the row's 'units'",
                        description, err);
done:
    if (cs_h5_close(&d) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "cannot close table %s", name);
    cs_h5_close(&space);
    cs_h5_close(&ftype);
    return st;
}

static const char *group_name(const input *in, size_t g)
{
    return g < in->n_groups ? in->groups[g] : "all";
}

int cs_results_write_analysis(hid_t file, cs_error *err)
{
    input in;
    memset(&in, 0, sizeof in);
    double *base = NULL, *cur = NULL, *crit_imp = NULL, *crit_ratio = NULL;
    cs_results_summary_row *sum = NULL;
    cs_results_comparison_row *cmp = NULL;
    cs_results_ranking_row *rk = NULL;
    cs_ranking *rank_imp = NULL, *rank_ratio = NULL;
    hid_t mt = H5I_INVALID_HID;
    size_t n_sum = 0, n_cmp = 0;
    cs_h5_quiet();
    int st = read_input(file, &in, err);
    if (st != CS_OK)
        goto done;

    const size_t G1 = in.n_groups + 1, M = in.n_measures, V = in.n_variants;
    const uint64_t R = in.replicates;
    long m_imp = find_name(in.measures, M, cs_measure_table[CS_M_IMPUNITY].name);
    long m_ratio = find_name(in.measures, M, cs_measure_table[CS_M_ACCOUNTABILITY_RATIO].name);
    if (m_imp < 0 || m_ratio < 0) {
        st = cs_error_set(err, CS_EFORMAT, "/scenario/measures lacks '%s' or '%s'",
                          cs_measure_table[CS_M_IMPUNITY].name,
                          cs_measure_table[CS_M_ACCOUNTABILITY_RATIO].name);
        goto done;
    }
    /* Sizes: every product is checked against SIZE_MAX before allocation. */
    size_t row = G1 * M;
    if (R > SIZE_MAX / (row * sizeof(double)) || V > SIZE_MAX / (row * sizeof *sum) ||
        (R && V > SIZE_MAX / (R * sizeof(double)))) {
        st = cs_error_set(err, CS_ELIMIT, "the results file is too large to analyse here");
        goto done;
    }
    size_t per = (size_t)R * row;
    base = malloc((per ? per : 1) * sizeof *base);
    cur = malloc((per ? per : 1) * sizeof *cur);
    crit_imp = malloc((R ? (size_t)R * V : 1) * sizeof *crit_imp);
    crit_ratio = malloc((R ? (size_t)R * V : 1) * sizeof *crit_ratio);
    sum = calloc(V * row, sizeof *sum);
    cmp = calloc(V * row, sizeof *cmp);
    rk = calloc(V, sizeof *rk);
    if (!base || !cur || !crit_imp || !crit_ratio || !sum || !cmp || !rk) {
        st = cs_error_set(err, CS_ENOMEM, "out of memory for the analysis tables");
        goto done;
    }
    st = load_measures(file, &in, 0, base, err);
    if (st != CS_OK)
        goto done;

    /* The most affected group: the non-reference group with the highest mean
     * baseline impunity (the reference group itself if it is the only one). */
    size_t mag = 0;
    if (in.n_groups > 1) {
        double worst = -INFINITY;
        mag = 1;
        for (size_t g = 1; g < in.n_groups; g++) {
            cs_summary s;
            cs_stats_summarise(base + g * M + (size_t)m_imp, (size_t)R, row, CS_STATS_LEVEL, &s,
                               NULL);
            if (s.n > 0 && s.mean > worst) {
                worst = s.mean;
                mag = g;
            }
        }
    }

    for (size_t v = 0; v < V && st == CS_OK; v++) {
        const double *x = base;
        if (v > 0) {
            st = load_measures(file, &in, v, cur, err);
            if (st != CS_OK)
                break;
            x = cur;
        }
        for (uint64_t r = 0; r < R; r++) {
            crit_imp[v * R + r] = x[r * row + mag * M + (size_t)m_imp];
            crit_ratio[v * R + r] = x[r * row + mag * M + (size_t)m_ratio];
        }
        for (size_t g = 0; g < G1 && st == CS_OK; g++) {
            for (size_t m = 0; m < M && st == CS_OK; m++) {
                cs_summary s;
                st = cs_stats_summarise(x + g * M + m, (size_t)R, row, CS_STATS_LEVEL, &s, err);
                sum[n_sum++] = (cs_results_summary_row){in.variants[v], (char *)group_name(&in, g),
                                                        in.measures[m], in.units[m],
                                                        s.mean,         s.sd,
                                                        s.ci_low,       s.ci_high,
                                                        (int64_t)s.n};
                if (v == 0)
                    continue;
                cs_paired p;
                if (st == CS_OK)
                    st = cs_stats_paired(base + g * M + m, row, x + g * M + m, row, (size_t)R,
                                         CS_STATS_LEVEL, &p, err);
                cmp[n_cmp++] = (cs_results_comparison_row){in.variants[v],
                                                           (char *)group_name(&in, g),
                                                           in.measures[m],
                                                           in.units[m],
                                                           p.baseline_mean,
                                                           p.variant_mean,
                                                           p.diff.mean,
                                                           p.diff.ci_low,
                                                           p.diff.ci_high,
                                                           (int64_t)p.diff.n,
                                                           p.relative_change,
                                                           NAN,
                                                           NAN,
                                                           NAN,
                                                           0,
                                                           NAN};
            }
        }
    }
    if (st != CS_OK)
        goto done;

    /* Rankings (need at least one replicate; the disparity ratio needs a
     * second group). */
    const cs_stream_key key_imp = {in.seed, 0, 0, 0, 1, CS_STREAM_ANALYSIS};
    const cs_stream_key key_ratio = {in.seed, 0, 0, 0, 2, CS_STREAM_ANALYSIS};
    if (R > 0) {
        st = cs_ranking_alloc(V, &rank_imp, err);
        if (st == CS_OK)
            st = cs_stats_rank(crit_imp, V, (size_t)R, CS_RANK_LOWER, &key_imp, CS_STATS_BOOTSTRAP,
                               rank_imp, err);
        if (st == CS_OK && in.n_groups > 1)
            st = cs_ranking_alloc(V, &rank_ratio, err);
        if (st == CS_OK && rank_ratio)
            st = cs_stats_rank(crit_ratio, V, (size_t)R, CS_RANK_PARITY, &key_ratio,
                               CS_STATS_BOOTSTRAP, rank_ratio, err);
        if (st != CS_OK)
            goto done;
    }
    for (size_t v = 0; v < V; v++) {
        const cs_results_summary_row *si = &sum[v * row + mag * M + (size_t)m_imp];
        const cs_results_summary_row *sr = &sum[v * row + mag * M + (size_t)m_ratio];
        cs_results_ranking_row *k = &rk[v];
        *k = (cs_results_ranking_row){in.variants[v],
                                      in.kinds[v],
                                      in.cost[v],
                                      si->mean,
                                      si->ci_low,
                                      si->ci_high,
                                      NAN,
                                      NAN,
                                      NAN,
                                      NAN,
                                      NAN,
                                      NAN,
                                      0,
                                      NAN,
                                      sr->mean,
                                      sr->ci_low,
                                      sr->ci_high,
                                      0,
                                      NAN};
        if (rank_imp) {
            k->impunity_rank = (int32_t)rank_imp->rank[v];
            k->impunity_p_best = rank_imp->p_best[v];
        }
        if (rank_ratio) {
            k->ratio_rank = (int32_t)rank_ratio->rank[v];
            k->ratio_p_best = rank_ratio->p_best[v];
        } else {
            k->ratio_mean = k->ratio_ci_low = k->ratio_ci_high = NAN;
        }
        if (v == 0)
            continue;
        cs_results_comparison_row *ci = &cmp[(v - 1) * row + mag * M + (size_t)m_imp];
        cs_results_comparison_row *cr = &cmp[(v - 1) * row + mag * M + (size_t)m_ratio];
        cs_summary diff = {ci->diff_mean, NAN, ci->diff_ci_low, ci->diff_ci_high, (uint64_t)ci->n};
        cs_stats_cost_per_point(in.cost[v], &diff, &ci->cost_per_point, &ci->cost_per_point_low,
                                &ci->cost_per_point_high);
        k->reduction_points = -100.0 * ci->diff_mean;
        k->reduction_ci_low = -100.0 * ci->diff_ci_high;
        k->reduction_ci_high = -100.0 * ci->diff_ci_low;
        k->cost_per_point = ci->cost_per_point;
        k->cost_per_point_low = ci->cost_per_point_low;
        k->cost_per_point_high = ci->cost_per_point_high;
        ci->rank = k->impunity_rank;
        ci->p_best = k->impunity_p_best;
        if (rank_ratio) {
            cr->rank = k->ratio_rank;
            cr->p_best = k->ratio_p_best;
        }
    }

    mt = cs_results_summary_mtype();
    if (mt < 0) {
        st = cs_h5_fail(err, CS_EIO, "cannot build the summary table type");
        goto done;
    }
    st = write_table(file, "/summary", mt, n_sum, sum,
                     "One row per (variant, group, measure): mean over replicates, sample "
                     "standard deviation, t-based 95% confidence interval of the mean, and n, the "
                     "replicates where the measure is defined. Group 'all' is all groups together.",
                     err);
    cs_h5_close(&mt);
    if (st != CS_OK)
        goto done;
    mt = cs_results_comparison_mtype();
    if (mt < 0) {
        st = cs_h5_fail(err, CS_EIO, "cannot build the comparison table type");
        goto done;
    }
    st = write_table(file, "/comparison", mt, n_cmp, cmp,
                     "One row per (intervention or bundle, group, measure): the paired "
                     "difference variant minus baseline over common-random-number replicates "
                     "with its t-based 95% confidence interval, the relative change, the cost per "
                     "percentage point of impunity removed (on the row of the most affected "
                     "group's impunity rate) and the variant's rank with its probability of "
                     "being best (on the rows of the two ranking criteria).",
                     err);
    cs_h5_close(&mt);
    if (st != CS_OK)
        goto done;
    mt = cs_results_ranking_mtype();
    if (mt < 0) {
        st = cs_h5_fail(err, CS_EIO, "cannot build the ranking table type");
        goto done;
    }
    st = write_table(file, "/ranking", mt, V, rk,
                     "One row per variant (baseline included): the two ranking criteria for the "
                     "most affected group (impunity rate, lower is better; accountability "
                     "disparity ratio, closer to 1 is better), each variant's rank (1 = best) "
                     "and its bootstrap probability of being best, and the impunity reduction "
                     "in percentage points with the cost per point.",
                     err);
    if (st != CS_OK)
        goto done;
    {
        hid_t d = H5Dopen2(file, "/ranking", H5P_DEFAULT);
        if (d < 0) {
            st = cs_h5_fail(err, CS_EIO, "cannot reopen /ranking");
            goto done;
        }
        st =
            cs_h5_attr_string(d, "most_affected_group", in.n_groups > 1 ? in.groups[mag] : "", err);
        if (st == CS_OK)
            st = cs_h5_attr_u64(d, "bootstrap_resamples", R > 0 ? CS_STATS_BOOTSTRAP : 0, err);
        if (st == CS_OK)
            st = cs_h5_attr_double(d, "confidence_level", CS_STATS_LEVEL, err);
        if (cs_h5_close(&d) < 0 && st == CS_OK)
            st = cs_h5_fail(err, CS_EIO, "cannot close /ranking");
    }
done:
    cs_h5_close(&mt);
    cs_ranking_free(rank_imp);
    cs_ranking_free(rank_ratio);
    free(base);
    free(cur);
    free(crit_imp);
    free(crit_ratio);
    free(sum);
    free(cmp);
    free(rk);
    input_free(&in);
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
    if (H5Fclose(f) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "%s: cannot close", path);
    return st;
}
