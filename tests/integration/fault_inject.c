/* fault_inject: attaches tests/integration/fault_inject.bpf.c to an
 * interface's tc ingress and egress hooks, waits for SIGINT/SIGTERM, then
 * prints what it did and detaches.
 *
 *   fault_inject --ifname IF [--egress-drop PCT] [--egress-dup PCT]
 *                [--ingress-drop PCT]
 *
 * PCT is a percentage with up to two decimals (0.01 = 1 in 10000). Prints
 * "ready" once attached, and at exit one line
 * "faults egress_seen=N egress_dropped=N egress_duplicated=N ingress_seen=N
 * ingress_dropped=N". Runs inside the namespace of the interface. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault_inject.skel.h"

#define PROG "fault_inject"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

_Noreturn static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint32_t parse_pct(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0 || v > 100)
		die("--%s '%s': expected a percentage from 0 to 100", opt, s);
	return (uint32_t)(v * 100 + 0.5);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ifname", required_argument, NULL, 'i' },
		{ "egress-drop", required_argument, NULL, 'd' },
		{ "egress-dup", required_argument, NULL, 'u' },
		{ "ingress-drop", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t egress_drop = 0, egress_dup = 0, ingress_drop = 0;
	const char *ifname = NULL;
	struct fault_inject *skel;
	int c, rc, ifindex;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 'd': egress_drop = parse_pct("egress-drop", optarg); break;
		case 'u': egress_dup = parse_pct("egress-dup", optarg); break;
		case 'r': ingress_drop = parse_pct("ingress-drop", optarg); break;
		default: die("usage: " PROG " --ifname IF [--egress-drop PCT] [--egress-dup PCT] "
			     "[--ingress-drop PCT]");
		}
	}
	if (!ifname)
		die("--ifname IF is required");
	if (egress_drop + egress_dup > 10000)
		die("--egress-drop + --egress-dup exceed 100%%");
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex)
		die("interface %s: %s", ifname, strerror(errno));
	libbpf_set_print(quiet_libbpf);

	skel = fault_inject__open();
	if (!skel)
		die("opening the BPF object: %s", strerror(errno));
	skel->rodata->egress_drop = egress_drop;
	skel->rodata->egress_dup = egress_dup;
	skel->rodata->ingress_drop = ingress_drop;
	rc = fault_inject__load(skel);
	if (rc)
		die("loading the BPF programs: %s", strerror(-rc));

	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	rc = bpf_tc_hook_create(&hook);
	if (rc && rc != -EEXIST)
		die("creating the clsact qdisc on %s: %s", ifname, strerror(-rc));
	LIBBPF_OPTS(bpf_tc_opts, eg, .prog_fd = bpf_program__fd(skel->progs.fault_egress));
	LIBBPF_OPTS(bpf_tc_opts, in, .prog_fd = bpf_program__fd(skel->progs.fault_ingress));
	LIBBPF_OPTS(bpf_tc_hook, eg_hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_hook, in_hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	rc = bpf_tc_attach(&eg_hook, &eg);
	if (!rc)
		rc = bpf_tc_attach(&in_hook, &in);
	if (rc) {
		bpf_tc_hook_destroy(&hook);
		die("attaching to tc on %s: %s", ifname, strerror(-rc));
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		usleep(50 * 1000); /* pause() could miss a signal that came just before */

	int ncpu = libbpf_num_possible_cpus();
	uint64_t total[5] = { 0 };
	uint64_t *vals = calloc((size_t)(ncpu > 0 ? ncpu : 1), sizeof(*vals));
	for (uint32_t k = 0; vals && k < 5; k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.counters), &k, vals))
			continue;
		for (int cpu = 0; cpu < ncpu; cpu++)
			total[k] += vals[cpu];
	}
	free(vals);
	/* Removing the clsact qdisc takes both filters with it. */
	bpf_tc_hook_destroy(&hook);
	fault_inject__destroy(skel);
	printf("faults egress_seen=%" PRIu64 " egress_dropped=%" PRIu64 " egress_duplicated=%" PRIu64
	       " ingress_seen=%" PRIu64 " ingress_dropped=%" PRIu64 "\n",
	       total[0], total[1], total[2], total[3], total[4]);
	return 0;
}
