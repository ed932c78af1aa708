/*
 * kernel/random.c — random bytes for getrandom(2) and AT_RANDOM.
 *
 * Rule: no cryptography of our own. Where CPUID reports RDRAND, its output
 * (the CPU's own NIST SP 800-90A DRBG, reseeded from its entropy source)
 * is handed out as is; GRND_RANDOM asks for RDSEED (the entropy source's
 * conditioned output) where the CPU has it. Retries follow Intel's DRNG
 * guide: RDRAND up to 10 times (failing 10 in a row means a broken unit,
 * reported as -EIO), RDSEED with a pause between tries, then RDRAND.
 *
 * A CPU with neither (QEMU's default CPU model, an old host under KVM)
 * gets a TSC-fed xorshift: NOT cryptographic. That is logged once on the
 * serial log and documented in kernel/README.md; there is no virtio-rng
 * driver yet to do better. The kernel option random=weak forces that path
 * (for its test).
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "kernel.h"

#define RDRAND_RETRIES 10
#define RDSEED_RETRIES 100

static int probed, has_rdrand, has_rdseed, weak_logged;
static uint64_t weak_state;

static void probe(void)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	uint32_t max = a;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	has_rdrand = (c >> 30) & 1;
	if (max >= 7) {
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
		has_rdseed = (b >> 18) & 1;
	}
	const char *want = kopt("random");
	if (want && !strcmp(want, "weak")) /* kernel option for tests: as if absent */
		has_rdrand = has_rdseed = 0;
	probed = 1;
}

static int rdrand64(uint64_t *v)
{
	for (int i = 0; i < RDRAND_RETRIES; i++) {
		uint8_t ok;
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok)::"cc");
		if (ok)
			return 0;
	}
	return -1;
}

static int rdseed64(uint64_t *v)
{
	for (int i = 0; i < RDSEED_RETRIES; i++) {
		uint8_t ok;
		__asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok)::"cc");
		if (ok)
			return 0;
		cpu_relax();
	}
	return -1;
}

static uint64_t weak64(void)
{
	if (!weak_logged) {
		weak_logged = 1;
		kprintf("graft: the CPU has no RDRAND: getrandom() and AT_RANDOM are NOT cryptographic\n");
	}
	if (!weak_state)
		weak_state = rdtsc() | 1;
	for (int i = 0; i < 4; i++) {
		weak_state ^= rdtsc();
		weak_state ^= weak_state << 13;
		weak_state ^= weak_state >> 7;
		weak_state ^= weak_state << 17;
	}
	return weak_state;
}

int random_hw(void)
{
	if (!probed)
		probe();
	return has_rdrand;
}

/* Fill buf with n random bytes; seed-grade asks for RDSEED first. */
int random_fill(void *buf, size_t n, int seed_grade)
{
	if (!probed)
		probe();
	uint8_t *p = buf;
	while (n) {
		uint64_t v;
		if (seed_grade && has_rdseed && !rdseed64(&v))
			;
		else if (has_rdrand) {
			if (rdrand64(&v)) {
				kprintf("graft: RDRAND failed %d times in a row: no random bytes\n", RDRAND_RETRIES);
				return -EIO;
			}
		} else
			v = weak64();
		size_t k = n < sizeof v ? n : sizeof v;
		memcpy(p, &v, k);
		p += k;
		n -= k;
	}
	return 0;
}

long sys_getrandom(void *buf, size_t n, unsigned flags)
{
	if (flags & ~(unsigned)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM))
		return -EINVAL;
	if (n > 33554431) /* Linux's cap for one call */
		n = 33554431;
	if (user_ok(buf, n, 1))
		return -EFAULT;
	/* Never blocks: the hardware source is always ready, so
	 * GRND_NONBLOCK and GRND_INSECURE change nothing. */
	int r = random_fill(buf, n, (flags & GRND_RANDOM) != 0);
	return r ? r : (long)n;
}
