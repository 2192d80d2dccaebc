/* Page bodies that live in the UMEM: the page cache's arena (every page's
 * response, page_cache_arena) copied once, at start, into UMEM chunks, so
 * that a segment's body goes out as tx descriptors pointing at it instead
 * of bytes copied into a frame for every segment (tx_frame.h).
 *
 * Layout: arena byte o lives in mirror chunk o / room, at offset
 * UMEM_MIRROR_GAP + o % room, with room = chunk size - UMEM_MIRROR_GAP.
 * The gap is the tx metadata length (xsk_sock.h): with tx metadata the
 * kernel rejects every tx descriptor that starts less than tx_metadata_len
 * into its chunk, body or not (xp_aligned_validate_desc). Keeping the gap
 * always makes one layout valid with and without checksum offload, at a
 * cost of 0.6% of the bytes.
 *
 * The chunks live in a memfd that every queue maps behind its own frame
 * pool (xsk_port.c): N queues hold the bytes once (each UMEM still pins
 * and accounts them as locked memory). The mirror's chunks never enter the
 * frame pool: their completions are recognised by address and skipped.
 *
 * The addressing (layout, holds, addr, owns) is sans-I/O: unit tests run it
 * on a plain buffer. */
#ifndef BB_UMEM_MIRROR_H
#define BB_UMEM_MIRROR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UMEM_MIRROR_GAP 24u /* XSK_TX_MD_LEN; xsk_port.c checks they agree */

struct umem_mirror {
	const uint8_t *src;  /* what is mirrored (the page cache's arena) */
	size_t len;
	uint64_t base;       /* UMEM address of the first mirror chunk */
	uint32_t frame_size; /* chunk size, a power of two */
	uint32_t room;       /* mirrored bytes per chunk */
	uint32_t nchunks;
	int memfd;           /* the chunks (umem_mirror_create); -1: none */
};

/* Lays `len` bytes at `src` out in chunks from UMEM address `base`
 * (no memory is touched). Returns 0, or -1 with errno EINVAL (a chunk size
 * that leaves no room, more than 2^32 chunks). */
int umem_mirror_layout(struct umem_mirror *m, const void *src, size_t len,
		       uint32_t frame_size, uint64_t base);

/* Bytes of UMEM the mirror's chunks take. */
static inline uint64_t umem_mirror_bytes(const struct umem_mirror *m)
{
	return (uint64_t)m->nchunks * m->frame_size;
}

/* Copies the mirrored bytes into `chunks` (umem_mirror_bytes long) in the
 * layout above. */
void umem_mirror_fill(const struct umem_mirror *m, uint8_t *chunks);

/* umem_mirror_layout, then a memfd holding the filled chunks. Returns 0, or
 * -1 with errno (nothing left open). */
int umem_mirror_create(struct umem_mirror *m, const void *src, size_t len,
		       uint32_t frame_size, uint64_t base);
void umem_mirror_close(struct umem_mirror *m);

/* Maps the memfd's chunks at `at` (page-aligned, umem_mirror_bytes long,
 * replacing what was mapped there), shared and populated. Returns 0, or -1
 * with errno. */
int umem_mirror_map(const struct umem_mirror *m, void *at);

/* True if [p, p + n) lies in the mirrored bytes. */
static inline bool umem_mirror_holds(const struct umem_mirror *m, const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p, s = (uintptr_t)m->src;
	return a >= s && n <= m->len && a - s <= m->len - n;
}

/* UMEM address of mirrored byte `off` (its offset in src). */
static inline uint64_t umem_mirror_addr(const struct umem_mirror *m, size_t off)
{
	return m->base + (uint64_t)(off / m->room) * m->frame_size + UMEM_MIRROR_GAP +
	       off % m->room;
}

/* True if a UMEM address (a completion) is in a mirror chunk. */
static inline bool umem_mirror_owns(const struct umem_mirror *m, uint64_t addr)
{
	return addr >= m->base && addr - m->base < umem_mirror_bytes(m);
}

#endif
