/* loadgen's log-linear histogram: slot arithmetic, percentiles against an
 * exact sort within the stated 1/1024 relative error, merging. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <math.h>
#include <cmocka.h>

#include "histogram.h"
#include "rng.h"

#define N 200000

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_slots_cover_every_value(void **state)
{
	(void)state;
	struct rng r;
	rng_seed(&r, 42, 0);
	/* Exhaustive near the linear/log boundary, random beyond. */
	for (uint64_t v = 0; v < 100000; v++) {
		uint32_t s = hist_slot_of(v);
		assert_true(hist_slot_low(s) <= v && v <= hist_slot_high(s));
		if (v)
			assert_true(hist_slot_of(v - 1) <= s); /* monotonic */
	}
	for (int i = 0; i < 1000000; i++) {
		uint64_t v = rng_next(&r) >> (rng_next(&r) % 64);
		if (v > HIST_MAX_NS)
			v %= HIST_MAX_NS;
		uint32_t s = hist_slot_of(v);
		assert_true(s < HIST_SLOTS);
		assert_true(hist_slot_low(s) <= v && v <= hist_slot_high(s));
		/* Slot width within 1/1024 of the value: 3 significant digits. */
		uint64_t width = hist_slot_high(s) - hist_slot_low(s) + 1;
		assert_true(width == 1 || width * 1024 <= v);
	}
	assert_true(hist_slot_of(HIST_MAX_NS) < HIST_SLOTS);
}

static void check_percentiles(uint64_t *v, size_t n)
{
	static struct histogram h;
	hist_init(&h);
	for (size_t i = 0; i < n; i++)
		hist_record(&h, v[i]);
	qsort(v, n, sizeof(*v), cmp_u64);
	const double ps[] = { 0.1, 1, 25, 50, 90, 99, 99.9, 99.99, 100 };
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		size_t rank = (size_t)ceil(ps[i] / 100.0 * (double)n);
		uint64_t exact = v[rank - 1];
		uint64_t got = hist_percentile(&h, ps[i]);
		/* The histogram answers the top of the exact value's slot. */
		assert_true(got >= exact);
		assert_true((got - exact) * 1024 <= exact);
	}
	assert_int_equal(h.count, n);
	assert_int_equal(h.min, v[0]);
	assert_int_equal(h.max, v[n - 1]);
}

static void test_percentiles_uniform(void **state)
{
	(void)state;
	uint64_t *v = malloc(N * sizeof(*v));
	struct rng r;
	rng_seed(&r, 1, 1);
	for (size_t i = 0; i < N; i++)
		v[i] = 1 + rng_next(&r) % 5000000; /* up to 5 ms */
	check_percentiles(v, N);
	free(v);
}

static void test_percentiles_log_uniform(void **state)
{
	(void)state;
	uint64_t *v = malloc(N * sizeof(*v));
	struct rng r;
	rng_seed(&r, 2, 2);
	for (size_t i = 0; i < N; i++) {
		double u = (double)(rng_next(&r) >> 11) / 9007199254740992.0;
		v[i] = (uint64_t)exp(log(1000.0) + u * (log(6e10) - log(1000.0))); /* 1 us .. 1 min */
	}
	check_percentiles(v, N);
	free(v);
}

static void test_percentiles_heavy_tail(void **state)
{
	(void)state;
	uint64_t *v = malloc(N * sizeof(*v));
	struct rng r;
	rng_seed(&r, 3, 3);
	for (size_t i = 0; i < N; i++) {
		/* Mostly ~20 us, a few stalls of 10-200 ms. */
		v[i] = 15000 + rng_next(&r) % 10000;
		if (rng_next(&r) % 1000 == 0)
			v[i] = 10000000 + rng_next(&r) % 190000000;
	}
	check_percentiles(v, N);
	free(v);
}

static void test_merge_equals_single(void **state)
{
	(void)state;
	static struct histogram all, part[4], merged;
	struct rng r;
	rng_seed(&r, 4, 4);
	hist_init(&all);
	hist_init(&merged);
	for (int t = 0; t < 4; t++)
		hist_init(&part[t]);
	for (int i = 0; i < N; i++) {
		uint64_t v = rng_next(&r) % 100000000;
		hist_record(&all, v);
		hist_record(&part[i % 4], v);
	}
	for (int t = 0; t < 4; t++)
		hist_merge(&merged, &part[t]);
	assert_int_equal(merged.count, all.count);
	assert_int_equal(merged.min, all.min);
	assert_int_equal(merged.max, all.max);
	assert_memory_equal(merged.slots, all.slots, sizeof(all.slots));
	for (double p = 1; p <= 100; p += 0.7)
		assert_int_equal(hist_percentile(&merged, p), hist_percentile(&all, p));
	/* Merging an empty histogram changes nothing. */
	static struct histogram empty;
	hist_init(&empty);
	hist_merge(&merged, &empty);
	assert_int_equal(merged.min, all.min);
}

static void test_empty_and_clamped(void **state)
{
	(void)state;
	static struct histogram h;
	hist_init(&h);
	assert_int_equal(hist_percentile(&h, 50), 0);
	assert_true(hist_mean(&h) == 0.0);
	hist_record(&h, 5);
	assert_int_equal(hist_percentile(&h, 50), 5);
	hist_record(&h, 2 * HIST_MAX_NS);
	assert_int_equal(h.clamped, 1);
	assert_int_equal(h.max, 2 * HIST_MAX_NS);
	assert_int_equal(hist_percentile(&h, 100), 2 * HIST_MAX_NS);
	/* A single sample: every percentile is that sample, never the slot's top. */
	hist_init(&h);
	hist_record(&h, 123456789);
	assert_int_equal(hist_percentile(&h, 99.99), 123456789);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots_cover_every_value),
		cmocka_unit_test(test_percentiles_uniform),
		cmocka_unit_test(test_percentiles_log_uniform),
		cmocka_unit_test(test_percentiles_heavy_tail),
		cmocka_unit_test(test_merge_equals_single),
		cmocka_unit_test(test_empty_and_clamped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
