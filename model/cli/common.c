/* cli/common.c — exit codes, errors, options, command lines and money for
 * every subcommand (see cli/common.h). */
#include "cli/common.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cs_cli_exit_code(int status)
{
    switch (status) {
    case CS_OK:
        return CS_EXIT_OK;
    case CS_EINVAL:
    case CS_EUSAGE:
    case CS_ELIMIT:
    case CS_EFORMAT:
        return CS_EXIT_USAGE;
    default:
        return CS_EXIT_FAILURE;
    }
}

void cs_cli_print_error(const char *command, const cs_error *err)
{
    fputs(err->text, stderr);
    if (err->dropped)
        fprintf(stderr, "casesim %s: %zu more message%s not shown\n", command, err->dropped,
                err->dropped == 1 ? "" : "s");
}

int cs_cli_bad_option(const char *command, int c, char **argv, void (*usage)(FILE *))
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    if (c == ':') {
        fprintf(stderr, "casesim %s: %s needs a value\n", command, arg);
        return CS_EXIT_USAGE;
    }
    fprintf(stderr, "casesim %s: unknown option '%s'\n", command, arg);
    if (usage)
        usage(stderr);
    return CS_EXIT_USAGE;
}

int cs_cli_parse_u64(const char *command, const char *opt, const char *s, uint64_t lo, uint64_t hi,
                     uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+') {
        fprintf(stderr, "casesim %s: %s needs a whole number, got '%s'\n", command, opt,
                s ? s : "");
        return -1;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi) {
        fprintf(stderr, "casesim %s: %s must be a whole number from %llu to %llu, got '%s'\n",
                command, opt, (unsigned long long)lo, (unsigned long long)hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* Whether a shell takes a as one word as it is. */
static bool shell_plain(const char *a)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789-_./=,:+@%";
    return *a != '\0' && strspn(a, safe) == strlen(a);
}

char *cs_cli_command_line(int argc, char **argv)
{
    /* Worst case: every byte a quote ('\'' is four) plus the outer quotes
     * and a space per argument. */
    size_t n = strlen("casesim") + 1;
    for (int i = 0; i < argc; i++)
        n += 4 * strlen(argv[i]) + 3;
    char *s = malloc(n);
    if (!s)
        return NULL;
    char *p = s + sprintf(s, "casesim");
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        *p++ = ' ';
        if (shell_plain(a)) {
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

const char *cs_cli_money(char *buf, size_t size, double v, int cents)
{
    if (size == 0)
        return buf;
    if (isnan(v)) {
        snprintf(buf, size, "n/a");
        return buf;
    }
    if (isinf(v)) {
        snprintf(buf, size, "unbounded");
        return buf;
    }
    double a = fabs(v);
    if (cents && a >= 1e15) {
        snprintf(buf, size, "%g", v);
        return buf;
    }
    char digits[64];
    snprintf(digits, sizeof digits, cents && a != floor(a) ? "%.2f" : "%.0f", a);
    const char *dot = strchr(digits, '.');
    size_t int_len = dot ? (size_t)(dot - digits) : strlen(digits), o = 0;
    if (v < 0 && o + 1 < size)
        buf[o++] = '-';
    for (size_t i = 0; i < int_len && o + 2 < size; i++) {
        if (i > 0 && (int_len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    for (const char *p = dot; p && *p && o + 1 < size; p++)
        buf[o++] = *p;
    buf[o] = '\0';
    return buf;
}

void cs_cli_signals_catch(void (*handler)(int), struct sigaction old[2])
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, &old[0]);
    sigaction(SIGTERM, &sa, &old[1]);
}

void cs_cli_signals_restore(const struct sigaction old[2])
{
    sigaction(SIGINT, &old[0], NULL);
    sigaction(SIGTERM, &old[1], NULL);
}

#ifdef CASESIM_HAVE_MPI
#include <mpi.h>

#include "casesim/engine_mpi.h"
#include "casesim/scenario.h"

int cs_cli_mpi_command(const char *command, int argc, char **argv, int (*leader)(int, char **),
                       int (*follower)(void), int *rank, int *size)
{
    int provided = MPI_THREAD_SINGLE;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "casesim %s: MPI could not be initialised\n", command);
        return CS_EXIT_FAILURE;
    }
    /* Errors on MPI calls come back as codes (checked where it matters) and a
     * lost rank ends the job through mpirun, rather than aborting here. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    int rc;
    if (*size > 1 && provided < MPI_THREAD_SERIALIZED) {
        if (*rank == 0)
            fprintf(stderr,
                    "casesim %s: this MPI library does not provide "
                    "MPI_THREAD_SERIALIZED, which the MPI run needs\n",
                    command);
        rc = CS_EXIT_FAILURE;
    } else if (*rank > 0) {
        rc = follower();
    } else {
        rc = leader(argc, argv);
        /* The exit status, to the other ranks: if they were released, after
         * the work; if not (an error, --help, nothing to do), in place of
         * the release, and they end at once with it. */
        if (*size > 1)
            MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    }
    MPI_Finalize();
    return rc;
}

int cs_cli_mpi_release(const void *params, size_t size, const cs_scenario *s, cs_error *err)
{
    int go = -1; /* not an exit status: the work follows */
    MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Bcast((void *)params, (int)size, MPI_BYTE, 0, MPI_COMM_WORLD);
    char *path = s->path, *text = s->source;
    size_t path_len = strlen(path), text_len = s->source_len;
    int st = cs_mpi_bcast_bytes(MPI_COMM_WORLD, 0, &path, &path_len, err);
    if (st == CS_OK)
        st = cs_mpi_bcast_bytes(MPI_COMM_WORLD, 0, &text, &text_len, err);
    if (st == CS_OK)
        st = cs_mpi_agree(MPI_COMM_WORLD, CS_OK, err);
    return st;
}

int cs_cli_mpi_follow(void *params, size_t size, cs_cli_mpi_work work)
{
    static cs_error err; /* large: keep it off the stack */
    cs_error_clear(&err);
    int go = 0;
    MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (go >= 0)
        return go; /* rank 0 ended before releasing the ranks: its exit status */
    MPI_Bcast(params, (int)size, MPI_BYTE, 0, MPI_COMM_WORLD);
    char *path = NULL, *text = NULL;
    size_t path_len = 0, text_len = 0;
    int st = cs_mpi_bcast_bytes(MPI_COMM_WORLD, 0, &path, &path_len, &err);
    if (st == CS_OK)
        st = cs_mpi_bcast_bytes(MPI_COMM_WORLD, 0, &text, &text_len, &err);
    if (st == CS_OK)
        work(params, path, text, text_len, &err);
    int rc = CS_EXIT_FAILURE;
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    free(path);
    free(text);
    return rc;
}
#endif
