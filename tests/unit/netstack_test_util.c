/* A scripted TCP peer for the netstack unit tests (netstack_test_util.h). */
#include "netstack_test_util.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "checksum.h"
#include "test_util.h"


static void fake_device_csum(struct nt_harness *h, struct nt_frame *f,
			     const struct netstack_frame *fr);

static int fake_tx(void *ctx, const struct netstack_frame *fr)
{
	struct nt_harness *h = ctx;
	const struct iovec *iov = fr->iov;
	int iovcnt = fr->iovcnt;
	size_t frame_len = fr->len;
	if (h->tx_room == 0)
		return -1;
	if (h->tx_room > 0)
		h->tx_room--;
	if (h->tx_gate && h->tx_gate(h->gate_ctx, fr) < 0)
		return -1;
	h->tx_frames++;
	h->tx_bytes += frame_len;
	if (h->tx_mode == NT_TX_DISCARD)
		return 0;
	if (h->tx_mode == NT_TX_COPY) {
		static uint8_t scratch[NT_FRAME_MAX];
		size_t o = 0;
		for (int i = 0; i < iovcnt; i++) {
			memcpy(scratch + o, iov[i].iov_base, iov[i].iov_len);
			o += iov[i].iov_len;
		}
		__asm__ volatile("" : : "r"(scratch) : "memory");
		return 0;
	}
	assert_true(iovcnt >= 1 && iovcnt <= NETSTACK_MAX_IOV);
	assert_true(frame_len <= (size_t)h->cfg.mtu + 14);
	if (h->nframes == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 64;
		h->frames = realloc(h->frames, h->cap * sizeof(*h->frames));
		assert_non_null(h->frames);
	}
	struct nt_frame *f = &h->frames[h->nframes++];
	size_t off = 0;
	for (int i = 0; i < iovcnt; i++) {
		assert_true(off + iov[i].iov_len <= NT_FRAME_MAX);
		memcpy(f->data + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	assert_int_equal(off, frame_len);
	f->len = off;
	f->tag = fr->tag;
	fake_device_csum(h, f, fr);
	return 0;
}

void nt_setup_app(struct nt_harness *h, uint16_t mtu, uint32_t max_conns,
		  uint32_t idle_timeout_ms, const struct netstack_app *app, void *app_ctx)
{
	inet_pton(AF_INET, NT_SRV_IP, &h->srv_ip);
	inet_pton(AF_INET, NT_CLI_IP, &h->cli_ip);
	memcpy(h->srv_mac, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(h->cli_mac, "\x02\x00\x00\x00\x00\x02", 6);
	h->tx_room = -1;
	h->csum_device = true;
	h->now = 1000 * NT_MS;
	memcpy(h->cfg.mac, h->srv_mac, 6);
	h->cfg.ip = h->srv_ip;
	h->cfg.port = NT_PORT;
	h->cfg.mtu = mtu;
	h->cfg.max_conns = max_conns;
	h->cfg.idle_timeout_ms = idle_timeout_ms;
	h->cfg.time_wait_ms = 1000;
	h->cfg.isn_secret = 42;
	h->cfg.app = app;
	h->cfg.app_ctx = app_ctx;
	h->cfg.tx_ctx = h;
	h->cfg.tx = fake_tx;
	h->ns = netstack_new(&h->cfg);
	assert_non_null(h->ns);
}

void nt_restart(struct nt_harness *h)
{
	netstack_free(h->ns);
	if (h->app_restart)
		h->app_restart(h);
	h->ns = netstack_new(&h->cfg);
	assert_non_null(h->ns);
	h->nts_peers = 0;
	nt_clear(h);
}

uint32_t nt_tsval(const struct nt_harness *h)
{
	return (uint32_t)(h->now / NT_MS) + 0x10000000u;
}

void nt_teardown_stack(struct nt_harness *h)
{
	netstack_free(h->ns);
	free(h->frames);
	h->ns = NULL;
	h->frames = NULL;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* Straightforward checksums (not the stack's code paths: byte by byte). */
static uint16_t ref_csum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t pseudo(uint32_t saddr, uint32_t daddr, size_t tcp_len)
{
	const uint8_t *s = (const uint8_t *)&saddr, *d = (const uint8_t *)&daddr;
	return (uint32_t)(s[0] << 8 | s[1]) + (uint32_t)(s[2] << 8 | s[3]) +
	       (uint32_t)(d[0] << 8 | d[1]) + (uint32_t)(d[2] << 8 | d[3]) + 6 +
	       (uint32_t)tcp_len;
}

/* What a device (or the kernel, for CHECKSUM_PARTIAL) does with a frame
 * whose checksum was left to it: checks that the stack put the folded
 * pseudo-header sum in the field, then sums from csum_start to the end and
 * stores the complement at csum_start + csum_offset. */
static void fake_device_csum(struct nt_harness *h, struct nt_frame *f,
			     const struct netstack_frame *fr)
{
	f->csum_start = fr->csum_start;
	f->csum_offset = fr->csum_offset;
	assert_int_equal(fr->csum_start != 0, h->cfg.csum_offload);
	if (!fr->csum_start)
		return;
	assert_int_equal(fr->csum_start, 14 + 20);
	assert_int_equal(fr->csum_offset, 16);
	h->csum_offloaded++;
	const uint8_t *ip = f->data + 14;
	uint32_t saddr, daddr;
	memcpy(&saddr, ip + 12, 4);
	memcpy(&daddr, ip + 16, 4);
	size_t tcp_len = f->len - fr->csum_start;
	uint8_t *field = f->data + fr->csum_start + fr->csum_offset;
	uint16_t want = (uint16_t)~ref_csum(NULL, 0, pseudo(saddr, daddr, tcp_len));
	assert_int_equal(get16(field), want);
	if (!h->csum_device)
		return;
	put16(field, ref_csum(f->data + fr->csum_start, tcp_len, 0));
}

void nt_fix_ip_csum(uint8_t *f)
{
	uint8_t *ip = f + 14;
	put16(ip + 10, 0);
	put16(ip + 10, ref_csum(ip, 20, 0));
}

size_t nt_build(const struct nt_harness *h, uint8_t *f, uint16_t sport,
		uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
		const uint8_t *opts, size_t optlen, const void *payload,
		size_t len)
{
	assert_true(optlen % 4 == 0 && optlen <= 40);
	size_t tcp_len = 20 + optlen + len;
	memcpy(f, h->srv_mac, 6);
	memcpy(f + 6, h->cli_mac, 6);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + tcp_len));
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, &h->cli_ip, 4);
	memcpy(ip + 16, &h->srv_ip, 4);
	nt_fix_ip_csum(f);
	uint8_t *t = ip + 20;
	memset(t, 0, 20);
	put16(t, sport);
	put16(t + 2, NT_PORT);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	t[13] = flags;
	put16(t + 14, win);
	if (optlen)
		memcpy(t + 20, opts, optlen);
	if (len)
		memcpy(t + 20 + optlen, payload, len);
	put16(t + 16, ref_csum(t, tcp_len, pseudo(h->cli_ip, h->srv_ip, tcp_len)));
	return 14 + 20 + tcp_len;
}

void nt_input_raw(struct nt_harness *h, const uint8_t *f, size_t len)
{
	netstack_input(h->ns, f, len, h->now);
}

static struct nt_ts_peer *ts_peer(struct nt_harness *h, uint16_t port)
{
	for (size_t i = 0; i < h->nts_peers; i++)
		if (h->ts_peers[i].port == port)
			return &h->ts_peers[i];
	return NULL;
}

static void ts_peer_set(struct nt_harness *h, uint16_t port, bool on, uint32_t recent)
{
	struct nt_ts_peer *p = ts_peer(h, port);
	if (!on) {
		if (p)
			*p = h->ts_peers[--h->nts_peers];
		return;
	}
	if (!p) {
		assert_true(h->nts_peers < sizeof(h->ts_peers) / sizeof(h->ts_peers[0]));
		p = &h->ts_peers[h->nts_peers++];
		p->port = port;
	}
	p->recent = recent;
}

/* The client's options on a non-SYN segment, as Linux lays them out:
 * NOP,NOP,TS, then NOP,NOP,SACK (3 blocks beside timestamps, else 4). */
static size_t client_opts(struct nt_harness *h, uint16_t port,
			  const struct nt_conn *c, uint8_t flags, uint8_t *o)
{
	size_t n = 0;
	if (flags & TH_SYN)
		return 0;
	struct nt_ts_peer *p = ts_peer(h, port);
	if (p) {
		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 8;
		o[n++] = 10;
		put32(o + n, nt_tsval(h));
		put32(o + n + 4, p->recent);
		n += 8;
	}
	if (c && c->sack_ok && c->nooo && !(flags & TH_RST)) {
		int nb = c->nooo, max = p ? 3 : 4;
		if (nb > max)
			nb = max;
		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 5;
		o[n++] = (uint8_t)(2 + 8 * nb);
		for (int i = 0; i < nb; i++) {
			put32(o + n, c->ooo[i].start);
			put32(o + n + 4, c->ooo[i].end);
			n += 8;
		}
	}
	return n;
}

static void input_with_opts(struct nt_harness *h, const struct nt_conn *c,
			    uint16_t sport, uint32_t seq, uint32_t ack,
			    uint8_t flags, uint16_t win, const void *payload,
			    size_t len)
{
	static uint8_t f[NT_FRAME_MAX];
	uint8_t o[40];
	size_t optlen = client_opts(h, sport, c, flags, o);
	size_t n = nt_build(h, f, sport, seq, ack, flags, win, o, optlen, payload, len);
	nt_input_raw(h, f, n);
}

void nt_input(struct nt_harness *h, uint16_t sport, uint32_t seq, uint32_t ack,
	      uint8_t flags, uint16_t win, const void *payload, size_t len)
{
	input_with_opts(h, NULL, sport, seq, ack, flags, win, payload, len);
}

void nt_advance(struct nt_harness *h, uint64_t ms)
{
	h->now += ms * NT_MS;
	netstack_poll(h->ns, h->now);
}

void nt_clear(struct nt_harness *h)
{
	h->nframes = 0;
}

void nt_parse(const struct nt_harness *h, size_t i, struct nt_seg *s)
{
	assert_true(i < h->nframes);
	const struct nt_frame *f = &h->frames[i];
	memset(s, 0, sizeof(*s));
	assert_true(f->len >= 54);
	memcpy(s->dst_mac, f->data, 6);
	memcpy(s->src_mac, f->data + 6, 6);
	assert_int_equal(get16(f->data + 12), 0x0800);
	const uint8_t *ip = f->data + 14;
	assert_int_equal(ip[0], 0x45);
	size_t ip_len = get16(ip + 2);
	assert_int_equal(ip_len + 14, f->len);
	assert_int_equal(ip[9], 6);
	s->df = get16(ip + 6) == 0x4000;
	s->ip_csum_ok = ref_csum(ip, 20, 0) == 0;
	memcpy(&s->saddr, ip + 12, 4);
	memcpy(&s->daddr, ip + 16, 4);
	const uint8_t *t = ip + 20;
	size_t tcp_len = ip_len - 20;
	s->tcp_csum_ok = ref_csum(t, tcp_len, pseudo(s->saddr, s->daddr, tcp_len)) == 0;
	s->sport = get16(t);
	s->dport = get16(t + 2);
	s->seq = get32(t + 4);
	s->ack = get32(t + 8);
	s->flags = t[13];
	s->win = get16(t + 14);
	size_t thl = (size_t)(t[12] >> 4) * 4;
	assert_true(thl >= 20 && thl <= tcp_len);
	s->mss = s->wscale = -1;
	for (size_t o = 20; o < thl;) {
		uint8_t kind = t[o];
		if (kind == 0)
			break;
		if (kind == 1) {
			o++;
			continue;
		}
		uint8_t l = t[o + 1];
		assert_true(l >= 2 && o + l <= thl);
		if (kind == 2)
			s->mss = get16(t + o + 2);
		else if (kind == 3)
			s->wscale = t[o + 2];
		else if (kind == 4)
			s->sack_ok = true;
		else if (kind == 8) {
			assert_int_equal(l, 10);
			s->timestamps = true;
			s->tsval = get32(t + o + 2);
			s->tsecr = get32(t + o + 6);
		} else if (kind == 5) {
			assert_true(l >= 10 && (l - 2) % 8 == 0 && (l - 2) / 8 <= 4);
			for (size_t b = 0; b < (size_t)(l - 2) / 8; b++) {
				s->sack[s->nsack][0] = get32(t + o + 2 + 8 * b);
				s->sack[s->nsack][1] = get32(t + o + 6 + 8 * b);
				s->nsack++;
			}
		}
		o += l;
	}
	s->payload = t + thl;
	s->len = tcp_len - thl;
}

void nt_connect(struct nt_harness *h, struct nt_conn *c, uint16_t port)
{
	nt_connect_mss(h, c, port, (uint16_t)(h->cfg.mtu - 40));
}

void nt_connect_mss(struct nt_harness *h, struct nt_conn *c, uint16_t port,
		    uint16_t mss)
{
	nt_connect_opts(h, c, port, mss, NT_OPT_LINUX);
}

void nt_connect_opts(struct nt_harness *h, struct nt_conn *c, uint16_t port,
		     uint16_t mss, unsigned opts)
{
	/* Linux's layout: MSS, SACK_PERM+TS (or NOP,NOP and one), NOP,WS. */
	uint8_t o[40], f[NT_FRAME_MAX];
	size_t n = 0;
	bool sack = opts & NT_OPT_SACK, ts = opts & NT_OPT_TS;
	uint32_t tsval = nt_tsval(h);
	o[n++] = 2;
	o[n++] = 4;
	put16(o + n, mss);
	n += 2;
	if (!(sack && ts) && (sack || ts)) {
		o[n++] = 1;
		o[n++] = 1;
	}
	if (sack) {
		o[n++] = 4;
		o[n++] = 2;
	}
	if (ts) {
		o[n++] = 8;
		o[n++] = 10;
		put32(o + n, tsval);
		put32(o + n + 4, 0);
		n += 8;
	}
	if (opts & NT_OPT_WS) {
		o[n++] = 1;
		o[n++] = 3;
		o[n++] = 3;
		o[n++] = 7;
	}
	memset(c, 0, sizeof(*c));
	c->port = port;
	c->snd_nxt = 1000000u * port;
	c->win = 512; /* 512 << 7 = 64 KiB */
	c->shift = 7;
	nt_clear(h);
	ts_peer_set(h, port, false, 0);
	n = nt_build(h, f, port, c->snd_nxt, 0, TH_SYN, 64240, o, n, NULL, 0);
	nt_input_raw(h, f, n);
	assert_int_equal(h->nframes, 1);
	struct nt_seg s;
	nt_parse(h, 0, &s);
	assert_true(s.ip_csum_ok && s.tcp_csum_ok);
	assert_int_equal(s.flags, TH_SYN | TH_ACK);
	assert_int_equal(s.ack, c->snd_nxt + 1);
	assert_int_equal(s.sack_ok, sack);
	assert_int_equal(s.timestamps, ts);
	if (ts)
		assert_int_equal(s.tsecr, tsval);
	c->sack_ok = sack;
	c->ts_ok = ts;
	c->seg = (uint32_t)(s.mss < mss ? s.mss : mss) - (ts ? 12 : 0);
	ts_peer_set(h, port, ts, s.tsval);
	c->snd_nxt++;
	c->srv_iss = s.seq;
	c->rcv_nxt = s.seq + 1;
	c->wscale = s.wscale;
	nt_clear(h);
	nt_input(h, port, c->snd_nxt, c->rcv_nxt, TH_ACK, c->win, NULL, 0);
	assert_int_equal(h->nframes, 0);
}

void nt_send(struct nt_harness *h, struct nt_conn *c, const void *data, size_t len)
{
	input_with_opts(h, c, c->port, c->snd_nxt, c->rcv_nxt, TH_ACK | TH_PSH, c->win,
			data, len);
	c->snd_nxt += (uint32_t)len;
}

void nt_request(struct nt_harness *h, struct nt_conn *c, const char *req)
{
	nt_send(h, c, req, strlen(req));
}

void nt_ack(struct nt_harness *h, struct nt_conn *c)
{
	input_with_opts(h, c, c->port, c->snd_nxt, c->rcv_nxt, TH_ACK, c->win, NULL, 0);
}

#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)

/* The out-of-order ranges after [start, end) arrived and rcv_nxt moved:
 * the arrival joins (and moves to) the front, what rcv_nxt passed goes. */
static void track_ooo(struct nt_conn *c, uint32_t start, uint32_t end)
{
	struct nt_range out[16];
	int k = 0;
	if (SEQ_LT(c->rcv_nxt, end)) {
		if (SEQ_LT(start, c->rcv_nxt))
			start = c->rcv_nxt;
		for (int i = 0; i < c->nooo; i++) {
			struct nt_range r = c->ooo[i];
			if (SEQ_LEQ(r.start, end) && SEQ_LEQ(start, r.end)) {
				if (SEQ_LT(r.start, start))
					start = r.start;
				if (SEQ_LT(end, r.end))
					end = r.end;
			}
		}
		out[k++] = (struct nt_range){ start, end };
	}
	for (int i = 0; i < c->nooo && k < 16; i++) {
		struct nt_range r = c->ooo[i];
		if (k && SEQ_LEQ(r.start, out[0].end) && SEQ_LEQ(out[0].start, r.end))
			continue; /* merged into the front one */
		if (SEQ_LEQ(r.end, c->rcv_nxt))
			continue;
		if (SEQ_LT(r.start, c->rcv_nxt))
			r.start = c->rcv_nxt;
		out[k++] = r;
	}
	memcpy(c->ooo, out, (size_t)k * sizeof(out[0]));
	c->nooo = k;
}

static void receive(struct nt_conn *c, const struct nt_seg *s)
{
	uint32_t base = c->srv_iss + 1;
	size_t off = s->seq - base, end = off + s->len;
	if ((int32_t)(s->seq - base) < 0)
		return;
	if (end > c->stream_cap) {
		size_t cap = end * 2 > 4096 ? end * 2 : 4096;
		c->stream = realloc(c->stream, cap);
		c->have = realloc(c->have, cap);
		assert_non_null(c->stream);
		assert_non_null(c->have);
		memset(c->have + c->stream_cap, 0, cap - c->stream_cap);
		c->stream_cap = cap;
	}
	for (size_t i = 0; i < s->len; i++) {
		if (c->have[off + i])
			assert_int_equal(c->stream[off + i], s->payload[i]); /* consistent retransmission */
		c->stream[off + i] = s->payload[i];
		c->have[off + i] = 1;
	}
	while (c->stream_len < c->stream_cap && c->have[c->stream_len])
		c->stream_len++;
	c->rcv_nxt = base + (uint32_t)c->stream_len;
	track_ooo(c, s->seq, s->seq + (uint32_t)s->len);
}

size_t nt_collect(struct nt_harness *h, struct nt_conn *c, bool ack)
{
	size_t nframes = h->nframes, data_segs = 0;
	struct nt_frame *frames = h->frames;
	/* The stack may answer our ACKs with more frames: take these first. */
	h->frames = NULL;
	h->nframes = h->cap = 0;
	struct nt_harness view = *h;
	view.frames = frames;
	view.nframes = nframes;
	for (size_t i = 0; i < nframes; i++) {
		struct nt_seg s;
		nt_parse(&view, i, &s);
		assert_true(s.ip_csum_ok);
		assert_true(s.tcp_csum_ok);
		if (s.dport != c->port)
			continue;
		if (s.len)
			c->data_segs_seen++;
		if (c->drop && c->drop(c->drop_ctx, &s))
			continue;
		/* TS.Recent (RFC 7323 4.3): from segments that start at or
		 * before what we acknowledged (we ACK at once: rcv_nxt). */
		struct nt_ts_peer *tp = ts_peer(h, c->port);
		if (tp && s.timestamps && SEQ_LEQ(s.seq, c->rcv_nxt) &&
		    SEQ_LEQ(tp->recent, s.tsval))
			tp->recent = s.tsval;
		if (s.flags & TH_RST) {
			c->rst_seen = true;
			continue;
		}
		if (s.len) {
			data_segs++;
			receive(c, &s);
		}
		if (s.flags & TH_FIN) {
			c->fin_known = true;
			c->fin_seq = s.seq + (uint32_t)s.len;
		}
		if (c->fin_known && !c->fin_seen && c->rcv_nxt == c->fin_seq) {
			c->rcv_nxt++;
			c->fin_seen = true;
		}
		if (ack && (s.len || (s.flags & TH_FIN)))
			nt_ack(h, c);
	}
	free(frames);
	return data_segs;
}

size_t nt_drain_tick(struct nt_harness *h, struct nt_conn *c, uint64_t tick_ms)
{
	size_t total = 0, n;
	int idle = 0;
	while (idle < 3) {
		n = nt_collect(h, c, true);
		total += n;
		if (n == 0) {
			idle++;
			nt_advance(h, tick_ms);
		} else {
			idle = 0;
		}
	}
	return total;
}

size_t nt_drain(struct nt_harness *h, struct nt_conn *c)
{
	return nt_drain_tick(h, c, 1);
}

void nt_conn_free(struct nt_conn *c)
{
	free(c->stream);
	free(c->have);
	c->stream = c->have = NULL;
}
