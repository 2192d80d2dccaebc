/* Micro-benchmark of the netstack's send path (reported, never asserted).
 *
 *   build/release/tests/bench_netstack [iterations]
 *
 * 1. The internet checksum over one segment's payload: the 64-bit
 *    accumulating csum_partial against the 16-bit reference loop.
 * 2. Cutting a 1 MiB page into segments (headers built, TCP and IP
 *    checksums computed, frame handed to a tx callback) with the page's
 *    precomputed sums against summing every payload byte, for MTU 1500 and
 *    9000; once with a tx that discards, once with one that copies the frame
 *    (as the engine's copy into UMEM does). */
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
	if (!c || c->rcount != 1) {
		fprintf(stderr, "bench: no reply queued\n");
		exit(1);
	}
	const struct page *p = c->replies[c->rhead].page;
	void *sums = p->engine_data;
	for (int mode = NT_TX_DISCARD; mode <= NT_TX_COPY; mode++) {
		h.tx_mode = mode;
		uint64_t segs;
		((struct page *)p)->engine_data = sums;
		double pre = bench_segments(&h, c, rounds, &segs);
		((struct page *)p)->engine_data = NULL;
		double live = bench_segments(&h, c, rounds, &segs);
		((struct page *)p)->engine_data = sums;
		double gbps_pre = c->mss * 8 / pre, gbps_live = c->mss * 8 / live;
		printf("MTU %4u, tx %-7s: %6.1f ns/segment precomputed (%5.1f Gbit/s of payload), "
		       "%6.1f ns live (%5.1f Gbit/s): %.1fx\n",
		       mtu, mode == NT_TX_DISCARD ? "discard" : "copy", pre, gbps_pre,
		       live, gbps_live, live / pre);
	}
	nt_conn_free(&cc);
	nt_teardown(&h);
}

int main(int argc, char **argv)
{
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
