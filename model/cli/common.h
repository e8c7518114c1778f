/*
 * cli/common.h — what every subcommand of the casesim program shares:
 * exit codes, error printing, command-line options, the command line as
 * recorded in a results file, and money amounts.
 *
 * Part of the program, not of libcasesim: these print, and choose exit codes.
 */
#ifndef CASESIM_CLI_COMMON_H
#define CASESIM_CLI_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "casesim/error.h"

#define CS_EXIT_OK 0
#define CS_EXIT_FAILURE 1
#define CS_EXIT_USAGE 2
#define CS_EXIT_SIGINT 130
#define CS_EXIT_SIGTERM 143

/* Maps a library status to an exit code: CS_OK -> 0; invalid input, bad
 * usage, a size limit or another file format -> 2; everything else -> 1. */
int cs_cli_exit_code(int status);

/* Prints err's messages on stderr, then, if some did not fit, how many were
 * dropped ("casesim COMMAND: N more messages not shown"). The one way every
 * subcommand reports a cs_error. */
void cs_cli_print_error(const char *command, const cs_error *err);

/* The getopt_long result c that is not an option of the command (':' a
 * missing value, anything else an unknown option): prints what is wrong
 * ("casesim COMMAND: --seed needs a value", "... unknown option '-x'"; the
 * usage too for an unknown option, if usage is not NULL) and returns
 * CS_EXIT_USAGE. argv and optind as getopt_long left them. */
int cs_cli_bad_option(const char *command, int c, char **argv, void (*usage)(FILE *));

/* Parses s, the value of option opt, as a whole decimal number in [lo, hi]
 * into *out. On failure prints "casesim COMMAND: OPT must be ..." on stderr
 * and returns -1 (*out untouched); 0 on success. */
int cs_cli_parse_u64(const char *command, const char *opt, const char *s, uint64_t lo, uint64_t hi,
                     uint64_t *out);

/* "casesim" and the arguments argv[0 .. argc - 1], separated by spaces, each
 * argument that a shell would split or interpret in single quotes (a quote
 * inside written '\''), so that the command can be pasted back into a
 * shell. Recorded as a results file's `command_line`. Returns a new string
 * (free()) or NULL when out of memory. */
char *cs_cli_command_line(int argc, char **argv);

/* Writes a money amount (no currency: the scenario's) into buf with a comma
 * between thousands: "4,000,000". NaN is "n/a", an infinity "unbounded".
 * cents 0: rounded to a whole amount (a computed figure, e.g. a cost per
 * point); cents 1: an amount as the scenario gives it, whole amounts as they
 * are, others with two decimals ("1,234.50"), |v| >= 1e15 in %g form.
 * Returns buf. */
const char *cs_cli_money(char *buf, size_t size, double v, int cents);

#endif
