/* The server contract shared by every bin/httpd-*: options, CPU pinning,
 * signals, counters and the one `ready` line (ARCHITECTURE.md).
 *
 * An engine's main() is:
 *
 *     struct server_options o;
 *     server_options_parse(&o, argc, argv, &engine_desc);  // exits on error
 *     struct page_cache *pc = server_load_pages(&o);        // exits on error
 *     server_install_signals();
 *     server_raise_nofile();
 *     server_listen_group(&o, SERVER_LISTEN_REUSEPORT, o.workers, fds); // exits on error
 *     ... set up rings / epolls / threads, exit(1) with one line on error
 *     server_ready(&o, "details");                         // prints "ready ..."
 *     ... run workers until server_stopping()
 *     server_print_stats(&o, stats, nworkers, NULL);
 */
#ifndef BB_SERVER_H
#define BB_SERVER_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include "page_cache.h"

#define SERVER_MAX_WORKERS 256

/* An engine-specific option: --name VALUE (or a flag when has_arg is 0).
 * `handle` returns 0 on success, -1 with a message in err on bad value. */
struct engine_option {
	const char *name;
	int has_arg;
	const char *help; /* one line for --help */
	int (*handle)(void *engine_cfg, const char *value, char *err, size_t errlen);
};

struct engine_desc {
	const char *name;         /* "httpd-epoll" */
	const char *summary;      /* one line: what the I/O model is */
	const char *help_extra;   /* extra paragraphs for --help, or NULL */
	const struct engine_option *options; /* terminated by {NULL} */
	void *cfg;                /* passed to option handlers */
};

struct server_options {
	const char *prog;
	struct in_addr addr;     /* --addr, default 0.0.0.0 */
	uint16_t port;           /* --port, default 8080 */
	int workers;             /* --workers, default 1 */
	int cpus[SERVER_MAX_WORKERS]; /* --cpus "0,2-3": worker i pins to cpus[i % ncpus] */
	int ncpus;               /* 0: no pinning */
	const char *corpus;      /* --corpus DIR (required) */
	int idle_timeout_ms;     /* --idle-timeout SECONDS (decimals allowed), default 10 s; 0: none */
	int max_conns;           /* --max-conns per worker, default 10000 */
	bool quiet;              /* --quiet: no counters at exit */
};

/* Parses argv; prints --help and exits 0, or one line and exits 2. */
void server_options_parse(struct server_options *o, int argc, char **argv,
			  const struct engine_desc *engine);

/* Loads o->corpus, exits 1 with one line on failure. */
struct page_cache *server_load_pages(const struct server_options *o);

/* Pins the calling thread to the CPU of worker `i` (no-op without --cpus).
 * Returns 0, or -1 with errno set. */
int server_pin_worker(const struct server_options *o, int i);

/* The CPU set of worker `i`, for pthread_attr_setaffinity_np (so a bad CPU
 * fails in pthread_create, before `ready`). False without --cpus. */
bool server_worker_cpuset(const struct server_options *o, int i, cpu_set_t *set);

/* Formats --cpus as "0,2-3" (or "none") into buf. */
void server_format_cpus(const struct server_options *o, char *buf, size_t len);

/* Raises RLIMIT_NOFILE to its hard limit; returns the new soft limit. */
long server_raise_nofile(void);

/* Listening sockets on o->addr:o->port, listen()ing with the largest backlog
 * the kernel allows, SO_REUSEADDR always. Exits 1 with one line on error
 * ("<prog>: bind 198.18.0.1:8080: Address already in use").
 * With SERVER_LISTEN_REUSEPORT, n sockets form one SO_REUSEPORT group; the
 * port is probed first without SO_REUSEPORT, so another process already
 * listening there is reported as "in use" instead of silently sharing it. */
#define SERVER_LISTEN_REUSEPORT 1
#define SERVER_LISTEN_NONBLOCK  2
void server_listen_group(const struct server_options *o, int flags, int n, int *fds);

/* SIGINT/SIGTERM set a flag and make server_stop_fd() readable (it stays
 * readable: never read it), so event loops that poll it wake at once; the
 * handlers are installed without SA_RESTART, so a blocking call in the thread
 * that takes the signal returns EINTR. A second signal exits at once.
 * SIGPIPE is ignored (writes to a closed peer return EPIPE instead). */
void server_install_signals(void);
bool server_stopping(void);
int server_stop_fd(void); /* an eventfd that becomes readable on stop */

/* Per-worker counters, owned by the worker, summed at exit. */
struct server_stats {
	uint64_t accepted;     /* connections accepted */
	uint64_t rejected;     /* connections refused by the cap */
	uint64_t requests;     /* replies queued */
	uint64_t responses_4xx;
	uint64_t bytes_sent;
	uint64_t idle_closed;  /* connections closed by the idle timeout */
	uint64_t errors;       /* I/O errors on connections (a peer's reset is not one) */
};

/* Prints, flushed, on stdout:
 * "ready <prog> <addr>:<port> workers=N cpus=0-1 pages=P <details>" */
void server_ready(const struct server_options *o, const char *details);
/* One line on stdout, unless --quiet:
 * "stats requests=.. accepted=.. rejected=.. responses_4xx=.. bytes_sent=..
 *  idle_closed=.. errors=.." (the sums over all workers), then `extra`
 * (an engine's own key=value pairs, e.g. what its kernel dropped) if any. */
void server_print_stats(const struct server_options *o,
			const struct server_stats *per_worker, int nworkers,
			const char *extra);

/* Exits 1 after printing "<prog>: <what>: <strerror(errno)>". */
_Noreturn void server_die_errno(const struct server_options *o, const char *what);
_Noreturn void server_die(const struct server_options *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
