/* Per-page checksum sums for httpd-xdp's HTTP side (xdp_http.c): the
 * partial sums of the pieces the TCP stack cuts a reply into, computed
 * once per page at start (ARCHITECTURE.md: "anything a server needs per
 * page is computed there, once") and handed to the stack with each range
 * of a reply (netstack_range.sums).
 *
 * The stack cuts every message at multiples of its MSS (netstack_conn_mss)
 * from the message's start, so a reply of head + slot + body is cut as:
 * segment 0 = head + slot + body[0, f), f = mss - head - slot, then body
 * chunks of mss bytes. The sums of the head and of each body piece are
 * here; the slot's is computed once per reply (it changes every second). */
#ifndef BB_PAGE_SUMS_H
#define BB_PAGE_SUMS_H

#include <stdint.h>
#include "page_cache.h"

/* The sums for one cut size (page->engine_data, a chain: one per cut,
 * without and with timestamps). */
struct page_sums {
	uint32_t magic;
	uint16_t mss; /* the cut size: netstack_conn_mss() */
	struct page_sums *next;
	uint16_t head_sum; /* folded partial sum of the head, at offset 0 */
	uint32_t first;    /* f: body bytes in segment 0 */
	uint32_t nchunks;
	uint16_t sums[]; /* [0]: body[0, f); [k]: chunk k */
};
#define PAGE_SUMS_MAGIC 0x6e737073u

/* Precomputes the sums of every page (and error page) for the two cuts of
 * this MTU: mtu - 40 (a peer without timestamps) and that less the
 * timestamps every segment then carries. Call once before any worker runs;
 * pages without them are summed live. Only software checksums use them:
 * with checksum offload the call can be skipped. Returns 0, or -1 with
 * errno (ENOMEM). */
int page_sums_prepare(struct page_cache *pc, uint16_t mtu);
void page_sums_release(struct page_cache *pc);

/* The sums of page p for the cut mss, or NULL. */
static inline const struct page_sums *page_sums_find(const struct page *p, uint16_t mss)
{
	const struct page_sums *ps = p->engine_data;
	for (; ps && ps->magic == PAGE_SUMS_MAGIC; ps = ps->next)
		if (ps->mss == mss)
			return ps;
	return NULL;
}

#endif
