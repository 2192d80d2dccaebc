/* httpd-epoll: one worker = one thread, one SO_REUSEPORT listener, one epoll
 * instance and its own connection table. Workers share only read-only state
 * (options, page cache), so no locks and no cache lines bounce between cores.
 *
 * A new connection is read at once, before it joins the epoll set: its
 * request has usually arrived by the time accept returns, and a reply that
 * closes (HTTP/1.0 style clients) is then served with accept4, read, sendmsg
 * and close, no epoll_ctl at all. Connections that stay are registered
 * edge-triggered, once: EPOLLIN | EPOLLRDHUP | EPOLLET, and EPOLLOUT added (one epoll_ctl, kept for
 * the connection's life) the first time a send comes up short. Why edge-
 * triggered: a level-triggered loop must toggle EPOLLOUT with epoll_ctl each
 * time a send blocks and unblocks, and must stop EPOLLIN with another
 * epoll_ctl when the send queue is full (backpressure) or it would spin;
 * with edge triggers the interest set never changes and the connection keeps
 * its own "may read" / "write blocked" flags instead. The price is that
 * readiness must be consumed: a short read or write counts as "drained"
 * (TCP fills the buffer we give it when it can), otherwise the loop comes
 * back to the connection itself (the ready list) rather than waiting for an
 * edge that will not come. */
#ifndef BB_EPOLL_WORKER_H
#define BB_EPOLL_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_clock.h"
#include "http_conn.h"
#include "list.h"
#include "page_cache.h"
#include "server.h"

/* After this many reads in one turn a connection goes to the back of the
 * ready list, so one fast pipelining client cannot starve the others. */
#define CONN_READ_BUDGET 8

/* The linger after a reply that closes (http_conn.h). */
#define CONN_LINGER_MS HTTP_CONN_LINGER_MS

/* Timeouts are checked at most this often. */
#define SWEEP_INTERVAL_MS 100

struct conn {
	struct list_node timer;  /* in worker.active (by last activity) or worker.lingering */
	struct list_node ready;  /* in worker.ready while it has work left over */
	int fd;
	bool in_ready;
	bool rd_ready;           /* the socket may hold unread bytes */
	bool wr_blocked;         /* the last send came up short: wait for EPOLLOUT */
	bool registered;         /* in the epoll set (after its first turn) */
	bool out_registered;     /* EPOLLOUT is in the interest set */
	bool nodelay;            /* TCP_NODELAY set (once it goes keep-alive) */
	bool lingering;          /* our side shut down: dropping input until FIN or timeout */
	uint64_t since_ms;       /* hc.active_ms as its place in the timer list has it */
	struct http_conn hc;     /* the HTTP side: parser, reply queue, send cursor */
};

struct worker {
	int id;
	const struct server_options *o;
	const struct page_cache *pc;
	int listen_fd, epfd;
	int max_events;

	uint64_t now_ms;         /* CLOCK_MONOTONIC_COARSE, read once per loop turn */
	uint64_t next_sweep_ms;
	bool accept_paused;      /* out of descriptors: retry accept at the next sweep */
	struct http_clock clock;

	int nconns;
	struct list_node active;    /* oldest activity first */
	struct list_node lingering; /* oldest first */
	struct list_node ready;
	struct conn *free_conns;    /* reused, linked through timer.next */
	int nfree;

	struct server_stats stats;
};

/* In the main thread, with listen_fd set: the epoll instance and its fixed
 * members. Returns 0, or -1 with errno set. */
int worker_setup(struct worker *w);

/* epoll_busy_poll.c: --busy-poll on a worker's epoll instance and listener.
 * Returns 0, or -1 with one line in err. */
int epoll_busy_poll_setup(int epfd, int listen_fd, unsigned usecs, char *err, size_t errlen);

/* Runs the worker's loop until the server stops; returns NULL. */
void *worker_main(void *arg);

/* epoll_conn.c: one connection's state machine. conn_run() and
 * conn_register() return false when the connection is closed (and freed). */
struct conn *conn_new(struct worker *w, int fd);
bool conn_run(struct worker *w, struct conn *c);
bool conn_register(struct worker *w, struct conn *c);
void conn_close(struct worker *w, struct conn *c);
void conn_free_all(struct worker *w);


#endif
