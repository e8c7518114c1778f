/*
 * invert.c — quantiles of the gamma and beta distributions from GSL's
 * distribution functions.
 *
 * GSL's own inverses are not good enough for draws: gsl_cdf_gamma_Pinv
 * returns NaN for every p < 0.5 when the shape is below about 0.1 and in
 * the far tails of large shapes, and gsl_cdf_beta_Pinv is inexact (relative
 * error up to 1e7 in cdf(quantile(u)) for shapes near 0.05) and very slow
 * for shapes of 1e6. Here the quantile is the root in t = log x of
 *     h(t) = log G(e^t) - log g,
 * G the tail that holds the target g <= 1/2 (gsl_cdf_*_P for the lower tail,
 * _Q for the upper one), solved by Newton's method kept inside a bracket
 * (bisection when a step leaves it). Working with logarithms of both x and
 * the tail keeps relative accuracy deep in either tail, and log G is close
 * to linear in log x there, so Newton converges in a few steps from a rough
 * start.
 */
#include <float.h>
#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>

#include "unc_internal.h"

#define MAX_ITER 200
#define T_MIN (-744.4)    /* log of the smallest subnormal double */
#define T_MAX_GAMMA 709.7 /* log of the largest double */
#define LN2 0.69314718055994530942

/* One tail of a unit-scale gamma or of a beta, as a function of t = log x. */
typedef struct tail_fn {
    int beta;  /* 0: gamma(a), 1: beta(a, b) */
    int upper; /* gamma only: 1 for Q, 0 for P (a beta is always P here) */
    double a, b;
    double log_norm; /* log 1/Gamma(a) or log 1/B(a, b) */
} tail_fn;

/* log G(e^t) and d/dt of it. The density times x, f(x) x, is
 * exp(a t - x - lgamma a) (gamma) or exp(a t + (b - 1) log(1 - x) - lnB)
 * (beta); the derivative of log P is f x / P, of log Q is -f x / Q. */
static double eval(const tail_fn *fn, double t, double *dh)
{
    double x = exp(t), G, log_fx;
    if (fn->beta) {
        G = fn->upper ? gsl_cdf_beta_Q(x, fn->a, fn->b) : gsl_cdf_beta_P(x, fn->a, fn->b);
        log_fx = fn->a * t + (fn->b - 1.0) * log1p(-x) + fn->log_norm;
    } else {
        G = fn->upper ? gsl_cdf_gamma_Q(x, fn->a, 1.0) : gsl_cdf_gamma_P(x, fn->a, 1.0);
        log_fx = fn->a * t - x + fn->log_norm;
    }
    double logG = log(G);
    double slope = exp(log_fx - logG);
    *dh = fn->upper ? -slope : slope;
    return logG;
}

/* The root of log G(e^t) = log_g in [t_min, t_max], starting from t0. The
 * function is made increasing (upper tails are negated); while only one side
 * of the root is known, steps that go the wrong way double in length. */
static double solve(const tail_fn *fn, double log_g, double t0, double t_min, double t_max)
{
    double sgn = fn->upper ? -1.0 : 1.0;
    double lo = t_min, hi = t_max; /* bracket: h(lo) < 0 < h(hi) once known */
    bool have_lo = false, have_hi = false;
    double t = fmin(fmax(t0, t_min), t_max), step = 1.0;
    for (int it = 0; it < MAX_ITER; it++) {
        double dh, h = sgn * (eval(fn, t, &dh) - log_g);
        dh *= sgn;
        if (isnan(h))
            return NAN;
        if (h == 0.0)
            return t;
        if (h < 0.0)
            lo = t, have_lo = true;
        else
            hi = t, have_hi = true;
        /* Converged when Newton's correction is below the resolution of t
         * (x is then known to a relative 4 eps |t|). */
        double tol = 4.0 * DBL_EPSILON * fmax(1.0, fabs(t));
        double tn = t - h / dh;
        bool newton_ok = isfinite(tn) && dh > 0.0;
        if (newton_ok && fabs(tn - t) <= tol)
            return tn;
        if (have_lo && have_hi) {
            if (hi - lo <= tol)
                return 0.5 * (lo + hi);
            if (!newton_ok || tn <= lo || tn >= hi)
                tn = 0.5 * (lo + hi);
        } else if (!newton_ok || (h < 0.0 ? tn <= t : tn >= t)) {
            tn = h < 0.0 ? t + step : t - step; /* expand towards the root */
            step *= 2.0;
        }
        tn = fmin(fmax(tn, t_min), t_max);
        if (tn == t)
            return t; /* at t_min or t_max: the root lies beyond what a double holds */
        t = tn;
    }
    return have_lo && have_hi ? 0.5 * (lo + hi) : NAN;
}

double cs_unc_normal_score(double p, double q)
{
    return p <= q ? gsl_cdf_ugaussian_Pinv(p) : -gsl_cdf_ugaussian_Pinv(q);
}

/* Start: Wilson and Hilferty's cube-root normal approximation
 * x = a (1 - 1/(9a) + z / (3 sqrt a))^3 where it is positive and the shape
 * is not small; else the lower tail's leading term P ~ x^a / Gamma(a + 1). */
double cs_unc_gamma_quantile(double shape, double p, double q)
{
    if (!(p > 0.0))
        return 0.0;
    if (!(q > 0.0))
        return INFINITY;
    tail_fn fn = {0, p > q, shape, 0.0, -gsl_sf_lngamma(shape)};
    double g = fn.upper ? q : p;
    double z = cs_unc_normal_score(p, q);
    double c = 1.0 - 1.0 / (9.0 * shape) + z / (3.0 * sqrt(shape));
    double t0;
    if (c > 0.0 && (shape >= 1.0 || fn.upper))
        t0 = log(shape) + 3.0 * log(c);
    else
        t0 = (log(p) + gsl_sf_lngamma(shape + 1.0)) / shape;
    double t = solve(&fn, log(g), t0, T_MIN, T_MAX_GAMMA);
    return exp(t);
}

/* The beta quantile is solved for whichever of x and 1 - x is below 1/2
 * (1 - X ~ Beta(b, a)), so that a value near 1 keeps the digits of its
 * distance to 1 and a value near 0 is not the difference of two numbers
 * near 1; which one is known from the target against F(1/2). On that side
 * the smaller of the two tails is the function solved. Start: the normal
 * approximation from the mean and sd when it lands in (0, 1/2) and both
 * shapes are at least 1; else the lower tail's leading term
 * P ~ x^a / (a B(a, b)); for an upper tail, x = 1/4. */
static double beta_small_side(double a, double b, double p, double q)
{
    double lnb = gsl_sf_lnbeta(a, b);
    tail_fn fn = {1, q < p, a, b, -lnb};
    double m = a / (a + b), sd = sqrt(a * b / ((a + b) * (a + b) * (a + b + 1.0)));
    double x0 = m + sd * cs_unc_normal_score(p, q);
    double t_max = -LN2, t0;
    if (a >= 1.0 && b >= 1.0 && x0 > 0.0 && x0 < 0.5)
        t0 = log(x0);
    else if (!fn.upper)
        t0 = fmin((log(p) + log(a) + lnb) / a, t_max);
    else
        t0 = -2.0 * LN2;
    return solve(&fn, log(fn.upper ? q : p), t0, T_MIN, t_max);
}

double cs_unc_beta_quantile(double a, double b, double p, double q)
{
    if (!(p > 0.0))
        return 0.0;
    if (!(q > 0.0))
        return 1.0;
    double half_p, half_q;
    cs_unc_beta_cdf(0.5, a, b, &half_p, &half_q);
    if (p <= q ? p <= half_p : q >= half_q)
        return exp(beta_small_side(a, b, p, q));
    /* Above 1/2: y = 1 - x ~ Beta(b, a), P(y) = q, Q(y) = p. */
    return -expm1(beta_small_side(b, a, q, p));
}
