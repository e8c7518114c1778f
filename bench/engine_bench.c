/*
 * engine_bench.c — the engine's throughput: cs_sim_run on one variant of a
 * scenario with T threads and a sink that only adds up counters (no results
 * file), so that the figure is the simulation's alone.
 *
 * Usage: engine_bench SCENARIO.yaml [--replicates N] [--threads T]
 *                                   [--seed S] [--variant NAME] [--stages]
 *                                   [--tallies]
 *
 * --variant all runs every variant (baseline, interventions, bundles), as
 * `casesim run` does. Prints one line of key=value pairs: incidents simulated over the whole
 * horizon (result->incidents_total), discrete events, stage entries (all
 * incidents, from the period counts: comparable with the floor's visits),
 * the wall and CPU time of cs_sim_run (models compiled inside it included; scenario
 * loading excluded), incidents and events per second, and incidents per
 * second per thread. --stages also prints replicate 0's stage statistics
 * (entries, mean wait, utilisation, mean queue, deadline losses) on stderr,
 * to see whether a scenario's queues are congested. --tallies keeps the
 * extra tallies of calibration targets (durations, counts by kind), to
 * measure what they cost when a target needs them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "casesim/engine.h"

#ifndef CS_BENCH_FLAGS
#define CS_BENCH_FLAGS "unknown"
#endif

typedef struct totals {
    unsigned long long incidents, events, entries;
    size_t peak_tracks, peak_events;
    const cs_scenario *stages; /* print replicate 0's stage statistics (--stages) */
} totals;

/* Replicate 0's stage statistics on stderr: whether queues are congested. */
static void print_stages(const cs_scenario *s, const cs_replicate_result *r)
{
    fprintf(stderr, "%-22s %10s %10s %10s %10s %10s\n", "stage", "entries", "mean_wait",
            "utilisation", "mean_queue", "losses");
    for (size_t i = 0; i < r->dims.n_stages; i++) {
        const double *y = &r->stage_stats[i * CS_SS_COUNT];
        fprintf(stderr, "%-22s %10.0f %10.2f %10.3f %10.1f %10.0f\n", s->stages[i].name,
                y[CS_SS_ENTRIES], y[CS_SS_MEAN_WAIT], y[CS_SS_UTILISATION], y[CS_SS_MEAN_QUEUE],
                y[CS_SS_DEADLINE_LOSSES]);
    }
}

/* Called by one thread at a time (engine.h), so no locking is needed. */
static int sink(void *ctx, const cs_replicate_result *r, cs_error *err)
{
    (void)err;
    totals *t = ctx;
    t->incidents += r->incidents_total;
    t->events += r->events;
    size_t n = r->dims.n_years * r->dims.n_stages;
    for (size_t i = 0; i < n; i++)
        t->entries += (unsigned long long)r->period_entries[i];
    if (r->peak_tracks > t->peak_tracks)
        t->peak_tracks = r->peak_tracks;
    if (r->peak_events > t->peak_events)
        t->peak_events = r->peak_events;
    if (t->stages && r->replicate == 0)
        print_stages(t->stages, r);
    return CS_OK;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* User plus system CPU time of the process so far (all threads). */
static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static int usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s SCENARIO.yaml [--replicates N] [--threads T] [--seed S] "
            "[--variant NAME] [--stages] [--tallies]\n",
            prog);
    return 2;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    const char *path = NULL, *variant = "baseline";
    long long reps = -1, seed = -1;
    int threads = 1;
    bool stages = false;
    unsigned tallies = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--replicates") && i + 1 < argc)
            reps = strtoll(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoll(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--variant") && i + 1 < argc)
            variant = argv[++i];
        else if (!strcmp(argv[i], "--stages"))
            stages = true;
        else if (!strcmp(argv[i], "--tallies"))
            tallies = CS_TALLY_DURATIONS | CS_TALLY_KINDS;
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else
            return usage(argv[0]);
    }
    if (!path || threads < 1)
        return usage(argv[0]);
    static cs_error err;
    cs_error_clear(&err);
    cs_scenario *s = NULL;
    if (cs_scenario_load(path, &s, &err) != CS_OK) {
        fputs(err.text, stderr);
        return 2;
    }
    bool all = !strcmp(variant, "all");
    long v = all ? 0 : cs_scenario_find_variant(s, variant);
    if (v < 0) {
        fprintf(stderr, "engine_bench: no variant %s\n", variant);
        cs_scenario_free(s);
        return 2;
    }
    size_t vi = (size_t)v;
    totals t;
    memset(&t, 0, sizeof t);
    t.stages = stages ? s->variants[vi].scenario : NULL;
    cs_run_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.seed = seed >= 0 ? (uint64_t)seed : s->seed;
    cfg.first_replicate = 0;
    cfg.n_replicates = reps > 0 ? (uint64_t)reps : s->replicates;
    cfg.threads = threads;
    cfg.n_variants = all ? 0 : 1; /* 0 with NULL: every variant */
    cfg.variants = all ? NULL : &vi;
    cfg.sink = sink;
    cfg.sink_ctx = &t;
    cfg.tallies = tallies;
    double c0 = cpu_seconds();
    double t0 = seconds_now();
    int rc = cs_sim_run(s, &cfg, &err);
    double secs = seconds_now() - t0;
    double cpu = cpu_seconds() - c0;
    if (rc != CS_OK) {
        fputs(err.text, stderr);
        cs_scenario_free(s);
        return 1;
    }
    printf("engine scenario=%s variant=%s replicates=%llu threads=%d incidents=%llu events=%llu "
           "entries=%llu peak_tracks=%zu peak_events=%zu seconds=%.6f cpu_seconds=%.6f "
           "ns_per_incident=%.2f "
           "incidents_per_s=%.0f incidents_per_s_per_thread=%.0f events_per_s=%.0f "
           "flags=\"%s\"\n",
           s->name, variant, (unsigned long long)cfg.n_replicates, threads, t.incidents, t.events,
           t.entries, t.peak_tracks, t.peak_events, secs, cpu,
           t.incidents ? secs * 1e9 / (double)t.incidents : 0.0,
           secs > 0 ? (double)t.incidents / secs : 0.0,
           secs > 0 ? (double)t.incidents / secs / threads : 0.0,
           secs > 0 ? (double)t.events / secs : 0.0, CS_BENCH_FLAGS);
    cs_scenario_free(s);
    return 0;
}
