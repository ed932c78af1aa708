/*
 * kernel/platform.c — include/graft/platform.h on the unikernel: thin
 * wrappers over the kernel's threads, pages, symbols and devices. Files go
 * through musl and our own system calls, so gp_open and open() see the
 * same namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <stdlib.h>

#include "graft/platform.h"
#include "kernel.h"
#include "devices.h"
#include "recover.h"

extern uint64_t boot_main_tsc;
int signal_deliver(int sig);

const char *gp_name(void) { return "kernel"; }
uint64_t gp_now_ns(void) { return time_ns(); }
uint64_t gp_boot_ns(void) { return (uint64_t)(((unsigned __int128)(boot_main_tsc - boot_tsc) * 1000000000ULL) / tsc_hz()); }
void gp_sleep_ns(uint64_t ns) { thread_sleep_until(time_ns() + ns); }

/* ---- memory ---- */
static uint64_t pte_prot(int prot)
{
	if (!(prot & (GP_PROT_READ | GP_PROT_WRITE | GP_PROT_EXEC)))
		return PTE_GUARD;
	uint64_t f = PTE_P | PTE_U;
	if (prot & GP_PROT_WRITE)
		f |= PTE_W;
	if (!(prot & GP_PROT_EXEC))
		f |= PTE_NX;
	return f;
}

size_t gp_page_size(void) { return PAGE_SIZE; }

void *gp_pages_alloc(size_t len, int prot)
{
	if (!len)
		return NULL;
	size_t n = ALIGN_UP(len, PAGE_SIZE) / PAGE_SIZE;
	void *p = page_alloc(n);
	if (p && prot != (GP_PROT_READ | GP_PROT_WRITE))
		protect_range((uintptr_t)p, n * PAGE_SIZE, pte_prot(prot));
	return p;
}

int gp_pages_free(void *addr, size_t len)
{
	if (!addr || ((uintptr_t)addr & (PAGE_SIZE - 1)))
		return -EINVAL;
	size_t n = ALIGN_UP(len, PAGE_SIZE) / PAGE_SIZE;
	protect_range((uintptr_t)addr, n * PAGE_SIZE, PTE_P | PTE_W | PTE_U | PTE_NX);
	page_free(addr, n);
	return 0;
}

int gp_pages_protect(void *addr, size_t len, int prot)
{
	if ((uintptr_t)addr & (PAGE_SIZE - 1))
		return -EINVAL;
	return protect_range((uintptr_t)addr, ALIGN_UP(len, PAGE_SIZE), pte_prot(prot)) ? -ENOMEM : 0;
}

void gp_mem_stats(struct gp_mem_stats *st)
{
	st->total = (uint64_t)mm_pages_total() * PAGE_SIZE;
	st->used = (uint64_t)(mm_pages_total() - mm_pages_free()) * PAGE_SIZE;
	st->heap = heap_in_use();
}

/* ---- code patching ---- */
void *gp_text_alloc(size_t len, const void *near)
{
	uint8_t *p = gp_pages_alloc(len, GP_PROT_READ | GP_PROT_WRITE);
	if (!p)
		return NULL;
	/* Pages come from identity-mapped RAM just above the image, so this
	 * holds unless the guest has more than a GiB; checked all the same. */
	uint64_t d = p > (const uint8_t *)near ? (uint64_t)(p - (const uint8_t *)near)
					       : (uint64_t)((const uint8_t *)near - p);
	if (d + len >= (1ULL << 30)) {
		gp_pages_free(p, len);
		return NULL;
	}
	return p;
}

/*
 * Text is mapped read-only. We write through it with CR0.WP cleared rather
 * than remapping the page: no page-table change, no TLB flush, and the
 * window is a few instructions with interrupts off. That is safe because
 * this kernel runs on one CPU with cooperative threads: while the console
 * thread patches, no other thread runs, and none can be suspended inside
 * the bytes (a thread is only ever suspended in a call, and the patched
 * bytes are a NOP sled at a function's entry). Interrupt handlers do not
 * run application code. The CPU notices stores to code it may have
 * prefetched on its own (self-modifying code is coherent on one CPU).
 */
int gp_text_patch(void *addr, const void *bytes, size_t len)
{
	uintptr_t a = (uintptr_t)addr;
	if (!len || len > 16)
		return -EINVAL;
	uint64_t *p0 = pte_lookup(a), *p1 = pte_lookup(a + len - 1);
	if (!p0 || !p1 || !(*p0 & PTE_P) || !(*p1 & PTE_P))
		return -EFAULT;
	uint64_t f = irq_save(), cr0;
	__asm__ volatile("movq %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("movq %0, %%cr0" ::"r"(cr0 & ~(1ULL << 16)) : "memory");
	volatile uint8_t *d = addr;
	for (size_t i = 0; i < len; i++)
		d[i] = ((const uint8_t *)bytes)[i];
	__asm__ volatile("movq %0, %%cr0" ::"r"(cr0) : "memory");
	irq_restore(f);
	return 0;
}

static uint16_t pkeys_used = 1; /* key 0 is everyone's default */

int gp_pkey_supported(void) { return cpu_has_pku; }

int gp_pkey_alloc(void)
{
	if (!cpu_has_pku)
		return -ENOSYS;
	for (int k = 1; k < 16; k++)
		if (!(pkeys_used & (1u << k))) {
			pkeys_used |= (uint16_t)(1u << k);
			return k;
		}
	return -ENOSPC;
}

int gp_pkey_protect(void *addr, size_t len, int prot, int key)
{
	if (!cpu_has_pku)
		return -ENOSYS;
	if (key < 0 || key > 15 || ((uintptr_t)addr & (PAGE_SIZE - 1)))
		return -EINVAL;
	uint64_t flags = pte_prot(prot) | ((uint64_t)key << PTE_PKEY_SHIFT);
	return protect_range((uintptr_t)addr, ALIGN_UP(len, PAGE_SIZE), flags) ? -ENOMEM : 0;
}

uint32_t gp_pkru_read(void)
{
	if (!cpu_has_pku)
		return 0;
	uint32_t eax, edx;
	__asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(0)); /* rdpkru */
	return eax;
}

void gp_pkru_write(uint32_t pkru)
{
	if (cpu_has_pku)
		__asm__ volatile(".byte 0x0f,0x01,0xef" ::"a"(pkru), "c"(0), "d"(0) : "memory"); /* wrpkru */
}

/* ---- isolated calls ----
 * With PKU: the domain (native programs' pages, and the call's own stack)
 * carries iso_key, the exception stacks sys_key, everything else key 0 or
 * another. During the call PKRU write-disables every key but those two,
 * so the program can read the application but write only its own pages;
 * interrupts are off, because a handler would run under that PKRU (the
 * call is short and runs to its end anyway: threads are cooperative).
 * Not a wall against hostile code (wrpkru is unprivileged), a guard
 * against buggy code: a stray write faults and is reported.
 */
#define ISO_STACK (64u << 10)
static int iso_key = -1, sys_key = -1;
static uint8_t *iso_stack;
static int iso_active;
static uint32_t iso_pkru;

/*
 * (fn, argc, argv, stack_top, pkru_in, pkru_out): switch to the domain's
 * stack, then restrict PKRU (the old stack is write-disabled after that,
 * so nothing is pushed there), call, open PKRU again, switch back.
 */
__asm__(".text\n"
	"iso_call_on_stack:\n"
	"	pushq %rbp\n"
	"	movq %rsp, %rbp\n"
	"	pushq %rbx\n"
	"	pushq %rbx\n"
	"	movl %r9d, %ebx\n"
	"	movq %rdi, %r10\n"
	"	movq %rdx, %r11\n"
	"	movq %rcx, %rsp\n"
	"	movl %r8d, %eax\n"
	"	xorl %ecx, %ecx\n"
	"	xorl %edx, %edx\n"
	"	.byte 0x0f,0x01,0xef\n" /* wrpkru */
	"	movl %esi, %edi\n"
	"	movq %r11, %rsi\n"
	"	call *%r10\n"
	"	movl %eax, %r10d\n"
	"	movl %ebx, %eax\n"
	"	xorl %ecx, %ecx\n"
	"	xorl %edx, %edx\n"
	"	.byte 0x0f,0x01,0xef\n"
	"	movl %r10d, %eax\n"
	"	leaq -16(%rbp), %rsp\n"
	"	popq %rbx\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n");
int iso_call_on_stack(int (*fn)(int, char **), int argc, char **argv, void *top,
		      uint32_t pkru_in, uint32_t pkru_out);

static int iso_setup(void)
{
	if (!cpu_has_pku)
		return -ENOTSUP;
	if (iso_stack)
		return 0;
	if (iso_key < 0)
		iso_key = gp_pkey_alloc();
	if (sys_key < 0)
		sys_key = gp_pkey_alloc();
	if (iso_key < 0 || sys_key < 0 || cpu_ist_pkey(sys_key))
		return -ENOSPC;
	uint8_t *st = gp_pages_alloc(ISO_STACK, GP_PROT_READ | GP_PROT_WRITE);
	if (!st || gp_pkey_protect(st, ISO_STACK, GP_PROT_READ | GP_PROT_WRITE, iso_key))
		return -ENOMEM;
	iso_stack = st;
	/* WD (odd bits) for every key but ours */
	iso_pkru = 0xaaaaaaaau & ~(3u << (2 * iso_key)) & ~(3u << (2 * sys_key));
	return 0;
}

int gp_isolation_key(void)
{
	int rc = iso_setup();
	return rc ? rc : iso_key;
}

int gp_call_isolated(int (*fn)(int, char **), int argc, char **argv, int *ret,
		     const char **isolation, struct gp_fault *fault)
{
	struct fault_recover r;
	volatile int isolated = iso_setup() == 0 && !iso_active;
	volatile uint32_t pkru = gp_pkru_read();
	volatile uint64_t fl = isolated ? irq_save() : 0;
	*isolation = isolated ? "PKU" : "none";
	fault_recover = &r;
	if (fault_recover_save(&r) == 0) {
		int v;
		if (isolated) {
			iso_active = 1;
			v = iso_call_on_stack(fn, argc, argv, iso_stack + ISO_STACK,
					      iso_pkru, pkru);
			iso_active = 0;
		} else {
			v = fn(argc, argv);
		}
		fault_recover = NULL;
		if (isolated)
			irq_restore(fl);
		*ret = v;
		return 0;
	}
	/* Resumed by the exception handler: PKRU is open, fault_recover NULL. */
	gp_pkru_write(pkru);
	iso_active = 0;
	if (isolated)
		irq_restore(fl);
	fault->vector = (int)r.vector;
	fault->error = r.error;
	fault->addr = r.addr;
	fault->pc = r.pc;
	return -EFAULT;
}

/* The token: 1 when a protected call was suspended. */
uint64_t gp_isolation_suspend(void)
{
	if (!iso_active)
		return 0;
	gp_pkru_write(0);
	iso_active = 0;
	irq_enable();
	return 1;
}

void gp_isolation_resume(uint64_t token)
{
	if (!token)
		return;
	__asm__ volatile("cli" ::: "memory");
	iso_active = 1;
	gp_pkru_write(iso_pkru);
}

/* ---- threads ---- */
struct gp_thread *gp_thread_create(void (*fn)(void *), void *arg, size_t stack, const char *name)
{
	return (struct gp_thread *)thread_create(fn, arg, stack ? stack : 64 * 1024, name);
}
int gp_thread_join(struct gp_thread *t) { return thread_join((struct thread *)t); }
void gp_thread_yield(void) { thread_yield(); }
struct gp_thread *gp_thread_self(void) { return (struct gp_thread *)thread_self(); }
const char *gp_thread_name(const struct gp_thread *t) { return thread_name((struct thread *)t); }

_Static_assert(sizeof(struct gp_waitq) == sizeof(struct waitq), "wait queue layouts differ");
int gp_wait(struct gp_waitq *q, uint64_t deadline)
{
	return waitq_wait((struct waitq *)q, deadline) ? -ETIMEDOUT : 0;
}
void gp_wake_one(struct gp_waitq *q) { waitq_wake_one((struct waitq *)q); }
void gp_wake_all(struct gp_waitq *q) { waitq_wake_all((struct waitq *)q); }

/* ---- files (through our own system calls) ---- */
int gp_open(const char *path, int flags)
{
	int f = 0;
	if ((flags & GP_O_READ) && (flags & GP_O_WRITE))
		f = O_RDWR;
	else if (flags & GP_O_WRITE)
		f = O_WRONLY;
	if (flags & GP_O_CREATE)
		f |= O_CREAT;
	if (flags & GP_O_TRUNC)
		f |= O_TRUNC;
	if (flags & GP_O_APPEND)
		f |= O_APPEND;
	int fd = open(path, f, 0644);
	return fd < 0 ? -errno : fd;
}
ssize_t gp_read(int h, void *buf, size_t n) { ssize_t r = read(h, buf, n); return r < 0 ? -errno : r; }
ssize_t gp_write(int h, const void *buf, size_t n) { ssize_t r = write(h, buf, n); return r < 0 ? -errno : r; }
int gp_close(int h) { return close(h) ? -errno : 0; }
int gp_mkdir(const char *path) { return mkdir(path, 0755) ? -errno : 0; }

int gp_unlink(const char *path)
{
	struct stat st;
	if (stat(path, &st))
		return -errno;
	return (S_ISDIR(st.st_mode) ? rmdir(path) : unlink(path)) ? -errno : 0;
}

int gp_stat(const char *path, struct gp_stat *out)
{
	struct stat st;
	if (stat(path, &st))
		return -errno;
	out->size = (uint64_t)st.st_size;
	out->is_dir = S_ISDIR(st.st_mode);
	return 0;
}

int gp_readdir(const char *path, int (*fn)(void *, const char *, int), void *ctx)
{
	DIR *d = opendir(path);
	if (!d)
		return -errno;
	struct dirent *e;
	int r = 0;
	while (!r && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			r = fn(ctx, e->d_name, e->d_type == DT_DIR);
	closedir(d);
	return r;
}

/* ---- symbols ---- */
int gp_sym_lookup(const char *name, uintptr_t *addr, size_t *size)
{
	return sym_by_name(name, addr, size) ? -ENOENT : 0;
}
const char *gp_sym_name(uintptr_t addr, uintptr_t *off) { return sym_by_addr(addr, off); }
size_t gp_sym_count(void) { return sym_count(); }
int gp_sym_at(size_t i, const char **name, uintptr_t *addr, size_t *size)
{
	char type;
	return sym_at(i, name, addr, size, &type) ? -ENOENT : 0;
}

/* ---- console channel and network: the virtio drivers ---- */
int gp_console_available(void) { return vcon_available(); }
ssize_t gp_console_read(void *buf, size_t cap, uint64_t deadline) { return vcon_read(buf, cap, deadline); }
ssize_t gp_console_write(const void *buf, size_t len) { return vcon_write(buf, len); }

int gp_net_available(void) { return net_available(); }
int gp_net_mac(uint8_t mac[6]) { return net_mac(mac); }
int gp_net_raw(int on) { return net_set_raw(on); }
int gp_net_send(const void *frame, size_t len) { return net_send_frame(frame, len); }
ssize_t gp_net_recv(void *buf, size_t cap, uint64_t deadline) { return net_recv_frame(buf, cap, deadline); }
uint32_t gp_ip_addr(void) { return ip_addr(); }
int gp_udp_open(uint16_t port) { return udp_open(port); }
int gp_udp_send(int s, uint32_t ip, uint16_t port, const void *buf, size_t len) { return udp_send(s, ip, port, buf, len); }
ssize_t gp_udp_recv(int s, void *buf, size_t cap, uint32_t *ip, uint16_t *port, uint64_t deadline)
{
	return udp_recv(s, buf, cap, ip, port, deadline);
}
int gp_udp_close(int s) { return udp_close(s); }

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

/* ---- signals and exit ---- */
int gp_raise(int sig) { return signal_deliver(sig); }
_Noreturn void gp_exit(int status) { exit(status); }
