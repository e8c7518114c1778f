/* core/crc32.c — CRC-32 (see core/crc32.h). */
#include "core/crc32.h"

uint32_t cs_crc32(uint32_t crc, const void *data, size_t n)
{
    /* Bit by bit rather than by a table: what is checksummed is the strings
     * of a results file (kilobytes), and no table means no shared state to
     * build on first use from several threads. */
    const unsigned char *p = data;
    uint32_t c = crc ^ 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}
