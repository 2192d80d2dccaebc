/* Internals shared by the netstack's files (not for the engine). */
#ifndef BB_NETSTACK_INTERNAL_H
#define BB_NETSTACK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "list.h"
#include "netstack.h"

/* Sequence-number comparisons modulo 2^32 (RFC 9293 3.4). */
#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)

#define NS_MS 1000000ull                 /* ns per ms */
#define NS_RX_BUF NETSTACK_RX_BUF        /* per-connection receive buffer */
#define NS_TX_RANGES NETSTACK_TX_RANGES  /* send stream ranges per connection */
#define NS_MAX_OOO 4                      /* out-of-order ranges kept */
#define NS_RCV_WSCALE 0    /* our window fits 16 bits; the option is sent
			    * so that the peer's window can be scaled */
#define NS_RTO_INIT_MS 1000               /* RFC 6298 2.1 */
#define NS_RTO_MIN_MS 200  /* below RFC 6298's 1 s, like Linux: on a LAN the
			    * 1 s floor would dominate every loss */
#define NS_RTO_MAX_MS 60000
#define NS_MAX_RETRIES 8   /* data: 200 ms doubling 8 times is ~100 s */
#define NS_MAX_SYNACK_RETRIES 5
#define NS_PERSIST_MAX_MS 60000 /* persist probes back off up to this */
#define NS_MAX_SACKED 8    /* sender scoreboard: SACKed ranges kept */
#define NS_DUPTHRESH 3     /* RFC 5681 / RFC 6675 DupThresh */
#define NS_TS_LEN NETSTACK_TS_OPT_LEN       /* NOP, NOP, timestamps: on every segment once
			    * agreed, so the payload per segment drops by it */
#define NS_MAX_SACK_RX 4   /* SACK blocks read from one segment */
#define NS_NONE UINT32_MAX

/* TCP header flags */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

enum tcp_state {
	TCP_CLOSED = 0, /* slot free */
	TCP_SYN_RECEIVED,
	TCP_ESTABLISHED,
	TCP_CLOSE_WAIT,
	TCP_FIN_WAIT_1,
	TCP_FIN_WAIT_2,
	TCP_CLOSING,
	TCP_LAST_ACK,
	TCP_TIME_WAIT,
};

enum tcp_timer {
	TIMER_NONE = 0,
	TIMER_RTX,       /* retransmission (SYN-ACK or data or FIN) */
	TIMER_PERSIST,   /* zero-window probe */
	TIMER_TIME_WAIT, /* end of TIME_WAIT */
};

/* One range of the send stream (netstack_range), kept until acknowledged,
 * with where it starts in its message (segments are cut from there). */
struct ns_tx_range {
	struct netstack_range rg; /* as appended */
	uint32_t msg_off;         /* bytes of its message before it */
};

/* Peer addressing as seen in a received frame (ip in network order,
 * port in host order). */
struct ns_peer {
	uint8_t mac[6];
	uint32_t ip;
	uint16_t port;
};

struct ns_range {
	uint32_t start, end; /* sequence numbers, [start, end) */
};

/* The TCP options of a received segment (tcp_options.c). */
struct ns_tcp_opts {
	uint16_t mss;      /* 0: absent */
	int8_t wscale;     /* -1: absent */
	bool sack_ok;      /* SACK-permitted */
	bool ts;           /* timestamps present: tsval, tsecr */
	uint8_t nsack;
	uint32_t tsval, tsecr;
	struct ns_range sack[NS_MAX_SACK_RX];
};

struct tcp_conn {
	struct ns_peer peer;
	uint8_t state;       /* enum tcp_state */
	uint8_t timer;       /* enum tcp_timer */
	uint8_t snd_wscale;  /* shift applied to the peer's windows */
	uint8_t rcv_wscale;  /* shift the peer applies to ours */
	uint8_t dupacks;
	uint8_t retries;     /* consecutive RTO / SYN-ACK / probe expiries */
	bool in_recovery;    /* NewReno fast recovery */
	bool fin_queued;     /* our FIN follows the last queued byte */
	bool rx_closed;      /* input no longer delivered (netstack_close) */
	bool fin_received;
	bool ack_pending;    /* an ACK must go out */
	bool rtt_timing;
	bool peer_ws_ok;     /* window scaling agreed (the peer offered it) */
	bool tx_capped;      /* output held at conn_tx_frames_max */
	uint8_t tag_gen;     /* slot generation, in the tag of our frames */
	uint32_t tx_frames;  /* frames sent with our tag, not yet done */
	bool sack_ok;        /* SACK agreed (RFC 2018): RFC 6675 recovery */
	bool ts_ok;          /* timestamps agreed (RFC 7323) */
	bool rtx_owed;       /* the segment at snd_una must be resent first
			      * (a fast retransmit the tx ring refused) */
	uint8_t persist_shift; /* persist backoff, apart from the RTO */
	uint8_t nsacked;
	uint16_t mss;        /* payload per segment we send: the smaller MSS
			      * minus NS_TS_LEN when timestamps are on (the
			      * cut netstack_conn_mss reports) */

	/* send sequence space: snd_una <= snd_nxt <= snd_max <= snd_end+FIN */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_end;
	uint32_t snd_wnd, max_sndwnd, snd_wl1, snd_wl2;
	uint32_t cwnd, ssthresh, recover, bytes_acked;
	uint32_t rtt_seq;
	uint64_t rtt_start_ns;
	uint32_t srtt_us, rttvar_us, rto_ms; /* srtt_us == 0: no sample yet */
	/* SACK scoreboard (RFC 6675): SACKed ranges above snd_una, sorted,
	 * disjoint; high_rxt is HighRxt of the current recovery. */
	uint32_t high_rxt;
	struct ns_range sacked[NS_MAX_SACKED];

	/* timestamps (RFC 7323): TSval = ms clock + ts_offset */
	uint32_t ts_offset, ts_recent, last_ack_sent;
	uint64_t ts_recent_ns; /* when ts_recent was set (24-day rule) */

	/* receive sequence space */
	uint32_t irs, rcv_nxt, rcv_adv;
	uint32_t rx_len;     /* in-order bytes in rxbuf not yet consumed */
	uint8_t nooo;
	/* Out-of-order data, in rxbuf, the most recently touched range
	 * first: the order of the SACK blocks we send (RFC 2018 4). */
	struct ns_range ooo[NS_MAX_OOO];
	char *rxbuf;         /* NS_RX_BUF bytes: rcv_nxt maps to rxbuf[rx_len] */

	/* the application's state (netstack_app.open) */
	void *app_conn;

	/* send stream: ring of NS_TX_RANGES (tx, last below), the first
	 * starts at tx_seq; tx_msg_off is the next appended byte's offset in
	 * its message */
	uint32_t tx_seq, tx_msg_off;
	uint8_t tx_head, tx_count;
	uint8_t tx_msgs;     /* ranges in the ring that end a message */

	uint32_t pseudo_sum; /* TCP pseudo-header: addresses and protocol */

	/* timers: the heap key may be earlier than the real deadline (lazy) */
	uint64_t timer_at, idle_at;
	uint64_t heap_key;
	uint32_t heap_idx;

	/* links */
	struct tcp_conn *hash_next;
	struct list_node link; /* in the TIME_WAIT FIFO or the free list */
	struct list_node pend; /* in the pending list: waiting for tx room */
	bool pending;

	/* Last, so that a new connection clears everything before it only:
	 * a range is read only once appended. */
	struct ns_tx_range tx[NS_TX_RANGES];
};

struct netstack {
	struct netstack_config cfg;
	uint16_t our_mss;
	uint16_t ip_id;
	uint32_t nconns_live; /* slots used minus TIME_WAIT */
	uint64_t now_ns;      /* of the call being handled */
	uint64_t secret[2];

	struct tcp_conn *conns; /* max_conns slots */
	char *rxbufs;
	struct tcp_conn **buckets;
	uint32_t bucket_mask;
	struct list_node free_conns; /* taken from and given back at the tail */
	struct list_node time_wait;  /* oldest first */
	struct list_node pending;    /* tx ring was full: served oldest first */
	bool draining_pending;    /* netstack_poll is serving the pending list */
	bool in_app;              /* an application callback is running */
	uint32_t ncapped;         /* connections with tx_capped set */

	struct tcp_conn **heap;
	uint32_t heap_len;

	struct netstack_stats stats;
	uint8_t hdr[NETSTACK_MAX_HDR]; /* scratch for the frame being sent */
};

/* The oldest TIME_WAIT connection, the first waiting for tx room: NULL
 * when the list is empty. */
static inline struct tcp_conn *ns_time_wait_oldest(const struct netstack *ns)
{
	return list_empty(&ns->time_wait) ? NULL : list_entry(ns->time_wait.next, struct tcp_conn, link);
}

static inline struct tcp_conn *ns_pending_first(const struct netstack *ns)
{
	return list_empty(&ns->pending) ? NULL : list_entry(ns->pending.next, struct tcp_conn, pend);
}

/* netstack.c */
void ns_conn_free(struct netstack *ns, struct tcp_conn *c);
struct tcp_conn *ns_conn_lookup(struct netstack *ns, uint32_t ip, uint16_t port);
void ns_time_wait_requeue(struct netstack *ns, struct tcp_conn *c);
struct tcp_conn *ns_conn_alloc(struct netstack *ns, const struct ns_peer *peer);
void ns_conn_set_state(struct netstack *ns, struct tcp_conn *c, enum tcp_state s);
void ns_pending_add(struct netstack *ns, struct tcp_conn *c);
uint32_t ns_isn(const struct netstack *ns, const struct ns_peer *peer);
uint32_t ns_conn_tag(const struct netstack *ns, const struct tcp_conn *c);
void ns_tx_cap_hold(struct netstack *ns, struct tcp_conn *c);
uint32_t ns_ts_offset(const struct netstack *ns, const struct ns_peer *peer);

/* tcp_timers.c */
void ns_timer_update(struct netstack *ns, struct tcp_conn *c);
void ns_timer_remove(struct netstack *ns, struct tcp_conn *c);
void ns_timers_run(struct netstack *ns, uint64_t now_ns);
void ns_timer_arm(struct netstack *ns, struct tcp_conn *c, enum tcp_timer t,
		  uint64_t at);
void ns_timer_stop(struct netstack *ns, struct tcp_conn *c);
void ns_rtt_sample(struct tcp_conn *c, uint64_t rtt_ns);
/* Progress (new data in, new data acked, the application answering, a new
 * connection) pushes the idle deadline: a peer that keeps a zero window
 * forever, or never finishes its close, is still idle. */
static inline void ns_idle_touch(struct netstack *ns, struct tcp_conn *c)
{
	if (ns->cfg.idle_timeout_ms && c->state != TCP_TIME_WAIT)
		c->idle_at = ns->now_ns + ns->cfg.idle_timeout_ms * NS_MS;
}
/* The next zero-window probe's delay: the RTO shifted by persist_shift,
 * capped at NS_PERSIST_MAX_MS (the RTO itself is left alone). */
uint64_t ns_persist_ms(const struct tcp_conn *c);

/* tcp_cc.c: NewReno */
void cc_init(struct tcp_conn *c);
/* A cumulative ACK advanced snd_una by `acked` (snd_una already updated).
 * Returns true when NewReno wants the first unacked segment resent
 * (a partial ACK during recovery). */
bool cc_on_ack(struct tcp_conn *c, uint32_t ack, uint32_t acked);
/* A duplicate ACK; returns true when fast retransmit must happen now. */
bool cc_on_dupack(struct tcp_conn *c);
void cc_on_rto(struct tcp_conn *c);
/* RFC 6675 4.2: entering SACK-based loss recovery. */
void cc_sack_enter(struct tcp_conn *c);

/* tcp_options.c */
void ns_opts_parse(const uint8_t *o, size_t len, struct ns_tcp_opts *t);
/* Options of our SYN-ACK / of any other segment of c (timestamps once
 * agreed, SACK blocks when `sack` and we hold out-of-order data). Return
 * their length (a multiple of 4, at most 40). */
size_t ns_opts_synack(const struct netstack *ns, const struct tcp_conn *c,
		      uint8_t *o);
size_t ns_opts_segment(struct netstack *ns, const struct tcp_conn *c,
		       uint8_t *o, bool sack);
uint32_t ns_ts_now(const struct netstack *ns, const struct tcp_conn *c);

/* tcp_sack.c: the SACK scoreboard and RFC 6675 loss recovery */
void ns_sack_on_ack(struct netstack *ns, struct tcp_conn *c,
		    const struct ns_tcp_opts *t, bool advanced);
void ns_sack_clear(struct tcp_conn *c);
uint32_t ns_sack_pipe(const struct tcp_conn *c);
/* NextSeg rules 1 and 3: 1 when a hole was resent, 0 when none is due
 * now, -1 when the tx ring is full. */
int ns_sack_next(struct netstack *ns, struct tcp_conn *c);

/* tcp_output.c */
int ns_send_synack(struct netstack *ns, struct tcp_conn *c);
int ns_send_ctl(struct netstack *ns, struct tcp_conn *c, uint8_t flags);
void ns_send_rst_to(struct netstack *ns, const struct ns_peer *peer,
		    uint32_t seq, uint32_t ack, uint8_t flags);
int ns_send_segment(struct netstack *ns, struct tcp_conn *c, uint32_t seq,
		    uint32_t maxlen);
void ns_output(struct netstack *ns, struct tcp_conn *c);
/* Our FIN went out for the first time: ESTABLISHED -> FIN_WAIT_1,
 * CLOSE_WAIT -> LAST_ACK. */
void ns_fin_sent(struct netstack *ns, struct tcp_conn *c);
void ns_abort(struct netstack *ns, struct tcp_conn *c);
/* Our receive window: what the application has not consumed leaves. */
static inline uint32_t ns_rcv_space(const struct tcp_conn *c)
{
	return NS_RX_BUF - c->rx_len;
}

/* tcp_input.c */
void ns_tcp_input(struct netstack *ns, const struct ns_peer *peer,
		  const uint8_t *tcp, size_t tcp_len, const uint8_t *payload,
		  size_t payload_len);

/* tcp_app.c: the application interface */
_Static_assert((NS_TX_RANGES & (NS_TX_RANGES - 1)) == 0, "the send ring wraps by masking");
static inline unsigned ns_tx_slot(unsigned i)
{
	return i & (NS_TX_RANGES - 1);
}

/* Where the receive buffer's bytes end: in-order data plus whatever
 * out-of-order data sits beyond it. */
uint32_t ns_rx_extent(const struct tcp_conn *c);
/* Releases the ranges snd_una has passed and tells the application;
 * returns the bytes released. All acknowledged, the usual case, is inline
 * and walks nothing; part of the stream is ns_tx_release_part's. */
uint32_t ns_tx_release_part(struct netstack *ns, struct tcp_conn *c);
static inline uint32_t ns_tx_release(struct netstack *ns, struct tcp_conn *c)
{
	if (SEQ_LT(c->snd_una, c->snd_end))
		return ns_tx_release_part(ns, c);
	uint32_t bytes = c->snd_end - c->tx_seq, msgs = c->tx_msgs;
	c->tx_seq = c->snd_end;
	c->tx_head = c->tx_count = c->tx_msgs = 0;
	if (bytes) {
		ns->in_app = true;
		ns->cfg.app->acked(ns->cfg.app_ctx, c->app_conn, bytes, msgs);
		ns->in_app = false;
	}
	return bytes;
}
/* The range holding seq (below snd_end): its ring index and seq's offset
 * in it; false when none does. */
static inline bool ns_tx_find(const struct tcp_conn *c, uint32_t seq, unsigned *idx,
			      uint32_t *off)
{
	uint32_t start = c->tx_seq;
	for (unsigned i = 0; i < c->tx_count; i++) {
		unsigned k = ns_tx_slot(c->tx_head + i);
		if (seq - start < c->tx[k].rg.len) {
			*idx = k;
			*off = seq - start;
			return true;
		}
		start += c->tx[k].rg.len;
	}
	return false;
}
/* The bytes from offset off of range idx to the end of its message (or of
 * the stream). */
uint32_t ns_tx_msg_left(const struct tcp_conn *c, unsigned idx, uint32_t off);

/* Hands c's unconsumed input (and the peer's FIN) to the application,
 * and drops what it consumed. Inline: once per segment with data. */
static inline void ns_app_deliver(struct netstack *ns, struct tcp_conn *c)
{
	if (c->state != TCP_ESTABLISHED && c->state != TCP_CLOSE_WAIT)
		return;
	uint32_t held = c->rx_len;
	if (!c->rx_closed) {
		ns->in_app = true;
		size_t used = ns->cfg.app->input(ns->cfg.app_ctx, ns, (struct netstack_conn *)(void *)c,
						 c->app_conn, (const uint8_t *)c->rxbuf, held,
						 c->fin_received);
		ns->in_app = false;
		if (used) {
			if (used > held)
				used = held;
			uint32_t ext = c->nooo ? ns_rx_extent(c) : held;
			if (ext > used) /* usually all was consumed */
				memmove(c->rxbuf, c->rxbuf + used, ext - used);
			c->rx_len -= (uint32_t)used;
		}
	}
	if (c->rx_closed)
		c->rx_len = 0;
	/* The window grew by a useful amount: tell the peer (RFC 9293
	 * 3.8.6.2.2, receiver side SWS avoidance). */
	if (c->rx_len < held && ns_rcv_space(c) - (c->rcv_adv - c->rcv_nxt) >= c->mss)
		c->ack_pending = true;
}

static inline struct tcp_conn *ns_conn_of(struct netstack_conn *c)
{
	return (struct tcp_conn *)(void *)c;
}

static inline struct netstack_conn *ns_handle(struct tcp_conn *c)
{
	return (struct netstack_conn *)(void *)c;
}

#endif
