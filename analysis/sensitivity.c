/* sensitivity.c — what the sensitivity analyses share: factors (grouped
 * inputs), keyed streams, bootstrap summaries, the noise variance from
 * replicated points, and the one-way (tornado) design and swings. Saltelli's
 * design and the Sobol estimators are in saltelli.c, Morris's method in
 * morris.c (see include/casesim/sensitivity.h, which gives the formulas). */
#include "casesim/sensitivity.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sensitivity_internal.h"

int cs_sens_factors(size_t n_inputs, const size_t *group, size_t *n_factors, cs_error *err)
{
    *n_factors = 0;
    if (n_inputs == 0)
        return cs_error_set(err, CS_EINVAL, "sensitivity: no uncertain inputs");
    if (!group) {
        *n_factors = n_inputs;
        return CS_OK;
    }
    size_t d = 0;
    for (size_t c = 0; c < n_inputs; c++) {
        if (group[c] >= n_inputs)
            return cs_error_set(err, CS_EINVAL,
                                "sensitivity: input %zu is in group %zu, but %zu inputs can "
                                "form at most %zu groups (numbered from 0)",
                                c, group[c], n_inputs, n_inputs);
        if (group[c] + 1 > d)
            d = group[c] + 1;
    }
    /* Every group number below the largest must hold an input: an empty
     * group would be a factor with no inputs, an index of nothing. */
    for (size_t g = 0; g < d; g++) {
        size_t c = 0;
        while (c < n_inputs && group[c] != g)
            c++;
        if (c == n_inputs)
            return cs_error_set(err, CS_EINVAL, "sensitivity: group %zu has no input", g);
    }
    *n_factors = d;
    return CS_OK;
}

int cs_sens_copy_groups(size_t n_inputs, const size_t *group, size_t **copy, size_t *n_factors,
                        cs_error *err)
{
    *copy = NULL;
    int st = cs_sens_factors(n_inputs, group, n_factors, err);
    if (st != CS_OK)
        return st;
    size_t *g = malloc(n_inputs * sizeof *g);
    if (!g)
        return cs_error_set(err, CS_ENOMEM, "sensitivity: out of memory for %zu inputs", n_inputs);
    for (size_t c = 0; c < n_inputs; c++)
        g[c] = group ? group[c] : c;
    *copy = g;
    return CS_OK;
}

void cs_sens_stream(cs_pcg32 *g, uint64_t seed, uint64_t sub, uint64_t a, uint64_t b, uint64_t c)
{
    cs_stream_key key = {.seed = seed,
                         .replicate = sub,
                         .group = a,
                         .incident = b,
                         .track = c,
                         .purpose = CS_STREAM_SENSITIVITY};
    cs_pcg32_from_key(g, &key);
}

int cs_sens_read_options(const cs_sens_options *opt, size_t *n_boot, double *level, cs_error *err)
{
    *n_boot = opt ? opt->n_boot : CS_SENS_BOOTSTRAP;
    *level = opt ? opt->level : 0.95;
    if (*n_boot == 0 || *n_boot > UINT32_MAX)
        return cs_error_set(err, CS_EINVAL, "sensitivity: %zu bootstrap resamples (need 1 to %u)",
                            *n_boot, UINT32_MAX);
    if (!(*level > 0 && *level < 1))
        return cs_error_set(err, CS_EINVAL, "sensitivity: interval level %g is not in (0, 1)",
                            *level);
    return CS_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void cs_sens_finish(cs_sens_estimate *e, double value, double *boot, size_t n, double level)
{
    *e = (cs_sens_estimate){value, NAN, NAN, NAN};
    if (!isfinite(value)) {
        e->value = NAN;
        return;
    }
    size_t m = 0;
    for (size_t b = 0; b < n; b++)
        if (isfinite(boot[b]))
            boot[m++] = boot[b];
    if (m < 2)
        return;
    qsort(boot, m, sizeof *boot, cmp_double);
    e->se = gsl_stats_sd(boot, 1, m);
    e->low = gsl_stats_quantile_from_sorted_data(boot, 1, m, 0.5 - 0.5 * level);
    e->high = gsl_stats_quantile_from_sorted_data(boot, 1, m, 0.5 + 0.5 * level);
}

/* The sample variance of n values x[0], x[stride], ..., NaN when one is not
 * finite (two passes, for accuracy). */
static double variance_of(const double *x, size_t n, size_t stride)
{
    double sum = 0;
    for (size_t r = 0; r < n; r++) {
        if (!isfinite(x[r * stride]))
            return NAN;
        sum += x[r * stride];
    }
    double mean = sum / (double)n, ss = 0;
    for (size_t r = 0; r < n; r++)
        ss += (x[r * stride] - mean) * (x[r * stride] - mean);
    return ss / (double)(n - 1);
}

void cs_sens_within_variances(const cs_sens_replicates *rep, size_t n_outputs, size_t o, double *s2)
{
    size_t r = rep->n_repeats;
    for (size_t m = 0; m < rep->n_points; m++)
        s2[m] = variance_of(rep->y + m * r * n_outputs + o, r, n_outputs);
}

int cs_sens_noise_variance(const cs_sens_replicates *rep, size_t n_outputs, double *sigma2,
                           double *se, size_t *used, cs_error *err)
{
    if (!rep || (!rep->y && rep->n_points > 0) || rep->n_repeats < 2 || n_outputs == 0)
        return cs_error_set(err, CS_EINVAL,
                            "sensitivity: the noise variance needs at least 2 repeats of each "
                            "base point and one output");
    if (cs_sens_mul(cs_sens_mul(rep->n_points, rep->n_repeats), n_outputs) == SIZE_MAX)
        return cs_error_set(err, CS_ELIMIT, "sensitivity: too many replicated evaluations");
    double *s2 = malloc((rep->n_points ? rep->n_points : 1) * sizeof *s2);
    if (!s2)
        return cs_error_set(err, CS_ENOMEM, "sensitivity: out of memory for %zu base points",
                            rep->n_points);
    for (size_t o = 0; o < n_outputs; o++) {
        cs_sens_within_variances(rep, n_outputs, o, s2);
        size_t m = 0;
        for (size_t k = 0; k < rep->n_points; k++)
            if (!isnan(s2[k]))
                s2[m++] = s2[k];
        sigma2[o] = m ? gsl_stats_mean(s2, 1, m) : NAN;
        if (se)
            se[o] = m >= 2 ? gsl_stats_sd(s2, 1, m) / sqrt((double)m) : NAN;
        if (used)
            used[o] = m;
    }
    free(s2);
    return CS_OK;
}

int cs_sens_tornado_point(size_t n_inputs, const size_t *group, size_t p, double *u, cs_error *err)
{
    size_t d;
    int st = cs_sens_factors(n_inputs, group, &d, err);
    if (st != CS_OK)
        return st;
    if (p > 2 * d)
        return cs_error_set(err, CS_EINVAL, "sensitivity: one-way point %zu of %zu", p, 2 * d + 1);
    for (size_t c = 0; c < n_inputs; c++) {
        size_t f = group ? group[c] : c;
        u[c] = 0.5;
        if (p == 1 + 2 * f)
            u[c] = CS_SENS_TORNADO_LOW;
        else if (p == 2 + 2 * f)
            u[c] = CS_SENS_TORNADO_HIGH;
    }
    return CS_OK;
}

/* Decreasing swing, undefined swings last, ties by factor number (so the
 * order is total and the same on every platform's qsort). */
static int cmp_swing(const void *a, const void *b)
{
    const cs_sens_swing *x = a, *y = b;
    int xn = isnan(x->swing), yn = isnan(y->swing);
    if (xn != yn)
        return xn - yn;
    if (!xn && x->swing != y->swing)
        return x->swing < y->swing ? 1 : -1;
    return (x->factor > y->factor) - (x->factor < y->factor);
}

int cs_sens_tornado(const double *y, size_t n_factors, size_t n_outputs, double *base,
                    cs_sens_swing *out, cs_error *err)
{
    if (n_factors == 0 || n_outputs == 0 || !y)
        return cs_error_set(err, CS_EINVAL, "sensitivity: a tornado needs factors and outputs");
    for (size_t o = 0; o < n_outputs; o++) {
        if (base)
            base[o] = y[o];
        cs_sens_swing *s = out + o * n_factors;
        for (size_t i = 0; i < n_factors; i++) {
            double lo = y[(1 + 2 * i) * n_outputs + o], hi = y[(2 + 2 * i) * n_outputs + o];
            s[i] = (cs_sens_swing){i, lo, hi, fabs(hi - lo)};
        }
        qsort(s, n_factors, sizeof *s, cmp_swing);
    }
    return CS_OK;
}
