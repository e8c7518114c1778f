/*
 * results/read.c — opens a results file, checks its format and major
 * version, and loads what a report needs (see casesim/results.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/results.h"
#include "core/alloc.h"
#include "results/h5util.h"
#include "results/internal.h"

/* Reads a compound table into a new array of n rows of row_size bytes, then
 * replaces its variable-length strings (at the given offsets) by copies the
 * caller owns (HDF5's own buffers are reclaimed here). A missing table is
 * CS_EFORMAT. */
static int read_table(hid_t file, const char *name, hid_t mtype, size_t row_size,
                      const size_t *str_off, size_t n_str, size_t max_rows, void **out, size_t *n,
                      cs_error *err)
{
    *out = NULL;
    *n = 0;
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return cs_error_set(err, CS_EFORMAT, "the table %s is missing", name);
    }
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t space = d < 0 ? H5I_INVALID_HID : H5Dget_space(d);
    unsigned char *raw = NULL;
    int st = CS_OK;
    hssize_t np = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    if (d < 0 || np < 0) {
        st = cs_h5_fail(err, CS_EFORMAT, "cannot open the table %s", name);
        goto done;
    }
    if ((uint64_t)np > max_rows) {
        /* Checked before allocating: the row count comes from the file. */
        st = cs_error_set(err, CS_EFORMAT,
                          "the table %s has %lld rows; the name lists allow at most %zu", name,
                          (long long)np, max_rows);
        goto done;
    }
    raw = calloc(np ? (size_t)np : 1, row_size);
    if (!raw) {
        st = cs_error_set(err, CS_ENOMEM, "out of memory reading %s", name);
        goto done;
    }
    if (np > 0 && H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
        st = cs_h5_fail(err, CS_EFORMAT, "cannot read the table %s (is it of this version?)", name);
        /* Free the strings of rows converted before the failure (raw was
         * zeroed, so the other rows' strings are NULL). */
        H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, raw);
        goto done;
    }
    /* Copy the strings, then let HDF5 free its own. */
    unsigned char *copy = calloc(np ? (size_t)np : 1, row_size);
    if (!copy) {
        st = cs_error_set(err, CS_ENOMEM, "out of memory reading %s", name);
    } else {
        memcpy(copy, raw, (size_t)np * row_size);
        for (size_t i = 0; i < (size_t)np; i++)
            for (size_t k = 0; k < n_str; k++)
                *(char **)(copy + i * row_size + str_off[k]) = NULL;
        for (size_t i = 0; i < (size_t)np && st == CS_OK; i++) {
            for (size_t k = 0; k < n_str && st == CS_OK; k++) {
                char **src = (char **)(raw + i * row_size + str_off[k]);
                char **dst = (char **)(copy + i * row_size + str_off[k]);
                *dst = cs_xstrdup(*src ? *src : "");
                if (!*dst)
                    st = cs_error_set(err, CS_ENOMEM, "out of memory reading %s", name);
            }
        }
        if (st == CS_OK) {
            *out = copy;
            *n = (size_t)np;
        } else {
            for (size_t i = 0; i < (size_t)np; i++)
                for (size_t k = 0; k < n_str; k++)
                    free(*(char **)(copy + i * row_size + str_off[k]));
            free(copy);
        }
    }
    if (np > 0)
        H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, raw);
done:
    free(raw);
    cs_h5_close(&space);
    cs_h5_close(&d);
    return st;
}

static const size_t summary_str[] = {
    offsetof(cs_results_summary_row, variant), offsetof(cs_results_summary_row, group),
    offsetof(cs_results_summary_row, measure), offsetof(cs_results_summary_row, units)};
static const size_t comparison_str[] = {
    offsetof(cs_results_comparison_row, variant), offsetof(cs_results_comparison_row, group),
    offsetof(cs_results_comparison_row, measure), offsetof(cs_results_comparison_row, units)};
static const size_t ranking_str[] = {offsetof(cs_results_ranking_row, variant),
                                     offsetof(cs_results_ranking_row, kind)};

static int read_source(hid_t file, char **out, cs_error *err)
{
    *out = NULL;
    hid_t d = H5Dopen2(file, "/scenario/source", H5P_DEFAULT);
    hid_t t = cs_h5_string_type(), sp = H5Screate(H5S_SCALAR);
    char *v = NULL;
    int st = CS_OK;
    if (d < 0 || t < 0 || sp < 0 || H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) < 0) {
        st = cs_h5_fail(err, CS_EFORMAT, "cannot read /scenario/source");
    } else {
        *out = cs_xstrdup(v ? v : "");
        if (!*out)
            st = cs_error_set(err, CS_ENOMEM, "out of memory");
        H5Dvlen_reclaim(t, sp, H5P_DEFAULT, &v);
    }
    cs_h5_close(&sp);
    cs_h5_close(&t);
    cs_h5_close(&d);
    return st;
}

static int read_variant(hid_t file, const char *name, cs_results_variant *v, cs_error *err)
{
    char path[CS_MAX_NAME_LEN + 32];
    snprintf(path, sizeof path, "/runs/%s", name);
    v->name = cs_xstrdup(name);
    if (!v->name)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    hid_t g = H5Gopen2(file, path, H5P_DEFAULT);
    if (g < 0)
        return cs_h5_fail(err, CS_EFORMAT, "cannot open %s", path);
    int st = cs_h5_read_attr_string(g, "kind", &v->kind, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_string(g, "description", &v->description, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_double(g, "annual_cost", &v->annual_cost, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_strings(g, "interventions", &v->interventions, &v->n_interventions,
                                     err);
    if (st == CS_OK) {
        hid_t d = H5Dopen2(g, "measures", H5P_DEFAULT);
        hid_t s = d < 0 ? H5I_INVALID_HID : H5Dget_space(d);
        hsize_t dims[3] = {0, 0, 0};
        if (s < 0 || H5Sget_simple_extent_ndims(s) != 3 ||
            H5Sget_simple_extent_dims(s, dims, NULL) < 0)
            st = cs_h5_fail(err, CS_EFORMAT, "cannot read the shape of %s/measures", path);
        v->replicates = dims[0];
        cs_h5_close(&s);
        cs_h5_close(&d);
    }
    cs_h5_close(&g);
    if (st != CS_OK)
        cs_error_set(err, st, "in %s", path);
    return st;
}

static long find_name(char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (long)i;
    return -1;
}

/* A name list of /scenario: count within [1, max], every entry a name of
 * lower-case letters, digits and `_`, at most max_len bytes, none repeated.
 * The names become HDF5 paths (/runs/<variant>) and keys of every table. */
static int check_list(const char *path, const char *what, char *const *names, size_t n, size_t max,
                      size_t max_len, cs_error *err)
{
    if (n < 1 || n > max)
        return cs_error_set(err, CS_EFORMAT, "%s: /scenario/%s has %zu entries; expected 1 to %zu",
                            path, what, n, max);
    for (size_t i = 0; i < n; i++) {
        const char *s = names[i];
        size_t len = strlen(s);
        bool ok = len >= 1 && len <= max_len && s[0] >= 'a' && s[0] <= 'z';
        for (size_t k = 0; ok && k < len; k++)
            ok = (s[k] >= 'a' && s[k] <= 'z') || (s[k] >= '0' && s[k] <= '9') || s[k] == '_';
        if (!ok)
            return cs_error_set(err, CS_EFORMAT,
                                "%s: /scenario/%s[%zu] is not a valid name (`%.64s%s`)", path, what,
                                i, s, len > 64 ? "..." : "");
        if (find_name(names, i, s) >= 0)
            return cs_error_set(err, CS_EFORMAT, "%s: /scenario/%s repeats `%s`", path, what, s);
    }
    return CS_OK;
}

/* Everything later code indexes by: the name lists' sizes and contents. */
static int check_names(const cs_results *r, const char *path, char *const *variants,
                       size_t n_variants, cs_error *err)
{
    /* Measures are named after categories too (accountability_rate_<category>). */
    const size_t measure_len = 2 * CS_MAX_NAME_LEN;
    int st =
        check_list(path, "groups", r->groups, r->n_groups, CS_MAX_GROUPS, CS_MAX_NAME_LEN, err);
    if (st == CS_OK)
        st = check_list(path, "measures", r->measures, r->n_measures, 256, measure_len, err);
    if (st == CS_OK)
        st =
            check_list(path, "stages", r->stages, r->n_stages, CS_MAX_STAGES, CS_MAX_NAME_LEN, err);
    if (st == CS_OK)
        st = check_list(path, "outcomes", r->outcomes, r->n_outcomes, CS_MAX_OUTCOMES,
                        CS_MAX_NAME_LEN, err);
    if (st == CS_OK)
        st = check_list(path, "variants", variants, n_variants,
                        1 + CS_MAX_INTERVENTIONS + CS_MAX_BUNDLES, CS_MAX_NAME_LEN, err);
    if (st == CS_OK && strcmp(variants[0], "baseline") != 0)
        st = cs_error_set(err, CS_EFORMAT,
                          "%s: /scenario/variants starts with `%s`, not with `baseline`", path,
                          variants[0]);
    for (size_t g = 0; st == CS_OK && g < r->n_groups; g++)
        if (strlen(r->group_labels[g]) > CS_MAX_TEXT_LEN)
            st = cs_error_set(err, CS_EFORMAT, "%s: /scenario/group_labels[%zu] is too long", path,
                              g);
    return st;
}

int cs_results_open(const char *path, cs_results **out, cs_error *err)
{
    *out = NULL;
    cs_h5_quiet();
    cs_results *r = calloc(1, sizeof *r);
    if (!r)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    r->file_id = H5I_INVALID_HID;
    int st = CS_OK;
    size_t n_labels = 0, n_units = 0, n_descs = 0;
    char **variant_names = NULL;
    size_t n_vn = 0;
    hid_t mt = H5I_INVALID_HID, sc = H5I_INVALID_HID, rk = H5I_INVALID_HID;
    r->path = cs_xstrdup(path);
    if (!r->path) {
        st = cs_error_set(err, CS_ENOMEM, "out of memory");
        goto fail;
    }
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        st = cs_error_set(err, CS_EIO, "%s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    fclose(probe);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        st = cs_h5_fail(err, CS_EFORMAT, "%s: not an HDF5 file, or a damaged one", path);
        goto fail;
    }
    r->file_id = f;
    st = cs_results_check_format(f, path, &r->version_major, &r->version_minor, err);
    if (st != CS_OK)
        goto fail;
    st = cs_h5_read_attr_string(f, "casesim_version", &r->casesim_version, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_string(f, "created", &r->created, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_string(f, "status", &r->status, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_string(f, "command_line", &r->command_line, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(f, "seed", &r->seed, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(f, "first_replicate", &r->first_replicate, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(f, "replicates", &r->replicates, err);
    if (st != CS_OK)
        goto fail;

    sc = H5Gopen2(f, "/scenario", H5P_DEFAULT);
    if (sc < 0) {
        st = cs_h5_fail(err, CS_EFORMAT, "%s: the group /scenario is missing", path);
        goto fail;
    }
    st = cs_h5_read_attr_string(sc, "name", &r->scenario_name, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_string(sc, "description", &r->scenario_description, err);
    if (st == CS_OK)
        st = read_source(f, &r->source, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(sc, "groups", &r->groups, &r->n_groups, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(sc, "group_labels", &r->group_labels, &n_labels, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(sc, "measures", &r->measures, &r->n_measures, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(sc, "measure_units", &r->measure_units, &n_units, err);
    if (st == CS_OK)
        st =
            cs_h5_read_strings(sc, "measure_descriptions", &r->measure_descriptions, &n_descs, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(sc, "stages", &r->stages, &r->n_stages, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(sc, "outcomes", &r->outcomes, &r->n_outcomes, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(sc, "variants", &variant_names, &n_vn, err);
    if (st != CS_OK)
        goto fail;
    if (n_labels != r->n_groups || n_units != r->n_measures || n_descs != r->n_measures) {
        st = cs_error_set(err, CS_EFORMAT,
                          "%s: /scenario name lists disagree (%zu groups, %zu labels, %zu "
                          "measures, %zu units, %zu descriptions)",
                          path, r->n_groups, n_labels, r->n_measures, n_units, n_descs);
        goto fail;
    }
    st = check_names(r, path, variant_names, n_vn, err);
    if (st != CS_OK)
        goto fail;
    r->variants = calloc(n_vn ? n_vn : 1, sizeof *r->variants);
    if (!r->variants) {
        st = cs_error_set(err, CS_ENOMEM, "out of memory");
        goto fail;
    }
    r->n_variants = n_vn;
    for (size_t v = 0; v < n_vn && st == CS_OK; v++)
        st = read_variant(f, variant_names[v], &r->variants[v], err);
    if (st != CS_OK)
        goto fail;

    /* One row per (variant, group or all, measure) at most; one per variant
     * in /ranking. The lists are bounded, so the product cannot overflow. */
    size_t max_rows = n_vn * (r->n_groups + 1) * r->n_measures;
    void *rows = NULL;
    mt = cs_results_summary_mtype();
    st = read_table(f, "/summary", mt, sizeof(cs_results_summary_row), summary_str, 4, max_rows,
                    &rows, &r->n_summary, err);
    r->summary = rows;
    cs_h5_close(&mt);
    if (st == CS_OK) {
        mt = cs_results_comparison_mtype();
        st = read_table(f, "/comparison", mt, sizeof(cs_results_comparison_row), comparison_str, 4,
                        max_rows, &rows, &r->n_comparison, err);
        r->comparison = rows;
        cs_h5_close(&mt);
    }
    if (st == CS_OK) {
        mt = cs_results_ranking_mtype();
        st = read_table(f, "/ranking", mt, sizeof(cs_results_ranking_row), ranking_str, 2, n_vn,
                        &rows, &r->n_ranking, err);
        r->ranking = rows;
        cs_h5_close(&mt);
    }
    if (st == CS_OK) {
        rk = H5Dopen2(f, "/ranking", H5P_DEFAULT);
        if (rk < 0)
            st = cs_h5_fail(err, CS_EFORMAT, "cannot open /ranking");
        else
            st = cs_h5_read_attr_string(rk, "most_affected_group", &r->most_affected_group, err);
    }
    if (st == CS_OK && r->most_affected_group[0] != '\0' &&
        find_name(r->groups, r->n_groups, r->most_affected_group) < 0)
        st = cs_error_set(err, CS_EFORMAT,
                          "%s: /ranking names `%.64s` as the most affected group, which is not "
                          "in /scenario/groups",
                          path, r->most_affected_group);
    if (st != CS_OK)
        goto fail;
    cs_h5_close(&rk);
    cs_h5_close(&sc);
    cs_h5_free_strings(variant_names, n_vn);
    *out = r;
    return CS_OK;
fail:
    /* These three lists may be longer or shorter than the lists whose counts
     * cs_results_close uses (a later read failed before the agreement was
     * checked): free them with their own counts. */
    cs_h5_free_strings(r->group_labels, n_labels);
    cs_h5_free_strings(r->measure_units, n_units);
    cs_h5_free_strings(r->measure_descriptions, n_descs);
    r->group_labels = r->measure_units = r->measure_descriptions = NULL;
    cs_h5_close(&mt);
    cs_h5_close(&rk);
    cs_h5_close(&sc);
    cs_h5_free_strings(variant_names, n_vn);
    cs_results_close(r);
    return st;
}

/* No dataset decompresses to more than this many times its stored size
 * (deflate's limit is about 1032:1; shuffle does not change sizes). */
#define MAX_INFLATION 1100.0

int cs_results_read_measures(const cs_results *r, size_t v, double **out, uint64_t *n_replicates,
                             cs_error *err)
{
    *out = NULL;
    *n_replicates = 0;
    if (v >= r->n_variants)
        return cs_error_set(err, CS_EINVAL, "no variant %zu in %s", v, r->path);
    char path[CS_MAX_NAME_LEN + 32];
    snprintf(path, sizeof path, "/runs/%s/measures", r->variants[v].name);
    hid_t d = H5Dopen2((hid_t)r->file_id, path, H5P_DEFAULT);
    hid_t s = d < 0 ? H5I_INVALID_HID : H5Dget_space(d);
    hsize_t dims[3] = {0, 0, 0};
    int st = CS_OK;
    if (s < 0 || H5Sget_simple_extent_ndims(s) != 3 ||
        H5Sget_simple_extent_dims(s, dims, NULL) < 0) {
        st = cs_h5_fail(err, CS_EFORMAT, "%s: cannot open %s", r->path, path);
    } else if (dims[1] != r->n_groups + 1 || dims[2] != r->n_measures) {
        st = cs_error_set(err, CS_EFORMAT, "%s: %s does not match /scenario's name lists", r->path,
                          path);
    } else if (dims[0] != r->variants[v].replicates || dims[0] != r->replicates) {
        st = cs_error_set(err, CS_EFORMAT,
                          "%s: %s has %llu rows, but the file records %llu replicates", r->path,
                          path, (unsigned long long)dims[0], (unsigned long long)r->replicates);
    } else if (dims[0] > SIZE_MAX / (dims[1] * dims[2] * sizeof(double)) ||
               (double)dims[0] * (double)(dims[1] * dims[2] * sizeof(double)) >
                   MAX_INFLATION * (double)H5Dget_storage_size(d) + (double)(1 << 20)) {
        /* Rows the file claims but does not store would be read as fill
         * values: a few bytes of damaged file must not cost gigabytes. */
        st = cs_error_set(err, CS_EFORMAT,
                          "%s: %s claims %llu rows but stores only %llu bytes: the file is "
                          "damaged",
                          r->path, path, (unsigned long long)dims[0],
                          (unsigned long long)H5Dget_storage_size(d));
    } else {
        size_t n = (size_t)(dims[0] * dims[1] * dims[2]);
        double *buf = malloc((n ? n : 1) * sizeof *buf);
        if (!buf)
            st = cs_error_set(err, CS_ENOMEM, "out of memory");
        else if (n && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
            st = cs_h5_fail(err, CS_EIO, "%s: cannot read %s", r->path, path);
        if (st == CS_OK) {
            *out = buf;
            *n_replicates = dims[0];
        } else {
            free(buf);
        }
    }
    cs_h5_close(&s);
    cs_h5_close(&d);
    return st;
}

const cs_results_summary_row *cs_results_find_summary(const cs_results *r, const char *variant,
                                                      const char *group, const char *measure)
{
    for (size_t i = 0; i < r->n_summary; i++) {
        const cs_results_summary_row *s = &r->summary[i];
        if (!strcmp(s->variant, variant) && !strcmp(s->group, group) &&
            !strcmp(s->measure, measure))
            return s;
    }
    return NULL;
}

const cs_results_comparison_row *cs_results_find_comparison(const cs_results *r,
                                                            const char *variant, const char *group,
                                                            const char *measure)
{
    for (size_t i = 0; i < r->n_comparison; i++) {
        const cs_results_comparison_row *c = &r->comparison[i];
        if (!strcmp(c->variant, variant) && !strcmp(c->group, group) &&
            !strcmp(c->measure, measure))
            return c;
    }
    return NULL;
}

void cs_results_close(cs_results *r)
{
    if (!r)
        return;
    hid_t f = (hid_t)r->file_id;
    cs_h5_close(&f);
    free(r->path);
    free(r->casesim_version);
    free(r->created);
    free(r->status);
    free(r->command_line);
    free(r->scenario_name);
    free(r->scenario_description);
    free(r->source);
    cs_h5_free_strings(r->groups, r->n_groups);
    cs_h5_free_strings(r->group_labels, r->n_groups);
    cs_h5_free_strings(r->measures, r->n_measures);
    cs_h5_free_strings(r->measure_units, r->n_measures);
    cs_h5_free_strings(r->measure_descriptions, r->n_measures);
    cs_h5_free_strings(r->stages, r->n_stages);
    cs_h5_free_strings(r->outcomes, r->n_outcomes);
    for (size_t v = 0; v < r->n_variants; v++) {
        cs_results_variant *x = &r->variants[v];
        free(x->name);
        free(x->kind);
        free(x->description);
        cs_h5_free_strings(x->interventions, x->n_interventions);
    }
    free(r->variants);
    for (size_t i = 0; i < r->n_summary; i++) {
        free(r->summary[i].variant);
        free(r->summary[i].group);
        free(r->summary[i].measure);
        free(r->summary[i].units);
    }
    free(r->summary);
    for (size_t i = 0; i < r->n_comparison; i++) {
        free(r->comparison[i].variant);
        free(r->comparison[i].group);
        free(r->comparison[i].measure);
        free(r->comparison[i].units);
    }
    free(r->comparison);
    for (size_t i = 0; i < r->n_ranking; i++) {
        free(r->ranking[i].variant);
        free(r->ranking[i].kind);
    }
    free(r->ranking);
    free(r->most_affected_group);
    free(r);
}
