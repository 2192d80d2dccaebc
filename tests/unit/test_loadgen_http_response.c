/* loadgen's response parser: whole, byte by byte, split anywhere, pipelined,
 * chunked, close-delimited, truncated and malformed input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "http_response.h"

struct sink {
	char body[1 << 20];
	size_t len;
};

static void on_body(void *ctx, const char *p, size_t n)
{
	struct sink *s = ctx;
	assert_true(s->len + n <= sizeof(s->body));
	memcpy(s->body + s->len, p, n);
	s->len += n;
}

struct result {
	int status;
	bool keep_alive, chunked;
	size_t body_len;
	char body[4096];
	uint64_t bytes;
};

/* Parses buf cut into pieces of `step` bytes (0: whole), each piece copied
 * just before a guard page so an over-read faults. Returns the number of
 * complete responses, filling out[]; -1 if the parser rejected the input. */
static int parse_all(const char *buf, size_t len, size_t step, struct result *out, int max)
{
	static struct sink sink;
	long page = sysconf(_SC_PAGESIZE);
	size_t span = ((len + (size_t)page - 1) / (size_t)page + 1) * (size_t)page;
	char *map = mmap(NULL, span + (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(map != MAP_FAILED);
	mprotect(map + span, (size_t)page, PROT_NONE);

	struct http_response r;
	int n = 0;
	http_response_init(&r);
	sink.len = 0;
	size_t off = 0;
	while (off < len) {
		size_t piece = step ? step : len;
		if (piece > len - off)
			piece = len - off;
		char *p = map + span - piece; /* ends at the guard page */
		memcpy(p, buf + off, piece);
		size_t used = 0;
		while (used < piece) {
			ssize_t got = http_response_parse(&r, p + used, piece - used, on_body, &sink);
			if (got < 0) {
				munmap(map, span + (size_t)page);
				return -1;
			}
			used += (size_t)got;
			if (r.done) {
				assert_true(n < max);
				out[n].status = r.status;
				out[n].keep_alive = r.keep_alive;
				out[n].chunked = r.chunked;
				out[n].body_len = sink.len;
				out[n].bytes = r.bytes;
				assert_int_equal(r.body_bytes, sink.len);
				memcpy(out[n].body, sink.body, sink.len < sizeof(out[n].body) ? sink.len : sizeof(out[n].body));
				n++;
				sink.len = 0;
				http_response_init(&r);
			} else {
				assert_int_equal(used, piece); /* incomplete: everything consumed */
			}
		}
		off += piece;
	}
	munmap(map, span + (size_t)page);
	return n;
}

/* Same answer whole, byte by byte, and in pieces of 2..17 bytes. */
static int parse_every_way(const char *buf, struct result *out, int max)
{
	size_t len = strlen(buf);
	struct result *other = calloc((size_t)max, sizeof(*other));
	int n = parse_all(buf, len, 0, out, max);
	for (size_t step = 1; step <= 17; step++) {
		int m = parse_all(buf, len, step, other, max);
		assert_int_equal(m, n);
		for (int i = 0; i < n; i++) {
			assert_int_equal(other[i].status, out[i].status);
			assert_int_equal(other[i].keep_alive, out[i].keep_alive);
			assert_int_equal(other[i].body_len, out[i].body_len);
			assert_int_equal(other[i].bytes, out[i].bytes);
			assert_memory_equal(other[i].body, out[i].body, out[i].body_len);
		}
	}
	free(other);
	return n;
}

static void test_content_length(void **state)
{
	(void)state;
	struct result r[4];
	const char *resp = "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 13\r\nDate: now\r\n\r\nHello, World!";
	assert_int_equal(parse_every_way(resp, r, 4), 1);
	assert_int_equal(r[0].status, 200);
	assert_true(r[0].keep_alive);
	assert_int_equal(r[0].body_len, 13);
	assert_memory_equal(r[0].body, "Hello, World!", 13);
	assert_int_equal(r[0].bytes, strlen(resp));
}

static void test_stops_after_each_response(void **state)
{
	(void)state;
	const char *two = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabHTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";
	struct http_response r;
	http_response_init(&r);
	ssize_t n = http_response_parse(&r, two, strlen(two), NULL, NULL);
	assert_true(r.done);
	assert_int_equal(n, strlen("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab"));
	/* A done parser consumes nothing more until reset. */
	assert_int_equal(http_response_parse(&r, two + n, strlen(two) - (size_t)n, NULL, NULL), 0);
	http_response_init(&r);
	ssize_t m = http_response_parse(&r, two + n, strlen(two) - (size_t)n, NULL, NULL);
	assert_true(r.done);
	assert_int_equal(r.status, 404);
	assert_int_equal((size_t)(n + m), strlen(two));
}

static void test_pipelined_mixed(void **state)
{
	(void)state;
	struct result r[8];
	const char *resp =
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"
		"HTTP/1.1 100 Continue\r\n\r\n"
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		"3;name=value\r\ntwo\r\nA\r\n-and-more-\r\n0\r\nTrailer: x\r\n\r\n"
		"HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n"
		"HTTP/1.1 304 Not Modified\r\n\r\n"
		"HTTP/1.1 301 Moved\nLocation: /x\nContent-Length: 1\n\nZ"
		"HTTP/1.1 500 Oops\r\nConnection: close\r\nContent-Length: 4\r\n\r\nfail";
	assert_int_equal(parse_every_way(resp, r, 8), 6);
	assert_int_equal(r[0].status, 200);
	assert_memory_equal(r[0].body, "one", 3);
	assert_int_equal(r[1].status, 200); /* the 100 is skipped */
	assert_true(r[1].chunked);
	assert_int_equal(r[1].body_len, 13);
	assert_memory_equal(r[1].body, "two-and-more-", 13);
	assert_int_equal(r[2].status, 204);
	assert_int_equal(r[2].body_len, 0);
	assert_int_equal(r[3].status, 304);
	assert_int_equal(r[4].status, 301); /* bare LF line ends */
	assert_memory_equal(r[4].body, "Z", 1);
	assert_int_equal(r[5].status, 500);
	assert_false(r[5].keep_alive);
}

static void test_chunked_large(void **state)
{
	(void)state;
	/* 100 chunks of varying sizes, upper-case hex. */
	static char buf[200000], expect[100000];
	size_t len = (size_t)sprintf(buf, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n");
	size_t elen = 0;
	for (int i = 1; i <= 100; i++) {
		size_t n = (size_t)i * 7;
		len += (size_t)sprintf(buf + len, "%zX\r\n", n);
		for (size_t k = 0; k < n; k++) {
			char c = (char)('a' + (i + k) % 26);
			buf[len++] = c;
			expect[elen++] = c;
		}
		len += (size_t)sprintf(buf + len, "\r\n");
	}
	len += (size_t)sprintf(buf + len, "0\r\n\r\n");
	struct result *r = calloc(2, sizeof(*r));
	assert_int_equal(parse_all(buf, len, 0, r, 2), 1);
	assert_int_equal(r[0].body_len, elen);
	assert_int_equal(parse_all(buf, len, 1, r, 2), 1);
	assert_int_equal(parse_all(buf, len, 4093, r, 2), 1);
	assert_int_equal(r[0].body_len, elen);
	assert_memory_equal(r[0].body, expect, sizeof(r[0].body));
	free(r);
}

static void test_keep_alive_rules(void **state)
{
	(void)state;
	struct result r[2];
	assert_int_equal(parse_every_way("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", r, 2), 1);
	assert_false(r[0].keep_alive);
	assert_int_equal(parse_every_way("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", r, 2), 1);
	assert_true(r[0].keep_alive);
	assert_int_equal(parse_every_way("HTTP/1.1 200 OK\r\nCONNECTION: upgrade,  Close \r\nContent-Length: 0\r\n\r\n", r, 2), 1);
	assert_false(r[0].keep_alive);
	assert_int_equal(parse_every_way("HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 0\r\n\r\n", r, 2), 1);
	assert_true(r[0].keep_alive); /* "closed" is not "close" */
	assert_int_equal(parse_every_way("HTTP/1.1 200 OK\r\nX-Connection: close\r\nContent-Length: 0\r\n\r\n", r, 2), 1);
	assert_true(r[0].keep_alive);
}

static void test_close_delimited_and_truncated(void **state)
{
	(void)state;
	struct http_response r;
	const char *to_close = "HTTP/1.1 200 OK\r\nServer: y\r\n\r\nbody until close";
	http_response_init(&r);
	assert_int_equal(http_response_parse(&r, to_close, strlen(to_close), NULL, NULL), strlen(to_close));
	assert_false(r.done);
	assert_false(r.keep_alive);
	assert_true(http_response_eof(&r));
	assert_true(r.done);
	assert_int_equal(r.body_bytes, strlen("body until close"));

	/* Transfer-Encoding without chunked last: read to the close. */
	const char *gz = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nxyz";
	http_response_init(&r);
	http_response_parse(&r, gz, strlen(gz), NULL, NULL);
	assert_false(r.done);
	assert_true(http_response_eof(&r));

	/* Cut short: not a response. */
	const char *cut[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
		"HTTP/1.1 200 OK\r\nContent-Le",
		"HTTP/1.",
	};
	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		http_response_init(&r);
		assert_int_equal(http_response_parse(&r, cut[i], strlen(cut[i]), NULL, NULL), strlen(cut[i]));
		assert_false(r.done);
		assert_false(http_response_eof(&r));
		assert_false(r.done);
		assert_true(http_response_started(&r));
	}
	http_response_init(&r);
	assert_false(http_response_started(&r));
	assert_false(http_response_eof(&r));
}

static void test_malformed(void **state)
{
	(void)state;
	const char *bad[] = {
		"HTTP/2 200 OK\r\n\r\n",
		"HTTX/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1200 OK\r\n\r\n",
		"HTTP/1.1 abc OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\rX",
	};
	struct result r[2];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (size_t step = 0; step <= 3; step++) {
			int n = parse_all(bad[i], strlen(bad[i]), step, r, 2);
			if (n != -1)
				fail_msg("accepted malformed response #%zu (step %zu): %s", i, step, bad[i]);
		}
	}
	/* A header section that never ends is refused at the limit. */
	size_t big = HTTP_RESPONSE_MAX_HEAD + 100;
	char *h = malloc(big + 1);
	memcpy(h, "HTTP/1.1 200 OK\r\nX: ", 20);
	memset(h + 20, 'a', big - 20);
	h[big] = '\0';
	struct http_response p;
	http_response_init(&p);
	assert_int_equal(http_response_parse(&p, h, big, NULL, NULL), -1);
	assert_non_null(p.error);
	free(h);
	/* NUL inside a value. */
	const char nul[] = "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n";
	http_response_init(&p);
	assert_int_equal(http_response_parse(&p, nul, sizeof(nul) - 1, NULL, NULL), -1);
}

/* The bulk skips (reason phrase, uninteresting values: eight bytes at a
 * time) stop exactly where the byte-by-byte rules do: a NUL, a bare CR or a
 * TAB at every offset of a value of every length around a word, and the
 * head-size limit met exactly and by one byte. */
static void test_bulk_skips(void **state)
{
	(void)state;
	char buf[256];
	struct result r[2];
	for (int len = 0; len <= 24; len++) {
		for (int at = 0; at < len; at++) {
			char v[32];
			memset(v, 'v', (size_t)len);
			v[len] = '\0';
			v[at] = '\t'; /* allowed anywhere in a value and a reason */
			snprintf(buf, sizeof(buf),
				 "HTTP/1.1 200 O%sK\r\nX-Skip: %s\r\nContent-Length: 2\r\n\r\nok", v, v);
			assert_int_equal(parse_every_way(buf, r, 2), 1);
			assert_int_equal(r[0].status, 200);
			assert_int_equal(r[0].body_len, 2);

			for (int bad = 0; bad < 2; bad++) {
				/* A NUL or a bare CR in the value: refused, whatever the split. */
				size_t n = (size_t)snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\nX-Skip: %s\r\n\r\n", v);
				buf[17 + 8 + at] = bad ? '\r' : '\0';
				for (size_t step = 0; step <= 9; step++)
					if (parse_all(buf, n, step, r, 2) != -1)
						fail_msg("accepted a %s at %d of a %d-byte value (step %zu)",
							 bad ? "bare CR" : "NUL", at, len, step);
			}
		}
	}
	/* A head of exactly the limit passes; one byte more does not. */
	for (int extra = 0; extra <= 1; extra++) {
		const char *start = "HTTP/1.1 200 OK\r\nX: ", *end = "\r\nContent-Length: 0\r\n\r\n";
		size_t fill = HTTP_RESPONSE_MAX_HEAD - strlen(start) - strlen(end) + (size_t)extra;
		size_t total = strlen(start) + fill + strlen(end);
		char *h = malloc(total + 1);
		memcpy(h, start, strlen(start));
		memset(h + strlen(start), 'a', fill);
		memcpy(h + strlen(start) + fill, end, strlen(end) + 1);
		for (size_t step = 0; step <= 7; step += 7)
			assert_int_equal(parse_all(h, total, step, r, 2), extra ? -1 : 1);
		free(h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_stops_after_each_response),
		cmocka_unit_test(test_pipelined_mixed),
		cmocka_unit_test(test_chunked_large),
		cmocka_unit_test(test_keep_alive_rules),
		cmocka_unit_test(test_close_delimited_and_truncated),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bulk_skips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
