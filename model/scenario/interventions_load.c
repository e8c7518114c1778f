/*
 * scenario/interventions_load.c — the interventions (named sets of changes
 * to the scenario, with their annual cost) and bundles of interventions.
 * The changes are applied, and each variant re-validated, by
 * scenario/patch.c and scenario/scenario.c.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "scenario/dynamics_internal.h"
#include "scenario/internal.h"

static const char *const INTERVENTION_KEYS[] = {"name",    "description", "annual_cost",
                                                "changes", "starts",      "ramp_years"};
static const char *const CHANGE_KEYS[] = {"path", "set", "scale", "remove"};
static const char *const BUNDLE_KEYS[] = {"name", "description", "interventions"};

/* ------------------------------------------------ interventions and bundles */

const char *cs_path_syntax(const char *p)
{
    if (!*p)
        return "it is empty";
    const char *q = p;
    bool need_name = true;
    while (*q) {
        if (need_name) {
            const char *start = q;
            while (*q && *q != '.' && *q != '[' && *q != ']')
                q++;
            if (q == start)
                return "a segment is empty (two dots, or a dot at the start or end)";
            need_name = false;
        } else if (*q == '[') {
            q++;
            if (!(*q >= '0' && *q <= '9'))
                return "`[` must be followed by an index (a whole number) and `]`";
            while (*q >= '0' && *q <= '9')
                q++;
            if (*q != ']')
                return "`[` must be followed by an index (a whole number) and `]`";
            q++;
        } else if (*q == '.') {
            q++;
            if (!*q)
                return "it ends with a dot";
            need_name = true;
        } else {
            return "unexpected `]`";
        }
    }
    return NULL;
}

/* `set: VALUE` as a replacement: text (`queue: priority`), a list (`kinds`)
 * or a mapping (a whole `deadline`), kept as a copy of the tree. */
static void read_replacement(cs_conv *c, const cs_ynode *set, cs_change *cg)
{
    if (cs_ynode_is_null(set)) {
        cs_conv_error(c, set, "`set` needs a value; to remove a key, write `remove: true`");
        return;
    }
    cg->op = CS_CHANGE_REPLACE;
    char shown[160];
    if (cs_ynode_copy(set, &cg->node) != CS_OK ||
        !(cg->shown = cs_xstrdup(cs_ynode_render(set, shown, sizeof shown))))
        cs_conv_mem(c, NULL);
}

/* The change's operation: `set` (a number, or any other value), `scale`
 * (a number) or `remove: true`, exactly one of them. */
static void read_change_op(cs_conv *c, const cs_ynode *ch, cs_change *cg)
{
    const cs_ynode *set = cs_ynode_get(ch, "set"), *scale = cs_ynode_get(ch, "scale");
    const cs_ynode *rm = cs_ynode_get(ch, "remove");
    if (set && scale) {
        cs_conv_error(c, ch, "a change has either `set` or `scale`, not both");
    } else if (rm && (set || scale)) {
        cs_conv_error(c, ch, "a change has either `remove` or `%s`, not both",
                      set ? "set" : "scale");
    } else if (set) {
        double v;
        bool number =
            set->kind == CS_YNODE_SCALAR && !set->quoted && cs_parse_number(set->value, &v) == NULL;
        if (number) {
            cg->op = CS_CHANGE_SET;
            cs_conv_num(c, set, "set", &cg->value);
        } else {
            read_replacement(c, set, cg);
        }
    } else if (scale) {
        cg->op = CS_CHANGE_SCALE;
        cs_conv_num_in(c, scale, "scale", 0, false, HUGE_VAL, &cg->value);
    } else if (rm) {
        bool yes = false;
        if (cs_conv_bool(c, rm, "remove", &yes) && !yes)
            cs_conv_error(c, rm, "`remove` can only be `true`: leave the change out instead");
        cg->op = CS_CHANGE_REMOVE;
    } else {
        cs_conv_error(c, ch, "a change needs `set: VALUE`, `scale: FACTOR` or `remove: true`");
    }
}

/* A name unique among interventions and bundles, and not `baseline`. */
static void check_variant_name(cs_conv *c, const cs_ynode *n, const char *name,
                               const cs_scenario *s, size_t n_iv, size_t n_bd)
{
    if (strcmp(name, "baseline") == 0) {
        cs_conv_error(c, n, "`baseline` is reserved for the scenario without interventions");
        return;
    }
    for (size_t j = 0; j < n_iv; j++)
        if (s->interventions[j].name && strcmp(s->interventions[j].name, name) == 0) {
            cs_conv_error(c, n, "duplicate name `%s` (an intervention at line %d has it)", name,
                          s->interventions[j].pos.line);
            return;
        }
    for (size_t j = 0; j < n_bd; j++)
        if (s->bundles[j].name && strcmp(s->bundles[j].name, name) == 0) {
            cs_conv_error(c, n, "duplicate name `%s` (a bundle at line %d has it)", name,
                          s->bundles[j].pos.line);
            return;
        }
}

/* `starts` (a time in the run; default its start) and `ramp_years` (>= 0). */
static void read_timing(cs_conv *c, const cs_ynode *m, const cs_scenario *s, cs_intervention *iv)
{
    iv->starts_pos = m->pos;
    const cs_ynode *n = cs_ynode_get(m, "starts");
    if (n) {
        iv->starts_pos = n->pos;
        cs_conv_time(c, n, s, "`starts`", false, &iv->starts);
    }
    if ((n = cs_ynode_get(m, "ramp_years"))) {
        double r;
        if (cs_conv_num_in(c, n, "ramp_years", 0, false, CS_MAX_YEARS, &r))
            iv->ramp = r * CS_DAYS_PER_YEAR;
    }
}

void cs_load_interventions(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    const cs_ynode *l = cs_ynode_get(root, "interventions");
    if (!l || cs_ynode_is_null(l))
        return;
    if (!cs_conv_is_list(c, l, "interventions", CS_MAX_INTERVENTIONS, "CS_MAX_INTERVENTIONS"))
        return;
    s->interventions = cs_conv_mem(c, cs_xcalloc(l->n, sizeof *s->interventions));
    if (!s->interventions)
        return;
    s->n_interventions = l->n;
    for (size_t i = 0; i < l->n; i++) {
        const cs_ynode *m = l->items[i];
        cs_intervention *iv = &s->interventions[i];
        iv->pos = m->pos;
        if (!cs_conv_is_map(c, m, "an intervention"))
            continue;
        cs_conv_check_keys(c, m, "an intervention", INTERVENTION_KEYS, N_OF(INTERVENTION_KEYS));
        const cs_ynode *n = cs_conv_need(c, m, "name", "an intervention");
        if (n && cs_conv_name(c, n, "name", &iv->name))
            check_variant_name(c, n, iv->name, s, i, 0);
        if ((n = cs_ynode_get(m, "description")))
            cs_conv_text(c, n, "description", &iv->description);
        if (!iv->description)
            iv->description = cs_conv_mem(c, cs_xstrdup(""));
        if ((n = cs_ynode_get(m, "annual_cost")))
            cs_conv_num_in(c, n, "annual_cost", -CS_MAX_COST, false, CS_MAX_COST, &iv->annual_cost);
        read_timing(c, m, s, iv);
        const cs_ynode *cl = cs_conv_need(c, m, "changes", "an intervention");
        if (!cl || !cs_conv_is_list(c, cl, "changes", CS_MAX_CHANGES, "CS_MAX_CHANGES"))
            continue;
        iv->changes = cs_conv_mem(c, cs_xcalloc(cl->n, sizeof *iv->changes));
        if (!iv->changes)
            continue;
        iv->n_changes = cl->n;
        for (size_t j = 0; j < cl->n; j++) {
            const cs_ynode *ch = cl->items[j];
            cs_change *cg = &iv->changes[j];
            cg->pos = ch->pos;
            if (!cs_conv_is_map(c, ch, "a change"))
                continue;
            cs_conv_check_keys(c, ch, "a change", CHANGE_KEYS, N_OF(CHANGE_KEYS));
            const cs_ynode *p = cs_conv_need(c, ch, "path", "a change");
            if (p && cs_conv_short_text(c, p, "path", CS_MAX_PATH_LEN, &cg->path)) {
                cg->pos = p->pos;
                const char *why = cs_path_syntax(cg->path);
                if (why)
                    cs_conv_error(c, p, "the path `%.100s` is malformed: %s", cg->path, why);
            }
            read_change_op(c, ch, cg);
        }
    }
}

void cs_load_bundles(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    const cs_ynode *l = cs_ynode_get(root, "bundles");
    if (!l || cs_ynode_is_null(l))
        return;
    if (!cs_conv_is_list(c, l, "bundles", CS_MAX_BUNDLES, "CS_MAX_BUNDLES"))
        return;
    s->bundles = cs_conv_mem(c, cs_xcalloc(l->n, sizeof *s->bundles));
    if (!s->bundles)
        return;
    s->n_bundles = l->n;
    const char *ivn[CS_MAX_INTERVENTIONS];
    for (size_t k = 0; k < s->n_interventions; k++)
        ivn[k] = s->interventions[k].name;
    for (size_t i = 0; i < l->n; i++) {
        const cs_ynode *m = l->items[i];
        cs_bundle *bd = &s->bundles[i];
        bd->pos = m->pos;
        if (!cs_conv_is_map(c, m, "a bundle"))
            continue;
        cs_conv_check_keys(c, m, "a bundle", BUNDLE_KEYS, N_OF(BUNDLE_KEYS));
        const cs_ynode *n = cs_conv_need(c, m, "name", "a bundle");
        if (n && cs_conv_name(c, n, "name", &bd->name))
            check_variant_name(c, n, bd->name, s, s->n_interventions, i);
        if ((n = cs_ynode_get(m, "description")))
            cs_conv_text(c, n, "description", &bd->description);
        if (!bd->description)
            bd->description = cs_conv_mem(c, cs_xstrdup(""));
        const cs_ynode *il = cs_conv_need(c, m, "interventions", "a bundle");
        if (!il ||
            !cs_conv_is_list(c, il, "interventions", CS_MAX_INTERVENTIONS, "CS_MAX_INTERVENTIONS"))
            continue;
        bd->interventions = cs_conv_mem(c, cs_xcalloc(il->n, sizeof *bd->interventions));
        if (!bd->interventions)
            continue;
        bd->n_interventions = il->n;
        for (size_t j = 0; j < il->n; j++) {
            const cs_ynode *x = il->items[j];
            if (x->kind != CS_YNODE_SCALAR || cs_ynode_is_null(x)) {
                cs_conv_error(c, x, "a bundle's `interventions` must be names, got %s",
                              cs_ynode_kind_name(x));
                continue;
            }
            size_t k = 0;
            while (k < s->n_interventions && !(ivn[k] && strcmp(ivn[k], x->value) == 0))
                k++;
            if (k == s->n_interventions) {
                if (s->n_interventions == 0)
                    cs_conv_error(c, x,
                                  "unknown intervention `%s`: the scenario has no interventions",
                                  x->value);
                else
                    cs_conv_unknown(c, x, "intervention", "", x->value, ivn, s->n_interventions);
                continue;
            }
            bd->interventions[j] = k;
            for (size_t q = 0; q < j; q++)
                if (bd->interventions[q] == k && il->items[q]->kind == CS_YNODE_SCALAR &&
                    strcmp(il->items[q]->value, x->value) == 0)
                    cs_conv_error(c, x, "intervention `%s` appears twice in this bundle", x->value);
        }
    }
}
