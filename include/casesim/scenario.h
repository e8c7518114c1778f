/*
 * casesim/scenario.h — a validated scenario, and the variants it defines.
 *
 * cs_scenario_load reads a YAML scenario file (its format: scenarios/README.md;
 * what it means: docs/MODEL.md), checks every rule, resolves every name to an
 * index, and builds one fully patched and re-validated copy of the scenario
 * per variant: the baseline, each intervention, each bundle. The result is
 * immutable; the engine compiles each variant's scenario into flat tables.
 *
 * Units: time in days except the `time` block (years; one year is
 * CS_DAYS_PER_YEAR days); rates in incidents per year; costs in the scenario's
 * currency per year.
 */
#ifndef CASESIM_SCENARIO_H
#define CASESIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "casesim/calibration.h"
#include "casesim/error.h"
#include "casesim/uncertain.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CS_DAYS_PER_YEAR 365.25 /* Julian year */

/* Size limits, checked by the loader and stated in its errors. */
#define CS_MAX_FILE_BYTES (4u << 20) /* 4 MiB of YAML */
#define CS_MAX_NAME_LEN 64
#define CS_MAX_TEXT_LEN 256 /* the scenario's `name`, a group's `label` */
#define CS_MAX_PATH_LEN 512 /* a change's `path` */
#define CS_MAX_GROUPS 16
#define CS_MAX_VIOLATIONS 32
#define CS_MAX_STAGES 64
#define CS_MAX_BRANCHES 16 /* per stage */
#define CS_MAX_FORK 8      /* targets of one branch */
#define CS_MAX_OUTCOMES 64
#define CS_MAX_INTERVENTIONS 64
#define CS_MAX_BUNDLES 64
#define CS_MAX_CHANGES 64 /* per intervention */
#define CS_MAX_REPLICATES 1000000
#define CS_MAX_VISITS 16
#define CS_MAX_YEARS 200.0 /* warmup + cohort + follow-up */
#define CS_MAX_STAFF 1.0e6
#define CS_MAX_CASELOAD 100000
#define CS_MAX_RATE 1.0e8  /* incidents per year per group */
#define CS_MAX_COST 1.0e15 /* |annual_cost| of an intervention: 64 of them cannot overflow */
#define CS_MAX_YAML_DEPTH 64
#define CS_MAX_CURRENCY_LEN 16              /* the scenario's `currency`, e.g. "GBP" */
#define CS_MAX_UNCERTAIN CS_UNC_MAX_ENTRIES /* entries of `uncertain:` */
#define CS_MAX_CORRELATIONS 4096
#define CS_MAX_REPLICATES_PER_DRAW 10000
/* Variants of one scenario, budget portfolios included (each is a group of
 * the results file and a row of its name lists). */
#define CS_MAX_VARIANTS 4096
#define CS_MAX_WTP_POINTS 10001  /* values of a willingness-to-pay grid */
#define CS_MAX_TARGETS 256       /* entries of `targets:` */
#define CS_MAX_SOURCE_LEN 4096   /* a target's `source` */
#define CS_MAX_POPULATION 1.0e10 /* people in one group */

/* The counterfactual decomposition (cs_scenario_decompose): Shapley shares
 * are exact, over every subset of the stages whose `p` differ between
 * groups, up to CS_DECOMPOSE_EXACT_MAX such stages; beyond, they are
 * estimated from at most CS_DECOMPOSE_PERMUTATIONS sampled orders of the
 * stages, as many as fit in CS_MAX_DECOMPOSITION generated variants. */
#define CS_DECOMPOSE_EXACT_MAX 8
#define CS_DECOMPOSE_PERMUTATIONS 32
#define CS_MAX_DECOMPOSITION 512

typedef enum cs_duration_kind {
    CS_DUR_NONE = 0,    /* instantaneous decision */
    CS_DUR_FIXED,       /* a = days */
    CS_DUR_EXPONENTIAL, /* a = mean */
    CS_DUR_GAMMA,       /* a = shape k, b = scale theta (mean k*theta) */
    CS_DUR_LOGNORMAL,   /* a = mu, b = sigma of the underlying normal */
    CS_DUR_UNIFORM,     /* a = min, b = max */
    CS_DUR_WEIBULL      /* a = shape k, b = scale lambda */
} cs_duration_kind;

/* A duration distribution in canonical parameters (converted from whatever
 * form the file used: gamma {mean, cv} -> k = 1/cv^2, theta = mean*cv^2;
 * lognormal {median, p90} -> mu = ln median, sigma = ln(p90/median)/z_0.9;
 * lognormal {mean, cv} -> sigma^2 = ln(1+cv^2), mu = ln mean - sigma^2/2). */
typedef struct cs_duration {
    cs_duration_kind kind;
    double a, b;
    double mean; /* the distribution's mean in days (0 for NONE) */
} cs_duration;

typedef enum cs_queue_kind { CS_QUEUE_FIFO = 0, CS_QUEUE_PRIORITY } cs_queue_kind;
typedef enum cs_deadline_from { CS_FROM_INCIDENT = 0, CS_FROM_STAGE } cs_deadline_from;

/* A limitation period at a stage, for the cases of one (kind, group). */
typedef struct cs_deadline {
    bool on;               /* false: no deadline for these cases */
    double days;           /* the period, in days (valid when on) */
    cs_deadline_from from; /* counted from the incident or from arrival at the stage */
    size_t outcome;        /* index into outcomes[]: where a case goes when it passes */
} cs_deadline;

/* How a per-case value (a branch's `p`, a stage's `duration` or `deadline`)
 * was written: one value for every case, one per group, one per violation
 * kind, or one per kind and group. */
typedef enum cs_by_case { CS_BY_ALL = 0, CS_BY_GROUP, CS_BY_KIND, CS_BY_KIND_GROUP } cs_by_case;

/* Where a branch (or a deadline) leads: a stage or an outcome. */
typedef struct cs_target {
    bool is_stage;
    size_t index; /* into stages[] or outcomes[] */
} cs_target;

/* A branch of a stage. Cases of kind k and group g take it with
 * probability p_kg[k * n_groups + g] (for a well-founded case with evidence
 * 0.5 and no odds modifiers; see docs/MODEL.md). A branch with `kinds`
 * applies only to those violation kinds: the others never take it (their
 * p_kg is 0). For each kind, exactly one of the branches that apply to it
 * has no `p`: that kind's reference branch, whose p_kg is the rest. */
typedef struct cs_branch {
    size_t n_to;                 /* 1, or >1 for a fork into parallel tracks */
    cs_target *to;               /* [n_to] */
    bool is_reference;           /* the branch without p: for its kinds, probability is the rest */
    uint32_t kinds;              /* bit k: the branch applies to violation kind k */
    bool has_kinds;              /* `kinds` was given (else it applies to every kind) */
    double *p_kg;                /* [n_violations * n_groups]: see above */
    cs_by_case p_by;             /* how `p` was written (CS_BY_ALL for a reference branch) */
    double evidence_slope;       /* log-odds per unit of evidence above 0.5; 0 if absent */
    double unfounded_odds_ratio; /* odds multiplier for unfounded cases; 1 if absent */
    double *kind_odds_ratio;     /* [n_violations]; 1 where not given */
    cs_pos pos;
} cs_branch;

typedef struct cs_stage {
    char *name;
    bool has_staff;    /* false: unlimited capacity, no queue */
    double staff;      /* people (may be fractional after a scale change) */
    uint32_t caseload; /* cases one person carries at once; default 1 */
    uint64_t capacity; /* floor(staff * caseload); valid when has_staff */
    /* Duration and deadline of a case of kind k and group g, at
     * [k * n_groups + g] (the same in every cell unless given per kind or
     * per group). */
    cs_duration *durations; /* [n_violations * n_groups] */
    cs_by_case duration_by;
    cs_deadline *deadlines; /* [n_violations * n_groups] */
    cs_by_case deadline_by;
    bool has_deadline; /* some case has a deadline here */
    cs_queue_kind queue;
    uint32_t max_visits; /* visits a track may make; 1 unless given */
    size_t n_branches;
    cs_branch *branches; /* [n_branches] */
    size_t *reference;   /* [n_violations]: the reference branch of each kind */
    cs_pos pos;
} cs_stage;

typedef struct cs_group {
    char *name;
    char *label;               /* human-readable; equals name if absent */
    double incidents_per_year; /* Poisson rate */
    double population;         /* people in the group, for rates per 100,000; 0 if not given */
    char *population_source;   /* where the population figure comes from; "" if not given */
    cs_pos pos;
} cs_group;

typedef struct cs_violation {
    char *name;
    double *share;       /* [n_groups]; each group's shares sum to 1 */
    double well_founded; /* probability the allegation is true */
    int priority;        /* smaller is served first where queue: priority */
    bool headline;       /* reports give this kind a headline section of its own */
    cs_pos pos;
} cs_violation;

typedef struct cs_evidence {
    double well_founded_a, well_founded_b; /* Beta(a, b) for well-founded incidents */
    double unfounded_a, unfounded_b;       /* Beta(a, b) for unfounded incidents */
} cs_evidence;

typedef struct cs_outcome {
    char *name;
    int category; /* index into categories[] if it counts as accountability, else -1 */
    bool redress; /* counts as redress */
    cs_pos pos;
} cs_outcome;

typedef enum cs_change_op {
    CS_CHANGE_SET = 0, /* set a number (or every number of a mapping) to value */
    CS_CHANGE_SCALE,   /* multiply a number (or every number of a mapping) by value */
    CS_CHANGE_REPLACE, /* set anything else: text (`queue: priority`), a list, a mapping */
    CS_CHANGE_REMOVE   /* remove a key (e.g. a stage's `deadline`) */
} cs_change_op;

struct cs_ynode;

typedef struct cs_change {
    char *path; /* as written, e.g. "stages.investigation.branches[0].p.african_descent" */
    cs_change_op op;
    double value;          /* SET, SCALE */
    struct cs_ynode *node; /* REPLACE: the new value, owned (internal to the loader) */
    char *shown;           /* REPLACE: the new value in one line of flow YAML, for messages */
    cs_pos pos;
} cs_change;

typedef struct cs_intervention {
    char *name;
    char *description; /* "" if absent */
    double annual_cost;
    size_t n_changes;
    cs_change *changes;
    cs_pos pos;
    double starts;     /* days from the start of the run it takes effect (0: from the start) */
    double ramp;       /* days over which it ramps up linearly (0: at once) */
    cs_pos starts_pos; /* where `starts` (or, without it, the intervention) is written */
} cs_intervention;

typedef struct cs_bundle {
    char *name;
    char *description;
    size_t n_interventions;
    size_t *interventions; /* indices into interventions[], in the order listed */
    bool portfolio;        /* made by the loader: a combination within decision.budget */
    cs_pos pos;
} cs_bundle;

/* One entry of `uncertain:`: a distribution on one number of the scenario
 * (`path`), or a Dirichlet on several numbers that sum to 1 (`paths`). Its
 * distribution is entry e of the scenario's uncertain_set (same order), and
 * its values are values offset .. offset + n_paths - 1 of a draw. */
typedef struct cs_uncertain {
    char *name;         /* `name`, else the (first) path */
    char *source;       /* `source`, "" if absent */
    char *group;        /* `group` (inputs judged together), "" if absent */
    size_t n_paths;     /* 1, or the Dirichlet's number of components */
    char **paths;       /* [n_paths] as written (the intervention path syntax) */
    double *value;      /* [n_paths] the scenario's own numbers there (used without uncertainty) */
    cs_unc_range range; /* the valid range of those numbers */
    const char *units;  /* their units ("1", "days", "people", ...; static) */
    bool truncated;     /* `truncate` given */
    double truncate[2]; /* its bounds (-inf / inf for an open end) */
    size_t offset;      /* index of its first value in a draw */
    cs_pos pos;
} cs_uncertain;

/* One `correlations:` entry: rank-normal correlation rho between entries a
 * and b of `uncertain:` (a Gaussian copula). */
typedef struct cs_correlation {
    size_t a, b;
    double rho;
    cs_pos pos;
} cs_correlation;

/* What a target counts (`targets:`): tracks entering a stage, or tracks
 * ending in an outcome. */
typedef struct cs_target_event {
    bool is_outcome;
    size_t index; /* into stages[] or outcomes[] */
} cs_target_event;

/* Which duration a `mean_duration` target averages (days). */
typedef enum cs_duration_of {
    CS_DUR_SERVICE = 0, /* service at a stage: from its start to its completion */
    CS_DUR_WAIT,        /* wait at a stage: from entering it to the start of service */
    CS_DUR_IN_STAGE,    /* stay at a stage: from entering it to the completion of service */
    CS_DUR_TO_END,      /* from the incident to the end of its case (no stage) */
    CS_DUR_COUNT
} cs_duration_of;

/* The kinds of target. */
typedef enum cs_target_kind {
    CS_TARGET_COUNT = 0,    /* `count`: events (in a period, or of the cohort) */
    CS_TARGET_SHARE,        /* `share`: numerator events over denominator events */
    CS_TARGET_RATIO,        /* `ratio`: a group's share over the reference group's */
    CS_TARGET_COHORT_SHARE, /* `cohort_share`: cohort tracks reaching the numerator within
                               within_years of their incident, over those entering the
                               denominator stage within that time */
    CS_TARGET_MEAN_DURATION /* `mean_duration`: the mean of a duration (cs_duration_of) over
                               the tracks that ended it in the period, or the cohort's */
} cs_target_kind;

/* One entry of `targets:`: a published figure the scenario should reproduce
 * (scenarios/README.md, "targets"). Events are counted either in whole years
 * of the run (`period`: the run's calendar years with time.start_year) or,
 * without a period, over the cohort's incidents (the results' stage_entries
 * and outcome_counts). */
typedef struct cs_target_spec {
    char *name;
    char *source; /* required, non-empty */
    cs_target_kind kind;
    bool has_period;
    size_t first_year, n_years; /* years of the run, first .. first + n - 1 */
    long group;                 /* count and share: a group index, -1 for all groups;
                                   ratio: the group compared with groups[0] */
    cs_target_event num;        /* count: what is counted; share, ratio: numerator */
    cs_target_event den;        /* share, ratio: denominator (unused for a count) */
    cs_calib_target like;       /* the likelihood: family, observed, spread, unit_factor,
                                   weight (casesim/calibration.h) */
    bool holdout;               /* reported, never fitted */
    size_t within_years;        /* cohort_share: whole years from the incident */
    long violation;             /* `kind:` count, share, cohort_share: a violation kind's
                                   index, -1 for all kinds */
    cs_duration_of duration_of; /* mean_duration: which duration (num.index: the stage) */
    long unit_value;            /* count: the index, among the uncertain values, of an
                                   uncertain unit_factor (`targets.NAME.unit_factor` in
                                   `uncertain:`), -1 when it is fixed */
    cs_pos pos;
} cs_target_spec;

/* The `decision:` section (defaults when absent: given = false). The
 * effect of a variant is the improvement of the outcome measure of `group`
 * against the baseline, in percentage points; its net benefit at
 * willingness to pay lambda is lambda x effect - annual cost. */
typedef struct cs_decision_spec {
    bool given;                        /* the scenario has a `decision:` section */
    char *measure;                     /* outcome measure (a share), default "impunity_rate" */
    int direction;                     /* -1: lower is better (impunity), +1: higher is better */
    char *group;                       /* a group's name, or NULL: the most affected group */
    bool has_grid;                     /* willingness_to_pay {from, to, step} given */
    double wtp_from, wtp_to, wtp_step; /* currency per percentage point per year */
    bool has_expert;                   /* willingness_to_pay.expert given */
    double wtp_expert;                 /* the expert's own willingness to pay */
    double population_years;           /* the policy's horizon for EVPI (default 1) */
    bool has_budget;
    double budget;  /* currency per year */
    char *currency; /* `currency`, "" if absent */
    /* With a budget: the combinations of interventions within it (the empty
     * one, the baseline, included), each as a bit mask over interventions[]
     * with its expected annual cost, sorted by cost. Each is a variant. */
    size_t n_portfolios;
    uint32_t *portfolio_members;
    double *portfolio_costs;
} cs_decision_spec;

typedef enum cs_variant_kind {
    CS_VARIANT_BASELINE = 0,
    CS_VARIANT_INTERVENTION,
    CS_VARIANT_BUNDLE,
    CS_VARIANT_DECOMPOSITION /* generated by cs_scenario_decompose */
} cs_variant_kind;

struct cs_scenario;

/* One variant: the baseline, an intervention or a bundle, with its own fully
 * patched and validated copy of the scenario. That copy has everything the
 * engine needs (groups, violations, evidence, stages, outcomes, categories,
 * time, run) with the same names and indices as the base; its path is the
 * base's, its source is NULL (source_len 0), and it has no interventions,
 * bundles or variants of its own. */
typedef struct cs_variant {
    char *name;
    cs_variant_kind kind;
    bool portfolio; /* a bundle the loader made for decision.budget */
    char *description;
    double annual_cost; /* sum over the interventions applied */
    size_t n_applied;
    size_t *applied;              /* indices into the base's interventions[] */
    uint64_t equalised;           /* decomposition: bit i set if stage i's `p` are the
                                     reference group's for every group; 0 otherwise */
    struct cs_scenario *scenario; /* owned; its own n_variants is 0 */
} cs_variant;

typedef struct cs_scenario {
    /* Provenance */
    char *path;         /* the file as named by the caller ("<string>" if none) */
    char *source;       /* the file's bytes exactly as read, NUL-terminated */
    size_t source_len;  /* bytes in source, excluding the NUL */
    int format_version; /* the `casesim:` key */
    char *name;
    char *description; /* "" if absent */
    char *currency;    /* "" if absent: the unit of every cost, e.g. "GBP" */

    /* time (years) and run */
    double warmup_years, cohort_years, follow_up_years;
    uint64_t replicates;
    uint64_t seed;
    bool decompose; /* `run: decompose: true`: cs_scenario_load decomposes */
    cs_pos decompose_pos;

    size_t n_groups;
    cs_group *groups; /* groups[0] is the reference group */
    size_t n_violations;
    cs_violation *violations;
    cs_evidence evidence;
    size_t n_stages;
    cs_stage *stages;
    size_t entry_stage;
    size_t n_outcomes;
    cs_outcome *outcomes;
    size_t n_categories;
    char **categories; /* accountability categories, in order of first use */
    size_t n_interventions;
    cs_intervention *interventions;
    size_t n_bundles;
    cs_bundle *bundles;

    /* Variants: [0] baseline, then interventions in file order, then bundles
     * (the file's, then the budget portfolios the loader made). */
    size_t n_variants;
    cs_variant *variants;

    /* Time and feedback (casesim/dynamics.h). */
    bool has_start_year;
    double start_year; /* the calendar year the run starts (time.start_year) */
    size_t n_schedules;
    struct cs_schedule *schedules;
    size_t n_initial;
    struct cs_initial *initial;
    size_t n_feedback;
    struct cs_feedback *feedback;
    /* The numbers of this scenario that change during the run (a variant's:
     * its schedules and timed interventions; a base scenario's: its
     * baseline's), each a timeline. None: a system that stands still. */
    size_t n_timelines;
    struct cs_timeline *timelines;

    /* Uncertain inputs (`uncertain:`, `correlations:`, run.replicates_per_draw,
     * run.sampling). A variant's scenario keeps only n_uncertain_values (the
     * shape of its results); the rest is the base's. */
    size_t n_uncertain;
    cs_uncertain *uncertain;
    size_t n_uncertain_values; /* values per draw (a Dirichlet over k numbers gives k) */
    size_t n_correlations;
    cs_correlation *correlations;
    cs_unc_set *uncertain_set;    /* finalised; NULL without `uncertain:` */
    uint64_t replicates_per_draw; /* replicates sharing one draw (default 1) */
    enum cs_unc_sampling sampling;
    cs_decision_spec decision;

    /* `targets:` (calibration); only in the base scenario, not in its
     * variants or instances. */
    size_t n_targets;
    cs_target_spec *targets;

    struct cs_ynode *tree; /* internal: the file's YAML tree, for cs_scenario_instantiate */

    /* The decomposition, once cs_scenario_decompose has run (has_decomposition):
     * the stages whose branch `p` differ between groups, in stage order, and
     * for sampled Shapley shares the orders of those stages used
     * (n_permutations rows of n_decomposed positions into decomposed[]; none
     * when the shares are exact). The decomposition's variants come after the
     * bundles. */
    bool has_decomposition;
    size_t n_decomposed;
    size_t *decomposed;
    size_t n_permutations;
    uint32_t *permutations;
} cs_scenario;

/* Loads, validates and resolves the scenario file at path, and builds its
 * variants. On success returns CS_OK and *out owns a new scenario (free with
 * cs_scenario_free). On failure returns CS_EINVAL (invalid file), CS_ELIMIT,
 * CS_EIO or CS_ENOMEM, leaves *out NULL, and err holds every error found, each
 * as "FILE:LINE:COLUMN: message". Reads no other file. Uncertain inputs are
 * checked with GSL (Cholesky of the correlation matrix, truncation
 * integrals), whose failures come back as errors only when the caller has
 * switched GSL's aborting default handler off (gsl_set_error_handler_off(),
 * as the casesim program does); see casesim/uncertain.h. */
int cs_scenario_load(const char *path, cs_scenario **out, cs_error *err);

/* As cs_scenario_load, from len bytes of text; name is used in messages and
 * as the scenario's path (may be NULL: "<string>"). */
int cs_scenario_load_string(const char *text, size_t len, const char *name, cs_scenario **out,
                            cs_error *err);

/* The scenario with its uncertain numbers replaced by values[0 ..
 * base->n_uncertain_values) (in the order of base->uncertain: entry by
 * entry, a Dirichlet's components in the order of its paths): the base
 * file's YAML tree is copied, each value written at its path as an
 * intervention's `set` would write it, and the copy converted, patched into
 * its variants and validated exactly as cs_scenario_load does, so that a
 * draw can never produce a scenario the loader would refuse. *out owns a new
 * scenario with every variant of the base (portfolios included) and
 * n_uncertain_values, but no uncertain inputs, decision or source of its
 * own; free with cs_scenario_free. base is only read: threads may
 * instantiate one base at once. Returns CS_OK, CS_EINVAL (the values make
 * the scenario invalid: err has each rule broken), CS_ELIMIT or CS_ENOMEM;
 * *out is NULL on failure. */
int cs_scenario_instantiate(const cs_scenario *base, const double *values, cs_scenario **out,
                            cs_error *err);

/* The scenario's own value of each uncertain number, in draw order, into
 * values[0 .. s->n_uncertain_values): the values used without uncertainty. */
void cs_scenario_uncertain_values(const cs_scenario *s, double *values);

/* One entry of `uncertain:` as cs_scenario_write_fitted writes it: a
 * family with its parameters named as the loader reads them (beta: alpha,
 * beta; lognormal: median, p95; normal: mean, sd; gamma: shape, scale), or
 * a Dirichlet's counts, an optional truncation and the text of `source`. */
typedef struct cs_fitted_entry {
    enum cs_unc_family family;
    size_t n_params;
    const char *param_name[3]; /* static strings */
    double param[3];
    size_t k;                             /* a Dirichlet's components */
    double counts[CS_UNC_MAX_COMPONENTS]; /* a Dirichlet's counts */
    bool truncated;
    double truncate[2]; /* -inf / inf for an open end */
    const char *source; /* may be NULL: "" */
    /* true: the entry is written as the source scenario has it (its prior:
     * family, truncation and source), and the fields above are not read. */
    bool keep_prior;
} cs_fitted_entry;

/* What cs_scenario_write_fitted puts in place of a scenario's uncertain
 * numbers and sections. Pointers are borrowed. */
typedef struct cs_fitted_scenario {
    const double *values;               /* [n_uncertain_values] new values, in draw order */
    const cs_fitted_entry *entries;     /* [n_uncertain], in the order of `uncertain:` */
    const cs_correlation *correlations; /* the new `correlations:` (none: the key is dropped) */
    size_t n_correlations;
    const char *header; /* comment lines, '\n'-separated, written first (may be NULL) */
} cs_fitted_scenario;

/* Writes scenario s (loaded from a file or text: it keeps its YAML tree)
 * to out as YAML, with its uncertain numbers set to f->values exactly as
 * cs_scenario_instantiate sets them (so the written file at its own values
 * runs, bit for bit, as s instantiated at f->values), each `uncertain:`
 * entry keeping its path(s), name and group but taking f's distribution,
 * truncation and source, and `correlations:` replaced by f's. Everything
 * else is s's tree as read, emitted by libyaml (the comments of the source
 * file are lost: YAML readers drop them). name names out in messages (may
 * be NULL). The caller should load the result back before publishing it: f
 * is not judged here. Returns CS_OK, CS_EINVAL (s has no tree or no
 * uncertain inputs), CS_EIO or CS_ENOMEM. */
int cs_scenario_write_fitted(const cs_scenario *s, const cs_fitted_scenario *f, FILE *out,
                             const char *name, cs_error *err);

/* Frees s and everything it owns, including its variants. NULL is a no-op. */
void cs_scenario_free(cs_scenario *s);

/* The probability of branch b for kind k and group g (see cs_branch). */
static inline double cs_branch_p(const cs_scenario *s, const cs_branch *b, size_t k, size_t g)
{
    return b->p_kg[k * s->n_groups + g];
}

/* The duration and the deadline of stage st for kind k and group g. */
static inline const cs_duration *cs_stage_duration(const cs_scenario *s, const cs_stage *st,
                                                   size_t k, size_t g)
{
    return &st->durations[k * s->n_groups + g];
}
static inline const cs_deadline *cs_stage_deadline(const cs_scenario *s, const cs_stage *st,
                                                   size_t k, size_t g)
{
    return &st->deadlines[k * s->n_groups + g];
}

/* Looks up a variant by name; returns its index or -1. */
long cs_scenario_find_variant(const cs_scenario *s, const char *name);

/* Adds the variants of the counterfactual decomposition of the baseline to
 * s (after its other variants), unless it has them already: for each subset
 * of the stages whose branch `p` differ between groups that the Shapley
 * shares need, one variant in which every group has the reference group's
 * `p` at those stages (odds ratios and slopes unchanged), built from s's
 * source text like any variant and validated. With up to
 * CS_DECOMPOSE_EXACT_MAX such stages these are all the subsets; beyond,
 * every stage alone, every stage left out, all of them, and the prefixes of
 * sampled orders (keyed by s->seed, purpose CS_STREAM_ANALYSIS), within
 * CS_MAX_DECOMPOSITION. Names: `equalised_all`, `equalised_only_<stage>`,
 * `equalised_all_but_<stage>` (`stage<i>` for a stage whose name is too
 * long), `equalised_set_<hex mask of stage indices>`. A scenario without
 * group differences gets no variant (an empty decomposition). Returns CS_OK;
 * CS_EINVAL with one group (placed at `run.decompose` if the file asked) or
 * when a generated name is already a variant's; CS_ENOMEM. On failure s is
 * unchanged. */
int cs_scenario_decompose(cs_scenario *s, cs_error *err);

/* The branches of all stages together (the length of the results'
 * "branch" dimension); branch b of stage i is number
 * sum_{j < i} n_branches(j) + b. */
size_t cs_scenario_n_branches(const cs_scenario *s);

/* Whether some branch of stage i has a `p` that differs between groups. */
bool cs_scenario_stage_differs(const cs_scenario *s, size_t i);

/* Looks up a stage or an outcome by name; returns its index or -1. */
long cs_scenario_find_stage(const cs_scenario *s, const char *name);
long cs_scenario_find_outcome(const cs_scenario *s, const char *name);

#ifdef __cplusplus
}
#endif
#endif
