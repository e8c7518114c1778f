/* sim_support.c — helpers for the engine's Check suites (see sim_support.h). */
#include "sim_support.h"

#include <check.h>
#include <math.h>
#include <string.h>

cs_scenario *cs_test_scenario(const char *yaml)
{
    cs_error err;
    cs_error_clear(&err);
    cs_scenario *s = NULL;
    int rc = cs_scenario_load_string(yaml, strlen(yaml), "<test>", &s, &err);
    ck_assert_msg(rc == CS_OK, "scenario did not load:\n%s", err.text);
    return s;
}

void cs_test_run_variant(const cs_scenario *s, size_t v, uint64_t seed, uint64_t n, bool records,
                         cs_test_each_fn fn, void *ctx)
{
    cs_error err;
    cs_error_clear(&err);
    const cs_scenario *vs = s->n_variants ? s->variants[v].scenario : s;
    cs_model *m = NULL;
    int rc = cs_model_compile(vs, &m, &err);
    ck_assert_msg(rc == CS_OK, "compile failed: %s", err.text);
    cs_result_dims d;
    cs_result_dims_of(vs, &d);
    cs_replicate_result *r = NULL;
    ck_assert_int_eq(cs_replicate_result_alloc(&d, &r, &err), CS_OK);
    for (uint64_t i = 0; i < n; i++) {
        rc = cs_sim_replicate(m, seed, i, records, NULL, r, &err);
        ck_assert_msg(rc == CS_OK, "replicate %llu failed: %s", (unsigned long long)i, err.text);
        r->variant = v;
        fn(ctx, r);
    }
    cs_replicate_result_free(r);
    cs_model_free(m);
}

void cs_test_mean_se(const double *x, size_t n, double *mean, double *se)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    double mu = s / (double)n, ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - mu) * (x[i] - mu);
    *mean = mu;
    *se = n > 1 ? sqrt(ss / (double)(n - 1) / (double)n) : NAN;
}

const double *cs_test_measures(const cs_replicate_result *r, size_t g)
{
    return &r->measures[g * r->dims.n_measures];
}
