/* netstack: configuration, the connection table (fixed slots, a hash of the
 * 4-tuple, a TIME_WAIT FIFO), frame dispatch, polling and counters. */
#include "netstack.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "checksum.h"
#include "hash.h"
#include "netstack_internal.h"
#include "packet.h"

/* The local address and port are the same for every connection of a
 * netstack, so the peer's half of the 4-tuple is the key. Keyed with a
 * secret so that a peer cannot aim its ports at one bucket. */
static inline uint32_t conn_bucket(const struct netstack *ns, uint32_t ip,
				   uint16_t port)
{
	uint64_t k = ((uint64_t)ip << 16 | port) ^ ns->secret[0];
	return (uint32_t)hash_mix64(k) & ns->bucket_mask;
}

/* RFC 6528: ISN = M + F(4-tuple, secret), M a 4 µs clock. F is a keyed
 * 64-bit mix, not a cryptographic PRF: enough against blind guessing on a
 * benchmark network, said here so nobody mistakes it for more. */
uint32_t ns_isn(const struct netstack *ns, const struct ns_peer *peer)
{
	uint64_t k = ((uint64_t)peer->ip << 16 | peer->port) ^ ns->secret[1];
	k = hash_mix64(k ^ ((uint64_t)ns->cfg.ip << 32 | ns->cfg.port));
	return (uint32_t)k + (uint32_t)(ns->now_ns / 4000) + ns->cfg.isn_offset;
}

/* RFC 7323 5.4 / 7.1: a per-connection random offset for TSval, so that
 * timestamps reveal no uptime and differ between connections. */
uint32_t ns_ts_offset(const struct netstack *ns, const struct ns_peer *peer)
{
	uint64_t k = ((uint64_t)peer->ip << 16 | peer->port) ^ ns->secret[0];
	return (uint32_t)(hash_mix64(k ^ 0x7473u) >> 32);
}

void ns_pending_add(struct netstack *ns, struct tcp_conn *c)
{
	if (c->pending)
		return;
	c->pending = true;
	list_add_tail(&ns->pending, &c->pend);
}

static void pending_remove(struct tcp_conn *c)
{
	if (!c->pending)
		return;
	list_del(&c->pend);
	c->pending = false;
}

/* A frame's tag: slot index + 1 in the low 24 bits (0 means "no tag"),
 * the slot's generation above, so that completions of a connection that
 * closed are not charged to the next one in its slot (256 reuses while a
 * frame is still out would alias; the count is clamped at 0 either way). */
#define TAG_SLOT_BITS 24

uint32_t ns_conn_tag(const struct netstack *ns, const struct tcp_conn *c)
{
	return (uint32_t)c->tag_gen << TAG_SLOT_BITS | (uint32_t)(c - ns->conns + 1);
}

void ns_tx_cap_hold(struct netstack *ns, struct tcp_conn *c)
{
	if (c->tx_capped)
		return;
	c->tx_capped = true;
	ns->ncapped++;
	ns->stats.tx_conn_capped++;
}

static void tx_cap_release(struct netstack *ns, struct tcp_conn *c)
{
	if (!c->tx_capped)
		return;
	c->tx_capped = false;
	ns->ncapped--;
}

void netstack_tx_done(struct netstack *ns, uint32_t tag)
{
	uint32_t slot = tag & ((1u << TAG_SLOT_BITS) - 1);

	if (slot == 0 || slot > ns->cfg.max_conns)
		return;
	struct tcp_conn *c = &ns->conns[slot - 1];
	if (c->state == TCP_CLOSED || c->tag_gen != tag >> TAG_SLOT_BITS)
		return;
	if (c->tx_frames)
		c->tx_frames--;
	/* Resume at half the cap, not at cap - 1: one wake-up per burst of
	 * completions rather than one per frame. */
	if (c->tx_capped && c->tx_frames <= ns->cfg.conn_tx_frames_max / 2) {
		tx_cap_release(ns, c);
		ns_pending_add(ns, c);
	}
}

struct tcp_conn *ns_conn_lookup(struct netstack *ns, uint32_t ip, uint16_t port)
{
	struct tcp_conn *c = ns->buckets[conn_bucket(ns, ip, port)];
	for (; c; c = c->hash_next)
		if (c->peer.ip == ip && c->peer.port == port)
			return c;
	return NULL;
}

static void hash_remove(struct netstack *ns, struct tcp_conn *c)
{
	struct tcp_conn **pp = &ns->buckets[conn_bucket(ns, c->peer.ip, c->peer.port)];
	while (*pp && *pp != c)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = c->hash_next;
	c->hash_next = NULL;
}

void ns_conn_free(struct netstack *ns, struct tcp_conn *c)
{
	if (c->state == TCP_CLOSED)
		return;
	hash_remove(ns, c);
	ns_timer_remove(ns, c);
	pending_remove(c);
	tx_cap_release(ns, c);
	if (c->state == TCP_TIME_WAIT) {
		list_del(&c->link);
		ns->stats.cur_time_wait--;
	} else {
		ns->nconns_live--;
	}
	c->state = TCP_CLOSED;
	c->tx_count = c->tx_msgs = 0;
	if (c->app_conn && ns->cfg.app->closed) {
		ns->in_app = true;
		ns->cfg.app->closed(ns->cfg.app_ctx, c->app_conn);
		ns->in_app = false;
	}
	c->app_conn = NULL;
	ns->stats.conns_closed++;
	ns->stats.cur_conns--;
	list_add_tail(&ns->free_conns, &c->link);
}

void ns_conn_set_state(struct netstack *ns, struct tcp_conn *c, enum tcp_state s)
{
	if (s == TCP_TIME_WAIT && c->state != TCP_TIME_WAIT) {
		list_add_tail(&ns->time_wait, &c->link);
		ns->stats.cur_time_wait++;
		ns->nconns_live--;
	}
	c->state = s;
}

/* A TIME_WAIT re-armed (the peer's FIN again) moves to the tail, so the
 * FIFO stays ordered by deadline (tcp_timers.c expires from its head). */
void ns_time_wait_requeue(struct netstack *ns, struct tcp_conn *c)
{
	list_del(&c->link);
	list_add_tail(&ns->time_wait, &c->link);
}

/* A free slot, or the oldest TIME_WAIT's. NULL only if every slot holds a
 * live connection (the caller checks the cap first). */
struct tcp_conn *ns_conn_alloc(struct netstack *ns, const struct ns_peer *peer)
{
	struct tcp_conn *c;
	if (list_empty(&ns->free_conns)) {
		c = ns_time_wait_oldest(ns);
		if (!c)
			return NULL;
		ns_conn_free(ns, c); /* onto the free list's tail: taken below */
		ns->stats.time_wait_reclaimed++;
	}
	c = list_entry(ns->free_conns.prev, struct tcp_conn, link);
	list_del(&c->link);
	char *rxbuf = c->rxbuf;
	uint8_t gen = c->tag_gen;
	memset(c, 0, offsetof(struct tcp_conn, tx));
	c->rxbuf = rxbuf;
	c->tag_gen = (uint8_t)(gen + 1);
	c->peer = *peer;
	c->heap_idx = NS_NONE;
	c->timer_at = UINT64_MAX;
	c->idle_at = UINT64_MAX;
	c->state = TCP_SYN_RECEIVED;
	c->pseudo_sum = ns_pseudo_sum(ns->cfg.ip, peer->ip);
	uint32_t b = conn_bucket(ns, peer->ip, peer->port);
	c->hash_next = ns->buckets[b];
	ns->buckets[b] = c;
	ns->nconns_live++;
	ns->stats.cur_conns++;
	return c;
}

struct netstack *netstack_new(const struct netstack_config *cfg)
{
	if (!cfg || !cfg->tx || !cfg->app || !cfg->app->open || !cfg->app->input ||
	    !cfg->app->acked || cfg->mtu < 576 ||
	    cfg->max_conns == 0 || cfg->max_conns >= (1u << 24) || cfg->port == 0) {
		errno = EINVAL;
		return NULL;
	}
	struct netstack *ns = calloc(1, sizeof(*ns));
	if (!ns)
		return NULL;
	ns->cfg = *cfg;
	if (!ns->cfg.time_wait_ms)
		ns->cfg.time_wait_ms = NETSTACK_DEFAULT_TIME_WAIT_MS;
	ns->our_mss = cfg->mtu - IPV4_HDR_LEN - TCP_HDR_LEN;
	if (cfg->isn_secret) {
		ns->secret[0] = hash_mix64(cfg->isn_secret);
		ns->secret[1] = hash_mix64(cfg->isn_secret ^ 0x9e3779b97f4a7c15ull);
	} else if (getrandom(ns->secret, sizeof(ns->secret), 0) !=
		   (ssize_t)sizeof(ns->secret)) {
		int e = errno;
		free(ns);
		errno = e;
		return NULL;
	}
	uint32_t nb = 1;
	while (nb < 2 * cfg->max_conns)
		nb <<= 1;
	ns->bucket_mask = nb - 1;
	ns->buckets = calloc(nb, sizeof(*ns->buckets));
	ns->conns = calloc(cfg->max_conns, sizeof(*ns->conns));
	ns->heap = calloc(cfg->max_conns, sizeof(*ns->heap));
	/* Untouched pages of this are never faulted in: an idle slot costs
	 * address space, not memory. */
	ns->rxbufs = malloc((size_t)cfg->max_conns * NS_RX_BUF);
	if (!ns->buckets || !ns->conns || !ns->heap || !ns->rxbufs) {
		netstack_free(ns);
		errno = ENOMEM;
		return NULL;
	}
	list_init(&ns->free_conns);
	list_init(&ns->time_wait);
	list_init(&ns->pending);
	/* Slot 0 at the tail: the first connection takes it. */
	for (uint32_t i = cfg->max_conns; i-- > 0;) {
		struct tcp_conn *c = &ns->conns[i];
		c->rxbuf = ns->rxbufs + (size_t)i * NS_RX_BUF;
		c->heap_idx = NS_NONE;
		list_add_tail(&ns->free_conns, &c->link);
	}
	return ns;
}

void netstack_free(struct netstack *ns)
{
	if (!ns)
		return;
	free(ns->buckets);
	free(ns->conns);
	free(ns->heap);
	free(ns->rxbufs);
	free(ns);
}

void netstack_input(struct netstack *ns, const uint8_t *frame, size_t len,
		    uint64_t now_ns)
{
	struct ns_rx_segment seg;

	ns->now_ns = now_ns;
	ns->stats.frames_in++;
	if (ns_parse_frame(&ns->stats, ns->cfg.ip, ns->cfg.port, frame, len,
			   &seg) < 0)
		return;
	struct ns_peer peer = { .ip = seg.saddr, .port = seg.sport };
	memcpy(peer.mac, seg.src_mac, 6);
	ns_tcp_input(ns, &peer, seg.tcp, seg.tcp_hdr_len,
		     seg.tcp + seg.tcp_hdr_len, seg.tcp_len - seg.tcp_hdr_len);
}

void netstack_poll(struct netstack *ns, uint64_t now_ns)
{
	ns->now_ns = now_ns;
	ns_timers_run(ns, now_ns);
	/* Retry output the tx ring refused, oldest first, until it refuses
	 * again. */
	ns->draining_pending = true;
	struct tcp_conn *c;
	while ((c = ns_pending_first(ns))) {
		pending_remove(c);
		ns_output(ns, c);
		if (c->pending)
			break;
	}
	ns->draining_pending = false;
}

uint64_t netstack_next_deadline(const struct netstack *ns)
{
	uint64_t d = ns->heap_len ? ns->heap[0]->heap_key : UINT64_MAX;
	const struct tcp_conn *tw = ns_time_wait_oldest(ns);
	if (tw && tw->timer_at < d)
		d = tw->timer_at;
	return d;
}

bool netstack_tx_blocked(const struct netstack *ns)
{
	/* A held connection waits for completions, which raise no event. */
	return !list_empty(&ns->pending) || ns->ncapped != 0;
}

void netstack_abort_all(struct netstack *ns, uint64_t now_ns)
{
	ns->now_ns = now_ns;
	for (uint32_t i = 0; i < ns->cfg.max_conns; i++) {
		struct tcp_conn *c = &ns->conns[i];
		if (c->state == TCP_CLOSED)
			continue;
		if (c->state == TCP_TIME_WAIT)
			ns_conn_free(ns, c);
		else
			ns_abort(ns, c);
	}
}

const struct netstack_stats *netstack_stats(const struct netstack *ns)
{
	return &ns->stats;
}

void netstack_stats_add(struct netstack_stats *dst,
			const struct netstack_stats *src)
{
	uint64_t *d = (uint64_t *)dst;
	const uint64_t *s = (const uint64_t *)src;
	for (size_t i = 0; i < sizeof(*dst) / sizeof(uint64_t); i++)
		d[i] += s[i];
}
