/*
 * calibrate/synthetic.c — targets a scenario would publish if its inputs had
 * known values: for recovery tests and simulation-based calibration
 * (casesim/calibrate.h).
 */
#include <math.h>
#include <string.h>

#include "casesim/calibrate.h"
#include "casesim/engine.h"

int cs_calibrate_synthetic(const cs_scenario *s, const double *values, uint64_t seed,
                           uint64_t replicate, double *sums, cs_error *err)
{
    memset(sums, 0, s->n_targets * CS_TARGET_SUMS * sizeof *sums);
    cs_scenario *at = NULL;
    cs_model *m = NULL;
    cs_replicate_result *r = NULL;
    int st = cs_scenario_instantiate(s, values, &at, err);
    if (st != CS_OK)
        return st;
    const cs_scenario *base = at->n_variants ? at->variants[0].scenario : at;
    cs_result_dims d;
    cs_result_dims_of(base, &d);
    if ((st = cs_model_compile(base, &m, err)) == CS_OK)
        cs_model_set_tallies(m, cs_targets_tallies(s));
    if (st != CS_OK || (st = cs_replicate_result_alloc(&d, &r, err)) != CS_OK ||
        (st = cs_sim_replicate(m, seed, replicate, false, NULL, r, err)) != CS_OK)
        goto done;
    /* what cs_sim_run gives every result: its point's values */
    memcpy(r->uncertain_values, values, s->n_uncertain_values * sizeof *values);
    for (size_t t = 0; t < s->n_targets; t++)
        cs_target_accumulate(s, &s->targets[t], r, sums + t * CS_TARGET_SUMS);
done:
    cs_replicate_result_free(r);
    cs_model_free(m);
    cs_scenario_free(at);
    return st;
}

bool cs_target_observe(cs_target_spec *t, const double sums[CS_TARGET_SUMS])
{
    cs_calib_simulated sim;
    if (!cs_target_simulated(t, sums, 1.0, &sim))
        return false;
    switch (t->kind) {
    case CS_TARGET_COUNT:
        t->like.observed = round(sim.value * cs_target_like(t, sums, 1.0).unit_factor);
        return true;
    case CS_TARGET_SHARE:
    case CS_TARGET_COHORT_SHARE:
        if (t->like.family == CS_CALIB_NORMAL) {
            t->like.observed = sim.value;
        } else {
            t->like.observed = sums[0];
            t->like.observed_n = sums[1];
        }
        return sums[1] > 0;
    case CS_TARGET_MEAN_DURATION:
        t->like.observed = sim.value;
        return true;
    default:
        t->like.observed = sim.value;
        return sim.value > 0;
    }
}
