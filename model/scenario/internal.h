/*
 * scenario/internal.h — what the loader's files share (internal).
 *
 * scenario/load.c converts a YAML tree into a cs_scenario and checks every
 * rule, with a file per section (groups_load.c, network_load.c,
 * interventions_load.c) and the helpers of convert.c; scenario/patch.c
 * applies interventions to a copy of the tree; scenario.c loads a file end
 * to end, builds the variants, frees and looks things up. Errors go through one
 * reporting function so that, when a variant's patched tree is converted, an
 * error is told in terms of the intervention change that caused it.
 */
#ifndef CASESIM_SCENARIO_INTERNAL_H
#define CASESIM_SCENARIO_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "casesim/scenario.h"
#include "scenario/yaml_tree.h"

/* One change applied to a variant's tree, for messages. */
typedef struct cs_applied_change {
    const char *intervention; /* its name; NULL for a schedule */
    const cs_change *change;
} cs_applied_change;

/* Conversion context: where errors go and how they are phrased. */
typedef struct cs_conv {
    cs_error *err;
    const char *file;
    size_t errors; /* errors reported through this context */
    /* Variant mode (NULL/0 for the base scenario): the variant's name and the
     * changes applied to its tree, indexed by cs_ynode.patched_by. */
    const char *variant;
    const cs_applied_change *changes;
    size_t n_changes;
    /* When the variant is checked at a time of the run ("at 2026"), else
     * NULL: said in its messages. */
    const char *when;
} cs_conv;

/* Reports an error about node `at` (may be NULL: then at pos). In variant
 * mode the message is placed at the change that altered `at` (or the
 * variant's last change) and names the intervention and path. */
void cs_conv_fail(cs_conv *c, int status, const cs_ynode *at, cs_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Converts the tree rooted at root into s (zeroed by the caller; on failure
 * partly filled, to be released with cs_scenario_release). With
 * with_interventions, also reads interventions and bundles; otherwise their
 * keys are accepted but skipped (a variant's scenario has none). Returns CS_OK
 * if no error was reported. */
int cs_scenario_convert(cs_conv *c, const cs_ynode *root, bool with_interventions, cs_scenario *s);

/* Frees everything s owns (not s itself) and zeroes it. */
void cs_scenario_release(cs_scenario *s);

/* Applies the changes of intervention iv (of base scenario s) to tree root.
 * first_index is the patched_by value given to the first change's nodes (the
 * changes of a bundle are numbered consecutively). Errors (paths that resolve
 * to nothing, a scale of a non-number, ...) are reported through c; returns
 * CS_OK if none. */
int cs_patch_apply(cs_conv *c, cs_ynode *root, const cs_scenario *s, const cs_intervention *iv,
                   int first_index);

/* Which paths a change may take: an intervention's (groups, violations,
 * evidence, stages, feedback, schedules), a schedule's (not schedules), an
 * uncertain number's (an intervention's, and interventions). */
enum { CS_PATCH_INTERVENTION = 0, CS_PATCH_SCHEDULE = 1, CS_PATCH_UNCERTAIN = 2 };

/* Walks change ch on a copy of root (which is not changed), reporting
 * through c, with `context` ("schedule", "intervention `x`") in messages,
 * whatever keeps the path from leading to a number it may change. Returns
 * CS_OK, CS_EINVAL or CS_ENOMEM. */
int cs_patch_probe(cs_conv *c, const cs_ynode *root, const cs_scenario *s, const cs_change *ch,
                   const char *context, int roots);

/* Applies one change to root, its nodes marked as changed by change number
 * `index` (cs_ynode.patched_by). Returns CS_OK, CS_EINVAL or CS_ENOMEM. */
int cs_patch_change(cs_conv *c, cs_ynode *root, const cs_scenario *s, const cs_change *ch,
                    int index, const char *context);

/* What a path names in a tree (cs_patch_find). */
typedef struct cs_path_hit {
    cs_ynode *node;    /* the scalar number reached */
    const char *group; /* the group named after a single `p` for every group (then node is
                          that `p`), NULL otherwise */
} cs_path_hit;

/* Finds the number that path (the intervention path syntax) names in tree
 * root, changing nothing: it must be a number written in the file (a key
 * that is missing is not created, a single `p` is not expanded). With
 * interventions, the path may also start with `interventions` (a change's
 * `set` or `scale`, an `annual_cost`). Errors are reported through c at pos
 * as "CONTEXT, path `PATH`: ..."; returns CS_OK (hit filled), CS_EINVAL or
 * CS_ENOMEM. */
int cs_patch_find(cs_conv *c, cs_ynode *root, const cs_scenario *s, const char *path, cs_pos pos,
                  const char *context, bool interventions, cs_path_hit *hit);

/* Writes value at the number path names in tree root, as an intervention's
 * `set` writes it (a single `p` is expanded first); the nodes are not
 * marked as patched. The path must have been found by cs_patch_find in the
 * same file. Returns CS_OK, CS_EINVAL (reported through c) or CS_ENOMEM. */
int cs_patch_set(cs_conv *c, cs_ynode *root, const cs_scenario *s, const char *path, double value);

/* A path split into segments (cs_path_split). */
typedef struct cs_path_seg {
    const char *name; /* NULL for an index */
    size_t index;
} cs_path_seg;

#define CS_PATH_MAX_SEGMENTS 64

/* Splits a syntactically valid path into at most CS_PATH_MAX_SEGMENTS
 * segments, using buf (at least 2 strlen(path) + 2 bytes) for their names.
 * Returns false if there are more. */
bool cs_path_split(const char *path, char *buf, cs_path_seg *seg, size_t *n);

/* Checks the syntax of a path: segments `name` or `name[i]...` separated
 * by dots. Returns NULL or a reason. */
const char *cs_path_syntax(const char *path);

/* The valid range and units of the number path names (a path cs_patch_find
 * accepted), from one table for the whole format; for an intervention
 * change's `set`, those of the number the change sets. Returns false, with
 * why set to a reason, for a number that cannot be uncertain (a whole
 * number, a name, ...). */
bool cs_path_range(const cs_scenario *s, const char *path, cs_unc_range *range, const char **units,
                   const char **why);

/* The intervention whose `annual_cost` path names, or -1. */
long cs_path_cost_of(const cs_scenario *s, const char *path);

/* The candidate nearest to word by edit distance, if near enough to be a
 * likely misspelling; else NULL. */
const char *cs_nearest(const char *word, const char *const *cands, size_t n);

/* Parses a number written in a file: decimal, optional fraction and
 * exponent. Refuses NaN, infinities, hexadecimal and overflow. Returns NULL
 * on success (*out set), else a static string saying why the text is not a
 * number ("is too large (it overflows a double)", ...; *out untouched). */
const char *cs_parse_number(const char *text, double *out);

/* Whether name matches [a-z][a-z0-9_]* and is at most CS_MAX_NAME_LEN bytes. */
bool cs_name_ok(const char *name);

/* ------------------------------------------- conversion helpers (convert.c)
 *
 * Each reads one node of the tree as what a key needs and, when it is not,
 * reports an error at the node through c (cs_conv_fail) and returns false:
 * callers carry on, so that one pass reports every mistake. `what` names
 * the key in the message. */

/* Reports an error (CS_EINVAL) or a size limit (CS_ELIMIT) at node at. */
void cs_conv_error(cs_conv *c, const cs_ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cs_conv_limit(cs_conv *c, const cs_ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports "unknown WHAT `word`WHERE" with the nearest of cands as a
 * suggestion, or the list of them. */
void cs_conv_unknown(cs_conv *c, const cs_ynode *at, const char *what, const char *where,
                     const char *word, const char *const *cands, size_t n);

/* Reports every key of map that is not one of allowed[0 .. n-1]. */
void cs_conv_check_keys(cs_conv *c, const cs_ynode *map, const char *where,
                        const char *const *allowed, size_t n);

/* A finite number; one in [lo, hi] (open at lo when lo_open); a whole number
 * in [lo, hi] (digits read exactly; with a fraction or exponent, a whole
 * value up to 2^53); true or false. */
bool cs_conv_num(cs_conv *c, const cs_ynode *n, const char *what, double *out);
bool cs_conv_num_in(cs_conv *c, const cs_ynode *n, const char *what, double lo, bool lo_open,
                    double hi, double *out);
bool cs_conv_whole(cs_conv *c, const cs_ynode *n, const char *what, uint64_t lo, uint64_t hi,
                   uint64_t *out);
bool cs_conv_bool(cs_conv *c, const cs_ynode *n, const char *what, bool *out);

/* Text (a new string in *out); text of at most max bytes (longer is a
 * limit error); a name ([a-z][a-z0-9_]*, at most CS_MAX_NAME_LEN bytes; a
 * bad name is reported but still copied, so that references to it do not
 * cascade into more errors). */
bool cs_conv_text(cs_conv *c, const cs_ynode *n, const char *what, char **out);
bool cs_conv_short_text(cs_conv *c, const cs_ynode *n, const char *what, size_t max, char **out);
bool cs_conv_name(cs_conv *c, const cs_ynode *n, const char *what, char **out);

/* The value of a required key of map, or NULL after reporting it missing. */
const cs_ynode *cs_conv_need(cs_conv *c, const cs_ynode *map, const char *key, const char *where);

/* Whether n is a mapping; a list of 1 .. max items (more is a limit error
 * naming limit_name). */
bool cs_conv_is_map(cs_conv *c, const cs_ynode *n, const char *what);
bool cs_conv_is_list(cs_conv *c, const cs_ynode *n, const char *what, size_t max,
                     const char *limit_name);

/* Returns p, reporting "out of memory" when it is NULL: every allocation of
 * the conversion is cs_conv_mem(c, cs_xcalloc(...)) or of cs_xstrdup. */
void *cs_conv_mem(cs_conv *c, void *p);

/* The names of s's groups into names[0 .. n_groups - 1]. */
void cs_conv_group_names(const cs_scenario *s, const char **names);

/* One number for every group, or a mapping group -> number, each in
 * [lo, hi], into out[0 .. n_groups - 1]. */
bool cs_conv_per_group(cs_conv *c, const cs_ynode *n, const char *what, const cs_scenario *s,
                       double lo, double hi, double *out);

/* How to read a value that may differ by violation kind and by group
 * (scenario/by_case.c): a branch's `p`, a stage's `duration` or `deadline`. */
typedef struct cs_case_reader {
    const char *what;       /* the key, for messages: "p", "duration", "deadline" */
    bool map_is_leaf;       /* a mapping is one value unless a key names a group or kind */
    uint32_t kinds;         /* the kinds that need a value (bit k); no other may be named */
    const char *closed_why; /* why naming another kind is wrong; NULL: a generic reason */
    size_t elem;            /* bytes of one value (at most 256) */
    /* Reads one value n (named what in messages) into out, which holds the
     * cell's current value; false after reporting an error. */
    bool (*read)(cs_conv *c, const cs_ynode *n, const char *what, void *ctx, void *out);
    void *ctx;
} cs_case_reader;

/* Reads n, one value or a mapping per group, per kind or per kind then per
 * group, into out[n_violations * n_groups] (r->elem bytes each, kind k and
 * group g at [k * n_groups + g]); cells of kinds outside r->kinds are left
 * as they are. *by says which form n has. Returns false after reporting an
 * error. */
bool cs_conv_by_case(cs_conv *c, const cs_ynode *n, const cs_scenario *s, const cs_case_reader *r,
                     void *out, cs_by_case *by);

/* The number of elements of an array. */
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------- the network's names
 *
 * Names of stages (from the list) and outcomes (mapping keys), gathered
 * before the stages are read so that a `to` can name a later stage. */
typedef struct cs_names {
    const char *stage[CS_MAX_STAGES];
    size_t n_stages;
    const char *outcome[CS_MAX_OUTCOMES];
    size_t n_outcomes;
    const char *all[CS_MAX_STAGES + CS_MAX_OUTCOMES];
    size_t n_all;
} cs_names;

/* The stage or outcome called name (*t), or the outcome (*index); false if
 * there is none (network_load.c). */
bool cs_names_target(const cs_names *nm, const char *name, cs_target *t);
bool cs_names_outcome(const cs_names *nm, const char *name, size_t *index);

/* A branch's `to`: one stage or outcome, or a list of them for a fork;
 * false after reporting (network_load.c). */
bool cs_load_branch_targets(cs_conv *c, const cs_names *nm, const cs_ynode *m, cs_branch *b);

/* Stage st's `duration` and `deadline` (each one value, or per kind and/or
 * group) into st->durations and st->deadlines, allocated here
 * (durations_load.c). */
void cs_load_stage_cases(cs_conv *c, const cs_names *nm, const cs_ynode *m, const cs_scenario *s,
                         cs_stage *st);

/* Stage st's `branches` (map m is the stage): targets, `kinds`, `p`, odds
 * modifiers, each kind's reference branch and its probability (the rest).
 * Returns false if something the graph checks need (a target) failed
 * (branches_load.c). */
bool cs_load_branches(cs_conv *c, const cs_names *nm, const cs_ynode *m, cs_scenario *s,
                      cs_stage *st);

/* ------------------------------------------- the sections of a scenario
 *
 * Each reads its keys of the root mapping into s, reporting through c;
 * later sections use what earlier ones read (groups before violations,
 * both before the network). */
void cs_load_groups(cs_conv *c, const cs_ynode *root, cs_scenario *s);
void cs_load_violations(cs_conv *c, const cs_ynode *root, cs_scenario *s);
void cs_load_evidence(cs_conv *c, const cs_ynode *root, cs_scenario *s); /* groups_load.c */
void cs_load_network(cs_conv *c, const cs_ynode *root, cs_scenario *s);  /* network_load.c */
/* A duration distribution (one of the families of `duration`) read from n,
 * named `what` in messages; d->kind stays CS_DUR_NONE on an error. */
void cs_load_duration(cs_conv *c, const cs_ynode *n, const char *what, cs_duration *d);
void cs_load_interventions(cs_conv *c, const cs_ynode *root, cs_scenario *s);
void cs_load_bundles(cs_conv *c, const cs_ynode *root, cs_scenario *s); /* interventions_load.c */
/* `run.decompose` (after the groups: it needs two of them). (decompose.c) */
void cs_load_decompose(cs_conv *c, const cs_ynode *root, cs_scenario *s);

/* The uncertain inputs (`uncertain:`, `correlations:`; run.sampling was read
 * with `run`), resolved against the tree and checked; the finalised set in
 * s->uncertain_set (uncertain_load.c). Needs the interventions read. */
void cs_load_uncertain(cs_conv *c, cs_ynode *root, cs_scenario *s);

/* `decision:`, and with decision.budget the portfolio bundles appended to
 * s->bundles (decision_load.c). Needs groups, interventions, bundles and
 * the uncertain inputs read. */
void cs_load_decision(cs_conv *c, const cs_ynode *root, cs_scenario *s);

/* `targets:`, the published figures a calibration fits (targets_load.c).
 * Needs groups, stages and outcomes read. */
void cs_load_targets(cs_conv *c, const cs_ynode *root, cs_scenario *s);

/* Appends to s->bundles copies of the portfolio bundles of base (an
 * instance has the base's variants). Returns CS_OK or CS_ENOMEM. */
int cs_copy_portfolios(const cs_scenario *base, cs_scenario *s);

/* Builds s->variants from tree (scenario.c): for each, a copy of the tree
 * patched with its interventions, converted and validated. Errors through
 * err, with file in messages. */
int cs_scenario_build_variants(cs_scenario *s, const cs_ynode *tree, const char *file,
                               cs_error *err);

/* Bounds the loader applies to branch modifiers (network_load.c), shared
 * with the range table of uncertain numbers (paths.c). */
#define CS_MAX_SLOPE 100.0 /* |evidence_slope|: exp(slope/2) stays far from overflow */
/* Odds ratios: with |slope| <= 100 and p_ref >= 2^-53, a branch's odds stay
 * below 1e50, so the engine's sum over 16 branches cannot overflow (an
 * infinite sum would silently send every case down the last branch). */
#define CS_MAX_ODDS_RATIO 1e6

#endif
