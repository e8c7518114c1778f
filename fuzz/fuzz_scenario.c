/*
 * fuzz_scenario.c — libFuzzer target for the scenario loader.
 *
 * Feeds arbitrary bytes to cs_scenario_load_string, which parses the YAML,
 * validates every rule and builds every variant (each intervention and
 * bundle patched onto a copy and re-validated), then frees the result. Any
 * crash, leak, out-of-bounds access or undefined behaviour is a finding.
 *
 * So is a broken promise, checked here with abort(): on failure *out stays
 * NULL and the error holds a message; on success every variant's scenario
 * satisfies what the engine takes for granted (indices in range, numbers
 * finite and within the stated limits, probabilities that sum to one). A
 * scenario that passes validation but breaks these would be simulated
 * quietly wrong, which is worse than a crash.
 */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/error.h"
#include "casesim/scenario.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* As the program does (model/cli/main.c): the library reports GSL's
 * failures (a correlation matrix that is not positive definite, a
 * truncation integral that does not converge) as values, which GSL's
 * default handler would pre-empt with abort(). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    gsl_set_error_handler_off();
    return 0;
}

static void require(int ok)
{
    if (!ok)
        abort(); /* libFuzzer saves the input */
}

static int finite_in(double x, double lo, double hi)
{
    return isfinite(x) && x >= lo && x <= hi;
}

static void check_name(const char *name)
{
    require(name != NULL && strlen(name) <= CS_MAX_NAME_LEN);
}

static void check_target(const cs_scenario *s, cs_target t)
{
    require(t.is_stage ? t.index < s->n_stages : t.index < s->n_outcomes);
}

static void check_duration(const cs_duration *d)
{
    require(finite_in(d->a, -1e308, 1e308) && finite_in(d->b, -1e308, 1e308));
    require(finite_in(d->mean, 0, 1e308));
    if (d->kind == CS_DUR_NONE)
        require(d->mean == 0);
}

/* What the engine relies on in one (base or variant) scenario. */
static void check_scenario(const cs_scenario *s)
{
    require(s->name != NULL && strlen(s->name) <= CS_MAX_TEXT_LEN);
    require(s->replicates >= 1 && s->replicates <= CS_MAX_REPLICATES);
    require(finite_in(s->warmup_years, 0, CS_MAX_YEARS) &&
            finite_in(s->cohort_years, 0, CS_MAX_YEARS) &&
            finite_in(s->follow_up_years, 0, CS_MAX_YEARS));
    require(s->warmup_years + s->cohort_years + s->follow_up_years <= CS_MAX_YEARS);
    require(s->n_groups >= 1 && s->n_groups <= CS_MAX_GROUPS);
    require(s->n_violations >= 1 && s->n_violations <= CS_MAX_VIOLATIONS);
    require(s->n_stages >= 1 && s->n_stages <= CS_MAX_STAGES);
    require(s->n_outcomes >= 1 && s->n_outcomes <= CS_MAX_OUTCOMES);
    require(s->entry_stage < s->n_stages);
    for (size_t g = 0; g < s->n_groups; g++) {
        check_name(s->groups[g].name);
        require(s->groups[g].label != NULL && strlen(s->groups[g].label) <= CS_MAX_TEXT_LEN);
        require(finite_in(s->groups[g].incidents_per_year, 0, CS_MAX_RATE));
    }
    for (size_t g = 0; g < s->n_groups; g++) {
        double sum = 0;
        for (size_t k = 0; k < s->n_violations; k++) {
            require(finite_in(s->violations[k].share[g], 0, 1));
            sum += s->violations[k].share[g];
        }
        require(fabs(sum - 1) <= 1e-6);
    }
    for (size_t k = 0; k < s->n_violations; k++) {
        check_name(s->violations[k].name);
        require(finite_in(s->violations[k].well_founded, 0, 1));
    }
    const cs_evidence *e = &s->evidence;
    require(finite_in(e->well_founded_a, 1e-300, 1e308) &&
            finite_in(e->well_founded_b, 1e-300, 1e308));
    require(finite_in(e->unfounded_a, 1e-300, 1e308) && finite_in(e->unfounded_b, 1e-300, 1e308));
    for (size_t i = 0; i < s->n_stages; i++) {
        const cs_stage *st = &s->stages[i];
        check_name(st->name);
        if (st->has_staff) {
            require(finite_in(st->staff, 0, CS_MAX_STAFF));
            require(st->caseload >= 1 && st->caseload <= CS_MAX_CASELOAD);
            require(st->capacity <= (uint64_t)(CS_MAX_STAFF * CS_MAX_CASELOAD));
        }
        for (size_t k = 0; k < s->n_violations; k++)
            for (size_t g = 0; g < s->n_groups; g++) {
                check_duration(cs_stage_duration(s, st, k, g));
                const cs_deadline *d = cs_stage_deadline(s, st, k, g);
                require(!d->on || st->has_deadline);
                if (d->on) {
                    require(finite_in(d->days, 0, 1e308));
                    require(d->outcome < s->n_outcomes);
                }
            }
        require(st->max_visits >= 1 && st->max_visits <= CS_MAX_VISITS);
        require(st->n_branches >= 1 && st->n_branches <= CS_MAX_BRANCHES);
        /* For each kind: its reference branch applies to it and has no
         * `p`; the probabilities of the branches open to it sum to 1. */
        for (size_t k = 0; k < s->n_violations; k++) {
            size_t ref = st->reference[k];
            require(ref < st->n_branches);
            require(st->branches[ref].is_reference && (st->branches[ref].kinds >> k & 1u));
            for (size_t g = 0; g < s->n_groups; g++) {
                double sum = 0;
                for (size_t b = 0; b < st->n_branches; b++) {
                    double pb = cs_branch_p(s, &st->branches[b], k, g);
                    require(finite_in(pb, 0, 1));
                    require(pb == 0 || (st->branches[b].kinds >> k & 1u));
                    sum += pb;
                }
                require(fabs(sum - 1) <= 1e-6);
            }
        }
        for (size_t b = 0; b < st->n_branches; b++) {
            const cs_branch *br = &st->branches[b];
            require(br->n_to >= 1 && br->n_to <= CS_MAX_FORK);
            for (size_t t = 0; t < br->n_to; t++)
                check_target(s, br->to[t]);
            require(finite_in(br->evidence_slope, -1e3, 1e3));
            require(finite_in(br->unfounded_odds_ratio, 1e-300, 1e6));
            for (size_t k = 0; k < s->n_violations; k++)
                require(finite_in(br->kind_odds_ratio[k], 1e-300, 1e6));
        }
    }
    for (size_t o = 0; o < s->n_outcomes; o++) {
        check_name(s->outcomes[o].name);
        require(s->outcomes[o].category < (int)s->n_categories);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cs_error err; /* 16 KiB: kept off the stack */
    cs_scenario *s = NULL;
    cs_error_clear(&err);
    int rc = cs_scenario_load_string((const char *)data, size, "fuzz.yaml", &s, &err);
    if (rc != CS_OK) {
        require(s == NULL && err.count > 0 && err.status != CS_OK);
        return 0;
    }
    require(s != NULL && err.count == 0);
    /* The decomposition's variants (`run: decompose: true`) come after the
     * bundles, and only with a decomposition. */
    size_t chosen = 1 + s->n_interventions + s->n_bundles, n_decomposition = 0;
    for (size_t v = 0; v < s->n_variants; v++)
        if (s->variants[v].kind == CS_VARIANT_DECOMPOSITION) {
            require(v >= chosen && s->has_decomposition);
            n_decomposition++;
        }
    require(s->n_variants == chosen + n_decomposition);
    require(s->variants[0].kind == CS_VARIANT_BASELINE);
    check_scenario(s);
    for (size_t v = 0; v < s->n_variants; v++) {
        const cs_variant *var = &s->variants[v];
        require(cs_scenario_find_variant(s, var->name) == (long)v);
        require(isfinite(var->annual_cost));
        for (size_t i = 0; i < var->n_applied; i++)
            require(var->applied[i] < s->n_interventions);
        require(var->scenario != NULL && var->scenario->n_variants == 0);
        require(var->scenario->n_groups == s->n_groups && var->scenario->n_stages == s->n_stages &&
                var->scenario->n_outcomes == s->n_outcomes);
        check_scenario(var->scenario);
    }
    for (size_t i = 0; i < s->n_stages; i++)
        require(cs_scenario_find_stage(s, s->stages[i].name) == (long)i);
    cs_scenario_free(s);
    return 0;
}
