/* calib_imis.c — incremental mixture importance sampling in z-space, asked
 * and told in waves (method, keys and stopping rules in
 * include/casesim/calibration.h).
 *
 * Incremental bookkeeping: for every point i the sampler keeps
 *   logmix[i] = ln sum_k B_k N(z_i; c_k, S_k)
 * over the components created so far. A new component adds one term to every
 * existing point (O(N D^2)), and a new point gets one term per component
 * (O(K D^2)), so a wave costs O((N + B K) D^2), never O(N K D^2). The terms
 * are added to a point in component order, by one function
 * (add_component_density), whether the point is new, old or restored; that
 * is what makes a restored run bit-identical to an uninterrupted one. */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib_internal.h"
#include "casesim/calibration.h"

struct cs_calib_imis {
    cs_calib_imis_config cfg;
    size_t dim;
    /* Points: committed [0, n), pending (asked, not told) [n, n + n_pending). */
    size_t n, n_pending, cap;
    double *z;               /* [cap][dim] */
    double *loglik;          /* [cap] */
    double *logphi;          /* [cap] ln N(z; 0, I) */
    double *logmix;          /* [cap] ln sum_k B_k N(z; c_k, S_k) */
    double *w;               /* [cap] normalised weights of the committed points */
    double *lw;              /* [cap] their logs before normalising */
    double *tw;              /* [cap] tempered weights (scratch) */
    struct nb_pair *scratch; /* [cap] distances for the neighbour search */
    /* Components: k created (the last one's points are pending while running). */
    size_t k, kcap;
    double *center;  /* [kcap][dim] */
    double *cov;     /* [kcap][dim][dim] */
    double *chol;    /* [kcap][dim][dim] lower Cholesky factor of cov */
    double *lognorm; /* [kcap] ln B_k - (D ln 2 pi + ln det S_k) / 2 */
    uint64_t *size;  /* [kcap] B_k */
    /* One entry per committed wave (wave 0 = Sobol). */
    size_t waves;
    double *ess_hist;  /* [kcap + 1] */
    double *best_hist; /* [kcap + 1] */
    double ess, log_evidence, best;
    size_t argmax; /* committed point of highest weight (first if tied) */
    cs_calib_status status;
    char message[1024];
};

struct nb_pair {
    double d;
    size_t i;
};

const char *cs_calib_status_name(cs_calib_status s)
{
    switch (s) {
    case CS_CALIB_RUNNING:
        return "running";
    case CS_CALIB_CONVERGED:
        return "converged";
    case CS_CALIB_MAX_EVALUATIONS:
        return "evaluation limit reached";
    case CS_CALIB_STALLED:
        return "stalled";
    case CS_CALIB_NO_SUPPORT:
        return "no point fits";
    }
    return "unknown";
}

void cs_calib_imis_config_default(cs_calib_imis_config *cfg, size_t dim)
{
    cfg->dim = dim;
    cfg->n_initial = dim * 100 > 500 ? dim * 100 : 500;
    cfg->wave_size = dim * 20 > 100 ? dim * 20 : 100;
    cfg->n_neighbours = cfg->wave_size;
    cfg->target_ess = 1000;
    cfg->max_evaluations = 50000;
    cfg->stall_waves = 20;
    cfg->seed = 1;
}

int cs_calib_imis_config_check(const cs_calib_imis_config *cfg, cs_error *err)
{
    int bad = 0;
    if (cfg->dim == 0 || cfg->dim > CS_CALIB_MAX_DIM)
        bad += cs_error_set(err, CS_EINVAL, "calibration: %zu inputs; the method handles 1 to %d",
                            cfg->dim, CS_CALIB_MAX_DIM) != 0;
    if (cfg->n_initial < 2)
        bad += cs_error_set(err, CS_EINVAL, "calibration: %zu initial points; at least 2 needed",
                            cfg->n_initial) != 0;
    if (cfg->wave_size < 1)
        bad += cs_error_set(err, CS_EINVAL, "calibration: the wave size must be at least 1") != 0;
    if (cfg->n_neighbours < cfg->dim + 1)
        bad += cs_error_set(err, CS_EINVAL,
                            "calibration: %zu neighbours cannot shape a covariance of %zu inputs "
                            "(at least %zu needed)",
                            cfg->n_neighbours, cfg->dim, cfg->dim + 1) != 0;
    if (!(cfg->target_ess > 0) || !isfinite(cfg->target_ess))
        bad += cs_error_set(err, CS_EINVAL, "calibration: target ESS %g must be > 0",
                            cfg->target_ess) != 0;
    if (cfg->max_evaluations < cfg->n_initial)
        bad += cs_error_set(err, CS_EINVAL,
                            "calibration: max_evaluations %zu is below the %zu initial points",
                            cfg->max_evaluations, cfg->n_initial) != 0;
    if (cfg->stall_waves < 1 || cfg->stall_waves > CS_CALIB_MAX_STALL_WAVES)
        bad += cs_error_set(err, CS_EINVAL, "calibration: stall_waves %zu is not in 1 .. %d",
                            cfg->stall_waves, CS_CALIB_MAX_STALL_WAVES) != 0;
    return bad ? CS_EINVAL : CS_OK;
}

void cs_calib_imis_free(cs_calib_imis *m)
{
    if (!m)
        return;
    free(m->z);
    free(m->loglik);
    free(m->logphi);
    free(m->logmix);
    free(m->w);
    free(m->lw);
    free(m->tw);
    free(m->scratch);
    free(m->center);
    free(m->cov);
    free(m->chol);
    free(m->lognorm);
    free(m->size);
    free(m->ess_hist);
    free(m->best_hist);
    free(m);
}

/* realloc that leaves *p untouched on failure; n elements of size s. */
static int grow(void **p, size_t n, size_t s)
{
    if (n > SIZE_MAX / s)
        return CS_ENOMEM;
    void *q = realloc(*p, n * s);
    if (!q)
        return CS_ENOMEM;
    *p = q;
    return CS_OK;
}

/* Room for at least `need` points (capacity doubles, so appends are amortised
 * O(1)). */
static int ensure_points(cs_calib_imis *m, size_t need, cs_error *err)
{
    if (need <= m->cap)
        return CS_OK;
    size_t cap = m->cap ? m->cap : 1024;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    int st = grow((void **)&m->z, cap, m->dim * sizeof *m->z);
    if (!st)
        st = grow((void **)&m->loglik, cap, sizeof *m->loglik);
    if (!st)
        st = grow((void **)&m->logphi, cap, sizeof *m->logphi);
    if (!st)
        st = grow((void **)&m->logmix, cap, sizeof *m->logmix);
    if (!st)
        st = grow((void **)&m->w, cap, sizeof *m->w);
    if (!st)
        st = grow((void **)&m->lw, cap, sizeof *m->lw);
    if (!st)
        st = grow((void **)&m->tw, cap, sizeof *m->tw);
    if (!st)
        st = grow((void **)&m->scratch, cap, sizeof *m->scratch);
    if (st)
        return cs_error_set(err, CS_ENOMEM, "calibration: out of memory for %zu points", need);
    m->cap = cap;
    return CS_OK;
}

/* Room for at least `need` components and need + 1 history entries. */
static int ensure_components(cs_calib_imis *m, size_t need, cs_error *err)
{
    if (need <= m->kcap)
        return CS_OK;
    size_t cap = m->kcap ? m->kcap * 2 : 64;
    if (cap < need)
        cap = need;
    size_t d = m->dim;
    int st = grow((void **)&m->center, cap, d * sizeof *m->center);
    if (!st)
        st = grow((void **)&m->cov, cap, d * d * sizeof *m->cov);
    if (!st)
        st = grow((void **)&m->chol, cap, d * d * sizeof *m->chol);
    if (!st)
        st = grow((void **)&m->lognorm, cap, sizeof *m->lognorm);
    if (!st)
        st = grow((void **)&m->size, cap, sizeof *m->size);
    if (!st)
        st = grow((void **)&m->ess_hist, cap + 1, sizeof *m->ess_hist);
    if (!st)
        st = grow((void **)&m->best_hist, cap + 1, sizeof *m->best_hist);
    if (st)
        return cs_error_set(err, CS_ENOMEM, "calibration: out of memory for %zu components", need);
    m->kcap = cap;
    return CS_OK;
}

/* |L_c^-1 (x - center_c)|^2 by forward substitution. */
static double mahalanobis2(const cs_calib_imis *m, size_t c, const double *x)
{
    size_t d = m->dim;
    const double *L = m->chol + c * d * d, *mu = m->center + c * d;
    double y[CS_CALIB_MAX_DIM], ss = 0;
    for (size_t r = 0; r < d; r++) {
        double s = x[r] - mu[r];
        for (size_t j = 0; j < r; j++)
            s -= L[r * d + j] * y[j];
        y[r] = s / L[r * d + r];
        ss += y[r] * y[r];
    }
    return ss;
}

/* Adds component c's term B_c N(z_i; c_c, S_c) to logmix[i], i in [from, to).
 * The only place that does so (see the file's head). */
static void add_component_density(cs_calib_imis *m, size_t c, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        double lp = m->lognorm[c] - 0.5 * mahalanobis2(m, c, m->z + i * m->dim);
        m->logmix[i] = cs_calib_logaddexp(m->logmix[i], lp);
    }
}

/* Factors cov_c into chol_c and sets lognorm_c. Returns CS_OK or CS_EINVAL if
 * cov_c is not positive definite. */
static int factor_component(cs_calib_imis *m, size_t c)
{
    size_t d = m->dim;
    double *L = m->chol + c * d * d;
    memcpy(L, m->cov + c * d * d, d * d * sizeof *L);
    gsl_matrix_view v = gsl_matrix_view_array(L, d, d);
    if (gsl_linalg_cholesky_decomp1(&v.matrix) != 0)
        return CS_EINVAL;
    double logdet = 0;
    for (size_t r = 0; r < d; r++) {
        if (!(L[r * d + r] > 0))
            return CS_EINVAL;
        logdet += 2 * log(L[r * d + r]);
        for (size_t j = r + 1; j < d; j++)
            L[r * d + j] = 0; /* decomp1 leaves L^T there */
    }
    m->lognorm[c] = log((double)m->size[c]) - 0.5 * ((double)d * CS_CALIB_LN_2PI + logdet);
    return isfinite(m->lognorm[c]) ? CS_OK : CS_EINVAL;
}

/* Weights, ESS, evidence and best fit of the committed points, under the
 * mixture of the prior (weight N0) and every component. */
static void evaluate_weights(cs_calib_imis *m)
{
    double logN0 = log((double)m->cfg.n_initial), logN = log((double)m->n);
    double top = -INFINITY;
    m->best = -INFINITY;
    for (size_t i = 0; i < m->n; i++) {
        double logq = cs_calib_logaddexp(logN0 + m->logphi[i], m->logmix[i]) - logN;
        double lw = m->loglik[i] + m->logphi[i] - logq;
        m->lw[i] = lw;
        if (lw > top)
            top = lw;
        if (m->loglik[i] + m->logphi[i] > m->best)
            m->best = m->loglik[i] + m->logphi[i];
    }
    double s1 = 0, s2 = 0;
    m->argmax = 0;
    for (size_t i = 0; i < m->n; i++) {
        double w = top == -INFINITY ? 0 : exp(m->lw[i] - top);
        m->w[i] = w;
        s1 += w;
        s2 += w * w;
        if (w > m->w[m->argmax])
            m->argmax = i;
    }
    for (size_t i = 0; i < m->n && s1 > 0; i++)
        m->w[i] /= s1;
    m->ess = s1 > 0 ? s1 * s1 / s2 : 0;
    m->log_evidence = s1 > 0 ? top + log(s1) - logN : -INFINITY;
}

static int stalled(const cs_calib_imis *m)
{
    size_t W = m->waves - 1, S = m->cfg.stall_waves;
    if (W < S)
        return 0;
    double early = 0, all = 0; /* the highest ESS up to wave W - S, and up to W */
    for (size_t v = 0; v <= W; v++) {
        if (m->ess_hist[v] > all)
            all = m->ess_hist[v];
        if (v == W - S)
            early = all;
    }
    return all < CS_CALIB_STALL_ESS_GAIN * early &&
           m->best_hist[W] < m->best_hist[W - S] + CS_CALIB_STALL_LOGPOST_GAIN;
}

static void write_message(cs_calib_imis *m)
{
    const cs_calib_imis_config *c = &m->cfg;
    size_t W = m->waves - 1, S = c->stall_waves, from = W > S ? W - S : 0;
    char *buf = m->message;
    size_t len = sizeof m->message;
    switch (m->status) {
    case CS_CALIB_RUNNING:
        snprintf(buf, len,
                 "wave %zu: %zu evaluations, effective sample size %.1f of %.0f, "
                 "best log posterior %.2f",
                 W, m->n, m->ess, c->target_ess, m->best);
        break;
    case CS_CALIB_CONVERGED:
        snprintf(buf, len,
                 "reached an effective sample size of %.1f (target %.0f) with %zu evaluations "
                 "in %zu waves",
                 m->ess, c->target_ess, m->n, m->waves);
        break;
    case CS_CALIB_MAX_EVALUATIONS:
        snprintf(buf, len,
                 "stopped at the evaluation limit: %zu evaluations in %zu waves gave an effective "
                 "sample size of %.1f, short of the %.0f asked for (it was %.1f %zu waves "
                 "earlier). The weighted draws are usable, but their Monte Carlo error is about "
                 "%.1f times that of the target. To finish, resume with more evaluations "
                 "(--max-evaluations); if the effective sample size grows slowly, lower the "
                 "simulation noise with --common-seeds or a larger --scale, and check that the "
                 "priors cover the values the targets imply (widen them if the fit sits at "
                 "their edge).",
                 m->n, m->waves, m->ess, c->target_ess, m->ess_hist[from], W - from,
                 sqrt(c->target_ess / (m->ess > 0 ? m->ess : 1)));
        break;
    case CS_CALIB_STALLED:
        snprintf(buf, len,
                 "stopped: the importance weights collapsed. Over the last %zu waves the "
                 "effective sample size did not grow (it is %.1f, target %.0f) and the best fit "
                 "did not improve, after %zu evaluations: a few points carry almost all the "
                 "weight. "
                 "Usually the simulation noise is large next to the precision of the targets "
                 "(use --common-seeds, or raise --scale), or the targets conflict with each other "
                 "or with the priors (check their units and unit_factor; widen the priors).",
                 S, m->ess, c->target_ess, m->n);
        break;
    case CS_CALIB_NO_SUPPORT:
        snprintf(buf, len,
                 "stopped: none of the %zu points evaluated can produce the observed targets "
                 "(every likelihood is zero); check the targets (units, unit_factor, likelihood) "
                 "and widen the priors.",
                 m->n);
        break;
    }
}

static void decide(cs_calib_imis *m)
{
    if (!(m->ess > 0))
        m->status = CS_CALIB_NO_SUPPORT;
    else if (m->ess >= m->cfg.target_ess)
        m->status = CS_CALIB_CONVERGED;
    else if (m->n >= m->cfg.max_evaluations)
        m->status = CS_CALIB_MAX_EVALUATIONS;
    else if (stalled(m))
        m->status = CS_CALIB_STALLED;
    else
        m->status = CS_CALIB_RUNNING;
    write_message(m);
}

/* (distance, index) order: a total order, so "the nn nearest" is one set. */
static int pair_less(struct nb_pair a, struct nb_pair b)
{
    return a.d < b.d || (a.d == b.d && a.i < b.i);
}

static int cmp_index(const void *a, const void *b)
{
    size_t x = ((const struct nb_pair *)a)->i, y = ((const struct nb_pair *)b)->i;
    return (x > y) - (x < y);
}

/* Restores the max-heap order of h[0..n) below position r. */
static void sift_down(struct nb_pair *h, size_t n, size_t r)
{
    for (;;) {
        size_t big = r, a = 2 * r + 1, b = a + 1;
        if (a < n && pair_less(h[big], h[a]))
            big = a;
        if (b < n && pair_less(h[big], h[b]))
            big = b;
        if (big == r)
            return;
        struct nb_pair t = h[r];
        h[r] = h[big];
        h[big] = t;
        r = big;
    }
}

/* The nn committed points nearest to mu in the metric sum_r inv[r] (x_r -
 * mu_r)^2 into scratch[0..nn), in index order: a max-heap of the nn best so
 * far, O(N log nn) instead of sorting all N. */
static void nearest(cs_calib_imis *m, const double *mu, const double *inv, size_t nn)
{
    struct nb_pair *h = m->scratch;
    size_t d = m->dim;
    for (size_t i = 0; i < m->n; i++) {
        const double *x = m->z + i * d;
        double s = 0;
        for (size_t r = 0; r < d; r++)
            s += inv[r] * (x[r] - mu[r]) * (x[r] - mu[r]);
        struct nb_pair p = {s, i};
        if (i < nn) {
            h[i] = p;
            if (i + 1 == nn)
                for (size_t r = nn / 2; r-- > 0;)
                    sift_down(h, nn, r);
        } else if (pair_less(p, h[0])) {
            h[0] = p;
            sift_down(h, nn, 0);
        }
    }
    qsort(h, nn, sizeof *h, cmp_index);
}

/* Log weight of point i for the tempered posterior prior x L^beta. */
static double tempered_logw(const cs_calib_imis *m, size_t i, double beta)
{
    if (m->loglik[i] == -INFINITY)
        return -INFINITY;
    return m->lw[i] - (1 - beta) * m->loglik[i];
}

/* Tempered weights u[i] (unnormalised, largest 1) for beta; returns their
 * Kish ESS. */
static double tempered_weights(const cs_calib_imis *m, double beta, double *u)
{
    double top = -INFINITY, s1 = 0, s2 = 0;
    for (size_t i = 0; i < m->n; i++) {
        u[i] = tempered_logw(m, i, beta);
        if (u[i] > top)
            top = u[i];
    }
    for (size_t i = 0; i < m->n; i++) {
        u[i] = exp(u[i] - top);
        s1 += u[i];
        s2 += u[i] * u[i];
    }
    return s1 * s1 / s2;
}

/* The largest beta of 1, 0.8, 0.8^2, ... (down to 1e-9, else 0) whose
 * tempered weights have a Kish ESS of at least n_neighbours / 2; leaves them
 * in m->tw and returns their ESS. ESS(beta) need not fall monotonically as
 * beta grows (the sample covers the prior and the posterior better than the
 * tempered densities between them), so it scans down from 1 instead of
 * bisecting: the answer is the hottest adequately covered temperature. */
static double temper(cs_calib_imis *m)
{
    double target = 0.5 * (double)m->cfg.n_neighbours, beta = 1, ess;
    while ((ess = tempered_weights(m, beta, m->tw)) < target) {
        beta *= 0.8;
        if (beta < 1e-9)
            return tempered_weights(m, 0, m->tw);
    }
    return ess;
}

/* Which coordinates the likelihood has moved away from the prior: under the
 * tempered posterior prior x L^beta (beta from temper), coordinate r is
 * informed (inf[r] = 1) when its weighted mean differs from 0, or its
 * weighted variance var[r] from 1, by more than CS_CALIB_INFORMED_SE standard
 * errors (sqrt(1 / ESS) and sqrt(2 / ESS) under the prior). Sums run in index
 * order. */
static void informed_coordinates(cs_calib_imis *m, double *var, int *inf)
{
    size_t d = m->dim;
    double ess = temper(m), s1 = 0, mean[CS_CALIB_MAX_DIM] = {0};
    const double *u = m->tw;
    for (size_t i = 0; i < m->n; i++) {
        s1 += u[i];
        for (size_t r = 0; r < d; r++)
            mean[r] += u[i] * m->z[i * d + r];
    }
    for (size_t r = 0; r < d; r++) {
        mean[r] /= s1;
        var[r] = 0;
    }
    for (size_t i = 0; i < m->n; i++)
        for (size_t r = 0; r < d; r++)
            var[r] += u[i] * (m->z[i * d + r] - mean[r]) * (m->z[i * d + r] - mean[r]);
    double c = CS_CALIB_INFORMED_SE;
    for (size_t r = 0; r < d; r++) {
        var[r] /= s1;
        inf[r] = fabs(var[r] - 1) > c * sqrt(2 / ess) || fabs(mean[r]) > c * sqrt(1 / ess);
    }
}

/* The covariance of component c (centred at center_c) in the informed
 * coordinates: the weighted second moment about the centre of its
 * n_neighbours nearest committed points, weights w_i + 1/N normalised,
 * divided by 1 - sum v^2 (Raftery & Bao 2010; R's cov.wt(method =
 * "unbias")). The other coordinates get the prior's: variance 1, no
 * correlation. Sums run in index order. */
static void neighbour_covariance(cs_calib_imis *m, size_t c, const double *var, const int *inf)
{
    size_t d = m->dim, nn = m->cfg.n_neighbours < m->n ? m->cfg.n_neighbours : m->n;
    const double *mu = m->center + c * d;
    double inv[CS_CALIB_MAX_DIM];
    for (size_t r = 0; r < d; r++)
        inv[r] = inf[r] ? 1 / (var[r] + 1e-300) : 0;
    nearest(m, mu, inv, nn);
    double *S = m->cov + c * d * d, vsum = 0, v2 = 0;
    memset(S, 0, d * d * sizeof *S);
    for (size_t j = 0; j < nn; j++)
        vsum += m->w[m->scratch[j].i] + 1.0 / (double)m->n;
    for (size_t j = 0; j < nn; j++) {
        size_t i = m->scratch[j].i;
        double v = (m->w[i] + 1.0 / (double)m->n) / vsum;
        v2 += v * v;
        for (size_t r = 0; r < d; r++)
            for (size_t q = 0; q <= r; q++)
                if (inf[r] && inf[q])
                    S[r * d + q] += v * (m->z[i * d + r] - mu[r]) * (m->z[i * d + q] - mu[q]);
    }
    for (size_t r = 0; r < d; r++) {
        for (size_t q = 0; q <= r; q++)
            S[q * d + r] = S[r * d + q] /= (1 - v2);
        if (!inf[r])
            S[r * d + r] = 1;
    }
}

/* Builds component k from the current weights and factors it: the best
 * point and its neighbours' covariance in the informed coordinates, the prior
 * in the others (see INFORMED COORDINATES in calibration.h). Neighbours at one
 * point (duplicates) could give a singular informed block: a ridge growing
 * from 1e-12 of its mean variance is added to it until it factors (the
 * prior's block stays exact). */
static int build_component(cs_calib_imis *m, size_t B, cs_error *err)
{
    size_t c = m->k, d = m->dim, k = 0;
    double var[CS_CALIB_MAX_DIM];
    int inf[CS_CALIB_MAX_DIM];
    informed_coordinates(m, var, inf);
    for (size_t r = 0; r < d; r++)
        m->center[c * d + r] = inf[r] ? m->z[m->argmax * d + r] : 0;
    m->size[c] = B;
    neighbour_covariance(m, c, var, inf);
    double *S = m->cov + c * d * d, tr = 0;
    for (size_t r = 0; r < d; r++)
        if (inf[r]) {
            tr += S[r * d + r];
            k++;
        }
    double ridge = 1e-12 * (tr > 0 ? tr / (double)k : 1);
    for (int tries = 0; factor_component(m, c) != CS_OK; tries++) {
        if (tries == 12)
            return cs_error_set(err, CS_EINTERNAL,
                                "calibration: the covariance of a new component stayed singular");
        for (size_t r = 0; r < d; r++)
            S[r * d + r] += inf[r] ? ridge : 0;
        ridge *= 100;
    }
    m->k++;
    return CS_OK;
}

/* Draws wave m->waves (B points) from the newest component into the pending
 * slots and gives them their prior and mixture densities. */
static void draw_wave(cs_calib_imis *m, size_t B)
{
    size_t c = m->k - 1, d = m->dim;
    const double *L = m->chol + c * d * d, *mu = m->center + c * d;
    for (size_t j = 0; j < B; j++) {
        cs_stream_key key = {m->cfg.seed, m->waves, CS_CALIB_KEY_PROPOSAL,
                             j,           0,        CS_STREAM_CALIBRATION};
        cs_pcg32 g;
        cs_pcg32_from_key(&g, &key);
        double e[CS_CALIB_MAX_DIM];
        for (size_t r = 0; r < d; r++)
            e[r] = gsl_cdf_ugaussian_Pinv(cs_pcg32_uniform_pos(&g));
        double *x = m->z + (m->n + j) * d;
        for (size_t r = 0; r < d; r++) {
            double s = mu[r];
            for (size_t q = 0; q <= r; q++)
                s += L[r * d + q] * e[q];
            x[r] = s;
        }
        m->logphi[m->n + j] = cs_calib_log_std_normal(x, d);
        m->logmix[m->n + j] = -INFINITY;
    }
    for (size_t k = 0; k < m->k; k++)
        add_component_density(m, k, m->n, m->n + B);
    m->n_pending = B;
}

/* After a wave is committed and decided: the next component and wave. */
static int prepare_next(cs_calib_imis *m, cs_error *err)
{
    size_t room = m->cfg.max_evaluations - m->n;
    size_t B = m->cfg.wave_size < room ? m->cfg.wave_size : room;
    int st = ensure_components(m, m->k + 1, err);
    if (!st)
        st = ensure_points(m, m->n + B, err);
    if (!st)
        st = build_component(m, B, err);
    if (st)
        return st;
    add_component_density(m, m->k - 1, 0, m->n);
    draw_wave(m, B);
    return CS_OK;
}

static int imis_new(const cs_calib_imis_config *cfg, cs_calib_imis **out, cs_error *err)
{
    *out = NULL;
    int st = cs_calib_imis_config_check(cfg, err);
    if (st)
        return st;
    cs_calib_imis *m = calloc(1, sizeof *m);
    if (!m)
        return cs_error_set(err, CS_ENOMEM, "calibration: out of memory");
    m->cfg = *cfg;
    m->dim = cfg->dim;
    *out = m;
    return CS_OK;
}

int cs_calib_imis_alloc(const cs_calib_imis_config *cfg, cs_calib_imis **out, cs_error *err)
{
    cs_calib_imis *m;
    int st = imis_new(cfg, &m, err);
    *out = NULL;
    if (st)
        return st;
    size_t n0 = cfg->n_initial;
    st = ensure_points(m, n0, err);
    if (!st)
        st = ensure_components(m, 1, err);
    if (!st)
        st = cs_calib_sobol_normal(m->dim, n0, m->z, err);
    if (st)
        goto fail;
    for (size_t i = 0; i < n0; i++) {
        m->logphi[i] = cs_calib_log_std_normal(m->z + i * m->dim, m->dim);
        m->logmix[i] = -INFINITY;
    }
    m->n_pending = n0;
    m->status = CS_CALIB_RUNNING;
    snprintf(m->message, sizeof m->message, "wave 0: %zu Sobol points of the prior to evaluate",
             n0);
    *out = m;
    return CS_OK;
fail:
    cs_calib_imis_free(m);
    return st;
}

size_t cs_calib_imis_ask(const cs_calib_imis *m, const double **z, size_t *n)
{
    int run = m->status == CS_CALIB_RUNNING;
    *z = run ? m->z + m->n * m->dim : NULL;
    *n = run ? m->n_pending : 0;
    return m->waves;
}

int cs_calib_imis_tell(cs_calib_imis *m, const double *loglik, size_t n, cs_error *err)
{
    if (m->status != CS_CALIB_RUNNING)
        return cs_error_set(err, CS_EINVAL, "calibration: the run has stopped (%s)",
                            cs_calib_status_name(m->status));
    if (n != m->n_pending)
        return cs_error_set(err, CS_EINVAL, "calibration: wave %zu has %zu points, told %zu",
                            m->waves, m->n_pending, n);
    for (size_t i = 0; i < n; i++)
        if (isnan(loglik[i]) || loglik[i] == INFINITY)
            return cs_error_set(err, CS_EINVAL,
                                "calibration: point %zu of wave %zu has log-likelihood %g", i,
                                m->waves, loglik[i]);
    memcpy(m->loglik + m->n, loglik, n * sizeof *loglik);
    m->n += n;
    m->n_pending = 0;
    m->waves++;
    evaluate_weights(m);
    m->ess_hist[m->waves - 1] = m->ess;
    m->best_hist[m->waves - 1] = m->best;
    decide(m);
    return m->status == CS_CALIB_RUNNING ? prepare_next(m, err) : CS_OK;
}

cs_calib_status cs_calib_imis_status(const cs_calib_imis *m)
{
    return m->status;
}

const char *cs_calib_imis_message(const cs_calib_imis *m)
{
    return m->message;
}

void cs_calib_imis_get_result(const cs_calib_imis *m, cs_calib_imis_result *r)
{
    r->dim = m->dim;
    r->n_points = m->n;
    r->n_waves = m->waves;
    r->z = m->z;
    r->loglik = m->loglik;
    r->weight = m->w;
    r->ess = m->ess;
    r->log_evidence = m->waves ? m->log_evidence : NAN;
    r->best_logpost = m->waves ? m->best : NAN;
    r->status = m->status;
}

void cs_calib_imis_get_state(const cs_calib_imis *m, cs_calib_imis_state *st)
{
    st->dim = m->dim;
    st->n_initial = m->cfg.n_initial;
    st->n_points = m->n;
    st->n_components = m->waves ? m->waves - 1 : 0;
    st->seed = m->cfg.seed;
    st->z = m->z;
    st->loglik = m->loglik;
    st->center = m->center;
    st->covariance = m->cov;
    st->wave_size = m->size;
    st->ess = m->ess_hist;
    st->best_logpost = m->best_hist;
    st->checksum = cs_calib_imis_state_checksum(st);
}

static uint64_t hash_doubles(uint64_t h, const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t u;
        memcpy(&u, &x[i], sizeof u);
        h = cs_mix64(h ^ u);
    }
    return h;
}

uint64_t cs_calib_imis_state_checksum(const cs_calib_imis_state *st)
{
    size_t d = st->dim, n = st->n_points, k = st->n_components;
    uint64_t h = cs_mix64(UINT64_C(0x494d4953) ^ st->seed);
    h = cs_mix64(h ^ d);
    h = cs_mix64(h ^ st->n_initial);
    h = cs_mix64(h ^ n);
    h = cs_mix64(h ^ k);
    h = hash_doubles(h, st->z, n * d);
    h = hash_doubles(h, st->loglik, n);
    h = hash_doubles(h, st->center, k * d);
    h = hash_doubles(h, st->covariance, k * d * d);
    for (size_t c = 0; c < k; c++)
        h = cs_mix64(h ^ st->wave_size[c]);
    h = hash_doubles(h, st->ess, n ? k + 1 : 0);
    return hash_doubles(h, st->best_logpost, n ? k + 1 : 0);
}

/* Checks that a saved state matches cfg and adds up. */
static int check_state(const cs_calib_imis_config *cfg, const cs_calib_imis_state *st,
                       cs_error *err)
{
    if (st->dim != cfg->dim || st->n_initial != cfg->n_initial || st->seed != cfg->seed)
        return cs_error_set(err, CS_EINVAL,
                            "calibration: the saved state has %zu inputs, %zu initial points and "
                            "seed %llu; this run asks for %zu, %zu and %llu",
                            st->dim, st->n_initial, (unsigned long long)st->seed, cfg->dim,
                            cfg->n_initial, (unsigned long long)cfg->seed);
    if (st->n_points * st->dim / (st->dim ? st->dim : 1) != st->n_points)
        return cs_error_set(err, CS_EINVAL, "calibration: the saved state is too large");
    if (cs_calib_imis_state_checksum(st) != st->checksum)
        return cs_error_set(err, CS_EINVAL,
                            "calibration: the saved state's checksum does not match its "
                            "contents: it was damaged or changed after it was saved");
    size_t total = st->n_points ? st->n_initial : 0;
    for (size_t c = 0; c < st->n_components; c++) {
        if (st->wave_size[c] < 1 || st->wave_size[c] > SIZE_MAX - total)
            return cs_error_set(err, CS_EINVAL, "calibration: saved wave %zu has size %llu", c + 1,
                                (unsigned long long)st->wave_size[c]);
        total += (size_t)st->wave_size[c];
    }
    if (total != st->n_points)
        return cs_error_set(err, CS_EINVAL,
                            "calibration: the saved waves add up to %zu points, not %zu", total,
                            st->n_points);
    size_t nz = st->n_points * st->dim;
    for (size_t i = 0; i < nz; i++)
        if (!isfinite(st->z[i]))
            return cs_error_set(err, CS_EINVAL, "calibration: saved point %zu is not finite",
                                i / st->dim);
    for (size_t i = 0; i < st->n_points; i++)
        if (isnan(st->loglik[i]) || st->loglik[i] == INFINITY)
            return cs_error_set(err, CS_EINVAL, "calibration: saved log-likelihood %zu is %g", i,
                                st->loglik[i]);
    return CS_OK;
}

/* Copies the saved arrays into m (sized by the caller). */
static int load_state(cs_calib_imis *m, const cs_calib_imis_state *st, cs_error *err)
{
    size_t d = m->dim, K = st->n_components;
    memcpy(m->z, st->z, st->n_points * d * sizeof *m->z);
    memcpy(m->loglik, st->loglik, st->n_points * sizeof *m->loglik);
    memcpy(m->center, st->center, K * d * sizeof *m->center);
    memcpy(m->cov, st->covariance, K * d * d * sizeof *m->cov);
    memcpy(m->size, st->wave_size, K * sizeof *m->size);
    memcpy(m->ess_hist, st->ess, (K + 1) * sizeof *m->ess_hist);
    memcpy(m->best_hist, st->best_logpost, (K + 1) * sizeof *m->best_hist);
    m->n = st->n_points;
    m->k = K;
    m->waves = K + 1;
    for (size_t c = 0; c < K; c++) {
        for (size_t r = 0; r < d; r++)
            if (!isfinite(m->center[c * d + r]))
                return cs_error_set(err, CS_EINVAL, "calibration: saved centre %zu is not finite",
                                    c + 1);
        if (factor_component(m, c) != CS_OK)
            return cs_error_set(err, CS_EINVAL,
                                "calibration: saved covariance %zu is not positive definite",
                                c + 1);
    }
    for (size_t i = 0; i < m->n; i++) {
        m->logphi[i] = cs_calib_log_std_normal(m->z + i * d, d);
        m->logmix[i] = -INFINITY;
    }
    for (size_t c = 0; c < K; c++)
        add_component_density(m, c, 0, m->n);
    return CS_OK;
}

int cs_calib_imis_restore(const cs_calib_imis_config *cfg, const cs_calib_imis_state *st,
                          cs_calib_imis **out, cs_error *err)
{
    *out = NULL;
    int st0 = cs_calib_imis_config_check(cfg, err);
    if (!st0)
        st0 = check_state(cfg, st, err);
    if (st0)
        return st0;
    if (st->n_points == 0)
        return cs_calib_imis_alloc(cfg, out, err);
    cs_calib_imis *m;
    int rc = imis_new(cfg, &m, err);
    if (rc)
        return rc;
    rc = ensure_points(m, st->n_points, err);
    if (!rc)
        rc = ensure_components(m, st->n_components + 1, err);
    if (!rc)
        rc = load_state(m, st, err);
    if (rc)
        goto fail;
    evaluate_weights(m);
    if (m->ess != m->ess_hist[m->k] || m->best != m->best_hist[m->k]) {
        rc = cs_error_set(err, CS_EINVAL,
                          "calibration: the saved state does not reproduce its own effective "
                          "sample size (%.17g, recomputed %.17g): it was written by another "
                          "version of this program, so continuing it would not give the same "
                          "result",
                          m->ess_hist[m->k], m->ess);
        goto fail;
    }
    decide(m);
    if (m->status == CS_CALIB_RUNNING && (rc = prepare_next(m, err)) != CS_OK)
        goto fail;
    *out = m;
    return CS_OK;
fail:
    cs_calib_imis_free(m);
    return rc;
}
