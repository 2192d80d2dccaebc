/* The glue between TCP and the shared HTTP core: in-order bytes are parsed
 * where they lie in the connection's receive buffer, and each reply is
 * queued by reference (page) plus a copy of the clock's slot. */
#include <string.h>

#include "checksum.h"
#include "netstack_internal.h"

const struct ns_reply *ns_reply_at(const struct tcp_conn *c, uint32_t seq,
				   uint32_t *offset)
{
	uint32_t start = c->reply_seq;
	for (unsigned i = 0; i < c->rcount; i++) {
		const struct ns_reply *r = &c->replies[(c->rhead + i) % NS_MAX_REPLIES];
		if (seq - start < r->len) {
			*offset = seq - start;
			return r;
		}
		start += r->len;
	}
	return NULL;
}

/* Drops the replies snd_una has passed. */
void ns_replies_release(struct tcp_conn *c)
{
	while (c->rcount) {
		const struct ns_reply *r = &c->replies[c->rhead];
		if (SEQ_LT(c->snd_una, c->reply_seq + r->len))
			break;
		c->reply_seq += r->len;
		c->rhead = (c->rhead + 1) % NS_MAX_REPLIES;
		c->rcount--;
	}
}

static void queue_reply(struct netstack *ns, struct tcp_conn *c,
			const struct http_reply *hr)
{
	struct ns_reply *r = &c->replies[(c->rhead + c->rcount) % NS_MAX_REPLIES];
	c->rcount++;
	r->page = hr->page;
	r->len = (uint32_t)http_reply_len(hr);
	memcpy(r->slot, http_clock_slot(ns->cfg.clock, hr->close), HTTP_SLOT_LEN);
	/* With checksum offload nothing reads it: no sum per reply. */
	r->slot_sum = ns->cfg.csum_offload ? 0 : csum_partial(r->slot, HTTP_SLOT_LEN, 0);
	c->snd_end += r->len;
	ns_idle_touch(ns, c); /* a request parsed: activity */
	ns->stats.requests++;
	if (hr->page->status >= 400 && hr->page->status < 500)
		ns->stats.responses_4xx++;
}

/* Where the receive buffer's bytes end: in-order data plus whatever
 * out-of-order data sits beyond it. */
static uint32_t rx_extent(const struct tcp_conn *c)
{
	uint32_t end = c->rx_len;
	for (unsigned i = 0; i < c->nooo; i++) {
		uint32_t e = c->rx_len + (c->ooo[i].end - c->rcv_nxt);
		if (e > end)
			end = e;
	}
	return end;
}

void ns_http_run(struct netstack *ns, struct tcp_conn *c)
{
	if (c->state != TCP_ESTABLISHED && c->state != TCP_CLOSE_WAIT)
		return;
	size_t off = 0;
	uint32_t space_before = ns_rcv_space(c);
	while (!c->rx_closed && off < c->rx_len && c->rcount < NS_MAX_REPLIES) {
		struct http_reply hr;
		ssize_t n = http_handle(&c->parser, ns->cfg.pages, c->rxbuf + off,
					c->rx_len - off, &hr);
		if (n == HTTP_INCOMPLETE)
			break;
		off += (size_t)n;
		queue_reply(ns, c, &hr);
		if (hr.close) {
			/* Connection: close, or an error: the FIN follows
			 * this reply and later bytes are not requests. */
			c->rx_closed = true;
			c->fin_queued = true;
		}
	}
	if (off) {
		uint32_t ext = rx_extent(c);
		memmove(c->rxbuf, c->rxbuf + off, ext - off);
		c->rx_len -= (uint32_t)off;
	}
	/* Half-close from the client: answer what was asked, then close.
	 * A partial request left behind a FIN can never complete. */
	if (c->fin_received && !c->rx_closed &&
	    (c->rx_len == 0 || c->rcount < NS_MAX_REPLIES)) {
		c->rx_closed = true;
		c->fin_queued = true;
	}
	if (c->rx_closed)
		c->rx_len = 0;
	/* The window grew by a useful amount: tell the peer (RFC 9293
	 * 3.8.6.2.2, receiver side SWS avoidance). */
	uint32_t adv = c->rcv_adv - c->rcv_nxt;
	if (ns_rcv_space(c) > space_before && ns_rcv_space(c) - adv >= c->mss)
		c->ack_pending = true;
}
