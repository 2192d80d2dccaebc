/* httpd-epoll: one connection's I/O (see epoll_worker.h); what the bytes
 * mean is the connection core's (servers/common/http_conn.h).
 *
 * A turn: send what the core has queued with one sendmsg, read more into
 * the core, and again, until the socket has nothing to give, the send side
 * is blocked with a full queue, or the turn's budget is spent. */
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
		c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
	}
	/* Everything before the core; the core keeps its input buffer. */
	memset(c, 0, offsetof(struct conn, hc));
	c->fd = fd;
	list_init(&c->ready);
	http_conn_init(&c->hc, w->pc, &w->stats, w->now_ms);
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
		http_conn_free(&c->hc);
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
		http_conn_free(&c->hc);
		free(c);
	}
	w->nfree = 0;
}

/* A failed read or send (a peer's reset is not counted: http_conn.h). */
static bool conn_error(struct worker *w, struct conn *c)
{
	http_conn_io_error(&c->hc, errno);
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

/* The core moved its last activity (a request parsed, bytes sent): move
 * the connection to the back of the idle list. */
static void touch(struct worker *w, struct conn *c)
{
	if (!c->lingering && c->since_ms != c->hc.active_ms) {
		c->since_ms = c->hc.active_ms;
		list_del(&c->timer);
		list_add_tail(&w->active, &c->timer);
	}
}

/* Sends as much of the queue as the socket takes, in one sendmsg.
 * Returns 0, or -1 when the connection failed (and is closed). */
static int flush(struct worker *w, struct conn *c)
{
	struct iovec iov[HTTP_CONN_IOV];
	struct http_tx tx;
	size_t total = 0;

	/* Replies go out whole in one sendmsg each, so Nagle can only hold back
	 * the tail of a reply that follows another one: on a connection that
	 * stays open. A connection that closes gets its tail pushed by the FIN,
	 * so it is spared the setsockopt (nginx does the same). */
	if (!c->nodelay && !c->hc.closing) {
		const int one = 1;
		if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
			conn_error(w, c);
			return -1;
		}
		c->nodelay = true;
	}

	http_conn_tx(&c->hc, &w->clock, iov, HTTP_CONN_IOV, 0, &tx);
	for (int i = 0; i < tx.niov; i++)
		total += iov[i].iov_len;

	/* A reply that ends the connection goes out with MSG_MORE: its last
	 * segment then waits for close(), which attaches our FIN to it. One
	 * segment fewer per connection for both kernels (on veth the client's
	 * receive runs on our CPU), and nothing waits: close() follows at once. */
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)tx.niov };
	ssize_t n = sendmsg(c->fd, &msg, tx.ends_close ? MSG_MORE : 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR) {
			conn_error(w, c);
			return -1;
		}
		n = 0;
	}
	http_conn_sent(&c->hc, (size_t)n, w->now_ms);
	touch(w, c);

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

/* The reply that closes is out: our FIN, then linger (http_conn.h). With
 * nothing unread, close() sends the same FIN and no reset can follow, so
 * there is nothing to wait for. */
static bool finish_close(struct worker *w, struct conn *c)
{
	if (!http_conn_unparsed(&c->hc) && !c->rd_ready) {
		conn_close(w, c);
		return false;
	}
	if (shutdown(c->fd, SHUT_WR) < 0)
		return conn_error(w, c);
	c->lingering = true;
	http_conn_linger_start(&c->hc, w->now_ms);
	c->since_ms = w->now_ms;
	list_del(&c->timer);
	list_add_tail(&w->lingering, &c->timer);
	return conn_run(w, c);
}

bool conn_run(struct worker *w, struct conn *c)
{
	int reads = 0;

	for (;;) {
		if (http_conn_next(&c->hc) == HTTP_CONN_SEND && !c->wr_blocked) {
			if (flush(w, c) < 0)
				return false;
			/* Sending made room, and the core parsed what waited. */
			if (!c->wr_blocked && http_conn_next(&c->hc) == HTTP_CONN_SEND)
				continue;
		}
		switch (http_conn_next(&c->hc)) {
		case HTTP_CONN_LINGER:
			if (!c->lingering)
				return finish_close(w, c);
			if (http_conn_linger_full(&c->hc)) {
				conn_close(w, c);
				return false;
			}
			break;
		case HTTP_CONN_CLOSE:
			conn_close(w, c);
			return false;
		case HTTP_CONN_SEND:
		case HTTP_CONN_READ:
			/* Backpressure: with a full queue, leave the input in the socket. */
			if (!http_conn_wants_input(&c->hc))
				return true;
			break;
		}
		if (!c->rd_ready)
			return true;
		if (reads == CONN_READ_BUDGET) {
			ready_add(w, c);
			return true;
		}
		size_t space;
		char *buf = http_conn_read_buf(&c->hc, &space);
		if (!buf || space == 0) {
			/* The core answers 431 before its buffer fills. */
			errno = ENOBUFS;
			return conn_error(w, c);
		}
		ssize_t n = read(c->fd, buf, space);
		reads++;
		if (n > 0) {
			http_conn_read_done(&c->hc, (size_t)n, w->now_ms);
			touch(w, c);
			/* TCP gives all it has: a short read drained the socket, and
			 * bytes arriving later raise a new edge. */
			if ((size_t)n < space)
				c->rd_ready = false;
		} else if (n == 0) {
			http_conn_eof(&c->hc);
			c->rd_ready = false;
		} else if (errno == EAGAIN) {
			c->rd_ready = false;
		} else if (errno != EINTR) {
			return conn_error(w, c);
		}
	}
}
