/*
 * core/alloc.h — the allocation helpers every module shares.
 *
 * Sizes that come from files or from products of counts are checked before
 * they reach an allocator (cs_size_mul); cs_xcalloc never asks for zero
 * bytes, so that NULL always means "out of memory" (calloc(0, ...) may
 * return NULL or not).
 */
#ifndef CASESIM_CORE_ALLOC_H
#define CASESIM_CORE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

/* calloc of n elements of size bytes (at least one element), zeroed. NULL
 * when out of memory or when n * size overflows; free with free(). */
void *cs_xcalloc(size_t n, size_t size);

/* A new copy of s (free with free()); NULL when out of memory or s is NULL. */
char *cs_xstrdup(const char *s);

/* *out = a * b; false (and *out untouched) if the product overflows size_t. */
static inline bool cs_size_mul(size_t a, size_t b, size_t *out)
{
    if (b != 0 && a > (size_t)-1 / b)
        return false;
    *out = a * b;
    return true;
}

#endif
