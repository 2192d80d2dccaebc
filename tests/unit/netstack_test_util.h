/* A scripted peer for the netstack unit tests: builds the client's frames,
 * captures and parses the stack's frames, runs a fake clock. Like Linux,
 * it offers SACK and timestamps on its SYN (nt_connect_opts can leave them
 * out), echoes the server's timestamps on every segment once agreed, and
 * sends SACK blocks while it holds out-of-order data.
 *
 * One harness = one netstack under an application. nt_setup's is httpd-xdp's
 * HTTP side (xdp_http.h, netstack_test_http.c) over a temporary page folder
 * with three pages (/tiny 13 bytes, /10k, /1m pseudo-random bytes) at a
 * fixed Date: those tests run HTTP over TCP end to end. nt_setup_app takes
 * any application and needs no page cache (netstack_test_util.c alone:
 * test_netstack_app.c drives TCP under a fake one). */
#ifndef BB_NETSTACK_TEST_UTIL_H
#define BB_NETSTACK_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "http_clock.h"
#include "netstack.h"
#include "page_cache.h"
#include "xdp_http.h"

#define NT_SRV_IP "198.18.0.1"
#define NT_CLI_IP "198.18.0.2"
#define NT_PORT 8080
#define NT_FRAME_MAX 9100
#define NT_MS 1000000ull

/* A GET for `path`, `conn` the Connection header ("keep-alive", "close"). */
#define NT_GET(path, conn) "GET " path " HTTP/1.1\r\nHost: t\r\nConnection: " conn "\r\n\r\n"

struct nt_frame {
	size_t len;
	uint32_t tag;        /* for netstack_tx_done */
	uint16_t csum_start, csum_offset; /* as the stack asked (offload mode) */
	uint8_t data[NT_FRAME_MAX];
};

struct nt_harness {
	struct netstack *ns;
	struct netstack_config cfg;
	struct xdp_http *http;        /* the application, over pc */
	struct page_cache *pc;
	char *dir;
	struct http_clock clock;
	uint64_t now;
	uint32_t srv_ip, cli_ip;      /* network order */
	uint8_t srv_mac[6], cli_mac[6];
	struct nt_frame *frames;      /* what the stack sent, in order */
	size_t nframes, cap;
	int tx_room;                  /* < 0: unlimited; else frames accepted before "full" */
	int tx_mode;                  /* NT_TX_CAPTURE, or for benches: */
#define NT_TX_CAPTURE 0
#define NT_TX_DISCARD 1               /* count only */
#define NT_TX_COPY 2                  /* copy into one scratch frame, keep nothing */
	uint64_t tx_frames, tx_bytes;
	/* Optional: consulted before a frame is captured, as an engine's
	 * UMEM would be; < 0 refuses it (e.g. tests/unit/test_netstack_budget.c). */
	int (*tx_gate)(void *gate_ctx, const struct netstack_frame *f);
	void *gate_ctx;
	/* Ports whose connection agreed to timestamps, with TS.Recent: every
	 * non-SYN segment nt_input sends to them carries TSopt. */
	struct nt_ts_peer {
		uint16_t port;
		uint32_t recent;
	} ts_peers[64];
	size_t nts_peers;
	/* Checksum offload (cfg.csum_offload): every captured frame's field
	 * is checked to hold the pseudo-header sum, then completed as a device
	 * would (csum_device, the default) or left as the stack wrote it. */
	bool csum_device;
	uint64_t csum_offloaded;      /* captured frames that asked for it */
	/* nt_restart calls it between the old stack and the new one (the
	 * HTTP side is made again for the new config). */
	void (*app_restart)(struct nt_harness *h);
};

/* A TCP segment the stack sent, parsed. */
struct nt_seg {
	uint8_t dst_mac[6], src_mac[6];
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	int mss;           /* -1 when absent */
	int wscale;        /* -1 when absent */
	bool sack_ok, timestamps;
	uint32_t tsval, tsecr;       /* when timestamps */
	int nsack;                   /* SACK blocks, in the order sent */
	uint32_t sack[4][2];         /* [start, end) */
	const uint8_t *payload;
	size_t len;
	bool ip_csum_ok, tcp_csum_ok, df;
};

/* One client connection as the scripted peer sees it. The receive side
 * keeps out-of-order data (like Linux) and ACKs cumulatively. */
struct nt_conn {
	uint16_t port;
	uint32_t snd_nxt;    /* our next sequence number */
	uint32_t rcv_nxt;    /* next byte expected from the server */
	uint32_t srv_iss;
	int wscale;          /* the server's shift (what it advertised) */
	uint16_t win;        /* our advertised window (unscaled) */
	uint8_t shift;       /* our window scale */
	uint8_t *stream;     /* server bytes, at (seq - srv_iss - 1) */
	uint8_t *have;       /* which of them arrived */
	size_t stream_len;   /* bytes received in order */
	size_t stream_cap;
	bool fin_known, fin_seen, rst_seen;
	uint32_t fin_seq;
	/* Loss injection: return true to drop a server frame. */
	bool (*drop)(void *ctx, const struct nt_seg *s);
	void *drop_ctx;
	size_t data_segs_seen; /* every data segment, dropped or not */
	bool sack_ok, ts_ok;   /* what the handshake agreed */
	uint32_t seg;          /* payload of a full data segment from the server */
	/* Out-of-order server data held, the most recently extended first:
	 * the SACK blocks our ACKs carry (RFC 2018 4). */
	struct nt_range {
		uint32_t start, end;
	} ooo[16];
	int nooo;
};

/* What nt_connect_opts offers on its SYN (nt_connect: all, like Linux). */
#define NT_OPT_WS 1
#define NT_OPT_SACK 2
#define NT_OPT_TS 4
#define NT_OPT_LINUX (NT_OPT_WS | NT_OPT_SACK | NT_OPT_TS)

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

/* The HTTP harness (netstack_test_http.c). */
void nt_setup(struct nt_harness *h, uint16_t mtu, uint32_t max_conns,
	      uint32_t idle_timeout_ms);
/* A stack under `app` alone (h zeroed first); nt_teardown_stack ends it. */
void nt_setup_app(struct nt_harness *h, uint16_t mtu, uint32_t max_conns,
		  uint32_t idle_timeout_ms, const struct netstack_app *app, void *app_ctx);
void nt_teardown_stack(struct nt_harness *h);
/* Replaces the harness's netstack (and its HTTP side) with one made from
 * h->cfg (after a test changed it, e.g. csum_offload); no connection
 * survives. */
void nt_restart(struct nt_harness *h);
/* The client's TSval now: a 1 ms clock. */
uint32_t nt_tsval(const struct nt_harness *h);
void nt_teardown(struct nt_harness *h);
/* cmocka setup/teardown: *state is a harness at MTU 1500 with 8 slots and
 * a 10 s idle timeout (the tests that need another one set it up again). */
int nt_fixture_setup(void **state);
int nt_fixture_teardown(void **state);

static inline const struct netstack_stats *nt_stats(const struct nt_harness *h)
{
	return netstack_stats(h->ns);
}

/* Requests and 4xx, counted by the HTTP side. */
static inline const struct xdp_http_stats *nt_http_stats(const struct nt_harness *h)
{
	return xdp_http_stats(h->http);
}

/* Builds a client frame (valid checksums) into f; returns its length. */
size_t nt_build(const struct nt_harness *h, uint8_t *f, uint16_t sport,
		uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
		const uint8_t *opts, size_t optlen, const void *payload,
		size_t len);
/* Builds and feeds one segment. */
void nt_input(struct nt_harness *h, uint16_t sport, uint32_t seq, uint32_t ack,
	      uint8_t flags, uint16_t win, const void *payload, size_t len);
void nt_input_raw(struct nt_harness *h, const uint8_t *f, size_t len);
/* Recomputes the IPv4 header checksum of a frame from nt_build whose
 * header a test edited. */
void nt_fix_ip_csum(uint8_t *f);

/* Moves the clock and runs the stack's timers. */
void nt_advance(struct nt_harness *h, uint64_t ms);
void nt_clear(struct nt_harness *h);
/* Parses captured frame i (asserts it is IPv4/TCP). */
void nt_parse(const struct nt_harness *h, size_t i, struct nt_seg *s);

/* SYN (MSS of the MTU, WS 7, SACK-permitted, timestamps offered like Linux),
 * checks the SYN-ACK, sends the ACK. Leaves no frames captured. */
void nt_connect(struct nt_harness *h, struct nt_conn *c, uint16_t port);
/* Same, announcing `mss` instead of the MTU's. */
void nt_connect_mss(struct nt_harness *h, struct nt_conn *c, uint16_t port,
		    uint16_t mss);
/* Same, offering only the options in `opts` (NT_OPT_*); asserts the
 * SYN-ACK answers exactly those (and echoes our TSval). */
void nt_connect_opts(struct nt_harness *h, struct nt_conn *c, uint16_t port,
		     uint16_t mss, unsigned opts);
/* Sends data (as one segment) from the client. */
void nt_send(struct nt_harness *h, struct nt_conn *c, const void *data, size_t len);
/* nt_send of a NUL-terminated request. */
void nt_request(struct nt_harness *h, struct nt_conn *c, const char *req);
/* Takes the captured frames (clearing the capture): for c's port, data
 * goes into c->stream (out-of-order kept), FIN/RST noted, frames c->drop
 * refuses are lost. With ack, every data segment is answered with a
 * cumulative ACK at once, as a quick-ACKing peer does (so holes produce
 * duplicate ACKs). Returns the number of data segments received. */
size_t nt_collect(struct nt_harness *h, struct nt_conn *c, bool ack);
/* nt_collect with ACKs, repeated until nothing comes for 3 ticks (the
 * clock advances `tick_ms` per quiet round); returns data segments. */
size_t nt_drain_tick(struct nt_harness *h, struct nt_conn *c, uint64_t tick_ms);
size_t nt_drain(struct nt_harness *h, struct nt_conn *c);
void nt_ack(struct nt_harness *h, struct nt_conn *c);
void nt_conn_free(struct nt_conn *c);

/* The response the server must send for `path` (GET, keep-alive or not). */
size_t nt_expected(const struct nt_harness *h, const char *path, bool close,
		   uint8_t **out);
/* Asserts that c->stream from byte `from` on holds exactly `count` copies
 * of the response for `path`, and nothing more. Returns one copy's length. */
size_t nt_check_replies(const struct nt_harness *h, const struct nt_conn *c,
			size_t from, const char *path, bool close, size_t count);
/* The stream holds the one response for `path`. */
static inline void nt_check_reply(const struct nt_harness *h, const struct nt_conn *c,
				  const char *path, bool close)
{
	nt_check_replies(h, c, 0, path, close, 1);
}

#endif
