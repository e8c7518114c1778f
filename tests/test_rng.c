/*
 * test_rng.c — pcg32 known answers, jump-ahead, keyed seeding, the edges of
 * the uniform conversions, and the GSL adapter.
 *
 * Companion suites: test_rng_streams.c (independence of neighbouring keyed
 * streams), test_rng_samplers.c (moments of GSL samplers drawn through our
 * type) and pcg_reference/ (10^6 outputs per seed against pcg-cpp).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "casesim/rng.h"

#define PCG32_MULT UINT64_C(6364136223846793005)

/* O'Neill's pcg32-demo output for pcg32_srandom_r(&rng, 42u, 54u)
 * (pcg-c-basic, pcg32-demo.c, "Round 1"). */
static const uint32_t pcg32_42_54[6] = {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u,
                                        0x83d2f293u, 0xbfa4784bu, 0xcbed606eu};

/* A generator in the middle of an ordinary stream, as the engine would use. */
static cs_pcg32 some_generator(void)
{
    cs_pcg32 g;
    cs_pcg32_seed(&g, UINT64_C(0x853c49e6748fea9b), UINT64_C(0xda3e39cb94b95bdb));
    return g;
}

static int same_generator(const cs_pcg32 *a, const cs_pcg32 *b)
{
    return a->state == b->state && a->inc == b->inc;
}

/* Known answers and seeding ---------------------------------------------------- */

START_TEST(published_vector)
{
    cs_pcg32 g;
    cs_pcg32_seed(&g, 42u, 54u);
    for (int i = 0; i < 6; i++)
        ck_assert_uint_eq(cs_pcg32_next(&g), pcg32_42_54[i]);
}
END_TEST

START_TEST(seed_follows_reference_recipe)
{
    /* pcg32_srandom_r: state = 0; inc = 2*initseq + 1; step; state += initstate; step.
     * Written out in closed form so that a change of cs_pcg32_seed shows here. */
    const uint64_t seeds[][2] = {
        {0, 0}, {42, 54}, {UINT64_MAX, UINT64_MAX}, {1, UINT64_C(1) << 63}};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        cs_pcg32 g;
        cs_pcg32_seed(&g, seeds[i][0], seeds[i][1]);
        uint64_t inc = (seeds[i][1] << 1) | 1u;
        ck_assert_uint_eq(g.inc, inc);
        ck_assert_uint_eq(g.state, (inc + seeds[i][0]) * PCG32_MULT + inc);
    }
}
END_TEST

START_TEST(next64_is_two_outputs_high_first)
{
    cs_pcg32 a = some_generator(), b = a;
    for (int i = 0; i < 100; i++) {
        uint64_t hi = cs_pcg32_next(&b);
        uint64_t lo = cs_pcg32_next(&b);
        ck_assert_uint_eq(cs_pcg32_next64(&a), (hi << 32) | lo);
    }
}
END_TEST

/* Jump-ahead ------------------------------------------------------------------- */

START_TEST(advance_zero_and_one)
{
    cs_pcg32 g = some_generator(), h = g;
    cs_pcg32_advance(&h, 0);
    ck_assert(same_generator(&g, &h));
    cs_pcg32_advance(&h, 1);
    (void)cs_pcg32_next(&g);
    ck_assert(same_generator(&g, &h));
}
END_TEST

START_TEST(advance_small_n_equals_steps)
{
    const cs_pcg32 start = some_generator();
    for (uint64_t n = 0; n <= 300; n++) {
        cs_pcg32 stepped = start, jumped = start;
        for (uint64_t i = 0; i < n; i++)
            (void)cs_pcg32_next(&stepped);
        cs_pcg32_advance(&jumped, n);
        ck_assert_msg(same_generator(&stepped, &jumped), "advance(%llu) differs from stepping",
                      (unsigned long long)n);
        /* And the outputs that follow agree, not only the state. */
        ck_assert_uint_eq(cs_pcg32_next(&stepped), cs_pcg32_next(&jumped));
    }
}
END_TEST

START_TEST(advance_each_n_up_to_a_million)
{
    /* Walk 10^6 steps one at a time; at every step i, advance(start, i) must
     * land on the same state. Covers every bit pattern of delta below 2^20. */
    const cs_pcg32 start = some_generator();
    cs_pcg32 walk = start;
    for (uint64_t i = 0; i <= 1000000u; i++) {
        cs_pcg32 jumped = start;
        cs_pcg32_advance(&jumped, i);
        if (!same_generator(&walk, &jumped))
            ck_abort_msg("advance(%llu) differs from %llu steps", (unsigned long long)i,
                         (unsigned long long)i);
        (void)cs_pcg32_next(&walk);
    }
}
END_TEST

START_TEST(advance_near_two_to_the_64)
{
    const cs_pcg32 start = some_generator();
    const uint64_t ks[] = {1, 2, 3, 64, 1000, 123457};
    for (size_t j = 0; j < sizeof ks / sizeof ks[0]; j++) {
        /* k steps forward, then advance(2^64 - k): back at the start. */
        cs_pcg32 g = start;
        for (uint64_t i = 0; i < ks[j]; i++)
            (void)cs_pcg32_next(&g);
        ck_assert(!same_generator(&g, &start));
        cs_pcg32_advance(&g, (uint64_t)0 - ks[j]);
        ck_assert_msg(same_generator(&g, &start), "advance(2^64 - %llu) after %llu steps",
                      (unsigned long long)ks[j], (unsigned long long)ks[j]);
        /* The other order: advance(2^64 - k), then k steps. */
        cs_pcg32_advance(&g, (uint64_t)0 - ks[j]);
        for (uint64_t i = 0; i < ks[j]; i++)
            (void)cs_pcg32_next(&g);
        ck_assert(same_generator(&g, &start));
    }
    /* advance(2^64 - 1) is one step back: the output it gives next is the one
     * that preceded the start. */
    cs_pcg32 prev = start;
    cs_pcg32_advance(&prev, UINT64_MAX);
    cs_pcg32 again = prev;
    (void)cs_pcg32_next(&again);
    ck_assert(same_generator(&again, &start));
}
END_TEST

START_TEST(advance_is_additive_mod_two_to_the_64)
{
    /* Pseudo-random deltas (SplitMix64 of a counter), many of whose sums wrap. */
    const cs_pcg32 start = some_generator();
    for (uint64_t i = 0; i < 2000; i++) {
        uint64_t a = cs_mix64(2 * i), b = cs_mix64(2 * i + 1);
        if (i == 0) /* one pair chosen to wrap: a + b = 2^64 + 4 */
            a = UINT64_MAX - 5, b = 10;
        cs_pcg32 ab = start, sum = start;
        cs_pcg32_advance(&ab, a);
        cs_pcg32_advance(&ab, b);
        cs_pcg32_advance(&sum, a + b);
        ck_assert_msg(same_generator(&ab, &sum), "advance(%llu)+advance(%llu)",
                      (unsigned long long)a, (unsigned long long)b);
        ck_assert_uint_eq(ab.inc, start.inc); /* jumps never touch the stream */
    }
}
END_TEST

START_TEST(period_is_two_to_the_64)
{
    /* The period divides 2^64 (an affine bijection of Z/2^64 whose jump by
     * 2^64 is the identity, Hull-Dobell); it is 2^64 exactly iff half of it,
     * 2^63, is not the identity. Checked for several streams. */
    for (uint64_t s = 0; s < 8; s++) {
        cs_pcg32 g, h;
        cs_pcg32_seed(&g, s * 977, cs_mix64(s));
        h = g;
        cs_pcg32_advance(&h, UINT64_C(1) << 63);
        ck_assert(!same_generator(&g, &h));
        cs_pcg32_advance(&h, UINT64_C(1) << 63);
        ck_assert(same_generator(&g, &h));
    }
}
END_TEST

/* Keyed seeding (independence is in test_rng_streams.c) ------------------------ */

START_TEST(from_key_is_deterministic_and_every_word_matters)
{
    const cs_stream_key base = {.seed = 2024,
                                .replicate = 7,
                                .group = 1,
                                .incident = 99,
                                .track = 2,
                                .purpose = CS_STREAM_TRACK};
    cs_pcg32 g0, g1;
    cs_pcg32_from_key(&g0, &base);
    cs_pcg32_from_key(&g1, &base);
    ck_assert(same_generator(&g0, &g1));
    ck_assert_uint_eq(g0.inc & 1u, 1u);
    for (int w = 0; w < 6; w++) {
        cs_stream_key k = base;
        uint64_t *word = w == 0   ? &k.seed
                         : w == 1 ? &k.replicate
                         : w == 2 ? &k.group
                         : w == 3 ? &k.incident
                         : w == 4 ? &k.track
                                  : &k.purpose;
        *word += 1;
        cs_pcg32 g;
        cs_pcg32_from_key(&g, &k);
        /* Both the state and the stream change with every word. */
        ck_assert_msg(g.state != g0.state && g.inc != g0.inc, "key word %d ignored", w);
        ck_assert_uint_eq(g.inc & 1u, 1u);
    }
}
END_TEST

/* The edges of the conversions to double --------------------------------------- */

/* The output permutation applied to a state (pcg32 outputs the old state). */
static uint32_t output_of(uint64_t state)
{
    cs_pcg32 g = {state, 1u};
    return cs_pcg32_next(&g);
}

/* A state whose output is `out`, with the given rotation and low 27 bits.
 * XSH-RR: out = rotr32(bits 27..58 of (s ^ s >> 18), s >> 59). Bit i of
 * s ^ s >> 18 is s_i ^ s_(i+18), so bits 58 down to 27 are solved from the top. */
static uint64_t state_giving(uint32_t out, unsigned rot, uint64_t low27)
{
    uint32_t xs = rot ? (out << rot) | (out >> (32u - rot)) : out;
    uint64_t s = ((uint64_t)rot << 59) | (low27 & ((UINT64_C(1) << 27) - 1));
    for (int i = 58; i >= 27; i--) {
        uint64_t above = i + 18 < 64 ? (s >> (i + 18)) & 1u : 0u;
        uint64_t bit = ((xs >> (i - 27)) & 1u) ^ above;
        s |= bit << i;
    }
    return s;
}

/* A generator whose next two outputs are both `out` (so next64 gives
 * out:out): states s1 then s2, joined by the increment s2 - M*s1, odd
 * because s1 is even and s2 odd. */
static cs_pcg32 generator_giving_twice(uint32_t out)
{
    uint64_t s1 = state_giving(out, 3, 0x2468ace), s2 = state_giving(out, 17, 0x1357bdf);
    cs_pcg32 g = {s1, s2 - s1 * PCG32_MULT};
    ck_assert_uint_eq(g.inc & 1u, 1u);
    ck_assert_uint_eq(output_of(s1), out);
    ck_assert_uint_eq(output_of(s2), out);
    return g;
}

START_TEST(adversarial_states_really_give_extremes)
{
    cs_pcg32 g = generator_giving_twice(UINT32_MAX);
    ck_assert_uint_eq(cs_pcg32_next64(&g), UINT64_MAX);
    g = generator_giving_twice(0);
    ck_assert_uint_eq(cs_pcg32_next64(&g), 0);
}
END_TEST

START_TEST(uniform_never_one)
{
    cs_pcg32 g = generator_giving_twice(UINT32_MAX);
    double u = cs_pcg32_uniform(&g);
    ck_assert(u < 1.0);
    ck_assert(u == 1.0 - 0x1.0p-53);
    g = generator_giving_twice(0);
    ck_assert(cs_pcg32_uniform(&g) == 0.0); /* 0 is allowed in [0, 1) */
}
END_TEST

START_TEST(uniform_pos_never_zero_nor_one)
{
    cs_pcg32 g = generator_giving_twice(UINT32_MAX);
    double top = cs_pcg32_uniform_pos(&g);
    ck_assert_msg(top < 1.0, "uniform_pos of all-ones is %.17g", top);
    g = generator_giving_twice(0);
    double bottom = cs_pcg32_uniform_pos(&g);
    ck_assert_msg(bottom > 0.0, "uniform_pos of all-zeros is %.17g", bottom);
    /* The extremes are the outermost cell midpoints, mirror images of each other. */
    ck_assert(bottom == 0x1.0p-53);
    ck_assert(top == 1.0 - 0x1.0p-53);
    ck_assert(1.0 - top == bottom);
}
END_TEST

START_TEST(uniforms_stay_in_range_on_ordinary_streams)
{
    cs_pcg32 g = some_generator();
    double lo = 1.0, hi = 0.0, lo_pos = 1.0, hi_pos = 0.0;
    for (int i = 0; i < 1000000; i++) {
        double u = cs_pcg32_uniform(&g), v = cs_pcg32_uniform_pos(&g);
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
        lo_pos = v < lo_pos ? v : lo_pos;
        hi_pos = v > hi_pos ? v : hi_pos;
    }
    ck_assert(lo >= 0.0 && hi < 1.0 && lo_pos > 0.0 && hi_pos < 1.0);
    /* 10^6 uniforms come within 10^-4 of each end except with probability
     * (1 - 10^-4)^(10^6) ~ e^-100: a constant or badly scaled output fails. */
    ck_assert(lo < 1e-4 && hi > 1.0 - 1e-4 && lo_pos < 1e-4 && hi_pos > 1.0 - 1e-4);
}
END_TEST

/* The GSL adapter ---------------------------------------------------------------- */

START_TEST(gsl_adapter_uses_pcg)
{
    gsl_rng *r = gsl_rng_alloc(cs_gsl_rng_pcg32);
    ck_assert_ptr_nonnull(r);
    gsl_rng_set(r, 42);
    for (int i = 0; i < 6; i++)
        ck_assert_uint_eq(gsl_rng_get(r), pcg32_42_54[i]);
    gsl_rng_free(r);
}
END_TEST

START_TEST(gsl_alloc_seeds_with_zero)
{
    /* gsl_rng_alloc calls set(r, gsl_rng_default_seed), which is 0. */
    gsl_rng *r = gsl_rng_alloc(cs_gsl_rng_pcg32);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(gsl_rng_name(r), "casesim-pcg32");
    ck_assert_uint_eq(gsl_rng_max(r), UINT32_MAX);
    ck_assert_uint_eq(gsl_rng_min(r), 0);
    ck_assert_uint_eq(gsl_rng_size(r), sizeof(cs_pcg32));
    cs_pcg32 expect;
    cs_pcg32_seed(&expect, 0, 54);
    ck_assert(same_generator(cs_gsl_pcg32_state(r), &expect));
    gsl_rng_set(r, 0); /* explicitly, too */
    ck_assert(same_generator(cs_gsl_pcg32_state(r), &expect));
    for (int i = 0; i < 10; i++)
        ck_assert_uint_eq(gsl_rng_get(r), cs_pcg32_next(&expect));
    /* Seeds above 2^32 are used in full (unsigned long is 64 bits here). */
    if (sizeof(unsigned long) == 8) {
        unsigned long big = (unsigned long)UINT64_C(0x123456789abcdef0);
        gsl_rng_set(r, big);
        cs_pcg32_seed(&expect, UINT64_C(0x123456789abcdef0), 54);
        ck_assert(same_generator(cs_gsl_pcg32_state(r), &expect));
    }
    gsl_rng_free(r);
}
END_TEST

START_TEST(gsl_state_round_trip)
{
    gsl_rng *r = gsl_rng_alloc(cs_gsl_rng_pcg32);
    ck_assert_ptr_nonnull(r);
    const cs_stream_key key = {
        .seed = 1, .replicate = 2, .incident = 3, .purpose = CS_STREAM_INCIDENT};
    cs_pcg32 mine;
    cs_pcg32_from_key(&mine, &key);
    *cs_gsl_pcg32_state(r) = mine; /* load a keyed stream without allocating */
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(gsl_rng_get(r), cs_pcg32_next(&mine));
    /* The state read back is where our copy is now. */
    ck_assert(same_generator(cs_gsl_pcg32_state(r), &mine));
    /* get_double is 32 bits scaled by 2^-32, exactly. */
    for (int i = 0; i < 1000; i++)
        ck_assert(gsl_rng_uniform(r) == cs_pcg32_next(&mine) * 0x1.0p-32);
    /* clone and memcpy carry the state. */
    gsl_rng *c = gsl_rng_clone(r);
    ck_assert_ptr_nonnull(c);
    ck_assert(same_generator(cs_gsl_pcg32_state(c), cs_gsl_pcg32_state(r)));
    (void)gsl_rng_get(r);
    ck_assert(gsl_rng_memcpy(c, r) == 0);
    ck_assert(same_generator(cs_gsl_pcg32_state(c), cs_gsl_pcg32_state(r)));
    gsl_rng_free(c);
    gsl_rng_free(r);
}
END_TEST

START_TEST(gsl_state_of_other_types_is_null)
{
    gsl_rng *mt = gsl_rng_alloc(gsl_rng_mt19937);
    ck_assert_ptr_nonnull(mt);
    ck_assert_ptr_null(cs_gsl_pcg32_state(mt));
    ck_assert_ptr_null(cs_gsl_pcg32_state(NULL));
    gsl_rng_free(mt);
}
END_TEST

START_TEST(gsl_doubles_never_one_nor_zero_where_promised)
{
    gsl_rng *r = gsl_rng_alloc(cs_gsl_rng_pcg32);
    ck_assert_ptr_nonnull(r);
    *cs_gsl_pcg32_state(r) = generator_giving_twice(UINT32_MAX);
    double u = gsl_rng_uniform(r);
    ck_assert(u < 1.0 && u == 1.0 - 0x1.0p-32);
    *cs_gsl_pcg32_state(r) = generator_giving_twice(UINT32_MAX);
    u = gsl_rng_uniform_pos(r);
    ck_assert(u < 1.0);
    /* uniform_pos skips an exact 0 (GSL redraws): the first output is 0, the
     * second is 0 too, the third is whatever follows, and is not 0. */
    *cs_gsl_pcg32_state(r) = generator_giving_twice(0);
    u = gsl_rng_uniform_pos(r);
    ck_assert(u > 0.0 && u < 1.0);
    gsl_rng_free(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("pcg32");
    tcase_add_test(tc, published_vector);
    tcase_add_test(tc, seed_follows_reference_recipe);
    tcase_add_test(tc, next64_is_two_outputs_high_first);
    suite_add_tcase(s, tc);

    tc = tcase_create("advance");
    tcase_add_test(tc, advance_zero_and_one);
    tcase_add_test(tc, advance_small_n_equals_steps);
    tcase_add_test(tc, advance_each_n_up_to_a_million);
    tcase_add_test(tc, advance_near_two_to_the_64);
    tcase_add_test(tc, advance_is_additive_mod_two_to_the_64);
    tcase_add_test(tc, period_is_two_to_the_64);
    suite_add_tcase(s, tc);

    tc = tcase_create("keys");
    tcase_add_test(tc, from_key_is_deterministic_and_every_word_matters);
    suite_add_tcase(s, tc);

    tc = tcase_create("uniform");
    tcase_add_test(tc, adversarial_states_really_give_extremes);
    tcase_add_test(tc, uniform_never_one);
    tcase_add_test(tc, uniform_pos_never_zero_nor_one);
    tcase_add_test(tc, uniforms_stay_in_range_on_ordinary_streams);
    suite_add_tcase(s, tc);

    tc = tcase_create("gsl");
    tcase_add_test(tc, gsl_adapter_uses_pcg);
    tcase_add_test(tc, gsl_alloc_seeds_with_zero);
    tcase_add_test(tc, gsl_state_round_trip);
    tcase_add_test(tc, gsl_state_of_other_types_is_null);
    tcase_add_test(tc, gsl_doubles_never_one_nor_zero_where_promised);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
