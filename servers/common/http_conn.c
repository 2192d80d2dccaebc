/* One HTTP/1.1 connection without I/O (http_conn.h). */
#include "http_conn.h"

#include <stdlib.h>
#include <string.h>

void http_conn_init(struct http_conn *c, const struct page_cache *pc,
		    struct server_stats *stats, uint64_t now_ms)
{
	char *in = c->in;
	uint32_t cap = c->in_cap;

	memset(c, 0, offsetof(struct http_conn, slot_keep_alive));
	c->in = in;
	c->in_cap = cap;
	c->pc = pc;
	c->stats = stats;
	c->active_ms = now_ms;
	http_parser_init(&c->parser);
}

void http_conn_free(struct http_conn *c)
{
	free(c->in);
	c->in = NULL;
	c->in_cap = c->in_off = c->in_len = 0;
}

/* Runs the HTTP core over buf while the queue has room; returns the bytes
 * consumed. */
static size_t parse(struct http_conn *c, const char *buf, size_t len, uint64_t now_ms)
{
	size_t off = 0;

	while (!c->closing && c->q_count < HTTP_CONN_DEPTH) {
		struct http_reply r;
		ssize_t n = http_handle(&c->parser, c->pc, buf + off, len - off, &r);

		if (n == HTTP_INCOMPLETE)
			break;
		off += (size_t)n;
		c->q[(c->q_head + c->q_count) % HTTP_CONN_DEPTH] = r;
		c->q_count++;
		c->stats->requests++;
		if (r.page->status >= 400 && r.page->status < 500)
			c->stats->responses_4xx++;
		c->active_ms = now_ms;
		if (r.close)
			c->closing = true;
	}
	return off;
}

static void parse_buffered(struct http_conn *c, uint64_t now_ms)
{
	if (c->in_len > c->in_off)
		c->in_off += (uint32_t)parse(c, c->in + c->in_off, c->in_len - c->in_off, now_ms);
	if (c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
}

/* Room for `need` more bytes behind the unparsed input, moving it to the
 * front first. */
static int reserve(struct http_conn *c, size_t need)
{
	if (c->in_off) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	if (c->in_len + need > HTTP_CONN_IN_MAX)
		return -1;
	if (c->in_len + need > c->in_cap) {
		uint32_t cap = c->in_cap ? c->in_cap : HTTP_MAX_HEADER_BYTES;
		while (cap < c->in_len + need)
			cap *= 2;
		char *p = realloc(c->in, cap);
		if (!p)
			return -1;
		c->in = p;
		c->in_cap = cap;
	}
	return 0;
}

int http_conn_input(struct http_conn *c, const char *data, size_t len, uint64_t now_ms)
{
	if (c->close_sent) {
		if (len > HTTP_CONN_LINGER_MAX_BYTES - c->linger_dropped)
			return -1;
		c->linger_dropped += (uint32_t)len;
		return 0;
	}
	if (c->closing)
		return 0; /* after a reply that closes: never parsed */
	if (c->in_len == c->in_off) {
		/* The usual case: parse in place, keep only a request that
		 * continues in the next bytes, or what the queue had no room for. */
		size_t used = parse(c, data, len, now_ms);
		if (used == len || c->closing)
			return 0;
		data += used;
		len -= used;
	}
	if (reserve(c, len) < 0)
		return -1;
	memcpy(c->in + c->in_len, data, len);
	c->in_len += (uint32_t)len;
	parse_buffered(c, now_ms);
	return 0;
}

char *http_conn_read_buf(struct http_conn *c, size_t *space)
{
	size_t unparsed = c->in_len - c->in_off;
	size_t room = HTTP_MAX_HEADER_BYTES > unparsed ? HTTP_MAX_HEADER_BYTES - unparsed : 0;

	/* Move the unparsed input to the front only when the tail is short:
	 * pipelined requests are then parsed without a copy each. */
	if (c->in_cap - c->in_len < room || !c->in) {
		if (reserve(c, room) < 0)
			return NULL;
	}
	*space = room;
	return c->in + c->in_len;
}

void http_conn_read_done(struct http_conn *c, size_t n, uint64_t now_ms)
{
	c->in_len += (uint32_t)n;
	if (c->close_sent) {
		c->in_off = c->in_len = 0;
		c->linger_dropped += (uint32_t)(n < HTTP_CONN_LINGER_MAX_BYTES ? n : HTTP_CONN_LINGER_MAX_BYTES);
		return;
	}
	parse_buffered(c, now_ms);
}

/* Reply i of the queue (0 = the head) as head, slot and body. */
static void reply_iov(const struct http_conn *c, unsigned i, struct iovec seg[3])
{
	const struct http_reply *r = &c->q[(c->q_head + i) % HTTP_CONN_DEPTH];
	const struct page *p = r->page;

	seg[0] = (struct iovec){ (void *)p->response, p->head_len };
	seg[1] = (struct iovec){ r->close ? (void *)c->slot_close : (void *)c->slot_keep_alive,
				 HTTP_SLOT_LEN };
	seg[2] = (struct iovec){ (void *)page_body(p), r->head_only ? 0 : p->body_len };
}

void http_conn_tx(struct http_conn *c, const struct http_clock *clk, struct iovec *iov,
		  int max, size_t large_body, struct http_tx *tx)
{
	size_t skip = c->q_off;
	unsigned i;

	*tx = (struct http_tx){ 0 };
	if (c->q_off == 0) {
		memcpy(c->slot_keep_alive, clk->keep_alive, HTTP_SLOT_LEN);
		memcpy(c->slot_close, clk->close, HTTP_SLOT_LEN);
	}
	for (i = 0; i < c->q_count && tx->niov + 3 <= max; i++) {
		struct iovec seg[3];

		reply_iov(c, i, seg);
		for (int k = 0; k < 3; k++) {
			if (seg[k].iov_len <= skip) {
				skip -= seg[k].iov_len;
				continue;
			}
			struct iovec v = { (char *)seg[k].iov_base + skip, seg[k].iov_len - skip };
			skip = 0;
			if (k == 2 && large_body && seg[2].iov_len >= large_body) {
				if (tx->niov > 0) {
					tx->more = true;
					return;
				}
				iov[0] = v;
				tx->niov = 1;
				tx->large_body = true;
				tx->ends_close = i + 1 == c->q_count &&
						 c->q[(c->q_head + i) % HTTP_CONN_DEPTH].close;
				return;
			}
			iov[tx->niov++] = v;
		}
	}
	tx->ends_close = i == c->q_count && c->q_count &&
			 c->q[(c->q_head + c->q_count - 1) % HTTP_CONN_DEPTH].close;
}

void http_conn_sent(struct http_conn *c, size_t n, uint64_t now_ms)
{
	c->stats->bytes_sent += n;
	if (n)
		c->active_ms = now_ms;
	while (n && c->q_count) {
		const struct http_reply *r = &c->q[c->q_head];
		size_t left = http_reply_len(r) - c->q_off;

		if (n < left) {
			c->q_off += n;
			return;
		}
		n -= left;
		if (r->close)
			c->close_sent = true;
		c->q_off = 0;
		c->q_head = (uint8_t)((c->q_head + 1) % HTTP_CONN_DEPTH);
		c->q_count--;
	}
	parse_buffered(c, now_ms);
}

void http_conn_linger_start(struct http_conn *c, uint64_t now_ms)
{
	c->in_off = c->in_len = 0;
	c->linger_dropped = 0;
	c->active_ms = now_ms;
}
