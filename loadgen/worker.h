/* One loadgen worker thread: its share of the connections, one event loop,
 * its own histograms and counters. Workers share nothing mutable: main
 * reads their results after joining them, and during the run takes the
 * intervals they finished from their timeline rings (timeline.h: the
 * --timeline rows and the --progress lines). */
#ifndef LG_WORKER_H
#define LG_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "histogram.h"
#include "options.h"
#include "paths.h"
#include "send_lag.h"
#include "timeline.h"
#include "verify.h"

/* What the whole run shares, read-only once workers start (except `stop`,
 * which only main writes). */
struct lg_run {
	const struct lg_options *o;
	const struct path_set *paths;
	const struct page_expect *expect; /* NULL without --verify */
	uint64_t t0_ns;                   /* load starts (warm-up included) */
	uint64_t measure_ns;              /* measurement starts: t0 + warm-up */
	uint64_t end_ns;                  /* no request leaves after this */
	int stop;                         /* set by main on SIGINT/SIGTERM */
};

struct lg_counters {
	uint64_t requests;          /* complete responses */
	uint64_t bytes;             /* response bytes, head + body + framing */
	uint64_t body_bytes;
	uint64_t status_class[6];   /* [1..5] = 1xx..5xx, [0] = anything else */
	uint64_t non_2xx;
	uint64_t connects;          /* connections established */
	uint64_t connect_errors;    /* refused, unreachable, timed out, no port */
	uint64_t read_errors;       /* requests lost to a reset, an early close or a
				     * malformed response; write errors too */
	uint64_t timeouts;          /* requests not answered within --timeout,
				     * still in flight at the end, or (open loop)
				     * due but never sent */
	uint64_t verify_mismatches;
	uint64_t verified;
};

struct lg_worker {
	int index;
	int nconns;              /* its share of --connections */
	int cpu;                 /* -1: not pinned */
	const struct lg_run *run;
	int adopt_fd;            /* a connecting socket to use first, or -1 */
	uint64_t adopt_t;        /* when adopt_fd's connect() started */
	pthread_t thread;
	struct tl_worker *timeline;  /* its intervals (--timeline, --progress), or NULL */

	/* Results, valid after the join. */
	struct lg_counters c;
	struct histogram latency;    /* request latency, ns */
	struct histogram connect;    /* connection setup, ns */
	struct histogram latency_uncorrected; /* open loop: from the first byte written */
	struct send_lag lag;         /* open loop: lateness against the schedule */
	uint64_t cpu_user_us, cpu_sys_us;  /* its CPU time in the measured window */
	uint64_t measure_begin_ns, finish_ns;
	char first_error[160];       /* the first error of each kind, for the summary */
	char first_connect_error[160];
	int done;                    /* set (release) when the thread ends */
	int fatal;                   /* the thread could not run */
	char fatal_msg[256];

};

void *lg_worker_main(void *arg);

#endif
