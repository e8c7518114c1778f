/*
 * work_mpi.c — cs_sim_run over MPI ranks, results gathered to rank 0 in
 * cs_sim_run's delivery order (see casesim/engine_mpi.h). Compiled only in
 * the MPI build.
 *
 * Protocol (tags on the caller's communicator duplicated, so nothing else
 * can match them):
 *   worker -> 0  TAG_DATA  one message per (variant, replicate) result, in
 *                          the worker's delivery order, sent with MPI_Issend
 *                          (complete only when rank 0 has received it, so a
 *                          worker never runs more than its reorder window
 *                          ahead); then one END message with its status and
 *                          error text.
 *   0 -> worker  TAG_STOP  exactly one per worker: early if the run must stop
 *                          (the worker stops taking work and sends END), or
 *                          after its END (a release).
 * Rank 0 receives worker results only when they are next in order, so
 * messages from one worker arrive in its send order (MPI's non-overtaking
 * rule) and need no reordering. When rank 0 stops, it sends TAG_STOP to all
 * and drains each worker until its END; every rank then receives rank 0's
 * final status by broadcast. Workers wait for their sends by polling
 * (MPI_Test) so that they also see TAG_STOP.
 *
 * Messages are raw bytes: the ranks run the same executable on the same
 * architecture (what mpirun launches), so the in-memory layout is shared.
 */
#ifdef CASESIM_HAVE_MPI
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casesim/engine_mpi.h"
#include "sim/pack.h"

enum { TAG_DATA = 71, TAG_STOP = 72 };
enum { KIND_RESULT = 1, KIND_END = 2 };

/* Message header (all fields 8 bytes so the payload that follows is aligned
 * for every type it holds). A KIND_RESULT payload is the result packed by
 * cs_result_pack (sim/pack.h): every array and value of the results schema,
 * then the case records. */
typedef struct msg_header {
    int64_t kind;
    int64_t status;
    uint64_t variant;
    uint64_t n_text; /* KIND_END: bytes of error text */
} msg_header;

/* A growable message buffer. */
typedef struct buffer {
    unsigned char *p;
    size_t cap;
} buffer;

static int reserve(buffer *b, size_t n, cs_error *err)
{
    if (n > (size_t)INT_MAX)
        return cs_error_set(err, CS_ELIMIT, "mpi: a message of %zu bytes is too large", n);
    if (n <= b->cap)
        return CS_OK;
    unsigned char *q = realloc(b->p, n);
    if (!q)
        return cs_error_set(err, CS_ENOMEM, "mpi: out of memory");
    b->p = q;
    b->cap = n;
    return CS_OK;
}

/* Packs r into b after a header; *n gets the message size. size is the
 * packed size of a result without case records (cs_result_packed_size). */
static int pack(size_t size, const cs_replicate_result *r, buffer *b, size_t *n, cs_error *err)
{
    size_t head = sizeof(msg_header);
    if (r->n_cases > (SIZE_MAX - head - size) / sizeof(cs_case_record))
        return cs_error_set(err, CS_ELIMIT, "mpi: too many case records to send");
    *n = head + size + r->n_cases * sizeof(cs_case_record);
    int st = reserve(b, *n, err);
    if (st != CS_OK)
        return st;
    msg_header h = {.kind = KIND_RESULT, .status = CS_OK, .variant = r->variant};
    memcpy(b->p, &h, sizeof h);
    cs_result_pack(r, size, b->p + head);
    return CS_OK;
}

/* Unpacks a KIND_RESULT message of n bytes into r. */
static int unpack(size_t size, const unsigned char *m, size_t n, cs_replicate_result *r,
                  cs_error *err)
{
    msg_header h;
    memcpy(&h, m, sizeof h);
    int st = cs_result_unpack(m + sizeof h, n - sizeof h, size, r, err);
    r->variant = (size_t)h.variant;
    return st == CS_EINTERNAL ? cs_error_set(err, st, "mpi: a result message of the wrong size")
                              : st;
}

static void nap(void)
{
    struct timespec ts = {0, 100000}; /* 100 us */
    nanosleep(&ts, NULL);
}

/* Waits for req, sleeping between tests: a blocking MPI wait spins at full
 * CPU, stealing a core from the simulation on a shared node. */
static void wait_nap(MPI_Request *req)
{
    for (;;) {
        int done = 0;
        MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (done)
            return;
        nap();
    }
}

/* Appends the n bytes of messages in text (lines) to err with status,
 * prefixed "rank R: " when rank > 0. */
static void copy_lines(cs_error *err, int status, int rank, const char *text, size_t n)
{
    size_t at = 0;
    while (at < n) {
        size_t e = at;
        while (e < n && text[e] != '\n')
            e++;
        if (rank > 0)
            cs_error_set(err, status, "rank %d: %.*s", rank, (int)(e - at), text + at);
        else
            cs_error_set(err, status, "%.*s", (int)(e - at), text + at);
        at = e + 1;
    }
    if (n == 0)
        cs_error_set(err, status, "rank %d failed: %s", rank, cs_status_name(status));
}

/* ------------------------------------------------------------------ workers */

/* A worker keeps up to `window` results in flight, each in its own buffer,
 * so that it computes while rank 0 is busy (a synchronous send per result
 * would make the ranks take turns), yet never runs more than `window`
 * results ahead of rank 0 (MPI_Issend completes only once received). */
typedef struct worker_ctx {
    MPI_Comm comm;
    size_t packed; /* size of a packed result without case records */
    size_t window;
    buffer *b;        /* [window] */
    MPI_Request *req; /* [window] */
    uint64_t sent;    /* results sent; the next goes to slot sent % window */
    int stopped;      /* TAG_STOP received */
} worker_ctx;

/* Takes a pending TAG_STOP, if any. */
static void poll_stop(worker_ctx *w)
{
    int flag = 0;
    MPI_Status ms;
    if (w->stopped)
        return;
    MPI_Iprobe(0, TAG_STOP, w->comm, &flag, &ms);
    if (flag) {
        int dummy;
        MPI_Recv(&dummy, 1, MPI_INT, 0, TAG_STOP, w->comm, MPI_STATUS_IGNORE);
        w->stopped = 1;
    }
}

static int worker_sink(void *ctx, const cs_replicate_result *r, cs_error *err)
{
    worker_ctx *w = ctx;
    poll_stop(w);
    if (w->stopped)
        return cs_error_set(err, CS_EINTERRUPTED, "stopped by rank 0");
    size_t slot = (size_t)(w->sent % w->window);
    /* Wait for the slot's previous send: rank 0 receives it in order, or
     * drains it after a stop, so it completes. */
    for (;;) {
        int done = 0;
        MPI_Test(&w->req[slot], &done, MPI_STATUS_IGNORE);
        if (done)
            break;
        poll_stop(w);
        if (w->stopped)
            return cs_error_set(err, CS_EINTERRUPTED, "stopped by rank 0");
        nap();
    }
    size_t n = 0;
    int st = pack(w->packed, r, &w->b[slot], &n, err);
    if (st != CS_OK)
        return st;
    if (MPI_Issend(w->b[slot].p, (int)n, MPI_BYTE, 0, TAG_DATA, w->comm, &w->req[slot]) !=
        MPI_SUCCESS)
        return cs_error_set(err, CS_EIO, "mpi: cannot send a result to rank 0");
    w->sent++;
    return CS_OK;
}

static int send_end(MPI_Comm comm, int status, const cs_error *err)
{
    size_t tl = status == CS_OK || !err ? 0 : strlen(err->text);
    unsigned char *m = malloc(sizeof(msg_header) + tl + 1);
    msg_header h = {.kind = KIND_END, .status = status, .n_text = tl};
    if (!m) {
        /* Still end the protocol: an END without text. */
        h.n_text = 0;
        MPI_Send(&h, (int)sizeof h, MPI_BYTE, 0, TAG_DATA, comm);
        return CS_ENOMEM;
    }
    memcpy(m, &h, sizeof h);
    if (tl)
        memcpy(m + sizeof h, err->text, tl);
    MPI_Send(m, (int)(sizeof h + tl), MPI_BYTE, 0, TAG_DATA, comm);
    free(m);
    return CS_OK;
}

/* ------------------------------------------------------------------- rank 0 */

typedef struct root_ctx {
    MPI_Comm comm;
    int size;
    const cs_run_config *cfg;
    size_t nv;
    size_t packed; /* size of a packed result without case records */
    buffer b;
    cs_replicate_result *res;
    uint64_t next_rep; /* relative index of the next replicate to deliver */
    uint64_t next_var; /* within it, the next variant position (own results) */
    int *ended;        /* [size]: END received */
    int *stop_sent;    /* [size] */
    MPI_Request *stop_req;
    int stop_token;
    int status; /* first failure seen (CS_OK until then) */
} root_ctx;

/* Receives one message from rank src into rc->b; *n its size. */
static int recv_msg(root_ctx *rc, int src, size_t *n, cs_error *err)
{
    MPI_Status ms;
    int count = 0, flag = 0;
    for (;;) {
        MPI_Iprobe(src, TAG_DATA, rc->comm, &flag, &ms);
        if (flag)
            break;
        nap();
    }
    MPI_Get_count(&ms, MPI_BYTE, &count);
    int st = count < (int)sizeof(msg_header)
                 ? cs_error_set(err, CS_EINTERNAL, "mpi: a short message from rank %d", src)
                 : reserve(&rc->b, (size_t)count, err);
    if (st != CS_OK) {
        /* Take the message anyway (truncated: MPI reports an error, returned
         * to us on this communicator), so that the sender's MPI_Issend
         * completes and it cannot hang; the run then stops with st. */
        unsigned char tmp[sizeof(msg_header)];
        MPI_Recv(tmp, (int)sizeof tmp, MPI_BYTE, src, TAG_DATA, rc->comm, MPI_STATUS_IGNORE);
        return st;
    }
    MPI_Recv(rc->b.p, count, MPI_BYTE, src, TAG_DATA, rc->comm, MPI_STATUS_IGNORE);
    *n = (size_t)count;
    return CS_OK;
}

/* Records an END message from src held in rc->b. */
static int take_end(root_ctx *rc, int src, size_t n, cs_error *err)
{
    msg_header h;
    memcpy(&h, rc->b.p, sizeof h);
    rc->ended[src] = 1;
    if (h.status == CS_OK)
        return CS_OK;
    size_t tl = h.n_text <= n - sizeof h ? (size_t)h.n_text : n - sizeof h;
    copy_lines(err, (int)h.status, src, (const char *)rc->b.p + sizeof h, tl);
    return (int)h.status;
}

/* Receives and delivers every variant of worker replicate rel (relative). */
static int deliver_remote(root_ctx *rc, uint64_t rel, cs_error *err)
{
    int src = (int)(rel % (uint64_t)rc->size);
    uint64_t rep = rc->cfg->first_replicate + rel;
    for (size_t v = 0; v < rc->nv; v++) {
        if (rc->ended[src])
            return cs_error_set(err, CS_EINTERNAL, "mpi: rank %d ended before replicate %llu", src,
                                (unsigned long long)rep);
        size_t n = 0;
        int st = recv_msg(rc, src, &n, err);
        if (st != CS_OK)
            return st;
        msg_header h;
        memcpy(&h, rc->b.p, sizeof h);
        if (h.kind == KIND_END) {
            st = take_end(rc, src, n, err);
            if (st == CS_OK)
                st = cs_error_set(err, CS_EINTERNAL,
                                  "mpi: rank %d ended before sending replicate %llu", src,
                                  (unsigned long long)rep);
            return st;
        }
        st = unpack(rc->packed, rc->b.p, n, rc->res, err);
        if (st == CS_OK && rc->res->replicate != rep)
            st = cs_error_set(err, CS_EINTERNAL,
                              "mpi: rank %d sent replicate %llu where %llu was due", src,
                              (unsigned long long)rc->res->replicate, (unsigned long long)rep);
        if (st == CS_OK)
            st = rc->cfg->sink(rc->cfg->sink_ctx, rc->res, err);
        if (st != CS_OK)
            return st;
    }
    return CS_OK;
}

/* Delivers worker replicates up to (excluding) relative replicate `upto`. */
static int deliver_remote_upto(root_ctx *rc, uint64_t upto, cs_error *err)
{
    while (rc->next_rep < upto) {
        if (rc->next_rep % (uint64_t)rc->size != 0) {
            int st = deliver_remote(rc, rc->next_rep, err);
            if (st != CS_OK)
                return st;
        }
        rc->next_rep++;
    }
    return CS_OK;
}

static int root_sink(void *ctx, const cs_replicate_result *r, cs_error *err)
{
    root_ctx *rc = ctx;
    uint64_t rel = r->replicate - rc->cfg->first_replicate;
    if (rc->next_var == 0) {
        /* The first variant of our replicate rel: everything before it first. */
        int st = deliver_remote_upto(rc, rel, err);
        if (st != CS_OK)
            return st;
    }
    int st = rc->cfg->sink(rc->cfg->sink_ctx, r, err);
    if (st != CS_OK)
        return st;
    if (++rc->next_var == rc->nv) {
        rc->next_var = 0;
        rc->next_rep = rel + 1;
    }
    return CS_OK;
}

static void send_stop(root_ctx *rc, int dst)
{
    if (rc->stop_sent[dst])
        return;
    MPI_Isend(&rc->stop_token, 1, MPI_INT, dst, TAG_STOP, rc->comm, &rc->stop_req[dst]);
    rc->stop_sent[dst] = 1;
}

/* After a stop: receives (and discards) each worker's messages until its END,
 * keeping the first real error a worker reports. */
static void drain(root_ctx *rc, cs_error *err)
{
    for (int w = 1; w < rc->size; w++)
        send_stop(rc, w);
    for (int w = 1; w < rc->size; w++) {
        while (!rc->ended[w]) {
            size_t n = 0;
            cs_error local;
            cs_error_clear(&local);
            if (recv_msg(rc, w, &n, &local) != CS_OK) {
                if (rc->status == CS_OK || rc->status == CS_EINTERRUPTED) {
                    rc->status = local.status;
                    cs_error_clear(err);
                    copy_lines(err, local.status, 0, local.text, strlen(local.text));
                }
                /* recv_msg consumed the message even so: go on to the END. */
                continue;
            }
            msg_header h;
            memcpy(&h, rc->b.p, sizeof h);
            if (h.kind != KIND_END)
                continue;
            int st = take_end(rc, w, n, &local);
            /* A real error outranks an interruption (the stop it caused). */
            if (st != CS_OK && st != CS_EINTERRUPTED &&
                (rc->status == CS_OK || rc->status == CS_EINTERRUPTED)) {
                rc->status = st;
                cs_error_clear(err);
                copy_lines(err, st, 0, local.text, strlen(local.text));
            } else if (st == CS_EINTERRUPTED && rc->status == CS_OK) {
                rc->status = st;
                cs_error_set(err, st, "run interrupted");
            }
        }
    }
}

static int run_root(const cs_scenario *s, const cs_run_config *cfg, MPI_Comm comm, int size,
                    size_t nv, cs_error *err)
{
    root_ctx rc;
    memset(&rc, 0, sizeof rc);
    rc.comm = comm;
    rc.size = size;
    rc.cfg = cfg;
    rc.nv = nv;
    cs_result_dims dims;
    cs_result_dims_of(s->n_variants ? s->variants[0].scenario : s, &dims);
    int st = cs_result_packed_size(&dims, &rc.packed, err);
    rc.ended = calloc((size_t)size, sizeof *rc.ended);
    rc.stop_sent = calloc((size_t)size, sizeof *rc.stop_sent);
    rc.stop_req = malloc((size_t)size * sizeof *rc.stop_req);
    if (st == CS_OK && (!rc.ended || !rc.stop_sent || !rc.stop_req))
        st = cs_error_set(err, CS_ENOMEM, "mpi: out of memory");
    if (st == CS_OK)
        st = cs_replicate_result_alloc(&dims, &rc.res, err);
    if (st == CS_OK) {
        cs_run_config mine = *cfg;
        mine.n_replicates = cfg->n_replicates == 0 ? 0 : (cfg->n_replicates - 1) / size + 1;
        mine.replicate_stride = (uint64_t)size;
        mine.sink = root_sink;
        mine.sink_ctx = &rc;
        st = cs_sim_run(s, &mine, err);
        if (st == CS_OK)
            st = deliver_remote_upto(&rc, cfg->n_replicates, err);
    }
    rc.status = st;
    if (st == CS_OK) {
        /* Every result is in: collect each worker's END and release it. */
        for (int w = 1; w < size && rc.status == CS_OK; w++) {
            size_t n = 0;
            int s2 = recv_msg(&rc, w, &n, err);
            if (s2 == CS_OK) {
                msg_header h;
                memcpy(&h, rc.b.p, sizeof h);
                s2 = h.kind == KIND_END
                         ? take_end(&rc, w, n, err)
                         : cs_error_set(err, CS_EINTERNAL, "mpi: rank %d sent too many results", w);
                /* A worker stopped by a signal after its last result lost
                 * nothing: the run is complete. */
                if (s2 == CS_EINTERRUPTED)
                    s2 = CS_OK;
            }
            rc.status = s2;
            if (s2 == CS_OK)
                send_stop(&rc, w);
        }
    }
    if (rc.status != CS_OK && rc.ended)
        drain(&rc, err);
    for (int w = 1; rc.stop_sent && w < size; w++)
        if (rc.stop_sent[w])
            wait_nap(&rc.stop_req[w]);
    st = rc.status;
    cs_replicate_result_free(rc.res);
    free(rc.b.p);
    free(rc.ended);
    free(rc.stop_sent);
    free(rc.stop_req);
    return st;
}

static int run_worker(const cs_scenario *s, const cs_run_config *cfg, MPI_Comm comm, int rank,
                      int size, size_t nv, cs_error *err)
{
    worker_ctx w;
    memset(&w, 0, sizeof w);
    w.comm = comm;
    cs_result_dims dims;
    cs_result_dims_of(s->n_variants ? s->variants[0].scenario : s, &dims);
    int st = cs_result_packed_size(&dims, &w.packed, err);
    /* A few replicates of every variant in flight (each a few KB). */
    w.window = nv > 256 ? 1024 : (4 * nv < 8 ? 8 : 4 * nv);
    w.b = calloc(w.window, sizeof *w.b);
    w.req = malloc(w.window * sizeof *w.req);
    if (st == CS_OK && (!w.b || !w.req))
        st = cs_error_set(err, CS_ENOMEM, "mpi: out of memory");
    for (size_t i = 0; w.req && i < w.window; i++)
        w.req[i] = MPI_REQUEST_NULL;
    if (st == CS_OK) {
        cs_run_config mine = *cfg;
        uint64_t r = (uint64_t)rank, k = (uint64_t)size;
        mine.first_replicate = cfg->first_replicate + r;
        mine.n_replicates = cfg->n_replicates > r ? (cfg->n_replicates - r - 1) / k + 1 : 0;
        mine.replicate_stride = k;
        /* Records for global replicates < first + C: locally j*k < C - r. */
        mine.case_record_replicates =
            cfg->case_record_replicates > r ? cfg->case_record_replicates - r : 0;
        mine.sink = worker_sink;
        mine.sink_ctx = &w;
        if (mine.n_replicates > 0)
            st = cs_sim_run(s, &mine, err);
    }
    send_end(comm, st, err);
    /* Rank 0 takes every result sent (in order, or draining after a stop). */
    for (size_t i = 0; w.req && i < w.window; i++)
        wait_nap(&w.req[i]);
    /* Wait for rank 0's release (or the stop it sent early). */
    if (!w.stopped) {
        int dummy;
        MPI_Request req;
        MPI_Irecv(&dummy, 1, MPI_INT, 0, TAG_STOP, comm, &req);
        wait_nap(&req);
        w.stopped = 1;
    }
    for (size_t i = 0; w.b && i < w.window; i++)
        free(w.b[i].p);
    free(w.b);
    free(w.req);
    return st;
}

int cs_mpi_agree(MPI_Comm comm, int status, cs_error *err)
{
    int rank = 0, size = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int mine = status == CS_OK ? size : rank, first = size;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
    if (first == size)
        return CS_OK;
    struct {
        int status;
        size_t count;
        char text[CS_ERROR_TEXT_MAX];
    } *m = malloc(sizeof *m);
    int bst = status;
    if (m) {
        if (rank == first) {
            m->status = status;
            m->count = err ? strlen(err->text) : 0;
            if (m->count)
                memcpy(m->text, err->text, m->count);
        }
        MPI_Bcast(m, (int)sizeof *m, MPI_BYTE, first, comm);
        bst = m->status;
        if (rank != first && err) {
            cs_error_clear(err);
            copy_lines(err, bst, first, m->text, m->count);
        }
        free(m);
    } else {
        /* Out of memory here: still take part in the broadcast of the status. */
        MPI_Bcast(&bst, 1, MPI_INT, first, comm);
        if (rank != first)
            cs_error_set(err, bst, "rank %d failed: %s", first, cs_status_name(bst));
    }
    return bst == CS_OK ? CS_EINTERNAL : bst;
}

int cs_mpi_bcast_bytes(MPI_Comm comm, int root, char **buf, size_t *len, cs_error *err)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    unsigned long long n = rank == root ? (unsigned long long)*len : 0;
    MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, comm);
    if (n > (unsigned long long)INT_MAX)
        return cs_error_set(err, CS_ELIMIT, "mpi: %llu bytes are too many to broadcast", n);
    int st = CS_OK;
    if (rank != root) {
        *len = (size_t)n;
        *buf = malloc((size_t)n + 1);
        if (!*buf)
            st = cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    st = cs_mpi_agree(comm, st, err);
    if (st != CS_OK) {
        if (rank != root) {
            free(*buf);
            *buf = NULL;
        }
        return st;
    }
    MPI_Bcast(*buf, (int)n, MPI_BYTE, root, comm);
    if (rank != root)
        (*buf)[n] = '\0';
    return CS_OK;
}

int cs_sim_run_mpi(const cs_scenario *s, const cs_run_config *cfg, MPI_Comm comm, cs_error *err)
{
    int rank = 0, size = 1, provided = MPI_THREAD_SINGLE;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    MPI_Query_thread(&provided);
    int st = CS_OK;
    if (!s || !cfg || (rank == 0 && !cfg->sink))
        st =
            cs_error_set(err, CS_EINVAL, "cs_sim_run_mpi: missing scenario, configuration or sink");
    else if (cfg->replicate_stride > 1)
        st = cs_error_set(err, CS_EINVAL, "cs_sim_run_mpi: a replicate stride cannot be split");
    else if (provided < MPI_THREAD_SERIALIZED)
        st = cs_error_set(err, CS_EINVAL,
                          "cs_sim_run_mpi: MPI must provide MPI_THREAD_SERIALIZED or more");
    st = cs_mpi_agree(comm, st, err);
    if (st != CS_OK || cfg->n_replicates == 0)
        return st;
    if (cfg->first_replicate > UINT64_MAX - cfg->n_replicates)
        return cs_error_set(err, CS_ELIMIT, "cs_sim_run_mpi: too many replicates");

    size_t n_all = s->n_variants ? s->n_variants : 1;
    size_t nv = cfg->variants ? cfg->n_variants : (cfg->n_variants ? cfg->n_variants : n_all);
    /* A private communicator: our tags cannot meet the caller's messages. */
    MPI_Comm c;
    if (MPI_Comm_dup(comm, &c) != MPI_SUCCESS)
        return cs_error_set(err, CS_EIO, "mpi: cannot duplicate the communicator");
    /* MPI errors come back as codes here (a truncated receive in recv_msg
     * must not abort the job). */
    MPI_Comm_set_errhandler(c, MPI_ERRORS_RETURN);
    if (size == 1)
        st = cs_sim_run(s, cfg, err);
    else if (rank == 0)
        st = run_root(s, cfg, c, size, nv, err);
    else
        st = run_worker(s, cfg, c, rank, size, nv, err);
    /* Every rank returns rank 0's verdict. */
    if (rank != 0)
        st = CS_OK;
    st = cs_mpi_agree(c, rank == 0 ? st : CS_OK, err);
    MPI_Comm_free(&c);
    return st;
}

#else
/* ISO C forbids an empty translation unit. */
typedef int cs_work_mpi_not_built;
#endif /* CASESIM_HAVE_MPI */
