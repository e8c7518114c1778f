/*
 * scenario/decompose.c — the variants of the counterfactual decomposition
 * (see cs_scenario_decompose in casesim/scenario.h; the method is explained
 * in analysis/README.md).
 *
 * Where does the disparity between groups arise? A stage treats groups
 * differently when its branches' `p` differ between them. Equalising a set
 * S of such stages — every group gets the reference group's `p` there, odds
 * ratios and slopes unchanged — gives a variant whose disparity v(S) the
 * analysis compares with the baseline's v({}) and with v(all). The Shapley
 * share of stage s averages, over orders of the stages, the change in v
 * when s is equalised after the stages before it; it needs v(S) for every
 * subset S (exact), or for the prefixes of sampled orders.
 *
 * Each variant is built as the interventions' are: from the scenario's text,
 * a copy of the tree in which the stages' `p` mappings are rewritten, then
 * converted and validated like the file itself. Copying the reference
 * group's entry, as written, into every group's entry gives every group
 * exactly the reference group's number. Only the baseline is decomposed:
 * an intervention is judged against the baseline, and the decomposition
 * says where the baseline's disparity comes from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/rng.h"
#include "core/alloc.h"
#include "scenario/internal.h"

/* The decomposition's variant names start with this; the longest is
 * "equalised_all_but_" and a stage's name. */
#define PREFIX "equalised_"

void cs_load_decompose(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    const cs_ynode *n = cs_ynode_get(cs_ynode_get(root, "run"), "decompose");
    if (!n)
        return;
    s->decompose_pos = n->pos;
    if (cs_conv_bool(c, n, "decompose", &s->decompose) && s->decompose && s->n_groups == 1)
        cs_conv_error(c, n,
                      "`decompose: true` needs two groups or more: with one group there is no "
                      "disparity between groups to decompose");
}

size_t cs_scenario_n_branches(const cs_scenario *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_stages; i++)
        n += s->stages[i].n_branches;
    return n;
}

bool cs_scenario_stage_differs(const cs_scenario *s, size_t i)
{
    const cs_stage *st = &s->stages[i];
    for (size_t b = 0; b < st->n_branches; b++) {
        const cs_branch *br = &st->branches[b];
        /* A reference branch's p is the rest: it differs only if another does. */
        for (size_t k = 0; k < s->n_violations && !br->is_reference; k++)
            for (size_t g = 1; g < s->n_groups; g++)
                if (cs_branch_p(s, br, k, g) != cs_branch_p(s, br, k, 0))
                    return true;
    }
    return false;
}

/* ------------------------------------------------------------ the subsets */

/* The subsets to run, as masks over positions in decomposed[] (bit j:
 * stage decomposed[j]), and the sampled orders. */
typedef struct plan {
    size_t m;        /* stages with group differences */
    uint64_t *masks; /* [n] distinct, none empty */
    size_t n, cap;
    uint32_t *perm; /* [k][m] sampled orders, NULL when exact */
    size_t k;
} plan;

static void plan_free(plan *p)
{
    free(p->masks);
    free(p->perm);
    memset(p, 0, sizeof *p);
}

static bool plan_has(const plan *p, uint64_t mask)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->masks[i] == mask)
            return true;
    return false;
}

/* Adds mask unless it is there already (room was reserved). */
static void plan_add(plan *p, uint64_t mask)
{
    if (mask && !plan_has(p, mask) && p->n < p->cap)
        p->masks[p->n++] = mask;
}

/* A uniform integer below n (n >= 1) without modulo bias: the draws below
 * 2^32 mod n are rejected. */
static uint32_t uniform_below(cs_pcg32 *g, uint32_t n)
{
    uint32_t threshold = (uint32_t)(-n) % n;
    for (;;) {
        uint32_t r = cs_pcg32_next(g);
        if (r >= threshold)
            return r % n;
    }
}

/* How many of order's proper prefixes (sizes 2 .. m-2: the others are
 * always in the plan) are not in p yet. */
static size_t new_prefixes(const plan *p, const uint32_t *order)
{
    size_t fresh = 0;
    uint64_t mask = 0;
    for (size_t j = 0; j + 2 < p->m; j++) {
        mask |= UINT64_C(1) << order[j];
        if (j >= 1 && !plan_has(p, mask))
            fresh++;
    }
    return fresh;
}

/* Sampled orders (Fisher-Yates from the keyed stream), each added with its
 * prefixes while the variants fit in CS_MAX_DECOMPOSITION. */
static void sample_orders(plan *p, uint64_t seed)
{
    cs_pcg32 g;
    const cs_stream_key key = {seed, 0, 0, 0, 3, CS_STREAM_ANALYSIS};
    cs_pcg32_from_key(&g, &key);
    uint32_t order[CS_MAX_STAGES];
    for (size_t k = 0; k < CS_DECOMPOSE_PERMUTATIONS; k++) {
        for (uint32_t j = 0; j < p->m; j++)
            order[j] = j;
        for (uint32_t j = (uint32_t)p->m - 1; j > 0; j--) {
            uint32_t r = uniform_below(&g, j + 1);
            uint32_t t = order[j];
            order[j] = order[r];
            order[r] = t;
        }
        if (p->n + new_prefixes(p, order) > CS_MAX_DECOMPOSITION)
            break;
        uint64_t mask = 0;
        for (size_t j = 0; j < p->m; j++) {
            mask |= UINT64_C(1) << order[j];
            plan_add(p, mask);
        }
        memcpy(&p->perm[p->k * p->m], order, p->m * sizeof *order);
        p->k++;
    }
}

/* A mask with its place in the order a reader of /runs sees: each stage
 * alone, each stage left out, all of them, then the others by size. */
typedef struct ranked {
    int rank;
    uint64_t mask;
} ranked;

static int ranked_cmp(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->mask < y->mask ? -1 : x->mask > y->mask;
}

static int sort_masks(plan *p, uint64_t full)
{
    ranked *r = cs_xcalloc(p->n, sizeof *r);
    if (!r)
        return CS_ENOMEM;
    for (size_t i = 0; i < p->n; i++) {
        uint64_t mask = p->masks[i];
        int bits = __builtin_popcountll(mask), out = __builtin_popcountll(full & ~mask);
        r[i].rank = mask == full ? 2 : bits == 1 ? 0 : out == 1 ? 1 : 3 + bits;
        r[i].mask = mask;
    }
    qsort(r, p->n, sizeof *r, ranked_cmp);
    for (size_t i = 0; i < p->n; i++)
        p->masks[i] = r[i].mask;
    free(r);
    return CS_OK;
}

/* The subsets: all of them up to CS_DECOMPOSE_EXACT_MAX stages, else each
 * stage alone and left out, all, and sampled orders' prefixes. */
static int make_plan(plan *p, size_t m, uint64_t seed)
{
    p->m = m;
    bool exact = m <= CS_DECOMPOSE_EXACT_MAX;
    p->cap = exact ? ((size_t)1 << m) - 1 : CS_MAX_DECOMPOSITION;
    p->masks = cs_xcalloc(p->cap, sizeof *p->masks);
    p->perm = exact ? NULL : cs_xcalloc(CS_DECOMPOSE_PERMUTATIONS * m, sizeof *p->perm);
    if (!p->masks || (!exact && !p->perm))
        return CS_ENOMEM;
    uint64_t full = m == 64 ? UINT64_MAX : (UINT64_C(1) << m) - 1;
    if (exact) {
        for (uint64_t mask = 1; mask <= full; mask++)
            plan_add(p, mask);
    } else {
        for (size_t j = 0; j < m; j++) {
            plan_add(p, UINT64_C(1) << j);
            plan_add(p, full & ~(UINT64_C(1) << j));
        }
        plan_add(p, full);
        sample_orders(p, seed);
    }
    return sort_masks(p, full);
}

/* ------------------------------------------------------------ the variants */

/* The stage indices of mask (over positions in decomposed[]) as a mask of
 * stage indices. */
static uint64_t stage_mask(const size_t *decomposed, size_t m, uint64_t mask)
{
    uint64_t out = 0;
    for (size_t j = 0; j < m; j++)
        if (mask >> j & 1)
            out |= UINT64_C(1) << decomposed[j];
    return out;
}

/* A stage's name in a variant name, or stage<i> if it would not fit. */
static void stage_word(const cs_scenario *s, size_t i, size_t room, char *buf, size_t n)
{
    if (strlen(s->stages[i].name) <= room)
        snprintf(buf, n, "%s", s->stages[i].name);
    else
        snprintf(buf, n, "stage%zu", i);
}

/* The name of the variant equalising the stages of eq (a stage mask); all
 * is every decomposed stage. */
static void variant_name(const cs_scenario *s, uint64_t eq, uint64_t all, char *buf, size_t n)
{
    char word[CS_MAX_NAME_LEN + 1];
    if (eq == all) {
        snprintf(buf, n, PREFIX "all");
    } else if (__builtin_popcountll(eq) == 1) {
        stage_word(s, (size_t)__builtin_ctzll(eq), CS_MAX_NAME_LEN - strlen(PREFIX "only_"), word,
                   sizeof word);
        snprintf(buf, n, PREFIX "only_%s", word);
    } else if (__builtin_popcountll(all & ~eq) == 1) {
        stage_word(s, (size_t)__builtin_ctzll(all & ~eq),
                   CS_MAX_NAME_LEN - strlen(PREFIX "all_but_"), word, sizeof word);
        snprintf(buf, n, PREFIX "all_but_%s", word);
    } else {
        snprintf(buf, n, PREFIX "set_%llx", (unsigned long long)eq);
    }
}

/* "Every group has ...'s branch probabilities at a, b and c." (new string). */
static char *variant_description(const cs_scenario *s, uint64_t eq)
{
    size_t len = 160 + strlen(s->groups[0].label);
    for (size_t i = 0; i < s->n_stages; i++)
        len += strlen(s->stages[i].name) + 8;
    char *d = malloc(len);
    if (!d)
        return NULL;
    size_t o = (size_t)snprintf(d, len,
                                "Decomposition: every group has the branch probabilities (p) of "
                                "the reference group (%s) at ",
                                s->groups[0].label);
    int left = __builtin_popcountll(eq);
    for (size_t i = 0; i < s->n_stages; i++) {
        if (!(eq >> i & 1))
            continue;
        left--;
        o += (size_t)snprintf(d + o, len - o, "%s%s", s->stages[i].name,
                              left > 1    ? ", "
                              : left == 1 ? " and "
                                          : "");
    }
    snprintf(d + o, len - o, "; everything else as in the baseline.");
    return d;
}

/* Whether every key of mapping n is a group's name (and there is one). */
static bool keyed_by_group(const cs_scenario *s, const cs_ynode *n)
{
    if (n->kind != CS_YNODE_MAP || n->n == 0)
        return false;
    for (size_t k = 0; k < n->n; k++) {
        bool group = false;
        for (size_t g = 0; g < s->n_groups && !group; g++)
            group = strcmp(n->keys[k]->value, s->groups[g].name) == 0;
        if (!group)
            return false;
    }
    return true;
}

/* Gives every group the reference group's value in n: a mapping keyed by
 * group gets a copy of the reference group's entry in every entry; any
 * other mapping (a `p` written per violation kind, say) has its entries
 * equalised in turn. */
static int equalise_node(const cs_scenario *s, cs_ynode *n)
{
    if (n->kind != CS_YNODE_MAP)
        return CS_OK;
    if (!keyed_by_group(s, n)) {
        int st = CS_OK;
        for (size_t k = 0; k < n->n && st == CS_OK; k++)
            st = equalise_node(s, n->items[k]);
        return st;
    }
    const cs_ynode *ref = cs_ynode_get(n, s->groups[0].name);
    for (size_t k = 0; k < n->n && ref; k++) {
        if (n->items[k] == ref)
            continue; /* it is the one copied */
        cs_ynode *copy = NULL;
        if (cs_ynode_copy(ref, &copy) != CS_OK)
            return CS_ENOMEM;
        cs_ynode_free(n->items[k]);
        n->items[k] = copy;
    }
    return CS_OK;
}

/* Gives every group the reference group's `p` at stage i of the tree. */
static int equalise_stage(const cs_scenario *s, cs_ynode *root, size_t i)
{
    const cs_ynode *st = cs_ynode_get(root, "stages")->items[i];
    const cs_ynode *branches = cs_ynode_get(st, "branches");
    int rc = CS_OK;
    for (size_t b = 0; b < branches->n && rc == CS_OK; b++) {
        cs_ynode *p = cs_ynode_get(branches->items[b], "p");
        if (p)
            rc = equalise_node(s, p);
    }
    return rc;
}

/* Builds the variant equalising the stages of v->equalised from tree. */
static int build_one(const cs_scenario *s, const cs_ynode *tree, cs_variant *v, cs_error *err)
{
    cs_ynode *copy = NULL;
    cs_scenario *vs = NULL;
    int st = cs_ynode_copy(tree, &copy);
    for (size_t i = 0; i < s->n_stages && st == CS_OK; i++)
        if (v->equalised >> i & 1)
            st = equalise_stage(s, copy, i);
    if (st == CS_OK && !(vs = calloc(1, sizeof *vs)))
        st = CS_ENOMEM;
    if (st != CS_OK) {
        st = cs_error_set(err, CS_ENOMEM, "%s: out of memory", s->path);
        goto fail;
    }
    cs_conv c = {.err = err, .file = s->path, .variant = v->name};
    st = cs_scenario_convert(&c, copy, false, vs);
    if (st == CS_OK && !(vs->path = cs_xstrdup(s->path)))
        st = cs_error_set(err, CS_ENOMEM, "%s: out of memory", s->path);
    if (st != CS_OK)
        goto fail;
    v->scenario = vs;
    cs_ynode_free(copy);
    return CS_OK;
fail:
    cs_scenario_free(vs);
    cs_ynode_free(copy);
    return st;
}

/* Names, describes and builds variant v for the stage mask eq. */
static int make_variant(const cs_scenario *s, const cs_ynode *tree, uint64_t eq, uint64_t all,
                        cs_variant *v, cs_error *err)
{
    char name[CS_MAX_NAME_LEN + 32];
    variant_name(s, eq, all, name, sizeof name);
    if (cs_scenario_find_variant(s, name) >= 0)
        return cs_error_set(err, CS_EINVAL,
                            "%s: the decomposition's variant `%s` has the name of a variant of "
                            "the scenario: rename that intervention or bundle",
                            s->path, name);
    v->kind = CS_VARIANT_DECOMPOSITION;
    v->equalised = eq;
    v->name = cs_xstrdup(name);
    v->description = variant_description(s, eq);
    v->applied = cs_xcalloc(1, sizeof *v->applied);
    if (!v->name || !v->description || !v->applied)
        return cs_error_set(err, CS_ENOMEM, "%s: out of memory", s->path);
    return build_one(s, tree, v, err);
}

static void variant_release(cs_variant *v)
{
    free(v->name);
    free(v->description);
    free(v->applied);
    cs_scenario_free(v->scenario);
    memset(v, 0, sizeof *v);
}

/* Appends the plan's variants to s (all or none). Each is appended as soon
 * as it is built, so that the next name is checked against it too. */
static int add_variants(cs_scenario *s, const size_t *decomposed, const plan *p, cs_error *err)
{
    size_t n0 = s->n_variants;
    if (n0 + p->n > CS_MAX_VARIANTS)
        return cs_error_set(err, CS_ELIMIT,
                            "%s: the decomposition's %zu variants and the scenario's %zu are more "
                            "than %d (CS_MAX_VARIANTS): lower the budget of the portfolios",
                            s->path, p->n, n0, CS_MAX_VARIANTS);
    cs_variant *vars = realloc(s->variants, (n0 + p->n) * sizeof *vars);
    if (!vars)
        return cs_error_set(err, CS_ENOMEM, "%s: out of memory", s->path);
    s->variants = vars;
    memset(vars + n0, 0, p->n * sizeof *vars);
    cs_ynode *tree = NULL;
    int st = cs_ytree_parse(s->source, s->source_len, s->path, &tree, err);
    uint64_t all =
        stage_mask(decomposed, p->m, p->m == 64 ? UINT64_MAX : (UINT64_C(1) << p->m) - 1);
    for (size_t i = 0; i < p->n && st == CS_OK; i++) {
        st = make_variant(s, tree, stage_mask(decomposed, p->m, p->masks[i]), all, &vars[n0 + i],
                          err);
        s->n_variants += st == CS_OK;
    }
    cs_ynode_free(tree);
    if (st != CS_OK) {
        for (size_t i = n0; i < n0 + p->n; i++)
            variant_release(&vars[i]);
        s->n_variants = n0;
    }
    return st;
}

/* The stages with group differences into *out (new array, at least one
 * element) and their number into *m. */
static int find_stages(const cs_scenario *s, size_t **out, size_t *m)
{
    *m = 0;
    *out = cs_xcalloc(s->n_stages ? s->n_stages : 1, sizeof **out);
    if (!*out)
        return CS_ENOMEM;
    for (size_t i = 0; i < s->n_stages; i++)
        if (cs_scenario_stage_differs(s, i))
            (*out)[(*m)++] = i;
    return CS_OK;
}

int cs_scenario_decompose(cs_scenario *s, cs_error *err)
{
    if (s->has_decomposition)
        return CS_OK;
    if (s->n_groups < 2) {
        if (s->decompose)
            return cs_error_at(err, CS_EINVAL, s->path, s->decompose_pos.line,
                               s->decompose_pos.column,
                               "`decompose: true` needs two groups or more");
        return cs_error_set(err, CS_EINVAL,
                            "%s: the decomposition needs two groups or more; the scenario has "
                            "one, so there is no disparity between groups to decompose",
                            s->path);
    }
    /* Not with uncertain inputs: each draw would need its own decomposition
     * (the stages that differ, and their variants, change with the draw). */
    if (s->n_uncertain > 0)
        return s->decompose ? cs_error_at(err, CS_EINVAL, s->path, s->decompose_pos.line,
                                          s->decompose_pos.column,
                                          "`decompose: true` cannot be used with `uncertain:` "
                                          "inputs: decompose the scenario at fixed values")
                            : cs_error_set(err, CS_EINVAL,
                                           "%s: the decomposition cannot be used with "
                                           "`uncertain:` inputs: decompose the scenario at fixed "
                                           "values",
                                           s->path);
    size_t *decomposed = NULL, m = 0;
    plan p = {0};
    int st = find_stages(s, &decomposed, &m);
    if (st == CS_OK && m > 0)
        st = make_plan(&p, m, s->seed);
    if (st != CS_OK)
        st = cs_error_set(err, CS_ENOMEM, "%s: out of memory", s->path);
    if (st == CS_OK && m > 0)
        st = add_variants(s, decomposed, &p, err);
    if (st != CS_OK) {
        free(decomposed);
        plan_free(&p);
        return st;
    }
    s->has_decomposition = true;
    s->decomposed = decomposed;
    s->n_decomposed = m;
    s->n_permutations = p.k;
    s->permutations = p.perm;
    p.perm = NULL;
    plan_free(&p);
    return CS_OK;
}
