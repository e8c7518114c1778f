/*
 * casesim/sensitivity.h — the numerical core of global sensitivity analysis:
 * designs on the unit hypercube and the estimators on their outputs.
 *
 * The caller owns the model. It describes its uncertain numbers as K inputs,
 * each one coordinate u in (0, 1) of the unit hypercube, which it maps to the
 * input's value through the input's quantile function. Inputs may be put in
 * groups (group[c] = the factor of input c); the factors are what the indices
 * are about: a factor is one input, or a group whose inputs move together
 * from one design matrix to the other. With no groups, factor c = input c.
 *
 *   design -> point p (K coordinates) -> caller runs the model -> outputs
 *   y[p][o] -> estimators -> indices with bootstrap intervals.
 *
 * Three analyses share the factors:
 *   - Sobol indices on Saltelli's design (Saltelli et al. 2010, "Variance
 *     based sensitivity analysis of model output. Design and estimator for
 *     the total sensitivity index", Comput. Phys. Commun. 181:259-270): the
 *     first-order index S1 with that paper's estimator, the total index ST
 *     with Jansen's (1999), bootstrap intervals, and the simulation noise
 *     share with noise-corrected indices;
 *   - Morris elementary effects (Morris 1991) with mu* (Campolongo, Cariboni
 *     and Saltelli 2007) for screening;
 *   - one-way (tornado) swings.
 *
 * Design points are functions of (design, index) alone, so that points can
 * be evaluated in any order, by any thread or MPI rank, and a resumed run
 * sees the same points. Every random number comes from a PCG stream keyed by
 * (seed, CS_STREAM_SENSITIVITY, a sub-purpose, indices) with the key layout
 *   {seed, replicate = sub-purpose (enum below), group = first index,
 *    incident = second index, track = third index, purpose = SENSITIVITY}.
 *
 * Simulation noise. For a stochastic model every design point must be run
 * with its OWN simulation seed (for example replicate number = the point's
 * index; all variants of one point may share it: common random numbers
 * across variants are fine). Then the noise is independent of the inputs'
 * switching and the expectations used by the noise correction hold:
 *   E[S1 numerator] = V_i (the noise cancels), E[Jansen] = VT_i + sigma^2,
 *   E[total variance] = V_f + sigma^2,
 * where V_f is the variance of the noiseless model f(x) = E[y | x] and
 * sigma^2 = E_x[Var(y | x)] the mean noise variance. Reusing one seed across
 * the points of a row would break these identities.
 *
 * The Sobol estimators, on the n rows used, with f centred on the pooled
 * mean of f(A) and f(B) (see cs_sens_sobol_analyse for why):
 *   V     = sum of (f - mean)^2 over the 2n values f(A_j), f(B_j) / (2n - 1)
 *   V_i   = (1/n) sum_j f(B_j) (f(A_B^i_j) - f(A_j))      S1_i = V_i / V
 *   VT_i  = (1/2n) sum_j (f(A_j) - f(A_B^i_j))^2         ST_i = VT_i / V
 *   sigma^2 = (1/M) sum_m s_m^2, s_m^2 the sample variance of the R repeats
 *             of base point m;   noise share = sigma^2 / V
 *   noiseless S1_i = V_i / (V - sigma^2), ST_i = (VT_i - sigma^2) / (V - sigma^2)
 * Estimates are not clipped to [0, 1]: a slightly negative S1 says that the
 * index cannot be told from 0 at this N.
 *
 * Memory: every _alloc has its _free; results are owned by the caller after a
 * successful call and freed with the matching _free (NULL is a no-op). On
 * error nothing is allocated and *out is NULL. Functions keep no state
 * between calls and only read their const inputs: thread-safe.
 */
#ifndef CASESIM_SENSITIVITY_H
#define CASESIM_SENSITIVITY_H

#include <stddef.h>
#include <stdint.h>

#include "casesim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* GSL's Sobol sequence (gsl_qrng_sobol) has at most 40 dimensions and does
 * not say so when asked for more (it returns uninitialised numbers). */
#define CS_SENS_SOBOL_MAX_DIM 40

/* Largest number of rows N of Saltelli's matrices A and B: the Sobol points
 * are kept in memory (4 bytes per coordinate, at most 2^20 x 40 x 4 = 168 MB),
 * and 2^20 (D + 2) model runs is far beyond any simulation budget. */
#define CS_SENS_MAX_ROWS ((size_t)1 << 20)

/* Bootstrap resamples used unless the caller asks otherwise. A 95% percentile
 * interval needs the 2.5% and 97.5% quantiles of the resamples; 1000
 * resamples place 25 of them beyond each end, enough for stable ends. */
#define CS_SENS_BOOTSTRAP 1000

/* The one-way (tornado) probabilities: each factor at its 5th and 95th
 * percentile, the others at their medians. */
#define CS_SENS_TORNADO_LOW 0.05
#define CS_SENS_TORNADO_HIGH 0.95

/* The sub-purposes of the keyed streams (the key's `replicate` word). */
enum cs_sens_stream {
    CS_SENS_STREAM_SHIFT = 1,       /* digital shift of the Sobol points */
    CS_SENS_STREAM_PAD = 2,         /* coordinates beyond the Sobol dimensions */
    CS_SENS_STREAM_SOBOL_BOOT = 3,  /* bootstrap of the Sobol indices: group = resample */
    CS_SENS_STREAM_NOISE_BOOT = 4,  /* bootstrap of the replicated points: group = resample */
    CS_SENS_STREAM_MORRIS = 5,      /* Morris trajectory: group = trajectory */
    CS_SENS_STREAM_MORRIS_BOOT = 6, /* bootstrap of Morris statistics: group = resample */
};

/* An estimate with its bootstrap uncertainty. */
typedef struct cs_sens_estimate {
    double value; /* on the full sample; NaN when not defined */
    double se;    /* standard deviation of the bootstrap replicates */
    double low;   /* percentile interval at the analysis level: the (1-level)/2 */
    double high;  /* and (1+level)/2 quantiles of the bootstrap replicates */
} cs_sens_estimate;

/* Options of the estimators. Pass NULL for the defaults. */
typedef struct cs_sens_options {
    size_t n_boot; /* bootstrap resamples, >= 1 (default CS_SENS_BOOTSTRAP) */
    double level;  /* interval level in (0, 1) (default 0.95) */
} cs_sens_options;

/* ---------------------------------------------------------------- factors */

/* Checks a grouping of n_inputs inputs and counts the factors: group[c] is
 * the factor of input c; the factors must be numbered 0..D-1 with every one
 * used (group NULL: D = n_inputs, input c is factor c). Writes D to
 * *n_factors. Returns CS_OK, or CS_EINVAL with a message (no inputs, a
 * factor number left unused or out of range). */
int cs_sens_factors(size_t n_inputs, const size_t *group, size_t *n_factors, cs_error *err);

/* ------------------------------------------------------ Saltelli's design */

/* Saltelli's design: N rows of matrices A and B (each row a point of the
 * K-dimensional hypercube), and for every factor i the matrix A_B^(i), A with
 * the columns of factor i's inputs taken from B. N (D + 2) points.
 *
 * Point index p = j (D + 2) + m for row j (0..N-1) and matrix m: m = 0 is A,
 * m = 1 is B, m = 2 + i is A_B^(i). Rows are whole blocks so that a run
 * stopped early leaves complete rows, and the estimators accept the first
 * n_rows of them.
 *
 * Where the coordinates come from (K inputs, D factors):
 *   - 2K <= 40: every coordinate from the Sobol sequence of dimension 2K
 *     (A's input c from dimension c, B's from K + c);
 *   - 2K > 40 but 2D <= 40 (inputs grouped): the first input of each factor
 *     from Sobol dimension i (A) and D + i (B); every other input of the
 *     group from its keyed stream (sub-purpose PAD, keyed by row, matrix A/B,
 *     input): Monte Carlo padding, still independent and uniform, so the
 *     estimators stay unbiased, and the quasi-random balance is kept where it
 *     matters most, one coordinate per factor;
 *   - 2D > 40: refused.
 *
 * The Sobol points are GSL's. Its generator (Antonov-Saleev Gray-code order)
 * never returns the all-zero point: its first point is (1/2, ..., 1/2).
 *   - plain (scramble = 0): row j is GSL's point j + 1, unchanged (the zero
 *     point, where an unbounded quantile function is infinite, is not in the
 *     design; no coordinate is 0 or 1);
 *   - scrambled (scramble = 1, recommended): rows 0..N-1 are the first N
 *     points of the sequence INCLUDING the zero point (for N a power of two,
 *     exactly a (t, m, s)-net, balanced in every dyadic box), under a random
 *     digital shift keyed by (seed, SHIFT): each coordinate's 30 bits XOR a
 *     random 30-bit mask, placed at the centre of its cell of width 2^-30.
 *     The shift keeps the net's balance, moves the zero point into the open
 *     cube, makes each point uniform (the estimators unbiased) and ties the
 *     design to the seed, so two seeds give two independent designs.
 * In both modes row j does not depend on N: doubling N extends the design. */
typedef struct cs_sens_saltelli {
    size_t n_inputs;    /* K */
    size_t n_factors;   /* D */
    size_t n_rows;      /* N, a power of two */
    size_t n_requested; /* the N asked for */
    size_t n_points;    /* N (D + 2) */
    int scramble;
    uint64_t seed;
    size_t *group;     /* [K] factor of each input (owned copy) */
    size_t *sobol_dim; /* [K] Sobol dimension of input c in A (B: + n_sobol/2); SIZE_MAX = padded */
    size_t n_sobol;    /* dimensions of the Sobol sequence used (2K or 2D) */
    uint32_t *numerator; /* [N][n_sobol] the points' 30-bit numerators (shift applied) */
} cs_sens_saltelli;

/* The index of row j of matrix m (0 = A, 1 = B, 2 + i = A_B^(i)). The
 * replicated base points of the noise estimate are best taken as the first
 * M rows of A: cs_sens_saltelli_index(d, j, 0), j < M. */
static inline size_t cs_sens_saltelli_index(const cs_sens_saltelli *d, size_t j, size_t m)
{
    return j * (d->n_factors + 2) + m;
}

/* The number of rows used for a request of n rows: the smallest power of two
 * >= n (a Sobol sample is balanced only for powers of two; rounding up never
 * gives less precision than asked). 0 if n is 0 or the power of two would
 * exceed CS_SENS_MAX_ROWS. Callers print it before running ("N = 1000 is not
 * a power of two: using 1024"). */
size_t cs_sens_saltelli_rows(size_t n);

/* Allocates Saltelli's design for n_inputs inputs grouped by group (NULL: no
 * groups), at least n_rows rows (rounded up, see cs_sens_saltelli_rows), plain
 * or scrambled, keyed by seed. Generates and keeps the Sobol points (O(N x
 * dimensions) time). Returns CS_OK; CS_EINVAL with a message for a bad
 * grouping, n_rows 0 or above CS_SENS_MAX_ROWS, or too many Sobol dimensions
 * (the message says how many and to group the inputs); CS_ENOMEM. Free with
 * cs_sens_saltelli_free. */
int cs_sens_saltelli_alloc(size_t n_inputs, const size_t *group, size_t n_rows, int scramble,
                           uint64_t seed, cs_sens_saltelli **out, cs_error *err);

/* Frees d. NULL is a no-op. */
void cs_sens_saltelli_free(cs_sens_saltelli *d);

/* Writes the K coordinates of design point p (see the index layout above) to
 * u[0..K-1], each in (0, 1). The same p gives the same bits in any order, on
 * any thread. Returns CS_OK or CS_EINVAL if p >= n_points. */
int cs_sens_saltelli_point(const cs_sens_saltelli *d, size_t p, double *u, cs_error *err);

/* ------------------------------------------------------ Sobol estimators */

/* Replicated evaluations for the noise variance: n_points base points (for
 * example the first rows of matrix A), each run n_repeats >= 2 times with
 * different simulation seeds; y[(m * n_repeats + r) * n_outputs + o]. The
 * base points must be a sample of the inputs' distribution (rows of A are),
 * so that the pooled within-point variance estimates E_x[Var(y | x)]. */
typedef struct cs_sens_replicates {
    const double *y;
    size_t n_points;
    size_t n_repeats;
} cs_sens_replicates;

/* Per output: the sample, its variance and the noise. */
typedef struct cs_sens_sobol_output {
    double mean;               /* of the pooled f(A), f(B) on the rows used */
    cs_sens_estimate variance; /* total variance V: pooled f(A), f(B), divisor 2n - 1 */
    size_t rows_used;          /* rows whose D + 2 values are all finite */
    size_t rows_dropped;       /* rows with a NaN or infinite value */
    /* With replicated evaluations (NaN / 0 otherwise): */
    cs_sens_estimate noise_variance; /* sigma^2, pooled within-point variance */
    cs_sens_estimate noise_share;    /* sigma^2 / V */
    size_t noise_points_used;        /* base points whose repeats are all finite */
} cs_sens_sobol_output;

/* Per (output, factor). */
typedef struct cs_sens_sobol_index {
    cs_sens_estimate s1; /* V_i / V, V_i = mean(f(B) (f(A_B^i) - f(A))), outputs centred */
    cs_sens_estimate st; /* VT_i / V, VT_i = mean((f(A) - f(A_B^i))^2) / 2 (Jansen) */
    /* Noise-corrected (shares of V_f = V - sigma^2, the variance of the noiseless
     * model); NaN without replicated evaluations or when V - sigma^2 <= 0: */
    cs_sens_estimate s1_noiseless; /* V_i / (V - sigma^2) */
    cs_sens_estimate st_noiseless; /* (VT_i - sigma^2) / (V - sigma^2) */
} cs_sens_sobol_index;

/* Sobol indices of several outputs. */
typedef struct cs_sens_sobol {
    size_t n_factors;
    size_t n_outputs;
    size_t n_rows; /* rows given (<= the design's N) */
    size_t n_boot;
    double level;
    cs_sens_sobol_output *output; /* [n_outputs] */
    cs_sens_sobol_index *index;   /* [n_outputs * n_factors]: index[o * n_factors + i] */
} cs_sens_sobol;

/* Estimates the first-order and total indices of n_outputs outputs from the
 * first n_rows rows of design d: y[p * n_outputs + o] is output o at point p
 * (p < n_rows (D + 2), the layout of cs_sens_saltelli_point).
 *
 * Reading. Each index is a share of the total variance V of the output,
 * estimated from the 2n pooled values f(A), f(B). S1_i: the share explained
 * by factor i alone; ST_i: by factor i with all its interactions. Outputs are
 * centred on their pooled mean first: the S1 estimator is not invariant under
 * a shift of the output, and an uncentred output with a large mean (an
 * impunity rate of 0.9 +/- 0.01) would add mean^2-sized noise to it.
 * For a stochastic model the noise is part of V and inflates every ST by
 * sigma^2 / V: S1, ST are then shares of the variance including the noise.
 * Given `noise` (NULL: none), the noise share and the noiseless indices are
 * estimated too (see the file comment for the conditions).
 *
 * Missing values: a row whose D + 2 values of an output are not all finite
 * is dropped for that output (counted in rows_dropped); every index of the
 * output uses the same rows, so indices stay comparable.
 *
 * Uncertainty: a nonparametric bootstrap over rows (rows are the independent
 * units: a row's D + 2 points are resampled together), the same resampled
 * rows for every output and factor, resample b from the stream (seed of d,
 * SOBOL_BOOT, b); replicated base points are resampled alongside from
 * (seed, NOISE_BOOT, b). Each estimate's se is the bootstrap standard
 * deviation and [low, high] the percentile interval. With Sobol points the
 * row-resampling bootstrap treats rows as independent, which overstates the
 * error of a quasi-random sample: the intervals are conservative (for
 * Ishigami and the G function at N = 2^14 the actual errors were below 0.2
 * bootstrap SE; on independent rows the SE and the 95% coverage are right,
 * tests/test_sensitivity_sobol.c).
 *
 * Returns CS_OK; CS_EINVAL (with a message) for n_rows < 2 or above the
 * design's N, no outputs, bad options, a noise sample with fewer than 2 base
 * points or 2 repeats; CS_ELIMIT for sizes that overflow; CS_ENOMEM.
 * Free the result with cs_sens_sobol_free. */
int cs_sens_sobol_analyse(const cs_sens_saltelli *d, const double *y, size_t n_rows,
                          size_t n_outputs, const cs_sens_replicates *noise,
                          const cs_sens_options *opt, cs_sens_sobol **out, cs_error *err);

/* Frees r. NULL is a no-op. */
void cs_sens_sobol_free(cs_sens_sobol *r);

/* The noise variance of each output from replicated evaluations alone:
 * sigma2[o] = mean over base points of the within-point sample variance
 * (divisor n_repeats - 1) — the pooled within-point variance, unbiased for
 * E_x[Var(y | x)] — and se[o] = sd over points of those variances / sqrt(M),
 * which holds without assuming normal or equal noise. Points with a
 * non-finite repeat are left out; used[o] counts the points used (sigma2 NaN
 * if none, se NaN if fewer than 2). Any of se, used may be NULL. Returns
 * CS_OK or CS_EINVAL (n_repeats < 2, NULL data). */
int cs_sens_noise_variance(const cs_sens_replicates *rep, size_t n_outputs, double *sigma2,
                           double *se, size_t *used, cs_error *err);

/* ------------------------------------------------------------------ Morris */

/* Morris's design: r trajectories of D + 1 points on a p-level grid. Each
 * trajectory starts at a random grid point and moves one factor at a time,
 * in a random order, by a jump of p/2 levels: Morris's Delta = p / (2 (p -
 * 1)) on the grid {0, 1/(p-1), ..., 1}. The levels are placed at the cell
 * midpoints u = (k + 1/2) / p instead of k / (p - 1), so that no point lies
 * at 0 or 1 where an unbounded quantile function (normal, lognormal, gamma)
 * is infinite; the jump is then exactly 1/2 on the quantile scale for any
 * even p. A factor's inputs all move in the factor's direction (drawn +/-
 * with probability 1/2; each input's start level uniform over the half of
 * the grid the jump stays on), so every input's level is uniform over the p
 * levels and a group's effect has a sign.
 *
 * Point index p = t (D + 1) + s: trajectory t (0..r-1), step s (0..D), step 0
 * the start. Trajectory t comes from the stream (seed, MORRIS, t) alone. */
typedef struct cs_sens_morris {
    size_t n_inputs;  /* K */
    size_t n_factors; /* D */
    size_t n_levels;  /* p, even, >= 2 */
    size_t n_traj;    /* r */
    size_t n_points;  /* r (D + 1) */
    uint64_t seed;
    size_t *group; /* [K] (owned copy) */
    /* The trajectories, drawn at allocation from their own streams (so that
     * a point needs no allocation); read-only: */
    unsigned char *start; /* [r][K] start level of each input */
    size_t *order;        /* [r][D] the factor moved at step s + 1 */
    signed char *dir;     /* [r][D] +1 or -1: the direction of each factor's jump */
} cs_sens_morris;

/* Allocates a Morris design: n_inputs inputs grouped by group (NULL: none),
 * n_levels (0: the default 4; otherwise even and between 2 and 64), n_traj
 * trajectories (>= 2), keyed by seed. Returns CS_OK, CS_EINVAL with a
 * message, or CS_ENOMEM. Free with cs_sens_morris_free. */
int cs_sens_morris_alloc(size_t n_inputs, const size_t *group, size_t n_levels, size_t n_traj,
                         uint64_t seed, cs_sens_morris **out, cs_error *err);

/* Frees d. NULL is a no-op. */
void cs_sens_morris_free(cs_sens_morris *d);

/* Writes the K coordinates of Morris point p to u (each (k + 1/2) / n_levels)
 * and, when level is not NULL, the K grid levels k (0..p-1) to level.
 * Returns CS_OK or CS_EINVAL if p >= n_points. */
int cs_sens_morris_point(const cs_sens_morris *d, size_t p, double *u, size_t *level,
                         cs_error *err);

/* Morris statistics of one (output, factor). The elementary effect of a
 * step is EE = (y after - y before) / (u after - u before): output units per
 * unit of the quantile scale, the hypercube coordinate (a step moves an input
 * by half its probability range, e.g. from its 12.5th to its 62.5th
 * percentile with p = 4). For a group, u is each of its inputs' coordinate:
 * they all move by the same +/- 1/2. */
typedef struct cs_sens_ee {
    double mu;                /* mean EE */
    double sigma;             /* sd of EE (divisor n - 1): nonlinearity or interaction */
    cs_sens_estimate mu_star; /* mean |EE| with bootstrap se and interval */
    size_t n_effects;         /* effects used (both outputs finite) */
    /* Per natural unit of the input (NaN unless natural levels were given and
     * the factor is a single input): EE = dy / (x after - x before). */
    double mu_natural;
    double mu_star_natural;
    double sigma_natural;
} cs_sens_ee;

/* Morris statistics of several outputs. */
typedef struct cs_sens_morris_result {
    size_t n_factors;
    size_t n_outputs;
    size_t n_traj; /* trajectories given */
    size_t n_boot;
    double level;
    cs_sens_ee *ee; /* [n_outputs * n_factors]: ee[o * n_factors + i] */
} cs_sens_morris_result;

/* Estimates mu, mu*, sigma of every factor and output from the first n_traj
 * trajectories of d: y[p * n_outputs + o] is output o at point p. An effect
 * whose two outputs are not both finite is left out (n_effects counts those
 * used). natural (NULL: none) gives each input's value at each level,
 * natural[c * n_levels + k] = Q_c((k + 1/2) / p) in the input's own units,
 * for effects per natural unit (a step with no change in x gives no natural
 * effect). mu*'s interval: bootstrap over trajectories from (seed, MORRIS_BOOT,
 * b). Returns CS_OK; CS_EINVAL for n_traj < 2 or above the design's, bad
 * options; CS_ENOMEM. Free with cs_sens_morris_result_free. */
int cs_sens_morris_analyse(const cs_sens_morris *d, const double *y, size_t n_traj,
                           size_t n_outputs, const double *natural, const cs_sens_options *opt,
                           cs_sens_morris_result **out, cs_error *err);

/* Frees r. NULL is a no-op. */
void cs_sens_morris_result_free(cs_sens_morris_result *r);

/* --------------------------------------------------- one-way (tornado) */

/* The one-way design has 1 + 2D points: p = 0 every input at its median
 * (u = 1/2); p = 1 + 2i factor i's inputs at CS_SENS_TORNADO_LOW, p = 2 + 2i
 * at CS_SENS_TORNADO_HIGH, the others at 1/2. Writes the K coordinates of
 * point p to u. Returns CS_OK or CS_EINVAL (bad grouping, p out of range). */
int cs_sens_tornado_point(size_t n_inputs, const size_t *group, size_t p, double *u, cs_error *err);

/* One bar of a tornado. */
typedef struct cs_sens_swing {
    size_t factor;
    double low;   /* output with the factor at its 5th percentile */
    double high;  /* at its 95th */
    double swing; /* |high - low|; NaN if either is NaN */
} cs_sens_swing;

/* The swings of n_factors factors for each of n_outputs outputs from the
 * one-way design's outputs y[p * n_outputs + o] (p < 1 + 2D), sorted by
 * decreasing swing (ties by factor number, undefined swings last):
 * out[o * n_factors + rank]. base (may be NULL) receives y at the medians,
 * [n_outputs]. Returns CS_OK or CS_EINVAL (n_factors or n_outputs 0). */
int cs_sens_tornado(const double *y, size_t n_factors, size_t n_outputs, double *base,
                    cs_sens_swing *out, cs_error *err);

#ifdef __cplusplus
}
#endif
#endif
