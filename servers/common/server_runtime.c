/* The rest of the server contract: pages, pinning, file limits, the `ready`
 * line, the counters at exit and the one-line fatal errors. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
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

_Noreturn void server_die_errno(const struct server_options *o, const char *what)
{
	int err = errno;

	fflush(stdout);
	fprintf(stderr, "%s: %s: %s\n", prog_name(o), what, strerror(err));
	exit(1);
}

_Noreturn void server_die(const struct server_options *o, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog_name(o));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
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

int server_pin_worker(const struct server_options *o, int i)
{
	cpu_set_t set;
	int err;

	if (!server_worker_cpuset(o, i, &set))
		return 0;
	err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
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
	printf("ready %s %s:%u workers=%d cpus=%s pages=%zu%s%s\n", o->prog, addr, o->port,
	       o->workers, cpus, loaded_pages, details && details[0] ? " " : "",
	       details ? details : "");
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
