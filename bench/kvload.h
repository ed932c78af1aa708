/* bench/kvload.h — the load generator's two ways to reach a store. */
#ifndef KVLOAD_H
#define KVLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct kvnet {
	int fd;
	int frames;             /* Ethernet frames (QEMU socket netdev) */
	uint32_t my_ip, peer_ip;  /* frames: host byte order */
	uint16_t my_port, peer_port;
	uint8_t my_mac[6], peer_mac[6];
};

/* "HOST:PORT": plain UDP to a store on the Linux platform. */
int kvnet_udp(struct kvnet *n, const char *spec);
/* "LPORT:RPORT:GUESTIP:PORT": frames to a guest's socket netdev (the
 * guest's --net socket:RPORT:LPORT), resolving its MAC by ARP, waiting up
 * to wait_ms for it to answer (it may still be booting). */
int kvnet_frames(struct kvnet *n, const char *spec, int wait_ms);
int kvnet_send(struct kvnet *n, const void *buf, size_t len);
/* One reply payload, or 0 on timeout, -1 on error. */
ssize_t kvnet_recv(struct kvnet *n, void *buf, size_t cap, int timeout_ms);

#endif
