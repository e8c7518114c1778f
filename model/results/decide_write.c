/*
 * results/decide_write.c — /decision in a results file: its specification,
 * written when the file is created (cs_results_write_decision_spec), and
 * the tables and arrays computed from the replicates when it is closed or
 * joined (cs_results_write_decision). The layout is documented, dataset by
 * dataset, in analysis/README.md.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "results/decide_read.h"
#include "results/h5util.h"
#include "results/schema.h"

/* ------------------------------------------------- the specification */

/* The written variant whose interventions are exactly members (a bit mask
 * over the scenario's interventions), or NULL. */
static const cs_variant *variant_of(const cs_scenario *s, const size_t *variants, size_t nv,
                                    uint32_t members)
{
    for (size_t i = 0; i < nv; i++) {
        const cs_variant *v = &s->variants[variants ? variants[i] : i];
        uint32_t m = 0;
        for (size_t j = 0; j < v->n_applied; j++)
            m |= UINT32_C(1) << v->applied[j];
        if (m == members)
            return v;
    }
    return NULL;
}

/* `portfolio_variants` and `portfolio_costs`: the written budget portfolios. */
static int spec_portfolios(hid_t g, const cs_scenario *s, const size_t *variants, size_t nv,
                           cs_error *err)
{
    const cs_decision_spec *d = &s->decision;
    const char **names = cs_xcalloc(d->n_portfolios, sizeof *names);
    double *cost = cs_xcalloc(d->n_portfolios, sizeof *cost);
    size_t n = 0;
    int st = names && cost ? CS_OK : cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t k = 0; k < d->n_portfolios && st == CS_OK; k++) {
        const cs_variant *v = variant_of(s, variants, nv, d->portfolio_members[k]);
        if (v) {
            cost[n] = d->portfolio_costs[k];
            names[n++] = v->name;
        }
    }
    if (st == CS_OK)
        st = cs_h5_attr_strings(g, "portfolio_variants", names, n, err);
    if (st == CS_OK)
        st = cs_h5_attr_doubles(g, "portfolio_costs", cost, n, err);
    free(names);
    free(cost);
    return st;
}

static int spec_attrs(hid_t g, const cs_scenario *s, cs_error *err)
{
    const cs_decision_spec *d = &s->decision;
    const char *str[][2] = {{"measure", d->measure ? d->measure : "impunity_rate"},
                            {"group", d->group ? d->group : ""},
                            {"currency", d->currency ? d->currency : ""}};
    double num[][2] = {{0, d->direction ? d->direction : -1},
                       {0, d->has_grid ? d->wtp_from : NAN},
                       {0, d->has_grid ? d->wtp_to : NAN},
                       {0, d->has_grid ? d->wtp_step : NAN},
                       {0, d->has_expert ? d->wtp_expert : NAN},
                       {0, d->population_years > 0 ? d->population_years : 1},
                       {0, d->has_budget ? d->budget : NAN}};
    const char *num_names[] = {"direction",  "wtp_from",         "wtp_to", "wtp_step",
                               "wtp_expert", "population_years", "budget"};
    int st = CS_OK;
    for (size_t i = 0; i < 3 && st == CS_OK; i++)
        st = cs_h5_attr_string(g, str[i][0], str[i][1], err);
    for (size_t i = 0; i < 7 && st == CS_OK; i++)
        st = cs_h5_attr_double(g, num_names[i], num[i][1], err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(g, "given", d->given ? 1 : 0, err);
    return st;
}

int cs_results_write_decision_spec(hid_t file, const cs_scenario *s, const size_t *variants,
                                   size_t n_variants, cs_error *err)
{
    hid_t g = H5Gcreate2(file, "/decision", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return cs_h5_fail(err, CS_EIO, "cannot create /decision");
    int st = spec_attrs(g, s, err);
    if (st == CS_OK)
        st = spec_portfolios(g, s, variants, n_variants, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(
            g, "description",
            "Decisions under uncertainty: the attributes say what the decision is judged on "
            "(measure of group, direction -1: lower is better), the willingness-to-pay grid "
            "(NaN: automatic) and the expert's value (NaN: the grid's middle), in the "
            "scenario's currency per percentage point per year; the datasets and tables are "
            "computed from the replicates when the file is closed (analysis/README.md).",
            err);
    if (cs_h5_close(&g) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "cannot close /decision");
    return st;
}

/* ------------------------------------------------- the computed tables */

/* One numeric dataset of /decision. */
typedef struct darray {
    const char *name;
    cs_type type;
    int rank;
    size_t dims[3];
    const void *data;
    const char *units;
    const char *axes[3];
    const char *description;
} darray;

static int write_arrays(hid_t g, const darray *a, size_t n, cs_error *err)
{
    int st = CS_OK;
    for (size_t i = 0; i < n && st == CS_OK; i++)
        if (a[i].data)
            st = cs_h5_write_array(g, a[i].name, a[i].type, a[i].rank, a[i].dims, a[i].data,
                                   a[i].units, a[i].description, a[i].axes, err);
    return st;
}

/* Units of money ("USD per year") and of willingness to pay. */
typedef struct units {
    char year[64], wtp[96];
} units;

static void make_units(const cs_dfile *f, units *u)
{
    const char *c = f->currency && f->currency[0] ? f->currency : "currency";
    snprintf(u->year, sizeof u->year, "%s per year", c);
    snprintf(u->wtp, sizeof u->wtp, "%s per percentage point per year", c);
}

/* The curves over the grid (the first L rows of every array). */
static int write_curves(hid_t g, const cs_dfile *f, const cs_decide_output *o, const units *u,
                        cs_error *err)
{
    const cs_decision_curves *c = o->curves;
    size_t L = o->n_lambda, V = f->V;
    const darray a[] = {
        {"lambda",
         CS_TYPE_F64,
         1,
         {L},
         o->lambda,
         u->wtp,
         {"lambda"},
         "The willingness-to-pay grid: currency per percentage point of the outcome improved, "
         "per year."},
        {"enb",
         CS_TYPE_F64,
         2,
         {L, V},
         c->enb,
         u->year,
         {"lambda", "variant"},
         "Expected net benefit lambda x effect - cost over the draws."},
        {"enb_se",
         CS_TYPE_F64,
         2,
         {L, V},
         c->enb_se,
         u->year,
         {"lambda", "variant"},
         "Monte Carlo standard error of enb (sd over draws / sqrt(draws))."},
        {"p_best",
         CS_TYPE_F64,
         2,
         {L, V},
         c->p_best,
         "1",
         {"lambda", "variant"},
         "Probability of being best (highest net benefit) over the draws: the acceptability "
         "curves."},
        {"p_best_se",
         CS_TYPE_F64,
         2,
         {L, V},
         c->p_best_se,
         "1",
         {"lambda", "variant"},
         "Standard error of p_best, sqrt(p (1 - p) / draws)."},
        {"p_rank",
         CS_TYPE_F64,
         3,
         {L, V, V},
         c->p_rank,
         "1",
         {"lambda", "variant", "rank"},
         "Probability that the variant has rank r + 1 (1 = highest net benefit); absent beyond "
         "64 variants."},
        {"best",
         CS_TYPE_U32,
         1,
         {L},
         c->best,
         "index into /scenario/variants",
         {"lambda"},
         "The variant with the highest expected net benefit: the acceptability frontier."},
        {"evpi",
         CS_TYPE_F64,
         1,
         {L},
         c->evpi,
         u->year,
         {"lambda"},
         "Expected value of perfect information per year."},
        {"evpi_se", CS_TYPE_F64, 1, {L}, c->evpi_se, u->year, {"lambda"}, "Its standard error."},
        {"evpi_horizon",
         CS_TYPE_F64,
         1,
         {L},
         c->evpi_horizon,
         "currency",
         {"lambda"},
         "EVPI over the policy horizon (evpi x population_years)."},
        {"evpi_horizon_se",
         CS_TYPE_F64,
         1,
         {L},
         c->evpi_horizon_se,
         "currency",
         {"lambda"},
         "Its standard error."},
        {"evpi_noise_bound",
         CS_TYPE_F64,
         1,
         {L},
         c->evpi_noise_bound,
         u->year,
         {"lambda"},
         "Bound on the upward bias of evpi from simulation noise (NaN with one replicate per "
         "draw)."},
        {"draw_index",
         CS_TYPE_U64,
         1,
         {f->D},
         f->draw_index,
         "draw number",
         {"draw"},
         "The complete draws the decision uses (replicate r is in draw floor(r / k))."},
        {"draw_effect",
         CS_TYPE_F64,
         2,
         {f->D, V},
         o->draw_effect,
         "percentage points",
         {"draw", "variant"},
         "Each draw's mean improvement of the outcome against the baseline: the "
         "cost-effectiveness plane's points."},
        {"draw_cost",
         CS_TYPE_F64,
         2,
         {f->D, V},
         f->dcost,
         u->year,
         {"draw", "variant"},
         "Each draw's annual cost of the variant."},
    };
    return write_arrays(g, a, sizeof a / sizeof *a, err);
}

/* The figures at the expert's willingness to pay, as attributes. */
static int write_expert(hid_t g, const cs_dfile *f, const cs_decide_output *o, cs_error *err)
{
    const cs_decision_curves *c = o->curves;
    size_t L = o->n_lambda, V = f->V, best = c->best[L];
    const char *names[] = {"expert_wtp",          "expert_evpi",   "expert_evpi_se",
                           "expert_evpi_horizon", "expert_p_best", "expert_enb"};
    const double vals[] = {
        o->expert,           c->evpi[L], c->evpi_se[L], c->evpi_horizon[L], c->p_best[L * V + best],
        c->enb[L * V + best]};
    int st = CS_OK;
    for (size_t i = 0; i < sizeof vals / sizeof *vals && st == CS_OK; i++)
        st = cs_h5_attr_double(g, names[i], vals[i], err);
    if (st == CS_OK)
        st = cs_h5_attr_string(g, "expert_best", f->variants[best], err);
    if (st == CS_OK)
        st = cs_h5_attr_string(g, "expert_wtp_from",
                               isfinite(f->expert) ? "given" : "middle of the grid", err);
    if (st == CS_OK)
        st = cs_h5_attr_string(g, "grid", f->has_grid ? "given" : "automatic", err);
    return st;
}

/* Which uncertainty the decision's intervals cover, and the draws used. */
static int write_scope(hid_t g, const cs_dfile *f, cs_error *err)
{
    bool drawn = f->in.n_inputs > 0;
    /* A run on a calibration's posterior draws its inputs too, from the
     * posterior: its probabilities cover what the calibration leaves
     * unknown (no partial values: the draws are not the prior's). */
    bool posterior = f->sampling && !strncmp(f->sampling, "posterior ", strlen("posterior "));
    int st = cs_h5_attr_string(g, "uncertainty",
                               drawn       ? "inputs and simulation"
                               : posterior ? "posterior inputs and simulation"
                                           : "simulation only",
                               err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(g, "draws", f->D, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(g, "draws_dropped", f->dropped, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(g, "replicates_per_draw_used", f->k, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(g, "outcome_group", f->groups[f->group_index], err);
    if (st == CS_OK)
        st = cs_h5_attr_string(g, "effect_units", "percentage points", err);
    return st;
}

static const char *status_name(cs_frontier_status s)
{
    return s == CS_FRONTIER_EFFICIENT   ? "efficient"
           : s == CS_FRONTIER_DOMINATED ? "dominated"
                                        : "extendedly dominated";
}

/* The variant(s) a frontier entry is judged against, as text. */
static void versus(const cs_dfile *f, const cs_frontier_entry *e, char *buf, size_t n)
{
    const char *a = e->by[0] != CS_DECISION_NONE ? f->variants[e->by[0]] : "";
    if (e->status == CS_FRONTIER_EXTENDED && e->by[1] != CS_DECISION_NONE)
        snprintf(buf, n, "%s and %s", a, f->variants[e->by[1]]);
    else
        snprintf(buf, n, "%s", a);
}

static int write_frontier(hid_t file, const cs_dfile *f, const cs_decide_output *o, cs_error *err)
{
    size_t V = f->V;
    cs_results_frontier_row *rows = cs_xcalloc(V, sizeof *rows);
    char(*vs)[2 * CS_MAX_NAME_LEN + 8] = cs_xcalloc(V, sizeof *vs);
    if (!rows || !vs) {
        free(rows);
        free(vs);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    for (size_t v = 0; v < V; v++) {
        const cs_frontier_entry *e = &o->frontier[v];
        versus(f, e, vs[v], sizeof vs[v]);
        rows[v] = (cs_results_frontier_row){.variant = f->variants[v],
                                            .effect = e->effect,
                                            .cost = e->cost,
                                            .status = (char *)status_name(e->status),
                                            .versus = vs[v],
                                            .icer = e->icer,
                                            .rank_by_cost = (int32_t)e->rank_by_cost};
    }
    int st = cs_schema_write_table(file, &cs_schema_frontier, V, rows, err);
    free(rows);
    free(vs);
    return st;
}

static int write_ranking(hid_t file, const cs_dfile *f, const cs_decide_output *o, cs_error *err)
{
    size_t V = f->V;
    cs_results_decision_rank_row *rows = cs_xcalloc(V, sizeof *rows);
    if (!rows)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t v = 0; v < V; v++) {
        const cs_nb_rank_row *k = &o->ranking[v];
        bool bundle = k->best_member != CS_DECISION_NONE;
        rows[v] =
            (cs_results_decision_rank_row){.variant = f->variants[v],
                                           .kind = f->kinds[v],
                                           .effect = o->mean_effect[v],
                                           .cost = o->mean_cost[v],
                                           .enb = k->enb,
                                           .enb_se = k->enb_se,
                                           .rank = (int32_t)k->rank,
                                           .p_best = k->p_best,
                                           .status = (char *)status_name(k->status),
                                           .best_member = bundle ? f->variants[k->best_member] : "",
                                           .increment = k->increment,
                                           .increment_se = k->increment_se,
                                           .p_increment_positive = k->p_increment_positive};
    }
    int st = cs_schema_write_table(file, &cs_schema_decision_ranking, V, rows, err);
    free(rows);
    return st;
}

/* The variance split of each intervention's and bundle's effect. */
static int write_split(hid_t file, const cs_dfile *f, const cs_decide_output *o, cs_error *err)
{
    size_t n = o->split ? f->V - 1 : 0;
    cs_results_variance_row *rows = cs_xcalloc(n, sizeof *rows);
    if (!rows)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const cs_variance_split *s = &o->split[i + 1];
        rows[i] = (cs_results_variance_row){.variant = f->variants[i + 1],
                                            .mean = s->mean,
                                            .total = s->total,
                                            .within = s->within,
                                            .within_se = s->within_se,
                                            .between = s->between,
                                            .parameter = s->parameter,
                                            .parameter_se = s->parameter_se,
                                            .noise_share = s->noise_share,
                                            .clamped = s->clamped};
    }
    int st = cs_schema_write_table(file, &cs_schema_variance_split, n, rows, err);
    free(rows);
    return st;
}

/* Copies [S][L + 1] to [S][L]: the grid without the expert's column. */
static double *grid_part(const double *x, size_t S, size_t L)
{
    double *y = cs_xcalloc(S * L, sizeof *y);
    for (size_t s = 0; y && s < S; s++)
        memcpy(y + s * L, x + s * (L + 1), L * sizeof *y);
    return y;
}

/* "spline, linear": the methods of set s's fits, each once. */
static void set_methods(const cs_evppi *e, size_t s, char *buf, size_t n, double *min_r2)
{
    static const char *const names[] = {"constant", "linear", "spline", "gp"};
    bool seen[4] = {false};
    *min_r2 = INFINITY;
    for (size_t o = 0; o < e->n_outputs; o++) {
        const cs_evppi_fit_info *fi = &e->fit[s * e->n_outputs + o];
        seen[fi->method] = true;
        if (fi->method != CS_EVPPI_CONSTANT && fi->r2 < *min_r2)
            *min_r2 = fi->r2;
    }
    if (isinf(*min_r2))
        *min_r2 = NAN; /* every output constant */
    size_t used = 0;
    buf[0] = '\0';
    for (int m = 0; m < 4 && used < n; m++)
        if (seen[m])
            used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? ", " : "", names[m]);
}

/* The row of /decision/evppi_sets for set s (its strings are new: inputs,
 * methods). */
static int set_row(const cs_dfile *f, const cs_evppi *e, size_t s, size_t L,
                   cs_results_evppi_set_row *r)
{
    const cs_evppi_set *set = &f->sets[s];
    const char **labels = cs_xcalloc(set->n_inputs, sizeof *labels);
    char *methods = malloc(64);
    if (!labels || !methods) {
        free(labels);
        free(methods);
        return CS_ENOMEM;
    }
    for (size_t i = 0; i < set->n_inputs; i++)
        labels[i] = f->inputs[set->inputs[i]];
    double min_r2;
    set_methods(e, s, methods, 64, &min_r2);
    *r = (cs_results_evppi_set_row){.name = f->set_names[s],
                                    .kind = f->set_kinds[s],
                                    .inputs = cs_results_join(labels, set->n_inputs, ", "),
                                    .n_inputs = (int64_t)set->n_inputs,
                                    .evppi_expert = e->evppi[s * (L + 1) + L],
                                    .evppi_expert_se = e->se[s * (L + 1) + L],
                                    .evppi_expert_horizon = e->evppi[s * (L + 1) + L] * f->horizon,
                                    .methods = methods,
                                    .min_r2 = min_r2};
    free(labels);
    return r->inputs ? CS_OK : CS_ENOMEM;
}

static int write_evppi_sets(hid_t file, const cs_dfile *f, const cs_evppi *e, size_t L,
                            cs_error *err)
{
    size_t S = e->n_sets;
    cs_results_evppi_set_row *rows = cs_xcalloc(S, sizeof *rows);
    int st = rows ? CS_OK : CS_ENOMEM;
    for (size_t s = 0; s < S && st == CS_OK; s++)
        st = set_row(f, e, s, L, &rows[s]);
    if (st != CS_OK)
        st = cs_error_set(err, CS_ENOMEM, "out of memory");
    else
        st = cs_schema_write_table(file, &cs_schema_evppi_sets, S, rows, err);
    for (size_t s = 0; rows && s < S; s++) {
        free(rows[s].inputs);
        free(rows[s].methods);
    }
    free(rows);
    return st;
}

static int write_evppi_checks(hid_t file, const cs_dfile *f, const cs_decide_output *o,
                              cs_error *err)
{
    const cs_evppi *e = o->evppi;
    size_t n = e->n_violations;
    cs_results_evppi_check_row *rows = cs_xcalloc(n, sizeof *rows);
    if (!rows)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const cs_evppi_violation *v = &e->violations[i];
        rows[i] = (cs_results_evppi_check_row){
            .set = f->set_names[v->set],
            .other = v->other == CS_EVPPI_WITH_EVPI ? "EVPI" : f->set_names[v->other],
            .lambda = o->lambda[v->lambda],
            .excess = v->excess,
            .z = v->z};
    }
    int st = cs_schema_write_table(file, &cs_schema_evppi_checks, n, rows, err);
    free(rows);
    return st;
}

static int write_evppi(hid_t g, const cs_dfile *f, const cs_decide_output *o, const units *u,
                       cs_error *err)
{
    const cs_evppi *e = o->evppi;
    if (!e)
        return CS_OK;
    size_t S = e->n_sets, L = o->n_lambda;
    double *x[4] = {grid_part(e->evppi, S, L), grid_part(e->se, S, L), grid_part(e->se_mc, S, L),
                    grid_part(e->se_fit, S, L)};
    const darray a[] = {
        {"evppi",
         CS_TYPE_F64,
         2,
         {S, L},
         x[0],
         u->year,
         {"set", "lambda"},
         "Expected value of partial perfect information of each set of /decision/evppi_sets, "
         "per year, by regression of the incremental net benefit on the set's inputs."},
        {"evppi_se",
         CS_TYPE_F64,
         2,
         {S, L},
         x[1],
         u->year,
         {"set", "lambda"},
         "Its standard error, sqrt(se_mc^2 + se_fit^2)."},
        {"evppi_se_mc",
         CS_TYPE_F64,
         2,
         {S, L},
         x[2],
         u->year,
         {"set", "lambda"},
         "Monte Carlo standard error of the outer mean."},
        {"evppi_se_fit",
         CS_TYPE_F64,
         2,
         {S, L},
         x[3],
         u->year,
         {"set", "lambda"},
         "Standard error from the uncertainty of the regressions."},
    };
    int st = x[0] && x[1] && x[2] && x[3] ? write_arrays(g, a, 4, err)
                                          : cs_error_set(err, CS_ENOMEM, "out of memory");
    for (int i = 0; i < 4; i++)
        free(x[i]);
    if (st == CS_OK)
        st = write_evppi_sets(f->file, f, e, L, err);
    if (st == CS_OK)
        st = write_evppi_checks(f->file, f, o, err);
    return st;
}

/* The rank of portfolio j by ENB among the portfolios (ties share the
 * better rank). */
static int32_t portfolio_rank(const cs_decision_curves *c, size_t j)
{
    int32_t r = 1;
    for (size_t i = 0; i < c->n_variants; i++)
        r += c->enb[i] > c->enb[j];
    return r;
}

static int write_portfolios(hid_t file, const cs_dfile *f, const cs_decide_output *o, cs_error *err)
{
    size_t P = f->n_portfolios;
    cs_results_portfolio_row *rows = cs_xcalloc(P, sizeof *rows);
    if (!rows)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    const cs_decision_curves *c = o->portfolio_curves;
    for (size_t j = 0; j < P && c; j++) {
        size_t v = f->portfolios[j];
        rows[j] = (cs_results_portfolio_row){.variant = f->variants[v],
                                             .members = v == 0 ? "" : f->variants[v],
                                             .expected_cost = f->portfolio_cost[j],
                                             .p_over_budget = o->p_over_budget[j],
                                             .effect = o->mean_effect[v],
                                             .enb = c->enb[j],
                                             .enb_se = c->enb_se[j],
                                             .p_best = c->p_best[j],
                                             .rank = portfolio_rank(c, j)};
    }
    int st = cs_schema_write_table(file, &cs_schema_portfolios, c ? P : 0, rows, err);
    free(rows);
    return st;
}

/* Computes the decision. A failure of the numerics (a regression that
 * cannot be fitted, data the methods refuse) must not cost the user the
 * results file: it is recorded in the attribute `error` and the tables
 * computed before it are kept; only running out of memory is fatal. */
static int decide(cs_dfile *f, cs_decide_output *o, cs_error *err)
{
    cs_error *local = malloc(sizeof *local);
    if (!local)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    cs_error_clear(local);
    int st = cs_decide_compute(&f->in, o, local);
    if (st != CS_OK && st != CS_ENOMEM) {
        local->text[strcspn(local->text, "\n")] = '\0';
        st = cs_h5_attr_string(f->g, "error", local->text, err);
        if (st == CS_OK && !o->core_done)
            f->D = 0; /* nothing to write but the error */
    } else if (st == CS_ENOMEM) {
        cs_error_set(err, st, "%s", "out of memory for the decision analysis");
    }
    free(local);
    return st;
}

/* The names of a group's links, collected before any is deleted (HDF5
 * does not allow changing a group while it iterates over it). */
typedef struct link_names {
    char **names;
    size_t n, cap;
    bool failed;
} link_names;

static herr_t collect_link(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    (void)g;
    (void)info;
    link_names *l = data;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 32;
        char **p = realloc(l->names, cap * sizeof *p);
        if (!p)
            return l->failed = true, 1;
        l->names = p;
        l->cap = cap;
    }
    if (!(l->names[l->n] = cs_xstrdup(name)))
        return l->failed = true, 1;
    l->n++;
    return 0;
}

/* Deletes every dataset of /decision: all of them are computed (the
 * specification is in attributes), and they are written anew together
 * with their dimension scales, whose lengths (draws, rows of the checks)
 * may have changed since (a joined or resumed file). Deleting them all at
 * once leaves no scale attached to a deleted dataset nor the reverse. */
static int clear_computed(hid_t g, cs_error *err)
{
    link_names l = {NULL, 0, 0, false};
    int st = CS_OK;
    if (H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_link, &l) < 0 || l.failed)
        st = l.failed ? cs_error_set(err, CS_ENOMEM, "out of memory")
                      : cs_h5_fail(err, CS_EIO, "cannot list /decision");
    for (size_t i = 0; i < l.n && st == CS_OK; i++)
        if (H5Ldelete(g, l.names[i], H5P_DEFAULT) < 0)
            st = cs_h5_fail(err, CS_EIO, "cannot replace /decision/%s", l.names[i]);
    cs_h5_free_strings(l.names, l.n);
    return st;
}

int cs_results_write_decision(hid_t file, const char *most_affected, cs_error *err)
{
    cs_dfile f;
    cs_decide_output o;
    memset(&o, 0, sizeof o);
    int st = cs_dfile_read(file, most_affected, &f, err);
    if (st == CS_EFORMAT && f.g < 0) {
        cs_dfile_free(&f);
        return CS_OK; /* a file of format 1.1: no decision recorded */
    }
    if (st == CS_OK)
        st = clear_computed(f.g, err);
    if (st == CS_OK && f.D == 0)
        st = cs_h5_attr_u64(f.g, "draws", 0, err); /* nothing complete to decide on */
    else if (st == CS_OK)
        st = decide(&f, &o, err);
    units u;
    make_units(&f, &u);
    if (st == CS_OK && f.D > 0) {
        st = write_scope(f.g, &f, err);
        if (st == CS_OK)
            st = write_curves(f.g, &f, &o, &u, err);
        if (st == CS_OK)
            st = write_expert(f.g, &f, &o, err);
        if (st == CS_OK)
            st = write_frontier(file, &f, &o, err);
        if (st == CS_OK)
            st = write_ranking(file, &f, &o, err);
        if (st == CS_OK)
            st = write_evppi(f.g, &f, &o, &u, err);
        if (st == CS_OK)
            st = write_split(file, &f, &o, err);
        if (st == CS_OK)
            st = write_portfolios(file, &f, &o, err);
    }
    cs_decide_output_free(&o);
    cs_dfile_free(&f);
    return st;
}
