/* decision.c — net benefit over draws: acceptability curves, rank
 * probabilities, EVPI with its noise bound, and the variance split (methods
 * in include/casesim/decision.h). */
#include "casesim/decision.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decision_internal.h"

int cs_decision_data_check(const cs_decision_data *data, cs_error *err)
{
    if (!data || !data->effect || !data->cost)
        return cs_error_set(err, CS_EINVAL, "decision: no effects or costs given");
    size_t D = data->n_draws, k = data->n_reps, V = data->n_variants;
    if (D == 0 || k == 0 || V == 0)
        return cs_error_set(err, CS_EINVAL,
                            "decision: needs at least one draw, replicate and variant "
                            "(%zu draws, %zu replicates, %zu variants)",
                            D, k, V);
    if (k > SIZE_MAX / D || V > SIZE_MAX / (D * k) / sizeof(double))
        return cs_error_set(err, CS_ELIMIT, "decision: %zu x %zu x %zu values overflow", D, k, V);
    for (size_t i = 0; i < D * k * V; i++)
        if (!isfinite(data->effect[i]))
            return cs_error_set(err, CS_EINVAL,
                                "decision: effect of variant %zu in draw %zu, replicate %zu is "
                                "not a finite number",
                                i % V, i / V / k, i / V % k);
    for (size_t i = 0; i < D * V; i++)
        if (!isfinite(data->cost[i]))
            return cs_error_set(err, CS_EINVAL,
                                "decision: cost of variant %zu in draw %zu is not a finite number",
                                i % V, i / V);
    return CS_OK;
}

void cs_decision_draw_means(const cs_decision_data *data, double *ebar)
{
    size_t D = data->n_draws, k = data->n_reps, V = data->n_variants;
    for (size_t d = 0; d < D; d++)
        for (size_t v = 0; v < V; v++) {
            double s = 0;
            for (size_t r = 0; r < k; r++)
                s += data->effect[(d * k + r) * V + v];
            ebar[d * V + v] = s / (double)k;
        }
}

int cs_decision_check_lambda(const double *lambda, size_t n_lambda, cs_error *err)
{
    if (n_lambda == 0 || !lambda)
        return cs_error_set(err, CS_EINVAL, "decision: no willingness-to-pay values given");
    for (size_t l = 0; l < n_lambda; l++)
        if (!isfinite(lambda[l]))
            return cs_error_set(err, CS_EINVAL,
                                "decision: willingness to pay %zu is not a finite number", l);
    return CS_OK;
}

size_t cs_decision_best_of_means(const double *enb, const double *mean_cost, size_t V)
{
    size_t best = 0;
    for (size_t v = 1; v < V; v++) {
        /* Ties in ENB go to the cheaper variant, then to the lower index. */
        if (enb[v] > enb[best] || (enb[v] == enb[best] && mean_cost[v] < mean_cost[best]))
            best = v;
    }
    return best;
}

void cs_decision_nb_moments(const double *ebar, const double *cost, size_t D, size_t V,
                            double lambda, double *enb, double *enb_se, double *mean_cost)
{
    for (size_t v = 0; v < V; v++) {
        double se = 0, sc = 0;
        for (size_t d = 0; d < D; d++) {
            se += ebar[d * V + v];
            sc += cost[d * V + v];
        }
        mean_cost[v] = sc / (double)D;
        enb[v] = lambda * (se / (double)D) - mean_cost[v];
        /* Second pass about the mean: no cancellation of large squares. */
        double ss = 0;
        for (size_t d = 0; d < D; d++) {
            double dev = lambda * ebar[d * V + v] - cost[d * V + v] - enb[v];
            ss += dev * dev;
        }
        enb_se[v] = D > 1 ? sqrt(ss / (double)(D - 1) / (double)D) : NAN;
    }
}

void cs_decision_loss_moments(const double *loss, size_t D, double *mean, double *se)
{
    double s = 0;
    for (size_t d = 0; d < D; d++)
        s += loss[d];
    *mean = s / (double)D;
    double ss = 0;
    for (size_t d = 0; d < D; d++)
        ss += (loss[d] - *mean) * (loss[d] - *mean);
    *se = D > 1 ? sqrt(ss / (double)(D - 1) / (double)D) : NAN;
}

/* Sorts the V indices in idx by nb descending (insertion sort: V is small
 * whenever ranks are wanted). */
static void sort_desc(const double *nb, size_t V, size_t *idx)
{
    for (size_t i = 0; i < V; i++) {
        size_t x = idx[i], j = i;
        while (j > 0 && nb[idx[j - 1]] < nb[x]) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = x;
    }
}

/* Adds one draw's ranks to p_rank[v * V + r]: a tie of m variants over ranks
 * a..a+m-1 gives each 1/m of each of those ranks. */
static void credit_ranks(const double *nb, size_t V, size_t *idx, double *p_rank)
{
    for (size_t v = 0; v < V; v++)
        idx[v] = v;
    sort_desc(nb, V, idx);
    for (size_t a = 0; a < V;) {
        size_t b = a + 1;
        while (b < V && nb[idx[b]] == nb[idx[a]])
            b++;
        double share = 1.0 / (double)(b - a);
        for (size_t i = a; i < b; i++)
            for (size_t r = a; r < b; r++)
                p_rank[idx[i] * V + r] += share;
        a = b;
    }
}

/* Adds one draw's credit for being best to p_best (ties split) and returns
 * the draw's maximum NB. */
static double credit_best(const double *nb, size_t V, double *p_best)
{
    double top = nb[0];
    size_t m = 1;
    for (size_t v = 1; v < V; v++) {
        if (nb[v] > top) {
            top = nb[v];
            m = 1;
        } else if (nb[v] == top) {
            m++;
        }
    }
    for (size_t v = 0; v < V; v++)
        if (nb[v] == top)
            p_best[v] += 1.0 / (double)m;
    return top;
}

int cs_decision_point(const double *ebar, const double *cost, size_t D, size_t V, double lambda,
                      struct cs_decision_point *pt)
{
    double *nb = calloc(V, sizeof *nb); /* zeroed: V >= 1 is not visible to the compiler */
    size_t *idx = pt->p_rank ? malloc(V * sizeof *idx) : NULL;
    double *loss = malloc(D * sizeof *loss);
    if (!nb || !loss || (pt->p_rank && !idx)) {
        free(nb);
        free(idx);
        free(loss);
        return CS_ENOMEM;
    }
    cs_decision_nb_moments(ebar, cost, D, V, lambda, pt->enb, pt->enb_se, pt->mean_cost);
    pt->best = cs_decision_best_of_means(pt->enb, pt->mean_cost, V);
    memset(pt->p_best, 0, V * sizeof *pt->p_best);
    if (pt->p_rank)
        memset(pt->p_rank, 0, V * V * sizeof *pt->p_rank);
    for (size_t d = 0; d < D; d++) {
        for (size_t v = 0; v < V; v++)
            nb[v] = lambda * ebar[d * V + v] - cost[d * V + v];
        loss[d] = credit_best(nb, V, pt->p_best) - nb[pt->best];
        if (pt->p_rank)
            credit_ranks(nb, V, idx, pt->p_rank);
    }
    for (size_t v = 0; v < V; v++)
        pt->p_best[v] /= (double)D;
    if (pt->p_rank)
        for (size_t i = 0; i < V * V; i++)
            pt->p_rank[i] /= (double)D;
    cs_decision_loss_moments(loss, D, &pt->evpi, &pt->evpi_se);
    free(nb);
    free(idx);
    free(loss);
    return CS_OK;
}

/* s_v = sd of the within-draw noise of the draw mean of e_v - e_0, pooled
 * over draws (NaN when k = 1), into s[0..V). */
static void noise_sd(const cs_decision_data *data, double *s)
{
    size_t D = data->n_draws, k = data->n_reps, V = data->n_variants;
    for (size_t v = 0; v < V; v++) {
        if (k < 2) {
            s[v] = NAN;
            continue;
        }
        double ss = 0;
        for (size_t d = 0; d < D; d++) {
            const double *e = data->effect + d * k * V;
            double m = 0;
            for (size_t r = 0; r < k; r++)
                m += e[r * V + v] - e[r * V];
            m /= (double)k;
            for (size_t r = 0; r < k; r++) {
                double dev = e[r * V + v] - e[r * V] - m;
                ss += dev * dev;
            }
        }
        s[v] = sqrt(ss / (double)(D * (k - 1)) / (double)k);
    }
}

/* The Gaussian bound on the noise bias of EVPI at lambda (header, 1.). */
static double noise_bound(const double *s, size_t V, double lambda)
{
    if (isnan(s[0]))
        return NAN;
    double sum = 0, top = 0;
    for (size_t v = 1; v < V; v++) {
        sum += s[v];
        top = fmax(top, s[v]);
    }
    double b1 = sum * 0.3989422804014327; /* 1 / sqrt(2 pi) */
    double b2 = V > 1 ? top * sqrt(2 * log((double)V)) : 0;
    return fabs(lambda) * fmin(b1, b2);
}

void cs_decision_curves_free(cs_decision_curves *c)
{
    if (!c)
        return;
    free(c->lambda);
    free(c->enb);
    free(c->enb_se);
    free(c->p_best);
    free(c->p_best_se);
    free(c->p_rank);
    free(c->best);
    free(c->evpi);
    free(c->evpi_se);
    free(c->evpi_horizon);
    free(c->evpi_horizon_se);
    free(c->evpi_noise_bound);
    free(c);
}

static cs_decision_curves *curves_alloc(size_t L, size_t V)
{
    cs_decision_curves *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->n_lambda = L;
    c->n_variants = V;
    c->lambda = malloc(L * sizeof *c->lambda);
    c->enb = malloc(L * V * sizeof *c->enb);
    c->enb_se = malloc(L * V * sizeof *c->enb_se);
    c->p_best = malloc(L * V * sizeof *c->p_best);
    c->p_best_se = malloc(L * V * sizeof *c->p_best_se);
    if (V <= CS_DECISION_RANK_MAX)
        c->p_rank = malloc(L * V * V * sizeof *c->p_rank);
    c->best = malloc(L * sizeof *c->best);
    c->evpi = malloc(L * sizeof *c->evpi);
    c->evpi_se = malloc(L * sizeof *c->evpi_se);
    c->evpi_horizon = malloc(L * sizeof *c->evpi_horizon);
    c->evpi_horizon_se = malloc(L * sizeof *c->evpi_horizon_se);
    c->evpi_noise_bound = malloc(L * sizeof *c->evpi_noise_bound);
    if (!c->lambda || !c->enb || !c->enb_se || !c->p_best || !c->p_best_se ||
        (V <= CS_DECISION_RANK_MAX && !c->p_rank) || !c->best || !c->evpi || !c->evpi_se ||
        !c->evpi_horizon || !c->evpi_horizon_se || !c->evpi_noise_bound) {
        cs_decision_curves_free(c);
        return NULL;
    }
    return c;
}

static int curves_check(const cs_decision_data *data, const double *lambda, size_t n_lambda,
                        double population_years, cs_error *err)
{
    int st = cs_decision_data_check(data, err);
    if (st == CS_OK)
        st = cs_decision_check_lambda(lambda, n_lambda, err);
    if (st != CS_OK)
        return st;
    if (!(isfinite(population_years) && population_years >= 0))
        return cs_error_set(err, CS_EINVAL,
                            "decision: population_years must be a finite number >= 0, not %g",
                            population_years);
    size_t V = data->n_variants;
    if (V > UINT32_MAX || n_lambda > SIZE_MAX / V / CS_DECISION_RANK_MAX / sizeof(double))
        return cs_error_set(err, CS_ELIMIT,
                            "decision: %zu variants over %zu willingness-to-pay values are too "
                            "many",
                            V, n_lambda);
    return CS_OK;
}

int cs_decision_curves_compute(const cs_decision_data *data, const double *lambda, size_t n_lambda,
                               double population_years, cs_decision_curves **out, cs_error *err)
{
    *out = NULL;
    int st = curves_check(data, lambda, n_lambda, population_years, err);
    if (st != CS_OK)
        return st;
    size_t D = data->n_draws, V = data->n_variants, L = n_lambda;
    cs_decision_curves *c = curves_alloc(L, V);
    double *ebar = malloc(D * V * sizeof *ebar);
    double *s = malloc(V * sizeof *s);
    double *mean_cost = malloc(V * sizeof *mean_cost);
    if (!c || !ebar || !s || !mean_cost)
        goto nomem;
    c->n_draws = D;
    c->n_reps = data->n_reps;
    c->population_years = population_years;
    cs_decision_draw_means(data, ebar);
    noise_sd(data, s);
    for (size_t l = 0; l < L; l++) {
        struct cs_decision_point pt = {.enb = c->enb + l * V,
                                       .enb_se = c->enb_se + l * V,
                                       .mean_cost = mean_cost,
                                       .p_best = c->p_best + l * V,
                                       .p_rank = c->p_rank ? c->p_rank + l * V * V : NULL};
        c->lambda[l] = lambda[l];
        if (cs_decision_point(ebar, data->cost, D, V, lambda[l], &pt) != CS_OK)
            goto nomem;
        c->best[l] = (uint32_t)pt.best;
        for (size_t v = 0; v < V; v++) {
            double p = pt.p_best[v];
            c->p_best_se[l * V + v] = sqrt(p * (1 - p) / (double)D);
        }
        c->evpi[l] = pt.evpi;
        c->evpi_se[l] = pt.evpi_se;
        c->evpi_horizon[l] = pt.evpi * population_years;
        c->evpi_horizon_se[l] = pt.evpi_se * population_years;
        c->evpi_noise_bound[l] = noise_bound(s, V, lambda[l]);
    }
    free(ebar);
    free(s);
    free(mean_cost);
    *out = c;
    return CS_OK;
nomem:
    cs_decision_curves_free(c);
    free(ebar);
    free(s);
    free(mean_cost);
    return cs_error_set(err, CS_ENOMEM, "decision: out of memory for the curves");
}

static void split_nan(cs_variance_split *o, size_t D, size_t k)
{
    *o = (cs_variance_split){.n_draws = D,
                             .n_reps = k,
                             .mean = NAN,
                             .total = NAN,
                             .within = NAN,
                             .between = NAN,
                             .parameter_raw = NAN,
                             .parameter = NAN,
                             .clamped = 0,
                             .noise_share = NAN,
                             .within_se = NAN,
                             .parameter_se = NAN};
}

/* Fills the derived fields of o from within, between and total. */
static void split_finish(cs_variance_split *o)
{
    double D = (double)o->n_draws, k = (double)o->n_reps;
    o->parameter_raw = o->between - o->within / k;
    o->clamped = o->parameter_raw < 0;
    o->parameter = o->clamped ? 0 : o->parameter_raw;
    double one = o->within + o->parameter;
    o->noise_share = one > 0 ? o->within / one : NAN;
    /* Normal theory: a mean square on f degrees of freedom has variance
     * 2 E[MS]^2 / f; the estimates replace the expectations. */
    o->within_se = o->within * sqrt(2 / (D * (k - 1)));
    o->parameter_se = sqrt(2 * o->between * o->between / (D - 1) +
                           2 * o->within * o->within / (k * k * D * (k - 1)));
}

int cs_decision_variance_split(const double *x, size_t n_draws, size_t n_reps, size_t stride,
                               cs_variance_split *out, cs_error *err)
{
    size_t D = n_draws, k = n_reps;
    split_nan(out, D, k);
    if (!x || D < 2 || k < 2 || stride == 0)
        return cs_error_set(err, CS_EINVAL,
                            "variance split: needs at least 2 draws with 2 replicates each "
                            "(%zu draws, %zu replicates)",
                            D, k);
    double sum = 0;
    for (size_t i = 0; i < D * k; i++) {
        if (!isfinite(x[i * stride]))
            return cs_error_set(err, CS_EINVAL,
                                "variance split: value of draw %zu, replicate %zu is not finite",
                                i / k, i % k);
        sum += x[i * stride];
    }
    double mean = sum / (double)(D * k), ss_w = 0, ss_b = 0, ss_t = 0;
    for (size_t d = 0; d < D; d++) {
        double m = 0;
        for (size_t r = 0; r < k; r++)
            m += x[(d * k + r) * stride];
        m /= (double)k;
        ss_b += (m - mean) * (m - mean);
        for (size_t r = 0; r < k; r++) {
            double v = x[(d * k + r) * stride];
            ss_w += (v - m) * (v - m);
            ss_t += (v - mean) * (v - mean);
        }
    }
    out->mean = mean;
    out->total = ss_t / (double)(D * k - 1);
    out->within = ss_w / (double)(D * (k - 1));
    out->between = ss_b / (double)(D - 1);
    split_finish(out);
    return CS_OK;
}
