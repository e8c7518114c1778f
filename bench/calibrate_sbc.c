/*
 * calibrate_sbc.c — simulation-based calibration of `casesim calibrate`
 * (bench/README.md, "Calibration").
 *
 *   calibrate_sbc SCENARIO N [--ess E] [--scale K] [--threads T] [--common-seeds]
 *
 * For data set j = 0 .. N-1: true inputs drawn from the prior (z from the
 * keyed stream seed, CALIBRATION, replicate j, group 3), one replicate of
 * the baseline at those inputs (seed + 1, replicate j: streams the
 * calibration never uses) gives every target's observed figure, the
 * scenario is calibrated against them (seed + j), and the truth's position
 * in each input's weighted posterior (its PIT) is recorded. If the
 * posterior is right, every PIT is uniform on (0, 1): the 95% intervals
 * cover the truth 95% of the time. Prints the coverage per input and over
 * all, with its binomial standard error, and the PITs' histogram in tenths.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "casesim/calibrate.h"
#include "casesim/rng.h"

/* Data set j's true z (N(0, 1) coordinates) and values. */
static int truth(const cs_scenario *s, uint64_t j, double *z, double *values, cs_error *err)
{
    cs_stream_key key = {
        .seed = s->seed, .purpose = CS_STREAM_CALIBRATION, .replicate = j, .group = 3};
    cs_pcg32 g;
    cs_pcg32_from_key(&g, &key);
    for (size_t d = 0; d < s->n_uncertain_values; d++)
        z[d] = gsl_cdf_ugaussian_Pinv(cs_pcg32_uniform_pos(&g));
    cs_unc_work *w = cs_unc_work_alloc(s->uncertain_set);
    int st = w ? cs_unc_from_normal(s->uncertain_set, w, z, values, err) : CS_ENOMEM;
    cs_unc_work_free(w);
    return st;
}

/* Sets s's targets to data set j's synthetic figures; false if one is
 * undefined (the data set is skipped). */
static int observe(cs_scenario *s, const double *values, uint64_t j, bool *ok, cs_error *err)
{
    double *sums = calloc(s->n_targets * CS_TARGET_SUMS, sizeof *sums);
    if (!sums)
        return CS_ENOMEM;
    int st = cs_calibrate_synthetic(s, values, s->seed + 1, j, sums, err);
    *ok = st == CS_OK;
    for (size_t t = 0; *ok && t < s->n_targets; t++)
        *ok = cs_target_observe(&s->targets[t], sums + t * CS_TARGET_SUMS);
    free(sums);
    return st;
}

/* The options after SCENARIO N into cfg. */
static void take_options(int argc, char **argv, cs_calibrate_config *cfg)
{
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--common-seeds"))
            cfg->common_seeds = true;
        else if (i + 1 == argc)
            break;
        else if (!strcmp(argv[i], "--ess"))
            cfg->target_ess = atof(argv[++i]);
        else if (!strcmp(argv[i], "--scale"))
            cfg->scale = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--threads"))
            cfg->threads = atoi(argv[++i]);
    }
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (argc < 3) {
        fprintf(stderr, "usage: calibrate_sbc SCENARIO N [--ess E] [--scale K] [--threads T] "
                        "[--common-seeds]\n");
        return 2;
    }
    static cs_error err;
    cs_scenario *s = NULL;
    if (cs_scenario_load(argv[1], &s, &err) != CS_OK) {
        fprintf(stderr, "%s\n", err.text);
        return 2;
    }
    cs_calibrate_config cfg;
    cs_calibrate_config_default(&cfg, s);
    uint64_t n = strtoull(argv[2], NULL, 10);
    take_options(argc, argv, &cfg);
    size_t D = s->n_uncertain_values, used = 0, covered_all = 0;
    size_t *covered = calloc(D, sizeof *covered), hist[10] = {0};
    double *z = calloc(D, sizeof *z), *values = calloc(D, sizeof *values);
    int rc = covered && z && values ? 0 : 1;
    for (uint64_t j = 0; j < n && rc == 0; j++) {
        bool ok;
        if (truth(s, j, z, values, &err) != CS_OK || observe(s, values, j, &ok, &err) != CS_OK) {
            fprintf(stderr, "data set %llu: %s\n", (unsigned long long)j, err.text);
            rc = 1;
            break;
        }
        if (!ok)
            continue;
        cfg.seed = s->seed + 2 + j;
        cs_calibration *c = NULL;
        cs_error_clear(&err);
        if (cs_calibrate_run(s, &cfg, &c, &err) != CS_OK) {
            fprintf(stderr, "data set %llu: %s\n", (unsigned long long)j, err.text);
            rc = 1;
            break;
        }
        used++;
        for (size_t d = 0; d < D; d++) {
            double pit = 0.0;
            for (size_t i = 0; i < c->n_points; i++)
                pit += c->values[i * D + d] < values[d] ? c->weight[i] : 0.0;
            bool in = pit > 0.025 && pit < 0.975;
            covered[d] += in;
            covered_all += in;
            hist[pit >= 1.0 ? 9 : (size_t)(pit * 10)]++;
        }
        printf("data set %llu: ESS %.0f, %zu evaluations\n", (unsigned long long)j, c->ess,
               c->n_points);
        cs_calibration_free(c);
    }
    for (size_t d = 0; d < D && used > 0; d++)
        printf("%-24s coverage of the 95%% interval %.3f (%zu of %zu)\n",
               d < cs_unc_set_entries(s->uncertain_set) ? cs_unc_set_label(s->uncertain_set, d)
                                                        : "?",
               (double)covered[d] / (double)used, covered[d], used);
    if (used > 0) {
        double p = (double)covered_all / (double)(used * D);
        printf("all inputs: coverage %.3f +- %.3f (binomial SE; %zu PITs)\nPIT histogram:", p,
               sqrt(0.95 * 0.05 / (double)(used * D)), used * D);
        for (size_t b = 0; b < 10; b++)
            printf(" %zu", hist[b]);
        printf("\n");
    }
    free(covered);
    free(z);
    free(values);
    cs_scenario_free(s);
    return rc;
}
