/*
 * casesim/safe_file.h — publishing an output file so that a crash or a full
 * disk never leaves a half-written file under the target name.
 *
 * cs_safe_file_begin picks a temporary name beside the target (same
 * directory, hence same file system, so that rename is atomic) and creates
 * it; the caller writes the temporary file and closes it; cs_safe_file_publish
 * fsyncs it, renames it to the target and fsyncs the directory, so that the
 * rename itself survives a power cut. cs_safe_file_free removes the temporary
 * file if it was not published.
 *
 * Without overwrite, an existing target is refused at the start, and the
 * final step uses link(2), which fails if the target appeared meanwhile,
 * instead of rename(2), which would replace it.
 */
#ifndef CASESIM_SAFE_FILE_H
#define CASESIM_SAFE_FILE_H

#include <stdbool.h>

#include "casesim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cs_safe_file {
    char *target;   /* the name to publish under */
    char *tmp;      /* the temporary file beside it */
    bool overwrite; /* replace an existing target */
    bool published;
} cs_safe_file;

/* Prepares to write target. Refuses (CS_EUSAGE) an existing target without
 * overwrite, or a target that is a directory; creates an empty temporary file
 * "<dir>/.<name>.tmp-XXXXXX" (CS_EIO with the system's reason if the
 * directory is missing or not writable). On success *out owns the
 * cs_safe_file (free with cs_safe_file_free). */
int cs_safe_file_begin(const char *target, bool overwrite, cs_safe_file **out, cs_error *err);

/* Publishes the (closed) temporary file under the target name: fsync, rename
 * (or link + unlink without overwrite), fsync of the directory. Returns CS_OK,
 * CS_EUSAGE if the target appeared meanwhile and overwrite is off, or CS_EIO;
 * on failure the temporary file is left for cs_safe_file_free to remove and
 * the target is untouched. */
int cs_safe_file_publish(cs_safe_file *f, cs_error *err);

/* Removes the temporary file unless published, and frees f. NULL is a
 * no-op. Async-signal-unsafe: call it from normal code, not a handler. */
void cs_safe_file_free(cs_safe_file *f);

/* True if paths a and b name the same existing file (same device and inode);
 * false if either does not exist. */
bool cs_same_file(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif
