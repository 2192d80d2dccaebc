/* The SLO (slo.h): its syntax, the verdict on a window (failed requests,
 * then a client-bound run, then the percentile), and the search's planner
 * (search.h) against scripted verdicts: exponential, bisection, repeats,
 * a flaky boundary, the bounds and the step limit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "options.h"
#include "report.h"
#include "search.h"
#include "slo.h"

#define US 1000ull
#define MS 1000000ull

static void test_parse_units_and_percentiles(void **state)
{
	(void)state;
	struct lg_slo s;
	char err[256];
	assert_int_equal(slo_parse("p99=2ms", &s, err, sizeof(err)), 0);
	assert_true(s.pct == 99.0);
	assert_int_equal(s.max_ns, 2 * MS);
	assert_string_equal(s.text, "p99=2ms");
	assert_int_equal(slo_parse("p99.9=500us", &s, err, sizeof(err)), 0);
	assert_true(s.pct == 99.9);
	assert_int_equal(s.max_ns, 500 * US);
	assert_int_equal(slo_parse("p50=1s", &s, err, sizeof(err)), 0);
	assert_int_equal(s.max_ns, 1000 * MS);
	assert_int_equal(slo_parse("p100=750ns", &s, err, sizeof(err)), 0);
	assert_int_equal(s.max_ns, 750);
	assert_int_equal(slo_parse("P99.99=1.5ms", &s, err, sizeof(err)), 0);
	assert_int_equal(s.max_ns, 1500 * US);
	assert_string_equal(s.text, "p99.99=1.5ms");
}

static void test_parse_rejects(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "99=2ms", "p=2ms", "p99", "p99=", "p99=2", "p99=2m", "p99=ms", "p0=1ms", "p101=1ms",
		"p-1=1ms", "p99=-2ms", "p99=0ms", "p99=0.5ns", "p99=2hours", "p99=0x10ms", "p99=1e3us",
		"p9.9.9=1ms", "p99=2ms ", " p99=2ms", "p99=3601s", "pinf=1ms", "p99=nanms",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lg_slo s;
		char err[256] = "";
		if (slo_parse(bad[i], &s, err, sizeof(err)) != -1)
			fail_msg("accepted '%s'", bad[i]);
		assert_non_null(strstr(err, "--slo"));
		assert_null(strchr(err, '\n'));
	}
}

/* A window of `n` requests at `lat_ns` each, at an open-loop rate. */
struct window {
	struct lg_options o;
	struct lg_result r;
	struct histogram lat, con, unc;
	struct send_lag lag;
};

static struct window *window(uint64_t n, uint64_t lat_ns)
{
	struct window *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	w->o.rate = 1000;
	w->o.rate_milli = 1000000;
	w->o.max_send_lag_s = 0.001;
	w->o.connections = 10;
	w->o.pipeline = 1;
	hist_init(&w->lat);
	hist_init(&w->con);
	hist_init(&w->unc);
	send_lag_init(&w->lag, 0);
	for (uint64_t i = 0; i < n; i++) {
		hist_record(&w->lat, lat_ns);
		send_lag_sent(&w->lag, 1000 + i, 1000 + i + 10 * US);
	}
	w->r.o = &w->o;
	w->r.latency = &w->lat;
	w->r.connect = &w->con;
	w->r.latency_uncorrected = &w->unc;
	w->r.lag = &w->lag;
	w->r.c.requests = n;
	w->r.elapsed_s = 1;
	w->r.thread_cpus = 1;
	return w;
}

static void test_judge(void **state)
{
	(void)state;
	struct lg_slo slo;
	char err[256];
	uint64_t at;
	assert_int_equal(slo_parse("p99=2ms", &slo, err, sizeof(err)), 0);

	struct window *w = window(1000, 1 * MS);
	assert_int_equal(slo_judge(&slo, &w->r, &at), SLO_PASS);
	assert_true(at >= 1 * MS - 1 * MS / 1024 && at <= 1 * MS);

	/* 2% of the requests over the bound: the p99 is over it. */
	for (int i = 0; i < 20; i++)
		hist_record(&w->lat, 5 * MS);
	assert_int_equal(slo_judge(&slo, &w->r, &at), SLO_OVER);
	assert_true(at > 2 * MS);
	free(w);

	/* Exactly at the bound holds. */
	w = window(1000, 2 * MS);
	assert_int_equal(slo_judge(&slo, &w->r, NULL), SLO_PASS);

	/* One failed request fails the window, however fast the rest. */
	w->r.c.timeouts = 1;
	assert_int_equal(slo_judge(&slo, &w->r, NULL), SLO_FAILED_REQUESTS);
	w->r.c.timeouts = 0;
	w->r.c.non_2xx = 1;
	assert_int_equal(slo_judge(&slo, &w->r, NULL), SLO_FAILED_REQUESTS);
	w->r.c.non_2xx = 0;

	/* A client behind its schedule: never a pass. */
	for (int i = 0; i < 100; i++)
		send_lag_sent(&w->lag, 5000, 5000 + 50 * MS);
	assert_true(result_client_bound(&w->r));
	assert_int_equal(slo_judge(&slo, &w->r, NULL), SLO_CLIENT_BOUND);
	free(w);

	/* Nothing measured is no evidence that the SLO held. */
	w = window(0, 0);
	assert_int_equal(slo_judge(&slo, &w->r, &at), SLO_FAILED_REQUESTS);
	assert_int_equal(at, 0);
	free(w);

	assert_string_equal(slo_verdict_name(SLO_PASS), "pass");
	assert_string_equal(slo_verdict_name(SLO_OVER), "over_slo");
	assert_string_equal(slo_verdict_name(SLO_CLIENT_BOUND), "client_bound");
	assert_string_equal(slo_verdict_name(SLO_FAILED_REQUESTS), "failed_requests");
}

/* ---- the planner against scripted servers -------------------------------- */

static struct search_params params(double start, double max, double precision, int steps, int repeats)
{
	struct search_params p = {
		.start_milli = (uint64_t)(start * 1000), .max_milli = (uint64_t)(max * 1000), .growth = 2,
		.precision = precision, .max_steps = steps, .repeats = repeats,
	};
	return p;
}

/* Runs the planner against a server that passes below knee_milli (and, when
 * flaky_milli is set, fails the first window there); returns the knee. */
static uint64_t run(struct search *s, const struct search_params *p, uint64_t knee_milli, uint64_t flaky_milli,
		    char *phases, size_t plen)
{
	enum search_phase ph;
	uint64_t m;
	bool flaked = false;
	size_t used = 0;
	search_init(s, p);
	while ((m = search_next(s, &ph)) != 0) {
		bool pass = m <= knee_milli;
		if (m == flaky_milli && !flaked) {
			pass = false;
			flaked = true;
		}
		if (phases && used + 2 < plen)
			phases[used++] = search_phase_name(ph)[0];
		search_record(s, m, pass);
	}
	if (phases)
		phases[used] = '\0';
	return search_knee(s);
}

static void test_search_converges(void **state)
{
	(void)state;
	static struct search s;
	char ph[64];
	struct search_params p = params(1000, 1e7, 0.05, 30, 1);
	uint64_t knee = run(&s, &p, 37000 * 1000ull, 0, ph, sizeof(ph));
	/* 1k 2k 4k 8k 16k 32k pass, 64k fails, then bisection to 5%. */
	assert_int_equal(s.end, SEARCH_CONVERGED);
	assert_true(knee <= 37000 * 1000ull);
	assert_true(knee >= (uint64_t)(37000 * 1000 / 1.05));
	uint64_t fail = search_first_fail(&s);
	assert_true(fail > 37000 * 1000ull);
	assert_true((double)(fail - knee) <= 0.05 * (double)knee);
	assert_memory_equal(ph, "eeeeeee", 7);
	assert_int_equal(ph[strlen(ph) - 1], 'r');
	assert_int_equal(ph[strlen(ph) - 2], 'r');
	/* Both ends of the boundary measured twice. */
	for (int i = 0; i < s.nrates; i++)
		if (s.rates[i].milli == knee || s.rates[i].milli == fail)
			assert_int_equal(s.rates[i].runs, 2);
	assert_true(s.steps <= 30);
}

static void test_search_down_from_a_failing_start(void **state)
{
	(void)state;
	static struct search s;
	char ph[64];
	struct search_params p = params(1000, 1e7, 0.05, 30, 1);
	uint64_t knee = run(&s, &p, 90 * 1000ull, 0, ph, sizeof(ph));
	/* 1000 500 250 125 fail, 62.5 passes: shrinking is the exponential phase too. */
	assert_memory_equal(ph, "eeeeeb", 6);
	assert_int_equal(s.end, SEARCH_CONVERGED);
	assert_true(knee <= 90000 && knee >= 90000 / 1.05);
}

static void test_search_flaky_boundary(void **state)
{
	(void)state;
	static struct search s;
	struct search_params p = params(1000, 1e7, 0.05, 40, 1);
	/* The server holds up to 10000 req/s; find the knee once, then make
	 * that very rate fail its first window: it must never be the knee. */
	uint64_t clean = run(&s, &p, 10000 * 1000ull, 0, NULL, 0);
	uint64_t knee = run(&s, &p, 10000 * 1000ull, clean, NULL, 0);
	assert_int_equal(s.end, SEARCH_CONVERGED);
	assert_true(knee < clean);
	assert_true(search_first_fail(&s) <= clean);
}

static void test_search_bounds(void **state)
{
	(void)state;
	static struct search s;
	/* Holds everywhere: stops at --search-max. */
	struct search_params p = params(1000, 5000, 0.05, 30, 1);
	assert_int_equal(run(&s, &p, UINT64_MAX, 0, NULL, 0), 5000 * 1000ull);
	assert_int_equal(s.end, SEARCH_AT_MAX);
	assert_int_equal(s.steps, 4); /* 1000 2000 4000 5000 */
	/* Holds nowhere: down to 1 req/s, knee 0. */
	p = params(1000, 1e7, 0.05, 30, 1);
	assert_int_equal(run(&s, &p, 0, 0, NULL, 0), 0);
	assert_int_equal(s.end, SEARCH_NONE_PASSED);
	assert_int_equal(search_first_fail(&s), SEARCH_MIN_RATE_MILLI);
	/* The step limit ends it, with the best knee so far. */
	p = params(1000, 1e7, 0.001, 8, 1);
	uint64_t knee = run(&s, &p, 50000 * 1000ull, 0, NULL, 0);
	assert_int_equal(s.end, SEARCH_STEP_LIMIT);
	assert_int_equal(s.steps, 8);
	assert_true(knee >= 32000 * 1000ull && knee <= 50000 * 1000ull);
	/* No repeats asked: none made. */
	p = params(1000, 1e7, 0.05, 30, 0);
	char ph[64];
	run(&s, &p, 37000 * 1000ull, 0, ph, sizeof(ph));
	assert_null(strchr(ph, 'r'));
	assert_int_equal(s.end, SEARCH_CONVERGED);
}

/* Below the rate whose window holds enough requests to judge the percentile
 * (min_milli) the search never goes: not down from a failing start, and not
 * for a start below it. */
static void test_search_floor(void **state)
{
	(void)state;
	static struct search s;
	struct search_params p = params(1000, 1e7, 0.05, 30, 1);
	p.min_milli = 334 * 1000; /* p99 with 3 s windows: 1000 requests */
	assert_int_equal(run(&s, &p, 0, 0, NULL, 0), 0);
	assert_int_equal(s.end, SEARCH_NONE_PASSED);
	assert_int_equal(search_first_fail(&s), 334 * 1000);
	for (int i = 0; i < s.nrates; i++)
		assert_true(s.rates[i].milli >= 334 * 1000);
	p = params(10, 1e7, 0.05, 30, 1);
	p.min_milli = 334 * 1000;
	enum search_phase ph;
	search_init(&s, &p);
	assert_int_equal(search_next(&s, &ph), 334 * 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_units_and_percentiles),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_search_converges),
		cmocka_unit_test(test_search_down_from_a_failing_start),
		cmocka_unit_test(test_search_flaky_boundary),
		cmocka_unit_test(test_search_bounds),
		cmocka_unit_test(test_search_floor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
