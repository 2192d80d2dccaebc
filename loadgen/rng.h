/* splitmix64: a tiny, fast, well-mixed generator. One per worker thread, seeded
 * from --seed and the thread index, so a run's path sequence is reproducible. */
#ifndef LG_RNG_H
#define LG_RNG_H

#include <stdint.h>

struct rng {
	uint64_t state;
};

static inline void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	r->state = seed ^ (stream * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull);
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) by multiply-shift (Lemire): no division per request; the
 * bias is below n / 2^64, far under anything a benchmark could notice. */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

#endif
