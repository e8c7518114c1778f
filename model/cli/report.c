/*
 * cli/report.c — `casesim report RESULTS.h5 [--format text|csv|markdown]`:
 * the tables an expert reads first. For each variant the headline measures
 * by victim group with 95% confidence intervals; each intervention's and
 * bundle's change against the baseline (paired over the same simulated
 * incidents) with the cost per percentage point of impunity removed; and the
 * ranking with its certainty. Text and Markdown are for people; CSV is one
 * long table for spreadsheets.
 */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/measures.h"
#include "casesim/results.h"
#include "casesim/stats.h"
#include "cli/cli.h"

typedef enum { FMT_TEXT, FMT_CSV, FMT_MARKDOWN } report_format;

/* The headline measures and how each is shown come from the results schema
 * (CS_HEADLINE_MEASURES in casesim/schema.h), the list the HTML page reads
 * from the file too. */
#define N_HEADLINES ((size_t)CS_SCHEMA_N_HEADLINES)

/* ------------------------------------------------------------ a text table */

typedef struct table {
    size_t ncol, nrow, cap;
    char **cells; /* row-major; row 0 is the header */
} table;

static void table_init(table *t, size_t ncol)
{
    *t = (table){ncol, 0, 0, NULL};
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->nrow * t->ncol; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
    t->nrow = 0;
}

/* Appends a row of ncol strings (copied). Returns 0, or -1 out of memory. */
static int table_row(table *t, const char *const *cells)
{
    if (t->nrow == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        char **c = realloc(t->cells, cap * t->ncol * sizeof *c);
        if (!c)
            return -1;
        t->cells = c;
        t->cap = cap;
    }
    for (size_t j = 0; j < t->ncol; j++) {
        const char *s = cells[j] ? cells[j] : "";
        char *copy = malloc(strlen(s) + 1);
        if (!copy) {
            for (size_t k = 0; k < j; k++)
                free(t->cells[t->nrow * t->ncol + k]);
            return -1;
        }
        strcpy(copy, s);
        t->cells[t->nrow * t->ncol + j] = copy;
    }
    t->nrow++;
    return 0;
}

/* Display width of UTF-8 text: code points (continuation bytes not counted). */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

static void pad(FILE *o, size_t n)
{
    while (n--)
        fputc(' ', o);
}

static void table_print(const table *t, report_format f, FILE *o)
{
    if (t->nrow == 0)
        return;
    size_t *w = calloc(t->ncol, sizeof *w);
    if (!w)
        return;
    for (size_t i = 0; i < t->nrow; i++)
        for (size_t j = 0; j < t->ncol; j++) {
            size_t x = width(t->cells[i * t->ncol + j]);
            if (x > w[j])
                w[j] = x;
        }
    for (size_t i = 0; i < t->nrow; i++) {
        if (f == FMT_MARKDOWN)
            fputs("|", o);
        else
            fputs("  ", o);
        for (size_t j = 0; j < t->ncol; j++) {
            const char *c = t->cells[i * t->ncol + j];
            size_t gap = w[j] - width(c);
            if (f == FMT_MARKDOWN) {
                fprintf(o, " %s", c);
                pad(o, gap);
                fputs(" |", o);
            } else {
                /* Text: first column left-aligned, numbers right-aligned. */
                if (j == 0) {
                    fputs(c, o);
                    pad(o, gap);
                } else {
                    pad(o, gap + 3);
                    fputs(c, o);
                }
            }
        }
        fputc('\n', o);
        if (i == 0) {
            if (f == FMT_MARKDOWN) {
                fputs("|", o);
                for (size_t j = 0; j < t->ncol; j++) {
                    fputc(' ', o);
                    for (size_t k = 0; k < w[j]; k++)
                        fputc(k == w[j] - 1 && j ? ':' : '-', o);
                    fputs(" |", o);
                }
                fputc('\n', o);
            } else {
                fputs("  ", o);
                size_t total = 0;
                for (size_t j = 0; j < t->ncol; j++)
                    total += w[j] + (j ? 3 : 0);
                for (size_t k = 0; k < total; k++)
                    fputc('-', o);
                fputc('\n', o);
            }
        }
    }
    free(w);
}

/* --------------------------------------------------------------- numbers */

/* Formats v for kind k ("n/a" for NaN). Percent values are shares. */
static void fmt_value(char *buf, size_t n, double v, cs_display k, bool points)
{
    if (isnan(v)) {
        snprintf(buf, n, "n/a");
        return;
    }
    switch (k) {
    case CS_SHOW_PERCENT:
        snprintf(buf, n, points ? "%+.1f" : "%.1f%%", 100 * v);
        break;
    case CS_SHOW_RATIO:
        snprintf(buf, n, points ? "%+.3f" : "%.3f", v);
        break;
    case CS_SHOW_DAYS:
        snprintf(buf, n, points ? "%+.0f" : "%.0f", v);
        break;
    }
}

/* "mean [low, high]" in the measure's display units. */
static void fmt_ci(char *buf, size_t n, double mean, double lo, double hi, cs_display k,
                   bool points)
{
    char a[32], b[32], c[32];
    fmt_value(a, sizeof a, mean, k, points);
    if (isnan(lo) || isnan(hi)) {
        snprintf(buf, n, "%s", a);
        return;
    }
    double s = k == CS_SHOW_PERCENT ? 100 : 1;
    const char *f = k == CS_SHOW_RATIO ? (points ? "%+.3f" : "%.3f") : (points ? "%+.1f" : "%.1f");
    if (k == CS_SHOW_DAYS)
        f = points ? "%+.0f" : "%.0f";
    snprintf(b, sizeof b, f, s * lo);
    snprintf(c, sizeof c, f, s * hi);
    snprintf(buf, n, "%s [%s, %s]", a, b, c);
}

static void fmt_prob(char *buf, size_t n, double p)
{
    if (isnan(p))
        snprintf(buf, n, "n/a");
    else if (p > 0 && p < 0.001)
        snprintf(buf, n, "<0.1%%");
    else if (p < 1 && p > 0.999)
        snprintf(buf, n, ">99.9%%");
    else
        snprintf(buf, n, "%.1f%%", 100 * p);
}

/* ---------------------------------------------------------------- report */

typedef struct report {
    const cs_results *r;
    report_format f;
    FILE *o;
    size_t mag;     /* index of the most affected group; the reference (0) if it is alone */
    char level[16]; /* the file's confidence level as a percentage: "95%" */
} report;

static const char *group_label(const report *rp, size_t g)
{
    return g < rp->r->n_groups ? rp->r->groups[g].label : "All victims";
}

static const char *group_key(const report *rp, size_t g)
{
    return g < rp->r->n_groups ? rp->r->groups[g].name : "all";
}

static void heading(const report *rp, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void heading(const report *rp, int level, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (rp->f == FMT_MARKDOWN) {
        fprintf(rp->o, "\n%s %s\n\n", level == 1 ? "#" : level == 2 ? "##" : "###", text);
    } else {
        fprintf(rp->o, "%s\n", text);
        size_t w = width(text);
        for (size_t i = 0; i < w; i++)
            fputc(level == 1 ? '=' : '-', rp->o);
        fputs("\n\n", rp->o);
    }
}

static void para(const report *rp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A paragraph, wrapped at 88 columns in text (Markdown wraps by itself). */
static void para(const report *rp, const char *fmt, ...)
{
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (rp->f == FMT_MARKDOWN) {
        fprintf(rp->o, "%s\n\n", text);
        return;
    }
    const char *p = text;
    size_t col = 0;
    while (*p) {
        size_t word = strcspn(p, " ");
        if (col && col + 1 + word > 88) {
            fputc('\n', rp->o);
            col = 0;
        } else if (col) {
            fputc(' ', rp->o);
            col++;
        }
        fwrite(p, 1, word, rp->o);
        col += word;
        p += word;
        while (*p == ' ')
            p++;
    }
    fputs("\n\n", rp->o);
}

/* The cell of headline h for group g (G1 - 1: all groups) of variant v: its
 * summary (mean and interval) or, with change, its comparison with the
 * baseline. The disparity ratio has no value of its own for the reference
 * group and for all groups together. */
static void headline_cell(const report *rp, const cs_results_variant *v, size_t h, size_t g,
                          bool change, char *cell, size_t n)
{
    const cs_schema_headline *hl = &cs_schema_headlines[h];
    size_t G1 = rp->r->n_groups + 1;
    const char *mname = cs_measure_table[hl->measure].name;
    bool ratio = hl->measure == CS_M_ACCOUNTABILITY_RATIO;
    if (ratio && (g == G1 - 1 || (g == 0 && change))) {
        snprintf(cell, n, "-");
    } else if (ratio && g == 0) {
        snprintf(cell, n, "1 (reference)");
    } else if (change) {
        const cs_results_comparison_row *c =
            cs_results_find_comparison(rp->r, v->name, group_key(rp, g), mname);
        if (c)
            fmt_ci(cell, n, c->diff_mean, c->diff_ci_low, c->diff_ci_high, hl->display, true);
        else
            snprintf(cell, n, "missing");
    } else {
        const cs_results_summary_row *s =
            cs_results_find_summary(rp->r, v->name, group_key(rp, g), mname);
        if (s)
            fmt_ci(cell, n, s->mean, s->ci_low, s->ci_high, hl->display, false);
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
    char head[64], label[160];
    snprintf(head, sizeof head, "%s [%s CI]", change ? "Change" : "Mean", rp->level);
    int rc = row && cells ? 0 : -1;
    for (size_t g = 0; rc == 0 && g <= G1; g++)
        row[g] = g == 0 ? head : group_label(rp, g - 1);
    if (rc == 0)
        rc = table_row(&t, row);
    for (size_t h = 0; rc == 0 && h < N_HEADLINES; h++) {
        const cs_schema_headline *hl = &cs_schema_headlines[h];
        snprintf(label, sizeof label, "%s%s", hl->label,
                 change && hl->display == CS_SHOW_PERCENT ? " (points)" : "");
        row[0] = label;
        for (size_t g = 0; g < G1; g++) {
            headline_cell(rp, v, h, g, change, cells[g + 1], sizeof cells[g + 1]);
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

/* The /ranking row of a variant, or NULL. */
static const cs_results_ranking_row *ranking_of(const cs_results *r, const char *variant)
{
    for (size_t i = 0; i < r->n_ranking; i++)
        if (!strcmp(r->ranking[i].variant, variant))
            return &r->ranking[i];
    return NULL;
}

static void print_cost_line(const report *rp, const cs_results_variant *v)
{
    const cs_results_ranking_row *k = ranking_of(rp->r, v->name);
    char cost[192], cpp[64], lo[64], hi[64];
    cs_cli_money(cost, sizeof cost, v->annual_cost, 0);
    if (k && k->annual_cost != v->annual_cost) {
        /* Paid from `starts` on: cost per point uses the mean over the window. */
        char in_force[64];
        cs_cli_money(in_force, sizeof in_force, k->annual_cost, 0);
        size_t n = strlen(cost);
        snprintf(cost + n, sizeof cost - n,
                 " once in force (%s a year on average over the measured years)", in_force);
    }
    if (!k) {
        para(rp, "Annual cost: %s.", cost);
        return;
    }
    const char *who = group_label(rp, rp->mag);
    if (isnan(k->cost_per_point)) {
        para(rp,
             "Annual cost: %s. Impunity of %s does not fall (change %+.1f percentage points, "
             "%s CI %+.1f to %+.1f), so a cost per percentage point of impunity removed is "
             "not defined.",
             cost, who, -k->reduction_points, rp->level, -k->reduction_ci_high,
             -k->reduction_ci_low);
        return;
    }
    if (v->annual_cost == 0) {
        para(rp,
             "No annual cost is given for it. Impunity of %s falls by %.1f percentage points "
             "(%s CI %.1f to %.1f) at no cost.",
             who, k->reduction_points, rp->level, k->reduction_ci_low, k->reduction_ci_high);
        return;
    }
    cs_cli_money(cpp, sizeof cpp, k->cost_per_point, 0);
    cs_cli_money(lo, sizeof lo, k->cost_per_point_low, 0);
    cs_cli_money(hi, sizeof hi, k->cost_per_point_high, 0);
    para(rp,
         "Annual cost: %s. Impunity of %s falls by %.1f percentage points (%s CI %.1f to "
         "%.1f), so each percentage point of impunity removed costs %s a year (%s CI %s to "
         "%s)%s.",
         cost, who, k->reduction_points, rp->level, k->reduction_ci_low, k->reduction_ci_high, cpp,
         rp->level, lo, hi,
         isinf(k->cost_per_point_high)
             ? "; the upper bound is unbounded because the data do not exclude that impunity "
               "does not fall at all"
             : "");
}

static int print_ranking(const report *rp)
{
    const cs_results *r = rp->r;
    table t;
    table_init(&t, 8);
    char imp_head[64], ratio_head[64];
    snprintf(imp_head, sizeof imp_head, "Impunity [%s CI]", rp->level);
    snprintf(ratio_head, sizeof ratio_head, "Disparity ratio [%s CI]", rp->level);
    const char *head[8] = {"Variant",          "Annual cost", imp_head, "Rank",
                           "Probability best", ratio_head,    "Rank",   "Probability best"};
    int rc = table_row(&t, head);
    for (size_t i = 0; rc == 0 && i < r->n_ranking; i++) {
        const cs_results_ranking_row *k = &r->ranking[i];
        char cost[64], imp[128], ir[16], ip[16], rat[128], rr[16], rpb[16];
        cs_cli_money(cost, sizeof cost, k->annual_cost, 0);
        fmt_ci(imp, sizeof imp, k->impunity_mean, k->impunity_ci_low, k->impunity_ci_high,
               CS_SHOW_PERCENT, false);
        snprintf(ir, sizeof ir, k->impunity_rank ? "%d" : "-", (int)k->impunity_rank);
        fmt_prob(ip, sizeof ip, k->impunity_p_best);
        fmt_ci(rat, sizeof rat, k->ratio_mean, k->ratio_ci_low, k->ratio_ci_high, CS_SHOW_RATIO,
               false);
        snprintf(rr, sizeof rr, k->ratio_rank ? "%d" : "-", (int)k->ratio_rank);
        fmt_prob(rpb, sizeof rpb, k->ratio_p_best);
        const char *cells[8] = {k->variant, cost, imp, ir, ip, rat, rr, rpb};
        rc = table_row(&t, cells);
    }
    if (rc == 0)
        table_print(&t, rp->f, rp->o);
    table_free(&t);
    return rc;
}

/* "name: description" for a variant, saying what kind it is where the name
 * does not. */
static void variant_heading(const report *rp, const cs_results_variant *v)
{
    char applied[512] = "";
    if (!strcmp(v->kind, "bundle")) {
        size_t o = (size_t)snprintf(applied, sizeof applied, " (bundle of");
        for (size_t i = 0; i < v->n_interventions && o < sizeof applied; i++)
            o += (size_t)snprintf(applied + o, sizeof applied - o, "%s %s", i ? "," : "",
                                  v->interventions[i]);
        if (o < sizeof applied)
            snprintf(applied + o, sizeof applied - o, ")");
    } else if (!strcmp(v->kind, "intervention")) {
        snprintf(applied, sizeof applied, " (intervention)");
    }
    heading(rp, 3, "%s%s%s%s", v->name, applied, v->description[0] ? ": " : "", v->description);
}

/* The title, the file's provenance and how to read the figures. */
static void report_intro(const report *rp)
{
    const cs_results *r = rp->r;
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
    para(rp,
         "How to read this: every figure is the mean over the simulated replicates, followed by "
         "its %s confidence interval in brackets [low, high], which reflects the simulation's "
         "own randomness only, not the uncertainty of the scenario's input figures. Rates are "
         "shares of well-founded incidents (violations that really happened and were unlawful) "
         "among the incidents that arrived in the measurement window. n/a means not defined "
         "(for example, no well-founded incidents in a group).",
         rp->level);
    para(rp,
         "Measures: Impunity = share of well-founded incidents without any accountability "
         "outcome (criminal conviction, disciplinary sanction or another outcome the "
         "scenario counts as accountability) by the end of the simulation; cases still "
         "open then count as without accountability, so read impunity together with the "
         "share of cases still open. Accountability = 100%% minus "
         "impunity. Redress = share of well-founded incidents with a redress outcome (such "
         "as compensation). Disparity ratio = the group's accountability rate divided by "
         "that of the reference group (%s); 1 means parity, below 1 means less "
         "accountability for the group. Median days to end of case = median time from the "
         "incident to the last outcome of its case, over cases that ended. Cases still open at "
         "the end = share of all incidents whose case had not ended when the simulation "
         "stopped.",
         group_label(rp, 0));
}

/* Section 1: the headline measures of every variant. */
static int report_headlines(const report *rp)
{
    const cs_results *r = rp->r;
    heading(rp, 2, "1. Headline measures by victim group");
    for (size_t v = 0; v < r->n_variants; v++) {
        const cs_results_variant *cv = &r->variants[v];
        variant_heading(rp, cv);
        if (print_headlines(rp, cv, false))
            return -1;
        if (rp->f == FMT_TEXT)
            fputc('\n', rp->o);
    }
    for (size_t g = 0; g <= r->n_groups; g++) {
        const cs_results_summary_row *s = cs_results_find_summary(
            r, "baseline", group_key(rp, g), cs_measure_table[CS_M_TIME_MEDIAN].name);
        if (s && s->mean == 0) {
            para(rp, "A median of 0 days: a case that is never reported ends on the day of the "
                     "incident, so when more than half of the incidents are never reported the "
                     "median time to the end of the case is 0. The mean and the 90th percentile "
                     "are in the results file (time_to_end_mean, time_to_end_p90).");
            break;
        }
    }
    return 0;
}

/* Section 2: each intervention's and bundle's change, and its cost. */
static int report_changes(const report *rp)
{
    const cs_results *r = rp->r;
    heading(rp, 2, "2. Change against the baseline");
    para(rp,
         "Each intervention and bundle met the same simulated incidents as the baseline (common "
         "random numbers), so the change is measured replicate by replicate: mean difference "
         "(variant minus baseline) with its %s confidence interval. For rates the difference "
         "is in percentage points: -5.0 means 5 points less. An interval that excludes 0 "
         "indicates a change larger than the simulation's noise.",
         rp->level);
    if (r->n_variants < 2)
        para(rp, "This file holds only the baseline: there is nothing to compare.");
    for (size_t v = 1; v < r->n_variants; v++) {
        const cs_results_variant *cv = &r->variants[v];
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
static int report_ranking(const report *rp)
{
    const cs_results *r = rp->r;
    heading(rp, 2, "3. Ranking");
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
    para(rp, "Costs are per year in the scenario's currency. Scenario figures are the scenario "
             "author's; check them before relying on these results.");
    return 0;
}

/* The /summary_by_year row of (variant, year, the most affected group,
 * impunity); NULL if none. */
static const cs_results_summary_year_row *year_summary(const report *rp, const char *variant,
                                                       double year)
{
    const char *g = group_key(rp, rp->mag), *m = cs_measure_table[CS_M_IMPUNITY].name;
    for (size_t i = 0; i < rp->r->n_summary_year; i++) {
        const cs_results_summary_year_row *x = &rp->r->summary_year[i];
        if (x->year == year && !strcmp(x->variant, variant) && !strcmp(x->group, g) &&
            !strcmp(x->measure, m))
            return x;
    }
    return NULL;
}

/* Impunity of the most affected group by arrival year, one column per variant. */
static int print_years(const report *rp)
{
    const cs_results *r = rp->r;
    table t;
    table_init(&t, 1 + r->n_variants);
    const char *head[1 + 64 + 64 + 1] = {"Arrival year"};
    for (size_t v = 0; v < r->n_variants && v < 129; v++)
        head[1 + v] = r->variants[v].name;
    int rc = table_row(&t, head);
    /* The years are those of the baseline's rows, in order. */
    for (size_t i = 0; rc == 0 && i < r->n_summary_year; i++) {
        const cs_results_summary_year_row *b = &r->summary_year[i];
        if (strcmp(b->variant, "baseline") || b != year_summary(rp, "baseline", b->year))
            continue;
        char cells[1 + 129][96];
        const char *row[1 + 129];
        snprintf(cells[0], sizeof cells[0], "%g", b->year);
        row[0] = cells[0];
        for (size_t v = 0; v < r->n_variants && v < 129; v++) {
            const cs_results_summary_year_row *x = year_summary(rp, r->variants[v].name, b->year);
            snprintf(cells[1 + v], sizeof cells[1 + v], "n/a");
            if (x)
                fmt_ci(cells[1 + v], sizeof cells[1 + v], x->mean, x->ci_low, x->ci_high,
                       CS_SHOW_PERCENT, false);
            row[1 + v] = cells[1 + v];
        }
        rc = table_row(&t, row);
    }
    if (rc == 0)
        table_print(&t, rp->f, rp->o);
    table_free(&t);
    return rc;
}

/* How fast each intervention's effect comes (/timing). */
static int print_timing(const report *rp)
{
    const cs_results *r = rp->r;
    table t;
    table_init(&t, 4);
    char last[64];
    snprintf(last, sizeof last, "Change in the last year [%s CI]", rp->level);
    const char *head[4] = {"Variant", last, "First year clear of 0", "Reaches 90% from"};
    int rc = table_row(&t, head);
    for (size_t i = 0; rc == 0 && i < r->n_timing; i++) {
        const cs_results_timing_row *x = &r->timing[i];
        char eff[96], clear[32], y90[32];
        fmt_ci(eff, sizeof eff, x->final_effect, x->final_ci_low, x->final_ci_high, CS_SHOW_PERCENT,
               true);
        snprintf(clear, sizeof clear, isnan(x->first_clear_year) ? "not within the cohort" : "%g",
                 x->first_clear_year);
        snprintf(y90, sizeof y90, isnan(x->year_90) ? "n/a" : "%g", x->year_90);
        const char *cells[4] = {x->variant, eff, clear, y90};
        rc = table_row(&t, cells);
    }
    if (rc == 0)
        table_print(&t, rp->f, rp->o);
    table_free(&t);
    return rc;
}

/* Section 4: how fast — the headline by year of arrival (files of 1.2 on). */
static int report_years(const report *rp)
{
    if (rp->r->n_summary_year == 0)
        return 0;
    heading(rp, 2, "4. How fast: impunity by year of arrival");
    para(rp,
         "Impunity of %s among the incidents that arrived in each year (mean [%s CI]). An "
         "intervention that starts during the run acts on the incidents still open when it "
         "starts, and fully on those that arrive after it has ramped up.",
         group_label(rp, rp->mag), rp->level);
    if (print_years(rp))
        return -1;
    fputc('\n', rp->o);
    if (rp->r->n_timing == 0)
        return 0;
    para(rp,
         "How fast each change comes, in percentage points of impunity for %s: its change in "
         "the last arrival year, the first arrival year whose %s interval excludes no change, "
         "and the first arrival year from which the change stays at 90%% or more of its value "
         "in the last year.",
         group_label(rp, rp->mag), rp->level);
    if (print_timing(rp))
        return -1;
    fputc('\n', rp->o);
    return 0;
}

static int report_human(const report *rp)
{
    report_intro(rp);
    if (report_headlines(rp) || report_changes(rp) || report_ranking(rp) || report_years(rp))
        return -1;
    return 0;
}

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

/* One CSV row; rank 0 and n < 0 are left empty, and so is a NaN year. */
static void csv_row_year(FILE *o, const char *table, const char *variant, const char *group,
                         const char *measure, const char *units, double value, double lo, double hi,
                         long long n, int rank, double p_best, double year);

static void csv_row(FILE *o, const char *table, const char *variant, const char *group,
                    const char *measure, const char *units, double value, double lo, double hi,
                    long long n, int rank, double p_best)
{
    csv_row_year(o, table, variant, group, measure, units, value, lo, hi, n, rank, p_best, NAN);
}

static void csv_row_year(FILE *o, const char *table, const char *variant, const char *group,
                         const char *measure, const char *units, double value, double lo, double hi,
                         long long n, int rank, double p_best, double year)
{
    const char *text[] = {table, variant, group, measure, units};
    for (size_t i = 0; i < sizeof text / sizeof *text; i++) {
        csv_str(o, text[i]);
        fputc(',', o);
    }
    csv_num(o, value);
    fputc(',', o);
    csv_num(o, lo);
    fputc(',', o);
    csv_num(o, hi);
    fputc(',', o);
    if (n >= 0)
        fprintf(o, "%lld", n);
    fputc(',', o);
    if (rank)
        fprintf(o, "%d", rank);
    fputc(',', o);
    csv_num(o, p_best);
    fputc(',', o);
    csv_num(o, year);
    fputc('\n', o);
}

/* The CSV rows by arrival year (the last column, `year`). */
static void report_csv_years(const report *rp)
{
    const cs_results *r = rp->r;
    FILE *o = rp->o;
    for (size_t i = 0; i < r->n_summary_year; i++) {
        const cs_results_summary_year_row *s = &r->summary_year[i];
        csv_row_year(o, "summary_by_year", s->variant, s->group, s->measure, s->units, s->mean,
                     s->ci_low, s->ci_high, (long long)s->n, 0, NAN, s->year);
    }
    for (size_t i = 0; i < r->n_comparison_year; i++) {
        const cs_results_comparison_year_row *c = &r->comparison_year[i];
        csv_row_year(o, "difference_vs_baseline_by_year", c->variant, c->group, c->measure,
                     c->units, c->diff_mean, c->diff_ci_low, c->diff_ci_high, (long long)c->n, 0,
                     NAN, c->year);
    }
    for (size_t i = 0; i < r->n_timing; i++) {
        const cs_results_timing_row *x = &r->timing[i];
        csv_row_year(o, "first_year_clear_of_zero", x->variant, x->group, x->measure, "year",
                     x->first_clear_year, NAN, NAN, -1, 0, NAN, NAN);
        csv_row_year(o, "year_reaching_90_percent", x->variant, x->group, x->measure, "year",
                     x->year_90, NAN, NAN, -1, 0, NAN, NAN);
        csv_row_year(o, "difference_in_last_year", x->variant, x->group, x->measure, "1",
                     x->final_effect, x->final_ci_low, x->final_ci_high, -1, 0, NAN, x->final_year);
    }
}

/* CSV: one long table; every value in the file's units (shares, not
 * percentages), so that spreadsheets compute with full precision. */
static int report_csv(const report *rp)
{
    const cs_results *r = rp->r;
    FILE *o = rp->o;
    fputs("table,variant,group,measure,units,value,ci_low,ci_high,n,rank,probability_best,year\n",
          o);
    for (size_t i = 0; i < r->n_summary; i++) {
        const cs_results_summary_row *s = &r->summary[i];
        csv_row(o, "summary", s->variant, s->group, s->measure, s->units, s->mean, s->ci_low,
                s->ci_high, (long long)s->n, 0, NAN);
    }
    for (size_t i = 0; i < r->n_comparison; i++) {
        const cs_results_comparison_row *c = &r->comparison[i];
        csv_row(o, "difference_vs_baseline", c->variant, c->group, c->measure, c->units,
                c->diff_mean, c->diff_ci_low, c->diff_ci_high, (long long)c->n, c->rank, c->p_best);
    }
    const char *g = r->groups[rp->mag].name;
    long long reps = (long long)r->replicates;
    for (size_t i = 0; i < r->n_ranking; i++) {
        const cs_results_ranking_row *k = &r->ranking[i];
        csv_row(o, "cost_per_point_of_impunity", k->variant, g, "impunity_rate",
                "currency per year per percentage point", k->cost_per_point, k->cost_per_point_low,
                k->cost_per_point_high, -1, 0, NAN);
        csv_row(o, "ranking_impunity", k->variant, g, "impunity_rate", "1", k->impunity_mean,
                k->impunity_ci_low, k->impunity_ci_high, reps, k->impunity_rank,
                k->impunity_p_best);
        csv_row(o, "ranking_disparity_ratio", k->variant, g, "accountability_ratio", "1",
                k->ratio_mean, k->ratio_ci_low, k->ratio_ci_high, reps, k->ratio_rank,
                k->ratio_p_best);
    }
    report_csv_years(rp);
    return 0;
}

static void usage(FILE *to)
{
    fprintf(to, "usage: casesim report RESULTS.h5 [--format text|csv|markdown]\n"
                "\n"
                "Prints the headline measures of every variant by victim group with 95%%\n"
                "confidence intervals, each intervention's change against the baseline with the\n"
                "cost per percentage point of impunity removed, and the ranking of the variants\n"
                "with how sure it is. Results go to standard output.\n"
                "\n"
                "options:\n"
                "  -f, --format F   text (default), markdown, or csv (one long table, values in\n"
                "                   the file's units: rates as shares from 0 to 1)\n"
                "  -h, --help       this help\n");
}

/* Parses the options into *f. Returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, report_format *f)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
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
    while ((c = getopt_long(argc, argv, ":f:h", longopts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return CS_EXIT_OK;
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

int cs_cli_report(int argc, char **argv)
{
    report_format f = FMT_TEXT;
    int prc = parse_args(argc, argv, &f);
    if (prc >= 0)
        return prc;
    static cs_error err;
    cs_error_clear(&err);
    cs_results *r = NULL;
    /* A damaged file must not crash or hang the report (cli/probe.c). */
    int st = cs_cli_probe_results(argv[optind], &err);
    if (st == CS_OK)
        st = cs_results_open(argv[optind], &r, &err);
    if (st != CS_OK) {
        cs_cli_print_error("report", &err);
        return st == CS_EIO ? CS_EXIT_FAILURE : CS_EXIT_USAGE;
    }
    report rp = {.r = r, .f = f, .o = stdout, .mag = 0};
    snprintf(rp.level, sizeof rp.level, "%g%%", 100 * r->confidence_level);
    for (size_t g = 0; g < r->n_groups; g++)
        if (!strcmp(r->groups[g].name, r->most_affected_group))
            rp.mag = g;
    int rc = f == FMT_CSV ? report_csv(&rp) : report_human(&rp);
    if (fflush(stdout) != 0 || ferror(stdout))
        rc = -1;
    cs_results_close(r);
    if (rc != 0) {
        fprintf(stderr, "casesim report: could not write the report (out of memory or output "
                        "closed)\n");
        return CS_EXIT_FAILURE;
    }
    return CS_EXIT_OK;
}
