/* HTTP/1.x core, sans-I/O: bytes in, "what to send" out.
 *
 * An engine keeps, per connection, a receive buffer of at least
 * HTTP_MAX_HEADER_BYTES and one struct http_parser. After new bytes arrive:
 *
 *     for (;;) {
 *         struct http_reply r;
 *         ssize_t n = http_handle(&conn->parser, cache, buf + off, len - off, &r);
 *         if (n == HTTP_INCOMPLETE) break;   // keep buf[off..len), read more
 *         off += n;                          // n >= 1: r is filled
 *         queue_send(r);                     // http_reply_iov() gives the bytes
 *         if (r.close) { stop reading; break; }
 *     }
 *
 * Requests that cannot be satisfied still produce a reply (a 4xx page with
 * close set), so the engine never has to build error responses itself.
 * When len - off reaches HTTP_MAX_HEADER_BYTES without a complete header
 * section, http_handle answers 431 (or 414 when the request line alone is
 * too long), so a buffer of that size is always enough.
 * The parser never reads outside buf[0..len).
 *
 * buf must always start at the first unconsumed byte (the parser's state
 * counts from there), whether or not the engine moves its buffer.
 * A request with a Content-Length body is answered once the whole body is
 * in the buffer, and the count consumed then covers the body too; a body
 * that could not fit in HTTP_MAX_HEADER_BYTES gets 413 and close. */
#ifndef BB_HTTP_CORE_H
#define BB_HTTP_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>
#include "http_clock.h"
#include "page_cache.h"

#define HTTP_MAX_HEADER_BYTES 8192 /* request line + headers + CRLFCRLF */
#define HTTP_MAX_TARGET 2048       /* request-target, before decoding */
#define HTTP_INCOMPLETE ((ssize_t)-2)

/* Per-connection state. Zero it (or http_parser_init) at accept. */
struct http_parser {
	size_t scanned;       /* bytes already searched for the end of headers
			       * (while waiting for a body: the head's length) */
	size_t body_to_skip;  /* Content-Length of a request body being waited for */
};

struct http_reply {
	const struct page *page;
	bool head_only;       /* HEAD: send head + slot, no body */
	bool close;           /* close the connection after this reply */
};

void http_parser_init(struct http_parser *p);

/* Returns the number of bytes consumed (>= 1) and fills *reply, or
 * HTTP_INCOMPLETE when more bytes are needed (nothing consumed). */
ssize_t http_handle(struct http_parser *p, const struct page_cache *pc,
		    const char *buf, size_t len, struct http_reply *reply);

/* The bytes of a reply as up to 3 iovecs: head, the worker's slot, body.
 * Returns the iovec count (2 for HEAD or an empty body, else 3). */
int http_reply_iov(const struct http_reply *r, const struct http_clock *clk,
		   struct iovec iov[3]);

static inline size_t http_reply_len(const struct http_reply *r)
{
	return r->page->head_len + HTTP_SLOT_LEN +
	       (r->head_only ? 0 : r->page->body_len);
}

#endif
