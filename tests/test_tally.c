/* test_tally.c — the cohort tallies' limits: their histograms count in 32
 * bits, so a replicate whose cohort reaches 2^32 cases must be refused
 * (cs_tallies_counted), never reported with wrapped counts. */
#include <check.h>
#include <stdint.h>

#include "sim/tally.h"

START_TEST(counted_below_two_to_the_32)
{
    cs_tallies t = {0};
    ck_assert_int_eq(cs_tallies_init(&t, 2, 3, 1, 4), CS_OK);
    ck_assert(cs_tallies_counted(&t));
    /* Group 1 of kind 2 (block 3): ended and pending cases add up. */
    cs_tally_row *a = &t.rows[3 * 3 + 1];
    a->ended = UINT32_MAX - 10;
    a->pending = 9;
    ck_assert(cs_tallies_counted(&t));
    /* One more case, in another kind's row, makes 2^32 - 1 in all: refused
     * (the rule keeps a margin of one below the 32-bit limit). */
    t.rows[1 * 3 + 0].ended = 1;
    ck_assert(!cs_tallies_counted(&t));
    cs_tallies_free(&t);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tally");
    TCase *tc = tcase_create("limits");
    tcase_add_test(tc, counted_below_two_to_the_32);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
