/*
 * calibration_overhead.c — the calibration method's own time, everything but
 * the simulations: per IMIS wave (cs_calib_imis_tell: weights, ESS, the next
 * component, its density at every point, the next wave's draws) as the number
 * of points grows, and the posterior summaries at the end (marginals,
 * covariance, identifiability check, resampling).
 *
 * Usage: calibration_overhead [DIM [MAX_POINTS [WAVE]]]
 *        (defaults 6, 20000, 120: the 6 inputs, the default wave size)
 *
 * The log-likelihood is a cheap closed form (a normal posterior 20 times
 * narrower than the prior in every coordinate), so the timings are of the
 * method alone. The target ESS is set out of reach and the stall rule off, so
 * the run goes to MAX_POINTS evaluations. Timings are wall-clock of one run.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "casesim/calibration.h"

#ifndef CS_BENCH_FLAGS
#define CS_BENCH_FLAGS "unknown"
#endif
#ifndef CS_BENCH_BUILD_TYPE
#define CS_BENCH_BUILD_TYPE "unknown"
#endif

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double loglik(const double *z, size_t dim)
{
    double ss = 0;
    for (size_t d = 0; d < dim; d++) {
        double r = (z[d] - 0.3 * (double)d / (double)dim) / 0.05;
        ss += r * r;
    }
    return -0.5 * ss;
}

/* Times the posterior summaries a report needs, on the final sample. */
static double time_summaries(const cs_calib_imis_result *r, size_t **idx)
{
    double t0 = seconds_now(), cov[CS_CALIB_MAX_DIM * CS_CALIB_MAX_DIM];
    size_t d = r->dim, nf;
    for (size_t k = 0; k < d; k++) {
        cs_calib_marginal s;
        cs_calib_marginal_summary(r->z + k, d, r->weight, r->n_points, 1, &s, NULL);
    }
    cs_calib_covariance(r->z, d, r->weight, r->n_points, cov, NULL, NULL);
    cs_calib_finding *f = NULL;
    cs_calib_identifiability(cov, d, NULL, &f, &nf, NULL);
    free(f);
    cs_stream_key key = {1, 0, CS_CALIB_KEY_RESAMPLE, 0, 0, CS_STREAM_CALIBRATION};
    *idx = malloc(1000 * sizeof **idx);
    if (*idx)
        cs_calib_resample(r->weight, r->n_points, 1000, &key, *idx, NULL);
    return seconds_now() - t0;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    size_t dim = argc > 1 ? strtoul(argv[1], NULL, 10) : 6;
    size_t max_points = argc > 2 ? strtoul(argv[2], NULL, 10) : 20000;
    cs_calib_imis_config cfg;
    cs_calib_imis_config_default(&cfg, dim);
    if (argc > 3)
        cfg.wave_size = cfg.n_neighbours = strtoul(argv[3], NULL, 10);
    cfg.target_ess = 1e12;
    cfg.max_evaluations = max_points;
    cfg.stall_waves = CS_CALIB_MAX_STALL_WAVES;
    printf("calibration_overhead: D = %zu, N0 = %zu, B = %zu, up to %zu points (%s; %s)\n", dim,
           cfg.n_initial, cfg.wave_size, max_points, CS_BENCH_BUILD_TYPE, CS_BENCH_FLAGS);
    cs_calib_imis *m = NULL;
    cs_error err;
    cs_error_clear(&err);
    if (cs_calib_imis_alloc(&cfg, &m, &err)) {
        fprintf(stderr, "%s", err.text);
        return 1;
    }
    printf("%6s %8s %10s %12s\n", "wave", "points", "ESS", "tell_ms");
    double total = 0, last = 0;
    while (cs_calib_imis_status(m) == CS_CALIB_RUNNING) {
        const double *z;
        size_t n;
        size_t wave = cs_calib_imis_ask(m, &z, &n);
        double *ll = malloc(n * sizeof *ll);
        if (!ll)
            return 1;
        for (size_t i = 0; i < n; i++)
            ll[i] = loglik(z + i * dim, dim);
        double t0 = seconds_now();
        int st = cs_calib_imis_tell(m, ll, n, &err);
        last = seconds_now() - t0;
        total += last;
        free(ll);
        if (st) {
            fprintf(stderr, "%s", err.text);
            return 1;
        }
        cs_calib_imis_result r;
        cs_calib_imis_get_result(m, &r);
        if (wave % 20 == 0 || cs_calib_imis_status(m) != CS_CALIB_RUNNING)
            printf("%6zu %8zu %10.1f %12.3f\n", wave, r.n_points, r.ess, 1e3 * last);
    }
    cs_calib_imis_result r;
    cs_calib_imis_get_result(m, &r);
    size_t *idx = NULL;
    double summaries = time_summaries(&r, &idx);
    printf("total method time %.3f s over %zu waves (%.2f ms per wave on average, last %.2f ms);"
           " summaries %.1f ms\n",
           total, r.n_waves, 1e3 * total / (double)r.n_waves, 1e3 * last, 1e3 * summaries);
    free(idx);
    cs_calib_imis_free(m);
    return 0;
}
