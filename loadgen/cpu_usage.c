/* CPU accounting: see cpu_usage.h. */
#include "cpu_usage.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static long ticks_per_s(void)
{
	long hz = sysconf(_SC_CLK_TCK);
	return hz > 0 ? hz : 100;
}

int cpu_times_read(const int *cpus, int ncpus, struct cpu_times *out, char *err, size_t errlen)
{
	FILE *f = fopen("/proc/stat", "r");
	char line[512];
	int found = 0;

	memset(out, 0, sizeof(*out));
	if (!f) {
		snprintf(err, errlen, "cannot open /proc/stat: %s", strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		int cpu;
		uint64_t v[8] = { 0 };
		if (sscanf(line, "cpu%d %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %" SCNu64 " %" SCNu64 " %" SCNu64,
			   &cpu, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 8)
			continue; /* the aggregate "cpu " line, or not a cpu line */
		for (int i = 0; i < ncpus; i++) {
			if (cpus[i] != cpu)
				continue;
			out->user += v[0] + v[1];
			out->sys += v[2] + v[5];
			out->idle += v[3] + v[4];
			out->softirq += v[6];
			out->steal += v[7];
			found++;
			break;
		}
	}
	fclose(f);
	if (found != ncpus) {
		snprintf(err, errlen, "/proc/stat lacks some of the %d CPUs asked for", ncpus);
		return -1;
	}
	return 0;
}

void cpu_times_share(const struct cpu_times *a, const struct cpu_times *b, struct cpu_share *o)
{
	double user = (double)(b->user - a->user), sys = (double)(b->sys - a->sys);
	double si = (double)(b->softirq - a->softirq), idle = (double)(b->idle - a->idle);
	double steal = (double)(b->steal - a->steal);
	double total = user + sys + si + idle + steal;
	double hz = (double)ticks_per_s();

	memset(o, 0, sizeof(*o));
	if (total <= 0)
		return;
	o->user_pct = 100.0 * user / total;
	o->sys_pct = 100.0 * sys / total;
	o->softirq_pct = 100.0 * si / total;
	o->idle_pct = 100.0 * idle / total;
	o->busy_pct = 100.0 - o->idle_pct;
	o->busy_s = (user + sys + si + steal) / hz;
	o->work_s = (user + sys + si) / hz;
	o->total_s = total / hz;
}

int thread_cpu_us(uint64_t *user_us, uint64_t *sys_us)
{
	struct rusage ru;
	if (getrusage(RUSAGE_THREAD, &ru) < 0)
		return -1;
	*user_us = (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec;
	*sys_us = (uint64_t)ru.ru_stime.tv_sec * 1000000 + (uint64_t)ru.ru_stime.tv_usec;
	return 0;
}

int process_cpu_us(pid_t pid, uint64_t *us, char *err, size_t errlen)
{
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name is in parentheses and may hold spaces: skip to the
	 * last ')'; utime and stime are fields 14 and 15, i.e. the 12th and
	 * 13th after it. */
	char *p = strrchr(buf, ')');
	unsigned long long ut, st;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) {
		snprintf(err, errlen, "cannot parse %s", path);
		return -1;
	}
	*us = (uint64_t)((ut + st) * 1000000ull / (unsigned long long)ticks_per_s());
	return 0;
}
