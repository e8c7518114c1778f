/*
 * cli/common.h — what every subcommand of the casesim program shares:
 * exit codes, error printing, command-line options, the command line as
 * recorded in a results file, and money amounts.
 *
 * Part of the program, not of libcasesim: these print, and choose exit codes.
 */
#ifndef CASESIM_CLI_COMMON_H
#define CASESIM_CLI_COMMON_H

#include <signal.h>
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

/* The signal handling of a long command: SIGINT and SIGTERM call handler
 * (which sets the command's stop flag, so that it ends cleanly) and a second
 * signal ends the program at once; the previous handlers go to old[0..1]
 * for cs_cli_signals_restore. */
void cs_cli_signals_catch(void (*handler)(int), struct sigaction old[2]);

/* Puts back the handlers cs_cli_signals_catch saved in old. */
void cs_cli_signals_restore(const struct sigaction old[2]);

#ifdef CASESIM_HAVE_MPI
struct cs_scenario;

/* Runs a subcommand as an MPI job: initialises MPI (each rank's errors come
 * back as codes), stores this rank and the number of ranks in *rank and
 * *size, then rank 0 runs leader(argc, argv) and sends its exit status to
 * the other ranks, which run follower(); finalises MPI. Returns this rank's
 * exit status (CS_EXIT_FAILURE when MPI cannot start or lacks
 * MPI_THREAD_SERIALIZED with more than one rank). */
int cs_cli_mpi_command(const char *command, int argc, char **argv, int (*leader)(int, char **),
                       int (*follower)(void), int *rank, int *size);

/* Rank 0: releases the other ranks waiting in cs_cli_mpi_follow: sends
 * "go", the size bytes at params and the scenario's path and text, and
 * agrees with them on whether they loaded it. Returns CS_OK or the first
 * error of any rank (err says it). */
int cs_cli_mpi_release(const void *params, size_t size, const struct cs_scenario *s, cs_error *err);

/* What a following rank does once released: params as rank 0 sent them,
 * the scenario's path and text (not NUL-terminated; len bytes). Returns a
 * library status (it must take part in the same collective calls as rank 0
 * whatever happens). */
typedef int (*cs_cli_mpi_work)(const void *params, const char *path, const char *text, size_t len,
                               cs_error *err);

/* Ranks other than 0: waits for rank 0's go; when released, receives size
 * bytes of parameters into params (a caller's buffer) and the scenario and
 * calls work. Returns rank 0's exit status. */
int cs_cli_mpi_follow(void *params, size_t size, cs_cli_mpi_work work);
#endif

#endif
