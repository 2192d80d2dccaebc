/* loadgen merge FILE...: the one row of a run driven from several client
 * hosts, from their --hist-out files (hist_io.h).
 *
 * Exact, not averaged: histograms merge by adding their slot counts, so the
 * merged percentiles are those of one histogram of every host's samples;
 * counters add up; req/s is over the union of the hosts' windows; the
 * client's CPU figures pool the hosts' CPU-seconds; the run is client-bound
 * when any host was (a late host's lateness is in the merged latencies,
 * whatever the pooled figures say). The files must be the N shares of one
 * run (--share 1/N .. N/N) with the same options and labels; --label on the
 * merge command sets or overrides labels. The row is report.c's, with the
 * columns of a single run, so scripts read it as one. */
#ifndef LG_MERGE_H
#define LG_MERGE_H

#include <stddef.h>
#include "hist_io.h"
#include "options.h"
#include "report.h"

struct lg_merged {
	struct lg_options o;          /* what the row reports: the whole run's */
	struct lg_result r;           /* r.o == &o */
	struct host_run **hosts;      /* by share: hosts[i] is share i+1 of N */
	int nhosts;
	double start_spread_s;        /* latest window start - earliest */
	struct histogram latency, connect, latency_uncorrected;
	struct send_lag lag;
	char url[HIST_TEXT_MAX];
	char cpus_str[256];
	char hosts_why[4096];
	char label_buf[2][HIST_TEXT_MAX];
	char *json_extra;
};

/* Reads and merges the files; labels (KEY=VALUE strings, modified) are the
 * merge command's. m is large: allocate it. Returns 0, or -1 with err. */
int lg_merge_files(struct lg_merged *m, char *const *files, int nfiles, char **labels, int nlabels,
		   char *err, size_t errlen);
void lg_merge_free(struct lg_merged *m);

/* `loadgen merge ...` (argv[0] is "merge"): the exit status. */
int lg_merge_main(int argc, char **argv);

#endif
