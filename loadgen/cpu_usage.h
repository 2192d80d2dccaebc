/* CPU accounting for one measured window.
 *
 * Three views, because on veth they differ (ARCHITECTURE.md):
 *  - loadgen's own threads: user/sys from getrusage(RUSAGE_THREAD), taken by
 *    each thread itself at the start and end of its measured window;
 *  - whole CPUs from /proc/stat (global, not namespaced): the client CPUs
 *    (--cpus) and the server CPUs (--server-cpus) - these include softirq
 *    work done on behalf of the other side;
 *  - the server process (--server-pid): utime + stime from /proc/PID/stat.
 * Definitions match scripts/lib/cpustat.sh: user = user+nice, sys =
 * system+irq, softirq, idle = idle+iowait, steal counts as busy. */
#ifndef LG_CPU_USAGE_H
#define LG_CPU_USAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CPU_LIST_MAX 1024

struct cpu_times {
	uint64_t user, sys, softirq, idle, steal; /* clock ticks, summed */
};

struct cpu_share {
	double user_pct, sys_pct, softirq_pct, idle_pct;
	double busy_pct;   /* 100 - idle */
	double busy_s;     /* CPU-seconds not idle (user+sys+softirq+steal) */
	double work_s;     /* CPU-seconds of work (user+sys+softirq, no steal) */
	double total_s;    /* CPU-seconds in the window, idle included (to pool hosts) */
};

/* Sums the /proc/stat lines of the given CPUs. Returns 0, or -1 with err. */
int cpu_times_read(const int *cpus, int ncpus, struct cpu_times *out, char *err, size_t errlen);
void cpu_times_share(const struct cpu_times *before, const struct cpu_times *after,
		     struct cpu_share *out);

/* The calling thread's user and system time, in microseconds. */
int thread_cpu_us(uint64_t *user_us, uint64_t *sys_us);

/* utime + stime of a process (all its threads), in microseconds. */
int process_cpu_us(pid_t pid, uint64_t *us, char *err, size_t errlen);

#endif
