/*
 * sensitivity/study.c — planning a sensitivity study: the factors of a
 * scenario's uncertain inputs, the design, and every run's point (see
 * casesim/study.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/study.h"
#include "core/alloc.h"

const char *cs_study_method_name(cs_study_method m)
{
    return m == CS_STUDY_MORRIS ? "morris" : "sobol";
}

void cs_study_free(cs_study *st)
{
    if (!st)
        return;
    free(st->group);
    for (size_t i = 0; st->factor_names && i < st->n_factors; i++)
        free(st->factor_names[i]);
    free(st->factor_names);
    for (size_t i = 0; st->input_names && i < st->n_inputs; i++)
        free(st->input_names[i]);
    free(st->input_names);
    cs_sens_saltelli_free(st->saltelli);
    cs_sens_morris_free(st->morris);
    free(st->u);
    free(st->values);
    free(st);
}

/* The stage an entry's (first) path names ("stages.NAME...."), copied into
 * buf; "" for a path elsewhere. */
static const char *stage_of(const cs_uncertain *u, char *buf, size_t n)
{
    const char *p = u->paths[0];
    buf[0] = '\0';
    if (strncmp(p, "stages.", 7) != 0)
        return buf;
    p += 7;
    size_t len = strcspn(p, ".[");
    if (len >= n)
        len = n - 1;
    memcpy(buf, p, len);
    buf[len] = '\0';
    return buf;
}

/* The factor key of entry e: its group, its stage (group_by_stage), or
 * its own name. */
static const char *factor_key(const cs_uncertain *u, bool by_stage, char *buf, size_t n)
{
    if (u->group && u->group[0])
        return u->group;
    if (by_stage && stage_of(u, buf, n)[0])
        return buf;
    return u->name;
}

/* Numbers the factors in order of first appearance; names them. */
static int make_factors(const cs_scenario *s, bool by_stage, cs_study *st, cs_error *err)
{
    size_t E = s->n_uncertain;
    st->group = cs_xcalloc(st->n_inputs, sizeof *st->group);
    st->factor_names = cs_xcalloc(E, sizeof *st->factor_names);
    st->input_names = cs_xcalloc(st->n_inputs, sizeof *st->input_names);
    if (!st->group || !st->factor_names || !st->input_names)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t e = 0; e < E; e++) {
        const cs_uncertain *u = &s->uncertain[e];
        char buf[CS_MAX_NAME_LEN + 1];
        const char *key = factor_key(u, by_stage, buf, sizeof buf);
        size_t f = 0;
        while (f < st->n_factors && strcmp(st->factor_names[f], key) != 0)
            f++;
        if (f == st->n_factors && !(st->factor_names[st->n_factors++] = cs_xstrdup(key)))
            return cs_error_set(err, CS_ENOMEM, "out of memory");
        for (size_t i = 0; i < u->n_paths; i++) {
            st->group[u->offset + i] = f;
            st->input_names[u->offset + i] = cs_xstrdup(u->n_paths == 1 ? u->name : u->paths[i]);
            if (!st->input_names[u->offset + i])
                return cs_error_set(err, CS_ENOMEM, "out of memory");
        }
    }
    return CS_OK;
}

/* Checks the sizes asked for and allocates the design. */
static int make_design(const cs_study_options *opt, cs_study *st, cs_error *err)
{
    if (opt->method == CS_STUDY_MORRIS) {
        if (opt->trajectories < 2)
            return cs_error_set(err, CS_EINVAL,
                                "Morris screening needs at least 2 trajectories (asked: %zu)",
                                opt->trajectories);
        int rc = cs_sens_morris_alloc(st->n_inputs, st->group, 0, opt->trajectories, opt->seed,
                                      &st->morris, err);
        if (rc == CS_OK) {
            st->n_rows = opt->trajectories;
            st->n_design = st->morris->n_points;
        }
        return rc;
    }
    size_t n = cs_sens_saltelli_rows(opt->samples);
    if (n == 0)
        return cs_error_set(err, CS_EINVAL, "the sample size %zu is outside 1 .. %zu", opt->samples,
                            (size_t)CS_SENS_MAX_ROWS);
    if (n != opt->samples)
        return cs_error_set(err, CS_EINVAL,
                            "the sample size %zu is not a power of two, which a Sobol sample "
                            "needs to be balanced: the design would use %zu (or %zu for a "
                            "shorter run); ask for one of them",
                            opt->samples, n, n / 2 ? n / 2 : 1);
    if (opt->noise_points > n)
        return cs_error_set(err, CS_EINVAL,
                            "%zu noise points asked for, but the design has %zu rows to repeat",
                            opt->noise_points, n);
    int rc = cs_sens_saltelli_alloc(st->n_inputs, st->group, n, 1, opt->seed, &st->saltelli, err);
    if (rc == CS_EINVAL && 2 * st->n_factors > CS_SENS_SOBOL_MAX_DIM && !opt->group_by_stage)
        cs_error_set(err, rc, "or put the entries of each stage in one group: --group-by stage");
    if (rc == CS_OK) {
        st->n_rows = n;
        st->n_design = st->saltelli->n_points;
        st->n_noise = opt->noise_points;
    }
    return rc;
}

/* The unit-cube point of run p. */
static int point_u(const cs_study *st, size_t p, double *u, cs_error *err)
{
    if (p < st->n_design)
        return st->saltelli ? cs_sens_saltelli_point(st->saltelli, p, u, err)
                            : cs_sens_morris_point(st->morris, p, u, NULL, err);
    p -= st->n_design;
    if (p < st->n_noise)
        return cs_sens_saltelli_point(st->saltelli, cs_sens_saltelli_index(st->saltelli, p, 0), u,
                                      err);
    return cs_sens_tornado_point(st->n_inputs, st->group, p - st->n_noise, u, err);
}

/* Every run's coordinates and values. */
static int make_points(const cs_scenario *s, cs_study *st, cs_error *err)
{
    size_t K = st->n_inputs, n;
    st->n_tornado = 1 + 2 * st->n_factors;
    st->n_points = st->n_design + st->n_noise + st->n_tornado;
    if (!cs_size_mul(st->n_points, K, &n))
        return cs_error_set(err, CS_ELIMIT, "too many points");
    st->u = cs_xcalloc(n, sizeof *st->u);
    st->values = cs_xcalloc(n, sizeof *st->values);
    cs_unc_work *w = cs_unc_work_alloc(s->uncertain_set);
    int rc = st->u && st->values && w ? CS_OK : cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t p = 0; p < st->n_points && rc == CS_OK; p++) {
        rc = point_u(st, p, st->u + p * K, err);
        if (rc == CS_OK)
            rc = cs_unc_from_uniform(s->uncertain_set, w, st->u + p * K, st->values + p * K, err);
    }
    cs_unc_work_free(w);
    return rc;
}

int cs_study_alloc(const cs_scenario *s, const cs_study_options *opt, cs_study **out, cs_error *err)
{
    *out = NULL;
    if (s->n_uncertain == 0 || !s->uncertain_set)
        return cs_error_set(err, CS_EINVAL,
                            "%s has no `uncertain:` section: a sensitivity analysis needs "
                            "uncertain inputs to vary (UNCERTAINTY in the scenario guide)",
                            s->path);
    cs_study *st = cs_xcalloc(1, sizeof *st);
    if (!st)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    st->method = opt->method;
    st->seed = opt->seed;
    st->n_inputs = st->n_values = s->n_uncertain_values;
    st->n_correlations = s->n_correlations;
    int rc = make_factors(s, opt->group_by_stage, st, err);
    if (rc == CS_OK)
        rc = make_design(opt, st, err);
    if (rc == CS_OK)
        rc = make_points(s, st, err);
    if (rc != CS_OK) {
        cs_study_free(st);
        return rc;
    }
    *out = st;
    return CS_OK;
}

size_t cs_study_units_done(const cs_study *st, uint64_t done)
{
    uint64_t per = st->n_factors + (st->method == CS_STUDY_SOBOL ? 2 : 1);
    uint64_t units = (done < st->n_design ? done : st->n_design) / per;
    return (size_t)units;
}
