/*
 * result_hash.c — a fingerprint of everything a run computes, for checking
 * that an optimisation of the engine changes no result.
 *
 * Usage: result_hash SCENARIO.yaml [REPLICATES [SEED]]
 *
 * Runs every variant of the scenario (default 2 replicates, seed 99, two
 * threads, case records for the first replicate) and prints a 64-bit FNV-1a
 * hash of every array of every result (measures, outcome counts, stage
 * entries, stage statistics, backlog, period counts, events, incidents, case
 * records), in delivery order. Run it before and after a change to the
 * engine: the same hash means the same bits. (Results do not depend on the
 * thread count, so neither does the hash.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "casesim/engine.h"

static void fnv(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        *h ^= c[i];
        *h *= UINT64_C(1099511628211);
    }
}

static int sink(void *ctx, const cs_replicate_result *r, cs_error *err)
{
    (void)err;
    uint64_t *h = ctx;
    const cs_result_dims *d = &r->dims;
    size_t G = d->n_groups + 1;
    fnv(h, r->measures, G * d->n_measures * sizeof *r->measures);
    fnv(h, r->outcome_counts, G * d->n_outcomes * sizeof *r->outcome_counts);
    fnv(h, r->stage_entries, G * d->n_stages * sizeof *r->stage_entries);
    fnv(h, r->stage_stats, d->n_stages * CS_SS_COUNT * sizeof *r->stage_stats);
    fnv(h, r->backlog, d->n_stages * d->n_months * sizeof *r->backlog);
    fnv(h, r->period_entries, d->n_years * d->n_stages * sizeof *r->period_entries);
    fnv(h, r->period_outcomes, d->n_years * d->n_outcomes * sizeof *r->period_outcomes);
    fnv(h, &r->events, sizeof r->events);
    fnv(h, &r->incidents_total, sizeof r->incidents_total);
    for (size_t i = 0; i < r->n_cases; i++) {
        const cs_case_record *c = &r->cases[i];
        /* Field by field: the struct's padding bytes are not results. */
        fnv(h, &c->replicate, sizeof c->replicate);
        fnv(h, &c->group, sizeof c->group);
        fnv(h, &c->incident, sizeof c->incident);
        fnv(h, &c->arrival_day, sizeof c->arrival_day);
        fnv(h, &c->violation, sizeof c->violation);
        fnv(h, &c->well_founded, sizeof c->well_founded);
        fnv(h, &c->evidence, sizeof c->evidence);
        fnv(h, &c->end_day, sizeof c->end_day);
        fnv(h, &c->n_tracks, sizeof c->n_tracks);
        fnv(h, &c->outcome_mask, sizeof c->outcome_mask);
    }
    return CS_OK;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s SCENARIO.yaml [REPLICATES [SEED]]\n", argv[0]);
        return 2;
    }
    static cs_error err;
    cs_error_clear(&err);
    cs_scenario *s = NULL;
    if (cs_scenario_load(argv[1], &s, &err) != CS_OK) {
        fputs(err.text, stderr);
        return 2;
    }
    uint64_t h = UINT64_C(14695981039346656037);
    cs_run_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.n_replicates = argc > 2 ? strtoull(argv[2], NULL, 10) : 2;
    cfg.seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 99;
    cfg.threads = 2;
    cfg.case_record_replicates = 1;
    cfg.sink = sink;
    cfg.sink_ctx = &h;
    int rc = cs_sim_run(s, &cfg, &err);
    if (rc != CS_OK) {
        fputs(err.text, stderr);
        cs_scenario_free(s);
        return 1;
    }
    printf("%016llx  %s (%llu replicates, seed %llu, every variant)\n", (unsigned long long)h,
           argv[1], (unsigned long long)cfg.n_replicates, (unsigned long long)cfg.seed);
    cs_scenario_free(s);
    return 0;
}
