/* TCP options: reading them from received segments, writing ours.
 *
 * Layouts follow Linux, 4-byte aligned, so that a peer's fast path (and
 * ours: the NOP,NOP,TS check below) recognizes them at fixed offsets:
 *   SYN-ACK: MSS | SACK_PERM,TS (or NOP,NOP,TS or NOP,NOP,SACK_PERM) |
 *            NOP,WS
 *   others:  NOP,NOP,TS (12 bytes, every segment once agreed) |
 *            NOP,NOP,SACK with up to 3 blocks (4 without timestamps)
 * Timestamps are the only option on data segments: a fixed length, so the
 * payload per segment (tcp_conn.mss) stays one cut size for the whole
 * connection and the sums precomputed by the application keep applying. SACK blocks ride
 * on pure ACKs (tcp_output.c). */
#include "netstack_internal.h"
#include "packet.h"

enum {
	OPT_EOL = 0,
	OPT_NOP = 1,
	OPT_MSS = 2,
	OPT_WS = 3,
	OPT_SACK_PERM = 4,
	OPT_SACK = 5,
	OPT_TS = 8,
};

static void read_ts(const uint8_t *o, struct ns_tcp_opts *t)
{
	t->ts = true;
	t->tsval = get_be32(o + 2);
	t->tsecr = get_be32(o + 6);
}

/* A malformed list ends the parse; what was read before it stands. */
void ns_opts_parse(const uint8_t *o, size_t len, struct ns_tcp_opts *t)
{
	t->mss = 0;
	t->wscale = -1;
	t->sack_ok = false;
	t->ts = false;
	t->nsack = 0;
	/* The common case: NOP, NOP, TS alone. */
	if (len == NS_TS_LEN && o[0] == OPT_NOP && o[1] == OPT_NOP &&
	    o[2] == OPT_TS && o[3] == 10) {
		read_ts(o + 2, t);
		return;
	}
	size_t i = 0;
	while (i < len) {
		uint8_t kind = o[i];
		if (kind == OPT_EOL)
			break;
		if (kind == OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len)
			break;
		uint8_t olen = o[i + 1];
		const uint8_t *v = o + i + 2;
		if (kind == OPT_MSS && olen == 4) {
			t->mss = get_be16(v);
		} else if (kind == OPT_WS && olen == 3) {
			t->wscale = v[0] > 14 ? 14 : (int8_t)v[0]; /* RFC 7323 2.3 */
		} else if (kind == OPT_SACK_PERM && olen == 2) {
			t->sack_ok = true;
		} else if (kind == OPT_TS && olen == 10) {
			read_ts(o + i, t);
		} else if (kind == OPT_SACK && olen >= 10 && (olen - 2) % 8 == 0) {
			for (size_t b = 0; b < (size_t)(olen - 2) / 8 &&
					   t->nsack < NS_MAX_SACK_RX; b++) {
				t->sack[t->nsack].start = get_be32(v + 8 * b);
				t->sack[t->nsack].end = get_be32(v + 8 * b + 4);
				t->nsack++;
			}
		}
		i += olen;
	}
}

/* TSval: a 1 ms clock (RFC 7323 5.4: slow enough that PAWS holds for 24
 * days, which a 1 µs clock would not: it wraps the sign in 36 minutes)
 * plus a per-connection offset, so TSval says nothing about uptime. */
uint32_t ns_ts_now(const struct netstack *ns, const struct tcp_conn *c)
{
	return (uint32_t)(ns->now_ns / NS_MS) + c->ts_offset;
}

static size_t put_ts(uint8_t *o, uint32_t val, uint32_t ecr)
{
	o[0] = OPT_TS;
	o[1] = 10;
	put_be32(o + 2, val);
	put_be32(o + 6, ecr);
	return 10;
}

size_t ns_opts_synack(const struct netstack *ns, const struct tcp_conn *c,
		      uint8_t *o)
{
	size_t n = 0;
	o[n++] = OPT_MSS;
	o[n++] = 4;
	put_be16(o + n, ns->our_mss);
	n += 2;
	/* Each option only when the peer offered it (RFC 2018 2,
	 * RFC 7323 2.2 and 3.2). */
	if (c->sack_ok && c->ts_ok) {
		o[n++] = OPT_SACK_PERM;
		o[n++] = 2;
	} else if (c->ts_ok || c->sack_ok) {
		o[n++] = OPT_NOP;
		o[n++] = OPT_NOP;
		if (c->sack_ok) {
			o[n++] = OPT_SACK_PERM;
			o[n++] = 2;
		}
	}
	if (c->ts_ok) /* TSecr: the SYN's TSval (ts_recent) */
		n += put_ts(o + n, ns_ts_now(ns, c), c->ts_recent);
	if (c->peer_ws_ok) {
		o[n++] = OPT_NOP;
		o[n++] = OPT_WS;
		o[n++] = 3;
		o[n++] = NS_RCV_WSCALE;
	}
	return n;
}

size_t ns_opts_segment(struct netstack *ns, const struct tcp_conn *c,
		       uint8_t *o, bool sack)
{
	size_t n = 0;
	if (c->ts_ok) {
		o[n++] = OPT_NOP;
		o[n++] = OPT_NOP;
		n += put_ts(o + n, ns_ts_now(ns, c), c->ts_recent);
	}
	if (sack && c->sack_ok && c->nooo) {
		/* 40 bytes of options: 3 blocks fit beside timestamps. */
		unsigned nb = c->nooo, max = c->ts_ok ? 3 : 4;
		if (nb > max)
			nb = max;
		o[n++] = OPT_NOP;
		o[n++] = OPT_NOP;
		o[n++] = OPT_SACK;
		o[n++] = (uint8_t)(2 + 8 * nb);
		for (unsigned i = 0; i < nb; i++) {
			put_be32(o + n, c->ooo[i].start);
			put_be32(o + n + 4, c->ooo[i].end);
			n += 8;
		}
		ns->stats.sack_blocks_tx += nb;
	}
	return n;
}
