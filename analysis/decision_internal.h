/* decision_internal.h — helpers shared by the files of the decision module
 * (analysis/decision.c, frontier.c, evppi.c); not part of the public API. */
#ifndef CASESIM_DECISION_INTERNAL_H
#define CASESIM_DECISION_INTERNAL_H

#include <stddef.h>

#include "casesim/decision.h"

/* The measures of one willingness-to-pay value. The caller provides the
 * arrays: enb, enb_se, mean_cost and p_best of V values, p_rank of V V
 * values or NULL (not computed). */
struct cs_decision_point {
    double *enb, *enb_se, *mean_cost, *p_best, *p_rank;
    size_t best; /* out: the variant with the highest ENB */
    double evpi, evpi_se;
};

/* Fills *pt from the draw means ebar[d V + v] and costs cost[d V + v] at
 * lambda. Returns CS_OK or CS_ENOMEM (no message: the caller words it). */
int cs_decision_point(const double *ebar, const double *cost, size_t D, size_t V, double lambda,
                      struct cs_decision_point *pt);

/* ENB per variant at lambda, its Monte Carlo SE and the mean cost. */
void cs_decision_nb_moments(const double *ebar, const double *cost, size_t D, size_t V,
                            double lambda, double *enb, double *enb_se, double *mean_cost);

/* The variant with the highest enb[]; ties to the lower mean cost, then the
 * lower index. */
size_t cs_decision_best_of_means(const double *enb, const double *mean_cost, size_t V);

/* Mean of loss[0..D) and its standard error sd / sqrt(D) (NaN if D = 1). */
void cs_decision_loss_moments(const double *loss, size_t D, double *mean, double *se);

/* CS_OK, or CS_EINVAL when there is no lambda or one is not finite. */
int cs_decision_check_lambda(const double *lambda, size_t n_lambda, cs_error *err);

#endif
