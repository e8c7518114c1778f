/*
 * uncertain_draws.c — the cost of one parameter draw of the uncertain
 * inputs (include/casesim/uncertain.h), for 8 and 40 inputs.
 *
 * Usage: uncertain_draws [DRAWS]   (draws per timing, default 20000)
 *
 * The inputs cycle through eight laws as a scenario would write them: beta
 * {mean, sd} and {alpha, beta}, gamma {mean, sd} and {shape < 1}, lognormal
 * {median, p95}, a normal truncated to [0, 1], uniform and triangular; with
 * "corr" every fourth input is correlated with the next (rho 0.4). For each
 * set it times random draws (keyed PCG stream per draw), Sobol draws (in
 * increasing order, as a thread takes them) and the standard-normal map
 * (cs_unc_from_normal, the calibration's step). Each figure is the best of
 * REPEATS timings; results feed a printed checksum so no loop is dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "casesim/uncertain.h"

#ifndef CS_BENCH_FLAGS
#define CS_BENCH_FLAGS "unknown"
#endif
#ifndef CS_BENCH_BUILD_TYPE
#define CS_BENCH_BUILD_TYPE "unknown"
#endif

#define REPEATS 5

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Law i mod 8 of the cycle described above. */
static int law(size_t i, cs_unc_dist *d)
{
    cs_unc_param p[3];
    enum cs_unc_family f;
    size_t n = 2;
    switch (i % 8) {
    case 0:
        f = CS_UNC_BETA, p[0] = (cs_unc_param){"mean", 0.3, NULL, 0},
        p[1] = (cs_unc_param){"sd", 0.06, NULL, 0};
        break;
    case 1:
        f = CS_UNC_BETA, p[0] = (cs_unc_param){"alpha", 2.0, NULL, 0},
        p[1] = (cs_unc_param){"beta", 8.0, NULL, 0};
        break;
    case 2:
        f = CS_UNC_GAMMA, p[0] = (cs_unc_param){"mean", 4.0e6, NULL, 0},
        p[1] = (cs_unc_param){"sd", 1.0e6, NULL, 0};
        break;
    case 3:
        f = CS_UNC_GAMMA, p[0] = (cs_unc_param){"shape", 0.6, NULL, 0},
        p[1] = (cs_unc_param){"scale", 2.0, NULL, 0};
        break;
    case 4:
        f = CS_UNC_LOGNORMAL, p[0] = (cs_unc_param){"median", 2.0, NULL, 0},
        p[1] = (cs_unc_param){"p95", 4.0, NULL, 0};
        break;
    case 5:
        f = CS_UNC_NORMAL, p[0] = (cs_unc_param){"mean", 0.1, NULL, 0},
        p[1] = (cs_unc_param){"sd", 0.2, NULL, 0};
        break;
    case 6:
        f = CS_UNC_UNIFORM, p[0] = (cs_unc_param){"min", 0.2, NULL, 0},
        p[1] = (cs_unc_param){"max", 0.35, NULL, 0};
        break;
    default:
        f = CS_UNC_TRIANGULAR, p[0] = (cs_unc_param){"min", 1.0, NULL, 0},
        p[1] = (cs_unc_param){"mode", 2.0, NULL, 0}, p[2] = (cs_unc_param){"max", 6.0, NULL, 0};
        n = 3;
    }
    int st = cs_unc_dist_init(d, f, p, n, NULL);
    if (st == CS_OK && i % 8 == 5)
        st = cs_unc_dist_truncate(d, 0.0, 1.0, NULL);
    return st;
}

static cs_unc_set *make_set(size_t n, int corr, int sobol)
{
    cs_unc_set *s = cs_unc_set_alloc();
    cs_unc_dist d;
    for (size_t i = 0; s && i < n; i++)
        if (law(i, &d) != CS_OK || cs_unc_set_add(s, &d, NULL, NULL) != CS_OK)
            goto fail;
    for (size_t i = 0; s && corr && i + 1 < n; i += 4)
        if (cs_unc_set_correlate(s, i, i + 1, 0.4, NULL) != CS_OK)
            goto fail;
    if (s && sobol && cs_unc_set_use_sobol(s, NULL) != CS_OK)
        goto fail;
    if (s && cs_unc_set_finalize(s, NULL) == CS_OK)
        return s;
fail:
    cs_unc_set_free(s);
    return NULL;
}

enum mode { RANDOM, SOBOL, NORMAL };

/* Seconds per draw (best of REPEATS), checksum into *sum. */
static double time_draws(const cs_unc_set *s, enum mode m, size_t draws, double *sum)
{
    size_t D = cs_unc_set_values(s);
    double *v = malloc(D * sizeof *v), *z = malloc(D * sizeof *z), best = 1e300;
    cs_unc_work *w = cs_unc_work_alloc(s);
    if (!v || !z || !w) {
        fprintf(stderr, "uncertain_draws: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < D; i++)
        z[i] = 0.37 * (double)(i % 7) - 1.1;
    for (int r = 0; r < REPEATS; r++) {
        double t0 = seconds_now();
        for (size_t d = 0; d < draws; d++) {
            int st;
            if (m == NORMAL) {
                z[d % D] += 1e-3; /* a slowly moving point, as an optimiser's */
                st = cs_unc_from_normal(s, w, z, v, NULL);
            } else {
                st = cs_unc_draw(s, w, 42u, d, v, NULL);
            }
            if (st != CS_OK) {
                fprintf(stderr, "uncertain_draws: draw %zu failed\n", d);
                exit(1);
            }
            *sum += v[d % D];
        }
        double t = (seconds_now() - t0) / (double)draws;
        if (t < best)
            best = t;
    }
    cs_unc_work_free(w);
    free(z);
    free(v);
    return best;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    size_t draws = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 20000;
    if (draws == 0)
        draws = 1;
    printf("uncertain_draws: %zu draws per timing, best of %d; %s build, flags \"%s\"\n", draws,
           REPEATS, CS_BENCH_BUILD_TYPE, CS_BENCH_FLAGS);
    printf("%-8s %-5s %14s %14s %14s\n", "inputs", "corr", "random us/draw", "sobol us/draw",
           "normal us/map");
    double sum = 0.0;
    const size_t sizes[2] = {8, 40};
    for (int k = 0; k < 2; k++)
        for (int corr = 0; corr < 2; corr++) {
            cs_unc_set *r = make_set(sizes[k], corr, 0), *q = make_set(sizes[k], corr, 1);
            if (!r || !q) {
                fprintf(stderr, "uncertain_draws: could not build the sets\n");
                return 1;
            }
            double tr = time_draws(r, RANDOM, draws, &sum);
            double tq = time_draws(q, SOBOL, draws, &sum);
            double tn = time_draws(r, NORMAL, draws, &sum);
            printf("%-8zu %-5s %14.2f %14.2f %14.2f\n", sizes[k], corr ? "yes" : "no", 1e6 * tr,
                   1e6 * tq, 1e6 * tn);
            cs_unc_set_free(r);
            cs_unc_set_free(q);
        }
    printf("checksum %.6g\n", sum);
    return 0;
}
