/* --search: the highest open-loop rate at which the SLO (slo.h) holds.
 *
 * Each step is one full measured window (warm-up + duration, fresh
 * connections) at one rate, judged by slo_judge(). The planner grows the
 * rate exponentially from the start rate until a step fails (or shrinks it
 * until one passes), bisects between the highest passing and the lowest
 * failing rate until they are within the precision, then runs both of them
 * again: a rate passes only if every one of its windows passed, so one
 * lucky window cannot make the knee. A passing rate above a failing one
 * (noise) never becomes the knee either. The knee is the highest rate that
 * passed every time, below the lowest that failed.
 *
 * The planner (search_*) is pure arithmetic, so the tests can script the
 * verdicts; search_run() drives it with real windows and writes the rows. */
#ifndef LG_SEARCH_H
#define LG_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

struct lg_options;
struct lg_result;

#define SEARCH_MAX_STEPS 200

enum search_phase { SEARCH_EXP, SEARCH_BISECT, SEARCH_REPEAT };

enum search_end {
	SEARCH_RUNNING,
	SEARCH_CONVERGED,   /* pass and fail within the precision, both repeated */
	SEARCH_AT_MAX,      /* the SLO held at --search-max: the knee is at least that */
	SEARCH_NONE_PASSED, /* not even the lowest rate (min_milli) passed */
	SEARCH_STEP_LIMIT,  /* --search-steps ran out first */
};

/* The lowest rate tried when the start rate fails: 1 request/s, or
 * search_params.min_milli when higher. */
#define SEARCH_MIN_RATE_MILLI 1000

/* A window judges percentile q only with at least this many requests:
 * 10 beyond it (p99: 1000, p50: 20, p99.9: 10000). Fewer, and the
 * percentile is one of the last few samples, mostly chance. */
#define SEARCH_SAMPLES_BEYOND 10

struct search_params {
	uint64_t start_milli;  /* first rate, req/s * 1000 */
	uint64_t max_milli;    /* never above this */
	double growth;         /* exponential phase: x this per step (> 1) */
	double precision;      /* stop bisecting when fail - pass <= precision * pass */
	int max_steps;         /* windows in all, repeats included */
	int repeats;           /* extra windows at the last pass and the first fail */
	uint64_t min_milli;    /* never below this (0: SEARCH_MIN_RATE_MILLI) */
};

struct search_rate {
	uint64_t milli;
	int runs;
	bool failed;           /* at least one of its windows failed */
};

struct search {
	struct search_params p;
	struct search_rate rates[SEARCH_MAX_STEPS];
	int nrates;
	int steps;
	enum search_end end;
};

void search_init(struct search *s, const struct search_params *p);

/* The next rate to measure (req/s * 1000) and its phase, or 0 when the
 * search is over (s->end says why). */
uint64_t search_next(struct search *s, enum search_phase *phase);

/* The verdict of the window just measured at `milli`. */
void search_record(struct search *s, uint64_t milli, bool pass);

/* The highest rate that passed every window below the lowest failing one
 * (0: none), and that lowest failing rate (0: none failed). */
uint64_t search_knee(const struct search *s);
uint64_t search_first_fail(const struct search *s);

const char *search_phase_name(enum search_phase p);
const char *search_end_name(enum search_end e);

/* Runs one window at the rate of `o` into r (allocating its histograms);
 * returns nonzero when interrupted (r then is not a result). */
typedef int (*search_measure_fn)(void *ctx, const struct lg_options *o, struct lg_result *r);

/* The whole search with o's --slo and --search-* options: a row per step
 * (--csv, --json), a line per step on stderr, the knee on stderr and as a
 * last row (docs/csv-schema.md). Returns the exit status. */
int search_run(const struct lg_options *o, search_measure_fn measure, void *ctx);

#endif
