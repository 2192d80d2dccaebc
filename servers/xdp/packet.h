/* Ethernet + IPv4 + TCP wire formats: validation of received frames and
 * the building of the headers we send. Byte offsets and memcpy, so frames
 * at any alignment are fine. */
#ifndef BB_PACKET_H
#define BB_PACKET_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "netstack.h"

#define ETH_HDR_LEN 14
#define IPV4_HDR_LEN 20
#define TCP_HDR_LEN 20
#define ETHERTYPE_IPV4 0x0800
#define IPPROTO_TCP_NUM 6

/* Reads and writes of wire fields, in network byte order. */
static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

/* A TCP segment found in a frame, checksums verified. */
struct ns_rx_segment {
	uint8_t src_mac[6];
	uint32_t saddr, daddr;       /* network order, as on the wire */
	uint16_t sport, dport;       /* host order */
	const uint8_t *tcp;          /* TCP header */
	size_t tcp_len;              /* header + payload */
	size_t tcp_hdr_len;
};

/* Returns 0 and fills *seg, or -1 after counting why the frame was dropped
 * (bad_frame, bad_ip_csum, bad_tcp_csum, ip_fragments, not_ours). */
int ns_parse_frame(struct netstack_stats *st, uint32_t our_ip,
		   uint16_t our_port, const uint8_t *frame, size_t len,
		   struct ns_rx_segment *seg);

/* Writes Ethernet + IPv4 headers (IP checksum included) for an IP packet of
 * ip_len bytes carrying TCP. Returns the bytes written (34). */
size_t ns_build_eth_ipv4(uint8_t *p, const uint8_t src_mac[6],
			 const uint8_t dst_mac[6], uint32_t saddr,
			 uint32_t daddr, uint16_t ip_id, uint16_t ip_len);

/* Partial sum of the TCP pseudo-header without the length: the two
 * addresses (network order) and the protocol. */
uint32_t ns_pseudo_sum(uint32_t saddr, uint32_t daddr);

#endif
