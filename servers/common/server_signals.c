/* Stopping on SIGINT/SIGTERM: a flag for loops that poll, and an eventfd
 * for loops that sleep in epoll/poll/io_uring, so they wake at once. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "server.h"

/* Written only by the signal handler, read by every worker: the one piece of
 * process-wide state, and it only ever goes from 0 to 1. */
static volatile sig_atomic_t stop_requested;
static int stop_fd = -1;

static void on_stop_signal(int sig)
{
	int saved = errno;

	if (stop_requested) {
		/* A second signal: the user wants out now, whatever is stuck. */
		static const char msg[] = "second stop signal: exiting at once\n";
		ssize_t r = write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)r;
		_exit(128 + sig);
	}
	stop_requested = 1;
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
	return stop_requested != 0;
}

int server_stop_fd(void)
{
	return stop_fd;
}
