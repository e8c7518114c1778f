/*
 * sensitivity/analyse.c — the estimators on a finished study's outputs
 * (see casesim/study.h): Sobol indices with the noise share, or Morris's
 * elementary effects, and the one-way swings.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/study.h"
#include "core/alloc.h"

void cs_study_result_free(cs_study_result *r)
{
    if (!r)
        return;
    cs_sens_sobol_free(r->sobol);
    cs_sens_morris_result_free(r->morris);
    free(r->swing);
    free(r->base);
    free(r);
}

/* The noise sample: base point m's two runs are row m of A (in the design)
 * and its repeat after the design, each with its own seed. */
static double *noise_sample(const cs_study *st, const double *y, size_t n_out)
{
    double *z = cs_xcalloc(2 * st->n_noise * n_out, sizeof *z);
    if (!z)
        return NULL;
    for (size_t m = 0; m < st->n_noise; m++) {
        size_t a = cs_sens_saltelli_index(st->saltelli, m, 0), b = st->n_design + m;
        memcpy(z + (2 * m) * n_out, y + a * n_out, n_out * sizeof *z);
        memcpy(z + (2 * m + 1) * n_out, y + b * n_out, n_out * sizeof *z);
    }
    return z;
}

static int analyse_sobol(const cs_study *st, const double *y, size_t n_out,
                         const cs_sens_options *opt, cs_study_result *r, cs_error *err)
{
    double *z = NULL;
    cs_sens_replicates rep = {0};
    if (st->n_noise >= 2) {
        z = noise_sample(st, y, n_out);
        if (!z)
            return cs_error_set(err, CS_ENOMEM, "out of memory");
        rep = (cs_sens_replicates){.y = z, .n_points = st->n_noise, .n_repeats = 2};
    }
    int rc = cs_sens_sobol_analyse(st->saltelli, y, st->n_rows, n_out, z ? &rep : NULL, opt,
                                   &r->sobol, err);
    free(z);
    return rc;
}

/* The one-way swings from the last 1 + 2D runs. */
static int analyse_tornado(const cs_study *st, const double *y, size_t n_out, cs_study_result *r,
                           cs_error *err)
{
    size_t D = st->n_factors, n;
    if (!cs_size_mul(n_out, D, &n))
        return cs_error_set(err, CS_ELIMIT, "too many outputs");
    r->swing = cs_xcalloc(n, sizeof *r->swing);
    r->base = cs_xcalloc(n_out, sizeof *r->base);
    if (!r->swing || !r->base)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    const double *t = y + (st->n_design + st->n_noise) * n_out;
    return cs_sens_tornado(t, D, n_out, r->base, r->swing, err);
}

int cs_study_analyse(const cs_study *st, const double *y, size_t n_outputs,
                     const cs_sens_options *opt, cs_study_result **out, cs_error *err)
{
    *out = NULL;
    cs_study_result *r = cs_xcalloc(1, sizeof *r);
    if (!r)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    r->n_outputs = n_outputs;
    r->n_factors = st->n_factors;
    r->units = st->n_rows;
    int rc = st->method == CS_STUDY_SOBOL
                 ? analyse_sobol(st, y, n_outputs, opt, r, err)
                 : cs_sens_morris_analyse(st->morris, y, st->n_rows, n_outputs, NULL, opt,
                                          &r->morris, err);
    if (rc == CS_OK)
        rc = analyse_tornado(st, y, n_outputs, r, err);
    if (rc != CS_OK) {
        cs_study_result_free(r);
        return rc;
    }
    *out = r;
    return CS_OK;
}
