/* apps/ktest/t_basic.c — argv, faults, exit codes, system calls, symbols, signals. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "graft/platform.h"
#include "ktest.h"

int ktest_marker_var = 4242;

int t_argv(int argc, char **argv)
{
	KT_CHECK(argc >= 2, "want N ARGS...");
	if (argc >= 2) {
		int n = atoi(argv[1]);
		KT_CHECK(argc - 2 == n, "expected %d arguments, got %d", n, argc - 2);
		for (int i = 2; i < argc; i++)
			printf("arg[%d]=<%s>\n", i - 2, argv[i]);
	}
	return kt_done();
}

__attribute__((noinline)) static int recurse(int depth)
{
	volatile char frame[512];
	frame[0] = (char)depth;
	if (depth > 1000000) /* never: the guard page stops us first */
		return frame[0];
	return recurse(depth + 1) + frame[0];
}

__attribute__((noinline)) static void crash_here(const char *how)
{
	volatile char *p;
	if (!strcmp(how, "null")) {
		uintptr_t bad = 8;
		__asm__ volatile("" : "+r"(bad)); /* hide the constant from the compiler */
		p = (volatile char *)bad;
		*p = 1;
	} else if (!strcmp(how, "guard")) {
		/* Overflow a thread's stack into its guard page. */
		printf("%d\n", recurse(0));
	} else if (!strcmp(how, "exec")) {
		static char data[16] = { (char)0xc3 };
		((void (*)(void))(uintptr_t)data)();
	} else if (!strcmp(how, "ro")) {
		p = (volatile char *)(uintptr_t)&crash_here;
		*p = 0;
	}
}

static void crash_thread(void *arg) { crash_here(arg); }

int t_fault(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "null";
	printf("about to fault (%s) on %s\n", how, gp_name());
	fflush(stdout);
	if (!strcmp(how, "mainguard")) {
		printf("%d\n", recurse(0)); /* the main thread's own guard page */
	} else if (!strcmp(how, "guard")) {
		struct gp_thread *t = gp_thread_create(crash_thread, (void *)how, 64 * 1024, "overflow");
		gp_thread_join(t);
	} else {
		crash_here(how);
	}
	printf("FAILURE fault: no fault taken\n");
	return 1;
}

int t_exit(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0;
	printf("exiting with %d\n", n);
	exit(n);
}

int t_syscall(int argc, char **argv)
{
	(void)argc, (void)argv;
	long r = syscall(499); /* not a system call on x86-64 Linux either */
	KT_CHECK(r == -1 && errno == ENOSYS, "unknown call gave %ld errno %d", r, errno);
	r = syscall(100000);
	KT_CHECK(r == -1 && errno == ENOSYS, "call 100000 gave %ld errno %d", r, errno);
	r = syscall(SYS_getpid);
	KT_CHECK(r > 0, "getpid gave %ld", r);
	return kt_done();
}

int t_sym(int argc, char **argv)
{
	(void)argc, (void)argv;
	uintptr_t addr = 0, off = 1;
	size_t size = 0;
	KT_CHECK(gp_sym_lookup("ktest_marker_var", &addr, &size) == 0, "lookup ktest_marker_var");
	KT_CHECK(addr == (uintptr_t)&ktest_marker_var, "address %#lx != %p", (unsigned long)addr, (void *)&ktest_marker_var);
	KT_CHECK(size == sizeof ktest_marker_var, "size %zu", size);
	KT_CHECK(gp_sym_lookup("t_sym", &addr, &size) == 0 && addr == (uintptr_t)&t_sym, "lookup t_sym");
	const char *name = gp_sym_name((uintptr_t)&t_sym + 3, &off);
	KT_CHECK(name && !strcmp(name, "t_sym") && off == 3, "by address: %s+%lu", name ? name : "(none)", (unsigned long)off);
	KT_CHECK(gp_sym_lookup("no_such_symbol_xyz", &addr, &size) == -ENOENT, "missing symbol");
	KT_CHECK(gp_sym_count() > 50, "only %zu symbols", gp_sym_count());
	printf("%zu symbols; ktest_marker_var at %#lx\n", gp_sym_count(), (unsigned long)addr);
	return kt_done();
}

static volatile int hups;
static void on_hup(int sig) { hups += sig == SIGHUP; }

int t_signal(int argc, char **argv)
{
	(void)argc, (void)argv;
	signal(SIGHUP, on_hup);
	KT_CHECK(gp_raise(SIGHUP) == 0, "gp_raise");
	KT_CHECK(hups == 1, "handler ran %d times", hups);
	raise(SIGHUP);
	KT_CHECK(hups == 2, "raise(): handler ran %d times", hups);
	return kt_done();
}

int t_mem(int argc, char **argv)
{
	(void)argc, (void)argv;
	struct gp_mem_stats st;
	gp_mem_stats(&st);
	printf("mem-total %llu\nmem-used %llu\nmem-heap %llu\n", (unsigned long long)st.total,
	       (unsigned long long)st.used, (unsigned long long)st.heap);
	return kt_done();
}
