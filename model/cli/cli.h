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

#include <stdbool.h>
#include <stddef.h>

#include "casesim/error.h"
#include "cli/common.h"

typedef struct cs_cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} cs_cli_command;

int cs_cli_check(int argc, char **argv);

/* The summary's part about uncertain inputs and the decision, on stdout
 * (model/cli/check_uncertain.c). Prints nothing for a scenario without them. */
struct cs_scenario;
void cs_cli_check_uncertain(const struct cs_scenario *s);

/* casesim run SCENARIO.yaml -o RESULTS.h5 [options] (model/cli/run.c). */
int cs_cli_run(int argc, char **argv);

/* casesim calibrate SCENARIO.yaml -o CAL.h5 [options] (model/cli/calibrate.c). */
int cs_cli_calibrate(int argc, char **argv);

/* casesim sensitivity SCENARIO.yaml -o S.h5 [options] (model/cli/sensitivity.c). */
int cs_cli_sensitivity(int argc, char **argv);

/* casesim report RESULTS.h5 [--format text|csv|markdown] (model/cli/report.c). */
int cs_cli_report(int argc, char **argv);

/* Writes the fitted scenario of the calibration file cal_path at target
 * (refused if it exists, without force): the scenario text the file was made
 * from (scenario, if not NULL, must be that text) with every calibrated
 * input at its posterior median and the posterior as `uncertain:`; the
 * text is loaded back before it is published (model/cli/calibrate_write.c).
 * Returns CS_OK or the error in err. */
int cs_cli_calibrate_write_scenario(const char *cal_path, const char *scenario, const char *target,
                                    bool force, cs_error *err);

/* The report of a calibration file (model/cli/report_calibration.c) in
 * format: a report_format of cli/report.h (text, CSV or markdown). */
int cs_cli_report_calibration(const char *path, int format);

/* casesim merge A.h5 B.h5 ... -o ALL.h5 (model/cli/merge.c). */
int cs_cli_merge(int argc, char **argv);

/* Opens and reads the results file at path in a child process: with
 * cs_results_open, then every dataset once with cs_results_verify (so that
 * every checksum is checked: a command must not trust a file with damage
 * anywhere in it), with a time limit (60 s plus 1 s per 8 MiB of file; the
 * environment variable CASESIM_PROBE_SECONDS, for tests, sets it) and a
 * memory limit, so that a damaged file on which the HDF5 library crashes,
 * loops or exhausts memory is refused with a message instead
 * (model/cli/probe.c says why). Returns CS_OK if the child read everything;
 * otherwise the child's status and messages ("PATH: damaged file: ..." for
 * a checksum that does not match), or CS_EFORMAT with "damaged file: ..."
 * if it crashed or ran out of time; CS_EIO if no process could be started.
 * (model/cli/probe.c) */
int cs_cli_probe_results(const char *path, cs_error *err);

/* Runs fn(ctx, err) in a child process with the memory limit of
 * cs_cli_probe_results (from the total size of the named inputs) and no time
 * limit, so that a crash inside HDF5 while the command works on untrusted
 * files becomes an error ("SUBJECT: the HDF5 library crashed DOING (...)")
 * instead of killing the command; fn's own messages and status come back as
 * they are. Whatever fn writes to files stays written. Returns fn's status,
 * CS_EFORMAT after a crash, CS_EIO if no process could be started.
 * (model/cli/probe.c) */
int cs_cli_isolated(int (*fn)(void *ctx, cs_error *err), void *ctx, const char *const *inputs,
                    size_t n_inputs, const char *subject, const char *doing, cs_error *err);

#endif
