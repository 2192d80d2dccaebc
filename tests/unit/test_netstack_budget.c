/* Unit tests: the UMEM budget (servers/xdp/frame_pool.h) under the stack.
 *
 * A small UMEM, many connections and slow readers: the tx gate takes a
 * chunk from a frame_pool for every frame the stack sends, and gives it
 * back only when the test "reads" the frames of one connection, as a copy-
 * mode AF_XDP socket gets a chunk back only when the client frees its skb.
 * The queue must still answer new SYNs, no connection may hold more than
 * its share, and every reply must arrive whole once the readers catch up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "frame_pool.h"
#include "netstack_test_util.h"

#define CHUNK 4096u
#define NCHUNKS 64u
#define RX_RESERVE 16u
#define CTL_RESERVE 4u
#define DATA_MAX 12u
#define CONN_CAP 4u
#define NCLIENTS 8
#define MAX_OUT 256

struct budget {
	struct frame_pool fp;
	struct nt_harness *h;
	struct {
		uint16_t port;
		uint64_t addr;
		bool data;
	} out[MAX_OUT];
	int nout;
};

static uint16_t frame_dport(const struct netstack_frame *f)
{
	const uint8_t *hdr = f->iov[0].iov_base;
	return (uint16_t)(hdr[14 + 20 + 2] << 8 | hdr[14 + 20 + 3]);
}

static int gate(void *ctx, const struct netstack_frame *f)
{
	struct budget *b = ctx;
	uint64_t addr;

	if (!frame_pool_tx_take(&b->fp, 1, f->payload_len > 0, f->tag, &addr))
		return -1;
	assert_true(b->nout < MAX_OUT);
	b->out[b->nout].port = frame_dport(f);
	b->out[b->nout].addr = addr;
	b->out[b->nout].data = f->payload_len > 0;
	b->nout++;
	return 0;
}

/* The client behind `port` reads: its frames' chunks come back. */
static void read_port(struct budget *b, uint16_t port)
{
	int k = 0;
	for (int i = 0; i < b->nout; i++) {
		if (b->out[i].port != port) {
			b->out[k++] = b->out[i];
			continue;
		}
		uint32_t tag = frame_pool_tx_done(&b->fp, b->out[i].addr);
		if (tag)
			netstack_tx_done(b->h->ns, tag);
	}
	b->nout = k;
}

static unsigned data_out(const struct budget *b, int port)
{
	unsigned n = 0;
	for (int i = 0; i < b->nout; i++)
		n += b->out[i].data && (port < 0 || b->out[i].port == port);
	return n;
}

/* Hands every captured frame to its connection (nt_collect takes one
 * connection's frames at a time and drops the rest), ACKing data; frames
 * those ACKs provoke stay captured for the next round. */
static void collect_all(struct nt_harness *h, struct nt_conn *cs, int n)
{
	struct nt_frame *all = h->frames, *later = NULL;
	size_t nall = h->nframes, nlater = 0;
	struct nt_harness view = *h;

	h->frames = NULL;
	h->nframes = h->cap = 0;
	view.frames = all;
	view.nframes = nall;
	for (int i = 0; i < n; i++) {
		struct nt_frame *mine = malloc((nall ? nall : 1) * sizeof(*mine));
		size_t nmine = 0;
		assert_non_null(mine);
		for (size_t k = 0; k < nall; k++) {
			struct nt_seg s;
			nt_parse(&view, k, &s);
			if (s.dport == cs[i].port)
				mine[nmine++] = all[k];
		}
		h->frames = mine;
		h->nframes = h->cap = nmine;
		nt_collect(h, &cs[i], true); /* frees mine; its ACKs' answers are captured */
		later = realloc(later, (nlater + h->nframes + 1) * sizeof(*later));
		assert_non_null(later);
		if (h->nframes) /* h->frames may be NULL: memcpy must not see it */
			memcpy(later + nlater, h->frames, h->nframes * sizeof(*later));
		nlater += h->nframes;
		free(h->frames);
		h->frames = NULL;
		h->nframes = h->cap = 0;
	}
	free(all);
	h->frames = later;
	h->nframes = h->cap = nlater;
}

static void test_small_umem_slow_readers(void **state)
{
	struct nt_harness *h = *state;
	struct budget b = { .h = h };
	struct nt_conn cs[NCLIENTS + 1];

	/* The fixture's stack again, with a per-connection cap. */
	nt_teardown(h);
	nt_setup(h, 1500, 64, 10000);
	h->cfg.conn_tx_frames_max = CONN_CAP;
	nt_restart(h);
	assert_int_equal(frame_pool_init(&b.fp, CHUNK, NCHUNKS, RX_RESERVE, CTL_RESERVE, DATA_MAX), 0);
	h->tx_gate = gate;
	h->gate_ctx = &b;

	/* Everyone connects and asks for 10 KiB (8 segments): more data than
	 * the pool lets out at once. The handshakes' frames are read at once. */
	for (int i = 0; i < NCLIENTS; i++) {
		nt_connect(h, &cs[i], (uint16_t)(41000 + i));
		read_port(&b, cs[i].port);
	}
	for (int i = 0; i < NCLIENTS; i++)
		nt_request(h, &cs[i], NT_GET("/10k", "keep-alive"));
	assert_true(data_out(&b, -1) <= DATA_MAX);
	for (int i = 0; i < NCLIENTS; i++)
		assert_true(data_out(&b, cs[i].port) <= CONN_CAP);
	assert_true(b.fp.data_capped > 0 || nt_stats(h)->tx_conn_capped > 0);

	/* Nobody reads; a new client still gets its SYN-ACK from the control
	 * reserve, and its handshake completes. */
	collect_all(h, cs, NCLIENTS); /* ACKs: nothing completes, nothing new goes out */
	assert_int_equal(data_out(&b, -1), DATA_MAX); /* the pool is at its data cap */
	assert_true(b.fp.data_capped > 0);
	nt_clear(h);
	nt_connect(h, &cs[NCLIENTS], 42000);
	assert_int_equal(nt_stats(h)->conns_established, NCLIENTS + 1);
	nt_request(h, &cs[NCLIENTS], NT_GET("/tiny", "keep-alive"));

	/* The readers catch up one at a time; everyone's reply arrives whole,
	 * and the caps hold at every step. */
	for (int round = 0; round < 400; round++) {
		read_port(&b, cs[round % (NCLIENTS + 1)].port);
		netstack_poll(h->ns, h->now);
		collect_all(h, cs, NCLIENTS + 1);
		assert_true(data_out(&b, -1) <= DATA_MAX);
		for (int i = 0; i <= NCLIENTS; i++)
			assert_true(data_out(&b, cs[i].port) <= CONN_CAP);
	}
	for (int i = 0; i < NCLIENTS; i++)
		nt_check_reply(h, &cs[i], "/10k", false);
	nt_check_reply(h, &cs[NCLIENTS], "/tiny", false);
	assert_true(nt_stats(h)->tx_conn_capped > 0);
	assert_int_equal(nt_stats(h)->rto_timeouts, 0);

	for (int i = 0; i <= NCLIENTS; i++)
		nt_conn_free(&cs[i]);
	h->tx_gate = NULL;
	frame_pool_free(&b.fp);
}

/* The pool on its own: the control reserve, the data cap, tags, and sizes
 * that cannot work. */
static void test_frame_pool(void **state)
{
	(void)state;
	struct frame_pool fp;
	uint64_t a[8];

	assert_int_equal(frame_pool_min_frames(2048, 2048), 4096);

	assert_int_equal(frame_pool_init(&fp, CHUNK, 16, 4, 2, 5), 0);
	assert_int_equal(frame_pool_tx_in_flight(&fp), 0);
	/* 12 tx chunks; data may take 10, and at most 5 frames. */
	for (int i = 0; i < 5; i++)
		assert_true(frame_pool_tx_take(&fp, 2, true, 100 + (uint32_t)i, a));
	assert_false(frame_pool_tx_take(&fp, 1, true, 7, a));
	assert_int_equal(fp.data_capped, 1);
	/* Control frames get the reserve; then nothing is left. */
	assert_true(frame_pool_tx_take(&fp, 1, false, 0, a));
	assert_true(a[0] >= 4 * CHUNK && a[0] < 16 * CHUNK);
	assert_true(frame_pool_tx_take(&fp, 1, false, 9, a + 1));
	assert_false(frame_pool_tx_take(&fp, 1, false, 0, a));
	assert_int_equal(fp.ctl_refused, 1);
	/* Completions give back chunks and tags (first chunk of a frame). */
	assert_int_equal(frame_pool_tx_done(&fp, a[1] + 100), 9);
	assert_int_equal(frame_pool_tx_done(&fp, a[0]), 0);
	/* Never an rx chunk, never more than went out. */
	assert_int_equal(frame_pool_tx_done(&fp, 0), 0);
	assert_int_equal(frame_pool_tx_in_flight(&fp), 10);
	frame_pool_free(&fp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_pool),
		cmocka_unit_test_setup_teardown(test_small_umem_slow_readers, nt_fixture_setup,
						nt_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
