/*
 * floor.c — the draw-only floor: the cost of the random numbers a scenario's
 * incidents need, and of nothing else.
 *
 * Usage: floor SCENARIO.yaml [--replicates N] [--seed S] [--variant NAME]
 *
 * For every replicate and group it draws what the engine draws (model/
 * engine.c), from the same keyed PCG streams and the same GSL samplers: the
 * arrival gaps of the group's Poisson process; for every incident its kind,
 * its well-foundedness and its evidence Beta; and for every stage visit of
 * every track the branch uniform and the stage's duration, after which it
 * chooses the branch with the same multinomial logit (exp per branch with
 * an evidence slope) and follows it, forks included. There are no queues, no
 * events, no accumulators: a track's clock is the sum of its own durations,
 * so a track stops where the engine's horizon or a deadline would stop it.
 *
 * Hence, for a scenario without staff limits, the floor makes exactly the
 * stage visits the engine makes (same paths, same streams); the bench smoke
 * test checks that the visit count equals the engine's stage entries. With
 * staff limits, waiting delays tracks, so the engine can make slightly fewer
 * visits (more hit the horizon or a deadline); the figure to compare is the
 * time per incident.
 *
 * Output: one line of key=value pairs, wall time of the draw loop only (the
 * scenario is loaded and compiled before the clock starts).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "casesim/rng.h"
#include "casesim/scenario.h"

#ifndef CS_BENCH_FLAGS
#define CS_BENCH_FLAGS "unknown"
#endif

/* A branch target: stage s >= 0 or outcome o as -(o + 1), as in the engine. */
typedef int32_t fl_target;

/* A stage's duration and deadline for the cases of one (group, kind). */
typedef struct fl_case {
    cs_duration_kind dur;
    double dur_a, dur_b; /* as the gsl sampler takes them */
    bool has_deadline, deadline_from_stage;
    double deadline_days;
} fl_case;

typedef struct fl_stage {
    uint32_t max_visits;
    int32_t visit_slot; /* -1 when max_visits == 1 */
    bool has_slope;
    uint32_t n_branches;
    size_t branch0; /* first branch in the per-branch arrays */
    size_t table0;  /* offset in odds[] and cum[] */
} fl_stage;

typedef struct fl_model {
    size_t G, V, S;
    size_t entry;
    double t_end;
    double *rate; /* [G] per day */
    double *kcum; /* [G][V] */
    double *wf;   /* [V] */
    double beta_a[2], beta_b[2];
    fl_stage *st;   /* [S] */
    fl_case *cases; /* [S][G][V] */
    uint8_t *ref;   /* [S][V] each kind's reference branch */
    uint8_t *last;  /* [S][V] the last branch that applies to each kind */
    size_t n_slots;
    double *slope;      /* [branch] */
    uint32_t *n_to;     /* [branch] */
    size_t *to0;        /* [branch] */
    fl_target *to;      /* all targets */
    double *odds, *cum; /* table0 + ((g*V + k)*2 + merit)*nb + b */
} fl_model;

static void fl_free(fl_model *m)
{
    free(m->rate);
    free(m->kcum);
    free(m->wf);
    free(m->st);
    free(m->cases);
    free(m->ref);
    free(m->last);
    free(m->slope);
    free(m->n_to);
    free(m->to0);
    free(m->to);
    free(m->odds);
    free(m->cum);
}

/* Stage st's duration and deadline for group g and kind k, as the engine
 * compiles them. */
static void fl_case_of(const cs_scenario *s, const cs_stage *st, size_t g, size_t k, fl_case *fc)
{
    const cs_duration *d = cs_stage_duration(s, st, k, g);
    const cs_deadline *dl = cs_stage_deadline(s, st, k, g);
    fc->dur = d->kind;
    fc->dur_a = d->a;
    fc->dur_b = d->b;
    if (fc->dur == CS_DUR_WEIBULL) { /* gsl_ran_weibull(r, scale, shape) */
        fc->dur_a = d->b;
        fc->dur_b = d->a;
    }
    fc->has_deadline = dl->on;
    fc->deadline_from_stage = dl->on && dl->from == CS_FROM_STAGE;
    fc->deadline_days = dl->on ? dl->days : 0.0;
}

/* The odds and cumulative probabilities of stage st for group g and kind
 * k, both merits (odds[merit * nb + b]), with the engine's arithmetic:
 * branches closed to the kind get odds 0 and cumulative values of 1 from
 * the last open branch on. Returns 0, or -1 if p_ref is not positive. */
static int fl_tables(const cs_scenario *s, const cs_stage *st, size_t g, size_t k, double *odds,
                     double *cum)
{
    size_t nb = st->n_branches, ref = st->reference[k], last = 0;
    uint32_t bit = UINT32_C(1) << k;
    double p_ref = 1.0;
    for (size_t b = 0; b < nb; b++)
        if (b != ref && (st->branches[b].kinds & bit))
            p_ref -= cs_branch_p(s, &st->branches[b], k, g);
    if (!(p_ref > 0.0))
        return -1;
    for (size_t merit = 0; merit < 2; merit++) {
        double total = 0.0, acc = 0.0;
        for (size_t b = 0; b < nb; b++) {
            const cs_branch *br = &st->branches[b];
            bool open = (br->kinds & bit) != 0;
            double o = open ? 1.0 : 0.0;
            if (open && b != ref) {
                o = cs_branch_p(s, br, k, g) / p_ref * br->kind_odds_ratio[k];
                if (merit == 0)
                    o *= br->unfounded_odds_ratio;
            }
            odds[merit * nb + b] = o;
            total += o;
            last = open ? b : last;
        }
        for (size_t b = 0; b < nb; b++) {
            acc += odds[merit * nb + b] / total;
            cum[merit * nb + b] = acc;
        }
        for (size_t b = last; b < nb; b++)
            cum[merit * nb + b] = 1.0;
    }
    return 0;
}

/* Flattens s as the engine's model compiler does (same arithmetic, so the
 * same branch is chosen for the same uniform). Returns 0, or -1 if out of
 * memory or the scenario breaks an assumption. */
static int fl_compile(const cs_scenario *s, fl_model *m)
{
    memset(m, 0, sizeof *m);
    size_t G = s->n_groups, V = s->n_violations, S = s->n_stages;
    m->G = G;
    m->V = V;
    m->S = S;
    m->entry = s->entry_stage;
    m->t_end = (s->warmup_years + s->cohort_years + s->follow_up_years) * CS_DAYS_PER_YEAR;
    size_t nbt = 0, ntt = 0, ntab = 0;
    for (size_t i = 0; i < S; i++) {
        nbt += s->stages[i].n_branches;
        for (size_t b = 0; b < s->stages[i].n_branches; b++)
            ntt += s->stages[i].branches[b].n_to;
        ntab += G * V * 2 * s->stages[i].n_branches; /* bounded by the loader's limits */
    }
    m->rate = calloc(G, sizeof *m->rate);
    m->kcum = calloc(G * V, sizeof *m->kcum);
    m->wf = calloc(V, sizeof *m->wf);
    m->st = calloc(S, sizeof *m->st);
    m->cases = calloc(S * G * V, sizeof *m->cases);
    m->ref = calloc(S * V, sizeof *m->ref);
    m->last = calloc(S * V, sizeof *m->last);
    m->slope = calloc(nbt, sizeof *m->slope);
    m->n_to = calloc(nbt, sizeof *m->n_to);
    m->to0 = calloc(nbt, sizeof *m->to0);
    m->to = calloc(ntt, sizeof *m->to);
    m->odds = calloc(ntab, sizeof *m->odds);
    m->cum = calloc(ntab, sizeof *m->cum);
    if (!m->rate || !m->kcum || !m->wf || !m->st || !m->cases || !m->ref || !m->last || !m->slope ||
        !m->n_to || !m->to0 || !m->to || !m->odds || !m->cum)
        return -1;
    for (size_t g = 0; g < G; g++) {
        m->rate[g] = s->groups[g].incidents_per_year / CS_DAYS_PER_YEAR;
        double acc = 0.0;
        for (size_t k = 0; k < V; k++) {
            acc += s->violations[k].share[g];
            m->kcum[g * V + k] = acc;
        }
        for (size_t k = V; k-- > 0;) {
            m->kcum[g * V + k] = 1.0;
            if (s->violations[k].share[g] > 0.0)
                break;
        }
    }
    for (size_t k = 0; k < V; k++)
        m->wf[k] = s->violations[k].well_founded;
    m->beta_a[0] = s->evidence.unfounded_a;
    m->beta_b[0] = s->evidence.unfounded_b;
    m->beta_a[1] = s->evidence.well_founded_a;
    m->beta_b[1] = s->evidence.well_founded_b;

    size_t bi = 0, ti = 0, tab = 0;
    for (size_t i = 0; i < S; i++) {
        const cs_stage *st = &s->stages[i];
        fl_stage *fs = &m->st[i];
        for (size_t g = 0; g < G; g++)
            for (size_t k = 0; k < V; k++)
                fl_case_of(s, st, g, k, &m->cases[(i * G + g) * V + k]);
        fs->max_visits = st->max_visits;
        fs->visit_slot = st->max_visits > 1 ? (int32_t)m->n_slots++ : -1;
        fs->n_branches = (uint32_t)st->n_branches;
        fs->branch0 = bi;
        fs->table0 = tab;
        size_t nb = st->n_branches;
        for (size_t b = 0; b < nb; b++, bi++) {
            const cs_branch *br = &st->branches[b];
            m->slope[bi] = br->is_reference ? 0.0 : br->evidence_slope;
            if (m->slope[bi] != 0.0)
                fs->has_slope = true;
            m->n_to[bi] = (uint32_t)br->n_to;
            m->to0[bi] = ti;
            for (size_t j = 0; j < br->n_to; j++, ti++)
                m->to[ti] = br->to[j].is_stage ? (fl_target)br->to[j].index
                                               : -(fl_target)br->to[j].index - 1;
        }
        for (size_t k = 0; k < V; k++) {
            m->ref[i * V + k] = (uint8_t)st->reference[k];
            for (size_t b = 0; b < nb; b++)
                if (st->branches[b].kinds & (UINT32_C(1) << k))
                    m->last[i * V + k] = (uint8_t)b;
        }
        for (size_t g = 0; g < G; g++)
            for (size_t k = 0; k < V; k++)
                if (fl_tables(s, st, g, k, &m->odds[tab + (g * V + k) * 2 * nb],
                              &m->cum[tab + (g * V + k) * 2 * nb]) != 0)
                    return -1;
        tab += G * V * 2 * nb;
    }
    return 0;
}

/* A track waiting to be followed: the floor follows tracks depth-first (the
 * order cannot matter: every track draws from its own keyed streams). */
typedef struct fl_track {
    uint64_t id;
    double t; /* when it enters `stage` */
    uint32_t stage;
    uint32_t skips;
    uint8_t visits[CS_MAX_STAGES];
} fl_track;

typedef struct fl_counts {
    uint64_t incidents, visits;
    int bad; /* a max_visits loop the engine would refuse */
} fl_counts;

/* Chooses the branch (global index) for uniform u, as the engine does. */
static size_t fl_choose(const fl_model *m, const fl_stage *fs, size_t g, size_t k, int wf,
                        double evidence, double u)
{
    size_t nb = fs->n_branches;
    size_t off = fs->table0 + ((g * m->V + k) * 2 + (size_t)wf) * nb;
    if (!fs->has_slope) {
        const double *cum = &m->cum[off];
        for (size_t b = 0; b + 1 < nb; b++)
            if (u < cum[b])
                return fs->branch0 + b;
        return fs->branch0 + m->last[(size_t)(fs - m->st) * m->V + k];
    }
    double odds[CS_MAX_BRANCHES], total = 0.0;
    const double *base = &m->odds[off];
    const double *slope = &m->slope[fs->branch0];
    double x = evidence - 0.5;
    for (size_t b = 0; b < nb; b++) {
        odds[b] = slope[b] != 0.0 ? base[b] * exp(slope[b] * x) : base[b];
        total += odds[b];
    }
    double target = u * total, acc = 0.0;
    for (size_t b = 0; b + 1 < nb; b++) {
        acc += odds[b];
        if (target < acc)
            return fs->branch0 + b;
    }
    return fs->branch0 + m->last[(size_t)(fs - m->st) * m->V + k];
}

/* Follows every track of one incident (group g, number n, arrived at t0). */
typedef struct fl_stack {
    fl_track *t;
    size_t cap;
} fl_stack;

/* Key prefixes of one (replicate, group): see cs_stream_prefix in rng.h. The
 * engine keeps them too, so the floor does not pay the seven-round
 * cs_pcg32_from_key where the engine pays two rounds. */
typedef struct fl_prefix {
    uint64_t incident, track;
} fl_prefix;

static void fl_incident(const fl_model *m, const fl_prefix *pre, size_t g, uint64_t n, double t0,
                        gsl_rng *r, cs_pcg32 *rs, fl_stack *sk, fl_counts *cnt)
{
    cs_pcg32_from_prefix(rs, cs_stream_prefix_add(pre->incident, n), 0);
    uint64_t track_prefix = cs_stream_prefix_add(pre->track, n);
    double u = cs_pcg32_uniform(rs);
    const double *kc = &m->kcum[g * m->V];
    size_t k = 0;
    while (k + 1 < m->V && !(u < kc[k]))
        k++;
    int wf = cs_pcg32_uniform(rs) < m->wf[k];
    double evidence = gsl_ran_beta(r, m->beta_a[wf], m->beta_b[wf]);

    fl_track *stack = sk->t;
    size_t top = 0;
    stack[top].id = 0;
    stack[top].t = t0;
    stack[top].stage = (uint32_t)m->entry;
    stack[top].skips = 0;
    if (m->n_slots)
        memset(stack[top].visits, 0, m->n_slots);
    top++;
    while (top > 0) {
        if (top + CS_MAX_FORK > sk->cap) {
            /* Deep max_visits loops with forks: grow (rare; sized for 64 at first). */
            fl_track *p = sk->cap <= SIZE_MAX / 2 / sizeof *p
                              ? realloc(sk->t, 2 * sk->cap * sizeof *p)
                              : NULL;
            if (!p) {
                cnt->bad = 1;
                return;
            }
            sk->t = stack = p;
            sk->cap *= 2;
        }
        fl_track *tr = &stack[--top];
        const fl_stage *fs = &m->st[tr->stage];
        size_t b;
        double now = tr->t;
        uint8_t visit = 1;
        if (fs->visit_slot >= 0 && tr->visits[fs->visit_slot] >= fs->max_visits) {
            if (++tr->skips > m->S) {
                cnt->bad = 1;
                continue;
            }
            /* no draws: the stage's default decision for the kind */
            b = fs->branch0 + m->ref[(size_t)tr->stage * m->V + k];
        } else {
            if (fs->visit_slot >= 0)
                visit = ++tr->visits[fs->visit_slot];
            tr->skips = 0;
            cnt->visits++;
            cs_pcg32_from_prefix(
                rs, track_prefix,
                cs_mix64(tr->id ^ cs_mix64((uint64_t)tr->stage * (CS_MAX_VISITS + 1) + visit)));
            double ub = cs_pcg32_uniform(rs); /* first, as the engine draws it */
            const fl_case *fc = &m->cases[((size_t)tr->stage * m->G + g) * m->V + k];
            double d = 0.0;
            switch (fc->dur) {
            case CS_DUR_NONE:
                break;
            case CS_DUR_FIXED:
                d = fc->dur_a;
                break;
            case CS_DUR_EXPONENTIAL:
                d = gsl_ran_exponential(r, fc->dur_a);
                break;
            case CS_DUR_GAMMA:
                d = gsl_ran_gamma(r, fc->dur_a, fc->dur_b);
                break;
            case CS_DUR_LOGNORMAL:
                d = gsl_ran_lognormal(r, fc->dur_a, fc->dur_b);
                break;
            case CS_DUR_UNIFORM:
                d = gsl_ran_flat(r, fc->dur_a, fc->dur_b);
                break;
            case CS_DUR_WEIBULL:
                d = gsl_ran_weibull(r, fc->dur_a, fc->dur_b);
                break;
            }
            if (!(d > 0.0))
                d = 0.0;
            double finish = now + d;
            if (fc->has_deadline) {
                double dl = (fc->deadline_from_stage ? now : t0) + fc->deadline_days;
                if (dl < now || finish > dl)
                    continue; /* leaves at its deadline: no more draws */
            }
            if (d > 0.0 && !(finish < m->t_end))
                continue; /* still in service when the run ends */
            now = finish;
            b = fl_choose(m, fs, g, k, wf, evidence, ub);
        }
        uint32_t nt = m->n_to[b];
        const fl_target *to = &m->to[m->to0[b]];
        if (nt == 1) {
            if (to[0] >= 0) {
                tr->stage = (uint32_t)to[0];
                tr->t = now;
                top++; /* the same slot, moved on */
            }
            continue;
        }
        /* A fork: child j gets id mix(mix(parent) ^ (j + 1)). The parent's slot
         * is reused by child 0, so copy the parent first. */
        fl_track parent = *tr;
        uint64_t pmix = cs_mix64(parent.id);
        for (uint32_t j = 0; j < nt; j++) {
            if (to[j] < 0)
                continue;
            fl_track *kid = &stack[top++];
            kid->id = cs_mix64(pmix ^ (uint64_t)(j + 1));
            kid->t = now;
            kid->stage = (uint32_t)to[j];
            kid->skips = parent.skips;
            if (m->n_slots)
                memcpy(kid->visits, parent.visits, m->n_slots);
        }
    }
}

static void fl_replicate(const fl_model *m, uint64_t seed, uint64_t rep, gsl_rng *r,
                         fl_stack *stack, fl_counts *cnt)
{
    cs_pcg32 *rs = cs_gsl_pcg32_state(r);
    for (size_t g = 0; g < m->G; g++) {
        if (!(m->rate[g] > 0.0))
            continue;
        cs_pcg32 arr;
        cs_stream_key key = {seed, rep, g, 0, 0, CS_STREAM_ARRIVALS};
        cs_pcg32_from_key(&arr, &key);
        fl_prefix pre = {cs_stream_prefix(seed, CS_STREAM_INCIDENT, rep, g),
                         cs_stream_prefix(seed, CS_STREAM_TRACK, rep, g)};
        double t = 0.0;
        for (uint64_t n = 0;; n++) {
            t -= log(cs_pcg32_uniform_pos(&arr)) / m->rate[g];
            if (!(t < m->t_end))
                break;
            cnt->incidents++;
            fl_incident(m, &pre, g, n, t, r, rs, stack, cnt);
            if (cnt->bad)
                return;
        }
    }
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int usage(const char *prog)
{
    fprintf(stderr, "usage: %s SCENARIO.yaml [--replicates N] [--seed S] [--variant NAME]\n", prog);
    return 2;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    const char *path = NULL, *variant = "baseline";
    long long reps = -1, seed = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--replicates") && i + 1 < argc)
            reps = strtoll(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoll(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--variant") && i + 1 < argc)
            variant = argv[++i];
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else
            return usage(argv[0]);
    }
    if (!path)
        return usage(argv[0]);
    static cs_error err;
    cs_error_clear(&err);
    cs_scenario *s = NULL;
    if (cs_scenario_load(path, &s, &err) != CS_OK) {
        fputs(err.text, stderr);
        return 2;
    }
    long v = cs_scenario_find_variant(s, variant);
    if (v < 0) {
        fprintf(stderr, "floor: no variant %s\n", variant);
        cs_scenario_free(s);
        return 2;
    }
    uint64_t n_reps = reps > 0 ? (uint64_t)reps : s->replicates;
    uint64_t master = seed >= 0 ? (uint64_t)seed : s->seed;
    fl_model m;
    gsl_rng *r = gsl_rng_alloc(cs_gsl_rng_pcg32);
    fl_stack stack = {malloc(64 * sizeof(fl_track)), 64};
    if (fl_compile(s->variants[v].scenario, &m) != 0 || !r || !stack.t) {
        fprintf(stderr, "floor: out of memory or unsupported scenario\n");
        fl_free(&m);
        gsl_rng_free(r);
        free(stack.t);
        cs_scenario_free(s);
        return 1;
    }
    fl_counts cnt = {0, 0, 0};
    double t0 = seconds_now();
    for (uint64_t rep = 0; rep < n_reps; rep++)
        fl_replicate(&m, master, rep, r, &stack, &cnt);
    double secs = seconds_now() - t0;
    int rc = 0;
    if (cnt.bad) {
        fprintf(stderr, "floor: a cycle of exhausted max_visits stages, or out of memory\n");
        rc = 1;
    }
    printf("floor scenario=%s variant=%s replicates=%llu incidents=%llu visits=%llu "
           "seconds=%.6f ns_per_incident=%.2f incidents_per_s=%.0f flags=\"%s\"\n",
           s->name, variant, (unsigned long long)n_reps, (unsigned long long)cnt.incidents,
           (unsigned long long)cnt.visits, secs,
           cnt.incidents ? secs * 1e9 / (double)cnt.incidents : 0.0,
           secs > 0 ? (double)cnt.incidents / secs : 0.0, CS_BENCH_FLAGS);
    fl_free(&m);
    gsl_rng_free(r);
    free(stack.t);
    cs_scenario_free(s);
    return rc;
}
