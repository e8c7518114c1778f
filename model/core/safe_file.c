/* safe_file.c — write to a temporary file, then publish it atomically and
 * durably (see include/casesim/safe_file.h). */
#include "casesim/safe_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dup_n(const char *s, size_t n)
{
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

/* The directory part of path ("." if none). */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return dup_n(".", 1);
    if (slash == path)
        return dup_n("/", 1);
    return dup_n(path, (size_t)(slash - path));
}

static int fsync_path(const char *path, int flags)
{
    int fd = open(path, flags);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return r;
}

bool cs_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
        return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int cs_safe_file_begin(const char *target, bool overwrite, cs_safe_file **out, cs_error *err)
{
    *out = NULL;
    if (!target || !*target)
        return cs_error_set(err, CS_EUSAGE, "no output file named");
    struct stat st;
    if (stat(target, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return cs_error_set(err, CS_EUSAGE, "%s is a directory, not a file name", target);
        if (!overwrite)
            return cs_error_set(err, CS_EUSAGE,
                                "%s already exists; it was left untouched (use --overwrite to "
                                "replace it)",
                                target);
    }
    cs_safe_file *f = calloc(1, sizeof *f);
    char *dir = dir_of(target);
    const char *slash = strrchr(target, '/');
    const char *base = slash ? slash + 1 : target;
    size_t n = strlen(dir) + strlen(base) + 16;
    if (!f || !dir || !(f->target = dup_n(target, strlen(target))) || !(f->tmp = malloc(n))) {
        free(dir);
        cs_safe_file_free(f);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    snprintf(f->tmp, n, "%s/.%s.tmp-XXXXXX", dir, base);
    free(dir);
    f->overwrite = overwrite;
    int fd = mkstemp(f->tmp);
    if (fd < 0) {
        int e = errno;
        int rc = cs_error_set(err, CS_EIO, "cannot write %s: %s", target, strerror(e));
        free(f->tmp);
        f->tmp = NULL;
        cs_safe_file_free(f);
        return rc;
    }
    /* mkstemp creates mode 0600; give the results file the permissions any
     * new file of this user would get (0666 minus the umask). */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) {
        int e = errno;
        close(fd);
        int rc =
            cs_error_set(err, CS_EIO, "cannot set the permissions of %s: %s", f->tmp, strerror(e));
        cs_safe_file_free(f);
        return rc;
    }
    close(fd);
    *out = f;
    return CS_OK;
}

int cs_safe_file_publish(cs_safe_file *f, cs_error *err)
{
    if (f->published)
        return CS_OK;
    if (fsync_path(f->tmp, O_RDONLY) != 0)
        return cs_error_set(err, CS_EIO, "cannot flush %s to disk: %s", f->tmp, strerror(errno));
    if (f->overwrite) {
        if (rename(f->tmp, f->target) != 0)
            return cs_error_set(err, CS_EIO, "cannot rename %s to %s: %s", f->tmp, f->target,
                                strerror(errno));
    } else if (link(f->tmp, f->target) == 0) {
        unlink(f->tmp);
    } else if (errno == EEXIST) {
        return cs_error_set(err, CS_EUSAGE,
                            "%s appeared while casesim was running; it was left untouched and "
                            "the results were not kept (use --overwrite to replace it)",
                            f->target);
    } else {
        /* A file system without hard links: check, then rename (a small
         * window in which a file created by someone else could be replaced). */
        if (access(f->target, F_OK) == 0)
            return cs_error_set(err, CS_EUSAGE, "%s appeared while casesim was running", f->target);
        if (rename(f->tmp, f->target) != 0)
            return cs_error_set(err, CS_EIO, "cannot rename %s to %s: %s", f->tmp, f->target,
                                strerror(errno));
    }
    f->published = true;
    /* Make the new directory entry durable too. */
    char *dir = dir_of(f->target);
    if (!dir)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    int r = fsync_path(dir, O_RDONLY | O_DIRECTORY);
    int e = errno;
    free(dir);
    if (r != 0 && e != EINVAL && e != EROFS)
        return cs_error_set(err, CS_EIO, "%s was written but its directory could not be synced: %s",
                            f->target, strerror(e));
    return CS_OK;
}

void cs_safe_file_free(cs_safe_file *f)
{
    if (!f)
        return;
    if (f->tmp && !f->published)
        unlink(f->tmp);
    free(f->tmp);
    free(f->target);
    free(f);
}
