/*
 * kernel/syscall.c — the Linux system calls musl makes, served in-kernel.
 *
 * Files go to vfs.c (sys_file); memory, time, identity, signals and exit
 * are here. Anything else returns -ENOSYS and is logged once per number,
 * so an application that needs more says so on the serial log. Pointers
 * are checked with user_ok (mm.c) first: a bad one gives -EFAULT.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>

#include "kernel.h"

#define BRK_BASE 0x4000000000ULL
#define BRK_MAX (1ULL << 30)

static uint8_t enosys_logged[512 / 8];
static uintptr_t brk_cur = BRK_BASE;
static uint64_t wall_base_ns; /* realtime at boot, from the CMOS clock */
int libc_fs_set;

struct k_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};
static struct k_sigaction sigactions[65];

static uint64_t prot_flags(long prot)
{
	if (!(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return PTE_GUARD;
	uint64_t f = PTE_P | PTE_U;
	if (prot & PROT_WRITE)
		f |= PTE_W;
	if (!(prot & PROT_EXEC))
		f |= PTE_NX;
	return f;
}

/* Back [va, va+len) with fresh zeroed frames; undoes itself on failure. */
static int back_range(uintptr_t va, size_t len, uint64_t flags)
{
	for (size_t off = 0; off < len; off += PAGE_SIZE) {
		void *p = page_alloc(1);
		if (!p || map_range(va + off, (uintptr_t)p, PAGE_SIZE, PTE_P | PTE_W | PTE_U | PTE_NX)) {
			if (p)
				page_free(p, 1);
			unmap_range(va, off, 1);
			return -ENOMEM;
		}
	}
	if (flags != (PTE_P | PTE_W | PTE_U | PTE_NX))
		protect_range(va, len, flags);
	return 0;
}

static long sys_mmap(uintptr_t addr, size_t len, long prot, long flags, long fd)
{
	if (!len || len > (1ULL << 40))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS) || fd != -1)
		return -ENODEV;
	len = ALIGN_UP(len, PAGE_SIZE);
	uintptr_t va;
	if (flags & MAP_FIXED) {
		if (addr & (PAGE_SIZE - 1) || addr < 0x100000000ULL)
			return -EINVAL;
		unmap_range(addr, len, 1);
		va = addr;
	} else {
		va = vm_reserve(len);
	}
	int r = back_range(va, len, prot_flags(prot));
	return r ? r : (long)va;
}

static long sys_munmap(uintptr_t addr, size_t len)
{
	if (addr & (PAGE_SIZE - 1) || addr < BRK_BASE || !len)
		return -EINVAL;
	unmap_range(addr, ALIGN_UP(len, PAGE_SIZE), 1);
	return 0;
}

static long sys_brk(uintptr_t want)
{
	want = ALIGN_UP(want, PAGE_SIZE);
	if (want < BRK_BASE || want > BRK_BASE + BRK_MAX)
		return (long)brk_cur;
	if (want > brk_cur) {
		if (back_range(brk_cur, want - brk_cur, PTE_P | PTE_W | PTE_U | PTE_NX))
			return (long)brk_cur;
	} else if (want < brk_cur) {
		unmap_range(want, brk_cur - want, 1);
	}
	brk_cur = want;
	return (long)brk_cur;
}

static uint8_t bcd(uint8_t v) { return (uint8_t)((v & 15) + (v >> 4) * 10); }

static uint64_t cmos_wallclock_ns(void)
{
	uint8_t r[6], regs[6] = { 0, 2, 4, 7, 8, 9 }, b;
	outb(0x70, 0x0b);
	b = inb(0x71);
	for (int i = 0; i < 6; i++) {
		outb(0x70, regs[i]);
		r[i] = inb(0x71);
		if (!(b & 4))
			r[i] = bcd(r[i]);
	}
	int year = 2000 + r[5], mon = r[4], day = r[3];
	/* days from civil (Howard Hinnant's algorithm) */
	year -= mon <= 2;
	int era = year / 400, yoe = year - era * 400;
	int doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = (int64_t)era * 146097 + doe - 719468;
	return (uint64_t)((days * 86400 + r[2] * 3600 + r[1] * 60 + r[0]) * 1000000000LL);
}

static long sys_clock_gettime(long clk, struct timespec *ts)
{
	uint64_t ns = time_ns();
	if (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE) {
		if (!wall_base_ns)
			wall_base_ns = cmos_wallclock_ns() - ns;
		ns += wall_base_ns;
	} else if (clk < 0 || clk > CLOCK_BOOTTIME) {
		return -EINVAL;
	}
	if (user_ok(ts, sizeof *ts, 1))
		return -EFAULT;
	ts->tv_sec = (time_t)(ns / 1000000000ULL);
	ts->tv_nsec = (long)(ns % 1000000000ULL);
	return 0;
}

static long sys_sleep(const struct timespec *req, struct timespec *rem, int absolute)
{
	(void)rem; /* written only when a signal interrupts the sleep: never */
	if (user_ok(req, sizeof *req, 0))
		return -EFAULT;
	if (req->tv_nsec < 0 || req->tv_nsec >= 1000000000L || req->tv_sec < 0)
		return -EINVAL;
	uint64_t ns = (uint64_t)req->tv_sec * 1000000000ULL + (uint64_t)req->tv_nsec;
	thread_sleep_until(absolute ? ns : time_ns() + ns);
	return 0;
}

/* Deliver a signal synchronously on the calling thread (used by kill/tkill
 * and by the platform's gp_raise). */
int signal_deliver(int sig);
int signal_deliver(int sig)
{
	if (sig <= 0 || sig > 64)
		return -EINVAL;
	void (*h)(int) = sigactions[sig].handler;
	if (h == SIG_IGN)
		return 0;
	if (h == SIG_DFL) {
		if (sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH)
			return 0;
		kprintf("graft: application killed by signal %d\n", sig);
		kexit(KEXIT_PANIC);
	}
	h(sig);
	return 0;
}

static long sys_sigaction(long sig, const struct k_sigaction *act, struct k_sigaction *old)
{
	if (sig <= 0 || sig > 64 || sig == SIGKILL || sig == SIGSTOP)
		return -EINVAL;
	if ((act && user_ok(act, sizeof *act, 0)) || (old && user_ok(old, sizeof *old, 1)))
		return -EFAULT;
	if (old)
		*old = sigactions[sig];
	if (act)
		sigactions[sig] = *act;
	return 0;
}

long syscall_dispatch(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
long syscall_dispatch(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	int handled = 1;
	long r = sys_file(nr, a0, a1, a2, a3, &handled);
	if (handled)
		return r;
	long sys_socket(long, long, long, long, long, long, long, int *);
	r = sys_socket(nr, a0, a1, a2, a3, a4, a5, &handled);
	if (handled)
		return r;
	switch (nr) {
	case SYS_mmap: return sys_mmap((uintptr_t)a0, (size_t)a1, a2, a3, a4);
	case SYS_munmap: return sys_munmap((uintptr_t)a0, (size_t)a1);
	case SYS_mprotect:
		if (a0 & (PAGE_SIZE - 1))
			return -EINVAL;
		return protect_range((uintptr_t)a0, ALIGN_UP((size_t)a1, PAGE_SIZE), prot_flags(a2)) ? -ENOMEM : 0;
	case SYS_brk: return sys_brk((uintptr_t)a0);
	case SYS_mremap: return -ENOMEM; /* musl's realloc falls back to copying */
	case SYS_madvise: return 0;
	/* No anonymous files here: the JIT's code memory (lib/ebpf) then
	 * takes mmap + mprotect, its documented fallback, so no log line. */
	case SYS_memfd_create: return -ENOSYS;
	case SYS_clock_gettime: return sys_clock_gettime(a0, (struct timespec *)a1);
	case SYS_clock_getres:
		if (a1 && user_ok((void *)a1, sizeof(struct timespec), 1))
			return -EFAULT;
		if (a1)
			((struct timespec *)a1)->tv_sec = 0, ((struct timespec *)a1)->tv_nsec = 1;
		return 0;
	case SYS_nanosleep: return sys_sleep((const struct timespec *)a0, (struct timespec *)a1, 0);
	case SYS_clock_nanosleep:
		return sys_sleep((const struct timespec *)a2, (struct timespec *)a3, (a1 & TIMER_ABSTIME) != 0);
	case SYS_sched_yield: thread_yield(); return 0;
	case SYS_getrandom: return sys_getrandom((void *)a0, (size_t)a1, (unsigned)a2);
	case SYS_arch_prctl:
		if (a0 == 0x1002) { /* ARCH_SET_FS */
			thread_set_fs((uint64_t)a1);
			libc_fs_set = 1;
			return 0;
		}
		if (a0 == 0x1003) { /* ARCH_GET_FS */
			if (user_ok((void *)a1, 8, 1))
				return -EFAULT;
			*(uint64_t *)a1 = rdmsr(0xc0000100);
			return 0;
		}
		return -EINVAL;
	case SYS_set_tid_address: return 1;
	case SYS_getpid: case SYS_gettid: return 1;
	case SYS_getppid: return 0;
	case SYS_getuid: case SYS_geteuid: case SYS_getgid: case SYS_getegid: return 0;
	case SYS_futex: return 0; /* one thread pointer, cooperative: nothing waits */
	case SYS_rt_sigprocmask: /* nothing is ever blocked */
		if ((a1 && user_ok((void *)a1, 8, 0)) || (a2 && user_ok((void *)a2, 8, 1)))
			return -EFAULT;
		if (a2)
			*(uint64_t *)a2 = 0;
		return 0;
	case SYS_rt_sigaction: return sys_sigaction(a0, (const struct k_sigaction *)a1, (struct k_sigaction *)a2);
	case SYS_kill: case SYS_tkill: return signal_deliver((int)a1);
	case SYS_uname: {
		struct utsname *u = (struct utsname *)a0;
		if (user_ok(u, sizeof *u, 1))
			return -EFAULT;
		memset(u, 0, sizeof *u);
		strcpy(u->sysname, "graft");
		strcpy(u->nodename, "graft");
		strcpy(u->release, "0.1");
		strcpy(u->version, "graft unikernel");
		strcpy(u->machine, "x86_64");
		return 0;
	}
	case SYS_exit: case SYS_exit_group: {
		void net_flush(void);
		net_flush();
		kexit((int)(a0 & 0xff));
	}
	default:
		break;
	}
	static int big_logged; /* numbers past the table: logged once in all */
	int first = nr >= 0 && nr < 512 ? !(enosys_logged[nr / 8] & (1u << (nr % 8))) : !big_logged++;
	if (first) {
		if (nr >= 0 && nr < 512)
			enosys_logged[nr / 8] |= (uint8_t)(1u << (nr % 8));
		kprintf("graft: unsupported system call %ld (args %#lx, %#lx, %#lx): ENOSYS\n", nr, a0, a1, a2);
	}
	return -ENOSYS;
}
