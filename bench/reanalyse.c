/*
 * bench/reanalyse.c — recomputes the tables of a results file in place
 * (cs_results_reanalyse: /summary, /comparison, /ranking and /decision,
 * EVPPI included), so that the analysis a run does when it closes its file
 * can be timed as a whole process apart from the simulation.
 *
 *   reanalyse RESULTS.h5
 *
 * Timing the same on a file without uncertain inputs (no EVPPI) gives the
 * cost of the EVPPI; bench/README.md compares both with the run.
 */
#include <gsl/gsl_errno.h>
#include <stdio.h>

#include "casesim/error.h"
#include "casesim/results.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: reanalyse RESULTS.h5\n");
        return 2;
    }
    gsl_set_error_handler_off();
    cs_error err;
    cs_error_clear(&err);
    if (cs_results_reanalyse(argv[1], &err) != CS_OK) {
        fprintf(stderr, "reanalyse: %s\n", err.text);
        return 1;
    }
    return 0;
}
