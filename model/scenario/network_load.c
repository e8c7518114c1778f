/*
 * scenario/network_load.c — the network of a scenario: its stages (staff,
 * durations, deadlines, visits, branches) and outcomes, with every name
 * resolved to an index, and the graph checks (reachability, outcomes
 * reached, cycles only through stages that allow revisits).
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
static const char *const DURATION_KEYS[] = {"fixed",     "exponential", "gamma",
                                            "lognormal", "uniform",     "weibull"};
static const char *const DEADLINE_KEYS[] = {"days", "from", "to"};
static const char *const BRANCH_KEYS[] = {"to", "p", "evidence_slope", "unfounded_odds_ratio",
                                          "kind_odds_ratio"};
static const char *const OUTCOME_KEYS[] = {"accountability", "redress"};

/* --------------------------------------------------------------- durations */

/* The families of `duration`, each read from its mapping v (fixed: from a
 * number) into canonical parameters (casesim/scenario.h); on an error d
 * stays CS_DUR_NONE. */

static void duration_fixed(cs_conv *c, const cs_ynode *v, const char *where, cs_duration *d)
{
    (void)where;
    if (cs_conv_num_in(c, v, "fixed", 0, false, HUGE_VAL, &d->a)) {
        d->kind = CS_DUR_FIXED;
        d->mean = d->a;
    }
}

static void duration_exponential(cs_conv *c, const cs_ynode *v, const char *where, cs_duration *d)
{
    const cs_ynode *m = cs_conv_need(c, v, "mean", where);
    if (m && cs_conv_num_in(c, m, "mean", 0, true, HUGE_VAL, &d->a)) {
        d->kind = CS_DUR_EXPONENTIAL;
        d->mean = d->a;
    }
}

/* {mean, cv}: shape k = 1/cv^2, scale theta = mean cv^2. */
static void duration_gamma(cs_conv *c, const cs_ynode *v, const char *where, cs_duration *d)
{
    const cs_ynode *m = cs_conv_need(c, v, "mean", where), *cv = cs_conv_need(c, v, "cv", where);
    double mean, cvv;
    if (!m || !cv || !cs_conv_num_in(c, m, "mean", 0, true, HUGE_VAL, &mean) ||
        !cs_conv_num_in(c, cv, "cv", 0, true, HUGE_VAL, &cvv))
        return;
    d->kind = CS_DUR_GAMMA;
    d->a = 1.0 / (cvv * cvv);
    d->b = mean * cvv * cvv;
    d->mean = mean;
    if (!isfinite(d->a) || !isfinite(d->b) || d->a <= 0 || d->b <= 0) {
        cs_conv_error(c, v, "this gamma distribution cannot be represented (mean %g, cv %g)", mean,
                      cvv);
        d->kind = CS_DUR_NONE;
    }
}

/* Both keys of a pair ({median, p90} or {mean, cv}) into *x and *y, or
 * false after reporting. */
static bool read_pair(cs_conv *c, const cs_ynode *v, const char *kx, const cs_ynode *x,
                      const char *ky, const cs_ynode *y, double *vx, double *vy)
{
    if (!x || !y) {
        cs_conv_error(c, v, "`lognormal` with `%s` also needs `%s`", x ? kx : ky, x ? ky : kx);
        return false;
    }
    return cs_conv_num_in(c, x, kx, 0, true, HUGE_VAL, vx) &&
           cs_conv_num_in(c, y, ky, 0, true, HUGE_VAL, vy);
}

/* {median, p90}: mu = ln median, sigma = ln(p90/median) / z_0.9;
 * {mean, cv}: sigma^2 = ln(1 + cv^2), mu = ln mean - sigma^2/2. */
static void duration_lognormal(cs_conv *c, const cs_ynode *v, const char *where, cs_duration *d)
{
    (void)where;
    const cs_ynode *med = cs_ynode_get(v, "median"), *p90 = cs_ynode_get(v, "p90");
    const cs_ynode *m = cs_ynode_get(v, "mean"), *cv = cs_ynode_get(v, "cv");
    double x, y;
    if ((med || p90) && (m || cv)) {
        cs_conv_error(c, v, "`lognormal` takes either {median, p90} or {mean, cv}, not both");
        return;
    } else if (med || p90) {
        if (!read_pair(c, v, "median", med, "p90", p90, &x, &y))
            return;
        if (!(y > x)) {
            cs_conv_error(c, p90, "`p90` (%g) must be greater than `median` (%g)", y, x);
            return;
        }
        d->a = log(x);
        d->b = log(y / x) / Z_0_9;
    } else if (m || cv) {
        if (!read_pair(c, v, "mean", m, "cv", cv, &x, &y))
            return;
        double s2 = log1p(y * y);
        d->b = sqrt(s2);
        d->a = log(x) - s2 / 2;
    } else {
        cs_conv_error(c, v, "`lognormal` needs {median, p90} or {mean, cv}");
        return;
    }
    d->kind = CS_DUR_LOGNORMAL;
    d->mean = exp(d->a + d->b * d->b / 2);
    if (!isfinite(d->mean) || !isfinite(d->a)) {
        cs_conv_error(c, v, "this lognormal distribution has no finite mean");
        d->kind = CS_DUR_NONE;
    }
}

static void duration_uniform(cs_conv *c, const cs_ynode *v, const char *where, cs_duration *d)
{
    const cs_ynode *lo = cs_conv_need(c, v, "min", where), *hi = cs_conv_need(c, v, "max", where);
    if (!lo || !hi || !cs_conv_num_in(c, lo, "min", 0, false, HUGE_VAL, &d->a) ||
        !cs_conv_num_in(c, hi, "max", 0, false, HUGE_VAL, &d->b))
        return;
    if (d->b < d->a) {
        cs_conv_error(c, hi, "`max` (%g) must not be less than `min` (%g)", d->b, d->a);
        return;
    }
    d->kind = CS_DUR_UNIFORM;
    d->mean = (d->a + d->b) / 2;
}

static void duration_weibull(cs_conv *c, const cs_ynode *v, const char *where, cs_duration *d)
{
    const cs_ynode *k = cs_conv_need(c, v, "shape", where), *l = cs_conv_need(c, v, "scale", where);
    if (!k || !l || !cs_conv_num_in(c, k, "shape", 0, true, HUGE_VAL, &d->a) ||
        !cs_conv_num_in(c, l, "scale", 0, true, HUGE_VAL, &d->b))
        return;
    d->mean = d->b * tgamma(1.0 + 1.0 / d->a);
    if (!isfinite(d->mean)) {
        cs_conv_error(c, v, "this weibull distribution has no finite mean (shape %g too small)",
                      d->a);
        return;
    }
    d->kind = CS_DUR_WEIBULL;
}

static const char *const EXP_K[] = {"mean"};
static const char *const GAMMA_K[] = {"mean", "cv"};
static const char *const LN_K[] = {"median", "p90", "mean", "cv"};
static const char *const UNI_K[] = {"min", "max"};
static const char *const WEI_K[] = {"shape", "scale"};

/* The families, by the key that names them (DURATION_KEYS); keys NULL: a
 * number, not a mapping. */
static const struct {
    const char *name;
    const char *const *keys;
    size_t n_keys;
    void (*read)(cs_conv *c, const cs_ynode *v, const char *where, cs_duration *d);
} families[] = {
    {"fixed", NULL, 0, duration_fixed},
    {"exponential", EXP_K, N_OF(EXP_K), duration_exponential},
    {"gamma", GAMMA_K, N_OF(GAMMA_K), duration_gamma},
    {"lognormal", LN_K, N_OF(LN_K), duration_lognormal},
    {"uniform", UNI_K, N_OF(UNI_K), duration_uniform},
    {"weibull", WEI_K, N_OF(WEI_K), duration_weibull},
};

void cs_load_duration(cs_conv *c, const cs_ynode *n, const char *what, cs_duration *d)
{
    d->kind = CS_DUR_NONE;
    char key[64];
    snprintf(key, sizeof key, "`%s`", what);
    if (!cs_conv_is_map(c, n, key))
        return;
    if (n->n != 1) {
        cs_conv_error(c, n,
                      "%s must name exactly one distribution (one of fixed, exponential, "
                      "gamma, lognormal, uniform, weibull), got %zu keys",
                      key, n->n);
        return;
    }
    cs_conv_check_keys(c, n, key, DURATION_KEYS, N_OF(DURATION_KEYS));
    const char *fam = n->keys[0]->value;
    const cs_ynode *v = n->items[0];
    char where[64];
    snprintf(where, sizeof where, "`%s`", fam);
    for (size_t i = 0; i < N_OF(families); i++) {
        if (strcmp(fam, families[i].name) != 0)
            continue;
        if (families[i].keys) {
            if (!cs_conv_is_map(c, v, where))
                return;
            cs_conv_check_keys(c, v, where, families[i].keys, families[i].n_keys);
        }
        families[i].read(c, v, where, d);
        return;
    }
}

/* ----------------------------------------------------------- stages, graph */

/* Names of stages (from the list) and outcomes (mapping keys), gathered before
 * the stages are read so that a `to` can name a later stage. */
typedef struct names {
    const char *stage[CS_MAX_STAGES];
    size_t n_stages;
    const char *outcome[CS_MAX_OUTCOMES];
    size_t n_outcomes;
    const char *all[CS_MAX_STAGES + CS_MAX_OUTCOMES];
    size_t n_all;
} names;

static bool find_target(const names *nm, const char *name, cs_target *t)
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

static bool find_outcome(const names *nm, const char *name, size_t *index)
{
    for (size_t i = 0; i < nm->n_outcomes; i++)
        if (nm->outcome[i] && strcmp(nm->outcome[i], name) == 0) {
            *index = i;
            return true;
        }
    return false;
}

static bool resolve_target(cs_conv *c, const names *nm, const cs_ynode *n, cs_target *t)
{
    if (n->kind != CS_YNODE_SCALAR || cs_ynode_is_null(n)) {
        cs_conv_error(c, n, "a `to` entry must name a stage or an outcome, got %s",
                      cs_ynode_kind_name(n));
        return false;
    }
    if (find_target(nm, n->value, t))
        return true;
    cs_conv_unknown(c, n, "stage or outcome", "", n->value, nm->all, nm->n_all);
    return false;
}

/* A fork's list of targets: 1 to CS_MAX_FORK, each a stage or an outcome,
 * none twice. */
static bool read_fork(cs_conv *c, const names *nm, const cs_ynode *to, cs_branch *b)
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
static bool read_targets(cs_conv *c, const names *nm, const cs_ynode *m, cs_branch *b)
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

/* `kind_odds_ratio`: a mapping from violation kind to odds ratio. */
static void read_kind_odds(cs_conv *c, const cs_ynode *n, const cs_scenario *s, cs_branch *b)
{
    if (!cs_conv_is_map(c, n, "`kind_odds_ratio`"))
        return;
    const char *vn[CS_MAX_VIOLATIONS];
    for (size_t k = 0; k < s->n_violations; k++)
        vn[k] = s->violations[k].name;
    for (size_t i = 0; i < n->n; i++) {
        const char *k = n->keys[i]->value;
        size_t v = 0;
        while (v < s->n_violations && !(vn[v] && strcmp(vn[v], k) == 0))
            v++;
        if (v == s->n_violations) {
            cs_conv_unknown(c, n->keys[i], "violation", " in `kind_odds_ratio`", k, vn,
                            s->n_violations);
            continue;
        }
        char w[128];
        snprintf(w, sizeof w, "kind_odds_ratio.%s", k);
        cs_conv_num_in(c, n->items[i], w, 0, true, CS_MAX_ODDS_RATIO, &b->kind_odds_ratio[v]);
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
        cs_conv_num_in(c, n, "evidence_slope", -CS_MAX_SLOPE, false, CS_MAX_SLOPE,
                       &b->evidence_slope);
    if ((n = cs_ynode_get(m, "unfounded_odds_ratio")))
        cs_conv_num_in(c, n, "unfounded_odds_ratio", 0, true, CS_MAX_ODDS_RATIO,
                       &b->unfounded_odds_ratio);
    if ((n = cs_ynode_get(m, "kind_odds_ratio")))
        read_kind_odds(c, n, s, b);
}

static bool read_branch(cs_conv *c, const names *nm, const cs_ynode *m, cs_scenario *s,
                        cs_branch *b)
{
    b->pos = m->pos;
    b->unfounded_odds_ratio = 1;
    b->p = cs_conv_mem(c, cs_xcalloc(s->n_groups, sizeof *b->p));
    b->kind_odds_ratio = cs_conv_mem(c, cs_xcalloc(s->n_violations, sizeof *b->kind_odds_ratio));
    if (!b->p || !b->kind_odds_ratio)
        return false;
    for (size_t k = 0; k < s->n_violations; k++)
        b->kind_odds_ratio[k] = 1;
    if (!cs_conv_is_map(c, m, "a branch"))
        return false;
    cs_conv_check_keys(c, m, "a branch", BRANCH_KEYS, N_OF(BRANCH_KEYS));
    bool ok = read_targets(c, nm, m, b);
    const cs_ynode *p = cs_ynode_get(m, "p");
    b->is_reference = p == NULL;
    if (p && !cs_conv_per_group(c, p, "p", s, 0, 1, b->p))
        ok = false;
    read_modifiers(c, m, s, b);
    return ok;
}

static void read_deadline(cs_conv *c, const names *nm, const cs_ynode *d, cs_stage *st)
{
    if (!cs_conv_is_map(c, d, "`deadline`"))
        return;
    cs_conv_check_keys(c, d, "`deadline`", DEADLINE_KEYS, N_OF(DEADLINE_KEYS));
    const cs_ynode *days = cs_conv_need(c, d, "days", "`deadline`");
    const cs_ynode *from = cs_conv_need(c, d, "from", "`deadline`");
    const cs_ynode *to = cs_conv_need(c, d, "to", "`deadline`");
    bool ok = days && from && to;
    if (days)
        ok &= cs_conv_num_in(c, days, "days", 0, false, HUGE_VAL, &st->deadline_days);
    if (from) {
        if (from->kind == CS_YNODE_SCALAR && strcmp(from->value, "incident") == 0)
            st->deadline_from = CS_FROM_INCIDENT;
        else if (from->kind == CS_YNODE_SCALAR && strcmp(from->value, "stage") == 0)
            st->deadline_from = CS_FROM_STAGE;
        else {
            cs_conv_error(c, from, "`from` must be `incident` or `stage`, got %s%s%.40s%s",
                          cs_ynode_kind_name(from), from->kind == CS_YNODE_SCALAR ? " `" : "",
                          from->kind == CS_YNODE_SCALAR ? from->value : "",
                          from->kind == CS_YNODE_SCALAR ? "`" : "");
            ok = false;
        }
    }
    bool to_ok = false;
    if (to) {
        cs_target t;
        if (to->kind != CS_YNODE_SCALAR || cs_ynode_is_null(to)) {
            cs_conv_error(c, to, "the deadline's `to` must name an outcome, got %s",
                          cs_ynode_kind_name(to));
            ok = false;
        } else if (find_outcome(nm, to->value, &st->deadline_outcome)) {
            to_ok = true;
        } else if (find_target(nm, to->value, &t)) {
            cs_conv_error(c, to, "the deadline's `to` must name an outcome; `%s` is a stage",
                          to->value);
            ok = false;
        } else {
            cs_conv_unknown(c, to, "outcome", "", to->value, nm->outcome, nm->n_outcomes);
            ok = false;
        }
    }
    /* Set when the outcome resolved, even if another field failed (the
     * scenario is refused anyway): the outcome then counts as reached. */
    st->has_deadline = to_ok;
    (void)ok;
}

/* Reads one stage; returns false if something it needs for the graph
 * checks (its targets) failed. */
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

/* Exactly one reference branch (without `p`); returns false if there is
 * none or more. */
static bool find_reference(cs_conv *c, const cs_ynode *bl, cs_stage *st)
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
                st->reference_branch = i;
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

/* The reference branch's p: the rest, for each group; the other branches'
 * p must sum below 1 so that it keeps some. */
static void reference_p(cs_conv *c, const cs_ynode *bl, const cs_scenario *s, cs_stage *st)
{
    char bad[512];
    size_t used = 0, n_bad = 0, bad_group = 0;
    bad[0] = '\0';
    for (size_t g = 0; g < s->n_groups; g++) {
        double sum = 0;
        for (size_t i = 0; i < st->n_branches; i++)
            if (!st->branches[i].is_reference)
                sum += st->branches[i].p[g];
        if (sum < 1.0) {
            st->branches[st->reference_branch].p[g] = 1.0 - sum;
            continue;
        }
        if (used < sizeof bad) {
            int w = snprintf(bad + used, sizeof bad - used, "%s%.15g for group `%s`",
                             n_bad ? ", " : "", sum, s->groups[g].name ? s->groups[g].name : "?");
            used += w > 0 ? (size_t)w : 0;
        }
        n_bad++;
        bad_group = g;
    }
    if (n_bad == 0)
        return;
    /* Point at the last branch with p: that is where the total tips over;
     * at the group's own value when only one group is concerned. */
    size_t last = 0;
    for (size_t i = 0; i < st->n_branches; i++)
        if (!st->branches[i].is_reference)
            last = i;
    const cs_ynode *pn = cs_ynode_get(bl->items[last], "p");
    const cs_ynode *gn = n_bad == 1 && s->groups[bad_group].name
                             ? cs_ynode_get(pn, s->groups[bad_group].name)
                             : NULL;
    cs_conv_error(c, gn ? gn : pn,
                  "in stage `%s`, the branch probabilities `p` sum to %s; they must sum to less "
                  "than 1 so that the reference branch keeps some",
                  st->name ? st->name : "?", bad);
}

/* A stage's `branches`, their reference branch and its probabilities. */
static bool read_branches(cs_conv *c, const names *nm, const cs_ynode *m, cs_scenario *s,
                          cs_stage *st)
{
    const cs_ynode *bl = cs_conv_need(c, m, "branches", "a stage");
    if (!bl || !cs_conv_is_list(c, bl, "branches", CS_MAX_BRANCHES, "CS_MAX_BRANCHES"))
        return false;
    st->branches = cs_conv_mem(c, cs_xcalloc(bl->n, sizeof *st->branches));
    if (!st->branches)
        return false;
    st->n_branches = bl->n;
    bool ok = true;
    for (size_t i = 0; i < bl->n; i++)
        ok &= read_branch(c, nm, bl->items[i], s, &st->branches[i]);
    if (find_reference(c, bl, st) && s->n_groups > 0)
        reference_p(c, bl, s, st);
    return ok;
}

static bool read_stage(cs_conv *c, const names *nm, const cs_ynode *m, cs_scenario *s, size_t index,
                       bool *is_entry, bool *entry_bad)
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
    if ((n = cs_ynode_get(m, "duration")))
        cs_load_duration(c, n, "duration", &st->duration);
    if ((n = cs_ynode_get(m, "deadline")))
        read_deadline(c, nm, n, st);
    if ((n = cs_ynode_get(m, "max_visits"))) {
        uint64_t mv;
        if (cs_conv_whole(c, n, "max_visits", 1, CS_MAX_VISITS, &mv))
            st->max_visits = (uint32_t)mv;
    }
    if (st->has_staff && st->capacity == 0 && !st->has_deadline && !cs_ynode_get(m, "deadline"))
        cs_conv_error(
            c, cs_ynode_get(m, "staff"),
            "staff %g x caseload %u gives this stage no place at all: its cases would wait "
            "forever (give more staff, or a deadline)",
            st->staff, st->caseload);
    return read_branches(c, nm, m, s, st);
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
        if (st->has_deadline)
            used[st->deadline_outcome] = true;
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
 * through stages that allow revisits. */
static void check_graph(cs_conv *c, const cs_ynode *stages_node, const cs_ynode *outcomes_node,
                        cs_scenario *s)
{
    bool reach[CS_MAX_STAGES][CS_MAX_STAGES], outcome_used[CS_MAX_OUTCOMES];
    reachability(s, reach, outcome_used);
    size_t e = s->entry_stage;
    for (size_t i = 0; i < s->n_stages; i++)
        if (i != e && !reach[e][i])
            cs_conv_error(
                c, stages_node->items[i],
                "stage `%s` is unreachable: no branch leads to it from the entry stage `%s`",
                s->stages[i].name ? s->stages[i].name : "?",
                s->stages[e].name ? s->stages[e].name : "?");
    for (size_t o = 0; o < s->n_outcomes; o++)
        if (!outcome_used[o])
            cs_conv_error(c, outcomes_node->keys[o],
                          "outcome `%s` is never reached: no branch or deadline leads to it",
                          s->outcomes[o].name ? s->outcomes[o].name : "?");
    for (size_t i = 0; i < s->n_stages; i++)
        check_cycle(c, stages_node, s, i);
}

/* The names stages and outcomes will be resolved against (from the tree:
 * branches may name a stage that comes later in the file). */
static void collect_names(const cs_ynode *sl, const cs_ynode *om, names *nm)
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
static bool load_outcomes(cs_conv *c, const cs_ynode *om, const names *nm, cs_scenario *s)
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
static bool load_stages(cs_conv *c, const cs_ynode *sl, const names *nm, cs_scenario *s)
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
    names nm;
    collect_names(stages_ok ? sl : NULL,
                  outcomes_ok && om->n > 0 && om->n <= CS_MAX_OUTCOMES ? om : NULL, &nm);
    if (outcomes_ok)
        outcomes_ok = load_outcomes(c, om, &nm, s);
    if (stages_ok && load_stages(c, sl, &nm, s) && outcomes_ok)
        check_graph(c, sl, om, s);
}
