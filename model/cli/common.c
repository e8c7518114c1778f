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
