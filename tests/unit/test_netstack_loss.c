/* Unit tests: the netstack under loss, reordering, flow control and a full
 * tx ring: retransmission on RTO with backoff, fast retransmit and NewReno
 * recovery, out-of-order reassembly, zero-window persist, jumbo frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netstack_test_util.h"

/* Drops the first `times` transmissions of the segments starting at the
 * listed sequence numbers. */
struct drop_plan {
	int n;
	uint32_t seq[8];
	int times[8];
	int dropped;
};

static bool drop_planned(void *ctx, const struct nt_seg *s)
{
	struct drop_plan *p = ctx;
	if (!s->len)
		return false;
	for (int i = 0; i < p->n; i++)
		if (s->seq == p->seq[i] && p->times[i] > 0) {
			p->times[i]--;
			p->dropped++;
			return true;
		}
	return false;
}

/* The first flight is the initial window: 10 segments (RFC 6928). */
static void test_initial_window(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 40000);
	nt_request(h, &c, NT_GET("/1m", "keep-alive"));
	assert_int_equal(h->nframes, 10);
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/1m", false);
	assert_int_equal(nt_stats(h)->retransmits, 0);
	assert_int_equal(nt_stats(h)->csum_live, 0); /* all from the page sums */
	nt_conn_free(&c);
}

/* The last segment of a response is lost: no duplicate ACKs can come, so
 * the RTO (200 ms floor, the handshake measured ~0) resends it; lost again,
 * the timer doubles. */
static void test_rto_retransmit(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 40001);
	uint8_t *want;
	size_t n = nt_expected(h, "/10k", false, &want);
	free(want);
	struct drop_plan plan = { .n = 1 };
	plan.seq[0] = c.srv_iss + 1 + (uint32_t)(n / c.seg) * c.seg;
	plan.times[0] = 2;
	c.drop = drop_planned;
	c.drop_ctx = &plan;
	nt_request(h, &c, NT_GET("/10k", "keep-alive"));
	nt_collect(h, &c, true);
	assert_int_equal(plan.dropped, 1);
	assert_int_equal(c.stream_len, n / c.seg * c.seg);
	nt_advance(h, 199);
	assert_int_equal(h->nframes, 0);
	nt_advance(h, 1);
	assert_int_equal(h->nframes, 1);
	nt_collect(h, &c, true); /* dropped again */
	assert_int_equal(plan.dropped, 2);
	nt_advance(h, 399);
	assert_int_equal(h->nframes, 0);
	nt_advance(h, 1);
	assert_int_equal(h->nframes, 1);
	nt_collect(h, &c, true);
	nt_check_reply(h, &c, "/10k", false);
	assert_int_equal(nt_stats(h)->rto_timeouts, 2);
	assert_int_equal(nt_stats(h)->retransmits, 2);
	assert_int_equal(nt_stats(h)->fast_retransmits, 0);
	nt_conn_free(&c);
}

/* A peer that never answers: retransmissions back off exponentially and
 * the connection is aborted with RST after NS_MAX_RETRIES. */
static void test_rto_gives_up(void **state)
{
	struct nt_harness *h = *state;
	nt_teardown(h);
	nt_setup(h, 1500, 8, 0); /* no idle timeout to end it first */
	struct nt_conn c;
	nt_connect(h, &c, 40002);
	nt_request(h, &c, NT_GET("/tiny", "keep-alive"));
	assert_int_equal(h->nframes, 1);
	nt_clear(h);
	uint64_t last = h->now, gap = 0;
	int sends = 0;
	while (netstack_next_deadline(h->ns) != UINT64_MAX && sends < 20) {
		h->now = netstack_next_deadline(h->ns);
		size_t before = h->nframes;
		netstack_poll(h->ns, h->now);
		if (h->nframes > before) {
			struct nt_seg s;
			nt_parse(h, h->nframes - 1, &s);
			if (s.flags & TH_RST)
				break;
			uint64_t g = h->now - last;
			if (gap)
				assert_true(g == 2 * gap || g == 60000 * NT_MS);
			gap = g;
			last = h->now;
			sends++;
		}
	}
	assert_int_equal(sends, 8);
	struct nt_seg s;
	nt_parse(h, h->nframes - 1, &s);
	assert_true(s.flags & TH_RST);
	assert_int_equal(nt_stats(h)->conns_timed_out, 1);
	assert_int_equal(nt_stats(h)->cur_conns, 0);
	nt_conn_free(&c);
}

/* Two segments of one window lost, a peer without SACK: three duplicate
 * ACKs trigger the fast retransmit of the first, the partial ACK that
 * follows makes NewReno resend the second at once; no RTO. */
static void test_fast_retransmit_newreno(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect_opts(h, &c, 40003, 1460, NT_OPT_WS | NT_OPT_TS);
	struct drop_plan plan = { .n = 2 };
	plan.seq[0] = c.srv_iss + 1 + 2 * c.seg;
	plan.seq[1] = c.srv_iss + 1 + 5 * c.seg;
	plan.times[0] = plan.times[1] = 1;
	c.drop = drop_planned;
	c.drop_ctx = &plan;
	nt_request(h, &c, NT_GET("/1m", "keep-alive"));
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/1m", false);
	assert_int_equal(plan.dropped, 2);
	assert_true(nt_stats(h)->dup_acks >= 3);
	assert_int_equal(nt_stats(h)->fast_retransmits, 2); /* 3 dupacks + partial ACK */
	assert_int_equal(nt_stats(h)->retransmits, 2);
	assert_int_equal(nt_stats(h)->rto_timeouts, 0);
	assert_int_equal(nt_stats(h)->sack_recoveries, 0);
	nt_conn_free(&c);
}

/* Random-ish loss over a long transfer: whatever mix of fast retransmit
 * and RTO it takes, the bytes arrive intact. */
static int lossy_counter;
static bool drop_every_37th(void *ctx, const struct nt_seg *s)
{
	(void)ctx;
	return s->len && ++lossy_counter % 37 == 0;
}

static void test_lossy_transfer(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 40004);
	c.drop = drop_every_37th;
	lossy_counter = 0;
	nt_request(h, &c, NT_GET("/1m", "keep-alive"));
	nt_drain_tick(h, &c, 50);
	nt_check_reply(h, &c, "/1m", false);
	assert_true(nt_stats(h)->retransmits > 0);
	nt_conn_free(&c);
}

/* The request arrives in three pieces, last two first: each out-of-order
 * piece is kept and answered by a duplicate ACK; the first completes it. */
static void test_reordering(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 40005);
	const char req[] = NT_GET("/tiny", "keep-alive");
	size_t n = sizeof(req) - 1, a = 10, b = 25;
	uint32_t s0 = c.snd_nxt;
	nt_input(h, c.port, s0 + (uint32_t)b, c.rcv_nxt, TH_ACK, c.win, req + b, n - b);
	assert_int_equal(h->nframes, 1);
	struct nt_seg s;
	nt_parse(h, 0, &s);
	assert_int_equal(s.ack, s0);
	assert_int_equal(s.len, 0);
	nt_clear(h);
	nt_input(h, c.port, s0 + (uint32_t)a, c.rcv_nxt, TH_ACK, c.win, req + a, b - a);
	nt_parse(h, 0, &s);
	assert_int_equal(s.ack, s0);
	nt_clear(h);
	assert_int_equal(nt_stats(h)->out_of_order, 2);
	nt_input(h, c.port, s0, c.rcv_nxt, TH_ACK, c.win, req, a);
	c.snd_nxt = s0 + (uint32_t)n;
	nt_parse(h, 0, &s);
	assert_int_equal(s.ack, c.snd_nxt);
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/tiny", false);
	/* A duplicate of old data is ACKed and ignored. */
	nt_clear(h);
	nt_input(h, c.port, s0, c.rcv_nxt, TH_ACK, c.win, req, a);
	assert_int_equal(h->nframes, 1);
	nt_parse(h, 0, &s);
	assert_int_equal(s.ack, c.snd_nxt);
	assert_int_equal(nt_http_stats(h)->requests, 1);
	nt_conn_free(&c);
}

/* More holes than the reassembly keeps: the extra piece is dropped (and
 * counted); the peer's retransmission completes the request. */
static void test_reorder_overflow(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 40006);
	const char req[] = NT_GET("/tiny", "keep-alive");
	uint32_t s0 = c.snd_nxt;
	for (uint32_t i = 1; i <= 5; i++)
		nt_input(h, c.port, s0 + 2 * i, c.rcv_nxt, TH_ACK, c.win, req + 2 * i, 1);
	assert_int_equal(nt_stats(h)->out_of_order, 4);
	assert_int_equal(nt_stats(h)->ooo_dropped, 1);
	nt_clear(h);
	nt_send(h, &c, req, sizeof(req) - 1);
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/tiny", false);
	nt_conn_free(&c);
}

/* The peer's window closes: the stack stops, probes with one byte on the
 * persist timer (backing off), and resumes when the window reopens. */
static void test_zero_window_persist(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 40007);
	nt_request(h, &c, NT_GET("/1m", "keep-alive"));
	nt_collect(h, &c, false);
	c.win = 0;
	nt_ack(h, &c);
	assert_int_equal(h->nframes, 0);
	nt_advance(h, 199);
	assert_int_equal(h->nframes, 0);
	nt_advance(h, 1);
	assert_int_equal(h->nframes, 1);
	struct nt_seg s;
	nt_parse(h, 0, &s);
	assert_int_equal(s.len, 1);
	assert_int_equal(s.seq, c.rcv_nxt);
	assert_int_equal(nt_stats(h)->zero_window_probes, 1);
	/* Still closed: the byte is refused, the window stays 0. */
	nt_clear(h);
	nt_ack(h, &c);
	assert_int_equal(h->nframes, 0);
	nt_advance(h, 399);
	assert_int_equal(h->nframes, 0);
	nt_advance(h, 1);
	assert_int_equal(h->nframes, 1);
	assert_int_equal(nt_stats(h)->zero_window_probes, 2);
	nt_clear(h);
	/* A small window (2 KiB) is respected: no more than that in flight. */
	c.win = 16; /* << 7 */
	nt_ack(h, &c);
	size_t flight = 0;
	for (size_t i = 0; i < h->nframes; i++) {
		nt_parse(h, i, &s);
		flight += s.len;
	}
	assert_true(flight > 0 && flight <= 2048);
	/* Reopened fully: the transfer completes. */
	c.win = 512;
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/1m", false);
	assert_int_equal(nt_stats(h)->rto_timeouts, 0);
	nt_conn_free(&c);
}

/* Found by fuzz_netstack: the window reopens a little (below one MSS and
 * half the largest window) while the persist probe's byte is unacked, its
 * frame lost. Stopping the persist timer left that byte in flight with no
 * retransmission timer, and sender SWS avoidance held the rest back for an
 * ACK that never came: the transfer hung until the idle timeout. */
static void test_probe_lost_window_reopens_small(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 40010);
	nt_request(h, &c, NT_GET("/1m", "keep-alive"));
	nt_collect(h, &c, false);
	c.win = 0;
	nt_ack(h, &c);
	nt_advance(h, 200);
	assert_int_equal(h->nframes, 1); /* the probe: lost */
	assert_int_equal(nt_stats(h)->zero_window_probes, 1);
	nt_clear(h);
	c.win = 1; /* << 7: 128 bytes */
	nt_ack(h, &c);
	assert_int_equal(h->nframes, 0); /* SWS avoidance: one byte is out */
	nt_advance(h, 2000);
	assert_true(h->nframes >= 1);
	struct nt_seg s;
	nt_parse(h, 0, &s);
	assert_false(s.flags & TH_RST);
	assert_int_equal(s.seq, c.rcv_nxt);
	assert_true(s.len > 0 && s.len <= 128);
	assert_int_equal(nt_stats(h)->rto_timeouts, 1);
	c.win = 512;
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/1m", false);
	nt_conn_free(&c);
}

/* Found reading on_persist, shown by fuzz_netstack's FIN/state invariant
 * (its seed probe-fin): the peer's window stops a Connection: close
 * reply one byte short, then closes. The persist probe carries that last
 * byte, and so our FIN, but the state did not move to FIN_WAIT_1: once the
 * peer acked it and sent its own FIN the connection sat in CLOSE_WAIT for
 * ever (no timer), a slot lost without an idle timeout. */
static void test_probe_carries_fin(void **state)
{
	struct nt_harness *h = *state;
	nt_teardown(h);
	nt_setup(h, 1500, 8, 0); /* no idle timeout to clean up after it */
	uint8_t *want;
	size_t n = nt_expected(h, "/tiny", true, &want);
	free(want);
	const char *req = NT_GET("/tiny", "close");
	uint32_t cseq = 7000, win = (uint32_t)n - 1;
	nt_input(h, 40011, cseq, 0, TH_SYN, (uint16_t)win, NULL, 0); /* no WS */
	struct nt_seg s;
	nt_parse(h, 0, &s);
	uint32_t iss = s.seq;
	nt_clear(h);
	nt_input(h, 40011, cseq + 1, iss + 1, TH_ACK, (uint16_t)win, NULL, 0);
	nt_input(h, 40011, cseq + 1, iss + 1, TH_ACK | TH_PSH, (uint16_t)win, req, strlen(req));
	cseq += 1 + (uint32_t)strlen(req);
	assert_int_equal(h->nframes, 1);
	nt_parse(h, 0, &s);
	assert_int_equal(s.len, n - 1); /* the window's worth, no FIN */
	assert_false(s.flags & TH_FIN);
	nt_clear(h);
	nt_input(h, 40011, cseq, iss + (uint32_t)n, TH_ACK, 0, NULL, 0); /* window closed */
	nt_advance(h, 200);
	assert_int_equal(h->nframes, 1);
	nt_parse(h, 0, &s);
	assert_int_equal(s.len, 1);
	assert_true(s.flags & TH_FIN); /* the probe ends the stream */
	nt_clear(h);
	/* The peer acks the byte and the FIN, then closes. */
	nt_input(h, 40011, cseq, iss + (uint32_t)n + 2, TH_ACK, 1000, NULL, 0);
	nt_input(h, 40011, cseq, iss + (uint32_t)n + 2, TH_ACK | TH_FIN, 1000, NULL, 0);
	assert_int_equal(nt_stats(h)->cur_time_wait, 1);
	nt_advance(h, 1000);
	assert_int_equal(nt_stats(h)->cur_conns, 0);
	assert_int_equal(nt_stats(h)->conns_reset_tx, 0);
}

/* Found by fuzz_netstack: fast retransmit resent "one MSS at snd_una"
 * whatever had been sent there. Behind a one-byte window that was the whole
 * rest of the reply, past the peer's window, with our FIN, which the state
 * never recorded (the peer's ACK of it was then refused as acking unsent
 * data). Now only what was sent before is resent. */
static void test_fast_retransmit_sends_only_what_was_sent(void **state)
{
	struct nt_harness *h = *state;
	const char *req = NT_GET("/tiny", "close");
	uint32_t cseq = 9000;
	nt_input(h, 40012, cseq, 0, TH_SYN, 1, NULL, 0); /* window 1, no WS */
	struct nt_seg s;
	nt_parse(h, 0, &s);
	uint32_t iss = s.seq;
	nt_clear(h);
	nt_input(h, 40012, cseq + 1, iss + 1, TH_ACK, 1, NULL, 0);
	nt_input(h, 40012, cseq + 1, iss + 1, TH_ACK | TH_PSH, 1, req, strlen(req));
	cseq += 1 + (uint32_t)strlen(req);
	assert_int_equal(h->nframes, 1);
	nt_parse(h, 0, &s);
	assert_int_equal(s.len, 1);
	nt_clear(h);
	for (int i = 0; i < 3; i++)
		nt_input(h, 40012, cseq, iss + 1, TH_ACK, 1, NULL, 0);
	assert_int_equal(nt_stats(h)->fast_retransmits, 1);
	assert_int_equal(h->nframes, 1);
	nt_parse(h, 0, &s);
	assert_int_equal(s.seq, iss + 1);
	assert_int_equal(s.len, 1); /* the byte sent, nothing past the window */
	assert_false(s.flags & TH_FIN);
}

/* The other half of the fix above: the client half-closes while its ACK of
 * the reply is lost; our FIN, alone, finds the tx ring full, and the fast
 * retransmission of the reply's last segment is the first frame out. It
 * carries the FIN (it ends the stream), which is accounted for then
 * (CLOSE_WAIT -> LAST_ACK) rather than sent a second time on its own. */
static void test_fast_retransmit_carries_queued_fin(void **state)
{
	struct nt_harness *h = *state;
	const char *req = NT_GET("/tiny", "keep-alive");
	uint32_t cseq = 11000;
	nt_input(h, 40013, cseq, 0, TH_SYN, 65535, NULL, 0);
	struct nt_seg s;
	nt_parse(h, 0, &s);
	uint32_t iss = s.seq;
	nt_clear(h);
	nt_input(h, 40013, cseq + 1, iss + 1, TH_ACK, 65535, NULL, 0);
	nt_input(h, 40013, cseq + 1, iss + 1, TH_ACK | TH_PSH, 65535, req, strlen(req));
	cseq += 1 + (uint32_t)strlen(req);
	assert_int_equal(h->nframes, 1);
	nt_parse(h, 0, &s);
	uint32_t end = iss + 1 + (uint32_t)s.len;
	nt_clear(h);
	h->tx_room = 0; /* the ring is full */
	nt_input(h, 40013, cseq, iss + 1, TH_ACK | TH_FIN, 65535, NULL, 0);
	cseq++;
	nt_input(h, 40013, cseq, iss + 1, TH_ACK, 65535, NULL, 0);
	nt_input(h, 40013, cseq, iss + 1, TH_ACK, 65535, NULL, 0);
	assert_int_equal(h->nframes, 0);
	h->tx_room = -1;
	nt_input(h, 40013, cseq, iss + 1, TH_ACK, 65535, NULL, 0); /* third dup ACK */
	assert_int_equal(nt_stats(h)->fast_retransmits, 1);
	assert_int_equal(h->nframes, 1);
	nt_parse(h, 0, &s);
	assert_int_equal(s.seq, iss + 1);
	assert_int_equal(s.seq + s.len, end);
	assert_true(s.flags & TH_FIN);
	/* The peer acks everything, our FIN included: the connection ends. */
	nt_input(h, 40013, cseq, end + 1, TH_ACK, 65535, NULL, 0);
	assert_int_equal(nt_stats(h)->cur_conns, 0);
	assert_int_equal(nt_stats(h)->conns_reset_tx, 0);
}

/* The tx ring refuses frames: output waits, netstack_tx_blocked says so,
 * and the next poll with room carries on. */
static void test_tx_ring_full(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 40008);
	h->tx_room = 3;
	nt_request(h, &c, NT_GET("/1m", "keep-alive"));
	assert_int_equal(h->nframes, 3);
	assert_true(netstack_tx_blocked(h->ns));
	assert_true(nt_stats(h)->tx_full >= 1);
	h->tx_room = -1;
	netstack_poll(h->ns, h->now);
	assert_false(netstack_tx_blocked(h->ns));
	assert_int_equal(h->nframes, 10);
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/1m", false);
	nt_conn_free(&c);
}

/* The destination port of captured frame i. */
static uint16_t frame_port(const struct nt_harness *h, size_t i)
{
	struct nt_seg s;
	nt_parse(h, i, &s);
	return s.dport;
}

/* Connections the full tx ring refused are served before one that an ACK
 * wakes later: otherwise the connections with data in flight, clocked by
 * their ACKs, keep the ring and the refused ones wait for seconds. */
static void test_tx_ring_waiters_first(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn a, b;
	nt_connect(h, &a, 40030);
	nt_connect(h, &b, 40031);
	nt_request(h, &a, NT_GET("/1m", "keep-alive"));
	nt_collect(h, &a, false);
	nt_request(h, &b, NT_GET("/1m", "keep-alive"));
	nt_collect(h, &b, false);

	h->tx_room = 0; /* the ring is full: a's next data waits */
	nt_ack(h, &a);
	assert_int_equal(h->nframes, 0);
	assert_true(netstack_tx_blocked(h->ns));
	h->tx_room = -1; /* room again, but b's ACK comes before the poll */
	nt_ack(h, &b);
	assert_int_equal(h->nframes, 0);
	netstack_poll(h->ns, h->now);
	assert_true(h->nframes > 2);
	size_t i = 0;
	while (i < h->nframes && frame_port(h, i) == a.port)
		i++;
	assert_true(i > 0); /* a went first */
	assert_true(i < h->nframes);
	for (; i < h->nframes; i++)
		assert_int_equal(frame_port(h, i), b.port);

	/* Both replies arrive whole (b's frames above are lost to nt_drain
	 * of a, and come again by retransmission timeout). */
	nt_drain(h, &a);
	nt_drain_tick(h, &b, 1000);
	nt_check_reply(h, &a, "/1m", false);
	nt_check_reply(h, &b, "/1m", false);
	nt_conn_free(&a);
	nt_conn_free(&b);
}

/* More pipelined requests than the reply queue holds: the rest wait in
 * the receive buffer and are answered as replies are acknowledged. */
static void test_many_pipelined(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 40009);
	char req[40 * 64];
	size_t n = 0;
	for (int i = 0; i < 40; i++)
		n += (size_t)sprintf(req + n, "%s", NT_GET("/tiny", "keep-alive"));
	nt_send(h, &c, req, n);
	nt_drain(h, &c);
	nt_check_replies(h, &c, 0, "/tiny", false, 40);
	assert_int_equal(nt_http_stats(h)->requests, 40);
	nt_conn_free(&c);
}

/* MTU 9000: MSS 8960 (8948 of data beside timestamps), frames up to 9014
 * bytes, sums precomputed for it. */
static void test_jumbo(void **state)
{
	struct nt_harness *h = *state;
	nt_teardown(h);
	nt_setup(h, 9000, 8, 10000);
	struct nt_conn c;
	nt_connect(h, &c, 40010);
	nt_request(h, &c, NT_GET("/1m", "keep-alive"));
	struct nt_seg s;
	nt_parse(h, 0, &s);
	assert_int_equal(s.len, 8948);
	assert_int_equal(c.seg, 8948);
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/1m", false);
	assert_int_equal(nt_stats(h)->csum_live, 0);
	nt_conn_free(&c);
}

/* A peer with a small MSS: segments follow it, checksums are summed live. */
static void test_small_peer_mss(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect_mss(h, &c, 40011, 536);
	nt_request(h, &c, NT_GET("/10k", "keep-alive"));
	for (size_t i = 0; i < h->nframes; i++) {
		struct nt_seg s;
		nt_parse(h, i, &s);
		assert_true(s.len <= 536);
	}
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/10k", false);
	assert_true(nt_stats(h)->csum_live > 0);
	nt_conn_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_initial_window, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_rto_retransmit, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_rto_gives_up, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fast_retransmit_newreno, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_lossy_transfer, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reordering, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reorder_overflow, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_zero_window_persist, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_probe_lost_window_reopens_small, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_probe_carries_fin, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fast_retransmit_sends_only_what_was_sent, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fast_retransmit_carries_queued_fin, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_tx_ring_full, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_tx_ring_waiters_first, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_many_pipelined, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_jumbo, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_small_peer_mss, nt_fixture_setup, nt_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
