/*
 * results/schema.h — the HDF5 side of the results schema (internal to
 * libcasesim): file and memory types of the schema's element types, the
 * compound types of case records and of the analysis tables, and the
 * per-replicate datasets of /runs/<variant> — created, appended to, opened
 * with their shape and size checked, and read — all from the descriptors of
 * casesim/schema.h, so that the writer, the reader and the join cannot
 * disagree about a dataset.
 */
#ifndef CASESIM_RESULTS_SCHEMA_H
#define CASESIM_RESULTS_SCHEMA_H

#include <hdf5.h>
#include <stdint.h>

#include "casesim/error.h"
#include "casesim/schema.h"

/* The file type (little-endian) and the native memory type of t. Numbers
 * only (the types are HDF5's predefined ones: never close them); for
 * CS_TYPE_STRING use cs_h5_string_type. */
hid_t cs_h5_file_type(cs_type t);
hid_t cs_h5_mem_type(cs_type t);

/* An analysis table: its dataset, row struct and columns. */
typedef struct cs_schema_table {
    const char *path;              /* "/summary", ... */
    size_t row_size;               /* sizeof its row struct */
    const cs_schema_field *fields; /* columns, in order */
    size_t n_fields;
    const char *description; /* the dataset's `description` attribute */
} cs_schema_table;

extern const cs_schema_table cs_schema_summary;          /* cs_results_summary_row */
extern const cs_schema_table cs_schema_comparison;       /* cs_results_comparison_row */
extern const cs_schema_table cs_schema_ranking;          /* cs_results_ranking_row */
extern const cs_schema_table cs_schema_inputs;           /* cs_results_input_row */
extern const cs_schema_table cs_schema_values;           /* cs_results_value_row */
extern const cs_schema_table cs_schema_correlations;     /* cs_results_correlation_row */
extern const cs_schema_table cs_schema_frontier;         /* cs_results_frontier_row */
extern const cs_schema_table cs_schema_decision_ranking; /* cs_results_decision_rank_row */
extern const cs_schema_table cs_schema_evppi_sets;       /* cs_results_evppi_set_row */
extern const cs_schema_table cs_schema_evppi_checks;     /* cs_results_evppi_check_row */
extern const cs_schema_table cs_schema_variance_split;   /* cs_results_variance_row */
extern const cs_schema_table cs_schema_portfolios;       /* cs_results_portfolio_row */
/* The same per violation kind (format 1.2): `violation`, then the columns. */
extern const cs_schema_table cs_schema_summary_kind;    /* cs_results_summary_kind_row */
extern const cs_schema_table cs_schema_comparison_kind; /* cs_results_comparison_kind_row */
extern const cs_schema_table cs_schema_ranking_kind;    /* cs_results_ranking_kind_row */

/* The tables by arrival year (1.2). */
extern const cs_schema_table cs_schema_summary_year;    /* cs_results_summary_year_row */
extern const cs_schema_table cs_schema_comparison_year; /* cs_results_comparison_year_row */
extern const cs_schema_table cs_schema_timing;          /* cs_results_timing_row */

/* The checksum of the strings of n rows of table t (CS_H5_STRINGS_CRC of
 * results/h5util.h: the string columns of each row in column order). */
uint32_t cs_schema_table_crc(const cs_schema_table *t, const void *rows, size_t n);

/* A compound memory type for rows of row_size bytes with the given columns
 * (strings as variable-length UTF-8 char *), or H5I_INVALID_HID. Close with
 * cs_h5_close. Its packed copy (H5Tpack) is the type stored in the file. */
hid_t cs_h5_compound(const cs_schema_field *fields, size_t n, size_t row_size);

/* Writes the n rows of table t at file/t->path (replacing one there; its
 * group must exist), with `units` and `description` attributes. Returns
 * CS_OK or CS_EIO. */
int cs_schema_write_table(hid_t file, const cs_schema_table *t, size_t n, const void *rows,
                          cs_error *err);

/* Reads table t into a new array of *n rows (at most max_rows, checked
 * before allocating: the count is the file's) whose strings the caller
 * owns (free with cs_schema_free_rows). A missing table is CS_EFORMAT. */
int cs_schema_read_table(hid_t file, const cs_schema_table *t, size_t max_rows, void **out,
                         size_t *n, cs_error *err);

/* Frees n rows of table t with their strings. rows may be NULL. */
void cs_schema_free_rows(const cs_schema_table *t, void *rows, size_t n);

/* The compound memory type of a case record (cs_case_record). */
hid_t cs_schema_case_mtype(void);

/* The name of the axis every per-replicate dataset has in front, and the
 * sibling dataset whose values label it. */
#define CS_SCHEMA_REPLICATE_AXIS "replicate"
#define CS_SCHEMA_REPLICATE_LABELS "replicate_index"

/* Where the labels of a named axis come from, for its dimension scale
 * (results/labels.c) and /scenario's dimension_* attributes. */
typedef struct cs_schema_axis {
    const char *labels;      /* a dataset: absolute ("/scenario/groups"), or relative to
                                the labelled dataset's group ("replicate_index"); "" for an
                                axis labelled by position 0, 1, ... */
    const char *extra;       /* a label after those of `labels` ("all"), or NULL */
    const char *units;       /* of position or numeric labels */
    const char *description; /* of the axis */
} cs_schema_axis;

/* The axis called name: the replicate axis, a dimension of the schema
 * (cs_schema_dims), or any other name (a table's rows, the case records),
 * which is labelled by position. */
void cs_schema_axis_of(const char *name, cs_schema_axis *out);

/* Checks the root attributes `format` and `format_version` of an open file:
 * CS_OK, or CS_EFORMAT with a message naming path and what was found.
 * Stores the version found in *major / *minor (may be NULL). */
int cs_results_check_format(hid_t file, const char *path, int *major, int *minor, cs_error *err);

/* Creates the empty per-replicate dataset of a in group g (a variant's
 * /runs/<variant>): [0, dims...] for dims d, extensible along the replicate
 * axis, chunked (about 64 KiB per chunk), shuffled and deflated, with the
 * attributes `units` (index_units, one per entry of the last axis, when
 * a->units is NULL), `description` and `dimensions` (the axes' names,
 * "replicate" first). Returns the open dataset, or H5I_INVALID_HID with err
 * (CS_EINVAL for an empty axis or missing index units, CS_EIO). */
hid_t cs_schema_create_array(hid_t g, const cs_schema_array *a, const cs_result_dims *d,
                             const char *const *index_units, cs_error *err);

/* Extends dataset ds of a to at + n rows and writes rows [at, at + n) from
 * buf (n consecutive replicates' values). what names it in messages.
 * Returns CS_OK or CS_EIO. */
int cs_schema_append(hid_t ds, const cs_schema_array *a, const cs_result_dims *d, uint64_t at,
                     uint64_t n, const void *buf, const char *what, cs_error *err);

/* An open per-replicate dataset, its shape checked. */
typedef struct cs_schema_open {
    hid_t ds;                         /* close with cs_h5_close */
    uint64_t rows;                    /* its length along the replicate axis */
    size_t shape[CS_SCHEMA_MAX_RANK]; /* the other axes */
    size_t row_elems;                 /* elements per row (product of shape) */
} cs_schema_open;

/* Opens <vpath>/<a->name> in file and checks it: its rank is 1 + a->rank;
 * each axis has the length d gives it (a length of 0 in d: any length, for
 * a reader that knows only the labelled axes); it has min_rows to max_rows
 * rows; and it does not claim more rows than its stored bytes could hold
 * (a few bytes of damaged file must not make a reader allocate gigabytes of
 * fill values: at most 1100 times the stored size, deflate's limit being
 * about 1032:1, plus 1 MiB; and rows times a row's bytes fit in size_t).
 * Returns CS_OK (o filled), or CS_EFORMAT saying what is wrong (o->ds
 * invalid). */
/* Whether array a has axis d (e.g. CS_DIM_KIND: an array by violation kind). */
bool cs_schema_has_axis(const cs_schema_array *a, cs_dim d);

int cs_schema_open_array(hid_t file, const char *vpath, const cs_schema_array *a,
                         const cs_result_dims *d, uint64_t min_rows, uint64_t max_rows,
                         cs_schema_open *o, cs_error *err);

/* Reads rows [first, first + n) of an array opened by cs_schema_open_array
 * into buf (n * o->row_elems elements of a's memory type). Returns CS_OK or
 * CS_EIO. */
int cs_schema_read_rows(const cs_schema_open *o, const cs_schema_array *a, uint64_t first,
                        uint64_t n, void *buf, const char *what, cs_error *err);

#endif
