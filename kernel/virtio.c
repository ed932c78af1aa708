/* kernel/virtio.c — see virtio.h. */
#include <string.h>

#include "kernel.h"
#include "virtio.h"

#define ST_ACK 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4

int64_t virtio_start(struct pci_dev *d, uint32_t features)
{
	outb(d->iobase + VIO_STATUS, 0);
	outb(d->iobase + VIO_STATUS, ST_ACK);
	outb(d->iobase + VIO_STATUS, ST_ACK | ST_DRIVER);
	uint32_t have = inl(d->iobase + VIO_DEV_FEATURES);
	features &= have;
	outl(d->iobase + VIO_GUEST_FEATURES, features);
	return features;
}

void virtio_ready(struct pci_dev *d)
{
	outb(d->iobase + VIO_STATUS, ST_ACK | ST_DRIVER | ST_DRIVER_OK);
}

int vq_init(struct vq *q, uint16_t iobase, uint16_t index)
{
	outw(iobase + VIO_QUEUE_SEL, index);
	uint16_t size = inw(iobase + VIO_QUEUE_SIZE);
	if (!size || (size & (size - 1)))
		return -1;
	size_t avail_end = 16 * (size_t)size + 6 + 2 * (size_t)size;
	size_t used_off = ALIGN_UP(avail_end, PAGE_SIZE);
	size_t total = used_off + ALIGN_UP(6 + 8 * (size_t)size, PAGE_SIZE);
	uint8_t *mem = page_alloc(total / PAGE_SIZE);
	q->tokens = kzalloc(size * sizeof(void *));
	if (!mem || !q->tokens)
		return -1;
	q->iobase = iobase;
	q->index = index;
	q->size = size;
	q->desc = (struct vq_desc *)mem;
	q->avail = (volatile uint16_t *)(mem + 16 * (size_t)size);
	q->used = mem + used_off;
	for (uint16_t i = 0; i < size; i++)
		q->desc[i].next = (uint16_t)(i + 1);
	q->free_head = 0;
	q->num_free = size;
	q->last_used = 0;
	outl(iobase + VIO_QUEUE_PFN, (uint32_t)((uintptr_t)mem / PAGE_SIZE));
	return 0;
}

int vq_add(struct vq *q, const struct vq_buf *bufs, unsigned n, void *token)
{
	if (!n || n > q->num_free)
		return -1;
	uint16_t head = q->free_head, i = head, last = head;
	for (unsigned k = 0; k < n; k++) {
		struct vq_desc *d = &q->desc[i];
		d->addr = (uint64_t)(uintptr_t)bufs[k].addr;
		d->len = bufs[k].len;
		d->flags = (uint16_t)((bufs[k].device_writes ? VQ_DESC_WRITE : 0) | (k + 1 < n ? VQ_DESC_NEXT : 0));
		last = i;
		i = d->next;
	}
	q->free_head = q->desc[last].next;
	q->num_free = (uint16_t)(q->num_free - n);
	q->tokens[head] = token;
	uint16_t idx = q->avail[1];
	q->avail[2 + (idx % q->size)] = head;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->avail[1] = (uint16_t)(idx + 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return 0;
}

void vq_kick(struct vq *q)
{
	outw(q->iobase + VIO_QUEUE_NOTIFY, q->index);
}

void *vq_get(struct vq *q, uint32_t *len)
{
	volatile uint16_t *uidx = (volatile uint16_t *)(q->used + 2);
	if (q->last_used == *uidx)
		return NULL;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	volatile uint32_t *elem = (volatile uint32_t *)(q->used + 4 + 8 * (size_t)(q->last_used % q->size));
	uint16_t head = (uint16_t)elem[0];
	if (len)
		*len = elem[1];
	q->last_used++;
	if (head >= q->size)
		return NULL;
	void *token = q->tokens[head];
	/* Return the chain to the free list. */
	uint16_t i = head, n = 1;
	while (q->desc[i].flags & VQ_DESC_NEXT) {
		i = q->desc[i].next;
		n++;
	}
	q->desc[i].next = q->free_head;
	q->free_head = head;
	q->num_free = (uint16_t)(q->num_free + n);
	return token;
}
