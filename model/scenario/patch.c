/*
 * scenario/patch.c — applies an intervention's changes to a copy of the tree.
 *
 * A change is `path` plus `set: V`, `scale: F` or `remove: true`. The path walks the YAML
 * tree: in a mapping a segment is a key; in a list a segment is the `name` of
 * an element (`stages.investigation`) and `[i]` is the element at index i
 * (`branches[0]`). Patching the tree rather than the structs means every
 * variant goes through exactly the same conversion and validation as the
 * file itself, so a change can never produce a scenario the loader would
 * refuse.
 *
 * Operations: `set` of a number, `scale` by a factor, `set` of any other
 * value (text such as `queue: priority`, a list such as `kinds`, a mapping
 * such as a whole `deadline`: the node is replaced by a copy), `remove`
 * (a key, or a list element).
 *
 * Conveniences, documented in scenarios/README.md:
 * - a path that ends at a mapping of numbers (a per-group `p`, a `share`, a
 *   `kind_odds_ratio`) applies a number's `set` or `scale` to each of them;
 * - `p.GROUP` or `p.KIND` where `p` (or `duration`, `deadline`) is one value
 *   for every case first expands it into a mapping by group or by kind
 *   (each keeping the old value), then changes that group or kind; `p.KIND`
 *   of a per-group `p` expands it into per kind, then per group;
 * - `set` may create a key that is missing in an existing mapping (e.g. give a
 *   stage without staff a `staff`, or one without a deadline a `deadline`);
 *   the result is validated like any key.
 *
 * The same walk finds the number an uncertain input names (cs_patch_find:
 * nothing is changed or created, and the path may also lead into
 * `interventions`) and writes a drawn value there (cs_patch_set), so that
 * uncertain inputs and interventions share one path syntax and meaning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "scenario/internal.h"

#define MAX_SEGMENTS CS_PATH_MAX_SEGMENTS

typedef cs_path_seg segment;

bool cs_path_split(const char *path, char *buf, cs_path_seg *seg, size_t *n)
{
    strcpy(buf, path);
    *n = 0;
    char *q = buf;
    while (*q) {
        if (*q == '.') {
            q++;
            continue;
        }
        if (*n == MAX_SEGMENTS)
            return false;
        if (*q == '[') {
            q++;
            seg[*n].name = NULL;
            seg[*n].index = (size_t)strtoull(q, &q, 10);
            (*n)++;
            if (*q == ']')
                q++;
            continue;
        }
        seg[*n].name = q;
        while (*q && *q != '.' && *q != '[')
            q++;
        (*n)++;
        if (*q == '.') {
            *q++ = '\0';
        } else if (*q == '[') {
            /* terminate the name, keep the bracket for the next round */
            memmove(q + 1, q, strlen(q) + 1);
            *q++ = '\0';
        }
    }
    return true;
}

static void path_fail(cs_conv *c, const cs_change *ch, const char *context, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void path_fail(cs_conv *c, const cs_change *ch, const char *context, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->errors++;
    cs_error_at(c->err, CS_EINVAL, c->file, ch->pos.line, ch->pos.column, "%s, path `%s`: %s",
                context, ch->path, msg);
}

/* Replaces scalar n's text by the result of the change; false if n is not a
 * number that can be scaled. */
static bool change_scalar(cs_ynode *n, const cs_change *ch, int index)
{
    double v = ch->value;
    if (ch->op == CS_CHANGE_SCALE) {
        double old;
        if (n->quoted || cs_parse_number(n->value, &old) != NULL)
            return false;
        v = old * ch->value;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", v);
    char *t = cs_xstrdup(buf);
    if (!t)
        return false;
    free(n->value);
    n->value = t;
    n->quoted = false;
    n->patched_by = index;
    return true;
}

/* Names of the elements of list l (those that have a scalar `name`). */
static size_t element_names(const cs_ynode *l, const char **names, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n && k < max; i++) {
        const cs_ynode *nn = cs_ynode_get(l->items[i], "name");
        if (nn && nn->kind == CS_YNODE_SCALAR)
            names[k++] = nn->value;
    }
    return k;
}

/* What a walk does at the end of its path. */
typedef enum walk_mode {
    WALK_APPLY, /* an intervention's change: set or scale, nodes marked as patched */
    WALK_FIND,  /* find the number only (cs_patch_find) */
    WALK_SET    /* write a drawn value (cs_patch_set) */
} walk_mode;

/* A walk down the tree along a change's path. */
typedef struct walk {
    cs_conv *c;
    const cs_scenario *s;
    const cs_change *ch;
    walk_mode mode;
    const char *group;   /* WALK_FIND: the group named after a single `p` */
    int index;           /* the change's patched_by number (-1: none) */
    const char *context; /* "intervention `x`, change 2", for messages */
    cs_ynode *cur;       /* the node reached */
    const char *prev_key;
    char where[512]; /* the path walked so far, as the messages name it */
    cs_ynode *stack[MAX_SEGMENTS + 1];
    size_t depth;
} walk;

/* Interventions change the system, not the experiment: a variant with
 * another time window, seed or replicate count could not be paired with
 * the baseline replicate by replicate, and the initial backlog is the
 * state every variant starts from. A schedule moves the system's numbers
 * only (CS_PATCH_SCHEDULE); an uncertain number may also be an
 * intervention's (CS_PATCH_UNCERTAIN). */
static bool changeable(const segment *first, int roots)
{
    static const char *const allowed[] = {"groups", "violations", "evidence",
                                          "stages", "feedback",   "schedules"};
    size_t n = roots == CS_PATCH_SCHEDULE ? 5 : 6;
    for (size_t i = 0; i < n; i++)
        if (first->name && strcmp(first->name, allowed[i]) == 0)
            return true;
    return roots == CS_PATCH_UNCERTAIN && first->name &&
           (strcmp(first->name, "interventions") == 0 || strcmp(first->name, "targets") == 0);
}

/* Why a path's first segment is refused, for roots. */
static const char *roots_message(int roots)
{
    if (roots == CS_PATCH_SCHEDULE)
        return "a schedule may move only numbers under `groups`, `violations`, `evidence`, "
               "`stages` or `feedback`";
    if (roots == CS_PATCH_UNCERTAIN)
        return "an uncertain number may be in `groups`, `violations`, `evidence`, `stages`, "
               "`feedback`, `schedules`, `interventions` or a target's `unit_factor` (time, run "
               "and outcomes are the same for every replicate)";
    return "an intervention may change only `groups`, `violations`, `evidence`, `stages`, "
           "`feedback` or `schedules` (time, run, outcomes and the initial backlog are the same "
           "for every variant so that variants can be compared replicate by replicate)";
}

/* `[i]`: element i of a list. */
static int step_index(walk *w, const segment *sg)
{
    if (w->cur->kind != CS_YNODE_SEQ) {
        path_fail(w->c, w->ch, w->context, "`[%zu]`: %s is not a list", sg->index, w->where);
        return CS_EINVAL;
    }
    if (sg->index >= w->cur->n) {
        path_fail(w->c, w->ch, w->context,
                  "index %zu is out of range: %s has %zu elements (indices start at 0)", sg->index,
                  w->where, w->cur->n);
        return CS_EINVAL;
    }
    w->cur = w->cur->items[sg->index];
    size_t len = strlen(w->where);
    snprintf(w->where + len, sizeof w->where - len, "[%zu]", sg->index);
    return CS_OK;
}

/* `.name` in a mapping: the key's value; a `set` of the last segment
 * creates the key (validation then judges whether it belongs there). */
static int step_map(walk *w, const segment *sg, bool last, cs_ynode **next)
{
    cs_ynode *cur = w->cur;
    *next = cs_ynode_get(cur, sg->name);
    if (*next)
        return CS_OK;
    if (last && (w->ch->op == CS_CHANGE_SET || w->ch->op == CS_CHANGE_REPLACE) &&
        w->mode != WALK_FIND) {
        cs_ynode *k = cs_ynode_new(CS_YNODE_SCALAR, w->ch->pos, sg->name);
        cs_ynode *v = cs_ynode_new(CS_YNODE_SCALAR, w->ch->pos, "0");
        if (!k || !v || cs_ynode_append(cur, k, v) != CS_OK) {
            cs_ynode_free(k);
            cs_ynode_free(v);
            return CS_ENOMEM;
        }
        k->patched_by = w->index;
        *next = v;
        return CS_OK;
    }
    /* keys created by earlier `set`s may exceed the parser's limit */
    const char *keys[CS_YAML_MAX_KEYS];
    size_t n_keys = cur->n < CS_YAML_MAX_KEYS ? cur->n : CS_YAML_MAX_KEYS;
    for (size_t k = 0; k < n_keys; k++)
        keys[k] = cur->keys[k]->value;
    const char *near = cs_nearest(sg->name, keys, n_keys);
    if (near)
        path_fail(w->c, w->ch, w->context, "%s has no `%s`; did you mean `%s`?", w->where, sg->name,
                  near);
    else
        path_fail(w->c, w->ch, w->context, "%s has no `%s`%s", w->where, sg->name,
                  w->mode == WALK_FIND           ? " (an uncertain number must be written in the "
                                                   "scenario)"
                  : w->ch->op == CS_CHANGE_SCALE ? " to scale"
                                                 : "");
    return CS_EINVAL;
}

/* `.name` in a list: the element whose `name` it is. */
static int step_list(walk *w, const segment *sg, cs_ynode **next)
{
    cs_ynode *cur = w->cur;
    for (size_t k = 0; k < cur->n && !*next; k++) {
        const cs_ynode *nn = cs_ynode_get(cur->items[k], "name");
        if (nn && nn->kind == CS_YNODE_SCALAR && strcmp(nn->value, sg->name) == 0)
            *next = cur->items[k];
    }
    if (*next)
        return CS_OK;
    const char *names[256];
    size_t k = element_names(cur, names, 256);
    const char *near = cs_nearest(sg->name, names, k);
    if (near)
        path_fail(w->c, w->ch, w->context, "%s has no element named `%s`; did you mean `%s`?",
                  w->where, sg->name, near);
    else
        path_fail(w->c, w->ch, w->context,
                  "%s has no element named `%s` (use a name, or an index like `[0]`)", w->where,
                  sg->name);
    return CS_EINVAL;
}

/* `p.GROUP` where p is one number for all groups, in an uncertain input's
 * path: the number is the single `p`, for that group. */
static int step_group(walk *w, const segment *sg, cs_ynode **next)
{
    const cs_scenario *s = w->s;
    const char *names[CS_MAX_GROUPS], *known = NULL;
    for (size_t g = 0; g < s->n_groups; g++) {
        names[g] = s->groups[g].name;
        if (strcmp(names[g], sg->name) == 0)
            known = names[g];
    }
    if (!known) {
        const char *near = cs_nearest(sg->name, names, s->n_groups);
        path_fail(w->c, w->ch, w->context, "`%s` is not a group%s%s%s", sg->name,
                  near ? "; did you mean `" : "", near ? near : "", near ? "`?" : "");
        return CS_EINVAL;
    }
    /* the scenario's own copy of the name: the path's segments do not
     * outlive the walk */
    w->group = known;
    *next = w->cur;
    return CS_OK;
}

/* The names of the class a segment belongs to: the groups, or the kinds
 * (for a branch's `p`, those of its `kinds` if it lists them). */
static size_t class_names(const walk *w, bool kinds, const char **names)
{
    const cs_scenario *s = w->s;
    size_t n = 0;
    if (!kinds) {
        for (size_t g = 0; g < s->n_groups; g++)
            names[n++] = s->groups[g].name;
        return n;
    }
    const cs_ynode *branch = w->depth >= 2 ? w->stack[w->depth - 2] : NULL;
    const cs_ynode *kl = strcmp(w->prev_key, "p") == 0 ? cs_ynode_get(branch, "kinds") : NULL;
    if (kl && kl->kind == CS_YNODE_SEQ) {
        for (size_t i = 0; i < kl->n && n < CS_MAX_VIOLATIONS; i++)
            if (kl->items[i]->kind == CS_YNODE_SCALAR)
                names[n++] = kl->items[i]->value;
        return n;
    }
    for (size_t k = 0; k < s->n_violations; k++)
        names[n++] = s->violations[k].name;
    return n;
}

/* Whether name is one of names[0 .. n-1]. */
static bool among(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* How many of mapping m's keys are in names. */
static size_t keys_among(const cs_ynode *m, const char *const *names, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; m->kind == CS_YNODE_MAP && i < m->n; i++)
        k += among(m->keys[i]->value, names, n);
    return k;
}

/* Replaces node n by a mapping from each of names to a copy of n's value. */
static int expand(cs_ynode *n, const char *const *names, size_t count)
{
    cs_ynode *old = NULL, *m = cs_ynode_new(CS_YNODE_MAP, n->pos, NULL);
    int st = m && cs_ynode_copy(n, &old) == CS_OK ? CS_OK : CS_ENOMEM;
    for (size_t i = 0; i < count && st == CS_OK; i++) {
        cs_ynode *k = cs_ynode_new(CS_YNODE_SCALAR, n->pos, names[i]), *v = NULL;
        if (!k || cs_ynode_copy(old, &v) != CS_OK || cs_ynode_append(m, k, v) != CS_OK) {
            cs_ynode_free(k);
            cs_ynode_free(v);
            st = CS_ENOMEM;
        }
    }
    cs_ynode_free(old);
    if (st == CS_OK)
        cs_ynode_take(n, m);
    else
        cs_ynode_free(m);
    return st;
}

/* `KEY.NAME` where KEY is a per-case value (`p`, `duration`, `deadline`)
 * and NAME a group or a kind it is not (yet) keyed by: expands it (see the
 * header). Returns 1 when the segment is not such a case (the caller walks
 * on as usual), else a status with *next set on success. */
static int step_case(walk *w, const segment *sg, cs_ynode **next)
{
    static const char *const keys[] = {"p", "duration", "deadline"};
    const char *groups[CS_MAX_GROUPS], *kinds[CS_MAX_VIOLATIONS];
    if (!w->prev_key || !among(w->prev_key, keys, 3))
        return 1;
    size_t ng = class_names(w, false, groups), nk = class_names(w, true, kinds);
    bool is_g = among(sg->name, groups, ng), is_k = among(sg->name, kinds, nk);
    cs_ynode *cur = w->cur;
    if ((!is_g && !is_k) || cs_ynode_get(cur, sg->name))
        return 1;
    size_t by_g = keys_among(cur, groups, ng), by_k = keys_among(cur, kinds, nk);
    bool leaf = cur->kind != CS_YNODE_SEQ && by_g == 0 && by_k == 0 &&
                (cur->kind != CS_YNODE_MAP || strcmp(w->prev_key, "p") != 0);
    int st;
    if (is_k && (leaf || (by_g > 0 && by_k == 0)))
        st = expand(cur, kinds, nk);
    else if (is_g && leaf)
        st = expand(cur, groups, ng);
    else if (is_g && by_k > 0) {
        path_fail(w->c, w->ch, w->context,
                  "%s is given per violation kind: name the kind first (`...%s.KIND.%s`)", w->where,
                  w->prev_key, sg->name);
        return CS_EINVAL;
    } else
        return 1;
    if (st == CS_OK)
        *next = cs_ynode_get(cur, sg->name);
    return st;
}

/* Adds `.name` to the path in messages. */
static void extend_where(walk *w, const char *name)
{
    size_t len = strlen(w->where);
    if (strcmp(w->where, "the scenario") == 0)
        snprintf(w->where, sizeof w->where, "`%s`", name);
    else if (len > 0 && w->where[len - 1] == '`')
        snprintf(w->where + len - 1, sizeof w->where - len + 1, ".%s`", name);
    else
        snprintf(w->where + len, sizeof w->where - len, ".%s", name);
}

/* One named segment: a key, a list element, or a group of a single p. */
static int step_name(walk *w, const segment *sg, bool last)
{
    cs_ynode *next = NULL;
    /* An uncertain number's path is found as written (a single `p` with a
     * group: step_group); a change may expand a value by group or kind. */
    int st = w->mode == WALK_FIND ? 1 : step_case(w, sg, &next);
    if (st != 1) {
        /* expanded (or refused) */
    } else if (w->cur->kind == CS_YNODE_MAP) {
        st = step_map(w, sg, last, &next);
    } else if (w->cur->kind == CS_YNODE_SEQ) {
        st = step_list(w, sg, &next);
    } else if (w->prev_key && strcmp(w->prev_key, "p") == 0 && !cs_ynode_is_null(w->cur) &&
               w->mode == WALK_FIND) {
        st = step_group(w, sg, &next);
    } else if (w->prev_key && (!strcmp(w->prev_key, "p") || !strcmp(w->prev_key, "duration") ||
                               !strcmp(w->prev_key, "deadline"))) {
        const char *names[CS_MAX_GROUPS + CS_MAX_VIOLATIONS];
        size_t n = class_names(w, false, names);
        n += class_names(w, true, names + n);
        const char *near = cs_nearest(sg->name, names, n);
        path_fail(w->c, w->ch, w->context, "`%s` is not a group or a violation kind%s%s%s",
                  sg->name, near ? "; did you mean `" : "", near ? near : "", near ? "`?" : "");
        st = CS_EINVAL;
    } else {
        path_fail(w->c, w->ch, w->context, "%s is a single value; it has no `%s`", w->where,
                  sg->name);
        st = CS_EINVAL;
    }
    if (st != CS_OK)
        return st;
    w->prev_key = sg->name;
    w->cur = next;
    extend_where(w, sg->name);
    return CS_OK;
}

/* The change itself, on the node reached: a number, or a mapping of
 * numbers (one per group), each set or scaled. */
/* WALK_FIND: the node reached must be one number. */
static int found_node(walk *w)
{
    const cs_ynode *cur = w->cur;
    double v;
    if (cur->kind == CS_YNODE_SCALAR && !cur->quoted && !cs_ynode_is_null(cur) &&
        cs_parse_number(cur->value, &v) == NULL)
        return CS_OK;
    if (cur->kind == CS_YNODE_SCALAR)
        path_fail(w->c, w->ch, w->context, "`%.40s` is not a number", cur->value);
    else
        path_fail(w->c, w->ch, w->context,
                  "it names %s; name one number inside it (for example `p.GROUP`)",
                  cs_ynode_kind_name(cur));
    return CS_EINVAL;
}

static int change_node(walk *w)
{
    cs_ynode *cur = w->cur;
    if (w->mode == WALK_FIND)
        return found_node(w);
    if (cur->kind == CS_YNODE_SCALAR) {
        if (change_scalar(cur, w->ch, w->index))
            return CS_OK;
        path_fail(w->c, w->ch, w->context, "cannot scale `%.40s`: it is not a number", cur->value);
        return CS_EINVAL;
    }
    if (cur->kind != CS_YNODE_MAP || cur->n == 0) {
        path_fail(w->c, w->ch, w->context, "it names %s; name a number inside it",
                  cs_ynode_kind_name(cur));
        return CS_EINVAL;
    }
    int st = CS_OK;
    for (size_t k = 0; k < cur->n && st == CS_OK; k++)
        if (cur->items[k]->kind != CS_YNODE_SCALAR) {
            path_fail(w->c, w->ch, w->context,
                      "it names a mapping of more than numbers; name a number inside it");
            st = CS_EINVAL;
        }
    for (size_t k = 0; k < cur->n && st == CS_OK; k++)
        if (!change_scalar(cur->items[k], w->ch, w->index)) {
            path_fail(w->c, w->ch, w->context, "cannot scale `%.40s`: it is not a number",
                      cur->items[k]->value);
            st = CS_EINVAL;
        }
    return st;
}

/* `set` of a value other than a number: the node reached becomes a copy of
 * it. */
static int replace_node(walk *w)
{
    cs_ynode *copy = NULL;
    if (cs_ynode_copy(w->ch->node, &copy) != CS_OK)
        return CS_ENOMEM;
    cs_ynode_mark(copy, w->index);
    cs_ynode_take(w->cur, copy);
    return CS_OK;
}

/* `remove: true`: the key or element named by the last segment sg of the
 * node reached (its parent). */
static int remove_node(walk *w, const segment *sg)
{
    cs_ynode *cur = w->cur;
    size_t at = cur->n;
    for (size_t i = 0; i < cur->n && at == cur->n; i++) {
        const cs_ynode *nn = cur->kind == CS_YNODE_SEQ ? cs_ynode_get(cur->items[i], "name") : NULL;
        if (!sg->name)
            at = cur->kind == CS_YNODE_SEQ && sg->index < cur->n ? sg->index : cur->n;
        else if (cur->kind == CS_YNODE_MAP && !strcmp(cur->keys[i]->value, sg->name))
            at = i;
        else if (nn && nn->kind == CS_YNODE_SCALAR && !strcmp(nn->value, sg->name))
            at = i;
    }
    if (at == cur->n) {
        if (sg->name)
            path_fail(w->c, w->ch, w->context, "%s has no `%s` to remove", w->where, sg->name);
        else
            path_fail(w->c, w->ch, w->context, "%s has no element [%zu] to remove", w->where,
                      sg->index);
        return CS_EINVAL;
    }
    cs_ynode_remove(cur, at);
    cur->patched_by = w->index;
    return CS_OK;
}

/* Walks w along path and makes the change of its mode at the end. */
static int walk_path(walk *w, const char *path, int roots)
{
    char *buf = malloc(strlen(path) * 2 + 2);
    if (!buf)
        return CS_ENOMEM;
    segment seg[MAX_SEGMENTS];
    size_t n_seg;
    int st = CS_OK;
    if (!cs_path_split(path, buf, seg, &n_seg)) {
        path_fail(w->c, w->ch, w->context, "the path has more than %d segments", MAX_SEGMENTS);
        st = CS_EINVAL;
    } else if (w->mode == WALK_APPLY && n_seg > 0 && seg[n_seg - 1].name &&
               strcmp(seg[n_seg - 1].name, "name") == 0) {
        path_fail(w->c, w->ch, w->context,
                  "a name cannot be changed: every variant's results share the names of the "
                  "groups, violation kinds, stages and outcomes");
        st = CS_EINVAL;
    } else if (n_seg == 0 || !changeable(&seg[0], roots)) {
        path_fail(w->c, w->ch, w->context, "%s", roots_message(roots));
        st = CS_EINVAL;
    }
    /* `remove` walks to the parent of what it removes */
    bool remove = w->ch->op == CS_CHANGE_REMOVE;
    size_t walk_to = remove && n_seg > 0 ? n_seg - 1 : n_seg;
    for (size_t i = 0; i < walk_to && st == CS_OK; i++) {
        w->stack[w->depth++] = w->cur;
        st = seg[i].name ? step_name(w, &seg[i], i + 1 == n_seg) : step_index(w, &seg[i]);
    }
    if (st == CS_OK && remove)
        st = remove_node(w, &seg[n_seg - 1]);
    else if (st == CS_OK && w->ch->op == CS_CHANGE_REPLACE)
        st = replace_node(w);
    else if (st == CS_OK)
        st = change_node(w);
    if (st == CS_OK && w->mode == WALK_APPLY) {
        w->cur->patched_by = w->index;
        for (size_t k = 0; k < w->depth; k++)
            w->stack[k]->patched_by = w->index;
    }
    free(buf);
    return st;
}

static int apply_one(cs_conv *c, cs_ynode *root, const cs_scenario *s, const cs_change *ch,
                     int index, const char *context, int roots)
{
    if (!ch->path)
        return CS_EINVAL;
    walk w = {.c = c,
              .s = s,
              .ch = ch,
              .mode = WALK_APPLY,
              .index = index,
              .context = context,
              .cur = root,
              .where = "the scenario"};
    return walk_path(&w, ch->path, roots);
}

int cs_patch_find(cs_conv *c, cs_ynode *root, const cs_scenario *s, const char *path, cs_pos pos,
                  const char *context, bool interventions, cs_path_hit *hit)
{
    cs_change ch = {.path = (char *)path, .op = CS_CHANGE_SET, .pos = pos};
    walk w = {.c = c,
              .s = s,
              .ch = &ch,
              .mode = WALK_FIND,
              .index = -1,
              .context = context,
              .cur = root,
              .where = "the scenario"};
    int st = walk_path(&w, path, interventions ? CS_PATCH_UNCERTAIN : CS_PATCH_INTERVENTION);
    if (st == CS_ENOMEM)
        return cs_error_set(c->err, CS_ENOMEM, "%s: out of memory", c->file);
    hit->node = st == CS_OK ? w.cur : NULL;
    hit->group = st == CS_OK ? w.group : NULL;
    return st;
}

int cs_patch_set(cs_conv *c, cs_ynode *root, const cs_scenario *s, const char *path, double value)
{
    cs_change ch = {.path = (char *)path, .op = CS_CHANGE_SET, .value = value};
    walk w = {.c = c,
              .s = s,
              .ch = &ch,
              .mode = WALK_SET,
              .index = -1,
              .context = "an uncertain number",
              .cur = root,
              .where = "the scenario"};
    int st = walk_path(&w, path, CS_PATCH_UNCERTAIN);
    if (st == CS_ENOMEM)
        return cs_error_set(c->err, CS_ENOMEM, "%s: out of memory", c->file);
    return st;
}

int cs_patch_apply(cs_conv *c, cs_ynode *root, const cs_scenario *s, const cs_intervention *iv,
                   int first_index)
{
    char context[160];
    if (c->variant && strcmp(c->variant, iv->name) != 0)
        snprintf(context, sizeof context, "bundle `%s`, intervention `%s`", c->variant, iv->name);
    else
        snprintf(context, sizeof context, "intervention `%s`", iv->name);
    int status = CS_OK;
    for (size_t j = 0; j < iv->n_changes; j++) {
        int st = apply_one(c, root, s, &iv->changes[j], first_index + (int)j, context,
                           CS_PATCH_INTERVENTION);
        if (st == CS_ENOMEM)
            return cs_error_set(c->err, CS_ENOMEM, "%s: out of memory", c->file);
        if (st != CS_OK)
            status = st;
    }
    return status;
}

int cs_patch_probe(cs_conv *c, const cs_ynode *root, const cs_scenario *s, const cs_change *ch,
                   const char *context, int roots)
{
    cs_ynode *copy = NULL;
    if (cs_ynode_copy(root, &copy) != CS_OK)
        return cs_error_set(c->err, CS_ENOMEM, "%s: out of memory", c->file);
    int st = apply_one(c, copy, s, ch, -1, context, roots);
    cs_ynode_free(copy);
    if (st == CS_ENOMEM)
        return cs_error_set(c->err, CS_ENOMEM, "%s: out of memory", c->file);
    return st;
}

int cs_patch_change(cs_conv *c, cs_ynode *root, const cs_scenario *s, const cs_change *ch,
                    int index, const char *context)
{
    int st = apply_one(c, root, s, ch, index, context, CS_PATCH_INTERVENTION);
    if (st == CS_ENOMEM)
        return cs_error_set(c->err, CS_ENOMEM, "%s: out of memory", c->file);
    return st;
}
