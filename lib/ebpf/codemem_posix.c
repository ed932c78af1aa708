/*
 * Code memory for the JIT from POSIX/Linux calls, with no state (ud is
 * unused). W^X both ways: ebpf_codemem_posix fills read-write pages and
 * then makes them read+execute; ebpf_codemem_memfd writes the code into an
 * anonymous memory file and maps that read+execute, so the pages are never
 * mapped writable. The second needs one page-table change instead of
 * three steps (map, fault, protect), which matters where those are slow
 * (virtual machines); it falls back to the first without memfd_create.
 * Both place the code near the library's own (near_hint).
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "graft/ebpf.h"

/*
 * Where to ask for code pages: within a gigabyte below this library's own
 * code (above it where that would go under 16 MB), at a page picked from
 * the time stamp counter so that programs rarely ask for the same one.
 * A call from the host's code into JIT code gigabytes away (the default
 * mmap area, 0x7f... in a PIE process at 0x55...) costs an AMD Zen 4 about
 * 0.8 ns more than one within a few gigabytes (measured: 2.2 vs 1.4 ns
 * for `mov eax, 1; ret`). It is a hint: where the page is taken (or the
 * system ignores hints, as graft's unikernel does) the code goes
 * anywhere, and only runs that little slower.
 */
static void *near_hint(void)
{
	const uintptr_t gig = 1ull << 30, floor = 16ull << 20, page = 4096;
	uintptr_t self = (uintptr_t)&near_hint & ~(page - 1);
	uint64_t r = __builtin_ia32_rdtsc() * 0x9e3779b97f4a7c15ull;
	uintptr_t off = (uintptr_t)((r >> 34) % ((gig - floor) / page)) * page;
	return (void *)(self > gig + floor ? self - gig + off : self + gig + off);
}

static void *posix_install(void *ud, const void *code, size_t size)
{
	(void)ud;
	void *p = mmap(near_hint(), size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, code, size);
	if (mprotect(p, size, PROT_READ | PROT_EXEC)) {
		munmap(p, size);
		return NULL;
	}
	return p;
}

static void posix_release(void *ud, void *p, size_t size)
{
	(void)ud;
	munmap(p, size);
}

const struct ebpf_codemem ebpf_codemem_posix = {
	.install = posix_install,
	.release = posix_release,
	.ud = NULL,
};

static void *memfd_install(void *ud, const void *code, size_t size)
{
#ifdef MFD_CLOEXEC
	int fd = memfd_create("graft-jit", MFD_CLOEXEC);
	if (fd >= 0) {
		void *p = MAP_FAILED;
		if (pwrite(fd, code, size, 0) == (ssize_t)size)
			p = mmap(near_hint(), size, PROT_READ | PROT_EXEC,
				 MAP_SHARED | MAP_POPULATE, fd, 0);
		close(fd);
		if (p != MAP_FAILED)
			return p;
	}
#endif
	return posix_install(ud, code, size);
}

const struct ebpf_codemem ebpf_codemem_memfd = {
	.install = memfd_install,
	.release = posix_release,
	.ud = NULL,
};
