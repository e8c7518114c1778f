/* calib_sobol.c — Sobol points of the standard normal, the calibration's
 * space-filling start (see calib_internal.h). */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_qrng.h>

#include "calib_internal.h"
#include "casesim/calibration.h"

int cs_calib_sobol_normal(size_t dim, size_t n, double *z, cs_error *err)
{
    /* gsl_qrng_alloc does not refuse a dimension above the Sobol table's 40:
     * check here. */
    if (dim == 0 || dim > CS_CALIB_MAX_DIM)
        return cs_error_set(err, CS_EINVAL,
                            "calibration: %zu inputs; the Sobol sequence handles 1 to %d", dim,
                            CS_CALIB_MAX_DIM);
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)dim);
    if (!q)
        return cs_error_set(err, CS_ENOMEM, "calibration: out of memory for a Sobol sequence");
    /* GSL's sequence starts at (1/2, ..., 1/2): it already leaves out the
     * all-zero point, whose Phi^-1 would be -infinity. */
    double u[CS_CALIB_MAX_DIM];
    for (size_t i = 0; i < n; i++) {
        gsl_qrng_get(q, u);
        for (size_t d = 0; d < dim; d++) {
            /* Coordinates are k / 2^m in (0, 1); the guard only keeps Phi^-1
             * finite should that ever fail. */
            double v = u[d] > 0 ? u[d] : 0x1.0p-53;
            z[i * dim + d] = gsl_cdf_ugaussian_Pinv(v < 1 ? v : 1 - 0x1.0p-53);
        }
    }
    gsl_qrng_free(q);
    return CS_OK;
}
