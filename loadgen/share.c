/* Several client hosts: see share.h. */
#include "share.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"

int share_parse(const char *s, int *index, int *count)
{
	char *end;
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	long i = strtol(s, &end, 10);
	if (errno || *end != '/' || !isdigit((unsigned char)end[1]))
		return -1;
	long n = strtol(end + 1, &end, 10);
	if (errno || *end || n < 1 || n > SHARE_MAX || i < 1 || i > n)
		return -1;
	*index = (int)i - 1;
	*count = (int)n;
	return 0;
}

int share_connections(int total, int index, int count)
{
	return total / count + (index < total % count);
}

uint64_t realtime_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

int start_at_parse(const char *s, uint64_t *realtime_ns, char *why, size_t whylen)
{
	char *end;
	errno = 0;
	double t = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(t) || t <= 0) {
		snprintf(why, whylen, "expected seconds since the epoch, e.g. $(date +%%s) + 3");
		return -1;
	}
	double now = (double)realtime_now_ns() / 1e9;
	if (t < now - START_AT_LATE_S) {
		snprintf(why, whylen, "%.3f s in the past (the hosts' start must be ahead of all of them)",
			 now - t);
		return -1;
	}
	if (t > now + START_AT_AHEAD_S) {
		snprintf(why, whylen, "%.0f s ahead: expected seconds since the epoch, not milliseconds",
			 t - now);
		return -1;
	}
	*realtime_ns = (uint64_t)llround(t * 1e9);
	return 0;
}

int start_at_wait(uint64_t realtime_ns)
{
	struct timespec ts = { .tv_sec = (time_t)(realtime_ns / NS_PER_S),
			       .tv_nsec = (long)(realtime_ns % NS_PER_S) };
	int rc;
	/* Absolute: an interrupted wait resumes to the same instant, and a
	 * wall clock stepped meanwhile is honoured. */
	while ((rc = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL)) == EINTR)
		;
	if (rc) {
		errno = rc; /* clock_nanosleep returns its error, sets no errno */
		return -1;
	}
	return 0;
}
