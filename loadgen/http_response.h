/* Incremental HTTP/1.x response parser, sans-I/O.
 *
 * It never buffers: the status line and headers are consumed byte by byte
 * through a small state machine that keeps only what the client needs
 * (status, Content-Length, whether the body is chunked, whether the server
 * will close), and body bytes are handed to an optional callback in place.
 * So a connection needs no read buffer of its own: a worker reads every
 * socket into one scratch buffer and feeds it here, whatever the page size.
 *
 *     http_response_init(&r);
 *     while (len) {
 *         ssize_t n = http_response_parse(&r, buf, len, on_body, ctx);
 *         if (n < 0) -> malformed (r.error says why), drop the connection
 *         buf += n; len -= n;
 *         if (r.done) { use r.status...; http_response_init(&r); }
 *     }
 *     on EOF: http_response_eof(&r) says whether that ended a response
 *     whose body runs to the close.
 *
 * Parsing stops right after a complete response, so pipelined responses in
 * one buffer come out one at a time. Interim 1xx responses are skipped. */
#ifndef LG_HTTP_RESPONSE_H
#define LG_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTP_RESPONSE_MAX_HEAD (64 * 1024) /* status line + headers */

typedef void (*http_body_fn)(void *ctx, const char *data, size_t len);

struct http_response {
	/* Results: status from the status line on; the rest final once done. */
	int status;
	bool done;
	bool keep_alive;        /* false: the server closes after this response */
	bool chunked;
	bool has_length;
	uint64_t content_length;
	uint64_t body_bytes;    /* body bytes seen (de-chunked) */
	uint64_t bytes;         /* bytes consumed for this response, all framing */
	const char *error;      /* why parsing failed, once it returned -1 */

	/* Private state. */
	uint8_t state;
	uint8_t header;         /* which interesting header is being read */
	uint8_t name_len;
	uint8_t candidates;     /* header names still matching the name so far */
	uint8_t tok_len;        /* current token of a list-valued header */
	uint8_t tok_match;      /* which known tokens it still matches */
	bool last_tok_chunked;
	bool te_seen;
	bool conn_close;
	bool conn_keep_alive;
	bool seen_digit;
	int minor;              /* HTTP/1.<minor> */
	uint32_t head_bytes;
	uint64_t value;         /* number being parsed (Content-Length, chunk size) */
	uint64_t remaining;     /* body or chunk bytes still to come */
};

void http_response_init(struct http_response *r);

/* Consumes up to len bytes; returns how many (stopping just after a complete
 * response), or -1 if the bytes are not a valid response. */
ssize_t http_response_parse(struct http_response *r, const char *buf, size_t len,
			    http_body_fn on_body, void *ctx);

/* The peer closed. Returns true if that completes the response in progress
 * (a body delimited by the close), false if a response was cut short or
 * none had started (then r->done stays false). */
bool http_response_eof(struct http_response *r);

/* True once any byte of the current response has been consumed. */
static inline bool http_response_started(const struct http_response *r)
{
	return r->bytes > 0;
}

#endif
