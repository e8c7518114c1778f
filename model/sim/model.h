/*
 * sim/model.h — the compiled model: a variant's scenario flattened into
 * the tables the engine's hot loop reads (private to model.c, engine.c and
 * work.c; the public handle is the opaque cs_model of casesim/engine.h).
 *
 * Indices: g group (< n_groups), k violation kind (< n_violations), m merit
 * (0 unfounded, 1 well-founded), s stage, b branch within its stage.
 */
#ifndef CASESIM_MODEL_INTERNAL_H
#define CASESIM_MODEL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "casesim/engine.h"
#include "casesim/scenario.h"

/* A target of a branch: stage index s >= 0, or outcome o as -(o + 1). */
typedef int32_t cs_mtarget;

/* What a stage does with the cases of one (group, kind): their duration
 * law and their deadline. */
typedef struct cs_mcase {
    cs_duration_kind dur; /* duration sampler */
    double dur_a, dur_b;  /* its parameters (see cs_duration; weibull stored as gsl wants) */
    bool has_deadline;
    bool deadline_from_stage;
    double deadline_days;
    int32_t deadline_outcome;
} cs_mcase;

/* One stage, flattened. */
typedef struct cs_mstage {
    bool has_capacity; /* has_staff: at most `capacity` tracks in service, others queue */
    uint64_t capacity; /* places (valid when has_capacity) */
    /* The cs_mcase of group g and kind k is cases[case0 + g * case_g + k *
     * case_k]: one entry (strides 0) unless the scenario gives durations or
     * deadlines per group or per kind. */
    size_t case0;
    uint32_t case_g, case_k;
    bool has_deadline; /* some case has a deadline here */
    uint32_t max_visits;
    int32_t visit_slot; /* slot in a track's visit counters, or -1 if max_visits == 1 */
    bool priority;      /* queue by violation priority */
    bool has_slope;     /* some branch has a non-zero evidence slope */
    uint32_t n_branches;
    size_t branch0; /* index of branch 0 in the per-branch arrays */
    size_t table0;  /* offset of this stage in odds[] and cum[] */
} cs_mstage;

/* Everything the engine reads, owned by the model: it keeps no pointer to the
 * scenario it was compiled from. */
struct cs_model {
    cs_result_dims dims; /* the shapes of its results */
    unsigned tallies;    /* extra tallies (CS_TALLY_*) for calibration targets; 0: none */
    size_t n_groups, n_kinds, n_stages, n_outcomes, n_categories;
    size_t entry_stage;
    char **stage_names; /* [S], for messages */

    /* Time, in days. */
    double t_warmup;     /* cohort window starts */
    double t_cohort_end; /* cohort window ends */
    double t_end;        /* end of the run */
    double month_days, year_days;

    /* Incidents. */
    double *rate_per_day;        /* [G] Poisson arrival rate */
    double *kind_cum;            /* [G][V] cumulative kind shares (last = 1) */
    double *well_founded;        /* [V] */
    uint8_t *kind_rank;          /* [V] priority rank (0 = served first) */
    uint32_t n_ranks;            /* distinct priorities */
    double beta_a[2], beta_b[2]; /* evidence Beta by merit (0 unfounded, 1 well-founded) */

    /* Stages and branches. */
    cs_mstage *stages;  /* [S] */
    cs_mcase *cases;    /* see cs_mstage */
    uint8_t *reference; /* [S][V] each kind's reference branch at each stage */
    uint8_t *last_open; /* [S][V] the last branch that applies to the kind */
    size_t n_visit_slots;
    size_t n_branches_total;
    double *slope;       /* [branch] evidence slope */
    uint32_t *n_to;      /* [branch] targets */
    size_t *to0;         /* [branch] index of its first target in targets[] */
    cs_mtarget *targets; /* all branches' targets */
    /* Per stage, over (g, k, m, b) with b fastest: table0 + ((g*V + k)*2 + m)*nb + b.
     * odds: base odds (p_b/p_ref) * OR_kind * OR_unfounded (reference: 1).
     * cum: cumulative branch probabilities without the evidence term. */
    double *odds;
    double *cum;

    /* Outcomes. */
    uint64_t accountability_mask; /* bit o: outcome o counts as accountability */
    uint64_t redress_mask;
    uint64_t *category_mask; /* [C] outcomes of each category */

    /* Time and feedback (sim/dynamics.h); NULL: a system that stands still. */
    struct cs_mdyn *dyn;
};

/* cs_sim_replicate_ws for a model that asks for tallies (m->tallies != 0):
 * the build of the engine that keeps them (engine_tallies.c). */
int cs_sim_replicate_tallied_ws(cs_sim_workspace *w, const cs_model *m, uint64_t seed,
                                uint64_t replicate, bool case_records, volatile sig_atomic_t *stop,
                                cs_replicate_result *out, cs_error *err);

#endif
