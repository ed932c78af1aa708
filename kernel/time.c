/*
 * kernel/time.c — time from the TSC, calibrated at boot against the PIT
 * (channel 2, gated through port 0x61), and a one-shot timer interrupt from
 * PIT channel 0 that wakes the idle loop for the next sleeper. The PIT can
 * count at most ~55 ms, so longer waits simply re-arm.
 */
#include "kernel.h"

#define PIT_HZ 1193182ULL
#define CALIBRATE_MS 1

uint64_t boot_tsc;
static uint64_t hz;
static uint64_t mult; /* ns = (ticks * mult) >> 32 */
volatile uint64_t timer_irqs;

uint64_t tsc_hz(void) { return hz; }

uint64_t time_ns(void)
{
	uint64_t t = rdtsc() - boot_tsc;
	return (uint64_t)(((unsigned __int128)t * mult) >> 32);
}

static void timer_irq(void *arg)
{
	(void)arg;
	timer_irqs++;
}

static uint16_t pit2_read(void)
{
	outb(0x43, 0x80); /* latch channel 2 */
	uint8_t lo = inb(0x42);
	return (uint16_t)(lo | inb(0x42) << 8);
}

/*
 * One measurement: let PIT channel 2 count down from 0xffff and compare
 * TSC ticks with PIT ticks between two latched reads ~1 ms apart. Reading
 * the counter (rather than waiting for the gate) keeps a host hiccup
 * between the start and the first rdtsc out of the result.
 */
static uint64_t measure(void)
{
	uint8_t v = inb(0x61);
	outb(0x61, (uint8_t)((v & ~0x02) | 0x01)); /* gate on, speaker off */
	outb(0x43, 0xb4);                          /* channel 2, lo/hi, mode 2 */
	outb(0x42, 0xff);
	outb(0x42, 0xff);
	uint16_t c0 = pit2_read();
	uint64_t t0 = rdtsc();
	uint16_t c1 = c0;
	uint64_t t1 = t0;
	for (uint64_t spins = 0; (uint16_t)(c0 - c1) < PIT_HZ * CALIBRATE_MS / 1000; spins++) {
		c1 = pit2_read();
		t1 = rdtsc();
		if (spins > 10000000ULL)
			kpanic("PIT calibration: the counter does not move");
	}
	return (t1 - t0) * PIT_HZ / (uint16_t)(c0 - c1);
}

/* Hypervisors that know the TSC rate say so in CPUID 0x40000010 (kHz). */
static uint64_t hypervisor_tsc_hz(void)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1u << 31)))
		return 0;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000), "c"(0));
	if (a < 0x40000010)
		return 0;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000010), "c"(0));
	return (uint64_t)a * 1000;
}

void time_init(void)
{
	uint64_t m[3];
	hz = hypervisor_tsc_hz();
	if (hz >= 1000000) {
		mult = (uint64_t)(((unsigned __int128)1000000000ULL << 32) / hz);
		irq_set_handler(0, timer_irq, 0);
		return;
	}
	for (int i = 0; i < 3; i++)
		m[i] = measure();
	/* median of three */
	if (m[0] > m[1]) { uint64_t t = m[0]; m[0] = m[1]; m[1] = t; }
	if (m[1] > m[2]) { uint64_t t = m[1]; m[1] = m[2]; m[2] = t; }
	if (m[0] > m[1]) { uint64_t t = m[0]; m[0] = m[1]; m[1] = t; }
	hz = m[1];
	if (hz < 1000000)
		kpanic("TSC calibration gave %lu Hz", hz);
	mult = (uint64_t)(((unsigned __int128)1000000000ULL << 32) / hz);
	irq_set_handler(0, timer_irq, 0);
}

void timer_arm(uint64_t deadline_ns)
{
	uint64_t now = time_ns();
	uint64_t delta = deadline_ns > now ? deadline_ns - now : 0;
	uint64_t ticks = delta * PIT_HZ / 1000000000ULL;
	if (ticks < 2)
		ticks = 2;
	if (ticks > 65535)
		ticks = 65535;
	outb(0x43, 0x30); /* channel 0, lo/hi, mode 0: one interrupt at zero */
	outb(0x40, (uint8_t)ticks);
	outb(0x40, (uint8_t)(ticks >> 8));
}
