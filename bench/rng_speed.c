/*
 * rng_speed.c — nanoseconds per random number: cs_pcg32_next,
 * cs_pcg32_uniform, gsl_rng_get / gsl_rng_uniform through cs_gsl_rng_pcg32,
 * cs_pcg32_from_key (seeding one keyed stream), and GSL's mt19937 for
 * comparison.
 *
 * Usage: rng_speed [COUNT]   (numbers per timing, default 5e7)
 *
 * Each figure is the best of REPEATS timings of COUNT calls (the minimum is
 * the least disturbed by other processes on a shared machine). Every result
 * feeds a checksum that is printed, so the compiler cannot drop the loops.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_rng.h>

#include "casesim/rng.h"

#ifndef CS_BENCH_FLAGS
#define CS_BENCH_FLAGS "unknown"
#endif
#ifndef CS_BENCH_BUILD_TYPE
#define CS_BENCH_BUILD_TYPE "unknown"
#endif

#define REPEATS 5

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One benchmark: runs n calls, returns a checksum of the results. */
typedef double (*bench_fn)(size_t n);

static double bench_pcg32_next(size_t n)
{
    cs_pcg32 g;
    cs_pcg32_seed(&g, 42u, 54u);
    uint32_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc += cs_pcg32_next(&g);
    return acc;
}

static double bench_pcg32_uniform(size_t n)
{
    cs_pcg32 g;
    cs_pcg32_seed(&g, 42u, 54u);
    double acc = 0.0;
    for (size_t i = 0; i < n; i++)
        acc += cs_pcg32_uniform(&g);
    return acc;
}

static double bench_gsl_get(const gsl_rng_type *type, size_t n)
{
    gsl_rng *r = gsl_rng_alloc(type);
    if (!r)
        return -1.0;
    gsl_rng_set(r, 42u);
    unsigned long acc = 0;
    for (size_t i = 0; i < n; i++)
        acc += gsl_rng_get(r);
    gsl_rng_free(r);
    return (double)acc;
}

static double bench_gsl_uniform(const gsl_rng_type *type, size_t n)
{
    gsl_rng *r = gsl_rng_alloc(type);
    if (!r)
        return -1.0;
    gsl_rng_set(r, 42u);
    double acc = 0.0;
    for (size_t i = 0; i < n; i++)
        acc += gsl_rng_uniform(r);
    gsl_rng_free(r);
    return acc;
}

static double bench_gsl_pcg32_get(size_t n)
{
    return bench_gsl_get(cs_gsl_rng_pcg32, n);
}
static double bench_gsl_pcg32_uniform(size_t n)
{
    return bench_gsl_uniform(cs_gsl_rng_pcg32, n);
}
static double bench_gsl_mt_get(size_t n)
{
    return bench_gsl_get(gsl_rng_mt19937, n);
}
static double bench_gsl_mt_uniform(size_t n)
{
    return bench_gsl_uniform(gsl_rng_mt19937, n);
}

static double bench_from_key(size_t n)
{
    /* A new incident stream per call, as the engine seeds one per incident. */
    cs_stream_key key = {.seed = 42, .replicate = 1, .group = 2, .purpose = CS_STREAM_INCIDENT};
    cs_pcg32 g;
    uint64_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        key.incident = i;
        cs_pcg32_from_key(&g, &key);
        acc += g.state ^ g.inc;
    }
    return (double)acc;
}

static double bench_from_key_and_draw(size_t n)
{
    /* Seeding plus one uniform: the smallest real use of a keyed stream. */
    cs_stream_key key = {.seed = 42, .replicate = 1, .group = 2, .purpose = CS_STREAM_INCIDENT};
    cs_pcg32 g;
    double acc = 0.0;
    for (size_t i = 0; i < n; i++) {
        key.incident = i;
        cs_pcg32_from_key(&g, &key);
        acc += cs_pcg32_uniform(&g);
    }
    return acc;
}

static const struct {
    const char *name;
    bench_fn fn;
} benches[] = {
    {"cs_pcg32_next", bench_pcg32_next},
    {"cs_pcg32_uniform", bench_pcg32_uniform},
    {"gsl_rng_get (casesim-pcg32)", bench_gsl_pcg32_get},
    {"gsl_rng_uniform (casesim-pcg32)", bench_gsl_pcg32_uniform},
    {"cs_pcg32_from_key", bench_from_key},
    {"cs_pcg32_from_key + uniform", bench_from_key_and_draw},
    {"gsl_rng_get (mt19937)", bench_gsl_mt_get},
    {"gsl_rng_uniform (mt19937)", bench_gsl_mt_uniform},
};

int main(int argc, char **argv)
{
    size_t n = 50000000u;
    if (argc > 1) {
        char *end = NULL;
        unsigned long long v = strtoull(argv[1], &end, 10);
        if (!end || *end != '\0' || v == 0 || v > (unsigned long long)SIZE_MAX) {
            fprintf(stderr, "usage: %s [COUNT > 0]\n", argv[0]);
            return 2;
        }
        n = (size_t)v;
    }
    printf("# rng_speed: best of %d timings of %zu calls each\n", REPEATS, n);
#if defined(__clang__)
    printf("# compiler: clang %s\n", __clang_version__);
#elif defined(__GNUC__)
    printf("# compiler: gcc %s\n", __VERSION__);
#endif
    printf("# build type: %s; flags: %s\n", CS_BENCH_BUILD_TYPE, CS_BENCH_FLAGS);
    printf("%-34s %10s %14s\n", "what", "ns/number", "checksum");
    for (size_t b = 0; b < sizeof benches / sizeof benches[0]; b++) {
        double best = 1e300, sum = 0.0;
        for (int rep = 0; rep < REPEATS; rep++) {
            double t0 = seconds_now();
            sum = benches[b].fn(n);
            double t = seconds_now() - t0;
            best = t < best ? t : best;
        }
        printf("%-34s %10.2f %14.6g\n", benches[b].name, 1e9 * best / (double)n, sum);
    }
    return 0;
}
