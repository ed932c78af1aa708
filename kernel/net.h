/* kernel/net.h — between the virtio-net driver and the IPv4 path. */
#ifndef GRAFT_KERNEL_NET_H
#define GRAFT_KERNEL_NET_H

#include <stddef.h>
#include <stdint.h>

const uint8_t *net_our_mac(void);
void ip_init(void);
/* One received Ethernet frame (no virtio header); must not block. */
void ip_input(const uint8_t *frame, size_t len);

#endif
