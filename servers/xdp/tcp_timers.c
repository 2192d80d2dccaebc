/* Timers: one min-heap of connections keyed by their earliest deadline,
 * RTO estimation (RFC 6298) and what happens when a deadline passes.
 *
 * Each connection has two deadlines: timer_at (retransmission, persist or
 * TIME_WAIT end, one at a time) and idle_at. The heap key is allowed to be
 * earlier than both (lazy): pushing a deadline later, which every ACK does,
 * costs nothing; the connection pops early, finds nothing due and goes
 * back with its real deadline. Only an earlier deadline touches the heap. */
#include "netstack_internal.h"

static inline uint64_t conn_deadline(const struct tcp_conn *c)
{
	return c->timer_at < c->idle_at ? c->timer_at : c->idle_at;
}

static void heap_swap(struct netstack *ns, uint32_t a, uint32_t b)
{
	struct tcp_conn *t = ns->heap[a];
	ns->heap[a] = ns->heap[b];
	ns->heap[b] = t;
	ns->heap[a]->heap_idx = a;
	ns->heap[b]->heap_idx = b;
}

static void heap_up(struct netstack *ns, uint32_t i)
{
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (ns->heap[p]->heap_key <= ns->heap[i]->heap_key)
			break;
		heap_swap(ns, i, p);
		i = p;
	}
}

static void heap_down(struct netstack *ns, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < ns->heap_len && ns->heap[l]->heap_key < ns->heap[m]->heap_key)
			m = l;
		if (r < ns->heap_len && ns->heap[r]->heap_key < ns->heap[m]->heap_key)
			m = r;
		if (m == i)
			break;
		heap_swap(ns, i, m);
		i = m;
	}
}

void ns_timer_remove(struct netstack *ns, struct tcp_conn *c)
{
	uint32_t i = c->heap_idx;
	if (i == NS_NONE)
		return;
	c->heap_idx = NS_NONE;
	ns->heap_len--;
	if (i == ns->heap_len)
		return;
	ns->heap[i] = ns->heap[ns->heap_len];
	ns->heap[i]->heap_idx = i;
	heap_up(ns, i);
	heap_down(ns, ns->heap[i]->heap_idx);
}

void ns_timer_update(struct netstack *ns, struct tcp_conn *c)
{
	/* TIME_WAIT lasts the same for everyone: its FIFO (oldest first) is
	 * the timer, so the heap holds only live connections. In close mode
	 * TIME_WAIT outnumbers them ~rate:concurrency, and a heap of tens of
	 * thousands cost ~11% of the core in cache misses (COST_CENTRES.md). */
	if (c->state == TCP_TIME_WAIT && c->timer == TIMER_TIME_WAIT) {
		ns_timer_remove(ns, c);
		return;
	}
	uint64_t d = conn_deadline(c);
	if (c->heap_idx == NS_NONE) {
		if (d == UINT64_MAX)
			return;
		c->heap_key = d;
		c->heap_idx = ns->heap_len++;
		ns->heap[c->heap_idx] = c;
		heap_up(ns, c->heap_idx);
	} else if (d < c->heap_key) {
		c->heap_key = d;
		heap_up(ns, c->heap_idx);
	}
}

void ns_timer_arm(struct netstack *ns, struct tcp_conn *c, enum tcp_timer t,
		  uint64_t at)
{
	c->timer = t;
	c->timer_at = at;
	if (t == TIMER_TIME_WAIT && c->state == TCP_TIME_WAIT)
		ns_time_wait_requeue(ns, c); /* keeps the FIFO in deadline order */
	ns_timer_update(ns, c);
}

void ns_timer_stop(struct netstack *ns, struct tcp_conn *c)
{
	(void)ns;
	c->timer = TIMER_NONE;
	c->timer_at = UINT64_MAX;
}

/* RFC 6298 2.2-2.4 in microseconds; G (clock granularity) is 1 µs here,
 * so the 4*RTTVAR term alone sets the margin, floored at NS_RTO_MIN_MS. */
void ns_rtt_sample(struct tcp_conn *c, uint64_t rtt_ns)
{
	uint32_t r = rtt_ns / 1000 > UINT32_MAX / 8 ? UINT32_MAX / 8
						     : (uint32_t)(rtt_ns / 1000);
	if (r == 0)
		r = 1;
	if (c->srtt_us == 0) {
		c->srtt_us = r;
		c->rttvar_us = r / 2;
	} else {
		uint32_t delta = c->srtt_us > r ? c->srtt_us - r : r - c->srtt_us;
		c->rttvar_us = c->rttvar_us - c->rttvar_us / 4 + delta / 4;
		c->srtt_us = c->srtt_us - c->srtt_us / 8 + r / 8;
	}
	uint64_t rto_us = (uint64_t)c->srtt_us + 4ull * c->rttvar_us;
	uint64_t ms = (rto_us + 999) / 1000;
	if (ms < NS_RTO_MIN_MS)
		ms = NS_RTO_MIN_MS;
	if (ms > NS_RTO_MAX_MS)
		ms = NS_RTO_MAX_MS;
	c->rto_ms = (uint32_t)ms;
}

static void backoff(struct tcp_conn *c)
{
	c->rto_ms = c->rto_ms * 2 > NS_RTO_MAX_MS ? NS_RTO_MAX_MS : c->rto_ms * 2;
}

static void on_rtx_timeout(struct netstack *ns, struct tcp_conn *c)
{
	c->retries++;
	if (c->state == TCP_SYN_RECEIVED) {
		if (c->retries > NS_MAX_SYNACK_RETRIES) {
			ns->stats.conns_timed_out++;
			ns_abort(ns, c);
			return;
		}
		backoff(c);
		c->rtt_timing = false; /* Karn: an answer is ambiguous now */
		ns->stats.synack_retransmits++;
		ns->stats.retransmits++;
		ns_timer_arm(ns, c, TIMER_RTX, ns->now_ns + c->rto_ms * NS_MS);
		if (ns_send_synack(ns, c) < 0)
			ns_pending_add(ns, c);
		return;
	}
	if (c->retries > NS_MAX_RETRIES) {
		ns->stats.conns_timed_out++;
		ns_abort(ns, c);
		return;
	}
	ns->stats.rto_timeouts++;
	/* RFC 6298 5.5-5.7 and RFC 5681 (3.1, eq. 4): back off, shrink to
	 * the loss window and go back to snd_una. Karn: the retransmission
	 * is not timed. */
	backoff(c);
	cc_on_rto(c);
	c->snd_nxt = c->snd_una;
	c->rtt_timing = false;
	c->rtx_owed = false; /* go-back-N resends it anyway */
	/* RFC 2018 8: the receiver may have reneged, so SACKed data is sent
	 * again too; recovery after an RTO is plain slow start. */
	ns_sack_clear(c);
	ns_timer_stop(ns, c);
	ns_output(ns, c);
}

/* Like Linux's probe0: the RTO shifted left per unanswered probe, capped;
 * the shift is its own, so a long zero window never inflates the RTO that
 * the next loss will wait for. */
uint64_t ns_persist_ms(const struct tcp_conn *c)
{
	uint64_t ms = (uint64_t)c->rto_ms << c->persist_shift;
	return ms > NS_PERSIST_MAX_MS ? NS_PERSIST_MAX_MS : ms;
}

static void on_persist(struct netstack *ns, struct tcp_conn *c)
{
	/* Force one byte past the closed window (RFC 9293 3.8.6.1); the ACK
	 * that answers it says whether the window opened (which resets the
	 * shift: tcp_input.c). */
	if (c->persist_shift < 16)
		c->persist_shift++;
	ns_timer_arm(ns, c, TIMER_PERSIST, ns->now_ns + ns_persist_ms(c) * NS_MS);
	if (c->snd_wnd == 0 && c->snd_nxt == c->snd_una &&
	    SEQ_LT(c->snd_nxt, c->snd_end)) {
		ns->stats.zero_window_probes++;
		int n = ns_send_segment(ns, c, c->snd_nxt, 1);
		if (n > 0) {
			c->snd_nxt += n;
			if (SEQ_GT(c->snd_nxt, c->snd_max)) {
				c->snd_max = c->snd_nxt;
				/* The probe was the last byte, so it carried
				 * our FIN (ns_send_segment adds it). */
				if (c->fin_queued && c->snd_max == c->snd_end + 1)
					ns_fin_sent(ns, c);
			}
		} else if (n < 0) {
			ns_pending_add(ns, c);
		}
	} else {
		ns_timer_stop(ns, c);
		ns_output(ns, c);
	}
}

static void on_idle(struct netstack *ns, struct tcp_conn *c)
{
	c->idle_at = UINT64_MAX;
	ns->stats.conns_idle_closed++;
	/* Nothing owed to the peer and our side still open: close politely,
	 * as close() would, and give the FIN handshake one more idle period.
	 * Anything else (data stuck, a half-finished close): abort. */
	if ((c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT) &&
	    c->snd_una == c->snd_end && !c->fin_queued) {
		c->fin_queued = true;
		c->rx_closed = true;
		ns_idle_touch(ns, c);
		ns_output(ns, c);
		return;
	}
	ns_abort(ns, c);
}

void ns_timers_run(struct netstack *ns, uint64_t now_ns)
{
	while (ns->heap_len && ns->heap[0]->heap_key <= now_ns) {
		struct tcp_conn *c = ns->heap[0];
		ns_timer_remove(ns, c);
		if (c->timer_at <= now_ns) {
			enum tcp_timer t = c->timer;
			ns_timer_stop(ns, c);
			switch (t) {
			case TIMER_RTX:
				on_rtx_timeout(ns, c);
				break;
			case TIMER_PERSIST:
				on_persist(ns, c);
				break;
			case TIMER_TIME_WAIT:
				ns_conn_free(ns, c);
				break;
			case TIMER_NONE:
				break;
			}
		} else if (c->idle_at <= now_ns) {
			on_idle(ns, c);
		}
		if (c->state != TCP_CLOSED)
			ns_timer_update(ns, c);
	}
	struct tcp_conn *tw;
	while ((tw = ns_time_wait_oldest(ns)) && tw->timer_at <= now_ns)
		ns_conn_free(ns, tw);
}
