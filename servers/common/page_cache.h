/* Page cache: a folder of files loaded once into prebuilt HTTP/1.1 responses.
 *
 * Every response is stored contiguously as
 *
 *     [ head: status line, Server, Content-Type, Content-Length, ... ]
 *     [ slot: "Date: <29 chars>\r\nConnection: <keep-alive|close     >\r\n\r\n" ]
 *     [ body ]
 *
 * The slot is the only part that changes between two sends of the same page
 * (the clock ticks, the connection is kept or closed). It has a fixed width,
 * so the stored response keeps a placeholder slot and an engine sends
 * head + its own current slot (see http_clock.h) + body. Nothing is rebuilt
 * when the second changes, and workers never write to shared memory.
 *
 * Anything an engine needs per page (e.g. per-segment checksums for the
 * AF_XDP stack) hangs off `engine_data`, computed once at start. */
#ifndef BB_PAGE_CACHE_H
#define BB_PAGE_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* "Date: " + IMF-fixdate (29) + CRLF + "Connection: " + 10 + CRLF + CRLF */
#define HTTP_SLOT_LEN (6 + 29 + 2 + 12 + 10 + 2 + 2)

struct page {
	const char *path;      /* normalised URI path, e.g. "/a/index.html" */
	size_t path_len;
	const char *response;  /* head + placeholder slot + body, contiguous */
	size_t head_len;       /* bytes before the slot */
	size_t body_len;       /* bytes after the slot */
	int status;            /* 200, 404, 400, ... */
	uint64_t hash;         /* hash of path, for the lookup table */
	void *engine_data;     /* per-page precomputation owned by one engine */
};

/* Bytes of a full GET response (head + slot + body). */
static inline size_t page_response_len(const struct page *p)
{
	return p->head_len + HTTP_SLOT_LEN + p->body_len;
}

static inline const char *page_body(const struct page *p)
{
	return p->response + p->head_len + HTTP_SLOT_LEN;
}

struct page_cache;

/* Loads every regular file under `dir` (recursively). "/" and any
 * "/dir/" also resolve to "index.html" inside them when present.
 * Returns NULL and writes one line into err on failure. */
struct page_cache *page_cache_load(const char *dir, char *err, size_t errlen);
void page_cache_free(struct page_cache *pc);

/* Exact lookup of a normalised, percent-decoded path. NULL if absent. */
const struct page *page_cache_lookup(const struct page_cache *pc,
				     const char *path, size_t len);

/* Prebuilt error responses: 400, 404, 405, 413, 414, 431, 501, 503, 505,
 * each with a short text/plain body. Never NULL for those codes, NULL for
 * any other. */
const struct page *page_cache_error(const struct page_cache *pc, int status);

size_t page_cache_count(const struct page_cache *pc);
const struct page *page_cache_at(const struct page_cache *pc, size_t i);
size_t page_cache_bytes(const struct page_cache *pc); /* memory held */

/* The one block that holds every page's response (not the error pages'),
 * for an engine that keeps a copy of it elsewhere: httpd-xdp mirrors it
 * into its UMEM, so that segments can point at the bodies. */
const char *page_cache_arena(const struct page_cache *pc, size_t *len);

#endif
