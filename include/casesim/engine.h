/*
 * casesim/engine.h — the discrete-event simulation of one variant, and the
 * parallel driver over (variant, replicate) pairs.
 *
 * cs_model is a variant's scenario compiled into flat tables for the hot
 * loop. cs_sim_replicate runs one replicate of one model; every random number
 * comes from streams keyed by (seed, replicate, group, incident, track)
 * (casesim/rng.h), so its results do not depend on the thread running it and
 * every variant meets the same incidents (common random numbers).
 *
 * Points. A scenario with uncertain inputs (`uncertain:`) is run at a
 * "point" per replicate: a vector of values of those inputs. What point
 * replicate r uses, and its values, come from a cs_point_source: prior draws
 * (casesim run: draw floor(r / k)), a design or a table of points
 * (sensitivity designs, calibration waves, posterior draws). The driver
 * instantiates the scenario at each point (cs_scenario_instantiate) and
 * compiles its variants once per point, sharing them among the threads,
 * with memory bounded by the threads (not by the points). Every variant of a
 * replicate runs at the same point and with the same random streams (common
 * random numbers). Without a source every replicate runs the scenario as
 * written (its uncertain numbers at the scenario's own values).
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
 * scenario) into a model. The model copies what it needs: s may be freed
 * after. Returns CS_OK, CS_ENOMEM or CS_EINVAL (with err). */
int cs_model_compile(const cs_scenario *s, cs_model **out, cs_error *err);

/* Frees m. NULL is a no-op. */
void cs_model_free(cs_model *m);

/* Asks model m to keep the extra tallies `which` (CS_TALLY_*, casesim/
 * measures.h; 0: none, the default) in every result it fills: only runs
 * whose targets need them pay for them. cs_sim_replicate allocates them in
 * its result when missing (and fails with CS_ENOMEM if it cannot). */
void cs_model_set_tallies(cs_model *m, unsigned which);

/* Runs replicate `replicate` of model m with master seed `seed` and fills out
 * (allocated for m's dimensions; it is reset first). With case_records, also
 * appends one cs_case_record per cohort incident to out->cases. Safe to call
 * concurrently on the same model with different outputs. It allocates and
 * frees its engine memory each time: to run many replicates, keep it in a
 * workspace (cs_sim_replicate_ws). Returns CS_OK, CS_ENOMEM, CS_EINVAL (out
 * not of m's dimensions), or CS_EINTERRUPTED if *stop became non-zero (out
 * is then invalid). */
int cs_sim_replicate(const cs_model *m, uint64_t seed, uint64_t replicate, bool case_records,
                     volatile sig_atomic_t *stop, cs_replicate_result *out, cs_error *err);

/* A thread's engine memory, kept from one replicate to the next: the event
 * queue, the case and track pools, the tallies and the scratch rows a
 * replicate uses. It is sized by the first replicate run in it, grown when
 * a later one needs more (so it follows the cases in flight, not the
 * horizon) and emptied, not freed, between replicates, so that a thread
 * running many replicates allocates (and the system maps) its memory once.
 * A workspace may run any model, one replicate at a time: one per thread.
 * Results do not depend on what a workspace ran before. */
typedef struct cs_sim_workspace cs_sim_workspace;

/* A new, empty workspace into *out (the caller owns it; free it with
 * cs_sim_workspace_free). Returns CS_OK, or CS_ENOMEM with *out NULL. */
int cs_sim_workspace_alloc(cs_sim_workspace **out, cs_error *err);

/* Frees w and all its memory. NULL is a no-op. */
void cs_sim_workspace_free(cs_sim_workspace *w);

/* cs_sim_replicate in workspace w (used by one thread at a time): the same
 * results bit for bit, without allocating what w already holds. w stays
 * usable after any return, errors included. */
int cs_sim_replicate_ws(cs_sim_workspace *w, const cs_model *m, uint64_t seed, uint64_t replicate,
                        bool case_records, volatile sig_atomic_t *stop, cs_replicate_result *out,
                        cs_error *err);

/* Receives finished results, one (variant, replicate) at a time, from one
 * thread at a time, in increasing replicate order and, within a replicate, in
 * increasing variant order; a replicate's results all arrive before the
 * next replicate's. Return CS_OK to go on; any other status stops the run and
 * is returned by cs_sim_run. */
typedef int (*cs_result_sink)(void *ctx, const cs_replicate_result *r, cs_error *err);

/* Where the replicates' points come from (see the top of this file). The
 * functions are called from any thread, concurrently, and must depend only
 * on their arguments and ctx (never on the thread or the order of calls), so
 * that results are bit-identical for any thread count, MPI rank count or
 * split into replicate ranges. */
typedef struct cs_point_source {
    size_t n_values; /* values per point: the scenario's n_uncertain_values */
    /* The point replicate r uses. Replicates with the same point share its
     * compiled models. */
    uint64_t (*point_of)(const void *ctx, uint64_t replicate);
    /* The replicate whose random streams replicate r draws from (NULL: r
     * itself). Common random numbers across points: a calibration whose
     * every point runs in the same K replicates maps r to r mod K. The
     * result keeps r as its replicate number, so sinks still tell the runs
     * apart; only the random streams are shared. */
    uint64_t (*streams_of)(const void *ctx, uint64_t replicate);
    /* Scratch state for one thread (NULL: the source needs none), freed
     * with thread_free; both may be NULL. */
    void *(*thread_alloc)(const void *ctx);
    void (*thread_free)(void *state);
    /* Writes the n_values values of point p; state is the calling thread's.
     * Returns CS_OK, or an error status with err. */
    int (*values)(const void *ctx, void *state, uint64_t point, double *values, cs_error *err);
    const void *ctx;
} cs_point_source;

/* Prior draws of the scenario's uncertain inputs (casesim run): replicate r
 * uses draw floor(r / k), k = s->replicates_per_draw, whose values are
 * cs_unc_draw(s->uncertain_set, .., seed, draw) (stream (seed,
 * CS_STREAM_UNCERTAIN, draw), or the Sobol point of that index). */
typedef struct cs_draw_source {
    const cs_unc_set *set;
    uint64_t seed;
    uint64_t replicates_per_draw;
} cs_draw_source;

/* Fills *src (and its context *ctx, which must outlive src) with the prior
 * draws of s (which must have uncertain inputs) under master seed seed. */
void cs_point_source_draws(cs_point_source *src, cs_draw_source *ctx, const cs_scenario *s,
                           uint64_t seed);

/* A table of points (a sensitivity design, a calibration wave, posterior
 * draws): replicate r uses point floor(r / replicates_per_point), whose
 * values are values[p * n_values .. (p + 1) * n_values). A replicate
 * beyond the table is an error (CS_EINVAL). */
typedef struct cs_table_source {
    const double *values; /* [n_points][n_values], read only */
    uint64_t n_points;
    size_t n_values;
    uint64_t replicates_per_point;
} cs_table_source;

/* Fills *src from *ctx (which must outlive src). */
void cs_point_source_table(cs_point_source *src, const cs_table_source *ctx);

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
    /* NULL: every replicate runs the scenario as written (its uncertain
     * numbers, if any, at the scenario's values). Else the source of each
     * replicate's point; its n_values must be the scenario's
     * n_uncertain_values (>= 1). */
    const cs_point_source *points;
    /* Extra tallies every result carries (CS_TALLY_*, casesim/measures.h;
     * 0 in ordinary runs: see cs_model_set_tallies). */
    unsigned tallies;
} cs_run_config;

/* Runs every selected (variant, replicate) pair of scenario s in parallel with
 * OpenMP and hands the results to cfg->sink in the order stated above. Each
 * result carries the values of its point (uncertain_values) and its
 * variant's annual cost there (annual_cost). Memory is bounded by the
 * threads' in-flight work, not by the replicate or point count. A point whose
 * values make the scenario invalid stops the run with CS_EINVAL, the message
 * naming the replicate and the rule broken.
 * Returns CS_OK; CS_EINTERRUPTED when stopped (every replicate delivered before
 * is complete); or the first error of a replicate or of the sink. */
int cs_sim_run(const cs_scenario *s, const cs_run_config *cfg, cs_error *err);

#ifdef __cplusplus
}
#endif
#endif
