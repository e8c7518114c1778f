/*
 * casesim/engine.h — the discrete-event simulation of one variant, and the
 * parallel driver over (variant, replicate) pairs.
 *
 * cs_model is a variant's scenario compiled into flat tables for the hot
 * loop. cs_sim_replicate runs one replicate of one model; every random number
 * comes from streams keyed by (seed, replicate, group, incident, track)
 * (casesim/rng.h), so its results do not depend on the thread running it and
 * every variant meets the same incidents (common random numbers).
 */
#ifndef CASESIM_ENGINE_H
#define CASESIM_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "casesim/error.h"
#include "casesim/measures.h"
#include "casesim/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cs_model cs_model;

/* Compiles one variant's scenario (a cs_variant's scenario, or a base
 * scenario) into a model. The model keeps a pointer to s: s must outlive it.
 * Returns CS_OK, CS_ENOMEM or CS_EINVAL (with err). */
int cs_model_compile(const cs_scenario *s, cs_model **out, cs_error *err);

/* Frees m. NULL is a no-op. */
void cs_model_free(cs_model *m);

/* Runs replicate `replicate` of model m with master seed `seed` and fills out
 * (allocated for m's dimensions; it is reset first). With case_records, also
 * appends one cs_case_record per cohort incident to out->cases. Safe to call
 * concurrently on the same model with different outputs. Returns CS_OK,
 * CS_ENOMEM, or CS_EINTERRUPTED if *stop became non-zero (out is then invalid). */
int cs_sim_replicate(const cs_model *m, uint64_t seed, uint64_t replicate, bool case_records,
                     volatile sig_atomic_t *stop, cs_replicate_result *out, cs_error *err);

/* Receives finished results, one (variant, replicate) at a time, from one
 * thread at a time, in increasing replicate order and, within a replicate, in
 * increasing variant order; a replicate's results all arrive before the
 * next replicate's. Return CS_OK to go on; any other status stops the run and
 * is returned by cs_sim_run. */
typedef int (*cs_result_sink)(void *ctx, const cs_replicate_result *r, cs_error *err);

typedef struct cs_run_config {
    uint64_t seed;
    uint64_t first_replicate; /* replicates first .. first + n - 1 */
    uint64_t n_replicates;
    int threads;                     /* 0: OpenMP's default */
    size_t n_variants;               /* variants to run; 0 with variants NULL: all */
    const size_t *variants;          /* indices into scenario->variants, increasing */
    uint64_t case_record_replicates; /* records for replicates < first + this */
    uint64_t replicate_stride;       /* 0 or 1: replicates first, first + 1, ...; s > 1:
                                        first, first + s, ..., first + (n - 1) s (one MPI
                                        rank's share; see casesim/engine_mpi.h) */
    volatile sig_atomic_t *stop;     /* polled; non-zero stops the run (may be NULL) */
    cs_result_sink sink;
    void *sink_ctx;
} cs_run_config;

/* Runs every selected (variant, replicate) pair of scenario s in parallel with
 * OpenMP and hands the results to cfg->sink in the order stated above. Memory
 * is bounded by the threads' in-flight work, not by the replicate count.
 * Returns CS_OK; CS_EINTERRUPTED when stopped (every replicate delivered before
 * is complete); or the first error of a replicate or of the sink. */
int cs_sim_run(const cs_scenario *s, const cs_run_config *cfg, cs_error *err);

#ifdef __cplusplus
}
#endif
#endif
