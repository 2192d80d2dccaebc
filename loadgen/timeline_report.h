/* Load over time, as the user sees it: the --timeline CSV (one row per
 * interval, columns below) and the --progress line (the same figures, one
 * line per interval on stderr). Main calls three functions; the hand-over
 * from the workers is timeline.h's.
 *
 * X(name, unit, meaning): the one list the header, the rows and
 * `loadgen --print-timeline-schema` (docs/csv-schema.md) derive from.
 * Add columns at the end only. */
#ifndef LG_TIMELINE_REPORT_H
#define LG_TIMELINE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "options.h"
#include "worker.h"

#define TIMELINE_COLUMNS(X) \
	X(interval, "", "interval number, from 0") \
	X(phase, "", "warmup, measured, or drain (the one last interval: from the end of --duration to the last response; requests in flight get up to --timeout)") \
	X(start_s, "s", "interval start, from the start of load (warm-up included)") \
	X(end_s, "s", "interval end, same clock; intervals are --interval long except the last warm-up and the last measured one (cut at the phase's end) and the drain") \
	X(requests, "", "complete responses read in the interval (any status); over the measured and drain rows they add up to the run row's requests") \
	X(req_per_s, "req/s", "requests / (end_s - start_s)") \
	X(failed, "", "connect_errors + read_errors + timeouts + non_2xx of this row") \
	X(connect_errors, "", "failed connection attempts noticed in the interval") \
	X(read_errors, "", "requests lost to a reset, an early close, a malformed response or a send error, noticed in the interval") \
	X(timeouts, "", "requests given up in the interval (not answered within --timeout, in flight at the end, or, open loop, never sent)") \
	X(non_2xx, "", "responses in the interval with a status outside 200-299") \
	X(lat_p50_us, "us", "latency median of the requests completed in the interval (same definition as the run row's lat_p50_us; empty: no request)") \
	X(lat_p90_us, "us", "latency 90th percentile, same requests") \
	X(lat_p99_us, "us", "latency 99th percentile, same requests") \
	X(lat_max_us, "us", "latency maximum, same requests") \
	X(loadgen_cpu_pct, "%", "loadgen threads' user+sys time in the interval / (its length * CPUs they ran on), as the run row's loadgen_cpu_pct") \
	X(run_start, "UTC", "wall-clock start of load, ISO 8601 with milliseconds: the same in every row of a run (the run row's timestamp is this + warmup_s, to the second)") \
	X(server, "", "--label server (as in the run row)") \
	X(workers, "", "--label workers") \
	X(page_set, "", "--label page_set") \
	X(mtu, "", "--label mtu") \
	X(repeat, "", "--label repeat") \
	X(mode, "", "keepalive or close") \
	X(connections, "", "--connections") \
	X(target_rate, "req/s", "--rate (empty: closed loop)") \
	X(labels, "", "every other --label pair, as key=value;key=value")

struct lg_timeline;

/* With --timeline or progress: opens the file (header if new; refuses a file
 * whose header is not these columns) and gives each worker its ring
 * (w[i].timeline). Returns NULL with err[0] == '\0' when neither is asked
 * for, NULL with one line in err on failure. Call once run's times are set,
 * before the workers start. */
struct lg_timeline *lg_timeline_start(const struct lg_options *o, const struct lg_run *run,
				      struct lg_worker *w, int nworkers, int thread_cpus,
				      bool progress, char *err, size_t errlen);
/* Writes every interval the workers are done with (main's loop). */
void lg_timeline_poll(struct lg_timeline *tl);
/* After the join: the remaining intervals; closes and frees. 0, or -1 with err. */
int lg_timeline_end(struct lg_timeline *tl, char *err, size_t errlen);

void timeline_print_schema(FILE *f);

#endif
