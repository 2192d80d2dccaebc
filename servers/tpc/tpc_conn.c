/* httpd-tpc: the life of one connection thread, blocking I/O throughout. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tpc.h"

/* Replies gathered into one sendmsg when requests arrive pipelined. */
#define IOV_BATCH (3 * 16)
/* Lingering close (as Apache's): after our last reply, read and drop what
 * the client still sends, so closing with unread bytes does not turn into
 * an RST that destroys the reply in flight. Bounded in time and bytes. */
#define LINGER_MS 2000
#define LINGER_MAX_BYTES (1 << 20)

enum conn_end { END_PEER, END_CLOSE_REPLY, END_IDLE, END_ERROR };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int set_timeout(int fd, int optname, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, optname, &tv, sizeof(tv));
}

/* A failed recv/sendmsg: a timeout is the idle timeout; a client that
 * resets or goes away is an ordinary end, not an error (as in httpd-epoll). */
static enum conn_end end_for_errno(int err)
{
	if (err == EAGAIN || err == EWOULDBLOCK)
		return END_IDLE;
	if (err == ECONNRESET || err == EPIPE)
		return END_PEER;
	return END_ERROR;
}

/* Sends every byte of iov, resuming after partial writes. Each sendmsg
 * that moves bytes is progress for the idle timeout; SO_SNDTIMEO bounds a
 * wait without progress. The last bytes before a close go with MSG_MORE,
 * so close() attaches the FIN to their segment instead of sending its own. */
static enum conn_end send_all(struct tpc_conn *c, struct iovec *iov, int niov,
			      bool closes, uint64_t *last_progress)
{
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)niov };

	while (m.msg_iovlen > 0) {
		ssize_t n = sendmsg(c->fd, &m, MSG_NOSIGNAL | (closes ? MSG_MORE : 0));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return end_for_errno(errno);
		}
		c->stats.bytes_sent += (uint64_t)n;
		*last_progress = now_ms();
		while (m.msg_iovlen > 0 && (size_t)n >= m.msg_iov->iov_len) {
			n -= (ssize_t)m.msg_iov->iov_len;
			m.msg_iov++;
			m.msg_iovlen--;
		}
		if (m.msg_iovlen > 0) {
			m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + n;
			m.msg_iov->iov_len -= (size_t)n;
		}
	}
	return END_PEER; /* here: all sent, carry on */
}

/* Answers every complete request in buf. Returns END_PEER to keep going,
 * END_CLOSE_REPLY after a reply that closes, or how the send failed. */
static enum conn_end serve_buffered(struct tpc_conn *c, uint64_t *last_progress)
{
	const struct page_cache *pc = c->w->pc;
	struct iovec iov[IOV_BATCH];
	enum conn_end end = END_PEER;
	size_t off = 0;
	int niov = 0;

	http_clock_tick(&c->clock, time(NULL));
	for (;;) {
		struct http_reply r;
		ssize_t n = http_handle(&c->parser, pc, c->buf + off, c->len - off, &r);

		if (n == HTTP_INCOMPLETE)
			break;
		off += (size_t)n;
		c->stats.requests++;
		if (r.page->status >= 400 && r.page->status < 500)
			c->stats.responses_4xx++;
		*last_progress = now_ms();
		niov += http_reply_iov(&r, &c->clock, iov + niov);
		if (r.close) {
			end = END_CLOSE_REPLY;
			break;
		}
		if (niov + 3 > IOV_BATCH) {
			enum conn_end e = send_all(c, iov, niov, false, last_progress);
			if (e != END_PEER)
				return e;
			niov = 0;
		}
	}
	if (niov > 0) {
		enum conn_end e = send_all(c, iov, niov, end == END_CLOSE_REPLY, last_progress);
		if (e != END_PEER)
			return e;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
	return end;
}

static void lingering_close(struct tpc_conn *c)
{
	uint64_t deadline = now_ms() + LINGER_MS;
	size_t dropped = 0;

	if (shutdown(c->fd, SHUT_WR) < 0 || set_timeout(c->fd, SO_RCVTIMEO, LINGER_MS) < 0)
		return;
	while (dropped < LINGER_MAX_BYTES && now_ms() < deadline) {
		ssize_t n = recv(c->fd, c->buf, sizeof(c->buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		dropped += (size_t)n;
	}
}

static enum conn_end serve(struct tpc_conn *c)
{
	int idle_ms = c->w->o->idle_timeout_ms;
	uint64_t last_progress = now_ms();

	/* Blocking calls wait at most the idle timeout; then the connection
	 * has made no progress for that long (or its request trickles in). */
	if (idle_ms > 0 && (set_timeout(c->fd, SO_RCVTIMEO, idle_ms) < 0 ||
			    set_timeout(c->fd, SO_SNDTIMEO, idle_ms) < 0))
		return END_ERROR;
	for (;;) {
		ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);

		if (n == 0)
			return END_PEER;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return end_for_errno(errno);
		}
		c->len += (size_t)n;
		enum conn_end end = serve_buffered(c, &last_progress);
		if (end != END_PEER)
			return end;
		/* The core answers 431 before its buffer fills, so a full
		 * buffer here would be a bug: never spin on it. */
		if (c->len == sizeof(c->buf))
			return END_ERROR;
		if (c->len > 0 && idle_ms > 0 && now_ms() - last_progress >= (uint64_t)idle_ms)
			return END_IDLE; /* a request trickling in, byte by byte */
	}
}

void *tpc_conn_main(void *arg)
{
	struct tpc_conn *c = arg;
	struct tpc_worker *w = c->w;

	switch (serve(c)) {
	case END_CLOSE_REPLY:
		lingering_close(c);
		break;
	case END_IDLE:
		c->stats.idle_closed++;
		break;
	case END_ERROR:
		c->stats.errors++;
		break;
	case END_PEER:
		break;
	}

	/* Unregister and close under the lock, so a stop that shutdown()s
	 * every registered socket never touches a reused descriptor. */
	pthread_mutex_lock(&w->lock);
	tpc_conn_unlink(w, c);
	w->stats.requests += c->stats.requests;
	w->stats.responses_4xx += c->stats.responses_4xx;
	w->stats.bytes_sent += c->stats.bytes_sent;
	w->stats.idle_closed += c->stats.idle_closed;
	w->stats.errors += c->stats.errors;
	close(c->fd);
	if (w->live == 0 && w->stopping)
		pthread_cond_signal(&w->drained);
	pthread_mutex_unlock(&w->lock);
	free(c);
	return NULL;
}
