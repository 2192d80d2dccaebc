/* httpd-xdp's application on its TCP stack: HTTP/1.1 through the stack's
 * application interface (netstack.h, struct netstack_app). TCP knows
 * nothing of HTTP or pages; this side owns the parser, the replies' slot
 * copies and the page sums (page_sums.h), and feeds each reply to TCP as
 * ranges with their precomputed checksums.
 *
 * Why not the connection core that tpc, epoll and uring share
 * (http_conn.h): it keeps one Date slot per connection for the batch being
 * sent and retires a reply once the socket took it. Over our own TCP a
 * reply's bytes must stay the same until acknowledged (a retransmission
 * repeats them) while later replies are queued, maybe a second later: each
 * reply needs its own slot copy, retired on ACK. Its input buffer, linger
 * and idle rules are TCP's business here (the receive window, FIN and
 * TIME_WAIT, the idle timer). What is shared is what decides the graphs:
 * the HTTP core (http_core.h) and the pipelining depth (HTTP_CONN_DEPTH).
 *
 * Rules, as in http_conn.h: at most HTTP_CONN_DEPTH replies unacknowledged
 * per connection (further requests wait, unconsumed, in TCP's receive
 * buffer, so the window closes on a client that pipelines without reading);
 * after a reply that closes, our FIN follows it and nothing more is parsed;
 * at the client's FIN, what was asked is answered, then we close. */
#ifndef BB_XDP_HTTP_H
#define BB_XDP_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "http_clock.h"
#include "http_core.h"
#include "netstack.h"
#include "page_cache.h"

struct xdp_http_stats {
	uint64_t requests, responses_4xx;
};

struct xdp_http;

/* One per netstack (max_conns its slots). The clock is the worker's: the
 * slot is copied from it when a reply is queued. With csum_offload no
 * checksum is computed for the slots. NULL with errno (ENOMEM). */
struct xdp_http *xdp_http_new(const struct page_cache *pc, const struct http_clock *clock,
			      uint32_t max_conns, bool csum_offload);
void xdp_http_free(struct xdp_http *x);

/* netstack_config.app, with app_ctx the xdp_http. */
extern const struct netstack_app xdp_http_app;

const struct xdp_http_stats *xdp_http_stats(const struct xdp_http *x);

/* White-box views of connection slot `slot` (the fuzzer's invariants):
 * whether it can queue another reply, and its parser. */
bool xdp_http_conn_has_room(const struct xdp_http *x, uint32_t slot);
const struct http_parser *xdp_http_conn_parser(const struct xdp_http *x, uint32_t slot);

#endif
