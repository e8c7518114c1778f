/*
 * test_cli_common.c — the helpers every subcommand shares (model/cli/common.c,
 * compiled into this suite by tests/cli_common.cmake): exit codes, the
 * recorded command line (shell-quoted so it can be pasted back), option
 * numbers and money amounts.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/common.h"

START_TEST(exit_codes)
{
    ck_assert_int_eq(cs_cli_exit_code(CS_OK), CS_EXIT_OK);
    ck_assert_int_eq(cs_cli_exit_code(CS_EINVAL), CS_EXIT_USAGE);
    ck_assert_int_eq(cs_cli_exit_code(CS_EFORMAT), CS_EXIT_USAGE);
    ck_assert_int_eq(cs_cli_exit_code(CS_ENOMEM), CS_EXIT_FAILURE);
    ck_assert_int_eq(cs_cli_exit_code(CS_EIO), CS_EXIT_FAILURE);
}
END_TEST

START_TEST(command_line_quoted)
{
    char *argv[] = {"merge", "a b.h5", "it's.h5", "-o", "x.h5", "", "$HOME"};
    char *s = cs_cli_command_line(7, argv);
    ck_assert_str_eq(s, "casesim merge 'a b.h5' 'it'\\''s.h5' -o x.h5 '' '$HOME'");
    free(s);
    /* What a shell makes of it is the original arguments. */
    char *two[] = {"run", "it's here.yaml"};
    s = cs_cli_command_line(2, two);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "set -- %s; printf '%%s|' \"$@\"", s + strlen("casesim "));
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char out[128] = "";
    ck_assert_ptr_nonnull(fgets(out, sizeof out, p));
    pclose(p);
    ck_assert_str_eq(out, "run|it's here.yaml|");
    free(s);
}
END_TEST

START_TEST(parse_numbers)
{
    uint64_t v = 9;
    ck_assert_int_eq(cs_cli_parse_u64("run", "--seed", "42", 0, 100, &v), 0);
    ck_assert_uint_eq(v, 42);
    ck_assert_int_eq(cs_cli_parse_u64("run", "--seed", "-1", 0, 100, &v), -1);
    ck_assert_int_eq(cs_cli_parse_u64("run", "--seed", "101", 0, 100, &v), -1);
    ck_assert_int_eq(cs_cli_parse_u64("run", "--seed", "4x", 0, 100, &v), -1);
    ck_assert_int_eq(cs_cli_parse_u64("run", "--seed", "", 0, 100, &v), -1);
    ck_assert_uint_eq(v, 42);
}
END_TEST

START_TEST(money)
{
    char b[64];
    ck_assert_str_eq(cs_cli_money(b, sizeof b, 4000000, 0), "4,000,000");
    ck_assert_str_eq(cs_cli_money(b, sizeof b, 999, 0), "999");
    ck_assert_str_eq(cs_cli_money(b, sizeof b, -1234.6, 0), "-1,235");
    ck_assert_str_eq(cs_cli_money(b, sizeof b, 1234.5, 1), "1,234.50");
    ck_assert_str_eq(cs_cli_money(b, sizeof b, 1234, 1), "1,234");
    ck_assert_str_eq(cs_cli_money(b, sizeof b, NAN, 0), "n/a");
    ck_assert_str_eq(cs_cli_money(b, sizeof b, INFINITY, 0), "unbounded");
    ck_assert_str_eq(cs_cli_money(b, sizeof b, 2e15, 1), "2e+15");
    char small[4];
    ck_assert_str_eq(cs_cli_money(small, sizeof small, 123456, 0), "12"); /* truncated, ended */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_common");
    TCase *tc = tcase_create("cli_common");
    tcase_add_test(tc, exit_codes);
    tcase_add_test(tc, command_line_quoted);
    tcase_add_test(tc, parse_numbers);
    tcase_add_test(tc, money);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
