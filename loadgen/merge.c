/* loadgen merge: see merge.h. */
#include "merge.h"

#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char merge_usage[] =
	"usage: loadgen merge [--csv FILE] [--json] [--quiet] [--label KEY=VALUE]... FILE...\n"
	"\n"
	"The one row of a run driven from several client hosts: each ran loadgen with\n"
	"--share I/N and --hist-out FILE (and the same --start-at); give the N files.\n"
	"Percentiles are those of the hosts' histograms added slot by slot (exact, never\n"
	"averaged), counters are summed, req/s is over the union of the hosts' windows,\n"
	"the client CPU columns pool the hosts' CPUs, and the run is client-bound when\n"
	"any host was (the JSON's client_bound_reason names it). The files must be one\n"
	"run's: the same options and labels; --label sets or overrides a label.\n"
	"The labels column gains client_hosts (unless given) and host_requests.\n"
	"\n"
	"  --csv FILE        append the row (docs/csv-schema.md); header if new\n"
	"  --json            print the row as one JSON object (with a client_hosts array)\n"
	"  --quiet           no human summary\n"
	"  --label KEY=VALUE fill a metadata column, or add to the labels column\n"
	"\n"
	"Exit status: 0 after a merge, 1 when a file is unreadable or the files are not\n"
	"one run's shares, 2 on a bad option.\n";

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int by_share(const void *a, const void *b)
{
	const struct host_run *x = *(struct host_run *const *)a, *y = *(struct host_run *const *)b;
	return (x->share_index > y->share_index) - (x->share_index < y->share_index);
}

/* The options of one run, as every share must have them. */
static int check_same_run(struct host_run *const *h, int n, char *const *files, char *err, size_t errlen)
{
	const struct host_run *a = h[0];
	for (int i = 0; i < n; i++) {
		const struct host_run *b = h[i];
		if (b->share_count != n)
			return fail(err, errlen, "%s is share %d/%d, but %d files were given: give all %d shares of the run",
				    files[i], b->share_index + 1, b->share_count, n, b->share_count);
	}
	for (int i = 1; i < n; i++) {
		const struct host_run *b = h[i];
		const char *what = NULL;
		if (strcmp(a->url, b->url))
			what = "--url";
		else if (a->mode != b->mode)
			what = "--mode";
		else if (a->connections_total != b->connections_total)
			what = "--connections";
		else if (a->pipeline != b->pipeline)
			what = "--pipeline";
		else if (a->requests_per_conn != b->requests_per_conn)
			what = "--requests-per-conn";
		else if (a->linger0 != b->linger0)
			what = "--linger0";
		else if (a->rate_milli != b->rate_milli)
			what = "--rate";
		else if (a->duration_s != b->duration_s)
			what = "--duration";
		else if (a->warmup_s != b->warmup_s)
			what = "--warmup";
		else if (a->max_send_lag_s != b->max_send_lag_s)
			what = "--max-send-lag";
		else if (a->verify != b->verify)
			what = "--verify";
		else if (a->paths != b->paths)
			what = "--paths";
		else if (strcmp(a->server_cpus_str, b->server_cpus_str))
			what = "--server-cpus";
		if (what)
			return fail(err, errlen, "shares %d and %d of the run differ in %s: not one run's files",
				    a->share_index + 1, b->share_index + 1, what);
	}
	return 0;
}

static const char *host_label(const struct host_run *h, const char *key)
{
	for (int i = 0; i < h->nlabels; i++)
		if (!strcmp(h->label_key[i], key))
			return h->label_value[i];
	return NULL;
}

static bool overridden(char **labels, int nlabels, const char *key)
{
	size_t n = strlen(key);
	for (int i = 0; i < nlabels; i++)
		if (!strncmp(labels[i], key, n) && labels[i][n] == '=')
			return true;
	return false;
}

/* The files' labels, which must agree, then the merge command's over them. */
static int merge_labels(struct lg_merged *m, char **labels, int nlabels, char *err, size_t errlen)
{
	for (int h = 0; h < m->nhosts; h++) {
		const struct host_run *x = m->hosts[h];
		for (int i = 0; i < x->nlabels; i++) {
			const char *key = x->label_key[i];
			if (overridden(labels, nlabels, key))
				continue;
			for (int k = 0; k < m->nhosts; k++) {
				const char *v = host_label(m->hosts[k], key);
				if (!v || strcmp(v, x->label_value[i]))
					return fail(err, errlen, "label %s is '%s' in share %d but %s%s%s in share %d: "
						    "the files must agree (or set it with --label)", key,
						    x->label_value[i], x->share_index + 1, v ? "'" : "", v ? v : "absent",
						    v ? "'" : "", k + 1);
			}
			if (h == 0) {
				if (m->o.nlabels == LG_MAX_LABELS)
					return fail(err, errlen, "more than %d labels", LG_MAX_LABELS);
				m->o.labels[m->o.nlabels].key = x->label_key[i];
				m->o.labels[m->o.nlabels].value = x->label_value[i];
				m->o.nlabels++;
			}
		}
	}
	for (int i = 0; i < nlabels; i++)
		if (lg_options_add_label(&m->o, labels[i], err, errlen) < 0)
			return -1;
	/* Who made the row and how much each did: kept in the labels column. */
	size_t used = 0;
	if (!lg_label(&m->o, "client_hosts")) {
		used = (size_t)snprintf(m->label_buf[0], sizeof(m->label_buf[0]), "client_hosts=");
		for (int h = 0; h < m->nhosts && used < sizeof(m->label_buf[0]); h++)
			used += (size_t)snprintf(m->label_buf[0] + used, sizeof(m->label_buf[0]) - used, "%s%s",
						 h ? "+" : "", m->hosts[h]->nodename[0] ? m->hosts[h]->nodename : "?");
		if (lg_options_add_label(&m->o, m->label_buf[0], err, errlen) < 0)
			return -1;
	}
	used = (size_t)snprintf(m->label_buf[1], sizeof(m->label_buf[1]), "host_requests=");
	for (int h = 0; h < m->nhosts && used < sizeof(m->label_buf[1]); h++)
		used += (size_t)snprintf(m->label_buf[1] + used, sizeof(m->label_buf[1]) - used,
					 "%s%" PRIu64, h ? "+" : "", m->hosts[h]->c.requests);
	if (!lg_label(&m->o, "host_requests") &&
	    lg_options_add_label(&m->o, m->label_buf[1], err, errlen) < 0)
		return -1;
	return 0;
}

static void add_counters(struct lg_counters *into, const struct lg_counters *c)
{
	into->requests += c->requests;
	into->bytes += c->bytes;
	into->body_bytes += c->body_bytes;
	for (int k = 0; k < 6; k++)
		into->status_class[k] += c->status_class[k];
	into->non_2xx += c->non_2xx;
	into->connects += c->connects;
	into->connect_errors += c->connect_errors;
	into->read_errors += c->read_errors;
	into->timeouts += c->timeouts;
	into->verify_mismatches += c->verify_mismatches;
	into->verified += c->verified;
}

/* The hosts' CPUs as one pool: each share weighted by its CPU-seconds. */
static void pool_cpu(struct cpu_share *into, const struct cpu_share *s)
{
	double t = into->total_s + s->total_s;
	if (t > 0) {
		into->user_pct = (into->user_pct * into->total_s + s->user_pct * s->total_s) / t;
		into->sys_pct = (into->sys_pct * into->total_s + s->sys_pct * s->total_s) / t;
		into->softirq_pct = (into->softirq_pct * into->total_s + s->softirq_pct * s->total_s) / t;
		into->idle_pct = (into->idle_pct * into->total_s + s->idle_pct * s->total_s) / t;
		into->busy_pct = 100.0 - into->idle_pct;
	}
	into->busy_s += s->busy_s;
	into->work_s += s->work_s;
	into->total_s = t;
}

static void append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	if (used + 1 >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* Each host's part, for the JSON: ,"client_hosts":[{...},...] */
static char *hosts_json(const struct lg_merged *m, uint64_t start)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fputs(",\"client_hosts\":[", f);
	for (int i = 0; i < m->nhosts; i++) {
		const struct host_run *h = m->hosts[i];
		double el = (double)h->elapsed_ns / 1e9;
		fprintf(f, "%s{\"share\":\"%d/%d\",\"nodename\":", i ? "," : "", h->share_index + 1, h->share_count);
		report_json_string(f, h->nodename);
		fprintf(f, ",\"connections\":%d,\"threads\":%d,\"requests\":%" PRIu64 ",\"req_per_s\":%.1f"
			   ",\"window_start_offset_s\":%.6f,\"duration_s\":%.3f,\"failed_requests\":%" PRIu64
			   ",\"sent\":%" PRIu64 ",\"never_sent\":%" PRIu64
			   ",\"loadgen_cpu_s\":%.3f,\"client_bound\":%d,\"client_bound_reason\":",
			h->connections, h->threads, h->c.requests, el > 0 ? (double)h->c.requests / el : 0,
			(double)(h->window_start_realtime_ns - start) / 1e9, el,
			h->c.connect_errors + h->c.read_errors + h->c.timeouts + h->c.non_2xx + h->c.verify_mismatches,
			h->lag.lag.count, h->lag.never_sent, h->thread_user_s + h->thread_sys_s, h->client_bound);
		if (h->client_bound)
			report_json_string(f, h->client_bound_reason);
		else
			fputs("null", f);
		fputc('}', f);
	}
	fputc(']', f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int lg_merge_files(struct lg_merged *m, char *const *files, int nfiles, char **labels, int nlabels,
		   char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	if (nfiles < 1)
		return fail(err, errlen, "no file to merge");
	m->hosts = calloc((size_t)nfiles, sizeof(*m->hosts));
	if (!m->hosts)
		return fail(err, errlen, "out of memory");
	for (int i = 0; i < nfiles; i++) {
		m->hosts[i] = malloc(sizeof(*m->hosts[i]));
		if (!m->hosts[i])
			return fail(err, errlen, "out of memory");
		m->nhosts = i + 1;
		if (host_run_read(files[i], m->hosts[i], err, errlen) < 0)
			return -1;
	}
	if (check_same_run(m->hosts, nfiles, files, err, errlen) < 0)
		return -1;
	qsort(m->hosts, (size_t)nfiles, sizeof(*m->hosts), by_share);
	for (int i = 1; i < nfiles; i++)
		if (m->hosts[i]->share_index == m->hosts[i - 1]->share_index)
			return fail(err, errlen, "two files are share %d/%d", m->hosts[i]->share_index + 1, nfiles);

	/* The whole run's options, as one client would have had them. */
	const struct host_run *h0 = m->hosts[0];
	struct lg_options *o = &m->o;
	snprintf(m->url, sizeof(m->url), "%s", h0->url);
	o->url = m->url;
	o->mode = h0->mode;
	o->connections = o->connections_total = h0->connections_total;
	o->pipeline = h0->pipeline;
	o->requests_per_conn = h0->requests_per_conn;
	o->linger0 = h0->linger0;
	o->rate_milli = h0->rate_milli;
	o->rate = (double)h0->rate_milli / 1000.0;
	o->duration_s = h0->duration_s;
	o->warmup_s = h0->warmup_s;
	o->timeout_s = h0->timeout_s;
	o->max_send_lag_s = h0->max_send_lag_s;
	o->verify_dir = h0->verify ? "(each host's)" : NULL;
	o->paths_file = h0->paths ? "(each host's)" : NULL;
	snprintf(o->server_cpus_str, sizeof(o->server_cpus_str), "%s", h0->server_cpus_str);
	o->share_count = 1;
	if (merge_labels(m, labels, nlabels, err, errlen) < 0)
		return -1;
	if (report_check_labels(o, err, errlen) < 0)
		return -1;

	struct lg_result *r = &m->r;
	r->o = o;
	hist_init(&m->latency);
	hist_init(&m->connect);
	hist_init(&m->latency_uncorrected);
	send_lag_init(&m->lag, 0);
	r->latency = &m->latency;
	r->connect = &m->connect;
	r->latency_uncorrected = &m->latency_uncorrected;
	r->lag = &m->lag;
	uint64_t start = UINT64_MAX, end = 0, last_start = 0;
	bool all_client_cpus = true, same_cpus = true;
	for (int i = 0; i < nfiles; i++) {
		const struct host_run *h = m->hosts[i];
		add_counters(&r->c, &h->c);
		hist_merge(&m->latency, &h->latency);
		hist_merge(&m->connect, &h->connect);
		hist_merge(&m->latency_uncorrected, &h->latency_uncorrected);
		send_lag_merge(&m->lag, &h->lag);
		o->threads += h->threads;
		r->thread_user_s += h->thread_user_s;
		r->thread_sys_s += h->thread_sys_s;
		r->thread_cpus += h->thread_cpus;
		if (h->window_start_realtime_ns < start)
			start = h->window_start_realtime_ns;
		if (h->window_start_realtime_ns > last_start)
			last_start = h->window_start_realtime_ns;
		if (h->window_start_realtime_ns + h->elapsed_ns > end)
			end = h->window_start_realtime_ns + h->elapsed_ns;
		all_client_cpus &= h->have_client_cpus;
		if (h->have_client_cpus)
			pool_cpu(&r->client, &h->client);
		same_cpus &= !strcmp(h->cpus_str, h0->cpus_str);
		/* The server's CPUs are one machine's: the first share that sampled them. */
		if (h->have_server_cpus && !r->have_server_cpus) {
			r->have_server_cpus = true;
			r->server = h->server;
		}
		if (h->have_server_proc && !r->have_server_proc) {
			r->have_server_proc = true;
			r->server_proc_s = h->server_proc_s;
		}
		if (h->max_rss_kib > r->max_rss_kib)
			r->max_rss_kib = h->max_rss_kib;
		if (h->client_bound)
			append(m->hosts_why, sizeof(m->hosts_why), "%shost %d/%d (%s): %s",
			       m->hosts_why[0] ? "; " : "", h->share_index + 1, nfiles, h->nodename,
			       h->client_bound_reason[0] ? h->client_bound_reason : "client-bound");
		if (!r->first_error[0] && h->first_error[0])
			append(r->first_error, sizeof(r->first_error), "host %d/%d: %s", h->share_index + 1,
			       nfiles, h->first_error);
		if (!r->first_connect_error[0] && h->first_connect_error[0])
			append(r->first_connect_error, sizeof(r->first_connect_error), "host %d/%d: %s",
			       h->share_index + 1, nfiles, h->first_connect_error);
	}
	r->have_client_cpus = all_client_cpus;
	if (same_cpus) {
		snprintf(m->cpus_str, sizeof(m->cpus_str), "%s", h0->cpus_str);
	} else {
		for (int i = 0; i < nfiles; i++)
			append(m->cpus_str, sizeof(m->cpus_str), "%s%s", i ? "+" : "", m->hosts[i]->cpus_str);
	}
	snprintf(o->cpus_str, sizeof(o->cpus_str), "%s", m->cpus_str);
	o->ncpus = o->cpus_str[0] ? 1 : 0; /* the report only asks whether there are any */
	r->elapsed_s = (double)(end - start) / 1e9;
	r->start_wall = (time_t)(start / 1000000000ull);
	m->start_spread_s = (double)(last_start - start) / 1e9;
	r->hosts_client_bound = m->hosts_why;
	m->json_extra = hosts_json(m, start);
	r->json_extra = m->json_extra;
	return 0;
}

void lg_merge_free(struct lg_merged *m)
{
	for (int i = 0; i < m->nhosts; i++)
		free(m->hosts[i]);
	free(m->hosts);
	free(m->json_extra);
	m->hosts = NULL;
	m->json_extra = NULL;
	m->nhosts = 0;
}

/* Hosts whose windows start this far apart did not start together: the
 * union window then holds stretches where only some of them loaded. */
static double start_spread_limit(const struct lg_merged *m)
{
	double limit = 0.02 * m->r.elapsed_s;
	return limit > 0.1 ? limit : 0.1;
}

int lg_merge_main(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "csv", required_argument, NULL, 'c' }, { "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' }, { "label", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *csv = NULL;
	bool json = false, quiet = false;
	char *labels[LG_MAX_LABELS];
	int nlabels = 0, c;
	char err[4096];

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 'c': csv = optarg; break;
		case 'j': json = true; break;
		case 'q': quiet = true; break;
		case 'l':
			if (nlabels == LG_MAX_LABELS) {
				fprintf(stderr, "loadgen merge: more than %d labels\n", LG_MAX_LABELS);
				return 2;
			}
			/* Checked now, on a copy: a bad label is a bad option (exit 2). */
			static struct lg_options check;
			char copy[HIST_TEXT_MAX];
			snprintf(copy, sizeof(copy), "%s", optarg);
			if (lg_options_add_label(&check, copy, err, sizeof(err)) < 0 ||
			    report_check_labels(&check, err, sizeof(err)) < 0) {
				fprintf(stderr, "loadgen merge: %s\n", err);
				return 2;
			}
			check.nlabels = 0;
			labels[nlabels++] = optarg;
			break;
		case 'h': fputs(merge_usage, stdout); return 0;
		default:
			fprintf(stderr, "loadgen merge: %s '%s' (see loadgen merge --help)\n",
				optopt ? "option needs a value:" : "unknown option", argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "loadgen merge: no file to merge (see loadgen merge --help)\n");
		return 2;
	}
	struct lg_merged *m = malloc(sizeof(*m));
	if (!m) {
		fprintf(stderr, "loadgen merge: out of memory\n");
		return 1;
	}
	int rc = 0;
	if (lg_merge_files(m, argv + optind, argc - optind, labels, nlabels, err, sizeof(err)) < 0) {
		fprintf(stderr, "loadgen merge: %s\n", err);
		rc = 1;
		goto out;
	}
	if (csv && report_csv_check(csv, err, sizeof(err)) < 0) {
		fprintf(stderr, "loadgen merge: %s\n", err);
		rc = 1;
		goto out;
	}
	if (m->start_spread_s > start_spread_limit(m))
		fprintf(stderr, "loadgen merge: the hosts' windows start %.3f s apart (of %.3f s): they did "
				"not start together (loadgen --start-at), so req/s is over a union window "
				"in which not every host was loading\n", m->start_spread_s, m->r.elapsed_s);
	if (result_client_bound(&m->r)) {
		result_client_bound_reason(&m->r, err, sizeof(err));
		fprintf(stderr, "loadgen merge: client-bound: %s\n", err);
	}
	if (json) {
		report_json(stdout, &m->r);
	} else if (!quiet) {
		report_human(stdout, &m->r);
		for (int i = 0; i < m->nhosts; i++) {
			const struct host_run *h = m->hosts[i];
			printf("  host %d/%d %s: %d connections, %" PRIu64 " requests in %.3f s%s\n",
			       h->share_index + 1, m->nhosts, h->nodename, h->connections, h->c.requests,
			       (double)h->elapsed_ns / 1e9, h->client_bound ? ", client-bound" : "");
		}
	}
	fflush(stdout);
	if (csv && report_csv_append(csv, &m->r, err, sizeof(err)) < 0) {
		fprintf(stderr, "loadgen merge: %s\n", err);
		rc = 1;
	}
out:
	lg_merge_free(m);
	free(m);
	return rc;
}
