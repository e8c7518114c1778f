/*
 * cli/check.c — `casesim check SCENARIO.yaml`: validates a scenario and
 * prints its network in words, for the expert who wrote it.
 *
 * Exit 0 with the summary on stdout when the file is valid; exit 2 with every
 * error on stderr (FILE:LINE:COLUMN: message) when it is not or cannot be
 * read. Writes no file.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "casesim/dynamics.h"
#include "casesim/scenario.h"
#include "cli/cli.h"

static void check_usage(FILE *to)
{
    fprintf(to, "usage: casesim check [--quiet] SCENARIO.yaml\n\n"
                "Reads a scenario file, checks every rule of the format (scenarios/README.md)\n"
                "and every intervention and bundle, and prints the network it describes:\n"
                "groups, violations, stages with their staff, durations, deadlines and\n"
                "branches, outcomes, interventions and bundles.\n\n"
                "options:\n"
                "  -q, --quiet   print nothing when the file is valid (errors still go to stderr)\n"
                "  -h, --help    show this help\n\n"
                "exit status: 0 valid; 2 invalid or unreadable (every error is listed on stderr\n"
                "as FILE:LINE:COLUMN: message). Nothing is written.\n");
}

/* Prints text in lines of at most ~78 columns, each starting with indent. */
static void print_wrapped(const char *text, const char *indent)
{
    size_t col = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\n')
            p++;
        if (!*p)
            break;
        size_t w = strcspn(p, " \n");
        if (col > 0 && col + 1 + w > 78) {
            printf("\n");
            col = 0;
        }
        if (col == 0) {
            printf("%s", indent);
            col = strlen(indent);
        } else {
            printf(" ");
            col++;
        }
        printf("%.*s", (int)w, p);
        col += w;
        p += w;
    }
    if (col > 0)
        printf("\n");
}

static void print_per_group(const cs_scenario *s, const double *v, bool percent)
{
    bool same = true;
    for (size_t g = 1; g < s->n_groups; g++)
        same &= v[g] == v[0];
    if (same) {
        if (percent)
            printf("%g%% for every group", 100 * v[0]);
        else
            printf("%g for every group", v[0]);
        return;
    }
    for (size_t g = 0; g < s->n_groups; g++) {
        if (percent)
            printf("%s%s %g%%", g ? ", " : "", s->groups[g].name, 100 * v[g]);
        else
            printf("%s%s %g", g ? ", " : "", s->groups[g].name, v[g]);
    }
}

static const char *target_name(const cs_scenario *s, cs_target t)
{
    return t.is_stage ? s->stages[t.index].name : s->outcomes[t.index].name;
}

static void print_duration(const cs_duration *d)
{
    switch (d->kind) {
    case CS_DUR_NONE:
        printf("instantaneous (no duration given)");
        break;
    case CS_DUR_FIXED:
        printf("always %g days", d->a);
        break;
    case CS_DUR_EXPONENTIAL:
        printf("exponential, mean %g days", d->a);
        break;
    case CS_DUR_GAMMA:
        printf("gamma, mean %g days, coefficient of variation %g (shape %g, scale %g)", d->mean,
               1.0 / sqrt(d->a), d->a, d->b);
        break;
    case CS_DUR_LOGNORMAL:
        printf("lognormal, median %.4g days, 90%% finish within %.4g days, mean %.4g days",
               exp(d->a), exp(d->a + 1.2815515655446004 * d->b), d->mean);
        break;
    case CS_DUR_UNIFORM:
        printf("uniform between %g and %g days, mean %g days", d->a, d->b, d->mean);
        break;
    case CS_DUR_WEIBULL:
        printf("weibull, shape %g, scale %g days, mean %.4g days", d->a, d->b, d->mean);
        break;
    }
}

/* ---------------------------------------------- values by kind and group */

/* A value of a stage for kind k and group g, compared and printed. */
typedef struct case_value {
    const cs_scenario *s;
    const cs_stage *st;
    size_t b;         /* the branch, for probabilities */
    bool every_group; /* say "for every group" after a value all groups share */
    bool (*same)(const struct case_value *v, size_t k1, size_t g1, size_t k2, size_t g2);
    void (*print)(const struct case_value *v, size_t k, size_t g);
} case_value;

static uint32_t kind_bit(size_t k)
{
    return UINT32_C(1) << k;
}

/* Whether kinds k1 and k2 have the same value for every group. */
static bool same_row(const case_value *v, size_t k1, size_t k2)
{
    for (size_t g = 0; g < v->s->n_groups; g++)
        if (!v->same(v, k1, g, k2, g))
            return false;
    return true;
}

/* Kind k's values: one for every group, or "group value, ...". */
static void print_row(const case_value *v, size_t k)
{
    const cs_scenario *s = v->s;
    bool same = true;
    for (size_t g = 1; g < s->n_groups; g++)
        same &= v->same(v, k, g, k, 0);
    if (same) {
        v->print(v, k, 0);
        if (s->n_groups > 1 && v->every_group)
            printf(" for every group");
        return;
    }
    for (size_t g = 0; g < s->n_groups; g++) {
        printf("%s%s ", g ? ", " : "", s->groups[g].name);
        v->print(v, k, g);
    }
}

/* The values of the kinds of mask: ": VALUES SUFFIX" on the line when every
 * kind has the same, else "SUFFIX:" and one line per set of kinds sharing
 * them, indented. */
static void print_by_kind(const case_value *v, uint32_t mask, const char *indent,
                          const char *suffix)
{
    const cs_scenario *s = v->s;
    size_t first = 0;
    while (first < s->n_violations && !(mask & kind_bit(first)))
        first++;
    bool all_same = true;
    for (size_t k = first + 1; k < s->n_violations; k++)
        if (mask & kind_bit(k))
            all_same &= same_row(v, k, first);
    if (all_same) {
        printf(": ");
        print_row(v, first);
        printf("%s\n", suffix);
        return;
    }
    printf("%s:\n", suffix);
    uint32_t done = 0;
    for (size_t k = 0; k < s->n_violations; k++) {
        if (!(mask & kind_bit(k)) || (done & kind_bit(k)))
            continue;
        printf("%s", indent);
        for (size_t j = k, n = 0; j < s->n_violations; j++)
            if ((mask & kind_bit(j)) && !(done & kind_bit(j)) && same_row(v, j, k)) {
                printf("%s%s", n++ ? ", " : "", s->violations[j].name);
                done |= kind_bit(j);
            }
        printf(": ");
        print_row(v, k);
        printf("\n");
    }
}

/* The probability of branch b of stage st for a well-founded case of kind
 * k and group g with evidence 0.5: the logit of docs/MODEL.md, with the
 * kind's odds ratios (0 for a kind the branch does not apply to). */
static double branch_prob(const cs_scenario *s, const cs_stage *st, size_t b, size_t k, size_t g)
{
    if (!(st->branches[b].kinds & kind_bit(k)))
        return 0.0;
    size_t ref = st->reference[k];
    double p_ref = cs_branch_p(s, &st->branches[ref], k, g), total = 0.0, mine = 0.0;
    for (size_t j = 0; j < st->n_branches; j++) {
        const cs_branch *x = &st->branches[j];
        if (!(x->kinds & kind_bit(k)))
            continue;
        double o = j == ref ? 1.0 : cs_branch_p(s, x, k, g) / p_ref * x->kind_odds_ratio[k];
        total += o;
        mine = j == b ? o : mine;
    }
    return mine / total;
}

static bool same_prob(const case_value *v, size_t k1, size_t g1, size_t k2, size_t g2)
{
    return branch_prob(v->s, v->st, v->b, k1, g1) == branch_prob(v->s, v->st, v->b, k2, g2);
}

static void print_prob(const case_value *v, size_t k, size_t g)
{
    printf("%.4g%%", 100 * branch_prob(v->s, v->st, v->b, k, g));
}

static bool same_duration(const case_value *v, size_t k1, size_t g1, size_t k2, size_t g2)
{
    const cs_duration *a = cs_stage_duration(v->s, v->st, k1, g1);
    const cs_duration *b = cs_stage_duration(v->s, v->st, k2, g2);
    return a->kind == b->kind && a->a == b->a && a->b == b->b;
}

static void print_duration_of(const case_value *v, size_t k, size_t g)
{
    print_duration(cs_stage_duration(v->s, v->st, k, g));
}

static bool same_deadline(const case_value *v, size_t k1, size_t g1, size_t k2, size_t g2)
{
    const cs_deadline *a = cs_stage_deadline(v->s, v->st, k1, g1);
    const cs_deadline *b = cs_stage_deadline(v->s, v->st, k2, g2);
    return a->on == b->on &&
           (!a->on || (a->days == b->days && a->from == b->from && a->outcome == b->outcome));
}

static void print_deadline_of(const case_value *v, size_t k, size_t g)
{
    const cs_deadline *d = cs_stage_deadline(v->s, v->st, k, g);
    if (!d->on)
        printf("none (no limitation period)");
    else
        printf("%g days from the %s; cases not finished by then end as %s", d->days,
               d->from == CS_FROM_INCIDENT ? "incident" : "arrival at this stage",
               v->s->outcomes[d->outcome].name);
}

/* ------------------------------------------------------------------ stages */

static void print_branch(const cs_scenario *s, const cs_stage *st, size_t b)
{
    const cs_branch *br = &st->branches[b];
    printf("      -> ");
    for (size_t t = 0; t < br->n_to; t++)
        printf("%s%s", t ? " and " : "", target_name(s, br->to[t]));
    if (br->n_to > 1)
        printf(" (in parallel)");
    if (br->has_kinds) {
        printf(" (only");
        for (size_t k = 0, n = 0; k < s->n_violations; k++)
            if (br->kinds & kind_bit(k))
                printf("%s %s", n++ ? "," : "", s->violations[k].name);
        printf(")");
    }
    case_value v = {
        .s = s, .st = st, .b = b, .every_group = true, .same = same_prob, .print = print_prob};
    print_by_kind(&v, br->kinds, "         ", br->is_reference ? " (the rest)" : "");
    if (br->evidence_slope != 0)
        printf("         evidence slope %g: each 0.1 of extra evidence multiplies the odds "
               "by %.3g\n",
               br->evidence_slope, exp(br->evidence_slope * 0.1));
    if (br->unfounded_odds_ratio != 1)
        printf("         odds x%g when the allegation is unfounded\n", br->unfounded_odds_ratio);
    for (size_t k = 0; k < s->n_violations; k++)
        if (br->kind_odds_ratio[k] != 1)
            printf("         odds x%g for %s (included above)\n", br->kind_odds_ratio[k],
                   s->violations[k].name);
}

static void print_stage(const cs_scenario *s, size_t i)
{
    const cs_stage *st = &s->stages[i];
    uint32_t all = s->n_violations >= 32 ? UINT32_MAX : kind_bit(s->n_violations) - 1;
    printf("\n  %s%s\n", st->name,
           i == s->entry_stage ? "  (entry: every incident starts here)" : "");
    if (st->has_staff)
        printf("    staff: %g x caseload %u = %llu cases at once; queue: %s\n", st->staff,
               (unsigned)st->caseload, (unsigned long long)st->capacity,
               st->queue == CS_QUEUE_PRIORITY ? "by violation priority"
                                              : "first come, first served");
    else
        printf("    staff: not limited (no queue)\n");
    printf("    duration");
    case_value v = {.s = s, .st = st, .same = same_duration, .print = print_duration_of};
    print_by_kind(&v, all, "      ", "");
    if (st->has_deadline) {
        printf("    deadline");
        v.same = same_deadline;
        v.print = print_deadline_of;
        print_by_kind(&v, all, "      ", "");
    }
    if (st->max_visits > 1)
        printf("    a case may come here up to %u times\n", (unsigned)st->max_visits);
    printf("    then:\n");
    for (size_t b = 0; b < st->n_branches; b++)
        print_branch(s, st, b);
}

static void print_header(const cs_scenario *s)
{
    printf("Scenario %s (%s)\n", s->name, s->path);
    print_wrapped(s->description, "  ");
    printf("\nTime: %g year%s of warm-up (not measured), %g year%s of incidents measured "
           "(the cohort),\n      %g year%s of follow-up for them to finish\n",
           s->warmup_years, s->warmup_years == 1 ? "" : "s", s->cohort_years,
           s->cohort_years == 1 ? "" : "s", s->follow_up_years, s->follow_up_years == 1 ? "" : "s");
    if (s->has_start_year)
        printf(
            "Calendar: the run starts on 1 January %g; incidents from %g until %g are measured\n",
            s->start_year, s->start_year + s->warmup_years,
            s->start_year + s->warmup_years + s->cohort_years);
    printf("Run: %llu replicates, seed %llu\n", (unsigned long long)s->replicates,
           (unsigned long long)s->seed);
}

/* A time of the run in words: "2024" (a calendar year), or "year 4". */
static const char *when(const cs_scenario *s, double days, char *buf, size_t n)
{
    double y = days / CS_DAYS_PER_YEAR;
    if (s->has_start_year)
        snprintf(buf, n, "%g", s->start_year + y);
    else
        snprintf(buf, n, "year %g", y);
    return buf;
}

/* Schedules, the initial backlog and the feedback loops, in words. */
static void print_dynamics(const cs_scenario *s)
{
    char a[32];
    if (s->n_schedules)
        printf("\nSchedules (numbers that change over time):\n");
    for (size_t i = 0; i < s->n_schedules; i++) {
        const cs_schedule *sc = &s->schedules[i];
        printf("  %s, %s:", sc->path, sc->linear ? "in straight lines" : "in steps");
        for (size_t k = 0; k < sc->n; k++)
            printf("%s %s: %g", k ? "," : "", when(s, sc->days[k], a, sizeof a), sc->values[k]);
        printf("\n");
    }
    if (s->n_initial)
        printf("\nInitial backlog (cases already open when the run starts):\n");
    for (size_t i = 0; i < s->n_initial; i++)
        printf("  %llu at %s, incidents on average %.0f days old\n",
               (unsigned long long)s->initial[i].cases, s->stages[s->initial[i].stage].name,
               s->initial[i].age.mean);
    if (s->n_feedback)
        printf("\nFeedback loops (updated monthly):\n");
    for (size_t i = 0; i < s->n_feedback; i++) {
        const cs_feedback *f = &s->feedback[i];
        printf("  %s: %s responds to the accountability rate of %s over %g year%s (reference "
               "%g), elasticity %g, multiplier within [%g, %g]\n",
               f->name, f->effect_path, f->group < 0 ? "all groups" : s->groups[f->group].name,
               f->window_years, f->window_years == 1 ? "" : "s", f->reference_value, f->elasticity,
               f->min_multiplier, f->max_multiplier);
    }
}

/* Groups, violation kinds and the evidence model: who the incidents happen to. */
static void print_incidents(const cs_scenario *s)
{
    char buf[64];
    printf("\nVictims' groups (the first is the reference for disparities):\n");
    for (size_t g = 0; g < s->n_groups; g++) {
        const cs_group *gr = &s->groups[g];
        printf("  %-20s %s incidents a year", gr->name,
               cs_cli_money(buf, sizeof buf, gr->incidents_per_year, 1));
        if (strcmp(gr->label, gr->name) != 0)
            printf(" (%s)", gr->label);
        printf("\n");
    }
    printf("\nViolations (share of each group's incidents; probability the allegation is "
           "true; queue priority):\n");
    for (size_t k = 0; k < s->n_violations; k++) {
        const cs_violation *v = &s->violations[k];
        printf("  %-20s ", v->name);
        print_per_group(s, v->share, true);
        printf("; well-founded %g%%; priority %d\n", 100 * v->well_founded, v->priority);
    }
    const cs_evidence *e = &s->evidence;
    printf("\nEvidence strength (0..1): well-founded Beta(%g, %g), mean %.2f; unfounded "
           "Beta(%g, %g), mean %.2f\n",
           e->well_founded_a, e->well_founded_b,
           e->well_founded_a / (e->well_founded_a + e->well_founded_b), e->unfounded_a,
           e->unfounded_b, e->unfounded_a / (e->unfounded_a + e->unfounded_b));
}

static void print_outcomes(const cs_scenario *s)
{
    printf("\nOutcomes:\n");
    int width = 20; /* widen the name column for long names so they never run into the text */
    for (size_t o = 0; o < s->n_outcomes; o++) {
        size_t len = strlen(s->outcomes[o].name);
        if (len + 1 > (size_t)width)
            width = (int)len + 1;
    }
    for (size_t o = 0; o < s->n_outcomes; o++) {
        const cs_outcome *oc = &s->outcomes[o];
        printf("  %-*s", width, oc->name);
        if (oc->category >= 0)
            printf(" accountability (%s)", s->categories[oc->category]);
        if (oc->redress)
            printf("%s redress", oc->category >= 0 ? "," : "");
        if (oc->category < 0 && !oc->redress)
            printf(" neither accountability nor redress");
        printf("\n");
    }
}

static void print_change(const cs_change *c)
{
    switch (c->op) {
    case CS_CHANGE_SET:
        printf("    sets %s to %g\n", c->path, c->value);
        break;
    case CS_CHANGE_SCALE:
        printf("    multiplies %s by %g\n", c->path, c->value);
        break;
    case CS_CHANGE_REPLACE:
        printf("    sets %s to %s\n", c->path, c->shown ? c->shown : "?");
        break;
    case CS_CHANGE_REMOVE:
        printf("    removes %s\n", c->path);
        break;
    }
}

/* " GBP" when the scenario names its currency, else "". */
static const char *currency_suffix(const cs_scenario *s, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s", s->currency && s->currency[0] ? " " : "",
             s->currency ? s->currency : "");
    return buf;
}

/* Interventions, bundles and the variants a run will simulate. */
static void print_variants(const cs_scenario *s)
{
    char buf[64], cur[CS_MAX_CURRENCY_LEN + 2];
    currency_suffix(s, cur, sizeof cur);
    if (s->n_interventions)
        printf("\nInterventions:\n");
    for (size_t i = 0; i < s->n_interventions; i++) {
        const cs_intervention *iv = &s->interventions[i];
        printf("  %s: costs %s%s a year", iv->name,
               cs_cli_money(buf, sizeof buf, iv->annual_cost, 1), cur);
        char a[32];
        if (iv->starts > 0 || iv->ramp > 0)
            printf(", from %s", when(s, iv->starts, a, sizeof a));
        if (iv->ramp > 0)
            printf(", ramping up over %g year%s", iv->ramp / CS_DAYS_PER_YEAR,
                   iv->ramp == CS_DAYS_PER_YEAR ? "" : "s");
        printf("\n");
        print_wrapped(iv->description, "    ");
        for (size_t j = 0; j < iv->n_changes; j++)
            print_change(&iv->changes[j]);
    }
    if (s->n_bundles)
        printf("\nBundles:\n");
    for (size_t i = 0; i < s->n_bundles; i++) {
        const cs_bundle *bd = &s->bundles[i];
        const cs_variant *v = &s->variants[1 + s->n_interventions + i];
        printf("  %s: ", bd->name);
        for (size_t j = 0; j < bd->n_interventions; j++)
            printf("%s%s", j ? " + " : "", s->interventions[bd->interventions[j]].name);
        printf("; costs %s%s a year\n", cs_cli_money(buf, sizeof buf, v->annual_cost, 1), cur);
        print_wrapped(bd->description, "    ");
    }
    printf("\nVariants that `casesim run` will simulate (%zu):", s->n_variants);
    for (size_t v = 0; v < s->n_variants; v++)
        printf("%s %s", v ? "," : "", s->variants[v].name);
    printf("\n");
}

static void print_summary(const cs_scenario *s)
{
    print_header(s);
    print_incidents(s);
    printf("\nStages (probabilities are for a well-founded case with evidence 0.5):\n");
    for (size_t i = 0; i < s->n_stages; i++)
        print_stage(s, i);
    print_outcomes(s);
    print_dynamics(s);
    print_variants(s);
    cs_cli_check_uncertain(s);
    printf("\nThe scenario is valid.\n");
}

int cs_cli_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'}, {"quiet", no_argument, NULL, 'q'}, {NULL, 0, NULL, 0}};
    bool quiet = false;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "+hq", opts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            check_usage(stdout);
            return CS_EXIT_OK;
        case 'q':
            quiet = true;
            break;
        default:
            return cs_cli_bad_option("check", ch, argv, check_usage);
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "casesim check: expected one scenario file, got %d\n", argc - optind);
        check_usage(stderr);
        return CS_EXIT_USAGE;
    }
    const char *path = argv[optind];
    static cs_error err; /* large; one per process */
    cs_error_clear(&err);
    cs_scenario *s = NULL;
    int st = cs_scenario_load(path, &s, &err);
    if (st != CS_OK) {
        cs_cli_print_error("check", &err);
        fprintf(stderr, "casesim check: %s is not valid (%zu error%s)\n", path, err.count,
                err.count == 1 ? "" : "s");
        /* An unreadable file is invalid input too; only running out of memory
         * is a failure of casesim itself. */
        return st == CS_ENOMEM || st == CS_EINTERNAL ? CS_EXIT_FAILURE : CS_EXIT_USAGE;
    }
    if (!quiet)
        print_summary(s);
    cs_scenario_free(s);
    return CS_EXIT_OK;
}
