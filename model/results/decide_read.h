/*
 * results/decide_read.h — the decision analysis's input read from a results
 * file (internal to results/decide_*.c).
 */
#ifndef CASESIM_RESULTS_DECIDE_READ_H
#define CASESIM_RESULTS_DECIDE_READ_H

#include <hdf5.h>
#include <stdbool.h>

#include "results/internal.h"

/* Everything read, owned, and the input built from it. */
typedef struct cs_dfile {
    hid_t file, g;            /* the file and its /decision (owned: g) */
    size_t V, G, M, n_inputs; /* variants, groups, measures, uncertain values */
    size_t V_listed; /* the variants of the file: V, then the decomposition's (not decided on) */
    char **variants, **kinds, **groups, **measures;
    /* The specification (attributes of /decision). */
    char *measure, *group, *currency, *sampling;
    int direction;
    bool has_grid;
    double grid[3], expert, horizon, budget;
    uint64_t seed, first, R, k;
    size_t measure_index, group_index;
    /* Per variant and replicate: the outcome and the annual cost ([V][R]);
     * per replicate, the uncertain values ([R][n_inputs]). */
    double *outcome, *cost, *theta;
    /* /uncertainty/inputs. */
    cs_results_input_row *entries;
    size_t n_entries;
    /* The input: complete draws only. */
    size_t D, dropped;
    uint64_t *draw_index; /* [D] */
    double *effect, *dcost, *dtheta;
    cs_evppi_set *sets;
    char **set_names, **set_kinds;
    size_t *set_inputs; /* storage of the sets' indices */
    size_t n_sets;
    cs_decision_bundle *bundles;
    size_t *bundle_members, n_bundles;
    size_t *portfolios, n_portfolios;
    double *portfolio_cost; /* [n_portfolios] expected annual costs */
    char **inputs;          /* /scenario/inputs: [n_inputs] */
    cs_decide_input in;
} cs_dfile;

/* Reads the decision's input from file into *f (zeroed first). Returns
 * CS_OK; CS_EFORMAT for a file without /decision (then f->g is invalid:
 * nothing to do) or a damaged one; CS_EIO; CS_ENOMEM. */
int cs_dfile_read(hid_t file, const char *most_affected, cs_dfile *f, cs_error *err);

/* Frees everything f owns. */
void cs_dfile_free(cs_dfile *f);

#endif
