/*
 * core/assert.h — CS_ASSERT, for internal invariants only.
 *
 * CS_ASSERT(cond) checks a fact that no input can break, only a bug in
 * casesim itself: the links of a stage queue, a track's generation counter,
 * the order of the event heap, the counts of a pool, the shape of a result
 * against the results schema. Bad input (a scenario, a results file, an
 * argument) never reaches an assert: it gets a cs_error and a status.
 *
 * Active when CS_ASSERT_ENABLED is defined: in Debug and sanitizer builds,
 * in the fuzzing build, and with -DCASESIM_ASSERT=ON (CMakeLists.txt).
 * Otherwise it compiles to nothing (the condition is not evaluated, so it may
 * be as costly as a check of a whole heap), and release builds pay nothing.
 * A failed assertion names the condition, file, line and function on stderr
 * and aborts: an invariant that does not hold means every later result is
 * suspect, and the abort leaves a core file and a sanitizer stack trace.
 */
#ifndef CASESIM_CORE_ASSERT_H
#define CASESIM_CORE_ASSERT_H

/* Reports a failed assertion and aborts. Never returns. */
_Noreturn void cs_assert_fail(const char *cond, const char *file, int line, const char *func);

#ifdef CS_ASSERT_ENABLED
#define CS_ASSERT(cond) ((cond) ? (void)0 : cs_assert_fail(#cond, __FILE__, __LINE__, __func__))
#else
/* sizeof keeps the condition compiled (names and types checked) but never
 * evaluated. */
#define CS_ASSERT(cond) ((void)sizeof((cond) ? 1 : 0))
#endif

#endif
