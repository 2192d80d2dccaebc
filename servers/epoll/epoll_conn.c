/* httpd-epoll: one connection's state machine (see epoll_worker.h).
 *
 * A turn: parse what is buffered into the reply queue, send the queue with
 * one sendmsg, read more, and again, until the socket has nothing to give,
 * the send side is blocked with a full queue, or the turn's budget is spent. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "epoll_worker.h"

/* Conns kept for reuse: enough for a burst of short connections, and the
 * memory of a past 10,000-connection peak goes back to malloc. */
#define FREE_CONNS_MAX 1024

struct conn *conn_new(struct worker *w, int fd)
{
	struct conn *c = w->free_conns;

	if (c) {
		w->free_conns = (struct conn *)c->timer.next;
		w->nfree--;
	} else {
		c = malloc(sizeof(*c));
		if (!c)
			return NULL;
	}
	/* Everything before the buffers; buf needs no clearing. */
	memset(c, 0, offsetof(struct conn, q));
	c->fd = fd;
	list_init(&c->ready);
	http_parser_init(&c->parser);
	c->since_ms = w->now_ms;
	list_add_tail(&w->active, &c->timer);
	w->nconns++;
	return c;
}

static void ready_add(struct worker *w, struct conn *c)
{
	if (!c->in_ready) {
		c->in_ready = true;
		list_add_tail(&w->ready, &c->ready);
	}
}

void conn_close(struct worker *w, struct conn *c)
{
	/* close() also removes the fd from the epoll set: nobody dup()s it. */
	close(c->fd);
	list_del(&c->timer);
	if (c->in_ready)
		list_del(&c->ready);
	w->nconns--;
	if (w->nfree < FREE_CONNS_MAX) {
		c->timer.next = (struct list_node *)w->free_conns;
		w->free_conns = c;
		w->nfree++;
	} else {
		free(c);
	}
}

void conn_free_all(struct worker *w)
{
	while (!list_empty(&w->active))
		conn_close(w, list_entry(w->active.next, struct conn, timer));
	while (!list_empty(&w->lingering))
		conn_close(w, list_entry(w->lingering.next, struct conn, timer));
	while (w->free_conns) {
		struct conn *c = w->free_conns;
		w->free_conns = (struct conn *)c->timer.next;
		free(c);
	}
	w->nfree = 0;
}

/* A failed read or send. The peer resetting or going away (load generators
 * do at the end of every run) is the client's choice, not a server error. */
static bool conn_error(struct worker *w, struct conn *c)
{
	if (errno != ECONNRESET && errno != EPIPE)
		w->stats.errors++;
	conn_close(w, c);
	return false;
}

bool conn_register(struct worker *w, struct conn *c)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLRDHUP | EPOLLET | (c->wr_blocked ? EPOLLOUT : 0),
		.data.ptr = c,
	};

	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		return conn_error(w, c);
	c->registered = true;
	c->out_registered = c->wr_blocked;
	return true;
}

/* Activity: a request parsed or bytes sent. Bytes received that do not
 * complete a request are not activity, so a client trickling a header
 * slowly is still closed by the idle timeout. */
static void touch(struct worker *w, struct conn *c)
{
	if (c->since_ms != w->now_ms) {
		c->since_ms = w->now_ms;
		list_del(&c->timer);
		list_add_tail(&w->active, &c->timer);
	}
}

/* Moves buffered requests into the reply queue. */
static void parse_buffered(struct worker *w, struct conn *c)
{
	bool parsed = false;

	while (!c->closing && c->qlen < CONN_QUEUE && c->roff < c->rlen) {
		struct http_reply r;
		ssize_t n = http_handle(&c->parser, w->pc, c->buf + c->roff, c->rlen - c->roff, &r);

		if (n == HTTP_INCOMPLETE)
			break;
		c->roff += (uint32_t)n;
		c->q[(c->qhead + c->qlen) % CONN_QUEUE] = r;
		c->qlen++;
		parsed = true;
		w->stats.requests++;
		if (r.page->status >= 400 && r.page->status < 500)
			w->stats.responses_4xx++;
		if (r.close)
			c->closing = true;
	}
	if (c->roff == c->rlen)
		c->roff = c->rlen = 0;
	if (parsed)
		touch(w, c);
}

/* Sends as much of the queue as the socket takes, in one sendmsg.
 * Returns 0, or -1 when the connection failed (and is closed). */
static int flush(struct worker *w, struct conn *c)
{
	struct iovec iov[CONN_QUEUE * 3];
	int niov = 0;
	size_t total = 0;

	/* Replies go out whole in one sendmsg each, so Nagle can only hold back
	 * the tail of a reply that follows another one: on a connection that
	 * stays open. A connection that closes gets its tail pushed by the FIN,
	 * so it is spared the setsockopt (nginx does the same). */
	if (!c->nodelay && !c->closing) {
		const int one = 1;
		if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
			conn_error(w, c);
			return -1;
		}
		c->nodelay = true;
	}

	for (unsigned i = 0; i < c->qlen; i++) {
		const struct http_reply *r = &c->q[(c->qhead + i) % CONN_QUEUE];
		int k = http_reply_iov(r, &w->clock, &iov[niov]);

		if (i == 0) {
			size_t skip = c->head_sent;
			int first = niov;

			if (c->slot_copied)
				iov[first + 1].iov_base = c->slot_copy;
			/* Drop the bytes already sent from the front. */
			while (skip && skip >= iov[first].iov_len) {
				skip -= iov[first].iov_len;
				memmove(&iov[first], &iov[first + 1], (size_t)(k - 1) * sizeof(iov[0]));
				k--;
			}
			iov[first].iov_base = (char *)iov[first].iov_base + skip;
			iov[first].iov_len -= skip;
		}
		for (int j = 0; j < k; j++)
			total += iov[niov + j].iov_len;
		niov += k;
	}

	/* A reply that ends the connection goes out with MSG_MORE: its last
	 * segment then waits for close(), which attaches our FIN to it. One
	 * segment fewer per connection for both kernels (on veth the client's
	 * receive runs on our CPU), and nothing waits: close() follows at once. */
	const struct http_reply *last = &c->q[(c->qhead + c->qlen - 1) % CONN_QUEUE];
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)niov };
	ssize_t n = sendmsg(c->fd, &msg, last->close ? MSG_MORE : 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR) {
			n = 0;
		} else {
			conn_error(w, c);
			return -1;
		}
	}
	w->stats.bytes_sent += (uint64_t)n;
	if (n > 0)
		touch(w, c);

	/* Retire what went out. */
	size_t left = (size_t)n;
	while (left && c->qlen) {
		const struct http_reply *r = &c->q[c->qhead];
		size_t rest = http_reply_len(r) - c->head_sent;

		if (left < rest) {
			c->head_sent += left;
			/* Cut inside the Date/Connection slot: keep the rest of this
			 * very slot, since the clock may tick before the next send. */
			if (!c->slot_copied && c->head_sent > r->page->head_len &&
			    c->head_sent < r->page->head_len + HTTP_SLOT_LEN) {
				memcpy(c->slot_copy, http_clock_slot(&w->clock, r->close), HTTP_SLOT_LEN);
				c->slot_copied = true;
			}
			break;
		}
		left -= rest;
		c->head_sent = 0;
		c->slot_copied = false;
		c->qhead = (uint16_t)((c->qhead + 1) % CONN_QUEUE);
		c->qlen--;
	}

	if ((size_t)n < total) {
		c->wr_blocked = true;
		/* Not registered yet: conn_register() includes EPOLLOUT. */
		if (c->registered && !c->out_registered) {
			struct epoll_event ev = {
				.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				.data.ptr = c,
			};
			if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
				conn_error(w, c);
				return -1;
			}
			c->out_registered = true;
		}
	}
	return 0;
}

/* All replies sent, the last one said close. */
static bool finish_close(struct worker *w, struct conn *c)
{
	/* Input we have not read (pipelined requests after the close, the rest
	 * of a rejected request) would make close() send RST, and the client's
	 * kernel may then drop reply bytes it has not delivered yet. So in that
	 * case send our FIN first and drain until the client's FIN. */
	if (c->peer_eof || (c->roff == c->rlen && !c->rd_ready)) {
		conn_close(w, c);
		return false;
	}
	if (shutdown(c->fd, SHUT_WR) < 0)
		return conn_error(w, c);
	c->lingering = true;
	c->since_ms = w->now_ms;
	list_del(&c->timer);
	list_add_tail(&w->lingering, &c->timer);
	c->roff = c->rlen = 0;
	return conn_run(w, c);
}

static bool linger_drain(struct worker *w, struct conn *c)
{
	for (int i = 0; i < CONN_READ_BUDGET; i++) {
		ssize_t n = read(c->fd, c->buf, sizeof(c->buf));

		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		if (n < 0 && errno == EAGAIN) {
			c->rd_ready = false;
			return true;
		}
		conn_close(w, c); /* the client's FIN, or its error: done */
		return false;
	}
	ready_add(w, c);
	return true;
}

bool conn_run(struct worker *w, struct conn *c)
{
	int reads = 0;

	if (c->lingering)
		return linger_drain(w, c);
	for (;;) {
		parse_buffered(w, c);
		if (c->qlen && !c->wr_blocked) {
			bool parse_stalled = c->qlen == CONN_QUEUE && c->roff < c->rlen;

			if (flush(w, c) < 0)
				return false;
			/* The queue had stopped parsing; sending made room. */
			if (parse_stalled && c->qlen < CONN_QUEUE)
				continue;
		}
		if (c->qlen == 0) {
			if (c->closing)
				return finish_close(w, c);
			if (c->peer_eof) {
				conn_close(w, c);
				return false;
			}
		}
		/* Backpressure: with a full queue, leave the input in the socket. */
		if (!c->rd_ready || c->closing || c->peer_eof || c->qlen == CONN_QUEUE)
			return true;
		if (reads == CONN_READ_BUDGET) {
			ready_add(w, c);
			return true;
		}
		if (c->roff) {
			memmove(c->buf, c->buf + c->roff, c->rlen - c->roff);
			c->rlen -= c->roff;
			c->roff = 0;
		}
		size_t space = sizeof(c->buf) - c->rlen;
		if (space == 0) {
			/* http_handle answers 431 before this can happen. */
			errno = ENOBUFS;
			return conn_error(w, c);
		}
		ssize_t n = read(c->fd, c->buf + c->rlen, space);
		reads++;
		if (n > 0) {
			c->rlen += (uint32_t)n;
			/* TCP gives all it has: a short read drained the socket, and
			 * bytes arriving later raise a new edge. */
			if ((size_t)n < space)
				c->rd_ready = false;
		} else if (n == 0) {
			c->peer_eof = true;
			c->rd_ready = false;
		} else if (errno == EAGAIN) {
			c->rd_ready = false;
		} else if (errno != EINTR) {
			return conn_error(w, c);
		}
	}
}
