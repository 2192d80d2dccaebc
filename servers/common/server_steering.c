/* SERVER_LISTEN_CPU_LOCAL: a new connection goes to the worker of the CPU
 * that received its SYN, so a connection is served on the CPU whose cache
 * and NAPI context already hold it (the receive path and the server meet on
 * one core, as with a NIC queue per core and its interrupt pinned there).
 * The kernel's default spreads connections over the reuseport group by
 * hash, which on N cores sends N-1 of every N connections across cores.
 *
 * A classic BPF program on the group (SO_ATTACH_REUSEPORT_CBPF) returns
 * the index of the socket to use: the group's sockets are indexed in the
 * order they listened, which server_listen_group keeps as the worker order.
 * The program compares the current CPU with each worker's (--cpus) and
 * returns the first match; a CPU no worker runs on falls back to
 * CPU modulo the worker count. */
#include <errno.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "server.h"

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

void server_steer_by_cpu(const struct server_options *o, int fd, int n)
{
	/* load CPU, then per worker "jeq cpu -> ret i" (3 insns), then the
	 * modulo fallback (2 insns). */
	struct sock_filter *prog = calloc((size_t)(1 + 3 * n + 2), sizeof(*prog));
	int k = 0;

	if (!prog)
		server_die_errno(o, "steering program");
	prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_CPU));
	for (int i = 0; i < n; i++) {
		if (o->ncpus == 0)
			break;
		/* Not this worker's CPU: skip its return (jump over 1). */
		prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
							  (uint32_t)o->cpus[i % o->ncpus], 0, 1);
		prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (uint32_t)i);
	}
	prog[k++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, (uint32_t)n);
	prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);

	struct sock_fprog fprog = { .len = (unsigned short)k, .filter = prog };
	int r = setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &fprog, sizeof(fprog));
	free(prog);
	if (r < 0)
		server_die_errno(o, "setsockopt SO_ATTACH_REUSEPORT_CBPF (connections to the worker of their CPU)");
}

int server_parse_steer(const char *value, bool *cpu, char *err, size_t errlen)
{
	if (strcmp(value, "cpu") == 0 || strcmp(value, "hash") == 0) {
		*cpu = value[0] == 'c';
		return 0;
	}
	snprintf(err, errlen, "expected 'cpu' or 'hash'");
	return -1;
}
