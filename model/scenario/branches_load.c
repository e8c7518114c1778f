/*
 * scenario/branches_load.c — a stage's branches: where each leads, which
 * violation kinds it applies to (`kinds`), its probability `p` (one value,
 * or per group, per kind, or per kind and group: scenario/by_case.c), its
 * odds modifiers, and for each kind the reference branch that takes the
 * rest of the probability.
 *
 * The rule (docs/MODEL.md, "Branch probabilities"): a branch with `kinds`
 * applies only to those kinds; for each kind, the branches that apply to it
 * are a multinomial logit around the one of them without `p` (that kind's
 * reference branch), whose probability is 1 minus the others' `p` for that
 * kind and group. Without `kinds` anywhere this is the rule of one
 * reference branch per stage, with the same messages as before.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "scenario/internal.h"

#define MAX_SLOPE 100.0 /* |evidence_slope|: exp(slope/2) stays far from overflow */
/* Odds ratios: with |slope| <= 100 and p_ref >= 2^-53, a branch's odds stay
 * below 1e50, so the engine's sum over 16 branches cannot overflow (an
 * infinite sum would silently send every case down the last branch). */
#define MAX_ODDS_RATIO 1e6

static const char *const BRANCH_KEYS[] = {
    "to", "p", "kinds", "evidence_slope", "unfounded_odds_ratio", "kind_odds_ratio"};

static const char *const CLOSED_WHY =
    "this branch does not apply to it (the kind is not in the branch's `kinds`)";

static uint32_t bit(size_t k)
{
    return UINT32_C(1) << k;
}

/* The names of the violation kinds of s into vn. */
static void kind_names(const cs_scenario *s, const char **vn)
{
    for (size_t k = 0; k < s->n_violations; k++)
        vn[k] = s->violations[k].name;
}

/* The kind called name, or n_violations. */
static size_t find_kind(const cs_scenario *s, const char *name)
{
    size_t v = 0;
    while (v < s->n_violations && !(s->violations[v].name && !strcmp(s->violations[v].name, name)))
        v++;
    return v;
}

/* `kind_odds_ratio`: a mapping from violation kind to odds ratio. */
static void read_kind_odds(cs_conv *c, const cs_ynode *n, const cs_scenario *s, cs_branch *b)
{
    if (!cs_conv_is_map(c, n, "`kind_odds_ratio`"))
        return;
    const char *vn[CS_MAX_VIOLATIONS];
    kind_names(s, vn);
    for (size_t i = 0; i < n->n; i++) {
        const char *k = n->keys[i]->value;
        size_t v = find_kind(s, k);
        if (v == s->n_violations) {
            cs_conv_unknown(c, n->keys[i], "violation", " in `kind_odds_ratio`", k, vn,
                            s->n_violations);
            continue;
        }
        if (!(b->kinds & bit(v))) {
            cs_conv_error(c, n->keys[i], "`kind_odds_ratio` names `%s`, but %s", k, CLOSED_WHY);
            continue;
        }
        char w[128];
        snprintf(w, sizeof w, "kind_odds_ratio.%s", k);
        cs_conv_num_in(c, n->items[i], w, 0, true, MAX_ODDS_RATIO, &b->kind_odds_ratio[v]);
    }
}

/* The odds modifiers of a branch, which the reference branch (without `p`)
 * cannot have: odds are measured against it. */
static void read_modifiers(cs_conv *c, const cs_ynode *m, const cs_scenario *s, cs_branch *b)
{
    static const char *const ref_only[] = {"evidence_slope", "unfounded_odds_ratio",
                                           "kind_odds_ratio"};
    const cs_ynode *n;
    if (b->is_reference)
        for (size_t i = 0; i < N_OF(ref_only); i++)
            if ((n = cs_ynode_key(m, ref_only[i])))
                cs_conv_error(
                    c, n,
                    "the reference branch (the one without `p`) cannot have `%s`: odds are "
                    "measured against it; put it on the other branches",
                    ref_only[i]);
    if ((n = cs_ynode_get(m, "evidence_slope")))
        cs_conv_num_in(c, n, "evidence_slope", -MAX_SLOPE, false, MAX_SLOPE, &b->evidence_slope);
    if ((n = cs_ynode_get(m, "unfounded_odds_ratio")))
        cs_conv_num_in(c, n, "unfounded_odds_ratio", 0, true, MAX_ODDS_RATIO,
                       &b->unfounded_odds_ratio);
    if ((n = cs_ynode_get(m, "kind_odds_ratio")))
        read_kind_odds(c, n, s, b);
}

/* `kinds`: a non-empty list of violation kinds, each once. Returns false
 * after reporting (the branch then keeps applying to every kind, so that no
 * other error follows from this one). */
static bool read_kinds(cs_conv *c, const cs_ynode *n, const cs_scenario *s, cs_branch *b)
{
    b->has_kinds = true;
    if (n->kind != CS_YNODE_SEQ || n->n == 0) {
        cs_conv_error(c, n,
                      "`kinds` must be a list of one or more violation kinds (e.g. `kinds: "
                      "[death, serious_injury]`), got %s; without `kinds` a branch applies to "
                      "every kind",
                      n->kind == CS_YNODE_SEQ ? "an empty list" : cs_ynode_kind_name(n));
        return false;
    }
    const char *vn[CS_MAX_VIOLATIONS];
    kind_names(s, vn);
    uint32_t mask = 0;
    bool ok = true;
    for (size_t i = 0; i < n->n; i++) {
        const cs_ynode *x = n->items[i];
        size_t v = x->kind == CS_YNODE_SCALAR ? find_kind(s, x->value) : s->n_violations;
        if (x->kind != CS_YNODE_SCALAR || cs_ynode_is_null(x)) {
            cs_conv_error(c, x, "`kinds` lists violation kinds by name, got %s",
                          cs_ynode_kind_name(x));
            ok = false;
        } else if (v == s->n_violations) {
            cs_conv_unknown(c, x, "violation", " in `kinds`", x->value, vn, s->n_violations);
            ok = false;
        } else if (mask & bit(v)) {
            cs_conv_error(c, x, "`%s` appears twice in `kinds`", x->value);
            ok = false;
        }
        if (v < s->n_violations)
            mask |= bit(v);
    }
    if (ok)
        b->kinds = mask;
    return ok;
}

/* One probability: a leaf of cs_conv_by_case. */
static bool read_prob(cs_conv *c, const cs_ynode *n, const char *what, void *ctx, void *out)
{
    (void)ctx;
    if (n->kind != CS_YNODE_SCALAR) {
        cs_conv_error(c, n,
                      "`%s` must be a number, or a mapping from group or violation kind to "
                      "number, got %s",
                      what, cs_ynode_kind_name(n));
        return false;
    }
    return cs_conv_num_in(c, n, what, 0, false, 1, out);
}

/* All the kinds of s, as a bit mask. */
static uint32_t all_kinds(const cs_scenario *s)
{
    return s->n_violations >= 32 ? UINT32_MAX : bit(s->n_violations) - 1;
}

/* One branch. *kinds_bad is set when its `kinds` could not be read. */
static bool read_branch(cs_conv *c, const cs_names *nm, const cs_ynode *m, cs_scenario *s,
                        cs_branch *b, bool *kinds_bad)
{
    size_t cells = s->n_violations * s->n_groups;
    b->pos = m->pos;
    b->unfounded_odds_ratio = 1;
    b->kinds = all_kinds(s);
    b->p_kg = cs_conv_mem(c, cs_xcalloc(cells ? cells : 1, sizeof *b->p_kg));
    b->kind_odds_ratio = cs_conv_mem(c, cs_xcalloc(s->n_violations, sizeof *b->kind_odds_ratio));
    if (!b->p_kg || !b->kind_odds_ratio)
        return false;
    for (size_t k = 0; k < s->n_violations; k++)
        b->kind_odds_ratio[k] = 1;
    if (!cs_conv_is_map(c, m, "a branch"))
        return false;
    cs_conv_check_keys(c, m, "a branch", BRANCH_KEYS, N_OF(BRANCH_KEYS));
    bool ok = cs_load_branch_targets(c, nm, m, b);
    const cs_ynode *n = cs_ynode_get(m, "kinds");
    if (n && !read_kinds(c, n, s, b))
        *kinds_bad = true;
    const cs_ynode *p = cs_ynode_get(m, "p");
    b->is_reference = p == NULL;
    cs_case_reader r = {.what = "p",
                        .kinds = b->kinds,
                        .closed_why = CLOSED_WHY,
                        .elem = sizeof(double),
                        .read = read_prob};
    if (p && !cs_conv_by_case(c, p, s, &r, b->p_kg, &b->p_by))
        ok = false;
    read_modifiers(c, m, s, b);
    return ok;
}

/* "`a`, `b`" for the kinds of mask, into buf. */
static const char *kind_list(const cs_scenario *s, uint32_t mask, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < s->n_violations && used < n; k++)
        if (mask & bit(k)) {
            int w = snprintf(buf + used, n - used, "%s`%s`", used ? ", " : "",
                             s->violations[k].name ? s->violations[k].name : "?");
            used += w > 0 ? (size_t)w : 0;
        }
    return buf;
}

/* For a stage without `kinds`: exactly one reference branch, reported as
 * before kinds existed. */
static bool one_reference(cs_conv *c, const cs_ynode *bl, cs_stage *st, size_t *ref)
{
    size_t n_ref = 0;
    for (size_t i = 0; i < bl->n; i++)
        if (st->branches[i].is_reference && bl->items[i]->kind == CS_YNODE_MAP) {
            if (n_ref == 1)
                cs_conv_error(c, bl->items[i],
                              "a second branch without `p` in stage `%s`: exactly one branch (the "
                              "reference, which takes the rest) may omit `p`",
                              st->name ? st->name : "?");
            else
                *ref = i;
            n_ref++;
        }
    if (n_ref == 0)
        cs_conv_error(
            c, bl,
            "stage `%s` has no reference branch: exactly one branch must omit `p` (it takes "
            "the rest of the probability)",
            st->name ? st->name : "?");
    return n_ref == 1;
}

/* The kinds (bit masks) that no branch applies to, that have no reference
 * branch, and the branches that are a kind's second reference. */
typedef struct ref_faults {
    uint32_t no_way, no_ref;
    uint32_t second[CS_MAX_BRANCHES]; /* kinds for which branch i is a second reference */
} ref_faults;

static void find_faults(const cs_ynode *bl, const cs_scenario *s, cs_stage *st, ref_faults *f)
{
    memset(f, 0, sizeof *f);
    for (size_t k = 0; k < s->n_violations; k++) {
        size_t n_open = 0, n_ref = 0;
        for (size_t i = 0; i < st->n_branches; i++) {
            const cs_branch *b = &st->branches[i];
            if (bl->items[i]->kind != CS_YNODE_MAP || !(b->kinds & bit(k)))
                continue;
            n_open++;
            if (!b->is_reference)
                continue;
            if (n_ref == 0)
                st->reference[k] = i;
            else
                f->second[i] |= bit(k);
            n_ref++;
        }
        if (n_open == 0)
            f->no_way |= bit(k);
        else if (n_ref == 0)
            f->no_ref |= bit(k);
    }
}

/* With `kinds`: for each kind, exactly one of the branches that apply to
 * it omits `p`. */
static bool kind_references(cs_conv *c, const cs_ynode *bl, const cs_scenario *s, cs_stage *st)
{
    ref_faults f;
    find_faults(bl, s, st, &f);
    const char *name = st->name ? st->name : "?";
    char list[512];
    if (f.no_way)
        cs_conv_error(c, bl,
                      "stage `%s` leaves %s no way out: no branch applies to %s (each lists "
                      "`kinds` without it); add it to a branch's `kinds`, or give a branch "
                      "without `kinds`",
                      name, kind_list(s, f.no_way, list, sizeof list),
                      __builtin_popcount(f.no_way) > 1 ? "them" : "it");
    if (f.no_ref)
        cs_conv_error(c, bl,
                      "stage `%s` has no reference branch for %s: of the branches that apply "
                      "to a kind, exactly one must omit `p` (it takes the rest of the "
                      "probability)",
                      name, kind_list(s, f.no_ref, list, sizeof list));
    bool ok = !f.no_way && !f.no_ref;
    for (size_t i = 0; i < st->n_branches; i++)
        if (f.second[i]) {
            cs_conv_error(c, bl->items[i],
                          "a second branch without `p` for %s in stage `%s`: of the branches "
                          "that apply to a kind, exactly one (its reference, which takes the "
                          "rest) may omit `p`",
                          kind_list(s, f.second[i], list, sizeof list), name);
            ok = false;
        }
    return ok;
}

/* Whether any branch's probability depends on the violation kind. */
static bool kind_dependent(const cs_stage *st)
{
    for (size_t i = 0; i < st->n_branches; i++)
        if (st->branches[i].has_kinds || st->branches[i].p_by == CS_BY_KIND ||
            st->branches[i].p_by == CS_BY_KIND_GROUP)
            return true;
    return false;
}

/* The sum of `p` over the branches other than kind k's reference that
 * apply to kind k, for group g; *last gets the last of them. */
static double p_sum(const cs_scenario *s, const cs_stage *st, size_t k, size_t g, size_t *last)
{
    double sum = 0;
    for (size_t i = 0; i < st->n_branches; i++) {
        const cs_branch *b = &st->branches[i];
        if (b->is_reference || !(b->kinds & bit(k)))
            continue;
        sum += cs_branch_p(s, b, k, g);
        *last = i;
    }
    return sum;
}

/* Reports the cases whose branch probabilities leave nothing for the
 * reference branch; bad holds "1.2 for group `x`, ..." */
static void report_sum(cs_conv *c, const cs_ynode *bl, const cs_scenario *s, const cs_stage *st,
                       const char *bad, size_t n_bad, size_t last, size_t bad_k, size_t bad_g)
{
    /* Point at the last branch with p: that is where the total tips over;
     * at the group's own value when only one group is concerned. */
    const cs_ynode *pn = cs_ynode_get(bl->items[last], "p");
    const cs_ynode *kn =
        pn && s->violations[bad_k].name ? cs_ynode_get(pn, s->violations[bad_k].name) : NULL;
    const cs_ynode *at = kn && kn->kind == CS_YNODE_MAP ? kn : pn;
    const cs_ynode *gn =
        n_bad == 1 && s->groups[bad_g].name ? cs_ynode_get(at, s->groups[bad_g].name) : NULL;
    cs_conv_error(c,
                  gn   ? gn
                  : kn ? kn
                       : pn,
                  "in stage `%s`, the branch probabilities `p` sum to %s; they must sum to less "
                  "than 1 so that the reference branch keeps some",
                  st->name ? st->name : "?", bad);
}

/* Each kind's reference branch gets the rest of the probability, for each
 * group; the other branches' p must sum below 1 so that it keeps some. */
static void reference_p(cs_conv *c, const cs_ynode *bl, const cs_scenario *s, cs_stage *st)
{
    char bad[512];
    size_t used = 0, n_bad = 0, bad_k = 0, bad_g = 0, last = 0, bad_last = 0;
    bool by_kind = kind_dependent(st);
    bad[0] = '\0';
    for (size_t k = 0; k < s->n_violations; k++)
        for (size_t g = 0; g < s->n_groups; g++) {
            double sum = p_sum(s, st, k, g, &last);
            if (sum < 1.0) {
                st->branches[st->reference[k]].p_kg[k * s->n_groups + g] = 1.0 - sum;
                continue;
            }
            /* Without kinds every kind has the same sums: report them once. */
            if (!by_kind && k > 0)
                continue;
            if (used < sizeof bad) {
                const char *gname = s->groups[g].name ? s->groups[g].name : "?";
                int w = by_kind ? snprintf(bad + used, sizeof bad - used,
                                           "%s%.15g for `%s` of group `%s`", n_bad ? ", " : "", sum,
                                           s->violations[k].name, gname)
                                : snprintf(bad + used, sizeof bad - used, "%s%.15g for group `%s`",
                                           n_bad ? ", " : "", sum, gname);
                used += w > 0 ? (size_t)w : 0;
            }
            if (n_bad++ == 0) {
                bad_k = k;
                bad_g = g;
                bad_last = last;
            }
        }
    if (n_bad)
        report_sum(c, bl, s, st, bad, n_bad, bad_last, bad_k, bad_g);
}

bool cs_load_branches(cs_conv *c, const cs_names *nm, const cs_ynode *m, cs_scenario *s,
                      cs_stage *st)
{
    const cs_ynode *bl = cs_conv_need(c, m, "branches", "a stage");
    if (!bl || !cs_conv_is_list(c, bl, "branches", CS_MAX_BRANCHES, "CS_MAX_BRANCHES"))
        return false;
    st->branches = cs_conv_mem(c, cs_xcalloc(bl->n, sizeof *st->branches));
    st->reference =
        cs_conv_mem(c, cs_xcalloc(s->n_violations ? s->n_violations : 1, sizeof *st->reference));
    if (!st->branches || !st->reference)
        return false;
    st->n_branches = bl->n;
    bool ok = true, kinds_bad = false, any_kinds = false;
    for (size_t i = 0; i < bl->n; i++) {
        ok &= read_branch(c, nm, bl->items[i], s, &st->branches[i], &kinds_bad);
        any_kinds |= st->branches[i].has_kinds;
    }
    if (kinds_bad || s->n_groups == 0 || s->n_violations == 0)
        return ok;
    bool refs_ok;
    if (any_kinds) {
        refs_ok = kind_references(c, bl, s, st);
    } else {
        size_t ref = 0;
        refs_ok = one_reference(c, bl, st, &ref);
        for (size_t k = 0; k < s->n_violations; k++)
            st->reference[k] = ref;
    }
    if (refs_ok)
        reference_p(c, bl, s, st);
    return ok;
}
