/* What httpd-xdp needs to know about the interface it binds: index, MAC,
 * MTU, queue count, and whether the server address is configured on it. */
#ifndef BB_XDP_IFACE_H
#define BB_XDP_IFACE_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct iface_info {
	char name[IFNAMSIZ];
	int ifindex;
	uint8_t mac[6];
	int mtu;
	int rx_queues; /* rx + combined channels; 0 when the driver won't say */
};

/* Fills *info. Returns 0, or -1 with one line in err. */
int iface_query(const char *name, struct iface_info *info, char *err, size_t errlen);

/* 1 if `addr` is one of the interface's IPv4 addresses, 0 if not, -1 with
 * one line in err when the addresses cannot be listed. */
int iface_has_ipv4(const char *name, struct in_addr addr, char *err, size_t errlen);

#endif
