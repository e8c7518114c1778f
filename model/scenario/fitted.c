/*
 * scenario/fitted.c — a scenario written back with new values of its
 * uncertain numbers and a new `uncertain:` and `correlations:` (see
 * cs_scenario_write_fitted in casesim/scenario.h).
 *
 * The file's own YAML tree is copied; the values are written at their paths
 * by the walk cs_scenario_instantiate uses (so that the written scenario at
 * its own values is, bit for bit, the original instantiated at them); each
 * `uncertain:` entry keeps its path(s), name and group and gets the new
 * distribution and source (or stays as it is: keep_prior); the tree is emitted by libyaml.
 * Everything else (targets, description, interventions...) is the original tree as read.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "scenario/internal.h"

/* The shortest decimal text that reads back as v (.inf, -.inf as YAML); a
 * whole number as one ("10", not "1e+01": YAML readers other than ours take
 * an exponent without a dot for text, and an index must be an integer). */
static void number_text(double v, char *buf, size_t n)
{
    if (isinf(v)) {
        snprintf(buf, n, "%s", v > 0 ? ".inf" : "-.inf");
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, n, "%.0f", v);
        return;
    }
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, n, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* A new plain scalar holding number v. */
static cs_ynode *number_node(double v)
{
    char buf[40];
    number_text(v, buf, sizeof buf);
    return cs_ynode_new(CS_YNODE_SCALAR, (cs_pos){0, 0}, buf);
}

/* Adds key: item to map, taking item (freed on failure). */
static int put(cs_ynode *map, const char *key, cs_ynode *item)
{
    cs_ynode *k = cs_ynode_new(CS_YNODE_SCALAR, (cs_pos){0, 0}, key);
    if (!k || !item || cs_ynode_append(map, k, item) != CS_OK) {
        cs_ynode_free(k);
        cs_ynode_free(item);
        return CS_ENOMEM;
    }
    return CS_OK;
}

/* Removes key from map if present. */
static void drop(cs_ynode *map, const char *key)
{
    for (size_t i = 0; i < map->n; i++)
        if (!strcmp(map->keys[i]->value, key)) {
            cs_ynode_remove(map, i);
            return;
        }
}

/* Writes every value at its path, then rewrites each number as its shortest
 * exact text (cs_patch_set writes 17 digits; the same double either way). */
static int write_values(cs_conv *c, cs_ynode *tree, const cs_scenario *s, const double *values)
{
    for (size_t e = 0; e < s->n_uncertain; e++) {
        const cs_uncertain *u = &s->uncertain[e];
        for (size_t i = 0; i < u->n_paths; i++) {
            double v = values[u->offset + i];
            int st = cs_patch_set(c, tree, s, u->paths[i], v);
            cs_path_hit hit;
            if (st == CS_OK)
                st = cs_patch_find(c, tree, s, u->paths[i], u->pos, "uncertain", true, &hit);
            if (st != CS_OK)
                return st;
            char buf[40];
            number_text(v, buf, sizeof buf);
            char *text = cs_xstrdup(buf);
            if (!text)
                return cs_error_set(c->err, CS_ENOMEM, "%s: out of memory", c->file);
            if (hit.group) { /* not expanded: keep the 17 digits already written */
                free(text);
                continue;
            }
            free(hit.node->value);
            hit.node->value = text;
        }
    }
    return CS_OK;
}

/* A list of the n numbers v. */
static cs_ynode *list_node(const double *v, size_t n)
{
    cs_ynode *l = cs_ynode_new(CS_YNODE_SEQ, (cs_pos){0, 0}, NULL);
    for (size_t i = 0; l && i < n; i++) {
        cs_ynode *x = number_node(v[i]);
        if (!x || cs_ynode_append(l, NULL, x) != CS_OK) {
            cs_ynode_free(x);
            cs_ynode_free(l);
            l = NULL;
        }
    }
    return l;
}

/* The distribution of f as a mapping of its parameters. */
static cs_ynode *family_node(const cs_fitted_entry *f)
{
    cs_ynode *m = cs_ynode_new(CS_YNODE_MAP, (cs_pos){0, 0}, NULL);
    int st = m ? CS_OK : CS_ENOMEM;
    if (st == CS_OK && f->family == CS_UNC_DIRICHLET)
        st = put(m, "counts", list_node(f->counts, f->k));
    for (size_t i = 0; st == CS_OK && f->family != CS_UNC_DIRICHLET && i < f->n_params; i++)
        st = put(m, f->param_name[i], number_node(f->param[i]));
    if (st != CS_OK) {
        cs_ynode_free(m);
        return NULL;
    }
    return m;
}

/* Entry item (a copy of the original entry) with f's distribution, or as
 * it is if f keeps the prior. */
static int rewrite_entry(cs_ynode *item, const cs_fitted_entry *f)
{
    if (f->keep_prior)
        return CS_OK;
    for (int g = 0; g < CS_UNC_N_FAMILIES; g++)
        drop(item, cs_unc_family_name((enum cs_unc_family)g));
    drop(item, "truncate");
    drop(item, "source");
    cs_ynode *src = cs_ynode_new(CS_YNODE_SCALAR, (cs_pos){0, 0}, f->source ? f->source : "");
    if (src)
        src->quoted = true;
    int st = put(item, "source", src);
    if (st == CS_OK)
        st = put(item, cs_unc_family_name(f->family), family_node(f));
    if (st == CS_OK && f->truncated)
        st = put(item, "truncate", list_node(f->truncate, 2));
    return st;
}

/* The `correlations:` list of f. */
static cs_ynode *correlations_node(const cs_fitted_scenario *f)
{
    cs_ynode *l = cs_ynode_new(CS_YNODE_SEQ, (cs_pos){0, 0}, NULL);
    for (size_t i = 0; l && i < f->n_correlations; i++) {
        const cs_correlation *k = &f->correlations[i];
        double between[2] = {(double)k->a, (double)k->b};
        cs_ynode *m = cs_ynode_new(CS_YNODE_MAP, (cs_pos){0, 0}, NULL);
        int st = m ? put(m, "between", list_node(between, 2)) : CS_ENOMEM;
        if (st == CS_OK)
            st = put(m, "rho", number_node(k->rho));
        if (st == CS_OK && cs_ynode_append(l, NULL, m) == CS_OK)
            continue;
        cs_ynode_free(m);
        cs_ynode_free(l);
        l = NULL;
    }
    return l;
}

/* Replaces `uncertain:` and `correlations:` of tree by f's. */
static int rewrite_sections(cs_ynode *tree, const cs_scenario *s, const cs_fitted_scenario *f)
{
    cs_ynode *list = cs_ynode_get(tree, "uncertain");
    if (!list || list->kind != CS_YNODE_SEQ || list->n != s->n_uncertain)
        return CS_EINVAL;
    for (size_t e = 0; e < s->n_uncertain; e++) {
        int st = rewrite_entry(list->items[e], &f->entries[e]);
        if (st != CS_OK)
            return st;
    }
    drop(tree, "correlations");
    if (f->n_correlations == 0)
        return CS_OK;
    int st = put(tree, "correlations", correlations_node(f));
    if (st != CS_OK)
        return st;
    /* Move it from the end to just after `uncertain:`, where readers look. */
    size_t at = 0;
    while (strcmp(tree->keys[at]->value, "uncertain") != 0)
        at++;
    cs_ynode *k = tree->keys[tree->n - 1], *v = tree->items[tree->n - 1];
    for (size_t i = tree->n - 1; i > at + 1; i--) {
        tree->keys[i] = tree->keys[i - 1];
        tree->items[i] = tree->items[i - 1];
    }
    tree->keys[at + 1] = k;
    tree->items[at + 1] = v;
    return CS_OK;
}

/* The header: every line of text as a comment. */
static int write_header(FILE *out, const char *text)
{
    const char *p = text;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        if (fprintf(out, len ? "# %.*s\n" : "#%.*s\n", len, p) < 0)
            return CS_EIO;
        p = nl ? nl + 1 : p + len;
    }
    return CS_OK;
}

int cs_scenario_write_fitted(const cs_scenario *s, const cs_fitted_scenario *f, FILE *out,
                             const char *name, cs_error *err)
{
    const char *file = s->path ? s->path : "<string>";
    if (!s->tree || !s->uncertain_set)
        return cs_error_set(err, CS_EINVAL,
                            "%s: a fitted scenario is written from a loaded scenario with "
                            "uncertain inputs",
                            file);
    cs_ynode *copy = NULL;
    if (cs_ynode_copy(s->tree, &copy) != CS_OK)
        return cs_error_set(err, CS_ENOMEM, "%s: out of memory", file);
    cs_conv c = {.err = err, .file = file};
    int st = write_values(&c, copy, s, f->values);
    if (st == CS_OK && (st = rewrite_sections(copy, s, f)) != CS_OK)
        st = cs_error_set(err, st, "%s: cannot rewrite `uncertain:`: %s", file,
                          st == CS_ENOMEM ? "out of memory" : "the tree is not the loaded one");
    if (st == CS_OK && write_header(out, f->header) != CS_OK)
        st = cs_error_set(err, CS_EIO, "%s: cannot write", name ? name : "<output>");
    if (st == CS_OK)
        st = cs_ytree_emit(copy, out, name, err);
    cs_ynode_free(copy);
    return st;
}
