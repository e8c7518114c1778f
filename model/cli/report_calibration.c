/*
 * cli/report_calibration.c — `casesim report CAL.h5` for a calibration file:
 * how the run ended, the identifiability findings first (a warning changes
 * how every interval below is read), each input's prior and posterior, and
 * the fitted and held-out targets, observed against the posterior
 * predictive. As text (default), markdown (the same sections as tables), or
 * CSV (one long table: table, name, kind, period, source, measure, value).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "casesim/calibration_file.h"
#include "cli/cli.h"
#include "cli/report.h"

static void print_inputs(const cs_calibration_file *c, FILE *o)
{
    fprintf(o, "\nInputs: prior and posterior (median [95%% interval]), shrinkage\n");
    fprintf(o, "  %-40s %-30s %-30s %9s\n", "input", "prior", "posterior", "shrinkage");
    for (size_t i = 0; i < c->n_inputs; i++) {
        char pr[64], po[64];
        snprintf(pr, sizeof pr, "%.4g [%.4g, %.4g]", c->prior_median[i], c->prior_lower[i],
                 c->prior_upper[i]);
        snprintf(po, sizeof po, "%.4g [%.4g, %.4g]", c->posterior_median[i], c->posterior_lower[i],
                 c->posterior_upper[i]);
        if (isnan(c->shrinkage[i]))
            fprintf(o, "  %-40.40s %-30s %-30s %9s\n", c->input_names[i], pr, po, "n/a");
        else
            fprintf(o, "  %-40.40s %-30s %-30s %8.0f%%\n", c->input_names[i], pr, po,
                    100.0 * c->shrinkage[i]);
    }
}

static void print_targets(const cs_calibration_targets *t, const char *title, FILE *o)
{
    fprintf(o, "\n%s\n", title);
    if (t->n == 0) {
        fprintf(o, "  (none)\n");
        return;
    }
    fprintf(o, "  %-32s %-13s %-10s %12s %12s %-27s %7s %6s\n", "target", "kind", "period",
            "observed", "predicted", "95% interval", "z", "PIT");
    for (size_t i = 0; i < t->n; i++) {
        char iv[64];
        snprintf(iv, sizeof iv, "[%.4g, %.4g]", t->lower[i], t->upper[i]);
        fprintf(o, "  %-32.32s %-13s %-10s %12.4g %12.4g %-27s %7.2f %6.3f%s\n", t->name[i],
                t->kind[i], t->period[i], t->observed[i], t->mean[i], iv, t->z[i], t->pit[i],
                t->pit[i] < 0.025 || t->pit[i] > 0.975 ? "  outside" : "");
    }
}

/* The text report of c on o. */
static void report_text(const cs_calibration_file *c, FILE *o)
{
    bool pred = c->method && !strcmp(c->method, "predictive");
    bool point = c->method && strcmp(c->method, "optimize") == 0;
    fprintf(o, "%s of %s (%s)\n%s\n", pred ? "Predictive check" : "Calibration", c->scenario_name,
            c->status, c->message);
    if (pred)
        fprintf(o,
                "Method: %llu points drawn from the scenario's uncertain inputs (Sobol), "
                "%llu replicates each (--scale), seed %llu; no fit, no importance weights\n",
                (unsigned long long)c->evaluations, (unsigned long long)c->scale,
                (unsigned long long)c->seed);
    else if (point)
        fprintf(o,
                "Method: point fit (Nelder-Mead on logit/log scales, common random numbers); "
                "%llu evaluations, %llu replicates each (--scale), seed %llu\n"
                "A POINT FIT HAS NO POSTERIOR UNCERTAINTY: the posterior columns below are the "
                "optimum, their intervals have no width, and the predictive intervals are the "
                "observation model's at the optimum only.\n"
                "Log-likelihood at the optimum: %.3f on the fit's seeds, %.3f on fresh seeds\n",
                (unsigned long long)c->evaluations, (unsigned long long)c->scale,
                (unsigned long long)c->seed, c->loglik_fit_seeds, c->loglik_fresh_seeds);
    else
        fprintf(o,
                "Method: incremental mixture importance sampling; %llu evaluations in %llu "
                "waves, %llu replicates each (--scale)%s, seed %llu; effective sample size %.1f\n",
                (unsigned long long)c->evaluations, (unsigned long long)c->waves,
                (unsigned long long)c->scale,
                c->common_seeds ? ", the same replicates for every point (--common-seeds)" : "",
                (unsigned long long)c->seed, c->ess);
    if (c->evaluations > 0 && !pred) {
        fprintf(o, "\nWhat the targets can tell apart\n");
        if (point)
            fprintf(o, "  Not assessed: a point fit has no posterior sample to read it from.\n");
        else if (c->n_findings == 0)
            fprintf(o, "  Every input is informed by the targets and none is tied to another.\n");
        for (size_t i = 0; i < c->n_findings; i++)
            fprintf(o, "  %s\n", c->findings[i]);
        print_inputs(c, o);
    }
    if (c->evaluations > 0) {
        print_targets(&c->fitted,
                      pred ? "Targets: observed against the predictive of the scenario's "
                             "uncertain inputs"
                           : "Fitted targets: observed against the posterior predictive",
                      o);
        print_targets(&c->held_out,
                      pred ? "Held-out targets: observed against the same predictive"
                           : "Held-out targets (not fitted): a test of prediction",
                      o);
    }
}

/* ---------------------------------------------------------------- markdown */

/* A number for markdown and CSV: empty when NaN. */
static void num(FILE *o, double v)
{
    if (isnan(v))
        return;
    fprintf(o, "%.6g", v);
}

static void md_targets(const cs_calibration_targets *t, const char *title, FILE *o)
{
    fprintf(o, "\n## %s\n\n", title);
    if (t->n == 0) {
        fprintf(o, "(none)\n");
        return;
    }
    fprintf(o, "| target | kind | period | observed | predicted | 2.5%% | 97.5%% | z | PIT | "
               "source |\n|---|---|---|--:|--:|--:|--:|--:|--:|---|\n");
    for (size_t i = 0; i < t->n; i++) {
        fprintf(o, "| %s | %s | %s |", t->name[i], t->kind[i], t->period[i]);
        double v[] = {t->observed[i], t->mean[i], t->lower[i], t->upper[i], t->z[i], t->pit[i]};
        for (size_t k = 0; k < sizeof v / sizeof *v; k++) {
            fputc(' ', o);
            num(o, v[k]);
            fputs(" |", o);
        }
        fprintf(o, " %s |\n", t->source[i]);
    }
}

/* The findings and the inputs' table, in markdown. */
static void md_inputs(const cs_calibration_file *c, bool point, FILE *o)
{
    fprintf(o, "\n## What the targets can tell apart\n\n");
    if (point || c->n_findings == 0)
        fprintf(o, "%s\n",
                point ? "Not assessed (a point fit)."
                      : "Every input is informed by the targets and none is tied to "
                        "another.");
    for (size_t i = 0; i < c->n_findings; i++)
        fprintf(o, "- %s\n", c->findings[i]);
    fprintf(o, "\n## Inputs\n\n| input | prior median | prior 2.5%% | prior 97.5%% | posterior "
               "median | posterior 2.5%% | posterior 97.5%% | shrinkage |\n"
               "|---|--:|--:|--:|--:|--:|--:|--:|\n");
    for (size_t i = 0; i < c->n_inputs; i++) {
        fprintf(o, "| %s |", c->input_names[i]);
        double v[] = {c->prior_median[i],     c->prior_lower[i],     c->prior_upper[i],
                      c->posterior_median[i], c->posterior_lower[i], c->posterior_upper[i],
                      c->shrinkage[i]};
        for (size_t k = 0; k < sizeof v / sizeof *v; k++) {
            fputc(' ', o);
            num(o, v[k]);
            fputs(" |", o);
        }
        fputc('\n', o);
    }
}

static void report_markdown(const cs_calibration_file *c, FILE *o)
{
    bool point = c->method && strcmp(c->method, "optimize") == 0;
    bool pred = c->method && !strcmp(c->method, "predictive");
    fprintf(o, "# %s of %s (%s)\n\n%s\n", pred ? "Predictive check" : "Calibration",
            c->scenario_name, c->status, c->message);
    if (point)
        fprintf(o,
                "\n**A point fit has no posterior uncertainty**: the posterior columns are "
                "the optimum. Log-likelihood at the optimum: %.3f on the fit's seeds, %.3f on "
                "fresh seeds.\n",
                c->loglik_fit_seeds, c->loglik_fresh_seeds);
    if (c->evaluations == 0)
        return;
    if (!pred)
        md_inputs(c, point, o);
    md_targets(&c->fitted, pred ? "Targets against the predictive" : "Fitted targets", o);
    md_targets(&c->held_out, pred ? "Held-out targets" : "Held-out targets (not fitted)", o);
}

/* --------------------------------------------------------------------- CSV */

static void csv_text(FILE *o, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, o);
        return;
    }
    fputc('"', o);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', o);
        fputc(*s, o);
    }
    fputc('"', o);
}

/* One row: table, name, kind, period, source, measure, value. */
static void csv_row(FILE *o, const char *const text[5], const char *measure, double v)
{
    for (size_t i = 0; i < 5; i++) {
        csv_text(o, text[i]);
        fputc(',', o);
    }
    fprintf(o, "%s,", measure);
    num(o, v);
    fputc('\n', o);
}

static void csv_targets(const cs_calibration_targets *t, const char *table, FILE *o)
{
    static const char *const M[] = {
        "observed", "predictive_mean", "predictive_sd", "lower", "upper", "z", "pit"};
    for (size_t i = 0; i < t->n; i++) {
        const char *text[5] = {table, t->name[i], t->kind[i], t->period[i], t->source[i]};
        double v[] = {t->observed[i], t->mean[i], t->sd[i], t->lower[i],
                      t->upper[i],    t->z[i],    t->pit[i]};
        for (size_t k = 0; k < sizeof v / sizeof *v; k++)
            csv_row(o, text, M[k], v[k]);
    }
}

static void report_csv(const cs_calibration_file *c, FILE *o)
{
    static const char *const M[] = {"prior_median",     "prior_lower",     "prior_upper",
                                    "posterior_median", "posterior_lower", "posterior_upper",
                                    "shrinkage"};
    fprintf(o, "table,name,kind,period,source,measure,value\n");
    const char *run[5] = {"run", c->method ? c->method : "imis", "", "", ""};
    csv_row(o, run, "evaluations", (double)c->evaluations);
    csv_row(o, run, "ess", c->ess);
    csv_row(o, run, "loglik_fit_seeds", c->loglik_fit_seeds);
    csv_row(o, run, "loglik_fresh_seeds", c->loglik_fresh_seeds);
    for (size_t i = 0; c->evaluations > 0 && i < c->n_inputs; i++) {
        const char *text[5] = {"inputs", c->input_names[i], "", "", ""};
        double v[] = {c->prior_median[i],     c->prior_lower[i],     c->prior_upper[i],
                      c->posterior_median[i], c->posterior_lower[i], c->posterior_upper[i],
                      c->shrinkage[i]};
        for (size_t k = 0; k < sizeof v / sizeof *v; k++)
            csv_row(o, text, M[k], v[k]);
    }
    if (c->evaluations > 0) {
        csv_targets(&c->fitted, "fitted", o);
        csv_targets(&c->held_out, "held_out", o);
    }
}

int cs_cli_report_calibration(const char *path, int format)
{
    static cs_error err;
    cs_error_clear(&err);
    cs_calibration_file *c = NULL;
    int st = cs_calibration_file_read(path, &c, &err);
    if (st != CS_OK) {
        cs_cli_print_error("report", &err);
        return st == CS_EIO ? CS_EXIT_FAILURE : CS_EXIT_USAGE;
    }
    FILE *o = stdout;
    if (format == FMT_CSV)
        report_csv(c, o);
    else if (format == FMT_MARKDOWN)
        report_markdown(c, o);
    else
        report_text(c, o);
    cs_calibration_file_free(c);
    if (fflush(o) != 0 || ferror(o)) {
        fprintf(stderr, "casesim report: could not write the report\n");
        return CS_EXIT_FAILURE;
    }
    return CS_EXIT_OK;
}
