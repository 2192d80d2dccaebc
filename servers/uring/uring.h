/* httpd-uring: one io_uring per worker thread, set up the way io_uring's
 * authors recommend on Linux 6.x (see uring_setup.c and --help).
 *
 * Every connection lives in a registered ("direct") file slot: accepted by
 * a multishot accept straight into the sparse file table, read by a
 * multishot recv from a provided-buffer ring, written by SENDMSG (or
 * SEND_ZC for large bodies), shut down, cancelled and closed through the
 * ring. The slot index is the connection's index in worker->conns. */
#ifndef BB_URING_H
#define BB_URING_H

#include <liburing.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "http_clock.h"
#include "http_conn.h"
#include "list.h"
#include "server.h"

/* liburing 2.3's header predates these (Linux 6.2). */
#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)
#endif

/* After the reply that closes, our FIN goes out with it (SHUT_WR linked to
 * the send) and we linger for the client's FIN (http_conn.h). */
#define URING_LINGER_MS HTTP_CONN_LINGER_MS
/* How long a stop waits for connections to close. */
#define URING_STOP_WAIT_MS 3000
#define URING_BGID 0            /* the one provided-buffer group per ring */

struct uring_config {
	bool zerocopy;
	uint64_t zc_threshold;  /* bodies of at least this many bytes go SEND_ZC */
	uint64_t buf_size;      /* provided receive buffers: size ... */
	uint64_t buf_count;     /* ... and count (a power of two) per worker */
	uint64_t sq_entries;
	unsigned busy_poll_us;  /* --busy-poll: 0 for none */
	bool steer_cpu;         /* --steer cpu */
};

/* What uring_setup ended up with, for the one "features" line. */
struct uring_features {
	unsigned setup_flags;   /* IORING_SETUP_* accepted by the kernel */
	bool ring_fd_registered;
	bool zc_report_usage;
	unsigned sq_entries, cq_entries, file_slots;
	char notice[256];       /* a fallback taken, or "" */
};

enum conn_state {
	CONN_FREE = 0,
	CONN_OPEN,      /* reading requests, sending replies */
	CONN_LINGER,    /* last reply sent, our side shut down, dropping input until EOF */
	CONN_DRAIN,     /* closing: waiting for its recv/send/notifications to end */
	CONN_CLOSING,   /* close_direct submitted */
};

/* The worker's two deadline lists, each oldest first. */
enum deadline_list {
	LIST_NONE = 0,
	LIST_IDLE,      /* OPEN: by last activity, for the idle timeout */
	LIST_LINGER,    /* LINGER: by the linger's start */
};

struct conn {
	uint32_t gen;           /* bumped at accept: CQEs of an older life are stale */
	uint8_t state;          /* enum conn_state */
	uint8_t list;           /* enum deadline_list: the one it is on */
	bool recv_armed;        /* a multishot recv is (or may still be) active */
	bool recv_paused;       /* too much unparsed input: recv cancelled for now */
	bool send_inflight;
	bool cancel_sent;
	uint8_t shut_pending;   /* SHUT_WR linked to a send, its CQE still to come */
	uint16_t zc_pending;    /* SEND_ZC notifications still to come */
	uint64_t since_ms;      /* hc.active_ms as its place on the idle list has it;
				 * the linger's start on the linger list */
	struct list_node deadline; /* on the worker's idle or linger list */
	/* Stable until the send completes: the kernel may read them after
	 * io_uring_enter returns (a send that waited for buffer space). */
	struct msghdr msg;
	struct iovec iov[HTTP_CONN_IOV];
	struct http_conn hc;    /* the HTTP side: parser, reply queue, send cursor */
};

struct worker {
	int index;
	const struct server_options *o;
	const struct uring_config *cfg;
	const struct page_cache *pc;
	int listen_fd;

	struct io_uring ring;
	bool ring_ready;
	struct uring_features feat;
	struct io_uring_buf_ring *br;
	size_t br_bytes;
	char *bufs;
	unsigned buf_mask;
	unsigned bufs_returned;  /* added to br since the last advance */

	struct conn *conns;      /* indexed by file slot */
	uint32_t nslots;
	uint32_t active;         /* OPEN + LINGER: what --max-conns caps */
	uint32_t in_use;         /* every state but FREE */
	struct list_node idle;   /* OPEN, oldest progress first */
	struct list_node linger; /* LINGER, oldest first */

	struct http_clock clock;
	uint64_t now_ms;
	int sweep_ms;
	struct __kernel_timespec sweep_ts;
	bool accept_armed, accept_retry, timer_armed, stopping;
	uint64_t stop_deadline_ms;

	struct server_stats stats;
	uint64_t enobufs, zc_sends, zc_copied;
};

/* uring_setup.c: ring, buffers, file table; 0 or -1 with err filled. */
int uring_worker_setup(struct worker *w, char *err, size_t errlen);
void uring_worker_teardown(struct worker *w);
void uring_format_features(const struct worker *w, char *buf, size_t len);

/* uring_busy_poll.c: --busy-poll on a worker's ring; 0 or -1 with err filled. */
int uring_busy_poll_setup(struct worker *w, char *err, size_t errlen);

/* uring_loop.c: runs until stop; returns when every connection is closed
 * or the stop deadline passed. */
void uring_worker_run(struct worker *w);

/* uring_conn.c: the connection state machine, driven by uring_loop.c. */
enum cqe_op {
	OP_ACCEPT = 1, OP_RECV, OP_SEND, OP_SEND_ZC, OP_SHUTDOWN, OP_CANCEL,
	OP_CLOSE, OP_REJECT_SEND, OP_TIMER, OP_STOP,
};

#define UD_GEN_MASK 0xffffffu

static inline uint64_t ud_make(enum cqe_op op, uint32_t gen, uint32_t slot)
{
	return (uint64_t)op << 56 | (uint64_t)(gen & UD_GEN_MASK) << 32 | slot;
}
static inline enum cqe_op ud_op(uint64_t ud) { return (enum cqe_op)(ud >> 56); }
static inline uint32_t ud_gen(uint64_t ud) { return (uint32_t)(ud >> 32) & UD_GEN_MASK; }
static inline uint32_t ud_slot(uint64_t ud) { return (uint32_t)ud; }

struct io_uring_sqe *uring_sqe(struct worker *w);
void conn_accepted(struct worker *w, uint32_t slot);
void conn_on_recv(struct worker *w, struct conn *c, const struct io_uring_cqe *cqe);
void conn_on_send(struct worker *w, struct conn *c, const struct io_uring_cqe *cqe, bool zc);
void conn_on_shutdown(struct worker *w, struct conn *c);
void conn_on_closed(struct worker *w, struct conn *c);

enum close_reason { CLOSE_QUIET, CLOSE_IDLE, CLOSE_ERROR };
void conn_begin_close(struct worker *w, struct conn *c, enum close_reason why);

/* The connection at the front of a deadline list (the oldest), or NULL. */
static inline struct conn *oldest(struct list_node *l)
{
	return list_empty(l) ? NULL : list_entry(l->next, struct conn, deadline);
}

static inline uint32_t conn_slot(const struct worker *w, const struct conn *c)
{
	return (uint32_t)(c - w->conns);
}

#endif
