/* Open-loop schedule arithmetic: exact counts, no drift, threads that
 * interleave into one schedule at the total rate. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "rng.h"
#include "schedule.h"

#define T0 1000000000000ull /* any monotonic start */
#define SEC 1000000000ull

static void test_exact_counts(void **state)
{
	(void)state;
	struct schedule s;
	schedule_init(&s, T0, 1000 * 1000, 1, 0); /* 1000 req/s */
	assert_int_equal(schedule_due(&s, T0 - 1), 0);
	assert_int_equal(schedule_due(&s, T0), 1);              /* request 0 leaves at t0 */
	assert_int_equal(schedule_due(&s, T0 + SEC / 1000 - 1), 1);
	assert_int_equal(schedule_due(&s, T0 + SEC / 1000), 2);
	assert_int_equal(schedule_due(&s, T0 + SEC - 1), 1000); /* 1 s holds exactly 1000 */
	assert_int_equal(schedule_time(&s, 1000), T0 + SEC);
}

static void test_fractional_and_no_drift(void **state)
{
	(void)state;
	struct schedule s;
	schedule_init(&s, T0, 500, 1, 0); /* 0.5 req/s */
	assert_int_equal(schedule_time(&s, 1), T0 + 2 * SEC);
	assert_int_equal(schedule_due(&s, T0 + 2 * SEC - 1), 1);
	assert_int_equal(schedule_due(&s, T0 + 2 * SEC), 2);
	/* 3 req/s: intervals of 333333333.33 ns. Summing rounded intervals
	 * would drift by 1/3 ns per request; computing from k does not. */
	schedule_init(&s, T0, 3000, 1, 0);
	assert_int_equal(schedule_time(&s, 3000000000ull), T0 + 1000000000ull * SEC);
	assert_int_equal(schedule_time(&s, 1), T0 + 333333333);
	assert_int_equal(schedule_time(&s, 2), T0 + 666666666);
	assert_int_equal(schedule_time(&s, 3), T0 + SEC);
}

static void test_due_matches_times(void **state)
{
	(void)state;
	struct rng r;
	rng_seed(&r, 7, 0);
	for (int iter = 0; iter < 200; iter++) {
		uint64_t rate = 1 + rng_next(&r) % 50000000; /* 0.001 .. 50000 req/s */
		uint32_t threads = 1 + (uint32_t)(rng_next(&r) % 8);
		uint32_t t = (uint32_t)(rng_next(&r) % threads);
		struct schedule s;
		schedule_init(&s, T0, rate, threads, t);
		for (int probe = 0; probe < 50; probe++) {
			uint64_t k = rng_next(&r) % 100000;
			uint64_t tk = schedule_time(&s, k);
			/* Request k is due exactly from its time on. */
			assert_int_equal(schedule_due(&s, tk), k + 1);
			if (tk > T0)
				assert_true(schedule_due(&s, tk - 1) <= k);
			assert_true(schedule_time(&s, k + 1) >= tk);
		}
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_threads_interleave_into_total_rate(void **state)
{
	(void)state;
	enum { THREADS = 3, PER = 1000 };
	uint64_t rate = 7000 * 1000; /* 7000 req/s in total */
	struct schedule one, s[THREADS];
	uint64_t *times = malloc(THREADS * PER * sizeof(*times));
	schedule_init(&one, T0, rate, 1, 0);
	for (int t = 0; t < THREADS; t++) {
		schedule_init(&s[t], T0, rate, THREADS, (uint32_t)t);
		for (int k = 0; k < PER; k++)
			times[t * PER + k] = schedule_time(&s[t], (uint64_t)k);
	}
	qsort(times, THREADS * PER, sizeof(*times), cmp_u64);
	for (int j = 0; j < THREADS * PER; j++)
		assert_int_equal(times[j], schedule_time(&one, (uint64_t)j));
	/* And the threads' due counts add up to the single schedule's. */
	for (uint64_t now = T0; now < T0 + SEC / 5; now += 12345) {
		uint64_t sum = 0;
		for (int t = 0; t < THREADS; t++)
			sum += schedule_due(&s[t], now);
		assert_int_equal(sum, schedule_due(&one, now));
	}
	free(times);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_counts),
		cmocka_unit_test(test_fractional_and_no_drift),
		cmocka_unit_test(test_due_matches_times),
		cmocka_unit_test(test_threads_interleave_into_total_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
