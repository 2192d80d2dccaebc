/* Inside a loadgen worker: the connection state and the rules that drive
 * it (worker.c), and the I/O engines that move its bytes (engine_epoll.c,
 * engine_uring.c).
 *
 * The split is the one the servers make between their connection core and
 * their engines: everything that decides what is measured (the window,
 * latency from the send, errors, timeouts, the open-loop schedule, and
 * response_done, the one place a completed response is recorded) exists
 * once, in worker.c. An engine only opens sockets to watch, writes what
 * conn_iov says is unsent, and hands what it reads (or the EOF, or the
 * error) to conn_on_data / conn_on_eof / conn_on_read_error. Both engines
 * then measure the same thing, and differ only in what the kernel is asked
 * to do per request. */
#ifndef LG_WORKER_CORE_H
#define LG_WORKER_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "http_response.h"
#include "rng.h"
#include "schedule.h"
#include "verify.h"
#include "worker.h"

#define IOV_BATCH 64 /* requests per write at most */

/* C_AWAIT_FIN: the response said the server closes; we close after its FIN,
 * so the server closes first and keeps the TIME_WAIT, whatever the timing. */
enum conn_state { C_IDLE, C_WAIT_RETRY, C_CONNECTING, C_OPEN, C_AWAIT_FIN };

struct pending {
	uint64_t due_ns;  /* open loop: its schedule time, latency runs from it */
	uint64_t sent_ns; /* when its first byte was written: closed-loop (and
			     * open-loop uncorrected) latency runs from it */
	uint32_t path;
	bool at_send; /* sent_ns is set when the first byte is written */
};

struct conn {
	int fd;
	uint8_t state;
	uint8_t fails; /* consecutive failed connects, for the backoff */
	bool in_ready;
	uint16_t inflight; /* queued requests awaiting responses */
	uint16_t unsent;   /* the newest of them, not fully written yet */
	uint16_t head;     /* ring index of the oldest */
	uint32_t send_off; /* bytes written of the first unsent request */
	uint32_t gen;      /* bumps per socket: stale events are ignored */
	uint64_t queued;   /* requests queued on this socket */
	uint64_t answered; /* responses completed on this socket */
	uint64_t t_connect;
	uint64_t retry_at;
	uint64_t t_answered;  /* C_AWAIT_FIN since */
	int32_t rprev, rnext; /* ready list links */
	struct pending *ring; /* --pipeline entries */
	struct http_response resp;
	struct body_hash hash;
};

struct wstate;

/* An I/O engine: redis ae-style, the same contract over a different
 * mechanism. Each function returns -1 only for what stops the worker
 * (fatal_msg set); a failed connection is the core's business. */
struct lg_engine {
	const char *name;
	int (*init)(struct wstate *ws);
	void (*fini)(struct wstate *ws);
	/* c's non-blocking socket is connecting: report its completion with
	 * conn_connect_done. On failure the engine calls connect_failed. */
	int (*watch)(struct wstate *ws, struct conn *c);
	/* Optional: connect c's blocking socket to --url's address itself
	 * (the core then creates sockets blocking, and calls watch only for
	 * the one main's probe already connected). Same reporting as watch. */
	int (*connect)(struct wstate *ws, struct conn *c);
	/* Write c's unsent requests (conn_iov), now or with the next batch. */
	void (*flush)(struct wstate *ws, struct conn *c);
	/* c's socket is about to be closed: drop what is in flight on it. */
	void (*closing)(struct wstate *ws, struct conn *c);
	/* Wait for events until wake_at (ns, CLOCK_MONOTONIC) at most, and
	 * handle them; -1 (fatal_msg set) stops the worker. */
	int (*wait)(struct wstate *ws, uint64_t wake_at);
};

extern const struct lg_engine lg_engine_epoll;
extern const struct lg_engine lg_engine_uring;

struct wstate {
	struct lg_worker *w;
	const struct lg_run *run;
	const struct lg_options *o;
	const struct lg_engine *eng;
	void *engine; /* the engine's own state */
	struct conn *conns;
	int nconns;
	struct pending *ring_store;
	struct rng rng;
	bool open_loop;
	struct schedule sched;
	int32_t ready_head;
	uint64_t now;
	uint64_t timeout_ns;
	uint64_t housekeeping_every, next_housekeeping;
	bool measuring, stopping;
	uint64_t drain_deadline;
	uint64_t inflight_total;
	uint32_t awaiting_fin; /* connections in C_AWAIT_FIN */
	uint32_t next_src;
	uint32_t depth;
	int open_next; /* connections [open_next, nconns) not opened yet */
	/* Failures since the start (warm-up included), for the timeline. */
	uint64_t live_errors, live_timeouts;
	uint64_t live_connect_errors; /* of live_errors: the timeline tells them apart */
	uint64_t no_conn_noted; /* open loop: requests up to here counted in lag.no_free_conn */
};

/* ---- the core's side of the contract (worker.c) ---- */

/* Fills iov with c's unsent requests (at most max) and returns how many. */
int conn_iov(struct wstate *ws, struct conn *c, struct iovec *iov, int max);
/* The first cnt unsent requests of c leave now (at t): latency runs from t. */
void conn_stamp_sent(struct wstate *ws, struct conn *c, int cnt, uint64_t t);
/* n bytes of the iov that conn_iov filled were written. */
void conn_wrote(struct conn *c, const struct iovec *iov, int cnt, size_t n);
/* A write failed: the requests on c are lost, the slot reconnects. */
void conn_send_failed(struct wstate *ws, struct conn *c, int err);

/* A connecting socket became writable (events: 0, or error set). */
void conn_connect_done(struct wstate *ws, struct conn *c, int err);
void connect_failed(struct wstate *ws, struct conn *c, int err, const char *what);

/* Bytes read from c; false once c is no longer open (closed or reopened). */
bool conn_on_data(struct wstate *ws, struct conn *c, const char *p, size_t len);
/* The server closed (read returned 0). */
void conn_on_eof(struct wstate *ws, struct conn *c);
/* A read failed with err. */
void conn_on_read_error(struct wstate *ws, struct conn *c, int err);

void note_error(char *slot, size_t len, const char *what, int err);

#endif
