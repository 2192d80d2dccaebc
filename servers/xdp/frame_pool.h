/* The UMEM budget of one queue: which chunk is for what, so that sending can
 * never starve receiving.
 *
 * In copy mode a transmitted chunk comes back (completion ring) only when
 * the receiver frees the skb, which on veth may sit in a client's socket
 * queue for as long as the client takes to read it. With one free list for
 * both directions, a thousand connections sending at once took every chunk,
 * the fill ring ran dry and the kernel dropped what the clients sent
 * (xdp_redirect_err, then RTOs, then a stalled core). So the UMEM is split:
 *
 *   [0, rx)        the rx reserve: exactly what the fill ring holds. A chunk
 *                  goes back to the fill ring as soon as its frame is read, so
 *                  the kernel always has room for the next frames.
 *   [rx, nframes)  the tx pool: a stack of free chunks. Frames that carry data
 *                  may not take the last `ctl_reserve` chunks, so a SYN-ACK,
 *                  an ACK or a RST always finds one, however full the pool.
 *
 * Data frames in flight are also capped at `data_max`, half the rx reserve
 * by default: on veth every data frame is ACKed (Linux quick-ACKs new
 * connections) into our rx ring, often before the sendto() that carried it
 * returns, so more data in flight than the rx reserve can take back is a
 * burst of ACKs the kernel must drop (measured: 2048 data frames out, a
 * 2048-entry rx ring full, ~15% of the client's frames lost).
 *
 * Each tx chunk remembers the tag of the frame it carries (the connection,
 * see netstack_tx_done), so a completion can be charged back to its sender:
 * that is what lets the stack cap each connection's frames in flight.
 * Sans-I/O: addresses in, addresses out; the unit tests drive it without a
 * kernel. */
#ifndef BB_FRAME_POOL_H
#define BB_FRAME_POOL_H

#include <stdbool.h>
#include <stdint.h>

struct frame_pool {
	uint32_t frame_size;   /* chunk size, a power of two */
	uint32_t nframes;      /* chunks in the UMEM */
	uint32_t rx_reserve;   /* chunks [0, rx_reserve) belong to the fill ring */
	uint32_t ctl_reserve;  /* tx chunks only control frames may take */
	uint32_t data_max;     /* data frames in flight at most */
	uint32_t data_in_flight;
	uint64_t *free_tx;     /* stack of free tx chunk addresses */
	uint32_t nfree;
	uint32_t *tag;         /* per chunk: tag of the frame it carries (0: none) */
	uint8_t *first_of_data;/* per chunk: 1 if it starts a data frame */
	/* counters */
	uint64_t data_refused; /* a data frame found the pool at its reserve */
	uint64_t data_capped;  /* a data frame found data_max frames in flight */
	uint64_t ctl_refused;  /* a control frame found the pool empty */
	uint32_t min_free;     /* low-water mark of nfree */
};

/* The smallest sensible UMEM: the rx reserve plus enough tx chunks to fill
 * the tx ring once (less, and the ring size is a promise the UMEM cannot
 * keep). */
static inline uint64_t frame_pool_min_frames(uint32_t rx_reserve, uint32_t tx_ring)
{
	return (uint64_t)rx_reserve + tx_ring;
}

/* Returns 0, or -1 (ENOMEM, EINVAL). ctl_reserve is taken from the tx pool. */
int frame_pool_init(struct frame_pool *fp, uint32_t frame_size, uint32_t nframes,
		    uint32_t rx_reserve, uint32_t ctl_reserve, uint32_t data_max);
void frame_pool_free(struct frame_pool *fp);

/* Address of rx reserve chunk i (0 <= i < rx_reserve): the initial fill. */
static inline uint64_t frame_pool_rx_addr(const struct frame_pool *fp, uint32_t i)
{
	return (uint64_t)i * fp->frame_size;
}

/* Takes n tx chunks into out[] for one frame tagged `tag` (0: none).
 * A data frame leaves the control reserve alone. False: nothing taken. */
bool frame_pool_tx_take(struct frame_pool *fp, uint32_t n, bool data, uint32_t tag,
			uint64_t *out);

/* A completed tx chunk (any address inside it) goes back to the pool;
 * returns the tag it carried. */
uint32_t frame_pool_tx_done(struct frame_pool *fp, uint64_t addr);

/* Chunks of the tx pool in flight (taken, not completed). */
static inline uint32_t frame_pool_tx_in_flight(const struct frame_pool *fp)
{
	return fp->nframes - fp->rx_reserve - fp->nfree;
}

#endif
