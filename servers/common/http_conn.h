/* One HTTP/1.1 connection without I/O: what httpd-tpc, httpd-epoll and
 * httpd-uring do with a connection's bytes, written once, so that the three
 * differ only in how bytes move between the socket and this core.
 *
 *   bytes in   http_conn_input(data, len): bytes from anywhere (a provided
 *              buffer), parsed in place, the unparsed rest kept; or
 *              http_conn_read_buf() + http_conn_read_done(n): read straight
 *              into the connection's own buffer. http_conn_eof() at FIN.
 *   bytes out  http_conn_tx(): the queued replies from the send cursor, as
 *              iovecs; http_conn_sent(n): what went out.
 *   what next  http_conn_next(): send, read, linger or close.
 *
 * The rules, the same for every engine:
 * - Pipelining: at most HTTP_CONN_DEPTH replies queued. While the queue is
 *   full nothing more is parsed, and http_conn_wants_input() says so (an
 *   engine that can leaves the input in the socket: backpressure).
 * - The idle timeout counts from the last activity (active_ms): a request
 *   parsed or bytes sent. Bytes that do not complete a request are not
 *   activity, so a client trickling a header byte by byte is closed.
 * - After a reply that closes, nothing more is parsed. Once it is sent,
 *   the server shuts its side down and lingers: it drops input until the
 *   client's FIN, for at most HTTP_CONN_LINGER_MS and
 *   HTTP_CONN_LINGER_MAX_BYTES, then closes. Closing over unread input
 *   would send a reset, which can destroy the reply in the client's kernel.
 * - A peer's reset (ECONNRESET, EPIPE) is an ordinary end, not an error
 *   (load generators reset at the end of every run).
 * - Counters: requests and 4xx when a request is parsed, bytes_sent when
 *   bytes go out (struct server_stats, the engine's per worker). */
#ifndef BB_HTTP_CONN_H
#define BB_HTTP_CONN_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "http_clock.h"
#include "http_core.h"
#include "page_cache.h"
#include "server.h"

#define HTTP_CONN_DEPTH 16                /* replies queued per connection */
#define HTTP_CONN_IOV (3 * HTTP_CONN_DEPTH) /* iovecs for the whole queue */
#define HTTP_CONN_LINGER_MS 2000
#define HTTP_CONN_LINGER_MAX_BYTES (1u << 20)
/* Unparsed input kept for an engine that cannot stop the bytes coming
 * (a multishot receive): beyond this the client is pipelining without
 * reading, and the connection is closed. */
#define HTTP_CONN_IN_MAX (8u << 20)

struct http_conn {
	const struct page_cache *pc;
	struct server_stats *stats;
	struct http_parser parser;
	char *in;               /* unparsed input: in[in_off..in_len) */
	uint32_t in_off, in_len, in_cap;
	uint32_t linger_dropped;
	uint8_t q_head, q_count;
	bool closing;           /* a reply that closes is queued: parse no more */
	bool close_sent;        /* ... and it went out whole */
	bool peer_eof;
	size_t q_off;           /* bytes of q[q_head] already sent */
	uint64_t active_ms;     /* last activity; the linger's start once lingering */
	/* The Date/Connection slots of the replies being sent: taken from the
	 * clock when a batch starts at a reply's first byte and kept while a
	 * reply is half sent, so one reply never mixes two dates, and stable
	 * while a send is in flight (io_uring may copy after submit). */
	char slot_keep_alive[HTTP_SLOT_LEN];
	char slot_close[HTTP_SLOT_LEN];
	struct http_reply q[HTTP_CONN_DEPTH];
};

/* What http_conn_tx gathered. */
struct http_tx {
	int niov;
	bool ends_close;  /* the bytes end the reply that closes: our FIN may follow */
	bool large_body;  /* iov[0] is alone: one body of at least the given size */
	bool more;        /* it stopped before such a body, which follows at once */
};

enum http_conn_next {
	HTTP_CONN_SEND,   /* replies are queued */
	HTTP_CONN_READ,   /* nothing to send: wait for requests */
	HTTP_CONN_LINGER, /* the reply that closes is out: shut down, drop input until FIN */
	HTTP_CONN_CLOSE,  /* done */
};

/* For a new connection. `c` is zeroed memory, or a connection that
 * http_conn_reset() or http_conn_init() set up before (its input buffer is
 * kept for reuse). */
void http_conn_init(struct http_conn *c, const struct page_cache *pc,
		    struct server_stats *stats, uint64_t now_ms);
/* Frees the input buffer; the struct can be zeroed or freed after. */
void http_conn_free(struct http_conn *c);

/* Bytes received. Parses what it can (in place when nothing is buffered)
 * and keeps the rest. While lingering they are dropped. Returns 0, or -1
 * when the connection must close: unparsed input beyond HTTP_CONN_IN_MAX,
 * input beyond HTTP_CONN_LINGER_MAX_BYTES while lingering, or no memory. */
int http_conn_input(struct http_conn *c, const char *data, size_t len, uint64_t now_ms);

/* Where to read into the connection's own buffer: up to *space bytes
 * (keeps the unparsed input within HTTP_MAX_HEADER_BYTES, which the HTTP
 * core answers with 431 before it fills). NULL on no memory. */
char *http_conn_read_buf(struct http_conn *c, size_t *space);
/* n bytes were read there (n > 0): parse them. */
void http_conn_read_done(struct http_conn *c, size_t n, uint64_t now_ms);

/* The client's FIN. */
static inline void http_conn_eof(struct http_conn *c)
{
	c->peer_eof = true;
}

/* The queued replies from the send cursor, at most max iovecs (3 per
 * reply). With large_body > 0, a body of at least that many bytes is
 * never gathered with other bytes: the gather stops before it (more), or
 * it comes alone (large_body), for a zero-copy send. */
void http_conn_tx(struct http_conn *c, const struct http_clock *clk, struct iovec *iov,
		  int max, size_t large_body, struct http_tx *tx);

/* n bytes of what http_conn_tx gave went out: retire them, and parse what
 * waited for room in the queue. */
void http_conn_sent(struct http_conn *c, size_t n, uint64_t now_ms);

static inline enum http_conn_next http_conn_next(const struct http_conn *c)
{
	if (c->q_count)
		return HTTP_CONN_SEND;
	if (c->close_sent)
		return c->peer_eof ? HTTP_CONN_CLOSE : HTTP_CONN_LINGER;
	return c->peer_eof ? HTTP_CONN_CLOSE : HTTP_CONN_READ;
}

/* Whether reading more is useful now: not after a reply that closes or the
 * client's FIN, and not while the queue is full. */
static inline bool http_conn_wants_input(const struct http_conn *c)
{
	return !c->closing && !c->peer_eof && c->q_count < HTTP_CONN_DEPTH;
}

/* Bytes received and not parsed yet (when closing: never to be parsed). */
static inline size_t http_conn_unparsed(const struct http_conn *c)
{
	return c->in_len - c->in_off;
}

/* Lingering, and the client sent more than we drop: close. */
static inline bool http_conn_linger_full(const struct http_conn *c)
{
	return c->linger_dropped >= HTTP_CONN_LINGER_MAX_BYTES;
}

/* The engine shut its side down after the reply that closes: from now on
 * input is dropped, and active_ms is the linger's start. */
void http_conn_linger_start(struct http_conn *c, uint64_t now_ms);

/* The idle timeout (idle_ms, 0: none) or the linger's has passed. */
static inline bool http_conn_expired(const struct http_conn *c, uint64_t now_ms, int idle_ms)
{
	if (c->close_sent)
		return now_ms - c->active_ms >= HTTP_CONN_LINGER_MS;
	return idle_ms > 0 && now_ms - c->active_ms >= (uint64_t)idle_ms;
}

/* A failed read or send (errno value): counted as an error unless the
 * peer reset or went away. */
static inline void http_conn_io_error(const struct http_conn *c, int err)
{
	if (err != ECONNRESET && err != EPIPE)
		c->stats->errors++;
}

#endif
