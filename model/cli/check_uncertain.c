/*
 * cli/check_uncertain.c — the part of `casesim check`'s summary about what
 * is not known and what is decided: each uncertain input with its
 * distribution (mean, 90% interval), truncation and source; the
 * correlations; how the draws are taken; and the decision (outcome,
 * willingness to pay, horizon, budget and its portfolios); the targets a
 * calibration would fit.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "casesim/scenario.h"
#include "cli/cli.h"

/* "beta, mean 0.4, sd 0.06, 90% between 0.31 and 0.5". */
static void print_dist(const cs_scenario *s, size_t e)
{
    const cs_unc_dist *d = cs_unc_set_dist(s->uncertain_set, e);
    const cs_uncertain *u = &s->uncertain[e];
    if (d->family == CS_UNC_DIRICHLET) {
        printf("    dirichlet over %zu numbers, counts", u->n_paths);
        for (size_t i = 0; i < d->k; i++)
            printf("%s %g", i ? "," : "", d->counts[i]);
        printf(" (mean shares");
        double sum = 0;
        for (size_t i = 0; i < d->k; i++)
            sum += d->counts[i];
        for (size_t i = 0; i < d->k; i++)
            printf("%s %.3g", i ? "," : "", d->counts[i] / sum);
        printf(")\n");
        return;
    }
    printf("    %s, mean %.4g, sd %.4g, 90%% between %.4g and %.4g", cs_unc_family_name(d->family),
           d->mean, sqrt(d->var), cs_unc_dist_quantile(d, 0.05), cs_unc_dist_quantile(d, 0.95));
    if (u->truncated)
        printf(", truncated to [%g, %g]", u->truncate[0], u->truncate[1]);
    printf("; the scenario's value %g%s%s\n", u->value[0], strcmp(u->units, "1") ? " " : "",
           strcmp(u->units, "1") ? u->units : "");
}

static void print_entries(const cs_scenario *s)
{
    printf("\nUncertain inputs (%zu, %zu values per draw; %s sampling, %llu replicate%s per "
           "draw):\n",
           s->n_uncertain, s->n_uncertain_values, s->sampling == CS_UNC_SOBOL ? "Sobol" : "random",
           (unsigned long long)s->replicates_per_draw, s->replicates_per_draw == 1 ? "" : "s");
    for (size_t e = 0; e < s->n_uncertain; e++) {
        const cs_uncertain *u = &s->uncertain[e];
        printf("  %zu. %s", e, u->name);
        if (u->n_paths == 1 && strcmp(u->name, u->paths[0]) != 0)
            printf(" (%s)", u->paths[0]);
        printf(": %s\n", u->range.what);
        for (size_t i = 0; u->n_paths > 1 && i < u->n_paths; i++)
            printf("    %s = %g\n", u->paths[i], u->value[i]);
        print_dist(s, e);
        if (u->source[0])
            printf("    source: %s\n", u->source);
        if (u->group[0])
            printf("    group: %s\n", u->group);
    }
    for (size_t k = 0; k < s->n_correlations; k++)
        printf("  correlation %g between %zu and %zu (Gaussian copula)\n", s->correlations[k].rho,
               s->correlations[k].a, s->correlations[k].b);
}

static void print_decision(const cs_scenario *s)
{
    const cs_decision_spec *d = &s->decision;
    char a[64], b[64], c[64];
    printf("\nDecision: improvement of %s for %s (%s is better), in percentage points\n",
           d->measure, d->group ? d->group : "the most affected group",
           d->direction < 0 ? "lower" : "higher");
    if (d->has_grid)
        printf("  willingness to pay from %s to %s in steps of %s per point a year%s%s\n",
               cs_cli_money(a, sizeof a, d->wtp_from, 0), cs_cli_money(b, sizeof b, d->wtp_to, 0),
               cs_cli_money(c, sizeof c, d->wtp_step, 0), d->currency[0] ? " in " : "",
               d->currency);
    else
        printf("  willingness-to-pay grid: automatic (from 0 to twice the largest ICER)\n");
    if (d->has_expert)
        printf("  the expert's willingness to pay: %s\n",
               cs_cli_money(a, sizeof a, d->wtp_expert, 0));
    printf("  policy horizon: %g year%s\n", d->population_years,
           d->population_years == 1 ? "" : "s");
    if (!d->has_budget)
        return;
    printf("  budget: %s a year; %zu combinations of interventions fit it\n",
           cs_cli_money(a, sizeof a, d->budget, 0), d->n_portfolios);
}

/* One line per target: name, kind, period and the observed figure. */
static void print_targets(const cs_scenario *s)
{
    static const char *const KIND[] = {"count", "share", "ratio", "cohort share", "mean duration"};
    size_t held = 0;
    for (size_t i = 0; i < s->n_targets; i++)
        held += s->targets[i].holdout;
    printf("\nTargets (%zu: %zu fitted, %zu held out)\n", s->n_targets, s->n_targets - held, held);
    double base = s->has_start_year ? s->start_year : 0.0;
    for (size_t i = 0; i < s->n_targets; i++) {
        const cs_target_spec *t = &s->targets[i];
        printf("  %s: %s", t->name, KIND[t->kind]);
        if (t->kind == CS_TARGET_COHORT_SHARE)
            printf(" within %zu year%s", t->within_years, t->within_years == 1 ? "" : "s");
        else if (t->has_period && t->n_years == 1)
            printf(" in %.0f", base + (double)t->first_year);
        else if (t->has_period)
            printf(" in %.0f-%.0f", base + (double)t->first_year,
                   base + (double)(t->first_year + t->n_years - 1));
        else
            printf(" of the cohort");
        if (t->like.family == CS_CALIB_BINOMIAL || t->like.family == CS_CALIB_BETABINOMIAL)
            printf(", observed %.15g of %.15g", t->like.observed, t->like.observed_n);
        else
            printf(", observed %.15g", t->like.observed);
        printf("%s\n", t->holdout ? " (held out)" : "");
    }
}

void cs_cli_check_uncertain(const cs_scenario *s)
{
    if (s->n_uncertain > 0)
        print_entries(s);
    if (s->decision.given)
        print_decision(s);
    if (s->n_targets > 0)
        print_targets(s);
}
