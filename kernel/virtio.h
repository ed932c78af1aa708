/*
 * kernel/virtio.h — legacy (0.9.5) virtio over PCI port I/O: device set-up
 * and split virtqueues. A queue's descriptors point at physical memory,
 * which is identity mapped, so kernel buffers are handed over directly.
 */
#ifndef GRAFT_KERNEL_VIRTIO_H
#define GRAFT_KERNEL_VIRTIO_H

#include <stdint.h>

struct pci_dev {
	uint8_t slot, irq;
	uint16_t iobase;
};
int pci_find_virtio(uint16_t device, unsigned nth, struct pci_dev *out);
uint32_t pci_read32(unsigned bus, unsigned slot, unsigned func, unsigned off);

#define VIRTIO_ID_NET 0x1000
#define VIRTIO_ID_CONSOLE 0x1003
#define VIRTIO_ID_9P 0x1009

/* legacy register offsets */
#define VIO_DEV_FEATURES 0x00
#define VIO_GUEST_FEATURES 0x04
#define VIO_QUEUE_PFN 0x08
#define VIO_QUEUE_SIZE 0x0c
#define VIO_QUEUE_SEL 0x0e
#define VIO_QUEUE_NOTIFY 0x10
#define VIO_STATUS 0x12
#define VIO_ISR 0x13
#define VIO_CONFIG 0x14

struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};
#define VQ_DESC_NEXT 1
#define VQ_DESC_WRITE 2

struct vq {
	uint16_t iobase, index, size, num_free, free_head, last_used;
	struct vq_desc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[size] */
	volatile uint8_t *used;   /* flags, idx, {id, len}[size] */
	void **tokens;
};

struct vq_buf {
	void *addr;
	uint32_t len;
	int device_writes;
};

/* Reset the device, acknowledge it, offer `features` (masked by the
 * device's); returns the features agreed or -1 if absent. */
int64_t virtio_start(struct pci_dev *d, uint32_t features);
void virtio_ready(struct pci_dev *d);
int vq_init(struct vq *q, uint16_t iobase, uint16_t index);
/* Queue a chain of buffers; 0 or -1 when the ring is full. */
int vq_add(struct vq *q, const struct vq_buf *bufs, unsigned n, void *token);
void vq_kick(struct vq *q);
/* Next completed chain's token (NULL if none); *len = bytes the device wrote. */
void *vq_get(struct vq *q, uint32_t *len);

#endif
