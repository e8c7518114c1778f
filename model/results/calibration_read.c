/*
 * results/calibration_read.c — the summaries of a calibration file, for
 * `casesim report` (casesim/calibration_file.h).
 */
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/calibration_file.h"
#include "casesim/schema.h"
#include "core/alloc.h"
#include "results/h5util.h"

bool cs_calibration_file_is(const char *path)
{
    cs_h5_quiet();
    FILE *probe = fopen(path, "rb");
    if (!probe)
        return false;
    fclose(probe);
    if (H5Fis_hdf5(path) <= 0)
        return false;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    char *format = NULL;
    bool is = f >= 0 && cs_h5_read_attr_string(f, "format", &format, NULL) == CS_OK &&
              strcmp(format, CS_CALIBRATION_FORMAT) == 0;
    free(format);
    cs_h5_close(&f);
    H5Eclear2(H5E_DEFAULT);
    return is;
}

/* A 1-D column of n doubles (n already known from the table's names). */
static int read_column(hid_t g, const char *name, size_t n, double **out, cs_error *err)
{
    size_t dims[1] = {n};
    void *p = NULL;
    int st = cs_h5_read_array(g, name, CS_TYPE_F64, 1, dims, &p, err);
    *out = p;
    return st;
}

static void targets_free(cs_calibration_targets *t)
{
    cs_h5_free_strings(t->name, t->n);
    cs_h5_free_strings(t->kind, t->n);
    cs_h5_free_strings(t->period, t->n);
    cs_h5_free_strings(t->source, t->n);
    double *cols[] = {t->observed, t->mean, t->sd, t->lower, t->upper, t->z, t->pit};
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        free(cols[i]);
}

/* /calibration/fitted or /held_out. */
static int read_targets(hid_t cal, const char *name, cs_calibration_targets *t, cs_error *err)
{
    hid_t g = H5Gopen2(cal, name, H5P_DEFAULT);
    if (g < 0)
        return cs_h5_fail(err, CS_EFORMAT, "/calibration/%s is missing", name);
    size_t n[4];
    int st = cs_h5_read_strings(g, "name", &t->name, &n[0], err);
    if (st == CS_OK)
        st = cs_h5_read_strings(g, "kind", &t->kind, &n[1], err);
    if (st == CS_OK)
        st = cs_h5_read_strings(g, "period", &t->period, &n[2], err);
    if (st == CS_OK)
        st = cs_h5_read_strings(g, "source", &t->source, &n[3], err);
    t->n = n[0];
    if (st == CS_OK && (n[1] != n[0] || n[2] != n[0] || n[3] != n[0]))
        st = cs_error_set(err, CS_EFORMAT, "/calibration/%s: columns of different lengths", name);
    static const char *const COLS[] = {
        "observed", "predictive_mean", "predictive_sd", "lower", "upper", "z", "pit"};
    double **dst[] = {&t->observed, &t->mean, &t->sd, &t->lower, &t->upper, &t->z, &t->pit};
    for (size_t j = 0; st == CS_OK && j < 7; j++)
        st = read_column(g, COLS[j], t->n, dst[j], err);
    cs_h5_close(&g);
    return st;
}

/* /calibration/inputs and the findings. */
static int read_inputs(hid_t cal, cs_calibration_file *c, cs_error *err)
{
    hid_t g = H5Gopen2(cal, "inputs", H5P_DEFAULT);
    if (g < 0)
        return cs_h5_fail(err, CS_EFORMAT, "/calibration/inputs is missing");
    int st = cs_h5_read_strings(g, "name", &c->input_names, &c->n_inputs, err);
    static const char *const COLS[] = {"prior_median",     "prior_lower",     "prior_upper",
                                       "posterior_median", "posterior_lower", "posterior_upper",
                                       "shrinkage"};
    double **dst[] = {&c->prior_median,     &c->prior_lower,     &c->prior_upper,
                      &c->posterior_median, &c->posterior_lower, &c->posterior_upper,
                      &c->shrinkage};
    for (size_t j = 0; st == CS_OK && j < 7; j++)
        st = read_column(g, COLS[j], c->n_inputs, dst[j], err);
    cs_h5_close(&g);
    if (st == CS_OK)
        st = cs_h5_read_strings(cal, "findings", &c->findings, &c->n_findings, err);
    return st;
}

/* The root's and /calibration's attributes. */
static int read_attrs(hid_t f, hid_t cal, cs_calibration_file *c, cs_error *err)
{
    hid_t sc = H5Gopen2(f, "scenario", H5P_DEFAULT);
    int st = sc >= 0 ? cs_h5_read_attr_string(sc, "name", &c->scenario_name, err)
                     : cs_h5_fail(err, CS_EFORMAT, "/scenario is missing");
    cs_h5_close(&sc);
    if (st == CS_OK)
        st = cs_h5_read_attr_string(f, "status", &c->status, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_string(f, "command_line", &c->command_line, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(f, "seed", &c->seed, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(f, "scale", &c->scale, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_string(f, "created", &c->created, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_string(f, "casesim_version", &c->casesim_version, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_string(cal, "stop", &c->stop, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_string(cal, "message", &c->message, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_double(cal, "ess", &c->ess, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(cal, "evaluations", &c->evaluations, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(cal, "waves", &c->waves, err);
    c->loglik_fit_seeds = c->loglik_fresh_seeds = NAN;
    /* Optional in format 1.2: absent in files of builds before the point fit. */
    if (st == CS_OK && H5Aexists(cal, "method") > 0)
        st = cs_h5_read_attr_string(cal, "method", &c->method, err);
    if (st == CS_OK)
        st = cs_h5_attr_string_is(cal, "seeds", "common", &c->common_seeds, err);
    if (st == CS_OK && H5Aexists(cal, "loglik_fit_seeds") > 0)
        st = cs_h5_read_attr_double(cal, "loglik_fit_seeds", &c->loglik_fit_seeds, err);
    if (st == CS_OK && H5Aexists(cal, "loglik_fresh_seeds") > 0)
        st = cs_h5_read_attr_double(cal, "loglik_fresh_seeds", &c->loglik_fresh_seeds, err);
    return st;
}

/* The format and major version. */
static int check_format(hid_t f, const char *path, cs_error *err)
{
    char *format = NULL;
    int v[2] = {0, 0};
    int st = cs_h5_read_attr_string(f, "format", &format, err);
    if (st == CS_OK && strcmp(format, CS_CALIBRATION_FORMAT) != 0)
        st =
            cs_error_set(err, CS_EFORMAT, "%s: not a calibration file (format '%s')", path, format);
    if (st == CS_OK)
        st = cs_h5_read_attr_ints(f, "format_version", v, 2, err);
    if (st == CS_OK && v[0] != CS_RESULTS_VERSION_MAJOR)
        st = cs_error_set(err, CS_EFORMAT, "%s: format version %d.%d; this casesim reads %d.x",
                          path, v[0], v[1], CS_RESULTS_VERSION_MAJOR);
    free(format);
    return st;
}

int cs_calibration_file_read(const char *path, cs_calibration_file **out, cs_error *err)
{
    *out = NULL;
    cs_h5_quiet();
    cs_calibration_file *c = calloc(1, sizeof *c);
    if (!c)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), cal = H5I_INVALID_HID;
    int st = f >= 0 ? check_format(f, path, err)
                    : cs_h5_fail(err, CS_EFORMAT, "%s: not an HDF5 file, or a damaged one", path);
    if (st == CS_OK && (cal = H5Gopen2(f, "calibration", H5P_DEFAULT)) < 0)
        st = cs_h5_fail(err, CS_EFORMAT, "%s: /calibration is missing", path);
    if (st == CS_OK)
        st = read_attrs(f, cal, c, err);
    if (st == CS_OK && c->evaluations > 0) {
        st = read_inputs(cal, c, err);
        if (st == CS_OK)
            st = read_targets(cal, "fitted", &c->fitted, err);
        if (st == CS_OK)
            st = read_targets(cal, "held_out", &c->held_out, err);
    }
    cs_h5_close(&cal);
    cs_h5_close(&f);
    if (st != CS_OK) {
        cs_calibration_file_free(c);
        return st;
    }
    *out = c;
    return CS_OK;
}

void cs_calibration_file_free(cs_calibration_file *c)
{
    if (!c)
        return;
    char *strs[] = {c->scenario_name, c->status, c->stop,    c->message,
                    c->command_line,  c->method, c->created, c->casesim_version};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(strs[i]);
    cs_h5_free_strings(c->input_names, c->n_inputs);
    double *cols[] = {c->prior_median,    c->prior_lower,     c->prior_upper, c->posterior_median,
                      c->posterior_lower, c->posterior_upper, c->shrinkage};
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        free(cols[i]);
    cs_h5_free_strings(c->findings, c->n_findings);
    targets_free(&c->fitted);
    targets_free(&c->held_out);
    free(c);
}

/* The name of value d of s as a calibration file records it. */
static const char *value_name(const cs_scenario *s, size_t d)
{
    for (size_t e = 0; e < s->n_uncertain; e++) {
        const cs_uncertain *u = &s->uncertain[e];
        if (d >= u->offset && d < u->offset + u->n_paths)
            return u->n_paths > 1 ? u->paths[d - u->offset] : u->name;
    }
    return "";
}

int cs_calibration_file_check_inputs(const cs_calibration_file *f, const cs_scenario *s,
                                     const char *path, cs_error *err)
{
    size_t D = s->n_uncertain_values;
    if (f->n_inputs != D || !s->uncertain_set)
        return cs_error_set(err, CS_EUSAGE,
                            "%s calibrated %zu uncertain values; %s has %zu: a posterior "
                            "applies to the same uncertain inputs only",
                            path, f->n_inputs, s->path, D);
    const double p[3] = {0.5, 0.025, 0.975};
    const double *want[3] = {f->prior_median, f->prior_lower, f->prior_upper};
    double *v = cs_xcalloc(D, sizeof *v);
    int st = v ? CS_OK : cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t d = 0; st == CS_OK && d < D; d++) {
        if (strcmp(f->input_names[d], value_name(s, d)) != 0)
            st = cs_error_set(err, CS_EUSAGE,
                              "%s calibrated `%s` where %s has `%s`: a posterior applies to the "
                              "same uncertain inputs only",
                              path, f->input_names[d], s->path, value_name(s, d));
    }
    for (size_t k = 0; st == CS_OK && k < 3; k++) {
        st = cs_unc_percentiles(s->uncertain_set, p[k], v, err);
        for (size_t d = 0; st == CS_OK && d < D; d++) {
            if (v[d] != want[k][d])
                st = cs_error_set(err, CS_EUSAGE,
                                  "the prior of `%s` in %s is not the one %s calibrated: a "
                                  "posterior applies to the same priors only",
                                  f->input_names[d], s->path, path);
        }
    }
    free(v);
    return st;
}
