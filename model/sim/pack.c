/* sim/pack.c — a result to bytes and back (see sim/pack.h). */
#include "sim/pack.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/assert.h"

int cs_result_packed_size(const cs_result_dims *d, size_t *n, cs_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < CS_SCHEMA_N_ARRAYS; i++) {
        const cs_schema_array *a = &cs_schema_arrays[i];
        size_t count = 0, bytes = 0;
        if (!cs_schema_array_count(a, d, &count) || !cs_size_mul(count, a->size, &bytes) ||
            bytes > SIZE_MAX - total)
            return cs_error_set(err, CS_ELIMIT, "a result too large to send (%s)", a->name);
        total += bytes;
    }
    *n = total;
    return CS_OK;
}

/* Bytes of array a in a result of dims d (checked by cs_result_packed_size). */
static size_t bytes_of(const cs_schema_array *a, const cs_result_dims *d)
{
    size_t count = 1;
    bool ok = cs_schema_array_count(a, d, &count);
    CS_ASSERT(ok);
    (void)ok;
    return count * a->size;
}

void cs_result_pack(const cs_replicate_result *r, size_t size, unsigned char *buf)
{
    size_t at = 0;
    for (size_t i = 0; i < CS_SCHEMA_N_ARRAYS; i++) {
        const cs_schema_array *a = &cs_schema_arrays[i];
        size_t b = bytes_of(a, &r->dims);
        memcpy(buf + at, cs_schema_array_cdata(a, r), b);
        at += b;
    }
    CS_ASSERT(at == size);
    if (r->n_cases)
        memcpy(buf + size, r->cases, r->n_cases * sizeof *r->cases);
}

int cs_result_unpack(const unsigned char *buf, size_t n, size_t size, cs_replicate_result *r,
                     cs_error *err)
{
    if (n < size || (n - size) % sizeof(cs_case_record) != 0)
        return cs_error_set(err, CS_EINTERNAL, "a result message of the wrong size (%zu bytes)", n);
    size_t at = 0;
    for (size_t i = 0; i < CS_SCHEMA_N_ARRAYS; i++) {
        const cs_schema_array *a = &cs_schema_arrays[i];
        size_t b = bytes_of(a, &r->dims);
        memcpy(cs_schema_array_data(a, r), buf + at, b);
        at += b;
    }
    CS_ASSERT(at == size);
    size_t n_cases = (n - size) / sizeof(cs_case_record);
    r->n_cases = 0;
    if (n_cases > r->cap_cases) {
        cs_case_record *c = realloc(r->cases, n_cases * sizeof *c);
        if (!c)
            return cs_error_set(err, CS_ENOMEM, "out of memory receiving case records");
        r->cases = c;
        r->cap_cases = n_cases;
    }
    if (n_cases)
        memcpy(r->cases, buf + size, n_cases * sizeof *r->cases);
    r->n_cases = n_cases;
    return CS_OK;
}
