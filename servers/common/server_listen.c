/* Listening sockets for the engines that use the kernel's TCP stack. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server.h"

/* listen() silently caps the backlog at net.core.somaxconn. */
#define LISTEN_BACKLOG 65535

static void die_on(const struct server_options *o, const char *what)
{
	char addr[INET_ADDRSTRLEN], msg[128];

	inet_ntop(AF_INET, &o->addr, addr, sizeof(addr));
	snprintf(msg, sizeof(msg), "%s %s:%u", what, addr, o->port);
	server_die_errno(o, msg);
}

static int open_socket(const struct server_options *o, int flags, bool reuseport)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(o->port), .sin_addr = o->addr };
	int one = 1;
	int type = SOCK_STREAM | SOCK_CLOEXEC | (flags & SERVER_LISTEN_NONBLOCK ? SOCK_NONBLOCK : 0);
	int fd = socket(AF_INET, type, 0);

	if (fd < 0)
		server_die_errno(o, "socket");
	/* SO_REUSEADDR: restart at once despite TIME_WAIT connections of a previous run. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		server_die_errno(o, "setsockopt SO_REUSEADDR");
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		server_die_errno(o, "setsockopt SO_REUSEPORT");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die_on(o, "bind");
	return fd;
}

void server_listen_group(const struct server_options *o, int flags, int n, int *fds)
{
	bool reuseport = flags & SERVER_LISTEN_REUSEPORT;

	if (reuseport) {
		/* Two SO_REUSEPORT sockets of one user may share a port, so a
		 * server left running would silently get half our connections.
		 * A bind without SO_REUSEPORT fails on any listener there. */
		int probe = open_socket(o, 0, false);
		close(probe);
	} else if (n > 1) {
		errno = EINVAL;
		server_die_errno(o, "several listening sockets need SERVER_LISTEN_REUSEPORT");
	}
	/* Listened in worker order: the reuseport group's index of each. */
	for (int i = 0; i < n; i++) {
		fds[i] = open_socket(o, flags, reuseport);
		if (listen(fds[i], LISTEN_BACKLOG) < 0)
			die_on(o, "listen");
	}
	if ((flags & SERVER_LISTEN_CPU_LOCAL) && n > 1)
		server_steer_by_cpu(o, fds[0], n);
}
