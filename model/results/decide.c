/*
 * results/decide.c — the decision analysis of a results file as a pure
 * function of arrays (see results/internal.h): acceptability curves, rank
 * probabilities and EVPI over a willingness-to-pay grid and at the expert's
 * own value, the frontier on the means, the ranking by expected net
 * benefit with bundles' increments, EVPPI of every set of inputs, the
 * variance split, and the budget portfolios. The numerics are the decision
 * module's (casesim/decision.h); this file chooses what to compute.
 *
 * Automatic grid (no decision.willingness_to_pay): from 0 to twice the
 * largest ICER on the frontier (so that the dearest efficient option is
 * cost-effective over the upper half), rounded up to 1, 2 or 5 times a power
 * of ten, in CS_DECIDE_AUTO_POINTS points; and at least twice the expert's
 * value when one is given. Without a positive ICER (nothing costs more and
 * does more), up to twice the largest cost per point of any variant that
 * improves at a cost, else up to 1. The expert's value, when not given, is
 * the grid's middle point.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "results/internal.h"

void cs_decide_output_free(cs_decide_output *out)
{
    free(out->lambda);
    cs_decision_curves_free(out->curves);
    free(out->mean_effect);
    free(out->mean_cost);
    free(out->draw_effect);
    free(out->frontier);
    free(out->ranking);
    cs_evppi_free(out->evppi);
    free(out->split);
    cs_decision_curves_free(out->portfolio_curves);
    free(out->p_over_budget);
    memset(out, 0, sizeof *out);
}

/* 1, 2 or 5 times a power of ten, at least x (> 0). */
static double nice_ceiling(double x)
{
    double p = pow(10, floor(log10(x)));
    const double steps[] = {1, 2, 5, 10};
    for (size_t i = 0; i < 4; i++)
        if (steps[i] * p >= x * (1 - 1e-12))
            return steps[i] * p;
    return 10 * p;
}

/* The upper end of an automatic grid, from the frontier and the means. */
static double auto_top(const cs_decide_output *o, size_t V, double expert)
{
    double top = 0;
    for (size_t v = 0; v < V; v++)
        if (o->frontier[v].status == CS_FRONTIER_EFFICIENT && isfinite(o->frontier[v].icer) &&
            o->frontier[v].icer > top)
            top = o->frontier[v].icer;
    for (size_t v = 1; top == 0 && v < V; v++)
        if (o->mean_effect[v] > 0 && o->mean_cost[v] > o->mean_cost[0]) {
            double cpp = (o->mean_cost[v] - o->mean_cost[0]) / o->mean_effect[v];
            top = cpp > top ? cpp : top;
        }
    top *= 2;
    if (isfinite(expert) && 2 * expert > top)
        top = 2 * expert;
    return top > 0 ? nice_ceiling(top) : 1;
}

/* The grid (given or automatic) and the expert's value after it. */
static int make_grid(const cs_decide_input *in, cs_decide_output *o, cs_error *err)
{
    size_t L = CS_DECIDE_AUTO_POINTS;
    double from = 0, step;
    if (in->grid) {
        from = in->grid[0];
        step = in->grid[2];
        L = (size_t)floor((in->grid[1] - from) / step * (1 + 1e-12)) + 1;
    } else {
        step = auto_top(o, in->n_variants, in->expert) / (double)(L - 1);
    }
    o->lambda = cs_xcalloc(L + 1, sizeof *o->lambda);
    if (!o->lambda)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t l = 0; l < L; l++)
        o->lambda[l] = from + step * (double)l;
    o->n_lambda = L;
    o->expert = isfinite(in->expert) ? in->expert : o->lambda[L / 2];
    o->lambda[L] = o->expert;
    return CS_OK;
}

/* Means over draws, the draws' effect means, and the frontier on the means. */
static int means_and_frontier(const cs_decision_data *data, cs_decide_output *o, cs_error *err)
{
    size_t D = data->n_draws, V = data->n_variants;
    o->mean_effect = cs_xcalloc(V, sizeof *o->mean_effect);
    o->mean_cost = cs_xcalloc(V, sizeof *o->mean_cost);
    o->draw_effect = cs_xcalloc(D * V, sizeof *o->draw_effect);
    o->frontier = cs_xcalloc(V, sizeof *o->frontier);
    if (!o->mean_effect || !o->mean_cost || !o->draw_effect || !o->frontier)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    cs_decision_draw_means(data, o->draw_effect);
    for (size_t v = 0; v < V; v++) {
        for (size_t d = 0; d < D; d++) {
            o->mean_effect[v] += o->draw_effect[d * V + v];
            o->mean_cost[v] += data->cost[d * V + v];
        }
        o->mean_effect[v] /= (double)D;
        o->mean_cost[v] /= (double)D;
    }
    return cs_decision_frontier(o->mean_effect, o->mean_cost, V, o->frontier, err);
}

/* EVPPI of every set, over the grid (the expert's value last). */
static int evppi(const cs_decide_input *in, const cs_decision_data *data, cs_decide_output *o,
                 cs_error *err)
{
    if (in->n_sets == 0 || in->n_inputs == 0 || in->n_draws < 10 || in->n_variants < 2)
        return CS_OK;
    cs_evppi_options opt;
    cs_evppi_options_default(&opt, in->seed);
    return cs_decision_evppi(data, in->theta, in->n_inputs, in->sets, in->n_sets, o->lambda,
                             o->n_lambda + 1, &opt, &o->evppi, err);
}

/* The split of each variant's effect (variant 0's is zero: skipped). */
static int split(const cs_decide_input *in, cs_decide_output *o, cs_error *err)
{
    size_t V = in->n_variants;
    if (in->n_reps < 2 || in->n_draws < 2)
        return CS_OK;
    o->split = cs_xcalloc(V, sizeof *o->split);
    if (!o->split)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    int st = CS_OK;
    for (size_t v = 1; v < V && st == CS_OK; v++)
        st = cs_decision_variance_split(in->effect + v, in->n_draws, in->n_reps, V, &o->split[v],
                                        err);
    return st;
}

/* The budget portfolios on their own: curves at the expert's value among
 * them, and how often each one's drawn cost exceeds the budget. */
static int portfolios(const cs_decide_input *in, cs_decide_output *o, cs_error *err)
{
    size_t P = in->n_portfolios, D = in->n_draws, V = in->n_variants;
    if (P == 0)
        return CS_OK;
    double *e = cs_xcalloc(D * P, sizeof *e), *c = cs_xcalloc(D * P, sizeof *c);
    o->p_over_budget = cs_xcalloc(P, sizeof *o->p_over_budget);
    int st = e && c && o->p_over_budget ? CS_OK : cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t d = 0; d < D && st == CS_OK; d++)
        for (size_t j = 0; j < P; j++) {
            size_t v = in->portfolios[j];
            e[d * P + j] = o->draw_effect[d * V + v];
            c[d * P + j] = in->cost[d * V + v];
            o->p_over_budget[j] += (c[d * P + j] > in->budget) / (double)D;
        }
    cs_decision_data pd = {.n_draws = D, .n_reps = 1, .n_variants = P, .effect = e, .cost = c};
    if (st == CS_OK)
        st = cs_decision_curves_compute(&pd, &o->expert, 1, in->population_years,
                                        &o->portfolio_curves, err);
    free(e);
    free(c);
    return st;
}

int cs_decide_compute(const cs_decide_input *in, cs_decide_output *out, cs_error *err)
{
    memset(out, 0, sizeof *out);
    cs_decision_data data = {.n_draws = in->n_draws,
                             .n_reps = in->n_reps,
                             .n_variants = in->n_variants,
                             .effect = in->effect,
                             .cost = in->cost};
    int st = cs_decision_data_check(&data, err);
    if (st == CS_OK)
        st = means_and_frontier(&data, out, err);
    if (st == CS_OK)
        st = make_grid(in, out, err);
    if (st == CS_OK)
        st = cs_decision_curves_compute(&data, out->lambda, out->n_lambda + 1, in->population_years,
                                        &out->curves, err);
    if (st == CS_OK && !(out->ranking = cs_xcalloc(in->n_variants, sizeof *out->ranking)))
        st = cs_error_set(err, CS_ENOMEM, "out of memory");
    if (st == CS_OK)
        st = cs_decision_nb_ranking(&data, out->expert, in->bundles, in->n_bundles, out->ranking,
                                    err);
    if (st == CS_OK)
        st = split(in, out, err);
    if (st == CS_OK)
        st = portfolios(in, out, err);
    out->core_done = st == CS_OK;
    if (st == CS_OK)
        st = evppi(in, &data, out, err);
    return st;
}
