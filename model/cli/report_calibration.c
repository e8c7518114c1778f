/*
 * cli/report_calibration.c — `casesim report CAL.h5` for a calibration file:
 * how the run ended, the identifiability findings first (a warning changes
 * how every interval below is read), each input's prior and posterior, and
 * the fitted and held-out targets, observed against the posterior
 * predictive.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "casesim/calibration_file.h"
#include "cli/cli.h"

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
    fprintf(o, "  %-32s %-12s %-10s %12s %12s %-27s %7s %6s\n", "target", "kind", "period",
            "observed", "predicted", "95% interval", "z", "PIT");
    for (size_t i = 0; i < t->n; i++) {
        char iv[64];
        snprintf(iv, sizeof iv, "[%.4g, %.4g]", t->lower[i], t->upper[i]);
        fprintf(o, "  %-32.32s %-12s %-10s %12.4g %12.4g %-27s %7.2f %6.3f%s\n", t->name[i],
                t->kind[i], t->period[i], t->observed[i], t->mean[i], iv, t->z[i], t->pit[i],
                t->pit[i] < 0.025 || t->pit[i] > 0.975 ? "  outside" : "");
    }
}

int cs_cli_report_calibration(const char *path)
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
    fprintf(o, "Calibration of %s (%s)\n%s\n", c->scenario_name, c->status, c->message);
    bool point = c->method && strcmp(c->method, "optimize") == 0;
    if (point)
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
                "waves, %llu replicates each (--scale), seed %llu; effective sample size %.1f\n",
                (unsigned long long)c->evaluations, (unsigned long long)c->waves,
                (unsigned long long)c->scale, (unsigned long long)c->seed, c->ess);
    if (c->evaluations > 0) {
        fprintf(o, "\nWhat the targets can tell apart\n");
        if (point)
            fprintf(o, "  Not assessed: a point fit has no posterior sample to read it from.\n");
        else if (c->n_findings == 0)
            fprintf(o, "  Every input is informed by the targets and none is tied to another.\n");
        for (size_t i = 0; i < c->n_findings; i++)
            fprintf(o, "  %s\n", c->findings[i]);
        print_inputs(c, o);
        print_targets(&c->fitted, "Fitted targets: observed against the posterior predictive", o);
        print_targets(&c->held_out, "Held-out targets (not fitted): a test of prediction", o);
    }
    cs_calibration_file_free(c);
    if (fflush(o) != 0 || ferror(o)) {
        fprintf(stderr, "casesim report: could not write the report\n");
        return CS_EXIT_FAILURE;
    }
    return CS_EXIT_OK;
}
