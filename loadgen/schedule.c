/* Open-loop schedule arithmetic: see schedule.h. */
#include "schedule.h"

#define NS_PER_KS 1000000000000ull /* ns in 1000 s: rate_milli is per 1000 s */

void schedule_init(struct schedule *s, uint64_t t0_ns, uint64_t rate_milli,
		   uint32_t stride, uint32_t offset)
{
	s->t0_ns = t0_ns;
	s->rate_milli = rate_milli ? rate_milli : 1;
	s->stride = stride ? stride : 1;
	s->offset = offset;
	s->next = 0;
}

uint64_t schedule_time(const struct schedule *s, uint64_t k)
{
	unsigned __int128 j = (unsigned __int128)k * s->stride + s->offset;
	return s->t0_ns + (uint64_t)(j * NS_PER_KS / s->rate_milli);
}

uint64_t schedule_due(const struct schedule *s, uint64_t now)
{
	if (now < s->t0_ns)
		return 0;
	/* The largest global j with floor(j * K / rate) <= elapsed (K = 1e12)
	 * is the largest with j * K < (elapsed + 1) * rate, that is
	 * floor(((elapsed + 1) * rate - 1) / K). */
	unsigned __int128 elapsed = now - s->t0_ns;
	unsigned __int128 jmax = ((elapsed + 1) * s->rate_milli - 1) / NS_PER_KS;
	/* Thread's requests: j = k * stride + offset <= jmax. */
	if (jmax < s->offset)
		return 0;
	return (uint64_t)((jmax - s->offset) / s->stride) + 1;
}
