/*
 * results/analysis_ratio.c — how the analysis tables summarise a measure
 * over replicates: a mean, except for the disparity ratios, which are
 * summarised as the ratio of the groups' mean rates (see results/internal.h
 * and analysis/README.md). One place for /summary, /comparison, the tables
 * by kind and by arrival year, so that every table uses one estimator.
 */
#include <string.h>

#include "casesim/measures.h"
#include "casesim/stats.h"
#include "results/internal.h"

long cs_analysis_find_name(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (long)i;
    return -1;
}

void cs_analysis_ratio_bases(const char *const *names, size_t M, long *base)
{
    for (size_t m = 0; m < M; m++) {
        base[m] = -1;
        for (size_t k = 0; k < CS_M_FIXED_COUNT; k++) {
            int of = cs_measure_ratio_of(k);
            if (of >= 0 && strcmp(cs_measure_table[k].name, names[m]) == 0)
                base[m] = cs_analysis_find_name(names, M, cs_measure_table[of].name);
        }
    }
}

/* Whether measure m of group g is summarised as a ratio of means: a
 * disparity ratio of a group (for all groups together it is undefined, NaN
 * in every replicate, and summarised as such). */
static bool as_ratio(const cs_measure_block *b, size_t g, size_t m)
{
    return b->base && b->base[m] >= 0 && g < b->n_groups;
}

int cs_analysis_summarise(const cs_measure_block *b, size_t g, size_t m, cs_summary *s,
                          cs_error *err)
{
    if (!as_ratio(b, g, m))
        return cs_stats_summarise(b->x + g * b->M + m, b->R, b->stride, CS_STATS_LEVEL, s, err);
    size_t r = (size_t)b->base[m];
    return cs_stats_ratio_of_means(b->x + g * b->M + r, b->x + r, b->R, b->stride, CS_STATS_LEVEL,
                                   s, err);
}

int cs_analysis_paired(const cs_measure_block *x, const cs_measure_block *y, size_t g, size_t m,
                       cs_paired *p, cs_error *err)
{
    size_t at = g * x->M + m;
    if (!as_ratio(x, g, m))
        return cs_stats_paired(x->x + at, x->stride, y->x + at, y->stride, x->R, CS_STATS_LEVEL, p,
                               err);
    if (x->stride != y->stride)
        return cs_error_set(err, CS_EINVAL, "paired ratio: the blocks differ in shape");
    size_t r = (size_t)x->base[m], ga = g * x->M + r;
    return cs_stats_ratio_paired(x->x + ga, x->x + r, y->x + ga, y->x + r, x->R, x->stride,
                                 CS_STATS_LEVEL, p, err);
}
