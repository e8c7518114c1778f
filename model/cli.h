/*
 * cli.h — the casesim command-line front end: one function per subcommand.
 *
 * Only the CLI prints to the terminal or chooses exit codes. Each subcommand
 * takes argc/argv starting at its own name (argv[0] = "check", ...) and
 * returns the process exit status:
 *   0 success; 2 bad usage or invalid input (nothing written);
 *   1 a failure while running; 130/143 interrupted by SIGINT/SIGTERM.
 */
#ifndef CASESIM_CLI_H
#define CASESIM_CLI_H

#define CS_EXIT_OK 0
#define CS_EXIT_FAILURE 1
#define CS_EXIT_USAGE 2
#define CS_EXIT_SIGINT 130
#define CS_EXIT_SIGTERM 143

typedef struct cs_cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} cs_cli_command;

int cs_cli_check(int argc, char **argv);

/* casesim run SCENARIO.yaml -o RESULTS.h5 [options] (model/cli_run.c). */
int cs_cli_run(int argc, char **argv);

/* casesim report RESULTS.h5 [--format text|csv|markdown] (model/cli_report.c). */
int cs_cli_report(int argc, char **argv);

/* Maps a library status to an exit code (CS_EINVAL -> 2, ...). */
int cs_cli_exit_code(int status);

#endif
