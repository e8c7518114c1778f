/*
 * results/join.c — copying finished replicates of existing results files into
 * a new one, for `casesim merge` and `casesim run --resume` (see
 * casesim/results_join.h).
 *
 * Rows are read back into cs_replicate_result structs and handed to the
 * ordinary writer, so a joined file cannot differ in layout from a file
 * written by one run: the writer is the only code that writes /runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/results_join.h"
#include "results/h5util.h"
#include "results/internal.h"

/* The per-replicate datasets of /runs/<variant>, as the writer lays them out:
 * dims after the replicate axis, and where the row goes in a result. */
enum {
    J_MEASURES,
    J_OUTCOMES,
    J_ENTRIES,
    J_STAGE_STATS,
    J_BACKLOG,
    J_PERIOD_ENTRIES,
    J_PERIOD_OUTCOMES,
    J_REPLICATE,
    J_INCIDENTS,
    J_EVENTS,
    J_COUNT
};

static const char *const j_names[J_COUNT] = {
    "measures",       "outcome_counts",  "stage_entries",   "stage_stats",         "backlog",
    "period_entries", "period_outcomes", "replicate_index", "incidents_simulated", "events"};

static hid_t j_mtype(int k)
{
    switch (k) {
    case J_MEASURES:
    case J_STAGE_STATS:
        return H5T_NATIVE_DOUBLE;
    case J_BACKLOG:
        return H5T_NATIVE_FLOAT;
    case J_OUTCOMES:
    case J_ENTRIES:
    case J_PERIOD_ENTRIES:
    case J_PERIOD_OUTCOMES:
        return H5T_NATIVE_INT64;
    default:
        return H5T_NATIVE_UINT64;
    }
}

/* Rank (after the replicate axis) and dims of dataset k for dims d. */
static int j_dims(int k, const cs_result_dims *d, hsize_t out[2])
{
    size_t g1 = d->n_groups + 1;
    switch (k) {
    case J_MEASURES:
        out[0] = g1, out[1] = d->n_measures;
        return 2;
    case J_OUTCOMES:
        out[0] = g1, out[1] = d->n_outcomes;
        return 2;
    case J_ENTRIES:
        out[0] = g1, out[1] = d->n_stages;
        return 2;
    case J_STAGE_STATS:
        out[0] = d->n_stages, out[1] = CS_SS_COUNT;
        return 2;
    case J_BACKLOG:
        out[0] = d->n_stages, out[1] = d->n_months;
        return 2;
    case J_PERIOD_ENTRIES:
        out[0] = d->n_years, out[1] = d->n_stages;
        return 2;
    case J_PERIOD_OUTCOMES:
        out[0] = d->n_years, out[1] = d->n_outcomes;
        return 2;
    default:
        return 0;
    }
}

static void *j_row(int k, cs_replicate_result *r)
{
    switch (k) {
    case J_MEASURES:
        return r->measures;
    case J_OUTCOMES:
        return r->outcome_counts;
    case J_ENTRIES:
        return r->stage_entries;
    case J_STAGE_STATS:
        return r->stage_stats;
    case J_BACKLOG:
        return r->backlog;
    case J_PERIOD_ENTRIES:
        return r->period_entries;
    case J_PERIOD_OUTCOMES:
        return r->period_outcomes;
    case J_REPLICATE:
        return &r->replicate;
    case J_INCIDENTS:
        return &r->incidents_total;
    default:
        return &r->events;
    }
}

/* The memory type of a case record (as the writer's). */
static hid_t case_mtype(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(cs_case_record));
    typedef cs_case_record C;
    if (t < 0 || H5Tinsert(t, "replicate", HOFFSET(C, replicate), H5T_NATIVE_UINT64) < 0 ||
        H5Tinsert(t, "group", HOFFSET(C, group), H5T_NATIVE_UINT32) < 0 ||
        H5Tinsert(t, "incident", HOFFSET(C, incident), H5T_NATIVE_UINT64) < 0 ||
        H5Tinsert(t, "arrival_day", HOFFSET(C, arrival_day), H5T_NATIVE_DOUBLE) < 0 ||
        H5Tinsert(t, "violation", HOFFSET(C, violation), H5T_NATIVE_UINT32) < 0 ||
        H5Tinsert(t, "well_founded", HOFFSET(C, well_founded), H5T_NATIVE_UINT8) < 0 ||
        H5Tinsert(t, "evidence", HOFFSET(C, evidence), H5T_NATIVE_DOUBLE) < 0 ||
        H5Tinsert(t, "end_day", HOFFSET(C, end_day), H5T_NATIVE_DOUBLE) < 0 ||
        H5Tinsert(t, "n_tracks", HOFFSET(C, n_tracks), H5T_NATIVE_UINT32) < 0 ||
        H5Tinsert(t, "outcome_mask", HOFFSET(C, outcome_mask), H5T_NATIVE_UINT64) < 0)
        cs_h5_close(&t);
    return t;
}

static hid_t file_of(const cs_results *r)
{
    return (hid_t)r->file_id;
}

int cs_results_run_info_get(const cs_results *r, const cs_scenario *s, cs_results_run_info *info,
                            cs_error *err)
{
    memset(info, 0, sizeof *info);
    if (strcmp(r->casesim_version, CASESIM_VERSION_STRING) != 0)
        return cs_error_set(err, CS_EINVAL,
                            "%s was written by casesim %s; this is casesim %s, whose replicates "
                            "may differ: use casesim %s",
                            r->path, r->casesim_version, CASESIM_VERSION_STRING,
                            r->casesim_version);
    size_t len = strlen(r->source);
    if (!s->source || len != s->source_len || memcmp(r->source, s->source, len) != 0)
        return cs_error_set(err, CS_EINVAL,
                            "%s was written from another scenario text than %s (the file keeps "
                            "its scenario in /scenario/source); resume or join only with the "
                            "very same scenario file",
                            r->path, s->path ? s->path : "the scenario");
    int st =
        cs_h5_read_attr_u64(file_of(r), "replicates_requested", &info->replicates_requested, err);
    if (st == CS_OK)
        st = cs_h5_read_attr_u64(file_of(r), "case_record_replicates",
                                 &info->case_record_replicates, err);
    if (st != CS_OK)
        return st;
    info->variants = calloc(r->n_variants ? r->n_variants : 1, sizeof *info->variants);
    if (!info->variants)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->n_variants; i++) {
        long v = cs_scenario_find_variant(s, r->variants[i].name);
        if (v < 0 || (i == 0 && v != 0) || (i > 0 && (size_t)v <= info->variants[i - 1])) {
            free(info->variants);
            info->variants = NULL;
            return cs_error_set(err, CS_EFORMAT,
                                "%s: its variant '%s' is not where the scenario has it", r->path,
                                r->variants[i].name);
        }
        info->variants[i] = (size_t)v;
    }
    if (r->n_variants == 0) {
        free(info->variants);
        info->variants = NULL;
        return cs_error_set(err, CS_EFORMAT, "%s: the file has no variants", r->path);
    }
    return CS_OK;
}

int cs_results_check_joinable(const cs_results *a, const cs_results *b, cs_error *err)
{
    if (a->version_major != b->version_major)
        return cs_error_set(err, CS_EINVAL, "%s and %s have results format versions %d and %d",
                            a->path, b->path, a->version_major, b->version_major);
    if (strcmp(a->casesim_version, b->casesim_version) != 0)
        return cs_error_set(err, CS_EINVAL,
                            "%s and %s were written by different casesim versions (%s and %s), "
                            "whose replicates may differ",
                            a->path, b->path, a->casesim_version, b->casesim_version);
    if (strcmp(a->source, b->source) != 0)
        return cs_error_set(err, CS_EINVAL,
                            "%s and %s were run from different scenario texts "
                            "(/scenario/source differs)",
                            a->path, b->path);
    if (a->seed != b->seed)
        return cs_error_set(err, CS_EINVAL,
                            "%s and %s were run with different seeds (%llu and %llu): their "
                            "replicates are not one sample",
                            a->path, b->path, (unsigned long long)a->seed,
                            (unsigned long long)b->seed);
    bool same = a->n_variants == b->n_variants;
    for (size_t i = 0; same && i < a->n_variants; i++)
        same = strcmp(a->variants[i].name, b->variants[i].name) == 0;
    if (!same)
        return cs_error_set(err, CS_EINVAL,
                            "%s and %s hold different variants (run them with the same --only)",
                            a->path, b->path);
    return CS_OK;
}

/* Reads row `row` of the per-replicate datasets d[] into out. */
static int read_row(hid_t const *d, int *ranks, hsize_t (*dims)[2], uint64_t row,
                    cs_replicate_result *out, const char *vpath, cs_error *err)
{
    for (int k = 0; k < J_COUNT; k++) {
        hsize_t start[3] = {row, 0, 0}, count[3] = {1, dims[k][0], dims[k][1]};
        hid_t fs = H5Dget_space(d[k]);
        hid_t ms = H5Screate_simple(1 + ranks[k], count, NULL);
        int ok = fs >= 0 && ms >= 0 &&
                 H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
                 H5Dread(d[k], j_mtype(k), ms, fs, H5P_DEFAULT, j_row(k, out)) >= 0;
        cs_h5_close(&ms);
        cs_h5_close(&fs);
        if (!ok)
            return cs_h5_fail(err, CS_EIO, "cannot read row %llu of %s/%s", (unsigned long long)row,
                              vpath, j_names[k]);
    }
    return CS_OK;
}

/* Opens the per-replicate datasets of one variant and checks their shapes:
 * at least n_rows rows, and s's dimensions after the replicate axis. */
static int open_variant(hid_t file, const char *vpath, const cs_result_dims *dims, uint64_t n_rows,
                        hid_t *d, int *ranks, hsize_t (*want)[2], cs_error *err)
{
    for (int k = 0; k < J_COUNT; k++) {
        char path[CS_MAX_NAME_LEN + 64];
        snprintf(path, sizeof path, "%s/%s", vpath, j_names[k]);
        ranks[k] = j_dims(k, dims, want[k]);
        if (ranks[k] == 0)
            want[k][0] = want[k][1] = 1;
        d[k] = H5Dopen2(file, path, H5P_DEFAULT);
        hid_t fs = d[k] < 0 ? H5I_INVALID_HID : H5Dget_space(d[k]);
        hsize_t got[3] = {0, 0, 0};
        int nd = fs < 0 ? -1 : H5Sget_simple_extent_ndims(fs);
        bool ok = nd == 1 + ranks[k] && H5Sget_simple_extent_dims(fs, got, NULL) >= 0 &&
                  got[0] >= n_rows &&
                  (ranks[k] == 0 || (got[1] == want[k][0] && got[2] == want[k][1]));
        cs_h5_close(&fs);
        if (!ok)
            return cs_h5_fail(err, CS_EFORMAT,
                              "%s is missing, or its shape does not match the scenario's "
                              "dimensions and the file's replicate count",
                              path);
    }
    return CS_OK;
}

/* Reads the whole case-record table of a variant (bounded by --case-records,
 * which the user keeps small). */
static int read_cases(hid_t file, const char *vpath, cs_case_record **out, size_t *n, cs_error *err)
{
    *out = NULL;
    *n = 0;
    char path[CS_MAX_NAME_LEN + 64];
    snprintf(path, sizeof path, "%s/cases", vpath);
    if (H5Lexists(file, path, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return CS_OK;
    }
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    hid_t fs = d < 0 ? H5I_INVALID_HID : H5Dget_space(d);
    hid_t mt = case_mtype();
    hssize_t np = fs < 0 ? -1 : H5Sget_simple_extent_npoints(fs);
    int st = CS_OK;
    if (np < 0 || mt < 0) {
        st = cs_h5_fail(err, CS_EFORMAT, "cannot open %s", path);
    } else if ((uint64_t)np > SIZE_MAX / sizeof(cs_case_record)) {
        st = cs_error_set(err, CS_ELIMIT, "%s is too large", path);
    } else if (np > 0) {
        *out = malloc((size_t)np * sizeof **out);
        if (!*out)
            st = cs_error_set(err, CS_ENOMEM, "out of memory reading %s", path);
        else if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
            st = cs_h5_fail(err, CS_EFORMAT, "cannot read %s", path);
        if (st == CS_OK)
            *n = (size_t)np;
        else {
            free(*out);
            *out = NULL;
        }
    }
    cs_h5_close(&mt);
    cs_h5_close(&fs);
    cs_h5_close(&d);
    return st;
}

/* Attaches to out the case records of replicate out->replicate, which start
 * at *cursor in the table (sorted by replicate, as the writer appends). */
static int attach_cases(const cs_case_record *all, size_t n_all, size_t *cursor,
                        cs_replicate_result *out, cs_error *err)
{
    out->n_cases = 0;
    while (*cursor < n_all && all[*cursor].replicate < out->replicate)
        ++*cursor;
    size_t start = *cursor;
    while (*cursor < n_all && all[*cursor].replicate == out->replicate)
        ++*cursor;
    size_t n = *cursor - start;
    if (n > out->cap_cases) {
        cs_case_record *p = realloc(out->cases, n * sizeof *p);
        if (!p)
            return cs_error_set(err, CS_ENOMEM, "out of memory");
        out->cases = p;
        out->cap_cases = n;
    }
    if (n)
        memcpy(out->cases, all + start, n * sizeof *all);
    out->n_cases = n;
    return CS_OK;
}

int cs_results_copy_replicates(const cs_results *r, const cs_scenario *s, uint64_t n_rows,
                               bool cases, cs_results_writer *w, cs_error *err)
{
    cs_results_run_info info;
    int st = cs_results_run_info_get(r, s, &info, err);
    if (st != CS_OK)
        return st;
    size_t nv = r->n_variants;
    cs_result_dims dims;
    cs_result_dims_of(s->n_variants ? s->variants[0].scenario : s, &dims);
    hid_t(*d)[J_COUNT] = malloc(nv * sizeof *d);
    int(*ranks)[J_COUNT] = malloc(nv * sizeof *ranks);
    hsize_t(*want)[J_COUNT][2] = malloc(nv * sizeof *want);
    cs_case_record **rec = calloc(nv, sizeof *rec);
    size_t *n_rec = calloc(nv, sizeof *n_rec), *cursor = calloc(nv, sizeof *cursor);
    char(*vpath)[CS_MAX_NAME_LEN + 16] = calloc(nv, sizeof *vpath);
    cs_replicate_result *res = NULL;
    if (!d || !ranks || !want || !rec || !n_rec || !cursor || !vpath) {
        st = cs_error_set(err, CS_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t v = 0; v < nv; v++)
        for (int k = 0; k < J_COUNT; k++)
            d[v][k] = H5I_INVALID_HID;
    st = cs_replicate_result_alloc(&dims, &res, err);
    for (size_t v = 0; v < nv && st == CS_OK; v++) {
        snprintf(vpath[v], sizeof vpath[v], "/runs/%s", r->variants[v].name);
        st = open_variant(file_of(r), vpath[v], &dims, n_rows, d[v], ranks[v], want[v], err);
        if (st == CS_OK && cases)
            st = read_cases(file_of(r), vpath[v], &rec[v], &n_rec[v], err);
    }
    for (uint64_t row = 0; row < n_rows && st == CS_OK; row++) {
        for (size_t v = 0; v < nv && st == CS_OK; v++) {
            cs_replicate_result_reset(res);
            st = read_row(d[v], ranks[v], want[v], row, res, vpath[v], err);
            if (st == CS_OK && res->replicate != r->first_replicate + row)
                st = cs_error_set(err, CS_EFORMAT,
                                  "%s: %s/replicate_index holds %llu in row %llu, where the file's "
                                  "first_replicate makes it %llu",
                                  r->path, vpath[v], (unsigned long long)res->replicate,
                                  (unsigned long long)row,
                                  (unsigned long long)(r->first_replicate + row));
            res->variant = info.variants[v];
            if (st == CS_OK && cases)
                st = attach_cases(rec[v], n_rec[v], &cursor[v], res, err);
            if (st == CS_OK)
                st = cs_results_writer_append(w, res, err);
        }
    }
done:
    cs_replicate_result_free(res);
    for (size_t v = 0; d && v < nv; v++)
        for (int k = 0; k < J_COUNT; k++)
            cs_h5_close(&d[v][k]);
    for (size_t v = 0; rec && v < nv; v++)
        free(rec[v]);
    free(d);
    free(ranks);
    free(want);
    free(rec);
    free(n_rec);
    free(cursor);
    free(vpath);
    free(info.variants);
    return st;
}

static int by_first(const void *a, const void *b)
{
    const cs_results *x = *(cs_results *const *)a, *y = *(cs_results *const *)b;
    return x->first_replicate < y->first_replicate ? -1 : x->first_replicate > y->first_replicate;
}

int cs_results_merge(const char *const *inputs, size_t n, const char *out_path,
                     const char *command_line, size_t *dropped_case_ranges, cs_error *err)
{
    if (dropped_case_ranges)
        *dropped_case_ranges = 0;
    if (n < 2)
        return cs_error_set(err, CS_EUSAGE, "merge: give at least two results files");
    cs_results **in = calloc(n, sizeof *in);
    if (!in)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    cs_scenario *s = NULL;
    cs_results_writer *w = NULL;
    cs_results_run_info info = {0, 0, NULL};
    int st = CS_OK;
    for (size_t i = 0; i < n && st == CS_OK; i++) {
        st = cs_results_open(inputs[i], &in[i], err);
        if (st != CS_OK)
            break;
        if (strcmp(in[i]->status, "complete") != 0)
            st = cs_error_set(err, CS_EINVAL,
                              "%s is incomplete (status \"%s\", %llu replicates finished): finish "
                              "it first with `casesim run SCENARIO.yaml -o %s --resume`",
                              inputs[i], in[i]->status, (unsigned long long)in[i]->replicates,
                              inputs[i]);
        else if (i > 0)
            st = cs_results_check_joinable(in[0], in[i], err);
    }
    if (st != CS_OK)
        goto done;
    qsort(in, n, sizeof *in, by_first);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const cs_results *a = in[i];
        if (a->replicates == 0 || a->first_replicate > UINT64_MAX - a->replicates) {
            st = cs_error_set(err, CS_EINVAL, "%s holds no replicates", a->path);
            goto done;
        }
        if (i + 1 < n) {
            const cs_results *b = in[i + 1];
            uint64_t end = a->first_replicate + a->replicates; /* one past a's last */
            if (b->first_replicate < end) {
                st = cs_error_set(err, CS_EINVAL,
                                  "%s (replicates %llu..%llu) and %s (replicates %llu..%llu) "
                                  "overlap: a replicate would be counted twice",
                                  a->path, (unsigned long long)a->first_replicate,
                                  (unsigned long long)(end - 1), b->path,
                                  (unsigned long long)b->first_replicate,
                                  (unsigned long long)(b->first_replicate + b->replicates - 1));
                goto done;
            }
            if (b->first_replicate > end) {
                st = cs_error_set(err, CS_EINVAL,
                                  "replicates %llu..%llu are missing between %s and %s: run "
                                  "them (casesim run --first-replicate %llu --replicates %llu) "
                                  "and merge that file too",
                                  (unsigned long long)end,
                                  (unsigned long long)(b->first_replicate - 1), a->path, b->path,
                                  (unsigned long long)end,
                                  (unsigned long long)(b->first_replicate - end));
                goto done;
            }
        }
        total += a->replicates;
    }
    st = cs_scenario_load_string(in[0]->source, strlen(in[0]->source), in[0]->path, &s, err);
    if (st != CS_OK) {
        cs_error_set(err, st, "%s: its scenario text no longer loads with this casesim",
                     in[0]->path);
        goto done;
    }
    /* The joined file names the scenario file as the runs did. */
    {
        char *spath = NULL;
        hid_t g = H5Gopen2((hid_t)in[0]->file_id, "/scenario", H5P_DEFAULT);
        if (g < 0 || cs_h5_read_attr_string(g, "path", &spath, err) != CS_OK) {
            st = cs_h5_fail(err, CS_EFORMAT, "%s: cannot read /scenario's path", in[0]->path);
        } else {
            free(s->path);
            s->path = spath;
        }
        cs_h5_close(&g);
        if (st != CS_OK)
            goto done;
    }
    st = cs_results_run_info_get(in[0], s, &info, err);
    if (st != CS_OK)
        goto done;
    for (size_t i = 1; i < n && dropped_case_ranges; i++) {
        uint64_t c = 0;
        cs_error local;
        cs_error_clear(&local);
        if (cs_h5_read_attr_u64((hid_t)in[i]->file_id, "case_record_replicates", &c, &local) ==
                CS_OK &&
            c > 0)
            ++*dropped_case_ranges;
    }
    cs_results_options opt = {.command_line = command_line,
                              .seed = in[0]->seed,
                              .first_replicate = in[0]->first_replicate,
                              .n_replicates = total,
                              .n_variants = in[0]->n_variants,
                              .variants = info.variants,
                              .case_record_replicates = info.case_record_replicates};
    st = cs_results_writer_open(out_path, s, &opt, &w, err);
    for (size_t i = 0; i < n && st == CS_OK; i++)
        st = cs_results_copy_replicates(in[i], s, in[i]->replicates, i == 0, w, err);
    if (st == CS_OK) {
        st = cs_results_writer_close(w, true, err);
        w = NULL;
    }
done:
    cs_results_writer_free(w);
    free(info.variants);
    cs_scenario_free(s);
    for (size_t i = 0; i < n; i++)
        cs_results_close(in[i]);
    free(in);
    return st;
}
