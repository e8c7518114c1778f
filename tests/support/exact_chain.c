/*
 * exact_chain.c — the exact answers of a capacity-free scenario (see
 * exact_chain.h).
 */
#include "exact_chain.h"

#include <gsl/gsl_integration.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <string.h>

void cs_exact_branch_probs(const cs_scenario *s, size_t i, size_t g, size_t k, int wf, double e,
                           bool flip, double *P)
{
    const cs_stage *st = &s->stages[i];
    uint32_t bit = UINT32_C(1) << k;
    size_t ref = st->reference[k];
    double p_ref = 1.0;
    for (size_t b = 0; b < st->n_branches; b++)
        if (b != ref && (st->branches[b].kinds & bit))
            p_ref -= cs_branch_p(s, &st->branches[b], k, g);
    double odds[CS_MAX_BRANCHES], sum = 0.0;
    for (size_t b = 0; b < st->n_branches; b++) {
        const cs_branch *br = &st->branches[b];
        if (!(br->kinds & bit)) {
            odds[b] = 0.0;
        } else if (b == ref) {
            odds[b] = 1.0;
        } else {
            double uor = flip ? 1.0 / br->unfounded_odds_ratio : br->unfounded_odds_ratio;
            odds[b] = cs_branch_p(s, br, k, g) / p_ref * br->kind_odds_ratio[k] * (wf ? 1.0 : uor) *
                      exp(br->evidence_slope * (e - 0.5));
        }
        sum += odds[b];
    }
    for (size_t b = 0; b < st->n_branches; b++)
        P[b] = odds[b] / sum;
}

/* Expected stage visits y[S], outcome counts x[O] and branch flows
 * f[S][B] for one incident of (g, k, wf) with evidence e, through the
 * fundamental matrix (LU solve). */
static void expected_counts(const cs_scenario *s, size_t g, size_t k, int wf, double e, bool flip,
                            double *y, double *x, double (*f)[CS_MAX_BRANCHES])
{
    size_t S = s->n_stages, O = s->n_outcomes;
    gsl_matrix *A = gsl_matrix_alloc(S, S); /* (I - Q)^T */
    gsl_matrix *R = gsl_matrix_calloc(S, O);
    gsl_vector *rhs = gsl_vector_calloc(S), *sol = gsl_vector_alloc(S);
    gsl_permutation *perm = gsl_permutation_alloc(S);
    gsl_matrix_set_identity(A);
    for (size_t i = 0; i < S; i++) {
        cs_exact_branch_probs(s, i, g, k, wf, e, flip, f[i]);
        const cs_stage *st = &s->stages[i];
        for (size_t b = 0; b < st->n_branches; b++)
            for (size_t j = 0; j < st->branches[b].n_to; j++) {
                const cs_target *t = &st->branches[b].to[j];
                if (t->is_stage)
                    gsl_matrix_set(A, t->index, i, gsl_matrix_get(A, t->index, i) - f[i][b]);
                else
                    gsl_matrix_set(R, i, t->index, gsl_matrix_get(R, i, t->index) + f[i][b]);
            }
    }
    gsl_vector_set(rhs, s->entry_stage, 1.0);
    int sign;
    gsl_linalg_LU_decomp(A, perm, &sign);
    gsl_linalg_LU_solve(A, perm, rhs, sol);
    for (size_t i = 0; i < S; i++) {
        y[i] = gsl_vector_get(sol, i);
        for (size_t b = 0; b < s->stages[i].n_branches; b++)
            f[i][b] *= y[i]; /* P_i[b] -> expected tracks taking it */
    }
    for (size_t o = 0; o < O; o++) {
        x[o] = 0.0;
        for (size_t i = 0; i < S; i++)
            x[o] += y[i] * gsl_matrix_get(R, i, o);
    }
    gsl_matrix_free(A);
    gsl_matrix_free(R);
    gsl_vector_free(rhs);
    gsl_vector_free(sol);
    gsl_permutation_free(perm);
}

/* Adds the expectations of (g, k, wf), weight w, averaged over the Beta
 * evidence density of the merit, to ex. */
static void add_merit(const cs_scenario *s, size_t g, size_t k, int wf, double w, bool flip,
                      const gsl_integration_glfixed_table *tab, cs_exact *ex)
{
    double a = wf ? s->evidence.well_founded_a : s->evidence.unfounded_a;
    double b = wf ? s->evidence.well_founded_b : s->evidence.unfounded_b;
    static double f[CS_MAX_STAGES][CS_MAX_BRANCHES]; /* large: off the stack */
    for (size_t n = 0; n < 64; n++) {
        double e, wt;
        gsl_integration_glfixed_point(0.0, 1.0, n, &e, &wt, tab);
        double dens = gsl_ran_beta_pdf(e, a, b) * wt * w;
        double y[CS_MAX_STAGES], x[CS_MAX_OUTCOMES];
        expected_counts(s, g, k, wf, e, flip, y, x, f);
        for (size_t i = 0; i < s->n_stages; i++) {
            ex->visits[i] += dens * y[i];
            for (size_t br = 0; br < s->stages[i].n_branches; br++)
                ex->flow[i][br] += dens * f[i][br];
        }
        for (size_t o = 0; o < s->n_outcomes; o++) {
            ex->outcomes[o] += dens * x[o];
            if (s->outcomes[o].category >= 0)
                *(wf ? &ex->acc_wf : &ex->acc_unf) += dens * x[o];
            if (wf && s->outcomes[o].redress)
                ex->red_wf += dens * x[o];
        }
    }
}

void cs_exact_for(const cs_scenario *s, size_t g, size_t kind, bool flip, cs_exact *ex)
{
    memset(ex, 0, sizeof *ex);
    gsl_integration_glfixed_table *tab = gsl_integration_glfixed_table_alloc(64);
    double p_wf = 0.0, p_unf = 0.0, p_kind = 0.0;
    for (size_t k = 0; k < s->n_violations; k++) {
        if (kind != CS_EXACT_ALL_KINDS && k != kind)
            continue;
        double share = kind == CS_EXACT_ALL_KINDS ? s->violations[k].share[g] : 1.0;
        p_kind += share;
        for (int wf = 0; wf < 2; wf++) {
            double pm = wf ? s->violations[k].well_founded : 1.0 - s->violations[k].well_founded;
            double w = share * pm;
            if (w == 0.0)
                continue;
            *(wf ? &p_wf : &p_unf) += w;
            add_merit(s, g, k, wf, w, flip, tab, ex);
        }
    }
    for (size_t i = 0; i < s->n_stages; i++) {
        ex->visits[i] /= p_kind;
        for (size_t b = 0; b < s->stages[i].n_branches; b++)
            ex->flow[i][b] /= p_kind;
    }
    for (size_t o = 0; o < s->n_outcomes; o++)
        ex->outcomes[o] /= p_kind;
    ex->acc_wf /= p_wf;
    ex->red_wf /= p_wf;
    ex->acc_unf /= p_unf;
    gsl_integration_glfixed_table_free(tab);
}
