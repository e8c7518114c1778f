/* test_decision.c — acceptability curves, rank probabilities, EVPI, the
 * frontier, the variance split, net-benefit rankings and portfolios, against
 * closed forms and cases worked by hand.
 *
 * Statistical tolerances are derived from standard errors and say so; every
 * known-answer check is paired with a wrong answer the same test would
 * reject, so that none of them can pass vacuously. Data come from keyed
 * streams with fixed seeds: every run sees the same numbers. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "casesim/decision.h"

/* pi, not in strict C17's math.h. */
#define PI 3.14159265358979323846

/* A standard normal from a keyed stream (inverse CDF). */
static double normal(cs_pcg32 *g)
{
    return gsl_cdf_ugaussian_Pinv(cs_pcg32_uniform_pos(g));
}

static cs_pcg32 stream(uint64_t seed)
{
    cs_stream_key key = {.seed = seed, .purpose = CS_STREAM_ANALYSIS};
    cs_pcg32 g;
    cs_pcg32_from_key(&g, &key);
    return g;
}

/* EVPI of two options whose incremental net benefit is N(mu, sigma^2):
 * sigma [phi(z) - z (1 - Phi(z))], z = |mu| / sigma (the unit normal loss
 * integral). */
static double evpi_normal(double mu, double sigma)
{
    double z = fabs(mu) / sigma;
    return sigma * (exp(-z * z / 2) / sqrt(2 * PI) - z * gsl_cdf_ugaussian_Q(z));
}

/* D draws, 2 variants: the baseline (0, 0) and a variant with effect
 * mu + sigma Z and cost 0, so that at lambda = 1 INB = mu + sigma Z. */
static void two_options(double mu, double sigma, size_t D, uint64_t seed, double *e, double *c)
{
    cs_pcg32 g = stream(seed);
    for (size_t d = 0; d < D; d++) {
        e[2 * d] = 0;
        e[2 * d + 1] = mu + sigma * normal(&g);
        c[2 * d] = c[2 * d + 1] = 0;
    }
}

static cs_decision_curves *curves_at(const cs_decision_data *data, double lambda)
{
    cs_decision_curves *cv = NULL;
    cs_error err;
    cs_error_clear(&err);
    ck_assert_msg(cs_decision_curves_compute(data, &lambda, 1, 10, &cv, &err) == CS_OK, "%s",
                  err.text);
    return cv;
}

/* The closed forms of the task: mu = 0, sigma = 1 -> 0.39894; mu = 1,
 * sigma = 2 -> 0.39559. D = 2 10^5 draws; tolerance 4 reported SE (a
 * two-sided false alarm of 6e-5 for a normal estimate) plus, for mu = 0, the
 * known downward bias of choosing the best variant on the same draws,
 * E[(mean INB)^+] = sigma / sqrt(2 pi D). */
START_TEST(evpi_two_normal_options)
{
    enum { D = 200000 };
    const double mu[2] = {0, 1}, sigma[2] = {1, 2}, expect[2] = {0.39894, 0.39559};
    double *e = malloc(2 * D * sizeof *e), *c = malloc(2 * D * sizeof *c);
    for (int i = 0; i < 2; i++) {
        two_options(mu[i], sigma[i], D, 11 + i, e, c);
        cs_decision_data data = {D, 1, 2, e, c};
        cs_decision_curves *cv = curves_at(&data, 1.0);
        double exact = evpi_normal(mu[i], sigma[i]);
        ck_assert_double_eq_tol(exact, expect[i], 5e-6); /* the formula itself */
        double tol = 4 * cv->evpi_se[0] + (mu[i] == 0 ? sigma[i] / sqrt(2 * PI * D) : 0);
        ck_assert_double_eq_tol(cv->evpi[0], exact, tol);
        /* Power: a 5% error in sigma would be caught. */
        ck_assert(fabs(cv->evpi[0] - evpi_normal(mu[i], 1.05 * sigma[i])) > tol);
        /* Over the horizon: times population_years (10 here). */
        ck_assert_double_eq_tol(cv->evpi_horizon[0], 10 * cv->evpi[0], 1e-12);
        ck_assert_double_eq_tol(cv->evpi_horizon_se[0], 10 * cv->evpi_se[0], 1e-12);
        ck_assert(isnan(cv->evpi_noise_bound[0])); /* k = 1: not separable */
        cs_decision_curves_free(cv);
    }
    free(e);
    free(c);
}
END_TEST

/* The reported SE of EVPI is the spread of the estimate: over R = 400
 * independent data sets of D = 400 draws (mu = 1, sigma = 2) the sample sd
 * of the estimates is compared with the mean reported SE. The sample sd of
 * R normal values has relative SE 1 / sqrt(2 (R - 1)) = 0.035, so a ratio
 * outside 1 +- 0.15 (about 4 SE) fails. */
START_TEST(evpi_se_is_calibrated)
{
    enum { D = 400, R = 400 };
    double e[2 * D], c[2 * D], s1 = 0, s2 = 0, se = 0;
    for (int r = 0; r < R; r++) {
        two_options(1, 2, D, 1000 + (uint64_t)r, e, c);
        cs_decision_data data = {D, 1, 2, e, c};
        cs_decision_curves *cv = curves_at(&data, 1.0);
        s1 += cv->evpi[0];
        s2 += cv->evpi[0] * cv->evpi[0];
        se += cv->evpi_se[0];
        cs_decision_curves_free(cv);
    }
    double mean = s1 / R, sd = sqrt((s2 - R * mean * mean) / (R - 1));
    ck_assert_double_eq_tol(sd / (se / R), 1.0, 0.15);
    /* And the estimates centre on the closed form: 4 SE of their mean. */
    ck_assert_double_eq_tol(mean, evpi_normal(1, 2), 4 * sd / sqrt(R));
}
END_TEST

/* Three variants, known costs 0, 1, 2 and effects 0, N(1, 1), N(2, 1). */
static void three_variants(size_t D, double *e, double *c)
{
    cs_pcg32 g = stream(21);
    for (size_t d = 0; d < D; d++) {
        e[3 * d] = 0;
        e[3 * d + 1] = 1 + normal(&g);
        e[3 * d + 2] = 2 + normal(&g);
        c[3 * d] = 0;
        c[3 * d + 1] = 1;
        c[3 * d + 2] = 2;
    }
}

/* Every row (variant) and every column (rank) of each V x V table sums to 1;
 * column 0 is p_best. */
static void check_doubly_stochastic(const cs_decision_curves *cv)
{
    size_t V = cv->n_variants;
    for (size_t l = 0; l < cv->n_lambda; l++) {
        const double *p = cv->p_rank + l * V * V;
        double total = 0;
        for (size_t v = 0; v < V; v++) {
            double row = 0, col = 0;
            for (size_t r = 0; r < V; r++) {
                row += p[v * V + r];
                col += p[r * V + v];
            }
            ck_assert_double_eq_tol(row, 1, 1e-12);
            ck_assert_double_eq_tol(col, 1, 1e-12);
            ck_assert_double_eq_tol(p[v * V], cv->p_best[l * V + v], 1e-12);
            total += cv->p_best[l * V + v];
        }
        ck_assert_double_eq_tol(total, 1, 1e-12);
    }
}

/* At lambda = 0 NB = -cost: the cheapest variant is best in every draw. As
 * lambda grows the most effective takes over: at lambda = 1e9 a variant is
 * best exactly in the draws where its effect is the largest (the costs no
 * longer matter), and the frontier variant is the one of highest mean
 * effect. */
START_TEST(ceac_limits_and_rank_tables)
{
    enum { D = 1000 };
    double e[3 * D], c[3 * D], lambda[3] = {0, 1.5, 1e9};
    three_variants(D, e, c);
    cs_decision_data data = {D, 1, 3, e, c};
    cs_decision_curves *cv = NULL;
    ck_assert_int_eq(cs_decision_curves_compute(&data, lambda, 3, 1, &cv, NULL), CS_OK);
    ck_assert_double_eq(cv->p_best[0], 1);
    ck_assert_double_eq(cv->p_best[1], 0);
    ck_assert_uint_eq(cv->best[0], 0);
    double count[3] = {0};
    for (size_t d = 0; d < D; d++) {
        size_t top = 0;
        for (size_t v = 1; v < 3; v++)
            if (e[3 * d + v] > e[3 * d + top])
                top = v;
        count[top] += 1.0 / D;
    }
    for (size_t v = 0; v < 3; v++)
        ck_assert_double_eq_tol(cv->p_best[2 * 3 + v], count[v], 1e-12);
    ck_assert_uint_eq(cv->best[2], 2);
    ck_assert_double_eq_tol(cv->p_best_se[2 * 3 + 2], sqrt(count[2] * (1 - count[2]) / D), 1e-12);
    check_doubly_stochastic(cv);
    /* ENB is lambda mean(e) - mean(c), exactly. */
    double me = 0;
    for (size_t d = 0; d < D; d++)
        me += e[3 * d + 2] / D;
    ck_assert_double_eq_tol(cv->enb[1 * 3 + 2], 1.5 * me - 2, 1e-12);
    cs_decision_curves_free(cv);
}
END_TEST

/* Ties split equally: variant 3 is a copy of variant 1, and at lambda = 0
 * variants 0 and 4 cost nothing. */
START_TEST(ties_split_equally)
{
    enum { D = 500, V = 5 };
    double e[V * D], c[V * D], lambda[2] = {0, 2};
    cs_pcg32 g = stream(31);
    for (size_t d = 0; d < D; d++) {
        double x = normal(&g), y = normal(&g), z = normal(&g);
        double row_e[V] = {0, 1 + x, 1.2 + y, 1 + x, 0.5 + z};
        double row_c[V] = {0, 1, 1, 1, 0};
        memcpy(e + V * d, row_e, sizeof row_e);
        memcpy(c + V * d, row_c, sizeof row_c);
    }
    cs_decision_data data = {D, 1, V, e, c};
    cs_decision_curves *cv = NULL;
    ck_assert_int_eq(cs_decision_curves_compute(&data, lambda, 2, 1, &cv, NULL), CS_OK);
    ck_assert_double_eq(cv->p_best[0], 0.5);
    ck_assert_double_eq(cv->p_best[4], 0.5);
    ck_assert_double_eq_tol(cv->p_best[V + 1], cv->p_best[V + 3], 1e-15);
    ck_assert(cv->p_best[V + 1] > 0);
    /* The tied pair shares ranks: at lambda = 0 variants 1-3 all cost 1 and
     * tie over ranks 3..5, a third each. */
    for (size_t v = 1; v <= 3; v++)
        for (size_t r = 2; r < 5; r++)
            ck_assert_double_eq_tol(cv->p_rank[v * V + r], 1.0 / 3, 1e-12);
    check_doubly_stochastic(cv);
    cs_decision_curves_free(cv);
}
END_TEST

/* With k replicates the draw means carry noise of variance sigma_w^2 / k,
 * which raises EVPI. Draws: INB_d ~ N(0, 1) (mu = 0: the largest effect of
 * noise), replicates INB_d + 2 eps (sigma_w = 2), k = 4. The reported bound
 * is lambda min(s / sqrt(2 pi), s sqrt(2 ln 2)) with s = sd_w / sqrt(k)
 * estimated by pooling, which the test recomputes; the real excess of the
 * noisy EVPI over the noise-free one (same draws) must lie below it, within
 * 4 SE of their paired difference. */
START_TEST(noise_bound_covers_noise_bias)
{
    enum { D = 20000, K = 4 };
    double *e = malloc(2 * K * D * sizeof *e), *e1 = malloc(2 * D * sizeof *e1);
    double *c = calloc(2 * D, sizeof *c), ss = 0;
    cs_pcg32 g = stream(41);
    for (size_t d = 0; d < D; d++) {
        double inb = normal(&g), m = 0;
        e1[2 * d] = 0;
        e1[2 * d + 1] = inb;
        for (size_t r = 0; r < K; r++) {
            e[(d * K + r) * 2] = 0;
            e[(d * K + r) * 2 + 1] = inb + 2 * normal(&g);
            m += e[(d * K + r) * 2 + 1] / K;
        }
        for (size_t r = 0; r < K; r++)
            ss += pow(e[(d * K + r) * 2 + 1] - m, 2);
    }
    cs_decision_data noisy = {D, K, 2, e, c}, clean = {D, 1, 2, e1, c};
    cs_decision_curves *a = curves_at(&noisy, 1), *b = curves_at(&clean, 1);
    double s = sqrt(ss / (D * (K - 1)) / K);
    double bound = fmin(s / sqrt(2 * PI), s * sqrt(2 * log(2.0)));
    ck_assert_double_eq_tol(a->evpi_noise_bound[0], bound, 1e-12);
    /* The noise does inflate EVPI, by more than 4 SE (hypot ignores the
     * positive correlation of the pair, so it overstates the SE): a bound of
     * 0 would fail. Expected excess: E[(X + e)^+] - E[X^+] with X ~ N(0, 1),
     * e ~ N(0, 1) = (sqrt 2 - 1) / sqrt(2 pi) = 0.165; bound 0.399. */
    double excess = a->evpi[0] - b->evpi[0], se = hypot(a->evpi_se[0], b->evpi_se[0]);
    ck_assert(excess > 4 * se);
    ck_assert(excess <= bound + 4 * se);
    ck_assert_double_eq_tol(excess, (sqrt(2) - 1) / sqrt(2 * PI), 4 * se);
    cs_decision_curves_free(a);
    cs_decision_curves_free(b);
    free(e);
    free(e1);
    free(c);
}
END_TEST

/* Curves are a pure function of the data: computing twice gives the same
 * bytes, and no option of the data (a grid in any order) changes a value. */
START_TEST(curves_deterministic)
{
    enum { D = 300 };
    double e[3 * D], c[3 * D], l1[3] = {0, 1, 5}, l2[3] = {5, 0, 1};
    three_variants(D, e, c);
    cs_decision_data data = {D, 1, 3, e, c};
    cs_decision_curves *a = NULL, *b = NULL;
    ck_assert_int_eq(cs_decision_curves_compute(&data, l1, 3, 2, &a, NULL), CS_OK);
    ck_assert_int_eq(cs_decision_curves_compute(&data, l2, 3, 2, &b, NULL), CS_OK);
    ck_assert_mem_eq(a->evpi, b->evpi + 1, 2 * sizeof *a->evpi);
    ck_assert_mem_eq(a->p_rank, b->p_rank + 9, 2 * 9 * sizeof *a->p_rank);
    ck_assert_double_eq(a->evpi[2], b->evpi[0]);
    cs_decision_curves_free(a);
    cs_decision_curves_free(b);
}
END_TEST

START_TEST(curves_refuse_bad_input)
{
    double e[4] = {0, 1, 0, NAN}, c[4] = {0, 0, 0, 0}, lambda = 1, bad = INFINITY;
    cs_decision_data data = {2, 1, 2, e, c};
    cs_decision_curves *cv = (cs_decision_curves *)&data; /* set to NULL on error */
    cs_error err;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_decision_curves_compute(&data, &lambda, 1, 1, &cv, &err), CS_EINVAL);
    ck_assert_ptr_null(cv);
    ck_assert_ptr_nonnull(strstr(err.text, "variant 1 in draw 1"));
    e[3] = 1;
    ck_assert_int_eq(cs_decision_curves_compute(&data, &bad, 1, 1, &cv, &err), CS_EINVAL);
    ck_assert_int_eq(cs_decision_curves_compute(&data, &lambda, 0, 1, &cv, &err), CS_EINVAL);
    ck_assert_int_eq(cs_decision_curves_compute(&data, &lambda, 1, -1, &cv, &err), CS_EINVAL);
    data.n_draws = 0;
    ck_assert_int_eq(cs_decision_curves_compute(&data, &lambda, 1, 1, &cv, &err), CS_EINVAL);
    data.n_draws = 2;
    ck_assert_int_eq(cs_decision_curves_compute(&data, &lambda, 1, 1, &cv, &err), CS_OK);
    ck_assert(isnan(cv->evpi_noise_bound[0]));
    cs_decision_curves_free(cv);
    cs_decision_curves_free(NULL);
}
END_TEST

/* Beyond CS_DECISION_RANK_MAX variants (portfolios) the rank table is left
 * out; everything else is computed. */
START_TEST(many_variants_without_rank_table)
{
    enum { D = 20, V = CS_DECISION_RANK_MAX + 1 };
    double *e = malloc(D * V * sizeof *e), *c = malloc(D * V * sizeof *c);
    for (size_t i = 0; i < D * V; i++) {
        e[i] = (double)(i % V);
        c[i] = 0;
    }
    cs_decision_data data = {D, 1, V, e, c};
    cs_decision_curves *cv = curves_at(&data, 1);
    ck_assert_ptr_null(cv->p_rank);
    ck_assert_uint_eq(cv->best[0], V - 1);
    ck_assert_double_eq(cv->p_best[V - 1], 1);
    cs_decision_curves_free(cv);
    free(e);
    free(c);
}
END_TEST

/* A textbook case worked by hand (costs, QALY-like effects):
 *   option:  0     1      2     3      4      5     6      7
 *   cost:    0     5777   3200  12571  12706  3000  10000  11000
 *   effect:  4.21  4.433  4.62  6.825  4.826  5.5   7.7    12
 * Sorted by cost: 0, 5, 2, 1, 6, 7, 3, 4. Running maximum of effect: 2
 * (4.62 <= 5.5), 1 (4.433), 3 (6.825 <= 12) and 4 (4.826) are dominated;
 * 2 and 1 by option 5 (effect 5.5), 3 and 4 by option 7 (effect 12).
 * Efficient so far: 0, 5, 6, 7 with ICERs 3000/1.29 = 2325.58,
 * 7000/2.2 = 3181.82 and 1000/4.3 = 232.56: 6 has a higher ICER than 7 and
 * is extendedly dominated. Then 0, 5, 7: 2325.58 and 8000/6.5 = 1230.77, so
 * 5 goes too. Frontier: 0 -> 7 with ICER 11000 / 7.79 = 1412.07. */
START_TEST(frontier_textbook)
{
    const double cost[8] = {0, 5777, 3200, 12571, 12706, 3000, 10000, 11000};
    const double eff[8] = {4.21, 4.433, 4.62, 6.825, 4.826, 5.5, 7.7, 12};
    const cs_frontier_status want[8] = {
        CS_FRONTIER_EFFICIENT, CS_FRONTIER_DOMINATED, CS_FRONTIER_DOMINATED, CS_FRONTIER_DOMINATED,
        CS_FRONTIER_DOMINATED, CS_FRONTIER_EXTENDED,  CS_FRONTIER_EXTENDED,  CS_FRONTIER_EFFICIENT};
    cs_frontier_entry f[8];
    ck_assert_int_eq(cs_decision_frontier(eff, cost, 8, f, NULL), CS_OK);
    for (int i = 0; i < 8; i++)
        ck_assert_msg(f[i].status == want[i], "option %d: status %d", i, f[i].status);
    ck_assert(isnan(f[0].icer));
    ck_assert_uint_eq(f[0].by[0], CS_DECISION_NONE);
    ck_assert_double_eq_tol(f[7].icer, 11000 / 7.79, 1e-9);
    ck_assert_uint_eq(f[7].by[0], 0);
    ck_assert_uint_eq(f[2].by[0], 5);
    ck_assert_uint_eq(f[1].by[0], 5);
    ck_assert_uint_eq(f[3].by[0], 7);
    ck_assert_uint_eq(f[5].by[0], 0); /* bracketed by the efficient 0 and 7 */
    ck_assert_uint_eq(f[5].by[1], 7);
    ck_assert_uint_eq(f[6].by[1], 7);
    ck_assert_uint_eq(f[5].rank_by_cost, 1);
    ck_assert_uint_eq(f[4].rank_by_cost, 7);
    ck_assert(isnan(f[6].icer) && isnan(f[3].icer));
}
END_TEST

/* Savings, equal effects, equal costs, duplicates and collinear options:
 *   0: (cost 0, effect 0)      baseline
 *   1: (-100, 1)               saves money and improves: dominates 0
 *   2: (50, 2), 3: (80, 2)     equal effects: 3 costs more, dominated by 2
 *   4: (50, 3)                 equal cost with 2 and more effective: 2 dominated
 *   5: (50, 3)                 a duplicate of 4: the later index is dominated
 *   6: (200, 4)                ICER (200-50)/(4-3) = 150 after 4's (50+100)/2 = 75
 *   7: (350, 5)                collinear with 4 and 6 (ICER 150): stays efficient */
START_TEST(frontier_edge_cases)
{
    const double cost[8] = {0, -100, 50, 80, 50, 50, 200, 350};
    const double eff[8] = {0, 1, 2, 2, 3, 3, 4, 5};
    cs_frontier_entry f[8];
    ck_assert_int_eq(cs_decision_frontier(eff, cost, 8, f, NULL), CS_OK);
    ck_assert_int_eq(f[0].status, CS_FRONTIER_DOMINATED);
    ck_assert_uint_eq(f[0].by[0], 1);
    ck_assert_int_eq(f[1].status, CS_FRONTIER_EFFICIENT);
    ck_assert(isnan(f[1].icer));
    ck_assert_int_eq(f[2].status, CS_FRONTIER_DOMINATED);
    ck_assert_uint_eq(f[2].by[0], 4);
    ck_assert_int_eq(f[3].status, CS_FRONTIER_DOMINATED);
    ck_assert_int_eq(f[4].status, CS_FRONTIER_EFFICIENT);
    ck_assert_double_eq_tol(f[4].icer, 75, 1e-12);
    ck_assert_int_eq(f[5].status, CS_FRONTIER_DOMINATED);
    ck_assert_uint_eq(f[5].by[0], 4);
    ck_assert_int_eq(f[6].status, CS_FRONTIER_EFFICIENT);
    ck_assert_double_eq_tol(f[6].icer, 150, 1e-12);
    ck_assert_int_eq(f[7].status, CS_FRONTIER_EFFICIENT);
    ck_assert_double_eq_tol(f[7].icer, 150, 1e-12);
    /* Bend option 6 up by one unit of cost: its ICER (151) now exceeds the
     * next one (149), and it is extendedly dominated. */
    double bent[8];
    memcpy(bent, cost, sizeof bent);
    bent[6] = 201;
    ck_assert_int_eq(cs_decision_frontier(eff, bent, 8, f, NULL), CS_OK);
    ck_assert_int_eq(f[6].status, CS_FRONTIER_EXTENDED);
    ck_assert_double_eq_tol(f[7].icer, (350 - 50) / 2.0, 1e-12);
    /* All free: only the most effective is efficient. */
    const double zero[3] = {0, 0, 0}, e3[3] = {1, 3, 2};
    ck_assert_int_eq(cs_decision_frontier(e3, zero, 3, f, NULL), CS_OK);
    ck_assert(f[0].status == CS_FRONTIER_DOMINATED && f[2].status == CS_FRONTIER_DOMINATED);
    ck_assert(f[1].status == CS_FRONTIER_EFFICIENT && isnan(f[1].icer));
    /* One option; refusals. */
    ck_assert_int_eq(cs_decision_frontier(e3, zero, 1, f, NULL), CS_OK);
    ck_assert_int_eq(f[0].status, CS_FRONTIER_EFFICIENT);
    ck_assert_int_eq(cs_decision_frontier(e3, zero, 0, f, NULL), CS_EINVAL);
    const double nan3[3] = {0, NAN, 0};
    ck_assert_int_eq(cs_decision_frontier(e3, nan3, 3, f, NULL), CS_EINVAL);
}
END_TEST

/* x[d][r] = 3 + a_d + e_dr, a ~ N(0, 1), e ~ N(0, 4), D = 2000, k = 2:
 * within -> 4 and parameter -> 1, each within 4 of its reported
 * normal-theory SE. The uncorrected variance of the draw means (1 + 4/2 = 3)
 * lies about 17 SE away, so the test needs the correction to pass. */
START_TEST(variance_split_known_components)
{
    enum { D = 2000, K = 2 };
    double *x = malloc(D * K * sizeof *x);
    cs_pcg32 g = stream(51);
    for (size_t d = 0; d < D; d++) {
        double a = normal(&g);
        for (size_t r = 0; r < K; r++)
            x[d * K + r] = 3 + a + 2 * normal(&g);
    }
    cs_variance_split vs;
    ck_assert_int_eq(cs_decision_variance_split(x, D, K, 1, &vs, NULL), CS_OK);
    ck_assert_double_eq_tol(vs.within, 4, 4 * vs.within_se);
    ck_assert_double_eq_tol(vs.parameter, 1, 4 * vs.parameter_se);
    ck_assert(fabs(vs.between - 1) > 4 * vs.parameter_se);
    ck_assert_double_eq_tol(vs.parameter, vs.between - vs.within / K, 1e-12);
    ck_assert(!vs.clamped);
    ck_assert_double_eq_tol(vs.noise_share, vs.within / (vs.within + vs.parameter), 1e-15);
    /* The grand mean has variance (1 + 4/2) / D; the total variance (5) is a
     * sample variance of at least D independent values' worth of data, SE at
     * most 5 sqrt(2 / (D - 1)). */
    ck_assert_double_eq_tol(vs.mean, 3, 4 * sqrt(3.0 / D));
    ck_assert_double_eq_tol(vs.total, 5, 4 * 5 * sqrt(2.0 / (D - 1)));
    free(x);
}
END_TEST

/* Draw means that are all equal: the between-draw variance is 0, so the
 * unbiased estimate is -within / k < 0; it is clamped to 0 and flagged. A
 * stride selects every other value. */
START_TEST(variance_split_clamps_and_refuses)
{
    enum { D = 50, K = 3 };
    double x[2 * D * K];
    cs_pcg32 g = stream(52);
    for (size_t d = 0; d < D; d++) {
        double v[K], m = 0;
        for (size_t r = 0; r < K; r++)
            m += (v[r] = normal(&g)) / K;
        for (size_t r = 0; r < K; r++) {
            x[2 * (d * K + r)] = v[r] - m + 7;
            x[2 * (d * K + r) + 1] = NAN; /* never read */
        }
    }
    cs_variance_split vs;
    ck_assert_int_eq(cs_decision_variance_split(x, D, K, 2, &vs, NULL), CS_OK);
    ck_assert_double_eq_tol(vs.between, 0, 1e-20);
    ck_assert(vs.parameter_raw < 0 && vs.clamped && vs.parameter == 0);
    ck_assert_double_eq(vs.noise_share, 1);
    ck_assert_int_eq(cs_decision_variance_split(x, D, 1, 2, &vs, NULL), CS_EINVAL);
    ck_assert(isnan(vs.within));
    ck_assert_int_eq(cs_decision_variance_split(x, 1, K, 2, &vs, NULL), CS_EINVAL);
    ck_assert_int_eq(cs_decision_variance_split(x, D, K, 1, &vs, NULL), CS_EINVAL); /* a NaN */
}
END_TEST

/* Four variants at lambda = 2, effects with noise, costs known:
 *   0 baseline (0, 0); 1: effect 2 + z1, cost 2.5; 2: effect 3 + z2, cost 2;
 *   3: the bundle of 1 and 2, effect 4 + z3, cost 3 (its own simulation).
 * Means: ENB = 2 mean(e) - c, about 0, 1.5, 4, 5. Variant 1 costs more than 2
 * and improves less: dominated. The bundle's best member is 2, and its
 * increment is the paired mean of NB_3 - NB_2, recomputed here. */
START_TEST(nb_ranking_and_bundles)
{
    enum { D = 400, V = 4 };
    double e[V * D], c[V * D];
    cs_pcg32 g = stream(61);
    for (size_t d = 0; d < D; d++) {
        double row_e[V] = {0, 2 + 0.3 * normal(&g), 3 + 0.3 * normal(&g), 4 + 0.3 * normal(&g)};
        double row_c[V] = {0, 2.5, 2, 3};
        memcpy(e + V * d, row_e, sizeof row_e);
        memcpy(c + V * d, row_c, sizeof row_c);
    }
    cs_decision_data data = {D, 1, V, e, c};
    const size_t members[2] = {1, 2};
    cs_decision_bundle b = {3, members, 2};
    cs_nb_rank_row rows[V];
    ck_assert_int_eq(cs_decision_nb_ranking(&data, 2, &b, 1, rows, NULL), CS_OK);
    ck_assert_uint_eq(rows[3].rank, 1);
    ck_assert_uint_eq(rows[2].rank, 2);
    ck_assert_uint_eq(rows[1].rank, 3);
    ck_assert_uint_eq(rows[0].rank, 4);
    ck_assert_int_eq(rows[1].status, CS_FRONTIER_DOMINATED);
    ck_assert_int_eq(rows[3].status, CS_FRONTIER_EFFICIENT);
    ck_assert_uint_eq(rows[3].best_member, 2);
    ck_assert_uint_eq(rows[1].best_member, CS_DECISION_NONE);
    ck_assert(isnan(rows[1].increment));
    double inc = 0, ss = 0, pos = 0;
    for (size_t d = 0; d < D; d++)
        inc += (2 * e[V * d + 3] - 3 - (2 * e[V * d + 2] - 2)) / D;
    for (size_t d = 0; d < D; d++) {
        double x = 2 * e[V * d + 3] - 3 - (2 * e[V * d + 2] - 2);
        ss += (x - inc) * (x - inc);
        pos += x > 0;
    }
    ck_assert_double_eq_tol(rows[3].increment, inc, 1e-12);
    ck_assert_double_eq_tol(rows[3].increment_se, sqrt(ss / (D - 1) / D), 1e-12);
    ck_assert_double_eq_tol(rows[3].p_increment_positive, pos / D, 1e-15);
    ck_assert_double_eq_tol(rows[3].enb - rows[2].enb, inc, 1e-12);
    double total = 0;
    for (size_t v = 0; v < V; v++)
        total += rows[v].p_best;
    ck_assert_double_eq_tol(total, 1, 1e-12);
    /* Refusals: a bundle containing itself, out of range, listed twice. */
    const size_t self[1] = {3}, far[1] = {9};
    cs_decision_bundle bad[2] = {{3, self, 1}, {3, members, 2}};
    ck_assert_int_eq(cs_decision_nb_ranking(&data, 2, bad, 1, rows, NULL), CS_EINVAL);
    bad[0].members = far;
    ck_assert_int_eq(cs_decision_nb_ranking(&data, 2, bad, 1, rows, NULL), CS_EINVAL);
    bad[0].members = members;
    ck_assert_int_eq(cs_decision_nb_ranking(&data, 2, bad, 2, rows, NULL), CS_EINVAL);
}
END_TEST

/* Costs 1, 2, 4 and a budget of 3: the subsets that fit are {}, {0}, {1}
 * and {0, 1} (cost 0, 1, 2, 3); {2} (4) does not. With uncertain costs the
 * expected cost decides and p_over_budget counts the draws over budget:
 * intervention 0 costs 1 or 1.5 in two draws, so {0, 1} costs 3 (fits) or
 * 3.5 (over) -> expected 3.25 does not fit; {0} is never over. */
START_TEST(portfolios_fit_the_budget)
{
    const double cost[3] = {1, 2, 4};
    cs_portfolio *p = NULL;
    size_t n = 0;
    ck_assert_int_eq(cs_decision_portfolios(cost, 3, 1, 3, &p, &n, NULL), CS_OK);
    ck_assert_uint_eq(n, 4);
    const uint32_t masks[4] = {0, 1, 2, 3};
    const double costs[4] = {0, 1, 2, 3};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_uint_eq(p[i].members, masks[i]);
        ck_assert_double_eq(p[i].cost, costs[i]);
        ck_assert_double_eq(p[i].p_over_budget, 0);
    }
    free(p);
    const double drawn[6] = {1, 2, 4, 1.5, 2, 4};
    ck_assert_int_eq(cs_decision_portfolios(drawn, 3, 2, 3.1, &p, &n, NULL), CS_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(p[1].members, 1);
    ck_assert_double_eq(p[1].cost, 1.25);
    ck_assert_double_eq(p[1].p_over_budget, 0);
    free(p);
    ck_assert_int_eq(cs_decision_portfolios(drawn, 3, 2, 3.3, &p, &n, NULL), CS_OK);
    ck_assert_uint_eq(n, 4);
    ck_assert_uint_eq(p[3].members, 3);
    ck_assert_double_eq(p[3].p_over_budget, 0.5);
    free(p);
}
END_TEST

/* The limit: 12 interventions give all 4096 subsets with an ample budget;
 * 13 are refused with a message that states the limit. */
START_TEST(portfolios_limit)
{
    double cost[13];
    for (int i = 0; i < 13; i++)
        cost[i] = i + 1;
    cs_portfolio *p = NULL;
    size_t n = 0;
    ck_assert_int_eq(cs_decision_portfolios(cost, 12, 1, 1e9, &p, &n, NULL), CS_OK);
    ck_assert_uint_eq(n, 4096);
    for (size_t i = 1; i < n; i++)
        ck_assert(p[i - 1].cost <= p[i].cost);
    ck_assert_uint_eq(p[n - 1].members, 4095);
    free(p);
    cs_error err;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_decision_portfolios(cost, 13, 1, 1e9, &p, &n, &err), CS_ELIMIT);
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(strstr(err.text, "at most 12 interventions"));
    cost[0] = NAN;
    ck_assert_int_eq(cs_decision_portfolios(cost, 3, 1, 5, &p, &n, NULL), CS_EINVAL);
    ck_assert_int_eq(cs_decision_portfolios(cost + 1, 3, 1, NAN, &p, &n, NULL), CS_EINVAL);
    /* No intervention: the baseline alone. */
    ck_assert_int_eq(cs_decision_portfolios(cost, 0, 1, 0, &p, &n, NULL), CS_OK);
    ck_assert_uint_eq(n, 1);
    free(p);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("decision");
    TCase *tc = tcase_create("decision");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, evpi_two_normal_options);
    tcase_add_test(tc, evpi_se_is_calibrated);
    tcase_add_test(tc, ceac_limits_and_rank_tables);
    tcase_add_test(tc, ties_split_equally);
    tcase_add_test(tc, noise_bound_covers_noise_bias);
    tcase_add_test(tc, curves_deterministic);
    tcase_add_test(tc, curves_refuse_bad_input);
    tcase_add_test(tc, many_variants_without_rank_table);
    tcase_add_test(tc, frontier_textbook);
    tcase_add_test(tc, frontier_edge_cases);
    tcase_add_test(tc, variance_split_known_components);
    tcase_add_test(tc, variance_split_clamps_and_refuses);
    tcase_add_test(tc, nb_ranking_and_bundles);
    tcase_add_test(tc, portfolios_fit_the_budget);
    tcase_add_test(tc, portfolios_limit);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
