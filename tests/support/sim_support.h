/*
 * sim_support.h — helpers shared by the engine's Check suites: scenarios from
 * YAML text, sequential replicate runs, and simple statistics.
 *
 * Nothing here starts an OpenMP region: Check forks a child for every test
 * after main has run, and if the parent has run an OpenMP region before the
 * fork, every OpenMP region in the children hangs (libgomp is not fork-safe).
 * So any suite may call these from its test bodies.
 */
#ifndef CASESIM_TEST_SIM_SUPPORT_H
#define CASESIM_TEST_SIM_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casesim/engine.h"
#include "casesim/measures.h"
#include "casesim/scenario.h"

/* Loads a scenario from YAML text; fails the current test (with the
 * loader's messages) if it does not load. Free with cs_scenario_free. */
cs_scenario *cs_test_scenario(const char *yaml);

/* Called once per replicate by cs_test_run_variant. */
typedef void (*cs_test_each_fn)(void *ctx, const cs_replicate_result *r);

/* Runs replicates 0 .. n-1 of variant v of s (the scenario itself if it has
 * no variants) with cs_sim_replicate, one after another, and calls fn with
 * each result. Fails the current test on any engine error. */
void cs_test_run_variant(const cs_scenario *s, size_t v, uint64_t seed, uint64_t n, bool records,
                         cs_test_each_fn fn, void *ctx);

/* Sample mean and standard error of the mean of x[0..n) (n >= 2). */
void cs_test_mean_se(const double *x, size_t n, double *mean, double *se);

/* The row of group g (n_groups for "all") of a result's measures. */
const double *cs_test_measures(const cs_replicate_result *r, size_t g);

#endif
