/* TCP input: RFC 9293 3.10.7 "SEGMENT ARRIVES" for a passive-open server,
 * with RFC 5961's checks on RST and SYN, and an immediate-ACK policy.
 *
 * ACK policy: no delayed ACK. Whatever a segment calls for (its data, its
 * FIN, an out-of-order hole) is ACKed before the input call returns, riding
 * on the response data when the segment produced any (the common case:
 * a request in, its reply out, one frame). Out-of-order data therefore gets
 * the immediate duplicate ACK that RFC 5681 4.2 asks for, with SACK blocks
 * when the peer agreed to SACK.
 *
 * Timestamps (RFC 7323): PAWS drops (and ACKs) a non-RST segment whose
 * TSval is older than TS.Recent; TS.Recent takes the TSval of acceptable
 * segments that start at or before what we last acknowledged (5.3 R3,
 * 4.3). A segment without timestamps on a connection that agreed to them
 * is accepted, as Linux does (RFC 7323 3.2 says SHOULD drop): a middlebox
 * that strips options then costs PAWS, not the connection. */
#include "checksum.h"
#include "netstack_internal.h"
#include "packet.h"

/* TS.Recent older than this is no longer trusted (RFC 7323 5.5). */
#define PAWS_IDLE_NS (24ull * 24 * 3600 * 1000000000ull)

static void new_connection(struct netstack *ns, const struct ns_peer *peer,
			   uint32_t seq, uint16_t win, const struct ns_tcp_opts *to)
{
	/* Past the cap: refuse with RST, as a full kernel backlog with
	 * tcp_abort_on_overflow would; the client fails at once instead of
	 * retrying SYNs for seconds, and the refusal is counted. */
	struct tcp_conn *c = NULL;
	if (ns->nconns_live < ns->cfg.max_conns)
		c = ns_conn_alloc(ns, peer);
	if (!c) {
		ns->stats.conns_rejected++;
		ns_send_rst_to(ns, peer, 0, seq + 1, TH_RST | TH_ACK);
		return;
	}
	uint16_t mss = to->mss ? to->mss : 536; /* RFC 9293 3.7.1 default */
	if (mss < 64)
		mss = 64;
	c->mss = mss < ns->our_mss ? mss : ns->our_mss;
	c->peer_ws_ok = to->wscale >= 0;
	c->snd_wscale = c->peer_ws_ok ? (uint8_t)to->wscale : 0;
	c->sack_ok = to->sack_ok;
	c->ts_ok = to->ts;
	if (c->ts_ok) {
		c->mss -= NS_TS_LEN; /* every segment carries them */
		c->ts_recent = to->tsval;
		c->ts_recent_ns = ns->now_ns;
		c->ts_offset = ns_ts_offset(ns, peer);
	}
	/* The application's state, once the MSS is known (an application
	 * that precomputes checksums cuts by it). */
	c->app_conn = ns->cfg.app->open(ns->cfg.app_ctx, ns_handle(c), (uint32_t)(c - ns->conns));
	if (!c->app_conn) { /* refused */
		ns_conn_free(ns, c);
		ns->stats.conns_opened++; /* ns_conn_free counted it closed */
		ns->stats.conns_rejected++;
		ns_send_rst_to(ns, peer, 0, seq + 1, TH_RST | TH_ACK);
		return;
	}
	c->rcv_wscale = c->peer_ws_ok ? NS_RCV_WSCALE : 0;
	c->irs = seq;
	c->rcv_nxt = seq + 1;
	c->rcv_adv = c->rcv_nxt;
	c->iss = ns_isn(ns, peer);
	c->snd_una = c->iss;
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->snd_end = c->tx_seq = c->iss + 1;
	c->snd_wnd = c->max_sndwnd = win; /* never scaled in a SYN */
	c->snd_wl1 = seq;
	c->snd_wl2 = c->iss;
	c->high_rxt = c->snd_una;
	c->last_ack_sent = c->rcv_nxt;
	c->rto_ms = NS_RTO_INIT_MS;
	cc_init(c);
	ns->stats.conns_opened++;
	/* Any data on the SYN is not ACKed (no TCP Fast Open): the peer
	 * sends it again after the handshake. */
	c->rtt_timing = true;
	c->rtt_seq = c->iss + 1;
	c->rtt_start_ns = ns->now_ns;
	ns_idle_touch(ns, c);
	ns_timer_arm(ns, c, TIMER_RTX, ns->now_ns + c->rto_ms * NS_MS);
	if (ns_send_synack(ns, c) < 0) {
		c->ack_pending = true;
		ns_pending_add(ns, c);
	}
}

/* A segment for no connection (RFC 9293 3.10.7.1 and 3.10.7.2). */
static void no_connection(struct netstack *ns, const struct ns_peer *peer,
			  uint32_t seq, uint32_t ack, uint8_t flags,
			  uint16_t win, const struct ns_tcp_opts *to, size_t plen)
{
	if (flags & TH_RST)
		return; /* never answer a RST */
	if ((flags & (TH_SYN | TH_ACK)) == TH_SYN) {
		new_connection(ns, peer, seq, win, to);
		return;
	}
	/* Not ours: a flow of another queue, or one we forgot. Steering keeps
	 * flows on their queue (netstack.h), so tearing it down is right. */
	ns->stats.unknown_conn_rst++;
	if (flags & TH_ACK)
		ns_send_rst_to(ns, peer, ack, 0, TH_RST);
	else
		ns_send_rst_to(ns, peer, 0,
			       seq + (uint32_t)plen + !!(flags & TH_SYN) + !!(flags & TH_FIN),
			       TH_RST | TH_ACK);
}

static void enter_time_wait(struct netstack *ns, struct tcp_conn *c)
{
	ns_conn_set_state(ns, c, TCP_TIME_WAIT);
	c->idle_at = UINT64_MAX;
	c->rx_len = 0;
	c->nooo = 0;
	c->tx_count = c->tx_msgs = 0; /* everything was acked: nothing left to send */
	ns_timer_arm(ns, c, TIMER_TIME_WAIT,
		     ns->now_ns + ns->cfg.time_wait_ms * NS_MS);
}

static bool acceptable(const struct tcp_conn *c, uint32_t seq, uint32_t seglen,
		       uint32_t wnd)
{
	if (seglen == 0) {
		if (wnd == 0)
			return seq == c->rcv_nxt;
		return SEQ_GEQ(seq, c->rcv_nxt) && SEQ_LT(seq, c->rcv_nxt + wnd);
	}
	if (wnd == 0)
		return false;
	uint32_t last = seq + seglen - 1;
	return (SEQ_GEQ(seq, c->rcv_nxt) && SEQ_LT(seq, c->rcv_nxt + wnd)) ||
	       (SEQ_GEQ(last, c->rcv_nxt) && SEQ_LT(last, c->rcv_nxt + wnd));
}

static void ooo_remove(struct tcp_conn *c, unsigned i)
{
	memmove(&c->ooo[i], &c->ooo[i + 1], (c->nooo - i - 1) * sizeof(c->ooo[0]));
	c->nooo--;
}

/* Out-of-order data is written where it belongs in the receive buffer and
 * remembered as a range; up to NS_MAX_OOO disjoint ranges, the one this
 * segment joined first (RFC 2018 4: the first SACK block reports the
 * segment that triggered the ACK, then the most recent others). */
static void store_out_of_order(struct netstack *ns, struct tcp_conn *c,
			       uint32_t seq, const uint8_t *p, uint32_t len)
{
	uint32_t start = seq, end = seq + len;
	unsigned i = 0;
	/* Merge with every range it touches. */
	while (i < c->nooo) {
		struct ns_range *r = &c->ooo[i];
		if (SEQ_LEQ(r->start, end) && SEQ_GEQ(r->end, start)) {
			if (SEQ_LT(r->start, start))
				start = r->start;
			if (SEQ_GT(r->end, end))
				end = r->end;
			ooo_remove(c, i);
			continue;
		}
		i++;
	}
	/* Still full means nothing merged (a merge frees its slot), so no
	 * range was taken out and dropping the piece loses nothing else: the
	 * peer retransmits it. */
	if (c->nooo == NS_MAX_OOO) {
		ns->stats.ooo_dropped++;
		return;
	}
	memcpy(c->rxbuf + c->rx_len + (seq - c->rcv_nxt), p, len);
	memmove(&c->ooo[1], &c->ooo[0], c->nooo * sizeof(c->ooo[0]));
	c->ooo[0].start = start;
	c->ooo[0].end = end;
	c->nooo++;
	ns->stats.out_of_order++;
}

/* rcv_nxt moved: pull in the ranges it reached (their bytes already sit in
 * place right after the in-order data). */
static void absorb_out_of_order(struct tcp_conn *c)
{
	bool again = true;
	while (again) {
		again = false;
		for (unsigned i = 0; i < c->nooo; i++) {
			struct ns_range *r = &c->ooo[i];
			if (SEQ_GT(r->start, c->rcv_nxt))
				continue;
			if (SEQ_GT(r->end, c->rcv_nxt)) {
				c->rx_len += r->end - c->rcv_nxt;
				c->rcv_nxt = r->end;
			}
			ooo_remove(c, i);
			again = true;
			break;
		}
	}
}

static bool our_fin_acked(const struct tcp_conn *c)
{
	return c->fin_queued && SEQ_GEQ(c->snd_una, c->snd_end + 1);
}

/* RTT from an ACK that acknowledges new data. With timestamps every such
 * ACK gives a sample from its TSecr (RFC 7323 4: unambiguous even for a
 * retransmission, so Karn's rule is not needed; 1 ms resolution, a 0 taken
 * as below a tick). Without them, one segment per RTT is timed (Karn). */
static void rtt_on_ack(struct netstack *ns, struct tcp_conn *c, uint32_t ack,
		       const struct ns_tcp_opts *to)
{
	if (c->ts_ok) {
		if (!to->ts || to->tsecr == 0)
			return;
		int32_t d = (int32_t)(ns_ts_now(ns, c) - to->tsecr);
		if (d < 0)
			return; /* echoes a time we never sent */
		ns_rtt_sample(c, (uint64_t)d * NS_MS);
		ns->stats.ts_rtt_samples++;
		return;
	}
	if (c->rtt_timing && SEQ_GEQ(ack, c->rtt_seq)) {
		ns_rtt_sample(c, ns->now_ns - c->rtt_start_ns);
		c->rtt_timing = false;
	}
}

static void process_ack(struct netstack *ns, struct tcp_conn *c, uint32_t seq,
			uint32_t ack, uint8_t flags, uint16_t win, size_t plen,
			const struct ns_tcp_opts *to, bool *need_app)
{
	uint32_t new_wnd = (uint32_t)win << c->snd_wscale;
	bool advanced = SEQ_GT(ack, c->snd_una);

	if (advanced) {
		uint32_t acked = ack - c->snd_una;
		bool syn_acked = c->snd_una == c->iss;
		rtt_on_ack(ns, c, ack, to);
		c->snd_una = ack;
		if (SEQ_LT(c->snd_nxt, c->snd_una))
			c->snd_nxt = c->snd_una;
		c->retries = 0;
		ns_idle_touch(ns, c);
		bool rtx = false;
		if (syn_acked)
			acked--;
		if (acked)
			rtx = cc_on_ack(c, ack, acked);
		if (c->tx_count && ns_tx_release(ns, c))
			*need_app = true; /* room in the send stream */
		if (c->snd_una == c->snd_max) {
			if (c->timer == TIMER_RTX)
				ns_timer_stop(ns, c);
		} else {
			ns_timer_arm(ns, c, TIMER_RTX, ns->now_ns + c->rto_ms * NS_MS);
		}
		if (rtx) {
			/* NewReno partial ACK: the next hole, first thing
			 * ns_output sends (and retries if the ring is full). */
			ns->stats.fast_retransmits++;
			c->rtt_timing = false;
			c->rtx_owed = true;
		}
	}
	if (c->sack_ok) {
		if (SEQ_GEQ(ack, c->snd_una)) /* an old ACK tells nothing new */
			ns_sack_on_ack(ns, c, to, advanced);
	} else if (!advanced && ack == c->snd_una && plen == 0 &&
		   !(flags & (TH_SYN | TH_FIN)) && new_wnd == c->snd_wnd &&
		   c->snd_max != c->snd_una && c->snd_wnd != 0) {
		ns->stats.dup_acks++;
		if (cc_on_dupack(c)) {
			ns->stats.fast_retransmits++;
			c->rtt_timing = false;
			c->rtx_owed = true;
			ns_timer_arm(ns, c, TIMER_RTX, ns->now_ns + c->rto_ms * NS_MS);
		}
	}

	/* RFC 9293 3.10.7.4: only an acceptable ACK (SND.UNA =< SEG.ACK =<
	 * SND.NXT; past snd_max was dropped before) updates the window, and
	 * only from the newest segment (WL1, WL2). */
	if (SEQ_GEQ(ack, c->snd_una) &&
	    (SEQ_LT(c->snd_wl1, seq) ||
	     (c->snd_wl1 == seq && SEQ_LEQ(c->snd_wl2, ack)))) {
		c->snd_wnd = new_wnd;
		c->snd_wl1 = seq;
		c->snd_wl2 = ack;
		if (new_wnd > c->max_sndwnd)
			c->max_sndwnd = new_wnd;
		if (new_wnd) {
			c->persist_shift = 0;
			if (c->timer == TIMER_PERSIST) {
				ns_timer_stop(ns, c);
				/* A probe byte still unacked is data in flight and
				 * needs the retransmission timer (RFC 6298 5.1): if
				 * the probe was lost and the window opened by less
				 * than sender SWS avoidance sends into, nothing else
				 * would ever move the connection. */
				if (c->snd_una != c->snd_max)
					ns_timer_arm(ns, c, TIMER_RTX,
						     ns->now_ns + c->rto_ms * NS_MS);
			}
		}
	}
}

/* RFC 7323 5.3 R1: an older TSval than TS.Recent is a segment of a past
 * life of the sequence space (or a duplicate): not acceptable. */
static bool paws_reject(const struct netstack *ns, const struct tcp_conn *c,
			const struct ns_tcp_opts *to)
{
	return c->ts_ok && to->ts && SEQ_LT(to->tsval, c->ts_recent) &&
	       ns->now_ns - c->ts_recent_ns < PAWS_IDLE_NS;
}

static void segment_arrives(struct netstack *ns, struct tcp_conn *c,
			    uint32_t seq, uint32_t ack, uint8_t flags,
			    uint16_t win, const struct ns_tcp_opts *to,
			    const uint8_t *payload, size_t plen)
{
	uint32_t seglen = (uint32_t)plen + !!(flags & TH_SYN) + !!(flags & TH_FIN);
	bool need_app = false;

	/* The peer did not get our SYN-ACK and sent its SYN again. */
	if (c->state == TCP_SYN_RECEIVED && (flags & (TH_SYN | TH_RST | TH_ACK)) == TH_SYN &&
	    seq == c->irs) {
		ns->stats.syn_retransmits_rx++;
		c->ack_pending = true;
		ns_output(ns, c);
		return;
	}

	/* 0. PAWS, before the sequence number; never for a RST. */
	if (!(flags & TH_RST) && paws_reject(ns, c, to)) {
		ns->stats.paws_dropped++;
		c->ack_pending = true;
		ns_output(ns, c);
		return;
	}

	/* 1. sequence number */
	uint32_t wnd = ns_rcv_space(c);
	if (!acceptable(c, seq, seglen, wnd)) {
		if (flags & TH_RST)
			return;
		/* RFC 5961 4.2: a SYN gets a challenge ACK whatever its
		 * sequence number; counted as such. */
		if (flags & TH_SYN)
			ns->stats.challenge_acks++;
		else
			ns->stats.rx_unacceptable++;
		if (c->state == TCP_TIME_WAIT && (flags & TH_FIN))
			ns_timer_arm(ns, c, TIMER_TIME_WAIT,
				     ns->now_ns + ns->cfg.time_wait_ms * NS_MS);
		c->ack_pending = true;
		ns_output(ns, c);
		return;
	}

	/* RFC 7323 5.3 R3: remember the TSval of an acceptable segment that
	 * starts at or before our last ACK (not one past a hole). */
	if (c->ts_ok && to->ts && SEQ_LEQ(seq, c->last_ack_sent) &&
	    (SEQ_GEQ(to->tsval, c->ts_recent) ||
	     ns->now_ns - c->ts_recent_ns >= PAWS_IDLE_NS)) {
		c->ts_recent = to->tsval;
		c->ts_recent_ns = ns->now_ns;
	}

	/* 2. RST: only the exact next sequence number resets; any other in
	 * the window earns a challenge ACK (RFC 5961 3.2), in SYN_RECEIVED
	 * too (RFC 9293 3.10.7.4: the exact match returns a passive open to
	 * LISTEN, here: frees the slot). */
	if (flags & TH_RST) {
		if (seq == c->rcv_nxt) {
			ns->stats.conns_reset_rx++;
			ns_conn_free(ns, c);
		} else {
			ns->stats.challenge_acks++;
			ns_send_ctl(ns, c, TH_ACK);
		}
		return;
	}

	/* 3. SYN on a synchronized connection: challenge ACK (RFC 5961 4.2). */
	if (flags & TH_SYN) {
		ns->stats.challenge_acks++;
		ns_send_ctl(ns, c, TH_ACK);
		return;
	}

	/* 4. ACK */
	if (!(flags & TH_ACK))
		return;
	if (c->state == TCP_SYN_RECEIVED) {
		if (!SEQ_GT(ack, c->snd_una) || SEQ_GT(ack, c->snd_max)) {
			ns_send_rst_to(ns, &c->peer, ack, 0, TH_RST);
			return;
		}
		ns_conn_set_state(ns, c, TCP_ESTABLISHED);
		ns->stats.conns_established++;
		ns_timer_stop(ns, c);
	}
	if (SEQ_GT(ack, c->snd_max)) {
		/* Acks what we never sent (RFC 9293: ACK, drop). */
		c->ack_pending = true;
		ns_output(ns, c);
		return;
	}
	process_ack(ns, c, seq, ack, flags, win, plen, to, &need_app);
	if (our_fin_acked(c)) {
		switch (c->state) {
		case TCP_FIN_WAIT_1:
			ns_conn_set_state(ns, c, TCP_FIN_WAIT_2);
			ns_timer_stop(ns, c);
			break;
		case TCP_CLOSING:
			enter_time_wait(ns, c);
			break;
		case TCP_LAST_ACK:
			ns_conn_free(ns, c);
			return;
		default:
			break;
		}
	}

	/* 5. data */
	bool fin = flags & TH_FIN;
	if (plen && (c->state == TCP_ESTABLISHED || c->state == TCP_FIN_WAIT_1 ||
		     c->state == TCP_FIN_WAIT_2)) {
		uint32_t len = (uint32_t)plen;
		if (SEQ_LT(seq, c->rcv_nxt)) { /* already have the front */
			uint32_t skip = c->rcv_nxt - seq;
			payload += skip;
			len -= skip;
			seq = c->rcv_nxt;
		}
		if (SEQ_GT(seq + len, c->rcv_nxt + wnd)) { /* past the window */
			len = c->rcv_nxt + wnd - seq;
			fin = false;
		}
		c->ack_pending = true;
		if (seq == c->rcv_nxt) {
			if (!c->rx_closed)
				memcpy(c->rxbuf + c->rx_len, payload, len);
			else
				c->nooo = 0;
			c->rx_len += c->rx_closed ? 0 : len;
			c->rcv_nxt += len;
			ns->stats.payload_bytes_in += len;
			absorb_out_of_order(c);
			/* Not activity for the idle timeout until the
			 * application answers (netstack_send): a client
			 * trickling a request is closed, as in every engine. */
			need_app = true;
		} else {
			if (!c->rx_closed)
				store_out_of_order(ns, c, seq, payload, len);
			fin = false; /* the peer will send it again */
		}
		seq += len;
	}

	/* 6. FIN, once everything before it has arrived */
	if (fin && seq == c->rcv_nxt) {
		c->rcv_nxt++;
		c->fin_received = true;
		c->ack_pending = true;
		need_app = true;
		switch (c->state) {
		case TCP_ESTABLISHED:
			ns_conn_set_state(ns, c, TCP_CLOSE_WAIT);
			break;
		case TCP_FIN_WAIT_1:
			if (our_fin_acked(c))
				enter_time_wait(ns, c);
			else
				ns_conn_set_state(ns, c, TCP_CLOSING);
			break;
		case TCP_FIN_WAIT_2:
			enter_time_wait(ns, c);
			break;
		default:
			break;
		}
	}

	if (need_app)
		ns_app_deliver(ns, c);
	ns_output(ns, c);
}

void ns_tcp_input(struct netstack *ns, const struct ns_peer *peer,
		  const uint8_t *tcp, size_t tcp_hdr_len,
		  const uint8_t *payload, size_t plen)
{
	uint32_t seq = get_be32(tcp + 4);
	uint32_t ack = get_be32(tcp + 8);
	uint8_t flags = tcp[13];
	uint16_t win = get_be16(tcp + 14);
	struct ns_tcp_opts to;
	ns_opts_parse(tcp + TCP_HDR_LEN, tcp_hdr_len - TCP_HDR_LEN, &to);

	struct tcp_conn *c = ns_conn_lookup(ns, peer->ip, peer->port);
	if (c && c->state == TCP_TIME_WAIT &&
	    (flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN &&
	    SEQ_GT(seq, c->rcv_nxt)) {
		/* A new incarnation of the 4-tuple whose ISN is past the old
		 * one's end: accept it, as RFC 9293 3.10.7.4 / RFC 6191 and
		 * Linux do (SO_REUSEADDR semantics for a busy client port). */
		ns_conn_free(ns, c);
		ns->stats.time_wait_reused++;
		c = NULL;
	}
	if (!c) {
		no_connection(ns, peer, seq, ack, flags, win, &to, plen);
		return;
	}
	/* The peer's MAC can change (a failover): answer where it is now. */
	memcpy(c->peer.mac, peer->mac, 6);
	segment_arrives(ns, c, seq, ack, flags, win, &to, payload, plen);
}
