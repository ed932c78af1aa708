/* apps/ktest/t_efault.c — bad pointers passed to system calls give EFAULT,
 * as on Linux, and the program goes on. Raw syscall() throughout, so the
 * C library checks nothing on the way; one group per call family. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "graft/platform.h"
#include "ktest.h"

/* EFAULT expected: the call returns -1 with errno EFAULT. */
#define EF(what, call) do { errno = 0; long r_ = (call); \
	KT_CHECK(r_ == -1 && errno == EFAULT, "%s: got %ld errno %d, want EFAULT", what, r_, errno); } while (0)

static long sys(long nr, long a, long b, long c, long d, long e)
{
	return syscall(nr, a, b, c, d, e, 0L);
}
#define L(p) ((long)(uintptr_t)(p))

static void sockets(char *none, char *ro)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0) {
		printf("sockets: none here (%d), not checked\n", errno);
		return;
	}
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(0x7f000001) };
	EF("bind: address unmapped", sys(SYS_bind, s, L(none), sizeof a, 0, 0));
	EF("connect: address unmapped", sys(SYS_connect, s, L(none), sizeof a, 0, 0));
	errno = 0;
	long r = syscall(SYS_sendto, s, L(none), 8L, 0L, L(&a), (long)sizeof a);
	KT_CHECK(r == -1 && errno == EFAULT, "sendto: buffer unmapped gave %ld errno %d", r, errno);
	errno = 0;
	r = syscall(SYS_sendto, s, "x", 1L, 0L, L(none), (long)sizeof a);
	KT_CHECK(r == -1 && errno == EFAULT, "sendto: address unmapped gave %ld errno %d", r, errno);
	socklen_t len = sizeof a;
	EF("getsockname: address read-only", sys(SYS_getsockname, s, L(ro), L(&len), 0, 0));
	EF("getsockname: length unmapped", sys(SYS_getsockname, s, L(&a), L(none), 0, 0));
	EF("setsockopt: value unmapped", sys(SYS_setsockopt, s, SOL_SOCKET, SO_RCVTIMEO, L(none), 16));
	close(s);
	printf("sockets: bind, connect, sendto, getsockname, setsockopt\n");
}

int t_efault(int argc, char **argv)
{
	(void)argc, (void)argv;
	size_t pg = 4096;
	/* page 0: read-write; page 1: read-only, full of 'a' (no NUL); page 2: no access */
	char *m = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	KT_CHECK(m != MAP_FAILED, "mmap");
	if (m == MAP_FAILED)
		return kt_done();
	memset(m + pg, 'a', pg);
	KT_CHECK(!mprotect(m + pg, pg, PROT_READ) && !mprotect(m + 2 * pg, pg, PROT_NONE), "mprotect");
	char *rw = m, *ro = m + pg, *none = m + 2 * pg, *noncanon = (char *)(uintptr_t)0x800000000000ULL;
	char *null8 = (char *)(uintptr_t)8;
	__asm__ volatile("" : "+r"(null8));

	char path[256];
	const char *dir = getenv("KTEST_TMP") ? getenv("KTEST_TMP") : "";
	snprintf(path, sizeof path, "%s/efault.tmp", dir);
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	KT_CHECK(fd >= 0, "open %s: %d", path, errno);
	KT_CHECK(write(fd, "0123456789abcdef", 16) == 16, "write");

	/* read/write family; the file offset stays at 0 until the last check, so
	 * Linux (which checks nothing when there is nothing to copy) agrees */
	lseek(fd, 0, SEEK_SET);
	EF("read into read-only", sys(SYS_read, fd, L(ro), 16, 0, 0));
	EF("read into unmapped", sys(SYS_read, fd, L(none), 16, 0, 0));
	if (!strcmp(gp_name(), "kernel")) /* Linux copies what fits and returns a short count */
		EF("read across into read-only", sys(SYS_read, fd, L(ro - 8), 16, 0, 0));
	EF("read into null", sys(SYS_read, fd, L(null8), 16, 0, 0));
	EF("read into non-canonical", sys(SYS_read, fd, L(noncanon), 16, 0, 0));
	EF("read into the top page (wraps)", sys(SYS_read, fd, (long)0xfffffffffffff000ULL, 16, 0, 0));
	EF("write from the upper half", sys(SYS_write, 1, (long)0xffff800000000000ULL, 4, 0, 0));
	EF("write from unmapped", sys(SYS_write, fd, L(none), 16, 0, 0));
	EF("write to console from unmapped", sys(SYS_write, 1, L(none), 4, 0, 0));
	EF("pread into read-only", sys(SYS_pread64, fd, L(ro), 16, 0, 0));
	EF("pwrite from unmapped", sys(SYS_pwrite64, fd, L(none), 16, 0, 0));
	struct iovec iov[2] = { { ro, 4 }, { none, 4 } }, iov2[2] = { { none, 4 }, { ro, 4 } };
	EF("readv: iovec array unmapped", sys(SYS_readv, fd, L(none), 1, 0, 0));
	EF("readv: buffer read-only", sys(SYS_readv, fd, L(iov), 1, 0, 0));
	EF("writev: first buffer unmapped", sys(SYS_writev, fd, L(iov2), 2, 0, 0));
	KT_CHECK(lseek(fd, 0, SEEK_SET) == 0 && sys(SYS_read, fd, L(rw), 16, 0, 0) == 16, "read into read-write page");
	KT_CHECK(sys(SYS_write, fd, L(ro), 4, 0, 0) == 4, "write from a read-only page works");
	char back[16];
	KT_CHECK(pread(fd, back, 16, 0) == 16 && !memcmp(back, "0123456789abcdef", 16), "file intact");
	printf("read/write: read, write, pread64, pwrite64, readv, writev\n");

	/* path and stat family */
	struct stat st;
	EF("open: path unmapped", sys(SYS_open, L(none), O_RDONLY, 0, 0, 0));
	EF("open: path runs into unmapped", sys(SYS_open, L(ro + 100), O_RDONLY, 0, 0, 0));
	EF("openat: path unmapped", sys(SYS_openat, AT_FDCWD, L(none), O_RDONLY, 0, 0));
	EF("stat: path unmapped", sys(SYS_stat, L(none), L(&st), 0, 0, 0));
	EF("stat: buffer read-only", sys(SYS_stat, L(path), L(ro), 0, 0, 0));
	EF("fstat: buffer unmapped", sys(SYS_fstat, fd, L(none), 0, 0, 0));
	EF("newfstatat: buffer read-only", sys(SYS_newfstatat, AT_FDCWD, L(path), L(ro), 0, 0));
	EF("access: path unmapped", sys(SYS_access, L(none), F_OK, 0, 0, 0));
	EF("mkdir: path unmapped", sys(SYS_mkdir, L(none), 0755, 0, 0, 0));
	EF("unlink: path unmapped", sys(SYS_unlink, L(none), 0, 0, 0, 0));
	EF("rmdir: path unmapped", sys(SYS_rmdir, L(none), 0, 0, 0, 0));
	EF("getcwd: buffer unmapped", sys(SYS_getcwd, L(none), 64, 0, 0, 0));
	int dfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY);
	KT_CHECK(dfd >= 0, "open directory: %d", errno);
	EF("getdents64: buffer read-only", sys(SYS_getdents64, dfd, L(ro), 1024, 0, 0));
	close(dfd);
	close(fd);
	KT_CHECK(unlink(path) == 0, "unlink %s", path);
	printf("files: open, openat, stat, fstat, newfstatat, access, mkdir, unlink, rmdir, getcwd, getdents64\n");

	/* time, random, signals, identity */
	struct timespec ts = { 0, 1000 };
	EF("clock_gettime: buffer read-only", sys(SYS_clock_gettime, CLOCK_MONOTONIC, L(ro), 0, 0, 0));
	EF("clock_getres: buffer unmapped", sys(SYS_clock_getres, CLOCK_MONOTONIC, L(none), 0, 0, 0));
	EF("nanosleep: request unmapped", sys(SYS_nanosleep, L(none), 0, 0, 0, 0));
	EF("clock_nanosleep: request unmapped", sys(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, L(none), 0, 0));
	KT_CHECK(sys(SYS_nanosleep, L(&ts), 0, 0, 0, 0) == 0, "nanosleep still works");
	EF("getrandom: buffer read-only", sys(SYS_getrandom, L(ro), 16, 0, 0, 0));
	EF("rt_sigaction: action unmapped", sys(SYS_rt_sigaction, SIGHUP, L(none), 0, 8, 0));
	EF("rt_sigaction: old action read-only", sys(SYS_rt_sigaction, SIGHUP, 0, L(ro), 8, 0));
	EF("rt_sigprocmask: old set read-only", sys(SYS_rt_sigprocmask, SIG_BLOCK, 0, L(ro), 8, 0));
	EF("uname: buffer read-only", sys(SYS_uname, L(ro), 0, 0, 0, 0));
	EF("arch_prctl GET_FS: unmapped", sys(SYS_arch_prctl, 0x1003, L(none), 0, 0, 0));
	printf("time, random, signals, identity: clock_gettime, clock_getres, nanosleep, clock_nanosleep, getrandom, rt_sigaction, rt_sigprocmask, uname, arch_prctl\n");

	/* a page whose protection key denies access (where the CPU has keys) */
	if (gp_pkey_supported()) {
		char *k = gp_pages_alloc(pg, GP_PROT_READ | GP_PROT_WRITE);
		int key = gp_pkey_alloc();
		KT_CHECK(k && key > 0, "pkey page %p key %d", (void *)k, key);
		if (k && key > 0 && !gp_pkey_protect(k, pg, GP_PROT_READ | GP_PROT_WRITE, key)) {
			uint32_t old = gp_pkru_read();
			gp_pkru_write(old | (1u << (2 * key))); /* access disabled */
			errno = 0;
			long r = syscall(SYS_write, 1L, L(k), 4L);
			int e = errno;
			gp_pkru_write(old);
			KT_CHECK(r == -1 && e == EFAULT, "write from a key-denied page gave %ld errno %d", r, e);
			printf("protection keys: write from a key-denied page\n");
		}
		if (k)
			gp_pages_free(k, pg);
	}

	sockets(none, ro);
	munmap(m, 3 * pg);
	return kt_done();
}
