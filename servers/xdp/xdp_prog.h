/* The XDP program's life: load (with the server's address and port baked
 * into .rodata), fill the queue -> AF_XDP socket map, attach, detach.
 *
 * Attachment is a bpf_link: the kernel detaches the program when the last
 * fd of the link closes, which includes the process dying by SIGKILL, so
 * the interface is never left redirecting into a socket that is gone. */
#ifndef BB_XDP_PROG_H
#define BB_XDP_PROG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xdp_redirect; /* the generated skeleton */

struct xdp_prog {
	struct xdp_redirect *skel;
	int link_fd; /* -1 while not attached */
};

/* addr and port in network byte order; nqueues sizes the socket map.
 * Returns 0, or -1 with one line in err. */
int xdp_prog_load(struct xdp_prog *p, struct in_addr addr, uint16_t port_be,
		  int nqueues, char *err, size_t errlen);

/* Frames arriving on `queue` go to the AF_XDP socket xsk_fd. */
int xdp_prog_set_socket(struct xdp_prog *p, int queue, int xsk_fd, char *err, size_t errlen);

/* Native (driver) mode unless skb_mode. Fails if any XDP program is
 * already attached to the interface. */
int xdp_prog_attach(struct xdp_prog *p, int ifindex, const char *ifname, bool skb_mode,
		    char *err, size_t errlen);

/* Detaches (if attached) and unloads. Safe to call twice. */
void xdp_prog_close(struct xdp_prog *p);

/* libbpf/libxdp chatter goes to stderr only with HTTPD_XDP_DEBUG=1 set,
 * so that a failure stays one line. */
void xdp_quiet_libraries(void);

#endif
