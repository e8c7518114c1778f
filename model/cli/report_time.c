/*
 * cli/report_time.c — the "how fast" part of `casesim report`: impunity of
 * the most affected group by year of arrival for every variant, and for each
 * intervention the first year its effect is clear of zero and the year it
 * reaches 90% of its final effect (/summary_by_year and /timing, format 1.2;
 * nothing for a file without them); and their CSV rows.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/report.h"

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

/* The most variants a table shows (the scenario's limit: the baseline, 64
 * interventions, 64 bundles). */
#define MAX_COLUMNS 129

/* Impunity of the most affected group by arrival year, one column per variant. */
static int print_years(const report *rp)
{
    const cs_results *r = rp->r;
    /* The variants compared with the baseline (the decomposition's, which
     * come last, have no rows by year). */
    size_t nv = 0;
    while (nv < r->n_variants && nv < MAX_COLUMNS && strcmp(r->variants[nv].kind, "decomposition"))
        nv++;
    table t;
    table_init(&t, 1 + nv);
    const char *head[1 + MAX_COLUMNS] = {"Arrival year"};
    for (size_t v = 0; v < nv; v++)
        head[1 + v] = r->variants[v].name;
    int rc = table_row(&t, head);
    /* The years are those of the baseline's rows, in order. */
    for (size_t i = 0; rc == 0 && i < r->n_summary_year; i++) {
        const cs_results_summary_year_row *b = &r->summary_year[i];
        if (strcmp(b->variant, "baseline") || b != year_summary(rp, "baseline", b->year))
            continue;
        char cells[1 + MAX_COLUMNS][96];
        const char *row[1 + MAX_COLUMNS];
        snprintf(cells[0], sizeof cells[0], "%g", b->year);
        row[0] = cells[0];
        for (size_t v = 0; v < nv; v++) {
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

int cs_report_years(const report *rp, int section)
{
    if (rp->r->n_summary_year == 0)
        return 0;
    heading(rp, 2, "%d. How fast: impunity by year of arrival", section);
    para(rp,
         "Impunity of %s among the incidents that arrived in each year (mean [%s CI]). An "
         "intervention that starts during the run acts on the incidents still open when "
         "it starts, and fully on those that arrive after it has ramped up.",
         group_label(rp, rp->mag), rp->level);
    if (print_years(rp))
        return -1;
    fputc('\n', rp->o);
    if (rp->r->n_timing == 0)
        return 0;
    para(rp,
         "How fast each change comes, in percentage points of impunity for %s: its "
         "change in the last arrival year, the first arrival year whose %s interval "
         "excludes no change, and the first arrival year from which the change stays at "
         "90%% or more of its value in the last year.",
         group_label(rp, rp->mag), rp->level);
    if (print_timing(rp))
        return -1;
    fputc('\n', rp->o);
    return 0;
}

void cs_report_years_csv(const report *rp)
{
    const cs_results *r = rp->r;
    FILE *o = rp->o;
    for (size_t i = 0; i < r->n_summary_year; i++) {
        const cs_results_summary_year_row *s = &r->summary_year[i];
        cs_rep_csv_row_year(o, "summary_by_year", s->variant, s->group, s->measure, s->units,
                            s->mean, s->ci_low, s->ci_high, (long long)s->n, 0, NAN, s->year);
    }
    for (size_t i = 0; i < r->n_comparison_year; i++) {
        const cs_results_comparison_year_row *c = &r->comparison_year[i];
        cs_rep_csv_row_year(o, "difference_vs_baseline_by_year", c->variant, c->group, c->measure,
                            c->units, c->diff_mean, c->diff_ci_low, c->diff_ci_high,
                            (long long)c->n, 0, NAN, c->year);
    }
    for (size_t i = 0; i < r->n_timing; i++) {
        const cs_results_timing_row *x = &r->timing[i];
        cs_rep_csv_row_year(o, "first_year_clear_of_zero", x->variant, x->group, x->measure, "year",
                            x->first_clear_year, NAN, NAN, -1, 0, NAN, NAN);
        cs_rep_csv_row_year(o, "year_reaching_90_percent", x->variant, x->group, x->measure, "year",
                            x->year_90, NAN, NAN, -1, 0, NAN, NAN);
        cs_rep_csv_row_year(o, "difference_in_last_year", x->variant, x->group, x->measure, "1",
                            x->final_effect, x->final_ci_low, x->final_ci_high, -1, 0, NAN,
                            x->final_year);
    }
}
