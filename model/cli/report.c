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
#include "casesim/calibration_file.h"
#include "casesim/results.h"
#include "casesim/stats.h"
#include "cli/cli.h"
#include "cli/report.h"

/* The cell of headline h for group g (G1 - 1: all groups) of variant v: its
 * summary (mean and interval) or, with change, its comparison with the
 * baseline. The disparity ratio has no value of its own for the reference
 * group and for all groups together. */
static void headline_cell(const cs_report *rp, const cs_results_variant *v, size_t h, size_t g,
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
            cs_results_find_comparison(rp->r, v->name, cs_rep_group_key(rp, g), mname);
        if (c)
            cs_rep_fmt_ci(cell, n, c->diff_mean, c->diff_ci_low, c->diff_ci_high, hl->display,
                          true);
        else
            snprintf(cell, n, "missing");
    } else {
        const cs_results_summary_row *s =
            cs_results_find_summary(rp->r, v->name, cs_rep_group_key(rp, g), mname);
        if (s)
            cs_rep_fmt_ci(cell, n, s->mean, s->ci_low, s->ci_high, hl->display, false);
        else
            snprintf(cell, n, "missing");
    }
}

/* The headline measures of variant v by group: their means with intervals,
 * or (change) their paired differences from the baseline. */
static int print_headlines(const cs_report *rp, const cs_results_variant *v, bool change)
{
    size_t G1 = rp->r->n_groups + 1;
    cs_rep_table t;
    cs_rep_table_init(&t, G1 + 1);
    const char **row = calloc(G1 + 1, sizeof *row);
    char(*cells)[128] = calloc(G1 + 1, sizeof *cells);
    char head[64], label[160];
    snprintf(head, sizeof head, "%s [%s CI]", change ? "Change" : "Mean", rp->level);
    int rc = row && cells ? 0 : -1;
    for (size_t g = 0; rc == 0 && g <= G1; g++)
        row[g] = g == 0 ? head : cs_rep_group_label(rp, g - 1);
    if (rc == 0)
        rc = cs_rep_table_row(&t, row);
    for (size_t h = 0; rc == 0 && h < N_HEADLINES; h++) {
        const cs_schema_headline *hl = &cs_schema_headlines[h];
        snprintf(label, sizeof label, "%s%s", hl->label,
                 change && hl->display == CS_SHOW_PERCENT ? " (points)" : "");
        row[0] = label;
        for (size_t g = 0; g < G1; g++) {
            headline_cell(rp, v, h, g, change, cells[g + 1], sizeof cells[g + 1]);
            row[g + 1] = cells[g + 1];
        }
        rc = cs_rep_table_row(&t, row);
    }
    if (rc == 0)
        cs_rep_table_print(&t, rp->f, rp->o);
    cs_rep_table_free(&t);
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

static void print_cost_line(const cs_report *rp, const cs_results_variant *v)
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
        cs_rep_para(rp, "Annual cost: %s.", cost);
        return;
    }
    const char *who = cs_rep_group_label(rp, rp->mag);
    if (isnan(k->cost_per_point)) {
        cs_rep_para(
            rp,
            "Annual cost: %s. Impunity of %s does not fall (change %+.1f percentage points, "
            "%s CI %+.1f to %+.1f), so a cost per percentage point of impunity removed is "
            "not defined.",
            cost, who, -k->reduction_points, rp->level, -k->reduction_ci_high,
            -k->reduction_ci_low);
        return;
    }
    if (v->annual_cost == 0) {
        cs_rep_para(
            rp,
            "No annual cost is given for it. Impunity of %s falls by %.1f percentage points "
            "(%s CI %.1f to %.1f) at no cost.",
            who, k->reduction_points, rp->level, k->reduction_ci_low, k->reduction_ci_high);
        return;
    }
    cs_cli_money(cpp, sizeof cpp, k->cost_per_point, 0);
    cs_cli_money(lo, sizeof lo, k->cost_per_point_low, 0);
    cs_cli_money(hi, sizeof hi, k->cost_per_point_high, 0);
    cs_rep_para(
        rp,
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

static int print_ranking(const cs_report *rp)
{
    const cs_results *r = rp->r;
    cs_rep_table t;
    cs_rep_table_init(&t, 8);
    char imp_head[64], ratio_head[64];
    snprintf(imp_head, sizeof imp_head, "Impunity [%s CI]", rp->level);
    snprintf(ratio_head, sizeof ratio_head, "Disparity ratio [%s CI]", rp->level);
    const char *head[8] = {"Variant",          "Annual cost", imp_head, "Rank",
                           "Probability best", ratio_head,    "Rank",   "Probability best"};
    int rc = cs_rep_table_row(&t, head);
    for (size_t i = 0; rc == 0 && i < r->n_ranking; i++) {
        const cs_results_ranking_row *k = &r->ranking[i];
        char cost[64], imp[128], ir[16], ip[16], rat[128], rr[16], rpb[16];
        cs_cli_money(cost, sizeof cost, k->annual_cost, 0);
        cs_rep_fmt_ci(imp, sizeof imp, k->impunity_mean, k->impunity_ci_low, k->impunity_ci_high,
                      CS_SHOW_PERCENT, false);
        snprintf(ir, sizeof ir, k->impunity_rank ? "%d" : "-", (int)k->impunity_rank);
        cs_rep_fmt_prob(ip, sizeof ip, k->impunity_p_best);
        cs_rep_fmt_ci(rat, sizeof rat, k->ratio_mean, k->ratio_ci_low, k->ratio_ci_high,
                      CS_SHOW_RATIO, false);
        snprintf(rr, sizeof rr, k->ratio_rank ? "%d" : "-", (int)k->ratio_rank);
        cs_rep_fmt_prob(rpb, sizeof rpb, k->ratio_p_best);
        const char *cells[8] = {k->variant, cost, imp, ir, ip, rat, rr, rpb};
        rc = cs_rep_table_row(&t, cells);
    }
    if (rc == 0)
        cs_rep_table_print(&t, rp->f, rp->o);
    cs_rep_table_free(&t);
    return rc;
}

/* "name: description" for a variant, saying what kind it is where the name
 * does not. */
static void variant_heading(const cs_report *rp, const cs_results_variant *v)
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
    cs_rep_heading(rp, 3, "%s%s%s%s", v->name, applied, v->description[0] ? ": " : "",
                   v->description);
}

/* The title, the file's provenance and how to read the figures. */
static void report_intro(const cs_report *rp)
{
    const cs_results *r = rp->r;
    cs_rep_heading(rp, 1, "casesim report: %s", r->scenario_name);
    cs_rep_para(rp, "%s", r->scenario_description);
    cs_rep_para(
        rp,
        "File %s: %llu replicates (seed %llu), status %s, written %s by casesim %s. Command: %s",
        r->path, (unsigned long long)r->replicates, (unsigned long long)r->seed, r->status,
        r->created, r->casesim_version, r->command_line);
    if (strcmp(r->status, "complete") != 0)
        cs_rep_para(rp,
                    "WARNING: this run was interrupted. The figures below use only the %llu "
                    "replicates that finished.",
                    (unsigned long long)r->replicates);
    cs_rep_para(
        rp,
        "How to read this: every figure in the tables is the mean over the simulated "
        "replicates, followed by its %s confidence interval in brackets [low, high]. %s Rates "
        "are shares of well-founded incidents (violations that really happened and were "
        "unlawful) among the incidents that arrived in the measurement window. n/a means not "
        "defined (for example, no well-founded incidents in a group).",
        rp->level, cs_report_interval_scope(r));
    cs_rep_para(
        rp,
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
        cs_rep_group_label(rp, 0));
}

/* Section 1: the headline measures of every variant. */
static int report_headlines(const cs_report *rp)
{
    const cs_results *r = rp->r;
    cs_rep_heading(rp, 2, "%d. Headline measures by victim group", 1 + rp->before);
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
        const cs_results_summary_row *s = cs_results_find_summary(
            r, "baseline", cs_rep_group_key(rp, g), cs_measure_table[CS_M_TIME_MEDIAN].name);
        if (s && s->mean == 0) {
            cs_rep_para(rp,
                        "A median of 0 days: a case that is never reported ends on the day of the "
                        "incident, so when more than half of the incidents are never reported the "
                        "median time to the end of the case is 0. The mean and the 90th percentile "
                        "are in the results file (time_to_end_mean, time_to_end_p90).");
            break;
        }
    }
    return 0;
}

/* Section 2: each intervention's and bundle's change, and its cost. */
static int report_changes(const cs_report *rp)
{
    const cs_results *r = rp->r;
    cs_rep_heading(rp, 2, "%d. Change against the baseline", 2 + rp->before);
    cs_rep_para(
        rp,
        "Each intervention and bundle met the same simulated incidents as the baseline (common "
        "random numbers), so the change is measured replicate by replicate: mean difference "
        "(variant minus baseline) with its %s confidence interval. For rates the difference "
        "is in percentage points: -5.0 means 5 points less. An interval that excludes 0 "
        "indicates a change larger than the simulation's noise.",
        rp->level);
    if (r->n_ranking < 2)
        cs_rep_para(rp, "This file holds only the baseline: there is nothing to compare.");
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
static int report_ranking(const cs_report *rp)
{
    const cs_results *r = rp->r;
    cs_rep_heading(rp, 2, "%d. Ranking on the outcomes alone", 3 + rp->before);
    if (r->decision)
        cs_rep_para(rp, "This ranking ignores cost: section 1 weighs it.");
    if (r->n_groups < 2) {
        cs_rep_para(rp, "The scenario has a single victim group: the impunity ranking uses it, and "
                        "there is no disparity ratio to rank on.");
    } else {
        cs_rep_para(
            rp,
            "Variants are ranked on two criteria for %s, the group with the highest impunity at "
            "baseline: (a) impunity, lower is better; (b) the accountability disparity ratio "
            "(this group's accountability rate divided by that of %s), closer to 1 is better. "
            "Rank 1 is best on the means. 'Probability best' says how sure the ranking is: the "
            "share of %llu bootstrap resamples of the replicates (the same replicates for every "
            "variant) in which the variant came out best.",
            cs_rep_group_label(rp, rp->mag), cs_rep_group_label(rp, 0),
            (unsigned long long)r->bootstrap_resamples);
    }
    if (print_ranking(rp))
        return -1;
    fputc('\n', rp->o);
    cs_rep_para(rp,
                "Costs are per year in the scenario's currency. Scenario figures are the scenario "
                "author's; check them before relying on these results.");
    return 0;
}

static int report_human(const cs_report *rp)
{
    report_intro(rp);
    if (rp->sens && cs_report_sensitivity(rp, rp->sens))
        return -1;
    if (cs_report_decision(rp) || report_headlines(rp) || report_changes(rp) ||
        report_ranking(rp) || cs_report_disparity(rp) ||
        cs_report_years(rp, 4 + rp->before + (rp->r->n_groups > 1)))
        return -1;
    return 0;
}

/* CSV: one long cs_rep_table; every value in the file's units (shares, not
 * percentages), so that spreadsheets compute with full precision. */
static int report_csv(const cs_report *rp)
{
    const cs_results *r = rp->r;
    FILE *o = rp->o;
    fputs("table,variant,group,measure,units,value,ci_low,ci_high,n,rank,probability_best,year\n",
          o);
    for (size_t i = 0; i < r->n_summary; i++) {
        const cs_results_summary_row *s = &r->summary[i];
        cs_rep_csv_row(o, "summary", s->variant, s->group, s->measure, s->units, s->mean, s->ci_low,
                       s->ci_high, (long long)s->n, 0, NAN);
    }
    for (size_t i = 0; i < r->n_comparison; i++) {
        const cs_results_comparison_row *c = &r->comparison[i];
        cs_rep_csv_row(o, "difference_vs_baseline", c->variant, c->group, c->measure, c->units,
                       c->diff_mean, c->diff_ci_low, c->diff_ci_high, (long long)c->n, c->rank,
                       c->p_best);
    }
    const char *g = r->groups[rp->mag].name;
    long long reps = (long long)r->replicates;
    for (size_t i = 0; i < r->n_ranking; i++) {
        const cs_results_ranking_row *k = &r->ranking[i];
        cs_rep_csv_row(o, "cost_per_point_of_impunity", k->variant, g, "impunity_rate",
                       "currency per year per percentage point", k->cost_per_point,
                       k->cost_per_point_low, k->cost_per_point_high, -1, 0, NAN);
        cs_rep_csv_row(o, "ranking_impunity", k->variant, g, "impunity_rate", "1", k->impunity_mean,
                       k->impunity_ci_low, k->impunity_ci_high, reps, k->impunity_rank,
                       k->impunity_p_best);
        cs_rep_csv_row(o, "ranking_disparity_ratio", k->variant, g, "accountability_ratio", "1",
                       k->ratio_mean, k->ratio_ci_low, k->ratio_ci_high, reps, k->ratio_rank,
                       k->ratio_p_best);
    }
    cs_report_years_csv(rp);
    if (rp->sens && cs_report_sensitivity_csv(rp, rp->sens))
        return -1;
    if (cs_report_decision_csv(rp))
        return -1;
    return cs_report_disparity_csv(rp);
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
static int parse_args(int argc, char **argv, cs_report_format *f)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const struct {
        const char *name;
        cs_report_format f;
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
    cs_report_format f = FMT_TEXT;
    int prc = parse_args(argc, argv, &f);
    if (prc >= 0)
        return prc;
    static cs_error err;
    cs_error_clear(&err);
    cs_results *r = NULL;
    if (cs_calibration_file_is(argv[optind]))
        return cs_cli_report_calibration(argv[optind]);
    /* A damaged file must not crash or hang the report (cli/probe.c). */
    int st = cs_cli_probe_results(argv[optind], &err);
    if (st == CS_OK)
        st = cs_results_open(argv[optind], &r, &err);
    if (st != CS_OK) {
        cs_cli_print_error("report", &err);
        return st == CS_EIO ? CS_EXIT_FAILURE : CS_EXIT_USAGE;
    }
    cs_study_file *sens = NULL;
    st = cs_study_read(r, &sens, &err);
    if (st != CS_OK) {
        cs_cli_print_error("report", &err);
        cs_results_close(r);
        return cs_cli_exit_code(st);
    }
    cs_report rp = {.r = r, .f = f, .o = stdout, .sens = sens, .mag = 0};
    rp.before = (r->decision != NULL) + (sens != NULL);
    snprintf(rp.level, sizeof rp.level, "%g%%", 100 * r->confidence_level);
    for (size_t g = 0; g < r->n_groups; g++)
        if (!strcmp(r->groups[g].name, r->most_affected_group))
            rp.mag = g;
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
