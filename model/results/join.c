/*
 * results/join.c — copying finished replicates of existing results files into
 * a new one, for `casesim merge` and `casesim run --resume` (see
 * casesim/results_join.h).
 *
 * Rows are read back into cs_replicate_result structs and handed to the
 * ordinary writer, so a joined file cannot differ in layout from a file
 * written by one run: the writer is the only code that writes /runs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/results_disparity.h"
#include "casesim/results_join.h"
#include "core/alloc.h"
#include "results/h5util.h"
#include "results/internal.h"
#include "results/schema.h"

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
    /* Files of one run were written by one casesim, so in one format: a
     * minor version that differs says they were not (and an older file may
     * lack arrays that a newer one has). */
    if (a->version_major != b->version_major || a->version_minor != b->version_minor)
        return cs_error_set(err, CS_EINVAL,
                            "%s and %s have results format versions %d.%d and %d.%d: files of "
                            "one run have one format; join only files written by one casesim",
                            a->path, b->path, a->version_major, a->version_minor, b->version_major,
                            b->version_minor);
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
    const cs_results *study = cs_results_is_study(a) ? a : cs_results_is_study(b) ? b : NULL;
    if (study)
        return cs_error_set(err, CS_EINVAL,
                            "%s holds a sensitivity study, whose runs are the points of one "
                            "design: it cannot be joined (an interrupted study is finished "
                            "with casesim sensitivity --resume)",
                            study->path);
    if (strcmp(a->sampling, b->sampling) != 0)
        return cs_error_set(err, CS_EINVAL,
                            "%s and %s drew their uncertain inputs differently (%s and %s): run "
                            "both with or both without --no-uncertainty, and with the same "
                            "--posterior (or none)",
                            a->path, b->path, a->sampling[0] ? a->sampling : "none",
                            b->sampling[0] ? b->sampling : "none");
    bool same = a->n_variants == b->n_variants;
    for (size_t i = 0; same && i < a->n_variants; i++)
        same = strcmp(a->variants[i].name, b->variants[i].name) == 0;
    if (!same)
        return cs_error_set(err, CS_EINVAL,
                            "%s and %s hold different variants (run them with the same --only)",
                            a->path, b->path);
    return CS_OK;
}

/* The per-replicate datasets of one variant of an input, opened and checked
 * against the schema for the scenario's dimensions. */
typedef struct var_in {
    char path[CS_MAX_NAME_LEN + 16]; /* /runs/<variant> */
    cs_schema_open d[CS_SCHEMA_N_ARRAYS];
    cs_case_record *rec; /* its case records (with cases), sorted by replicate */
    size_t n_rec, cursor;
    double fixed_cost; /* the variant's annual cost as the scenario states it */
} var_in;

/* Whether array k came with time and feedback (format 1.2): a file written
 * before it, or by a build without it, lacks it, and the joined file then
 * holds what such a run would have written (fill_absent). */
static bool time_array(int k)
{
    return k == CS_ARRAY_measures_by_year || k == CS_ARRAY_feedback_multiplier ||
           k == CS_ARRAY_feedback_signal;
}

/* Whether array k may be absent from a file of this major version: the
 * arrays this format's 1.2 added as optional (files of 1.0 and 1.1, and of
 * builds without uncertain inputs, time or calibration targets, lack
 * them): the values of the uncertain inputs (none in such a file), each
 * replicate's annual cost (then the variant's fixed cost), the time arrays,
 * and the counts by group and by delay year that calibration targets read
 * (then zero). */
static bool may_be_absent(int k)
{
    return k == CS_ARRAY_uncertain_values || k == CS_ARRAY_annual_cost || time_array(k) ||
           k == CS_ARRAY_period_entries_by_group || k == CS_ARRAY_period_outcomes_by_group ||
           k == CS_ARRAY_cohort_entries_by_delay || k == CS_ARRAY_cohort_outcomes_by_delay;
}

/* Whether array k is absent from v where it may be (then v->d[k].ds stays
 * invalid); an absent uncertain_values is refused when the scenario has
 * uncertain inputs. */
static bool absent(hid_t file, const var_in *v, int k, const cs_result_dims *dims)
{
    char path[sizeof v->path + 64];
    snprintf(path, sizeof path, "%s/%s", v->path, cs_schema_arrays[k].name);
    if (!may_be_absent(k) || H5Lexists(file, path, H5P_DEFAULT) > 0)
        return false;
    H5Eclear2(H5E_DEFAULT);
    return k != CS_ARRAY_uncertain_values || dims->n_inputs == 0;
}

static void var_in_close(var_in *v)
{
    for (int k = 0; k < CS_SCHEMA_N_ARRAYS; k++)
        cs_h5_close(&v->d[k].ds);
    free(v->rec);
    v->rec = NULL;
}

/* Whether r's files lack the arrays by violation kind: written by an
 * earlier casesim, they are joined without them (and the joined file has
 * none, as they had none). */
static bool without_kinds(const cs_results *r)
{
    char path[CS_MAX_NAME_LEN + 32];
    snprintf(path, sizeof path, "/runs/%s/kind_measures", r->variants[0].name);
    bool absent = H5Lexists(file_of(r), path, H5P_DEFAULT) <= 0;
    H5Eclear2(H5E_DEFAULT);
    return absent;
}

/* Whether array a is joined (kinds: the inputs have the arrays by kind). */
static bool joined(const cs_schema_array *a, bool kinds)
{
    return kinds || !cs_schema_has_axis(a, CS_DIM_KIND);
}

/* Opens every per-replicate dataset of a variant that is joined, but those
 * absent where they may be (see may_be_absent) and the optional ones in
 * `omitted` (CS_OPTIONAL_ARRAYS; their ds stays invalid): s's dimensions
 * after the replicate axis, at least n_rows rows. */
static int open_variant(hid_t file, var_in *v, const cs_result_dims *dims, uint64_t n_rows,
                        bool kinds, uint32_t omitted, cs_error *err)
{
    int st = CS_OK;
    for (int k = 0; k < CS_SCHEMA_N_ARRAYS && st == CS_OK; k++)
        if (joined(&cs_schema_arrays[k], kinds) && !(omitted >> k & 1) && !absent(file, v, k, dims))
            st = cs_schema_open_array(file, v->path, &cs_schema_arrays[k], dims, n_rows, UINT64_MAX,
                                      &v->d[k], err);
    return st;
}

/* A time array absent from the input: the multipliers of a run without
 * feedback (1, the one row `none`), and NaN (not measured) for the rest;
 * the analysis writes no tables by arrival year from NaN alone. */
static void fill_absent(int k, cs_replicate_result *out)
{
    const cs_schema_array *a = &cs_schema_arrays[k];
    double *x = cs_schema_array_data(a, out); /* all three are double arrays */
    size_t n = 0;
    if (!cs_schema_array_count(a, &out->dims, &n))
        return;
    for (size_t i = 0; i < n; i++)
        x[i] = k == CS_ARRAY_feedback_multiplier ? 1.0 : NAN;
}

/* Reads row `row` of every joined per-replicate dataset of v into out (an
 * optional array of CS_OPTIONAL_ARRAYS the file lacks is zeroed: the writer
 * omits it). */
static int read_row(const var_in *v, uint64_t row, bool kinds, cs_replicate_result *out,
                    cs_error *err)
{
    int st = CS_OK;
    for (int k = 0; k < CS_SCHEMA_N_ARRAYS && st == CS_OK; k++) {
        const cs_schema_array *a = &cs_schema_arrays[k];
        if (!joined(a, kinds))
            continue;
        char what[CS_MAX_NAME_LEN + 96];
        if (v->d[k].ds < 0) { /* absent where it may be: see may_be_absent */
            size_t n = 0;
            if (k == CS_ARRAY_annual_cost)
                *(double *)cs_schema_array_data(a, out) = v->fixed_cost;
            else if (time_array(k))
                fill_absent(k, out);
            else if (cs_schema_array_count(a, &out->dims, &n) && n > 0)
                memset(cs_schema_array_data(a, out), 0, n * cs_type_size(a->type));
            continue;
        }
        snprintf(what, sizeof what, "row %llu of %s/%s", (unsigned long long)row, v->path, a->name);
        st = cs_schema_read_rows(&v->d[k], a, row, 1, cs_schema_array_data(a, out), what, err);
    }
    return st;
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
    hid_t mt = cs_schema_case_mtype();
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

/* Replicate `row` of every variant of r, in variant order, to the writer. */
static int copy_row(const cs_results *r, var_in *vin, const size_t *variants, uint64_t row,
                    bool cases, cs_replicate_result *res, cs_results_writer *w, cs_error *err)
{
    int st = CS_OK;
    for (size_t v = 0; v < r->n_variants && st == CS_OK; v++) {
        cs_replicate_result_reset(res);
        st = read_row(&vin[v], row, !without_kinds(r), res, err);
        if (st == CS_OK && res->replicate != r->first_replicate + row)
            st = cs_error_set(err, CS_EFORMAT,
                              "%s: %s/replicate_index holds %llu in row %llu, where the file's "
                              "first_replicate makes it %llu",
                              r->path, vin[v].path, (unsigned long long)res->replicate,
                              (unsigned long long)row,
                              (unsigned long long)(r->first_replicate + row));
        res->variant = variants[v];
        if (st == CS_OK && cases)
            st = attach_cases(vin[v].rec, vin[v].n_rec, &vin[v].cursor, res, err);
        if (st == CS_OK)
            st = cs_results_writer_append(w, res, err);
    }
    return st;
}

int cs_results_copy_replicates(const cs_results *r, const cs_scenario *s, uint64_t n_rows,
                               bool cases, cs_results_writer *w, cs_error *err)
{
    cs_results_run_info info;
    int st = cs_results_run_info_get(r, s, &info, err);
    if (st != CS_OK)
        return st;
    size_t nv = r->n_variants;
    uint32_t omitted = cs_results_absent_arrays(r);
    /* The writer must leave out what r lacks: nothing is made up. */
    if ((omitted & cs_results_writer_omitted(w)) != omitted)
        return cs_error_set(err, CS_EINTERNAL, "%s lacks arrays the file written is to hold",
                            r->path);
    cs_result_dims dims;
    cs_result_dims_of(s->n_variants ? s->variants[0].scenario : s, &dims);
    dims.n_measures = r->n_measures; /* the file's list (an earlier casesim's may differ) */
    bool kinds = !without_kinds(r);
    var_in *vin = cs_xcalloc(nv, sizeof *vin);
    cs_replicate_result *res = NULL;
    if (!vin) {
        st = cs_error_set(err, CS_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t v = 0; v < nv; v++)
        for (int k = 0; k < CS_SCHEMA_N_ARRAYS; k++)
            vin[v].d[k].ds = H5I_INVALID_HID;
    st = cs_replicate_result_alloc(&dims, &res, err);
    for (size_t v = 0; v < nv && st == CS_OK; v++) {
        snprintf(vin[v].path, sizeof vin[v].path, "/runs/%s", r->variants[v].name);
        vin[v].fixed_cost = r->variants[v].annual_cost;
        st = open_variant(file_of(r), &vin[v], &dims, n_rows, kinds, omitted, err);
        if (st == CS_OK && cases)
            st = read_cases(file_of(r), vin[v].path, &vin[v].rec, &vin[v].n_rec, err);
    }
    for (uint64_t row = 0; row < n_rows && st == CS_OK; row++)
        st = copy_row(r, vin, info.variants, row, cases, res, w, err);
done:
    cs_replicate_result_free(res);
    for (size_t v = 0; vin && v < nv; v++)
        var_in_close(&vin[v]);
    free(vin);
    free(info.variants);
    return st;
}

static int by_first(const void *a, const void *b)
{
    const cs_results *x = *(cs_results *const *)a, *y = *(cs_results *const *)b;
    return x->first_replicate < y->first_replicate ? -1 : x->first_replicate > y->first_replicate;
}

/* Opens every input and checks that each is complete and joinable with the
 * first. */
static int open_inputs(const char *const *inputs, size_t n, cs_results **in, cs_error *err)
{
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
    return st;
}

/* Checks that the inputs, sorted by first replicate, neither overlap nor
 * leave a gap; *total gets the replicates they hold together. */
static int check_ranges(cs_results *const *in, size_t n, uint64_t *total, cs_error *err)
{
    *total = 0;
    for (size_t i = 0; i < n; i++) {
        const cs_results *a = in[i];
        if (a->replicates == 0 || a->first_replicate > UINT64_MAX - a->replicates)
            return cs_error_set(err, CS_EINVAL, "%s holds no replicates", a->path);
        *total += a->replicates;
        if (i + 1 == n)
            break;
        const cs_results *b = in[i + 1];
        uint64_t end = a->first_replicate + a->replicates; /* one past a's last */
        if (b->first_replicate < end)
            return cs_error_set(err, CS_EINVAL,
                                "%s (replicates %llu..%llu) and %s (replicates %llu..%llu) "
                                "overlap: a replicate would be counted twice",
                                a->path, (unsigned long long)a->first_replicate,
                                (unsigned long long)(end - 1), b->path,
                                (unsigned long long)b->first_replicate,
                                (unsigned long long)(b->first_replicate + b->replicates - 1));
        if (b->first_replicate > end)
            return cs_error_set(
                err, CS_EINVAL,
                "replicates %llu..%llu are missing between %s and %s: run "
                "them (casesim run --first-replicate %llu --replicates %llu) "
                "and merge that file too",
                (unsigned long long)end, (unsigned long long)(b->first_replicate - 1), a->path,
                b->path, (unsigned long long)end, (unsigned long long)(b->first_replicate - end));
    }
    return CS_OK;
}

/* Loads the scenario text recorded in r, naming the scenario file as the
 * runs did (/scenario's path). */
static int load_scenario(const cs_results *r, cs_scenario **s, cs_error *err)
{
    int st = cs_scenario_load_string(r->source, strlen(r->source), r->path, s, err);
    if (st == CS_OK)
        st = cs_results_match_decomposition(r, *s, err);
    if (st != CS_OK)
        return cs_error_set(err, st, "%s: its scenario text no longer loads with this casesim",
                            r->path);
    char *spath = NULL;
    hid_t g = H5Gopen2(file_of(r), "/scenario", H5P_DEFAULT);
    if (g < 0 || cs_h5_read_attr_string(g, "path", &spath, err) != CS_OK) {
        st = cs_h5_fail(err, CS_EFORMAT, "%s: cannot read /scenario's path", r->path);
    } else {
        free((*s)->path);
        (*s)->path = spath;
    }
    cs_h5_close(&g);
    return st;
}

/* Inputs other than the lowest range that hold case records (not carried). */
static size_t dropped_cases(cs_results *const *in, size_t n)
{
    size_t dropped = 0;
    for (size_t i = 1; i < n; i++) {
        uint64_t c = 0;
        if (cs_h5_read_attr_u64(file_of(in[i]), "case_record_replicates", &c, NULL) == CS_OK &&
            c > 0)
            dropped++;
    }
    return dropped;
}

/* Writes the joined file: every input's replicates through one writer. */
static int write_joined(cs_results *const *in, size_t n, const cs_scenario *s, uint64_t total,
                        const char *out_path, const char *command_line, cs_error *err)
{
    cs_results_run_info info = {0, 0, NULL};
    cs_results_writer *w = NULL;
    int st = cs_results_run_info_get(in[0], s, &info, err);
    cs_results_options opt = {
        .command_line = command_line,
        .seed = in[0]->seed,
        .first_replicate = in[0]->first_replicate,
        .n_replicates = total,
        .n_variants = in[0]->n_variants,
        .variants = info.variants,
        .case_record_replicates = info.case_record_replicates,
        .uncertain_drawn = strcmp(in[0]->sampling, "scenario values") != 0,
        .sampling = strncmp(in[0]->sampling, "posterior ", 10) == 0 ? in[0]->sampling : NULL,
        .n_measures = in[0]->n_measures,
        .measures = in[0]->measures,
        .without_kinds = without_kinds(in[0])};
    for (size_t i = 0; i < n; i++)
        opt.omit_arrays |= cs_results_absent_arrays(in[i]);
    if (st == CS_OK)
        st = cs_results_writer_open(out_path, s, &opt, &w, err);
    for (size_t i = 0; i < n && st == CS_OK; i++)
        st = cs_results_copy_replicates(in[i], s, in[i]->replicates, i == 0, w, err);
    if (st == CS_OK) {
        st = cs_results_writer_close(w, true, err);
        w = NULL;
    }
    cs_results_writer_free(w);
    free(info.variants);
    return st;
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
    uint64_t total = 0;
    int st = open_inputs(inputs, n, in, err);
    if (st == CS_OK) {
        qsort(in, n, sizeof *in, by_first);
        st = check_ranges(in, n, &total, err);
    }
    if (st == CS_OK)
        st = load_scenario(in[0], &s, err);
    if (st == CS_OK && dropped_case_ranges)
        *dropped_case_ranges = dropped_cases(in, n);
    if (st == CS_OK)
        st = write_joined(in, n, s, total, out_path, command_line, err);
    cs_scenario_free(s);
    for (size_t i = 0; i < n; i++)
        cs_results_close(in[i]);
    free(in);
    return st;
}
