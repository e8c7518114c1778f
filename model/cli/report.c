/*
 * cli/report.c — `casesim report RESULTS.h5 [--format text|csv|markdown]
 * [--kind NAME]`: the tables an expert reads first. For each variant the
 * headline measures by victim group with 95% confidence intervals
 * (accountability by category and wrongful sanctions among them); each
 * intervention's and bundle's change against the baseline (paired over the
 * same simulated incidents) with the cost per percentage point of impunity
 * removed, given only where the fall is distinguishable from zero; the
 * ranking with its certainty; and a section per violation kind the scenario
 * marks `headline: true`. With --kind, the whole report is that of one
 * violation kind. Text and Markdown are for people; CSV is one long table
 * for spreadsheets. The text helpers are in cli/report_text.c.
 */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/measures.h"
#include "casesim/calibration_file.h"
#include "casesim/results.h"
#include "casesim/stats.h"
#include "cli/cli.h"
#include "cli/report.h"

/* ------------------------------------------------------------ the tables */

const cs_results_summary_row *report_summary(const report *rp, const char *variant,
                                             const char *group, const char *measure)
{
    return rp->kind ? cs_results_find_summary_kind(rp->r, rp->kind, variant, group, measure)
                    : cs_results_find_summary(rp->r, variant, group, measure);
}

const cs_results_comparison_row *report_comparison(const report *rp, const char *variant,
                                                   const char *group, const char *measure)
{
    return rp->kind ? cs_results_find_comparison_kind(rp->r, rp->kind, variant, group, measure)
                    : cs_results_find_comparison(rp->r, variant, group, measure);
}

const cs_results_ranking_row *report_ranking(const report *rp, const char *variant)
{
    if (rp->kind)
        return cs_results_find_ranking_kind(rp->r, rp->kind, variant);
    for (size_t i = 0; i < rp->r->n_ranking; i++)
        if (!strcmp(rp->r->ranking[i].variant, variant))
            return &rp->r->ranking[i];
    return NULL;
}

const char *group_label(const report *rp, size_t g)
{
    return g < rp->r->n_groups ? rp->r->groups[g].label : "All victims";
}

const char *group_key(const report *rp, size_t g)
{
    return g < rp->r->n_groups ? rp->r->groups[g].name : "all";
}

/* The index of violation kind name in the file, or n_violations. */
static size_t kind_index(const cs_results *r, const char *name)
{
    size_t k = 0;
    while (k < r->n_violations && strcmp(r->violations[k], name) != 0)
        k++;
    return k;
}

/* The most affected group of the report's tables (0 if there is one group). */
static size_t most_affected(const report *rp)
{
    const cs_results *r = rp->r;
    const char *name = r->most_affected_group;
    if (rp->kind)
        name = r->most_affected_by_kind[kind_index(r, rp->kind)];
    for (size_t g = 0; g < r->n_groups; g++)
        if (!strcmp(r->groups[g].name, name))
            return g;
    return 0;
}

/* -------------------------------------------------------- headline tables */

/* The cell of headline row h for group g (n_groups: all groups) of variant
 * v: its summary (mean and interval) or, with change, its comparison with
 * the baseline. The disparity ratio has no value of its own for the
 * reference group and for all groups together. */
static void headline_cell(const report *rp, const cs_results_variant *v, const cs_headline_row *h,
                          size_t g, bool change, char *cell, size_t n)
{
    const char *mname = rp->r->measures[h->measure].name;
    bool ratio = !strcmp(mname, cs_measure_table[CS_M_ACCOUNTABILITY_RATIO].name);
    if (ratio && (g == rp->r->n_groups || (g == 0 && change))) {
        snprintf(cell, n, "-");
    } else if (ratio && g == 0) {
        snprintf(cell, n, "1 (reference)");
    } else if (change) {
        const cs_results_comparison_row *c =
            report_comparison(rp, v->name, group_key(rp, g), mname);
        if (c)
            fmt_ci(cell, n, c->diff_mean, c->diff_ci_low, c->diff_ci_high, h->display, true);
        else
            snprintf(cell, n, "missing");
    } else {
        const cs_results_summary_row *s = report_summary(rp, v->name, group_key(rp, g), mname);
        if (s)
            fmt_ci(cell, n, s->mean, s->ci_low, s->ci_high, h->display, false);
        else
            snprintf(cell, n, "missing");
    }
}

/* The headline measures of variant v by group: their means with intervals,
 * or (change) their paired differences from the baseline. */
static int print_headlines(const report *rp, const cs_results_variant *v, bool change)
{
    size_t G1 = rp->r->n_groups + 1;
    table t;
    table_init(&t, G1 + 1);
    const char **row = calloc(G1 + 1, sizeof *row);
    char(*cells)[128] = calloc(G1 + 1, sizeof *cells);
    char head[64], label[200];
    snprintf(head, sizeof head, "%s [%s CI]", change ? "Change" : "Mean", rp->level);
    int rc = row && cells ? 0 : -1;
    for (size_t g = 0; rc == 0 && g <= G1; g++)
        row[g] = g == 0 ? head : group_label(rp, g - 1);
    if (rc == 0)
        rc = table_row(&t, row);
    for (size_t h = 0; rc == 0 && h < rp->n_heads; h++) {
        const cs_headline_row *hl = &rp->heads[h];
        snprintf(label, sizeof label, "%s%s", hl->label,
                 change && hl->display == CS_SHOW_PERCENT ? " (points)" : "");
        row[0] = label;
        for (size_t g = 0; g < G1; g++) {
            headline_cell(rp, v, hl, g, change, cells[g + 1], sizeof cells[g + 1]);
            row[g + 1] = cells[g + 1];
        }
        rc = table_row(&t, row);
    }
    if (rc == 0)
        table_print(&t, rp->f, rp->o);
    table_free(&t);
    free(row);
    free(cells);
    return rc;
}

/* ------------------------------------------------------- change and cost */

/* The sentence on impunity and its cost: a cost per point only when the
 * fall is distinguishable from zero (its interval excludes 0). */
static void cost_sentence(const report *rp, const cs_results_variant *v,
                          const cs_results_ranking_row *k, char *buf, size_t n)
{
    const char *who = group_label(rp, rp->mag);
    char cost[192], x[32], lo[32], hi[32], cpp[64], clo[64], chi[64];
    fmt_money(rp, cost, sizeof cost, v->annual_cost);
    if (k->annual_cost != v->annual_cost) {
        /* Paid from `starts` on: the cost per point uses the mean over the window. */
        char in_force[64];
        size_t len = strlen(cost);
        snprintf(cost + len, sizeof cost - len,
                 " once in force (%s a year on average over the measured years)",
                 fmt_money(rp, in_force, sizeof in_force, k->annual_cost));
    }
    double R = k->reduction_points / 100, Rl = k->reduction_ci_low / 100;
    double Rh = k->reduction_ci_high / 100;
    fmt_range(x, lo, hi, sizeof x, fabs(R), Rl, Rh, CS_SHOW_PERCENT);
    if (isnan(R) || isnan(Rl)) {
        snprintf(buf, n, "Annual cost: %s. The change in impunity of %s is not defined.", cost,
                 who);
    } else if (Rl > 0 && v->annual_cost == 0) {
        snprintf(buf, n,
                 "No annual cost is given for it. Impunity of %s falls by %s percentage points "
                 "(%s CI %s to %s).",
                 who, x, rp->level, lo, hi);
    } else if (Rl > 0) {
        snprintf(buf, n,
                 "Annual cost: %s. Impunity of %s falls by %s percentage points (%s CI %s to "
                 "%s), so each percentage point of impunity removed costs %s a year (%s CI %s to "
                 "%s).",
                 cost, who, x, rp->level, lo, hi, fmt_money(rp, cpp, sizeof cpp, k->cost_per_point),
                 rp->level, fmt_money(rp, clo, sizeof clo, k->cost_per_point_low),
                 fmt_money(rp, chi, sizeof chi, k->cost_per_point_high));
    } else if (Rh < 0) {
        fmt_range(x, lo, hi, sizeof x, -R, -Rh, -Rl, CS_SHOW_PERCENT);
        snprintf(buf, n,
                 "Annual cost: %s. Impunity of %s rises by %s percentage points (%s CI %s to %s), "
                 "so no cost per point removed is given.",
                 cost, who, x, rp->level, lo, hi);
    } else if (R == 0 && Rl == 0 && Rh == 0) {
        snprintf(buf, n,
                 "Annual cost: %s. Impunity of %s is the same as at baseline in every replicate, "
                 "so no cost per point is given.",
                 cost, who);
    } else { /* the change in impunity is -R, from -Rh to -Rl */
        fmt_range(x, lo, hi, sizeof x, -R, -Rh, -Rl, CS_SHOW_PERCENT);
        snprintf(buf, n,
                 "Annual cost: %s. The change in impunity of %s (%s%s percentage points, %s CI %s "
                 "to %s) is not distinguishable from zero: the interval includes 0, so no cost per "
                 "point is given.",
                 cost, who, -R > 0 ? "+" : "", x, rp->level, lo, hi);
    }
}

/* The sentence on wrongful sanctions of the most affected group, when the
 * variant changes them beyond the simulation's noise ("" otherwise). */
static void wrongful_sentence(const report *rp, const cs_results_variant *v, char *buf, size_t n)
{
    buf[0] = '\0';
    const cs_results_comparison_row *c = report_comparison(
        rp, v->name, group_key(rp, rp->mag), cs_measure_table[CS_M_WRONGFUL_SANCTION].name);
    if (!c || isnan(c->diff_ci_low) || (c->diff_ci_low <= 0 && c->diff_ci_high >= 0))
        return;
    char x[32], lo[32], hi[32];
    fmt_range(x, lo, hi, sizeof x, fabs(c->diff_mean),
              c->diff_mean > 0 ? c->diff_ci_low : -c->diff_ci_high,
              c->diff_mean > 0 ? c->diff_ci_high : -c->diff_ci_low, CS_SHOW_PERCENT);
    snprintf(buf, n,
             " It also %s wrongful sanctions of %s (unfounded allegations that end in a sanction) "
             "by %s percentage points (%s CI %s to %s)%s.",
             c->diff_mean > 0 ? "raises" : "lowers", group_label(rp, rp->mag), x, rp->level, lo, hi,
             c->diff_mean > 0 ? ": weigh this against the gain" : "");
}

static void print_cost_line(const report *rp, const cs_results_variant *v)
{
    const cs_results_ranking_row *k = report_ranking(rp, v->name);
    char a[1024], b[512], cost[64];
    if (!k) {
        para(rp, "Annual cost: %s.", fmt_money(rp, cost, sizeof cost, v->annual_cost));
        return;
    }
    cost_sentence(rp, v, k, a, sizeof a);
    wrongful_sentence(rp, v, b, sizeof b);
    para(rp, "%s%s", a, b);
}

/* ---------------------------------------------------------------- ranking */

/* The rank cell of variant i on a criterion whose printed values are
 * shown[]: its rank, or "k=" when another variant prints the same value
 * (they then share the better rank k: the printed figures cannot order
 * them). *tied is set when that happens. */
/* Whether two printed figures "mean [low, high]" show the same mean. */
static bool same_mean(const char *a, const char *b)
{
    size_t la = strcspn(a, " "), lb = strcspn(b, " ");
    return la == lb && strncmp(a, b, la) == 0;
}

static void rank_cell(char *buf, size_t n, size_t i, const int32_t *ranks, char (*shown)[128],
                      size_t count, bool *tied)
{
    if (ranks[i] == 0) {
        snprintf(buf, n, "-");
        return;
    }
    int32_t best = ranks[i];
    bool same = false;
    for (size_t j = 0; j < count; j++)
        if (j != i && ranks[j] > 0 && same_mean(shown[j], shown[i])) {
            same = true;
            best = ranks[j] < best ? ranks[j] : best;
        }
    snprintf(buf, n, same ? "%d=" : "%d", (int)best);
    *tied |= same;
}

/* The ranking rows of the report's tables, in variant order (NULL where
 * absent), and their count. */
static size_t ranking_rows(const report *rp, const cs_results_ranking_row **rows)
{
    for (size_t v = 0; v < rp->r->n_variants; v++)
        rows[v] = report_ranking(rp, rp->r->variants[v].name);
    return rp->r->n_variants;
}

/* The printed criteria of every variant, and their ranks. */
typedef struct rank_view {
    size_t n;
    const cs_results_ranking_row **rows;
    int32_t *imp_rank, *ratio_rank;
    char (*imp)[128], (*ratio)[128];
} rank_view;

static int rank_view_fill(const report *rp, rank_view *rv)
{
    size_t V = rp->r->n_variants;
    rv->rows = calloc(V, sizeof *rv->rows);
    rv->imp_rank = calloc(V, sizeof *rv->imp_rank);
    rv->ratio_rank = calloc(V, sizeof *rv->ratio_rank);
    rv->imp = calloc(V, sizeof *rv->imp);
    rv->ratio = calloc(V, sizeof *rv->ratio);
    if (!rv->rows || !rv->imp_rank || !rv->ratio_rank || !rv->imp || !rv->ratio)
        return -1;
    rv->n = ranking_rows(rp, rv->rows);
    for (size_t i = 0; i < rv->n; i++) {
        const cs_results_ranking_row *k = rv->rows[i];
        if (!k)
            continue;
        rv->imp_rank[i] = k->impunity_rank;
        rv->ratio_rank[i] = k->ratio_rank;
        fmt_ci(rv->imp[i], sizeof rv->imp[i], k->impunity_mean, k->impunity_ci_low,
               k->impunity_ci_high, CS_SHOW_PERCENT, false);
        fmt_ci(rv->ratio[i], sizeof rv->ratio[i], k->ratio_mean, k->ratio_ci_low, k->ratio_ci_high,
               CS_SHOW_RATIO, false);
    }
    return 0;
}

static void rank_view_free(rank_view *rv)
{
    free(rv->rows);
    free(rv->imp_rank);
    free(rv->ratio_rank);
    free(rv->imp);
    free(rv->ratio);
}

static int print_ranking(const report *rp)
{
    table t;
    table_init(&t, 8);
    char imp_head[64], ratio_head[64];
    snprintf(imp_head, sizeof imp_head, "Impunity [%s CI]", rp->level);
    snprintf(ratio_head, sizeof ratio_head, "Disparity ratio [%s CI]", rp->level);
    const char *head[8] = {"Variant",          "Annual cost", imp_head, "Rank",
                           "Probability best", ratio_head,    "Rank",   "Probability best"};
    rank_view rv = {0};
    bool tied = false;
    int rc = rank_view_fill(rp, &rv);
    if (rc == 0)
        rc = table_row(&t, head);
    for (size_t i = 0; rc == 0 && i < rv.n; i++) {
        const cs_results_ranking_row *k = rv.rows[i];
        if (!k)
            continue;
        char cost[64], ir[16], ip[16], rr[16], rpb[16];
        fmt_money(rp, cost, sizeof cost, k->annual_cost);
        rank_cell(ir, sizeof ir, i, rv.imp_rank, rv.imp, rv.n, &tied);
        fmt_prob(ip, sizeof ip, k->impunity_p_best);
        rank_cell(rr, sizeof rr, i, rv.ratio_rank, rv.ratio, rv.n, &tied);
        fmt_prob(rpb, sizeof rpb, k->ratio_p_best);
        const char *cells[8] = {k->variant, cost, rv.imp[i], ir, ip, rv.ratio[i], rr, rpb};
        rc = table_row(&t, cells);
    }
    if (rc == 0)
        table_print(&t, rp->f, rp->o);
    if (rc == 0 && tied)
        para(rp, "%s",
             "\nA rank with \"=\" (such as \"2=\"): these variants print the same figure, so "
             "they share the rank; the order between them is not meaningful (see their "
             "probabilities of being best).");
    table_free(&t);
    rank_view_free(&rv);
    return rc;
}

/* ---------------------------------------------------------------- sections */

/* "name (intervention)" as a heading, and the variant's description and
 * what it bundles as a paragraph: a heading stays short. */
static void variant_heading(const report *rp, const cs_results_variant *v)
{
    char applied[512] = "";
    if (!strcmp(v->kind, "bundle")) {
        size_t o = (size_t)snprintf(applied, sizeof applied, "A bundle of");
        for (size_t i = 0; i < v->n_interventions && o < sizeof applied; i++)
            o += (size_t)snprintf(applied + o, sizeof applied - o, "%s %s", i ? "," : "",
                                  v->interventions[i]);
        if (o < sizeof applied)
            snprintf(applied + o, sizeof applied - o, ".");
    }
    heading(rp, 3, "%s (%s)", v->name, v->kind);
    if (v->description[0] || applied[0])
        para(rp, "%s%s%s", v->description, v->description[0] && applied[0] ? " " : "", applied);
}

/* Whether the decision section comes first (a file with a decision, and a
 * report of all kinds: the decision is on all kinds together). */
static int decision_first(const report *rp)
{
    return rp->r->decision != NULL && rp->kind == NULL;
}

/* The sections before the headline measures: the decision and the
 * sensitivity analysis, in a report of all kinds. */
static int before(const report *rp)
{
    return rp->kind ? 0 : rp->before;
}

/* The title, the file's provenance and how to read the figures. */
static void report_intro(const report *rp)
{
    const cs_results *r = rp->r;
    if (rp->kind)
        heading(rp, 1, "casesim report: %s, violation kind `%s`", r->scenario_name, rp->kind);
    else
        heading(rp, 1, "casesim report: %s", r->scenario_name);
    para(rp, "%s", r->scenario_description);
    para(rp,
         "File %s: %llu replicates (seed %llu), status %s, written %s by casesim %s. Command: %s",
         r->path, (unsigned long long)r->replicates, (unsigned long long)r->seed, r->status,
         r->created, r->casesim_version, r->command_line);
    if (strcmp(r->status, "complete") != 0)
        para(rp,
             "WARNING: this run was interrupted. The figures below use only the %llu "
             "replicates that finished.",
             (unsigned long long)r->replicates);
    if (rp->kind)
        para(rp,
             "Every figure below is for incidents of the violation kind `%s` only: its rates "
             "are shares of that kind's well-founded incidents, its ranking is on its own most "
             "affected group.",
             rp->kind);
    para(rp,
         "How to read this: every figure in the tables is the mean over the simulated "
         "replicates, followed by its %s confidence interval in brackets [low, high]. %s "
         "Intervals of rates stay between 0%% and 100%% (a Wilson score interval; "
         "analysis/README.md). Rates are shares of well-founded incidents (violations that "
         "really happened and were unlawful) among the incidents that arrived in the "
         "measurement window. n/a means not defined (for example, no well-founded incidents in "
         "a group).",
         rp->level, cs_report_interval_scope(rp->r));
    para(rp,
         "Measures: Impunity = share of well-founded incidents without any accountability "
         "outcome (criminal conviction, disciplinary sanction or another outcome the scenario "
         "counts as accountability) by the end of the simulation; cases still open then count "
         "as without accountability, so read impunity together with the share of cases still "
         "open. Accountability = 100%% minus impunity; 'Accountability: <category>' = through "
         "an outcome of that category. Redress = share of well-founded incidents with a redress "
         "outcome (such as compensation). Wrongful sanctions = share of unfounded allegations "
         "that ended in an accountability outcome. Disparity ratio = the group's accountability "
         "rate divided by that of the reference group (%s), over the replicates the ratio of the "
         "two groups' mean rates (not a mean of each replicate's ratio, which small counts "
         "would bias); 1 means parity, below 1 means less accountability for the group. Median "
         "days to end of case = median time from the "
         "incident to the last outcome of its case, over cases that ended. Reported cases = "
         "cases that left the first stage for another (reported, referred or taken up); their "
         "days to the end of the case are given as mean, median and 90th percentile. Cases still "
         "open at the end = share of all incidents whose case had not ended when the simulation "
         "stopped.",
         group_label(rp, 0));
}

/* The variants compared with the baseline, the baseline included: all but
 * the decomposition's (which explain the baseline; they are not choices). */
static size_t n_compared(const cs_results *r)
{
    size_t n = 0;
    for (size_t v = 0; v < r->n_variants; v++)
        n += strcmp(r->variants[v].kind, "decomposition") != 0;
    return n;
}

/* Section 1: the headline measures of every variant. */
static int report_headlines(const report *rp)
{
    const cs_results *r = rp->r;
    heading(rp, 2, "%d. Headline measures by victim group", 1 + before(rp));
    for (size_t v = 0; v < r->n_variants; v++) {
        const cs_results_variant *cv = &r->variants[v];
        if (!strcmp(cv->kind, "decomposition"))
            continue; /* the section on where the disparity arises reads them */
        variant_heading(rp, cv);
        if (print_headlines(rp, cv, false))
            return -1;
        if (rp->f == FMT_TEXT)
            fputc('\n', rp->o);
    }
    for (size_t g = 0; g <= r->n_groups; g++) {
        const cs_results_summary_row *s = report_summary(rp, "baseline", group_key(rp, g),
                                                         cs_measure_table[CS_M_TIME_MEDIAN].name);
        if (s && s->mean == 0) {
            para(rp, "A median of 0 days: a case that is never reported ends on the day of the "
                     "incident, so when more than half of the incidents are never reported the "
                     "median time to the end of the case is 0. The rows on reported cases give "
                     "the time to the end of the case among the cases that were taken up.");
            break;
        }
    }
    return 0;
}

/* Section 2: each intervention's and bundle's change, and its cost. */
static int report_changes(const report *rp)
{
    const cs_results *r = rp->r;
    heading(rp, 2, "%d. Change against the baseline", 2 + before(rp));
    para(rp,
         "Each intervention and bundle met the same simulated incidents as the baseline (common "
         "random numbers), so the change is measured replicate by replicate: mean difference "
         "(variant minus baseline) with its %s confidence interval. For rates the difference "
         "is in percentage points: -5.0 means 5 points less. An interval that excludes 0 "
         "indicates a change larger than the simulation's noise; figures carry as many "
         "decimals as their interval needs.",
         rp->level);
    if (n_compared(r) < 2)
        para(rp, "This file holds only the baseline: there is nothing to compare.");
    for (size_t v = 1; v < r->n_variants; v++) {
        const cs_results_variant *cv = &r->variants[v];
        if (!strcmp(cv->kind, "decomposition"))
            continue;
        variant_heading(rp, cv);
        if (print_headlines(rp, cv, true))
            return -1;
        if (rp->f == FMT_TEXT)
            fputc('\n', rp->o);
        print_cost_line(rp, cv);
    }
    return 0;
}

/* Section 3: the ranking and how sure it is. */
static int report_ranking_section(const report *rp)
{
    const cs_results *r = rp->r;
    heading(rp, 2, "%d. Ranking on the outcomes alone", 3 + before(rp));
    if (decision_first(rp))
        para(rp, "This ranking ignores cost: section 1 weighs it.");
    if (r->n_groups < 2) {
        para(rp, "The scenario has a single victim group: the impunity ranking uses it, and "
                 "there is no disparity ratio to rank on.");
    } else {
        para(rp,
             "Variants are ranked on two criteria for %s, the group with the highest impunity at "
             "baseline: (a) impunity, lower is better; (b) the accountability disparity ratio "
             "(this group's accountability rate divided by that of %s), closer to 1 is better. "
             "Rank 1 is best on the means. 'Probability best' says how sure the ranking is: the "
             "share of %llu bootstrap resamples of the replicates (the same replicates for every "
             "variant) in which the variant came out best.",
             group_label(rp, rp->mag), group_label(rp, 0),
             (unsigned long long)r->bootstrap_resamples);
    }
    if (print_ranking(rp))
        return -1;
    fputc('\n', rp->o);
    para(rp,
         "Costs are per year, in %s. Scenario figures are the scenario author's; check them "
         "before relying on these results.",
         rp->currency[0] ? rp->currency + 1 : "the scenario's currency");
    return 0;
}

/* --------------------------------------------------- headline kinds */

/* Whether another variant (the baseline included) has the impunity rank
 * of variant v: ties share a rank, shown as "2=". */
static bool shares_rank(const report *rp, size_t v, int32_t rank)
{
    for (size_t w = 0; w < rp->r->n_variants; w++) {
        const cs_results_ranking_row *k = report_ranking(rp, rp->r->variants[w].name);
        if (w != v && k && k->impunity_rank == rank)
            return true;
    }
    return false;
}

/* The compact change table of one kind: impunity of its most affected
 * group and of all victims, wrongful sanctions, rank and probability. */
static int kind_changes(const report *rp)
{
    const cs_results *r = rp->r;
    char h1[192], h3[192];
    snprintf(h1, sizeof h1, "Impunity, %s (points)", group_label(rp, rp->mag));
    snprintf(h3, sizeof h3, "Wrongful sanctions, %s (points)", group_label(rp, rp->mag));
    const char *head[6] = {"Variant", h1,     "Impunity, all victims (points)",
                           h3,        "Rank", "Probability best"};
    const char *imp = cs_measure_table[CS_M_IMPUNITY].name;
    const char *wrong = cs_measure_table[CS_M_WRONGFUL_SANCTION].name;
    table t;
    table_init(&t, 6);
    int rc = table_row(&t, head);
    for (size_t v = 1; rc == 0 && v < r->n_variants; v++) {
        const char *name = r->variants[v].name;
        if (!strcmp(r->variants[v].kind, "decomposition"))
            continue; /* not compared: they explain the baseline */
        const cs_results_comparison_row *a =
            report_comparison(rp, name, group_key(rp, rp->mag), imp);
        const cs_results_comparison_row *b = report_comparison(rp, name, "all", imp);
        const cs_results_comparison_row *c =
            report_comparison(rp, name, group_key(rp, rp->mag), wrong);
        const cs_results_ranking_row *k = report_ranking(rp, name);
        char x[128] = "missing", y[128] = "missing", z[128] = "missing", rk[16] = "-", p[16];
        if (a)
            fmt_ci(x, sizeof x, a->diff_mean, a->diff_ci_low, a->diff_ci_high, CS_SHOW_PERCENT,
                   true);
        if (b)
            fmt_ci(y, sizeof y, b->diff_mean, b->diff_ci_low, b->diff_ci_high, CS_SHOW_PERCENT,
                   true);
        if (c)
            fmt_ci(z, sizeof z, c->diff_mean, c->diff_ci_low, c->diff_ci_high, CS_SHOW_PERCENT,
                   true);
        if (k && k->impunity_rank)
            snprintf(rk, sizeof rk, "%d%s", (int)k->impunity_rank,
                     shares_rank(rp, v, k->impunity_rank) ? "=" : "");
        fmt_prob(p, sizeof p, k ? k->impunity_p_best : NAN);
        const char *cells[6] = {name, x, y, z, rk, p};
        rc = table_row(&t, cells);
    }
    if (rc == 0)
        table_print(&t, rp->f, rp->o);
    table_free(&t);
    return rc;
}

/* One section per violation kind the scenario marks `headline: true`:
 * its baseline headlines, each variant's change, and its ranking. */
static int report_headline_kinds(const report *rp, int number)
{
    const cs_results *r = rp->r;
    for (size_t k = 0; k < r->n_violations; k++) {
        if (!r->headline_violations[k])
            continue;
        report kr = *rp;
        kr.kind = r->violations[k];
        kr.mag = most_affected(&kr);
        heading(rp, 2, "%d. Violation kind `%s`", number++, kr.kind);
        const cs_results_summary_row *n = report_summary(&kr, "baseline", "all", "incidents");
        const cs_results_summary_row *all =
            cs_results_find_summary(r, "baseline", "all", "incidents");
        if (n && all && all->mean > 0)
            para(rp,
                 "Incidents of this kind are %.3g%% of all incidents in the baseline. Its figures "
                 "below are its own, so that the other kinds do not dominate them; `casesim report "
                 "%s --kind %s` gives every table for it.",
                 100 * n->mean / all->mean, r->path, kr.kind);
        if (print_headlines(&kr, &r->variants[0], false))
            return -1;
        if (n_compared(r) > 1) {
            para(rp,
                 "\nChange against the baseline, for %s (of the groups other than the "
                 "reference, the one with the highest impunity for this kind at baseline) and "
                 "for all victims, with the rank on the impunity of %s:",
                 group_label(&kr, kr.mag), group_label(&kr, kr.mag));
            if (kind_changes(&kr))
                return -1;
        }
        if (rp->f == FMT_TEXT)
            fputc('\n', rp->o);
    }
    return 0;
}

static int report_human(const report *rp)
{
    report_intro(rp);
    if (!rp->kind && rp->sens && cs_report_sensitivity(rp, rp->sens))
        return -1;
    /* Where the disparity arises (all kinds together, two groups or more)
     * comes after the ranking, then how fast. */
    bool disparity = !rp->kind && rp->r->n_groups > 1;
    int years = 4 + before(rp) + disparity;
    if ((decision_first(rp) && cs_report_decision(rp)) || report_headlines(rp) ||
        report_changes(rp) || report_ranking_section(rp) ||
        (disparity && cs_report_disparity(rp, 4 + before(rp))) ||
        (!rp->kind && cs_report_years(rp, years)))
        return -1;
    if (!rp->kind && report_headline_kinds(rp, years + (rp->r->n_timing > 0)))
        return -1;
    return 0;
}

/* -------------------------------------------------------------------- CSV */

static void csv_str(FILE *o, const char *s)
{
    if (strpbrk(s, ",\"\n")) {
        fputc('"', o);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', o);
            fputc(*s, o);
        }
        fputc('"', o);
    } else {
        fputs(s, o);
    }
}

static void csv_num(FILE *o, double v)
{
    if (isnan(v))
        fputs("", o);
    else if (isinf(v))
        fputs(v > 0 ? "inf" : "-inf", o);
    else
        fprintf(o, "%.17g", v);
}

/* One CSV row; rank 0 and n < 0 are left empty. */
typedef struct csv_cells {
    const char *table, *variant, *group, *measure, *units;
    double value, lo, hi;
    long long n;
    int rank;
    double p_best;
} csv_cells;

/* One CSV row of c, with the arrival year of a row by year (NaN: none) and
 * the report's violation kind ("all": every kind). */
static void csv_row_at(const report *rp, const csv_cells *c, double year)
{
    FILE *o = rp->o;
    const char *text[] = {c->table, c->variant, c->group, c->measure, c->units};
    for (size_t i = 0; i < sizeof text / sizeof *text; i++) {
        csv_str(o, text[i]);
        fputc(',', o);
    }
    double nums[3] = {c->value, c->lo, c->hi};
    for (int i = 0; i < 3; i++) {
        csv_num(o, nums[i]);
        fputc(',', o);
    }
    if (c->n >= 0)
        fprintf(o, "%lld", c->n);
    fputc(',', o);
    if (c->rank)
        fprintf(o, "%d", c->rank);
    fputc(',', o);
    csv_num(o, c->p_best);
    fputc(',', o);
    csv_num(o, year);
    fputc(',', o);
    csv_str(o, rp->kind ? rp->kind : "all");
    fputc('\n', o);
}

static void csv_row(const report *rp, const csv_cells *c)
{
    csv_row_at(rp, c, NAN);
}

void cs_rep_csv_row(FILE *o, const char *table, const char *variant, const char *group,
                    const char *measure, const char *units, double value, double lo, double hi,
                    long long n, int rank, double p_best)
{
    cs_rep_csv_row_year(o, table, variant, group, measure, units, value, lo, hi, n, rank, p_best,
                        NAN);
}

void cs_rep_csv_row_year(FILE *o, const char *table, const char *variant, const char *group,
                         const char *measure, const char *units, double value, double lo, double hi,
                         long long n, int rank, double p_best, double year)
{
    report rp = {.o = o};
    csv_row_at(&rp,
               &(csv_cells){table, variant, group, measure, units, value, lo, hi, n, rank, p_best},
               year);
}

/* The CSV rows of the summary and comparison of the report's tables. */
static void csv_tables(const report *rp)
{
    const cs_results *r = rp->r;
    size_t ns = rp->kind ? r->n_summary_kind : r->n_summary;
    for (size_t i = 0; i < ns; i++) {
        const cs_results_summary_row *s = rp->kind ? &r->summary_kind[i].row : &r->summary[i];
        if (rp->kind && strcmp(r->summary_kind[i].violation, rp->kind))
            continue;
        csv_row(rp, &(csv_cells){"summary", s->variant, s->group, s->measure, s->units, s->mean,
                                 s->ci_low, s->ci_high, (long long)s->n, 0, NAN});
    }
    size_t nc = rp->kind ? r->n_comparison_kind : r->n_comparison;
    for (size_t i = 0; i < nc; i++) {
        const cs_results_comparison_row *c =
            rp->kind ? &r->comparison_kind[i].row : &r->comparison[i];
        if (rp->kind && strcmp(r->comparison_kind[i].violation, rp->kind))
            continue;
        csv_row(rp, &(csv_cells){"difference_vs_baseline", c->variant, c->group, c->measure,
                                 c->units, c->diff_mean, c->diff_ci_low, c->diff_ci_high,
                                 (long long)c->n, c->rank, c->p_best});
    }
}

/* CSV: one long table; every value in the file's units (shares, not
 * percentages), so that spreadsheets compute with full precision. The last
 * column says which violation kinds the row is of ("all", or the kind of
 * --kind). */
static int report_csv(const report *rp)
{
    const cs_results *r = rp->r;
    fputs("table,variant,group,measure,units,value,ci_low,ci_high,n,rank,probability_best,"
          "year,violation\n",
          rp->o);
    csv_tables(rp);
    const char *g = r->groups[rp->mag].name;
    long long reps = (long long)r->replicates;
    char units[96];
    snprintf(units, sizeof units, "%s per year per percentage point",
             r->currency[0] ? r->currency : "currency");
    for (size_t i = 0; i < r->n_variants; i++) {
        const cs_results_ranking_row *k = report_ranking(rp, r->variants[i].name);
        if (!k)
            continue;
        csv_row(rp, &(csv_cells){"cost_per_point_of_impunity", k->variant, g, "impunity_rate",
                                 units, k->cost_per_point, k->cost_per_point_low,
                                 k->cost_per_point_high, -1, 0, NAN});
        csv_row(rp, &(csv_cells){"ranking_impunity", k->variant, g, "impunity_rate", "1",
                                 k->impunity_mean, k->impunity_ci_low, k->impunity_ci_high, reps,
                                 k->impunity_rank, k->impunity_p_best});
        csv_row(rp, &(csv_cells){"ranking_disparity_ratio", k->variant, g, "accountability_ratio",
                                 "1", k->ratio_mean, k->ratio_ci_low, k->ratio_ci_high, reps,
                                 k->ratio_rank, k->ratio_p_best});
    }
    if (rp->kind)
        return 0;
    cs_report_years_csv(rp);
    if (rp->sens && cs_report_sensitivity_csv(rp, rp->sens))
        return -1;
    if (cs_report_decision_csv(rp))
        return -1;
    return cs_report_disparity_csv(rp);
}

/* ------------------------------------------------------------ the command */

static void usage(FILE *to)
{
    fprintf(to, "usage: casesim report RESULTS.h5 [--format text|csv|markdown] [--kind NAME]\n"
                "\n"
                "Prints the headline measures of every variant by victim group with 95%%\n"
                "confidence intervals, each intervention's change against the baseline with the\n"
                "cost per percentage point of impunity removed, the ranking of the variants\n"
                "with how sure it is, and a section for each violation kind the scenario marks\n"
                "`headline: true`. Results go to standard output.\n"
                "\n"
                "options:\n"
                "  -f, --format F   text (default), markdown, or csv (one long table, values in\n"
                "                   the file's units: rates as shares from 0 to 1)\n"
                "  -k, --kind NAME  the whole report for one violation kind of the scenario\n"
                "  -h, --help       this help\n");
}

/* Parses the options into *f and *kind. Returns -1 to go on, or the exit
 * status. */
static int parse_args(int argc, char **argv, report_format *f, const char **kind)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"kind", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const struct {
        const char *name;
        report_format f;
    } formats[] = {
        {"text", FMT_TEXT}, {"csv", FMT_CSV}, {"markdown", FMT_MARKDOWN}, {"md", FMT_MARKDOWN}};
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:k:h", longopts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return CS_EXIT_OK;
        }
        if (c == 'k') {
            *kind = optarg;
            continue;
        }
        if (c != 'f')
            return cs_cli_bad_option("report", c, argv, usage);
        size_t i = 0;
        while (i < sizeof formats / sizeof *formats && strcmp(optarg, formats[i].name) != 0)
            i++;
        if (i == sizeof formats / sizeof *formats) {
            fprintf(stderr, "casesim report: --format must be text, csv or markdown, not '%s'\n",
                    optarg);
            return CS_EXIT_USAGE;
        }
        *f = formats[i].f;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "casesim report: give exactly one results file\n");
        usage(stderr);
        return CS_EXIT_USAGE;
    }
    return -1;
}

/* Checks --kind against the file: returns -1 to go on, or the exit status
 * after a message. */
static int check_kind(const cs_results *r, const char *kind)
{
    if (!kind)
        return -1;
    if (r->n_violations == 0) {
        fprintf(stderr,
                "casesim report: %s has no results by violation kind (it was written by a "
                "casesim %s that did not compute them): run the scenario again with this one\n",
                r->path, r->casesim_version ? r->casesim_version : "");
        return CS_EXIT_USAGE;
    }
    if (kind_index(r, kind) < r->n_violations)
        return -1;
    fprintf(stderr, "casesim report: --kind %s: the scenario's violation kinds are", kind);
    for (size_t k = 0; k < r->n_violations; k++)
        fprintf(stderr, "%s %s", k ? "," : "", r->violations[k]);
    fprintf(stderr, "\n");
    return CS_EXIT_USAGE;
}

/* The report's settings from the open file. */
static void report_setup(report *rp)
{
    const cs_results *r = rp->r;
    snprintf(rp->level, sizeof rp->level, "%g%%", 100 * r->confidence_level);
    snprintf(rp->currency, sizeof rp->currency, "%s%s", r->currency[0] ? " " : "", r->currency);
    const char *names[CS_M_FIXED_COUNT + CS_MAX_OUTCOMES];
    size_t n = r->n_measures < CS_M_FIXED_COUNT + CS_MAX_OUTCOMES
                   ? r->n_measures
                   : CS_M_FIXED_COUNT + CS_MAX_OUTCOMES;
    for (size_t m = 0; m < n; m++)
        names[m] = r->measures[m].name;
    rp->n_heads = cs_schema_headline_rows(names, n, rp->heads, REPORT_MAX_HEADLINES);
    if (rp->n_heads > REPORT_MAX_HEADLINES)
        rp->n_heads = REPORT_MAX_HEADLINES;
    /* A file of another version may lack a measure of the list. */
    size_t kept = 0;
    for (size_t h = 0; h < rp->n_heads; h++)
        if (rp->heads[h].measure < r->n_measures)
            rp->heads[kept++] = rp->heads[h];
    rp->n_heads = kept;
    rp->mag = most_affected(rp);
}

int cs_cli_report(int argc, char **argv)
{
    report_format f = FMT_TEXT;
    const char *kind = NULL;
    int prc = parse_args(argc, argv, &f, &kind);
    if (prc >= 0)
        return prc;
    static cs_error err;
    cs_error_clear(&err);
    cs_results *r = NULL;
    /* A damaged file must not crash or hang the report (cli/probe.c); the
     * probe reads a calibration file too, so that it is opened here only once
     * it is known to be safe. */
    int st = cs_cli_probe_results(argv[optind], &err);
    if (st == CS_OK && cs_calibration_file_is(argv[optind]))
        return cs_cli_report_calibration(argv[optind], (int)f);
    if (st == CS_OK)
        st = cs_results_open(argv[optind], &r, &err);
    if (st != CS_OK) {
        cs_cli_print_error("report", &err);
        return st == CS_EIO ? CS_EXIT_FAILURE : CS_EXIT_USAGE;
    }
    int krc = check_kind(r, kind);
    if (krc >= 0) {
        cs_results_close(r);
        return krc;
    }
    cs_study_file *sens = NULL;
    st = cs_study_read(r, &sens, &err);
    if (st != CS_OK) {
        cs_cli_print_error("report", &err);
        cs_results_close(r);
        return cs_cli_exit_code(st);
    }
    static report rp;
    rp = (report){.r = r, .f = f, .o = stdout, .kind = kind, .sens = sens};
    rp.before = (r->decision != NULL) + (sens != NULL);
    report_setup(&rp);
    int rc = f == FMT_CSV ? report_csv(&rp) : report_human(&rp);
    if (fflush(stdout) != 0 || ferror(stdout))
        rc = -1;
    cs_study_file_free(sens);
    cs_results_close(r);
    if (rc != 0) {
        fprintf(stderr, "casesim report: could not write the report (out of memory or output "
                        "closed)\n");
        return CS_EXIT_FAILURE;
    }
    return CS_EXIT_OK;
}
