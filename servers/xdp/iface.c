/* Interface queries through the classic ioctls and getifaddrs(3): the
 * kernel keeps owning the address (and answers ARP for it); we only read. */
#include "iface.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int iface_ioctl(int fd, unsigned long req, struct ifreq *ifr,
		       const char *what, const char *name, char *err, size_t errlen)
{
	if (ioctl(fd, req, ifr) == 0)
		return 0;
	snprintf(err, errlen, "%s of interface %s: %s", what, name, strerror(errno));
	return -1;
}

int iface_query(const char *name, struct iface_info *info, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd, rc = -1;

	memset(info, 0, sizeof(*info));
	if (strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "interface name '%s' is longer than %d characters",
			 name, IFNAMSIZ - 1);
		return -1;
	}
	snprintf(info->name, sizeof(info->name), "%s", name);
	info->ifindex = (int)if_nametoindex(name);
	if (info->ifindex == 0) {
		snprintf(err, errlen, "interface %s: %s", name,
			 errno == ENODEV ? "no such interface in this network namespace"
					 : strerror(errno));
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket(AF_INET) for interface queries: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (iface_ioctl(fd, SIOCGIFHWADDR, &ifr, "SIOCGIFHWADDR (MAC address)", name, err, errlen))
		goto out;
	memcpy(info->mac, ifr.ifr_hwaddr.sa_data, sizeof(info->mac));
	if (iface_ioctl(fd, SIOCGIFMTU, &ifr, "SIOCGIFMTU", name, err, errlen))
		goto out;
	info->mtu = ifr.ifr_mtu;

	/* Queue count: optional (a driver without ethtool channels still works
	 * on queue 0), so a failure here is not an error. */
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	ifr.ifr_data = (void *)&ch;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0)
		info->rx_queues = (int)(ch.rx_count + ch.combined_count);
	rc = 0;
out:
	close(fd);
	return rc;
}

int iface_has_ipv4(const char *name, struct in_addr addr, char *err, size_t errlen)
{
	struct ifaddrs *list, *a;
	int found = 0;

	if (getifaddrs(&list) < 0) {
		snprintf(err, errlen, "getifaddrs: %s", strerror(errno));
		return -1;
	}
	for (a = list; a; a = a->ifa_next) {
		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || strcmp(a->ifa_name, name))
			continue;
		if (((struct sockaddr_in *)a->ifa_addr)->sin_addr.s_addr == addr.s_addr)
			found = 1;
	}
	freeifaddrs(list);
	return found;
}
