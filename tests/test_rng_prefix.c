/*
 * test_rng_prefix.c — keyed streams seeded in steps (cs_stream_prefix,
 * cs_stream_prefix_add, cs_pcg32_from_prefix) give exactly the generators of
 * cs_pcg32_from_key, whose values are pinned by known answers.
 *
 * The engine keeps the prefix of (seed, purpose, replicate, group) per
 * replicate and the incident's prefix per case, and seeds each stream with the
 * last two rounds only; if the steps ever differed from cs_pcg32_from_key, the
 * results of every run would change, so this is checked exactly.
 */
#include <check.h>
#include <stdint.h>

#include "casesim/rng.h"

/* cs_pcg32_from_key's state and increment for three keys, recorded from the
 * implementation before the steps were split out (rng.c of commit fde824b);
 * they pin the keyed streams, and so every result casesim has produced. */
static const cs_stream_key known_keys[3] = {{2024, 7, 1, 99, 2, CS_STREAM_TRACK},
                                            {0, 0, 0, 0, 0, CS_STREAM_ARRIVALS},
                                            {UINT64_MAX, 123456789, 15, UINT64_C(1) << 40,
                                             UINT64_C(0xdeadbeefcafef00d), CS_STREAM_INCIDENT}};
static const uint64_t known_state_inc[3][2] = {
    {UINT64_C(0xe6826a45ce7e299f), UINT64_C(0x106906114dc45add)},
    {UINT64_C(0x692d336bcec72e6f), UINT64_C(0xec2a8611754adedf)},
    {UINT64_C(0x7c82ad292fd6b31a), UINT64_C(0x300b304cb378ddcd)}};

static void seed_in_steps(cs_pcg32 *g, const cs_stream_key *k)
{
    uint64_t p = cs_stream_prefix(k->seed, k->purpose, k->replicate, k->group);
    cs_pcg32_from_prefix(g, cs_stream_prefix_add(p, k->incident), k->track);
}

START_TEST(known_answers)
{
    for (int i = 0; i < 3; i++) {
        cs_pcg32 a, b;
        cs_pcg32_from_key(&a, &known_keys[i]);
        seed_in_steps(&b, &known_keys[i]);
        ck_assert_uint_eq(a.state, known_state_inc[i][0]);
        ck_assert_uint_eq(a.inc, known_state_inc[i][1]);
        ck_assert_uint_eq(b.state, known_state_inc[i][0]);
        ck_assert_uint_eq(b.inc, known_state_inc[i][1]);
    }
}
END_TEST

START_TEST(steps_equal_from_key)
{
    /* 10^5 keys whose words come from a pcg32 (full 64-bit words, and small
     * ones as the engine uses), each seeded both ways: same state, same
     * increment, same first outputs. */
    cs_pcg32 src;
    cs_pcg32_seed(&src, 7u, 11u);
    for (int i = 0; i < 100000; i++) {
        cs_stream_key k;
        uint64_t *w[6] = {&k.seed, &k.replicate, &k.group, &k.incident, &k.track, &k.purpose};
        for (int j = 0; j < 6; j++)
            *w[j] = (i & 1) ? cs_pcg32_next64(&src) : cs_pcg32_next(&src) % 1000u;
        cs_pcg32 a, b;
        cs_pcg32_from_key(&a, &k);
        seed_in_steps(&b, &k);
        ck_assert_uint_eq(a.state, b.state);
        ck_assert_uint_eq(a.inc, b.inc);
        ck_assert_uint_eq(cs_pcg32_next(&a), cs_pcg32_next(&b));
    }
}
END_TEST

START_TEST(prefix_words_all_matter)
{
    /* A prefix that ignored a word would merge streams of different groups or
     * replicates: every word must change it. */
    uint64_t p = cs_stream_prefix(1, 2, 3, 4);
    ck_assert_uint_ne(p, cs_stream_prefix(0, 2, 3, 4));
    ck_assert_uint_ne(p, cs_stream_prefix(1, 3, 3, 4));
    ck_assert_uint_ne(p, cs_stream_prefix(1, 2, 4, 4));
    ck_assert_uint_ne(p, cs_stream_prefix(1, 2, 3, 5));
    ck_assert_uint_ne(cs_stream_prefix_add(p, 0), cs_stream_prefix_add(p, 1));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rng_prefix");
    TCase *tc = tcase_create("prefix");
    tcase_add_test(tc, known_answers);
    tcase_add_test(tc, steps_equal_from_key);
    tcase_add_test(tc, prefix_words_all_matter);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
