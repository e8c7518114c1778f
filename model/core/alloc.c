/* core/alloc.c — allocation helpers (see core/alloc.h). */
#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

void *cs_xcalloc(size_t n, size_t size)
{
    /* calloc checks n * size too, but a sanitizer reports an overflowing
     * request as an error instead of returning NULL: refuse it here. */
    size_t bytes;
    if (!cs_size_mul(n, size, &bytes))
        return NULL;
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
