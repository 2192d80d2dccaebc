/* SACK on the sending side: the scoreboard of what the peer holds above
 * snd_una (RFC 2018) and conservative SACK-based loss recovery (RFC 6675).
 *
 * Why RFC 6675 rather than RACK-TLP (RFC 8985): RACK needs a send time per
 * segment and TLP a probe timer; this stack keeps no per-segment state at
 * all (a segment is cut again from the reply whenever it is sent), and
 * RFC 6675 needs only what fits that design: a few SACKed ranges, HighRxt
 * and RecoveryPoint. Everything else (IsLost, pipe, NextSeg) is derived from
 * them on demand, so there is no per-segment bookkeeping to get wrong.
 *
 * The scoreboard is a small sorted array of disjoint ranges, merged as
 * blocks arrive and trimmed as snd_una passes them; when it is full the
 * highest range is forgotten, which only makes the sender more
 * conservative (fewer bytes look SACKed, so fewer look lost).
 *
 * Holes: the gaps between snd_una, the SACKed ranges and snd_max. Every
 * byte of a hole has the same SACKed data above it, so IsLost (RFC 6675 4)
 * is decided per hole: at least DupThresh ranges above, or more than
 * (DupThresh - 1) * MSS bytes. The hole above the last range (the tail) is
 * never lost. Not implemented: the rescue retransmission (RFC 6675 4, rule
 * 4; Linux does without it too: a lost tail waits for the RTO). */
#include "netstack_internal.h"

void ns_sack_clear(struct tcp_conn *c)
{
	c->nsacked = 0;
	c->high_rxt = c->snd_una;
}

/* Forget what snd_una passed. */
static void trim(struct tcp_conn *c)
{
	unsigned k = 0;
	for (unsigned i = 0; i < c->nsacked; i++) {
		struct ns_range r = c->sacked[i];
		if (SEQ_LEQ(r.end, c->snd_una))
			continue;
		if (SEQ_LT(r.start, c->snd_una))
			r.start = c->snd_una;
		c->sacked[k++] = r;
	}
	c->nsacked = (uint8_t)k;
	if (SEQ_LT(c->high_rxt, c->snd_una))
		c->high_rxt = c->snd_una;
}

/* Merges [s, e) into the scoreboard; returns the bytes it newly covers. */
static uint32_t insert(struct tcp_conn *c, uint32_t s, uint32_t e)
{
	struct ns_range out[NS_MAX_SACKED + 1];
	uint32_t newly = e - s;
	unsigned k = 0;
	bool placed = false;
	for (unsigned i = 0; i < c->nsacked; i++) {
		struct ns_range r = c->sacked[i];
		if (SEQ_LT(r.end, s)) { /* wholly below, not touching */
			out[k++] = r;
			continue;
		}
		if (SEQ_GT(r.start, e)) { /* wholly above */
			if (!placed) {
				out[k++] = (struct ns_range){ s, e };
				placed = true;
			}
			out[k++] = r;
			continue;
		}
		/* Overlapping or adjacent: count the overlap, then merge. */
		uint32_t os = SEQ_GT(r.start, s) ? r.start : s;
		uint32_t oe = SEQ_LT(r.end, e) ? r.end : e;
		if (SEQ_LT(os, oe))
			newly -= oe - os;
		if (SEQ_LT(r.start, s))
			s = r.start;
		if (SEQ_GT(r.end, e))
			e = r.end;
	}
	if (!placed)
		out[k++] = (struct ns_range){ s, e };
	if (k > NS_MAX_SACKED)
		k = NS_MAX_SACKED; /* forget the highest */
	for (unsigned i = 0; i < k; i++)
		c->sacked[i] = out[i];
	c->nsacked = (uint8_t)k;
	return newly;
}

/* Hole i lies below sacked[i] (i == nsacked: the tail, up to snd_max). */
struct hole {
	uint32_t start, end;
	bool lost;     /* IsLost for every byte of it */
	bool below;    /* some SACKed data lies above it */
};

static unsigned holes(const struct tcp_conn *c, struct hole *h)
{
	unsigned n = c->nsacked;
	uint32_t above = 0;
	for (unsigned i = n + 1; i-- > 0;) {
		h[i].start = i == 0 ? c->snd_una : c->sacked[i - 1].end;
		h[i].end = i < n ? c->sacked[i].start : c->snd_max;
		if (i < n)
			above += c->sacked[i].end - c->sacked[i].start;
		h[i].below = i < n;
		h[i].lost = i < n && (n - i >= NS_DUPTHRESH ||
				      above > (NS_DUPTHRESH - 1) * (uint32_t)c->mss);
	}
	return n + 1;
}

/* RFC 6675 SetPipe, in bytes: what is not SACKed and not lost, plus what
 * was retransmitted in this recovery (below HighRxt). */
uint32_t ns_sack_pipe(const struct tcp_conn *c)
{
	struct hole h[NS_MAX_SACKED + 1];
	unsigned nh = holes(c, h);
	uint32_t pipe = 0;
	for (unsigned i = 0; i < nh; i++) {
		if (!SEQ_LT(h[i].start, h[i].end))
			continue;
		if (!h[i].lost)
			pipe += h[i].end - h[i].start;
		if (SEQ_GT(c->high_rxt, h[i].start))
			pipe += (SEQ_LT(c->high_rxt, h[i].end) ? c->high_rxt : h[i].end) -
				h[i].start;
	}
	return pipe;
}

static bool new_data_sendable(const struct tcp_conn *c)
{
	if (c->fin_queued && c->snd_nxt == c->snd_end)
		return true;
	return SEQ_LT(c->snd_nxt, c->snd_end) && c->snd_nxt - c->snd_una < c->snd_wnd;
}

int ns_sack_next(struct netstack *ns, struct tcp_conn *c)
{
	if (!c->in_recovery || !c->sack_ok)
		return 0;
	if (ns_sack_pipe(c) + c->mss > c->cwnd)
		return 0; /* cwnd - pipe < 1 SMSS */
	struct hole h[NS_MAX_SACKED + 1];
	unsigned nh = holes(c, h);
	int pick = -1;
	/* Rule 1: the first lost byte above HighRxt. */
	for (unsigned i = 0; i < nh && pick < 0; i++)
		if (h[i].lost && SEQ_LT(c->high_rxt, h[i].end))
			pick = (int)i;
	/* Rule 2 (new data) is ns_output's loop; rule 3 when it has nothing:
	 * the first unSACKed byte above HighRxt with SACKed data above it. */
	if (pick < 0 && !new_data_sendable(c))
		for (unsigned i = 0; i < nh && pick < 0; i++)
			if (h[i].below && SEQ_LT(c->high_rxt, h[i].end))
				pick = (int)i;
	if (pick < 0)
		return 0;
	uint32_t seq = SEQ_GT(c->high_rxt, h[pick].start) ? c->high_rxt : h[pick].start;
	int n = ns_send_segment(ns, c, seq, h[pick].end - seq);
	if (n <= 0)
		return n;
	c->high_rxt = seq + (uint32_t)n;
	c->rtt_timing = false;
	return 1;
}

void ns_sack_on_ack(struct netstack *ns, struct tcp_conn *c,
		    const struct ns_tcp_opts *t, bool advanced)
{
	if (advanced)
		trim(c);
	uint32_t newly = 0;
	for (unsigned i = 0; i < t->nsack; i++) {
		uint32_t s = t->sack[i].start, e = t->sack[i].end;
		/* Only blocks inside what is outstanding (a D-SACK below
		 * snd_una, or garbage, is ignored: RFC 2883 is not spoken). */
		if (!SEQ_LT(s, e) || SEQ_LT(s, c->snd_una) || SEQ_GT(e, c->snd_max))
			continue;
		ns->stats.sack_blocks_rx++;
		newly += insert(c, s, e);
	}
	ns->stats.sacked_bytes += newly;
	/* RFC 6675 5: a duplicate ACK is one that SACKs new data, whatever
	 * else it does; a cumulative ACK resets the count (cc_on_ack). */
	if (c->in_recovery || !newly)
		return;
	c->dupacks++;
	ns->stats.dup_acks++;
	struct hole h[NS_MAX_SACKED + 1];
	holes(c, h);
	if (c->dupacks < NS_DUPTHRESH && !h[0].lost)
		return;
	/* After an RTO no new recovery until RecoveryPoint is acked
	 * (RFC 6675 5.1). */
	if (SEQ_LT(c->snd_una, c->recover))
		return;
	cc_sack_enter(c);
	c->high_rxt = c->snd_una;
	c->rtx_owed = true; /* (4.3): HighACK + 1 first, ns_output sends it */
	c->rtt_timing = false;
	ns->stats.sack_recoveries++;
	ns->stats.fast_retransmits++;
}
