#include "xsk_sock.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif

_Static_assert(sizeof(struct xsk_umem_reg_md) == 32, "struct xdp_umem_reg (6.8) is 32 bytes");
_Static_assert(sizeof(struct xsk_tx_md) == 24, "struct xsk_tx_metadata (6.15) is 24 bytes");
_Static_assert(offsetof(struct xsk_tx_md, csum_start) == 8, "csum_start follows flags");

enum { MAP_FILL, MAP_COMP, MAP_RX, MAP_TX };

static int umem_register(struct xsk_sock *s, const struct xsk_sock_config *cfg)
{
	struct xsk_umem_reg_md mr = {
		.addr = (uintptr_t)cfg->area,
		.len = cfg->area_len,
		.chunk_size = cfg->frame_size,
		.headroom = cfg->frame_headroom,
	};

	if (cfg->tx_metadata_len) {
		mr.flags = XDP_UMEM_TX_METADATA_LEN;
		mr.tx_metadata_len = cfg->tx_metadata_len;
		if (setsockopt(s->fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)) == 0) {
			s->tx_metadata_len = cfg->tx_metadata_len;
			return 0;
		}
		if (errno != EINVAL)
			return -1;
		/* Before 6.10 the flag is unknown (EINVAL): register plainly.
		 * Had the UMEM itself been at fault, this fails the same way. */
		mr.flags = 0;
		mr.tx_metadata_len = 0;
	}
	s->tx_metadata_len = 0;
	return setsockopt(s->fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr));
}

static int ring_size(struct xsk_sock *s, int opt, uint32_t n, const char *name)
{
	int v = (int)n;

	if (setsockopt(s->fd, SOL_XDP, opt, &v, sizeof(v)) == 0)
		return 0;
	s->ring_name = name;
	return -1;
}

static void *ring_map(struct xsk_sock *s, int which, size_t len, off_t pgoff, const char *name)
{
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, s->fd, pgoff);

	if (m == MAP_FAILED) {
		s->ring_name = name;
		return NULL;
	}
	s->map[which] = m;
	s->map_len[which] = len;
	return m;
}

/* libxdp's xsk_ring_prod and xsk_ring_cons have the same fields: point one
 * of either kind at a mapped ring (m) through its offsets (o). */
#define RING_INIT(r, m, o, n)                                   \
	do {                                                    \
		memset((r), 0, sizeof(*(r)));                   \
		(r)->mask = (n) - 1;                            \
		(r)->size = (n);                                \
		(r)->producer = (void *)((m) + (o).producer);   \
		(r)->consumer = (void *)((m) + (o).consumer);   \
		(r)->flags = (void *)((m) + (o).flags);         \
		(r)->ring = (m) + (o).desc;                     \
	} while (0)

/* The four rings as libxdp lays them out: a producer ring starts with
 * cached_cons = size (xsk_prod_nb_free counts on it), a consumer ring with
 * the kernel's indices. */
static int rings_setup(struct xsk_sock *s, const struct xsk_sock_config *cfg,
		       struct xsk_ring_prod *fill, struct xsk_ring_cons *comp,
		       struct xsk_ring_cons *rx, struct xsk_ring_prod *tx)
{
	struct xdp_mmap_offsets off;
	socklen_t optlen = sizeof(off);
	uint8_t *m;

	if (ring_size(s, XDP_UMEM_FILL_RING, cfg->fill_size, "fill ring") ||
	    ring_size(s, XDP_UMEM_COMPLETION_RING, cfg->comp_size, "completion ring") ||
	    ring_size(s, XDP_RX_RING, cfg->rx_size, "rx ring") ||
	    ring_size(s, XDP_TX_RING, cfg->tx_size, "tx ring"))
		return -1;
	if (getsockopt(s->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &optlen)) {
		s->ring_name = "ring offsets (XDP_MMAP_OFFSETS)";
		return -1;
	}
	if (optlen != sizeof(off)) {
		/* Before 5.4 the offsets had no flags field: no need_wakeup. */
		s->ring_name = "ring offsets (kernel before 5.4)";
		errno = EOPNOTSUPP;
		return -1;
	}

	m = ring_map(s, MAP_FILL, off.fr.desc + cfg->fill_size * sizeof(uint64_t),
		     XDP_UMEM_PGOFF_FILL_RING, "fill ring mmap");
	if (!m)
		return -1;
	RING_INIT(fill, m, off.fr, cfg->fill_size);
	fill->cached_cons = cfg->fill_size;

	m = ring_map(s, MAP_COMP, off.cr.desc + cfg->comp_size * sizeof(uint64_t),
		     XDP_UMEM_PGOFF_COMPLETION_RING, "completion ring mmap");
	if (!m)
		return -1;
	RING_INIT(comp, m, off.cr, cfg->comp_size);

	m = ring_map(s, MAP_RX, off.rx.desc + cfg->rx_size * sizeof(struct xdp_desc),
		     XDP_PGOFF_RX_RING, "rx ring mmap");
	if (!m)
		return -1;
	RING_INIT(rx, m, off.rx, cfg->rx_size);
	rx->cached_prod = *rx->producer;
	rx->cached_cons = *rx->consumer;

	m = ring_map(s, MAP_TX, off.tx.desc + cfg->tx_size * sizeof(struct xdp_desc),
		     XDP_PGOFF_TX_RING, "tx ring mmap");
	if (!m)
		return -1;
	RING_INIT(tx, m, off.tx, cfg->tx_size);
	tx->cached_prod = *tx->producer;
	tx->cached_cons = *tx->consumer + cfg->tx_size;
	return 0;
}

enum xsk_sock_step xsk_sock_open(struct xsk_sock *s, const struct xsk_sock_config *cfg,
				 struct xsk_ring_prod *fill, struct xsk_ring_cons *comp,
				 struct xsk_ring_cons *rx, struct xsk_ring_prod *tx)
{
	struct sockaddr_xdp sxdp = { .sxdp_family = AF_XDP };
	enum xsk_sock_step step;
	int e;

	memset(s, 0, sizeof(*s));
	s->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return XSK_SOCK_SOCKET;
	if (umem_register(s, cfg)) {
		step = XSK_SOCK_UMEM_REG;
		goto fail;
	}
	if (rings_setup(s, cfg, fill, comp, rx, tx)) {
		step = XSK_SOCK_RINGS;
		goto fail;
	}
	sxdp.sxdp_ifindex = if_nametoindex(cfg->ifname);
	if (sxdp.sxdp_ifindex == 0) {
		step = XSK_SOCK_IFINDEX;
		goto fail;
	}
	sxdp.sxdp_queue_id = cfg->queue;
	sxdp.sxdp_flags = cfg->bind_flags;
	if (bind(s->fd, (struct sockaddr *)&sxdp, sizeof(sxdp))) {
		step = XSK_SOCK_BIND;
		goto fail;
	}
	return XSK_SOCK_OK;
fail:
	e = errno;
	xsk_sock_close(s);
	errno = e;
	return step;
}

void xsk_sock_close(struct xsk_sock *s)
{
	for (int i = 0; i < 4; i++) {
		if (s->map[i])
			munmap(s->map[i], s->map_len[i]);
		s->map[i] = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}
