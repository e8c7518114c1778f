/* calib_likelihood.c — log-likelihoods of published figures given simulated
 * ones, each absorbing the simulation noise (formulas and derivations in
 * include/casesim/calibration.h). */
#include "casesim/calibration.h"

#include <gsl/gsl_randist.h>
#include <limits.h>
#include <math.h>

#include "calib_internal.h"

/* The 0.975 quantile of the standard normal. */
#define Z975 1.959963984540054

static int is_whole(double y)
{
    return isfinite(y) && y >= 0 && floor(y) == y;
}

/* The Stirling series of ln G(z) beyond (z - 1/2) ln z - z + ln(2 pi)/2:
 * 1/(12 z) - 1/(360 z^3) + 1/(1260 z^5) - 1/(1680 z^7); for z >= 30 the first
 * term left out, 1/(1188 z^9), is below 1e-16. */
static double stirling_tail(double z)
{
    double r = 1 / z, r2 = r * r;
    return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 / 1680)));
}

/* ln(G(a + x) / G(a)) for a > 0, x >= 0. When a is large (the large --scale
 * limit) lgamma(a + x) - lgamma(a) would lose most digits to cancellation
 * (lgamma(5e7) is about 8e8, so a difference of 1e-7 is noise), and GSL's
 * lnpoch does no better there; the difference of the two Stirling series,
 *   (a - 1/2) ln(1 + x/a) + x ln(a + x) - x + tail(a + x) - tail(a),
 * has no cancellation. Below a = 30, lgamma(a) < 72 and the plain difference
 * keeps about 14 digits. */
static double lnpoch(double a, double x)
{
    if (x == 0)
        return 0;
    if (a < 30)
        return lgamma(a + x) - lgamma(a);
    double b = a + x;
    return (a - 0.5) * log1p(x / a) + x * log(b) - x + (stirling_tail(b) - stirling_tail(a));
}

/* ln C(n, x) for whole 0 <= x <= n. */
static double lnchoose(double n, double x)
{
    return lgamma(n + 1) - lgamma(x + 1) - lgamma(n - x + 1);
}

double cs_calib_loglik_poisson(double y, double mu)
{
    if (!is_whole(y) || !(mu >= 0) || !isfinite(mu))
        return NAN;
    if (mu == 0)
        return y == 0 ? 0 : -INFINITY;
    return y * log(mu) - mu - lgamma(y + 1);
}

double cs_calib_loglik_negbin(double y, double mu, double r)
{
    if (r == INFINITY)
        return cs_calib_loglik_poisson(y, mu);
    if (!is_whole(y) || !(mu >= 0) || !isfinite(mu) || !(r > 0) || !isfinite(r))
        return NAN;
    if (mu == 0)
        return y == 0 ? 0 : -INFINITY;
    /* r ln(r / (r + mu)) written as -r ln(1 + mu / r): accurate when r >> mu. */
    return lnpoch(r, y) - lgamma(y + 1) - r * log1p(mu / r) + y * (log(mu) - log(r + mu));
}

double cs_calib_loglik_binomial(double x, double n, double p)
{
    if (!is_whole(x) || !is_whole(n) || x > n || !(p >= 0 && p <= 1))
        return NAN;
    if (p == 0)
        return x == 0 ? 0 : -INFINITY;
    if (p == 1)
        return x == n ? 0 : -INFINITY;
    return lnchoose(n, x) + x * log(p) + (n - x) * log1p(-p);
}

double cs_calib_loglik_betabinomial(double x, double n, double a, double b)
{
    if (!is_whole(x) || !is_whole(n) || x > n || !(a > 0) || !(b > 0) || !isfinite(a) ||
        !isfinite(b))
        return NAN;
    /* B(x + a, n - x + b) / B(a, b) = (a)_x (b)_{n-x} / (a + b)_n, rising
     * factorials: no cancellation between huge lgamma values. */
    return lnchoose(n, x) + lnpoch(a, x) + lnpoch(b, n - x) - lnpoch(a + b, n);
}

/* The shape r of cs_calib_loglik_count's negative binomial. */
static double count_shape(double x, double c)
{
    double a = x + 1, c2 = c * c;
    return c == 0 ? a : 1 / (c2 + (1 + c2) / a);
}

double cs_calib_loglik_count(double y, double x, double K, double u, double c)
{
    if (!(x >= 0) || !isfinite(x) || !(K > 0) || !isfinite(K) || !(u > 0) || !isfinite(u) ||
        !(c >= 0) || !isfinite(c))
        return NAN;
    /* Shape x + 1 when c = 0: the exact gamma-Poisson. */
    return cs_calib_loglik_negbin(y, u * (x + 1) / K, count_shape(x, c));
}

double cs_calib_loglik_share(double x, double n, double x_sim, double n_sim)
{
    if (!is_whole(x_sim) || !is_whole(n_sim) || x_sim > n_sim)
        return NAN;
    return cs_calib_loglik_betabinomial(x, n, x_sim + 1, n_sim - x_sim + 1);
}

double cs_calib_loglik_lognormal(double v, double s_obs, double rho, double s_sim)
{
    if (!(v > 0) || !isfinite(v) || !(s_obs >= 0) || !(s_sim >= 0) || !(rho >= 0) || !isfinite(rho))
        return NAN;
    double s2 = s_obs * s_obs + s_sim * s_sim;
    if (!(s2 > 0) || !isfinite(s2))
        return NAN;
    if (rho == 0)
        return -INFINITY;
    double d = log(v) - log(rho);
    return -log(v) - 0.5 * (CS_CALIB_LN_2PI + log(s2)) - d * d / (2 * s2);
}

double cs_calib_loglik_normal(double v, double sd_obs, double mu, double se_sim)
{
    if (!isfinite(v) || !isfinite(mu) || !(sd_obs >= 0) || !(se_sim >= 0))
        return NAN;
    double s2 = sd_obs * sd_obs + se_sim * se_sim;
    if (!(s2 > 0) || !isfinite(s2))
        return NAN;
    double d = v - mu;
    return -0.5 * (CS_CALIB_LN_2PI + log(s2)) - d * d / (2 * s2);
}

double cs_calib_log_sd_from_ci95(double lo, double hi)
{
    if (!(lo > 0) || !(hi > lo) || !isfinite(hi))
        return NAN;
    return (log(hi) - log(lo)) / (2 * Z975);
}

double cs_calib_log_sd_from_sd(double v, double sd)
{
    if (!(v > 0) || !(sd > 0) || !isfinite(v) || !isfinite(sd))
        return NAN;
    double cv = sd / v;
    return sqrt(log1p(cv * cv));
}

double cs_calib_log_ratio_se(double x1, double n1, double x2, double n2)
{
    if (!(x1 >= 0) || !(x2 >= 0) || !(n1 >= x1) || !(n2 >= x2) || !isfinite(n1) || !isfinite(n2))
        return NAN;
    double v = 1 / (x1 + 0.5) - 1 / (n1 + 0.5) + 1 / (x2 + 0.5) - 1 / (n2 + 0.5);
    return sqrt(v > 0 ? v : 0);
}

static int is_count_family(cs_calib_family f)
{
    return f == CS_CALIB_POISSON || f == CS_CALIB_NEGBIN;
}

static int is_share_family(cs_calib_family f)
{
    return f == CS_CALIB_BINOMIAL || f == CS_CALIB_BETABINOMIAL;
}

/* The family-specific checks of cs_calib_target_check; returns problems found. */
static int check_observed(const cs_calib_target *t, const char *name, cs_error *err)
{
    int bad = 0;
    if (is_count_family(t->family) && !is_whole(t->observed))
        bad += cs_error_set(err, CS_EINVAL, "%s: observed count %g is not a whole number >= 0",
                            name, t->observed) != 0;
    if (t->family == CS_CALIB_NEGBIN && !(t->spread > 0 && isfinite(t->spread)))
        bad += cs_error_set(err, CS_EINVAL, "%s: negative binomial cv %g must be > 0", name,
                            t->spread) != 0;
    if (is_count_family(t->family) && !(t->unit_factor > 0 && isfinite(t->unit_factor)))
        bad += cs_error_set(err, CS_EINVAL, "%s: unit_factor %g must be > 0", name,
                            t->unit_factor) != 0;
    if (is_share_family(t->family) &&
        (!is_whole(t->observed) || !is_whole(t->observed_n) || t->observed > t->observed_n))
        bad += cs_error_set(err, CS_EINVAL,
                            "%s: observed share {x: %g, n: %g} needs whole numbers 0 <= x <= n",
                            name, t->observed, t->observed_n) != 0;
    if (t->family == CS_CALIB_LOGNORMAL && !(t->observed > 0 && isfinite(t->observed)))
        bad += cs_error_set(err, CS_EINVAL, "%s: observed ratio %g must be > 0", name,
                            t->observed) != 0;
    if (t->family == CS_CALIB_NORMAL && !isfinite(t->observed))
        bad += cs_error_set(err, CS_EINVAL, "%s: observed value %g is not finite", name,
                            t->observed) != 0;
    if ((t->family == CS_CALIB_LOGNORMAL || t->family == CS_CALIB_NORMAL) &&
        !(t->spread > 0 && isfinite(t->spread)))
        bad += cs_error_set(err, CS_EINVAL, "%s: the observed spread (sd) %g must be > 0", name,
                            t->spread) != 0;
    return bad;
}

int cs_calib_target_check(const cs_calib_target *t, const char *name, cs_error *err)
{
    if (!name)
        name = "target";
    if (t->family < CS_CALIB_POISSON || t->family > CS_CALIB_NORMAL)
        return cs_error_set(err, CS_EINVAL, "%s: unknown likelihood family %d", name,
                            (int)t->family);
    int bad = check_observed(t, name, err);
    if (!(t->weight >= 0 && isfinite(t->weight)))
        bad += cs_error_set(err, CS_EINVAL, "%s: weight %g must be >= 0", name, t->weight) != 0;
    return bad ? CS_EINVAL : CS_OK;
}

/* The unweighted log-likelihood of a valid target t given s. */
static double family_loglik(const cs_calib_target *t, const cs_calib_simulated *s)
{
    switch (t->family) {
    case CS_CALIB_POISSON:
        return cs_calib_loglik_count(t->observed, s->value, s->n, t->unit_factor, 0);
    case CS_CALIB_NEGBIN:
        return cs_calib_loglik_count(t->observed, s->value, s->n, t->unit_factor, t->spread);
    case CS_CALIB_BINOMIAL:
        if (!is_whole(s->value) || !is_whole(s->n) || !(s->n > 0) || s->value > s->n)
            return NAN;
        return cs_calib_loglik_binomial(t->observed, t->observed_n, s->value / s->n);
    case CS_CALIB_BETABINOMIAL:
        return cs_calib_loglik_share(t->observed, t->observed_n, s->value, s->n);
    case CS_CALIB_LOGNORMAL:
        return cs_calib_loglik_lognormal(t->observed, t->spread, s->value, s->se);
    case CS_CALIB_NORMAL:
        return cs_calib_loglik_normal(t->observed, t->spread, s->value, s->se);
    }
    return NAN;
}

double cs_calib_loglik(const cs_calib_target *t, const cs_calib_simulated *s)
{
    if (cs_calib_target_check(t, NULL, NULL) != CS_OK)
        return NAN;
    double ll = family_loglik(t, s);
    if (isnan(ll))
        return NAN;
    return t->weight == 0 ? 0 : t->weight * ll;
}

static double draw_count(const cs_calib_target *t, const cs_calib_simulated *s, gsl_rng *r)
{
    double c = t->family == CS_CALIB_NEGBIN ? t->spread : 0;
    if (isnan(cs_calib_loglik_count(0, s->value, s->n, t->unit_factor, c)))
        return NAN;
    double m = t->unit_factor * (s->value + 1) / s->n, shape = count_shape(s->value, c);
    return (double)gsl_ran_poisson(r, gsl_ran_gamma(r, shape, m / shape));
}

static double draw_share(const cs_calib_target *t, const cs_calib_simulated *s, gsl_rng *r)
{
    if (!is_whole(s->value) || !is_whole(s->n) || s->value > s->n || t->observed_n > UINT_MAX)
        return NAN;
    double p;
    if (t->family == CS_CALIB_BINOMIAL) {
        if (!(s->n > 0))
            return NAN;
        p = s->value / s->n;
    } else {
        p = gsl_ran_beta(r, s->value + 1, s->n - s->value + 1);
    }
    return (double)gsl_ran_binomial(r, p, (unsigned)t->observed_n);
}

double cs_calib_predictive_draw(const cs_calib_target *t, const cs_calib_simulated *s, gsl_rng *r)
{
    if (cs_calib_target_check(t, NULL, NULL) != CS_OK)
        return NAN;
    switch (t->family) {
    case CS_CALIB_POISSON:
    case CS_CALIB_NEGBIN:
        return draw_count(t, s, r);
    case CS_CALIB_BINOMIAL:
    case CS_CALIB_BETABINOMIAL:
        return draw_share(t, s, r);
    case CS_CALIB_LOGNORMAL:
        if (isnan(cs_calib_loglik_lognormal(t->observed, t->spread, s->value, s->se)))
            return NAN;
        return s->value * exp(gsl_ran_gaussian(r, hypot(t->spread, s->se)));
    case CS_CALIB_NORMAL:
        if (isnan(cs_calib_loglik_normal(t->observed, t->spread, s->value, s->se)))
            return NAN;
        return s->value + gsl_ran_gaussian(r, hypot(t->spread, s->se));
    }
    return NAN;
}
