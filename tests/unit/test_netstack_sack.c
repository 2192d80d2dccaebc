/* Unit tests: the netstack's TCP options and what they buy. SACK (RFC 2018)
 * with RFC 6675 recovery of several holes without an RTO, across the 2^32
 * wrap too; SACK blocks we send for out-of-order request bytes; timestamps
 * (RFC 7323) agreed or not, PAWS, RTT from TSecr; and the fixes that came
 * with them: an acceptable-ACK rule for window updates, a persist backoff
 * that leaves the RTO alone, RFC 5961's exact-match RST in SYN_RECEIVED and
 * a fast retransmit the tx ring refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "netstack_test_util.h"

/* Drops the first transmission of the segments starting at the listed
 * sequence numbers; with `full_at`, the tx ring fills when that segment
 * arrives (so the ACK it causes finds no room). */
struct drop_plan {
	int n;
	uint32_t seq[8];
	int dropped;
	struct nt_harness *h;
	bool has_full_at;
	uint32_t full_at;
};

static bool drop_planned(void *ctx, const struct nt_seg *s)
{
	struct drop_plan *p = ctx;
	if (!s->len)
		return false;
	if (p->has_full_at && s->seq == p->full_at) {
		p->h->tx_room = 0;
		p->has_full_at = false;
	}
	for (int i = 0; i < p->n; i++)
		if (s->seq == p->seq[i]) {
			p->seq[i] = s->seq + 1; /* only once: never matches again */
			p->dropped++;
			return true;
		}
	return false;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

/* Three segments lost in one window: SACK marks them lost and RFC 6675
 * resends each once, in one recovery, with no RTO. */
static void test_sack_multiple_holes(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 44000);
	assert_true(c.sack_ok && c.ts_ok);
	struct drop_plan plan = { .n = 3 };
	for (int i = 0; i < 3; i++)
		plan.seq[i] = c.srv_iss + 1 + (uint32_t)(2 + 3 * i) * c.seg;
	c.drop = drop_planned;
	c.drop_ctx = &plan;
	nt_request(h, &c, NT_GET("/1m", "keep-alive"));
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/1m", false);
	const struct netstack_stats *st = nt_stats(h);
	assert_int_equal(plan.dropped, 3);
	assert_int_equal(st->rto_timeouts, 0);
	assert_int_equal(st->sack_recoveries, 1);
	assert_int_equal(st->retransmits, 3); /* each hole once, nothing else */
	assert_true(st->sack_blocks_rx > 0);
	assert_true(st->sacked_bytes > 0);
	assert_int_equal(st->csum_live, 0);
	nt_conn_free(&c);
}

/* A transfer that crosses sequence number 2^32: ISN forced just below it,
 * segments lost before, across and after the wrap, several per window;
 * SACK recovers all of them, no RTO, every byte intact. */
static void test_sack_across_seq_wrap(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	const uint32_t iss = 0u - 300000u;
	nt_connect(h, &c, 44001);
	h->cfg.isn_offset = iss - c.srv_iss; /* same 4-tuple, same clock */
	nt_conn_free(&c);
	nt_restart(h);
	nt_connect(h, &c, 44001);
	assert_int_equal(c.srv_iss, iss);
	struct drop_plan plan = { .n = 7 };
	const uint32_t segs[7] = { 50, 52, 205, 207, 208, 400, 600 };
	for (int i = 0; i < 7; i++)
		plan.seq[i] = c.srv_iss + 1 + segs[i] * c.seg;
	/* Segment 207 straddles the wrap. */
	assert_true(plan.seq[3] > plan.seq[3] + c.seg);
	c.drop = drop_planned;
	c.drop_ctx = &plan;
	nt_request(h, &c, NT_GET("/1m", "keep-alive"));
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/1m", false);
	assert_true(c.rcv_nxt < iss); /* wrapped */
	assert_int_equal(plan.dropped, 7);
	assert_int_equal(nt_stats(h)->rto_timeouts, 0);
	assert_int_equal(nt_stats(h)->retransmits, 7);
	assert_true(nt_stats(h)->sack_recoveries >= 3);
	nt_conn_free(&c);
}

/* Out-of-order request bytes: each duplicate ACK carries SACK blocks, the
 * block of the latest arrival first (RFC 2018 4). */
static void test_sack_blocks_sent(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 44002);
	const char req[] = NT_GET("/tiny", "keep-alive");
	const uint32_t cut[6] = { 0, 8, 16, 24, 32, sizeof(req) - 1 };
	uint32_t s0 = c.snd_nxt;
	struct nt_seg s;
#define PIECE(i) nt_input(h, c.port, s0 + cut[i], c.rcv_nxt, TH_ACK, c.win, \
			  req + cut[i], cut[(i) + 1] - cut[i])
	PIECE(3);
	nt_parse(h, 0, &s);
	assert_int_equal(s.ack, s0);
	assert_int_equal(s.nsack, 1);
	assert_int_equal(s.sack[0][0], s0 + cut[3]);
	assert_int_equal(s.sack[0][1], s0 + cut[4]);
	assert_true(s.timestamps);
	nt_clear(h);
	PIECE(1);
	nt_parse(h, 0, &s);
	assert_int_equal(s.nsack, 2);
	assert_int_equal(s.sack[0][0], s0 + cut[1]); /* the latest first */
	assert_int_equal(s.sack[0][1], s0 + cut[2]);
	assert_int_equal(s.sack[1][0], s0 + cut[3]);
	assert_int_equal(s.sack[1][1], s0 + cut[4]);
	nt_clear(h);
	PIECE(2); /* fills between: one block */
	nt_parse(h, 0, &s);
	assert_int_equal(s.nsack, 1);
	assert_int_equal(s.sack[0][0], s0 + cut[1]);
	assert_int_equal(s.sack[0][1], s0 + cut[4]);
	nt_clear(h);
	PIECE(0); /* complete: the reply, no SACK blocks */
	nt_parse(h, 0, &s);
	assert_int_equal(s.ack, s0 + cut[4]);
	nt_clear(h);
	PIECE(4);
#undef PIECE
	c.snd_nxt = s0 + cut[5];
	nt_parse(h, 0, &s);
	assert_int_equal(s.ack, c.snd_nxt);
	assert_int_equal(s.nsack, 0);
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/tiny", false);
	assert_int_equal(nt_stats(h)->sack_blocks_tx, 4);

	/* A peer without SACK gets none. */
	struct nt_conn d;
	nt_connect_opts(h, &d, 44003, 1460, NT_OPT_WS | NT_OPT_TS);
	nt_input(h, d.port, d.snd_nxt + 5, d.rcv_nxt, TH_ACK, d.win, "x", 1);
	nt_parse(h, 0, &s);
	assert_int_equal(s.ack, d.snd_nxt);
	assert_int_equal(s.nsack, 0);
	assert_int_equal(nt_stats(h)->sack_blocks_tx, 4);
	nt_conn_free(&c);
	nt_conn_free(&d);
}

/* Timestamps agreed: every segment carries them, TSecr echoes our latest
 * TSval, TSval follows a 1 ms clock, full segments carry MSS - 12 bytes and
 * are still summed from the page sums. */
static void test_timestamps_negotiated(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 44004);
	assert_int_equal(c.seg, 1448);
	nt_advance(h, 7);
	nt_request(h, &c, NT_GET("/10k", "keep-alive"));
	assert_true(h->nframes > 2);
	struct nt_seg s;
	uint32_t tsval0 = 0;
	for (size_t i = 0; i < h->nframes; i++) {
		nt_parse(h, i, &s);
		assert_true(s.timestamps);
		assert_int_equal(s.tsecr, nt_tsval(h));
		if (i == 0)
			tsval0 = s.tsval;
		assert_int_equal(s.tsval, tsval0);
		if (i + 1 < h->nframes)
			assert_int_equal(s.len, 1448);
	}
	nt_collect(h, &c, false);
	nt_advance(h, 5);
	nt_request(h, &c, NT_GET("/tiny", "keep-alive"));
	nt_parse(h, 0, &s);
	assert_int_equal(s.tsval, tsval0 + 5);
	assert_int_equal(s.tsecr, nt_tsval(h));
	nt_drain(h, &c);
	assert_int_equal(nt_stats(h)->csum_live, 0);
	assert_true(nt_stats(h)->ts_rtt_samples > 0);
	nt_conn_free(&c);
}

/* Not offered, not answered: no timestamps, 1460-byte segments (and SACK
 * alone still works); nothing offered: a bare SYN-ACK but the MSS. */
static void test_timestamps_not_negotiated(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect_opts(h, &c, 44005, 1460, NT_OPT_WS | NT_OPT_SACK);
	assert_true(c.sack_ok && !c.ts_ok);
	assert_int_equal(c.seg, 1460);
	nt_request(h, &c, NT_GET("/10k", "keep-alive"));
	struct nt_seg s;
	nt_parse(h, 0, &s);
	assert_false(s.timestamps);
	assert_int_equal(s.len, 1460);
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/10k", false);
	assert_int_equal(nt_stats(h)->csum_live, 0);
	assert_int_equal(nt_stats(h)->ts_rtt_samples, 0);

	struct nt_conn d;
	nt_connect_opts(h, &d, 44006, 1460, 0); /* asserts no SACK, no TS */
	assert_int_equal(d.wscale, -1);
	nt_request(h, &d, NT_GET("/tiny", "keep-alive"));
	nt_drain(h, &d);
	nt_check_reply(h, &d, "/tiny", false);
	nt_conn_free(&c);
	nt_conn_free(&d);
}

/* PAWS: a segment with an older TSval is dropped and answered by an ACK;
 * a RST is exempt. */
static void test_paws(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 44007);
	nt_advance(h, 100);
	nt_ack(h, &c); /* TS.Recent moves to now */
	const char req[] = NT_GET("/tiny", "keep-alive");
	uint8_t o[12] = { 1, 1, 8, 10 }, f[NT_FRAME_MAX];
	put32(o + 4, nt_tsval(h) - 50); /* an old duplicate */
	put32(o + 8, 0);
	size_t n = nt_build(h, f, c.port, c.snd_nxt, c.rcv_nxt, TH_ACK | TH_PSH, c.win, o,
			    sizeof(o), req, sizeof(req) - 1);
	nt_input_raw(h, f, n);
	assert_int_equal(h->nframes, 1);
	struct nt_seg s;
	nt_parse(h, 0, &s);
	assert_int_equal(s.len, 0);
	assert_int_equal(s.ack, c.snd_nxt); /* not taken */
	assert_int_equal(nt_stats(h)->paws_dropped, 1);
	assert_int_equal(nt_http_stats(h)->requests, 0);
	nt_clear(h);
	nt_request(h, &c, req); /* a current TSval: served */
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/tiny", false);
	/* A RST with an old TSval and the exact sequence number resets. */
	n = nt_build(h, f, c.port, c.snd_nxt, 0, TH_RST, 0, o, sizeof(o), NULL, 0);
	nt_input_raw(h, f, n);
	assert_int_equal(nt_stats(h)->conns_reset_rx, 1);
	assert_int_equal(nt_stats(h)->paws_dropped, 1);
	nt_conn_free(&c);
}

/* RTT from TSecr: the ACK of a retransmission is timed (Karn's rule would
 * forbid it without timestamps), so the RTO follows the 300 ms measured
 * instead of staying at its backed-off 400 ms. */
static void test_rtt_from_tsecr(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 44008);
	struct drop_plan plan = { .n = 1 };
	plan.seq[0] = c.srv_iss + 1;
	c.drop = drop_planned;
	c.drop_ctx = &plan;
	nt_request(h, &c, NT_GET("/tiny", "keep-alive"));
	nt_collect(h, &c, true);
	assert_int_equal(plan.dropped, 1);
	nt_advance(h, 200); /* RTO: resent, the timer backs off to 400 ms */
	assert_int_equal(nt_stats(h)->rto_timeouts, 1);
	assert_int_equal(h->nframes, 1);
	uint64_t samples = nt_stats(h)->ts_rtt_samples;
	nt_advance(h, 300);
	nt_collect(h, &c, true); /* the ACK echoes the retransmission's TSval */
	nt_check_reply(h, &c, "/tiny", false);
	assert_int_equal(nt_stats(h)->ts_rtt_samples, samples + 1);
	/* srtt 37.5 ms, rttvar 75 ms: RTO ~338 ms. */
	plan.seq[0] = c.rcv_nxt;
	nt_request(h, &c, NT_GET("/tiny", "keep-alive"));
	nt_collect(h, &c, true);
	assert_int_equal(plan.dropped, 2);
	nt_advance(h, 300);
	assert_int_equal(h->nframes, 0);
	nt_advance(h, 50);
	assert_int_equal(h->nframes, 1);
	assert_int_equal(nt_stats(h)->rto_timeouts, 2);
	nt_conn_free(&c);
}

/* RFC 9293 3.10.7.4: an ACK below snd_una does not update the window, even
 * from a newer segment: here it says 0, and believing it would stop the
 * transfer for the persist timer. */
static void test_window_update_old_ack(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 44009);
	nt_request(h, &c, NT_GET("/1m", "keep-alive"));
	nt_collect(h, &c, true); /* acks the first flight; more is out */
	assert_true(h->nframes > 0);
	nt_clear(h);
	nt_send(h, &c, "G", 1); /* WL1 = this seq */
	/* Newer (seq > WL1: the WL rule alone would take it), but its ACK
	 * is below snd_una. */
	nt_input(h, c.port, c.snd_nxt, c.srv_iss + 1, TH_ACK, 0, "E", 1);
	c.snd_nxt++;
	nt_clear(h);
	nt_advance(h, 200); /* silence: the RTO, not a probe */
	assert_int_equal(nt_stats(h)->zero_window_probes, 0);
	assert_int_equal(nt_stats(h)->rto_timeouts, 1);
	struct nt_seg s;
	nt_parse(h, 0, &s);
	assert_int_equal(s.seq, c.rcv_nxt);
	assert_true(s.len > 1);
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/1m", false);
	nt_conn_free(&c);
}

/* Zero-window probes back off (200, 400, 800 ms) on their own shift: once
 * the window opens, a loss waits for the unchanged 200 ms RTO. */
static void test_persist_keeps_rto(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 44010);
	nt_request(h, &c, NT_GET("/1m", "keep-alive"));
	nt_collect(h, &c, false);
	c.win = 0;
	nt_ack(h, &c);
	const uint64_t gaps[3] = { 200, 400, 800 };
	for (int i = 0; i < 3; i++) {
		nt_advance(h, gaps[i] - 1);
		assert_int_equal(h->nframes, 0);
		nt_advance(h, 1);
		assert_int_equal(h->nframes, 1);
		nt_collect(h, &c, false); /* the probe's byte is taken */
		nt_ack(h, &c);            /* but the window stays 0 */
		nt_clear(h);
	}
	assert_int_equal(nt_stats(h)->zero_window_probes, 3);
	c.win = 512;
	nt_ack(h, &c);
	assert_true(h->nframes > 0);
	nt_clear(h);
	nt_advance(h, 199);
	assert_int_equal(h->nframes, 0);
	nt_advance(h, 1);
	assert_int_equal(h->nframes, 1);
	assert_int_equal(nt_stats(h)->rto_timeouts, 1);
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/1m", false);
	nt_conn_free(&c);
}

/* RFC 5961 3.2 in SYN_RECEIVED: an in-window RST that is not exactly
 * rcv_nxt gets a challenge ACK; the exact one frees the half-open slot. */
static void test_rst_exact_in_syn_received(void **state)
{
	struct nt_harness *h = *state;
	nt_input(h, 44011, 5000, 0, TH_SYN, 65535, NULL, 0);
	struct nt_seg s;
	nt_parse(h, 0, &s);
	assert_int_equal(s.flags, TH_SYN | TH_ACK);
	uint32_t iss = s.seq;
	nt_clear(h);
	nt_input(h, 44011, 5001 + 10, 0, TH_RST, 0, NULL, 0);
	assert_int_equal(h->nframes, 1);
	nt_parse(h, 0, &s);
	assert_int_equal(s.flags, TH_ACK);
	assert_int_equal(s.seq, iss + 1);
	assert_int_equal(s.ack, 5001);
	assert_int_equal(nt_stats(h)->challenge_acks, 1);
	assert_int_equal(nt_stats(h)->cur_conns, 1);
	nt_clear(h);
	nt_input(h, 44011, 5001 + 1000000, 0, TH_RST, 0, NULL, 0); /* outside */
	assert_int_equal(h->nframes, 0);
	assert_int_equal(nt_stats(h)->cur_conns, 1);
	nt_input(h, 44011, 5001, 0, TH_RST, 0, NULL, 0);
	assert_int_equal(h->nframes, 0);
	assert_int_equal(nt_stats(h)->conns_reset_rx, 1);
	assert_int_equal(nt_stats(h)->cur_conns, 0);
}

/* The fast retransmit is decided while the tx ring is full: it stays owed
 * and is the first frame out when room returns; no RTO. */
static void fast_rtx_ring_full(struct nt_harness *h, unsigned opts)
{
	struct nt_conn c;
	nt_connect_opts(h, &c, 44012, 1460, opts);
	struct drop_plan plan = { .n = 1, .h = h, .has_full_at = true };
	uint32_t hole = c.srv_iss + 1 + 2 * c.seg;
	plan.seq[0] = hole;
	plan.full_at = c.srv_iss + 1 + 5 * c.seg; /* the third after the hole */
	c.drop = drop_planned;
	c.drop_ctx = &plan;
	nt_request(h, &c, NT_GET("/1m", "keep-alive"));
	nt_collect(h, &c, true);
	assert_int_equal(plan.dropped, 1);
	assert_int_equal(h->tx_room, 0);
	assert_int_equal(nt_stats(h)->fast_retransmits, 1);
	assert_int_equal(nt_stats(h)->retransmits, 0);
	assert_true(netstack_tx_blocked(h->ns));
	size_t before = h->nframes; /* sent before the ring filled */
	h->tx_room = -1;
	netstack_poll(h->ns, h->now);
	assert_true(h->nframes > before);
	struct nt_seg s;
	nt_parse(h, before, &s);
	assert_int_equal(s.seq, hole);
	assert_int_equal(nt_stats(h)->retransmits, 1);
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/1m", false);
	assert_int_equal(nt_stats(h)->rto_timeouts, 0);
	assert_int_equal(nt_stats(h)->retransmits, 1);
	nt_conn_free(&c);
}

static void test_fast_rtx_ring_full_sack(void **state)
{
	fast_rtx_ring_full(*state, NT_OPT_LINUX);
}

static void test_fast_rtx_ring_full_newreno(void **state)
{
	fast_rtx_ring_full(*state, NT_OPT_WS | NT_OPT_TS);
}

/* Random loss (4% of data segments, retransmissions included), a SACK peer
 * and a peer without, across the 2^32 wrap: whatever mix of SACK recovery,
 * NewReno and RTO it takes, two pipelined replies arrive intact. The clock
 * jumps to the stack's next deadline whenever nothing is in flight to us. */
static uint32_t loss_rng;
static bool drop_random(void *ctx, const struct nt_seg *s)
{
	(void)ctx;
	loss_rng = loss_rng * 1103515245u + 12345u;
	return s->len && (loss_rng >> 16) % 100 < 4;
}

static void test_random_loss_across_wrap(void **state)
{
	struct nt_harness *h = *state;
	for (uint32_t seed = 1; seed <= 8; seed++) {
		unsigned opts = seed % 2 ? NT_OPT_LINUX : NT_OPT_WS | NT_OPT_TS;
		struct nt_conn c;
		nt_restart(h); /* fresh counters and table */
		nt_connect_opts(h, &c, 44020, 1460, opts);
		h->cfg.isn_offset += (0u - 400000u) - c.srv_iss;
		nt_conn_free(&c);
		nt_restart(h);
		nt_connect_opts(h, &c, 44020, 1460, opts);
		loss_rng = seed;
		c.drop = drop_random;
		nt_request(h, &c, NT_GET("/1m", "keep-alive") NT_GET("/10k", "keep-alive"));
		uint8_t *w1, *w2;
		size_t n1 = nt_expected(h, "/1m", false, &w1);
		size_t n2 = nt_expected(h, "/10k", false, &w2);
		for (int i = 0; i < 100000 && c.stream_len < n1 + n2; i++) {
			if (nt_collect(h, &c, true) || h->nframes)
				continue;
			uint64_t d = netstack_next_deadline(h->ns);
			assert_true(d != UINT64_MAX); /* data owed: a timer runs */
			nt_advance(h, (d > h->now ? d - h->now : 0) / NT_MS + 1);
		}
		assert_int_equal(c.stream_len, n1 + n2);
		assert_memory_equal(c.stream, w1, n1);
		assert_memory_equal(c.stream + n1, w2, n2);
		assert_true(c.rcv_nxt < c.srv_iss); /* wrapped */
		assert_true(nt_stats(h)->fast_retransmits > 0);
		free(w1);
		free(w2);
		nt_conn_free(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sack_multiple_holes, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_sack_across_seq_wrap, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_sack_blocks_sent, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_timestamps_negotiated, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_timestamps_not_negotiated, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_paws, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_rtt_from_tsecr, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_window_update_old_ack, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_persist_keeps_rto, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_rst_exact_in_syn_received, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fast_rtx_ring_full_sack, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fast_rtx_ring_full_newreno, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_random_loss_across_wrap, nt_fixture_setup, nt_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
