/* Unit tests: TCP alone, under a fake application (netstack.h, struct
 * netstack_app): no HTTP, no page cache. What the interface promises:
 * input consumed or kept (and the window with it), the peer's FIN, ranges
 * sent as given and cut at message ends, their precomputed sums taken,
 * bounded room and `acked` when it comes back, our FIN on close. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "netstack_test_util.h"

/* One connection's application: echoes what it consumes (each input as one
 * message), or only counts. */
struct fake {
	struct netstack *ns;
	struct netstack_conn *conn;
	unsigned opens, inputs, closes;
	size_t consume_max; /* per input call */
	bool echo;
	bool close_on_input; /* netstack_close after the first input */
	bool fin_seen;
	uint64_t acked, acked_messages;
	uint8_t kept[16][512]; /* echoed bytes, until acked (a ring) */
	unsigned nkept;
};

static void *fake_open(void *ctx, struct netstack_conn *c, uint32_t slot)
{
	struct fake *f = ctx;
	(void)slot;
	f->conn = c;
	f->opens++;
	return f;
}

static size_t fake_input(void *ctx, struct netstack *ns, struct netstack_conn *c, void *conn,
			 const uint8_t *data, size_t len, bool fin)
{
	struct fake *f = ctx;
	assert_ptr_equal(conn, f);
	f->inputs++;
	f->fin_seen |= fin;
	size_t n = len < f->consume_max ? len : f->consume_max;
	if (f->echo && n) {
		assert_true(n <= sizeof(f->kept[0]));
		uint8_t *b = f->kept[f->nkept++ % 16];
		memcpy(b, data, n);
		struct netstack_range r = { .data = b, .len = (uint32_t)n, .end_of_message = true };
		assert_int_equal(netstack_send(ns, c, &r, 1), 0);
	}
	if (f->close_on_input)
		netstack_close(ns, c);
	return n;
}

static void fake_acked(void *ctx, void *conn, uint32_t bytes, uint32_t messages)
{
	struct fake *f = ctx;
	(void)conn;
	f->acked += bytes;
	f->acked_messages += messages;
}

static void fake_closed(void *ctx, void *conn)
{
	(void)conn;
	((struct fake *)ctx)->closes++;
}

static const struct netstack_app fake_app = {
	.open = fake_open,
	.input = fake_input,
	.acked = fake_acked,
	.closed = fake_closed,
};

struct fixture {
	struct nt_harness h;
	struct fake f;
	struct nt_conn c;
};

static int setup(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));
	assert_non_null(x);
	x->f.consume_max = SIZE_MAX;
	nt_setup_app(&x->h, 1500, 4, 0, &fake_app, &x->f);
	x->f.ns = x->h.ns;
	nt_connect(&x->h, &x->c, 41000);
	assert_int_equal(x->f.opens, 1);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *x = *state;
	nt_conn_free(&x->c);
	nt_teardown_stack(&x->h);
	free(x);
	return 0;
}

/* Bytes consumed and sent back: the same bytes arrive, acked when ACKed. */
static void test_echo(void **state)
{
	struct fixture *x = *state;
	x->f.echo = true;
	nt_request(&x->h, &x->c, "hello, tcp");
	assert_int_equal(x->f.inputs, 1);
	nt_drain(&x->h, &x->c);
	assert_int_equal(x->c.stream_len, 10);
	assert_memory_equal(x->c.stream, "hello, tcp", 10);
	assert_int_equal(x->f.acked, 10);
	assert_int_equal(nt_stats(&x->h)->csum_live, 1); /* no sums given: summed */
}

/* What the application leaves stays in the buffer and out of the window,
 * and is handed over again with the next bytes. */
static void test_unconsumed_input_closes_the_window(void **state)
{
	struct fixture *x = *state;
	struct nt_seg s;
	x->f.consume_max = 0;
	nt_request(&x->h, &x->c, "0123456789");
	assert_int_equal(x->h.nframes, 1);
	nt_parse(&x->h, 0, &s);
	assert_int_equal(s.ack, x->c.snd_nxt);
	assert_int_equal(s.win, NETSTACK_RX_BUF - 10);
	nt_clear(&x->h);
	x->f.consume_max = 4;
	nt_request(&x->h, &x->c, "ab");
	assert_int_equal(x->f.inputs, 2);
	nt_parse(&x->h, 0, &s);
	assert_int_equal(s.win, NETSTACK_RX_BUF - 8);
}

/* A range's precomputed sums are taken as given: a wrong one makes a wrong
 * checksum (the bytes were not read), a right one a right checksum, and a
 * segment that covers a piece only partly is summed from the bytes. */
static void test_precomputed_sums_are_used(void **state)
{
	struct fixture *x = *state;
	static uint8_t data[3000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	uint16_t mss = netstack_conn_mss(x->f.conn);
	uint16_t sums[3];
	for (unsigned k = 0; k < 3; k++) {
		size_t off = (size_t)k * mss,
		       n = sizeof(data) - off < mss ? sizeof(data) - off : mss;
		sums[k] = csum_fold16(csum_partial(data + off, n, 0));
	}
	sums[1] ^= 0x5555; /* the second segment's checksum must come out wrong */
	struct netstack_range r = { .data = data,
				    .sums = sums,
				    .len = sizeof(data),
				    .sum_step = mss,
				    .end_of_message = true };
	assert_int_equal(netstack_send(x->h.ns, x->f.conn, &r, 1), 0);
	nt_advance(&x->h, 1); /* outside a callback: sent at the next poll */
	assert_int_equal(x->h.nframes, 3);
	for (unsigned k = 0; k < 3; k++) {
		struct nt_seg s;
		nt_parse(&x->h, k, &s);
		assert_int_equal(s.seq, x->c.rcv_nxt + k * mss);
		assert_int_equal(s.tcp_csum_ok, k != 1);
	}
	assert_int_equal(nt_stats(&x->h)->csum_precomputed, 3);
	assert_int_equal(nt_stats(&x->h)->csum_live, 0);
}

/* Segments never span a message's end; each message ends with PSH. */
static void test_messages_cut_segments(void **state)
{
	struct fixture *x = *state;
	static const char a[] = "first message", b[] = "second";
	struct netstack_range r[2] = {
		{ .data = a, .len = sizeof(a) - 1, .end_of_message = true },
		{ .data = b, .len = sizeof(b) - 1, .end_of_message = true },
	};
	assert_int_equal(netstack_send(x->h.ns, x->f.conn, r, 2), 0);
	nt_advance(&x->h, 1);
	assert_int_equal(x->h.nframes, 2);
	struct nt_seg s;
	nt_parse(&x->h, 0, &s);
	assert_int_equal(s.len, sizeof(a) - 1);
	assert_true(s.flags & TH_PSH);
	nt_parse(&x->h, 1, &s);
	assert_int_equal(s.len, sizeof(b) - 1);
	assert_true(s.flags & TH_PSH);
	nt_drain(&x->h, &x->c);
	assert_memory_equal(x->c.stream, "first messagesecond", 19);
	assert_int_equal(x->f.acked_messages, 2);
}

/* The send stream holds NETSTACK_TX_RANGES ranges; acknowledged ones make
 * room again, and the application is told. */
static void test_room_is_bounded_and_returns(void **state)
{
	struct fixture *x = *state;
	static const char byte[1] = "x";
	struct netstack_range r = { .data = byte, .len = 1 };
	unsigned n = 0;
	while (netstack_send(x->h.ns, x->f.conn, &r, 1) == 0)
		n++;
	assert_int_equal(n, NETSTACK_TX_RANGES);
	assert_int_equal(netstack_send_room(x->f.conn), 0);
	nt_advance(&x->h, 1);
	nt_drain(&x->h, &x->c);
	assert_int_equal(x->c.stream_len, NETSTACK_TX_RANGES);
	assert_int_equal(x->f.acked, NETSTACK_TX_RANGES);
	assert_int_equal(x->f.acked_messages, 0); /* none ended a message */
	assert_int_equal(netstack_send_room(x->f.conn), NETSTACK_TX_RANGES);
}

/* netstack_close: our FIN follows the last byte, and input is no longer
 * delivered; the peer's FIN reaches the application with the bytes before
 * it. */
static void test_close_and_fin(void **state)
{
	struct fixture *x = *state;
	x->f.echo = true;
	x->f.close_on_input = true;
	nt_request(&x->h, &x->c, "bye");
	nt_drain(&x->h, &x->c);
	assert_true(x->c.fin_seen);
	assert_int_equal(x->c.stream_len, 3);
	struct netstack_range z = { .data = "z", .len = 1 };
	assert_int_equal(netstack_send(x->h.ns, x->f.conn, &z, 1), -1); /* after our FIN */
	nt_request(&x->h, &x->c, "more");
	assert_int_equal(x->f.inputs, 1);

	/* A second connection: the peer's FIN is seen. */
	struct fake *f = &x->f;
	f->close_on_input = false;
	f->echo = false;
	struct nt_conn c2;
	nt_connect(&x->h, &c2, 41001);
	nt_input(&x->h, c2.port, c2.snd_nxt, c2.rcv_nxt, TH_ACK | TH_FIN, c2.win, "q", 1);
	assert_true(f->fin_seen);
	nt_conn_free(&c2);
}

/* A reset ends the connection: the application hears of it. */
static void test_reset_closes(void **state)
{
	struct fixture *x = *state;
	nt_input(&x->h, x->c.port, x->c.snd_nxt, 0, TH_RST, 0, NULL, 0);
	assert_int_equal(x->f.closes, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unconsumed_input_closes_the_window, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_precomputed_sums_are_used, setup, teardown),
		cmocka_unit_test_setup_teardown(test_messages_cut_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_room_is_bounded_and_returns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_and_fin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_closes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
