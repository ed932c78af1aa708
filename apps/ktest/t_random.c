/* apps/ktest/t_random.c — getrandom(2): values differ between calls (the
 * host compares two boots by the printed line), flags are handled as on
 * Linux, a bad buffer gives EFAULT, and 32 KiB look like random bits. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "graft/platform.h"
#include "ktest.h"

#ifndef GRND_NONBLOCK
#define GRND_NONBLOCK 1
#define GRND_RANDOM 2
#endif
#define GRND_INSECURE_ 4

static long grnd(void *buf, size_t n, unsigned flags)
{
	errno = 0;
	return syscall(SYS_getrandom, buf, n, flags);
}

static void cpu_sources(int *rdrand, int *rdseed)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	*rdrand = (c >> 30) & 1;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
	*rdseed = (b >> 18) & 1;
}

int t_random(int argc, char **argv)
{
	(void)argc, (void)argv;
	int rdrand, rdseed;
	cpu_sources(&rdrand, &rdseed);
	printf("cpu: rdrand %d rdseed %d\n", rdrand, rdseed);

	uint8_t a[32], b[32];
	KT_CHECK(grnd(a, sizeof a, 0) == 32 && grnd(b, sizeof b, 0) == 32, "getrandom 32: errno %d", errno);
	KT_CHECK(memcmp(a, b, sizeof a) != 0, "two calls gave the same 32 bytes");
	printf("random-bytes ");
	for (int i = 0; i < 16; i++)
		printf("%02x", a[i]);
	printf("\n");

	KT_CHECK(grnd(b, 16, GRND_NONBLOCK) == 16, "GRND_NONBLOCK: errno %d", errno);
	KT_CHECK(grnd(b, 16, GRND_RANDOM) == 16, "GRND_RANDOM: errno %d", errno);
	KT_CHECK(grnd(b, 16, GRND_RANDOM | GRND_NONBLOCK) == 16, "GRND_RANDOM|GRND_NONBLOCK: errno %d", errno);
	KT_CHECK(grnd(b, 16, GRND_INSECURE_) == 16 || errno == EINVAL /* Linux < 5.6 */, "GRND_INSECURE: errno %d", errno);
	long r = grnd(b, 16, GRND_INSECURE_ | GRND_RANDOM);
	KT_CHECK(r == -1 && errno == EINVAL, "GRND_INSECURE|GRND_RANDOM gave %ld errno %d", r, errno);
	r = grnd(b, 16, 0x100);
	KT_CHECK(r == -1 && errno == EINVAL, "unknown flag gave %ld errno %d", r, errno);
	KT_CHECK(grnd(b, 0, 0) == 0, "zero length: errno %d", errno);
	r = grnd((void *)(uintptr_t)8, 16, 0);
	KT_CHECK(r == -1 && errno == EFAULT, "null buffer gave %ld errno %d", r, errno);
	uint8_t *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro != MAP_FAILED) {
		r = grnd(ro, 16, 0);
		KT_CHECK(r == -1 && errno == EFAULT, "read-only buffer gave %ld errno %d", r, errno);
		munmap(ro, 4096);
	}
	printf("flags: NONBLOCK, RANDOM, INSECURE; bad flags EINVAL; bad buffer EFAULT\n");

	/* Monobit and byte coverage over 32 KiB: catches a stuck or short
	 * source (6 standard deviations; a fair source fails ~1 in 10^9). */
	static uint8_t big[32768];
	KT_CHECK(grnd(big, sizeof big, 0) == (long)sizeof big, "getrandom 32 KiB: errno %d", errno);
	long ones = 0;
	int seen[256] = { 0 }, distinct = 0;
	for (size_t i = 0; i < sizeof big; i++) {
		ones += __builtin_popcount(big[i]);
		distinct += !seen[big[i]]++;
	}
	long bits = (long)sizeof big * 8, dev = ones - bits / 2;
	printf("32 KiB: %ld of %ld bits set, %d distinct byte values\n", ones, bits, distinct);
	KT_CHECK(dev < 1536 && dev > -1536, "monobit: %ld ones of %ld", ones, bits);
	KT_CHECK(distinct == 256, "only %d distinct byte values", distinct);
	return kt_done();
}
