/*
 * cli/progress.h — progress of a long run on stderr (part of the command-line
 * program, not of libcasesim, because it prints).
 *
 * On a terminal: one line redrawn in place, at most ten times a second, with
 * a bar, the replicates done, the rate and the time left. Without a terminal
 * (batch jobs, logs): one line each time another 10% is done. Nothing when
 * quiet.
 */
#ifndef CASESIM_CLI_PROGRESS_H
#define CASESIM_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct cs_progress {
    FILE *to;
    bool enabled, tty, drawn;
    uint64_t total, done;
    double start, last_draw; /* seconds, monotonic clock */
    int last_tenth;          /* last 10% step reported without a terminal */
} cs_progress;

/* Starts reporting progress towards total replicates on stderr. */
void cs_progress_init(cs_progress *p, uint64_t total, bool quiet);

/* Records that done replicates are finished, and redraws if it is time. */
void cs_progress_update(cs_progress *p, uint64_t done);

/* Ends the progress display (a final newline on a terminal). */
void cs_progress_finish(cs_progress *p);

#endif
