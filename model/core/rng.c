/*
 * rng.c — pcg32 seeding, jump-ahead, keyed streams and the GSL adapter.
 * The step and output function are inline in include/casesim/rng.h.
 */
#include "casesim/rng.h"

#include <string.h>

#define PCG32_MULT UINT64_C(6364136223846793005)

void cs_pcg32_seed(cs_pcg32 *g, uint64_t initstate, uint64_t initseq)
{
    /* As pcg32_srandom_r in the reference C implementation. */
    g->state = 0u;
    g->inc = (initseq << 1u) | 1u;
    (void)cs_pcg32_next(g);
    g->state += initstate;
    (void)cs_pcg32_next(g);
}

void cs_pcg32_advance(cs_pcg32 *g, uint64_t delta)
{
    /* The state after delta steps is  mult^delta * s + inc * (mult^delta - 1) / (mult - 1),
     * computed by binary powering of the affine map (O'Neill's pcg_advance_lcg_64). */
    uint64_t cur_mult = PCG32_MULT, cur_plus = g->inc;
    uint64_t acc_mult = 1u, acc_plus = 0u;
    while (delta > 0) {
        if (delta & 1u) {
            acc_mult *= cur_mult;
            acc_plus = acc_plus * cur_mult + cur_plus;
        }
        cur_plus = (cur_mult + 1u) * cur_plus;
        cur_mult *= cur_mult;
        delta >>= 1u;
    }
    g->state = acc_mult * g->state + acc_plus;
}

void cs_pcg32_from_key(cs_pcg32 *g, const cs_stream_key *key)
{
    /* Chain the key words through SplitMix64 so that every word affects every
     * bit of both the state and the stream selector. */
    /* The steps are in rng.h (cs_stream_prefix and friends) so that callers
     * may keep the shared prefix; here they run in one go. The state is the
     * last hash itself: cs_pcg32_seed's two warm-up steps exist to spread
     * small seeds such as 0, 1, 2 over the state; the hash is already the
     * output of a bijective mix, so they would add nothing. */
    uint64_t p = cs_stream_prefix(key->seed, key->purpose, key->replicate, key->group);
    cs_pcg32_from_prefix(g, cs_stream_prefix_add(p, key->incident), key->track);
}

/* GSL adapter ------------------------------------------------------------------ */

static void gsl_pcg32_set(void *vstate, unsigned long int seed)
{
    cs_pcg32_seed((cs_pcg32 *)vstate, (uint64_t)seed, 54u);
}

static unsigned long int gsl_pcg32_get(void *vstate)
{
    return cs_pcg32_next((cs_pcg32 *)vstate);
}

static double gsl_pcg32_get_double(void *vstate)
{
    /* 32 bits scaled into [0, 1), as GSL's own 32-bit generators do. */
    return cs_pcg32_next((cs_pcg32 *)vstate) * 0x1.0p-32;
}

static const gsl_rng_type pcg32_type = {
    "casesim-pcg32",      /* name */
    UINT32_MAX,           /* max */
    0,                    /* min */
    sizeof(cs_pcg32),     /* size of state */
    &gsl_pcg32_set,       /* seeding */
    &gsl_pcg32_get,       /* 32-bit integer */
    &gsl_pcg32_get_double /* double in [0, 1) */
};

const gsl_rng_type *cs_gsl_rng_pcg32 = &pcg32_type;

cs_pcg32 *cs_gsl_pcg32_state(gsl_rng *r)
{
    if (!r || r->type != &pcg32_type)
        return NULL;
    return (cs_pcg32 *)r->state;
}
