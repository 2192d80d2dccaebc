/* The worker loop: connections, sends, responses, timeouts, the schedule.
 *
 * Per request: its bytes written by the engine (--engine, worker_core.h),
 * what comes back parsed in place (the parser keeps no bytes, so no
 * connection owns a buffer), the latency recorded. No allocation after
 * start-up.
 *
 * Closed loop: a connection sends a new request as soon as one completes
 * (--pipeline D keeps D in flight). Latency runs from the send.
 * Open loop (--rate): requests are due on a fixed schedule (schedule.h);
 * a due request goes to any connection that can take one (the ready list),
 * or waits for one; its latency runs from when it was due, so stalls show.
 * How late it was handed over is its send lag (send_lag.h): the client
 * checking that it kept its own schedule.
 *
 * End of the run: no request leaves after end_ns; requests in flight get at
 * most --timeout more to finish, then count as timeouts. */
#include "worker_core.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "cpu_usage.h"
#include "http_response.h"
#include "rng.h"
#include "schedule.h"
#include "share.h"

#define OPEN_BATCH 128 /* connections opened per loop turn at the start */
#define RETRY_MIN_NS (10 * NS_PER_MS)
#define RETRY_MAX_NS NS_PER_S

static void conn_restart(struct wstate *ws, struct conn *c);

static inline void conn_flush(struct wstate *ws, struct conn *c)
{
	ws->eng->flush(ws, c);
}

/* Keeps the first error of a kind, so the summary can say why. */
void note_error(char *slot, size_t len, const char *what, int err)
{
	if (slot[0])
		return;
	if (err)
		snprintf(slot, len, "%s: %s", what, strerror(err));
	else
		snprintf(slot, len, "%s", what);
}

/* ---- the ready list (open loop): connections that can take a request ---- */

static void ready_add(struct wstate *ws, struct conn *c)
{
	if (c->in_ready)
		return;
	int32_t i = (int32_t)(c - ws->conns);
	c->rprev = -1;
	c->rnext = ws->ready_head;
	if (ws->ready_head >= 0)
		ws->conns[ws->ready_head].rprev = i;
	ws->ready_head = i;
	c->in_ready = true;
}

static void ready_remove(struct wstate *ws, struct conn *c)
{
	if (!c->in_ready)
		return;
	if (c->rprev >= 0)
		ws->conns[c->rprev].rnext = c->rnext;
	else
		ws->ready_head = c->rnext;
	if (c->rnext >= 0)
		ws->conns[c->rnext].rprev = c->rprev;
	c->in_ready = false;
}

/* ---- counting ---- */

static inline bool can_queue(const struct wstate *ws, const struct conn *c)
{
	if (ws->stopping || c->inflight >= ws->depth)
		return false;
	if (ws->o->mode == LG_CLOSE)
		return c->queued == 0;
	return !ws->o->requests_per_conn || c->queued < ws->o->requests_per_conn;
}

/* Forgets the requests in flight on c, adding them to a counter (or to none:
 * a request the server refused by closing is simply not a request). */
static void drop_inflight(struct wstate *ws, struct conn *c, uint64_t *counter)
{
	if (counter && ws->measuring)
		*counter += c->inflight;
	if (counter == &ws->w->c.timeouts)
		ws->live_timeouts += c->inflight;
	else if (counter)
		ws->live_errors += c->inflight;
	ws->inflight_total -= c->inflight;
	c->inflight = c->unsent = 0;
	c->head = 0;
	c->send_off = 0;
}

static void conn_close(struct wstate *ws, struct conn *c)
{
	if (c->fd >= 0 && ws->stopping && c->state == C_OPEN && !c->inflight &&
	    ws->o->mode == LG_KEEPALIVE && !ws->o->linger0) {
		/* End of the run: an idle keep-alive connection is reset rather
		 * than closed, so back-to-back runs of a sweep do not fill the
		 * client's port range with TIME_WAIT (10,000 connections a run). */
		struct linger l = { .l_onoff = 1, .l_linger = 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	if (c->state == C_AWAIT_FIN)
		ws->awaiting_fin--;
	if (c->fd >= 0) {
		ws->eng->closing(ws, c);
		close(c->fd);
	}
	c->fd = -1;
	c->state = C_IDLE;
	ready_remove(ws, c);
}

/* ---- connecting ---- */

/* The slot waits before its next connect, longer after each failure in a
 * row (10 ms doubling to 1 s), so a refusing server does not make us spin. */
static void retry_later(struct wstate *ws, struct conn *c)
{
	if (c->fails < 7)
		c->fails++;
	uint64_t backoff = RETRY_MIN_NS << (c->fails - 1);
	c->retry_at = ws->now + (backoff > RETRY_MAX_NS ? RETRY_MAX_NS : backoff);
	c->state = C_WAIT_RETRY; /* housekeeping calls conn_restart after the backoff */
}

void connect_failed(struct wstate *ws, struct conn *c, int err, const char *what)
{
	if (ws->measuring)
		ws->w->c.connect_errors++;
	ws->live_errors++;
	ws->live_connect_errors++;
	note_error(ws->w->first_connect_error, sizeof(ws->w->first_connect_error), what, err);
	/* A close-mode request waiting for this connection never left: it fails
	 * with it (as a connect error, counted above, not as a request error). */
	drop_inflight(ws, c, NULL);
	conn_close(ws, c);
	retry_later(ws, c);
}

/* due_ns: the schedule time in open loop, 0 in closed loop. */
static void queue_request(struct wstate *ws, struct conn *c, uint64_t due_ns)
{
	const struct path_set *ps = ws->run->paths;
	uint32_t slot = (c->head + c->inflight) % ws->depth;
	c->ring[slot].path = ps->n == 1 ? 0 : rng_below(&ws->rng, (uint32_t)ps->n);
	c->ring[slot].due_ns = due_ns;
	c->ring[slot].at_send = true;
	c->inflight++;
	c->unsent++;
	c->queued++;
	ws->inflight_total++;
}

/* Hands c's connecting socket to the engine (watch: a non-blocking
 * connect() under way; connect: a blocking socket the engine connects),
 * which reports the connect's completion (conn_connect_done). */
static int conn_watch(struct wstate *ws, struct conn *c, bool connect_it)
{
	if ((connect_it ? ws->eng->connect(ws, c) : ws->eng->watch(ws, c)) < 0)
		return -1;
	c->state = C_CONNECTING;
	/* Close mode: the connection exists for one request, which it carries
	 * from the start (so a connection opened just before the end still
	 * completes its request, and the server's accept count matches). */
	if (ws->o->mode == LG_CLOSE && !ws->open_loop)
		queue_request(ws, c, 0);
	return 0;
}

static int conn_open(struct wstate *ws, struct conn *c)
{
	const struct lg_options *o = ws->o;
	int one = 1;

	c->gen++;
	c->queued = c->answered = 0;
	c->inflight = c->unsent = c->head = 0;
	c->send_off = 0;
	http_response_init(&c->resp);
	body_hash_init(&c->hash); /* a response cut short on the last socket */
	c->t_connect = ws->now;
	/* Non-blocking unless the engine connects it (and then waits for it). */
	c->fd = socket(o->target.ss_family,
		       SOCK_STREAM | SOCK_CLOEXEC | (ws->eng->connect ? 0 : SOCK_NONBLOCK), 0);
	if (c->fd < 0) {
		connect_failed(ws, c, errno, "socket");
		return -1;
	}
	if (o->mode == LG_KEEPALIVE &&
	    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
		connect_failed(ws, c, errno, "setsockopt TCP_NODELAY");
		return -1;
	}
	if (o->linger0) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };
		if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) < 0) {
			connect_failed(ws, c, errno, "setsockopt SO_LINGER");
			return -1;
		}
	}
	if (o->nsources) {
		const struct sockaddr_storage *src = &o->sources[ws->next_src++ % (uint32_t)o->nsources];
		/* Port chosen at connect(), per (source, destination) 4-tuple, so
		 * each source address has its own ephemeral range. */
		if (setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) < 0) {
			connect_failed(ws, c, errno, "setsockopt IP_BIND_ADDRESS_NO_PORT");
			return -1;
		}
		socklen_t len = src->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							    : sizeof(struct sockaddr_in);
		if (bind(c->fd, (const struct sockaddr *)src, len) < 0) {
			connect_failed(ws, c, errno, "bind --source");
			return -1;
		}
	}
	if (ws->eng->connect)
		return conn_watch(ws, c, true);
	if (connect(c->fd, (const struct sockaddr *)&o->target, o->target_len) < 0 &&
	    errno != EINPROGRESS) {
		connect_failed(ws, c, errno, "connect");
		return -1;
	}
	return conn_watch(ws, c, false);
}

/* ---- sending ---- */

int conn_iov(struct wstate *ws, struct conn *c, struct iovec *iov, int max)
{
	const struct path_set *ps = ws->run->paths;
	uint32_t first = (c->head + c->inflight - c->unsent) % ws->depth;
	int cnt = c->unsent < max ? c->unsent : max;

	for (int k = 0; k < cnt; k++) {
		const struct pending *p = &c->ring[(first + k) % ws->depth];
		uint32_t len;
		const char *req = paths_request(ps, p->path, &len);
		uint32_t off = k == 0 ? c->send_off : 0;
		iov[k].iov_base = (void *)(req + off);
		iov[k].iov_len = len - off;
	}
	return cnt;
}

void conn_stamp_sent(struct wstate *ws, struct conn *c, int cnt, uint64_t t)
{
	uint32_t first = (c->head + c->inflight - c->unsent) % ws->depth;

	for (int k = 0; k < cnt && k < c->unsent; k++) {
		struct pending *p = &c->ring[(first + (uint32_t)k) % ws->depth];
		if (p->at_send) {
			p->sent_ns = t;
			p->at_send = false;
		}
	}
}

void conn_wrote(struct conn *c, const struct iovec *iov, int cnt, size_t n)
{
	for (int k = 0; k < cnt && n > 0; k++) {
		size_t rest = iov[k].iov_len;
		if (n >= rest) {
			n -= rest;
			c->send_off = 0;
			c->unsent--;
		} else {
			c->send_off += (uint32_t)n;
			n = 0;
		}
	}
}

void conn_send_failed(struct wstate *ws, struct conn *c, int err)
{
	note_error(ws->w->first_error, sizeof(ws->w->first_error), "send", err);
	drop_inflight(ws, c, &ws->w->c.read_errors);
	conn_close(ws, c);
	conn_restart(ws, c);
}

/* Closed loop: top the connection up to --pipeline requests, one write. */
static void conn_fill(struct wstate *ws, struct conn *c)
{
	while (can_queue(ws, c))
		queue_request(ws, c, 0);
	if (c->unsent)
		conn_flush(ws, c);
}

static void conn_connected(struct wstate *ws, struct conn *c)
{
	c->state = C_OPEN;
	c->fails = 0;
	if (ws->measuring) {
		ws->w->c.connects++;
		hist_record(&ws->w->connect, ws->now - c->t_connect);
	}
	if (ws->o->mode == LG_CLOSE) {
		if (c->unsent)
			conn_flush(ws, c);
		else if (ws->open_loop)
			ready_add(ws, c); /* an adopted socket: take the next due request */
		return;
	}
	if (ws->open_loop) {
		if (can_queue(ws, c))
			ready_add(ws, c);
		else if (!c->inflight)
			conn_close(ws, c); /* the run ended while it connected */
		return;
	}
	conn_fill(ws, c);
	if (!c->inflight)
		conn_close(ws, c);
}

/* What a connection slot does after its socket went away. */
static void conn_restart(struct wstate *ws, struct conn *c)
{
	if (ws->stopping) {
		c->state = C_IDLE;
		return;
	}
	if (c->state == C_WAIT_RETRY && ws->now < c->retry_at)
		return;
	c->state = C_IDLE;
	if (ws->open_loop && ws->o->mode == LG_CLOSE) {
		ready_add(ws, c); /* an idle slot: opened when a request is due */
		return;
	}
	conn_open(ws, c);
}

/* ---- receiving ---- */

static void on_body(void *ctx, const char *data, size_t len)
{
	body_hash_update(ctx, data, len);
}

static void response_done(struct wstate *ws, struct conn *c)
{
	struct lg_counters *k = &ws->w->c;
	struct pending *p = &c->ring[c->head];
	const struct http_response *r = &c->resp;

	uint64_t sent = p->at_send ? ws->now : p->sent_ns;
	uint64_t start = ws->open_loop ? p->due_ns : sent;
	uint64_t latency = ws->now > start ? ws->now - start : 0;
	int cls = r->status / 100;
	tl_record(ws->w->timeline, latency, cls != 2); /* warm-up included */
	if (ws->measuring) {
		hist_record(&ws->w->latency, latency);
		if (ws->open_loop)
			hist_record(&ws->w->latency_uncorrected, ws->now > sent ? ws->now - sent : 0);
		k->requests++;
		k->bytes += r->bytes;
		k->body_bytes += r->body_bytes;
		k->status_class[cls >= 1 && cls <= 5 ? cls : 0]++;
		if (cls != 2)
			k->non_2xx++;
		if (ws->run->expect && cls == 2) {
			const struct page_expect *e = &ws->run->expect[p->path];
			k->verified++;
			if (r->body_bytes != e->len || body_hash_final(&c->hash) != e->hash)
				k->verify_mismatches++;
		}
	}
	c->head = (uint16_t)((c->head + 1) % ws->depth);
	c->inflight--;
	c->answered++;
	ws->inflight_total--;
	bool server_closes = !r->keep_alive;
	http_response_init(&c->resp);
	body_hash_init(&c->hash);

	if (ws->o->mode == LG_CLOSE || server_closes) {
		/* Keep-alive refused by the server: requests pipelined behind
		 * this one will not be answered; closed loop simply sends new
		 * ones, open loop counts them lost. */
		drop_inflight(ws, c, ws->open_loop ? &k->read_errors : NULL);
		if (server_closes && !ws->o->linger0) {
			c->state = C_AWAIT_FIN; /* the engine reads on to the FIN */
			c->t_answered = ws->now;
			ws->awaiting_fin++;
			return;
		}
		/* The server keeps it (--linger0 did not ask it to close): we
		 * close, with a reset under --linger0. */
		conn_close(ws, c);
		conn_restart(ws, c);
		return;
	}
	if (ws->open_loop) {
		if (can_queue(ws, c))
			ready_add(ws, c);
		else if (!c->inflight) {
			conn_close(ws, c);
			conn_restart(ws, c);
		}
		return;
	}
	conn_fill(ws, c);
	if (!c->inflight) {
		/* --requests-per-conn reached, or the run is over. */
		conn_close(ws, c);
		conn_restart(ws, c);
	}
}

/* A broken connection: the requests it carried are lost. */
static void conn_broken(struct wstate *ws, struct conn *c, const char *what, int err)
{
	if (c->inflight)
		note_error(ws->w->first_error, sizeof(ws->w->first_error), what, err);
	drop_inflight(ws, c, &ws->w->c.read_errors);
	bool never_answered = c->answered == 0;
	conn_close(ws, c);
	if (never_answered && !ws->stopping)
		retry_later(ws, c); /* a server that drops connections at once */
	else
		conn_restart(ws, c);
}

/* Feeds bytes to the parser; returns false once c is no longer open. */
static bool conn_feed(struct wstate *ws, struct conn *c, const char *p, size_t len)
{
	uint32_t gen = c->gen;

	while (len) {
		if (!c->inflight || c->inflight == c->unsent) {
			conn_broken(ws, c, "response bytes with no request in flight", 0);
			return false;
		}
		ssize_t n = http_response_parse(&c->resp, p, len, ws->run->expect ? on_body : NULL,
						&c->hash);
		if (n < 0) {
			char why[160];
			snprintf(why, sizeof(why), "malformed response: %s", c->resp.error);
			conn_broken(ws, c, why, 0);
			return false;
		}
		p += n;
		len -= (size_t)n;
		if (c->resp.done) {
			response_done(ws, c);
			if (c->state != C_OPEN || c->gen != gen)
				return false;
		}
	}
	return true;
}

/* The end of a C_AWAIT_FIN connection; `why` is set when the server broke
 * its promise to close (the response itself was counted already). */
static void await_fin_end(struct wstate *ws, struct conn *c, const char *why)
{
	if (why) {
		note_error(ws->w->first_error, sizeof(ws->w->first_error), why, 0);
		if (ws->measuring)
			ws->w->c.read_errors++;
		ws->live_errors++;
	}
	conn_close(ws, c);
	conn_restart(ws, c);
}

/* ---- what an engine reports ---- */

void conn_connect_done(struct wstate *ws, struct conn *c, int err)
{
	if (err)
		connect_failed(ws, c, err, "connect");
	else
		conn_connected(ws, c);
}

/* After a response that closes, the server's FIN ends the connection:
 * anything else it sends is an error; its reset is not (the response was
 * whole), and leaves no TIME_WAIT. */
bool conn_on_data(struct wstate *ws, struct conn *c, const char *p, size_t len)
{
	if (c->state == C_AWAIT_FIN) {
		await_fin_end(ws, c, "bytes after a response that closed the connection");
		return false;
	}
	return conn_feed(ws, c, p, len);
}

void conn_on_eof(struct wstate *ws, struct conn *c)
{
	if (c->state == C_AWAIT_FIN) {
		await_fin_end(ws, c, NULL);
		return;
	}
	if (c->inflight && http_response_eof(&c->resp)) {
		response_done(ws, c); /* a body delimited by the close */
		return;
	}
	if (c->inflight)
		conn_broken(ws, c, "server closed the connection mid-request", 0);
	else {
		conn_close(ws, c); /* idle close by the server */
		conn_restart(ws, c);
	}
}

void conn_on_read_error(struct wstate *ws, struct conn *c, int err)
{
	if (c->state == C_AWAIT_FIN)
		await_fin_end(ws, c, NULL);
	else
		conn_broken(ws, c, "read", err);
}

/* ---- open loop ---- */

/* Requests due while no connection is free wait in the backlog: counted
 * once each, so the report can say whether the lag was the pool's. */
static void note_no_free_conn(struct wstate *ws, uint64_t due)
{
	if (ws->no_conn_noted < ws->sched.next)
		ws->no_conn_noted = ws->sched.next;
	for (; ws->no_conn_noted < due; ws->no_conn_noted++)
		send_lag_no_conn(&ws->w->lag, schedule_time(&ws->sched, ws->no_conn_noted));
}

static void dispatch_due(struct wstate *ws)
{
	/* Requests are due strictly before end_ns: a run of D seconds at R req/s
	 * schedules exactly D * R of them. */
	uint64_t last = ws->run->end_ns - 1;
	uint64_t due = schedule_due(&ws->sched, ws->now < last ? ws->now : last);

	while (ws->sched.next < due) {
		uint64_t intended = schedule_time(&ws->sched, ws->sched.next);
		if (ws->now - intended > ws->timeout_ns) {
			/* Waited longer than --timeout for a connection: it would be a
			 * timeout wherever it went, and the backlog stays bounded.
			 * It never left: the schedule was not kept. */
			if (ws->measuring && intended >= ws->run->measure_ns)
				ws->w->c.timeouts++;
			ws->live_timeouts++;
			send_lag_lost(&ws->w->lag, intended);
			ws->sched.next++;
			continue;
		}
		if (ws->ready_head < 0) {
			note_no_free_conn(ws, due);
			return;
		}
		struct conn *c = &ws->conns[ws->ready_head];
		ws->sched.next++;
		/* A fresh clock per request: a burst of sends takes time, and the
		 * last of them leaves that much later than the loop woke. */
		ws->now = now_ns();
		if (c->state == C_IDLE) {
			/* Close mode: a free slot opens a connection for this request
			 * (a failed connect counts as a connect error; no socket at
			 * all, and the request never left). */
			ready_remove(ws, c);
			if (conn_open(ws, c) == 0) {
				send_lag_sent(&ws->w->lag, intended, ws->now);
				queue_request(ws, c, intended);
			} else {
				send_lag_lost(&ws->w->lag, intended);
			}
			continue;
		}
		send_lag_sent(&ws->w->lag, intended, ws->now);
		queue_request(ws, c, intended);
		if (!can_queue(ws, c))
			ready_remove(ws, c);
		if (c->state == C_OPEN)
			conn_flush(ws, c);
	}
}

/* ---- timers ---- */

static void housekeeping(struct wstate *ws)
{
	for (int i = 0; i < ws->nconns; i++) {
		struct conn *c = &ws->conns[i];
		switch (c->state) {
		case C_WAIT_RETRY:
			if (ws->stopping)
				c->state = C_IDLE;
			else if (ws->now >= c->retry_at)
				conn_restart(ws, c);
			break;
		case C_CONNECTING:
			if (ws->now - c->t_connect > ws->timeout_ns) {
				uint64_t lost = c->inflight;
				connect_failed(ws, c, ETIMEDOUT, "connect");
				if (ws->measuring)
					ws->w->c.timeouts += lost;
				ws->live_timeouts += lost;
			}
			break;
		case C_OPEN:
			if (c->inflight) {
				const struct pending *p = &c->ring[c->head];
				uint64_t start = ws->open_loop ? p->due_ns
							       : p->at_send ? c->t_connect : p->sent_ns;
				if (ws->now > start && ws->now - start > ws->timeout_ns) {
					drop_inflight(ws, c, &ws->w->c.timeouts);
					conn_close(ws, c);
					conn_restart(ws, c);
				}
			}
			break;
		case C_AWAIT_FIN:
			if (ws->now - c->t_answered > ws->timeout_ns)
				await_fin_end(ws, c, "the server did not close within --timeout "
						     "after a response that closes");
			break;
		default:
			break;
		}
	}
}

static void begin_measuring(struct wstate *ws)
{
	struct lg_worker *w = ws->w;

	memset(&w->c, 0, sizeof(w->c));
	hist_init(&w->latency);
	hist_init(&w->connect);
	hist_init(&w->latency_uncorrected);
	/* Not w->lag: it picks its requests by due time, from the start. */
	ws->measuring = true;
	w->measure_begin_ns = ws->now;
	thread_cpu_us(&w->cpu_user_us, &w->cpu_sys_us);
}

static void begin_stopping(struct wstate *ws)
{
	ws->stopping = true;
	ws->drain_deadline = ws->now + ws->timeout_ns;
	if (ws->open_loop) {
		/* Requests that were due before the end but never found a
		 * connection: they were owed, so they are timeouts. */
		uint64_t due = schedule_due(&ws->sched, ws->run->end_ns - 1);
		for (; ws->sched.next < due; ws->sched.next++) {
			uint64_t intended = schedule_time(&ws->sched, ws->sched.next);
			if (ws->measuring && intended >= ws->run->measure_ns)
				ws->w->c.timeouts++;
			ws->live_timeouts++;
			send_lag_lost(&ws->w->lag, intended);
		}
	}
	for (int i = 0; i < ws->nconns; i++) {
		struct conn *c = &ws->conns[i];
		ready_remove(ws, c);
		if (c->state == C_WAIT_RETRY)
			c->state = C_IDLE;
		if ((c->state == C_OPEN || c->state == C_CONNECTING) && !c->inflight)
			conn_close(ws, c);
	}
}

/* The failures the timeline splits by kind, counted from the start of load. */
static struct tl_failures timeline_failures(const struct wstate *ws)
{
	return (struct tl_failures){
		.connect_errors = ws->live_connect_errors,
		.read_errors = ws->live_errors - ws->live_connect_errors,
		.timeouts = ws->live_timeouts,
	};
}

static void run_loop(struct wstate *ws)
{
	const struct lg_run *run = ws->run;

	for (;;) {
		ws->now = now_ns();
		if (!ws->measuring && ws->now >= run->measure_ns)
			begin_measuring(ws);
		/* Same clock reading: the timeline's measured intervals start
		 * exactly where the run's counting does. */
		struct tl_failures fails = timeline_failures(ws);
		tl_tick(ws->w->timeline, ws->now, &fails);
		if (ws->open_next < ws->nconns && !ws->stopping) {
			/* Open connections in batches between event turns, so the
			 * first ones work while the rest connect (10,000 connects
			 * can take seconds) and the end of the run is never missed. */
			int stop = ws->open_next + OPEN_BATCH;
			for (; ws->open_next < ws->nconns && ws->open_next < stop; ws->open_next++) {
				struct conn *c = &ws->conns[ws->open_next];
				if (c->state == C_IDLE && c->fd < 0)
					conn_open(ws, c);
			}
			ws->now = now_ns();
		}
		if (ws->open_loop && !ws->stopping)
			dispatch_due(ws); /* what fell due before the end still leaves */
		if (!ws->stopping && (ws->now >= run->end_ns || __atomic_load_n(&run->stop, __ATOMIC_RELAXED)))
			begin_stopping(ws);
		if (ws->stopping && ((ws->inflight_total == 0 && ws->awaiting_fin == 0) ||
				     ws->now >= ws->drain_deadline))
			break;
		if (ws->now >= ws->next_housekeeping) {
			housekeeping(ws);
			ws->next_housekeeping = ws->now + ws->housekeeping_every;
		}
		uint64_t wake = ws->next_housekeeping;
		uint64_t edge = ws->stopping ? ws->drain_deadline : run->end_ns;
		if (edge < wake)
			wake = edge;
		if (!ws->measuring && run->measure_ns < wake)
			wake = run->measure_ns;
		if (tl_next_wake(ws->w->timeline) < wake)
			wake = tl_next_wake(ws->w->timeline);
		if (ws->open_loop && !ws->stopping && ws->ready_head >= 0) {
			uint64_t next = schedule_next_time(&ws->sched);
			if (next < wake)
				wake = next;
		}
		if (ws->open_next < ws->nconns && !ws->stopping)
			wake = ws->now; /* more to open: just poll */
		if (ws->eng->wait(ws, wake) < 0) {
			ws->w->fatal = 1;
			return;
		}
	}
	/* Whatever is still in flight was not answered within --timeout. */
	for (int i = 0; i < ws->nconns; i++) {
		struct conn *c = &ws->conns[i];
		if (c->inflight)
			drop_inflight(ws, c, &ws->w->c.timeouts);
		if (c->fd >= 0)
			conn_close(ws, c);
	}
}

void *lg_worker_main(void *arg)
{
	struct lg_worker *w = arg;
	const struct lg_run *run = w->run;
	const struct lg_options *o = run->o;
	struct wstate ws = {
		.w = w,
		.run = run,
		.o = o,
		.nconns = w->nconns,
		.ready_head = -1,
		.open_loop = o->rate_milli > 0,
		.depth = o->mode == LG_CLOSE ? 1 : (uint32_t)o->pipeline,
		.timeout_ns = (uint64_t)(o->timeout_s * 1e9),
		.next_src = (uint32_t)w->index,
	};

	hist_init(&w->latency);
	hist_init(&w->connect);
	hist_init(&w->latency_uncorrected);
	send_lag_init(&w->lag, run->measure_ns);
	ws.housekeeping_every = ws.timeout_ns / 10;
	if (ws.housekeeping_every > 20 * NS_PER_MS)
		ws.housekeeping_every = 20 * NS_PER_MS;
	if (ws.housekeeping_every < NS_PER_MS)
		ws.housekeeping_every = NS_PER_MS;
	/* As sender share_sender() of the whole run (share.h): the run's
	 * schedule interleaved over every thread of every client host. */
	rng_seed(&ws.rng, o->seed, share_sender(o, w->index));
	if (ws.open_loop)
		schedule_init(&ws.sched, run->t0_ns, o->rate_milli, share_stride(o), share_sender(o, w->index));

	bool engine_up = false;
	ws.eng = o->engine == LG_ENGINE_URING ? &lg_engine_uring : &lg_engine_epoll;
	ws.conns = calloc((size_t)ws.nconns, sizeof(*ws.conns));
	ws.ring_store = calloc((size_t)ws.nconns * ws.depth, sizeof(*ws.ring_store));
	if (!ws.conns || !ws.ring_store) {
		snprintf(w->fatal_msg, sizeof(w->fatal_msg), "worker %d: out of memory", w->index);
		w->fatal = 1;
		goto out;
	}
	for (int i = 0; i < ws.nconns; i++) {
		struct conn *c = &ws.conns[i];
		c->fd = -1;
		c->ring = ws.ring_store + (size_t)i * ws.depth;
		c->rprev = c->rnext = -1;
		body_hash_init(&c->hash);
		http_response_init(&c->resp);
	}
	if (ws.eng->init(&ws) < 0) {
		w->fatal = 1;
		goto out;
	}
	engine_up = true;
	ws.now = now_ns();
	ws.next_housekeeping = ws.now + ws.housekeeping_every;
	if (ws.now >= run->measure_ns)
		begin_measuring(&ws);
	for (int i = 0; i < ws.nconns; i++) {
		struct conn *c = &ws.conns[i];
		if (i == 0 && w->adopt_fd >= 0) {
			/* main's reachability probe: already connecting, use it. */
			c->gen++;
			c->fd = w->adopt_fd;
			w->adopt_fd = -1;
			c->t_connect = w->adopt_t;
			conn_watch(&ws, c, false);
			continue;
		}
		if (ws.open_loop && o->mode == LG_CLOSE)
			ready_add(&ws, c); /* slots open a connection per due request */
	}
	/* The others are opened by run_loop, OPEN_BATCH at a time. */
	ws.open_next = ws.open_loop && o->mode == LG_CLOSE ? ws.nconns : 0;
	run_loop(&ws);
out:
	ws.now = now_ns();
	w->finish_ns = ws.now;
	if (!ws.measuring) {
		w->measure_begin_ns = ws.now; /* stopped during the warm-up */
		memset(&w->c, 0, sizeof(w->c));
		hist_init(&w->latency);
		hist_init(&w->connect);
		hist_init(&w->latency_uncorrected);
		send_lag_init(&w->lag, run->measure_ns);
		thread_cpu_us(&w->cpu_user_us, &w->cpu_sys_us);
	}
	struct tl_failures fails = timeline_failures(&ws);
	tl_finish(w->timeline, ws.now, &fails);
	uint64_t u, s;
	thread_cpu_us(&u, &s);
	w->cpu_user_us = u - w->cpu_user_us;
	w->cpu_sys_us = s - w->cpu_sys_us;
	if (w->adopt_fd >= 0)
		close(w->adopt_fd);
	if (engine_up)
		ws.eng->fini(&ws);
	free(ws.conns);
	free(ws.ring_store);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}
