/* Byte counts on the command line: "65536", "64K", "1M", "2G" (powers of 1024). */
#ifndef BB_PARSE_SIZE_H
#define BB_PARSE_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* Parses `s` into *out. Returns 0, or -1 with one line in err (no option
 * name: the caller's option handler adds it). */
int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out,
	       char *err, size_t errlen);

#endif
