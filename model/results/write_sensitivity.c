/*
 * results/write_sensitivity.c — the /sensitivity group of a results file
 * written by `casesim sensitivity` (layout in analysis/README.md): the
 * design, and once the design is finished the outputs per run and the
 * indices.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/study.h"
#include "core/alloc.h"
#include "results/h5util.h"
#include "results/internal.h"
#include "results/schema.h"

/* The statistics of an estimate, the last axis of the index arrays. */
static const char *const STATISTICS[4] = {"estimate", "se", "low", "high"};

/* A string list labelled by its own axis (so that it is the axis's scale). */
static int name_list(hid_t g, const char *name, const char *const *values, size_t n,
                     const char *description, cs_error *err)
{
    int st = cs_h5_write_strings(g, name, values, n, err);
    hid_t d = st == CS_OK ? H5Dopen2(g, name, H5P_DEFAULT) : H5I_INVALID_HID;
    if (st == CS_OK && d < 0)
        st = cs_h5_fail(err, CS_EIO, "cannot open /sensitivity/%s", name);
    if (st == CS_OK)
        st = cs_h5_attr_strings(d, "dimensions", &name, 1, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(d, "description", description, err);
    cs_h5_close(&d);
    return st;
}

/* Names the axes of the dataset g/name. */
static int name_axes(hid_t g, const char *name, const char *const *axes, cs_error *err)
{
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    int st = d < 0 ? cs_h5_fail(err, CS_EIO, "cannot open /sensitivity/%s", name)
                   : cs_h5_attr_strings(d, "dimensions", axes, 1, err);
    cs_h5_close(&d);
    return st;
}

/* The design's attributes. */
static int design_attrs(hid_t g, const cs_study *st, uint64_t done, cs_error *err)
{
    const char *names[] = {"rows",          "factors",      "inputs",        "points",
                           "design_points", "noise_points", "oneway_points", "seed",
                           "runs_done",     "units_done",   "correlations"};
    uint64_t v[] = {
        st->n_rows,        st->n_factors, st->n_inputs, st->n_points, st->n_design,
        st->n_noise,       st->n_tornado, st->seed,     done,         cs_study_units_done(st, done),
        st->n_correlations};
    int rc = cs_h5_attr_string(g, "method", cs_study_method_name(st->method), err);
    for (size_t i = 0; i < sizeof v / sizeof *v && rc == CS_OK; i++)
        rc = cs_h5_attr_u64(g, names[i], v[i], err);
    if (rc == CS_OK)
        rc = cs_h5_attr_string(
            g, "description",
            st->method == CS_STUDY_SOBOL
                ? "Sobol indices on Saltelli's design: rows N of matrices A and B on a digitally "
                  "shifted Sobol sequence, run p = j (factors + 2) + m is row j of A (m = 0), B "
                  "(m = 1) or A with factor m - 2 from B; then noise_points repeats of rows of "
                  "A with other seeds; then the one-way points (all medians, then each factor "
                  "at its 5th and 95th percentile). Run p is replicate p of /runs."
                : "Morris elementary effects: rows trajectories of factors + 1 points on a "
                  "4-level grid, run p = t (factors + 1) + s; then the one-way points. Run p "
                  "is replicate p of /runs.",
            err);
    return rc;
}

/* The factors, inputs and unit-cube points. */
static int design_data(hid_t g, const cs_study *st, cs_error *err)
{
    int rc = name_list(g, "factor", (const char *const *)st->factor_names, st->n_factors,
                       "The factors the indices are about: an entry of uncertain:, or the "
                       "entries sharing a group.",
                       err);
    if (rc == CS_OK)
        rc = name_list(g, "input", (const char *const *)st->input_names, st->n_inputs,
                       "The uncertain values, in the order of /scenario/inputs.", err);
    uint64_t *f = cs_xcalloc(st->n_inputs, sizeof *f);
    if (rc == CS_OK && !f)
        rc = cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; rc == CS_OK && i < st->n_inputs; i++)
        f[i] = st->group[i];
    const char *ax_in[] = {"input"}, *ax_pt[] = {"point", "input"};
    size_t d1[] = {st->n_inputs}, d2[] = {st->n_points, st->n_inputs};
    if (rc == CS_OK)
        rc = cs_h5_write_array(g, "input_factor", CS_TYPE_U64, 1, d1, f, "position",
                               "The factor (position in factor) of each input.", ax_in, err);
    free(f);
    if (rc == CS_OK)
        rc = cs_h5_write_array(g, "unit_points", CS_TYPE_F64, 2, d2, st->u, "1",
                               "Each run's point of the unit hypercube: coordinate c is the "
                               "probability level of input c (its value is the quantile there, "
                               "through the copula if correlations: is given).",
                               ax_pt, err);
    return rc;
}

/* An estimate array [n][4] from a strided cs_sens_estimate field. */
static void pack(double *to, const cs_sens_estimate *e)
{
    to[0] = e->value;
    to[1] = e->se;
    to[2] = e->low;
    to[3] = e->high;
}

static int write_est(hid_t g, const char *name, int rank, const size_t *dims, const double *data,
                     const char *description, cs_error *err)
{
    static const char *const ax2[] = {"output", "statistic"};
    static const char *const ax3[] = {"output", "factor", "statistic"};
    return cs_h5_write_array(g, name, CS_TYPE_F64, rank, dims, data, "1", description,
                             rank == 2 ? ax2 : ax3, err);
}

/* S1, ST, their noiseless versions, the variance and the noise. */
static int sobol_data(hid_t g, const cs_sens_sobol *s, cs_error *err)
{
    size_t O = s->n_outputs, D = s->n_factors, n = O * D * 4;
    double *a[4], *v[3];
    int rc = CS_OK;
    for (int k = 0; k < 4; k++)
        if (!(a[k] = cs_xcalloc(n, sizeof *a[k])))
            rc = CS_ENOMEM;
    for (int k = 0; k < 3; k++)
        if (!(v[k] = cs_xcalloc(O * 4, sizeof *v[k])))
            rc = CS_ENOMEM;
    uint64_t *used = cs_xcalloc(O, sizeof *used);
    if (rc != CS_OK || !used)
        rc = cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; rc == CS_OK && i < O * D; i++) {
        const cs_sens_sobol_index *x = &s->index[i];
        pack(a[0] + 4 * i, &x->s1);
        pack(a[1] + 4 * i, &x->st);
        pack(a[2] + 4 * i, &x->s1_noiseless);
        pack(a[3] + 4 * i, &x->st_noiseless);
    }
    for (size_t o = 0; rc == CS_OK && o < O; o++) {
        pack(v[0] + 4 * o, &s->output[o].variance);
        pack(v[1] + 4 * o, &s->output[o].noise_variance);
        pack(v[2] + 4 * o, &s->output[o].noise_share);
        used[o] = s->output[o].rows_used;
    }
    static const char *const names[4] = {"s1", "st", "s1_noiseless", "st_noiseless"};
    static const char *const desc[4] = {
        "First-order index (Saltelli 2010): the share of the output's variance explained by "
        "the factor alone, the simulation's noise included in the variance.",
        "Total index (Jansen): the share explained by the factor with all its interactions "
        "(inflated by the noise share).",
        "First-order index as a share of the variance without the simulation's noise.",
        "Total index without the simulation's noise."};
    size_t d3[] = {O, D, 4}, d2[] = {O, 4}, d1[] = {O};
    for (int k = 0; k < 4 && rc == CS_OK; k++)
        rc = write_est(g, names[k], 3, d3, a[k], desc[k], err);
    static const char *const vn[3] = {"variance", "noise_variance", "noise_share"};
    static const char *const vd[3] = {
        "Variance of the output over the design (matrices A and B).",
        "The simulation's own noise variance: mean over the repeated points of the variance "
        "between their two runs.",
        "noise_variance / variance: the share of the variance that more incidents per run "
        "would remove."};
    for (int k = 0; k < 3 && rc == CS_OK; k++)
        rc = write_est(g, vn[k], 2, d2, v[k], vd[k], err);
    static const char *const ax1[] = {"output"};
    if (rc == CS_OK)
        rc = cs_h5_write_array(g, "rows_used", CS_TYPE_U64, 1, d1, used, "rows",
                               "Rows whose runs all gave the output (a rate with no cases is "
                               "undefined: such rows are left out).",
                               ax1, err);
    for (int k = 0; k < 4; k++)
        free(a[k]);
    for (int k = 0; k < 3; k++)
        free(v[k]);
    free(used);
    return rc;
}

/* Morris's mu, sigma, mu* [output][factor]. */
static int morris_data(hid_t g, const cs_sens_morris_result *m, cs_error *err)
{
    size_t O = m->n_outputs, D = m->n_factors;
    double *mu = cs_xcalloc(O * D, sizeof *mu), *sd = cs_xcalloc(O * D, sizeof *sd);
    double *ms = cs_xcalloc(O * D * 4, sizeof *ms);
    int rc = mu && sd && ms ? CS_OK : cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; rc == CS_OK && i < O * D; i++) {
        mu[i] = m->ee[i].mu;
        sd[i] = m->ee[i].sigma;
        pack(ms + 4 * i, &m->ee[i].mu_star);
    }
    static const char *const ax[] = {"output", "factor"};
    size_t d2[] = {O, D}, d3[] = {O, D, 4};
    if (rc == CS_OK)
        rc = cs_h5_write_array(g, "mu", CS_TYPE_F64, 2, d2, mu, "output units per unit of u",
                               "Mean elementary effect (a step moves the factor's inputs by half "
                               "their probability range).",
                               ax, err);
    if (rc == CS_OK)
        rc = cs_h5_write_array(g, "sigma", CS_TYPE_F64, 2, d2, sd, "output units per unit of u",
                               "Standard deviation of the elementary effects: non-linearity or "
                               "interactions.",
                               ax, err);
    if (rc == CS_OK)
        rc = write_est(g, "mu_star", 3, d3, ms,
                       "Mean absolute elementary effect (Campolongo et al. 2007), for ranking.",
                       err);
    free(mu);
    free(sd);
    free(ms);
    return rc;
}

/* The one-way values in factor order: [output][factor] low and high. */
static int oneway_data(hid_t g, const cs_study_result *r, cs_error *err)
{
    size_t O = r->n_outputs, D = r->n_factors;
    double *lo = cs_xcalloc(O * D, sizeof *lo), *hi = cs_xcalloc(O * D, sizeof *hi);
    int rc = lo && hi ? CS_OK : cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t o = 0; rc == CS_OK && o < O; o++)
        for (size_t k = 0; k < D; k++) {
            const cs_sens_swing *w = &r->swing[o * D + k];
            lo[o * D + w->factor] = w->low;
            hi[o * D + w->factor] = w->high;
        }
    static const char *const ax[] = {"output", "factor"}, *ax1[] = {"output"};
    size_t d2[] = {O, D}, d1[] = {O};
    if (rc == CS_OK)
        rc = cs_h5_write_array(g, "oneway_low", CS_TYPE_F64, 2, d2, lo, "output units",
                               "The output with the factor at its 5th percentile, the other "
                               "factors at their medians (one run).",
                               ax, err);
    if (rc == CS_OK)
        rc = cs_h5_write_array(g, "oneway_high", CS_TYPE_F64, 2, d2, hi, "output units",
                               "The output with the factor at its 95th percentile.", ax, err);
    if (rc == CS_OK)
        rc = cs_h5_write_array(g, "oneway_base", CS_TYPE_F64, 1, d1, r->base, "output units",
                               "The output with every factor at its median.", ax1, err);
    free(lo);
    free(hi);
    return rc;
}

/* The outputs: names, what each is, values per run. */
static int output_data(hid_t g, const cs_study_outputs *o, const double *y, size_t n_points,
                       cs_error *err)
{
    const char **names = cs_xcalloc(o->n ? o->n : 1, sizeof *names);
    if (!names)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t k = 0; k < o->n; k++)
        names[k] = o->o[k].name;
    int rc = name_list(g, "output", names, o->n,
                       "The outputs: measure, group, variant (or its change from the baseline "
                       "at the same point).",
                       err);
    const char **col = cs_xcalloc(3 * (o->n ? o->n : 1), sizeof *col);
    uint8_t *change = cs_xcalloc(o->n ? o->n : 1, sizeof *change);
    if (rc == CS_OK && (!col || !change))
        rc = cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t k = 0; rc == CS_OK && k < o->n; k++) {
        col[k] = names[k] = o->o[k].measure_name;
        col[o->n + k] = o->o[k].group_name;
        col[2 * o->n + k] = o->o[k].variant_name;
        change[k] = o->o[k].change;
    }
    static const char *const cols[3] = {"output_measure", "output_group", "output_variant"};
    static const char *const ax1[] = {"output"};
    for (int c = 0; c < 3 && rc == CS_OK; c++)
        rc = cs_h5_write_strings(g, cols[c], col + (size_t)c * o->n, o->n, err) == CS_OK
                 ? name_axes(g, cols[c], ax1, err)
                 : CS_EIO;
    size_t d1[] = {o->n};
    if (rc == CS_OK)
        rc = cs_h5_write_array(g, "output_change", CS_TYPE_U8, 1, d1, change, "1",
                               "1: the output is the variant's change from the baseline at the "
                               "same point; 0: the variant's own value.",
                               ax1, err);
    free(col);
    free(change);
    free(names);
    static const char *const ax[] = {"point", "output"};
    size_t d[] = {n_points, o->n};
    if (rc == CS_OK)
        rc = cs_h5_write_array(g, "outputs", CS_TYPE_F64, 2, d, y, "output units",
                               "Each output at each run (NaN: undefined in that run).", ax, err);
    if (rc == CS_OK)
        rc = cs_h5_attr_string(g, "outcome_measure", o->default_measure, err);
    if (rc == CS_OK)
        rc = cs_h5_attr_string(g, "outcome_group", o->default_group, err);
    return rc;
}

static int analysis_data(hid_t g, const cs_study *st, const cs_study_outputs *o, const double *y,
                         const cs_study_result *r, cs_error *err)
{
    int rc = name_list(g, "statistic", STATISTICS, 4,
                       "An estimate, its bootstrap standard error and its 95% percentile "
                       "interval (bootstrap over design rows).",
                       err);
    if (rc == CS_OK)
        rc = output_data(g, o, y, st->n_points, err);
    if (rc == CS_OK && r->sobol)
        rc = sobol_data(g, r->sobol, err);
    if (rc == CS_OK && r->morris)
        rc = morris_data(g, r->morris, err);
    if (rc == CS_OK)
        rc = oneway_data(g, r, err);
    if (rc == CS_OK)
        rc = cs_h5_attr_u64(g, "bootstrap_resamples",
                            r->sobol ? r->sobol->n_boot : r->morris->n_boot, err);
    if (rc == CS_OK)
        rc = cs_h5_attr_double(g, "confidence_level", r->sobol ? r->sobol->level : r->morris->level,
                               err);
    return rc;
}

int cs_study_write(const char *path, const cs_study *st, uint64_t done, const cs_study_outputs *o,
                   const double *y, const cs_study_result *r, cs_error *err)
{
    cs_h5_quiet();
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0)
        return cs_h5_fail(err, CS_EIO, "%s: cannot open for writing", path);
    hid_t g = H5Gcreate2(f, "/sensitivity", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = g < 0 ? cs_h5_fail(err, CS_EIO, "%s: cannot create /sensitivity", path) : CS_OK;
    if (rc == CS_OK)
        rc = design_attrs(g, st, done, err);
    if (rc == CS_OK)
        rc = cs_h5_attr_string(g, "status", r ? "complete" : "incomplete", err);
    if (rc == CS_OK)
        rc = design_data(g, st, err);
    if (rc == CS_OK && r)
        rc = analysis_data(g, st, o, y, r, err);
    cs_h5_close(&g);
    if (rc == CS_OK) /* the dimension scales of the new arrays' axes */
        rc = cs_results_label_axes(f, err);
    if (H5Fclose(f) < 0 && rc == CS_OK)
        rc = cs_h5_fail(err, CS_EIO, "%s: cannot close", path);
    return rc;
}
