/* CPU lists: see cpu_list.h. */
#include "cpu_list.h"

#include <ctype.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

/* A CPU number: digits only, so "-1", "+1" and " 1" are refused rather
 * than read the way strtol would. */
static const char *parse_cpu(const char *p, long *cpu)
{
	char *end;

	if (!isdigit((unsigned char)*p))
		return NULL;
	*cpu = strtol(p, &end, 10);
	return end;
}

int cpu_list_parse(const char *s, int *cpus, int max, int *n, char *err, size_t errlen)
{
	cpu_set_t seen;
	const char *p = s;

	CPU_ZERO(&seen);
	*n = 0;
	for (;;) {
		long lo, hi;

		if (!(p = parse_cpu(p, &lo)))
			goto bad;
		hi = lo;
		if (*p == '-' && !(p = parse_cpu(p + 1, &hi)))
			goto bad;
		if (hi < lo) {
			snprintf(err, errlen, "'%s': bad range (expected LOW-HIGH, LOW <= HIGH)", s);
			return -1;
		}
		for (long c = lo; c <= hi; c++) {
			if (c >= CPU_SETSIZE) {
				snprintf(err, errlen, "'%s': CPU %ld is past the last possible one (%d)",
					 s, c, CPU_SETSIZE - 1);
				return -1;
			}
			if (CPU_ISSET(c, &seen)) {
				snprintf(err, errlen, "'%s': CPU %ld listed twice", s, c);
				return -1;
			}
			if (*n == max) {
				snprintf(err, errlen, "'%s': more than %d CPUs", s, max);
				return -1;
			}
			CPU_SET(c, &seen);
			cpus[(*n)++] = (int)c;
		}
		if (*p != ',')
			break;
		p++;
	}
	if (*p == '\0')
		return 0;
bad:
	snprintf(err, errlen, "'%s': expected a list like 1 or 0,2-3", s);
	return -1;
}

void cpu_list_format(const int *cpus, int n, char *buf, size_t len)
{
	size_t used = 0;
	int i = 0;

	buf[0] = '\0';
	while (i < n && used < len) {
		int j = i;
		while (j + 1 < n && cpus[j + 1] == cpus[j] + 1)
			j++;
		int w = j > i ? snprintf(buf + used, len - used, "%s%d-%d", i ? "," : "", cpus[i], cpus[j])
			      : snprintf(buf + used, len - used, "%s%d", i ? "," : "", cpus[i]);
		if (w < 0)
			break;
		used += (size_t)w;
		i = j + 1;
	}
}
