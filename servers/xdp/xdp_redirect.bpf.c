// SPDX-License-Identifier: GPL-2.0
/* The XDP side of httpd-xdp: IPv4 TCP for the server's address and port goes
 * to the AF_XDP socket of the queue it arrived on; everything else (ARP,
 * ICMP, other addresses and ports) goes on to the kernel, so the host stays
 * reachable and keeps answering ARP for the address the userspace stack uses.
 *
 * "xdp.frags": the program accepts multi-buffer frames, which the kernel
 * needs before it lets a veth (or a NIC) run XDP with an MTU above one page.
 * Only the first buffer is visible through ctx->data; the headers are there. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* Set by the loader before the program is loaded (network byte order). */
const volatile __u32 server_addr = 0;
const volatile __u16 server_port = 0;

/* Queue index -> AF_XDP socket. The loader sizes it to the queue count. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

SEC("xdp.frags")
int xdp_redirect_tcp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct tcphdr *tcp;
	__u32 ihl;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	if (ip->protocol != IPPROTO_TCP || ip->daddr != server_addr)
		return XDP_PASS;
	/* Fragments carry no port to match on; the kernel could not deliver
	 * them to anyone either (it has no listener on our port), so they go
	 * to the userspace stack, which drops and counts them. */
	if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
	ihl = ip->ihl * 4;
	if (ihl < sizeof(*ip))
		return XDP_PASS;
	tcp = (void *)ip + ihl;
	if ((void *)(tcp + 1) > end || tcp->dest != server_port)
		return XDP_PASS;
	return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
