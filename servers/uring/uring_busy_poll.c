/* httpd-uring --busy-poll USECS: io_uring's own NAPI busy polling. While a
 * worker waits for completions (io_uring_enter with GETEVENTS) the kernel
 * polls the NAPI contexts of the ring's sockets for up to USECS instead of
 * sleeping until an interrupt (IORING_REGISTER_NAPI, Linux 6.9+, with the
 * contexts tracked as the ring's receives see them). Busy polling needs a
 * NAPI context under the sockets: a NIC queue, or on veth one with GRO or
 * XDP enabled. A kernel without it gets one line and exit 1: a silent
 * fallback would measure the plain ring under a busy label. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "uring.h"

/* liburing 2.3 (Debian 12) has no helper for it and its header no
 * definitions: the kernel's ABI, registered through the raw syscall. */
#define BB_IORING_REGISTER_NAPI 27
struct bb_io_uring_napi {
	uint32_t busy_poll_to;    /* microseconds */
	uint8_t prefer_busy_poll;
	uint8_t opcode;           /* 0: IO_URING_NAPI_REGISTER_OP */
	uint8_t pad[2];
	uint32_t op_param;        /* 0: IO_URING_NAPI_TRACKING_DYNAMIC */
	uint32_t resv;
};

int uring_busy_poll_setup(struct worker *w, char *err, size_t errlen)
{
	struct bb_io_uring_napi n = {
		.busy_poll_to = w->cfg->busy_poll_us,
		.prefer_busy_poll = 1,
	};

	if (syscall(__NR_io_uring_register, w->ring.ring_fd, BB_IORING_REGISTER_NAPI, &n, 1) < 0) {
		if (errno == EINVAL || errno == EOPNOTSUPP)
			snprintf(err, errlen, "--busy-poll: this kernel has no io_uring NAPI busy polling "
				 "(IORING_REGISTER_NAPI, Linux 6.9+): %s", strerror(errno));
		else
			snprintf(err, errlen, "--busy-poll: IORING_REGISTER_NAPI: %s", strerror(errno));
		return -1;
	}
	return 0;
}
