/* Internet checksum: 64-bit accumulation of 32-bit loads.
 *
 * The ones'-complement sum is byte-order independent (RFC 1071 2.B), so
 * summing native-endian 32-bit words and folding gives the sum of the
 * big-endian 16-bit words as they lie in memory. Adding 32-bit words into
 * a 64-bit accumulator cannot overflow for 2^32 words, so the carries are
 * folded once at the end instead of on every add. */
#include "checksum.h"

#include <string.h>

static inline uint32_t fold64(uint64_t s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	return (uint32_t)s;
}

uint32_t csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const unsigned char *p = buf;
	uint64_t a = sum, b = 0, c = 0, d = 0;
	uint32_t w[4];

	/* Four independent accumulators keep the adds off one dependency
	 * chain; memcpy makes unaligned loads legal and compiles to movs. */
	while (len >= 64) {
		for (int i = 0; i < 4; i++) {
			memcpy(w, p + 16 * i, 16);
			a += w[0];
			b += w[1];
			c += w[2];
			d += w[3];
		}
		p += 64;
		len -= 64;
	}
	while (len >= 4) {
		memcpy(w, p, 4);
		a += w[0];
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t h;
		memcpy(&h, p, 2);
		b += h;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* The odd last byte is the high byte of a big-endian word:
		 * where that byte sits in a native 16-bit load. */
		uint16_t h = 0;
		memcpy(&h, p, 1);
		c += h;
	}
	/* Each accumulator is below 2^62 for any realistic len: fold each
	 * to 33 bits before adding them up. */
	uint64_t s = (a & 0xffffffff) + (a >> 32);
	s += (b & 0xffffffff) + (b >> 32);
	s += (c & 0xffffffff) + (c >> 32);
	s += (d & 0xffffffff) + (d >> 32);
	return fold64(s);
}

uint32_t csum_partial_ref(const void *buf, size_t len, uint32_t sum)
{
	const unsigned char *p = buf;
	uint64_t s = 0;
	uint16_t w;

	/* Words read in native order, like csum_partial, so results compare. */
	for (; len >= 2; p += 2, len -= 2) {
		memcpy(&w, p, 2);
		s += w;
	}
	if (len) {
		w = 0;
		memcpy(&w, p, 1);
		s += w;
	}
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	return csum_add((uint32_t)s, sum);
}
