/* Monotonic time for timeouts and timers, read the same way by every engine.
 *
 * mono_ms() reads CLOCK_MONOTONIC_COARSE: the time of the last timer tick
 * (1 to 4 ms old), a vDSO read without a syscall, cheap enough for once per
 * loop turn and fine enough for idle and linger timeouts of 100 ms and more.
 * mono_ns() reads CLOCK_MONOTONIC at full resolution, for the userspace TCP
 * stack, whose round-trip samples and retransmission timers need better than
 * a tick. Neither can fail for these clocks, so neither reports errors. */
#ifndef BB_MONO_CLOCK_H
#define BB_MONO_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
