/* Open-loop send schedule (--rate): when each request is meant to leave.
 *
 * The run's schedule is one sequence at the total rate R: request j is due
 * at t0 + j / R. With T threads, thread t takes the requests j = t, t + T,
 * t + 2T, ... so the threads together send exactly R per second, evenly
 * interleaved, and none of them needs to talk to another. Times are computed
 * from j each time (never by adding intervals), so there is no drift.
 *
 * The rate is kept in milli-requests per second so fractional rates work and
 * all arithmetic is exact integers (128-bit intermediate). */
#ifndef LG_SCHEDULE_H
#define LG_SCHEDULE_H

#include <stdint.h>

struct schedule {
	uint64_t t0_ns;
	uint64_t rate_milli;  /* total requests per 1000 s */
	uint32_t stride;      /* number of threads */
	uint32_t offset;      /* this thread's index */
	uint64_t next;        /* this thread's next request, counted from 0 */
};

void schedule_init(struct schedule *s, uint64_t t0_ns, uint64_t rate_milli,
		   uint32_t stride, uint32_t offset);

/* Intended send time of this thread's k-th request. */
uint64_t schedule_time(const struct schedule *s, uint64_t k);

/* How many of this thread's requests are due at `now` (intended <= now),
 * counting from request 0. */
uint64_t schedule_due(const struct schedule *s, uint64_t now_ns);

static inline uint64_t schedule_next_time(const struct schedule *s)
{
	return schedule_time(s, s->next);
}

#endif
