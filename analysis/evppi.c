/* evppi.c — EVPPI by regression over a willingness-to-pay grid: the outputs
 * (effect and cost increments of each variant against the reference), one
 * regression per set of inputs and output, EVPPI and its standard errors at
 * every lambda, and the list of finite-sample violations of EVPPI <= EVPI and
 * of monotonicity (methods in include/casesim/decision.h, 4.).
 *
 * Work is split into three parallel phases whose units own all their state,
 * so results do not depend on the number of threads: (1) one basis per set
 * (spline or GP design), (2) one regression per (set, output), (3) EVPPI per
 * set, whose posterior draws come from streams keyed by (set, draw, output).
 */
#include "casesim/decision.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decision_internal.h"
#include "evppi_internal.h"

/* Limits on the options: beyond them a fit costs more than it can give. */
#define EVPPI_MIN_DRAWS 10
#define EVPPI_MAX_BASIS 200
#define EVPPI_MAX_GP_POINTS 1000

void cs_evppi_options_default(cs_evppi_options *o, uint64_t seed)
{
    *o = (cs_evppi_options){.reference = 0,
                            .spline_basis = 16,
                            .gp_points = 200,
                            .se_samples = 100,
                            .key = {.seed = seed, .purpose = CS_STREAM_DECISION}};
}

void cs_evppi_free(cs_evppi *e)
{
    if (!e)
        return;
    free(e->evppi);
    free(e->se);
    free(e->se_mc);
    free(e->se_fit);
    free(e->evpi);
    free(e->evpi_se);
    free(e->fit);
    free(e->violations);
    free(e);
}

/* Everything the phases share: read-only once built. */
struct job {
    const cs_evppi_options *opt;
    const double *theta;
    size_t n_inputs, n, J, O; /* draws, non-reference variants, outputs = 2 J */
    const cs_evppi_set *sets;
    size_t n_sets;
    const double *lambda;
    size_t L;
    double *y; /* [O n] outputs: y[2j] effect, y[2j + 1] cost increments */
};

/* One set's working state. */
struct set_work {
    struct cs_ev_spline *sp;
    struct cs_ev_gp *gp;
    struct cs_ev_fit *fits; /* [O] */
    int status;
    char msg[200];
};

static int check_sets(const cs_evppi_set *sets, size_t n_sets, size_t n_inputs, cs_error *err)
{
    if (n_sets == 0 || !sets)
        return cs_error_set(err, CS_EINVAL, "EVPPI: no sets of inputs given");
    for (size_t s = 0; s < n_sets; s++) {
        if (sets[s].n_inputs == 0 || !sets[s].inputs)
            return cs_error_set(err, CS_EINVAL, "EVPPI: set %zu has no inputs", s);
        for (size_t i = 0; i < sets[s].n_inputs; i++) {
            if (sets[s].inputs[i] >= n_inputs)
                return cs_error_set(err, CS_EINVAL,
                                    "EVPPI: set %zu names input %zu, but there are %zu inputs", s,
                                    sets[s].inputs[i], n_inputs);
            for (size_t k = 0; k < i; k++)
                if (sets[s].inputs[k] == sets[s].inputs[i])
                    return cs_error_set(err, CS_EINVAL, "EVPPI: set %zu names input %zu twice", s,
                                        sets[s].inputs[i]);
        }
    }
    return CS_OK;
}

static int check_options(const cs_evppi_options *o, size_t V, cs_error *err)
{
    if (o->reference >= V)
        return cs_error_set(err, CS_EINVAL, "EVPPI: reference variant %zu of %zu", o->reference, V);
    if (o->spline_basis < 4 || o->spline_basis > EVPPI_MAX_BASIS)
        return cs_error_set(err, CS_EINVAL, "EVPPI: spline_basis %zu is not in [4, %d]",
                            o->spline_basis, EVPPI_MAX_BASIS);
    if (o->gp_points < 10 || o->gp_points > EVPPI_MAX_GP_POINTS)
        return cs_error_set(err, CS_EINVAL, "EVPPI: gp_points %zu is not in [10, %d]", o->gp_points,
                            EVPPI_MAX_GP_POINTS);
    return CS_OK;
}

static int check_args(const cs_decision_data *data, const double *theta, size_t n_inputs,
                      const cs_evppi_set *sets, size_t n_sets, const double *lambda,
                      size_t n_lambda, const cs_evppi_options *opt, cs_error *err)
{
    int st = cs_decision_data_check(data, err);
    if (st == CS_OK)
        st = cs_decision_check_lambda(lambda, n_lambda, err);
    if (st == CS_OK && (data->n_draws < EVPPI_MIN_DRAWS || data->n_variants < 2))
        st = cs_error_set(err, CS_EINVAL,
                          "EVPPI: needs at least %d draws and 2 variants (%zu draws, %zu "
                          "variants)",
                          EVPPI_MIN_DRAWS, data->n_draws, data->n_variants);
    if (st == CS_OK)
        st = check_sets(sets, n_sets, n_inputs, err);
    if (st == CS_OK)
        st = check_options(opt, data->n_variants, err);
    if (st != CS_OK)
        return st;
    if (!theta || n_inputs > SIZE_MAX / data->n_draws / sizeof(double))
        return cs_error_set(err, CS_EINVAL, "EVPPI: no input values given");
    for (size_t i = 0; i < data->n_draws * n_inputs; i++)
        if (!isfinite(theta[i]))
            return cs_error_set(err, CS_EINVAL,
                                "EVPPI: input %zu in draw %zu is not a finite number", i % n_inputs,
                                i / n_inputs);
    if (n_sets > SIZE_MAX / n_lambda / sizeof(double))
        return cs_error_set(err, CS_ELIMIT, "EVPPI: too many sets x willingness-to-pay values");
    return CS_OK;
}

/* The outputs: increments of the draw-mean effects and of the costs of each
 * non-reference variant against the reference. */
static void make_outputs(const cs_decision_data *data, const double *ebar, size_t ref, double *y)
{
    size_t n = data->n_draws, V = data->n_variants, j = 0;
    for (size_t v = 0; v < V; v++) {
        if (v == ref)
            continue;
        for (size_t d = 0; d < n; d++) {
            y[(2 * j) * n + d] = ebar[d * V + v] - ebar[d * V + ref];
            y[(2 * j + 1) * n + d] = data->cost[d * V + v] - data->cost[d * V + ref];
        }
        j++;
    }
}

static cs_evppi *result_alloc(size_t S, size_t L, size_t O)
{
    cs_evppi *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->n_sets = S;
    e->n_lambda = L;
    e->n_outputs = O;
    e->evppi = calloc(S * L, sizeof *e->evppi);
    e->se = calloc(S * L, sizeof *e->se);
    e->se_mc = calloc(S * L, sizeof *e->se_mc);
    e->se_fit = calloc(S * L, sizeof *e->se_fit);
    e->evpi = calloc(L, sizeof *e->evpi);
    e->evpi_se = calloc(L, sizeof *e->evpi_se);
    e->fit = calloc(S * O, sizeof *e->fit);
    if (!e->evppi || !e->se || !e->se_mc || !e->se_fit || !e->evpi || !e->evpi_se || !e->fit) {
        cs_evppi_free(e);
        return NULL;
    }
    return e;
}

/* EVPPI and EVPI on the same draws (header, 1.). */
static int evpi_curve(const cs_decision_data *data, const double *ebar, const struct job *jb,
                      cs_evppi *e)
{
    size_t V = data->n_variants;
    double *buf = malloc(4 * V * sizeof *buf);
    if (!buf)
        return CS_ENOMEM;
    struct cs_decision_point pt = {
        .enb = buf, .enb_se = buf + V, .mean_cost = buf + 2 * V, .p_best = buf + 3 * V};
    for (size_t l = 0; l < jb->L; l++) {
        if (cs_decision_point(ebar, data->cost, data->n_draws, V, jb->lambda[l], &pt) != CS_OK) {
            free(buf);
            return CS_ENOMEM;
        }
        e->evpi[l] = pt.evpi;
        e->evpi_se[l] = pt.evpi_se;
    }
    free(buf);
    return CS_OK;
}

/* Phase 1: the basis of set s (NULL for a set whose inputs are constant). */
static void build_set(const struct job *jb, size_t s, struct set_work *w)
{
    const cs_evppi_set *set = &jb->sets[s];
    int st;
    if (set->n_inputs == 1)
        st = cs_ev_spline_alloc(jb->theta + set->inputs[0], jb->n_inputs, jb->n,
                                jb->opt->spline_basis, &w->sp);
    else
        st = cs_ev_gp_alloc(jb->theta, jb->n_inputs, set->inputs, set->n_inputs, jb->n,
                            jb->opt->gp_points, &w->gp);
    w->fits = calloc(jb->O, sizeof *w->fits);
    if (st == CS_OK && !w->fits)
        st = CS_ENOMEM;
    if (st != CS_OK && w->status == CS_OK) {
        w->status = st;
        snprintf(w->msg, sizeof w->msg, "EVPPI: preparing the regression on set %zu failed (%s)", s,
                 cs_status_name(st));
    }
}

/* Phase 2: the regression of output o on set s. */
static void fit_output(const struct job *jb, size_t s, size_t o, struct set_work *w)
{
    const double *y = jb->y + o * jb->n;
    int st;
    if (cs_ev_is_constant(y, jb->n) || (!w->sp && !w->gp))
        st = cs_ev_fit_constant(y, jb->n, &w->fits[o]);
    else if (w->sp)
        st = cs_ev_spline_fit(w->sp, y, &w->fits[o]);
    else
        st = cs_ev_gp_fit(w->gp, y, &w->fits[o]);
    if (st != CS_OK) {
        /* Several outputs of one set may fail at once; any one message will
         * do, and it is written under a critical section. */
#pragma omp critical(cs_evppi_msg)
        if (w->status == CS_OK) {
            w->status = st;
            snprintf(w->msg, sizeof w->msg,
                     "EVPPI: the regression of the %s increment of non-reference variant %zu "
                     "on set %zu failed (%s)",
                     o % 2 ? "cost" : "effect", o / 2, s, cs_status_name(st));
        }
    }
}

/* Fitted values of one set's outputs: g[2 j] effects, g[2 j + 1] costs of
 * the j-th non-reference variant, their means, and an n-entry buffer. */
struct fitted {
    const double **g;
    double *mean; /* [O] */
    double *top;  /* [n] */
    size_t J, n;
};

/* A sum in four fixed-order partial sums, for the reason given at the dot
 * product in evppi_linalg.c. */
static double sum4(const double *x, size_t n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += x[i];
        s1 += x[i + 1];
        s2 += x[i + 2];
        s3 += x[i + 3];
    }
    for (; i < n; i++)
        s0 += x[i];
    return (s0 + s1) + (s2 + s3);
}

static void fitted_means(struct fitted *f)
{
    for (size_t o = 0; o < 2 * f->J; o++)
        f->mean[o] = sum4(f->g[o], f->n) / (double)f->n;
}

/* max(a, b) as the comparison, which compiles to one instruction (fmax is
 * a library call, for its NaN rules). */
static inline double max2(double a, double b)
{
    return a > b ? a : b;
}

/* top[d] = max(top[d], lambda ge[d] - gc[d]), four draws a step: the
 * optimiser of -O2 vectorises straight-line code but not a loop that would
 * need a remainder; restrict tells it the arrays do not overlap. */
static void raise_to(double *restrict top, const double *restrict ge, const double *restrict gc,
                     double lambda, size_t n)
{
    size_t d = 0;
    for (; d + 4 <= n; d += 4) {
        top[d] = max2(lambda * ge[d] - gc[d], top[d]);
        top[d + 1] = max2(lambda * ge[d + 1] - gc[d + 1], top[d + 1]);
        top[d + 2] = max2(lambda * ge[d + 2] - gc[d + 2], top[d + 2]);
        top[d + 3] = max2(lambda * ge[d + 3] - gc[d + 3], top[d + 3]);
    }
    for (; d < n; d++)
        top[d] = max2(lambda * ge[d] - gc[d], top[d]);
}

/* top[d] -= lambda ge[d] - gc[d]. */
static void subtract(double *restrict top, const double *restrict ge, const double *restrict gc,
                     double lambda, size_t n)
{
    size_t d = 0;
    for (; d + 4 <= n; d += 4) {
        top[d] -= lambda * ge[d] - gc[d];
        top[d + 1] -= lambda * ge[d + 1] - gc[d + 1];
        top[d + 2] -= lambda * ge[d + 2] - gc[d + 2];
        top[d + 3] -= lambda * ge[d + 3] - gc[d + 3];
    }
    for (; d < n; d++)
        top[d] -= lambda * ge[d] - gc[d];
}

/* EVPPI at lambda: mean_d max(0, max_j g_j(d)) - max(0, max_j mean g_j),
 * g_j = lambda ge_j - gc_j, computed as the mean of the per-draw loss
 * max_j g_j(d) - g_best(d), best the variant of highest mean: each term is
 * >= 0 exactly (the max includes the same product), so EVPPI is never
 * negative, not even by rounding. With se != NULL also the Monte Carlo SE of
 * that mean. The loops run over draws innermost, so that they vectorise. */
static double evppi_at(const struct fitted *f, double lambda, double *se)
{
    size_t n = f->n, best = f->J; /* J stands for the reference */
    double *top = f->top, best_mean = 0;
    for (size_t j = 0; j < f->J; j++) {
        double m = lambda * f->mean[2 * j] - f->mean[2 * j + 1];
        if (m > best_mean) {
            best_mean = m;
            best = j;
        }
    }
    memset(top, 0, n * sizeof *top); /* the reference: increment 0 */
    for (size_t j = 0; j < f->J; j++)
        raise_to(top, f->g[2 * j], f->g[2 * j + 1], lambda, n);
    if (best < f->J)
        subtract(top, f->g[2 * best], f->g[2 * best + 1], lambda, n);
    double value = sum4(top, n) / (double)n;
    if (se) {
        double ss = 0;
        for (size_t d = 0; d < n; d++)
            ss += (top[d] - value) * (top[d] - value);
        *se = sqrt(ss / (double)(n - 1) / (double)n);
    }
    return value;
}

/* se_fit of set s: the sd of EVPPI over posterior draws of the fits. */
static int fit_se(const struct job *jb, size_t s, const struct set_work *w, double *se_fit)
{
    size_t n = jb->n, O = jb->O, L = jb->L, B = jb->opt->se_samples, qmax = 1;
    for (size_t o = 0; o < O; o++)
        qmax = w->fits[o].q > qmax ? w->fits[o].q : qmax;
    double *draw = malloc(O * n * sizeof *draw), *u = malloc(qmax * sizeof *u);
    double *mean = calloc(L, sizeof *mean), *m2 = calloc(L, sizeof *m2);
    struct fitted f = {.g = malloc(O * sizeof *f.g),
                       .mean = malloc(O * sizeof *f.mean),
                       .top = malloc(n * sizeof *f.top),
                       .J = jb->J,
                       .n = n};
    int st = CS_ENOMEM;
    if (!draw || !u || !mean || !m2 || !f.g || !f.mean || !f.top)
        goto done;
    for (size_t o = 0; o < O; o++)
        f.g[o] = draw + o * n;
    for (size_t b = 0; b < B; b++) {
        for (size_t o = 0; o < O; o++) {
            cs_stream_key key = jb->opt->key;
            key.replicate = s;
            key.group = b;
            key.incident = o;
            cs_pcg32 gen;
            cs_pcg32_from_key(&gen, &key);
            cs_ev_fit_sample(&w->fits[o], &gen, u, draw + o * n);
        }
        fitted_means(&f);
        for (size_t l = 0; l < L; l++) { /* Welford: one pass, stable */
            double v = evppi_at(&f, jb->lambda[l], NULL);
            double dlt = v - mean[l];
            mean[l] += dlt / (double)(b + 1);
            m2[l] += dlt * (v - mean[l]);
        }
    }
    for (size_t l = 0; l < L; l++)
        se_fit[l] = B > 1 ? sqrt(m2[l] / (double)(B - 1)) : 0;
    st = CS_OK;
done:
    free(draw);
    free(u);
    free(mean);
    free(m2);
    free(f.g);
    free(f.mean);
    free(f.top);
    return st;
}

/* Phase 3: EVPPI of set s at every lambda, into row s of e. */
static void evaluate_set(const struct job *jb, size_t s, struct set_work *w, cs_evppi *e)
{
    size_t L = jb->L, O = jb->O;
    struct fitted f = {.g = malloc(O * sizeof *f.g),
                       .mean = malloc(O * sizeof *f.mean),
                       .top = malloc(jb->n * sizeof *f.top),
                       .J = jb->J,
                       .n = jb->n};
    int st = f.g && f.mean && f.top ? CS_OK : CS_ENOMEM;
    for (size_t o = 0; st == CS_OK && o < O; o++) {
        f.g[o] = w->fits[o].fitted;
        e->fit[s * O + o] = w->fits[o].info;
    }
    if (st == CS_OK)
        fitted_means(&f);
    for (size_t l = 0; st == CS_OK && l < L; l++)
        e->evppi[s * L + l] = evppi_at(&f, jb->lambda[l], &e->se_mc[s * L + l]);
    if (st == CS_OK && jb->opt->se_samples > 0)
        st = fit_se(jb, s, w, e->se_fit + s * L);
    for (size_t l = 0; st == CS_OK && l < L; l++) {
        double a = e->se_mc[s * L + l], b = e->se_fit[s * L + l];
        e->se[s * L + l] = sqrt(a * a + b * b);
    }
    free(f.g);
    free(f.mean);
    free(f.top);
    if (st != CS_OK) {
        w->status = st;
        snprintf(w->msg, sizeof w->msg, "EVPPI: out of memory evaluating set %zu", s);
    }
}

static void set_work_clear(struct set_work *w, size_t O)
{
    if (w->fits)
        for (size_t o = 0; o < O; o++)
            cs_ev_fit_clear(&w->fits[o]);
    free(w->fits);
    cs_ev_spline_free(w->sp);
    cs_ev_gp_free(w->gp);
}

/* Runs the three phases over all sets; returns the first failure in set
 * order, so that the message does not depend on thread timing. */
static int run_phases(const struct job *jb, struct set_work *w, cs_evppi *e, cs_error *err)
{
    long S = (long)jb->n_sets, SO = (long)(jb->n_sets * jb->O);
#pragma omp parallel for schedule(dynamic, 1)
    for (long s = 0; s < S; s++)
        build_set(jb, (size_t)s, &w[s]);
#pragma omp parallel for schedule(dynamic, 1)
    for (long k = 0; k < SO; k++) {
        size_t s = (size_t)k / jb->O, o = (size_t)k % jb->O;
        if (w[s].status == CS_OK)
            fit_output(jb, s, o, &w[s]);
    }
#pragma omp parallel for schedule(dynamic, 1)
    for (long s = 0; s < S; s++)
        if (w[s].status == CS_OK)
            evaluate_set(jb, (size_t)s, &w[s], e);
    for (size_t s = 0; s < jb->n_sets; s++)
        if (w[s].status != CS_OK)
            return cs_error_set(err, w[s].status, "%s", w[s].msg);
    return CS_OK;
}

/* 1 when set a is a proper subset of set b. */
static int proper_subset(const cs_evppi_set *a, const cs_evppi_set *b)
{
    if (a->n_inputs >= b->n_inputs)
        return 0;
    for (size_t i = 0; i < a->n_inputs; i++) {
        int found = 0;
        for (size_t k = 0; k < b->n_inputs && !found; k++)
            found = a->inputs[i] == b->inputs[k];
        if (!found)
            return 0;
    }
    return 1;
}

/* Appends a violation; returns CS_OK or CS_ENOMEM. */
static int add_violation(cs_evppi *e, size_t *cap, cs_evppi_violation v)
{
    if (e->n_violations == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        cs_evppi_violation *p = realloc(e->violations, nc * sizeof *p);
        if (!p)
            return CS_ENOMEM;
        e->violations = p;
        *cap = nc;
    }
    e->violations[e->n_violations++] = v;
    return CS_OK;
}

/* The rounding scale at lambda: 1e-9 of the largest |incremental NB| over
 * draws and variants. Excesses below it are not violations. */
static double rounding_scale(const struct job *jb, double lambda)
{
    double me = 0, mc = 0;
    for (size_t j = 0; j < jb->J; j++)
        for (size_t d = 0; d < jb->n; d++) {
            me = fmax(me, fabs(jb->y[(2 * j) * jb->n + d]));
            mc = fmax(mc, fabs(jb->y[(2 * j + 1) * jb->n + d]));
        }
    return 1e-9 * (fabs(lambda) * me + mc);
}

/* Lists every EVPPI above EVPI and above the EVPPI of a set containing it. */
static int find_violations(const struct job *jb, cs_evppi *e)
{
    size_t S = jb->n_sets, L = jb->L, cap = 0;
    for (size_t l = 0; l < L; l++) {
        double tol = rounding_scale(jb, jb->lambda[l]);
        for (size_t s = 0; s < S; s++) {
            double v = e->evppi[s * L + l], se = e->se[s * L + l];
            for (size_t t = 0; t < S; t++) {
                double w = e->evppi[t * L + l], set = e->se[t * L + l];
                if (v - w > tol && proper_subset(&jb->sets[s], &jb->sets[t]) &&
                    add_violation(
                        e, &cap,
                        (cs_evppi_violation){s, t, l, v - w, (v - w) / sqrt(se * se + set * set)}))
                    return CS_ENOMEM;
            }
            double x = v - e->evpi[l], sx = e->evpi_se[l];
            if (x > tol && add_violation(e, &cap,
                                         (cs_evppi_violation){s, CS_EVPPI_WITH_EVPI, l, x,
                                                              x / sqrt(se * se + sx * sx)}))
                return CS_ENOMEM;
        }
    }
    return CS_OK;
}

/* The outputs and EVPI: what every set's evaluation reads. */
static int prepare(const cs_decision_data *data, struct job *jb, cs_evppi *e, cs_error *err)
{
    size_t n = data->n_draws, V = data->n_variants;
    double *ebar = malloc(n * V * sizeof *ebar);
    jb->y = malloc(jb->O * n * sizeof *jb->y);
    if (!ebar || !jb->y) {
        free(ebar);
        return cs_error_set(err, CS_ENOMEM, "EVPPI: out of memory for %zu draws", n);
    }
    cs_decision_draw_means(data, ebar);
    make_outputs(data, ebar, jb->opt->reference, jb->y);
    int st = evpi_curve(data, ebar, jb, e);
    free(ebar);
    if (st != CS_OK)
        return cs_error_set(err, st, "EVPPI: out of memory for EVPI");
    return CS_OK;
}

int cs_decision_evppi(const cs_decision_data *data, const double *theta, size_t n_inputs,
                      const cs_evppi_set *sets, size_t n_sets, const double *lambda,
                      size_t n_lambda, const cs_evppi_options *opt, cs_evppi **out, cs_error *err)
{
    *out = NULL;
    cs_evppi_options dflt;
    cs_evppi_options_default(&dflt, 0);
    if (!opt)
        opt = &dflt;
    int st = check_args(data, theta, n_inputs, sets, n_sets, lambda, n_lambda, opt, err);
    if (st != CS_OK)
        return st;
    size_t J = data->n_variants - 1;
    struct job jb = {.opt = opt,
                     .theta = theta,
                     .n_inputs = n_inputs,
                     .n = data->n_draws,
                     .J = J,
                     .O = 2 * J,
                     .sets = sets,
                     .n_sets = n_sets,
                     .lambda = lambda,
                     .L = n_lambda};
    cs_evppi *e = result_alloc(n_sets, n_lambda, jb.O);
    struct set_work *w = calloc(n_sets, sizeof *w);
    if (!e || !w) {
        st = cs_error_set(err, CS_ENOMEM, "EVPPI: out of memory for %zu sets", n_sets);
        goto done;
    }
    st = prepare(data, &jb, e, err);
    if (st == CS_OK)
        st = run_phases(&jb, w, e, err);
    if (st == CS_OK && find_violations(&jb, e) != CS_OK)
        st = cs_error_set(err, CS_ENOMEM, "EVPPI: out of memory for the violations");
done:
    for (size_t s = 0; w && s < n_sets; s++)
        set_work_clear(&w[s], jb.O);
    free(w);
    free(jb.y);
    if (st == CS_OK)
        *out = e;
    else
        cs_evppi_free(e);
    return st;
}
