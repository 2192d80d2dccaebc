/* TCP output: building segments and deciding what to send.
 *
 * The send stream's bytes are sent from where the application keeps them
 * (tcp_app.c): the frame is handed to the engine as [our headers][range
 * pieces] and only the engine's copy into UMEM touches them. A segment
 * never spans the end of a message, so every message is cut at the same
 * offsets (multiples of the MSS from its start) and a piece that is one of
 * the pieces the application summed in advance takes that sum (an HTTP
 * reply: head, slot, then body chunks, xdp_http.c); only pieces cut
 * elsewhere (a window-limited segment, a peer with a smaller MSS) are
 * summed byte by byte. The cut size is tcp_conn.mss, the MSS less the
 * timestamps every segment then carries. In checksum offload mode
 * (netstack_config.csum_offload) nothing is summed at all: the device
 * completes the checksum (tcp_check_field).
 *
 * Output order: a retransmission owed (rtx_owed: a fast retransmit the tx
 * ring refused is served from here on the retry), then in SACK recovery the
 * holes (tcp_sack.c), then new data as the windows allow. */
#include <arpa/inet.h>

#include "checksum.h"
#include "netstack_internal.h"
#include "packet.h"

static uint16_t rcv_window(struct tcp_conn *c)
{
	uint32_t space = ns_rcv_space(c);
	uint32_t w = space >> c->rcv_wscale;
	if (w > 0xffff)
		w = 0xffff;
	/* Never move the right edge back (RFC 9293 3.8.6.2.2). */
	uint32_t edge = c->rcv_nxt + (w << c->rcv_wscale);
	if (SEQ_GT(edge, c->rcv_adv))
		c->rcv_adv = edge;
	return (uint16_t)w;
}

/* The TCP checksum field: the full checksum over the pseudo-header sum,
 * the header and the payload's sum; or, in offload mode, what Linux leaves
 * for CHECKSUM_PARTIAL (__tcp_v4_send_check: ~tcp_v4_check(len, saddr,
 * daddr, 0)), the folded pseudo-header sum, not complemented, which the
 * device completes over header and payload. */
static uint16_t tcp_check_field(const struct netstack *ns, const uint8_t *t, size_t thl,
				uint32_t pseudo_len_sum, uint32_t payload_sum)
{
	if (ns->cfg.csum_offload)
		return csum_fold16(pseudo_len_sum);
	uint32_t sum = csum_partial(t, thl, pseudo_len_sum);
	return csum_fold(csum_add(sum, payload_sum)); /* thl is even: no swap */
}

/* Builds Ethernet + IP + TCP headers into ns->hdr and hands the frame to
 * the engine. `payload_sum` is the partial sum of the payload pieces
 * (unused in offload mode). A frame of a connection (c) carries its tag and
 * counts in its frames in flight; a RST to no connection carries none. */
static int xmit(struct netstack *ns, struct tcp_conn *c, const struct ns_peer *peer,
		uint32_t pseudo_sum, uint32_t seq, uint32_t ack, uint8_t flags,
		uint16_t win, const uint8_t *opts, size_t optlen,
		struct iovec *iov, int iovcnt, size_t payload_len,
		uint32_t payload_sum)
{
	size_t thl = TCP_HDR_LEN + optlen;
	size_t tcp_len = thl + payload_len;
	uint8_t *h = ns->hdr;
	size_t off = ns_build_eth_ipv4(h, ns->cfg.mac, peer->mac, ns->cfg.ip,
				       peer->ip, ns->ip_id++,
				       (uint16_t)(IPV4_HDR_LEN + tcp_len));
	uint8_t *t = h + off;
	put_be16(t, ns->cfg.port);
	put_be16(t + 2, peer->port);
	put_be32(t + 4, seq);
	put_be32(t + 8, ack);
	t[12] = (uint8_t)((thl / 4) << 4);
	t[13] = flags;
	put_be16(t + 14, win);
	t[16] = t[17] = 0;
	t[18] = t[19] = 0;
	if (optlen)
		memcpy(t + TCP_HDR_LEN, opts, optlen);
	uint32_t sum = csum_add(pseudo_sum, htons((uint16_t)tcp_len));
	uint16_t check = tcp_check_field(ns, t, thl, sum, payload_sum);
	memcpy(t + 16, &check, 2);

	iov[0].iov_base = h;
	iov[0].iov_len = off + thl;
	struct netstack_frame f = {
		.iov = iov,
		.iovcnt = iovcnt,
		.len = off + tcp_len,
		.payload_len = payload_len,
		.tag = c ? ns_conn_tag(ns, c) : 0,
		.csum_start = ns->cfg.csum_offload ? (uint16_t)off : 0,
		.csum_offset = ns->cfg.csum_offload ? 16 : 0,
	};
	if (ns->cfg.tx(ns->cfg.tx_ctx, &f) < 0) {
		ns->stats.tx_full++;
		return -1;
	}
	if (c)
		c->tx_frames++;
	ns->stats.frames_out++;
	ns->stats.csum_offloaded += ns->cfg.csum_offload;
	return 0;
}

int ns_send_synack(struct netstack *ns, struct tcp_conn *c)
{
	uint8_t opts[40];
	size_t n = ns_opts_synack(ns, c, opts);
	struct iovec iov[1];
	uint32_t space = ns_rcv_space(c);
	uint16_t win = space > 0xffff ? 0xffff : (uint16_t)space;
	c->rcv_adv = c->rcv_nxt + win;
	int r = xmit(ns, c, &c->peer, c->pseudo_sum, c->iss, c->rcv_nxt,
		     TH_SYN | TH_ACK, win, opts, n, iov, 1, 0, 0);
	if (r == 0)
		c->last_ack_sent = c->rcv_nxt;
	return r;
}

/* A segment without data: SACK blocks ride here (never on a RST). */
int ns_send_ctl(struct netstack *ns, struct tcp_conn *c, uint8_t flags)
{
	uint8_t opts[40];
	size_t n = ns_opts_segment(ns, c, opts, !(flags & TH_RST));
	struct iovec iov[1];
	int r = xmit(ns, c, &c->peer, c->pseudo_sum, c->snd_nxt, c->rcv_nxt,
		     flags, rcv_window(c), opts, n, iov, 1, 0, 0);
	if (r == 0 && (flags & TH_ACK)) {
		c->ack_pending = false;
		c->last_ack_sent = c->rcv_nxt;
	}
	return r;
}

void ns_send_rst_to(struct netstack *ns, const struct ns_peer *peer,
		    uint32_t seq, uint32_t ack, uint8_t flags)
{
	struct iovec iov[1];
	xmit(ns, NULL, peer, ns_pseudo_sum(ns->cfg.ip, peer->ip), seq, ack,
	     flags | TH_RST, 0, NULL, 0, iov, 1, 0, 0);
}

void ns_abort(struct netstack *ns, struct tcp_conn *c)
{
	if (c->state != TCP_TIME_WAIT)
		ns_send_ctl(ns, c, TH_RST | TH_ACK);
	ns->stats.conns_reset_tx++;
	ns_conn_free(ns, c);
}

/* Sum of r->data[off, off + n): its precomputed sum when the piece is
 * exactly one of the range's, else byte by byte. */
static uint32_t piece_sum(const struct ns_tx_range *r, uint32_t off, uint32_t n, bool *live)
{
	if (r->rg.sums) {
		uint32_t step = r->rg.sum_step;
		if (off == 0) { /* the usual case: no division */
			if (n == (r->rg.len < step ? r->rg.len : step))
				return r->rg.sums[0];
		} else if (step && off % step == 0 &&
			   n == (r->rg.len - off < step ? r->rg.len - off : step)) {
			return r->rg.sums[off / step];
		}
	}
	*live = true;
	return csum_partial((const uint8_t *)r->rg.data + off, n, 0);
}

/* ns_send_segment, with seq's range (ring index k, offset off) already
 * found when seq is below snd_end. */
static int send_segment_at(struct netstack *ns, struct tcp_conn *c, uint32_t seq,
			   uint32_t maxlen, unsigned k, uint32_t off)
{
	struct iovec iov[NETSTACK_MAX_IOV];
	int iovcnt = 1;
	uint32_t len = 0, sum = 0;
	uint8_t flags = TH_ACK;
	bool live = false;
	bool sw = !ns->cfg.csum_offload; /* offload: no payload byte is summed */

	if (SEQ_LT(seq, c->snd_end)) {
		const struct ns_tx_range *r = &c->tx[k];
		/* Never past the next multiple of the MSS from the message's
		 * start: after a window-limited runt the cuts fall back on the
		 * precomputed boundaries instead of staying shifted. */
		uint32_t moff = r->msg_off + off;
		uint32_t want = c->mss - moff % c->mss;
		if (want > maxlen)
			want = maxlen;
		unsigned end = ns_tx_slot(c->tx_head + c->tx_count); /* past the last */
		for (;;) {
			uint32_t n = r->rg.len - off;
			if (n > want - len)
				n = want - len;
			iov[iovcnt].iov_base = (void *)((const uint8_t *)r->rg.data + off);
			iov[iovcnt++].iov_len = n;
			if (sw)
				sum = csum_block_add(sum, piece_sum(r, off, n, &live), len);
			len += n;
			if (off + n == r->rg.len && r->rg.end_of_message) {
				flags |= TH_PSH;
				break;
			}
			k = ns_tx_slot(k + 1);
			if (len == want || iovcnt == NETSTACK_MAX_IOV || k == end)
				break;
			r = &c->tx[k];
			off = 0;
		}
		if (sw) {
			if (live)
				ns->stats.csum_live++;
			else
				ns->stats.csum_precomputed++;
		}
	} else if (!(c->fin_queued && seq == c->snd_end)) {
		return 0;
	}
	bool fin = c->fin_queued && seq + len == c->snd_end;
	if (fin)
		flags |= TH_FIN;
	/* Data segments carry only the fixed-length options (see
	 * tcp_options.c); SACK blocks then follow on a pure ACK. */
	uint8_t opts[40];
	size_t optlen = ns_opts_segment(ns, c, opts, len == 0);
	if (xmit(ns, c, &c->peer, c->pseudo_sum, seq, c->rcv_nxt, flags,
		 rcv_window(c), opts, optlen, iov, iovcnt, len, sum) < 0)
		return -1;
	c->last_ack_sent = c->rcv_nxt;
	if (len == 0 || !c->sack_ok || !c->nooo)
		c->ack_pending = false;
	if (SEQ_LT(seq, c->snd_max))
		ns->stats.retransmits++;
	else
		ns->stats.payload_bytes_out += len;
	return (int)(len + fin);
}

/* Sends the segment starting at `seq` with at most `maxlen` bytes of data
 * (never more than one MSS, never past the end of the message it starts
 * in, never past the next multiple of the MSS from the message's start),
 * with FIN when it ends our stream. Returns the sequence space it covers,
 * 0 when there is nothing at seq, -1 when the tx ring is full. */
int ns_send_segment(struct netstack *ns, struct tcp_conn *c, uint32_t seq,
		    uint32_t maxlen)
{
	unsigned k = 0;
	uint32_t off = 0;
	if (SEQ_LT(seq, c->snd_end) && !ns_tx_find(c, seq, &k, &off))
		return 0;
	return send_segment_at(ns, c, seq, maxlen, k, off);
}

void ns_fin_sent(struct netstack *ns, struct tcp_conn *c)
{
	if (c->state == TCP_ESTABLISHED)
		ns_conn_set_state(ns, c, TCP_FIN_WAIT_1);
	else if (c->state == TCP_CLOSE_WAIT)
		ns_conn_set_state(ns, c, TCP_LAST_ACK);
}

static bool can_send(const struct tcp_conn *c)
{
	switch (c->state) {
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
	case TCP_FIN_WAIT_1:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		return true;
	default:
		return false;
	}
}

/* New bytes the windows allow now: the peer's window less the flight,
 * and cwnd less the flight, or less pipe in SACK recovery (RFC 6675). */
static uint32_t send_room(const struct tcp_conn *c, uint32_t flight)
{
	uint32_t used = flight;
	if (c->in_recovery && c->sack_ok)
		used = ns_sack_pipe(c);
	uint32_t cw = c->cwnd > used ? c->cwnd - used : 0;
	uint32_t rw = c->snd_wnd > flight ? c->snd_wnd - flight : 0;
	return cw < rw ? cw : rw;
}

/* A fast retransmission decided on input; kept owed until the tx ring
 * takes it. */
static int send_owed_rtx(struct netstack *ns, struct tcp_conn *c)
{
	if (!c->rtx_owed)
		return 0;
	if (c->snd_una == c->snd_max) {
		c->rtx_owed = false; /* acked meanwhile */
		return 0;
	}
	/* What was sent at snd_una before, at most one MSS: past snd_max lie
	 * bytes the peer's window or cwnd held back. */
	uint32_t sent = c->snd_max - c->snd_una;
	int n = ns_send_segment(ns, c, c->snd_una, sent < c->mss ? sent : c->mss);
	if (n < 0)
		return -1;
	c->rtx_owed = false;
	if (SEQ_GT(c->snd_una + (uint32_t)n, c->snd_max)) {
		/* Our FIN rode along for the first time (ns_send_segment adds it
		 * behind the last byte; the tx ring had refused it alone). */
		c->snd_max = c->snd_una + (uint32_t)n;
		if (SEQ_LT(c->snd_nxt, c->snd_max))
			c->snd_nxt = c->snd_max;
		ns_fin_sent(ns, c);
	}
	if (c->in_recovery && c->sack_ok && SEQ_GT(c->snd_una + (uint32_t)n, c->high_rxt))
		c->high_rxt = c->snd_una + (uint32_t)n;
	return 0;
}

void ns_output(struct netstack *ns, struct tcp_conn *c)
{
	if (c->state == TCP_SYN_RECEIVED) {
		if (c->ack_pending) {
			if (ns_send_synack(ns, c) < 0)
				ns_pending_add(ns, c);
			else
				c->ack_pending = false;
		}
		return;
	}
	if (!can_send(c))
		goto ack;

	/* A zero window: whatever was sent past snd_una lies beyond it and
	 * will be dropped; the persist timer probes instead (BSD does the
	 * same pull-back). The FIN alone needs no window. */
	if (c->snd_wnd == 0 && SEQ_LT(c->snd_una, c->snd_end)) {
		c->snd_nxt = c->snd_una;
		if (c->timer != TIMER_PERSIST)
			ns_timer_arm(ns, c, TIMER_PERSIST,
				     ns->now_ns + ns_persist_ms(c) * NS_MS);
		goto ack;
	}

	/* While connections wait for the tx ring, one that an ACK just woke
	 * takes its turn behind them. Sending at once would let the
	 * connections with data in flight, clocked by their ACKs, keep the
	 * ring to themselves and starve the waiting ones for seconds (seen
	 * at 1000 connections: p50 9 ms, p99 1.5 s). The oldest waiter is
	 * next anyway; pure ACKs still go at once. */
	if (!list_empty(&ns->pending) && ns_pending_first(ns) != c && !ns->draining_pending) {
		ns_pending_add(ns, c);
		goto ack;
	}
	if (send_owed_rtx(ns, c) < 0) {
		ns_pending_add(ns, c);
		return;
	}
	for (;;) {
		int hole = ns_sack_next(ns, c);
		if (hole < 0) {
			ns_pending_add(ns, c);
			return;
		}
		if (hole > 0)
			continue;
		uint32_t flight = c->snd_nxt - c->snd_una;
		uint32_t seq = c->snd_nxt;
		int n;
		if (SEQ_LT(seq, c->snd_end)) {
			uint32_t room = send_room(c, flight);
			if (room == 0)
				break;
			/* New data waits while the connection has its share of
			 * frames in flight (netstack_tx_done lifts the hold);
			 * going back over lost data does not. */
			if (ns->cfg.conn_tx_frames_max && SEQ_GEQ(seq, c->snd_max) &&
			    c->tx_frames >= ns->cfg.conn_tx_frames_max) {
				ns_tx_cap_hold(ns, c);
				break;
			}
			unsigned k;
			uint32_t off;
			if (!ns_tx_find(c, seq, &k, &off))
				break;
			/* see ns_send_segment */
			uint32_t cut = c->mss - (c->tx[k].msg_off + off) % c->mss;
			uint32_t len = room < cut ? room : cut;
			if (len < cut) {
				/* Window-limited: a runt unless its message ends
				 * first. Sender SWS avoidance (RFC 9293
				 * 3.8.6.2.1): no runt segments while data is in
				 * flight to clock us. (A full cut is clipped at
				 * the message's end by send_segment_at.) */
				uint32_t rem = ns_tx_msg_left(c, k, off);
				if (rem <= len)
					len = rem;
				else if (flight > 0 && len < c->max_sndwnd / 2)
					break;
			}
			n = send_segment_at(ns, c, seq, len, k, off);
		} else if (c->fin_queued && seq == c->snd_end) {
			n = ns_send_segment(ns, c, seq, 0);
		} else {
			break;
		}
		if (n < 0) {
			ns_pending_add(ns, c);
			return;
		}
		if (n == 0)
			break;
		if (!c->rtt_timing && SEQ_GEQ(seq, c->snd_max)) {
			c->rtt_timing = true;
			c->rtt_seq = seq + n;
			c->rtt_start_ns = ns->now_ns;
		}
		c->snd_nxt += n;
		if (SEQ_GT(c->snd_nxt, c->snd_max)) {
			bool first_fin = c->fin_queued && c->snd_nxt == c->snd_end + 1 &&
					 c->snd_max != c->snd_nxt;
			c->snd_max = c->snd_nxt;
			if (first_fin)
				ns_fin_sent(ns, c);
		}
		if (c->timer != TIMER_RTX)
			ns_timer_arm(ns, c, TIMER_RTX, ns->now_ns + c->rto_ms * NS_MS);
	}
ack:
	if (c->ack_pending && ns_send_ctl(ns, c, TH_ACK) < 0)
		ns_pending_add(ns, c);
}
