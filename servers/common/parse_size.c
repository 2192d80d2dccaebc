/* Byte counts on the command line: see parse_size.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "parse_size.h"

int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out,
	       char *err, size_t errlen)
{
	unsigned long long v;
	uint64_t scale = 1;
	char *end;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		goto bad; /* strtoull would accept " 5" and "-5" */
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		goto bad;
	switch (*end) {
	case 'k': case 'K': scale = 1ULL << 10; end++; break;
	case 'm': case 'M': scale = 1ULL << 20; end++; break;
	case 'g': case 'G': scale = 1ULL << 30; end++; break;
	}
	if (*end == 'i' && scale > 1)
		end++; /* "64Ki" means the same */
	if (*end != '\0')
		goto bad;
	if (v > UINT64_MAX / scale || v * scale < min || v * scale > max) {
		snprintf(err, errlen, "must be between %" PRIu64 " and %" PRIu64 " bytes", min, max);
		return -1;
	}
	*out = v * scale;
	return 0;
bad:
	snprintf(err, errlen, "not a size (expected e.g. 65536, 64K or 1M)");
	return -1;
}
