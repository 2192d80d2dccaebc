/* The server contract shared by every bin/httpd-*: options, worker threads,
 * stopping, counters and the one `ready` line. What a user or a script may
 * rely on (the lines, their keys, the exit codes) is written down once, in
 * docs/server-contract.md; this header is how an engine keeps it.
 *
 * An engine's main() is:
 *
 *     struct server_options o;
 *     server_options_parse(&o, argc, argv, &engine_desc);  // exits 2 on a bad option
 *     struct page_cache *pc = server_load_pages(&o);        // exits 1 on error
 *     server_install_signals();
 *     server_listen_group(&o, SERVER_LISTEN_REUSEPORT, o.workers, fds); // exits 1 on error
 *     ... set up what the workers need, server_die() with one line on error
 *     ws = server_workers_start(&o, o.workers, &fns, workers, sizeof(*workers));
 *     server_ready(&o, "key=value ...");  // every worker runs: "ready ..."
 *     server_workers_join(ws);            // they end on a stop or a failure
 *     server_print_stats(&o, stats, nworkers, "engine_key=N ...");
 *     return server_exit_code(&o);        // 0, or 1 after a worker's failure
 *
 * Worker threads never exit(): a worker that cannot go on calls
 * server_worker_failed(), which stops the others; main prints the line. */
#ifndef BB_SERVER_H
#define BB_SERVER_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include "http_clock.h"
#include "page_cache.h"

#define SERVER_MAX_WORKERS 256

/* Exit codes, the same in every server. A second SIGINT/SIGTERM, for a
 * stop that hangs, exits at once with 128 + the signal's number. */
#define SERVER_EXIT_OK 0      /* stopped by SIGINT/SIGTERM (or --help) */
#define SERVER_EXIT_FAILURE 1 /* could not start, or a worker failed while serving */
#define SERVER_EXIT_USAGE 2   /* a bad option or a missing required one */

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
/* With several workers: each connection to the worker of the CPU that
 * received its SYN (server_steering.c), instead of the kernel's hash. */
#define SERVER_LISTEN_CPU_LOCAL 4
void server_listen_group(const struct server_options *o, int flags, int n, int *fds);
/* server_steering.c: the reuseport program of SERVER_LISTEN_CPU_LOCAL, on
 * the group of `fd` (n sockets, in worker order). Exits 1 on failure. */
void server_steer_by_cpu(const struct server_options *o, int fd, int n);
/* --busy-poll USECS (1 to 1000000): 0, or -1 with a message. */
int server_parse_busy_poll(const char *value, unsigned *usecs, char *err, size_t errlen);
/* --steer cpu|hash: *cpu set for "cpu"; 0, or -1 with a message. */
int server_parse_steer(const char *value, bool *cpu, char *err, size_t errlen);
/* The --help paragraph of --steer, for the engines that have it. */
#define SERVER_STEER_HELP \
	"Steering (--steer, with several workers): hash (the kernel's default) spreads\n" \
	"new connections over the workers' SO_REUSEPORT listeners by their addresses;\n" \
	"cpu sends each to the worker of the CPU that received its SYN (a reuseport\n" \
	"program), so the connection stays on that CPU. Use cpu where the server's\n" \
	"cores receive its traffic (a NIC queue per server core, or veth with\n" \
	"TOPO_NAPI=threaded); on the inline veth lab the SYN is received on the\n" \
	"client's core, and cpu would group connections by client core."

/* The answer to a connection over --max-conns: the prebuilt 503 (with
 * Connection: close) as up to 3 iovecs, for an engine that sends it its
 * own way (io_uring). Returns the iovec count. */
int server_reject_iov(const struct page_cache *pc, const struct http_clock *clk,
		      struct iovec iov[3]);
/* ... or sent on `fd` without blocking (best effort: the socket is fresh,
 * its buffer empty), then `fd` closed. Returns the bytes sent (0 if none),
 * for bytes_sent; the caller counts the connection as rejected. */
size_t server_reject(const struct page_cache *pc, const struct http_clock *clk, int fd);

/* Worker threads, started the same way by every engine: each pinned to its
 * CPU from birth (a bad CPU fails in pthread_create, before `ready`), each
 * counted in once its set-up is done, so that `ready` means every worker
 * runs. */
struct server_worker_fns {
	/* On the worker's own thread, before it counts as running (an
	 * io_uring with SINGLE_ISSUER belongs to the thread that made it).
	 * NULL: nothing to set up. Returns 0, or -1 with one line in err
	 * (and what it made undone). */
	int (*setup)(void *arg, char *err, size_t errlen);
	/* The loop, until server_stopping(). */
	void *(*run)(void *arg);
};
struct server_workers;

/* Starts n workers, worker i on (char *)args + i * arg_size, and returns
 * once every one runs. Exits 1 with one line if a thread cannot start or a
 * set-up fails ("<prog>: worker 1: <err>"). */
struct server_workers *server_workers_start(const struct server_options *o, int n,
					    const struct server_worker_fns *fns, void *args,
					    size_t arg_size);
/* Waits for every worker to return, and frees ws. */
void server_workers_join(struct server_workers *ws);

/* SIGINT/SIGTERM set a flag and make server_stop_fd() readable (it stays
 * readable: never read it), so event loops that poll it wake at once; the
 * handlers are installed without SA_RESTART, so a blocking call in the thread
 * that takes the signal returns EINTR. A second signal exits at once.
 * SIGPIPE is ignored (writes to a closed peer return EPIPE instead). */
void server_install_signals(void);
bool server_stopping(void); /* a stop signal came, or a worker failed */
int server_stop_fd(void);   /* an eventfd that becomes readable on stop */

/* A worker's fatal error, from its own thread (its loop cannot go on):
 * records the first one as "worker N: <what failed: why>" and stops every
 * worker as SIGTERM would. It does not exit; the worker returns from its
 * loop, cleaning up as on a stop. */
void server_worker_failed(int worker, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* In main, after the workers ended: SERVER_EXIT_OK, or SERVER_EXIT_FAILURE
 * after printing the recorded failure as one line on stderr. */
int server_exit_code(const struct server_options *o);

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

/* Prints, flushed, on stdout (docs/server-contract.md):
 * "ready <prog> <addr>:<port> workers=N cpus=0-1 pages=P max_conns=N
 *  idle_timeout_ms=N <details>", details being the engine's own key=value
 * pairs (snake_case, never a bare word, never a key of the common part). */
void server_ready(const struct server_options *o, const char *details);
/* One line on stdout, unless --quiet:
 * "stats requests=.. accepted=.. rejected=.. responses_4xx=.. bytes_sent=..
 *  idle_closed=.. errors=.." (the sums over all workers), then `extra`:
 * the engine's own counters, key=value, each key prefixed with the engine
 * ("uring_zc_copied=", "xdp_rx_dropped="), if any. An engine may print
 * more lines of counters after it ("<group> key=value ..."). */
void server_print_stats(const struct server_options *o,
			const struct server_stats *per_worker, int nworkers,
			const char *extra);

/* "<key>=a/b/..." (each worker's accepted count, in worker order) into buf:
 * how the workers shared the connections, for an engine's stats extras. */
void server_format_per_worker(char *buf, size_t len, const char *key,
			      const struct server_stats *per_worker, int nworkers);

/* Exit 1 (start-up failures, in main only) after printing one line:
 * "<prog>: <what>: <strerror(errno)>" or "<prog>: <formatted>". */
_Noreturn void server_die_errno(const struct server_options *o, const char *what);
_Noreturn void server_die(const struct server_options *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Exit 2 after "<prog>: <formatted> (see --help)": a bad option, or a
 * combination of options, that an engine checks after parsing. */
_Noreturn void server_die_usage(const struct server_options *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
