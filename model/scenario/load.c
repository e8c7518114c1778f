/*
 * scenario/load.c — a YAML tree to a validated cs_scenario.
 *
 * cs_scenario_convert walks the tree once, reads every key of the format
 * (scenarios/README.md), resolves names to indices and checks every rule,
 * reporting each mistake where it is and carrying on so that one pass
 * reports all of a file's errors. Checks that depend on a part that already
 * failed (e.g. reachability when a `to` names nothing) are skipped rather
 * than reported twice. The sections are read by their own files:
 * groups_load.c, network_load.c and interventions_load.c; the helpers they
 * share are in convert.c.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "scenario/dynamics_internal.h"
#include "scenario/internal.h"

#define DEFAULT_REPLICATES 100
#define DEFAULT_SEED 1

static const char *const TOP_KEYS[] = {
    "casesim",      "name",     "description", "currency", "time",          "run",     "groups",
    "violations",   "evidence", "stages",      "outcomes", "interventions", "bundles", "uncertain",
    "correlations", "decision", "schedules",   "initial",  "feedback",      "targets"};
static const char *const TIME_KEYS[] = {"warmup_years", "cohort_years", "follow_up_years",
                                        "start_year"};
static const char *const RUN_KEYS[] = {"replicates", "seed", "replicates_per_draw", "sampling",
                                       "decompose"};

/* The first and last calendar years time.start_year may name. */
#define MIN_START_YEAR 1
#define MAX_START_YEAR 9999

static void read_time(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    const cs_ynode *t = cs_conv_need(c, root, "time", "the scenario");
    if (!t || !cs_conv_is_map(c, t, "`time`"))
        return;
    cs_conv_check_keys(c, t, "`time`", TIME_KEYS, N_OF(TIME_KEYS));
    const cs_ynode *w = cs_conv_need(c, t, "warmup_years", "`time`");
    const cs_ynode *h = cs_conv_need(c, t, "cohort_years", "`time`");
    const cs_ynode *f = cs_conv_need(c, t, "follow_up_years", "`time`");
    bool ok = true;
    if (w)
        ok &= cs_conv_num_in(c, w, "warmup_years", 0, false, CS_MAX_YEARS, &s->warmup_years);
    if (h)
        ok &= cs_conv_num_in(c, h, "cohort_years", 0, true, CS_MAX_YEARS, &s->cohort_years);
    if (f)
        ok &= cs_conv_num_in(c, f, "follow_up_years", 0, false, CS_MAX_YEARS, &s->follow_up_years);
    const cs_ynode *y = cs_ynode_get(t, "start_year");
    uint64_t year;
    if (y && cs_conv_whole(c, y, "start_year", MIN_START_YEAR, MAX_START_YEAR, &year)) {
        s->has_start_year = true;
        s->start_year = (double)year;
    }
    if (w && h && f && ok) {
        double total = s->warmup_years + s->cohort_years + s->follow_up_years;
        if (total > CS_MAX_YEARS)
            cs_conv_limit(c, t,
                          "the run lasts %g years (warmup + cohort + follow-up); the limit is %g",
                          total, CS_MAX_YEARS);
    }
}

/* How uncertain inputs are drawn: `replicates_per_draw` (replicates that
 * share one draw of the inputs) and `sampling` (random or sobol). */
static void read_draws(cs_conv *c, const cs_ynode *r, cs_scenario *s)
{
    const cs_ynode *n = cs_ynode_get(r, "replicates_per_draw");
    if (n)
        cs_conv_whole(c, n, "replicates_per_draw", 1, CS_MAX_REPLICATES_PER_DRAW,
                      &s->replicates_per_draw);
    if (!(n = cs_ynode_get(r, "sampling")))
        return;
    if (n->kind == CS_YNODE_SCALAR && strcmp(n->value, "random") == 0)
        s->sampling = CS_UNC_RANDOM;
    else if (n->kind == CS_YNODE_SCALAR && strcmp(n->value, "sobol") == 0)
        s->sampling = CS_UNC_SOBOL;
    else
        cs_conv_error(c, n, "`sampling` must be `random` or `sobol`, got %s%s%.40s%s",
                      cs_ynode_kind_name(n), n->kind == CS_YNODE_SCALAR ? " `" : "",
                      n->kind == CS_YNODE_SCALAR ? n->value : "",
                      n->kind == CS_YNODE_SCALAR ? "`" : "");
}

static void read_run(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    s->replicates = DEFAULT_REPLICATES;
    s->seed = DEFAULT_SEED;
    s->replicates_per_draw = 1;
    s->sampling = CS_UNC_RANDOM;
    const cs_ynode *r = cs_ynode_get(root, "run");
    if (!r || !cs_conv_is_map(c, r, "`run`"))
        return;
    cs_conv_check_keys(c, r, "`run`", RUN_KEYS, N_OF(RUN_KEYS));
    const cs_ynode *n = cs_ynode_get(r, "replicates");
    if (n) {
        /* One message per mistake: get_whole would repeat get_num's. The
         * value is echoed as written, so that 2^62 is not shown rounded. */
        double v;
        if (cs_conv_num(c, n, "replicates", &v)) {
            if (v > CS_MAX_REPLICATES)
                cs_conv_limit(c, n, "`replicates` is %.40s; the limit is %d", n->value,
                              CS_MAX_REPLICATES);
            else
                cs_conv_whole(c, n, "replicates", 1, CS_MAX_REPLICATES, &s->replicates);
        }
    }
    n = cs_ynode_get(r, "seed");
    if (n)
        cs_conv_whole(c, n, "seed", 0, UINT64_MAX, &s->seed);
    read_draws(c, r, s);
}

/* `currency`: the unit of every cost, printed beside each amount; a short
 * code or name (`GBP`, `USD`, `euro`), not a number. */
static void read_currency(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    const cs_ynode *n = cs_ynode_get(root, "currency");
    if (n && n->kind == CS_YNODE_SCALAR && !n->quoted &&
        cs_parse_number(n->value, &(double){0}) == NULL)
        cs_conv_error(
            c, n, "`currency` names a currency (e.g. `GBP`, `USD`, `euro`), got the number %.40s",
            n->value);
    else if (n && cs_conv_short_text(c, n, "currency", CS_MAX_CURRENCY_LEN, &s->currency)) {
        for (const char *p = s->currency; *p; p++)
            if (*p == ' ' || *p == '\t' || *p == '\n') {
                cs_conv_error(c, n, "`currency` must be one word (e.g. `GBP`), got `%s`",
                              s->currency);
                break;
            }
    }
    if (!s->currency)
        s->currency = cs_conv_mem(c, cs_xstrdup(""));
}

/* ------------------------------------------------------------------- entry */

int cs_scenario_convert(cs_conv *c, const cs_ynode *root, bool with_interventions, cs_scenario *s)
{
    size_t errors0 = c->errors;
    if (root->kind != CS_YNODE_MAP) {
        cs_conv_error(c, root,
                      "a scenario must be a mapping of keys (casesim, name, time, ...), got %s",
                      cs_ynode_kind_name(root));
        return CS_EINVAL;
    }
    cs_conv_check_keys(c, root, "the scenario", TOP_KEYS, N_OF(TOP_KEYS));
    const cs_ynode *n = cs_conv_need(c, root, "casesim", "the scenario");
    if (n) {
        uint64_t v;
        if (cs_conv_whole(c, n, "casesim", 1, INT_MAX, &v)) {
            if (v != 1)
                cs_conv_error(c, n,
                              "format version %llu is not supported: this casesim reads version 1",
                              (unsigned long long)v);
            s->format_version = (int)v;
        }
    }
    n = cs_conv_need(c, root, "name", "the scenario");
    if (n)
        cs_conv_short_text(c, n, "name", CS_MAX_TEXT_LEN, &s->name);
    if ((n = cs_ynode_get(root, "description")))
        cs_conv_text(c, n, "description", &s->description);
    if (!s->description)
        s->description = cs_conv_mem(c, cs_xstrdup(""));
    read_currency(c, root, s);
    read_time(c, root, s);
    read_run(c, root, s);
    cs_load_groups(c, root, s);
    cs_load_decompose(c, root, s);
    cs_load_violations(c, root, s);
    cs_load_evidence(c, root, s);
    cs_load_network(c, root, s);
    cs_load_dynamics(c, root, s);
    if (with_interventions) {
        cs_load_interventions(c, root, s);
        cs_load_bundles(c, root, s);
    }
    return c->errors == errors0 ? CS_OK : CS_EINVAL;
}
