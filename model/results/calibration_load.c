/*
 * results/calibration_load.c — a calibration file's points and sampler state
 * read back for `casesim calibrate --resume` (casesim/calibration_file.h).
 */
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/calibration_file.h"
#include "core/alloc.h"
#include "results/h5util.h"

/* /scenario/source, the scenario text the file was made from. */
static int read_source(hid_t f, char **out, cs_error *err)
{
    hid_t d = H5Dopen2(f, "/scenario/source", H5P_DEFAULT);
    hid_t t = cs_h5_string_type(), sp = H5Screate(H5S_SCALAR);
    char *v = NULL;
    int st = CS_OK;
    if (d < 0 || t < 0 || sp < 0 || H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) < 0) {
        st = cs_h5_fail(err, CS_EFORMAT, "cannot read /scenario/source");
    } else {
        if (!(*out = cs_xstrdup(v ? v : "")))
            st = cs_error_set(err, CS_ENOMEM, "out of memory");
        H5Dvlen_reclaim(t, sp, H5P_DEFAULT, &v);
    }
    cs_h5_close(&sp);
    cs_h5_close(&t);
    cs_h5_close(&d);
    return st;
}

/* One array of the given shape (0: any length, written back). */
static int array(hid_t g, const char *name, cs_type type, int rank, size_t *dims, void *out,
                 cs_error *err)
{
    return cs_h5_read_array(g, name, type, rank, dims, (void **)out, err);
}

/* /calibration/points. */
static int read_points(hid_t cal, cs_calibration *c, cs_error *err)
{
    hid_t g = H5Gopen2(cal, "points", H5P_DEFAULT);
    size_t dz[2] = {0, 0}, dl[1] = {0}, ds[3] = {0, 0, CS_TARGET_SUMS}, dw[1] = {0};
    int st = g >= 0 ? array(g, "z", CS_TYPE_F64, 2, dz, &c->z, err)
                    : cs_h5_fail(err, CS_EFORMAT, "/calibration/points is missing");
    c->n_points = dz[0];
    c->dim = dz[1];
    dl[0] = ds[0] = c->n_points;
    if (st == CS_OK)
        st = array(g, "loglik", CS_TYPE_F64, 1, dl, &c->loglik, err);
    if (st == CS_OK)
        st = array(g, "weight", CS_TYPE_F64, 1, dl, &c->weight, err);
    if (st == CS_OK)
        st = array(g, "target_sums", CS_TYPE_F64, 3, ds, &c->sums, err);
    c->n_targets = ds[1];
    if (st == CS_OK)
        st = array(g, "wave_ess", CS_TYPE_F64, 1, dw, &c->wave_ess, err);
    c->n_waves = dw[0];
    cs_h5_close(&g);
    return st;
}

/* /calibration/state. */
static int read_state(hid_t cal, cs_calibration *c, cs_error *err)
{
    hid_t g = H5Gopen2(cal, "state", H5P_DEFAULT);
    uint64_t n_initial = 0, wave_size = 0;
    int st = g >= 0 ? cs_h5_read_attr_u64(g, "n_initial", &n_initial, err)
                    : cs_h5_fail(err, CS_EFORMAT, "/calibration/state is missing");
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(g, "wave_size", &wave_size, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(g, "checksum", &c->checksum, err);
    c->n_initial = n_initial;
    c->wave_size = wave_size;
    c->n_components = c->n_waves > 0 ? c->n_waves - 1 : 0;
    size_t dc[2] = {c->n_components, c->dim}, dv[3] = {c->n_components, c->dim, c->dim};
    size_t dk[1] = {c->n_components}, dw[1] = {c->n_waves};
    if (st == CS_OK)
        st = array(g, "center", CS_TYPE_F64, 2, dc, &c->center, err);
    if (st == CS_OK)
        st = array(g, "covariance", CS_TYPE_F64, 3, dv, &c->covariance, err);
    if (st == CS_OK)
        st = array(g, "component_size", CS_TYPE_U64, 1, dk, &c->component_size, err);
    if (st == CS_OK)
        st = array(g, "wave_best", CS_TYPE_F64, 1, dw, &c->wave_best, err);
    cs_h5_close(&g);
    return st;
}

/* /calibration's method and seeds (absent in files of earlier builds: IMIS,
 * independent seeds). */
static int read_method(hid_t cal, cs_calibration *c, cs_error *err)
{
    bool point = false;
    c->loglik_fit_seeds = c->loglik_fresh_seeds = c->simplex_size = NAN;
    int st = cs_h5_attr_string_is(cal, "method", "optimize", &point, err);
    if (st == CS_OK)
        st = cs_h5_attr_string_is(cal, "seeds", "common", &c->common_seeds, err);
    c->method = point ? CS_CALIBRATE_OPTIMIZE : CS_CALIBRATE_IMIS;
    return st;
}

int cs_calibration_file_load(const char *path, cs_calibration **out, char **source, cs_error *err)
{
    *out = NULL;
    *source = NULL;
    cs_h5_quiet();
    if (!cs_calibration_file_is(path))
        return cs_error_set(err, CS_EFORMAT, "%s: not a calibration file", path);
    cs_calibration *c = calloc(1, sizeof *c);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), cal = H5I_INVALID_HID;
    int st = c && f >= 0 ? CS_OK : cs_h5_fail(err, CS_EIO, "%s: cannot open", path);
    if (st == CS_OK && (cal = H5Gopen2(f, "calibration", H5P_DEFAULT)) < 0)
        st = cs_h5_fail(err, CS_EFORMAT, "%s: /calibration is missing", path);
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(f, "seed", &c->seed, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(f, "scale", &c->scale, err);
    if (st == CS_OK)
        st = read_points(cal, c, err);
    if (st == CS_OK)
        st = read_state(cal, c, err);
    if (st == CS_OK)
        st = read_method(cal, c, err);
    if (st == CS_OK)
        st = read_source(f, source, err);
    cs_h5_close(&cal);
    cs_h5_close(&f);
    if (st != CS_OK) {
        cs_calibration_free(c);
        free(*source);
        *source = NULL;
        return st;
    }
    *out = c;
    return CS_OK;
}
