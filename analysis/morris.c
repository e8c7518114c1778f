/* morris.c — Morris's elementary effects (Morris 1991) with mu* (Campolongo,
 * Cariboni and Saltelli 2007): trajectories on a p-level grid of cell
 * midpoints, and mu, mu*, sigma with a bootstrap interval on mu* (see
 * include/casesim/sensitivity.h, which gives the formulas). */
#include "casesim/sensitivity.h"

#include <math.h>
#include <stdlib.h>

#include "casesim/stats.h"
#include "sensitivity_internal.h"

/* Draws trajectory t from its stream (seed, MORRIS, t): each factor's
 * direction, each input's start level on the half of the grid its factor's
 * jump stays on, and the order of the factors (Fisher-Yates). */
static void draw_trajectory(cs_sens_morris *d, size_t t)
{
    size_t k = d->n_inputs, nd = d->n_factors, half = d->n_levels / 2;
    signed char *dir = d->dir + t * nd;
    size_t *order = d->order + t * nd;
    cs_pcg32 g;
    cs_sens_stream(&g, d->seed, CS_SENS_STREAM_MORRIS, t, 0, 0);
    for (size_t f = 0; f < nd; f++)
        dir[f] = cs_stats_uniform_index(&g, 2) ? 1 : -1;
    for (size_t c = 0; c < k; c++) {
        uint32_t lv = cs_stats_uniform_index(&g, (uint32_t)half);
        d->start[t * k + c] = (unsigned char)(dir[d->group[c]] > 0 ? lv : lv + half);
    }
    for (size_t f = 0; f < nd; f++)
        order[f] = f;
    for (size_t f = nd; f > 1; f--) {
        size_t j = cs_stats_uniform_index(&g, (uint32_t)f);
        size_t tmp = order[f - 1];
        order[f - 1] = order[j];
        order[j] = tmp;
    }
}

static int check_morris_args(size_t *n_levels, size_t n_traj, size_t n_inputs, cs_error *err)
{
    if (*n_levels == 0)
        *n_levels = 4;
    if (*n_levels % 2 != 0 || *n_levels < 2 || *n_levels > 64)
        return cs_error_set(err, CS_EINVAL,
                            "sensitivity: Morris needs an even number of levels from 2 to 64 "
                            "(the jump is half the grid), not %zu",
                            *n_levels);
    if (n_traj < 2 || n_traj > UINT32_MAX)
        return cs_error_set(err, CS_EINVAL,
                            "sensitivity: Morris needs at least 2 trajectories, not %zu", n_traj);
    if (cs_sens_mul(n_traj, n_inputs + 1) == SIZE_MAX ||
        cs_sens_mul(n_traj, n_inputs + 1) > SIZE_MAX / sizeof(size_t))
        return cs_error_set(err, CS_ELIMIT, "sensitivity: too many Morris trajectories");
    return CS_OK;
}

int cs_sens_morris_alloc(size_t n_inputs, const size_t *group, size_t n_levels, size_t n_traj,
                         uint64_t seed, cs_sens_morris **out, cs_error *err)
{
    *out = NULL;
    int st = check_morris_args(&n_levels, n_traj, n_inputs, err);
    if (st != CS_OK)
        return st;
    cs_sens_morris *d = calloc(1, sizeof *d);
    if (!d)
        return cs_error_set(err, CS_ENOMEM, "sensitivity: out of memory for a Morris design");
    st = cs_sens_copy_groups(n_inputs, group, &d->group, &d->n_factors, err);
    if (st != CS_OK)
        goto fail;
    d->n_inputs = n_inputs;
    d->n_levels = n_levels;
    d->n_traj = n_traj;
    d->n_points = n_traj * (d->n_factors + 1);
    d->seed = seed;
    d->start = malloc(n_traj * n_inputs);
    d->order = malloc(n_traj * d->n_factors * sizeof *d->order);
    d->dir = malloc(n_traj * d->n_factors);
    if (!d->start || !d->order || !d->dir) {
        st =
            cs_error_set(err, CS_ENOMEM, "sensitivity: out of memory for %zu trajectories", n_traj);
        goto fail;
    }
    for (size_t t = 0; t < n_traj; t++)
        draw_trajectory(d, t);
    *out = d;
    return CS_OK;
fail:
    cs_sens_morris_free(d);
    return st;
}

void cs_sens_morris_free(cs_sens_morris *d)
{
    if (!d)
        return;
    free(d->group);
    free(d->start);
    free(d->order);
    free(d->dir);
    free(d);
}

/* The step of trajectory t (1..D) at which factor f moves. */
static size_t step_of(const cs_sens_morris *d, size_t t, size_t f)
{
    const size_t *order = d->order + t * d->n_factors;
    size_t s = 0;
    while (order[s] != f)
        s++;
    return s + 1;
}

int cs_sens_morris_point(const cs_sens_morris *d, size_t p, double *u, size_t *level, cs_error *err)
{
    if (p >= d->n_points)
        return cs_error_set(err, CS_EINVAL, "sensitivity: Morris point %zu of %zu", p, d->n_points);
    size_t t = p / (d->n_factors + 1), s = p % (d->n_factors + 1), half = d->n_levels / 2;
    for (size_t c = 0; c < d->n_inputs; c++) {
        size_t f = d->group[c], lv = d->start[t * d->n_inputs + c];
        if (step_of(d, t, f) <= s)
            lv = d->dir[t * d->n_factors + f] > 0 ? lv + half : lv - half;
        u[c] = ((double)lv + 0.5) / (double)d->n_levels;
        if (level)
            level[c] = lv;
    }
    return CS_OK;
}

/* ---------------------------------------------------------- statistics */

typedef struct morris_work {
    size_t nd, r, n_out, n_boot;
    double *ee;     /* [n_out][nd][r] elementary effects, NaN when undefined */
    double *een;    /* [n_out][nd][r] per natural unit */
    size_t *single; /* [nd] the input of a one-input factor, SIZE_MAX for a group */
    uint32_t *idx;  /* [r] resampled trajectories */
    double *boot;   /* [n_out][nd][n_boot] mu* of each resample */
} morris_work;

static void morris_work_free(morris_work *w)
{
    free(w->ee);
    free(w->een);
    free(w->single);
    free(w->idx);
    free(w->boot);
}

static int morris_work_alloc(morris_work *w, const cs_sens_morris *d, cs_error *err)
{
    size_t ne = cs_sens_mul(cs_sens_mul(w->n_out, w->nd), w->r);
    size_t nb = cs_sens_mul(cs_sens_mul(w->n_out, w->nd), w->n_boot);
    if (ne > SIZE_MAX / sizeof(double) || nb > SIZE_MAX / sizeof(double))
        return cs_error_set(err, CS_ELIMIT, "sensitivity: too many Morris effects");
    w->ee = malloc(ne * sizeof *w->ee);
    w->een = malloc(ne * sizeof *w->een);
    w->single = malloc(w->nd * sizeof *w->single);
    w->idx = malloc(w->r * sizeof *w->idx);
    w->boot = malloc(nb * sizeof *w->boot);
    if (!w->ee || !w->een || !w->single || !w->idx || !w->boot)
        return cs_error_set(err, CS_ENOMEM, "sensitivity: out of memory for Morris statistics");
    /* A factor with exactly one input has a natural unit; a group has not. */
    for (size_t f = 0; f < w->nd; f++) {
        size_t inputs = 0;
        for (size_t c = 0; c < d->n_inputs; c++)
            if (d->group[c] == f) {
                w->single[f] = c;
                inputs++;
            }
        if (inputs != 1)
            w->single[f] = SIZE_MAX;
    }
    return CS_OK;
}

/* The effect per natural unit of factor f's step in trajectory t, or NaN. */
static double natural_effect(const cs_sens_morris *d, const morris_work *w, const double *nat,
                             size_t t, size_t f, double dy)
{
    size_t c = w->single[f], p = d->n_levels;
    if (!nat || c == SIZE_MAX)
        return NAN;
    size_t from = d->start[t * d->n_inputs + c];
    size_t to = d->dir[t * d->n_factors + f] > 0 ? from + p / 2 : from - p / 2;
    double dx = nat[c * p + to] - nat[c * p + from];
    return (isfinite(dx) && dx != 0) ? dy / dx : NAN;
}

/* Fills w->ee and w->een from the outputs of the first r trajectories. */
static void effects(const cs_sens_morris *d, morris_work *w, const double *y, const double *nat)
{
    size_t nd = w->nd, no = w->n_out;
    for (size_t t = 0; t < w->r; t++) {
        for (size_t s = 1; s <= nd; s++) {
            size_t f = d->order[t * nd + s - 1];
            double du = d->dir[t * nd + f] > 0 ? 0.5 : -0.5; /* (p/2) / p */
            const double *y0 = y + (t * (nd + 1) + s - 1) * no, *y1 = y0 + no;
            for (size_t o = 0; o < no; o++) {
                double dy = y1[o] - y0[o];
                size_t at = (o * nd + f) * w->r + t;
                int defined = isfinite(y0[o]) && isfinite(y1[o]);
                w->ee[at] = defined ? dy / du : NAN;
                w->een[at] = defined ? natural_effect(d, w, nat, t, f, dy) : NAN;
            }
        }
    }
}

/* mu, mu*, sigma of the effects e[idx[k]] (e[k] when idx is NULL), k < r,
 * skipping NaNs; n receives the count used. */
static void ee_stats(const double *e, const uint32_t *idx, size_t r, double *mu, double *mu_star,
                     double *sigma, size_t *n)
{
    double s = 0, sa = 0;
    size_t m = 0;
    for (size_t k = 0; k < r; k++) {
        double x = e[idx ? idx[k] : k];
        if (isnan(x))
            continue;
        s += x;
        sa += fabs(x);
        m++;
    }
    *n = m;
    *mu = m ? s / (double)m : NAN;
    *mu_star = m ? sa / (double)m : NAN;
    double ss = 0;
    for (size_t k = 0; k < r && m >= 2; k++) {
        double x = e[idx ? idx[k] : k];
        if (!isnan(x))
            ss += (x - *mu) * (x - *mu);
    }
    *sigma = m >= 2 ? sqrt(ss / (double)(m - 1)) : NAN;
}

/* Resample b of the trajectories from (seed, MORRIS_BOOT, b), the same for
 * every output and factor; mu* of each into w->boot. */
static void morris_bootstrap(morris_work *w, uint64_t seed)
{
    double mu, sigma;
    size_t n;
    for (size_t b = 0; b < w->n_boot; b++) {
        cs_pcg32 g;
        cs_sens_stream(&g, seed, CS_SENS_STREAM_MORRIS_BOOT, b, 0, 0);
        for (size_t t = 0; t < w->r; t++)
            w->idx[t] = cs_stats_uniform_index(&g, (uint32_t)w->r);
        for (size_t k = 0; k < w->n_out * w->nd; k++)
            ee_stats(w->ee + k * w->r, w->idx, w->r, &mu, &w->boot[k * w->n_boot + b], &sigma, &n);
    }
}

static void morris_fill(morris_work *w, double level, cs_sens_morris_result *res)
{
    size_t n;
    double mu_star;
    for (size_t k = 0; k < w->n_out * w->nd; k++) {
        cs_sens_ee *e = &res->ee[k];
        ee_stats(w->ee + k * w->r, NULL, w->r, &e->mu, &mu_star, &e->sigma, &e->n_effects);
        cs_sens_finish(&e->mu_star, mu_star, w->boot + k * w->n_boot, w->n_boot, level);
        ee_stats(w->een + k * w->r, NULL, w->r, &e->mu_natural, &e->mu_star_natural,
                 &e->sigma_natural, &n);
    }
}

void cs_sens_morris_result_free(cs_sens_morris_result *r)
{
    if (!r)
        return;
    free(r->ee);
    free(r);
}

int cs_sens_morris_analyse(const cs_sens_morris *d, const double *y, size_t n_traj,
                           size_t n_outputs, const double *natural, const cs_sens_options *opt,
                           cs_sens_morris_result **out, cs_error *err)
{
    *out = NULL;
    if (!d || !y || n_outputs == 0 || n_traj < 2 || n_traj > d->n_traj)
        return cs_error_set(err, CS_EINVAL,
                            "sensitivity: Morris statistics need a design, outputs and 2 to %zu "
                            "trajectories (%zu given)",
                            d ? d->n_traj : 0, n_traj);
    morris_work w = {.nd = d->n_factors, .r = n_traj, .n_out = n_outputs};
    double level;
    int st = cs_sens_read_options(opt, &w.n_boot, &level, err);
    if (st != CS_OK)
        return st;
    cs_sens_morris_result *res = calloc(1, sizeof *res);
    st = res ? morris_work_alloc(&w, d, err)
             : cs_error_set(err, CS_ENOMEM, "sensitivity: out of memory for Morris statistics");
    if (st != CS_OK)
        goto fail;
    res->ee = calloc(n_outputs * w.nd, sizeof *res->ee);
    if (!res->ee) {
        st = cs_error_set(err, CS_ENOMEM, "sensitivity: out of memory for Morris statistics");
        goto fail;
    }
    res->n_factors = w.nd;
    res->n_outputs = n_outputs;
    res->n_traj = n_traj;
    res->n_boot = w.n_boot;
    res->level = level;
    effects(d, &w, y, natural);
    morris_bootstrap(&w, d->seed);
    morris_fill(&w, level, res);
    morris_work_free(&w);
    *out = res;
    return CS_OK;
fail:
    morris_work_free(&w);
    cs_sens_morris_result_free(res);
    return st;
}
