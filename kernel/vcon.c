/*
 * kernel/vcon.c — the console channel on a virtio-serial device.
 *
 * With the multiport feature (QEMU: -device virtio-serial-pci -device
 * virtserialport,nr=1,chardev=...), the channel is port 1: the control
 * queues tell us when a host client connects or goes (PORT_OPEN), and QEMU
 * holds our transmit buffer until the client can take it, so output is
 * never dropped. Without it, port 0 (a virtconsole) is used, and QEMU drops
 * what the client cannot take. Received bytes collect in a ring that
 * gp_console_read drains; writes wait (yielding) until the device took them.
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

#define F_MULTIPORT (1u << 1)
#define CTRL_BUFS 8
enum { DEVICE_READY = 0, DEVICE_ADD = 1, PORT_READY = 3, PORT_OPEN = 6 };
struct ctrl_msg {
	uint32_t id;
	uint16_t event, value;
};

static struct pci_dev dev;
static struct vq rxq, txq, crxq, ctxq;
static int present, multiport, host_open, hung_up;
static uint32_t port_id;
static uint8_t *ctrl_rx[CTRL_BUFS], *ctrl_tx;
static int ctrl_tx_busy;
static uint8_t *rx_bufs[RX_BUFS];
static uint8_t *tx_buf;
static uint8_t ring[RING];
static size_t ring_head, ring_len;
static struct waitq readers, writers;
static int tx_busy;
static uint16_t tx_head; /* the descriptor of the buffer in flight */

int vcon_available(void) { return present; }

static void post_rx(uint8_t *buf)
{
	struct vq_buf b = { buf, RX_BUF_SIZE, 1 };
	vq_add(&rxq, &b, 1, buf);
}

static void ctrl_send(uint32_t id, uint16_t event, uint16_t value)
{
	/* Control messages are rare: wait for the previous one in place. */
	uint32_t len;
	for (int spins = 0; ctrl_tx_busy && spins < 1000000; spins++)
		if (vq_get(&ctxq, &len))
			ctrl_tx_busy = 0;
	struct ctrl_msg m = { id, event, value };
	memcpy(ctrl_tx, &m, sizeof m);
	struct vq_buf b = { ctrl_tx, sizeof m, 0 };
	if (!vq_add(&ctxq, &b, 1, ctrl_tx)) {
		ctrl_tx_busy = 1;
		vq_kick(&ctxq);
	}
}

/*
 * The client went. QEMU returns what it had queued before telling us, but
 * a buffer it was still pushing to a client that would not read
 * (throttled) it drops without giving back: once the used ring is read,
 * a buffer still out is ours again.
 *
 * Input the client sent but we did not read yet is its own (the next
 * client must not get its replies), but so may be the next client's
 * first command, when it connected right away (`graft console -c` calls
 * back to back): QEMU queues "closed", then "open", then the new client's
 * bytes, on two queues we read one after the other. So input is dropped
 * only up to rx_seen, the receive queue's used index read before the
 * control messages, and only when no "open" came in the same batch: then
 * the new client's bytes, which follow its "open", cannot be among them.
 * After a close and an open seen together, nothing is dropped.
 */
static void host_closed(int drop_input, uint16_t rx_seen)
{
	uint32_t len;
	uint8_t *buf;
	if (tx_busy && vq_get(&txq, &len))
		tx_busy = 0;
	if (tx_busy) {
		txq.desc[tx_head].next = txq.free_head;
		txq.free_head = tx_head;
		txq.num_free++;
		tx_busy = 0;
	}
	if (!drop_input)
		return;
	while (rxq.last_used != rx_seen && (buf = vq_get(&rxq, &len)))
		post_rx(buf);
	vq_kick(&rxq);
	ring_len = 0;
}

static int ctrl_poll(void)
{
	int did = 0, closed = 0, reopened = 0;
	uint32_t len;
	uint8_t *buf;
	uint16_t rx_seen = *(volatile uint16_t *)(rxq.used + 2); /* before the messages */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (ctrl_tx_busy && vq_get(&ctxq, &len))
		ctrl_tx_busy = 0;
	while ((buf = vq_get(&crxq, &len))) {
		did = 1;
		struct ctrl_msg m;
		if (len >= sizeof m) {
			memcpy(&m, buf, sizeof m);
			if (m.event == DEVICE_ADD) {
				ctrl_send(m.id, PORT_READY, m.id == port_id);
				if (m.id == port_id)
					ctrl_send(m.id, PORT_OPEN, 1); /* we hold the port open */
			} else if (m.event == PORT_OPEN && m.id == port_id) {
				if (host_open && !m.value)
					closed = 1;
				else if (closed && m.value)
					reopened = 1;
				host_open = m.value;
			}
		}
		struct vq_buf b = { buf, RX_BUF_SIZE, 1 };
		vq_add(&crxq, &b, 1, buf);
		vq_kick(&crxq);
	}
	if (closed) {
		hung_up = 1;
		host_closed(!reopened, rx_seen);
	}
	if (did) {
		waitq_wake_all(&readers);
		waitq_wake_all(&writers);
	}
	return did;
}

static int vcon_poll(void *arg)
{
	(void)arg;
	int did = multiport ? ctrl_poll() : 0;
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
	int64_t f = virtio_start(&dev, F_MULTIPORT);
	multiport = f > 0 && (f & F_MULTIPORT);
	port_id = multiport ? 1 : 0;
	uint16_t q0 = multiport ? 4 : 0; /* port n > 0 uses queues 2 + 2n, 3 + 2n */
	if (f < 0 || vq_init(&rxq, dev.iobase, q0) || vq_init(&txq, dev.iobase, (uint16_t)(q0 + 1)) ||
	    (multiport && (vq_init(&crxq, dev.iobase, 2) || vq_init(&ctxq, dev.iobase, 3)))) {
		kprintf("graft: virtio-console: set-up failed, no console channel\n");
		return;
	}
	if (multiport) {
		ctrl_tx = kmalloc(64);
		for (int i = 0; i < CTRL_BUFS; i++) {
			ctrl_rx[i] = kmalloc(RX_BUF_SIZE);
			if (!ctrl_rx[i] || !ctrl_tx) {
				kprintf("graft: virtio-console: out of memory\n");
				return;
			}
			struct vq_buf b = { ctrl_rx[i], RX_BUF_SIZE, 1 };
			vq_add(&crxq, &b, 1, ctrl_rx[i]);
		}
	} else {
		host_open = 1; /* unknown: assume a client may be there */
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
	devices_register_irq(&dev); /* before the device can interrupt: see net.c */
	virtio_ready(&dev);
	vq_kick(&rxq);
	if (multiport) {
		vq_kick(&crxq);
		ctrl_send(0xffffffffu, DEVICE_READY, 1);
	}
	sched_add_poller(vcon_poll, NULL);
	present = 1;
}

ssize_t vcon_read(void *buf, size_t cap, uint64_t deadline)
{
	if (!present)
		return -ENODEV;
	for (;;) {
		vcon_poll(NULL);
		/* The hang-up first, once: what follows it is the next client's
		 * (a new session), even when its bytes are already here. */
		if (hung_up) {
			hung_up = 0;
			return -ENOTCONN;
		}
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
	vcon_poll(NULL);
	if (multiport && !host_open)
		return -ENOTCONN;
	size_t done = 0;
	while (done < len) {
		while (tx_busy) {
			vcon_poll(NULL);
			if (tx_busy)
				waitq_wait(&writers, time_ns() + 1000000000ULL);
		}
		if (multiport && !host_open)
			return done ? (ssize_t)done : -ENOTCONN;
		size_t n = len - done < TX_SIZE ? len - done : TX_SIZE;
		memcpy(tx_buf, (const uint8_t *)buf + done, n);
		struct vq_buf b = { tx_buf, (uint32_t)n, 0 };
		tx_head = txq.free_head;
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
