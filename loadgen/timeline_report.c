/* --timeline rows and --progress lines: see timeline_report.h. */
#include "timeline_report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "timeline.h"

enum tl_column {
#define TL_ENUM(name, unit, meaning) TCOL_##name,
	TIMELINE_COLUMNS(TL_ENUM)
#undef TL_ENUM
	TCOL_COUNT
};

static const struct {
	const char *name, *unit, *meaning;
} tl_columns[TCOL_COUNT] = {
#define TL_DESC(name, unit, meaning) { #name, unit, meaning },
	TIMELINE_COLUMNS(TL_DESC)
#undef TL_DESC
};

/* The --label keys with a column of their own here. */
static const char *const label_columns[] = { "server", "workers", "page_set", "mtu", "repeat" };

struct lg_timeline {
	const struct lg_options *o;
	struct tl_layout layout;
	struct tl_worker *workers;
	int nworkers;
	struct tl_collector *col;
	int thread_cpus;
	bool progress;
	FILE *file;
	int write_errno;    /* the first failed write, 0: none */
	char context[4096]; /* the row's constant cells, from run_start on, CSV-encoded */
};

static void header_string(char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < TCOL_COUNT && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "",
					 tl_columns[i].name);
}

/* Opens FILE for appending rows: a new or empty file gets the header, one
 * with another header is refused (as --csv does). */
static FILE *open_file(const char *path, char *err, size_t errlen)
{
	char want[4096], line[4096];
	header_string(want, sizeof(want));
	FILE *f = fopen(path, "a+");
	if (!f) {
		snprintf(err, errlen, "--timeline %s: %s", path, strerror(errno));
		return NULL;
	}
	rewind(f);
	if (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, want)) {
			snprintf(err, errlen,
				 "--timeline %s: its header is not loadgen's timeline columns "
				 "(see docs/csv-schema.md); use a new file",
				 path);
			fclose(f);
			return NULL;
		}
	} else {
		fprintf(f, "%s\n", want);
	}
	fflush(f);
	return f;
}

static void append(char *buf, size_t len, size_t *used, const char *s)
{
	int n = snprintf(buf + *used, len - *used, "%s", s);
	if (n > 0 && *used + (size_t)n < len)
		*used += (size_t)n;
}

/* One cell, quoted as RFC 4180 asks (report.c's rule). */
static void append_cell(char *buf, size_t len, size_t *used, const char *s)
{
	append(buf, len, used, ",");
	if (!strpbrk(s, ",\"\r\n")) {
		append(buf, len, used, s);
		return;
	}
	append(buf, len, used, "\"");
	for (; *s; s++) {
		char ch[3] = { *s, *s == '"' ? '"' : '\0', '\0' };
		append(buf, len, used, ch);
	}
	append(buf, len, used, "\"");
}

static bool has_column(const char *key)
{
	for (size_t i = 0; i < sizeof(label_columns) / sizeof(label_columns[0]); i++)
		if (!strcmp(key, label_columns[i]))
			return true;
	return false;
}

/* run_start .. labels: the same in every row of the run. */
static void build_context(struct lg_timeline *tl, const struct lg_run *run)
{
	const struct lg_options *o = tl->o;
	char cell[1024];
	size_t used = 0, len = sizeof(tl->context);

	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	uint64_t wall_ns = (uint64_t)wall.tv_sec * NS_PER_S + (uint64_t)wall.tv_nsec;
	uint64_t since = now_ns() - run->t0_ns;
	wall_ns = wall_ns > since ? wall_ns - since : 0;
	time_t secs = (time_t)(wall_ns / NS_PER_S);
	struct tm tm;
	gmtime_r(&secs, &tm);
	size_t n = strftime(cell, sizeof(cell), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(cell + n, sizeof(cell) - n, ".%03uZ", (unsigned)(wall_ns % NS_PER_S / NS_PER_MS));
	append_cell(tl->context, len, &used, cell);

	for (size_t i = 0; i < sizeof(label_columns) / sizeof(label_columns[0]); i++) {
		const char *v = lg_label(o, label_columns[i]);
		append_cell(tl->context, len, &used, v ? v : "");
	}
	append_cell(tl->context, len, &used, o->mode == LG_CLOSE ? "close" : "keepalive");
	snprintf(cell, sizeof(cell), "%d", o->connections);
	append_cell(tl->context, len, &used, cell);
	cell[0] = '\0';
	if (o->rate_milli)
		snprintf(cell, sizeof(cell), "%.3f", o->rate);
	append_cell(tl->context, len, &used, cell);

	size_t lused = 0;
	cell[0] = '\0';
	for (int i = 0; i < o->nlabels; i++) {
		if (has_column(o->labels[i].key))
			continue;
		int k = snprintf(cell + lused, sizeof(cell) - lused, "%s%s=%s", lused ? ";" : "",
				 o->labels[i].key, o->labels[i].value);
		if (k > 0 && lused + (size_t)k < sizeof(cell))
			lused += (size_t)k;
	}
	append_cell(tl->context, len, &used, cell);
}

static void us_cell(char *cell, size_t len, const struct histogram *h, double p)
{
	if (!h->count)
		cell[0] = '\0';
	else
		snprintf(cell, len, "%.2f",
			 (double)(p >= 100 ? h->max : hist_percentile(h, p)) / 1000.0);
}

static void emit(void *ctx, const struct tl_interval *iv)
{
	struct lg_timeline *tl = ctx;
	const struct histogram *h = &iv->latency;
	uint64_t reqs = h->count;
	uint64_t failed = iv->connect_errors + iv->read_errors + iv->timeouts + iv->non_2xx;
	double len_s = (double)(iv->end_ns - iv->start_ns) / 1e9;
	double rps = len_s > 0 ? (double)reqs / len_s : 0;
	double cpus = tl->thread_cpus > 0 ? tl->thread_cpus : 1;
	double cpu_pct = len_s > 0 ? 100.0 * (double)iv->cpu_us / 1e6 / (len_s * cpus) : 0;
	char p50[32], p90[32], p99[32], max[32];

	us_cell(p50, sizeof(p50), h, 50);
	us_cell(p90, sizeof(p90), h, 90);
	us_cell(p99, sizeof(p99), h, 99);
	us_cell(max, sizeof(max), h, 100);
	if (tl->file) {
		fprintf(tl->file,
			"%" PRIu64 ",%s,%.3f,%.3f,%" PRIu64 ",%.1f,%" PRIu64 ",%" PRIu64 ",%" PRIu64
			",%" PRIu64 ",%" PRIu64 ",%s,%s,%s,%s,%.1f%s\n",
			iv->index, tl_phase_name(iv->phase), (double)iv->start_ns / 1e9,
			(double)iv->end_ns / 1e9, reqs, rps, failed, iv->connect_errors,
			iv->read_errors, iv->timeouts, iv->non_2xx, p50, p90, p99, max, cpu_pct,
			tl->context);
		/* Row by row: a file someone tails, and what a crash leaves is whole. */
		if ((fflush(tl->file) != 0 || ferror(tl->file)) && !tl->write_errno)
			tl->write_errno = errno ? errno : EIO;
	}
	if (tl->progress) {
		char kinds[160] = "";
		if (failed)
			snprintf(kinds, sizeof(kinds),
				 " (connect %" PRIu64 ", read %" PRIu64 ", timeouts %" PRIu64
				 ", non-2xx %" PRIu64 ")",
				 iv->connect_errors, iv->read_errors, iv->timeouts, iv->non_2xx);
		char span[64];
		snprintf(span, sizeof(span), "%.2f-%.2f s", (double)iv->start_ns / 1e9,
			 (double)iv->end_ns / 1e9);
		fprintf(stderr,
			"loadgen: %15s %-8s %10.0f req/s  p50 %s us  p99 %s us  failed %" PRIu64
			"%s  cpu %.0f%%\n",
			span, tl_phase_name(iv->phase), rps, reqs ? p50 : "-", reqs ? p99 : "-",
			failed, kinds, cpu_pct);
	}
}

struct lg_timeline *lg_timeline_start(const struct lg_options *o, const struct lg_run *run,
				      struct lg_worker *w, int nworkers, int thread_cpus,
				      bool progress, char *err, size_t errlen)
{
	err[0] = '\0';
	if (!o->timeline_file && !progress)
		return NULL;
	struct lg_timeline *tl = calloc(1, sizeof(*tl));
	size_t wsize = ((size_t)nworkers * sizeof(struct tl_worker) + 63) / 64 * 64;
	if (!tl || !(tl->workers = aligned_alloc(64, wsize)) ||
	    !(tl->col = malloc(sizeof(*tl->col)))) {
		snprintf(err, errlen, "--timeline: out of memory");
		goto fail;
	}
	tl->o = o;
	tl->nworkers = nworkers;
	tl->thread_cpus = thread_cpus;
	tl->progress = progress;
	tl_layout_init(&tl->layout, run->t0_ns, run->measure_ns, run->end_ns, o->interval_ns);
	for (int i = 0; i < nworkers; i++) {
		if (tl_worker_init(&tl->workers[i], &tl->layout) < 0) {
			snprintf(err, errlen, "--timeline: out of memory for %d workers' intervals",
				 nworkers);
			for (int j = 0; j < i; j++)
				tl_worker_free(&tl->workers[j]);
			goto fail;
		}
	}
	*tl->col = (struct tl_collector){ .layout = &tl->layout,
					  .workers = tl->workers,
					  .nworkers = nworkers };
	if (o->timeline_file && !(tl->file = open_file(o->timeline_file, err, errlen))) {
		for (int i = 0; i < nworkers; i++)
			tl_worker_free(&tl->workers[i]);
		goto fail;
	}
	build_context(tl, run);
	for (int i = 0; i < nworkers; i++)
		w[i].timeline = &tl->workers[i];
	return tl;
fail:
	if (tl) {
		free(tl->workers);
		free(tl->col);
		free(tl);
	}
	return NULL;
}

void lg_timeline_poll(struct lg_timeline *tl)
{
	if (tl)
		tl_collect(tl->col, emit, tl);
}

int lg_timeline_end(struct lg_timeline *tl, char *err, size_t errlen)
{
	int rc = 0;
	if (!tl)
		return 0;
	tl_collect(tl->col, emit, tl);
	uint64_t waited = 0;
	for (int i = 0; i < tl->nworkers; i++) {
		waited += tl->workers[i].wait_ns;
		tl_worker_free(&tl->workers[i]);
	}
	if (waited)
		fprintf(stderr,
			"loadgen: timeline: worker threads waited %.1f ms in all for main to take "
			"their intervals (main was short of CPU); that time is in their latency\n",
			(double)waited / 1e6);
	if (tl->file) {
		if (fclose(tl->file) != 0 && !tl->write_errno)
			tl->write_errno = errno;
		if (tl->write_errno) {
			snprintf(err, errlen, "--timeline %s: write: %s", tl->o->timeline_file,
				 strerror(tl->write_errno));
			rc = -1;
		}
	}
	free(tl->workers);
	free(tl->col);
	free(tl);
	return rc;
}

void timeline_print_schema(FILE *f)
{
	/* No number column: docs/csv-schema.md's run table is the one numbered. */
	fputs("| timeline column | unit | meaning |\n|---|---|---|\n", f);
	for (int i = 0; i < TCOL_COUNT; i++)
		fprintf(f, "| `%s` | %s | %s |\n", tl_columns[i].name, tl_columns[i].unit,
			tl_columns[i].meaning);
}
