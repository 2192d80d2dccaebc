/* --hist-out files: see hist_io.h and docs/hist-format.md. */
#include "hist_io.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "report.h"

int hist_out_check(const char *file, char *err, size_t errlen)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "--hist-out %s: %s", file, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* A text value is the rest of its line: line breaks would end it early. */
static void put_value(FILE *f, const char *v)
{
	for (; v && *v; v++)
		fputc(*v == '\n' || *v == '\r' ? ' ' : *v, f);
	fputc('\n', f);
}

static void put_text(FILE *f, const char *key, const char *v)
{
	fprintf(f, "%s ", key);
	put_value(f, v);
}

/* %.17g: a double reads back to the same bits. */
static void put_cpu(FILE *f, const char *key, const struct cpu_share *s)
{
	fprintf(f, "%s %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g\n", key, s->user_pct, s->sys_pct,
		s->softirq_pct, s->idle_pct, s->busy_pct, s->busy_s, s->work_s, s->total_s);
}

/* A histogram: its header, then each non-empty slot. */
static void hist_write_text(FILE *f, const char *name, const struct histogram *h)
{
	uint32_t nonzero = 0;
	for (uint32_t i = 0; i < HIST_SLOTS; i++)
		nonzero += h->slots[i] != 0;
	fprintf(f, "hist %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %.17g %" PRIu32 "\n", name,
		h->count, h->min, h->max, h->clamped, h->sum, nonzero);
	for (uint32_t i = 0; i < HIST_SLOTS; i++)
		if (h->slots[i])
			fprintf(f, "%" PRIu32 " %" PRIu64 "\n", i, h->slots[i]);
}

static void put_counters(FILE *f, const struct lg_counters *c)
{
	static const char *const class_name[6] = { "other", "1xx", "2xx", "3xx", "4xx", "5xx" };
	fprintf(f, "requests %" PRIu64 "\nbytes %" PRIu64 "\nbody_bytes %" PRIu64 "\n", c->requests,
		c->bytes, c->body_bytes);
	for (int k = 0; k < 6; k++)
		fprintf(f, "status_%s %" PRIu64 "\n", class_name[k], c->status_class[k]);
	fprintf(f, "non_2xx %" PRIu64 "\nconnects %" PRIu64 "\nconnect_errors %" PRIu64
		   "\nread_errors %" PRIu64 "\ntimeouts %" PRIu64 "\nverify_mismatches %" PRIu64
		   "\nverified %" PRIu64 "\n",
		c->non_2xx, c->connects, c->connect_errors, c->read_errors, c->timeouts,
		c->verify_mismatches, c->verified);
}

int hist_out_write(const char *file, const struct lg_result *r, uint64_t window_start_realtime_ns,
		   char *err, size_t errlen)
{
	const struct lg_options *o = r->o;
	struct utsname u;
	struct rusage ru;
	char why[2048];

	/* Written aside and renamed: a reader never sees half a file. */
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", file, (long)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "--hist-out %s: %s", tmp, strerror(errno));
		return -1;
	}
	fprintf(f, "%s %d\n", HIST_FILE_MAGIC, HIST_FILE_VERSION);
	fprintf(f, "layout %d %d\n", HIST_SUB_BITS, HIST_MAX_SHIFT);
	put_text(f, "nodename", uname(&u) == 0 ? u.nodename : "");
	fprintf(f, "share %d %d\n", o->share_index + 1, o->share_count);
	put_text(f, "url", o->url);
	put_text(f, "mode", o->mode == LG_CLOSE ? "close" : "keepalive");
	fprintf(f, "connections_total %d\nconnections %d\nthreads %d\n", o->connections_total,
		o->connections, o->threads);
	put_text(f, "cpus", o->cpus_str);
	fprintf(f, "pipeline %d\nrequests_per_conn %" PRIu64 "\nlinger0 %d\nrate_milli %" PRIu64 "\n",
		o->pipeline, o->requests_per_conn, o->linger0, o->rate_milli);
	fprintf(f, "duration_s %.17g\nwarmup_s %.17g\ntimeout_s %.17g\nmax_send_lag_s %.17g\n",
		o->duration_s, o->warmup_s, o->timeout_s, o->max_send_lag_s);
	fprintf(f, "verify %d\npaths %d\n", o->verify_dir != NULL, o->paths_file != NULL);
	put_text(f, "server_cpus", o->server_cpus_str);
	for (int i = 0; i < o->nlabels; i++) {
		fprintf(f, "label %s ", o->labels[i].key);
		put_value(f, o->labels[i].value);
	}
	fprintf(f, "window_start_realtime_ns %" PRIu64 "\nelapsed_ns %" PRIu64 "\n",
		window_start_realtime_ns, (uint64_t)(r->elapsed_s * 1e9 + 0.5));
	put_counters(f, &r->c);
	fprintf(f, "thread_cpu %.17g %.17g %d\n", r->thread_user_s, r->thread_sys_s, r->thread_cpus);
	if (r->have_client_cpus)
		put_cpu(f, "client_cpu", &r->client);
	if (r->have_server_cpus)
		put_cpu(f, "server_cpu", &r->server);
	if (r->have_server_proc)
		fprintf(f, "server_proc_s %.17g\n", r->server_proc_s);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		fprintf(f, "max_rss_kib %ld\n", ru.ru_maxrss);
	result_client_bound_reason(r, why, sizeof(why));
	fprintf(f, "client_bound %d\n", result_client_bound(r));
	put_text(f, "client_bound_reason", why);
	put_text(f, "first_error", r->first_error);
	put_text(f, "first_connect_error", r->first_connect_error);
	fprintf(f, "send_lag %" PRIu64 " %" PRIu64 "\n", r->lag ? r->lag->never_sent : 0,
		r->lag ? r->lag->no_free_conn : 0);
	hist_write_text(f, "latency", r->latency);
	hist_write_text(f, "connect", r->connect);
	hist_write_text(f, "latency_uncorrected", r->latency_uncorrected);
	if (r->lag) {
		hist_write_text(f, "send_lag", &r->lag->lag);
	} else {
		static struct histogram empty;
		hist_init(&empty);
		hist_write_text(f, "send_lag", &empty);
	}
	fputs("end\n", f);
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0) {
		snprintf(err, errlen, "--hist-out %s: write: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	fclose(f);
	if (rename(tmp, file) < 0) {
		snprintf(err, errlen, "--hist-out %s: rename: %s", file, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* ---- reading ---- */

struct reader {
	FILE *f;
	const char *file;
	long lineno;
	char *line;
	size_t cap;
	char *err;
	size_t errlen;
};

static int bad(struct reader *rd, const char *what)
{
	snprintf(rd->err, rd->errlen, "%s:%ld: %s", rd->file, rd->lineno, what);
	return -1;
}

static int next_line(struct reader *rd)
{
	ssize_t n = getline(&rd->line, &rd->cap, rd->f);
	if (n < 0)
		return 0;
	rd->lineno++;
	if (n > 0 && rd->line[n - 1] == '\n')
		rd->line[n - 1] = '\0';
	return 1;
}

static int to_u64(const char *s, uint64_t *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int to_int(const char *s, int *out)
{
	uint64_t v;
	if (to_u64(s, &v) < 0 || v > INT32_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

static int to_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end)
		return -1;
	*out = v;
	return 0;
}

static void copy_text(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

static int read_cpu(const char *v, struct cpu_share *s)
{
	int n = sscanf(v, "%lf %lf %lf %lf %lf %lf %lf %lf", &s->user_pct, &s->sys_pct, &s->softirq_pct,
		       &s->idle_pct, &s->busy_pct, &s->busy_s, &s->work_s, &s->total_s);
	return n == 8 ? 0 : -1;
}

static int read_hist(struct reader *rd, const char *v, struct host_run *h, unsigned *seen)
{
	char name[64];
	uint64_t count, min, max, clamped;
	double sum;
	uint32_t nonzero;
	struct histogram *dst;
	int pos = 0;

	if (sscanf(v, "%63s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %lf %" SCNu32 "%n", name,
		   &count, &min, &max, &clamped, &sum, &nonzero, &pos) != 7 || v[pos])
		return bad(rd, "expected: hist NAME COUNT MIN MAX CLAMPED SUM NONZERO");
	unsigned bit;
	if (!strcmp(name, "latency"))
		dst = &h->latency, bit = 1;
	else if (!strcmp(name, "connect"))
		dst = &h->connect, bit = 2;
	else if (!strcmp(name, "latency_uncorrected"))
		dst = &h->latency_uncorrected, bit = 4;
	else if (!strcmp(name, "send_lag"))
		dst = &h->lag.lag, bit = 8;
	else
		return bad(rd, "unknown histogram");
	if (*seen & bit)
		return bad(rd, "histogram given twice");
	*seen |= bit;
	hist_init(dst);
	dst->count = count;
	dst->min = count ? min : UINT64_MAX;
	dst->max = max;
	dst->clamped = clamped;
	dst->sum = sum;
	uint64_t total = 0;
	int64_t last = -1;
	for (uint32_t i = 0; i < nonzero; i++) {
		uint32_t slot;
		uint64_t n;
		pos = 0;
		if (!next_line(rd))
			return bad(rd, "the file ends inside a histogram");
		if (sscanf(rd->line, "%" SCNu32 " %" SCNu64 "%n", &slot, &n, &pos) != 2 || rd->line[pos])
			return bad(rd, "expected: SLOT COUNT");
		if (slot >= HIST_SLOTS || (int64_t)slot <= last || n == 0)
			return bad(rd, "slots must be increasing, below the layout's end, with counts > 0");
		last = slot;
		dst->slots[slot] = n;
		total += n;
	}
	if (total != count)
		return bad(rd, "the histogram's slot counts do not add up to its count");
	if (count && (min > max || hist_slot_of(min > HIST_MAX_NS ? HIST_MAX_NS : min) > (uint32_t)last))
		return bad(rd, "the histogram's min and max disagree with its slots");
	return 0;
}

/* Keys a file must have: a truncated or hand-cut file is refused. */
enum {
	SEEN_SHARE = 1 << 0, SEEN_URL = 1 << 1, SEEN_MODE = 1 << 2, SEEN_CONNS = 1 << 3,
	SEEN_WINDOW = 1 << 4, SEEN_ELAPSED = 1 << 5, SEEN_REQUESTS = 1 << 6, SEEN_LAYOUT = 1 << 7,
	SEEN_RATE = 1 << 8, SEEN_END = 1 << 9,
	SEEN_ALL = (1 << 10) - 1,
};

static int read_line(struct reader *rd, struct host_run *h, unsigned *seen, unsigned *hists)
{
	char *key = rd->line, *v = strchr(rd->line, ' ');
	if (v)
		*v++ = '\0';
	else
		v = key + strlen(key);

	static const struct {
		const char *name;
		size_t off;
	} counters[] = {
#define C(name, field) { name, offsetof(struct lg_counters, field) }
		C("requests", requests), C("bytes", bytes), C("body_bytes", body_bytes),
		C("status_other", status_class[0]), C("status_1xx", status_class[1]),
		C("status_2xx", status_class[2]), C("status_3xx", status_class[3]),
		C("status_4xx", status_class[4]), C("status_5xx", status_class[5]),
		C("non_2xx", non_2xx), C("connects", connects), C("connect_errors", connect_errors),
		C("read_errors", read_errors), C("timeouts", timeouts),
		C("verify_mismatches", verify_mismatches), C("verified", verified),
#undef C
	};
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		if (strcmp(key, counters[i].name))
			continue;
		if (to_u64(v, (uint64_t *)((char *)&h->c + counters[i].off)) < 0)
			return bad(rd, "expected a count");
		if (!strcmp(key, "requests"))
			*seen |= SEEN_REQUESTS;
		return 0;
	}

	int a, b, ok = 0;
	if (!strcmp(key, "layout")) {
		if (sscanf(v, "%d %d", &a, &b) != 2 || a != HIST_SUB_BITS || b != HIST_MAX_SHIFT)
			return bad(rd, "histogram layout differs from this loadgen's (histogram.h)");
		*seen |= SEEN_LAYOUT;
		return 0;
	}
	if (!strcmp(key, "share")) {
		char extra;
		if (sscanf(v, "%d %d%c", &a, &b, &extra) != 2 || b < 1 || a < 1 || a > b)
			return bad(rd, "expected: share I N with 1 <= I <= N");
		h->share_index = a - 1;
		h->share_count = b;
		*seen |= SEEN_SHARE;
		return 0;
	}
	if (!strcmp(key, "label")) {
		/* "label KEY VALUE": the value is the rest of the line, spaces and all. */
		char *sp = strchr(v, ' ');
		if (!sp || sp == v || (size_t)(sp - v) >= sizeof(h->label_key[0]))
			return bad(rd, "expected: label KEY VALUE");
		if (h->nlabels == LG_MAX_LABELS)
			return bad(rd, "too many labels");
		*sp = '\0';
		copy_text(h->label_key[h->nlabels], sizeof(h->label_key[0]), v);
		copy_text(h->label_value[h->nlabels], sizeof(h->label_value[0]), sp + 1);
		h->nlabels++;
		return 0;
	}
	if (!strcmp(key, "hist"))
		return read_hist(rd, v, h, hists);
	if (!strcmp(key, "send_lag")) {
		char extra;
		if (sscanf(v, "%" SCNu64 " %" SCNu64 "%c", &h->lag.never_sent, &h->lag.no_free_conn, &extra) != 2)
			return bad(rd, "expected: send_lag NEVER_SENT NO_FREE_CONN");
		return 0;
	}
	if (!strcmp(key, "thread_cpu")) {
		char extra;
		if (sscanf(v, "%lf %lf %d%c", &h->thread_user_s, &h->thread_sys_s, &h->thread_cpus, &extra) != 3)
			return bad(rd, "expected: thread_cpu USER_S SYS_S CPUS");
		return 0;
	}
	if (!strcmp(key, "client_cpu")) {
		h->have_client_cpus = true;
		return read_cpu(v, &h->client) < 0 ? bad(rd, "expected 8 numbers") : 0;
	}
	if (!strcmp(key, "server_cpu")) {
		h->have_server_cpus = true;
		return read_cpu(v, &h->server) < 0 ? bad(rd, "expected 8 numbers") : 0;
	}
	if (!strcmp(key, "mode")) {
		if (!strcmp(v, "close"))
			h->mode = LG_CLOSE;
		else if (!strcmp(v, "keepalive"))
			h->mode = LG_KEEPALIVE;
		else
			return bad(rd, "mode is keepalive or close");
		*seen |= SEEN_MODE;
		return 0;
	}
	uint64_t u;
	int i;
	double d;
	if (!strcmp(key, "nodename"))
		copy_text(h->nodename, sizeof(h->nodename), v), ok = 1;
	else if (!strcmp(key, "url"))
		copy_text(h->url, sizeof(h->url), v), ok = 1, *seen |= SEEN_URL;
	else if (!strcmp(key, "cpus"))
		copy_text(h->cpus_str, sizeof(h->cpus_str), v), ok = 1;
	else if (!strcmp(key, "server_cpus"))
		copy_text(h->server_cpus_str, sizeof(h->server_cpus_str), v), ok = 1;
	else if (!strcmp(key, "client_bound_reason"))
		copy_text(h->client_bound_reason, sizeof(h->client_bound_reason), v), ok = 1;
	else if (!strcmp(key, "first_error"))
		copy_text(h->first_error, sizeof(h->first_error), v), ok = 1;
	else if (!strcmp(key, "first_connect_error"))
		copy_text(h->first_connect_error, sizeof(h->first_connect_error), v), ok = 1;
	if (ok)
		return 0;
	if (!strcmp(key, "connections_total"))
		ok = to_int(v, &h->connections_total) == 0, *seen |= SEEN_CONNS;
	else if (!strcmp(key, "connections"))
		ok = to_int(v, &h->connections) == 0;
	else if (!strcmp(key, "threads"))
		ok = to_int(v, &h->threads) == 0;
	else if (!strcmp(key, "pipeline"))
		ok = to_int(v, &h->pipeline) == 0;
	else if (!strcmp(key, "requests_per_conn"))
		ok = to_u64(v, &h->requests_per_conn) == 0;
	else if (!strcmp(key, "rate_milli"))
		ok = to_u64(v, &h->rate_milli) == 0, *seen |= SEEN_RATE;
	else if (!strcmp(key, "window_start_realtime_ns"))
		ok = to_u64(v, &h->window_start_realtime_ns) == 0, *seen |= SEEN_WINDOW;
	else if (!strcmp(key, "elapsed_ns"))
		ok = to_u64(v, &h->elapsed_ns) == 0, *seen |= SEEN_ELAPSED;
	else if (!strcmp(key, "linger0") || !strcmp(key, "verify") || !strcmp(key, "paths") ||
		 !strcmp(key, "client_bound")) {
		ok = to_int(v, &i) == 0 && i <= 1;
		bool flag = i == 1;
		if (!strcmp(key, "linger0"))
			h->linger0 = flag;
		else if (!strcmp(key, "verify"))
			h->verify = flag;
		else if (!strcmp(key, "paths"))
			h->paths = flag;
		else
			h->client_bound = flag;
	} else if (!strcmp(key, "max_rss_kib")) {
		ok = to_u64(v, &u) == 0;
		h->max_rss_kib = (long)u;
	} else if (!strcmp(key, "duration_s"))
		ok = to_double(v, &h->duration_s) == 0;
	else if (!strcmp(key, "warmup_s"))
		ok = to_double(v, &h->warmup_s) == 0;
	else if (!strcmp(key, "timeout_s"))
		ok = to_double(v, &h->timeout_s) == 0;
	else if (!strcmp(key, "max_send_lag_s"))
		ok = to_double(v, &h->max_send_lag_s) == 0;
	else if (!strcmp(key, "server_proc_s")) {
		ok = to_double(v, &d) == 0;
		h->server_proc_s = d;
		h->have_server_proc = true;
	} else if (!strcmp(key, "end")) {
		ok = !*v;
		*seen |= SEEN_END;
	} else {
		return bad(rd, "unknown key (a newer loadgen's file?)");
	}
	return ok ? 0 : bad(rd, "bad value");
}

int host_run_read(const char *file, struct host_run *h, char *err, size_t errlen)
{
	struct reader rd = { .file = file, .err = err, .errlen = errlen };
	unsigned seen = 0, hists = 0;
	int rc = -1;

	memset(h, 0, sizeof(*h));
	send_lag_init(&h->lag, 0);
	hist_init(&h->latency);
	hist_init(&h->connect);
	hist_init(&h->latency_uncorrected);
	h->share_count = 1;
	rd.f = fopen(file, "r");
	if (!rd.f) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	char magic[64];
	int version;
	if (!next_line(&rd) || sscanf(rd.line, "%63s %d", magic, &version) != 2 ||
	    strcmp(magic, HIST_FILE_MAGIC)) {
		bad(&rd, "not a loadgen --hist-out file");
		goto out;
	}
	if (version != HIST_FILE_VERSION) {
		char why[128];
		snprintf(why, sizeof(why), "format version %d; this loadgen reads version %d", version,
			 HIST_FILE_VERSION);
		bad(&rd, why);
		goto out;
	}
	while (!(seen & SEEN_END) && next_line(&rd))
		if (read_line(&rd, h, &seen, &hists) < 0)
			goto out;
	if (seen != SEEN_ALL || hists != 15) {
		bad(&rd, "incomplete file (no end line, or a required key or histogram missing)");
		goto out;
	}
	if (next_line(&rd)) {
		bad(&rd, "text after the end line");
		goto out;
	}
	rc = 0;
out:
	free(rd.line);
	fclose(rd.f);
	return rc;
}
