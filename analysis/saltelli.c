/* saltelli.c — Saltelli's design on GSL's Sobol sequence, and the Sobol
 * indices with their bootstrap: first order (Saltelli et al. 2010), total
 * (Jansen 1999), and the noise share with noise-corrected indices (see
 * include/casesim/sensitivity.h, which gives the formulas). */
#include "casesim/sensitivity.h"

#include <gsl/gsl_qrng.h>
#include <math.h>
#include <stdlib.h>

#include "casesim/stats.h"
#include "sensitivity_internal.h"

/* GSL's Sobol numbers are k / 2^30 (SOBOL_BIT_COUNT in its sobol.c). */
#define SOBOL_BITS 30
#define SOBOL_SCALE 0x1.0p30
#define SOBOL_MASK ((UINT32_C(1) << SOBOL_BITS) - 1u)

size_t cs_sens_saltelli_rows(size_t n)
{
    if (n == 0 || n > CS_SENS_MAX_ROWS)
        return 0;
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

/* Chooses where each input's coordinates come from (see the header): every
 * input from Sobol when 2K <= 40, else the first input of each group. */
static int assign_dimensions(cs_sens_saltelli *d, cs_error *err)
{
    size_t k = d->n_inputs, nd = d->n_factors;
    if (k <= CS_SENS_SOBOL_MAX_DIM / 2) {
        d->n_sobol = 2 * k;
        for (size_t c = 0; c < k; c++)
            d->sobol_dim[c] = c;
        return CS_OK;
    }
    if (nd > CS_SENS_SOBOL_MAX_DIM / 2 && nd == k)
        return cs_error_set(err, CS_EINVAL,
                            "sensitivity: %zu inputs need %zu Sobol dimensions (two per input), "
                            "but the Sobol sequence has at most %d: put the inputs in at most "
                            "%d groups (group: on the uncertain entries)",
                            k, 2 * k, CS_SENS_SOBOL_MAX_DIM, CS_SENS_SOBOL_MAX_DIM / 2);
    if (nd > CS_SENS_SOBOL_MAX_DIM / 2)
        return cs_error_set(err, CS_EINVAL,
                            "sensitivity: %zu groups of inputs need %zu Sobol dimensions (two "
                            "per group), but the Sobol sequence has at most %d: put the inputs "
                            "in at most %d groups",
                            nd, 2 * nd, CS_SENS_SOBOL_MAX_DIM, CS_SENS_SOBOL_MAX_DIM / 2);
    d->n_sobol = 2 * nd;
    for (size_t c = 0; c < k; c++) {
        size_t first = 0;
        while (d->group[first] != d->group[c])
            first++;
        d->sobol_dim[c] = first == c ? d->group[c] : SIZE_MAX;
    }
    return CS_OK;
}

/* Fills the numerators of rows 0..N-1: GSL's points 1..N (plain) or the zero
 * point and GSL's points 1..N-1 (scrambled), then the digital shift. */
static int generate_points(cs_sens_saltelli *d, cs_error *err)
{
    size_t s = d->n_sobol, first = d->scramble ? 1 : 0;
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)s);
    if (!q)
        return cs_error_set(err, CS_ENOMEM, "sensitivity: out of memory for a Sobol sequence");
    int st = CS_OK;
    double v[CS_SENS_SOBOL_MAX_DIM];
    for (size_t k = 0; k < first * s; k++)
        d->numerator[k] = 0;
    for (size_t j = first; j < d->n_rows && st == CS_OK; j++) {
        if (gsl_qrng_get(q, v) != 0)
            st = cs_error_set(err, CS_EINTERNAL, "sensitivity: the Sobol sequence ended");
        for (size_t k = 0; k < s && st == CS_OK; k++) {
            double x = v[k] * SOBOL_SCALE;
            /* Guard the assumption that GSL's numbers are k / 2^30: a build
             * with another bit count would be caught here, not shifted wrongly. */
            if (!(x >= 0 && x < SOBOL_SCALE) || x != floor(x))
                st = cs_error_set(err, CS_EINTERNAL,
                                  "sensitivity: Sobol number %.17g is not "
                                  "a multiple of 2^-30",
                                  v[k]);
            else
                d->numerator[j * s + k] = (uint32_t)x;
        }
    }
    gsl_qrng_free(q);
    if (st != CS_OK || !d->scramble)
        return st;
    for (size_t k = 0; k < s; k++) {
        cs_pcg32 g;
        cs_sens_stream(&g, d->seed, CS_SENS_STREAM_SHIFT, k, 0, 0);
        uint32_t mask = cs_pcg32_next(&g) & SOBOL_MASK;
        for (size_t j = 0; j < d->n_rows; j++)
            d->numerator[j * s + k] ^= mask;
    }
    return CS_OK;
}

int cs_sens_saltelli_alloc(size_t n_inputs, const size_t *group, size_t n_rows, int scramble,
                           uint64_t seed, cs_sens_saltelli **out, cs_error *err)
{
    *out = NULL;
    size_t rows = cs_sens_saltelli_rows(n_rows);
    if (rows == 0)
        return cs_error_set(err, CS_EINVAL, "sensitivity: N = %zu rows (need 1 to %zu)", n_rows,
                            CS_SENS_MAX_ROWS);
    cs_sens_saltelli *d = calloc(1, sizeof *d);
    if (!d)
        return cs_error_set(err, CS_ENOMEM, "sensitivity: out of memory for a design");
    int st = cs_sens_copy_groups(n_inputs, group, &d->group, &d->n_factors, err);
    if (st != CS_OK)
        goto fail;
    d->n_inputs = n_inputs;
    d->n_rows = rows;
    d->n_requested = n_rows;
    d->n_points = cs_sens_mul(rows, d->n_factors + 2);
    d->scramble = scramble != 0;
    d->seed = seed;
    d->sobol_dim = malloc(n_inputs * sizeof *d->sobol_dim);
    if (!d->sobol_dim) {
        st = cs_error_set(err, CS_ENOMEM, "sensitivity: out of memory for a design");
        goto fail;
    }
    st = assign_dimensions(d, err);
    if (st != CS_OK)
        goto fail;
    d->numerator = malloc(rows * d->n_sobol * sizeof *d->numerator);
    if (!d->numerator) {
        st = cs_error_set(err, CS_ENOMEM, "sensitivity: out of memory for %zu Sobol points", rows);
        goto fail;
    }
    st = generate_points(d, err);
    if (st != CS_OK)
        goto fail;
    *out = d;
    return CS_OK;
fail:
    cs_sens_saltelli_free(d);
    return st;
}

void cs_sens_saltelli_free(cs_sens_saltelli *d)
{
    if (!d)
        return;
    free(d->group);
    free(d->sobol_dim);
    free(d->numerator);
    free(d);
}

/* Coordinate of input c in row j of A (from_b = 0) or B (from_b = 1). */
static double coordinate(const cs_sens_saltelli *d, size_t j, size_t c, int from_b)
{
    if (d->sobol_dim[c] == SIZE_MAX) {
        cs_pcg32 g;
        cs_sens_stream(&g, d->seed, CS_SENS_STREAM_PAD, j, (uint64_t)from_b, c);
        return cs_pcg32_uniform_pos(&g);
    }
    size_t k = d->sobol_dim[c] + (from_b ? d->n_sobol / 2 : 0);
    double x = (double)d->numerator[j * d->n_sobol + k];
    /* Scrambled: the centre of the shifted cell, never 0. Plain: GSL's own
     * number, never 0 because the zero point is not in the plain design. */
    return (d->scramble ? x + 0.5 : x) / SOBOL_SCALE;
}

int cs_sens_saltelli_point(const cs_sens_saltelli *d, size_t p, double *u, cs_error *err)
{
    if (p >= d->n_points)
        return cs_error_set(err, CS_EINVAL, "sensitivity: design point %zu of %zu", p, d->n_points);
    size_t j = p / (d->n_factors + 2), m = p % (d->n_factors + 2);
    for (size_t c = 0; c < d->n_inputs; c++) {
        int from_b = m == 1 || (m >= 2 && d->group[c] == m - 2);
        u[c] = coordinate(d, j, c, from_b);
    }
    return CS_OK;
}

/* ------------------------------------------------------------ estimators */

/* The quantities estimated per output, in this order, each with n_boot
 * bootstrap replicates: the total variance, the noise variance and share,
 * then per factor S1, ST, S1 noiseless, ST noiseless. */
enum { Q_V = 0, Q_SIGMA2 = 1, Q_SHARE = 2, Q_FACTORS = 3 };
#define Q_S1(i) (Q_FACTORS + (i))
#define Q_ST(i, nd) (Q_FACTORS + (nd) + (i))
#define Q_S1N(i, nd) (Q_FACTORS + 2 * (nd) + (i))
#define Q_STN(i, nd) (Q_FACTORS + 3 * (nd) + (i))

/* Working memory of one analysis. */
typedef struct sobol_work {
    size_t nd, n, n_out, n_boot, m;  /* factors, rows, outputs, resamples, base points */
    size_t nq;                       /* quantities per output: Q_FACTORS + 4 nd */
    const cs_sens_replicates *noise; /* NULL: none */
    double *w;                       /* [n_out][n][nd + 2] values minus c0 */
    unsigned char *ok;               /* [n_out][n] row usable */
    double *c0;                      /* [n_out] pooled mean of f(A), f(B) over usable rows */
    double *s2;                      /* [n_out][m] within-point variances */
    uint32_t *idx;                   /* [n] resampled rows */
    uint32_t *pidx;                  /* [m] resampled base points */
    double *acc;                     /* [3 nd] accumulators */
    double *full;                    /* [n_out][nq] estimates on the full sample */
    double *q;                       /* [nq] one resample's estimates */
    double *boot;                    /* [n_out][nq][n_boot] bootstrap replicates */
} sobol_work;

static void work_free(sobol_work *w)
{
    free(w->w);
    free(w->ok);
    free(w->c0);
    free(w->s2);
    free(w->idx);
    free(w->pidx);
    free(w->acc);
    free(w->full);
    free(w->q);
    free(w->boot);
}

static int work_alloc(sobol_work *w, cs_error *err)
{
    size_t per_row = w->nd + 2, m = w->m ? w->m : 1;
    size_t nw = cs_sens_mul(cs_sens_mul(w->n_out, w->n), per_row);
    size_t nb = cs_sens_mul(cs_sens_mul(w->n_out, w->nq), w->n_boot);
    if (nw == SIZE_MAX || nb == SIZE_MAX || cs_sens_mul(w->n_out, m) == SIZE_MAX ||
        nb > SIZE_MAX / sizeof(double) || nw > SIZE_MAX / sizeof(double))
        return cs_error_set(err, CS_ELIMIT, "sensitivity: too many outputs or resamples");
    w->w = malloc(nw * sizeof *w->w);
    w->ok = malloc(w->n_out * w->n);
    w->c0 = malloc(w->n_out * sizeof *w->c0);
    w->s2 = malloc(w->n_out * m * sizeof *w->s2);
    w->idx = malloc(w->n * sizeof *w->idx);
    w->pidx = malloc(m * sizeof *w->pidx);
    w->acc = malloc(3 * w->nd * sizeof *w->acc);
    w->full = malloc(w->n_out * w->nq * sizeof *w->full);
    w->q = malloc(w->nq * sizeof *w->q);
    w->boot = malloc(nb * sizeof *w->boot);
    if (!w->w || !w->ok || !w->c0 || !w->s2 || !w->idx || !w->pidx || !w->acc || !w->full ||
        !w->q || !w->boot)
        return cs_error_set(err, CS_ENOMEM, "sensitivity: out of memory for the Sobol analysis");
    return CS_OK;
}

/* Copies output o into w->w (row-major, contiguous per row), flags usable
 * rows, and subtracts c0, the full sample's pooled mean. Centring happens in
 * two steps: quantities() centres each (re)sample exactly on its own mean c
 * through V_i = (sum f(B) d_i - c sum d_i) / n, which is algebraically
 * enough; subtracting c0 first keeps the sums small so that neither that
 * difference nor the variance's sum of squares cancels catastrophically
 * when the mean is large against the spread. */
static void prepare_output(sobol_work *w, const double *y, size_t o)
{
    size_t per_row = w->nd + 2;
    double *v = w->w + o * w->n * per_row;
    unsigned char *ok = w->ok + o * w->n;
    double sum = 0;
    size_t used = 0;
    for (size_t j = 0; j < w->n; j++) {
        ok[j] = 1;
        for (size_t k = 0; k < per_row; k++) {
            v[j * per_row + k] = y[(j * per_row + k) * w->n_out + o];
            if (!isfinite(v[j * per_row + k]))
                ok[j] = 0;
        }
        if (ok[j]) {
            sum += v[j * per_row] + v[j * per_row + 1];
            used++;
        }
    }
    w->c0[o] = used ? sum / (2.0 * (double)used) : 0;
    for (size_t k = 0; k < w->n * per_row; k++)
        v[k] -= w->c0[o];
    if (w->noise)
        cs_sens_within_variances(w->noise, w->n_out, o, w->s2 + o * w->m);
}

/* The mean within-point variance of output o over base points pidx (all
 * when NULL), skipping undefined ones. */
static double noise_of(const sobol_work *w, size_t o, const uint32_t *pidx)
{
    if (!w->noise)
        return NAN;
    const double *s2 = w->s2 + o * w->m;
    double sum = 0;
    size_t used = 0;
    for (size_t k = 0; k < w->m; k++) {
        double x = s2[pidx ? pidx[k] : k];
        if (!isnan(x)) {
            sum += x;
            used++;
        }
    }
    return used ? sum / (double)used : NAN;
}

/* Turns the sums of estimate() into the quantities q[0..nq) (see Q_*). */
static void quantities(const sobol_work *w, double n, double s, double ss, double sigma2, double *q)
{
    size_t nd = w->nd;
    const double *dsum = w->acc, *bd = w->acc + nd, *sq = w->acc + 2 * nd;
    double c = s / (2 * n);                          /* residual mean after c0 */
    double v = (ss - s * s / (2 * n)) / (2 * n - 1); /* pooled f(A), f(B) */
    if (!(n >= 2 && v > 0))
        v = NAN; /* a constant output has no shares */
    double vf = v - sigma2;
    q[Q_V] = v;
    q[Q_SIGMA2] = sigma2;
    q[Q_SHARE] = sigma2 / v;
    for (size_t i = 0; i < nd; i++) {
        double vi = (bd[i] - c * dsum[i]) / n; /* mean((f(B) - c) (f(A_B^i) - f(A))) */
        double vti = sq[i] / (2 * n);          /* Jansen */
        q[Q_S1(i)] = vi / v;
        q[Q_ST(i, nd)] = vti / v;
        q[Q_S1N(i, nd)] = vf > 0 ? vi / vf : NAN;
        q[Q_STN(i, nd)] = vf > 0 ? (vti - sigma2) / vf : NAN;
    }
}

/* Estimates the quantities of output o on rows idx[0..n) (all rows when
 * NULL) and base points pidx (all when NULL) into q. */
static void estimate(sobol_work *w, size_t o, const uint32_t *idx, const uint32_t *pidx, double *q)
{
    size_t nd = w->nd, per_row = nd + 2;
    const double *v = w->w + o * w->n * per_row;
    const unsigned char *ok = w->ok + o * w->n;
    double *dsum = w->acc, *bd = w->acc + nd, *sq = w->acc + 2 * nd;
    double s = 0, ss = 0, n = 0;
    for (size_t k = 0; k < 3 * nd; k++)
        w->acc[k] = 0;
    for (size_t r = 0; r < w->n; r++) {
        size_t j = idx ? idx[r] : r;
        if (!ok[j])
            continue;
        const double *row = v + j * per_row;
        double fa = row[0], fb = row[1];
        n += 1;
        s += fa + fb;
        ss += fa * fa + fb * fb;
        for (size_t i = 0; i < nd; i++) {
            double diff = row[2 + i] - fa;
            dsum[i] += diff;
            bd[i] += fb * diff;
            sq[i] += diff * diff;
        }
    }
    quantities(w, n, s, ss, noise_of(w, o, pidx), q);
}

/* Resample b: rows from (seed, SOBOL_BOOT, b), base points from (seed,
 * NOISE_BOOT, b); the same rows and points for every output. */
static void bootstrap(sobol_work *w, uint64_t seed)
{
    double *q = w->q;
    for (size_t b = 0; b < w->n_boot; b++) {
        cs_pcg32 g;
        cs_sens_stream(&g, seed, CS_SENS_STREAM_SOBOL_BOOT, b, 0, 0);
        for (size_t r = 0; r < w->n; r++)
            w->idx[r] = cs_stats_uniform_index(&g, (uint32_t)w->n);
        if (w->noise) {
            cs_sens_stream(&g, seed, CS_SENS_STREAM_NOISE_BOOT, b, 0, 0);
            for (size_t k = 0; k < w->m; k++)
                w->pidx[k] = cs_stats_uniform_index(&g, (uint32_t)w->m);
        }
        for (size_t o = 0; o < w->n_out; o++) {
            estimate(w, o, w->idx, w->noise ? w->pidx : NULL, q);
            for (size_t k = 0; k < w->nq; k++)
                w->boot[(o * w->nq + k) * w->n_boot + b] = q[k];
        }
    }
}

static int result_alloc(size_t nd, size_t n_out, cs_sens_sobol **out, cs_error *err)
{
    *out = NULL;
    cs_sens_sobol *r = calloc(1, sizeof *r);
    if (!r)
        return cs_error_set(err, CS_ENOMEM, "sensitivity: out of memory for Sobol indices");
    r->n_factors = nd;
    r->n_outputs = n_out;
    r->output = calloc(n_out, sizeof *r->output);
    r->index = calloc(cs_sens_mul(n_out, nd), sizeof *r->index);
    if (!r->output || !r->index) {
        cs_sens_sobol_free(r);
        return cs_error_set(err, CS_ENOMEM, "sensitivity: out of memory for Sobol indices");
    }
    *out = r;
    return CS_OK;
}

void cs_sens_sobol_free(cs_sens_sobol *r)
{
    if (!r)
        return;
    free(r->output);
    free(r->index);
    free(r);
}

/* Summarises quantity k of output o: its full-sample value and replicates. */
static void finish_q(sobol_work *w, size_t o, size_t k, double level, cs_sens_estimate *e)
{
    cs_sens_finish(e, w->full[o * w->nq + k], w->boot + (o * w->nq + k) * w->n_boot, w->n_boot,
                   level);
}

static void fill_result(sobol_work *w, double level, cs_sens_sobol *r)
{
    size_t nd = w->nd;
    for (size_t o = 0; o < w->n_out; o++) {
        cs_sens_sobol_output *out = &r->output[o];
        const unsigned char *ok = w->ok + o * w->n;
        out->rows_used = 0;
        for (size_t j = 0; j < w->n; j++)
            out->rows_used += ok[j];
        out->rows_dropped = w->n - out->rows_used;
        out->mean = out->rows_used ? w->c0[o] : NAN;
        finish_q(w, o, Q_V, level, &out->variance);
        finish_q(w, o, Q_SIGMA2, level, &out->noise_variance);
        finish_q(w, o, Q_SHARE, level, &out->noise_share);
        out->noise_points_used = 0;
        for (size_t k = 0; w->noise && k < w->m; k++)
            out->noise_points_used += !isnan(w->s2[o * w->m + k]);
        for (size_t i = 0; i < nd; i++) {
            cs_sens_sobol_index *x = &r->index[o * nd + i];
            finish_q(w, o, Q_S1(i), level, &x->s1);
            finish_q(w, o, Q_ST(i, nd), level, &x->st);
            finish_q(w, o, Q_S1N(i, nd), level, &x->s1_noiseless);
            finish_q(w, o, Q_STN(i, nd), level, &x->st_noiseless);
        }
    }
}

static int check_sobol_args(const cs_sens_saltelli *d, const double *y, size_t n_rows,
                            size_t n_outputs, const cs_sens_replicates *noise, cs_error *err)
{
    if (!d || (!y && n_rows > 0))
        return cs_error_set(err, CS_EINVAL, "sensitivity: no design or no outputs given");
    if (n_rows < 2 || n_rows > d->n_rows)
        return cs_error_set(err, CS_EINVAL,
                            "sensitivity: %zu complete rows given; the indices need 2 to %zu",
                            n_rows, d->n_rows);
    if (n_outputs == 0)
        return cs_error_set(err, CS_EINVAL, "sensitivity: no outputs to analyse");
    if (noise &&
        (!noise->y || noise->n_points < 2 || noise->n_repeats < 2 || noise->n_points > UINT32_MAX))
        return cs_error_set(err, CS_EINVAL,
                            "sensitivity: the noise variance needs at least 2 base points "
                            "repeated at least twice (%zu points, %zu repeats)",
                            noise->n_points, noise->n_repeats);
    if (noise && cs_sens_mul(cs_sens_mul(noise->n_points, noise->n_repeats), n_outputs) == SIZE_MAX)
        return cs_error_set(err, CS_ELIMIT, "sensitivity: too many replicated evaluations");
    return CS_OK;
}

int cs_sens_sobol_analyse(const cs_sens_saltelli *d, const double *y, size_t n_rows,
                          size_t n_outputs, const cs_sens_replicates *noise,
                          const cs_sens_options *opt, cs_sens_sobol **out, cs_error *err)
{
    *out = NULL;
    sobol_work w = {0};
    cs_sens_sobol *r = NULL;
    double level;
    int st = check_sobol_args(d, y, n_rows, n_outputs, noise, err);
    if (st == CS_OK)
        st = cs_sens_read_options(opt, &w.n_boot, &level, err);
    if (st != CS_OK)
        return st;
    w.nd = d->n_factors;
    w.n = n_rows;
    w.n_out = n_outputs;
    w.nq = Q_FACTORS + 4 * w.nd;
    w.noise = noise;
    w.m = noise ? noise->n_points : 0;
    st = work_alloc(&w, err);
    if (st == CS_OK)
        st = result_alloc(w.nd, n_outputs, &r, err);
    if (st != CS_OK)
        goto fail;
    for (size_t o = 0; o < n_outputs; o++) {
        prepare_output(&w, y, o);
        estimate(&w, o, NULL, NULL, w.full + o * w.nq);
    }
    bootstrap(&w, d->seed);
    r->n_rows = n_rows;
    r->n_boot = w.n_boot;
    r->level = level;
    fill_result(&w, level, r);
    work_free(&w);
    *out = r;
    return CS_OK;
fail:
    work_free(&w);
    cs_sens_sobol_free(r);
    return st;
}
