/*
 * calibrate/calibrate.c — the IMIS loop of `casesim calibrate`: ask a wave,
 * simulate it, score the fitted targets, tell, until a stopping rule
 * (casesim/calibrate.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calibrate/internal.h"
#include "core/alloc.h"

void cs_calibrate_config_default(cs_calibrate_config *cfg, const cs_scenario *s)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->seed = s->seed;
    cfg->scale = 1;
    cfg->target_ess = 1000.0;
    cfg->max_evaluations = 50000;
}

void cs_calibration_free(cs_calibration *c)
{
    if (!c)
        return;
    free(c->z);
    free(c->values);
    free(c->loglik);
    free(c->weight);
    free(c->sums);
    free(c->wave_ess);
    free(c->message);
    free(c->inputs);
    free(c->correlation);
    free(c->findings);
    free(c->predictive);
    free(c->center);
    free(c->covariance);
    free(c->component_size);
    free(c->wave_best);
    free(c);
}

double cs_calibrate_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The scenario and settings a calibration needs. */
static int check_setup(const cs_scenario *s, const cs_calibrate_config *cfg, cs_error *err)
{
    size_t fitted = 0;
    for (size_t t = 0; t < s->n_targets; t++)
        fitted += !s->targets[t].holdout;
    if (!s->uncertain_set || s->n_uncertain_values == 0)
        return cs_error_set(err, CS_EINVAL,
                            "%s: nothing to calibrate: the scenario has no `uncertain:` inputs "
                            "(their priors are what calibration turns into a posterior)",
                            s->path);
    if (cfg->predictive && (s->n_targets == 0 || cfg->resume || cfg->method != CS_CALIBRATE_IMIS))
        return cs_error_set(err, CS_EINVAL, "%s: %s", s->path,
                            s->n_targets == 0 ? "nothing to check: the scenario has no `targets:`"
                                              : "a predictive check is neither resumed nor a "
                                                "point fit");
    if (fitted == 0 && !cfg->predictive)
        return cs_error_set(err, CS_EINVAL,
                            "%s: nothing to fit: the scenario has no `targets:` that are not "
                            "held out",
                            s->path);
    if (s->n_uncertain_values > CS_CALIB_MAX_DIM)
        return cs_error_set(err, CS_ELIMIT,
                            "%s: %zu uncertain values; calibration handles at most %d", s->path,
                            s->n_uncertain_values, CS_CALIB_MAX_DIM);
    if (cfg->use_mpi && cfg->resume)
        return cs_error_set(err, CS_EINVAL, "calibrate: --resume runs on one MPI rank only");
    if (cfg->scale < 1 || cfg->scale > CS_MAX_REPLICATES)
        return cs_error_set(err, CS_EINVAL, "--scale must be 1 to %d", CS_MAX_REPLICATES);
    return CS_OK;
}

int cs_calibrate_score(const cs_scenario *s, const cs_calibrate_config *cfg, const double *sums,
                       size_t n, double *loglik, cs_error *err)
{
    size_t T = s->n_targets;
    for (size_t i = 0; i < n; i++) {
        double ll = 0.0;
        for (size_t t = 0; t < T; t++) {
            if (s->targets[t].holdout || cfg->predictive)
                continue; /* a predictive check weighs every point the same */
            double l = cs_target_loglik(&s->targets[t], sums + (i * T + t) * CS_TARGET_SUMS,
                                        (double)cfg->scale);
            if (isnan(l))
                return cs_error_set(err, CS_EINTERNAL, "calibrate: target %s: no likelihood",
                                    s->targets[t].name);
            ll += l;
        }
        loglik[i] = ll;
    }
    return CS_OK;
}

/* Makes room for `need` points' sums in c. */
static int grow_sums(cs_calibration *c, size_t *cap, size_t need, cs_error *err)
{
    if (need <= *cap)
        return CS_OK;
    size_t ncap = need > 2 * *cap ? need : 2 * *cap;
    size_t row = c->n_targets * CS_TARGET_SUMS;
    void *p = realloc(c->sums, ncap * row * sizeof *c->sums);
    if (!p)
        return cs_error_set(err, CS_ENOMEM, "calibrate: out of memory (target sums)");
    c->sums = p;
    *cap = ncap;
    return CS_OK;
}

/* The IMIS settings from cfg. */
static int imis_config(const cs_scenario *s, const cs_calibrate_config *cfg,
                       cs_calib_imis_config *ic, cs_error *err)
{
    cs_calib_imis_config_default(ic, s->n_uncertain_values);
    ic->seed = cfg->seed;
    ic->target_ess = cfg->target_ess;
    ic->max_evaluations = cfg->max_evaluations;
    if (cfg->n_initial)
        ic->n_initial = cfg->n_initial;
    if (cfg->wave_size)
        ic->wave_size = ic->n_neighbours = cfg->wave_size;
    if (cfg->stall_waves)
        ic->stall_waves = cfg->stall_waves;
    if (ic->max_evaluations < ic->n_initial || cfg->predictive)
        ic->max_evaluations = ic->n_initial; /* a predictive check: the Sobol wave only */
    return cs_calib_imis_config_check(ic, err);
}

/* Runs waves until IMIS stops or cfg->stop is set. */
static int run_waves(const cs_scenario *s, const cs_calibrate_config *cfg, cs_calib_imis *m,
                     cs_calibration *c, size_t done, cs_error *err)
{
    size_t cap = done;
    double *ll = NULL;
    int st = CS_OK;
    while (st == CS_OK && cs_calib_imis_status(m) == CS_CALIB_RUNNING) {
        const double *z;
        size_t n;
        cs_calib_imis_ask(m, &z, &n);
        double *nl = realloc(ll, n * sizeof *ll);
        if (!nl) {
            st = cs_error_set(err, CS_ENOMEM, "calibrate: out of memory");
            break;
        }
        ll = nl;
        if ((st = grow_sums(c, &cap, done + n, err)) != CS_OK)
            break;
        double *sums = c->sums + done * c->n_targets * CS_TARGET_SUMS;
        double t0 = cs_calibrate_now();
        st = cs_calibrate_evaluate(s, cfg, z, n, done, sums, err);
        c->seconds_engine += cs_calibrate_now() - t0;
        if (st != CS_OK || (st = cs_calibrate_score(s, cfg, sums, n, ll, err)) != CS_OK ||
            (st = cs_calib_imis_tell(m, ll, n, err)) != CS_OK)
            break;
        done += n;
        c->evaluated += n;
        if (cfg->on_wave && (st = cfg->on_wave(cfg->on_wave_ctx, m, err)) != CS_OK)
            break;
        if (cs_calibrate_stopped(cfg))
            st = cs_error_set(err, CS_EINTERRUPTED, "calibrate: interrupted after wave %zu",
                              cs_calib_imis_ask(m, &z, &n));
    }
    free(ll);
    return st;
}

/* Copies the sampler's state (beyond its points) into c, to resume from. */
static int take_state(const cs_calib_imis_state *st, cs_calibration *c)
{
    size_t K = st->n_components, D = st->dim, W = K + 1;
    c->n_components = K;
    c->checksum = st->checksum;
    c->center = cs_xcalloc(K * D + 1, sizeof *c->center);
    c->covariance = cs_xcalloc(K * D * D + 1, sizeof *c->covariance);
    c->component_size = cs_xcalloc(K + 1, sizeof *c->component_size);
    c->wave_best = cs_xcalloc(W, sizeof *c->wave_best);
    if (!c->center || !c->covariance || !c->component_size || !c->wave_best)
        return CS_ENOMEM;
    memcpy(c->center, st->center, K * D * sizeof *c->center);
    memcpy(c->covariance, st->covariance, K * D * D * sizeof *c->covariance);
    memcpy(c->component_size, st->wave_size, K * sizeof *c->component_size);
    memcpy(c->wave_best, st->best_logpost, W * sizeof *c->wave_best);
    return CS_OK;
}

/* Copies IMIS's weighted sample into c. */
static int take_result(const cs_calib_imis *m, cs_calibration *c, cs_error *err)
{
    cs_calib_imis_result r;
    cs_calib_imis_get_result(m, &r);
    cs_calib_imis_state stt;
    cs_calib_imis_get_state(m, &stt);
    size_t n = r.n_points, D = r.dim;
    c->status = r.status;
    if (n == 0)
        return CS_OK; /* interrupted before the first wave was finished */
    c->n_points = n;
    c->n_waves = r.n_waves;
    c->z = cs_xcalloc(n * D, sizeof *c->z);
    c->loglik = cs_xcalloc(n, sizeof *c->loglik);
    c->weight = cs_xcalloc(n, sizeof *c->weight);
    c->wave_ess = cs_xcalloc(r.n_waves, sizeof *c->wave_ess);
    c->message = cs_xstrdup(cs_calib_imis_message(m));
    if (!c->z || !c->loglik || !c->weight || !c->wave_ess || !c->message)
        return cs_error_set(err, CS_ENOMEM, "calibrate: out of memory");
    memcpy(c->z, r.z, n * D * sizeof *c->z);
    memcpy(c->loglik, r.loglik, n * sizeof *c->loglik);
    memcpy(c->weight, r.weight, n * sizeof *c->weight);
    memcpy(c->wave_ess, stt.ess, r.n_waves * sizeof *c->wave_ess);
    if (take_state(&stt, c) != CS_OK)
        return cs_error_set(err, CS_ENOMEM, "calibrate: out of memory");
    c->ess = r.ess;
    c->log_evidence = r.log_evidence;
    c->best_logpost = r.best_logpost;
    c->status = r.status;
    return CS_OK;
}

/* How a predictive check ended, in c's message. */
static int predictive_message(cs_calibration *c, cs_error *err)
{
    static const char *fmt = "predictive check: %zu points of the scenario's `uncertain:` (Sobol), "
                             "equally weighted; nothing was fitted";
    char buf[200];
    snprintf(buf, sizeof buf, fmt, c->n_points);
    free(c->message);
    c->predictive_check = true;
    c->message = cs_xstrdup(buf);
    return c->message ? CS_OK : cs_error_set(err, CS_ENOMEM, "calibrate: out of memory");
}

/* The sampler restored from cfg->resume, and its points' sums copied into
 * c; *done is the points already evaluated. */
static int start_resumed(const cs_scenario *s, const cs_calibrate_config *cfg,
                         const cs_calib_imis_config *ic, cs_calibration *c, cs_calib_imis **m,
                         size_t *done, cs_error *err)
{
    const cs_calibration *r = cfg->resume;
    if (r->dim != c->dim || r->n_targets != s->n_targets || r->seed != cfg->seed ||
        r->scale != cfg->scale || r->n_initial != ic->n_initial || r->wave_size != ic->wave_size ||
        r->common_seeds != cfg->common_seeds)
        return cs_error_set(err, CS_EINVAL,
                            "calibrate: the calibration to resume was made with other inputs, "
                            "targets, seed, scale, wave sizes or seeds (common or not)");
    cs_calib_imis_state st = {.dim = r->dim,
                              .n_initial = r->n_initial,
                              .n_points = r->n_points,
                              .n_components = r->n_components,
                              .seed = r->seed,
                              .z = r->z,
                              .loglik = r->loglik,
                              .center = r->center,
                              .covariance = r->covariance,
                              .wave_size = r->component_size,
                              .ess = r->wave_ess,
                              .best_logpost = r->wave_best,
                              .checksum = r->checksum};
    size_t row = s->n_targets * CS_TARGET_SUMS;
    c->sums = cs_xcalloc(r->n_points * row + 1, sizeof *c->sums);
    if (!c->sums)
        return cs_error_set(err, CS_ENOMEM, "calibrate: out of memory");
    memcpy(c->sums, r->sums, r->n_points * row * sizeof *c->sums);
    *done = r->n_points;
    return cs_calib_imis_restore(ic, &st, m, err);
}

int cs_calibrate_run(const cs_scenario *s, const cs_calibrate_config *cfg, cs_calibration **out,
                     cs_error *err)
{
    *out = NULL;
    cs_calib_imis_config ic;
    int st = check_setup(s, cfg, err);
    if (st == CS_OK && cfg->method == CS_CALIBRATE_OPTIMIZE)
        return cs_calibrate_optimize(s, cfg, out, err);
    if (st != CS_OK || (st = imis_config(s, cfg, &ic, err)) != CS_OK)
        return st;
    cs_calibration *c = calloc(1, sizeof *c);
    cs_calib_imis *m = NULL;
    if (!c)
        return cs_error_set(err, CS_ENOMEM, "calibrate: out of memory");
    c->dim = s->n_uncertain_values;
    c->n_targets = s->n_targets;
    c->seed = cfg->seed;
    c->scale = cfg->scale;
    c->common_seeds = cfg->common_seeds;
    c->loglik_fit_seeds = c->loglik_fresh_seeds = c->simplex_size = NAN;
    double t0 = cs_calibrate_now();
    c->n_initial = ic.n_initial;
    c->wave_size = ic.wave_size;
    size_t done = 0;
    if ((st = cfg->resume ? start_resumed(s, cfg, &ic, c, &m, &done, err)
                          : cs_calib_imis_alloc(&ic, &m, err)) != CS_OK)
        goto fail;
    st = run_waves(s, cfg, m, c, done, err);
    if (st != CS_OK && st != CS_EINTERRUPTED)
        goto fail;
    int st2 = take_result(m, c, err);
    if (st2 == CS_OK && cfg->predictive)
        st2 = predictive_message(c, err);
    if (st2 == CS_OK && c->n_points > 0)
        st2 = cs_calibrate_summarise(s, c, err);
    if (st2 != CS_OK) {
        st = st2;
        goto fail;
    }
    cs_calib_imis_free(m);
    c->seconds_total = cs_calibrate_now() - t0;
    *out = c;
    return st;
fail:
    cs_calib_imis_free(m);
    cs_calibration_free(c);
    return st;
}
