/*
 * results/read_sensitivity.c — reading /sensitivity back (see
 * casesim/study.h and analysis/README.md).
 */
#include <stdlib.h>
#include <string.h>

#include "casesim/results.h"
#include "casesim/study.h"
#include "core/alloc.h"
#include "results/h5util.h"

bool cs_results_is_study(const cs_results *r)
{
    return !strcmp(r->sampling, "saltelli") || !strcmp(r->sampling, "morris");
}

void cs_study_file_free(cs_study_file *f)
{
    if (!f)
        return;
    free(f->method);
    free(f->status);
    free(f->outcome_measure);
    free(f->outcome_group);
    cs_h5_free_strings(f->factor, f->n_factors);
    cs_h5_free_strings(f->output, f->n_outputs);
    cs_h5_free_strings(f->output_measure, f->n_outputs);
    cs_h5_free_strings(f->output_group, f->n_outputs);
    cs_h5_free_strings(f->output_variant, f->n_outputs);
    free(f->output_change);
    double *a[] = {f->s1,           f->st,         f->s1_noiseless,
                   f->st_noiseless, f->variance,   f->noise_variance,
                   f->noise_share,  f->mu_star,    f->oneway_low,
                   f->oneway_high,  f->oneway_base};
    for (size_t i = 0; i < sizeof a / sizeof *a; i++)
        free(a[i]);
    free(f);
}

static int read_attrs(hid_t g, cs_study_file *f, cs_error *err)
{
    const char *names[] = {"rows",          "inputs", "points",    "design_points", "noise_points",
                           "oneway_points", "seed",   "runs_done", "units_done",    "correlations"};
    uint64_t *v[] = {&f->rows,         &f->n_inputs,      &f->points, &f->design_points,
                     &f->noise_points, &f->oneway_points, &f->seed,   &f->runs_done,
                     &f->units_done,   &f->correlations};
    int st = cs_h5_read_attr_string(g, "method", &f->method, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_string(g, "status", &f->status, err);
    for (size_t i = 0; i < sizeof v / sizeof *v && st == CS_OK; i++)
        st = cs_h5_read_attr_u64(g, names[i], v[i], err);
    if (st == CS_OK)
        st = cs_h5_read_strings(g, "factor", &f->factor, &f->n_factors, err);
    return st;
}

/* An array [O][D][4], [O][4] or [O][D] (rank and the trailing 4). */
static int read_est(hid_t g, const char *name, const cs_study_file *f, int rank, bool four,
                    double **out, cs_error *err)
{
    size_t dims[3] = {f->n_outputs, rank == 2 && four ? 4 : f->n_factors, 4};
    if (rank == 1)
        dims[0] = f->n_outputs;
    return cs_h5_read_array(g, name, CS_TYPE_F64, rank, dims, (void **)out, err);
}

static int read_analysis(hid_t g, cs_study_file *f, cs_error *err)
{
    int st = cs_h5_read_strings(g, "output", &f->output, &f->n_outputs, err);
    char ***col[3] = {&f->output_measure, &f->output_group, &f->output_variant};
    static const char *const cols[3] = {"output_measure", "output_group", "output_variant"};
    for (int c = 0; c < 3 && st == CS_OK; c++) {
        size_t n = 0;
        st = cs_h5_read_strings(g, cols[c], col[c], &n, err);
        if (st == CS_OK && n != f->n_outputs) {
            cs_h5_free_strings(*col[c], n);
            *col[c] = NULL;
            st = cs_error_set(err, CS_EFORMAT, "/sensitivity/%s has %zu entries, not %zu", cols[c],
                              n, f->n_outputs);
        }
    }
    size_t d1[1] = {f->n_outputs};
    if (st == CS_OK)
        st = cs_h5_read_array(g, "output_change", CS_TYPE_U8, 1, d1, (void **)&f->output_change,
                              err);
    if (st == CS_OK)
        st = cs_h5_read_attr_string(g, "outcome_measure", &f->outcome_measure, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_string(g, "outcome_group", &f->outcome_group, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(g, "bootstrap_resamples", &f->bootstrap_resamples, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_double(g, "confidence_level", &f->confidence_level, err);
    bool sobol = strcmp(f->method, "sobol") == 0;
    if (st == CS_OK && sobol) {
        const char *n3[] = {"s1", "st", "s1_noiseless", "st_noiseless"};
        double **a3[] = {&f->s1, &f->st, &f->s1_noiseless, &f->st_noiseless};
        for (int k = 0; k < 4 && st == CS_OK; k++)
            st = read_est(g, n3[k], f, 3, true, a3[k], err);
        const char *n2[] = {"variance", "noise_variance", "noise_share"};
        double **a2[] = {&f->variance, &f->noise_variance, &f->noise_share};
        for (int k = 0; k < 3 && st == CS_OK; k++)
            st = read_est(g, n2[k], f, 2, true, a2[k], err);
    } else if (st == CS_OK) {
        st = read_est(g, "mu_star", f, 3, true, &f->mu_star, err);
    }
    if (st == CS_OK)
        st = read_est(g, "oneway_low", f, 2, false, &f->oneway_low, err);
    if (st == CS_OK)
        st = read_est(g, "oneway_high", f, 2, false, &f->oneway_high, err);
    if (st == CS_OK)
        st = read_est(g, "oneway_base", f, 1, false, &f->oneway_base, err);
    return st;
}

int cs_study_read(const cs_results *r, cs_study_file **out, cs_error *err)
{
    *out = NULL;
    hid_t file = (hid_t)r->file_id;
    if (H5Lexists(file, "/sensitivity", H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return CS_OK;
    }
    cs_study_file *f = cs_xcalloc(1, sizeof *f);
    if (!f)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    hid_t g = H5Gopen2(file, "/sensitivity", H5P_DEFAULT);
    int st = g < 0 ? cs_h5_fail(err, CS_EFORMAT, "%s: cannot open /sensitivity", r->path)
                   : read_attrs(g, f, err);
    if (st == CS_OK && strcmp(f->method, "sobol") != 0 && strcmp(f->method, "morris") != 0)
        st = cs_error_set(err, CS_EFORMAT, "%s: /sensitivity has an unknown method '%s'", r->path,
                          f->method);
    if (st == CS_OK && strcmp(f->status, "complete") == 0)
        st = read_analysis(g, f, err);
    cs_h5_close(&g);
    if (st != CS_OK) {
        cs_study_file_free(f);
        return st == CS_ENOMEM ? st
                               : cs_error_set(err, st, "%s: /sensitivity is unreadable", r->path);
    }
    *out = f;
    return CS_OK;
}
