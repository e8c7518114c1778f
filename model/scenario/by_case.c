/*
 * scenario/by_case.c — values that may differ by violation kind and by
 * victim group: a branch's `p`, a stage's `duration` and `deadline`.
 *
 * Each may be written four ways (scenarios/README.md, "Per-case values"):
 *
 *   one value for every case         p: 0.3
 *   one per group                    p: {reference: 0.3, african_descent: 0.2}
 *   one per violation kind           p: {death: 0.9, excessive_force: 0.2}
 *   per kind, then per group inside  p: {death: {reference: 0.9, african_descent: 0.8}, ...}
 *
 * The outer keys are either all groups or all kinds: a mapping that mixes
 * them, or one keyed by groups whose values are keyed by kinds, is refused
 * (one order only, so that a reader never has to ask which way round a
 * table is). A name that is both a group and a kind cannot key such a
 * mapping: it would be ambiguous. Every group, and every kind the value
 * applies to, must be given, as for per-group values before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/internal.h"

typedef enum name_class { NAME_NONE = 0, NAME_GROUP, NAME_KIND, NAME_BOTH } name_class;

/* Whether key names a group (*g) and/or a violation kind (*k). */
static name_class classify(const cs_scenario *s, const char *key, size_t *g, size_t *k)
{
    bool is_g = false, is_k = false;
    for (size_t i = 0; i < s->n_groups && !is_g; i++)
        if (s->groups[i].name && strcmp(s->groups[i].name, key) == 0) {
            is_g = true;
            *g = i;
        }
    for (size_t i = 0; i < s->n_violations && !is_k; i++)
        if (s->violations[i].name && strcmp(s->violations[i].name, key) == 0) {
            is_k = true;
            *k = i;
        }
    return is_g && is_k ? NAME_BOTH : is_g ? NAME_GROUP : is_k ? NAME_KIND : NAME_NONE;
}

/* Counts n's keys of each class (n a mapping). */
static void count_classes(const cs_scenario *s, const cs_ynode *n, size_t counts[4])
{
    memset(counts, 0, 4 * sizeof *counts);
    for (size_t i = 0; i < n->n; i++) {
        size_t g, k;
        counts[classify(s, n->keys[i]->value, &g, &k)]++;
    }
}

/* Whether n is one value rather than a mapping by group or kind. */
static bool is_leaf(const cs_scenario *s, const cs_case_reader *r, const cs_ynode *n)
{
    if (n->kind != CS_YNODE_MAP)
        return true;
    if (!r->map_is_leaf)
        return false;
    size_t counts[4];
    count_classes(s, n, counts);
    return counts[NAME_GROUP] + counts[NAME_KIND] + counts[NAME_BOTH] == 0;
}

/* The cell of out for kind k and group g. */
static void *cell(const cs_scenario *s, const cs_case_reader *r, void *out, size_t k, size_t g)
{
    return (char *)out + (k * s->n_groups + g) * r->elem;
}

/* Copies the value in src to the cells of kind k (every kind of r->kinds if
 * k is SIZE_MAX) and group g (every group if SIZE_MAX). */
static void fill(const cs_scenario *s, const cs_case_reader *r, void *out, const void *src,
                 size_t k, size_t g)
{
    for (size_t kk = 0; kk < s->n_violations; kk++) {
        if (k != SIZE_MAX ? kk != k : !(r->kinds & (UINT32_C(1) << kk)))
            continue;
        for (size_t gg = 0; gg < s->n_groups; gg++)
            if (g == SIZE_MAX || gg == g)
                memcpy(cell(s, r, out, kk, gg), src, r->elem);
    }
}

/* Reads leaf n (named what in messages) into the cells of (k, g). */
static bool read_leaf(cs_conv *c, const cs_scenario *s, const cs_case_reader *r, const cs_ynode *n,
                      const char *what, void *out, size_t k, size_t g)
{
    unsigned char tmp[256];
    if (r->elem > sizeof tmp)
        return false;
    /* Start from the cell's current value: a reader may fill only part. */
    size_t k0 = k, g0 = g == SIZE_MAX ? 0 : g;
    if (k0 == SIZE_MAX)
        for (k0 = 0; k0 + 1 < s->n_violations && !(r->kinds & (UINT32_C(1) << k0)); k0++)
            ;
    memcpy(tmp, cell(s, r, out, k0, g0), r->elem);
    /* Filled even after an error (the scenario is refused anyway): what was
     * read, e.g. a deadline's outcome, then keeps later checks quiet. */
    bool ok = r->read(c, n, what, r->ctx, tmp);
    fill(s, r, out, tmp, k, g);
    return ok;
}

/* Names of the groups and of the kinds, for suggestions. */
static size_t names_of(const cs_scenario *s, bool groups, bool kinds, const char **out)
{
    size_t n = 0;
    for (size_t i = 0; groups && i < s->n_groups; i++)
        out[n++] = s->groups[i].name;
    for (size_t i = 0; kinds && i < s->n_violations; i++)
        out[n++] = s->violations[i].name;
    return n;
}

/* A mapping group -> leaf for kind k (SIZE_MAX: every kind), every group
 * given. what names the mapping ("p", "p.death"). */
static bool read_per_group(cs_conv *c, const cs_scenario *s, const cs_case_reader *r,
                           const cs_ynode *n, const char *what, void *out, size_t k)
{
    const char *names[CS_MAX_GROUPS + CS_MAX_VIOLATIONS];
    bool ok = true, seen[CS_MAX_GROUPS] = {false};
    for (size_t i = 0; i < n->n; i++) {
        const char *key = n->keys[i]->value;
        size_t g = 0, kk = 0;
        char w[192];
        snprintf(w, sizeof w, "%s.%s", what, key);
        name_class nc = classify(s, key, &g, &kk);
        if (nc == NAME_KIND) {
            cs_conv_error(c, n->keys[i],
                          "`%s` is a violation kind, but `%s` is keyed by group here: write "
                          "kinds outside and groups inside (`%s: {%s: {%s: ...}}`)",
                          key, what, r->what, key, s->groups[0].name);
            ok = false;
            continue;
        }
        if (nc != NAME_GROUP && nc != NAME_BOTH) {
            char in[224];
            snprintf(in, sizeof in, " in `%s`", what);
            cs_conv_unknown(c, n->keys[i], "group", in, key, names,
                            names_of(s, true, false, names));
            ok = false;
            continue;
        }
        const cs_ynode *v = n->items[i];
        if (!is_leaf(s, r, v)) {
            size_t counts[4];
            count_classes(s, v, counts);
            cs_conv_error(c, v,
                          counts[NAME_KIND] ? "`%s` gives violation kinds inside a group: write "
                                              "kinds outside and groups inside (`%s: {kind: "
                                              "{group: ...}}`)"
                                            : "`%s` must be one value here, not a mapping%s",
                          w, counts[NAME_KIND] ? r->what : "");
            ok = false;
            continue;
        }
        ok &= read_leaf(c, s, r, v, w, out, k, g);
        seen[g] = true;
    }
    for (size_t g = 0; g < s->n_groups && ok; g++)
        if (!seen[g] && s->groups[g].name) {
            cs_conv_error(c, n,
                          "`%s` gives no value for group `%s` (give every group, or one value "
                          "for all)",
                          what, s->groups[g].name);
            ok = false;
        }
    return ok;
}

/* The value of kind k inside a per-kind mapping: one leaf, or per group. */
static bool read_kind_value(cs_conv *c, const cs_scenario *s, const cs_case_reader *r,
                            const cs_ynode *v, const char *what, void *out, size_t k,
                            bool *by_group)
{
    if (is_leaf(s, r, v))
        return read_leaf(c, s, r, v, what, out, k, SIZE_MAX);
    *by_group = true;
    return read_per_group(c, s, r, v, what, out, k);
}

/* A mapping kind -> (leaf or per group): every kind of r->kinds given, no
 * other kind. */
static bool read_per_kind(cs_conv *c, const cs_scenario *s, const cs_case_reader *r,
                          const cs_ynode *n, void *out, bool *by_group)
{
    const char *names[CS_MAX_GROUPS + CS_MAX_VIOLATIONS];
    bool ok = true;
    uint32_t seen = 0;
    for (size_t i = 0; i < n->n; i++) {
        const char *key = n->keys[i]->value;
        size_t g = 0, k = 0;
        if (classify(s, key, &g, &k) != NAME_KIND) {
            char in[64];
            snprintf(in, sizeof in, " in `%s`", r->what);
            cs_conv_unknown(c, n->keys[i], "violation kind", in, key, names,
                            names_of(s, false, true, names));
            ok = false;
            continue;
        }
        if (!(r->kinds & (UINT32_C(1) << k))) {
            cs_conv_error(c, n->keys[i], "`%s` gives a value for `%s`, but %s", r->what, key,
                          r->closed_why ? r->closed_why : "it does not apply to that kind");
            ok = false;
            continue;
        }
        char w[192];
        snprintf(w, sizeof w, "%s.%s", r->what, key);
        ok &= read_kind_value(c, s, r, n->items[i], w, out, k, by_group);
        seen |= UINT32_C(1) << k;
    }
    for (size_t k = 0; k < s->n_violations && ok; k++)
        if ((r->kinds & (UINT32_C(1) << k)) && !(seen & (UINT32_C(1) << k))) {
            cs_conv_error(c, n,
                          "`%s` gives no value for violation kind `%s` (give every kind it "
                          "applies to, or one value for all)",
                          r->what, s->violations[k].name);
            ok = false;
        }
    return ok;
}

/* Reports the first key of n that is both a group and a kind; false if
 * none is. */
static bool ambiguous_key(cs_conv *c, const cs_scenario *s, const cs_case_reader *r,
                          const cs_ynode *n)
{
    for (size_t i = 0; i < n->n; i++) {
        size_t g, k;
        if (classify(s, n->keys[i]->value, &g, &k) == NAME_BOTH) {
            cs_conv_error(c, n->keys[i],
                          "`%s` is both a group and a violation kind, so `%s.%s` is ambiguous: "
                          "rename the group or the kind",
                          n->keys[i]->value, r->what, n->keys[i]->value);
            return true;
        }
    }
    return false;
}

bool cs_conv_by_case(cs_conv *c, const cs_ynode *n, const cs_scenario *s, const cs_case_reader *r,
                     void *out, cs_by_case *by)
{
    *by = CS_BY_ALL;
    if (s->n_groups == 0 || s->n_violations == 0 || r->kinds == 0)
        return false;
    if (is_leaf(s, r, n))
        return read_leaf(c, s, r, n, r->what, out, SIZE_MAX, SIZE_MAX);
    if (ambiguous_key(c, s, r, n))
        return false;
    size_t counts[4];
    count_classes(s, n, counts);
    if (counts[NAME_GROUP] && counts[NAME_KIND]) {
        cs_conv_error(c, n,
                      "`%s` mixes groups and violation kinds as keys: give it per kind, and "
                      "per group inside each kind (`%s: {kind: {group: ...}}`)",
                      r->what, r->what);
        return false;
    }
    if (counts[NAME_KIND]) {
        bool by_group = false;
        bool ok = read_per_kind(c, s, r, n, out, &by_group);
        *by = by_group ? CS_BY_KIND_GROUP : CS_BY_KIND;
        return ok;
    }
    *by = CS_BY_GROUP;
    return read_per_group(c, s, r, n, r->what, out, SIZE_MAX);
}
