/*
 * fuzz_scenario.c — libFuzzer target for the scenario loader.
 *
 * Feeds arbitrary bytes to cs_scenario_load_string, which parses the YAML,
 * validates every rule and builds every variant (each intervention and
 * bundle patched onto a copy and re-validated), then frees the result. Any
 * crash, leak, out-of-bounds access or undefined behaviour is a finding.
 * The loader must also keep its promises about errors: on failure *out stays
 * NULL and the error holds at least one message; on success there is a
 * baseline variant.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "casesim/error.h"
#include "casesim/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cs_error err; /* 16 KiB: kept off the stack */
    cs_scenario *s = NULL;
    cs_error_clear(&err);
    int rc = cs_scenario_load_string((const char *)data, size, "fuzz.yaml", &s, &err);
    if (rc != CS_OK) {
        /* A broken promise is a finding: abort() makes libFuzzer save the input. */
        if (s != NULL || err.count == 0 || err.status == CS_OK)
            abort();
        return 0;
    }
    if (s == NULL || s->n_variants < 1 || s->variants[0].kind != CS_VARIANT_BASELINE)
        abort();
    /* Touch every variant's names through the lookup functions. */
    for (size_t v = 0; v < s->n_variants; v++) {
        if (cs_scenario_find_variant(s, s->variants[v].name) != (long)v)
            abort();
    }
    for (size_t i = 0; i < s->n_stages; i++) {
        if (cs_scenario_find_stage(s, s->stages[i].name) != (long)i)
            abort();
    }
    cs_scenario_free(s);
    return 0;
}
