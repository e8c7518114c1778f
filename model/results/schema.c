/*
 * results/schema.c — the results schema in HDF5 terms (see
 * results/schema.h): types, the analysis tables' columns, and the
 * per-replicate datasets, all derived from casesim/schema.h.
 */
#include "results/schema.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/measures.h"
#include "casesim/results.h"
#include "core/assert.h"
#include "core/alloc.h"
#include "results/h5util.h"
#include "results/internal.h"

hid_t cs_h5_file_type(cs_type t)
{
    switch (t) {
    case CS_TYPE_F64:
        return H5T_IEEE_F64LE;
    case CS_TYPE_F32:
        return H5T_IEEE_F32LE;
    case CS_TYPE_I64:
        return H5T_STD_I64LE;
    case CS_TYPE_U64:
        return H5T_STD_U64LE;
    case CS_TYPE_I32:
        return H5T_STD_I32LE;
    case CS_TYPE_U32:
        return H5T_STD_U32LE;
    case CS_TYPE_U8:
        return H5T_STD_U8LE;
    case CS_TYPE_STRING:
        break;
    }
    return H5I_INVALID_HID;
}

hid_t cs_h5_mem_type(cs_type t)
{
    switch (t) {
    case CS_TYPE_F64:
        return H5T_NATIVE_DOUBLE;
    case CS_TYPE_F32:
        return H5T_NATIVE_FLOAT;
    case CS_TYPE_I64:
        return H5T_NATIVE_INT64;
    case CS_TYPE_U64:
        return H5T_NATIVE_UINT64;
    case CS_TYPE_I32:
        return H5T_NATIVE_INT32;
    case CS_TYPE_U32:
        return H5T_NATIVE_UINT32;
    case CS_TYPE_U8:
        return H5T_NATIVE_UINT8;
    case CS_TYPE_STRING:
        break;
    }
    return H5I_INVALID_HID;
}

/* ------------------------------------------------------ analysis tables */

#define FIELD_(row, member, ctype, type_)                                                          \
    {.name = #member, .type = type_, .offset = offsetof(row, member), .units = NULL},
#define SUMMARY_(member, ctype, type_) FIELD_(cs_results_summary_row, member, ctype, type_)
#define COMPARISON_(member, ctype, type_) FIELD_(cs_results_comparison_row, member, ctype, type_)
#define RANKING_(member, ctype, type_) FIELD_(cs_results_ranking_row, member, ctype, type_)

static const cs_schema_field summary_fields[] = {CS_SUMMARY_FIELDS(SUMMARY_)};
static const cs_schema_field comparison_fields[] = {CS_COMPARISON_FIELDS(COMPARISON_)};
static const cs_schema_field ranking_fields[] = {CS_RANKING_FIELDS(RANKING_)};
#define SUMMARY_YEAR_(member, ctype, type_)                                                        \
    FIELD_(cs_results_summary_year_row, member, ctype, type_)
#define COMPARISON_YEAR_(member, ctype, type_)                                                     \
    FIELD_(cs_results_comparison_year_row, member, ctype, type_)
#define TIMING_(member, ctype, type_) FIELD_(cs_results_timing_row, member, ctype, type_)
static const cs_schema_field summary_year_fields[] = {CS_SUMMARY_BY_YEAR_FIELDS(SUMMARY_YEAR_)};
static const cs_schema_field comparison_year_fields[] = {
    CS_COMPARISON_BY_YEAR_FIELDS(COMPARISON_YEAR_)};
static const cs_schema_field timing_fields[] = {CS_TIMING_FIELDS(TIMING_)};

#define N_OF(a) (sizeof(a) / sizeof *(a))

/* The by-kind tables: `violation`, then the row's columns. */
#define VIOLATION_(row)                                                                            \
    {.name = "violation",                                                                          \
     .type = CS_TYPE_STRING,                                                                       \
     .offset = offsetof(row, violation),                                                           \
     .units = NULL},
#define KFIELD_(T, member, type_)                                                                  \
    {.name = #member, .type = type_, .offset = offsetof(T, row.member), .units = NULL},
#define SUMMARY_K_(member, ctype, type_) KFIELD_(cs_results_summary_kind_row, member, type_)
#define COMPARISON_K_(member, ctype, type_) KFIELD_(cs_results_comparison_kind_row, member, type_)
#define RANKING_K_(member, ctype, type_) KFIELD_(cs_results_ranking_kind_row, member, type_)

static const cs_schema_field summary_kind_fields[] = {VIOLATION_(cs_results_summary_kind_row)
                                                          CS_SUMMARY_FIELDS(SUMMARY_K_)};
static const cs_schema_field comparison_kind_fields[] = {VIOLATION_(cs_results_comparison_kind_row)
                                                             CS_COMPARISON_FIELDS(COMPARISON_K_)};
static const cs_schema_field ranking_kind_fields[] = {VIOLATION_(cs_results_ranking_kind_row)
                                                          CS_RANKING_FIELDS(RANKING_K_)};

const cs_schema_table cs_schema_summary_kind = {
    .path = "/summary_by_kind",
    .row_size = sizeof(cs_results_summary_kind_row),
    .fields = summary_kind_fields,
    .n_fields = N_OF(summary_kind_fields),
    .description = "/summary for each violation kind: one row per (violation kind, variant, "
                   "group, measure), from /runs/<variant>/kind_measures."};

const cs_schema_table cs_schema_comparison_kind = {
    .path = "/comparison_by_kind",
    .row_size = sizeof(cs_results_comparison_kind_row),
    .fields = comparison_kind_fields,
    .n_fields = N_OF(comparison_kind_fields),
    .description = "/comparison for each violation kind: one row per (violation kind, "
                   "intervention or bundle, group, measure); cost per point and ranks on the "
                   "rows of the kind's own most affected group."};

const cs_schema_table cs_schema_ranking_kind = {
    .path = "/ranking_by_kind",
    .row_size = sizeof(cs_results_ranking_kind_row),
    .fields = ranking_kind_fields,
    .n_fields = N_OF(ranking_kind_fields),
    .description = "/ranking for each violation kind: one row per (violation kind, variant), "
                   "on the kind's own most affected group (attribute most_affected_groups)."};

#define INPUT_(member, ctype, type_) FIELD_(cs_results_input_row, member, ctype, type_)
#define VALUE_(member, ctype, type_) FIELD_(cs_results_value_row, member, ctype, type_)
#define CORR_(member, ctype, type_) FIELD_(cs_results_correlation_row, member, ctype, type_)
#define FRONTIER_(member, ctype, type_) FIELD_(cs_results_frontier_row, member, ctype, type_)
#define DRANK_(member, ctype, type_) FIELD_(cs_results_decision_rank_row, member, ctype, type_)
#define ESET_(member, ctype, type_) FIELD_(cs_results_evppi_set_row, member, ctype, type_)
#define ECHECK_(member, ctype, type_) FIELD_(cs_results_evppi_check_row, member, ctype, type_)
#define VSPLIT_(member, ctype, type_) FIELD_(cs_results_variance_row, member, ctype, type_)
#define PORT_(member, ctype, type_) FIELD_(cs_results_portfolio_row, member, ctype, type_)

static const cs_schema_field input_fields[] = {CS_UNCERTAIN_INPUT_FIELDS(INPUT_)};
static const cs_schema_field value_fields[] = {CS_UNCERTAIN_VALUE_FIELDS(VALUE_)};
static const cs_schema_field corr_fields[] = {CS_CORRELATION_FIELDS(CORR_)};
static const cs_schema_field frontier_fields[] = {CS_FRONTIER_FIELDS(FRONTIER_)};
static const cs_schema_field drank_fields[] = {CS_DECISION_RANKING_FIELDS(DRANK_)};
static const cs_schema_field eset_fields[] = {CS_EVPPI_SET_FIELDS(ESET_)};
static const cs_schema_field echeck_fields[] = {CS_EVPPI_CHECK_FIELDS(ECHECK_)};
static const cs_schema_field vsplit_fields[] = {CS_VARIANCE_SPLIT_FIELDS(VSPLIT_)};
static const cs_schema_field port_fields[] = {CS_PORTFOLIO_FIELDS(PORT_)};

#define TABLE_(path_, row, list, desc)                                                             \
    {                                                                                              \
        .path = path_, .row_size = sizeof(row), .fields = list, .n_fields = N_OF(list),            \
        .description = desc                                                                        \
    }

const cs_schema_table cs_schema_inputs = TABLE_(
    "/uncertainty/inputs", cs_results_input_row, input_fields,
    "One row per entry of the scenario's `uncertain:` section: its distribution in canonical "
    "parameters, truncation, support, mean and sd, the values it gives (first_value, n_values "
    "into /scenario/inputs), the kind and units of its numbers, its source and group.");
const cs_schema_table cs_schema_values =
    TABLE_("/uncertainty/values", cs_results_value_row, value_fields,
           "One row per uncertain value (an input of /scenario/inputs): its path, entry, the "
           "scenario's own value (used without uncertainty), the marginal mean, sd, 5th and 95th "
           "percentiles of its distribution, and the valid range of its number.");
const cs_schema_table cs_schema_correlations =
    TABLE_("/uncertainty/correlations", cs_results_correlation_row, corr_fields,
           "The scenario's `correlations:`: rank-normal correlations (a Gaussian copula) between "
           "entries of /uncertainty/inputs (0-based).");
const cs_schema_table cs_schema_frontier = TABLE_(
    "/decision/frontier", cs_results_frontier_row, frontier_fields,
    "The cost-effectiveness frontier on the mean effects and costs: each variant's status "
    "(efficient, dominated, extendedly dominated), the variant(s) it is judged against, and the "
    "ICER of an efficient option against the previous one.");
const cs_schema_table cs_schema_decision_ranking =
    TABLE_("/decision/ranking", cs_results_decision_rank_row, drank_fields,
           "Variants ranked by expected net benefit at the expert's willingness to pay, with the "
           "probability of being best, frontier status, and for each bundle the increment over its "
           "best member.");
const cs_schema_table cs_schema_evppi_sets = TABLE_(
    "/decision/evppi_sets", cs_results_evppi_set_row, eset_fields,
    "The sets of inputs whose EVPPI is computed (rows of /decision/evppi): each input, each "
    "named group of inputs, and all inputs together; with EVPPI at the expert's willingness to "
    "pay and how the regressions fitted.");
const cs_schema_table cs_schema_evppi_checks = TABLE_(
    "/decision/evppi_checks", cs_results_evppi_check_row, echeck_fields,
    "Finite-sample failures of EVPPI <= EVPI and of EVPPI growing with its inputs, with their "
    "size in standard errors (a z above about 2 means a regression misfits).");
const cs_schema_table cs_schema_variance_split =
    TABLE_("/decision/variance_split", cs_results_variance_row, vsplit_fields,
           "The variance of each variant's effect split into parameter uncertainty and simulation "
           "noise (one-way ANOVA over draws; only with replicates_per_draw >= 2).");
const cs_schema_table cs_schema_portfolios =
    TABLE_("/decision/portfolios", cs_results_portfolio_row, port_fields,
           "Every combination of interventions whose expected annual cost fits decision.budget, "
           "ranked by expected net benefit at the expert's willingness to pay.");

const cs_schema_table cs_schema_summary = {
    .path = "/summary",
    .row_size = sizeof(cs_results_summary_row),
    .fields = summary_fields,
    .n_fields = N_OF(summary_fields),
    .description = "One row per (variant, group, measure): mean over replicates, sample standard "
                   "deviation, t-based 95% confidence interval of the mean, and n, the "
                   "replicates where the measure is defined. Group 'all' is all groups together."};

const cs_schema_table cs_schema_comparison = {
    .path = "/comparison",
    .row_size = sizeof(cs_results_comparison_row),
    .fields = comparison_fields,
    .n_fields = N_OF(comparison_fields),
    .description =
        "One row per (intervention or bundle, group, measure): the paired difference variant "
        "minus baseline over common-random-number replicates with its t-based 95% confidence "
        "interval, the relative change, the cost per percentage point of impunity removed (on "
        "the row of the most affected group's impunity rate) and the variant's rank with its "
        "probability of being best (on the rows of the two ranking criteria)."};

const cs_schema_table cs_schema_ranking = {
    .path = "/ranking",
    .row_size = sizeof(cs_results_ranking_row),
    .fields = ranking_fields,
    .n_fields = N_OF(ranking_fields),
    .description =
        "One row per variant (baseline included): the two ranking criteria for the most "
        "affected group (impunity rate, lower is better; accountability disparity ratio, closer "
        "to 1 is better), each variant's rank (1 = best) and its bootstrap probability of being "
        "best, and the impunity reduction in percentage points with the cost per point."};

const cs_schema_table cs_schema_summary_year = {
    .path = "/summary_by_year",
    .row_size = sizeof(cs_results_summary_year_row),
    .fields = summary_year_fields,
    .n_fields = N_OF(summary_year_fields),
    .description = "One row per (variant, arrival year, group, measure): as /summary, for the "
                   "cohort incidents that arrived in that year (a calendar year with "
                   "time.start_year, else a year of the run from 0)."};

const cs_schema_table cs_schema_comparison_year = {
    .path = "/comparison_by_year",
    .row_size = sizeof(cs_results_comparison_year_row),
    .fields = comparison_year_fields,
    .n_fields = N_OF(comparison_year_fields),
    .description = "One row per (intervention or bundle, arrival year, group, measure): as "
                   "/comparison, for the cohort incidents that arrived in that year."};

const cs_schema_table cs_schema_timing = {
    .path = "/timing",
    .row_size = sizeof(cs_results_timing_row),
    .fields = timing_fields,
    .n_fields = N_OF(timing_fields),
    .description =
        "One row per intervention and bundle: its paired effect on the impunity rate of the "
        "most affected group by arrival year; final_effect (with its 95% interval) in the last "
        "arrival year; first_clear_year, the first arrival year whose interval excludes 0 (NaN: "
        "none); year_90, the first arrival year from which the mean effect stays at 90% or more "
        "of the final one (NaN when the final effect is 0 or undefined)."};

uint32_t cs_schema_table_crc(const cs_schema_table *t, const void *rows, size_t n)
{
    uint32_t crc = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < t->n_fields; k++)
            if (t->fields[k].type == CS_TYPE_STRING) {
                const unsigned char *row = (const unsigned char *)rows + i * t->row_size;
                const char *const *s = (const char *const *)(row + t->fields[k].offset);
                crc = cs_h5_strings_crc(crc, s, 1);
            }
    return crc;
}

hid_t cs_h5_compound(const cs_schema_field *fields, size_t n, size_t row_size)
{
    hid_t str = cs_h5_string_type();
    hid_t t = H5Tcreate(H5T_COMPOUND, row_size);
    bool ok = str >= 0 && t >= 0;
    for (size_t i = 0; ok && i < n; i++) {
        const cs_schema_field *f = &fields[i];
        hid_t mt = f->type == CS_TYPE_STRING ? str : cs_h5_mem_type(f->type);
        ok = H5Tinsert(t, f->name, f->offset, mt) >= 0;
    }
    if (!ok)
        cs_h5_close(&t);
    cs_h5_close(&str);
    return t;
}

hid_t cs_schema_case_mtype(void)
{
    return cs_h5_compound(cs_schema_case_fields, CS_CASE_N_FIELDS, sizeof(cs_case_record));
}

void cs_schema_axis_of(const char *name, cs_schema_axis *out)
{
    *out = (cs_schema_axis){.labels = "",
                            .extra = NULL,
                            .units = "position",
                            .description = "Position along this axis, from 0."};
    if (strcmp(name, CS_SCHEMA_REPLICATE_AXIS) == 0) {
        *out = (cs_schema_axis){.labels = CS_SCHEMA_REPLICATE_LABELS,
                                .extra = NULL,
                                .units = "replicate number",
                                .description = "The replicate: its number, which keys its random "
                                               "streams (a copy of replicate_index)."};
        return;
    }
    for (int k = 0; k < CS_DIM_COUNT; k++)
        if (strcmp(name, cs_schema_dims[k].name) == 0) {
            const cs_schema_dim *d = &cs_schema_dims[k];
            out->labels = d->labels;
            out->extra = d->extra;
            out->description = d->description;
            out->units = d->labels[0] ? "" : "position";
            return;
        }
}

int cs_results_check_format(hid_t file, const char *path, int *major, int *minor, cs_error *err)
{
    char *format = NULL;
    int v[2] = {0, 0};
    cs_error local;
    cs_error_clear(&local);
    if (cs_h5_read_attr_string(file, "format", &format, &local) != CS_OK ||
        strcmp(format, CS_RESULTS_FORMAT) != 0) {
        int st = cs_error_set(err, CS_EFORMAT,
                              "%s: not a casesim results file (its attribute 'format' is %s%s%s, "
                              "expected \"%s\")",
                              path, format ? "\"" : "", format ? format : "missing",
                              format ? "\"" : "", CS_RESULTS_FORMAT);
        free(format);
        return st;
    }
    free(format);
    if (cs_h5_read_attr_ints(file, "format_version", v, 2, &local) != CS_OK)
        return cs_error_set(err, CS_EFORMAT,
                            "%s: the attribute 'format_version' is missing or is not "
                            "{major, minor}",
                            path);
    if (major)
        *major = v[0];
    if (minor)
        *minor = v[1];
    if (v[0] != CS_RESULTS_VERSION_MAJOR)
        return cs_error_set(err, CS_EFORMAT,
                            "%s: results format version %d.%d cannot be read by this casesim "
                            "(%s), which reads version %d.x; use a casesim of the matching "
                            "major version",
                            path, v[0], v[1], CASESIM_VERSION_STRING, CS_RESULTS_VERSION_MAJOR);
    return CS_OK;
}

/* ------------------------------------------------ per-replicate datasets */

/* The file shape of a's dataset for dims d: [rows, axes...]; returns the
 * file rank. */
static int file_shape(const cs_schema_array *a, const cs_result_dims *d, uint64_t rows,
                      hsize_t shape[1 + CS_SCHEMA_MAX_RANK])
{
    shape[0] = rows;
    for (int i = 0; i < a->rank; i++)
        shape[1 + i] = cs_result_dim(d, a->dims[i]);
    return 1 + a->rank;
}

/* The empty, extensible, chunked and compressed dataset of a. */
static hid_t create_extensible(hid_t g, const cs_schema_array *a, const cs_result_dims *d,
                               cs_error *err)
{
    hsize_t shape[1 + CS_SCHEMA_MAX_RANK];
    int rank = file_shape(a, d, 0, shape);
    return cs_h5_create_rows(g, a->name, cs_h5_file_type(a->type), rank - 1, shape + 1, a->size, 0,
                             err);
}

/* The units, description and dimensions attributes of a's dataset. */
static int document_array(hid_t ds, const cs_schema_array *a, const cs_result_dims *d,
                          const char *const *index_units, cs_error *err)
{
    int st;
    if (a->units)
        st = cs_h5_attr_string(ds, "units", a->units, err);
    else if (index_units && a->rank > 0)
        st = cs_h5_attr_strings(ds, "units", index_units, cs_result_dim(d, a->dims[a->rank - 1]),
                                err);
    else
        st = cs_error_set(err, CS_EINVAL, "dataset '%s' needs units per entry", a->name);
    if (st == CS_OK)
        st = cs_h5_attr_string(ds, "description", a->description, err);
    const char *axes[1 + CS_SCHEMA_MAX_RANK] = {CS_SCHEMA_REPLICATE_AXIS};
    for (int i = 0; i < a->rank; i++)
        axes[1 + i] = cs_schema_dims[a->dims[i]].name;
    if (st == CS_OK)
        st = cs_h5_attr_strings(ds, "dimensions", axes, (size_t)(1 + a->rank), err);
    return st;
}

hid_t cs_schema_create_array(hid_t g, const cs_schema_array *a, const cs_result_dims *d,
                             const char *const *index_units, cs_error *err)
{
    hid_t ds = create_extensible(g, a, d, err);
    if (ds < 0)
        return ds;
    if (document_array(ds, a, d, index_units, err) != CS_OK)
        cs_h5_close(&ds);
    return ds;
}

int cs_schema_append(hid_t ds, const cs_schema_array *a, const cs_result_dims *d, uint64_t at,
                     uint64_t n, const void *buf, const char *what, cs_error *err)
{
    hsize_t shape[1 + CS_SCHEMA_MAX_RANK];
    int rank = file_shape(a, d, 0, shape);
    return cs_h5_append_rows(ds, cs_h5_mem_type(a->type), rank - 1, shape + 1, at, n, buf, what,
                             err);
}

/* Checks the shape got[] of a's dataset against d (0 in d: any length) and
 * fills o's shape. */
static bool shape_ok(const cs_schema_array *a, const cs_result_dims *d, const hsize_t *got,
                     cs_schema_open *o)
{
    o->row_elems = 1;
    for (int i = 0; i < a->rank; i++) {
        size_t want = cs_result_dim(d, a->dims[i]);
        /* A labelled axis is as long as its label list, which may be empty
         * (no uncertain inputs); a numbered axis never is. */
        bool labelled = cs_schema_dims[a->dims[i]].labels[0] != '\0';
        if ((got[1 + i] == 0 && !(labelled && want == 0)) || (want != 0 && got[1 + i] != want) ||
            (o->row_elems > 0 && got[1 + i] > SIZE_MAX / o->row_elems))
            return false;
        o->shape[i] = (size_t)got[1 + i];
        o->row_elems *= o->shape[i];
    }
    return o->row_elems <= SIZE_MAX / a->size;
}

/* The message for a dataset whose row count is outside [min_rows, max_rows]. */
static int rows_fail(const char *path, uint64_t rows, uint64_t min_rows, uint64_t max_rows,
                     cs_error *err)
{
    if (min_rows == max_rows)
        return cs_error_set(err, CS_EFORMAT,
                            "%s has %llu rows, but the file records %llu replicates", path,
                            (unsigned long long)rows, (unsigned long long)min_rows);
    return cs_error_set(err, CS_EFORMAT, "%s has %llu rows; expected %llu to %llu", path,
                        (unsigned long long)rows, (unsigned long long)min_rows,
                        (unsigned long long)max_rows);
}

bool cs_schema_has_axis(const cs_schema_array *a, cs_dim d)
{
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] == d)
            return true;
    return false;
}

int cs_schema_open_array(hid_t file, const char *vpath, const cs_schema_array *a,
                         const cs_result_dims *d, uint64_t min_rows, uint64_t max_rows,
                         cs_schema_open *o, cs_error *err)
{
    char path[CS_MAX_NAME_LEN + 96];
    snprintf(path, sizeof path, "%s/%s", vpath, a->name);
    memset(o, 0, sizeof *o);
    o->ds = H5Dopen2(file, path, H5P_DEFAULT);
    hid_t fs = o->ds < 0 ? H5I_INVALID_HID : H5Dget_space(o->ds);
    hsize_t got[1 + CS_SCHEMA_MAX_RANK] = {0};
    int nd = fs < 0 ? -1 : H5Sget_simple_extent_ndims(fs);
    bool ok = nd == 1 + a->rank && H5Sget_simple_extent_dims(fs, got, NULL) >= 0 &&
              shape_ok(a, d, got, o);
    cs_h5_close(&fs);
    int st = CS_OK;
    size_t row_bytes = o->row_elems * a->size;
    if (!ok)
        st = cs_h5_fail(err, CS_EFORMAT,
                        "%s is missing, or its shape does not match the scenario's dimensions",
                        path);
    else if (got[0] < min_rows || got[0] > max_rows)
        st = rows_fail(path, got[0], min_rows, max_rows, err);
    else if ((row_bytes > 0 && got[0] > SIZE_MAX / row_bytes) ||
             !cs_h5_stores(o->ds, (double)got[0] * (double)row_bytes))
        st = cs_error_set(
            err, CS_EFORMAT, "%s claims %llu rows but stores only %llu bytes: the file is damaged",
            path, (unsigned long long)got[0], (unsigned long long)H5Dget_storage_size(o->ds));
    if (st != CS_OK) {
        cs_h5_close(&o->ds);
        return st;
    }
    o->rows = got[0];
    return CS_OK;
}

int cs_schema_read_rows(const cs_schema_open *o, const cs_schema_array *a, uint64_t first,
                        uint64_t n, void *buf, const char *what, cs_error *err)
{
    CS_ASSERT(first + n <= o->rows);
    hsize_t shape[CS_SCHEMA_MAX_RANK];
    for (int i = 0; i < a->rank; i++)
        shape[i] = o->shape[i];
    return cs_h5_read_rows(o->ds, cs_h5_mem_type(a->type), a->rank, shape, first, n, buf, what,
                           err);
}

/* Deletes the table at path if there is one, detaching it from its
 * dimension scale first. */
static int delete_table(hid_t file, const char *path, cs_error *err)
{
    if (H5Lexists(file, path, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return CS_OK;
    }
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    int st = d < 0 ? cs_h5_fail(err, CS_EIO, "cannot open %s", path) : cs_h5_detach_scales(d, err);
    cs_h5_close(&d);
    if (st == CS_OK && H5Ldelete(file, path, H5P_DEFAULT) < 0)
        st = cs_h5_fail(err, CS_EIO, "cannot replace %s", path);
    return st;
}

/* The documentation of table t's dataset d: units, description, the name
 * of its axis ("<table>_row" after the table's own name, labelled by
 * position, in the table's group) and the checksum of its strings (the
 * numbers have the dataset's Fletcher32). */
static int document_table(hid_t d, const cs_schema_table *t, size_t n, const void *rows,
                          cs_error *err)
{
    int st = cs_h5_document(d,
                            "see the column descriptions in analysis/README.md; measure values "
                            "are in the row's 'units'",
                            t->description, err);
    const char *base = strrchr(t->path, '/');
    char axis[64];
    snprintf(axis, sizeof axis, "%s_row", base ? base + 1 : t->path);
    const char *axes[] = {axis};
    if (st == CS_OK)
        st = cs_h5_attr_strings(d, "dimensions", axes, 1, err);
    if (st == CS_OK)
        st = cs_h5_attr_crc(d, cs_schema_table_crc(t, rows, n), err);
    return st;
}

/* Writes a 1-D compound table at file/t->path, replacing an existing one:
 * chunked with a checksum, like every dataset that holds data. */
int cs_schema_write_table(hid_t file, const cs_schema_table *t, size_t n, const void *rows,
                          cs_error *err)
{
    const char *name = t->path;
    int st = delete_table(file, name, err);
    hid_t mtype = cs_h5_compound(t->fields, t->n_fields, t->row_size);
    hid_t ftype = mtype < 0 ? H5I_INVALID_HID : H5Tcopy(mtype), d = H5I_INVALID_HID;
    if (st == CS_OK && (ftype < 0 || H5Tpack(ftype) < 0))
        st = cs_h5_fail(err, CS_EIO, "cannot create table %s", name);
    if (st == CS_OK && (d = cs_h5_create_rows(file, name, ftype, 0, NULL, t->row_size, n, err)) < 0)
        st = CS_EIO;
    if (st == CS_OK && n > 0)
        st = cs_h5_append_rows(d, mtype, 0, NULL, 0, n, rows, name, err);
    if (st == CS_OK)
        st = document_table(d, t, n, rows, err);
    if (cs_h5_close(&d) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "cannot close table %s", name);
    cs_h5_close(&ftype);
    cs_h5_close(&mtype);
    return st;
}

/* ------------------------------------------------- reading tables */

/* Replaces the variable-length strings of n rows in rows (read by HDF5) by
 * copies in a new array *out; HDF5's own strings stay for the caller to
 * reclaim. */
static int copy_rows(const cs_schema_table *t, const unsigned char *raw, size_t n, void **out,
                     cs_error *err)
{
    unsigned char *copy = cs_xcalloc(n, t->row_size);
    if (!copy)
        return cs_error_set(err, CS_ENOMEM, "out of memory reading %s", t->path);
    memcpy(copy, raw, n * t->row_size);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < t->n_fields; k++)
            if (t->fields[k].type == CS_TYPE_STRING)
                *(char **)(copy + i * t->row_size + t->fields[k].offset) = NULL;
    int st = CS_OK;
    for (size_t i = 0; i < n && st == CS_OK; i++)
        for (size_t k = 0; k < t->n_fields && st == CS_OK; k++) {
            if (t->fields[k].type != CS_TYPE_STRING)
                continue;
            const char *src = *(char *const *)(raw + i * t->row_size + t->fields[k].offset);
            char **dst = (char **)(copy + i * t->row_size + t->fields[k].offset);
            *dst = cs_xstrdup(src ? src : "");
            if (!*dst)
                st = cs_error_set(err, CS_ENOMEM, "out of memory reading %s", t->path);
        }
    if (st != CS_OK) {
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < t->n_fields; k++)
                if (t->fields[k].type == CS_TYPE_STRING)
                    free(*(char **)(copy + i * t->row_size + t->fields[k].offset));
        free(copy);
        return st;
    }
    *out = copy;
    return CS_OK;
}

/* Frees n rows of table t with their strings. */
void cs_schema_free_rows(const cs_schema_table *t, void *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        for (size_t k = 0; k < t->n_fields; k++)
            if (t->fields[k].type == CS_TYPE_STRING)
                free(*(char **)((unsigned char *)rows + i * t->row_size + t->fields[k].offset));
    free(rows);
}

/* Reads table t into a new array of *n rows (at most max_rows) whose strings
 * the caller owns. A missing table is CS_EFORMAT. */
int cs_schema_read_table(hid_t file, const cs_schema_table *t, size_t max_rows, void **out,
                         size_t *n, cs_error *err)
{
    *out = NULL;
    *n = 0;
    if (H5Lexists(file, t->path, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return cs_error_set(err, CS_EFORMAT, "the table %s is missing", t->path);
    }
    hid_t d = H5Dopen2(file, t->path, H5P_DEFAULT);
    hid_t space = d < 0 ? H5I_INVALID_HID : H5Dget_space(d);
    hid_t mt = cs_h5_compound(t->fields, t->n_fields, t->row_size);
    hssize_t np = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    unsigned char *raw = NULL;
    int st = CS_OK;
    if (d < 0 || np < 0 || mt < 0)
        st = cs_h5_fail(err, CS_EFORMAT, "cannot open the table %s", t->path);
    else if ((uint64_t)np > max_rows) /* checked before allocating: the count is the file's */
        st = cs_error_set(err, CS_EFORMAT,
                          "the table %s has %lld rows; the name lists allow at most %zu", t->path,
                          (long long)np, max_rows);
    else if (!(raw = cs_xcalloc((size_t)np, t->row_size)))
        st = cs_error_set(err, CS_ENOMEM, "out of memory reading %s", t->path);
    else if (np > 0 && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0)
        st = cs_h5_fail(err, CS_EFORMAT, "cannot read the table %s (is it of this version?)",
                        t->path);
    if (st == CS_OK)
        st = cs_h5_check_crc(d, cs_schema_table_crc(t, raw, (size_t)np), t->path, err);
    if (st == CS_OK)
        st = copy_rows(t, raw, (size_t)np, out, err);
    if (st == CS_OK)
        *n = (size_t)np;
    /* HDF5's strings (of the rows converted before a failure too: raw was
     * zeroed, so the others are NULL). */
    if (raw && np > 0)
        H5Dvlen_reclaim(mt, space, H5P_DEFAULT, raw);
    free(raw);
    cs_h5_close(&mt);
    cs_h5_close(&space);
    cs_h5_close(&d);
    return st;
}
