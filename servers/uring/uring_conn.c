/* httpd-uring: one connection's life, from accept to close_direct.
 *
 * A connection never has more than one recv (multishot) and one send in
 * flight. Closing is ordered: cancel what is in flight, wait for those
 * CQEs (and a linked shutdown's) and for every SEND_ZC notification,
 * then close_direct, and free the slot when that CQE arrives (or when the
 * kernel hands the slot to a new accept, which proves the close took
 * effect). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "uring.h"

/* Unparsed input: stop reading above this (replies are backing up). What
 * a multishot recv delivers before its cancel lands is bounded by the
 * socket's receive buffer (tcp_rmem's maximum, 6 MiB by default), within
 * the core's HTTP_CONN_IN_MAX, so only a client that keeps writing
 * pipelined requests without reading its replies is closed. */
#define IN_PAUSE_BYTES HTTP_MAX_HEADER_BYTES

struct io_uring_sqe *uring_sqe(struct worker *w)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	if (!sqe) {
		/* SQ full mid-batch: hand the kernel what we have. */
		io_uring_submit(&w->ring);
		sqe = io_uring_get_sqe(&w->ring);
	}
	if (!sqe) {
		/* Cannot happen with SUBMIT_ALL (the SQ is emptied); never crash. */
		abort();
	}
	return sqe;
}

static void list_remove(struct conn *c)
{
	list_del(&c->deadline);
	c->list = LIST_NONE;
}

/* To the back of a deadline list: each stays ordered by since_ms. */
static void list_append(struct worker *w, struct conn *c, enum deadline_list which)
{
	list_del(&c->deadline);
	list_add_tail(which == LIST_IDLE ? &w->idle : &w->linger, &c->deadline);
	c->list = (uint8_t)which;
	c->since_ms = w->now_ms;
}

/* The core moved its last activity (a request parsed, bytes sent): the
 * idle list stays ordered by it. */
static void touch(struct worker *w, struct conn *c)
{
	if (c->state == CONN_OPEN && (c->list != LIST_IDLE || c->since_ms != c->hc.active_ms))
		list_append(w, c, LIST_IDLE);
}

static void arm_recv(struct worker *w, struct conn *c)
{
	struct io_uring_sqe *sqe = uring_sqe(w);
	uint32_t slot = conn_slot(w, c);

	io_uring_prep_recv_multishot(sqe, (int)slot, NULL, 0, 0);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
	sqe->buf_group = URING_BGID;
	io_uring_sqe_set_data64(sqe, ud_make(OP_RECV, c->gen, slot));
	c->recv_armed = true;
}

static void submit_close(struct worker *w, struct conn *c)
{
	struct io_uring_sqe *sqe = uring_sqe(w);
	uint32_t slot = conn_slot(w, c);

	io_uring_prep_close_direct(sqe, slot);
	io_uring_sqe_set_data64(sqe, ud_make(OP_CLOSE, c->gen, slot));
	c->state = CONN_CLOSING;
}

/* DRAIN → CLOSING once nothing of this connection is left in flight. */
static void drain_progress(struct worker *w, struct conn *c)
{
	if (c->state != CONN_DRAIN)
		return;
	if (c->recv_armed || c->send_inflight || c->shut_pending) {
		if (!c->cancel_sent) {
			struct io_uring_sqe *sqe = uring_sqe(w);
			uint32_t slot = conn_slot(w, c);

			io_uring_prep_cancel_fd(sqe, (int)slot,
						IORING_ASYNC_CANCEL_FD_FIXED | IORING_ASYNC_CANCEL_ALL);
			io_uring_sqe_set_data64(sqe, ud_make(OP_CANCEL, c->gen, slot));
			c->cancel_sent = true;
		}
		return;
	}
	if (c->zc_pending)
		return; /* the kernel still holds (and may retransmit) our pages */
	submit_close(w, c);
}

void conn_begin_close(struct worker *w, struct conn *c, enum close_reason why)
{
	if (c->state != CONN_OPEN && c->state != CONN_LINGER)
		return;
	if (why == CLOSE_IDLE)
		w->stats.idle_closed++;
	else if (why == CLOSE_ERROR)
		w->stats.errors++;
	list_remove(c);
	w->active--;
	c->state = CONN_DRAIN;
	drain_progress(w, c);
}

void conn_on_closed(struct worker *w, struct conn *c)
{
	http_conn_free(&c->hc);
	c->state = CONN_FREE;
	w->in_use--;
}

/* Over the cap (or stopping): a 503 hard-linked to the close, so the close
 * happens whatever the send does. Never read, never counted as active. */
static void reject(struct worker *w, struct conn *c, uint32_t slot)
{
	struct io_uring_sqe *sqe;
	int n;

	/* The slot kept with the connection: the send may read it later. */
	memcpy(c->hc.slot_close, w->clock.close, HTTP_SLOT_LEN);
	n = server_reject_iov(w->pc, &w->clock, c->iov);
	c->iov[1].iov_base = c->hc.slot_close;
	memset(&c->msg, 0, sizeof(c->msg));
	c->msg.msg_iov = c->iov;
	c->msg.msg_iovlen = (size_t)n;
	sqe = uring_sqe(w);
	io_uring_prep_sendmsg(sqe, (int)slot, &c->msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
	io_uring_sqe_set_data64(sqe, ud_make(OP_REJECT_SEND, c->gen, slot));
	submit_close(w, c);
	w->stats.rejected++;
}

void conn_accepted(struct worker *w, uint32_t slot)
{
	struct conn *c = &w->conns[slot];

	if (c->state == CONN_CLOSING)
		conn_on_closed(w, c); /* its close took effect: the kernel reused the slot */
	if (c->state != CONN_FREE) {
		/* The kernel only allocates free slots; our bookkeeping is wrong.
		 * Close the newcomer rather than corrupt a live connection. */
		struct io_uring_sqe *sqe = uring_sqe(w);
		io_uring_prep_close_direct(sqe, slot);
		io_uring_sqe_set_data64(sqe, ud_make(OP_CANCEL, 0, slot));
		w->stats.errors++;
		return;
	}
	uint32_t gen = (c->gen + 1) & UD_GEN_MASK;
	memset(c, 0, offsetof(struct conn, msg));
	list_init(&c->deadline);
	c->gen = gen;
	c->state = CONN_OPEN;
	w->in_use++;
	if (w->stopping || w->active >= (uint32_t)w->o->max_conns) {
		reject(w, c, slot);
		return;
	}
	w->active++;
	w->stats.accepted++;
	http_conn_init(&c->hc, w->pc, &w->stats, w->now_ms);
	touch(w, c);
	arm_recv(w, c);
}

static bool peer_gone(int res)
{
	return res == -ECONNRESET || res == -EPIPE;
}

/* Our FIN as soon as the send that ends the last reply completes, in the
 * same trip through the kernel, as promptly as epoll's close() after its
 * send. MSG_WAITALL on that send: a short send would break the link.
 * Close-mode clients wait for this FIN and close after it, so the
 * TIME_WAIT stays with us, as when a server closes first. */
static void link_shutdown(struct worker *w, struct conn *c, struct io_uring_sqe *send)
{
	uint32_t slot = conn_slot(w, c);
	struct io_uring_sqe *sqe;

	send->flags |= IOSQE_IO_LINK;
	sqe = uring_sqe(w);
	io_uring_prep_shutdown(sqe, (int)slot, SHUT_WR);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, ud_make(OP_SHUTDOWN, c->gen, slot));
	c->shut_pending++;
}

/* One send from the queue's cursor: a SENDMSG gathering as many replies as
 * fit, or a SEND_ZC of one large body. Short sends resume at the cursor. */
static void start_send(struct worker *w, struct conn *c)
{
	const struct uring_config *cfg = w->cfg;
	uint32_t slot = conn_slot(w, c);
	struct io_uring_sqe *sqe;
	struct http_tx tx;
	int more = 0;

	if (c->state != CONN_OPEN || c->send_inflight || c->hc.q_count == 0)
		return;
	http_conn_tx(&c->hc, &w->clock, c->iov, HTTP_CONN_IOV, cfg->zerocopy ? cfg->zc_threshold : 0, &tx);
	if (tx.large_body) {
		/* Page memory is static: only the notification (not a free)
		 * has to wait for the kernel. */
		sqe = uring_sqe(w);
		io_uring_prep_send_zc(sqe, (int)slot, c->iov[0].iov_base, c->iov[0].iov_len,
				      MSG_NOSIGNAL | (tx.ends_close ? MSG_WAITALL : 0),
				      w->feat.zc_report_usage ? IORING_SEND_ZC_REPORT_USAGE : 0);
		sqe->flags |= IOSQE_FIXED_FILE;
		io_uring_sqe_set_data64(sqe, ud_make(OP_SEND_ZC, c->gen, slot));
		c->send_inflight = true;
		w->zc_sends++;
		if (tx.ends_close)
			link_shutdown(w, c, sqe);
		return;
	}
	if (tx.more)
		more = MSG_MORE; /* a large body follows at once */
	/* A send that ends the reply that closes: its tail waits (MSG_MORE)
	 * for the linked shutdown, which attaches our FIN to the last segment. */
	if (tx.ends_close)
		more = MSG_MORE | MSG_WAITALL;
	memset(&c->msg, 0, sizeof(c->msg));
	c->msg.msg_iov = c->iov;
	c->msg.msg_iovlen = (size_t)tx.niov;
	sqe = uring_sqe(w);
	io_uring_prep_sendmsg(sqe, (int)slot, &c->msg, MSG_NOSIGNAL | more);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, ud_make(OP_SEND, c->gen, slot));
	c->send_inflight = true;
	if (tx.ends_close)
		link_shutdown(w, c, sqe);
}

/* Our last reply is out and the linked shutdown sent our FIN: wait for the
 * client's, never closing over input it sent (that would be an RST). */
static void linger_after_reply(struct worker *w, struct conn *c)
{
	if (c->hc.peer_eof) {
		conn_begin_close(w, c, CLOSE_QUIET);
		return;
	}
	c->state = CONN_LINGER;
	http_conn_linger_start(&c->hc, w->now_ms);
	c->recv_paused = false;
	list_append(w, c, LIST_LINGER);
	if (!c->recv_armed)
		arm_recv(w, c);
}

void conn_on_send(struct worker *w, struct conn *c, const struct io_uring_cqe *cqe, bool zc)
{
	if (zc && (cqe->flags & IORING_CQE_F_NOTIF)) {
		if ((uint32_t)cqe->res & IORING_NOTIF_USAGE_ZC_COPIED)
			w->zc_copied++;
		c->zc_pending--;
		drain_progress(w, c);
		return;
	}
	if (zc && (cqe->flags & IORING_CQE_F_MORE))
		c->zc_pending++;
	c->send_inflight = false;
	if (c->state != CONN_OPEN) {
		drain_progress(w, c);
		return;
	}
	if (cqe->res <= 0) {
		/* EPIPE/ECONNRESET: the client went away, an ordinary end (as
		 * in httpd-epoll). 0 bytes for a non-empty send would spin. */
		conn_begin_close(w, c, peer_gone(cqe->res) ? CLOSE_QUIET : CLOSE_ERROR);
		return;
	}
	/* Retires what went out, and parses what waited for room. */
	http_conn_sent(&c->hc, (size_t)cqe->res, w->now_ms);
	touch(w, c);
	switch (http_conn_next(&c->hc)) {
	case HTTP_CONN_LINGER:
		linger_after_reply(w, c);
		return;
	case HTTP_CONN_CLOSE:
		conn_begin_close(w, c, CLOSE_QUIET);
		return;
	default:
		break;
	}
	/* Read again if we had stopped and the queue drained. */
	if (c->recv_paused && http_conn_unparsed(&c->hc) < IN_PAUSE_BYTES) {
		c->recv_paused = false;
		if (!c->recv_armed && !c->hc.peer_eof)
			arm_recv(w, c);
	}
	start_send(w, c);
}

static void on_data(struct worker *w, struct conn *c, const char *data, size_t len)
{
	if (http_conn_input(&c->hc, data, len, w->now_ms) < 0) {
		/* Lingering: the client sent more than we drop, an ordinary end.
		 * Open: it pipelines without reading, or no memory. */
		conn_begin_close(w, c, c->state == CONN_LINGER ? CLOSE_QUIET : CLOSE_ERROR);
		return;
	}
	if (c->state == CONN_LINGER)
		return;
	touch(w, c);
	if (http_conn_unparsed(&c->hc) >= IN_PAUSE_BYTES && c->recv_armed && !c->recv_paused) {
		/* Replies back up (a client pipelining without reading):
		 * stop reading until the queue drains. */
		struct io_uring_sqe *sqe = uring_sqe(w);
		uint32_t slot = conn_slot(w, c);

		io_uring_prep_cancel64(sqe, ud_make(OP_RECV, c->gen, slot), 0);
		io_uring_sqe_set_data64(sqe, ud_make(OP_CANCEL, c->gen, slot));
		c->recv_paused = true;
	}
	start_send(w, c);
}

void conn_on_recv(struct worker *w, struct conn *c, const struct io_uring_cqe *cqe)
{
	int res = cqe->res;

	if (!(cqe->flags & IORING_CQE_F_MORE))
		c->recv_armed = false;
	if (c->state == CONN_DRAIN) {
		drain_progress(w, c);
		return;
	}
	if (res > 0 && !(cqe->flags & IORING_CQE_F_BUFFER)) {
		conn_begin_close(w, c, CLOSE_ERROR); /* cannot happen with BUFFER_SELECT */
		return;
	}
	if (res > 0) {
		const char *data = w->bufs + (size_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT) * w->cfg->buf_size;
		on_data(w, c, data, (size_t)res);
	} else if (res == 0) {
		http_conn_eof(&c->hc);
		if (c->state == CONN_LINGER || (!c->send_inflight && c->hc.q_count == 0)) {
			conn_begin_close(w, c, CLOSE_QUIET);
			return;
		}
		/* A half-close: finish the replies, then close. */
	} else if (res == -ENOBUFS) {
		w->enobufs++; /* buffers come back at the end of this batch */
	} else if (res != -ECANCELED) {
		conn_begin_close(w, c, peer_gone(res) ? CLOSE_QUIET : CLOSE_ERROR);
		return;
	}
	if (!c->recv_armed && !c->recv_paused && !c->hc.peer_eof &&
	    (c->state == CONN_OPEN || c->state == CONN_LINGER))
		arm_recv(w, c); /* multishot ended (ENOBUFS, CQ pressure, ...): re-arm */
}

/* Whatever the result: -ECANCELED (its send failed, or was short and a
 * later send links another) and -ENOTCONN (the client reset first) are
 * not ours to count. */
void conn_on_shutdown(struct worker *w, struct conn *c)
{
	c->shut_pending--;
	drain_progress(w, c);
}
