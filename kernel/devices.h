/*
 * kernel/devices.h — the drivers' interfaces: PCI discovery, legacy
 * virtio-pci queues, and the console, network and 9p devices built on
 * them. Every call that waits yields to other threads.
 */
#ifndef GRAFT_KERNEL_DEVICES_H
#define GRAFT_KERNEL_DEVICES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* console channel (virtio-console port 0) */
int vcon_available(void);
ssize_t vcon_read(void *buf, size_t cap, uint64_t deadline);
ssize_t vcon_write(const void *buf, size_t len);

/* network: raw frames and the compact IPv4 path */
int net_available(void);
int net_mac(uint8_t mac[6]);
int net_set_raw(int on);
int net_send_frame(const void *frame, size_t len);
ssize_t net_recv_frame(void *buf, size_t cap, uint64_t deadline);
uint32_t ip_addr(void);
int udp_open(uint16_t port);
int udp_send(int s, uint32_t ip, uint16_t port, const void *buf, size_t len);
ssize_t udp_recv(int s, void *buf, size_t cap, uint32_t *ip, uint16_t *port, uint64_t deadline);
int udp_close(int s);

#endif
