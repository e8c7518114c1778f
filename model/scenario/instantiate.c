/*
 * scenario/instantiate.c — a scenario at given values of its uncertain
 * numbers (see cs_scenario_instantiate in casesim/scenario.h).
 *
 * The base keeps its file's YAML tree. An instance is that tree copied, each
 * value written at its path by the walk interventions use
 * (cs_patch_set), and the copy converted and patched into its variants by
 * the loader's own code: one validator for files, variants and draws. The
 * values are written with 17 significant digits, which read back as the
 * same double, so that an instance at the scenario's own values is the
 * scenario itself, bit for bit.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "scenario/internal.h"

void cs_scenario_uncertain_values(const cs_scenario *s, double *values)
{
    for (size_t e = 0; e < s->n_uncertain; e++) {
        const cs_uncertain *u = &s->uncertain[e];
        for (size_t i = 0; i < u->n_paths; i++)
            values[u->offset + i] = u->value[i];
    }
}

/* Writes every value at its path in tree. */
static int write_values(cs_conv *c, cs_ynode *tree, const cs_scenario *base, const double *values)
{
    int st = CS_OK;
    for (size_t e = 0; e < base->n_uncertain && st == CS_OK; e++) {
        const cs_uncertain *u = &base->uncertain[e];
        for (size_t i = 0; i < u->n_paths && st == CS_OK; i++)
            st = cs_patch_set(c, tree, base, u->paths[i], values[u->offset + i]);
    }
    return st;
}

/* Converts the patched tree into s with the base's portfolios and variants. */
static int build_instance(const cs_scenario *base, cs_conv *c, const cs_ynode *tree, cs_scenario *s)
{
    int st = cs_scenario_convert(c, tree, true, s);
    if (st != CS_OK)
        return st;
    s->path = cs_xstrdup(c->file);
    s->n_uncertain_values = base->n_uncertain_values;
    s->replicates_per_draw = base->replicates_per_draw;
    s->sampling = base->sampling;
    if (!s->path || cs_copy_portfolios(base, s) != CS_OK)
        return cs_error_set(c->err, CS_ENOMEM, "%s: out of memory", c->file);
    return cs_scenario_build_variants(s, tree, c->file, c->err);
}

int cs_scenario_instantiate(const cs_scenario *base, const double *values, cs_scenario **out,
                            cs_error *err)
{
    *out = NULL;
    const char *file = base->path ? base->path : "<string>";
    if (!base->tree)
        return cs_error_set(err, CS_EINVAL,
                            "cs_scenario_instantiate: %s is a variant or an instance (it keeps no "
                            "file to instantiate)",
                            file);
    cs_ynode *copy = NULL;
    cs_scenario *s = calloc(1, sizeof *s);
    if (!s || cs_ynode_copy(base->tree, &copy) != CS_OK) {
        free(s);
        return cs_error_set(err, CS_ENOMEM, "%s: out of memory", file);
    }
    cs_conv c = {.err = err, .file = file};
    int st = write_values(&c, copy, base, values);
    if (st == CS_OK)
        st = build_instance(base, &c, copy, s);
    cs_ynode_free(copy);
    if (st != CS_OK) {
        cs_scenario_free(s);
        return err && err->status != CS_OK ? err->status : st;
    }
    *out = s;
    return CS_OK;
}
