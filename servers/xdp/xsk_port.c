#include "xsk_port.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/if_xdp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tx_frame.h"

/* Puts the stashed rx chunks back into the fill ring. The fill ring is
 * twice the rx reserve (xsk_port_open), so every chunk we hold has a slot
 * waiting. */
void xsk_port_fill(struct xsk_port *p)
{
	uint32_t idx, n = p->nstash, room;

	if (n == 0)
		return;
	/* reserve() is all or nothing: ask for what fits. */
	room = xsk_prod_nb_free(&p->fill, n);
	if (room < n) {
		p->stats.fill_short++;
		n = room;
	}
	if (n == 0 || xsk_ring_prod__reserve(&p->fill, n, &idx) != n)
		return;
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&p->fill, idx + i) = p->fill_stash[--p->nstash];
	xsk_ring_prod__submit(&p->fill, n);
}

static int set_busy_poll(struct xsk_port *p, const struct xsk_port_config *cfg,
			 char *err, size_t errlen)
{
	static const struct { int opt; const char *name; } opts[] = {
		{ SO_PREFER_BUSY_POLL, "SO_PREFER_BUSY_POLL" },
		{ SO_BUSY_POLL, "SO_BUSY_POLL" },
		{ SO_BUSY_POLL_BUDGET, "SO_BUSY_POLL_BUDGET" },
	};
	int values[] = { 1, cfg->busy_poll_usecs, cfg->busy_poll_budget };

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (setsockopt(p->fd, SOL_SOCKET, opts[i].opt, &values[i], sizeof(values[i]))) {
			snprintf(err, errlen, "setsockopt(%s) on the AF_XDP socket of queue %d: %s",
				 opts[i].name, cfg->queue, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void bind_error(const struct xsk_port_config *cfg, int e, char *err, size_t errlen)
{
	const char *mode = cfg->zerocopy ? "zero-copy" : "copy";

	if (e == EAFNOSUPPORT)
		snprintf(err, errlen, "this kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS)");
	else if (cfg->zerocopy && (e == EOPNOTSUPP || e == EPROTONOSUPPORT || e == EINVAL))
		snprintf(err, errlen, "the driver of %s refuses AF_XDP zero-copy on queue %d (%s); "
			 "run without --zerocopy for copy mode%s", cfg->ifname, cfg->queue, strerror(e),
			 cfg->mirror ? ", or with --tx-body copy if it lacks multi-buffer zero-copy"
			 : "");
	else if (cfg->sg && e == EOPNOTSUPP && cfg->mirror)
		snprintf(err, errlen, "binding an AF_XDP socket with XDP_USE_SG (multi-buffer, "
			 "which page bodies in the UMEM need) on %s in %s mode: not supported by "
			 "this kernel or driver; use --tx-body copy", cfg->ifname, mode);
	else if (cfg->sg && e == EOPNOTSUPP)
		snprintf(err, errlen, "binding an AF_XDP socket with XDP_USE_SG (multi-buffer, "
			 "needed for MTU above one page) on %s: not supported by this kernel or "
			 "driver; lower the MTU", cfg->ifname);
	else if (e == EINVAL && cfg->queue > 0)
		snprintf(err, errlen, "binding an AF_XDP socket to %s queue %d (%s mode): %s "
			 "(does the interface have that many queues?)", cfg->ifname, cfg->queue,
			 mode, strerror(e));
	else if (e == EBUSY)
		snprintf(err, errlen, "binding an AF_XDP socket to %s queue %d: another AF_XDP "
			 "socket already uses that queue", cfg->ifname, cfg->queue);
	else
		snprintf(err, errlen, "binding an AF_XDP socket to %s queue %d (%s mode): %s%s",
			 cfg->ifname, cfg->queue, mode, strerror(e),
			 e == EPERM ? " (needs root, or CAP_NET_RAW)" : "");
}

/* One line for what xsk_sock_open() could not do (errno holds why). */
static void open_error(const struct xsk_port *p, const struct xsk_port_config *cfg,
		       enum xsk_sock_step step, int e, char *err, size_t errlen)
{
	switch (step) {
	case XSK_SOCK_SOCKET:
		if (e == EAFNOSUPPORT)
			snprintf(err, errlen, "this kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS)");
		else
			snprintf(err, errlen, "creating the AF_XDP socket of queue %d: %s%s",
				 cfg->queue, strerror(e),
				 e == EPERM ? " (needs root, or CAP_NET_RAW)" : "");
		break;
	case XSK_SOCK_UMEM_REG:
		snprintf(err, errlen, "registering the UMEM of queue %d (%zu MiB): %s%s",
			 cfg->queue, p->area_len >> 20, strerror(e),
			 e == EPERM ? " (needs root, or CAP_NET_RAW + CAP_IPC_LOCK)"
			 : e == ENOMEM || e == ENOBUFS ? " (locked memory: raise RLIMIT_MEMLOCK "
			 "or lower --umem-frames)" : "");
		break;
	case XSK_SOCK_RINGS:
		snprintf(err, errlen, "setting up the AF_XDP %s of queue %d: %s",
			 p->sock.ring_name ? p->sock.ring_name : "rings", cfg->queue, strerror(e));
		break;
	case XSK_SOCK_IFINDEX:
		snprintf(err, errlen, "binding an AF_XDP socket to %s: %s", cfg->ifname, strerror(e));
		break;
	case XSK_SOCK_BIND:
	default:
		bind_error(cfg, e, err, errlen);
		break;
	}
}

/* Every descriptor in flight comes back through the completion ring, and
 * the kernel stops sending when it has no slot for one: room for every
 * chunk, and with a mirror for the body descriptors of every data frame
 * in flight too. */
static uint32_t comp_ring_size(const struct xsk_port_config *cfg)
{
	uint64_t need = cfg->nframes, size = 1;

	if (cfg->mirror)
		need += (uint64_t)cfg->tx_data_max * (TX_FRAME_MAX_DESCS - 1);
	while (size < need)
		size <<= 1;
	return (uint32_t)size;
}

/* sendto() rounds per flush (see TX_KICK_ROUNDS). */
static uint32_t kick_rounds(const struct xsk_port_config *cfg);

int xsk_port_open(struct xsk_port *p, const struct xsk_port_config *cfg,
		  char *err, size_t errlen)
{
	struct xsk_sock_config scfg = {
		.ifname = cfg->ifname,
		.queue = (uint32_t)cfg->queue,
		.frame_size = cfg->frame_size,
		.frame_headroom = 0,
		/* Twice the rx reserve: the kernel publishes its fill ring
		 * consumer index lazily (after it used up a whole cached batch),
		 * so up to the whole reserve can be consumed and still count as
		 * in the ring. At twice the size every chunk we hand back finds
		 * a slot at once, and the kernel never finds the ring empty
		 * while we hold chunks for it. */
		.fill_size = 2 * cfg->rx_ring,
		/* Every chunk can be in flight on tx at once (veth completes a
		 * frame only when the receiver frees it), so the completion ring
		 * holds them all: the kernel never stalls tx for lack of room. */
		.comp_size = comp_ring_size(cfg),
		.rx_size = cfg->rx_ring,
		.tx_size = cfg->tx_ring,
		.bind_flags = XDP_USE_NEED_WAKEUP | (cfg->zerocopy ? XDP_ZEROCOPY : XDP_COPY) |
			      (cfg->sg ? XDP_USE_SG : 0),
		.tx_metadata_len = cfg->tx_csum ? XSK_TX_MD_LEN : 0,
	};
	enum xsk_sock_step step;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->sock.fd = -1;
	p->frame_size = cfg->frame_size;
	p->nframes = cfg->nframes;
	p->sg = cfg->sg;
	p->zerocopy = cfg->zerocopy;
	p->busy_poll = cfg->busy_poll;
	p->mirror = cfg->mirror;
	p->max_tx_descs = cfg->zerocopy ? TX_FRAME_MAX_DESCS_ZC : TX_FRAME_MAX_DESCS;
	p->kick_rounds = kick_rounds(cfg);
	size_t frames_len = (size_t)cfg->nframes * cfg->frame_size;
	p->area_len = frames_len;
	if (cfg->mirror) {
		if (!cfg->sg || cfg->mirror->base != frames_len ||
		    cfg->mirror->frame_size != cfg->frame_size || XSK_TX_MD_LEN != UMEM_MIRROR_GAP) {
			snprintf(err, errlen, "queue %d: the page mirror does not fit this UMEM "
				 "(an internal error)", cfg->queue);
			return -1;
		}
		p->area_len += (size_t)umem_mirror_bytes(cfg->mirror);
	}
	/* Populated: the frames only (the mirror's pages replace the rest). */
	p->area = mmap(NULL, p->area_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (p->area != MAP_FAILED &&
	    mmap(p->area, frames_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, -1, 0) == MAP_FAILED) {
		munmap(p->area, p->area_len);
		p->area = MAP_FAILED;
	}
	if (p->area == MAP_FAILED) {
		int e = errno;
		p->area = NULL;
		snprintf(err, errlen, "mmap of a %zu MiB UMEM for queue %d: %s",
			 p->area_len >> 20, cfg->queue, strerror(e));
		return e == ENOMEM ? -2 : -1;
	}
	if (cfg->mirror && umem_mirror_map(cfg->mirror, p->area + frames_len)) {
		int e = errno;
		snprintf(err, errlen, "mapping the %" PRIu64 " MiB of page bodies into the UMEM "
			 "of queue %d: %s", umem_mirror_bytes(cfg->mirror) >> 20, cfg->queue,
			 strerror(e));
		xsk_port_close(p);
		return e == ENOMEM ? -2 : -1;
	}
	p->tx_done = cfg->tx_done;
	p->tx_done_ctx = cfg->tx_done_ctx;
	p->fill_stash = calloc(cfg->rx_ring, sizeof(*p->fill_stash));
	p->scratch_cap = cfg->max_frame;
	p->scratch = malloc(p->scratch_cap);
	if (!p->fill_stash || !p->scratch ||
	    frame_pool_init(&p->pool, cfg->frame_size, cfg->nframes, cfg->rx_ring,
			    cfg->ctl_reserve, cfg->tx_data_max)) {
		snprintf(err, errlen, "allocating the frame lists of queue %d: %s", cfg->queue,
			 strerror(ENOMEM));
		goto fail;
	}
	/* The whole rx reserve starts in the fill ring. */
	for (uint32_t i = 0; i < cfg->rx_ring; i++)
		p->fill_stash[p->nstash++] = frame_pool_rx_addr(&p->pool, cfg->rx_ring - 1 - i);

	scfg.area = p->area;
	scfg.area_len = p->area_len;
	step = xsk_sock_open(&p->sock, &scfg, &p->fill, &p->comp, &p->rx, &p->tx);
	if (step != XSK_SOCK_OK) {
		int e = errno;
		open_error(p, cfg, step, e, err, errlen);
		xsk_port_close(p);
		return step == XSK_SOCK_UMEM_REG && (e == ENOMEM || e == ENOBUFS || e == EPERM)
		       ? -2 : -1;
	}
	p->fd = p->sock.fd;
	p->tx_md_len = p->sock.tx_metadata_len;
	if (cfg->busy_poll && set_busy_poll(p, cfg, err, errlen))
		goto fail;
	xsk_port_fill(p);
	return 0;
fail:
	xsk_port_close(p);
	return -1;
}

void xsk_port_close(struct xsk_port *p)
{
	xsk_sock_close(&p->sock);
	if (p->area)
		munmap(p->area, p->area_len);
	frame_pool_free(&p->pool);
	free(p->fill_stash);
	free(p->scratch);
	p->area = NULL;
	p->fill_stash = NULL;
	p->scratch = NULL;
	p->fd = -1;
}

static void gather(struct xsk_port *p, const uint8_t *data, uint32_t len)
{
	if (p->gather_overflow || p->gathered + len > p->scratch_cap) {
		p->gather_overflow = true;
		return;
	}
	memcpy(p->scratch + p->gathered, data, len);
	p->gathered += len;
}

unsigned xsk_port_rx(struct xsk_port *p, unsigned budget, xsk_frame_handler handle, void *ctx)
{
	uint32_t idx, n, i;

	n = xsk_ring_cons__peek(&p->rx, budget, &idx);
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&p->rx, idx + i);
		const uint8_t *data = xsk_umem__get_data(p->area, d->addr);
		bool more = d->options & XDP_PKT_CONTD;

		if (!more && !p->gathering) {
			/* The common case: one descriptor, handled in place. */
			p->stats.rx_frames++;
			handle(ctx, data, d->len);
		} else {
			/* Pieces of one frame may straddle two batches: the
			 * gathering state lives in the port, not on the stack. */
			p->gathering = true;
			gather(p, data, d->len);
			if (!more) {
				if (p->gather_overflow) {
					p->stats.rx_oversize++;
				} else {
					p->stats.rx_frames++;
					handle(ctx, p->scratch, p->gathered);
				}
				p->gathering = p->gather_overflow = false;
				p->gathered = 0;
			}
		}
		/* Aligned mode: the chunk is the address rounded down. */
		p->fill_stash[p->nstash++] = d->addr & ~(uint64_t)(p->frame_size - 1);
	}
	xsk_ring_cons__release(&p->rx, n);
	p->stats.rx_descs += n;
	xsk_port_fill(p);
	return n;
}

void xsk_port_reclaim(struct xsk_port *p)
{
	uint32_t idx, n, i;

	n = xsk_ring_cons__peek(&p->comp, p->nframes, &idx);
	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		bool body;
		uint32_t tag = tx_frame_done(&p->pool, p->mirror,
					     *xsk_ring_cons__comp_addr(&p->comp, idx + i), &body);
		p->stats.tx_body_done += body;
		if (tag && p->tx_done)
			p->tx_done(p->tx_done_ctx, tag);
	}
	xsk_ring_cons__release(&p->comp, n);
}

/* Descriptors published on the tx ring that the kernel has not taken yet. */
static uint32_t tx_in_ring(const struct xsk_port *p)
{
	return *p->tx.producer - __atomic_load_n(p->tx.consumer, __ATOMIC_ACQUIRE);
}

/* sendto() rounds per flush. In copy mode on veth each round transmits up
 * to 32 frames synchronously, and the peer's receive of them, with the
 * ACKs and requests it sends back into our rx ring, runs inside the call,
 * on this core. 64 rounds (2048 frames) filled the rx ring with replies to
 * our own burst before the loop came back to read it; a few rounds, then
 * rx, keeps both rings moving. */
#define TX_KICK_ROUNDS 4

/* The kernel's batch counts descriptors, not frames: with page bodies in
 * the UMEM a full MTU-1500 data frame is a header and one or two body
 * descriptors (2.4 on average), so twice the rounds keep a flush near the
 * 128 frames of the copying path. */
static uint32_t kick_rounds(const struct xsk_port_config *cfg)
{
	return cfg->mirror ? 2 * TX_KICK_ROUNDS : TX_KICK_ROUNDS;
}

/* tx ring slots only frames without data may take (an eighth of a small
 * ring), as the frame pool keeps chunks for them: a SYN-ACK or an ACK never waits behind a full ring of
 * data (a waiting SYN-ACK is a connect() that times out). */
#define TX_CTL_SLOTS_MAX 64

static uint32_t tx_ctl_slots(const struct xsk_port *p)
{
	return p->tx.size / 8 < TX_CTL_SLOTS_MAX ? p->tx.size / 8 : TX_CTL_SLOTS_MAX;
}


static void tx_kick(struct xsk_port *p)
{
	/* Copy mode sends at most a small batch per syscall (the kernel
	 * answers EAGAIN when its budget is spent), so loop while the kernel
	 * keeps taking descriptors, a few rounds at most (see above); the
	 * worker loop comes back while descriptors wait. */
	for (uint32_t round = 0; round < p->kick_rounds; round++) {
		if (!xsk_ring_prod__needs_wakeup(&p->tx))
			return;
		p->stats.tx_kicks++;
		if (sendto(p->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0) {
			if (tx_in_ring(p) == 0 || p->zerocopy)
				return;
			continue;
		}
		if (errno == EAGAIN || errno == EBUSY || errno == ENOBUFS || errno == EINTR) {
			p->stats.tx_kick_again++;
			if (errno != EAGAIN || tx_in_ring(p) == 0)
				return; /* the device is busy: come back later */
			continue;
		}
		/* ENETDOWN and friends: frames stay queued, the next flush
		 * retries; TCP above copes with the delay. */
		p->stats.tx_kick_again++;
		return;
	}
}

bool xsk_port_flush(struct xsk_port *p)
{
	if (p->tx_unsubmitted) {
		xsk_ring_prod__submit(&p->tx, p->tx_unsubmitted);
		p->tx_unsubmitted = 0;
	}
	if (tx_in_ring(p))
		tx_kick(p);
	xsk_port_reclaim(p);
	/* Zero-copy: the NIC drains the ring on its own (need_wakeup tells us
	 * when it wants a kick), so there is nothing to come back for. Copy
	 * mode: only our sendto() moves frames, so come back while any wait. */
	return !p->zerocopy && tx_in_ring(p) != 0;
}

/* The checksum request of a frame's first descriptor: a struct
 * xsk_tx_metadata in the tx_md_len bytes before its data (xsk_sock.h). */
static void tx_csum_request(const struct xsk_port *p, uint8_t *data, struct xdp_desc *d,
			    uint16_t csum_start, uint16_t csum_offset)
{
	struct xsk_tx_md *md = (struct xsk_tx_md *)(void *)(data - p->tx_md_len);

	md->flags = XDP_TXMD_FLAGS_CHECKSUM;
	md->csum_start = csum_start;
	md->csum_offset = csum_offset;
	d->options |= XDP_TX_METADATA;
}

int xsk_port_tx(struct xsk_port *p, const struct iovec *iov, int iovcnt, bool data,
		uint32_t tag, uint16_t csum_start, uint16_t csum_offset)
{
	const uint32_t room = p->frame_size - p->tx_md_len; /* frame bytes per chunk */
	struct tx_frame_plan pl;
	struct xdp_desc descs[TX_FRAME_MAX_DESCS];
	uint64_t addrs[TX_FRAME_MAX_DESCS];
	uint32_t idx, ndesc;

	if (iovcnt <= 0 || tx_frame_plan(&pl, p->mirror, room, iov, iovcnt, p->max_tx_descs) ||
	    (pl.ndesc > 1 && !p->sg)) {
		p->stats.tx_too_big++;
		return -1;
	}
	ndesc = pl.ndesc;
	/* A full ring is not flushed from here: on veth a kick runs the
	 * peer's receive on this core and fills our rx ring with its ACKs, so
	 * only the worker loop kicks, a bounded amount per turn, between rx
	 * batches (xsk_port_flush). The stack queues the rest. */
	if ((data && xsk_prod_nb_free(&p->tx, ndesc + tx_ctl_slots(p)) < ndesc + tx_ctl_slots(p)) ||
	    xsk_ring_prod__reserve(&p->tx, ndesc, &idx) != ndesc) {
		p->stats.tx_no_slot++;
		return -1;
	}
	if (!frame_pool_tx_take(&p->pool, pl.ncopy, data, tag, addrs)) {
		xsk_port_reclaim(p);
		if (!frame_pool_tx_take(&p->pool, pl.ncopy, data, tag, addrs)) {
			/* Give the reserved slots back: nothing was written. */
			p->tx.cached_prod -= ndesc;
			p->stats.tx_no_frame++;
			return -1;
		}
	}
	tx_frame_write(&pl, p->mirror, p->area, room, p->tx_md_len, iov, iovcnt, addrs, descs);
	if (csum_start)
		tx_csum_request(p, p->area + descs[0].addr, &descs[0], csum_start, csum_offset);
	for (uint32_t i = 0; i < ndesc; i++)
		*xsk_ring_prod__tx_desc(&p->tx, idx + i) = descs[i];
	p->tx_unsubmitted += ndesc;
	p->stats.tx_frames++;
	p->stats.tx_descs += ndesc;
	p->stats.tx_body_descs += pl.nref;
	p->stats.tx_copy_bytes += pl.copy_len;
	return 0;
}

void xsk_port_rx_wakeup(struct xsk_port *p)
{
	if (p->busy_poll || xsk_ring_prod__needs_wakeup(&p->fill)) {
		p->stats.rx_wakeups++;
		recvfrom(p->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	}
}

bool xsk_port_rx_pending(struct xsk_port *p)
{
	return xsk_cons_nb_avail(&p->rx, 1) != 0;
}

int xsk_port_kernel_stats(const struct xsk_port *p, struct xsk_kernel_stats *out)
{
	struct xdp_statistics st;
	socklen_t len = sizeof(st);

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	if (getsockopt(p->fd, SOL_XDP, XDP_STATISTICS, &st, &len))
		return -1;
	out->rx_dropped = st.rx_dropped;
	out->rx_invalid_descs = st.rx_invalid_descs;
	out->tx_invalid_descs = st.tx_invalid_descs;
	/* Shorter answers come from kernels before 5.9, which lack the rest. */
	if (len >= sizeof(st)) {
		out->rx_ring_full = st.rx_ring_full;
		out->rx_fill_empty = st.rx_fill_ring_empty_descs;
		out->tx_ring_empty = st.tx_ring_empty_descs;
	}
	return 0;
}
