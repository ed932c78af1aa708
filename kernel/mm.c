/*
 * kernel/mm.c — physical pages and the page tables.
 *
 * Physical memory is identity mapped with 4 KiB pages (2 MiB pages above
 * 64 MiB, split on demand): page 0 absent (null pointers fault), kernel
 * text read-only and executable, everything else no-execute. Every page has
 * the user bit set so protection keys can apply to it; the kernel runs
 * with SMAP/SMEP off. Frames are tracked in a bitmap placed right after
 * the image. Virtual ranges for mmap() come from a bump region above 512 GiB.
 */
#include <errno.h>
#include <string.h>

#include "kernel.h"

#define SMALL_LIMIT (64ULL << 20)
#define VM_BASE 0x8000000000ULL

extern char __image_start[], __text_end[], __rodata_end[], __image_end[];

static uint8_t *frame_map; /* 1 bit per frame, 1 = in use */
static size_t nframes, nfree, hint;
static uint64_t *pml4;
static uintptr_t vm_next = VM_BASE;

static int frame_used(size_t f) { return frame_map[f >> 3] & (1u << (f & 7)); }
static void frame_set(size_t f) { frame_map[f >> 3] |= (uint8_t)(1u << (f & 7)); }
static void frame_clear(size_t f) { frame_map[f >> 3] &= (uint8_t) ~(1u << (f & 7)); }

size_t mm_pages_total(void) { return nframes; }
size_t mm_pages_free(void) { return nfree; }

void *page_alloc(size_t n)
{
	if (!n || n > nfree)
		return NULL;
	for (int pass = 0; pass < 2; pass++) {
		size_t start = pass ? 0 : hint, run = 0;
		for (size_t f = start; f < nframes; f++) {
			if (frame_used(f)) {
				run = 0;
				continue;
			}
			if (++run == n) {
				size_t first = f + 1 - n;
				for (size_t i = first; i <= f; i++)
					frame_set(i);
				nfree -= n;
				hint = f + 1;
				void *p = (void *)(first * PAGE_SIZE);
				memset(p, 0, n * PAGE_SIZE);
				return p;
			}
		}
	}
	return NULL;
}

void page_free(void *p, size_t n)
{
	size_t first = (uintptr_t)p / PAGE_SIZE;
	for (size_t i = first; i < first + n && i < nframes; i++) {
		if (!frame_used(i))
			kpanic("page_free: frame %#lx is not in use", i * PAGE_SIZE);
		frame_clear(i);
		nfree++;
	}
	if (first < hint)
		hint = first;
}

static uint64_t *table_next(uint64_t *table, unsigned idx, int create)
{
	uint64_t e = table[idx];
	if (e & PTE_P) {
		if (e & PTE_PS) { /* split a 2 MiB page into 512 small ones */
			if (!create)
				return NULL;
			uint64_t *pt = page_alloc(1);
			if (!pt)
				return NULL;
			uint64_t base = e & PTE_ADDR & ~0x1fffffULL;
			uint64_t flags = e & ~PTE_ADDR & ~PTE_PS;
			for (unsigned i = 0; i < 512; i++)
				pt[i] = (base + i * PAGE_SIZE) | flags;
			table[idx] = (uint64_t)pt | PTE_P | PTE_W | PTE_U;
			return pt;
		}
		return (uint64_t *)(e & PTE_ADDR);
	}
	if (!create)
		return NULL;
	uint64_t *t = page_alloc(1);
	if (!t)
		return NULL;
	table[idx] = (uint64_t)t | PTE_P | PTE_W | PTE_U;
	return t;
}

static uint64_t *pte_get(uintptr_t va, int create)
{
	uint64_t *t = pml4;
	for (int shift = 39; shift > 12; shift -= 9) {
		unsigned idx = (va >> shift) & 511;
		if (!create && shift == 21 && (t[idx] & (PTE_P | PTE_PS)) == (PTE_P | PTE_PS))
			return &t[idx];
		t = table_next(t, idx, create);
		if (!t)
			return NULL;
	}
	return &t[(va >> 12) & 511];
}

uint64_t *pte_lookup(uintptr_t va)
{
	if (va >= (1ULL << 47))
		return NULL;
	return pte_get(va, 0);
}

static void invlpg(uintptr_t va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }

int map_range(uintptr_t va, uintptr_t pa, size_t len, uint64_t flags)
{
	for (size_t off = 0; off < len; off += PAGE_SIZE) {
		uint64_t *pte = pte_get(va + off, 1);
		if (!pte)
			return -1;
		*pte = (pa + off) | flags | PTE_P;
		invlpg(va + off);
	}
	return 0;
}

int unmap_range(uintptr_t va, size_t len, int free_frames)
{
	for (size_t off = 0; off < len; off += PAGE_SIZE) {
		uint64_t *pte = pte_get(va + off, 0);
		if (!pte || !(*pte & (PTE_P | PTE_GUARD)))
			continue;
		if (free_frames)
			page_free((void *)(*pte & PTE_ADDR), 1);
		*pte = 0;
		invlpg(va + off);
	}
	return 0;
}

int protect_range(uintptr_t va, size_t len, uint64_t flags)
{
	for (size_t off = 0; off < len; off += PAGE_SIZE) {
		uint64_t *pte = pte_get(va + off, 1);
		if (!pte || !(*pte & (PTE_P | PTE_GUARD)))
			return -1;
		*pte = (*pte & PTE_ADDR) | flags;
		invlpg(va + off);
	}
	return 0;
}

uintptr_t vm_reserve(size_t len)
{
	uintptr_t va = vm_next;
	vm_next += ALIGN_UP(len, PAGE_SIZE) + PAGE_SIZE; /* a hole between ranges */
	return va;
}

static void reserve_frames(uint64_t from, uint64_t to)
{
	for (uint64_t f = from / PAGE_SIZE; f < ALIGN_UP(to, PAGE_SIZE) / PAGE_SIZE && f < nframes; f++)
		if (!frame_used(f)) {
			frame_set(f);
			nfree--;
		}
}

void mm_init(void)
{
	nframes = boot.ram_top / PAGE_SIZE;
	frame_map = (uint8_t *)__image_end;
	size_t map_bytes = ALIGN_UP((nframes + 7) / 8, PAGE_SIZE);
	memset(frame_map, 0xff, map_bytes);
	nfree = 0;
	for (unsigned i = 0; i < boot.nram; i++) {
		uint64_t b = ALIGN_UP(boot.ram[i].base, PAGE_SIZE);
		uint64_t e = (boot.ram[i].base + boot.ram[i].len) & ~(PAGE_SIZE - 1);
		for (uint64_t f = b / PAGE_SIZE; f < e / PAGE_SIZE; f++) {
			frame_clear(f);
			nfree++;
		}
	}
	/* Low memory holds the loader's start_info; then the image and the map. */
	reserve_frames(0, 0x100000);
	reserve_frames((uintptr_t)__image_start, (uintptr_t)frame_map + map_bytes);
	hint = ((uintptr_t)frame_map + map_bytes) / PAGE_SIZE;

	pml4 = page_alloc(1);
	if (!pml4)
		kpanic("out of memory for page tables");
	uint64_t top = ALIGN_UP(boot.ram_top, 0x200000);
	uint64_t rw = PTE_W | PTE_U | PTE_NX;
	/* One 2 MiB step at a time: a page-directory entry, or a page table
	 * filled in one loop (map_range per page is slow under TCG). */
	for (uint64_t a = 0; a < top; a += 0x200000) {
		uint64_t *t = pml4;
		for (int shift = 39; shift > 21 && t; shift -= 9)
			t = table_next(t, (a >> shift) & 511, 1);
		if (!t)
			kpanic("out of memory for page tables");
		if (a >= SMALL_LIMIT) {
			t[(a >> 21) & 511] = a | rw | PTE_P | PTE_PS;
			continue;
		}
		uint64_t *pt = page_alloc(1);
		if (!pt)
			kpanic("out of memory for page tables");
		for (unsigned i = 0; i < 512; i++) {
			uint64_t p = a + i * PAGE_SIZE, flags = rw;
			if (p >= (uintptr_t)__image_start && p < (uintptr_t)__text_end)
				flags = PTE_U;
			else if (p >= (uintptr_t)__text_end && p < (uintptr_t)__rodata_end)
				flags = PTE_U | PTE_NX;
			pt[i] = p ? p | flags | PTE_P : 0;
		}
		t[(a >> 21) & 511] = (uint64_t)pt | PTE_P | PTE_W | PTE_U;
	}
	__asm__ volatile("movq %0, %%cr3" ::"r"(pml4) : "memory");
	extern char boot_stack_guard[];
	mm_guard_page((uintptr_t)boot_stack_guard);
}

/* Make the page at va absent but remembered as a guard. */
void mm_guard_page(uintptr_t va)
{
	uint64_t *pte = pte_get(va, 1);
	if (pte) {
		*pte = (*pte & PTE_ADDR) | PTE_GUARD;
		invlpg(va);
	}
}

void mm_unguard_page(uintptr_t va)
{
	uint64_t *pte = pte_get(va, 1);
	if (pte) {
		*pte = (*pte & PTE_ADDR) | PTE_P | PTE_W | PTE_U | PTE_NX;
		invlpg(va);
	}
}

/*
 * Pointers from system calls. We check them by walking the page tables
 * before use rather than by copying with a fault fixup: there is one CPU
 * and threads never preempt, so nothing can change a mapping between the
 * check and the use unless the call itself blocks, and the exception path
 * (cpu.c) stays free of kernel-side recovery. The walk follows what the
 * CPU checks for a ring-0 data access: present at every level, writable
 * at every level for a write (CR0.WP is set), and, with protection keys
 * on, the page's key not denied by PKRU. Calls that wait (a socket
 * receive, a 9p reply) check again after waiting, before they copy.
 */
static uint64_t access_entry(uintptr_t va, uint64_t *span)
{
	uint64_t *t = pml4, acc = PTE_P | PTE_W;
	for (int shift = 39; shift >= 12; shift -= 9) {
		uint64_t e = t[(va >> shift) & 511];
		acc &= e;
		if (!(e & PTE_P))
			return 0;
		if (shift == 12 || (shift == 21 && (e & PTE_PS))) {
			*span = 1ULL << shift;
			return (e & ~(PTE_P | PTE_W)) | acc;
		}
		if (e & PTE_PS) /* 1 GiB pages: not used by mm_init */
			return 0;
		t = (uint64_t *)(e & PTE_ADDR);
	}
	return 0;
}

static uint32_t rdpkru(void)
{
	uint32_t eax, edx;
	__asm__ volatile("rdpkru" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

int user_ok(const void *p, size_t len, int write)
{
	uintptr_t va = (uintptr_t)p;
	if (!len)
		return 0;
	if (va + len < va || va + len > (1ULL << 47))
		return -EFAULT;
	uint32_t pkru = cpu_has_pku ? rdpkru() : 0;
	uintptr_t end = va + len;
	while (va < end) {
		uint64_t span = 0, e = access_entry(va, &span);
		if (!(e & PTE_P) || (write && !(e & PTE_W)))
			return -EFAULT;
		unsigned key = (unsigned)(e >> PTE_PKEY_SHIFT) & 15;
		if ((pkru >> (2 * key)) & (write ? 3 : 1))
			return -EFAULT;
		va = (va & ~(span - 1)) + span;
	}
	return 0;
}

long user_strlen(const char *s, size_t max)
{
	uintptr_t va = (uintptr_t)s;
	size_t n = 0;
	while (n < max) {
		size_t chunk = PAGE_SIZE - (va & (PAGE_SIZE - 1));
		if (user_ok((const void *)va, 1, 0))
			return -EFAULT;
		const char *z = memchr((const void *)va, 0, chunk < max - n ? chunk : max - n);
		if (z)
			return (long)(n + (size_t)(z - (const char *)va));
		n += chunk;
		va += chunk;
	}
	return -ENAMETOOLONG;
}
