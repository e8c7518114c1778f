/* test_rng.c — PCG known answers, jump-ahead, keyed streams, GSL adapter. */
#include <check.h>
#include <stdlib.h>

#include "casesim/rng.h"

/* O'Neill's pcg32-demo output for pcg32_srandom_r(&rng, 42u, 54u)
 * (pcg-c-basic, pcg32-demo.c, "Round 1"). */
static const uint32_t pcg32_42_54[6] = {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u,
                                        0x83d2f293u, 0xbfa4784bu, 0xcbed606eu};

START_TEST(published_vector)
{
    cs_pcg32 g;
    cs_pcg32_seed(&g, 42u, 54u);
    for (int i = 0; i < 6; i++)
        ck_assert_uint_eq(cs_pcg32_next(&g), pcg32_42_54[i]);
}
END_TEST

START_TEST(gsl_adapter_uses_pcg)
{
    gsl_rng *r = gsl_rng_alloc(cs_gsl_rng_pcg32);
    ck_assert_ptr_nonnull(r);
    gsl_rng_set(r, 42);
    for (int i = 0; i < 6; i++)
        ck_assert_uint_eq(gsl_rng_get(r), pcg32_42_54[i]);
    ck_assert_uint_eq(gsl_rng_max(r), UINT32_MAX);
    gsl_rng_set(r, 0); /* GSL seeds with 0 in gsl_rng_alloc: must be accepted */
    gsl_rng_free(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("pcg32");
    tcase_add_test(tc, published_vector);
    tcase_add_test(tc, gsl_adapter_uses_pcg);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
