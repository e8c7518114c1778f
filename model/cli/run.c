/*
 * cli/run.c — `casesim run SCENARIO.yaml -o RESULTS.h5`: loads and validates
 * the scenario, runs every selected variant's replicates in parallel, writes
 * each finished replicate to a temporary file beside RESULTS.h5, and
 * publishes it under its name once closed. SIGINT/SIGTERM stop the run
 * cleanly: finished replicates are kept, the file is marked "incomplete" and
 * published, and the exit status is 130/143.
 *
 * --resume finishes an interrupted run: the finished replicates of RESULTS.h5
 * are copied into a new file, only the missing ones are run, and the result
 * replaces RESULTS.h5 (see casesim/results_join.h for what must match).
 *
 * In the MPI build, `mpirun -np K casesim run ...` runs the replicates over K
 * ranks (casesim/engine_mpi.h). Rank 0 does everything a single process does
 * (options, scenario, output file, resume, progress, messages); it then sends
 * the other ranks the scenario text and the run's parameters, so that every
 * rank validates exactly the same bytes, and at the end its exit status.
 * The other ranks print nothing: their errors reach rank 0.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casesim/calibrate.h"
#include "casesim/calibration_file.h"
#include "casesim/engine.h"
#include "casesim/results.h"
#include "casesim/results_join.h"
#include "casesim/safe_file.h"
#include "casesim/scenario.h"
#include "cli/cli.h"
#include "cli/progress.h"
#ifdef CASESIM_HAVE_MPI
#include "casesim/engine_mpi.h"
#endif

static volatile sig_atomic_t stop_signal = 0;

/* With --posterior: the calibration's resampled draws, which every
 * replicate's point comes from instead of the priors (NULL otherwise). */
static const cs_posterior_draws *posterior = NULL;

static void on_signal(int sig)
{
    stop_signal = sig;
}

/* The signal handlers of a run: SIGINT and SIGTERM set stop_signal (and a
 * second signal ends the program at once). */
typedef struct signals {
    struct sigaction old_int, old_term;
} signals;

static void signals_catch(signals *sv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, &sv->old_int);
    sigaction(SIGTERM, &sa, &sv->old_term);
}

static void signals_restore(const signals *sv)
{
    sigaction(SIGINT, &sv->old_int, NULL);
    sigaction(SIGTERM, &sv->old_term, NULL);
}

static void usage(FILE *to)
{
    fprintf(
        to,
        "usage: casesim run SCENARIO.yaml -o RESULTS.h5 [options]\n"
        "\n"
        "Runs the baseline, every intervention and every bundle of the scenario with the\n"
        "same replicates (common random numbers) and writes the results file.\n"
        "\n"
        "options:\n"
        "  -o, --output FILE        the results file to write (required)\n"
        "  -n, --replicates N       replicates to run (default: the scenario's run.replicates)\n"
        "  -s, --seed S             master seed (default: the scenario's run.seed)\n"
        "  -t, --threads T          threads (default: OpenMP's, e.g. OMP_NUM_THREADS)\n"
        "      --only NAME,...      run only these interventions or bundles (the baseline\n"
        "                           always runs: every comparison needs it)\n"
        "      --decompose          also run the variants that equalise, stage by stage, the\n"
        "                           groups' branch probabilities, to decompose the baseline's\n"
        "                           disparity by stage (as `run: decompose: true`)\n"
        "      --case-records N     also write one record per case for the first N\n"
        "                           replicates (large: use a few)\n"
        "      --first-replicate K  run replicates K .. K+N-1 (to split a run over jobs\n"
        "                           and join the files with casesim merge)\n"
        "      --no-uncertainty     run every replicate at the scenario's own values of its\n"
        "                           uncertain inputs (they are drawn by default)\n"
        "      --posterior CAL.h5   draw the uncertain inputs from the posterior of the\n"
        "                           calibration CAL.h5 (casesim calibrate; the same uncertain\n"
        "                           inputs and priors) instead of their priors\n"
        "      --overwrite          replace RESULTS.h5 if it exists\n"
        "      --resume             finish the interrupted run in RESULTS.h5: keep its\n"
        "                           replicates, run only the missing ones (same scenario\n"
        "                           text and seed; options not given are the file's)\n"
        "  -q, --quiet              no progress display\n"
        "  -h, --help               this help\n"
        "\n"
        "Exit status: 0 done; 2 bad usage or invalid scenario (nothing written); 1 a failure\n"
        "while running (nothing written); 130/143 interrupted by SIGINT/SIGTERM (finished\n"
        "replicates kept, the file marked status = \"incomplete\").\n"
#ifdef CASESIM_HAVE_MPI
        "\n"
        "MPI build: mpirun -np K casesim run ... spreads the replicates over K ranks\n"
        "(threads inside each rank); rank 0 writes the one results file.\n"
#endif
    );
}

/* Resolves --only into increasing variant indices, the baseline first. */
static int select_variants(const cs_scenario *s, const char *only, size_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    bool *want = calloc(s->n_variants, sizeof *want);
    char *list = malloc(strlen(only) + 1);
    if (!want || !list) {
        free(want);
        free(list);
        fprintf(stderr, "casesim run: out of memory\n");
        return CS_EXIT_FAILURE;
    }
    strcpy(list, only);
    for (size_t i = 0; i < s->n_variants; i++) /* the decomposition's belong to the baseline */
        want[i] = i == 0 || s->variants[i].kind == CS_VARIANT_DECOMPOSITION;
    int rc = CS_EXIT_OK;
    char *save = NULL;
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        long v = cs_scenario_find_variant(s, tok);
        if (v < 0) {
            fprintf(stderr,
                    "casesim run: --only: '%s' is not a variant of %s; its variants are:", tok,
                    s->path);
            for (size_t i = 0; i < s->n_variants; i++)
                fprintf(stderr, " %s", s->variants[i].name);
            fprintf(stderr, "\n");
            rc = CS_EXIT_USAGE;
            break;
        }
        want[v] = true;
    }
    if (rc == CS_EXIT_OK) {
        *out = malloc(s->n_variants * sizeof **out);
        if (!*out) {
            rc = CS_EXIT_FAILURE;
        } else {
            for (size_t i = 0; i < s->n_variants; i++)
                if (want[i])
                    (*out)[(*n)++] = i;
        }
    }
    free(want);
    free(list);
    return rc;
}

typedef struct run_sink {
    cs_results_writer *writer;
    cs_progress progress;
} run_sink;

static int sink(void *ctx, const cs_replicate_result *r, cs_error *err)
{
    run_sink *rs = ctx;
    int st = cs_results_writer_append(rs->writer, r, err);
    if (st == CS_OK)
        cs_progress_update(&rs->progress, cs_results_writer_replicates(rs->writer));
    return st;
}

/* What every rank needs to run its share (sent by rank 0 in the MPI build). */
typedef struct run_params {
    uint64_t seed;
    uint64_t first;        /* first replicate to compute */
    uint64_t n;            /* replicates to compute */
    uint64_t case_records; /* records for replicates < first + this */
    uint64_t threads;
    uint64_t n_variants;     /* 0: all */
    uint64_t no_uncertainty; /* 1: the scenario's values, not draws */
    uint64_t decompose;      /* 1: the scenario is decomposed (cs_scenario_decompose) */
} run_params;

/* The run's configuration for p, with the draws of the uncertain inputs
 * (src, ctx: filled here, must outlive cfg) unless p says not to. */
static cs_run_config run_config(const cs_scenario *s, const run_params *p, const size_t *variants,
                                cs_point_source *src, cs_draw_source *ctx)
{
    cs_run_config cfg = {.seed = p->seed,
                         .first_replicate = p->first,
                         .n_replicates = p->n,
                         .threads = (int)p->threads,
                         .n_variants = p->n_variants,
                         .variants = p->n_variants ? variants : NULL,
                         .case_record_replicates = p->case_records,
                         .stop = &stop_signal};
    if (s->n_uncertain > 0 && !p->no_uncertainty) {
        if (posterior)
            cs_point_source_posterior(src, posterior);
        else
            cs_point_source_draws(src, ctx, s, p->seed);
        cfg.points = src;
    }
    return cfg;
}

#ifdef CASESIM_HAVE_MPI
/* This process's rank and the number of ranks. */
typedef struct mpi_state {
    int rank, size;
} mpi_state;
static mpi_state mpi = {0, 1};

/* Rank 0: sends the other ranks "go", the parameters, the variant list and
 * the scenario text. */
static int mpi_release(const cs_scenario *s, const run_params *p, const size_t *variants,
                       cs_error *err)
{
    int go = -1; /* not an exit status: the run follows */
    MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
    run_params q = *p;
    MPI_Bcast(&q, (int)sizeof q, MPI_BYTE, 0, MPI_COMM_WORLD);
    uint64_t *v = calloc(q.n_variants ? q.n_variants : 1, sizeof *v);
    int st = v ? CS_OK : cs_error_set(err, CS_ENOMEM, "out of memory");
    st = cs_mpi_agree(MPI_COMM_WORLD, st, err);
    if (st != CS_OK) {
        free(v);
        return st;
    }
    for (size_t i = 0; i < q.n_variants; i++)
        v[i] = variants[i];
    MPI_Bcast(v, (int)(q.n_variants * sizeof *v), MPI_BYTE, 0, MPI_COMM_WORLD);
    free(v);
    char *path = s->path, *text = s->source;
    size_t path_len = strlen(s->path), text_len = s->source_len;
    st = cs_mpi_bcast_bytes(MPI_COMM_WORLD, 0, &path, &path_len, err);
    if (st == CS_OK)
        st = cs_mpi_bcast_bytes(MPI_COMM_WORLD, 0, &text, &text_len, err);
    /* The other ranks load the text: agree on the outcome. */
    if (st == CS_OK)
        st = cs_mpi_agree(MPI_COMM_WORLD, CS_OK, err);
    return st;
}

/* Ranks other than 0: wait for rank 0's go, load the scenario it sends, run
 * this rank's share, and return rank 0's exit status. */
static int mpi_follow(void)
{
    static cs_error err; /* large: keep it off the stack */
    cs_error_clear(&err);
    int go = 0;
    MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (go >= 0)
        return go; /* rank 0 ended before the run: its exit status */
    run_params q;
    MPI_Bcast(&q, (int)sizeof q, MPI_BYTE, 0, MPI_COMM_WORLD);
    uint64_t *v = NULL;
    size_t *variants = NULL;
    if (q.n_variants <= SIZE_MAX / sizeof *v) {
        v = calloc(q.n_variants ? q.n_variants : 1, sizeof *v);
        variants = calloc(q.n_variants ? q.n_variants : 1, sizeof *variants);
    }
    int st = v && variants ? CS_OK : cs_error_set(&err, CS_ENOMEM, "out of memory");
    char *path = NULL, *text = NULL;
    size_t path_len = 0, text_len = 0;
    cs_scenario *s = NULL;
    st = cs_mpi_agree(MPI_COMM_WORLD, st, &err);
    if (st == CS_OK) {
        MPI_Bcast(v, (int)(q.n_variants * sizeof *v), MPI_BYTE, 0, MPI_COMM_WORLD);
        for (size_t i = 0; i < q.n_variants; i++)
            variants[i] = (size_t)v[i];
        st = cs_mpi_bcast_bytes(MPI_COMM_WORLD, 0, &path, &path_len, &err);
        if (st == CS_OK)
            st = cs_mpi_bcast_bytes(MPI_COMM_WORLD, 0, &text, &text_len, &err);
        if (st == CS_OK) {
            st = cs_scenario_load_string(text, text_len, path, &s, &err);
            if (st == CS_OK && q.decompose)
                st = cs_scenario_decompose(s, &err);
            st = cs_mpi_agree(MPI_COMM_WORLD, st, &err);
        }
    }
    if (st == CS_OK) {
        signals sv;
        signals_catch(&sv);
        cs_point_source src;
        cs_draw_source draws;
        cs_run_config cfg = run_config(s, &q, variants, &src, &draws);
        cs_sim_run_mpi(s, &cfg, MPI_COMM_WORLD, &err);
        signals_restore(&sv);
    }
    /* Rank 0's exit status, after it has published (or not) the file. */
    int rc = CS_EXIT_FAILURE;
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    cs_scenario_free(s);
    free(path);
    free(text);
    free(v);
    free(variants);
    return rc;
}
#endif

/* Runs the replicates of p: in this process, or over the MPI ranks. */
static int execute(const cs_scenario *s, const run_params *p, const size_t *variants, run_sink *rs,
                   cs_error *err)
{
    cs_point_source src;
    cs_draw_source draws;
    cs_run_config cfg = run_config(s, p, variants, &src, &draws);
    cfg.sink = sink;
    cfg.sink_ctx = rs;
#ifdef CASESIM_HAVE_MPI
    if (mpi.size > 1 && posterior)
        return cs_error_set(err, CS_EUSAGE, "--posterior runs on one MPI rank only");
    if (mpi.size > 1) {
        int st = mpi_release(s, p, variants, err);
        if (st != CS_OK)
            return st;
        return cs_sim_run_mpi(s, &cfg, MPI_COMM_WORLD, err);
    }
#endif
    return cs_sim_run(s, &cfg, err);
}

/* --resume: checks that the results file `old` continues this run, fills in
 * from it the options not given, and refuses those that differ. */
typedef struct run_opts {
    uint64_t replicates, seed, case_records, first;
    bool have_replicates, have_seed, have_case_records, have_first;
    bool no_uncertainty;
    size_t *variants, n_variants; /* from --only, else NULL */
} run_opts;

static int resume_options(const cs_results *old, const cs_scenario *s, run_opts *o, uint64_t *done,
                          cs_error *err)
{
    cs_results_run_info info;
    int st = cs_results_run_info_get(old, s, &info, err);
    if (st != CS_OK)
        return st;
    const char *f = old->path;
    if (cs_results_is_study(old))
        st = cs_error_set(err, CS_EINVAL,
                          "%s holds a sensitivity study: finish it with casesim sensitivity "
                          "--resume",
                          f);
    else if (o->have_seed && o->seed != old->seed)
        st = cs_error_set(err, CS_EINVAL,
                          "%s was run with seed %llu, not %llu: resume with the same seed", f,
                          (unsigned long long)old->seed, (unsigned long long)o->seed);
    else if (o->have_first && o->first != old->first_replicate)
        st = cs_error_set(err, CS_EINVAL, "%s starts at replicate %llu, not %llu", f,
                          (unsigned long long)old->first_replicate, (unsigned long long)o->first);
    else if (o->have_case_records && o->case_records != info.case_record_replicates)
        st = cs_error_set(err, CS_EINVAL, "%s was run with --case-records %llu, not %llu", f,
                          (unsigned long long)info.case_record_replicates,
                          (unsigned long long)o->case_records);
    else if (o->no_uncertainty && strcmp(old->sampling, "scenario values") != 0 &&
             strcmp(old->sampling, "none") != 0)
        st = cs_error_set(err, CS_EINVAL,
                          "%s drew its uncertain inputs: resume it without --no-uncertainty", f);
    else if (o->have_replicates && o->replicates < old->replicates)
        st = cs_error_set(err, CS_EINVAL,
                          "%s already holds %llu replicates, more than --replicates %llu", f,
                          (unsigned long long)old->replicates, (unsigned long long)o->replicates);
    if (st == CS_OK && o->variants) {
        bool same = o->n_variants == old->n_variants;
        for (size_t i = 0; same && i < o->n_variants; i++)
            same = o->variants[i] == info.variants[i];
        if (!same)
            st = cs_error_set(err, CS_EINVAL,
                              "%s holds other variants than --only selects: resume with the "
                              "run's own --only (or none)",
                              f);
    }
    if (st == CS_OK) {
        o->no_uncertainty = strcmp(old->sampling, "scenario values") == 0;
        o->seed = old->seed;
        o->first = old->first_replicate;
        o->case_records = info.case_record_replicates;
        if (!o->have_replicates)
            o->replicates = info.replicates_requested > old->replicates ? info.replicates_requested
                                                                        : old->replicates;
        free(o->variants);
        o->n_variants = old->n_variants;
        o->variants = info.variants; /* increasing, the baseline first */
        info.variants = NULL;
        *done = old->replicates;
    }
    free(info.variants);
    return st;
}

/* The long options without a short form. */
enum {
    OPT_ONLY = 256,
    OPT_CASES,
    OPT_FIRST,
    OPT_OVERWRITE,
    OPT_RESUME,
    OPT_NO_UNCERTAINTY,
    OPT_POSTERIOR,
    OPT_DECOMPOSE
};

/* The command line of `casesim run`, parsed. */
typedef struct run_args {
    const char *scenario_path, *output, *only, *posterior;
    run_opts o;
    cs_posterior_draws draws; /* with --posterior */
    char sampling[64];        /* "posterior HASH" */
    uint64_t threads;
    bool overwrite, quiet, resume, decompose;
} run_args;

/* Applies option c (with its value optarg) to a. Returns -1 to go on, or
 * the exit status (for --help or a bad value). */
static int take_option(int c, run_args *a, char **argv)
{
    run_opts *o = &a->o;
    switch (c) {
    case 'o':
        a->output = optarg;
        return -1;
    case 'n':
        o->have_replicates = true;
        return cs_cli_parse_u64("run", "--replicates", optarg, 1, CS_MAX_REPLICATES, &o->replicates)
                   ? CS_EXIT_USAGE
                   : -1;
    case 's':
        o->have_seed = true;
        return cs_cli_parse_u64("run", "--seed", optarg, 0, UINT64_MAX, &o->seed) ? CS_EXIT_USAGE
                                                                                  : -1;
    case 't':
        return cs_cli_parse_u64("run", "--threads", optarg, 1, 4096, &a->threads) ? CS_EXIT_USAGE
                                                                                  : -1;
    case OPT_ONLY:
        a->only = optarg;
        return -1;
    case OPT_CASES:
        o->have_case_records = true;
        return cs_cli_parse_u64("run", "--case-records", optarg, 0, CS_MAX_REPLICATES,
                                &o->case_records)
                   ? CS_EXIT_USAGE
                   : -1;
    case OPT_FIRST:
        o->have_first = true;
        return cs_cli_parse_u64("run", "--first-replicate", optarg, 0, UINT64_MAX / 2, &o->first)
                   ? CS_EXIT_USAGE
                   : -1;
    case OPT_OVERWRITE:
        a->overwrite = true;
        return -1;
    case OPT_RESUME:
        a->resume = true;
        return -1;
    case OPT_NO_UNCERTAINTY:
        o->no_uncertainty = true;
        return -1;
    case OPT_POSTERIOR:
        a->posterior = optarg;
        return -1;
    case OPT_DECOMPOSE:
        a->decompose = true;
        return -1;
    case 'q':
        a->quiet = true;
        return -1;
    case 'h':
        usage(stdout);
        return CS_EXIT_OK;
    default:
        return cs_cli_bad_option("run", c, argv, usage);
    }
}

/* Parses argv into a. Returns -1 to run, or the exit status. */
static int parse_args(int argc, char **argv, run_args *a)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"replicates", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},
        {"only", required_argument, NULL, OPT_ONLY},
        {"case-records", required_argument, NULL, OPT_CASES},
        {"first-replicate", required_argument, NULL, OPT_FIRST},
        {"overwrite", no_argument, NULL, OPT_OVERWRITE},
        {"resume", no_argument, NULL, OPT_RESUME},
        {"no-uncertainty", no_argument, NULL, OPT_NO_UNCERTAINTY},
        {"posterior", required_argument, NULL, OPT_POSTERIOR},
        {"decompose", no_argument, NULL, OPT_DECOMPOSE},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    optind = 0; /* GNU getopt: reinitialise, since argv starts at "run" */
    opterr = 0;
    int c, rc = -1;
    while (rc < 0 && (c = getopt_long(argc, argv, ":o:n:s:t:qh", longopts, NULL)) != -1)
        rc = take_option(c, a, argv);
    if (rc >= 0)
        return rc;
    if (optind != argc - 1) {
        fprintf(stderr, "casesim run: %s\n",
                optind >= argc ? "no scenario file given" : "give exactly one scenario file");
        usage(stderr);
        return CS_EXIT_USAGE;
    }
    a->scenario_path = argv[optind];
    return -1;
}

/* Usage errors that need no file read. Returns -1 or CS_EXIT_USAGE. */
static int check_args(const run_args *a)
{
    const char *msg = NULL;
    if (!a->output)
        msg = "name the results file with -o RESULTS.h5";
    else if (a->resume && a->overwrite)
        msg = "--resume continues RESULTS.h5 and --overwrite replaces it: give one of them";
    else if (a->posterior && a->o.no_uncertainty)
        msg = "--posterior draws the uncertain inputs and --no-uncertainty fixes them: give one";
    else if (a->posterior && a->resume)
        msg = "--resume of a run on a posterior is not available: run it again";
    else if (cs_same_file(a->scenario_path, a->output)) {
        fprintf(stderr,
                "casesim run: the results file %s is the scenario file itself; "
                "choose another name\n",
                a->output);
        return CS_EXIT_USAGE;
    }
    if (msg) {
        fprintf(stderr, "casesim run: %s\n", msg);
        return CS_EXIT_USAGE;
    }
    return -1;
}

/* --resume: opens the file to continue, and takes the run's options from it
 * (refusing those that differ). *done gets its finished replicates. Returns
 * -1 to go on, CS_EXIT_OK when there is nothing left to do, or an exit
 * status (the file is left untouched). */
static int prepare_resume(run_args *a, cs_scenario *s, cs_results **old, uint64_t *done,
                          cs_error *err)
{
    if (access(a->output, F_OK) != 0) {
        fprintf(stderr,
                "casesim run: --resume: %s does not exist; there is nothing to resume (run "
                "without --resume)\n",
                a->output);
        return CS_EXIT_USAGE;
    }
    int st = cs_results_open(a->output, old, err);
    bool decomposed = false; /* the file holds the decomposition's variants */
    for (size_t v = 0; st == CS_OK && v < (*old)->n_variants; v++)
        decomposed |= strcmp((*old)->variants[v].kind, "decomposition") == 0;
    if (st == CS_OK && decomposed)
        st = cs_scenario_decompose(s, err);
    if (st == CS_OK && a->decompose && !decomposed)
        st = cs_error_set(err, CS_EINVAL,
                          "%s was run without --decompose: resume it without --decompose",
                          a->output);
    if (st == CS_OK)
        st = resume_options(*old, s, &a->o, done, err);
    if (st != CS_OK) {
        cs_cli_print_error("run", err);
        fprintf(stderr, "casesim run: cannot resume %s; it was left untouched\n", a->output);
        return cs_cli_exit_code(st);
    }
    if (*done == a->o.replicates && strcmp((*old)->status, "complete") == 0) {
        if (!a->quiet)
            fprintf(stderr, "casesim run: %s already holds all %llu replicates; nothing to do\n",
                    a->output, (unsigned long long)*done);
        return CS_EXIT_OK;
    }
    return -1;
}

/* The options a run takes from the scenario when not given. */
static void default_options(run_opts *o, const cs_scenario *s)
{
    if (!o->have_replicates)
        o->replicates = s->replicates;
    if (!o->have_seed)
        o->seed = s->seed;
    if (o->case_records > o->replicates)
        o->case_records = o->replicates;
}

/* Starts the output: the temporary file beside it and the writer, with the
 * replicates of the resumed file (old, closed here) copied in. Returns -1
 * to go on, or an exit status. */
static int open_output(const run_args *a, const cs_scenario *s, const char *command_line,
                       cs_results **old, uint64_t done, cs_safe_file **out, run_sink *rs,
                       cs_error *err)
{
    int st = cs_safe_file_begin(a->output, a->overwrite || a->resume, out, err);
    if (st != CS_OK) {
        cs_cli_print_error("run", err);
        return cs_cli_exit_code(st);
    }
    const run_opts *o = &a->o;
    cs_results_options opt = {.command_line = command_line,
                              .seed = o->seed,
                              .first_replicate = o->first,
                              .n_replicates = o->replicates,
                              .n_variants = o->n_variants,
                              .variants = o->variants,
                              .case_record_replicates = o->case_records,
                              .uncertain_drawn = !o->no_uncertainty,
                              .sampling = a->posterior ? a->sampling : NULL,
                              /* what the resumed file lacks, the rest leaves out */
                              .omit_arrays = *old ? cs_results_absent_arrays(*old) : 0};
    cs_result_dims d;
    cs_result_dims_of(s->n_variants ? s->variants[0].scenario : s, &d);
    if (*old && ((*old)->n_measures != d.n_measures || (*old)->n_violations == 0))
        st = cs_error_set(err, CS_EINVAL,
                          "%s was written by a casesim that measures other things than this "
                          "one (no results by violation kind, or another list of measures): "
                          "resume it with that casesim, or run it again with --overwrite",
                          a->output);
    if (st == CS_OK)
        st = cs_results_writer_open((*out)->tmp, s, &opt, &rs->writer, err);
    if (st == CS_OK && *old)
        st = cs_results_copy_replicates(*old, s, done, o->case_records > 0, rs->writer, err);
    cs_results_close(*old);
    *old = NULL;
    if (st != CS_OK) {
        cs_cli_print_error("run", err);
        fprintf(stderr, "casesim run: cannot write %s; nothing was written\n", a->output);
        return CS_EXIT_FAILURE;
    }
    return -1;
}

/* Closes the writer and publishes the file after a run that ended with st
 * (CS_OK or CS_EINTERRUPTED), and says what was written. Returns the exit
 * status. */
static int publish(const run_args *a, const cs_scenario *s, uint64_t done, int st,
                   cs_safe_file *out, run_sink *rs, cs_error *err)
{
    uint64_t finished = cs_results_writer_replicates(rs->writer);
    bool complete = st == CS_OK;
    if (!complete)
        fprintf(stderr,
                "casesim run: %s: stopping; keeping the %llu finished replicate%s of %llu\n",
                stop_signal == SIGTERM ? "terminated"
                : stop_signal != 0     ? "interrupted"
                                       : "another rank was signalled",
                (unsigned long long)finished, finished == 1 ? "" : "s",
                (unsigned long long)a->o.replicates);
    cs_error_clear(err);
    int cst = cs_results_writer_close(rs->writer, complete, err);
    rs->writer = NULL;
    if (cst == CS_OK)
        cst = cs_safe_file_publish(out, err);
    if (cst != CS_OK) {
        cs_cli_print_error("run", err);
        fprintf(stderr, "casesim run: cannot write %s; %s\n", a->output,
                a->resume ? "it was left as it was" : "nothing was written");
        return cst == CS_EUSAGE ? CS_EXIT_USAGE : CS_EXIT_FAILURE;
    }
    if (!complete) {
        fprintf(stderr, "casesim run: wrote %s with status \"incomplete\"\n", a->output);
        return stop_signal == SIGINT ? CS_EXIT_SIGINT : CS_EXIT_SIGTERM;
    }
    size_t nv = a->o.n_variants ? a->o.n_variants : s->n_variants;
    if (!a->quiet)
        fprintf(stderr, "casesim run: wrote %llu replicate%s of %zu variant%s to %s%s\n",
                (unsigned long long)finished, finished == 1 ? "" : "s", nv, nv == 1 ? "" : "s",
                a->output, done ? " (resumed: the missing replicates were run)" : "");
    return CS_EXIT_OK;
}

/* Runs the replicates not yet done, with the signal handlers installed and
 * progress shown, then publishes (or reports the failure). Returns the exit
 * status. */
static int run_and_publish(const run_args *a, const cs_scenario *s, uint64_t done,
                           cs_safe_file *out, run_sink *rs, cs_error *err)
{
    const run_opts *o = &a->o;
    signals sv;
    signals_catch(&sv);
    cs_progress_init(&rs->progress, o->replicates, a->quiet);
    run_params p = {.seed = o->seed,
                    .first = o->first + done,
                    .n = o->replicates - done,
                    .case_records = o->case_records > done ? o->case_records - done : 0,
                    .threads = a->threads,
                    .n_variants = o->n_variants,
                    .no_uncertainty = o->no_uncertainty,
                    .decompose = s->has_decomposition};
    int st = execute(s, &p, o->variants, rs, err);
    cs_progress_finish(&rs->progress);
    /* A signal that arrives after the last replicate finished loses nothing:
     * the run is complete and reported as such. */
    int rc;
    if (st == CS_OK || st == CS_EINTERRUPTED) {
        rc = publish(a, s, done, st, out, rs, err);
    } else {
        cs_cli_print_error("run", err);
        fprintf(stderr, "casesim run: the run failed (%s); %s %s\n", cs_status_name(st),
                a->resume ? "nothing was changed in" : "nothing was written to", a->output);
        rc = CS_EXIT_FAILURE;
    }
    signals_restore(&sv);
    return rc;
}

/* --posterior: the calibration file, checked against the scenario's
 * uncertain inputs, resampled under the run's seed. Returns -1 to go on, or
 * an exit status. */
static int load_posterior(run_args *a, const cs_scenario *s, cs_error *err)
{
    cs_calibration_file *f = NULL;
    cs_calibration *c = NULL;
    char *source = NULL;
    int st = cs_calibration_file_read(a->posterior, &f, err);
    if (st == CS_OK && f->method && !strcmp(f->method, "predictive"))
        st = cs_error_set(err, CS_EUSAGE,
                          "%s is a predictive check (draws of the priors), not a calibration",
                          a->posterior);
    if (st == CS_OK)
        st = cs_calibration_file_check_inputs(f, s, a->posterior, err);
    if (st == CS_OK)
        st = cs_calibration_file_load(a->posterior, &c, &source, err);
    if (st == CS_OK)
        st = cs_posterior_draws_make(c, s, a->o.seed, &a->draws, err);
    if (st == CS_OK) {
        snprintf(a->sampling, sizeof a->sampling, "posterior %016llx",
                 (unsigned long long)c->checksum);
        posterior = &a->draws;
    }
    cs_calibration_file_free(f);
    cs_calibration_free(c);
    free(source);
    if (st == CS_OK)
        return -1;
    cs_cli_print_error("run", err);
    fprintf(stderr, "casesim run: cannot run on the posterior of %s; nothing was written\n",
            a->posterior);
    return cs_cli_exit_code(st);
}

static int run_main(int argc, char **argv)
{
    run_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc < 0)
        rc = check_args(&a);
    if (rc >= 0)
        return rc;
    static cs_error err; /* large: keep it off the stack */
    cs_error_clear(&err);
    cs_scenario *s = NULL;
    int st = cs_scenario_load(a.scenario_path, &s, &err);
    if (st != CS_OK) {
        cs_cli_print_error("run", &err);
        fprintf(stderr, "casesim run: %s is not a valid scenario; nothing was written\n",
                a.scenario_path);
        return cs_cli_exit_code(st);
    }
    if (a.decompose && (st = cs_scenario_decompose(s, &err)) != CS_OK) {
        cs_cli_print_error("run", &err);
        fprintf(stderr, "casesim run: --decompose: %s cannot be decomposed; nothing was written\n",
                a.scenario_path);
        cs_scenario_free(s);
        return cs_cli_exit_code(st);
    }
    char *command_line = NULL;
    cs_safe_file *out = NULL;
    cs_results *old = NULL;
    run_sink rs = {NULL, {0}};
    uint64_t done = 0; /* replicates carried over from the file resumed */
    rc = a.only ? select_variants(s, a.only, &a.o.variants, &a.o.n_variants) : -1;
    if (rc == CS_EXIT_OK)
        rc = -1;
    if (rc < 0 && a.resume)
        rc = prepare_resume(&a, s, &old, &done, &err);
    else if (rc < 0)
        default_options(&a.o, s);
    if (rc < 0 && a.posterior)
        rc = load_posterior(&a, s, &err);
    if (rc < 0 && !(command_line = cs_cli_command_line(argc, argv))) {
        fprintf(stderr, "casesim run: out of memory\n");
        rc = CS_EXIT_FAILURE;
    }
    if (rc < 0)
        rc = open_output(&a, s, command_line, &old, done, &out, &rs, &err);
    if (rc < 0)
        rc = run_and_publish(&a, s, done, out, &rs, &err);
    cs_results_close(old);
    cs_results_writer_free(rs.writer);
    cs_safe_file_free(out);
    free(command_line);
    free(a.o.variants);
    posterior = NULL;
    cs_posterior_draws_release(&a.draws);
    cs_scenario_free(s);
    return rc;
}

int cs_cli_run(int argc, char **argv)
{
#ifdef CASESIM_HAVE_MPI
    int provided = MPI_THREAD_SINGLE;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "casesim run: MPI could not be initialised\n");
        return CS_EXIT_FAILURE;
    }
    /* Errors on MPI calls come back as codes (checked where it matters) and a
     * lost rank ends the job through mpirun, rather than aborting here. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &mpi.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &mpi.size);
    int rc;
    if (mpi.size > 1 && provided < MPI_THREAD_SERIALIZED) {
        if (mpi.rank == 0)
            fprintf(stderr, "casesim run: this MPI library does not provide "
                            "MPI_THREAD_SERIALIZED, which the MPI run needs\n");
        rc = CS_EXIT_FAILURE;
    } else if (mpi.rank > 0) {
        rc = mpi_follow();
    } else {
        rc = run_main(argc, argv);
        /* The exit status, to the other ranks: if they were released, after
         * the run; if not (an error, --help, nothing to resume), in place of
         * the release, and they end at once with it. */
        if (mpi.size > 1)
            MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    }
    MPI_Finalize();
    return rc;
#else
    return run_main(argc, argv);
#endif
}
