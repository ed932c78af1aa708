/*
 * platform/linux/faults.c — report a crash the way the unikernel does:
 * kind of fault, address, registers, symbolized frame-pointer backtrace,
 * then exit status 120. Runs on an alternate signal stack, so a stack
 * overflow into a thread's guard page is reported too. Only async-signal-
 * safe calls (snprintf into a buffer, write).
 *
 * gp_call_isolated: a fault inside the call is turned into an error by
 * siglongjmp from a handler of its own, installed for the call's duration
 * (so it also works beside the sanitizers' handlers). No protection keys
 * here: this platform reports isolation "none" (tagging the process's
 * memory would also need the kernel's signal delivery to cope with a
 * write-disabled key 0, which we cannot test on CPUs without PKU).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

const char *lp_thread_current_name(void);

static char altstack[64 * 1024];

static void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0 && write(1, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1) < 0)
		return;
}

static void print_pc(const char *what, uintptr_t pc)
{
	uintptr_t off = 0;
	const char *name = lp_sym_name(pc, &off);
	if (name)
		say("  %s %#018lx %s+%#lx\n", what, (unsigned long)pc, name, (unsigned long)off);
	else
		say("  %s %#018lx ?\n", what, (unsigned long)pc);
}

/* A frame pointer we may follow: aligned and not tiny; the caller also
 * keeps the walk within 8 MiB above the faulting stack pointer. */
static int readable(uintptr_t p)
{
	return !(p & 7) && p >= 4096;
}

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *r = uc->uc_mcontext.gregs;
	uintptr_t addr = (uintptr_t)si->si_addr, err = (uintptr_t)r[REG_ERR];
	const char *kind = sig == SIGSEGV ? "page fault" : sig == SIGBUS ? "bus error"
		: sig == SIGILL ? "invalid opcode" : sig == SIGFPE ? "divide error" : "signal";
	fflush(stdout);
	say("\n*** %s (signal %d) in thread '%s'\n", kind, sig, lp_thread_current_name());
	if (sig == SIGSEGV) {
		const char *why = addr < 4096 ? "null pointer" : lp_is_guard(addr) ? "guard page (stack overflow?)"
			: si->si_code == SEGV_MAPERR ? "not mapped" : si->si_code == 4 /* SEGV_PKUERR */ ? "protection key"
			: (err & 16) ? "not executable"
			: (err & 2) ? "not writable" : "protection";
		say("page fault: %s of %#lx (%s)\n", (err & 16) ? "fetch" : (err & 2) ? "write" : "read",
		    (unsigned long)addr, why);
	}
	say("rip %#018lx rsp %#018lx rbp %#018lx\n", (unsigned long)r[REG_RIP], (unsigned long)r[REG_RSP],
	    (unsigned long)r[REG_RBP]);
	say("backtrace:\n");
	print_pc("at", (uintptr_t)r[REG_RIP]);
	uintptr_t fp = (uintptr_t)r[REG_RBP], sp = (uintptr_t)r[REG_RSP];
	for (int depth = 0; depth < 32 && readable(fp) && fp >= sp && fp - sp < (8u << 20); depth++) {
		uintptr_t *f = (uintptr_t *)fp;
		if (!f[1])
			break;
		print_pc("by", f[1] - 1);
		if (f[0] <= fp)
			break;
		fp = f[0];
	}
	_exit(120);
}

void lp_faults_init(void)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
	sigaltstack(&ss, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	/* Leave the sanitizers their own handlers. */
#if !defined(__SANITIZE_ADDRESS__)
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
#endif
}

/* ---- isolated calls ---- */

static sigjmp_buf *iso_jmp;
static struct gp_fault iso_fault;

static void on_iso_fault(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *r = uc->uc_mcontext.gregs;
	sigjmp_buf *j = iso_jmp;
	if (!j) { /* not ours after all: report as any crash */
		on_fault(sig, si, ctx);
		return;
	}
	iso_jmp = NULL;
	iso_fault.vector = sig == SIGSEGV ? 14 : sig == SIGBUS ? 17 : sig == SIGILL ? 6 : 0;
	iso_fault.error = sig == SIGSEGV ? (uint64_t)r[REG_ERR] | (si->si_code == 4 ? 32 : 0) : 0;
	iso_fault.addr = (uint64_t)(uintptr_t)si->si_addr;
	iso_fault.pc = (uint64_t)r[REG_RIP];
	siglongjmp(*j, 1);
}

int gp_isolation_key(void) { return -ENOTSUP; }
uint64_t gp_isolation_suspend(void) { return 0; }
void gp_isolation_resume(uint64_t token) { (void)token; }

int gp_call_isolated(int (*fn)(int, char **), int argc, char **argv, int *ret,
		     const char **isolation, struct gp_fault *fault)
{
	static const int sigs[4] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE };
	struct sigaction sa, old[4];
	sigjmp_buf j;
	lp_init();
	*isolation = "none";
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_iso_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old[i]);
	int rc = 0;
	if (sigsetjmp(j, 1) == 0) {
		iso_jmp = &j;
		*ret = fn(argc, argv);
	} else {
		*fault = iso_fault;
		rc = -EFAULT;
	}
	iso_jmp = NULL;
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	return rc;
}
