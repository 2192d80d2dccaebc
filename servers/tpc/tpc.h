/* httpd-tpc: one blocking OS thread per connection (the classic model).
 *
 * Accept threads (one per --workers, pinned by --cpus, each with its own
 * SO_REUSEPORT listener) create one detached thread per connection; that
 * thread inherits the accept thread's CPU affinity and runs blocking
 * recv/sendmsg through the HTTP core until the connection ends. */
#ifndef BB_TPC_H
#define BB_TPC_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "http_clock.h"
#include "http_conn.h"
#include "list.h"
#include "server.h"

struct tpc_conn;

/* One accept thread and the connections it spawned. */
struct tpc_worker {
	int index;
	int listen_fd;
	const struct server_options *o;
	const struct page_cache *pc;
	pthread_attr_t conn_attr;   /* detached, small stack */
	struct http_clock clock;    /* the accept thread's, for its 503s */
	bool warned_thread;         /* pthread_create failure reported once */

	/* Guards everything below. Taken by the accept thread at accept and
	 * stop, and by each connection thread once, when it ends. */
	pthread_mutex_t lock;
	pthread_cond_t drained;     /* live dropped to 0 */
	struct list_node conns;     /* live connections, for shutdown() at stop */
	unsigned live;
	bool stopping;
	/* accepted/rejected by the accept thread, the rest folded in by each
	 * connection thread as it ends: so no counter is written by two
	 * threads without the lock. */
	struct server_stats stats;
};

struct tpc_conn {
	struct list_node link;        /* in worker->conns */
	struct tpc_worker *w;
	int fd;
	struct http_clock clock;      /* per connection thread: nothing shared */
	struct server_stats stats;    /* this connection's, folded at the end */
	struct http_conn hc;          /* the HTTP side: parser, reply queue, send cursor */
};

/* Registering a connection (with w->lock held): counted in `live`, and
 * reachable by a stop that must shut its socket down. */
static inline void tpc_conn_link(struct tpc_worker *w, struct tpc_conn *c)
{
	list_add_tail(&w->conns, &c->link);
	w->live++;
}

static inline void tpc_conn_unlink(struct tpc_worker *w, struct tpc_conn *c)
{
	list_del(&c->link);
	w->live--;
}

/* Connection thread body; takes ownership of the (registered) conn. */
void *tpc_conn_main(void *arg);

#endif
