/* The application interface (netstack.h, struct netstack_app): in-order
 * input handed up and consumed, the send stream of ranges handed down and
 * kept until acknowledged.
 *
 * The send stream is a ring of NETSTACK_TX_RANGES ranges per connection,
 * the first starting at tx_seq; snd_end is where the last ends. Nothing is
 * copied: a segment is cut again from the ranges whenever it is sent
 * (tcp_output.c), so a retransmission repeats the same bytes as long as the
 * application keeps them, which it does until `acked`. */
#include <string.h>

#include "netstack_internal.h"

uint32_t ns_tx_msg_left(const struct tcp_conn *c, unsigned idx, uint32_t off)
{
	const struct ns_tx_range *r = &c->tx[idx];
	uint32_t left = r->rg.len - off;
	unsigned last = ns_tx_slot(c->tx_head + c->tx_count - 1);

	while (!r->rg.end_of_message && idx != last) {
		idx = ns_tx_slot(idx + 1);
		r = &c->tx[idx];
		left += r->rg.len;
	}
	return left;
}

uint32_t ns_tx_release_part(struct netstack *ns, struct tcp_conn *c)
{
	uint32_t bytes = 0, msgs = 0;
	while (c->tx_count) {
		const struct ns_tx_range *r = &c->tx[c->tx_head];
		if (SEQ_LT(c->snd_una, c->tx_seq + r->rg.len))
			break;
		c->tx_seq += r->rg.len;
		bytes += r->rg.len;
		if (r->rg.end_of_message) {
			msgs++;
			c->tx_msgs--;
		}
		c->tx_head = (uint8_t)(ns_tx_slot(c->tx_head + 1));
		c->tx_count--;
	}
	if (bytes) {
		ns->in_app = true;
		ns->cfg.app->acked(ns->cfg.app_ctx, c->app_conn, bytes, msgs);
		ns->in_app = false;
	}
	return bytes;
}

int netstack_send(struct netstack *ns, struct netstack_conn *h, const struct netstack_range *r,
		  unsigned n)
{
	struct tcp_conn *c = ns_conn_of(h);

	if (c->fin_queued || n > (unsigned)(NS_TX_RANGES - c->tx_count))
		return -1;
	uint32_t msg_off = c->tx_msg_off, end = c->snd_end;
	unsigned count = c->tx_count, msgs = c->tx_msgs;
	unsigned k = ns_tx_slot(c->tx_head + count);
	for (unsigned i = 0; i < n; i++, r++) {
		if (r->len == 0) {
			/* Only marks the end of the message. */
			struct ns_tx_range *last = &c->tx[ns_tx_slot(k + NS_TX_RANGES - 1)];
			if (r->end_of_message && count && !last->rg.end_of_message) {
				last->rg.end_of_message = true;
				msgs++;
			}
			if (r->end_of_message)
				msg_off = 0;
			continue;
		}
		struct ns_tx_range *t = &c->tx[k];
		t->rg = *r;
		t->msg_off = msg_off;
		msg_off = r->end_of_message ? 0 : msg_off + r->len;
		msgs += r->end_of_message;
		end += r->len;
		count++;
		k = ns_tx_slot(k + 1);
	}
	c->tx_count = (uint8_t)count;
	c->tx_msgs = (uint8_t)msgs;
	c->tx_msg_off = msg_off;
	c->snd_end = end;
	ns_idle_touch(ns, c); /* the application answered: activity */
	if (!ns->in_app)
		ns_pending_add(ns, c); /* no output follows: netstack_poll's */
	return 0;
}

unsigned netstack_send_room(const struct netstack_conn *h)
{
	return NS_TX_RANGES - ((const struct tcp_conn *)(const void *)h)->tx_count;
}

void netstack_close(struct netstack *ns, struct netstack_conn *h)
{
	struct tcp_conn *c = ns_conn_of(h);

	c->rx_closed = true;
	c->fin_queued = true;
	if (!ns->in_app)
		ns_pending_add(ns, c);
}

uint16_t netstack_conn_mss(const struct netstack_conn *h)
{
	return ((const struct tcp_conn *)(const void *)h)->mss;
}

/* Where the receive buffer's bytes end: in-order data plus whatever
 * out-of-order data sits beyond it. */
uint32_t ns_rx_extent(const struct tcp_conn *c)
{
	uint32_t end = c->rx_len;
	for (unsigned i = 0; i < c->nooo; i++) {
		uint32_t e = c->rx_len + (c->ooo[i].end - c->rcv_nxt);
		if (e > end)
			end = e;
	}
	return end;
}
