/* httpd-uring: one worker's event loop. Everything goes through the ring:
 * the listener (multishot accept), the stop eventfd (POLL_ADD), and a
 * sweep timer (TIMEOUT) that exists only while there are connections, so
 * an idle server sleeps in io_uring_enter with nothing armed but those. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mono_clock.h"
#include "uring.h"

static time_t wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return ts.tv_sec;
}

static void arm_accept(struct worker *w)
{
	struct io_uring_sqe *sqe = uring_sqe(w);

	/* Straight into a free slot of the registered table: no fd. */
	io_uring_prep_multishot_accept_direct(sqe, w->listen_fd, NULL, NULL, 0);
	io_uring_sqe_set_data64(sqe, ud_make(OP_ACCEPT, 0, 0));
	w->accept_armed = true;
	w->accept_retry = false;
}

static void arm_timer(struct worker *w)
{
	struct io_uring_sqe *sqe = uring_sqe(w);

	io_uring_prep_timeout(sqe, &w->sweep_ts, 0, 0);
	io_uring_sqe_set_data64(sqe, ud_make(OP_TIMER, 0, 0));
	w->timer_armed = true;
}

static void arm_stop_poll(struct worker *w)
{
	struct io_uring_sqe *sqe = uring_sqe(w);

	io_uring_prep_poll_add(sqe, server_stop_fd(), POLLIN);
	io_uring_sqe_set_data64(sqe, ud_make(OP_STOP, 0, 0));
}

/* Deadline lists are ordered, so a sweep looks only at what expired. */
static void sweep(struct worker *w)
{
	int idle_ms = w->o->idle_timeout_ms;
	struct conn *c;

	while (idle_ms > 0 && (c = oldest(&w->idle)) && w->now_ms - c->since_ms >= (uint64_t)idle_ms)
		conn_begin_close(w, c, CLOSE_IDLE);
	while ((c = oldest(&w->linger)) && w->now_ms - c->since_ms >= URING_LINGER_MS)
		conn_begin_close(w, c, CLOSE_QUIET);
	if (w->accept_retry && !w->stopping)
		arm_accept(w);
}

static void begin_stop(struct worker *w)
{
	struct conn *c;

	w->stopping = true;
	w->stop_deadline_ms = w->now_ms + URING_STOP_WAIT_MS;
	if (w->accept_armed) {
		struct io_uring_sqe *sqe = uring_sqe(w);

		io_uring_prep_cancel64(sqe, ud_make(OP_ACCEPT, 0, 0), 0);
		io_uring_sqe_set_data64(sqe, ud_make(OP_CANCEL, 0, 0));
	}
	w->accept_retry = false;
	/* Every OPEN connection is on the idle list, every LINGER one on the
	 * linger list. */
	while ((c = oldest(&w->idle)))
		conn_begin_close(w, c, CLOSE_QUIET);
	while ((c = oldest(&w->linger)))
		conn_begin_close(w, c, CLOSE_QUIET);
}

static void on_accept(struct worker *w, const struct io_uring_cqe *cqe)
{
	if (!(cqe->flags & IORING_CQE_F_MORE))
		w->accept_armed = false;
	if (cqe->res >= 0) {
		if ((uint32_t)cqe->res < w->nslots)
			conn_accepted(w, (uint32_t)cqe->res);
		else
			w->stats.errors++; /* outside the table we registered: impossible */
	} else if (cqe->res == -ENFILE) {
		/* Every slot taken (many closes in flight): the kernel dropped
		 * this connection. Accept again once a slot frees up. */
		w->stats.rejected++;
	} else if (cqe->res != -ECANCELED) {
		w->stats.errors++;
	}
	if (!w->accept_armed && !w->stopping) {
		if (cqe->res >= 0)
			arm_accept(w); /* multishot ended without an error: go on */
		else
			w->accept_retry = true; /* at the next close or sweep: never spin */
	}
}

static void on_conn_cqe(struct worker *w, const struct io_uring_cqe *cqe)
{
	uint64_t ud = cqe->user_data;
	enum cqe_op op = ud_op(ud);
	uint32_t slot = ud_slot(ud);
	struct conn *c = slot < w->nslots ? &w->conns[slot] : NULL;
	bool live = c && c->gen == ud_gen(ud) && c->state != CONN_FREE;

	switch (op) {
	case OP_RECV:
		if (live && c->state != CONN_CLOSING)
			conn_on_recv(w, c, cqe);
		if (cqe->flags & IORING_CQE_F_BUFFER) {
			/* Even a stale CQE's buffer goes back to the ring. */
			unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
			io_uring_buf_ring_add(w->br, w->bufs + (size_t)bid * w->cfg->buf_size,
					      (unsigned)w->cfg->buf_size, (unsigned short)bid,
					      (int)w->buf_mask, (int)w->bufs_returned++);
		}
		break;
	case OP_SEND:
	case OP_SEND_ZC:
		if (live && c->state != CONN_CLOSING)
			conn_on_send(w, c, cqe, op == OP_SEND_ZC);
		break;
	case OP_SHUTDOWN:
		if (live && c->state != CONN_CLOSING)
			conn_on_shutdown(w, c);
		break;
	case OP_CLOSE:
		if (live && c->state == CONN_CLOSING) {
			conn_on_closed(w, c);
			if (w->accept_retry && !w->stopping)
				arm_accept(w);
		}
		break;
	default:
		break;
	}
}

static void on_cqe(struct worker *w, const struct io_uring_cqe *cqe)
{
	switch (ud_op(cqe->user_data)) {
	case OP_ACCEPT:
		on_accept(w, cqe);
		break;
	case OP_TIMER:
		w->timer_armed = false;
		sweep(w);
		break;
	case OP_STOP:
		if (!w->stopping)
			begin_stop(w);
		break;
	case OP_RECV:
	case OP_SEND:
	case OP_SEND_ZC:
	case OP_SHUTDOWN:
	case OP_CLOSE:
		on_conn_cqe(w, cqe);
		break;
	case OP_REJECT_SEND:
		if (cqe->res > 0)
			w->stats.bytes_sent += (uint64_t)cqe->res;
		break;
	default:
		break; /* CANCEL: nothing to do */
	}
}

void uring_worker_run(struct worker *w)
{
	int idle_ms = w->o->idle_timeout_ms;

	w->sweep_ms = idle_ms > 0 ? idle_ms / 4 : 250;
	if (w->sweep_ms > 250)
		w->sweep_ms = 250;
	if (w->sweep_ms < 10)
		w->sweep_ms = 10;
	w->sweep_ts.tv_sec = w->sweep_ms / 1000;
	w->sweep_ts.tv_nsec = (long long)(w->sweep_ms % 1000) * 1000000;
	w->now_ms = mono_ms();
	http_clock_tick(&w->clock, wall_seconds());

	arm_stop_poll(w);
	if (server_stopping())
		begin_stop(w); /* the signal came before the poll was armed */
	else
		arm_accept(w);
	for (;;) {
		if (w->stopping && (w->in_use == 0 || w->now_ms >= w->stop_deadline_ms))
			break;
		if (!w->timer_armed && (w->in_use > 0 || w->accept_retry || w->stopping))
			arm_timer(w);

		int ret = io_uring_submit_and_wait(&w->ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY && ret != -ETIME) {
			/* The ring is this worker's only way to the kernel: stop
			 * the server, which exits non-zero with this line. */
			server_worker_failed(w->index, "io_uring_submit_and_wait: %s", strerror(-ret));
			goto out; /* the teardown's io_uring_queue_exit closes the rest */
		}
		w->now_ms = mono_ms();
		http_clock_tick(&w->clock, wall_seconds());

		unsigned head, seen = 0;
		struct io_uring_cqe *cqe;
		io_uring_for_each_cqe(&w->ring, head, cqe) {
			on_cqe(w, cqe);
			seen++;
		}
		io_uring_cq_advance(&w->ring, seen);
		if (w->bufs_returned) {
			io_uring_buf_ring_advance(w->br, (int)w->bufs_returned);
			w->bufs_returned = 0;
		}
	}
	if (w->in_use > 0)
		fprintf(stderr, "%s: note: worker %d: %u connections still closing after %d ms\n",
			w->o->prog, w->index, w->in_use, URING_STOP_WAIT_MS);
out:
	close(w->listen_fd);
	w->listen_fd = -1;
}
