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
 * The stack knows nothing of its application (in the spirit of lwIP's
 * tcp_recv / tcp_write): above it sits a struct netstack_app, which gets
 * each connection's in-order bytes (and returns how many it consumed: the
 * receive window is what it has not), the peer's FIN, and the news that
 * sent bytes were acknowledged. It answers by appending ranges of bytes to
 * the connection's send stream (netstack_send), each with its precomputed
 * checksums if it has them, and by asking for our FIN (netstack_close).
 * httpd-xdp's application is HTTP (xdp_http.h); the unit tests also drive
 * the stack with tiny fake ones.
 *
 * The engine (one thread per queue) owns one netstack per queue and calls:
 *
 *     ns = netstack_new(&cfg);                  // per queue, cfg.app set
 *     loop {
 *         for each rx frame: netstack_input(ns, frame, len, now_ns);
 *         netstack_poll(ns, now_ns);            // timers, queued output
 *         kick tx if frames were produced;
 *         wait until netstack_next_deadline(ns), or rx,
 *         or tx completions when netstack_tx_blocked(ns);
 *     }
 *     netstack_abort_all(ns, now_ns);           // RST every peer at shutdown
 *     netstack_free(ns);
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

/* Most pieces one frame is handed over in: our headers, then at most three
 * ranges of the send stream (a segment that would need more is cut short). */
#define NETSTACK_MAX_IOV 4
/* In-order bytes a connection holds for its application: the receive
 * window when the application has consumed nothing. */
#define NETSTACK_RX_BUF 8192
/* Ranges a connection's send stream holds until they are acknowledged. */
#define NETSTACK_TX_RANGES 64
/* TCP options on every segment once timestamps are agreed (NOP, NOP and
 * the option): netstack_conn_mss() is the MTU less 40, less this with
 * timestamps, or less when the peer's MSS is smaller. */
#define NETSTACK_TS_OPT_LEN 12
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

struct netstack;
/* One connection, as its application sees it: a handle for the calls
 * below, valid from app->open until app->closed. */
struct netstack_conn;

/* What a connection's application gets from the stack. Every callback runs
 * inside netstack_input or netstack_poll, for one connection; there the
 * application may call netstack_send and netstack_close on it. */
struct netstack_app {
	/* A peer's SYN was accepted: returns the application's state for the
	 * connection (handed back to every callback), or NULL to refuse it
	 * (answered with RST). `slot` is the connection's index, below
	 * max_conns, for an application that keeps its states in an array.
	 * netstack_conn_mss(c) is already final here. */
	void *(*open)(void *ctx, struct netstack_conn *c, uint32_t slot);
	/* The in-order bytes not consumed yet, from the first one (the same
	 * bytes again, with any new ones behind them, until consumed), and
	 * whether the peer's FIN follows them. Called when bytes or the FIN
	 * arrive and after `acked` (room in the send stream may let the
	 * application take more), while the connection is established and
	 * until netstack_close. Returns the bytes consumed (<= len): they
	 * leave the receive buffer, and the window opens by as many. */
	size_t (*input)(void *ctx, struct netstack *ns, struct netstack_conn *c, void *conn,
			const uint8_t *data, size_t len, bool fin);
	/* The peer acknowledged `bytes` more of the send stream, which
	 * completed `messages` messages: their ranges are released (the
	 * application may reuse what they pointed at), and there is room for
	 * as many ranges again. */
	void (*acked)(void *ctx, void *conn, uint32_t bytes, uint32_t messages);
	/* The connection is gone (closed, reset, timed out): optional. */
	void (*closed)(void *ctx, void *conn);
};

/* A piece of a connection's send stream. The bytes are not copied: they
 * must stay as they are until `acked` says they were received, since a
 * retransmission repeats them. */
struct netstack_range {
	const void *data;
	/* Precomputed checksums, optional: sums[k] is the folded partial sum
	 * (csum_partial) of data[k * sum_step, (k + 1) * sum_step), the last
	 * piece maybe shorter. A segment that carries a whole piece takes its
	 * sum instead of reading the bytes; anything else is summed when sent
	 * (or left to the device with csum_offload). NULL: no sums (else
	 * sum_step > 0; no segment is longer than 65535 bytes, so no piece
	 * needs to be). The array too must stay until acknowledged. */
	const uint16_t *sums;
	uint32_t len;
	uint16_t sum_step;
	/* The range ends a message (a reply): segments never span a message's
	 * end and are cut at multiples of netstack_conn_mss() from its start,
	 * where an application that precomputes sums cuts them too. */
	bool end_of_message;
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
	const struct netstack_app *app; /* required */
	void *app_ctx;                  /* the app's first argument */
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
	/* payload */
	uint64_t payload_bytes_in;  /* in-order TCP payload received */
	uint64_t payload_bytes_out; /* TCP payload sent, first transmission */
	uint64_t csum_precomputed;  /* data segments summed from the ranges' sums */
	uint64_t csum_live;         /* data segments with bytes summed one by one */
	uint64_t csum_offloaded;    /* frames whose TCP checksum the device completes */
	/* gauges */
	uint64_t cur_conns;         /* slots in use, TIME_WAIT included */
	uint64_t cur_time_wait;
};

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

/* Appends n ranges to c's send stream (they go out as the windows allow),
 * all of them or none. A range of length 0 only ends the message when
 * end_of_message is set. Returns 0, or -1 when the stream has room for
 * fewer (netstack_send_room) or our FIN is queued. Outside a callback the
 * bytes go out at the next netstack_poll. Appending is activity for the
 * idle timeout. */
int netstack_send(struct netstack *ns, struct netstack_conn *c, const struct netstack_range *r,
		  unsigned n);
/* Ranges c's send stream can take now. */
unsigned netstack_send_room(const struct netstack_conn *c);
/* Our FIN follows the last byte appended, and input is no longer
 * delivered (whatever the peer still sends is ACKed and dropped). */
void netstack_close(struct netstack *ns, struct netstack_conn *c);
/* Payload bytes per full segment on c (fixed from app->open on): where
 * segments are cut, for an application that precomputes their sums. */
uint16_t netstack_conn_mss(const struct netstack_conn *c);

/* Sends RST to every connection and frees them (shutdown). */
void netstack_abort_all(struct netstack *ns, uint64_t now_ns);

const struct netstack_stats *netstack_stats(const struct netstack *ns);

/* dst += src for every counter and gauge (summing workers). */
void netstack_stats_add(struct netstack_stats *dst,
			const struct netstack_stats *src);

#endif
