/* The timeline's intervals and its workers-to-main hand-over (timeline.h):
 * the interval layout a warm-up, a duration and an interval imply; every
 * recorded response in exactly one merged interval, also when the ring
 * wraps many times, and when a worker thread records while main collects
 * (and makes the worker wait for a slot). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <cmocka.h>

#include "timeline.h"

#define MS 1000000ull
#define S 1000000000ull
#define T0 (7 * S) /* any clock origin */

static void test_layout_counts_and_cuts(void **state)
{
	(void)state;
	struct tl_layout l;

	/* --warmup 1 --duration 3 --interval 0.5: 2 + 6 + drain. */
	tl_layout_init(&l, T0, T0 + 1 * S, T0 + 4 * S, 500 * MS);
	assert_int_equal(l.nwarm, 2);
	assert_int_equal(l.nmeasured, 6);
	assert_int_equal(tl_phase_of(&l, 1), TL_WARMUP);
	assert_int_equal(tl_phase_of(&l, 2), TL_MEASURED);
	assert_int_equal(tl_phase_of(&l, 7), TL_MEASURED);
	assert_int_equal(tl_phase_of(&l, 8), TL_DRAIN);
	assert_int_equal(tl_interval_start(&l, 0), T0);
	assert_int_equal(tl_interval_end(&l, 1), T0 + 1 * S);
	assert_int_equal(tl_interval_start(&l, 2), T0 + 1 * S);
	assert_int_equal(tl_interval_end(&l, 7), T0 + 4 * S);
	assert_int_equal(tl_interval_start(&l, 8), T0 + 4 * S);
	assert_int_equal(tl_interval_end(&l, 8), UINT64_MAX);

	/* --warmup 0.25 --duration 2.5 --interval 1: the last of each phase cut. */
	tl_layout_init(&l, T0, T0 + 250 * MS, T0 + 2750 * MS, S);
	assert_int_equal(l.nwarm, 1);
	assert_int_equal(l.nmeasured, 3);
	assert_int_equal(tl_interval_end(&l, 0), T0 + 250 * MS);
	assert_int_equal(tl_interval_start(&l, 3), T0 + 2250 * MS);
	assert_int_equal(tl_interval_end(&l, 3), T0 + 2750 * MS);

	/* No warm-up: the first interval is measured. */
	tl_layout_init(&l, T0, T0, T0 + 1 * S, 300 * MS);
	assert_int_equal(l.nwarm, 0);
	assert_int_equal(l.nmeasured, 4);
	assert_int_equal(tl_phase_of(&l, 0), TL_MEASURED);
}

struct sink {
	uint64_t n;
	uint64_t requests[512], timeouts[512], non_2xx[512], index[512];
	enum tl_phase phase[512];
	uint64_t start_ns[512], end_ns[512];
	uint64_t max_latency[512];
};

static void sink_emit(void *ctx, const struct tl_interval *iv)
{
	struct sink *s = ctx;
	assert_true(s->n < 512);
	s->index[s->n] = iv->index;
	s->phase[s->n] = iv->phase;
	s->requests[s->n] = iv->latency.count;
	s->timeouts[s->n] = iv->timeouts;
	s->non_2xx[s->n] = iv->non_2xx;
	s->start_ns[s->n] = iv->start_ns;
	s->end_ns[s->n] = iv->end_ns;
	s->max_latency[s->n] = iv->latency.max;
	s->n++;
}

static struct tl_collector *new_collector(const struct tl_layout *l, struct tl_worker *w, int n)
{
	struct tl_collector *c = malloc(sizeof(*c));
	assert_non_null(c);
	*c = (struct tl_collector){ .layout = l, .workers = w, .nworkers = n };
	return c;
}

/* One worker, two and a half times round the ring, main collecting after
 * each interval: interval k holds k + 1 responses and k timeouts. */
static void test_ring_wraps_without_loss(void **state)
{
	(void)state;
	struct tl_layout l;
	uint64_t nint = 3 * TL_SLOTS;
	tl_layout_init(&l, T0, T0 + 2 * 100 * MS, T0 + nint * 100 * MS, 100 * MS);
	struct tl_worker w __attribute__((aligned(64)));
	assert_int_equal(tl_worker_init(&w, &l), 0);
	struct tl_collector *c = new_collector(&l, &w, 1);
	struct sink *s = calloc(1, sizeof(*s));
	struct tl_failures f = { 0 };

	for (uint64_t k = 0; k < nint; k++) {
		uint64_t now = T0 + k * 100 * MS + 10 * MS;
		tl_tick(&w, now, &f);
		for (uint64_t i = 0; i <= k; i++)
			tl_record(&w, 1000 + k, i == 0);
		f.timeouts += k;
		/* The worker has not moved on: nothing of interval k yet. */
		tl_collect(c, sink_emit, s);
		assert_int_equal(s->n, k);
	}
	tl_tick(&w, T0 + nint * 100 * MS, &f); /* the schedule ends: the drain */
	tl_finish(&w, T0 + nint * 100 * MS + 5 * MS, &f);
	tl_collect(c, sink_emit, s);
	assert_true(tl_collect_done(c));
	/* nint - 2 measured intervals end at their boundaries; the worker
	 * finished in the drain interval (index nint), which it never recorded
	 * into: 2 warm-up + (nint - 2) measured + drain. */
	assert_int_equal(s->n, nint + 1);
	for (uint64_t k = 0; k < nint; k++) {
		assert_int_equal(s->index[k], k);
		assert_int_equal(s->requests[k], k + 1);
		assert_int_equal(s->non_2xx[k], 1);
		assert_int_equal(s->timeouts[k], k);
		assert_int_equal(s->max_latency[k], 1000 + k);
		assert_int_equal(s->phase[k], k < 2 ? TL_WARMUP : TL_MEASURED);
		assert_int_equal(s->start_ns[k], k * 100 * MS);
		assert_int_equal(s->end_ns[k], (k + 1) * 100 * MS);
	}
	assert_int_equal(s->phase[nint], TL_DRAIN);
	assert_int_equal(s->requests[nint], 0);
	assert_int_equal(s->start_ns[nint], nint * 100 * MS);
	assert_int_equal(s->end_ns[nint], nint * 100 * MS + 5 * MS);
	assert_int_equal(w.wait_ns, 0);
	tl_worker_free(&w);
	free(c);
	free(s);
}

/* A worker that sleeps through intervals: the ones it skipped are empty,
 * not lost; one that stops early (a signal) ends with its interval. */
static void test_skipped_and_short_runs(void **state)
{
	(void)state;
	struct tl_layout l;
	tl_layout_init(&l, T0, T0, T0 + 10 * S, S);
	struct tl_worker w[2] __attribute__((aligned(64)));
	assert_int_equal(tl_worker_init(&w[0], &l), 0);
	assert_int_equal(tl_worker_init(&w[1], &l), 0);
	struct tl_collector *c = new_collector(&l, w, 2);
	struct sink *s = calloc(1, sizeof(*s));
	struct tl_failures f = { 0 };

	tl_tick(&w[0], T0, &f);
	tl_tick(&w[1], T0, &f);
	tl_record(&w[0], 5, false);
	tl_record(&w[1], 7, false);
	tl_tick(&w[0], T0 + 3 * S + 1, &f); /* w0 wakes in interval 3 */
	tl_record(&w[0], 9, false);
	tl_collect(c, sink_emit, s);
	assert_int_equal(s->n, 0);           /* w1 is still in interval 0 */
	tl_finish(&w[1], T0 + 500 * MS, &f); /* w1 stops: a signal */
	tl_collect(c, sink_emit, s);
	assert_int_equal(s->n, 3); /* 0, 1, 2; w0 still records into 3 */
	assert_int_equal(s->requests[0], 2);
	assert_int_equal(s->requests[1], 0);
	assert_int_equal(s->requests[2], 0);
	tl_finish(&w[0], T0 + 3 * S + 200 * MS, &f);
	tl_collect(c, sink_emit, s);
	assert_true(tl_collect_done(c));
	assert_int_equal(s->n, 4);
	assert_int_equal(s->requests[3], 1);
	assert_int_equal(s->end_ns[3], 3 * S + 200 * MS); /* cut at the last worker's end */
	tl_worker_free(&w[0]);
	tl_worker_free(&w[1]);
	free(c);
	free(s);
}

/* Two threads for real: a worker records on a made-up clock as fast as it
 * can while main collects; main is slow on purpose, so the worker also
 * waits for slots. Every response lands in its interval, once. */
#define RACE_INTERVALS 200

struct race {
	struct tl_worker *w;
	uint64_t nint;
};

static uint64_t race_count(uint64_t k)
{
	return (k * 37) % 101 + 1;
}

static void *race_worker(void *arg)
{
	struct race *r = arg;
	struct tl_failures f = { 0 };
	for (uint64_t k = 0; k < r->nint; k++) {
		tl_tick(r->w, T0 + k * S, &f);
		for (uint64_t i = 0; i < race_count(k); i++)
			tl_record(r->w, k + 1, false);
	}
	tl_finish(r->w, T0 + r->nint * S, &f);
	return NULL;
}

static void test_concurrent_handover(void **state)
{
	(void)state;
	struct tl_layout l;
	struct tl_worker w __attribute__((aligned(64)));
	struct race r = { .w = &w, .nint = RACE_INTERVALS };
	tl_layout_init(&l, T0, T0, T0 + RACE_INTERVALS * S, S);
	assert_int_equal(tl_worker_init(&w, &l), 0);
	struct tl_collector *c = new_collector(&l, &w, 1);
	struct sink *s = calloc(1, sizeof(*s));
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, race_worker, &r), 0);
	struct timespec nap = { .tv_sec = 0, .tv_nsec = 200000 };
	while (!tl_collect_done(c)) {
		tl_collect(c, sink_emit, s);
		nanosleep(&nap, NULL);
	}
	pthread_join(t, NULL);
	tl_collect(c, sink_emit, s);
	/* The last interval is still measured: the worker finished at its end. */
	assert_int_equal(s->n, RACE_INTERVALS);
	for (uint64_t k = 0; k < RACE_INTERVALS; k++) {
		assert_int_equal(s->index[k], k);
		assert_int_equal(s->requests[k], race_count(k));
		assert_int_equal(s->max_latency[k], k + 1);
	}
	tl_worker_free(&w);
	free(c);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_counts_and_cuts),
		cmocka_unit_test(test_ring_wraps_without_loss),
		cmocka_unit_test(test_skipped_and_short_runs),
		cmocka_unit_test(test_concurrent_handover),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
