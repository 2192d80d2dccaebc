/* Per-page checksum precomputation (page_sums.h). Sending a full segment
 * then costs the header's sum only.
 *
 * Two cuts per page: mss = mtu - 40 (a peer without timestamps) and
 * mss - 12 (with them: every segment carries 12 bytes of options, so the
 * cut moves; netstack_conn_mss). Both stay in a chain off engine_data. */
#include <stdlib.h>

#include "checksum.h"
#include "netstack.h"
#include "page_sums.h"

static const int error_statuses[] = { 400, 404, 405, 414, 431, 501, 503 };

/* The cache hands out const pages; engine_data is the one field meant for
 * engines to fill, once, before any worker runs. */
static struct page *writable(const struct page *p)
{
	return (struct page *)p;
}

static struct page_sums *build(const struct page *p, uint16_t mss)
{
	size_t hs = p->head_len + HTTP_SLOT_LEN;
	if (hs > mss || p->body_len > UINT32_MAX)
		return NULL; /* never cut this way: summed live */
	size_t f = mss - hs < p->body_len ? mss - hs : p->body_len;
	size_t rest = p->body_len - f;
	size_t nchunks = 1 + (rest + mss - 1) / mss;
	struct page_sums *ps = malloc(sizeof(*ps) + nchunks * sizeof(uint16_t));
	if (!ps)
		return NULL;
	ps->magic = PAGE_SUMS_MAGIC;
	ps->mss = mss;
	ps->next = NULL;
	ps->head_sum = csum_fold16(csum_partial(p->response, p->head_len, 0));
	ps->first = (uint32_t)f;
	ps->nchunks = (uint32_t)nchunks;
	const char *body = page_body(p);
	ps->sums[0] = csum_fold16(csum_partial(body, f, 0));
	for (size_t k = 1, off = f; k < nchunks; k++, off += mss) {
		size_t n = p->body_len - off < mss ? p->body_len - off : mss;
		ps->sums[k] = csum_fold16(csum_partial(body + off, n, 0));
	}
	return ps;
}

static void release_one(const struct page *p)
{
	struct page_sums *ps = p->engine_data;
	while (ps) {
		struct page_sums *next = ps->next;
		free(ps);
		ps = next;
	}
	writable(p)->engine_data = NULL;
}

/* Sums for the cut `mss`, pushed on the page's chain. */
static int prepare_cut(const struct page *p, uint16_t mss)
{
	size_t hs = p->head_len + HTTP_SLOT_LEN;
	if (hs > mss)
		return 0;
	struct page_sums *ps = build(p, mss);
	if (!ps)
		return -1;
	ps->next = p->engine_data;
	writable(p)->engine_data = ps;
	return 0;
}

static int prepare_one(const struct page *p, uint16_t mss)
{
	release_one(p);
	/* The timestamp cut last: first on the chain, the common case. */
	if (prepare_cut(p, mss) < 0 || prepare_cut(p, mss - NETSTACK_TS_OPT_LEN) < 0)
		return -1;
	return 0;
}

int page_sums_prepare(struct page_cache *pc, uint16_t mtu)
{
	if (mtu < 576)
		return 0;
	uint16_t mss = mtu - 40;
	size_t n = page_cache_count(pc);
	for (size_t i = 0; i < n; i++)
		if (prepare_one(page_cache_at(pc, i), mss) < 0)
			return -1;
	for (size_t i = 0; i < sizeof(error_statuses) / sizeof(error_statuses[0]); i++) {
		const struct page *p = page_cache_error(pc, error_statuses[i]);
		if (p && prepare_one(p, mss) < 0)
			return -1;
	}
	return 0;
}

void page_sums_release(struct page_cache *pc)
{
	size_t n = page_cache_count(pc);
	for (size_t i = 0; i < n; i++)
		release_one(page_cache_at(pc, i));
	for (size_t i = 0; i < sizeof(error_statuses) / sizeof(error_statuses[0]); i++) {
		const struct page *p = page_cache_error(pc, error_statuses[i]);
		if (p)
			release_one(p);
	}
}
