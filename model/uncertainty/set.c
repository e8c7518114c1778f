/*
 * set.c — a set of uncertain entries: building it (entries, correlations,
 * sampling mode), freezing it, and reading it back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_matrix.h>

#include "unc_internal.h"

cs_unc_set *cs_unc_set_alloc(void)
{
    return calloc(1, sizeof(cs_unc_set));
}

void cs_unc_set_free(cs_unc_set *s)
{
    if (!s)
        return;
    for (size_t e = 0; e < s->n_entries; e++)
        free(s->entries[e].label);
    free(s->entries);
    free(s->pairs);
    free(s->corr_ent);
    gsl_matrix_free(s->chol);
    free(s);
}

static int finalized_error(cs_unc_msg *msg)
{
    return cs_unc_fail(msg, CS_EINVAL, -1, "the set of uncertain inputs is already finalised");
}

/* Doubles *cap (from 8) until it exceeds n; reallocates *items. */
static int grow(void **items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return CS_OK;
    size_t nc = *cap ? 2 * *cap : 8;
    void *p = realloc(*items, nc * size);
    if (!p)
        return CS_ENOMEM;
    *items = p;
    *cap = nc;
    return CS_OK;
}

static char *label_copy(const char *label, size_t index)
{
    char buf[32];
    if (!label) {
        snprintf(buf, sizeof buf, "entry %zu", index);
        label = buf;
    }
    size_t n = strlen(label) + 1;
    char *c = malloc(n);
    if (c)
        memcpy(c, label, n);
    return c;
}

static int sobol_error(cs_unc_msg *msg, size_t values)
{
    return cs_unc_fail(msg, CS_ELIMIT, -1,
                       "sampling: sobol handles at most %d values per draw (GSL's limit) and the "
                       "uncertain inputs need %zu (a dirichlet needs one per share): use sampling: "
                       "random",
                       CS_UNC_MAX_SOBOL_DIM, values);
}

int cs_unc_set_add(cs_unc_set *s, const cs_unc_dist *d, const char *label, cs_unc_msg *msg)
{
    cs_unc_ok(msg);
    if (s->finalized)
        return finalized_error(msg);
    if (s->n_entries >= CS_UNC_MAX_ENTRIES)
        return cs_unc_fail(msg, CS_ELIMIT, -1, "uncertain: at most %d entries are supported",
                           CS_UNC_MAX_ENTRIES);
    size_t values = s->n_values + d->k;
    if (values > CS_UNC_MAX_VALUES)
        return cs_unc_fail(msg, CS_ELIMIT, -1,
                           "uncertain: at most %d values per draw are supported",
                           CS_UNC_MAX_VALUES);
    if (s->sampling == CS_UNC_SOBOL && values > CS_UNC_MAX_SOBOL_DIM)
        return sobol_error(msg, values);
    if (grow((void **)&s->entries, &s->cap_entries, s->n_entries, sizeof *s->entries))
        return cs_unc_fail(msg, CS_ENOMEM, -1, "out of memory");
    cs_unc_entry *e = &s->entries[s->n_entries];
    e->label = label_copy(label, s->n_entries);
    if (!e->label)
        return cs_unc_fail(msg, CS_ENOMEM, -1, "out of memory");
    e->dist = *d;
    e->offset = s->n_values;
    e->corr_ix = SIZE_MAX;
    s->n_entries++;
    s->n_values = values;
    return CS_OK;
}

int cs_unc_set_correlate(cs_unc_set *s, size_t i, size_t j, double rho, cs_unc_msg *msg)
{
    cs_unc_ok(msg);
    if (s->finalized)
        return finalized_error(msg);
    size_t n = s->n_entries;
    if (i >= n || j >= n)
        return cs_unc_fail(
            msg, CS_EINVAL, -1,
            "correlations: between [%zu, %zu] names no entry %zu (the %zu entries of "
            "uncertain: are numbered from 0)",
            i, j, i >= n ? i : j, n);
    if (i == j)
        return cs_unc_fail(msg, CS_EINVAL, -1,
                           "correlations: between [%zu, %zu] correlates an entry with itself", i,
                           j);
    for (int k = 0; k < 2; k++) {
        size_t e = k ? j : i;
        if (s->entries[e].dist.family == CS_UNC_DIRICHLET)
            return cs_unc_fail(
                msg, CS_EINVAL, -1,
                "correlations: entry %zu (`%s`) is a dirichlet; only entries with one "
                "value may be correlated (a dirichlet's shares are already tied "
                "through their sum)",
                e, s->entries[e].label);
    }
    if (!(rho > -1.0 && rho < 1.0))
        return cs_unc_fail(msg, CS_EINVAL, -1,
                           "correlations: rho %g must lie strictly between -1 and 1", rho);
    for (size_t k = 0; k < s->n_pairs; k++) {
        const cs_unc_pair *p = &s->pairs[k];
        if ((p->i == i && p->j == j) || (p->i == j && p->j == i))
            return cs_unc_fail(msg, CS_EINVAL, -1,
                               "correlations: entries %zu and %zu are correlated twice", i, j);
    }
    if (grow((void **)&s->pairs, &s->cap_pairs, s->n_pairs, sizeof *s->pairs))
        return cs_unc_fail(msg, CS_ENOMEM, -1, "out of memory");
    s->pairs[s->n_pairs++] = (cs_unc_pair){i, j, rho};
    return CS_OK;
}

int cs_unc_set_use_sobol(cs_unc_set *s, cs_unc_msg *msg)
{
    cs_unc_ok(msg);
    if (s->finalized)
        return finalized_error(msg);
    if (s->n_values > CS_UNC_MAX_SOBOL_DIM)
        return sobol_error(msg, s->n_values);
    s->sampling = CS_UNC_SOBOL;
    return CS_OK;
}

int cs_unc_set_finalize(cs_unc_set *s, cs_unc_msg *msg)
{
    cs_unc_ok(msg);
    if (s->finalized)
        return CS_OK;
    int st = cs_unc_copula_build(s, msg);
    if (st != CS_OK) {
        /* Leave s as it was, so that a corrected set could be finalised. */
        free(s->corr_ent);
        gsl_matrix_free(s->chol);
        s->corr_ent = NULL;
        s->chol = NULL;
        s->n_corr = 0;
        return st;
    }
    s->finalized = true;
    return CS_OK;
}

size_t cs_unc_set_entries(const cs_unc_set *s)
{
    return s->n_entries;
}

size_t cs_unc_set_values(const cs_unc_set *s)
{
    return s->n_values;
}

enum cs_unc_sampling cs_unc_set_sampling(const cs_unc_set *s)
{
    return s->sampling;
}

const cs_unc_dist *cs_unc_set_dist(const cs_unc_set *s, size_t e)
{
    return e < s->n_entries ? &s->entries[e].dist : NULL;
}

const char *cs_unc_set_label(const cs_unc_set *s, size_t e)
{
    return e < s->n_entries ? s->entries[e].label : NULL;
}

size_t cs_unc_set_offset(const cs_unc_set *s, size_t e)
{
    return e < s->n_entries ? s->entries[e].offset : SIZE_MAX;
}
