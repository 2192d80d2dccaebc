/* HTTP/1.1 over the userspace TCP stack (xdp_http.h). */
#include "xdp_http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "http_conn.h"
#include "page_sums.h"

/* Head, slot, the body up to the end of its first segment, the rest. */
#define RANGES_PER_REPLY 4
_Static_assert(RANGES_PER_REPLY * HTTP_CONN_DEPTH <= NETSTACK_TX_RANGES,
	       "a full reply queue must fit the send stream");
_Static_assert(NETSTACK_RX_BUF >= HTTP_MAX_HEADER_BYTES,
	       "the HTTP core answers 431 before HTTP_MAX_HEADER_BYTES: TCP must hold that many");

/* A reply until acknowledged: the page's bytes are referenced, the slot is
 * copied because the clock rewrites it every second and a retransmission
 * must repeat the same bytes. */
struct reply {
	uint16_t slot_sum; /* folded partial checksum of slot[] */
	char slot[HTTP_SLOT_LEN];
};

struct conn {
	struct http_parser parser;
	uint16_t mss; /* TCP's cut, where the page sums are cut */
	uint8_t head, count;
	struct reply replies[HTTP_CONN_DEPTH];
};

struct xdp_http {
	const struct page_cache *pc;
	const struct http_clock *clock;
	/* The sums of the clock's two slots, for the second they show: a
	 * reply's slot sum is then a copy, not a sum per reply. */
	time_t sums_second;
	uint16_t slot_sum[2]; /* [close] */
	bool csum_offload;
	struct xdp_http_stats stats;
	struct conn *conns;
};

struct xdp_http *xdp_http_new(const struct page_cache *pc, const struct http_clock *clock,
			      uint32_t max_conns, bool csum_offload)
{
	struct xdp_http *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	/* Untouched pages of this are never faulted in, as TCP's buffers. */
	x->conns = calloc(max_conns, sizeof(*x->conns));
	if (!x->conns) {
		free(x);
		errno = ENOMEM;
		return NULL;
	}
	x->pc = pc;
	x->clock = clock;
	x->sums_second = (time_t)-1;
	x->csum_offload = csum_offload;
	return x;
}

void xdp_http_free(struct xdp_http *x)
{
	if (!x)
		return;
	free(x->conns);
	free(x);
}

const struct xdp_http_stats *xdp_http_stats(const struct xdp_http *x)
{
	return &x->stats;
}

bool xdp_http_conn_has_room(const struct xdp_http *x, uint32_t slot)
{
	return x->conns[slot].count < HTTP_CONN_DEPTH;
}

const struct http_parser *xdp_http_conn_parser(const struct xdp_http *x, uint32_t slot)
{
	return &x->conns[slot].parser;
}

static void *http_open(void *ctx, struct netstack_conn *c, uint32_t slot)
{
	struct conn *hc = &((struct xdp_http *)ctx)->conns[slot];

	http_parser_init(&hc->parser);
	hc->mss = netstack_conn_mss(c);
	hc->head = hc->count = 0;
	return hc;
}

/* The reply's bytes as ranges cut where TCP cuts its segments, each with
 * the page's precomputed sum (page_sums.h) when there is one. */
static void queue_reply(struct xdp_http *x, struct netstack *ns, struct netstack_conn *c,
			struct conn *hc, const struct http_reply *hr)
{
	struct reply *r = &hc->replies[(unsigned)(hc->head + hc->count) % HTTP_CONN_DEPTH];
	const struct page *p = hr->page;
	bool sw = !x->csum_offload; /* offload: TCP reads no sum */
	const struct page_sums *ps = sw ? page_sums_find(p, hc->mss) : NULL;
	bool body = !hr->head_only && p->body_len;
	struct netstack_range rg[RANGES_PER_REPLY];
	int n = 0;

	hc->count++;
	memcpy(r->slot, http_clock_slot(x->clock, hr->close), HTTP_SLOT_LEN);
	if (sw) {
		if (x->clock->second != x->sums_second) {
			x->sums_second = x->clock->second;
			for (int k = 0; k < 2; k++)
				x->slot_sum[k] = csum_fold16(csum_partial(
					http_clock_slot(x->clock, k), HTTP_SLOT_LEN, 0));
		}
		r->slot_sum = x->slot_sum[hr->close];
	}
	rg[n++] = (struct netstack_range){ .data = p->response,
					   .sums = ps ? &ps->head_sum : NULL,
					   .len = (uint32_t)p->head_len,
					   .sum_step = (uint16_t)p->head_len };
	rg[n++] = (struct netstack_range){ .data = r->slot,
					   .sums = sw ? &r->slot_sum : NULL,
					   .len = HTTP_SLOT_LEN,
					   .sum_step = HTTP_SLOT_LEN,
					   .end_of_message = !body };
	if (body && ps) {
		/* Cut as TCP cuts: the first piece ends segment 0, then one
		 * piece per segment. */
		const char *b = page_body(p);
		uint32_t f = ps->first, len = (uint32_t)p->body_len;
		if (f)
			rg[n++] = (struct netstack_range){ .data = b,
							   .sums = &ps->sums[0],
							   .len = f,
							   .sum_step = (uint16_t)f,
							   .end_of_message = f == len };
		if (len > f)
			rg[n++] = (struct netstack_range){ .data = b + f,
							   .sums = &ps->sums[1],
							   .len = len - f,
							   .sum_step = ps->mss,
							   .end_of_message = true };
	} else if (body) {
		rg[n++] = (struct netstack_range){ .data = page_body(p),
						   .len = (uint32_t)p->body_len,
						   .end_of_message = true };
	}
	netstack_send(ns, c, rg, (unsigned)n); /* room: HTTP_CONN_DEPTH replies fit */
	x->stats.requests++;
	if (p->status >= 400 && p->status < 500)
		x->stats.responses_4xx++;
}

static size_t http_input(void *ctx, struct netstack *ns, struct netstack_conn *c, void *state,
			 const uint8_t *data, size_t len, bool fin)
{
	struct xdp_http *x = ctx;
	struct conn *hc = state;
	size_t off = 0;

	while (off < len && hc->count < HTTP_CONN_DEPTH) {
		struct http_reply hr;
		ssize_t n =
			http_handle(&hc->parser, x->pc, (const char *)data + off, len - off, &hr);
		if (n == HTTP_INCOMPLETE)
			break;
		off += (size_t)n;
		queue_reply(x, ns, c, hc, &hr);
		if (hr.close) {
			/* Connection: close, or an error: the FIN follows
			 * this reply and later bytes are not requests. */
			netstack_close(ns, c);
			return off;
		}
	}
	/* Half-close from the client: answer what was asked, then close.
	 * A partial request left behind a FIN can never complete. */
	if (fin && (off == len || hc->count < HTTP_CONN_DEPTH))
		netstack_close(ns, c);
	return off;
}

/* Replies wholly acknowledged (one message each) leave the queue: their
 * slots may be reused. */
static void http_acked(void *ctx, void *state, uint32_t bytes, uint32_t replies)
{
	struct conn *hc = state;

	(void)ctx;
	(void)bytes;
	hc->head = (uint8_t)((hc->head + replies) % HTTP_CONN_DEPTH);
	hc->count = (uint8_t)(hc->count - replies);
}

const struct netstack_app xdp_http_app = {
	.open = http_open,
	.input = http_input,
	.acked = http_acked,
};
