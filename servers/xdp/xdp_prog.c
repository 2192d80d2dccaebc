#include "xdp_prog.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include "xdp_redirect.skel.h"

static bool library_debug(void)
{
	const char *v = getenv("HTTPD_XDP_DEBUG");
	return v && *v && strcmp(v, "0");
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return library_debug() ? vfprintf(stderr, fmt, ap) : 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return library_debug() ? vfprintf(stderr, fmt, ap) : 0;
}

void xdp_quiet_libraries(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}

static const char *privilege_hint(int err)
{
	return err == EPERM || err == EACCES ? " (needs root, or CAP_BPF + CAP_NET_ADMIN)" : "";
}

int xdp_prog_load(struct xdp_prog *p, struct in_addr addr, uint16_t port_be,
		  int nqueues, char *err, size_t errlen)
{
	int rc;

	p->link_fd = -1;
	p->skel = xdp_redirect__open();
	if (!p->skel) {
		rc = errno;
		snprintf(err, errlen, "opening the embedded XDP program: %s", strerror(rc));
		return -1;
	}
	p->skel->rodata->server_addr = addr.s_addr;
	p->skel->rodata->server_port = port_be;
	rc = bpf_map__set_max_entries(p->skel->maps.xsks, (unsigned)nqueues);
	if (rc) {
		snprintf(err, errlen, "sizing the XDP socket map to %d queues: %s", nqueues,
			 strerror(-rc));
		goto fail;
	}
	rc = xdp_redirect__load(p->skel);
	if (rc) {
		rc = -rc;
		snprintf(err, errlen, "loading the XDP program into the kernel: %s%s",
			 strerror(rc), privilege_hint(rc));
		goto fail;
	}
	return 0;
fail:
	xdp_redirect__destroy(p->skel);
	p->skel = NULL;
	return -1;
}

int xdp_prog_set_socket(struct xdp_prog *p, int queue, int xsk_fd, char *err, size_t errlen)
{
	__u32 key = (__u32)queue, value = (__u32)xsk_fd;

	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.xsks), &key, &value, BPF_ANY)) {
		snprintf(err, errlen, "adding the AF_XDP socket of queue %d to the XDP map: %s",
			 queue, strerror(errno));
		return -1;
	}
	return 0;
}

int xdp_prog_attach(struct xdp_prog *p, int ifindex, const char *ifname, bool skb_mode,
		    char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts,
		    .flags = skb_mode ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	const char *mode = skb_mode ? "generic (skb)" : "native (driver)";
	int fd, e;

	fd = bpf_link_create(bpf_program__fd(p->skel->progs.xdp_redirect_tcp), ifindex,
			     BPF_XDP, &opts);
	if (fd >= 0) {
		p->link_fd = fd;
		return 0;
	}
	e = errno;
	switch (e) {
	case EBUSY:
	case EEXIST:
		snprintf(err, errlen,
			 "another XDP program is already attached to %s (see 'ip link show %s'); "
			 "detach it first", ifname, ifname);
		break;
	case EOPNOTSUPP:
		snprintf(err, errlen, "attaching XDP to %s in %s mode: the driver does not "
			 "support it%s", ifname, mode, skb_mode ? "" : " (try --skb-mode)");
		break;
	case ERANGE:
		snprintf(err, errlen, "attaching XDP to %s in %s mode: the MTU (or the veth "
			 "peer's MTU) is too large for XDP on this driver", ifname, mode);
		break;
	default:
		snprintf(err, errlen, "attaching XDP to %s in %s mode: %s%s", ifname, mode,
			 strerror(e), privilege_hint(e));
	}
	return -1;
}

void xdp_prog_close(struct xdp_prog *p)
{
	if (p->link_fd >= 0) {
		close(p->link_fd); /* the last reference: the kernel detaches */
		p->link_fd = -1;
	}
	if (p->skel) {
		xdp_redirect__destroy(p->skel);
		p->skel = NULL;
	}
}
