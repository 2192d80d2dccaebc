/* httpd-epoll --busy-poll USECS: the kernel's receive path polled from the
 * worker's epoll_wait instead of waiting for an interrupt.
 *
 * Two settings, both needed: the epoll instance's own busy-poll parameters
 * (EPIOCSPARAMS, Linux 6.9+: how long epoll_wait polls the NAPI context of
 * its sockets before sleeping, and that it prefers polling to interrupts),
 * and SO_BUSY_POLL + SO_PREFER_BUSY_POLL on the listener, which every
 * accepted socket inherits. Busy polling needs a NAPI context under the
 * sockets: a real NIC's queue, or on veth one with GRO or XDP enabled
 * (docs/sweeps.md). A kernel without EPIOCSPARAMS gets one line and exit 1:
 * a silent fallback would measure the default kernel under a busy label. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "epoll_worker.h"

/* Debian 12's headers predate them (Linux 6.9). */
struct bb_epoll_params {
	uint32_t busy_poll_usecs;
	uint16_t busy_poll_budget;
	uint8_t prefer_busy_poll;
	uint8_t pad;
};
#ifndef EPIOCSPARAMS
#define EPIOCSPARAMS _IOW(0x8A, 0x01, struct bb_epoll_params)
#endif
#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif

/* Packets per NAPI poll from epoll_wait: the kernel's default busy-poll
 * budget (BUSY_POLL_BUDGET); more needs CAP_NET_ADMIN. */
#define EPOLL_BUSY_POLL_BUDGET 8

int epoll_busy_poll_setup(int epfd, int listen_fd, unsigned usecs, char *err, size_t errlen)
{
	struct bb_epoll_params p = {
		.busy_poll_usecs = usecs,
		.busy_poll_budget = EPOLL_BUSY_POLL_BUDGET,
		.prefer_busy_poll = 1,
	};
	const int one = 1, us = (int)usecs;

	if (ioctl(epfd, EPIOCSPARAMS, &p) < 0) {
		if (errno == ENOTTY || errno == EINVAL)
			snprintf(err, errlen, "--busy-poll: this kernel has no epoll busy-poll parameters "
				 "(EPIOCSPARAMS, Linux 6.9+): %s", strerror(errno));
		else
			snprintf(err, errlen, "--busy-poll: EPIOCSPARAMS: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(listen_fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us)) < 0 ||
	    setsockopt(listen_fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one)) < 0) {
		snprintf(err, errlen, "--busy-poll: SO_BUSY_POLL/SO_PREFER_BUSY_POLL: %s%s", strerror(errno),
			 errno == EPERM ? " (above net.core.busy_poll it needs CAP_NET_ADMIN)" : "");
		return -1;
	}
	return 0;
}
