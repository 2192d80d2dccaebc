/* Numbers in engine options: see parse_size.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "parse_size.h"

/* strtoull would accept " 5" and "-5": insist on a leading digit. */
static bool read_digits(const char *s, unsigned long long *v, char **end)
{
	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	*v = strtoull(s, end, 10);
	return errno == 0;
}

int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out,
	       char *err, size_t errlen)
{
	unsigned long long v;
	uint64_t scale = 1;
	char *end;

	if (!read_digits(s, &v, &end))
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

int parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		char *err, size_t errlen)
{
	unsigned long long v;
	char *end;

	if (!read_digits(s, &v, &end) || *end != '\0' || v < min || v > max) {
		snprintf(err, errlen, "expected a whole number from %" PRIu64 " to %" PRIu64, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int parse_pow2(const char *s, uint64_t min, uint64_t max, uint64_t *out,
	       char *err, size_t errlen)
{
	if (parse_count(s, min, max, out, err, errlen) < 0)
		return -1;
	if (*out & (*out - 1)) {
		snprintf(err, errlen, "must be a power of two");
		return -1;
	}
	return 0;
}
