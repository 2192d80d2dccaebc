/* LD_PRELOAD shim for test_contract.sh: a worker whose wait for events
 * fails while it serves, as a kernel error would, to check that every
 * server then stops, prints its counters and exits 1 with one line.
 *
 * Every engine's worker sleeps in one of epoll_wait (httpd-epoll), poll
 * (httpd-tpc's accept threads), ppoll (httpd-xdp) or
 * io_uring_submit_and_wait (httpd-uring; liburing makes the syscall
 * itself, so its library call is the one to take over). Each goes through
 * until the file named by BB_FAIL_WAIT exists; from then on each fails
 * with EIO. Checking a file rather than counting calls lets the test pick
 * the moment: after `ready`, after a page was served. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static bool failing(void)
{
	const char *path = getenv("BB_FAIL_WAIT");

	return path && access(path, F_OK) == 0;
}

static void *next(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (!f)
		abort(); /* the shim cannot stand in for a function it cannot find */
	return f;
}

int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	int (*real)(int, struct epoll_event *, int, int) = next("epoll_wait");

	if (failing()) {
		errno = EIO;
		return -1;
	}
	return real(epfd, events, maxevents, timeout);
}

int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	int (*real)(struct pollfd *, nfds_t, int) = next("poll");

	if (failing()) {
		errno = EIO;
		return -1;
	}
	return real(fds, nfds, timeout);
}

int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *tmo, const sigset_t *mask)
{
	int (*real)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *) =
		next("ppoll");

	if (failing()) {
		errno = EIO;
		return -1;
	}
	return real(fds, nfds, tmo, mask);
}

/* liburing's prototype takes a struct io_uring *; the shim only passes it on. */
int io_uring_submit_and_wait(void *ring, unsigned wait_nr)
{
	int (*real)(void *, unsigned) = next("io_uring_submit_and_wait");

	if (failing())
		return -EIO; /* liburing returns -errno */
	return real(ring, wait_nr);
}
