/* Output of a run: see report.h; the columns are csv_schema.h's. */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "csv_schema.h"
#include "slo.h"

#define CELL 512
#define CLIENT_BOUND_PCT 90.0

double result_loadgen_cpu_pct(const struct lg_result *r)
{
	double cap = r->elapsed_s * (r->thread_cpus > 0 ? r->thread_cpus : 1);
	return cap > 0 ? 100.0 * (r->thread_user_s + r->thread_sys_s) / cap : 0;
}

double result_client_busy_pct(const struct lg_result *r)
{
	return r->have_client_cpus ? r->client.busy_pct : result_loadgen_cpu_pct(r);
}

/* The client limits the run when its threads had no CPU to spare, or when
 * the CPUs they are pinned to had no idle time left (on veth those CPUs also
 * carry the server's receive softirq: still the client side's ceiling). */
static bool client_cpu_bound(const struct lg_result *r)
{
	return result_loadgen_cpu_pct(r) > CLIENT_BOUND_PCT ||
	       (r->have_client_cpus && r->client.busy_pct > CLIENT_BOUND_PCT);
}

static uint64_t max_send_lag_ns(const struct lg_result *r)
{
	return (uint64_t)(r->o->max_send_lag_s * 1e9 + 0.5);
}

/* Open loop: a client that fell behind its schedule is the limit even with
 * CPU to spare (a starved or preempted thread, too few connections for the
 * rate): its lateness is in every latency figure. */
bool result_send_lag_over(const struct lg_result *r, uint64_t *observed_ns)
{
	if (!r->o->rate_milli || !r->lag)
		return false;
	return send_lag_over(r->lag, max_send_lag_ns(r), observed_ns);
}

/* Merged over several hosts: one client-bound host is enough, since its
 * lateness is in the merged figures (pooled CPU can hide one busy host). */
static bool hosts_client_bound(const struct lg_result *r)
{
	return r->hosts_client_bound && r->hosts_client_bound[0];
}

bool result_client_bound(const struct lg_result *r)
{
	return client_cpu_bound(r) || result_send_lag_over(r, NULL) || hosts_client_bound(r);
}

void result_client_bound_reason(const struct lg_result *r, char *buf, size_t len)
{
	size_t used = 0;
	uint64_t lag;

	buf[0] = '\0';
	if (hosts_client_bound(r)) {
		/* Merged: each host said why; the pooled figures add nothing. */
		snprintf(buf, len, "%s", r->hosts_client_bound);
		return;
	}
	if (client_cpu_bound(r)) {
		bool cpus = r->have_client_cpus && r->client.busy_pct > result_loadgen_cpu_pct(r);
		used += (size_t)snprintf(buf, len, "loadgen's %s were %.0f%% busy", cpus ? "CPUs" : "threads",
					 cpus ? r->client.busy_pct : result_loadgen_cpu_pct(r));
	}
	if (used < len && result_send_lag_over(r, &lag)) {
		const struct send_lag *s = r->lag;
		uint64_t due = s->lag.count + s->never_sent;
		char p99[64];
		if (lag == UINT64_MAX)
			snprintf(p99, sizeof(p99), "never sent");
		else
			snprintf(p99, sizeof(p99), "%.3f ms", (double)lag / 1e6);
		snprintf(buf + used, len - used,
			 "%sp99 send lag %s, over --max-send-lag %.3f ms (%" PRIu64 " of %" PRIu64
			 " requests never sent, %" PRIu64 " found no free connection)",
			 used ? "; " : "", p99, r->o->max_send_lag_s * 1e3, s->never_sent, due, s->no_free_conn);
	}
}

/* Failed requests above this share of all requests make a run's status
 * "errors": a failure is a bug to find, never a number to average. */
#define ERRORS_SHARE 0.001

uint64_t result_failed_requests(const struct lg_result *r)
{
	const struct lg_counters *c = &r->c;
	return c->connect_errors + c->read_errors + c->timeouts + c->non_2xx + c->verify_mismatches;
}

/* Whose CPUs limited the run. Both saturated counts as the client: the
 * number cannot then be claimed as the server's. NULL: unknown (the server's
 * CPUs were not sampled and the client's had room). */
const char *result_bound(const struct lg_result *r)
{
	if (result_client_bound(r))
		return "client";
	if (!r->have_server_cpus)
		return NULL;
	return r->server.busy_pct > CLIENT_BOUND_PCT ? "server" : "neither";
}

/* Below this, a side's CPUs were clearly waiting, not working. */
#define STALL_BUSY_PCT 75.0

/* ok, errors, or stalled: a closed loop with more than one request in
 * flight keeps one side's CPUs busy unless both sides are waiting on
 * something else (timers, a lost wake-up). With a single request in flight
 * the run is latency-bound by construction. Between STALL_BUSY_PCT and
 * CLIENT_BOUND_PCT a run is bound=neither but not a stall: on a shared
 * machine that band is noise as often as waiting. */
const char *result_status(const struct lg_result *r)
{
	uint64_t failed = result_failed_requests(r);
	if (failed > 0 && (double)failed > ERRORS_SHARE * (double)r->c.requests)
		return "errors";
	if (r->c.requests == 0)
		return "stalled";
	const char *bound = result_bound(r);
	if (!r->o->rate_milli && bound && !strcmp(bound, "neither") &&
	    (long)r->o->connections * r->o->pipeline > 1 && r->server.busy_pct < STALL_BUSY_PCT &&
	    result_client_busy_pct(r) < STALL_BUSY_PCT)
		return "stalled";
	return "ok";
}

static int column_index(const char *name)
{
	for (int i = 0; i < COL_COUNT; i++)
		if (!strcmp(csv_columns[i].name, name))
			return i;
	return -1;
}

int report_check_labels(const struct lg_options *o, char *err, size_t errlen)
{
	for (int i = 0; i < o->nlabels; i++) {
		int col = column_index(o->labels[i].key);
		if (col >= 0 && csv_columns[col].who == CSV_OWN) {
			snprintf(err, errlen, "--label %s: loadgen measures or sets that column itself",
				 o->labels[i].key);
			return -1;
		}
		if (strchr(o->labels[i].value, ';') && col < 0) {
			snprintf(err, errlen, "--label %s: ';' separates labels in the labels column",
				 o->labels[i].key);
			return -1;
		}
	}
	return 0;
}

static void cpu_model(char *out, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	out[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10))
			continue;
		char *p = strchr(line, ':');
		if (!p)
			break;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		p[strcspn(p, "\n")] = '\0';
		snprintf(out, len, "%s", p);
		break;
	}
	fclose(f);
}

static void set_u64(char *cell, uint64_t v)
{
	snprintf(cell, CELL, "%" PRIu64, v);
}

static void set_f(char *cell, double v, int decimals)
{
	snprintf(cell, CELL, "%.*f", decimals, v);
}

static void set_us(char *cell, uint64_t ns)
{
	snprintf(cell, CELL, "%.2f", (double)ns / 1000.0);
}

/* Every column's value for this run, "" when unknown. */
static void fill(const struct lg_result *r, char v[COL_COUNT][CELL])
{
	const struct lg_options *o = r->o;
	const struct lg_counters *c = &r->c;
	struct utsname u;
	double reqs = (double)c->requests;
	double el = r->elapsed_s;

	for (int i = 0; i < COL_COUNT; i++)
		v[i][0] = '\0';

	struct tm tm;
	gmtime_r(&r->start_wall, &tm);
	strftime(v[COL_timestamp], CELL, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (uname(&u) == 0) {
		snprintf(v[COL_host], CELL, "%s", u.nodename);
		snprintf(v[COL_kernel], CELL, "%s", u.release);
	}
	cpu_model(v[COL_cpu_model], CELL);
	snprintf(v[COL_server_cpus], CELL, "%s", o->server_cpus_str);
	set_u64(v[COL_loadgen_threads], (uint64_t)o->threads);
	snprintf(v[COL_loadgen_cpus], CELL, "%s", o->cpus_str);
	snprintf(v[COL_mode], CELL, "%s", o->mode == LG_CLOSE ? "close" : "keepalive");
	set_u64(v[COL_connections], (uint64_t)o->connections);
	set_u64(v[COL_pipeline], (uint64_t)o->pipeline);
	if (o->requests_per_conn)
		set_u64(v[COL_requests_per_conn], o->requests_per_conn);
	if (o->rate_milli)
		snprintf(v[COL_target_rate], CELL, "%.3f", o->rate);
	set_f(v[COL_duration_s], el, 3);
	set_f(v[COL_warmup_s], o->warmup_s, 3);
	set_u64(v[COL_requests], c->requests);
	set_u64(v[COL_bytes], c->bytes);
	set_f(v[COL_req_per_s], el > 0 ? reqs / el : 0, 1);
	set_f(v[COL_gbit_per_s], el > 0 ? (double)c->bytes * 8 / el / 1e9 : 0, 4);
	if (r->latency->count) {
		set_us(v[COL_lat_p50_us], hist_percentile(r->latency, 50));
		set_us(v[COL_lat_p90_us], hist_percentile(r->latency, 90));
		set_us(v[COL_lat_p99_us], hist_percentile(r->latency, 99));
		set_us(v[COL_lat_p999_us], hist_percentile(r->latency, 99.9));
		set_us(v[COL_lat_p9999_us], hist_percentile(r->latency, 99.99));
		set_us(v[COL_lat_max_us], r->latency->max);
		set_f(v[COL_lat_mean_us], hist_mean(r->latency) / 1000.0, 2);
	}
	set_u64(v[COL_connects], c->connects);
	if (r->connect->count) {
		set_us(v[COL_connect_p50_us], hist_percentile(r->connect, 50));
		set_us(v[COL_connect_p99_us], hist_percentile(r->connect, 99));
	}
	set_u64(v[COL_connect_errors], c->connect_errors);
	set_u64(v[COL_read_errors], c->read_errors);
	set_u64(v[COL_timeouts], c->timeouts);
	set_u64(v[COL_non_2xx], c->non_2xx);
	if (o->verify_dir)
		set_u64(v[COL_verify_mismatches], c->verify_mismatches);
	if (r->have_server_cpus) {
		set_f(v[COL_server_user_pct], r->server.user_pct, 1);
		set_f(v[COL_server_sys_pct], r->server.sys_pct, 1);
		set_f(v[COL_server_softirq_pct], r->server.softirq_pct, 1);
		set_f(v[COL_server_idle_pct], r->server.idle_pct, 1);
		if (reqs > 0)
			set_f(v[COL_server_cpu_us_per_req], r->server.work_s * 1e6 / reqs, 3);
	}
	if (r->have_server_proc && reqs > 0)
		set_f(v[COL_server_proc_cpu_us_per_req], r->server_proc_s * 1e6 / reqs, 3);
	if (r->have_client_cpus) {
		set_f(v[COL_client_user_pct], r->client.user_pct, 1);
		set_f(v[COL_client_sys_pct], r->client.sys_pct, 1);
		set_f(v[COL_client_softirq_pct], r->client.softirq_pct, 1);
		set_f(v[COL_client_idle_pct], r->client.idle_pct, 1);
	}
	set_f(v[COL_client_busy_pct], result_client_busy_pct(r), 1);
	set_f(v[COL_loadgen_cpu_pct], result_loadgen_cpu_pct(r), 1);
	if (reqs > 0)
		set_f(v[COL_loadgen_cpu_us_per_req], (r->thread_user_s + r->thread_sys_s) * 1e6 / reqs, 3);
	if (reqs > 0 && r->have_client_cpus && r->have_server_cpus)
		set_f(v[COL_machine_cpu_us_per_req], (r->client.work_s + r->server.work_s) * 1e6 / reqs, 3);
	set_u64(v[COL_client_bound], result_client_bound(r) ? 1 : 0);
	if (o->rate_milli && r->lag) {
		const struct histogram *lag = &r->lag->lag;
		if (lag->count) {
			set_us(v[COL_send_lag_p50_us], hist_percentile(lag, 50));
			set_us(v[COL_send_lag_p99_us], hist_percentile(lag, 99));
			set_us(v[COL_send_lag_max_us], lag->max);
		}
		set_u64(v[COL_never_sent], r->lag->never_sent);
		set_us(v[COL_max_send_lag_us], max_send_lag_ns(r));
	}
	if (o->rate_milli && r->latency_uncorrected && r->latency_uncorrected->count) {
		set_us(v[COL_lat_uncorrected_p50_us], hist_percentile(r->latency_uncorrected, 50));
		set_us(v[COL_lat_uncorrected_p99_us], hist_percentile(r->latency_uncorrected, 99));
		set_us(v[COL_lat_uncorrected_p999_us], hist_percentile(r->latency_uncorrected, 99.9));
	}
	if (o->have_slo) {
		uint64_t at;
		enum slo_verdict verdict = slo_judge(&o->slo, r, &at);
		snprintf(v[COL_slo], CELL, "%s", o->slo.text);
		if (r->latency->count)
			set_us(v[COL_slo_latency_us], at);
		snprintf(v[COL_slo_verdict], CELL, "%s", slo_verdict_name(verdict));
	}
	if (r->search) {
		set_u64(v[COL_search_step], (uint64_t)r->search->step);
		snprintf(v[COL_search_phase], CELL, "%s", r->search->phase);
		if (r->search->capacity_req_s >= 0)
			set_f(v[COL_slo_capacity_req_s], r->search->capacity_req_s, 3);
	}
	set_u64(v[COL_failed_requests], result_failed_requests(r));
	const char *bound = result_bound(r);
	snprintf(v[COL_bound], CELL, "%s", bound ? bound : "");
	snprintf(v[COL_status], CELL, "%s", result_status(r));
	if (o->mode == LG_CLOSE)
		snprintf(v[COL_close_policy], CELL, "%s", o->linger0 ? "linger0" : "server");

	/* Labels: a LABEL column takes the caller's value, anything else is
	 * kept in the labels column so no information is dropped. */
	size_t used = 0;
	for (int i = 0; i < o->nlabels; i++) {
		int col = column_index(o->labels[i].key);
		if (col >= 0 && csv_columns[col].who == CSV_LABEL) {
			snprintf(v[col], CELL, "%s", o->labels[i].value);
			continue;
		}
		int n = snprintf(v[COL_labels] + used, CELL - used, "%s%s=%s", used ? ";" : "",
				 o->labels[i].key, o->labels[i].value);
		if (n > 0 && used + (size_t)n < CELL)
			used += (size_t)n;
	}
}

/* RFC 4180: quote a cell that holds a comma, a quote or a line break. */
static void csv_cell(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_header(FILE *f)
{
	for (int i = 0; i < COL_COUNT; i++) {
		if (i)
			fputc(',', f);
		fputs(csv_columns[i].name, f);
	}
	fputc('\n', f);
}

/* Reads the first line of an existing, non-empty CSV; 1 if there is one. */
static int first_line(const char *file, char *buf, size_t len, char *err, size_t errlen)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "--csv %s: %s", file, strerror(errno));
		return -1;
	}
	int rc = fgets(buf, (int)len, f) ? 1 : 0;
	fclose(f);
	if (rc)
		buf[strcspn(buf, "\r\n")] = '\0';
	return rc;
}

static void header_string(char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < COL_COUNT && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "", csv_columns[i].name);
}

int report_csv_check(const char *file, char *err, size_t errlen)
{
	char line[8192], want[8192];
	int rc = first_line(file, line, sizeof(line), err, errlen);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		header_string(want, sizeof(want));
		if (strcmp(line, want)) {
			snprintf(err, errlen, "--csv %s: its header is not loadgen's columns "
				 "(see docs/csv-schema.md); use a new file", file);
			return -1;
		}
		if (access(file, W_OK) < 0) {
			snprintf(err, errlen, "--csv %s: %s", file, strerror(errno));
			return -1;
		}
		return 0;
	}
	/* Not there (or empty): make sure it can be created, now, before the run. */
	int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "--csv %s: %s", file, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

int report_csv_append(const char *file, const struct lg_result *r, char *err, size_t errlen)
{
	static char v[COL_COUNT][CELL];
	int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "--csv %s: %s", file, strerror(errno));
		return -1;
	}
	/* Several loadgens may append to one file: one row at a time. */
	if (flock(fd, LOCK_EX) < 0) {
		snprintf(err, errlen, "--csv %s: flock: %s", file, strerror(errno));
		close(fd);
		return -1;
	}
	FILE *f = fdopen(fd, "a");
	if (!f) {
		snprintf(err, errlen, "--csv %s: %s", file, strerror(errno));
		close(fd);
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_size == 0)
		csv_header(f);
	fill(r, v);
	for (int i = 0; i < COL_COUNT; i++) {
		if (i)
			fputc(',', f);
		csv_cell(f, v[i]);
	}
	fputc('\n', f);
	if (fflush(f) != 0 || ferror(f)) {
		snprintf(err, errlen, "--csv %s: write: %s", file, strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f); /* also drops the lock */
	return 0;
}

void report_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static bool is_number(const char *s)
{
	char *end;
	if (!*s)
		return false;
	strtod(s, &end);
	return *end == '\0';
}

void report_json(FILE *f, const struct lg_result *r)
{
	static char v[COL_COUNT][CELL];
	const struct lg_options *o = r->o;

	fill(r, v);
	fputc('{', f);
	for (int i = 0; i < COL_COUNT; i++) {
		if (i == COL_labels)
			continue;
		fprintf(f, "%s\"%s\":", i ? "," : "", csv_columns[i].name);
		if (csv_columns[i].type == CSV_NUM) {
			if (is_number(v[i]))
				fputs(v[i], f);
			else if (v[i][0])
				report_json_string(f, v[i]); /* a label that is not a number */
			else
				fputs("null", f);
		} else {
			if (v[i][0])
				report_json_string(f, v[i]);
			else
				fputs("null", f);
		}
	}
	fputs(",\"labels\":{", f);
	int n = 0;
	for (int i = 0; i < o->nlabels; i++) {
		if (n++)
			fputc(',', f);
		report_json_string(f, o->labels[i].key);
		fputc(':', f);
		report_json_string(f, o->labels[i].value);
	}
	fprintf(f, "},\"verified\":%" PRIu64 ",\"status_1xx\":%" PRIu64 ",\"status_2xx\":%" PRIu64
		   ",\"status_3xx\":%" PRIu64 ",\"status_4xx\":%" PRIu64 ",\"status_5xx\":%" PRIu64
		   ",\"status_other\":%" PRIu64,
		r->c.verified, r->c.status_class[1], r->c.status_class[2], r->c.status_class[3],
		r->c.status_class[4], r->c.status_class[5], r->c.status_class[0]);
	struct rusage ru;
	if (r->max_rss_kib)
		fprintf(f, ",\"max_rss_kib\":%ld", r->max_rss_kib);
	else if (getrusage(RUSAGE_SELF, &ru) == 0)
		fprintf(f, ",\"max_rss_kib\":%ld", ru.ru_maxrss);
	fprintf(f, ",\"engine\":\"%s\"", o->engine == LG_ENGINE_URING ? "uring" : "epoll");
	if (o->rate_milli && r->lag)
		fprintf(f, ",\"sent\":%" PRIu64 ",\"no_free_conn\":%" PRIu64, r->lag->lag.count,
			r->lag->no_free_conn);
	char why[2048];
	result_client_bound_reason(r, why, sizeof(why));
	fputs(",\"client_bound_reason\":", f);
	if (why[0])
		report_json_string(f, why);
	else
		fputs("null", f);
	fputs(",\"first_error\":", f);
	if (r->first_error[0])
		report_json_string(f, r->first_error);
	else
		fputs("null", f);
	fputs(",\"first_connect_error\":", f);
	if (r->first_connect_error[0])
		report_json_string(f, r->first_connect_error);
	else
		fputs("null", f);
	if (r->json_extra)
		fputs(r->json_extra, f);
	fputs("}\n", f);
}

static void print_us(FILE *f, const char *name, uint64_t ns)
{
	double us = (double)ns / 1000.0;
	if (us >= 10000)
		fprintf(f, "  %s %.1f ms", name, us / 1000.0);
	else
		fprintf(f, "  %s %.1f us", name, us);
}

void report_human(FILE *f, const struct lg_result *r)
{
	const struct lg_options *o = r->o;
	const struct lg_counters *c = &r->c;
	double el = r->elapsed_s, reqs = (double)c->requests;

	fprintf(f, "loadgen %s  %s, %d thread%s%s%s, %d connection%s, ", o->url,
		o->mode == LG_CLOSE ? "close" : "keepalive", o->threads, o->threads > 1 ? "s" : "",
		o->ncpus ? " on CPUs " : "", o->cpus_str, o->connections, o->connections > 1 ? "s" : "");
	if (o->rate_milli)
		fprintf(f, "open loop at %.1f req/s", o->rate);
	else
		fprintf(f, "closed loop, pipeline %d", o->pipeline);
	fprintf(f, "%s, %s engine\n", o->paths_file ? ", paths from an index" : "",
		o->engine == LG_ENGINE_URING ? "io_uring" : "epoll");
	fprintf(f, "  %.3f s measured: %" PRIu64 " requests, %.1f req/s, %.3f Gbit/s, %.1f MB\n", el,
		c->requests, el > 0 ? reqs / el : 0, el > 0 ? (double)c->bytes * 8 / el / 1e9 : 0,
		(double)c->bytes / 1e6);
	if (r->latency->count) {
		fprintf(f, "  latency ");
		print_us(f, "p50", hist_percentile(r->latency, 50));
		print_us(f, "p90", hist_percentile(r->latency, 90));
		print_us(f, "p99", hist_percentile(r->latency, 99));
		print_us(f, "p99.9", hist_percentile(r->latency, 99.9));
		print_us(f, "p99.99", hist_percentile(r->latency, 99.99));
		print_us(f, "max", r->latency->max);
		fprintf(f, "%s\n", o->rate_milli ? "  (from the intended send time)" : "");
	}
	if (o->rate_milli && r->latency_uncorrected && r->latency_uncorrected->count) {
		fprintf(f, "  latency ");
		print_us(f, "p50", hist_percentile(r->latency_uncorrected, 50));
		print_us(f, "p99", hist_percentile(r->latency_uncorrected, 99));
		print_us(f, "p99.9", hist_percentile(r->latency_uncorrected, 99.9));
		fprintf(f, "  (from the actual send: uncorrected for coordinated omission)\n");
	}
	if (o->rate_milli && r->lag) {
		fprintf(f, "  send lag");
		if (r->lag->lag.count) {
			print_us(f, "p50", hist_percentile(&r->lag->lag, 50));
			print_us(f, "p99", hist_percentile(&r->lag->lag, 99));
			print_us(f, "max", r->lag->lag.max);
		}
		fprintf(f, "  never sent %" PRIu64 "  (limit: p99 %.3f ms)\n", r->lag->never_sent,
			o->max_send_lag_s * 1e3);
	}
	if (o->have_slo) {
		uint64_t at;
		enum slo_verdict verdict = slo_judge(&o->slo, r, &at);
		fprintf(f, "  SLO %s:", o->slo.text);
		print_us(f, "measured", at);
		fprintf(f, "  %s\n", slo_verdict_name(verdict));
	}
	fprintf(f, "  connects %" PRIu64, c->connects);
	if (r->connect->count) {
		print_us(f, "setup p50", hist_percentile(r->connect, 50));
		print_us(f, "p99", hist_percentile(r->connect, 99));
	}
	fputc('\n', f);
	fprintf(f, "  errors: connect %" PRIu64 ", read %" PRIu64 ", timeouts %" PRIu64
		   ", non-2xx %" PRIu64,
		c->connect_errors, c->read_errors, c->timeouts, c->non_2xx);
	if (o->verify_dir)
		fprintf(f, ", verify mismatches %" PRIu64 " of %" PRIu64 " checked", c->verify_mismatches,
			c->verified);
	fputc('\n', f);
	if (r->first_connect_error[0])
		fprintf(f, "  first connect error: %s\n", r->first_connect_error);
	if (r->first_error[0])
		fprintf(f, "  first request error: %s\n", r->first_error);
	fprintf(f, "  loadgen CPU: %.1f%% of %d CPU%s (user %.2f s, sys %.2f s)", result_loadgen_cpu_pct(r),
		r->thread_cpus, r->thread_cpus > 1 ? "s" : "", r->thread_user_s, r->thread_sys_s);
	if (reqs > 0)
		fprintf(f, ", %.3f us/request", (r->thread_user_s + r->thread_sys_s) * 1e6 / reqs);
	fputc('\n', f);
	if (r->have_client_cpus)
		fprintf(f, "  client CPUs %s: user %.1f%%, sys %.1f%%, softirq %.1f%%, idle %.1f%%\n",
			o->cpus_str, r->client.user_pct, r->client.sys_pct, r->client.softirq_pct,
			r->client.idle_pct);
	if (r->have_server_cpus) {
		fprintf(f, "  server CPUs %s: user %.1f%%, sys %.1f%%, softirq %.1f%%, idle %.1f%%",
			o->server_cpus_str, r->server.user_pct, r->server.sys_pct, r->server.softirq_pct,
			r->server.idle_pct);
		if (reqs > 0)
			fprintf(f, ", %.3f us/request", r->server.work_s * 1e6 / reqs);
		fputc('\n', f);
	}
	if (r->have_server_proc && reqs > 0)
		fprintf(f, "  server process: %.3f s CPU, %.3f us/request\n", r->server_proc_s,
			r->server_proc_s * 1e6 / reqs);
	const char *bound = result_bound(r), *status = result_status(r);
	fprintf(f, "  status %s%s%s", status, bound ? ", bound: " : "", bound ? bound : "");
	if (strcmp(status, "ok"))
		fprintf(f, " (%" PRIu64 " failed requests%s)", result_failed_requests(r),
			strcmp(status, "stalled") ? "" : "; neither side's CPUs were saturated");
	fputc('\n', f);
	if (result_client_bound(r)) {
		char why[2048];
		result_client_bound_reason(r, why, sizeof(why));
		fprintf(f, "  CLIENT-BOUND: %s: this run measured the client, not the server's limit\n", why);
	}
}

void report_print_schema(FILE *f)
{
	fputs("| # | column | set by | unit | meaning |\n|---|---|---|---|---|\n", f);
	for (int i = 0; i < COL_COUNT; i++)
		fprintf(f, "| %d | `%s` | %s | %s | %s |\n", i + 1, csv_columns[i].name,
			csv_columns[i].who == CSV_LABEL ? "--label" : "loadgen",
			csv_columns[i].unit, csv_columns[i].meaning);
}
