/*
 * kernel/klog.c — the serial log (COM1) and leaving QEMU.
 *
 * Exit codes go through QEMU's isa-debug-exit device at port 0xf4: writing
 * v makes QEMU exit with (v << 1) | 1. We write status + 1, so the host sees
 * 2 * status + 3 and can tell a guest exit (odd, >= 3) from QEMU's own
 * failure (1) and from a reset or triple fault under -no-reboot (0).
 */
#include <stdio.h>

#include "kernel.h"

#define COM1 0x3f8
#define DEBUG_EXIT_PORT 0xf4

void serial_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB */
	outb(COM1 + 0, 0x01); /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xc7); /* FIFO */
	outb(COM1 + 4, 0x03);
}

static void serial_putc(char c)
{
	/* QEMU's UART is always ready; bound the wait on real hardware. */
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		cpu_relax();
	outb(COM1, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}

int serial_getc(void)
{
	return (inb(COM1 + 5) & 1) ? inb(COM1) : -1;
}

void kvprintf(const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	serial_write(buf, (size_t)n);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

_Noreturn void kexit(int status)
{
	if (status < 0 || status > 125)
		status = 125;
	outl(DEBUG_EXIT_PORT, (uint32_t)status + 1);
	/* Without the exit device: stop here rather than return. */
	for (;;) {
		irq_disable();
		__asm__ volatile("hlt");
	}
}

_Noreturn void kpanic(const char *fmt, ...)
{
	irq_disable();
	va_list ap;
	va_start(ap, fmt);
	kprintf("\npanic: ");
	kvprintf(fmt, ap);
	kprintf("\n");
	va_end(ap);
	uint64_t rbp;
	__asm__ volatile("movq %%rbp, %0" : "=r"(rbp));
	backtrace_from(rbp, 0);
	kexit(KEXIT_PANIC);
}
