/* Send lag: how late each open-loop request left against its schedule.
 *
 * Latency from the intended send time (no coordinated omission) is only the
 * server's when the client kept to its schedule. A client short of CPU, or
 * of free connections, sends late; the lateness lands in the latency
 * percentiles and looks like a slow server. So each worker records, per
 * request due inside the measured window, the lag from its due time to when
 * loadgen handed it to a connection (its send() in keep-alive, its connect()
 * in close mode: the handshake is the server's time, not the client's), and
 * counts the requests of that window it never handed over at all (given up
 * after --timeout in the backlog, still in the backlog at the end, or no
 * socket could be opened). Each request of the window is in exactly one of
 * the two: lag.count + never_sent is what the schedule held.
 *
 * A request belongs to the window by its due time, not by when the worker
 * noticed the window start, so the counts are exact. Workers keep their own
 * and main merges them. */
#ifndef LG_SEND_LAG_H
#define LG_SEND_LAG_H

#include <stdbool.h>
#include <stdint.h>
#include "histogram.h"

/* The percentile of the lag that --max-send-lag bounds: one late request in
 * a thousand is a preemption; one in a hundred already moves the reported
 * p99 latency by as much as the lag. */
#define SEND_LAG_CHECKED_PCT 99.0

struct send_lag {
	uint64_t window_start_ns; /* requests due before this are warm-up */
	uint64_t never_sent;      /* due in the window, never handed over */
	uint64_t no_free_conn;    /* due in the window while no connection was
				    * free: their lag was the pool's, not the CPU's */
	struct histogram lag;     /* ns, one sample per request handed over */
};

void send_lag_init(struct send_lag *s, uint64_t window_start_ns);

/* A request due at due_ns was handed to a connection at sent_ns. */
void send_lag_sent(struct send_lag *s, uint64_t due_ns, uint64_t sent_ns);

/* A request due at due_ns was given up before it was handed over. */
void send_lag_lost(struct send_lag *s, uint64_t due_ns);

/* A request due at due_ns found no free connection (count it once). */
void send_lag_no_conn(struct send_lag *s, uint64_t due_ns);

void send_lag_merge(struct send_lag *into, const struct send_lag *from);

/* True when the client fell behind: the SEND_LAG_CHECKED_PCT percentile of
 * the lag of every request of the window, never-sent ones counting as later
 * than any sent, is above max_ns. *observed_ns gets that percentile
 * (UINT64_MAX when it falls among the never-sent). Nothing due: false. */
bool send_lag_over(const struct send_lag *s, uint64_t max_ns, uint64_t *observed_ns);

#endif
