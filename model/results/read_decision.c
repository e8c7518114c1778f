/*
 * results/read_decision.c — reading /uncertainty and /decision of a results
 * file (format 1.2) into cs_results, checked like the rest of the reader:
 * table row counts bounded by the name lists, arrays by their shapes and
 * stored sizes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/results.h"
#include "core/alloc.h"
#include "results/h5util.h"
#include "results/internal.h"
#include "results/schema.h"

/* The string attributes of /decision, in order of cs_results_decision's. */
static const char *const STRINGS[] = {"measure", "outcome_group",   "currency",   "uncertainty",
                                      "grid",    "expert_wtp_from", "expert_best"};
static const char *const NUMBERS[] = {
    "expert_wtp",    "expert_evpi",      "expert_evpi_se", "expert_evpi_horizon",
    "expert_p_best", "population_years", "budget",         "direction"};

void cs_results_decision_free(cs_results_decision *d)
{
    if (!d)
        return;
    char **s[] = {&d->measure, &d->group,       &d->currency,    &d->uncertainty,
                  &d->grid,    &d->expert_from, &d->expert_best, &d->error};
    for (size_t i = 0; i < sizeof s / sizeof *s; i++)
        free(*s[i]);
    free(d->lambda);
    free(d->p_best);
    free(d->evpi);
    free(d->draw_effect);
    cs_schema_free_rows(&cs_schema_frontier, d->frontier, d->n_frontier);
    cs_schema_free_rows(&cs_schema_decision_ranking, d->ranking, d->n_ranking);
    cs_schema_free_rows(&cs_schema_evppi_sets, d->evppi_sets, d->n_evppi_sets);
    cs_schema_free_rows(&cs_schema_evppi_checks, d->evppi_checks, d->n_evppi_checks);
    cs_schema_free_rows(&cs_schema_variance_split, d->split, d->n_split);
    cs_schema_free_rows(&cs_schema_portfolios, d->portfolios, d->n_portfolios);
    free(d);
}

/* A table that may be absent (no rows then). */
static int optional_table(hid_t f, const cs_schema_table *t, size_t max, void **rows, size_t *n,
                          cs_error *err)
{
    *rows = NULL;
    *n = 0;
    if (H5Lexists(f, t->path, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return CS_OK;
    }
    return cs_schema_read_table(f, t, max, rows, n, err);
}

/* The attributes of /decision. */
static int decision_attrs(hid_t g, cs_results_decision *d, cs_error *err)
{
    char **s[] = {&d->measure, &d->group,       &d->currency,   &d->uncertainty,
                  &d->grid,    &d->expert_from, &d->expert_best};
    double dir = -1;
    double *x[] = {
        &d->expert_wtp,    &d->expert_evpi,      &d->expert_evpi_se, &d->expert_evpi_horizon,
        &d->expert_p_best, &d->population_years, &d->budget,         &dir};
    int st = CS_OK;
    for (size_t i = 0; i < sizeof s / sizeof *s && st == CS_OK; i++)
        st = cs_h5_read_attr_string(g, STRINGS[i], s[i], err);
    for (size_t i = 0; i < sizeof x / sizeof *x && st == CS_OK; i++)
        st = cs_h5_read_attr_double(g, NUMBERS[i], x[i], err);
    d->direction = dir < 0 ? -1 : 1;
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(g, "draws_dropped", &d->draws_dropped, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(g, "replicates_per_draw_used", &d->replicates_per_draw, err);
    if (st == CS_OK && H5Aexists(g, "error") > 0)
        st = cs_h5_read_attr_string(g, "error", &d->error, err);
    if (st == CS_OK && !d->error && !(d->error = cs_xstrdup("")))
        st = cs_error_set(err, CS_ENOMEM, "out of memory");
    return st;
}

/* The grid and its curves. */
static int decision_arrays(hid_t g, size_t V, cs_results_decision *d, cs_error *err)
{
    size_t dims[2] = {0, 0};
    int st = cs_h5_read_array(g, "lambda", CS_TYPE_F64, 1, dims, (void **)&d->lambda, err);
    d->n_lambda = dims[0];
    size_t pd[2] = {d->n_lambda, V}, ed[1] = {d->n_lambda};
    if (st == CS_OK)
        st = cs_h5_read_array(g, "p_best", CS_TYPE_F64, 2, pd, (void **)&d->p_best, err);
    if (st == CS_OK)
        st = cs_h5_read_array(g, "evpi", CS_TYPE_F64, 1, ed, (void **)&d->evpi, err);
    size_t dd[2] = {(size_t)d->draws, V}; /* optional: what the frontier's steps are judged on */
    if (st == CS_OK && H5Lexists(g, "draw_effect", H5P_DEFAULT) > 0)
        st = cs_h5_read_array(g, "draw_effect", CS_TYPE_F64, 2, dd, (void **)&d->draw_effect, err);
    return st;
}

static int decision_tables(hid_t f, size_t V, size_t n_inputs, cs_results_decision *d,
                           cs_error *err)
{
    void *rows[6] = {NULL};
    const cs_schema_table *t[6] = {&cs_schema_frontier,       &cs_schema_decision_ranking,
                                   &cs_schema_evppi_sets,     &cs_schema_evppi_checks,
                                   &cs_schema_variance_split, &cs_schema_portfolios};
    size_t *n[6] = {&d->n_frontier,     &d->n_ranking, &d->n_evppi_sets,
                    &d->n_evppi_checks, &d->n_split,   &d->n_portfolios};
    /* Sets: each input, each group, all; checks: sets x sets x grid at most. */
    size_t max[6] = {V, V, 2 * n_inputs + 1, CS_H5_MAX_ARRAY, V, V};
    int st = CS_OK;
    for (int i = 0; i < 6 && st == CS_OK; i++)
        st = optional_table(f, t[i], max[i], &rows[i], n[i], err);
    d->frontier = rows[0];
    d->ranking = rows[1];
    d->evppi_sets = rows[2];
    d->evppi_checks = rows[3];
    d->split = rows[4];
    d->portfolios = rows[5];
    return st;
}

static int read_decision(hid_t f, cs_results *r, cs_error *err)
{
    /* The variants decided on: all but the decomposition's (last). */
    size_t nv = r->n_variants;
    while (nv > 1 && r->variants[nv - 1].kind && !strcmp(r->variants[nv - 1].kind, "decomposition"))
        nv--;
    hid_t g = H5Gopen2(f, "/decision", H5P_DEFAULT);
    uint64_t draws = 0;
    int st = g < 0 ? cs_h5_fail(err, CS_EFORMAT, "%s: cannot open /decision", r->path)
                   : cs_h5_read_attr_u64(g, "draws", &draws, err);
    if (st == CS_OK && draws > 0 && !(r->decision = calloc(1, sizeof *r->decision)))
        st = cs_error_set(err, CS_ENOMEM, "out of memory");
    if (st == CS_OK && r->decision) {
        r->decision->draws = draws;
        st = decision_attrs(g, r->decision, err);
        if (st == CS_OK)
            st = decision_arrays(g, nv, r->decision, err);
        if (st == CS_OK)
            st = decision_tables(f, nv, r->dims.n_inputs, r->decision, err);
    }
    cs_h5_close(&g);
    return st;
}

static int read_uncertainty(hid_t f, cs_results *r, cs_error *err)
{
    hid_t g = H5Gopen2(f, "/uncertainty", H5P_DEFAULT);
    int st = g < 0 ? cs_h5_fail(err, CS_EFORMAT, "%s: cannot open /uncertainty", r->path)
                   : cs_h5_read_attr_string(g, "sampling", &r->sampling, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(g, "replicates_per_draw", &r->replicates_per_draw, err);
    cs_h5_close(&g);
    void *rows = NULL;
    size_t nv = r->dims.n_inputs;
    if (st == CS_OK)
        st = cs_schema_read_table(f, &cs_schema_inputs, nv, &rows, &r->n_inputs, err);
    r->inputs = rows;
    rows = NULL;
    if (st == CS_OK)
        st = cs_schema_read_table(f, &cs_schema_values, nv, &rows, &r->n_values, err);
    r->values = rows;
    if (st == CS_OK && r->n_values != nv)
        st = cs_error_set(err, CS_EFORMAT, "%s: /uncertainty/values has %zu rows for %zu inputs",
                          r->path, r->n_values, nv);
    return st;
}

int cs_results_read_uncertain(hid_t f, cs_results *r, cs_error *err)
{
    bool has_u = H5Lexists(f, "/uncertainty", H5P_DEFAULT) > 0;
    bool has_d = H5Lexists(f, "/decision", H5P_DEFAULT) > 0;
    H5Eclear2(H5E_DEFAULT);
    int st = CS_OK;
    if (has_u)
        st = read_uncertainty(f, r, err);
    else if (!(r->sampling = cs_xstrdup("")))
        st = cs_error_set(err, CS_ENOMEM, "out of memory");
    if (st == CS_OK && has_d)
        st = read_decision(f, r, err);
    return st;
}
