/*
 * sensitivity/outputs.c — what a sensitivity study explains: the outputs
 * at each point, from the variants' measures (see casesim/study.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casesim/measures.h"
#include "casesim/study.h"
#include "core/alloc.h"
#include "scenario/internal.h"

/* The index of name in list[0 .. n), or n. */
static size_t find(const char *const *list, size_t n, const char *name)
{
    size_t i = 0;
    while (i < n && strcmp(list[i], name) != 0)
        i++;
    return i;
}

/* Checks that name is one of list (what: "measure", "group"); an unknown
 * one gets the nearest name or the list. */
static int check_name(const char *what, const char *name, const char *const *list, size_t n,
                      cs_error *err)
{
    if (find(list, n, name) < n)
        return CS_OK;
    const char *near = cs_nearest(name, list, n);
    if (near)
        return cs_error_set(err, CS_EINVAL, "unknown %s '%.64s'; did you mean '%s'?", what, name,
                            near);
    char buf[1024];
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 2 < sizeof buf; i++) {
        int w = snprintf(buf + used, sizeof buf - used, "%s%s", i ? ", " : "", list[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return cs_error_set(err, CS_EINVAL, "unknown %s '%.64s'; the %ss are: %s", what, name, what,
                        buf);
}

/* The group names with "all" after them, in a new array (free()). */
static const char **groups_with_all(const cs_study_names *nm)
{
    const char **g = cs_xcalloc(nm->n_groups + 1, sizeof *g);
    if (!g)
        return NULL;
    for (size_t i = 0; i < nm->n_groups; i++)
        g[i] = nm->groups[i];
    g[nm->n_groups] = "all";
    return g;
}

int cs_study_check_requests(const cs_study_names *names, const cs_study_request *req, size_t n,
                            cs_error *err)
{
    const char **g = groups_with_all(names);
    if (!g)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    int st = CS_OK;
    for (size_t i = 0; i < n && st == CS_OK; i++) {
        st = check_name("measure", req[i].measure, names->measures, names->n_measures, err);
        if (st == CS_OK && req[i].group && req[i].group[0])
            st = check_name("group", req[i].group, g, names->n_groups + 1, err);
    }
    free(g);
    return st;
}

void cs_study_outputs_free(cs_study_outputs *o)
{
    for (size_t i = 0; o->o && i < o->n; i++)
        free(o->o[i].name);
    free(o->o);
    free(o->default_measure);
    free(o->default_group);
    memset(o, 0, sizeof *o);
}

/* Appends one output. */
static int add(cs_study_outputs *o, const cs_study_names *nm, size_t m, size_t g, size_t v,
               bool change)
{
    const char *gname = g < nm->n_groups ? nm->groups[g] : "all";
    char name[4 * CS_MAX_NAME_LEN + 32];
    snprintf(name, sizeof name, "%s, %s, %s%s", nm->measures[m], gname,
             change ? "change with " : "", nm->variants[v]);
    cs_study_output *x = &o->o[o->n];
    x->name = cs_xstrdup(name);
    if (!x->name)
        return CS_ENOMEM;
    x->measure_name = nm->measures[m];
    x->group_name = gname;
    x->variant_name = nm->variants[v];
    x->measure = m;
    x->group = g;
    x->variant = v;
    x->change = change;
    o->n++;
    return CS_OK;
}

/* The defaults: the outcome for every variant, the baseline's disparity
 * ratio, every variant's change. */
static int add_defaults(cs_study_outputs *o, const cs_study_names *nm, size_t m, size_t g)
{
    int st = CS_OK;
    for (size_t v = 0; v < nm->n_variants && st == CS_OK; v++)
        st = add(o, nm, m, g, v, false);
    size_t ratio = find(nm->measures, nm->n_measures, "accountability_ratio");
    if (st == CS_OK && ratio < nm->n_measures && g < nm->n_groups && g > 0)
        st = add(o, nm, ratio, g, 0, false);
    for (size_t v = 1; v < nm->n_variants && st == CS_OK; v++)
        st = add(o, nm, m, g, v, true);
    return st;
}

int cs_study_outputs_make(const cs_study_names *names, const char *default_measure,
                          const char *default_group, const cs_study_request *req, size_t n_req,
                          cs_study_outputs *out, cs_error *err)
{
    memset(out, 0, sizeof *out);
    cs_study_request def = {default_measure, default_group};
    int st = cs_study_check_requests(names, &def, 1, err);
    if (st == CS_OK)
        st = cs_study_check_requests(names, req, n_req, err);
    if (st != CS_OK)
        return st;
    size_t cap = 2 * names->n_variants + 1 + n_req * names->n_variants;
    out->o = cs_xcalloc(cap, sizeof *out->o);
    out->default_measure = cs_xstrdup(default_measure);
    out->default_group = cs_xstrdup(default_group);
    const char **g = groups_with_all(names);
    st = out->o && out->default_measure && out->default_group && g ? CS_OK : CS_ENOMEM;
    size_t gd = g ? find(g, names->n_groups + 1, default_group) : 0;
    if (st == CS_OK)
        st =
            add_defaults(out, names, find(names->measures, names->n_measures, default_measure), gd);
    for (size_t r = 0; r < n_req && st == CS_OK; r++) {
        size_t m = find(names->measures, names->n_measures, req[r].measure);
        size_t gr =
            req[r].group && req[r].group[0] ? find(g, names->n_groups + 1, req[r].group) : gd;
        for (size_t v = 0; v < names->n_variants && st == CS_OK; v++)
            st = add(out, names, m, gr, v, false);
    }
    free(g);
    if (st != CS_OK) {
        cs_study_outputs_free(out);
        return cs_error_set(err, st, "out of memory");
    }
    return CS_OK;
}

void cs_study_outputs_eval(const cs_study_outputs *o, const double *const *measures,
                           size_t n_points, size_t n_group_rows, size_t n_measures, double *y)
{
    size_t row = n_group_rows * n_measures;
    for (size_t p = 0; p < n_points; p++)
        for (size_t k = 0; k < o->n; k++) {
            const cs_study_output *x = &o->o[k];
            size_t at = p * row + x->group * n_measures + x->measure;
            double v = measures[x->variant][at];
            if (x->change)
                v -= measures[0][at];
            y[p * o->n + k] = v;
        }
}
