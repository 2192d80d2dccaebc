/* loadgen's command line. */
#ifndef LG_OPTIONS_H
#define LG_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include "cpu_usage.h"
#include "paths.h"
#include "search.h"
#include "slo.h"

#define LG_MAX_THREADS 256
#define LG_MAX_LABELS 64
#define LG_MAX_SOURCES 64
#define LG_MAX_PIPELINE 1024

enum lg_mode { LG_KEEPALIVE, LG_CLOSE };
enum lg_engine_kind { LG_ENGINE_EPOLL, LG_ENGINE_URING };

struct lg_label {
	const char *key;
	const char *value;
};

struct lg_options {
	/* Target, from --url http://HOST[:PORT][/path]. */
	const char *url;
	char host[256];                 /* as written, for messages */
	char host_header[300];          /* Host: value (with :port unless 80) */
	char url_path[PATH_MAX_LEN + 1];
	struct sockaddr_storage target;
	socklen_t target_len;
	char target_str[300];           /* "198.18.0.1:8080" */

	const char *paths_file;         /* --paths FILE */
	uint64_t seed;                  /* --seed, default 1 */

	int threads;                    /* --threads, default 1 */
	int cpus[CPU_LIST_MAX];         /* --cpus: thread i on cpus[i % ncpus] */
	int ncpus;
	char cpus_str[256];
	int connections;                /* --connections, default 10 */
	enum lg_mode mode;              /* --mode keepalive|close */
	uint64_t requests_per_conn;     /* --requests-per-conn, 0 = no cap */
	bool linger0;                   /* --linger0: RST on close */
	struct sockaddr_storage sources[LG_MAX_SOURCES]; /* --source */
	int nsources;
	char sources_str[1024];

	int pipeline;                   /* --pipeline, default 1 */
	enum lg_engine_kind engine;     /* --engine, default epoll */
	uint64_t rate_milli;            /* --rate in requests per 1000 s; 0 = closed loop */
	double rate;

	double duration_s;              /* --duration, default 10 */
	double warmup_s;                /* --warmup, default 0 */
	double timeout_s;               /* --timeout, default 5 */
	double max_send_lag_s;          /* --max-send-lag: p99 send lag above this is client-bound */

	const char *verify_dir;         /* --verify DIR */
	int progress;                   /* --progress 1, --no-progress 0, -1: if a tty */
	const char *timeline_file;      /* --timeline FILE: a row per interval */
	uint64_t interval_ns;           /* --interval, default 1 s, at least 100 ms */
	const char *csv_file;           /* --csv FILE */
	bool json;                      /* --json */
	bool quiet;                     /* --quiet: no human summary */
	struct lg_label labels[LG_MAX_LABELS];
	int nlabels;

	int server_cpus[CPU_LIST_MAX];  /* --server-cpus: sampled in /proc/stat */
	int nserver_cpus;
	char server_cpus_str[256];
	pid_t server_pid;               /* --server-pid: its utime+stime */

	bool have_slo;                  /* --slo pP=T */
	struct lg_slo slo;
	bool search;                    /* --search: the capacity under the SLO */
	struct search_params search_p;  /* --search-start/-max/-growth/-precision/-steps/-repeats */

	/* Several client hosts (share.h). With --share I/N, `connections` is
	 * this host's share and `rate` its share of the req/s (what this host's
	 * own row reports), while connections_total and rate_milli stay the
	 * whole run's: the open-loop schedule is the whole run's, of which this
	 * host takes every N-th request. Without --share: 0 of 1. */
	int share_index;                /* 0-based: --share 1/N is index 0 */
	int share_count;
	int connections_total;          /* --connections as given */
	uint64_t start_at_ns;           /* --start-at, CLOCK_REALTIME ns; 0: at once */
	const char *hist_out;           /* --hist-out FILE */
};

/* Returns 0 to run, 1 when --help was printed, -1 with one line in err. */
int lg_options_parse(struct lg_options *o, int argc, char **argv, char *err, size_t errlen);

/* Helpers shared with the tests. */
int lg_parse_seconds(const char *s, double *out);
int lg_parse_url(struct lg_options *o, const char *url, char *err, size_t errlen);

/* Adds (or replaces) one KEY=VALUE label; kv is modified and kept. */
int lg_options_add_label(struct lg_options *o, char *kv, char *err, size_t errlen);

/* A label's value, or NULL. */
const char *lg_label(const struct lg_options *o, const char *key);

#endif
