/* Unit tests: page bodies in the UMEM (servers/xdp/umem_mirror.h,
 * tx_frame.h) under the stack and its HTTP side.
 *
 * The tx gate plays httpd-xdp's xsk_port_tx on a fake UMEM: a frame pool
 * of chunks, then the page cache's arena mirrored behind it. Every frame
 * the stack sends is planned and written as descriptors, which are checked
 * as the kernel checks them (inside one chunk, past the tx metadata gap,
 * XDP_PKT_CONTD on all but the last) and read back: their bytes must be
 * the frame's. Body segments must point into the mirror and write only
 * their headers; completions give the pool's chunks back, and never a
 * mirror chunk; a retransmission points at the same body bytes again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "netstack_test_util.h"
#include "tx_frame.h"

#define CHUNK 4096u
#define NCHUNKS 1024u
#define RX_RESERVE 64u
#define CTL_RESERVE 16u
#define DATA_MAX 512u
#define MD_LEN 24u /* as with checksum offload: data 24 bytes into its chunk */
#define MAX_SENT 4096

struct sent {
	uint32_t seq;
	uint16_t dport;
	uint32_t ndesc, ncopy;
	struct xdp_desc d[TX_FRAME_MAX_DESCS];
};

struct fake_umem {
	struct nt_harness *h;
	struct frame_pool fp;
	struct umem_mirror m;
	uint8_t *area;
	uint32_t max_descs;
	struct sent sent[MAX_SENT];
	int nsent;
	/* totals over the data frames */
	uint64_t body_frames;     /* frames with a referenced body */
	uint64_t header_only;     /* of which copied only the stack's headers */
	uint64_t ref_bytes, copy_bytes, payload_bytes, frame_bytes;
};

static uint32_t frame_seq(const struct netstack_frame *f)
{
	const uint8_t *t = (const uint8_t *)f->iov[0].iov_base + 14 + 20;
	return (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
}

static uint16_t frame_dport(const struct netstack_frame *f)
{
	const uint8_t *t = (const uint8_t *)f->iov[0].iov_base + 14 + 20;
	return (uint16_t)(t[2] << 8 | t[3]);
}

/* What the kernel's xp_aligned_validate_desc accepts with tx metadata. */
static void check_desc_valid(const struct xdp_desc *d)
{
	uint64_t in = d->addr % CHUNK;
	assert_true(d->len > 0);
	assert_true(in >= MD_LEN);
	assert_true(in + d->len <= CHUNK);
}

static int gate(void *ctx, const struct netstack_frame *f)
{
	struct fake_umem *u = ctx;
	struct tx_frame_plan pl;
	uint64_t chunks[TX_FRAME_MAX_DESCS];

	assert_int_equal(tx_frame_plan(&pl, &u->m, CHUNK - MD_LEN, f->iov, f->iovcnt,
				       u->max_descs), 0);
	if (!frame_pool_tx_take(&u->fp, pl.ncopy, f->payload_len > 0, f->tag, chunks))
		return -1;
	assert_true(u->nsent < MAX_SENT);
	struct sent *s = &u->sent[u->nsent++];
	s->seq = frame_seq(f);
	s->dport = frame_dport(f);
	s->ndesc = pl.ndesc;
	s->ncopy = pl.ncopy;
	/* Poison the header chunks: whatever the frame does not write shows. */
	for (uint32_t i = 0; i < pl.ncopy; i++)
		memset(u->area + chunks[i], 0xa5, CHUNK);
	tx_frame_write(&pl, &u->m, u->area, CHUNK - MD_LEN, MD_LEN, f->iov, f->iovcnt, chunks,
		       s->d);

	/* Read the frame back from the descriptors. */
	uint8_t *wire = malloc(f->len), *want = malloc(f->len);
	size_t got = 0, off = 0;
	for (int k = 0; k < f->iovcnt; k++) {
		memcpy(want + off, f->iov[k].iov_base, f->iov[k].iov_len);
		off += f->iov[k].iov_len;
	}
	assert_int_equal(off, f->len);
	for (uint32_t i = 0; i < pl.ndesc; i++) {
		const struct xdp_desc *d = &s->d[i];
		check_desc_valid(d);
		assert_int_equal(d->options, i + 1 < pl.ndesc ? 1u /* XDP_PKT_CONTD */ : 0u);
		if (i < pl.ncopy) {
			/* a chunk of the frame pool's tx part */
			assert_true(d->addr / CHUNK >= RX_RESERVE && d->addr / CHUNK < NCHUNKS);
		} else {
			/* a page body: in the mirror, never a pool chunk */
			assert_true(umem_mirror_owns(&u->m, d->addr));
			u->ref_bytes += d->len;
		}
		assert_true(got + d->len <= f->len);
		memcpy(wire + got, u->area + d->addr, d->len);
		got += d->len;
	}
	assert_int_equal(got, f->len);
	assert_memory_equal(wire, want, f->len);
	/* The checksum request is read from the first descriptor only. */
	if (f->csum_start)
		assert_true(s->d[0].len >= (uint32_t)f->csum_start + f->csum_offset + 2);
	if (pl.nref) {
		u->body_frames++;
		u->header_only += pl.copy_len == f->iov[0].iov_len;
	}
	u->copy_bytes += pl.copy_len;
	u->payload_bytes += f->payload_len;
	u->frame_bytes += f->len;
	free(wire);
	free(want);
	return 0;
}

static struct fake_umem *umem_setup(struct nt_harness *h, uint16_t mtu, bool offload)
{
	struct fake_umem *u = calloc(1, sizeof(*u));
	size_t len;
	const char *arena;

	assert_non_null(u);
	nt_setup(h, mtu, 8, 10000);
	if (offload) {
		h->cfg.csum_offload = true;
		nt_restart(h);
	}
	u->h = h;
	u->max_descs = TX_FRAME_MAX_DESCS;
	assert_int_equal(frame_pool_init(&u->fp, CHUNK, NCHUNKS, RX_RESERVE, CTL_RESERVE,
					 DATA_MAX), 0);
	arena = page_cache_arena(h->pc, &len);
	assert_int_equal(umem_mirror_layout(&u->m, arena, len, CHUNK,
					    (uint64_t)NCHUNKS * CHUNK), 0);
	u->area = calloc(1, (size_t)NCHUNKS * CHUNK + umem_mirror_bytes(&u->m));
	assert_non_null(u->area);
	umem_mirror_fill(&u->m, u->area + (size_t)NCHUNKS * CHUNK);
	h->tx_gate = gate;
	h->gate_ctx = u;
	return u;
}

static void umem_teardown(struct nt_harness *h, struct fake_umem *u)
{
	nt_teardown(h);
	frame_pool_free(&u->fp);
	free(u->area);
	free(u);
}

/* Every descriptor sent so far comes back through the "completion ring":
 * the pool gets exactly its chunks back, the mirror's are skipped. */
static void complete_all(struct fake_umem *u)
{
	for (int i = 0; i < u->nsent; i++) {
		for (uint32_t k = 0; k < u->sent[i].ndesc; k++) {
			bool body;
			uint32_t tag = tx_frame_done(&u->fp, &u->m, u->sent[i].d[k].addr, &body);
			assert_int_equal(body, k >= u->sent[i].ncopy);
			if (tag)
				netstack_tx_done(u->h->ns, tag);
		}
	}
	u->nsent = 0;
	assert_int_equal(frame_pool_tx_in_flight(&u->fp), 0);
	assert_int_equal(u->fp.data_in_flight, 0);
	for (uint32_t i = 0; i < u->fp.nfree; i++)
		assert_true(u->fp.free_tx[i] < (uint64_t)NCHUNKS * CHUNK);
}

static void body_transfer(uint16_t mtu, bool offload)
{
	struct nt_harness h;
	struct fake_umem *u = umem_setup(&h, mtu, offload);
	struct nt_conn c;
	uint8_t *want;
	size_t n = nt_expected(&h, "/1m", false, &want);
	free(want);

	nt_connect(&h, &c, 41000);
	nt_request(&h, &c, NT_GET("/1m", "keep-alive"));
	while (nt_collect(&h, &c, true))
		complete_all(u);
	nt_drain(&h, &c);
	complete_all(u);
	nt_check_reply(&h, &c, "/1m", false);
	/* The whole body went out as references into the mirror... */
	const struct page *p = page_cache_lookup(h.pc, "/1m", 3);
	assert_non_null(p);
	assert_int_equal(u->ref_bytes, p->body_len);
	/* ...and every body segment but the first wrote only its headers. */
	assert_true(u->body_frames >= p->body_len / (mtu - 52u));
	assert_true(u->header_only >= u->body_frames - 1);
	assert_int_equal(u->copy_bytes + u->ref_bytes, u->frame_bytes);
	assert_int_equal(u->payload_bytes, n);
	nt_conn_free(&c);
	umem_teardown(&h, u);
}

static void test_body_mtu1500(void **state)
{
	(void)state;
	body_transfer(1500, false);
}

static void test_body_mtu1500_offload(void **state)
{
	(void)state;
	body_transfer(1500, true);
}

static void test_body_mtu9000(void **state)
{
	(void)state;
	body_transfer(9000, true);
}

/* A tiny body is copied (below TX_FRAME_REF_MIN): one descriptor. */
static void test_tiny_copied(void **state)
{
	(void)state;
	struct nt_harness h;
	struct fake_umem *u = umem_setup(&h, 1500, false);
	struct nt_conn c;

	nt_connect(&h, &c, 41001);
	nt_request(&h, &c, NT_GET("/tiny", "keep-alive"));
	nt_drain(&h, &c);
	nt_check_reply(&h, &c, "/tiny", false);
	assert_int_equal(u->ref_bytes, 0);
	for (int i = 0; i < u->nsent; i++)
		assert_int_equal(u->sent[i].ndesc, 1);
	complete_all(u);
	nt_conn_free(&c);
	umem_teardown(&h, u);
}

static bool drop_once(void *ctx, const struct nt_seg *s)
{
	uint32_t *seq = ctx;
	if (s->len && s->seq == *seq) {
		*seq = 0;
		return true;
	}
	return false;
}

/* A lost body segment is sent again pointing at the same body bytes: only
 * its header chunk is new. */
static void test_retransmit_same_chunks(void **state)
{
	(void)state;
	struct nt_harness h;
	struct fake_umem *u = umem_setup(&h, 1500, false);
	struct nt_conn c;

	nt_connect(&h, &c, 41002);
	uint32_t lost = c.srv_iss + 1 + 3 * c.seg, target = lost;
	c.drop = drop_once;
	c.drop_ctx = &lost;
	nt_request(&h, &c, NT_GET("/10k", "keep-alive"));
	nt_drain(&h, &c);
	nt_check_reply(&h, &c, "/10k", false);
	assert_int_equal(lost, 0);
	assert_true(nt_stats(&h)->retransmits >= 1);
	const struct sent *first = NULL, *again = NULL;
	for (int i = 0; i < u->nsent; i++)
		if (u->sent[i].seq == target && u->sent[i].ndesc > u->sent[i].ncopy) {
			if (!first)
				first = &u->sent[i];
			else if (!again)
				again = &u->sent[i];
		}
	assert_non_null(first);
	assert_non_null(again);
	assert_int_equal(first->ndesc, again->ndesc);
	for (uint32_t k = first->ncopy; k < first->ndesc; k++) {
		assert_int_equal(first->d[k].addr, again->d[k].addr);
		assert_int_equal(first->d[k].len, again->d[k].len);
	}
	complete_all(u);
	nt_conn_free(&c);
	umem_teardown(&h, u);
}

/* The planner alone: pieces in the mirror after a copied piece are never
 * referenced, a piece crossing chunks takes one descriptor per chunk, and
 * a frame over the descriptor limit is copied whole. */
static void test_plan_rules(void **state)
{
	(void)state;
	static uint8_t src[3 * 4072];
	uint8_t hdr[54] = { 0 }, other[300] = { 0 };
	struct umem_mirror m;
	struct tx_frame_plan pl;

	assert_int_equal(umem_mirror_layout(&m, src, sizeof(src), CHUNK, 64 * CHUNK), 0);
	assert_int_equal(m.nchunks, 3);
	/* Across the first chunk boundary: two descriptors. */
	struct iovec iov[3] = { { hdr, sizeof(hdr) }, { src + 4000, 1448 }, { other, sizeof(other) } };
	assert_int_equal(tx_frame_plan(&pl, &m, CHUNK - MD_LEN, iov, 2, 16), 0);
	assert_int_equal(pl.ncopy, 1);
	assert_int_equal(pl.nref, 2);
	assert_int_equal(pl.copy_len, sizeof(hdr));
	/* A copied piece after it: everything is copied. */
	assert_int_equal(tx_frame_plan(&pl, &m, CHUNK - MD_LEN, iov, 3, 16), 0);
	assert_int_equal(pl.nref, 0);
	assert_int_equal(pl.copy_len, sizeof(hdr) + 1448 + sizeof(other));
	/* Over the limit (a header and two body descriptors, for 2): copied
	 * whole, in two chunks; for 1, not at all. */
	struct iovec big[2] = { { hdr, sizeof(hdr) }, { src + 10, 4072 } };
	assert_int_equal(tx_frame_plan(&pl, &m, CHUNK - MD_LEN, big, 2, 3), 0);
	assert_int_equal(pl.nref, 2);
	assert_int_equal(tx_frame_plan(&pl, &m, CHUNK - MD_LEN, big, 2, 2), 0);
	assert_int_equal(pl.nref, 0);
	assert_int_equal(pl.ncopy, 2);
	assert_int_equal(tx_frame_plan(&pl, &m, CHUNK - MD_LEN, big, 2, 1), -1);
	/* Contiguous pieces in one chunk share a descriptor. */
	struct iovec two[3] = { { hdr, sizeof(hdr) }, { src + 100, 300 }, { src + 400, 300 } };
	assert_int_equal(tx_frame_plan(&pl, &m, CHUNK - MD_LEN, two, 3, 16), 0);
	assert_int_equal(pl.nref, 1);
	/* The addresses: byte o at chunk o / room, past the gap. */
	assert_int_equal(umem_mirror_addr(&m, 0), 64 * CHUNK + 24);
	assert_int_equal(umem_mirror_addr(&m, 4072), 65 * CHUNK + 24);
	assert_true(umem_mirror_owns(&m, 66 * CHUNK + 4095));
	assert_false(umem_mirror_owns(&m, 67 * CHUNK));
	assert_false(umem_mirror_owns(&m, 63 * CHUNK));
	/* A completion of a mirror address leaves a full pool as it is. */
	struct frame_pool fp;
	bool body;
	assert_int_equal(frame_pool_init(&fp, CHUNK, 64, 16, 4, 8), 0);
	uint32_t nfree = fp.nfree;
	assert_int_equal(tx_frame_done(&fp, &m, 64 * CHUNK + 24, &body), 0);
	assert_true(body);
	assert_int_equal(fp.nfree, nfree);
	frame_pool_free(&fp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_rules),
		cmocka_unit_test(test_body_mtu1500),
		cmocka_unit_test(test_body_mtu1500_offload),
		cmocka_unit_test(test_body_mtu9000),
		cmocka_unit_test(test_tiny_copied),
		cmocka_unit_test(test_retransmit_same_chunks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
