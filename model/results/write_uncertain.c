/*
 * results/write_uncertain.c — what a results file records, when it is
 * created, about the scenario's uncertain inputs (/uncertainty) and its
 * decision (the attributes of /decision, from which the decision tables
 * are computed when the file is closed or joined). The layout is
 * documented in analysis/README.md.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "results/h5util.h"
#include "results/internal.h"
#include "results/schema.h"

/* The label of uncertain value v of s in /scenario/inputs: its entry's
 * name, or for a Dirichlet's component, its path. */
const char *cs_results_input_label(const cs_scenario *s, size_t v)
{
    for (size_t e = 0; e < s->n_uncertain; e++) {
        const cs_uncertain *u = &s->uncertain[e];
        if (v >= u->offset && v < u->offset + u->n_paths)
            return u->n_paths == 1 ? u->name : u->paths[v - u->offset];
    }
    return "?";
}

/* The units of uncertain value v of s. */
const char *cs_results_input_units(const cs_scenario *s, size_t v)
{
    for (size_t e = 0; e < s->n_uncertain; e++) {
        const cs_uncertain *u = &s->uncertain[e];
        if (v >= u->offset && v < u->offset + u->n_paths)
            return u->units;
    }
    return "?";
}

/* Joins the n strings of list with sep into a new string (NULL when out of
 * memory). */
char *cs_results_join(const char *const *list, size_t n, const char *sep)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(list[i]) + strlen(sep);
    char *out = malloc(len), *p = out;
    for (size_t i = 0; out && i < n; i++)
        p += sprintf(p, "%s%s", i ? sep : "", list[i]);
    if (out)
        *p = '\0';
    return out;
}

/* The row of /uncertainty/inputs for entry e. */
static int input_row(const cs_scenario *s, size_t e, cs_results_input_row *r)
{
    const cs_uncertain *u = &s->uncertain[e];
    const cs_unc_dist *d = cs_unc_set_dist(s->uncertain_set, e);
    bool dir = d->family == CS_UNC_DIRICHLET;
    *r = (cs_results_input_row){
        .name = u->name,
        .paths = cs_results_join((const char *const *)u->paths, u->n_paths, "; "),
        .family = (char *)cs_unc_family_name(d->family),
        .param_1 = dir ? NAN : d->p[0],
        .param_2 = dir ? NAN : d->p[1],
        .param_3 = d->family == CS_UNC_TRIANGULAR ? d->p[2] : NAN,
        .truncate_low = u->truncated ? u->truncate[0] : NAN,
        .truncate_high = u->truncated ? u->truncate[1] : NAN,
        .support_low = dir ? 0 : d->lo,
        .support_high = dir ? 1 : d->hi,
        .mean = dir ? NAN : d->mean,
        .sd = dir ? NAN : sqrt(d->var),
        .first_value = (int64_t)u->offset,
        .n_values = (int64_t)u->n_paths,
        .kind = (char *)u->range.what,
        .units = (char *)u->units,
        .source = u->source,
        .group = u->group};
    return r->paths ? CS_OK : CS_ENOMEM;
}

/* The row of /uncertainty/values for value i of entry e. */
static void value_row(const cs_scenario *s, size_t e, size_t i, cs_results_value_row *r)
{
    const cs_uncertain *u = &s->uncertain[e];
    const cs_unc_dist *d = cs_unc_set_dist(s->uncertain_set, e);
    cs_unc_dist m;
    cs_unc_dist_marginal(d, i, &m, NULL);
    *r = (cs_results_value_row){.name = (char *)cs_results_input_label(s, u->offset + i),
                                .path = u->paths[i],
                                .entry = (int64_t)e,
                                .scenario_value = u->value[i],
                                .dirichlet_count =
                                    d->family == CS_UNC_DIRICHLET ? d->counts[i] : NAN,
                                .mean = m.mean,
                                .sd = sqrt(m.var),
                                .p05 = cs_unc_dist_quantile(&m, 0.05),
                                .p95 = cs_unc_dist_quantile(&m, 0.95),
                                .valid_low = u->range.lo,
                                .valid_high = u->range.hi,
                                .units = (char *)u->units};
}

/* The three tables of /uncertainty. */
static int uncertainty_tables(hid_t file, const cs_scenario *s, cs_error *err)
{
    size_t ne = s->n_uncertain, nv = s->n_uncertain_values, nc = s->n_correlations;
    cs_results_input_row *in = cs_xcalloc(ne, sizeof *in);
    cs_results_value_row *val = cs_xcalloc(nv, sizeof *val);
    cs_results_correlation_row *cor = cs_xcalloc(nc, sizeof *cor);
    int st = in && val && cor ? CS_OK : CS_ENOMEM;
    for (size_t e = 0; e < ne && st == CS_OK; e++) {
        st = input_row(s, e, &in[e]);
        for (size_t i = 0; i < s->uncertain[e].n_paths; i++)
            value_row(s, e, i, &val[s->uncertain[e].offset + i]);
    }
    for (size_t k = 0; k < nc && st == CS_OK; k++)
        cor[k] = (cs_results_correlation_row){
            (int64_t)s->correlations[k].a, (int64_t)s->correlations[k].b, s->correlations[k].rho};
    if (st != CS_OK)
        st = cs_error_set(err, CS_ENOMEM, "out of memory");
    if (st == CS_OK)
        st = cs_schema_write_table(file, &cs_schema_inputs, ne, in, err);
    if (st == CS_OK)
        st = cs_schema_write_table(file, &cs_schema_values, nv, val, err);
    if (st == CS_OK)
        st = cs_schema_write_table(file, &cs_schema_correlations, nc, cor, err);
    for (size_t e = 0; in && e < ne; e++)
        free(in[e].paths);
    free(in);
    free(val);
    free(cor);
    return st;
}

int cs_results_write_uncertainty(hid_t file, const cs_scenario *s, bool drawn, const char *sampling,
                                 const char *design, cs_error *err)
{
    hid_t g = H5Gcreate2(file, "/uncertainty", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return cs_h5_fail(err, CS_EIO, "cannot create /uncertainty");
    const char *how = design                        ? design
                      : s->n_uncertain == 0         ? "none"
                      : !drawn                      ? "scenario values"
                      : s->sampling == CS_UNC_SOBOL ? "sobol"
                                                    : "random";
    if (sampling && drawn && !design)
        how = sampling;
    int st = cs_h5_attr_string(g, "sampling", how, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(g, "replicates_per_draw",
                            !design && s->replicates_per_draw ? s->replicates_per_draw : 1, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(
            g, "description",
            "The scenario's uncertain inputs. sampling: how each replicate's values were drawn "
            "(random: keyed stream (seed, uncertain, draw); sobol: Sobol point of the draw; "
            "scenario values: --no-uncertainty; none: no uncertain inputs; posterior HASH: "
            "resampled draws of the calibration whose state checksum is HASH, run "
            "--posterior; saltelli or morris: the runs of a sensitivity design, /sensitivity). "
            "Replicate r uses draw floor(r / replicates_per_draw).",
            err);
    if (st == CS_OK)
        st = uncertainty_tables(file, s, err);
    if (cs_h5_close(&g) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "cannot close /uncertainty");
    return st;
}
