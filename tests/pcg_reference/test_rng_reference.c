/*
 * test_rng_reference.c — cs_pcg32 against pcg32 of O'Neill's C++ reference
 * implementation (pcg-cpp, through pcg_reference.h): seeding, 10^6 outputs
 * per (seed, stream) pair, and jump-ahead, all bit for bit.
 *
 * pcg-cpp's pcg32(seed, stream) is setseq_xsh_rr_64_32: increment
 * (stream << 1) | 1 and state bump(seed + increment), i.e.
 * (seed + inc) * M + inc; the reference C pcg32_srandom_r sets state 0, steps
 * (state = inc), adds seed and steps again: the same state. Both output the
 * permutation of the state before the step. The tests below check that claim
 * rather than assume it.
 */
#include <check.h>
#include <stdlib.h>

#include "casesim/rng.h"
#include "pcg_reference.h"

#define N_OUTPUTS 1000000u

/* Seeds and streams: the published pair, zeros, all ones, a stream whose top
 * bit is lost in the shift (2^63 gives the same increment as 0), O'Neill's
 * pcg32_global initialiser constants, and two mixed values. */
static const uint64_t pairs[][2] = {
    {42u, 54u},
    {0u, 0u},
    {UINT64_MAX, UINT64_MAX},
    {1u, UINT64_C(1) << 63},
    {UINT64_C(0x853c49e6748fea9b), UINT64_C(0xda3e39cb94b95bdb)},
    {UINT64_C(0x9e3779b97f4a7c15), UINT64_C(0xbf58476d1ce4e5b9)},
};
#define N_PAIRS (sizeof pairs / sizeof pairs[0])

START_TEST(reference_helper_gives_published_vector)
{
    /* The helper itself must be the reference: pcg32-demo's Round 1. */
    static const uint32_t expect[6] = {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u,
                                       0x83d2f293u, 0xbfa4784bu, 0xcbed606eu};
    uint32_t out[6];
    ck_assert_int_eq(pcg_ref_outputs(42u, 54u, 0u, out, 6), 0);
    for (int i = 0; i < 6; i++)
        ck_assert_uint_eq(out[i], expect[i]);
}
END_TEST

START_TEST(seeding_matches_reference_state)
{
    /* _i is the loop index Check provides for tcase_add_loop_test. */
    uint64_t mult, inc, state;
    ck_assert_int_eq(pcg_ref_state(pairs[_i][0], pairs[_i][1], 0u, &mult, &inc, &state), 0);
    ck_assert_uint_eq(mult, UINT64_C(6364136223846793005));
    cs_pcg32 g;
    cs_pcg32_seed(&g, pairs[_i][0], pairs[_i][1]);
    ck_assert_uint_eq(g.inc, inc);
    ck_assert_uint_eq(g.state, state);
}
END_TEST

START_TEST(million_outputs_match_reference)
{
    uint32_t *ref = malloc(N_OUTPUTS * sizeof *ref);
    ck_assert_ptr_nonnull(ref);
    ck_assert_int_eq(pcg_ref_outputs(pairs[_i][0], pairs[_i][1], 0u, ref, N_OUTPUTS), 0);
    cs_pcg32 g;
    cs_pcg32_seed(&g, pairs[_i][0], pairs[_i][1]);
    size_t first_bad = N_OUTPUTS;
    for (size_t i = 0; i < N_OUTPUTS; i++) {
        if (cs_pcg32_next(&g) != ref[i]) {
            first_bad = i;
            break;
        }
    }
    free(ref);
    ck_assert_msg(first_bad == N_OUTPUTS, "seed %#llx stream %#llx: output %zu differs",
                  (unsigned long long)pairs[_i][0], (unsigned long long)pairs[_i][1], first_bad);
}
END_TEST

START_TEST(advance_matches_reference)
{
    /* Jumps of every size class, including ones only the reference can check
     * cheaply (2^32 + 7, 2^63, 2^64 - 1 and mixed 64-bit values). */
    const uint64_t deltas[] = {0u,
                               1u,
                               2u,
                               1000u,
                               1000000u,
                               (UINT64_C(1) << 32) + 7u,
                               UINT64_C(1) << 63,
                               UINT64_MAX - 999u,
                               UINT64_MAX,
                               cs_mix64(7u),
                               cs_mix64(8u),
                               cs_mix64(9u)};
    for (size_t d = 0; d < sizeof deltas / sizeof deltas[0]; d++) {
        uint64_t mult, inc, state;
        ck_assert_int_eq(pcg_ref_state(pairs[_i][0], pairs[_i][1], deltas[d], &mult, &inc, &state),
                         0);
        cs_pcg32 g;
        cs_pcg32_seed(&g, pairs[_i][0], pairs[_i][1]);
        cs_pcg32_advance(&g, deltas[d]);
        ck_assert_msg(g.state == state && g.inc == inc, "advance(%#llx) differs from pcg-cpp",
                      (unsigned long long)deltas[d]);
        /* And the outputs after the jump agree. */
        uint32_t ref[16];
        ck_assert_int_eq(pcg_ref_outputs(pairs[_i][0], pairs[_i][1], deltas[d], ref, 16), 0);
        for (int i = 0; i < 16; i++)
            ck_assert_uint_eq(cs_pcg32_next(&g), ref[i]);
    }
}
END_TEST

START_TEST(gsl_adapter_matches_reference)
{
    /* gsl_rng_set(r, s) is documented as pcg32(s, 54). */
    gsl_rng *r = gsl_rng_alloc(cs_gsl_rng_pcg32);
    ck_assert_ptr_nonnull(r);
    const unsigned long seeds[] = {0ul, 1ul, 42ul, 4294967295ul};
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        uint32_t ref[1000];
        ck_assert_int_eq(pcg_ref_outputs(seeds[s], 54u, 0u, ref, 1000), 0);
        gsl_rng_set(r, seeds[s]);
        for (int i = 0; i < 1000; i++)
            ck_assert_uint_eq(gsl_rng_get(r), ref[i]);
    }
    gsl_rng_free(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rng_reference");
    TCase *tc = tcase_create("pcg-cpp");
    tcase_add_test(tc, reference_helper_gives_published_vector);
    tcase_add_loop_test(tc, seeding_matches_reference_state, 0, (int)N_PAIRS);
    tcase_add_loop_test(tc, million_outputs_match_reference, 0, (int)N_PAIRS);
    tcase_add_loop_test(tc, advance_matches_reference, 0, (int)N_PAIRS);
    tcase_add_test(tc, gsl_adapter_matches_reference);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
