/*
 * test_engine_run.c — the parallel driver and the engine's invariants:
 * bit-identical results for 1, 2 and 4 threads and delivery order; common
 * random numbers across variants; memory bounded by the cases in flight;
 * an engine workspace reused across models changes no result;
 * max_visits cycles; measure names and result objects.
 *
 * OpenMP regions run only inside test bodies (Check forks each test; a
 * libgomp parent that ran a parallel region before forking hangs children).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/schema.h"
#include "sim_support.h"

static const char *RUN_YAML = "casesim: 1\n"
                              "name: run\n"
                              "time: {warmup_years: 0.5, cohort_years: 1, follow_up_years: 1}\n"
                              "run: {replicates: 6, seed: 99}\n"
                              "groups:\n"
                              "  - {name: r, incidents_per_year: 1200}\n"
                              "  - {name: d, incidents_per_year: 700}\n"
                              "violations:\n"
                              "  - {name: grave, share: {r: 0.2, d: 0.3}, well_founded: 0.7, "
                              "priority: 1}\n"
                              "  - {name: minor, share: {r: 0.8, d: 0.7}, well_founded: 0.4, "
                              "priority: 2}\n"
                              "evidence:\n"
                              "  well_founded: {beta: [3, 2]}\n"
                              "  unfounded: {beta: [2, 4]}\n"
                              "stages:\n"
                              "  - name: report\n"
                              "    entry: true\n"
                              "    branches:\n"
                              "      - to: intake\n"
                              "        p: {r: 0.6, d: 0.45}\n"
                              "      - to: never_reported\n"
                              "  - name: intake\n"
                              "    staff: 2\n"
                              "    caseload: 4\n"
                              "    duration: {gamma: {mean: 2, cv: 0.7}}\n"
                              "    branches:\n"
                              "      - to: [investigation, claim]\n"
                              "        p: 0.8\n"
                              "      - to: inadmissible\n"
                              "  - name: investigation\n"
                              "    staff: 5\n"
                              "    caseload: 4\n"
                              "    queue: priority\n"
                              "    duration: {lognormal: {median: 6, p90: 15}}\n"
                              "    deadline: {days: 60, from: incident, to: time_barred}\n"
                              "    branches:\n"
                              "      - to: hearing\n"
                              "        p: {r: 0.4, d: 0.3}\n"
                              "        evidence_slope: 2\n"
                              "        unfounded_odds_ratio: 0.4\n"
                              "      - to: unsubstantiated\n"
                              "  - name: hearing\n"
                              "    staff: 4\n"
                              "    duration: {exponential: {mean: 3}}\n"
                              "    deadline: {days: 20, from: stage, to: time_barred}\n"
                              "    branches:\n"
                              "      - to: disciplined\n"
                              "        p: 0.5\n"
                              "      - to: no_sanction\n"
                              "  - name: claim\n"
                              "    duration: {weibull: {shape: 2, scale: 40}}\n"
                              "    branches:\n"
                              "      - to: compensated\n"
                              "        p: {r: 0.3, d: 0.2}\n"
                              "        evidence_slope: 1.5\n"
                              "      - to: rejected\n"
                              "outcomes:\n"
                              "  never_reported: {}\n"
                              "  inadmissible: {}\n"
                              "  unsubstantiated: {}\n"
                              "  time_barred: {}\n"
                              "  disciplined: {accountability: disciplinary}\n"
                              "  no_sanction: {}\n"
                              "  compensated: {redress: true}\n"
                              "  rejected: {}\n"
                              "interventions:\n"
                              "  - name: nothing\n"
                              "    annual_cost: 0\n"
                              "    changes:\n"
                              "      - path: stages.investigation.staff\n"
                              "        scale: 1\n"
                              "  - name: equal_reporting\n"
                              "    annual_cost: 1000\n"
                              "    changes:\n"
                              "      - path: stages.report.branches[0].p.d\n"
                              "        set: 0.6\n"
                              "  - name: more_staff\n"
                              "    annual_cost: 5000\n"
                              "    changes:\n"
                              "      - path: stages.investigation.staff\n"
                              "        scale: 1.6\n"
                              "bundles:\n"
                              "  - name: both\n"
                              "    interventions: [equal_reporting, more_staff]\n";

/* Everything one replicate produced, flattened into one byte string. */
typedef struct blob {
    size_t variant;
    uint64_t replicate;
    size_t len;
    unsigned char *bytes;
} blob;

typedef struct collect_ctx {
    size_t n, cap;
    blob *items;
} collect_ctx;

static void append(unsigned char **p, size_t *len, const void *src, size_t n)
{
    *p = realloc(*p, *len + n);
    ck_assert_ptr_nonnull(*p);
    memcpy(*p + *len, src, n);
    *len += n;
}

static int collect_sink(void *ctx, const cs_replicate_result *r, cs_error *err)
{
    (void)err;
    collect_ctx *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->items = realloc(c->items, c->cap * sizeof *c->items);
    }
    blob *b = &c->items[c->n++];
    memset(b, 0, sizeof *b);
    b->variant = r->variant;
    b->replicate = r->replicate;
    const cs_result_dims *d = &r->dims;
    size_t rows = d->n_groups + 1;
    append(&b->bytes, &b->len, r->measures, rows * d->n_measures * sizeof(double));
    append(&b->bytes, &b->len, r->outcome_counts, rows * d->n_outcomes * sizeof(int64_t));
    append(&b->bytes, &b->len, r->stage_entries, rows * d->n_stages * sizeof(int64_t));
    append(&b->bytes, &b->len, r->stage_stats, d->n_stages * CS_SS_COUNT * sizeof(double));
    append(&b->bytes, &b->len, r->backlog, d->n_stages * d->n_months * sizeof(float));
    append(&b->bytes, &b->len, r->period_entries, d->n_years * d->n_stages * sizeof(int64_t));
    append(&b->bytes, &b->len, r->period_outcomes, d->n_years * d->n_outcomes * sizeof(int64_t));
    append(&b->bytes, &b->len, &r->events, sizeof r->events);
    append(&b->bytes, &b->len, &r->incidents_total, sizeof r->incidents_total);
    for (size_t i = 0; i < r->n_cases; i++) {
        const cs_case_record *k = &r->cases[i];
        double f[4] = {k->arrival_day, k->evidence, k->end_day, (double)k->incident};
        uint64_t u[3] = {k->group, k->outcome_mask, k->n_tracks};
        append(&b->bytes, &b->len, f, sizeof f);
        append(&b->bytes, &b->len, u, sizeof u);
    }
    return CS_OK;
}

static void collect_free(collect_ctx *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->items[i].bytes);
    free(c->items);
    memset(c, 0, sizeof *c);
}

static void run_with_threads(const cs_scenario *s, int threads, uint64_t nrep, collect_ctx *c)
{
    cs_run_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.seed = 2024;
    cfg.first_replicate = 3;
    cfg.n_replicates = nrep;
    cfg.threads = threads;
    cfg.case_record_replicates = 2;
    cfg.sink = collect_sink;
    cfg.sink_ctx = c;
    cs_error err;
    cs_error_clear(&err);
    int rc = cs_sim_run(s, &cfg, &err);
    ck_assert_msg(rc == CS_OK, "cs_sim_run: %s", err.text);
}

START_TEST(identical_bits_for_1_2_4_threads)
{
    cs_scenario *s = cs_test_scenario(RUN_YAML);
    collect_ctx c[3];
    memset(c, 0, sizeof c);
    const int threads[3] = {1, 2, 4};
    const uint64_t nrep = 5;
    for (int i = 0; i < 3; i++)
        run_with_threads(s, threads[i], nrep, &c[i]);
    ck_assert_uint_eq(c[0].n, nrep * s->n_variants);
    for (size_t k = 0; k < c[0].n; k++) {
        /* Delivery order: replicate-major, variants in order within. */
        ck_assert_uint_eq(c[0].items[k].replicate, 3 + k / s->n_variants);
        ck_assert_uint_eq(c[0].items[k].variant, k % s->n_variants);
        for (int i = 1; i < 3; i++) {
            ck_assert_uint_eq(c[i].n, c[0].n);
            ck_assert_uint_eq(c[i].items[k].variant, c[0].items[k].variant);
            ck_assert_uint_eq(c[i].items[k].replicate, c[0].items[k].replicate);
            ck_assert_uint_eq(c[i].items[k].len, c[0].items[k].len);
            ck_assert_msg(memcmp(c[i].items[k].bytes, c[0].items[k].bytes, c[0].items[k].len) == 0,
                          "item %zu differs with %d threads", k, threads[i]);
        }
    }
    /* Different replicates do differ (the comparison is not vacuous). */
    ck_assert(memcmp(c[0].items[0].bytes, c[0].items[s->n_variants].bytes, c[0].items[0].len) != 0);
    for (int i = 0; i < 3; i++)
        collect_free(&c[i]);
    cs_scenario_free(s);
}
END_TEST

static int failing_sink(void *ctx, const cs_replicate_result *r, cs_error *err)
{
    int *count = ctx;
    (void)r;
    if (++*count == 3)
        return cs_error_set(err, CS_EIO, "sink failed on purpose");
    return CS_OK;
}

START_TEST(sink_error_stops_the_run)
{
    cs_scenario *s = cs_test_scenario(RUN_YAML);
    int count = 0;
    cs_run_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.seed = 1;
    cfg.n_replicates = 4;
    cfg.threads = 2;
    cfg.sink = failing_sink;
    cfg.sink_ctx = &count;
    cs_error err;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_sim_run(s, &cfg, &err), CS_EIO);
    ck_assert_int_eq(count, 3);
    /* A stop flag already raised: nothing complete is claimed. */
    volatile sig_atomic_t stop = 1;
    count = 0;
    cfg.sink_ctx = &count;
    cfg.stop = &stop;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_sim_run(s, &cfg, &err), CS_EINTERRUPTED);
    ck_assert_int_eq(count, 0);
    cs_scenario_free(s);
}
END_TEST

/* ---- common random numbers -------------------------------------------------------- */

#define CRN_REP 12

typedef struct crn_ctx {
    size_t n;
    double acc[CRN_REP];
    double blob_hash[CRN_REP];
    collect_ctx all;
} crn_ctx;

static void crn_collect(void *ctx, const cs_replicate_result *r)
{
    crn_ctx *c = ctx;
    c->acc[c->n] = cs_test_measures(r, r->dims.n_groups)[CS_M_ACCOUNTABILITY];
    collect_sink(&c->all, r, NULL);
    c->n++;
}

START_TEST(common_random_numbers_across_variants)
{
    cs_scenario *s = cs_test_scenario(RUN_YAML);
    long v_none = cs_scenario_find_variant(s, "nothing");
    long v_staff = cs_scenario_find_variant(s, "equal_reporting");
    ck_assert(v_none > 0 && v_staff > 0);
    crn_ctx *base = calloc(1, sizeof *base), *none = calloc(1, sizeof *none),
            *staff = calloc(1, sizeof *staff);
    cs_test_run_variant(s, 0, 7, CRN_REP, true, crn_collect, base);
    cs_test_run_variant(s, (size_t)v_none, 7, CRN_REP, true, crn_collect, none);
    cs_test_run_variant(s, (size_t)v_staff, 7, CRN_REP, true, crn_collect, staff);
    /* An intervention that changes nothing gives identical results. */
    for (size_t r = 0; r < CRN_REP; r++) {
        ck_assert_uint_eq(none->all.items[r].len, base->all.items[r].len);
        ck_assert(memcmp(none->all.items[r].bytes, base->all.items[r].bytes,
                         base->all.items[r].len) == 0);
    }
    /* A real one: the paired difference varies far less than the two
     * independent estimates would (var(a - b) << var(a) + var(b)). */
    double d[CRN_REP], m, se_d, se_a, se_b;
    for (size_t r = 0; r < CRN_REP; r++)
        d[r] = staff->acc[r] - base->acc[r];
    cs_test_mean_se(d, CRN_REP, &m, &se_d);
    cs_test_mean_se(base->acc, CRN_REP, &m, &se_a);
    cs_test_mean_se(staff->acc, CRN_REP, &m, &se_b);
    double ratio = se_d * se_d / (se_a * se_a + se_b * se_b);
    ck_assert_msg(ratio < 0.25, "var(paired diff) / (var a + var b) = %g", ratio);
    ck_assert(se_d > 0.0); /* the intervention does change something */
    collect_free(&base->all);
    collect_free(&none->all);
    collect_free(&staff->all);
    free(base);
    free(none);
    free(staff);
    cs_scenario_free(s);
}
END_TEST

/* ---- memory ------------------------------------------------------------------------ */

static const char *MEM_YAML_FMT = "casesim: 1\n"
                                  "name: memory\n"
                                  "time: {warmup_years: 0, cohort_years: %g, follow_up_years: 0}\n"
                                  "run: {replicates: 1, seed: 1}\n"
                                  "groups:\n"
                                  "  - {name: r, incidents_per_year: 20000}\n"
                                  "violations:\n"
                                  "  - {name: v, share: {r: 1}, well_founded: 0.5}\n"
                                  "evidence:\n"
                                  "  well_founded: {beta: [3, 2]}\n"
                                  "  unfounded: {beta: [2, 4]}\n"
                                  "stages:\n"
                                  "  - name: a\n"
                                  "    entry: true\n"
                                  "    duration: {exponential: {mean: 10}}\n"
                                  "    branches:\n"
                                  "      - to: [b, c]\n"
                                  "        p: 0.5\n"
                                  "      - to: done\n"
                                  "  - name: b\n"
                                  "    duration: {gamma: {mean: 20, cv: 1}}\n"
                                  "    branches:\n"
                                  "      - to: done\n"
                                  "        p: 0.5\n"
                                  "      - to: done\n"
                                  "  - name: c\n"
                                  "    staff: 200\n"
                                  "    duration: {exponential: {mean: 5}}\n"
                                  "    branches:\n"
                                  "      - to: done\n"
                                  "        p: 0.5\n"
                                  "      - to: done\n"
                                  "outcomes:\n"
                                  "  done: {}\n";

typedef struct mem_ctx {
    size_t peak_tracks, peak_cases, peak_events;
    uint64_t incidents;
} mem_ctx;

static void mem_collect(void *ctx, const cs_replicate_result *r)
{
    mem_ctx *c = ctx;
    c->peak_tracks = r->peak_tracks;
    c->peak_cases = r->peak_cases;
    c->peak_events = r->peak_events;
    c->incidents = r->incidents_total;
}

START_TEST(memory_follows_cases_in_flight)
{
    char yaml[4096];
    mem_ctx small, large;
    snprintf(yaml, sizeof yaml, MEM_YAML_FMT, 0.5);
    cs_scenario *s = cs_test_scenario(yaml);
    cs_test_run_variant(s, 0, 1, 1, false, mem_collect, &small);
    cs_scenario_free(s);
    snprintf(yaml, sizeof yaml, MEM_YAML_FMT, 5.0);
    s = cs_test_scenario(yaml);
    cs_test_run_variant(s, 0, 1, 1, false, mem_collect, &large);
    cs_scenario_free(s);
    ck_assert(large.incidents > 8 * small.incidents);
    /* About 20000 / 365.25 * (10 + ...) in flight: the same for both runs. */
    ck_assert_msg(large.peak_tracks < 2 * small.peak_tracks, "tracks %zu vs %zu", large.peak_tracks,
                  small.peak_tracks);
    ck_assert(large.peak_cases < 2 * small.peak_cases);
    ck_assert(large.peak_events < 2 * small.peak_events);
    ck_assert(small.peak_tracks < small.incidents / 4);
}
END_TEST

/* ---- max_visits ---------------------------------------------------------------------- */

static const char *CYCLE_YAML = "casesim: 1\n"
                                "name: cycle\n"
                                "time: {warmup_years: 0, cohort_years: 1, follow_up_years: 1}\n"
                                "run: {replicates: 1, seed: 1}\n"
                                "groups:\n"
                                "  - {name: r, incidents_per_year: 5000}\n"
                                "violations:\n"
                                "  - {name: v, share: {r: 1}, well_founded: 0.5}\n"
                                "evidence:\n"
                                "  well_founded: {beta: [3, 2]}\n"
                                "  unfounded: {beta: [2, 4]}\n"
                                "stages:\n"
                                "  - name: trial\n"
                                "    entry: true\n"
                                "    max_visits: 3\n"
                                "    duration: {fixed: 1}\n"
                                "    branches:\n"
                                "      - to: appeal\n"
                                "        p: 0.9\n"
                                "      - to: final\n"
                                "  - name: appeal\n"
                                "    max_visits: 3\n"
                                "    duration: {fixed: 1}\n"
                                "    branches:\n"
                                "      - to: trial\n"
                                "        p: 0.9\n"
                                "      - to: upheld\n"
                                "outcomes:\n"
                                "  final: {}\n"
                                "  upheld: {}\n";

static void cycle_collect(void *ctx, const cs_replicate_result *r)
{
    (void)ctx;
    const cs_result_dims *d = &r->dims;
    const int64_t *e = &r->stage_entries[d->n_groups * d->n_stages];
    double inc = cs_test_measures(r, d->n_groups)[CS_M_INCIDENTS];
    /* Exact expected entries: trial visit k happens with prob 0.81^(k-1);
     * appeal visit k with 0.9 * 0.81^(k-1), k = 1..3 (a 4th trial visit is
     * replaced by trial's reference branch, `final`). */
    double et = 1 + 0.81 + 0.81 * 0.81, ea = 0.9 * et;
    /* Popoviciu: a count in [1, 3] (trial) has variance <= 1, in [0, 3] (appeal) <= 9/4. */
    double se_t = 1.0 / sqrt(inc), se_a = 1.5 / sqrt(inc);
    ck_assert_double_le(fabs((double)e[0] / inc - et), 4 * se_t);
    ck_assert_double_le(fabs((double)e[1] / inc - ea), 4 * se_a);
    ck_assert_double_eq(cs_test_measures(r, d->n_groups)[CS_M_PENDING], 0.0);
    for (size_t i = 0; i < r->n_cases; i++)
        ck_assert_double_le(r->cases[i].end_day - r->cases[i].arrival_day, 6.0 + 1e-9);
}

START_TEST(max_visits_bounds_cycles)
{
    cs_scenario *s = cs_test_scenario(CYCLE_YAML);
    cs_test_run_variant(s, 0, 3, 1, true, cycle_collect, NULL);
    cs_scenario_free(s);
}
END_TEST

/* ---- the engine workspace ------------------------------------------------------------ */

/* Whether a and b (of the same dimensions) hold the same results, bit for
 * bit: every array of the results schema, the counters and peaks, and the
 * case records field by field (their padding is not a result). */
static bool same_result(const cs_replicate_result *a, const cs_replicate_result *b)
{
    if (memcmp(&a->dims, &b->dims, sizeof a->dims) != 0)
        return false;
    for (size_t k = 0; k < CS_SCHEMA_N_ARRAYS; k++) {
        const cs_schema_array *sa = &cs_schema_arrays[k];
        size_t n = 0;
        if (sa->scalar || !cs_schema_array_count(sa, &a->dims, &n))
            continue;
        if (memcmp(cs_schema_array_cdata(sa, a), cs_schema_array_cdata(sa, b), n * sa->size) != 0)
            return false;
    }
    if (a->tallies != b->tallies ||
        (a->durations && memcmp(a->durations, b->durations,
                                cs_tally_duration_count(&a->dims) * sizeof *a->durations) != 0) ||
        (a->kind_counts && memcmp(a->kind_counts, b->kind_counts,
                                  cs_tally_kind_count(&a->dims) * sizeof *a->kind_counts) != 0))
        return false;
    if (a->events != b->events || a->incidents_total != b->incidents_total ||
        a->peak_cases != b->peak_cases || a->peak_tracks != b->peak_tracks ||
        a->peak_events != b->peak_events || a->n_cases != b->n_cases)
        return false;
    for (size_t i = 0; i < a->n_cases; i++) {
        const cs_case_record *x = &a->cases[i], *y = &b->cases[i];
        if (x->group != y->group || x->incident != y->incident ||
            memcmp(&x->arrival_day, &y->arrival_day, sizeof x->arrival_day) != 0 ||
            x->violation != y->violation || x->well_founded != y->well_founded ||
            memcmp(&x->evidence, &y->evidence, sizeof x->evidence) != 0 ||
            memcmp(&x->end_day, &y->end_day, sizeof x->end_day) != 0 ||
            x->n_tracks != y->n_tracks || x->outcome_mask != y->outcome_mask)
            return false;
    }
    return true;
}

/* One model to run in the shared workspace, and its two results. */
typedef struct ws_case {
    cs_scenario *s;
    cs_model *m;
    cs_replicate_result *fresh, *reused;
} ws_case;

static void ws_case_open(ws_case *c, cs_scenario *s, size_t v)
{
    cs_error err;
    cs_error_clear(&err);
    const cs_scenario *vs = s->n_variants ? s->variants[v].scenario : s;
    c->s = s;
    ck_assert_msg(cs_model_compile(vs, &c->m, &err) == CS_OK, "compile: %s", err.text);
    cs_result_dims d;
    cs_result_dims_of(vs, &d);
    ck_assert_int_eq(cs_replicate_result_alloc(&d, &c->fresh, &err), CS_OK);
    ck_assert_int_eq(cs_replicate_result_alloc(&d, &c->reused, &err), CS_OK);
}

static cs_scenario *load_source(const char *rel)
{
    const char *dir = getenv("SRCDIR");
    ck_assert_msg(dir != NULL, "SRCDIR is not set (run the suite through ctest)");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    cs_scenario *s = NULL;
    cs_error err;
    cs_error_clear(&err);
    ck_assert_msg(cs_scenario_load(path, &s, &err) == CS_OK, "%s: %s", path, err.text);
    return s;
}

/* A thread's workspace runs models of other shapes one after another
 * (more and fewer stages, groups, kinds and visit slots; larger and smaller
 * pools; a moving system with an initial backlog and feedback), with and
 * without case records, in either build of the engine (with and without
 * calibration targets' tallies), and every result equals, bit for bit, that of a
 * new engine (cs_sim_replicate). A count left from an earlier replicate
 * fails it (seen with the rows by arrival year left uncleared). (A pool
 * handing out its slots in another order changes nothing in these models:
 * a slot breaks only ties of time, incident, track and type.) */
START_TEST(workspace_reuse_changes_no_result)
{
    char mem_yaml[4096];
    snprintf(mem_yaml, sizeof mem_yaml, MEM_YAML_FMT, 0.3);
    cs_scenario *run = cs_test_scenario(RUN_YAML), *cycle = cs_test_scenario(CYCLE_YAML);
    cs_scenario *mem = cs_test_scenario(mem_yaml);
    cs_scenario *dyn = load_source("scenarios/illustrative_dynamics.yaml");
    cs_scenario *kinds = load_source("scenarios/kinds_example.yaml");
    ws_case c[8];
    ws_case_open(&c[0], cycle, 0);
    ws_case_open(&c[1], mem, 0);
    ws_case_open(&c[2], run, 0);
    ws_case_open(&c[3], run, run->n_variants - 1);
    ws_case_open(&c[4], dyn, 0);
    ws_case_open(&c[5], dyn, dyn->n_variants - 1);
    ws_case_open(&c[6], kinds, 0);
    /* The build of the engine that keeps calibration targets' tallies. */
    ws_case_open(&c[7], kinds, kinds->n_variants - 1);
    cs_model_set_tallies(c[7].m, CS_TALLY_DURATIONS | CS_TALLY_KINDS);
    cs_sim_workspace *ws = NULL;
    cs_error err;
    cs_error_clear(&err);
    ck_assert_int_eq(cs_sim_workspace_alloc(&ws, &err), CS_OK);
    /* Each model twice, in an order that grows and shrinks every part. */
    const size_t order[] = {0, 1, 2, 3, 0, 4, 7, 5, 2, 6, 1, 7, 6, 4, 0};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        ws_case *k = &c[order[i]];
        uint64_t rep = 7 + i;
        bool records = i % 3 == 0;
        ck_assert_int_eq(cs_sim_replicate(k->m, 11, rep, records, NULL, k->fresh, &err), CS_OK);
        ck_assert_int_eq(cs_sim_replicate_ws(ws, k->m, 11, rep, records, NULL, k->reused, &err),
                         CS_OK);
        ck_assert_msg(same_result(k->fresh, k->reused), "run %zu (model %zu) differs", i, order[i]);
    }
    /* Not vacuous: another replicate of the same model differs. */
    ck_assert_int_eq(cs_sim_replicate_ws(ws, c[2].m, 11, 99, false, NULL, c[2].reused, &err),
                     CS_OK);
    ck_assert(!same_result(c[2].fresh, c[2].reused));
    cs_sim_workspace_free(ws);
    ck_assert(c[7].fresh->durations && c[7].fresh->kind_counts);
    for (size_t i = 0; i < 8; i++) {
        cs_replicate_result_free(c[i].fresh);
        cs_replicate_result_free(c[i].reused);
        cs_model_free(c[i].m);
    }
    cs_scenario_free(run);
    cs_scenario_free(cycle);
    cs_scenario_free(mem);
    cs_scenario_free(dyn);
    cs_scenario_free(kinds);
}
END_TEST

/* ---- names and result objects ------------------------------------------------------- */

START_TEST(measure_tables_are_complete)
{
    for (size_t i = 0; i < CS_M_FIXED_COUNT; i++) {
        ck_assert_ptr_nonnull(cs_measure_table[i].name);
        ck_assert_ptr_nonnull(cs_measure_table[i].units);
        ck_assert(strlen(cs_measure_table[i].description) > 20);
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(cs_measure_table[i].name, cs_measure_table[j].name);
    }
    for (size_t i = 0; i < CS_SS_COUNT; i++) {
        ck_assert_ptr_nonnull(cs_stage_stat_table[i].name);
        ck_assert(strlen(cs_stage_stat_table[i].description) > 20);
    }
    cs_scenario *s = cs_test_scenario(RUN_YAML);
    cs_result_dims d;
    cs_result_dims_of(s, &d);
    ck_assert_uint_eq(d.n_groups, 2);
    ck_assert_uint_eq(d.n_measures, CS_M_FIXED_COUNT + s->n_categories);
    ck_assert_uint_eq(d.n_months, 30); /* 2.5 years */
    ck_assert_uint_eq(d.n_years, 3);
    char buf[128];
    ck_assert_str_eq(cs_measure_name(s, CS_M_IMPUNITY, buf, sizeof buf), "impunity_rate");
    ck_assert_str_eq(cs_measure_name(s, CS_M_FIXED_COUNT, buf, sizeof buf),
                     "accountability_rate_disciplinary");
    cs_replicate_result *r = NULL;
    ck_assert_int_eq(cs_replicate_result_alloc(&d, &r, NULL), CS_OK);
    r->measures[0] = 5;
    r->events = 9;
    cs_replicate_result_reset(r);
    ck_assert_double_eq(r->measures[0], 0.0);
    ck_assert_uint_eq(r->events, 0);
    cs_replicate_result_free(r);
    cs_replicate_result_free(NULL);
    cs_scenario_free(s);
}
END_TEST

static void disparity_collect(void *ctx, const cs_replicate_result *r)
{
    (void)ctx;
    const cs_result_dims *d = &r->dims;
    const double *ref = cs_test_measures(r, 0), *grp = cs_test_measures(r, 1);
    const double *all = cs_test_measures(r, d->n_groups);
    ck_assert_double_eq(ref[CS_M_ACCOUNTABILITY_RATIO], 1.0);
    ck_assert_double_eq(ref[CS_M_ACCOUNTABILITY_DIFF], 0.0);
    ck_assert_double_eq_tol(grp[CS_M_ACCOUNTABILITY_RATIO],
                            grp[CS_M_ACCOUNTABILITY] / ref[CS_M_ACCOUNTABILITY], 1e-15);
    ck_assert_double_eq_tol(grp[CS_M_IMPUNITY_DIFF], grp[CS_M_IMPUNITY] - ref[CS_M_IMPUNITY],
                            1e-15);
    ck_assert(isnan(all[CS_M_REDRESS_RATIO]));
    ck_assert_double_eq(all[CS_M_INCIDENTS], ref[CS_M_INCIDENTS] + grp[CS_M_INCIDENTS]);
    ck_assert_double_eq_tol(all[CS_M_IMPUNITY], 1.0 - all[CS_M_ACCOUNTABILITY], 1e-15);
    /* Per-category accountability: one category here, so equal to the total. */
    ck_assert_double_eq(all[CS_M_FIXED_COUNT], all[CS_M_ACCOUNTABILITY]);
    ck_assert(all[CS_M_TIME_MEDIAN] <= all[CS_M_TIME_P90]);
    /* Period counts cover every incident: entries to the entry stage by year
     * add up to all incidents simulated. */
    int64_t sum = 0;
    for (size_t y = 0; y < d->n_years; y++)
        sum += r->period_entries[y * d->n_stages + 0];
    ck_assert_int_eq(sum, (int64_t)r->incidents_total);
}

START_TEST(disparities_and_totals_are_consistent)
{
    cs_scenario *s = cs_test_scenario(RUN_YAML);
    cs_test_run_variant(s, 0, 12, 2, false, disparity_collect, NULL);
    cs_scenario_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engine_run");
    TCase *tc = tcase_create("run");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, identical_bits_for_1_2_4_threads);
    tcase_add_test(tc, sink_error_stops_the_run);
    tcase_add_test(tc, common_random_numbers_across_variants);
    tcase_add_test(tc, memory_follows_cases_in_flight);
    tcase_add_test(tc, workspace_reuse_changes_no_result);
    tcase_add_test(tc, max_visits_bounds_cycles);
    tcase_add_test(tc, measure_tables_are_complete);
    tcase_add_test(tc, disparities_and_totals_are_consistent);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
