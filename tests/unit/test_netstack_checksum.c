/* Unit tests: the internet checksum (servers/xdp/checksum.c) and the
 * per-page sums httpd-xdp's HTTP side precomputes (servers/xdp/page_sums.c). */
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
#include "page_sums.h"

/* RFC 1071's worked example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
static void test_rfc1071_example(void **state)
{
	(void)state;
	static const uint8_t d[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint16_t s = csum_fold16(csum_partial(d, sizeof(d), 0));
	uint8_t b[2];
	memcpy(b, &s, 2);
	assert_int_equal(b[0], 0xdd);
	assert_int_equal(b[1], 0xf2);
}

/* The fast path agrees with the 16-bit reference for every length and
 * alignment up to a jumbo frame, including odd tails. */
static void test_fast_matches_reference(void **state)
{
	(void)state;
	size_t n = 9100;
	uint8_t *buf = malloc(n + 8);
	uint32_t x = 1;
	for (size_t i = 0; i < n + 8; i++) {
		x = x * 1664525u + 1013904223u;
		buf[i] = (uint8_t)(x >> 24);
	}
	for (size_t align = 0; align < 8; align++)
		for (size_t len = 0; len < n; len += (len < 300 ? 1 : 97)) {
			uint16_t a = csum_fold16(csum_partial(buf + align, len, 0x1234));
			uint16_t b = csum_fold16(csum_partial_ref(buf + align, len, 0x1234));
			assert_int_equal(a, b);
		}
	/* all 0xff: the worst case for carries */
	memset(buf, 0xff, n);
	assert_int_equal(csum_fold16(csum_partial(buf, n, 0)),
			 csum_fold16(csum_partial_ref(buf, n, 0)));
	free(buf);
}

/* Summing pieces at their offsets (odd ones swapped) equals the whole. */
static void test_block_add(void **state)
{
	(void)state;
	uint8_t buf[1001];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	uint16_t whole = csum_fold16(csum_partial(buf, sizeof(buf), 0));
	size_t cuts[] = { 0, 1, 2, 3, 63, 64, 500, 999, 1000 };
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		for (size_t j = i; j < sizeof(cuts) / sizeof(cuts[0]); j++) {
			size_t a = cuts[i], b = cuts[j];
			uint32_t s = csum_partial(buf, a, 0);
			s = csum_block_add(s, csum_partial(buf + a, b - a, 0), a);
			s = csum_block_add(s, csum_partial(buf + b, sizeof(buf) - b, 0), b);
			assert_int_equal(csum_fold16(s), whole);
		}
	}
}

/* RFC 1624: updating one word incrementally equals recomputing. */
static void test_incremental_update(void **state)
{
	(void)state;
	uint8_t hdr[20] = { 0x45, 0, 0, 40, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0,
			    198, 18, 0, 1, 198, 18, 0, 2 };
	uint16_t check = csum_fold(csum_partial(hdr, 20, 0));
	memcpy(hdr + 10, &check, 2);
	for (uint32_t v = 0; v < 70000; v += 997) {
		uint16_t old, nw = htons((uint16_t)v);
		memcpy(&old, hdr + 2, 2);
		memcpy(hdr + 2, &nw, 2);
		check = csum_replace16(check, old, nw);
		memcpy(hdr + 10, &check, 2);
		assert_int_equal(csum_fold(csum_partial(hdr, 20, 0)), 0);
	}
	/* a 32-bit field: the destination address */
	uint32_t olda, newa = htonl(0xc6120063);
	memcpy(&olda, hdr + 16, 4);
	memcpy(hdr + 16, &newa, 4);
	check = csum_replace32(check, olda, newa);
	memcpy(hdr + 10, &check, 2);
	assert_int_equal(csum_fold(csum_partial(hdr, 20, 0)), 0);
}

/* The precomputed sums are the sums of the pieces the stack cuts: one set
 * per cut size, with timestamps (1448 at MTU 1500) first, then without. */
static void test_page_sums(void **state)
{
	(void)state;
	struct nt_harness h;
	nt_setup(&h, 1500, 16, 0);
	const char *paths[] = { "/tiny", "/10k", "/1m" };
	for (size_t i = 0; i < 3; i++) {
		const struct page *p = page_cache_lookup(h.pc, paths[i], strlen(paths[i]));
		assert_non_null(p);
		const struct page_sums *ps = p->engine_data;
		const size_t cuts[] = { 1448, 1460 };
		for (size_t c = 0; c < 2; c++, ps = ps->next) {
			size_t mss = cuts[c];
			assert_non_null(ps);
			assert_int_equal(ps->mss, mss);
			size_t f = mss - p->head_len - HTTP_SLOT_LEN;
			if (f > p->body_len)
				f = p->body_len;
			assert_int_equal(ps->first, f);
			assert_int_equal(ps->head_sum,
					 csum_fold16(csum_partial_ref(p->response, p->head_len, 0)));
			assert_int_equal(ps->sums[0],
					 csum_fold16(csum_partial_ref(page_body(p), f, 0)));
			size_t off = f, k = 1;
			for (; off < p->body_len; off += mss, k++) {
				size_t n = p->body_len - off < mss ? p->body_len - off : mss;
				assert_int_equal(ps->sums[k],
						 csum_fold16(csum_partial_ref(page_body(p) + off, n, 0)));
			}
			assert_int_equal(k, ps->nchunks);
		}
		assert_null(ps);
	}
	nt_teardown(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_fast_matches_reference),
		cmocka_unit_test(test_block_add),
		cmocka_unit_test(test_incremental_update),
		cmocka_unit_test(test_page_sums),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
