/*
 * scenario/network_load.c — the network of a scenario: its stages (staff,
 * queue, visits; durations and deadlines in durations_load.c, branches in
 * branches_load.c) and outcomes, with every name resolved to an index, and
 * the graph checks (reachability, outcomes reached, cycles only through
 * stages that allow revisits).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "scenario/graph.h"
#include "scenario/internal.h"

#define Z_0_9 1.2815515655446004 /* 90% quantile of the standard normal */
#define CAPACITY_EPS 1e-9        /* floor(staff*caseload + eps): 0.1*30 is 3, not 2 */

static const char *const STAGE_KEYS[] = {"name",     "entry",    "staff",      "caseload", "queue",
                                         "duration", "deadline", "max_visits", "branches"};
static const char *const OUTCOME_KEYS[] = {"accountability", "redress"};

/* ----------------------------------------------------------- stages, graph */

bool cs_names_target(const cs_names *nm, const char *name, cs_target *t)
{
    for (size_t i = 0; i < nm->n_stages; i++)
        if (nm->stage[i] && strcmp(nm->stage[i], name) == 0) {
            t->is_stage = true;
            t->index = i;
            return true;
        }
    for (size_t i = 0; i < nm->n_outcomes; i++)
        if (nm->outcome[i] && strcmp(nm->outcome[i], name) == 0) {
            t->is_stage = false;
            t->index = i;
            return true;
        }
    return false;
}

bool cs_names_outcome(const cs_names *nm, const char *name, size_t *index)
{
    for (size_t i = 0; i < nm->n_outcomes; i++)
        if (nm->outcome[i] && strcmp(nm->outcome[i], name) == 0) {
            *index = i;
            return true;
        }
    return false;
}

static bool resolve_target(cs_conv *c, const cs_names *nm, const cs_ynode *n, cs_target *t)
{
    if (n->kind != CS_YNODE_SCALAR || cs_ynode_is_null(n)) {
        cs_conv_error(c, n, "a `to` entry must name a stage or an outcome, got %s",
                      cs_ynode_kind_name(n));
        return false;
    }
    if (cs_names_target(nm, n->value, t))
        return true;
    cs_conv_unknown(c, n, "stage or outcome", "", n->value, nm->all, nm->n_all);
    return false;
}

/* A fork's list of targets: 1 to CS_MAX_FORK, each a stage or an outcome,
 * none twice. */
static bool read_fork(cs_conv *c, const cs_names *nm, const cs_ynode *to, cs_branch *b)
{
    if (to->n == 0) {
        cs_conv_error(c, to, "`to` is an empty list: name at least one stage or outcome");
        return false;
    }
    if (to->n > CS_MAX_FORK) {
        cs_conv_limit(c, to, "a fork into %zu tracks; the limit is %d (CS_MAX_FORK)", to->n,
                      CS_MAX_FORK);
        return false;
    }
    b->to = cs_conv_mem(c, cs_xcalloc(to->n, sizeof *b->to));
    if (!b->to)
        return false;
    b->n_to = to->n;
    bool ok = true;
    for (size_t i = 0; i < to->n; i++) {
        if (!resolve_target(c, nm, to->items[i], &b->to[i])) {
            ok = false;
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (b->to[j].is_stage == b->to[i].is_stage && b->to[j].index == b->to[i].index &&
                to->items[j]->kind == CS_YNODE_SCALAR)
                cs_conv_error(c, to->items[i], "`%s` appears twice in this fork",
                              to->items[i]->value);
    }
    return ok;
}

/* A branch's `to`: one target, or a list of them (a fork). */
bool cs_load_branch_targets(cs_conv *c, const cs_names *nm, const cs_ynode *m, cs_branch *b)
{
    const cs_ynode *to = cs_conv_need(c, m, "to", "a branch");
    if (!to)
        return false;
    if (to->kind == CS_YNODE_SEQ)
        return read_fork(c, nm, to, b);
    b->to = cs_conv_mem(c, cs_xcalloc(1, sizeof *b->to));
    if (!b->to)
        return false;
    b->n_to = 1;
    return resolve_target(c, nm, to, &b->to[0]);
}

/* `staff` and `caseload`: how many cases the stage serves at once. */
static void read_staff(cs_conv *c, const cs_ynode *m, cs_stage *st)
{
    const cs_ynode *staff = cs_ynode_get(m, "staff"), *n;
    if (staff)
        st->has_staff = cs_conv_num_in(c, staff, "staff", 0, false, CS_MAX_STAFF, &st->staff);
    if ((n = cs_ynode_get(m, "caseload"))) {
        uint64_t cl;
        if (!staff)
            cs_conv_error(
                c, cs_ynode_key(m, "caseload"),
                "`caseload` needs `staff`: it is the number of cases one staff member carries");
        if (cs_conv_whole(c, n, "caseload", 1, CS_MAX_CASELOAD, &cl))
            st->caseload = (uint32_t)cl;
    }
    if (st->has_staff)
        st->capacity = (uint64_t)floor(st->staff * (double)st->caseload + CAPACITY_EPS);
    if ((n = cs_ynode_get(m, "queue"))) {
        if (n->kind == CS_YNODE_SCALAR && strcmp(n->value, "fifo") == 0)
            st->queue = CS_QUEUE_FIFO;
        else if (n->kind == CS_YNODE_SCALAR && strcmp(n->value, "priority") == 0)
            st->queue = CS_QUEUE_PRIORITY;
        else
            cs_conv_error(c, n, "`queue` must be `fifo` or `priority`, got %s%s%.40s%s",
                          cs_ynode_kind_name(n), n->kind == CS_YNODE_SCALAR ? " `" : "",
                          n->kind == CS_YNODE_SCALAR ? n->value : "",
                          n->kind == CS_YNODE_SCALAR ? "`" : "");
        if (!staff)
            cs_conv_error(c, cs_ynode_key(m, "queue"),
                          "`queue` needs `staff`: a stage without staff has no queue");
    }
}

/* Reads one stage; returns false if something the graph checks need (its
 * targets) failed. */
static bool read_stage(cs_conv *c, const cs_names *nm, const cs_ynode *m, cs_scenario *s,
                       size_t index, bool *is_entry, bool *entry_bad)
{
    cs_stage *st = &s->stages[index];
    st->pos = m->pos;
    st->caseload = 1;
    st->max_visits = 1;
    *is_entry = false;
    if (!cs_conv_is_map(c, m, "a stage"))
        return false;
    cs_conv_check_keys(c, m, "a stage", STAGE_KEYS, N_OF(STAGE_KEYS));
    const cs_ynode *n = cs_conv_need(c, m, "name", "a stage");
    if (n)
        cs_conv_name(c, n, "name", &st->name);
    if ((n = cs_ynode_get(m, "entry")) && !cs_conv_bool(c, n, "entry", is_entry))
        *entry_bad = true;
    read_staff(c, m, st);
    cs_load_stage_cases(c, nm, m, s, st);
    if ((n = cs_ynode_get(m, "max_visits"))) {
        uint64_t mv;
        if (cs_conv_whole(c, n, "max_visits", 1, CS_MAX_VISITS, &mv))
            st->max_visits = (uint32_t)mv;
    }
    bool every = st->deadlines != NULL;
    for (size_t i = 0; every && i < s->n_violations * s->n_groups; i++)
        every = st->deadlines[i].on;
    /* (A `deadline` that failed to read has been reported already.) */
    if (st->has_staff && st->capacity == 0 && !every &&
        (!cs_ynode_get(m, "deadline") || st->has_deadline))
        cs_conv_error(
            c, cs_ynode_get(m, "staff"),
            "staff %g x caseload %u gives this stage no place at all: its cases would wait "
            "forever (give more staff, or a deadline for every case)",
            st->staff, st->caseload);
    return cs_load_branches(c, nm, m, s, st);
}

static void read_outcomes(cs_conv *c, const cs_ynode *m, cs_scenario *s)
{
    s->outcomes = cs_conv_mem(c, cs_xcalloc(m->n, sizeof *s->outcomes));
    if (!s->outcomes)
        return;
    s->n_outcomes = m->n;
    s->categories = cs_conv_mem(c, cs_xcalloc(m->n, sizeof *s->categories));
    if (!s->categories)
        return;
    for (size_t i = 0; i < m->n; i++) {
        cs_outcome *o = &s->outcomes[i];
        o->pos = m->keys[i]->pos;
        o->category = -1;
        cs_conv_name(c, m->keys[i], "outcome", &o->name);
        const cs_ynode *v = m->items[i];
        if (cs_ynode_is_null(v))
            continue;
        if (!cs_conv_is_map(c, v, "an outcome"))
            continue;
        cs_conv_check_keys(c, v, "an outcome", OUTCOME_KEYS, N_OF(OUTCOME_KEYS));
        const cs_ynode *n;
        if ((n = cs_ynode_get(v, "redress")))
            cs_conv_bool(c, n, "redress", &o->redress);
        if ((n = cs_ynode_get(v, "accountability"))) {
            char *cat = NULL;
            if (!cs_conv_name(c, n, "accountability", &cat)) {
                free(cat);
                continue;
            }
            size_t k = 0;
            while (k < s->n_categories && strcmp(s->categories[k], cat) != 0)
                k++;
            if (k == s->n_categories)
                s->categories[s->n_categories++] = cat;
            else
                free(cat);
            o->category = (int)k;
        }
    }
}

/* reach[i][j]: stage j can be reached from stage i; used[o]: some branch or
 * deadline leads to outcome o. */
static void reachability(const cs_scenario *s, bool reach[CS_MAX_STAGES][CS_MAX_STAGES],
                         bool used[CS_MAX_OUTCOMES])
{
    size_t n = s->n_stages;
    memset(reach, 0, sizeof(bool) * CS_MAX_STAGES * CS_MAX_STAGES);
    memset(used, 0, sizeof(bool) * CS_MAX_OUTCOMES);
    for (size_t i = 0; i < n; i++) {
        const cs_stage *st = &s->stages[i];
        for (size_t b = 0; b < st->n_branches; b++)
            for (size_t t = 0; t < st->branches[b].n_to; t++) {
                cs_target tg = st->branches[b].to[t];
                if (tg.is_stage)
                    reach[i][tg.index] = true;
                else
                    used[tg.index] = true;
            }
        for (size_t i = 0; st->deadlines && i < s->n_violations * s->n_groups; i++)
            if (st->deadlines[i].on)
                used[st->deadlines[i].outcome] = true;
    }
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < n; i++)
            if (reach[i][k])
                for (size_t j = 0; j < n; j++)
                    if (reach[k][j])
                        reach[i][j] = true;
}

/* Reports stage i on a cycle (a case could return to it) unless it allows
 * revisits, naming the shortest such cycle. */
static void check_cycle(cs_conv *c, const cs_ynode *stages_node, const cs_scenario *s, size_t i)
{
    size_t path[CS_MAX_STAGES];
    size_t len = s->stages[i].max_visits >= 2 ? 0 : cs_stage_cycle(s, i, path);
    if (len == 0)
        return;
    char buf[512];
    size_t used = (size_t)snprintf(buf, sizeof buf, "%s", s->stages[i].name);
    for (size_t k = 1; k <= len && used < sizeof buf; k++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, " -> %s",
                                 s->stages[path[k % len]].name);
    cs_conv_error(c, stages_node->items[i],
                  "stage `%s` is on a cycle (%s): a case could return to it; give it `max_visits` "
                  "(2 or more) to allow this",
                  s->stages[i].name, buf);
}

/* Every stage reachable from the entry; every outcome reached; cycles only
 * through stages that allow revisits. The first two catch mistakes in a
 * scenario as written; a variant may close a route (remove the deadline
 * that led to `time_barred`, take a kind off a branch): its stages and
 * outcomes stay, unused. */
static void check_graph(cs_conv *c, const cs_ynode *stages_node, const cs_ynode *outcomes_node,
                        cs_scenario *s)
{
    bool reach[CS_MAX_STAGES][CS_MAX_STAGES], outcome_used[CS_MAX_OUTCOMES];
    reachability(s, reach, outcome_used);
    size_t e = s->entry_stage;
    for (size_t i = 0; i < s->n_stages && !c->variant; i++)
        if (i != e && !reach[e][i])
            cs_conv_error(
                c, stages_node->items[i],
                "stage `%s` is unreachable: no branch leads to it from the entry stage `%s`",
                s->stages[i].name ? s->stages[i].name : "?",
                s->stages[e].name ? s->stages[e].name : "?");
    for (size_t o = 0; o < s->n_outcomes && !c->variant; o++)
        if (!outcome_used[o])
            cs_conv_error(c, outcomes_node->keys[o],
                          "outcome `%s` is never reached: no branch or deadline leads to it",
                          s->outcomes[o].name ? s->outcomes[o].name : "?");
    for (size_t i = 0; i < s->n_stages; i++)
        check_cycle(c, stages_node, s, i);
}

/* The names stages and outcomes will be resolved against (from the tree:
 * branches may name a stage that comes later in the file). */
static void collect_names(const cs_ynode *sl, const cs_ynode *om, cs_names *nm)
{
    memset(nm, 0, sizeof *nm);
    for (size_t i = 0; sl && i < sl->n; i++) {
        const cs_ynode *nn = cs_ynode_get(sl->items[i], "name");
        nm->stage[i] = nn && nn->kind == CS_YNODE_SCALAR ? nn->value : NULL;
        nm->all[nm->n_all++] = nm->stage[i];
        nm->n_stages = sl->n;
    }
    for (size_t i = 0; om && i < om->n; i++) {
        nm->outcome[i] = om->keys[i]->value;
        nm->all[nm->n_all++] = nm->outcome[i];
        nm->n_outcomes = om->n;
    }
}

/* `outcomes`: a non-empty mapping, none named like a stage. */
static bool load_outcomes(cs_conv *c, const cs_ynode *om, const cs_names *nm, cs_scenario *s)
{
    if (om->n == 0) {
        cs_conv_error(c, om, "`outcomes` is empty: give at least one");
        return false;
    }
    if (om->n > CS_MAX_OUTCOMES) {
        cs_conv_limit(c, om, "`outcomes` has %zu entries; the limit is %d (CS_MAX_OUTCOMES)", om->n,
                      CS_MAX_OUTCOMES);
        return false;
    }
    read_outcomes(c, om, s);
    for (size_t i = 0; i < om->n; i++)
        for (size_t j = 0; j < nm->n_stages; j++)
            if (nm->stage[j] && strcmp(om->keys[i]->value, nm->stage[j]) == 0)
                cs_conv_error(c, om->keys[i], "`%s` is both a stage and an outcome: rename one",
                              om->keys[i]->value);
    return true;
}

/* Stage i's name against the earlier stages', and its `entry`. Returns
 * false if its name is missing or repeated. */
static bool check_stage_name(cs_conv *c, const cs_ynode *sl, cs_scenario *s, size_t i, bool entry,
                             size_t *n_entry)
{
    const cs_stage *st = &s->stages[i];
    bool ok = st->name != NULL;
    for (size_t j = 0; j < i && st->name; j++)
        if (s->stages[j].name && strcmp(s->stages[j].name, st->name) == 0) {
            cs_conv_error(c, cs_ynode_get(sl->items[i], "name"),
                          "duplicate stage name `%s` (first at line %d)", st->name,
                          s->stages[j].pos.line);
            ok = false;
        }
    if (entry) {
        if (*n_entry == 1)
            cs_conv_error(c, cs_ynode_key(sl->items[i], "entry"),
                          "a second entry stage (`%s`; the first is `%s`): exactly one stage has "
                          "`entry: true`",
                          st->name ? st->name : "?", s->stages[s->entry_stage].name);
        else
            s->entry_stage = i;
        (*n_entry)++;
    }
    return ok;
}

/* `stages`: each stage, exactly one entry. Returns whether the graph can
 * be checked (every stage and target read). */
static bool load_stages(cs_conv *c, const cs_ynode *sl, const cs_names *nm, cs_scenario *s)
{
    s->stages = cs_conv_mem(c, cs_xcalloc(sl->n, sizeof *s->stages));
    if (!s->stages)
        return false;
    s->n_stages = sl->n;
    bool ok = true, entry_bad = false; /* an `entry` not true/false: reported already */
    size_t n_entry = 0;
    for (size_t i = 0; i < sl->n; i++) {
        bool entry = false;
        ok &= read_stage(c, nm, sl->items[i], s, i, &entry, &entry_bad);
        ok &= check_stage_name(c, sl, s, i, entry, &n_entry);
    }
    if (n_entry == 0 && !entry_bad) {
        cs_conv_error(c, sl,
                      "no entry stage: mark the stage where every incident starts with "
                      "`entry: true`");
        ok = false;
    }
    return ok && n_entry == 1 && !entry_bad;
}

void cs_load_network(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    const cs_ynode *sl = cs_conv_need(c, root, "stages", "the scenario");
    const cs_ynode *om = cs_conv_need(c, root, "outcomes", "the scenario");
    bool stages_ok = sl && cs_conv_is_list(c, sl, "stages", CS_MAX_STAGES, "CS_MAX_STAGES");
    bool outcomes_ok = om && cs_conv_is_map(c, om, "`outcomes`");
    cs_names nm;
    collect_names(stages_ok ? sl : NULL,
                  outcomes_ok && om->n > 0 && om->n <= CS_MAX_OUTCOMES ? om : NULL, &nm);
    if (outcomes_ok)
        outcomes_ok = load_outcomes(c, om, &nm, s);
    if (stages_ok && load_stages(c, sl, &nm, s) && outcomes_ok)
        check_graph(c, sl, om, s);
}
