/*
 * scenario/durations_load.c — a stage's `duration` and `deadline`, each one
 * value for every case or given per violation kind and/or per group
 * (scenario/by_case.c): the duration families in canonical parameters, and
 * limitation periods with the outcome they lead to.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "scenario/internal.h"

#define Z_0_9 1.2815515655446004 /* 90% quantile of the standard normal */

static const char *const DURATION_KEYS[] = {"fixed",     "exponential", "gamma",
                                            "lognormal", "uniform",     "weibull"};
static const char *const DEADLINE_KEYS[] = {"days", "from", "to"};

/* --------------------------------------------------------------- durations */

/* The families of `duration`, each read from its mapping v (fixed: from a
 * number) into canonical parameters (casesim/scenario.h); on an error d
 * stays CS_DUR_NONE. */

static void duration_fixed(cs_conv *c, const cs_ynode *v, const char *where, cs_duration *d)
{
    (void)where;
    if (cs_conv_num_in(c, v, "fixed", 0, false, HUGE_VAL, &d->a)) {
        d->kind = CS_DUR_FIXED;
        d->mean = d->a;
    }
}

static void duration_exponential(cs_conv *c, const cs_ynode *v, const char *where, cs_duration *d)
{
    const cs_ynode *m = cs_conv_need(c, v, "mean", where);
    if (m && cs_conv_num_in(c, m, "mean", 0, true, HUGE_VAL, &d->a)) {
        d->kind = CS_DUR_EXPONENTIAL;
        d->mean = d->a;
    }
}

/* {mean, cv}: shape k = 1/cv^2, scale theta = mean cv^2. */
static void duration_gamma(cs_conv *c, const cs_ynode *v, const char *where, cs_duration *d)
{
    const cs_ynode *m = cs_conv_need(c, v, "mean", where), *cv = cs_conv_need(c, v, "cv", where);
    double mean, cvv;
    if (!m || !cv || !cs_conv_num_in(c, m, "mean", 0, true, HUGE_VAL, &mean) ||
        !cs_conv_num_in(c, cv, "cv", 0, true, HUGE_VAL, &cvv))
        return;
    d->kind = CS_DUR_GAMMA;
    d->a = 1.0 / (cvv * cvv);
    d->b = mean * cvv * cvv;
    d->mean = mean;
    if (!isfinite(d->a) || !isfinite(d->b) || d->a <= 0 || d->b <= 0) {
        cs_conv_error(c, v, "this gamma distribution cannot be represented (mean %g, cv %g)", mean,
                      cvv);
        d->kind = CS_DUR_NONE;
    }
}

/* Both keys of a pair ({median, p90} or {mean, cv}) into *x and *y, or
 * false after reporting. */
static bool read_pair(cs_conv *c, const cs_ynode *v, const char *kx, const cs_ynode *x,
                      const char *ky, const cs_ynode *y, double *vx, double *vy)
{
    if (!x || !y) {
        cs_conv_error(c, v, "`lognormal` with `%s` also needs `%s`", x ? kx : ky, x ? ky : kx);
        return false;
    }
    return cs_conv_num_in(c, x, kx, 0, true, HUGE_VAL, vx) &&
           cs_conv_num_in(c, y, ky, 0, true, HUGE_VAL, vy);
}

/* {median, p90}: mu = ln median, sigma = ln(p90/median) / z_0.9;
 * {mean, cv}: sigma^2 = ln(1 + cv^2), mu = ln mean - sigma^2/2. */
static void duration_lognormal(cs_conv *c, const cs_ynode *v, const char *where, cs_duration *d)
{
    (void)where;
    const cs_ynode *med = cs_ynode_get(v, "median"), *p90 = cs_ynode_get(v, "p90");
    const cs_ynode *m = cs_ynode_get(v, "mean"), *cv = cs_ynode_get(v, "cv");
    double x, y;
    if ((med || p90) && (m || cv)) {
        cs_conv_error(c, v, "`lognormal` takes either {median, p90} or {mean, cv}, not both");
        return;
    } else if (med || p90) {
        if (!read_pair(c, v, "median", med, "p90", p90, &x, &y))
            return;
        if (!(y > x)) {
            cs_conv_error(c, p90, "`p90` (%g) must be greater than `median` (%g)", y, x);
            return;
        }
        d->a = log(x);
        d->b = log(y / x) / Z_0_9;
    } else if (m || cv) {
        if (!read_pair(c, v, "mean", m, "cv", cv, &x, &y))
            return;
        double s2 = log1p(y * y);
        d->b = sqrt(s2);
        d->a = log(x) - s2 / 2;
    } else {
        cs_conv_error(c, v, "`lognormal` needs {median, p90} or {mean, cv}");
        return;
    }
    d->kind = CS_DUR_LOGNORMAL;
    d->mean = exp(d->a + d->b * d->b / 2);
    if (!isfinite(d->mean) || !isfinite(d->a)) {
        cs_conv_error(c, v, "this lognormal distribution has no finite mean");
        d->kind = CS_DUR_NONE;
    }
}

static void duration_uniform(cs_conv *c, const cs_ynode *v, const char *where, cs_duration *d)
{
    const cs_ynode *lo = cs_conv_need(c, v, "min", where), *hi = cs_conv_need(c, v, "max", where);
    if (!lo || !hi || !cs_conv_num_in(c, lo, "min", 0, false, HUGE_VAL, &d->a) ||
        !cs_conv_num_in(c, hi, "max", 0, false, HUGE_VAL, &d->b))
        return;
    if (d->b < d->a) {
        cs_conv_error(c, hi, "`max` (%g) must not be less than `min` (%g)", d->b, d->a);
        return;
    }
    d->kind = CS_DUR_UNIFORM;
    d->mean = (d->a + d->b) / 2;
}

static void duration_weibull(cs_conv *c, const cs_ynode *v, const char *where, cs_duration *d)
{
    const cs_ynode *k = cs_conv_need(c, v, "shape", where), *l = cs_conv_need(c, v, "scale", where);
    if (!k || !l || !cs_conv_num_in(c, k, "shape", 0, true, HUGE_VAL, &d->a) ||
        !cs_conv_num_in(c, l, "scale", 0, true, HUGE_VAL, &d->b))
        return;
    d->mean = d->b * tgamma(1.0 + 1.0 / d->a);
    if (!isfinite(d->mean)) {
        cs_conv_error(c, v, "this weibull distribution has no finite mean (shape %g too small)",
                      d->a);
        return;
    }
    d->kind = CS_DUR_WEIBULL;
}

static const char *const EXP_K[] = {"mean"};
static const char *const GAMMA_K[] = {"mean", "cv"};
static const char *const LN_K[] = {"median", "p90", "mean", "cv"};
static const char *const UNI_K[] = {"min", "max"};
static const char *const WEI_K[] = {"shape", "scale"};

/* The families, by the key that names them (DURATION_KEYS); keys NULL: a
 * number, not a mapping. */
static const struct {
    const char *name;
    const char *const *keys;
    size_t n_keys;
    void (*read)(cs_conv *c, const cs_ynode *v, const char *where, cs_duration *d);
} families[] = {
    {"fixed", NULL, 0, duration_fixed},
    {"exponential", EXP_K, N_OF(EXP_K), duration_exponential},
    {"gamma", GAMMA_K, N_OF(GAMMA_K), duration_gamma},
    {"lognormal", LN_K, N_OF(LN_K), duration_lognormal},
    {"uniform", UNI_K, N_OF(UNI_K), duration_uniform},
    {"weibull", WEI_K, N_OF(WEI_K), duration_weibull},
};

void cs_load_duration(cs_conv *c, const cs_ynode *n, const char *what, cs_duration *d)
{
    *d = (cs_duration){.kind = CS_DUR_NONE};
    char key[64];
    snprintf(key, sizeof key, "`%s`", what);
    if (!cs_conv_is_map(c, n, key))
        return;
    if (n->n != 1) {
        cs_conv_error(c, n,
                      "%s must name exactly one distribution (one of fixed, exponential, "
                      "gamma, lognormal, uniform, weibull), got %zu keys",
                      key, n->n);
        return;
    }
    cs_conv_check_keys(c, n, key, DURATION_KEYS, N_OF(DURATION_KEYS));
    const char *fam = n->keys[0]->value;
    const cs_ynode *v = n->items[0];
    char where[64];
    snprintf(where, sizeof where, "`%s`", fam);
    for (size_t i = 0; i < N_OF(families); i++) {
        if (strcmp(fam, families[i].name) != 0)
            continue;
        if (families[i].keys) {
            if (!cs_conv_is_map(c, v, where))
                return;
            cs_conv_check_keys(c, v, where, families[i].keys, families[i].n_keys);
        }
        families[i].read(c, v, where, d);
        return;
    }
}

/* `from`: incident or stage. */
static bool read_from(cs_conv *c, const cs_ynode *from, cs_deadline *d)
{
    if (from->kind == CS_YNODE_SCALAR && strcmp(from->value, "incident") == 0)
        d->from = CS_FROM_INCIDENT;
    else if (from->kind == CS_YNODE_SCALAR && strcmp(from->value, "stage") == 0)
        d->from = CS_FROM_STAGE;
    else {
        cs_conv_error(c, from, "`from` must be `incident` or `stage`, got %s%s%.40s%s",
                      cs_ynode_kind_name(from), from->kind == CS_YNODE_SCALAR ? " `" : "",
                      from->kind == CS_YNODE_SCALAR ? from->value : "",
                      from->kind == CS_YNODE_SCALAR ? "`" : "");
        return false;
    }
    return true;
}

/* The deadline's `to`: an outcome. */
static bool read_deadline_to(cs_conv *c, const cs_names *nm, const cs_ynode *to, cs_deadline *d)
{
    cs_target t;
    if (to->kind != CS_YNODE_SCALAR || cs_ynode_is_null(to)) {
        cs_conv_error(c, to, "the deadline's `to` must name an outcome, got %s",
                      cs_ynode_kind_name(to));
        return false;
    }
    if (cs_names_outcome(nm, to->value, &d->outcome))
        return true;
    if (cs_names_target(nm, to->value, &t))
        cs_conv_error(c, to, "the deadline's `to` must name an outcome; `%s` is a stage",
                      to->value);
    else
        cs_conv_unknown(c, to, "outcome", "", to->value, nm->outcome, nm->n_outcomes);
    return false;
}

/* One deadline {days, from, to}, or nothing (`~`: no deadline for these
 * cases). A leaf of cs_conv_by_case. */
static bool read_deadline(cs_conv *c, const cs_ynode *n, const char *what, void *ctx, void *out)
{
    const cs_names *nm = ctx;
    cs_deadline *d = out;
    *d = (cs_deadline){.on = false};
    if (cs_ynode_is_null(n))
        return true;
    char where[160];
    snprintf(where, sizeof where, "`%s`", what);
    if (!cs_conv_is_map(c, n, where))
        return false;
    cs_conv_check_keys(c, n, where, DEADLINE_KEYS, N_OF(DEADLINE_KEYS));
    const cs_ynode *days = cs_conv_need(c, n, "days", where);
    const cs_ynode *from = cs_conv_need(c, n, "from", where);
    const cs_ynode *to = cs_conv_need(c, n, "to", where);
    bool ok = days && from && to;
    if (days)
        ok &= cs_conv_num_in(c, days, "days", 0, false, HUGE_VAL, &d->days);
    if (from)
        ok &= read_from(c, from, d);
    /* On when the outcome resolved, even if another field failed (the
     * scenario is refused anyway): the outcome then counts as reached. */
    d->on = to && read_deadline_to(c, nm, to, d);
    return ok && d->on;
}

/* One duration: a leaf of cs_conv_by_case. */
static bool read_duration_leaf(cs_conv *c, const cs_ynode *n, const char *what, void *ctx,
                               void *out)
{
    (void)what;
    (void)ctx;
    size_t before = c->errors;
    cs_load_duration(c, n, "duration", out);
    return c->errors == before;
}

/* All the kinds of s, as a bit mask. */
static uint32_t all_kinds(const cs_scenario *s)
{
    return s->n_violations >= 32 ? UINT32_MAX : (UINT32_C(1) << s->n_violations) - 1;
}

void cs_load_stage_cases(cs_conv *c, const cs_names *nm, const cs_ynode *m, const cs_scenario *s,
                         cs_stage *st)
{
    size_t cells = s->n_violations * s->n_groups;
    st->durations = cs_conv_mem(c, cs_xcalloc(cells ? cells : 1, sizeof *st->durations));
    st->deadlines = cs_conv_mem(c, cs_xcalloc(cells ? cells : 1, sizeof *st->deadlines));
    if (!st->durations || !st->deadlines || cells == 0)
        return;
    const cs_ynode *n;
    if ((n = cs_ynode_get(m, "duration"))) {
        cs_case_reader r = {.what = "duration",
                            .map_is_leaf = true,
                            .kinds = all_kinds(s),
                            .elem = sizeof(cs_duration),
                            .read = read_duration_leaf};
        cs_conv_by_case(c, n, s, &r, st->durations, &st->duration_by);
    }
    if ((n = cs_ynode_get(m, "deadline"))) {
        cs_case_reader r = {.what = "deadline",
                            .map_is_leaf = true,
                            .kinds = all_kinds(s),
                            .elem = sizeof(cs_deadline),
                            .read = read_deadline,
                            .ctx = (void *)nm};
        cs_conv_by_case(c, n, s, &r, st->deadlines, &st->deadline_by);
    }
    for (size_t i = 0; i < cells; i++)
        st->has_deadline |= st->deadlines[i].on;
}
