/*
 * platform/linux/faults.c — report a crash the way the unikernel does:
 * kind of fault, address, registers, symbolized frame-pointer backtrace,
 * then exit status 120. Runs on an alternate signal stack, so a stack
 * overflow into a thread's guard page is reported too. Only async-signal-
 * safe calls (snprintf into a buffer, write).
 */
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
			: si->si_code == SEGV_MAPERR ? "not mapped" : (err & 16) ? "not executable"
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
