/*
 * scenario/uncertain_load.c — the uncertain inputs of a scenario
 * (`uncertain:` and `correlations:`; run.sampling is read with `run`).
 *
 * Each entry puts a distribution (one of the seven families of
 * casesim/uncertain.h, with its parameters as written) on one number of the
 * scenario named by a path (`path`), or a Dirichlet on several numbers that
 * sum to 1 (`paths`). The path is resolved in the YAML tree by the same walk
 * as an intervention's change (scenario/patch.c), so it names the same
 * number an intervention would change; and the number's valid range comes
 * from one table (scenario/paths.c). Rules, each reported at the node at
 * fault with a message that names it: a path that names no number, a number
 * named twice, a distribution whose support can leave the valid range
 * without `truncate`, the scenario's own value outside the distribution's
 * support (it is the value used without uncertainty), a share outside a
 * Dirichlet, a Dirichlet whose numbers do not sum to 1 in the scenario,
 * correlations that are not positive definite or touch a Dirichlet, Sobol
 * sampling over more than 40 values.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "scenario/internal.h"

static const char *const ENTRY_KEYS[] = {
    "path",  "paths",     "name",   "source",  "group",      "truncate", "beta",
    "gamma", "lognormal", "normal", "uniform", "triangular", "dirichlet"};
static const char *const CORRELATION_KEYS[] = {"between", "rho"};

/* Tolerance of the sum of a Dirichlet's numbers in the scenario (the
 * loader's own tolerance for a group's shares). */
#define SUM_TOLERANCE 1e-9

/* A number already named by an entry: its node, and the group when the
 * number is one group's share of a single `p`. */
typedef struct named {
    const cs_ynode *node;
    const char *group;
    size_t entry;
} named;

/* What the entries of one section share while they are read. */
typedef struct reader {
    cs_conv *c;
    cs_ynode *root;
    cs_scenario *s;
    named *named; /* [n_named], capacity CS_UNC_MAX_VALUES */
    size_t n_named;
} reader;

/* Reports a cs_unc_msg at node at. */
static void report(cs_conv *c, const cs_ynode *at, const cs_unc_msg *m)
{
    cs_pos none = {0, 0};
    cs_conv_fail(c, m->status == CS_OK ? CS_EINVAL : m->status, at, none, "%s", m->text);
}

/* ----------------------------------------------------------- distribution */

/* The family key of entry m into *f and its node into *fam; false after
 * reporting none or two. */
static bool find_family(cs_conv *c, const cs_ynode *m, enum cs_unc_family *f, const cs_ynode **fam)
{
    *fam = NULL;
    for (size_t i = 0; i < m->n; i++) {
        enum cs_unc_family g;
        if (!cs_unc_family_parse(m->keys[i]->value, &g))
            continue;
        if (*fam) {
            cs_conv_error(c, m->keys[i],
                          "an uncertain entry has one distribution; `%s` is a second one",
                          m->keys[i]->value);
            return false;
        }
        *f = g;
        *fam = m->items[i];
    }
    if (!*fam)
        cs_conv_error(c, m,
                      "an uncertain entry needs a distribution: one of beta, gamma, lognormal, "
                      "normal, uniform, triangular, dirichlet");
    return *fam != NULL;
}

/* A list of numbers (a Dirichlet's counts) into list[0 .. *n). */
static bool read_list(cs_conv *c, const cs_ynode *v, const char *what, double *list, size_t *n)
{
    if (v->n > CS_UNC_MAX_COMPONENTS) {
        cs_conv_limit(c, v, "`%s` has %zu numbers; the limit is %d", what, v->n,
                      CS_UNC_MAX_COMPONENTS);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < v->n; i++)
        ok &= cs_conv_num(c, v->items[i], what, &list[i]);
    *n = v->n;
    return ok;
}

/* The most parameters a family takes (triangular: min, mode, max). */
#define MAX_PARAMS 3

/* Builds *d from the family's parameter mapping fam. */
static bool read_dist(cs_conv *c, enum cs_unc_family f, const cs_ynode *fam, cs_unc_dist *d)
{
    if (!cs_conv_is_map(c, fam, "a distribution's parameters"))
        return false;
    if (fam->n > MAX_PARAMS) {
        cs_conv_error(c, fam, "a %s distribution takes at most %d parameters, got %zu",
                      cs_unc_family_name(f), MAX_PARAMS, fam->n);
        return false;
    }
    cs_unc_param params[MAX_PARAMS];
    double list[CS_UNC_MAX_COMPONENTS];
    bool ok = true;
    for (size_t i = 0; i < fam->n; i++) {
        const cs_ynode *v = fam->items[i];
        params[i] = (cs_unc_param){.name = fam->keys[i]->value};
        if (v->kind == CS_YNODE_SEQ) {
            ok &= read_list(c, v, fam->keys[i]->value, list, &params[i].n_list);
            params[i].list = list;
        } else {
            ok &= cs_conv_num(c, v, fam->keys[i]->value, &params[i].value);
        }
    }
    cs_unc_msg m;
    if (!ok || cs_unc_dist_init(d, f, params, fam->n, &m) == CS_OK)
        return ok;
    report(c, m.param >= 0 && (size_t)m.param < fam->n ? fam->items[m.param] : fam, &m);
    return false;
}

/* One end of `truncate`: a number, or .inf / -.inf for an open end. */
static bool read_bound(cs_conv *c, const cs_ynode *n, double *out)
{
    static const char *const pos[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"};
    static const char *const neg[] = {"-.inf", "-.Inf", "-.INF"};
    for (size_t i = 0; n->kind == CS_YNODE_SCALAR && !n->quoted && i < N_OF(pos); i++)
        if (!strcmp(n->value, pos[i]))
            return *out = INFINITY, true;
    for (size_t i = 0; n->kind == CS_YNODE_SCALAR && !n->quoted && i < N_OF(neg); i++)
        if (!strcmp(n->value, neg[i]))
            return *out = -INFINITY, true;
    return cs_conv_num(c, n, "truncate", out);
}

/* `truncate: [low, high]`, applied to d. */
static bool read_truncate(cs_conv *c, const cs_ynode *t, cs_uncertain *u, cs_unc_dist *d)
{
    if (t->kind != CS_YNODE_SEQ || t->n != 2) {
        cs_conv_error(c, t, "`truncate` must be a list of two bounds [low, high] (.inf for none)");
        return false;
    }
    if (!read_bound(c, t->items[0], &u->truncate[0]) ||
        !read_bound(c, t->items[1], &u->truncate[1]))
        return false;
    u->truncated = true;
    cs_unc_msg m;
    if (cs_unc_dist_truncate(d, u->truncate[0], u->truncate[1], &m) == CS_OK)
        return true;
    report(c, t, &m);
    return false;
}

/* ------------------------------------------------------------------ paths */

/* The paths of entry m (`path`, or `paths` for a Dirichlet) into u; their
 * nodes into *at. */
static bool read_paths(cs_conv *c, const cs_ynode *m, bool dirichlet, cs_uncertain *u,
                       const cs_ynode **at)
{
    const cs_ynode *one = cs_ynode_get(m, "path"), *many = cs_ynode_get(m, "paths");
    if ((one && many) || (!one && !many) || (dirichlet ? one != NULL : many != NULL)) {
        cs_conv_error(c, one && many ? cs_ynode_key(m, "paths") : m, "%s",
                      dirichlet ? "a dirichlet entry names its numbers with `paths: [...]` (two "
                                  "or more)"
                                : "an uncertain entry names its number with `path:` (`paths:` "
                                  "is for a dirichlet)");
        return false;
    }
    if (many && !cs_conv_is_list(c, many, "paths", CS_UNC_MAX_COMPONENTS, "CS_UNC_MAX_COMPONENTS"))
        return false;
    size_t n = one ? 1 : many->n;
    u->paths = cs_conv_mem(c, cs_xcalloc(n, sizeof *u->paths));
    u->value = cs_conv_mem(c, cs_xcalloc(n, sizeof *u->value));
    if (!u->paths || !u->value)
        return false;
    u->n_paths = n;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        at[i] = one ? one : many->items[i];
        if (!cs_conv_short_text(c, at[i], "path", CS_MAX_PATH_LEN, &u->paths[i])) {
            ok = false;
            continue;
        }
        const char *why = cs_path_syntax(u->paths[i]);
        if (why) {
            cs_conv_error(c, at[i], "the path `%.100s` is malformed: %s", u->paths[i], why);
            ok = false;
        }
    }
    return ok;
}

/* Records the number of hit as named by entry e, or reports it named twice:
 * the same node, unless both are different groups' shares of a single p. */
static bool name_once(reader *r, const cs_path_hit *hit, size_t e, const cs_ynode *at,
                      const char *path)
{
    for (size_t i = 0; i < r->n_named; i++) {
        const named *k = &r->named[i];
        if (k->node != hit->node || (k->group && hit->group && strcmp(k->group, hit->group) != 0))
            continue;
        cs_conv_error(r->c, at,
                      "`%.100s` names a number that uncertain[%zu] names too: a number may be "
                      "uncertain once",
                      path, k->entry);
        return false;
    }
    if (r->n_named == CS_UNC_MAX_VALUES)
        return true; /* the set refuses the entry with its own limit message */
    r->named[r->n_named++] = (named){hit->node, hit->group, e};
    return true;
}

/* Resolves path i of entry e into the scenario's value there and the
 * number's valid range. */
static bool resolve_path(reader *r, cs_uncertain *u, size_t e, size_t i, const cs_ynode *at)
{
    char context[64];
    snprintf(context, sizeof context, "uncertain[%zu]", e);
    cs_path_hit hit;
    if (cs_patch_find(r->c, r->root, r->s, u->paths[i], at->pos, context, true, &hit) != CS_OK)
        return false;
    const char *why = NULL;
    cs_unc_range range;
    if (!cs_path_range(r->s, u->paths[i], &range, &u->units, &why)) {
        cs_conv_error(r->c, at, "`%.100s` cannot be uncertain: %s", u->paths[i], why);
        return false;
    }
    if (i > 0 && strcmp(range.what, u->range.what) != 0) {
        cs_conv_error(r->c, at,
                      "a dirichlet's numbers must be of one kind: `%.100s` is %s, "
                      "the first is %s",
                      u->paths[i], range.what, u->range.what);
        return false;
    }
    u->range = range;
    cs_parse_number(hit.node->value, &u->value[i]);
    return name_once(r, &hit, e, at, u->paths[i]);
}

/* ----------------------------------------------------------------- checks */

/* The distribution d of entry u stays inside the valid range of its
 * numbers, and the scenario's own values are inside its support. */
static bool check_fit(cs_conv *c, const cs_ynode *fam, const cs_ynode *const *at,
                      const cs_uncertain *u, const cs_unc_dist *d)
{
    cs_unc_msg m;
    for (size_t i = 0; i < d->k; i++) {
        cs_unc_dist marg;
        cs_unc_dist_marginal(d, i, &marg, NULL);
        if (!cs_unc_dist_fits(&marg, &u->range, &m)) {
            report(c, fam, &m);
            return false;
        }
    }
    if (d->family == CS_UNC_DIRICHLET)
        return true;
    if (!(u->value[0] >= d->lo && u->value[0] <= d->hi)) {
        cs_conv_error(c, at[0],
                      "the scenario's value %.15g at `%.100s` is outside the support [%g, %g] of "
                      "its distribution: it is the value used without uncertainty "
                      "(--no-uncertainty), so it must be one the distribution allows",
                      u->value[0], u->paths[0], d->lo, d->hi);
        return false;
    }
    if (!strcmp(u->range.what, "a share")) {
        cs_conv_error(c, at[0],
                      "a share can be uncertain only through a dirichlet over the shares it "
                      "must sum to 1 with (`paths: [...]`, `dirichlet: {counts: [...]}`)");
        return false;
    }
    return true;
}

/* A Dirichlet: as many counts as paths, and numbers summing to 1. */
static bool check_dirichlet(cs_conv *c, const cs_ynode *m, const cs_uncertain *u,
                            const cs_unc_dist *d)
{
    if (d->k != u->n_paths) {
        cs_conv_error(c, cs_ynode_get(m, "dirichlet"),
                      "the dirichlet has %zu counts for %zu paths: give one count per path", d->k,
                      u->n_paths);
        return false;
    }
    double sum = 0;
    for (size_t i = 0; i < u->n_paths; i++)
        sum += u->value[i];
    if (fabs(sum - 1.0) <= SUM_TOLERANCE)
        return true;
    cs_conv_error(c, cs_ynode_get(m, "paths"),
                  "the scenario's numbers at these paths sum to %.15g: a dirichlet replaces "
                  "numbers that sum to 1 (for example every violation's share of one group)",
                  sum);
    return false;
}

/* ------------------------------------------------------------------ entry */

/* name, source and group of entry m. */
static void read_labels(cs_conv *c, const cs_ynode *m, cs_uncertain *u)
{
    const cs_ynode *n;
    if ((n = cs_ynode_get(m, "name")))
        cs_conv_short_text(c, n, "name", CS_MAX_TEXT_LEN, &u->name);
    if ((n = cs_ynode_get(m, "source")))
        cs_conv_text(c, n, "source", &u->source);
    if ((n = cs_ynode_get(m, "group")))
        cs_conv_short_text(c, n, "group", CS_MAX_NAME_LEN, &u->group);
    if (!u->source)
        u->source = cs_conv_mem(c, cs_xstrdup(""));
    if (!u->group)
        u->group = cs_conv_mem(c, cs_xstrdup(""));
    if (!u->name && u->n_paths > 0 && u->paths[0])
        u->name = cs_conv_mem(c, cs_xstrdup(u->paths[0]));
}

/* Entry e of `uncertain:`, node m: read, resolved, checked, added to the set. */
static void read_entry(reader *r, const cs_ynode *m, size_t e)
{
    cs_conv *c = r->c;
    cs_uncertain *u = &r->s->uncertain[e];
    u->pos = m->pos;
    if (!cs_conv_is_map(c, m, "an uncertain entry"))
        return;
    cs_conv_check_keys(c, m, "an uncertain entry", ENTRY_KEYS, N_OF(ENTRY_KEYS));
    enum cs_unc_family f = CS_UNC_BETA;
    const cs_ynode *fam = NULL, *at[CS_UNC_MAX_COMPONENTS], *t;
    cs_unc_dist d;
    bool ok = find_family(c, m, &f, &fam) && read_paths(c, m, f == CS_UNC_DIRICHLET, u, at);
    read_labels(c, m, u);
    ok = ok && read_dist(c, f, fam, &d);
    if (ok && (t = cs_ynode_get(m, "truncate")))
        ok = read_truncate(c, t, u, &d);
    for (size_t i = 0; ok && i < u->n_paths; i++)
        ok = resolve_path(r, u, e, i, at[i]);
    ok = ok && (f != CS_UNC_DIRICHLET || check_dirichlet(c, m, u, &d));
    ok = ok && check_fit(c, fam, at, u, &d);
    if (!ok)
        return;
    u->offset = cs_unc_set_values(r->s->uncertain_set);
    cs_unc_msg msg;
    if (cs_unc_set_add(r->s->uncertain_set, &d, u->name, &msg) != CS_OK)
        report(c, m, &msg);
}

/* ----------------------------------------------------------- correlations */

/* One `{between: [i, j], rho}` entry of `correlations:`. */
static void read_correlation(cs_conv *c, const cs_ynode *m, cs_scenario *s, cs_correlation *k)
{
    k->pos = m->pos;
    if (!cs_conv_is_map(c, m, "a correlation"))
        return;
    cs_conv_check_keys(c, m, "a correlation", CORRELATION_KEYS, N_OF(CORRELATION_KEYS));
    const cs_ynode *b = cs_conv_need(c, m, "between", "a correlation");
    const cs_ynode *rho = cs_conv_need(c, m, "rho", "a correlation");
    if (!b || !rho)
        return;
    if (b->kind != CS_YNODE_SEQ || b->n != 2) {
        cs_conv_error(c, b, "`between` must be a list of two indices into `uncertain:` (from 0)");
        return;
    }
    uint64_t i, j;
    if (!cs_conv_whole(c, b->items[0], "between", 0, CS_MAX_UNCERTAIN, &i) ||
        !cs_conv_whole(c, b->items[1], "between", 0, CS_MAX_UNCERTAIN, &j) ||
        !cs_conv_num(c, rho, "rho", &k->rho))
        return;
    k->a = (size_t)i;
    k->b = (size_t)j;
    cs_unc_msg msg;
    if (cs_unc_set_correlate(s->uncertain_set, k->a, k->b, k->rho, &msg) != CS_OK)
        report(c, fabs(k->rho) >= 1 ? rho : b, &msg);
}

static void read_correlations(cs_conv *c, const cs_ynode *l, cs_scenario *s)
{
    if (!cs_conv_is_list(c, l, "correlations", CS_MAX_CORRELATIONS, "CS_MAX_CORRELATIONS"))
        return;
    s->correlations = cs_conv_mem(c, cs_xcalloc(l->n, sizeof *s->correlations));
    if (!s->correlations)
        return;
    s->n_correlations = l->n;
    for (size_t i = 0; i < l->n; i++)
        read_correlation(c, l->items[i], s, &s->correlations[i]);
}

/* ------------------------------------------------------------------ entry */

/* Sobol sampling, and the set finalised (the copula's Cholesky factor). */
static void finish_set(cs_conv *c, const cs_ynode *root, const cs_ynode *cl, cs_scenario *s)
{
    cs_unc_msg m;
    if (s->sampling == CS_UNC_SOBOL && cs_unc_set_use_sobol(s->uncertain_set, &m) != CS_OK)
        report(c, cs_ynode_get(cs_ynode_get(root, "run"), "sampling"), &m);
    if (cs_unc_set_finalize(s->uncertain_set, &m) != CS_OK)
        report(c, cl ? cl : cs_ynode_get(root, "uncertain"), &m);
}

void cs_load_uncertain(cs_conv *c, cs_ynode *root, cs_scenario *s)
{
    const cs_ynode *l = cs_ynode_get(root, "uncertain"), *cl = cs_ynode_get(root, "correlations");
    if (!l || cs_ynode_is_null(l)) {
        if (cl && !cs_ynode_is_null(cl))
            cs_conv_error(c, cs_ynode_key(root, "correlations"),
                          "`correlations` correlates entries of `uncertain:`, which this "
                          "scenario does not have");
        return;
    }
    if (!cs_conv_is_list(c, l, "uncertain", CS_MAX_UNCERTAIN, "CS_MAX_UNCERTAIN"))
        return;
    size_t errors0 = c->errors;
    reader r = {.c = c, .root = root, .s = s};
    s->uncertain = cs_conv_mem(c, cs_xcalloc(l->n, sizeof *s->uncertain));
    s->uncertain_set = cs_conv_mem(c, cs_unc_set_alloc());
    r.named = cs_conv_mem(c, cs_xcalloc(CS_UNC_MAX_VALUES, sizeof *r.named));
    if (s->uncertain && s->uncertain_set && r.named) {
        s->n_uncertain = l->n;
        for (size_t e = 0; e < l->n; e++)
            read_entry(&r, l->items[e], e);
        s->n_uncertain_values = cs_unc_set_values(s->uncertain_set);
        /* Correlations and sampling refer to every entry: judged on a whole set. */
        if (cl && !cs_ynode_is_null(cl) && c->errors == errors0)
            read_correlations(c, cl, s);
        if (c->errors == errors0)
            finish_set(c, root, cl, s);
    }
    free(r.named);
}
