/*
 * results/disparity_read.c — the /disparity tables computed from an open
 * results file and written into it (cs_results_write_disparity), and read
 * back for a report (cs_results_read_disparity). Everything is read from
 * the file, checked as the reader checks it: name lists against each other,
 * per-replicate arrays against the schema (results/schema.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/stats.h"
#include "core/alloc.h"
#include "results/disparity_file.h"
#include "results/h5util.h"
#include "results/internal.h"

/* Everything the tables are computed from, owned. */
typedef struct dfile {
    hid_t file;
    char **groups, **stages, **branches, **branch_stages, **branch_targets, **violations,
        **measures, **variants, **decomposed_names;
    size_t n_groups, n_stages, n_branches, n_bs, n_bt, n_violations, n_kinds, n_measures,
        n_variants, n_decomposed;
    size_t *branch_stage, *decomposed;
    bool *decomposition, has_decomposition, has_population;
    uint64_t *equalised, replicates;
    double *population, cohort_years;
    uint32_t *orders;
    size_t n_orders;
    cs_result_dims dims;
} dfile;

static void dfile_free(dfile *f)
{
    cs_h5_free_strings(f->groups, f->n_groups);
    cs_h5_free_strings(f->stages, f->n_stages);
    cs_h5_free_strings(f->branches, f->n_branches);
    cs_h5_free_strings(f->branch_stages, f->n_bs);
    cs_h5_free_strings(f->branch_targets, f->n_bt);
    cs_h5_free_strings(f->violations, f->n_violations);
    cs_h5_free_strings(f->measures, f->n_measures);
    cs_h5_free_strings(f->variants, f->n_variants);
    cs_h5_free_strings(f->decomposed_names, f->n_decomposed);
    free(f->branch_stage);
    free(f->decomposed);
    free(f->decomposition);
    free(f->equalised);
    free(f->population);
    free(f->orders);
}

static long find(char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (long)i;
    return -1;
}

/* The name lists of /scenario. */
static int read_lists(dfile *f, cs_error *err)
{
    hid_t h = f->file;
    int st = cs_h5_read_strings(h, "/scenario/groups", &f->groups, &f->n_groups, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(h, "/scenario/stages", &f->stages, &f->n_stages, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(h, "/scenario/branches", &f->branches, &f->n_branches, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(h, "/scenario/branch_stages", &f->branch_stages, &f->n_bs, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(h, "/scenario/branch_targets", &f->branch_targets, &f->n_bt, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(h, "/scenario/violations", &f->violations, &f->n_violations, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(h, "/scenario/measures", &f->measures, &f->n_measures, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(h, "/scenario/variants", &f->variants, &f->n_variants, err);
    return st;
}

/* Each branch's stage. */
static int resolve_branches(dfile *f, cs_error *err)
{
    hid_t sc = H5Gopen2(f->file, "/scenario", H5P_DEFAULT);
    int st = sc < 0 ? cs_h5_fail(err, CS_EFORMAT, "cannot open /scenario") : CS_OK;
    if (st == CS_OK)
        st = cs_h5_read_attr_double(sc, "cohort_years", &f->cohort_years, err);
    cs_h5_close(&sc);
    if (st != CS_OK)
        return st;
    if (f->n_bs != f->n_branches || f->n_bt != f->n_branches || f->n_groups == 0)
        return cs_error_set(err, CS_EFORMAT, "the branch lists of /scenario disagree");
    f->branch_stage = cs_xcalloc(f->n_branches, sizeof *f->branch_stage);
    if (!f->branch_stage)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t b = 0; b < f->n_branches; b++) {
        long s = find(f->stages, f->n_stages, f->branch_stages[b]);
        if (s < 0)
            return cs_error_set(err, CS_EFORMAT, "/scenario/branch_stages names no stage");
        f->branch_stage[b] = (size_t)s;
    }
    return CS_OK;
}

/* A 1-D double attribute of exactly n values. */
static int read_attr_doubles(hid_t loc, const char *name, double *out, size_t n, cs_error *err)
{
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t sp = a < 0 ? H5I_INVALID_HID : H5Aget_space(a);
    int st = CS_OK;
    if (sp < 0 || H5Sget_simple_extent_npoints(sp) != (hssize_t)n ||
        H5Aread(a, H5T_NATIVE_DOUBLE, out) < 0)
        st = cs_h5_fail(err, CS_EFORMAT, "attribute '%s' is missing or not %zu numbers", name, n);
    cs_h5_close(&sp);
    cs_h5_close(&a);
    return st;
}

/* Variant v's kind, equalised stages and populations. */
static int read_variant(dfile *f, size_t v, cs_error *err)
{
    char path[CS_MAX_NAME_LEN + 16], *kind = NULL, **eq = NULL;
    size_t n_eq = 0;
    snprintf(path, sizeof path, "/runs/%s", f->variants[v]);
    hid_t g = H5Gopen2(f->file, path, H5P_DEFAULT);
    int st = g < 0 ? cs_h5_fail(err, CS_EFORMAT, "cannot open %s", path) : CS_OK;
    if (st == CS_OK)
        st = cs_h5_read_attr_string(g, "kind", &kind, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_strings(g, "equalised_stages", &eq, &n_eq, err);
    if (st == CS_OK && f->has_population)
        st = read_attr_doubles(g, "group_population", &f->population[v * f->n_groups], f->n_groups,
                               err);
    if (st == CS_OK)
        f->decomposition[v] = strcmp(kind, "decomposition") == 0;
    for (size_t i = 0; i < n_eq && st == CS_OK; i++) {
        long s = find(f->stages, f->n_stages, eq[i]);
        if (s < 0 || s >= 64)
            st = cs_error_set(err, CS_EFORMAT, "%s equalises an unknown stage", path);
        else
            f->equalised[v] |= UINT64_C(1) << s;
    }
    free(kind);
    cs_h5_free_strings(eq, n_eq);
    cs_h5_close(&g);
    return st;
}

static int read_variants(dfile *f, cs_error *err)
{
    size_t V = f->n_variants;
    f->decomposition = cs_xcalloc(V, sizeof *f->decomposition);
    f->equalised = cs_xcalloc(V, sizeof *f->equalised);
    f->population = f->has_population ? cs_xcalloc(V * f->n_groups, sizeof *f->population) : NULL;
    if (!f->decomposition || !f->equalised || (f->has_population && !f->population))
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    int st = CS_OK;
    for (size_t v = 0; v < V && st == CS_OK; v++)
        st = read_variant(f, v, err);
    return st;
}

/* The sampled orders: [n_orders][n_decomposed] positions. */
static int read_orders(dfile *f, cs_error *err)
{
    if (H5Lexists(f->file, "/scenario/decomposition_orders", H5P_DEFAULT) <= 0)
        return CS_OK;
    hid_t d = H5Dopen2(f->file, "/scenario/decomposition_orders", H5P_DEFAULT);
    hid_t sp = d < 0 ? H5I_INVALID_HID : H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    int st = CS_OK;
    if (sp < 0 || H5Sget_simple_extent_ndims(sp) != 2 ||
        H5Sget_simple_extent_dims(sp, dims, 0) < 0 || dims[1] != f->n_decomposed ||
        dims[0] > CS_MAX_DECOMPOSITION)
        st = cs_h5_fail(err, CS_EFORMAT, "/scenario/decomposition_orders has the wrong shape");
    if (st == CS_OK && dims[0] > 0) {
        f->n_orders = (size_t)dims[0];
        f->orders = cs_xcalloc(f->n_orders * f->n_decomposed, sizeof *f->orders);
        if (!f->orders)
            st = cs_error_set(err, CS_ENOMEM, "out of memory");
        else if (H5Dread(d, H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, f->orders) < 0)
            st = cs_h5_fail(err, CS_EFORMAT, "cannot read /scenario/decomposition_orders");
    }
    cs_h5_close(&sp);
    cs_h5_close(&d);
    return st;
}

/* The decomposed stages, as indices, and the orders. */
static int read_decomposition(dfile *f, cs_error *err)
{
    f->has_decomposition = H5Lexists(f->file, "/scenario/decomposed_stages", H5P_DEFAULT) > 0;
    if (!f->has_decomposition)
        return CS_OK;
    int st = cs_h5_read_strings(f->file, "/scenario/decomposed_stages", &f->decomposed_names,
                                &f->n_decomposed, err);
    if (st == CS_OK && f->n_decomposed > 64)
        st = cs_error_set(err, CS_EFORMAT, "/scenario/decomposed_stages is too long");
    if (st == CS_OK && !(f->decomposed = cs_xcalloc(f->n_decomposed + 1, sizeof *f->decomposed)))
        st = cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t j = 0; j < f->n_decomposed && st == CS_OK; j++) {
        long s = find(f->stages, f->n_stages, f->decomposed_names[j]);
        if (s < 0 || (j > 0 && (size_t)s <= f->decomposed[j - 1]))
            st = cs_error_set(err, CS_EFORMAT, "/scenario/decomposed_stages is not in stage order");
        else
            f->decomposed[j] = (size_t)s;
    }
    return st == CS_OK ? read_orders(f, err) : st;
}

/* Everything; *absent when the file has no branch list or lacks the
 * optional arrays (CS_OPTIONAL_ARRAYS: a file of 1.0, 1.1, or another
 * build of 1.2, or a join or resumed run of one), checked in the baseline:
 * the writer leaves an array out of every variant or of none. */
static int read_input(hid_t file, dfile *f, bool *absent, cs_error *err)
{
    f->file = file;
    *absent = H5Lexists(file, "/scenario/branches", H5P_DEFAULT) <= 0 ||
              H5Lexists(file, "/runs/baseline/branch_counts", H5P_DEFAULT) <= 0;
    bool by_kind = !*absent && H5Lexists(file, "/runs/baseline/kind_measures", H5P_DEFAULT) > 0;
    H5Eclear2(H5E_DEFAULT);
    if (*absent)
        return CS_OK;
    f->has_population = H5Lexists(file, "/scenario/group_population_sources", H5P_DEFAULT) > 0;
    int st = cs_h5_read_attr_u64(file, "replicates", &f->replicates, err);
    if (st == CS_OK)
        st = read_lists(f, err);
    if (st == CS_OK)
        st = resolve_branches(f, err);
    if (st == CS_OK)
        st = read_variants(f, err);
    if (st == CS_OK)
        st = read_decomposition(f, err);
    /* Without measures by kind (a join with files of an earlier build), no
     * exposure rows per kind. */
    f->n_kinds = by_kind ? f->n_violations : 0;
    f->dims = (cs_result_dims){.n_groups = f->n_groups,
                               .n_group_rows = f->n_groups + 1,
                               .n_measures = f->n_measures,
                               .n_stages = f->n_stages,
                               .n_branches = f->n_branches,
                               .n_kinds = f->n_violations};
    return st;
}

/* cs_disparity_input.load for a file: rows of a per-replicate array, with
 * the schema's checks of shape, rows and stored size. */
static int load_rows(void *ctx, size_t v, int array, uint64_t first, uint64_t n, void *buf,
                     cs_error *err)
{
    const dfile *f = ctx;
    const cs_schema_array *a = &cs_schema_arrays[array];
    char vpath[CS_MAX_NAME_LEN + 16], what[CS_MAX_NAME_LEN + 64];
    snprintf(vpath, sizeof vpath, "/runs/%s", f->variants[v]);
    snprintf(what, sizeof what, "%s/%s", vpath, a->name);
    cs_schema_open o;
    int st =
        cs_schema_open_array(f->file, vpath, a, &f->dims, f->replicates, f->replicates, &o, err);
    if (st == CS_OK)
        st = cs_schema_read_rows(&o, a, first, n, buf, what, err);
    cs_h5_close(&o.ds);
    return st;
}

/* /disparity, replaced: the tables and what they rest on. */
static int write_group(hid_t file, const dfile *f, const cs_disparity_tables *t, cs_error *err)
{
    if (H5Lexists(file, "/disparity", H5P_DEFAULT) > 0 && H5Ldelete(file, "/disparity", 0) < 0)
        return cs_h5_fail(err, CS_EIO, "cannot replace /disparity");
    hid_t g = H5Gcreate2(file, "/disparity", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int st = g < 0 ? cs_h5_fail(err, CS_EIO, "cannot create /disparity") : CS_OK;
    const char *how = !f->has_decomposition ? "none" : f->n_orders ? "sampled" : "exact";
    if (st == CS_OK)
        st = cs_h5_attr_string(g, "decomposition", how, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(g, "permutations", f->n_orders, err);
    if (st == CS_OK)
        st = cs_h5_attr_double(g, "confidence_level", CS_STATS_LEVEL, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(g, "reference_group", f->groups[0], err);
    cs_h5_close(&g);
    if (st == CS_OK)
        st = cs_schema_write_table(file, &cs_disparity_relative_table, t->n_relative, t->relative,
                                   err);
    if (st == CS_OK && t->decomposed)
        st = cs_schema_write_table(file, &cs_disparity_decomposition_table, t->n_decomposition,
                                   t->decomposition, err);
    if (st == CS_OK && f->has_population)
        st = cs_schema_write_table(file, &cs_disparity_exposure_table, t->n_exposure, t->exposure,
                                   err);
    return st;
}

int cs_results_write_disparity(hid_t file, cs_error *err)
{
    dfile f = {0};
    bool absent = false;
    cs_disparity_tables t = {0};
    int st = read_input(file, &f, &absent, err);
    if (st == CS_OK && !absent) {
        cs_disparity_input in = {.n_groups = f.n_groups,
                                 .n_stages = f.n_stages,
                                 .n_branches = f.n_branches,
                                 .n_violations = f.n_kinds,
                                 .n_measures = f.n_measures,
                                 .groups = (const char *const *)f.groups,
                                 .stages = (const char *const *)f.stages,
                                 .branches = (const char *const *)f.branches,
                                 .violations = (const char *const *)f.violations,
                                 .measures = (const char *const *)f.measures,
                                 .branch_stage = f.branch_stage,
                                 .n_variants = f.n_variants,
                                 .variants = (const char *const *)f.variants,
                                 .decomposition = f.decomposition,
                                 .equalised = f.equalised,
                                 .population = f.population,
                                 .cohort_years = f.cohort_years,
                                 .replicates = f.replicates,
                                 .has_decomposition = f.has_decomposition,
                                 .n_decomposed = f.n_decomposed,
                                 .decomposed = f.decomposed,
                                 .n_orders = f.n_orders,
                                 .orders = f.orders,
                                 .load = load_rows,
                                 .ctx = &f};
        st = cs_disparity_compute(&in, &t, err);
        if (st == CS_OK)
            st = write_group(file, &f, &t, err);
    }
    if (st != CS_OK)
        cs_error_set(err, st, "while computing /disparity");
    cs_disparity_rows_free(&t);
    dfile_free(&f);
    return st;
}

/* --------------------------------------------------------- reading back */

void cs_disparity_tables_free(cs_disparity_tables *t)
{
    cs_schema_free_rows(&cs_disparity_relative_table, t->relative, t->n_relative);
    cs_schema_free_rows(&cs_disparity_decomposition_table, t->decomposition, t->n_decomposition);
    cs_schema_free_rows(&cs_disparity_exposure_table, t->exposure, t->n_exposure);
    cs_h5_free_strings(t->stages, t->n_stages);
    cs_h5_free_strings(t->not_equalised, t->n_not_equalised);
    cs_h5_free_strings(t->sources, t->n_sources);
    memset(t, 0, sizeof *t);
}

/* The decomposition's table and what it rests on. */
static int read_decomposition_tables(const cs_results *r, hid_t file, cs_disparity_tables *out,
                                     cs_error *err)
{
    hid_t d = H5Gopen2(file, "/disparity", H5P_DEFAULT);
    char *how = NULL;
    int st = d < 0 ? cs_h5_fail(err, CS_EFORMAT, "cannot open /disparity") : CS_OK;
    if (st == CS_OK)
        st = cs_h5_read_attr_string(d, "decomposition", &how, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(d, "permutations", &out->permutations, err);
    cs_h5_close(&d);
    out->decomposed = st == CS_OK && strcmp(how, "none") != 0;
    free(how);
    if (st != CS_OK || !out->decomposed)
        return st;
    hid_t sc = H5Gopen2(file, "/scenario", H5P_DEFAULT);
    st = sc < 0 ? cs_h5_fail(err, CS_EFORMAT, "cannot open /scenario") : CS_OK;
    if (st == CS_OK)
        st = cs_h5_read_strings(sc, "decomposed_stages", &out->stages, &out->n_stages, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_strings(sc, "not_equalised", &out->not_equalised,
                                     &out->n_not_equalised, err);
    cs_h5_close(&sc);
    size_t max = r->n_groups * CS_DISPARITY_N_MEASURES * (4 + 5 * (out->n_stages + 1));
    void *rows = NULL;
    if (st == CS_OK)
        st = cs_schema_read_table(file, &cs_disparity_decomposition_table, max, &rows,
                                  &out->n_decomposition, err);
    out->decomposition = rows;
    return st;
}

int cs_results_read_disparity(const cs_results *r, cs_disparity_tables *out, cs_error *err)
{
    memset(out, 0, sizeof *out);
    hid_t file = (hid_t)r->file_id;
    if (H5Lexists(file, "/disparity", H5P_DEFAULT) <= 0)
        return CS_OK;
    size_t G = r->n_groups, V = r->n_variants, B = r->dims.n_branches;
    size_t K = r->dims.n_kinds;
    void *rows = NULL;
    int st = cs_schema_read_table(file, &cs_disparity_relative_table, V * G * B, &rows,
                                  &out->n_relative, err);
    out->relative = rows;
    if (st == CS_OK)
        st = read_decomposition_tables(r, file, out, err);
    if (st == CS_OK && H5Lexists(file, cs_disparity_exposure_table.path, H5P_DEFAULT) > 0) {
        st = cs_schema_read_table(file, &cs_disparity_exposure_table, V * G * (8 + K), &rows,
                                  &out->n_exposure, err);
        out->exposure = rows;
        if (st == CS_OK)
            st = cs_h5_read_strings(file, "/scenario/group_population_sources", &out->sources,
                                    &out->n_sources, err);
    }
    return st;
}

int cs_results_match_decomposition(const cs_results *r, cs_scenario *s, cs_error *err)
{
    for (size_t v = 0; v < r->n_variants; v++)
        if (strcmp(r->variants[v].kind, "decomposition") == 0)
            return cs_scenario_decompose(s, err);
    return CS_OK;
}
