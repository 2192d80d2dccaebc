/* Unit tests: the stack's checksum offload mode (netstack_config.csum_offload).
 *
 * In that mode the TCP checksum field of every frame holds the folded
 * pseudo-header sum (addresses, protocol, TCP length), not complemented,
 * exactly what Linux leaves for CHECKSUM_PARTIAL, and the frame tells the
 * engine where the device must complete it (csum_start = the TCP header,
 * csum_offset = 16). The harness (netstack_test_util.c) checks the field of
 * every captured frame and then completes it as a device would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "netstack_test_util.h"

static void offload_setup(struct nt_harness *h, uint16_t mtu)
{
	nt_setup(h, mtu, 8, 10000);
	h->cfg.csum_offload = true;
	nt_restart(h);
}

/* The field as the stack leaves it, checked against a sum built here from
 * the wire bytes alone; completing it over the segment gives a checksum
 * that verifies, and the same bytes the software mode sends. */
static void test_field_is_pseudo_sum(void **state)
{
	(void)state;
	struct nt_harness off, sw;
	struct nt_conn co, cs;
	offload_setup(&off, 1500);
	nt_setup(&sw, 1500, 8, 10000);
	nt_connect(&off, &co, 42000);
	nt_connect(&sw, &cs, 42000);

	off.csum_device = false; /* capture the frames as the stack wrote them */
	nt_request(&off, &co, NT_GET("/10k", "keep-alive"));
	nt_request(&sw, &cs, NT_GET("/10k", "keep-alive"));
	assert_true(off.nframes > 5);
	assert_int_equal(off.nframes, sw.nframes);
	for (size_t i = 0; i < off.nframes; i++) {
		struct nt_frame *f = &off.frames[i];
		const uint8_t *ip = f->data + 14;
		uint8_t *tcp = f->data + f->csum_start;
		size_t tcp_len = f->len - f->csum_start;
		assert_int_equal(f->csum_start, 14 + 20);
		assert_int_equal(f->csum_offset, 16);

		/* Pseudo-header: saddr, daddr, zero + protocol 6, TCP length. */
		uint8_t ph[12];
		memcpy(ph, ip + 12, 8);
		ph[8] = 0;
		ph[9] = 6;
		ph[10] = (uint8_t)(tcp_len >> 8);
		ph[11] = (uint8_t)tcp_len;
		uint16_t want = csum_fold16(csum_partial_ref(ph, sizeof(ph), 0));
		uint16_t field;
		memcpy(&field, tcp + 16, 2);
		assert_int_equal(field, want);

		/* Complete it the way the device does: sum from csum_start to
		 * the end with the field as it is, store the complement. */
		uint16_t check = csum_fold(csum_partial_ref(tcp, tcp_len, 0));
		memcpy(tcp + 16, &check, 2);
		struct nt_seg s;
		nt_parse(&off, i, &s);
		assert_true(s.ip_csum_ok);
		assert_true(s.tcp_csum_ok);
		/* ... and the frame is the one the software mode sends. */
		assert_int_equal(f->len, sw.frames[i].len);
		assert_memory_equal(f->data, sw.frames[i].data, f->len);
	}
	assert_int_equal(nt_stats(&off)->csum_offloaded, nt_stats(&off)->frames_out);
	assert_int_equal(nt_stats(&sw)->csum_offloaded, 0);
	nt_conn_free(&co);
	nt_conn_free(&cs);
	nt_teardown(&off);
	nt_teardown(&sw);
}

/* Whole replies in offload mode: every byte arrives (the harness completes
 * and nt_collect verifies every checksum), and the stack sums no payload,
 * neither from the page sums nor live. */
static void transfer(uint16_t mtu, uint16_t peer_mss)
{
	struct nt_harness h;
	struct nt_conn c;
	offload_setup(&h, mtu);
	if (peer_mss)
		nt_connect_mss(&h, &c, 42001, peer_mss); /* cuts off the page sums */
	else
		nt_connect(&h, &c, 42001);
	nt_request(&h, &c, NT_GET("/1m", "keep-alive"));
	nt_drain(&h, &c);
	size_t first = nt_check_replies(&h, &c, 0, "/1m", false, 1);
	nt_request(&h, &c, NT_GET("/10k", "close")); /* odd length */
	nt_drain(&h, &c);
	nt_check_replies(&h, &c, first, "/10k", true, 1);
	const struct netstack_stats *st = nt_stats(&h);
	assert_int_equal(st->csum_live, 0);
	assert_int_equal(st->csum_precomputed, 0);
	assert_true(st->frames_out > 1000000 / mtu);
	assert_int_equal(st->csum_offloaded, st->frames_out);
	assert_int_equal(h.csum_offloaded, st->frames_out);
	nt_conn_free(&c);
	nt_teardown(&h);
}

static void test_transfer_mtu1500(void **state)
{
	(void)state;
	transfer(1500, 0);
}

static void test_transfer_mtu9000(void **state)
{
	(void)state;
	transfer(9000, 0);
}

static void test_transfer_small_mss(void **state)
{
	(void)state;
	transfer(1500, 536);
}

/* Loss: every 23rd data segment the peer would get is lost, so the stack
 * retransmits (fast retransmit and RTO): the retransmissions ask for the
 * offload too, and the reply still arrives whole. */
static bool drop_every_23rd(void *ctx, const struct nt_seg *s)
{
	size_t *n = ctx;
	return s->len && ++*n % 23 == 0;
}

static void test_transfer_with_loss(void **state)
{
	(void)state;
	struct nt_harness h;
	struct nt_conn c;
	size_t seen = 0;
	offload_setup(&h, 1500);
	nt_connect(&h, &c, 42003);
	c.drop = drop_every_23rd;
	c.drop_ctx = &seen;
	nt_request(&h, &c, NT_GET("/1m", "keep-alive"));
	nt_drain(&h, &c);
	nt_check_reply(&h, &c, "/1m", false);
	const struct netstack_stats *st = nt_stats(&h);
	assert_true(st->retransmits > 0);
	assert_int_equal(st->csum_live + st->csum_precomputed, 0);
	assert_int_equal(h.csum_offloaded, st->frames_out);
	nt_conn_free(&c);
	nt_teardown(&h);
}

/* A RST to a connection we do not know carries the offload request too. */
static void test_rst_offloaded(void **state)
{
	(void)state;
	struct nt_harness h;
	offload_setup(&h, 1500);
	nt_input(&h, 42002, 1234, 5678, TH_ACK, 512, NULL, 0);
	assert_int_equal(h.nframes, 1);
	struct nt_seg s;
	nt_parse(&h, 0, &s);
	assert_true(s.flags & TH_RST);
	assert_true(s.ip_csum_ok && s.tcp_csum_ok);
	assert_int_equal(h.csum_offloaded, 1);
	nt_teardown(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_is_pseudo_sum),
		cmocka_unit_test(test_transfer_mtu1500),
		cmocka_unit_test(test_transfer_mtu9000),
		cmocka_unit_test(test_transfer_small_mss),
		cmocka_unit_test(test_transfer_with_loss),
		cmocka_unit_test(test_rst_offloaded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
