/* Micro-benchmark of the netstack's send path (reported, never asserted).
 *
 *   build/release/tests/bench_netstack [iterations]
 *   build/release/tests/bench_netstack requests [/tiny|/10k|/1m] [count] [close]
 *
 * 1. The internet checksum over one segment's payload: the 64-bit
 *    accumulating csum_partial against the 16-bit reference loop.
 * 2. Cutting a 1 MiB page into segments (headers built, TCP and IP
 *    checksums computed, frame handed to a tx callback) with the page's
 *    precomputed sums against summing every payload byte, for MTU 1500 and
 *    9000; once with a tx that discards, once with one that copies the frame
 *    (as the engine's copy into UMEM does).
 * 3. Whole keep-alive requests through the public API only (netstack_input:
 *    request in, reply out, the next request ACKs it; a large reply is
 *    ACKed as it goes), or with `close` a connection per request, for a
 *    deterministic instruction count per request:
 *
 *      valgrind --tool=callgrind --toggle-collect=netstack_input \
 *          --toggle-collect=netstack_poll build/release/tests/bench_netstack requests /tiny 20000
 *
 *    Ir of the collected functions / requests = the stack's cost per request
 *    (the tx discards the frames: the engine's copy is not counted). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checksum.h"
#include "netstack_internal.h"
#include "netstack_test_util.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bench_csum(size_t len, long iters)
{
	uint8_t *buf = malloc(len);
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 31 + 7);
	volatile uint32_t sink = 0;
	double t0 = now_s();
	for (long i = 0; i < iters; i++) {
		__asm__ volatile("" : : "r"(buf) : "memory");
		sink += csum_partial(buf, len, 0);
	}
	double t1 = now_s();
	for (long i = 0; i < iters; i++) {
		__asm__ volatile("" : : "r"(buf) : "memory");
		sink += csum_partial_ref(buf, len, 0);
	}
	double t2 = now_s();
	double fast = (t1 - t0) / iters * 1e9, ref = (t2 - t1) / iters * 1e9;
	printf("csum %5zu B: csum_partial %7.1f ns (%5.1f GB/s)  reference %7.1f ns (%5.1f GB/s)\n",
	       len, fast, len / fast, ref, len / ref);
	(void)sink;
	free(buf);
}

/* Sends every segment of the reply queued on the connection, `rounds`
 * times, through ns_send_segment; returns ns per segment. */
static double bench_segments(struct nt_harness *h, struct tcp_conn *c, int rounds,
			     uint64_t *segs_out)
{
	uint64_t segs = 0;
	double t0 = now_s();
	for (int r = 0; r < rounds; r++) {
		uint32_t seq = c->snd_una;
		while (SEQ_LT(seq, c->snd_end)) {
			int n = ns_send_segment(h->ns, c, seq, c->mss);
			if (n <= 0)
				abort();
			seq += (uint32_t)n;
			segs++;
		}
	}
	double t = now_s() - t0;
	*segs_out = segs;
	return t / segs * 1e9;
}

static void bench_page(uint16_t mtu, int rounds)
{
	struct nt_harness h;
	nt_setup(&h, mtu, 4, 0);
	struct nt_conn cc;
	nt_connect(&h, &cc, 45000);
	h.tx_mode = NT_TX_DISCARD;
	const char req[] = "GET /1m HTTP/1.1\r\nHost: b\r\n\r\n";
	nt_send(&h, &cc, req, sizeof(req) - 1);
	struct tcp_conn *c = ns_conn_lookup(h.ns, h.cli_ip, cc.port);
	if (!c || c->tx_count == 0) {
		fprintf(stderr, "bench: no reply queued\n");
		exit(1);
	}
	/* Live: the same ranges without their precomputed sums. */
	const uint16_t *sums[NS_TX_RANGES];
	for (unsigned i = 0; i < c->tx_count; i++)
		sums[i] = c->tx[ns_tx_slot(c->tx_head + i)].rg.sums;
	for (int mode = NT_TX_DISCARD; mode <= NT_TX_COPY; mode++) {
		h.tx_mode = mode;
		uint64_t segs;
		double pre = bench_segments(&h, c, rounds, &segs);
		for (unsigned i = 0; i < c->tx_count; i++)
			c->tx[ns_tx_slot(c->tx_head + i)].rg.sums = NULL;
		double live = bench_segments(&h, c, rounds, &segs);
		for (unsigned i = 0; i < c->tx_count; i++)
			c->tx[ns_tx_slot(c->tx_head + i)].rg.sums = sums[i];
		double gbps_pre = c->mss * 8 / pre, gbps_live = c->mss * 8 / live;
		printf("MTU %4u, tx %-7s: %6.1f ns/segment precomputed (%5.1f Gbit/s of payload), "
		       "%6.1f ns live (%5.1f Gbit/s): %.1fx\n",
		       mtu, mode == NT_TX_DISCARD ? "discard" : "copy", pre, gbps_pre,
		       live, gbps_live, live / pre);
	}
	nt_conn_free(&cc);
	nt_teardown(&h);
}

/* The bench client learns what the server sent from its frames' headers
 * (the tx discards them): our next byte expected, FIN included. */
struct req_client {
	uint32_t srv_nxt;
};

static int track_sent(void *ctx, const struct netstack_frame *f)
{
	struct req_client *rc = ctx;
	const uint8_t *h = f->iov[0].iov_base;
	const uint8_t *t = h + 14 + 20;
	uint32_t seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
	uint32_t end = seq + (uint32_t)f->payload_len + (t[13] & 0x01);
	if ((int32_t)(end - rc->srv_nxt) > 0)
		rc->srv_nxt = end;
	return 0;
}

/* ACKs what the stack sent (rc tracks it) until the reply ends at `end`. */
static void ack_until(struct nt_harness *h, struct nt_conn *cc, const struct req_client *rc,
		      uint32_t end, long i)
{
	for (int guard = 0; rc->srv_nxt != end; guard++) {
		if (guard > 100000) {
			fprintf(stderr, "bench: reply %ld stalled\n", i);
			exit(1);
		}
		cc->rcv_nxt = rc->srv_nxt;
		nt_ack(h, cc);
	}
	cc->rcv_nxt = end;
}

static void bench_requests(const char *path, long n)
{
	struct nt_harness h;
	nt_setup(&h, 1500, 4, 0);
	struct nt_conn cc;
	nt_connect(&h, &cc, 45001);
	uint8_t *want;
	size_t reply_len = nt_expected(&h, path, false, &want);
	free(want);
	char req[128];
	int rl = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: b\r\n\r\n", path);
	struct req_client rc = { .srv_nxt = cc.rcv_nxt };
	h.tx_gate = track_sent;
	h.gate_ctx = &rc;
	h.tx_mode = NT_TX_DISCARD;
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		uint32_t end = cc.rcv_nxt + (uint32_t)reply_len;
		nt_send(&h, &cc, req, (size_t)rl); /* ACKs the previous reply */
		ack_until(&h, &cc, &rc, end, i);
	}
	double t = now_s() - t0;
	printf("requests %-6s keep-alive: %ld in %.3f s, %.0f ns/request (client included)\n", path,
	       n, t, t / n * 1e9);
	nt_conn_free(&cc);
	nt_teardown(&h);
}

/* Close mode: a new connection per request (handshake, request with
 * Connection: close, the reply and our FIN, the client's ACK and FIN), as
 * the seed experiment's clients do. 32 client ports in turn over 4 slots,
 * so each SYN takes the slot of the oldest TIME_WAIT. */
static void bench_close(const char *path, long n)
{
	struct nt_harness h;
	nt_setup(&h, 1500, 4, 0);
	uint8_t *want;
	size_t reply_len = nt_expected(&h, path, true, &want);
	free(want);
	char req[128];
	int rl = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n",
			  path);
	struct req_client rc;
	h.gate_ctx = &rc;
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		struct nt_conn cc;
		h.tx_gate = NULL;
		h.tx_mode = NT_TX_CAPTURE;
		nt_connect(&h, &cc, (uint16_t)(42000 + i % 32));
		rc.srv_nxt = cc.rcv_nxt;
		h.tx_gate = track_sent;
		h.tx_mode = NT_TX_DISCARD;
		uint32_t end = cc.rcv_nxt + (uint32_t)reply_len + 1; /* and our FIN */
		nt_send(&h, &cc, req, (size_t)rl);
		ack_until(&h, &cc, &rc, end, i);
		nt_input(&h, cc.port, cc.snd_nxt, cc.rcv_nxt, TH_ACK | TH_FIN, cc.win, NULL, 0);
		nt_conn_free(&cc);
	}
	double t = now_s() - t0;
	const struct netstack_stats *st = nt_stats(&h);
	printf("requests %-6s close: %ld in %.3f s, %.0f ns/request (client included), "
	       "%llu reclaimed from TIME_WAIT\n", path, n, t, t / n * 1e9,
	       (unsigned long long)st->time_wait_reclaimed);
	nt_teardown(&h);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "requests") == 0) {
		const char *path = argc > 2 ? argv[2] : "/tiny";
		long n = argc > 3 ? atol(argv[3]) : 20000;
		if (n <= 0 || (strcmp(path, "/tiny") && strcmp(path, "/10k") && strcmp(path, "/1m"))) {
			fprintf(stderr, "usage: %s requests [/tiny|/10k|/1m] [count > 0] [close]\n",
				argv[0]);
			return 2;
		}
		if (argc > 4 && strcmp(argv[4], "close") == 0)
			bench_close(path, n);
		else
			bench_requests(path, n);
		return 0;
	}
	long iters = argc > 1 ? atol(argv[1]) : 200000;
	if (iters <= 0) {
		fprintf(stderr, "usage: %s [iterations > 0]\n", argv[0]);
		return 2;
	}
	bench_csum(20, iters * 10);
	bench_csum(1460, iters);
	bench_csum(8960, iters / 4);
	bench_page(1500, (int)(iters / 2000) + 1);
	bench_page(9000, (int)(iters / 2000) + 1);
	return 0;
}
