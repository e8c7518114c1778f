/*
 * scenario.c — loading a scenario file end to end, building its variants,
 * freeing and looking up (see include/casesim/scenario.h).
 *
 * cs_scenario_load_string: text -> YAML tree (yaml_tree.c) -> validated base
 * scenario (scenario/load.c); then for every variant a copy of the tree is
 * patched (scenario/patch.c) and converted again, so that each variant is an
 * independent, fully validated cs_scenario. Errors of the base file and of
 * every variant are all collected before returning.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "scenario/dynamics_internal.h"
#include "scenario/internal.h"

_Static_assert(CS_YAML_MAX_DEPTH == CS_MAX_YAML_DEPTH,
               "the YAML tree enforces the documented limit");

static void release_network(cs_scenario *s)
{
    for (size_t i = 0; i < s->n_groups; i++) {
        free(s->groups[i].name);
        free(s->groups[i].label);
        free(s->groups[i].population_source);
    }
    free(s->groups);
    for (size_t i = 0; i < s->n_violations; i++) {
        free(s->violations[i].name);
        free(s->violations[i].share);
    }
    free(s->violations);
    for (size_t i = 0; i < s->n_stages; i++) {
        cs_stage *st = &s->stages[i];
        free(st->name);
        free(st->durations);
        free(st->deadlines);
        free(st->reference);
        for (size_t b = 0; b < st->n_branches; b++) {
            free(st->branches[b].to);
            free(st->branches[b].p_kg);
            free(st->branches[b].kind_odds_ratio);
        }
        free(st->branches);
    }
    free(s->stages);
    for (size_t i = 0; i < s->n_outcomes; i++)
        free(s->outcomes[i].name);
    free(s->outcomes);
    for (size_t i = 0; i < s->n_categories; i++)
        free(s->categories[i]);
    free(s->categories);
}

static void release_interventions(cs_scenario *s)
{
    for (size_t i = 0; i < s->n_interventions; i++) {
        cs_intervention *iv = &s->interventions[i];
        free(iv->name);
        free(iv->description);
        for (size_t j = 0; j < iv->n_changes; j++) {
            free(iv->changes[j].path);
            free(iv->changes[j].shown);
            cs_ynode_free(iv->changes[j].node);
        }
        free(iv->changes);
    }
    free(s->interventions);
    for (size_t i = 0; i < s->n_bundles; i++) {
        free(s->bundles[i].name);
        free(s->bundles[i].description);
        free(s->bundles[i].interventions);
    }
    free(s->bundles);
}

/* The uncertain inputs, the decision and the calibration targets. */
static void release_uncertainty(cs_scenario *s)
{
    for (size_t i = 0; i < s->n_uncertain; i++) {
        cs_uncertain *u = &s->uncertain[i];
        free(u->name);
        free(u->source);
        free(u->group);
        for (size_t j = 0; u->paths && j < u->n_paths; j++)
            free(u->paths[j]);
        free(u->paths);
        free(u->value);
    }
    free(s->uncertain);
    free(s->correlations);
    cs_unc_set_free(s->uncertain_set);
    free(s->decision.measure);
    free(s->decision.group);
    free(s->decision.currency);
    free(s->decision.portfolio_members);
    free(s->decision.portfolio_costs);
    for (size_t i = 0; i < s->n_targets; i++) {
        free(s->targets[i].name);
        free(s->targets[i].source);
    }
    free(s->targets);
}

void cs_scenario_release(cs_scenario *s)
{
    if (!s)
        return;
    free(s->path);
    free(s->source);
    free(s->name);
    free(s->description);
    free(s->currency);
    release_network(s);
    release_interventions(s);
    release_uncertainty(s);
    cs_ynode_free(s->tree);
    for (size_t i = 0; i < s->n_variants; i++) {
        cs_variant *v = &s->variants[i];
        free(v->name);
        free(v->description);
        free(v->applied);
        cs_scenario_free(v->scenario);
    }
    free(s->variants);
    cs_dynamics_release(s);
    free(s->decomposed);
    free(s->permutations);
    memset(s, 0, sizeof *s);
}

void cs_scenario_free(cs_scenario *s)
{
    if (!s)
        return;
    cs_scenario_release(s);
    free(s);
}

long cs_scenario_find_variant(const cs_scenario *s, const char *name)
{
    if (!s || !name)
        return -1;
    for (size_t i = 0; i < s->n_variants; i++)
        if (s->variants[i].name && strcmp(s->variants[i].name, name) == 0)
            return (long)i;
    return -1;
}

long cs_scenario_find_stage(const cs_scenario *s, const char *name)
{
    if (!s || !name)
        return -1;
    for (size_t i = 0; i < s->n_stages; i++)
        if (s->stages[i].name && strcmp(s->stages[i].name, name) == 0)
            return (long)i;
    return -1;
}

long cs_scenario_find_outcome(const cs_scenario *s, const char *name)
{
    if (!s || !name)
        return -1;
    for (size_t i = 0; i < s->n_outcomes; i++)
        if (s->outcomes[i].name && strcmp(s->outcomes[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* Whether two name lists are the same, in the same order. */
static bool same_names(const char *const *a, size_t na, const char *const *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (!a[i] || !b[i] || strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

/* Whether variant scenario v has the groups, violation kinds, stages and
 * outcomes of base, by name and in order: every variant's results share
 * their shapes, and replicate i of a variant is paired with replicate i of
 * the baseline incident by incident. */
static bool same_structure(const cs_scenario *base, const cs_scenario *v)
{
    const char *a[CS_MAX_STAGES + CS_MAX_OUTCOMES], *b[CS_MAX_STAGES + CS_MAX_OUTCOMES];
    bool ok = base->n_groups == v->n_groups && base->n_violations == v->n_violations &&
              base->n_stages == v->n_stages && base->n_outcomes == v->n_outcomes &&
              base->n_categories == v->n_categories;
    for (size_t i = 0; ok && i < base->n_groups; i++)
        ok = !strcmp(base->groups[i].name, v->groups[i].name);
    for (size_t i = 0; ok && i < base->n_violations; i++)
        ok = !strcmp(base->violations[i].name, v->violations[i].name);
    for (size_t i = 0; ok && i < base->n_stages; i++) {
        a[i] = base->stages[i].name;
        b[i] = v->stages[i].name;
    }
    for (size_t i = 0; ok && i < base->n_outcomes; i++) {
        a[base->n_stages + i] = base->outcomes[i].name;
        b[base->n_stages + i] = v->outcomes[i].name;
    }
    return ok && same_names(a, base->n_stages + base->n_outcomes, b, v->n_stages + v->n_outcomes);
}

/* Builds one variant: copies the base tree, applies the listed interventions
 * in order, converts and validates the result. On error, reports through err
 * and leaves v->scenario NULL. */
static int build_variant(const cs_scenario *base, const cs_ynode *tree, const char *file,
                         cs_variant *v, cs_error *err)
{
    cs_ynode *copy = NULL;
    if (cs_ynode_copy(tree, &copy) != CS_OK)
        return cs_error_set(err, CS_ENOMEM, "%s: out of memory", file);
    size_t n_changes = 0;
    for (size_t i = 0; i < v->n_applied; i++)
        n_changes += base->interventions[v->applied[i]].n_changes;
    cs_applied_change *changes = calloc(n_changes ? n_changes : 1, sizeof *changes);
    if (!changes) {
        cs_ynode_free(copy);
        return cs_error_set(err, CS_ENOMEM, "%s: out of memory", file);
    }
    cs_conv c = {.err = err, .file = file, .variant = v->name, .changes = changes};
    int status = CS_OK;
    int first = 0;
    for (size_t i = 0; i < v->n_applied; i++) {
        const cs_intervention *iv = &base->interventions[v->applied[i]];
        for (size_t j = 0; j < iv->n_changes; j++) {
            changes[c.n_changes].intervention = iv->name;
            changes[c.n_changes].change = &iv->changes[j];
            c.n_changes++;
        }
        /* A timed intervention moves its numbers in time (dynamics_variant.c):
         * the tree holds what is in force from the start. */
        int st =
            iv->starts > 0.0 || iv->ramp > 0.0 ? CS_OK : cs_patch_apply(&c, copy, base, iv, first);
        if (st != CS_OK && status == CS_OK)
            status = st;
        first += (int)iv->n_changes;
    }
    if (status == CS_OK) {
        cs_scenario *vs = calloc(1, sizeof *vs);
        if (!vs) {
            status = cs_error_set(err, CS_ENOMEM, "%s: out of memory", file);
        } else {
            status = cs_scenario_convert(&c, copy, false, vs);
            if (status == CS_OK && !same_structure(base, vs)) {
                cs_pos none = {0, 0};
                cs_conv_fail(&c, CS_EINVAL, NULL, none,
                             "an intervention may not add, remove or rename groups, violation "
                             "kinds, stages or outcomes: every variant is compared with the "
                             "baseline incident by incident, on the same tables");
                status = CS_EINVAL;
            }
            if (status == CS_OK && cs_variant_is_dynamic(base, v))
                status = cs_variant_dynamics(&c, base, tree, v, copy, vs);
            vs->n_uncertain_values = base->n_uncertain_values;
            if (status == CS_OK) {
                vs->path = cs_xstrdup(file);
                if (!vs->path)
                    status = cs_error_set(err, CS_ENOMEM, "%s: out of memory", file);
            }
            if (status == CS_OK)
                v->scenario = vs;
            else
                cs_scenario_free(vs);
        }
    }
    free(changes);
    cs_ynode_free(copy);
    return status;
}

int cs_scenario_build_variants(cs_scenario *s, const cs_ynode *tree, const char *file,
                               cs_error *err)
{
    size_t n = 1 + s->n_interventions + s->n_bundles;
    s->variants = calloc(n, sizeof *s->variants);
    if (!s->variants)
        return cs_error_set(err, CS_ENOMEM, "%s: out of memory", file);
    s->n_variants = n;
    int status = CS_OK;
    for (size_t k = 0; k < n; k++) {
        cs_variant *v = &s->variants[k];
        const char *name, *desc;
        if (k == 0) {
            v->kind = CS_VARIANT_BASELINE;
            name = "baseline";
            desc = "the scenario as written, without interventions";
        } else if (k <= s->n_interventions) {
            const cs_intervention *iv = &s->interventions[k - 1];
            v->kind = CS_VARIANT_INTERVENTION;
            name = iv->name;
            desc = iv->description;
            v->annual_cost = iv->annual_cost;
            v->n_applied = 1;
        } else {
            const cs_bundle *bd = &s->bundles[k - 1 - s->n_interventions];
            v->kind = CS_VARIANT_BUNDLE;
            v->portfolio = bd->portfolio;
            name = bd->name;
            desc = bd->description;
            v->n_applied = bd->n_interventions;
        }
        v->name = cs_xstrdup(name);
        v->description = cs_xstrdup(desc);
        v->applied = calloc(v->n_applied ? v->n_applied : 1, sizeof *v->applied);
        if (!v->name || !v->description || !v->applied)
            return cs_error_set(err, CS_ENOMEM, "%s: out of memory", file);
        if (v->kind == CS_VARIANT_INTERVENTION) {
            v->applied[0] = k - 1;
        } else if (v->kind == CS_VARIANT_BUNDLE) {
            const cs_bundle *bd = &s->bundles[k - 1 - s->n_interventions];
            bool parts_ok = true;
            for (size_t i = 0; i < bd->n_interventions; i++) {
                v->applied[i] = bd->interventions[i];
                v->annual_cost += s->interventions[bd->interventions[i]].annual_cost;
                /* An intervention that failed on its own has been reported;
                 * the bundle would only repeat it. */
                parts_ok &= s->variants[1 + bd->interventions[i]].scenario != NULL;
            }
            if (!parts_ok) {
                if (status == CS_OK)
                    status = CS_EINVAL;
                continue;
            }
        }
        int st = build_variant(s, tree, file, v, err);
        if (st == CS_ENOMEM)
            return st;
        if (st != CS_OK && status == CS_OK)
            status = st;
    }
    /* The base scenario moves in time as its baseline does. */
    if (status == CS_OK && cs_timelines_copy(s->variants[0].scenario, s) != CS_OK)
        status = cs_error_set(err, CS_ENOMEM, "%s: out of memory", file);
    return status;
}

/* Sorts the messages appended to err->text since offset `from` by their
 * FILE:LINE:COLUMN position (stably; messages without one keep their place
 * at the end), so that a user reads a file's errors from top to bottom. */
static void sort_messages(cs_error *err, size_t from, const char *file)
{
    if (!err)
        return;
    enum { MAX_SORTED = 1024 };
    char *text = err->text + from;
    size_t len = strlen(text);
    struct msg {
        const char *start;
        size_t len;
        long line, col;
    } m[MAX_SORTED];
    size_t n = 0, flen = strlen(file);
    for (const char *p = text; *p && n < MAX_SORTED;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) + 1 : strlen(p);
        m[n].start = p;
        m[n].len = l;
        m[n].line = m[n].col = LONG_MAX;
        if (strncmp(p, file, flen) == 0 && p[flen] == ':') {
            char *end;
            long line = strtol(p + flen + 1, &end, 10);
            if (*end == ':') {
                m[n].line = line;
                m[n].col = strtol(end + 1, &end, 10);
            }
        }
        n++;
        p += l;
    }
    if (n < 2 || n == MAX_SORTED)
        return;
    for (size_t i = 1; i < n; i++) {
        struct msg k = m[i];
        size_t j = i;
        while (j > 0 &&
               (m[j - 1].line > k.line || (m[j - 1].line == k.line && m[j - 1].col > k.col))) {
            m[j] = m[j - 1];
            j--;
        }
        m[j] = k;
    }
    char *sorted = malloc(len + 1);
    if (!sorted)
        return;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(sorted + used, m[i].start, m[i].len);
        used += m[i].len;
    }
    sorted[used] = '\0';
    memcpy(text, sorted, used + 1);
    free(sorted);
}

/* The extreme values a draw can give each uncertain number: the marginal
 * quantile at p (2^-53 or 1 - 2^-53, the ends of the uniforms draws use);
 * a Dirichlet's numbers keep the scenario's (they must sum to 1). */
static int extreme_values(const cs_scenario *s, double p, double *values)
{
    int st = cs_unc_percentiles(s->uncertain_set, p, values, NULL);
    for (size_t e = 0; e < s->n_uncertain && st == CS_OK; e++)
        if (s->uncertain[e].n_paths > 1)
            for (size_t i = 0; i < s->uncertain[e].n_paths; i++)
                values[s->uncertain[e].offset + i] = s->uncertain[e].value[i];
    return st;
}

/* Every uncertain number at the lower, then the upper end of what a draw can
 * give must still make a valid scenario: the limits are the same for every
 * draw, so a scenario that fails here would fail in some run. */
static int check_extremes(const cs_scenario *s, const cs_ynode *tree, cs_error *err)
{
    if (s->n_uncertain == 0)
        return CS_OK;
    double *v = cs_xcalloc(s->n_uncertain_values, sizeof *v);
    cs_error *local = malloc(sizeof *local);
    int st = v && local ? CS_OK : cs_error_set(err, CS_ENOMEM, "%s: out of memory", s->path);
    const double ends[2] = {0x1p-53, 1 - 0x1p-53};
    const cs_ynode *at = cs_ynode_key(tree, "uncertain");
    for (int k = 0; k < 2 && st == CS_OK; k++) {
        cs_scenario *inst = NULL;
        cs_error_clear(local);
        st = extreme_values(s, ends[k], v);
        if (st == CS_OK)
            st = cs_scenario_instantiate(s, v, &inst, local);
        cs_scenario_free(inst);
        if (st == CS_OK || st == CS_ENOMEM)
            continue;
        local->text[strcspn(local->text, "\n")] = '\0';
        st = cs_error_at(err, st, s->path, at->pos.line, at->pos.column,
                         "with every uncertain number at the %s end of its distribution (a draw "
                         "can come that close), the scenario is invalid: truncate the "
                         "distributions so that every draw is valid: %s",
                         k ? "upper" : "lower", local->text);
    }
    free(v);
    free(local);
    return st;
}

/* The sections after the base scenario, when it is valid: uncertain inputs
 * and the decision (with its budget portfolios), the variants, and the
 * extreme draws. */
static int load_rest(cs_scenario *s, cs_conv *c, cs_ynode *tree, cs_error *err)
{
    size_t errors0 = c->errors;
    cs_load_uncertain(c, tree, s);
    cs_load_decision(c, tree, s);
    cs_load_targets(c, tree, s);
    if (c->errors != errors0)
        return err && err->status != CS_OK ? err->status : CS_EINVAL;
    /* One currency for every cost: the decision's, when it names none, is
     * the scenario's `currency` (and the other way round). */
    char **empty = !s->decision.currency[0] ? &s->decision.currency
                   : !s->currency[0]        ? &s->currency
                                            : NULL;
    const char *from = empty == &s->decision.currency ? s->currency : s->decision.currency;
    if (empty && from[0]) {
        char *copy = cs_xstrdup(from);
        if (!copy)
            return cs_error_set(err, CS_ENOMEM, "%s: out of memory", c->file);
        free(*empty);
        *empty = copy;
    }
    int st = cs_scenario_build_variants(s, tree, c->file, err);
    if (st == CS_OK)
        st = check_extremes(s, tree, err);
    return st;
}

int cs_scenario_load_string(const char *text, size_t len, const char *name, cs_scenario **out,
                            cs_error *err)
{
    *out = NULL;
    const char *file = name ? name : "<string>";
    size_t count0 = err ? err->count : 0;
    size_t text0 = err ? strlen(err->text) : 0;
    if (len > CS_MAX_FILE_BYTES)
        return cs_error_at(err, CS_ELIMIT, file, 1, 1,
                           "the file has %zu bytes; the limit is %u (CS_MAX_FILE_BYTES)", len,
                           CS_MAX_FILE_BYTES);
    cs_ynode *tree = NULL;
    int st = cs_ytree_parse(text, len, file, &tree, err);
    if (st != CS_OK)
        return st;
    cs_scenario *s = calloc(1, sizeof *s);
    if (!s) {
        cs_ynode_free(tree);
        return cs_error_set(err, CS_ENOMEM, "%s: out of memory", file);
    }
    s->tree = tree; /* kept for cs_scenario_instantiate; freed with s */
    cs_conv c = {.err = err, .file = file};
    st = cs_scenario_convert(&c, tree, true, s);
    if (st == CS_OK) {
        s->path = cs_xstrdup(file);
        s->source = malloc(len + 1);
        if (!s->path || !s->source) {
            st = cs_error_set(err, CS_ENOMEM, "%s: out of memory", file);
        } else {
            memcpy(s->source, text, len);
            s->source[len] = '\0';
            s->source_len = len;
            st = load_rest(s, &c, tree, err);
        }
        if (st == CS_OK && s->decompose)
            st = cs_scenario_decompose(s, err);
    }
    if (st != CS_OK) {
        cs_scenario_free(s);
        sort_messages(err, text0, file);
        /* The first recorded status of this load (e.g. CS_ELIMIT) wins. */
        if (err && err->count > count0 && err->status != CS_OK)
            return err->status;
        return st;
    }
    *out = s;
    return CS_OK;
}

int cs_scenario_load(const char *path, cs_scenario **out, cs_error *err)
{
    *out = NULL;
    if (!path)
        return cs_error_set(err, CS_EINVAL, "no scenario file given");
    FILE *f = fopen(path, "rb");
    if (!f)
        return cs_error_set(err, CS_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    int st = CS_OK;
    while (buf) {
        if (len == cap) {
            if (cap > CS_MAX_FILE_BYTES) {
                st = cs_error_at(err, CS_ELIMIT, path, 1, 1,
                                 "the file is larger than %u bytes (CS_MAX_FILE_BYTES)",
                                 CS_MAX_FILE_BYTES);
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                st = cs_error_set(err, CS_EIO, "%s: read error", path);
            break;
        }
    }
    fclose(f);
    if (!buf)
        return cs_error_set(err, CS_ENOMEM, "%s: out of memory", path);
    if (st == CS_OK)
        st = cs_scenario_load_string(buf, len, path, out, err);
    free(buf);
    return st;
}
