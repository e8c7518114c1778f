/*
 * cli/calibrate.c — `casesim calibrate SCENARIO.yaml -o CAL.h5`: fits the
 * scenario's uncertain inputs to its `targets:` by incremental mixture
 * importance sampling through the simulator (casesim/calibrate.h) and
 * writes the calibration file (casesim/calibration_file.h), published under
 * its name once closed. SIGINT/SIGTERM stop after the current wave: the
 * finished waves are summarised and written, marked "incomplete".
 *
 * In the MPI build, `mpirun -np K casesim calibrate ...` spreads each
 * evaluation's replicates over the K ranks: rank 0 reads the arguments and
 * the scenario and sends the other ranks the scenario text and the settings;
 * every rank then runs the same sampler (cs_calibrate_config.use_mpi), and
 * rank 0 writes the file, the same for any K.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casesim/calibrate.h"
#include "casesim/calibration_file.h"
#include "casesim/safe_file.h"
#include "casesim/scenario.h"
#include "cli/cli.h"
#ifdef CASESIM_HAVE_MPI
#include "casesim/engine_mpi.h"
#endif

static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void usage(FILE *to)
{
    fprintf(to,
            "usage: casesim calibrate SCENARIO.yaml -o CAL.h5 [options]\n"
            "       casesim calibrate --from CAL.h5 --write-scenario FITTED.yaml "
            "[SCENARIO.yaml] [-f]\n"
            "       casesim calibrate SCENARIO.yaml --predictive -o PRED.h5 [options]\n"
            "\n"
            "Fits the scenario's uncertain inputs (their priors: `uncertain:`) to its\n"
            "`targets:` by incremental mixture importance sampling through the simulator,\n"
            "and writes the posterior, the inputs' prior and posterior, identifiability\n"
            "findings and each target's posterior predictive check to CAL.h5.\n"
            "\n"
            "options:\n"
            "  -o, --output FILE          the calibration file to write (required)\n"
            "      --scale K              replicates of the real system pooled per\n"
            "                             evaluation (default 1): less simulation noise\n"
            "      --common-seeds         simulate every point in the same replicates\n"
            "                             (common random numbers): the weights carry no\n"
            "                             simulation noise of their own (for scenarios\n"
            "                             whose likelihood is noisy; see CALIBRATION.md)\n"
            "      --ess N                stop once the effective sample size reaches N\n"
            "                             (default 1000)\n"
            "      --max-evaluations N    stop after N evaluated points (default 50000)\n"
            "      --initial N            points of the first (Sobol) wave (default\n"
            "                             max(500, 100 D))\n"
            "      --wave N               points of every later wave (default max(100, 20 D))\n"
            "      --stall-waves N        stop as stalled when N waves in a row improve neither\n"
            "                             the best fit nor the highest ESS (default 20; a\n"
            "                             larger N lets a stalled run be resumed)\n"
            "      --method M             imis (default: a posterior sample) or optimize\n"
            "                             (a point fit: Nelder-Mead on logit/log scales\n"
            "                             with common random numbers, from the best of\n"
            "                             --initial Sobol points, re-checked on fresh\n"
            "                             seeds; no posterior uncertainty)\n"
            "  -s, --seed N               master seed (default: the scenario's run.seed)\n"
            "  -t, --threads N            OpenMP threads (default: all)\n"
            "      --resume               continue the calibration in CAL.h5 (interrupted,\n"
            "                             or stopped short) from its last finished wave,\n"
            "                             with its seed, scale and wave sizes\n"
            "      --write-scenario FILE  also write the fitted scenario: every calibrated\n"
            "                             input at its posterior median, the posterior\n"
            "                             (approximated per input, correlations as a\n"
            "                             copula) as its `uncertain:`\n"
            "      --from CAL.h5          write the fitted scenario (--write-scenario) of an\n"
            "                             existing calibration file, from the scenario text\n"
            "                             it was made from (SCENARIO, if given, must be it)\n"
            "      --predictive           a predictive check instead of a fit: --initial\n"
            "                             points (Sobol) of the scenario's `uncertain:`, each\n"
            "                             target against its predictive 95%% interval\n"
            "  -f, --force                overwrite existing output files\n"
            "  -q, --quiet                no progress messages\n"
            "  -h, --help                 this help\n");
}

typedef struct cal_args {
    const char *scenario, *output, *fitted, *from;
    uint64_t scale, ess, max_eval, initial, wave, seed, threads, stall;
    bool have_seed, have_ess, have_max, have_scale, force, quiet, resume, predictive;
    bool common_seeds;
    cs_calibrate_method method;
} cal_args;

/* One option into a; returns 0, or an exit status. */
static int take_option(int c, cal_args *a, char **argv)
{
    const char *C = "calibrate";
    switch (c) {
    case 'o':
        a->output = optarg;
        return 0;
    case 'S':
        a->have_scale = true;
        return cs_cli_parse_u64(C, "--scale", optarg, 1, CS_MAX_REPLICATES, &a->scale) ? 2 : 0;
    case 'E':
        a->have_ess = true;
        return cs_cli_parse_u64(C, "--ess", optarg, 1, 10000000, &a->ess) ? 2 : 0;
    case 'M':
        a->have_max = true;
        return cs_cli_parse_u64(C, "--max-evaluations", optarg, 2, 100000000, &a->max_eval) ? 2 : 0;
    case 'I':
        return cs_cli_parse_u64(C, "--initial", optarg, 2, 10000000, &a->initial) ? 2 : 0;
    case 'W':
        return cs_cli_parse_u64(C, "--wave", optarg, 1, 10000000, &a->wave) ? 2 : 0;
    case 'L':
        return cs_cli_parse_u64(C, "--stall-waves", optarg, 1, CS_CALIB_MAX_STALL_WAVES, &a->stall)
                   ? 2
                   : 0;
    case 'm':
        if (strcmp(optarg, "imis") == 0 || strcmp(optarg, "optimize") == 0) {
            a->method = optarg[0] == 'o' ? CS_CALIBRATE_OPTIMIZE : CS_CALIBRATE_IMIS;
            return 0;
        }
        fprintf(stderr, "casesim calibrate: --method must be imis or optimize, not '%s'\n", optarg);
        return 2;
    case 's':
        a->have_seed = true;
        return cs_cli_parse_u64(C, "--seed", optarg, 0, UINT64_MAX, &a->seed) ? 2 : 0;
    case 't':
        return cs_cli_parse_u64(C, "--threads", optarg, 1, 1024, &a->threads) ? 2 : 0;
    case 'f':
        a->force = true;
        return 0;
    case 'R':
        a->resume = true;
        return 0;
    case 'C':
        a->common_seeds = true;
        return 0;
    case 'Y':
        a->fitted = optarg;
        return 0;
    case 'F':
        a->from = optarg;
        return 0;
    case 'P':
        a->predictive = true;
        return 0;
    case 'q':
        a->quiet = true;
        return 0;
    case 'h':
        usage(stdout);
        return 1;
    default:
        return cs_cli_bad_option(C, c, argv, usage);
    }
}

/* What is wrong with the options a and the n operands, or NULL. */
static const char *check_args(const cal_args *a, int n)
{
    if (a->from)
        return !a->fitted           ? "--from CAL.h5 needs --write-scenario FITTED.yaml"
               : a->output || n > 1 ? "--from writes only the fitted scenario: give no -o, "
                                      "and at most one scenario file"
               : a->predictive      ? "--from and --predictive do not go together"
                                    : NULL;
    if (n != 1)
        return "give one scenario file";
    if (!a->output)
        return "-o CAL.h5 is required";
    if (a->predictive && (a->fitted || a->resume || a->method != CS_CALIBRATE_IMIS))
        return "a predictive check fits nothing: no --write-scenario, --resume or --method";
    if (a->fitted && a->method != CS_CALIBRATE_IMIS)
        return "a point fit has no posterior to write: --write-scenario needs --method imis";
    if (a->common_seeds && (a->method != CS_CALIBRATE_IMIS || a->predictive))
        return "--common-seeds is for --method imis (a point fit always uses common seeds)";
    return NULL;
}

/* Parses argv; returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, cal_args *a)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"scale", required_argument, NULL, 'S'},
                                         {"ess", required_argument, NULL, 'E'},
                                         {"max-evaluations", required_argument, NULL, 'M'},
                                         {"initial", required_argument, NULL, 'I'},
                                         {"wave", required_argument, NULL, 'W'},
                                         {"stall-waves", required_argument, NULL, 'L'},
                                         {"method", required_argument, NULL, 'm'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"threads", required_argument, NULL, 't'},
                                         {"force", no_argument, NULL, 'f'},
                                         {"resume", no_argument, NULL, 'R'},
                                         {"common-seeds", no_argument, NULL, 'C'},
                                         {"write-scenario", required_argument, NULL, 'Y'},
                                         {"from", required_argument, NULL, 'F'},
                                         {"predictive", no_argument, NULL, 'P'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->scale = 1;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":o:s:t:fqh", opts, NULL)) != -1) {
        int rc = take_option(c, a, argv);
        if (rc == 1)
            return CS_EXIT_OK;
        if (rc)
            return rc == 2 ? CS_EXIT_USAGE : rc;
    }
    const char *why = check_args(a, argc - optind);
    if (why) {
        fprintf(stderr, "casesim calibrate: %s\n", why);
        usage(stderr);
        return CS_EXIT_USAGE;
    }
    a->scenario = optind < argc ? argv[optind] : NULL;
    if (a->resume && a->method == CS_CALIBRATE_OPTIMIZE) {
        fprintf(stderr, "casesim calibrate: a point fit (--method optimize) cannot be resumed\n");
        return CS_EXIT_USAGE;
    }
    return -1;
}

/* Progress after each wave, on stderr. */
static int on_wave(void *ctx, const cs_calib_imis *m, cs_error *err)
{
    (void)err;
    const cal_args *a = ctx;
    if (a->quiet)
        return CS_OK;
    cs_calib_imis_result r;
    cs_calib_imis_get_result(m, &r);
    fprintf(stderr, "casesim calibrate: wave %zu, %zu evaluations, ESS %.1f\n", r.n_waves - 1,
            r.n_points, r.ess);
    return CS_OK;
}

/* The closing lines: why the run stopped, its speed, the file. */
static void print_done(const cal_args *a, const cs_calibration *c, bool complete)
{
    double t = c->seconds_total, outside = t > 0 ? (t - c->seconds_engine) / t : 0.0;
    fprintf(stderr,
            "casesim calibrate: %s\n"
            "casesim calibrate: %zu evaluations in %.1f s (%.1f a second), %.1f%% of the time "
            "outside the engine\n"
            "casesim calibrate: wrote %s (%s)\n",
            c->message, c->evaluated, t, t > 0 ? (double)c->evaluated / t : 0.0, 100.0 * outside,
            a->output, complete ? "complete" : "incomplete");
}

/* Writes c into a temporary file beside the output and publishes it. */
static int write_output(const cal_args *a, const cs_scenario *s, const cs_calibration *c,
                        const char *command_line, bool complete, cs_error *err)
{
    cs_safe_file *out = NULL;
    int st = cs_safe_file_begin(a->output, a->force || a->resume, &out, err);
    if (st == CS_OK)
        st = cs_calibration_write(out->tmp, s, c, command_line, complete, err);
    if (st == CS_OK)
        st = cs_safe_file_publish(out, err);
    cs_safe_file_free(out);
    return st;
}

/* --write-scenario: the fitted scenario from the calibration file just
 * written. */
static int write_fitted(const cal_args *a, cs_error *err)
{
    int st = cs_cli_calibrate_write_scenario(a->output, a->scenario, a->fitted, a->force, err);
    if (st == CS_OK && !a->quiet)
        fprintf(stderr, "casesim calibrate: wrote %s (the fitted scenario)\n", a->fitted);
    return st;
}

/* An output that exists and may not be replaced: refused before any work. */
static int refuse_existing(const cal_args *a)
{
    if (a->force || !a->fitted || access(a->fitted, F_OK) != 0)
        return CS_EXIT_OK;
    fprintf(stderr,
            "casesim calibrate: %s exists: give --force to replace it; nothing was "
            "written\n",
            a->fitted);
    return CS_EXIT_USAGE;
}

/* casesim calibrate --from CAL.h5 --write-scenario FITTED.yaml [SCENARIO]. */
static int write_from(const cal_args *a)
{
    static cs_error err; /* large: keep it off the stack */
    cs_error_clear(&err);
    int st = cs_cli_calibrate_write_scenario(a->from, a->scenario, a->fitted, a->force, &err);
    if (st != CS_OK) {
        cs_cli_print_error("calibrate", &err);
        fprintf(stderr, "casesim calibrate: %s was not written\n", a->fitted);
    } else if (!a->quiet)
        fprintf(stderr, "casesim calibrate: wrote %s (the fitted scenario of %s)\n", a->fitted,
                a->from);
    return cs_cli_exit_code(st);
}

/* For --resume: the calibration in the output file, which must have been
 * made from this scenario's text with the settings given (if any); its
 * seed, scale and wave sizes go into cfg. Returns CS_OK or an error. */
static int load_resume(const cal_args *a, const cs_scenario *s, cs_calibrate_config *cfg,
                       cs_calibration **old, cs_error *err)
{
    char *source = NULL;
    int st = cs_calibration_file_load(a->output, old, &source, err);
    if (st != CS_OK)
        return st;
    const cs_calibration *c = *old;
    if (c->method == CS_CALIBRATE_OPTIMIZE)
        st = cs_error_set(err, CS_EUSAGE,
                          "%s holds a point fit (--method optimize), which cannot be resumed",
                          a->output);
    else if (strlen(source) != s->source_len || memcmp(source, s->source, s->source_len) != 0)
        st = cs_error_set(err, CS_EUSAGE,
                          "%s was made from another scenario text than %s: it cannot be "
                          "resumed with it",
                          a->output, a->scenario);
    else if ((a->have_seed && a->seed != c->seed) || (a->have_scale && a->scale != c->scale) ||
             (a->initial && a->initial != c->n_initial) || (a->wave && a->wave != c->wave_size) ||
             (a->common_seeds && !c->common_seeds))
        st = cs_error_set(err, CS_EUSAGE,
                          "%s was made with --seed %llu --scale %llu --initial %zu --wave %zu%s: "
                          "resume it with the same (or without these options)",
                          a->output, (unsigned long long)c->seed, (unsigned long long)c->scale,
                          c->n_initial, c->wave_size, c->common_seeds ? " --common-seeds" : "");
    free(source);
    cfg->seed = c->seed;
    cfg->scale = c->scale;
    cfg->n_initial = c->n_initial;
    cfg->wave_size = c->wave_size;
    cfg->common_seeds = c->common_seeds;
    cfg->resume = c;
    return st;
}

#ifdef CASESIM_HAVE_MPI
/* This process's rank and the number of ranks. */
static struct {
    int rank, size;
} mpi = {0, 1};

/* What every rank needs to run the same calibration. */
typedef struct mpi_params {
    uint64_t seed, scale, threads, max_evaluations, n_initial, wave_size, method, common_seeds;
    uint64_t stall_waves;
    double target_ess, size_tol;
} mpi_params;

/* Rank 0: sends the other ranks the settings and the scenario; they load it
 * and agree on the outcome. */
static int mpi_release(const cs_calibrate_config *cfg, const cs_scenario *s, cs_error *err)
{
    mpi_params q = {cfg->seed,        cfg->scale,      (uint64_t)cfg->threads, cfg->max_evaluations,
                    cfg->n_initial,   cfg->wave_size,  (uint64_t)cfg->method,  cfg->common_seeds,
                    cfg->stall_waves, cfg->target_ess, cfg->size_tol};
    return cs_cli_mpi_release(&q, sizeof q, s, err);
}

/* Ranks other than 0: load the scenario rank 0 sends and run the same
 * calibration (its result is rank 0's to write). */
static int mpi_follow_run(const void *params, const char *path, const char *text, size_t len,
                          cs_error *err)
{
    const mpi_params *q = params;
    cs_scenario *s = NULL;
    int st = cs_scenario_load_string(text, len, path, &s, err);
    st = cs_mpi_agree(MPI_COMM_WORLD, st, err);
    if (st == CS_OK) {
        cs_calibrate_config cfg = {.method = (cs_calibrate_method)q->method,
                                   .seed = q->seed,
                                   .scale = q->scale,
                                   .threads = (int)q->threads,
                                   .target_ess = q->target_ess,
                                   .max_evaluations = q->max_evaluations,
                                   .n_initial = q->n_initial,
                                   .wave_size = q->wave_size,
                                   .stop = &stop_signal,
                                   .size_tol = q->size_tol,
                                   .common_seeds = q->common_seeds != 0,
                                   .stall_waves = q->stall_waves,
                                   .use_mpi = true};
        cs_calibration *c = NULL;
        st = cs_calibrate_run(s, &cfg, &c, err);
        cs_calibration_free(c);
    }
    cs_scenario_free(s);
    return st;
}

/* Ranks other than 0: run the calibration rank 0 releases them to (a stop
 * signal ends it after the wave, as on rank 0); rank 0's exit status. */
static int mpi_follow(void)
{
    struct sigaction old[2];
    cs_cli_signals_catch(on_signal, old);
    mpi_params q;
    int rc = cs_cli_mpi_follow(&q, sizeof q, mpi_follow_run);
    cs_cli_signals_restore(old);
    return rc;
}
#endif

/* Runs the calibration and writes its file; returns the exit status. */
static int calibrate(const cal_args *a, const cs_scenario *s, const char *command_line,
                     cs_error *err)
{
    cs_calibrate_config cfg;
    cs_calibrate_config_default(&cfg, s);
    if (a->have_seed)
        cfg.seed = a->seed;
    cfg.scale = a->scale;
    cfg.threads = (int)a->threads;
    if (a->have_ess)
        cfg.target_ess = (double)a->ess;
    if (a->have_max)
        cfg.max_evaluations = a->max_eval;
    cfg.n_initial = a->initial;
    cfg.method = a->method;
    cfg.wave_size = a->wave;
    cfg.stall_waves = a->stall;
    cfg.predictive = a->predictive;
    cfg.common_seeds = a->common_seeds;
    cfg.stop = &stop_signal;
    cfg.on_wave = on_wave;
    cfg.on_wave_ctx = (void *)a;
    cs_calibration *c = NULL, *old = NULL;
    int st = a->resume ? load_resume(a, s, &cfg, &old, err) : CS_OK;
#ifdef CASESIM_HAVE_MPI
    if (st == CS_OK && mpi.size > 1 && a->resume)
        st = cs_error_set(err, CS_EUSAGE, "--resume runs on one MPI rank only");
    if (st == CS_OK && mpi.size > 1 && (st = mpi_release(&cfg, s, err)) == CS_OK)
        cfg.use_mpi = true;
#endif
    if (st == CS_OK)
        st = cs_calibrate_run(s, &cfg, &c, err);
    cs_calibration_free(old);
    bool complete = st == CS_OK;
    if (st == CS_EINTERRUPTED && a->method == CS_CALIBRATE_OPTIMIZE)
        fprintf(stderr, "casesim calibrate: the point fit was interrupted; nothing was written\n");
    else if (st == CS_EINTERRUPTED && c && c->n_points == 0 && !cfg.resume)
        fprintf(stderr, "casesim calibrate: interrupted before the first wave was finished; "
                        "nothing was written\n");
    else if ((st == CS_OK || st == CS_EINTERRUPTED) && c) {
        cs_error_clear(err);
        int wst = write_output(a, s, c, command_line, complete, err);
        if (wst != CS_OK)
            st = wst;
        else if (!a->quiet)
            print_done(a, c, complete);
        if (st == CS_OK && a->fitted)
            st = write_fitted(a, err);
    }
    cs_calibration_free(c);
    if (st == CS_EINTERRUPTED)
        return stop_signal == SIGTERM ? CS_EXIT_SIGTERM : CS_EXIT_SIGINT;
    if (st != CS_OK)
        cs_cli_print_error("calibrate", err);
    return cs_cli_exit_code(st);
}

static int calibrate_main(int argc, char **argv)
{
    cal_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    if ((rc = refuse_existing(&a)) != CS_EXIT_OK)
        return rc;
    if (a.from)
        return write_from(&a);
    static cs_error err; /* large: keep it off the stack */
    cs_error_clear(&err);
    cs_scenario *s = NULL;
    int st = cs_scenario_load(a.scenario, &s, &err);
    if (st != CS_OK) {
        cs_cli_print_error("calibrate", &err);
        fprintf(stderr, "casesim calibrate: %s is not a valid scenario; nothing was written\n",
                a.scenario);
        return cs_cli_exit_code(st);
    }
    char *command_line = cs_cli_command_line(argc, argv);
    struct sigaction old[2];
    cs_cli_signals_catch(on_signal, old);
    rc = command_line ? calibrate(&a, s, command_line, &err) : CS_EXIT_FAILURE;
    cs_cli_signals_restore(old);
    free(command_line);
    cs_scenario_free(s);
    return rc;
}

int cs_cli_calibrate(int argc, char **argv)
{
#ifdef CASESIM_HAVE_MPI
    return cs_cli_mpi_command("calibrate", argc, argv, calibrate_main, mpi_follow, &mpi.rank,
                              &mpi.size);
#else
    return calibrate_main(argc, argv);
#endif
}
