/*
 * results/write.c — writes the HDF5 results file as replicates finish
 * (see casesim/results.h; the layout is documented in analysis/README.md).
 *
 * The per-replicate datasets of /runs/<variant> are those of the results
 * schema (casesim/schema.h), created, appended and shrunk by walking its
 * table (results/schema.c): chunked along the replicate axis, compressed
 * and extended by one row per result, so that memory stays bounded by
 * HDF5's chunk caches whatever the replicate count, and an interruption
 * keeps every finished replicate.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casesim/dynamics.h"
#include "casesim/results.h"
#include "casesim/stats.h"
#include "core/alloc.h"
#include "core/assert.h"
#include "results/disparity_file.h"
#include "results/h5util.h"
#include "results/internal.h"
#include "results/schema.h"

/* cs_results_options.omit_arrays has a bit per array. */
_Static_assert(CS_SCHEMA_N_ARRAYS <= 32, "omit_arrays has 32 bits");

/* One variant being written. */
typedef struct var_out {
    size_t index; /* into s->variants */
    hid_t group;
    hid_t d[CS_SCHEMA_N_ARRAYS]; /* the schema's per-replicate datasets */
    hid_t cases;                 /* /runs/<variant>/cases, or invalid */
    uint64_t rows;
    /* Case-record rows at the start of each replicate that had records
     * (bounded by the case_record_replicates option), so that a replicate cut
     * off by an interruption can be dropped from the case table too. */
    uint64_t case_rows;
    uint64_t *case_start;
    size_t n_case_start, cap_case_start;
} var_out;

/* The name, units and description of every measure (fixed ones, then one
 * accountability rate per category), as lists for the file. */
typedef struct measure_lists {
    char **names, **units, **descriptions; /* [n] each */
    size_t n;
} measure_lists;

struct cs_results_writer {
    const cs_scenario *s;
    cs_result_dims dims;
    hid_t file;
    hid_t case_mtype;
    uint64_t first, requested, case_reps, seed;
    uint32_t omit; /* optional arrays not written (cs_results_options.omit_arrays) */
    size_t n_vars;
    var_out *vars;
    size_t *slot; /* [s->n_variants]: slot in vars, or SIZE_MAX if not written */
    measure_lists m;
    bool without_kinds;       /* the arrays by violation kind are not written */
    const char **input_units; /* [s->n_uncertain_values] */
    bool drawn;               /* the uncertain inputs are drawn (not --no-uncertainty) */
    const char *sampling;     /* opt->sampling (not owned) */
};

/* Whether array a is written: not one of the optional arrays left out
 * (omit_arrays), nor one by kind in a join of files without them. */
static bool written(const cs_results_writer *w, const cs_schema_array *a)
{
    if (w->omit >> (a - cs_schema_arrays) & 1)
        return false;
    return !(w->without_kinds && cs_schema_has_axis(a, CS_DIM_KIND));
}

static const char *const case_description =
    "One row per cohort incident of the first replicates (--case-records): its replicate, group, "
    "number, arrival day, violation kind, whether it is well-founded, evidence strength, the day "
    "its case ended, its tracks and the outcomes they ended in (a bit mask over "
    "/scenario/outcomes). Units per column in this attribute 'units', in column order.";

/* ------------------------------------------------------- the writer itself */

static void close_var(var_out *v)
{
    for (int k = 0; k < CS_SCHEMA_N_ARRAYS; k++)
        cs_h5_close(&v->d[k]);
    cs_h5_close(&v->cases);
    cs_h5_close(&v->group);
    free(v->case_start);
    v->case_start = NULL;
}

static void measure_lists_free(measure_lists *m)
{
    cs_h5_free_strings(m->names, m->n);
    cs_h5_free_strings(m->units, m->n);
    cs_h5_free_strings(m->descriptions, m->n);
    memset(m, 0, sizeof *m);
}

void cs_results_writer_free(cs_results_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; w->vars && i < w->n_vars; i++)
        close_var(&w->vars[i]);
    cs_h5_close(&w->case_mtype);
    cs_h5_close(&w->file);
    measure_lists_free(&w->m);
    free(w->vars);
    free(w->slot);
    free(w->input_units);
    free(w);
}

/* Builds the measure lists of scenario s (names from cs_measure_name). */
static int build_measure_lists(const cs_scenario *s, size_t n, measure_lists *m, cs_error *err)
{
    m->n = n;
    m->names = calloc(n, sizeof(char *));
    m->units = calloc(n, sizeof(char *));
    m->descriptions = calloc(n, sizeof(char *));
    if (!m->names || !m->units || !m->descriptions)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char name[256], desc[512];
        cs_measure_name(s, i, name, sizeof name);
        size_t c = i - CS_M_FIXED_COUNT; /* the category of a per-category rate */
        if (i < CS_M_FIXED_COUNT)
            snprintf(desc, sizeof desc, "%s", cs_measure_table[i].description);
        else
            snprintf(desc, sizeof desc,
                     "Share of well-founded cohort incidents with at least one accountability "
                     "outcome of category '%s'.",
                     c < s->n_categories ? s->categories[c] : "?");
        m->names[i] = cs_xstrdup(name);
        m->descriptions[i] = cs_xstrdup(desc);
        m->units[i] = cs_xstrdup(
            cs_measure_table[i < CS_M_FIXED_COUNT ? i : (size_t)CS_M_ACCOUNTABILITY].units);
        if (!m->names[i] || !m->units[i] || !m->descriptions[i])
            return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    return CS_OK;
}

/* The measure lists of the n measures of another casesim's files. */
static int copy_measure_lists(const cs_results_measure *ms, size_t n, measure_lists *m,
                              cs_error *err)
{
    m->n = n;
    m->names = calloc(n, sizeof(char *));
    m->units = calloc(n, sizeof(char *));
    m->descriptions = calloc(n, sizeof(char *));
    if (!m->names || !m->units || !m->descriptions)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        m->names[i] = cs_xstrdup(ms[i].name ? ms[i].name : "");
        m->units[i] = cs_xstrdup(ms[i].units ? ms[i].units : "");
        m->descriptions[i] = cs_xstrdup(ms[i].description ? ms[i].description : "");
        if (!m->names[i] || !m->units[i] || !m->descriptions[i])
            return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    return CS_OK;
}

/* Checks the variant selection of opt against s: CS_OK or CS_EINVAL. */
static int check_options(const cs_scenario *s, const cs_results_options *opt, cs_error *err)
{
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
    for (int k = 0; k < CS_SCHEMA_N_ARRAYS; k++)
        if ((opt->omit_arrays >> k & 1) && !cs_schema_array_optional(k))
            return cs_error_set(err, CS_EINVAL, "results: the array '%s' cannot be left out",
                                cs_schema_arrays[k].name);
    return CS_OK;
}

/* A new writer for the options (checked), no file yet. */
static int writer_alloc(const cs_scenario *s, const cs_results_options *opt,
                        cs_results_writer **out, cs_error *err)
{
    cs_results_writer *w = calloc(1, sizeof *w);
    if (!w)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    *out = w;
    w->file = H5I_INVALID_HID;
    w->case_mtype = H5I_INVALID_HID;
    w->s = s;
    cs_result_dims_of(s, &w->dims);
    w->first = opt->first_replicate;
    w->requested = opt->n_replicates;
    w->case_reps = opt->case_record_replicates;
    w->seed = opt->seed;
    w->omit = opt->omit_arrays;
    size_t nv = opt->variants ? opt->n_variants : s->n_variants;
    w->vars = cs_xcalloc(nv, sizeof *w->vars);
    w->slot = cs_xcalloc(s->n_variants, sizeof *w->slot);
    if (!w->vars || !w->slot)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    w->n_vars = nv;
    for (size_t i = 0; i < s->n_variants; i++)
        w->slot[i] = SIZE_MAX;
    for (size_t i = 0; i < nv; i++) {
        var_out *v = &w->vars[i];
        v->index = opt->variants ? opt->variants[i] : i;
        v->group = v->cases = H5I_INVALID_HID;
        for (int k = 0; k < CS_SCHEMA_N_ARRAYS; k++)
            v->d[k] = H5I_INVALID_HID;
        w->slot[v->index] = i;
    }
    w->without_kinds = opt->without_kinds;
    int st = opt->measures ? copy_measure_lists(opt->measures, opt->n_measures, &w->m, err)
                           : build_measure_lists(s, w->dims.n_measures, &w->m, err);
    if (st != CS_OK)
        return st;
    w->drawn = opt->uncertain_drawn && s->n_uncertain > 0;
    w->sampling = opt->sampling;
    w->input_units = cs_xcalloc(s->n_uncertain_values, sizeof *w->input_units);
    if (!w->input_units)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->n_uncertain_values; i++)
        w->input_units[i] = cs_results_input_units(s, i);
    w->dims.n_measures = w->m.n;
    w->case_mtype = cs_schema_case_mtype();
    if (w->case_mtype < 0)
        return cs_h5_fail(err, CS_EIO, "cannot build the case record type");
    return CS_OK;
}

/* ------------------------------------------------------ root and /scenario */

static void iso8601_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    if (t == (time_t)-1 || !gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, n, "unknown");
}

static int write_root_attrs(const cs_results_writer *w, const char *command_line, cs_error *err)
{
    char created[32];
    iso8601_now(created, sizeof created);
    int version[2] = {CS_RESULTS_VERSION_MAJOR, CS_RESULTS_VERSION_MINOR};
    hid_t f = w->file;
    int st = cs_h5_attr_string(f, "format", CS_RESULTS_FORMAT, err);
    if (st == CS_OK)
        st = cs_h5_attr_ints(f, "format_version", version, 2, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(f, "casesim_version", CASESIM_VERSION_STRING, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(f, "created", created, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(f, "seed", w->seed, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(f, "first_replicate", w->first, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(f, "replicates", 0, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(f, "replicates_requested", w->requested, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(f, "case_record_replicates", w->case_reps, err);
    if (st == CS_OK)
        st = cs_h5_attr_double(f, "confidence_level", CS_STATS_LEVEL, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(f, "status", "incomplete", err);
    if (st == CS_OK)
        st = cs_h5_attr_string(f, "command_line", command_line ? command_line : "", err);
    return st;
}

/* /scenario/source: the scenario file's text exactly as read, one UTF-8 string. */
static int write_source(hid_t g, const cs_scenario *s, cs_error *err)
{
    const char *src = s->source ? s->source : "";
    size_t len = s->source ? s->source_len : 0;
    if (memchr(src, '\0', len))
        return cs_error_set(err, CS_EINVAL, "the scenario text contains a NUL byte");
    hid_t t = cs_h5_string_type(), sp = H5Screate(H5S_SCALAR), d = H5I_INVALID_HID;
    int st = CS_OK;
    if (t < 0 || sp < 0 ||
        (d = H5Dcreate2(g, "source", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &src) < 0)
        st = cs_h5_fail(err, CS_EIO, "cannot write /scenario/source");
    if (st == CS_OK)
        st = cs_h5_attr_string(d, "description",
                               "The scenario file's text, byte for byte as read (UTF-8).", err);
    /* A scalar dataset cannot be chunked, so it has no Fletcher32: its
     * string's checksum is all there is. */
    if (st == CS_OK)
        st = cs_h5_attr_crc(d, cs_h5_strings_crc(0, &src, 1), err);
    if (cs_h5_close(&d) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "cannot close /scenario/source");
    cs_h5_close(&sp);
    cs_h5_close(&t);
    return st;
}

/* The labels of the year axes (calendar years with time.start_year) and
 * the names of the feedback loops (`none` without any). */
static int write_time_lists(hid_t g, const cs_results_writer *w, cs_error *err)
{
    const cs_scenario *s = w->s;
    size_t ny = w->dims.n_years, na = w->dims.n_arrival_years, nf = w->dims.n_feedback;
    char(*buf)[32] = cs_xcalloc(ny + na, sizeof *buf);
    const char **l = cs_xcalloc(ny + na + nf, sizeof *l);
    int st = buf && l ? CS_OK : cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; st == CS_OK && i < ny + na; i++) {
        double y = i < ny ? (double)i : (double)(cs_cohort_first_year(s) + i - ny);
        l[i] = cs_scenario_year_label(s, y, buf[i], sizeof buf[i]);
    }
    for (size_t f = 0; st == CS_OK && f < nf; f++)
        l[ny + na + f] = s->n_feedback ? s->feedback[f].name : "none";
    /* Each list is its own axis's scale (results/labels.c). */
    const char *names[] = {"years", "arrival_years", "feedbacks"};
    const size_t from[] = {0, ny, ny + na}, count[] = {ny, na, nf};
    for (size_t i = 0; i < 3 && st == CS_OK; i++) {
        st = cs_h5_write_strings(g, names[i], l + from[i], count[i], err);
        if (st == CS_OK)
            st = cs_h5_name_axes(g, names[i], &names[i], 1, err);
    }
    free(l);
    free(buf);
    return st;
}

/* The name lists of /scenario that index the datasets. */
static int write_name_lists(hid_t g, const cs_results_writer *w, cs_error *err)
{
    const cs_scenario *s = w->s;
    size_t n = s->n_groups + s->n_groups + 2 * s->n_violations + s->n_stages + s->n_outcomes +
               3 * CS_SS_COUNT + w->n_vars + s->n_uncertain_values;
    const char **l = cs_xcalloc(n, sizeof *l);
    if (!l)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    /* Each list a slice of l. */
    const char **groups = l, **labels = groups + s->n_groups, **viol = labels + s->n_groups;
    const char **stages = viol + s->n_violations, **outcomes = stages + s->n_stages;
    const char **ss = outcomes + s->n_outcomes, **ssu = ss + CS_SS_COUNT;
    const char **ssd = ssu + CS_SS_COUNT, **vars = ssd + CS_SS_COUNT;
    const char **inputs = vars + w->n_vars;
    for (size_t i = 0; i < s->n_uncertain_values; i++)
        inputs[i] = cs_results_input_label(s, i);
    const char **headline = inputs + s->n_uncertain_values;
    size_t n_headline = 0;
    for (size_t i = 0; i < s->n_groups; i++) {
        groups[i] = s->groups[i].name;
        labels[i] = s->groups[i].label;
    }
    for (size_t i = 0; i < s->n_violations; i++) {
        viol[i] = s->violations[i].name;
        if (s->violations[i].headline)
            headline[n_headline++] = s->violations[i].name;
    }
    for (size_t i = 0; i < s->n_stages; i++)
        stages[i] = s->stages[i].name;
    for (size_t i = 0; i < s->n_outcomes; i++)
        outcomes[i] = s->outcomes[i].name;
    for (size_t i = 0; i < CS_SS_COUNT; i++) {
        ss[i] = cs_stage_stat_table[i].name;
        ssu[i] = cs_stage_stat_table[i].units;
        ssd[i] = cs_stage_stat_table[i].description;
    }
    for (size_t i = 0; i < w->n_vars; i++)
        vars[i] = s->variants[w->vars[i].index].name;
    /* dim: the name of the list's one axis (1.2), for the dimension scales
     * (results/labels.c): a list named after its axis is that axis's
     * scale, and the lists parallel to it (labels, units, descriptions)
     * are labelled by it. */
    const struct {
        const char *name, *dim;
        const char *const *values;
        size_t n;
    } lists[] = {
        {"groups", "groups", groups, s->n_groups},
        {"group_labels", "groups", labels, s->n_groups},
        {"violations", "violations", viol, s->n_violations},
        {"stages", "stages", stages, s->n_stages},
        {"outcomes", "outcomes", outcomes, s->n_outcomes},
        {"stage_stats", "stage_stats", ss, CS_SS_COUNT},
        {"stage_stat_units", "stage_stats", ssu, CS_SS_COUNT},
        {"stage_stat_descriptions", "stage_stats", ssd, CS_SS_COUNT},
        {"categories", "categories", (const char *const *)s->categories, s->n_categories},
        {"measures", "measures", (const char *const *)w->m.names, w->m.n},
        {"measure_units", "measures", (const char *const *)w->m.units, w->m.n},
        {"measure_descriptions", "measures", (const char *const *)w->m.descriptions, w->m.n},
        {"variants", "variants", vars, w->n_vars},
        {"headline_violations", "headline_violations", headline, n_headline},
        {"inputs", "inputs", inputs, s->n_uncertain_values},
    };
    int st = CS_OK;
    for (size_t i = 0; i < sizeof lists / sizeof *lists && st == CS_OK; i++) {
        st = cs_h5_write_strings(g, lists[i].name, lists[i].values, lists[i].n, err);
        if (st == CS_OK)
            st = cs_h5_name_axes(g, lists[i].name, &lists[i].dim, 1, err);
    }
    free(l);
    if (st == CS_OK)
        st = write_time_lists(g, w, err);
    return st;
}

/* The named dimensions of the schema, so that a reader finds each axis's
 * labels without a list of its own: `dimension_names`, `dimension_labels`
 * (the string dataset labelling each; "replicate_index" is a sibling of the
 * dataset; "" a numbered axis) and `dimension_extra_labels` (a label after
 * those, e.g. "all"; "" none). */
static int write_dimension_attrs(hid_t g, cs_error *err)
{
    const char *names[1 + CS_DIM_COUNT] = {CS_SCHEMA_REPLICATE_AXIS};
    const char *labels[1 + CS_DIM_COUNT] = {CS_SCHEMA_REPLICATE_LABELS};
    const char *extra[1 + CS_DIM_COUNT] = {""};
    for (int k = 0; k < CS_DIM_COUNT; k++) {
        names[1 + k] = cs_schema_dims[k].name;
        labels[1 + k] = cs_schema_dims[k].labels;
        extra[1 + k] = cs_schema_dims[k].extra ? cs_schema_dims[k].extra : "";
    }
    int st = cs_h5_attr_strings(g, "dimension_names", names, 1 + CS_DIM_COUNT, err);
    if (st == CS_OK)
        st = cs_h5_attr_strings(g, "dimension_labels", labels, 1 + CS_DIM_COUNT, err);
    if (st == CS_OK)
        st = cs_h5_attr_strings(g, "dimension_extra_labels", extra, 1 + CS_DIM_COUNT, err);
    return st;
}

static int write_scenario_attrs(hid_t g, const cs_scenario *s, cs_error *err)
{
    int st = cs_h5_attr_string(g, "name", s->name ? s->name : "", err);
    if (st == CS_OK)
        st = cs_h5_attr_string(g, "description", s->description ? s->description : "", err);
    if (st == CS_OK)
        st = cs_h5_attr_string(g, "path", s->path ? s->path : "", err);
    if (st == CS_OK)
        st = cs_h5_attr_string(g, "reference_group", s->n_groups ? s->groups[0].name : "", err);
    if (st == CS_OK)
        st = cs_h5_attr_string(g, "currency", s->currency ? s->currency : "", err);
    if (st == CS_OK)
        st = cs_h5_attr_double(g, "warmup_years", s->warmup_years, err);
    if (st == CS_OK)
        st = cs_h5_attr_double(g, "cohort_years", s->cohort_years, err);
    if (st == CS_OK)
        st = cs_h5_attr_double(g, "follow_up_years", s->follow_up_years, err);
    if (st == CS_OK)
        st = cs_h5_attr_double(g, "days_per_year", CS_DAYS_PER_YEAR, err);
    if (st == CS_OK)
        st = cs_h5_attr_double(g, "start_year", s->has_start_year ? s->start_year : NAN, err);
    if (st == CS_OK)
        st = write_dimension_attrs(g, err);
    return st;
}

static int write_scenario(const cs_results_writer *w, cs_error *err)
{
    hid_t g = H5Gcreate2(w->file, "/scenario", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return cs_h5_fail(err, CS_EIO, "cannot create /scenario");
    int st = write_source(g, w->s, err);
    if (st == CS_OK)
        st = write_name_lists(g, w, err);
    if (st == CS_OK)
        st = cs_results_write_disparity_scenario(g, w->s, err);
    if (st == CS_OK)
        st = write_scenario_attrs(g, w->s, err);
    if (cs_h5_close(&g) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "cannot close /scenario");
    return st;
}

/* ---------------------------------------------------------- /runs/<variant> */

static const char *kind_name(cs_variant_kind k)
{
    switch (k) {
    case CS_VARIANT_BASELINE:
        return "baseline";
    case CS_VARIANT_INTERVENTION:
        return "intervention";
    case CS_VARIANT_BUNDLE:
        return "bundle";
    case CS_VARIANT_DECOMPOSITION:
        return "decomposition";
    }
    return "unknown";
}

static int write_variant_attrs(const cs_results_writer *w, const var_out *v, cs_error *err)
{
    const cs_variant *cv = &w->s->variants[v->index];
    const char **applied = cs_xcalloc(cv->n_applied, sizeof *applied);
    if (!applied)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; i < cv->n_applied; i++)
        applied[i] = w->s->interventions[cv->applied[i]].name;
    hid_t g = v->group;
    int st = cs_h5_attr_string(g, "kind", kind_name(cv->kind), err);
    if (st == CS_OK)
        st = cs_h5_attr_string(g, "description", cv->description ? cv->description : "", err);
    if (st == CS_OK)
        st = cs_h5_attr_double(g, "annual_cost", cv->annual_cost, err);
    /* What cost per point and net benefit use: the mean annual cost over
     * the cohort window, each intervention paid from its `starts` on. */
    if (st == CS_OK)
        st = cs_h5_attr_double(g, "annual_cost_in_force", cs_variant_cohort_cost(w->s, v->index),
                               err);
    if (st == CS_OK)
        st = cs_h5_attr_strings(g, "interventions", applied, cv->n_applied, err);
    if (st == CS_OK)
        st = cs_results_write_disparity_variant(g, w->s, cv, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(
            g, "annual_cost_units",
            w->s->currency && w->s->currency[0]
                ? w->s->currency
                : "the scenario's currency per year (the sum over the interventions applied)",
            err);
    free(applied);
    return st;
}

/* The units of each entry of dimension k, for arrays whose units vary along
 * it (NULL: none). */
static const char *const *index_units(const cs_results_writer *w, cs_dim k)
{
    static const char *ss_units[CS_SS_COUNT];
    for (int i = 0; i < CS_SS_COUNT; i++)
        ss_units[i] = cs_stage_stat_table[i].units;
    switch (k) {
    case CS_DIM_MEASURE:
        return (const char *const *)w->m.units;
    case CS_DIM_STAGE_STAT:
        return ss_units;
    case CS_DIM_INPUT:
        return (const char *const *)w->input_units;
    default:
        return NULL;
    }
}

/* The empty case-record table of a variant. */
static int create_cases(const cs_results_writer *w, var_out *v, cs_error *err)
{
    hid_t ft = H5Tcopy(w->case_mtype);
    int st = CS_OK;
    if (ft < 0 || H5Tpack(ft) < 0)
        st = cs_h5_fail(err, CS_EIO, "cannot build the case record type");
    if (st == CS_OK) {
        v->cases =
            cs_h5_create_rows(v->group, "cases", ft, 0, NULL, sizeof(cs_case_record), 0, err);
        if (v->cases < 0)
            st = err && err->status ? err->status : CS_EIO;
    }
    cs_h5_close(&ft);
    const char *units[CS_CASE_N_FIELDS];
    for (size_t i = 0; i < CS_CASE_N_FIELDS; i++)
        units[i] = cs_schema_case_fields[i].units;
    if (st == CS_OK)
        st = cs_h5_attr_strings(v->cases, "units", units, CS_CASE_N_FIELDS, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(v->cases, "description", case_description, err);
    const char *axis = "case"; /* labelled by position: the row of the table */
    if (st == CS_OK)
        st = cs_h5_attr_strings(v->cases, "dimensions", &axis, 1, err);
    return st;
}

static int create_variant(const cs_results_writer *w, var_out *v, hid_t runs, cs_error *err)
{
    const char *name = w->s->variants[v->index].name;
    v->group = H5Gcreate2(runs, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (v->group < 0)
        return cs_h5_fail(err, CS_EIO, "cannot create /runs/%s", name);
    int st = write_variant_attrs(w, v, err);
    for (int k = 0; k < CS_SCHEMA_N_ARRAYS && st == CS_OK; k++) {
        const cs_schema_array *a = &cs_schema_arrays[k];
        if (!written(w, a))
            continue;
        const char *const *units = a->rank ? index_units(w, a->dims[a->rank - 1]) : NULL;
        v->d[k] = cs_schema_create_array(v->group, a, &w->dims, units, err);
        if (v->d[k] < 0)
            st = err && err->status ? err->status : CS_EIO;
    }
    if (st == CS_OK && w->case_reps > 0)
        st = create_cases(w, v, err);
    return st;
}

static int create_runs(const cs_results_writer *w, cs_error *err)
{
    /* Variants keep their run order (baseline first) when listed. */
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    hid_t runs = H5I_INVALID_HID;
    if (gcpl >= 0 &&
        H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) >= 0)
        runs = H5Gcreate2(w->file, "/runs", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    cs_h5_close(&gcpl);
    if (runs < 0)
        return cs_h5_fail(err, CS_EIO, "cannot create /runs");
    int st = CS_OK;
    for (size_t i = 0; i < w->n_vars && st == CS_OK; i++)
        st = create_variant(w, &w->vars[i], runs, err);
    if (cs_h5_close(&runs) < 0 && st == CS_OK)
        st = cs_h5_fail(err, CS_EIO, "cannot close /runs");
    return st;
}

int cs_results_writer_open(const char *path, const cs_scenario *s, const cs_results_options *opt,
                           cs_results_writer **out, cs_error *err)
{
    *out = NULL;
    cs_h5_quiet();
    cs_results_writer *w = NULL;
    int st = check_options(s, opt, err);
    if (st == CS_OK)
        st = writer_alloc(s, opt, &w, err);
    if (st != CS_OK)
        goto fail;
    w->file = cs_h5_create_file(path);
    if (w->file < 0) {
        st = cs_h5_fail(err, CS_EIO, "%s: cannot create the results file", path);
        goto fail;
    }
    st = write_root_attrs(w, opt->command_line, err);
    if (st == CS_OK)
        st = write_scenario(w, err);
    if (st == CS_OK)
        st = cs_results_write_uncertainty(w->file, s, w->drawn, w->sampling, opt->design, err);
    if (st == CS_OK && !opt->design)
        st = cs_results_write_decision_spec(w->file, s, opt->variants,
                                            opt->variants ? opt->n_variants : s->n_variants, err);
    if (st == CS_OK)
        st = create_runs(w, err);
    if (st != CS_OK)
        goto fail;
    *out = w;
    return CS_OK;
fail:
    cs_results_writer_free(w);
    return st;
}

/* ------------------------------------------------------------- appending */

/* Checks that r may be appended: a written variant, the writer's
 * dimensions, the next replicate of its variant. */
static int check_result(const cs_results_writer *w, const cs_replicate_result *r, cs_error *err)
{
    if (r->variant >= w->s->n_variants || w->slot[r->variant] == SIZE_MAX)
        return cs_error_set(err, CS_EINTERNAL,
                            "results: a result of variant %zu, which is not being written",
                            r->variant);
    if (memcmp(&w->dims, &r->dims, sizeof w->dims) != 0)
        return cs_error_set(err, CS_EINTERNAL,
                            "results: a result whose dimensions differ from the scenario's");
    const var_out *v = &w->vars[w->slot[r->variant]];
    if (r->replicate != w->first + v->rows)
        return cs_error_set(err, CS_EINTERNAL,
                            "results: variant '%s' received replicate %llu where %llu was due",
                            w->s->variants[v->index].name, (unsigned long long)r->replicate,
                            (unsigned long long)(w->first + v->rows));
    return CS_OK;
}

/* Records where this replicate's case records start (even if it has none). */
static int mark_case_start(var_out *v, cs_error *err)
{
    if (v->n_case_start == v->cap_case_start) {
        size_t cap = v->cap_case_start ? 2 * v->cap_case_start : 16;
        uint64_t *p = realloc(v->case_start, cap * sizeof *p);
        if (!p)
            return cs_error_set(err, CS_ENOMEM, "out of memory");
        v->case_start = p;
        v->cap_case_start = cap;
    }
    v->case_start[v->n_case_start++] = v->case_rows;
    return CS_OK;
}

static int append_cases(const cs_results_writer *w, var_out *v, const cs_replicate_result *r,
                        const char *name, cs_error *err)
{
    if (v->cases < 0 || v->rows >= w->case_reps)
        return cs_error_set(err, CS_EINTERNAL,
                            "results: case records of replicate %llu, which was not asked "
                            "to record them",
                            (unsigned long long)r->replicate);
    char what[CS_MAX_NAME_LEN + 32];
    snprintf(what, sizeof what, "/runs/%s/cases", name);
    int st = cs_h5_append_rows(v->cases, w->case_mtype, 0, NULL, v->case_rows, r->n_cases, r->cases,
                               what, err);
    if (st == CS_OK)
        v->case_rows += r->n_cases;
    return st;
}

int cs_results_writer_append(cs_results_writer *w, const cs_replicate_result *r, cs_error *err)
{
    int st = check_result(w, r, err);
    if (st != CS_OK)
        return st;
    var_out *v = &w->vars[w->slot[r->variant]];
    const char *name = w->s->variants[v->index].name;
    /* A variant's case starts are recorded for each of its first replicates. */
    CS_ASSERT(v->n_case_start == (v->rows < w->case_reps ? v->rows : w->case_reps));
    for (int k = 0; k < CS_SCHEMA_N_ARRAYS && st == CS_OK; k++) {
        const cs_schema_array *a = &cs_schema_arrays[k];
        if (!written(w, a))
            continue;
        CS_ASSERT(v->d[k] >= 0); /* every dataset written was created */
        char what[CS_MAX_NAME_LEN + 64];
        snprintf(what, sizeof what, "/runs/%s/%s", name, a->name);
        st = cs_schema_append(v->d[k], a, &w->dims, v->rows, 1, cs_schema_array_cdata(a, r), what,
                              err);
    }
    if (st == CS_OK && v->rows < w->case_reps)
        st = mark_case_start(v, err);
    if (st == CS_OK && r->n_cases > 0)
        st = append_cases(w, v, r, name, err);
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

/* -------------------------------------------------------------- closing */

/* Shrinks every dataset of every variant to the replicates all finished
 * (a replicate that some variants finished and others did not is dropped). */
static int drop_partial_replicates(cs_results_writer *w, uint64_t done, cs_error *err)
{
    int st = CS_OK;
    for (size_t i = 0; i < w->n_vars && st == CS_OK; i++) {
        var_out *v = &w->vars[i];
        const char *name = w->s->variants[v->index].name;
        CS_ASSERT(v->rows >= done && v->rows <= done + 1);
        /* Unconditionally: a failed append may have left a partial row. */
        for (int k = 0; k < CS_SCHEMA_N_ARRAYS && st == CS_OK; k++)
            if (written(w, &cs_schema_arrays[k]))
                st = cs_h5_shrink_rows(v->d[k], done, name, err);
        if (st == CS_OK && v->cases >= 0)
            st = cs_h5_shrink_rows(
                v->cases, done < v->n_case_start ? v->case_start[done] : v->case_rows, name, err);
        v->rows = done;
    }
    return st;
}

int cs_results_writer_close(cs_results_writer *w, bool complete, cs_error *err)
{
    uint64_t done = cs_results_writer_replicates(w);
    int st = drop_partial_replicates(w, done, err);
    if (st == CS_OK)
        st = cs_h5_attr_u64(w->file, "replicates", done, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(w->file, "status", complete ? "complete" : "incomplete", err);
    for (size_t i = 0; i < w->n_vars; i++)
        close_var(&w->vars[i]);
    if (st == CS_OK)
        st = cs_results_write_analysis(w->file, err);
    if (st == CS_OK)
        st = cs_results_label_axes(w->file, err);
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

uint32_t cs_results_writer_omitted(const cs_results_writer *w)
{
    return w->omit;
}
