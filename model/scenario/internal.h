/*
 * scenario/internal.h — what the loader's files share (internal).
 *
 * scenario/load.c converts a YAML tree into a cs_scenario and checks every
 * rule; scenario/patch.c applies interventions to a copy of the tree;
 * scenario.c frees, copies and looks things up. Errors go through one
 * reporting function so that, when a variant's patched tree is converted, an
 * error is told in terms of the intervention change that caused it.
 */
#ifndef CASESIM_SCENARIO_INTERNAL_H
#define CASESIM_SCENARIO_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>

#include "casesim/scenario.h"
#include "scenario/yaml_tree.h"

/* One change applied to a variant's tree, for messages. */
typedef struct cs_applied_change {
    const char *intervention; /* its name */
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

/* The candidate nearest to word by edit distance, if near enough to be a
 * likely misspelling; else NULL. */
const char *cs_nearest(const char *word, const char *const *cands, size_t n);

/* Parses a number written in a file: decimal, optional fraction and
 * exponent. Refuses NaN, infinities, hexadecimal and overflow. Returns 0 on
 * success, else a static reason ("overflows a double", ...). */
const char *cs_parse_number(const char *text, double *out);

/* Whether name matches [a-z][a-z0-9_]* and is at most CS_MAX_NAME_LEN bytes. */
bool cs_name_ok(const char *name);

#endif
