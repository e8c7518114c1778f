/*
 * exact_chain.h — the exact answers of a capacity-free scenario, for the
 * engine's tests.
 *
 * Without staff limits and deadlines, each incident's tracks form a
 * multi-type branching process over stages whose expected numbers of stage
 * visits and of outcomes are given by the fundamental matrix of the
 * absorbing chain: visits y solve (I - Q)^T y = e_entry and expected outcome
 * counts are y^T R, where Q[i][j] (R[i][o]) sums the probabilities of the
 * branches of stage i that lead to stage j (outcome o), counting each fork
 * target. The expected number of tracks taking branch b of stage i is
 * y[i] P_i[b]. Branch probabilities come straight from MODEL.md's
 * multinomial logit, computed from the scenario (not from the engine's
 * tables), with the branches that do not apply to a case's kind left out;
 * they are averaged over the Beta evidence density with Gauss-Legendre
 * quadrature, then over merit and violation kinds.
 */
#ifndef CASESIM_TEST_EXACT_CHAIN_H
#define CASESIM_TEST_EXACT_CHAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "casesim/scenario.h"

/* Every kind, for cs_exact_for. */
#define CS_EXACT_ALL_KINDS ((size_t)-1)

/* Exact expectations per incident of one group (and one kind, or all). */
typedef struct cs_exact {
    double visits[CS_MAX_STAGES];     /* stage entries per incident */
    double outcomes[CS_MAX_OUTCOMES]; /* tracks ending in each outcome per incident */
    double acc_wf, red_wf, acc_unf;   /* expected accountability / redress counts given merit */
    double flow[CS_MAX_STAGES][CS_MAX_BRANCHES]; /* tracks taking each branch per incident */
} cs_exact;

/* Branch probabilities of stage i for a case (group g, kind k, merit wf,
 * evidence e) into P[n_branches], by MODEL.md: the branches that apply to
 * kind k, odds_b = (p_b / p_ref) * OR_kind * OR_unfounded * exp(slope (e -
 * 0.5)) against kind k's reference branch; 0 for the others. flip
 * replaces every unfounded odds ratio by its inverse (a deliberately wrong
 * model, to show that a comparison can fail). */
void cs_exact_branch_probs(const cs_scenario *s, size_t i, size_t g, size_t k, int wf, double e,
                           bool flip, double *P);

/* The expectations for incidents of group g and kind k (CS_EXACT_ALL_KINDS:
 * averaged over the group's kinds by their shares) into *ex. */
void cs_exact_for(const cs_scenario *s, size_t g, size_t k, bool flip, cs_exact *ex);

#endif
