/* httpd-tpc: accept threads, the connection cap, start and stop. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mono_clock.h"
#include "parse_size.h"
#include "tpc.h"

#ifdef __SANITIZE_ADDRESS__
#define DEFAULT_STACK_SIZE (512 << 10) /* ASan's redzones need room */
#else
#define DEFAULT_STACK_SIZE (64 << 10)
#endif
#define MAX_STACK_SIZE (64ULL << 20)
/* How long a stop waits for connection threads to notice their shutdown(). */
#define STOP_WAIT_MS 5000
/* After EMFILE and friends, stop accepting for this long instead of spinning. */
#define ACCEPT_BACKOFF_MS 100

struct tpc_config {
	uint64_t stack_size;
};

static int opt_stack_size(void *cfg, const char *value, char *err, size_t errlen)
{
	struct tpc_config *c = cfg;

	return parse_size(value, (uint64_t)PTHREAD_STACK_MIN, MAX_STACK_SIZE, &c->stack_size,
			  err, errlen);
}

static const struct engine_option tpc_options[] = {
	{ "stack-size", 1, "stack of each connection thread, e.g. 64K (default 64K; 512K under ASan)",
	  opt_stack_size },
	{ NULL, 0, NULL, NULL },
};

static const char tpc_help[] =
	"The classic model: --workers accept threads, each pinned to its --cpus CPU\n"
	"and blocking in accept on its own SO_REUSEPORT listener (the kernel spreads\n"
	"connections over them, no thundering herd, as in httpd-epoll). Each accepted\n"
	"connection gets its own detached OS thread, on its accept thread's CPU, that\n"
	"runs blocking recv/sendmsg until the connection ends.\n"
	"\n"
	"Connection cap: at --max-conns open connections on an accept thread, a new\n"
	"connection is accepted, answered with 503 Service Unavailable (best effort,\n"
	"without blocking) and closed at once, counted as `rejected`; so is one whose\n"
	"thread cannot be created (the thread limit or memory ran out).\n"
	"Idle timeout: SO_RCVTIMEO/SO_SNDTIMEO bound every wait; a request that\n"
	"trickles in without completing is closed at the first byte after the timeout.\n"
	"After a reply that closes, the thread shuts down its side and drains the\n"
	"client for up to 2 s (lingering close), so unread bytes cannot reset it.\n"
	"On SIGINT/SIGTERM every connection is shut down and its thread ends.";

/* The 503 of every engine (server_reject), never blocking the accept
 * thread, then close. */
static void reject(struct tpc_worker *w, int fd)
{
	size_t sent;

	http_clock_tick(&w->clock, time(NULL));
	sent = server_reject(w->pc, &w->clock, fd);
	pthread_mutex_lock(&w->lock);
	w->stats.rejected++;
	w->stats.bytes_sent += sent;
	pthread_mutex_unlock(&w->lock);
}

static void admit(struct tpc_worker *w, int fd)
{
	struct tpc_conn *c = calloc(1, sizeof(*c));
	pthread_t tid;
	int err;

	if (!c) {
		reject(w, fd);
		return;
	}
	c->w = w;
	c->fd = fd;
	pthread_mutex_lock(&w->lock);
	if (w->live >= (unsigned)w->o->max_conns) {
		pthread_mutex_unlock(&w->lock);
		free(c);
		reject(w, fd);
		return;
	}
	tpc_conn_link(w, c);
	w->stats.accepted++;
	pthread_mutex_unlock(&w->lock);

	err = pthread_create(&tid, &w->conn_attr, tpc_conn_main, c);
	if (err == 0)
		return;
	pthread_mutex_lock(&w->lock);
	tpc_conn_unlink(w, c);
	w->stats.accepted--;
	pthread_mutex_unlock(&w->lock);
	free(c);
	reject(w, fd);
	/* Once per worker: a flood of these lines would not help anyone. */
	if (!w->warned_thread) {
		w->warned_thread = true;
		fprintf(stderr, "%s: note: worker %d: pthread_create: %s (rejecting connections until threads end)\n",
			w->o->prog, w->index, strerror(err));
	}
}

/* Shuts every connection down and waits (bounded) for the threads to end. */
static void stop_connections(struct tpc_worker *w)
{
	/* An absolute CLOCK_MONOTONIC time, the clock of w->drained (a coarse
	 * reading is at most a tick early: nothing for a 5 s wait). */
	uint64_t deadline = mono_ms() + STOP_WAIT_MS;
	struct timespec ts = { .tv_sec = (time_t)(deadline / 1000),
			       .tv_nsec = (long)(deadline % 1000) * 1000000 };

	close(w->listen_fd);
	w->listen_fd = -1;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	for (struct list_node *n = w->conns.next; n != &w->conns; n = n->next)
		/* wakes its recv (EOF) or sendmsg (EPIPE) */
		shutdown(list_entry(n, struct tpc_conn, link)->fd, SHUT_RDWR);
	while (w->live > 0) {
		if (pthread_cond_timedwait(&w->drained, &w->lock, &ts) == ETIMEDOUT)
			break;
	}
	if (w->live > 0)
		fprintf(stderr, "%s: note: worker %d: %u connection threads still running after %d ms; their counts are missing\n",
			w->o->prog, w->index, w->live, STOP_WAIT_MS);
	pthread_mutex_unlock(&w->lock);
}

static void *accept_main(void *arg)
{
	struct tpc_worker *w = arg;
	struct pollfd pfd[2] = {
		{ .fd = server_stop_fd(), .events = POLLIN },
		{ .fd = w->listen_fd, .events = POLLIN },
	};
	bool backing_off = false, warned = false;

	while (!server_stopping()) {
		/* While backing off, wait on the stop fd alone. */
		int n = poll(pfd, backing_off ? 1 : 2, backing_off ? ACCEPT_BACKOFF_MS : -1);

		backing_off = false;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* The accept thread cannot wait any more: stop the server,
			 * which exits non-zero with this line. */
			server_worker_failed(w->index, "poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		/* Drain the accept queue: the listener is non-blocking. */
		for (;;) {
			int fd = accept4(w->listen_fd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0) {
				admit(w, fd);
				continue;
			}
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			/* EMFILE, ENFILE, ENOBUFS, ENOMEM: out of resources until
			 * connections end; the queue keeps the clients waiting. */
			if (!warned) {
				warned = true;
				fprintf(stderr, "%s: note: worker %d: accept: %s (backing off %d ms at a time)\n",
					w->o->prog, w->index, strerror(errno), ACCEPT_BACKOFF_MS);
			}
			backing_off = true;
			break;
		}
	}
	stop_connections(w);
	return NULL;
}

static void init_worker(struct tpc_worker *w, int i, int listen_fd, const struct server_options *o,
			const struct page_cache *pc, size_t stack_size)
{
	pthread_condattr_t ca;
	int err;

	w->index = i;
	w->listen_fd = listen_fd;
	w->o = o;
	w->pc = pc;
	list_init(&w->conns);
	if ((err = pthread_mutex_init(&w->lock, NULL)) != 0 ||
	    (err = pthread_condattr_init(&ca)) != 0 ||
	    (err = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0 ||
	    (err = pthread_cond_init(&w->drained, &ca)) != 0 ||
	    (err = pthread_attr_init(&w->conn_attr)) != 0 ||
	    (err = pthread_attr_setdetachstate(&w->conn_attr, PTHREAD_CREATE_DETACHED)) != 0) {
		errno = err;
		server_die_errno(o, "pthread attributes");
	}
	err = pthread_attr_setstacksize(&w->conn_attr, stack_size);
	if (err) {
		errno = err;
		server_die_errno(o, "--stack-size");
	}
}

int main(int argc, char **argv)
{
	struct tpc_config cfg = { .stack_size = DEFAULT_STACK_SIZE };
	const struct engine_desc desc = {
		.name = "httpd-tpc",
		.summary = "HTTP server, one blocking OS thread per connection.",
		.help_extra = tpc_help,
		.options = tpc_options,
		.cfg = &cfg,
	};
	struct server_options o;
	struct page_cache *pc;
	struct tpc_worker *workers;
	struct server_stats *stats;
	int fds[SERVER_MAX_WORKERS];
	char details[128];

	server_options_parse(&o, argc, argv, &desc);
	pc = server_load_pages(&o);
	server_install_signals();
	long nofile = server_raise_nofile();
	server_listen_group(&o, SERVER_LISTEN_REUSEPORT | SERVER_LISTEN_NONBLOCK, o.workers, fds);
	/* Accepted sockets inherit TCP_NODELAY from their listener: a reply's
	 * last partial segment never waits for an ACK, at no per-connection cost. */
	for (int i = 0; i < o.workers; i++)
		if (setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int)) < 0)
			server_die_errno(&o, "setsockopt TCP_NODELAY");

	workers = calloc((size_t)o.workers, sizeof(*workers));
	stats = calloc((size_t)o.workers, sizeof(*stats));
	if (!workers || !stats)
		server_die_errno(&o, "calloc workers");
	for (int i = 0; i < o.workers; i++)
		init_worker(&workers[i], i, fds[i], &o, pc, cfg.stack_size);
	/* Connection threads inherit the accept thread's CPU (server_workers
	 * pins it from birth). */
	const struct server_worker_fns fns = { .run = accept_main };
	struct server_workers *ws = server_workers_start(&o, o.workers, &fns, workers, sizeof(*workers));
	snprintf(details, sizeof(details), "stack=%lluK nofile=%ld",
		 (unsigned long long)(cfg.stack_size >> 10), nofile);
	server_ready(&o, details);

	server_workers_join(ws);
	bool still_running = false;
	for (int i = 0; i < o.workers; i++) {
		pthread_mutex_lock(&workers[i].lock);
		stats[i] = workers[i].stats;
		still_running |= workers[i].live > 0;
		pthread_mutex_unlock(&workers[i].lock);
	}
	server_print_stats(&o, stats, o.workers, NULL);
	if (still_running)
		return server_exit_code(&o); /* connection threads still use these: let exit() take them */
	free(stats);
	free(workers);
	page_cache_free(pc);
	return server_exit_code(&o);
}
