/* One AF_XDP socket bound to one queue, with its own UMEM, the four rings
 * and a frame allocator: everything a worker touches on the data path, and
 * nothing another worker touches (no locks).
 *
 * Frames: the UMEM is cut into fixed chunks and split by frame_pool.h into
 * an rx reserve, which cycles between the fill ring and the rx ring and goes
 * back to the fill ring as soon as the handler returns, and a tx pool, whose
 * chunks come back when the completion ring says the kernel is done with
 * them. Sending can therefore never starve receiving.
 *
 * Multi-buffer: a frame larger than a chunk arrives as several descriptors,
 * all but the last flagged XDP_PKT_CONTD; rx gathers them into a scratch
 * buffer so the handler always sees one contiguous Ethernet frame, and tx
 * splits a large frame the same way. This needs XDP_USE_SG at bind time.
 *
 * Page bodies in the UMEM (umem_mirror.h, tx_frame.h): with a mirror, the
 * UMEM is [rx reserve | tx pool | mirror chunks], the last mapped from the
 * mirror's memfd; a frame's pieces that lie in the mirror go out as
 * descriptors pointing there, and only the rest is copied into a pool
 * chunk. Completions of mirror addresses are counted and skipped.
 *
 * Checksum offload: with tx metadata (xsk_sock.h) every tx descriptor's
 * data starts tx_md_len bytes into its chunk, the metadata of the first
 * descriptor of a frame sits in those bytes, and a chunk carries
 * frame_size - tx_md_len bytes of the frame. */
#ifndef BB_XSK_PORT_H
#define BB_XSK_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <xdp/xsk.h>

#include "frame_pool.h"
#include "umem_mirror.h"
#include "xsk_sock.h"

/* Debian 12's linux-libc-dev (6.1) predates AF_XDP multi-buffer (6.6). */
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)
#endif

struct xsk_port_config {
	const char *ifname;
	int queue;
	uint32_t frame_size;   /* chunk size, a power of two (4096) */
	uint32_t nframes;      /* chunks in the UMEM (a power of two) */
	uint32_t rx_ring;      /* rx and fill rings, and the rx reserve of chunks */
	uint32_t tx_ring;      /* tx ring; the completion ring gets nframes */
	uint32_t ctl_reserve;  /* tx chunks kept for frames without data */
	uint32_t tx_data_max;  /* data frames in flight at most (frame_pool.h) */
	uint32_t max_frame;    /* largest Ethernet frame expected (MTU + 14 + 4) */
	bool sg;               /* bind with XDP_USE_SG (frames > one chunk) */
	bool zerocopy;         /* XDP_ZEROCOPY instead of XDP_COPY */
	bool busy_poll;        /* SO_PREFER_BUSY_POLL + SO_BUSY_POLL(_BUDGET) */
	int busy_poll_usecs;
	int busy_poll_budget;
	/* Called for each completed tx frame that was sent with a tag. */
	void (*tx_done)(void *ctx, uint32_t tag);
	void *tx_done_ctx;
	bool tx_csum;          /* ask for AF_XDP tx checksum offload (tx metadata,
				* 6.10+): the outcome is xsk_port.tx_md_len */
	/* Page bodies in the UMEM: mapped behind the nframes chunks (its base
	 * must be nframes * frame_size); needs sg. NULL: every frame copied. */
	const struct umem_mirror *mirror;
};

struct xsk_port_stats {
	uint64_t rx_frames;       /* frames handed to the handler */
	uint64_t rx_descs;        /* descriptors consumed (> frames with multi-buffer) */
	uint64_t rx_oversize;     /* multi-buffer frames larger than max_frame, dropped */
	uint64_t tx_frames;       /* frames queued on the tx ring */
	uint64_t tx_descs;
	uint64_t tx_body_descs;   /* of which point at page bodies in the UMEM mirror */
	uint64_t tx_copy_bytes;   /* frame bytes copied into tx chunks */
	uint64_t tx_body_done;    /* completions of mirror descriptors (skipped) */
	uint64_t tx_no_frame;     /* tx refused: no free UMEM chunk (or, for data, only the reserve) */
	uint64_t tx_no_slot;      /* tx refused: tx ring full */
	uint64_t tx_too_big;      /* tx refused: frame needs multi-buffer without XDP_USE_SG */
	uint64_t tx_kicks;        /* sendto() calls */
	uint64_t tx_kick_again;   /* of which returned EAGAIN/EBUSY/ENOBUFS */
	uint64_t rx_wakeups;      /* recvfrom() calls for the fill ring / busy poll */
	uint64_t fill_short;      /* the fill ring had no slot for a chunk we returned */
};

/* The socket's own counters (getsockopt XDP_STATISTICS): what the kernel
 * dropped before the stack saw it. */
struct xsk_kernel_stats {
	uint64_t rx_dropped;        /* no room for other reasons (e.g. frame too big) */
	uint64_t rx_invalid_descs;
	uint64_t tx_invalid_descs;
	uint64_t rx_ring_full;      /* the rx ring was full: we did not read fast enough */
	uint64_t rx_fill_empty;     /* the fill ring was empty: no chunk to receive into */
	uint64_t tx_ring_empty;     /* the kernel found the tx ring empty when kicked */
};

struct xsk_port {
	struct xsk_sock sock;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
	uint8_t *area;
	size_t area_len;           /* the frames and, behind them, the mirror */
	const struct umem_mirror *mirror;
	uint32_t max_tx_descs;     /* per frame (tx_frame.h) */
	uint32_t kick_rounds;      /* sendto() rounds per flush */
	uint32_t frame_size;
	uint32_t nframes;
	/* Tx metadata bytes before every tx frame (0: no checksum offload);
	 * tx data starts that far into its chunk. */
	uint32_t tx_md_len;
	int fd;
	bool sg, zerocopy, busy_poll;

	struct frame_pool pool;
	uint64_t *fill_stash;     /* rx chunks read, not yet back in the fill ring */
	uint32_t nstash;
	uint32_t tx_unsubmitted;  /* reserved + written, producer not yet moved */
	void (*tx_done)(void *ctx, uint32_t tag);
	void *tx_done_ctx;

	uint8_t *scratch;         /* multi-buffer rx gathering */
	uint32_t scratch_cap;
	uint32_t gathered;
	bool gathering, gather_overflow;

	struct xsk_port_stats stats;
};

/* Creates the UMEM, the socket (bound to cfg->queue, xsk_sock.h) and fills
 * the fill ring.
 * Returns 0, or -1 with one line in err (and nothing left allocated); -2
 * when the UMEM could not be mapped or registered for lack of memory (the
 * locked-memory limit, or plain RAM): what a too-large page set hits. */
int xsk_port_open(struct xsk_port *p, const struct xsk_port_config *cfg,
		  char *err, size_t errlen);
void xsk_port_close(struct xsk_port *p);

typedef void (*xsk_frame_handler)(void *ctx, const uint8_t *frame, size_t len);

/* Consumes up to `budget` descriptors from the rx ring, handing each whole
 * frame to `handle` (which must not keep the pointer), then recycles the
 * chunks into the fill ring. Returns the number of descriptors consumed. */
unsigned xsk_port_rx(struct xsk_port *p, unsigned budget, xsk_frame_handler handle, void *ctx);

/* Gives the fill ring every rx chunk it lacks (cheap when none). */
void xsk_port_fill(struct xsk_port *p);

/* Copies one Ethernet frame, given as iovecs, into UMEM chunks (or with a
 * mirror, the part before its page-body pieces: tx_frame.h) and reserves
 * its tx descriptors. Nothing is sent before xsk_port_flush(). `data`: the
 * frame carries payload, so it may not use the control reserve; `tag`: what
 * tx_done reports when the frame completes (0: nothing).
 * csum_start > 0 asks the kernel to complete a checksum (tx metadata, only
 * when tx_md_len > 0): the ones'-complement sum from byte csum_start to
 * the end, stored at csum_start + csum_offset, where the frame holds the
 * folded pseudo-header sum (CHECKSUM_PARTIAL). 0: checksums are complete.
 * Returns 0, or -1 when there is no room (nothing is queued; the caller
 * keeps the data and tries again after completions). */
int xsk_port_tx(struct xsk_port *p, const struct iovec *iov, int iovcnt, bool data,
		uint32_t tag, uint16_t csum_start, uint16_t csum_offset);

/* Reads the socket's XDP_STATISTICS. Returns 0, or -1 with errno. */
int xsk_port_kernel_stats(const struct xsk_port *p, struct xsk_kernel_stats *out);

/* Publishes the queued tx descriptors, kicks the kernel if it asks for it
 * (need_wakeup), and reclaims completed chunks. Returns true when the kernel
 * still has descriptors to send (the caller should come back soon rather
 * than sleep). */
bool xsk_port_flush(struct xsk_port *p);

/* Reclaims chunks from the completion ring into the free list. */
void xsk_port_reclaim(struct xsk_port *p);

/* Busy-poll mode / fill ring wake-up: a non-blocking recvfrom(), only when
 * busy polling or when the kernel set need_wakeup on the fill ring. */
void xsk_port_rx_wakeup(struct xsk_port *p);

/* True if the rx ring has descriptors waiting (no syscall). */
bool xsk_port_rx_pending(struct xsk_port *p);

#endif
