/*
 * cli/report_decision.c — the decision section of `casesim report`, the
 * part an expert reads first (see cli/report.h): what to do given what is
 * not known. At the expert's willingness to pay: the best option with the
 * probability that it is best; every option ranked by expected net benefit
 * (so that cost weighs as much as effect), with dominated options marked
 * and each bundle's gain over its best part; the cost-effectiveness
 * frontier; the expected value of perfect information over the policy's
 * horizon and the inputs most worth learning about; the budget portfolios;
 * and how much of the spread is simulation noise.
 */
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/measures.h"
#include "casesim/stats.h"
#include "cli/cli.h"
#include "cli/report.h"

/* Amounts of money with the file's currency. */
static void money(const cs_results_decision *d, char *buf, size_t n, double v)
{
    char m[64];
    cs_cli_money(m, sizeof m, v, 0);
    if (d->currency[0] && isfinite(v))
        snprintf(buf, n, "%s %s", m, d->currency);
    else
        snprintf(buf, n, "%s", m);
}

const char *cs_report_interval_scope(const cs_results *r)
{
    if (!strcmp(r->sampling, "random") || !strcmp(r->sampling, "sobol"))
        return "Each replicate drew the scenario's uncertain inputs, so every mean below is an "
               "average over what is not known about those inputs as well as over the "
               "simulation's randomness; its interval says how precisely the replicates pin "
               "that average down (it narrows as replicates are added), not how widely the "
               "truth may vary: that spread is in the decision section (probability best, "
               "value of information).";
    if (!strcmp(r->sampling, "saltelli") || !strcmp(r->sampling, "morris"))
        return "The replicates are the runs of a sensitivity study (section 1): each ran at a "
               "point of the study's design, so the means below pool the inputs' uncertainty "
               "over the design with the simulation's randomness.";
    return "Every interval reflects the simulation's own randomness only, not the uncertainty "
           "of the scenario's input figures (the scenario declares none, or the run used their "
           "stated values: --no-uncertainty).";
}

/* The label of the decision's measure ("impunity"). */
static const char *measure_words(const cs_results_decision *d)
{
    for (size_t i = 0; i < CS_M_FIXED_COUNT; i++)
        if (!strcmp(cs_measure_table[i].name, d->measure))
            return i == CS_M_IMPUNITY         ? "impunity"
                   : i == CS_M_ACCOUNTABILITY ? "accountability"
                   : i == CS_M_REDRESS        ? "redress"
                   : i == CS_M_PENDING        ? "the share of cases still open"
                                              : d->measure;
    return d->measure;
}

/* A group's label by its name. */
static const char *group_words(const report *rp, const char *name)
{
    for (size_t g = 0; g < rp->r->n_groups; g++)
        if (!strcmp(rp->r->groups[g].name, name))
            return rp->r->groups[g].label;
    return name;
}

/* What the decision weighs, at which willingness to pay, over what. */
static void decision_intro(const report *rp, const cs_results_decision *d)
{
    char w[96];
    money(d, w, sizeof w, d->expert_wtp);
    para(rp,
         "Each option's improvement in %s for %s (percentage points against the baseline; "
         "%s is better) is weighed against its annual cost at a willingness to pay of %s "
         "per percentage point a year (%s). Net benefit = willingness to pay x improvement "
         "- annual cost; the option with the highest expected net benefit is the best use "
         "of the money.",
         measure_words(d), group_words(rp, d->group), d->direction < 0 ? "lower" : "higher", w,
         !strcmp(d->expert_from, "given")
             ? "the scenario's decision.willingness_to_pay.expert"
             : "the middle of the willingness-to-pay grid: give your own as "
               "decision.willingness_to_pay.expert");
    if (!strcmp(d->uncertainty, "inputs and simulation"))
        para(rp,
             "It rests on %llu draws of the scenario's uncertain inputs (%llu replicate%s "
             "each), so the probabilities below cover what is not known about those "
             "inputs as well as the simulation's randomness.",
             (unsigned long long)d->draws, (unsigned long long)d->replicates_per_draw,
             d->replicates_per_draw == 1 ? "" : "s");
    else if (!strcmp(d->uncertainty, "posterior inputs and simulation"))
        para(rp,
             "It rests on %llu replicates whose uncertain inputs were drawn from the "
             "calibration's posterior (run --posterior), so the probabilities below cover what "
             "the calibration leaves unknown about those inputs as well as the simulation's "
             "randomness.",
             (unsigned long long)d->draws);
    else
        para(rp,
             "It rests on the simulation's randomness only (%llu replicates): the run "
             "drew no uncertain inputs, so the probabilities below say how sure the "
             "simulation is, not how sure anyone can be about the scenario's figures. "
             "Declare what is not known in `uncertain:` to weigh it.",
             (unsigned long long)d->draws);
    if (d->draws_dropped > 0)
        para(rp,
             "%llu draw%s were left out: incomplete in this file, or without a defined "
             "outcome in some replicate.",
             (unsigned long long)d->draws_dropped, d->draws_dropped == 1 ? "" : "s");
}

/* The headline: the best option and how sure that is. */
static void decision_best(const report *rp, const cs_results_decision *d)
{
    char w[96], p[16];
    money(d, w, sizeof w, d->expert_wtp);
    fmt_prob(p, sizeof p, d->expert_p_best);
    para(rp, "Best at %s per point: %s, with a probability of %s of being the best option.", w,
         d->expert_best, p);
    if (d->expert_p_best < 0.5)
        para(rp, "No option is best in most draws: the choice is close, and the value of "
                 "information below says whether better data would be worth its cost.");
}

/* The ranking's rows in rank order (ties: file order). */
static void rank_order(const cs_results_decision *d, size_t *idx)
{
    for (size_t i = 0; i < d->n_ranking; i++)
        idx[i] = i;
    for (size_t i = 1; i < d->n_ranking; i++)
        for (size_t j = i; j > 0 && d->ranking[idx[j]].rank < d->ranking[idx[j - 1]].rank; j--) {
            size_t t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
}

/* "+2,100,000 (98% of draws)": a bundle's gain over its best part. */
static void gain(const cs_results_decision *d, const cs_results_decision_rank_row *k, char *buf,
                 size_t n)
{
    if (!k->best_member[0]) {
        snprintf(buf, n, "-");
        return;
    }
    char m[96], p[16];
    money(d, m, sizeof m, k->increment);
    fmt_prob(p, sizeof p, k->p_increment_positive);
    snprintf(buf, n, "%s%s over %s (%s of draws)", k->increment >= 0 ? "+" : "", m, k->best_member,
             p);
}

static int ranking_row(table *t, const cs_results_decision *d,
                       const cs_results_decision_rank_row *k)
{
    char rank[16], eff[32], cost[96], nb[256], p[16], g[256];
    snprintf(rank, sizeof rank, "%d", (int)k->rank);
    snprintf(eff, sizeof eff, "%+.2f", k->effect);
    money(d, cost, sizeof cost, k->cost);
    char nbm[96], se[64];
    money(d, nbm, sizeof nbm, k->enb);
    cs_cli_money(se, sizeof se, k->enb_se, 0);
    snprintf(nb, sizeof nb, "%s (SE %s)", nbm, se);
    fmt_prob(p, sizeof p, k->p_best);
    gain(d, k, g, sizeof g);
    const char *cells[] = {rank, k->variant, eff, cost, nb, p, k->status, g};
    return table_row(t, cells);
}

/* Every option by expected net benefit at the expert's value. */
static int decision_ranking(const report *rp, const cs_results_decision *d)
{
    size_t *idx = calloc(d->n_ranking ? d->n_ranking : 1, sizeof *idx);
    if (!idx)
        return -1;
    rank_order(d, idx);
    table t;
    table_init(&t, 8);
    const char *head[] = {"Rank",
                          "Option",
                          "Improvement (points)",
                          "Annual cost",
                          "Net benefit a year",
                          "Probability best",
                          "Frontier",
                          "Bundle: gain over its best part"};
    int rc = table_row(&t, head);
    for (size_t i = 0; i < d->n_ranking && rc == 0; i++)
        rc = ranking_row(&t, d, &d->ranking[idx[i]]);
    if (rc == 0)
        table_print(&t, rp->f, rp->o);
    table_free(&t);
    free(idx);
    fputc('\n', rp->o);
    para(rp, "Frontier: dominated = another option costs no more and improves at least as "
             "much; extendedly dominated = a mix of a cheaper and a dearer option would "
             "buy the same improvement for less. A bundle's gain is its net benefit over "
             "that of its best single part, with the share of draws in which it does "
             "better: a bundle that contains the best intervention is not better unless "
             "its other parts pay for themselves.");
    return rc;
}

/* The index of variant `name` among the variants decided on, or -1. */
static long decided_index(const report *rp, const char *name)
{
    for (size_t v = 0; v < rp->r->n_variants; v++)
        if (!strcmp(rp->r->variants[v].name, name))
            return (long)v;
    return -1;
}

/* Whether the frontier's step from f->versus to f is told apart from no
 * step: the paired difference of the two options' improvements over the
 * draws (common random numbers within a draw) has an interval above 0.
 * Without the draws (older files) the step is taken as it is printed. A
 * cost per extra point between options that cannot be told apart would be
 * a ratio of noise (issue: never state a cost per point for an effect
 * whose interval includes 0). */
static bool step_distinguishable(const report *rp, const cs_results_decision *d,
                                 const cs_results_frontier_row *f, cs_paired *p)
{
    long a = decided_index(rp, f->versus), b = decided_index(rp, f->variant);
    size_t V = d->n_frontier;
    if (!d->draw_effect || a < 0 || b < 0 || (size_t)a >= V || (size_t)b >= V)
        return true;
    cs_error err = {0};
    if (cs_stats_paired(d->draw_effect + a, V, d->draw_effect + b, V, (size_t)d->draws,
                        rp->r->confidence_level, p, &err) != CS_OK)
        return true;
    return p->diff.ci_low > 0;
}

/* The "cost per extra point" cell of efficient option f: its ICER when its
 * step is told apart from none, else the step's interval. Returns 1 when
 * the step could not be told apart. */
static int icer_cell(const report *rp, const cs_results_decision *d,
                     const cs_results_frontier_row *f, char *buf, size_t n)
{
    cs_paired p;
    if (isnan(f->icer) || !f->versus[0]) {
        snprintf(buf, n, "-");
        return 0;
    }
    if (step_distinguishable(rp, d, f, &p)) {
        money(d, buf, n, f->icer);
        return 0;
    }
    snprintf(buf, n, "not clear: %+.2f (%+.2f to %+.2f)", p.diff.mean, p.diff.ci_low,
             p.diff.ci_high);
    return 1;
}

/* The cost-effectiveness frontier on the mean improvements and costs. */
static int decision_frontier(const report *rp, const cs_results_decision *d)
{
    table t;
    table_init(&t, 5);
    const char *head[] = {"Efficient option (cheapest first)", "Improvement (points)",
                          "Annual cost", "Cost per extra point", "Compared with"};
    int rc = table_row(&t, head), unclear = 0;
    for (int rank = 0; rank < (int)d->n_frontier && rc == 0; rank++)
        for (size_t i = 0; i < d->n_frontier && rc == 0; i++) {
            const cs_results_frontier_row *f = &d->frontier[i];
            if (f->rank_by_cost != rank || strcmp(f->status, "efficient") != 0)
                continue;
            char eff[32], cost[96], icer[128];
            snprintf(eff, sizeof eff, "%+.2f", f->effect);
            money(d, cost, sizeof cost, f->cost);
            unclear += icer_cell(rp, d, f, icer, sizeof icer);
            const char *cells[] = {f->variant, eff, cost, icer, f->versus[0] ? f->versus : "-"};
            rc = table_row(&t, cells);
        }
    if (rc == 0)
        table_print(&t, rp->f, rp->o);
    table_free(&t);
    fputc('\n', rp->o);
    para(rp, "On the mean improvements and costs: each efficient option buys more than the "
             "one before it, and is worth its extra cost where the willingness to pay per "
             "point exceeds its cost per extra point.");
    if (unclear)
        para(rp,
             "Not clear: the option's extra improvement over the one before it is not told apart "
             "from zero (its %s interval over the draws includes 0), no cost per extra "
             "point is given: it would divide the cost by noise.",
             rp->level);
    return rc;
}

/* The input sets with a positive EVPPI at the expert's value, largest
 * first; of kind input or group. Returns their number. */
static size_t top_sets(const cs_results_decision *d, size_t *idx)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n_evppi_sets; i++)
        if (strcmp(d->evppi_sets[i].kind, "all") != 0 && d->evppi_sets[i].evppi_expert > 0)
            idx[n++] = i;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i;
             j > 0 && d->evppi_sets[idx[j]].evppi_expert > d->evppi_sets[idx[j - 1]].evppi_expert;
             j--) {
            size_t t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    return n;
}

/* "Better data on X is worth up to Y a year" for the three largest. */
static void evppi_lines(const report *rp, const cs_results_decision *d, const size_t *idx, size_t n)
{
    for (size_t i = 0; i < n && i < 3; i++) {
        const cs_results_evppi_set_row *s = &d->evppi_sets[idx[i]];
        char y[96], se[64], h[96];
        money(d, y, sizeof y, s->evppi_expert);
        cs_cli_money(se, sizeof se, s->evppi_expert_se, 0);
        money(d, h, sizeof h, s->evppi_expert_horizon);
        para(rp,
             "%zu. Better data on %s%s is worth up to %s a year (SE %s), %s over %g "
             "year%s.",
             i + 1, !strcmp(s->kind, "group") ? "the group " : "", s->name, y, se, h,
             d->population_years, d->population_years == 1 ? "" : "s");
    }
}

/* Whether an EVPPI check failed by more than sampling error. */
static bool misfit(const cs_results_decision *d)
{
    for (size_t i = 0; i < d->n_evppi_checks; i++)
        if (d->evppi_checks[i].z > 3)
            return true;
    return false;
}

/* EVPI over the horizon and the inputs most worth learning about. */
static int decision_value(const report *rp, const cs_results_decision *d)
{
    char y[96], se[64], h[96];
    money(d, y, sizeof y, d->expert_evpi);
    cs_cli_money(se, sizeof se, d->expert_evpi_se, 0);
    money(d, h, sizeof h, d->expert_evpi_horizon);
    para(rp,
         "Expected value of perfect information: %s a year (SE %s), %s over the policy's "
         "horizon of %g year%s. It is the most that removing every uncertainty %s could be "
         "worth to this decision; research or data costing more cannot pay for itself.",
         y, se, h, d->population_years, d->population_years == 1 ? "" : "s",
         !strcmp(d->uncertainty, "inputs and simulation")
             ? "about the inputs (and the simulation's noise, which the partial values "
               "below remove)"
         : !strcmp(d->uncertainty, "posterior inputs and simulation")
             ? "about the inputs that the calibration left (and the simulation's noise)"
             : "(here only the simulation's noise: more replicates remove it)");
    size_t *idx = calloc(d->n_evppi_sets + 1, sizeof *idx);
    if (!idx)
        return -1;
    size_t n = top_sets(d, idx);
    if (n > 0) {
        para(rp, "The inputs whose better knowledge is worth most (expected value of "
                 "partial perfect information, by regression on the draws):");
        evppi_lines(rp, d, idx, n);
    } else if (d->n_evppi_sets > 0) {
        para(rp, "No single input's better knowledge would change the decision in these "
                 "draws (every partial value of information is 0).");
    }
    if (misfit(d))
        para(rp, "Caution: some values of partial information exceed the value of "
                 "perfect information by more than three standard errors "
                 "(/decision/evppi_checks): a regression misfits; more draws help.");
    free(idx);
    return 0;
}

/* The budget portfolios, best first (at most ten). */
static int decision_portfolios(const report *rp, const cs_results_decision *d)
{
    if (d->n_portfolios == 0)
        return 0;
    char b[96];
    money(d, b, sizeof b, d->budget);
    heading(rp, 3, "Portfolios within the budget of %s a year", b);
    table t;
    table_init(&t, 6);
    const char *head[] = {
        "Rank",        "Portfolio",        "Expected annual cost",
        "Net benefit", "Probability best", "Chance it costs more than the budget"};
    int rc = table_row(&t, head);
    for (int rank = 1; rank <= (int)d->n_portfolios && rc == 0 && t.nrow <= 10; rank++)
        for (size_t i = 0; i < d->n_portfolios && rc == 0 && t.nrow <= 10; i++) {
            const cs_results_portfolio_row *p = &d->portfolios[i];
            if (p->rank != rank)
                continue;
            char r[16], cost[96], nb[96], pb[16], over[16];
            snprintf(r, sizeof r, "%d", rank);
            money(d, cost, sizeof cost, p->expected_cost);
            money(d, nb, sizeof nb, p->enb);
            fmt_prob(pb, sizeof pb, p->p_best);
            fmt_prob(over, sizeof over, p->p_over_budget);
            const char *cells[] = {
                r, p->members[0] ? p->members : "(none: the baseline)", cost, nb, pb, over};
            rc = table_row(&t, cells);
        }
    if (rc == 0)
        table_print(&t, rp->f, rp->o);
    table_free(&t);
    fputc('\n', rp->o);
    para(rp, "Every combination of interventions whose expected cost fits the budget was "
             "simulated as a bundle on the same incidents; the probability is of being "
             "best among these portfolios at the willingness to pay above.");
    return rc;
}

/* How much of each option's spread is simulation noise (k >= 2). */
static int decision_split(const report *rp, const cs_results_decision *d)
{
    if (d->n_split == 0)
        return 0;
    table t;
    table_init(&t, 4);
    const char *head[] = {"Option", "Improvement sd from the inputs (points)",
                          "Simulation noise sd (points)", "Noise share of one replicate"};
    int rc = table_row(&t, head);
    for (size_t i = 0; i < d->n_split && rc == 0; i++) {
        const cs_results_variance_row *s = &d->split[i];
        char a[32], b[32], c[16];
        snprintf(a, sizeof a, "%.2f", sqrt(s->parameter));
        snprintf(b, sizeof b, "%.2f", sqrt(s->within));
        fmt_prob(c, sizeof c, s->noise_share);
        const char *cells[] = {s->variant, a, b, c};
        rc = table_row(&t, cells);
    }
    if (rc == 0)
        table_print(&t, rp->f, rp->o);
    table_free(&t);
    fputc('\n', rp->o);
    para(rp, "Where the noise share is large, more incidents per run (or more replicates "
             "per draw) sharpen the answer more than better data would.");
    return rc;
}

int cs_report_decision(const report *rp)
{
    const cs_results_decision *d = rp->r->decision;
    if (!d)
        return 0;
    heading(rp, 2, "1. Decision: the best use of the money, given what is not known");
    decision_intro(rp, d);
    if (d->error[0])
        para(rp, "Part of the decision analysis could not be computed: %s.", d->error);
    if (d->n_ranking == 0)
        return 0;
    decision_best(rp, d);
    if (decision_ranking(rp, d) || decision_frontier(rp, d) || decision_value(rp, d) ||
        decision_portfolios(rp, d) || decision_split(rp, d))
        return -1;
    return 0;
}

int cs_report_decision_csv(const report *rp)
{
    const cs_results_decision *d = rp->r->decision;
    if (!d)
        return 0;
    FILE *o = rp->o;
    char u[96];
    snprintf(u, sizeof u, "%s per year", d->currency[0] ? d->currency : "currency");
    double z = gsl_cdf_ugaussian_Pinv(0.5 + rp->r->confidence_level / 2);
    long long n = (long long)d->draws;
    for (size_t i = 0; i < d->n_ranking; i++) {
        const cs_results_decision_rank_row *k = &d->ranking[i];
        cs_rep_csv_row(o, "decision_net_benefit", k->variant, d->group, d->measure, u, k->enb,
                       k->enb - z * k->enb_se, k->enb + z * k->enb_se, n, k->rank, k->p_best);
        if (k->best_member[0])
            cs_rep_csv_row(o, "decision_bundle_gain", k->variant, d->group, k->best_member, u,
                           k->increment, k->increment - z * k->increment_se,
                           k->increment + z * k->increment_se, n, 0, k->p_increment_positive);
    }
    for (size_t i = 0; i < d->n_frontier; i++)
        cs_rep_csv_row(o, "decision_frontier_icer", d->frontier[i].variant, d->group,
                       d->frontier[i].status, "currency per percentage point per year",
                       d->frontier[i].icer, NAN, NAN, n, 0, NAN);
    cs_rep_csv_row(o, "decision_evpi", "", d->group, d->measure, u, d->expert_evpi,
                   d->expert_evpi - z * d->expert_evpi_se, d->expert_evpi + z * d->expert_evpi_se,
                   n, 0, NAN);
    for (size_t i = 0; i < d->n_evppi_sets; i++) {
        const cs_results_evppi_set_row *s = &d->evppi_sets[i];
        cs_rep_csv_row(o, "decision_evppi", "", d->group, s->name, u, s->evppi_expert,
                       s->evppi_expert - z * s->evppi_expert_se,
                       s->evppi_expert + z * s->evppi_expert_se, n, 0, NAN);
    }
    for (size_t i = 0; i < d->n_portfolios; i++)
        cs_rep_csv_row(o, "decision_portfolio", d->portfolios[i].variant, d->group, d->measure, u,
                       d->portfolios[i].enb, NAN, NAN, n, d->portfolios[i].rank,
                       d->portfolios[i].p_best);
    return 0;
}
