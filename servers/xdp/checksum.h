/* Internet checksum (RFC 1071) in software: partial sums, folding, block
 * placement at odd offsets, incremental update (RFC 1624).
 *
 * A "partial sum" is a 32-bit value whose folded ones'-complement sum is
 * the sum of the 16-bit big-endian words of the data; it is stored in
 * network byte order like the words themselves, so it can be added to
 * header fields read straight from memory. csum_fold() turns it into the
 * final 16-bit checksum (already complemented), also in network order. */
#ifndef BB_CHECKSUM_H
#define BB_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Ones'-complement sum of buf[0..len) as if buf started at an even offset,
 * added to sum. Returns a partial sum (not complemented). */
uint32_t csum_partial(const void *buf, size_t len, uint32_t sum);

/* 32-bit ones'-complement addition (end-around carry). */
static inline uint32_t csum_add(uint32_t a, uint32_t b)
{
	uint32_t s = a + b;
	return s + (s < b);
}

/* Folds a partial sum to 16 bits, not complemented. */
static inline uint16_t csum_fold16(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The value to store in a checksum field. */
static inline uint16_t csum_fold(uint32_t sum)
{
	return (uint16_t)~csum_fold16(sum);
}

/* Adds the partial sum of a block that sits at byte `offset` of the
 * checksummed data: a block at an odd offset has its bytes swapped. */
static inline uint32_t csum_block_add(uint32_t sum, uint32_t block_sum,
				      size_t offset)
{
	if (offset & 1) {
		uint16_t f = csum_fold16(block_sum);
		block_sum = (uint16_t)((f << 8) | (f >> 8));
	}
	return csum_add(sum, block_sum);
}

/* RFC 1624 eqn. 3: the new checksum field after one 16-bit word of the
 * covered data changed from old_word to new_word (all network order). */
static inline uint16_t csum_replace16(uint16_t check, uint16_t old_word,
				      uint16_t new_word)
{
	uint32_t s = (uint16_t)~check;
	s = csum_add(s, (uint16_t)~old_word);
	s = csum_add(s, new_word);
	return csum_fold(s);
}

/* Same for a 32-bit field (e.g. an address or a sequence number). */
static inline uint16_t csum_replace32(uint16_t check, uint32_t old_word,
				      uint32_t new_word)
{
	uint32_t s = (uint16_t)~check;
	s = csum_add(s, (uint16_t)~(old_word & 0xffff));
	s = csum_add(s, (uint16_t)~(old_word >> 16));
	s = csum_add(s, new_word & 0xffff);
	s = csum_add(s, new_word >> 16);
	return csum_fold(s);
}

/* Straightforward 16-bit-at-a-time reference, for tests and the bench. */
uint32_t csum_partial_ref(const void *buf, size_t len, uint32_t sum);

#endif
