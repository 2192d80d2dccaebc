/* Send-lag bookkeeping: see send_lag.h. */
#include "send_lag.h"

void send_lag_init(struct send_lag *s, uint64_t window_start_ns)
{
	s->window_start_ns = window_start_ns;
	s->never_sent = 0;
	s->no_free_conn = 0;
	hist_init(&s->lag);
}

void send_lag_sent(struct send_lag *s, uint64_t due_ns, uint64_t sent_ns)
{
	if (due_ns < s->window_start_ns)
		return;
	hist_record(&s->lag, sent_ns > due_ns ? sent_ns - due_ns : 0);
}

void send_lag_lost(struct send_lag *s, uint64_t due_ns)
{
	if (due_ns >= s->window_start_ns)
		s->never_sent++;
}

void send_lag_no_conn(struct send_lag *s, uint64_t due_ns)
{
	if (due_ns >= s->window_start_ns)
		s->no_free_conn++;
}

void send_lag_merge(struct send_lag *into, const struct send_lag *from)
{
	into->never_sent += from->never_sent;
	into->no_free_conn += from->no_free_conn;
	hist_merge(&into->lag, &from->lag);
}

bool send_lag_over(const struct send_lag *s, uint64_t max_ns, uint64_t *observed_ns)
{
	uint64_t total = s->lag.count + s->never_sent;
	uint64_t v = 0;

	if (total) {
		/* ceil(pct/100 * total), in integers: no rounding surprise. */
		uint64_t rank = (total * (uint64_t)(SEND_LAG_CHECKED_PCT * 10) + 999) / 1000;
		v = rank > s->lag.count ? UINT64_MAX : hist_at_rank(&s->lag, rank);
	}
	if (observed_ns)
		*observed_ns = v;
	return total && v > max_ns;
}
