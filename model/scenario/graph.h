/*
 * scenario/graph.h — the stage network of a scenario as a graph: the one
 * cycle check of casesim, used by the loader (which reports the cycle to the
 * author) and by the compiled model (which refuses a scenario it cannot run
 * without looping, whoever built it).
 */
#ifndef CASESIM_SCENARIO_GRAPH_H
#define CASESIM_SCENARIO_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "casesim/scenario.h"

/* The shortest cycle of stages through stage `from` — a way a track could
 * come back to it — into path: path[0] = from, then the stages in order up
 * to the one whose branch leads back to from. Returns its length (1 for a
 * stage that leads to itself), or 0 if no branch path returns to from.
 * Branches are s's (targets in range); breadth-first, O(stages^2 + targets). */
size_t cs_stage_cycle(const cs_scenario *s, size_t from, size_t path[CS_MAX_STAGES]);

/* Whether some stage lies on a cycle without allowing revisits
 * (max_visits < 2): the engine would send a track round it for ever. If so
 * and stage is not NULL, *stage is the first such stage. */
bool cs_stage_cycle_unbounded(const cs_scenario *s, size_t *stage);

#endif
