/* --engine epoll (the default): one epoll set per worker thread.
 *
 * Per request: one send() (or one sendmsg() for a pipelined batch) and one
 * read() into the thread's scratch buffer, which the core parses in place.
 * Sockets are registered once, edge-triggered for IN|OUT|RDHUP, so a
 * connection costs one epoll_ctl for its whole life (close() removes it)
 * and a completed connect shows up as EPOLLOUT. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "worker_core.h"

#define READ_BUF_BYTES (128 * 1024) /* per thread, shared by its connections */
#define MAX_EVENTS 256

struct epoll_engine {
	int epfd;
	char *buf;
};

static struct epoll_engine *E(struct wstate *ws)
{
	return ws->engine;
}

static int epoll_init(struct wstate *ws)
{
	struct epoll_engine *e = calloc(1, sizeof(*e));

	if (!e || !(e->buf = malloc(READ_BUF_BYTES))) {
		free(e);
		snprintf(ws->w->fatal_msg, sizeof(ws->w->fatal_msg), "worker %d: out of memory",
			 ws->w->index);
		return -1;
	}
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (e->epfd < 0) {
		snprintf(ws->w->fatal_msg, sizeof(ws->w->fatal_msg), "worker %d: epoll_create1: %s",
			 ws->w->index, strerror(errno));
		free(e->buf);
		free(e);
		return -1;
	}
	ws->engine = e;
	return 0;
}

static void epoll_fini(struct wstate *ws)
{
	close(E(ws)->epfd);
	free(E(ws)->buf);
	free(E(ws));
	ws->engine = NULL;
}

static int epoll_watch(struct wstate *ws, struct conn *c)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.u64 = ((uint64_t)c->gen << 32) | (uint32_t)(c - ws->conns),
	};
	if (epoll_ctl(E(ws)->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		connect_failed(ws, c, errno, "epoll_ctl");
		return -1;
	}
	return 0;
}

static void epoll_flush(struct wstate *ws, struct conn *c)
{
	struct iovec iov[IOV_BATCH];

	while (c->unsent) {
		int cnt = conn_iov(ws, c, iov, IOV_BATCH);
		conn_stamp_sent(ws, c, cnt, ws->now);
		ssize_t n;
		if (cnt == 1) {
			n = send(c->fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
		} else {
			struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)cnt };
			n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return; /* EPOLLOUT (edge) will call again */
			if (errno == EINTR)
				continue;
			conn_send_failed(ws, c, errno);
			return;
		}
		conn_wrote(c, iov, cnt, (size_t)n);
	}
}

/* Nothing is in flight but the socket itself: close() leaves the set. */
static void epoll_closing(struct wstate *ws, struct conn *c)
{
	(void)ws;
	(void)c;
}

static void conn_read(struct wstate *ws, struct conn *c, bool peer_closed)
{
	char *buf = E(ws)->buf;

	for (;;) {
		ssize_t n = read(c->fd, buf, READ_BUF_BYTES);
		if (n > 0) {
			if (!conn_on_data(ws, c, buf, (size_t)n))
				return;
			/* A short read emptied the socket: with edge-triggered epoll the
			 * next arrival raises a new event, so skip the EAGAIN read.
			 * Unless the peer's FIN was already reported: no new edge
			 * will announce it, so read on to the EOF. */
			if ((size_t)n < READ_BUF_BYTES && !peer_closed)
				return;
			continue;
		}
		if (n == 0) {
			conn_on_eof(ws, c);
			return;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (errno == EINTR)
			continue;
		conn_on_read_error(ws, c, errno);
		return;
	}
}

/* After a response that closes: the FIN may already be there (no new edge
 * would announce it), or comes with a later event. */
static void await_fin_read(struct wstate *ws, struct conn *c)
{
	ssize_t n;

	do
		n = read(c->fd, E(ws)->buf, READ_BUF_BYTES);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		conn_on_data(ws, c, E(ws)->buf, (size_t)n);
	else if (n == 0)
		conn_on_eof(ws, c);
	else if (errno != EAGAIN && errno != EWOULDBLOCK)
		conn_on_read_error(ws, c, errno);
}

static void conn_event(struct wstate *ws, struct conn *c, uint32_t events)
{
	if (c->state == C_AWAIT_FIN) {
		await_fin_read(ws, c);
		return;
	}
	if (c->state == C_CONNECTING) {
		if (events & (EPOLLERR | EPOLLHUP)) {
			int err = 0;
			socklen_t len = sizeof(err);
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
				err = errno;
			conn_connect_done(ws, c, err ? err : ECONNREFUSED);
			return;
		}
		if (!(events & EPOLLOUT))
			return;
		conn_connect_done(ws, c, 0);
	}
	if (c->state != C_OPEN)
		return;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		uint32_t gen = c->gen;
		conn_read(ws, c, events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR));
		if (c->gen != gen)
			return;
		if (c->state == C_AWAIT_FIN) {
			/* The FIN may have come with the response: no new edge. */
			await_fin_read(ws, c);
			return;
		}
		if (c->state != C_OPEN)
			return;
	}
	if ((events & EPOLLOUT) && c->unsent)
		epoll_flush(ws, c);
}

static int epoll_wait_events(struct wstate *ws, uint64_t wake_at)
{
	struct epoll_event evs[MAX_EVENTS];
	uint64_t wait = wake_at > ws->now ? wake_at - ws->now : 0;
	struct timespec ts = { .tv_sec = (time_t)(wait / NS_PER_S),
			       .tv_nsec = (long)(wait % NS_PER_S) };
	int n = epoll_pwait2(E(ws)->epfd, evs, MAX_EVENTS, &ts, NULL);

	if (n < 0 && errno == ENOSYS) /* kernels before 5.11: millisecond waits */
		n = epoll_wait(E(ws)->epfd, evs, MAX_EVENTS,
			       (int)((wait + NS_PER_MS - 1) / NS_PER_MS));
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		snprintf(ws->w->fatal_msg, sizeof(ws->w->fatal_msg), "epoll_wait: %s",
			 strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		uint32_t idx = (uint32_t)evs[i].data.u64;
		uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
		struct conn *c = &ws->conns[idx];
		if (c->gen != gen || c->fd < 0)
			continue;
		ws->now = now_ns();
		conn_event(ws, c, evs[i].events);
	}
	return 0;
}

const struct lg_engine lg_engine_epoll = {
	.name = "epoll",
	.init = epoll_init,
	.fini = epoll_fini,
	.watch = epoll_watch,
	.connect = NULL, /* a non-blocking connect() by the core, then watch */
	.flush = epoll_flush,
	.closing = epoll_closing,
	.wait = epoll_wait_events,
};
