/* bin/httpd-epoll: the classic event-driven server. Per worker thread: its
 * own SO_REUSEPORT listener (the kernel spreads connections, no shared accept
 * queue, no thundering herd), its own epoll instance and connection table,
 * pinned to its CPU. See epoll_worker.h for the event model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "epoll_worker.h"
#include "parse_size.h"

struct epoll_cfg {
	int max_events;
	unsigned busy_poll_us; /* 0: no busy polling */
	bool steer_cpu;        /* --steer cpu */
};

static int set_events(void *cfg, const char *value, char *err, size_t errlen)
{
	uint64_t v;

	if (parse_count(value, 1, 65536, &v, err, errlen) < 0)
		return -1;
	((struct epoll_cfg *)cfg)->max_events = (int)v;
	return 0;
}

static int set_busy_poll(void *cfg, const char *value, char *err, size_t errlen)
{
	return server_parse_busy_poll(value, &((struct epoll_cfg *)cfg)->busy_poll_us, err, errlen);
}

static int set_steer(void *cfg, const char *value, char *err, size_t errlen)
{
	return server_parse_steer(value, &((struct epoll_cfg *)cfg)->steer_cpu, err, errlen);
}

static const struct engine_option epoll_options[] = {
	{ "steer", 1, "cpu | hash: which worker a new connection goes to (default hash; see below)", set_steer },
	{ "events", 1, "events taken per epoll_wait call (default 512)", set_events },
	{ "busy-poll", 1, "busy-poll the receive path for up to USECS from epoll_wait (Linux 6.9+; see below)",
	  set_busy_poll },
	{ NULL, 0, NULL, NULL },
};

static const char help_extra[] =
	"Each worker is a thread with its own SO_REUSEPORT listener and epoll instance,\n"
	"pinned to its CPU; connections are non-blocking and edge-triggered.\n"
	"Pipelined replies (as many as every engine queues per connection) are\n"
	"gathered into one sendmsg; while the queue is full, the connection's input\n"
	"is not read (backpressure).\n"
	"Connection cap (--max-conns, per worker): a connection over the cap is accepted,\n"
	"answered 503 and closed at once, and counted as rejected.\n"
	"Idle timeout: a connection that completes no request and sends nothing for\n"
	"--idle-timeout seconds is closed (bytes that do not complete a request do not\n"
	"count, so a slowly trickled header cannot hold a connection).\n"
	"Busy polling (--busy-poll USECS): each worker's epoll_wait polls the NAPI\n"
	"context of its sockets for up to USECS before it sleeps (EPIOCSPARAMS, with\n"
	"prefer_busy_poll), and the sockets get SO_BUSY_POLL and SO_PREFER_BUSY_POLL.\n"
	"It burns CPU when load is light. It needs a NAPI context under the sockets\n"
	"(a NIC queue; on veth, GRO or XDP on the interface), and for the interrupts to\n"
	"stay off, the interface's napi_defer_hard_irqs and gro_flush_timeout set.\n"
	"A kernel without EPIOCSPARAMS (before 6.9) gets one line and exit 1.\n"
	SERVER_STEER_HELP;

int main(int argc, char **argv)
{
	struct epoll_cfg cfg = { .max_events = 512 };
	const struct engine_desc desc = {
		.name = "httpd-epoll",
		.summary = "HTTP/1.1 server: a thread per worker, each with a SO_REUSEPORT listener and epoll.",
		.help_extra = help_extra,
		.options = epoll_options,
		.cfg = &cfg,
	};
	struct server_options o;
	int listen_fds[SERVER_MAX_WORKERS];

	server_options_parse(&o, argc, argv, &desc);
	struct page_cache *pc = server_load_pages(&o);
	server_install_signals();

	/* One descriptor per connection; past the limit accept pauses (and
	 * retries every 100 ms) rather than failing. */
	long nofile = server_raise_nofile();

	server_listen_group(&o, SERVER_LISTEN_REUSEPORT | SERVER_LISTEN_NONBLOCK |
				    (cfg.steer_cpu ? SERVER_LISTEN_CPU_LOCAL : 0), o.workers, listen_fds);

	struct worker *workers = calloc((size_t)o.workers, sizeof(*workers));
	if (!workers)
		server_die_errno(&o, "calloc workers");
	for (int i = 0; i < o.workers; i++) {
		struct worker *w = &workers[i];
		w->id = i;
		w->o = &o;
		w->pc = pc;
		w->listen_fd = listen_fds[i];
		w->max_events = cfg.max_events;
		if (worker_setup(w) < 0)
			server_die_errno(&o, "epoll setup");
		char err[256];
		if (cfg.busy_poll_us && epoll_busy_poll_setup(w->epfd, w->listen_fd, cfg.busy_poll_us, err, sizeof(err)) < 0)
			server_die(&o, "%s", err);
	}
	const struct server_worker_fns fns = { .run = worker_main };
	struct server_workers *ws = server_workers_start(&o, o.workers, &fns, workers, sizeof(*workers));

	char details[128];
	snprintf(details, sizeof(details), "trigger=edge events=%d nofile=%ld busy_poll_us=%u steer=%s",
		 cfg.max_events, nofile, cfg.busy_poll_us, cfg.steer_cpu ? "cpu" : "hash");
	server_ready(&o, details);

	server_workers_join(ws);
	struct server_stats stats[SERVER_MAX_WORKERS];
	for (int i = 0; i < o.workers; i++)
		stats[i] = workers[i].stats;
	char extra[SERVER_MAX_WORKERS * 21 + 32];
	server_format_per_worker(extra, sizeof(extra), "epoll_accepted_per_worker", stats, o.workers);
	server_print_stats(&o, stats, o.workers, extra);
	free(workers);
	page_cache_free(pc);
	return server_exit_code(&o);
}
