/* Monotonic time in nanoseconds: the one clock every loadgen timestamp uses. */
#ifndef LG_CLOCK_H
#define LG_CLOCK_H

#include <stdint.h>
#include <time.h>

#define NS_PER_US 1000ull
#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	/* vDSO: no syscall, ~20 ns, cheap enough to call per event. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

#endif
