/* --hist-out: one host's share of a run, written so that loadgen merge can
 * make the run's row from several hosts' files exactly.
 *
 * Percentiles do not average: the p99 of three hosts is not the mean of
 * their p99s. So each host writes its histograms whole (every non-empty
 * slot, in the layout of histogram.h, which merges by adding counts), with
 * the counters, its measured window on the wall clock, its CPU figures and
 * the options the row reports. A text file, versioned, one fact a line:
 * docs/hist-format.md describes it. A reader refuses another version or
 * another histogram layout rather than guess. */
#ifndef LG_HIST_IO_H
#define LG_HIST_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "cpu_usage.h"
#include "histogram.h"
#include "options.h"
#include "send_lag.h"
#include "worker.h"

#define HIST_FILE_MAGIC "bypassbench-loadgen-hist"
#define HIST_FILE_VERSION 1
#define HIST_TEXT_MAX 1024

/* One host's file, as read back. */
struct host_run {
	/* Who and what: the options the row reports. */
	char nodename[256];
	int share_index, share_count;
	char url[HIST_TEXT_MAX];
	enum lg_mode mode;
	int connections_total, connections;
	int threads;
	char cpus_str[256];
	int pipeline;
	uint64_t requests_per_conn;
	bool linger0;
	uint64_t rate_milli;              /* the whole run's schedule; 0: closed loop */
	double duration_s, warmup_s, timeout_s, max_send_lag_s;
	bool verify, paths;
	char server_cpus_str[256];
	int nlabels;
	char label_key[LG_MAX_LABELS][64];
	char label_value[LG_MAX_LABELS][HIST_TEXT_MAX];

	/* What it measured. */
	uint64_t window_start_realtime_ns; /* start of its measured window */
	uint64_t elapsed_ns;               /* its window's length */
	struct lg_counters c;
	double thread_user_s, thread_sys_s;
	int thread_cpus;
	bool have_client_cpus, have_server_cpus, have_server_proc;
	struct cpu_share client, server;
	double server_proc_s;
	long max_rss_kib;
	bool client_bound;
	char client_bound_reason[HIST_TEXT_MAX];
	char first_error[160], first_connect_error[160];
	struct histogram latency, connect, latency_uncorrected;
	struct send_lag lag;
};

struct lg_result;

/* Checks that FILE can be written, before the run. */
int hist_out_check(const char *file, char *err, size_t errlen);

/* Writes a run's result (window_start_realtime_ns: its measured window's
 * start on the wall clock). Returns 0, or -1 with err. */
int hist_out_write(const char *file, const struct lg_result *r, uint64_t window_start_realtime_ns,
		   char *err, size_t errlen);

/* Reads FILE into *h (a struct of about 1 MB: allocate it). Returns 0, or -1
 * with err naming the file and line. */
int host_run_read(const char *file, struct host_run *h, char *err, size_t errlen);

#endif
