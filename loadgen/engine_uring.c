/* --engine uring: one io_uring per worker thread.
 *
 * What it saves against epoll is system calls: a keep-alive request costs
 * one SQE to send and one CQE of a multishot receive, and a loop turn, with
 * however many requests it carries, costs one io_uring_enter (submit and
 * wait together). The rules stay the core's (worker_core.h).
 *
 * - Receive: one multishot recv per socket, armed once it connects, into a
 *   provided buffer ring; each buffer goes back to the ring as soon as the
 *   core has parsed it (the parser keeps no bytes).
 * - Send: one SEND (SENDMSG for a pipelined batch) in flight per socket at
 *   most, so requests never overtake each other; what is queued meanwhile
 *   leaves when it completes. Sockets are blocking once connected and sends
 *   carry MSG_WAITALL, so a send completes whole or fails: the core counts
 *   it written when it is queued. Its requests' send time is taken just
 *   before the io_uring_enter that submits them (latency from the send).
 * - Connect: a blocking socket() by syscall, its connect through the ring
 *   (CONNECT). main's probe, already connecting, is made blocking and
 *   watched with a POLL_ADD for POLLOUT.
 * - Close: the in-flight requests are cancelled by user_data, then close()
 *   (the socket goes once the cancels land). An SQE not yet submitted names
 *   the fd by number, so a socket with one is submitted before its close:
 *   the number may be reused at once.
 * - The ring: SINGLE_ISSUER | DEFER_TASKRUN (completions run in our
 *   io_uring_enter, not as interrupts of the loop) where the kernel has them,
 *   and a registered ring fd. Linux 6.0+ (multishot receive). */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "worker_core.h"

#define URING_SQ_ENTRIES 1024
#define URING_BUF_BYTES (16 * 1024) /* a receive buffer; 16 MiB in all per thread */
#define URING_BUF_COUNT 1024        /* a power of two */
#define URING_BGID 0

/* user_data: what the operation was, and the socket it was for. */
enum { OP_POLL = 1, OP_RECV, OP_SEND, OP_CANCEL, OP_CONNECT };
#define UD_GEN_MASK 0xffffffu

static inline uint64_t ud_make(unsigned op, const struct conn *c, uint32_t idx)
{
	return (uint64_t)op << 56 | (uint64_t)(c->gen & UD_GEN_MASK) << 32 | idx;
}

/* A request whose send time is taken at the next submit. */
struct send_stamp {
	struct pending *p;
	struct conn *c;
	uint32_t gen;
};

/* What the engine has in flight on one connection (by its index). */
struct uring_conn {
	bool recv_armed, send_armed, poll_armed, connect_armed;
	uint32_t sqe_turn; /* the loop turn of its newest unsubmitted SQE */
	struct iovec *iov; /* the send in flight's iovecs */
};

struct uring_engine {
	struct io_uring ring;
	struct uring_conn *uc; /* per connection */
	struct io_uring_buf_ring *br;
	size_t br_bytes;
	char *bufs;
	unsigned buf_mask;
	unsigned bufs_returned; /* added to the ring since its last advance */
	uint32_t turn;          /* bumps at every submit */
	struct iovec *iov_store;
	struct msghdr *msgs; /* per connection, only with --pipeline > 1 */
	int iov_per_conn;
	struct send_stamp *stamps;
	size_t nstamps, stamp_cap;
};

static struct uring_engine *E(struct wstate *ws)
{
	return ws->engine;
}

static struct uring_conn *U(struct wstate *ws, const struct conn *c)
{
	return &E(ws)->uc[c - ws->conns];
}

static int fatal(struct wstate *ws, const char *what, int err)
{
	snprintf(ws->w->fatal_msg, sizeof(ws->w->fatal_msg), "worker %d: --engine uring: %s%s%s",
		 ws->w->index, what, err ? ": " : "", err ? strerror(err) : "");
	return -1;
}

/* Hands the ring what this turn prepared: the returned buffers, the send
 * times (now: the sends leave in this call), the SQEs. */
static void submit_prepared(struct uring_engine *e)
{
	if (e->bufs_returned) {
		io_uring_buf_ring_advance(e->br, (int)e->bufs_returned);
		e->bufs_returned = 0;
	}
	if (e->nstamps) {
		uint64_t t = now_ns();
		for (size_t i = 0; i < e->nstamps; i++)
			if (e->stamps[i].c->gen == e->stamps[i].gen)
				e->stamps[i].p->sent_ns = t;
		e->nstamps = 0;
	}
}

static void submit_now(struct uring_engine *e)
{
	submit_prepared(e);
	io_uring_submit(&e->ring);
	e->turn++;
}

static struct io_uring_sqe *get_sqe(struct uring_engine *e)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&e->ring);

	/* The SQ is full: hand it over and take a fresh one (a submit the
	 * kernel could not take at once, e.g. short of memory, is retried). */
	while (!sqe) {
		submit_now(e);
		sqe = io_uring_get_sqe(&e->ring);
		if (!sqe)
			sched_yield();
	}
	return sqe;
}

static void return_buffer(struct uring_engine *e, unsigned bid)
{
	io_uring_buf_ring_add(e->br, e->bufs + (size_t)bid * URING_BUF_BYTES, URING_BUF_BYTES,
			      (unsigned short)bid, (int)e->buf_mask, (int)e->bufs_returned++);
}

static int setup_ring(struct wstate *ws, struct uring_engine *e)
{
	static const unsigned ladder[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
		0,
	};
	unsigned cq = 4096;
	int ret = -EINVAL;

	while (cq < (unsigned)ws->nconns * 2 + URING_SQ_ENTRIES && cq < 65536)
		cq <<= 1;
	for (size_t i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++) {
		struct io_uring_params p = { .flags = ladder[i] | IORING_SETUP_CQSIZE,
					     .cq_entries = cq };
		ret = io_uring_queue_init_params(URING_SQ_ENTRIES, &e->ring, &p);
		if (ret == 0)
			break;
		if (ret != -EINVAL)
			break;
	}
	if (ret < 0)
		return fatal(ws, "io_uring_setup", -ret);

	struct io_uring_probe *probe = io_uring_get_probe_ring(&e->ring);
	/* SEND_ZC came with multishot receive (6.0), which has no opcode. */
	bool ok = probe && io_uring_opcode_supported(probe, IORING_OP_SEND_ZC) &&
		  io_uring_opcode_supported(probe, IORING_OP_POLL_ADD) &&
		  io_uring_opcode_supported(probe, IORING_OP_ASYNC_CANCEL);
	if (probe)
		io_uring_free_probe(probe);
	if (!ok) {
		io_uring_queue_exit(&e->ring);
		return fatal(ws, "this kernel lacks multishot receive (Linux 6.0+ needed)", 0);
	}
	io_uring_register_ring_fd(&e->ring); /* saves a lookup per enter; optional */

	e->br_bytes = URING_BUF_COUNT * sizeof(struct io_uring_buf);
	e->br = mmap(NULL, e->br_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (e->br == MAP_FAILED) {
		e->br = NULL;
		io_uring_queue_exit(&e->ring);
		return fatal(ws, "mmap of the buffer ring", errno);
	}
	e->bufs = aligned_alloc(4096, (size_t)URING_BUF_COUNT * URING_BUF_BYTES);
	struct io_uring_buf_reg reg = {
		.ring_addr = (unsigned long)e->br,
		.ring_entries = URING_BUF_COUNT,
		.bgid = URING_BGID,
	};
	ret = e->bufs ? io_uring_register_buf_ring(&e->ring, &reg, 0) : -ENOMEM;
	if (ret < 0) {
		io_uring_queue_exit(&e->ring);
		munmap(e->br, e->br_bytes);
		free(e->bufs);
		return fatal(ws, "io_uring_register_buf_ring", -ret);
	}
	io_uring_buf_ring_init(e->br);
	e->buf_mask = (unsigned)io_uring_buf_ring_mask(URING_BUF_COUNT);
	for (unsigned i = 0; i < URING_BUF_COUNT; i++)
		return_buffer(e, i);
	return 0;
}

static int uring_init(struct wstate *ws)
{
	struct uring_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return fatal(ws, "out of memory", 0);
	e->turn = 1;
	e->iov_per_conn = ws->depth < IOV_BATCH ? (int)ws->depth : IOV_BATCH;
	e->stamp_cap = URING_SQ_ENTRIES * (size_t)e->iov_per_conn;
	e->uc = calloc((size_t)ws->nconns, sizeof(*e->uc));
	e->iov_store = calloc((size_t)ws->nconns * (size_t)e->iov_per_conn, sizeof(*e->iov_store));
	e->stamps = calloc(e->stamp_cap, sizeof(*e->stamps));
	if (e->iov_per_conn > 1)
		e->msgs = calloc((size_t)ws->nconns, sizeof(*e->msgs));
	if (!e->uc || !e->iov_store || !e->stamps || (e->iov_per_conn > 1 && !e->msgs)) {
		free(e->uc);
		free(e->iov_store);
		free(e->stamps);
		free(e->msgs);
		free(e);
		return fatal(ws, "out of memory", 0);
	}
	if (setup_ring(ws, e) < 0) {
		free(e->uc);
		free(e->iov_store);
		free(e->stamps);
		free(e->msgs);
		free(e);
		return -1;
	}
	for (int i = 0; i < ws->nconns; i++)
		e->uc[i].iov = e->iov_store + (size_t)i * (size_t)e->iov_per_conn;
	ws->engine = e;
	return 0;
}

static void uring_fini(struct wstate *ws)
{
	struct uring_engine *e = E(ws);

	io_uring_queue_exit(&e->ring); /* cancels what is left; the sockets go */
	munmap(e->br, e->br_bytes);
	free(e->bufs);
	free(e->uc);
	free(e->iov_store);
	free(e->stamps);
	free(e->msgs);
	free(e);
	ws->engine = NULL;
}

static int uring_watch(struct wstate *ws, struct conn *c)
{
	struct uring_conn *u = U(ws, c);
	struct uring_engine *e = E(ws);
	uint32_t idx = (uint32_t)(c - ws->conns);

	/* Blocking from here on: the ring waits for room to send (a send
	 * completes whole or fails); the connect itself is under way. */
	if (fcntl(c->fd, F_SETFL, O_RDWR) < 0) {
		connect_failed(ws, c, errno, "fcntl");
		return -1;
	}
	struct io_uring_sqe *sqe = get_sqe(e);
	io_uring_prep_poll_add(sqe, c->fd, POLLOUT);
	io_uring_sqe_set_data64(sqe, ud_make(OP_POLL, c, idx));
	u->poll_armed = true;
	u->recv_armed = u->send_armed = u->connect_armed = false;
	u->sqe_turn = e->turn;
	return 0;
}

static int uring_connect(struct wstate *ws, struct conn *c)
{
	struct uring_conn *u = U(ws, c);
	struct uring_engine *e = E(ws);
	struct io_uring_sqe *sqe = get_sqe(e);

	io_uring_prep_connect(sqe, c->fd, (const struct sockaddr *)&ws->o->target,
			      ws->o->target_len);
	io_uring_sqe_set_data64(sqe, ud_make(OP_CONNECT, c, (uint32_t)(c - ws->conns)));
	u->connect_armed = true;
	u->recv_armed = u->send_armed = u->poll_armed = false;
	u->sqe_turn = e->turn;
	return 0;
}

static void arm_recv(struct wstate *ws, struct conn *c)
{
	struct uring_conn *u = U(ws, c);
	struct uring_engine *e = E(ws);
	struct io_uring_sqe *sqe = get_sqe(e);

	io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = URING_BGID;
	io_uring_sqe_set_data64(sqe, ud_make(OP_RECV, c, (uint32_t)(c - ws->conns)));
	u->recv_armed = true;
	u->sqe_turn = e->turn;
}

static void uring_flush(struct wstate *ws, struct conn *c)
{
	struct uring_conn *u = U(ws, c);
	struct uring_engine *e = E(ws);

	if (u->send_armed || !c->unsent || c->fd < 0)
		return; /* the send in flight calls again when it completes */
	/* The SQE first: taking it may submit what is queued (a full SQ), and
	 * these requests' send time must come from the submit that sends them. */
	struct io_uring_sqe *sqe = get_sqe(e);
	uint32_t first = (c->head + c->inflight - c->unsent) % ws->depth;
	int cnt = conn_iov(ws, c, u->iov, e->iov_per_conn);
	size_t total = 0;
	for (int k = 0; k < cnt; k++) {
		struct pending *p = &c->ring[(first + (uint32_t)k) % ws->depth];
		total += u->iov[k].iov_len;
		if (p->at_send) {
			p->sent_ns = ws->now; /* until the submit says when */
			p->at_send = false;
			if (e->nstamps < e->stamp_cap)
				e->stamps[e->nstamps++] = (struct send_stamp){ p, c, c->gen };
		}
	}
	if (cnt == 1) {
		io_uring_prep_send(sqe, c->fd, u->iov[0].iov_base, u->iov[0].iov_len,
				   MSG_NOSIGNAL | MSG_WAITALL);
	} else {
		struct msghdr *m = &e->msgs[c - ws->conns];
		*m = (struct msghdr){ .msg_iov = u->iov, .msg_iovlen = (size_t)cnt };
		io_uring_prep_sendmsg(sqe, c->fd, m, MSG_NOSIGNAL | MSG_WAITALL);
	}
	io_uring_sqe_set_data64(sqe, ud_make(OP_SEND, c, (uint32_t)(c - ws->conns)));
	u->send_armed = true;
	u->sqe_turn = e->turn;
	conn_wrote(c, u->iov, cnt, total); /* whole or failed: see the top */
}

static void cancel_op(struct uring_engine *e, struct wstate *ws, struct conn *c, unsigned op)
{
	struct io_uring_sqe *sqe = get_sqe(e);

	io_uring_prep_cancel64(sqe, ud_make(op, c, (uint32_t)(c - ws->conns)), 0);
	io_uring_sqe_set_data64(sqe, (uint64_t)OP_CANCEL << 56);
}

static void uring_closing(struct wstate *ws, struct conn *c)
{
	struct uring_conn *u = U(ws, c);
	struct uring_engine *e = E(ws);

	if (u->sqe_turn == e->turn && io_uring_sq_ready(&e->ring))
		submit_now(e); /* its SQEs name this fd number: before the close */
	if (u->recv_armed)
		cancel_op(e, ws, c, OP_RECV);
	if (u->send_armed)
		cancel_op(e, ws, c, OP_SEND);
	if (u->poll_armed)
		cancel_op(e, ws, c, OP_POLL);
	if (u->connect_armed)
		cancel_op(e, ws, c, OP_CONNECT);
	u->recv_armed = u->send_armed = u->poll_armed = u->connect_armed = false;
}

static bool still_open(const struct conn *c, uint32_t gen)
{
	return c->fd >= 0 && c->gen == gen && (c->state == C_OPEN || c->state == C_AWAIT_FIN);
}

/* The end of a connect: a POLL_ADD's mask, or a CONNECT's 0 or -errno. */
static void on_connect(struct wstate *ws, struct conn *c, int res, bool polled)
{
	struct uring_conn *u = U(ws, c);
	u->poll_armed = u->connect_armed = false;
	if (res == -ECANCELED || c->state != C_CONNECTING)
		return;
	if (res < 0 || (polled && (res & (POLLERR | POLLHUP)))) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (res < 0)
			err = -res;
		else if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		conn_connect_done(ws, c, err ? err : ECONNREFUSED);
		return;
	}
	uint32_t gen = c->gen;
	conn_connect_done(ws, c, 0);
	if (still_open(c, gen) && !u->recv_armed)
		arm_recv(ws, c);
}

static void on_recv(struct wstate *ws, struct conn *c, const struct io_uring_cqe *cqe)
{
	struct uring_conn *u = U(ws, c);
	struct uring_engine *e = E(ws);
	uint32_t gen = c->gen;
	int res = cqe->res;

	if (!(cqe->flags & IORING_CQE_F_MORE))
		u->recv_armed = false;
	if (res > 0) {
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		conn_on_data(ws, c, e->bufs + (size_t)bid * URING_BUF_BYTES, (size_t)res);
		return_buffer(e, bid);
	} else if (res == 0) {
		conn_on_eof(ws, c);
		return;
	} else if (res != -ENOBUFS && res != -ECANCELED) {
		conn_on_read_error(ws, c, -res);
		return;
	}
	/* Ended while the socket stays (ENOBUFS: the ring ran dry, its
	 * buffers are back by the next submit): receive on. */
	if (still_open(c, gen) && !u->recv_armed)
		arm_recv(ws, c);
}

static void on_send(struct wstate *ws, struct conn *c, int res)
{
	struct uring_conn *u = U(ws, c);
	u->send_armed = false;
	if (res == -ECANCELED || !still_open(c, c->gen))
		return;
	if (res < 0) {
		conn_send_failed(ws, c, -res);
		return;
	}
	/* With MSG_WAITALL on a blocking socket a short send only ends in an
	 * error the receive reports; the requests are counted written. */
	if (c->unsent && c->state == C_OPEN)
		uring_flush(ws, c);
}

static void on_cqe(struct wstate *ws, const struct io_uring_cqe *cqe)
{
	uint64_t ud = cqe->user_data;
	unsigned op = (unsigned)(ud >> 56);
	uint32_t idx = (uint32_t)ud;
	uint32_t gen = (uint32_t)(ud >> 32) & UD_GEN_MASK;

	if (op == OP_CANCEL || idx >= (uint32_t)ws->nconns)
		return;
	struct conn *c = &ws->conns[idx];
	if ((c->gen & UD_GEN_MASK) != gen || c->fd < 0) {
		/* A socket that is gone: its buffer still goes back. */
		if (op == OP_RECV && (cqe->flags & IORING_CQE_F_BUFFER))
			return_buffer(E(ws), cqe->flags >> IORING_CQE_BUFFER_SHIFT);
		return;
	}
	ws->now = now_ns();
	switch (op) {
	case OP_POLL:
	case OP_CONNECT:
		on_connect(ws, c, cqe->res, op == OP_POLL);
		break;
	case OP_RECV:
		on_recv(ws, c, cqe);
		break;
	case OP_SEND:
		on_send(ws, c, cqe->res);
		break;
	}
}

static int uring_wait(struct wstate *ws, uint64_t wake_at)
{
	struct uring_engine *e = E(ws);
	uint64_t wait = wake_at > ws->now ? wake_at - ws->now : 0;
	struct __kernel_timespec ts = { .tv_sec = (long long)(wait / NS_PER_S),
					.tv_nsec = (long long)(wait % NS_PER_S) };
	struct io_uring_cqe *cqe;

	submit_prepared(e);
	int ret = io_uring_submit_and_wait_timeout(&e->ring, &cqe, 1, &ts, NULL);
	e->turn++;
	if (ret < 0 && ret != -ETIME && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY)
		return fatal(ws, "io_uring_enter", -ret);
	/* Each CQE is consumed before it is handled, so the CQ has room for
	 * what handling it submits; at most a CQ's worth per turn. */
	for (unsigned budget = e->ring.cq.ring_entries; budget; budget--) {
		if (io_uring_peek_cqe(&e->ring, &cqe) != 0)
			break;
		struct io_uring_cqe copy = *cqe;
		io_uring_cqe_seen(&e->ring, cqe);
		on_cqe(ws, &copy);
	}
	return 0;
}

const struct lg_engine lg_engine_uring = {
	.name = "uring",
	.init = uring_init,
	.fini = uring_fini,
	.watch = uring_watch,
	.connect = uring_connect,
	.flush = uring_flush,
	.closing = uring_closing,
	.wait = uring_wait,
};
