/* One frame as AF_XDP tx descriptors.
 *
 * The stack hands a frame over as pieces (netstack_frame: our headers, then
 * pieces of the send stream). Pieces that lie in the UMEM mirror of the
 * page cache (umem_mirror.h: page bodies) become descriptors pointing at
 * it; everything before them (Ethernet/IPv4/TCP headers, and in a reply's
 * first segment the HTTP head and the Date/Connection slot) is copied into
 * frame-pool chunks, the first descriptors of the frame. Sending a body
 * segment then writes only its header chunk. All descriptors but the last
 * carry XDP_PKT_CONTD (multi-buffer, the socket needs XDP_USE_SG).
 *
 * Only a tail of pieces is referenced, never a piece followed by a copied
 * one: the first descriptor must hold the headers (the checksum request of
 * tx metadata is read from it), and the order of an HTTP segment is head,
 * slot, body anyway. A frame that would need more than max_descs
 * descriptors is copied whole, as without a mirror.
 *
 * Sans-I/O: addresses in, descriptors out; the unit tests check them
 * against a fake UMEM, xsk_port_tx puts them on the tx ring. */
#ifndef BB_TX_FRAME_H
#define BB_TX_FRAME_H

#include <linux/if_xdp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "frame_pool.h"
#include "umem_mirror.h"

#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0) /* Debian 12's headers (6.1) lack it */
#endif

/* Descriptors per frame at most. Copy mode takes the first into the skb's
 * linear part and each further one as a page fragment, refusing a frame
 * past MAX_SKB_FRAGS (17) fragments (xsk_build_skb: -EOVERFLOW); zero-copy
 * drivers have their own limit (xdp_zc_max_segs, 8 on i40e and ice). */
#define TX_FRAME_MAX_DESCS 16u
#define TX_FRAME_MAX_DESCS_ZC 8u
/* Mirror pieces shorter than this are copied: copy mode copies every
 * fragment into a page of its own (alloc_page + memcpy), so a descriptor
 * for a few bytes costs the kernel more than our memcpy of them. */
#define TX_FRAME_REF_MIN 256u

struct tx_frame_plan {
	uint32_t copy_len; /* bytes copied into frame-pool chunks */
	uint32_t ncopy;    /* frame-pool chunks they take */
	uint32_t nref;     /* descriptors pointing at the mirror */
	uint32_t ndesc;    /* ncopy + nref */
	int ref_from;      /* the first piece referenced; iovcnt: none */
};

/* Plans a frame of iovcnt pieces; `room`: frame bytes per frame-pool chunk
 * (chunk size less the tx metadata length); m NULL: copy everything.
 * Returns 0, or -1 when even the copied frame needs more than max_descs. */
int tx_frame_plan(struct tx_frame_plan *pl, const struct umem_mirror *m, uint32_t room,
		  const struct iovec *iov, int iovcnt, uint32_t max_descs);

/* Writes the planned frame: copies its first copy_len bytes into the
 * chunks (UMEM addresses, pl->ncopy of them, data md_len bytes into each)
 * of `area`, and fills out[0 .. pl->ndesc) with the descriptors, options
 * XDP_PKT_CONTD on all but the last. */
void tx_frame_write(const struct tx_frame_plan *pl, const struct umem_mirror *m,
		    uint8_t *area, uint32_t room, uint32_t md_len, const struct iovec *iov,
		    int iovcnt, const uint64_t *chunks, struct xdp_desc *out);

/* One address from the completion ring: a frame-pool chunk goes back to
 * the pool and its tag is returned (0: none); a mirror address (a page
 * body) is nothing to give back: never pooled, *body set. m may be NULL. */
static inline uint32_t tx_frame_done(struct frame_pool *fp, const struct umem_mirror *m,
				     uint64_t addr, bool *body)
{
	*body = m && umem_mirror_owns(m, addr);
	return *body ? 0 : frame_pool_tx_done(fp, addr);
}

#endif
