/*
 * scenario/decision_load.c — the `decision:` section: the outcome a
 * decision is judged on, the willingness-to-pay grid and the expert's own
 * willingness to pay, the policy horizon, the currency, and with a budget
 * the portfolios of interventions to simulate.
 *
 * Budget portfolios: every combination of the scenario's interventions
 * whose expected annual cost is within the budget is a variant, simulated
 * with the same replicates as every other (common random numbers). The
 * baseline, the single interventions and the file's bundles already are
 * variants; each other combination becomes a bundle made here (`portfolio`
 * set), named by its members joined with `+` (a character no scenario name
 * has, so it cannot clash). The combinations come from the decision module's
 * enumeration (casesim/decision.h), which takes at most
 * CS_DECISION_PORTFOLIO_MAX interventions. An intervention's expected cost
 * is its `annual_cost`, or the mean of its distribution where that is
 * uncertain.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/decision.h"
#include "core/alloc.h"
#include "scenario/internal.h"

static const char *const DECISION_KEYS[] = {"outcome", "willingness_to_pay", "population_years",
                                            "budget", "currency"};
static const char *const OUTCOME_KEYS[] = {"measure", "group"};
static const char *const WTP_KEYS[] = {"from", "to", "step", "expert"};

#define MAX_HORIZON 1000.0 /* population_years */
#define MAX_CURRENCY_LEN 16

/* The measures a decision can be judged on: shares of casesim/measures.h,
 * with the direction in which they improve (tests/test_scenario_uncertain.c
 * checks that each is a measure's name). */
static const struct {
    const char *name;
    int direction;
} OUTCOMES[] = {
    {"impunity_rate", -1},          {"accountability_rate", +1}, {"redress_rate", +1},
    {"wrongful_sanction_rate", -1}, {"pending_share", -1},
};
#define CATEGORY_PREFIX "accountability_rate_"

/* The direction of measure name in s (0 if it is not an outcome). */
static int outcome_direction(const cs_scenario *s, const char *name)
{
    for (size_t i = 0; i < N_OF(OUTCOMES); i++)
        if (!strcmp(OUTCOMES[i].name, name))
            return OUTCOMES[i].direction;
    size_t lp = strlen(CATEGORY_PREFIX);
    for (size_t k = 0; !strncmp(name, CATEGORY_PREFIX, lp) && k < s->n_categories; k++)
        if (!strcmp(name + lp, s->categories[k]))
            return +1;
    return 0;
}

/* `outcome: {measure, group}`. */
static void read_outcome(cs_conv *c, const cs_ynode *o, cs_scenario *s)
{
    cs_decision_spec *d = &s->decision;
    if (!cs_conv_is_map(c, o, "`decision.outcome`"))
        return;
    cs_conv_check_keys(c, o, "`decision.outcome`", OUTCOME_KEYS, N_OF(OUTCOME_KEYS));
    const cs_ynode *n;
    if ((n = cs_ynode_get(o, "measure"))) {
        free(d->measure);
        d->measure = NULL;
        if (!cs_conv_name(c, n, "measure", &d->measure))
            return;
        d->direction = outcome_direction(s, d->measure);
        if (d->direction == 0)
            cs_conv_error(c, n,
                          "`%s` cannot be a decision's outcome: use a share that improves one "
                          "way (impunity_rate, accountability_rate, redress_rate, "
                          "wrongful_sanction_rate, pending_share or accountability_rate_"
                          "CATEGORY)",
                          d->measure);
    }
    if (!(n = cs_ynode_get(o, "group")) || !cs_conv_name(c, n, "group", &d->group))
        return;
    const char *names[CS_MAX_GROUPS];
    cs_conv_group_names(s, names);
    for (size_t g = 0; g < s->n_groups; g++)
        if (names[g] && !strcmp(names[g], d->group))
            return;
    cs_conv_unknown(c, n, "group", " in `decision.outcome`", d->group, names, s->n_groups);
}

/* `willingness_to_pay: {from, to, step, expert}`, currency per percentage point. */
static void read_wtp(cs_conv *c, const cs_ynode *w, cs_decision_spec *d)
{
    if (!cs_conv_is_map(c, w, "`willingness_to_pay`"))
        return;
    cs_conv_check_keys(c, w, "`willingness_to_pay`", WTP_KEYS, N_OF(WTP_KEYS));
    const cs_ynode *from = cs_ynode_get(w, "from"), *to = cs_ynode_get(w, "to");
    const cs_ynode *step = cs_ynode_get(w, "step"), *e = cs_ynode_get(w, "expert");
    if (e)
        d->has_expert = cs_conv_num_in(c, e, "expert", 0, false, CS_MAX_COST, &d->wtp_expert);
    if (!from && !to && !step)
        return;
    if (!from || !to || !step) {
        cs_conv_error(c, w, "a willingness-to-pay grid needs `from`, `to` and `step`");
        return;
    }
    bool ok = cs_conv_num_in(c, from, "from", 0, false, CS_MAX_COST, &d->wtp_from) &&
              cs_conv_num_in(c, to, "to", 0, false, CS_MAX_COST, &d->wtp_to) &&
              cs_conv_num_in(c, step, "step", 0, true, CS_MAX_COST, &d->wtp_step);
    if (ok && !(d->wtp_to > d->wtp_from))
        cs_conv_error(c, to, "`to` (%g) must be greater than `from` (%g)", d->wtp_to, d->wtp_from);
    else if (ok && (d->wtp_to - d->wtp_from) / d->wtp_step + 1 > CS_MAX_WTP_POINTS)
        cs_conv_limit(c, step, "the grid has %.0f points; the limit is %d (CS_MAX_WTP_POINTS)",
                      floor((d->wtp_to - d->wtp_from) / d->wtp_step) + 1, CS_MAX_WTP_POINTS);
    else
        d->has_grid = ok;
}

/* An intervention's expected annual cost: its distribution's mean where
 * `annual_cost` is uncertain. */
static double expected_cost(const cs_scenario *s, size_t iv)
{
    for (size_t e = 0; e < s->n_uncertain; e++)
        if (s->uncertain[e].n_paths == 1 && s->uncertain[e].paths &&
            cs_path_cost_of(s, s->uncertain[e].paths[0]) == (long)iv)
            return cs_unc_set_dist(s->uncertain_set, e)->mean;
    return s->interventions[iv].annual_cost;
}

/* The members of bundle b as a bit mask over the interventions. */
static uint32_t members_of(const cs_bundle *b)
{
    uint32_t m = 0;
    for (size_t i = 0; i < b->n_interventions; i++)
        m |= UINT32_C(1) << b->interventions[i];
    return m;
}

/* The name of the portfolio of members mask: its interventions joined by
 * `+`, or `portfolio+I+J...` (1-based indices) when that is too long. */
static void portfolio_name(const cs_scenario *s, uint32_t mask, char *name, size_t size)
{
    size_t used = 0;
    for (size_t i = 0; i < s->n_interventions && used < size; i++)
        if (mask >> i & 1)
            used += (size_t)snprintf(name + used, size - used, "%s%s", used ? "+" : "",
                                     s->interventions[i].name);
    if (used <= CS_MAX_NAME_LEN)
        return;
    used = (size_t)snprintf(name, size, "portfolio");
    for (size_t i = 0; i < s->n_interventions && used < size; i++)
        if (mask >> i & 1)
            used += (size_t)snprintf(name + used, size - used, "+%zu", i + 1);
}

/* Appends the bundle of members mask, made for the budget. */
static int add_portfolio(cs_scenario *s, uint32_t mask)
{
    cs_bundle *nb = realloc(s->bundles, (s->n_bundles + 1) * sizeof *nb);
    if (!nb)
        return CS_ENOMEM;
    s->bundles = nb;
    cs_bundle *b = &nb[s->n_bundles];
    memset(b, 0, sizeof *b);
    char name[CS_MAX_NAME_LEN * CS_DECISION_PORTFOLIO_MAX + 64];
    portfolio_name(s, mask, name, sizeof name);
    char desc[sizeof name + 64];
    snprintf(desc, sizeof desc, "a portfolio within the budget: %s", name);
    b->name = cs_xstrdup(name);
    b->description = cs_xstrdup(desc);
    b->interventions = cs_xcalloc(CS_DECISION_PORTFOLIO_MAX, sizeof *b->interventions);
    b->portfolio = true;
    s->n_bundles++;
    if (!b->name || !b->description || !b->interventions)
        return CS_ENOMEM;
    for (size_t i = 0; i < s->n_interventions; i++)
        if (mask >> i & 1)
            b->interventions[b->n_interventions++] = i;
    return CS_OK;
}

/* Whether the members mask already is a variant: the baseline, a single
 * intervention, or one of the file's bundles. */
static bool is_variant(const cs_scenario *s, uint32_t mask)
{
    if ((mask & (mask - 1)) == 0)
        return true;
    for (size_t i = 0; i < s->n_bundles; i++)
        if (members_of(&s->bundles[i]) == mask)
            return true;
    return false;
}

/* The combinations of interventions within the budget, as bundles. */
static void make_portfolios(cs_conv *c, const cs_ynode *at, cs_scenario *s)
{
    double cost[CS_MAX_INTERVENTIONS];
    for (size_t i = 0; i < s->n_interventions && i < CS_MAX_INTERVENTIONS; i++)
        cost[i] = expected_cost(s, i);
    cs_error local;
    cs_error_clear(&local);
    cs_portfolio *p = NULL;
    size_t n = 0;
    int st =
        cs_decision_portfolios(cost, s->n_interventions, 1, s->decision.budget, &p, &n, &local);
    if (st != CS_OK) {
        cs_pos none = {0, 0};
        local.text[strcspn(local.text, "\n")] = '\0';
        cs_conv_fail(c, st, at, none, "%s", local.text);
        return;
    }
    size_t n_files = s->n_bundles;
    cs_decision_spec *d = &s->decision;
    d->portfolio_members = cs_xcalloc(n, sizeof *d->portfolio_members);
    d->portfolio_costs = cs_xcalloc(n, sizeof *d->portfolio_costs);
    if (!d->portfolio_members || !d->portfolio_costs)
        st = CS_ENOMEM;
    for (size_t k = 0; k < n && st == CS_OK; k++) {
        d->portfolio_members[k] = p[k].members;
        d->portfolio_costs[k] = p[k].cost;
        d->n_portfolios++;
        if (!is_variant(s, p[k].members))
            st = add_portfolio(s, p[k].members);
    }
    free(p);
    if (st != CS_OK)
        cs_conv_error(c, at, "out of memory");
    else if (1 + s->n_interventions + s->n_bundles > CS_MAX_VARIANTS)
        cs_conv_limit(c, at,
                      "the budget makes %zu portfolios, %zu variants in all; the limit is "
                      "%d (CS_MAX_VARIANTS): lower the budget or combine fewer "
                      "interventions",
                      s->n_bundles - n_files, 1 + s->n_interventions + s->n_bundles,
                      CS_MAX_VARIANTS);
}

static void read_budget(cs_conv *c, const cs_ynode *b, cs_scenario *s, bool parts_ok)
{
    s->decision.has_budget =
        cs_conv_num_in(c, b, "budget", 0, false, CS_MAX_COST, &s->decision.budget);
    if (!s->decision.has_budget)
        return;
    if (s->n_interventions == 0)
        cs_conv_error(c, b, "a budget chooses among interventions: this scenario has none");
    else if (parts_ok)
        make_portfolios(c, b, s);
}

void cs_load_decision(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    cs_decision_spec *d = &s->decision;
    d->measure = cs_conv_mem(c, cs_xstrdup("impunity_rate"));
    d->direction = -1;
    d->population_years = 1;
    const cs_ynode *m = cs_ynode_get(root, "decision"), *n;
    if (!m || cs_ynode_is_null(m) || !cs_conv_is_map(c, m, "`decision`")) {
        d->currency = cs_conv_mem(c, cs_xstrdup(""));
        return;
    }
    d->given = true;
    cs_conv_check_keys(c, m, "`decision`", DECISION_KEYS, N_OF(DECISION_KEYS));
    if ((n = cs_ynode_get(m, "outcome")))
        read_outcome(c, n, s);
    if ((n = cs_ynode_get(m, "willingness_to_pay")))
        read_wtp(c, n, d);
    if ((n = cs_ynode_get(m, "population_years")))
        cs_conv_num_in(c, n, "population_years", 0, true, MAX_HORIZON, &d->population_years);
    if ((n = cs_ynode_get(m, "currency")))
        cs_conv_short_text(c, n, "currency", MAX_CURRENCY_LEN, &d->currency);
    if (!d->currency)
        d->currency = cs_conv_mem(c, cs_xstrdup(""));
    /* Expected costs need every intervention and uncertain input read. */
    if ((n = cs_ynode_get(m, "budget")))
        read_budget(c, n, s, c->errors == 0);
}

int cs_copy_portfolios(const cs_scenario *base, cs_scenario *s)
{
    for (size_t i = 0; i < base->n_bundles; i++) {
        const cs_bundle *b = &base->bundles[i];
        if (!b->portfolio)
            continue;
        uint32_t mask = members_of(b);
        if (add_portfolio(s, mask) != CS_OK)
            return CS_ENOMEM;
    }
    return CS_OK;
}
