/*
 * results/read.c — opens a results file, checks its format and major
 * version, and loads what a report needs (see casesim/results.h).
 *
 * Results files travel between experts, so everything read is checked
 * before it is used or sized from: name lists (count, names, repeats),
 * table row counts (bounded by the name lists), and every per-replicate
 * dataset against the results schema (results/schema.c: shape, rows, and
 * stored bytes). The reader knows nothing of the analysis that wrote the
 * tables.
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
#include "results/schema.h"

static hid_t file_of(const cs_results *r)
{
    return (hid_t)r->file_id;
}

/* ------------------------------------------------------ analysis tables */

/* --------------------------------------------------- /scenario and /runs */

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
        const char *text = v ? v : "";
        st = cs_h5_check_crc(d, cs_h5_strings_crc(0, &text, 1), "/scenario/source", err);
        *out = st == CS_OK ? cs_xstrdup(text) : NULL;
        if (st == CS_OK && !*out)
            st = cs_error_set(err, CS_ENOMEM, "out of memory");
        H5Dvlen_reclaim(t, sp, H5P_DEFAULT, &v);
    }
    cs_h5_close(&sp);
    cs_h5_close(&t);
    cs_h5_close(&d);
    return st;
}

/* The rows of a variant's measures (the shape is checked when they are read). */
static int read_replicates(hid_t g, const char *path, uint64_t *rows, cs_error *err)
{
    const cs_schema_array *a = &cs_schema_arrays[CS_ARRAY_measures];
    hid_t d = H5Dopen2(g, a->name, H5P_DEFAULT);
    hid_t s = d < 0 ? H5I_INVALID_HID : H5Dget_space(d);
    hsize_t dims[1 + CS_SCHEMA_MAX_RANK] = {0};
    int st = CS_OK;
    if (s < 0 || H5Sget_simple_extent_ndims(s) != 1 + a->rank ||
        H5Sget_simple_extent_dims(s, dims, NULL) < 0)
        st = cs_h5_fail(err, CS_EFORMAT, "cannot read the shape of %s/%s", path, a->name);
    *rows = dims[0];
    cs_h5_close(&s);
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
    if (st == CS_OK)
        st = read_replicates(g, path, &v->replicates, err);
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
 * lower-case letters, digits and `_` (and `+` in a variant's: the budget
 * portfolios the loader names after their members), at most max_len bytes,
 * none repeated. The names become HDF5 paths (/runs/<variant>) and keys of
 * every table. */
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
            ok = (s[k] >= 'a' && s[k] <= 'z') || (s[k] >= '0' && s[k] <= '9') || s[k] == '_' ||
                 (s[k] == '+' && !strcmp(what, "variants"));
        if (!ok) {
            /* The bytes are the file's, maybe damaged: shown as printable
             * ASCII so that the message stays valid text. */
            char shown[65];
            size_t m = len < 64 ? len : 64;
            for (size_t k = 0; k < m; k++)
                shown[k] = s[k] >= 0x20 && s[k] < 0x7f ? s[k] : '?';
            shown[m] = '\0';
            return cs_error_set(err, CS_EFORMAT,
                                "%s: /scenario/%s[%zu] is not a valid name (`%s%s`)", path, what, i,
                                shown, len > 64 ? "..." : "");
        }
        if (find_name(names, i, s) >= 0)
            return cs_error_set(err, CS_EFORMAT, "%s: /scenario/%s repeats `%s`", path, what, s);
    }
    return CS_OK;
}

/* The name lists of /scenario as read, before they are checked and become
 * arrays of structs: each list with its own count. */
typedef struct lists {
    char **groups, **labels, **measures, **units, **descriptions, **variants;
    size_t n_groups, n_labels, n_measures, n_units, n_descriptions, n_variants;
} lists;

static void lists_free(lists *l)
{
    cs_h5_free_strings(l->groups, l->n_groups);
    cs_h5_free_strings(l->labels, l->n_labels);
    cs_h5_free_strings(l->measures, l->n_measures);
    cs_h5_free_strings(l->units, l->n_units);
    cs_h5_free_strings(l->descriptions, l->n_descriptions);
    cs_h5_free_strings(l->variants, l->n_variants);
    memset(l, 0, sizeof *l);
}

static int read_lists(hid_t sc, cs_results *r, lists *l, cs_error *err)
{
    int st = cs_h5_read_strings(sc, "groups", &l->groups, &l->n_groups, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(sc, "group_labels", &l->labels, &l->n_labels, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(sc, "measures", &l->measures, &l->n_measures, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(sc, "measure_units", &l->units, &l->n_units, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(sc, "measure_descriptions", &l->descriptions, &l->n_descriptions,
                                err);
    if (st == CS_OK)
        st = cs_h5_read_strings(sc, "stages", &r->stages, &r->n_stages, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(sc, "outcomes", &r->outcomes, &r->n_outcomes, err);
    if (st == CS_OK)
        st = cs_h5_read_strings(sc, "variants", &l->variants, &l->n_variants, err);
    return st;
}

/* Everything later code indexes by: the name lists' sizes and contents. */
static int check_lists(const cs_results *r, const lists *l, cs_error *err)
{
    const char *path = r->path;
    if (l->n_labels != l->n_groups || l->n_units != l->n_measures ||
        l->n_descriptions != l->n_measures)
        return cs_error_set(err, CS_EFORMAT,
                            "%s: /scenario name lists disagree (%zu groups, %zu labels, %zu "
                            "measures, %zu units, %zu descriptions)",
                            path, l->n_groups, l->n_labels, l->n_measures, l->n_units,
                            l->n_descriptions);
    /* Measures are named after categories too (accountability_rate_<category>). */
    const size_t measure_len = 2 * CS_MAX_NAME_LEN;
    int st =
        check_list(path, "groups", l->groups, l->n_groups, CS_MAX_GROUPS, CS_MAX_NAME_LEN, err);
    if (st == CS_OK)
        st = check_list(path, "measures", l->measures, l->n_measures, 256, measure_len, err);
    if (st == CS_OK)
        st =
            check_list(path, "stages", r->stages, r->n_stages, CS_MAX_STAGES, CS_MAX_NAME_LEN, err);
    if (st == CS_OK)
        st = check_list(path, "outcomes", r->outcomes, r->n_outcomes, CS_MAX_OUTCOMES,
                        CS_MAX_NAME_LEN, err);
    if (st == CS_OK)
        st = check_list(path, "variants", l->variants, l->n_variants, CS_MAX_VARIANTS,
                        CS_MAX_NAME_LEN, err);
    if (st == CS_OK && strcmp(l->variants[0], "baseline") != 0)
        st = cs_error_set(err, CS_EFORMAT,
                          "%s: /scenario/variants starts with `%s`, not with `baseline`", path,
                          l->variants[0]);
    for (size_t g = 0; st == CS_OK && g < l->n_groups; g++)
        if (strlen(l->labels[g]) > CS_MAX_TEXT_LEN)
            st = cs_error_set(err, CS_EFORMAT, "%s: /scenario/group_labels[%zu] is too long", path,
                              g);
    return st;
}

/* Moves the checked lists into r's arrays of structs (l keeps the
 * variants, which read_variants consumes). */
static int adopt_lists(cs_results *r, lists *l, cs_error *err)
{
    r->groups = cs_xcalloc(l->n_groups, sizeof *r->groups);
    r->measures = cs_xcalloc(l->n_measures, sizeof *r->measures);
    if (!r->groups || !r->measures)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    r->n_groups = l->n_groups;
    for (size_t g = 0; g < l->n_groups; g++) {
        r->groups[g] = (cs_results_group){.name = l->groups[g], .label = l->labels[g]};
        l->groups[g] = l->labels[g] = NULL;
    }
    r->n_measures = l->n_measures;
    for (size_t m = 0; m < l->n_measures; m++) {
        r->measures[m] = (cs_results_measure){
            .name = l->measures[m], .units = l->units[m], .description = l->descriptions[m]};
        l->measures[m] = l->units[m] = l->descriptions[m] = NULL;
    }
    return CS_OK;
}

/* The lengths of the labelled dimensions: their label lists' (plus an extra
 * label), 0 for numbered axes and lists the file lacks. */
static void read_dims(hid_t file, cs_results *r)
{
    memset(&r->dims, 0, sizeof r->dims);
    r->dims.n_groups = r->n_groups;
    for (int k = 0; k < CS_DIM_COUNT; k++) {
        const cs_schema_dim *d = &cs_schema_dims[k];
        size_t n = 0;
        if (d->labels[0] && cs_h5_count(file, d->labels, &n, NULL) == CS_OK && n > 0)
            n += d->extra ? 1 : 0;
        memcpy((char *)&r->dims + d->offset, &n, sizeof n);
    }
}

static int read_variants(hid_t file, cs_results *r, const lists *l, cs_error *err)
{
    r->variants = cs_xcalloc(l->n_variants, sizeof *r->variants);
    if (!r->variants)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    r->n_variants = l->n_variants;
    int st = CS_OK;
    for (size_t v = 0; v < l->n_variants && st == CS_OK; v++)
        st = read_variant(file, l->variants[v], &r->variants[v], err);
    return st;
}

static int read_scenario(hid_t file, cs_results *r, cs_error *err)
{
    hid_t sc = H5Gopen2(file, "/scenario", H5P_DEFAULT);
    if (sc < 0)
        return cs_h5_fail(err, CS_EFORMAT, "%s: the group /scenario is missing", r->path);
    lists l;
    memset(&l, 0, sizeof l);
    int st = cs_h5_read_attr_string(sc, "name", &r->scenario_name, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_string(sc, "description", &r->scenario_description, err);
    if (st == CS_OK)
        st = read_source(file, &r->source, err);
    if (st == CS_OK)
        st = read_lists(sc, r, &l, err);
    if (st == CS_OK)
        st = check_lists(r, &l, err);
    if (st == CS_OK)
        st = adopt_lists(r, &l, err);
    if (st == CS_OK)
        st = read_variants(file, r, &l, err);
    if (st == CS_OK)
        read_dims(file, r);
    lists_free(&l);
    cs_h5_close(&sc);
    return st;
}

/* ------------------------------------------------------- root and tables */

static int read_root(hid_t f, cs_results *r, cs_error *err)
{
    int st = cs_results_check_format(f, r->path, &r->version_major, &r->version_minor, err);
    if (st == CS_OK)
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
    if (st == CS_OK)
        st = cs_h5_read_attr_double(f, "confidence_level", &r->confidence_level, err);
    return st;
}

/* /ranking's attributes: the most affected group (one of /scenario/groups,
 * or "" for a single group) and the bootstrap resamples. */
static int read_ranking_attrs(hid_t f, cs_results *r, cs_error *err)
{
    hid_t rk = H5Dopen2(f, "/ranking", H5P_DEFAULT);
    if (rk < 0)
        return cs_h5_fail(err, CS_EFORMAT, "cannot open /ranking");
    int st = cs_h5_read_attr_string(rk, "most_affected_group", &r->most_affected_group, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(rk, "bootstrap_resamples", &r->bootstrap_resamples, err);
    cs_h5_close(&rk);
    bool known = st != CS_OK || r->most_affected_group[0] == '\0';
    for (size_t g = 0; !known && g < r->n_groups; g++)
        known = strcmp(r->groups[g].name, r->most_affected_group) == 0;
    if (!known)
        st = cs_error_set(err, CS_EFORMAT,
                          "%s: /ranking names `%.64s` as the most affected group, which is not "
                          "in /scenario/groups",
                          r->path, r->most_affected_group);
    return st;
}

/* The optional parts of format 1.2: the currency, the violation kinds with
 * their headline flags, and the tables by kind with each kind's most
 * affected group. A file without them (format 1.1) reads as having no
 * results by kind. */
static int read_kind_lists(hid_t f, cs_results *r, cs_error *err)
{
    hid_t sc = H5Gopen2(f, "/scenario", H5P_DEFAULT);
    int st = sc < 0 ? cs_h5_fail(err, CS_EFORMAT, "cannot open /scenario") : CS_OK;
    if (st == CS_OK && H5Aexists(sc, "currency") > 0)
        st = cs_h5_read_attr_string(sc, "currency", &r->currency, err);
    cs_h5_close(&sc);
    if (st == CS_OK && !r->currency && !(r->currency = cs_xstrdup("")))
        st = cs_error_set(err, CS_ENOMEM, "out of memory");
    if (st != CS_OK || H5Lexists(f, cs_schema_summary_kind.path, H5P_DEFAULT) <= 0)
        return st;
    char **head = NULL;
    size_t n_head = 0;
    st = cs_h5_read_strings(f, "/scenario/violations", &r->violations, &r->n_violations, err);
    if (st == CS_OK && (r->n_violations == 0 || r->n_violations > CS_MAX_VIOLATIONS))
        st = cs_error_set(err, CS_EFORMAT, "/scenario/violations has %zu kinds", r->n_violations);
    if (st == CS_OK && H5Lexists(f, "/scenario/headline_violations", H5P_DEFAULT) > 0)
        st = cs_h5_read_strings(f, "/scenario/headline_violations", &head, &n_head, err);
    if (st == CS_OK && !(r->headline_violations = cs_xcalloc(r->n_violations, sizeof(bool))))
        st = cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t k = 0; st == CS_OK && k < r->n_violations; k++)
        for (size_t i = 0; i < n_head; i++)
            r->headline_violations[k] |= strcmp(r->violations[k], head[i]) == 0;
    cs_h5_free_strings(head, n_head);
    return st;
}

/* /ranking_by_kind's attribute: each kind's most affected group ("" for a
 * single group, else one of /scenario/groups). */
static int read_kind_ranking_attrs(hid_t f, cs_results *r, cs_error *err)
{
    hid_t rk = H5Dopen2(f, cs_schema_ranking_kind.path, H5P_DEFAULT);
    size_t n = 0;
    int st = rk < 0 ? cs_h5_fail(err, CS_EFORMAT, "cannot open %s", cs_schema_ranking_kind.path)
                    : cs_h5_read_attr_strings(rk, "most_affected_groups", &r->most_affected_by_kind,
                                              &n, err);
    cs_h5_close(&rk);
    if (st == CS_OK && n != r->n_violations) {
        st = cs_error_set(err, CS_EFORMAT,
                          "%s names %zu most affected groups for %zu violation kinds",
                          cs_schema_ranking_kind.path, n, r->n_violations);
        cs_h5_free_strings(r->most_affected_by_kind, n);
        r->most_affected_by_kind = NULL;
    }
    for (size_t k = 0; st == CS_OK && k < n; k++) {
        bool known = r->most_affected_by_kind[k][0] == '\0';
        for (size_t g = 0; !known && g < r->n_groups; g++)
            known = strcmp(r->groups[g].name, r->most_affected_by_kind[k]) == 0;
        if (!known)
            st = cs_error_set(err, CS_EFORMAT, "%s names an unknown group `%.64s`",
                              cs_schema_ranking_kind.path, r->most_affected_by_kind[k]);
    }
    return st;
}

static int read_kind_tables(hid_t f, cs_results *r, cs_error *err)
{
    int st = read_kind_lists(f, r, err);
    if (st != CS_OK || r->n_violations == 0)
        return st;
    size_t max_rows = r->n_violations * r->n_variants * (r->n_groups + 1) * r->n_measures;
    void *rows = NULL;
    st = cs_schema_read_table(f, &cs_schema_summary_kind, max_rows, &rows, &r->n_summary_kind, err);
    r->summary_kind = rows;
    if (st == CS_OK)
        st = cs_schema_read_table(f, &cs_schema_comparison_kind, max_rows, &rows,
                                  &r->n_comparison_kind, err);
    if (st == CS_OK)
        r->comparison_kind = rows;
    if (st == CS_OK)
        st = cs_schema_read_table(f, &cs_schema_ranking_kind, r->n_violations * r->n_variants,
                                  &rows, &r->n_ranking_kind, err);
    if (st == CS_OK)
        r->ranking_kind = rows;
    if (st == CS_OK)
        st = read_kind_ranking_attrs(f, r, err);
    return st;
}

/* The tables by arrival year (1.2), when the file has them: one row per
 * (variant, arrival year, group or all, measure) at most, one per variant
 * in /timing. */
static int read_year_tables(hid_t f, cs_results *r, cs_error *err)
{
    if (H5Lexists(f, cs_schema_timing.path, H5P_DEFAULT) <= 0)
        return CS_OK;
    size_t max_rows = 0;
    if (!cs_size_mul(r->n_variants * (r->n_groups + 1) * r->n_measures, r->dims.n_arrival_years,
                     &max_rows))
        return cs_error_set(err, CS_EFORMAT, "%s: /scenario/arrival_years is too long", r->path);
    void *rows = NULL;
    int st =
        cs_schema_read_table(f, &cs_schema_summary_year, max_rows, &rows, &r->n_summary_year, err);
    r->summary_year = rows;
    if (st == CS_OK)
        st = cs_schema_read_table(f, &cs_schema_comparison_year, max_rows, &rows,
                                  &r->n_comparison_year, err);
    if (st == CS_OK)
        r->comparison_year = rows;
    if (st == CS_OK)
        st = cs_schema_read_table(f, &cs_schema_timing, r->n_variants, &rows, &r->n_timing, err);
    if (st == CS_OK)
        r->timing = rows;
    return st;
}

static int read_tables(hid_t f, cs_results *r, cs_error *err)
{
    /* One row per (variant, group or all, measure) at most; one per variant
     * in /ranking. The lists are bounded, so the product cannot overflow. */
    size_t max_rows = r->n_variants * (r->n_groups + 1) * r->n_measures;
    void *rows = NULL;
    int st = cs_schema_read_table(f, &cs_schema_summary, max_rows, &rows, &r->n_summary, err);
    r->summary = rows;
    if (st == CS_OK)
        st = cs_schema_read_table(f, &cs_schema_comparison, max_rows, &rows, &r->n_comparison, err);
    if (st == CS_OK)
        r->comparison = rows;
    if (st == CS_OK)
        st = cs_schema_read_table(f, &cs_schema_ranking, r->n_variants, &rows, &r->n_ranking, err);
    if (st == CS_OK)
        r->ranking = rows;
    if (st == CS_OK)
        st = read_ranking_attrs(f, r, err);
    if (st == CS_OK)
        st = read_kind_tables(f, r, err);
    if (st == CS_OK)
        st = read_year_tables(f, r, err);
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
    st = read_root(f, r, err);
    if (st == CS_OK)
        st = read_scenario(f, r, err);
    if (st == CS_OK)
        st = read_tables(f, r, err);
    if (st == CS_OK)
        st = cs_results_read_uncertain(f, r, err);
    if (st != CS_OK)
        goto fail;
    *out = r;
    return CS_OK;
fail:
    cs_results_close(r);
    return st;
}

/* ------------------------------------------------- per-replicate arrays */

int cs_results_read_array(const cs_results *r, size_t v, const char *name, cs_results_array *out,
                          cs_error *err)
{
    memset(out, 0, sizeof *out);
    const cs_schema_array *a = cs_schema_find_array(name);
    if (v >= r->n_variants || !a)
        return cs_error_set(err, CS_EINVAL, "%s: no variant %zu or no dataset '%s'", r->path, v,
                            name);
    char vpath[CS_MAX_NAME_LEN + 16];
    snprintf(vpath, sizeof vpath, "/runs/%s", r->variants[v].name);
    uint64_t rows = r->variants[v].replicates;
    if (rows != r->replicates)
        return cs_error_set(
            err, CS_EFORMAT, "%s: %s/%s has %llu rows, but the file records %llu replicates",
            r->path, vpath, a->name, (unsigned long long)rows, (unsigned long long)r->replicates);
    cs_schema_open o;
    int st = cs_schema_open_array(file_of(r), vpath, a, &r->dims, rows, rows, &o, err);
    if (st != CS_OK) {
        cs_error_set(err, st, "in %s", r->path);
        return st;
    }
    /* o.rows * o.row_elems * a->size fits size_t (checked on opening). */
    void *data = cs_xcalloc((size_t)o.rows * o.row_elems, a->size);
    char what[CS_MAX_NAME_LEN + 64];
    snprintf(what, sizeof what, "%s/%s", vpath, a->name);
    if (!data)
        st = cs_error_set(err, CS_ENOMEM, "out of memory reading %s", what);
    else
        st = cs_schema_read_rows(&o, a, 0, o.rows, data, what, err);
    cs_h5_close(&o.ds);
    if (st != CS_OK) {
        free(data);
        return st;
    }
    *out = (cs_results_array){.schema = a, .data = data, .rows = o.rows};
    memcpy(out->shape, o.shape, sizeof out->shape);
    return CS_OK;
}

void cs_results_array_free(cs_results_array *a)
{
    free(a->data);
    memset(a, 0, sizeof *a);
}

int cs_results_read_measures(const cs_results *r, size_t v, double **out, uint64_t *n_replicates,
                             cs_error *err)
{
    *out = NULL;
    *n_replicates = 0;
    cs_results_array a;
    int st = cs_results_read_array(r, v, "measures", &a, err);
    if (st != CS_OK)
        return st;
    *out = a.data;
    *n_replicates = a.rows;
    return CS_OK;
}

/* -------------------------------------------------------------- lookups */

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

const cs_results_summary_row *cs_results_find_summary_kind(const cs_results *r,
                                                           const char *violation,
                                                           const char *variant, const char *group,
                                                           const char *measure)
{
    for (size_t i = 0; i < r->n_summary_kind; i++) {
        const cs_results_summary_kind_row *s = &r->summary_kind[i];
        if (!strcmp(s->violation, violation) && !strcmp(s->row.variant, variant) &&
            !strcmp(s->row.group, group) && !strcmp(s->row.measure, measure))
            return &s->row;
    }
    return NULL;
}

const cs_results_comparison_row *
cs_results_find_comparison_kind(const cs_results *r, const char *violation, const char *variant,
                                const char *group, const char *measure)
{
    for (size_t i = 0; i < r->n_comparison_kind; i++) {
        const cs_results_comparison_kind_row *c = &r->comparison_kind[i];
        if (!strcmp(c->violation, violation) && !strcmp(c->row.variant, variant) &&
            !strcmp(c->row.group, group) && !strcmp(c->row.measure, measure))
            return &c->row;
    }
    return NULL;
}

const cs_results_ranking_row *
cs_results_find_ranking_kind(const cs_results *r, const char *violation, const char *variant)
{
    for (size_t i = 0; i < r->n_ranking_kind; i++)
        if (!strcmp(r->ranking_kind[i].violation, violation) &&
            !strcmp(r->ranking_kind[i].row.variant, variant))
            return &r->ranking_kind[i].row;
    return NULL;
}

void cs_results_close(cs_results *r)
{
    if (!r)
        return;
    hid_t f = file_of(r);
    cs_h5_close(&f);
    free(r->path);
    free(r->casesim_version);
    free(r->created);
    free(r->status);
    free(r->command_line);
    free(r->scenario_name);
    free(r->scenario_description);
    free(r->source);
    for (size_t g = 0; r->groups && g < r->n_groups; g++) {
        free(r->groups[g].name);
        free(r->groups[g].label);
    }
    free(r->groups);
    for (size_t m = 0; r->measures && m < r->n_measures; m++) {
        free(r->measures[m].name);
        free(r->measures[m].units);
        free(r->measures[m].description);
    }
    free(r->measures);
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
    cs_schema_free_rows(&cs_schema_summary, r->summary, r->n_summary);
    cs_schema_free_rows(&cs_schema_comparison, r->comparison, r->n_comparison);
    cs_schema_free_rows(&cs_schema_ranking, r->ranking, r->n_ranking);
    cs_schema_free_rows(&cs_schema_summary_year, r->summary_year, r->n_summary_year);
    cs_schema_free_rows(&cs_schema_comparison_year, r->comparison_year, r->n_comparison_year);
    cs_schema_free_rows(&cs_schema_timing, r->timing, r->n_timing);
    free(r->sampling);
    cs_schema_free_rows(&cs_schema_inputs, r->inputs, r->n_inputs);
    cs_schema_free_rows(&cs_schema_values, r->values, r->n_values);
    cs_results_decision_free(r->decision);
    cs_schema_free_rows(&cs_schema_summary_kind, r->summary_kind, r->n_summary_kind);
    cs_schema_free_rows(&cs_schema_comparison_kind, r->comparison_kind, r->n_comparison_kind);
    cs_schema_free_rows(&cs_schema_ranking_kind, r->ranking_kind, r->n_ranking_kind);
    free(r->most_affected_group);
    free(r->currency);
    free(r->headline_violations);
    cs_h5_free_strings(r->most_affected_by_kind, r->most_affected_by_kind ? r->n_violations : 0);
    cs_h5_free_strings(r->violations, r->n_violations);
    free(r);
}

uint32_t cs_results_absent_arrays(const cs_results *r)
{
    uint32_t mask = 0;
    for (int k = 0; k < CS_SCHEMA_N_ARRAYS; k++)
        for (size_t v = 0; v < r->n_variants && cs_schema_array_optional(k); v++) {
            char path[CS_MAX_NAME_LEN + 96];
            snprintf(path, sizeof path, "/runs/%s/%s", r->variants[v].name,
                     cs_schema_arrays[k].name);
            if (H5Lexists(file_of(r), path, H5P_DEFAULT) <= 0)
                mask |= UINT32_C(1) << k;
            H5Eclear2(H5E_DEFAULT);
        }
    return mask;
}
