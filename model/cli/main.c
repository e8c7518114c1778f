/* main.c — `casesim`: dispatches to a subcommand, git style. */
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <string.h>

#include "casesim/error.h"
#include "cli/cli.h"

static const cs_cli_command commands[] = {
    /* subcommands are added here as their cli_*.c modules land */
    {"check", "validate a scenario file and print its network", cs_cli_check},
    {"run", "run a scenario's variants and write the results file", cs_cli_run},
    {"calibrate", "fit the uncertain inputs to the scenario's targets", cs_cli_calibrate},
    {"sensitivity", "which uncertain input drives each output (Sobol indices, Morris)",
     cs_cli_sensitivity},
    {"report", "print the headline measures, comparison and ranking of a results file",
     cs_cli_report},
    {"merge", "join results files of replicate ranges (job-array tasks) into one", cs_cli_merge},
    {NULL, NULL, NULL},
};

static void usage(FILE *to)
{
    fprintf(to, "usage: casesim [--version] [--help] COMMAND [ARGS]\n\n"
                "casesim simulates how complaints about violations by law-enforcement\n"
                "officials move through investigation, prosecution, sentencing, discipline\n"
                "and redress, and how much oversight interventions change impunity and\n"
                "racial disparities.\n\ncommands:\n");
    for (size_t i = 0; commands[i].name; i++)
        fprintf(to, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\n'casesim COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
    /* GSL's default handler calls abort(); our code checks return values. */
    gsl_set_error_handler_off();
    if (argc < 2) {
        usage(stderr);
        return CS_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("casesim %s\n", CASESIM_VERSION_STRING);
        return CS_EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CS_EXIT_OK;
    }
    for (size_t i = 0; commands[i].name; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "casesim: '%s' is not a command. See 'casesim --help'.\n", argv[1]);
    return CS_EXIT_USAGE;
}
