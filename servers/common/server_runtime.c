/* The rest of the server contract: pages, the CPU of each worker, file
 * limits, the `ready` line, the counters at exit and the one-line fatal
 * errors (docs/server-contract.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "server.h"

/* Set once by server_load_pages() in the main thread, before any worker
 * exists; only read afterwards (by server_ready). */
static size_t loaded_pages;

static const char *prog_name(const struct server_options *o)
{
	return o && o->prog ? o->prog : program_invocation_short_name;
}

static _Noreturn void die_v(const struct server_options *o, int code, const char *suffix,
			     const char *fmt, va_list ap)
{
	/* Whatever stdout holds goes first: the error is the last word. */
	fflush(stdout);
	fprintf(stderr, "%s: ", prog_name(o));
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "%s\n", suffix);
	exit(code);
}

_Noreturn void server_die_errno(const struct server_options *o, const char *what)
{
	server_die(o, "%s: %s", what, strerror(errno));
}

_Noreturn void server_die(const struct server_options *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	die_v(o, SERVER_EXIT_FAILURE, "", fmt, ap);
}

_Noreturn void server_die_usage(const struct server_options *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	die_v(o, SERVER_EXIT_USAGE, " (see --help)", fmt, ap);
}

struct page_cache *server_load_pages(const struct server_options *o)
{
	char err[512] = "";
	struct page_cache *pc = page_cache_load(o->corpus, err, sizeof(err));

	if (!pc)
		server_die(o, "--corpus %s: %s", o->corpus, err[0] ? err : "cannot load pages");
	loaded_pages = page_cache_count(pc);
	return pc;
}

bool server_worker_cpuset(const struct server_options *o, int i, cpu_set_t *set)
{
	if (o->ncpus == 0)
		return false;
	CPU_ZERO(set);
	CPU_SET(o->cpus[i % o->ncpus], set);
	return true;
}

long server_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) < 0)
			return -1;
	}
	return rl.rlim_cur == RLIM_INFINITY ? (long)INT32_MAX : (long)rl.rlim_cur;
}

void server_ready(const struct server_options *o, const char *details)
{
	char addr[INET_ADDRSTRLEN], cpus[256];

	inet_ntop(AF_INET, &o->addr, addr, sizeof(addr));
	server_format_cpus(o, cpus, sizeof(cpus));
	printf("ready %s %s:%u workers=%d cpus=%s pages=%zu max_conns=%d idle_timeout_ms=%d%s%s\n",
	       o->prog, addr, o->port, o->workers, cpus, loaded_pages, o->max_conns,
	       o->idle_timeout_ms, details && details[0] ? " " : "", details ? details : "");
	fflush(stdout);
}

void server_print_stats(const struct server_options *o,
			const struct server_stats *per_worker, int nworkers,
			const char *extra)
{
	struct server_stats sum = { 0 };

	if (o->quiet)
		return;
	for (int i = 0; i < nworkers; i++) {
		const struct server_stats *s = &per_worker[i];
		sum.accepted += s->accepted;
		sum.rejected += s->rejected;
		sum.requests += s->requests;
		sum.responses_4xx += s->responses_4xx;
		sum.bytes_sent += s->bytes_sent;
		sum.idle_closed += s->idle_closed;
		sum.errors += s->errors;
	}
	printf("stats requests=%" PRIu64 " accepted=%" PRIu64 " rejected=%" PRIu64
	       " responses_4xx=%" PRIu64 " bytes_sent=%" PRIu64 " idle_closed=%" PRIu64
	       " errors=%" PRIu64 "%s%s\n",
	       sum.requests, sum.accepted, sum.rejected, sum.responses_4xx, sum.bytes_sent,
	       sum.idle_closed, sum.errors, extra && *extra ? " " : "", extra ? extra : "");
	fflush(stdout);
}

void server_format_per_worker(char *buf, size_t len, const char *key,
			      const struct server_stats *per_worker, int nworkers)
{
	size_t used = (size_t)snprintf(buf, len, "%s=", key);

	for (int i = 0; i < nworkers && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%" PRIu64, i ? "/" : "",
					 per_worker[i].accepted);
}
