/* sensitivity_internal.h — helpers shared by the sensitivity sources
 * (sensitivity.c, saltelli.c, morris.c); not part of the public API. */
#ifndef CASESIM_SENSITIVITY_INTERNAL_H
#define CASESIM_SENSITIVITY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "casesim/rng.h"
#include "casesim/sensitivity.h"

/* Seeds g from (seed, SENSITIVITY) with sub-purpose sub and indices a, b, c
 * (the key layout of casesim/sensitivity.h). */
void cs_sens_stream(cs_pcg32 *g, uint64_t seed, uint64_t sub, uint64_t a, uint64_t b, uint64_t c);

/* Reads opt (NULL: defaults) into *n_boot and *level. Returns CS_OK or
 * CS_EINVAL with a message. */
int cs_sens_read_options(const cs_sens_options *opt, size_t *n_boot, double *level, cs_error *err);

/* Fills e from the full-sample value and n bootstrap replicates boot[] (the
 * array is reordered: non-finite replicates are dropped, the rest sorted).
 * se is their sd and [low, high] their (1 -/+ level)/2 quantiles (linear
 * interpolation between order statistics); all NaN when value is not finite
 * or fewer than 2 replicates are finite. */
void cs_sens_finish(cs_sens_estimate *e, double value, double *boot, size_t n, double level);

/* A copy of group (or the identity when group is NULL) for n_inputs inputs,
 * checked; *n_factors receives D. Returns CS_OK, CS_EINVAL or CS_ENOMEM. */
int cs_sens_copy_groups(size_t n_inputs, const size_t *group, size_t **copy, size_t *n_factors,
                        cs_error *err);

/* s2[m] = the within-point sample variance (divisor n_repeats - 1) of
 * output o at base point m of rep, NaN when a repeat is not finite. */
void cs_sens_within_variances(const cs_sens_replicates *rep, size_t n_outputs, size_t o,
                              double *s2);

/* a * b, or SIZE_MAX when it overflows. */
static inline size_t cs_sens_mul(size_t a, size_t b)
{
    return (b != 0 && a > SIZE_MAX / b) ? SIZE_MAX : a * b;
}

#endif
