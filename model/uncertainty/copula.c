/*
 * copula.c — the Gaussian copula of `correlations:`.
 *
 * Only the entries named in some pair take part: the matrix R has one row
 * per correlated entry (in entry order), ones on the diagonal and the given
 * rho off it, zeros elsewhere. Its Cholesky factor L (GSL) turns independent
 * normal scores z into y = L z with correlation R; the uniforms Phi(y) then
 * carry the dependence into each entry's quantile. A matrix that is not
 * positive definite describes no joint distribution. To say which entries
 * are at fault, the smallest leading block that fails is found by bisection
 * (if a leading block is not positive definite, no larger one is), and the
 * entries reported are those tied, through a chain of correlations within
 * that block, to its last row: R restricted to the block is block-diagonal
 * over those chains, and every other chain lies in the smaller block that
 * passed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "unc_internal.h"

#define LABEL_SHOWN 40 /* characters of a label quoted in a message */
#define ENTRIES_SHOWN 8

/* R over the rows of s, into m (n_corr x n_corr). */
static void fill_matrix(const cs_unc_set *s, gsl_matrix *m)
{
    gsl_matrix_set_identity(m);
    for (size_t k = 0; k < s->n_pairs; k++) {
        size_t a = s->entries[s->pairs[k].i].corr_ix, b = s->entries[s->pairs[k].j].corr_ix;
        gsl_matrix_set(m, a, b, s->pairs[k].rho);
        gsl_matrix_set(m, b, a, s->pairs[k].rho);
    }
}

/* Whether the leading n x n block of r is positive definite (scratch: w). */
static bool leading_pd(const gsl_matrix *r, size_t n, gsl_matrix *w)
{
    gsl_matrix_const_view src = gsl_matrix_const_submatrix(r, 0, 0, n, n);
    gsl_matrix_view dst = gsl_matrix_submatrix(w, 0, 0, n, n);
    gsl_matrix_memcpy(&dst.matrix, &src.matrix);
    return gsl_linalg_cholesky_decomp1(&dst.matrix) == GSL_SUCCESS;
}

/* Marks in `in` the rows of the leading n block tied to row n - 1. */
static void chain_of_last(const gsl_matrix *r, size_t n, bool *in)
{
    for (size_t i = 0; i < n; i++)
        in[i] = false;
    in[n - 1] = true;
    for (bool grew = true; grew;) {
        grew = false;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n && !in[i]; j++)
                if (in[j] && j != i && gsl_matrix_get(r, i, j) != 0.0)
                    in[i] = grew = true;
    }
}

/* The message naming the entries of rows marked in `in`. */
static int not_pd_message(const cs_unc_set *s, const bool *in, size_t n, cs_unc_msg *msg)
{
    char list[CS_UNC_MSG_MAX] = "";
    size_t used = 0, shown = 0, total = 0;
    for (size_t i = 0; i < n; i++)
        total += in[i];
    for (size_t i = 0; i < n && used < sizeof list; i++) {
        if (!in[i])
            continue;
        size_t e = s->corr_ent[i];
        if (shown == ENTRIES_SHOWN) {
            snprintf(list + used, sizeof list - used, " and %zu more", total - shown);
            break;
        }
        const char *sep = shown == 0 ? "" : (shown + 1 == total ? " and " : ", ");
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%zu (`%.*s`)", sep, e,
                                 LABEL_SHOWN, s->entries[e].label);
        shown++;
    }
    return cs_unc_fail(
        msg, CS_EINVAL, -1,
        "correlations: the correlations among entries %s cannot hold together (their "
        "matrix is not positive definite): weaken at least one",
        list);
}

/* Rows of the correlated entries, in entry order. */
static int assign_rows(cs_unc_set *s)
{
    for (size_t e = 0; e < s->n_entries; e++)
        s->entries[e].corr_ix = SIZE_MAX;
    for (size_t k = 0; k < s->n_pairs; k++)
        s->entries[s->pairs[k].i].corr_ix = s->entries[s->pairs[k].j].corr_ix = 0;
    s->n_corr = 0;
    for (size_t e = 0; e < s->n_entries; e++)
        if (s->entries[e].corr_ix != SIZE_MAX)
            s->entries[e].corr_ix = s->n_corr++;
    s->corr_ent = malloc(s->n_corr * sizeof *s->corr_ent);
    if (!s->corr_ent)
        return CS_ENOMEM;
    for (size_t e = 0; e < s->n_entries; e++)
        if (s->entries[e].corr_ix != SIZE_MAX)
            s->corr_ent[s->entries[e].corr_ix] = e;
    return CS_OK;
}

/* Finds the smallest failing leading block of r and reports its chain. */
static int diagnose(const cs_unc_set *s, const gsl_matrix *r, cs_unc_msg *msg)
{
    size_t n = r->size1;
    gsl_matrix *w = gsl_matrix_alloc(n, n);
    bool *in = malloc(n * sizeof *in);
    int st = CS_ENOMEM;
    if (!w || !in)
        goto fail;
    size_t good = 1, bad = n; /* a 1 x 1 block (1) is positive definite */
    while (bad - good > 1) {
        size_t mid = good + (bad - good) / 2;
        if (leading_pd(r, mid, w))
            good = mid;
        else
            bad = mid;
    }
    chain_of_last(r, bad, in);
    st = not_pd_message(s, in, bad, msg);
fail:
    free(in);
    gsl_matrix_free(w);
    return st == CS_ENOMEM ? cs_unc_fail(msg, CS_ENOMEM, -1, "out of memory") : st;
}

int cs_unc_copula_build(cs_unc_set *s, cs_unc_msg *msg)
{
    if (s->n_pairs == 0)
        return CS_OK;
    if (assign_rows(s) != CS_OK)
        return cs_unc_fail(msg, CS_ENOMEM, -1, "out of memory");
    gsl_matrix *r = gsl_matrix_alloc(s->n_corr, s->n_corr);
    s->chol = gsl_matrix_alloc(s->n_corr, s->n_corr);
    if (!r || !s->chol) {
        gsl_matrix_free(r);
        return cs_unc_fail(msg, CS_ENOMEM, -1, "out of memory");
    }
    fill_matrix(s, r);
    gsl_matrix_memcpy(s->chol, r);
    int st = CS_OK;
    if (gsl_linalg_cholesky_decomp1(s->chol) != GSL_SUCCESS)
        st = diagnose(s, r, msg);
    gsl_matrix_free(r);
    return st;
}
