/*
 * results/write.c — writes the HDF5 results file as replicates finish
 * (see casesim/results.h; the layout is documented in analysis/README.md).
 *
 * Per-replicate datasets are chunked along the replicate axis, compressed
 * (shuffle + deflate) and extended by one row per result, so that memory stays
 * bounded by HDF5's chunk caches whatever the replicate count, and an
 * interruption keeps every finished replicate.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casesim/results.h"
#include "casesim/stats.h"
#include "core/alloc.h"
#include "results/h5util.h"
#include "results/internal.h"

/* The per-replicate datasets of a variant, in this order. */
enum {
    DS_MEASURES = 0,
    DS_OUTCOME_COUNTS,
    DS_STAGE_ENTRIES,
    DS_STAGE_STATS,
    DS_BACKLOG,
    DS_PERIOD_ENTRIES,
    DS_PERIOD_OUTCOMES,
    DS_REPLICATE_INDEX,
    DS_INCIDENTS_SIMULATED,
    DS_EVENTS,
    DS_COUNT
};

typedef struct ds_spec {
    const char *name;
    hid_t ftype, mtype; /* file and memory types (HDF5 predefined: never closed) */
    int rank;           /* 1 + the per-replicate rank */
    hsize_t dims[3];    /* dims[0] is the replicate axis */
    const char *units;  /* NULL: a per-index units array (measures, stage_stats) */
    const char *description;
} ds_spec;

typedef struct var_out {
    size_t index; /* into s->variants */
    hid_t group;
    hid_t d[DS_COUNT];
    hid_t cases;
    uint64_t rows;
    /* Case-record rows at the start of each replicate that had records
     * (bounded by the case_record_replicates option), so that a replicate cut
     * off by an interruption can be dropped from the case table too. */
    uint64_t case_rows;
    uint64_t *case_start;
    size_t n_case_start, cap_case_start;
} var_out;

struct cs_results_writer {
    const cs_scenario *s;
    cs_result_dims dims;
    ds_spec spec[DS_COUNT];
    hid_t file;
    hid_t case_mtype;
    uint64_t first, requested, case_reps, seed;
    size_t n_vars;
    var_out *vars;
    size_t *slot; /* [s->n_variants]: slot in vars, or SIZE_MAX if not written */
    char **mnames, **munits, **mdescs; /* [dims.n_measures] */
};

/* Rows per chunk: about 64 KiB per chunk, at least 1 and at most 1024 rows. */
static hsize_t chunk_rows(size_t row_bytes)
{
    size_t rows = row_bytes ? (64u << 10) / row_bytes : 1024;
    if (rows < 1)
        rows = 1;
    if (rows > 1024)
        rows = 1024;
    return rows;
}

static void set_spec(ds_spec *sp, const char *name, hid_t ft, hid_t mt, int rank, hsize_t d1,
                     hsize_t d2, const char *units, const char *desc)
{
    *sp = (ds_spec){name, ft, mt, rank, {0, d1, d2}, units, desc};
}

static void init_specs(cs_results_writer *w)
{
    const cs_result_dims *d = &w->dims;
    hsize_t g1 = d->n_groups + 1;
    set_spec(&w->spec[DS_MEASURES], "measures", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, g1,
             d->n_measures, NULL,
             "Cohort measures of each replicate: [replicate, group, measure]. Groups are "
             "/scenario/groups then 'all groups together'; measures are /scenario/measures, "
             "with units per measure in this attribute 'units' (and /scenario/measure_units). "
             "NaN where a measure is undefined in a replicate (e.g. a rate over zero "
             "well-founded incidents).");
    set_spec(&w->spec[DS_OUTCOME_COUNTS], "outcome_counts", H5T_STD_I64LE, H5T_NATIVE_INT64, 3, g1,
             d->n_outcomes, "tracks",
             "Tracks of cohort incidents ending in each outcome: [replicate, group (last: all), "
             "outcome] (outcomes in /scenario/outcomes). A forked case has several tracks.");
    set_spec(&w->spec[DS_STAGE_ENTRIES], "stage_entries", H5T_STD_I64LE, H5T_NATIVE_INT64, 3, g1,
             d->n_stages, "tracks",
             "Tracks of cohort incidents entering each stage: [replicate, group (last: all), "
             "stage] (stages in /scenario/stages): the attrition funnel.");
    set_spec(&w->spec[DS_STAGE_STATS], "stage_stats", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3,
             d->n_stages, CS_SS_COUNT, NULL,
             "Statistics of each stage over the cohort window (all incidents in that time): "
             "[replicate, stage, statistic] (statistics in /scenario/stage_stats, units per "
             "statistic in this attribute 'units').");
    set_spec(&w->spec[DS_BACKLOG], "backlog", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, d->n_stages,
             d->n_months, "cases",
             "Time-average number of cases waiting at each stage in each month of the run: "
             "[replicate, stage, month]; month 0 starts at the beginning of the warm-up.");
    set_spec(&w->spec[DS_PERIOD_ENTRIES], "period_entries", H5T_STD_I64LE, H5T_NATIVE_INT64, 3,
             d->n_years, d->n_stages, "tracks",
             "Tracks entering each stage per calendar year of the run, all incidents (not only "
             "the cohort): [replicate, year, stage]; year 0 starts at the beginning of the "
             "warm-up. Comparable with published same-year statistics.");
    set_spec(&w->spec[DS_PERIOD_OUTCOMES], "period_outcomes", H5T_STD_I64LE, H5T_NATIVE_INT64, 3,
             d->n_years, d->n_outcomes, "tracks",
             "Tracks ending in each outcome per calendar year of the run, all incidents: "
             "[replicate, year, outcome].");
    set_spec(&w->spec[DS_REPLICATE_INDEX], "replicate_index", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1,
             0, 0, "replicate number",
             "The replicate number each row holds (its random streams are keyed by it), so "
             "that files of different replicate ranges can be joined.");
    set_spec(&w->spec[DS_INCIDENTS_SIMULATED], "incidents_simulated", H5T_STD_U64LE,
             H5T_NATIVE_UINT64, 1, 0, 0, "incidents",
             "Incidents simulated over the whole horizon (warm-up, cohort and follow-up).");
    set_spec(&w->spec[DS_EVENTS], "events", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, 0, 0, "events",
             "Discrete events the engine processed (a measure of computational work).");
}

/* The row of dataset k in result r. */
static const void *row_of(const cs_replicate_result *r, int k)
{
    switch (k) {
    case DS_MEASURES:
        return r->measures;
    case DS_OUTCOME_COUNTS:
        return r->outcome_counts;
    case DS_STAGE_ENTRIES:
        return r->stage_entries;
    case DS_STAGE_STATS:
        return r->stage_stats;
    case DS_BACKLOG:
        return r->backlog;
    case DS_PERIOD_ENTRIES:
        return r->period_entries;
    case DS_PERIOD_OUTCOMES:
        return r->period_outcomes;
    case DS_REPLICATE_INDEX:
        return &r->replicate;
    case DS_INCIDENTS_SIMULATED:
        return &r->incidents_total;
    case DS_EVENTS:
        return &r->events;
    default:
        return NULL;
    }
}

static hid_t case_record_mtype(void)
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

static const char *const case_units[] = {"replicate number",
                                         "index into /scenario/groups",
                                         "incident number",
                                         "days",
                                         "index into /scenario/violations",
                                         "1 = well-founded, 0 = unfounded",
                                         "share (0 to 1)",
                                         "days (NaN: pending at the end)",
                                         "tracks",
                                         "bit o set: a track ended in outcome o"};

/* Creates an empty extensible dataset: dims {0, ...}, chunked along the
 * replicate axis, shuffle + deflate. */
static hid_t create_extensible(hid_t loc, const char *name, hid_t ftype, int rank,
                               const hsize_t *dims, size_t row_bytes, cs_error *err)
{
    hsize_t cur[3] = {0, 0, 0}, max[3], chunk[3];
    for (int i = 0; i < rank; i++) {
        cur[i] = i ? dims[i] : 0;
        max[i] = i ? dims[i] : H5S_UNLIMITED;
        chunk[i] = i ? dims[i] : chunk_rows(row_bytes);
        if (i && dims[i] == 0) {
            cs_error_set(err, CS_EINVAL, "dataset '%s' would have an empty dimension", name);
            return H5I_INVALID_HID;
        }
    }
    hid_t space = H5Screate_simple(rank, cur, max);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t d = H5I_INVALID_HID;
    if (space >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, rank, chunk) >= 0) {
        int ok = 0;
        if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0)
            ok = H5Pset_shuffle(dcpl) >= 0 && H5Pset_deflate(dcpl, 4) >= 0;
        else
            ok = 1; /* an HDF5 without zlib: store uncompressed */
        if (ok)
            d = H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    }
    if (d < 0)
        cs_h5_fail(err, CS_EIO, "cannot create dataset '%s'", name);
    cs_h5_close(&dcpl);
    cs_h5_close(&space);
    return d;
}

/* Appends n rows from buf to d (of the given rank and per-row dims) at row
 * `at`. */
static int append_rows(hid_t d, hid_t mtype, int rank, const hsize_t *dims, uint64_t at, uint64_t n,
                       const void *buf, const char *what, cs_error *err)
{
    hsize_t ext[3], start[3] = {at, 0, 0}, count[3];
    for (int i = 0; i < rank; i++) {
        ext[i] = i ? dims[i] : at + n;
        count[i] = i ? dims[i] : n;
    }
    hid_t fs = H5I_INVALID_HID, ms = H5I_INVALID_HID;
    int st = CS_OK;
    if (H5Dset_extent(d, ext) < 0 || (fs = H5Dget_space(d)) < 0 ||
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        (ms = H5Screate_simple(rank, count, NULL)) < 0 ||
        H5Dwrite(d, mtype, ms, fs, H5P_DEFAULT, buf) < 0)
        st = cs_h5_fail(err, CS_EIO, "cannot append to %s", what);
    cs_h5_close(&ms);
    cs_h5_close(&fs);
    return st;
}

/* Shrinks d along the replicate axis to rows. */
static int shrink(hid_t d, uint64_t rows, const char *what, cs_error *err)
{
    hid_t fs = H5Dget_space(d);
    hsize_t dims[3] = {0, 0, 0};
    int rank = fs < 0 ? -1 : H5Sget_simple_extent_dims(fs, dims, NULL);
    cs_h5_close(&fs);
    if (rank < 1)
        return cs_h5_fail(err, CS_EIO, "cannot read the shape of %s", what);
    if (dims[0] <= rows)
        return CS_OK;
    dims[0] = rows;
    if (H5Dset_extent(d, dims) < 0)
        return cs_h5_fail(err, CS_EIO, "cannot shrink %s", what);
    return CS_OK;
}

static void close_var(var_out *v)
{
    for (int k = 0; k < DS_COUNT; k++)
        cs_h5_close(&v->d[k]);
    cs_h5_close(&v->cases);
    cs_h5_close(&v->group);
    free(v->case_start);
    v->case_start = NULL;
}

void cs_results_writer_free(cs_results_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n_vars; i++)
        close_var(&w->vars[i]);
    cs_h5_close(&w->case_mtype);
    cs_h5_close(&w->file);
    if (w->mnames)
        cs_h5_free_strings(w->mnames, w->dims.n_measures);
    if (w->munits)
        cs_h5_free_strings(w->munits, w->dims.n_measures);
    if (w->mdescs)
        cs_h5_free_strings(w->mdescs, w->dims.n_measures);
    free(w->vars);
    free(w->slot);
    free(w);
}

static const char *kind_name(cs_variant_kind k)
{
    switch (k) {
    case CS_VARIANT_BASELINE:
        return "baseline";
    case CS_VARIANT_INTERVENTION:
        return "intervention";
    case CS_VARIANT_BUNDLE:
        return "bundle";
    default:
        return "unknown";
    }
}

/* Builds the measure names, units and descriptions (fixed ones from
 * cs_measure_table, then one accountability rate per category). */
static int build_measure_names(cs_results_writer *w, cs_error *err)
{
    size_t m = w->dims.n_measures;
    w->mnames = calloc(m, sizeof(char *));
    w->munits = calloc(m, sizeof(char *));
    w->mdescs = calloc(m, sizeof(char *));
    if (!w->mnames || !w->munits || !w->mdescs)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; i < m; i++) {
        char buf[256], desc[512];
        cs_measure_name(w->s, i, buf, sizeof buf);
        if (i < CS_M_FIXED_COUNT) {
            snprintf(desc, sizeof desc, "%s", cs_measure_table[i].description);
            w->munits[i] = cs_xstrdup(cs_measure_table[i].units);
        } else {
            size_t c = i - CS_M_FIXED_COUNT;
            snprintf(desc, sizeof desc,
                     "Share of well-founded cohort incidents with at least one accountability "
                     "outcome of category '%s'.",
                     c < w->s->n_categories ? w->s->categories[c] : "?");
            w->munits[i] = cs_xstrdup(cs_measure_table[CS_M_ACCOUNTABILITY].units);
        }
        w->mnames[i] = cs_xstrdup(buf);
        w->mdescs[i] = cs_xstrdup(desc);
        if (!w->mnames[i] || !w->munits[i] || !w->mdescs[i])
            return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    return CS_OK;
}

/* A name list of n entries taken from a struct array by a member accessor. */
#define NAME_LIST(arr, n, member)                                                                  \
    do {                                                                                           \
        const char **l_ = calloc((n) ? (n) : 1, sizeof *l_);                                       \
        if (!l_) {                                                                                 \
            st = cs_error_set(err, CS_ENOMEM, "out of memory");                                    \
            break;                                                                                 \
        }                                                                                          \
        for (size_t i_ = 0; i_ < (n); i_++)                                                        \
            l_[i_] = (arr)[i_] member;                                                             \
        lists[nl] = l_;                                                                            \
        counts[nl++] = (n);                                                                        \
    } while (0)

static int write_scenario(cs_results_writer *w, cs_error *err)
{
    const cs_scenario *s = w->s;
    hid_t g = H5Gcreate2(w->file, "/scenario", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t t = H5I_INVALID_HID, sp = H5I_INVALID_HID, d = H5I_INVALID_HID;
    int st = CS_OK;
    const char **lists[9] = {NULL};
    size_t counts[9] = {0}, nl = 0;
    if (g < 0)
        return cs_h5_fail(err, CS_EIO, "cannot create /scenario");

    /* The source text exactly as read, as one UTF-8 string. */
    const char *src = s->source ? s->source : "";
    size_t len = s->source ? s->source_len : 0;
    if (memchr(src, '\0', len)) {
        st = cs_error_set(err, CS_EINVAL, "the scenario text contains a NUL byte");
        goto done;
    }
    t = cs_h5_string_type();
    sp = H5Screate(H5S_SCALAR);
    if (t < 0 || sp < 0 ||
        (d = H5Dcreate2(g, "source", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &src) < 0) {
        st = cs_h5_fail(err, CS_EIO, "cannot write /scenario/source");
        goto done;
    }
    st = cs_h5_attr_string(d, "description",
                           "The scenario file's text, byte for byte as read (UTF-8).", err);
    if (st != CS_OK)
        goto done;

    NAME_LIST(s->groups, s->n_groups, .name);
    NAME_LIST(s->groups, s->n_groups, .label);
    NAME_LIST(s->violations, s->n_violations, .name);
    NAME_LIST(s->stages, s->n_stages, .name);
    NAME_LIST(s->outcomes, s->n_outcomes, .name);
    NAME_LIST(cs_stage_stat_table, (size_t)CS_SS_COUNT, .name);
    NAME_LIST(cs_stage_stat_table, (size_t)CS_SS_COUNT, .units);
    NAME_LIST(cs_stage_stat_table, (size_t)CS_SS_COUNT, .description);
    if (st != CS_OK)
        goto done;
    {
        const char *names[] = {
            "groups",   "group_labels", "violations",       "stages",
            "outcomes", "stage_stats",  "stage_stat_units", "stage_stat_descriptions"};
        for (size_t i = 0; i < nl && st == CS_OK; i++)
            st = cs_h5_write_strings(g, names[i], lists[i], counts[i], err);
    }
    if (st == CS_OK)
        st = cs_h5_write_strings(g, "categories", (const char *const *)s->categories,
                                 s->n_categories, err);
    if (st == CS_OK)
        st = cs_h5_write_strings(g, "measures", (const char *const *)w->mnames, w->dims.n_measures,
                                 err);
    if (st == CS_OK)
        st = cs_h5_write_strings(g, "measure_units", (const char *const *)w->munits,
                                 w->dims.n_measures, err);
    if (st == CS_OK)
        st = cs_h5_write_strings(g, "measure_descriptions", (const char *const *)w->mdescs,
                                 w->dims.n_measures, err);
    if (st == CS_OK) {
        const char **vn = calloc(w->n_vars, sizeof *vn);
        if (!vn) {
            st = cs_error_set(err, CS_ENOMEM, "out of memory");
        } else {
            for (size_t i = 0; i < w->n_vars; i++)
                vn[i] = s->variants[w->vars[i].index].name;
            st = cs_h5_write_strings(g, "variants", vn, w->n_vars, err);
            free(vn);
        }
    }
    if (st == CS_OK)
        st = cs_h5_attr_string(g, "name", s->name ? s->name : "", err);
    if (st == CS_OK)
        st = cs_h5_attr_string(g, "description", s->description ? s->description : "", err);
    if (st == CS_OK)
        st = cs_h5_attr_string(g, "path", s->path ? s->path : "", err);
    if (st == CS_OK)
        st = cs_h5_attr_string(g, "reference_group", s->n_groups ? s->groups[0].name : "", err);
    if (st == CS_OK)
        st = cs_h5_attr_double(g, "warmup_years", s->warmup_years, err);
    if (st == CS_OK)
        st = cs_h5_attr_double(g, "cohort_years", s->cohort_years, err);
    if (st == CS_OK)
        st = cs_h5_attr_double(g, "follow_up_years", s->follow_up_years, err);
    if (st == CS_OK)
        st = cs_h5_attr_double(g, "days_per_year", CS_DAYS_PER_YEAR, err);
done:
    for (size_t i = 0; i < nl; i++)
        free(lists[i]);
    cs_h5_close(&d);
    cs_h5_close(&sp);
    cs_h5_close(&t);
    if (cs_h5_close(&g) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "cannot close /scenario");
    return st;
}

static int create_variant(cs_results_writer *w, var_out *v, hid_t runs, cs_error *err)
{
    const cs_variant *cv = &w->s->variants[v->index];
    int st = CS_OK;
    v->group = H5Gcreate2(runs, cv->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (v->group < 0)
        return cs_h5_fail(err, CS_EIO, "cannot create /runs/%s", cv->name);
    const char **applied = calloc(cv->n_applied ? cv->n_applied : 1, sizeof *applied);
    if (!applied)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; i < cv->n_applied; i++)
        applied[i] = w->s->interventions[cv->applied[i]].name;
    st = cs_h5_attr_string(v->group, "kind", kind_name(cv->kind), err);
    if (st == CS_OK)
        st =
            cs_h5_attr_string(v->group, "description", cv->description ? cv->description : "", err);
    if (st == CS_OK)
        st = cs_h5_attr_double(v->group, "annual_cost", cv->annual_cost, err);
    if (st == CS_OK)
        st = cs_h5_attr_strings(v->group, "interventions", applied, cv->n_applied, err);
    free(applied);
    if (st == CS_OK)
        st = cs_h5_attr_string(
            v->group, "annual_cost_units",
            "the scenario's currency per year (the sum over the interventions applied)", err);

    for (int k = 0; k < DS_COUNT && st == CS_OK; k++) {
        const ds_spec *sp = &w->spec[k];
        size_t row = H5Tget_size(sp->mtype);
        for (int i = 1; i < sp->rank; i++)
            row *= (size_t)sp->dims[i];
        v->d[k] = create_extensible(v->group, sp->name, sp->ftype, sp->rank, sp->dims, row, err);
        if (v->d[k] < 0)
            return err && err->status ? err->status : CS_EIO;
        if (sp->units)
            st = cs_h5_attr_string(v->d[k], "units", sp->units, err);
        else if (k == DS_MEASURES)
            st = cs_h5_attr_strings(v->d[k], "units", (const char *const *)w->munits,
                                    w->dims.n_measures, err);
        else {
            const char *u[CS_SS_COUNT];
            for (int i = 0; i < CS_SS_COUNT; i++)
                u[i] = cs_stage_stat_table[i].units;
            st = cs_h5_attr_strings(v->d[k], "units", u, CS_SS_COUNT, err);
        }
        if (st == CS_OK)
            st = cs_h5_attr_string(v->d[k], "description", sp->description, err);
    }
    if (st == CS_OK && w->case_reps > 0) {
        hid_t ft = H5Tcopy(w->case_mtype);
        hsize_t none[1] = {0};
        if (ft < 0 || H5Tpack(ft) < 0)
            st = cs_h5_fail(err, CS_EIO, "cannot build the case record type");
        else
            v->cases =
                create_extensible(v->group, "cases", ft, 1, none, sizeof(cs_case_record), err);
        cs_h5_close(&ft);
        if (st == CS_OK && v->cases < 0)
            st = err && err->status ? err->status : CS_EIO;
        if (st == CS_OK)
            st = cs_h5_attr_strings(v->cases, "units", case_units,
                                    sizeof case_units / sizeof *case_units, err);
        if (st == CS_OK)
            st = cs_h5_attr_string(
                v->cases, "description",
                "One row per cohort incident of the first replicates (--case-records): its "
                "replicate, group, number, arrival day, violation kind, whether it is "
                "well-founded, evidence strength, the day its case ended, its tracks and the "
                "outcomes they ended in (a bit mask over /scenario/outcomes). Units per column "
                "in this attribute 'units', in column order.",
                err);
    }
    return st;
}

static void iso8601_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    if (t == (time_t)-1 || !gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, n, "unknown");
}

int cs_results_writer_open(const char *path, const cs_scenario *s, const cs_results_options *opt,
                           cs_results_writer **out, cs_error *err)
{
    *out = NULL;
    cs_h5_quiet();
    if (!s || s->n_variants == 0)
        return cs_error_set(err, CS_EINVAL, "results: the scenario has no variants");
    if (opt->n_variants == 0 && opt->variants)
        return cs_error_set(err, CS_EINVAL, "results: an empty variant selection");
    size_t nv = opt->variants ? opt->n_variants : s->n_variants;
    if (opt->variants && opt->variants[0] != 0)
        return cs_error_set(err, CS_EINVAL,
                            "results: the baseline must be among the variants written");
    for (size_t i = 0; opt->variants && i < nv; i++)
        if (opt->variants[i] >= s->n_variants || (i && opt->variants[i] <= opt->variants[i - 1]))
            return cs_error_set(err, CS_EINVAL,
                                "results: variant indices must be increasing and below %zu",
                                s->n_variants);

    cs_results_writer *w = calloc(1, sizeof *w);
    if (!w)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    w->file = H5I_INVALID_HID;
    w->case_mtype = H5I_INVALID_HID;
    w->s = s;
    cs_result_dims_of(s, &w->dims);
    w->first = opt->first_replicate;
    w->requested = opt->n_replicates;
    w->case_reps = opt->case_record_replicates;
    w->seed = opt->seed;
    init_specs(w);
    w->vars = calloc(nv, sizeof *w->vars);
    w->slot = malloc(s->n_variants * sizeof *w->slot);
    int st = CS_OK;
    if (!w->vars || !w->slot) {
        st = cs_error_set(err, CS_ENOMEM, "out of memory");
        goto fail;
    }
    w->n_vars = nv;
    for (size_t i = 0; i < s->n_variants; i++)
        w->slot[i] = SIZE_MAX;
    for (size_t i = 0; i < nv; i++) {
        var_out *v = &w->vars[i];
        v->index = opt->variants ? opt->variants[i] : i;
        v->group = v->cases = H5I_INVALID_HID;
        for (int k = 0; k < DS_COUNT; k++)
            v->d[k] = H5I_INVALID_HID;
        w->slot[v->index] = i;
    }
    st = build_measure_names(w, err);
    if (st != CS_OK)
        goto fail;
    w->case_mtype = case_record_mtype();
    if (w->case_mtype < 0) {
        st = cs_h5_fail(err, CS_EIO, "cannot build the case record type");
        goto fail;
    }

    w->file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (w->file < 0) {
        st = cs_h5_fail(err, CS_EIO, "%s: cannot create the results file", path);
        goto fail;
    }
    char created[32];
    iso8601_now(created, sizeof created);
    int version[2] = {CS_RESULTS_VERSION_MAJOR, CS_RESULTS_VERSION_MINOR};
    st = cs_h5_attr_string(w->file, "format", CS_RESULTS_FORMAT, err);
    if (st == CS_OK)
        st = cs_h5_attr_ints(w->file, "format_version", version, 2, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(w->file, "casesim_version", CASESIM_VERSION_STRING, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(w->file, "created", created, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(w->file, "seed", w->seed, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(w->file, "first_replicate", w->first, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(w->file, "replicates", 0, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(w->file, "replicates_requested", w->requested, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(w->file, "case_record_replicates", w->case_reps, err);
    if (st == CS_OK)
        st = cs_h5_attr_double(w->file, "confidence_level", CS_STATS_LEVEL, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(w->file, "status", "incomplete", err);
    if (st == CS_OK)
        st = cs_h5_attr_string(w->file, "command_line", opt->command_line ? opt->command_line : "",
                               err);
    if (st == CS_OK)
        st = write_scenario(w, err);
    if (st != CS_OK)
        goto fail;

    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    hid_t runs = H5I_INVALID_HID;
    if (gcpl >= 0 &&
        H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) >= 0)
        runs = H5Gcreate2(w->file, "/runs", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    cs_h5_close(&gcpl);
    if (runs < 0) {
        st = cs_h5_fail(err, CS_EIO, "cannot create /runs");
        goto fail;
    }
    for (size_t i = 0; i < nv && st == CS_OK; i++)
        st = create_variant(w, &w->vars[i], runs, err);
    if (cs_h5_close(&runs) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "cannot close /runs");
    if (st != CS_OK)
        goto fail;
    *out = w;
    return CS_OK;
fail:
    cs_results_writer_free(w);
    return st;
}

int cs_results_writer_append(cs_results_writer *w, const cs_replicate_result *r, cs_error *err)
{
    if (r->variant >= w->s->n_variants || w->slot[r->variant] == SIZE_MAX)
        return cs_error_set(err, CS_EINTERNAL,
                            "results: a result of variant %zu, which is not being written",
                            r->variant);
    const cs_result_dims *a = &w->dims, *b = &r->dims;
    if (a->n_groups != b->n_groups || a->n_categories != b->n_categories ||
        a->n_measures != b->n_measures || a->n_outcomes != b->n_outcomes ||
        a->n_stages != b->n_stages || a->n_months != b->n_months || a->n_years != b->n_years)
        return cs_error_set(err, CS_EINTERNAL,
                            "results: a result whose dimensions differ from the scenario's");
    var_out *v = &w->vars[w->slot[r->variant]];
    const char *name = w->s->variants[v->index].name;
    if (r->replicate != w->first + v->rows)
        return cs_error_set(
            err, CS_EINTERNAL, "results: variant '%s' received replicate %llu where %llu was due",
            name, (unsigned long long)r->replicate, (unsigned long long)(w->first + v->rows));
    int st = CS_OK;
    for (int k = 0; k < DS_COUNT && st == CS_OK; k++) {
        const ds_spec *sp = &w->spec[k];
        char what[CS_MAX_NAME_LEN + 48];
        snprintf(what, sizeof what, "/runs/%s/%s", name, sp->name);
        st = append_rows(v->d[k], sp->mtype, sp->rank, sp->dims, v->rows, 1, row_of(r, k), what,
                         err);
    }
    if (st == CS_OK && v->rows < w->case_reps) {
        /* Where this replicate's case records start (even if it has none). */
        if (v->n_case_start == v->cap_case_start) {
            size_t cap = v->cap_case_start ? 2 * v->cap_case_start : 16;
            uint64_t *p = realloc(v->case_start, cap * sizeof *p);
            if (!p)
                return cs_error_set(err, CS_ENOMEM, "out of memory");
            v->case_start = p;
            v->cap_case_start = cap;
        }
        v->case_start[v->n_case_start++] = v->case_rows;
    }
    if (st == CS_OK && r->n_cases > 0) {
        if (v->cases < 0 || v->rows >= w->case_reps)
            return cs_error_set(err, CS_EINTERNAL,
                                "results: case records of replicate %llu, which was not asked "
                                "to record them",
                                (unsigned long long)r->replicate);
        char what[CS_MAX_NAME_LEN + 32];
        snprintf(what, sizeof what, "/runs/%s/cases", name);
        hsize_t none[1] = {0};
        st = append_rows(v->cases, w->case_mtype, 1, none, v->case_rows, r->n_cases, r->cases, what,
                         err);
        if (st == CS_OK)
            v->case_rows += r->n_cases;
    }
    if (st == CS_OK)
        v->rows++;
    return st;
}

int cs_results_sink(void *ctx, const cs_replicate_result *r, cs_error *err)
{
    return cs_results_writer_append(ctx, r, err);
}

uint64_t cs_results_writer_replicates(const cs_results_writer *w)
{
    uint64_t n = UINT64_MAX;
    for (size_t i = 0; i < w->n_vars; i++)
        if (w->vars[i].rows < n)
            n = w->vars[i].rows;
    return w->n_vars ? n : 0;
}

int cs_results_writer_close(cs_results_writer *w, bool complete, cs_error *err)
{
    uint64_t done = cs_results_writer_replicates(w);
    int st = CS_OK;
    /* Drop a replicate that some variants finished and others did not. */
    for (size_t i = 0; i < w->n_vars && st == CS_OK; i++) {
        var_out *v = &w->vars[i];
        const char *name = w->s->variants[v->index].name;
        /* Unconditionally: a failed append may have left a partial row. */
        for (int k = 0; k < DS_COUNT && st == CS_OK; k++)
            st = shrink(v->d[k], done, name, err);
        if (st == CS_OK && v->cases >= 0)
            st = shrink(v->cases, done < v->n_case_start ? v->case_start[done] : v->case_rows, name,
                        err);
        v->rows = done;
    }
    if (st == CS_OK)
        st = cs_h5_attr_u64(w->file, "replicates", done, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(w->file, "status", complete ? "complete" : "incomplete", err);
    for (size_t i = 0; i < w->n_vars; i++)
        close_var(&w->vars[i]);
    if (st == CS_OK)
        st = cs_results_write_analysis(w->file, err);
    /* H5Fflush then H5Fclose: both report a write that did not make it
     * (a full disk, a file size limit). */
    if (st == CS_OK && H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0)
        st = cs_h5_fail(err, CS_EIO, "cannot write the results file to disk");
    if (H5Fclose(w->file) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "cannot close the results file");
    w->file = H5I_INVALID_HID;
    cs_results_writer_free(w);
    return st;
}
