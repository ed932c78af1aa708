/*
 * Code memory for the JIT from POSIX/Linux calls, with no state (ud is
 * unused). W^X both ways: ebpf_codemem_posix fills read-write pages and
 * then makes them read+execute; ebpf_codemem_memfd writes the code into an
 * anonymous memory file and maps that read+execute, so the pages are never
 * mapped writable. The second needs one page-table change instead of
 * three steps (map, fault, protect), which matters where those are slow
 * (virtual machines); it falls back to the first without memfd_create.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "graft/ebpf.h"

static void *posix_install(void *ud, const void *code, size_t size)
{
	(void)ud;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
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
			p = mmap(NULL, size, PROT_READ | PROT_EXEC,
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
