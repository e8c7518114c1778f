/*
 * cli/report_sensitivity.c — the sensitivity section of `casesim report`,
 * read first in the file of `casesim sensitivity`: which uncertain input
 * explains how much of each output's variance, in words and in a ranked
 * table, and whether the simulation's own noise matters.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/measures.h"
#include "cli/report.h"

/* Noise shares whose upper interval end stays below this are too small to
 * change a ranking of the inputs: the noise adds at most this share to each
 * total index and takes it from the first-order ones' denominator. */
#define NOISE_SMALL 0.05

/* A measure in words ("impunity"); the name itself for the others. */
static const char *measure_words(const char *m)
{
    if (!strcmp(m, cs_measure_table[CS_M_IMPUNITY].name))
        return "impunity";
    if (!strcmp(m, cs_measure_table[CS_M_ACCOUNTABILITY].name))
        return "accountability";
    if (!strcmp(m, cs_measure_table[CS_M_ACCOUNTABILITY_RATIO].name))
        return "the accountability disparity ratio";
    if (!strcmp(m, cs_measure_table[CS_M_REDRESS].name))
        return "redress";
    return m;
}

/* Output k in words: "impunity of Africans ... in the baseline", "the
 * change in impunity of ... with outreach". */
static void output_words(const report *rp, const cs_study_file *f, size_t k, char *buf, size_t n)
{
    const char *g = f->output_group[k];
    for (size_t i = 0; i < rp->r->n_groups; i++)
        if (!strcmp(rp->r->groups[i].name, g))
            g = rp->r->groups[i].label;
    if (!strcmp(g, "all"))
        g = "all groups";
    if (f->output_change[k])
        snprintf(buf, n, "the change in %s of %s with %s", measure_words(f->output_measure[k]), g,
                 f->output_variant[k]);
    else
        snprintf(buf, n, "%s of %s in %s%s", measure_words(f->output_measure[k]), g,
                 strcmp(f->output_variant[k], "baseline") ? "" : "the ", f->output_variant[k]);
}

/* x rounded to a whole number, without the sign of a negative zero ("-0"). */
static double whole(double x)
{
    return round(x) + 0.0;
}

/* "41% [35, 47]" from an estimate's 4 numbers. */
static void pct(char *buf, size_t n, const double *e)
{
    if (!isfinite(e[0]))
        snprintf(buf, n, "n/a");
    else
        snprintf(buf, n, "%.0f%% [%.0f, %.0f]", whole(100 * e[0]), whole(100 * e[2]),
                 whole(100 * e[3]));
}

/* The factors of output k in decreasing order of what they explain
 * (S1 for Sobol, mu* for Morris; undefined last). */
static void rank_factors(const cs_study_file *f, size_t k, size_t *order)
{
    const double *key = f->s1 ? f->s1 : f->mu_star;
    size_t D = f->n_factors;
    for (size_t i = 0; i < D; i++)
        order[i] = i;
    for (size_t i = 1; i < D; i++)
        for (size_t j = i; j > 0; j--) {
            double a = key[(k * D + order[j]) * 4], b = key[(k * D + order[j - 1]) * 4];
            if (!(a > b || (isfinite(a) && !isfinite(b))))
                break;
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
}

/* The ranked table of output k: Sobol S1 and ST, or Morris mu*. */
static int ranked_table(const report *rp, const cs_study_file *f, size_t k)
{
    size_t D = f->n_factors, *order = calloc(D, sizeof *order);
    if (!order)
        return -1;
    rank_factors(f, k, order);
    bool sobol = f->s1 != NULL;
    table t;
    table_init(&t, sobol ? 5 : 4);
    const char *hs[5] = {"Rank", "Input", "Explains alone [95% CI]", "With interactions [95% CI]",
                         "One-way range"};
    const char *hm[4] = {"Rank", "Input", "Mean absolute effect [95% CI]", "One-way range"};
    int rc = table_row(&t, sobol ? hs : hm);
    for (size_t r = 0; rc == 0 && r < D; r++) {
        size_t i = order[r], at = k * D + i;
        char rank[24], a[64], b[64], c[64];
        snprintf(rank, sizeof rank, "%zu", r + 1);
        if (sobol) {
            pct(a, sizeof a, f->s1 + 4 * at);
            pct(b, sizeof b, f->st + 4 * at);
        } else {
            const double *m = f->mu_star + 4 * at;
            snprintf(a, sizeof a, "%.4g [%.4g, %.4g]", m[0], m[2], m[3]);
        }
        snprintf(c, sizeof c, "%.3g to %.3g", f->oneway_low[at], f->oneway_high[at]);
        const char *cells[5] = {rank, f->factor[i], a, sobol ? b : c, c};
        rc = table_row(&t, cells);
    }
    if (rc == 0)
        table_print(&t, rp->f, rp->o);
    if (rc == 0 && rp->f == FMT_TEXT)
        fputc('\n', rp->o);
    table_free(&t);
    free(order);
    return rc;
}

/* The noise paragraph of output k (Sobol). */
static void noise_words(const report *rp, const cs_study_file *f, size_t k)
{
    const double *ns = f->noise_share + 4 * k;
    if (f->noise_points < 2 || !isfinite(ns[0])) {
        para(rp, "The simulation's own noise was not estimated (--noise 0): the indices "
                 "include it, and it cannot be told apart from the inputs' effects.");
        return;
    }
    char n[64];
    pct(n, sizeof n, ns);
    if (ns[3] < NOISE_SMALL)
        para(rp,
             "The simulation's own noise is %s of the variance (from %llu points run "
             "twice with different random numbers): more incidents per run would not "
             "change the ranking; better data on the inputs would.",
             n, (unsigned long long)f->noise_points);
    else
        para(rp,
             "The simulation's own noise is %s of the variance (from %llu points run "
             "twice): a share this large blurs the indices (each total index includes "
             "it). Before reading the ranking, simulate more incidents per run (a longer "
             "cohort window); the file also holds indices with the noise removed "
             "(s1_noiseless, st_noiseless).",
             n, (unsigned long long)f->noise_points);
}

/* Output k: the sentence on the leading input, the table, the noise. */
static int one_output(const report *rp, const cs_study_file *f, size_t k)
{
    char what[512];
    output_words(rp, f, k, what, sizeof what);
    heading(rp, 3, "What drives %s", what);
    size_t D = f->n_factors, top[1];
    size_t *order = calloc(D, sizeof *order);
    if (!order)
        return -1;
    rank_factors(f, k, order);
    top[0] = order[0];
    free(order);
    const double *e = f->s1 ? f->s1 + 4 * (k * D + top[0]) : NULL;
    if (e && isfinite(e[0]) && !(e[2] > 0)) {
        para(rp,
             "No input's share of the variance of %s can be told from zero with N = "
             "%llu rows (the largest first-order interval includes 0): run more rows "
             "(--samples)%s.",
             what, (unsigned long long)f->rows,
             f->noise_share && f->noise_share[4 * k + 2] >= NOISE_SMALL
                 ? " and, with this much noise, more incidents per run"
                 : "");
    } else if (e && isfinite(e[0])) {
        char x[64];
        pct(x, sizeof x, e);
        para(rp, "%s explains %s of the variance of %s on its own.", f->factor[top[0]], x, what);
    } else if (!e) {
        para(rp,
             "%s has the largest mean absolute effect on %s (Morris screening: a "
             "ranking, not a share of the variance).",
             f->factor[top[0]], what);
    } else {
        para(rp, "%s is undefined in too many runs to split its variance.", what);
    }
    if (ranked_table(rp, f, k))
        return -1;
    if (f->s1)
        noise_words(rp, f, k);
    return 0;
}

/* One row per output: its leading input and the noise share. */
static int summary_table(const report *rp, const cs_study_file *f)
{
    size_t D = f->n_factors, *order = calloc(D, sizeof *order);
    if (!order)
        return -1;
    bool sobol = f->s1 != NULL;
    table t;
    table_init(&t, sobol ? 4 : 3);
    const char *head[4] = {"Output", "Leading input",
                           sobol ? "Explains alone [95% CI]" : "Mean absolute effect",
                           "Noise share [95% CI]"};
    int rc = table_row(&t, head);
    for (size_t k = 0; rc == 0 && k < f->n_outputs; k++) {
        rank_factors(f, k, order);
        char a[64], n[64];
        const double *e =
            sobol ? f->s1 + 4 * (k * D + order[0]) : f->mu_star + 4 * (k * D + order[0]);
        if (sobol)
            pct(a, sizeof a, e);
        else
            snprintf(a, sizeof a, "%.4g", e[0]);
        if (sobol)
            pct(n, sizeof n, f->noise_share + 4 * k);
        const char *cells[4] = {f->output[k], f->factor[order[0]], a, n};
        rc = table_row(&t, cells);
    }
    if (rc == 0)
        table_print(&t, rp->f, rp->o);
    if (rc == 0 && rp->f == FMT_TEXT)
        fputc('\n', rp->o);
    table_free(&t);
    free(order);
    return rc;
}

/* What the indices mean with correlated inputs ("" without). */
static const char *correlated_words(const cs_study_file *f)
{
    return f->correlations > 0
               ? " The scenario correlates some inputs: the indices are those of the "
                 "independent variables behind its correlations, in the order of uncertain: "
                 "(the first of a correlated pair carries what it explains through the "
                 "later one)."
               : "";
}

static void intro(const report *rp, const cs_study_file *f)
{
    heading(rp, 2, "1. Which uncertain input drives the results");
    if (strcmp(f->status, "complete") != 0) {
        para(rp,
             "This sensitivity study was interrupted after %llu of its %llu runs (%llu "
             "complete %s): finish it with casesim sensitivity --resume before reading "
             "indices.",
             (unsigned long long)f->runs_done, (unsigned long long)f->points,
             (unsigned long long)f->units_done,
             strcmp(f->method, "sobol") ? "trajectories" : "rows of the design");
        return;
    }
    if (f->s1)
        para(rp,
             "Sobol indices from Saltelli's design with N = %llu rows over %zu inputs "
             "(%llu runs, each running every variant on the same incidents). An input's "
             "share 'alone' (first-order index) is the part of the output's variance "
             "that knowing the input exactly would remove; 'with interactions' (total "
             "index) adds what it explains together with other inputs. Brackets are %g%% "
             "bootstrap intervals over the design's rows. Inputs that explain little are "
             "not worth better data; those at the top are. An input here is an entry of "
             "the scenario's uncertain: section, or a group of entries (group:), judged "
             "together.%s",
             (unsigned long long)f->rows, f->n_factors, (unsigned long long)f->points,
             100 * f->confidence_level, correlated_words(f));
    else
        para(rp,
             "Morris screening with %llu trajectories over %zu inputs (%llu runs): the "
             "mean absolute effect on each output of moving an input by half its "
             "probability range (from its 12.5th to its 62.5th percentile, for "
             "example). It ranks the inputs; it does not split the variance.",
             (unsigned long long)f->rows, f->n_factors, (unsigned long long)f->points);
}

int cs_report_sensitivity(const report *rp, const cs_study_file *f)
{
    intro(rp, f);
    if (strcmp(f->status, "complete") != 0)
        return 0;
    for (size_t k = 0; k < f->n_outputs; k++)
        if (!f->output_change[k] && !strcmp(f->output_variant[k], rp->r->variants[0].name) &&
            one_output(rp, f, k))
            return -1;
    heading(rp, 3, "Every output");
    para(rp, "The input that explains most of each output (the file's /sensitivity "
             "holds every index; casesim-figures draws them).");
    if (summary_table(rp, f))
        return -1;
    para(rp, "The sections below pool every run of the study (design, noise and "
             "one-way points): they describe the scenario over its uncertain inputs, "
             "not a planned comparison.");
    return 0;
}

int cs_report_sensitivity_csv(const report *rp, const cs_study_file *f)
{
    if (strcmp(f->status, "complete") != 0)
        return 0;
    size_t D = f->n_factors;
    for (size_t k = 0; k < f->n_outputs; k++)
        for (size_t i = 0; i < D; i++) {
            const double *a = f->s1 ? f->s1 + 4 * (k * D + i) : f->mu_star + 4 * (k * D + i);
            cs_rep_csv_row(rp->o, f->s1 ? "sensitivity_first_order" : "sensitivity_mu_star",
                           f->output[k], "", f->factor[i], "1", a[0], a[2], a[3], -1, 0, NAN);
            if (f->st) {
                const double *b = f->st + 4 * (k * D + i);
                cs_rep_csv_row(rp->o, "sensitivity_total", f->output[k], "", f->factor[i], "1",
                               b[0], b[2], b[3], -1, 0, NAN);
            }
        }
    for (size_t k = 0; f->noise_share && k < f->n_outputs; k++) {
        const double *n = f->noise_share + 4 * k;
        cs_rep_csv_row(rp->o, "sensitivity_noise_share", f->output[k], "", "", "1", n[0], n[2],
                       n[3], -1, 0, NAN);
    }
    return ferror(rp->o) ? -1 : 0;
}
