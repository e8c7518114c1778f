/*
 * test_rng_streams.c — keyed streams whose keys differ by one in a single
 * word (seed, replicate, group, incident, track, purpose) are uncorrelated.
 *
 * For a pair of streams we draw n = 10^5 32-bit outputs a_i, b_i from each
 * and compute four statistics:
 *   - Pearson correlation of (a_i, b_i), of (a_i, b_(i+1)) and of
 *     (a_(i+1), b_i) (the lags catch one stream being a shifted copy of the
 *     other). For independent streams with finite fourth moments,
 *     sqrt(m) * r -> N(0, 1) for m pairs, so z = r * sqrt(m) is tested.
 *     Pearson sees mostly the high bits;
 *   - a chi-square test of popcount(a_i ^ b_i), which for independent uniform
 *     words is Binomial(32, 1/2), in 13 cells ({0..10}, 11, ..., 21,
 *     {22..32}; the pooled tails each expect about 2500 at n = 10^5, so the
 *     chi-square approximation with 12 degrees of freedom holds). It sees
 *     every bit, including low-bit dependence that Pearson misses.
 *
 * Threshold: a test fails at |z| > 5, and the chi-square at the same tail
 * probability, p < alpha = 2 * Q(5) = 5.7e-7. With 19 pairs (18 neighbours
 * and one plainly seeded pair) x 4 statistics = 76 tests, Bonferroni bounds
 * the chance that independent streams fail this suite at
 * 76 * 5.7e-7 = 4.4e-5; the seeds are fixed, so a pass is
 * reproducible rather than lucky each run. The power is real: at n = 10^5,
 * |z| > 5 means |r| > 0.016, and the negative controls below (identical, lagged,
 * 5%-shared and parity-coupled streams) must all be flagged.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>

#include "casesim/rng.h"

#define N_DRAWS 100000u
#define Z_MAX 5.0
#define N_CELLS 13

/* Per-test tail probability matching |z| > Z_MAX, two-sided. */
static double alpha(void)
{
    return 2.0 * gsl_cdf_ugaussian_Q(Z_MAX);
}

static double pearson(const uint32_t *x, const uint32_t *y, size_t m)
{
    double mx = 0.0, my = 0.0;
    for (size_t i = 0; i < m; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)m;
    my /= (double)m;
    double sxy = 0.0, sxx = 0.0, syy = 0.0;
    for (size_t i = 0; i < m; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    return sxy / sqrt(sxx * syy);
}

static int cell_of(int popcount)
{
    return popcount <= 10 ? 0 : popcount >= 22 ? N_CELLS - 1 : popcount - 10;
}

/* Upper-tail p-value of the chi-square of popcount(a ^ b) against
 * Binomial(32, 1/2). */
static double xor_popcount_p(const uint32_t *a, const uint32_t *b, size_t n)
{
    double expect[N_CELLS] = {0};
    double choose = 1.0; /* C(32, k), exact in a double */
    for (int k = 0; k <= 32; k++) {
        expect[cell_of(k)] += choose * 0x1.0p-32 * (double)n;
        choose = choose * (32 - k) / (k + 1);
    }
    double seen[N_CELLS] = {0};
    for (size_t i = 0; i < n; i++)
        seen[cell_of(__builtin_popcount(a[i] ^ b[i]))] += 1.0;
    double chi2 = 0.0;
    for (int c = 0; c < N_CELLS; c++)
        chi2 += (seen[c] - expect[c]) * (seen[c] - expect[c]) / expect[c];
    return gsl_cdf_chisq_Q(chi2, N_CELLS - 1);
}

/* The four statistics of a pair; *why names the first that failed. */
static int looks_independent(const uint32_t *a, const uint32_t *b, size_t n, char *why,
                             size_t why_len)
{
    double z0 = pearson(a, b, n) * sqrt((double)n);
    double zp = pearson(a, b + 1, n - 1) * sqrt((double)(n - 1));
    double zm = pearson(a + 1, b, n - 1) * sqrt((double)(n - 1));
    double p = xor_popcount_p(a, b, n);
    snprintf(why, why_len, "z(lag 0) = %.2f, z(lag +1) = %.2f, z(lag -1) = %.2f, chi2 p = %.3g", z0,
             zp, zm, p);
    return fabs(z0) <= Z_MAX && fabs(zp) <= Z_MAX && fabs(zm) <= Z_MAX && p >= alpha();
}

static void draw(cs_pcg32 g, uint32_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = cs_pcg32_next(&g);
}

static uint64_t *word_of(cs_stream_key *k, int w)
{
    switch (w) {
    case 0:
        return &k->seed;
    case 1:
        return &k->replicate;
    case 2:
        return &k->group;
    case 3:
        return &k->incident;
    case 4:
        return &k->track;
    default:
        return &k->purpose;
    }
}

static const char *const word_name[6] = {"seed",     "replicate", "group",
                                         "incident", "track",     "purpose"};

/* Neighbouring keys: for each base key and each of the six words, the key
 * with that word + 1 (bases 0 and 1) or with its top bit flipped (base 2,
 * which also checks that high bits of a word are not lost). 3 x 6 = 18 pairs. */
static const cs_stream_key bases[3] = {
    {.seed = 0, .replicate = 0, .group = 0, .incident = 0, .track = 0, .purpose = 1},
    {.seed = 20240601,
     .replicate = 41,
     .group = 2,
     .incident = 123456,
     .track = 3,
     .purpose = CS_STREAM_TRACK},
    {.seed = 1, .replicate = 1, .group = 1, .incident = 1, .track = 1, .purpose = 2},
};

START_TEST(neighbouring_keys_are_uncorrelated)
{
    /* _i runs over 18 pairs: base _i / 6, word _i % 6. */
    int b = _i / 6, w = _i % 6;
    cs_stream_key k0 = bases[b], k1 = bases[b];
    if (b < 2)
        *word_of(&k1, w) += 1;
    else
        *word_of(&k1, w) ^= UINT64_C(1) << 63;
    cs_pcg32 g0, g1;
    cs_pcg32_from_key(&g0, &k0);
    cs_pcg32_from_key(&g1, &k1);
    uint32_t *a = malloc(N_DRAWS * sizeof *a), *c = malloc(N_DRAWS * sizeof *c);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(c);
    draw(g0, a, N_DRAWS);
    draw(g1, c, N_DRAWS);
    char why[160];
    int ok = looks_independent(a, c, N_DRAWS, why, sizeof why);
    free(a);
    free(c);
    ck_assert_msg(ok, "base %d, %s %s: %s", b, word_name[w], b < 2 ? "+1" : "^2^63", why);
}
END_TEST

/* Negative controls: the detector must flag dependent pairs. ---------------- */

enum control { SAME, LAGGED, SHARED_5PCT, PARITY_COUPLED, N_CONTROLS };

START_TEST(detector_flags_dependent_streams)
{
    const cs_stream_key key = {.seed = 99, .purpose = CS_STREAM_ANALYSIS};
    const cs_stream_key other = {.seed = 100, .purpose = CS_STREAM_ANALYSIS};
    cs_pcg32 g, h;
    cs_pcg32_from_key(&g, &key);
    cs_pcg32_from_key(&h, &other);
    uint32_t *a = malloc(N_DRAWS * sizeof *a), *b = malloc(N_DRAWS * sizeof *b);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    draw(g, a, N_DRAWS);
    switch ((enum control)_i) {
    case SAME: /* one stream used twice */
        draw(g, b, N_DRAWS);
        break;
    case LAGGED: /* the other stream is the first one step ahead */
        cs_pcg32_advance(&g, 1);
        draw(g, b, N_DRAWS);
        break;
    case SHARED_5PCT: /* 5% of outputs copied: r ~ 0.05, z ~ 16 */
        for (size_t i = 0; i < N_DRAWS; i++) {
            uint32_t fresh = cs_pcg32_next(&h);
            b[i] = cs_pcg32_uniform(&h) < 0.05 ? a[i] : fresh;
        }
        break;
    case PARITY_COUPLED:
        /* b = a ^ c with c uniform over even-parity words: every bit of b
         * alone is independent of a (Pearson ~ 0), but popcount(a ^ b) is
         * always even; only the chi-square can see this. */
        for (size_t i = 0; i < N_DRAWS; i++) {
            uint32_t c = cs_pcg32_next(&h) & ~1u;
            c |= (uint32_t)__builtin_popcount(c) & 1u;
            b[i] = a[i] ^ c;
        }
        break;
    default:
        ck_abort_msg("no control %d", _i);
    }
    char why[160];
    int ok = looks_independent(a, b, N_DRAWS, why, sizeof why);
    if (_i == PARITY_COUPLED) /* and it is the chi-square that flags it */
        ck_assert_msg(fabs(pearson(a, b, N_DRAWS)) * sqrt((double)N_DRAWS) <= Z_MAX, "%s", why);
    free(a);
    free(b);
    ck_assert_msg(!ok, "control %d not flagged: %s", _i, why);
}
END_TEST

START_TEST(independent_reference_pair_passes)
{
    /* The statistics on two generators seeded the plain way, far apart: a
     * check that the thresholds are not so tight that anything fails. */
    cs_pcg32 g, h;
    cs_pcg32_seed(&g, 42u, 54u);
    cs_pcg32_seed(&h, UINT64_C(0x853c49e6748fea9b), UINT64_C(0xda3e39cb94b95bdb));
    uint32_t *a = malloc(N_DRAWS * sizeof *a), *b = malloc(N_DRAWS * sizeof *b);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    draw(g, a, N_DRAWS);
    draw(h, b, N_DRAWS);
    char why[160];
    int ok = looks_independent(a, b, N_DRAWS, why, sizeof why);
    free(a);
    free(b);
    ck_assert_msg(ok, "%s", why);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rng_streams");
    TCase *tc = tcase_create("keyed streams");
    tcase_add_loop_test(tc, neighbouring_keys_are_uncorrelated, 0, 18);
    tcase_add_loop_test(tc, detector_flags_dependent_streams, 0, N_CONTROLS);
    tcase_add_test(tc, independent_reference_pair_passes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
