/* httpd-tpc: the life of one connection thread, blocking I/O throughout. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "mono_clock.h"
#include "tpc.h"

/* The connection core (http_conn.h) decides what the bytes mean, how deep
 * pipelining goes and how long the linger after a reply that closes lasts;
 * this file moves the bytes with blocking calls. */

/* How serving ends; END_SENT is "all sent, carry on", never an end. */
enum conn_end { END_SENT, END_PEER, END_CLOSE_REPLY, END_IDLE, END_ERROR };

static int set_timeout(int fd, int optname, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, optname, &tv, sizeof(tv));
}

/* A failed recv/sendmsg: a timeout is the idle timeout; a client that
 * resets or goes away is an ordinary end, not an error (http_conn.h). */
static enum conn_end end_for_errno(int err)
{
	if (err == EAGAIN || err == EWOULDBLOCK)
		return END_IDLE;
	if (err == ECONNRESET || err == EPIPE)
		return END_PEER;
	return END_ERROR;
}

/* Sends the queued replies, resuming after partial writes. SO_SNDTIMEO
 * bounds a wait without progress. The bytes that end a reply that closes
 * go with MSG_MORE, so close() attaches the FIN to their segment instead
 * of sending its own. */
static enum conn_end send_queued(struct tpc_conn *c)
{
	struct iovec iov[HTTP_CONN_IOV];
	struct http_tx tx;

	http_clock_tick(&c->clock, time(NULL));
	http_conn_tx(&c->hc, &c->clock, iov, HTTP_CONN_IOV, 0, &tx);
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)tx.niov };
	while (m.msg_iovlen > 0) {
		ssize_t n = sendmsg(c->fd, &m, MSG_NOSIGNAL | (tx.ends_close ? MSG_MORE : 0));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return end_for_errno(errno);
		}
		http_conn_sent(&c->hc, (size_t)n, mono_ms());
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
	return END_SENT;
}

/* Our FIN, then drop what the client still sends until its FIN, within
 * the core's bounds in time and bytes (http_conn.h). */
static void lingering_close(struct tpc_conn *c)
{
	uint64_t start = mono_ms();

	if (shutdown(c->fd, SHUT_WR) < 0 || set_timeout(c->fd, SO_RCVTIMEO, HTTP_CONN_LINGER_MS) < 0)
		return;
	http_conn_linger_start(&c->hc, start);
	while (!http_conn_linger_full(&c->hc) && !http_conn_expired(&c->hc, mono_ms(), 0)) {
		size_t space;
		char *buf = http_conn_read_buf(&c->hc, &space);
		if (!buf)
			return;
		ssize_t n = recv(c->fd, buf, space, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		http_conn_read_done(&c->hc, (size_t)n, mono_ms());
	}
}

static enum conn_end serve(struct tpc_conn *c)
{
	int idle_ms = c->w->o->idle_timeout_ms;

	http_conn_init(&c->hc, c->w->pc, &c->stats, mono_ms());
	/* Blocking calls wait at most the idle timeout; then the connection
	 * has made no progress for that long (or its request trickles in). */
	if (idle_ms > 0 && (set_timeout(c->fd, SO_RCVTIMEO, idle_ms) < 0 ||
			    set_timeout(c->fd, SO_SNDTIMEO, idle_ms) < 0))
		return END_ERROR;
	for (;;) {
		while (http_conn_next(&c->hc) == HTTP_CONN_SEND) {
			enum conn_end e = send_queued(c);
			if (e != END_SENT)
				return e; /* a reset peer included: its reply stays queued */
		}
		if (http_conn_next(&c->hc) == HTTP_CONN_LINGER)
			return END_CLOSE_REPLY;
		if (http_conn_next(&c->hc) == HTTP_CONN_CLOSE)
			return END_PEER;
		size_t space;
		char *buf = http_conn_read_buf(&c->hc, &space);
		/* The core answers 431 before its buffer fills, so no room
		 * here would be a bug: never spin on it. */
		if (!buf || space == 0)
			return END_ERROR;
		ssize_t n = recv(c->fd, buf, space, 0);

		if (n == 0) {
			http_conn_eof(&c->hc);
			continue;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return end_for_errno(errno);
		}
		http_conn_read_done(&c->hc, (size_t)n, mono_ms());
		if (http_conn_expired(&c->hc, mono_ms(), idle_ms))
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
	case END_SENT:
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
	http_conn_free(&c->hc);
	if (w->live == 0 && w->stopping)
		pthread_cond_signal(&w->drained);
	pthread_mutex_unlock(&w->lock);
	free(c);
	return NULL;
}
