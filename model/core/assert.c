/* core/assert.c — the failure path of CS_ASSERT (see core/assert.h). */
#include "core/assert.h"

#include <stdio.h>
#include <stdlib.h>

_Noreturn void cs_assert_fail(const char *cond, const char *file, int line, const char *func)
{
    /* The only place the library prints: an invariant broke, which is a bug
     * in casesim, and the process ends here. */
    fprintf(stderr, "casesim: internal invariant failed: %s (%s:%d, %s)\n", cond, file, line, func);
    fflush(stderr);
    abort();
}
