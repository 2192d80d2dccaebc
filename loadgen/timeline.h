/* Load over time: each interval's requests, failures, latency distribution
 * and loadgen CPU, handed from the workers to main while the run goes on.
 *
 * Intervals (struct tl_layout): warm-up intervals from the start of load,
 * the last one cut at the start of the measurement; measured intervals from
 * there, the last one cut at the end of the schedule; then one drain
 * interval, to the last response (requests in flight at the end get up to
 * --timeout). So a run has ceil(warmup/I) + ceil(duration/I) + 1 intervals.
 *
 * The hand-over. Each worker owns a ring of TL_SLOTS slots (counters and a
 * histogram of the run's layout). A response is recorded into the slot of
 * the worker's current interval: plain adds, no atomics, no lock
 * (tl_record). Once per loop turn the worker checks the interval's end
 * (tl_tick, one comparison); past it, it fills in the slot's failure and CPU
 * deltas, publishes "intervals below k+1 are done" (a release store of
 * `sealed`) and moves to the next slot. Main merges interval k once every
 * worker has sealed it (acquire), then publishes `collected` (release), which
 * lets the workers reuse that slot. A response goes into exactly one slot and
 * every slot is read exactly once: nothing lost, nothing counted twice.
 * A worker whose next slot is not collected yet (main TL_SLOTS - 1 intervals
 * behind) waits for it rather than overwrite it; the wait is counted
 * (tl_worker.wait_ns) and reported.
 *
 * A response counts in the interval of the loop turn that read it: the turn
 * starts with tl_tick, right after the worker's own warm-up/measurement
 * switch, so the measured and drain intervals hold exactly the responses the
 * run's row counts. */
#ifndef LG_TIMELINE_H
#define LG_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>
#include "histogram.h"

#define TL_SLOTS 8 /* 8 x 216 KiB per worker: main may fall 7 intervals behind */

enum tl_phase { TL_WARMUP, TL_MEASURED, TL_DRAIN };

struct tl_layout {
	uint64_t t0_ns;      /* load starts */
	uint64_t measure_ns; /* measurement starts */
	uint64_t end_ns;     /* schedule ends; drain follows */
	uint64_t interval_ns;
	uint64_t nwarm;     /* warm-up intervals; measured ones follow */
	uint64_t nmeasured; /* then the drain interval, index nwarm + nmeasured */
};

void tl_layout_init(struct tl_layout *l, uint64_t t0_ns, uint64_t measure_ns, uint64_t end_ns,
		    uint64_t interval_ns);
enum tl_phase tl_phase_of(const struct tl_layout *l, uint64_t k);
/* Absolute times (now_ns clock); the drain interval never ends by the clock. */
uint64_t tl_interval_start(const struct tl_layout *l, uint64_t k);
uint64_t tl_interval_end(const struct tl_layout *l, uint64_t k);
const char *tl_phase_name(enum tl_phase p);

/* One worker's share of one interval. */
struct tl_slot {
	uint64_t non_2xx;
	uint64_t connect_errors, read_errors, timeouts; /* filled in when sealed */
	uint64_t cpu_us;                                /* the thread's user+sys, likewise */
	struct histogram latency;                       /* count = requests */
};

/* Failures since the start of load, as the worker counts them. */
struct tl_failures {
	uint64_t connect_errors, read_errors, timeouts;
};

struct tl_worker {
	const struct tl_layout *layout;
	struct tl_slot *slots; /* TL_SLOTS */
	/* The worker's own. */
	struct tl_slot *cur_slot;
	uint64_t cur;                /* the interval it records into */
	uint64_t cur_end;            /* when it ends; 0 before the first tick */
	struct tl_failures at_start; /* counts when cur began */
	uint64_t cpu_at_start_us;
	uint64_t wait_ns;   /* waited for main to free a slot */
	uint64_t finish_ns; /* when the worker ended (valid once final is set) */
	/* Worker -> main. */
	uint64_t sealed __attribute__((aligned(64))); /* intervals [0, sealed) are done */
	uint64_t final; /* 0 while running, then its number of intervals */
	/* Main -> worker. */
	uint64_t collected __attribute__((aligned(64))); /* intervals [0, collected) read */
};

/* Returns 0, or -1 when out of memory. */
int tl_worker_init(struct tl_worker *t, const struct tl_layout *l);
void tl_worker_free(struct tl_worker *t);

void tl_roll(struct tl_worker *t, uint64_t now, const struct tl_failures *f);

/* Once per loop turn, before its responses; t may be NULL (no timeline). */
static inline void tl_tick(struct tl_worker *t, uint64_t now, const struct tl_failures *f)
{
	if (t && now >= t->cur_end)
		tl_roll(t, now, f);
}

/* When the worker should wake to start the next interval (UINT64_MAX: never). */
static inline uint64_t tl_next_wake(const struct tl_worker *t)
{
	return t ? t->cur_end : UINT64_MAX;
}

/* The hot path: one per completed response. */
static inline void tl_record(struct tl_worker *t, uint64_t latency_ns, bool non_2xx)
{
	if (!t)
		return;
	t->cur_slot->non_2xx += non_2xx;
	hist_record(&t->cur_slot->latency, latency_ns);
}

/* The worker ends: seals its current interval, the last it has. */
void tl_finish(struct tl_worker *t, uint64_t now, const struct tl_failures *f);

/* One interval, merged over the workers (main's). */
struct tl_interval {
	uint64_t index;
	enum tl_phase phase;
	uint64_t start_ns, end_ns; /* relative to the start of load */
	uint64_t non_2xx, connect_errors, read_errors, timeouts;
	uint64_t cpu_us; /* all worker threads */
	struct histogram latency;
};

struct tl_collector {
	const struct tl_layout *layout;
	struct tl_worker *workers;
	int nworkers;
	uint64_t next; /* the next interval to merge */
	struct tl_interval iv;
};

/* Merges every interval all workers are done with, calling emit for each in
 * order; returns how many. After the last worker's tl_finish it merges the
 * rest. Main's only; the workers never wait on it except for a free slot. */
typedef void tl_emit_fn(void *ctx, const struct tl_interval *iv);
int tl_collect(struct tl_collector *c, tl_emit_fn *emit, void *ctx);
/* True once every worker finished and every interval was merged. */
bool tl_collect_done(const struct tl_collector *c);

#endif
