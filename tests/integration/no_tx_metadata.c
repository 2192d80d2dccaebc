/* LD_PRELOAD shim for test_xdp_lifecycle.sh: a kernel without AF_XDP tx
 * metadata (before 6.10), as seen from user space. A UMEM registration
 * that asks for it (XDP_UMEM_TX_METADATA_LEN) fails with EINVAL, exactly
 * as an older kernel refuses the unknown flag; every other call goes
 * through. That exercises httpd-xdp's fallback (--csum auto) and its
 * refusal (--csum offload) on a kernel that supports both. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#define XDP_UMEM_REG_OPT 4             /* XDP_UMEM_REG */
#define UMEM_FLAGS_OFFSET 24           /* struct xdp_umem_reg: addr, len, chunk_size, headroom, flags */
#define UMEM_TX_METADATA_LEN (1u << 2) /* XDP_UMEM_TX_METADATA_LEN */

int setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen)
{
	static int (*real)(int, int, int, const void *, socklen_t);
	uint32_t flags;

	if (!real)
		real = (int (*)(int, int, int, const void *, socklen_t))dlsym(RTLD_NEXT, "setsockopt");
	if (level == SOL_XDP && optname == XDP_UMEM_REG_OPT && optval &&
	    optlen >= UMEM_FLAGS_OFFSET + sizeof(flags)) {
		memcpy(&flags, (const char *)optval + UMEM_FLAGS_OFFSET, sizeof(flags));
		if (flags & UMEM_TX_METADATA_LEN) {
			errno = EINVAL;
			return -1;
		}
	}
	return real(fd, level, optname, optval, optlen);
}
