/*
 * kernel/vcon.c — the console channel: port 0 of a virtio-serial device
 * (QEMU: -device virtio-serial-pci -device virtconsole,chardev=...), without
 * the multiport feature: queue 0 receives, queue 1 transmits. Received
 * bytes collect in a ring that gp_console_read drains; writes wait until
 * the device has taken the bytes. QEMU drops output while no client is
 * connected to its socket, so a write never blocks on the host.
 */
#include <errno.h>
#include <string.h>

#include "devices.h"
#include "kernel.h"
#include "virtio.h"

#define RX_BUFS 8
#define RX_BUF_SIZE 1024
#define TX_SIZE 4096
#define RING 16384

void devices_register_irq(struct pci_dev *d);

static struct pci_dev dev;
static struct vq rxq, txq;
static int present;
static uint8_t *rx_bufs[RX_BUFS];
static uint8_t *tx_buf;
static uint8_t ring[RING];
static size_t ring_head, ring_len;
static struct waitq readers, writers;
static int tx_busy;

int vcon_available(void) { return present; }

static void post_rx(uint8_t *buf)
{
	struct vq_buf b = { buf, RX_BUF_SIZE, 1 };
	vq_add(&rxq, &b, 1, buf);
}

static int vcon_poll(void *arg)
{
	(void)arg;
	int did = 0;
	uint32_t len;
	uint8_t *buf;
	int reposted = 0;
	while ((buf = vq_get(&rxq, &len))) {
		if (len > RX_BUF_SIZE)
			len = RX_BUF_SIZE;
		/* When the ring is full, the oldest bytes are kept; excess is dropped. */
		for (uint32_t i = 0; i < len && ring_len < RING; i++)
			ring[(ring_head + ring_len++) % RING] = buf[i];
		post_rx(buf);
		reposted = did = 1;
	}
	if (reposted) {
		vq_kick(&rxq);
		waitq_wake_all(&readers);
	}
	if (tx_busy && vq_get(&txq, &len)) {
		tx_busy = 0;
		did = 1;
		waitq_wake_all(&writers);
	}
	return did;
}

void vcon_init(void);
void vcon_init(void)
{
	if (pci_find_virtio(VIRTIO_ID_CONSOLE, 0, &dev))
		return;
	if (virtio_start(&dev, 0) < 0 || vq_init(&rxq, dev.iobase, 0) || vq_init(&txq, dev.iobase, 1)) {
		kprintf("graft: virtio-console: set-up failed, no console channel\n");
		return;
	}
	tx_buf = page_alloc(TX_SIZE / PAGE_SIZE);
	for (int i = 0; i < RX_BUFS; i++) {
		rx_bufs[i] = kmalloc(RX_BUF_SIZE);
		if (!rx_bufs[i] || !tx_buf) {
			kprintf("graft: virtio-console: out of memory\n");
			return;
		}
		post_rx(rx_bufs[i]);
	}
	virtio_ready(&dev);
	vq_kick(&rxq);
	devices_register_irq(&dev);
	sched_add_poller(vcon_poll, NULL);
	present = 1;
}

ssize_t vcon_read(void *buf, size_t cap, uint64_t deadline)
{
	if (!present)
		return -ENODEV;
	while (!ring_len) {
		vcon_poll(NULL);
		if (ring_len)
			break;
		if (waitq_wait(&readers, deadline))
			return -ETIMEDOUT;
	}
	size_t n = 0;
	uint8_t *out = buf;
	while (n < cap && ring_len) {
		out[n++] = ring[ring_head];
		ring_head = (ring_head + 1) % RING;
		ring_len--;
	}
	return (ssize_t)n;
}

ssize_t vcon_write(const void *buf, size_t len)
{
	if (!present)
		return -ENODEV;
	size_t done = 0;
	while (done < len) {
		while (tx_busy) {
			vcon_poll(NULL);
			if (tx_busy)
				waitq_wait(&writers, time_ns() + 1000000000ULL);
		}
		size_t n = len - done < TX_SIZE ? len - done : TX_SIZE;
		memcpy(tx_buf, (const uint8_t *)buf + done, n);
		struct vq_buf b = { tx_buf, (uint32_t)n, 0 };
		if (vq_add(&txq, &b, 1, tx_buf))
			return -EIO;
		tx_busy = 1;
		vq_kick(&txq);
		done += n;
	}
	while (tx_busy) { /* the caller's buffer is copied, but keep order with the next write */
		vcon_poll(NULL);
		if (tx_busy)
			waitq_wait(&writers, time_ns() + 1000000000ULL);
	}
	return (ssize_t)len;
}
