/*
 * Code memory for the JIT from mmap/mprotect: pages are mapped read-write,
 * then switched to read+execute once; never writable and executable at
 * once. No state: ud is unused.
 */
#include <sys/mman.h>

#include "graft/ebpf.h"

static void *posix_map(void *ud, size_t size)
{
	(void)ud;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static int posix_protect_rx(void *ud, void *p, size_t size)
{
	(void)ud;
	return mprotect(p, size, PROT_READ | PROT_EXEC);
}

static void posix_unmap(void *ud, void *p, size_t size)
{
	(void)ud;
	munmap(p, size);
}

const struct ebpf_codemem ebpf_codemem_posix = {
	.map = posix_map,
	.protect_rx = posix_protect_rx,
	.unmap = posix_unmap,
	.ud = 0,
};
