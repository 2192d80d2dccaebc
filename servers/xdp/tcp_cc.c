/* Congestion control: slow start and congestion avoidance (RFC 5681) with
 * NewReno fast recovery (RFC 6582) for peers without SACK; with SACK the
 * recovery is RFC 6675's (tcp_sack.c decides, the window rules are here).
 * Windows in bytes. */
#include "netstack_internal.h"

#define CWND_MAX (1u << 30)

static uint32_t flight(const struct tcp_conn *c)
{
	return c->snd_max - c->snd_una;
}

static uint32_t half_flight(const struct tcp_conn *c)
{
	uint32_t h = flight(c) / 2;
	return h > 2u * c->mss ? h : 2u * c->mss; /* RFC 5681 eq. 4 */
}

void cc_init(struct tcp_conn *c)
{
	/* RFC 6928 initial window: min(10*MSS, max(2*MSS, 14600)). */
	uint32_t mss = c->mss;
	uint32_t iw = 2 * mss > 14600 ? 2 * mss : 14600;
	c->cwnd = 10 * mss < iw ? 10 * mss : iw;
	c->ssthresh = CWND_MAX;
	c->recover = c->iss;
	c->in_recovery = false;
	c->dupacks = 0;
	c->bytes_acked = 0;
}

bool cc_on_ack(struct tcp_conn *c, uint32_t ack, uint32_t acked)
{
	c->dupacks = 0;
	if (c->in_recovery && c->sack_ok) {
		/* RFC 6675: cwnd stays at ssthresh through the recovery, pipe
		 * paces the sending; it ends when RecoveryPoint is acked. */
		if (SEQ_GEQ(ack, c->recover))
			c->in_recovery = false;
		return false;
	}
	if (c->in_recovery) {
		if (SEQ_GEQ(ack, c->recover)) {
			/* Full ACK: deflate (RFC 6582 3.2 step 3, option 1). */
			uint32_t f = flight(c) + c->mss;
			c->cwnd = c->ssthresh < f ? c->ssthresh : f;
			c->in_recovery = false;
			return false;
		}
		/* Partial ACK: resend the next hole, deflate by what was
		 * acked, add back one MSS (step 4). */
		c->cwnd = acked < c->cwnd ? c->cwnd - acked : 0;
		if (acked >= c->mss)
			c->cwnd += c->mss;
		if (c->cwnd < c->mss)
			c->cwnd = c->mss;
		return true;
	}
	/* Drag recover along so that the comparison above stays meaningful
	 * after 2 GiB without a loss; ack > recover is all it records. */
	if (SEQ_GT(ack, c->recover))
		c->recover = ack - 1;
	if (c->cwnd < c->ssthresh) {
		/* Slow start with appropriate byte counting, L = 2 (RFC 3465):
		 * a delayed ACK covering two segments still doubles per RTT. */
		uint32_t inc = acked < 2u * c->mss ? acked : 2u * c->mss;
		c->cwnd += inc;
	} else {
		c->bytes_acked += acked;
		if (c->bytes_acked >= c->cwnd) {
			c->bytes_acked -= c->cwnd;
			c->cwnd += c->mss;
		}
	}
	if (c->cwnd > CWND_MAX)
		c->cwnd = CWND_MAX;
	return false;
}

bool cc_on_dupack(struct tcp_conn *c)
{
	c->dupacks++;
	if (c->in_recovery) {
		c->cwnd += c->mss; /* each dup ACK: a segment left the network */
		return false;
	}
	if (c->dupacks != 3)
		return false;
	/* RFC 6582 3.2 step 2: no new recovery for losses of a window
	 * already recovered (snd_una has not passed recover). */
	if (!SEQ_GT(c->snd_una, c->recover))
		return false;
	c->ssthresh = half_flight(c);
	c->recover = c->snd_max;
	c->cwnd = c->ssthresh + 3u * c->mss;
	c->in_recovery = true;
	return true;
}

void cc_sack_enter(struct tcp_conn *c)
{
	/* RFC 6675 4.1-4.2: RecoveryPoint = HighData,
	 * cwnd = ssthresh = FlightSize / 2 (RFC 5681 eq. 4). */
	c->ssthresh = half_flight(c);
	c->cwnd = c->ssthresh;
	c->recover = c->snd_max;
	c->in_recovery = true;
	c->bytes_acked = 0;
}

void cc_on_rto(struct tcp_conn *c)
{
	c->ssthresh = half_flight(c);
	c->cwnd = c->mss; /* loss window */
	c->bytes_acked = 0;
	c->dupacks = 0;
	c->in_recovery = false;
	c->recover = c->snd_max; /* RFC 6582 3.2 step 7 */
}
