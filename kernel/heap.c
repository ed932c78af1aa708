/*
 * kernel/heap.c — the kernel's own allocator (musl's malloc serves the
 * application through mmap/brk). Small blocks come from power-of-two size
 * classes carved out of whole pages; large blocks are whole pages. Every
 * block has a 16-byte header saying its class, so kfree needs no size and
 * a double free or a wild pointer is caught by its magic.
 */
#include <string.h>

#include "kernel.h"

#define MIN_SHIFT 4
#define MAX_SHIFT 11 /* 2 KiB; bigger requests take whole pages */
#define NCLASSES (MAX_SHIFT - MIN_SHIFT + 1)
#define MAGIC_USED 0x6b6d616cu
#define MAGIC_FREE 0x66726565u

struct hdr {
	uint32_t magic;
	uint32_t cls;   /* size class, or NCLASSES for a page run */
	uint64_t pages; /* page runs: number of pages */
};

struct free_block {
	struct hdr h;
	struct free_block *next;
};

static struct free_block *free_lists[NCLASSES];
static size_t in_use;

size_t heap_in_use(void) { return in_use; }

static int refill(unsigned cls)
{
	size_t bsize = (size_t)1 << (cls + MIN_SHIFT);
	size_t chunk = bsize + sizeof(struct hdr);
	uint8_t *page = page_alloc(1);
	if (!page)
		return -1;
	for (size_t off = 0; off + chunk <= PAGE_SIZE; off += chunk) {
		struct free_block *b = (struct free_block *)(page + off);
		b->h.magic = MAGIC_FREE;
		b->h.cls = cls;
		b->next = free_lists[cls];
		free_lists[cls] = b;
	}
	return 0;
}

void *kmalloc(size_t n)
{
	if (n > ((size_t)1 << MAX_SHIFT)) {
		if (n > (1ULL << 40))
			return NULL;
		size_t pages = ALIGN_UP(n + sizeof(struct hdr), PAGE_SIZE) / PAGE_SIZE;
		struct hdr *h = page_alloc(pages);
		if (!h)
			return NULL;
		h->magic = MAGIC_USED;
		h->cls = NCLASSES;
		h->pages = pages;
		in_use += pages * PAGE_SIZE;
		return h + 1;
	}
	unsigned cls = 0;
	while (((size_t)1 << (cls + MIN_SHIFT)) < n)
		cls++;
	if (!free_lists[cls] && refill(cls))
		return NULL;
	struct free_block *b = free_lists[cls];
	free_lists[cls] = b->next;
	b->h.magic = MAGIC_USED;
	in_use += (size_t)1 << (cls + MIN_SHIFT);
	return &b->h + 1;
}

void *kzalloc(size_t n)
{
	void *p = kmalloc(n);
	if (p)
		memset(p, 0, n);
	return p;
}

void kfree(void *p)
{
	if (!p)
		return;
	struct hdr *h = (struct hdr *)p - 1;
	if (h->magic != MAGIC_USED || h->cls > NCLASSES)
		kpanic("kfree(%p): not an allocated block (magic %#x)", p, h->magic);
	if (h->cls == NCLASSES) {
		in_use -= h->pages * PAGE_SIZE;
		h->magic = MAGIC_FREE;
		page_free(h, h->pages);
		return;
	}
	struct free_block *b = (struct free_block *)h;
	b->h.magic = MAGIC_FREE;
	in_use -= (size_t)1 << (h->cls + MIN_SHIFT);
	b->next = free_lists[h->cls];
	free_lists[h->cls] = b;
}
