/* Send-lag bookkeeping (send_lag.h) and the client-bound verdict it feeds
 * (report.h): which requests count, never-sent ones as the latest, merging
 * per-thread records, and a late open-loop client marked client-bound. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report.h"
#include "send_lag.h"

#define W0 5000000000ull /* the measured window starts here */
#define US 1000ull
#define MS 1000000ull

static struct send_lag *new_lag(void)
{
	struct send_lag *s = malloc(sizeof(*s));
	assert_non_null(s);
	send_lag_init(s, W0);
	return s;
}

static void test_window_by_due_time(void **state)
{
	(void)state;
	struct send_lag *s = new_lag();
	send_lag_sent(s, W0 - 1, W0 + 5 * MS); /* due in the warm-up: not counted */
	send_lag_lost(s, W0 - 1);
	send_lag_no_conn(s, W0 - 1);
	assert_int_equal(s->lag.count, 0);
	assert_int_equal(s->never_sent, 0);
	assert_int_equal(s->no_free_conn, 0);
	send_lag_sent(s, W0, W0 + 250 * US); /* due at the start: counted */
	send_lag_lost(s, W0 + MS);
	send_lag_no_conn(s, W0 + MS);
	assert_int_equal(s->lag.count, 1);
	assert_int_equal(s->lag.max, 250 * US);
	assert_int_equal(s->never_sent, 1);
	assert_int_equal(s->no_free_conn, 1);
	free(s);
}

static void test_lag_is_sent_minus_due(void **state)
{
	(void)state;
	struct send_lag *s = new_lag();
	send_lag_sent(s, W0 + MS, W0 + MS);      /* on time */
	send_lag_sent(s, W0 + MS, W0 + MS - 10); /* a clock read before the due time: 0 */
	send_lag_sent(s, W0 + MS, W0 + 3 * MS);  /* 2 ms late */
	assert_int_equal(s->lag.count, 3);
	assert_int_equal(s->lag.min, 0);
	assert_int_equal(s->lag.max, 2 * MS);
	free(s);
}

static void test_over_counts_never_sent_as_latest(void **state)
{
	(void)state;
	struct send_lag *s = new_lag();
	uint64_t seen;

	assert_false(send_lag_over(s, MS, &seen)); /* nothing due */
	for (int i = 0; i < 99; i++)
		send_lag_sent(s, W0 + (uint64_t)i * MS, W0 + (uint64_t)i * MS + 100 * US);
	send_lag_lost(s, W0 + 100 * MS);
	/* 99 on time and 1 never sent of 100: the p99 is a sent one. */
	assert_false(send_lag_over(s, MS, &seen));
	assert_in_range(seen, 100 * US - 100, 100 * US);
	send_lag_lost(s, W0 + 101 * MS);
	/* 2 of 101 never sent: the p99 falls among them. */
	assert_true(send_lag_over(s, MS, &seen));
	assert_int_equal(seen, UINT64_MAX);
	free(s);

	s = new_lag();
	for (int i = 0; i < 100; i++) /* 2 of 100 sent 5 ms late */
		send_lag_sent(s, W0, W0 + (i < 98 ? 50 * US : 5 * MS));
	assert_true(send_lag_over(s, MS, &seen));
	assert_in_range(seen, 5 * MS - 5 * MS / 1024, 5 * MS);
	assert_false(send_lag_over(s, 6 * MS, NULL)); /* a looser limit holds */
	free(s);
}

static void test_merge_equals_one_record(void **state)
{
	(void)state;
	struct send_lag *a = new_lag(), *b = new_lag(), *all = new_lag(), *merged = new_lag();
	for (uint64_t i = 0; i < 5000; i++) {
		uint64_t due = W0 + i * 100 * US, lag = (i * 7919) % (3 * MS);
		send_lag_sent(i % 2 ? a : b, due, due + lag);
		send_lag_sent(all, due, due + lag);
		if (i % 97 == 0) {
			send_lag_lost(i % 3 ? a : b, due);
			send_lag_lost(all, due);
			send_lag_no_conn(i % 3 ? b : a, due);
			send_lag_no_conn(all, due);
		}
	}
	send_lag_merge(merged, a);
	send_lag_merge(merged, b);
	assert_int_equal(merged->lag.count, all->lag.count);
	assert_int_equal(merged->never_sent, all->never_sent);
	assert_int_equal(merged->no_free_conn, all->no_free_conn);
	assert_int_equal(merged->lag.max, all->lag.max);
	const double pcts[] = { 50, 90, 99, 99.9 };
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		assert_int_equal(hist_percentile(&merged->lag, pcts[i]),
				 hist_percentile(&all->lag, pcts[i]));
	free(a);
	free(b);
	free(all);
	free(merged);
}

/* The verdict: an open-loop client that fell behind is client-bound even
 * with idle CPUs, and says why; closed loop has no schedule to miss. */
static void test_late_client_is_client_bound(void **state)
{
	(void)state;
	static struct lg_options o;
	struct lg_result r;
	struct send_lag *s = new_lag();
	char why[512];

	memset(&o, 0, sizeof(o));
	o.rate_milli = 1000 * 1000;
	o.max_send_lag_s = 0.001;
	memset(&r, 0, sizeof(r));
	r.o = &o;
	r.lag = s;
	r.elapsed_s = 1;
	r.thread_cpus = 1;
	r.thread_user_s = 0.05; /* 5% busy: the CPU check alone would pass it */

	for (int i = 0; i < 100; i++)
		send_lag_sent(s, W0, W0 + 200 * US);
	assert_false(result_client_bound(&r));
	result_client_bound_reason(&r, why, sizeof(why));
	assert_string_equal(why, "");

	for (int i = 0; i < 10; i++)
		send_lag_sent(s, W0, W0 + 20 * MS);
	assert_true(result_client_bound(&r));
	assert_string_equal(result_bound(&r), "client");
	result_client_bound_reason(&r, why, sizeof(why));
	assert_non_null(strstr(why, "send lag"));

	o.max_send_lag_s = 0.05; /* a stated, looser limit */
	assert_false(result_client_bound(&r));

	o.max_send_lag_s = 0.001;
	o.rate_milli = 0; /* closed loop */
	assert_false(result_client_bound(&r));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_by_due_time),
		cmocka_unit_test(test_lag_is_sent_minus_due),
		cmocka_unit_test(test_over_counts_never_sent_as_latest),
		cmocka_unit_test(test_merge_equals_one_record),
		cmocka_unit_test(test_late_client_is_client_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
