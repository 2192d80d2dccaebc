/* The one 64-bit mixer the project's hashes share. */
#ifndef BB_HASH_H
#define BB_HASH_H

#include <stdint.h>

/* murmur3's finaliser (fmix64): every input bit reaches every output bit,
 * so a table may keep only the low bits of a weak hash passed through it. */
static inline uint64_t hash_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

#endif
