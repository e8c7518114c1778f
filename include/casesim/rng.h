/*
 * casesim/rng.h — PCG random numbers, keyed streams, and a GSL adapter.
 *
 * pcg32 is PCG-XSH-RR with 64-bit state and a selectable stream (odd
 * increment), from M. E. O'Neill, "PCG: A Family of Simple Fast
 * Space-Efficient Statistically Good Algorithms for Random Number
 * Generation", HMC-CS-2014-0905 (2014). It reproduces the reference
 * implementation bit for bit: the published pcg32-demo vector
 * (tests/test_rng.c) and 10^6 outputs per seed against the C++ pcg32 of
 * pcg-cpp (tests/pcg_reference/).
 *
 * Keyed streams are the basis of common random numbers and of thread-count
 * independence: every incident and every track of a case derives its own
 * generator from (seed, replicate, group, incident, track) alone, so the
 * numbers it meets do not depend on which thread ran it or on the order in
 * which events of other cases were processed. The key words are mixed with
 * SplitMix64 before seeding, because PCG streams that differ only in a
 * related increment can be correlated.
 *
 * All functions are pure on their arguments: no global state, thread-safe.
 */
#ifndef CASESIM_RNG_H
#define CASESIM_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One pcg32 generator: 64-bit state, 64-bit odd increment (the stream). */
typedef struct cs_pcg32 {
    uint64_t state;
    uint64_t inc;
} cs_pcg32;

/* Seeds g exactly as the reference pcg32_srandom_r(initstate, initseq):
 * stream selector initseq (any value; the increment is 2*initseq+1). */
void cs_pcg32_seed(cs_pcg32 *g, uint64_t initstate, uint64_t initseq);

/* The next 32-bit output. */
static inline uint32_t cs_pcg32_next(cs_pcg32 *g)
{
    uint64_t old = g->state;
    g->state = old * UINT64_C(6364136223846793005) + g->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

/* 64 bits from two consecutive 32-bit outputs (first output = high word). */
static inline uint64_t cs_pcg32_next64(cs_pcg32 *g)
{
    uint64_t hi = cs_pcg32_next(g);
    return (hi << 32) | cs_pcg32_next(g);
}

/* A uniform double in [0, 1) with 53 random bits; never returns 1.0. */
static inline double cs_pcg32_uniform(cs_pcg32 *g)
{
    return (double)(cs_pcg32_next64(g) >> 11) * 0x1.0p-53;
}

/* A uniform double in (0, 1): never 0, never 1 (for logarithms). It takes
 * the midpoints (k + 0.5) / 2^52 of 2^52 equal cells, k from the top 52 of 64
 * random bits: k + 0.5 < 2^52 is exact in a double, so the result lies in
 * [2^-53, 1 - 2^-53] and is symmetric about 1/2. (With 53 bits, k + 0.5 is
 * not representable for k >= 2^52 and rounds to even: k = 2^53 - 1 gave
 * exactly 1.0.) */
static inline double cs_pcg32_uniform_pos(cs_pcg32 *g)
{
    return ((double)(cs_pcg32_next64(g) >> 12) + 0.5) * 0x1.0p-52;
}

/* Jumps g ahead by delta steps in O(log delta) (Brown, "Random number
 * generation with arbitrary strides", 1994). delta = 0 leaves g unchanged;
 * jumping back by k is cs_pcg32_advance(g, -k) (mod 2^64). */
void cs_pcg32_advance(cs_pcg32 *g, uint64_t delta);

/* SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mix. */
static inline uint64_t cs_mix64(uint64_t z)
{
    z += UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Purposes of a stream, so that streams of one incident used for different
 * things never coincide. */
enum cs_stream_purpose {
    CS_STREAM_ARRIVALS = 1,    /* arrival gaps of one (replicate, group) */
    CS_STREAM_INCIDENT = 2,    /* kind, well-foundedness, evidence of one incident */
    CS_STREAM_TRACK = 3,       /* durations and branch choices of one track */
    CS_STREAM_ANALYSIS = 4,    /* bootstrap and other analysis draws */
    CS_STREAM_UNCERTAIN = 5,   /* parameter draw d of the uncertain inputs */
    CS_STREAM_SENSITIVITY = 6, /* sensitivity designs and their bootstrap */
    CS_STREAM_CALIBRATION = 7, /* proposals and resampling of a calibration */
    CS_STREAM_DECISION = 8,    /* decision analysis (EVPPI standard errors, ...) */
    CS_STREAM_DYNAMICS = 9     /* initial backlog and other time-dependent draws */
};

/* A stream key: the identity of a stream, independent of any thread. */
typedef struct cs_stream_key {
    uint64_t seed;
    uint64_t replicate;
    uint64_t group;
    uint64_t incident;
    uint64_t track;
    uint64_t purpose; /* enum cs_stream_purpose */
} cs_stream_key;

/* Seeds g from a key: the six words are chained through SplitMix64 into an
 * initial state and a stream selector. Distinct keys give, with overwhelming
 * probability, unrelated generators (tested in tests/test_rng_streams.c). */
void cs_pcg32_from_key(cs_pcg32 *g, const cs_stream_key *key);

/* Keyed streams in steps, for callers that seed many streams sharing their
 * leading key words (an engine seeds one stream per incident and one per
 * track visit, all of one replicate and group). The words are chained in the
 * order seed, purpose, replicate, group, incident, track, so that
 *   cs_pcg32_from_key(g, &key)
 * gives exactly the generator of
 *   uint64_t p = cs_stream_prefix(key.seed, key.purpose, key.replicate, key.group);
 *   cs_pcg32_from_prefix(g, cs_stream_prefix_add(p, key.incident), key.track);
 * (tests/test_rng_prefix.c), at the cost of two SplitMix64 rounds per stream
 * instead of seven once p and the incident's prefix are kept. */
static inline uint64_t cs_stream_prefix(uint64_t seed, uint64_t purpose, uint64_t replicate,
                                        uint64_t group)
{
    uint64_t h = cs_mix64(seed ^ UINT64_C(0x6a09e667f3bcc909));
    h = cs_mix64(h ^ purpose);
    h = cs_mix64(h ^ replicate);
    return cs_mix64(h ^ group);
}

/* The prefix extended by one more key word (the incident). */
static inline uint64_t cs_stream_prefix_add(uint64_t prefix, uint64_t word)
{
    return cs_mix64(prefix ^ word);
}

/* Seeds g from the prefix of (seed, purpose, replicate, group, incident) and
 * the last key word, the track. */
static inline void cs_pcg32_from_prefix(cs_pcg32 *g, uint64_t prefix, uint64_t track)
{
    uint64_t h = cs_mix64(prefix ^ track);
    uint64_t stream = cs_mix64(h ^ UINT64_C(0xbb67ae8584caa73b));
    /* h is used as the state directly (see cs_pcg32_from_key in rng.c). */
    g->inc = (stream << 1u) | 1u;
    g->state = h;
}

/* The GSL generator type whose state is a cs_pcg32, so that every gsl_ran_*
 * sampler draws from our PCG. gsl_rng_alloc(cs_gsl_rng_pcg32) works as for
 * any GSL type; set(seed) seeds with cs_pcg32_seed(seed, 54) and accepts 0;
 * max is 2^32 - 1; get_double uses 32 bits like GSL's own generators. */
extern const gsl_rng_type *cs_gsl_rng_pcg32;

/* The cs_pcg32 inside a gsl_rng of type cs_gsl_rng_pcg32, so that a caller
 * can load a keyed stream into a long-lived gsl_rng without allocating:
 *   *cs_gsl_pcg32_state(r) = my_generator;
 * Returns NULL when r is of another type. */
cs_pcg32 *cs_gsl_pcg32_state(gsl_rng *r);

#ifdef __cplusplus
}
#endif
#endif
