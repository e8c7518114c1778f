/*
 * throughput.c — incidents simulated per second by cs_sim_run.
 *
 *   cs_bench_throughput SCENARIO.yaml [REPLICATES [THREADS [VARIANT]]]
 *
 * Runs REPLICATES replicates (default 4) of one variant (default the
 * baseline) with THREADS threads (default 1) and prints the incidents
 * simulated, the events processed, the wall time and incidents per second.
 */
#include <gsl/gsl_errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/engine.h"

typedef struct totals {
    unsigned long long incidents, events;
    size_t peak_tracks;
} totals;

static int sink(void *ctx, const cs_replicate_result *r, cs_error *err)
{
    (void)err;
    totals *t = ctx;
    t->incidents += r->incidents_total;
    t->events += r->events;
    if (r->peak_tracks > t->peak_tracks)
        t->peak_tracks = r->peak_tracks;
    return CS_OK;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (argc < 2) {
        fprintf(stderr, "usage: %s SCENARIO.yaml [REPLICATES [THREADS [VARIANT]]]\n", argv[0]);
        return 2;
    }
    uint64_t reps = argc > 2 ? strtoull(argv[2], NULL, 10) : 4;
    int threads = argc > 3 ? atoi(argv[3]) : 1;
    cs_error err;
    cs_error_clear(&err);
    cs_scenario *s = NULL;
    if (cs_scenario_load(argv[1], &s, &err) != CS_OK) {
        fprintf(stderr, "%s", err.text);
        return 2;
    }
    size_t variant = 0;
    if (argc > 4) {
        long v = cs_scenario_find_variant(s, argv[4]);
        if (v < 0) {
            fprintf(stderr, "no variant %s\n", argv[4]);
            cs_scenario_free(s);
            return 2;
        }
        variant = (size_t)v;
    }
    totals t = {0, 0, 0};
    cs_run_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.seed = s->seed;
    cfg.n_replicates = reps;
    cfg.threads = threads;
    cfg.n_variants = 1;
    cfg.variants = &variant;
    cfg.sink = sink;
    cfg.sink_ctx = &t;
    double t0 = omp_get_wtime();
    int rc = cs_sim_run(s, &cfg, &err);
    double dt = omp_get_wtime() - t0;
    if (rc != CS_OK) {
        fprintf(stderr, "%s", err.text);
        cs_scenario_free(s);
        return 1;
    }
    printf("%s: %llu replicates, %d threads: %llu incidents, %llu events, %.3f s, "
           "%.3g incidents/s, %.3g events/s, peak tracks %zu\n",
           argv[1], (unsigned long long)reps, threads, t.incidents, t.events, dt,
           (double)t.incidents / dt, (double)t.events / dt, t.peak_tracks);
    cs_scenario_free(s);
    return 0;
}
