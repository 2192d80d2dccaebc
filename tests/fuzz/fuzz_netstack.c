/* libFuzzer target for the userspace TCP/IPv4 stack of httpd-xdp
 * (servers/xdp/netstack.h): the frame parser, TCP and the HTTP glue.
 *
 * An input is a script run against ONE netstack. Two config bytes pick the
 * MTU (576/1500/9000), max_conns (1..8, so slots are reused and TIME_WAIT
 * gets evicted), the idle timeout, TIME_WAIT length and which page sums the
 * cache carries (for this MTU, another one, none). Then operations, one
 * byte each (low nibble: which, high nibble: a small argument) followed by
 * their parameters; a missing byte reads as 0, so any input is a script:
 *
 *   SEG      a well-formed segment from one of 8 client peers (2 addresses x
 *            4 ports): flags, seq and ack chosen relative to what this
 *            scripted client sent and received (tracked from the frames the
 *            tx callback captured), window, options (MSS, WS, SACK-permitted,
 *            timestamps, SACK blocks, raw option bytes) and a payload (HTTP
 *            request templates, slices of them, raw bytes, filler).
 *            Checksums are right.
 *   MUTATE   a SEG, then a few bytes flipped anywhere in the frame, its
 *            length cut or padded, and the IP and TCP checksums fixed up
 *            where the (mutated) lengths allow: IP options, fragments, bad
 *            data offsets, ... reach past the checksum checks.
 *   RAW      raw bytes as a frame, checksums untouched.
 *   PUMP     n rounds of: every client that has a connection ACKs all it
 *            received, then 1 ms passes (moves long replies along).
 *   ADVANCE  the clock moves (ms to tens of s) and netstack_poll runs;
 *   DEADLINE to netstack_next_deadline; POLL at the same time.
 *   REFUSE   the tx callback refuses the next k frames (tx ring full).
 *   LOSE     the client does not see the next k frames (they are still
 *            checked: the stack sent them).
 *   ABORT    netstack_abort_all.
 *
 * Every frame handed to netstack_input is a malloc'd block of exactly its
 * length, so AddressSanitizer catches any read past it. The clock advances
 * 5 us per input, as real time would, so that two incarnations of a 4-tuple
 * never get the same ISN (RFC 6528's clock ticks every 4 us).
 *
 * Checked, with abort() on violation (see fail()):
 * - every frame the stack sends (check_frame): length <= MTU + 14, our MAC,
 *   IP and port as source, a routable destination, IPv4 header and TCP
 *   checksums right (byte-by-byte reference sums), DF, sane flags (no bare
 *   SYN, RST without data, data with ACK), a well-formed option list, the
 *   SYN-ACK's MSS = MTU - 40 and window scale only when offered;
 * - per connection of a client peer (unless a MUTATE/RAW frame spoofed
 *   it): segments never larger than the MSS the client announced; the
 *   byte stream is a sequence of whole responses from the page cache
 *   (head, a slot "Date: ...Connection: keep-alive|close", body; HEAD
 *   without body), first transmissions are contiguous, retransmissions
 *   repeat the same bytes (the slot too, though the clock ticked), the FIN
 *   comes after a whole response and never moves; new bytes fit the send
 *   window and cwnd (a one-byte probe aside); the ACK never covers bytes
 *   the client did not send and, like the window's right edge, never goes
 *   back;
 * - after every operation, the stack's internals (check_internal): the
 *   connection table, hash, timer heap, TIME_WAIT FIFO, pending and free
 *   lists agree with each other and with the gauges; sequence variables are
 *   ordered; out-of-order ranges fit the receive buffer; queued replies
 *   add up to the unsent/unacked stream; a connection owing the peer data
 *   or a FIN has a timer or waits for tx room, an ACK owed is sent or
 *   waits for room, a complete request never sits unparsed while the reply
 *   queue has room (no hang); a connection that sent its FIN is in a state
 *   that knows it; after a poll, no deadline is in the past;
 * - at the end: counters agree with what the harness did, and after
 *   netstack_abort_all nothing is left (and LeakSanitizer runs).
 *
 * Adapting to another tx callback signature: only fuzz_tx() gathers the
 * frame; everything else takes (frame, len). It gathers it as httpd-xdp
 * sends it with page bodies in the UMEM (tx_frame.h): planned and written
 * as descriptors on a scratch UMEM behind which the page cache is mirrored,
 * each descriptor checked as the kernel checks it, the frame read back from
 * them. The white-box parts read
 * netstack_internal.h: check_internal() (tables, lists, heap, sequence
 * variables) and, in oracle_frame(), ns_conn_lookup() with the connection's
 * iss, irs, snd_una, snd_wnd, cwnd and rcv_wscale.
 *
 * A trace of one input: FUZZ_NETSTACK_TRACE=1 build/fuzz/fuzz_netstack FILE.
 * The seeds are written by make_seeds_netstack.py (the format, spelled out).
 *
 * Build and run: make fuzz-netstack [FUZZ_SECONDS=600] */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_clock.h"
#include "netstack.h"
#include "netstack_internal.h" /* white-box checks: check_internal() */
#include "page_cache.h"
#include "page_sums.h"
#include "tx_frame.h"
#include "umem_mirror.h"
#include "xdp_http.h"

/* The checks and the oracle run without coverage instrumentation: they
 * are the hot loops of a run (byte by byte), and their branches are not
 * the stack's behaviour, so they would only steer the fuzzer astray. */
#define NO_COV __attribute__((no_sanitize("coverage")))

#define SRV_PORT 8080
#define NPEERS 8
#define MAX_FRAME 9216
#define MAX_OPTS 40
#define DATE_BASE 1700000000
#define NS_PER_INPUT 5000ull /* time passing per netstack_input */
#define SYN_HISTORY 8
#define SENT_MAX 4096     /* client segment ends kept per peer */
#define LOG_MAX 2048      /* responses verified per connection */
#define PRE_LEN 512       /* head + slot of any page fits */
#define MAX_CANDS 64

static const uint8_t srv_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t cli_macs[2][6] = { { 0x02, 0, 0, 0, 0, 0x02 },
					{ 0x02, 0, 0, 0, 0, 0x03 } };
static uint32_t srv_ip, cli_ips[2]; /* network order */

/* ---- pages: loaded once, three caches with sums for three MSS ---- */

static char pages_dir[] = "/tmp/bb-fuzz-ns-XXXXXX";
static const uint16_t mtus[3] = { 576, 1500, 9000 };
static struct page_cache *caches[3];
/* Each cache's arena mirrored behind a few scratch frame chunks, as in a
 * queue's UMEM (umem_mirror.h): fuzz_tx sends through it. */
#define UMEM_CHUNK 4096u
#define UMEM_TX_MD 24u
#define UMEM_POOL (((MAX_FRAME + 64) / (UMEM_CHUNK - UMEM_TX_MD)) + 1)
static struct umem_mirror mirrors[3];
static uint8_t *umems[3];
static struct http_clock clk;

/* The stream oracle's candidates, per cache: page x {keep-alive, close} x
 * {GET, HEAD}. */
static const struct page *cand_pages[3][MAX_CANDS / 4];
static unsigned ncand_pages;

/* FUZZ_NETSTACK_TRACE=1 in the environment: one line per operation and
 * per frame, to read a finding (build/fuzz/fuzz_netstack crash-...). */
static bool trace;
#define TRACE(...)                                    \
	do {                                          \
		if (trace)                            \
			fprintf(stderr, __VA_ARGS__); \
	} while (0)

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fuzz_netstack: invariant violated: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

#define CHECK(cond, ...)               \
	do {                           \
		if (!(cond))           \
			fail(__VA_ARGS__); \
	} while (0)

static void write_file(const char *name, const void *data, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", pages_dir, name);
	FILE *f = fopen(path, "w");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

static void cleanup(void)
{
	static const char *const names[] = { "t", "b", "e" };
	char path[512];
	for (int i = 0; i < 3; i++) {
		page_sums_release(caches[i]);
		page_cache_free(caches[i]);
		free(umems[i]);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pages_dir, names[i]);
		unlink(path);
	}
	rmdir(pages_dir);
}

static const int error_codes[] = { 400, 404, 405, 413, 414, 431, 501, 503, 505 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	char err[256];

	if (!mkdtemp(pages_dir)) {
		perror("mkdtemp");
		abort();
	}
	trace = getenv("FUZZ_NETSTACK_TRACE") != NULL;
	/* No body starts with 'H': the oracle tells a HEAD reply followed by
	 * the next response from a GET reply's body by that byte. */
	write_file("t", "<h1>home</h1>", 13);
	size_t nb = 20001; /* odd on purpose */
	uint8_t *b = malloc(nb);
	uint32_t x = 12345;
	for (size_t i = 0; i < nb; i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (uint8_t)(x >> 16);
	}
	b[0] = '<';
	write_file("b", b, nb);
	free(b);
	write_file("e", "", 0);
	for (int i = 0; i < 3; i++) {
		caches[i] = page_cache_load(pages_dir, err, sizeof(err));
		if (!caches[i] || page_sums_prepare(caches[i], mtus[i]) < 0) {
			fprintf(stderr, "page cache: %s\n", caches[i] ? "prepare" : err);
			abort();
		}
		size_t alen;
		const char *arena = page_cache_arena(caches[i], &alen);
		if (umem_mirror_layout(&mirrors[i], arena, alen, UMEM_CHUNK,
				       (uint64_t)UMEM_POOL * UMEM_CHUNK) < 0 ||
		    !(umems[i] = calloc(1, (size_t)UMEM_POOL * UMEM_CHUNK +
					      umem_mirror_bytes(&mirrors[i]))))
			abort();
		umem_mirror_fill(&mirrors[i], umems[i] + (size_t)UMEM_POOL * UMEM_CHUNK);
		unsigned n = 0;
		for (size_t k = 0; k < page_cache_count(caches[i]); k++)
			cand_pages[i][n++] = page_cache_at(caches[i], k);
		for (size_t k = 0; k < sizeof(error_codes) / sizeof(error_codes[0]); k++)
			cand_pages[i][n++] = page_cache_error(caches[i], error_codes[k]);
		for (unsigned k = 0; k < n; k++) {
			const struct page *p = cand_pages[i][k];
			if (!p || p->head_len + HTTP_SLOT_LEN > PRE_LEN ||
			    (p->body_len && page_body(p)[0] == 'H'))
				abort();
		}
		ncand_pages = n;
	}
	if (4 * ncand_pages > MAX_CANDS)
		abort();
	inet_pton(AF_INET, "198.18.0.1", &srv_ip);
	inet_pton(AF_INET, "198.18.0.2", &cli_ips[0]);
	inet_pton(AF_INET, "198.18.0.3", &cli_ips[1]);
	atexit(cleanup);
	return 0;
}

/* ---- wire helpers and reference checksums (independent of the stack) ---- */

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)be16(p) << 16 | be16(p + 2); }
static void wr16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, v >> 16); wr16(p + 2, v & 0xffff); }

NO_COV static uint32_t ref_sum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

NO_COV static uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Sum of the TCP pseudo-header; addresses as the 4 bytes on the wire. */
NO_COV static uint32_t ref_pseudo(const uint8_t *saddr, const uint8_t *daddr, size_t tcp_len)
{
	return ref_sum(saddr, 4, 0) + ref_sum(daddr, 4, 0) + 6 + (uint32_t)tcp_len;
}

/* ---- input reader ---- */

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static uint16_t u16(struct rd *r)
{
	uint16_t hi = u8(r);
	return (uint16_t)(hi << 8 | u8(r));
}

static uint32_t u32(struct rd *r)
{
	uint32_t hi = u16(r);
	return hi << 16 | u16(r);
}

/* Up to `want` bytes straight from the input. */
static size_t take(struct rd *r, size_t want, const uint8_t **out)
{
	size_t n = want < r->n ? want : r->n;
	*out = r->p;
	r->p += n;
	r->n -= n;
	return n;
}

/* ---- the state of one run ---- */

struct resp {
	uint32_t start; /* stream offset */
	int cand;       /* -1 while in progress */
	uint8_t pre[PRE_LEN];
};

/* What the stack sent on one connection, as the oracle sees it (every
 * frame the tx accepted, lost or not). Offsets from iss + 1. */
struct oracle {
	bool valid;
	uint32_t iss;
	uint32_t vlen;        /* bytes received in order and verified */
	bool fin_seen;
	uint32_t fin_off;
	bool gave_up;         /* too much to log: only vlen is tracked */
	struct resp *log;
	uint32_t nlog, cap;
	bool acked;           /* last_ack/right_edge hold */
	uint32_t last_ack, right_edge; /* of the frames of this connection */
	uint64_t mask;        /* candidates of the response in progress (0: none) */
	uint32_t o;           /* offset in it */
};

struct syn_rec {
	uint32_t seq;
	uint16_t mss_bound;   /* largest MSS the stack may take from it */
	bool known;           /* options well-formed: the flags below hold */
	bool ws, ts;
	uint8_t ws_shift;
};

struct peer {
	uint32_t ip;          /* network order */
	uint16_t port;
	uint8_t mac;          /* cli_macs index last used */
	bool tainted;         /* a MUTATE/RAW frame may have spoken for it */
	/* client's sending side */
	uint32_t snd_nxt, last_ack, gen;
	bool ts_offered;
	uint8_t ws_shift;     /* the window scale the last SYN offered */
	struct syn_rec syns[SYN_HISTORY];
	unsigned nsyn;
	uint16_t mss_max;     /* largest mss_bound of any SYN sent */
	uint32_t *sent_ends;  /* seq + len of every segment sent */
	unsigned nsent, sent_cap;
	/* client's view of the server, from frames it did not lose */
	bool synced, ts_ok;
	uint32_t srv_iss, rcv_nxt, srv_max, srv_ack, ts_recent;
	bool fin_rcvd;
	struct oracle orc;
};

static struct run {
	struct netstack *ns;
	struct netstack_config cfg;
	struct xdp_http *http; /* the application: HTTP over the stack */
	struct page_cache *pc;
	unsigned cache_idx;
	uint64_t now;
	struct peer peers[NPEERS];
	unsigned refuse;      /* frames the tx refuses next */
	bool refuse_all;
	unsigned lose;        /* frames the client misses next */
	uint64_t inputs, tx_ok, tx_refused;
	uint8_t frame[MAX_FRAME + 64];
} R;

NO_COV static struct peer *find_peer(const uint8_t *ip4, uint16_t port)
{
	uint32_t ip;
	memcpy(&ip, ip4, 4);
	for (int i = 0; i < NPEERS; i++)
		if (R.peers[i].ip == ip && R.peers[i].port == port)
			return &R.peers[i];
	return NULL;
}

/* ---- the stream oracle ---- */

NO_COV static const struct page *cand_page(int c) { return cand_pages[R.cache_idx][c >> 2]; }
NO_COV static bool cand_close(int c) { return c & 1; }
NO_COV static bool cand_head(int c) { return c & 2; }

NO_COV static uint32_t cand_len(int c)
{
	const struct page *p = cand_page(c);
	return (uint32_t)(p->head_len + HTTP_SLOT_LEN + (cand_head(c) ? 0 : p->body_len));
}

/* Byte o of candidate c matches b? The Date is whatever the clock said
 * when the reply was queued: any printable character. */
NO_COV static bool cand_byte_ok(int c, uint32_t o, uint8_t b)
{
	const struct page *p = cand_page(c);
	if (o >= cand_len(c))
		return false;
	if (o < p->head_len)
		return (uint8_t)p->response[o] == b;
	if (o < p->head_len + HTTP_SLOT_LEN) {
		uint32_t so = o - (uint32_t)p->head_len;
		if (so >= 6 && so < 6 + 29)
			return b >= 0x20 && b < 0x7f;
		return (uint8_t)http_clock_slot(&clk, cand_close(c))[so] == b;
	}
	return (uint8_t)page_body(p)[o - p->head_len - HTTP_SLOT_LEN] == b;
}

static void orc_reset(struct oracle *o, uint32_t iss)
{
	free(o->log);
	memset(o, 0, sizeof(*o));
	o->valid = true;
	o->iss = iss;
}

static uint64_t all_cands(void)
{
	unsigned n = 4 * ncand_pages;
	return n >= 64 ? ~0ull : (1ull << n) - 1;
}

NO_COV static uint64_t complete_at(uint64_t mask, uint32_t o)
{
	uint64_t done = 0;
	for (uint64_t m = mask; m; m &= m - 1) {
		int c = __builtin_ctzll(m);
		if (cand_len(c) == o)
			done |= 1ull << c;
	}
	return done;
}

/* New in-order bytes at offset o->vlen. */
NO_COV static void orc_feed(struct oracle *o, const uint8_t *d, uint32_t n)
{
	if (o->gave_up) {
		o->vlen += n;
		return;
	}
	while (n) {
		uint8_t b = *d;
		if (o->mask) {
			uint64_t done = complete_at(o->mask, o->o);
			if (done) {
				/* A HEAD reply and the GET reply of the same
				 * page agree up to here: the next response
				 * starts with 'H', a body never does. */
				if (b == 'H' || !(o->mask & ~done)) {
					o->log[o->nlog - 1].cand = __builtin_ctzll(done);
					o->mask = 0;
				} else {
					o->mask &= ~done;
				}
			}
		}
		if (!o->mask) {
			if (o->nlog == LOG_MAX) {
				o->gave_up = true;
				o->vlen += n;
				return;
			}
			if (o->nlog == o->cap) {
				o->cap = o->cap ? 2 * o->cap : 8;
				o->log = realloc(o->log, o->cap * sizeof(*o->log));
				if (!o->log)
					abort();
			}
			struct resp *r = &o->log[o->nlog++];
			r->start = o->vlen;
			r->cand = -1;
			o->mask = all_cands();
			o->o = 0;
		}
		struct resp *r = &o->log[o->nlog - 1];
		if (__builtin_popcountll(o->mask) == 1 && o->o >= PRE_LEN) {
			/* One candidate left, in its body: compare in bulk. */
			int c = __builtin_ctzll(o->mask);
			const struct page *p = cand_page(c);
			uint32_t len = cand_len(c);
			uint32_t k = len - o->o < n ? len - o->o : n;
			CHECK(k > 0, "stream offset %u: bytes past the end of a response", o->vlen);
			const char *want = page_body(p) + (o->o - p->head_len - HTTP_SLOT_LEN);
			CHECK(memcmp(d, want, k) == 0,
			      "stream offset %u: body bytes differ from page %s", o->vlen, p->path);
			o->o += k;
			o->vlen += k;
			d += k;
			n -= k;
			continue;
		}
		uint64_t keep = 0;
		for (uint64_t m = o->mask; m; m &= m - 1) {
			int c = __builtin_ctzll(m);
			if (cand_byte_ok(c, o->o, b))
				keep |= 1ull << c;
		}
		CHECK(keep, "stream offset %u (response %u, byte %u, 0x%02x): matches no reply",
		      o->vlen, o->nlog - 1, o->o, b);
		o->mask = keep;
		if (o->o < PRE_LEN)
			r->pre[o->o] = b;
		o->o++;
		o->vlen++;
		d++;
		n--;
	}
}

/* Bytes at an offset below vlen, sent again: the same as the first time. */
NO_COV static void orc_recheck(const struct oracle *o, uint32_t off, const uint8_t *d, uint32_t n)
{
	if (o->gave_up)
		return;
	/* The response holding `off`: the last one starting at or before. */
	uint32_t lo = 0, hi = o->nlog;
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;
		if (o->log[mid].start <= off)
			lo = mid;
		else
			hi = mid;
	}
	for (uint32_t i = lo; n && i < o->nlog; i++) {
		const struct resp *r = &o->log[i];
		uint32_t end = i + 1 < o->nlog ? o->log[i + 1].start : o->vlen;
		int c = r->cand >= 0 ? r->cand : __builtin_ctzll(o->mask);
		const struct page *p = cand_page(c);
		while (n && off < end) {
			uint32_t ro = off - r->start;
			uint8_t want = ro < PRE_LEN ? r->pre[ro]
				: (uint8_t)page_body(p)[ro - p->head_len - HTTP_SLOT_LEN];
			CHECK(*d == want, "retransmitted stream offset %u: 0x%02x, first sent 0x%02x",
			      off, *d, want);
			off++, d++, n--;
		}
	}
	CHECK(n == 0, "retransmission past the verified stream");
}

/* A FIN at stream offset `at`: after a whole response, always the same. */
NO_COV static void orc_fin(struct oracle *o, uint32_t at)
{
	if (o->fin_seen) {
		CHECK(at == o->fin_off, "FIN moved from offset %u to %u", o->fin_off, at);
		return;
	}
	if (at != o->vlen)
		return; /* not reached yet: checked when it is */
	o->fin_seen = true;
	o->fin_off = at;
	if (!o->gave_up && o->mask) {
		uint64_t done = complete_at(o->mask, o->o);
		CHECK(done, "FIN in the middle of a response (offset %u)", at);
		o->log[o->nlog - 1].cand = __builtin_ctzll(done);
		o->mask = 0;
	}
}

/* ---- frames the stack sends ---- */

struct tcp_opts {
	int mss, ws;
	bool ts;
	uint32_t tsval;
};

NO_COV static void parse_server_opts(const uint8_t *o, size_t len, struct tcp_opts *t)
{
	t->mss = t->ws = -1;
	t->ts = false;
	for (size_t i = 0; i < len;) {
		if (o[i] == 0)
			break;
		if (o[i] == 1) {
			i++;
			continue;
		}
		CHECK(i + 1 < len && o[i + 1] >= 2 && i + o[i + 1] <= len,
		      "malformed option list in a frame we sent");
		if (o[i] == 2 && o[i + 1] == 4)
			t->mss = be16(o + i + 2);
		else if (o[i] == 3 && o[i + 1] == 3)
			t->ws = o[i + 2];
		else if (o[i] == 8 && o[i + 1] == 10) {
			t->ts = true;
			t->tsval = be32(o + i + 2);
		}
		i += o[i + 1];
	}
}

/* What the SYNs with this sequence number allow: the stack took its
 * options from one of them (the client may have sent several). */
NO_COV static bool find_syn(const struct peer *pe, uint32_t seq, struct syn_rec *out)
{
	bool found = false;
	for (unsigned k = 0; k < pe->nsyn && k < SYN_HISTORY; k++) {
		const struct syn_rec *s = &pe->syns[k];
		if (s->seq != seq)
			continue;
		if (!found) {
			*out = *s;
			found = true;
			continue;
		}
		if (s->mss_bound > out->mss_bound)
			out->mss_bound = s->mss_bound;
		if (!s->known || s->ws != out->ws)
			out->known = false;
	}
	if (found && pe->nsyn > SYN_HISTORY) {
		/* The one that opened the connection may have scrolled out. */
		out->known = false;
		out->mss_bound = pe->mss_max;
	}
	return found;
}

/* The client sent nothing past this (relative to irs)? */
NO_COV static bool ack_covered(const struct peer *pe, uint32_t irs, uint32_t ack)
{
	if (pe->nsent >= SENT_MAX)
		return true; /* stopped recording */
	uint32_t rel = ack - irs;
	for (unsigned i = 0; i < pe->nsent; i++) {
		uint32_t e = pe->sent_ends[i] - irs;
		if (e < (1u << 30) && e >= rel)
			return true;
	}
	return false;
}

/* The oracle's side of a frame the tx accepted. */
NO_COV static void oracle_frame(struct peer *pe, struct tcp_conn *c, uint8_t flags,
			 uint32_t seq, uint32_t ack, uint16_t win, const uint8_t *pl,
			 uint32_t len, const struct tcp_opts *to)
{
	struct oracle *o = &pe->orc;
	if (!o->valid || o->iss != c->iss)
		orc_reset(o, c->iss);
	/* A bare RST answers a bad ACK with that ACK as its sequence number
	 * (RFC 9293 3.10.7.3, SYN-RECEIVED): not from our sequence space. */
	if ((flags & (TH_RST | TH_ACK)) == TH_RST)
		return;
	struct syn_rec syn_merged;
	const struct syn_rec *syn = find_syn(pe, c->irs, &syn_merged) ? &syn_merged : NULL;
	if (flags & TH_ACK)
		CHECK(ack == c->irs + 1 || ack_covered(pe, c->irs, ack),
		      "port %u: ACK %u covers bytes the client never sent", pe->port, ack);
	if (flags & TH_SYN) {
		CHECK(seq == c->iss, "SYN-ACK seq is not the ISN");
		CHECK(ack == c->irs + 1, "SYN-ACK does not ack the SYN");
		CHECK(to->mss == R.cfg.mtu - 40, "SYN-ACK MSS %d for MTU %u", to->mss, R.cfg.mtu);
		if (syn && syn->known)
			CHECK((to->ws >= 0) == syn->ws, "SYN-ACK window scale %d, offered: %d",
			      to->ws, syn->ws);
		return;
	}
	/* What we acknowledge never goes back, nor the right edge of the
	 * window we offer (RFC 9293 3.8.6.2.2: do not shrink it). */
	if (flags & TH_ACK) {
		uint32_t edge = ack + ((uint32_t)win << c->rcv_wscale);
		if (o->acked) {
			CHECK(SEQ_GEQ(ack, o->last_ack), "port %u: ACK went back from %u to %u",
			      pe->port, o->last_ack, ack);
			CHECK(SEQ_GEQ(edge, o->right_edge),
			      "port %u: window edge moved left from %u to %u", pe->port,
			      o->right_edge, edge);
		}
		o->acked = true;
		o->last_ack = ack;
		o->right_edge = edge;
	}
	uint32_t rel = seq - (c->iss + 1);
	uint32_t limit = o->vlen + (o->fin_seen ? 1 : 0);
	CHECK(rel <= limit, "port %u: seq %u is %d bytes past all data sent before",
	      pe->port, seq, (int)(rel - o->vlen));
	if (len) {
		if (syn) {
			uint32_t mss = syn->mss_bound < 64 ? 64 : syn->mss_bound;
			if (mss > (uint32_t)R.cfg.mtu - 40)
				mss = R.cfg.mtu - 40;
			CHECK(len <= mss, "port %u: %u-byte segment, MSS %u", pe->port, len, mss);
		}
		CHECK(!o->fin_seen || rel + len <= o->fin_off, "data past our FIN");
		/* Bytes sent for the first time fit the send window and cwnd
		 * (a zero-window probe is one byte past a closed window). With
		 * SACK, cwnd bounds the pipe (RFC 6675), not snd_nxt - snd_una:
		 * SACKed bytes left the network, so only the window is checked. */
		if (rel + len > o->vlen) {
			uint32_t wnd = c->sack_ok || c->snd_wnd < c->cwnd ? c->snd_wnd : c->cwnd;
			CHECK(SEQ_LEQ(seq + len, c->snd_una + (wnd ? wnd : 1)),
			      "port %u: new data to %u, past snd_una %u + window %u (snd_wnd %u cwnd %u)",
			      pe->port, seq + len, c->snd_una, wnd, c->snd_wnd, c->cwnd);
		}
		uint32_t old = rel < o->vlen ? o->vlen - rel : 0;
		if (old > len)
			old = len;
		if (old)
			orc_recheck(o, rel, pl, old);
		if (len > old)
			orc_feed(o, pl + old, len - old);
	}
	if (flags & TH_FIN)
		orc_fin(o, rel + len);
	(void)to;
}

/* The client's side: what it learns from a frame it received. */
NO_COV static void client_frame(struct peer *pe, uint8_t flags, uint32_t seq, uint32_t ack,
			 uint16_t win, uint32_t len, const struct tcp_opts *to)
{
	(void)win;
	if (flags & TH_RST) {
		pe->synced = false;
		return;
	}
	if (to->ts)
		pe->ts_recent = to->tsval;
	if (flags & TH_ACK)
		pe->srv_ack = ack;
	if (flags & TH_SYN) {
		if (!pe->synced || pe->srv_iss != seq) {
			pe->synced = true;
			pe->srv_iss = seq;
			pe->rcv_nxt = pe->srv_max = seq + 1;
			pe->fin_rcvd = false;
			pe->ts_ok = pe->ts_offered && to->ts;
		}
		return;
	}
	if (!pe->synced)
		return;
	uint32_t end = seq + len + !!(flags & TH_FIN);
	if (SEQ_GT(end, pe->srv_max))
		pe->srv_max = end;
	if (SEQ_LEQ(seq, pe->rcv_nxt) && SEQ_GT(seq + len, pe->rcv_nxt))
		pe->rcv_nxt = seq + len;
	if ((flags & TH_FIN) && seq + len == pe->rcv_nxt && !pe->fin_rcvd) {
		pe->rcv_nxt++;
		pe->fin_rcvd = true;
	}
}

NO_COV static bool routable(const uint8_t *ip)
{
	uint32_t a = be32(ip);
	return a != 0 && a != 0xffffffff && (a >> 28) != 0xe;
}

/* Every frame the stack hands to the tx callback. Returns what the
 * callback returns: 0, or -1 for "no room". */
NO_COV static int on_frame(const uint8_t *f, size_t len)
{
	CHECK(len >= 54 && len <= (size_t)R.cfg.mtu + 14, "frame of %zu bytes, MTU %u",
	      len, R.cfg.mtu);
	CHECK(memcmp(f + 6, srv_mac, 6) == 0, "source MAC is not ours");
	CHECK(!(f[0] & 1), "multicast destination MAC");
	CHECK(be16(f + 12) == 0x0800, "ethertype");
	const uint8_t *ip = f + 14;
	CHECK(ip[0] == 0x45, "IP version/IHL 0x%02x", ip[0]);
	CHECK(be16(ip + 2) == len - 14, "IP total length %u in a %zu-byte frame",
	      be16(ip + 2), len);
	CHECK(be16(ip + 6) == 0x4000, "IP flags/offset: DF only");
	CHECK(ip[8] > 0 && ip[9] == 6, "TTL/protocol");
	CHECK(ref_fold(ref_sum(ip, 20, 0)) == 0, "IP header checksum");
	CHECK(memcmp(ip + 12, &srv_ip, 4) == 0, "source IP is not ours");
	CHECK(routable(ip + 16), "destination IP unroutable");
	const uint8_t *t = ip + 20;
	size_t tcp_len = len - 34;
	CHECK(ref_fold(ref_sum(t, tcp_len, ref_pseudo(ip + 12, ip + 16, tcp_len))) == 0,
	      "TCP checksum");
	CHECK(be16(t) == SRV_PORT, "source port is not ours");
	CHECK(be16(t + 2) != 0, "destination port 0");
	size_t thl = (size_t)(t[12] >> 4) * 4;
	CHECK(thl >= 20 && thl <= tcp_len && (t[12] & 0x0f) == 0, "TCP data offset");
	uint8_t flags = t[13];
	uint32_t plen = (uint32_t)(tcp_len - thl);
	CHECK(!(flags & ~(TH_FIN | TH_SYN | TH_RST | TH_PSH | TH_ACK)), "flags 0x%02x", flags);
	CHECK(!(flags & TH_SYN) || ((flags & TH_ACK) && !(flags & (TH_FIN | TH_RST)) && !plen),
	      "SYN flags 0x%02x with %u bytes", flags, plen);
	CHECK(!(flags & TH_RST) || (!plen && !(flags & TH_FIN)), "RST with data or FIN");
	CHECK(!plen || (flags & TH_ACK), "data without ACK");
	CHECK(be16(t + 18) == 0, "urgent pointer");
	CHECK(!(flags & TH_RST) || be16(t + 14) == 0 || (flags & TH_ACK),
	      "window on a bare RST");
	struct tcp_opts to;
	parse_server_opts(t + 20, thl - 20, &to);
	uint32_t seq = be32(t + 4), ack = be32(t + 8);

	bool refused = R.refuse_all || R.refuse > 0;
	TRACE("  tx -> %u %s%s%s%s%s seq %u ack %u win %u len %u%s%s\n", be16(t + 2),
	      flags & TH_SYN ? "S" : "", flags & TH_ACK ? "A" : "", flags & TH_FIN ? "F" : "",
	      flags & TH_RST ? "R" : "", flags & TH_PSH ? "P" : "", seq, ack, be16(t + 14),
	      plen, refused ? " REFUSED" : "", !refused && R.lose ? " LOST" : "");
	if (R.refuse > 0)
		R.refuse--;
	if (refused) {
		R.tx_refused++;
		return -1;
	}
	R.tx_ok++;

	struct peer *pe = find_peer(ip + 16, be16(t + 2));
	if (!pe)
		return 0;
	if (!pe->tainted) {
		CHECK(memcmp(f, cli_macs[0], 6) == 0 || memcmp(f, cli_macs[1], 6) == 0,
		      "destination MAC of a client");
		struct tcp_conn *c = ns_conn_lookup(R.ns, pe->ip, pe->port);
		if (c)
			oracle_frame(pe, c, flags, seq, ack, be16(t + 14), t + thl, plen, &to);
		else
			CHECK((flags & TH_RST) && !plen, "a frame other than RST for no connection");
	}
	if (R.lose > 0) {
		R.lose--;
		return 0;
	}
	client_frame(pe, flags, seq, ack, be16(t + 14), plen, &to);
	return 0;
}

/* The tx callback: gathers the pieces into one frame. The only function
 * that knows the callback's signature. */
NO_COV static int fuzz_tx(void *ctx, const struct netstack_frame *fr)
{
	(void)ctx;
	const struct iovec *iov = fr->iov;
	int iovcnt = fr->iovcnt;
	size_t frame_len = fr->len;
	CHECK(fr->csum_start == 0, "a checksum left to the device without csum_offload");
	static uint8_t f[MAX_FRAME + 64];
	CHECK(iovcnt >= 1 && iovcnt <= NETSTACK_MAX_IOV, "iovcnt %d", iovcnt);
	size_t off = 0;
	for (int i = 0; i < iovcnt; i++) {
		CHECK(iov[i].iov_len > 0 || i == 0, "empty piece %d", i);
		off += iov[i].iov_len;
		CHECK(off <= sizeof(f), "frame larger than any MTU");
	}
	CHECK(off == frame_len, "pieces add up to %zu, frame_len %zu", off, frame_len);
	/* As httpd-xdp sends it: headers copied into pool chunks, page bodies
	 * as descriptors into the mirror (tx_frame.h). */
	const struct umem_mirror *m = &mirrors[R.cache_idx];
	uint8_t *umem = umems[R.cache_idx];
	struct tx_frame_plan pl;
	struct xdp_desc d[TX_FRAME_MAX_DESCS];
	uint64_t chunks[TX_FRAME_MAX_DESCS];
	CHECK(tx_frame_plan(&pl, m, UMEM_CHUNK - UMEM_TX_MD, iov, iovcnt, TX_FRAME_MAX_DESCS) == 0,
	      "a frame of %zu bytes needs more than %u descriptors", off, TX_FRAME_MAX_DESCS);
	CHECK(pl.ncopy >= 1 && pl.ncopy <= UMEM_POOL, "%u header chunks", pl.ncopy);
	for (uint32_t i = 0; i < pl.ncopy; i++)
		chunks[i] = (uint64_t)i * UMEM_CHUNK;
	tx_frame_write(&pl, m, umem, UMEM_CHUNK - UMEM_TX_MD, UMEM_TX_MD, iov, iovcnt, chunks, d);
	size_t got = 0;
	for (uint32_t i = 0; i < pl.ndesc; i++) {
		uint64_t in = d[i].addr % UMEM_CHUNK;
		CHECK(d[i].len > 0 && in >= UMEM_TX_MD && in + d[i].len <= UMEM_CHUNK,
		      "descriptor %u: %llu + %u leaves its chunk or the metadata gap", i,
		      (unsigned long long)d[i].addr, d[i].len);
		CHECK(d[i].options == (i + 1 < pl.ndesc ? XDP_PKT_CONTD : 0), "options of %u", i);
		CHECK((i < pl.ncopy) != umem_mirror_owns(m, d[i].addr), "descriptor %u misplaced", i);
		CHECK(got + d[i].len <= off, "descriptors longer than the frame");
		memcpy(f + got, umem + d[i].addr, d[i].len);
		got += d[i].len;
	}
	CHECK(got == off, "descriptors carry %zu bytes of %zu", got, off);
	return on_frame(f, off);
}

/* ---- white-box invariants ---- */

NO_COV static bool owes(const struct tcp_conn *c)
{
	return SEQ_LT(c->snd_una, c->snd_end) ||
	       (c->fin_queued && SEQ_LT(c->snd_una, c->snd_end + 1));
}

NO_COV static void check_internal(void)
{
	const struct netstack *ns = R.ns;
	const struct netstack_stats *st = netstack_stats(ns);
	uint32_t live = 0, tw = 0, max = ns->cfg.max_conns;

	for (uint32_t i = 0; i < max; i++) {
		struct tcp_conn *c = &ns->conns[i];
		if (c->state == TCP_CLOSED) {
			CHECK(c->heap_idx == NS_NONE && !c->pending, "free slot %u in heap/pending", i);
			continue;
		}
		live++;
		CHECK(c->state <= TCP_TIME_WAIT, "state %u", c->state);
		CHECK(ns_conn_lookup(R.ns, c->peer.ip, c->peer.port) == c, "slot %u not hashed", i);
		CHECK(SEQ_LEQ(c->snd_una, c->snd_nxt) && SEQ_LEQ(c->snd_nxt, c->snd_max) &&
		      SEQ_LEQ(c->snd_max, c->snd_end + (c->fin_queued ? 1 : 0)),
		      "slot %u (state %u): una %u nxt %u max %u end %u fin %d", i, c->state,
		      c->snd_una, c->snd_nxt, c->snd_max, c->snd_end, c->fin_queued);
		CHECK(c->rx_len <= NS_RX_BUF && c->nooo <= NS_MAX_OOO, "rx_len/nooo");
		/* Out-of-order data lies past rcv_nxt, inside the buffer. Once
		 * the peer's FIN took a sequence number, whatever it sent
		 * beyond it may stay behind but is never read again (no data
		 * is taken after a FIN): not checked then. */
		for (unsigned k = 0; k < c->nooo && !c->fin_received; k++) {
			const struct ns_range *r = &c->ooo[k];
			CHECK(SEQ_LT(r->start, r->end) && SEQ_GT(r->start, c->rcv_nxt) &&
			      c->rx_len + (r->end - c->rcv_nxt) <= NS_RX_BUF,
			      "slot %u: out-of-order range [%u,%u) rcv_nxt %u rx_len %u", i,
			      r->start, r->end, c->rcv_nxt, c->rx_len);
		}
		CHECK(c->tx_count <= NS_TX_RANGES, "tx_count");
		if (c->state != TCP_TIME_WAIT) {
			uint32_t sum = 0, msgs = 0;
			for (unsigned k = 0; k < c->tx_count; k++) {
				sum += c->tx[ns_tx_slot(c->tx_head + k)].rg.len;
				msgs += c->tx[ns_tx_slot(c->tx_head + k)].rg.end_of_message;
			}
			CHECK(sum == c->snd_end - c->tx_seq, "slot %u: ranges %u bytes, stream %u",
			      i, sum, c->snd_end - c->tx_seq);
			CHECK(msgs == c->tx_msgs, "slot %u: %u messages, counted %u", i, msgs,
			      c->tx_msgs);
		}
		if (c->heap_idx != NS_NONE)
			CHECK(c->heap_idx < ns->heap_len && ns->heap[c->heap_idx] == c, "heap index");
		bool fin_sent = c->fin_queued && c->snd_max == c->snd_end + 1;
		bool closing = c->state == TCP_FIN_WAIT_1 || c->state == TCP_FIN_WAIT_2 ||
			       c->state == TCP_CLOSING || c->state == TCP_LAST_ACK;
		if (c->state == TCP_TIME_WAIT) {
			tw++;
			CHECK(c->timer == TIMER_TIME_WAIT && c->heap_idx == NS_NONE,
			      "TIME_WAIT slot %u: timer %u, heap %u", i, c->timer, c->heap_idx);
		} else {
			CHECK(fin_sent == closing, "slot %u: state %u but FIN %s", i, c->state,
			      fin_sent ? "sent" : "not sent");
			/* A deadline the heap does not know of never fires. */
			uint64_t d = c->timer_at < c->idle_at ? c->timer_at : c->idle_at;
			if (d != UINT64_MAX)
				CHECK(c->heap_idx != NS_NONE && c->heap_key <= d,
				      "slot %u: deadline %llu not in the timer heap", i,
				      (unsigned long long)d);
		}
		/* Requests buffered while the reply queue has room are an
		 * incomplete one: a complete request left unparsed would never
		 * be answered (nothing parses again until new data or an ACK). */
		if ((c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT) && !c->rx_closed) {
			bool room = xdp_http_conn_has_room(R.http, i);
			CHECK(!c->fin_received || (c->rx_len && !room),
			      "slot %u: the peer's FIN is in, the connection not closing", i);
			if (c->rx_len && room) {
				struct http_parser p = *xdp_http_conn_parser(R.http, i);
				struct http_reply hr;
				CHECK(http_handle(&p, R.pc, c->rxbuf, c->rx_len, &hr) == HTTP_INCOMPLETE,
				      "slot %u: a complete request waits unparsed (%u bytes, %u ranges)",
				      i, c->rx_len, c->tx_count);
			}
		}
		/* An ACK owed goes out before the call returns, or waits for room
		 * in the tx ring (tcp_input.c: no delayed ACK). */
		CHECK(!c->ack_pending || c->pending, "slot %u (state %u): ACK owed, not sent",
		      i, c->state);
		/* Something owed to the peer: a timer will resend it, or it waits
		 * for room in the tx ring. Anything else hangs. */
		bool sending = c->state == TCP_SYN_RECEIVED || c->state == TCP_ESTABLISHED ||
			       c->state == TCP_CLOSE_WAIT || closing;
		if (sending && (c->state == TCP_SYN_RECEIVED || owes(c)))
			CHECK(c->pending || ((c->timer == TIMER_RTX || c->timer == TIMER_PERSIST) &&
					     c->timer_at != UINT64_MAX),
			      "slot %u (state %u) owes data/FIN (una %u end %u fin %d) with no "
			      "timer (%u) and not pending", i, c->state, c->snd_una, c->snd_end,
			      c->fin_queued, c->timer);
	}
	CHECK(ns->heap_len <= max, "heap_len");
	for (uint32_t i = 0; i < ns->heap_len; i++) {
		CHECK(ns->heap[i]->heap_idx == i && ns->heap[i]->state != TCP_CLOSED, "heap entry %u", i);
		if (i)
			CHECK(ns->heap[(i - 1) / 2]->heap_key <= ns->heap[i]->heap_key, "heap order");
	}
	uint32_t n = 0;
	const struct tcp_conn *prev = NULL;
	for (const struct list_node *l = ns->time_wait.next; l != &ns->time_wait; l = l->next) {
		const struct tcp_conn *c = list_entry(l, struct tcp_conn, link);
		CHECK(c->state == TCP_TIME_WAIT && l->next->prev == l, "TIME_WAIT list");
		CHECK(!prev || prev->timer_at <= c->timer_at, "TIME_WAIT FIFO out of order");
		prev = c;
		CHECK(++n <= max, "TIME_WAIT list loops");
	}
	CHECK(!prev || ns->time_wait.prev == &prev->link, "TIME_WAIT tail");
	CHECK(n == tw && tw == st->cur_time_wait, "TIME_WAIT: %u listed, %u slots, gauge %llu",
	      n, tw, (unsigned long long)st->cur_time_wait);
	n = 0;
	for (const struct list_node *l = ns->pending.next; l != &ns->pending; l = l->next) {
		const struct tcp_conn *c = list_entry(l, struct tcp_conn, pend);
		CHECK(c->pending && c->state != TCP_CLOSED, "pending list");
		CHECK(++n <= max, "pending list loops");
	}
	n = 0;
	for (const struct list_node *l = ns->free_conns.next; l != &ns->free_conns; l = l->next) {
		const struct tcp_conn *c = list_entry(l, struct tcp_conn, link);
		CHECK(c->state == TCP_CLOSED, "free list holds a live slot");
		CHECK(++n <= max, "free list loops");
	}
	CHECK(n == max - live, "free list %u, free slots %u", n, max - live);
	CHECK(live == st->cur_conns && st->cur_conns <= max, "cur_conns %llu, live %u",
	      (unsigned long long)st->cur_conns, live);
	CHECK(ns->nconns_live == live - tw, "nconns_live");
	CHECK(st->cur_conns == st->conns_opened - st->conns_closed, "opened - closed != cur");
	CHECK(st->conns_established <= st->conns_opened, "established > opened");
}

/* ---- the client ---- */

static void feed(uint8_t *f, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1); /* exactly: ASan sees over-reads */
	if (!copy)
		abort();
	memcpy(copy, f, len);
	R.now += NS_PER_INPUT;
	R.inputs++;
	if (trace && len >= 54 && be16(f + 12) == 0x0800) {
		const uint8_t *t = f + 14 + (f[14] & 15) * 4;
		if (t + 20 <= f + len)
			TRACE("  rx <- %u flags 0x%02x seq %u ack %u win %u frame %zu\n", be16(t),
			      t[13], be32(t + 4), be32(t + 8), be16(t + 14), len);
	} else {
		TRACE("  rx <- %zu raw bytes\n", len);
	}
	netstack_input(R.ns, copy, len, R.now);
	free(copy);
}

static void poll_now(void)
{
	netstack_poll(R.ns, R.now);
	uint64_t d = netstack_next_deadline(R.ns);
	CHECK(d > R.now, "a deadline in the past after netstack_poll");
}

static void advance(uint64_t ns)
{
	R.now += ns;
	http_clock_tick(&clk, DATE_BASE + (time_t)(R.now / 1000000000ull));
	poll_now();
}

static const char *const templates[] = {
	"GET /t HTTP/1.1\r\nHost: f\r\n\r\n",
	"GET /b HTTP/1.1\r\nHost: f\r\n\r\n",
	"GET /t HTTP/1.1\r\nHost: f\r\nConnection: close\r\n\r\n",
	"HEAD /b HTTP/1.1\r\nHost: f\r\n\r\n",
	"GET /e HTTP/1.1\r\nHost: f\r\n\r\n",
	"GET /missing HTTP/1.1\r\nHost: f\r\n\r\n",
	"BREW / HTCPCP/1.0\r\n\r\n",
	"GET /b HTTP/1.0\r\n\r\n",
	("GET /t HTTP/1.1\r\nHost: f\r\n\r\nGET /t HTTP/1.1\r\nHost: f\r\n\r\n"
	 "GET /t HTTP/1.1\r\nHost: f\r\n\r\nGET /t HTTP/1.1\r\nHost: f\r\n\r\n"),
	"POST /t HTTP/1.1\r\nHost: f\r\nContent-Length: 5\r\n\r\nhello",
	"GET /b HTTP/1.1\r\nHost: f\r\n\r\nGET /t HTTP/1.1\r\nHost: f\r\nConnection: close\r\n\r\n",
	"GET /t HTTP/1.1\r\n",
	"Host: f\r\n\r\n",
	"HEAD /e HTTP/1.1\r\nHost: f\r\n\r\n",
	"GET /b HTTP/1.1\r\nHost: f\r\nConnection: close\r\n\r\n",
};
#define NTEMPLATES (sizeof(templates) / sizeof(templates[0]))

static const uint8_t flag_table[16] = {
	TH_ACK, TH_ACK | TH_PSH, TH_SYN, TH_FIN | TH_ACK, TH_RST, TH_RST | TH_ACK,
	TH_ACK, TH_SYN | TH_ACK, TH_FIN, 0, TH_FIN | TH_PSH | TH_ACK, TH_SYN | TH_FIN,
	TH_SYN | TH_RST, 0x20 | TH_ACK, 0xc0 | TH_ACK, 0xff, /* 0xff: raw byte follows */
};

/* [2]: a raw 16-bit value follows; [7]: a byte k follows and the window
 * ends k bytes past the last byte the stack sent (small, moving windows:
 * runts, SWS avoidance, probes at the end of a reply). */
static const uint16_t windows[8] = { 65535, 0, 0, 1, 536, 8192, 100, 0 };

struct built {
	size_t len;
	struct peer *pe;
};

/* Options of a SEG. Returns their length (a multiple of 4). */
static size_t build_opts(struct rd *r, struct peer *pe, uint8_t sel, bool syn,
			 uint8_t *o, struct syn_rec *rec)
{
	size_t n = 0;
	bool well_formed = true, ts_done = false;
	rec->mss_bound = 536;
	rec->ws = rec->ts = false;
	if (sel & 0x40) { /* EOL first: nothing after it counts */
		o[n++] = 0;
		well_formed = false;
	}
	if (sel & 0x01) {
		uint16_t mss = u16(r);
		if (mss == 0)
			mss = (uint16_t)(R.cfg.mtu - 40);
		o[n++] = 2, o[n++] = 4;
		wr16(o + n, mss);
		n += 2;
		rec->mss_bound = mss;
	}
	if (sel & 0x02) {
		o[n++] = 1, o[n++] = 3, o[n++] = 3;
		o[n++] = u8(r);
		rec->ws = true;
		rec->ws_shift = o[n - 1] > 14 ? 14 : o[n - 1];
	}
	if (sel & 0x04) {
		o[n++] = 1, o[n++] = 1, o[n++] = 4, o[n++] = 2;
	}
	/* Timestamps when asked, and on every segment once both sides
	 * agreed (RFC 7323), as a real client does. */
	if ((sel & 0x08) || (!syn && pe->synced && pe->ts_ok)) {
		o[n++] = 1, o[n++] = 1, o[n++] = 8, o[n++] = 10;
		wr32(o + n, (uint32_t)(R.now / 1000000) + pe->port);
		wr32(o + n + 4, syn ? 0 : pe->ts_recent);
		n += 8;
		rec->ts = ts_done = true;
	}
	if (sel & 0x10) { /* SACK blocks relative to what we received */
		unsigned nb = 1 + u8(r) % 3;
		o[n++] = 1, o[n++] = 1, o[n++] = 5;
		o[n++] = (uint8_t)(2 + 8 * nb);
		for (unsigned i = 0; i < nb; i++) {
			uint32_t left = pe->rcv_nxt + (uint32_t)u8(r) * 64;
			uint32_t right = left + ((uint32_t)u8(r) + 1) * 64;
			wr32(o + n, left);
			wr32(o + n + 4, right);
			n += 8;
		}
	}
	if (sel & 0x20) { /* raw option bytes */
		const uint8_t *raw;
		size_t k = take(r, u8(r) % (MAX_OPTS + 1), &raw);
		if (n + k > MAX_OPTS)
			k = n < MAX_OPTS ? MAX_OPTS - n : 0;
		memcpy(o + n, raw, k);
		n += k;
		well_formed = false;
	}
	if (n > MAX_OPTS) /* the SACK blocks can overflow the 40 bytes */
		n = MAX_OPTS, well_formed = false;
	while (n % 4)
		o[n++] = 0;
	rec->known = well_formed;
	if (!well_formed) {
		/* The stack may read any MSS option found anywhere, or none. */
		rec->mss_bound = 536;
		for (size_t i = 0; i + 3 < n; i++)
			if (o[i] == 2 && o[i + 1] == 4 && be16(o + i + 2) > rec->mss_bound)
				rec->mss_bound = be16(o + i + 2);
	}
	(void)ts_done;
	return n;
}

/* Builds a client segment from the script into R.frame; updates the
 * client's sequence state as if it went out. */
static struct built build_seg(struct rd *r, uint8_t arg)
{
	struct peer *pe = &R.peers[arg & 7];
	uint8_t fsel = u8(r), modes = u8(r), wsel = u8(r), osel = u8(r), psel = u8(r);
	uint8_t flags = flag_table[fsel & 15];
	if (flags == 0xff)
		flags = u8(r);
	bool syn = flags & TH_SYN;
	uint32_t seglen_extra = !!(flags & TH_SYN) + !!(flags & TH_FIN);

	uint32_t seq;
	bool advance_seq = false;
	switch (modes & 15) {
	case 1: seq = pe->srv_ack; advance_seq = true; break;
	case 2: seq = pe->snd_nxt + u8(r) + 1; break;
	case 3: seq = pe->snd_nxt + u16(r) + 1; break;
	case 4: seq = pe->snd_nxt - u8(r) - 1; advance_seq = true; break;
	case 5: seq = u32(r); break;
	case 6: seq = pe->snd_nxt + 0x80000000u; break;
	case 7: seq = pe->snd_nxt - 1; break;
	case 8: seq = pe->snd_nxt; break;
	default:
		if (syn) { /* a new ISN, past the previous incarnation's */
			pe->gen++;
			seq = (uint32_t)(pe->port * 7919u) + pe->gen * 0x01000193u;
		} else {
			seq = pe->snd_nxt;
		}
		advance_seq = true;
		break;
	}
	uint32_t ack;
	switch (modes >> 4) {
	case 1: ack = pe->srv_max; break;
	case 2: ack = pe->rcv_nxt - u8(r) - 1; break;
	case 3: ack = pe->rcv_nxt + u8(r) + 1; break;
	case 4: ack = pe->last_ack; break;
	case 5: ack = u32(r); break;
	case 6: ack = pe->srv_iss; break;
	case 7: ack = pe->rcv_nxt - u16(r); break;
	case 8: ack = pe->srv_iss + 1 + u16(r); break;
	default: ack = pe->rcv_nxt; break;
	}
	uint16_t win = windows[wsel & 7];
	if ((wsel & 7) == 2) {
		win = u16(r);
	} else if ((wsel & 7) == 7) {
		int32_t bytes = (int32_t)(pe->srv_max + u8(r) - ack);
		uint32_t w = bytes > 0 ? (uint32_t)bytes >> pe->ws_shift : 0;
		win = w > 0xffff ? 0xffff : (uint16_t)w;
	}
	uint8_t mac = (arg >> 3) & 1;

	uint8_t opts[128]; /* options are built whole, then cut to 40 */
	struct syn_rec rec = { 0 };
	size_t optlen = build_opts(r, pe, osel, syn, opts, &rec);

	uint8_t *f = R.frame;
	uint8_t *t = f + 14 + 20;
	uint8_t *pl = t + 20 + optlen;
	size_t room = MAX_FRAME - (size_t)(pl - f), plen = 0;
	if (psel == 0) {
		plen = 0;
	} else if (psel < 0x10) {
		const char *s = templates[(psel - 1) % NTEMPLATES];
		plen = strlen(s);
		memcpy(pl, s, plen);
	} else if (psel < 0x20) {
		const char *s = templates[(psel & 15) % NTEMPLATES];
		size_t sl = strlen(s), a = u8(r) % (sl + 1), b = u8(r);
		plen = b < sl - a ? b : sl - a;
		memcpy(pl, s + a, plen);
	} else if (psel < 0x30) {
		const uint8_t *raw;
		plen = take(r, u8(r), &raw);
		memcpy(pl, raw, plen);
	} else if (psel < 0x40) {
		plen = u16(r) % 9001;
		if (plen > room)
			plen = room;
		memset(pl, u8(r), plen);
	} else {
		const char *s = templates[psel % NTEMPLATES];
		plen = strlen(s);
		memcpy(pl, s, plen);
	}

	memcpy(f, srv_mac, 6);
	memcpy(f + 6, cli_macs[mac], 6);
	wr16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(20 + 20 + optlen + plen));
	wr16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, &pe->ip, 4);
	memcpy(ip + 16, &srv_ip, 4);
	wr16(ip + 10, ref_fold(ref_sum(ip, 20, 0)));
	memset(t, 0, 20);
	wr16(t, pe->port);
	wr16(t + 2, SRV_PORT);
	wr32(t + 4, seq);
	wr32(t + 8, ack);
	t[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	t[13] = flags;
	wr16(t + 14, win);
	memcpy(t + 20, opts, optlen);
	size_t tcp_len = 20 + optlen + plen;
	wr16(t + 16, ref_fold(ref_sum(t, tcp_len, ref_pseudo(ip + 12, ip + 16, tcp_len))));

	/* The client's bookkeeping, as if the segment is on its way. */
	uint32_t end = seq + (uint32_t)plen + seglen_extra;
	if (syn) {
		rec.seq = seq;
		pe->syns[pe->nsyn++ % SYN_HISTORY] = rec;
		if (rec.mss_bound > pe->mss_max)
			pe->mss_max = rec.mss_bound;
		pe->ts_offered = rec.ts;
		pe->ws_shift = rec.known && rec.ws ? rec.ws_shift : 0;
		if (advance_seq)
			pe->snd_nxt = end;
	} else if (advance_seq && SEQ_GT(end, pe->snd_nxt)) {
		pe->snd_nxt = end;
	}
	if (pe->nsent < SENT_MAX) {
		if (pe->nsent == pe->sent_cap) {
			pe->sent_cap = pe->sent_cap ? 2 * pe->sent_cap : 16;
			pe->sent_ends = realloc(pe->sent_ends, pe->sent_cap * sizeof(*pe->sent_ends));
			if (!pe->sent_ends)
				abort();
		}
		pe->sent_ends[pe->nsent++] = end;
	}
	pe->last_ack = ack;
	pe->mac = mac;
	return (struct built){ 14 + 20 + tcp_len, pe };
}

/* A frame from the script may claim to be any peer: the oracle cannot
 * vouch for that peer's connection any more. */
static void taint_if_peer(const uint8_t *f, size_t len)
{
	if (len < 34 || be16(f + 12) != 0x0800)
		return;
	size_t ihl = (size_t)(f[14] & 15) * 4;
	if (len < 14 + ihl + 4)
		return;
	struct peer *pe = find_peer(f + 14 + 12, be16(f + 14 + ihl));
	if (pe)
		pe->tainted = true;
}

static void fix_checksums(uint8_t *f, size_t len)
{
	if (len < 34 || be16(f + 12) != 0x0800)
		return;
	uint8_t *ip = f + 14;
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	if (ihl < 20 || 14 + ihl > len)
		return;
	wr16(ip + 10, 0);
	wr16(ip + 10, ref_fold(ref_sum(ip, ihl, 0)));
	size_t ip_len = be16(ip + 2);
	if (ip_len < ihl + 20 || 14 + ip_len > len)
		return;
	uint8_t *t = ip + ihl;
	size_t tcp_len = ip_len - ihl;
	wr16(t + 16, 0);
	wr16(t + 16, ref_fold(ref_sum(t, tcp_len, ref_pseudo(ip + 12, ip + 16, tcp_len))));
}

static void op_mutate(struct rd *r, uint8_t arg)
{
	struct built b = build_seg(r, arg);
	size_t len = b.len;
	unsigned k = 1 + u8(r) % 8;
	for (unsigned i = 0; i < k; i++) {
		size_t pos = u16(r) % len;
		R.frame[pos] ^= u8(r);
	}
	uint8_t d = u8(r);
	if (d & 0x80) {
		size_t cut = d & 0x7f;
		len = cut < len ? len - cut : 0;
	} else if (len + d <= MAX_FRAME) {
		memset(R.frame + len, 0, d);
		len += d;
	}
	if (!(arg & 8))
		fix_checksums(R.frame, len);
	b.pe->tainted = true;
	taint_if_peer(R.frame, len);
	feed(R.frame, len);
}

static void op_pump(struct rd *r)
{
	unsigned rounds = 1 + u8(r) % 16;
	for (unsigned k = 0; k < rounds; k++) {
		for (int i = 0; i < NPEERS; i++) {
			struct peer *pe = &R.peers[i];
			if (!pe->synced)
				continue;
			/* seq: the stack's last ACK, so that it takes the ACK
			 * whatever the script sent before */
			static const uint8_t script[] = { 0, 1, 0, 0, 0 };
			struct rd sr = { script, sizeof(script) };
			struct built b = build_seg(&sr, (uint8_t)(i | pe->mac << 3));
			feed(R.frame, b.len);
		}
		advance(NS_MS);
	}
}

enum { OP_ADVANCE, OP_SEG, OP_SEG2, OP_SEG3, OP_PUMP, OP_RAW, OP_MUTATE, OP_REFUSE,
       OP_LOSE, OP_ABORT, OP_DEADLINE, OP_SEG4, OP_POLL, OP_ADVANCE2, OP_SEG5, OP_PUMP2 };

static void run_op(struct rd *r)
{
	uint8_t b = u8(r), op = b & 15, arg = b >> 4;
	static const char *const names[16] = {
		"advance", "seg", "seg", "seg", "pump", "raw", "mutate", "refuse",
		"lose", "abort", "deadline", "seg", "poll", "advance", "seg", "pump",
	};
	TRACE("op %s/%u at %llu ms\n", names[op], arg, (unsigned long long)(R.now / NS_MS));
	switch (op) {
	case OP_ADVANCE:
	case OP_ADVANCE2: {
		uint8_t t = u8(r);
		uint64_t ms = t < 100 ? t : t < 200 ? (uint64_t)(t - 99) * 100
						    : (uint64_t)(t - 199) * 1000;
		advance(ms * NS_MS + (arg & 1) * 1000);
		break;
	}
	case OP_SEG:
	case OP_SEG2:
	case OP_SEG3:
	case OP_SEG4:
	case OP_SEG5: {
		struct built s = build_seg(r, arg);
		feed(R.frame, s.len);
		break;
	}
	case OP_PUMP:
	case OP_PUMP2:
		op_pump(r);
		break;
	case OP_RAW: {
		const uint8_t *raw;
		size_t n = take(r, u16(r) % (MAX_FRAME + 1), &raw);
		memcpy(R.frame, raw, n);
		taint_if_peer(R.frame, n);
		feed(R.frame, n);
		break;
	}
	case OP_MUTATE:
		op_mutate(r, arg);
		break;
	case OP_REFUSE: {
		uint8_t k = u8(r);
		R.refuse_all = k == 0xff;
		R.refuse = k == 0xff ? 0 : k;
		break;
	}
	case OP_LOSE:
		R.lose = u8(r) % 32;
		break;
	case OP_ABORT:
		R.now += 1000;
		netstack_abort_all(R.ns, R.now);
		CHECK(netstack_stats(R.ns)->cur_conns == 0, "connections left after abort_all");
		CHECK(!netstack_tx_blocked(R.ns), "tx blocked with no connection");
		CHECK(netstack_next_deadline(R.ns) == UINT64_MAX, "deadline with no connection");
		break;
	case OP_DEADLINE: {
		uint64_t d = netstack_next_deadline(R.ns);
		if (d != UINT64_MAX && d - R.now <= 200000 * NS_MS)
			advance(d - R.now);
		else
			advance(NS_MS);
		break;
	}
	case OP_POLL:
		poll_now();
		break;
	}
	check_internal();
	if (trace)
		for (uint32_t i = 0; i < R.ns->cfg.max_conns; i++) {
			const struct tcp_conn *c = &R.ns->conns[i];
			if (c->state != TCP_CLOSED)
				TRACE("  [%u] port %u state %u una %u nxt %u max %u end %u%s wnd %u "
				      "cwnd %u timer %u at %lld ms rx %u ranges %u\n", i, c->peer.port,
				      c->state, c->snd_una, c->snd_nxt, c->snd_max, c->snd_end,
				      c->fin_queued ? "+FIN" : "", c->snd_wnd, c->cwnd, c->timer,
				      c->timer_at == UINT64_MAX ? -1 : (long long)(c->timer_at / NS_MS),
				      c->rx_len, c->tx_count);
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = { data, size };
	uint8_t c0 = u8(&r), c1 = u8(&r);
	static const uint16_t mtu_sel[4] = { 1500, 576, 9000, 1500 };
	static const uint32_t tw_sel[4] = { 0, 10, 100, 2000 };
	static const uint32_t idle_sel[4] = { 1000, 3000, 10000, 60000 };

	memset(&R, 0, sizeof(R));
	for (int i = 0; i < NPEERS; i++) {
		R.peers[i].ip = cli_ips[i >> 2];
		R.peers[i].port = (uint16_t)(40000 + (i & 3));
	}
	R.now = 1000000000ull;
	http_clock_init(&clk, DATE_BASE + 1);
	uint16_t mtu = mtu_sel[c0 & 3];
	unsigned csel = c0 >> 6; /* 0: sums for this MTU, else cache csel-1 */
	R.cache_idx = csel ? csel - 1 : (mtu == 576 ? 0 : mtu == 1500 ? 1 : 2);
	R.pc = caches[R.cache_idx];
	memcpy(R.cfg.mac, srv_mac, 6);
	R.cfg.ip = srv_ip;
	R.cfg.port = SRV_PORT;
	R.cfg.mtu = mtu;
	R.cfg.max_conns = 1 + ((c0 >> 2) & 7);
	R.cfg.idle_timeout_ms = (c0 & 0x20) ? idle_sel[(c1 >> 2) & 3] : 0;
	R.cfg.time_wait_ms = tw_sel[c1 & 3];
	R.cfg.isn_secret = 0x5eed;
	R.http = xdp_http_new(R.pc, &clk, R.cfg.max_conns, false);
	if (!R.http)
		abort();
	R.cfg.app = &xdp_http_app;
	R.cfg.app_ctx = R.http;
	R.cfg.tx = fuzz_tx;
	R.ns = netstack_new(&R.cfg);
	if (!R.ns)
		abort();

	while (r.n)
		run_op(&r);

	/* The counters agree with what happened. */
	const struct netstack_stats *st = netstack_stats(R.ns);
	CHECK(st->frames_in == R.inputs, "frames_in %llu, inputs %llu",
	      (unsigned long long)st->frames_in, (unsigned long long)R.inputs);
	CHECK(st->frames_out == R.tx_ok && st->tx_full == R.tx_refused,
	      "frames_out/tx_full disagree with the tx callback");
	R.refuse = 0;
	R.refuse_all = false;
	R.now += NS_MS;
	netstack_abort_all(R.ns, R.now);
	check_internal();
	CHECK(st->cur_conns == 0 && st->cur_time_wait == 0 && !netstack_tx_blocked(R.ns) &&
	      R.ns->heap_len == 0, "state left after abort_all");
	netstack_free(R.ns);
	xdp_http_free(R.http);
	for (int i = 0; i < NPEERS; i++) {
		free(R.peers[i].orc.log);
		free(R.peers[i].sent_ends);
	}
	return 0;
}
