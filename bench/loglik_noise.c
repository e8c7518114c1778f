/*
 * loglik_noise.c — how much of a calibration's weight is simulation noise
 * (bench/README.md, "The likelihood's simulation noise").
 *
 *   loglik_noise SCENARIO CAL.h5 N [--scale K] [--point I]
 *
 * Simulates one point of the calibration file (by default the one with the
 * highest weight) N times on fresh seeds, each time K replicates summed as
 * `casesim calibrate --scale K` would, and prints each fitted target's
 * log-likelihood there (mean and standard deviation over the N
 * simulations) and the total's.
 *
 * Why it matters: IMIS weighs each point by its likelihood estimated from
 * one simulation, so the estimate's noise multiplies the weights by
 * exp(noise). With a total log-likelihood of standard deviation sigma the
 * weights of N equally good points have an effective sample size of about
 * N exp(-sigma^2) (lognormal weights), whatever the proposals: beyond
 * sigma ~ 2 the sampler cannot converge in a useful number of evaluations
 * and only a larger --scale helps. The last line prints that ESS from the
 * N simulated log-likelihoods themselves. The seeds (the scenario's seed + 7,
 * replicates from 0) are ones the calibration never uses.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/calibrate.h"
#include "casesim/calibration.h"
#include "casesim/calibration_file.h"
#include "casesim/stats.h"
#include "casesim/uncertain.h"

typedef struct options {
    const char *scenario, *cal;
    size_t n, point;
    uint64_t scale;
    int have_point;
} options;

static int parse(int argc, char **argv, options *o)
{
    if (argc < 4)
        return -1;
    *o =
        (options){.scenario = argv[1], .cal = argv[2], .n = strtoul(argv[3], NULL, 10), .scale = 1};
    for (int i = 4; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--scale"))
            o->scale = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--point")) {
            o->point = strtoul(argv[i + 1], NULL, 10);
            o->have_point = 1;
        } else
            return -1;
    }
    return o->n >= 2 && o->scale >= 1 ? 0 : -1;
}

/* The index of the point with the highest weight. */
static size_t heaviest(const cs_calibration *c)
{
    size_t best = 0;
    for (size_t i = 1; i < c->n_points; i++)
        if (c->weight[i] > c->weight[best])
            best = i;
    return best;
}

/* Simulation j's sums (K replicates added) at values. */
static int simulate(const cs_scenario *s, const double *values, uint64_t K, size_t j, double *sums,
                    double *one, cs_error *err)
{
    size_t row = s->n_targets * CS_TARGET_SUMS;
    memset(sums, 0, row * sizeof *sums);
    for (uint64_t k = 0; k < K; k++) {
        int st = cs_calibrate_synthetic(s, values, s->seed + 7, (uint64_t)j * K + k, one, err);
        if (st != CS_OK)
            return st;
        for (size_t r = 0; r < row; r++)
            sums[r] += one[r];
    }
    return CS_OK;
}

/* Prints a row: the mean and sd of x[0], x[stride], ... (n values). */
static void print_row(const char *name, const double *x, size_t n, size_t stride)
{
    cs_summary sum;
    cs_error err = {0};
    cs_stats_summarise(x, n, stride, 0.95, &sum, &err);
    printf("  %-40s %10.3f %8.3f\n", name, sum.mean, sum.sd);
}

/* Prints every fitted target's row, the total's, and the Kish effective
 * sample size of weights exp(total) over the n simulations. ll is
 * [n][n_targets]. */
static int report(const cs_scenario *s, const double *ll, size_t n, cs_error *err)
{
    size_t T = s->n_targets;
    double *total = calloc(n, sizeof *total), *w = malloc(n * sizeof *w);
    if (!total || !w) {
        free(total);
        free(w);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    printf("  %-40s %10s %8s\n", "fitted target", "mean", "sd");
    for (size_t t = 0; t < T; t++) {
        if (s->targets[t].holdout)
            continue;
        print_row(s->targets[t].name, ll + t, n, T);
        for (size_t j = 0; j < n; j++)
            total[j] += ll[j * T + t];
    }
    print_row("total", total, n, 1);
    double mx = -INFINITY;
    for (size_t j = 0; j < n; j++)
        mx = total[j] > mx ? total[j] : mx;
    for (size_t j = 0; j < n; j++)
        w[j] = exp(total[j] - mx);
    double ess = cs_calib_ess(w, n);
    printf("effective sample size of these %zu simulations of one point: %.1f (%.3f of them)\n", n,
           ess, ess / (double)n);
    free(total);
    free(w);
    return CS_OK;
}

int main(int argc, char **argv)
{
    options o;
    if (parse(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: loglik_noise SCENARIO CAL.h5 N(>=2) [--scale K] [--point I]\n");
        return 2;
    }
    cs_error err = {0};
    cs_scenario *s = NULL;
    cs_calibration *c = NULL;
    char *source = NULL;
    double *ll = NULL, *sums = NULL, *one = NULL, *values = NULL;
    cs_unc_work *w = NULL;
    int st = cs_scenario_load(o.scenario, &s, &err);
    if (st == CS_OK)
        st = cs_calibration_file_load(o.cal, &c, &source, &err);
    if (st == CS_OK && (c->dim != s->n_uncertain_values || c->n_targets != s->n_targets))
        st = cs_error_set(&err, CS_EUSAGE, "%s was not made from %s", o.cal, o.scenario);
    size_t p = st == CS_OK ? (o.have_point ? o.point : heaviest(c)) : 0;
    if (st == CS_OK && p >= c->n_points)
        st = cs_error_set(&err, CS_EUSAGE, "--point %zu: the file has %zu points", p, c->n_points);
    size_t T = s ? s->n_targets : 0, row = T * CS_TARGET_SUMS;
    if (st == CS_OK) {
        ll = malloc(o.n * T * sizeof *ll);
        sums = malloc(row * sizeof *sums);
        one = malloc(row * sizeof *one);
        values = malloc(c->dim * sizeof *values);
        w = cs_unc_work_alloc(s->uncertain_set);
        if (!ll || !sums || !one || !values || !w)
            st = cs_error_set(&err, CS_ENOMEM, "out of memory");
    }
    /* the file keeps each point's z; its values are the prior's map of it */
    if (st == CS_OK)
        st = cs_unc_from_normal(s->uncertain_set, w, c->z + p * c->dim, values, &err);
    if (st == CS_OK)
        printf("point %zu of %zu (weight %.4g, log-likelihood %.3f in the calibration), "
               "%zu simulations at --scale %llu\n",
               p, c->n_points, c->weight[p], c->loglik[p], o.n, (unsigned long long)o.scale);
    for (size_t j = 0; st == CS_OK && j < o.n; j++) {
        st = simulate(s, values, o.scale, j, sums, one, &err);
        for (size_t t = 0; st == CS_OK && t < T; t++)
            ll[j * T + t] =
                cs_target_loglik(&s->targets[t], sums + t * CS_TARGET_SUMS, (double)o.scale);
    }
    if (st == CS_OK)
        st = report(s, ll, o.n, &err);
    if (st != CS_OK)
        fprintf(stderr, "loglik_noise: %s", err.text);
    free(ll);
    free(sums);
    free(one);
    free(values);
    cs_unc_work_free(w);
    free(source);
    cs_calibration_free(c);
    cs_scenario_free(s);
    return st == CS_OK ? 0 : 1;
}
