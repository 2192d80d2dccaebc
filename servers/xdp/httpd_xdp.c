/* bin/httpd-xdp: HTTP over a userspace TCP/IP stack on AF_XDP.
 *
 * One worker per queue of the interface. Each worker owns an AF_XDP socket
 * bound to its queue (with its own UMEM and rings, xsk_port.c), one netstack
 * (the TCP/IP stack, netstack.h), the HTTP side above it (xdp_http.h) and
 * one http_clock; nothing on the data path
 * is shared, so nothing is locked. The XDP program (xdp_redirect.bpf.c)
 * sends IPv4 TCP for --addr:--port to the socket of the queue it arrived on
 * and leaves everything else (ARP, ICMP, other ports) to the kernel. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_ether.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_clock.h"
#include "iface.h"
#include "mono_clock.h"
#include "netstack.h"
#include "page_sums.h"
#include "parse_size.h"
#include "server.h"
#include "umem_mirror.h"
#include "xdp_prog.h"
#include "xdp_http.h"
#include "xsk_port.h"

#define FRAME_SIZE 4096u       /* UMEM chunk: one page */
#define DEFAULT_RX_RING 4096u  /* rx ring and rx reserve (the fill ring is twice) */
#define DEFAULT_TX_RING 2048u
#define DEFAULT_FRAMES 16384u  /* 64 MiB of UMEM per queue */
/* tx chunks only frames without data (SYN-ACK, ACK, RST) may take: enough
 * for one reply to every frame of a full rx batch, many times over. */
#define CTL_RESERVE_MAX 256u
/* Frames in flight per connection (netstack_config.conn_tx_frames_max):
 * at most this, and at most a quarter of the data pool, so that four
 * connections at their cap still leave room for the rest. */
#define CONN_TX_FRAMES_MAX 256u
#define RX_BATCH 64u
/* Rx descriptors read per loop turn, in batches, before the turn's tx
 * flush. On veth a flush's sendto() runs the client's receive on this core,
 * and its ACKs land in our rx ring before the call returns: a flush of 128
 * frames (xsk_port.c, TX_KICK_ROUNDS) brings up to 128 ACKs back. Reading
 * only 64 per turn let that backlog grow until the fill ring ran dry and
 * the kernel dropped frames; reading up to four times what a flush can
 * provoke keeps the ring drained. */
#define RX_PER_TURN 512u
#define BUSY_POLL_USECS 20
#define BUSY_POLL_BUDGET 64
/* How long to nap when the stack waits for tx room: completions arrive
 * without any fd event in copy mode (the peer frees the frames). */
#define TX_BLOCKED_NAP_NS 50000

enum poll_mode { POLL_BLOCK, POLL_BUSY };
/* TCP checksums: by the kernel/device through AF_XDP tx metadata, or ours. */
enum csum_mode { CSUM_AUTO, CSUM_SOFTWARE, CSUM_OFFLOAD };
/* Where a segment's body comes from: descriptors pointing at the pages'
 * copy in the UMEM (umem_mirror.h), or bytes copied into each frame. */
enum tx_body { TX_BODY_AUTO, TX_BODY_UMEM, TX_BODY_COPY };
/* Page bytes a UMEM may mirror by default (--umem-pages-max): every queue
 * registers (pins and accounts) them, on top of its frames. */
#define DEFAULT_UMEM_PAGES_MAX (1ull << 30)

struct xdp_config {
	const char *ifname;
	int queues;          /* 0: take --workers */
	enum poll_mode poll;
	bool zerocopy;
	bool skb_mode;
	uint32_t frames;
	uint32_t rx_ring, tx_ring;
	enum csum_mode csum;
	enum tx_body tx_body;
	uint64_t umem_pages_max;
};

struct worker {
	int queue;
	const struct server_options *o;
	enum poll_mode poll;
	struct xsk_port port;
	struct netstack *ns;
	struct xdp_http *http; /* the application on ns */
	struct http_clock clock;
	uint64_t now_ns;       /* the loop's time for the frames of one batch */
	uint64_t open_at_stop; /* connections (not in TIME_WAIT) the stop aborted */
};

static int opt_ifname(void *cfg, const char *v, char *err, size_t errlen)
{
	if (!*v || strlen(v) >= IFNAMSIZ) {
		snprintf(err, errlen, "an interface name has 1 to %d characters", IFNAMSIZ - 1);
		return -1;
	}
	((struct xdp_config *)cfg)->ifname = v;
	return 0;
}

static int opt_queues(void *cfg, const char *v, char *err, size_t errlen)
{
	uint64_t n;

	if (parse_count(v, 1, SERVER_MAX_WORKERS, &n, err, errlen))
		return -1;
	((struct xdp_config *)cfg)->queues = (int)n;
	return 0;
}

static int opt_poll(void *cfg, const char *v, char *err, size_t errlen)
{
	struct xdp_config *c = cfg;

	if (!strcmp(v, "block"))
		c->poll = POLL_BLOCK;
	else if (!strcmp(v, "busy"))
		c->poll = POLL_BUSY;
	else {
		snprintf(err, errlen, "expected 'block' or 'busy'");
		return -1;
	}
	return 0;
}

static int opt_zerocopy(void *cfg, const char *v, char *err, size_t errlen)
{
	(void)v, (void)err, (void)errlen;
	((struct xdp_config *)cfg)->zerocopy = true;
	return 0;
}

static int opt_skb_mode(void *cfg, const char *v, char *err, size_t errlen)
{
	(void)v, (void)err, (void)errlen;
	((struct xdp_config *)cfg)->skb_mode = true;
	return 0;
}

static int opt_frames(void *cfg, const char *v, char *err, size_t errlen)
{
	uint64_t n;

	if (parse_pow2(v, 1024, 1 << 20, &n, err, errlen))
		return -1;
	((struct xdp_config *)cfg)->frames = (uint32_t)n;
	return 0;
}

static int opt_ring(const char *v, uint32_t *out, char *err, size_t errlen)
{
	uint64_t n;

	if (parse_pow2(v, 64, 1 << 16, &n, err, errlen))
		return -1;
	*out = (uint32_t)n;
	return 0;
}

static int opt_rx_ring(void *cfg, const char *v, char *err, size_t errlen)
{
	return opt_ring(v, &((struct xdp_config *)cfg)->rx_ring, err, errlen);
}

static int opt_tx_ring(void *cfg, const char *v, char *err, size_t errlen)
{
	return opt_ring(v, &((struct xdp_config *)cfg)->tx_ring, err, errlen);
}

static int opt_csum(void *cfg, const char *v, char *err, size_t errlen)
{
	struct xdp_config *c = cfg;

	if (!strcmp(v, "auto"))
		c->csum = CSUM_AUTO;
	else if (!strcmp(v, "software"))
		c->csum = CSUM_SOFTWARE;
	else if (!strcmp(v, "offload"))
		c->csum = CSUM_OFFLOAD;
	else {
		snprintf(err, errlen, "expected 'auto', 'software' or 'offload'");
		return -1;
	}
	return 0;
}

static int opt_tx_body(void *cfg, const char *v, char *err, size_t errlen)
{
	struct xdp_config *c = cfg;

	if (!strcmp(v, "auto"))
		c->tx_body = TX_BODY_AUTO;
	else if (!strcmp(v, "umem"))
		c->tx_body = TX_BODY_UMEM;
	else if (!strcmp(v, "copy"))
		c->tx_body = TX_BODY_COPY;
	else {
		snprintf(err, errlen, "expected 'auto', 'umem' or 'copy'");
		return -1;
	}
	return 0;
}

static int opt_umem_pages_max(void *cfg, const char *v, char *err, size_t errlen)
{
	return parse_size(v, 1 << 20, 1ull << 40, &((struct xdp_config *)cfg)->umem_pages_max,
			  err, errlen);
}

static const struct engine_option xdp_options[] = {
	{ "ifname", 1, "interface to bind (required); --addr must be one of its IPv4 addresses",
	  opt_ifname },
	{ "queues", 1, "queues to serve, 0..N-1, one worker each (default: --workers)", opt_queues },
	{ "poll", 1, "block (default): sleep in poll(); busy: spin with busy polling", opt_poll },
	{ "zerocopy", 0, "bind with XDP_ZEROCOPY; exit 1 if the driver refuses (default: copy mode)",
	  opt_zerocopy },
	{ "skb-mode", 0, "attach the XDP program in generic (skb) mode (default: native)",
	  opt_skb_mode },
	{ "umem-frames", 1, "4 KiB UMEM chunks per queue, a power of two (default 16384); at "
	  "least rx-ring + tx-ring", opt_frames },
	{ "rx-ring", 1, "rx and fill ring entries, a power of two (default 4096): the chunks "
	  "kept for receiving", opt_rx_ring },
	{ "tx-ring", 1, "tx ring entries, a power of two (default 2048)", opt_tx_ring },
	{ "csum", 1, "TCP checksums: auto (default; offload where the kernel can), software, "
	  "offload (exit 1 if the kernel cannot)", opt_csum },
	{ "tx-body", 1, "auto (default: umem with --zerocopy or an MTU over 3800, else copy); "
	  "umem: page bodies "
	  "live in the UMEM and segments point at them; copy: every segment's body is "
	  "copied into its frame", opt_tx_body },
	{ "umem-pages-max", 1, "most page bytes a queue's UMEM mirrors with --tx-body umem "
	  "(default 1G); a larger page set exits 2", opt_umem_pages_max },
	{ NULL, 0, NULL, NULL },
};

static const char help_extra[] =
	"The kernel keeps the interface and its address: it answers ARP and ICMP,\n"
	"and the XDP program hands only IPv4 TCP for --addr:--port to the AF_XDP\n"
	"sockets, where a userspace TCP/IP stack (one per queue) serves the pages.\n"
	"--addr must therefore be an IPv4 address of --ifname; the MAC and the MTU\n"
	"(hence the MSS, MTU - 40) come from the interface. Above one page of MTU\n"
	"(about 3500 bytes) the sockets use multi-buffer (XDP_USE_SG).\n"
	"\n"
	"Workers and queues: --workers and --queues mean the same thing here (worker\n"
	"i serves queue i); give either, or both with the same value.\n"
	"\n"
	"Poll modes:\n"
	"  block  each worker sleeps in ppoll() on its AF_XDP socket and the stop\n"
	"         eventfd until a frame arrives or the stack's next timer is due.\n"
	"         Costs no CPU when idle.\n"
	"  busy   each worker spins: SO_PREFER_BUSY_POLL, SO_BUSY_POLL=20 us and\n"
	"         SO_BUSY_POLL_BUDGET=64 on its socket, and a non-blocking recvfrom()\n"
	"         whenever the rx ring is empty, so the driver's NAPI runs in the\n"
	"         worker's context. Burns its CPU at 100% even when idle.\n"
	"\n"
	"Steering: a flow must stay on one queue, since each queue's stack knows only\n"
	"its own connections (a segment of an unknown connection gets a RST). On a\n"
	"NIC, RSS picks the queue (keep the hash on the 4-tuple: ethtool -N/-X). On a\n"
	"veth pair the server's rx queue is the client's tx queue: leave XPS off on\n"
	"the client (flows then hash to a queue) and set net.core.txrehash=0 in the\n"
	"client's namespace, or the client moves a flow to another queue after a\n"
	"retransmission timeout.\n"
	"\n"
	"UMEM budget: the first --rx-ring chunks of each queue's UMEM only ever\n"
	"receive (they cycle through the fill ring), the rest are the tx pool, of\n"
	"which the last 256 (at most an eighth) are kept for frames without data,\n"
	"so a SYN is always answered. Data frames in flight are capped at half the\n"
	"rx reserve (each comes back as an ACK), and each connection at 256 of\n"
	"them (a quarter of that cap if smaller); past its cap a connection waits\n"
	"for its own completions, as Linux's TCP Small Queues would.\n"
	"\n"
	"Checksums (--csum): with offload, each frame carries AF_XDP tx metadata\n"
	"(Linux 6.10+, XDP_UMEM_TX_METADATA_LEN) asking for the TCP checksum, and the\n"
	"stack sums no payload byte; in copy mode the kernel then hands the device a\n"
	"CHECKSUM_PARTIAL skb, as the kernel's own TCP does (on veth the receiver\n"
	"trusts it and sums nothing either). software: the stack fills in every\n"
	"checksum (payload sums precomputed per page). auto takes offload in copy\n"
	"mode when the kernel supports it, else software; zero-copy always sums in\n"
	"software (the driver's support is not queried), and --csum offload with\n"
	"--zerocopy is refused. The ready line says which is in use (csum=...).\n"
	"\n"
	"Page bodies (--tx-body). umem: the page cache is copied once, at start,\n"
	"into UMEM chunks behind each queue's frames (one memfd, mapped by every\n"
	"queue), and a data segment is one small frame (headers, and in a reply's\n"
	"first segment the HTTP head) plus multi-buffer descriptors (XDP_USE_SG)\n"
	"pointing at the body: sending writes only the headers. Completions of body\n"
	"descriptors are skipped, never pooled. The UMEM grows by the page set (a\n"
	"67 MB corpus: 67 MiB per queue, held once); a page set over\n"
	"--umem-pages-max, or one the kernel cannot lock, exits 2. copy: each\n"
	"segment's body is copied into its frame. auto (the default) takes umem\n"
	"with --zerocopy, or where a frame takes several chunks anyway (MTU over\n"
	"~3800), else copy: in copy mode the kernel copies every descriptor again,\n"
	"each fragment into a page of its own, and at MTU 1500 umem cost 1.3-1.5x\n"
	"copy's server CPU per MiB, at MTU 9000 0.7-0.97x (COST_CENTRES.md).\n"
	"\n"
	"Copy mode is the default, and the only mode veth offers; --zerocopy is for\n"
	"NICs whose driver supports it, and the server exits with a clear message\n"
	"rather than silently falling back, so a run is always in the mode asked.\n"
	"The XDP program is attached through a bpf_link: it goes away when the\n"
	"process exits, however it exits (kill -9 included).\n"
	"Set HTTPD_XDP_DEBUG=1 to see libbpf/libxdp messages.";

static int stack_tx(void *ctx, const struct netstack_frame *f)
{
	return xsk_port_tx(&((struct worker *)ctx)->port, f->iov, f->iovcnt, f->payload_len > 0,
			   f->tag, f->csum_start, f->csum_offset);
}

static void port_tx_done(void *ctx, uint32_t tag)
{
	netstack_tx_done(((struct worker *)ctx)->ns, tag);
}

static void stack_rx(void *ctx, const uint8_t *frame, size_t len)
{
	struct worker *w = ctx;

	netstack_input(w->ns, frame, len, w->now_ns);
}

/* How long the blocking loop may sleep: until the stack's next timer, but
 * briefly when output waits for tx completions (no fd event for those). */
static struct timespec sleep_for(struct worker *w, uint64_t now)
{
	uint64_t deadline = netstack_next_deadline(w->ns), wait;
	struct timespec ts;

	wait = deadline <= now ? 0 : deadline - now;
	if (netstack_tx_blocked(w->ns) && wait > TX_BLOCKED_NAP_NS)
		wait = TX_BLOCKED_NAP_NS;
	if (wait > 1000000000u)
		wait = 1000000000u; /* stay responsive to nothing in particular: a cap */
	ts.tv_sec = (time_t)(wait / 1000000000u);
	ts.tv_nsec = (long)(wait % 1000000000u);
	return ts;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pollfd pfd[2] = {
		{ .fd = w->port.fd, .events = POLLIN },
		{ .fd = server_stop_fd(), .events = POLLIN },
	};

	while (!server_stopping()) {
		unsigned rx;
		bool tx_busy;

		w->now_ns = mono_ns();
		http_clock_tick(&w->clock, time(NULL));
		rx = 0;
		for (unsigned got = RX_BATCH; got == RX_BATCH && rx < RX_PER_TURN;) {
			got = xsk_port_rx(&w->port, RX_BATCH, stack_rx, w);
			rx += got;
		}
		/* Completions first: they may lift a connection's hold or free
		 * the tx pool for the output netstack_poll retries. */
		xsk_port_reclaim(&w->port);
		xsk_port_fill(&w->port);
		netstack_poll(w->ns, w->now_ns);
		tx_busy = xsk_port_flush(&w->port);
		if (rx)
			continue; /* more may be waiting: drain before sleeping */
		if (w->poll == POLL_BUSY) {
			xsk_port_rx_wakeup(&w->port);
			continue;
		}
		if (tx_busy)
			continue; /* the kernel still has frames of ours to send */
		xsk_port_rx_wakeup(&w->port); /* only if the fill ring asks */
		struct timespec ts = sleep_for(w, w->now_ns);
		if (ppoll(pfd, 2, &ts, NULL) < 0 && errno != EINTR) {
			/* Stops the others too; the peers still get their RST. */
			server_worker_failed(w->queue, "ppoll on the AF_XDP socket: %s", strerror(errno));
			break;
		}
	}
	/* Shutdown: tell every peer (RST) rather than leave them to time out. */
	const struct netstack_stats *st = netstack_stats(w->ns);
	w->open_at_stop = st->cur_conns - st->cur_time_wait;
	netstack_abort_all(w->ns, mono_ns());
	for (int i = 0; i < 100 && xsk_port_flush(&w->port); i++)
		;
	return NULL;
}

/* The UMEM is locked memory: without CAP_IPC_LOCK the kernel checks it
 * against RLIMIT_MEMLOCK, so raise that as far as we may (best effort; a
 * failure shows up, explained, when the UMEM registers). */
static void raise_memlock(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_MEMLOCK, &rl);
	}
	rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
	setrlimit(RLIMIT_MEMLOCK, &rl);
}

static int resolve_queues(const struct server_options *o, struct xdp_config *cfg,
			  const struct iface_info *ifc, char *err, size_t errlen)
{
	if (cfg->queues == 0)
		cfg->queues = o->workers;
	else if (o->workers != 1 && o->workers != cfg->queues) {
		snprintf(err, errlen, "--workers %d and --queues %d disagree: this server runs one "
			 "worker per queue", o->workers, cfg->queues);
		return -1;
	}
	if (ifc->rx_queues > 0 && cfg->queues > ifc->rx_queues) {
		snprintf(err, errlen, "--queues %d: %s has only %d queue%s", cfg->queues, ifc->name,
			 ifc->rx_queues, ifc->rx_queues == 1 ? "" : "s");
		return -1;
	}
	if (ifc->rx_queues > cfg->queues)
		fprintf(stderr, "httpd-xdp: note: %s has %d queues and only %d are served; flows "
			"steered to the others reach the kernel, which resets them\n",
			ifc->name, ifc->rx_queues, cfg->queues);
	return 0;
}

/* What the kernel dropped before the stack saw it (XDP_STATISTICS summed
 * over the queues), as key=value pairs for the stats line. Read before the
 * sockets close. */
static void kernel_drops(const struct worker *w, int n, char *out, size_t len)
{
	struct xsk_kernel_stats sum = { 0 }, k;

	for (int i = 0; i < n; i++) {
		if (xsk_port_kernel_stats(&w[i].port, &k)) {
			snprintf(out, len, "xdp_stats=unavailable");
			return;
		}
		sum.rx_dropped += k.rx_dropped;
		sum.rx_invalid_descs += k.rx_invalid_descs;
		sum.tx_invalid_descs += k.tx_invalid_descs;
		sum.rx_ring_full += k.rx_ring_full;
		sum.rx_fill_empty += k.rx_fill_empty;
		sum.tx_ring_empty += k.tx_ring_empty;
	}
	snprintf(out, len, "xdp_rx_dropped=%" PRIu64 " xdp_rx_ring_full=%" PRIu64
		 " xdp_rx_fill_empty=%" PRIu64 " xdp_rx_invalid_descs=%" PRIu64
		 " xdp_tx_invalid_descs=%" PRIu64 " xdp_tx_ring_empty=%" PRIu64,
		 sum.rx_dropped, sum.rx_ring_full, sum.rx_fill_empty, sum.rx_invalid_descs,
		 sum.tx_invalid_descs, sum.tx_ring_empty);
}

static void print_xdp_stats(const struct worker *w, int n)
{
	struct netstack_stats s = { 0 };
	struct xsk_port_stats x = { 0 };
	uint64_t open_at_stop = 0, data_refused = 0, ctl_refused = 0, data_capped = 0;
	uint32_t pool_low = UINT32_MAX;

	for (int i = 0; i < n; i++) {
		const struct xsk_port_stats *p = &w[i].port.stats;

		open_at_stop += w[i].open_at_stop;
		netstack_stats_add(&s, netstack_stats(w[i].ns));
		x.rx_frames += p->rx_frames;
		x.rx_descs += p->rx_descs;
		x.rx_oversize += p->rx_oversize;
		x.tx_frames += p->tx_frames;
		x.tx_descs += p->tx_descs;
		x.tx_body_descs += p->tx_body_descs;
		x.tx_copy_bytes += p->tx_copy_bytes;
		x.tx_body_done += p->tx_body_done;
		x.tx_no_frame += p->tx_no_frame;
		x.tx_no_slot += p->tx_no_slot;
		x.tx_too_big += p->tx_too_big;
		x.tx_kicks += p->tx_kicks;
		x.tx_kick_again += p->tx_kick_again;
		x.rx_wakeups += p->rx_wakeups;
		x.fill_short += p->fill_short;
		data_capped += w[i].port.pool.data_capped;
		data_refused += w[i].port.pool.data_refused;
		ctl_refused += w[i].port.pool.ctl_refused;
		if (w[i].port.pool.min_free < pool_low)
			pool_low = w[i].port.pool.min_free;
	}
	/* Per queue, to see how the flows spread (steering). */
	char per_queue[256] = "";
	size_t used = 0;
	for (int i = 0; i < n && used < sizeof(per_queue); i++)
		used += (size_t)snprintf(per_queue + used, sizeof(per_queue) - used, "%s%" PRIu64,
					 i ? "/" : "", w[i].port.stats.rx_frames);
	printf("xsk rx_per_queue=%s rx_frames=%" PRIu64 " rx_descs=%" PRIu64 " rx_oversize=%" PRIu64
	       " tx_frames=%" PRIu64 " tx_descs=%" PRIu64 " tx_body_descs=%" PRIu64
	       " tx_copy_bytes=%" PRIu64 " tx_body_done=%" PRIu64 " tx_no_frame=%" PRIu64
	       " tx_data_capped=%" PRIu64 " tx_pool_data_refused=%" PRIu64
	       " tx_pool_ctl_refused=%" PRIu64
	       " tx_pool_low=%" PRIu32 " tx_no_slot=%" PRIu64 " tx_too_big=%" PRIu64
	       " tx_kicks=%" PRIu64 " tx_kick_again=%" PRIu64 " rx_wakeups=%" PRIu64 " fill_short=%" PRIu64 "\n",
	       per_queue, x.rx_frames, x.rx_descs, x.rx_oversize, x.tx_frames, x.tx_descs,
	       x.tx_body_descs, x.tx_copy_bytes, x.tx_body_done, x.tx_no_frame,
	       data_capped, data_refused, ctl_refused, pool_low, x.tx_no_slot, x.tx_too_big, x.tx_kicks,
	       x.tx_kick_again, x.rx_wakeups, x.fill_short);
	printf("tcp frames_in=%" PRIu64 " frames_out=%" PRIu64 " tx_full=%" PRIu64
	       " tx_conn_capped=%" PRIu64
	       " bad_frame=%" PRIu64 " bad_ip_csum=%" PRIu64 " bad_tcp_csum=%" PRIu64
	       " not_ours=%" PRIu64 " ip_fragments=%" PRIu64 " opened=%" PRIu64
	       " established=%" PRIu64 " closed=%" PRIu64 " reset_rx=%" PRIu64
	       " reset_tx=%" PRIu64 " rejected=%" PRIu64 " timed_out=%" PRIu64
	       " unknown_conn_rst=%" PRIu64 " retransmits=%" PRIu64 " fast_retransmits=%" PRIu64
	       " rto_timeouts=%" PRIu64 " dup_acks=%" PRIu64 " out_of_order=%" PRIu64
	       " ooo_dropped=%" PRIu64 " zero_window_probes=%" PRIu64
	       " sack_recoveries=%" PRIu64 " sack_blocks_rx=%" PRIu64 " sack_blocks_tx=%" PRIu64
	       " sacked_bytes=%" PRIu64 " paws_dropped=%" PRIu64 " ts_rtt_samples=%" PRIu64 " csum_offloaded=%" PRIu64
	       " csum_precomputed=%" PRIu64 " csum_live=%" PRIu64 " open_at_stop=%" PRIu64 "\n",
	       s.frames_in, s.frames_out, s.tx_full, s.tx_conn_capped, s.bad_frame, s.bad_ip_csum,
	       s.bad_tcp_csum,
	       s.not_ours, s.ip_fragments, s.conns_opened, s.conns_established, s.conns_closed,
	       s.conns_reset_rx, s.conns_reset_tx, s.conns_rejected, s.conns_timed_out,
	       s.unknown_conn_rst, s.retransmits, s.fast_retransmits, s.rto_timeouts, s.dup_acks,
	       s.out_of_order, s.ooo_dropped, s.zero_window_probes, s.sack_recoveries,
	       s.sack_blocks_rx, s.sack_blocks_tx, s.sacked_bytes, s.paws_dropped, s.ts_rtt_samples,
	       s.csum_offloaded,
	       s.csum_precomputed,
	       s.csum_live, open_at_stop);
}

static void to_server_stats(const struct netstack_stats *s, const struct xdp_http_stats *h,
			    struct server_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->accepted = s->conns_established;
	out->rejected = s->conns_rejected;
	out->requests = h->requests;
	out->responses_4xx = h->responses_4xx;
	out->bytes_sent = s->payload_bytes_out;
	out->idle_closed = s->conns_idle_closed;
	/* A connection given up after its retransmissions; a peer's reset is
	 * an ordinary end here as in every engine (reset_rx on the tcp line). */
	out->errors = s->conns_timed_out;
}

/* MiB with two decimals: "1 MiB over a 1 MiB limit" would read as a bug. */
static double mib(uint64_t bytes)
{
	return (double)bytes / (1 << 20);
}

/* The page cache's copy in the UMEM (--tx-body umem), shared by every
 * queue: its chunks go behind each queue's frames. */
static void make_mirror(const struct server_options *o, const struct xdp_config *cfg,
			const struct page_cache *pc, struct umem_mirror *m)
{
	size_t len;
	const char *arena = page_cache_arena(pc, &len);
	uint64_t frames_len = (uint64_t)cfg->frames * FRAME_SIZE;

	if (umem_mirror_layout(m, arena, len, FRAME_SIZE, frames_len))
		server_die_usage(o, "the page set (%zu MiB) cannot be laid out in UMEM chunks: "
				 "serve it with --tx-body copy", len >> 20);
	if (umem_mirror_bytes(m) > cfg->umem_pages_max)
		server_die_usage(o, "the page set takes %.2f MiB of UMEM per queue, over "
				 "--umem-pages-max (%.2f MiB): raise it, or serve the pages "
				 "with --tx-body copy", mib(umem_mirror_bytes(m)),
				 mib(cfg->umem_pages_max));
	if (umem_mirror_create(m, arena, len, FRAME_SIZE, frames_len)) {
		if (errno == ENOMEM || errno == ENOSPC)
			server_die_usage(o, "no memory for the %.2f MiB copy of the page set "
					 "in the UMEM (%s): serve it with --tx-body copy",
					 mib(umem_mirror_bytes(m)), strerror(errno));
		server_die_errno(o, "creating the UMEM copy of the page set (memfd)");
	}
}

int main(int argc, char **argv)
{
	struct xdp_config cfg = { .poll = POLL_BLOCK, .frames = DEFAULT_FRAMES,
				  .rx_ring = DEFAULT_RX_RING, .tx_ring = DEFAULT_TX_RING,
				  .tx_body = TX_BODY_AUTO,
				  .umem_pages_max = DEFAULT_UMEM_PAGES_MAX };
	struct umem_mirror mirror = { .memfd = -1 };
	struct engine_desc desc = {
		.name = "httpd-xdp",
		.summary = "AF_XDP sockets, one per queue, under a userspace TCP/IP stack",
		.help_extra = help_extra,
		.options = xdp_options,
		.cfg = &cfg,
	};
	struct server_options o;
	struct iface_info ifc;
	struct xdp_prog prog = { .skel = NULL, .link_fd = -1 };
	struct worker *workers;
	struct page_cache *pc;
	char err[512], details[256], drops[320];
	int rc;

	server_options_parse(&o, argc, argv, &desc);
	if (!cfg.ifname)
		server_die_usage(&o, "--ifname IF is required");
	if (cfg.csum == CSUM_OFFLOAD && cfg.zerocopy)
		server_die_usage(&o, "--csum offload is for copy mode only: with --zerocopy the "
				 "driver's tx checksum support is not checked (use --csum software)");
	if (cfg.frames < frame_pool_min_frames(cfg.rx_ring, cfg.tx_ring)) {
		uint64_t need = 1;
		while (need < frame_pool_min_frames(cfg.rx_ring, cfg.tx_ring))
			need <<= 1;
		server_die_usage(&o, "--umem-frames %u cannot hold the rx reserve (--rx-ring %u) "
				 "plus one tx ring (--tx-ring %u): give --umem-frames %" PRIu64
				 " or more, or smaller rings", cfg.frames, cfg.rx_ring, cfg.tx_ring, need);
	}
	uint32_t tx_pool = cfg.frames - cfg.rx_ring;
	uint32_t ctl_reserve = tx_pool / 8 < CTL_RESERVE_MAX ? tx_pool / 8 : CTL_RESERVE_MAX;
	/* Data frames in flight: what the rx reserve can take back as ACKs,
	 * with half of it left for SYNs, requests and FINs (frame_pool.h). */
	uint32_t data_max = cfg.rx_ring / 2;
	if (data_max > tx_pool - ctl_reserve)
		data_max = tx_pool - ctl_reserve;
	uint32_t conn_cap = data_max / 4;
	if (conn_cap > CONN_TX_FRAMES_MAX)
		conn_cap = CONN_TX_FRAMES_MAX;
	xdp_quiet_libraries();
	if (iface_query(cfg.ifname, &ifc, err, sizeof(err)))
		server_die(&o, "%s", err);
	rc = iface_has_ipv4(cfg.ifname, o.addr, err, sizeof(err));
	if (rc < 0)
		server_die(&o, "%s", err);
	if (rc == 0) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &o.addr, a, sizeof(a));
		server_die(&o, "--addr %s is not an IPv4 address of %s: give one of its addresses "
			   "(the kernel answers ARP for it)", a, cfg.ifname);
	}
	if (ifc.mtu < 576 || ifc.mtu > 65535 - ETH_HLEN)
		server_die(&o, "%s: MTU %d is outside what this server handles (576..65521)",
			   cfg.ifname, ifc.mtu);
	if (resolve_queues(&o, &cfg, &ifc, err, sizeof(err)))
		server_die(&o, "%s", err);
	o.workers = cfg.queues;

	server_install_signals();
	pc = server_load_pages(&o);
	raise_memlock();
	/* Frames up to MTU + Ethernet header (+ a VLAN tag's room). */
	uint32_t max_frame = (uint32_t)ifc.mtu + ETH_HLEN + 4;
	/* In copy mode the kernel keeps XDP_PACKET_HEADROOM (256) in each chunk. */
	bool frames_need_sg = max_frame > FRAME_SIZE - 256;
	/* In copy mode the kernel copies every tx descriptor into the skb, each
	 * fragment into a page of its own: where a frame fits one chunk, one
	 * copy of ours plus one linear skb is cheaper than header + body
	 * descriptors (COST_CENTRES.md, measured). Zero-copy, or frames that
	 * take several descriptors anyway, gain from bodies in the UMEM. */
	if (cfg.tx_body == TX_BODY_AUTO)
		cfg.tx_body = cfg.zerocopy || frames_need_sg ? TX_BODY_UMEM : TX_BODY_COPY;
	if (cfg.tx_body == TX_BODY_UMEM)
		make_mirror(&o, &cfg, pc, &mirror);

	if (xdp_prog_load(&prog, o.addr, htons(o.port), cfg.queues, err, sizeof(err)))
		server_die(&o, "%s", err);

	workers = calloc((size_t)cfg.queues, sizeof(*workers));
	if (!workers)
		server_die_errno(&o, "allocating workers");
	bool sg = frames_need_sg || cfg.tx_body == TX_BODY_UMEM;
	int offloaded = 0;
	for (int q = 0; q < cfg.queues; q++) {
		struct worker *w = &workers[q];
		struct xsk_port_config pcfg = {
			.ifname = cfg.ifname,
			.queue = q,
			.frame_size = FRAME_SIZE,
			.nframes = cfg.frames,
			.rx_ring = cfg.rx_ring,
			.tx_ring = cfg.tx_ring,
			.ctl_reserve = ctl_reserve,
			.tx_data_max = data_max,
			.tx_done = port_tx_done,
			.tx_done_ctx = w,
			.max_frame = max_frame,
			.sg = sg,
			.zerocopy = cfg.zerocopy,
			.busy_poll = cfg.poll == POLL_BUSY,
			.busy_poll_usecs = BUSY_POLL_USECS,
			.busy_poll_budget = BUSY_POLL_BUDGET,
			.tx_csum = cfg.csum != CSUM_SOFTWARE && !cfg.zerocopy,
			.mirror = cfg.tx_body == TX_BODY_UMEM ? &mirror : NULL,
		};

		w->queue = q;
		w->o = &o;
		w->poll = cfg.poll;
		rc = xsk_port_open(&w->port, &pcfg, err, sizeof(err));
		if (rc == -2 && pcfg.mirror)
			server_die_usage(&o, "%s; the page set takes %.2f MiB of each queue's "
					 "UMEM: serve it with --tx-body copy", err,
					 mib(umem_mirror_bytes(&mirror)));
		if (rc)
			server_die(&o, "%s", err);
		if (cfg.csum == CSUM_OFFLOAD && !w->port.tx_md_len)
			server_die(&o, "--csum offload: this kernel cannot offload AF_XDP tx checksums "
				   "(tx metadata needs Linux 6.10+); use --csum software or auto");
		offloaded += w->port.tx_md_len != 0;
		if (xdp_prog_set_socket(&prog, q, w->port.fd, err, sizeof(err)))
			server_die(&o, "%s", err);
		http_clock_tick(&w->clock, time(NULL));
		w->http = xdp_http_new(pc, &w->clock, (uint32_t)o.max_conns, w->port.tx_md_len != 0);
		if (!w->http)
			server_die_errno(&o, "creating the HTTP side of a queue");
		struct netstack_config ncfg = {
			.ip = o.addr.s_addr,
			.port = o.port,
			.mtu = (uint16_t)ifc.mtu,
			.max_conns = (uint32_t)o.max_conns,
			.idle_timeout_ms = (uint32_t)o.idle_timeout_ms,
			.conn_tx_frames_max = conn_cap,
			.app = &xdp_http_app,
			.app_ctx = w->http,
			.csum_offload = w->port.tx_md_len != 0,
			.tx_ctx = w,
			.tx = stack_tx,
		};
		memcpy(ncfg.mac, ifc.mac, sizeof(ncfg.mac));
		w->ns = netstack_new(&ncfg);
		if (!w->ns)
			server_die_errno(&o, "creating the TCP/IP stack of a queue");
	}
	/* Per-page payload sums serve software checksums only. */
	if (offloaded < cfg.queues && page_sums_prepare(pc, (uint16_t)ifc.mtu) < 0)
		server_die_errno(&o, "precomputing page checksums");
	/* Attach last: until now the port's traffic still went to the kernel. */
	if (xdp_prog_attach(&prog, ifc.ifindex, cfg.ifname, cfg.skb_mode, err, sizeof(err)))
		server_die(&o, "%s", err);

	snprintf(details, sizeof(details), "ifname=%s queues=%d mtu=%d mode=%s/%s poll=%s csum=%s "
		 "umem_frames=%u umem_pages_mib=%.1f tx_body=%s rx_ring=%u tx_ring=%u "
		 "conn_tx_frames=%u multibuffer=%s",
		 cfg.ifname, cfg.queues, ifc.mtu, cfg.skb_mode ? "skb" : "native",
		 cfg.zerocopy ? "zerocopy" : "copy", cfg.poll == POLL_BUSY ? "busy" : "block",
		 offloaded == cfg.queues ? "offload" : offloaded ? "mixed" : "software",
		 cfg.frames, mib(umem_mirror_bytes(&mirror)),
		 cfg.tx_body == TX_BODY_UMEM ? "umem" : "copy", cfg.rx_ring, cfg.tx_ring, conn_cap,
		 sg ? "yes" : "no");
	/* Frames that arrive before a worker runs wait in its rx ring. */
	const struct server_worker_fns fns = { .run = worker_main };
	struct server_workers *ws = server_workers_start(&o, cfg.queues, &fns, workers,
							 sizeof(*workers));
	server_ready(&o, details);
	server_workers_join(ws);

	/* Detach first, so nothing more is redirected into sockets about to go. */
	xdp_prog_close(&prog);

	struct server_stats *stats = calloc((size_t)cfg.queues, sizeof(*stats));
	if (!stats)
		server_die_errno(&o, "allocating counters");
	for (int q = 0; q < cfg.queues; q++)
		to_server_stats(netstack_stats(workers[q].ns), xdp_http_stats(workers[q].http),
				&stats[q]);
	kernel_drops(workers, cfg.queues, drops, sizeof(drops));
	server_print_stats(&o, stats, cfg.queues, drops);
	if (!o.quiet)
		print_xdp_stats(workers, cfg.queues);
	fflush(stdout);
	for (int q = 0; q < cfg.queues; q++) {
		netstack_free(workers[q].ns);
		xdp_http_free(workers[q].http);
		xsk_port_close(&workers[q].port);
	}
	umem_mirror_close(&mirror);
	page_sums_release(pc);
	page_cache_free(pc);
	free(stats);
	free(workers);
	return server_exit_code(&o);
}
