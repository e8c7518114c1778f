/*
 * casesim/engine_mpi.h — cs_sim_run spread over the ranks of an MPI
 * communicator (only in the MPI build: -DCASESIM_MPI=ON defines
 * CASESIM_HAVE_MPI).
 *
 * Assignment: replicate first + i is run by rank i mod K (K ranks), every
 * variant of it, with OpenMP threads inside each rank (cs_sim_run with a
 * replicate stride of K). Round-robin rather than contiguous blocks because
 * rank 0 delivers results in replicate order: with blocks it would have to
 * hold ranks 1..K-1's results until its own block ends (memory growing with
 * the replicate count), and an interrupted run would keep only rank 0's
 * block. Round-robin keeps every rank within a few replicates of the others,
 * so memory stays bounded and the finished prefix is nearly all the work done.
 * Each rank gets floor(n/K) or ceil(n/K) replicates of equal expected cost.
 *
 * Results are gathered to rank 0, which hands them to its sink (normally the
 * serial HDF5 writer) in exactly cs_sim_run's order; the file therefore does
 * not depend on the rank count. Each (variant, replicate) result is one
 * message of a few KB (sent synchronously, so a rank never runs more than
 * its reorder window ahead of rank 0).
 *
 * Errors and signals: a rank that fails or is stopped tells rank 0, which
 * stops every rank and collects their last messages; every rank then returns
 * the same status and message. Nothing here calls MPI_Abort.
 */
#ifndef CASESIM_ENGINE_MPI_H
#define CASESIM_ENGINE_MPI_H

#ifdef CASESIM_HAVE_MPI
#include <mpi.h>
#include <stddef.h>

#include "casesim/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs cfg over every rank of comm: a collective call, with the same scenario
 * and configuration on every rank except cfg->sink and cfg->sink_ctx, used on
 * rank 0 only (others may pass NULL), and cfg->stop, each rank's own flag
 * (any rank's stop stops the whole run). cfg->replicate_stride must be 0 or 1.
 * MPI must have been initialised with at least MPI_THREAD_SERIALIZED (the
 * sink runs on any OpenMP thread, one at a time). Returns on every rank the
 * same status: CS_OK when rank 0 delivered every result; CS_EINTERRUPTED when
 * some rank was stopped (every replicate delivered is complete, as with
 * cs_sim_run); or the first error, its message prefixed with the rank. */
int cs_sim_run_mpi(const cs_scenario *s, const cs_run_config *cfg, MPI_Comm comm, cs_error *err);

/* Makes every rank of comm agree on a status (a collective call): returns
 * CS_OK if every rank passed CS_OK, else the status of the lowest failing
 * rank, whose messages replace err on every rank (prefixed "rank R: " when
 * R > 0). */
int cs_mpi_agree(MPI_Comm comm, int status, cs_error *err);

/* Broadcasts len bytes at *buf from rank root (a collective call). On other
 * ranks *buf becomes a new allocation of *len bytes plus a NUL (free()).
 * Returns CS_OK, CS_ELIMIT (more than INT_MAX bytes) or CS_ENOMEM; agreed on
 * every rank. */
int cs_mpi_bcast_bytes(MPI_Comm comm, int root, char **buf, size_t *len, cs_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CASESIM_HAVE_MPI */
#endif
