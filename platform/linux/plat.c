/*
 * platform/linux/plat.c — start-up, time, memory, protection keys,
 * signals and exit for the Linux-process platform.
 *
 * Initialization is lazy (every gp_ entry point calls lp_init) and also
 * runs as a constructor, so faults are reported even before the first call.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static int inited;
static uint64_t start_ns, main_ns;

static uint64_t mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

__attribute__((constructor)) static void lp_ctor(void) { lp_init(); }

void lp_init(void)
{
	if (inited)
		return;
	inited = 1;
	start_ns = mono();
	/* "Entry to main": from the process's start (its stat start time is in
	 * clock ticks, too coarse), so we report constructor-to-first-call. */
	main_ns = 0;
	void lp_syms_preload(void);
	lp_syms_preload(); /* the fault handler may not allocate */
	lp_faults_init();
	lp_console_init();
	lp_net_init();
}

uint64_t lp_now(void) { return mono() - start_ns; }

const char *gp_name(void) { return "linux"; }
uint64_t gp_now_ns(void) { lp_init(); return lp_now(); }
uint64_t gp_boot_ns(void) { lp_init(); return main_ns; }

static int to_prot(int prot)
{
	return ((prot & GP_PROT_READ) ? PROT_READ : 0) | ((prot & GP_PROT_WRITE) ? PROT_WRITE : 0) |
	       ((prot & GP_PROT_EXEC) ? PROT_EXEC : 0);
}

size_t gp_page_size(void) { return (size_t)getpagesize(); }

void *gp_pages_alloc(size_t len, int prot)
{
	if (!len)
		return NULL;
	void *p = mmap(NULL, len, to_prot(prot), MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

int gp_pages_free(void *addr, size_t len) { return munmap(addr, len) ? -errno : 0; }
int gp_pages_protect(void *addr, size_t len, int prot) { return mprotect(addr, len, to_prot(prot)) ? -errno : 0; }

/* Try mappings at growing distances on both sides of near. */
void *gp_text_alloc(size_t len, const void *near)
{
	lp_init();
	const uintptr_t step = 16u << 20, page = (uintptr_t)getpagesize();
	uintptr_t base = (uintptr_t)near & ~(page - 1);
	for (uintptr_t k = 1; k < 60; k++) {
		for (int side = 0; side < 2; side++) {
			uintptr_t hint = side ? base + k * step : base - k * step;
			if (!side && base < k * step + page)
				continue;
			void *p = mmap((void *)hint, len, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
			if (p == MAP_FAILED)
				continue;
			uintptr_t q = (uintptr_t)p;
			uintptr_t d = q > base ? q + len - base : base - q;
			if (d < (1u << 30))
				return p;
			munmap(p, len); /* an old kernel took the hint as a hint */
		}
	}
	return NULL;
}

/*
 * W^X: code pages are read+exec. For the few bytes of a patch the pages
 * become read+write+exec, not read+write: the code doing the write (this
 * function, memcpy) may sit on the same page as the bytes it patches, and
 * would fault the moment the page lost exec. The window is two system
 * calls long, in a process that runs one OS thread (cooperative threads),
 * and the pages go back to read+exec before we return.
 */
int gp_text_patch(void *addr, const void *bytes, size_t len)
{
	lp_init();
	if (!len || len > 16)
		return -EINVAL;
	uintptr_t page = (uintptr_t)getpagesize();
	uintptr_t lo = (uintptr_t)addr & ~(page - 1);
	uintptr_t hi = ((uintptr_t)addr + len + page - 1) & ~(page - 1);
	if (mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE | PROT_EXEC))
		return errno == ENOMEM ? -EFAULT : -ENOTSUP;
	memcpy(addr, bytes, len);
	mprotect((void *)lo, hi - lo, PROT_READ | PROT_EXEC);
	return 0;
}

void gp_mem_stats(struct gp_mem_stats *st)
{
	memset(st, 0, sizeof *st);
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size, rss;
	if (f && fscanf(f, "%lu %lu", &size, &rss) == 2)
		st->used = (uint64_t)rss * (uint64_t)getpagesize();
	if (f)
		fclose(f);
}

int gp_pkey_supported(void)
{
	int k = pkey_alloc(0, 0);
	if (k < 0)
		return 0;
	pkey_free(k);
	return 1;
}

int gp_pkey_alloc(void) { int k = pkey_alloc(0, 0); return k < 0 ? -errno : k; }
int gp_pkey_protect(void *addr, size_t len, int prot, int key)
{
	return pkey_mprotect(addr, len, to_prot(prot), key) ? -errno : 0;
}

uint32_t gp_pkru_read(void)
{
	if (!gp_pkey_supported())
		return 0;
	uint32_t eax, edx;
	__asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

void gp_pkru_write(uint32_t pkru)
{
	if (gp_pkey_supported())
		__asm__ volatile(".byte 0x0f,0x01,0xef" ::"a"(pkru), "c"(0), "d"(0) : "memory");
}

int gp_raise(int sig) { lp_init(); return raise(sig) ? -errno : 0; }
_Noreturn void gp_exit(int status) { exit(status); }

uint32_t gp_ip_parse(const char *s)
{
	uint32_t ip = 0;
	for (int part = 0; part < 4; part++) {
		if (*s < '0' || *s > '9')
			return 0;
		unsigned v = 0;
		for (int digits = 0; *s >= '0' && *s <= '9'; s++, digits++) {
			v = v * 10 + (unsigned)(*s - '0');
			if (v > 255 || digits > 2)
				return 0;
		}
		ip = ip << 8 | v;
		if (part < 3 && *s++ != '.')
			return 0;
	}
	return *s ? 0 : ip;
}
