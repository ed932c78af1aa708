/*
 * kernel/cpu.c — GDT with a TSS, the IDT, the 8259 PIC, the syscall MSRs,
 * and what happens on an exception: registers, the faulting address, a
 * symbolized backtrace on the serial log, then exit with KEXIT_PANIC.
 *
 * Interrupts use IST1, exceptions IST2, double fault and NMI IST3, so a
 * stack overflow into a guard page is reported instead of triple faulting.
 */
#include <string.h>

#include "kernel.h"
#include "recover.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap_base;
} __attribute__((packed));

struct idt_entry {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, reserved;
} __attribute__((packed));

static uint64_t gdt[5] __attribute__((aligned(16)));
static struct tss tss __attribute__((aligned(16)));
static struct idt_entry idt[256] __attribute__((aligned(16)));
/* Page-aligned so that cpu_ist_pkey can give them a key of their own. */
static uint8_t ist_stacks[3][16384] __attribute__((aligned(4096)));

static struct {
	irq_handler_fn fn;
	void *arg;
} irq_handlers[16];

int cpu_has_pku;
extern const uint64_t isr_stub_table[49];
extern void syscall_entry(void);

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static void idt_set(unsigned vec, uint64_t fn, unsigned ist)
{
	idt[vec].off_lo = (uint16_t)fn;
	idt[vec].sel = 0x08;
	idt[vec].ist = (uint8_t)ist;
	idt[vec].type = 0x8e; /* present, ring 0, interrupt gate */
	idt[vec].off_mid = (uint16_t)(fn >> 16);
	idt[vec].off_hi = (uint32_t)(fn >> 32);
}

static void pic_init(void)
{
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, 0x20); /* IRQ 0-7 -> vectors 32-39 */
	outb(0xa1, 0x28); /* IRQ 8-15 -> vectors 40-47 */
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, 0xfb); /* all masked but the cascade */
	outb(0xa1, 0xff);
}

void irq_set_handler(unsigned irq, irq_handler_fn fn, void *arg)
{
	if (irq >= 16)
		return;
	uint64_t f = irq_save();
	irq_handlers[irq].fn = fn;
	irq_handlers[irq].arg = arg;
	uint16_t port = irq < 8 ? 0x21 : 0xa1;
	uint8_t mask = inb(port);
	if (fn)
		mask &= (uint8_t) ~(1u << (irq & 7));
	else
		mask |= (uint8_t)(1u << (irq & 7));
	outb(port, mask);
	irq_restore(f);
}

void cpu_init(void)
{
	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffULL;
	gdt[2] = 0x00cf92000000ffffULL;
	uint64_t base = (uint64_t)&tss, limit = sizeof tss - 1;
	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[4] = base >> 32;
	for (int i = 0; i < 3; i++)
		tss.ist[i] = (uint64_t)(ist_stacks[i] + sizeof ist_stacks[i]);
	tss.iomap_base = sizeof tss;
	struct desc_ptr gp = { sizeof gdt - 1, (uint64_t)gdt };
	__asm__ volatile("lgdt %0" ::"m"(gp));
	__asm__ volatile("ltr %w0" ::"r"(0x18));

	for (unsigned v = 0; v < 32; v++)
		idt_set(v, isr_stub_table[v], (v == 2 || v == 8) ? 3 : 2);
	for (unsigned v = 32; v < 48; v++)
		idt_set(v, isr_stub_table[v], 1);
	idt_set(255, isr_stub_table[48], 1);
	struct desc_ptr ip = { sizeof idt - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" ::"m"(ip));
	pic_init();

	wrmsr(0xc0000081, 0x08ULL << 32);           /* STAR: CS 0x08, SS 0x10 */
	wrmsr(0xc0000082, (uint64_t)syscall_entry); /* LSTAR */
	wrmsr(0xc0000084, 0x200 | 0x400 | 0x100 | 0x40000); /* FMASK: IF DF TF AC */

	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
	cpu_has_pku = (c >> 3) & 1;
	if (cpu_has_pku) { /* CR4.PKE: PKRU applies to our (user-bit) pages */
		uint64_t cr4;
		__asm__ volatile("movq %%cr4, %0" : "=r"(cr4));
		__asm__ volatile("movq %0, %%cr4" ::"r"(cr4 | (1ULL << 22)));
	}
}

/*
 * Firmware like qboot leaves the local APIC with LINT0 masked, which cuts
 * the 8259 off from the CPU. Put it in virtual-wire mode: LINT0 = ExtINT,
 * LINT1 = NMI. Needs the APIC page mapped (uncached), so after mm_init.
 */
void lapic_init(void)
{
	uint64_t base = rdmsr(0x1b) & ~0xfffULL;
	if (!(rdmsr(0x1b) & (1ULL << 11)))
		return; /* APIC off: the PIC drives INTR directly */
	if (map_range(base, base, PAGE_SIZE, PTE_W | PTE_NX | 0x18 /* PCD|PWT */))
		kpanic("cannot map the local APIC");
	volatile uint32_t *apic = (volatile uint32_t *)base;
	apic[0xf0 / 4] = 0x1ff;  /* spurious vector 255, APIC enabled */
	apic[0x350 / 4] = 0x700; /* LINT0: ExtINT */
	apic[0x360 / 4] = 0x400; /* LINT1: NMI */
	apic[0x320 / 4] = 0x10000; /* LAPIC timer masked */
}

static const char *const exc_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
	"invalid opcode", "device not available", "double fault", "coprocessor",
	"invalid TSS", "segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 error", "alignment check", "machine check",
	"SIMD error", "virtualization", "control protection",
};

/* A frame pointer we may follow: mapped, aligned, and in the kernel's RAM. */
static int frame_ok(uint64_t p)
{
	if (p & 7 || p < 0x1000)
		return 0;
	uint64_t *pte = pte_lookup(p);
	uint64_t *pte2 = pte_lookup(p + 15);
	return pte && pte2 && (*pte & PTE_P) && (*pte2 & PTE_P);
}

static void print_pc(const char *what, uint64_t pc)
{
	uintptr_t off = 0;
	const char *name = sym_by_addr(pc, &off);
	if (name)
		kprintf("  %s %#018lx %s+%#lx\n", what, pc, name, off);
	else
		kprintf("  %s %#018lx ?\n", what, pc);
}

void backtrace_from(uint64_t rbp, uint64_t rip)
{
	kprintf("backtrace:\n");
	if (rip)
		print_pc("at", rip);
	for (int depth = 0; depth < 32 && frame_ok(rbp); depth++) {
		uint64_t *fp = (uint64_t *)rbp;
		if (!fp[1])
			break;
		print_pc("by", fp[1] - 1);
		if (fp[0] <= rbp)
			break;
		rbp = fp[0];
	}
}

/* ---- fault recovery (see recover.h) ---- */
struct fault_recover *fault_recover;

__asm__(".text\n"
	".globl fault_recover_save\n"
	"fault_recover_save:\n"
	"	movq %rbx, 0(%rdi)\n"
	"	movq %rbp, 8(%rdi)\n"
	"	movq %r12, 16(%rdi)\n"
	"	movq %r13, 24(%rdi)\n"
	"	movq %r14, 32(%rdi)\n"
	"	movq %r15, 40(%rdi)\n"
	"	leaq 8(%rsp), %rax\n"
	"	movq %rax, 48(%rdi)\n"
	"	movq (%rsp), %rax\n"
	"	movq %rax, 56(%rdi)\n"
	"	xorl %eax, %eax\n"
	"	ret\n");

int cpu_ist_pkey(int key)
{
	return protect_range((uintptr_t)ist_stacks, sizeof ist_stacks,
			     PTE_P | PTE_W | PTE_U | PTE_NX | ((uint64_t)key << PTE_PKEY_SHIFT));
}

/*
 * An exception inside an isolated call: resume at the saved point. The
 * call may have write-disabled every protection key but the exception
 * stacks', so PKRU is opened before anything here writes memory.
 */
static int recover(struct trap_frame *f, uint64_t cr2)
{
	struct fault_recover *r = fault_recover;
	if (!r || f->vector == 2 || f->vector == 8 || f->vector == 18)
		return 0;
	if (cpu_has_pku)
		__asm__ volatile(".byte 0x0f,0x01,0xef" ::"a"(0), "c"(0), "d"(0) : "memory");
	fault_recover = NULL;
	r->vector = f->vector;
	r->error = f->error;
	r->addr = cr2;
	r->pc = f->rip;
	f->rbx = r->rbx;
	f->rbp = r->rbp;
	f->r12 = r->r12;
	f->r13 = r->r13;
	f->r14 = r->r14;
	f->r15 = r->r15;
	f->rsp = r->rsp;
	f->rip = r->rip;
	f->rax = 1;
	return 1;
}

static void exception(struct trap_frame *f)
{
	static int nested;
	uint64_t cr2;
	__asm__ volatile("movq %%cr2, %0" : "=r"(cr2));
	if (recover(f, cr2))
		return;
	if (nested++) {
		kprintf("\nnested exception %lu at %#lx\n", f->vector, f->rip);
		kexit(KEXIT_PANIC);
	}
	const char *name = f->vector < 32 && exc_names[f->vector] ? exc_names[f->vector] : "exception";
	kprintf("\n*** %s (vector %lu, error %#lx) in thread '%s'\n", name, f->vector,
		f->error, thread_name(thread_self()));
	if (f->vector == 14) {
		uint64_t *pte = pte_lookup(cr2);
		const char *why = !pte || !(*pte & PTE_P) ? "not mapped"
			: (f->error & 32) ? "protection key"
			: (f->error & 16) ? "not executable"
			: (f->error & 2) ? "not writable" : "protection";
		if (cr2 < 0x1000)
			why = "null pointer";
		else if (pte && !(*pte & PTE_P) && (*pte & (1ULL << 9)))
			why = "guard page (stack overflow?)";
		kprintf("page fault: %s of %#lx (%s)\n",
			(f->error & 16) ? "fetch" : (f->error & 2) ? "write" : "read", cr2, why);
	}
	kprintf("rip %#018lx rsp %#018lx rflags %#lx\n", f->rip, f->rsp, f->rflags);
	kprintf("rax %#018lx rbx %#018lx rcx %#018lx rdx %#018lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	kprintf("rsi %#018lx rdi %#018lx rbp %#018lx r8  %#018lx\n", f->rsi, f->rdi, f->rbp, f->r8);
	kprintf("r9  %#018lx r10 %#018lx r11 %#018lx r12 %#018lx\n", f->r9, f->r10, f->r11, f->r12);
	kprintf("r13 %#018lx r14 %#018lx r15 %#018lx cr2 %#018lx\n", f->r13, f->r14, f->r15, cr2);
	backtrace_from(f->rbp, f->rip);
	kexit(KEXIT_PANIC);
}

void trap_dispatch(struct trap_frame *f);
void trap_dispatch(struct trap_frame *f)
{
	if (f->vector < 32) {
		exception(f);
		return;
	}
	if (f->vector == 255)
		return;
	unsigned irq = (unsigned)f->vector - 32;
	if (irq == 7 || irq == 15) { /* spurious unless in service */
		uint16_t cmd = irq == 7 ? 0x20 : 0xa0;
		outb(cmd, 0x0b);
		if (!(inb(cmd) & 0x80)) {
			if (irq == 15)
				outb(0x20, 0x20);
			return;
		}
	}
	if (irq_handlers[irq].fn)
		irq_handlers[irq].fn(irq_handlers[irq].arg);
	if (irq >= 8)
		outb(0xa0, 0x20);
	outb(0x20, 0x20);
}
