/* test_results.c — the HDF5 results writer, analysis and reader on synthetic
 * replicate results (no engine involved): round trip, interrupted runs, order
 * checks, and refusal of other formats and versions. */
#include <check.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casesim/results.h"
#include "casesim/rng.h"
#include "casesim/stats.h"

/* A hand-built scenario: two groups, two stages, three outcomes (one
 * accountability category), one intervention and one bundle. Only the fields
 * the writer reads are filled. */
typedef struct synth {
    cs_scenario s;
    cs_group groups[2];
    cs_violation violations[1];
    cs_stage stages[2];
    cs_branch branches[2][2];
    cs_target targets[2][2];
    cs_outcome outcomes[3];
    char *categories[1];
    cs_intervention interventions[1];
    cs_variant variants[3];
    size_t applied[1];
} synth;

static const char source_text[] = "casesim: 1\nname: synthetic # a comment, kept verbatim\n"
                                  "description: Ünïcode survives\n";

static void synth_init(synth *x)
{
    memset(x, 0, sizeof *x);
    cs_scenario *s = &x->s;
    s->path = "synthetic.yaml";
    s->source = (char *)source_text;
    s->source_len = strlen(source_text);
    s->name = "synthetic";
    s->description = "A synthetic scenario for the writer's tests.";
    s->warmup_years = 1;
    s->cohort_years = 2;
    s->follow_up_years = 1;
    x->groups[0] = (cs_group){.name = "reference", .label = "Reference victims"};
    x->groups[1] = (cs_group){.name = "african_descent", .label = "People of African descent"};
    s->n_groups = 2;
    s->groups = x->groups;
    x->violations[0] = (cs_violation){.name = "force"};
    s->n_violations = 1;
    s->violations = x->violations;
    /* intake -> investigation | dismissed; investigation -> disciplined | dismissed */
    x->targets[0][0] = (cs_target){.is_stage = true, .index = 1};
    x->targets[0][1] = (cs_target){.is_stage = false, .index = 0};
    x->targets[1][0] = (cs_target){.is_stage = false, .index = 1};
    x->targets[1][1] = (cs_target){.is_stage = false, .index = 0};
    for (int i = 0; i < 2; i++)
        for (int b = 0; b < 2; b++)
            x->branches[i][b] = (cs_branch){.n_to = 1, .to = &x->targets[i][b]};
    x->stages[0] = (cs_stage){.name = "intake", .n_branches = 2, .branches = x->branches[0]};
    x->stages[1] = (cs_stage){.name = "investigation", .n_branches = 2, .branches = x->branches[1]};
    s->n_stages = 2;
    s->stages = x->stages;
    x->outcomes[0] = (cs_outcome){.name = "dismissed", .category = -1};
    x->outcomes[1] = (cs_outcome){.name = "disciplined", .category = 0};
    x->outcomes[2] = (cs_outcome){.name = "compensated", .category = -1, .redress = true};
    s->n_outcomes = 3;
    s->outcomes = x->outcomes;
    x->categories[0] = "disciplinary";
    s->n_categories = 1;
    s->categories = x->categories;
    x->interventions[0] = (cs_intervention){.name = "more_staff", .annual_cost = 2e6};
    s->n_interventions = 1;
    s->interventions = x->interventions;
    x->applied[0] = 0;
    x->variants[0] =
        (cs_variant){.name = "baseline", .kind = CS_VARIANT_BASELINE, .description = ""};
    x->variants[1] = (cs_variant){.name = "more_staff",
                                  .kind = CS_VARIANT_INTERVENTION,
                                  .description = "More investigators.",
                                  .annual_cost = 2e6,
                                  .n_applied = 1,
                                  .applied = x->applied};
    x->variants[2] = (cs_variant){.name = "everything",
                                  .kind = CS_VARIANT_BUNDLE,
                                  .description = "All of it.",
                                  .annual_cost = 2e6,
                                  .n_applied = 1,
                                  .applied = x->applied};
    s->n_variants = 3;
    s->variants = x->variants;
}

/* Impunity of group g in replicate r of variant v: a common component per
 * (replicate, group) — common random numbers — plus a small variant-specific
 * one, and a true effect of -0.05 per variant step for african_descent. */
static double synth_impunity(uint64_t r, size_t g, size_t v)
{
    cs_pcg32 a, b;
    cs_stream_key ka = {99, r, g, 0, 0, CS_STREAM_ANALYSIS};
    cs_stream_key kb = {99, r, g, v, 1, CS_STREAM_ANALYSIS};
    cs_pcg32_from_key(&a, &ka);
    cs_pcg32_from_key(&b, &kb);
    double base = g == 0 ? 0.60 : 0.80;
    double effect = g == 1 ? -0.05 * (double)v : -0.01 * (double)v;
    return base + effect + 0.04 * (cs_pcg32_uniform(&a) - 0.5) +
           0.01 * (cs_pcg32_uniform(&b) - 0.5);
}

/* Fills r for (variant v, replicate rep) with values derived from the two. */
static void synth_fill(cs_replicate_result *r, size_t v, uint64_t rep, size_t n_cases)
{
    const cs_result_dims *d = &r->dims;
    cs_replicate_result_reset(r);
    r->variant = v;
    r->replicate = rep;
    size_t M = d->n_measures;
    for (size_t g = 0; g <= d->n_groups; g++) {
        double *m = r->measures + g * M;
        for (size_t k = 0; k < M; k++)
            m[k] = (double)(1000 * v + 100 * g + k) + (double)rep / 8;
        double imp = g < d->n_groups ? synth_impunity(rep, g, v) : NAN;
        m[CS_M_IMPUNITY] = imp;
        m[CS_M_ACCOUNTABILITY] = 1 - imp;
        m[CS_M_TIME_MEDIAN] = rep == 11 && g == 0 ? NAN : 300 + (double)rep;
    }
    double acc0 = r->measures[CS_M_ACCOUNTABILITY];
    for (size_t g = 0; g < d->n_groups; g++)
        r->measures[g * M + CS_M_ACCOUNTABILITY_RATIO] =
            r->measures[g * M + CS_M_ACCOUNTABILITY] / acc0;
    for (size_t i = 0; i < (d->n_groups + 1) * d->n_outcomes; i++)
        r->outcome_counts[i] = (int64_t)(rep * 10 + i + v);
    for (size_t i = 0; i < (d->n_groups + 1) * d->n_stages; i++)
        r->stage_entries[i] = (int64_t)(rep * 20 + i);
    for (size_t i = 0; i < d->n_stages * CS_SS_COUNT; i++)
        r->stage_stats[i] = (double)i / 3;
    for (size_t i = 0; i < d->n_stages * d->n_months; i++)
        r->backlog[i] = (float)i / 4;
    for (size_t i = 0; i < d->n_years * d->n_stages; i++)
        r->period_entries[i] = (int64_t)i;
    for (size_t i = 0; i < d->n_years * d->n_outcomes; i++)
        r->period_outcomes[i] = (int64_t)(2 * i);
    r->events = 1000 + rep;
    r->incidents_total = 50 + rep;
    if (n_cases > r->cap_cases) {
        r->cases = realloc(r->cases, n_cases * sizeof *r->cases);
        ck_assert_ptr_nonnull(r->cases);
        r->cap_cases = n_cases;
    }
    r->n_cases = n_cases;
    for (size_t i = 0; i < n_cases; i++)
        r->cases[i] = (cs_case_record){rep,  (uint32_t)(i % 2),
                                       i,    30.5 * (double)i,
                                       0,    (uint8_t)(i % 2),
                                       0.25, i == 0 ? NAN : 400.0,
                                       2,    5};
}

/* Removes a test file unless CASESIM_KEEP_TEST_FILES is set (to inspect it). */
static void drop(const char *path)
{
    if (!getenv("CASESIM_KEEP_TEST_FILES"))
        unlink(path);
}

static char *tmp_path(const char *name)
{
    const char *dir = getenv("BUILDDIR");
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/test_results_%ld_%s", dir ? dir : "/tmp", (long)getpid(), name);
    return buf;
}

/* Writes `reps` replicates of every variant (case records for the first
 * `case_reps`), then `extra` results of the next replicate for the first
 * variants only (as an interruption would leave), and closes. */
static void write_file(const char *path, synth *x, uint64_t reps, uint64_t case_reps, size_t extra,
                       bool complete)
{
    cs_error err;
    cs_error_clear(&err);
    cs_results_options opt = {.command_line = "casesim run synthetic.yaml -o x.h5",
                              .seed = 99,
                              .first_replicate = 10,
                              .n_replicates = reps + 1,
                              .case_record_replicates = case_reps};
    cs_results_writer *w = NULL;
    ck_assert_msg(cs_results_writer_open(path, &x->s, &opt, &w, &err) == CS_OK, "%s", err.text);
    cs_result_dims d;
    cs_result_dims_of(&x->s, &d);
    cs_replicate_result *r = NULL;
    ck_assert_int_eq(cs_replicate_result_alloc(&d, &r, &err), CS_OK);
    for (uint64_t rep = 0; rep <= reps; rep++) {
        for (size_t v = 0; v < 3; v++) {
            if (rep == reps && v >= extra)
                break;
            synth_fill(r, v, 10 + rep, rep < case_reps ? 3 : 0);
            ck_assert_msg(cs_results_sink(w, r, &err) == CS_OK, "%s", err.text);
        }
    }
    ck_assert_uint_eq(cs_results_writer_replicates(w), reps);
    cs_replicate_result_free(r);
    ck_assert_msg(cs_results_writer_close(w, complete, &err) == CS_OK, "%s", err.text);
}

START_TEST(round_trip)
{
    synth x;
    synth_init(&x);
    const char *path = tmp_path("round_trip.h5");
    const uint64_t R = 6;
    write_file(path, &x, R, 2, 0, true);

    cs_results *res = NULL;
    cs_error err;
    cs_error_clear(&err);
    ck_assert_msg(cs_results_open(path, &res, &err) == CS_OK, "%s", err.text);
    ck_assert_int_eq(res->version_major, CS_RESULTS_VERSION_MAJOR);
    ck_assert_str_eq(res->status, "complete");
    ck_assert_uint_eq(res->replicates, R);
    ck_assert_uint_eq(res->first_replicate, 10);
    ck_assert_uint_eq(res->seed, 99);
    ck_assert_str_eq(res->source, source_text);
    ck_assert_str_eq(res->scenario_name, "synthetic");
    ck_assert_uint_eq(res->n_groups, 2);
    ck_assert_str_eq(res->groups[1].label, "People of African descent");
    ck_assert_uint_eq(res->n_measures, CS_M_FIXED_COUNT + 1);
    ck_assert_str_eq(res->measures[CS_M_FIXED_COUNT].name, "accountability_rate_disciplinary");
    ck_assert_str_eq(res->measures[CS_M_TIME_MEDIAN].units,
                     cs_measure_table[CS_M_TIME_MEDIAN].units);
    ck_assert_double_eq(res->confidence_level, CS_STATS_LEVEL);
    ck_assert_uint_eq(res->bootstrap_resamples, CS_STATS_BOOTSTRAP);
    ck_assert_uint_eq(res->n_variants, 3);
    ck_assert_str_eq(res->variants[2].kind, "bundle");
    ck_assert_double_eq(res->variants[1].annual_cost, 2e6);
    ck_assert_uint_eq(res->variants[1].n_interventions, 1);
    ck_assert_str_eq(res->variants[1].interventions[0], "more_staff");
    ck_assert_uint_eq(res->variants[0].n_interventions, 0);
    ck_assert_str_eq(res->most_affected_group, "african_descent");

    /* The measures come back exactly. */
    double *m = NULL;
    uint64_t n = 0;
    ck_assert_int_eq(cs_results_read_measures(res, 1, &m, &n, &err), CS_OK);
    ck_assert_uint_eq(n, R);
    size_t M = res->n_measures, row = 3 * M;
    for (uint64_t rep = 0; rep < R; rep++)
        ck_assert_double_eq(m[rep * row + 1 * M + CS_M_IMPUNITY], synth_impunity(10 + rep, 1, 1));

    /* Summary rows: one per (variant, group + all, measure), and the values
     * those of cs_stats_summarise on the same data (NaN skipped). */
    ck_assert_uint_eq(res->n_summary, 3 * 3 * M);
    const cs_results_summary_row *s =
        cs_results_find_summary(res, "more_staff", "african_descent", "impunity_rate");
    ck_assert_ptr_nonnull(s);
    cs_summary expect;
    cs_stats_summarise(m + 1 * M + CS_M_IMPUNITY, R, row, 0.95, &expect, NULL);
    cs_stats_share_interval(0.95, &expect); /* impunity is a share */
    ck_assert_double_eq(s->mean, expect.mean);
    ck_assert_double_eq(s->ci_low, expect.ci_low);
    ck_assert_int_eq(s->n, R);
    ck_assert_str_eq(s->units, "1");
    s = cs_results_find_summary(res, "baseline", "reference", "time_to_end_median");
    ck_assert_int_eq(s->n, R - 1); /* replicate 11 is NaN there */
    s = cs_results_find_summary(res, "baseline", "all", "impunity_rate");
    ck_assert_int_eq(s->n, 0);
    ck_assert(isnan(s->mean));

    /* Comparison: the true effect is -0.05 for african_descent; with the
     * common component cancelled, the paired CI is narrow (variant noise sd
     * 0.01 * sqrt(2/12) ~ 0.004 per replicate difference). */
    ck_assert_uint_eq(res->n_comparison, 2 * 3 * M);
    ck_assert_ptr_null(cs_results_find_comparison(res, "baseline", "all", "impunity_rate"));
    const cs_results_comparison_row *c =
        cs_results_find_comparison(res, "more_staff", "african_descent", "impunity_rate");
    ck_assert_ptr_nonnull(c);
    ck_assert_double_eq_tol(c->diff_mean, -0.05, 0.01);
    ck_assert(c->diff_ci_low < c->diff_mean && c->diff_mean < c->diff_ci_high);
    ck_assert(c->diff_ci_high - c->diff_ci_low < 0.02);
    ck_assert_double_eq_tol(c->cost_per_point, 2e6 / (-100 * c->diff_mean), 1e-6);
    ck_assert_double_eq_tol(c->relative_change, c->diff_mean / c->baseline_mean, 1e-12);
    ck_assert_int_eq(c->rank, 2);
    ck_assert(c->p_best >= 0 && c->p_best <= 1);
    /* Rows that are not ranking criteria carry no rank or cost. */
    c = cs_results_find_comparison(res, "more_staff", "reference", "impunity_rate");
    ck_assert_int_eq(c->rank, 0);
    ck_assert(isnan(c->cost_per_point) && isnan(c->p_best));

    /* Ranking: the bundle (two effect steps) is clearly best. */
    ck_assert_uint_eq(res->n_ranking, 3);
    ck_assert_str_eq(res->ranking[2].variant, "everything");
    ck_assert_int_eq(res->ranking[2].impunity_rank, 1);
    ck_assert_int_eq(res->ranking[0].impunity_rank, 3);
    ck_assert_double_eq(res->ranking[2].impunity_p_best, 1.0);
    double p = 0;
    for (size_t i = 0; i < 3; i++)
        p += res->ranking[i].ratio_p_best;
    ck_assert_double_eq_tol(p, 1.0, 1e-12);
    ck_assert(isnan(res->ranking[0].cost_per_point));
    ck_assert_double_eq_tol(
        res->ranking[2].reduction_points,
        -100 * cs_results_find_comparison(res, "everything", "african_descent", "impunity_rate")
                   ->diff_mean,
        1e-12);
    free(m);
    cs_results_close(res);

    /* Reanalysing gives the same tables. */
    ck_assert_int_eq(cs_results_reanalyse(path, &err), CS_OK);
    ck_assert_int_eq(cs_results_open(path, &res, &err), CS_OK);
    ck_assert_double_eq(res->ranking[2].impunity_p_best, 1.0);
    ck_assert_uint_eq(res->n_summary, 3 * 3 * M);
    cs_results_close(res);
    drop(path);
}
END_TEST

/* Reads the length of the replicate axis of dataset path in file. */
static hsize_t rows_of(const char *file, const char *path)
{
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    hid_t s = H5Dget_space(d);
    hsize_t dims[3] = {0, 0, 0};
    H5Sget_simple_extent_dims(s, dims, NULL);
    H5Sclose(s);
    H5Dclose(d);
    H5Fclose(f);
    return dims[0];
}

START_TEST(interrupted_keeps_whole_replicates)
{
    synth x;
    synth_init(&x);
    const char *path = tmp_path("interrupted.h5");
    /* 3 replicates finished by all, the 4th by the first two variants only;
     * case records asked for the first 4 replicates (3 rows each). */
    write_file(path, &x, 3, 4, 2, false);
    cs_results *res = NULL;
    cs_error err;
    cs_error_clear(&err);
    ck_assert_msg(cs_results_open(path, &res, &err) == CS_OK, "%s", err.text);
    ck_assert_str_eq(res->status, "incomplete");
    ck_assert_uint_eq(res->replicates, 3);
    for (size_t v = 0; v < 3; v++)
        ck_assert_uint_eq(res->variants[v].replicates, 3);
    cs_results_close(res);
    ck_assert_uint_eq(rows_of(path, "/runs/baseline/backlog"), 3);
    ck_assert_uint_eq(rows_of(path, "/runs/baseline/replicate_index"), 3);
    ck_assert_uint_eq(rows_of(path, "/runs/baseline/cases"), 9);
    ck_assert_uint_eq(rows_of(path, "/runs/everything/cases"), 9);
    unlink(path);

    /* Interrupted before any replicate finished: still a readable file. */
    write_file(path, &x, 0, 0, 1, false);
    ck_assert_msg(cs_results_open(path, &res, &err) == CS_OK, "%s", err.text);
    ck_assert_uint_eq(res->replicates, 0);
    ck_assert_uint_eq(res->n_summary, 3 * 3 * res->n_measures);
    ck_assert_int_eq(res->ranking[0].impunity_rank, 0);
    cs_results_close(res);
    unlink(path);
}
END_TEST

START_TEST(out_of_order_refused)
{
    synth x;
    synth_init(&x);
    const char *path = tmp_path("order.h5");
    cs_error err;
    cs_error_clear(&err);
    cs_results_options opt = {.seed = 1, .n_replicates = 2};
    cs_results_writer *w = NULL;
    ck_assert_int_eq(cs_results_writer_open(path, &x.s, &opt, &w, &err), CS_OK);
    cs_result_dims d;
    cs_result_dims_of(&x.s, &d);
    cs_replicate_result *r = NULL;
    ck_assert_int_eq(cs_replicate_result_alloc(&d, &r, &err), CS_OK);
    synth_fill(r, 0, 1, 0); /* replicate 1 before 0 */
    ck_assert_int_eq(cs_results_sink(w, r, &err), CS_EINTERNAL);
    ck_assert_ptr_nonnull(strstr(err.text, "replicate 1 where 0 was due"));
    synth_fill(r, 0, 0, 2); /* case records nobody asked for */
    ck_assert_int_eq(cs_results_sink(w, r, &err), CS_EINTERNAL);
    cs_replicate_result_free(r);
    cs_results_writer_free(w);
    unlink(path);

    /* A selection without the baseline is refused. */
    size_t only[] = {1};
    opt.variants = only;
    opt.n_variants = 1;
    ck_assert_int_eq(cs_results_writer_open(path, &x.s, &opt, &w, &err), CS_EINVAL);
    ck_assert_ptr_null(w);
    ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

START_TEST(other_formats_refused)
{
    synth x;
    synth_init(&x);
    const char *path = tmp_path("format.h5");
    write_file(path, &x, 2, 0, 0, true);
    cs_results *res = NULL;
    cs_error err;

    /* Another major version. */
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
    int v2[2] = {2, 3};
    ck_assert_int_ge(H5Awrite(a, H5T_NATIVE_INT, v2), 0);
    H5Aclose(a);
    H5Fclose(f);
    cs_error_clear(&err);
    ck_assert_int_eq(cs_results_open(path, &res, &err), CS_EFORMAT);
    ck_assert_ptr_null(res);
    ck_assert_msg(strstr(err.text, "version 2.3") != NULL, "%s", err.text);
    ck_assert_int_eq(cs_results_reanalyse(path, &err), CS_EFORMAT);

    /* Another minor version of this major version is read. */
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    a = H5Aopen(f, "format_version", H5P_DEFAULT);
    int v13[2] = {CS_RESULTS_VERSION_MAJOR, 7};
    H5Awrite(a, H5T_NATIVE_INT, v13);
    H5Aclose(a);
    H5Fclose(f);
    cs_error_clear(&err);
    ck_assert_msg(cs_results_open(path, &res, &err) == CS_OK, "%s", err.text);
    ck_assert_int_eq(res->version_minor, 7);
    cs_results_close(res);

    /* Another format. */
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    H5Adelete(f, "format");
    H5Fclose(f);
    cs_error_clear(&err);
    ck_assert_int_eq(cs_results_open(path, &res, &err), CS_EFORMAT);
    ck_assert_msg(strstr(err.text, "not a casesim results file") != NULL, "%s", err.text);
    unlink(path);

    /* Not HDF5 at all, and no file. */
    FILE *t = fopen(path, "w");
    fputs("casesim: 1\n", t);
    fclose(t);
    cs_error_clear(&err);
    ck_assert_int_eq(cs_results_open(path, &res, &err), CS_EFORMAT);
    unlink(path);
    cs_error_clear(&err);
    ck_assert_int_eq(cs_results_open(path, &res, &err), CS_EIO);
    ck_assert_ptr_nonnull(strstr(err.text, "No such file"));
}
END_TEST

START_TEST(unwritable_path)
{
    synth x;
    synth_init(&x);
    cs_error err;
    cs_error_clear(&err);
    cs_results_options opt = {.seed = 1, .n_replicates = 1};
    cs_results_writer *w = NULL;
    ck_assert_int_eq(cs_results_writer_open("/nonexistent-dir/for/sure/x.h5", &x.s, &opt, &w, &err),
                     CS_EIO);
    ck_assert_ptr_null(w);
    ck_assert_ptr_nonnull(strstr(err.text, "cannot create the results file"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("results");
    TCase *tc = tcase_create("results");
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, interrupted_keeps_whole_replicates);
    tcase_add_test(tc, out_of_order_refused);
    tcase_add_test(tc, other_formats_refused);
    tcase_add_test(tc, unwritable_path);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
