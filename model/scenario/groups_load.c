/*
 * scenario/groups_load.c — the victims' groups, the violation kinds and the
 * evidence of a scenario (`groups`, `violations`, `evidence`).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "scenario/internal.h"

#define SHARE_TOLERANCE 1e-9
#define MAX_PRIORITY 1000000

static const char *const GROUP_KEYS[] = {"name", "label", "incidents_per_year", "population",
                                         "population_source"};
static const char *const POPULATION_KEYS[] = {"value", "source"};
static const char *const VIOLATION_KEYS[] = {"name", "share", "well_founded", "priority",
                                             "headline"};
static const char *const EVIDENCE_KEYS[] = {"well_founded", "unfounded"};
static const char *const BETA_KEYS[] = {"beta"};

/* A group's `population`: a number, or {value, source}; its source may also
 * be given as `population_source` beside a number. */
static void read_population(cs_conv *c, const cs_ynode *m, cs_group *g)
{
    const cs_ynode *p = cs_ynode_get(m, "population");
    const cs_ynode *src = cs_ynode_get(m, "population_source");
    if (p && p->kind == CS_YNODE_MAP) {
        cs_conv_check_keys(c, p, "`population`", POPULATION_KEYS, N_OF(POPULATION_KEYS));
        if (src)
            cs_conv_error(c, src,
                          "`population_source` beside a `population` mapping: give the source "
                          "once, as `population: {value: N, source: \"...\"}`");
        src = cs_ynode_get(p, "source");
        p = cs_conv_need(c, p, "value", "`population`");
    } else if (!p && src) {
        cs_conv_error(c, src, "`population_source` without a `population`");
        return;
    }
    if (p)
        cs_conv_num_in(c, p, "population", 0, true, CS_MAX_POPULATION, &g->population);
    if (src)
        cs_conv_short_text(c, src, "population source", CS_MAX_TEXT_LEN, &g->population_source);
    if (!g->population_source)
        g->population_source = cs_conv_mem(c, cs_xstrdup(""));
}

/* A population for every group or for none: rates per population compare
 * groups, so one group's alone would compare with nothing. */
static void check_populations(cs_conv *c, const cs_ynode *l, const cs_scenario *s)
{
    size_t given = 0;
    for (size_t i = 0; i < s->n_groups; i++)
        given += s->groups[i].population > 0;
    for (size_t i = 0; given > 0 && given < s->n_groups && i < s->n_groups; i++)
        if (!(s->groups[i].population > 0) && l->items[i]->kind == CS_YNODE_MAP &&
            !cs_ynode_get(l->items[i], "population"))
            cs_conv_error(c, l->items[i],
                          "group `%s` has no `population`, but other groups have one: give it "
                          "for every group or for none",
                          s->groups[i].name ? s->groups[i].name : "?");
}

void cs_load_groups(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    const cs_ynode *l = cs_conv_need(c, root, "groups", "the scenario");
    if (!l || !cs_conv_is_list(c, l, "groups", CS_MAX_GROUPS, "CS_MAX_GROUPS"))
        return;
    s->groups = cs_conv_mem(c, cs_xcalloc(l->n, sizeof *s->groups));
    if (!s->groups)
        return;
    s->n_groups = l->n;
    double total = 0;
    bool rates_ok = true;
    for (size_t i = 0; i < l->n; i++) {
        const cs_ynode *m = l->items[i];
        cs_group *g = &s->groups[i];
        g->pos = m->pos;
        if (!cs_conv_is_map(c, m, "a group")) {
            rates_ok = false;
            continue;
        }
        cs_conv_check_keys(c, m, "a group", GROUP_KEYS, N_OF(GROUP_KEYS));
        const cs_ynode *n = cs_conv_need(c, m, "name", "a group");
        if (n && cs_conv_name(c, n, "name", &g->name)) {
            /* Results label every group together `all`, and feedback's
             * `group: all` means every group: a group of that name would
             * make both ambiguous. */
            if (strcmp(g->name, "all") == 0)
                cs_conv_error(c, n,
                              "`all` is reserved (results label all groups together `all`): "
                              "name the group otherwise, e.g. `everyone`");
            for (size_t j = 0; j < i; j++)
                if (s->groups[j].name && strcmp(s->groups[j].name, g->name) == 0)
                    cs_conv_error(c, n, "duplicate group name `%s` (first at line %d)", g->name,
                                  s->groups[j].pos.line);
        }
        n = cs_ynode_get(m, "label");
        if (n)
            cs_conv_short_text(c, n, "label", CS_MAX_TEXT_LEN, &g->label);
        if (!g->label && g->name)
            g->label = cs_conv_mem(c, cs_xstrdup(g->name));
        n = cs_conv_need(c, m, "incidents_per_year", "a group");
        if (n && cs_conv_num_in(c, n, "incidents_per_year", 0, false, CS_MAX_RATE,
                                &g->incidents_per_year))
            total += g->incidents_per_year;
        else
            rates_ok = false;
        read_population(c, m, g);
    }
    check_populations(c, l, s);
    if (rates_ok && total <= 0)
        cs_conv_error(
            c, l, "every group has `incidents_per_year: 0`: there would be nothing to simulate");
}

void cs_load_violations(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    const cs_ynode *l = cs_conv_need(c, root, "violations", "the scenario");
    if (!l || !cs_conv_is_list(c, l, "violations", CS_MAX_VIOLATIONS, "CS_MAX_VIOLATIONS"))
        return;
    s->violations = cs_conv_mem(c, cs_xcalloc(l->n, sizeof *s->violations));
    if (!s->violations)
        return;
    s->n_violations = l->n;
    bool shares_ok = s->n_groups > 0;
    for (size_t i = 0; i < l->n; i++) {
        const cs_ynode *m = l->items[i];
        cs_violation *v = &s->violations[i];
        v->pos = m->pos;
        v->priority = (int)i + 1;
        v->share = cs_conv_mem(c, cs_xcalloc(s->n_groups, sizeof *v->share));
        if (!v->share || !cs_conv_is_map(c, m, "a violation")) {
            shares_ok = false;
            continue;
        }
        cs_conv_check_keys(c, m, "a violation", VIOLATION_KEYS, N_OF(VIOLATION_KEYS));
        const cs_ynode *n = cs_conv_need(c, m, "name", "a violation");
        if (n && cs_conv_name(c, n, "name", &v->name)) {
            for (size_t j = 0; j < i; j++)
                if (s->violations[j].name && strcmp(s->violations[j].name, v->name) == 0)
                    cs_conv_error(c, n, "duplicate violation name `%s` (first at line %d)", v->name,
                                  s->violations[j].pos.line);
        }
        n = cs_conv_need(c, m, "share", "a violation");
        if (!n || !cs_conv_per_group(c, n, "share", s, 0, 1, v->share))
            shares_ok = false;
        n = cs_conv_need(c, m, "well_founded", "a violation");
        if (n)
            cs_conv_num_in(c, n, "well_founded", 0, false, 1, &v->well_founded);
        if ((n = cs_ynode_get(m, "headline")))
            cs_conv_bool(c, n, "headline", &v->headline);
        n = cs_ynode_get(m, "priority");
        if (n) {
            double p;
            if (cs_conv_num(c, n, "priority", &p)) {
                if (p != floor(p) || fabs(p) > MAX_PRIORITY)
                    cs_conv_error(c, n,
                                  "`priority` must be a whole number between %d and %d, got %.15g",
                                  -MAX_PRIORITY, MAX_PRIORITY, p);
                else
                    v->priority = (int)p;
            }
        }
    }
    if (!shares_ok)
        return;
    for (size_t g = 0; g < s->n_groups; g++) {
        double sum = 0;
        for (size_t i = 0; i < s->n_violations; i++)
            sum += s->violations[i].share[g];
        if (fabs(sum - 1.0) > SHARE_TOLERANCE)
            cs_conv_error(
                c, l,
                "the shares of group `%s` sum to %.15g; they must sum to 1 (within %g) over "
                "all violations",
                s->groups[g].name ? s->groups[g].name : "?", sum, SHARE_TOLERANCE);
    }
}

static void read_beta(cs_conv *c, const cs_ynode *m, const char *what, double *a, double *b)
{
    *a = 1;
    *b = 1;
    if (!m)
        return;
    if (!cs_conv_is_map(c, m, what))
        return;
    cs_conv_check_keys(c, m, what, BETA_KEYS, N_OF(BETA_KEYS));
    const cs_ynode *bt = cs_conv_need(c, m, "beta", what);
    if (!bt)
        return;
    if (bt->kind != CS_YNODE_SEQ || bt->n != 2) {
        cs_conv_error(c, bt, "`beta` must be a list of two numbers [a, b], got %s",
                      cs_ynode_kind_name(bt));
        return;
    }
    cs_conv_num_in(c, bt->items[0], "beta a", 0, true, HUGE_VAL, a);
    cs_conv_num_in(c, bt->items[1], "beta b", 0, true, HUGE_VAL, b);
}

void cs_load_evidence(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    cs_evidence *e = &s->evidence;
    e->well_founded_a = e->well_founded_b = e->unfounded_a = e->unfounded_b = 1;
    const cs_ynode *m = cs_ynode_get(root, "evidence");
    if (!m || !cs_conv_is_map(c, m, "`evidence`"))
        return;
    cs_conv_check_keys(c, m, "`evidence`", EVIDENCE_KEYS, N_OF(EVIDENCE_KEYS));
    read_beta(c, cs_ynode_get(m, "well_founded"), "`evidence.well_founded`", &e->well_founded_a,
              &e->well_founded_b);
    read_beta(c, cs_ynode_get(m, "unfounded"), "`evidence.unfounded`", &e->unfounded_a,
              &e->unfounded_b);
}
