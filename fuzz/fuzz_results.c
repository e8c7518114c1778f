/*
 * fuzz_results.c — libFuzzer target for the results-file reader.
 *
 * Writes the input bytes to a temporary file and gives it to what `casesim
 * report` and `merge` use: cs_results_open (format, version, name lists,
 * variants, the /summary, /comparison and /ranking tables), then
 * cs_results_read_measures and cs_results_read_array (every per-replicate
 * dataset of the results schema) for every variant, then cs_results_verify
 * (every dataset and attribute of the file, and their checksums), then
 * cs_results_close. Then
 * the same file goes through `casesim report` itself (model/cli/report.c is
 * compiled into this target) in text and csv form, with stdout sent to
 * /dev/null, so that everything the report assumes about an opened file is
 * exercised too.
 *
 * Findings: crashes and sanitizer reports in our code or in HDF5 (which is
 * not instrumented for coverage, so the fuzzer is guided by our reader's
 * branches only), leaks, timeouts, memory over the limit, and broken
 * promises (checked with abort()): a refused file leaves *out NULL with a
 * message; an accepted one has consistent counts.
 */
#include <gsl/gsl_errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casesim/error.h"
#include "casesim/results.h"
#include "cli/cli.h"

/* `casesim report` first reads the file in a child process
 * (model/cli/probe.c), so that a crash or endless loop inside HDF5 becomes an
 * error message. Here the probe is replaced by a pass-through: the fuzzer
 * must see such failures itself (scripts/fuzz.sh sorts them into HDF5's and
 * ours), and coverage feedback works only in this process. */
int cs_cli_probe_results(const char *path, cs_error *err)
{
    (void)path;
    (void)err;
    return CS_OK;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void require(int ok)
{
    if (!ok)
        abort(); /* libFuzzer saves the input */
}

static void remove_file(void)
{
    unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* One file per process, in memory where there is a tmpfs. */
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(path, sizeof path, "%s/casesim-fuzz-%ld.h5", dir, (long)getpid());
    atexit(remove_file);
    gsl_set_error_handler_off(); /* as the program does (model/cli/main.c) */
    /* The report's text goes nowhere; libFuzzer reports on stderr. */
    if (!freopen("/dev/null", "w", stdout))
        abort();
    return 0;
}

static void write_input(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    require(f != NULL);
    require(size == 0 || fwrite(data, 1, size, f) == size);
    require(fclose(f) == 0);
}

static void read_everything(void)
{
    static cs_error err;
    cs_error_clear(&err);
    cs_results *r = NULL;
    int rc = cs_results_open(path, &r, &err);
    if (rc != CS_OK) {
        require(r == NULL && err.count > 0 && err.status != CS_OK);
        return;
    }
    require(r != NULL);
    for (size_t v = 0; v < r->n_variants; v++) {
        double *m = NULL;
        uint64_t n = 0;
        cs_error_clear(&err);
        rc = cs_results_read_measures(r, v, &m, &n, &err);
        if (rc == CS_OK) {
            /* Touch every value: the shape must be what the reader promised. */
            size_t cells = (size_t)n * (r->n_groups + 1) * r->n_measures;
            volatile double sink = 0;
            for (size_t i = 0; i < cells; i++)
                sink += m[i];
            (void)sink;
        } else {
            require(m == NULL && err.count > 0);
        }
        free(m);
        /* Every other per-replicate dataset of the schema, read whole. */
        for (size_t k = 0; k < CS_SCHEMA_N_ARRAYS; k++) {
            cs_results_array a;
            cs_error_clear(&err);
            rc = cs_results_read_array(r, v, cs_schema_arrays[k].name, &a, &err);
            if (rc == CS_OK) {
                size_t bytes = (size_t)a.rows * a.schema->size;
                for (int i = 0; i < a.schema->rank; i++)
                    bytes *= a.shape[i];
                volatile unsigned char sink = 0;
                for (size_t i = 0; i < bytes; i++)
                    sink ^= ((const unsigned char *)a.data)[i];
                (void)sink;
            } else {
                require(a.data == NULL && err.count > 0);
            }
            cs_results_array_free(&a);
        }
    }
    cs_error_clear(&err);
    rc = cs_results_verify(r, &err);
    require(rc == CS_OK || (err.count > 0 && err.status != CS_OK));
    for (size_t i = 0; i < r->n_summary; i++) {
        const cs_results_summary_row *row = &r->summary[i];
        require(row->variant && row->group && row->measure && row->units);
        (void)cs_results_find_summary(r, row->variant, row->group, row->measure);
    }
    for (size_t i = 0; i < r->n_comparison; i++) {
        const cs_results_comparison_row *row = &r->comparison[i];
        require(row->variant && row->group && row->measure && row->units);
        (void)cs_results_find_comparison(r, row->variant, row->group, row->measure);
    }
    cs_results_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    write_input(data, size);
    read_everything();
    char *text[] = {"report", path, NULL};
    char *csv[] = {"report", "--format", "csv", path, NULL};
    int rc = cs_cli_report(2, text);
    require(rc == CS_EXIT_OK || rc == CS_EXIT_FAILURE || rc == CS_EXIT_USAGE);
    rc = cs_cli_report(4, csv);
    require(rc == CS_EXIT_OK || rc == CS_EXIT_FAILURE || rc == CS_EXIT_USAGE);
    return 0;
}
