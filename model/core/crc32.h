/*
 * core/crc32.h — the CRC-32 of zlib, PNG and gzip (ISO-HDLC: reflected
 * polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF), so that a
 * checksum written by casesim can be checked with any language's standard
 * library (Python's zlib.crc32, for one).
 */
#ifndef CASESIM_CORE_CRC32_H
#define CASESIM_CORE_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32 of n bytes at data continued from crc, the CRC-32 of the bytes
 * before them (0 for none): cs_crc32(cs_crc32(0, a, na), b, nb) is the CRC-32
 * of a followed by b. data may be NULL when n is 0. */
uint32_t cs_crc32(uint32_t crc, const void *data, size_t n);

#endif
