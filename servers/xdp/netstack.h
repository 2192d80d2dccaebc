/* netstack: a sans-I/O userspace TCP/IPv4 stack for one AF_XDP queue.
 *
 * Frames in (netstack_input), frames out (the tx callback), time passed in
 * (now_ns on every call): no syscalls on the data path, no clock reads, so
 * unit tests drive it frame by frame with a fake clock and a fake tx.
 *
 * Scope: IPv4 over Ethernet, one local address and port, passive open only
 * (a server). TCP per RFC 9293 with MSS and window-scale options, SACK
 * (RFC 2018: blocks sent for out-of-order data, a sender scoreboard and
 * RFC 6675 loss recovery), timestamps (RFC 7323: RTTM and PAWS), each only
 * when the peer's SYN offers it; congestion control per RFC 5681 with
 * NewReno recovery (RFC 6582) for peers without SACK, RTO per RFC 6298,
 * zero-window persist, RFC 5961 checks on RST and SYN. Not offered: TCP Fast
 * Open, D-SACK, ECN, delayed ACKs (every segment is ACKed at once).
 * ARP and everything not addressed to (ip, port) is the kernel's business:
 * the XDP program passes it up, the stack drops and counts what leaks through.
 *
 * The engine (one thread per queue) owns one netstack per queue and calls:
 *
 *     netstack_pages_prepare(pc, mtu);          // once, before workers start
 *     ns = netstack_new(&cfg);                  // per queue
 *     loop {
 *         http_clock_tick(cfg.clock, now_s);    // the engine owns the clock
 *         for each rx frame: netstack_input(ns, frame, len, now_ns);
 *         netstack_poll(ns, now_ns);            // timers, queued output
 *         kick tx if frames were produced;
 *         wait until netstack_next_deadline(ns), or rx,
 *         or tx completions when netstack_tx_blocked(ns);
 *     }
 *     netstack_abort_all(ns, now_ns);           // RST every peer at shutdown
 *     netstack_free(ns);
 *     netstack_pages_release(pc);
 *
 * Flows and queues: a netstack only knows the connections of its queue.
 * The engine's steering keeps a flow on one queue (XPS on veth, RSS on a
 * NIC), so a non-SYN segment for an unknown connection is answered with RST
 * (RFC 9293 "reset generation", never for a RST) and counted in
 * unknown_conn_rst: a flow that moved queues is torn down loudly rather than
 * hanging. A SYN always opens on the queue it arrives on.
 */
#ifndef BB_NETSTACK_H
#define BB_NETSTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include "http_clock.h"
#include "page_cache.h"

/* Most pieces one frame is handed over in: our headers, then at most the
 * page head, the slot and the body of one reply (a segment never spans two
 * replies). */
#define NETSTACK_MAX_IOV 4
/* Ethernet + IPv4 + TCP headers the stack builds, with room for the most
 * TCP options a segment can carry (40 bytes: timestamps and 3 SACK blocks,
 * or the SYN-ACK's MSS, SACK-permitted, timestamps and window scale). */
#define NETSTACK_MAX_HDR (14 + 20 + 20 + 40)

/* One frame for the engine to send. */
struct netstack_frame {
	const struct iovec *iov; /* our headers, then payload pieces */
	int iovcnt;
	size_t len;              /* whole Ethernet frame, <= mtu + 14 */
	size_t payload_len;      /* TCP payload bytes: 0 for a control frame */
	uint32_t tag;            /* hand to netstack_tx_done when the engine is
				  * done with the frame; 0: no completion wanted */
	/* Checksum offload (netstack_config.csum_offload): the device must sum
	 * from byte csum_start (the TCP header) to the end and store the
	 * complement at csum_start + csum_offset (16), where the stack left
	 * the folded pseudo-header sum, as Linux does for CHECKSUM_PARTIAL.
	 * 0 and 0: the frame's checksums are complete. */
	uint16_t csum_start, csum_offset;
};

struct netstack_config {
	uint8_t mac[6];            /* our MAC: source of every frame sent */
	uint32_t ip;               /* our IPv4 address, network byte order */
	uint16_t port;             /* our TCP port, host byte order */
	uint16_t mtu;              /* interface MTU (IP bytes); MSS = mtu - 40 */
	uint32_t max_conns;        /* connection slots, TIME_WAIT included */
	uint32_t idle_timeout_ms;  /* 0: no idle timeout */
	uint32_t time_wait_ms;     /* 0: NETSTACK_DEFAULT_TIME_WAIT_MS */
	uint64_t isn_secret;       /* 0: drawn from getrandom() */
	uint32_t isn_offset;       /* added to every ISN; 0 in production (tests
				    * use it to start a transfer near 2^32) */
	const struct page_cache *pages;
	const struct http_clock *clock; /* slots copied when a reply is queued */
	/* Frames in flight per connection (sent, not yet reported by
	 * netstack_tx_done), in the spirit of Linux's TCP Small Queues: a
	 * connection at its cap waits for its own completions, so no sender
	 * can take every tx frame of the queue. 0: no cap. Retransmissions
	 * and control frames are not held back. */
	uint32_t conn_tx_frames_max;
	/* Leave the TCP checksum to the device (netstack_frame.csum_start):
	 * the stack then never sums a payload byte. The IPv4 header checksum
	 * is always filled in. */
	bool csum_offload;
	void *tx_ctx;
	/* Sends one whole Ethernet frame; checksums are filled in unless
	 * f->csum_start says otherwise.
	 * The pieces are only valid during the call: copy them (into UMEM).
	 * Returns 0, or -1 when there is no room now; the stack keeps the data
	 * queued and tries again on a later netstack_poll (see
	 * netstack_tx_blocked). */
	int (*tx)(void *tx_ctx, const struct netstack_frame *f);
};

#define NETSTACK_DEFAULT_TIME_WAIT_MS 1000

/* Counters (monotonic) and two gauges; one set per netstack. */
struct netstack_stats {
	/* frames */
	uint64_t frames_in, frames_out;
	uint64_t tx_full;           /* tx callback said "no room" */
	uint64_t bad_frame;         /* too short, not IPv4, bad IP/TCP lengths */
	uint64_t bad_ip_csum, bad_tcp_csum;
	uint64_t not_ours;          /* other address, protocol or port */
	uint64_t ip_fragments;      /* dropped: we do not reassemble */
	/* connections */
	uint64_t conns_opened;      /* SYN accepted, SYN-ACK sent */
	uint64_t conns_established;
	uint64_t conns_closed;      /* slot freed, for any reason */
	uint64_t conns_reset_rx;    /* valid RST received */
	uint64_t conns_reset_tx;    /* we aborted with RST (timeouts, errors) */
	uint64_t conns_rejected;    /* SYN past max_conns: answered with RST */
	uint64_t conns_idle_closed; /* idle timeout fired */
	uint64_t conns_timed_out;   /* retransmissions exhausted */
	uint64_t syn_retransmits_rx;/* SYN seen again in SYN_RECEIVED */
	uint64_t synack_retransmits;
	uint64_t unknown_conn_rst;  /* non-SYN for no connection: RST sent */
	uint64_t time_wait_reused;  /* new SYN took over a TIME_WAIT */
	uint64_t time_wait_reclaimed; /* TIME_WAIT evicted to make room */
	uint64_t challenge_acks;    /* RFC 5961 */
	/* TCP */
	uint64_t retransmits;       /* segments sent again, any cause */
	uint64_t fast_retransmits;
	uint64_t rto_timeouts;
	uint64_t dup_acks;
	uint64_t out_of_order;      /* segments kept for reassembly */
	uint64_t ooo_dropped;       /* out-of-order segments we could not keep */
	uint64_t rx_unacceptable;   /* outside the window: ACKed and dropped */
	uint64_t zero_window_probes;
	uint64_t tx_conn_capped;    /* output held: the connection's frames in flight at the cap */
	uint64_t sack_recoveries;   /* RFC 6675 loss recoveries entered */
	uint64_t sack_blocks_rx;    /* valid SACK blocks received */
	uint64_t sack_blocks_tx;    /* SACK blocks sent for out-of-order data */
	uint64_t sacked_bytes;      /* newly SACKed bytes (scoreboard) */
	uint64_t paws_dropped;      /* RFC 7323 PAWS: old TSval, ACKed, dropped */
	uint64_t ts_rtt_samples;    /* RTT samples taken from TSecr */
	/* HTTP */
	uint64_t requests, responses_4xx;
	uint64_t payload_bytes_in;  /* in-order TCP payload received */
	uint64_t payload_bytes_out; /* TCP payload sent, first transmission */
	uint64_t csum_precomputed;  /* data segments summed from page sums */
	uint64_t csum_live;         /* data segments summed byte by byte */
	uint64_t csum_offloaded;    /* frames whose TCP checksum the device completes */
	/* gauges */
	uint64_t cur_conns;         /* slots in use, TIME_WAIT included */
	uint64_t cur_time_wait;
};

struct netstack;

/* Precomputes, per page, the checksum partial sums of the segments the
 * stack cuts for this MTU (hung off page->engine_data). Call once before
 * any netstack runs; pages without them are summed live. Only software
 * checksums use them: with csum_offload the call can be skipped. Returns
 * 0, or -1 with errno (ENOMEM). */
int netstack_pages_prepare(struct page_cache *pc, uint16_t mtu);
void netstack_pages_release(struct page_cache *pc);

/* NULL with errno set: EINVAL for a bad config, ENOMEM. */
struct netstack *netstack_new(const struct netstack_config *cfg);
void netstack_free(struct netstack *ns);

/* One complete Ethernet frame (multi-buffer frames already joined). The
 * frame is only read during the call. */
void netstack_input(struct netstack *ns, const uint8_t *frame, size_t len,
		    uint64_t now_ns);

/* Runs expired timers and retries output the tx callback refused. */
void netstack_poll(struct netstack *ns, uint64_t now_ns);

/* Earliest time netstack_poll has work (ns, same clock as now_ns), or
 * UINT64_MAX when none. */
uint64_t netstack_next_deadline(const struct netstack *ns);

/* True when output waits for room in the tx ring: the engine should call
 * netstack_poll once tx completions free descriptors. */
bool netstack_tx_blocked(const struct netstack *ns);

/* The engine is done with a frame sent with this tag (its UMEM chunk came
 * back): the connection's frames in flight go down by one, and one held
 * at conn_tx_frames_max may send again at the next netstack_poll. Tags of
 * connections that have since closed are ignored. */
void netstack_tx_done(struct netstack *ns, uint32_t tag);

/* Sends RST to every connection and frees them (shutdown). */
void netstack_abort_all(struct netstack *ns, uint64_t now_ns);

const struct netstack_stats *netstack_stats(const struct netstack *ns);

/* dst += src for every counter and gauge (summing workers). */
void netstack_stats_add(struct netstack_stats *dst,
			const struct netstack_stats *src);

#endif
