/*
 * test_core.c — the core helpers every module shares: CS_ASSERT (fires in
 * builds that enable it, costs nothing and evaluates nothing in the others),
 * the allocation helpers, and the element pool of the engine (the order in
 * which it hands out slots is part of the simulation's determinism), and
 * the CRC-32 of the results file's strings.
 */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/assert.h"
#include "core/crc32.h"
#include "sim/pool.h"

typedef struct line {
    _Alignas(64) uint64_t value;
    char pad[56];
} line;

static int evaluated;

static int touch(void)
{
    evaluated++;
    return 0;
}

#ifdef CS_ASSERT_ENABLED
/* An invariant that does not hold ends the process (SIGABRT). */
START_TEST(assert_fires)
{
    CS_ASSERT(1 + 1 == 3);
}
END_TEST

/* A slot returned twice breaks the pool's count invariant. */
START_TEST(pool_double_put_fires)
{
    cs_pool p;
    cs_pool_init(&p, sizeof(line));
    ck_assert_uint_eq(cs_pool_grow(&p, 4), 0);
    uint32_t a = cs_pool_take(&p);
    cs_pool_put(&p, a);
    cs_pool_put(&p, a); /* live would go below 0 */
}
END_TEST
#endif

START_TEST(assert_true_is_silent)
{
    evaluated = 0;
    CS_ASSERT(touch() == 0);
#ifdef CS_ASSERT_ENABLED
    ck_assert_int_eq(evaluated, 1);
#else
    /* Compiled out: the condition is not even evaluated. */
    ck_assert_int_eq(evaluated, 0);
#endif
}
END_TEST

START_TEST(alloc_helpers)
{
    void *p = cs_xcalloc(0, 8); /* never NULL for want of elements */
    ck_assert_ptr_nonnull(p);
    free(p);
    ck_assert_ptr_null(cs_xcalloc(SIZE_MAX / 2, 4)); /* overflow: refused, not wrapped */
    size_t out = 7;
    ck_assert(cs_size_mul(3, 5, &out) && out == 15);
    ck_assert(!cs_size_mul(SIZE_MAX / 2 + 1, 2, &out) && out == 15);
    char *s = cs_xstrdup("abc");
    ck_assert_str_eq(s, "abc");
    free(s);
    ck_assert_ptr_null(cs_xstrdup(NULL));
}
END_TEST

/* CRC-32 (ISO-HDLC, zlib's): the standard check value of "123456789" and
 * of the empty string, a continued computation equal to one over the
 * concatenation, and a single flipped bit changing the result. */
START_TEST(crc32_known_answers)
{
    ck_assert_uint_eq(cs_crc32(0, "123456789", 9), 0xCBF43926u);
    ck_assert_uint_eq(cs_crc32(0, NULL, 0), 0u);
    ck_assert_uint_eq(cs_crc32(0, "The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
    ck_assert_uint_eq(cs_crc32(cs_crc32(0, "12345", 5), "6789", 4), 0xCBF43926u);
    ck_assert_uint_ne(cs_crc32(0, "123456788", 9), 0xCBF43926u);
}
END_TEST

START_TEST(pool_order)
{
    cs_pool p;
    cs_pool_init(&p, sizeof(line));
    ck_assert_uint_eq(cs_pool_grow(&p, 4), 0);
    ck_assert_uint_eq(p.cap, 4);
    ck_assert_uint_eq((uintptr_t)p.items % 64, 0);
    /* The lowest index first; a released slot is the next one taken. */
    uint32_t a = cs_pool_take(&p), b = cs_pool_take(&p), c = cs_pool_take(&p);
    ck_assert_uint_eq(a, 0);
    ck_assert_uint_eq(b, 1);
    ck_assert_uint_eq(c, 2);
    cs_pool_put(&p, b);
    ck_assert_uint_eq(cs_pool_take(&p), 1);
    ck_assert_uint_eq(cs_pool_take(&p), 3);
    ck_assert_uint_eq(p.n_free, 0);
    ck_assert_uint_eq(p.peak, 4);
    /* Growth keeps the contents and hands out the new block from its bottom. */
    ((line *)p.items)[2].value = 42;
    ck_assert_uint_eq(cs_pool_grow(&p, 4), 4);
    ck_assert_uint_eq(p.cap, 8);
    ck_assert_uint_eq(((line *)p.items)[2].value, 42);
    ck_assert_uint_eq(cs_pool_take(&p), 4);
    ck_assert_uint_eq(p.live + p.n_free, p.cap);
    cs_pool_release(&p);
    ck_assert_uint_eq(p.cap, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, assert_true_is_silent);
    tcase_add_test(tc, alloc_helpers);
    tcase_add_test(tc, pool_order);
    tcase_add_test(tc, crc32_known_answers);
#ifdef CS_ASSERT_ENABLED
    tcase_add_test_raise_signal(tc, assert_fires, SIGABRT);
    tcase_add_test_raise_signal(tc, pool_double_put_fires, SIGABRT);
#endif
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
