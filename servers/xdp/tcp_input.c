/* TCP input: RFC 9293 3.10.7 "SEGMENT ARRIVES" for a passive-open server,
 * with RFC 5961's checks on RST and SYN, and an immediate-ACK policy.
 *
 * ACK policy: no delayed ACK. Whatever a segment calls for (its data, its
 * FIN, an out-of-order hole) is ACKed before the input call returns, riding
 * on the response data when the segment produced any (the common case:
 * a request in, its reply out, one frame). Out-of-order data therefore gets
 * the immediate duplicate ACK that RFC 5681 4.2 asks for. */
#include "checksum.h"
#include "netstack_internal.h"
#include "packet.h"

struct syn_options {
	uint16_t mss;
	int8_t wscale; /* -1: not offered */
};

/* MSS and window scale; everything else (SACK-permitted, timestamps) is
 * skipped, which declines it. A malformed list ends the parse. */
static void parse_syn_options(const uint8_t *o, size_t len, struct syn_options *so)
{
	so->mss = 536; /* RFC 9293 3.7.1 default */
	so->wscale = -1;
	size_t i = 0;
	while (i < len) {
		uint8_t kind = o[i];
		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len)
			break;
		uint8_t olen = o[i + 1];
		if (kind == 2 && olen == 4)
			so->mss = get_be16(o + i + 2);
		else if (kind == 3 && olen == 3)
			so->wscale = o[i + 2] > 14 ? 14 : (int8_t)o[i + 2]; /* RFC 7323 2.3 */
		i += olen;
	}
}

static void new_connection(struct netstack *ns, const struct ns_peer *peer,
			   uint32_t seq, uint16_t win, const uint8_t *opts,
			   size_t optlen)
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
	struct syn_options so;
	parse_syn_options(opts, optlen, &so);
	uint16_t mss = so.mss < 64 ? 64 : so.mss;
	c->mss = mss < ns->our_mss ? mss : ns->our_mss;
	c->peer_ws_ok = so.wscale >= 0;
	c->snd_wscale = c->peer_ws_ok ? (uint8_t)so.wscale : 0;
	c->rcv_wscale = c->peer_ws_ok ? NS_RCV_WSCALE : 0;
	c->irs = seq;
	c->rcv_nxt = seq + 1;
	c->rcv_adv = c->rcv_nxt;
	c->iss = ns_isn(ns, peer);
	c->snd_una = c->iss;
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->snd_end = c->reply_seq = c->iss + 1;
	c->snd_wnd = c->max_sndwnd = win; /* never scaled in a SYN */
	c->snd_wl1 = seq;
	c->snd_wl2 = c->iss;
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
			  uint16_t win, const uint8_t *opts, size_t optlen,
			  size_t plen)
{
	if (flags & TH_RST)
		return; /* never answer a RST */
	if ((flags & (TH_SYN | TH_ACK)) == TH_SYN) {
		new_connection(ns, peer, seq, win, opts, optlen);
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
	c->rcount = 0; /* everything was acked: nothing left to send */
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

/* Out-of-order data is written where it belongs in the receive buffer and
 * remembered as a range; up to NS_MAX_OOO disjoint ranges. */
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
			c->ooo[i] = c->ooo[--c->nooo];
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
	c->ooo[c->nooo].start = start;
	c->ooo[c->nooo].end = end;
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
			c->ooo[i] = c->ooo[--c->nooo];
			again = true;
			break;
		}
	}
}

static bool our_fin_acked(const struct tcp_conn *c)
{
	return c->fin_queued && SEQ_GEQ(c->snd_una, c->snd_end + 1);
}

/* Fast retransmit and NewReno's partial ACK resend the first unacked
 * segment: what was sent there before, at most one MSS. Never more: past
 * snd_max lie bytes the peer's window or cwnd held back. */
static void retransmit_head(struct netstack *ns, struct tcp_conn *c)
{
	uint32_t sent = c->snd_max - c->snd_una;
	ns->stats.fast_retransmits++;
	c->rtt_timing = false;
	int n = ns_send_segment(ns, c, c->snd_una, sent < c->mss ? sent : c->mss);
	if (n < 0) {
		ns_pending_add(ns, c);
	} else if (SEQ_GT(c->snd_una + (uint32_t)n, c->snd_max)) {
		/* Our FIN rode along for the first time (ns_send_segment adds it
		 * behind the last byte; the tx ring had refused it alone). */
		c->snd_max = c->snd_nxt = c->snd_una + (uint32_t)n;
		ns_fin_sent(ns, c);
	}
}

static void process_ack(struct netstack *ns, struct tcp_conn *c, uint32_t seq,
			uint32_t ack, uint8_t flags, uint16_t win, size_t plen,
			bool *need_http)
{
	uint32_t new_wnd = (uint32_t)win << c->snd_wscale;

	if (SEQ_GT(ack, c->snd_una)) {
		uint32_t acked = ack - c->snd_una;
		bool syn_acked = c->snd_una == c->iss;
		if (c->rtt_timing && SEQ_GEQ(ack, c->rtt_seq)) {
			ns_rtt_sample(c, ns->now_ns - c->rtt_start_ns);
			c->rtt_timing = false;
		}
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
		if (c->rcount) {
			ns_replies_release(c);
			*need_http = true;
		}
		if (c->snd_una == c->snd_max) {
			if (c->timer == TIMER_RTX)
				ns_timer_stop(ns, c);
		} else {
			ns_timer_arm(ns, c, TIMER_RTX, ns->now_ns + c->rto_ms * NS_MS);
		}
		if (rtx) /* NewReno partial ACK: the next hole, at once. */
			retransmit_head(ns, c);
	} else if (ack == c->snd_una && plen == 0 &&
		   !(flags & (TH_SYN | TH_FIN)) && new_wnd == c->snd_wnd &&
		   c->snd_max != c->snd_una && c->snd_wnd != 0) {
		ns->stats.dup_acks++;
		if (cc_on_dupack(c)) {
			retransmit_head(ns, c);
			ns_timer_arm(ns, c, TIMER_RTX, ns->now_ns + c->rto_ms * NS_MS);
		}
	}

	/* RFC 9293 3.10.7.4: take the window from the newest segment. */
	if (SEQ_LT(c->snd_wl1, seq) ||
	    (c->snd_wl1 == seq && SEQ_LEQ(c->snd_wl2, ack))) {
		c->snd_wnd = new_wnd;
		c->snd_wl1 = seq;
		c->snd_wl2 = ack;
		if (new_wnd > c->max_sndwnd)
			c->max_sndwnd = new_wnd;
		if (new_wnd && c->timer == TIMER_PERSIST) {
			ns_timer_stop(ns, c);
			/* A probe byte still unacked is data in flight and
			 * needs the retransmission timer (RFC 6298 5.1): if the
			 * probe was lost and the window opened by less than
			 * sender SWS avoidance sends into, nothing else would
			 * ever move the connection. */
			if (c->snd_una != c->snd_max)
				ns_timer_arm(ns, c, TIMER_RTX,
					     ns->now_ns + c->rto_ms * NS_MS);
		}
	}
}

static void segment_arrives(struct netstack *ns, struct tcp_conn *c,
			    uint32_t seq, uint32_t ack, uint8_t flags,
			    uint16_t win, const uint8_t *payload, size_t plen)
{
	uint32_t seglen = (uint32_t)plen + !!(flags & TH_SYN) + !!(flags & TH_FIN);
	bool need_http = false;

	/* The peer did not get our SYN-ACK and sent its SYN again. */
	if (c->state == TCP_SYN_RECEIVED && (flags & (TH_SYN | TH_RST | TH_ACK)) == TH_SYN &&
	    seq == c->irs) {
		ns->stats.syn_retransmits_rx++;
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

	/* 2. RST: only the exact next sequence number resets; any other in
	 * the window earns a challenge ACK (RFC 5961 3.2). */
	if (flags & TH_RST) {
		if (seq == c->rcv_nxt || c->state == TCP_SYN_RECEIVED) {
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
	process_ack(ns, c, seq, ack, flags, win, plen, &need_http);
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
			ns_idle_touch(ns, c);
			need_http = true;
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
		need_http = true;
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

	if (need_http)
		ns_http_run(ns, c);
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
	const uint8_t *opts = tcp + TCP_HDR_LEN;
	size_t optlen = tcp_hdr_len - TCP_HDR_LEN;

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
		no_connection(ns, peer, seq, ack, flags, win, opts, optlen, plen);
		return;
	}
	/* The peer's MAC can change (a failover): answer where it is now. */
	memcpy(c->peer.mac, peer->mac, 6);
	segment_arrives(ns, c, seq, ack, flags, win, payload, plen);
}
