/*
 * cli/merge.c — `casesim merge A.h5 B.h5 ... -o ALL.h5`: joins results files
 * of replicate ranges of one run (e.g. the tasks of a job array, each run
 * with --first-replicate K --replicates N) into one file, as if one run had
 * computed every replicate, with /summary, /comparison and /ranking
 * recomputed. The output is published like `casesim run`'s: written to a
 * temporary file beside it and renamed once complete.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/results_join.h"
#include "casesim/safe_file.h"
#include "cli/cli.h"

static void usage(FILE *to)
{
    fprintf(to, "usage: casesim merge A.h5 B.h5 ... -o ALL.h5 [--overwrite]\n"
                "\n"
                "Joins results files of replicate ranges of one run (casesim run\n"
                "--first-replicate K --replicates N, e.g. one per job-array task) into one\n"
                "file holding every replicate in order, and recomputes its summary,\n"
                "comparison and ranking.\n"
                "\n"
                "The inputs must come from the same scenario text, seed, variants (--only)\n"
                "and casesim version, be complete (finish an interrupted one with casesim run\n"
                "--resume), and their ranges must neither overlap nor leave a gap. Case\n"
                "records (--case-records) are kept from the lowest range only.\n"
                "\n"
                "options:\n"
                "  -o, --output FILE   the joined results file (required)\n"
                "      --overwrite     replace FILE if it exists\n"
                "  -h, --help          this help\n"
                "\n"
                "Exit status: 0 done; 2 bad usage or inputs that cannot be joined (nothing\n"
                "written); 1 a failure while writing (nothing written).\n");
}

typedef struct merge_job {
    const char *const *inputs;
    size_t n;
    const char *out_path;
    const char *command_line;
} merge_job;

/* The join, run in a child process by cs_cli_isolated. */
static int run_merge(void *ctx, cs_error *err)
{
    const merge_job *j = ctx;
    size_t dropped = 0;
    int st = cs_results_merge(j->inputs, j->n, j->out_path, j->command_line, &dropped, err);
    if (st == CS_OK && dropped)
        fprintf(stderr,
                "casesim merge: note: the case records of %zu input%s other than the "
                "lowest range were not carried over\n",
                dropped, dropped == 1 ? "" : "s");
    return st;
}

/* Parses the options: the output and --overwrite. Returns -1 to go on (the
 * inputs are argv[optind ..]), or the exit status. */
static int parse_args(int argc, char **argv, const char **output, bool *overwrite)
{
    enum { OPT_OVERWRITE = 256 };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"overwrite", no_argument, NULL, OPT_OVERWRITE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        if (c == 'o') {
            *output = optarg;
        } else if (c == OPT_OVERWRITE) {
            *overwrite = true;
        } else if (c == 'h') {
            usage(stdout);
            return CS_EXIT_OK;
        } else {
            return cs_cli_bad_option("merge", c, argv, usage);
        }
    }
    if (!*output || argc - optind < 2) {
        fprintf(stderr, "casesim merge: %s\n",
                !*output ? "name the joined file with -o ALL.h5"
                         : "give at least two results files to join");
        usage(stderr);
        return CS_EXIT_USAGE;
    }
    for (int i = optind; i < argc; i++)
        if (cs_same_file(argv[i], *output)) {
            fprintf(stderr,
                    "casesim merge: the output %s is one of the inputs; choose another name\n",
                    *output);
            return CS_EXIT_USAGE;
        }
    return -1;
}

/* Probes the inputs, joins them into a temporary file beside the output and
 * publishes it. The inputs are untrusted: each is read first in a child
 * process, and the join itself runs in one, so that HDF5 crashing or
 * looping on a damaged file becomes an error (cli/probe.c). */
static int merge_files(merge_job *job, const char *output, bool overwrite, cs_error *err)
{
    cs_safe_file *out = NULL;
    int st = CS_OK;
    for (size_t i = 0; i < job->n && st == CS_OK; i++)
        st = cs_cli_probe_results(job->inputs[i], err);
    if (st == CS_OK)
        st = cs_safe_file_begin(output, overwrite, &out, err);
    if (st == CS_OK) {
        job->out_path = out->tmp;
        st = cs_cli_isolated(run_merge, job, job->inputs, job->n, "casesim merge: a damaged input",
                             "while joining the files", err);
    }
    if (st == CS_OK)
        st = cs_safe_file_publish(out, err);
    cs_safe_file_free(out);
    return st;
}

int cs_cli_merge(int argc, char **argv)
{
    const char *output = NULL;
    bool overwrite = false;
    int rc = parse_args(argc, argv, &output, &overwrite);
    if (rc >= 0)
        return rc;
    static cs_error err; /* large: keep it off the stack */
    cs_error_clear(&err);
    char *command_line = cs_cli_command_line(argc, argv);
    if (!command_line) {
        fprintf(stderr, "casesim merge: out of memory\n");
        return CS_EXIT_FAILURE;
    }
    merge_job job = {.inputs = (const char *const *)argv + optind,
                     .n = (size_t)(argc - optind),
                     .command_line = command_line};
    int st = merge_files(&job, output, overwrite, &err);
    if (st != CS_OK) {
        cs_cli_print_error("merge", &err);
        fprintf(stderr, "casesim merge: nothing was written to %s\n", output);
        rc = cs_cli_exit_code(st);
    } else {
        fprintf(stderr, "casesim merge: joined %zu files into %s\n", job.n, output);
        rc = CS_EXIT_OK;
    }
    free(command_line);
    return rc;
}
