/* Unit tests: one HTTP connection without I/O (servers/common/http_conn.c),
 * the rules every engine but the TCP stack shares: byte-at-a-time input,
 * pipelining at full depth with backpressure, partial sends that resume at
 * any byte, the reply that closes and the linger after it, the idle
 * timeout and what counts as activity. No root, no sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http_conn.h"
#include "test_util.h"

static struct page_cache *pc;
static char *pages_dir;
static struct http_clock clk;

#define GET(path) "GET " path " HTTP/1.1\r\nHost: t\r\n\r\n"
#define GET_CLOSE(path) "GET " path " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"

struct fixture {
	struct http_conn c;
	struct server_stats st;
	uint64_t now;
};

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	http_conn_init(&f->c, pc, &f->st, 1000);
	f->now = 1000;
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;
	http_conn_free(&f->c);
	free(f);
	return 0;
}

/* The bytes the connection would send, taking at most `chunk` per send
 * (0: everything http_conn_tx gives), appended to out. */
static size_t send_all(struct fixture *f, char *out, size_t cap, size_t chunk)
{
	size_t total = 0;

	while (http_conn_next(&f->c) == HTTP_CONN_SEND) {
		struct iovec iov[HTTP_CONN_IOV];
		struct http_tx tx;
		size_t n = 0;

		http_conn_tx(&f->c, &clk, iov, HTTP_CONN_IOV, 0, &tx);
		assert_true(tx.niov > 0);
		for (int i = 0; i < tx.niov; i++) {
			size_t take = iov[i].iov_len;
			if (chunk && n + take > chunk)
				take = chunk - n;
			assert_true(total + take <= cap);
			memcpy(out + total, iov[i].iov_base, take);
			total += take;
			n += take;
			if (chunk && n == chunk)
				break;
		}
		http_conn_sent(&f->c, n, f->now);
	}
	return total;
}

/* The full response for the page at path with the clock's slot. */
static size_t expected(const char *path, bool close, char *out)
{
	const struct page *p = page_cache_lookup(pc, path, strlen(path));
	assert_non_null(p);
	memcpy(out, p->response, p->head_len);
	memcpy(out + p->head_len, http_clock_slot(&clk, close), HTTP_SLOT_LEN);
	memcpy(out + p->head_len + HTTP_SLOT_LEN, page_body(p), p->body_len);
	return p->head_len + HTTP_SLOT_LEN + p->body_len;
}

/* One request fed a byte at a time, through both input paths: nothing is
 * parsed before the last byte, and parsing is not activity until then. */
static void test_byte_at_a_time(void **state)
{
	struct fixture *f = *state;
	const char *req = GET("/index.html");
	size_t len = strlen(req);

	for (size_t i = 0; i < len; i++) {
		f->now++;
		if (i % 2) {
			assert_int_equal(http_conn_input(&f->c, req + i, 1, f->now), 0);
		} else {
			size_t space;
			char *b = http_conn_read_buf(&f->c, &space);
			assert_non_null(b);
			assert_true(space >= 1);
			*b = req[i];
			http_conn_read_done(&f->c, 1, f->now);
		}
		if (i + 1 < len) {
			assert_int_equal(http_conn_next(&f->c), HTTP_CONN_READ);
			assert_int_equal(f->c.active_ms, 1000); /* a trickle is not activity */
		}
	}
	assert_int_equal(http_conn_next(&f->c), HTTP_CONN_SEND);
	assert_int_equal(f->c.active_ms, f->now);
	assert_int_equal(f->st.requests, 1);

	char out[4096], want[4096];
	size_t n = send_all(f, out, sizeof(out), 0);
	assert_int_equal(n, expected("/index.html", false, want));
	assert_memory_equal(out, want, n);
	assert_int_equal(f->st.bytes_sent, n);
	assert_int_equal(http_conn_next(&f->c), HTTP_CONN_READ);
	assert_int_equal(http_conn_unparsed(&f->c), 0);
}

/* More pipelined requests than the queue holds, in one read: the queue
 * fills to HTTP_CONN_DEPTH, input is no longer wanted, and every reply
 * goes out in order as sends make room. */
static void test_pipelining_full_depth(void **state)
{
	struct fixture *f = *state;
	const int nreq = HTTP_CONN_DEPTH * 2 + 3;
	char in[64 * 64];
	size_t len = 0;

	for (int i = 0; i < nreq; i++)
		len += (size_t)sprintf(in + len, "%s", i % 2 ? GET("/a.css") : GET("/index.html"));
	assert_true(len < HTTP_MAX_HEADER_BYTES);
	assert_int_equal(http_conn_input(&f->c, in, len, f->now), 0);
	assert_int_equal(f->c.q_count, HTTP_CONN_DEPTH);
	assert_false(http_conn_wants_input(&f->c));
	assert_true(http_conn_unparsed(&f->c) > 0);

	char *out = malloc(1 << 20), want[4096];
	size_t n = send_all(f, out, 1 << 20, 0), off = 0;
	for (int i = 0; i < nreq; i++) {
		size_t w = expected(i % 2 ? "/a.css" : "/index.html", false, want);
		assert_true(off + w <= n);
		assert_memory_equal(out + off, want, w);
		off += w;
	}
	assert_int_equal(off, n);
	assert_int_equal(f->st.requests, nreq);
	assert_true(http_conn_wants_input(&f->c));
	free(out);
}

/* Sends that stop at every possible byte resume exactly there, across
 * reply boundaries, and the bytes are the same. */
static void test_partial_sends(void **state)
{
	struct fixture *f = *state;
	char want[8192], out[8192];
	size_t w = expected("/index.html", false, want);
	w += expected("/a.css", false, want + w);

	for (size_t chunk = 1; chunk <= 64; chunk++) {
		http_conn_init(&f->c, pc, &f->st, f->now);
		const char *req = GET("/index.html") GET("/a.css");
		assert_int_equal(http_conn_input(&f->c, req, strlen(req), f->now), 0);
		size_t n = send_all(f, out, sizeof(out), chunk);
		assert_int_equal(n, w);
		assert_memory_equal(out, want, w);
	}
}

/* A half-sent reply keeps its Date slot when the clock ticks; the next
 * reply takes the new one. */
static void test_slot_stable_mid_reply(void **state)
{
	struct fixture *f = *state;
	const char *req = GET("/index.html") GET("/index.html");
	struct iovec iov[HTTP_CONN_IOV];
	struct http_tx tx;
	char first[HTTP_SLOT_LEN];

	assert_int_equal(http_conn_input(&f->c, req, strlen(req), f->now), 0);
	http_conn_tx(&f->c, &clk, iov, HTTP_CONN_IOV, 0, &tx);
	memcpy(first, iov[1].iov_base, HTTP_SLOT_LEN);
	http_conn_sent(&f->c, iov[0].iov_len + 5, f->now); /* into the slot */

	struct http_clock later = clk;
	http_clock_tick(&later, clk.second + 3600);
	assert_memory_not_equal(later.keep_alive, clk.keep_alive, HTTP_SLOT_LEN);
	http_conn_tx(&f->c, &later, iov, HTTP_CONN_IOV, 0, &tx);
	assert_memory_equal(iov[0].iov_base, first + 5, HTTP_SLOT_LEN - 5);
	size_t rest = 0;
	for (int i = 0; i < 2; i++)
		rest += iov[i].iov_len;
	http_conn_sent(&f->c, rest, f->now); /* the first reply is out */
	http_conn_tx(&f->c, &later, iov, HTTP_CONN_IOV, 0, &tx);
	assert_memory_equal(iov[1].iov_base, later.keep_alive, HTTP_SLOT_LEN);
}

/* The reply that closes: nothing after it is parsed, it ends the gather
 * (ends_close), then the connection lingers, drops input up to the cap,
 * and closes at the client's FIN or when the linger expires. */
static void test_close_and_linger(void **state)
{
	struct fixture *f = *state;
	const char *req = GET("/index.html") GET_CLOSE("/a.css") GET("/index.html");
	struct iovec iov[HTTP_CONN_IOV];
	struct http_tx tx;

	assert_int_equal(http_conn_input(&f->c, req, strlen(req), f->now), 0);
	assert_int_equal(f->st.requests, 2);
	assert_false(http_conn_wants_input(&f->c));
	http_conn_tx(&f->c, &clk, iov, HTTP_CONN_IOV, 0, &tx);
	assert_true(tx.ends_close);
	assert_int_equal(tx.niov, 6);
	assert_memory_equal(iov[4].iov_base, clk.close, HTTP_SLOT_LEN);

	char out[8192];
	send_all(f, out, sizeof(out), 0);
	assert_int_equal(http_conn_next(&f->c), HTTP_CONN_LINGER);
	f->now += 10;
	http_conn_linger_start(&f->c, f->now);
	assert_int_equal(http_conn_unparsed(&f->c), 0);
	assert_false(http_conn_expired(&f->c, f->now + HTTP_CONN_LINGER_MS - 1, 0));
	assert_true(http_conn_expired(&f->c, f->now + HTTP_CONN_LINGER_MS, 0));

	static char junk[64 * 1024];
	for (unsigned i = 0; i < HTTP_CONN_LINGER_MAX_BYTES / sizeof(junk); i++)
		assert_int_equal(http_conn_input(&f->c, junk, sizeof(junk), f->now), 0);
	assert_int_equal(http_conn_input(&f->c, junk, 1, f->now), -1);
	assert_int_equal(f->st.requests, 2);

	http_conn_eof(&f->c);
	assert_int_equal(http_conn_next(&f->c), HTTP_CONN_CLOSE);
}

/* Idle: from the last request parsed or byte sent. */
static void test_idle(void **state)
{
	struct fixture *f = *state;
	const char *req = GET("/index.html");

	assert_false(http_conn_expired(&f->c, 1000 + 499, 500));
	assert_true(http_conn_expired(&f->c, 1000 + 500, 500));
	assert_false(http_conn_expired(&f->c, 1000 + 100000, 0)); /* no timeout */
	f->now = 1400;
	assert_int_equal(http_conn_input(&f->c, req, strlen(req), f->now), 0);
	assert_false(http_conn_expired(&f->c, 1000 + 500, 500));
	f->now = 1800;
	char out[4096];
	send_all(f, out, sizeof(out), 1); /* one byte at a time: each is progress */
	assert_int_equal(f->c.active_ms, 1800);
	assert_true(http_conn_expired(&f->c, 2300, 500));
}

/* A client that sends EOF with replies queued: they are sent, then close. */
static void test_half_close(void **state)
{
	struct fixture *f = *state;
	const char *req = GET("/index.html");

	assert_int_equal(http_conn_input(&f->c, req, strlen(req), f->now), 0);
	http_conn_eof(&f->c);
	assert_false(http_conn_wants_input(&f->c));
	assert_int_equal(http_conn_next(&f->c), HTTP_CONN_SEND);
	char out[4096];
	send_all(f, out, sizeof(out), 0);
	assert_int_equal(http_conn_next(&f->c), HTTP_CONN_CLOSE);
}

/* A body at least large_body bytes long is sent alone (zero-copy), and
 * the gather before it stops short. */
static void test_large_body_alone(void **state)
{
	struct fixture *f = *state;
	const char *req = GET("/index.html") GET_CLOSE("/big.bin");
	struct iovec iov[HTTP_CONN_IOV];
	struct http_tx tx;

	assert_int_equal(http_conn_input(&f->c, req, strlen(req), f->now), 0);
	http_conn_tx(&f->c, &clk, iov, HTTP_CONN_IOV, 4096, &tx);
	assert_int_equal(tx.niov, 5); /* index.html, big.bin's head and slot */
	assert_true(tx.more);
	assert_false(tx.large_body);
	size_t n = 0;
	for (int i = 0; i < tx.niov; i++)
		n += iov[i].iov_len;
	http_conn_sent(&f->c, n, f->now);
	http_conn_tx(&f->c, &clk, iov, HTTP_CONN_IOV, 4096, &tx);
	assert_int_equal(tx.niov, 1);
	assert_true(tx.large_body);
	assert_true(tx.ends_close);
	assert_int_equal(iov[0].iov_len, 100000);
}

/* Errors: a peer's reset is not one. */
static void test_io_errors(void **state)
{
	struct fixture *f = *state;

	http_conn_io_error(&f->c, ECONNRESET);
	http_conn_io_error(&f->c, EPIPE);
	assert_int_equal(f->st.errors, 0);
	http_conn_io_error(&f->c, EIO);
	assert_int_equal(f->st.errors, 1);
}

/* A 404 counts as a 4xx and keeps the connection; a 400 closes. */
static void test_4xx(void **state)
{
	struct fixture *f = *state;
	const char *req = GET("/nope") "GET /x\r\n\r\n"; /* 404, then HTTP/0.9: 400 */

	assert_int_equal(http_conn_input(&f->c, req, strlen(req), f->now), 0);
	assert_int_equal(f->st.responses_4xx, 2);
	assert_true(f->c.closing);
}

static int setup(void **state)
{
	(void)state;
	char err[256];
	static char big[100000];

	pages_dir = temp_dir_create();
	temp_file_write(pages_dir, "index.html", "<h1>home</h1>", 13);
	temp_file_write(pages_dir, "a.css", "p{}", 3);
	memset(big, 'x', sizeof(big));
	temp_file_write(pages_dir, "big.bin", big, sizeof(big));
	pc = page_cache_load(pages_dir, err, sizeof(err));
	if (!pc) {
		fprintf(stderr, "page_cache_load: %s\n", err);
		return -1;
	}
	http_clock_init(&clk, 1700000000);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	page_cache_free(pc);
	temp_dir_remove(pages_dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_byte_at_a_time, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_pipelining_full_depth, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_partial_sends, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_slot_stable_mid_reply, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_close_and_linger, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_idle, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_half_close, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_large_body_alone, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_io_errors, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_4xx, fixture_setup, fixture_teardown),
	};
	return cmocka_run_group_tests_name("http connection core", tests, setup, teardown) ? 1 : 0;
}
