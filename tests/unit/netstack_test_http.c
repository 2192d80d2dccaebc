/* The HTTP half of the netstack test harness (netstack_test_util.h):
 * pages over httpd-xdp's HTTP side, and the replies they must produce. */
#include "netstack_test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "page_sums.h"
#include "test_util.h"

#define FIXED_DATE 1700000000

/* After a test changed h->cfg: an HTTP side to match it. */
static void http_restart(struct nt_harness *h)
{
	xdp_http_free(h->http);
	h->http = xdp_http_new(h->pc, &h->clock, h->cfg.max_conns, h->cfg.csum_offload);
	assert_non_null(h->http);
	h->cfg.app_ctx = h->http;
}

static void fill_pseudo_random(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
}

void nt_setup(struct nt_harness *h, uint16_t mtu, uint32_t max_conns, uint32_t idle_timeout_ms)
{
	memset(h, 0, sizeof(*h));
	h->dir = temp_dir_create();
	temp_file_write(h->dir, "tiny", "Hello, world!", 13);
	size_t n10 = 10 * 1024 + 1, n1m = 1024 * 1024;
	uint8_t *b = malloc(n1m);
	assert_non_null(b);
	fill_pseudo_random(b, n10, 7);
	temp_file_write(h->dir, "10k", b, n10); /* odd length on purpose */
	fill_pseudo_random(b, n1m, 11);
	temp_file_write(h->dir, "1m", b, n1m);
	free(b);
	char err[256];
	h->pc = page_cache_load(h->dir, err, sizeof(err));
	if (!h->pc)
		fail_msg("page_cache_load: %s", err);
	assert_int_equal(page_sums_prepare(h->pc, mtu), 0);
	http_clock_tick(&h->clock, FIXED_DATE);
	h->http = xdp_http_new(h->pc, &h->clock, max_conns, false);
	assert_non_null(h->http);
	h->app_restart = http_restart;
	nt_setup_app(h, mtu, max_conns, idle_timeout_ms, &xdp_http_app, h->http);
}

void nt_teardown(struct nt_harness *h)
{
	nt_teardown_stack(h);
	xdp_http_free(h->http);
	page_sums_release(h->pc);
	page_cache_free(h->pc);
	temp_dir_remove(h->dir);
}

int nt_fixture_setup(void **state)
{
	struct nt_harness *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	nt_setup(h, 1500, 8, 10000);
	*state = h;
	return 0;
}

int nt_fixture_teardown(void **state)
{
	nt_teardown(*state);
	free(*state);
	return 0;
}

size_t nt_expected(const struct nt_harness *h, const char *path, bool close, uint8_t **out)
{
	const struct page *p = page_cache_lookup(h->pc, path, strlen(path));
	assert_non_null(p);
	size_t n = page_response_len(p);
	uint8_t *b = malloc(n);
	assert_non_null(b);
	memcpy(b, p->response, p->head_len);
	memcpy(b + p->head_len, http_clock_slot(&h->clock, close), HTTP_SLOT_LEN);
	memcpy(b + p->head_len + HTTP_SLOT_LEN, page_body(p), p->body_len);
	*out = b;
	return n;
}

size_t nt_check_replies(const struct nt_harness *h, const struct nt_conn *c, size_t from,
			const char *path, bool close, size_t count)
{
	uint8_t *want;
	size_t n = nt_expected(h, path, close, &want);
	assert_int_equal(c->stream_len, from + count * n);
	for (size_t i = 0; i < count; i++)
		assert_memory_equal(c->stream + from + i * n, want, n);
	free(want);
	return n;
}
