/* The connection cap: a connection over --max-conns is accepted, answered
 * with the prebuilt 503 and closed at once, in every engine the same way,
 * so that a client sees why and a run's `rejected` counts the same thing. */
#include <sys/socket.h>
#include <unistd.h>

#include "http_core.h"
#include "server.h"

int server_reject_iov(const struct page_cache *pc, const struct http_clock *clk,
		      struct iovec iov[3])
{
	struct http_reply r = { .page = page_cache_error(pc, 503), .close = true };

	return http_reply_iov(&r, clk, iov);
}

size_t server_reject(const struct page_cache *pc, const struct http_clock *clk, int fd)
{
	struct iovec iov[3];
	struct msghdr m = { .msg_iov = iov };
	ssize_t sent;

	m.msg_iovlen = (size_t)server_reject_iov(pc, clk, iov);
	/* Never blocking the accepting thread: a fresh socket's buffer takes
	 * the whole page, and if it does not, the close alone tells the
	 * client (MSG_NOSIGNAL: a client gone already is no SIGPIPE). */
	sent = sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
	return sent > 0 ? (size_t)sent : 0;
}
