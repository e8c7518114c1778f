/* evppi_gp.c — Gaussian-process regression of one output on several inputs,
 * for multi-input EVPPI (method in include/casesim/decision.h, 4.).
 *
 *   g(x) = h(x)'beta + f(x),  h(x) = (1, x_1, ..., x_p) on standardised
 *   inputs, beta flat, f ~ GP(0, sf2 exp(-sum_j (x_j - x'_j)^2 / (2 l_j^2))),
 *   observations with noise variance sn2.
 *
 * (1) Least squares on h gives residuals r; when they vanish the output is
 *     linear in the inputs and that is the fit.
 * (2) The shape: hyperparameters eta = (log l_j, log sf2, log sn2) at the
 *     maximum of the marginal likelihood of r / sd(r) on the first m draws
 *     (Rasmussen & Williams 2006, eq. 5.8-5.9), times a prior: a penalty
 *     1 / sqrt(l_j) on each length-scale (the form of a penalised-complexity
 *     prior, Simpson et al. 2017: it grows without bound as l_j shrinks and is
 *     flat for long ones) and weak N(0, 5^2) priors on log sf2 and log sn2.
 *     Without the length-scale penalty the likelihood cannot tell noise from
 *     a signal whose length-scale is shorter than the spacing of the draws
 *     (the kernel matrix is then diagonal either way), and the search drifts
 *     into that corner; the penalty sends it to the other end of that ridge,
 *     where an input the data do not need has a long length-scale.
 *     BFGS with the analytic gradient and a backtracking line search.
 * (3) The amount: the fit on all n draws is the subset-of-regressors
 *     (Nystrom) approximation with the first m draws as inducing points.
 *     With Kt the kernel correlations and Kt_mm = U Lambda U', the features
 *     Phi = Kt_nm U Lambda^-1/2 (eigenvalues below 1e-8 of the largest
 *     dropped: rounding of a smooth kernel) carry f = Phi v, v ~ N(0, sf2 I).
 *     With the linear part projected out (M = I - Q Q'), the eigen-
 *     decomposition (M Phi)'(M Phi) = V D V' turns the fit into a ridge
 *     regression on W = M Phi V with diagonal Gram matrix D:
 *       fitted = Q Q'y + W diag(1 / (d + rho)) W'y,
 *       RSS(rho) = |My|^2 - sum_j b_j^2 (d_j + 2 rho) / (d_j + rho)^2,
 *       edf(rho) = h + sum_j d_j / (d_j + rho),  b = W'y,
 *     so GCV(rho) costs O(r) and rho is searched like the spline's weight
 *     (rho -> infinity is the linear fit, which wins when its GCV is
 *     lower). The likelihood's own sn2 / sf2, from m draws, is not used:
 *     GCV on all n draws decides how much to smooth, and guards against
 *     hyperparameters that m draws determined poorly. Posterior of the
 *     fitted values: s^2 (Q Q' + W diag(1 / (d + rho)) W'), s^2 = RSS /
 *     (n - edf). With n <= m this is the exact GP; it costs O(n m^2 + m^3).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evppi_internal.h"

/* A floor on sn2 (in units of the residual variance) and a relative jitter
 * on sf2: together they keep K well conditioned when the output is a smooth
 * deterministic function of the inputs and the likelihood drives the noise
 * to zero. */
#define GP_NUGGET_FLOOR 1e-6
#define GP_JITTER 1e-8
#define GP_MAX_ITER 60
#define GP_LENGTH_PENALTY 1.0

struct cs_ev_gp {
    size_t n, p, m, h; /* h = p + 1 columns of the linear basis */
    double *H;         /* [n h]: 1 and the standardised inputs */
    double *Q;         /* [n h]: H L^-T with L L' = H'H, orthonormal columns */
    double *d2;        /* [m (m - 1) / 2 pairs][p]: squared differences of the first m rows */
};

void cs_ev_gp_free(struct cs_ev_gp *gp)
{
    if (!gp)
        return;
    free(gp->H);
    free(gp->Q);
    free(gp->d2);
    free(gp);
}

/* Standardised copies of the varying columns into gp->H; returns p. */
static size_t standardise(const double *theta, size_t n_inputs, const size_t *cols, size_t n_cols,
                          size_t n, double *H)
{
    size_t p = 0, h = n_cols + 1;
    for (size_t i = 0; i < n; i++)
        H[i * h] = 1;
    for (size_t c = 0; c < n_cols; c++) {
        double mean = 0, ss = 0;
        for (size_t i = 0; i < n; i++)
            mean += theta[i * n_inputs + cols[c]] / (double)n;
        for (size_t i = 0; i < n; i++) {
            double dv = theta[i * n_inputs + cols[c]] - mean;
            ss += dv * dv;
        }
        double sd = sqrt(ss / (double)(n - 1));
        if (!(sd > 1e-12 * fabs(mean)) || sd == 0)
            continue; /* a constant input carries no information */
        p++;
        for (size_t i = 0; i < n; i++)
            H[i * h + p] = (theta[i * n_inputs + cols[c]] - mean) / sd;
    }
    return p;
}

/* Compacts H from n_cols + 1 to p + 1 columns in place. */
static void compact(double *H, size_t n, size_t from, size_t to)
{
    for (size_t i = 0; i < n; i++)
        memmove(H + i * to, H + i * from, to * sizeof *H);
}

/* gp->Q = H L^-T, L L' = H'H (with a ridge only when inputs are collinear),
 * so that Q Q' y is the least-squares fit on the linear basis. */
static int orthonormal_basis(struct cs_ev_gp *gp)
{
    size_t n = gp->n, h = gp->h;
    double *l = malloc(h * h * sizeof *l), *copy = malloc(h * h * sizeof *copy);
    int st = CS_ENOMEM;
    if (l && copy) {
        cs_ev_gram(gp->H, n, h, l);
        st = cs_ev_chol_ridged(l, h, h, copy) == 0 ? CS_OK : CS_EINTERNAL;
    }
    for (size_t i = 0; st == CS_OK && i < n; i++) {
        memcpy(gp->Q + i * h, gp->H + i * h, h * sizeof *gp->Q);
        cs_ev_solve_l(l, h, gp->Q + i * h); /* row i of Q = (L^-1 h_i)' */
    }
    free(l);
    free(copy);
    return st;
}

int cs_ev_gp_alloc(const double *theta, size_t n_inputs, const size_t *cols, size_t n_cols,
                   size_t n, size_t m, struct cs_ev_gp **out)
{
    *out = NULL;
    struct cs_ev_gp *gp = calloc(1, sizeof *gp);
    if (!gp || !(gp->H = malloc(n * (n_cols + 1) * sizeof *gp->H)))
        goto nomem;
    size_t p = standardise(theta, n_inputs, cols, n_cols, n, gp->H);
    if (p == 0) {
        cs_ev_gp_free(gp);
        return CS_OK; /* every input constant: *out stays NULL */
    }
    compact(gp->H, n, n_cols + 1, p + 1);
    gp->n = n;
    gp->p = p;
    gp->h = p + 1;
    gp->m = m < n ? m : n;
    size_t h = gp->h, mm = gp->m, pairs = mm * (mm - 1) / 2;
    gp->Q = malloc(n * h * sizeof *gp->Q);
    gp->d2 = malloc((pairs ? pairs : 1) * p * sizeof *gp->d2);
    if (!gp->Q || !gp->d2)
        goto nomem;
    int st = orthonormal_basis(gp);
    if (st != CS_OK) {
        cs_ev_gp_free(gp);
        return st;
    }
    size_t k = 0;
    for (size_t a = 0; a < mm; a++)
        for (size_t b = a + 1; b < mm; b++, k++)
            for (size_t j = 0; j < p; j++) {
                double dv = gp->H[a * h + 1 + j] - gp->H[b * h + 1 + j];
                gp->d2[k * p + j] = dv * dv;
            }
    *out = gp;
    return CS_OK;
nomem:
    cs_ev_gp_free(gp);
    return CS_ENOMEM;
}

/* The marginal-likelihood search: data and scratch. */
struct ml {
    const struct cs_ev_gp *gp;
    const double *t; /* [m] standardised residuals */
    double *K;       /* [m m] covariance, then its factor */
    double *Kinv;    /* [m m] */
    double *work;    /* [m m] */
    double *E;       /* [pairs] kernel correlations */
    double *alpha;   /* [m] K^-1 t */
};

/* Fills s->E and the lower triangle of s->K for hyperparameters eta. */
static void build_k(struct ml *s, const double *eta, double *half_inv_l2)
{
    size_t p = s->gp->p, m = s->gp->m;
    double sf2 = exp(eta[p]), sn2 = exp(eta[p + 1]) + GP_NUGGET_FLOOR;
    for (size_t j = 0; j < p; j++)
        half_inv_l2[j] = 0.5 * exp(-2 * eta[j]);
    size_t k = 0;
    for (size_t a = 0; a < m; a++) {
        s->K[a * m + a] = sf2 * (1 + GP_JITTER) + sn2;
        for (size_t b = a + 1; b < m; b++, k++) {
            const double *d = s->gp->d2 + k * p;
            double q = 0;
            for (size_t j = 0; j < p; j++)
                q += d[j] * half_inv_l2[j];
            s->E[k] = exp(-q);
            s->K[b * m + a] = sf2 * s->E[k];
        }
    }
}

/* Gradient of the negative log likelihood: -tr((a a' - K^-1) dK) / 2. */
static void ml_gradient(struct ml *s, const double *eta, const double *half_inv_l2, double *g)
{
    size_t p = s->gp->p, m = s->gp->m;
    double sf2 = exp(eta[p]);
    memset(g, 0, (p + 2) * sizeof *g);
    size_t k = 0;
    for (size_t a = 0; a < m; a++) {
        double waa = s->alpha[a] * s->alpha[a] - s->Kinv[a * m + a];
        g[p] += waa * sf2;
        g[p + 1] += waa * exp(eta[p + 1]);
        for (size_t b = a + 1; b < m; b++, k++) {
            /* Each off-diagonal pair appears twice in the trace. */
            double c = 2 * (s->alpha[a] * s->alpha[b] - s->Kinv[a * m + b]) * sf2 * s->E[k];
            g[p] += c;
            const double *d = s->gp->d2 + k * p;
            for (size_t j = 0; j < p; j++)
                g[j] += c * d[j] * 2 * half_inv_l2[j];
        }
    }
    for (size_t j = 0; j < p + 2; j++)
        g[j] *= -0.5;
}

/* The prior's contribution to the objective and (grad != NULL) its
 * gradient (see the top of this file). */
static double prior(const double *eta, size_t p, double *grad)
{
    double f = (eta[p] * eta[p] + eta[p + 1] * eta[p + 1]) / (2 * 25.0);
    for (size_t j = 0; j < p; j++) {
        double pen = GP_LENGTH_PENALTY * exp(-0.5 * eta[j]); /* lambda / sqrt(l_j) */
        f += pen;
        if (grad)
            grad[j] -= 0.5 * pen;
    }
    if (grad) {
        grad[p] += eta[p] / 25.0;
        grad[p + 1] += eta[p + 1] / 25.0;
    }
    return f;
}

/* Negative log posterior of eta (up to a constant); with grad != NULL also
 * its gradient. A K that is not positive definite scores +huge. */
static double ml_eval(struct ml *s, const double *eta, double *grad)
{
    size_t p = s->gp->p, m = s->gp->m;
    double half_inv_l2[p];
    build_k(s, eta, half_inv_l2);
    if (cs_ev_chol(s->K, m) != 0) {
        if (grad)
            memset(grad, 0, (p + 2) * sizeof *grad);
        return 1e300;
    }
    double logdet = 0, quad = 0;
    for (size_t a = 0; a < m; a++)
        logdet += 2 * log(s->K[a * m + a]);
    memcpy(s->alpha, s->t, m * sizeof *s->alpha);
    cs_ev_solve_l(s->K, m, s->alpha);
    for (size_t a = 0; a < m; a++)
        quad += s->alpha[a] * s->alpha[a]; /* t'K^-1 t = |L^-1 t|^2 */
    cs_ev_solve_lt(s->K, m, s->alpha);
    if (grad) {
        cs_ev_chol_inverse(s->K, m, s->Kinv, s->work);
        ml_gradient(s, eta, half_inv_l2, grad);
    }
    return 0.5 * (quad + logdet) + prior(eta, p, grad);
}

/* BFGS update of the inverse Hessian hi (n x n) with step sv and gradient
 * change yv; tmp holds n doubles. Skipped when the curvature s'y is not
 * positive (the update would lose positive definiteness). */
static void bfgs_update(double *hi, size_t n, const double *sv, const double *yv, double *tmp)
{
    double sy = 0, yhy = 0;
    for (size_t i = 0; i < n; i++)
        sy += sv[i] * yv[i];
    if (!(sy > 1e-12))
        return;
    for (size_t i = 0; i < n; i++) {
        tmp[i] = 0;
        for (size_t j = 0; j < n; j++)
            tmp[i] += hi[i * n + j] * yv[j];
        yhy += yv[i] * tmp[i];
    }
    /* H+ = H - (H y s' + s y'H) / sy + (1 + y'H y / sy) s s' / sy */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            hi[i * n + j] +=
                -(tmp[i] * sv[j] + sv[i] * tmp[j]) / sy + (1 + yhy / sy) * sv[i] * sv[j] / sy;
}

/* A backtracking (Armijo) line search from x along d. The first trial is
 * evaluated with its gradient (a quasi-Newton step is usually accepted
 * whole); shorter ones without, and the gradient is added at the point
 * accepted. On success x, *f and g hold the new point; returns 0, or -1 when
 * no step decreases f. */
static int line_search(struct ml *s, double *x, double *f, double *g, const double *d, size_t n,
                       double *xn, double *gn)
{
    double slope = 0, dmax = 0;
    for (size_t i = 0; i < n; i++) {
        slope += g[i] * d[i];
        dmax = fmax(dmax, fabs(d[i]));
    }
    /* At most a factor e^2 on any hyperparameter per step. */
    double step = dmax > 2 ? 2 / dmax : 1;
    for (int tries = 0; tries < 40; tries++, step *= 0.5) {
        for (size_t i = 0; i < n; i++)
            xn[i] = x[i] + step * d[i];
        double fn = ml_eval(s, xn, tries == 0 ? gn : NULL);
        if (fn <= *f + 1e-4 * step * slope) {
            *f = tries == 0 ? fn : ml_eval(s, xn, gn);
            memcpy(x, xn, n * sizeof *x);
            memcpy(g, gn, n * sizeof *g);
            return 0;
        }
    }
    return -1;
}

/* The search direction d = -hi g; when it does not descend, hi is reset to
 * the identity and d = -g. */
static void direction(double *hi, const double *g, size_t n, double *d)
{
    double slope = 0;
    for (size_t i = 0; i < n; i++) {
        d[i] = 0;
        for (size_t j = 0; j < n; j++)
            d[i] -= hi[i * n + j] * g[j];
        slope += d[i] * g[i];
    }
    if (slope < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++)
            hi[i * n + j] = i == j;
        d[i] = -g[i];
    }
}

/* Minimises ml_eval from x (n = p + 2 entries) by BFGS, until an iteration
 * gains less than 1e-6 (1 + |f|) or after GP_MAX_ITER iterations. work holds
 * n n + 6 n doubles. */
static void bfgs(struct ml *s, double *x, size_t n, double *work)
{
    double *hi = work, *g = hi + n * n, *d = g + n, *xn = d + n, *gn = xn + n;
    double *sv = gn + n, *yv = sv + n;
    double f = ml_eval(s, x, g);
    for (size_t i = 0; i < n * n; i++)
        hi[i] = i % (n + 1) == 0;
    for (int it = 0; it < GP_MAX_ITER; it++) {
        direction(hi, g, n, d);
        double f0 = f;
        memcpy(sv, x, n * sizeof *sv);
        memcpy(yv, g, n * sizeof *yv);
        if (line_search(s, x, &f, g, d, n, xn, gn) != 0)
            return;
        for (size_t i = 0; i < n; i++) {
            sv[i] = x[i] - sv[i];
            yv[i] = g[i] - yv[i];
        }
        bfgs_update(hi, n, sv, yv, xn);
        if (f0 - f <= 1e-6 * (1 + fabs(f)))
            return;
    }
}

/* Hyperparameters eta[p + 2] for the standardised residuals t[m]. */
static int fit_hyper(const struct cs_ev_gp *gp, const double *t, double *eta)
{
    size_t p = gp->p, m = gp->m, pairs = m * (m - 1) / 2, n = p + 2;
    struct ml s = {.gp = gp, .t = t};
    s.K = malloc(m * m * sizeof *s.K);
    s.Kinv = malloc(m * m * sizeof *s.Kinv);
    s.work = malloc(m * m * sizeof *s.work);
    s.E = malloc((pairs ? pairs : 1) * sizeof *s.E);
    s.alpha = malloc(m * sizeof *s.alpha);
    double *bw = malloc((n * n + 6 * n) * sizeof *bw);
    int st = CS_ENOMEM;
    if (s.K && s.Kinv && s.work && s.E && s.alpha && bw) {
        /* Start: length-scales about the spread of the standardised inputs
         * over p dimensions, residual variance split evenly. */
        for (size_t j = 0; j < p; j++)
            eta[j] = 0.5 * log((double)p);
        eta[p] = log(0.5);
        eta[p + 1] = log(0.5);
        bfgs(&s, eta, n, bw);
        st = CS_OK;
    }
    free(s.K);
    free(s.Kinv);
    free(s.work);
    free(s.E);
    free(s.alpha);
    free(bw);
    return st;
}

/* The residual r = y - Q Q'y of the least-squares fit on the linear basis
 * and its sum of squares. */
static double least_squares(const struct cs_ev_gp *gp, const double *y, double *qy, double *r)
{
    size_t n = gp->n, h = gp->h;
    cs_ev_matvec_t(gp->Q, n, h, y, qy);
    cs_ev_matvec(gp->Q, n, h, qy, r);
    double rss = 0;
    for (size_t i = 0; i < n; i++) {
        r[i] = y[i] - r[i];
        rss += r[i] * r[i];
    }
    return rss;
}

/* The linear fit: fitted = y - r, posterior s^2 Q Q'. */
static int linear_fit(const struct cs_ev_gp *gp, const double *y, const double *r, double rss,
                      double tss, struct cs_ev_fit *fit)
{
    size_t n = gp->n, h = gp->h;
    fit->fitted = malloc(n * sizeof *fit->fitted);
    fit->w = malloc(h * sizeof *fit->w);
    if (!fit->fitted || !fit->w)
        return CS_ENOMEM;
    for (size_t i = 0; i < n; i++)
        fit->fitted[i] = y[i] - r[i];
    for (size_t j = 0; j < h; j++)
        fit->w[j] = 1;
    fit->n = n;
    fit->q = h;
    fit->basis = gp->Q;
    fit->scale = n > h ? sqrt(rss / (double)(n - h)) : 0;
    fit->info =
        (cs_evppi_fit_info){CS_EVPPI_LINEAR, (double)h, tss > 0 ? 1 - rss / tss : 0, fit->scale};
    return CS_OK;
}

/* The kernel part of the fit, after the linear part is projected out:
 * W = M Phi V (n x r, orthogonal columns with |W_j|^2 = d_j), b = W'r. */
struct kpart {
    size_t r;  /* features kept */
    double *W; /* [n r] */
    double *d; /* [r] */
    double *b; /* [r] */
};

static void kpart_free(struct kpart *k)
{
    free(k->W);
    free(k->d);
    free(k->b);
}

/* Kt_nm (n x m) for length-scales eta[0..p): kernel correlations with the
 * first m draws. */
static void cross_kernel(const struct cs_ev_gp *gp, const double *eta, double *knm)
{
    size_t n = gp->n, p = gp->p, h = gp->h, m = gp->m;
    double half_inv_l2[p];
    for (size_t j = 0; j < p; j++)
        half_inv_l2[j] = 0.5 * exp(-2 * eta[j]);
    for (size_t i = 0; i < n; i++) {
        const double *xi = gp->H + i * h + 1;
        for (size_t b = 0; b < m; b++) {
            const double *xb = gp->H + b * h + 1;
            double dd = 0;
            for (size_t j = 0; j < p; j++)
                dd += (xi[j] - xb[j]) * (xi[j] - xb[j]) * half_inv_l2[j];
            knm[i * m + b] = exp(-dd);
        }
    }
}

/* Nystrom features Phi = Kt_nm U_r Lambda_r^-1/2 from Kt_mm = U Lambda U',
 * keeping the eigenvalues above 1e-8 of the largest (the rest are rounding
 * of a smooth kernel and would only amplify it). Writes Phi (n x r) over the
 * first n r doubles of phi; returns r, or 0 on failure (*st says why). */
static size_t nystrom(const struct cs_ev_gp *gp, const double *knm, double *phi, int *st)
{
    size_t n = gp->n, m = gp->m, r = 0;
    double *kmm = malloc(m * m * sizeof *kmm), *u = malloc(m * m * sizeof *u);
    double *lam = malloc(m * sizeof *lam), *t = malloc(m * m * sizeof *t);
    *st = CS_ENOMEM;
    if (!kmm || !u || !lam || !t)
        goto done;
    memcpy(kmm, knm, m * m * sizeof *kmm); /* rows b < m of Kt_nm are Kt_mm */
    *st = cs_ev_eigen(kmm, m, lam, u);
    if (*st != CS_OK)
        goto done;
    double top = 0;
    for (size_t k = 0; k < m; k++)
        top = fmax(top, lam[k]);
    for (size_t k = 0; k < m; k++) /* T = U_r Lambda_r^-1/2 (m x r), kept columns */
        if (lam[k] > 1e-8 * top) {
            for (size_t b = 0; b < m; b++)
                t[b * m + r] = u[b * m + k] / sqrt(lam[k]);
            r++;
        }
    for (size_t b = 0; b < m; b++) /* compact T to m x r */
        memmove(t + b * r, t + b * m, r * sizeof *t);
    cs_ev_matmul(knm, t, n, m, r, phi);
done:
    free(kmm);
    free(u);
    free(lam);
    free(t);
    return r;
}

/* M Phi = Phi - Q (Q' Phi) in place (n x r): the features with the linear
 * part projected out. */
static int project_out(const struct cs_ev_gp *gp, double *phi, size_t r)
{
    size_t n = gp->n, h = gp->h;
    double *pq = calloc(h * r, sizeof *pq);
    if (!pq)
        return CS_ENOMEM;
    for (size_t i = 0; i < n; i++) /* Q'Phi, accumulated row by row */
        for (size_t j = 0; j < h; j++)
            cs_ev_axpy(pq + j * r, gp->Q[i * h + j], phi + i * r, r);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < h; j++)
            cs_ev_axpy(phi + i * r, -gp->Q[i * h + j], pq + j * r, r);
    free(pq);
    return CS_OK;
}

/* W = (M Phi) V and d from the eigen-decomposition (M Phi)'(M Phi) = V D V',
 * and b = W' resid. */
static int rotate(const struct cs_ev_gp *gp, const double *mphi, const double *resid,
                  struct kpart *k)
{
    size_t n = gp->n, r = k->r;
    double *c = malloc(r * r * sizeof *c), *v = malloc(r * r * sizeof *v);
    int st = CS_ENOMEM;
    if (!c || !v)
        goto done;
    cs_ev_gram(mphi, n, r, c);
    st = cs_ev_eigen(c, r, k->d, v);
    if (st != CS_OK)
        goto done;
    for (size_t j = 0; j < r; j++)
        k->d[j] = fmax(k->d[j], 0); /* a Gram matrix: negatives are rounding */
    cs_ev_matmul(mphi, v, n, r, r, k->W);
    cs_ev_matvec_t(k->W, n, r, resid, k->b);
done:
    free(c);
    free(v);
    return st;
}

/* The kernel part for length-scales eta and the linear-fit residual. */
static int kernel_part(const struct cs_ev_gp *gp, const double *eta, const double *resid,
                       struct kpart *k)
{
    size_t n = gp->n, m = gp->m;
    memset(k, 0, sizeof *k);
    double *knm = malloc(n * m * sizeof *knm), *phi = malloc(n * m * sizeof *phi);
    int st = CS_ENOMEM;
    if (!knm || !phi)
        goto done;
    cross_kernel(gp, eta, knm);
    k->r = nystrom(gp, knm, phi, &st);
    if (k->r == 0 || (st = project_out(gp, phi, k->r)) != CS_OK)
        goto done;
    k->W = malloc(n * k->r * sizeof *k->W);
    k->d = malloc(k->r * sizeof *k->d);
    k->b = malloc(k->r * sizeof *k->b);
    st = k->W && k->d && k->b ? rotate(gp, phi, resid, k) : CS_ENOMEM;
done:
    free(knm);
    free(phi);
    if (st != CS_OK)
        kpart_free(k);
    return st;
}

/* GCV of the ridge weight e^lr on the kernel part: RSS = |r|^2 -
 * sum b_j^2 (d_j + 2 rho) / (d_j + rho)^2, edf = h + sum d_j / (d_j + rho). */
static double kgcv(const struct kpart *k, double rr, size_t n, size_t h, double lr)
{
    double rho = exp(lr), rss = rr, edf = (double)h;
    for (size_t j = 0; j < k->r; j++) {
        double den = k->d[j] + rho;
        rss -= k->b[j] * k->b[j] * (k->d[j] + 2 * rho) / (den * den);
        edf += k->d[j] / den;
    }
    rss = fmax(rss, 0);
    return (double)n > edf ? (double)n * rss / (((double)n - edf) * ((double)n - edf)) : INFINITY;
}

/* The log ridge weight minimising GCV: a grid of step 0.25 from where every
 * feature is fitted to where none is, refined by golden section. */
static double choose_ridge(const struct kpart *k, double rr, size_t n, size_t h, double *gbest)
{
    double dmax = 0;
    for (size_t j = 0; j < k->r; j++)
        dmax = fmax(dmax, k->d[j]);
    double lo = log(1e-8 * dmax), hi = log(1e8 * dmax), best = hi, fb = INFINITY;
    for (double lr = lo; lr <= hi; lr += 0.25) {
        double f = kgcv(k, rr, n, h, lr);
        if (f < fb) {
            fb = f;
            best = lr;
        }
    }
    double a = best - 0.25, b = best + 0.25, g = (sqrt(5.0) - 1) / 2;
    for (int it = 0; it < 30; it++) {
        double c = b - g * (b - a), d = a + g * (b - a);
        if (kgcv(k, rr, n, h, c) < kgcv(k, rr, n, h, d))
            b = d;
        else
            a = c;
    }
    double mid = (a + b) / 2, fm = kgcv(k, rr, n, h, mid);
    *gbest = fm < fb ? fm : fb;
    return fm < fb ? mid : best;
}

/* The sampling basis [Q, W_kept] (n x q) and its weights: W's directions
 * are kept when they carry at least 1e-6 of a degree of freedom
 * (d / (d + rho)); the rest are shrunk to nothing by the ridge, and leaving
 * them out of posterior draws changes their variance by less than r 1e-6
 * degrees of freedom in all. Returns q. */
static size_t sampling_basis(const struct cs_ev_gp *gp, const struct kpart *k, double rho,
                             double *basis, double *w)
{
    size_t n = gp->n, h = gp->h, q = h;
    for (size_t j = 0; j < h; j++)
        w[j] = 1;
    for (size_t j = 0; j < k->r; j++)
        if (k->d[j] / (k->d[j] + rho) >= 1e-6)
            w[q++] = 1 / sqrt(k->d[j] + rho);
    for (size_t i = 0; i < n; i++) {
        double *row = basis + i * q;
        memcpy(row, gp->Q + i * h, h * sizeof *row);
        for (size_t j = 0, c = h; j < k->r; j++)
            if (k->d[j] / (k->d[j] + rho) >= 1e-6)
                row[c++] = k->W[i * k->r + j];
    }
    return q;
}

/* The GP fit with ridge weight rho: fitted = (y - r) + W (b / (d + rho));
 * posterior s^2 (Q Q' + W diag(1 / (d + rho)) W'), drawn in the diagonal
 * form over the basis [Q, W]. */
static int kernel_fit(const struct cs_ev_gp *gp, const double *y, const double *r,
                      const struct kpart *k, double rho, double tss, struct cs_ev_fit *fit)
{
    size_t n = gp->n, h = gp->h, qmax = h + k->r;
    fit->fitted = malloc(n * sizeof *fit->fitted);
    fit->own_basis = malloc(n * qmax * sizeof *fit->own_basis);
    fit->w = malloc(qmax * sizeof *fit->w);
    double *s = malloc((k->r ? k->r : 1) * sizeof *s);
    if (!fit->fitted || !fit->own_basis || !fit->w || !s) {
        free(s);
        return CS_ENOMEM;
    }
    double edf = (double)h, rss = 0;
    for (size_t j = 0; j < k->r; j++) {
        s[j] = k->b[j] / (k->d[j] + rho);
        edf += k->d[j] / (k->d[j] + rho);
    }
    cs_ev_matvec(k->W, n, k->r, s, fit->fitted);
    for (size_t i = 0; i < n; i++) {
        fit->fitted[i] += y[i] - r[i];
        rss += (y[i] - fit->fitted[i]) * (y[i] - fit->fitted[i]);
    }
    free(s);
    fit->n = n;
    fit->q = sampling_basis(gp, k, rho, fit->own_basis, fit->w);
    fit->basis = fit->own_basis;
    fit->scale = (double)n > edf ? sqrt(rss / ((double)n - edf)) : 0;
    fit->info = (cs_evppi_fit_info){CS_EVPPI_GP, edf, tss > 0 ? 1 - rss / tss : 0, fit->scale};
    return CS_OK;
}

/* Hyperparameters, kernel part and ridge weight for the residual r of the
 * linear fit; falls back to the linear fit when GCV prefers it. */
static int gp_kernel(const struct cs_ev_gp *gp, const double *y, const double *r, double rss,
                     double tss, struct cs_ev_fit *fit)
{
    size_t n = gp->n, h = gp->h, m = gp->m;
    double s_r = sqrt(rss / (double)(n - h)), gbest;
    double *t = malloc(m * sizeof *t), *eta = malloc((gp->p + 2) * sizeof *eta);
    struct kpart k = {0};
    int st = CS_ENOMEM;
    if (!t || !eta)
        goto done;
    for (size_t a = 0; a < m; a++)
        t[a] = r[a] / s_r;
    st = fit_hyper(gp, t, eta);
    if (st == CS_OK)
        st = kernel_part(gp, eta, r, &k);
    if (st != CS_OK)
        goto done;
    double lr = choose_ridge(&k, rss, n, h, &gbest);
    double gcv_lin = (double)n * rss / ((double)(n - h) * (double)(n - h));
    if (gbest < gcv_lin)
        st = kernel_fit(gp, y, r, &k, exp(lr), tss, fit);
    else
        st = linear_fit(gp, y, r, rss, tss, fit);
done:
    kpart_free(&k);
    free(t);
    free(eta);
    return st;
}

int cs_ev_gp_fit(const struct cs_ev_gp *gp, const double *y, struct cs_ev_fit *fit)
{
    memset(fit, 0, sizeof *fit);
    size_t n = gp->n, h = gp->h;
    double *qy = malloc(h * sizeof *qy), *r = malloc(n * sizeof *r);
    int st = CS_ENOMEM;
    if (!qy || !r)
        goto done;
    double rss = least_squares(gp, y, qy, r), mean = 0, tss = 0;
    for (size_t i = 0; i < n; i++)
        mean += y[i] / (double)n;
    for (size_t i = 0; i < n; i++)
        tss += (y[i] - mean) * (y[i] - mean);
    /* Nothing is left for the kernel when the output is linear in the inputs
     * (a cost that is one of them, a sum of members' costs). */
    if (rss > 1e-12 * tss && n > h + 1)
        st = gp_kernel(gp, y, r, rss, tss, fit);
    else
        st = linear_fit(gp, y, r, rss, tss, fit);
done:
    if (st != CS_OK)
        cs_ev_fit_clear(fit);
    free(qy);
    free(r);
    return st;
}
