/* calib_internal.h — helpers shared by the calibration sources (not part of
 * the public API): Sobol points of the standard normal, the standard normal
 * log density, and a log-sum of two exponentials. */
#ifndef CASESIM_CALIB_INTERNAL_H
#define CASESIM_CALIB_INTERNAL_H

#include <math.h>
#include <stddef.h>

#include "casesim/error.h"

/* ln(2 pi) */
#define CS_CALIB_LN_2PI 1.8378770664093454836

/* The first n points of the dim-dimensional Sobol sequence after its all-zero
 * point (GSL's gsl_qrng_sobol starts there: (1/2, ..., 1/2)), each coordinate
 * mapped through Phi^-1, into z[n * dim]. Returns CS_OK,
 * CS_EINVAL (dim 0 or above CS_CALIB_MAX_DIM) or CS_ENOMEM. */
int cs_calib_sobol_normal(size_t dim, size_t n, double *z, cs_error *err);

/* ln N(z; 0, I_dim). */
static inline double cs_calib_log_std_normal(const double *z, size_t dim)
{
    double ss = 0;
    for (size_t d = 0; d < dim; d++)
        ss += z[d] * z[d];
    return -0.5 * ((double)dim * CS_CALIB_LN_2PI + ss);
}

/* ln(e^a + e^b), exact for a or b = -INFINITY. */
static inline double cs_calib_logaddexp(double a, double b)
{
    if (a == -INFINITY)
        return b;
    if (b == -INFINITY)
        return a;
    return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b));
}

#endif
