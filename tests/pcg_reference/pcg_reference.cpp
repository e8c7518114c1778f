/*
 * pcg_reference.cpp — the pcg-cpp side of pcg_reference.h. Built only for
 * the tests (tests/pcg_reference.cmake); the simulator never links it.
 */
#include "pcg_reference.h"

#include <pcg_random.hpp>

#include <sstream>

extern "C" int pcg_ref_outputs(uint64_t seed, uint64_t stream, uint64_t skip, uint32_t *out,
                               size_t n)
{
    try {
        pcg32 rng(seed, stream);
        rng.advance(skip);
        for (size_t i = 0; i < n; i++)
            out[i] = rng();
        return 0;
    } catch (...) {
        return -1;
    }
}

extern "C" int pcg_ref_state(uint64_t seed, uint64_t stream, uint64_t delta, uint64_t *mult,
                             uint64_t *inc, uint64_t *state)
{
    try {
        pcg32 rng(seed, stream);
        rng.advance(delta);
        std::ostringstream text;
        text << rng;
        std::istringstream in(text.str());
        unsigned long long m = 0, c = 0, s = 0;
        if (!(in >> m >> c >> s))
            return -1;
        *mult = m;
        *inc = c;
        *state = s;
        return 0;
    } catch (...) {
        return -1;
    }
}
