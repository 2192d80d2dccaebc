/* Stopping on SIGINT/SIGTERM: a flag for loops that poll, and an eventfd
 * for loops that sleep in epoll/poll/io_uring, so they wake at once. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "server.h"

/* Written only by the signal handler, read by every worker: the one piece of
 * process-wide state, and it only ever goes from 0 to 1. Atomic (lock-free,
 * so async-signal-safe) rather than volatile sig_atomic_t, because other
 * threads read it too: TSan rightly calls the volatile version a race. */
static atomic_int stop_requested;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "stop flag must be lock-free");
static int stop_fd = -1;

static void on_stop_signal(int sig)
{
	int saved = errno;

	if (atomic_load_explicit(&stop_requested, memory_order_relaxed)) {
		/* A second signal: the user wants out now, whatever is stuck. */
		static const char msg[] = "second stop signal: exiting at once\n";
		ssize_t r = write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)r;
		_exit(128 + sig);
	}
	atomic_store_explicit(&stop_requested, 1, memory_order_relaxed);
	if (stop_fd >= 0) {
		uint64_t one = 1;
		ssize_t r = write(stop_fd, &one, sizeof(one)); /* async-signal-safe */
		(void)r;
	}
	errno = saved;
}

void server_install_signals(void)
{
	struct sigaction sa;

	stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (stop_fd < 0) {
		fprintf(stderr, "%s: eventfd: %s\n", program_invocation_short_name, strerror(errno));
		exit(1);
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = 0; /* no SA_RESTART: blocking calls return EINTR */
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0) {
		fprintf(stderr, "%s: sigaction: %s\n", program_invocation_short_name, strerror(errno));
		exit(1);
	}
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0) {
		fprintf(stderr, "%s: sigaction SIGPIPE: %s\n", program_invocation_short_name, strerror(errno));
		exit(1);
	}
}

bool server_stopping(void)
{
	return atomic_load_explicit(&stop_requested, memory_order_relaxed) != 0;
}

int server_stop_fd(void)
{
	return stop_fd;
}
