/* error.c — error records (see include/casesim/error.h). */
#include "casesim/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cs_error_clear(cs_error *err)
{
    if (!err)
        return;
    err->status = CS_OK;
    err->count = 0;
    err->dropped = 0;
    err->text[0] = '\0';
}

static int append(cs_error *err, int status, const char *prefix, const char *fmt, va_list ap)
{
    if (!err)
        return status;
    if (err->status == CS_OK)
        err->status = status;
    err->count++;
    char line[2048];
    int n = snprintf(line, sizeof line, "%s", prefix);
    if (n < 0)
        n = 0;
    if ((size_t)n < sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    size_t used = strnlen(err->text, sizeof err->text);
    size_t len = strlen(line);
    if (used + len + 2 > sizeof err->text) {
        err->dropped++;
        return status;
    }
    memcpy(err->text + used, line, len);
    err->text[used + len] = '\n';
    err->text[used + len + 1] = '\0';
    return status;
}

int cs_error_set(cs_error *err, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append(err, status, "", fmt, ap);
    va_end(ap);
    return status;
}

int cs_error_at(cs_error *err, int status, const char *file, int line, int column, const char *fmt,
                ...)
{
    char prefix[1100];
    if (column > 0)
        snprintf(prefix, sizeof prefix, "%.1000s:%d:%d: ", file ? file : "<input>", line, column);
    else
        snprintf(prefix, sizeof prefix, "%.1000s:%d: ", file ? file : "<input>", line);
    va_list ap;
    va_start(ap, fmt);
    append(err, status, prefix, fmt, ap);
    va_end(ap);
    return status;
}

const char *cs_status_name(int status)
{
    switch (status) {
    case CS_OK:
        return "success";
    case CS_EINVAL:
        return "invalid input";
    case CS_EUSAGE:
        return "bad usage";
    case CS_ENOMEM:
        return "out of memory";
    case CS_EIO:
        return "input/output error";
    case CS_ELIMIT:
        return "size limit exceeded";
    case CS_EFORMAT:
        return "unsupported file format";
    case CS_EINTERRUPTED:
        return "interrupted";
    case CS_EINTERNAL:
        return "internal error";
    default:
        return "unknown error";
    }
}
