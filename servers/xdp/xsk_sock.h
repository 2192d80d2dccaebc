/* Raw AF_XDP socket setup: UMEM registration, the four rings and the bind,
 * without libxdp's xsk_umem__create() / xsk_socket__create().
 *
 * Why not libxdp: its struct xsk_umem_config (1.3.1) has no tx_metadata_len,
 * and a UMEM cannot be registered twice on one socket, so a socket made by
 * libxdp can never carry AF_XDP tx metadata (checksum offload, Linux 6.8+).
 * The rings are still libxdp's struct xsk_ring_prod / xsk_ring_cons, set up
 * field by field the way xsk_umem__create() and xsk_socket__create() do, so
 * the inline helpers of <xdp/xsk.h> (reserve, submit, peek, release,
 * needs_wakeup) work on them unchanged.
 *
 * Tx metadata (include/uapi/linux/if_xdp.h, net/xdp/xsk.c): a UMEM
 * registered with tx_metadata_len = N and the XDP_UMEM_TX_METADATA_LEN flag
 * (6.10+; the flag is what makes the kernel read N) reserves N bytes right
 * before the data of every tx descriptor, in the same chunk: the kernel
 * rejects any tx descriptor whose addr - N falls outside the chunk, whether
 * or not it carries metadata (xp_aligned_validate_desc). A descriptor with
 * the XDP_TX_METADATA option has a struct xsk_tx_metadata at addr - N; in
 * copy mode xsk_build_skb() reads it for the first descriptor of a frame
 * only, and XDP_TXMD_FLAGS_CHECKSUM makes the skb CHECKSUM_PARTIAL with
 * csum_start/csum_offset from it (xsk_skb_metadata). Rx is unaffected: the
 * kernel still puts rx data at XDP_PACKET_HEADROOM + headroom.
 *
 * Support is found by trying: an older kernel refuses the unknown flag
 * with EINVAL, and the UMEM is then registered again without it (a failed
 * registration leaves the socket without a UMEM, so the retry is allowed). */
#ifndef BB_XSK_SOCK_H
#define BB_XSK_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/if_xdp.h>
#include <xdp/xsk.h>

/* Debian 12's linux-libc-dev (6.1) predates tx metadata (6.8) and the flag
 * that turns it on (6.10). */
#ifndef XDP_UMEM_TX_METADATA_LEN
#define XDP_UMEM_TX_METADATA_LEN (1 << 2)
#endif
#ifndef XDP_TXMD_FLAGS_CHECKSUM
#define XDP_TXMD_FLAGS_CHECKSUM (1 << 1)
#endif
#ifndef XDP_TX_METADATA
#define XDP_TX_METADATA (1 << 1)
#endif

/* struct xdp_umem_reg as of 6.8 (the 6.1 header lacks tx_metadata_len).
 * Own name, so that a newer header's definition does not clash. */
struct xsk_umem_reg_md {
	uint64_t addr;
	uint64_t len;
	uint32_t chunk_size;
	uint32_t headroom;
	uint32_t flags;
	uint32_t tx_metadata_len;
};

/* The request side of struct xsk_tx_metadata (6.8; launch_time since
 * 6.15). 24 bytes: what we reserve before every tx frame. */
struct xsk_tx_md {
	uint64_t flags;          /* XDP_TXMD_FLAGS_* */
	uint16_t csum_start;     /* from the frame's first byte */
	uint16_t csum_offset;    /* from csum_start to the checksum field */
	uint32_t pad;
	uint64_t launch_time;    /* XDP_TXMD_FLAGS_LAUNCH_TIME, unused here */
};
#define XSK_TX_MD_LEN ((uint32_t)sizeof(struct xsk_tx_md))

struct xsk_sock_config {
	const char *ifname;
	uint32_t queue;
	void *area;               /* the UMEM: page-aligned, area_len bytes */
	size_t area_len;
	uint32_t frame_size;      /* chunk size (aligned mode) */
	uint32_t frame_headroom;  /* UMEM headroom (rx) */
	uint32_t fill_size, comp_size, rx_size, tx_size; /* powers of two */
	uint16_t bind_flags;      /* XDP_COPY|XDP_ZEROCOPY, XDP_USE_NEED_WAKEUP, XDP_USE_SG */
	uint32_t tx_metadata_len; /* 0: none; else a multiple of 8 below 256,
				   * registered only if the kernel supports it */
};

/* What failed, for the caller's error message (errno holds why). */
enum xsk_sock_step {
	XSK_SOCK_OK = 0,
	XSK_SOCK_SOCKET,          /* socket(AF_XDP) */
	XSK_SOCK_UMEM_REG,        /* setsockopt(XDP_UMEM_REG) */
	XSK_SOCK_RINGS,           /* ring sizes, offsets, mmap */
	XSK_SOCK_IFINDEX,         /* no such interface */
	XSK_SOCK_BIND,
};

struct xsk_sock {
	int fd;
	uint32_t tx_metadata_len; /* what the UMEM got: 0 when unsupported */
	void *map[4];             /* fill, completion, rx, tx ring mappings */
	size_t map_len[4];
	const char *ring_name;    /* the ring that failed (XSK_SOCK_RINGS) */
};

/* Opens, registers, maps and binds. On success returns XSK_SOCK_OK and the
 * four rings are ready for the <xdp/xsk.h> helpers. On failure returns the
 * step that failed with errno set, and nothing is left open or mapped. */
enum xsk_sock_step xsk_sock_open(struct xsk_sock *s, const struct xsk_sock_config *cfg,
				 struct xsk_ring_prod *fill, struct xsk_ring_cons *comp,
				 struct xsk_ring_cons *rx, struct xsk_ring_prod *tx);

/* Unmaps the rings and closes the socket (the kernel then releases the
 * UMEM; the caller still owns and unmaps the area). Safe to call twice. */
void xsk_sock_close(struct xsk_sock *s);

#endif
