/*
 * scenario/calendar.c — years of a run: their labels (calendar years with
 * `time.start_year`), the arrival years of the cohort, and the cost of a
 * variant while its interventions are in force (casesim/dynamics.h).
 */
#include <math.h>
#include <stdio.h>

#include "casesim/dynamics.h"

/* A count of years within 1e-9 of a whole number is that number (the
 * rounding of sums of years), as cs_schema_count. */
#define YEAR_EPS 1e-9

const char *cs_scenario_year_label(const cs_scenario *s, double y, char *buf, size_t n)
{
    snprintf(buf, n, "%.10g", s->has_start_year ? s->start_year + y : y);
    return buf;
}

size_t cs_cohort_first_year(const cs_scenario *s)
{
    return (size_t)floor(s->warmup_years + YEAR_EPS);
}

size_t cs_cohort_year_count(const cs_scenario *s)
{
    double end = ceil(s->warmup_years + s->cohort_years - YEAR_EPS);
    double first = (double)cs_cohort_first_year(s);
    return end > first ? (size_t)(end - first) : 1u;
}

/* The share of [t0, t1) from `starts` on. */
static double share_in_force(double starts, double t0, double t1)
{
    if (!(t1 > t0))
        return starts <= t0 ? 1.0 : 0.0;
    double from = starts > t0 ? starts : t0;
    return from < t1 ? (t1 - from) / (t1 - t0) : 0.0;
}

double cs_variant_cost_in_force(const cs_scenario *s, size_t v, double t0, double t1)
{
    if (v >= s->n_variants)
        return NAN;
    const cs_variant *var = &s->variants[v];
    double cost = 0.0;
    for (size_t i = 0; i < var->n_applied; i++) {
        const cs_intervention *iv = &s->interventions[var->applied[i]];
        cost += iv->annual_cost * share_in_force(iv->starts, t0, t1);
    }
    return cost;
}

double cs_variant_cohort_cost(const cs_scenario *s, size_t v)
{
    double t0 = s->warmup_years * CS_DAYS_PER_YEAR;
    double t1 = (s->warmup_years + s->cohort_years) * CS_DAYS_PER_YEAR;
    return cs_variant_cost_in_force(s, v, t0, t1);
}
