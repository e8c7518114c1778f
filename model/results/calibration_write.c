/*
 * results/calibration_write.c — a calibration's file
 * (casesim/calibration_file.h; layout in analysis/README.md).
 */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casesim/calibration_file.h"
#include "casesim/schema.h"
#include "core/alloc.h"
#include "results/h5util.h"

#ifndef CASESIM_VERSION_STRING
#define CASESIM_VERSION_STRING "unknown"
#endif

/* The root attributes: format, version, provenance and how the run ended. */
static int write_root(hid_t f, const cs_calibration *c, const char *command_line, bool complete,
                      cs_error *err)
{
    char created[32];
    time_t now = time(NULL);
    struct tm tm;
    if (now == (time_t)-1 || !gmtime_r(&now, &tm) ||
        !strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(created, sizeof created, "unknown");
    int version[2] = {CS_RESULTS_VERSION_MAJOR, CS_RESULTS_VERSION_MINOR};
    int st = cs_h5_attr_string(f, "format", CS_CALIBRATION_FORMAT, err);
    if (st == CS_OK)
        st = cs_h5_attr_ints(f, "format_version", version, 2, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(f, "casesim_version", CASESIM_VERSION_STRING, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(f, "created", created, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(f, "command_line", command_line ? command_line : "", err);
    if (st == CS_OK)
        st = cs_h5_attr_string(f, "status", complete ? "complete" : "incomplete", err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(f, "seed", c->seed, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(f, "scale", c->scale, err);
    return st;
}

/* /scenario: the file's text byte for byte, and its name. */
static int write_scenario(hid_t f, const cs_scenario *s, cs_error *err)
{
    hid_t g = H5Gcreate2(f, "scenario", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t t = cs_h5_string_type(), sp = H5Screate(H5S_SCALAR), d = H5I_INVALID_HID;
    const char *src = s->source ? s->source : "";
    int st = CS_OK;
    if (g < 0 || t < 0 || sp < 0 ||
        (d = H5Dcreate2(g, "source", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &src) < 0)
        st = cs_h5_fail(err, CS_EIO, "cannot write /scenario/source");
    if (st == CS_OK)
        st = cs_h5_attr_string(d, "description",
                               "The scenario file's text, byte for byte as read (UTF-8).", err);
    if (st == CS_OK)
        st = cs_h5_attr_string(g, "name", s->name ? s->name : "", err);
    cs_h5_close(&d);
    cs_h5_close(&sp);
    cs_h5_close(&t);
    cs_h5_close(&g);
    return st;
}

/* /calibration/points: the weighted sample and every target's sums. */
static int write_points(hid_t g, const cs_calibration *c, cs_error *err)
{
    static const char *const PD[] = {"point", "input"};
    static const char *const PTS[] = {"point", "target", "sum"};
    size_t nd[2] = {c->n_points, c->dim}, n1[1] = {c->n_points};
    size_t ns[3] = {c->n_points, c->n_targets, CS_TARGET_SUMS}, nw[1] = {c->n_waves};
    int st =
        cs_h5_write_array(g, "z", CS_TYPE_F64, 2, nd, c->z, "1",
                          "Every evaluated point in the priors' standard-normal space.", PD, err);
    if (st == CS_OK)
        st = cs_h5_write_array(g, "values", CS_TYPE_F64, 2, nd, c->values, "the inputs' own units",
                               "Every evaluated point's input values (inputs as /calibration/"
                               "inputs/name).",
                               PD, err);
    if (st == CS_OK)
        st = cs_h5_write_array(g, "loglik", CS_TYPE_F64, 1, n1, c->loglik, "1",
                               "Log-likelihood of the fitted targets at each point.", PD, err);
    if (st == CS_OK)
        st = cs_h5_write_array(g, "weight", CS_TYPE_F64, 1, n1, c->weight, "1",
                               "Normalised importance weight of each point (sum 1): the "
                               "posterior sample.",
                               PD, err);
    if (st == CS_OK)
        st = cs_h5_write_array(g, "target_sums", CS_TYPE_F64, 3, ns, c->sums, "tracks",
                               "Per point and target, over its scale replicates: numerator, "
                               "denominator, reference group's numerator and denominator.",
                               PTS, err);
    if (st == CS_OK)
        st = cs_h5_write_array(g, "wave_ess", CS_TYPE_F64, 1, nw, c->wave_ess, "points",
                               "Effective sample size after each wave (wave 0: the Sobol "
                               "sample).",
                               NULL, err);
    return st;
}

/* /calibration/state: what the sampler needs, beyond the points, to resume
 * after the last finished wave. */
static int write_state(hid_t cal, const cs_calibration *c, cs_error *err)
{
    hid_t g = H5Gcreate2(cal, "state", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    size_t K = c->n_components, D = c->dim;
    size_t dc[2] = {K, D}, dv[3] = {K, D, D}, dk[1] = {K}, dw[1] = {c->n_waves};
    int st = g >= 0 ? CS_OK : cs_h5_fail(err, CS_EIO, "cannot create /calibration/state");
    if (st == CS_OK)
        st = cs_h5_attr_u64(g, "n_initial", c->n_initial, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(g, "wave_size", c->wave_size, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(g, "checksum", c->checksum, err);
    if (st == CS_OK)
        st = cs_h5_write_array(g, "center", CS_TYPE_F64, 2, dc, c->center, "1",
                               "Centre of each later wave's proposal, in z-space.", NULL, err);
    if (st == CS_OK)
        st = cs_h5_write_array(g, "covariance", CS_TYPE_F64, 3, dv, c->covariance, "1",
                               "Covariance of each later wave's proposal, in z-space.", NULL, err);
    if (st == CS_OK)
        st = cs_h5_write_array(g, "component_size", CS_TYPE_U64, 1, dk, c->component_size, "points",
                               "Points drawn from each proposal.", NULL, err);
    if (st == CS_OK)
        st = cs_h5_write_array(g, "wave_best", CS_TYPE_F64, 1, dw, c->wave_best, "1",
                               "Best log posterior after each wave.", NULL, err);
    cs_h5_close(&g);
    return st;
}

/* Writes n doubles as the column `name` of table group g. */
static int column(hid_t g, const char *name, const double *v, size_t n, const char *what,
                  cs_error *err)
{
    static const char *const ROW[] = {"row"};
    size_t dims[1] = {n};
    return cs_h5_write_array(g, name, CS_TYPE_F64, 1, dims, v, "", what, ROW, err);
}

/* /calibration/inputs: one row per input value. */
static int write_inputs(hid_t cal, const cs_scenario *s, const cs_calibration *c, cs_error *err)
{
    size_t D = c->dim;
    hid_t g = H5Gcreate2(cal, "inputs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    double *col = cs_xcalloc(9 * D, sizeof *col);
    const char **names = cs_xcalloc(D, sizeof *names), **units = cs_xcalloc(D, sizeof *units);
    int st = g >= 0 ? CS_OK : cs_h5_fail(err, CS_EIO, "cannot create /calibration/inputs");
    if (st == CS_OK && (!col || !names || !units))
        st = cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t e = 0; st == CS_OK && e < s->n_uncertain; e++)
        for (size_t k = 0; k < s->uncertain[e].n_paths; k++) {
            size_t d = s->uncertain[e].offset + k;
            names[d] =
                s->uncertain[e].n_paths > 1 ? s->uncertain[e].paths[k] : s->uncertain[e].name;
            units[d] = s->uncertain[e].units;
        }
    static const char *const COLS[] = {"prior_median",    "prior_lower",      "prior_upper",
                                       "posterior_mean",  "posterior_median", "posterior_lower",
                                       "posterior_upper", "shrinkage",        "ess"};
    for (size_t d = 0; st == CS_OK && d < D; d++) {
        const cs_calibrate_input *in = &c->inputs[d];
        double row[9] = {in->prior_median,    in->prior_lower,         in->prior_upper,
                         in->posterior.mean,  in->posterior.median,    in->posterior.lower,
                         in->posterior.upper, in->posterior.shrinkage, in->posterior.ess};
        for (size_t j = 0; j < 9; j++)
            col[j * D + d] = row[j];
    }
    if (st == CS_OK)
        st = cs_h5_write_strings(g, "name", names, D, err);
    if (st == CS_OK)
        st = cs_h5_write_strings(g, "units", units, D, err);
    for (size_t j = 0; st == CS_OK && j < 9; j++)
        st = column(g, COLS[j], col + j * D, D,
                    "Prior 2.5%/50%/97.5% quantiles, posterior mean and quantiles, shrinkage "
                    "(1 - posterior / prior variance) and ESS of each input.",
                    err);
    free(col);
    free(names);
    free(units);
    cs_h5_close(&g);
    return st;
}

/* A target's period as text: "2020", "2018-2020" (calendar years with
 * time.start_year, else years of the run) or "cohort". */
static void period_text(const cs_scenario *s, const cs_target_spec *t, char *buf, size_t n)
{
    double base = s->has_start_year ? s->start_year : 0.0;
    if (t->kind == CS_TARGET_COHORT_SHARE)
        snprintf(buf, n, "%zu year%s", t->within_years, t->within_years == 1 ? "" : "s");
    else if (!t->has_period)
        snprintf(buf, n, "cohort");
    else if (t->n_years == 1)
        snprintf(buf, n, "%.0f", base + (double)t->first_year);
    else
        snprintf(buf, n, "%.0f-%.0f", base + (double)t->first_year,
                 base + (double)(t->first_year + t->n_years - 1));
}

#define SERIES_MAX 256

static const char *kind_text(const cs_target_spec *t)
{
    static const char *const K[] = {"count", "share", "ratio", "cohort_share", "mean_duration"};
    return K[t->kind];
}

/* The name of event e: its stage's or outcome's. */
static const char *event_name(const cs_scenario *s, const cs_target_event *e)
{
    return e->is_outcome ? s->outcomes[e->index].name : s->stages[e->index].name;
}

/* What target t measures, without its period ("count of convicted",
 * "share of prosecuted in prosecution_review, group minority"), so that
 * readers can line up the targets of one series year by year. */
static void series_text(const cs_scenario *s, const cs_target_spec *t, char *buf, size_t n)
{
    int len = snprintf(buf, n, "%s of %s", kind_text(t), event_name(s, &t->num));
    if (t->kind != CS_TARGET_COUNT && len >= 0 && (size_t)len < n)
        len += snprintf(buf + len, n - (size_t)len, " in %s", event_name(s, &t->den));
    if (t->group >= 0 && len >= 0 && (size_t)len < n)
        snprintf(buf + len, n - (size_t)len, ", group %s", s->groups[t->group].name);
}

/* The string columns of the targets with holdout == held_out. */
static int target_strings(hid_t g, const cs_scenario *s, bool held_out, size_t n, cs_error *err)
{
    const char **name = cs_xcalloc(n + 1, sizeof *name), **kind = cs_xcalloc(n + 1, sizeof *kind);
    const char **src = cs_xcalloc(n + 1, sizeof *src), **per = cs_xcalloc(n + 1, sizeof *per);
    const char **ser = cs_xcalloc(n + 1, sizeof *ser);
    char *pbuf = cs_xcalloc(n + 1, 32), *sbuf = cs_xcalloc(n + 1, SERIES_MAX);
    int st = name && kind && src && per && ser && pbuf && sbuf
                 ? CS_OK
                 : cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t t = 0, r = 0; st == CS_OK && t < s->n_targets; t++) {
        const cs_target_spec *ts = &s->targets[t];
        if (ts->holdout != held_out)
            continue;
        name[r] = ts->name;
        kind[r] = kind_text(ts);
        src[r] = ts->source;
        period_text(s, ts, pbuf + 32 * r, 32);
        per[r] = pbuf + 32 * r;
        series_text(s, ts, sbuf + SERIES_MAX * r, SERIES_MAX);
        ser[r] = sbuf + SERIES_MAX * r;
        r++;
    }
    if (st == CS_OK)
        st = cs_h5_write_strings(g, "name", name, n, err);
    if (st == CS_OK)
        st = cs_h5_write_strings(g, "kind", kind, n, err);
    if (st == CS_OK)
        st = cs_h5_write_strings(g, "period", per, n, err);
    if (st == CS_OK)
        st = cs_h5_write_strings(g, "source", src, n, err);
    if (st == CS_OK)
        st = cs_h5_write_strings(g, "series", ser, n, err);
    free(ser);
    free(sbuf);
    free(name);
    free(kind);
    free(src);
    free(per);
    free(pbuf);
    return st;
}

/* /calibration/fitted or /calibration/held_out: each target's observed value
 * and posterior predictive check, in the figure's units. */
static int write_targets(hid_t cal, const cs_scenario *s, const cs_calibration *c, bool held_out,
                         cs_error *err)
{
    size_t n = 0;
    for (size_t t = 0; t < s->n_targets; t++)
        n += s->targets[t].holdout == held_out;
    hid_t g =
        H5Gcreate2(cal, held_out ? "held_out" : "fitted", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    double *col = cs_xcalloc(8 * (n + 1), sizeof *col);
    int st = g >= 0 && col ? CS_OK : cs_h5_fail(err, CS_EIO, "cannot create a targets table");
    for (size_t t = 0, r = 0; st == CS_OK && t < s->n_targets; t++) {
        if (s->targets[t].holdout != held_out)
            continue;
        const cs_calib_predictive *p = &c->predictive[t];
        double row[8] = {p->observed, p->mean, p->sd,  p->lower,
                         p->upper,    p->z,    p->pit, s->targets[t].like.weight};
        for (size_t j = 0; j < 8; j++)
            col[j * n + r] = row[j];
        r++;
    }
    static const char *const COLS[] = {
        "observed", "predictive_mean", "predictive_sd", "lower", "upper", "z", "pit", "weight"};
    if (st == CS_OK)
        st = target_strings(g, s, held_out, n, err);
    for (size_t j = 0; st == CS_OK && j < 8; j++)
        st = column(g, COLS[j], col + j * n, n,
                    "Observed figure (counts in published units, shares as shares), posterior "
                    "predictive mean, sd and 95% interval, z, PIT and weight of each target.",
                    err);
    free(col);
    cs_h5_close(&g);
    return st;
}

/* /calibration/findings: the identifiability findings in plain words. */
static int write_findings(hid_t cal, const cs_calibration *c, cs_error *err)
{
    const char **text = cs_xcalloc(c->n_findings + 1, sizeof *text);
    const char **kind = cs_xcalloc(c->n_findings + 1, sizeof *kind);
    int st = text && kind ? CS_OK : cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; st == CS_OK && i < c->n_findings; i++) {
        text[i] = c->findings[i].text;
        kind[i] = c->findings[i].kind == CS_CALIB_UNSEPARATED ? "warning" : "note";
    }
    if (st == CS_OK)
        st = cs_h5_write_strings(cal, "findings", text, c->n_findings, err);
    if (st == CS_OK)
        st = cs_h5_write_strings(cal, "finding_kind", kind, c->n_findings, err);
    free(text);
    free(kind);
    return st;
}

/* /calibration's attributes: how the run ended. */
static int write_run_attrs(hid_t cal, const cs_calibration *c, cs_error *err)
{
    bool point = c->method == CS_CALIBRATE_OPTIMIZE;
    int st = cs_h5_attr_string(cal, "method",
                               point                 ? "optimize"
                               : c->predictive_check ? "predictive"
                                                     : "imis",
                               err);
    /* "common": every point ran in replicates 0 .. scale - 1 (--common-seeds) */
    if (st == CS_OK)
        st = cs_h5_attr_string(cal, "seeds", c->common_seeds ? "common" : "independent", err);
    if (st == CS_OK && point)
        st = cs_h5_attr_string(cal, "point_fit",
                               "A point fit (the posterior mode by Nelder-Mead): the posterior "
                               "is one point with all the weight, and its intervals say nothing "
                               "about uncertainty.",
                               err);
    if (st == CS_OK && point)
        st = cs_h5_attr_double(cal, "loglik_fit_seeds", c->loglik_fit_seeds, err);
    if (st == CS_OK && point)
        st = cs_h5_attr_double(cal, "loglik_fresh_seeds", c->loglik_fresh_seeds, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(cal, "stop", cs_calib_status_name(c->status), err);
    if (st == CS_OK)
        st = cs_h5_attr_string(cal, "message", c->message ? c->message : "", err);
    if (st == CS_OK)
        st = cs_h5_attr_double(cal, "ess", c->ess, err);
    if (st == CS_OK)
        st = cs_h5_attr_double(cal, "log_evidence", c->log_evidence, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(cal, "evaluations", c->n_points, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(cal, "waves", c->n_waves, err);
    return st;
}

/* The whole /calibration group. */
static int write_calibration(hid_t f, const cs_scenario *s, const cs_calibration *c, cs_error *err)
{
    static const char *const DD[] = {"input", "input"};
    hid_t cal = H5Gcreate2(f, "calibration", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t pts = cal < 0 ? H5I_INVALID_HID
                        : H5Gcreate2(cal, "points", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int st = pts >= 0 ? CS_OK : cs_h5_fail(err, CS_EIO, "cannot create /calibration");
    size_t dd[2] = {c->dim, c->dim};
    if (st == CS_OK)
        st = write_run_attrs(cal, c, err);
    if (st == CS_OK)
        st = write_points(pts, c, err);
    if (st == CS_OK)
        st = write_state(cal, c, err);
    if (st == CS_OK && c->n_points > 0) {
        st = write_inputs(cal, s, c, err);
        if (st == CS_OK)
            st = cs_h5_write_array(cal, "correlation", CS_TYPE_F64, 2, dd, c->correlation, "1",
                                   "Posterior correlation of the inputs' normal scores (the "
                                   "copula's rho); NaN with fewer effective draws than inputs.",
                                   DD, err);
        if (st == CS_OK)
            st = write_findings(cal, c, err);
        if (st == CS_OK)
            st = write_targets(cal, s, c, false, err);
        if (st == CS_OK)
            st = write_targets(cal, s, c, true, err);
    }
    cs_h5_close(&pts);
    cs_h5_close(&cal);
    return st;
}

int cs_calibration_write(const char *path, const cs_scenario *s, const cs_calibration *c,
                         const char *command_line, bool complete, cs_error *err)
{
    cs_h5_quiet();
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        return cs_h5_fail(err, CS_EIO, "%s: cannot create the file", path);
    int st = write_root(f, c, command_line, complete, err);
    if (st == CS_OK)
        st = write_scenario(f, s, err);
    if (st == CS_OK)
        st = write_calibration(f, s, c, err);
    if (H5Fclose(f) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "%s: cannot close the file", path);
    return st;
}
