/* Numbers in engine options: byte counts ("65536", "64K", "1M", "2G", powers
 * of 1024), plain counts, and counts that must be powers of two. Each returns
 * 0, or -1 with one line in err (no option name: the caller's option handler
 * adds it). */
#ifndef BB_PARSE_SIZE_H
#define BB_PARSE_SIZE_H

#include <stddef.h>
#include <stdint.h>

int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out,
	       char *err, size_t errlen);

/* A whole number in [min, max], no suffix. */
int parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		char *err, size_t errlen);

/* parse_count, and a power of two (ring and buffer sizes). */
int parse_pow2(const char *s, uint64_t min, uint64_t max, uint64_t *out,
	       char *err, size_t errlen);

#endif
