/*
 * cli/sensitivity.c — `casesim sensitivity SCENARIO.yaml -o S.h5`: which
 * uncertain input drives which output (casesim/study.h).
 *
 * The study's runs are written as the replicates of an ordinary results
 * file (run p = replicate p, every variant at the same point with common
 * random numbers), so that interruption, --resume, progress and the file's
 * checks are those of `casesim run`; /sensitivity holds the design and, once
 * every run is done, the outputs and the indices. SIGINT/SIGTERM keep the
 * finished runs in a file marked incomplete; --resume runs the rest and
 * gives the file an uninterrupted run would have given, bit for bit.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casesim/engine.h"
#include "casesim/results.h"
#include "casesim/results_join.h"
#include "casesim/safe_file.h"
#include "casesim/scenario.h"
#include "casesim/study.h"
#include "cli/cli.h"
#include "cli/progress.h"
#ifdef CASESIM_HAVE_MPI
#include "casesim/engine_mpi.h"
#endif

#define CMD "sensitivity"
#define MAX_REQUESTS 64

static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void usage(FILE *to)
{
    fprintf(to,
            "usage: casesim sensitivity SCENARIO.yaml -o S.h5 [options]\n"
            "\n"
            "Finds which uncertain input (the scenario's uncertain: section) drives each output:\n"
            "Sobol indices on Saltelli's design with bootstrap intervals and the share of the\n"
            "simulation's own noise, or Morris screening, and one-way (tornado) values. Every\n"
            "point runs every variant with the same incidents (common random numbers).\n"
            "\n"
            "Outputs: the outcome measure (the decision's, else impunity_rate) of the decision's\n"
            "group (else the most affected group) for every variant, that group's accountability\n"
            "ratio in the baseline, and each variant's change from the baseline; and per\n"
            "--measure, that measure for every variant.\n"
            "\n"
            "options:\n"
            "  -o, --output FILE        the results file to write (required)\n"
            "  -N, --samples N          rows of Saltelli's matrices, a power of two (default\n"
            "                           1024): N (D + 2) runs for D factors\n"
            "  -m, --method M           sobol (default) or morris\n"
            "      --trajectories R     Morris trajectories (default 20): R (D + 1) runs\n"
            "      --noise M            points of the design run twice, for the noise share\n"
            "                           (default N / 16, at least 16; 0: none)\n"
            "      --measure NAME       also explain measure NAME (repeatable) ...\n"
            "      --group G            ... of group G (follows its --measure; default: the\n"
            "                           outcome's group; \"all\" for all groups together)\n"
            "      --group-by stage     one factor per stage named by the entries' paths\n"
            "                           (entries with group: keep their group)\n"
            "  -s, --seed S             master seed of the design and the runs (default:\n"
            "                           the scenario's run.seed)\n"
            "  -t, --threads T          threads (default: OpenMP's)\n"
            "      --overwrite          replace S.h5 if it exists\n"
            "      --resume             finish the interrupted study in S.h5\n"
            "  -q, --quiet              no progress display\n"
            "  -h, --help               this help\n"
            "\n"
            "Exit status: 0 done; 2 bad usage or input (nothing written); 1 a failure while\n"
            "running; 130/143 interrupted (finished runs kept, the file marked incomplete).\n");
}

typedef struct sens_args {
    const char *scenario_path, *output;
    cs_study_options o;
    bool have_seed, overwrite, resume, quiet, noise_given;
    uint64_t threads;
    size_t n_req;
    cs_study_request req[MAX_REQUESTS];
} sens_args;

enum { OPT_TRAJ = 256, OPT_NOISE, OPT_MEASURE, OPT_GROUP, OPT_GROUP_BY, OPT_OVERWRITE, OPT_RESUME };

static int take_request(int c, sens_args *a)
{
    if (c == OPT_MEASURE) {
        if (a->n_req == MAX_REQUESTS) {
            fprintf(stderr, "casesim " CMD ": at most %d --measure options\n", MAX_REQUESTS);
            return CS_EXIT_USAGE;
        }
        a->req[a->n_req++] = (cs_study_request){optarg, ""};
        return -1;
    }
    if (a->n_req == 0 || a->req[a->n_req - 1].group[0]) {
        fprintf(stderr, "casesim " CMD ": --group %s must follow the --measure it is for\n",
                optarg);
        return CS_EXIT_USAGE;
    }
    a->req[a->n_req - 1].group = optarg;
    return -1;
}

static int take_method(const char *m, sens_args *a)
{
    if (strcmp(m, "sobol") == 0)
        a->o.method = CS_STUDY_SOBOL;
    else if (strcmp(m, "morris") == 0)
        a->o.method = CS_STUDY_MORRIS;
    else {
        fprintf(stderr, "casesim " CMD ": --method must be sobol or morris, not '%s'\n", m);
        return CS_EXIT_USAGE;
    }
    return -1;
}

static int take_size(const char *opt, size_t lo, size_t *out)
{
    uint64_t v;
    if (cs_cli_parse_u64(CMD, opt, optarg, lo, CS_SENS_MAX_ROWS, &v))
        return CS_EXIT_USAGE;
    *out = (size_t)v;
    return -1;
}

/* Applies option c to a. Returns -1 to go on, or the exit status. */
static int take_option(int c, sens_args *a, char **argv)
{
    switch (c) {
    case 'o':
        a->output = optarg;
        return -1;
    case 'N':
        return take_size("--samples", 1, &a->o.samples);
    case 'm':
        return take_method(optarg, a);
    case OPT_TRAJ:
        return take_size("--trajectories", 2, &a->o.trajectories);
    case OPT_NOISE:
        a->noise_given = true;
        return take_size("--noise", 0, &a->o.noise_points);
    case OPT_MEASURE:
    case OPT_GROUP:
        return take_request(c, a);
    case OPT_GROUP_BY:
        if (strcmp(optarg, "stage") != 0) {
            fprintf(stderr, "casesim " CMD ": --group-by takes 'stage', not '%s'\n", optarg);
            return CS_EXIT_USAGE;
        }
        a->o.group_by_stage = true;
        return -1;
    case 's':
        a->have_seed = true;
        return cs_cli_parse_u64(CMD, "--seed", optarg, 0, UINT64_MAX, &a->o.seed) ? CS_EXIT_USAGE
                                                                                  : -1;
    case 't':
        return cs_cli_parse_u64(CMD, "--threads", optarg, 1, 4096, &a->threads) ? CS_EXIT_USAGE
                                                                                : -1;
    case OPT_OVERWRITE:
        a->overwrite = true;
        return -1;
    case OPT_RESUME:
        a->resume = true;
        return -1;
    case 'q':
        a->quiet = true;
        return -1;
    case 'h':
        usage(stdout);
        return CS_EXIT_OK;
    default:
        return cs_cli_bad_option(CMD, c, argv, usage);
    }
}

static int parse_args(int argc, char **argv, sens_args *a)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"samples", required_argument, NULL, 'N'},
        {"method", required_argument, NULL, 'm'},
        {"trajectories", required_argument, NULL, OPT_TRAJ},
        {"noise", required_argument, NULL, OPT_NOISE},
        {"measure", required_argument, NULL, OPT_MEASURE},
        {"group", required_argument, NULL, OPT_GROUP},
        {"group-by", required_argument, NULL, OPT_GROUP_BY},
        {"seed", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},
        {"overwrite", no_argument, NULL, OPT_OVERWRITE},
        {"resume", no_argument, NULL, OPT_RESUME},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    a->o.samples = 1024;
    a->o.trajectories = CS_STUDY_TRAJECTORIES;
    optind = 0;
    opterr = 0;
    int c, rc = -1;
    while (rc < 0 && (c = getopt_long(argc, argv, ":o:N:m:s:t:qh", longopts, NULL)) != -1)
        rc = take_option(c, a, argv);
    if (rc >= 0)
        return rc;
    const char *msg = NULL;
    if (optind != argc - 1)
        msg = optind >= argc ? "no scenario file given" : "give exactly one scenario file";
    else if (!a->output)
        msg = "name the results file with -o S.h5";
    else if (a->resume && a->overwrite)
        msg = "--resume continues S.h5 and --overwrite replaces it: give one of them";
    if (msg) {
        fprintf(stderr, "casesim " CMD ": %s\n", msg);
        return CS_EXIT_USAGE;
    }
    a->scenario_path = argv[optind];
    if (!a->noise_given) {
        size_t m = a->o.samples / 16 < 16 ? 16 : a->o.samples / 16;
        a->o.noise_points = m < a->o.samples ? m : a->o.samples;
    }
    if (a->o.method == CS_STUDY_MORRIS)
        a->o.noise_points = 0; /* Morris screens; it has no variance to split */
    return -1;
}

/* The scenario's measure, group and variant names (for requests and
 * outputs); owned by the struct, freed with names_free. */
typedef struct names_buf {
    cs_study_names n;
    char **measures;
    const char **groups, **variants;
} names_buf;

static void names_free(names_buf *b)
{
    for (size_t i = 0; b->measures && i < b->n.n_measures; i++)
        free(b->measures[i]);
    free(b->measures);
    free(b->groups);
    free(b->variants);
}

static int names_make(const cs_scenario *s, names_buf *b)
{
    memset(b, 0, sizeof *b);
    size_t M = CS_M_FIXED_COUNT + s->n_categories;
    b->measures = calloc(M, sizeof *b->measures);
    b->groups = calloc(s->n_groups, sizeof *b->groups);
    b->variants = calloc(s->n_variants, sizeof *b->variants);
    if (!b->measures || !b->groups || !b->variants)
        return CS_ENOMEM;
    b->n.n_measures = M;
    for (size_t m = 0; m < M; m++) {
        char buf[CS_MAX_NAME_LEN + 64];
        if (!(b->measures[m] = strdup(cs_measure_name(s, m, buf, sizeof buf))))
            return CS_ENOMEM;
    }
    for (size_t g = 0; g < s->n_groups; g++)
        b->groups[g] = s->groups[g].name;
    for (size_t v = 0; v < s->n_variants; v++)
        b->variants[v] = s->variants[v].name;
    b->n = (cs_study_names){
        M, (const char *const *)b->measures, s->n_groups, b->groups, s->n_variants, b->variants};
    return CS_OK;
}

/* Everything a study needs between its steps. */
typedef struct sens_run {
    sens_args a;
    cs_scenario *s;
    cs_study *st;
    names_buf names;
    char *command_line;
    cs_safe_file *out;
    cs_results *old;
    cs_results_writer *writer;
    cs_progress progress;
    uint64_t done; /* runs carried over from the file resumed */
} sens_run;

static void sens_run_free(sens_run *r)
{
    cs_results_close(r->old);
    cs_results_writer_free(r->writer);
    cs_safe_file_free(r->out);
    free(r->command_line);
    names_free(&r->names);
    cs_study_free(r->st);
    cs_scenario_free(r->s);
}

/* Loads the scenario and plans the study; every bad input is found here,
 * before any file is touched. Returns -1 or the exit status. */
static int plan(sens_run *r, cs_error *err)
{
    int st = cs_scenario_load(r->a.scenario_path, &r->s, err);
    if (st != CS_OK) {
        cs_cli_print_error(CMD, err);
        fprintf(stderr, "casesim " CMD ": %s is not a valid scenario; nothing was written\n",
                r->a.scenario_path);
        return cs_cli_exit_code(st);
    }
    if (!r->a.have_seed)
        r->a.o.seed = r->s->seed;
    st = names_make(r->s, &r->names) == CS_OK ? CS_OK
                                              : cs_error_set(err, CS_ENOMEM, "out of memory");
    if (st == CS_OK)
        st = cs_study_check_requests(&r->names.n, r->a.req, r->a.n_req, err);
    if (st == CS_OK)
        st = cs_study_alloc(r->s, &r->a.o, &r->st, err);
    if (st != CS_OK) {
        cs_cli_print_error(CMD, err);
        fprintf(stderr, "casesim " CMD ": nothing was written\n");
        return cs_cli_exit_code(st);
    }
    return -1;
}

/* --resume: the file must hold a study of the same scenario, seed and
 * design. Sets r->done. */
static int check_resumable(sens_run *r, cs_error *err)
{
    cs_results_run_info info;
    int st = cs_results_run_info_get(r->old, r->s, &info, err);
    free(info.variants);
    cs_study_file *f = NULL;
    if (st == CS_OK)
        st = cs_study_read(r->old, &f, err);
    const cs_study *d = r->st;
    if (st == CS_OK && !f)
        st =
            cs_error_set(err, CS_EINVAL, "%s is not the file of a sensitivity study", r->old->path);
    else if (st == CS_OK &&
             (strcmp(f->method, cs_study_method_name(d->method)) || f->rows != d->n_rows ||
              f->n_factors != d->n_factors || f->noise_points != d->n_noise || f->seed != d->seed ||
              r->old->seed != d->seed || f->points != d->n_points))
        st = cs_error_set(err, CS_EINVAL,
                          "%s holds another design (%s, %llu rows, %zu factors, %llu noise "
                          "points, seed %llu): resume with the options it was started with",
                          r->old->path, f->method, (unsigned long long)f->rows, f->n_factors,
                          (unsigned long long)f->noise_points, (unsigned long long)f->seed);
    if (st == CS_OK)
        r->done = r->old->replicates;
    cs_study_file_free(f);
    return st;
}

static int prepare_resume(sens_run *r, cs_error *err)
{
    if (access(r->a.output, F_OK) != 0) {
        fprintf(stderr,
                "casesim " CMD ": --resume: %s does not exist; there is nothing to "
                "resume (run without --resume)\n",
                r->a.output);
        return CS_EXIT_USAGE;
    }
    int st = cs_results_open(r->a.output, &r->old, err);
    if (st == CS_OK)
        st = check_resumable(r, err);
    if (st != CS_OK) {
        cs_cli_print_error(CMD, err);
        fprintf(stderr, "casesim " CMD ": cannot resume %s; it was left untouched\n", r->a.output);
        return cs_cli_exit_code(st);
    }
    if (r->done == r->st->n_points && strcmp(r->old->status, "complete") == 0) {
        if (!r->a.quiet)
            fprintf(stderr, "casesim " CMD ": %s already holds all %zu runs; nothing to do\n",
                    r->a.output, r->st->n_points);
        return CS_EXIT_OK;
    }
    return -1;
}

/* The temporary output file and its writer, with the resumed runs. */
static int open_output(sens_run *r, int argc, char **argv, cs_error *err)
{
    if (!(r->command_line = cs_cli_command_line(argc, argv))) {
        fprintf(stderr, "casesim " CMD ": out of memory\n");
        return CS_EXIT_FAILURE;
    }
    int st = cs_safe_file_begin(r->a.output, r->a.overwrite || r->a.resume, &r->out, err);
    if (st != CS_OK) {
        cs_cli_print_error(CMD, err);
        return cs_cli_exit_code(st);
    }
    cs_results_options opt = {.command_line = r->command_line,
                              .seed = r->st->seed,
                              .n_replicates = r->st->n_points,
                              .uncertain_drawn = true,
                              .design = r->st->method == CS_STUDY_SOBOL ? "saltelli" : "morris"};
    st = cs_results_writer_open(r->out->tmp, r->s, &opt, &r->writer, err);
    if (st == CS_OK && r->old)
        st = cs_results_copy_replicates(r->old, r->s, r->done, false, r->writer, err);
    cs_results_close(r->old);
    r->old = NULL;
    if (st != CS_OK) {
        cs_cli_print_error(CMD, err);
        fprintf(stderr, "casesim " CMD ": cannot write %s; nothing was written\n", r->a.output);
        return CS_EXIT_FAILURE;
    }
    return -1;
}

static int sink(void *ctx, const cs_replicate_result *res, cs_error *err)
{
    sens_run *r = ctx;
    int st = cs_results_writer_append(r->writer, res, err);
    if (st == CS_OK)
        cs_progress_update(&r->progress, cs_results_writer_replicates(r->writer));
    return st;
}

/* The run of the runs from `first` on, over the table of d's points
 * (table, src: filled here, must outlive the configuration). */
static cs_run_config run_config(const cs_study *d, uint64_t first, uint64_t threads,
                                cs_table_source *table, cs_point_source *src)
{
    *table = (cs_table_source){.values = d->values,
                               .n_points = d->n_points,
                               .n_values = d->n_values,
                               .replicates_per_point = 1};
    cs_point_source_table(src, table);
    return (cs_run_config){.seed = d->seed,
                           .first_replicate = first,
                           .n_replicates = d->n_points - first,
                           .threads = (int)threads,
                           .stop = &stop_signal,
                           .points = src};
}

#ifdef CASESIM_HAVE_MPI
/* This process's rank and the number of ranks. */
typedef struct mpi_state {
    int rank, size;
} mpi_state;
static mpi_state mpi = {0, 1};

/* What every rank needs to plan the same study and run its share. */
typedef struct mpi_params {
    uint64_t method, samples, trajectories, noise_points, seed, group_by_stage, threads, first;
} mpi_params;

/* Rank 0: sends the other ranks the parameters and the scenario text;
 * they plan the same study (the points are functions of the scenario and
 * the options alone) and agree on the outcome. */
static int mpi_release(const sens_run *r, cs_error *err)
{
    const cs_study_options *o = &r->a.o;
    mpi_params q = {o->method, o->samples,        o->trajectories, o->noise_points,
                    o->seed,   o->group_by_stage, r->a.threads,    r->done};
    return cs_cli_mpi_release(&q, sizeof q, r->s, err);
}

/* Ranks other than 0: plan the study rank 0 sends and run this rank's share. */
static int mpi_follow_run(const void *params, const char *path, const char *text, size_t len,
                          cs_error *err)
{
    const mpi_params *q = params;
    cs_scenario *s = NULL;
    cs_study *d = NULL;
    cs_study_options o = {.method = (cs_study_method)q->method,
                          .samples = (size_t)q->samples,
                          .trajectories = (size_t)q->trajectories,
                          .noise_points = (size_t)q->noise_points,
                          .seed = q->seed,
                          .group_by_stage = q->group_by_stage != 0};
    int st = cs_scenario_load_string(text, len, path, &s, err);
    if (st == CS_OK)
        st = cs_study_alloc(s, &o, &d, err);
    st = cs_mpi_agree(MPI_COMM_WORLD, st, err);
    if (st == CS_OK) {
        struct sigaction old[2];
        cs_cli_signals_catch(on_signal, old);
        cs_table_source table;
        cs_point_source src;
        cs_run_config cfg = run_config(d, q->first, q->threads, &table, &src);
        cs_sim_run_mpi(s, &cfg, MPI_COMM_WORLD, err);
        cs_cli_signals_restore(old);
    }
    cs_study_free(d);
    cs_scenario_free(s);
    return st;
}

/* Ranks other than 0: run this rank's share of the study rank 0 releases
 * them to; rank 0's exit status. */
static int mpi_follow(void)
{
    mpi_params q;
    return cs_cli_mpi_follow(&q, sizeof q, mpi_follow_run);
}
#endif

/* Runs the runs not yet done: in this process, or over the MPI ranks. */
static int execute(sens_run *r, cs_error *err)
{
    cs_table_source table;
    cs_point_source src;
    cs_run_config cfg = run_config(r->st, r->done, r->a.threads, &table, &src);
    cfg.sink = sink;
    cfg.sink_ctx = r;
#ifdef CASESIM_HAVE_MPI
    if (mpi.size > 1) {
        int st = mpi_release(r, err);
        return st == CS_OK ? cs_sim_run_mpi(r->s, &cfg, MPI_COMM_WORLD, err) : st;
    }
#endif
    return cs_sim_run(r->s, &cfg, err);
}

/* The outcome measure and group of the default outputs: the decision's,
 * else impunity_rate of the most affected group (as the file's ranking
 * found it over the design's runs). */
static void default_outcome(const cs_scenario *s, const cs_results *f, const char **measure,
                            const char **group)
{
    *measure = s->decision.given && s->decision.measure ? s->decision.measure : "impunity_rate";
    *group = s->decision.given && s->decision.group ? s->decision.group
             : f->most_affected_group[0]            ? f->most_affected_group
                                                    : s->groups[0].name;
}

/* The outputs at every run, from the measures the closed file holds. */
static int outputs_from_file(sens_run *r, cs_study_outputs *o, double **y, cs_error *err)
{
    cs_results *f = NULL;
    size_t V = r->s->n_variants, P = r->st->n_points;
    double **m = calloc(V, sizeof *m);
    int st = m ? cs_results_open(r->out->tmp, &f, err) : CS_ENOMEM;
    for (size_t v = 0; v < V && st == CS_OK; v++) {
        uint64_t rows = 0;
        st = cs_results_read_measures(f, v, &m[v], &rows, err);
        if (st == CS_OK && rows != P)
            st = cs_error_set(err, CS_EINTERNAL, "%llu runs in the file, %zu expected",
                              (unsigned long long)rows, P);
    }
    const char *measure = NULL, *group = NULL;
    if (st == CS_OK) {
        default_outcome(r->s, f, &measure, &group);
        st = cs_study_outputs_make(&r->names.n, measure, group, r->a.req, r->a.n_req, o, err);
    }
    if (st == CS_OK && !(*y = calloc(P * o->n, sizeof **y)))
        st = CS_ENOMEM;
    if (st == CS_OK)
        cs_study_outputs_eval(o, (const double *const *)m, P, f->dims.n_group_rows,
                              f->dims.n_measures, *y);
    for (size_t v = 0; m && v < V; v++)
        free(m[v]);
    free(m);
    cs_results_close(f);
    return st == CS_ENOMEM ? cs_error_set(err, st, "out of memory") : st;
}

/* Writes /sensitivity into the closed file: the analysis if complete. */
static int write_study(sens_run *r, bool complete, cs_error *err)
{
    uint64_t done = complete ? r->st->n_points : 0;
    if (!complete) {
        cs_results *f = NULL;
        int st = cs_results_open(r->out->tmp, &f, err);
        if (st == CS_OK)
            done = f->replicates;
        cs_results_close(f);
        return st == CS_OK ? cs_study_write(r->out->tmp, r->st, done, NULL, NULL, NULL, err) : st;
    }
    cs_study_outputs o;
    memset(&o, 0, sizeof o);
    double *y = NULL;
    cs_study_result *res = NULL;
    int st = outputs_from_file(r, &o, &y, err);
    if (st == CS_OK)
        st = cs_study_analyse(r->st, y, o.n, NULL, &res, err);
    if (st == CS_OK)
        st = cs_study_write(r->out->tmp, r->st, done, &o, y, res, err);
    cs_study_result_free(res);
    free(y);
    cs_study_outputs_free(&o);
    return st;
}

/* Closes the file, adds /sensitivity and publishes. Returns the exit status. */
static int publish(sens_run *r, int st, cs_error *err)
{
    bool complete = st == CS_OK;
    uint64_t finished = cs_results_writer_replicates(r->writer);
    if (!complete)
        fprintf(stderr, "casesim " CMD ": %s: stopping; keeping the %llu finished runs of %zu\n",
                stop_signal == SIGTERM ? "terminated" : "interrupted", (unsigned long long)finished,
                r->st->n_points);
    cs_error_clear(err);
    int cst = cs_results_writer_close(r->writer, complete, err);
    r->writer = NULL;
    if (cst == CS_OK)
        cst = write_study(r, complete, err);
    if (cst == CS_OK)
        cst = cs_safe_file_publish(r->out, err);
    if (cst != CS_OK) {
        cs_cli_print_error(CMD, err);
        fprintf(stderr, "casesim " CMD ": cannot write %s; %s\n", r->a.output,
                r->a.resume ? "it was left as it was" : "nothing was written");
        return CS_EXIT_FAILURE;
    }
    if (!complete) {
        fprintf(stderr,
                "casesim " CMD ": wrote %s with status \"incomplete\"; finish it with "
                "--resume\n",
                r->a.output);
        return stop_signal == SIGINT ? CS_EXIT_SIGINT : CS_EXIT_SIGTERM;
    }
    if (!r->a.quiet)
        fprintf(stderr, "casesim " CMD ": wrote %zu runs of %zu variants to %s\n", r->st->n_points,
                r->s->n_variants, r->a.output);
    return CS_EXIT_OK;
}

/* Says what will run, runs it with progress and signals, publishes. */
static int run_and_publish(sens_run *r, cs_error *err)
{
    const cs_study *d = r->st;
    if (!r->a.quiet)
        fprintf(stderr,
                "casesim " CMD ": %s, %zu factors, %zu %s: %zu design runs, %zu noise runs, "
                "%zu one-way runs, each of %zu variants\n",
                cs_study_method_name(d->method), d->n_factors, d->n_rows,
                d->method == CS_STUDY_SOBOL ? "rows" : "trajectories", d->n_design, d->n_noise,
                d->n_tornado, r->s->n_variants);
    struct sigaction old[2];
    cs_cli_signals_catch(on_signal, old);
    cs_progress_init(&r->progress, d->n_points, r->a.quiet);
    cs_progress_update(&r->progress, r->done);
    int st = execute(r, err);
    cs_progress_finish(&r->progress);
    int rc;
    if (st == CS_OK || st == CS_EINTERRUPTED) {
        rc = publish(r, st, err);
    } else {
        cs_cli_print_error(CMD, err);
        fprintf(stderr, "casesim " CMD ": the study failed (%s); %s %s\n", cs_status_name(st),
                r->a.resume ? "nothing was changed in" : "nothing was written to", r->a.output);
        rc = CS_EXIT_FAILURE;
    }
    cs_cli_signals_restore(old);
    return rc;
}

static int sensitivity_main(int argc, char **argv)
{
    static sens_run r; /* large: keep it off the stack */
    static cs_error err;
    memset(&r, 0, sizeof r);
    cs_error_clear(&err);
    int rc = parse_args(argc, argv, &r.a);
    if (rc < 0 && cs_same_file(r.a.scenario_path, r.a.output)) {
        fprintf(stderr, "casesim " CMD ": the results file %s is the scenario file itself\n",
                r.a.output);
        rc = CS_EXIT_USAGE;
    }
    if (rc < 0)
        rc = plan(&r, &err);
    if (rc < 0 && r.a.resume)
        rc = prepare_resume(&r, &err);
    if (rc < 0)
        rc = open_output(&r, argc, argv, &err);
    if (rc < 0)
        rc = run_and_publish(&r, &err);
    sens_run_free(&r);
    return rc;
}

int cs_cli_sensitivity(int argc, char **argv)
{
#ifdef CASESIM_HAVE_MPI
    return cs_cli_mpi_command(CMD, argc, argv, sensitivity_main, mpi_follow, &mpi.rank, &mpi.size);
#else
    return sensitivity_main(argc, argv);
#endif
}
