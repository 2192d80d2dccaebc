/* LD_PRELOAD shim for test_busy_poll.sh: a kernel without busy-poll
 * support (before 6.9), as seen from user space. epoll's EPIOCSPARAMS ioctl
 * fails with ENOTTY and io_uring's IORING_REGISTER_NAPI with EINVAL, as an
 * older kernel answers an unknown request; every other call goes through.
 * That exercises the servers' refusal on a kernel that has both. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#define EPIOCSPARAMS_REQ _IOW(0x8A, 0x01, char[8]) /* struct epoll_params: 8 bytes */
#define IORING_REGISTER_NAPI_OP 27

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	if (req == EPIOCSPARAMS_REQ) {
		errno = ENOTTY;
		return -1;
	}
	return real(fd, req, arg);
}

long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	if (nr == __NR_io_uring_register && a[1] == IORING_REGISTER_NAPI_OP) {
		errno = EINVAL;
		return -1;
	}
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
