/*
 * sim/schema.c — the lists of casesim/schema.h as tables of descriptors,
 * and the lengths of a scenario's dimensions.
 *
 * Part of the simulation module because the per-replicate result it
 * describes is (casesim/measures.h); the HDF5 side of the same table (file
 * types, datasets, attributes, the analysis tables) is in
 * model/results/schema.c. Nothing here knows HDF5.
 */
#include "casesim/schema.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "casesim/measures.h"
#include "casesim/scenario.h"
#include "core/alloc.h"
#include "core/assert.h"

void cs_result_dims_of(const cs_scenario *s, cs_result_dims *d)
{
    memset(d, 0, sizeof *d);
    d->n_groups = s->n_groups;
    d->n_categories = s->n_categories;
#define DIM_SIZE_(ID, field, name, size, ...) d->field = (size);
    CS_RESULT_DIMENSIONS(DIM_SIZE_)
#undef DIM_SIZE_
}

const cs_schema_dim cs_schema_dims[CS_DIM_COUNT] = {
#define DIM_(ID, field, name_, size, labels_, extra_, description_)                                \
    [CS_DIM_##ID] = {.name = name_,                                                                \
                     .labels = labels_,                                                            \
                     .extra = extra_,                                                              \
                     .description = description_,                                                  \
                     .offset = offsetof(cs_result_dims, field)},
    CS_RESULT_DIMENSIONS(DIM_)
#undef DIM_
};

size_t cs_result_dim(const cs_result_dims *d, cs_dim k)
{
    CS_ASSERT((int)k >= 0 && k < CS_DIM_COUNT);
    size_t n;
    memcpy(&n, (const char *)d + cs_schema_dims[k].offset, sizeof n);
    return n;
}

/* The number of dims given to an ARRAY line. */
#define N_DIMS_(...) ((int)(sizeof((cs_dim[]){__VA_ARGS__}) / sizeof(cs_dim)))

const cs_schema_array cs_schema_arrays[CS_SCHEMA_N_ARRAYS] = {
#define ARRAY_(member, ctype, type_, units_, description_, ...)                                    \
    [CS_ARRAY_##member] = {.name = #member,                                                        \
                           .type = type_,                                                          \
                           .size = sizeof(ctype),                                                  \
                           .offset = offsetof(cs_replicate_result, member),                        \
                           .scalar = false,                                                        \
                           .rank = N_DIMS_(__VA_ARGS__),                                           \
                           .dims = {__VA_ARGS__},                                                  \
                           .units = units_,                                                        \
                           .description = description_},
#define SCALAR_(member, ctype, type_, dataset, units_, description_)                               \
    [CS_ARRAY_##member] = {.name = dataset,                                                        \
                           .type = type_,                                                          \
                           .size = sizeof(ctype),                                                  \
                           .offset = offsetof(cs_replicate_result, member),                        \
                           .scalar = true,                                                         \
                           .rank = 0,                                                              \
                           .units = units_,                                                        \
                           .description = description_},
    CS_REPLICATE_ARRAYS(ARRAY_, SCALAR_)
#undef ARRAY_
#undef SCALAR_
};

/* Every ARRAY line's rank fits the descriptor (a longer dims list would not
 * compile: too many initialisers). */
#define RANK_OK_(member, ctype, type_, units_, description_, ...)                                  \
    _Static_assert(N_DIMS_(__VA_ARGS__) >= 1 && N_DIMS_(__VA_ARGS__) <= CS_SCHEMA_MAX_RANK,        \
                   "rank of " #member);
#define SCALAR_OK_(...)
CS_REPLICATE_ARRAYS(RANK_OK_, SCALAR_OK_)
#undef RANK_OK_
#undef SCALAR_OK_

const cs_schema_field cs_schema_case_fields[CS_CASE_N_FIELDS] = {
#define CASE_(member, ctype, type_, units_)                                                        \
    [CS_CASE_FIELD_##member] = {.name = #member,                                                   \
                                .type = type_,                                                     \
                                .offset = offsetof(cs_case_record, member),                        \
                                .units = units_},
    CS_CASE_RECORD_FIELDS(CASE_)
#undef CASE_
};

const cs_schema_headline cs_schema_headlines[CS_SCHEMA_N_HEADLINES] = {
#define HEADLINE_(measure_, label_, display_)                                                      \
    {.measure = measure_, .label = label_, .display = display_},
    CS_HEADLINE_MEASURES(HEADLINE_)
#undef HEADLINE_
};

size_t cs_type_size(cs_type t)
{
    switch (t) {
    case CS_TYPE_F64:
    case CS_TYPE_I64:
    case CS_TYPE_U64:
        return 8;
    case CS_TYPE_F32:
    case CS_TYPE_I32:
    case CS_TYPE_U32:
        return 4;
    case CS_TYPE_U8:
        return 1;
    case CS_TYPE_STRING:
        return sizeof(char *);
    }
    return 0;
}

bool cs_schema_array_count(const cs_schema_array *a, const cs_result_dims *d, size_t *n)
{
    size_t count = 1;
    for (int i = 0; i < a->rank; i++)
        if (!cs_size_mul(count, cs_result_dim(d, a->dims[i]), &count))
            return false;
    *n = count;
    return true;
}

void *cs_schema_array_data(const cs_schema_array *a, cs_replicate_result *r)
{
    char *member = (char *)r + a->offset;
    if (a->scalar)
        return member;
    void *p;
    memcpy(&p, member, sizeof p);
    return p;
}

const void *cs_schema_array_cdata(const cs_schema_array *a, const cs_replicate_result *r)
{
    return cs_schema_array_data(a, (cs_replicate_result *)r);
}

const cs_schema_array *cs_schema_find_array(const char *name)
{
    for (size_t i = 0; i < CS_SCHEMA_N_ARRAYS; i++)
        if (strcmp(cs_schema_arrays[i].name, name) == 0)
            return &cs_schema_arrays[i];
    return NULL;
}

const char *cs_display_name(cs_display d)
{
    switch (d) {
    case CS_SHOW_PERCENT:
        return "percent";
    case CS_SHOW_RATIO:
        return "ratio";
    case CS_SHOW_DAYS:
        return "days";
    }
    return "?";
}

size_t cs_schema_headline_rows(const char *const *names, size_t n_measures, cs_headline_row *out,
                               size_t max)
{
    static const char prefix[] = "accountability_rate_";
    size_t n = 0;
    for (size_t h = 0; h < CS_SCHEMA_N_HEADLINES; h++) {
        const cs_schema_headline *hl = &cs_schema_headlines[h];
        /* By name: a file of an earlier casesim has fewer measures, so a
         * measure's index there may differ from this build's. */
        size_t at = 0;
        while (at < n_measures && strcmp(names[at], cs_measure_table[hl->measure].name) != 0)
            at++;
        if (n < max) {
            out[n].measure = at;
            snprintf(out[n].label, sizeof out[n].label, "%s", hl->label);
            out[n].display = hl->display;
        }
        n++;
        if (hl->measure != CS_M_ACCOUNTABILITY)
            continue;
        for (size_t m = 0; m < n_measures; m++) {
            if (strncmp(names[m], prefix, sizeof prefix - 1) != 0)
                continue;
            if (n < max) {
                out[n].measure = m;
                snprintf(out[n].label, sizeof out[n].label, "Accountability: %s",
                         names[m] + sizeof prefix - 1);
                out[n].display = CS_SHOW_PERCENT;
            }
            n++;
        }
    }
    return n;
}
