/* One run driven from several client hosts (--share I/N, --start-at).
 *
 * A fast server outgrows one client host. The N hosts must then offer
 * together exactly the load one client would: host I opens its share of
 * --connections (the remainder going to the first hosts, as threads split
 * a host's), and in open loop sends every N-th request of the one schedule
 * at the whole --rate (schedule.h), so the union of the hosts' schedules is
 * the single client's, request for request. A host's thread t is global
 * sender I + N*t of N*T: the same arithmetic that interleaves one host's
 * threads, one level up. Its random stream (--paths) is seeded by that same
 * global sender number, so no two senders of the run share a stream and a
 * run of one host (0 of 1) is unchanged.
 *
 * --start-at gives every host the same start on the wall clock, so their
 * windows coincide (to within the hosts' clock offset: NTP keeps it far
 * under a millisecond on a LAN; loadgen merge warns when the windows do not
 * line up). */
#ifndef LG_SHARE_H
#define LG_SHARE_H

#include <stddef.h>
#include <stdint.h>
#include "options.h"

#define SHARE_MAX 1024
/* --start-at this far in the past is a mistake (a stale script, a clock
 * off by minutes), not a host that was a little slow to start. */
#define START_AT_LATE_S 5
/* ... and this far ahead too (milliseconds given for seconds). */
#define START_AT_AHEAD_S 86400

/* "I/N" with 1 <= I <= N <= SHARE_MAX: *index = I - 1, *count = N. */
int share_parse(const char *s, int *index, int *count);

/* Connections host `index` of `count` opens out of `total`. */
int share_connections(int total, int index, int count);

/* Worker `thread` of this host as a sender of the whole run: its offset in
 * the schedule (and its random stream), and the stride between its requests. */
static inline uint32_t share_sender(const struct lg_options *o, int thread)
{
	return (uint32_t)(o->share_index + o->share_count * thread);
}

static inline uint32_t share_stride(const struct lg_options *o)
{
	return (uint32_t)(o->share_count * o->threads);
}

/* Seconds since the epoch (decimals allowed) into CLOCK_REALTIME ns, checked
 * against now. Returns 0, or -1 with why. */
int start_at_parse(const char *s, uint64_t *realtime_ns, char *why, size_t whylen);

/* CLOCK_REALTIME now, in ns. */
uint64_t realtime_now_ns(void);

/* Sleeps until the wall clock reaches realtime_ns (returns at once when it
 * has). Returns 0, or -1 when the clock cannot be waited on. */
int start_at_wait(uint64_t realtime_ns);

#endif
