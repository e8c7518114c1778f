/*
 * cli/calibrate_write.c — `casesim calibrate ... --write-scenario FITTED.yaml`:
 * the scenario a calibration file was made from, with every calibrated
 * input at its posterior median and the posterior, approximated per input,
 * as its `uncertain:`, the inputs the calibration cannot inform keeping their
 * prior (casesim/calibrate.h, cs_calibrate_fit_posterior;
 * casesim/scenario.h, cs_scenario_write_fitted).
 *
 * The fitted scenario is always made from a calibration file, never from a
 * calibration in memory, so that the same file gives the same YAML byte for
 * byte: the header names the file's date of making, not the time of writing.
 * The text is written to a temporary file beside the target, loaded back
 * with the scenario loader, and published only if it loads.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/calibrate.h"
#include "casesim/calibration_file.h"
#include "casesim/safe_file.h"
#include "casesim/scenario.h"
#include "cli/cli.h"

#ifndef CASESIM_VERSION_STRING
#define CASESIM_VERSION_STRING "unknown"
#endif

/* Appends to buf (of n bytes) what fmt prints, truncating. */
static void append(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t n, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used + 1 >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, n - used, fmt, ap);
    va_end(ap);
}

/* The header's lines on the inputs that keep their prior (s's entries). */
static void kept_text(const cs_scenario *s, const cs_calibrate_fit *fit, char *buf, size_t n)
{
    size_t kept = 0;
    for (size_t e = 0; e < fit->n_entries; e++)
        kept += fit->entries[e].keep_prior;
    if (kept == 0)
        return;
    append(buf, n,
           "\n%zu inputs keep their PRIOR: their `uncertain:` entry, their value and the\n"
           "correlations among them are the source's, because the calibration cannot inform\n"
           "them. The rule: an input under `interventions.` (a calibration simulates the\n"
           "baseline only), or one whose posterior keeps at least %.3g of its prior variance\n"
           "(on the normal-score scale), the smaller of exp(-2 sqrt(2 / ESS)) (2 standard\n"
           "errors of a variance estimated from ESS draws below 1) and the least kept by an\n"
           "input under `interventions.` (what the sampler's noise alone gives):\n",
           kept, fit->keep_threshold);
    for (size_t e = 0; e < fit->n_entries; e++) {
        if (!fit->entries[e].keep_prior)
            continue;
        if (fit->structural[e])
            append(buf, n, "  %s: under `interventions.`\n", s->uncertain[e].name);
        else
            append(buf, n, "  %s: keeps %.3g of its prior variance\n", s->uncertain[e].name,
                   fit->variance_ratio[e]);
    }
}

/* Whether text ends with a full stop (the header adds none then). */
static bool ends_with_stop(const char *text)
{
    size_t n = strlen(text);
    return n > 0 && text[n - 1] == '.';
}

/* The header comment of the fitted file. */
static void header_text(const char *cal_path, const cs_calibration_file *f, const cs_scenario *s,
                        const cs_calibrate_fit *fit, char *buf, size_t n)
{
    char shrunk[96] = "";
    if (fit->shrink < 1.0)
        snprintf(shrunk, sizeof shrunk, ", and multiplied by %.3g to keep the matrix positive",
                 fit->shrink);
    snprintf(buf, n,
             "Fitted scenario written by `casesim calibrate --write-scenario` (casesim %s)\n"
             "from the calibration file %s, made on %.10s by casesim %s:\n"
             "seed %llu, --scale %llu%s, %llu evaluations, effective sample size %.1f;\n"
             "%s%s\n"
             "\n"
             "Every calibrated input (but those below that keep their prior) is set to its\n"
             "posterior median (6 significant digits).\n"
             "`uncertain:` is the posterior approximated per input, fitted by moments of the\n"
             "weighted posterior sample: beta for probabilities and shares, lognormal (moments\n"
             "of the logarithm) for positive numbers, normal otherwise, dirichlet for shares\n"
             "that sum to 1; truncated to the prior's support where that is narrower. Each\n"
             "entry's `source` gives its posterior median and 95%% interval and the prior's\n"
             "source. `correlations:` is the posterior correlation of the inputs' normal scores\n"
             "(a Gaussian copula); pairs within 2 / sqrt(ESS) of zero are left out, the rest\n"
             "rounded to 3 decimals%s%s.\n"
             "\n"
             "The comments of the source scenario are not kept (YAML readers drop them): read\n"
             "them there. Its description, targets and every other key are as written there.\n",
             CASESIM_VERSION_STRING, cal_path, f->created, f->casesim_version,
             (unsigned long long)f->seed, (unsigned long long)f->scale,
             f->common_seeds ? " --common-seeds" : "", (unsigned long long)f->evaluations, fit->ess,
             f->message, ends_with_stop(f->message) ? "" : ".", shrunk,
             fit->shrink < 1.0 ? " definite" : "");
    kept_text(s, fit, buf, n);
}

/* Writes fit of s to out (a temporary file), closed. */
static int write_text(const char *tmp, const char *target, const cs_scenario *s,
                      const cs_calibrate_fit *fit, const char *header, cs_error *err)
{
    FILE *o = fopen(tmp, "w");
    if (!o)
        return cs_error_set(err, CS_EIO, "%s: cannot write", target);
    cs_fitted_scenario fs = {.values = fit->values,
                             .entries = fit->entries,
                             .correlations = fit->correlations,
                             .n_correlations = fit->n_correlations,
                             .header = header};
    int st = cs_scenario_write_fitted(s, &fs, o, target, err);
    if (fclose(o) != 0 && st == CS_OK)
        st = cs_error_set(err, CS_EIO, "%s: cannot write (disk full?)", target);
    return st;
}

/* Loads the written text back: a file the loader refuses is never
 * published (that would be casesim's fault, not the user's). */
static int check_back(const char *tmp, const char *target, cs_error *err)
{
    cs_scenario *back = NULL;
    int st = cs_scenario_load(tmp, &back, err);
    cs_scenario_free(back);
    if (st != CS_OK)
        return cs_error_set(err, CS_EINTERNAL,
                            "%s: the fitted scenario does not load back (the messages above), "
                            "so it was not written; please report this",
                            target);
    return CS_OK;
}

/* The fitted scenario of s from calibration c (read from cal_path as f),
 * published at target. */
static int write_fitted(const char *cal_path, const cs_calibration_file *f, const cs_scenario *s,
                        cs_calibration *c, const char *target, bool force, cs_error *err)
{
    cs_calibrate_fit *fit = NULL;
    int st = cs_calibrate_fit_posterior(s, c, &fit, err);
    if (st == CS_OK)
        st = cs_calibrate_fit_keep_priors(s, c, fit, err);
    if (st != CS_OK) {
        cs_calibrate_fit_free(fit);
        return st;
    }
    static char header[16384];
    header_text(cal_path, f, s, fit, header, sizeof header);
    cs_safe_file *out = NULL;
    st = cs_safe_file_begin(target, force, &out, err);
    if (st == CS_OK)
        st = write_text(out->tmp, target, s, fit, header, err);
    if (st == CS_OK)
        st = check_back(out->tmp, target, err);
    if (st == CS_OK)
        st = cs_safe_file_publish(out, err);
    cs_safe_file_free(out);
    cs_calibrate_fit_free(fit);
    return st;
}

/* The scenario text the calibration was made from, loaded; if scenario is
 * given, its text must be that one. */
static int calibrated_scenario(const char *cal_path, const char *source, const char *scenario,
                               cs_scenario **s, cs_error *err)
{
    const char *name = scenario ? scenario : cal_path;
    int st = cs_scenario_load_string(source, strlen(source), name, s, err);
    if (st != CS_OK || !scenario)
        return st;
    cs_scenario *given = NULL;
    st = cs_scenario_load(scenario, &given, err);
    if (st == CS_OK && (given->source_len != (*s)->source_len ||
                        memcmp(given->source, (*s)->source, given->source_len) != 0))
        st = cs_error_set(err, CS_EUSAGE,
                          "%s was made from another scenario text than %s: calibrate it again, "
                          "or leave the scenario out to write the one %s was made from",
                          cal_path, scenario, cal_path);
    cs_scenario_free(given);
    return st;
}

/* Why no fitted scenario can be written from calibration file f, or NULL. */
static const char *not_writable(const cs_calibration_file *f)
{
    if (f->method && !strcmp(f->method, "predictive"))
        return "a predictive check, not a calibration";
    if (f->method && strcmp(f->method, "imis") != 0)
        return "a point fit (--method optimize), which has no posterior to write";
    return strcmp(f->status, "complete") != 0 ? "incomplete (resume it first)" : NULL;
}

int cs_cli_calibrate_write_scenario(const char *cal_path, const char *scenario, const char *target,
                                    bool force, cs_error *err)
{
    cs_calibration_file *f = NULL;
    cs_calibration *c = NULL;
    cs_scenario *s = NULL;
    char *source = NULL;
    int st = cs_calibration_file_read(cal_path, &f, err);
    const char *why = st != CS_OK ? NULL : not_writable(f);
    if (why)
        st = cs_error_set(err, CS_EUSAGE,
                          "%s is %s: a fitted scenario is written from a complete calibration "
                          "(a posterior sample)",
                          cal_path, why);
    if (st == CS_OK)
        st = cs_calibration_file_load(cal_path, &c, &source, err);
    if (st == CS_OK)
        st = calibrated_scenario(cal_path, source, scenario, &s, err);
    if (st == CS_OK)
        st = write_fitted(cal_path, f, s, c, target, force, err);
    cs_scenario_free(s);
    cs_calibration_free(c);
    cs_calibration_file_free(f);
    free(source);
    return st;
}
