/* Several client hosts (share.h, hist_io.h, merge.h): the hosts' files
 * merge into exactly what one client would have measured. Random samples
 * split across three hosts, written with --hist-out and merged, give the
 * histograms of all the samples slot by slot (so the same percentiles);
 * counters add up; the window is the union; one client-bound host makes
 * the run client-bound; the shares' schedules are one client's schedule;
 * files that are not one run's shares are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "hist_io.h"
#include "merge.h"
#include "report.h"
#include "rng.h"
#include "schedule.h"
#include "share.h"

#define HOSTS 3
#define SAMPLES 200000
#define W0 1796000000000000000ull /* a window start on the wall clock, ns */

/* One host's run, as main.c hands it to hist_out_write. */
struct host_fixture {
	struct lg_options o;
	struct lg_result r;
	struct histogram latency, connect, uncorrected;
	struct send_lag lag;
	char file[64];
};

static char dir[] = "/tmp/test_loadgen_merge.XXXXXX";

static struct host_fixture *new_host(int index, uint64_t rate_milli)
{
	struct host_fixture *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	struct lg_options *o = &h->o;
	o->url = "http://198.18.0.1:8080/";
	o->mode = LG_KEEPALIVE;
	o->threads = 1 + index; /* hosts need not run the same thread count */
	o->connections_total = 30;
	o->share_index = index;
	o->share_count = HOSTS;
	o->connections = share_connections(30, index, HOSTS);
	o->pipeline = 1;
	o->rate_milli = rate_milli;
	o->rate = (double)rate_milli / 1000.0 / HOSTS;
	o->duration_s = 10;
	o->max_send_lag_s = 0.001;
	snprintf(o->cpus_str, sizeof(o->cpus_str), "1");
	o->ncpus = 1;
	static char labels[HOSTS][2][32];
	snprintf(labels[index][0], sizeof(labels[0][0]), "server=httpd-epoll");
	snprintf(labels[index][1], sizeof(labels[0][1]), "page_set=tiny");
	char err[256];
	assert_int_equal(lg_options_add_label(o, labels[index][0], err, sizeof(err)), 0);
	assert_int_equal(lg_options_add_label(o, labels[index][1], err, sizeof(err)), 0);
	hist_init(&h->latency);
	hist_init(&h->connect);
	hist_init(&h->uncorrected);
	send_lag_init(&h->lag, 0);
	h->r.o = o;
	h->r.latency = &h->latency;
	h->r.connect = &h->connect;
	h->r.latency_uncorrected = &h->uncorrected;
	h->r.lag = &h->lag;
	h->r.thread_cpus = 1;
	snprintf(h->file, sizeof(h->file), "%s/host%d", dir, index + 1);
	return h;
}

/* Latencies from 100 ns to past the histogram's range, log-uniform. */
static uint64_t sample(struct rng *g)
{
	double exp10 = 2.0 + 9.0 * (double)rng_next(g) / 18446744073709551616.0;
	double v = 1.0;
	for (int i = 0; i < (int)exp10; i++)
		v *= 10.0;
	v *= 1.0 + 9.0 * (exp10 - (int)exp10);
	return (uint64_t)v;
}

static void assert_hist_equal(const struct histogram *a, const struct histogram *b)
{
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->min, b->min);
	assert_int_equal(a->max, b->max);
	assert_int_equal(a->clamped, b->clamped);
	for (uint32_t i = 0; i < HIST_SLOTS; i++)
		if (a->slots[i] != b->slots[i])
			fail_msg("slot %u: %llu merged, %llu in one histogram", i, (unsigned long long)a->slots[i],
				 (unsigned long long)b->slots[i]);
	static const double pcts[] = { 0.001, 1, 10, 50, 90, 99, 99.9, 99.99, 99.999, 100 };
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		assert_int_equal(hist_percentile(a, pcts[i]), hist_percentile(b, pcts[i]));
	/* The sum adds in another order: equal to within rounding. */
	assert_true(a->sum == b->sum || (a->sum - b->sum) / b->sum < 1e-12);
}

static void write_all(struct host_fixture **h)
{
	char err[512];
	for (int i = 0; i < HOSTS; i++) {
		uint64_t start = W0 + (uint64_t)i * 1000000; /* the hosts start 1 ms apart */
		if (hist_out_write(h[i]->file, &h[i]->r, start, err, sizeof(err)) < 0)
			fail_msg("%s", err);
	}
}

static struct lg_merged *merge(struct host_fixture **h, char **labels, int nlabels, int expect_rc,
			       char *err, size_t errlen)
{
	struct lg_merged *m = malloc(sizeof(*m));
	assert_non_null(m);
	/* Any order of the files: merge goes by share. */
	char *files[HOSTS] = { h[2]->file, h[0]->file, h[1]->file };
	int rc = lg_merge_files(m, files, HOSTS, labels, nlabels, err, errlen);
	if (rc != expect_rc)
		fail_msg("merge returned %d: %s", rc, err);
	return m;
}

static void free_all(struct host_fixture **h, struct lg_merged *m)
{
	for (int i = 0; i < HOSTS; i++) {
		unlink(h[i]->file);
		free(h[i]);
	}
	if (m) {
		lg_merge_free(m);
		free(m);
	}
}

static void test_merged_equals_one_histogram(void **state)
{
	(void)state;
	struct host_fixture *h[HOSTS];
	for (int i = 0; i < HOSTS; i++)
		h[i] = new_host(i, 3000000);
	struct histogram *all_lat = malloc(sizeof(*all_lat)), *all_con = malloc(sizeof(*all_con));
	struct histogram *all_unc = malloc(sizeof(*all_unc));
	struct send_lag *all_lag = malloc(sizeof(*all_lag));
	assert_true(all_lat && all_con && all_unc && all_lag);
	hist_init(all_lat);
	hist_init(all_con);
	hist_init(all_unc);
	send_lag_init(all_lag, 0);

	struct rng g;
	rng_seed(&g, 12, 0);
	for (int n = 0; n < SAMPLES; n++) {
		int i = (int)rng_below(&g, HOSTS);
		uint64_t v = sample(&g), due = 1000 + (uint64_t)n;
		hist_record(&h[i]->latency, v);
		hist_record(all_lat, v);
		hist_record(&h[i]->uncorrected, v / 2);
		hist_record(all_unc, v / 2);
		if (n % 7 == 0) {
			hist_record(&h[i]->connect, v / 3);
			hist_record(all_con, v / 3);
		}
		if (n % 1000 == 0) {
			send_lag_lost(&h[i]->lag, due);
			send_lag_lost(all_lag, due);
		} else {
			send_lag_sent(&h[i]->lag, due, due + v / 100);
			send_lag_sent(all_lag, due, due + v / 100);
		}
		h[i]->r.c.requests++;
		h[i]->r.c.status_class[2]++;
		h[i]->r.c.bytes += 174;
	}
	assert_true(all_lat->clamped > 0); /* the test reaches past the range */
	h[1]->r.c.timeouts = 4;
	for (int i = 0; i < HOSTS; i++) {
		h[i]->o.max_send_lag_s = 3600; /* the lags above are no client's: not judged here */
		h[i]->r.elapsed_s = 10.0 + 0.001 * i;
		h[i]->r.thread_user_s = 0.5;
		h[i]->r.thread_sys_s = 0.25;
	}
	write_all(h);

	char err[512];
	struct lg_merged *m = merge(h, NULL, 0, 0, err, sizeof(err));
	assert_hist_equal(m->r.latency, all_lat);
	assert_hist_equal(m->r.connect, all_con);
	assert_hist_equal(m->r.latency_uncorrected, all_unc);
	assert_hist_equal(&m->r.lag->lag, &all_lag->lag);
	assert_int_equal(m->r.lag->never_sent, all_lag->never_sent);

	/* Counters add up; the options are the whole run's. */
	assert_int_equal(m->r.c.requests, SAMPLES);
	assert_int_equal(m->r.c.status_class[2], SAMPLES);
	assert_int_equal(m->r.c.bytes, 174ull * SAMPLES);
	assert_int_equal(m->r.c.timeouts, 4);
	assert_int_equal(m->o.connections, 30);
	assert_int_equal(m->o.threads, 1 + 2 + 3);
	assert_int_equal(m->o.rate_milli, 3000000);
	assert_int_equal(m->r.thread_cpus, 3);
	assert_true(m->r.thread_user_s > 1.49 && m->r.thread_user_s < 1.51);
	/* The union window: host 3 starts 2 ms after host 1 and runs 10.002 s. */
	assert_true(m->r.elapsed_s > 10.004 - 1e-6 && m->r.elapsed_s < 10.004 + 1e-6);
	assert_true(m->start_spread_s > 0.002 - 1e-9 && m->start_spread_s < 0.002 + 1e-9);
	/* Labels from the files, plus who made the row. */
	assert_string_equal(lg_label(&m->o, "server"), "httpd-epoll");
	assert_non_null(lg_label(&m->o, "client_hosts"));
	char want[128];
	snprintf(want, sizeof(want), "%llu+%llu+%llu", (unsigned long long)h[0]->r.c.requests,
		 (unsigned long long)h[1]->r.c.requests, (unsigned long long)h[2]->r.c.requests);
	assert_string_equal(lg_label(&m->o, "host_requests"), want);
	assert_false(result_client_bound(&m->r));

	/* The row has a single run's columns. */
	char csv[96];
	snprintf(csv, sizeof(csv), "%s/merged.csv", dir);
	assert_int_equal(report_csv_append(csv, &m->r, err, sizeof(err)), 0);
	assert_int_equal(report_csv_check(csv, err, sizeof(err)), 0);
	unlink(csv);

	free(all_lat);
	free(all_con);
	free(all_unc);
	free(all_lag);
	free_all(h, m);
}

static void test_one_client_bound_host_marks_the_run(void **state)
{
	(void)state;
	struct host_fixture *h[HOSTS];
	for (int i = 0; i < HOSTS; i++) {
		h[i] = new_host(i, 0);
		h[i]->r.elapsed_s = 10;
		hist_record(&h[i]->latency, 100000);
		h[i]->r.c.requests = 1;
	}
	/* Host 2's threads were 95% busy; the pooled figure (about 32%) is not. */
	h[1]->r.thread_user_s = 9.5;
	write_all(h);
	char err[512];
	struct lg_merged *m = merge(h, NULL, 0, 0, err, sizeof(err));
	assert_true(m->r.thread_user_s > 9.4);
	assert_true(result_loadgen_cpu_pct(&m->r) < 90);
	assert_true(result_client_bound(&m->r));
	char why[2048];
	result_client_bound_reason(&m->r, why, sizeof(why));
	assert_non_null(strstr(why, "host 2/3"));
	assert_non_null(strstr(why, "95% busy"));
	free_all(h, m);
}

static void test_refuses_files_of_other_runs(void **state)
{
	(void)state;
	struct host_fixture *h[HOSTS];
	char err[512];
	for (int i = 0; i < HOSTS; i++)
		h[i] = new_host(i, 3000000);

	/* Another rate on one host: not one run. */
	h[2]->o.rate_milli = 2000000;
	write_all(h);
	struct lg_merged *m = merge(h, NULL, 0, -1, err, sizeof(err));
	assert_non_null(strstr(err, "--rate"));
	lg_merge_free(m);
	free(m);
	h[2]->o.rate_milli = 3000000;

	/* A label that differs, unless the merge command sets it. */
	static char other[] = "server=nginx";
	h[1]->o.labels[0].value = other + 7;
	write_all(h);
	m = merge(h, NULL, 0, -1, err, sizeof(err));
	assert_non_null(strstr(err, "label server"));
	lg_merge_free(m);
	free(m);
	static char set[] = "server=both";
	char *labels[] = { set };
	m = merge(h, labels, 1, 0, err, sizeof(err));
	assert_string_equal(lg_label(&m->o, "server"), "both");
	lg_merge_free(m);
	free(m);

	/* Two files of the same share. */
	h[1]->o.share_index = 0;
	write_all(h);
	m = merge(h, labels, 1, -1, err, sizeof(err));
	assert_non_null(strstr(err, "share 1/3"));
	lg_merge_free(m);
	free(m);
	h[1]->o.share_index = 1;

	/* A file cut short (a host that died while writing is not a share). */
	write_all(h);
	static char text[1 << 20];
	FILE *f = fopen(h[0]->file, "r+");
	assert_non_null(f);
	size_t len = fread(text, 1, sizeof(text) - 1, f);
	text[len] = '\0';
	char *cut = strstr(text, "\nhist latency_uncorrected ");
	assert_non_null(cut);
	assert_int_equal(ftruncate(fileno(f), cut + 1 - text), 0);
	fclose(f);
	m = merge(h, labels, 1, -1, err, sizeof(err));
	assert_non_null(strstr(err, "incomplete"));
	/* ... or cut anywhere: refused too, never half read. */
	for (size_t at = 1; at < len - 1; at += 97) {
		f = fopen(h[0]->file, "w");
		assert_non_null(f);
		fwrite(text, 1, at, f);
		fclose(f);
		lg_merge_free(m);
		free(m);
		m = merge(h, labels, 1, -1, err, sizeof(err));
	}
	lg_merge_free(m);
	free(m);

	/* Another format version. */
	f = fopen(h[0]->file, "w");
	assert_non_null(f);
	fprintf(f, "%s 99\n", HIST_FILE_MAGIC);
	fclose(f);
	m = merge(h, labels, 1, -1, err, sizeof(err));
	assert_non_null(strstr(err, "version 99"));
	lg_merge_free(m);
	free(m);
	free_all(h, NULL);
}

/* The N hosts' schedules together are one client's: every request of the
 * single schedule exactly once, at its time, whatever each host's threads. */
static void test_shares_make_one_schedule(void **state)
{
	(void)state;
	enum { N = 3, REQUESTS = 3000 };
	const int threads[N] = { 1, 2, 4 };
	const uint64_t rate_milli = 12345678, t0 = 1000;
	static unsigned char seen[REQUESTS];
	struct schedule one;
	schedule_init(&one, t0, rate_milli, 1, 0);
	memset(seen, 0, sizeof(seen));
	for (int host = 0; host < N; host++) {
		struct lg_options o = { .share_index = host, .share_count = N, .threads = threads[host] };
		for (int t = 0; t < threads[host]; t++) {
			struct schedule s;
			schedule_init(&s, t0, rate_milli, share_stride(&o), share_sender(&o, t));
			for (uint64_t k = 0;; k++) {
				uint64_t j = k * share_stride(&o) + share_sender(&o, t);
				if (j >= REQUESTS)
					break;
				assert_int_equal(schedule_time(&s, k), schedule_time(&one, j));
				seen[j]++;
			}
			/* What is due at a time is the same count as the single schedule's. */
			uint64_t now = schedule_time(&one, REQUESTS / 2);
			uint64_t due = schedule_due(&s, now), j_last = (due - 1) * share_stride(&o) + share_sender(&o, t);
			assert_true(schedule_time(&one, j_last) <= now);
			assert_true(schedule_time(&one, j_last + share_stride(&o)) > now);
		}
	}
	for (int j = 0; j < REQUESTS; j++)
		assert_int_equal(seen[j], 1);

	/* Connections: the shares add up to the total, the first hosts take the rest. */
	int sum = 0;
	for (int i = 0; i < 7; i++)
		sum += share_connections(100, i, 7);
	assert_int_equal(sum, 100);
	assert_int_equal(share_connections(100, 0, 7), 15);
	assert_int_equal(share_connections(100, 6, 7), 14);
}

static void test_share_and_start_at_options(void **state)
{
	(void)state;
	int i, n;
	assert_int_equal(share_parse("2/3", &i, &n), 0);
	assert_int_equal(i, 1);
	assert_int_equal(n, 3);
	assert_int_equal(share_parse("1/1", &i, &n), 0);
	const char *bad[] = { "0/3", "4/3", "3", "/3", "1/", "1/0", "a/3", "1/3x", "-1/3", "1/99999", "" };
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		if (share_parse(bad[k], &i, &n) == 0)
			fail_msg("--share %s accepted", bad[k]);

	char why[256], arg[64];
	uint64_t at, now = realtime_now_ns();
	snprintf(arg, sizeof(arg), "%.3f", (double)now / 1e9 + 2);
	assert_int_equal(start_at_parse(arg, &at, why, sizeof(why)), 0);
	assert_true(at > now && at < now + 3000000000ull);
	snprintf(arg, sizeof(arg), "%.3f", (double)now / 1e9 - 1); /* a slow host: start at once */
	assert_int_equal(start_at_parse(arg, &at, why, sizeof(why)), 0);
	snprintf(arg, sizeof(arg), "%.0f", (double)now / 1e9 - 60);
	assert_int_equal(start_at_parse(arg, &at, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "in the past"));
	snprintf(arg, sizeof(arg), "%.0f", (double)now / 1e6); /* milliseconds */
	assert_int_equal(start_at_parse(arg, &at, why, sizeof(why)), -1);
	assert_int_equal(start_at_parse("soon", &at, why, sizeof(why)), -1);
	/* Waiting for a time already past returns at once. */
	assert_int_equal(start_at_wait(now - 1000), 0);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merged_equals_one_histogram),
		cmocka_unit_test(test_one_client_bound_host_marks_the_run),
		cmocka_unit_test(test_refuses_files_of_other_runs),
		cmocka_unit_test(test_shares_make_one_schedule),
		cmocka_unit_test(test_share_and_start_at_options),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
