/* CPU lists on the command line ("0,2-3"), as the servers' --cpus and the
 * load generator's --cpus / --server-cpus take them. */
#ifndef BB_CPU_LIST_H
#define BB_CPU_LIST_H

#include <stddef.h>

/* "0,2-3" -> cpus[] in the order given, *n of them. Each CPU must be below
 * CPU_SETSIZE and listed once (a CPU twice would be counted twice when its
 * time is summed). Returns 0, or -1 with one line in err, which names the
 * list but not the option: the caller adds that. */
int cpu_list_parse(const char *s, int *cpus, int max, int *n, char *err, size_t errlen);

/* The inverse: runs of consecutive CPUs folded ("0,2-3"); "" for none. */
void cpu_list_format(const int *cpus, int n, char *buf, size_t len);

#endif
