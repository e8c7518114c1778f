/* frontier.c — the deterministic cost-effectiveness frontier (dominance,
 * extended dominance, ICERs), net-benefit rankings with bundle increments,
 * and budget portfolios (methods in include/casesim/decision.h). */
#include "casesim/decision.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decision_internal.h"

/* Sort context: qsort has no user pointer, so the keys travel with the
 * index. */
struct by_cost {
    double cost, effect;
    size_t index;
};

static int cmp_by_cost(const void *pa, const void *pb)
{
    const struct by_cost *a = pa, *b = pb;
    if (a->cost != b->cost)
        return a->cost < b->cost ? -1 : 1;
    if (a->effect != b->effect)
        return a->effect > b->effect ? -1 : 1; /* the larger effect first */
    return a->index < b->index ? -1 : (a->index > b->index);
}

/* Strong dominance along the cost order: an option is dominated by the most
 * effective earlier one when it improves no more. */
static void mark_dominated(const struct by_cost *o, size_t n, cs_frontier_entry *out)
{
    size_t top = o[0].index;
    for (size_t i = 1; i < n; i++) {
        size_t j = o[i].index;
        if (o[i].effect <= out[top].effect) {
            out[j].status = CS_FRONTIER_DOMINATED;
            out[j].by[0] = top;
        } else {
            top = j;
        }
    }
}

/* 1 when the ICER into f[i] exceeds the ICER out of it, i.e.
 * (c_i - c_a)/(e_i - e_a) > (c_b - c_i)/(e_b - e_i) with a, b its
 * neighbours; compared as cross products (the effect steps are positive) with
 * a relative margin of 1e-12, so that options collinear up to rounding stay
 * efficient as exactly collinear ones do. */
static int icer_falls(const cs_frontier_entry *out, size_t a, size_t i, size_t b)
{
    double lhs = (out[i].cost - out[a].cost) * (out[b].effect - out[i].effect);
    double rhs = (out[b].cost - out[i].cost) * (out[i].effect - out[a].effect);
    return lhs - rhs > 1e-12 * (fabs(lhs) + fabs(rhs));
}

/* Removes extendedly dominated options from the efficient list f[0..*m)
 * (in cost order) until the ICERs increase. */
static void remove_extended(size_t *f, size_t *m, cs_frontier_entry *out)
{
    for (;;) {
        size_t marked = 0;
        for (size_t i = 1; i + 1 < *m; i++)
            if (icer_falls(out, f[i - 1], f[i], f[i + 1])) {
                out[f[i]].status = CS_FRONTIER_EXTENDED;
                marked++;
            }
        if (marked == 0)
            return;
        size_t w = 0;
        for (size_t i = 0; i < *m; i++)
            if (out[f[i]].status == CS_FRONTIER_EFFICIENT)
                f[w++] = f[i];
        *m = w;
    }
}

/* ICERs of the efficient options and the bracketing efficient neighbours of
 * the extendedly dominated ones. */
static void finish_frontier(const struct by_cost *o, size_t n, cs_frontier_entry *out)
{
    size_t prev = CS_DECISION_NONE;
    for (size_t i = 0; i < n; i++) {
        size_t j = o[i].index;
        if (out[j].status == CS_FRONTIER_EFFICIENT) {
            out[j].by[0] = prev;
            if (prev != CS_DECISION_NONE)
                out[j].icer = (out[j].cost - out[prev].cost) / (out[j].effect - out[prev].effect);
            prev = j;
        } else if (out[j].status == CS_FRONTIER_EXTENDED) {
            out[j].by[0] = prev;
        }
    }
    size_t next = CS_DECISION_NONE;
    for (size_t i = n; i-- > 0;) {
        size_t j = o[i].index;
        if (out[j].status == CS_FRONTIER_EFFICIENT)
            next = j;
        else if (out[j].status == CS_FRONTIER_EXTENDED)
            out[j].by[1] = next;
    }
}

int cs_decision_frontier(const double *effect, const double *cost, size_t n, cs_frontier_entry *out,
                         cs_error *err)
{
    if (n == 0 || !effect || !cost || !out)
        return cs_error_set(err, CS_EINVAL, "frontier: no options given");
    for (size_t i = 0; i < n; i++)
        if (!isfinite(effect[i]) || !isfinite(cost[i]))
            return cs_error_set(err, CS_EINVAL,
                                "frontier: effect or cost of option %zu is not a finite number", i);
    struct by_cost *o = malloc(n * sizeof *o);
    size_t *f = malloc(n * sizeof *f);
    if (!o || !f) {
        free(o);
        free(f);
        return cs_error_set(err, CS_ENOMEM, "frontier: out of memory for %zu options", n);
    }
    for (size_t i = 0; i < n; i++) {
        o[i] = (struct by_cost){cost[i], effect[i], i};
        out[i] = (cs_frontier_entry){.effect = effect[i],
                                     .cost = cost[i],
                                     .status = CS_FRONTIER_EFFICIENT,
                                     .by = {CS_DECISION_NONE, CS_DECISION_NONE},
                                     .icer = NAN};
    }
    qsort(o, n, sizeof *o, cmp_by_cost);
    for (size_t i = 0; i < n; i++)
        out[o[i].index].rank_by_cost = i;
    mark_dominated(o, n, out);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (out[o[i].index].status == CS_FRONTIER_EFFICIENT)
            f[m++] = o[i].index;
    remove_extended(f, &m, out);
    finish_frontier(o, n, out);
    free(o);
    free(f);
    return CS_OK;
}

static int check_bundles(const cs_decision_bundle *b, size_t n_bundles, size_t V, cs_error *err)
{
    for (size_t i = 0; i < n_bundles; i++) {
        if (b[i].variant >= V || b[i].n_members == 0 || !b[i].members)
            return cs_error_set(err, CS_EINVAL,
                                "ranking: bundle %zu names variant %zu of %zu or has no members", i,
                                b[i].variant, V);
        for (size_t j = 0; j < b[i].n_members; j++)
            if (b[i].members[j] >= V || b[i].members[j] == b[i].variant)
                return cs_error_set(err, CS_EINVAL,
                                    "ranking: member %zu of bundle %zu (variant %zu) is out of "
                                    "range or the bundle itself",
                                    j, i, b[i].variant);
        for (size_t j = 0; j < i; j++)
            if (b[j].variant == b[i].variant)
                return cs_error_set(err, CS_EINVAL,
                                    "ranking: variant %zu is listed as a bundle twice",
                                    b[i].variant);
    }
    return CS_OK;
}

/* Competition ranks by ENB, 1 = highest. */
static void rank_rows(size_t V, cs_nb_rank_row *rows)
{
    for (size_t v = 0; v < V; v++) {
        uint32_t better = 0;
        for (size_t u = 0; u < V; u++)
            if (rows[u].enb > rows[v].enb)
                better++;
        rows[v].rank = better + 1;
    }
}

/* The increment of bundle b over its best member, paired over draws. */
static void bundle_row(const double *ebar, const double *cost, size_t D, size_t V, double lambda,
                       const cs_decision_bundle *b, double *diff, cs_nb_rank_row *rows)
{
    size_t best = b->members[0];
    for (size_t j = 1; j < b->n_members; j++) {
        size_t u = b->members[j];
        if (rows[u].enb > rows[best].enb || (rows[u].enb == rows[best].enb && u < best))
            best = u;
    }
    size_t above = 0;
    for (size_t d = 0; d < D; d++) {
        double nb_b = lambda * ebar[d * V + b->variant] - cost[d * V + b->variant];
        double nb_m = lambda * ebar[d * V + best] - cost[d * V + best];
        diff[d] = nb_b - nb_m;
        above += diff[d] > 0;
    }
    cs_nb_rank_row *r = &rows[b->variant];
    r->best_member = best;
    cs_decision_loss_moments(diff, D, &r->increment, &r->increment_se);
    r->p_increment_positive = (double)above / (double)D;
}

/* Everything of cs_decision_nb_ranking that needs the draw means. */
static int ranking_fill(const cs_decision_data *data, const double *ebar, double lambda,
                        const cs_decision_bundle *bundles, size_t n_bundles, double *work,
                        cs_nb_rank_row *rows, cs_error *err)
{
    size_t D = data->n_draws, V = data->n_variants;
    double *enb = work, *se = work + V, *mc = work + 2 * V, *pb = work + 3 * V;
    double *me = work + 4 * V, *diff = work + 5 * V;
    struct cs_decision_point pt = {.enb = enb, .enb_se = se, .mean_cost = mc, .p_best = pb};
    if (cs_decision_point(ebar, data->cost, D, V, lambda, &pt) != CS_OK)
        return cs_error_set(err, CS_ENOMEM, "ranking: out of memory");
    for (size_t v = 0; v < V; v++) {
        me[v] = 0;
        for (size_t d = 0; d < D; d++)
            me[v] += ebar[d * V + v];
        me[v] /= (double)D;
    }
    cs_frontier_entry *fr = malloc(V * sizeof *fr);
    if (!fr)
        return cs_error_set(err, CS_ENOMEM, "ranking: out of memory");
    int st = cs_decision_frontier(me, mc, V, fr, err);
    for (size_t v = 0; st == CS_OK && v < V; v++)
        rows[v] = (cs_nb_rank_row){.enb = enb[v],
                                   .enb_se = se[v],
                                   .p_best = pb[v],
                                   .status = fr[v].status,
                                   .best_member = CS_DECISION_NONE,
                                   .increment = NAN,
                                   .increment_se = NAN,
                                   .p_increment_positive = NAN};
    free(fr);
    if (st != CS_OK)
        return st;
    rank_rows(V, rows);
    for (size_t i = 0; i < n_bundles; i++)
        bundle_row(ebar, data->cost, D, V, lambda, &bundles[i], diff, rows);
    return CS_OK;
}

int cs_decision_nb_ranking(const cs_decision_data *data, double lambda,
                           const cs_decision_bundle *bundles, size_t n_bundles,
                           cs_nb_rank_row *rows, cs_error *err)
{
    int st = cs_decision_data_check(data, err);
    if (st == CS_OK)
        st = cs_decision_check_lambda(&lambda, 1, err);
    if (st == CS_OK && n_bundles > 0 && !bundles)
        st = cs_error_set(err, CS_EINVAL, "ranking: %zu bundles but no list", n_bundles);
    if (st == CS_OK)
        st = check_bundles(bundles, n_bundles, data->n_variants, err);
    if (st != CS_OK)
        return st;
    size_t D = data->n_draws, V = data->n_variants;
    double *ebar = malloc(D * V * sizeof *ebar);
    double *work = malloc((5 * V + D) * sizeof *work);
    if (!ebar || !work) {
        st = cs_error_set(err, CS_ENOMEM, "ranking: out of memory");
        goto done;
    }
    cs_decision_draw_means(data, ebar);
    st = ranking_fill(data, ebar, lambda, bundles, n_bundles, work, rows, err);
done:
    free(ebar);
    free(work);
    return st;
}

static int cmp_portfolio(const void *pa, const void *pb)
{
    const cs_portfolio *a = pa, *b = pb;
    if (a->cost != b->cost)
        return a->cost < b->cost ? -1 : 1;
    return a->members < b->members ? -1 : (a->members > b->members);
}

/* Expected cost of every subset mask of n interventions into sum[mask],
 * built from the subset without its lowest member so that every sum adds its
 * members in the same order. */
static void subset_sums(const double *c, size_t n, double *sum)
{
    sum[0] = 0;
    for (uint32_t mask = 1; mask < (1u << n); mask++) {
        uint32_t low = mask & (~mask + 1u);
        size_t i = (size_t)__builtin_ctz(mask);
        sum[mask] = sum[mask ^ low] + c[i];
    }
}

static int check_portfolio_args(const double *cost, size_t n, size_t n_draws, double budget,
                                cs_error *err)
{
    if (n > CS_DECISION_PORTFOLIO_MAX)
        return cs_error_set(err, CS_ELIMIT,
                            "portfolios: %zu interventions give %.0f combinations; at most %d "
                            "interventions (%u combinations) can be combined and simulated",
                            n, ldexp(1.0, n > 1000 ? 1000 : (int)n), CS_DECISION_PORTFOLIO_MAX,
                            1u << CS_DECISION_PORTFOLIO_MAX);
    if (n_draws == 0 || (n > 0 && !cost))
        return cs_error_set(err, CS_EINVAL, "portfolios: no costs given");
    if (!isfinite(budget))
        return cs_error_set(err, CS_EINVAL, "portfolios: the budget is not a finite number");
    for (size_t i = 0; i < n * n_draws; i++)
        if (!isfinite(cost[i]))
            return cs_error_set(err, CS_EINVAL,
                                "portfolios: cost of intervention %zu in draw %zu is not a "
                                "finite number",
                                i % n, i / n);
    return CS_OK;
}

/* Counts, for every mask, the draws whose summed cost exceeds the budget. */
static void count_over(const double *cost, size_t n, size_t D, double budget, double *sum,
                       uint32_t *over)
{
    size_t n_sets = (size_t)1 << n;
    memset(over, 0, n_sets * sizeof *over);
    for (size_t d = 0; d < D; d++) {
        subset_sums(cost + d * n, n, sum);
        for (size_t mask = 0; mask < n_sets; mask++)
            over[mask] += sum[mask] > budget;
    }
}

int cs_decision_portfolios(const double *cost, size_t n, size_t n_draws, double budget,
                           cs_portfolio **out, size_t *n_out, cs_error *err)
{
    *out = NULL;
    *n_out = 0;
    int st = check_portfolio_args(cost, n, n_draws, budget, err);
    if (st != CS_OK)
        return st;
    size_t n_sets = (size_t)1 << n;
    double *mean = calloc(n ? n : 1, sizeof *mean);
    double *sum = malloc(n_sets * sizeof *sum);
    uint32_t *over = malloc(n_sets * sizeof *over);
    cs_portfolio *p = malloc(n_sets * sizeof *p);
    if (!mean || !sum || !over || !p) {
        free(p);
        st = cs_error_set(err, CS_ENOMEM, "portfolios: out of memory");
        goto done;
    }
    for (size_t d = 0; d < n_draws; d++)
        for (size_t i = 0; i < n; i++)
            mean[i] += cost[d * n + i] / (double)n_draws;
    count_over(cost, n, n_draws, budget, sum, over);
    subset_sums(mean, n, sum);
    size_t m = 0;
    for (size_t mask = 0; mask < n_sets; mask++)
        if (sum[mask] <= budget)
            p[m++] = (cs_portfolio){(uint32_t)mask, sum[mask], (double)over[mask] / n_draws};
    qsort(p, m, sizeof *p, cmp_portfolio);
    *out = p;
    *n_out = m;
done:
    free(mean);
    free(sum);
    free(over);
    return st;
}
