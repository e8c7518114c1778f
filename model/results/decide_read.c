/*
 * results/decide_read.c — the decision analysis's input, read from a
 * results file (see results/decide_read.h): the specification the writer
 * recorded in /decision's attributes, the outcome measure of the decision's
 * group, the annual cost and the uncertain values of every replicate, and
 * the uncertain inputs' table. Replicates are grouped into draws (replicate
 * r is in draw floor(r / k)); only complete draws, whose every replicate is
 * in the file and defines the outcome, are used, and the others counted.
 */
#include "results/decide_read.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "results/h5util.h"
#include "results/schema.h"

void cs_dfile_free(cs_dfile *f)
{
    cs_h5_close(&f->g);
    cs_h5_free_strings(f->variants, f->V_listed);
    cs_h5_free_strings(f->kinds, f->V_listed);
    cs_h5_free_strings(f->groups, f->G);
    cs_h5_free_strings(f->measures, f->M);
    free(f->measure);
    free(f->group);
    free(f->currency);
    free(f->sampling);
    free(f->outcome);
    free(f->cost);
    free(f->theta);
    cs_schema_free_rows(&cs_schema_inputs, f->entries, f->n_entries);
    free(f->draw_index);
    free(f->effect);
    free(f->dcost);
    free(f->dtheta);
    free(f->sets);
    cs_h5_free_strings(f->set_names, f->n_sets);
    cs_h5_free_strings(f->set_kinds, f->n_sets);
    free(f->set_inputs);
    free(f->bundles);
    free(f->bundle_members);
    free(f->portfolios);
    free(f->portfolio_cost);
    cs_h5_free_strings(f->inputs, f->n_inputs);
    memset(f, 0, sizeof *f);
    f->g = H5I_INVALID_HID;
}

/* A number attribute of /decision that may be NaN (absent from the spec). */
static int spec_double(cs_dfile *f, const char *name, double *out, cs_error *err)
{
    return cs_h5_read_attr_double(f->g, name, out, err);
}

/* The specification the writer recorded. */
static int read_spec(cs_dfile *f, cs_error *err)
{
    double dir = 0;
    int st = cs_h5_read_attr_string(f->g, "measure", &f->measure, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_string(f->g, "group", &f->group, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_string(f->g, "currency", &f->currency, err);
    if (st == CS_OK)
        st = spec_double(f, "direction", &dir, err);
    const char *num[] = {"wtp_from",   "wtp_to",           "wtp_step",
                         "wtp_expert", "population_years", "budget"};
    double *to[] = {&f->grid[0], &f->grid[1], &f->grid[2], &f->expert, &f->horizon, &f->budget};
    for (size_t i = 0; i < 6 && st == CS_OK; i++)
        st = spec_double(f, num[i], to[i], err);
    f->direction = dir < 0 ? -1 : 1;
    f->has_grid = isfinite(f->grid[0]) && isfinite(f->grid[1]) && isfinite(f->grid[2]) &&
                  f->grid[2] > 0 && f->grid[1] > f->grid[0] &&
                  (f->grid[1] - f->grid[0]) / f->grid[2] < CS_H5_MAX_ARRAY;
    if (st == CS_OK && !(f->horizon > 0))
        st = cs_error_set(err, CS_EFORMAT, "/decision: population_years is not positive");
    return st;
}

/* Index of name in list, or n. */
static size_t find(char *const *list, size_t n, const char *name)
{
    size_t i = 0;
    while (i < n && strcmp(list[i], name) != 0)
        i++;
    return i;
}

/* The name lists, the variants' kinds, and the sampling of the draws. */
static int read_lists(cs_dfile *f, const char *most_affected, cs_error *err)
{
    hid_t x = f->file;
    int st = cs_h5_read_strings(x, "/scenario/variants", &f->variants, &f->V_listed, err);
    f->V = f->V_listed;
    if (st == CS_OK)
        st = cs_h5_read_strings(x, "/scenario/groups", &f->groups, &f->G, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(x, "/scenario/measures", &f->measures, &f->M, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(x, "/scenario/inputs", &f->inputs, &f->n_inputs, err);
    if (st == CS_OK)
        st = (f->kinds = cs_xcalloc(f->V, sizeof *f->kinds)) ? CS_OK : CS_ENOMEM;
    for (size_t v = 0; v < f->V && st == CS_OK; v++) {
        char path[CS_MAX_NAME_LEN + 16];
        snprintf(path, sizeof path, "/runs/%s", f->variants[v]);
        hid_t g = H5Gopen2(x, path, H5P_DEFAULT);
        st = g < 0 ? cs_h5_fail(err, CS_EFORMAT, "cannot open %s", path)
                   : cs_h5_read_attr_string(g, "kind", &f->kinds[v], err);
        cs_h5_close(&g);
    }
    /* The decomposition's variants (last: results/analysis.c checks it)
     * explain the baseline; they are not choices. */
    while (st == CS_OK && f->V > 1 && !strcmp(f->kinds[f->V - 1], "decomposition"))
        f->V--;
    hid_t u = st == CS_OK ? H5Gopen2(x, "/uncertainty", H5P_DEFAULT) : H5I_INVALID_HID;
    if (st == CS_OK && u < 0)
        st = cs_h5_fail(err, CS_EFORMAT, "cannot open /uncertainty");
    if (st == CS_OK)
        st = cs_h5_read_attr_string(u, "sampling", &f->sampling, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(u, "replicates_per_draw", &f->k, err);
    cs_h5_close(&u);
    /* Without drawn inputs every replicate is a draw of its own. */
    if (st == CS_OK && (strcmp(f->sampling, "random") && strcmp(f->sampling, "sobol")))
        f->k = 1;
    if (st == CS_OK && (f->k == 0 || f->V == 0 || f->G == 0))
        st = cs_error_set(err, CS_EFORMAT, "/decision: no variants, groups or draws");
    f->measure_index = st == CS_OK ? find(f->measures, f->M, f->measure) : 0;
    f->group_index =
        st == CS_OK ? find(f->groups, f->G, f->group[0] ? f->group : most_affected) : 0;
    if (st == CS_OK && (f->measure_index == f->M || f->group_index == f->G))
        st = cs_error_set(err, CS_EFORMAT, "/decision: measure '%s' or group '%s' is unknown",
                          f->measure, f->group[0] ? f->group : most_affected);
    return st == CS_ENOMEM ? cs_error_set(err, st, "out of memory") : st;
}

/* Reads per-replicate array a of variant v whole into a new buffer. */
static int read_whole(cs_dfile *f, size_t v, int a, const cs_result_dims *d, void **out,
                      uint64_t *rows, cs_error *err)
{
    char vpath[CS_MAX_NAME_LEN + 16], what[CS_MAX_NAME_LEN + 64];
    snprintf(vpath, sizeof vpath, "/runs/%s", f->variants[v]);
    snprintf(what, sizeof what, "%s/%s", vpath, cs_schema_arrays[a].name);
    cs_schema_open o;
    *out = NULL;
    int st = cs_schema_open_array(f->file, vpath, &cs_schema_arrays[a], d, 0, UINT64_MAX, &o, err);
    if (st == CS_OK && v > 0 && o.rows != f->R)
        st = cs_error_set(err, CS_EFORMAT, "%s has %llu rows; the baseline has %llu", what,
                          (unsigned long long)o.rows, (unsigned long long)f->R);
    if (st == CS_OK &&
        !(*out = cs_xcalloc((size_t)o.rows * o.row_elems + 1, cs_schema_arrays[a].size)))
        st = cs_error_set(err, CS_ENOMEM, "out of memory reading %s", what);
    if (st == CS_OK)
        st = cs_schema_read_rows(&o, &cs_schema_arrays[a], 0, o.rows, *out, what, err);
    if (st == CS_OK)
        *rows = o.rows;
    cs_h5_close(&o.ds);
    return st;
}

/* The baseline's replicate numbers (the first one) and uncertain values. */
static int read_baseline(cs_dfile *f, const cs_result_dims *d, cs_error *err)
{
    void *idx = NULL;
    uint64_t rows = 0;
    int st = read_whole(f, 0, CS_ARRAY_replicate, d, &idx, &f->R, err);
    if (st == CS_OK)
        f->first = f->R ? ((uint64_t *)idx)[0] : 0;
    free(idx);
    if (st == CS_OK)
        st = read_whole(f, 0, CS_ARRAY_uncertain_values, d, (void **)&f->theta, &rows, err);
    return st;
}

/* Every variant's outcome and cost per replicate. */
static int read_data(cs_dfile *f, cs_error *err)
{
    cs_result_dims d = {.n_group_rows = f->G + 1, .n_measures = f->M, .n_inputs = f->n_inputs};
    int st = read_baseline(f, &d, err);
    size_t R = (size_t)f->R, row = (f->G + 1) * f->M;
    f->outcome = st == CS_OK ? cs_xcalloc(f->V * R, sizeof *f->outcome) : NULL;
    f->cost = st == CS_OK ? cs_xcalloc(f->V * R, sizeof *f->cost) : NULL;
    if (st == CS_OK && (!f->outcome || !f->cost))
        st = cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t v = 0; v < f->V && st == CS_OK; v++) {
        double *m = NULL, *c = NULL;
        uint64_t rows = 0;
        st = read_whole(f, v, CS_ARRAY_measures, &d, (void **)&m, &rows, err);
        if (st == CS_OK)
            st = read_whole(f, v, CS_ARRAY_annual_cost, &d, (void **)&c, &rows, err);
        for (size_t i = 0; i < R && st == CS_OK; i++) {
            f->outcome[v * R + i] = m[i * row + f->group_index * f->M + f->measure_index];
            f->cost[v * R + i] = c[i];
        }
        free(m);
        free(c);
    }
    return st;
}

/* Whether draw d (absolute) is complete: all its k replicates in the file,
 * each with the outcome defined in every variant. */
static bool draw_complete(const cs_dfile *f, uint64_t d)
{
    if (d * f->k < f->first || (d + 1) * f->k > f->first + f->R)
        return false;
    for (uint64_t r = d * f->k; r < (d + 1) * f->k; r++)
        for (size_t v = 0; v < f->V; v++)
            if (!isfinite(f->outcome[v * f->R + (r - f->first)]))
                return false;
    return true;
}

/* Copies complete draw d (absolute) into position dd of the input arrays. */
static void take_draw(cs_dfile *f, uint64_t d, size_t dd)
{
    size_t V = f->V, k = (size_t)f->k, R = (size_t)f->R;
    for (size_t r = 0; r < k; r++) {
        size_t i = (size_t)(d * f->k - f->first) + r;
        for (size_t v = 0; v < V; v++) {
            double diff = f->outcome[v * R + i] - f->outcome[i];
            f->effect[(dd * k + r) * V + v] = 100.0 * f->direction * diff;
            f->dcost[dd * V + v] += f->cost[v * R + i] / (double)k;
        }
    }
    size_t i0 = (size_t)(d * f->k - f->first);
    for (size_t j = 0; j < f->n_inputs; j++)
        f->dtheta[dd * f->n_inputs + j] = f->theta[i0 * f->n_inputs + j];
    f->draw_index[dd] = d;
}

/* The complete draws, as the decision module's arrays. */
static int build_draws(cs_dfile *f, cs_error *err)
{
    if (f->R == 0)
        return CS_OK; /* no replicates: no draws */
    uint64_t d0 = f->first / f->k, d1 = (f->first + f->R - 1) / f->k;
    size_t n = (size_t)(d1 - d0 + 1), V = f->V, k = (size_t)f->k;
    f->draw_index = cs_xcalloc(n, sizeof *f->draw_index);
    f->effect = cs_xcalloc(n * k * V, sizeof *f->effect);
    f->dcost = cs_xcalloc(n * V, sizeof *f->dcost);
    f->dtheta = cs_xcalloc(n * (f->n_inputs ? f->n_inputs : 1), sizeof *f->dtheta);
    if (!f->draw_index || !f->effect || !f->dcost || !f->dtheta)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (uint64_t d = d0; d <= d1; d++) {
        if (draw_complete(f, d))
            take_draw(f, d, f->D++);
        else
            f->dropped++;
    }
    return CS_OK;
}

/* Appends an EVPPI set of inputs [first, first + n) to f. */
static int add_set(cs_dfile *f, const char *name, const char *kind, const size_t *inputs, size_t n,
                   size_t *used)
{
    size_t s = f->n_sets;
    memcpy(f->set_inputs + *used, inputs, n * sizeof *inputs);
    f->sets[s] = (cs_evppi_set){.inputs = f->set_inputs + *used, .n_inputs = n};
    f->set_names[s] = cs_xstrdup(name);
    f->set_kinds[s] = cs_xstrdup(kind);
    *used += n;
    f->n_sets++;
    return f->set_names[s] && f->set_kinds[s] ? CS_OK : CS_ENOMEM;
}

/* The inputs of the entries of `group` into idx; their count. */
static size_t group_inputs(const cs_dfile *f, const char *group, size_t *idx, size_t *entries)
{
    size_t n = 0;
    *entries = 0;
    for (size_t e = 0; e < f->n_entries; e++) {
        const cs_results_input_row *r = &f->entries[e];
        if (strcmp(r->group, group) != 0)
            continue;
        (*entries)++;
        for (int64_t j = 0; j < r->n_values; j++)
            idx[n++] = (size_t)(r->first_value + j);
    }
    return n;
}

/* Whether group names an earlier entry's group too (then its set exists). */
static bool group_seen(const cs_dfile *f, size_t e)
{
    for (size_t i = 0; i < e; i++)
        if (!strcmp(f->entries[i].group, f->entries[e].group))
            return true;
    return false;
}

/* The EVPPI sets: each entry, each named group of two or more entries, and
 * all the inputs together when there are two entries or more. */
static int build_sets(cs_dfile *f, cs_error *err)
{
    size_t ne = f->n_entries, ni = f->n_inputs, cap = 2 * ne + 1, used = 0;
    f->sets = cs_xcalloc(cap, sizeof *f->sets);
    f->set_names = cs_xcalloc(cap, sizeof *f->set_names);
    f->set_kinds = cs_xcalloc(cap, sizeof *f->set_kinds);
    f->set_inputs = cs_xcalloc(3 * ni + 1, sizeof *f->set_inputs);
    size_t *idx = cs_xcalloc(ni + 1, sizeof *idx);
    int st = f->sets && f->set_names && f->set_kinds && f->set_inputs && idx ? CS_OK : CS_ENOMEM;
    for (size_t e = 0; e < ne && st == CS_OK; e++) {
        const cs_results_input_row *r = &f->entries[e];
        if (r->first_value < 0 || r->n_values < 1 || (uint64_t)r->first_value > ni ||
            (uint64_t)r->n_values > ni - (uint64_t)r->first_value) {
            free(idx);
            return cs_error_set(err, CS_EFORMAT,
                                "/uncertainty/inputs: entry %zu's values are "
                                "not among /scenario/inputs",
                                e);
        }
        for (int64_t j = 0; j < f->entries[e].n_values; j++)
            idx[j] = (size_t)(f->entries[e].first_value + j);
        st = add_set(f, f->entries[e].name, "input", idx, (size_t)f->entries[e].n_values, &used);
    }
    for (size_t e = 0; e < ne && st == CS_OK; e++) {
        size_t n_entries = 0, n = group_inputs(f, f->entries[e].group, idx, &n_entries);
        if (f->entries[e].group[0] && n_entries >= 2 && !group_seen(f, e))
            st = add_set(f, f->entries[e].group, "group", idx, n, &used);
    }
    for (size_t j = 0; j < ni; j++)
        idx[j] = j;
    if (st == CS_OK && ne >= 2)
        st = add_set(f, "all inputs", "all", idx, ni, &used);
    free(idx);
    return st == CS_OK ? CS_OK : cs_error_set(err, st, "out of memory");
}

/* The bundles among the variants: each with the variants of its single
 * interventions that are in the file. */
static int build_bundles(cs_dfile *f, cs_error *err)
{
    f->bundles = cs_xcalloc(f->V, sizeof *f->bundles);
    f->bundle_members = cs_xcalloc(f->V * f->V, sizeof *f->bundle_members);
    if (!f->bundles || !f->bundle_members)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    int st = CS_OK;
    for (size_t v = 0; v < f->V && st == CS_OK; v++) {
        if (strcmp(f->kinds[v], "bundle") != 0)
            continue;
        char path[CS_MAX_NAME_LEN + 16], **names = NULL;
        size_t n = 0, *mem = f->bundle_members + v * f->V, m = 0;
        snprintf(path, sizeof path, "/runs/%s", f->variants[v]);
        hid_t g = H5Gopen2(f->file, path, H5P_DEFAULT);
        st = g < 0 ? cs_h5_fail(err, CS_EFORMAT, "cannot open %s", path)
                   : cs_h5_read_attr_strings(g, "interventions", &names, &n, err);
        cs_h5_close(&g);
        for (size_t i = 0; i < n && st == CS_OK; i++) {
            size_t w = find(f->variants, f->V, names[i]);
            if (w < f->V && !strcmp(f->kinds[w], "intervention"))
                mem[m++] = w;
        }
        cs_h5_free_strings(names, n);
        if (m > 0)
            f->bundles[f->n_bundles++] = (cs_decision_bundle){v, mem, m};
    }
    return st;
}

/* The variants that are budget portfolios (those written), with their
 * expected annual costs. */
static int build_portfolios(cs_dfile *f, cs_error *err)
{
    char **names = NULL;
    double *cost = NULL;
    size_t n = 0, nc = 0;
    int st = cs_h5_read_attr_strings(f->g, "portfolio_variants", &names, &n, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_doubles(f->g, "portfolio_costs", &cost, &nc, err);
    if (st == CS_OK && nc != n)
        st = cs_error_set(err, CS_EFORMAT, "/decision: %zu portfolio costs for %zu portfolios", nc,
                          n);
    f->portfolios = st == CS_OK ? cs_xcalloc(n, sizeof *f->portfolios) : NULL;
    f->portfolio_cost = st == CS_OK ? cs_xcalloc(n, sizeof *f->portfolio_cost) : NULL;
    if (st == CS_OK && (!f->portfolios || !f->portfolio_cost))
        st = cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && st == CS_OK; i++) {
        size_t v = find(f->variants, f->V, names[i]);
        if (v == f->V)
            continue;
        f->portfolio_cost[f->n_portfolios] = cost[i];
        f->portfolios[f->n_portfolios++] = v;
    }
    cs_h5_free_strings(names, n);
    free(cost);
    return st;
}

/* The decision module's input, from what was read. */
static void fill_input(cs_dfile *f)
{
    bool drawn = !strcmp(f->sampling, "random") || !strcmp(f->sampling, "sobol");
    f->in = (cs_decide_input){.n_variants = f->V,
                              .n_draws = f->D,
                              .n_reps = (size_t)f->k,
                              .effect = f->effect,
                              .cost = f->dcost,
                              .n_inputs = drawn ? f->n_inputs : 0,
                              .theta = f->dtheta,
                              .n_sets = drawn ? f->n_sets : 0,
                              .sets = f->sets,
                              .n_bundles = f->n_bundles,
                              .bundles = f->bundles,
                              .grid = f->has_grid ? f->grid : NULL,
                              .expert = f->expert,
                              .population_years = f->horizon,
                              .n_portfolios = f->n_portfolios,
                              .portfolios = f->portfolios,
                              .budget = f->budget,
                              .seed = f->seed};
}

int cs_dfile_read(hid_t file, const char *most_affected, cs_dfile *f, cs_error *err)
{
    memset(f, 0, sizeof *f);
    f->file = file;
    f->g = H5I_INVALID_HID;
    if (H5Lexists(file, "/decision", H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return CS_EFORMAT;
    }
    f->g = H5Gopen2(file, "/decision", H5P_DEFAULT);
    int st = f->g < 0 ? cs_h5_fail(err, CS_EFORMAT, "cannot open /decision") : CS_OK;
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(file, "seed", &f->seed, err);
    if (st == CS_OK)
        st = read_spec(f, err);
    if (st == CS_OK)
        st = read_lists(f, most_affected, err);
    if (st == CS_OK)
        st = read_data(f, err);
    if (st == CS_OK)
        st = build_draws(f, err);
    void *rows = NULL;
    if (st == CS_OK)
        st = cs_schema_read_table(file, &cs_schema_inputs, f->n_inputs, &rows, &f->n_entries, err);
    f->entries = rows;
    if (st == CS_OK)
        st = build_sets(f, err);
    if (st == CS_OK)
        st = build_bundles(f, err);
    if (st == CS_OK)
        st = build_portfolios(f, err);
    if (st == CS_OK)
        fill_input(f);
    return st;
}
