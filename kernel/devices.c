/* Temporary: no devices yet (replaced by the virtio drivers). */
#include <errno.h>
#include "kernel.h"
#include "devices.h"
void devices_init(void) {}
int vcon_available(void) { return 0; }
ssize_t vcon_read(void *b, size_t c, uint64_t d) { (void)b, (void)c, (void)d; return -ENODEV; }
ssize_t vcon_write(const void *b, size_t l) { (void)b, (void)l; return -ENODEV; }
int net_available(void) { return 0; }
int net_mac(uint8_t m[6]) { (void)m; return -ENODEV; }
int net_set_raw(int on) { (void)on; return -ENODEV; }
int net_send_frame(const void *f, size_t l) { (void)f, (void)l; return -ENODEV; }
ssize_t net_recv_frame(void *b, size_t c, uint64_t d) { (void)b, (void)c, (void)d; return -ENODEV; }
uint32_t ip_addr(void) { return 0; }
int udp_open(uint16_t p) { (void)p; return -ENODEV; }
int udp_send(int s, uint32_t i, uint16_t p, const void *b, size_t l) { (void)s, (void)i, (void)p, (void)b, (void)l; return -ENODEV; }
ssize_t udp_recv(int s, void *b, size_t c, uint32_t *i, uint16_t *p, uint64_t d) { (void)s, (void)b, (void)c, (void)i, (void)p, (void)d; return -ENODEV; }
int udp_close(int s) { (void)s; return -ENODEV; }
