/* Stopping, on SIGINT/SIGTERM or a worker's fatal error: a flag for loops
 * that poll, and an eventfd for loops that sleep in epoll/poll/io_uring, so
 * they wake at once. A failure also keeps its one line for main to print:
 * worker threads never exit(), which would tear the process down under the
 * other workers (an XDP program half detached, counters never printed). */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "server.h"

/* Written only by the signal handler, read by every worker; it only ever
 * goes from 0 to 1. Atomic (lock-free,
 * so async-signal-safe) rather than volatile sig_atomic_t, because other
 * threads read it too: TSan rightly calls the volatile version a race. */
static atomic_int stop_requested;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "stop flag must be lock-free");
static int stop_fd = -1;

/* A worker's failure: the same kind of state as the stop flag, set once
 * (the first failure wins) and read by main after the workers ended. Kept
 * apart from stop_requested so a user's first Ctrl-C after a failure is
 * still a clean stop, not "a second signal". */
static atomic_int worker_failed;
static pthread_mutex_t failure_lock = PTHREAD_MUTEX_INITIALIZER;
static char failure_line[512];

static void wake_workers(void)
{
	if (stop_fd >= 0) {
		uint64_t one = 1;
		ssize_t r = write(stop_fd, &one, sizeof(one)); /* async-signal-safe */
		(void)r;
	}
}

static void on_stop_signal(int sig)
{
	int saved = errno;

	if (atomic_load_explicit(&stop_requested, memory_order_relaxed)) {
		/* A second signal: the user wants out now, whatever is stuck.
		 * write() and strlen() only: both async-signal-safe. */
		static const char msg[] = ": second stop signal: exiting at once\n";
		const char *prog = program_invocation_short_name;
		ssize_t r = write(STDERR_FILENO, prog, strlen(prog));
		r = write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)r;
		_exit(128 + sig);
	}
	atomic_store_explicit(&stop_requested, 1, memory_order_relaxed);
	wake_workers();
	errno = saved;
}

void server_install_signals(void)
{
	struct sigaction sa;

	stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (stop_fd < 0) {
		fprintf(stderr, "%s: eventfd: %s\n", program_invocation_short_name, strerror(errno));
		exit(SERVER_EXIT_FAILURE);
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = 0; /* no SA_RESTART: blocking calls return EINTR */
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0) {
		fprintf(stderr, "%s: sigaction: %s\n", program_invocation_short_name, strerror(errno));
		exit(SERVER_EXIT_FAILURE);
	}
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0) {
		fprintf(stderr, "%s: sigaction SIGPIPE: %s\n", program_invocation_short_name, strerror(errno));
		exit(SERVER_EXIT_FAILURE);
	}
}

bool server_stopping(void)
{
	return atomic_load_explicit(&stop_requested, memory_order_relaxed) != 0 ||
	       atomic_load_explicit(&worker_failed, memory_order_relaxed) != 0;
}

int server_stop_fd(void)
{
	return stop_fd;
}

void server_worker_failed(int worker, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&failure_lock);
	if (!failure_line[0]) {
		int n = snprintf(failure_line, sizeof(failure_line), "worker %d: ", worker);

		va_start(ap, fmt);
		vsnprintf(failure_line + n, sizeof(failure_line) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&failure_lock);
	atomic_store_explicit(&worker_failed, 1, memory_order_relaxed);
	wake_workers();
}

int server_exit_code(const struct server_options *o)
{
	if (!atomic_load_explicit(&worker_failed, memory_order_relaxed))
		return SERVER_EXIT_OK;
	/* The workers have ended: nobody writes the line any more. */
	fflush(stdout);
	pthread_mutex_lock(&failure_lock);
	fprintf(stderr, "%s: %s\n", o->prog, failure_line);
	pthread_mutex_unlock(&failure_lock);
	return SERVER_EXIT_FAILURE;
}
