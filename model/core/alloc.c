/* core/alloc.c — allocation helpers (see core/alloc.h). */
#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

void *cs_xcalloc(size_t n, size_t size)
{
    /* calloc checks n * size for overflow itself. */
    return calloc(n ? n : 1, size ? size : 1);
}

char *cs_xstrdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}
