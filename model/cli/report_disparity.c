/*
 * cli/report_disparity.c — section 4 of `casesim report`: where the
 * disparity arises, from the /disparity tables of the results file
 * (casesim/results_disparity.h; the method is in analysis/README.md).
 *
 * For the baseline: the relative rate of every branch of every stage, one
 * column per group, a ratio whose interval excludes 1 marked; the
 * decomposition of the accountability and redress disparities by stage
 * (Shapley shares, each stage equalised alone and last) with what it
 * leaves (exposure); and, with populations, counts per 100,000 population
 * per year and their ratios.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/measures.h"
#include "casesim/results_disparity.h"
#include "cli/cli.h"
#include "cli/report.h"

#define CELL 96

/* The baseline's relative-rate row of group g and branch label b, or NULL. */
static const cs_relative_rate_row *find_rate(const cs_disparity_tables *t, const char *group,
                                             const char *branch)
{
    for (size_t i = 0; i < t->n_relative; i++) {
        const cs_relative_rate_row *r = &t->relative[i];
        if (!strcmp(r->variant, "baseline") && !strcmp(r->group, group) &&
            !strcmp(r->branch, branch))
            return r;
    }
    return NULL;
}

/* "0.667 [0.661, 0.673] *": a ratio, marked when its interval excludes 1
 * (in bold in Markdown). */
static void ratio_cell(const report *rp, double v, double lo, double hi, char *buf, size_t n)
{
    char ci[CELL / 2];
    fmt_ci(ci, sizeof ci, v, lo, hi, CS_SHOW_RATIO, false);
    bool apart = lo > 1.0 || hi < 1.0;
    if (apart && rp->f == FMT_MARKDOWN)
        snprintf(buf, n, "**%s**", ci);
    else
        snprintf(buf, n, "%s%s", ci, apart ? " *" : "");
}

/* One row of the relative-rate table: a branch of the baseline. */
static int rate_row(const report *rp, const cs_disparity_tables *t, const char *branch, table *tab)
{
    size_t G = rp->r->n_groups;
    char(*cells)[CELL] = calloc(G + 1, sizeof *cells);
    const char **row = calloc(G + 1, sizeof *row);
    int rc = cells && row ? 0 : -1;
    const cs_relative_rate_row *ref = find_rate(t, rp->r->groups[0].name, branch);
    for (size_t g = 0; rc == 0 && g < G; g++) {
        const cs_relative_rate_row *x = g ? find_rate(t, rp->r->groups[g].name, branch) : ref;
        if (g == 0)
            fmt_value_ci(cells[1], CELL, ref ? ref->rate : NAN, ref ? ref->rate_ci_low : NAN,
                         ref ? ref->rate_ci_high : NAN, CS_SHOW_PERCENT, false);
        else if (x)
            ratio_cell(rp, x->ratio, x->ratio_ci_low, x->ratio_ci_high, cells[g + 1], CELL);
        row[g + 1] = cells[g + 1];
    }
    row[0] = branch;
    if (rc == 0)
        rc = table_row(tab, row);
    free(cells);
    free(row);
    return rc;
}

/* The stage x group table of relative rates at baseline. */
static int relative_rates(const report *rp, const cs_disparity_tables *t)
{
    size_t G = rp->r->n_groups;
    para(rp,
         "Relative rates (baseline). For each stage and each of its branches: the share of the "
         "tracks entering the stage that take the branch, for %s, and for each other group that "
         "share divided by %s's (the relative rate, with its %s confidence interval). 1 means "
         "the stage treats the group as it treats %s; at the entry stage the rates are the "
         "reporting gap. A * marks a relative rate whose interval excludes 1. Rates are pooled "
         "over replicates (analysis/README.md); a stage few tracks reach has a wide interval.",
         group_label(rp, 0), group_label(rp, 0), rp->level, group_label(rp, 0));
    table tab;
    table_init(&tab, G + 1);
    char(*head)[CELL] = calloc(G + 1, sizeof *head);
    const char **row = calloc(G + 1, sizeof *row);
    int rc = row && head ? 0 : -1;
    for (size_t g = 0; rc == 0 && g < G; g++) {
        if (g == 0)
            snprintf(head[1], CELL, "%s: rate", group_label(rp, 0));
        else
            snprintf(head[g + 1], CELL, "%s: relative rate [%s CI]", group_label(rp, g), rp->level);
        row[g + 1] = head[g + 1];
    }
    row[0] = "Stage -> branch";
    if (rc == 0)
        rc = table_row(&tab, row);
    for (size_t i = 0; rc == 0 && i < t->n_relative; i++) {
        const cs_relative_rate_row *x = &t->relative[i];
        if (!strcmp(x->variant, "baseline") && !strcmp(x->group, rp->r->groups[0].name))
            rc = rate_row(rp, t, x->branch, &tab);
    }
    if (rc == 0)
        table_print(&tab, rp->f, rp->o);
    table_free(&tab);
    free(row);
    free(head);
    if (rc == 0)
        fputc('\n', rp->o); /* a table ends with a blank line */
    return rc;
}

/* The decomposition row of (group, measure, quantity, stage), or NULL. */
static const cs_decomposition_row *find_part(const cs_disparity_tables *t, const char *group,
                                             int measure, const char *quantity, const char *stage)
{
    const char *m = cs_measure_table[measure].name;
    for (size_t i = 0; i < t->n_decomposition; i++) {
        const cs_decomposition_row *d = &t->decomposition[i];
        if (!strcmp(d->group, group) && !strcmp(d->measure, m) && !strcmp(d->quantity, quantity) &&
            !strcmp(d->stage, stage))
            return d;
    }
    return NULL;
}

/* A decomposition cell: mean [CI] in the measure's display, with the
 * sampling error of a sampled share. */
static void part_cell(const cs_decomposition_row *d, int measure, char *buf, size_t n)
{
    bool ratio = measure == CS_M_ACCOUNTABILITY_RATIO || measure == CS_M_REDRESS_RATIO;
    static const char *const levels[] = {"baseline", "all_equalised", "only_this_stage",
                                         "all_but_this_stage"};
    bool change = true; /* the other quantities are changes, shown signed */
    for (size_t i = 0; d && i < sizeof levels / sizeof *levels; i++)
        change &= strcmp(d->quantity, levels[i]) != 0;
    cs_display k = ratio ? CS_SHOW_RATIO : CS_SHOW_PERCENT;
    if (!d) {
        snprintf(buf, n, "n/a");
        return;
    }
    fmt_ci(buf, n, d->mean, d->ci_low, d->ci_high, k, change || !ratio);
    size_t used = strlen(buf);
    if (d->sampling_se > 0 && used < n)
        snprintf(buf + used, n - used, " (sampling SE %.3f)",
                 ratio ? d->sampling_se : 100 * d->sampling_se);
}

/* The rows of the decomposition table of group g: quantity and stage of
 * each, with its label. */
typedef struct part {
    const char *quantity, *stage;
    char label[CELL];
} part;

static int decomposition_table(const report *rp, const cs_disparity_tables *t, size_t g)
{
    static const int measures[4] = {CS_M_ACCOUNTABILITY_RATIO, CS_M_ACCOUNTABILITY_DIFF,
                                    CS_M_REDRESS_RATIO, CS_M_REDRESS_DIFF};
    size_t np = 3 + t->n_stages;
    part *parts = calloc(np, sizeof *parts);
    if (!parts)
        return -1;
    parts[0] = (part){"baseline", "", "Baseline"};
    for (size_t j = 0; j < t->n_stages; j++) {
        parts[1 + j] = (part){"shapley", t->stages[j], ""};
        snprintf(parts[1 + j].label, CELL, "+ Shapley share: %s", t->stages[j]);
    }
    parts[1 + t->n_stages] = (part){"all_equalised", "", "= All decomposed stages equalised"};
    parts[2 + t->n_stages] = (part){"not_equalised", "", "Left (not equalised: exposure)"};
    table tab;
    table_init(&tab, 5);
    const char *head[5] = {"", "Accountability ratio", "Accountability difference (points)",
                           "Redress ratio", "Redress difference (points)"};
    int rc = table_row(&tab, head);
    for (size_t i = 0; rc == 0 && i < np; i++) {
        char cells[4][2 * CELL];
        const char *row[5] = {parts[i].label};
        for (int k = 0; k < 4; k++) {
            const cs_decomposition_row *d =
                find_part(t, rp->r->groups[g].name, measures[k], parts[i].quantity, parts[i].stage);
            part_cell(d, measures[k], cells[k], sizeof cells[k]);
            row[k + 1] = cells[k];
        }
        rc = table_row(&tab, row);
    }
    if (rc == 0)
        table_print(&tab, rp->f, rp->o);
    table_free(&tab);
    free(parts);
    return rc;
}

/* Each stage equalised alone and last, for the accountability ratio. */
static int alone_and_last(const report *rp, const cs_disparity_tables *t, size_t g)
{
    table tab;
    table_init(&tab, 4);
    const char *head[4] = {"Stage (accountability ratio)",
                           "Baseline with only this stage equalised",
                           "All stages but this one equalised", "Shapley share"};
    int rc = table_row(&tab, head);
    const char *q[3] = {"only_this_stage", "all_but_this_stage", "shapley"};
    for (size_t j = 0; rc == 0 && j < t->n_stages; j++) {
        char cells[3][2 * CELL];
        const char *row[4] = {t->stages[j]};
        for (int k = 0; k < 3; k++) {
            const cs_decomposition_row *d =
                find_part(t, rp->r->groups[g].name, CS_M_ACCOUNTABILITY_RATIO, q[k], t->stages[j]);
            part_cell(d, CS_M_ACCOUNTABILITY_RATIO, cells[k], sizeof cells[k]);
            row[k + 1] = cells[k];
        }
        rc = table_row(&tab, row);
    }
    if (rc == 0 && t->n_stages > 0)
        table_print(&tab, rp->f, rp->o);
    table_free(&tab);
    return rc;
}

/* What the decomposition leaves, in words, and how exact it is. */
static void decomposition_notes(const report *rp, const cs_disparity_tables *t)
{
    char left[1024] = "";
    size_t o = 0;
    for (size_t i = 0; i < t->n_not_equalised && o < sizeof left; i++)
        o +=
            (size_t)snprintf(left + o, sizeof left - o, "%s%s", i ? "; " : "", t->not_equalised[i]);
    para(rp,
         "What the decomposition does not equalise is exposure, not processing, and "
         "is reported as the part left: %s.",
         o ? left : "no other difference between the groups is in the scenario");
    if (t->permutations > 0)
        para(rp,
             "With more than 8 stages to decompose, the Shapley shares are averaged "
             "over %llu sampled orders of the stages rather than all of them; each "
             "share's sampling standard error is shown beside it (the shares still "
             "add up exactly).",
             (unsigned long long)t->permutations);
}

/* The decomposition of the baseline's disparities by stage. */
static int decomposition(const report *rp, const cs_disparity_tables *t)
{
    if (!t->decomposed) {
        para(rp, "How much of the disparity each stage accounts for: run with "
                 "`casesim run --decompose` (or `run: decompose: true`) to see it.");
        return 0;
    }
    if (t->n_stages == 0) {
        para(rp, "Decomposition: no stage gives the groups different branch "
                 "probabilities, so no disparity arises in processing; what there is "
                 "comes from exposure (below).");
        decomposition_notes(rp, t);
        return 0;
    }
    para(rp,
         "Decomposition of the baseline's disparity by stage. casesim ran the baseline again with "
         "every group given %s's branch probabilities at some of the %zu stages that treat groups "
         "differently (odds ratios unchanged; the same simulated incidents). Each stage's Shapley "
         "share is the change it makes when it is equalised, averaged over the orders in which "
         "the stages can be equalised; the shares add up, replicate by replicate, to the change "
         "from the baseline to all stages equalised. Ratios change in ratio units, differences in "
         "percentage points; %s confidence intervals.",
         group_label(rp, 0), t->n_stages, rp->level);
    int rc = 0;
    for (size_t g = 1; rc == 0 && g < rp->r->n_groups; g++) {
        heading(rp, 3, "%s", group_label(rp, g));
        rc = decomposition_table(rp, t, g);
        if (rc == 0)
            fputc('\n', rp->o);
        if (rc == 0)
            rc = alone_and_last(rp, t, g);
        if (rc == 0)
            fputc('\n', rp->o);
    }
    decomposition_notes(rp, t);
    return rc;
}

/* The baseline's exposure row of (group, measure, violation), or NULL. */
static const cs_exposure_row *find_exposure(const cs_disparity_tables *t, const char *group,
                                            const char *measure, const char *violation)
{
    for (size_t i = 0; i < t->n_exposure; i++) {
        const cs_exposure_row *x = &t->exposure[i];
        if (!strcmp(x->variant, "baseline") && !strcmp(x->group, group) &&
            !strcmp(x->measure, measure) && !strcmp(x->violation, violation))
            return x;
    }
    return NULL;
}

/* One row of the exposure table: rates of every group, ratios of the others. */
static int exposure_row(const report *rp, const cs_disparity_tables *t, const cs_exposure_row *x,
                        table *tab)
{
    size_t G = rp->r->n_groups, nc = 2 * G;
    char(*cells)[CELL] = calloc(nc, sizeof *cells), label[2 * CELL];
    const char **row = calloc(nc, sizeof *row);
    int rc = cells && row ? 0 : -1;
    snprintf(label, sizeof label, "%s%s%s", x->measure, x->violation[0] ? ": " : "", x->violation);
    for (size_t g = 0; rc == 0 && g < G; g++) {
        const cs_exposure_row *y =
            find_exposure(t, rp->r->groups[g].name, x->measure, x->violation);
        snprintf(cells[1 + g], CELL, "n/a");
        if (y && !isnan(y->rate))
            snprintf(cells[1 + g], CELL, "%.4g [%.4g, %.4g]", y->rate, y->rate_ci_low,
                     y->rate_ci_high);
        if (g > 0 && y)
            ratio_cell(rp, y->ratio, y->ratio_ci_low, y->ratio_ci_high, cells[G + g], CELL);
        row[1 + g] = cells[1 + g];
        if (g > 0)
            row[G + g] = cells[G + g];
    }
    row[0] = label;
    if (rc == 0)
        rc = table_row(tab, row);
    free(cells);
    free(row);
    return rc;
}

/* Counts per 100,000 population per year, and ratios to the reference group. */
static int exposure(const report *rp, const cs_disparity_tables *t)
{
    size_t G = rp->r->n_groups;
    char pops[2048] = "";
    size_t o = 0;
    for (size_t g = 0; g < G && o < sizeof pops; g++) {
        const cs_exposure_row *x = find_exposure(t, rp->r->groups[g].name, "incidents", "");
        const char *src = g < t->n_sources ? t->sources[g] : "";
        o += (size_t)snprintf(pops + o, sizeof pops - o, "%s%s %.0f%s%s%s", g ? "; " : "",
                              group_label(rp, g), x ? x->population : NAN,
                              src[0] ? " (source: " : "", src, src[0] ? ")" : "");
    }
    para(rp,
         "Exposure (baseline): cohort incidents, by kind, well-founded incidents, "
         "reported cases (leaving the entry stage for another stage), accountability "
         "outcomes and impunity (well-founded incidents without one), each per 100,000 "
         "population of the group per year, and each group's ratio to %s's (* : the "
         "interval excludes 1). Populations, as the scenario states them: %s.",
         group_label(rp, 0), pops);
    table tab;
    table_init(&tab, 2 * G);
    const char **head = calloc(2 * G, sizeof *head);
    char(*names)[CELL] = calloc(2 * G, sizeof *names);
    int rc = head && names ? 0 : -1;
    for (size_t g = 0; rc == 0 && g < G; g++) {
        snprintf(names[g], CELL, "%s, per 100,000 a year", group_label(rp, g));
        snprintf(names[G + g], CELL, "%s: ratio", group_label(rp, g));
        head[1 + g] = names[g];
        if (g > 0)
            head[G + g] = names[G + g];
    }
    head[0] = "Measure";
    if (rc == 0)
        rc = table_row(&tab, head);
    for (size_t i = 0; rc == 0 && i < t->n_exposure; i++)
        if (!strcmp(t->exposure[i].variant, "baseline") &&
            !strcmp(t->exposure[i].group, rp->r->groups[0].name))
            rc = exposure_row(rp, t, &t->exposure[i], &tab);
    if (rc == 0) {
        table_print(&tab, rp->f, rp->o);
        fputc('\n', rp->o);
    }
    table_free(&tab);
    free(head);
    free(names);
    return rc;
}

/* Reads /disparity, or says why it cannot. */
static int read_tables(const report *rp, cs_disparity_tables *t)
{
    static cs_error err;
    cs_error_clear(&err);
    if (cs_results_read_disparity(rp->r, t, &err) == CS_OK)
        return 0;
    cs_cli_print_error("report", &err);
    cs_disparity_tables_free(t);
    return -1;
}

int cs_report_disparity(const report *rp, int section)
{
    if (rp->r->n_groups < 2)
        return 0;
    cs_disparity_tables t;
    if (read_tables(rp, &t))
        return -1;
    heading(rp, 2, "%d. Where the disparity arises", section);
    int rc = 0;
    if (t.n_relative == 0)
        para(rp, "This results file has no /disparity tables: it was written by a "
                 "casesim that does not count the branches each group takes, or "
                 "joins or resumes such a file. Run the scenario again to see them.");
    else
        rc = relative_rates(rp, &t);
    if (rc == 0 && t.n_relative > 0)
        rc = decomposition(rp, &t);
    if (rc == 0 && t.n_exposure > 0)
        rc = exposure(rp, &t);
    cs_disparity_tables_free(&t);
    return rc;
}

/* ------------------------------------------------------------------ CSV */

int cs_report_disparity_csv(const report *rp)
{
    cs_disparity_tables t;
    if (read_tables(rp, &t))
        return -1;
    FILE *o = rp->o;
    for (size_t i = 0; i < t.n_relative; i++) {
        const cs_relative_rate_row *x = &t.relative[i];
        cs_rep_csv_row(o, "branch_rate", x->variant, x->group, x->branch, "1", x->rate,
                       x->rate_ci_low, x->rate_ci_high, x->n, 0, NAN);
        cs_rep_csv_row(o, "relative_rate", x->variant, x->group, x->branch, "1", x->ratio,
                       x->ratio_ci_low, x->ratio_ci_high, x->n, 0, NAN);
    }
    for (size_t i = 0; i < t.n_decomposition; i++) {
        const cs_decomposition_row *d = &t.decomposition[i];
        char table[96];
        snprintf(table, sizeof table, "decomposition_%s", d->quantity);
        cs_rep_csv_row(o, table, d->stage, d->group, d->measure, "1", d->mean, d->ci_low,
                       d->ci_high, d->n, 0, NAN);
    }
    for (size_t i = 0; i < t.n_exposure; i++) {
        const cs_exposure_row *x = &t.exposure[i];
        char m[2 * CELL];
        snprintf(m, sizeof m, "%s%s%s", x->measure, x->violation[0] ? ":" : "", x->violation);
        cs_rep_csv_row(o, "exposure_per_100000_per_year", x->variant, x->group, m,
                       "per 100,000 population per year", x->rate, x->rate_ci_low, x->rate_ci_high,
                       x->n, 0, NAN);
        cs_rep_csv_row(o, "exposure_ratio", x->variant, x->group, m, "1", x->ratio, x->ratio_ci_low,
                       x->ratio_ci_high, x->n, 0, NAN);
    }
    cs_disparity_tables_free(&t);
    return 0;
}
