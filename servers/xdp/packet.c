/* Ethernet + IPv4 + TCP: validating what comes in, building what goes out. */
#include "packet.h"

#include <arpa/inet.h>
#include "checksum.h"

uint32_t ns_pseudo_sum(uint32_t saddr, uint32_t daddr)
{
	uint32_t s = csum_partial(&saddr, 4, 0);
	s = csum_partial(&daddr, 4, s);
	return csum_add(s, htons(IPPROTO_TCP_NUM));
}

int ns_parse_frame(struct netstack_stats *st, uint32_t our_ip,
		   uint16_t our_port, const uint8_t *f, size_t len,
		   struct ns_rx_segment *seg)
{
	if (len < ETH_HDR_LEN + IPV4_HDR_LEN) {
		st->bad_frame++;
		return -1;
	}
	if (get_be16(f + 12) != ETHERTYPE_IPV4) {
		st->not_ours++; /* ARP, IPv6, VLAN: the kernel's */
		return -1;
	}
	const uint8_t *ip = f + ETH_HDR_LEN;
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
	size_t ip_len = get_be16(ip + 2);
	/* The IP total length may be shorter than the frame (Ethernet pads
	 * to 60 bytes) but never longer. */
	if ((ip[0] >> 4) != 4 || ihl < IPV4_HDR_LEN || ip_len < ihl ||
	    ip_len > len - ETH_HDR_LEN) {
		st->bad_frame++;
		return -1;
	}
	if (csum_fold(csum_partial(ip, ihl, 0)) != 0) {
		st->bad_ip_csum++;
		return -1;
	}
	uint32_t daddr, saddr;
	memcpy(&saddr, ip + 12, 4);
	memcpy(&daddr, ip + 16, 4);
	if (ip[9] != IPPROTO_TCP_NUM || daddr != our_ip) {
		st->not_ours++;
		return -1;
	}
	/* MF set or a non-zero offset: a fragment. Peers honour our MSS and
	 * we set DF, so fragments are a misconfiguration or an attack. */
	if (get_be16(ip + 6) & 0x3fff) {
		st->ip_fragments++;
		return -1;
	}
	/* A source we can never answer: broadcast, multicast, zero. The same
	 * for a group source MAC (I/G bit set): no station sends from one, and
	 * since replies go to the frame's source MAC, answering would put a
	 * spoofed frame's reply on every port of the segment. */
	uint8_t s0 = ((const uint8_t *)&saddr)[0];
	if (saddr == 0 || saddr == 0xffffffff || (s0 & 0xf0) == 0xe0 || (f[6] & 1)) {
		st->bad_frame++;
		return -1;
	}
	const uint8_t *tcp = ip + ihl;
	size_t tcp_len = ip_len - ihl;
	if (tcp_len < TCP_HDR_LEN) {
		st->bad_frame++;
		return -1;
	}
	size_t doff = (size_t)(tcp[12] >> 4) * 4;
	if (doff < TCP_HDR_LEN || doff > tcp_len) {
		st->bad_frame++;
		return -1;
	}
	if (get_be16(tcp + 2) != our_port) {
		st->not_ours++;
		return -1;
	}
	uint32_t sum = ns_pseudo_sum(saddr, daddr);
	sum = csum_add(sum, htons((uint16_t)tcp_len));
	if (csum_fold(csum_partial(tcp, tcp_len, sum)) != 0) {
		st->bad_tcp_csum++;
		return -1;
	}
	memcpy(seg->src_mac, f + 6, 6);
	seg->saddr = saddr;
	seg->daddr = daddr;
	seg->sport = get_be16(tcp);
	seg->dport = our_port;
	seg->tcp = tcp;
	seg->tcp_len = tcp_len;
	seg->tcp_hdr_len = doff;
	return 0;
}

size_t ns_build_eth_ipv4(uint8_t *p, const uint8_t src_mac[6],
			 const uint8_t dst_mac[6], uint32_t saddr,
			 uint32_t daddr, uint16_t ip_id, uint16_t ip_len)
{
	memcpy(p, dst_mac, 6);
	memcpy(p + 6, src_mac, 6);
	put_be16(p + 12, ETHERTYPE_IPV4);
	uint8_t *ip = p + ETH_HDR_LEN;
	ip[0] = 0x45;
	ip[1] = 0;
	put_be16(ip + 2, ip_len);
	put_be16(ip + 4, ip_id);
	put_be16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_TCP_NUM;
	ip[10] = ip[11] = 0;
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	uint16_t check = csum_fold(csum_partial(ip, IPV4_HDR_LEN, 0));
	memcpy(ip + 10, &check, 2);
	return ETH_HDR_LEN + IPV4_HDR_LEN;
}
