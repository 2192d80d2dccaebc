/* httpd-epoll: a worker's event loop, accepting, and the timeouts. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "epoll_worker.h"
#include "mono_clock.h"

/* Constant tags for the two descriptors that are not connections. */
static const char listen_tag, stop_tag;

/* Over the cap: the 503 of every engine (server_reject), then close. */
static void reject(struct worker *w, int fd)
{
	w->stats.bytes_sent += server_reject(w->pc, &w->clock, fd);
	w->stats.rejected++;
}

static void accept_all(struct worker *w)
{
	for (;;) {
		int fd = accept4(w->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			switch (errno) {
			case EAGAIN:
				return;
			case EINTR:
			case ECONNABORTED:
				continue;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				/* The listener is edge-triggered: no new edge comes
				 * for connections already queued, so retry on a timer. */
				w->stats.errors++;
				w->accept_paused = true;
				return;
			default:
				w->stats.errors++;
				return;
			}
		}
		if (w->nconns >= w->o->max_conns) {
			reject(w, fd);
			continue;
		}
		struct conn *c = conn_new(w, fd);
		if (!c) {
			w->stats.errors++;
			close(fd);
			continue;
		}
		w->stats.accepted++;
		/* Read before registering (see epoll_worker.h). */
		c->rd_ready = true;
		if (conn_run(w, c))
			conn_register(w, c);
	}
}

static void sweep_timeouts(struct worker *w)
{
	int idle_ms = w->o->idle_timeout_ms;

	while (idle_ms > 0 && !list_empty(&w->active)) {
		struct conn *c = list_entry(w->active.next, struct conn, timer);
		if (w->now_ms - c->since_ms < (uint64_t)idle_ms)
			break;
		w->stats.idle_closed++;
		conn_close(w, c);
	}
	while (!list_empty(&w->lingering)) {
		struct conn *c = list_entry(w->lingering.next, struct conn, timer);
		if (w->now_ms - c->since_ms < CONN_LINGER_MS)
			break;
		conn_close(w, c);
	}
	if (w->accept_paused) {
		w->accept_paused = false;
		accept_all(w);
	}
	w->next_sweep_ms = w->now_ms + SWEEP_INTERVAL_MS;
}

/* How long epoll_wait may sleep: until the next timeout is due (checked on
 * the sweep grid), forever when nothing can time out, so an idle server
 * sleeps. */
static int wait_timeout(const struct worker *w)
{
	uint64_t due = UINT64_MAX;

	if (!list_empty(&w->ready))
		return 0;
	if (w->o->idle_timeout_ms > 0 && !list_empty(&w->active))
		due = list_entry(w->active.next, struct conn, timer)->since_ms +
		      (uint64_t)w->o->idle_timeout_ms;
	if (!list_empty(&w->lingering)) {
		uint64_t d = list_entry(w->lingering.next, struct conn, timer)->since_ms + CONN_LINGER_MS;
		if (d < due)
			due = d;
	}
	if (w->accept_paused && w->now_ms + SWEEP_INTERVAL_MS < due)
		due = w->now_ms + SWEEP_INTERVAL_MS;
	if (due == UINT64_MAX)
		return -1;
	if (due < w->next_sweep_ms)
		due = w->next_sweep_ms;
	/* +1: the coarse clock must have passed `due` when we wake. */
	return due <= w->now_ms ? 0 : (int)(due - w->now_ms) + 1;
}

static void run_ready_list(struct worker *w)
{
	struct list_node batch;

	/* Detach first: a connection that uses up its budget again goes to
	 * the new list, for the next turn, after fresh events. */
	if (list_empty(&w->ready))
		return;
	batch = w->ready;
	batch.next->prev = &batch;
	batch.prev->next = &batch;
	list_init(&w->ready);
	while (!list_empty(&batch)) {
		struct conn *c = list_entry(batch.next, struct conn, ready);
		list_del(&c->ready);
		c->in_ready = false;
		conn_run(w, c);
	}
}

static void close_listener(struct worker *w)
{
	if (w->listen_fd >= 0) {
		close(w->listen_fd);
		w->listen_fd = -1;
	}
}

void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event events[w->max_events];

	w->now_ms = mono_ms();
	w->next_sweep_ms = w->now_ms + SWEEP_INTERVAL_MS;
	http_clock_tick(&w->clock, time(NULL));

	while (!server_stopping()) {
		int n = epoll_wait(w->epfd, events, w->max_events, wait_timeout(w));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* Nothing this loop can do without its epoll: stop the
			 * server, which exits non-zero with this line. */
			server_worker_failed(w->id, "epoll_wait: %s", strerror(errno));
			break;
		}
		/* One clock read per turn, not per request. */
		w->now_ms = mono_ms();
		http_clock_tick(&w->clock, time(NULL));

		for (int i = 0; i < n; i++) {
			void *tag = events[i].data.ptr;
			uint32_t ev = events[i].events;

			if (tag == &listen_tag) {
				accept_all(w);
				continue;
			}
			if (tag == &stop_tag)
				goto out;
			struct conn *c = tag;
			if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				c->rd_ready = true;
			if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR))
				c->wr_blocked = false;
			/* Already queued for this turn: it runs from the ready list. */
			if (!c->in_ready)
				conn_run(w, c);
		}
		run_ready_list(w);
		if (w->now_ms >= w->next_sweep_ms)
			sweep_timeouts(w);
	}
out:
	close_listener(w);
	conn_free_all(w);
	close(w->epfd);
	w->epfd = -1;
	return NULL;
}

/* Called in the main thread before the worker starts: the epoll instance
 * and its fixed members, so failures are reported before `ready`. */
int worker_setup(struct worker *w)
{
	struct epoll_event ev;

	list_init(&w->active);
	list_init(&w->lingering);
	list_init(&w->ready);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		return -1;
	/* Edge-triggered like the connections: accept_all() drains the queue. */
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.ptr = (void *)&listen_tag };
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->listen_fd, &ev) < 0)
		return -1;
	/* Level-triggered and never read: every worker sees it. */
	ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = (void *)&stop_tag };
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, server_stop_fd(), &ev) < 0)
		return -1;
	return 0;
}
