/* libFuzzer target for the HTTP core (servers/common/http_core.c).
 *
 * The first two bytes of an input choose a split point; the rest is what a
 * client sends. It is fed to the engine loop of http_core.h three ways:
 * whole, in two reads cut at the split point, and (when short) one byte at
 * a time. The replies must be identical every time, and every buffer
 * handed to http_handle is a malloc'd block of exactly the unread bytes,
 * so AddressSanitizer catches any read past its end.
 *
 * Build and run: make fuzz [FUZZ_SECONDS=600] */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "http_core.h"
#include "url_path.h"

#define MAX_REPLIES 64
#define BYTEWISE_MAX 256 /* feeding byte by byte is quadratic: short inputs only */

static struct page_cache *pc;
static struct http_clock clk;

struct outcome {
	int n;
	struct {
		const struct page *page;
		bool close, head_only;
		size_t consumed;
	} r[MAX_REPLIES];
	bool closed;
};

static void write_page(const char *dir, const char *rel, const char *body)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *f = fopen(path, "w");
	if (!f || fputs(body, f) < 0 || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

static char pages_dir[] = "/tmp/bb-fuzz-XXXXXX";

static void remove_pages(void)
{
	static const char *const files[] = {
		"index.html", "a.css", "a b.txt", "..x", "sub/index.html", "sub/p.html",
	};
	char path[512];

	page_cache_free(pc);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pages_dir, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/sub", pages_dir);
	rmdir(path);
	rmdir(pages_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	char err[256], sub[512];

	if (!mkdtemp(pages_dir)) {
		perror("mkdtemp");
		abort();
	}
	snprintf(sub, sizeof(sub), "%s/sub", pages_dir);
	if (mkdir(sub, 0755) < 0) {
		perror(sub);
		abort();
	}
	write_page(pages_dir, "index.html", "<h1>home</h1>");
	write_page(pages_dir, "a.css", "p{}");
	write_page(pages_dir, "a b.txt", "space");
	write_page(pages_dir, "..x", "dots");
	write_page(pages_dir, "sub/index.html", "sub");
	write_page(pages_dir, "sub/p.html", "");
	pc = page_cache_load(pages_dir, err, sizeof(err));
	if (!pc) {
		fprintf(stderr, "page_cache_load: %s\n", err);
		abort();
	}
	http_clock_init(&clk, 784111777);
	atexit(remove_pages);
	return 0;
}

static bool is_cache_page(const struct page *p)
{
	for (size_t i = 0; i < page_cache_count(pc); i++)
		if (page_cache_at(pc, i) == p)
			return true;
	return false;
}

static void check_reply(const struct http_reply *r, ssize_t n, size_t avail)
{
	if (n < 1 || (size_t)n > avail || !r->page)
		abort();
	int status = r->page->status;
	if (status == 200 ? !is_cache_page(r->page) : page_cache_error(pc, status) != r->page)
		abort();
	if (status != 200 && status != 404 && !r->close)
		abort(); /* every other error closes */

	struct iovec iov[3];
	int cnt = http_reply_iov(r, &clk, iov);
	size_t total = 0;
	for (int i = 0; i < cnt; i++)
		total += iov[i].iov_len;
	if (total != http_reply_len(r))
		abort();
}

/* The engine loop; data arrives in reads that end at the offsets in cuts[]. */
static void feed(const uint8_t *in, const size_t *cuts, size_t ncuts,
		 struct outcome *o)
{
	struct http_parser parser;
	size_t off = 0;

	memset(o, 0, sizeof(*o));
	http_parser_init(&parser);
	for (size_t c = 0; c < ncuts && !o->closed; c++) {
		size_t have = cuts[c];
		while (off < have) {
			size_t avail = have - off;
			char *buf = malloc(avail); /* exactly: ASan sees any over-read */
			struct http_reply r;
			memcpy(buf, in + off, avail);
			ssize_t n = http_handle(&parser, pc, buf, avail, &r);
			free(buf);
			if (n == HTTP_INCOMPLETE)
				break;
			check_reply(&r, n, avail);
			if (o->n == MAX_REPLIES)
				return; /* enough: the rest is more of the same */
			o->r[o->n].page = r.page;
			o->r[o->n].close = r.close;
			o->r[o->n].head_only = r.head_only;
			o->r[o->n].consumed = (size_t)n;
			o->n++;
			off += (size_t)n;
			if (r.close) {
				o->closed = true;
				break;
			}
		}
	}
}

static void assert_same(const struct outcome *a, const struct outcome *b)
{
	if (a->n != b->n || a->closed != b->closed)
		abort();
	for (int i = 0; i < a->n; i++) {
		if (a->r[i].page != b->r[i].page || a->r[i].close != b->r[i].close ||
		    a->r[i].head_only != b->r[i].head_only)
			abort();
		/* An error may consume whatever was there; a kept
		 * connection must agree on where the next request starts. */
		if (!a->r[i].close && a->r[i].consumed != b->r[i].consumed)
			abort();
	}
}

/* What url_path_normalise promises: an absolute path with no dot segment
 * and no empty segment, so it cannot leave the page folder. */
static void check_normalised(const uint8_t *target, size_t len)
{
	char out[URL_PATH_OUT_SIZE(512)];
	size_t out_len;

	if (len > 512 || url_path_normalise((const char *)target, len, out, &out_len) != URL_PATH_OK)
		return;
	if (out_len == 0 || out_len > len + 1 || out[0] != '/' || memchr(out, '\0', out_len))
		abort();
	for (size_t i = 0; i < out_len; i++) {
		if (out[i] != '/')
			continue;
		size_t seg = i + 1, end = seg;
		while (end < out_len && out[end] != '/')
			end++;
		size_t n = end - seg;
		if (end < out_len && n == 0)
			abort(); /* "//" */
		if ((n == 1 && out[seg] == '.') || (n == 2 && out[seg] == '.' && out[seg + 1] == '.'))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t len = size - 2;
	const uint8_t *in = data + 2;
	size_t split = ((size_t)data[0] | (size_t)data[1] << 8) % (len + 1);

	check_normalised(in, len);
	if (len == 0)
		return 0;

	struct outcome whole, two, bytewise;
	size_t whole_cut[] = { len };
	size_t two_cuts[] = { split, len };
	feed(in, whole_cut, 1, &whole);
	feed(in, two_cuts, 2, &two);
	assert_same(&whole, &two);

	if (len <= BYTEWISE_MAX) {
		size_t cuts[BYTEWISE_MAX];
		for (size_t i = 0; i < len; i++)
			cuts[i] = i + 1;
		feed(in, cuts, len, &bytewise);
		assert_same(&whole, &bytewise);
	}
	return 0;
}
