/*
 * sim/pack.h — one replicate's result as a flat run of bytes, and back: the
 * message a rank sends to rank 0 in the MPI run (sim/work_mpi.c).
 *
 * The bytes are every array and per-replicate value of the schema
 * (casesim/schema.h), in the table's order, then the case records, each in
 * memory layout: the ranks of one run execute the same program on the same
 * architecture. Nothing here depends on MPI, so the packing is tested in
 * every build (tests/test_schema.c).
 */
#ifndef CASESIM_SIM_PACK_H
#define CASESIM_SIM_PACK_H

#include <stddef.h>

#include "casesim/error.h"
#include "casesim/measures.h"

/* Bytes of a packed result of dims d without its case records, into *n.
 * Returns CS_OK or CS_ELIMIT (the size overflows size_t). */
int cs_result_packed_size(const cs_result_dims *d, size_t *n, cs_error *err);

/* Writes r's arrays and values, then its r->n_cases case records, to buf,
 * which holds at least size + r->n_cases * sizeof(cs_case_record) bytes
 * (size from cs_result_packed_size for r's dims). */
void cs_result_pack(const cs_replicate_result *r, size_t size, unsigned char *buf);

/* Reads n bytes packed by cs_result_pack into r (allocated for the same
 * dims; size as above): the arrays and values, and the case records that
 * follow (r->cases grows as needed). Returns CS_OK; CS_EINTERNAL if n is not
 * size plus whole case records; CS_ENOMEM. */
int cs_result_unpack(const unsigned char *buf, size_t n, size_t size, cs_replicate_result *r,
                     cs_error *err);

#endif
