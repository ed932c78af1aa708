/*
 * kernel/net.c — the virtio-net driver: receive buffers posted on queue 0,
 * transmit buffers from a small pool on queue 1, the legacy 10-byte header
 * in front of every frame (no offloads negotiated). Received frames go to
 * the IPv4 path (ip.c), or, in raw mode, to a bounded queue that
 * gp_net_recv drains (the router's packets); a full queue drops.
 */
#include <errno.h>
#include <string.h>

#include "devices.h"
#include "kernel.h"
#include "net.h"
#include "virtio.h"

#define HDR 10
#define BUF_SIZE 2048
#define RX_BUFS 64
#define TX_BUFS 32
#define RAW_QUEUE 128
#define F_MAC (1u << 5)

void devices_register_irq(struct pci_dev *d);

static struct pci_dev dev;
static struct vq rxq, txq;
static int present, raw_mode;
static uint8_t mac[6];
static uint8_t *tx_free[TX_BUFS];
static unsigned ntx_free, ntx_total;
static struct waitq tx_waiters, raw_waiters;
static struct {
	uint8_t *buf;
	uint16_t len;
} raw_q[RAW_QUEUE];
static unsigned raw_head, raw_len;
static int in_poll; /* replies sent from input processing must not wait */
uint64_t net_rx_frames, net_tx_frames, net_rx_dropped;

/*
 * With the kernel option net.debug, a line a second on the log: what the
 * driver did (polls, frames, transmit waits, kicks, interrupts, datagrams
 * dropped) and where both rings stand, to tell a stalled ring, a lost
 * interrupt and a full socket queue apart.
 */
static struct {
	int on;
	uint64_t next, polls, tx_done, tx_waits, tx_timeouts, tx_refused, kicks;
} dbg;
extern uint64_t virtio_irqs, ip_dropped;

static void ring_state(const char *name, const struct vq *q)
{
	kprintf(" | %s avail %u used %u seen %u", name, q->avail[1],
		*(volatile uint16_t *)(q->used + 2), q->last_used);
}

static void dbg_report(void)
{
	uint64_t now = time_ns();
	if (!dbg.on || now < dbg.next)
		return;
	dbg.next = now + 1000000000ULL;
	kprintf("net %lu ms: polls %lu rx %lu tx %lu done %lu waits %lu timeouts %lu refused %lu kicks %lu irqs %lu dropped %lu",
		now / 1000000, dbg.polls, net_rx_frames, net_tx_frames, dbg.tx_done, dbg.tx_waits,
		dbg.tx_timeouts, dbg.tx_refused, dbg.kicks, virtio_irqs, ip_dropped);
	ring_state("rx", &rxq);
	ring_state("tx", &txq);
	kprintf(" free %u\n", ntx_free);
}

int net_available(void) { return present; }

int net_mac(uint8_t out[6])
{
	if (!present)
		return -ENODEV;
	memcpy(out, mac, 6);
	return 0;
}

const uint8_t *net_our_mac(void) { return mac; }

int net_set_raw(int on)
{
	if (!present)
		return -ENODEV;
	raw_mode = on;
	return 0;
}

static void post_rx(uint8_t *buf)
{
	struct vq_buf b = { buf, BUF_SIZE, 1 };
	vq_add(&rxq, &b, 1, buf);
}

static int net_poll(void *arg)
{
	(void)arg;
	int did = 0;
	uint32_t len;
	uint8_t *buf;
	dbg.polls++;
	dbg_report();
	while ((buf = vq_get(&txq, &len))) {
		dbg.tx_done++;
		tx_free[ntx_free++] = buf;
		waitq_wake_one(&tx_waiters);
		did = 1;
	}
	int reposted = 0;
	while ((buf = vq_get(&rxq, &len))) {
		did = reposted = 1;
		net_rx_frames++;
		if (len <= HDR || len > BUF_SIZE) {
			post_rx(buf);
			continue;
		}
		if (raw_mode) {
			if (raw_len < RAW_QUEUE) {
				uint8_t *copy = kmalloc(len - HDR);
				if (copy) {
					memcpy(copy, buf + HDR, len - HDR);
					unsigned slot = (raw_head + raw_len++) % RAW_QUEUE;
					raw_q[slot].buf = copy;
					raw_q[slot].len = (uint16_t)(len - HDR);
					waitq_wake_one(&raw_waiters);
				} else {
					net_rx_dropped++;
				}
			} else {
				net_rx_dropped++;
			}
		} else {
			in_poll = 1;
			ip_input(buf + HDR, len - HDR);
			in_poll = 0;
		}
		post_rx(buf);
	}
	if (reposted) {
		vq_kick(&rxq);
		dbg.kicks++;
	}
	return did;
}

void net_init(void);
void net_init(void)
{
	if (pci_find_virtio(VIRTIO_ID_NET, 0, &dev))
		return;
	int64_t f = virtio_start(&dev, F_MAC);
	if (f < 0 || vq_init(&rxq, dev.iobase, 0) || vq_init(&txq, dev.iobase, 1)) {
		kprintf("graft: virtio-net: set-up failed, no network\n");
		return;
	}
	for (int i = 0; i < 6; i++)
		mac[i] = (f & F_MAC) ? inb(dev.iobase + VIO_CONFIG + i) : (uint8_t)(i == 0 ? 0x52 : i);
	for (int i = 0; i < RX_BUFS; i++) {
		uint8_t *b = kmalloc(BUF_SIZE);
		if (!b)
			break;
		post_rx(b);
	}
	for (int i = 0; i < TX_BUFS; i++) {
		uint8_t *b = kmalloc(BUF_SIZE);
		if (b)
			tx_free[ntx_free++] = b;
	}
	ntx_total = ntx_free;
	/* The interrupt first: a frame may come the moment the device is
	 * ready, and an IRQ line shared with a device already running would
	 * otherwise stay raised with nobody reading our ISR (a storm). */
	devices_register_irq(&dev);
	virtio_ready(&dev);
	vq_kick(&rxq);
	sched_add_poller(net_poll, NULL);
	dbg.on = kopt("net.debug") != NULL;
	present = 1;
	ip_init();
}

int net_send_frame(const void *frame, size_t len)
{
	if (!present)
		return -ENODEV;
	if (len < 14 || len > 1514)
		return -EINVAL;
	while (!ntx_free) {
		if (in_poll) {
			dbg.tx_refused++;
			return -EAGAIN;
		}
		net_poll(NULL);
		if (!ntx_free)
			dbg.tx_waits++;
		if (!ntx_free && waitq_wait(&tx_waiters, time_ns() + 1000000000ULL)) {
			dbg.tx_timeouts++;
			return -EAGAIN;
		}
	}
	uint8_t *buf = tx_free[--ntx_free];
	memset(buf, 0, HDR);
	memcpy(buf + HDR, frame, len);
	struct vq_buf b = { buf, (uint32_t)(HDR + len), 0 };
	if (vq_add(&txq, &b, 1, buf)) {
		tx_free[ntx_free++] = buf;
		return -EAGAIN;
	}
	vq_kick(&txq);
	net_tx_frames++;
	return 0;
}

/* Before the guest exits: give QEMU up to 100 ms to send what is queued
 * (it transmits from a bottom half, after our notify returns). */
void net_flush(void)
{
	if (!present)
		return;
	uint64_t until = time_ns() + 100000000ULL;
	uint32_t len;
	uint8_t *buf;
	while (ntx_free < ntx_total && time_ns() < until) {
		while ((buf = vq_get(&txq, &len)))
			tx_free[ntx_free++] = buf;
		cpu_relax();
	}
}

ssize_t net_recv_frame(void *out, size_t cap, uint64_t deadline)
{
	if (!present)
		return -ENODEV;
	while (!raw_len) {
		net_poll(NULL);
		if (!raw_len && waitq_wait(&raw_waiters, deadline))
			return -ETIMEDOUT;
	}
	unsigned slot = raw_head;
	raw_head = (raw_head + 1) % RAW_QUEUE;
	raw_len--;
	size_t n = raw_q[slot].len < cap ? raw_q[slot].len : cap;
	memcpy(out, raw_q[slot].buf, n);
	kfree(raw_q[slot].buf);
	return (ssize_t)n;
}
