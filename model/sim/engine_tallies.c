/*
 * engine_tallies.c — the engine built with the extra tallies of calibration
 * targets (durations, counts by violation kind): cs_sim_replicate_tallied.
 * engine.c explains why it is a second build of the same code.
 */
#define CS_ENGINE_TALLIES 1
#include "engine.c"
