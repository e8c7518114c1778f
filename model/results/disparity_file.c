/*
 * results/disparity_file.c — the /disparity tables on the file side (see
 * results/disparity.h): what the writer records for them in /scenario and
 * /runs/<variant>, and their computation from an open file and writing.
 *
 * The writer records, beside the name lists every results file has: each
 * branch as "stage -> targets" (/scenario/branches, labelling the "branch"
 * axis of branch_counts) with its stage and targets; the entry stage (its
 * branches that lead to a stage are the reported cases); the populations
 * of each variant's groups; and, for a decomposed scenario, the stages
 * decomposed, the sampled orders of the Shapley shares and the group
 * differences the decomposition leaves. The tables are then computed from
 * the file alone, as the analysis tables are, so that a joined or resumed
 * file gets them too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/disparity.h"
#include "casesim/stats.h"
#include "core/alloc.h"
#include "results/disparity_file.h"
#include "results/h5util.h"
#include "results/internal.h"

/* ------------------------------------------------ the tables' descriptors */

#define FIELD_(row, member, ctype, type_)                                                          \
    {.name = #member, .type = type_, .offset = offsetof(row, member), .units = NULL},
#define RELATIVE_(member, ctype, type_) FIELD_(cs_relative_rate_row, member, ctype, type_)
#define DECOMPOSITION_(member, ctype, type_) FIELD_(cs_decomposition_row, member, ctype, type_)
#define EXPOSURE_(member, ctype, type_) FIELD_(cs_exposure_row, member, ctype, type_)
#define N_OF(a) (sizeof(a) / sizeof *(a))

static const cs_schema_field relative_fields[] = {CS_RELATIVE_RATE_FIELDS(RELATIVE_)};
static const cs_schema_field decomposition_fields[] = {CS_DECOMPOSITION_FIELDS(DECOMPOSITION_)};
static const cs_schema_field exposure_fields[] = {CS_EXPOSURE_FIELDS(EXPOSURE_)};

const cs_schema_table cs_disparity_relative_table = {
    .path = "/disparity/relative_rates",
    .row_size = sizeof(cs_relative_rate_row),
    .fields = relative_fields,
    .n_fields = N_OF(relative_fields),
    .description =
        "One row per (variant, group, branch): the rate at which the group's tracks entering the "
        "branch's stage take the branch (pooled over replicates), the reference group's rate, "
        "their ratio (the relative rate) and difference, with delta-method confidence "
        "intervals."};

const cs_schema_table cs_disparity_decomposition_table = {
    .path = "/disparity/decomposition",
    .row_size = sizeof(cs_decomposition_row),
    .fields = decomposition_fields,
    .n_fields = N_OF(decomposition_fields),
    .description =
        "The counterfactual decomposition of the baseline's disparity, one row per (group, "
        "measure, quantity, stage): the disparity with stages equalised (every group given the "
        "reference group's branch probabilities there), each stage's effect alone and last, and "
        "its Shapley share; the shares add up to the processing difference."};

const cs_schema_table cs_disparity_exposure_table = {
    .path = "/disparity/exposure",
    .row_size = sizeof(cs_exposure_row),
    .fields = exposure_fields,
    .n_fields = N_OF(exposure_fields),
    .description = "Cohort counts per 100,000 population per year of the cohort window, one row "
                   "per (variant, group, measure, violation kind), and their ratio to the "
                   "reference group's, with delta-method confidence intervals."};

/* ---------------------------------------------------- /scenario and /runs */

/* A 1-D attribute of n doubles. */
static int attr_doubles(hid_t loc, const char *name, const double *v, size_t n, cs_error *err)
{
    hsize_t dim = n;
    hid_t sp = H5Screate_simple(1, &dim, NULL), a = H5I_INVALID_HID;
    int st = CS_OK;
    if (sp < 0 || (a = H5Acreate2(loc, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Awrite(a, H5T_NATIVE_DOUBLE, v) < 0)
        st = cs_h5_fail(err, CS_EIO, "cannot write attribute '%s'", name);
    cs_h5_close(&a);
    cs_h5_close(&sp);
    return st;
}

/* "t1+t2" for a branch's targets, into buf. */
static void target_names(const cs_scenario *s, const cs_branch *br, char *buf, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t j = 0; j < br->n_to && o < n; j++) {
        const cs_target *t = &br->to[j];
        const char *name = t->is_stage ? s->stages[t->index].name : s->outcomes[t->index].name;
        o += (size_t)snprintf(buf + o, n - o, "%s%s", j ? "+" : "", name);
    }
}

/* The branch lists: labels ("stage -> targets", made unique within a stage
 * by the branch's number if two lead to the same place), stages, targets. */
static int write_branch_lists(hid_t g, const cs_scenario *s, cs_error *err)
{
    enum { LEN = (CS_MAX_NAME_LEN + 1) * (CS_MAX_FORK + 2) + 32 };
    size_t nb = cs_scenario_n_branches(s);
    char(*label)[LEN] = cs_xcalloc(nb, sizeof *label), (*target)[LEN] = cs_xcalloc(nb, LEN);
    const char **l = cs_xcalloc(3 * nb, sizeof *l);
    int st = label && target && l ? CS_OK : cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0, b0 = 0; i < s->n_stages && st == CS_OK; b0 += s->stages[i++].n_branches)
        for (size_t b = 0; b < s->stages[i].n_branches; b++) {
            target_names(s, &s->stages[i].branches[b], target[b0 + b], LEN);
            bool twin = false;
            for (size_t c = 0; c < s->stages[i].n_branches; c++) {
                char other[LEN];
                target_names(s, &s->stages[i].branches[c], other, LEN);
                twin |= c != b && strcmp(other, target[b0 + b]) == 0;
            }
            snprintf(label[b0 + b], LEN, twin ? "%s -> %s (branch %zu)" : "%s -> %s",
                     s->stages[i].name, target[b0 + b], b);
            l[b0 + b] = label[b0 + b];
            l[nb + b0 + b] = s->stages[i].name;
            l[2 * nb + b0 + b] = target[b0 + b];
        }
    /* Axis "branches", whose scale is the list of that name (as for the
     * name lists of results/write.c). */
    const char *names[] = {"branches", "branch_stages", "branch_targets"}, *axis = names[0];
    for (size_t k = 0; k < 3 && st == CS_OK; k++) {
        st = cs_h5_write_strings(g, names[k], l + k * nb, nb, err);
        if (st == CS_OK)
            st = cs_h5_name_axes(g, names[k], &axis, 1, err);
    }
    free(label);
    free(target);
    free(l);
    return st;
}

/* The group differences the decomposition leaves (exposure, not
 * processing), in words. */
static size_t not_equalised(const cs_scenario *s, const char **out)
{
    size_t n = 0;
    bool mix = false, rates = false;
    for (size_t g = 1; g < s->n_groups; g++) {
        rates |= s->groups[g].incidents_per_year != s->groups[0].incidents_per_year;
        for (size_t k = 0; k < s->n_violations; k++)
            mix |= s->violations[k].share[g] != s->violations[k].share[0];
    }
    if (mix)
        out[n++] = "the violation mix: the shares of the violation kinds differ between groups, "
                   "and kinds differ in how often they are well-founded and in their odds ratios";
    if (rates)
        out[n++] = "the arrival rates: groups have different numbers of incidents a year, which "
                   "change their rates only through queues, capacity and deadlines";
    return n;
}

/* The decomposition's stages, sampled orders and what it leaves. */
static int write_decomposition(hid_t g, const cs_scenario *s, cs_error *err)
{
    const char *names[CS_MAX_STAGES], *left[2];
    for (size_t j = 0; j < s->n_decomposed; j++)
        names[j] = s->stages[s->decomposed[j]].name;
    const char *axes[] = {"decomposition_order", "decomposed_stages"};
    int st = cs_h5_write_strings(g, "decomposed_stages", names, s->n_decomposed, err);
    if (st == CS_OK)
        st = cs_h5_name_axes(g, "decomposed_stages", axes + 1, 1, err);
    if (st == CS_OK)
        st = cs_h5_attr_strings(g, "not_equalised", left, not_equalised(s, left), err);
    if (st != CS_OK || s->n_permutations == 0)
        return st;
    /* Chunked rows, with the Fletcher32 every dataset of numbers has. */
    hsize_t row = s->n_decomposed;
    hid_t d = cs_h5_create_rows(g, "decomposition_orders", H5T_STD_U32LE, 1, &row,
                                row * sizeof *s->permutations, s->n_permutations, err);
    if (d < 0)
        st = CS_EIO;
    if (st == CS_OK)
        st = cs_h5_append_rows(d, H5T_NATIVE_UINT32, 1, &row, 0, s->n_permutations, s->permutations,
                               "/scenario/decomposition_orders", err);
    if (st == CS_OK)
        st = cs_h5_document(d, "positions in /scenario/decomposed_stages",
                            "The sampled orders of the decomposed stages over which the Shapley "
                            "shares are averaged, one per row.",
                            err);
    if (st == CS_OK)
        st = cs_h5_attr_strings(d, "dimensions", axes, 2, err);
    cs_h5_close(&d);
    return st;
}

int cs_results_write_disparity_scenario(hid_t g, const cs_scenario *s, cs_error *err)
{
    const char *src[CS_MAX_GROUPS];
    bool population = s->n_groups > 0 && s->groups[0].population > 0;
    for (size_t i = 0; i < s->n_groups; i++)
        src[i] = s->groups[i].population_source ? s->groups[i].population_source : "";
    int st = write_branch_lists(g, s, err);
    if (st == CS_OK)
        st = cs_h5_attr_string(g, "entry_stage", s->stages[s->entry_stage].name, err);
    const char *groups_axis = "groups";
    if (st == CS_OK && population)
        st = cs_h5_write_strings(g, "group_population_sources", src, s->n_groups, err);
    if (st == CS_OK && population)
        st = cs_h5_name_axes(g, "group_population_sources", &groups_axis, 1, err);
    if (st == CS_OK && s->has_decomposition)
        st = write_decomposition(g, s, err);
    return st;
}

int cs_results_write_disparity_variant(hid_t g, const cs_scenario *s, const cs_variant *v,
                                       cs_error *err)
{
    const char *eq[CS_MAX_STAGES];
    size_t n = 0;
    for (size_t i = 0; i < s->n_stages; i++)
        if (v->equalised >> i & 1)
            eq[n++] = s->stages[i].name;
    int st = cs_h5_attr_strings(g, "equalised_stages", eq, n, err);
    const cs_scenario *vs = v->scenario ? v->scenario : s;
    double pop[CS_MAX_GROUPS];
    for (size_t i = 0; i < vs->n_groups; i++)
        pop[i] = vs->groups[i].population;
    if (st == CS_OK && vs->n_groups > 0 && pop[0] > 0)
        st = attr_doubles(g, "group_population", pop, vs->n_groups, err);
    return st;
}
