/* bin/loadgen: drives an HTTP/1.1 server and says what it measured,
 * including whether it measured itself: a client that is the limit makes
 * a fast server look slow, and nothing in the numbers says so unless the
 * client checks. See --help. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cpu_usage.h"
#include "hist_io.h"
#include "merge.h"
#include "options.h"
#include "paths.h"
#include "report.h"
#include "search.h"
#include "share.h"
#include "timeline_report.h"
#include "verify.h"
#include "worker.h"

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static _Noreturn void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static _Noreturn void die(int code, const char *fmt, ...)
{
	va_list ap;
	fputs("loadgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* One connection to the target before anything starts, so an unreachable
 * server is one clear line instead of a run full of connect errors. The
 * socket then becomes worker 0's first connection, so the server sees no
 * extra connection (close mode: accepted == requests). */
static int probe_target(const struct lg_options *o, uint64_t *t_start)
{
	int fd = socket(o->target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(1, "socket: %s", strerror(errno));
	if (o->nsources) {
		const struct sockaddr_storage *src = &o->sources[0];
		socklen_t len = src->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							    : sizeof(struct sockaddr_in);
		if (bind(fd, (const struct sockaddr *)src, len) < 0)
			die(1, "--source: cannot bind %s: %s", o->sources_str, strerror(errno));
	}
	*t_start = now_ns();
	if (connect(fd, (const struct sockaddr *)&o->target, o->target_len) < 0 && errno != EINPROGRESS)
		die(1, "cannot connect to %s: %s", o->target_str, strerror(errno));
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int ms = (int)(o->timeout_s * 1000);
	int n;
	do
		n = poll(&p, 1, ms > 0 ? ms : 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		die(1, "poll: %s", strerror(errno));
	if (n == 0)
		die(1, "cannot connect to %s: no answer within %.3g s", o->target_str, o->timeout_s);
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err)
		die(1, "cannot connect to %s: %s", o->target_str, strerror(err));
	return fd;
}

static void raise_nofile(const struct lg_options *o)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)o->connections + (rlim_t)o->threads * 2 + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		die(1, "getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	if (rl.rlim_cur >= need)
		return;
	if (rl.rlim_max < need && rl.rlim_max != RLIM_INFINITY)
		die(1, "--connections %d needs %ju file descriptors; the hard limit is %ju (ulimit -Hn)",
		    o->connections, (uintmax_t)need, (uintmax_t)rl.rlim_max);
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die(1, "setrlimit(RLIMIT_NOFILE, %ju): %s", (uintmax_t)need, strerror(errno));
}

static void check_cpus(const struct lg_options *o)
{
	cpu_set_t allowed;
	if (!o->ncpus)
		return;
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		die(1, "sched_getaffinity: %s", strerror(errno));
	for (int i = 0; i < o->ncpus; i++)
		if (o->cpus[i] >= CPU_SETSIZE || !CPU_ISSET(o->cpus[i], &allowed))
			die(2, "--cpus: CPU %d is not available to this process", o->cpus[i]);
}

static int distinct_thread_cpus(const struct lg_options *o)
{
	if (!o->ncpus) {
		long online = sysconf(_SC_NPROCESSORS_ONLN);
		return online > 0 && online < o->threads ? (int)online : o->threads;
	}
	int n = 0;
	cpu_set_t seen;
	CPU_ZERO(&seen);
	for (int i = 0; i < o->threads; i++) {
		int cpu = o->cpus[i % o->ncpus];
		if (!CPU_ISSET(cpu, &seen)) {
			CPU_SET(cpu, &seen);
			n++;
		}
	}
	return n;
}

static void sleep_until(uint64_t t)
{
	uint64_t now = now_ns();
	if (t <= now)
		return;
	struct timespec ts = { .tv_sec = (time_t)((t - now) / NS_PER_S), .tv_nsec = (long)((t - now) % NS_PER_S) };
	nanosleep(&ts, NULL); /* a signal cuts it short: fine, the loop re-checks */
}

static int measure_window(const struct lg_options *o, const struct path_set *paths,
			  const struct page_expect *expect, struct lg_result *out);

struct window_ctx {
	const struct path_set *paths;
	const struct page_expect *expect;
};

/* search.h's measure callback: one step is one window at o's rate. */
static int search_window(void *ctx, const struct lg_options *o, struct lg_result *r)
{
	const struct window_ctx *c = ctx;
	return measure_window(o, c->paths, c->expect, r);
}

int main(int argc, char **argv)
{
	static struct lg_options opts; /* large (CPU lists, sources): not on the stack */
	struct lg_options *o = &opts;
	char err[1024];

	if (argc == 2 && !strcmp(argv[1], "--print-csv-schema")) {
		report_print_schema(stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--print-timeline-schema")) {
		timeline_print_schema(stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "merge"))
		return lg_merge_main(argc - 1, argv + 1);
	int rc = lg_options_parse(o, argc, argv, err, sizeof(err));
	if (rc == 1)
		return 0;
	if (rc < 0)
		die(2, "%s", err);
	if (report_check_labels(o, err, sizeof(err)) < 0)
		die(2, "%s", err);
	check_cpus(o);

	struct path_set paths;
	paths_init(&paths);
	if (o->paths_file)
		rc = paths_load_index(&paths, o->paths_file, err, sizeof(err));
	else
		rc = paths_add(&paths, o->url_path, strlen(o->url_path), err, sizeof(err));
	if (rc < 0)
		die(1, "%s", err);
	if (paths.n > UINT32_MAX)
		die(1, "too many paths");
	if (paths_build_requests(&paths, o->host_header, o->mode == LG_CLOSE && !o->linger0,
				 err, sizeof(err)) < 0)
		die(1, "%s", err);
	struct page_expect *expect = NULL;
	if (o->verify_dir && !(expect = verify_load(o->verify_dir, &paths, err, sizeof(err))))
		die(1, "%s", err);
	if (o->csv_file && report_csv_check(o->csv_file, err, sizeof(err)) < 0)
		die(1, "%s", err);
	if (o->hist_out && hist_out_check(o->hist_out, err, sizeof(err)) < 0)
		die(1, "%s", err);
	raise_nofile(o);
	signal(SIGPIPE, SIG_IGN);
	/* All hosts of a run start together: everything slow is done by now. */
	if (o->start_at_ns && start_at_wait(o->start_at_ns) < 0)
		die(1, "--start-at: cannot wait on the wall clock: %s", strerror(errno));

	if (o->search) {
		struct window_ctx ctx = { &paths, expect };
		rc = search_run(o, search_window, &ctx);
		free(expect);
		paths_free(&paths);
		return rc;
	}

	struct lg_result r;
	measure_window(o, &paths, expect, &r);
	if (got_signal)
		fprintf(stderr, "loadgen: interrupted by signal %d, reporting the %.3f s measured%s\n",
			(int)got_signal, r.elapsed_s, o->csv_file ? " (no CSV row: a cut run is not a point)" : "");
	if (result_client_bound(&r)) {
		/* Whatever the output format: a client-bound row must not pass
		 * for the server's figure unnoticed. */
		result_client_bound_reason(&r, err, sizeof(err));
		fprintf(stderr, "loadgen: client-bound: %s\n", err);
	}
	if (o->json)
		report_json(stdout, &r);
	else if (!o->quiet)
		report_human(stdout, &r);
	fflush(stdout);
	if (o->csv_file && !got_signal && report_csv_append(o->csv_file, &r, err, sizeof(err)) < 0)
		die(1, "%s", err);
	if (o->hist_out && !got_signal &&
	    hist_out_write(o->hist_out, &r, r.measure_realtime_ns, err, sizeof(err)) < 0)
		die(1, "%s", err);

	free(r.latency);
	free(r.connect);
	free(r.latency_uncorrected);
	free(r.lag);
	free(expect);
	paths_free(&paths);
	return 0;
}

/* One measured window: a probe connection, the workers for warm-up +
 * duration, their results merged into *out (histograms malloc'd: the
 * caller frees them). Nonzero when a signal cut it short. */
static int measure_window(const struct lg_options *o, const struct path_set *paths,
			  const struct page_expect *expect, struct lg_result *out)
{
	char err[1024];
	uint64_t probe_t;
	int probe_fd = probe_target(o, &probe_t);

	/* Workers never see SIGINT/SIGTERM: main turns them into run.stop. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);

	struct lg_run run = { .o = o, .paths = paths, .expect = expect };
	run.t0_ns = now_ns();
	uint64_t t0_realtime_ns = realtime_now_ns();
	run.measure_ns = run.t0_ns + (uint64_t)(o->warmup_s * 1e9);
	run.end_ns = run.measure_ns + (uint64_t)(o->duration_s * 1e9);

	struct lg_worker *w = calloc((size_t)o->threads, sizeof(*w));
	if (!w)
		die(1, "out of memory for %d workers", o->threads);
	bool progress = o->progress == 1 || (o->progress == -1 && isatty(STDERR_FILENO));
	struct lg_timeline *timeline = lg_timeline_start(o, &run, w, o->threads, distinct_thread_cpus(o),
							  progress, err, sizeof(err));
	if (!timeline && err[0])
		die(1, "%s", err);
	for (int i = 0; i < o->threads; i++) {
		w[i].index = i;
		w[i].run = &run;
		w[i].nconns = o->connections / o->threads + (i < o->connections % o->threads);
		w[i].cpu = o->ncpus ? o->cpus[i % o->ncpus] : -1;
		w[i].adopt_fd = i == 0 ? probe_fd : -1;
		w[i].adopt_t = probe_t;
		pthread_attr_t attr;
		int e = pthread_attr_init(&attr);
		if (e)
			die(1, "pthread_attr_init: %s", strerror(e));
		if (w[i].cpu >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(w[i].cpu, &set);
			e = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		}
		if (!e)
			e = pthread_create(&w[i].thread, &attr, lg_worker_main, &w[i]);
		pthread_attr_destroy(&attr);
		if (e)
			die(1, "cannot start worker thread %d%s: %s", i,
			    w[i].cpu >= 0 ? " (pinned)" : "", strerror(e));
	}

	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		die(1, "sigaction: %s", strerror(errno));
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	bool sampled = false;
	time_t start_wall = 0;
	struct cpu_times client0 = { 0 }, client1, server0 = { 0 }, server1;
	uint64_t proc0 = 0, proc1 = 0;
	bool have_proc = o->server_pid > 0;
	char proc_err[256] = "";

	for (;;) {
		int done = 0;
		for (int i = 0; i < o->threads; i++)
			done += __atomic_load_n(&w[i].done, __ATOMIC_ACQUIRE);
		if (done == o->threads)
			break;
		if (got_signal)
			__atomic_store_n(&run.stop, 1, __ATOMIC_RELAXED);
		uint64_t now = now_ns();
		if (!sampled && now >= run.measure_ns) {
			sampled = true;
			start_wall = time(NULL);
			if (o->ncpus && cpu_times_read(o->cpus, o->ncpus, &client0, err, sizeof(err)) < 0)
				die(1, "%s", err);
			if (o->nserver_cpus &&
			    cpu_times_read(o->server_cpus, o->nserver_cpus, &server0, err, sizeof(err)) < 0)
				die(1, "%s", err);
			if (have_proc && process_cpu_us(o->server_pid, &proc0, proc_err, sizeof(proc_err)) < 0)
				have_proc = false;
		}
		lg_timeline_poll(timeline); /* --timeline rows, --progress lines */
		/* Bounded: notices done threads, signals and finished intervals. */
		uint64_t wake = now + 50 * NS_PER_MS;
		if (!sampled && run.measure_ns < wake)
			wake = run.measure_ns;
		sleep_until(wake);
	}
	if (!sampled) {
		/* Stopped during the warm-up: an empty window. */
		start_wall = time(NULL);
		if (o->ncpus)
			cpu_times_read(o->cpus, o->ncpus, &client0, err, sizeof(err));
		if (o->nserver_cpus)
			cpu_times_read(o->server_cpus, o->nserver_cpus, &server0, err, sizeof(err));
		if (have_proc && process_cpu_us(o->server_pid, &proc0, proc_err, sizeof(proc_err)) < 0)
			have_proc = false;
	}
	if (o->ncpus && cpu_times_read(o->cpus, o->ncpus, &client1, err, sizeof(err)) < 0)
		die(1, "%s", err);
	if (o->nserver_cpus && cpu_times_read(o->server_cpus, o->nserver_cpus, &server1, err, sizeof(err)) < 0)
		die(1, "%s", err);
	if (have_proc && process_cpu_us(o->server_pid, &proc1, proc_err, sizeof(proc_err)) < 0)
		have_proc = false;
	if (o->server_pid > 0 && !have_proc)
		fprintf(stderr, "loadgen: --server-pid %d: %s (column left empty)\n", (int)o->server_pid,
			proc_err);

	struct lg_result r = { .o = o };
	struct histogram *lat = malloc(sizeof(*lat)), *con = malloc(sizeof(*con));
	struct histogram *uncorrected = malloc(sizeof(*uncorrected));
	struct send_lag *lag = malloc(sizeof(*lag));
	if (!lat || !con || !uncorrected || !lag)
		die(1, "out of memory");
	hist_init(lat);
	hist_init(con);
	hist_init(uncorrected);
	send_lag_init(lag, run.measure_ns);
	r.latency = lat;
	r.connect = con;
	r.latency_uncorrected = uncorrected;
	r.lag = lag;
	uint64_t finish = run.measure_ns;
	for (int i = 0; i < o->threads; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].fatal)
			die(1, "%s", w[i].fatal_msg);
		const struct lg_counters *c = &w[i].c;
		r.c.requests += c->requests;
		r.c.bytes += c->bytes;
		r.c.body_bytes += c->body_bytes;
		for (int k = 0; k < 6; k++)
			r.c.status_class[k] += c->status_class[k];
		r.c.non_2xx += c->non_2xx;
		r.c.connects += c->connects;
		r.c.connect_errors += c->connect_errors;
		r.c.read_errors += c->read_errors;
		r.c.timeouts += c->timeouts;
		r.c.verify_mismatches += c->verify_mismatches;
		r.c.verified += c->verified;
		hist_merge(lat, &w[i].latency);
		hist_merge(con, &w[i].connect);
		hist_merge(uncorrected, &w[i].latency_uncorrected);
		send_lag_merge(lag, &w[i].lag);
		r.thread_user_s += (double)w[i].cpu_user_us / 1e6;
		r.thread_sys_s += (double)w[i].cpu_sys_us / 1e6;
		if (w[i].finish_ns > finish)
			finish = w[i].finish_ns;
		if (!r.first_error[0] && w[i].first_error[0])
			snprintf(r.first_error, sizeof(r.first_error), "%s", w[i].first_error);
		if (!r.first_connect_error[0] && w[i].first_connect_error[0])
			snprintf(r.first_connect_error, sizeof(r.first_connect_error), "%s",
				 w[i].first_connect_error);
	}
	if (lg_timeline_end(timeline, err, sizeof(err)) < 0)
		die(1, "%s", err);
	r.elapsed_s = (double)(finish - run.measure_ns) / 1e9;
	r.thread_cpus = distinct_thread_cpus(o);
	r.start_wall = start_wall;
	if (o->ncpus) {
		r.have_client_cpus = true;
		cpu_times_share(&client0, &client1, &r.client);
	}
	if (o->nserver_cpus) {
		r.have_server_cpus = true;
		cpu_times_share(&server0, &server1, &r.server);
	}
	if (have_proc) {
		r.have_server_proc = true;
		r.server_proc_s = (double)(proc1 - proc0) / 1e6;
	}

	free(w);
	r.measure_realtime_ns = t0_realtime_ns + (run.measure_ns - run.t0_ns);
	*out = r;
	return got_signal != 0;
}
