/*
 * casesim/error.h — errors as values.
 *
 * Every library function that can fail returns an int status (CS_OK on
 * success) and, when given a non-NULL cs_error, records a human-readable
 * message there. Nothing in the library prints or exits; only the command-line
 * front end does. A cs_error holds several messages (one per line) so that a
 * scenario loader can report every mistake of a file in one pass.
 */
#ifndef CASESIM_ERROR_H
#define CASESIM_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. The CLI maps CS_EINVAL/CS_EUSAGE to exit 2, CS_EINTERRUPTED to
 * 130/143 and everything else to 1. */
enum cs_status {
    CS_OK = 0,
    CS_EINVAL = 1,       /* invalid input: scenario, results file, argument */
    CS_EUSAGE = 2,       /* bad command-line usage */
    CS_ENOMEM = 3,       /* allocation failed */
    CS_EIO = 4,          /* reading or writing a file failed */
    CS_ELIMIT = 5,       /* a size limit was exceeded */
    CS_EFORMAT = 6,      /* a results file of another format or major version */
    CS_EINTERRUPTED = 7, /* stopped by a signal; partial results are valid */
    CS_EINTERNAL = 8     /* a bug: an invariant did not hold */
};

/* Room for the text of all messages; later messages are counted, not kept. */
#define CS_ERROR_TEXT_MAX 16384

typedef struct cs_error {
    int status;                   /* first non-OK status recorded, CS_OK if none */
    size_t count;                 /* messages recorded (kept or not) */
    size_t dropped;               /* messages that did not fit in text */
    char text[CS_ERROR_TEXT_MAX]; /* messages, each ending in '\n' */
} cs_error;

/* A position in an input file, for error messages (1-based; 0 unknown). */
typedef struct cs_pos {
    int line;
    int column;
} cs_pos;

/* Clears err (status CS_OK, no messages). err may be NULL. */
void cs_error_clear(cs_error *err);

/* Appends one printf-style message with status to err and returns status, so
 * that `return cs_error_set(err, CS_EINVAL, "...")` reads naturally. err may
 * be NULL (then only status is returned). A message that does not fit is
 * counted in err->dropped. */
int cs_error_set(cs_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like cs_error_set, prefixed with "FILE:LINE:COLUMN: " (line and column
 * 1-based; column 0 omits it). */
int cs_error_at(cs_error *err, int status, const char *file, int line, int column, const char *fmt,
                ...) __attribute__((format(printf, 6, 7)));

/* A short English name of a status ("invalid input", ...); never NULL. */
const char *cs_status_name(int status);

#ifdef __cplusplus
}
#endif
#endif
