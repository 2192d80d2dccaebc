#include "tx_frame.h"

#include <string.h>

/* The descriptors of pieces [from, iovcnt), all in the mirror: one per
 * mirror chunk a piece touches, a piece that continues the previous one in
 * the same chunk merged into its descriptor. out NULL: count only. */
static uint32_t ref_descs(const struct umem_mirror *m, const struct iovec *iov, int from,
			  int iovcnt, struct xdp_desc *out)
{
	uint32_t n = 0;
	uint64_t end = UINT64_MAX; /* where the last descriptor ends */

	for (int k = from; k < iovcnt; k++) {
		size_t off = (size_t)((const uint8_t *)iov[k].iov_base - m->src);
		size_t left = iov[k].iov_len;

		while (left) {
			size_t in = off % m->room;
			uint32_t take = (uint32_t)(left < m->room - in ? left : m->room - in);
			uint64_t addr = umem_mirror_addr(m, off);

			if (n && addr == end) {
				if (out)
					out[n - 1].len += take;
			} else {
				if (out)
					out[n] = (struct xdp_desc){ .addr = addr, .len = take };
				n++;
			}
			end = addr + take;
			off += take;
			left -= take;
		}
	}
	return n;
}

/* The first piece of the referenced tail: the longest run of pieces in
 * the mirror at the end of the frame, never the headers (piece 0), and
 * only if it carries TX_FRAME_REF_MIN bytes or more. */
static int ref_tail(const struct umem_mirror *m, const struct iovec *iov, int iovcnt)
{
	size_t bytes = 0;
	int i = iovcnt;

	if (!m || m->nchunks == 0)
		return iovcnt;
	while (i > 1 && umem_mirror_holds(m, iov[i - 1].iov_base, iov[i - 1].iov_len)) {
		bytes += iov[i - 1].iov_len;
		i--;
	}
	return bytes >= TX_FRAME_REF_MIN ? i : iovcnt;
}

static void plan_copy(struct tx_frame_plan *pl, uint32_t room, const struct iovec *iov)
{
	size_t len = 0;

	for (int k = 0; k < pl->ref_from; k++)
		len += iov[k].iov_len;
	pl->copy_len = (uint32_t)len;
	pl->ncopy = (uint32_t)((len + room - 1) / room);
	pl->ndesc = pl->ncopy + pl->nref;
}

int tx_frame_plan(struct tx_frame_plan *pl, const struct umem_mirror *m, uint32_t room,
		  const struct iovec *iov, int iovcnt, uint32_t max_descs)
{
	memset(pl, 0, sizeof(*pl));
	pl->ref_from = ref_tail(m, iov, iovcnt);
	if (pl->ref_from < iovcnt)
		pl->nref = ref_descs(m, iov, pl->ref_from, iovcnt, NULL);
	plan_copy(pl, room, iov);
	if (pl->ndesc > max_descs && pl->nref) {
		/* Too many fragments: the whole frame is copied instead. */
		pl->ref_from = iovcnt;
		pl->nref = 0;
		plan_copy(pl, room, iov);
	}
	return pl->ndesc <= max_descs && pl->ndesc > 0 ? 0 : -1;
}

void tx_frame_write(const struct tx_frame_plan *pl, const struct umem_mirror *m,
		    uint8_t *area, uint32_t room, uint32_t md_len, const struct iovec *iov,
		    int iovcnt, const uint64_t *chunks, struct xdp_desc *out)
{
	size_t done = 0, voff = 0;
	int v = 0;

	for (uint32_t i = 0; i < pl->ncopy; i++) {
		uint64_t addr = chunks[i] + md_len;
		uint8_t *dst = area + addr;
		size_t chunk = pl->copy_len - done < room ? pl->copy_len - done : room;
		size_t filled = 0;

		while (filled < chunk) {
			size_t take = iov[v].iov_len - voff;
			if (take > chunk - filled)
				take = chunk - filled;
			memcpy(dst + filled, (const uint8_t *)iov[v].iov_base + voff, take);
			filled += take;
			voff += take;
			if (voff == iov[v].iov_len) {
				v++;
				voff = 0;
			}
		}
		out[i] = (struct xdp_desc){ .addr = addr, .len = (uint32_t)chunk };
		done += chunk;
	}
	if (pl->nref)
		ref_descs(m, iov, pl->ref_from, iovcnt, out + pl->ncopy);
	for (uint32_t i = 0; i < pl->ndesc; i++)
		out[i].options = i + 1 < pl->ndesc ? XDP_PKT_CONTD : 0;
}
