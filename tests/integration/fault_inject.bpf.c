// SPDX-License-Identifier: GPL-2.0
/* Fault injection for the AF_XDP tests, on the client's side of the veth
 * (the kernel of this test box has no netem or gact): tc programs that drop
 * or duplicate a share of IPv4 TCP frames. Rates are per 10000 frames, set
 * by tests/integration/fault_inject.c before loading.
 *
 *   egress  (client -> server): drop (as a loss on the wire: TC_ACT_STOLEN,
 *           so the sender's TCP does not see a local error and simply
 *           retries later), or duplicate (a clone sent out again).
 *   ingress (server -> client): drop. The server side cannot carry this
 *           fault: AF_XDP transmits bypass its qdiscs and tc hooks. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 egress_drop = 0;
const volatile __u32 egress_dup = 0;
const volatile __u32 ingress_drop = 0;

enum { SEEN_EGRESS, DROPPED_EGRESS, DUPLICATED_EGRESS, SEEN_INGRESS, DROPPED_INGRESS, NCOUNTERS };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NCOUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);

	if (c)
		(*c)++;
}

static __always_inline int is_tcp(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return 0;
	return ip->protocol == IPPROTO_TCP;
}

SEC("tc")
int fault_egress(struct __sk_buff *skb)
{
	__u32 r;

	if (!is_tcp(skb))
		return TC_ACT_OK;
	count(SEEN_EGRESS);
	r = bpf_get_prandom_u32() % 10000;
	if (r < egress_drop) {
		count(DROPPED_EGRESS);
		return TC_ACT_STOLEN;
	}
	if (r < egress_drop + egress_dup && bpf_clone_redirect(skb, skb->ifindex, 0) == 0)
		count(DUPLICATED_EGRESS);
	return TC_ACT_OK;
}

SEC("tc")
int fault_ingress(struct __sk_buff *skb)
{
	if (!is_tcp(skb))
		return TC_ACT_OK;
	count(SEEN_INGRESS);
	if (bpf_get_prandom_u32() % 10000 < ingress_drop) {
		count(DROPPED_INGRESS);
		return TC_ACT_SHOT;
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
