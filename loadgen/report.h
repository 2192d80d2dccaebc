/* Turning a run's merged results into output: the human summary, the CSV
 * row (csv_schema.h) and the same row as JSON. */
#ifndef LG_REPORT_H
#define LG_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include "cpu_usage.h"
#include "histogram.h"
#include "options.h"
#include "send_lag.h"
#include "worker.h"

/* The search columns of a row (search.h); NULL outside a search. */
struct lg_search_row {
	int step;                       /* 1.. */
	const char *phase;              /* exp, bisect, repeat, knee */
	double capacity_req_s;          /* the knee row's result; < 0 on step rows */
};

struct lg_result {
	const struct lg_options *o;
	struct lg_counters c;
	struct histogram *latency;      /* merged over threads */
	struct histogram *connect;
	struct histogram *latency_uncorrected; /* open loop: from the actual send */
	struct send_lag *lag;           /* open loop, merged over threads */
	double elapsed_s;               /* measured window */
	double thread_user_s, thread_sys_s;
	int thread_cpus;                /* CPUs the threads ran on (denominator) */
	bool have_client_cpus;
	struct cpu_share client;
	bool have_server_cpus;
	struct cpu_share server;
	bool have_server_proc;
	double server_proc_s;
	time_t start_wall;
	char first_error[160];
	char first_connect_error[160];
	const struct lg_search_row *search;

	/* Set by loadgen merge (merge.h), NULL/0 for a run of one host. */
	const char *hosts_client_bound; /* the hosts that were client-bound, and why */
	const char *json_extra;         /* more members for the JSON object (",\"k\":v...") */
	long max_rss_kib;               /* the largest host's; 0: this process's */
	uint64_t measure_realtime_ns;   /* the measured window's start, wall clock (--hist-out) */
};

/* Derived figures. */
double result_loadgen_cpu_pct(const struct lg_result *r);
double result_client_busy_pct(const struct lg_result *r);
bool result_client_bound(const struct lg_result *r);
/* Open loop: the client fell behind its schedule (--max-send-lag). */
bool result_send_lag_over(const struct lg_result *r, uint64_t *observed_ns);
/* Why the run is client-bound, one line; "" when it is not. */
void result_client_bound_reason(const struct lg_result *r, char *buf, size_t len);
uint64_t result_failed_requests(const struct lg_result *r);
const char *result_bound(const struct lg_result *r);
const char *result_status(const struct lg_result *r);

/* Checks the labels: a label naming an OWN column is an error. */
int report_check_labels(const struct lg_options *o, char *err, size_t errlen);

/* Checks that FILE can take a row: creatable, and if it has a header, ours. */
int report_csv_check(const char *file, char *err, size_t errlen);

void report_human(FILE *f, const struct lg_result *r);
int report_csv_append(const char *file, const struct lg_result *r, char *err, size_t errlen);
void report_json(FILE *f, const struct lg_result *r);

/* S as a JSON string: quoted, '"' and '\\' escaped, control bytes as \u00XX. */
void report_json_string(FILE *f, const char *s);

/* The column list as a Markdown table (docs/csv-schema.md). */
void report_print_schema(FILE *f);

#endif
