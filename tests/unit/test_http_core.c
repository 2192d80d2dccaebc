/* Unit tests: the sans-I/O HTTP core (servers/common/http_core.c).
 *
 * Every request is run the way an engine runs it (the loop in http_core.h),
 * with the unread bytes copied just before a PROT_NONE page so that any
 * over-read faults. Each expectation is checked three ways: the input
 * arriving whole, one byte at a time, and in chunks of 7 bytes; the replies
 * must be the same every time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http_core.h"
#include "test_util.h"

static struct page_cache *pc;
static char *pages_dir;

#define MAX_REPLIES 8

/* What an engine saw while feeding one input. */
struct outcome {
	int n; /* replies */
	struct {
		const struct page *page;
		bool close, head_only;
		size_t consumed;
	} r[MAX_REPLIES];
	size_t consumed; /* total */
	bool closed;
};

/* The engine loop of http_core.h, fed `chunk` bytes at a time. */
static void feed(const char *in, size_t len, size_t chunk, struct outcome *o)
{
	struct http_parser parser;
	size_t off = 0, have = 0;
	struct guarded g;
	/* Room for all of `in`; each call's bytes are moved to end at the guard. */
	char *guard = guard_copy(&g, in, len) + len;

	memset(o, 0, sizeof(*o));
	http_parser_init(&parser);
	while (have < len && !o->closed) {
		have = have + chunk < len ? have + chunk : len;
		for (;;) {
			struct http_reply r;
			char *buf = guard - (have - off);
			memcpy(buf, in + off, have - off);
			ssize_t n = http_handle(&parser, pc, buf, have - off, &r);
			if (n == HTTP_INCOMPLETE)
				break;
			assert_true(n >= 1 && (size_t)n <= have - off);
			assert_non_null(r.page);
			assert_true(o->n < MAX_REPLIES);
			o->r[o->n].page = r.page;
			o->r[o->n].close = r.close;
			o->r[o->n].head_only = r.head_only;
			o->r[o->n].consumed = (size_t)n;
			o->n++;
			off += (size_t)n;
			o->consumed = off;
			/* Every error but 404 closes; so does the engine. */
			if (r.page->status != 200 && r.page->status != 404)
				assert_true(r.close);
			if (r.close) {
				o->closed = true;
				break;
			}
		}
	}
	guard_free(&g);
}

static void assert_same_outcome(const struct outcome *a, const struct outcome *b)
{
	assert_int_equal(a->n, b->n);
	for (int i = 0; i < a->n; i++) {
		assert_ptr_equal(a->r[i].page, b->r[i].page);
		assert_int_equal(a->r[i].close, b->r[i].close);
		assert_int_equal(a->r[i].head_only, b->r[i].head_only);
		/* Errors may consume "whatever was there": only compare the
		 * consumed counts of replies that keep the connection. */
		if (!a->r[i].close)
			assert_int_equal(a->r[i].consumed, b->r[i].consumed);
	}
	assert_int_equal(a->closed, b->closed);
}

/* Feeds `in` whole, byte by byte and in 7-byte chunks, checks all agree,
 * and returns the whole-buffer outcome. */
static struct outcome run_len(const char *in, size_t len)
{
	struct outcome whole, bytes, chunks;

	feed(in, len, len ? len : 1, &whole);
	feed(in, len, 1, &bytes);
	feed(in, len, 7, &chunks);
	assert_same_outcome(&whole, &bytes);
	assert_same_outcome(&whole, &chunks);
	return whole;
}

static struct outcome run(const char *in)
{
	return run_len(in, strlen(in));
}

static const struct page *page(const char *path)
{
	const struct page *p = page_cache_lookup(pc, path, strlen(path));
	assert_non_null(p);
	return p;
}

/* One request in, one reply out with this status and close flag. */
static void expect_len(const char *in, size_t len, int status, bool close)
{
	struct outcome o = run_len(in, len);
	if (o.n != 1)
		fail_msg("%d replies to \"%.*s\"", o.n, (int)(len < 200 ? len : 200), in);
	if (o.r[0].page->status != status || o.r[0].close != close)
		fail_msg("got %d%s, want %d%s for \"%.*s\"", o.r[0].page->status,
			 o.r[0].close ? " close" : "", status, close ? " close" : "",
			 (int)(len < 200 ? len : 200), in);
}

static void expect(const char *in, int status, bool close)
{
	expect_len(in, strlen(in), status, close);
}

/* One request in, this page out (200, keep-alive). */
static void expect_page(const char *in, const char *path)
{
	struct outcome o = run(in);
	assert_int_equal(o.n, 1);
	if (o.r[0].page != page(path))
		fail_msg("\"%s\" got %d %s, want %s", in, o.r[0].page->status,
			 o.r[0].page->path, path);
	assert_false(o.r[0].close);
	assert_int_equal(o.consumed, strlen(in));
}

/* A request that has not fully arrived: nothing consumed, no reply. */
static void expect_incomplete(const char *in)
{
	struct outcome o = run(in);
	assert_int_equal(o.n, 0);
	assert_int_equal(o.consumed, 0);
}

#define GET(target) "GET " target " HTTP/1.1\r\nHost: x\r\n\r\n"

/* ---- fixture ---- */

static int setup(void **state)
{
	(void)state;
	char err[256];

	pages_dir = temp_dir_create();
	temp_file_write(pages_dir, "index.html", "<h1>home</h1>", 13);
	temp_file_write(pages_dir, "a.css", "p{}", 3);
	temp_file_write(pages_dir, "a b.txt", "space", 5);
	temp_file_write(pages_dir, "sub/index.html", "sub", 3);
	temp_file_write(pages_dir, "sub/page.html", "page", 4);
	temp_file_write(pages_dir, "..data", "dots", 4);
	pc = page_cache_load(pages_dir, err, sizeof(err));
	if (!pc)
		fprintf(stderr, "page_cache_load: %s\n", err);
	return pc ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	page_cache_free(pc);
	temp_dir_remove(pages_dir);
	return 0;
}

/* ---- 200, HEAD, replies as bytes ---- */

static void test_get(void **state)
{
	(void)state;
	expect_page(GET("/index.html"), "/index.html");
	expect_page(GET("/"), "/index.html");
	expect_page(GET("/sub/"), "/sub/index.html");
	expect_page(GET("/sub/page.html"), "/sub/page.html");
	expect_page(GET("/a%20b.txt"), "/a b.txt");
	expect_page(GET("/%61.css"), "/a.css");
	expect_page(GET("/..data"), "/..data");
	/* Header names are case-insensitive, values may have OWS around them,
	 * and unknown fields and high bytes (obs-text) in values are fine. */
	expect_page("GET / HTTP/1.1\r\nhOsT:x\r\nX-Any: \t v\xff \t\r\n\r\n", "/index.html");
}

static void test_head(void **state)
{
	(void)state;
	struct outcome o = run("HEAD /a.css HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(o.n, 1);
	assert_ptr_equal(o.r[0].page, page("/a.css"));
	assert_true(o.r[0].head_only);
	assert_false(o.r[0].close);

	/* A HEAD that fails still gets no body. */
	o = run("HEAD /missing HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(o.r[0].page->status, 404);
	assert_true(o.r[0].head_only);
	o = run("HEAD /%zz HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(o.r[0].page->status, 400);
	assert_true(o.r[0].head_only);
	/* Methods are case-sensitive: "head" is not HEAD. */
	expect("head / HTTP/1.1\r\nHost: x\r\n\r\n", 405, true);
}

static void test_reply_iov(void **state)
{
	(void)state;
	struct http_clock clk;
	struct iovec iov[3];
	const struct page *p = page("/index.html");
	struct http_reply r = { .page = p, .head_only = false, .close = false };

	http_clock_init(&clk, 784111777);
	assert_int_equal(http_reply_iov(&r, &clk, iov), 3);
	assert_ptr_equal(iov[0].iov_base, p->response);
	assert_int_equal(iov[0].iov_len, p->head_len);
	assert_memory_equal(iov[1].iov_base, "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
					     "Connection: keep-alive\r\n\r\n", HTTP_SLOT_LEN);
	assert_int_equal(iov[1].iov_len, HTTP_SLOT_LEN);
	assert_memory_equal(iov[2].iov_base, "<h1>home</h1>", 13);
	assert_int_equal(iov[2].iov_len, 13);
	assert_int_equal(http_reply_len(&r), p->head_len + HTTP_SLOT_LEN + 13);

	r.close = true;
	r.head_only = true;
	assert_int_equal(http_reply_iov(&r, &clk, iov), 2);
	assert_memory_equal(iov[1].iov_base, "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
					     "Connection: close     \r\n\r\n", HTTP_SLOT_LEN);
	assert_int_equal(http_reply_len(&r), p->head_len + HTTP_SLOT_LEN);
}

/* ---- keep-alive rules ---- */

static void test_keep_alive(void **state)
{
	(void)state;
	expect("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 200, false);
	expect("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, CLOSE\r\n\r\n", 200, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n", 200, false);
	expect("GET / HTTP/1.1\r\nHost: x\r\nConnection: closed\r\n\r\n", 200, false);
	expect("GET / HTTP/1.0\r\n\r\n", 200, true);
	expect("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 200, false);
	expect("GET / HTTP/1.0\r\nConnection: foo ,keep-alive\r\n\r\n", 200, false);
	expect("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", 200, true);
	/* 404 is the one error that keeps the connection. */
	expect(GET("/missing"), 404, false);
	expect("GET /missing HTTP/1.0\r\n\r\n", 404, true);
	/* A later minor version is spoken as 1.1. */
	expect("GET / HTTP/1.9\r\nHost: x\r\n\r\n", 200, false);
	expect("GET / HTTP/1.9\r\n\r\n", 400, true);
}

/* ---- statuses ---- */

static void test_method_not_allowed(void **state)
{
	(void)state;
	expect("POST / HTTP/1.1\r\nHost: x\r\n\r\n", 405, true);
	expect("DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", 405, true);
	expect("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 405, true);
	expect("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", 405, true);
	expect("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 405, true);
}

static void test_not_implemented(void **state)
{
	(void)state;
	expect("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	       501, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\ntransfer-encoding: gzip\r\n\r\n", 501, true);
	/* A method longer than any we know, rejected before its end arrives. */
	expect("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA / HTTP/1.1\r\nHost: x\r\n\r\n",
	       501, true);
	expect("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 501, true);
}

static void test_version_not_supported(void **state)
{
	(void)state;
	expect("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, true);
	expect("GET / HTTP/0.9\r\n\r\n", 505, true);
	expect("GET / HTTP/3.1\r\n\r\n", 505, true);
}

static void test_bad_request_line(void **state)
{
	(void)state;
	expect("GET /\r\n\r\n", 400, true);                      /* HTTP/0.9 */
	expect("GET\r\nHost: x\r\n\r\n", 400, true);
	expect("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400, true);  /* two spaces */
	expect("GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1 x\r\nHost: x\r\n\r\n", 400, true);
	expect("GET / HTTP/1.10\r\nHost: x\r\n\r\n", 400, true);
	expect("GET / http/1.1\r\nHost: x\r\n\r\n", 400, true);
	expect("GET / HTTP/1.x\r\nHost: x\r\n\r\n", 400, true);
	expect("GET / HTTP/11\r\nHost: x\r\n\r\n", 400, true);
	expect("GET /\ta HTTP/1.1\r\nHost: x\r\n\r\n", 400, true);
	expect("GET /\x7f HTTP/1.1\r\nHost: x\r\n\r\n", 400, true);
	expect("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400, true);
	expect("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, true);
	expect(" GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400, true);
	expect("GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400, true);
	expect("GET a/b HTTP/1.1\r\nHost: x\r\n\r\n", 400, true);
	expect("GET /#frag HTTP/1.1\r\nHost: x\r\n\r\n", 400, true);
}

/* Garbage is refused on its first byte, not after 8 KiB: a TLS hello to
 * the HTTP port gets its 400 as soon as it arrives. */
static void test_garbage_is_refused_at_once(void **state)
{
	(void)state;
	expect_len("\x16\x03\x01\x02\x00\x01", 6, 400, true);
	struct outcome o;
	feed("\x16", 1, 1, &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.r[0].page->status, 400);
}

static void test_bad_header_lines(void **state)
{
	(void)state;
	expect("GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\nName : value\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\nNa me: value\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\n: value\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\nN@me: value\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\nName\x80: value\r\n\r\n", 400, true);
	/* obs-fold: a line that continues the previous one. */
	expect("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\n\tHost: x\r\n\r\n", 400, true);
	/* Control characters in a value. */
	expect("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01z\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7fz\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x1b[0m\r\n\r\n", 400, true);
}

static void test_host(void **state)
{
	(void)state;
	expect("GET / HTTP/1.1\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nX-Host: x\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\nhost: x\r\n\r\n", 400, true);
	expect("GET / HTTP/1.0\r\nHost: x\r\nHost: y\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nHost:\r\n\r\n", 200, false); /* empty is legal */
	expect("GET / HTTP/1.0\r\n\r\n", 200, true);
}

static void test_nul_bytes(void **state)
{
	(void)state;
#define WITH_LEN(s) { s, sizeof(s) - 1 }
	static const struct {
		const char *s;
		size_t len;
	} in[] = {
		WITH_LEN("\0GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		WITH_LEN("G\0T / HTTP/1.1\r\nHost: x\r\n\r\n"),
		WITH_LEN("GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n"),
		WITH_LEN("GET / HTTP/1.1\0\r\nHost: x\r\n\r\n"),
		WITH_LEN("GET / HTTP/1.1\r\nHo\0st: x\r\n\r\n"),
		WITH_LEN("GET / HTTP/1.1\r\nHost: \0x\r\n\r\n"),
		WITH_LEN("GET / HTTP/1.1\r\nHost: x\0\r\n\r\n"),
		WITH_LEN("GET / HTTP/1.1\r\nHost: x\r\n\0\r\n\r\n"),
		WITH_LEN("GET / HTTP/1.1\r\nHost: x\r\nX-A: \0\r\n\r\n"),
	};
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		expect_len(in[i].s, in[i].len, 400, true);
	expect("GET /%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400, true);
}

static void test_bare_cr_is_refused(void **state)
{
	(void)state;
	expect("GET / HTTP/1.1\rHost: x\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nHost: x\rX-A: y\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\n\r\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\r\n\r\n", 400, true);
	expect("\rGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400, true);
}

/* RFC 9112 §2.2: we recognise a lone LF as a line terminator. */
static void test_bare_lf_is_accepted(void **state)
{
	(void)state;
	expect_page("GET / HTTP/1.1\nHost: x\n\n", "/index.html");
	expect_page("GET / HTTP/1.1\r\nHost: x\n\r\n", "/index.html");
	expect_page("GET / HTTP/1.1\nHost: x\r\n\n", "/index.html");
	expect("GET / HTTP/1.0\n\n", 200, true);
}

/* RFC 9112 §2.2: empty lines before a request line are skipped (some
 * clients send a CRLF after a request body); they count as consumed. */
static void test_empty_lines_before_request(void **state)
{
	(void)state;
	expect_page("\r\n\r\n\n" GET("/a.css"), "/a.css");
	expect_incomplete("\r\n\r\n");
	expect_incomplete("\r");
	expect_incomplete("\n\r");
}

static void test_incomplete(void **state)
{
	(void)state;
	expect_incomplete("G");
	expect_incomplete("GET");
	expect_incomplete("GET / HTTP/1.1");
	expect_incomplete("GET / HTTP/1.1\r\nHost: x\r\n");
	expect_incomplete("GET / HTTP/1.1\r\nHost: x\r\n\r");
	expect_incomplete("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabc");
}

/* parser->scanned: a second call resumes after the bytes already seen. */
static void test_scanned_resumes(void **state)
{
	(void)state;
	const char *in = GET("/a.css");
	size_t len = strlen(in);
	struct http_parser p;
	struct http_reply r;

	http_parser_init(&p);
	assert_int_equal(http_handle(&p, pc, in, len - 3, &r), HTTP_INCOMPLETE);
	assert_int_equal(p.scanned, len - 3);
	assert_int_equal(http_handle(&p, pc, in, len - 1, &r), HTTP_INCOMPLETE);
	assert_int_equal(p.scanned, len - 1);
	assert_int_equal(http_handle(&p, pc, in, len, &r), len);
	assert_ptr_equal(r.page, page("/a.css"));
	/* Ready for the next request. */
	assert_int_equal(p.scanned, 0);
	assert_int_equal(p.body_to_skip, 0);
	/* Bytes before p.scanned are not searched again: poison them with an
	 * empty line, and the parser must not notice it. */
	char poisoned[64];
	strcpy(poisoned, "GET / HTTP/1.1\r\nX: \n\nHost: x\r\n");
	http_parser_init(&p);
	p.scanned = strlen(poisoned) - 3;
	assert_int_equal(http_handle(&p, pc, poisoned, strlen(poisoned), &r), HTTP_INCOMPLETE);
	http_parser_init(&p);
	assert_int_equal(http_handle(&p, pc, poisoned, strlen(poisoned), &r),
			 strstr(poisoned, "\n\n") + 2 - poisoned);
	assert_int_equal(r.page->status, 400);

	/* A stale parser handed a shorter buffer starts over. */
	p.scanned = 1000;
	assert_int_equal(http_handle(&p, pc, in, len, &r), len);
}

/* ---- paths: decoding, normalisation, traversal ---- */

static void test_percent_escapes(void **state)
{
	(void)state;
	expect_page(GET("/%69ndex.html"), "/index.html");
	expect_page(GET("/%61%2E%63%73%73"), "/a.css"); /* upper-case hex, an encoded dot */
	expect_page(GET("/a%20b.txt"), "/a b.txt");
	expect(GET("/a+b.txt"), 404, false); /* '+' is a space only in queries */
}

static void test_invalid_percent_escapes(void **state)
{
	(void)state;
	expect(GET("/%zz"), 400, true);
	expect(GET("/%4"), 400, true);
	expect(GET("/%"), 400, true);
	expect(GET("/a%"), 400, true);
	expect(GET("/%4/"), 400, true);
	expect(GET("/%%41"), 400, true);
	expect(GET("/%g1"), 400, true);
	expect(GET("/%00"), 400, true);
	expect(GET("/%41%4"), 400, true);
	expect(GET("/x?%zz"), 404, false); /* the query is never decoded */
}

static void test_normalisation(void **state)
{
	(void)state;
	expect_page(GET("//index.html"), "/index.html");
	expect_page(GET("/./index.html"), "/index.html");
	expect_page(GET("/sub/../index.html"), "/index.html");
	expect_page(GET("/sub/%2e%2e/a.css"), "/a.css");
	expect_page(GET("/sub/%2E/page.html"), "/sub/page.html");
	expect_page(GET("/sub//page.html"), "/sub/page.html");
	expect_page(GET("/sub/."), "/sub/index.html");
	expect_page(GET("/sub/x/.."), "/sub/index.html");
	expect_page(GET("/sub/page.html/.."), "/sub/index.html");
	expect_page(GET("/sub/.."), "/index.html");
	expect_page(GET("/.."  "data"), "/..data");
	expect_page(GET("/index.html?x=1&y=/../.."), "/index.html");
	expect_page(GET("/?"), "/index.html");
	expect(GET("/sub"), 404, false); /* a folder without its slash */
	expect(GET("/index.html/"), 404, false);
}

static void test_absolute_form(void **state)
{
	(void)state;
	expect_page(GET("http://example.com/a.css"), "/a.css");
	expect_page(GET("http://example.com"), "/index.html");
	expect_page(GET("HTTP://example.com:8080?q"), "/index.html");
	expect_page(GET("https://example.com/sub/"), "/sub/index.html");
	expect(GET("http:///a.css"), 400, true);
	expect(GET("ftp://example.com/a.css"), 400, true);
	expect(GET("example.com:80"), 400, true);
}

/* Nothing outside the page folder, however it is spelled. */
static void test_traversal(void **state)
{
	(void)state;
	expect(GET("/../etc/passwd"), 400, true);
	expect(GET("/.."), 400, true);
	expect(GET("/../"), 400, true);
	expect(GET("/sub/../../etc/passwd"), 400, true);
	expect(GET("/sub/../.."), 400, true);
	expect(GET("/%2e%2e/etc/passwd"), 400, true);
	expect(GET("/%2E%2E/%2E%2E/etc/passwd"), 400, true);
	expect(GET("/.%2e/etc/passwd"), 400, true);
	expect(GET("/./../etc/passwd"), 400, true);
	expect(GET("//../etc/passwd"), 400, true);
	expect(GET("http://h/../etc/passwd"), 400, true);
	/* An encoded slash is part of a name, and no name has one. */
	expect(GET("/..%2fetc%2fpasswd"), 404, false);
	expect(GET("/%2e%2e%2f%2e%2e%2fetc%2fpasswd"), 404, false);
	expect(GET("/sub%2fpage.html"), 404, false);
	expect(GET("/sub%2Fpage.html"), 404, false);
	/* Double encoding decodes once: "%252e" is the name "%2e". */
	expect(GET("/%252e%252e/etc/passwd"), 404, false);
	/* A backslash is an ordinary character on Linux. */
	expect(GET("/..\\..\\etc\\passwd"), 404, false);
}

/* ---- size limits ---- */

static char *repeat(const char *head, char c, size_t n, const char *tail)
{
	size_t h = strlen(head), t = strlen(tail);
	char *s = malloc(h + n + t + 1);
	memcpy(s, head, h);
	memset(s + h, c, n);
	memcpy(s + h + n, tail, t + 1);
	return s;
}

static void test_target_too_long(void **state)
{
	(void)state;
	/* Exactly the limit is fine (and not found); one more is 414. */
	char *s = repeat("GET /", 'a', HTTP_MAX_TARGET - 1, " HTTP/1.1\r\nHost: x\r\n\r\n");
	expect(s, 404, false);
	free(s);
	s = repeat("GET /", 'a', HTTP_MAX_TARGET, " HTTP/1.1\r\nHost: x\r\n\r\n");
	expect(s, 414, true);
	free(s);
	/* A request line that never ends: 414 once the buffer is full. */
	s = repeat("GET /", 'a', 2 * HTTP_MAX_HEADER_BYTES, "");
	expect(s, 414, true);
	free(s);
	/* ... even if it is a bad request line in other ways too. */
	s = repeat("GET /", '\x01', HTTP_MAX_HEADER_BYTES, "");
	expect(s, 414, true);
	free(s);
}

static void test_header_section_too_large(void **state)
{
	(void)state;
	/* One huge field, ending or not. */
	char *s = repeat("GET / HTTP/1.1\r\nHost: x\r\nX-A: ", 'a', HTTP_MAX_HEADER_BYTES, "");
	expect(s, 431, true);
	free(s);
	s = repeat("GET / HTTP/1.1\r\nHost: x\r\nX-A: ", 'a', HTTP_MAX_HEADER_BYTES,
		   "\r\n\r\n");
	expect(s, 431, true);
	free(s);
	/* Many small fields. */
	size_t n = 0;
	char *many = malloc(2 * HTTP_MAX_HEADER_BYTES);
	n += (size_t)sprintf(many, "GET / HTTP/1.1\r\nHost: x\r\n");
	while (n < HTTP_MAX_HEADER_BYTES + 100)
		n += (size_t)sprintf(many + n, "X-Field: value\r\n");
	strcpy(many + n, "\r\n");
	expect(many, 431, true);
	free(many);
	/* Nothing but empty lines. */
	s = repeat("", '\n', HTTP_MAX_HEADER_BYTES, "");
	expect(s, 431, true);
	free(s);
}

/* A header section of exactly HTTP_MAX_HEADER_BYTES is accepted; one byte
 * more is not. */
static void test_header_section_at_the_limit(void **state)
{
	(void)state;
	const char *head = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ";
	size_t pad = HTTP_MAX_HEADER_BYTES - strlen(head) - 4;

	char *s = repeat(head, 'p', pad, "\r\n\r\n");
	assert_int_equal(strlen(s), HTTP_MAX_HEADER_BYTES);
	expect(s, 200, false);
	free(s);
	s = repeat(head, 'p', pad + 1, "\r\n\r\n");
	expect(s, 431, true);
	free(s);
}

/* ---- request bodies ---- */

static void test_body_is_skipped(void **state)
{
	(void)state;
	const char *in = "GET /a.css HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
			 "GET /"
			 "GET /sub/ HTTP/1.1\r\nHost: x\r\n\r\n";
	struct outcome o = run(in);
	assert_int_equal(o.n, 2);
	assert_ptr_equal(o.r[0].page, page("/a.css"));
	assert_ptr_equal(o.r[1].page, page("/sub/index.html"));
	assert_int_equal(o.r[0].consumed, strlen(in) - strlen(GET("/sub/")));
	assert_int_equal(o.consumed, strlen(in));

	/* Content-Length: 0 is no body at all; a 404 also skips its body. */
	expect_page("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "/index.html");
	o = run("GET /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n\r\n" GET("/"));
	assert_int_equal(o.n, 2);
	assert_int_equal(o.r[0].page->status, 404);
	assert_ptr_equal(o.r[1].page, page("/index.html"));
}

static void test_body_tracking_across_calls(void **state)
{
	(void)state;
	const char *in = "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789";
	size_t len = strlen(in), head = len - 10;
	struct http_parser p;
	struct http_reply r;

	http_parser_init(&p);
	assert_int_equal(http_handle(&p, pc, in, head + 4, &r), HTTP_INCOMPLETE);
	assert_int_equal(p.scanned, head);
	assert_int_equal(p.body_to_skip, 10);
	assert_int_equal(http_handle(&p, pc, in, len - 1, &r), HTTP_INCOMPLETE);
	assert_int_equal(http_handle(&p, pc, in, len, &r), len);
	assert_ptr_equal(r.page, page("/index.html"));
	assert_false(r.close);
	assert_int_equal(p.body_to_skip, 0);
}

static void test_body_too_large(void **state)
{
	(void)state;
	/* A body that cannot fit in the engine's buffer: 413, close. */
	expect("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", 413, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
	       413, true);
	/* Head + body of exactly HTTP_MAX_HEADER_BYTES is read; one more
	 * byte of body is refused. (8000 has as many digits as the lengths.) */
	const char *fmt = "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n";
	char head[128];
	size_t fits = HTTP_MAX_HEADER_BYTES - (size_t)snprintf(head, sizeof(head), fmt, (size_t)8000);
	for (size_t extra = 0; extra <= 1; extra++) {
		snprintf(head, sizeof(head), fmt, fits + extra);
		char *s = repeat(head, 'b', fits + extra, "");
		if (extra)
			expect(s, 413, true);
		else
			expect(s, 200, false);
		free(s);
	}
}

static void test_bad_content_length(void **state)
{
	(void)state;
	expect("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 1\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n", 400, true);
	expect("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
	       400, true);
}

/* ---- pipelining ---- */

static void test_pipelining(void **state)
{
	(void)state;
	const char *in = GET("/") "HEAD /a.css HTTP/1.1\r\nHost: x\r\n\r\n" GET("/nope");
	struct outcome o = run(in);

	assert_int_equal(o.n, 3);
	assert_ptr_equal(o.r[0].page, page("/index.html"));
	assert_false(o.r[0].head_only);
	assert_ptr_equal(o.r[1].page, page("/a.css"));
	assert_true(o.r[1].head_only);
	assert_int_equal(o.r[2].page->status, 404);
	assert_int_equal(o.r[0].consumed, strlen(GET("/")));
	assert_int_equal(o.consumed, strlen(in));
	assert_false(o.closed);

	/* Whatever follows a close is not read. */
	in = GET("/") "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" GET("/a.css");
	o = run(in);
	assert_int_equal(o.n, 2);
	assert_true(o.closed);

	/* An error in the middle: the replies before it stand. */
	o = run(GET("/a.css") "GET / HTTP/1.1\r\n\r\n" GET("/"));
	assert_int_equal(o.n, 2);
	assert_ptr_equal(o.r[0].page, page("/a.css"));
	assert_int_equal(o.r[1].page->status, 400);

	/* Split at every point, the same replies. */
	in = GET("/") "GET /sub/ HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
	     "\r\n" GET("/a.css");
	struct outcome whole, split;
	feed(in, strlen(in), strlen(in), &whole);
	assert_int_equal(whole.n, 3);
	for (size_t chunk = 1; chunk < strlen(in); chunk++) {
		feed(in, strlen(in), chunk, &split);
		assert_same_outcome(&whole, &split);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_reply_iov),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_method_not_allowed),
		cmocka_unit_test(test_not_implemented),
		cmocka_unit_test(test_version_not_supported),
		cmocka_unit_test(test_bad_request_line),
		cmocka_unit_test(test_garbage_is_refused_at_once),
		cmocka_unit_test(test_bad_header_lines),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_bare_cr_is_refused),
		cmocka_unit_test(test_bare_lf_is_accepted),
		cmocka_unit_test(test_empty_lines_before_request),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_scanned_resumes),
		cmocka_unit_test(test_percent_escapes),
		cmocka_unit_test(test_invalid_percent_escapes),
		cmocka_unit_test(test_normalisation),
		cmocka_unit_test(test_absolute_form),
		cmocka_unit_test(test_traversal),
		cmocka_unit_test(test_target_too_long),
		cmocka_unit_test(test_header_section_too_large),
		cmocka_unit_test(test_header_section_at_the_limit),
		cmocka_unit_test(test_body_is_skipped),
		cmocka_unit_test(test_body_tracking_across_calls),
		cmocka_unit_test(test_body_too_large),
		cmocka_unit_test(test_bad_content_length),
		cmocka_unit_test(test_pipelining),
	};
	return cmocka_run_group_tests_name("http core", tests, setup, teardown) ? 1 : 0;
}
