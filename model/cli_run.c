/*
 * cli_run.c — `casesim run SCENARIO.yaml -o RESULTS.h5`: loads and validates
 * the scenario, runs every selected variant's replicates in parallel, writes
 * each finished replicate to a temporary file beside RESULTS.h5, and
 * publishes it under its name once closed. SIGINT/SIGTERM stop the run
 * cleanly: finished replicates are kept, the file is marked "incomplete" and
 * published, and the exit status is 130/143.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/engine.h"
#include "casesim/results.h"
#include "casesim/safe_file.h"
#include "casesim/scenario.h"
#include "cli.h"
#include "cli_progress.h"

static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int sig)
{
    stop_signal = sig;
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
        "      --case-records N     also write one record per case for the first N\n"
        "                           replicates (large: use a few)\n"
        "      --first-replicate K  run replicates K .. K+N-1 (to split a run over jobs\n"
        "                           and join the files with casesim merge)\n"
        "      --overwrite          replace RESULTS.h5 if it exists\n"
        "  -q, --quiet              no progress display\n"
        "  -h, --help               this help\n"
        "\n"
        "Exit status: 0 done; 2 bad usage or invalid scenario (nothing written); 1 a failure\n"
        "while running (nothing written); 130/143 interrupted by SIGINT/SIGTERM (finished\n"
        "replicates kept, the file marked status = \"incomplete\").\n");
}

/* Parses a whole unsigned decimal number in [lo, hi]. */
static int parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (!s || !*s || *s == '-' || *s == '+') {
        fprintf(stderr, "casesim run: %s needs a whole number, got '%s'\n", opt, s ? s : "");
        return -1;
    }
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi) {
        fprintf(stderr, "casesim run: %s must be a whole number from %llu to %llu, got '%s'\n", opt,
                (unsigned long long)lo, (unsigned long long)hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* The command line as one string, arguments with special characters in
 * single quotes (for the results file's provenance). Returns a new string or
 * NULL. */
static char *join_command_line(int argc, char **argv)
{
    size_t n = strlen("casesim") + 1;
    for (int i = 0; i < argc; i++)
        n += 4 * strlen(argv[i]) + 3;
    char *s = malloc(n);
    if (!s)
        return NULL;
    char *p = s;
    p += sprintf(p, "casesim");
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool plain = *a != '\0' && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789-_./=,:+@%") == strlen(a);
        *p++ = ' ';
        if (plain) {
            p += sprintf(p, "%s", a);
            continue;
        }
        *p++ = '\'';
        for (; *a; a++) {
            if (*a == '\'') {
                memcpy(p, "'\\''", 4);
                p += 4;
            } else {
                *p++ = *a;
            }
        }
        *p++ = '\'';
        *p = '\0';
    }
    return s;
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
    want[0] = true;
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

static void print_error(const cs_error *err)
{
    fputs(err->text, stderr);
    if (err->dropped)
        fprintf(stderr, "casesim run: (%zu more messages not shown)\n", err->dropped);
}

int cs_cli_run(int argc, char **argv)
{
    enum { OPT_ONLY = 256, OPT_CASES, OPT_FIRST, OPT_OVERWRITE };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"replicates", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},
        {"only", required_argument, NULL, OPT_ONLY},
        {"case-records", required_argument, NULL, OPT_CASES},
        {"first-replicate", required_argument, NULL, OPT_FIRST},
        {"overwrite", no_argument, NULL, OPT_OVERWRITE},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *output = NULL, *only = NULL;
    uint64_t replicates = 0, seed = 0, threads = 0, case_records = 0, first = 0;
    bool have_replicates = false, have_seed = false, overwrite = false, quiet = false;
    int c;
    optind = 0; /* GNU getopt: reinitialise, since argv starts at "run" */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:n:s:t:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case 'n':
            if (parse_u64("--replicates", optarg, 1, CS_MAX_REPLICATES, &replicates))
                return CS_EXIT_USAGE;
            have_replicates = true;
            break;
        case 's':
            if (parse_u64("--seed", optarg, 0, UINT64_MAX, &seed))
                return CS_EXIT_USAGE;
            have_seed = true;
            break;
        case 't':
            if (parse_u64("--threads", optarg, 1, 4096, &threads))
                return CS_EXIT_USAGE;
            break;
        case OPT_ONLY:
            only = optarg;
            break;
        case OPT_CASES:
            if (parse_u64("--case-records", optarg, 0, CS_MAX_REPLICATES, &case_records))
                return CS_EXIT_USAGE;
            break;
        case OPT_FIRST:
            if (parse_u64("--first-replicate", optarg, 0, UINT64_MAX / 2, &first))
                return CS_EXIT_USAGE;
            break;
        case OPT_OVERWRITE:
            overwrite = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            usage(stdout);
            return CS_EXIT_OK;
        case ':':
            fprintf(stderr, "casesim run: %s needs a value\n", argv[optind - 1]);
            return CS_EXIT_USAGE;
        default:
            fprintf(stderr, "casesim run: unknown option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return CS_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "casesim run: %s\n",
                optind >= argc ? "no scenario file given" : "give exactly one scenario file");
        usage(stderr);
        return CS_EXIT_USAGE;
    }
    const char *scenario_path = argv[optind];
    if (!output) {
        fprintf(stderr, "casesim run: name the results file with -o RESULTS.h5\n");
        return CS_EXIT_USAGE;
    }
    if (cs_same_file(scenario_path, output)) {
        fprintf(stderr,
                "casesim run: the results file %s is the scenario file itself; "
                "choose another name\n",
                output);
        return CS_EXIT_USAGE;
    }

    static cs_error err; /* large: keep it off the stack */
    cs_error_clear(&err);
    cs_scenario *s = NULL;
    int st = cs_scenario_load(scenario_path, &s, &err);
    if (st != CS_OK) {
        print_error(&err);
        fprintf(stderr, "casesim run: %s is not a valid scenario; nothing was written\n",
                scenario_path);
        return cs_cli_exit_code(st);
    }
    if (!have_replicates)
        replicates = s->replicates;
    if (!have_seed)
        seed = s->seed;
    if (case_records > replicates)
        case_records = replicates;

    int rc = CS_EXIT_OK;
    size_t *variants = NULL, n_variants = 0;
    char *command_line = NULL;
    cs_safe_file *out = NULL;
    run_sink rs = {NULL, {0}};
    if (only) {
        rc = select_variants(s, only, &variants, &n_variants);
        if (rc != CS_EXIT_OK)
            goto done;
    }
    command_line = join_command_line(argc, argv);
    if (!command_line) {
        fprintf(stderr, "casesim run: out of memory\n");
        rc = CS_EXIT_FAILURE;
        goto done;
    }

    st = cs_safe_file_begin(output, overwrite, &out, &err);
    if (st != CS_OK) {
        print_error(&err);
        rc = cs_cli_exit_code(st);
        goto done;
    }
    cs_results_options opt = {.command_line = command_line,
                              .seed = seed,
                              .first_replicate = first,
                              .n_replicates = replicates,
                              .n_variants = n_variants,
                              .variants = variants,
                              .case_record_replicates = case_records};
    st = cs_results_writer_open(out->tmp, s, &opt, &rs.writer, &err);
    if (st != CS_OK) {
        print_error(&err);
        fprintf(stderr, "casesim run: cannot write %s; nothing was written\n", output);
        rc = CS_EXIT_FAILURE;
        goto done;
    }

    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND; /* a second signal ends the program at once */
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    cs_progress_init(&rs.progress, replicates, quiet);
    cs_run_config cfg = {.seed = seed,
                         .first_replicate = first,
                         .n_replicates = replicates,
                         .threads = (int)threads,
                         .n_variants = n_variants,
                         .variants = variants,
                         .case_record_replicates = case_records,
                         .stop = &stop_signal,
                         .sink = sink,
                         .sink_ctx = &rs};
    st = cs_sim_run(s, &cfg, &err);
    cs_progress_finish(&rs.progress);
    /* A signal that arrives after the last replicate finished loses nothing:
     * the run is complete and reported as such. */

    if (st == CS_OK || st == CS_EINTERRUPTED) {
        uint64_t done = cs_results_writer_replicates(rs.writer);
        bool complete = st == CS_OK;
        if (!complete)
            fprintf(stderr,
                    "casesim run: %s: stopping; keeping the %llu finished replicate%s of %llu\n",
                    stop_signal == SIGTERM ? "terminated" : "interrupted", (unsigned long long)done,
                    done == 1 ? "" : "s", (unsigned long long)replicates);
        cs_error_clear(&err);
        int cst = cs_results_writer_close(rs.writer, complete, &err);
        rs.writer = NULL;
        if (cst == CS_OK)
            cst = cs_safe_file_publish(out, &err);
        if (cst != CS_OK) {
            print_error(&err);
            fprintf(stderr, "casesim run: cannot write %s; nothing was written\n", output);
            rc = cst == CS_EUSAGE ? CS_EXIT_USAGE : CS_EXIT_FAILURE;
        } else if (complete) {
            if (!quiet)
                fprintf(stderr, "casesim run: wrote %llu replicate%s of %zu variant%s to %s\n",
                        (unsigned long long)done, done == 1 ? "" : "s",
                        n_variants ? n_variants : s->n_variants,
                        (n_variants ? n_variants : s->n_variants) == 1 ? "" : "s", output);
            rc = CS_EXIT_OK;
        } else {
            fprintf(stderr, "casesim run: wrote %s with status \"incomplete\"\n", output);
            rc = stop_signal == SIGTERM ? CS_EXIT_SIGTERM : CS_EXIT_SIGINT;
        }
    } else {
        print_error(&err);
        fprintf(stderr, "casesim run: the run failed (%s); nothing was written to %s\n",
                cs_status_name(st), output);
        rc = CS_EXIT_FAILURE;
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
done:
    cs_results_writer_free(rs.writer);
    cs_safe_file_free(out);
    free(command_line);
    free(variants);
    cs_scenario_free(s);
    return rc;
}
