/*
 * scenario/params.c — the numbers a path names, by what they are.
 *
 * A schedule, a timed intervention and a feedback all name numbers with the
 * paths of interventions (scenarios/README.md, "Paths in changes"). The
 * tree walker of patch.c checks that a path leads somewhere and says why
 * not; this file says *what* it leads to — a group's arrival rate, a
 * branch's `p` for one group, a stage's staff — so that the engine can move
 * that number over time. A path that names a mapping of numbers (`p` of
 * every group, every `kind_odds_ratio`) names each of them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/dynamics_internal.h"

#define MAX_SEGS 16

typedef struct seg {
    char name[CS_MAX_NAME_LEN + 1]; /* "" for an index */
    size_t index;
} seg;

/* Splits path into at most MAX_SEGS segments (names, or [i]); false if it
 * has more or a name is too long. */
static bool split(const char *path, seg *sg, size_t *n)
{
    *n = 0;
    const char *q = path;
    while (*q) {
        if (*q == '.') {
            q++;
            continue;
        }
        if (*n == MAX_SEGS)
            return false;
        seg *x = &sg[(*n)++];
        x->name[0] = '\0';
        x->index = 0;
        if (*q == '[') {
            x->index = (size_t)strtoull(q + 1, (char **)&q, 10);
            if (*q == ']')
                q++;
            continue;
        }
        size_t len = strcspn(q, ".[");
        if (len > CS_MAX_NAME_LEN)
            return false;
        memcpy(x->name, q, len);
        x->name[len] = '\0';
        q += len;
    }
    return true;
}

static bool is(const seg *x, const char *name)
{
    return strcmp(x->name, name) == 0;
}

/* The element a segment names in a list of n named things; SIZE_MAX if none. */
static size_t element(const seg *x, size_t n, const char *(*name_of)(const cs_scenario *, size_t),
                      const cs_scenario *s)
{
    if (!x->name[0])
        return x->index < n ? x->index : SIZE_MAX;
    for (size_t i = 0; i < n; i++)
        if (name_of(s, i) && strcmp(name_of(s, i), x->name) == 0)
            return i;
    return SIZE_MAX;
}

static const char *group_name(const cs_scenario *s, size_t i)
{
    return s->groups[i].name;
}
static const char *kind_name(const cs_scenario *s, size_t i)
{
    return s->violations[i].name;
}
static const char *stage_name(const cs_scenario *s, size_t i)
{
    return s->stages[i].name;
}
static const char *feedback_name(const cs_scenario *s, size_t i)
{
    return s->feedback[i].name;
}

/* The tree node at a path of keys, element names and indices; NULL if none. */
static const cs_ynode *node_at(const cs_ynode *root, const char *path)
{
    seg sg[MAX_SEGS];
    size_t n;
    if (!split(path, sg, &n))
        return NULL;
    const cs_ynode *cur = root;
    for (size_t i = 0; i < n && cur; i++) {
        if (!sg[i].name[0]) {
            cur =
                cur->kind == CS_YNODE_SEQ && sg[i].index < cur->n ? cur->items[sg[i].index] : NULL;
        } else if (cur->kind == CS_YNODE_MAP) {
            cur = cs_ynode_get(cur, sg[i].name);
        } else if (cur->kind == CS_YNODE_SEQ) {
            const cs_ynode *found = NULL;
            for (size_t k = 0; k < cur->n && !found; k++) {
                const cs_ynode *nn = cs_ynode_get(cur->items[k], "name");
                if (nn && nn->kind == CS_YNODE_SCALAR && strcmp(nn->value, sg[i].name) == 0)
                    found = cur->items[k];
            }
            cur = found;
        } else {
            cur = NULL;
        }
    }
    return cur;
}

/* Appends p with the given kind and indices to out. */
static void add(cs_param *out, size_t *n, cs_param_kind kind, size_t stage, size_t branch,
                size_t group, size_t kind_index, size_t index)
{
    if (*n >= CS_MAX_PATH_PARAMS)
        return;
    out[(*n)++] = (cs_param){
        kind,           (uint32_t)stage, (uint32_t)branch, (uint32_t)group, (uint32_t)kind_index,
        (uint32_t)index};
}

/* A per-group number: one group (a 4th segment) or all. */
static const char *per_group(const cs_scenario *s, const seg *sg, size_t n, size_t at,
                             cs_param_kind kind, size_t stage, size_t branch, size_t kind_index,
                             cs_param *out, size_t *count)
{
    if (n == at) {
        for (size_t g = 0; g < s->n_groups; g++)
            add(out, count, kind, stage, branch, g, kind_index, 0);
        return NULL;
    }
    size_t g = n == at + 1 ? element(&sg[at], s->n_groups, group_name, s) : SIZE_MAX;
    if (g == SIZE_MAX)
        return "it does not name a group's number";
    add(out, count, kind, stage, branch, g, kind_index, 0);
    return NULL;
}

static const char *resolve_groups(const cs_scenario *s, const seg *sg, size_t n, cs_param *out,
                                  size_t *count)
{
    size_t g = n > 1 ? element(&sg[1], s->n_groups, group_name, s) : SIZE_MAX;
    if (g == SIZE_MAX || n != 3 || !is(&sg[2], "incidents_per_year"))
        return "of a group only `incidents_per_year` is a number that can change";
    add(out, count, CS_PARAM_RATE, 0, 0, g, 0, 0);
    return NULL;
}

static const char *resolve_violations(const cs_scenario *s, const seg *sg, size_t n, cs_param *out,
                                      size_t *count)
{
    size_t k = n > 1 ? element(&sg[1], s->n_violations, kind_name, s) : SIZE_MAX;
    if (k == SIZE_MAX || n < 3)
        return "it does not name a violation kind's number";
    if (is(&sg[2], "well_founded") && n == 3) {
        add(out, count, CS_PARAM_WELL_FOUNDED, 0, 0, 0, k, 0);
        return NULL;
    }
    if (is(&sg[2], "share"))
        return per_group(s, sg, n, 3, CS_PARAM_SHARE, 0, 0, k, out, count);
    if (is(&sg[2], "priority"))
        return "`priority` orders queues that already hold cases: it cannot change during the "
               "run (change it from the start, with an intervention without `starts`)";
    return "of a violation kind only `share` and `well_founded` can change";
}

static const char *resolve_evidence(const seg *sg, size_t n, cs_param *out, size_t *count)
{
    bool wf = n > 1 && is(&sg[1], "well_founded"), unf = n > 1 && is(&sg[1], "unfounded");
    if (n != 4 || !(wf || unf) || !is(&sg[2], "beta") || sg[3].name[0] || sg[3].index > 1)
        return "it does not name a parameter of an evidence `beta`";
    add(out, count, CS_PARAM_BETA, 0, 0, wf ? 1 : 0, 0, sg[3].index);
    return NULL;
}

/* The position of a written duration parameter in its family's pair. */
static const char *duration_index(const cs_ynode *dur, const seg *sg, size_t n, size_t *index)
{
    static const char *const first[] = {"mean", "median", "min", "shape"};
    static const char *const second[] = {"cv", "p90", "max", "scale"};
    if (n == 4 && is(&sg[3], "fixed")) {
        *index = 0;
        return NULL;
    }
    if (n != 5 || !dur || dur->kind != CS_YNODE_MAP)
        return "it does not name a duration parameter";
    for (size_t i = 0; i < 4; i++) {
        if (is(&sg[4], first[i])) {
            *index = 0;
            return NULL;
        }
        if (is(&sg[4], second[i])) {
            *index = 1;
            return NULL;
        }
    }
    return "it does not name a duration parameter";
}

static const char *resolve_branch(const cs_scenario *s, const cs_ynode *root, const seg *sg,
                                  size_t n, size_t st, cs_param *out, size_t *count)
{
    const cs_stage *stage = &s->stages[st];
    if (n < 5 || sg[3].name[0] || sg[3].index >= stage->n_branches)
        return "it does not name a branch's number";
    size_t b = sg[3].index;
    bool ref = stage->branches[b].is_reference;
    if (is(&sg[4], "p")) {
        if (ref)
            return "that branch is the stage's reference branch: its probability is the rest";
        return per_group(s, sg, n, 5, CS_PARAM_P, st, b, 0, out, count);
    }
    if (n == 5 && is(&sg[4], "evidence_slope"))
        add(out, count, CS_PARAM_SLOPE, st, b, 0, 0, 0);
    else if (n == 5 && is(&sg[4], "unfounded_odds_ratio"))
        add(out, count, CS_PARAM_UNFOUNDED_OR, st, b, 0, 0, 0);
    else if (is(&sg[4], "kind_odds_ratio") && n == 6) {
        size_t k = element(&sg[5], s->n_violations, kind_name, s);
        if (k == SIZE_MAX)
            return "it does not name a violation kind";
        add(out, count, CS_PARAM_KIND_OR, st, b, 0, k, 0);
    } else if (is(&sg[4], "kind_odds_ratio") && n == 5) {
        char path[96];
        snprintf(path, sizeof path, "stages[%zu].branches[%zu].kind_odds_ratio", st, b);
        const cs_ynode *m = node_at(root, path);
        for (size_t i = 0; m && m->kind == CS_YNODE_MAP && i < m->n; i++) {
            seg x = {.index = 0};
            snprintf(x.name, sizeof x.name, "%s", m->keys[i]->value);
            size_t k = element(&x, s->n_violations, kind_name, s);
            if (k != SIZE_MAX)
                add(out, count, CS_PARAM_KIND_OR, st, b, 0, k, 0);
        }
    } else {
        return "of a branch only `p`, `evidence_slope`, `unfounded_odds_ratio` and "
               "`kind_odds_ratio` can change";
    }
    return NULL;
}

static const char *resolve_stages(const cs_scenario *s, const cs_ynode *root, const seg *sg,
                                  size_t n, cs_param *out, size_t *count)
{
    size_t st = n > 2 ? element(&sg[1], s->n_stages, stage_name, s) : SIZE_MAX;
    if (st == SIZE_MAX)
        return "it does not name a stage's number";
    if (n == 3 && is(&sg[2], "staff"))
        add(out, count, CS_PARAM_STAFF, st, 0, 0, 0, 0);
    else if (n == 3 && is(&sg[2], "caseload"))
        add(out, count, CS_PARAM_CASELOAD, st, 0, 0, 0, 0);
    else if (n == 4 && is(&sg[2], "deadline") && is(&sg[3], "days"))
        add(out, count, CS_PARAM_DEADLINE, st, 0, 0, 0, 0);
    else if (is(&sg[2], "duration")) {
        char path[128];
        snprintf(path, sizeof path, "stages[%zu].duration.%s", st, n > 3 ? sg[3].name : "");
        size_t index = 0;
        const cs_ynode *dur = node_at(root, path);
        const char *why = duration_index(dur, sg, n, &index);
        if (why)
            return why;
        /* kind_index 1: a lognormal written as {mean, cv} (else {median, p90}). */
        bool mean_cv = n > 3 && is(&sg[3], "lognormal") && cs_ynode_get(dur, "mean");
        add(out, count, CS_PARAM_DURATION, st, 0, 0, mean_cv ? 1 : 0, index);
    } else if (is(&sg[2], "branches"))
        return resolve_branch(s, root, sg, n, st, out, count);
    else if (is(&sg[2], "max_visits"))
        return "`max_visits` fixes how tracks are counted: it cannot change during the run "
               "(change it from the start, with an intervention without `starts`)";
    else
        return "it does not name a stage's number that can change";
    return NULL;
}

static const char *resolve_feedback(const cs_scenario *s, const seg *sg, size_t n, cs_param *out,
                                    size_t *count)
{
    size_t f = n > 2 ? element(&sg[1], s->n_feedback, feedback_name, s) : SIZE_MAX;
    if (f != SIZE_MAX && n == 3 && is(&sg[2], "reference_value"))
        add(out, count, CS_PARAM_FB_REFERENCE, 0, 0, 0, 0, f);
    else if (f != SIZE_MAX && n == 4 && is(&sg[2], "effect") && is(&sg[3], "elasticity"))
        add(out, count, CS_PARAM_FB_ELASTICITY, 0, 0, 0, 0, f);
    else
        return "of a feedback only `reference_value` and `effect.elasticity` can change during "
               "the run";
    return NULL;
}

const char *cs_param_resolve(const cs_scenario *s, const cs_ynode *root, const char *path,
                             cs_param *out, size_t *n)
{
    seg sg[MAX_SEGS];
    size_t ns = 0;
    *n = 0;
    if (!split(path, sg, &ns) || ns == 0)
        return "it is not a path to a number";
    const char *why;
    if (is(&sg[0], "groups"))
        why = resolve_groups(s, sg, ns, out, n);
    else if (is(&sg[0], "violations"))
        why = resolve_violations(s, sg, ns, out, n);
    else if (is(&sg[0], "evidence"))
        why = resolve_evidence(sg, ns, out, n);
    else if (is(&sg[0], "stages"))
        why = resolve_stages(s, root, sg, ns, out, n);
    else if (is(&sg[0], "feedback"))
        why = resolve_feedback(s, sg, ns, out, n);
    else
        why = "only numbers under `groups`, `violations`, `evidence`, `stages` and `feedback` "
              "can change during the run";
    if (!why && *n == 0)
        why = "it names no number";
    return why;
}

bool cs_param_equal(const cs_param *a, const cs_param *b)
{
    return a->kind == b->kind && a->stage == b->stage && a->branch == b->branch &&
           a->group == b->group && a->kind_index == b->kind_index && a->index == b->index;
}

bool cs_param_whole(const cs_param *p)
{
    return p->kind == CS_PARAM_CASELOAD;
}

/* The written number at path in root; NAN if there is none. */
static double tree_number(const cs_ynode *root, const char *path)
{
    const cs_ynode *n = node_at(root, path);
    double v = NAN;
    if (n && n->kind == CS_YNODE_SCALAR && !n->quoted && cs_parse_number(n->value, &v) != NULL)
        v = NAN;
    return v;
}

static double stage_value(const cs_scenario *s, const cs_ynode *root, const cs_param *p)
{
    const cs_stage *st = &s->stages[p->stage];
    const cs_branch *br = p->branch < st->n_branches ? &st->branches[p->branch] : NULL;
    char path[256];
    switch (p->kind) {
    case CS_PARAM_STAFF:
        return st->has_staff ? st->staff : INFINITY;
    case CS_PARAM_CASELOAD:
        return (double)st->caseload;
    case CS_PARAM_DEADLINE: /* one deadline for every case: its path is `deadline.days` */
        return cs_stage_deadline(s, st, 0, 0)->days;
    case CS_PARAM_DURATION:
        cs_param_path(s, root, p, path, sizeof path);
        return tree_number(root, path);
    case CS_PARAM_P: /* for the first kind the branch applies to (p is not per kind here) */
        return cs_branch_p(s, br, (size_t)__builtin_ctz(br->kinds ? br->kinds : 1u), p->group);
    case CS_PARAM_SLOPE:
        return br->evidence_slope;
    case CS_PARAM_UNFOUNDED_OR:
        return br->unfounded_odds_ratio;
    case CS_PARAM_KIND_OR:
        return br->kind_odds_ratio[p->kind_index];
    default:
        return NAN;
    }
}

double cs_param_value(const cs_scenario *s, const cs_ynode *root, const cs_param *p)
{
    const cs_evidence *e = &s->evidence;
    switch (p->kind) {
    case CS_PARAM_RATE:
        return s->groups[p->group].incidents_per_year;
    case CS_PARAM_SHARE:
        return s->violations[p->kind_index].share[p->group];
    case CS_PARAM_WELL_FOUNDED:
        return s->violations[p->kind_index].well_founded;
    case CS_PARAM_BETA:
        if (p->group)
            return p->index ? e->well_founded_b : e->well_founded_a;
        return p->index ? e->unfounded_b : e->unfounded_a;
    case CS_PARAM_FB_ELASTICITY:
        return s->feedback[p->index].elasticity;
    case CS_PARAM_FB_REFERENCE:
        return s->feedback[p->index].reference_value;
    default:
        return stage_value(s, root, p);
    }
}

/* The written key of duration parameter `index` of stage st. */
static const char *duration_key(const cs_ynode *root, size_t st, uint32_t index, char *family,
                                size_t n)
{
    static const struct {
        const char *family, *first, *second;
    } forms[] = {{"exponential", "mean", "mean"}, {"gamma", "mean", "cv"},
                 {"uniform", "min", "max"},       {"weibull", "shape", "scale"},
                 {"lognormal", "median", "p90"},  {"lognormal", "mean", "cv"}};
    char path[64];
    snprintf(path, sizeof path, "stages[%zu].duration", st);
    const cs_ynode *d = node_at(root, path);
    for (size_t i = 0; d && d->kind == CS_YNODE_MAP && i < sizeof forms / sizeof *forms; i++) {
        const cs_ynode *m = cs_ynode_get(d, forms[i].family);
        if (m && (m->kind != CS_YNODE_MAP || cs_ynode_get(m, forms[i].first))) {
            snprintf(family, n, "%s", forms[i].family);
            return index ? forms[i].second : forms[i].first;
        }
    }
    snprintf(family, n, "fixed");
    return NULL;
}

/* The path of a branch's number (kinds P, SLOPE, UNFOUNDED_OR, KIND_OR). */
static void branch_path(const cs_scenario *s, const cs_param *p, char *buf, size_t n)
{
    char at[64];
    snprintf(at, sizeof at, "stages[%u].branches[%u]", p->stage, p->branch);
    if (p->kind == CS_PARAM_P)
        snprintf(buf, n, "%s.p.%s", at, s->groups[p->group].name);
    else if (p->kind == CS_PARAM_SLOPE)
        snprintf(buf, n, "%s.evidence_slope", at);
    else if (p->kind == CS_PARAM_UNFOUNDED_OR)
        snprintf(buf, n, "%s.unfounded_odds_ratio", at);
    else
        snprintf(buf, n, "%s.kind_odds_ratio.%s", at, s->violations[p->kind_index].name);
}

void cs_param_path(const cs_scenario *s, const cs_ynode *root, const cs_param *p, char *buf,
                   size_t n)
{
    char family[16], sh[64];
    const char *key;
    switch (p->kind) {
    case CS_PARAM_RATE:
        snprintf(buf, n, "groups[%u].incidents_per_year", p->group);
        break;
    case CS_PARAM_SHARE:
        snprintf(sh, sizeof sh, "violations[%u].share", p->kind_index);
        if (node_at(root, sh) && node_at(root, sh)->kind == CS_YNODE_SCALAR)
            snprintf(buf, n, "%s", sh);
        else
            snprintf(buf, n, "%s.%s", sh, s->groups[p->group].name);
        break;
    case CS_PARAM_WELL_FOUNDED:
        snprintf(buf, n, "violations[%u].well_founded", p->kind_index);
        break;
    case CS_PARAM_BETA:
        snprintf(buf, n, "evidence.%s.beta[%u]", p->group ? "well_founded" : "unfounded", p->index);
        break;
    case CS_PARAM_STAFF:
    case CS_PARAM_CASELOAD:
        snprintf(buf, n, "stages[%u].%s", p->stage,
                 p->kind == CS_PARAM_STAFF ? "staff" : "caseload");
        break;
    case CS_PARAM_DURATION:
        key = duration_key(root, p->stage, p->index, family, sizeof family);
        snprintf(buf, n, "stages[%u].duration.%s%s%s", p->stage, key ? family : "fixed",
                 key ? "." : "", key ? key : "");
        break;
    case CS_PARAM_DEADLINE:
        snprintf(buf, n, "stages[%u].deadline.days", p->stage);
        break;
    case CS_PARAM_FB_ELASTICITY:
    case CS_PARAM_FB_REFERENCE:
        snprintf(buf, n, "feedback[%u].%s", p->index,
                 p->kind == CS_PARAM_FB_ELASTICITY ? "effect.elasticity" : "reference_value");
        break;
    default:
        branch_path(s, p, buf, n);
    }
}
