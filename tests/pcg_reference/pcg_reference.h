/*
 * pcg_reference.h — a C interface to the pcg32 of O'Neill's C++ reference
 * implementation (pcg-cpp, Debian's libpcg-cpp-dev), built only for the
 * tests, so that a C test can compare cs_pcg32 with it output for output.
 *
 * pcg32 there is pcg_engines::setseq_xsh_rr_64_32, constructed as
 * pcg32(seed, stream); the functions below never throw and never print.
 */
#ifndef CASESIM_TESTS_PCG_REFERENCE_H
#define CASESIM_TESTS_PCG_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Writes the first n outputs of pcg32(seed, stream), after jumping it ahead by
 * `skip` with the reference's advance(), to out[0..n). out is the caller's.
 * Returns 0, or -1 if the reference threw (it does not in practice). */
int pcg_ref_outputs(uint64_t seed, uint64_t stream, uint64_t skip, uint32_t *out, size_t n);

/* The reference's multiplier, increment and state of pcg32(seed, stream)
 * after advance(delta), read through its documented operator<< (decimal
 * "multiplier increment state"). Returns 0, or -1 if that text did not parse. */
int pcg_ref_state(uint64_t seed, uint64_t stream, uint64_t delta, uint64_t *mult, uint64_t *inc,
                  uint64_t *state);

#ifdef __cplusplus
}
#endif
#endif
