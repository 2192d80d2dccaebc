/* Unit tests: the netstack's frame handling and TCP connection life cycle,
 * scripted frame by frame against a fake clock and a capturing tx. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "netstack_test_util.h"

/* SYN-ACK: MSS from the MTU, window scale (the peer offered it), no SACK or
 * timestamps, our MAC/IP/port, the peer's MAC, DF set, checksums right. */
static void test_handshake(void **state)
{
	struct nt_harness *h = *state;
	static const uint8_t opts[8] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 };
	uint8_t f[200];
	size_t n = nt_build(h, f, 40000, 5000, 0, TH_SYN, 64240, opts, 8, NULL, 0);
	nt_input_raw(h, f, n);
	assert_int_equal(h->nframes, 1);
	struct nt_seg s;
	nt_parse(h, 0, &s);
	assert_true(s.ip_csum_ok && s.tcp_csum_ok && s.df);
	assert_memory_equal(s.dst_mac, h->cli_mac, 6);
	assert_memory_equal(s.src_mac, h->srv_mac, 6);
	assert_int_equal(s.saddr, h->srv_ip);
	assert_int_equal(s.daddr, h->cli_ip);
	assert_int_equal(s.sport, NT_PORT);
	assert_int_equal(s.dport, 40000);
	assert_int_equal(s.flags, TH_SYN | TH_ACK);
	assert_int_equal(s.ack, 5001);
	assert_int_equal(s.mss, 1460);
	assert_int_equal(s.wscale, 0);
	assert_false(s.sack_ok);
	assert_false(s.timestamps);
	assert_true(s.win > 0);
	/* The SYN is retransmitted (our SYN-ACK was lost): answered again,
	 * same ISN. */
	nt_clear(h);
	nt_input_raw(h, f, n);
	assert_int_equal(h->nframes, 1);
	struct nt_seg s2;
	nt_parse(h, 0, &s2);
	assert_int_equal(s2.flags, TH_SYN | TH_ACK);
	assert_int_equal(s2.seq, s.seq);
	assert_int_equal(nt_stats(h)->syn_retransmits_rx, 1);
	/* Without window scale offered, none is answered. */
	nt_clear(h);
	n = nt_build(h, f, 40001, 9000, 0, TH_SYN, 64240, opts, 4, NULL, 0);
	nt_input_raw(h, f, n);
	nt_parse(h, 0, &s);
	assert_int_equal(s.wscale, -1);
	assert_int_equal(s.mss, 1460);
	/* The handshake completes with the ACK. */
	nt_clear(h);
	nt_input(h, 40000, 5001, s2.seq + 1, TH_ACK, 100, NULL, 0);
	assert_int_equal(h->nframes, 0);
	assert_int_equal(nt_stats(h)->conns_established, 1);
	assert_int_equal(nt_stats(h)->conns_opened, 2);
}

/* SYN-ACK lost and the peer silent: retransmitted with backoff, then the
 * half-open connection is dropped. */
static void test_synack_retransmit(void **state)
{
	struct nt_harness *h = *state;
	/* Without an idle timeout, which would end it first. */
	nt_teardown(h);
	nt_setup(h, 1500, 8, 0);
	nt_input(h, 40002, 77, 0, TH_SYN, 65535, NULL, 0);
	assert_int_equal(h->nframes, 1);
	nt_clear(h);
	nt_advance(h, 999);
	assert_int_equal(h->nframes, 0);
	nt_advance(h, 1);
	assert_int_equal(h->nframes, 1); /* after 1 s */
	nt_advance(h, 1999);
	assert_int_equal(h->nframes, 1);
	nt_advance(h, 1);
	assert_int_equal(h->nframes, 2); /* then 2 s later */
	for (int i = 0; i < 200; i++)
		nt_advance(h, 1000);
	assert_int_equal(nt_stats(h)->synack_retransmits, 5);
	assert_int_equal(nt_stats(h)->conns_timed_out, 1);
	assert_int_equal(nt_stats(h)->cur_conns, 0);
}

/* A request in, the exact response bytes out; keep-alive serves a second
 * request on the same connection; every data segment within the MSS. */
static void test_request_response(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 41000);
	nt_request(h, &c, NT_GET("/10k", "keep-alive"));
	struct nt_seg s;
	nt_parse(h, 0, &s);
	assert_int_equal(s.ack, c.snd_nxt); /* the request is acked */
	for (size_t i = 0; i < h->nframes; i++) {
		nt_parse(h, i, &s);
		assert_true(s.len <= 1460);
	}
	nt_drain(h, &c);
	size_t first = nt_check_replies(h, &c, 0, "/10k", false, 1);
	assert_false(c.fin_seen);

	nt_request(h, &c, NT_GET("/tiny", "keep-alive"));
	assert_int_equal(h->nframes, 1); /* the ACK rides on the reply */
	nt_drain(h, &c);
	nt_check_replies(h, &c, first, "/tiny", false, 1);
	assert_int_equal(nt_http_stats(h)->requests, 2);
	assert_true(nt_stats(h)->csum_precomputed > 0);
	assert_int_equal(nt_stats(h)->retransmits, 0);
	nt_conn_free(&c);
}

/* Two pipelined requests in one segment: two replies, in order. */
static void test_pipelined(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 41001);
	nt_request(h, &c, NT_GET("/tiny", "keep-alive") NT_GET("/tiny", "keep-alive"));
	nt_drain(h, &c);
	nt_check_replies(h, &c, 0, "/tiny", false, 2);
	nt_conn_free(&c);
}

/* Connection: close: reply, FIN from us, the peer's FIN, TIME_WAIT, which
 * ends after time_wait_ms. */
static void test_server_close_time_wait(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 41002);
	nt_request(h, &c, NT_GET("/tiny", "close"));
	nt_collect(h, &c, false);
	assert_true(c.fin_seen);
	nt_check_reply(h, &c, "/tiny", true);
	/* The peer ACKs our FIN and sends its own. */
	nt_input(h, c.port, c.snd_nxt, c.rcv_nxt, TH_ACK | TH_FIN, c.win, NULL, 0);
	c.snd_nxt++;
	assert_int_equal(h->nframes, 1);
	struct nt_seg s;
	nt_parse(h, 0, &s);
	assert_int_equal(s.flags, TH_ACK);
	assert_int_equal(s.ack, c.snd_nxt);
	assert_int_equal(nt_stats(h)->cur_time_wait, 1);
	/* Our ACK was lost: the peer's FIN again is ACKed again. */
	nt_clear(h);
	nt_input(h, c.port, c.snd_nxt - 1, c.rcv_nxt, TH_ACK | TH_FIN, c.win, NULL, 0);
	assert_int_equal(h->nframes, 1);
	nt_parse(h, 0, &s);
	assert_int_equal(s.ack, c.snd_nxt);
	nt_advance(h, 1001);
	assert_int_equal(nt_stats(h)->cur_time_wait, 0);
	assert_int_equal(nt_stats(h)->cur_conns, 0);
	nt_conn_free(&c);
}

/* A new SYN for a 4-tuple in TIME_WAIT with a higher ISN opens a new
 * connection at once; TIME_WAIT slots are reclaimed when the table is full
 * of them. */
static void test_time_wait_reuse_and_reclaim(void **state)
{
	struct nt_harness *h = *state;
	for (uint16_t i = 0; i < 8; i++) {
		struct nt_conn c;
		nt_connect(h, &c, (uint16_t)(42000 + i));
		nt_request(h, &c, NT_GET("/tiny", "close"));
		nt_collect(h, &c, false);
		assert_true(c.fin_seen);
		nt_input(h, c.port, c.snd_nxt, c.rcv_nxt, TH_ACK | TH_FIN, c.win, NULL, 0);
		nt_clear(h);
		nt_conn_free(&c);
	}
	assert_int_equal(nt_stats(h)->cur_time_wait, 8);
	assert_int_equal(nt_stats(h)->cur_conns, 8);
	/* Table full of TIME_WAIT: a new peer still gets in. */
	struct nt_conn c;
	nt_connect(h, &c, 43000);
	assert_int_equal(nt_stats(h)->time_wait_reclaimed, 1);
	/* Port reuse: SYN on 42001 (in TIME_WAIT) with a later ISN. */
	nt_clear(h);
	nt_input(h, 42001, 1000000u * 42001 + 1000000, 0, TH_SYN, 65535, NULL, 0);
	assert_int_equal(h->nframes, 1);
	struct nt_seg s;
	nt_parse(h, 0, &s);
	assert_int_equal(s.flags, TH_SYN | TH_ACK);
	assert_int_equal(nt_stats(h)->time_wait_reused, 1);
	nt_conn_free(&c);
}

/* The client half-closes after its request: the reply still comes, then
 * our FIN (LAST_ACK), and its ACK frees the slot. */
static void test_half_close(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 41003);
	const char req[] = NT_GET("/10k", "keep-alive");
	nt_input(h, c.port, c.snd_nxt, c.rcv_nxt, TH_ACK | TH_PSH | TH_FIN, c.win,
		 req, sizeof(req) - 1);
	c.snd_nxt += sizeof(req) - 1 + 1;
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/10k", false);
	assert_true(c.fin_seen);
	assert_int_equal(nt_stats(h)->cur_conns, 0); /* our FIN acked: closed */
	assert_int_equal(nt_stats(h)->cur_time_wait, 0);
	nt_conn_free(&c);
}

/* The client's FIN arrives in the middle of a long response: the response
 * is still completed. */
static void test_fin_mid_response(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 41004);
	nt_request(h, &c, NT_GET("/1m", "keep-alive"));
	nt_collect(h, &c, false);
	nt_input(h, c.port, c.snd_nxt, c.rcv_nxt, TH_ACK | TH_FIN, c.win, NULL, 0);
	c.snd_nxt++;
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/1m", false);
	assert_true(c.fin_seen);
	assert_int_equal(nt_stats(h)->cur_conns, 0);
	nt_conn_free(&c);
}

/* Both sides close at once: FIN crosses FIN (CLOSING), then TIME_WAIT. */
static void test_simultaneous_close(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 41005);
	nt_request(h, &c, NT_GET("/tiny", "close"));
	/* The peer has not seen our reply + FIN yet and sends its FIN, acking
	 * only its own request's reply-less state. */
	uint32_t srv_next = c.rcv_nxt;
	nt_collect(h, &c, false);
	assert_true(c.fin_seen);
	nt_input(h, c.port, c.snd_nxt, srv_next, TH_ACK | TH_FIN, c.win, NULL, 0);
	c.snd_nxt++;
	struct nt_seg s;
	nt_parse(h, h->nframes - 1, &s);
	assert_int_equal(s.ack, c.snd_nxt); /* its FIN acked */
	assert_int_equal(nt_stats(h)->cur_time_wait, 0); /* CLOSING: ours not acked */
	nt_clear(h);
	nt_input(h, c.port, c.snd_nxt, c.rcv_nxt, TH_ACK, c.win, NULL, 0);
	assert_int_equal(nt_stats(h)->cur_time_wait, 1);
	nt_conn_free(&c);
}

/* RST in the middle of a transfer: exact sequence number resets, one
 * elsewhere in the window gets a challenge ACK (RFC 5961), one outside the
 * window is ignored. */
static void test_rst_during_transfer(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 41006);
	nt_request(h, &c, NT_GET("/1m", "keep-alive"));
	nt_collect(h, &c, false);
	nt_input(h, c.port, c.snd_nxt + 100, 0, TH_RST, 0, NULL, 0);
	assert_int_equal(h->nframes, 1);
	struct nt_seg s;
	nt_parse(h, 0, &s);
	assert_int_equal(s.flags, TH_ACK);
	assert_int_equal(nt_stats(h)->challenge_acks, 1);
	nt_clear(h);
	nt_input(h, c.port, c.snd_nxt + 100000, 0, TH_RST, 0, NULL, 0);
	assert_int_equal(h->nframes, 0);
	assert_int_equal(nt_stats(h)->cur_conns, 1);
	nt_input(h, c.port, c.snd_nxt, 0, TH_RST, 0, NULL, 0);
	assert_int_equal(h->nframes, 0); /* never answer a RST */
	assert_int_equal(nt_stats(h)->conns_reset_rx, 1);
	assert_int_equal(nt_stats(h)->cur_conns, 0);
	/* Its timers went with it: nothing more is sent. */
	nt_advance(h, 5000);
	assert_int_equal(h->nframes, 0);
	nt_conn_free(&c);
}

/* A SYN on an established connection: challenge ACK, not a reset. */
static void test_syn_on_established(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 41007);
	nt_clear(h);
	nt_input(h, c.port, 12345, 0, TH_SYN, 65535, NULL, 0);
	assert_int_equal(h->nframes, 1);
	struct nt_seg s;
	nt_parse(h, 0, &s);
	assert_int_equal(s.flags, TH_ACK);
	assert_int_equal(s.ack, c.snd_nxt);
	assert_int_equal(nt_stats(h)->challenge_acks, 1);
	assert_int_equal(nt_stats(h)->cur_conns, 1);
}

/* Segments of unknown connections get RST (never a RST for a RST). */
static void test_unknown_connection(void **state)
{
	struct nt_harness *h = *state;
	nt_input(h, 50000, 1, 777, TH_ACK, 100, "x", 1);
	assert_int_equal(h->nframes, 1);
	struct nt_seg s;
	nt_parse(h, 0, &s);
	assert_int_equal(s.flags, TH_RST);
	assert_int_equal(s.seq, 777);
	nt_clear(h);
	nt_input(h, 50000, 1, 0, TH_FIN, 100, "ab", 2);
	nt_parse(h, 0, &s);
	assert_int_equal(s.flags, TH_RST | TH_ACK);
	assert_int_equal(s.ack, 1 + 2 + 1);
	nt_clear(h);
	nt_input(h, 50000, 1, 0, TH_RST, 0, NULL, 0);
	nt_input(h, 50000, 1, 5, TH_RST | TH_ACK, 0, NULL, 0);
	assert_int_equal(h->nframes, 0);
	assert_int_equal(nt_stats(h)->unknown_conn_rst, 2);
	assert_int_equal(nt_stats(h)->cur_conns, 0);
}

/* More SYNs than slots: the rest are refused with RST and counted, and the
 * accepted ones still work. */
static void test_syn_flood_past_cap(void **state)
{
	struct nt_harness *h = *state;
	for (uint16_t i = 0; i < 20; i++)
		nt_input(h, (uint16_t)(30000 + i), 100u * i, 0, TH_SYN, 65535, NULL, 0);
	assert_int_equal(h->nframes, 20);
	int synacks = 0, rsts = 0;
	for (size_t i = 0; i < h->nframes; i++) {
		struct nt_seg s;
		nt_parse(h, i, &s);
		if (s.flags == (TH_SYN | TH_ACK))
			synacks++;
		else if (s.flags == (TH_RST | TH_ACK))
			rsts++;
	}
	assert_int_equal(synacks, 8);
	assert_int_equal(rsts, 12);
	assert_int_equal(nt_stats(h)->conns_rejected, 12);
	assert_int_equal(nt_stats(h)->cur_conns, 8);
	/* Half-open ones time out and free their slots. */
	for (int i = 0; i < 100; i++)
		nt_advance(h, 1000);
	assert_int_equal(nt_stats(h)->cur_conns, 0);
	struct nt_conn c;
	nt_connect(h, &c, 31000);
	assert_int_equal(nt_stats(h)->cur_conns, 1);
}

/* Frames that must be dropped and counted, never answered. */
static void test_bad_frames(void **state)
{
	struct nt_harness *h = *state;
	uint8_t f[200];
	size_t n = nt_build(h, f, 40000, 5000, 0, TH_SYN, 64240, NULL, 0, NULL, 0);

	uint8_t b[200];
	memcpy(b, f, n);
	b[14 + 8] ^= 1; /* TTL: IP header checksum now wrong */
	nt_input_raw(h, b, n);
	assert_int_equal(nt_stats(h)->bad_ip_csum, 1);

	memcpy(b, f, n);
	b[14 + 20 + 4] ^= 1; /* sequence number: TCP checksum wrong */
	nt_input_raw(h, b, n);
	assert_int_equal(nt_stats(h)->bad_tcp_csum, 1);

	/* A fragment (MF set), with a correct IP checksum. */
	n = nt_build(h, b, 40000, 5000, 0, TH_SYN, 64240, NULL, 0, NULL, 0);
	b[14 + 6] = 0x20;
	nt_fix_ip_csum(b);
	nt_input_raw(h, b, n);
	assert_int_equal(nt_stats(h)->ip_fragments, 1);

	/* Truncated: IP total length longer than the frame. */
	nt_input_raw(h, f, n - 1);
	/* Too short for any header. */
	nt_input_raw(h, f, 20);
	assert_int_equal(nt_stats(h)->bad_frame, 2);

	/* ARP is not ours. */
	memcpy(b, f, n);
	b[12] = 0x08;
	b[13] = 0x06;
	nt_input_raw(h, b, n);
	assert_int_equal(nt_stats(h)->not_ours, 1);

	/* Ethernet padding after the IP packet is fine. */
	memcpy(b, f, n);
	memset(b + n, 0, 10);
	nt_input_raw(h, b, n + 10);
	assert_int_equal(h->nframes, 1);
	assert_int_equal(nt_stats(h)->conns_opened, 1);
	assert_int_equal(nt_stats(h)->frames_in, 7);
}

/* Found by fuzz_netstack: a frame whose source MAC is a group address
 * (multicast, broadcast) was answered to that MAC, i.e. to every station.
 * It is dropped like a broadcast source IP. */
static void test_group_source_mac(void **state)
{
	struct nt_harness *h = *state;
	uint8_t f[200];
	size_t n = nt_build(h, f, 40000, 5000, 0, TH_SYN, 64240, NULL, 0, NULL, 0);
	f[6] |= 1; /* I/G bit of the source MAC */
	nt_input_raw(h, f, n);
	memset(f + 6, 0xff, 6); /* broadcast */
	nt_input_raw(h, f, n);
	assert_int_equal(h->nframes, 0);
	assert_int_equal(nt_stats(h)->bad_frame, 2);
	assert_int_equal(nt_stats(h)->conns_opened, 0);
	/* Same for a segment of no connection (would be answered with RST). */
	n = nt_build(h, f, 40000, 5000, 1, TH_ACK, 64240, NULL, 0, NULL, 0);
	f[6] |= 1;
	nt_input_raw(h, f, n);
	assert_int_equal(h->nframes, 0);
	assert_int_equal(nt_stats(h)->unknown_conn_rst, 0);
}

/* A connection that does nothing is closed after the idle timeout (FIN,
 * like close()); one that then ignores our FIN is aborted. */
static void test_idle_timeout(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 41008);
	nt_advance(h, 9999);
	assert_int_equal(h->nframes, 0);
	nt_advance(h, 2);
	assert_int_equal(h->nframes, 1);
	struct nt_seg s;
	nt_parse(h, 0, &s);
	assert_int_equal(s.flags, TH_ACK | TH_FIN);
	assert_int_equal(nt_stats(h)->conns_idle_closed, 1);
	/* The peer acks the FIN but never closes: FIN_WAIT_2 times out. */
	nt_clear(h);
	nt_input(h, c.port, c.snd_nxt, c.rcv_nxt + 1, TH_ACK, c.win, NULL, 0);
	assert_int_equal(nt_stats(h)->cur_conns, 1);
	nt_advance(h, 10001);
	assert_int_equal(nt_stats(h)->cur_conns, 0);
	assert_int_equal(nt_stats(h)->conns_idle_closed, 2);
}

/* A malformed request gets its 4xx page and the connection closes. */
/* Bytes that do not complete a request are not activity: a client that
 * trickles a header byte by byte is closed by the idle timeout, as in
 * every engine (servers/common/http_conn.h). A request answered is. */
static void test_idle_trickle(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 41020);
	nt_request(h, &c, NT_GET("/tiny", "keep-alive"));
	nt_drain(h, &c);
	nt_check_reply(h, &c, "/tiny", false);
	size_t got = c.stream_len;
	nt_advance(h, 5000); /* the reply was activity: 5 s of the 10 left */
	assert_int_equal(nt_stats(h)->conns_idle_closed, 0);
	for (int i = 0; i < 6; i++) { /* 6 s of "GET" trickling in */
		nt_send(h, &c, "G", 1);
		nt_collect(h, &c, false);
		nt_advance(h, 1000);
	}
	assert_int_equal(nt_stats(h)->conns_idle_closed, 1);
	assert_int_equal(c.stream_len, got);
	nt_conn_free(&c);
}

static void test_bad_request_closes(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn c;
	nt_connect(h, &c, 41009);
	nt_request(h, &c, "BLAH\x01 / HTTP/1.1\r\n\r\n");
	nt_drain(h, &c);
	assert_true(c.stream_len > 12);
	assert_memory_equal(c.stream, "HTTP/1.1 400", 12);
	assert_true(c.fin_seen);
	assert_int_equal(nt_http_stats(h)->responses_4xx, 1);
	nt_conn_free(&c);
}

/* Shutdown: every live connection gets a RST. */
static void test_abort_all(void **state)
{
	struct nt_harness *h = *state;
	struct nt_conn a, b;
	nt_connect(h, &a, 41010);
	nt_connect(h, &b, 41011);
	netstack_abort_all(h->ns, h->now);
	assert_int_equal(h->nframes, 2);
	struct nt_seg s;
	nt_parse(h, 0, &s);
	assert_true(s.flags & TH_RST);
	assert_int_equal(nt_stats(h)->cur_conns, 0);
	assert_int_equal(netstack_next_deadline(h->ns), UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handshake, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_synack_retransmit, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_request_response, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_pipelined, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_server_close_time_wait, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_time_wait_reuse_and_reclaim, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_half_close, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fin_mid_response, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_simultaneous_close, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_rst_during_transfer, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_syn_on_established, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_connection, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_syn_flood_past_cap, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_bad_frames, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_group_source_mac, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_idle_trickle, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_bad_request_closes, nt_fixture_setup, nt_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_abort_all, nt_fixture_setup, nt_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
