/* scenario/graph.c — cycles of the stage network (see scenario/graph.h). */
#include "scenario/graph.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* edge[u][v]: a branch of stage u leads to stage v. */
static void edges(const cs_scenario *s, bool edge[CS_MAX_STAGES][CS_MAX_STAGES])
{
    memset(edge, 0, sizeof(bool) * CS_MAX_STAGES * CS_MAX_STAGES);
    for (size_t u = 0; u < s->n_stages; u++) {
        const cs_stage *st = &s->stages[u];
        for (size_t b = 0; b < st->n_branches; b++)
            for (size_t t = 0; t < st->branches[b].n_to; t++)
                if (st->branches[b].to[t].is_stage)
                    edge[u][st->branches[b].to[t].index] = true;
    }
}

size_t cs_stage_cycle(const cs_scenario *s, size_t from, size_t path[CS_MAX_STAGES])
{
    static const size_t NONE = SIZE_MAX;
    bool edge[CS_MAX_STAGES][CS_MAX_STAGES];
    edges(s, edge);
    size_t n = s->n_stages, prev[CS_MAX_STAGES], queue[CS_MAX_STAGES], head = 0, tail = 0;
    for (size_t j = 0; j < CS_MAX_STAGES; j++)
        prev[j] = NONE;
    if (from >= n)
        return 0;
    /* Breadth first from `from` until it is reached again. */
    for (size_t j = 0; j < n; j++)
        if (edge[from][j]) {
            prev[j] = from;
            queue[tail++] = j;
        }
    while (head < tail && prev[from] == NONE) {
        size_t u = queue[head++];
        for (size_t j = 0; j < n; j++)
            if (prev[j] == NONE && edge[u][j]) {
                prev[j] = u;
                queue[tail++] = j;
            }
    }
    if (prev[from] == NONE)
        return 0;
    /* Walk back from `from` to itself, then reverse into path. */
    size_t rev[CS_MAX_STAGES], len = 0, u = from;
    do {
        rev[len++] = u;
        u = prev[u];
    } while (u != from && len < n);
    path[0] = from;
    for (size_t k = 1; k < len; k++)
        path[k] = rev[len - k];
    return len;
}

bool cs_stage_cycle_unbounded(const cs_scenario *s, size_t *stage)
{
    size_t path[CS_MAX_STAGES];
    for (size_t i = 0; i < s->n_stages; i++)
        if (s->stages[i].max_visits < 2 && cs_stage_cycle(s, i, path) > 0) {
            if (stage)
                *stage = i;
            return true;
        }
    return false;
}
