/*
 * result_hash.c — a fingerprint of everything a run computes, for checking
 * that an optimisation of the engine changes no result.
 *
 * Usage: result_hash [--per-array] SCENARIO.yaml [REPLICATES [SEED [THREADS]]]
 *
 * Runs every variant of the scenario (default 2 replicates, seed 99, two
 * threads, case records for the first replicate) and prints a 64-bit FNV-1a
 * hash of every array of every result — the per-replicate arrays of the
 * results schema (casesim/schema.h) in the table's order, then the events,
 * the incidents and the case records — in delivery order. Run it before and
 * after a change to the engine: the same hash means the same bits. (Results
 * do not depend on the thread count, so neither does the hash.) An array
 * added to the schema is hashed too; --per-array also prints one hash per
 * array, to show that a change left the other arrays as they were.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "casesim/engine.h"

#define FNV_OFFSET UINT64_C(14695981039346656037)

typedef struct hashes {
    uint64_t all;
    uint64_t array[CS_SCHEMA_N_ARRAYS]; /* per array, with --per-array */
} hashes;

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
    hashes *hs = ctx;
    uint64_t *h = &hs->all;
    /* The arrays (not the per-replicate values, hashed below as before). */
    for (size_t k = 0; k < CS_SCHEMA_N_ARRAYS; k++) {
        const cs_schema_array *a = &cs_schema_arrays[k];
        size_t n = 0;
        if (a->scalar || !cs_schema_array_count(a, &r->dims, &n))
            continue;
        fnv(h, cs_schema_array_cdata(a, r), n * a->size);
        fnv(&hs->array[k], cs_schema_array_cdata(a, r), n * a->size);
    }
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
    int per_array = argc > 1 && strcmp(argv[1], "--per-array") == 0;
    argc -= per_array;
    argv += per_array;
    if (argc < 2 || argc > 5) {
        fprintf(stderr,
                "usage: result_hash [--per-array] SCENARIO.yaml [REPLICATES [SEED [THREADS]]]\n");
        return 2;
    }
    static cs_error err;
    cs_error_clear(&err);
    cs_scenario *s = NULL;
    if (cs_scenario_load(argv[1], &s, &err) != CS_OK) {
        fputs(err.text, stderr);
        return 2;
    }
    hashes h = {.all = FNV_OFFSET};
    for (size_t k = 0; k < CS_SCHEMA_N_ARRAYS; k++)
        h.array[k] = FNV_OFFSET;
    cs_run_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.n_replicates = argc > 2 ? strtoull(argv[2], NULL, 10) : 2;
    cfg.seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 99;
    cfg.threads = argc > 4 ? atoi(argv[4]) : 2;
    if (cfg.threads < 1) {
        fprintf(stderr, "result_hash: THREADS must be at least 1\n");
        cs_scenario_free(s);
        return 2;
    }
    cfg.case_record_replicates = 1;
    cfg.sink = sink;
    cfg.sink_ctx = &h;
    int rc = cs_sim_run(s, &cfg, &err);
    if (rc != CS_OK) {
        fputs(err.text, stderr);
        cs_scenario_free(s);
        return 1;
    }
    printf("%016llx  %s (%llu replicates, seed %llu, every variant, %d threads)\n",
           (unsigned long long)h.all, argv[1], (unsigned long long)cfg.n_replicates,
           (unsigned long long)cfg.seed, cfg.threads);
    for (size_t k = 0; per_array && k < CS_SCHEMA_N_ARRAYS; k++)
        if (!cs_schema_arrays[k].scalar)
            printf("%016llx    %s\n", (unsigned long long)h.array[k], cs_schema_arrays[k].name);
    cs_scenario_free(s);
    return 0;
}
