/*
 * cli/probe.c — reads an untrusted results file once in a child process
 * before the command itself touches it.
 *
 * Results files travel between experts, NGOs and governments, so `report`
 * and `merge` treat them as hostile. Our reader checks everything it reads,
 * but it reads through the HDF5 library, which is not hardened against
 * damaged files: fuzzing (fuzz/fuzz_results.c, fuzz/README.md) finds inputs
 * on which HDF5 1.10 itself loops forever (a global heap collection whose
 * free-space object has size 0: H5HG__cache_heap_deserialize never
 * advances), reads out of bounds or crashes (H5HG_read trusts the heap
 * object index and size stored in the file), or allocates whatever a
 * variable-length string's stored length says. Those happen inside
 * H5Aread/H5Dread, where no check of ours can intervene.
 *
 * So the file is first opened and read in a forked child, with a time limit
 * and (without AddressSanitizer, which needs its huge address space) a
 * memory limit that grows with the file's size. If the child crashes, runs out of time or memory,
 * the command refuses the file with a clear message instead of crashing or hanging; if the child
 * succeeds, the parent reads the same bytes with the same code, which has just been seen to work.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "casesim/calibration_file.h"
#include "casesim/results.h"
#include "cli/cli.h"

#if defined(__SANITIZE_ADDRESS__)
#define PROBE_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PROBE_UNDER_ASAN 1
#endif
#endif

#define PROBE_SECONDS 60 /* reading a small valid file takes milliseconds */
/* The child's address space: 1 GiB plus 64 times the file's size. What a
 * valid file needs grows with its contents (compression of the per-replicate
 * datasets stays far below 64:1), while a damaged variable-length string can
 * claim up to 4 GiB of memory for a few bytes of file. */
#define PROBE_MEMORY_BASE (1ull << 30)
#define PROBE_MEMORY_PER_BYTE 64ull

/* Exit status of a child stopped by AddressSanitizer (which exits rather
 * than dying of the signal). */
#define PROBE_SANITIZER_EXIT 126

#ifdef PROBE_UNDER_ASAN
void __sanitizer_set_death_callback(void (*callback)(void));
static void on_sanitizer_death(void)
{
    _exit(PROBE_SANITIZER_EXIT);
}
#endif

/* The child: sets the limits, runs fn, sends its messages up the pipe and
 * exits with its status. Never returns. */
static void child(int (*fn)(void *ctx, cs_error *err), void *ctx, int fd, unsigned seconds,
                  unsigned long long input_bytes)
{
    if (seconds > 0)
        alarm(seconds);
#ifdef PROBE_UNDER_ASAN
    (void)input_bytes;
    __sanitizer_set_death_callback(on_sanitizer_death);
#else
    if (input_bytes < (1ull << 40) / PROBE_MEMORY_PER_BYTE) {
        rlim_t limit = PROBE_MEMORY_BASE + PROBE_MEMORY_PER_BYTE * (rlim_t)input_bytes;
        struct rlimit rl;
        if (getrlimit(RLIMIT_AS, &rl) == 0 &&
            (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > limit)) {
            rl.rlim_cur = limit;
            setrlimit(RLIMIT_AS, &rl);
        }
    }
#endif
    static cs_error err;
    cs_error_clear(&err);
    int st = fn(ctx, &err);
    size_t len = strlen(err.text);
    const char *p = err.text;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w <= 0)
            break;
        p += w;
        len -= (size_t)w;
    }
    /* _exit: no atexit handlers, no stdio flush of the parent's buffers,
     * no HDF5 library shutdown twice. */
    _exit(st < 0 || st > 125 ? 125 : st);
}

static unsigned long long file_bytes(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && sb.st_size > 0 ? (unsigned long long)sb.st_size : 0;
}

/* Reads what the child writes to fd into text (at most size - 1 bytes,
 * NUL-terminated) until it closes it; returns the bytes read. */
static size_t read_all(int fd, char *text, size_t size)
{
    size_t used = 0;
    for (;;) {
        ssize_t n = read(fd, text + used, size - 1 - used);
        if (n > 0) {
            used += (size_t)n;
            if (used == size - 1)
                break;
        } else if (n == 0 || errno != EINTR) {
            break;
        }
    }
    text[used] = '\0';
    return used;
}

/* The child's failure with exit status st and messages text (used bytes),
 * each line into err, prefixed unless it starts with prefix already. */
static int child_failed(int st, char *text, size_t used, const char *subject, const char *doing,
                        const char *prefix, cs_error *err)
{
    if (st == PROBE_SANITIZER_EXIT)
        return cs_error_set(err, CS_EFORMAT,
                            "%s: the HDF5 library crashed %s (a memory error caught by "
                            "AddressSanitizer)",
                            subject, doing);
    if (used > 0 && text[used - 1] == '\n')
        text[used - 1] = '\0';
    if (used == 0)
        return cs_error_set(err, st == CS_ENOMEM ? CS_ENOMEM : CS_EFORMAT, "%s: %s failed (%s)",
                            subject, doing, st == CS_ENOMEM ? "out of memory" : "no message");
    size_t plen = prefix ? strlen(prefix) : 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!prefix || (strncmp(line, prefix, plen) == 0 && line[plen] == ':'))
            cs_error_set(err, st, "%s", line);
        else
            cs_error_set(err, st, "%s: %s", prefix, line);
    }
    return st;
}

/* Runs fn(ctx, err) in a child process (see cs_cli_isolated). subject and
 * doing word the messages of a crash or a timeout; prefix, if not NULL, is
 * put before each of the child's messages that does not already start
 * with it. */
static int isolate(int (*fn)(void *ctx, cs_error *err), void *ctx, unsigned seconds,
                   unsigned long long input_bytes, const char *subject, const char *doing,
                   const char *prefix, cs_error *err)
{
    int fds[2];
    if (pipe(fds) != 0)
        return cs_error_set(err, CS_EIO, "cannot create a pipe: %s", strerror(errno));
    fflush(NULL); /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return cs_error_set(err, CS_EIO, "cannot start a process: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        child(fn, ctx, fds[1], seconds, input_bytes);
    }
    close(fds[1]);
    char text[CS_ERROR_TEXT_MAX]; /* the child's messages */
    size_t used = read_all(fds[0], text, sizeof text);
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return cs_error_set(err, CS_EIO, "cannot wait for a process: %s", strerror(errno));
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        return cs_error_set(err, CS_EFORMAT,
                            "%s: %s did not finish in %u seconds (the HDF5 library loops on "
                            "some damaged files)",
                            subject, doing, seconds);
    if (WIFSIGNALED(status))
        return cs_error_set(err, CS_EFORMAT, "%s: the HDF5 library crashed %s (%s)", subject, doing,
                            strsignal(WTERMSIG(status)));
    int st = WIFEXITED(status) ? WEXITSTATUS(status) : CS_EINTERNAL;
    return st == CS_OK ? CS_OK : child_failed(st, text, used, subject, doing, prefix, err);
}

/* Reading a valid file takes about a second per 100 MB: the limit leaves
 * room for slow disks and busy machines. */
#define PROBE_BYTES_PER_SECOND (8ull << 20)

static unsigned time_limit(unsigned long long bytes)
{
    unsigned long long seconds = PROBE_SECONDS + bytes / PROBE_BYTES_PER_SECOND;
    /* Test hook: the tests of hostile files shorten the time limit. */
    const char *env = getenv("CASESIM_PROBE_SECONDS");
    if (env && *env) {
        char *end;
        unsigned long s = strtoul(env, &end, 10);
        if (*end == '\0' && s >= 1 && s <= 3600)
            seconds = s;
    }
    return seconds > 86400 ? 86400 : (unsigned)seconds;
}

/* Reads everything the command will read, and every other dataset once:
 * a checksum is checked only when its data are read. A calibration file
 * (casesim/calibration_file.h) is read as `casesim report` reads it. */
static int probe(void *ctx, cs_error *err)
{
    const char *path = ctx;
    if (cs_calibration_file_is(path)) {
        cs_calibration_file *f = NULL;
        int st = cs_calibration_file_read(path, &f, err);
        cs_calibration_file_free(f);
        return st;
    }
    cs_results *r = NULL;
    int st = cs_results_open(path, &r, err);
    if (st == CS_OK)
        st = cs_results_verify(r, err);
    cs_results_close(r);
    return st;
}

int cs_cli_probe_results(const char *path, cs_error *err)
{
    char subject[4096];
    snprintf(subject, sizeof subject, "%s: damaged file", path);
    unsigned long long bytes = file_bytes(path);
    return isolate(probe, (void *)path, time_limit(bytes), bytes, subject, "reading it", path, err);
}

int cs_cli_isolated(int (*fn)(void *ctx, cs_error *err), void *ctx, const char *const *inputs,
                    size_t n_inputs, const char *subject, const char *doing, cs_error *err)
{
    unsigned long long bytes = 0;
    for (size_t i = 0; i < n_inputs; i++)
        bytes += file_bytes(inputs[i]);
    return isolate(fn, ctx, 0, bytes, subject, doing, NULL, err);
}
